"""Posting the test form: rows added and removed without JavaScript, validation of nested and
conditional fields, and the typed data the engine receives."""
from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient

from app.services import Services
from tests.forms.conftest import VALID, VALID_DATA, submitted_data
from tests.web.conftest import post, task_row


def _field_error(text: str, field_id: str) -> str | None:
    marker = f'<p class="field-error" id="{field_id}-error">'
    if marker not in text:
        return None
    return html.unescape(text.split(marker, 1)[1].split("</p>", 1)[0]).strip()


def _shown(text: str) -> str:
    return re.sub(r"<template\b.*?</template>", "", text, flags=re.DOTALL)


def _without(form: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in form.items() if name not in names}


def test_a_complete_form_reaches_the_engine_as_typed_data(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    response = post(anna, f"/tasks/{plan_task}", VALID)
    assert response.status_code == 302, _shown(response.text)
    assert task_row(web_services, plan_task).status == "completed"
    data = submitted_data(web_services, plan_task)
    assert data == VALID_DATA
    # Money is a decimal string or whole cents, never a float.
    assert isinstance(data["monthly_allowance"], str) and isinstance(data["service_cost"], int)


def test_add_row_without_javascript_shows_the_form_again_with_one_more_row(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    form = {**_without(VALID, "household"), "household": ["0"], "_action": "add:household"}
    response = post(anna, f"/tasks/{plan_task}", form)
    assert response.status_code == 200
    text = _shown(response.text)
    assert text.count("data-row>") == 2
    assert 'name="household.1.given_name"' in text
    assert "<span data-row-label>Rinda 2</span>" in text
    # The new row takes the focus; what was entered is still there; nothing was validated.
    assert re.search(r'id="field-household-1-given_name"[^>]*autofocus', text)
    assert 'value="Jānis"' in text and 'value="Brīvības iela 1"' in text
    assert "field-error" not in text
    assert task_row(web_services, plan_task).status == "open"
    # Both rows can be removed now that there are more than the minimum.
    assert 'value="remove:household.0" data-remove-row>' in text


def test_remove_row_without_javascript_drops_that_row_and_renumbers(
        anna: FlaskClient, plan_task: int) -> None:
    form = {**VALID, "_action": "remove:household.0"}
    text = _shown(post(anna, f"/tasks/{plan_task}", form).text)
    assert text.count("data-row>") == 1
    assert 'name="household.0.given_name" required value="Līga"' in text
    assert "Jānis" not in text
    assert re.search(r'value="add:household" data-add-row autofocus', text)


def test_the_add_button_goes_once_the_group_is_full(anna: FlaskClient, plan_task: int) -> None:
    form = {**VALID, "household": ["0", "1", "2", "3"]}
    text = _shown(post(anna, f"/tasks/{plan_task}", {**form, "_action": "add:household"}).text)
    assert text.count("data-row>") == 4
    assert re.search(r'value="add:household" data-add-row hidden', text)


def test_errors_in_rows_and_groups_are_shown_beside_the_field_and_in_the_summary(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    form = {**VALID, "household.1.relation": "", "address.city": "R", "support_hours": "800"}
    response = post(anna, f"/tasks/{plan_task}", form)
    assert response.status_code == 422
    text = response.text
    assert _field_error(text, "field-household-1-relation") == "Šis lauks ir obligāts."
    assert _field_error(text, "field-address-city") == "Ievadiet vismaz 2 rakstzīmes."
    assert _field_error(text, "field-support_hours") == "Vērtība nedrīkst pārsniegt 744."
    summary = text.split('class="alert alert-error error-summary"', 1)[1].split("</div>", 1)[0]
    assert ('<a href="#field-household-1-relation-0">Mājsaimniecības locekļi › Rinda 2 › '
            'Radniecība: Šis lauks ir obligāts.</a>') in summary
    assert '<a href="#field-address-city">Adrese › Pilsēta: ' in summary
    assert 'aria-invalid="true"' in _shown(text).split('id="field-household-1-relation-0"')[1][:120]
    assert task_row(web_services, plan_task).status == "open"


def test_a_minimum_of_rows_is_enforced_on_the_server(anna: FlaskClient, plan_task: int) -> None:
    form = {**_without(VALID, *[k for k in VALID if k.startswith("household")])}
    text = post(anna, f"/tasks/{plan_task}", form).text
    assert _field_error(text, "field-household") == "Pievienojiet vismaz 1 rindu."


def test_a_ticked_condition_makes_its_section_required_and_visible(
        anna: FlaskClient, plan_task: int) -> None:
    form = {**VALID, "guardian.name": "", "household.1.works": "true"}
    response = post(anna, f"/tasks/{plan_task}", form)
    assert response.status_code == 422
    text = _shown(response.text)
    assert _field_error(text, "field-guardian-name") == "Šis lauks ir obligāts."
    assert re.search(r'id="section-0" data-section data-condition', text), "now shown"
    assert _field_error(text, "field-household-1-employer") == "Šis lauks ir obligāts."
    assert re.search(r'id="section-household-1-0" data-section data-condition', text)


def test_answers_of_a_section_whose_condition_fails_are_not_submitted(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    form = {**_without(VALID, "has_guardian", "referral_to"), "guardian.name": "",
            "independent_since": "2020-01-01", "household.1.employer": "Nekur"}
    response = post(anna, f"/tasks/{plan_task}", form)
    assert response.status_code == 302, _shown(response.text)
    data = submitted_data(web_services, plan_task)
    assert data["has_guardian"] is False
    for dropped in ("guardian", "independent_since", "referral_reason", "referral_to"):
        assert dropped not in data, dropped
    assert "employer" not in data["household"][1]


def test_else_and_dependent_sections(anna: FlaskClient, plan_task: int) -> None:
    form = {**_without(VALID, "referral_reason"), "living_arrangement": "independent"}
    text = _shown(post(anna, f"/tasks/{plan_task}", form).text)
    assert _field_error(text, "field-independent_since") == "Šis lauks ir obligāts."
    assert _field_error(text, "field-referral_reason") == "Šis lauks ir obligāts."
    assert re.search(r'id="section-2" data-section hidden', text), "else part hides"


def test_money_is_read_as_people_type_it_and_refused_with_three_decimals(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    bad = post(anna, f"/tasks/{plan_task}", {**VALID, "monthly_allowance": "12,345",
                                             "service_cost": "-1"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "field-monthly_allowance") == (
        "Ievadiet summu eiro ar ne vairāk kā diviem cipariem aiz komata, piemēram, 125,50.")
    assert _field_error(bad.text, "field-service_cost") == "Vērtībai jābūt vismaz 0,00 €."
    assert 'value="12,345"' in bad.text
    good = post(anna, f"/tasks/{plan_task}", {**VALID, "monthly_allowance": "1.234,05 €",
                                              "service_cost": "0,1"})
    assert good.status_code == 302
    data = submitted_data(web_services, plan_task)
    assert (data["monthly_allowance"], data["service_cost"]) == ("1234.05", 10)


def test_a_typed_date_that_is_not_real_is_shown_as_typed(anna: FlaskClient,
                                                         plan_task: int) -> None:
    text = post(anna, f"/tasks/{plan_task}", {**VALID, "assessment_date": "31.02.2026"}).text
    assert _field_error(text, "field-assessment_date") == \
        "Ievadiet derīgu datumu, piemēram, 31.01.2026."
    # A date control cannot hold "31.02.2026"; a text box shows it, with the format to use.
    assert re.search(r'<input type="text" id="field-assessment_date" name="assessment_date" '
                     r'required [^>]*value="31.02.2026" class="input-date" '
                     r'placeholder="DD.MM.GGGG"', text)


def test_values_that_are_not_offered_are_refused(anna: FlaskClient, plan_task: int) -> None:
    form = {**VALID, "mobility": "flying", "services": ["day_care", "teleport"]}
    text = post(anna, f"/tasks/{plan_task}", form).text
    assert _field_error(text, "field-mobility") == "Izvēlieties vienu no piedāvātajām vērtībām."
    assert _field_error(text, "field-services") is None  # the message is on the value's path
    assert "Izvēlieties vienu no piedāvātajām vērtībām." in \
        text.split('class="alert alert-error error-summary"', 1)[1].split("</div>", 1)[0]


def test_fields_the_form_does_not_have_are_ignored(anna: FlaskClient, plan_task: int,
                                                   web_services: Services) -> None:
    form = {**VALID, "is_admin": "true", "household.0.secret": "x", "guardian.extra": "y"}
    assert post(anna, f"/tasks/{plan_task}", form).status_code == 302
    data = submitted_data(web_services, plan_task)
    assert "is_admin" not in data and "secret" not in data["household"][0]
    assert "extra" not in data["guardian"]
