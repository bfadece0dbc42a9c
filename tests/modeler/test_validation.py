"""What Validate reports: engine, sandbox and product problems, each at its element."""
from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from adapters.registry import names
from app.config import PROJECT_ROOT
from app.modeler.validation import (
    ERROR,
    SUPPORTED_FLOW_NODES,
    WARNING,
    Problem,
    validate_process,
)
from tests.modeler.conftest import CONFORMANCE, p9_source

FORMS = PROJECT_ROOT / "forms"


def problems_of(source: str) -> list[Problem]:
    return validate_process(source, "p09.bpmn", forms_dir=FORMS, operations=names())


def at(problems: list[Problem], element_id: str) -> list[str]:
    return [p.message for p in problems if p.element_id == element_id]


def test_the_deployed_p9_model_has_no_problems() -> None:
    assert problems_of(p9_source()) == []


def test_the_supported_elements_are_those_the_engine_parses() -> None:
    parsed = {tag.split("}")[-1] for tag in
              [*BpmnParser.PARSER_CLASSES, *SpiffBpmnParser.OVERRIDE_PARSER_CLASSES]}
    assert parsed == SUPPORTED_FLOW_NODES


def test_a_user_task_needs_an_existing_form_and_someone_to_offer_it_to() -> None:
    source = p9_source().replace('value="p09_periodic_report.json"', 'value="no_such_form.json"')
    source = source.replace(
        '<spiffworkflow:property name="candidateGroups" value="institution" />\n'
        '          <spiffworkflow:property name="dueDate"', '<spiffworkflow:property name="dueDate"')
    messages = at(problems_of(source), "submit_periodic_report")
    assert any("no_such_form.json" in m for m in messages)
    assert any("offered to nobody" in m for m in messages)


def test_a_user_task_without_a_form_is_reported() -> None:
    source = p9_source().replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="p09_register_placement.json" />',
        "")
    assert any("has no form" in m for m in at(problems_of(source), "register_placement"))


def test_a_user_task_in_a_lane_needs_no_candidate_groups() -> None:
    source = p9_source().replace(
        '<spiffworkflow:property name="candidateGroups" value="institution" />\n'
        '          <spiffworkflow:property name="dueDate"', '<spiffworkflow:property name="dueDate"')
    lane = ('<bpmn:laneSet id="lanes"><bpmn:lane id="institution" name="institution">'
            "<bpmn:flowNodeRef>submit_periodic_report</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>")
    source = source.replace("<bpmn:startEvent id=", lane + "<bpmn:startEvent id=", 1)
    assert at(problems_of(source), "submit_periodic_report") == []


def test_a_service_task_must_name_an_operation_an_adapter_provides() -> None:
    source = p9_source().replace('id="npais.deliver_periodic_report"', 'id="npais.fax_the_court"')
    messages = at(problems_of(source), "deliver_report")
    assert messages and "npais.fax_the_court" in messages[0]
    assert "npais.deliver_periodic_report" in messages[0]  # the known ones are listed


def test_every_expression_is_compiled_in_the_sandbox_and_all_refusals_are_reported() -> None:
    subject = "value=\"'Nav iesniegts periodiskais ziņojums par bērnu, lieta ' + case_number\""
    assert subject in p9_source()  # the overdue notice's subject (outbox.send)
    source = p9_source().replace("reports_submitted = reports_submitted + 1",
                                 "import os").replace(subject, 'value="().__class__"')
    problems = problems_of(source)
    assert any(p.source == "sandbox" for p in at_objects(problems, "record_report"))
    assert any(p.source == "sandbox" for p in at_objects(problems, "notify_report_overdue"))


def at_objects(problems: list[Problem], element_id: str) -> list[Problem]:
    return [p for p in problems if p.element_id == element_id]


def test_a_bare_iso_duration_as_timer_is_explained() -> None:
    source = p9_source().replace(">report_deadline<", ">P3M<")
    messages = at(problems_of(source), "report_overdue")
    assert messages == [('The timer expression P3M is read as a variable name. Timer expressions '
                         'are Python: write "P3M" with the quotes.')]


@pytest.mark.parametrize(("kind", "expression", "ok"), [
    ("timeDuration", '"P3M"', True),
    ("timeDuration", '"three months"', False),
    ("timeDate", '"2027-01-31T00:00:00+02:00"', True),
    ("timeDate", "2027-01-31", False),  # Python refuses 01
    ("timeDate", "2027 - 1", False),  # an int
    ("timeCycle", '"R3/PT1H"', True),
    ("timeDate", "1/0", False),
])
def test_a_timer_expression_must_evaluate_to_iso_8601(kind: str, expression: str, ok: bool) -> None:
    source = p9_source().replace(
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">report_deadline</bpmn:timeDate>',
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>')
    messages = at(problems_of(source), "report_overdue")
    assert (messages == []) is ok, messages


def test_a_timer_on_data_no_step_sets_is_a_warning() -> None:
    source = p9_source().replace(">report_deadline<", ">court_deadline<")
    problems = at_objects(problems_of(source), "report_overdue")
    assert [p.severity for p in problems] == [WARNING]
    assert "court_deadline" in problems[0].message


def test_an_element_the_engine_does_not_run_is_named_with_its_id() -> None:
    source = (CONFORMANCE / "bpmn-miwg-reference" / "C.6.0.bpmn").read_text(encoding="utf-8")
    problems = validate_process(source, "C.6.0.bpmn", forms_dir=FORMS, operations=names())
    unsupported = [p for p in problems if "does not support" in p.message]
    assert unsupported and all(p.severity == ERROR and p.element_id for p in unsupported)
    assert any("compensateEventDefinition" in p.message for p in unsupported)


def test_a_file_that_is_not_bpmn_is_one_problem() -> None:
    assert [p.source for p in problems_of("<html/>")] == ["engine"]
    assert [p.source for p in problems_of("not xml")] == ["engine"]


def test_problems_are_reported_once_with_errors_first() -> None:
    source = p9_source().replace(">report_deadline<", ">court_deadline<").replace(
        'id="npais.deliver_periodic_report"', 'id="npais.nothing"')
    problems = problems_of(source)
    assert len(problems) == len(set(problems))
    assert [p.severity for p in problems] == sorted((p.severity for p in problems),
                                                    key=lambda s: s != ERROR)


def test_miwg_models_are_each_reported_without_a_crash() -> None:
    for path in sorted((CONFORMANCE / "bpmn-miwg-reference").glob("*.bpmn")):
        problems = validate_process(path.read_text(encoding="utf-8"), path.name,
                                    forms_dir=Path(FORMS), operations=names())
        assert all(p.message and "Traceback" not in p.message for p in problems), path.name
