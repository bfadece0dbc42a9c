"""docs/operations.md lists every setting with its true default: a setting added to
app/config.py without a line there fails here, and so does a default changed on one side only."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT, Settings

DOC = PROJECT_ROOT / "docs" / "operations.md"
_ROW = re.compile(r"^\| `(DICASE_[A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \|$")


def documented() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Configure\n", 1)[1].split("\n## ", 1)[0]
    rows = [_ROW.match(line) for line in section.splitlines() if line.startswith("| `DICASE_")]
    assert all(rows), "a settings row is not `| `DICASE_…` | default | meaning |`"
    found = {row.group(1): row.group(2).strip() for row in rows if row}
    assert len(found) == len(rows), "a setting is listed twice"
    return found


def environment_settings() -> list[dataclasses.Field[object]]:
    """The settings read from a DICASE_ variable (the others are fixed in code)."""
    return [field for field in dataclasses.fields(Settings)
            if field.default_factory is not dataclasses.MISSING]


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if isinstance(value, Path):
        value = value.relative_to(PROJECT_ROOT) if value.is_relative_to(PROJECT_ROOT) else value
    elif isinstance(value, float):
        value = f"{value:g}"
    text = str(value).replace(f"{PROJECT_ROOT}/", "")
    return f"`{text}`" if text else "empty"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("DICASE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_every_setting_is_documented_and_nothing_else(clean_environment: pytest.MonkeyPatch
                                                      ) -> None:
    expected = {f"DICASE_{field.name.upper()}" for field in environment_settings()}
    assert set(documented()) == expected


def test_each_documented_default_is_the_settings_default(clean_environment: pytest.MonkeyPatch
                                                         ) -> None:
    defaults = Settings()
    docs = documented()
    for field in environment_settings():
        cell = docs[f"DICASE_{field.name.upper()}"]
        assert cell.startswith(shown(getattr(defaults, field.name))), (field.name, cell)


def test_each_documented_variable_sets_its_setting(clean_environment: pytest.MonkeyPatch) -> None:
    """The variable's name is really the one the setting reads."""
    defaults = Settings()
    for field in environment_settings():
        default = getattr(defaults, field.name)
        if isinstance(default, bool):
            given, expected = ("0", False) if default else ("1", True)
        elif isinstance(default, int):
            given, expected = "7", 7
        elif isinstance(default, float):
            given, expected = "7.5", 7.5
        elif isinstance(default, Path):
            given, expected = "/srv/elsewhere", Path("/srv/elsewhere")
        else:
            given, expected = "chosen-value", "chosen-value"
        clean_environment.setenv(f"DICASE_{field.name.upper()}", given)
        assert getattr(Settings(), field.name) == expected, field.name
        clean_environment.delenv(f"DICASE_{field.name.upper()}")
