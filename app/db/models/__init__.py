from .access_log import AccessLogEntry
from .base import Base, utcnow
from .definitions import ProcessDefinition
from .events import Event
from .instances import (
    HumanTask,
    Incident,
    Job,
    MessageSubscription,
    ProcessInstance,
    RecordScope,
    Timer,
)
from .organisations import Organisation
from .persons import Person
from .saved_filters import SavedFilter
from .users import User

__all__ = [
    "AccessLogEntry",
    "Base",
    "Event",
    "HumanTask",
    "Incident",
    "Job",
    "MessageSubscription",
    "Organisation",
    "Person",
    "ProcessDefinition",
    "ProcessInstance",
    "RecordScope",
    "SavedFilter",
    "Timer",
    "User",
    "utcnow",
]
