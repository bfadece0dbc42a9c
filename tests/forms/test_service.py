"""The form service without the web: reading entries, money, rows, conditions, messages."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.forms.service import (
    FormNotFound,
    Section,
    apply_row_action,
    build_form,
    enum_title,
    format_money,
    load_schema,
    parse_money,
    posted_values,
    read_submission,
    row_action,
    validate,
    validate_submission,
    walk,
)

HERE = Path(__file__).resolve().parent
SCHEMA: dict[str, Any] = json.loads((HERE / "every_construct.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("typed", "amount"), [
    ("1234,5", "1234.50"), ("1 234,50", "1234.50"), ("1\u00a0234,50 €", "1234.50"),
    ("1.234,05", "1234.05"), ("1,234.05", "1234.05"), ("0.1", "0.10"), ("-3", "-3.00"),
    ("12 EUR", "12.00"),
])
def test_amounts_are_read_as_people_type_them(typed: str, amount: str) -> None:
    assert parse_money(typed) == Decimal(amount)


@pytest.mark.parametrize("typed", ["12,345", "abc", "1,2,3", "€", "", "1e3", "12.5.1"])
def test_what_is_not_an_amount_with_two_decimals_is_refused(typed: str) -> None:
    assert parse_money(typed) is None


def test_amounts_are_written_the_way_each_language_writes_them() -> None:
    assert format_money(Decimal("1234567.5"), "lv") == "1 234 567,50 €"
    assert format_money(Decimal("1234567.5"), "en") == "€1,234,567.50"
    assert format_money(Decimal("-0.5"), "lv") == "-0,50 €"


def test_money_never_passes_through_float() -> None:
    data = read_submission(SCHEMA, {"monthly_allowance": "0,1", "service_cost": "0,29"}).data
    assert data["monthly_allowance"] == "0.10"
    assert data["service_cost"] == 29  # float(0.29) * 100 would be 28.999…


def test_rows_are_read_in_page_order_whatever_their_numbers() -> None:
    values = posted_values(SCHEMA, _Form({"household": ["5", "2"],
                                          "household.2.given_name": ["Otrais"],
                                          "household.5.given_name": ["Pirmais"]}))
    assert [row["given_name"] for row in values["household"]] == ["Pirmais", "Otrais"]


def test_a_row_with_nothing_filled_in_is_still_a_row() -> None:
    data = read_submission(SCHEMA, _Form({"household": ["0"]})).data
    assert data["household"] == [{"works": False}]
    errors = validate(SCHEMA, data)
    assert errors["household.0.given_name"] == ["This field is required."]


def test_row_actions_add_and_remove_rows_and_say_where_the_focus_goes() -> None:
    values = posted_values(SCHEMA, _Form({"household": ["0"], "household.0.given_name": ["A"]}))
    action = row_action("add:household")
    assert action is not None
    assert apply_row_action(SCHEMA, values, action) == "household.1"
    assert len(values["household"]) == 2
    remove = row_action("remove:household.0")
    assert remove is not None
    assert apply_row_action(SCHEMA, values, remove) == "household"
    assert values["household"] == [{}]
    for nonsense in ("add:address", "add:nothing", "remove:household.x", "remove:household",
                     "add:household.7.more"):
        parsed = row_action(nonsense)
        assert parsed is None or apply_row_action(SCHEMA, values, parsed) is None, nonsense
    assert row_action("submit") is None and row_action("draft") is None


def test_enum_titles_as_a_list_or_by_value_and_english_falls_back_to_latvian() -> None:
    prop = {"enum": ["a", "b"], "x-enum-titles": ["Ā", "Bē"], "x-enum-titles-en": {"a": "A"}}
    assert enum_title(prop, "b", "lv") == "Bē"
    assert enum_title(prop, "a", "en") == "A"
    assert enum_title(prop, "b", "en") == "Bē"
    assert enum_title({"enum": [1, True]}, True, "lv") == "true"


def test_sections_follow_then_else_and_dependent_schemas() -> None:
    ticked = posted_values(SCHEMA, _Form({"has_guardian": ["true"]}))
    assert _section(SCHEMA, ticked, "section-0")
    assert not _section(SCHEMA, {}, "section-0")
    independent = {"living_arrangement": "independent"}
    assert _section(SCHEMA, independent, "section-1") and not _section(SCHEMA, {}, "section-1")
    assert _section(SCHEMA, {}, "section-2") and not _section(SCHEMA, independent, "section-2")
    assert _section(SCHEMA, {"referral_to": "ngo"}, "section-3")
    assert not _section(SCHEMA, {"referral_to": ""}, "section-3")


def test_dependent_required_and_nested_paths_in_messages() -> None:
    schema = {"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "n": {"type": "integer", "maximum": 3}}}}},
        "dependentRequired": {"a": ["b"]}}
    errors = validate(schema, {"a": "x", "items": [{"n": 1}, {"n": 5}]})
    assert errors == {"b": ["This field is required."],
                      "items.1.n": ["The value must be at most 3."]}


def test_a_list_of_single_values_is_rows_of_one_control() -> None:
    schema = {"type": "object", "properties": {"phones": {
        "type": "array", "title": "Tālruņi", "items": {"type": "string", "title": "Tālrunis"}}}}
    submission = read_submission(schema, _Form({"phones": ["0", "1"], "phones.0": ["2000"],
                                                "phones.1": [""]}))
    assert submission.data == {"phones": ["2000", None]}
    assert validate_submission(schema, submission) == {"phones.1": ["This field is required."]}
    (group,) = build_form(schema, "lv", submission.values).fields
    assert [f.name for f in walk([group])] == ["phones", "phones.0", "phones.1"]


def test_property_names_must_be_identifiers(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"a.b": {"type": "string"}}}
    (tmp_path / "dotted.json").write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(FormNotFound, match="identifiers"):
        load_schema(tmp_path, "dotted.json")


def test_the_test_form_is_a_valid_form() -> None:
    assert load_schema(HERE, "every_construct.json")["type"] == "object"


def _section(schema: dict[str, Any], values: dict[str, Any], section_id: str) -> bool:
    for node in build_form(schema, "lv", values).fields:
        if isinstance(node, Section) and node.id == section_id:
            return node.active
    raise AssertionError(section_id)


class _Form(dict[str, list[str]]):
    """Posted fields with repeated names, like a browser's form."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        values = super().get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(super().get(key) or [])
