"""Assessments and IAPs: P1 tasks against their deadlines, per region, step and expert."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.reports import engine
from app.reports.engine import InvalidFilter, ReportNotFound

from .world import World

NOW = datetime(2025, 3, 15, 12, tzinfo=UTC)
P1 = "p01_adult_needs_assessment"


@pytest.fixture
def tasks(world: World) -> dict[str, str]:
    """Interviews started in February 2025, and some that must not count."""
    made = {}

    def interview(name: str, municipality: str, **task: object) -> None:
        instance = world.instance(P1, world.person(municipality), case_number=f"P1-{name}")
        world.task(instance, "interview", **task)  # type: ignore[arg-type]
        made[name] = instance.business_key

    interview("A", "RIGA", created="2025-02-03", due="2025-03-05", completed="2025-03-01",
              by="exp1")  # done on time, 26 days
    interview("B", "JURMALA", created="2025-02-10", due="2025-03-10", assignee="exp2")
    # ^ open past its deadline on 15 March: overdue, 33 days so far
    interview("C", "JELGAVA", created="2025-02-12", due="2025-03-14", completed="2025-03-15",
              by="exp3")  # done a day late, 31 days
    interview("D", "RIGA", created="2025-02-20", due="2025-03-22")  # in progress, 23 days
    interview("E", "RIGA", created="2025-01-30", due="2025-03-01")  # started in January
    interview("F", "RIGA", created="2025-02-11", due="2025-03-01", cancelled=True)
    child = world.instance("p02_child_needs_assessment", world.person("RIGA"))
    world.task(child, "interview", created="2025-02-11", due="2025-03-01")  # P2: not counted
    world.session.commit()
    return made


def figures(session: Session, viewer: Viewer, territory: str | None = None,
            report: str = "assessment_tasks") -> engine.ReportResult:
    return engine.run(session, report, viewer, period="2025-02", territory=territory, now=NOW)


def test_ministry_sees_every_region_with_each_task_judged_against_its_deadline(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    result = figures(session, viewers["LM"])
    cells = {(r["region"], r["step"], r["task_status"]): r["tasks"] for r in result.rows}
    assert cells == {("PR-RIGA", "interview", "done"): 1,  # A
                     ("PR-RIGA", "interview", "in_progress"): 1,  # D
                     ("PR-RIGA", "interview", "overdue"): 1,  # B
                     ("PR-ZEMGALE", "interview", "done_late"): 1}  # C
    assert result.totals["tasks"] == 4
    # (26 + 33 + 31 + 23) / 4 = 28.25, shown to one decimal
    assert result.totals["average_days"] == Decimal("28.3")
    assert result.label("region", "PR-ZEMGALE", "en") == "Zemgale Planning Region"
    assert result.label("task_status", "overdue", "lv") == "Nokavēts"
    assert [c.name for c in result.columns] == ["region", "step", "task_status", "tasks",
                                                "average_days"]
    assert len(result.series) == 4 and result.series[0]["values"]["tasks"] == 1


def test_a_municipality_counts_only_its_own_clients_even_in_totals(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    riga = figures(session, viewers["RIGA"])
    assert {(r["task_status"], r["tasks"]) for r in riga.rows} == {("done", 1), ("in_progress", 1)}
    assert riga.totals["tasks"] == 2
    assert riga.totals["average_days"] == Decimal("24.5")  # (26 + 23) / 2
    jurmala = figures(session, viewers["JURMALA"])
    assert [(r["task_status"], r["tasks"]) for r in jurmala.rows] == [("overdue", 1)]
    assert jurmala.totals["tasks"] == 1


def test_a_planning_region_sees_its_municipalities_and_not_another_region(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    riga_region = figures(session, viewers["PR-RIGA"])
    assert {r["region"] for r in riga_region.rows} == {"PR-RIGA"}
    assert riga_region.totals["tasks"] == 3  # A, B, D
    zemgale = figures(session, viewers["PR-ZEMGALE"])
    assert [(r["task_status"], r["tasks"]) for r in zemgale.rows] == [("done_late", 1)]


def test_territory_narrows_the_ministry_and_refuses_one_outside_the_viewers_slice(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    assert figures(session, viewers["LM"], "RIGA").totals["tasks"] == 2
    assert figures(session, viewers["LM"], "PR-RIGA").totals["tasks"] == 3
    assert figures(session, viewers["PR-RIGA"], "JURMALA").totals["tasks"] == 1
    with pytest.raises(InvalidFilter):
        figures(session, viewers["RIGA"], "JELGAVA")
    with pytest.raises(InvalidFilter):
        figures(session, viewers["PR-RIGA"], "PR-ZEMGALE")
    with pytest.raises(InvalidFilter):
        figures(session, viewers["LM"], "NOWHERE")


def test_by_expert_counts_interviews_per_person_who_has_or_did_them(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    result = engine.run(session, "assessment_tasks_by_expert", viewers["LM"], period="2025-Q1",
                        now=NOW)
    cells = {(r["expert"], r["task_status"]): r["interviews"] for r in result.rows}
    # Q1 holds E (January, open past 1 March) too; D and E have nobody yet.
    assert cells == {("exp1", "done"): 1, ("exp2", "overdue"): 1, ("exp3", "done_late"): 1,
                     ("", "in_progress"): 1, ("", "overdue"): 1}


def test_drilldown_lists_the_cases_behind_a_figure_with_links_only_where_allowed(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    rows = engine.drilldown(session, "assessment_tasks", viewers["LM"], period="2025-02",
                            territory=None, cell={"region": "PR-RIGA", "task_status": "overdue"},
                            now=NOW)
    assert [r["case_number"] for r in rows] == [tasks["B"]]
    assert rows[0]["link_path"] == f"/persons/{rows[0]['person_id']}"
    assert rows[0]["fact_date"] == "2025-02-10"
    # Riga's social service does not see Jūrmala's client behind the same cell.
    assert engine.drilldown(session, "assessment_tasks", viewers["RIGA"], period="2025-02",
                            territory=None, cell={"task_status": "overdue"}, now=NOW) == []
    with pytest.raises(InvalidFilter):
        engine.drilldown(session, "assessment_tasks", viewers["LM"], period="2025-02",
                         territory=None, cell={"expert": "exp1"}, now=NOW)


def test_organisations_outside_the_audience_get_not_found(
        session: Session, viewers: dict[str, Viewer], tasks: dict[str, str]) -> None:
    for code in ("VSAC-RIGA", "RIGA-BT", "LM-ADOPT"):
        with pytest.raises(ReportNotFound):
            figures(session, viewers[code])
        assert "assessment_tasks" not in {d.id for d in engine.visible_reports(viewers[code])}
    with pytest.raises(ReportNotFound):
        figures(session, viewers["LM"], report="no_such_report")
    with pytest.raises(InvalidFilter):
        engine.run(session, "assessment_tasks", viewers["LM"], period="2025-Q1", now=NOW)
