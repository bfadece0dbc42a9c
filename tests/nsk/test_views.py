"""P7's pages through the web app: the NSK reports (list, one report, its PDF and CSV), the payment
instructions and the case file's NSK section with its check button, for the ministry, the
reporting municipality and everyone else; bad input is refused in Latvian and changes nothing."""
from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import (
    AccessLogEntry,
    NskCompensation,
    NskEligibility,
    NskPayment,
    ProcessInstance,
)
from app.monthly_reports import euro_text
from app.nsk import service
from app.services import Services
from tests.web.conftest import app, csrf_of, login, web_services, web_settings

from .world import MINISTRY, add_user, latest, open_task, run_jobs, september

__all__ = ["app", "web_services", "web_settings"]


def signed_in(app: Flask, services: Services, username: str, groups: list[str],
              organisation: str, role: str = "caseworker") -> FlaskClient:
    if role == "caseworker":
        add_user(services, username, username, groups, organisation)
    else:
        from app.auth.service import create_user

        from .world import PASSWORD
        with transaction(services.sessions) as session:
            create_user(session, username, username, PASSWORD, [role], groups, organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def denied(services: Services, username: str) -> list[tuple[str, int | None]]:
    with services.sessions() as session:
        return [(e.record_type, e.record_id) for e in session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.username == username,
                                         AccessLogEntry.action == "denied")
            .order_by(AccessLogEntry.id))]


def counts(services: Services) -> tuple[int, int, int]:
    """Instances, eligibility checks and payments: what a refused request must not add to."""
    with services.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) or 0  # type: ignore[return-value]
                     for table in (ProcessInstance, NskEligibility, NskPayment))


def approve(services: Services, iid: int) -> None:
    task = open_task(services, iid)
    assert task.element_id == "review_report"
    services.engine.complete_task(task.id, MINISTRY, {"review_decision": "APPROVE"})
    run_jobs(services)


def cents(text: str) -> int:
    euros, hundredths = text.split(",")
    return int(euros) * 100 + int(hundredths)


def test_the_ministry_sees_every_municipality_and_a_municipality_only_its_own(
        app: Flask, web_services: Services) -> None:
    world = september(web_services)
    riga_iid, jelgava_iid = world.reports["RIGA"], world.reports["JELGAVA"]
    ministry = signed_in(app, web_services, "ministrija", ["ministry"], "LM")
    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    jelgava = signed_in(app, web_services, "jelgava", ["social_service"], "JELGAVA")

    listed = ministry.get("/nsk/reports")
    assert listed.status_code == 200
    assert "NSK kompensāciju pārskati" in listed.text
    assert "P7-NSK-RIGA-2026-09" in listed.text and "P7-NSK-JELGAVA-2026-09" in listed.text
    assert "85,00 €" in listed.text and "68,00 €" in listed.text
    assert listed.text.count("gaida apstiprinājumu") == 2
    assert 'href="/nsk/payments"' in listed.text  # the ministry's menu has the payments

    own = riga.get("/nsk/reports")
    assert "P7-NSK-RIGA-2026-09" in own.text and "P7-NSK-JELGAVA" not in own.text
    assert "68,00 €" not in own.text
    assert 'href="/nsk/payments"' not in own.text
    assert riga.get(f"/nsk/reports/{riga_iid}").status_code == 200
    assert jelgava.get(f"/nsk/reports/{jelgava_iid}").status_code == 200

    # Another municipality's report answers exactly as one that does not exist, and is logged.
    other = jelgava.get(f"/nsk/reports/{riga_iid}")
    missing = jelgava.get("/nsk/reports/999999")
    assert other.status_code == missing.status_code == 404
    assert "P7-NSK-RIGA" not in other.text and "85,00" not in other.text
    assert jelgava.get(f"/nsk/reports/{riga_iid}.csv").status_code == 404
    assert ("nsk_report", riga_iid) in denied(web_services, "jelgava")
    assert ("nsk_report", 999999) in denied(web_services, "jelgava")
    assert denied(web_services, "jelgava").count(("nsk_report", riga_iid)) == 2
    # A P5 report or a person's instance is not an NSK report, even to the ministry.
    with web_services.sessions() as session:
        elsewhere = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.process_key != service.REPORT_PROCESS)).first()
    assert ministry.get(f"/nsk/reports/{elsewhere}").status_code == 404
    # Someone outside municipalities and the ministry (a VSAC) lists nothing.
    vsac = signed_in(app, web_services, "iestade", ["institution"], "VSAC-RIGA")
    assert "P7-NSK" not in vsac.get("/nsk/reports").text
    assert vsac.get(f"/nsk/reports/{riga_iid}").status_code == 404


def test_the_month_filter_and_a_mistyped_month(app: Flask, web_services: Services) -> None:
    september(web_services)
    ministry = signed_in(app, web_services, "ministrija", ["ministry"], "LM")
    september_only = ministry.get("/nsk/reports", query_string={"period": "2026-09"})
    assert "P7-NSK-RIGA-2026-09" in september_only.text
    assert "P7-NSK-JELGAVA-2026-09" in september_only.text
    august = ministry.get("/nsk/reports", query_string={"period": "2026-08"})
    assert "P7-NSK" not in august.text
    for typed in ("2026-9", "09.2026", "2026-09-01", "2026-13", "<b>"):
        page = ministry.get("/nsk/reports", query_string={"period": typed})
        assert page.status_code == 200, typed
        assert "Mēnesis jāraksta formā GGGG-MM, piemēram, 2026-09." in page.text, typed
        # The message and every report, not an empty list that looks like a quiet month.
        assert "P7-NSK-RIGA-2026-09" in page.text, typed
    assert "<b>" not in ministry.get("/nsk/reports", query_string={"period": "<b>"}).text
    # A malformed month never starts a second report for the same month.
    before = counts(web_services)
    for typed in ("2026-09-01", "2026-9"):
        try:
            service.start_monthly_reports(web_services.engine, web_services.sessions, typed,
                                          ["RIGA"])
        except ValueError:
            pass
        else:
            raise AssertionError(f"{typed} was taken as a month")
    assert counts(web_services) == before


def test_the_report_its_pdf_and_csv_and_the_payment_instruction(
        app: Flask, web_services: Services) -> None:
    world = september(web_services)
    riga_iid = world.reports["RIGA"]
    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    ministry = signed_in(app, web_services, "ministrija", ["ministry"], "LM")
    stored = latest(web_services, riga_iid)
    assert (stored.total_cents, stored.version, stored.status) == (8500, 1, "submitted")

    page = riga.get(f"/nsk/reports/{riga_iid}")
    assert page.status_code == 200
    assert re.search(r'id="nsk-total">85,00 €<', page.text)
    assert "01.09.2026 – 30.09.2026" in page.text
    assert "Nauris Rīdzinieks" in page.text and "15/30" in page.text
    assert "gaida apstiprinājumu" in page.text
    assert "Jelgavnieks" not in page.text
    # The municipality sees no link to the ministry's task; the ministry does.
    assert "/tasks/" not in page.text
    review = open_task(web_services, riga_iid)
    assert f'href="/tasks/{review.id}">Apstiprināt pārskatu (ministrija)</a>' in ministry.get(
        f"/nsk/reports/{riga_iid}").text

    [pdf_id] = re.findall(r'href="/documents/(\d+)"', page.text)
    pdf = riga.get(f"/documents/{pdf_id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "private, no-store"
    jelgava = signed_in(app, web_services, "jelgava", ["social_service"], "JELGAVA")
    assert jelgava.get(f"/documents/{pdf_id}").status_code == 404

    for client in (riga, ministry):
        csv = client.get(f"/nsk/reports/{riga_iid}.csv")
        assert csv.status_code == 200 and csv.mimetype == "text/csv"
        assert "attachment" in csv.headers["Content-Disposition"]
        assert "nsk-RIGA-2026-09-v1.csv" in csv.headers["Content-Disposition"]
        lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
        header = lines[0].split(";")
        assert header == list(service.CSV_COLUMNS)
        amount = header.index("amount_cents")
        rows = [line.split(";") for line in lines[1:-1]]
        totals = lines[-1].split(";")
        assert totals[0] == "KOPĀ"
        with web_services.sessions() as session:
            line_cents = list(session.scalars(select(NskCompensation.amount_cents).where(
                NskCompensation.report_id == stored.id)))
        # The CSV's total is the stored total in cents, and its lines add up to it.
        assert totals[amount] == euro_text(stored.total_cents) == "85,00"
        assert sum(cents(r[amount]) for r in rows) == sum(line_cents) == stored.total_cents
        assert rows[0][header.index("eligible_days")] == "15"
    with web_services.sessions() as session:
        downloads = session.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.action == "download", AccessLogEntry.record_type == "nsk_report",
            AccessLogEntry.record_id == riga_iid))
    assert downloads == 2

    assert "Maksājuma uzdevumu vēl nav." in ministry.get("/nsk/payments").text
    approve(web_services, riga_iid)
    with web_services.sessions() as session:
        [payment] = session.scalars(select(NskPayment))
    assert (payment.amount_cents, payment.reference) == (8500, "NSK-RIGA-2026-09-V1")
    after = riga.get(f"/nsk/reports/{riga_iid}")
    assert 'id="nsk-payment"' in after.text
    assert "NSK-RIGA-2026-09-V1" in after.text and "apstiprināts" in after.text
    assert "ministrija" in after.text
    payments = ministry.get("/nsk/payments")
    assert payments.status_code == 200
    assert "NSK-RIGA-2026-09-V1" in payments.text and "85,00 €" in payments.text
    assert f'href="/nsk/reports/{riga_iid}"' in payments.text
    assert "NSK-RIGA" not in jelgava.get("/nsk/payments").text
    assert "NSK-RIGA-2026-09-V1" in riga.get("/nsk/payments").text


def test_the_case_file_section_and_its_check_button(app: Flask, web_services: Services) -> None:
    world = september(web_services, ("RIGA",))
    person_id = world.persons["RIGA"]
    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")

    file = riga.get(f"/persons/{person_id}")
    assert file.status_code == 200
    section = file.text.split('aria-labelledby="nsk-panel-title"', 1)[1].split("</section>", 1)[0]
    assert "Nauda seko klientam (NSK)" in section
    assert "20.09.2026" in section and "atbilst" in section and "neatbilst" not in section
    assert "Pārbaudīt NSK atbilstību" in section
    assert f'action="/nsk/persons/{person_id}/check"' in section
    assert 'name="csrf_token"' in section

    # Without the form's token nothing starts.
    before = counts(web_services)
    no_token = riga.post(f"/nsk/persons/{person_id}/check", data={"check_date": "2026-09-25"})
    assert no_token.status_code == 400
    assert counts(web_services) == before

    started = riga.post(f"/nsk/persons/{person_id}/check",
                        data={"csrf_token": csrf_of(riga), "check_date": "25.09.2026"},
                        follow_redirects=True)
    assert started.status_code == 200
    assert started.request.path == f"/persons/{person_id}"
    assert "NSK atbilstības pārbaude ir sākta" in started.text
    with web_services.sessions() as session:
        [check] = session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == service.ELIGIBILITY_PROCESS,
            ProcessInstance.person_id == person_id, ProcessInstance.status == "active"))
        assert (check.municipality_code, check.business_key) == ("RIGA", f"P7-ATB-{person_id:06d}-2")
    run_jobs(web_services)
    assert "25.09.2026" in riga.get(f"/persons/{person_id}").text

    # Once approved, the case file lists the person's compensation.
    approve(web_services, world.reports["RIGA"])
    section = riga.get(f"/persons/{person_id}").text.split('id="nsk-panel-title"', 1)[1]
    assert "Kompensācijas" in section and "2026-09 (v1)" in section and "85,00 €" in section


def test_bad_input_on_the_check_is_refused_in_latvian_and_changes_nothing(
        app: Flask, web_services: Services) -> None:
    world = september(web_services, ("RIGA",))
    person_id = world.persons["RIGA"]
    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    jelgava = signed_in(app, web_services, "jelgava", ["social_service"], "JELGAVA")
    auditor = signed_in(app, web_services, "revidents", ["audit"], "LM-AUDIT", role="auditor")
    with transaction(web_services.sessions) as session:
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        no_code = register_person(session, social, given_name="Bez", family_name="Koda",
                                  birth_date=date(1979, 1, 1), municipality_code="RIGA").id
    before = counts(web_services)

    for typed in ("31.02.2026", "rīt", "2026-09-31", "2026-09-20T10:00", "20/09/2026"):
        answer = riga.post(f"/nsk/persons/{person_id}/check",
                           data={"csrf_token": csrf_of(riga), "check_date": typed},
                           follow_redirects=True)
        assert answer.request.path == f"/persons/{person_id}", typed
        assert "Datums nav derīgs (DD.MM.GGGG)." in answer.text, typed
    # Another municipality's person, and one that does not exist: the same 404, logged.
    for tampered in (person_id, 999999):
        answer = jelgava.post(f"/nsk/persons/{tampered}/check",
                              data={"csrf_token": csrf_of(jelgava), "check_date": "2026-09-25"})
        assert answer.status_code == 404
        assert ("person", tampered) in denied(web_services, "jelgava")
    assert jelgava.get(f"/persons/{person_id}").status_code == 404
    # A path that is not a number never reaches the page.
    assert riga.post("/nsk/persons/abc/check", data={"csrf_token": csrf_of(riga)}).status_code \
        == 404
    # The auditor reads the file but has no button, and a forged request is refused in Latvian.
    audited = auditor.get(f"/persons/{person_id}")
    assert audited.status_code == 200 and "Pārbaudīt NSK atbilstību" not in audited.text
    refused = auditor.post(f"/nsk/persons/{person_id}/check",
                           data={"csrf_token": csrf_of_page(auditor, f"/persons/{person_id}")},
                           follow_redirects=True)
    assert "Jūs varat skatīt šo lietu, bet nevarat tajā sākt pārbaudi." in refused.text
    # A person without a personal code cannot be checked against the registers.
    assert "Pārbaudīt NSK atbilstību" not in riga.get(f"/persons/{no_code}").text
    no_code_answer = riga.post(f"/nsk/persons/{no_code}/check",
                               data={"csrf_token": csrf_of(riga)}, follow_redirects=True)
    assert "Personai nav personas koda" in no_code_answer.text
    assert counts(web_services) == before


def csrf_of_page(client: FlaskClient, path: str) -> str:
    """The session's token from a page the account can open (an auditor has no inbox form)."""
    from tests.web.conftest import csrf_from

    return csrf_from(client.get(path))


def test_the_pages_in_english_on_request(app: Flask, web_services: Services) -> None:
    world = september(web_services, ("RIGA",))
    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    listed = riga.get("/nsk/reports", query_string={"lang": "en"})
    assert "NSK compensation reports" in listed.text and "awaiting approval" in listed.text
    assert "Reporting period" in listed.text and "kompensāciju" not in listed.text
    assert "The month must be written YYYY-MM" in riga.get(
        "/nsk/reports", query_string={"period": "2026-9"}).text
    report = riga.get(f"/nsk/reports/{world.reports['RIGA']}")
    assert "NSK compensation report" in report.text and "Eligible days" in report.text
    assert "85,00 €" in report.text  # amounts keep the Latvian form
    file = riga.get(f"/persons/{world.persons['RIGA']}")
    assert "Money follows the client (NSK)" in file.text and "Check NSK eligibility" in file.text
    assert "eligible" in file.text
    bad = riga.post(f"/nsk/persons/{world.persons['RIGA']}/check",
                    data={"csrf_token": csrf_of(riga), "check_date": "31.02.2026"},
                    follow_redirects=True)
    assert "The date is not valid (DD.MM.YYYY)." in bad.text
    approve(web_services, world.reports["RIGA"])
    assert "approved" in riga.get(f"/nsk/reports/{world.reports['RIGA']}").text
    assert "NSK payment instructions" in riga.get("/nsk/payments").text
    # Back to Latvian when asked.
    assert "NSK kompensāciju pārskati" in riga.get("/nsk/reports", query_string={"lang": "lv"}).text


def test_the_section_is_left_out_for_a_person_never_in_a_vsac(app: Flask,
                                                              web_services: Services) -> None:
    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    with transaction(web_services.sessions) as session:
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        child = register_person(session, social, given_name="Bērns", family_name="Bez VSAC",
                                birth_date=date(2019, 5, 1), municipality_code="RIGA").id
    page = riga.get(f"/persons/{child}")
    assert page.status_code == 200 and "nsk-panel-title" not in page.text
