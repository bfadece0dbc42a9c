"""The inbox's tabs, filters, search, paging and saved filters, and handing tasks between
colleagues (assign, delegate, take back)."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.db import transaction
from app.db.models import Event, HumanTask, SavedFilter, utcnow
from app.inbox.service import InboxQuery, inbox_page
from app.services import Services
from tests.web.conftest import PASSWORD, login, post, task_row


def _set_task(services: Services, task_id: int, **values: Any) -> None:
    with transaction(services.sessions) as session:
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(**values))


def _links(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/tasks/(\d+)"', html)]


def _count(html: str, tab_label: str) -> int:
    match = re.search(re.escape(tab_label) + r'\s*<span class="count"[^>]*>(\d+)<', html)
    assert match, f"no count for {tab_label}"
    return int(match.group(1))


def test_tabs_split_my_tasks_from_my_groups_with_counts(
        anna: FlaskClient, start_p9: Callable[..., int]) -> None:
    first, second = start_p9("P9-2026-0001"), start_p9("P9-2026-0002")
    # Nothing assigned yet: the inbox opens on the groups' tasks.
    page = anna.get("/inbox").text
    assert sorted(_links(page)) == [first, second]
    assert _count(page, "Piešķirti man") == 0 and _count(page, "Manām grupām") == 2
    post(anna, f"/tasks/{first}/claim")
    mine = anna.get("/inbox").text
    assert _links(mine) == [first]
    assert _count(mine, "Piešķirti man") == 1 and _count(mine, "Manām grupām") == 1
    assert _links(anna.get("/inbox?tab=group").text) == [second]
    assert _links(anna.get("/inbox?tab=completed").text) == []


def test_completed_tab_lists_what_i_did(anna: FlaskClient, p9_task: int,
                                        web_services: Services) -> None:
    from tests.web.conftest import PLACEMENT_FORM

    assert post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM).status_code == 302
    done = anna.get("/inbox?tab=completed").text
    assert _links(done) == [p9_task]
    assert _count(done, "Manis izpildītie") == 1
    # The completed task reads as a record, not as a form.
    page = anna.get(f"/tasks/{p9_task}")
    assert page.status_code == 200 and 'name="placement_date"' not in page.text


def test_search_by_name_and_by_personal_code(anna: FlaskClient, start_p9: Callable[..., int],
                                             web_services: Services) -> None:
    first, second = start_p9("P9-2026-0001"), start_p9("P9-2026-0002")
    by_name = anna.get("/inbox?tab=group&person=0002").text
    assert _links(by_name) == [second]
    code = _personal_code_of(web_services, second)
    assert _links(anna.get(f"/inbox?tab=group&person={code}").text) == [second]
    # Typed without the hyphen, or with a wrong check digit (finds nobody, fails nothing).
    assert _links(anna.get(f"/inbox?tab=group&person={code.replace('-', '')}").text) == [second]
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert _links(anna.get(f"/inbox?tab=group&person={wrong}").text) == []
    # The list shows the code masked.
    assert code[:6] + "-*****" in by_name and code not in by_name
    assert first not in _links(by_name)
    # A case number finds its case's tasks, typed in any case.
    assert _links(anna.get("/inbox?tab=group&person=p9-2026-0001").text) == [first]
    assert _links(anna.get("/inbox?tab=group&person=P9-2026-0009").text) == []


def test_due_filter_and_deadline_badges(anna: FlaskClient, start_p9: Callable[..., int],
                                        web_services: Services) -> None:
    late, soon, later = (start_p9(f"P9-2026-000{n}") for n in (1, 2, 3))
    now = utcnow()
    _set_task(web_services, late, due_at=now - timedelta(days=1))
    _set_task(web_services, soon, due_at=now + timedelta(days=2))
    _set_task(web_services, later, due_at=now + timedelta(days=30))
    assert _links(anna.get("/inbox?tab=group&due=overdue").text) == [late]
    assert _links(anna.get("/inbox?tab=group&due=week").text) == [soon]
    page = anna.get("/inbox?tab=group").text
    assert _links(page) == [late, soon, later]
    assert "Nokavēts" in page and "Drīz termiņš" in page


def test_paging_keeps_the_filters(anna: FlaskClient, start_p9: Callable[..., int]) -> None:
    ids = [start_p9(f"P9-2026-{n:04d}") for n in range(1, 28)]
    first = anna.get("/inbox?tab=group&sort=created").text
    assert len(_links(first)) == 25
    assert "1. lapa no 2" in first
    assert 'href="/inbox?tab=group&amp;sort=created&amp;page=2"' in first
    second = anna.get("/inbox?tab=group&sort=created&page=2").text
    assert sorted(_links(first) + _links(second)) == sorted(ids)
    # A tampered page number gives an empty page, never an error.
    assert anna.get("/inbox?page=abc").status_code == 200
    assert anna.get("/inbox?page=-5&tab=nonsense&sort=drop").status_code == 200


def test_a_filtered_list_counts_all_its_matches_on_every_page(
        anna: FlaskClient, start_p9: Callable[..., int], web_services: Services) -> None:
    for n in range(1, 28):
        start_p9(f"P9-2026-{n:04d}")
    # Every child of start_p9 is called "Bērns <case number>": the name filter keeps all 27.
    first = anna.get("/inbox?tab=group&person=bērns&sort=created").text
    assert len(_links(first)) == 25 and "1. lapa no 2" in first
    second = anna.get("/inbox?tab=group&person=bērns&sort=created&page=2").text
    assert len(_links(second)) == 2 and "2. lapa no 2" in second
    # Past the last page the list is empty, and still knows how many there are.
    with web_services.sessions() as session:
        viewer = viewer_of(session, "anna", ["caseworker"], ["institution"], "VSAC-RIGA")
        beyond = inbox_page(session, viewer, InboxQuery.from_args(
            {"tab": "group", "person": "bērns", "sort": "created", "page": "9"}), utcnow())
    assert (beyond.rows, beyond.total, beyond.pages) == ([], 27, 2)


def test_saved_filters_belong_to_their_owner(anna: FlaskClient, web_services: Services,
                                            sign_in: Callable[..., FlaskClient],
                                            p9_task: int) -> None:
    response = post(anna, "/inbox/filters", {"name": "Nokavētie", "tab": "group",
                                             "due": "overdue"})
    assert response.status_code == 302
    page = anna.get("/inbox").text
    assert "Nokavētie" in page and "due=overdue" in page
    with web_services.sessions() as session:
        saved = session.scalars(select(SavedFilter)).one()
    assert saved.query == {"due": "overdue", "tab": "group"}
    bob = sign_in("bob")
    assert "Nokavētie" not in bob.get("/inbox").text
    assert post(bob, f"/inbox/filters/{saved.id}/delete").status_code == 404
    assert post(anna, f"/inbox/filters/{saved.id}/delete").status_code == 302
    assert "Nokavētie" not in anna.get("/inbox").text


def test_htmx_gets_the_list_alone_and_plain_requests_the_whole_page(
        anna: FlaskClient, p9_task: int) -> None:
    partial = anna.get("/inbox?tab=group", headers={"HX-Request": "true"}).text
    assert partial.lstrip().startswith('<div id="inbox"') and "<html" not in partial
    assert _links(partial) == [p9_task]
    whole = anna.get("/inbox?tab=group").text
    assert "<html" in whole and 'hx-boost="true"' in whole and "htmx.min.js" in whole


def _supervisor(web_services: Services, anna_client: FlaskClient) -> FlaskClient:
    from flask import current_app  # noqa: F401 - the app is the one anna uses

    with transaction(web_services.sessions) as session:
        create_user(session, "vera", "Vera Vadītāja", PASSWORD, ["caseworker", "supervisor"],
                    ["institution"], "VSAC-RIGA")
    client = anna_client.application.test_client()
    assert login(client, "vera").status_code == 302
    return client


def test_a_supervisor_assigns_a_task_to_a_colleague(anna: FlaskClient, p9_task: int,
                                                    web_services: Services) -> None:
    vera = _supervisor(web_services, anna)
    team = vera.get("/inbox?tab=team").text
    assert _links(team) == [p9_task]
    assert 'value="anna"' in vera.get(f"/tasks/{p9_task}").text
    assert post(vera, f"/tasks/{p9_task}/assign", {"assignee": "anna"}).status_code == 302
    assert task_row(web_services, p9_task).assignee == "anna"
    assert _links(anna.get("/inbox?tab=mine").text) == [p9_task]
    # Not to someone outside the organisation or the task's groups.
    with transaction(web_services.sessions) as session:
        create_user(session, "oskars", "Oskars", PASSWORD, ["caseworker"], ["orphan_court"],
                    "VSAC-RIGA")
    post(vera, f"/tasks/{p9_task}/assign", {"assignee": "oskars"})
    assert task_row(web_services, p9_task).assignee == "anna"
    # A caseworker who is no supervisor cannot assign.
    assert post(anna, f"/tasks/{p9_task}/assign", {"assignee": ""}).status_code == 404
    assert post(vera, f"/tasks/{p9_task}/assign", {"assignee": ""}).status_code == 302
    assert task_row(web_services, p9_task).assignee is None


def test_delegate_and_take_back(anna: FlaskClient, sign_in: Callable[..., FlaskClient],
                                p9_task: int, web_services: Services) -> None:
    bob = sign_in("bob")
    post(anna, f"/tasks/{p9_task}/claim")
    assert post(anna, f"/tasks/{p9_task}/delegate", {"delegate": "bob"}).status_code == 302
    row = task_row(web_services, p9_task)
    assert (row.assignee, row.delegated_by) == ("bob", "anna")
    assert _links(bob.get("/inbox").text) == [p9_task]
    assert "deleģēts" in bob.get("/inbox").text
    # Bob cannot take it back from anna, and anna can.
    assert post(bob, f"/tasks/{p9_task}/take-back").status_code == 404
    assert post(anna, f"/tasks/{p9_task}/take-back").status_code == 302
    row = task_row(web_services, p9_task)
    assert (row.assignee, row.delegated_by) == ("anna", None)
    with web_services.sessions() as session:
        kinds = list(session.scalars(select(Event.kind).where(
            Event.instance_id == row.instance_id).order_by(Event.seq)))
    assert kinds[-3:] == ["task_claimed", "task_delegated", "task_taken_back"]


def _personal_code_of(services: Services, task_id: int) -> str:
    from app.db.models import Person

    with services.sessions() as session:
        person_id = session.get(HumanTask, task_id).person_id  # type: ignore[union-attr]
        code = session.get(Person, person_id).personal_code  # type: ignore[union-attr]
    assert code
    return code


def test_organisation_filter_for_someone_who_sees_several(
        web_services: Services, anna: FlaskClient) -> None:
    from tests.web.conftest import P9, P9_START, start_for_child

    riga = start_for_child(web_services, P9, P9_START, "P9-R-1")
    dpils = start_for_child(web_services, P9, dict(P9_START, case_number="P9-D-1"), "P9-D-1",
                            institution="VSAC-LATGALE", municipality="DAUGAVPILS",
                            orphan_court="DAUGAVPILS-BT")
    with transaction(web_services.sessions) as session:
        create_user(session, "laura", "Laura", PASSWORD, ["caseworker"], ["institution"], "LM")
        tasks = {t.instance_id: t.id for t in session.scalars(select(HumanTask))}
    ministry = anna.application.test_client()
    assert login(ministry, "laura").status_code == 302
    page = ministry.get("/inbox?tab=group").text
    assert '<select name="organisation">' in page and "Daugavpils valstspilsēta" in page
    assert sorted(_links(page)) == sorted([tasks[riga], tasks[dpils]])
    assert _links(ministry.get("/inbox?tab=group&organisation=DAUGAVPILS").text) == [tasks[dpils]]
    assert _links(ministry.get("/inbox?tab=group&organisation=VSAC-RIGA").text) == [tasks[riga]]
    # The institution's caseworker chooses only among what her own tasks belong to.
    own = anna.get("/inbox?tab=group").text
    assert '<option value="RIGA"' in own and '<option value="DAUGAVPILS"' not in own
