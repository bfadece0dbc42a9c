"""A register extract of some volume, to measure how fast the statistics store loads:
``.venv/bin/python -m tests.opendata.extract_volume write DIRECTORY PERSONS`` writes one, and
``... load DIRECTORY DATABASE_URL`` loads it into the (migrated) database and prints rows per
second and the loading process's peak memory.

The rows are random but of the contract's shape and of roughly the national proportions
(about two facts per person), so the load does the work a real extract makes it do.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

from stdnum.lv import pvn

from app.opendata import sources
from app.opendata.sources import SOURCES


def codes(count: int, rng: random.Random) -> Iterator[tuple[str, date]]:
    """``count`` distinct valid dated personal codes and their birth dates."""
    first = date(1925, 1, 1)
    days = (date(2017, 6, 30) - first).days
    seen: set[tuple[date, int]] = set()
    while len(seen) < count:
        born = first + timedelta(days=rng.randrange(days))
        serial = rng.randrange(1000)
        if (born, serial) in seen:
            continue
        seen.add((born, serial))
        century = 1 if born.year < 2000 else 2
        body = f"{born:%d%m}{born.year % 100:02d}{century}{serial:03d}"
        yield f"{body[:6]}-{body[6:]}{pvn.calc_check_digit_pers(body)}", born


def write_volume_extract(directory: Path, persons: int, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    towns = sorted(sources.municipality_codes())
    people = list(codes(persons, rng))
    rows: dict[str, list[Sequence[object]]] = {name: [] for name in SOURCES}
    for code, born in people:
        rows["persons"].append([code, "Vārds", "Uzvārds", rng.choice("MF"), born.isoformat(),
                                rng.choice(towns), "Iela 1", ""])
        if rng.random() < 0.11:
            rows["disability"].append([code, "2023-05-10", "2026-05-09",
                                       rng.choice(["I", "II", "III"])])
        if rng.random() < 0.04:
            rows["technical_aids"].append([code, f"2024-{rng.randint(1, 12):02d}-15",
                                           rng.choice(sorted(sources.AID_TYPES))])
        if rng.random() < 0.05:
            rows["unemployed"].append([code, "2024-02-01", rng.choice(["", "2024-11-30"])])
        for year in (2023, 2024, 2025):
            if rng.random() < 0.47:
                rows["insured"].append([code, year, rng.randint(1, 12),
                                        rng.randint(100_000, 5_000_000)])
        if rng.random() < 0.006:
            rows["state_social_services"].append([code, "long_term_care", "2023-01-01", ""])
        if rng.random() < 0.3:
            rows["vsaa_benefits"].append([code, rng.choice(sorted(sources.BENEFIT_TYPES)),
                                          "2020-07-01", ""])
        if rng.random() < 0.05:
            rows["community_requests"].append([code, "2024-03-05", rng.choice(towns),
                                               rng.choice(sorted(sources.COMMUNITY_SERVICE_TYPES))])
        if rng.random() < 0.003:
            rows["out_of_family_care"].append([code, "foster_family", "2022-04-01", ""])
    for n in range(max(persons * 1300 // 1_900_000, 10)):
        rows["service_providers"].append([f"4000{n:07d}", "Sniedzējs", rng.choice(towns),
                                          rng.choice(sorted(sources.PROVIDER_SERVICE_TYPES)),
                                          "2019-02-01", ""])
    files = {}
    for name, source_rows in rows.items():
        source = SOURCES[name]
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(source.columns)
        writer.writerows(source_rows)
        path = directory / source.file_name
        with gzip.GzipFile(path, "wb", mtime=0) as out:
            out.write(text.getvalue().encode("utf-8"))
        files[source.file_name] = {"source": name, "rows": len(source_rows),
                                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    (directory / "manifest.json").write_text(json.dumps(
        {"seed": seed, "scale": persons, "as_of": "2025-12-31", "generator": "volume",
         "files": files}), encoding="utf-8")
    return {name: len(r) for name, r in rows.items()}


def load(directory: Path, database_url: str) -> None:
    from app.db import make_engine, make_session_factory
    from app.opendata.extract import extract_directory
    from app.pseudonyms import parse_key

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    started = time.monotonic()
    results = extract_directory(sessions, parse_key("k1:" + "b" * 40), directory, actor="bench")
    seconds = time.monotonic() - started
    total = sum(r.rows for r in results)
    for r in results:
        rate = f"{r.rows / r.seconds:>9,.0f} rows/s" if r.seconds else "skipped"
        print(f"{r.source:24} {r.rows:>9} rows {r.seconds:7.1f} s {rate}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{'all':24} {total:>9} rows {seconds:7.1f} s {total / seconds:>9,.0f} rows/s; "
          f"peak memory {peak} MB")
    engine.dispose()


if __name__ == "__main__":
    if sys.argv[1] == "write":
        Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
        print(write_volume_extract(Path(sys.argv[2]), int(sys.argv[3])))
    else:
        load(Path(sys.argv[2]), sys.argv[3])
