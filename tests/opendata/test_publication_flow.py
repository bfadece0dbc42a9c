"""From the statistics store to the published files: prepare → publish → the data package
validates with Frictionless, the DCAT-AP catalogue and the CKAN package describe the same files,
and every suppressed number of the release is an empty flagged cell in the CSV."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import frictionless
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.opendata import ckan, dcat, formats, releases
from app.opendata.definitions import DATASETS
from tests.opendata.stat_store import Store, open_sessions

BASE = "https://dicase.example.lv"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    yield from open_sessions(database_url)


def _insured_store(sessions: sessionmaker[Session]) -> None:
    """Two years of insured persons: many in Rīga and Ogre, one man in Jūrmala (suppressed),
    so the tables have published numbers, averages, zeros and suppressed cells."""
    store = Store()
    for year, extra in ((2024, 0), (2025, 3)):
        def insured(municipality: str, sex: str, cents: int, year: int = year) -> None:
            store.fact("insured", store.person(municipality, date(1980, 1, 1), sex),
                       date(year, 1, 1), date(year, 12, 31), months=12, amount_cents=cents)

        for municipality, sex in (("RIGA", "F"), ("RIGA", "M"), ("OGRE", "F"), ("OGRE", "M")):
            for number in range(20 + extra):
                insured(municipality, sex, 1_200_000 + 1_001 * number)
        insured("JURMALA", "M", 900_000)
        insured("JURMALA", "F", 1_000_000)
        insured("JURMALA", "F", 1_100_000)
        for _ in range(5):
            insured("JURMALA", "F", 1_000_000)
    store.write(sessions)


def test_prepared_and_published_releases_make_a_valid_data_package(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _insured_store(sessions)
    ids = [releases.prepare(sessions, "D6", period, actor="statistician")
           for period in ("2024", "2025")]
    with sessions() as db:
        assert releases.history(db, "D6") == []  # drafts are not published
    releases.publish(sessions, ids, actor="statistician")
    with sessions() as db:
        published = releases.history(db, "D6")
        assert [r.period for r in published] == ["2025", "2024"]
        for release in published:
            db.expunge(release)

    definition = DATASETS["D6"]
    descriptor = formats.write_package(tmp_path / "d6", definition, published, BASE)
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == 2
    assert all(task.stats["rows"] == release.row_count
               for task, release in zip(report.tasks, reversed(published), strict=True))

    newest = published[0]
    rows = list(csv.DictReader(io.StringIO(formats.csv_bytes(newest.content).decode("utf-8"))))
    suppressed = [row for row in newest.content["rows"] if row["persons_flag"] == "c"]
    assert suppressed, "the sample must exercise suppression"
    assert newest.suppressed_count == len(suppressed)
    written = {(r["level"], r["territory_code"], r["sex"]): r for r in rows}
    for row in newest.content["rows"]:
        line = written[(row["level"], row["territory_code"], row["sex"])]
        if row["persons_flag"] == "c":
            assert (line["persons"], line["persons_flag"]) == ("", "c")
            assert (line["average_contribution_wage"],
                    line["average_contribution_wage_flag"]) == ("", "c")
        else:
            assert line["persons"] == str(row["persons"])
    jurmala_men = written[("municipality", "JURMALA", "M")]
    assert jurmala_men["persons"] == "" and jurmala_men["persons_flag"] == "c"

    package = formats.datapackage(definition, published, BASE)
    csv_urls = [resource["path"] for resource in package["resources"]]
    assert csv_urls == [f"{BASE}/open-data/D6/2024.csv", f"{BASE}/open-data/D6/2025.csv"]
    catalogue = dcat.catalogue(DATASETS.values(), {"D6": published}, BASE)
    [node] = catalogue["dcat:dataset"]
    downloads = {d["dcat:downloadURL"]["@id"] for d in node["dcat:distribution"]}
    assert set(csv_urls) <= downloads
    assert node["dct:temporal"]["dcat:startDate"]["@value"] == "2024-01-01"
    portal = ckan.package_dict(definition, published, BASE, organisation="lm")
    assert set(csv_urls) <= {resource["url"] for resource in portal["resources"]}
