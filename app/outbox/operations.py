"""``outbox.send``: a process queues notifications to organisations (interface I1).

Params: ``recipients`` (roles: orphan_court, social_service, ministry, institution, police,
child_rights_inspectorate; or ``{"role": ..., "code": ...}`` with the organisation's code),
``topic`` (e.g. REPORT_OVERDUE; the NPAIS notice type for an orphan court), ``subject`` and
``text`` (Latvian, no personal codes or names: they carry the case number and what to do),
optional ``due_date`` (YYYY-MM-DD). Returns ``{"queued": <rows>, "message_ids": [...]}``: one
row per recipient and channel (an organisation reached by e-mail and in the app has two).
A retried job queues nothing new and answers with the rows queued the first time.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.registry import AdapterError, CallContext, operation
from app.db.models import ProcessInstance
from app.internal_operations import instance_transaction, job_services

from .contacts import ContactsError, contacts
from .service import OutboxError, message_from, queue

NAME = "outbox.send"


@operation(NAME)
def send(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    services = job_services(NAME, call)
    try:
        message = message_from(params)
        contact_list = contacts(services.settings.notification_contacts)
    except (OutboxError, ContactsError) as err:
        raise AdapterError(f"{NAME}: {err}", retryable=False) from None
    with instance_transaction(NAME, call, OutboxError) as (session, instance):
        # Its events go on the instance's chain: hold the row as the engine does.
        session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance.id)
                        .with_for_update().execution_options(populate_existing=True)).one()
        message_ids = queue(session, instance, call.idempotency_key, message, contact_list,
                            services.settings.outbox_max_attempts)
    return {"queued": len(message_ids), "message_ids": message_ids}
