"""Auditors read everything and change nothing: every route the history and operations pages
add is walked as an auditor; no request changes a row (other than the access log lines that
record the looks), every POST is refused, and no page offers a form that writes."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db.models import AccessLogEntry, Base
from app.services import Services
from tests.web.conftest import csrf_of

from .conftest import Case, run_p9_case

# Written by every request of a signed-in person (the looks themselves, sign-in throttling).
_LOG_TABLES = frozenset({"access_log", "login_attempt"})
_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


def _snapshot(services: Services) -> str:
    digest = hashlib.sha256()
    with services.db.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in _LOG_TABLES:
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
    return digest.hexdigest()


def _routes(app: Flask) -> list[tuple[str, set[str], str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("history", "operations"):
            found.append((rule.rule, set(rule.methods or ()) - {"HEAD", "OPTIONS"},
                          rule.endpoint))
    return sorted(found)


def test_an_auditor_walks_every_route_and_changes_nothing(
        app: Flask, auditor: FlaskClient, web_services: Services,
        npais_simulator: object) -> None:
    case: Case = run_p9_case(web_services, npais_simulator, failing_delivery=True)
    routes = _routes(app)
    assert {endpoint for *_, endpoint in routes} >= {
        "history.instances", "history.instance", "history.export_pdf", "history.export_json",
        "history.access", "operations.cockpit", "operations.retry", "operations.intervene"}
    before = _snapshot(web_services)
    queries = {"history.instances": "?q=P9-2026", "history.access": f"?person={case.person_id}",
               "operations.cockpit": f"?instance={case.instance_id}"}
    token = csrf_of(auditor)
    for path, methods, endpoint in routes:
        url = path.replace("<int:instance_id>", str(case.instance_id))
        if "GET" in methods:
            response = auditor.get(url + queries.get(endpoint, ""))
            assert response.status_code == (403 if endpoint.startswith("operations.") else 200), \
                url
            if response.status_code == 200 and response.mimetype == "text/html":
                forms = [f for f in _FORM.findall(response.text) if 'method="post"' in f.lower()]
                # Only signing out: nothing on the page writes.
                assert forms == ['<form class="inline-form" method="post" action="/logout">'], url
                assert 'href="/operations' not in response.text, url
        # Every route, whatever it accepts, is tried with a POST that would write if it could.
        response = auditor.post(url, data={
            "csrf_token": token, "incident_ids": ["1"], "one": "1",
            "instance_id": str(case.instance_id), "action": "terminate",
            "reason": "an auditor tries"})
        assert response.status_code in (403, 405), (url, response.status_code)
        assert _snapshot(web_services) == before, url
    with web_services.sessions() as session:
        assert session.scalar(select(AccessLogEntry.id).limit(1)) is not None  # looks logged


def test_an_auditor_with_an_admin_role_still_cannot_operate(
        account: Callable[..., FlaskClient], web_services: Services, p9_case: Case) -> None:
    both = account("dual", ("auditor", "admin"), "LM-AUDIT")
    before = _snapshot(web_services)
    assert both.get("/operations").status_code == 403
    assert 'href="/operations' not in both.get("/inbox").text
    response = both.post("/operations/intervene", data={
        "csrf_token": csrf_of(both), "instance_id": str(p9_case.instance_id),
        "action": "suspend", "reason": "test"})
    assert response.status_code == 403
    assert _snapshot(web_services) == before
