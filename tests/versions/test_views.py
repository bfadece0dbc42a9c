"""The compare, migrate and unit-test pages reachable from the process catalogue."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from app.db.models import Event
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import P9, PLACEMENT_FORM, open_tasks, p9_start_data
from tests.engine.test_migration import deploy, placement_removed, report_form_changed
from tests.web.conftest import csrf_of

INSTITUTION = Actor("inese", frozenset({"institution"}))


def _waiting_for_report(services: Services) -> int:
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-V-1", actor=Actor("t"))
    [placement] = open_tasks(services, iid)
    services.engine.complete_task(placement.id, INSTITUTION, PLACEMENT_FORM)
    return iid


def test_catalogue_links_compare_and_unit_tests(owner: FlaskClient, web_services: Services) -> None:
    _waiting_for_report(web_services)
    deploy(web_services, report_form_changed())
    page = owner.get("/processes").text
    assert f"/processes/{P9}/compare?from=1&amp;to=2" in page
    assert f"/processes/{P9}/migrate?from=1&amp;to=2" in page
    assert f"/processes/{P9}/unit-tests" in page


def test_compare_page_lists_the_changed_form(auditor: FlaskClient, web_services: Services) -> None:
    deploy(web_services, report_form_changed())
    page = auditor.get(f"/processes/{P9}/compare?from=1&to=2")
    assert page.status_code == 200
    assert "submit_periodic_report" in page.text and "veidlapa" in page.text


def test_migrate_page_dry_run_then_confirm(owner: FlaskClient, web_services: Services) -> None:
    iid = _waiting_for_report(web_services)
    deploy(web_services, report_form_changed())
    page = owner.get(f"/processes/{P9}/migrate?from=1&to=2")
    assert page.status_code == 200 and "P9-V-1" in page.text
    done = owner.post(f"/processes/{P9}/migrate",
                      data={"csrf_token": csrf_of(owner), "from": "1", "to": "2"})
    assert done.status_code == 302
    with web_services.sessions() as session:
        event = session.scalars(select(Event).where(Event.instance_id == iid,
                                                    Event.kind == "instance_migrated")).one()
    assert event.actor == "peteris"
    back = owner.post("/processes/revert-migration",
                      data={"csrf_token": csrf_of(owner), "instance": str(iid)})
    assert back.status_code == 302
    with web_services.sessions() as session:
        kinds = list(session.scalars(select(Event.kind).where(
            Event.instance_id == iid, Event.kind == "instance_migrated")))
    assert len(kinds) == 2


def test_migrate_page_says_why_an_instance_cannot_move(owner: FlaskClient,
                                                      web_services: Services) -> None:
    web_services.engine.start(P9, p9_start_data(), business_key="P9-V-2", actor=Actor("t"))
    deploy(web_services, placement_removed())
    page = owner.get(f"/processes/{P9}/migrate?from=1&to=2").text
    assert "register_placement, which the new version no longer has" in page


def test_unit_tests_run_from_the_catalogue(owner: FlaskClient) -> None:
    page = owner.post(f"/processes/{P9}/unit-tests", data={"csrf_token": csrf_of(owner)})
    assert page.status_code == 200
    assert page.text.count('class="case-passed"') >= 3 and 'class="case-failed"' not in page.text


def test_only_process_owners_migrate(caseworker: FlaskClient, auditor: FlaskClient) -> None:
    assert caseworker.get(f"/processes/{P9}/compare?from=1&to=1").status_code == 403
    assert auditor.get(f"/processes/{P9}/migrate?from=1&to=1").status_code == 403
    assert auditor.post(f"/processes/{P9}/migrate",
                        data={"csrf_token": csrf_of(auditor), "from": "1", "to": "1"}
                        ).status_code == 403
