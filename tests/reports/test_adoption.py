"""Adoption (the adoption register unit only): children free for adoption and waiting, and the
proposals to adopters with their answers."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.reports import engine

from .world import World

NOW = datetime(2025, 7, 15, 12, tzinfo=UTC)


@pytest.fixture
def register(world: World) -> None:
    world.adoption_child("2025-01-10", "free")
    world.adoption_child("2025-03-01", "in_match", region="PR-LATGALE")
    adopted = world.adoption_child("2024-05-01", "adopted")
    world.adoption_child("2025-07-01", "free")  # after June
    first, second = world.adopter(), world.adopter()
    world.proposal(adopted, first, "2025-02-01", "ACCEPTED", "2025-02-11")
    world.proposal(adopted, first, "2025-03-01", "REFUSED", "2025-03-04")
    world.proposal(adopted, second, "2025-06-01")
    world.proposal(adopted, second, "2024-12-01", "NO_ANSWER", "2024-12-20")
    world.session.commit()


def test_children_free_for_adoption_by_status_and_how_long_they_wait(
        session: Session, viewers: dict[str, Viewer], register: None) -> None:
    result = engine.run(session, "adoption_children", viewers["LM-ADOPT"], period="2025-06",
                        now=NOW)
    free_days = (date(2025, 6, 30) - date(2025, 1, 10)).days  # 171
    matched_days = (date(2025, 6, 30) - date(2025, 3, 1)).days  # 121
    assert [(r["region"], r["child_status"], r["children"], r["average_waiting_days"])
            for r in result.rows] == [
        ("PR-LATGALE", "in_match", 1, Decimal(matched_days)),
        ("PR-RIGA", "adopted", 1, None),
        ("PR-RIGA", "free", 1, Decimal(free_days))]
    assert result.totals == {"children": 3,
                             "average_waiting_days": Decimal((free_days + matched_days) / 2)}


def test_proposals_by_answer_with_adopters_matches_and_days_to_answer(
        session: Session, viewers: dict[str, Viewer], register: None) -> None:
    result = engine.run(session, "adoption_proposals", viewers["LM-ADOPT"], period="2025",
                        now=NOW)
    assert [(r["answer"], r["proposals"], r["adopters"], r["matches"], r["average_answer_days"])
            for r in result.rows] == [("ACCEPTED", 1, 1, 1, Decimal("10.0")),
                                      ("REFUSED", 1, 1, 1, Decimal("3.0")),
                                      ("WAITING", 1, 1, 1, None)]
    assert result.totals == {"proposals": 3, "adopters": 2, "matches": 3,
                             "average_answer_days": Decimal("6.5")}
    assert result.label("answer", "REFUSED", "lv") == "Atteicās"


def test_no_one_but_the_adoption_unit_finds_the_adoption_reports(
        session: Session, viewers: dict[str, Viewer], register: None) -> None:
    for code in ("LM", "LM-AUDIT", "RIGA", "PR-RIGA", "VSAC-RIGA", "RIGA-BT"):
        for report in ("adoption_children", "adoption_proposals"):
            with pytest.raises(engine.ReportNotFound):
                engine.run(session, report, viewers[code], now=NOW)
            with pytest.raises(engine.ReportNotFound):
                engine.drilldown(session, report, viewers[code], period=None, territory=None,
                                 cell={}, now=NOW)
    with pytest.raises(engine.ReportNotFound):  # figures only: no list behind them
        engine.drilldown(session, "adoption_children", viewers["LM-ADOPT"], period="2025-06",
                         territory=None, cell={}, now=NOW)
