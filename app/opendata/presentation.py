"""A published table as the public page and the review page show it: the territories a reader may
choose, the rows of one territory with their labels, the cells (a suppressed one marked, never
0), the chart's series and the comparison with the previous period. No Flask here."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .definitions import Definition

NATIONAL = "LV"
TOTAL = "TOTAL"
SUPPRESSED_FLAG = "c"
_LEVELS = ("national", "planning_region", "municipality")


@dataclass(frozen=True)
class Territory:
    code: str
    level: str  # national | planning_region | municipality
    name_lv: str
    name_en: str
    planning_region: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_lv


@dataclass(frozen=True)
class Cell:
    """One number of the table: ``text`` as shown, or suppressed (an empty cell with a mark)."""

    text: str
    suppressed: bool
    value: float | None  # for the chart; None where suppressed


@dataclass(frozen=True)
class Row:
    territory: str
    labels: tuple[str, ...]  # the dimensions' value labels, "Total" where a row sums them
    cells: tuple[Cell, ...]  # one per measure, in the definition's order
    is_total: bool  # every dimension summed


def territories(content: Mapping[str, Any]) -> list[Territory]:
    """Every territory the table has a row for: the country, the planning regions, then the
    municipalities region by region, each group by name."""
    found: dict[str, Territory] = {}
    for row in content.get("rows") or ():
        code = str(row.get("territory_code") or "")
        if code and code not in found:
            found[code] = Territory(code, str(row.get("level") or ""),
                                    str(row.get("territory_lv") or code),
                                    str(row.get("territory_en") or code),
                                    str(row.get("planning_region") or ""))
    regions = {t.code: t.name_lv for t in found.values() if t.level == "planning_region"}

    def order(t: Territory) -> tuple[int, str, str]:
        level = _LEVELS.index(t.level) if t.level in _LEVELS else len(_LEVELS)
        return (level, regions.get(t.planning_region, "") if t.level == "municipality" else "",
                t.name_lv)
    return sorted(found.values(), key=order)


def territory_of(content: Mapping[str, Any], code: str) -> Territory | None:
    return next((t for t in territories(content) if t.code == code), None)


def dimension_label(definition: Definition, name: str, code: str, lang: str,
                    total: str) -> str:
    if code == TOTAL:
        return total
    for dimension in definition.dimensions:
        if dimension.name == name:
            for value in dimension.values:
                if value.code == code:
                    return value.label_en if lang == "en" else value.label_lv
    return code


def number_text(value: Any, lang: str) -> str:
    """A published number as a Latvian (1 234; 1 234,56) or English (1,234; 1,234.56) reader
    writes it; averages arrive as decimal strings and keep their two places."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = max(0, -int(number.as_tuple().exponent)) if isinstance(value, str) else 0
    text = f"{number:,.{places}f}"
    if lang == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def cell(row: Mapping[str, Any], measure: str, lang: str) -> Cell:
    value = row.get(measure)
    if row.get(f"{measure}_flag") == SUPPRESSED_FLAG or value is None:
        return Cell("", True, None)
    return Cell(number_text(value, lang), False, float(Decimal(str(value))))


def _dimension_names(definition: Definition) -> list[str]:
    return [d.name for d in definition.dimensions]


def table_rows(definition: Definition, content: Mapping[str, Any], territory: str, lang: str,
               total: str) -> list[Row]:
    """The territory's rows, its total first, then the breakdown in the published order."""
    names = _dimension_names(definition)
    rows = []
    for found in content.get("rows") or ():
        if found.get("territory_code") != territory:
            continue
        codes = [str(found.get(name, TOTAL)) for name in names]
        rows.append(Row(territory,
                        tuple(dimension_label(definition, n, c, lang, total)
                              for n, c in zip(names, codes, strict=True)),
                        tuple(cell(found, m.name, lang) for m in definition.measures),
                        all(c == TOTAL for c in codes)))
    rows.sort(key=lambda r: not r.is_total)
    return rows


def parts_of(content: Mapping[str, Any], territory: Territory | None) -> list[Territory]:
    """The territories one level below: the regions of the country, a region's municipalities."""
    every = territories(content)
    if territory is None or territory.level == "national":
        return [t for t in every if t.level == "planning_region"]
    if territory.level == "planning_region":
        return [t for t in every if t.level == "municipality"
                and t.planning_region == territory.code]
    return []


def total_row(definition: Definition, content: Mapping[str, Any],
              territory: str) -> Mapping[str, Any] | None:
    names = _dimension_names(definition)
    return next((r for r in content.get("rows") or ()
                 if r.get("territory_code") == territory
                 and all(str(r.get(n, TOTAL)) == TOTAL for n in names)), None)


def parts_rows(definition: Definition, content: Mapping[str, Any], territory: Territory | None,
               lang: str) -> list[tuple[Territory, tuple[Cell, ...]]]:
    """Each part's totals (every dimension summed), for the table of the territory's parts."""
    found = []
    for part in parts_of(content, territory):
        row = total_row(definition, content, part.code)
        if row is not None:
            found.append((part, tuple(cell(row, m.name, lang) for m in definition.measures)))
    return found


def chart(definition: Definition, content: Mapping[str, Any], territory: str, lang: str
          ) -> dict[str, Any]:
    """The chart of the territory: the count by the first dimension's values (the others
    summed); a suppressed bar is left out (null), never drawn as 0."""
    measure = definition.count
    names = _dimension_names(definition)
    first = definition.dimensions[0] if definition.dimensions else None
    labels: list[str] = []
    values: list[float | None] = []
    if first is not None:
        for value in first.values:
            row = next((r for r in content.get("rows") or ()
                        if r.get("territory_code") == territory
                        and str(r.get(first.name)) == value.code
                        and all(str(r.get(n, TOTAL)) == TOTAL for n in names[1:])), None)
            if row is None:
                continue
            labels.append(value.label_en if lang == "en" else value.label_lv)
            values.append(cell(row, measure.name, lang).value)
    title = measure.title_en if lang == "en" else measure.title_lv
    dimension = (first.title_en if lang == "en" else first.title_lv) if first else ""
    return {"labels": labels, "numbers": values, "label": title, "axis": dimension,
            "suppressed": [v is None for v in values]}


def comparison_rows(definition: Definition, compared: Sequence[Mapping[str, Any]], lang: str,
                    total: str) -> list[dict[str, Any]]:
    """``releases.comparison`` with labels and shown numbers, the flagged changes first."""
    names = _dimension_names(definition)
    measures = {m.name: (m.title_en if lang == "en" else m.title_lv) for m in definition.measures}
    shown = []
    for item in compared:
        shown.append({
            "territory": str(item.get("territory_en" if lang == "en" else "territory_lv")
                             or item.get("territory_code") or ""),
            "labels": [dimension_label(definition, n, str(item.get(n, TOTAL)), lang, total)
                       for n in names],
            "measure": measures.get(str(item.get("measure")), str(item.get("measure") or "")),
            "value": _side(item, "value", lang),
            "previous": _side(item, "previous", lang),
            "change": _change_text(item.get("change_percent"), lang),
            "flagged": bool(item.get("flagged")),
        })
    shown.sort(key=lambda s: not s["flagged"])
    return shown


def _side(item: Mapping[str, Any], name: str, lang: str) -> Cell:
    """The new number (None only where it is suppressed) or the previous period's (None where it
    was suppressed or not published: nothing to compare with)."""
    value = item.get(name)
    if value is None:
        return Cell("", name == "value", None)
    return Cell(number_text(value, lang), False, None)


def _change_text(change: Any, lang: str) -> str:
    if change is None or change == "":
        return ""
    number = Decimal(str(change)).quantize(Decimal("0.1"))
    sign = "+" if number > 0 else ""
    return f"{sign}{number_text(str(number), lang)} %"
