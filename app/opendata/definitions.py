"""The open-data sets D1–D9 as declared in ``datasets.yaml``, checked and ready to compute.

The file holds a catalogue of dimensions and measures and a list of data sets that name them;
a JSON Schema checks its shape and this module its cross-references (known store sources,
known dimensions and measures, non-overlapping age bands), so a mistake is a
``DefinitionError`` naming the data set and the field, raised when the product starts rather
than when a release is prepared. Adding a tenth data set is an entry in the file.
"""
from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import jsonschema
import yaml

from app.opendata.sources import STORE_SOURCES

DATASETS_FILE: Final = Path(__file__).with_name("datasets.yaml")

PERIOD_FREQUENCY: Final = {"month": "monthly", "quarter": "quarterly", "year": "annual"}


class DefinitionError(ValueError):
    """The data-set file is wrong; the message names the data set and the field."""


class PeriodError(ValueError):
    """A period label that is not a year (2025), a quarter (2025-Q3) or a month (2025-10)."""


@dataclass(frozen=True)
class DimensionValue:
    code: str
    label_lv: str
    label_en: str
    min_age: int | None = None  # for an age band: whole years at the reference date
    max_age: int | None = None  # None: no upper limit


@dataclass(frozen=True)
class Dimension:
    name: str  # the column name in the published table
    source: str  # subject.sex | fact.category | fact.severity | age
    title_lv: str
    title_en: str
    values: tuple[DimensionValue, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.values)


@dataclass(frozen=True)
class Measure:
    name: str
    kind: str  # count | average
    title_lv: str
    title_en: str
    description_lv: str
    description_en: str
    unit: str
    sum_of: str = ""  # for an average: the fact column summed ...
    per: str = ""  # ... and the one it is divided by


@dataclass(frozen=True)
class Definition:
    code: str
    title_lv: str
    title_en: str
    description_lv: str
    description_en: str
    keywords_lv: tuple[str, ...]
    keywords_en: tuple[str, ...]
    source_lv: str
    source_en: str
    sources: tuple[str, ...]
    period: str
    frequency: str
    first_period: str
    facts: str  # overlapping_period | valid_on_reference_date
    reference_date: str  # period_end
    latest_fact_only: bool
    disclosure: str  # persons | none
    cell_lv: str
    cell_en: str
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    sha256: str

    @property
    def count(self) -> Measure:
        """The count the data set publishes (its averages are over this count)."""
        return next(m for m in self.measures if m.kind == "count")


_TEXT = {"type": "string", "minLength": 1}
_BILINGUAL = {
    "type": "object",
    "required": ["lv", "en"],
    "additionalProperties": False,
    "properties": {"lv": _TEXT, "en": _TEXT},
}
_WORDS = {"type": "array", "minItems": 1, "items": _TEXT}
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}

SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["dimensions", "measures", "datasets"],
    "additionalProperties": False,
    "properties": {
        "dimensions": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["column", "from", "title", "values"],
                "additionalProperties": False,
                "properties": {
                    "column": _NAME,
                    "from": {"enum": ["subject.sex", "fact.category", "fact.severity", "age"]},
                    "title": _BILINGUAL,
                    "values": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["code", "lv", "en"],
                            "additionalProperties": False,
                            "properties": {
                                "code": {"type": "string", "pattern": "^[A-Za-z0-9_+-]+$"},
                                "lv": _TEXT,
                                "en": _TEXT,
                                "min": {"type": "integer", "minimum": 0},
                                "max": {"type": "integer", "minimum": 0},
                            },
                        },
                    },
                },
                "if": {"properties": {"from": {"const": "age"}}},
                "then": {"properties": {"values": {"items": {"required": ["min"]}}}},
                "else": {"properties": {"values": {"items": {"not": {"anyOf": [
                    {"required": ["min"]}, {"required": ["max"]}]}}}}},
            },
        },
        "measures": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["kind", "title", "description", "unit"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"enum": ["count", "average"]},
                    "sum": {"enum": ["amount_cents"]},
                    "per": {"enum": ["months"]},
                    "title": _BILINGUAL,
                    "description": _BILINGUAL,
                    "unit": _TEXT,
                },
                "if": {"properties": {"kind": {"const": "average"}}},
                "then": {"required": ["sum", "per"]},
            },
        },
        "datasets": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "code", "title", "description", "keywords", "register", "sources", "period",
                    "frequency", "first_period", "facts", "reference_date", "disclosure", "cell",
                    "dimensions", "measures",
                ],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "pattern": "^D[0-9]+$"},
                    "title": _BILINGUAL,
                    "description": _BILINGUAL,
                    "keywords": {
                        "type": "object",
                        "required": ["lv", "en"],
                        "additionalProperties": False,
                        "properties": {"lv": _WORDS, "en": _WORDS},
                    },
                    "register": _BILINGUAL,
                    "sources": {"type": "array", "minItems": 1, "items": _NAME},
                    "period": {"enum": list(PERIOD_FREQUENCY)},
                    "frequency": {"enum": list(PERIOD_FREQUENCY.values())},
                    "first_period": {"type": "string"},
                    "facts": {"enum": ["overlapping_period", "valid_on_reference_date"]},
                    "reference_date": {"enum": ["period_end"]},
                    "one_fact_per_subject": {"enum": ["latest"]},
                    "disclosure": {"enum": ["persons", "none"]},
                    "cell": _BILINGUAL,
                    # The territory is the first dimension of every table and protect() takes
                    # at most three.
                    "dimensions": {"type": "array", "maxItems": 2, "items": _NAME},
                    "measures": {"type": "array", "minItems": 1, "items": _NAME},
                },
            },
        },
    },
}


def load(path: Path = DATASETS_FILE) -> dict[str, Definition]:
    """The data sets of the file, in file order, or a ``DefinitionError``."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return parse(document)


def parse(document: Any) -> dict[str, Definition]:
    _check_schema(document)
    dimensions = {name: _dimension(name, spec) for name, spec in document["dimensions"].items()}
    measures = {name: _measure(name, spec) for name, spec in document["measures"].items()}
    found: dict[str, Definition] = {}
    for spec in document["datasets"]:
        definition = _definition(spec, document, dimensions, measures)
        if definition.code in found:
            raise DefinitionError(f"{definition.code}: code: declared twice")
        found[definition.code] = definition
    return found


def _check_schema(document: Any) -> None:
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
    if error is None:
        return
    path = list(error.absolute_path)
    where = "datasets file"
    if len(path) >= 2 and path[0] == "datasets" and isinstance(path[1], int):
        item = document["datasets"][path[1]]
        code = item.get("code") if isinstance(item, dict) else None
        where = str(code or f"data set #{path[1] + 1}")
        path = path[2:]
    elif len(path) >= 2:
        where = f"{path[0]} {path[1]!s}"
        path = path[2:]
    field = ".".join(str(p) for p in path) or "(entry)"
    raise DefinitionError(f"{where}: {field}: {error.message}")


def _dimension(name: str, spec: Mapping[str, Any]) -> Dimension:
    values = tuple(
        DimensionValue(v["code"], v["lv"], v["en"], v.get("min"), v.get("max"))
        for v in spec["values"])
    codes = [v.code for v in values]
    if len(set(codes)) != len(codes):
        raise DefinitionError(f"dimensions {name}: values: a code is declared twice")
    if spec["from"] == "age":
        _check_age_bands(name, values)
    return Dimension(spec["column"], spec["from"], spec["title"]["lv"], spec["title"]["en"],
                     values)


def _check_age_bands(name: str, values: tuple[DimensionValue, ...]) -> None:
    """Bands must not overlap: a person is in one band, or the margins would not add up."""
    bands = sorted((v.min_age or 0, v.max_age, v.code) for v in values)
    for low, high, code in bands:
        if high is not None and high < low:
            raise DefinitionError(f"dimensions {name}: values: band {code} ends before it starts")
    for (_, high, code), (next_low, _, next_code) in pairwise(bands):
        if high is None or high >= next_low:
            raise DefinitionError(
                f"dimensions {name}: values: bands {code} and {next_code} overlap")


def _measure(name: str, spec: Mapping[str, Any]) -> Measure:
    return Measure(name, spec["kind"], spec["title"]["lv"], spec["title"]["en"],
                   spec["description"]["lv"], spec["description"]["en"], spec["unit"],
                   spec.get("sum", ""), spec.get("per", ""))


def _definition(spec: Mapping[str, Any], document: Mapping[str, Any],
                dimensions: Mapping[str, Dimension],
                measures: Mapping[str, Measure]) -> Definition:
    code = spec["code"]
    for source in spec["sources"]:
        if source not in STORE_SOURCES:
            raise DefinitionError(f"{code}: sources: unknown source {source!r}")
    for name in spec["dimensions"]:
        if name not in dimensions:
            raise DefinitionError(f"{code}: dimensions: unknown dimension {name!r}")
    for name in spec["measures"]:
        if name not in measures:
            raise DefinitionError(f"{code}: measures: unknown measure {name!r}")
    chosen = tuple(dimensions[name] for name in spec["dimensions"])
    columns = [d.name for d in chosen]
    if len(set(columns)) != len(columns):
        raise DefinitionError(f"{code}: dimensions: two dimensions share the column name")
    counted = tuple(measures[name] for name in spec["measures"])
    kinds = [m.kind for m in counted]
    if kinds.count("count") != 1:
        raise DefinitionError(f"{code}: measures: a data set has exactly one count")
    if kinds.count("average") > 1:
        raise DefinitionError(f"{code}: measures: a data set has at most one average")
    if spec["frequency"] != PERIOD_FREQUENCY[spec["period"]]:
        raise DefinitionError(
            f"{code}: frequency: a {spec['period']} period is published "
            f"{PERIOD_FREQUENCY[spec['period']]}, not {spec['frequency']}")
    try:
        first_kind = period_kind(spec["first_period"])
    except PeriodError as error:
        raise DefinitionError(f"{code}: first_period: {error}") from None
    if first_kind != spec["period"]:
        raise DefinitionError(f"{code}: first_period: {spec['first_period']!r} is not a "
                              f"{spec['period']}")
    resolved = {
        **spec,
        "dimensions": [document["dimensions"][name] for name in spec["dimensions"]],
        "measures": [document["measures"][name] for name in spec["measures"]],
    }
    digest = hashlib.sha256(
        json.dumps(resolved, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        .encode("utf-8")).hexdigest()
    return Definition(
        code=code,
        title_lv=spec["title"]["lv"], title_en=spec["title"]["en"],
        description_lv=spec["description"]["lv"], description_en=spec["description"]["en"],
        keywords_lv=tuple(spec["keywords"]["lv"]), keywords_en=tuple(spec["keywords"]["en"]),
        source_lv=spec["register"]["lv"], source_en=spec["register"]["en"],
        sources=tuple(spec["sources"]),
        period=spec["period"], frequency=spec["frequency"], first_period=spec["first_period"],
        facts=spec["facts"], reference_date=spec["reference_date"],
        latest_fact_only=spec.get("one_fact_per_subject") == "latest",
        disclosure=spec["disclosure"],
        cell_lv=spec["cell"]["lv"], cell_en=spec["cell"]["en"],
        dimensions=chosen, measures=counted, sha256=digest,
    )


# --- periods ------------------------------------------------------------------------------------

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_kind(text: str) -> str:
    """``year``, ``quarter`` or ``month`` for a period label, or a ``PeriodError``."""
    for kind, pattern in (("year", _YEAR), ("quarter", _QUARTER), ("month", _MONTH)):
        if pattern.match(text):
            return kind
    raise PeriodError(f"{text!r} is not a period: write 2025, 2025-Q3 or 2025-10")


def parse_period(text: str) -> tuple[str, date, date]:
    """The period's label and its first and last day: 2025, 2025-Q3, 2025-10."""
    kind = period_kind(text)
    year = int(text[:4])
    if kind == "year":
        return text, date(year, 1, 1), date(year, 12, 31)
    if kind == "quarter":
        first_month = 3 * (int(text[-1]) - 1) + 1
        return text, date(year, first_month, 1), _month_end(year, first_month + 2)
    month = int(text[5:])
    return text, date(year, month, 1), _month_end(year, month)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_label(kind: str, year: int, number: int = 1) -> str:
    """The label of a period: a year, the year's ``number``-th quarter or month."""
    if kind == "year":
        return f"{year:04d}"
    if kind == "quarter":
        return f"{year:04d}-Q{number}"
    return f"{year:04d}-{number:02d}"


def previous_period(text: str) -> str:
    """The period just before: 2024 for 2025, 2025-Q2 for 2025-Q3, 2025-09 for 2025-10."""
    kind = period_kind(text)
    year = int(text[:4])
    if kind == "year":
        return period_label(kind, year - 1)
    number = int(text[-1]) if kind == "quarter" else int(text[5:])
    if number == 1:
        return period_label(kind, year - 1, 4 if kind == "quarter" else 12)
    return period_label(kind, year, number - 1)


def latest_complete_period(definition: Definition, today: date) -> str:
    """The data set's last period that ended before ``today``."""
    if definition.period == "year":
        return period_label("year", today.year - 1)
    if definition.period == "quarter":
        current = (today.month - 1) // 3 + 1
        if current == 1:
            return period_label("quarter", today.year - 1, 4)
        return period_label("quarter", today.year, current - 1)
    if today.month == 1:
        return period_label("month", today.year - 1, 12)
    return period_label("month", today.year, today.month - 1)


DATASETS: Final[dict[str, Definition]] = load()
