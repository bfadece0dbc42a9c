"""The REST API fuzzed with schemathesis from the OpenAPI document the app itself serves
(``/api/v1/openapi.json``), in process through the WSGI app, with a valid API key: every
operation, with data the document allows and data it does not. No answer may be a server
error, and every answer must be what the document says (status, content type, body schema).

A handful of examples per operation runs with the suite; ``-m slow`` runs many more."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api import keys
from app.db import transaction
from app.services import Services
from tests.web.conftest import app, start_for_child, web_services, web_settings  # noqa: F401

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_key(web_services: Services) -> str:  # noqa: F811
    with transaction(web_services.sessions) as session:
        made = keys.create_key(session, organisation_code="VSAC-RIGA", name="fuzzer",
                               roles=["caseworker"], groups=["institution"], created_by="tests")
    # Something to find: a child's case with an open task the key may act on.
    start_for_child(web_services, "p09_out_of_family_care",
                    {"case_number": "P9-FUZZ-1", "child_birth_date": "2024-05-01",
                     "placement_date": "2026-01-10", "orphan_court_code": "RIGA-BT"},
                    "P9-FUZZ-1")
    return made.secret


def _fuzz(app: Flask, secret: str, examples: int) -> dict[str, set[int]]:  # noqa: F811
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    statuses: dict[str, set[int]] = {}
    headers = {"Authorization": f"ApiKey {secret}"}
    failures: list[str] = []

    def run(operation: Any) -> None:
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | \
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.setdefault(operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            check()
        except Exception as failure:  # noqa: BLE001 - gathered so one run reports every operation
            failures.append(f"{operation.label}: {failure}")

    for result in schema.get_all_operations():
        run(result.ok())
    assert not failures, "\n\n".join(failures)
    return statuses


def test_every_api_operation_answers_fuzzed_requests_as_documented(
        app: Flask, api_key: str) -> None:  # noqa: F811
    statuses = _fuzz(app, api_key, examples=6)
    assert len(statuses) >= 15  # every operation of the document was called
    assert all(code < 500 for codes in statuses.values() for code in codes)
    # The fuzzing reached past the checks of some operations, and was refused by others.
    assert any(code < 300 for codes in statuses.values() for code in codes)
    assert any(code in (400, 404, 422) for codes in statuses.values() for code in codes)


@pytest.mark.slow
def test_every_api_operation_answers_many_fuzzed_requests_as_documented(
        app: Flask, api_key: str) -> None:  # noqa: F811
    _fuzz(app, api_key, examples=150)


