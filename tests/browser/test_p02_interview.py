"""P2's main user task in a real browser: the planning-region expert finds the open-question
interview in the inbox, claims it, writes the first answers and saves a draft, comes back to the
draft, finishes and submits; records the child's needs; the supervisor of the region finds the
review in their inbox, sees the structured result among the earlier steps and approves it. The
assessment then goes to the municipality (the SOPA simulator) and the instance ends.

A screenshot of the interview form goes to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person
from app.child_assessment.service import start_assessment
from app.db import transaction
from app.db.models import HumanTask, Person, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs

from .test_caseworker_flow import (  # noqa: F401
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    open_tab,
    served,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

INTERVIEW = "Veikt interviju ar atvērtajiem jautājumiem"
NEEDS = "Apkopot vajadzības: bērns ar FT ģimenē"
REVIEW = "Pārbaudīt un apstiprināt novērtējumu"


def _run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def _open_elements(services: Services, iid: int) -> list[tuple[str, str | None]]:
    with services.sessions() as session:
        return [(t.element_id, t.candidate_groups) for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.status == "open"))]


def test_the_expert_interviews_over_two_sittings_and_the_supervisor_approves(
        served: str, web_services: Services, app: Flask,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    code = valid_personal_code(236)
    # The population register knows the child: the engine's check lets the interview open.
    put = requests.put(f"{simulators['pmlp'].url}/_control/persons/{code}", timeout=5, json={
        "given_name": "Marta", "family_name": "Ozoliņa", "birth_date": "2019-06-14", "sex": "F",
        "status": "LIVING", "declared_address": "Rīga, Lāčplēša iela 5",
        "municipality_code": "RIGA"})
    assert put.status_code == 200, put.text
    with transaction(web_services.sessions) as session:
        create_user(session, "eksperte", "Eva Eksperte", PASSWORD, ["caseworker"],
                    ["planning_region_expert"], "PR-RIGA")
        create_user(session, "regvad", "Roberts Vadītājs", PASSWORD, ["caseworker"],
                    ["planning_region_expert", "planning_region_supervisor"], "PR-RIGA")
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person_id = register_person(session, social, given_name="Marta", family_name="Ozoliņa",
                                    personal_code=code, municipality_code="RIGA").id
    with web_services.sessions() as session:
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person = session.get(Person, person_id)
        assert person is not None
        iid = start_assessment(web_services.engine, session, social, person, "P2-B-0001")
    with web_services.sessions() as session:
        refer = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)).one()
    web_services.engine.complete_task(refer.id, Actor("soc", frozenset({"social_service"})), {
        "child_group": "FAMILY", "referral_date": today_in_latvia().isoformat(),
        "referral_reason": "Novērtējums deinstitucionalizācijas plāna ietvaros."})
    _run_jobs(web_services)  # the register check (PMLP simulator over HTTP)
    assert _open_elements(web_services, iid) == [("interview", "planning_region_expert")]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})

        sign_in(page, served, "eksperte")
        # Nothing is hers yet: the inbox opens on her group's tasks, the interview among them.
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        expect(page.get_by_role("link", name=INTERVIEW)).to_have_count(1)
        page.get_by_role("button", name="Uzņemties").click()
        expect(page.locator(".flashes")).to_contain_text("Jūs uzņēmāties uzdevumu")
        open_tab(page, "Piešķirti man")
        page.get_by_role("link", name=INTERVIEW).click()
        expect(page.locator("h1")).to_contain_text(INTERVIEW)
        expect(page.locator(".form-title")).to_contain_text("Intervija ar atvērtajiem jautājumiem")
        # The referral is among the earlier steps.
        expect(page.locator(".summaries")).to_contain_text("Novērtējums deinstitucionalizācijas")

        # First sitting: the date, the place and two answers; then the draft.
        page.fill("input[name=interview_date]", today_in_latvia().isoformat())
        page.fill("input[name=interview_place]", "Bērna mājās, Rīgā")
        page.fill("textarea[name=daily_life]", "Diena paiet mājās ar mammu; palīdz rutīna.")
        page.fill("textarea[name=health_and_development]", "Kustību traucējumi, staigā ar atbalstu.")
        # Sent too early, the form names the answers still missing and keeps what was written.
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".error-summary")).to_contain_text("Lūdzu, izlabojiet")
        expect(page.locator(".error-summary")).to_contain_text("Ģimene un attiecības")
        expect(page.locator("textarea[name=health_and_development]")).to_have_value(
            "Kustību traucējumi, staigā ar atbalstu.")
        page.get_by_role("button", name="Saglabāt melnrakstu").click()
        expect(page.locator(".flashes")).to_contain_text("Melnraksts saglabāts")
        assert _open_elements(web_services, iid) == [("interview", "planning_region_expert")]

        # Second sitting: the draft comes back with the answers; the rest is written and sent.
        page.goto(f"{served}/inbox")
        open_tab(page, "Piešķirti man")
        page.get_by_role("link", name=INTERVIEW).click()
        expect(page.locator(".draft-notice")).to_contain_text("Veidlapā redzams jūsu melnraksts")
        expect(page.locator("input[name=interview_place]")).to_have_value("Bērna mājās, Rīgā")
        expect(page.locator("textarea[name=daily_life]")).to_have_value(
            "Diena paiet mājās ar mammu; palīdz rutīna.")
        expect(page.locator(".error-summary")).to_have_count(0)
        page.fill("textarea[name=family_and_relations]", "Dzīvo ar abiem vecākiem un brāli.")
        page.fill("textarea[name=education_and_play]", "Apmeklē bērnudārzu, patīk rotaļas ārā.")
        page.fill("textarea[name=child_views]", "Patīk zīmēt; grib iet skolā kopā ar brāli.")
        page.screenshot(path=str(SCREENSHOTS / "p02-interview.png"), full_page=True)
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{INTERVIEW}” ir izpildīts")
        assert _open_elements(web_services, iid) == [("record_needs_family", "planning_region_expert")]

        # The needs of a child in a family: the structured result.
        page.get_by_role("link", name="Manām grupām").click()
        page.get_by_role("link", name=NEEDS).click()
        expect(page.locator(".summaries")).to_contain_text("Patīk zīmēt; grib iet skolā")
        page.check("input[name=services_needed][value=CARE_SERVICE]")
        page.check("input[name=services_needed][value=REHAB_PHYSIOTHERAPY]")
        _choose(page, "education", "PRESCHOOL")
        page.fill("textarea[name=summary]", "Nepieciešama aprūpe un fizioterapija.")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{NEEDS}” ir izpildīts")
        # The review is the supervisor's: not in the expert's inbox.
        page.get_by_role("link", name="Manām grupām").click()
        expect(page.get_by_role("link", name=REVIEW)).to_have_count(0)
        assert _open_elements(web_services, iid) == [("review", "planning_region_supervisor")]

        sign_out(page)
        sign_in(page, served, "regvad")
        page.get_by_role("link", name="Manām grupām").click()
        page.get_by_role("link", name=REVIEW).click()
        expect(page.locator("h1")).to_contain_text(REVIEW)
        earlier = page.locator(".summaries")
        for seen in ("Aprūpes pakalpojums", "Fizioterapija", "Pirmsskolas izglītības iestāde",
                     "Nepieciešama aprūpe un fizioterapija.", "Dzīvo ar abiem vecākiem un brāli."):
            expect(earlier).to_contain_text(seen)
        _choose(page, "decision", "APPROVE")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{REVIEW}” ir izpildīts")
        browser.close()

    _run_jobs(web_services)  # sent to the municipality, the summary PDF made
    assert _open_elements(web_services, iid) == []
    with web_services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "completed"
    received = requests.get(f"{simulators['sopa'].url}/_control/received/assessments", timeout=5)
    [sent] = received.json()
    assert (sent["case_reference"], sent["child_group"]) == ("P2-B-0001", "FAMILY")
    assert sent["services_needed"] == ["CARE_SERVICE", "REHAB_PHYSIOTHERAPY"]


def _choose(page: Any, name: str, value: str) -> None:
    """Pick an enum value whether the form shows it as radio buttons or a list."""
    radios = page.locator(f"input[type=radio][name='{name}'][value='{value}']")
    if radios.count():
        radios.check()
    else:
        page.select_option(f"select[name='{name}']", value)
