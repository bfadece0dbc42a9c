from .access_log import AccessLogEntry
from .api_keys import ApiKey
from .attachments import Attachment
from .base import Base, utcnow
from .definitions import ProcessDefinition
from .documents import CaseDocument
from .events import Event
from .form_drafts import FormDraft, KeptForm
from .instances import (
    HumanTask,
    Incident,
    Job,
    MessageSubscription,
    ProcessInstance,
    RecordScope,
    Timer,
)
from .login_attempts import LoginAttempt
from .organisations import Organisation
from .persons import Person
from .process_drafts import ProcessDraft
from .saved_filters import SavedFilter
from .support_plans import SupportPlanVersion
from .users import User

__all__ = [
    "AccessLogEntry",
    "ApiKey",
    "Attachment",
    "Base",
    "CaseDocument",
    "Event",
    "FormDraft",
    "HumanTask",
    "Incident",
    "Job",
    "KeptForm",
    "LoginAttempt",
    "MessageSubscription",
    "Organisation",
    "Person",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "RecordScope",
    "SavedFilter",
    "SupportPlanVersion",
    "Timer",
    "User",
    "utcnow",
]
