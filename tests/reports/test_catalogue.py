"""The catalogue: every report is declared, checked, listed by topic, and runs on both databases;
mistakes in the file are refused by name; adding a report is an entry in the file."""
from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.reports import definitions, engine
from app.reports.definitions import REPORTS, TOPICS, DefinitionError

from .world import World

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)


def catalogue() -> dict[str, Any]:
    return yaml.safe_load(definitions.CATALOGUE_FILE.read_text(encoding="utf-8"))


def test_the_catalogue_holds_the_reports_the_programme_needs_in_topic_order() -> None:
    topics = [d.topic for d in REPORTS.values()]
    assert set(topics) == set(TOPICS)
    assert topics == sorted(topics, key=list(TOPICS).index)
    for definition in REPORTS.values():
        assert definition.title_lv and definition.title_en and definition.description_lv
        if definition.topic == "adoption":
            assert definition.audience.organisation_kinds == {"adoption_register"}
        else:
            assert "adoption_register" not in definition.audience.organisation_kinds


def test_every_report_runs_for_its_audience_on_an_empty_database(
        session: Session, viewers: dict[str, Viewer]) -> None:
    for definition in REPORTS.values():
        viewer = viewers["LM-ADOPT" if definition.topic == "adoption" else "LM"]
        result = engine.run(session, definition.id, viewer, now=NOW)
        assert result.rows == [] and result.series == []
        assert result.period == engine.periods(definition, NOW.date())[0]
        assert [c.name for c in result.measures] == [m.name for m in definition.measures]
        if definition.drilldown:
            assert engine.drilldown(session, definition.id, viewer, period=None, territory=None,
                                    cell={}, now=NOW) == []


def test_adoption_reports_are_only_the_adoption_units(viewers: dict[str, Viewer]) -> None:
    adoption = {d.id for d in REPORTS.values() if d.topic == "adoption"}
    assert adoption <= {d.id for d in engine.visible_reports(viewers["LM-ADOPT"])}
    assert {d.id for d in engine.visible_reports(viewers["LM-ADOPT"])} == adoption
    for code in ("LM", "RIGA", "PR-RIGA", "VSAC-RIGA", "RIGA-BT", "LM-AUDIT"):
        assert not adoption & {d.id for d in engine.visible_reports(viewers[code])}


def test_periods_offer_the_current_one_first_and_go_back(viewers: dict[str, Viewer]) -> None:
    today = NOW.date()
    assert engine.periods(REPORTS["services_planned_delivered"], today)[:3] == [
        "2025-06", "2025-05", "2025-04"]
    assert engine.periods(REPORTS["p9_reports_by_institution"], today)[:3] == [
        "2025-Q2", "2025-Q1", "2024-Q4"]
    assert engine.periods(REPORTS["di_progress"], today)[:2] == ["2025", "2024"]
    assert engine.period_bounds("quarter", "2024-Q4")[1].isoformat() == "2025-01-01"
    for wrong in ("2025-13", "2025-Q5", "25", "2025-1", "2025-06' OR 1=1"):
        with pytest.raises(engine.InvalidFilter):
            engine.period_bounds("month", wrong)


def test_territory_choices_follow_the_viewers_slice(
        session: Session, viewers: dict[str, Viewer]) -> None:
    ministry = [code for code, _, _ in engine.territory_choices(session, viewers["LM"])]
    assert ministry[:5] == ["PR-KURZEME", "PR-LATGALE", "PR-RIGA", "PR-VIDZEME", "PR-ZEMGALE"]
    assert len(ministry) == 5 + 43
    region = [code for code, _, _ in engine.territory_choices(session, viewers["PR-ZEMGALE"])]
    assert region[0] == "PR-ZEMGALE" and "JELGAVA" in region and "RIGA" not in region
    assert [c for c, _, _ in engine.territory_choices(session, viewers["RIGA"])] == ["RIGA"]
    assert engine.territory_choices(session, viewers["VSAC-RIGA"]) == []


@pytest.mark.parametrize("mistake, message", [
    (lambda c: c["reports"][0].update(source="no_source"), "source 'no_source'"),
    (lambda c: c["reports"][0].update(dimensions=["nowhere"]), "dimension 'nowhere'"),
    (lambda c: c["reports"][0]["measures"][0].update(of="nothing"), "has no column 'nothing'"),
    (lambda c: c["reports"][0].update(period="week"), "period"),
    (lambda c: c["reports"][0]["audience"].update(organisations=["everyone"]), "audience"),
    (lambda c: c["reports"][1].update(id=c["reports"][0]["id"]), "id used twice"),
    (lambda c: c["reports"][0]["title"].pop("en"), "'en' is a required property"),
])
def test_a_mistake_in_the_catalogue_is_refused_by_name(mistake: Any, message: str) -> None:
    document = catalogue()
    mistake(document)
    with pytest.raises(DefinitionError, match=message):
        definitions.parse(document)


NEW_REPORT = """
id: assessed_by_municipality
topic: di_progress
title: {lv: Novērtētās personas pa pašvaldībām, en: Persons assessed by municipality}
description: {lv: P1 intervijas pabeigtas periodā., en: P1 interviews completed in the period.}
source: di_stages
dimensions: [municipality]
measures:
  - {name: persons, kind: count_distinct, of: person_id, title: {lv: Personas, en: Persons}, unit: persons}
filters: {stage: [assessed]}
period: month
counts: within
audience: {organisations: [ministry, municipality]}
chart: bar
drilldown: true
"""


def test_a_new_report_is_an_entry_in_the_catalogue(
        session: Session, world: World, viewers: dict[str, Viewer],
        monkeypatch: pytest.MonkeyPatch) -> None:
    document = catalogue()
    document["reports"].append(yaml.safe_load(NEW_REPORT))
    extended = definitions.parse(document)
    monkeypatch.setattr(engine, "REPORTS", extended)
    # Two interviews completed in May 2025 in Riga, one in Jelgava, one in April.
    for municipality, completed in (("RIGA", "2025-05-02"), ("RIGA", "2025-05-30"),
                                    ("JELGAVA", "2025-05-10"), ("RIGA", "2025-04-30")):
        instance = world.instance("p01_adult_needs_assessment", world.person(municipality))
        world.task(instance, "interview", created="2025-04-01", completed=completed, by="exp")
    world.session.commit()
    ministry = engine.run(session, "assessed_by_municipality", viewers["LM"], period="2025-05",
                          now=NOW)
    assert [(r["municipality"], r["persons"]) for r in ministry.rows] == [("JELGAVA", 1),
                                                                          ("RIGA", 2)]
    riga = engine.run(session, "assessed_by_municipality", viewers["RIGA"], period="2025-05",
                      now=NOW)
    assert riga.totals == {"persons": 2}
    with pytest.raises(engine.ReportNotFound):
        engine.run(session, "assessed_by_municipality", viewers["PR-RIGA"], now=NOW)
    assert copy.copy(REPORTS) == definitions.REPORTS  # the product's own catalogue unchanged
