"""P1's main user task in a real browser: the planning-region expert claims the interview, answers
some life domains, saves the draft (a first sitting), comes back, finishes and submits; the IAP
task follows. A screenshot of the interview form goes to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

import pytest
from flask import Flask

from app.access.scope import viewer_of
from app.assessment.questionnaire import load_questionnaire
from app.assessment.service import start_assessment
from app.auth.service import create_user
from app.cases.service import register_person
from app.db import transaction
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.services import Services
from workers.jobs import run_due_jobs

from .test_caseworker_flow import (  # noqa: F401
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    open_tab,
    served,
)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")


def test_the_expert_holds_the_interview_over_two_sittings(served: str,  # noqa: F811
                                                          web_services: Services,
                                                          app: Flask) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "eksperte", "Eva Eksperte", PASSWORD, ["caseworker"],
                    ["planning_region_expert"], "PR-RIGA")
        worker = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person_id = register_person(session, worker, given_name="Jānis", family_name="Kalns",
                                    personal_code=valid_personal_code(20),
                                    municipality_code="RIGA", institution_code="VSAC-RIGA").id
    with web_services.sessions() as session:
        worker = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        start_assessment(web_services.engine, session, worker, person_id, today_in_latvia())
    while run_due_jobs(web_services, "w1"):
        pass
    domains = [d["key"] for d in load_questionnaire()["domains"]]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        page.goto(f"{served}/login")
        page.fill("input[name=username]", "eksperte")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        expect(page.get_by_role("link", name="Intervija (NAURIS)")).to_have_count(1)
        page.get_by_role("button", name="Uzņemties").click()
        open_tab(page, "Piešķirti man")
        page.get_by_role("link", name="Intervija (NAURIS)").click()
        expect(page.locator("h1")).to_contain_text("Intervija")

        # First sitting: the first three domains, then save the draft.
        page.fill("input[name=interview_date]", today_in_latvia().isoformat())
        _choose(page, "interview_place", "INSTITUTION")
        for key in domains[:3]:
            _choose(page, f"needs.{key}.level", "2")
        page.fill("textarea[name='needs.self_care.q1']", "Mazgājas patstāvīgi, jāatgādina.")
        page.get_by_role("button", name="Saglabāt melnrakstu").click()
        expect(page.locator(".draft-notice")).to_be_visible()

        # Second sitting: the draft is there; finish the rest and submit.
        page.reload()
        expect(page.locator("textarea[name='needs.self_care.q1']")).to_have_value(
            "Mazgājas patstāvīgi, jāatgādina.")
        for key in domains[3:]:
            _choose(page, f"needs.{key}.level", "3")
        page.screenshot(path=str(SCREENSHOTS / "p01-interview.png"), full_page=True)
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text("ir izpildīts")
        browser.close()
    with web_services.sessions() as session:
        from sqlalchemy import select

        from app.db.models import HumanTask
        open_elements = list(session.scalars(select(HumanTask.element_id).where(
            HumanTask.person_id == person_id, HumanTask.status == "open")))
    assert open_elements == ["draft_iap"]


def _choose(page: object, name: str, value: str) -> None:
    """Pick an enum value whether the form shows it as radio buttons or a list."""
    radios = page.locator(f"input[type=radio][name='{name}'][value='{value}']")  # type: ignore[attr-defined]
    if radios.count():
        radios.check()
    else:
        page.select_option(f"select[name='{name}']", value)  # type: ignore[attr-defined]
