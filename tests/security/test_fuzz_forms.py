"""Every task form, posted with data hypothesis draws from its JSON Schema, the way a browser
would send it (and with any text at all in any field): the answer is never a server error;
data the schema accepts completes the task, anything else gives the form back with its errors
and leaves the task open with nothing of the post kept.

Each form gets a one-task process of its own (deployed like any model), so every form of
``forms/`` is reached without walking each real process up to the task that shows it."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app import create_app
from app.config import PROJECT_ROOT
from app.db import transaction
from app.db.models import Event, FormDraft, HumanTask
from app.engine.deploy import deploy_source
from app.forms import service as forms
from app.services import Services, build_services
from tests.web.conftest import csrf_of, login, start_for_child, web_settings  # noqa: F401

FORMS_DIR = PROJECT_ROOT / "forms"
FORM_NAMES = sorted(path.name for path in FORMS_DIR.glob("*.json"))
EXAMPLES_PER_FORM = 4

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="d_{key}" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="{key}" name="{form}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill" name="Fill {form}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />
        <spiffworkflow:property name="candidateGroups" value="institution" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def process_key(form: str) -> str:
    # A P9 key: the instance is a child's case the institution's caseworkers see.
    return "p09_fuzz_" + re.sub(r"[^a-z0-9]", "_", form.removesuffix(".json"))


@pytest.fixture
def fuzz_app(web_settings: Any) -> Iterator[tuple[Flask, Services]]:  # noqa: F811
    services = build_services(web_settings)
    with transaction(services.sessions) as session:
        for form in FORM_NAMES:
            key = process_key(form)
            deploy_source(session, f"{key}.bpmn", MODEL.format(key=key, form=form), "test")
    app = create_app(services=services)
    app.config.update(TESTING=True)
    yield app, services
    services.db.dispose()


# --- strategies from a schema --------------------------------------------------------------------

# Any text a person could paste, NUL and control characters, right-to-left marks and all.
ANY_TEXT = st.text(max_size=80) | st.sampled_from(
    ["", " ", "\x00", "'; DROP TABLE human_task; --", "<script>alert(1)</script>", "{{7*7}}",
     "%(x)s", "1e309", "-0", "NaN", "31.02.2026", "2026-13-45", "٣", "1" * 400, "x" * 20_000])


def _text_value(prop: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = prop.get("minLength", 1), min(prop.get("maxLength", 60), 60)
    if "pattern" in prop:
        return st.from_regex(prop["pattern"], fullmatch=True).filter(lambda t: low <= len(t) <= high)
    # Stripped by the form like a browser's input: leading or trailing blanks are not kept.
    return st.text(min_size=low, max_size=high).map(str.strip).filter(
        lambda t: low <= len(t) <= prop.get("maxLength", 10**9))


def _date_text(day: date, style: str) -> str:
    return day.isoformat() if style == "iso" else f"{day.day:02}.{day.month:02}.{day.year}"


@st.composite
def schema_value(draw: st.DrawFn, prop: dict[str, Any], fields: list[tuple[str, str]],
                 name: str, wild: bool) -> Any:
    """Draw the value of one property: the data it means (or None for left out) and the fields
    a browser posts for it, appended to ``fields``. ``wild`` lets any field hold any text."""
    widget = forms.widget_of(prop)
    if widget == "group":
        return draw(schema_object(prop, fields, name, wild))
    if widget == "repeat":
        rows = draw(st.integers(0, 3))
        values = []
        for index in range(rows):
            fields.append((name, str(index)))
            values.append(draw(schema_value(prop.get("items", {}), fields, f"{name}.{index}", wild)))
        return values
    if widget == "checkboxes":
        options = list(prop.get("items", {}).get("enum", []))
        chosen = draw(st.lists(st.sampled_from(options), unique=True)) if options else []
        fields.extend((name, forms.enum_text(value)) for value in chosen)
        return chosen
    if widget == "checkbox":
        ticked = draw(st.booleans())
        if ticked:
            fields.append((name, "on"))
        return ticked
    if widget == "file":
        return None  # nothing attached
    if draw(st.booleans()) and "const" not in prop:
        return None  # left empty
    if wild and draw(st.integers(0, 3)) == 0:
        text = draw(ANY_TEXT)
        fields.append((name, text))
        return ("wild", text)
    value: Any
    if "const" in prop:
        value = prop["const"]
        text = forms.enum_text(value)
    elif "enum" in prop:
        value = draw(st.sampled_from(prop["enum"]))
        text = forms.enum_text(value)
    elif widget == "money":
        cents = draw(st.integers(0, 10**9))
        value = cents if forms._type(prop) == "integer" else f"{Decimal(cents) / 100:.2f}"
        text = f"{cents // 100},{cents % 100:02}"
    elif widget == "integer":
        low = prop.get("minimum", prop.get("exclusiveMinimum", -10**6 - 1) + 1)
        high = prop.get("maximum", prop.get("exclusiveMaximum", 10**6 + 1) - 1)
        value = draw(st.integers(low, high))
        text = str(value)
    elif widget == "number":
        step = Decimal(str(prop.get("multipleOf", "0.01")))
        low = Decimal(str(prop.get("minimum", prop.get("exclusiveMinimum", -10**6))))
        high = Decimal(str(prop.get("maximum", 10**6)))
        value = draw(st.integers(int(low / step), int(high / step))) * step
        text = str(value)
        value = float(value)
    elif widget == "date":
        day = draw(st.dates(date(1900, 1, 1), date(2100, 12, 31)))
        value, text = day.isoformat(), _date_text(day, draw(st.sampled_from(["iso", "lv"])))
    else:
        value = text = draw(_text_value(prop))
    fields.append((name, text))
    return value


@st.composite
def schema_object(draw: st.DrawFn, schema: dict[str, Any], fields: list[tuple[str, str]],
                  prefix: str, wild: bool) -> dict[str, Any]:
    data = {}
    for name, prop in forms.all_properties(schema).items():
        value = draw(schema_value(prop, fields, f"{prefix}.{name}" if prefix else name, wild))
        if value is not None:
            data[name] = value
    return data


@st.composite
def form_post(draw: st.DrawFn, schema: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]], bool]:
    wild = draw(st.booleans())
    fields: list[tuple[str, str]] = []
    data = draw(schema_object(schema, fields, "", wild))
    return data, fields, wild


def _meant_valid(schema: dict[str, Any], data: dict[str, Any], wild: bool) -> bool:
    """Whether the drawn data is what the schema accepts, judged by jsonschema alone. Forms with
    domain rules (x-rules) or conditional sections are judged by the product only."""
    if wild or schema.get("x-rules") or forms.conditional_branches(schema):
        return False
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return validator.is_valid(_plain(data))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not _is_empty(v)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _is_empty(value: Any) -> bool:
    # An optional group left empty is not an answer; the form leaves it out.
    return isinstance(value, dict) and all(_is_empty(v) or v is False or v == [] for v in value.values())


# --- the test ------------------------------------------------------------------------------------


def _counts(services: Services, task_id: int) -> tuple[str, int, int]:
    with services.sessions() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None
        events = session.scalar(select(func.count()).select_from(Event)
                                .where(Event.instance_id == task.instance_id)) or 0
        drafts = session.scalar(select(func.count()).select_from(FormDraft)) or 0
        return task.status, events, drafts


def test_every_form_answers_fuzzed_posts_without_a_server_error(
        fuzz_app: tuple[Flask, Services]) -> None:
    app, services = fuzz_app
    make_user_in(services, "fuzzer")
    client = app.test_client()
    assert login(client, "fuzzer").status_code == 302
    csrf = csrf_of(client)
    outcomes: dict[str, set[int]] = {}
    cases = iter(range(1, 10**6))

    def fuzz(form: str, schema: dict[str, Any]) -> None:
        @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(post=form_post(schema))
        def check(post: tuple[dict[str, Any], list[tuple[str, str]], bool]) -> None:
            data, fields, wild = post
            case = f"FUZZ-{next(cases)}"
            instance = start_for_child(services, process_key(form), {}, case)
            with services.sessions() as session:
                task_id = session.scalars(select(HumanTask.id).where(
                    HumanTask.instance_id == instance, HumanTask.status == "open")).one()
            before = _counts(services, task_id)
            body = MultiDict([*fields, ("csrf_token", csrf), (forms.ACTION_FIELD, "submit")])
            answer = client.post(f"/tasks/{task_id}", data=body)
            outcomes.setdefault(form, set()).add(answer.status_code)

            assert answer.status_code < 500, (form, fields, answer.text[:500])
            if answer.status_code == 302:
                assert _counts(services, task_id)[0] == "completed", (form, fields)
            else:
                assert answer.status_code == 422, (form, answer.status_code)
                assert "field-error" in answer.text or "alert" in answer.text, form
                # Nothing half-written: the task is open, no event, no draft.
                assert _counts(services, task_id) == before, (form, fields)
                assert not _meant_valid(schema, data, wild), (
                    f"{form}: valid data was refused", fields, answer.text[:2000])

        check()

    for form in FORM_NAMES:
        fuzz(form, forms.load_schema(FORMS_DIR, form))
    # Both ways out were seen: the drawn data is neither always refused nor always accepted.
    assert any(422 in codes for codes in outcomes.values())
    assert any(302 in codes for codes in outcomes.values())


def make_user_in(services: Services, username: str) -> None:
    from app.auth.service import create_user
    from tests.web.conftest import PASSWORD

    with transaction(services.sessions) as session:
        create_user(session, username, username.capitalize(), PASSWORD, roles=["caseworker"],
                    groups=["institution"], organisation_code="VSAC-RIGA")


@pytest.mark.parametrize(("fields", "completes"), [
    # A NUL in free text: PostgreSQL's JSON refuses \u0000, so it must not reach the database raw.
    ([("refusal_reason", "nav\x00vietas")], True),
    ([("refusal_reason", "x" * 2001)], False),  # over maxLength
    ([("refusal_reason", "x" * 200_000)], False),
    ([("transfer_accepted_by_receiver", "on"), ("transfer_accepted_by_receiver", "on")], True),
    ([("refusal_reason.0.__class__", "x"), ("_action", "remove:refusal_reason.99")], True),
    ([("_action", "add:../../etc"), ("_action", "add:refusal_reason")], True),
    ([("\x00", "\x00"), ("refusal_reason", "\u202eevil\u202c")], True),
])
def test_odd_posts_to_a_form_never_fail_the_server(
        fuzz_app: tuple[Flask, Services], fields: list[tuple[str, str]], completes: bool) -> None:
    app, services = fuzz_app
    make_user_in(services, "fuzzer")
    client = app.test_client()
    assert login(client, "fuzzer").status_code == 302
    form = "p05_accept_transfer.json"
    instance = start_for_child(services, process_key(form), {}, "FUZZ-ODD")
    with services.sessions() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance)).one()
    before = _counts(services, task_id)
    body = MultiDict([("csrf_token", csrf_of(client)), *fields])
    if not any(name == forms.ACTION_FIELD for name, _ in fields):
        body.add(forms.ACTION_FIELD, "submit")
    answer = client.post(f"/tasks/{task_id}", data=body)
    assert answer.status_code < 500, answer.text[:1000]
    if completes and answer.status_code == 302:
        assert _counts(services, task_id)[0] == "completed"
        # The saved instance reads back: what was stored is what the next step will see.
        assert client.get(f"/tasks/{task_id}").status_code in (200, 404)
    else:
        assert answer.status_code in (200, 422), answer.status_code
        assert _counts(services, task_id)[:2] == before[:2]
        assert completes is False or answer.status_code == 200
