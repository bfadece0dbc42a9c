"""The inbox: who sees which task, claiming and releasing, deadlines, and 404 for the rest."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from app.access.scope import Viewer, actionable_filter
from app.db import transaction
from app.db.models import HumanTask
from app.domain.calendar import RIGA, end_of_day, format_lv
from app.engine.runtime import Actor
from app.inbox.service import due_day, due_state, find_actionable_task
from app.services import Services
from tests.web.conftest import PLACEMENT_FORM, post, task_row


def _set_task(services: Services, task_id: int, **values: Any) -> None:
    # The derived table is plain data: tests may put a task into the state they need.
    with transaction(services.sessions) as session:
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(**values))


def _task_links(html: str) -> list[str]:
    return re.findall(r'href="/tasks/(\d+)"', html)


def test_inbox_shows_the_open_tasks_of_my_groups(anna: FlaskClient, p9_task: int,
                                                 web_services: Services) -> None:
    page = anna.get("/inbox")
    assert page.status_code == 200
    assert _task_links(page.text) == [str(p9_task)]
    assert "Reģistrēt ievietošanu" in page.text
    assert "P9-2026-0001" in page.text
    assert "P9 Bērna ārpusģimenes aprūpes ilguma kontrole" in page.text
    assert "Nav piešķirts" in page.text
    assert "Uzņemties" in page.text
    created = task_row(web_services, p9_task).created_at
    assert format_lv(created) in page.text
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", format_lv(created))


def test_a_colleague_of_another_group_may_read_but_not_work_the_task(
        sign_in: Callable[..., FlaskClient], p9_task: int, web_services: Services) -> None:
    olga = sign_in("olga", ("orphan_court",))
    page = olga.get("/inbox")
    assert _task_links(page.text) == []
    assert "Jums pašlaik nav neviena uzdevuma." in page.text
    # Same organisation, so the record is in her scope: she can read it, not fill it in.
    task_page = olga.get(f"/tasks/{p9_task}")
    assert task_page.status_code == 200
    assert 'name="placement_date"' not in task_page.text
    assert post(olga, f"/tasks/{p9_task}/claim").status_code == 404
    assert post(olga, f"/tasks/{p9_task}", PLACEMENT_FORM).status_code == 404
    row = task_row(web_services, p9_task)
    assert (row.status, row.assignee) == ("open", None)


def test_a_tampered_task_id_answers_404_like_a_missing_one(anna: FlaskClient,
                                                           p9_task: int) -> None:
    missing = anna.get(f"/tasks/{p9_task + 1000}")
    assert missing.status_code == 404
    assert "Lapa vai uzdevums nav atrasts, vai tas jums nav pieejams." in missing.text
    assert post(anna, f"/tasks/{p9_task + 1000}/release").status_code == 404
    assert anna.get("/tasks/abc").status_code == 404


def test_completed_tasks_leave_the_inbox(anna: FlaskClient, p9_task: int,
                                         web_services: Services) -> None:
    _set_task(web_services, p9_task, status="cancelled")
    assert _task_links(anna.get("/inbox").text) == []
    # Still part of the case's record: readable, but no longer a form to fill in.
    page = anna.get(f"/tasks/{p9_task}")
    assert page.status_code == 200 and 'name="placement_date"' not in page.text
    assert post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM).status_code == 404


def test_claim_takes_the_task_from_the_group(anna: FlaskClient, sign_in: Callable[..., FlaskClient],
                                             p9_task: int, web_services: Services) -> None:
    bruno = sign_in("bruno")
    response = post(anna, f"/tasks/{p9_task}/claim")
    assert response.status_code == 302
    assert task_row(web_services, p9_task).assignee == "anna"
    mine = anna.get("/inbox").text
    assert "Jūs uzņēmāties uzdevumu „Reģistrēt ievietošanu”." in mine
    assert "Atbrīvot" in mine and ">Jūs<" in mine

    # A colleague of the same group no longer sees it and cannot complete it.
    assert _task_links(bruno.get("/inbox").text) == []
    refused = post(bruno, f"/tasks/{p9_task}", PLACEMENT_FORM)
    assert refused.status_code == 404
    assert "nav pieejams" in refused.text
    row = task_row(web_services, p9_task)
    assert (row.status, row.assignee) == ("open", "anna")


def test_claim_from_the_task_page_comes_back_to_it(anna: FlaskClient, p9_task: int) -> None:
    response = post(anna, f"/tasks/{p9_task}/claim", {"back": "task"})
    assert response.headers["Location"] == f"/tasks/{p9_task}"


def test_release_offers_the_task_to_the_group_again(anna: FlaskClient,
                                                    sign_in: Callable[..., FlaskClient],
                                                    p9_task: int, web_services: Services) -> None:
    post(anna, f"/tasks/{p9_task}/claim")
    response = post(anna, f"/tasks/{p9_task}/release")
    assert response.status_code == 302
    assert task_row(web_services, p9_task).assignee is None
    assert "ir atbrīvots" in anna.get("/inbox").text
    bruno = sign_in("bruno")
    assert _task_links(bruno.get("/inbox").text) == [str(p9_task)]


def test_only_the_assignee_can_release(anna: FlaskClient, sign_in: Callable[..., FlaskClient],
                                       p9_task: int, web_services: Services) -> None:
    bruno = sign_in("bruno")
    # Bruno may see the unclaimed task, but releasing what nobody holds is the engine's refusal.
    response = post(bruno, f"/tasks/{p9_task}/release")
    assert response.status_code == 403
    assert "Jums nav atļauts to darīt ar šo uzdevumu." in response.text


def test_a_colleague_who_claims_first_wins_with_a_clear_message(
        anna: FlaskClient, sign_in: Callable[..., FlaskClient], p9_task: int,
        web_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bruno opened the form while the task was free; Anna claims it just before he submits."""
    bruno = sign_in("bruno")
    form_page = bruno.get(f"/tasks/{p9_task}")
    assert form_page.status_code == 200
    engine = web_services.engine
    real_complete = engine.complete_task

    def anna_claims_first(task_id: int, actor: Actor, data: dict[str, Any]) -> None:
        engine.claim(task_id, Actor("anna", frozenset({"institution"})))
        real_complete(task_id, actor, data)

    monkeypatch.setattr(engine, "complete_task", anna_claims_first)
    response = post(bruno, f"/tasks/{p9_task}", PLACEMENT_FORM)
    assert response.status_code == 403
    assert "Šo uzdevumu pa to laiku uzņēmās Anna, tāpēc jūs to nevarat pabeigt." in response.text
    assert 'value="RIGA-BT"' in response.text
    row = task_row(web_services, p9_task)
    assert (row.status, row.assignee) == ("open", "anna")


def test_a_task_completed_meanwhile_says_by_whom(
        anna: FlaskClient, sign_in: Callable[..., FlaskClient], p9_task: int,
        web_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    bruno = sign_in("bruno")
    engine = web_services.engine
    real_complete = engine.complete_task
    done_by_anna = {k: v for k, v in PLACEMENT_FORM.items() if v}

    def anna_completes_first(task_id: int, actor: Actor, data: dict[str, Any]) -> None:
        real_complete(task_id, Actor("anna", frozenset({"institution"})), done_by_anna)
        real_complete(task_id, actor, data)

    monkeypatch.setattr(engine, "complete_task", anna_completes_first)
    response = post(bruno, f"/tasks/{p9_task}", PLACEMENT_FORM)
    assert response.status_code == 409
    assert "Šis uzdevums jau ir pabeigts; to pabeidza Anna." in response.text
    assert task_row(web_services, p9_task).completed_by == "anna"
    english = bruno.get("/inbox?lang=en")
    assert english.status_code == 200
    monkeypatch.setattr(engine, "complete_task", real_complete)


def test_inbox_lists_soonest_deadline_first_and_tasks_without_one_last(
        anna: FlaskClient, start_p9: Callable[..., int], web_services: Services) -> None:
    no_deadline = start_p9("P9-2026-0001")
    later = start_p9("P9-2026-0002")
    sooner = start_p9("P9-2026-0003")
    also_no_deadline = start_p9("P9-2026-0004")
    _set_task(web_services, later, due_at=end_of_day(date(2031, 5, 2)))
    _set_task(web_services, sooner, due_at=end_of_day(date(2031, 1, 15)))
    links = _task_links(anna.get("/inbox").text)
    assert links == [str(sooner), str(later), str(no_deadline), str(also_no_deadline)]


def test_deadlines_read_as_latvian_days_with_overdue_and_today_marked(
        anna: FlaskClient, start_p9: Callable[..., int], web_services: Services) -> None:
    overdue, today, later = start_p9("P9-A"), start_p9("P9-B"), start_p9("P9-C")
    _set_task(web_services, overdue, due_at=end_of_day(date(2026, 3, 5)) - timedelta(days=400))
    _set_task(web_services, today, due_at=end_of_day(_riga_today()))
    _set_task(web_services, later, due_at=end_of_day(date(2031, 3, 5)))
    page = anna.get("/inbox").text
    row_pattern = r'<tr class="due-(\w+)">\s*<td>\s*<a class="task-link" href="/tasks/(\d+)"'
    states = {task_id: state for state, task_id in re.findall(row_pattern, page)}
    assert states == {str(overdue): "overdue", str(today): "today", str(later): "later"}
    # A deadline "on 05.03.2031" is stored as the next midnight in Riga; it reads as the 5th.
    assert "05.03.2031" in page and "06.03.2031" not in page
    assert "Nokavēts" in page and "Termiņš šodien" in page
    assert _riga_today().strftime("%d.%m.%Y") in page


def _riga_today() -> date:
    return datetime.now(RIGA).date()


def test_english_inbox(anna: FlaskClient, p9_task: int) -> None:
    page = anna.get("/inbox?lang=en").text
    assert "My tasks" in page and "Unassigned" in page and "Claim" in page
    assert "Case number" in page and "Nav piešķirts" not in page


# --- the scoping function itself -----------------------------------------------------------------


def _find(session: Any, username: str, groups: list[str], task_id: int) -> HumanTask | None:
    viewer = Viewer(username, ("caseworker",), tuple(groups), "VSAC-RIGA", "vsac")
    return find_actionable_task(session, viewer, task_id)


def test_group_names_match_whole_words_only(web_services: Services, p9_task: int) -> None:
    _set_task(web_services, p9_task, candidate_groups="institution_admin orphan_court")
    with web_services.sessions() as session:
        assert _find(session, "x", ["institution"], p9_task) is None
        assert _find(session, "x", ["orphan_court"], p9_task) is not None
        assert _find(session, "x", ["institution_admin"], p9_task) is not None
        # LIKE wildcards in a group name are literal characters.
        assert _find(session, "x", ["%"], p9_task) is None
        assert _find(session, "x", ["institution_a%"], p9_task) is None
        assert _find(session, "x", ["orphan_cour_"], p9_task) is None
        assert _find(session, "x", [], p9_task) is None
        assert _find(session, "x", ["institution admin"], p9_task) is None


def test_an_assigned_task_belongs_to_its_assignee_only(web_services: Services,
                                                       p9_task: int) -> None:
    _set_task(web_services, p9_task, assignee="liga", candidate_groups="institution")
    with web_services.sessions() as session:
        assert _find(session, "liga", [], p9_task) is not None
        assert _find(session, "peteris", ["institution"], p9_task) is None


def test_the_scope_is_one_sql_condition() -> None:
    viewer = Viewer("anna", ("caseworker",), ("institution", "ministry"), "VSAC-RIGA", "vsac")
    sql = str(actionable_filter(viewer))
    assert "human_task.status" in sql and "LIKE" in sql.upper()
    assert "human_task.institution_code" in sql


def test_due_day_and_state() -> None:
    deadline = end_of_day(date(2026, 3, 5))
    assert due_day(deadline) == date(2026, 3, 5)
    assert due_day(None) is None
    assert due_state(None, deadline) == "none"
    assert due_state(deadline, deadline) == "overdue"
    assert due_state(deadline, deadline - timedelta(hours=2)) == "today"
    assert due_state(deadline, deadline - timedelta(days=2)) == "soon"
    assert due_state(deadline, deadline - timedelta(days=5)) == "later"


def test_a_nul_character_in_a_search_is_refused_in_words(anna: FlaskClient) -> None:
    page = anna.get("/inbox?person=B%00rns")
    assert page.status_code == 400
    assert "neatļauta rakstzīme (NUL)" in page.text
