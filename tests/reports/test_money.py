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


def test_nsk_compensation_counts_only_approved_reports_per_municipality_and_month(
        session: Session, world: World, viewers: dict[str, Viewer]) -> None:
    a, b = world.person("RIGA"), world.person("RIGA")
    c = world.person("JELGAVA")
    riga = world.instance("p07_nsk_report", None, municipality_code="RIGA")
    world.nsk_report(riga, "2025-03", "returned", [(a, "DAY_CENTRE", 10000)])
    world.nsk_report(riga, "2025-03", "approved", [(a, "DAY_CENTRE", 12000),
                                                   (b, "HOME_CARE", 5000)], version=2)
    world.nsk_report(world.instance("p07_nsk_report", None, municipality_code="RIGA"), "2025-04",
                     "submitted", [(a, "DAY_CENTRE", 9000)])
    world.nsk_report(world.instance("p07_nsk_report", None, municipality_code="JELGAVA"),
                     "2025-04", "approved", [(c, "WORKSHOP", 7000)])
    world.session.commit()
    result = engine.run(session, "nsk_compensation", viewers["LM"], period="2025")
    assert [(r["municipality"], r["month"], r["persons"], r["compensation"])
            for r in result.rows] == [("JELGAVA", "2025-04", 1, 7000),
                                      ("RIGA", "2025-03", 2, 12000 + 5000)]
    assert result.totals == {"persons": 3, "compensation": 24000}
    assert engine.run(session, "nsk_compensation", viewers["RIGA"], period="2025").totals == {
        "persons": 2, "compensation": 17000}
    assert engine.run(session, "nsk_compensation", viewers["PR-ZEMGALE"],
                      period="2025").totals == {"persons": 1, "compensation": 7000}


def test_group_home_cofinancing_follows_the_p5_rules_for_days_cost_and_state_share(
        session: Session, world: World, viewers: dict[str, Viewer]) -> None:
    from datetime import date

    from app.domain.group_homes import StayPeriod, days_in_period, group_home, state_share_cents

    stays = [("RIGA", "GM-RIGA-1", "2025-02-20", None), ("RIGA", "GM-RIGA-1", "2025-03-10",
                                                          "2025-03-12"),
             ("JELGAVA", "GM-JELGAVA-1", "2025-01-01", "2025-02-28"),
             ("JELGAVA", "GM-JELGAVA-1", "2025-03-31", None)]
    expected: dict[tuple[str, str], list[int]] = {}
    for municipality, home, start, end in stays:
        case = world.instance("p05_group_homes", world.person(municipality))
        world.stay(case, home, start, end)
        period = StayPeriod(person_key=str(case.id), group_home_code=home,
                            start=date.fromisoformat(start),
                            end=date.fromisoformat(end) if end else None)
        days = days_in_period(period, "2025-03")
        if days:
            cost = days * group_home(home).daily_cost_cents
            figures = expected.setdefault((municipality, home), [0, 0, 0, 0])
            for i, value in enumerate((1, days, cost, state_share_cents(cost))):
                figures[i] += value
    world.session.commit()
    # Worked out by hand: Riga 31 + 3 days at 24.50 €, Jelgava 1 day at 22.00 €, half each.
    assert expected == {("RIGA", "GM-RIGA-1"): [2, 34, 83300, 41650],
                        ("JELGAVA", "GM-JELGAVA-1"): [1, 1, 2200, 1100]}
    result = engine.run(session, "group_home_cofinancing", viewers["LM"], period="2025-03")
    assert {(r["municipality"], r["group_home"]): [r["persons"], r["days"], r["cost"],
                                                   r["state_share"]]
            for r in result.rows} == expected
    assert result.totals == {"persons": 3, "days": 35, "cost": 85500, "state_share": 42750}
    assert result.label("group_home", "GM-RIGA-1") == 'Grupu māja "Pļavnieki"'
    jelgava = engine.run(session, "group_home_cofinancing", viewers["JELGAVA"], period="2025-03")
    assert jelgava.totals == {"persons": 1, "days": 1, "cost": 2200, "state_share": 1100}
