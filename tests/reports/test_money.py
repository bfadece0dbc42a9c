"""Money: P8 co-payments per institution and month (the latest version of each month)."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.reports import engine

from .world import World


@pytest.fixture
def co_payments(world: World) -> None:
    riga = world.instance("p08_co_payment", world.person("RIGA", institution="VSAC-RIGA"))
    world.co_payment(riga, "2024-12", income=49000, allowance=7350)  # another year
    world.co_payment(riga, "2025-01", income=50000, allowance=7500)
    world.co_payment(riga, "2025-02", income=50000, allowance=7500)
    world.co_payment(riga, "2025-02", income=52000, allowance=7800, version=2)  # SAIS correction
    jelgava = world.instance("p08_co_payment", world.person("JELGAVA", institution="VSAC-ZEMGALE"))
    world.co_payment(jelgava, "2025-01", income=40000, allowance=6000)
    world.session.commit()


def test_co_payments_per_institution_and_month_count_the_latest_version(
        session: Session, viewers: dict[str, Viewer], co_payments: None) -> None:
    result = engine.run(session, "co_payments", viewers["LM"], period="2025")
    cells = {(r["institution"], r["month"]): (r["residents"], r["income"], r["allowance"],
                                               r["co_payment"]) for r in result.rows}
    assert cells == {("VSAC-RIGA", "2025-01"): (1, 50000, 7500, 42500),
                     ("VSAC-RIGA", "2025-02"): (1, 52000, 7800, 44200),
                     ("VSAC-ZEMGALE", "2025-01"): (1, 40000, 6000, 34000)}
    # two residents in all (one counted in two months), 42500 + 44200 + 34000 co-payment
    assert result.totals == {"residents": 2, "income": 142000, "allowance": 21300,
                             "co_payment": 120700}


def test_co_payments_are_sliced_by_institution_and_by_municipality(
        session: Session, viewers: dict[str, Viewer], co_payments: None) -> None:
    vsac = engine.run(session, "co_payments", viewers["VSAC-RIGA"], period="2025")
    assert {r["institution"] for r in vsac.rows} == {"VSAC-RIGA"}
    assert vsac.totals["co_payment"] == 42500 + 44200
    jelgava = engine.run(session, "co_payments", viewers["JELGAVA"], period="2025")
    assert jelgava.totals == {"residents": 1, "income": 40000, "allowance": 6000,
                              "co_payment": 34000}
    zemgale = engine.run(session, "co_payments", viewers["PR-ZEMGALE"], period="2025")
    assert zemgale.totals["co_payment"] == 34000
    december = engine.run(session, "co_payments", viewers["LM"], period="2024")
    assert december.totals["co_payment"] == 49000 - 7350
