"""The published files of an open-data release: CSV, JSON, Table Schema and Data Package.

Every file is rendered from ``OpenDataRelease.content`` (the layout is in
docs/opendata-publication.md), so a published version reads the same however it is fetched.

**CSV** is what open-data portals and machine readers expect (RFC 4180): UTF-8 *without* a byte
order mark, comma separated, CRLF line ends, one header row of the column names, numbers with a
decimal point. A BOM would help one program (a spreadsheet opening the file by double click) and
end up as part of the first column's name in most others (Python's csv, pandas, R, the
Frictionless tools); the product's own spreadsheet exports (app/monthly_reports.py, semicolons and
decimal commas for Latvian spreadsheets) are for people, these files are for reuse. A spreadsheet
user imports them with "Data → From Text/CSV", which recognises UTF-8 and the comma.

A **suppressed** number (disclosure control, app/opendata/disclosure.py) is an empty cell with
``c`` ("confidential") in the column ``<measure>_flag`` next to it — never 0. The writers refuse a
content where the two disagree, so no renderer can turn a suppressed cell into a number. The one
empty cell without the flag is an average over a published count of 0: there is nobody to
average, and nothing is hidden.

No Flask and no database here: content and definitions in, bytes and dicts out.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

SUPPRESSED_FLAG = "c"
FLAG_SUFFIX = "_flag"
TOTAL = "TOTAL"
LEVELS = ("national", "planning_region", "municipality")
# Columns every release starts with (the territory); the rest are dimensions, measures, flags.
TERRITORY_COLUMNS = ("level", "territory_code", "atvk_code", "territory_lv", "territory_en",
                     "planning_region")

LICENSE_NAME = "CC-BY-4.0"
LICENSE_TITLE = "Creative Commons Attribution 4.0 International"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

PUBLISHER_LV = "Labklājības ministrija"
PUBLISHER_EN = "Ministry of Welfare of the Republic of Latvia"
PUBLISHER_URL = "https://www.lm.gov.lv/"

FLAG_MEANING = {
    SUPPRESSED_FLAG: {
        "lv": "konfidenciāls: skaitlis nav publicēts, jo no tā vai no kopsummām varētu "
              "noteikt mazāk nekā 3 personas",
        "en": "confidential: the number is not published because it, or the totals, could "
              "reveal fewer than 3 persons",
    },
    "": {
        "lv": "publicēts; tukša vidējā vērtība bez atzīmes: nav personu, no kurām to aprēķināt",
        "en": "published; an empty average without the flag: there are no persons to average",
    },
}


class ContentError(ValueError):
    """A release content that cannot be published as it is (a suppressed cell with a number, a
    missing column, a float average); the message names the row and the column."""


class Definition(Protocol):
    """What the writers read of a data-set definition (app/opendata/definitions.py)."""

    @property
    def code(self) -> str: ...
    @property
    def title_lv(self) -> str: ...
    @property
    def title_en(self) -> str: ...
    @property
    def description_lv(self) -> str: ...
    @property
    def description_en(self) -> str: ...
    @property
    def keywords_lv(self) -> Sequence[str]: ...
    @property
    def keywords_en(self) -> Sequence[str]: ...
    @property
    def source_lv(self) -> str: ...
    @property
    def source_en(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def frequency(self) -> str: ...
    @property
    def dimensions(self) -> Sequence[Any]: ...
    @property
    def measures(self) -> Sequence[Any]: ...


class Release(Protocol):
    """What the writers read of a published release (app/db/models/opendata.py)."""

    @property
    def dataset(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def period_start(self) -> date: ...
    @property
    def period_end(self) -> date: ...
    @property
    def version(self) -> int: ...
    @property
    def content(self) -> dict[str, Any]: ...
    @property
    def published_at(self) -> datetime | None: ...


# --- the public addresses (one place; the public page's routes follow them) -------------------

def _root(base_url: str) -> str:
    return base_url.rstrip("/") + "/open-data"


def catalogue_url(base_url: str) -> str:
    """The DCAT-AP catalogue of all data sets."""
    return f"{_root(base_url)}/catalogue.jsonld"


def landing_url(base_url: str, dataset: str) -> str:
    """The data set's public page."""
    return f"{_root(base_url)}/{dataset}"


def download_url(base_url: str, dataset: str, period: str, extension: str) -> str:
    """The latest published version of one period: ``…/open-data/D4/2025.csv`` (or ``.json``)."""
    return f"{_root(base_url)}/{dataset}/{period}.{extension}"


def datapackage_url(base_url: str, dataset: str) -> str:
    return f"{_root(base_url)}/{dataset}/datapackage.json"


def package_name(definition: Definition) -> str:
    """The data set's lower-case name in the Data Package and on the portal: ``lm-d4``.

    Built from the code alone, so renaming a title never makes a second package on the portal."""
    return f"lm-{definition.code.lower()}"


def resource_name(dataset: str, period: str) -> str:
    """``d4-2025-q3``: a Data Package resource name (lower case, digits, ``-``)."""
    return f"{dataset}-{period}".lower()


# --- the columns ---------------------------------------------------------------------------------

def _columns(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    columns = content.get("columns")
    if not isinstance(columns, list) or not columns:
        raise ContentError("the content has no columns")
    names = [column.get("name") for column in columns]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        raise ContentError("the content's column names must be distinct and not empty")
    return columns


def measure_names(content: Mapping[str, Any]) -> list[str]:
    """The columns that carry a number with a suppression flag beside them."""
    names = {column["name"] for column in _columns(content)}
    return [column["name"] for column in _columns(content)
            if column["name"] + FLAG_SUFFIX in names]


def dimension_names(content: Mapping[str, Any]) -> list[str]:
    """The breakdown columns other than the territory: age band, sex, severity, service type…"""
    measures = set(measure_names(content))
    return [column["name"] for column in _columns(content)
            if column["name"] not in TERRITORY_COLUMNS and column["name"] not in measures
            and not (column["name"].endswith(FLAG_SUFFIX)
                     and column["name"][:-len(FLAG_SUFFIX)] in measures)]


def primary_key(content: Mapping[str, Any]) -> list[str]:
    """A row is one territory at one level and one combination of dimension codes."""
    return ["level", "territory_code", *dimension_names(content)]


def _checked_rows(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows, after making sure every suppressed number is empty and flagged, and every
    published number is present and not flagged."""
    columns = _columns(content)
    names = [column["name"] for column in columns]
    types = {column["name"]: column.get("type", "string") for column in columns}
    measures = measure_names(content)
    rows = content.get("rows")
    if not isinstance(rows, list):
        raise ContentError("the content has no rows")
    for number, row in enumerate(rows, start=1):
        missing = [name for name in names if name not in row]
        if missing:
            raise ContentError(f"row {number} has no column {missing[0]}")
        for measure in measures:
            value, flag = row[measure], row[measure + FLAG_SUFFIX]
            if flag not in ("", None, SUPPRESSED_FLAG):
                raise ContentError(f"row {number}, column {measure + FLAG_SUFFIX}: unknown "
                                   f"flag {flag!r}")
            if flag == SUPPRESSED_FLAG and value is not None:
                raise ContentError(f"row {number}, column {measure}: a suppressed number must "
                                   "be empty, not a value")
            # An average over nobody (a published count of 0) has no value and is not
            # confidential; a count is never empty unless suppressed.
            if flag != SUPPRESSED_FLAG and value is None and types[measure] != "number":
                raise ContentError(f"row {number}, column {measure}: an empty number must be "
                                   "flagged as suppressed")
            if value is not None:
                _number_text(value, types[measure], number, measure)
    return rows


def _number_text(value: Any, kind: str, row: int, column: str) -> str:
    """A published number as text: integers as they are, averages with a decimal point."""
    if isinstance(value, (bool, float)):
        # Money and averages travel as exact decimals (Decimal or "12.34"), never as floats.
        raise ContentError(f"row {row}, column {column}: {type(value).__name__} is not a "
                           "published number; averages come as decimal strings")
    if isinstance(value, int):
        if kind == "integer" or kind == "number":
            return str(value)
    elif kind == "number" and isinstance(value, (str, Decimal)):
        text = str(value)
        try:
            parsed = Decimal(text)
        except InvalidOperation:
            parsed = None
        if parsed is not None and parsed.is_finite() and re.fullmatch(r"-?\d+(\.\d+)?", text):
            return text
    raise ContentError(f"row {row}, column {column}: {value!r} is not a {kind}")


def _cell_text(value: Any, kind: str, row: int, column: str) -> str:
    if value is None:
        return ""
    if kind in ("integer", "number"):
        return _number_text(value, kind, row, column)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


# --- CSV and JSON --------------------------------------------------------------------------------

def csv_bytes(content: Mapping[str, Any]) -> bytes:
    """The release as CSV: UTF-8 without BOM, comma, CRLF, a header row of column names;
    a suppressed number is an empty cell with ``c`` in its ``<measure>_flag`` column."""
    columns = _columns(content)
    rows = _checked_rows(content)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column["name"] for column in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow([_cell_text(row[column["name"]], column.get("type", "string"), number,
                                    column["name"]) for column in columns])
    return out.getvalue().encode("utf-8")


_JSON_HEAD = ("dataset", "period", "period_start", "period_end", "reference_date")


def json_bytes(content: Mapping[str, Any]) -> bytes:
    """The release as JSON: the period, the columns with their titles and descriptions in both
    languages, the meaning of the flag, and the rows in column order. A suppressed number is
    ``null`` with ``"c"`` in its flag; an average is a JSON number written exactly (``1234.50``)."""
    columns = _columns(content)
    rows = _checked_rows(content)
    head: dict[str, Any] = {key: content[key] for key in _JSON_HEAD if key in content}
    head["license"] = {"name": LICENSE_NAME, "path": LICENSE_URL}
    head["flags"] = FLAG_MEANING
    head["columns"] = columns
    lines = []
    for number, row in enumerate(rows, start=1):
        cells = []
        for column in columns:
            name, kind = column["name"], column.get("type", "string")
            value = row[name]
            if value is None:
                text = "null"
            elif kind in ("integer", "number"):
                # Written by hand so an average keeps its exact decimal digits (no float).
                text = _number_text(value, kind, number, name)
            else:
                text = json.dumps(_cell_text(value, kind, number, name), ensure_ascii=False)
            cells.append(f"{json.dumps(name)}: {text}")
        lines.append("{" + ", ".join(cells) + "}")
    document = json.dumps(head, ensure_ascii=False, indent=1)
    body = document[:-2] + ',\n "rows": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    return body.encode("utf-8")


# --- Table Schema and Data Package ---------------------------------------------------------------

def _dimension_codes(definition: Definition | None, name: str) -> list[str] | None:
    if definition is None:
        return None
    for dimension in definition.dimensions:
        if dimension.name == name:
            return [value.code for value in dimension.values] + [TOTAL]
    return None


def table_schema(content: Mapping[str, Any],
                 definition: Definition | None = None) -> dict[str, Any]:
    """A Frictionless Table Schema of the release's CSV.

    ``title`` and ``description`` are Latvian (the data set's language); the English ones are in
    the custom properties ``title_en`` and ``description_en``, which the specification allows and
    readers that do not know them ignore. Empty cells are missing values; the primary key is the
    level, the territory and the dimensions. With the definition, a dimension lists its codes."""
    measures = set(measure_names(content))
    dimensions = set(dimension_names(content))
    fields = []
    for column in _columns(content):
        name = column["name"]
        kind = column.get("type", "string")
        field: dict[str, Any] = {"name": name, "type": kind}
        for key, source in (("title", "title_lv"), ("title_en", "title_en"),
                            ("description", "description_lv"),
                            ("description_en", "description_en")):
            if column.get(source):
                field[key] = column[source]
        constraints: dict[str, Any] = {}
        if name == "level":
            constraints = {"required": True, "enum": list(LEVELS)}
        elif name == "territory_code":
            constraints = {"required": True}
        elif name == "atvk_code":
            constraints = {"pattern": "[0-9]{7}"}
        elif name in dimensions:
            constraints = {"required": True}
            codes = _dimension_codes(definition, name)
            if codes:
                constraints["enum"] = codes
        elif name in measures:
            constraints = {"minimum": 0}
        elif name.endswith(FLAG_SUFFIX) and name[:-len(FLAG_SUFFIX)] in measures:
            constraints = {"enum": [SUPPRESSED_FLAG]}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields, "missingValues": [""], "primaryKey": primary_key(content)}


def latest_per_period(releases: Iterable[Release]) -> list[Release]:
    """The newest version of each period, oldest period first."""
    latest: dict[str, Release] = {}
    for release in releases:
        kept = latest.get(release.period)
        if kept is None or release.version > kept.version:
            latest[release.period] = release
    return sorted(latest.values(), key=lambda release: (release.period_start, release.period))


def utc_timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _resource(definition: Definition, release: Release, path: str,
              data: bytes) -> dict[str, Any]:
    period = release.period
    return {
        "name": resource_name(definition.code, period),
        "path": path,
        "profile": "tabular-data-resource",
        "title": f"{definition.title_lv}, {period}",
        "title_en": f"{definition.title_en}, {period}",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": f"sha256:{sha256_hex(data)}",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
        "schema": table_schema(release.content, definition),
        "period": period,
        "period_start": release.period_start.isoformat(),
        "period_end": release.period_end.isoformat(),
        "version": release.version,
        "published": utc_timestamp(release.published_at),
    }


def _descriptor(definition: Definition, releases: Iterable[Release], base_url: str,
                path_of: Any) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    chosen = latest_per_period(releases)
    files = []
    resources = []
    for release in chosen:
        data = csv_bytes(release.content)
        path = path_of(release)
        files.append((path, data))
        resources.append(_resource(definition, release, path, data))
    published = [release.published_at for release in chosen if release.published_at]
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": package_name(definition),
        "id": landing_url(base_url, definition.code),
        "title": definition.title_lv,
        "title_en": definition.title_en,
        "description": definition.description_lv,
        "description_en": definition.description_en,
        "homepage": landing_url(base_url, definition.code),
        # Grows by one with every release published into the package (a new period or a
        # corrected version of one), so a reader can tell that the package changed.
        "version": str(sum(release.version for release in chosen)),
        "created": utc_timestamp(max(published)) if published else None,
        "licenses": [{"name": LICENSE_NAME, "path": LICENSE_URL, "title": LICENSE_TITLE}],
        "sources": [{"title": definition.source_lv, "title_en": definition.source_en}],
        "contributors": [{"title": PUBLISHER_LV, "title_en": PUBLISHER_EN,
                          "path": PUBLISHER_URL, "role": "publisher"}],
        "keywords": list(definition.keywords_lv) + list(definition.keywords_en),
        "frequency": definition.frequency,
        "flags": FLAG_MEANING,
        "resources": resources,
    }
    if descriptor["created"] is None:
        del descriptor["created"]
    return descriptor, files


def datapackage(definition: Definition, releases: Iterable[Release],
                base_url: str) -> dict[str, Any]:
    """The data set's ``datapackage.json``: one CSV resource per published period (its newest
    version) at its public address, each with its Table Schema inline, size and SHA-256."""
    descriptor, _ = _descriptor(
        definition, releases, base_url,
        lambda release: download_url(base_url, definition.code, release.period, "csv"))
    return descriptor


def _local_descriptor(definition: Definition, releases: Iterable[Release],
                      base_url: str) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    return _descriptor(definition, releases, base_url,
                       lambda release: f"{resource_name(definition.code, release.period)}.csv")


def write_package(directory: Path, definition: Definition, releases: Iterable[Release],
                  base_url: str) -> Path:
    """The package as files: ``datapackage.json`` with relative paths and the CSVs beside it
    (what ``frictionless validate`` reads). Returns the descriptor's path."""
    descriptor, files = _local_descriptor(definition, releases, base_url)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (directory / name).write_bytes(data)
    path = directory / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def package_zip(definition: Definition, releases: Iterable[Release], base_url: str) -> bytes:
    """The same package as one zip file, for a single download."""
    descriptor, files = _local_descriptor(definition, releases, base_url)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json",
                         json.dumps(descriptor, ensure_ascii=False, indent=2))
        for name, data in files:
            archive.writestr(name, data)
    return out.getvalue()
