"""The monthly pack page (/reports/subscriptions) and the pack download: a person chooses among
the reports they may see and gives an address; a pack opens only for its owner."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.auth.service import create_user
from app.config import Settings
from app.db import transaction
from app.db.models import ReportPack, ReportSubscription, User
from app.engine.deploy import deploy_source
from app.reports import pack
from app.services import Services, build_services
from tests.conftest import PROCESSES, make_settings
from tests.web.conftest import PASSWORD, csrf_from, login

PAGE = "/reports/subscriptions"


@pytest.fixture
def web(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings: Settings = make_settings(database_url, secret_key="pack-view-tests",
                                       mail_dir=tmp_path_factory.mktemp("mail"))
    services = build_services(settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{pack.PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


@pytest.fixture
def app(web: Services) -> Flask:
    app = create_app(services=web)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def signed_in(app: Flask, web: Services) -> Callable[..., FlaskClient]:
    def sign_in(username: str, organisation: str) -> FlaskClient:
        with transaction(web.sessions) as session:
            create_user(session, username, username.capitalize(), PASSWORD,
                        roles=["caseworker"], organisation_code=organisation)
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return sign_in


def chosen(web: Services, username: str) -> set[str]:
    with web.sessions() as session:
        return set(session.scalars(select(ReportSubscription.report_id).join(
            User, User.id == ReportSubscription.user_id).where(User.username == username)))


def test_the_page_offers_only_the_reports_the_person_may_see(
        signed_in: Callable[..., FlaskClient]) -> None:
    riga = signed_in("riga-sd", "RIGA")
    page = riga.get(PAGE)
    assert page.status_code == 200
    assert 'value="co_payments"' in page.text and 'value="assessment_tasks"' in page.text
    # The breakdown per expert is the ministry's and the planning regions'.
    assert "assessment_tasks_by_expert" not in page.text
    ministry = signed_in("ministrija", "LM").get(PAGE)
    assert 'value="assessment_tasks_by_expert"' in ministry.text


def test_subscribing_saving_and_unsubscribing(signed_in: Callable[..., FlaskClient],
                                              web: Services) -> None:
    riga = signed_in("riga-sd", "RIGA")
    token = csrf_from(riga.get(PAGE))
    saved = riga.post(PAGE, data={"csrf_token": token, "email": "sd@riga.example.lv",
                                  "report_ids": ["co_payments", "assessment_tasks"],
                                  "action": "save"}, follow_redirects=True)
    assert saved.status_code == 200 and "sd@riga.example.lv" in saved.text
    assert chosen(web, "riga-sd") == {"co_payments", "assessment_tasks"}
    assert saved.text.count("checked") == 2

    # A report outside the person's catalogue (a tampered form) is refused, nothing changes.
    refused = riga.post(PAGE, data={"csrf_token": token, "email": "sd@riga.example.lv",
                                    "report_ids": ["assessment_tasks_by_expert"],
                                    "action": "save"}, follow_redirects=True)
    assert refused.status_code == 200
    assert chosen(web, "riga-sd") == {"co_payments", "assessment_tasks"}
    # A wrong address likewise.
    riga.post(PAGE, data={"csrf_token": token, "email": "nav adrese",
                          "report_ids": ["co_payments"], "action": "save"})
    assert chosen(web, "riga-sd") == {"co_payments", "assessment_tasks"}

    riga.post(PAGE, data={"csrf_token": token, "email": "sd@riga.example.lv",
                          "report_ids": ["co_payments"], "action": "unsubscribe"})
    assert chosen(web, "riga-sd") == set()


def test_a_pack_downloads_only_for_its_owner(signed_in: Callable[..., FlaskClient],
                                             web: Services) -> None:
    riga = signed_in("riga-sd", "RIGA")
    other = signed_in("jurmala-sd", "JURMALA")
    [iid] = pack.ensure_running(web.engine, web.sessions)
    with transaction(web.sessions) as session:
        owner = session.scalars(select(User).where(User.username == "riga-sd")).one()
        row = ReportPack(user_id=owner.id, period="2026-01", instance_id=iid, contents=[],
                         content=b"%PDF-1.7 pack", content_sha256="0" * 64, size=13)
        session.add(row)
        session.flush()
        pack_id = row.id
    own = riga.get(f"/reports/packs/{pack_id}")
    assert own.status_code == 200 and own.data == b"%PDF-1.7 pack"
    assert own.headers["Content-Type"] == "application/pdf"
    assert "attachment" in own.headers["Content-Disposition"]
    assert own.headers["Cache-Control"] == "private, no-store"
    assert f"/reports/packs/{pack_id}" in riga.get(PAGE).text
    assert other.get(f"/reports/packs/{pack_id}").status_code == 404
    assert riga.get(f"/reports/packs/{pack_id + 1}").status_code == 404
    assert Flask.test_client(riga.application).get(
        f"/reports/packs/{pack_id}").status_code in (302, 401)
