"""The service-task operation that stores a generated document with the case.

A BPMN service task names ``documents.generate`` with parameters ``kind``, ``title``,
``template`` (under templates/documents/) and ``data`` (an object); the job runner runs it like an
adapter call, so a failure becomes a retry or an incident, and the job's idempotency key makes a
retried job find the document it already stored.
"""
from __future__ import annotations

from typing import Any

from jinja2 import TemplateError

from adapters.registry import AdapterError, CallContext, operation
from app.internal_operations import instance_transaction, job_services

from .service import DocumentError, store_document


@operation("documents.generate")
def generate(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "documents.generate"
    job_services(name, call)
    missing = [key for key in ("kind", "title", "template", "data") if not params.get(key)]
    if missing:
        raise AdapterError(f"{name} needs {', '.join(missing)}", retryable=False)
    if not isinstance(params["data"], dict):
        raise AdapterError(f"{name}: 'data' must be an object", retryable=False)
    # A template that fails (a missing variable, a typo) is the model's mistake: not retryable.
    with instance_transaction(name, call, DocumentError, TemplateError) as (session, instance):
        document = store_document(
            session, instance, kind=str(params["kind"]), title=str(params["title"]),
            template=str(params["template"]), data=params["data"], created_by="system",
            idempotency_key=call.idempotency_key)
        return {"document_id": document.id, "version": document.version,
                "sha256": document.content_sha256}
