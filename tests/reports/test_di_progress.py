"""DI progress: persons in institutions, assessed, with an IAP, in community services."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.db.models import ProcessInstance
from app.reports import engine

from .world import World

NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)
P1 = "p01_adult_needs_assessment"


@pytest.fixture
def persons(world: World) -> dict[str, int]:
    # X (Riga): applied in February, assessed in March, IAP in March, services from May.
    x = world.person("RIGA", institution="VSAC-RIGA")
    x_case = world.instance(P1, x, started="2025-02-01")
    world.task(x_case, "interview", created="2025-02-01", completed="2025-03-01", by="exp")
    world.plan(x_case, "DAY_CENTRE", valid_from="2025-03-20")
    world.service_record(x, "DAY_CENTRE", start="2025-05-01", end="2025-05-31")
    world.service_record(x, "HOME_CARE", start="2025-07-01", end="2025-07-31", status="rejected")
    # Y (Jelgava): a VSAC resident since 2024 (P8), applied and assessed in April.
    y = world.person("JELGAVA", institution="VSAC-ZEMGALE")
    world.instance("p08_co_payment", y, started="2024-11-01")
    y_case = world.instance(P1, y, started="2025-04-01")
    world.task(y_case, "interview", created="2025-04-01", completed="2025-04-20", by="exp")
    # Z (Jūrmala): applied in June; moved to a group home only in 2026.
    z = world.person("JURMALA", institution="VSAC-RIGA")
    world.instance(P1, z, started="2025-06-01")
    world.stay(world.instance("p05_group_homes", z, started="2026-01-05"), "GM-RIGA-1",
               "2026-01-05")
    # W (Riga): applied in 2026.
    world.instance(P1, world.person("RIGA", institution="VSAC-RIGA"), started="2026-01-02")
    world.session.commit()
    return {"X": x.id, "Y": y.id, "Z": z.id}


def test_di_progress_counts_each_person_once_per_stage_reached_by_the_periods_end(
        session: Session, viewers: dict[str, Viewer], persons: dict[str, int]) -> None:
    result = engine.run(session, "di_progress", viewers["LM"], period="2025", now=NOW)
    cells = {(r["region"], r["municipality"], r["stage"]): r["persons"] for r in result.rows}
    assert cells == {
        ("PR-RIGA", "JURMALA", "in_institution"): 1,  # Z
        ("PR-RIGA", "RIGA", "in_institution"): 1,  # X (W applied in 2026)
        ("PR-RIGA", "RIGA", "assessed"): 1,
        ("PR-RIGA", "RIGA", "iap"): 1,
        ("PR-RIGA", "RIGA", "community"): 1,  # X's accepted record; the rejected one not
        ("PR-ZEMGALE", "JELGAVA", "in_institution"): 1,  # Y: P8 and P1, one person
        ("PR-ZEMGALE", "JELGAVA", "assessed"): 1,
    }
    assert result.totals == {"persons": 3}  # X, Y, Z: distinct persons, not a sum of stages
    assert result.label("stage", "iap", "en") == "Has an IAP"
    # 2026 adds W and Z's group home, and keeps everything before (a stock).
    later = engine.run(session, "di_progress", viewers["LM"], period="2026", now=NOW)
    later_cells = {(r["municipality"], r["stage"]): r["persons"] for r in later.rows}
    assert later_cells[("RIGA", "in_institution")] == 2
    assert later_cells[("JURMALA", "community")] == 1


def test_di_progress_month_by_month_counts_the_steps_taken_in_each_month(
        session: Session, viewers: dict[str, Viewer], persons: dict[str, int]) -> None:
    result = engine.run(session, "di_progress_monthly", viewers["LM"], period="2025", now=NOW)
    assert [(r["month"], r["stage"], r["persons"]) for r in result.rows] == [
        ("2025-02", "in_institution", 1), ("2025-03", "assessed", 1), ("2025-03", "iap", 1),
        ("2025-04", "assessed", 1), ("2025-04", "in_institution", 1),
        ("2025-05", "community", 1), ("2025-06", "in_institution", 1)]


def test_di_progress_slices_by_municipality_and_region_totals_included(
        session: Session, viewers: dict[str, Viewer], persons: dict[str, int]) -> None:
    riga = engine.run(session, "di_progress", viewers["RIGA"], period="2025", now=NOW)
    assert {r["municipality"] for r in riga.rows} == {"RIGA"}
    assert riga.totals == {"persons": 1}
    jelgava = engine.run(session, "di_progress", viewers["JELGAVA"], period="2025", now=NOW)
    assert jelgava.totals == {"persons": 1}
    assert {r["stage"] for r in jelgava.rows} == {"in_institution", "assessed"}
    riga_region = engine.run(session, "di_progress", viewers["PR-RIGA"], period="2025", now=NOW)
    assert riga_region.totals == {"persons": 2}  # X and Z
    by_territory = engine.run(session, "di_progress", viewers["LM"], period="2025",
                              territory="PR-ZEMGALE", now=NOW)
    assert by_territory.totals == {"persons": 1}


def test_di_progress_drilldown_names_each_record_by_its_own_case_number(
        session: Session, viewers: dict[str, Viewer], persons: dict[str, int]) -> None:
    # Y's P8 and P1 cases both put Y in an institution: two records, two case numbers.
    rows = engine.drilldown(session, "di_progress", viewers["LM"], period="2025",
                            territory=None, cell={"municipality": "JELGAVA",
                                                  "stage": "in_institution"}, now=NOW)
    own = set(session.scalars(select(ProcessInstance.business_key).where(
        ProcessInstance.person_id == persons["Y"])))
    assert len(own) == 2
    assert {r["case_number"] for r in rows} == own


def test_di_progress_drilldown_lists_persons_with_a_link_where_the_viewer_may_open_them(
        session: Session, viewers: dict[str, Viewer], persons: dict[str, int]) -> None:
    rows = engine.drilldown(session, "di_progress", viewers["PR-RIGA"], period="2025",
                            territory=None, cell={"municipality": "RIGA", "stage": "community"},
                            now=NOW)
    assert [(r["person_id"], r["link_path"], r["fact_date"]) for r in rows] == [
        (persons["X"], f"/persons/{persons['X']}", "2025-05-01")]
    assert engine.drilldown(session, "di_progress", viewers["JELGAVA"], period="2025",
                            territory=None, cell={"municipality": "RIGA"}, now=NOW) == []
