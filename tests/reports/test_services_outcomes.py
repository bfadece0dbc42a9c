"""Services planned in IAPs vs delivered, and outcomes: needs levels before and after."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.db.models import ReportNeedsLevel, ReportPlannedService
from app.reports import engine
from app.services import Services

from .world import World

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
P1 = "p01_adult_needs_assessment"


@pytest.fixture
def plans(world: World) -> dict[str, int]:
    a = world.person("RIGA")
    a_case = world.instance(P1, a)
    world.plan(a_case, "DAY_CENTRE", "HOME_CARE", valid_from="2025-01-01", valid_to="2025-12-31")
    world.service_record(a, "DAY_CENTRE", start="2025-05-01", end="2025-05-31")
    world.service_record(a, "HOME_CARE", start="2025-05-01", end="2025-05-31", status="rejected")
    b = world.person("RIGA")
    b_case = world.instance(P1, b)
    world.plan(b_case, "DAY_CENTRE", valid_from="2025-01-01", valid_to="2025-04-30")
    world.plan(b_case, "DAY_CENTRE", valid_from="2025-05-01", version=2)
    world.service_record(b, "DAY_CENTRE", start="2025-04-01", end="2025-04-30")  # April only
    c = world.person("JELGAVA")
    world.plan(world.instance(P1, c), "WORKSHOP", valid_from="2025-06-01")  # from June
    d = world.person("JELGAVA")
    world.plan(world.instance(P1, d), "WORKSHOP", valid_from="2025-02-01")
    world.service_record(d, "WORKSHOP", start="2025-04-20", end="2025-05-02")
    world.session.commit()
    return {"A": a.id, "B": b.id, "D": d.id}


def test_planned_vs_delivered_gives_the_gap_per_service_type_and_municipality(
        session: Session, viewers: dict[str, Viewer], plans: dict[str, int]) -> None:
    result = engine.run(session, "services_planned_delivered", viewers["LM"], period="2025-05",
                        now=NOW)
    cells = {(r["municipality"], r["service_type"]): (r["planned"], r["delivered"], r["gap"])
             for r in result.rows}
    assert cells == {("JELGAVA", "WORKSHOP"): (1, 1, 0),  # D, record overlapping May
                     ("RIGA", "DAY_CENTRE"): (2, 1, 1),  # A got it, B only in April
                     ("RIGA", "HOME_CARE"): (1, 0, 1)}  # A's record was rejected
    assert result.totals == {"planned": 3, "delivered": 2, "gap": 2}
    assert result.label("service_type", "HOME_CARE", "en") == "Home care"
    riga = engine.run(session, "services_planned_delivered", viewers["RIGA"], period="2025-05",
                      now=NOW)
    assert riga.totals == {"planned": 2, "delivered": 1, "gap": 2}
    zemgale = engine.run(session, "services_planned_delivered", viewers["PR-ZEMGALE"],
                         period="2025-05", now=NOW)
    assert zemgale.totals == {"planned": 1, "delivered": 1, "gap": 0}


def test_planned_services_are_derived_once_and_new_plan_versions_are_picked_up(
        session: Session, world: World, viewers: dict[str, Viewer], plans: dict[str, int]
) -> None:
    def derived() -> int:
        return session.scalar(select(func.count()).select_from(ReportPlannedService)) or 0

    engine.run(session, "services_planned_delivered", viewers["LM"], period="2025-05", now=NOW)
    assert derived() == 6  # A 2, B 1 + 1, C 1, D 1
    engine.run(session, "services_planned_delivered", viewers["LM"], period="2025-05", now=NOW)
    assert derived() == 6
    e = world.person("JURMALA")
    world.plan(world.instance(P1, e), "SUPPORT_GROUP", valid_from="2025-05-10")
    world.session.commit()
    result = engine.run(session, "services_planned_delivered", viewers["LM"], period="2025-05",
                        now=NOW)
    assert derived() == 7
    assert result.totals["gap"] == 3


@pytest.fixture
def interviews(world: World) -> dict[str, int]:
    p = world.person("RIGA")
    world.interview(world.instance(P1, p), "2024-06-01", {"self_care": 3, "housing": 4})
    world.interview(world.instance(P1, p), "2025-03-01", {"self_care": 2, "housing": 4})
    world.interview(world.instance(P1, p), "2025-09-01", {"self_care": 1, "housing": 3})
    world.service_record(p, "DAY_CENTRE", start="2024-10-01", end="2024-10-31")
    world.service_record(p, "HOME_CARE", start="2024-10-01", end="2024-10-31", status="rejected")
    q = world.person("JELGAVA")
    world.interview(world.instance(P1, q), "2025-01-10", {"self_care": 2})
    world.interview(world.instance(P1, q), "2025-07-10", {"self_care": 3})
    r = world.person("RIGA")
    world.interview(world.instance(P1, r), "2025-05-01", {"self_care": 2})  # no re-assessment
    s = world.person("RIGA")
    world.interview(world.instance(P1, s), "2024-01-01", {"self_care": 2})
    world.interview(world.instance(P1, s), "2024-12-01", {"self_care": 2})  # in 2024
    world.session.commit()
    return {"P": p.id, "Q": q.id}


def test_outcomes_compare_the_first_assessment_with_the_latest_reassessment_by_domain(
        session: Session, viewers: dict[str, Viewer], interviews: dict[str, int]) -> None:
    result = engine.run(session, "outcomes_by_domain", viewers["LM"], period="2025", now=NOW)
    cells = {r["domain"]: (r["persons"], r["level_before"], r["level_after"], r["improved"],
                           r["unchanged"], r["worsened"]) for r in result.rows}
    assert cells == {
        # P 3 → 1 (its March interview is neither the first nor the latest), Q 2 → 3
        "self_care": (2, Decimal("2.5"), Decimal("2.0"), 1, 0, 1),
        "housing": (1, Decimal("4.0"), Decimal("3.0"), 1, 0, 0),  # P 4 → 3
    }
    assert result.label("domain", "self_care", "en") == "Self-care"
    riga = engine.run(session, "outcomes_by_domain", viewers["RIGA"], period="2025", now=NOW)
    assert {r["domain"]: r["level_after"] for r in riga.rows} == {
        "self_care": Decimal("1.0"), "housing": Decimal("3.0")}
    assert riga.totals["persons"] == 1
    last_year = engine.run(session, "outcomes_by_domain", viewers["LM"], period="2024", now=NOW)
    assert [(r["domain"], r["persons"], r["unchanged"]) for r in last_year.rows] == [
        ("self_care", 1, 1)]  # S, 2 → 2 (P's latest re-assessment is in 2025)


def test_outcomes_by_the_mix_of_services_received_between_the_assessments(
        session: Session, viewers: dict[str, Viewer], interviews: dict[str, int]) -> None:
    result = engine.run(session, "outcomes_by_services", viewers["LM"], period="2025", now=NOW)
    assert [(r["service_mix"], r["domain"], r["persons"], r["level_before"], r["level_after"])
            for r in result.rows] == [
        ("", "self_care", 1, Decimal("2.0"), Decimal("3.0")),  # Q: no services
        ("DAY_CENTRE", "housing", 1, Decimal("4.0"), Decimal("3.0")),  # P, rejected one left out
        ("DAY_CENTRE", "self_care", 1, Decimal("3.0"), Decimal("1.0")),
    ]
    assert result.label("service_mix", "", "en") == "No services"
    assert result.label("service_mix", "DAY_CENTRE", "lv") == "Dienas aprūpes centrs"
    rows = engine.drilldown(session, "outcomes_by_services", viewers["LM"], period="2025",
                            territory=None, cell={"service_mix": ""}, now=NOW)
    assert [r["person_id"] for r in rows] == [interviews["Q"]]


def test_needs_levels_are_derived_once_per_interview_and_domain(
        session: Session, viewers: dict[str, Viewer], interviews: dict[str, int]) -> None:
    for _ in range(2):
        engine.run(session, "outcomes_by_domain", viewers["LM"], period="2025", now=NOW)
    # P: three interviews of two domains; Q two, R one, S two of one domain
    assert session.scalar(select(func.count()).select_from(ReportNeedsLevel)) == 3 * 2 + 2 + 1 + 2


def test_a_report_run_inside_a_unit_of_work_derives_its_rows_there(
        report_services: Services, viewers: dict[str, Viewer], interviews: dict[str, int]) -> None:
    from app.db import transaction

    with transaction(report_services.sessions) as unit:
        result = engine.run(unit, "outcomes_by_domain", viewers["LM"], period="2025", now=NOW)
        assert result.totals["persons"] == 2
    with report_services.sessions() as fresh:
        assert fresh.scalar(select(func.count()).select_from(ReportNeedsLevel)) == 11
