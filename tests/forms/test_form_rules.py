"""Domain rules a form names in ``x-rules`` are checked when it is submitted, after the schema,
with the message on the field it is about, in the person's language."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.config import PROJECT_ROOT
from app.forms import service as forms

IAP = forms.load_schema(PROJECT_ROOT / "forms", "p01_iap_draft.json")
START = date(2026, 3, 1)


def plan(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "goals": [{"goal": "Pārcelties uz grupu dzīvokli"}],
        "services": [{"service_type": "GROUP_APARTMENT", "frequency": "pastāvīgi"},
                     {"service_type": "DAY_CENTRE", "hours_per_week": 20}],
        "responsible_municipality": "RIGA", "valid_from": START.isoformat(),
        "valid_to": (START + timedelta(days=300)).isoformat()}
    data.update(changes)
    return data


def test_a_plan_within_the_rules_passes() -> None:
    assert forms.validate(IAP, plan(), lang="lv") == {}


def test_a_service_listed_twice_is_refused_on_its_row_in_latvian_and_english() -> None:
    twice = plan(services=[{"service_type": "DAY_CENTRE", "hours_per_week": 10},
                           {"service_type": "DAY_CENTRE", "hours_per_week": 5}])
    assert forms.validate(IAP, twice, lang="lv") == {
        "services.1.service_type": ["2. pakalpojums «Dienas aprūpes centrs» plānā jau ir."]}
    assert forms.validate(IAP, twice, lang="en") == {
        "services.1.service_type": ["service 2: DAY_CENTRE is listed twice"]}


def test_a_plan_longer_than_twelve_months_is_refused_on_its_end_date() -> None:
    assert forms.validate(IAP, plan(valid_to="2027-02-28"), lang="lv") == {}
    assert forms.validate(IAP, plan(valid_to="2027-03-01"), lang="lv") == {
        "valid_to": ["Plānu var sastādīt ne ilgākam laikam kā 12 mēneši."]}


def test_the_rules_wait_until_the_schema_holds() -> None:
    errors = forms.validate(IAP, plan(goals=[], valid_to="2030-01-01"), lang="en")
    assert list(errors) == ["goals"]  # the schema's minItems; the 12-month rule is not run yet


def test_a_form_naming_a_rule_the_product_lacks_is_refused_as_a_whole() -> None:
    schema = {"type": "object", "properties": {}, "x-rules": ["p99_nothing"]}
    assert forms.validate(schema, {}, lang="lv") == {
        forms.FORM_ERRORS: ["Veidlapa atsaucas uz noteikumu 'p99_nothing', kura sistēmā nav."]}
