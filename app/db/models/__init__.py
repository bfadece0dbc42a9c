from .base import Base, utcnow
from .definitions import ProcessDefinition
from .events import Event
from .instances import HumanTask, Incident, Job, MessageSubscription, ProcessInstance, Timer
from .users import User

__all__ = [
    "Base",
    "Event",
    "HumanTask",
    "Incident",
    "Job",
    "MessageSubscription",
    "ProcessDefinition",
    "ProcessInstance",
    "Timer",
    "User",
    "utcnow",
]
