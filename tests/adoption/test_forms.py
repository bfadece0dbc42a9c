"""The adoption register unit's forms: the child card (from a person in DI Case, pre-filled from
P9/P10 and VDEĀVK through its simulator, or a new person) and its corrections; the adopter's
application, preferences, renewal and withdrawal. Valid input is stored and the look logged;
wrong input gets Latvian messages on the fields and writes nothing; another organisation gets
the logged 404; an auditor reads but has no forms."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import AccessLogEntry, Adopter, AdoptionChild, Person
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.services import Services
from tests.adoption.helpers import make_adopter, make_child
from tests.adoption.test_access import _client
from tests.web.conftest import app, post, web_services, web_settings  # noqa: F401

TODAY = today_in_latvia()
# the VDEĀVK simulator holds a disability decision with a special-care opinion for this code
WITH_DISABILITY = valid_personal_code(1)


def lv(day: date) -> str:
    return day.strftime("%d.%m.%Y")


@pytest.fixture
def marta(app: Flask, web_services: Services) -> FlaskClient:  # noqa: F811
    return _client(app, web_services, "marta", ("caseworker",), ("adoption_register",),
                   "LM-ADOPT")


@pytest.fixture
def head(app: Flask, web_services: Services) -> FlaskClient:  # noqa: F811
    return _client(app, web_services, "vadone", ("caseworker", "supervisor"),
                   ("adoption_register",), "LM-ADOPT")


def _person_in_di_case(services: Services, code: str = WITH_DISABILITY) -> int:
    """A child the orphan court registered (a P10 child, say): not the unit's record."""
    with transaction(services.sessions) as session:
        court = viewer_of(session, "bt", ["caseworker"], ["orphan_court"], "RIGA-BT")
        person = register_person(session, court, given_name="Elza", family_name="Liepiņa",
                                 personal_code=code, birth_date=TODAY - timedelta(days=5 * 365),
                                 sex="F", municipality_code="RIGA",
                                 institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT")
        return person.id


def _logged(services: Services) -> set[tuple[str, str, str, int | None]]:
    with services.sessions() as session:
        return {(e.username, e.action, e.record_type, e.record_id)
                for e in session.scalars(select(AccessLogEntry))}


def _count(services: Services, model: Any) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- the child card -----------------------------------------------------------------------

def test_a_child_in_di_case_is_found_by_code_and_the_card_is_prefilled(
        marta: FlaskClient, web_services: Services) -> None:  # noqa: F811
    person_id = _person_in_di_case(web_services)
    page = marta.get(f"/adoption/children/new?code={WITH_DISABILITY}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Elza Liepiņa" in text and "Aizpildīts no DI Case" in text
    assert "VDEAVK-2025-00001" in text  # VDEĀVK's answer, through the adapter
    assert "personas lieta DI Case" in text and "person," not in text  # sources in words
    assert "(smaga" in text and "SEVERE" not in text  # the severity in words
    assert 'value="disability" checked' in text and 'value="special_care" checked' in text
    assert ("marta", "view", "person", person_id) in _logged(web_services)
    answer = post(marta, "/adoption/children/new", {
        "code": WITH_DISABILITY, "free_for_adoption_on": lv(TODAY - timedelta(days=20)),
        "sibling_group": "BT-2026-7", "siblings_together": "1",
        "health_conditions": ["disability", "special_care"], "health_notes": "Astma.",
        "special_needs": "Logopēds.", "carer_name": "", "deciding_court_code": "",
        "carer_code": "", "parents_info": "Māte: X"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with web_services.sessions() as session:
        [card] = session.scalars(select(AdoptionChild)).all()
        assert card.person_id == person_id and card.free_for_adoption_on == TODAY - timedelta(
            days=20)
        assert (card.sibling_group, card.siblings_together) == ("BT-2026-7", True)
        assert card.health_conditions == ["disability", "special_care"]
        assert (card.deciding_court_code, card.carer_code) == ("RIGA-BT", "VSAC-RIGA")
        assert card.carer_name == "VSAC «Rīga»" and card.region_code == "PR-RIGA"
        assert card.parents_info == ""  # a specialist does not write the parents' data
        assert card.confidential and card.record_kind == "adoption"
        card_id = card.id
    assert answer.headers["Location"].endswith(f"/adoption/children/{card_id}")
    assert "Bērna kartīte reģistrēta." in marta.get(answer.headers["Location"]).get_data(
        as_text=True)
    assert ("marta", "view", "adoption_child", card_id) in _logged(web_services)
    # a second card for the same child is refused
    again = marta.get(f"/adoption/children/new?code={WITH_DISABILITY}").get_data(as_text=True)
    assert "Šim bērnam reģistrā jau ir kartīte." in again


def test_wrong_child_card_input_gets_latvian_messages_and_writes_nothing(
        marta: FlaskClient, web_services: Services) -> None:  # noqa: F811
    _person_in_di_case(web_services)
    bad_code = marta.get("/adoption/children/new?code=123")
    assert "Tas nav derīgs Latvijas personas kods." in bad_code.get_data(as_text=True)
    for form, message in (
            ({"free_for_adoption_on": "31.02.2026"}, "Ierakstiet datumu formā DD.MM.GGGG."),
            ({"free_for_adoption_on": lv(TODAY + timedelta(days=1))},
             "Datums nevar būt vēlāks par šodienu"),
            ({"free_for_adoption_on": lv(TODAY - timedelta(days=6 * 365))},
             "Bērns nevar būt brīvs adopcijai pirms dzimšanas datuma"),
            ({"free_for_adoption_on": lv(TODAY), "siblings_together": "1"},
             "katrā kartītē jābūt vienam grupas kodam"),
            ({"free_for_adoption_on": lv(TODAY), "health_conditions": ["flu"]},
             "Izvēlieties no saraksta."),
            ({"free_for_adoption_on": lv(TODAY), "deciding_court_code": "NOPE"},
             "Izvēlieties no saraksta.")):
        answer = post(marta, "/adoption/children/new", {"code": WITH_DISABILITY, **form})
        text = answer.get_data(as_text=True)
        assert answer.status_code == 422 and message in text, (form, text[:3000])
        assert 'aria-invalid="true"' in text
    # what was typed stays on the form
    kept = post(marta, "/adoption/children/new", {"code": WITH_DISABILITY,
                                                  "free_for_adoption_on": "31.02.2026",
                                                  "special_needs": "Logopēds."})
    assert 'value="31.02.2026"' in kept.get_data(as_text=True)
    assert "Logopēds." in kept.get_data(as_text=True)
    assert _count(web_services, AdoptionChild) == 0


def test_a_child_not_in_di_case_is_registered_as_a_new_confidential_person(
        marta: FlaskClient, web_services: Services) -> None:  # noqa: F811
    code = valid_personal_code(4242)
    found = marta.get(f"/adoption/children/new?code={code}").get_data(as_text=True)
    assert "Bērna nav DI Case: jauna persona" in found
    born = TODAY - timedelta(days=3 * 365)
    form = {"given_name": "Toms", "family_name": "Bērziņš", "personal_code": code,
            "birth_date": lv(born), "sex": "M", "municipality_code": "RIGA",
            "free_for_adoption_on": lv(TODAY - timedelta(days=2)),
            "deciding_court_code": "RIGA-BT", "carer_code": "", "carer_name": "Audžuģimene"}
    wrong = post(marta, "/adoption/children/new", dict(form, sex="", given_name=""))
    assert wrong.status_code == 422 and "Šis lauks ir obligāts." in wrong.get_data(as_text=True)
    assert _count(web_services, Person) == 0
    answer = post(marta, "/adoption/children/new", form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with web_services.sessions() as session:
        [person] = session.scalars(select(Person)).all()
        [card] = session.scalars(select(AdoptionChild)).all()
    assert person.confidential and person.given_name == "Toms"
    assert (card.person_id, card.sex, card.birth_date) == (person.id, "M", born)
    assert (card.deciding_court_code, card.carer_name, card.region_code) == (
        "RIGA-BT", "Audžuģimene", "PR-RIGA")


def test_the_card_is_corrected_and_the_parents_data_only_by_the_supervisor(
        marta: FlaskClient, head: FlaskClient, web_services: Services) -> None:  # noqa: F811
    card_id = make_child(web_services, 77, born=TODAY - timedelta(days=4 * 365))
    page = marta.get(f"/adoption/children/{card_id}/edit")
    assert page.status_code == 200 and 'name="parents_info"' not in page.get_data(as_text=True)
    assert ("marta", "view", "adoption_child", card_id) in _logged(web_services)
    form = {"free_for_adoption_on": lv(TODAY - timedelta(days=10)), "sibling_group": "G1",
            "health_conditions": ["chronic_illness"], "health_notes": "Diabēts.",
            "special_needs": "", "deciding_court_code": "RIGA-BT", "carer_code": "",
            "carer_name": "Audžuģimene Kalniņi", "parents_info": "Māte: Y"}
    assert post(marta, f"/adoption/children/{card_id}/edit", form).status_code == 302
    with web_services.sessions() as session:
        card = session.get(AdoptionChild, card_id)
        assert card is not None
        assert (card.sibling_group, card.siblings_together, card.health_conditions) == (
            "G1", False, ["chronic_illness"])
        assert (card.carer_code, card.carer_name, card.parents_info) == (
            None, "Audžuģimene Kalniņi", "")
    assert 'name="parents_info"' in head.get(f"/adoption/children/{card_id}/edit").get_data(
        as_text=True)
    assert post(head, f"/adoption/children/{card_id}/edit", form).status_code == 302
    wrong = post(marta, f"/adoption/children/{card_id}/edit",
                 dict(form, free_for_adoption_on="vakar", sibling_group="G1"))
    assert wrong.status_code == 422
    with web_services.sessions() as session:
        card = session.get(AdoptionChild, card_id)
        assert card is not None and card.parents_info == "Māte: Y"
        assert card.free_for_adoption_on == TODAY - timedelta(days=10)


# --- the adopter --------------------------------------------------------------------------

ADOPTER = {"kind": "couple", "a1_given_name": "Ilze", "a1_family_name": "Ozola",
           "a1_personal_code": valid_personal_code(700), "a2_given_name": "Jānis",
           "a2_family_name": "Ozols", "a2_personal_code": valid_personal_code(701),
           "suitability_court_code": "RIGA-BT",
           "suitability_decision_on": lv(TODAY - timedelta(days=100)),
           "suitability_until": lv(TODAY + timedelta(days=265)),
           "registered_on": lv(TODAY - timedelta(days=90)), "children_max": "2",
           "age_min": "0", "age_max": "6", "sex_preference": "any", "siblings_accepted": "1",
           "health_accepted": ["chronic_illness"], "regions": ["PR-RIGA"], "country": "LV",
           "address": "Brīvības iela 2, Rīga", "phone": "+37120000000",
           "email": "ozoli@adopters.example"}


def test_an_adopter_is_registered_with_the_registration_date_as_typed(
        marta: FlaskClient, web_services: Services) -> None:  # noqa: F811
    form_page = marta.get("/adoption/adopters/new").get_data(as_text=True)
    assert "Pieteikuma reģistrācijas datums" in form_page
    assert 'name="registered_on" value=""' in form_page  # no default: not today by itself
    answer = post(marta, "/adoption/adopters/new", ADOPTER)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with web_services.sessions() as session:
        [row] = session.scalars(select(Adopter)).all()
    assert row.kind == "couple" and [a["given_name"] for a in row.applicants] == ["Ilze", "Jānis"]
    assert row.registered_on == TODAY - timedelta(days=90)
    assert (row.children_max, row.age_min, row.age_max, row.siblings_accepted) == (2, 0, 6, True)
    assert (row.health_accepted, row.regions, row.abroad) == (["chronic_illness"], ["PR-RIGA"],
                                                               False)
    assert row.confidential and row.record_kind == "adoption"
    marta.get(answer.headers["Location"])
    assert ("marta", "view", "adoption_adopter", row.id) in _logged(web_services)


@pytest.mark.parametrize(("change", "message"), [
    ({"registered_on": lv(TODAY - timedelta(days=120))}, "ne agrāk kā"),
    ({"registered_on": ""}, "Šis lauks ir obligāts."),
    ({"suitability_until": lv(TODAY - timedelta(days=101))}, "nevar būt derīgs līdz dienai"),
    ({"age_min": "7", "age_max": "3"}, "Augšējais vecums nevar būt mazāks par apakšējo."),
    ({"age_max": "18"}, "Ierakstiet veselu skaitli no 0 līdz 17."),
    ({"email": "ozoli"}, "Ierakstiet derīgu e-pasta adresi."),
    ({"a2_given_name": ""}, "Šis lauks ir obligāts."),
    ({"a1_personal_code": "010101-12345"}, "Tas nav derīgs Latvijas personas kods."),
    ({"abroad": "1", "country": "LV"}, "ierakstiet dzīvesvietas valsti"),
    ({"country": "DE"}, "atzīmējiet „dzīvo ārvalstīs”"),
    ({"suitability_court_code": "RIGA"}, "Izvēlieties no saraksta."),
], ids=["before-decision", "no-date", "until-before", "ages", "age-bound", "email", "couple",
        "code", "abroad-lv", "de-not-abroad", "court"])
def test_wrong_adopter_input_gets_latvian_messages_and_writes_nothing(
        marta: FlaskClient, web_services: Services,  # noqa: F811
        change: dict[str, str], message: str) -> None:
    answer = post(marta, "/adoption/adopters/new", dict(ADOPTER, **change))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in text, text[:4000]
    assert "Lūdzu, izlabojiet atzīmētos laukus." in text or 'role="alert"' in text
    assert 'value="Brīvības iela 2, Rīga"' in text  # nothing typed is lost
    assert _count(web_services, Adopter) == 0


def test_an_adopter_abroad_needs_no_latvian_code(marta: FlaskClient,
                                                 web_services: Services) -> None:  # noqa: F811
    answer = post(marta, "/adoption/adopters/new", dict(
        ADOPTER, kind="single", a1_personal_code="", abroad="1", country="de"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with web_services.sessions() as session:
        [row] = session.scalars(select(Adopter)).all()
    assert (row.kind, row.abroad, row.country, len(row.applicants)) == ("single", True, "DE", 1)


def test_preferences_renewal_and_withdrawal(marta: FlaskClient,
                                           web_services: Services) -> None:  # noqa: F811
    adopter_id = make_adopter(web_services, "Anna")
    page = marta.get(f"/adoption/adopters/{adopter_id}").get_data(as_text=True)
    assert "Atjaunot piemērotības lēmumu" in page
    prefs = {"children_max": "3", "age_min": "2", "age_max": "9", "sex_preference": "F",
             "health_accepted": ["disability"], "regions": [], "country": "LV",
             "address": "Jauna iela 5, Cēsis", "phone": "", "email": ""}
    bad = post(marta, f"/adoption/adopters/{adopter_id}/edit", dict(prefs, children_max="0"))
    assert bad.status_code == 422 and "no 1 līdz 10" in bad.get_data(as_text=True)
    assert post(marta, f"/adoption/adopters/{adopter_id}/edit", prefs).status_code == 302
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter_id)
        assert row is not None
        registered = row.registered_on
        assert (row.children_max, row.age_min, row.age_max, row.sex_preference) == (3, 2, 9, "F")
        assert (row.health_accepted, row.address, row.email) == (
            ["disability"], "Jauna iela 5, Cēsis", "")
    # renewal: wrong, then right
    bad = post(marta, f"/adoption/adopters/{adopter_id}/renew",
               {"renewed_on": lv(TODAY), "until": lv(TODAY - timedelta(days=1))})
    assert bad.status_code == 422 and "nevar būt derīgs līdz dienai" in bad.get_data(as_text=True)
    new_until = TODAY + timedelta(days=700)
    assert post(marta, f"/adoption/adopters/{adopter_id}/renew",
                {"renewed_on": lv(TODAY), "until": lv(new_until)}).status_code == 302
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter_id)
        assert row is not None and (row.renewed_on, row.suitability_until) == (TODAY, new_until)
        assert row.registered_on == registered  # the place in the queue stays
    # withdrawal: not before the registration, then on the day
    bad = post(marta, f"/adoption/adopters/{adopter_id}/withdraw",
               {"withdrawn_on": lv(registered - timedelta(days=1))})
    assert bad.status_code == 422 and "Ne agrāk par reģistrāciju" in bad.get_data(as_text=True)
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter_id)
        assert row is not None and row.status == "active"
    no_reason = post(marta, f"/adoption/adopters/{adopter_id}/withdraw",
                     {"withdrawn_on": lv(TODAY)})
    assert no_reason.status_code == 422
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter_id)
        assert row is not None and row.status == "active"
    reason = "Ģimene pārceļas uz ārzemēm, iesniegums 12.11."
    assert post(marta, f"/adoption/adopters/{adopter_id}/withdraw",
                {"withdrawn_on": lv(TODAY), "withdrawal_reason": reason}).status_code == 302
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter_id)
        assert row is not None and (row.status, row.withdrawn_on, row.withdrawal_reason) == (
            "withdrawn", TODAY, reason)
    # a withdrawn adopter's file has no forms any more, and says why
    after = marta.get(f"/adoption/adopters/{adopter_id}").get_data(as_text=True)
    assert "Atjaunot piemērotības lēmumu" not in after and "atteicies" in after
    assert reason in after
    again = post(marta, f"/adoption/adopters/{adopter_id}/withdraw", {"withdrawn_on": lv(TODAY)})
    assert again.status_code == 422
    assert ("marta", "view", "adoption_adopter", adopter_id) in _logged(web_services)


def test_a_post_without_the_csrf_token_writes_nothing(marta: FlaskClient,
                                                      web_services: Services) -> None:  # noqa: F811
    answer = marta.post("/adoption/adopters/new", data=ADOPTER)
    assert answer.status_code == 400
    assert _count(web_services, Adopter) == 0


# --- who may use the forms ----------------------------------------------------------------

def _form_paths(services: Services) -> tuple[list[str], int, int]:
    child = make_child(services, 88, born=TODAY - timedelta(days=2 * 365))
    adopter = make_adopter(services, "Dace")
    return ([f"/adoption/children/{child}/edit", f"/adoption/adopters/{adopter}/edit",
             f"/adoption/adopters/{adopter}/renew", f"/adoption/adopters/{adopter}/withdraw"],
            child, adopter)


@pytest.mark.parametrize("who", [
    ("soc", ("caseworker", "supervisor"), ("social_service",), "RIGA"),
    ("bt", ("caseworker",), ("orphan_court",), "RIGA-BT"),
    ("admin", ("admin",), (), "LM"),
], ids=["municipality", "orphan-court", "admin"])
def test_another_organisation_gets_a_logged_404(app: Flask, web_services: Services,  # noqa: F811
                                                who: tuple[Any, ...]) -> None:
    paths, child, adopter = _form_paths(web_services)
    client = _client(app, web_services, *who)
    for path in [*paths, "/adoption/children/new", "/adoption/adopters/new",
                 f"/adoption/children/new?code={WITH_DISABILITY}"]:
        assert client.get(path).status_code == 404, path
        assert post(client, path.split("?")[0], {"withdrawn_on": lv(TODAY)}).status_code == 404
    logged = _logged(web_services)
    assert (who[0], "denied", "adoption_child", child) in logged
    assert (who[0], "denied", "adoption_adopter", adopter) in logged
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter)
        assert row is not None and row.status == "active"


def test_an_auditor_reads_but_has_no_forms(app: Flask, web_services: Services) -> None:  # noqa: F811
    paths, child, adopter = _form_paths(web_services)
    auditor = _client(app, web_services, "auditors", ("auditor",), (), "LM-AUDIT")
    for page, link in ((f"/adoption/children/{child}", "Labot bērna kartīti"),
                       ("/adoption/children", "Jauna bērna kartīte"),
                       (f"/adoption/adopters/{adopter}", "Atjaunot piemērotības lēmumu"),
                       ("/adoption/adopters", "Reģistrēt adoptētāju")):
        answer = auditor.get(page)
        assert answer.status_code == 200 and link not in answer.get_data(as_text=True), page
    for path in [*paths, "/adoption/children/new", "/adoption/adopters/new"]:
        assert auditor.get(path).status_code == 403, path
        assert post(auditor, path, {"withdrawn_on": lv(TODAY)}).status_code == 403, path
    with web_services.sessions() as session:
        row = session.get(Adopter, adopter)
        assert row is not None and row.status == "active"
    assert ("auditors", "view", "adoption_child", child) in _logged(web_services)
