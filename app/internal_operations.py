"""What the product's own service-task operations (storing a document, a plan version, a stay …)
share: they run only in the job runner, in one transaction with the job's instance, and a refusal
of the data becomes a non-retryable adapter error that names the operation, so the job turns into
an incident an operator can read, instead of being tried again."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from adapters.registry import AdapterError, CallContext
from app.db import transaction
from app.db.models import ProcessInstance
from app.services import Services


def job_services(name: str, call: CallContext) -> Services:
    """The app's services of the job running ``name``; refused outside the job runner."""
    if call.services is None or call.instance_id is None:
        raise AdapterError(f"{name} runs only inside the job runner", retryable=False)
    services: Services = call.services
    return services


@contextmanager
def instance_transaction(name: str, call: CallContext,
                         *refusals: type[Exception]) -> Iterator[tuple[Session, ProcessInstance]]:
    """A transaction with the job's instance row. An exception of the ``refusals`` types raised
    inside rolls it back and becomes ``AdapterError("<name>: <message>", retryable=False)``."""
    services = job_services(name, call)
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, call.instance_id)
        if instance is None:
            raise AdapterError(f"{name}: no process instance {call.instance_id}", retryable=False)
        try:
            yield session, instance
        except refusals as err:
            raise AdapterError(f"{name}: {err}", retryable=False) from None
