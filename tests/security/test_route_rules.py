"""Every route of the app has one access rule, and each rule holds.

``RULES`` is the one table: each endpoint of the Flask app (pages, downloads, the API) with who
may use it. A route that is added without a line here fails
``test_every_route_has_exactly_one_rule`` with its name. The kinds:

- ``public``: anyone (the sign-in page, the health check, static files, the open data);
- ``signed_in``: any signed-in person; what the page lists is cut to their record scope
  (``app/access/scope.py``), which ``tests/access/test_record_matrix.py`` walks through;
- ``roles``: only the roles or organisation kinds named; everyone else 403 or 404;
- ``record``: one record, read or changed only within the person's scope; another
  organisation's record answers 404 exactly like a missing one;
- ``own``: a row that belongs to the person (a saved filter, a draft); anyone else's is 404;
- ``api`` / ``api_record``: ``/api/v1``, by API key or bearer token only, scoped the same way;
- ``scraper``: the metrics, for the monitoring's addresses or token only.

Then, for every route: anonymous requests are sent to sign in (pages) or answered 401 (API);
the accounts a rule refuses get 403 or 404, the account it allows gets the page; a record-scoped
route answers 404 to another organisation's account for the same record that its own
organisation reads.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule as UrlRule
from werkzeug.test import TestResponse

from app.config import PROJECT_ROOT
from app.db.models import Event
from tests.security.demo_world import World, world
from tests.web.conftest import csrf_from

__all__ = ["world"]

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Rule:
    kind: str
    who: str = ""
    # An account the rule lets through (GET routes are requested with it).
    allowed: str | None = None
    # Accounts the rule refuses: each gets 403 or 404.
    refused: tuple[str, ...] = ()
    # For record and own rules: the world's record that fills the path, the account of its own
    # organisation (or its owner) and one of another organisation.
    record: str | None = None
    outsider: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    # A form that would be accepted, so that what refuses the request is the rule.
    form: dict[str, str] = field(default_factory=dict)
    # Refuses a change by sending the person back with a message (302) instead of 403/404;
    # the test then checks that nothing was written to the audit trail.
    refuses_with_message: bool = False


PUBLIC = Rule("public", "anyone")
SIGNED_IN = Rule("signed_in", "any signed-in person; lists only their record scope")
API = Rule("api", "API key or bearer token; lists only the client's record scope")


def roles(who: str, allowed: str, *refused: str, **more: Any) -> Rule:
    # An account without any role is refused everywhere a role is asked for.
    return Rule("roles", who, allowed, (*refused, "noroles"), **more)


def record(record: str, owner: str, outsider: str, *refused: str, who: str = "",
           **more: Any) -> Rule:
    return Rule("record", who or "its organisation's people, within their scope", owner,
                refused, record, outsider, **more)


def own(record: str, owner: str, outsider: str, who: str) -> Rule:
    return Rule("own", who, owner, (), record, outsider)


def api_record(record: str, *refused: str) -> Rule:
    return Rule("api_record", "API clients whose scope holds the record", "RIGA", refused,
                record, "JELGAVA")


OPERATORS = ("admin and operator, never an auditor", "operators", "soc", "auditors", "procesi")
MODEL_READERS = ("process owners and admins; auditors read", "procesi", "soc", "iestade")
MODEL_MANAGERS = ("process owners and admins", "procesi", "auditors", "soc")
ADOPTION_READERS = ("the adoption register unit; auditors read", "adopcija", "ministrija", "soc")
ADOPTION_CHANGERS = ("the adoption register unit's caseworkers", "adopcija", "auditors",
                     "ministrija")
WORKERS = ("auditors",)  # read-only accounts refused wherever a record is changed

RULES: dict[str, Rule] = {
    # --- signing in, health, static files
    "auth.login": PUBLIC,
    "auth.sso_start": PUBLIC,
    "auth.sso_callback": Rule("public", "anyone; refused unless it carries this browser's state"),
    "auth.logout": SIGNED_IN,
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "metrics": Rule("scraper", "the addresses of DICASE_METRICS_ALLOW, or with "
                               "DICASE_METRICS_TOKEN"),
    "static": PUBLIC,
    "community_preparation.static": PUBLIC,
    "opendata.static": PUBLIC,
    # --- open data: published releases are public; the review is the statistician's
    "opendata.index": PUBLIC,
    "opendata.dataset_page": PUBLIC,
    "opendata.catalogue": PUBLIC,
    "opendata.datapackage": PUBLIC,
    "opendata.period_csv": PUBLIC,
    "opendata.period_json": PUBLIC,
    "opendata.version_csv": PUBLIC,
    "opendata.version_json": PUBLIC,
    "opendata.review": roles("the ministry (the statistician acts)", "statistika", "soc",
                             "iestade"),
    # --- inbox and tasks
    "inbox.home": SIGNED_IN,
    "inbox.index": SIGNED_IN,
    "inbox.save_filter": Rule("signed_in", "any signed-in person, for themselves"),
    "inbox.delete_filter": own("filter", "soc", "jelgava", "the filter's owner"),
    "inbox.task": record("task", "soc", "jelgava"),
    "inbox.claim": record("task", "soc", "jelgava", *WORKERS),
    "inbox.release": record("task", "soc", "jelgava", *WORKERS),
    "inbox.assign": record("task", "socvad", "jelgava", *WORKERS, "soc",
                           who="supervisors, within their scope"),
    "inbox.delegate": record("task", "soc", "jelgava", *WORKERS),
    "inbox.take_back": record("task", "soc", "jelgava", *WORKERS),
    "forms.discard_draft": Rule("signed_in", "any signed-in person; only their own draft"),
    "forms.download": record("attachment", "soc", "jelgava"),
    # --- persons, case file, documents, notifications
    "cases.search": SIGNED_IN,
    "cases.person": record("person", "soc", "jelgava"),
    "documents.download": record("document", "soc", "jelgava"),
    "notifications.index": SIGNED_IN,
    "notifications.received": record("message", "soc", "jelgava", *WORKERS,
                                     who="the addressed organisation's caseworkers"),
    # --- history and audit
    "history.instances": SIGNED_IN,
    "history.instance": record("instance", "soc", "jelgava"),
    "history.export_pdf": record("instance", "soc", "jelgava"),
    "history.export_json": record("instance", "soc", "jelgava"),
    "history.access": roles("auditors", "auditors", "soc", "admin"),
    # --- operations
    "operations.cockpit": roles(*OPERATORS),
    "operations.retry": roles(*OPERATORS),
    "operations.intervene": roles(*OPERATORS),
    "operations.move_token": roles(*OPERATORS),
    "outbox.index": roles(*OPERATORS),
    "outbox.retry": roles(*OPERATORS),
    # --- processes: catalogue, modeler, versions
    "modeler.catalogue": roles(*MODEL_READERS),
    "modeler.download_version": roles(*MODEL_READERS),
    "modeler.download_decisions": roles(*MODEL_READERS),
    "modeler.modeler": roles(*MODEL_MANAGERS),
    "modeler.new_process": roles(*MODEL_MANAGERS, query={"key": "p99_new"}),
    "modeler.forms_list": roles(*MODEL_MANAGERS),
    "modeler.operations_list": roles(*MODEL_MANAGERS),
    "modeler.validate": roles(*MODEL_MANAGERS),
    "modeler.save_draft": roles(*MODEL_MANAGERS),
    "modeler.deploy": roles(*MODEL_MANAGERS),
    "modeler.decision_editor": roles(*MODEL_MANAGERS),
    "modeler.form_editor": roles(*MODEL_MANAGERS),
    "modeler.form_preview": roles(*MODEL_MANAGERS),
    "modeler.save_form_draft": roles(*MODEL_MANAGERS),
    # Drafts are shared between the process owners (the catalogue lists everyone's).
    "modeler.download_draft": roles(*MODEL_MANAGERS, record="draft"),
    "versions.compare": roles(*MODEL_READERS, query={"from": "1", "to": "1"}),
    "versions.migrate_plan": roles(*MODEL_MANAGERS, query={"from": "1", "to": "1"}),
    "versions.migrate_run": roles(*MODEL_MANAGERS),
    "versions.unit_tests": roles(*MODEL_MANAGERS),
    "versions.revert": roles(*MODEL_MANAGERS),
    # --- process areas
    "assessment.start": record("person", "soc", "jelgava", *WORKERS, "procesi"),
    "assessment.compare": record("planned_person", "soc", "jelgava"),
    "co_payment.residents": roles("a VSAC's people", "iestade", "soc"),
    "co_payment.admit": record("person", "iestade", "latgale", *WORKERS, "soc",
                               who="a VSAC's caseworkers, for persons in its care"),
    "community_preparation.residents": SIGNED_IN,
    "community_preparation.activity_log": record("p6_person", "mentors", "latgale"),
    "community_services.index": SIGNED_IN,
    "community_services.errors": SIGNED_IN,
    "community_services.errors_csv": SIGNED_IN,
    "community_services.upload": roles("a municipality's caseworkers", "soc", "iestade",
                                       "auditors"),
    "community_services.add": roles("a municipality's caseworkers", "soc", "iestade",
                                    "auditors"),
    "community_services.start_cycle": roles("a municipality's caseworkers", "soc", "iestade",
                                            "auditors"),
    "community_services.correct_form": record("service_record", "soc", "jelgava", "iestade"),
    "community_services.correct": record("service_record", "soc", "jelgava", "iestade",
                                         *WORKERS),
    "group_homes.reports": SIGNED_IN,
    "group_homes.report_csv": record("group_home_report", "soc", "jelgava"),
    "nsk.reports": SIGNED_IN,
    "nsk.payments": SIGNED_IN,
    "nsk.report": record("nsk_report", "soc", "jelgava"),
    "nsk.report_csv": record("nsk_report", "soc", "jelgava"),
    "nsk.start_check": record("person", "iestade", "latgale", *WORKERS,
                              form={"check_date": "01.01.2026"}, refuses_with_message=True),
    "out_of_family_care.new_placement": roles("caseworkers of a VSAC or service provider",
                                              "iestade", "soc", "auditors"),
    "out_of_family_care.end_placement": record("placement", "iestade", "latgale", *WORKERS,
                                               "soc"),
    "child_protection.decisions": SIGNED_IN,
    "region_data.index": roles("planning regions and the ministry", "regions", "soc"),
    "region_data.export_csv": roles("planning regions and the ministry", "regions", "soc"),
    "region_data.export_xlsx": roles("planning regions and the ministry", "regions", "soc"),
    "adoption.children": roles(*ADOPTION_READERS),
    "adoption.adopters": roles(*ADOPTION_READERS),
    "adoption.matches": roles(*ADOPTION_READERS),
    "adoption.child": record("adoption_child", "adopcija", "ministrija"),
    "adoption.adopter": record("adopter", "adopcija", "ministrija"),
    "adoption.extract": record("adopter", "adopcija", "ministrija"),
    "adoption.match": record("match", "adopcija", "ministrija"),
    "adoption.start_match": record("adoption_child", "adopcija", "ministrija", *WORKERS),
    "adoption.contacts": roles(*ADOPTION_CHANGERS),
    "adoption.new_child": roles(*ADOPTION_CHANGERS),
    "adoption.new_adopter": roles(*ADOPTION_CHANGERS),
    "adoption.edit_child": record("adoption_child", "adopcija", "ministrija", *WORKERS),
    "adoption.edit_adopter": record("adopter", "adopcija", "ministrija", *WORKERS),
    "adoption.renew_adopter": record("adopter", "adopcija", "ministrija", *WORKERS),
    "adoption.withdraw_adopter": record("adopter", "adopcija", "ministrija", *WORKERS),
    # --- reports: the catalogue lists what the person may see; a report outside its audience
    # (catalogue.yaml) is 404 like a missing one
    "reports.static": PUBLIC,
    "reports.catalogue": SIGNED_IN,
    **{f"reports.{name}": Rule("roles", "the organisations a report is for", "ministrija",
                               ("iestade", "adopcija"))
       for name in ("dashboard", "figures", "records", "export_csv", "export_xlsx",
                    "export_pdf")},
    # the monthly pack: a person's own subscriptions and packs
    "reports.report_subscriptions.page": SIGNED_IN,
    "reports.report_subscriptions.save": SIGNED_IN,
    "reports.report_subscriptions.download": own("report_pack", "soc", "jelgava",
                                                 "the pack's subscriber"),
    # --- the API (docs/api.md); keys of Rīga's and Jelgava's social services and an auditor
    "api.openapi_document": Rule("public", "anyone: the API's description"),
    "api.list_tasks": API,
    "api.get_task": api_record("task"),
    "api.get_task_form": api_record("task"),
    "api.claim_task": api_record("task", "LM-AUDIT"),
    "api.release_task": api_record("task", "LM-AUDIT"),
    "api.assign_task": api_record("task", "LM-AUDIT"),
    "api.delegate_task": api_record("task", "LM-AUDIT"),
    "api.take_back_task": api_record("task", "LM-AUDIT"),
    "api.complete_task": api_record("task", "LM-AUDIT"),
    "api.search_persons": API,
    "api.get_person": api_record("person"),
    "api.register_person": Rule("api", "API clients with a working role", "RIGA", ("LM-AUDIT",)),
    "api.start_process": api_record("person", "LM-AUDIT"),
    "api.deliver_support_plan_version": Rule("api", "API clients with a working role", "RIGA",
                                             ("LM-AUDIT",)),
    "api.deliver_orphan_court_decision": Rule("api", "API clients with a working role", "RIGA",
                                              ("LM-AUDIT",)),
    "api.deliver_co_payment_correction": Rule("api", "API clients with a working role", "RIGA",
                                              ("LM-AUDIT",)),
}

# Path parameters that are not the rule's record.
_PLAIN_VALUES = {"key": "p09_out_of_family_care", "version": 1, "dataset": "D1",
                 "period": "2025", "filename": "css/app.css", "case_reference": "IAP-0",
                 "report_id": "assessment_tasks"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url_rule: UrlRule

    def __str__(self) -> str:
        return f"{self.method} {self.url_rule.rule} ({self.endpoint})"


def _routes(world: World) -> Iterator[Route]:
    for url_rule in sorted(world.app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted((url_rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Route(url_rule.endpoint, method, url_rule)


def _path(world: World, route: Route, *, real: bool) -> str:
    """The route's address: with the world's record for its rule (``real``), else with
    made-up values (enough for requests that must be refused before any record is read)."""
    rule = RULES[route.endpoint]
    values: dict[str, Any] = {}
    for argument in route.url_rule.arguments:
        if argument == "name":
            values[argument] = world.ids["decisions" if "decision" in route.endpoint
                                         else "form"]
        elif argument in _PLAIN_VALUES:
            values[argument] = _PLAIN_VALUES[argument]
        elif real and rule.record:
            values[argument] = world.ids[rule.record]
        else:
            values[argument] = 999999
    adapter = world.app.url_map.bind("localhost")
    return adapter.build(route.endpoint, values, method=route.method,
                         append_unknown=False) + _query(rule)


def _query(rule: Rule) -> str:
    return ("?" + "&".join(f"{k}={v}" for k, v in rule.query.items())) if rule.query else ""


_tokens: dict[FlaskClient, str] = {}
# Bodies that pass validation, so that what refuses a request is the rule and not the body.
_API_BODIES = {"api.start_process": {"process_key": "p01_adult_needs_assessment"}}


def _send(client: FlaskClient, method: str, path: str,
          form: dict[str, str] | None = None) -> TestResponse:
    """A request as the browser sends it: a form that POSTs carries the session's CSRF token."""
    if method not in STATE_CHANGING or path.startswith("/api/"):
        return client.open(path, method=method)
    token = _tokens.get(client)
    if token is None:
        page = client.get("/login")
        token = _tokens[client] = csrf_from(client.get("/inbox") if page.status_code == 302
                                            else page)
    return client.open(path, method=method, data={**(form or {}), "csrf_token": token})


def _api(world: World, organisation: str, route: Route, path: str) -> TestResponse:
    return world.anonymous().open(
        path, method=route.method, json=_API_BODIES.get(route.endpoint, {}),
        headers={"Authorization": f"ApiKey {world.api_keys[organisation]}"})


def _event_count(world: World) -> int:
    with world.services.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Event)) or 0)


def _to_login(response: TestResponse) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


# Accounts that read records but never change them: refused on every state-changing request of
# a record route, whatever the record.
READ_ONLY = ("auditors", "noroles")


# --- the table is complete ----------------------------------------------------------------------


def test_every_route_has_exactly_one_rule(world: World) -> None:
    endpoints = {route.endpoint: str(route) for route in _routes(world)}
    without = sorted(f"{shown}: add it to RULES in {__name__}" for endpoint, shown
                     in endpoints.items() if endpoint not in RULES)
    assert not without, "routes without an access rule:\n" + "\n".join(without)
    gone = sorted(set(RULES) - set(endpoints))
    assert not gone, f"rules for routes that no longer exist: {gone}"


def test_every_operation_of_the_openapi_document_has_an_api_rule(world: World) -> None:
    document = yaml.safe_load((PROJECT_ROOT / "docs" / "api" / "openapi.yaml").read_text())
    adapter = world.app.url_map.bind("localhost")
    missing = []
    for path, operations in document["paths"].items():
        concrete = "/api/v1" + path.replace("{", "").replace("}", "")
        concrete = "/".join("1" if part.endswith("_id") else part for part in concrete.split("/"))
        for method in operations:
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            endpoint, _ = adapter.match(concrete, method=method.upper())
            if not RULES.get(endpoint, PUBLIC).kind.startswith("api") \
                    and endpoint != "api.openapi_document":
                missing.append(f"{method.upper()} {path} ({endpoint})")
    assert not missing, f"API operations without an API rule: {missing}"


# --- anonymous ----------------------------------------------------------------------------------


def test_anonymous_requests_sign_in_first_or_get_401(world: World) -> None:
    wrong = []
    for route in _routes(world):
        rule = RULES[route.endpoint]
        response = _send(world.anonymous(), route.method, _path(world, route, real=True))
        if rule.kind == "public":
            ok = response.status_code < 500 and not _to_login(response)
        elif rule.kind == "scraper":
            # The test client comes from 127.0.0.1; anyone else is refused.
            elsewhere = world.anonymous().open(_path(world, route, real=True), method=route.method,
                                               environ_base={"REMOTE_ADDR": "203.0.113.9"})
            ok = elsewhere.status_code == 403
        elif rule.kind.startswith("api"):
            ok = response.status_code == 401
        else:
            ok = _to_login(response)
        if not ok:
            wrong.append(f"{route} [{rule.kind}] answered {response.status_code} "
                         f"{response.headers.get('Location', '')}")
    assert not wrong, "\n".join(wrong)


# --- roles --------------------------------------------------------------------------------------


def test_accounts_without_the_role_are_refused(world: World) -> None:
    wrong = []
    for route in _routes(world):
        rule = RULES[route.endpoint]
        if rule.kind not in ("roles", "record"):
            continue
        refused = rule.refused
        if rule.kind == "record" and route.method in STATE_CHANGING:
            refused = (*refused, *READ_ONLY)
        for username in refused:
            events = _event_count(world)
            response = _send(world.client(username), route.method, _path(world, route, real=True),
                             rule.form)
            if rule.refuses_with_message and response.status_code == 302 \
                    and _event_count(world) == events:
                continue
            if response.status_code not in (403, 404):
                wrong.append(f"{route}: {username} got {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_allowed_account_reads_each_page(world: World) -> None:
    """The other side of the refusals: the same address answers the account the rule allows
    (for a record: its own organisation), so they are about the rule and not about a record
    that is not there."""
    wrong = []
    for route in _routes(world):
        rule = RULES[route.endpoint]
        if route.method != "GET" or rule.allowed is None or rule.kind.startswith("api"):
            continue
        response = world.client(rule.allowed).get(_path(world, route, real=True))
        if response.status_code != 200:
            wrong.append(f"{route}: {rule.allowed} got {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_signed_in_person_of_any_organisation_gets_the_signed_in_pages(world: World) -> None:
    wrong = []
    for route in _routes(world):
        if RULES[route.endpoint].kind != "signed_in" or route.method != "GET":
            continue
        for username in ("noroles", "jelgava", "auditors"):
            response = world.client(username).get(_path(world, route, real=True))
            if response.status_code not in (200, 302) or _to_login(response):
                wrong.append(f"{route}: {username} got {response.status_code}")
    assert not wrong, "\n".join(wrong)


# --- records ------------------------------------------------------------------------------------


def test_another_organisations_record_is_404_on_every_record_route(world: World) -> None:
    wrong = []
    for route in _routes(world):
        rule = RULES[route.endpoint]
        if rule.kind not in ("record", "own") or rule.outsider is None:
            continue
        path = _path(world, route, real=True)
        response = _send(world.client(rule.outsider), route.method, path, rule.form)
        if response.status_code != 404:
            wrong.append(f"{route}: {rule.outsider} got {response.status_code} for {path}")
    assert not wrong, "\n".join(wrong)


def test_the_api_answers_404_for_another_organisations_record_and_403_to_read_only_keys(
        world: World) -> None:
    wrong = []
    for route in _routes(world):
        rule = RULES[route.endpoint]
        if not rule.kind.startswith("api"):
            continue
        path = _path(world, route, real=True)
        if rule.outsider is not None:
            status = _api(world, rule.outsider, route, path).status_code
            if status != 404:
                wrong.append(f"{route}: a key of {rule.outsider} got {status}")
        if rule.allowed is not None and route.method == "GET":
            status = _api(world, rule.allowed, route, path).status_code
            if status != 200:
                wrong.append(f"{route}: a key of {rule.allowed} got {status}")
        for organisation in rule.refused:
            status = _api(world, organisation, route, path).status_code
            if status not in (403, 404):
                wrong.append(f"{route}: a key of {organisation} got {status}")
    assert not wrong, "\n".join(wrong)


# --- CSRF ---------------------------------------------------------------------------------------


def test_every_state_changing_request_without_the_csrf_token_is_refused(world: World) -> None:
    """Signed in as an account that could do it (the rule's), a form without the session's
    token, or with another one, is refused (400) before the view runs; the API, which never
    reads the session cookie, answers 401 to the cookie alone."""
    wrong = []
    other_token = csrf_from(world.anonymous().get("/login"))
    for route in _routes(world):
        if route.method not in STATE_CHANGING:
            continue
        rule = RULES[route.endpoint]
        web_account = rule.kind in ("roles", "record", "own")
        client = world.client(rule.allowed if web_account and rule.allowed else "soc")
        path = _path(world, route, real=True)
        events = _event_count(world)
        if path.startswith("/api/"):
            status = client.open(path, method=route.method, json={}).status_code
            if status != 401:
                wrong.append(f"{route}: with the session cookie alone {status}")
            continue
        for token in (None, other_token):
            data = {**rule.form, **({"csrf_token": token} if token else {})}
            response = client.open(path, method=route.method, data=data)
            if response.status_code != 400:
                wrong.append(f"{route}: token {token and 'of another session'} answered "
                             f"{response.status_code}")
        if _event_count(world) != events:
            wrong.append(f"{route}: something was written")
    assert not wrong, "\n".join(wrong)
