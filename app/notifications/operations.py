"""The operations a process's boundary timers call: ``tasks.remind`` and ``tasks.escalate``.

Parameters: ``task``, the element id of the user task (a quoted string in the BPMN), and for an
escalation ``supervisor_group``, the group of the supervisors who should see it.
"""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.internal_operations import instance_transaction, job_services

from .service import ESCALATION, REMINDER, NotificationError, notify


def _run(params: dict[str, Any], call: CallContext, kind: str) -> dict[str, Any]:
    name = f"tasks.{'escalate' if kind == ESCALATION else 'remind'}"
    job_services(name, call)
    element_id = params.get("task")
    if not isinstance(element_id, str) or not element_id:
        raise AdapterError(f"{name} needs 'task', the element id of the user task",
                           retryable=False)
    with instance_transaction(name, call, NotificationError) as (session, instance):
        made = notify(session, instance.id, element_id, kind, call.idempotency_key,
                      str(params.get("supervisor_group") or ""))
    return {"notified": made}


@operation("tasks.remind")
def remind(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    return _run(params, call, REMINDER)


@operation("tasks.escalate")
def escalate(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    return _run(params, call, ESCALATION)
