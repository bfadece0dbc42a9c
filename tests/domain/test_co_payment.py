"""P8's money rule at its edges, in exact cents: at least 15 % (10 % before 2020) stays with the
person, rounded up to the whole cent; the co-payment is the rest (Law on Social Services and
Social Assistance, art. 29)."""
from __future__ import annotations

import pytest

from app.domain import co_payment as rules
from app.domain.script_helpers import SCRIPT_HELPERS


@pytest.mark.parametrize(("period", "total", "allowance", "co_payment"), [
    ("2030-01", 0, 0, 0),
    ("2030-01", 1, 1, 0),          # 0.15 cent rounds up to a whole cent
    ("2030-01", 7, 2, 5),          # 1.05 cents → 2
    ("2030-01", 3333, 500, 2833),  # 33.33 EUR: 499.95 cents → 5.00 EUR
    ("2030-01", 40000, 6000, 34000),
    ("2030-01", 40001, 6001, 34000),  # 6000.15 → 6001
    ("2030-01", 12345, 1852, 10493),  # 1851.75 → 1852
    ("2019-12", 1, 1, 0),          # 0.1 cent rounds up
    ("2019-12", 7, 1, 6),          # 0.7 → 1
    ("2019-12", 3333, 334, 2999),  # 333.3 → 334
    ("2019-12", 40000, 4000, 36000),
    ("2020-01", 40000, 6000, 34000),
])
def test_allowance_rounds_up_to_the_cent_and_co_payment_is_the_rest(
        period: str, total: int, allowance: int, co_payment: int) -> None:
    found = rules.calculate(period, total)
    assert (found.allowance_cents, found.co_payment_cents) == (allowance, co_payment)
    assert found.allowance_cents + found.co_payment_cents == total


def test_the_month_of_the_payments_decides_the_percentage() -> None:
    assert rules.minimum_allowance_percent("2019-12") == 10
    assert rules.minimum_allowance_percent("2020-01") == 15
    assert rules.minimum_allowance_percent("2000-06") == 10


def test_allowance_is_never_below_the_legal_minimum_for_any_total() -> None:
    for total in range(2000):
        for period, percent in (("2019-11", 10), ("2024-05", 15)):
            found = rules.calculate(period, total)
            assert found.allowance_cents * 100 >= total * percent
            assert (found.allowance_cents - 1) * 100 < total * percent
            assert found.co_payment_cents >= 0


def test_a_corrected_allowance_may_be_higher_but_not_lower_than_the_minimum() -> None:
    assert rules.calculate("2030-01", 3333, 1000).co_payment_cents == 2333
    assert rules.calculate("2030-01", 3333, 3333).co_payment_cents == 0
    with pytest.raises(rules.CalculationRefused):
        rules.calculate("2030-01", 3333, 499)
    with pytest.raises(rules.CalculationRefused):
        rules.calculate("2030-01", 3333, 3334)


def test_amounts_must_be_whole_cents() -> None:
    with pytest.raises(rules.CalculationRefused):
        rules.minimum_allowance_cents(33.33, "2030-01")  # type: ignore[arg-type]
    with pytest.raises(rules.CalculationRefused):
        rules.minimum_allowance_cents(-1, "2030-01")
    with pytest.raises(ValueError):
        rules.minimum_allowance_cents(100, "2030-13")


def test_form_rule_refuses_an_allowance_below_the_minimum_on_the_field() -> None:
    data = {"decision": "CORRECT", "period": "2030-01", "total_cents": 3333,
            "allowance_cents": 499, "correction_reason": "x"}
    [finding] = rules.allowance_findings(data)
    assert finding.field == "allowance_cents"
    assert "vismaz 15 %" in finding.message_lv and "5,00 €" in finding.message_lv
    assert rules.allowance_findings(dict(data, allowance_cents=500)) == []
    assert rules.allowance_findings(dict(data, decision="CONFIRM", allowance_cents=1)) == []
    [before] = rules.allowance_findings(dict(data, period="2019-12", allowance_cents=333))
    assert "vismaz 10 %" in before.message_lv and "3,34 €" in before.message_lv
    [above] = rules.allowance_findings(dict(data, allowance_cents=3334))
    assert above.field == "allowance_cents"


def test_script_helpers_work_on_json_values() -> None:
    calc = SCRIPT_HELPERS["co_payment_calculation"]("2019-12", 3333)
    assert calc["allowance_cents"] == 334 and calc["minimum_percent"] == 10
    assert SCRIPT_HELPERS["co_payment_period_from"]("2024-02") == "2024-02-01"
    assert SCRIPT_HELPERS["co_payment_period_to"]("2024-02") == "2024-02-29"
    assert SCRIPT_HELPERS["co_payment_next_period"]("2019-12") == "2020-01"
    assert SCRIPT_HELPERS["co_payment_period_of"]("2030-03-17") == "2030-03"
    assert SCRIPT_HELPERS["co_payment_fetch_at"]("2030-01").startswith("2030-01-31T22:00")
    assert rules.eur(123450) == "1\u00a0234,50 €" and rules.eur(1) == "0,01 €"
