"""The service-task operation that stores a generated document with the case.

A BPMN service task names ``documents.generate`` with parameters ``kind``, ``title``,
``template`` (under templates/documents/) and ``data`` (an object); the job runner runs it like an
adapter call, so a failure becomes a retry or an incident, and the job's idempotency key makes a
retried job find the document it already stored.
"""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.db import transaction
from app.db.models import ProcessInstance

from .service import DocumentError, store_document


@operation("documents.generate")
def generate(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    if call.services is None or call.instance_id is None:
        raise AdapterError("documents.generate runs only inside the job runner", retryable=False)
    missing = [name for name in ("kind", "title", "template", "data") if not params.get(name)]
    if missing:
        raise AdapterError(f"documents.generate needs {', '.join(missing)}", retryable=False)
    if not isinstance(params["data"], dict):
        raise AdapterError("documents.generate: 'data' must be an object", retryable=False)
    with transaction(call.services.sessions) as session:
        instance = session.get(ProcessInstance, call.instance_id)
        if instance is None:
            raise AdapterError(f"no process instance {call.instance_id}", retryable=False)
        try:
            document = store_document(
                session, instance, kind=str(params["kind"]), title=str(params["title"]),
                template=str(params["template"]), data=params["data"], created_by="system",
                idempotency_key=call.idempotency_key)
        except DocumentError as err:
            raise AdapterError(f"documents.generate: {err}", retryable=False) from None
        except Exception as err:  # noqa: BLE001 - a template error is the model's, not retryable
            raise AdapterError(f"documents.generate: the template failed: {type(err).__name__}: "
                               f"{err}", retryable=False) from None
        return {"document_id": document.id, "version": document.version,
                "sha256": document.content_sha256}
