"""The data-set file: D1–D9 as declared, clear errors for a wrong entry, a tenth data set as
a YAML entry only, and the periods."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from app.opendata.aggregate import aggregate
from app.opendata.definitions import (
    DATASETS,
    DATASETS_FILE,
    DefinitionError,
    PeriodError,
    latest_complete_period,
    parse,
    parse_period,
    previous_period,
)
from tests.opendata.stat_store import Store, open_sessions


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    yield from open_sessions(database_url)


def document() -> dict[str, Any]:
    with DATASETS_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def entry(doc: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in doc["datasets"] if d["code"] == code)
    return found


def test_the_nine_data_sets_are_declared_in_order_with_both_languages():
    assert list(DATASETS) == [f"D{i}" for i in range(1, 10)]
    for definition in DATASETS.values():
        for text in (definition.title_lv, definition.title_en, definition.description_lv,
                     definition.description_en, definition.source_lv, definition.source_en,
                     definition.cell_lv, definition.cell_en):
            assert text.strip()
        assert definition.keywords_lv and definition.keywords_en
        assert definition.count.kind == "count"
    assert {d.code: d.period for d in DATASETS.values()} == {
        "D1": "year", "D2": "year", "D3": "year", "D4": "year", "D5": "month", "D6": "year",
        "D7": "year", "D8": "quarter", "D9": "quarter"}
    assert DATASETS["D9"].sources == ("community_requests", "case_requests")
    assert [d.name for d in DATASETS["D4"].dimensions] == ["disability_group", "age_band"]
    assert DATASETS["D4"].latest_fact_only and not DATASETS["D5"].latest_fact_only
    assert [m.kind for m in DATASETS["D6"].measures] == ["count", "average"]
    assert DATASETS["D2"].disclosure == "none"
    assert {d.disclosure for c, d in DATASETS.items() if c != "D2"} == {"persons"}
    assert len({d.sha256 for d in DATASETS.values()}) == 9


def test_the_definition_hash_follows_the_definition():
    doc = document()
    entry(doc, "D5")["first_period"] = "2024-01"
    changed = parse(doc)
    assert changed["D5"].sha256 != DATASETS["D5"].sha256
    assert changed["D4"].sha256 == DATASETS["D4"].sha256
    doc["dimensions"]["disability_group"]["values"][0]["en"] = "First group"
    assert parse(doc)["D4"].sha256 != DATASETS["D4"].sha256


def _broken(change: Any) -> str:
    doc = document()
    change(doc)
    with pytest.raises(DefinitionError) as raised:
        parse(doc)
    return str(raised.value)


@pytest.mark.parametrize("change, message", [
    (lambda d: entry(d, "D7")["sources"].append("spolis_extra"),
     "D7: sources: unknown source 'spolis_extra'"),
    (lambda d: entry(d, "D4")["dimensions"].__setitem__(0, "severity"),
     "D4: dimensions: unknown dimension 'severity'"),
    (lambda d: entry(d, "D6")["measures"].append("median_wage"),
     "D6: measures: unknown measure 'median_wage'"),
    (lambda d: entry(d, "D3")["title"].pop("en"), "D3: title: 'en' is a required property"),
    (lambda d: entry(d, "D8").__setitem__("period", "week"), "D8: period: 'week' is not one of"),
    (lambda d: entry(d, "D8").__setitem__("frequency", "monthly"), "D8: frequency:"),
    (lambda d: entry(d, "D1").__setitem__("first_period", "2023-Q1"), "D1: first_period:"),
    (lambda d: entry(d, "D1").__setitem__("first_period", "last year"), "D1: first_period:"),
    (lambda d: entry(d, "D4")["dimensions"].append("sex"), "D4: dimensions:"),
    (lambda d: entry(d, "D6")["measures"].pop(0), "D6: measures: a data set has exactly one"),
    (lambda d: entry(d, "D7")["measures"].append("providers"),
     "D7: measures: a data set has exactly one count"),
    (lambda d: d["datasets"].append(copy.deepcopy(entry(d, "D1"))), "D1: code: declared twice"),
    (lambda d: d["dimensions"]["age_band_adult"]["values"][1].__setitem__("min", 29),
     "dimensions age_band_adult: values: bands 18-29 and 30-49 overlap"),
    (lambda d: d["dimensions"]["sex"]["values"][0].__setitem__("min", 3),
     "dimensions sex: values.0:"),
    (lambda d: d["measures"]["average_contribution_wage"].pop("per"),
     "measures average_contribution_wage: (entry): 'per' is a required property"),
])
def test_a_wrong_entry_is_an_error_naming_the_data_set_and_the_field(change, message):
    assert message in _broken(change)


def test_a_tenth_data_set_is_a_yaml_entry(sessions):
    doc = document()
    doc["dimensions"]["care_form"] = {
        "column": "care_form", "from": "fact.category",
        "title": {"lv": "Aprūpes forma", "en": "Form of care"},
        "values": [{"code": "foster_family", "lv": "Audžuģimene", "en": "Foster family"},
                   {"code": "guardianship", "lv": "Aizbildnība", "en": "Guardianship"}]}
    d10 = copy.deepcopy(entry(doc, "D3"))
    d10.update(code="D10", sources=["out_of_family_care"], dimensions=["care_form"],
               title={"lv": "Bērni ārpusģimenes aprūpē", "en": "Children in out-of-family care"})
    d10.pop("one_fact_per_subject")
    doc["datasets"].append(d10)
    definition = parse(doc)["D10"]
    store = Store()
    for form in ("foster_family", "foster_family", "guardianship", "institution"):
        child = store.person("BALVI", date(2015, 1, 1))
        store.fact("out_of_family_care", child, date(2024, 1, 1), None, category=form)
    store.write(sessions)
    with sessions() as session:
        result = aggregate(session, definition, "2025")
    assert {k: n for k, n in result.table.cells.items() if n} == {
        ("BALVI", "foster_family"): 2, ("BALVI", "guardianship"): 1}


def test_periods_are_years_quarters_and_months():
    assert parse_period("2025") == ("2025", date(2025, 1, 1), date(2025, 12, 31))
    assert parse_period("2025-Q3") == ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30))
    assert parse_period("2024-02") == ("2024-02", date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period("2025-Q4")[2] == date(2025, 12, 31)
    for wrong in ("2025-Q5", "2025-13", "2025-1", "25", "2025Q1", ""):
        with pytest.raises(PeriodError):
            parse_period(wrong)
    assert [previous_period(p) for p in ("2025", "2025-Q3", "2025-Q1", "2025-10", "2025-01")] == [
        "2024", "2025-Q2", "2024-Q4", "2025-09", "2024-12"]


@pytest.mark.parametrize("today, expected", [
    (date(2026, 1, 1), ("2025", "2025-Q4", "2025-12")),
    (date(2026, 3, 31), ("2025", "2025-Q4", "2026-02")),
    (date(2026, 4, 1), ("2025", "2026-Q1", "2026-03")),
    (date(2026, 12, 31), ("2025", "2026-Q3", "2026-11")),
])
def test_the_latest_complete_period_ended_before_today(today, expected):
    assert tuple(latest_complete_period(DATASETS[code], today) for code in ("D1", "D8", "D5")) == (
        expected)
