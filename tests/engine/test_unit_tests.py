"""BPMN unit tests (app.engine.unit_tests): the cases in processes/tests pass, and a wrong
expectation is reported with the first difference. Runs in memory: no database."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine import unit_tests
from app.engine.parsing import parse_process

ROOT = Path(__file__).parents[2]
TESTS = ROOT / "processes" / "tests"
P9 = "p09_out_of_family_care"


def parsed(key: str):  # type: ignore[no-untyped-def]
    path = ROOT / "processes" / f"{key}.bpmn"
    return parse_process(path.read_text(encoding="utf-8"), path.name, {})


CASES = [(key, path) for key in unit_tests.tested_processes(TESTS)
         for path in unit_tests.case_files(TESTS, key)]


@pytest.mark.parametrize(("key", "path"), CASES, ids=[f"{k}/{p.name}" for k, p in CASES])
def test_process_case_passes(key: str, path: Path) -> None:
    [result] = unit_tests.run_case_files(parsed(key), [path])
    assert result.passed, result.difference


def test_p9_has_its_cases() -> None:
    assert len(unit_tests.case_files(TESTS, P9)) >= 3


def test_a_wrong_path_is_reported_with_the_first_difference(tmp_path: Path) -> None:
    case = json.loads((TESTS / P9 / "01_report_on_time.json").read_text(encoding="utf-8"))
    case["expect"]["path"][4] = "record_report"
    result = unit_tests.run_case(parsed(P9), case, "wrong.json")
    assert not result.passed
    assert result.difference == "path, element 5: expected record_report, reached submit_periodic_report"


def test_a_wrong_end_data_value_is_reported(tmp_path: Path) -> None:
    case = json.loads((TESTS / P9 / "03_care_ended.json").read_text(encoding="utf-8"))
    case["expect"]["data"]["reports_submitted"] = 2
    result = unit_tests.run_case(parsed(P9), case)
    assert result.difference == "data reports_submitted: expected 2, it is 1"


def test_a_missing_service_result_fails_the_case() -> None:
    case = json.loads((TESTS / P9 / "03_care_ended.json").read_text(encoding="utf-8"))
    del case["service_results"]["deliver_report"]
    result = unit_tests.run_case(parsed(P9), case)
    assert not result.passed and "deliver_report" in result.difference


def test_a_step_on_a_task_that_is_not_open_names_where_it_waits() -> None:
    case = {"given": {"data": {}}, "steps": [{"complete": "submit_periodic_report", "data": {}}]}
    result = unit_tests.run_case(parsed(P9), case)
    assert result.difference == ("task submit_periodic_report is not open; the process waits in "
                                 "placement_ended_before_start, register_placement")
