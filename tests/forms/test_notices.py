"""A form's ``x-notice`` shows the person why a task came back, from the task's data."""
from __future__ import annotations

from app.forms.service import notices


def test_the_named_values_are_shown_and_empty_ones_left_out() -> None:
    schema = {"x-notice": ["return_reason", "placement.reason", "missing"]}
    data = {"return_reason": "Precizējiet mērķus.",
            "placement": {"placed": False, "reason": "Nav brīvu vietu."}}
    assert notices(schema, data) == ["Precizējiet mērķus.", "Nav brīvu vietu."]
    assert notices(schema, {"return_reason": "  ", "placement": {"reason": ""}}) == []


def test_lists_give_a_line_each_and_objects_are_never_dumped() -> None:
    schema = {"x-notice": "refusals"}
    assert notices(schema, {"refusals": ["Par vecu.", "Nav atzinuma."]}) == [
        "Par vecu.", "Nav atzinuma."]
    assert notices(schema, {"refusals": {"rule": "age"}}) == []
    assert notices({}, {"refusals": ["x"]}) == []
