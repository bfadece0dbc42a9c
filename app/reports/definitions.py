"""The report catalogue as declared in ``catalogue.yaml``, checked and ready to run.

The file holds the dimensions reports may break figures down by (with their titles and value
labels) and the reports, each naming a source of ``app.reports.sources``, its dimensions,
measures, fixed filters, period, audience, chart and whether figures link to their records. A
JSON Schema checks the shape and this module the cross-references, so a mistake is a
``DefinitionError`` naming the report and the field, raised when the product starts. Adding a
report is an entry in the file (and a test), not a new program.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsonschema
import yaml

from app.access import scope as access

from .sources import SOURCES

CATALOGUE_FILE: Final = Path(__file__).with_name("catalogue.yaml")

# The order the catalogue page lists topics in, with their titles.
TOPICS: Final[dict[str, tuple[str, str]]] = {
    "di_progress": ("Deinstitucionalizācijas gaita", "DI progress"),
    "assessments": ("Novērtēšana un IAP", "Assessments and IAPs"),
    "services": ("Pakalpojumi", "Services"),
    "outcomes": ("Rezultāti", "Outcomes"),
    "money": ("Finanses", "Money"),
    "children": ("Bērni", "Children"),
    "adoption": ("Adopcija", "Adoption"),
}

MEASURE_KINDS: Final = ("count", "count_distinct", "sum", "sum_cents", "average")
PERIODS: Final = ("month", "quarter", "year")
# within: facts dated in the period; until: every fact dated up to the period's end (a stock).
COUNTS: Final = ("within", "until")
CHARTS: Final = ("bar", "line", "stacked_bar")
# Columns every source has besides its own.
COMMON_COLUMNS: Final = frozenset({"month"})


class DefinitionError(ValueError):
    """The catalogue file is wrong; the message names the report and the field."""


@dataclass(frozen=True)
class Dimension:
    name: str
    title_lv: str
    title_en: str
    # organisation: codes labelled with the organisation's name; text: shown as stored;
    # values: the labels listed in the catalogue; life_domain, service_type, service_mix,
    # group_home: named from the product's registers (app.reports.labels).
    labels: str
    values: dict[str, tuple[str, str]]

    def label(self, code: str | None, lang: str) -> str | None:
        """The label of a listed value (None for organisation and text dimensions)."""
        if code is None or code not in self.values:
            return None
        lv, en = self.values[code]
        return en if lang == "en" else lv


@dataclass(frozen=True)
class Measure:
    name: str
    kind: str
    of: str | None  # the source column, for every kind but count
    title_lv: str
    title_en: str
    unit: str

    @property
    def additive(self) -> bool:
        """Whether the rows' figures add up to the total (counts of distinct persons do not)."""
        return self.kind in ("count", "sum", "sum_cents")


@dataclass(frozen=True)
class Audience:
    organisation_kinds: frozenset[str]
    roles: frozenset[str]  # empty: any role
    groups: frozenset[str]  # empty: any group

    def admits(self, viewer: access.Viewer) -> bool:
        if viewer.organisation_kind not in self.organisation_kinds:
            return False
        if self.roles and not self.roles.intersection(viewer.roles):
            return False
        return not self.groups or bool(self.groups.intersection(viewer.groups))


@dataclass(frozen=True)
class ReportDefinition:
    id: str
    topic: str
    title_lv: str
    title_en: str
    description_lv: str
    description_en: str
    source: str
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    filters: dict[str, tuple[str, ...]]
    period: str
    counts: str
    audience: Audience
    chart: str
    drilldown: bool

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_lv

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_lv

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)


_TEXT = {"type": "string", "minLength": 1}
_BILINGUAL = {"type": "object", "required": ["lv", "en"], "additionalProperties": False,
              "properties": {"lv": _TEXT, "en": _TEXT}}
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_NAMES = {"type": "array", "minItems": 1, "uniqueItems": True, "items": _NAME}

SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["dimensions", "reports"],
    "additionalProperties": False,
    "properties": {
        "dimensions": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["title", "labels"],
                "additionalProperties": False,
                "properties": {
                    "title": _BILINGUAL,
                    "labels": {"enum": ["organisation", "text", "values", "life_domain",
                                         "service_type", "service_mix", "group_home"]},
                    "values": {"type": "object", "additionalProperties": _BILINGUAL},
                },
            },
        },
        "reports": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "topic", "title", "description", "source", "dimensions",
                             "measures", "period", "counts", "audience", "chart", "drilldown"],
                "additionalProperties": False,
                "properties": {
                    "id": _NAME,
                    "topic": {"enum": list(TOPICS)},
                    "title": _BILINGUAL,
                    "description": _BILINGUAL,
                    "source": _NAME,
                    "dimensions": {"type": "array", "uniqueItems": True, "items": _NAME},
                    "measures": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["name", "kind", "title", "unit"],
                            "additionalProperties": False,
                            "properties": {
                                "name": _NAME,
                                "kind": {"enum": list(MEASURE_KINDS)},
                                "of": _NAME,
                                "title": _BILINGUAL,
                                "unit": {"enum": ["persons", "cases", "tasks", "records",
                                                  "days", "hours", "eur_cents", "reports",
                                                  "decisions", "proposals", "children",
                                                  "adopters", "matches", "services", "level"]},
                            },
                        },
                    },
                    "filters": {"type": "object", "propertyNames": _NAME,
                                "additionalProperties": {"type": "array", "minItems": 1,
                                                         "items": _TEXT}},
                    "period": {"enum": list(PERIODS)},
                    "counts": {"enum": list(COUNTS)},
                    "audience": {
                        "type": "object",
                        "required": ["organisations"],
                        "additionalProperties": False,
                        "properties": {
                            "organisations": {"type": "array", "minItems": 1,
                                              "items": {"enum": list(access.ORGANISATION_KINDS)}},
                            "roles": _NAMES,
                            "groups": _NAMES,
                        },
                    },
                    "chart": {"enum": list(CHARTS)},
                    "drilldown": {"type": "boolean"},
                },
            },
        },
    },
}


def parse(document: Any) -> dict[str, ReportDefinition]:
    """The reports of a catalogue document, by id, ordered by topic (then as written)."""
    try:
        jsonschema.validate(document, SCHEMA)
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path)
        raise DefinitionError(f"catalogue {where}: {error.message}") from error
    dimensions = {name: _dimension(name, spec) for name, spec in document["dimensions"].items()}
    reports: list[ReportDefinition] = []
    for spec in document["reports"]:
        report = _report(spec, dimensions)
        if any(r.id == report.id for r in reports):
            raise DefinitionError(f"report {report.id}: id used twice")
        reports.append(report)
    order = list(TOPICS)
    reports.sort(key=lambda r: order.index(r.topic))  # stable: file order within a topic
    return {r.id: r for r in reports}


def _dimension(name: str, spec: dict[str, Any]) -> Dimension:
    values = {code: (t["lv"], t["en"]) for code, t in spec.get("values", {}).items()}
    if (spec["labels"] == "values") != bool(values):
        raise DefinitionError(f"dimension {name}: values are listed exactly when labels are values")
    return Dimension(name, spec["title"]["lv"], spec["title"]["en"], spec["labels"], values)


def _report(spec: dict[str, Any], dimensions: dict[str, Dimension]) -> ReportDefinition:
    rid = spec["id"]
    source = SOURCES.get(spec["source"])
    if source is None:
        raise DefinitionError(f"report {rid}: source {spec['source']!r} is not in sources.py")
    columns = source.columns | COMMON_COLUMNS
    for name in spec["dimensions"]:
        if name not in dimensions:
            raise DefinitionError(f"report {rid}: dimension {name!r} is not declared")
        if name not in columns:
            raise DefinitionError(f"report {rid}: source {source.name} has no column {name!r}")
    measures = []
    for m in spec["measures"]:
        of = m.get("of")
        if (m["kind"] == "count") != (of is None):
            raise DefinitionError(f"report {rid}: measure {m['name']}: 'of' names a column "
                                  "for every kind but count")
        if of is not None and of not in columns | {"person_id", "instance_id"}:
            raise DefinitionError(f"report {rid}: measure {m['name']}: source {source.name} "
                                  f"has no column {of!r}")
        if m["kind"] == "sum_cents" and m["unit"] != "eur_cents":
            raise DefinitionError(f"report {rid}: measure {m['name']}: sum_cents is in eur_cents")
        measures.append(Measure(m["name"], m["kind"], of, m["title"]["lv"], m["title"]["en"],
                                m["unit"]))
    names = [m.name for m in measures] + list(spec["dimensions"])
    if len(set(names)) != len(names):
        raise DefinitionError(f"report {rid}: a measure and a dimension share a name")
    filters = {}
    for column, values in spec.get("filters", {}).items():
        if column not in columns:
            raise DefinitionError(f"report {rid}: filter on {column!r}, not a column of "
                                  f"{source.name}")
        known = dimensions[column].values if column in dimensions else {}
        unknown = [v for v in values if known and v not in known]
        if unknown:
            raise DefinitionError(f"report {rid}: filter {column}: unknown values {unknown}")
        filters[column] = tuple(values)
    audience = spec["audience"]
    return ReportDefinition(
        id=rid, topic=spec["topic"], title_lv=spec["title"]["lv"], title_en=spec["title"]["en"],
        description_lv=spec["description"]["lv"], description_en=spec["description"]["en"],
        source=source.name, dimensions=tuple(dimensions[n] for n in spec["dimensions"]),
        measures=tuple(measures), filters=filters, period=spec["period"], counts=spec["counts"],
        audience=Audience(frozenset(audience["organisations"]),
                          frozenset(audience.get("roles", ())),
                          frozenset(audience.get("groups", ()))),
        chart=spec["chart"], drilldown=spec["drilldown"])


def load(path: Path = CATALOGUE_FILE) -> dict[str, ReportDefinition]:
    with path.open(encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle))


REPORTS: Final[dict[str, ReportDefinition]] = load()
