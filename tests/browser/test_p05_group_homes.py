"""P5's main user tasks in a real browser.

- The municipal social worker places a person in a group home: the chosen home is full, the task
  comes back to her with the reason, she picks another home of the municipality and the stay is
  registered; the stay task follows and the case file lists the stay.
- The ministry specialist reviews a monthly report and returns it for correction with a reason;
  the correction task appears in the municipality's inbox.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import GroupHomeStay, HumanTask
from app.demo import valid_personal_code
from app.engine.runtime import Actor
from app.group_homes import service
from app.services import Services
from workers.jobs import run_due_jobs

from .test_caseworker_flow import (  # noqa: F401
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    served,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

PLACE = "Ievietot personu grupu mājā"
RIGA_SOCIAL = Actor("soc", frozenset({"social_service"}))


def _run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def _start(services: Services, seed: int, case_number: str) -> tuple[int, int]:
    """A Riga resident and a placement process about them: (person id, instance id)."""
    with transaction(services.sessions) as session:
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person_id = register_person(session, social, given_name="Pēteris",
                                    family_name=f"Ozoliņš{seed}",
                                    personal_code=valid_personal_code(seed),
                                    municipality_code="RIGA").id
    with services.sessions() as session:
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_process_for(services.engine, session, social, person_id,
                                service.PLACEMENT_PROCESS, {"case_number": case_number},
                                business_key=case_number)
    return person_id, iid


def _open_tasks(services: Services, iid: int) -> list[HumanTask]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open")))


def _place_directly(services: Services, seed: int, home: str, day: str) -> None:
    """Someone placed earlier, the way the end-to-end tests do it: through the engine."""
    _, iid = _start(services, seed, f"P5-B-{seed}")
    [task] = _open_tasks(services, iid)
    services.engine.complete_task(task.id, RIGA_SOCIAL, {"group_home_code": home,
                                                         "start_date": day})
    _run_jobs(services)



def test_the_social_worker_places_a_person_after_a_full_home_is_refused(
        served: str, web_services: Services, app: Flask,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "soc", "Sandra Ozola", PASSWORD, ["caseworker"], ["social_service"],
                    "RIGA")
        create_user(session, "jelgava", "Jānis Liepa", PASSWORD, ["caseworker"],
                    ["social_service"], "JELGAVA")
    # "Mežciems" (GM-RIGA-3) has two places: both are taken from 1 March.
    _place_directly(web_services, 264, "GM-RIGA-3", "2026-03-01")
    _place_directly(web_services, 265, "GM-RIGA-3", "2026-03-01")
    person_id, iid = _start(web_services, 266, "P5-B-0266")
    [task] = _open_tasks(web_services, iid)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        sign_in(page, served, "soc")
        # Three people wait in her group's list; she finds hers by name.
        expect(page.locator("#inbox table")).to_contain_text("Ozoliņš266")
        page.fill("input[name=person]", "Ozoliņš266")
        page.get_by_role("button", name="Rādīt").click()
        expect(page).to_have_url(re.compile("person=Ozoli"))
        expect(page.get_by_role("link", name=PLACE)).to_have_count(1)
        page.get_by_role("link", name=PLACE).click()
        expect(page.locator("h1")).to_contain_text(PLACE)
        expect(page.locator(".form-title")).to_contain_text("Ievietošana grupu mājā")
        page.select_option("select[name=group_home_code]", "GM-RIGA-3")
        page.fill("input[name=start_date]", "2026-03-10")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{PLACE}” ir izpildīts")
        _run_jobs(web_services)  # the capacity check: no place in Mežciems on 10.03.2026

        [back] = _open_tasks(web_services, iid)
        assert back.element_id == "place_person" and back.id != task.id
        assert _stays_of(web_services, iid) == []
        # The task is back in her list; the earlier step shows the home she chose.
        page.goto(f"{served}/inbox?tab=group")
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        page.fill("input[name=person]", "Ozoliņš266")
        page.get_by_role("button", name="Rādīt").click()
        expect(page).to_have_url(re.compile("person=Ozoli"))
        page.get_by_role("link", name=PLACE).click()
        expect(page.locator("h1")).to_contain_text(PLACE)
        expect(page.locator(".summaries")).to_contain_text('Grupu māja "Mežciems" (RIGA)')
        # Why it came back: the capacity check's reason, above the form.
        expect(page.locator(".task-notice")).to_contain_text(
            'Grupu māja "Mežciems": 10.03.2026 nav brīvu vietu (ietilpība 2)')

        # Another home of the municipality has room.
        expect(page.locator("h1")).to_contain_text(PLACE)
        page.select_option("select[name=group_home_code]", "GM-RIGA-2")
        page.fill("input[name=start_date]", "2026-03-10")
        page.fill("textarea[name=placement_notes]", "Mežciemā nav vietas; Ziepniekkalnā ir.")
        page.screenshot(path=str(SCREENSHOTS / "p05-placement.png"), full_page=True)
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{PLACE}” ir izpildīts")
        _run_jobs(web_services)  # placed, and the municipality told through SOPA

        [stay] = _stays_of(web_services, iid)
        assert (stay.group_home_code, stay.start_date.isoformat(), stay.end_date) == (
            "GM-RIGA-2", "2026-03-10", None)
        [now] = _open_tasks(web_services, iid)
        assert (now.element_id, now.municipality_code) == ("group_home_stay", "RIGA")
        page.get_by_role("link", name="Manām grupām").click()
        expect(page).to_have_url(re.compile("tab=group"))
        expect(page.locator("#inbox table")).to_contain_text("Uzturēšanās grupu mājā")
        # The case file lists the stay.
        page.goto(f"{served}/persons/{person_id}")
        stays = page.locator("section[aria-labelledby=group-home-stays-title]")
        expect(stays).to_contain_text('Grupu dzīvokļi "Ziepniekkalns"')
        expect(stays).to_contain_text("10.03.2026")
        expect(stays).to_contain_text("joprojām")
        # Jelgava's social service sees neither the person's task nor can open it.
        sign_out(page)
        sign_in(page, served, "jelgava")
        page.get_by_role("link", name="Manām grupām").click()
        expect(page).to_have_url(re.compile("tab=group"))
        expect(page.locator("#inbox")).not_to_contain_text("Ozoliņš266")
        browser.close()
    notices = requests.get(f"{simulators['sopa'].url}/_control/received/notices", timeout=5).json()
    assert [n["change"] for n in notices] == ["GROUP_HOME_PLACEMENT"] * 3


def _stays_of(services: Services, iid: int) -> list[GroupHomeStay]:
    with services.sessions() as session:
        return list(session.scalars(select(GroupHomeStay).where(GroupHomeStay.instance_id == iid)))


REVIEW = "Izvērtēt pārskatu (ministrija)"
CORRECT = "Labot pārskatu"


def test_the_ministry_returns_a_monthly_report_for_correction_with_a_reason(
        served: str, web_services: Services, app: Flask,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "soc", "Sandra Ozola", PASSWORD, ["caseworker"], ["social_service"],
                    "RIGA")
        create_user(session, "ministrija", "Māra Liepiņa", PASSWORD, ["caseworker"], ["ministry"],
                    "LM")
    _place_directly(web_services, 269, "GM-RIGA-1", "2029-12-20")
    [iid] = service.start_monthly_reports(web_services.engine, web_services.sessions, "2030-01",
                                          ["RIGA"])
    _run_jobs(web_services)  # compiled, and its PDF made
    [submit] = _open_tasks(web_services, iid)
    web_services.engine.complete_task(submit.id, RIGA_SOCIAL, {"data_confirmed": True})
    [review] = _open_tasks(web_services, iid)
    assert (review.element_id, review.candidate_groups) == ("review_report", "ministry")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        sign_in(page, served, "ministrija")
        expect(page.get_by_role("link", name=REVIEW)).to_have_count(1)
        page.get_by_role("link", name=REVIEW).click()
        expect(page.locator("h1")).to_contain_text(REVIEW)
        # Returned without a reason: refused at the field, nothing completes.
        _choose(page, "review_decision", "RETURN")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".error-summary")).to_contain_text("Atgriešanas iemesls")
        assert [t.element_id for t in _open_tasks(web_services, iid)] == ["review_report"]
        page.fill("textarea[name=return_reason]", "Dienu skaits nesakrīt ar uzturēšanās datiem")
        page.screenshot(path=str(SCREENSHOTS / "p05-report-return.png"), full_page=True)
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{REVIEW}” ir izpildīts")
        [correct] = _open_tasks(web_services, iid)
        assert (correct.element_id, correct.municipality_code) == ("correct_report", "RIGA")
        expect(page.get_by_role("link", name=CORRECT)).to_have_count(0)

        # The municipality finds the correction task with the ministry's reason.
        sign_out(page)
        sign_in(page, served, "soc")
        page.goto(f"{served}/inbox?tab=group")
        page.get_by_role("link", name=CORRECT).click()
        expect(page.locator("h1")).to_contain_text(CORRECT)
        expect(page.locator(".summaries")).to_contain_text(
            "Dienu skaits nesakrīt ar uzturēšanās datiem")
        browser.close()


def _choose(page: Any, name: str, value: str) -> None:
    """Pick an enum value whether the form shows it as radio buttons or a list."""
    radios = page.locator(f"input[type=radio][name='{name}'][value='{value}']")
    if radios.count():
        radios.check()
    else:
        page.select_option(f"select[name='{name}']", value)
