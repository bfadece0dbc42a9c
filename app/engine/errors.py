"""What can go wrong in the engine, as types. The web layer maps them to HTTP answers in one place;
workers map them to incidents."""
from __future__ import annotations

from datetime import datetime


class EngineError(Exception):
    """Base class; ``str(err)`` is a message a person understands."""

    http_status = 400


class DeploymentError(EngineError):
    def __init__(self, file_name: str, message: str, element_id: str = "", line: int | str = "") -> None:
        self.file_name = file_name
        self.element_id = element_id
        self.line = line
        where = f"{file_name}"
        if line:
            where += f", line {line}"
        if element_id:
            where += f", element '{element_id}'"
        super().__init__(f"{where}: {message}")
        self.reason = message


class ReservedFieldName(EngineError):
    """Data handed to the engine holds a field whose name its stored state reserves."""

    http_status = 422

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"The field name '{name}' is reserved by the process engine; "
                         "rename the field. Nothing was saved.")


class UnknownProcess(EngineError):
    http_status = 404

    def __init__(self, process_key: str) -> None:
        super().__init__(f"No process with the key '{process_key}' has been deployed")


class InstanceNotFound(EngineError):
    http_status = 404

    def __init__(self, instance_id: int) -> None:
        super().__init__(f"Process instance {instance_id} does not exist")


class InstanceNotActive(EngineError):
    http_status = 409

    def __init__(self, instance_id: int, status: str) -> None:
        super().__init__(f"Process instance {instance_id} is {status}; it cannot be changed")


class TaskNotFound(EngineError):
    http_status = 404

    def __init__(self, task_id: int | str) -> None:
        super().__init__(f"Task {task_id} does not exist")


class TaskAlreadyCompleted(EngineError):
    http_status = 409

    def __init__(self, task_id: int, completed_by: str | None, completed_at: datetime | None) -> None:
        self.completed_by = completed_by
        when = f" at {completed_at:%d.%m.%Y %H:%M} UTC" if completed_at else ""
        super().__init__(f"Task {task_id} was already completed by {completed_by or 'someone else'}{when}")


class TaskNoLongerOpen(EngineError):
    http_status = 409

    def __init__(self, task_id: int, status: str) -> None:
        super().__init__(f"Task {task_id} is {status}; it can no longer be worked on")


class NotYourTask(EngineError):
    http_status = 403

    def __init__(self, task_id: int, reason: str) -> None:
        super().__init__(f"You cannot work on task {task_id}: {reason}")


class ScriptFailed(EngineError):
    """A script, condition or expression in the process model raised or was refused."""

    http_status = 422

    def __init__(self, element_id: str, message: str) -> None:
        self.element_id = element_id
        super().__init__(f"The process step '{element_id}' failed: {message}")
        self.reason = message


class MessageNotCorrelated(EngineError):
    http_status = 404

    def __init__(self, message_name: str, business_key: str | None) -> None:
        key = f" for '{business_key}'" if business_key else ""
        super().__init__(f"No process instance is waiting for the message '{message_name}'{key}")
