"""P11 in a real browser (Debian's Chromium driven by Playwright): the adoption register's
specialist registers an adopter from the form, makes a child's card from the personal code of
the orphan court's decision (pre-filled from DI Case and VDEĀVK's simulator), starts a match,
sees the ranked list with the excluded adopter's reason, and proposes the child from her inbox;
the job runner registers the proposal and queues the adopter's e-mail.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person
from app.db import transaction
from app.db.models import Adopter, AdoptionProposal
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.services import Services
from tests.adoption.helpers import make_adopter, run_all

from .test_caseworker_flow import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, served  # noqa: F401

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

PROPOSE = "Piedāvāt bērnu pirmajam adoptētājam"
CODE = valid_personal_code(1)  # VDEĀVK's simulator knows a disability decision for it


def _lv(day: Any) -> str:
    return str(day.strftime("%d.%m.%Y"))


def test_the_specialist_registers_an_adopter_and_a_child_and_proposes_the_child(
        served: str, web_services: Services,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    today = today_in_latvia()
    with transaction(web_services.sessions) as session:
        create_user(session, "marta", "Marta Liepa", PASSWORD, ["caseworker"],
                    ["adoption_register"], "LM-ADOPT")
        court = viewer_of(session, "bt", ["caseworker"], ["orphan_court"], "RIGA-BT")
        register_person(session, court, given_name="Elza", family_name="Liepiņa",
                        personal_code=CODE, birth_date=today - timedelta(days=5 * 365 + 30),
                        sex="F", municipality_code="RIGA", institution_code="VSAC-RIGA",
                        orphan_court_code="RIGA-BT")
    # an adopter already in the register who wants a child of at most two: excluded
    make_adopter(web_services, "Baiba", age_max=2, health_accepted=["disability",
                                                                     "special_care"])

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 500 else None)

        page.goto(f"{served}/login")
        page.fill("input[name=username]", "marta")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        expect(page.locator("h1")).to_contain_text("Mani uzdevumi")

        # The adopter: a couple's application, registered 200 days ago on the court's decision.
        page.goto(f"{served}/adoption/adopters")
        page.get_by_role("link", name="Reģistrēt adoptētāju").click()
        expect(page.locator("h1")).to_contain_text("Reģistrēt adoptētāju")
        page.check("#f-kind-couple")
        page.fill("#f-a1_given_name", "Ilze")
        page.fill("#f-a1_family_name", "Ozola")
        page.fill("#f-a1_personal_code", valid_personal_code(700))
        page.fill("#f-a2_given_name", "Jānis")
        page.fill("#f-a2_family_name", "Ozols")
        page.fill("#f-a2_personal_code", valid_personal_code(701))
        page.select_option("#f-suitability_court_code", "RIGA-BT")
        page.fill("#f-suitability_decision_on", _lv(today - timedelta(days=210)))
        page.fill("#f-suitability_until", _lv(today + timedelta(days=500)))
        page.fill("#f-registered_on", _lv(today - timedelta(days=200)))
        page.fill("#f-age_max", "8")
        page.check("#f-health_accepted-disability")
        page.check("#f-health_accepted-special_care")
        page.fill("#f-address", "Brīvības iela 2, Rīga")
        page.fill("#f-email", "ozoli@adopters.example")
        page.screenshot(path=str(SCREENSHOTS / "p11-adopter-form.png"), full_page=True)
        page.get_by_role("button", name="Reģistrēt adoptētāju").click()
        expect(page.locator(".flashes")).to_contain_text("Adoptētājs reģistrēts")
        expect(page.locator("h1")).to_contain_text("Ilze Ozola un Jānis Ozols")

        # The child card: found by the personal code, pre-filled from DI Case and VDEĀVK.
        page.goto(f"{served}/adoption/children")
        page.get_by_role("link", name="Jauna bērna kartīte").click()
        page.fill("#f-code", CODE)
        page.get_by_role("button", name="Atrast bērnu").click()
        prefilled = page.locator("table.prefilled")
        expect(prefilled).to_contain_text("Elza Liepiņa")
        expect(prefilled).to_contain_text("VDEAVK-2025-00001")
        expect(page.locator("#f-health_conditions-disability")).to_be_checked()
        page.fill("#f-free_for_adoption_on", _lv(today - timedelta(days=30)))
        page.fill("#f-special_needs", "Logopēda nodarbības.")
        page.screenshot(path=str(SCREENSHOTS / "p11-child-form.png"), full_page=True)
        page.get_by_role("button", name="Reģistrēt bērna kartīti").click()
        expect(page.locator(".flashes")).to_contain_text("Bērna kartīte reģistrēta")

        # The match: the list comes from the job runner, then the page shows it.
        page.get_by_role("button", name="Sākt adoptētāja meklēšanu").click()
        expect(page.locator("h1")).to_contain_text("Meklēšana")
        run_all(web_services)
        page.reload()
        eligible = page.locator("section table").nth(0)
        expect(eligible).to_contain_text("Ilze Ozola un Jānis Ozols")
        excluded = page.locator("section table").nth(1)
        expect(excluded).to_contain_text("Baiba Kalna")
        expect(excluded).to_contain_text("vecāks")
        page.screenshot(path=str(SCREENSHOTS / "p11-match.png"), full_page=True)
        match_url = page.url

        # The proposal, from the inbox (its list is swapped in by htmx: wait for the tab).
        page.goto(f"{served}/inbox")
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        page.get_by_role("link", name=PROPOSE).first.click()
        expect(page.locator("h1")).to_contain_text(PROPOSE)
        page.fill("input[name=proposed_on]", today.isoformat())
        page.get_by_role("button", name="Iesniegt", exact=True).click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{PROPOSE}” ir izpildīts")
        run_all(web_services)

        page.goto(match_url)
        proposals = page.locator("section table").nth(2)
        expect(proposals).to_contain_text("Ilze Ozola un Jānis Ozols")
        expect(proposals).to_contain_text(_lv(today + timedelta(days=30)))
        page.screenshot(path=str(SCREENSHOTS / "p11-proposed.png"), full_page=True)
        browser.close()
    with web_services.sessions() as session:
        [proposal] = session.scalars(select(AdoptionProposal)).all()
        chosen = session.get(Adopter, proposal.adopter_id)
        assert chosen is not None and chosen.email == "ozoli@adopters.example"
    assert not problems, problems
