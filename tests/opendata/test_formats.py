"""The published files: CSV and JSON read back to the release's numbers, suppressed cells stay
empty and flagged (never 0), and the data package validates with the Frictionless library."""
from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import frictionless
import pytest

from app.opendata import formats
from tests.opendata import publication_samples as samples
from tests.opendata.publication_samples import SampleDefinition

BASE = "https://dicase.example.lv/"
DEFINITION = SampleDefinition()


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_is_plain_utf8_with_a_header_of_column_names_and_crlf() -> None:
    data = formats.csv_bytes(samples.content())
    assert not data.startswith(b"\xef\xbb\xbf")
    header, _, _ = data.partition(b"\r\n")
    assert header.decode() == ",".join(column["name"] for column in samples.COLUMNS)
    assert "Mārupes novads".encode() in data
    assert data.count(b"\r\n") == 1 + len(samples.content()["rows"])


def test_csv_reads_back_to_the_release_numbers_with_suppressed_cells_empty_and_flagged() -> None:
    content = samples.content()
    rows = _csv_rows(formats.csv_bytes(content))
    assert len(rows) == len(content["rows"])
    for written, row in zip(rows, content["rows"], strict=True):
        assert written["territory_code"] == row["territory_code"]
        assert written["atvk_code"] == row["atvk_code"]  # leading zeros kept: text
        if row["persons"] is None:
            assert (written["persons"], written["persons_flag"]) == ("", "c")
        else:
            assert int(written["persons"]) == row["persons"]
            assert written["persons_flag"] == ""
        if row["average_wage"] is None:
            assert (written["average_wage"], written["average_wage_flag"]) == ("", "c")
        else:
            assert Decimal(written["average_wage"]) == Decimal(row["average_wage"])
            assert "." in written["average_wage"] and "," not in written["average_wage"]
    suppressed = [row for row in rows if row["persons_flag"] == "c"]
    assert len(suppressed) == 4
    assert all(row["persons"] == "" for row in suppressed)
    assert "0" not in {row["persons"] for row in suppressed}


def test_a_true_zero_is_written_as_zero_and_a_trailing_zero_of_an_average_stays() -> None:
    content = samples.content()
    content["rows"][1]["persons"] = 0
    rows = _csv_rows(formats.csv_bytes(content))
    assert (rows[1]["persons"], rows[1]["persons_flag"]) == ("0", "")
    assert rows[5]["average_wage"] == "980.00"


@pytest.mark.parametrize(("change", "message"), [
    ({"persons": 0}, "a suppressed number must be empty"),
    ({"persons_flag": ""}, "an empty number must be flagged"),
    ({"persons_flag": "x", "persons": None}, "unknown flag"),
])
def test_a_content_where_value_and_flag_disagree_is_refused(change: dict[str, object],
                                                            message: str) -> None:
    content = samples.content()
    content["rows"][3].update(change)  # Mārupe, women: suppressed
    for writer in (formats.csv_bytes, formats.json_bytes):
        with pytest.raises(formats.ContentError, match=message) as caught:
            writer(content)
        assert "row 4" in str(caught.value)


def test_an_average_over_a_published_zero_is_empty_without_the_flag() -> None:
    content = samples.content()
    content["rows"][1].update(persons=0, average_wage=None, average_wage_flag="")
    rows = _csv_rows(formats.csv_bytes(content))
    assert (rows[1]["persons"], rows[1]["persons_flag"]) == ("0", "")
    assert (rows[1]["average_wage"], rows[1]["average_wage_flag"]) == ("", "")
    written = json.loads(formats.json_bytes(content))["rows"][1]
    assert (written["average_wage"], written["average_wage_flag"]) == (None, "")


@pytest.mark.parametrize("value", [1412.07, "1412,07", "1e3", "abc"])
def test_an_average_must_be_an_exact_decimal_with_a_point(value: object) -> None:
    content = samples.content()
    content["rows"][0]["average_wage"] = value
    with pytest.raises(formats.ContentError, match="average_wage"):
        formats.csv_bytes(content)


def test_a_row_without_a_column_is_refused() -> None:
    content = samples.content()
    del content["rows"][2]["sex"]
    with pytest.raises(formats.ContentError, match="row 3 has no column sex"):
        formats.csv_bytes(content)


def test_json_has_the_columns_with_titles_and_the_rows_with_null_and_the_flag() -> None:
    content = samples.content()
    document = json.loads(formats.json_bytes(content), parse_float=Decimal)
    assert document["dataset"] == "D6" and document["period"] == "2025"
    assert document["reference_date"] == "2025-12-31"
    assert [c["name"] for c in document["columns"]] == [c["name"] for c in samples.COLUMNS]
    assert document["columns"][7]["title_lv"] == "Personas"
    assert document["columns"][7]["title_en"] == "Persons"
    assert "c" in document["flags"] and document["flags"]["c"]["lv"]
    assert document["license"]["name"] == "CC-BY-4.0"
    assert len(document["rows"]) == len(content["rows"])
    for written, row in zip(document["rows"], content["rows"], strict=True):
        assert list(written) == [c["name"] for c in samples.COLUMNS]
        assert written["persons"] == row["persons"]
        assert written["persons_flag"] == row["persons_flag"]
        expected = None if row["average_wage"] is None else Decimal(row["average_wage"])
        assert written["average_wage"] == expected
    suppressed = [row for row in document["rows"] if row["persons_flag"] == "c"]
    assert suppressed and all(row["persons"] is None for row in suppressed)


def test_json_writes_an_average_exactly_with_its_decimals() -> None:
    text = formats.json_bytes(samples.content()).decode()
    assert '"average_wage": 980.00,' in text
    assert '"average_wage": 1502.10,' in text


def test_table_schema_types_titles_in_both_languages_and_the_primary_key() -> None:
    schema = formats.table_schema(samples.content(), DEFINITION)
    fields = {field["name"]: field for field in schema["fields"]}
    assert [f["name"] for f in schema["fields"]] == [c["name"] for c in samples.COLUMNS]
    assert schema["missingValues"] == [""]
    assert schema["primaryKey"] == ["level", "territory_code", "sex"]
    assert fields["persons"]["type"] == "integer"
    assert fields["average_wage"]["type"] == "number"
    assert fields["atvk_code"]["type"] == "string"
    assert fields["persons"]["title"] == "Personas"
    assert fields["persons"]["title_en"] == "Persons"
    assert fields["persons"]["description"] == "Sociāli apdrošināto personu skaits"
    assert fields["persons"]["description_en"] == "Number of socially insured persons"
    assert fields["persons_flag"]["constraints"] == {"enum": ["c"]}
    assert fields["sex"]["constraints"]["enum"] == ["F", "M", "TOTAL"]
    assert fields["level"]["constraints"]["enum"] == ["national", "planning_region",
                                                      "municipality"]


def test_datapackage_has_one_resource_per_period_at_its_public_csv_address() -> None:
    releases = [samples.release("2024"), samples.release("2025", 1),
                samples.release("2025", 2, riga_women=4100)]
    package = formats.datapackage(DEFINITION, releases, BASE)
    assert package["name"] == "lm-d6"
    assert package["title"] == DEFINITION.title_lv
    assert package["title_en"] == DEFINITION.title_en
    assert package["licenses"] == [{"name": "CC-BY-4.0",
                                    "path": "https://creativecommons.org/licenses/by/4.0/",
                                    "title": "Creative Commons Attribution 4.0 International"}]
    assert package["sources"][0]["title"] == DEFINITION.source_lv
    assert set(DEFINITION.keywords_lv) | set(DEFINITION.keywords_en) == set(package["keywords"])
    assert package["created"] == "2026-02-05T06:00:00Z"
    assert package["version"] == "3"
    paths = [resource["path"] for resource in package["resources"]]
    assert paths == ["https://dicase.example.lv/open-data/D6/2024.csv",
                     "https://dicase.example.lv/open-data/D6/2025.csv"]
    newest = package["resources"][1]
    assert newest["name"] == "d6-2025" and newest["version"] == 2
    data = formats.csv_bytes(releases[2].content)  # the corrected version, not the first
    assert newest["bytes"] == len(data)
    assert newest["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert newest["schema"]["primaryKey"] == ["level", "territory_code", "sex"]


def _validate(path: Path) -> frictionless.Report:
    return frictionless.validate(str(path))


def test_the_written_package_validates_with_frictionless(tmp_path: Path) -> None:
    releases = [samples.release("2024"), samples.release("2025")]
    descriptor = formats.write_package(tmp_path / "d6", DEFINITION, releases, BASE)
    report = _validate(descriptor)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == 2
    assert sorted(p.name for p in (tmp_path / "d6").iterdir()) == [
        "d6-2024.csv", "d6-2025.csv", "datapackage.json"]


def _rewrite_resource(descriptor_path: Path, name: str, edit: object) -> None:
    """Edit one CSV of a written package and give the descriptor the new size and hash, so the
    only thing wrong is what the edit did."""
    csv_path = descriptor_path.parent / f"{name}.csv"
    data = edit(csv_path.read_bytes())  # type: ignore[operator]
    csv_path.write_bytes(data)
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == name:
            resource["bytes"] = len(data)
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    descriptor_path.write_text(json.dumps(descriptor), encoding="utf-8")


def _errors(report: frictionless.Report) -> set[str]:
    return {error[0] for error in report.flatten(["type"])}


def test_a_text_in_an_integer_column_makes_the_package_invalid(tmp_path: Path) -> None:
    descriptor = formats.write_package(tmp_path / "d6", DEFINITION, [samples.release()], BASE)
    _rewrite_resource(descriptor, "d6-2025",
                      lambda data: data.replace(b",TOTAL,8004,", b",TOTAL,many,"))
    report = _validate(descriptor)
    assert not report.valid
    assert _errors(report) == {"type-error"}


def test_a_zero_in_place_of_a_suppressed_cell_breaks_no_type_but_a_flag_without_a_blank_does(
        tmp_path: Path) -> None:
    # The schema cannot say "empty when flagged"; the writers refuse it (test above). What the
    # schema does catch: a flag other than c, a duplicate row, a bad ATVK code.
    descriptor = formats.write_package(tmp_path / "d6", DEFINITION, [samples.release()], BASE)
    _rewrite_resource(descriptor, "d6-2025",
                      lambda data: data.replace(b",F,,c,,c", b",F,,x,,c", 1))
    assert _errors(_validate(descriptor)) == {"constraint-error"}


def test_a_duplicate_row_breaks_the_primary_key(tmp_path: Path) -> None:
    descriptor = formats.write_package(tmp_path / "d6", DEFINITION, [samples.release()], BASE)
    _rewrite_resource(descriptor, "d6-2025",
                      lambda data: data + data.split(b"\r\n")[1] + b"\r\n")
    assert _errors(_validate(descriptor)) == {"primary-key"}


def test_a_changed_file_no_longer_matches_the_hash_in_the_descriptor(tmp_path: Path) -> None:
    descriptor = formats.write_package(tmp_path / "d6", DEFINITION, [samples.release()], BASE)
    csv_path = tmp_path / "d6" / "d6-2025.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b",8004,", b",8005,"))
    assert _errors(_validate(descriptor)) == {"hash-count"}


def test_the_package_zip_holds_the_descriptor_and_the_csvs_and_validates(tmp_path: Path) -> None:
    data = formats.package_zip(DEFINITION, [samples.release("2024"), samples.release()], BASE)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["d6-2024.csv", "d6-2025.csv", "datapackage.json"]
        archive.extractall(tmp_path / "unzipped")
    assert _validate(tmp_path / "unzipped" / "datapackage.json").valid


def test_the_writers_do_not_change_the_content() -> None:
    content = samples.content()
    before = copy.deepcopy(content)
    formats.csv_bytes(content)
    formats.json_bytes(content)
    formats.table_schema(content)
    assert content == before
