"""DCAT-AP metadata of the published open-data sets, as JSON-LD, for the national open data
portal (a CKAN site harvesting DCAT-AP) and the European data portal behind it.

One ``dcat:Catalog`` holds one ``dcat:Dataset`` per data set that has at least one published
release. Titles, descriptions and keywords are given in Latvian and English (``@language``), the
controlled values are the EU vocabularies' URIs (frequency, file type, language, country, data
theme, planned availability, access right), so a harvester maps them without guessing. The
properties follow the DCAT-AP 2 and 3 mandatory and recommended lists for a catalogue, a data set
and a distribution (docs/opendata-publication.md lists them).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from app.opendata import formats
from app.opendata.formats import Definition, Release

CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_EU = "http://publications.europa.eu/resource/authority"
FREQUENCY = {"monthly": f"{_EU}/frequency/MONTHLY", "quarterly": f"{_EU}/frequency/QUARTERLY",
             "annual": f"{_EU}/frequency/ANNUAL"}
TEMPORAL_RESOLUTION = {"month": "P1M", "quarter": "P3M", "year": "P1Y"}
LANGUAGES = (f"{_EU}/language/LAV", f"{_EU}/language/ENG")
LATVIA = f"{_EU}/country/LVA"
THEME_TAXONOMY = f"{_EU}/data-theme"
THEME_SOCIETY = f"{_EU}/data-theme/SOCI"  # population and society
LICENCE = f"{_EU}/licence/CC_BY_4_0"
LICENCE_TYPE = "http://purl.org/adms/licencetype/Attribution"
PUBLIC_ACCESS = f"{_EU}/access-right/PUBLIC"
STABLE = f"{_EU}/planned-availability/STABLE"
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/NationalAuthority"
FILE_TYPE = {"csv": f"{_EU}/file-type/CSV", "json": f"{_EU}/file-type/JSON"}
MEDIA_TYPE = {"csv": "https://www.iana.org/assignments/media-types/text/csv",
              "json": "https://www.iana.org/assignments/media-types/application/json"}
DATA_PACKAGE_SPEC = "https://specs.frictionlessdata.io/data-package/"
TABLE_SCHEMA_SPEC = "https://specs.frictionlessdata.io/table-schema/"

CATALOGUE_TITLE = (("Labklājības ministrijas atvērtie dati par deinstitucionalizāciju un "
                   "sociālajiem pakalpojumiem"),
                   "Ministry of Welfare open data on deinstitutionalisation and social services")
CATALOGUE_DESCRIPTION = (
    ("Statistikas datu kopas par personām ar invaliditāti, tehniskajiem palīglīdzekļiem, "
    "sociālo pakalpojumu sniedzējiem un saņēmējiem, bezdarbniekiem un sociāli apdrošinātajām "
    "personām pa pašvaldībām un plānošanas reģioniem. Personas nav identificējamas: skaitļi, "
    "kas mazāki par 3, netiek publicēti."),
    ("Statistical data sets on persons with disability, technical aids, social service "
    "providers and recipients, unemployed and socially insured persons by municipality and "
    "planning region. No person can be identified: counts below 3 are not published."))

_FORMAT_LABEL = {"csv": "CSV", "json": "JSON"}


def _text(lv: str, en: str) -> list[dict[str, str]]:
    return [{"@value": lv, "@language": "lv"}, {"@value": en, "@language": "en"}]


def _iri(address: str) -> dict[str, str]:
    return {"@id": address}


def _date(value: Any) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _moment(value: datetime) -> dict[str, str]:
    return {"@value": formats.utc_timestamp(value) or "", "@type": "xsd:dateTime"}


def _publisher() -> dict[str, Any]:
    return {"@type": "foaf:Agent", "foaf:name": _text(formats.PUBLISHER_LV, formats.PUBLISHER_EN),
            "dct:type": _iri(PUBLISHER_TYPE), "foaf:homepage": _iri(formats.PUBLISHER_URL)}


def _contact_point() -> dict[str, Any]:
    return {"@type": "vcard:Organization", "vcard:fn": formats.PUBLISHER_LV,
            "vcard:hasURL": _iri(formats.PUBLISHER_URL)}


def _licence() -> dict[str, Any]:
    return {"@id": LICENCE, "@type": "dct:LicenseDocument", "dct:type": _iri(LICENCE_TYPE),
            "rdfs:seeAlso": _iri(formats.LICENSE_URL)}


def _spatial(releases: Sequence[Release]) -> list[dict[str, Any]]:
    """Latvia, and each planning region and municipality the newest release breaks down by."""
    places: list[dict[str, Any]] = [_iri(LATVIA)]
    seen = set()
    for row in releases[-1].content.get("rows", []) if releases else []:
        code = row.get("territory_code")
        if row.get("level") == "national" or code in seen:
            continue
        seen.add(code)
        place: dict[str, Any] = {
            "@type": "dct:Location",
            "dct:identifier": row.get("atvk_code") or code,
            "skos:prefLabel": _text(row.get("territory_lv", code), row.get("territory_en", code)),
        }
        places.append(place)
    return places


def _published(releases: Sequence[Release]) -> list[datetime]:
    return sorted(release.published_at for release in releases if release.published_at)


def _distribution(definition: Definition, release: Release, base_url: str,
                  kind: str) -> dict[str, Any]:
    data = (formats.csv_bytes if kind == "csv" else formats.json_bytes)(release.content)
    name = formats.resource_name(definition.code, release.period)
    label = _FORMAT_LABEL[kind]
    node: dict[str, Any] = {
        "@id": f"{formats.landing_url(base_url, definition.code)}#{name}-{kind}",
        "@type": "dcat:Distribution",
        "dct:title": _text(f"{definition.title_lv}, {release.period} ({label})",
                           f"{definition.title_en}, {release.period} ({label})"),
        "dct:description": _text(
            f"Periods {release.period_start:%d.%m.%Y}–{release.period_end:%d.%m.%Y}, "
            f"{release.version}. versija. Neatklātie skaitļi ir tukši ar pazīmi „c”.",
            f"Period {release.period_start:%d.%m.%Y}–{release.period_end:%d.%m.%Y}, "
            f"version {release.version}. Suppressed numbers are empty with the flag \"c\"."),
        "dcat:accessURL": _iri(formats.landing_url(base_url, definition.code)),
        "dcat:downloadURL": _iri(formats.download_url(base_url, definition.code,
                                                      release.period, kind)),
        "dct:format": _iri(FILE_TYPE[kind]),
        "dcat:mediaType": _iri(MEDIA_TYPE[kind]),
        "dct:license": _licence(),
        "dcatap:availability": _iri(STABLE),
        "dct:language": [_iri(language) for language in LANGUAGES],
        "dcat:byteSize": {"@value": str(len(data)), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": _iri(CONTEXT["spdx"] + "checksumAlgorithm_sha256"),
            "spdx:checksumValue": {"@value": formats.sha256_hex(data), "@type": "xsd:hexBinary"},
        },
    }
    if kind == "csv":
        node["dct:conformsTo"] = _iri(TABLE_SCHEMA_SPEC)
    if release.published_at:
        node["dct:issued"] = _moment(release.published_at)
        node["dct:modified"] = _moment(release.published_at)
    return node


def _package_distribution(definition: Definition, releases: Sequence[Release],
                          base_url: str) -> dict[str, Any]:
    published = _published(releases)
    node: dict[str, Any] = {
        "@id": f"{formats.landing_url(base_url, definition.code)}#datapackage",
        "@type": "dcat:Distribution",
        "dct:title": _text(f"{definition.title_lv}: datu pakete (visi periodi)",
                           f"{definition.title_en}: data package (all periods)"),
        "dct:description": _text(
            "Frictionless Data Package: datapackage.json ar katra perioda CSV un tā Table "
            "Schema.",
            "Frictionless Data Package: datapackage.json with each period's CSV and its Table "
            "Schema."),
        "dcat:accessURL": _iri(formats.landing_url(base_url, definition.code)),
        "dcat:downloadURL": _iri(formats.datapackage_url(base_url, definition.code)),
        "dct:format": _iri(FILE_TYPE["json"]),
        "dcat:mediaType": _iri(MEDIA_TYPE["json"]),
        "dct:conformsTo": _iri(DATA_PACKAGE_SPEC),
        "dct:license": _licence(),
        "dcatap:availability": _iri(STABLE),
    }
    if published:
        node["dct:issued"] = _moment(published[0])
        node["dct:modified"] = _moment(published[-1])
    return node


def dataset(definition: Definition, releases: Iterable[Release],
            base_url: str) -> dict[str, Any]:
    """One data set's ``dcat:Dataset`` with a CSV and a JSON distribution per published period
    (its newest version) and one for the data package."""
    chosen = formats.latest_per_period(releases)
    published = _published(chosen)
    landing = formats.landing_url(base_url, definition.code)
    distributions = [_distribution(definition, release, base_url, kind)
                     for release in chosen for kind in ("csv", "json")]
    distributions.append(_package_distribution(definition, chosen, base_url))
    node: dict[str, Any] = {
        "@id": landing,
        "@type": "dcat:Dataset",
        "dct:identifier": formats.package_name(definition),
        "dct:title": _text(definition.title_lv, definition.title_en),
        "dct:description": _text(definition.description_lv, definition.description_en),
        "dcat:keyword": ([{"@value": word, "@language": "lv"} for word in definition.keywords_lv]
                         + [{"@value": word, "@language": "en"}
                            for word in definition.keywords_en]),
        "dct:publisher": _publisher(),
        "dcat:contactPoint": _contact_point(),
        "dcat:theme": _iri(THEME_SOCIETY),
        "dct:accrualPeriodicity": _iri(FREQUENCY[definition.frequency]),
        "dcat:temporalResolution": {"@value": TEMPORAL_RESOLUTION[definition.period],
                                    "@type": "xsd:duration"},
        "dct:spatial": _spatial(chosen),
        "dct:language": [_iri(language) for language in LANGUAGES],
        "dct:license": _licence(),
        "dct:accessRights": _iri(PUBLIC_ACCESS),
        "dct:provenance": {
            "@type": "dct:ProvenanceStatement",
            "rdfs:label": _text(
                f"Aprēķināts no reģistra datiem: {definition.source_lv}. Personas aizstātas ar "
                "pseidonīmiem; skaitļi, kas mazāki par 3, un tie, no kuriem tos varētu "
                "aprēķināt, nav publicēti.",
                f"Computed from the register: {definition.source_en}. Persons are replaced by "
                "pseudonyms; counts below 3, and those they could be worked out from, are not "
                "published."),
        },
        "dcat:landingPage": _iri(landing),
        "dcat:distribution": distributions,
    }
    if chosen:
        node["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                "dcat:startDate": _date(chosen[0].period_start),
                                "dcat:endDate": _date(chosen[-1].period_end)}
    if published:
        node["dct:issued"] = _moment(published[0])
        node["dct:modified"] = _moment(published[-1])
    return node


def catalogue(definitions: Iterable[Definition],
              releases_by_dataset: Mapping[str, Iterable[Release]],
              base_url: str) -> dict[str, Any]:
    """The catalogue of every data set with a published release, as a JSON-LD document."""
    datasets = []
    published: list[datetime] = []
    for definition in definitions:
        releases = list(releases_by_dataset.get(definition.code, ()))
        if not releases:
            continue
        datasets.append(dataset(definition, releases, base_url))
        published.extend(_published(releases))
    published.sort()
    root = formats.catalogue_url(base_url)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": root,
        "@type": "dcat:Catalog",
        "dct:title": _text(*CATALOGUE_TITLE),
        "dct:description": _text(*CATALOGUE_DESCRIPTION),
        "dct:publisher": _publisher(),
        "foaf:homepage": _iri(root.rsplit("/", 1)[0]),
        "dct:language": [_iri(language) for language in LANGUAGES],
        "dct:license": _licence(),
        "dct:spatial": [_iri(LATVIA)],
        "dcat:themeTaxonomy": _iri(THEME_TAXONOMY),
        "dcat:dataset": datasets,
    }
    if published:
        document["dct:issued"] = _moment(published[0])
        document["dct:modified"] = _moment(published[-1])
    return document
