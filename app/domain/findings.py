"""What a rule finds wrong with what a person entered: the field it is about and the message in
Latvian and English. Rule modules offer form rules as ``FORM_RULES = {name: rule}``; a form names
the rules it must pass in its schema's ``x-rules``, and the form service runs them after the JSON
Schema is satisfied, so a caseworker is told before the task completes, in words they can act on.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    field: str  # the form's field path ("services.0.hours_per_week"), "" for the whole form
    message_lv: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_lv


FormRule = Callable[[Mapping[str, Any]], list[Finding]]


def form_rules() -> dict[str, FormRule]:
    """Every rule module's ``FORM_RULES``, by name."""
    from .script_helpers import RULE_MODULES

    found: dict[str, FormRule] = {}
    for name in RULE_MODULES:
        qualified = f"{__package__}.{name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        offered: dict[str, FormRule] = getattr(importlib.import_module(qualified),
                                               "FORM_RULES", {})
        clash = sorted(set(offered) & set(found))
        if clash:
            raise RuntimeError(f"form rule names defined twice: {', '.join(clash)}")
        found.update(offered)
    return found
