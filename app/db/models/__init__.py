from .access_log import AccessLogEntry
from .adoption import Adopter, AdoptionChild, AdoptionMatch, AdoptionProposal
from .api_keys import ApiKey
from .attachments import Attachment
from .base import Base, utcnow
from .child_protection import ChildProtectionDecision
from .co_payments import CoPaymentMonth
from .definitions import ProcessDefinition
from .documents import CaseDocument
from .events import Event
from .form_drafts import FormDraft, KeptForm
from .group_homes import GroupHomeStay
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
from .notifications import Notification
from .nsk import NskCompensation, NskEligibility, NskPayment, NskReport
from .opendata import OpenDataRelease, StatFact, StatLoad, StatSubject
from .organisations import Organisation
from .out_of_family_care import ChildPlacement, PeriodicReportDelivery
from .outbox import OutboxMessage
from .persons import Person
from .preparation import DailyActivityEntry, SelfCareAssessment
from .process_drafts import ProcessDraft
from .report_facts import ReportFactCursor, ReportGroupHome, ReportNeedsLevel, ReportPlannedService
from .report_subscriptions import ReportPack, ReportSubscriber, ReportSubscription
from .saved_filters import SavedFilter
from .service_records import ServiceRecord, ServiceRecordBatch
from .sign_ins import SignedInSession
from .support_plans import SupportPlanVersion
from .users import User

__all__ = [
    "AccessLogEntry",
    "Adopter",
    "AdoptionChild",
    "AdoptionMatch",
    "AdoptionProposal",
    "ApiKey",
    "Attachment",
    "Base",
    "CaseDocument",
    "ChildPlacement",
    "ChildProtectionDecision",
    "CoPaymentMonth",
    "DailyActivityEntry",
    "Event",
    "FormDraft",
    "GroupHomeStay",
    "HumanTask",
    "Incident",
    "Job",
    "KeptForm",
    "LoginAttempt",
    "MessageSubscription",
    "Notification",
    "NskCompensation",
    "NskEligibility",
    "NskPayment",
    "NskReport",
    "OpenDataRelease",
    "Organisation",
    "OutboxMessage",
    "PeriodicReportDelivery",
    "Person",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "RecordScope",
    "ReportFactCursor",
    "ReportGroupHome",
    "ReportNeedsLevel",
    "ReportPack",
    "ReportPlannedService",
    "ReportSubscriber",
    "ReportSubscription",
    "SavedFilter",
    "SelfCareAssessment",
    "ServiceRecord",
    "ServiceRecordBatch",
    "SignedInSession",
    "StatFact",
    "StatLoad",
    "StatSubject",
    "SupportPlanVersion",
    "Timer",
    "User",
    "utcnow",
]
