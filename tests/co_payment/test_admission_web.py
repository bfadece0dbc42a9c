"""The VSAC's admission screen starts P8: from the case file's co-payment section or the list of
residents without a case; bad dates are refused in Latvian and start nothing; a second start of
the same stay is refused; another institution's resident answers 404 like a missing one, and the
refusal is in the access log."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.access import log as access_log
from app.auth.service import create_user
from app.db import transaction
from app.db.models import AccessLogEntry
from app.domain.calendar import today_in_latvia
from app.services import Services

from .conftest import BIRTH, PASSWORD, admission_day, cases_of, csrf_from, login, resident


def signed_in(app: Flask, services: Services, username: str, organisation: str = "VSAC-RIGA",
              groups: tuple[str, ...] = ("institution",)) -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, username, username.capitalize(), PASSWORD, roles=["caseworker"],
                    groups=list(groups), organisation_code=organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def admit(client: FlaskClient, person_id: int, typed: str) -> tuple[int, str]:
    path = f"/co-payment/persons/{person_id}/admission"
    form = client.get(path)
    assert form.status_code == 200, form.text
    answer = client.post(path, data={"csrf_token": csrf_from(form), "admission_date": typed})
    if answer.status_code == 302:
        answer_page = client.get(answer.headers["Location"])
        return 302, answer_page.text
    return answer.status_code, answer.text


def test_the_case_file_offers_the_admission_and_it_starts_the_case(
        app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 86)
    client = signed_in(app, web_services, "anna")
    page = client.get(f"/persons/{person_id}").text
    assert "Līdzmaksājums par ilgstošu sociālo aprūpi" in page
    assert f'href="/co-payment/persons/{person_id}/admission"' in page
    listed = client.get("/co-payment/residents").text
    assert "Ilga Ozola" in listed and "Reģistrēt uzņemšanu" in listed
    form = client.get(f"/co-payment/persons/{person_id}/admission").text
    assert today_in_latvia().strftime("%d.%m.%Y") in form  # shown as DD.MM.YYYY

    day = admission_day()
    status, text = admit(client, person_id, day.strftime("%d.%m.%Y"))
    assert status == 302
    [case] = cases_of(web_services, person_id)
    assert case.business_key == f"P8-{day.isoformat()}-{person_id:06d}"
    assert case.institution_code == "VSAC-RIGA" and case.status == "active"
    assert f"sākta līdzmaksājuma lieta {case.business_key}" in text
    assert f'href="/co-payment/persons/{person_id}/admission"' not in text  # no second button
    assert "Ilga Ozola" not in client.get("/co-payment/residents").text


def test_bad_dates_are_refused_in_latvian_and_start_nothing(app: Flask,
                                                            web_services: Services) -> None:
    person_id = resident(web_services, 87)
    client = signed_in(app, web_services, "anna")
    tomorrow = today_in_latvia() + timedelta(days=1)
    refused = {
        tomorrow.strftime("%d.%m.%Y"): "Uzņemšanas datums nevar būt nākotnē.",
        (BIRTH - timedelta(days=1)).strftime("%d.%m.%Y"):
            "Uzņemšanas datums nevar būt agrāks par personas dzimšanas datumu.",
        "31.02.2026": "Uzņemšanas datumu rakstiet formā DD.MM.GGGG.",
        "vakar": "Uzņemšanas datumu rakstiet formā DD.MM.GGGG.",
        "": "Uzņemšanas datumu rakstiet formā DD.MM.GGGG.",
    }
    for typed, message in refused.items():
        status, text = admit(client, person_id, typed)
        assert status == 422, typed
        assert message in text, typed
        assert f'value="{typed}"' in text  # what was typed is kept
    assert cases_of(web_services, person_id) == []


def test_without_the_csrf_token_nothing_starts(app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 88)
    client = signed_in(app, web_services, "anna")
    answer = client.post(f"/co-payment/persons/{person_id}/admission",
                         data={"admission_date": admission_day().strftime("%d.%m.%Y")})
    assert answer.status_code in (400, 403)
    assert cases_of(web_services, person_id) == []


def test_a_second_start_of_the_same_stay_is_refused(app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 89)
    client = signed_in(app, web_services, "anna")
    day = admission_day()
    assert admit(client, person_id, day.isoformat())[0] == 302
    [case] = cases_of(web_services, person_id)
    # Another date for the same running stay, and the same date again: both refused.
    for typed in ((day - timedelta(days=3)).strftime("%d.%m.%Y"), day.strftime("%d.%m.%Y")):
        status, text = admit(client, person_id, typed)
        assert status == 422
        assert f"Šai personai jau notiek līdzmaksājuma lieta {case.business_key}" in text
    assert len(cases_of(web_services, person_id)) == 1


def test_another_institutions_resident_reads_like_a_missing_one(
        app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 81)
    other = signed_in(app, web_services, "vidzeme", organisation="VSAC-VIDZEME")
    for path in (f"/co-payment/persons/{person_id}/admission",
                 "/co-payment/persons/999999/admission"):
        assert other.get(path).status_code == 404
    form = other.get("/co-payment/residents")
    assert form.status_code == 200 and "Ilga Ozola" not in form.text
    answer = other.post(f"/co-payment/persons/{person_id}/admission",
                        data={"csrf_token": csrf_from(form),
                              "admission_date": admission_day().strftime("%d.%m.%Y")})
    assert answer.status_code == 404
    assert cases_of(web_services, person_id) == []
    with web_services.sessions() as session:
        denied = list(session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.action == access_log.DENIED, AccessLogEntry.record_type == "person",
            AccessLogEntry.record_id == person_id)))
    assert len(denied) == 2 and {d.username for d in denied} == {"vidzeme"}


def test_only_the_vsac_registers_admissions(app: Flask, web_services: Services,
                                            make_user: Callable[..., str]) -> None:
    person_id = resident(web_services, 80)
    social = signed_in(app, web_services, "soc", organisation="RIGA", groups=("social_service",))
    assert social.get(f"/co-payment/persons/{person_id}/admission").status_code == 403
    assert social.get("/co-payment/residents").status_code == 403
    page = social.get(f"/persons/{person_id}").text
    assert f'href="/co-payment/persons/{person_id}/admission"' not in page
