"""The operations a process's boundary timers call: ``tasks.remind`` and ``tasks.escalate``.

Parameters: ``task``, the element id of the user task (a quoted string in the BPMN), and for an
escalation ``supervisor_group``, the group of the supervisors who should see it.
"""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.db import transaction

from .service import ESCALATION, REMINDER, NotificationError, notify


def _run(params: dict[str, Any], call: CallContext, kind: str) -> dict[str, Any]:
    name = f"tasks.{'escalate' if kind == ESCALATION else 'remind'}"
    if call.services is None or call.instance_id is None:
        raise AdapterError(f"{name} runs only inside the job runner", retryable=False)
    element_id = params.get("task")
    if not isinstance(element_id, str) or not element_id:
        raise AdapterError(f"{name} needs 'task', the element id of the user task",
                           retryable=False)
    with transaction(call.services.sessions) as session:
        try:
            made = notify(session, call.instance_id, element_id, kind, call.idempotency_key,
                          str(params.get("supervisor_group") or ""))
        except NotificationError as err:
            raise AdapterError(f"{name}: {err}", retryable=False) from None
    return {"notified": made}


@operation("tasks.remind")
def remind(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    return _run(params, call, REMINDER)


@operation("tasks.escalate")
def escalate(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    return _run(params, call, ESCALATION)
