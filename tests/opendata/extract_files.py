"""Register extract directories written by hand for the extract tests: gzipped CSV files with the
contract's headers and a manifest.json whose row counts and SHA-256 are the files' own."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from stdnum.lv import pvn

from app.opendata.sources import SOURCES


def dated_code(day: int, month: int, year: int, serial: int) -> str:
    """``DDMMYY-CNNNN``: C the century (0 for 1800s, 1 for 1900s, 2 for 2000s), then a serial
    and the check digit."""
    century = {18: 0, 19: 1, 20: 2}[year // 100]
    body = f"{day:02d}{month:02d}{year % 100:02d}{century}{serial:03d}"
    for check in "0123456789":
        if pvn.is_valid(body + check):
            return f"{body[:6]}-{body[6:]}{check}"
    raise ValueError("no check digit fits this serial; take another")


def write_file(directory: Path, file_name: str, header: Sequence[str],
               rows: Iterable[Sequence[object]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    with gzip.GzipFile(directory / file_name, "wb", mtime=0) as out:
        out.write(text.getvalue().encode("utf-8"))


def write_extract(directory: Path, rows_by_source: dict[str, list[Sequence[object]]],
                  headers: dict[str, Sequence[str]] | None = None) -> dict[str, object]:
    """Write one file per source (the contract's file name and header unless ``headers``
    overrides one) and the manifest; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, rows in rows_by_source.items():
        source = SOURCES[name]
        header = (headers or {}).get(name, source.columns)
        write_file(directory, source.file_name, header, rows)
        digest = hashlib.sha256((directory / source.file_name).read_bytes()).hexdigest()
        files[source.file_name] = {"source": name, "rows": len(rows), "sha256": digest}
    manifest = {"seed": 1, "scale": 0, "as_of": "2025-12-31", "generator": "hand-written",
                "files": files}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return manifest
