"""Children: P9 periodic reports on time / late / missing, time in out-of-family care, and P10's
response time from the orphan court's decision to the first contact with the family."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.reports import engine

from .world import World

NOW = datetime(2025, 7, 15, 12, tzinfo=UTC)
P9 = "p09_out_of_family_care"


@pytest.fixture
def children(world: World) -> dict[str, int]:
    one = world.person("RIGA", institution="VSAC-RIGA", orphan_court="RIGA-BT")
    one_case = world.instance(P9, one)
    world.report_delivered(one_case, due="2025-04-10", delivered="2025-04-08")  # on time
    world.report_delivered(one_case, due="2025-06-10", delivered="2025-06-20")  # late
    world.placement(one_case, "2025-01-01")  # still in care
    two = world.person("JELGAVA", institution="VSAC-ZEMGALE", orphan_court="JELGAVA-BT")
    two_case = world.instance(P9, two)
    world.report_delivered(two_case, due="2025-03-01", delivered="2025-03-01")  # Q1
    world.task(two_case, "submit_periodic_report", created="2025-04-01", due="2025-05-05")
    world.placement(two_case, "2024-12-01", "2025-05-31")
    three = world.person("RIGA", institution="VSAC-RIGA", orphan_court="RIGA-BT")
    three_case = world.instance(P9, three)
    world.task(three_case, "submit_periodic_report", created="2025-06-01", due="2025-07-30")
    world.placement(three_case, "2025-03-15", "2025-03-31")  # over before the quarter
    # P10: Riga's court decided on 1 April, the family was surveyed on 8 April; Jelgava's on
    # 1 May, not surveyed yet; one decision in March.
    riga_p10 = world.instance("p10_child_protection", one)
    world.separation(riga_p10, "2025-04-01")
    world.task(riga_p10, "survey_family", created="2025-04-01", due="2025-04-11",
               completed="2025-04-08", by="soc")
    jelgava_p10 = world.instance("p10_child_protection", two)
    world.separation(jelgava_p10, "2025-05-01")
    world.task(jelgava_p10, "survey_family", created="2025-05-01", due="2025-05-11")
    world.separation(world.instance("p10_child_protection", three), "2025-03-20")
    world.session.commit()
    return {"one": one.id, "two": two.id}


def run(session: Session, report: str, viewer: Viewer) -> engine.ReportResult:
    return engine.run(session, report, viewer, period="2025-Q2", now=NOW)


def test_p9_reports_due_in_the_quarter_by_institution_and_by_orphan_court(
        session: Session, viewers: dict[str, Viewer], children: dict[str, int]) -> None:
    by_institution = run(session, "p9_reports_by_institution", viewers["LM"])
    assert [(r["institution"], r["report_status"], r["reports"]) for r in by_institution.rows] == [
        ("VSAC-RIGA", "late", 1), ("VSAC-RIGA", "on_time", 1), ("VSAC-ZEMGALE", "missing", 1)]
    by_court = run(session, "p9_reports_by_orphan_court", viewers["LM"])
    assert [(r["orphan_court"], r["report_status"], r["reports"]) for r in by_court.rows] == [
        ("JELGAVA-BT", "missing", 1), ("RIGA-BT", "late", 1), ("RIGA-BT", "on_time", 1)]
    assert by_court.totals == {"reports": 3}
    court = run(session, "p9_reports_by_orphan_court", viewers["RIGA-BT"])
    assert {r["orphan_court"] for r in court.rows} == {"RIGA-BT"} and court.totals["reports"] == 2
    vsac = run(session, "p9_reports_by_institution", viewers["VSAC-RIGA"])
    assert vsac.totals == {"reports": 2}
    assert run(session, "p9_reports_by_institution", viewers["JELGAVA"]).totals == {"reports": 1}
    with pytest.raises(engine.ReportNotFound):  # child protection is not the regions' to see
        run(session, "p9_reports_by_institution", viewers["PR-RIGA"])


def test_time_in_care_counts_stays_lasting_into_the_quarter_to_their_end_or_its_last_day(
        session: Session, viewers: dict[str, Viewer], children: dict[str, int]) -> None:
    result = run(session, "out_of_family_care_time", viewers["LM"])
    one_days = (date(2025, 6, 30) - date(2025, 1, 1)).days  # 180: still in care
    two_days = (date(2025, 5, 31) - date(2024, 12, 1)).days  # 181: ended in May
    assert [(r["institution"], r["children"], r["average_days"], r["ended"])
            for r in result.rows] == [("VSAC-RIGA", 1, Decimal(one_days), 0),
                                      ("VSAC-ZEMGALE", 1, Decimal(two_days), 1)]
    assert result.totals["average_days"] == Decimal("180.5")
    assert run(session, "out_of_family_care_time", viewers["JELGAVA-BT"]).totals == {
        "children": 1, "average_days": Decimal(two_days), "ended": 1}


def test_p10_response_time_from_decision_to_the_family_survey(
        session: Session, viewers: dict[str, Viewer], children: dict[str, int]) -> None:
    result = run(session, "p10_response_time", viewers["LM"])
    assert [(r["orphan_court"], r["decisions"], r["contacted"], r["waiting"], r["average_days"])
            for r in result.rows] == [("JELGAVA-BT", 1, 0, 1, None),
                                      ("RIGA-BT", 1, 1, 0, Decimal("7.0"))]
    riga = run(session, "p10_response_time", viewers["RIGA-BT"])
    assert riga.totals == {"decisions": 1, "contacted": 1, "waiting": 0,
                           "average_days": Decimal("7.0")}
    rows = engine.drilldown(session, "p10_response_time", viewers["JELGAVA-BT"],
                            period="2025-Q2", territory=None, cell={"orphan_court": "RIGA-BT"},
                            now=NOW)
    assert rows == []
