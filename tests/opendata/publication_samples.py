"""Hand-built release contents in the layout releases.py writes (docs/opendata-publication.md),
with suppressed cells, for the publication tests: insured persons and their average monthly
contribution wage by sex, for Latvia, one planning region and two of its municipalities."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.db.models.opendata import OpenDataRelease

COLUMNS: list[dict[str, Any]] = [
    {"name": "level", "type": "string", "title_lv": "Līmenis", "title_en": "Level",
     "description_lv": "national, planning_region vai municipality",
     "description_en": "national, planning_region or municipality"},
    {"name": "territory_code", "type": "string", "title_lv": "Teritorijas kods",
     "title_en": "Territory code"},
    {"name": "atvk_code", "type": "string", "title_lv": "ATVK kods", "title_en": "ATVK code"},
    {"name": "territory_lv", "type": "string", "title_lv": "Teritorija",
     "title_en": "Territory (Latvian)"},
    {"name": "territory_en", "type": "string", "title_lv": "Teritorija angliski",
     "title_en": "Territory"},
    {"name": "planning_region", "type": "string", "title_lv": "Plānošanas reģions",
     "title_en": "Planning region"},
    {"name": "sex", "type": "string", "title_lv": "Dzimums", "title_en": "Sex"},
    {"name": "persons", "type": "integer", "title_lv": "Personas", "title_en": "Persons",
     "description_lv": "Sociāli apdrošināto personu skaits",
     "description_en": "Number of socially insured persons"},
    {"name": "persons_flag", "type": "string", "title_lv": "Personu pazīme",
     "title_en": "Persons flag"},
    {"name": "average_wage", "type": "number", "title_lv": "Vidējā iemaksu alga, EUR",
     "title_en": "Average contribution wage, EUR"},
    {"name": "average_wage_flag", "type": "string", "title_lv": "Algas pazīme",
     "title_en": "Wage flag"},
]

_TERRITORIES = {
    "LV": ("national", "", "Latvija", "Latvia", ""),
    "PR-RIGA": ("planning_region", "", "Rīgas plānošanas reģions", "Riga Planning Region",
                "PR-RIGA"),
    "RIGA": ("municipality", "0001000", "Rīgas valstspilsēta", "Riga State City", "PR-RIGA"),
    "MARUPE": ("municipality", "0807600", "Mārupes novads", "Mārupe Municipality", "PR-RIGA"),
}


def _row(code: str, sex: str, persons: int | None, wage: str | None) -> dict[str, Any]:
    level, atvk, name_lv, name_en, region = _TERRITORIES[code]
    return {"level": level, "territory_code": code, "atvk_code": atvk, "territory_lv": name_lv,
            "territory_en": name_en, "planning_region": region, "sex": sex,
            "persons": persons, "persons_flag": "" if persons is not None else "c",
            "average_wage": wage, "average_wage_flag": "" if wage is not None else "c"}


def content(period: str = "2025", *, riga_women: int = 4021) -> dict[str, Any]:
    """Mārupe's and Rīga's men and women are suppressed (a count of 1 or 2 and its complement),
    their totals, the region's and Latvia's numbers published."""
    year = int(period[:4])
    rows = [
        _row("LV", "F", riga_women + 3, "1412.07"),
        _row("LV", "M", 3980, "1502.10"),
        _row("LV", "TOTAL", riga_women + 3 + 3980, "1456.50"),
        _row("MARUPE", "F", None, None),
        _row("MARUPE", "M", None, None),
        _row("MARUPE", "TOTAL", 3, "980.00"),
        _row("PR-RIGA", "F", riga_women + 1, "1400.00"),
        _row("PR-RIGA", "M", 3980, "1502.10"),
        _row("PR-RIGA", "TOTAL", riga_women + 1 + 3980, "1450.01"),
        _row("RIGA", "F", None, None),
        _row("RIGA", "M", None, None),
        _row("RIGA", "TOTAL", riga_women + 3978, "1449.99"),
    ]
    return {"dataset": "D6", "period": period, "period_start": f"{year}-01-01",
            "period_end": f"{year}-12-31", "reference_date": f"{year}-12-31",
            "columns": [dict(column) for column in COLUMNS], "rows": rows}


def release(period: str = "2025", version: int = 1, *, riga_women: int = 4021,
            published_at: datetime | None = None) -> OpenDataRelease:
    """A published release as the database holds it (not stored: the writers need no session)."""
    year = int(period[:4])
    body = content(period, riga_women=riga_women)
    return OpenDataRelease(
        dataset="D6", period=period, period_start=date(year, 1, 1),
        period_end=date(year, 12, 31), version=version, status="published",
        definition_sha256="0" * 64, content=body, content_sha256="0" * 64,
        row_count=len(body["rows"]), suppressed_count=8,
        published_at=published_at or datetime(year + 1, 2, 5, 6, 0, tzinfo=UTC),
        published_by="statistician")


@dataclass(frozen=True)
class SampleValue:
    code: str
    label_lv: str
    label_en: str


@dataclass(frozen=True)
class SampleDimension:
    name: str
    title_lv: str
    title_en: str
    values: tuple[SampleValue, ...]


@dataclass(frozen=True)
class SampleMeasure:
    name: str
    kind: str
    title_lv: str
    title_en: str
    unit: str


@dataclass(frozen=True)
class SampleDefinition:
    """The fields of a data-set definition the writers read, for the sample content above."""

    code: str = "D6"
    title_lv: str = "Sociāli apdrošinātās personas un vidējā iemaksu alga"
    title_en: str = "Socially insured persons and the average contribution wage"
    description_lv: str = "Sociāli apdrošināto personu skaits gadā pēc dzimuma un dzīvesvietas."
    description_en: str = "Persons socially insured in the year, by sex and declared residence."
    keywords_lv: tuple[str, ...] = ("sociālā apdrošināšana", "iemaksu alga")
    keywords_en: tuple[str, ...] = ("social insurance", "contribution wage")
    source_lv: str = "Valsts sociālās apdrošināšanas aģentūra"
    source_en: str = "State Social Insurance Agency"
    period: str = "year"
    frequency: str = "annual"
    disclosure: str = "persons"
    dimensions: tuple[SampleDimension, ...] = (
        SampleDimension("sex", "Dzimums", "Sex", (SampleValue("F", "sievietes", "women"),
                                                 SampleValue("M", "vīrieši", "men"))),)
    measures: tuple[SampleMeasure, ...] = (
        SampleMeasure("persons", "count", "Personas", "Persons", "persons"),
        SampleMeasure("average_wage", "average", "Vidējā iemaksu alga", "Average contribution "
                      "wage", "EUR"))
