"""Every construct of a form schema rendered on the server, accessibly, in Latvian and English."""
from __future__ import annotations

import json
import re

from flask.testing import FlaskClient

from tests.forms.conftest import page_of


def _tag(text: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(r'<(?:input|select|textarea|fieldset|div)\b[^>]*\bid="' + re.escape(element_id)
                      + r'"[^>]*>', text)
    assert match, f"no element with id {element_id}"
    return match.group(0)


def _before_template(text: str) -> str:
    # Row templates (for the page script) repeat the row's controls; most checks look at the
    # rows the page shows.
    return re.sub(r"<template\b.*?</template>", "", text, flags=re.DOTALL)


def test_labels_help_and_required_marks_are_tied_to_their_controls(
        anna: FlaskClient, plan_task: int) -> None:
    text = _before_template(page_of(anna, plan_task))
    assert '<label for="field-summary">Kopsavilkums</label>' in text
    assert '<p class="help" id="field-summary-help">Galvenie novērtējuma secinājumi</p>' in text
    assert 'aria-describedby="field-summary-help"' in _tag(text, "field-summary")
    date_label = re.search(r'<label for="field-assessment_date">(.*?)</label>', text, re.DOTALL)
    assert date_label and 'class="required-mark" aria-hidden="true"> *' in date_label.group(1)
    assert " required" in _tag(text, "field-assessment_date")
    assert " required" not in _tag(text, "field-summary")
    assert "Ar * atzīmētie lauki ir obligāti." in text


def test_a_long_enum_is_a_select_with_latvian_titles(anna: FlaskClient, plan_task: int) -> None:
    text = page_of(anna, plan_task)
    assert _tag(text, "field-living_arrangement").startswith("<select")
    assert '<option value="group_home">Grupu dzīvoklī</option>' in text
    english = page_of(anna, plan_task, "en")
    assert '<option value="group_home">Group home</option>' in english


def test_four_options_or_fewer_are_radio_buttons_in_a_fieldset(anna: FlaskClient,
                                                                plan_task: int) -> None:
    text = _before_template(page_of(anna, plan_task))
    fieldset = _tag(text, "field-mobility")
    assert fieldset.startswith("<fieldset") and "field-radio" in fieldset
    assert re.search(r'<legend>Pārvietošanās<span class="required-mark"', text)
    assert re.search(r'<input type="radio" id="field-mobility-1" name="mobility" value="aided"'
                     r' required>\s*<label for="field-mobility-1">Ar palīglīdzekli</label>', text)
    # x-widget: radio forces radios for five options; integer values are posted as text.
    assert 'id="field-care_level-4" name="care_level" value="5"' in text
    assert 'value="aided">\n' not in text  # no select option for a radio field
    english = page_of(anna, plan_task, "en")
    assert '<label for="field-mobility-2">In a wheelchair</label>' in english


def test_numbers_carry_their_unit_and_money_is_text_in_euro(anna: FlaskClient,
                                                            plan_task: int) -> None:
    text = page_of(anna, plan_task)
    hours = _tag(text, "field-support_hours")
    assert 'type="number"' in hours and 'step="1"' in hours and 'min="0"' in hours
    assert 'aria-describedby="field-support_hours-unit"' in hours
    assert '<span class="unit" id="field-support_hours-unit">h/mēn.</span>' in text
    assert 'step="any"' in _tag(text, "field-distance_km")
    money = _tag(text, "field-monthly_allowance")
    assert 'type="text"' in money and 'inputmode="decimal"' in money
    assert '<span class="unit" id="field-monthly_allowance-unit">€</span>' in text
    assert '<span class="unit" id="field-support_hours-unit">h/month</span>' in \
        page_of(anna, plan_task, "en")


def test_dates_are_date_inputs_and_booleans_checkboxes(anna: FlaskClient, plan_task: int) -> None:
    text = _before_template(page_of(anna, plan_task))
    assert 'type="date"' in _tag(text, "field-assessment_date")
    assert re.search(r'<input type="checkbox" id="field-has_guardian" name="has_guardian" '
                     r'value="true"', text)
    assert '<label for="field-has_guardian">Personai ir aizbildnis</label>' in text
    assert '<textarea id="field-summary" name="summary"' in text


def test_an_array_of_enum_values_is_a_group_of_checkboxes(anna: FlaskClient,
                                                          plan_task: int) -> None:
    text = page_of(anna, plan_task)
    assert _tag(text, "field-services").startswith("<fieldset")
    assert re.search(r'<input type="checkbox" id="field-services-2" name="services" '
                     r'value="personal_assistant">\s*<label for="field-services-2">Asistents</label>',
                     text)


def test_a_nested_object_is_a_fieldset_with_a_legend(anna: FlaskClient, plan_task: int) -> None:
    text = page_of(anna, plan_task)
    address = text.split('id="field-address"', 1)[1].split("</fieldset>", 1)[0]
    assert "<legend>Adrese</legend>" in address
    assert 'id="field-address-city" name="address.city" required' in address


def test_a_repeating_group_starts_with_its_minimum_rows_and_a_template(
        anna: FlaskClient, plan_task: int) -> None:
    text = page_of(anna, plan_task)
    group = _tag(text, "field-household")
    assert 'data-repeat="household"' in group and 'data-max-rows="4"' in group
    assert 'data-row-label="Rinda {n}"' in group
    shown = _before_template(text)
    assert shown.count("data-row>") == 1
    assert '<input type="hidden" name="household" value="0">' in shown
    assert 'id="field-household-0-given_name" name="household.0.given_name" required' in shown
    assert "<span data-row-label>Rinda 1</span>" in shown
    # The only row cannot be removed (minItems 1); the add button sends the form without script.
    assert re.search(r'value="remove:household.0" data-remove-row hidden', shown)
    assert re.search(r'<button class="button button-secondary button-small" type="submit" '
                     r'name="_action" value="add:household" data-add-row>Pievienot rindu'
                     r'<span class="visually-hidden">: Mājsaimniecības locekļi</span>', shown)
    template = re.search(r"<template data-row-template>(.*?)</template>", text, re.DOTALL)
    assert template and 'name="household.__i0__.given_name"' in template.group(1)
    assert 'id="field-household-__i0__-given_name"' in template.group(1)


def test_conditional_sections_are_hidden_until_their_condition_holds(
        anna: FlaskClient, plan_task: int) -> None:
    text = _before_template(page_of(anna, plan_task))
    guardian = re.search(r'<div class="form-section" id="section-0" data-section hidden '
                         r"data-condition='([^']*)'>", text)
    assert guardian, "the guardian section is hidden while the box is not ticked"
    assert json.loads(guardian.group(1)) == {
        "all": [{"field": "has_guardian", "values": ["true"], "required": True,
                 "checkbox": True}], "negate": False}
    section = text.split('id="section-0"', 1)[1].split('id="field-household"', 1)[0]
    assert 'name="guardian.name"' in section
    # The section sits right after the box that opens it.
    assert text.index('id="field-has_guardian"') < text.index('id="section-0"')
    # if/then/else: "independent since" waits for its answer, "plans to move" shows meanwhile.
    assert re.search(r'id="section-1" data-section hidden', text)
    assert re.search(r'id="section-2" data-section data-condition', text)
    assert '"negate": true' in text.split('id="section-2"', 1)[1].split(">", 1)[0]
    # dependentSchemas: the reason appears once someone is chosen to refer to.
    referral = text.split('id="section-3"', 1)[1].split(">", 1)[0]
    assert "hidden" in referral and '"filled": true' in referral


def test_file_fields_make_the_form_multipart_and_say_what_they_accept(
        anna: FlaskClient, plan_task: int) -> None:
    text = page_of(anna, plan_task)
    assert 'enctype="multipart/form-data"' in text
    report = _tag(text, "field-assessment_report")
    assert 'type="file"' in report and 'accept="application/pdf,.pdf"' in report
    assert 'accept="image/png,image/jpeg,.png,.jpg,.jpeg"' in _tag(text, "field-photo")
    assert '<p class="help" id="field-assessment_report-limits">PDF, ne lielāks par 10 MB.</p>' \
        in text


def test_the_page_has_the_form_script_and_style_and_nothing_inline(
        anna: FlaskClient, plan_task: int) -> None:
    response = anna.get(f"/tasks/{plan_task}")
    text = response.text
    assert '<script src="/static/js/forms.js" defer></script>' in text
    assert '<link rel="stylesheet" href="/static/css/forms.css">' in text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline script"
    assert " style=" not in text and "<style" not in text
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self'
    assert anna.get("/static/js/forms.js").status_code == 200
    assert anna.get("/static/css/forms.css").status_code == 200


def test_enter_in_a_field_submits_rather_than_pressing_a_row_button(
        anna: FlaskClient, plan_task: int) -> None:
    text = page_of(anna, plan_task)
    form = text.split("data-task-form>", 1)[1]
    first_button = re.search(r"<button[^>]*>", form)
    assert first_button and 'value="submit"' in first_button.group(0)
    assert 'aria-hidden="true"' in first_button.group(0)
    assert '<button class="button button-secondary" type="submit" name="_action" value="draft">' \
           'Saglabāt melnrakstu</button>' in text


def test_the_english_page_labels_everything_in_english(anna: FlaskClient, plan_task: int) -> None:
    text = page_of(anna, plan_task, "en")
    for english in ("Support plan (test form)", "Assessment date", "Household members",
                    "Add row", "Row 1", "Save draft", "Address", "Reason for the referral"):
        assert english in text, english
    for latvian in ("Mājsaimniecības locekļi", "Pievienot rindu", "Rinda 1"):
        assert latvian not in text, latvian
