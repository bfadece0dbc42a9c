"""The access log page answers a data subject's access request ("who looked at my child's file
last month") and an investigation ("what did this user look at"), for auditors only; looking at
the access log is itself logged."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import transaction
from app.db.models import AccessLogEntry, HumanTask
from app.domain.calendar import today_in_latvia
from app.services import Services

from .conftest import Case


def _entry(services: Services, at: datetime, username: str, record_type: str,
           record_id: int, path: str) -> None:
    with transaction(services.sessions) as session:
        session.add(AccessLogEntry(at=at, username=username, organisation_code="RIGA",
                                   action="view", record_type=record_type, record_id=record_id,
                                   path=path))


def _table(page: str) -> str:
    assert 'class="task-table access-table"' in page, "no results table"
    return page[page.index('class="task-table access-table"'):page.index("</table>",
                                page.index('class="task-table access-table"'))]


def test_who_saw_the_childs_file_last_month(auditor: FlaskClient,
                                            account: Callable[..., FlaskClient],
                                            p9_case: Case, web_services: Services) -> None:
    caseworker = account("inese", ("caseworker",), "VSAC-RIGA", ("institution",),
                         display_name="Inese Kalniņa")
    assert caseworker.get(f"/persons/{p9_case.person_id}").status_code == 200
    with web_services.sessions() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == p9_case.instance_id, HumanTask.status == "open"))
    assert caseworker.get(f"/tasks/{task_id}").status_code == 200
    now = datetime.now(UTC)
    _entry(web_services, now - timedelta(days=70), "old-look", "person", p9_case.person_id,
           f"/persons/{p9_case.person_id}")
    _entry(web_services, now, "someone", "person", p9_case.person_id + 1, "/persons/other")

    # The person search is the case file's: by name (or code), every person for an auditor.
    found = auditor.get("/audit/access?q=P9-2026-0001").text
    assert f"person={p9_case.person_id}" in found and "Bērns P9-2026-0001" in found
    page = auditor.get(f"/audit/access?person={p9_case.person_id}").text
    table = _table(page)
    assert "Inese Kalniņa" in table and f"/persons/{p9_case.person_id}" in table
    assert f"/tasks/{task_id}" in table and "Uzdevums" in table
    assert "old-look" in table and "someone" not in table
    # Last month only.
    # The filter counts Latvian days (the server's UTC date is a day behind late in the evening).
    today = today_in_latvia()
    start = (today - timedelta(days=30)).isoformat()
    table = _table(auditor.get(f"/audit/access?person={p9_case.person_id}&from={start}"
                               f"&to={today.isoformat()}").text)
    assert "Inese Kalniņa" in table and "old-look" not in table
    # Dates written the Latvian way work too.
    lv_start = (today - timedelta(days=30)).strftime("%d.%m.%Y")
    table = _table(auditor.get(f"/audit/access?person={p9_case.person_id}&from={lv_start}").text)
    assert "old-look" not in table
    assert "rakstiet to formā" in auditor.get("/audit/access?person=1&from=yesterday").text


def test_what_a_user_looked_at_a_page_at_a_time(auditor: FlaskClient, p9_case: Case,
                                                web_services: Services) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(55):
        _entry(web_services, start + timedelta(seconds=n), "prying", "person", 1000 + n,
               f"/persons/{1000 + n}")
    first = auditor.get("/audit/access?user=prying").text
    assert "Ieraksti 1–50 no 55" in first and "/persons/1054" in first
    assert "/persons/1004" not in first and "page=2" in first
    second = auditor.get("/audit/access?user=prying&page=2").text
    assert "Ieraksti 51–55 no 55" in second and "/persons/1004" in second


def test_the_access_log_is_for_auditors_only_and_looking_is_logged(
        auditor: FlaskClient, account: Callable[..., FlaskClient], p9_case: Case,
        web_services: Services) -> None:
    for roles, organisation in ((("caseworker", "supervisor"), "VSAC-RIGA"),
                                (("admin",), "LM"), (("process_owner",), "LM")):
        other = account(f"user-{roles[0]}", roles, organisation)
        assert other.get(f"/audit/access?person={p9_case.person_id}").status_code == 403
        assert "Piekļuves žurnāls" not in other.get("/inbox").text
    assert "Piekļuves žurnāls" in auditor.get("/inbox").text
    auditor.get(f"/audit/access?person={p9_case.person_id}")
    auditor.get("/audit/access?user=inese")
    auditor.get("/audit/access?q=Bērns")
    with web_services.sessions() as session:
        looks = session.execute(select(AccessLogEntry.record_type, AccessLogEntry.record_id,
                                       AccessLogEntry.action)
                                .where(AccessLogEntry.username == "auditore")
                                .order_by(AccessLogEntry.id)).all()
    assert [tuple(look) for look in looks] == [("access_log", p9_case.person_id, "view"),
                                               ("access_log", None, "search"),
                                               ("person", None, "search")]
    # The auditor's own look is part of the child's answer next time.
    table = _table(auditor.get(f"/audit/access?person={p9_case.person_id}").text)
    assert "Piekļuves žurnāls" in table
