"""The DCAT-AP catalogue: JSON-LD whose compact names all resolve through its context, carrying
every mandatory and recommended property of DCAT-AP 2.1/3.0 for each class it uses, in Latvian
and English, with the EU vocabularies' URIs."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.opendata import dcat, formats
from tests.opendata import publication_samples as samples
from tests.opendata.publication_samples import SampleDefinition

BASE = "https://dicase.example.lv"
DEFINITION = SampleDefinition()

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SPDX = "http://spdx.org/rdf/terms#"
DCATAP = "http://data.europa.eu/r5r/"
XSD = "http://www.w3.org/2001/XMLSchema#"

# DCAT-AP 2.1.1 / 3.0: per class, the mandatory and the recommended properties.
MANDATORY = {
    DCAT + "Catalog": {DCT + "description", DCT + "publisher", DCT + "title", DCAT + "dataset"},
    DCAT + "Dataset": {DCT + "description", DCT + "title"},
    DCAT + "Distribution": {DCAT + "accessURL"},
    FOAF + "Agent": {FOAF + "name"},
    SPDX + "Checksum": {SPDX + "algorithm", SPDX + "checksumValue"},
}
RECOMMENDED = {
    DCAT + "Catalog": {FOAF + "homepage", DCT + "language", DCT + "license", DCT + "issued",
                       DCT + "spatial", DCAT + "themeTaxonomy", DCT + "modified"},
    DCAT + "Dataset": {DCAT + "contactPoint", DCAT + "distribution", DCAT + "keyword",
                       DCT + "publisher", DCT + "spatial", DCT + "temporal", DCAT + "theme"},
    DCAT + "Distribution": {DCT + "description", DCATAP + "availability", DCT + "format",
                            DCT + "license"},
    FOAF + "Agent": {DCT + "type"},
    DCT + "LicenseDocument": {DCT + "type"},
    DCT + "PeriodOfTime": {DCAT + "startDate", DCAT + "endDate"},
}
# Properties given in both languages wherever they appear.
BILINGUAL = {DCT + "title", DCT + "description", FOAF + "name"}


def _expand(term: str, context: dict[str, str]) -> str:
    """A compact IRI (``dct:title``) as the full IRI a JSON-LD processor would make of it."""
    if term.startswith(("@", "http")):
        return term
    prefix, colon, local = term.partition(":")
    assert colon and prefix in context, f"{term} does not resolve through the context"
    return context[prefix] + local


def _nodes(value: Any, context: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every typed node, as (full type IRI, its properties by full IRI)."""
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item, context)
    elif isinstance(value, dict):
        expanded = {_expand(key, context): item for key, item in value.items()
                    if key != "@context"}
        if "@type" in value:
            yield _expand(value["@type"], context), expanded
        for key, item in value.items():
            if key not in ("@context", "@type", "@id", "@value", "@language"):
                yield from _nodes(item, context)


def _values(node: dict[str, Any], prop: str) -> list[Any]:
    value = node.get(prop)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _catalogue(**releases: list[Any]) -> dict[str, Any]:
    document = dcat.catalogue([DEFINITION], {"D6": releases.get("D6", [])}, BASE)
    # What a harvester gets is the JSON text: it must survive a round trip unchanged.
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document
    return document


RELEASES = [samples.release("2023"), samples.release("2024"),
            samples.release("2025", 1), samples.release("2025", 2, riga_women=4100,
                                                        published_at=datetime(2026, 3, 1,
                                                                              tzinfo=UTC))]


@pytest.fixture
def document() -> dict[str, Any]:
    return _catalogue(D6=RELEASES)


def test_every_class_carries_its_mandatory_and_recommended_properties(
        document: dict[str, Any]) -> None:
    context = document["@context"]
    seen: dict[str, int] = {}
    for kind, node in _nodes(document, context):
        seen[kind] = seen.get(kind, 0) + 1
        for prop in MANDATORY.get(kind, set()) | RECOMMENDED.get(kind, set()):
            assert _values(node, prop), f"{kind} {node.get('@id', '')} has no {prop}"
    assert seen[DCAT + "Catalog"] == 1
    assert seen[DCAT + "Dataset"] == 1
    assert seen[DCAT + "Distribution"] == 3 * 2 + 1  # CSV and JSON for 3 periods, the package
    for kind in MANDATORY:
        assert seen.get(kind), f"no {kind} to check"


def test_titles_descriptions_and_names_are_in_latvian_and_english(
        document: dict[str, Any]) -> None:
    context = document["@context"]
    for _, node in _nodes(document, context):
        for prop in BILINGUAL & set(node):
            languages = {value["@language"] for value in _values(node, prop)}
            assert languages == {"lv", "en"}, f"{prop} of {node.get('@id')}"
    data_set = document["dcat:dataset"][0]
    assert {"@value": DEFINITION.title_lv, "@language": "lv"} in data_set["dct:title"]
    assert {"@value": DEFINITION.title_en, "@language": "en"} in data_set["dct:title"]
    keywords = {(k["@value"], k["@language"]) for k in data_set["dcat:keyword"]}
    assert keywords == ({(word, "lv") for word in DEFINITION.keywords_lv}
                        | {(word, "en") for word in DEFINITION.keywords_en})


def test_identifiers_are_absolute_and_typed_values_parse(document: dict[str, Any]) -> None:
    def walk(value: Any) -> Iterator[dict[str, Any]]:
        if isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, dict):
            yield value
            for key, item in value.items():
                if key != "@context":
                    yield from walk(item)

    context = document["@context"]
    checked = 0
    for node in walk(document):
        if "@id" in node:
            assert node["@id"].startswith(("http://", "https://")), node["@id"]
        kind = _expand(node["@type"], context) if "@value" in node and "@type" in node else ""
        if kind == XSD + "date":
            date.fromisoformat(node["@value"])
            checked += 1
        elif kind == XSD + "dateTime":
            assert node["@value"].endswith("Z")
            datetime.fromisoformat(node["@value"])
            checked += 1
        elif kind == XSD + "nonNegativeInteger":
            assert int(node["@value"]) >= 0
    assert checked > 10


def test_dataset_licence_publisher_frequency_temporal_and_spatial(
        document: dict[str, Any]) -> None:
    data_set = document["dcat:dataset"][0]
    assert data_set["@id"] == "https://dicase.example.lv/open-data/D6"
    assert data_set["dct:license"]["@id"] == (
        "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
    assert data_set["dct:license"]["rdfs:seeAlso"]["@id"] == (
        "https://creativecommons.org/licenses/by/4.0/")
    names = {value["@value"] for value in data_set["dct:publisher"]["foaf:name"]}
    assert "Labklājības ministrija" in names
    assert data_set["dct:accrualPeriodicity"]["@id"] == (
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL")
    assert data_set["dct:temporal"]["dcat:startDate"]["@value"] == "2023-01-01"
    assert data_set["dct:temporal"]["dcat:endDate"]["@value"] == "2025-12-31"
    assert data_set["dct:issued"]["@value"] == "2024-02-05T06:00:00Z"
    assert data_set["dct:modified"]["@value"] == "2026-03-01T00:00:00Z"
    spatial = data_set["dct:spatial"]
    assert spatial[0] == {"@id": "http://publications.europa.eu/resource/authority/country/LVA"}
    places = {place["dct:identifier"]: place for place in spatial[1:]}
    assert set(places) == {"PR-RIGA", "0001000", "0807600"}  # ATVK codes where there are
    assert {"@value": "Mārupes novads", "@language": "lv"} in places["0807600"]["skos:prefLabel"]


@pytest.mark.parametrize(("frequency", "period", "uri_end", "resolution"), [
    ("monthly", "month", "MONTHLY", "P1M"), ("quarterly", "quarter", "QUARTERLY", "P3M"),
    ("annual", "year", "ANNUAL", "P1Y")])
def test_the_update_frequency_is_the_eu_vocabulary_uri(frequency: str, period: str,
                                                        uri_end: str, resolution: str) -> None:
    definition = dataclasses.replace(DEFINITION, frequency=frequency, period=period)
    node = dcat.dataset(definition, [samples.release()], BASE)
    assert node["dct:accrualPeriodicity"]["@id"].endswith("/frequency/" + uri_end)
    assert node["dcat:temporalResolution"]["@value"] == resolution


def test_distributions_point_at_the_files_with_their_size_and_checksum(
        document: dict[str, Any]) -> None:
    distributions = document["dcat:dataset"][0]["dcat:distribution"]
    by_url = {d["dcat:downloadURL"]["@id"]: d for d in distributions}
    assert sorted(by_url) == sorted(
        [f"{BASE}/open-data/D6/{period}.{kind}" for period in ("2023", "2024", "2025")
         for kind in ("csv", "json")] + [f"{BASE}/open-data/D6/datapackage.json"])
    newest = RELEASES[3]  # version 2 of 2025 replaces version 1
    csv_2025 = by_url[f"{BASE}/open-data/D6/2025.csv"]
    data = formats.csv_bytes(newest.content)
    assert csv_2025["dcat:byteSize"]["@value"] == str(len(data))
    assert csv_2025["spdx:checksum"]["spdx:checksumValue"]["@value"] == formats.sha256_hex(data)
    assert csv_2025["dct:format"]["@id"].endswith("/file-type/CSV")
    assert csv_2025["dcat:mediaType"]["@id"].endswith("/text/csv")
    json_2025 = by_url[f"{BASE}/open-data/D6/2025.json"]
    assert json_2025["dcat:byteSize"]["@value"] == str(len(formats.json_bytes(newest.content)))
    assert json_2025["dct:format"]["@id"].endswith("/file-type/JSON")
    package = by_url[f"{BASE}/open-data/D6/datapackage.json"]
    assert package["dct:conformsTo"]["@id"] == "https://specs.frictionlessdata.io/data-package/"
    assert all(d["dcat:accessURL"]["@id"] == f"{BASE}/open-data/D6" for d in distributions)


def test_a_data_set_without_a_published_release_is_not_in_the_catalogue() -> None:
    document = _catalogue()
    assert document["dcat:dataset"] == []
    assert "dct:issued" not in document
    other = dataclasses.replace(DEFINITION, code="D7")
    both = dcat.catalogue([DEFINITION, other], {"D6": [samples.release()]}, BASE)
    assert [d["@id"] for d in both["dcat:dataset"]] == [f"{BASE}/open-data/D6"]
