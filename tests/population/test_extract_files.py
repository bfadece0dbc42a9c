"""The extract directory keeps the contract the statistics store reads: file names, columns,
code lists, manifest; and the same seed writes the same bytes."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.population import GENERATOR, InvalidParameters, generate

from .conftest import AS_OF, read_header, read_rows

# The register extract contract (docs/population.md, docs/opendata.md), written out here so a
# change on either side shows.
CONTRACT = {
    "pmlp_persons.csv.gz": ("persons", ["personal_code", "given_name", "family_name", "sex",
                                        "birth_date", "municipality_code", "address",
                                        "declared_on"]),
    "vdeavk_disability.csv.gz": ("disability", ["personal_code", "decided_on", "valid_until",
                                                "group"]),
    "tpl_technical_aids.csv.gz": ("technical_aids", ["personal_code", "issued_on", "aid_type"]),
    "sprr_providers.csv.gz": ("service_providers", ["registration_number", "name",
                                                    "municipality_code", "service_type",
                                                    "registered_on", "removed_on"]),
    "nva_unemployed.csv.gz": ("unemployed", ["personal_code", "registered_on",
                                             "deregistered_on"]),
    "vsaa_insured.csv.gz": ("insured", ["personal_code", "year", "months",
                                        "contribution_wage_cents"]),
    "spolis_state_services.csv.gz": ("state_social_services", ["personal_code", "service_type",
                                                               "started_on", "ended_on"]),
    "vsaa_benefits.csv.gz": ("vsaa_benefits", ["personal_code", "benefit_type", "started_on",
                                               "ended_on"]),
    "spolis_community_requests.csv.gz": ("community_requests", ["personal_code",
                                                                "requested_on",
                                                                "municipality_code",
                                                                "service_type"]),
    "npais_out_of_family_care.csv.gz": ("out_of_family_care", ["personal_code", "form",
                                                               "started_on", "ended_on"]),
}

CODE_LISTS = {
    ("tpl_technical_aids.csv.gz", "aid_type"): {
        "wheelchair", "walking_aid", "hearing_aid", "visual_aid", "prosthesis", "orthosis",
        "hygiene_aid", "communication_aid"},
    ("sprr_providers.csv.gz", "service_type"): {
        "long_term_care", "group_home", "day_centre", "home_care", "social_rehabilitation",
        "respite_care", "supported_employment", "crisis_centre"},
    ("spolis_state_services.csv.gz", "service_type"): {
        "long_term_care", "social_rehabilitation", "vocational_rehabilitation",
        "technical_aids_service", "sign_language_interpreter"},
    ("vsaa_benefits.csv.gz", "benefit_type"): {
        "old_age_pension", "disability_pension", "survivor_pension", "disability_benefit",
        "care_benefit_disabled", "childcare_benefit", "parental_benefit",
        "unemployment_benefit", "sickness_benefit"},
    ("spolis_community_requests.csv.gz", "service_type"): {
        "home_care", "day_centre", "group_home", "supported_employment", "respite_care",
        "social_rehabilitation", "specialised_workshop"},
    ("npais_out_of_family_care.csv.gz", "form"): {
        "foster_family", "guardianship", "institution", "family_type_home"},
    ("vdeavk_disability.csv.gz", "group"): {"I", "II", "III", ""},
    ("pmlp_persons.csv.gz", "sex"): {"M", "F"},
}


def _digests(directory: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.iterdir())}


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", scale=3_000, seed=11, as_of=date(2025, 6, 30))
    second = generate(tmp_path / "b", scale=3_000, seed=11, as_of=date(2025, 6, 30))
    assert first == second
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert len(_digests(tmp_path / "a")) == len(CONTRACT) + 1


def test_another_seed_writes_other_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", scale=3_000, seed=11, as_of=date(2025, 6, 30))
    generate(tmp_path / "b", scale=3_000, seed=12, as_of=date(2025, 6, 30))
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    for name in CONTRACT:
        assert first[name] != second[name], name


def test_every_file_of_the_contract_is_written_with_its_columns(
        population: tuple[Path, dict[str, Any]]) -> None:
    directory, manifest = population
    assert set(manifest["files"]) == set(CONTRACT)
    for name, (source, columns) in CONTRACT.items():
        assert read_header(directory / name) == columns, name
        assert manifest["files"][name]["source"] == source
        assert manifest["files"][name]["rows"] > 0, name


def test_the_manifest_states_each_files_own_rows_and_sha256(
        population: tuple[Path, dict[str, Any]]) -> None:
    directory, manifest = population
    assert json.loads((directory / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert (manifest["seed"], manifest["scale"], manifest["as_of"], manifest["generator"]) == (
        20251127, 20_000, AS_OF.isoformat(), GENERATOR)
    for name, entry in manifest["files"].items():
        path = directory / name
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name
        assert entry["rows"] == len(read_rows(path)), name


def test_coded_columns_use_the_contracts_code_lists(
        population: tuple[Path, dict[str, Any]]) -> None:
    directory, _ = population
    for (name, column), allowed in CODE_LISTS.items():
        found = {row[column] for row in read_rows(directory / name)}
        assert found <= allowed, (name, found - allowed)
        assert len(found) > 1, (name, column)


def test_progress_is_reported_as_each_file_is_written(tmp_path: Path) -> None:
    reports: list[tuple[str, int, int]] = []
    generate(tmp_path, scale=1_000, seed=1, as_of=AS_OF,
             progress=lambda step, done, total: reports.append((step, done, total)))
    written = [step for step, done, _ in reports if done > 0]
    assert sorted(written) == sorted(CONTRACT)
    assert [done for _, done, _ in reports] == list(range(len(CONTRACT) + 1))
    assert {total for _, _, total in reports} == {len(CONTRACT)}


@pytest.mark.parametrize("scale, seed", [(0, 1), (-5, 1), (10, -1)])
def test_a_scale_below_one_or_a_negative_seed_is_refused(tmp_path: Path, scale: int,
                                                         seed: int) -> None:
    with pytest.raises(InvalidParameters):
        generate(tmp_path, scale=scale, seed=seed, as_of=AS_OF)


@pytest.mark.parametrize("scale", [1, 50])
def test_a_tiny_population_still_writes_every_file(tmp_path: Path, scale: int) -> None:
    manifest = generate(tmp_path, scale=scale, seed=4, as_of=date(2024, 2, 29))
    assert manifest["files"]["pmlp_persons.csv.gz"]["rows"] == scale
    for name, (_, columns) in CONTRACT.items():
        assert read_header(tmp_path / name) == columns
        assert len(read_rows(tmp_path / name)) == manifest["files"][name]["rows"]
