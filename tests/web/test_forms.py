"""Task forms: rendered from JSON Schema, validated on the server, completed through the engine."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from flask.testing import FlaskClient
from markupsafe import escape

from app.config import PROJECT_ROOT
from app.db import transaction
from app.engine.deploy import deploy_source
from app.forms.service import (
    FORM_ERRORS,
    FormNotFound,
    fields,
    load_schema,
    read_submission,
    validate,
    walk,
)
from app.services import Services
from app.web import compile_catalogs
from tests.web.conftest import PLACEMENT_FORM, open_tasks, post, start_for_child, task_row

FORMS = PROJECT_ROOT / "forms"
TRANSLATIONS = PROJECT_ROOT / "app" / "translations"

INVALID_PLACEMENT = {"placement_date": "2026-02-30", "child_birth_date": "2024-05-01",
                     "institution_name": "", "orphan_court_code": "riga bt",
                     "notes": "Bērns <b>ievietots</b> \"steidzami\"\notrā rindā"}


def _latvian() -> Translations:
    compile_catalogs(TRANSLATIONS)
    return Translations.load(str(TRANSLATIONS), ["lv"])


# --- pages ---------------------------------------------------------------------------------------


def test_the_task_page_renders_the_form_from_its_schema(anna: FlaskClient, p9_task: int) -> None:
    page = anna.get(f"/tasks/{p9_task}")
    assert page.status_code == 200
    text = page.text
    assert "Bērna ievietošana ārpusģimenes aprūpē" in text
    assert '<label for="field-placement_date">Ievietošanas datums' in text
    assert 'type="date" id="field-placement_date" name="placement_date" required' in text
    assert '<textarea id="field-notes" name="notes" maxlength="2000"' in text
    assert 'id="field-institution_name" name="institution_name" required' in text
    assert text.count('class="required-mark"') == 4
    assert "Bāriņtiesa, kuras lēmums ievietoja bērnu" in text
    assert 'aria-describedby="field-orphan_court_code-help"' in text
    assert "Ar * atzīmētie lauki ir obligāti." in text


def test_labels_and_help_follow_the_language(anna: FlaskClient, p9_task: int) -> None:
    text = anna.get(f"/tasks/{p9_task}?lang=en").text
    assert "Placement of the child in out-of-family care" in text
    assert "Date of placement" in text and "Ievietošanas datums" not in text
    assert "The orphan court whose decision placed the child" in text
    assert "Fields marked with * are required." in text


def test_an_invalid_form_is_refused_with_422_keeping_what_was_entered(
        anna: FlaskClient, p9_task: int, web_services: Services) -> None:
    response = post(anna, f"/tasks/{p9_task}", INVALID_PLACEMENT)
    assert response.status_code == 422
    text = response.text
    assert "Lūdzu, izlabojiet atzīmētos laukus." in text
    assert _field_error(text, "placement_date") == "Ievadiet derīgu datumu, piemēram, 31.01.2026."
    assert _field_error(text, "institution_name") == "Šis lauks ir obligāts."
    assert _field_error(text, "orphan_court_code") == "Vērtība neatbilst paredzētajam formātam."
    assert _field_error(text, "child_birth_date") is None
    assert 'value="2026-02-30"' in text
    assert 'value="riga bt"' in text
    assert 'value="2024-05-01"' in text
    assert str(escape(INVALID_PLACEMENT["notes"])) in text
    assert "<b>ievietots</b>" not in text
    assert 'aria-invalid="true"' in text
    row = task_row(web_services, p9_task)
    assert (row.status, row.completed_by) == ("open", None)


def test_errors_speak_english_when_english_is_chosen(anna: FlaskClient, p9_task: int) -> None:
    anna.get("/inbox?lang=en")
    text = post(anna, f"/tasks/{p9_task}", INVALID_PLACEMENT).text
    assert _field_error(text, "placement_date") == "Enter a real date, for example 31.01.2026."
    assert _field_error(text, "institution_name") == "This field is required."
    assert "Please correct the marked fields." in text


def test_a_valid_form_completes_the_task_and_the_next_one_appears(
        anna: FlaskClient, p9_task: int, web_services: Services) -> None:
    response = post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    row = task_row(web_services, p9_task)
    assert (row.status, row.completed_by) == ("completed", "anna")
    inbox = anna.get("/inbox").text
    assert "Uzdevums „Reģistrēt ievietošanu” ir izpildīts." in inbox
    following = open_tasks(web_services, row.instance_id)
    assert [t.element_id for t in following] == ["submit_periodic_report"]
    assert f'href="/tasks/{following[0].id}"' in inbox
    assert "Iesniegt periodisko ziņojumu" in inbox
    assert f'href="/tasks/{p9_task}"' not in inbox


def test_the_periodic_report_form_has_textareas_and_a_checkbox(
        anna: FlaskClient, p9_task: int, web_services: Services) -> None:
    post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM)
    report = open_tasks(web_services, task_row(web_services, p9_task).instance_id)[0]
    text = anna.get(f"/tasks/{report.id}").text
    assert text.count("<textarea") == 6
    assert 'type="checkbox" id="field-care_ended" name="care_ended" value="true"' in text
    assert "Ārpusģimenes aprūpe ir beigusies" in text
    # The due date reads as a Latvian day.
    assert "Termiņš" in text


def test_a_report_with_the_box_ticked_ends_the_care(anna: FlaskClient, p9_task: int,
                                                    web_services: Services) -> None:
    post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM)
    instance_id = task_row(web_services, p9_task).instance_id
    report = open_tasks(web_services, instance_id)[0]
    text = "Regulāra saskarsme."
    form = {"report_date": "03.04.2026", "contact_with_parents": text,
            "contact_with_siblings": text, "contact_with_others": text, "cooperation": text,
            "physical_development": text, "psychosocial_development": text,
            "care_ended": "true"}
    response = post(anna, f"/tasks/{report.id}", form)
    assert response.status_code == 302, response.text
    assert task_row(web_services, report.id).status == "completed"


def test_a_task_without_a_form_has_a_mark_done_button(
        anna: FlaskClient, web_services: Services) -> None:
    task_id = _start_test_process(web_services, "plain", script="done = True")
    page = anna.get(f"/tasks/{task_id}")
    assert "Atzīmēt kā izpildītu" in page.text
    assert "<textarea" not in page.text and 'type="date"' not in page.text
    response = post(anna, f"/tasks/{task_id}")
    assert response.status_code == 302
    assert task_row(web_services, task_id).status == "completed"


def test_a_failing_process_script_is_shown_and_the_input_kept(
        anna: FlaskClient, web_services: Services) -> None:
    task_id = _start_test_process(web_services, "failing", script="x = 1 / 0",
                                  form="p09_register_placement.json")
    response = post(anna, f"/tasks/{task_id}", PLACEMENT_FORM)
    assert response.status_code == 422
    assert ("Procesa nākamais solis (after) neizdevās, tāpēc nekas netika saglabāts."
            in response.text)
    assert "Jūsu ievadītie dati ir atstāti veidlapā zemāk" in response.text
    assert 'value="RIGA-BT"' in response.text
    assert str(escape(PLACEMENT_FORM["institution_name"])) in response.text
    assert task_row(web_services, task_id).status == "open"


def test_a_task_whose_form_file_is_missing_says_so(anna: FlaskClient,
                                                   web_services: Services) -> None:
    task_id = _start_test_process(web_services, "noform", script="done = True",
                                  form="no_such_form.json")
    response = anna.get(f"/tasks/{task_id}")
    assert response.status_code == 500
    assert "Šī uzdevuma veidlapu nevar parādīt." in response.text


def _field_error(text: str, name: str) -> str | None:
    marker = f'<p class="field-error" id="field-{name}-error">'
    if marker not in text:
        return None
    return html.unescape(text.split(marker, 1)[1].split("</p>", 1)[0]).strip()


def _start_test_process(services: Services, key: str, script: str, form: str | None = None) -> int:
    form_property = (f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />'
                     if form else "")
    source = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="web_{key}_definitions" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="web_{key}" name="Tīmekļa tests" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Pārbaudīt lietu">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          {form_property}
          <spiffworkflow:property name="candidateGroups" value="institution" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="after" name="Pēc tam">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
    with transaction(services.sessions) as session:
        deploy_source(session, f"web_{key}.bpmn", source, "test")
    instance_id = start_for_child(services, f"web_{key}", {}, f"T-{key}")
    (task,) = open_tasks(services, instance_id)
    return task.id


# --- the service ---------------------------------------------------------------------------------


@pytest.fixture
def sample_schema(tmp_path: Path) -> dict[str, Any]:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["name", "children"],
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 5, "title": "Vārds",
                     "x-title-en": "Name"},
            "children": {"type": "integer", "minimum": 0, "maximum": 12, "title": "Bērni"},
            "share": {"type": "number", "exclusiveMinimum": 0, "title": "Daļa"},
            "visited": {"type": "string", "format": "date", "title": "Apmeklēts"},
            "kind": {"type": "string", "enum": ["A", "B"], "title": "Veids"},
            "urgent": {"type": "boolean", "title": "Steidzami"},
            "story": {"type": "string", "x-widget": "textarea", "title": "Stāsts"},
        },
        "additionalProperties": False,
    }
    (tmp_path / "sample.json").write_text(json.dumps(schema), encoding="utf-8")
    return schema


def test_posted_fields_become_typed_values(sample_schema: dict[str, Any]) -> None:
    submission = read_submission(sample_schema, {
        "name": " Ilze ", "children": "3", "share": "0,5", "visited": "7.3.2026", "kind": "",
        "story": "", "csrf_token": "ignored", "extra": "ignored"})
    assert submission.data == {"name": "Ilze", "children": 3, "share": 0.5,
                               "visited": "2026-03-07", "urgent": False}
    assert submission.values["name"] == " Ilze "
    assert read_submission(sample_schema, {"urgent": "true"}).data["urgent"] is True


def test_text_that_is_not_a_number_is_reported_not_dropped(sample_schema: dict[str, Any]) -> None:
    data = read_submission(sample_schema, {"name": "Ilze", "children": "trīs", "share": "x"}).data
    errors = validate(sample_schema, data, _latvian())
    assert errors["children"] == ["Ievadiet veselu skaitli."]
    assert errors["share"] == ["Ievadiet skaitli."]


def test_messages_for_each_kind_of_rule_in_latvian_and_english(
        sample_schema: dict[str, Any]) -> None:
    data = {"name": "I", "children": 13, "share": 0, "visited": "2026-13-01", "kind": "C",
            "urgent": False}
    latvian = validate(sample_schema, data, _latvian())
    assert latvian == {
        "name": ["Ievadiet vismaz 2 rakstzīmes."],
        "children": ["Vērtība nedrīkst pārsniegt 12."],
        "share": ["Vērtībai jābūt lielākai par 0."],
        "visited": ["Ievadiet derīgu datumu, piemēram, 31.01.2026."],
        "kind": ["Izvēlieties vienu no piedāvātajām vērtībām."],
    }
    english = validate(sample_schema, {"name": "Ilze Ozola", "children": -1}, )
    assert english == {"name": ["Enter at most 5 characters."],
                       "children": ["The value must be at least 0."]}
    assert validate(sample_schema, {}) == {"name": ["This field is required."],
                                           "children": ["This field is required."]}
    assert validate(sample_schema, {"name": "Ilze", "children": 1, "other": 1}) == {
        FORM_ERRORS: ["The form contains fields it does not expect."]}


def test_latvian_plurals_of_character_counts() -> None:
    latvian = _latvian()
    schema = {"type": "object", "properties": {"a": {"type": "string", "minLength": 1},
                                               "b": {"type": "string", "minLength": 21},
                                               "c": {"type": "string", "minLength": 10}}}
    errors = validate(schema, {"a": "", "b": "x", "c": "x"}, latvian)
    assert errors == {"a": ["Ievadiet vismaz 1 rakstzīmi."], "b": ["Ievadiet vismaz 21 rakstzīmi."],
                      "c": ["Ievadiet vismaz 10 rakstzīmju."]}


def test_dates_must_be_real_dates(sample_schema: dict[str, Any]) -> None:
    for wrong in ("2026-02-30", "30.02.2026", "2026-2-3", "rīt"):
        data = read_submission(sample_schema, {"name": "Ilze", "children": "1",
                                               "visited": wrong}).data
        assert "visited" in validate(sample_schema, data), wrong
    ok = read_submission(sample_schema, {"name": "Ilze", "children": "1", "visited": "2024-02-29"})
    assert validate(sample_schema, ok.data) == {}


def test_fields_carry_widgets_labels_and_limits(sample_schema: dict[str, Any]) -> None:
    by_name = {f.name: f for f in fields(sample_schema, "en")}
    assert {name: f.widget for name, f in by_name.items()} == {
        "name": "text", "children": "integer", "share": "number", "visited": "date",
        "kind": "radio", "urgent": "checkbox", "story": "textarea"}
    assert by_name["name"].label == "Name" and by_name["children"].label == "Bērni"
    assert by_name["name"].required and not by_name["share"].required
    assert by_name["name"].attributes == {"maxlength": "5"}
    assert by_name["children"].attributes == {"min": "0", "max": "12", "step": "1"}
    assert [(o.value, o.label) for o in by_name["kind"].options] == [("A", "A"), ("B", "B")]


def test_schemas_load_by_form_key_and_nothing_outside_the_forms_directory(
        sample_schema: dict[str, Any], tmp_path: Path) -> None:
    assert load_schema(tmp_path, "sample.json") == sample_schema
    assert load_schema(tmp_path, "sample") is load_schema(tmp_path, "sample.json")
    assert load_schema(FORMS, "p09_register_placement.json")["type"] == "object"
    for bad in ("../secret.json", "/etc/passwd", "sub/form.json", ".hidden.json", "missing.json"):
        with pytest.raises(FormNotFound):
            load_schema(tmp_path, bad)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FormNotFound):
        load_schema(tmp_path, "broken.json")


def test_every_form_in_the_product_has_labels_in_both_languages() -> None:
    for path in sorted(FORMS.glob("*.json")):
        schema = load_schema(FORMS, path.name)
        for lang in ("lv", "en"):
            for field in walk(fields(schema, lang)):
                assert field.label and field.label != field.name, (path.name, field.name, lang)


def test_a_form_is_prefilled_with_what_the_case_already_holds(anna: FlaskClient, p9_task: int) -> None:
    page = anna.get(f"/tasks/{p9_task}").get_data(as_text=True)
    # The dates given when the case was started are offered, not typed again.
    assert 'value="2026-01-10"' in page and 'value="2024-05-01"' in page
