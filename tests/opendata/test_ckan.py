"""The upload to the national open data portal through ckanapi, against a CKAN Action API
simulator over real HTTP: off by default, create then update, clear errors without the key."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.opendata import ckan, formats
from app.opendata.definitions import DATASETS
from tests.opendata import publication_samples as samples
from tests.opendata.ckan_simulator import CkanSimulator

KEY = "3b1f0a2e-secret-api-token-9c7d"
ORGANISATION = "labklajibas-ministrija"
PUBLIC = "https://dicase.example.lv"
D6 = DATASETS["D6"]


@pytest.fixture
def portal() -> Iterator[CkanSimulator]:
    with CkanSimulator(api_key=KEY, organisations=[ORGANISATION]) as simulator:
        yield simulator


def _settings(tmp_path: Path, portal: CkanSimulator | None, *, key: str = KEY,
              **changes: Any) -> Settings:
    key_file = tmp_path / "ckan.key"
    key_file.write_text(key + "\n", encoding="utf-8")
    values: dict[str, Any] = {"ckan_url": portal.url if portal else "",
                              "ckan_api_key_file": str(key_file),
                              "ckan_organisation": ORGANISATION, "public_url": PUBLIC,
                              "adapter_timeout": 5.0}
    values.update(changes)
    return dataclasses.replace(Settings(), **values)


def test_the_upload_is_off_unless_a_portal_address_is_set(
        tmp_path: Path, portal: CkanSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DICASE_CKAN_URL", raising=False)
    assert Settings().ckan_url == ""
    result = ckan.publish(_settings(tmp_path, None), [(D6, [samples.release()])])
    assert result == "off"
    assert portal.calls == []


def test_package_dict_is_what_package_create_takes() -> None:
    package = ckan.package_dict(D6, [samples.release("2024"), samples.release("2025")], PUBLIC,
                                organisation=ORGANISATION)
    assert package["name"] == "lm-d6"
    assert package["title"] == D6.title_lv
    assert D6.description_lv in package["notes"] and D6.description_en in package["notes"]
    assert package["license_id"] == "cc-by"
    assert package["owner_org"] == ORGANISATION
    assert {tag["name"] for tag in package["tags"]} >= set(D6.keywords_lv)
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert extras["temporal_start"] == "2024-01-01"
    assert extras["temporal_end"] == "2025-12-31"
    assert extras["frequency"] == (
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL")
    assert extras["spatial_uri"] == "http://publications.europa.eu/resource/authority/country/LVA"
    assert extras["title_en"] == D6.title_en
    assert all(isinstance(value, str) for value in extras.values())
    urls = [resource["url"] for resource in package["resources"]]
    assert urls == [f"{PUBLIC}/open-data/D6/2025.csv", f"{PUBLIC}/open-data/D6/2025.json",
                    f"{PUBLIC}/open-data/D6/2024.csv", f"{PUBLIC}/open-data/D6/2024.json",
                    f"{PUBLIC}/open-data/D6/datapackage.json"]
    csv_resource = package["resources"][0]
    data = formats.csv_bytes(samples.release("2025").content)
    assert csv_resource["format"] == "CSV" and csv_resource["mimetype"] == "text/csv"
    assert csv_resource["size"] == len(data)
    assert csv_resource["hash"] == "sha256:" + formats.sha256_hex(data)
    assert csv_resource["last_modified"] == "2026-02-05T06:00:00"


def test_first_upload_creates_the_package_and_the_next_updates_it(
        tmp_path: Path, portal: CkanSimulator) -> None:
    settings = _settings(tmp_path, portal)
    assert ckan.publish(settings, [(D6, [samples.release("2024")])]) == {"D6": "created"}
    stored = portal.packages["lm-d6"]
    assert stored["owner_org"] == ORGANISATION
    assert len(stored["resources"]) == 3  # 2024 as CSV and JSON, the data package
    first_ids = {r["url"]: r["id"] for r in stored["resources"]}
    assert portal.calls == [("package_show", True), ("package_create", True)]
    # The key travelled only as the request header CKAN reads.
    assert {seen["Authorization"] for seen in portal.headers_seen} == {KEY}

    result = ckan.publish(settings, [(D6, [samples.release("2024"), samples.release("2025")])])
    assert result == {"D6": "updated"}
    assert list(portal.packages) == ["lm-d6"]
    updated = portal.packages["lm-d6"]
    assert updated["id"] == stored["id"]
    assert len(updated["resources"]) == 5
    extras = {extra["key"]: extra["value"] for extra in updated["extras"]}
    assert extras["temporal_end"] == "2025-12-31"
    # Resources the portal already had keep their ids; the new period's are new.
    for resource in updated["resources"]:
        if resource["url"] in first_ids:
            assert resource["id"] == first_ids[resource["url"]]
        else:
            assert resource["id"] not in first_ids.values()
    assert portal.calls[2:] == [("package_show", True), ("package_update", True)]


def test_every_data_set_definition_makes_a_package_the_portal_accepts(
        tmp_path: Path, portal: CkanSimulator) -> None:
    pairs = [(definition, [samples.release()]) for definition in DATASETS.values()]
    result = ckan.publish(_settings(tmp_path, portal), pairs)
    assert result == {code: "created" for code in DATASETS}
    assert sorted(portal.packages) == sorted(f"lm-{code.lower()}" for code in DATASETS)


def test_a_data_set_without_a_published_release_is_not_uploaded(
        tmp_path: Path, portal: CkanSimulator) -> None:
    result = ckan.publish(_settings(tmp_path, portal), [(D6, [])])
    assert result == {}
    assert portal.calls == []


def test_a_wrong_key_is_a_clear_error_without_the_key(tmp_path: Path, portal: CkanSimulator,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    wrong = "wrong-token-0000-1111"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ckan.CkanError) as caught:
        ckan.publish(_settings(tmp_path, portal, key=wrong), [(D6, [samples.release()])])
    message = str(caught.value)
    assert "refused the API key" in message
    assert "package_create lm-d6" in message
    assert wrong not in message and KEY not in message
    assert wrong not in caplog.text
    assert portal.packages == {}


def test_a_validation_error_names_the_field(tmp_path: Path, portal: CkanSimulator) -> None:
    settings = _settings(tmp_path, portal, ckan_organisation="no-such-organisation")
    with pytest.raises(ckan.CkanError, match=r"rejected the data: owner_org: "
                                             r"\['Organization does not exist'\]"):
        ckan.publish(settings, [(D6, [samples.release()])])


def test_an_unreachable_portal_is_a_clear_error(tmp_path: Path) -> None:
    with CkanSimulator(api_key=KEY) as gone:
        address = gone.url
    settings = _settings(tmp_path, None, ckan_url=address, adapter_timeout=2.0)
    with pytest.raises(ckan.CkanError, match=r"cannot be reached \(ConnectionError\) "
                                             r"\(package_show lm-d6\)"):
        ckan.publish(settings, [(D6, [samples.release()])])


@pytest.mark.parametrize(("changes", "message"), [
    ({"ckan_api_key_file": ""}, "DICASE_CKAN_API_KEY_FILE"),
    ({"ckan_api_key_file": "/nonexistent/ckan.key"}, "cannot be read"),
    ({"public_url": ""}, "DICASE_PUBLIC_URL"),
    ({"ckan_organisation": ""}, "DICASE_CKAN_ORGANISATION"),
])
def test_an_incomplete_configuration_is_refused_before_any_call(
        tmp_path: Path, portal: CkanSimulator, changes: dict[str, str], message: str) -> None:
    with pytest.raises(ckan.CkanError, match=message):
        ckan.publish(_settings(tmp_path, portal, **changes), [(D6, [samples.release()])])
    assert portal.calls == []


def test_an_address_that_is_not_the_action_api_is_a_clear_error(
        tmp_path: Path, portal: CkanSimulator) -> None:
    settings = _settings(tmp_path, portal, ckan_url=portal.url + "/not-the-portal")
    with pytest.raises(ckan.CkanError, match=r"answered 'not found' \(package_create lm-d6\); "
                                             r"is DICASE_CKAN_URL the portal's address\?"):
        ckan.publish(settings, [(D6, [samples.release()])])
    assert portal.packages == {}
