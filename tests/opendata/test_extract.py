"""Loading the statistics store from register extracts and from the product's own P3 records:
hand-written files whose right answer is known, read back from the stat tables."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.access.scope import viewer_of
from app.assessment.plans import store_plan_version
from app.cases.personal_codes import birth_date
from app.cases.service import register_person, start_process_for
from app.community_services.records import submit_batch, validate_pending
from app.community_services.service import P4_KEY, month_period, start_child_services
from app.config import PROJECT_ROOT
from app.db import make_engine, make_session_factory, transaction
from app.db.models import HumanTask, ProcessInstance, ServiceRecord, StatFact, StatLoad, StatSubject
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.opendata.extract import ExtractRefused, extract_cases, extract_directory
from app.opendata.sources import CASE_REQUESTS, SOURCES, ExtractError, HeaderMismatch
from app.pseudonyms import PseudonymKey, parse_key, pseudonym
from app.services import Services, build_services
from tests.conftest import make_settings
from tests.engine.helpers import one_task_process
from tests.opendata.extract_files import dated_code, write_extract

KEY = parse_key("k1:" + "s" * 40)
OTHER_KEY = parse_key("k2:" + "t" * 40)

ANNA = dated_code(15, 3, 1975, 1)  # adult, Riga
JANIS = dated_code(2, 11, 2015, 2)  # child, Jelgava
PETERIS = dated_code(30, 6, 1950, 3)  # old, Liepāja
CODES = (ANNA, JANIS, PETERIS)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def persons(*extra: list[object]) -> list[list[object]]:
    return [
        [ANNA, "Anna", "Bērziņa", "F", "1975-03-15", "RIGA", "Brīvības iela 1, Rīga",
         "2010-01-04"],
        [JANIS, "Jānis", "Kalniņš", "M", "2015-11-02", "JELGAVA", "Lielā iela 2, Jelgava",
         "2015-11-20"],
        [PETERIS, "Pēteris", "Ozols", "M", "1950-06-30", "LIEPAJA", "Jūras iela 3, Liepāja", ""],
        *extra]


def full_extract() -> dict[str, list[list[object]]]:
    return {
        "persons": persons(),
        "disability": [[ANNA, "2023-05-10", "2026-05-09", "II"],
                       [JANIS, "2024-01-15", "", ""]],
        "technical_aids": [[PETERIS, "2024-07-01", "wheelchair"]],
        "service_providers": [["40008000001", "Biedrība «Saule», Rīga", "RIGA", "day_centre",
                               "2019-02-01", ""],
                              ["40008000002", "Aprūpe mājās", "TUKUMS", "home_care",
                               "2018-01-01", "2024-12-31"]],
        "unemployed": [[ANNA, "2024-02-01", "2024-09-30"]],
        "insured": [[ANNA, "2024", "12", "1920000"]],
        "state_social_services": [[PETERIS, "long_term_care", "2023-01-01", ""]],
        "vsaa_benefits": [[PETERIS, "old_age_pension", "2015-07-01", ""],
                          [ANNA, "disability_pension", "2023-06-01", "2026-05-09"]],
        "community_requests": [[ANNA, "2024-03-05", "OGRE", "day_centre"]],
        "out_of_family_care": [[JANIS, "foster_family", "2022-04-01", "2023-08-31"]],
    }


def subjects(sessions: sessionmaker[Session]) -> dict[str, tuple[str, date, str]]:
    with sessions() as session:
        return {s.pseudonym: (s.sex, s.birth_month, s.municipality_code)
                for s in session.scalars(select(StatSubject))}


def facts(sessions: sessionmaker[Session], source: str) -> list[tuple[Any, ...]]:
    with sessions() as session:
        return sorted(session.execute(select(
            StatFact.subject, StatFact.municipality_code, StatFact.started_on, StatFact.ended_on,
            StatFact.category, StatFact.severity, StatFact.months, StatFact.amount_cents)
            .where(StatFact.source == source)))


def store_snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    with sessions() as session:
        return (sorted(session.execute(select(StatLoad.id, StatLoad.source,
                                              StatLoad.content_sha256))),
                sorted(session.execute(select(StatSubject.pseudonym, StatSubject.load_id))),
                sorted(session.execute(select(StatFact.id, StatFact.source, StatFact.subject))
                       ))


def p(code: str, key: PseudonymKey = KEY) -> str:
    return pseudonym(key, code)


def test_subjects_and_facts_land_as_the_mapping_says(sessions: sessionmaker[Session],
                                                      tmp_path: Path) -> None:
    write_extract(tmp_path, full_extract())
    results = extract_directory(sessions, KEY, tmp_path, actor="statistician")

    assert [r.source for r in results] == list(SOURCES)
    assert {r.source: r.rows for r in results} == {
        "persons": 3, "disability": 2, "technical_aids": 1, "service_providers": 2,
        "unemployed": 1, "insured": 1, "state_social_services": 1, "vsaa_benefits": 2,
        "community_requests": 1, "out_of_family_care": 1}
    assert not any(r.skipped or r.bad_rows for r in results)
    # The day of birth is dropped to the first of the month; names and addresses are not kept.
    assert subjects(sessions) == {p(ANNA): ("F", date(1975, 3, 1), "RIGA"),
                                  p(JANIS): ("M", date(2015, 11, 1), "JELGAVA"),
                                  p(PETERIS): ("M", date(1950, 6, 1), "LIEPAJA")}
    assert facts(sessions, "disability") == sorted([
        (p(ANNA), "", date(2023, 5, 10), date(2026, 5, 9), "", "II", None, None),
        (p(JANIS), "", date(2024, 1, 15), None, "", "", None, None)])
    assert facts(sessions, "technical_aids") == [
        (p(PETERIS), "", date(2024, 7, 1), date(2024, 7, 1), "wheelchair", "", None, None)]
    assert facts(sessions, "service_providers") == [
        ("40008000001", "RIGA", date(2019, 2, 1), None, "day_centre", "", None, None),
        ("40008000002", "TUKUMS", date(2018, 1, 1), date(2024, 12, 31), "home_care", "", None,
         None)]
    assert facts(sessions, "unemployed") == [
        (p(ANNA), "", date(2024, 2, 1), date(2024, 9, 30), "", "", None, None)]
    assert facts(sessions, "insured") == [
        (p(ANNA), "", date(2024, 1, 1), date(2024, 12, 31), "", "", 12, 1920000)]
    assert facts(sessions, "state_social_services") == [
        (p(PETERIS), "", date(2023, 1, 1), None, "long_term_care", "", None, None)]
    assert facts(sessions, "vsaa_benefits") == sorted([
        (p(PETERIS), "", date(2015, 7, 1), None, "old_age_pension", "", None, None),
        (p(ANNA), "", date(2023, 6, 1), date(2026, 5, 9), "disability_pension", "", None, None)])
    assert facts(sessions, "community_requests") == [
        (p(ANNA), "OGRE", date(2024, 3, 5), date(2024, 3, 5), "day_centre", "", None, None)]
    assert facts(sessions, "out_of_family_care") == [
        (p(JANIS), "", date(2022, 4, 1), date(2023, 8, 31), "foster_family", "", None, None)]
    with sessions() as session:
        loads = list(session.scalars(select(StatLoad).order_by(StatLoad.id)))
    assert [(x.source, x.rows, x.key_version, x.loaded_by) for x in loads] == [
        (r.source, r.rows, "k1", "statistician") for r in results]
    assert loads[0].file_name == "pmlp_persons.csv.gz" and len(loads[0].content_sha256) == 64


def test_the_same_person_has_one_pseudonym_across_sources_and_loads(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path / "first", full_extract())
    extract_directory(sessions, KEY, tmp_path / "first", actor="statistician")
    with sessions() as session:
        anna = session.scalars(select(StatFact.subject).where(
            StatFact.source.in_(["disability", "unemployed", "insured", "vsaa_benefits",
                                 "community_requests"]),
            StatFact.severity.in_(["II", ""]), StatFact.category != "old_age_pension")).all()
    first = {s for s in anna if s != p(JANIS)}
    assert len(first) == 1 and first <= set(subjects(sessions))

    second = full_extract()
    second["disability"].append([PETERIS, "2025-01-20", "", "I"])
    write_extract(tmp_path / "second", second)
    results = {r.source: r for r in extract_directory(sessions, KEY, tmp_path / "second",
                                                        actor="statistician")}
    assert not results["disability"].skipped and results["persons"].skipped
    assert {f[0] for f in facts(sessions, "disability")} == {p(ANNA), p(JANIS), p(PETERIS)}
    assert first <= {f[0] for f in facts(sessions, "disability")}


def test_another_key_gives_other_pseudonyms_and_reloads_every_source(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path, full_extract())
    extract_directory(sessions, KEY, tmp_path, actor="statistician")
    before = set(subjects(sessions))

    results = extract_directory(sessions, OTHER_KEY, tmp_path, actor="statistician")

    assert not any(r.skipped for r in results)
    after = set(subjects(sessions))
    assert after == {p(c, OTHER_KEY) for c in CODES} and not after & before
    with sessions() as session:
        stored = set(session.scalars(select(StatFact.subject).where(
            StatFact.source != "service_providers")))
        newest = session.execute(select(StatLoad.source, StatLoad.key_version)
                                 .where(StatLoad.id > len(SOURCES))).all()
    assert all(s.startswith("k2-") for s in stored) and not stored & before
    assert sorted(newest) == sorted((name, "k2") for name in SOURCES)
    # Unchanged files under the new key: skipped again.
    assert all(r.skipped for r in extract_directory(sessions, OTHER_KEY, tmp_path,
                                                     actor="statistician"))


def test_a_new_key_is_refused_when_the_directory_lacks_a_source_the_store_holds(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path / "all", full_extract())
    extract_directory(sessions, KEY, tmp_path / "all", actor="statistician")
    before = store_snapshot(sessions)
    write_extract(tmp_path / "some", {"persons": persons()})

    with pytest.raises(ExtractError, match="every source must be reloaded.*disability"):
        extract_directory(sessions, OTHER_KEY, tmp_path / "some", actor="statistician")
    assert store_snapshot(sessions) == before


def test_the_same_file_twice_is_skipped(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path, full_extract())
    first = extract_directory(sessions, KEY, tmp_path, actor="statistician")
    before = store_snapshot(sessions)

    again = extract_directory(sessions, KEY, tmp_path, actor="statistician")

    assert all(r.skipped for r in again)
    assert [(r.source, r.rows, r.load_id) for r in again] == [
        (r.source, r.rows, r.load_id) for r in first]
    assert store_snapshot(sessions) == before


def test_a_changed_file_replaces_the_source_and_its_old_facts_are_gone(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path / "first", full_extract())
    extract_directory(sessions, KEY, tmp_path / "first", actor="statistician")
    changed = full_extract()
    changed["technical_aids"] = [[ANNA, "2025-02-03", "hearing_aid"],
                                 [JANIS, "2025-02-04", "orthosis"]]
    changed["persons"] = persons()[:2]  # Pēteris left the register
    write_extract(tmp_path / "second", changed)

    results = {r.source: r for r in extract_directory(sessions, KEY, tmp_path / "second",
                                                        actor="statistician")}

    assert not results["technical_aids"].skipped and results["disability"].skipped
    assert facts(sessions, "technical_aids") == sorted([
        (p(ANNA), "", date(2025, 2, 3), date(2025, 2, 3), "hearing_aid", "", None, None),
        (p(JANIS), "", date(2025, 2, 4), date(2025, 2, 4), "orthosis", "", None, None)])
    assert set(subjects(sessions)) == {p(ANNA), p(JANIS)}
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StatFact).where(
            StatFact.load_id != results["technical_aids"].load_id,
            StatFact.source == "technical_aids")) == 0
        subject_loads = set(session.scalars(select(StatSubject.load_id)))
    assert subject_loads == {results["persons"].load_id}


def test_a_malformed_header_is_a_clear_error_and_changes_nothing(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path / "first", full_extract())
    extract_directory(sessions, KEY, tmp_path / "first", actor="statistician")
    before = store_snapshot(sessions)
    changed = full_extract()
    changed["persons"] = persons()[:1]  # would change persons if anything were loaded
    header = list(SOURCES["vsaa_benefits"].columns)
    header[1] = "benefit"
    write_extract(tmp_path / "second", changed, headers={"vsaa_benefits": header})

    with pytest.raises(HeaderMismatch) as raised:
        extract_directory(sessions, KEY, tmp_path / "second", actor="statistician")

    assert str(raised.value) == ("vsaa_benefits.csv.gz: column 2 is 'benefit', "
                                 "expected 'benefit_type'")
    assert raised.value.column == "benefit_type"
    assert store_snapshot(sessions) == before


def test_a_missing_column_is_named(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path, {"unemployed": [[ANNA, "2024-01-01"]]},
                  headers={"unemployed": ["personal_code", "registered_on"]})
    with pytest.raises(HeaderMismatch, match="nva_unemployed.csv.gz: column 'deregistered_on' "
                                             "is missing"):
        extract_directory(sessions, KEY, tmp_path, actor="statistician")


def many_persons(count: int) -> list[list[object]]:
    born = date(1960, 1, 1)
    rows = []
    for n in range(count):
        day = born + timedelta(days=n)
        for serial in range(10):
            try:
                code = dated_code(day.day, day.month, day.year, serial)
                break
            except ValueError:
                continue
        rows.append([code, "Vārds", "Uzvārds", "MF"[n % 2], day.isoformat(), "RIGA", "", ""])
    return rows


def test_more_than_one_percent_bad_rows_refuses_the_file_and_changes_nothing(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    write_extract(tmp_path / "first", {"persons": many_persons(200)})
    extract_directory(sessions, KEY, tmp_path / "first", actor="statistician")
    before = store_snapshot(sessions)
    rows = many_persons(200)
    for n in (10, 50, 150):  # 3 of 200: 1.5 %
        rows[n][4] = "1960-02-30"
    write_extract(tmp_path / "second", {"persons": rows})

    with pytest.raises(ExtractRefused) as refused:
        extract_directory(sessions, KEY, tmp_path / "second", actor="statistician")

    message = str(refused.value)
    assert "pmlp_persons.csv.gz refused" in message and "nothing of persons was loaded" in message
    assert "persons line 12, birth_date: not a date" in message
    assert [(x.line, x.column) for x in refused.value.problems] == [
        (12, "birth_date"), (52, "birth_date"), (152, "birth_date")]
    assert not any(r[0] in message for r in rows)
    assert store_snapshot(sessions) == before


def test_a_few_bad_rows_are_skipped_and_reported(sessions: sessionmaker[Session],
                                                 tmp_path: Path, caplog: Any) -> None:
    rows = many_persons(300)
    rows[4][0] = rows[4][0][:-1] + str((int(rows[4][0][-1]) + 1) % 10)  # wrong check digit
    rows[99][5] = "ATLANTIDA"
    write_extract(tmp_path, {"persons": rows})

    with caplog.at_level(logging.DEBUG):
        [result] = extract_directory(sessions, KEY, tmp_path, actor="statistician")

    assert (result.rows, result.bad_rows) == (298, 2)
    assert [(x.source, x.line, x.column, x.reason) for x in result.problems] == [
        ("persons", 6, "personal_code", "not a valid personal code"),
        ("persons", 101, "municipality_code", "unknown municipality code")]
    assert len(subjects(sessions)) == 298
    assert pseudonym(KEY, rows[4][0][:-1] + "0") not in subjects(sessions)
    report = " ".join(str(x) for x in result.problems) + caplog.text
    assert rows[4][0] not in report and rows[4][0].replace("-", "") not in report


def test_a_person_twice_in_the_register_is_a_bad_row(sessions: sessionmaker[Session],
                                                     tmp_path: Path) -> None:
    rows = many_persons(150)
    rows.append(list(rows[7]))
    write_extract(tmp_path, {"persons": rows})
    [result] = extract_directory(sessions, KEY, tmp_path, actor="statistician")
    assert (result.rows, result.bad_rows) == (150, 1)
    assert result.problems[0].line == 152 and result.problems[0].column == "personal_code"


def test_a_file_that_is_not_the_manifests_is_refused(sessions: sessionmaker[Session],
                                                      tmp_path: Path) -> None:
    write_extract(tmp_path, full_extract())
    (tmp_path / SOURCES["insured"].file_name).write_bytes(b"")
    with pytest.raises(ExtractError, match="vsaa_insured.csv.gz: its SHA-256 is not the one"):
        extract_directory(sessions, KEY, tmp_path, actor="statistician")
    assert store_snapshot(sessions) == ([], [], [])


# A personal code standing alone, not digits inside a hexadecimal digest or pseudonym.
PERSONAL_CODE = re.compile(r"(?<![0-9a-f])\d{6}-?\d{5}(?![0-9a-f])")


def every_text_value(session: Session) -> list[str]:
    values = []
    for model in (StatLoad, StatSubject, StatFact):
        columns = [c for c in model.__table__.columns if isinstance(c.type, String | Text)]
        for row in session.execute(select(*columns)):
            values.extend(str(v) for v in row if v is not None)
    return values


def test_no_personal_code_or_name_reaches_the_store_or_the_log(
        sessions: sessionmaker[Session], tmp_path: Path, caplog: Any) -> None:
    extract = full_extract()
    extract["persons"] = persons(*many_persons(120))
    write_extract(tmp_path, extract)
    with caplog.at_level(logging.DEBUG):
        extract_directory(sessions, KEY, tmp_path, actor="statistician")
        extract_directory(sessions, OTHER_KEY, tmp_path, actor="statistician")

    codes = {str(row[0]) for row in extract["persons"]}
    with sessions() as session:
        values = every_text_value(session)
    assert len(values) > 500
    stored = " ".join(values) + caplog.text
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
    # Nothing shaped like a personal code at all (registration numbers are all digits), and no
    # name or address.
    assert not any(PERSONAL_CODE.search(v) for v in values if not v.isdigit())
    for word in ("Anna", "Bērziņa", "Kalniņš", "Brīvības", "1975-03-15"):
        assert word not in stored
    assert "statistics store: persons loaded, 123 rows" in caplog.text


# --- the product's own P3 records --------------------------------------------------------------

PLAN_HOLDER = "p01_test_extract_plan_holder"


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    services = build_services(make_settings(database_url))
    with transaction(services.sessions) as session:
        deploy_source(session, "plan_holder.bpmn",
                      one_task_process(PLAN_HOLDER, groups="planning_region_expert"), "test")
        path = PROJECT_ROOT / "processes" / f"{P4_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


def accepted_p3_records(services: Services, code: str, months: list[date],
                        service_type: str = "DAY_CENTRE", provider: str = "SP-ATBALSTS") -> None:
    """A person with an IAP including the service, and the municipality's accepted monthly
    records of it, through P3's own storing and validation."""
    with transaction(services.sessions) as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person_id = register_person(session, viewer, given_name="Inese", family_name="Ozola",
                                    personal_code=code, birth_date=birth_date(code),
                                    municipality_code="RIGA").id
    with services.sessions() as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_process_for(services.engine, session, viewer, person_id, PLAN_HOLDER, {})
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        store_plan_version(session, instance, source="assessment", plan={
            "goals": ["Patstāvīga dzīve"],
            "services": [{"service_type": service_type, "hours_per_week": 20,
                          "frequency": "daily"}],
            "valid_from": (months[0] - timedelta(days=30)).isoformat(), "valid_to": None})
    for month in months:
        period_from, period_to = month_period(month)
        with transaction(services.sessions) as session:
            submit_batch(session, municipality_code="RIGA", period_from=period_from,
                         period_to=period_to, source="PORTAL_FORM", submitted_by="soc", rows=[{
                             "personal_code": code, "service_type": service_type,
                             "provider_code": provider, "period_from": period_from,
                             "period_to": period_to, "volume": 10, "unit": "DAYS",
                             "cost_cents": 15000}])
            summary = validate_pending(session, "RIGA", period_from, period_to)
        assert summary.accepted == 1, summary


def test_case_requests_come_from_accepted_p3_records_under_the_registers_pseudonym(
        services: Services, tmp_path: Path) -> None:
    # January and February: one request from 1 January; again in May after a gap: a second.
    accepted_p3_records(services, ANNA, [date(2025, 1, 1), date(2025, 2, 1), date(2025, 5, 1)])
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ServiceRecord)) == 3
    write_extract(tmp_path, {"persons": persons()})
    extract_directory(services.sessions, KEY, tmp_path, actor="statistician")

    result = extract_cases(services.sessions, KEY, actor="statistician")

    assert (result.source, result.rows, result.skipped) == (CASE_REQUESTS, 2, False)
    assert facts(services.sessions, CASE_REQUESTS) == [
        (p(ANNA), "RIGA", date(2025, 1, 1), date(2025, 1, 1), "day_centre", "", None, None),
        (p(ANNA), "RIGA", date(2025, 5, 1), date(2025, 5, 1), "day_centre", "", None, None)]
    assert p(ANNA) in subjects(services.sessions)
    assert extract_cases(services.sessions, KEY, actor="statistician").skipped

    # A rotation reloads the product's requests too, under the new key.
    results = extract_directory(services.sessions, OTHER_KEY, tmp_path, actor="statistician")
    assert [r.source for r in results] == ["persons", CASE_REQUESTS]
    assert {f[0] for f in facts(services.sessions, CASE_REQUESTS)} == {p(ANNA, OTHER_KEY)}
    with services.sessions() as session:
        values = every_text_value(session)
    assert not any(ANNA in v or ANNA.replace("-", "") in v for v in values)


def test_a_new_p3_record_replaces_the_case_requests(services: Services) -> None:
    accepted_p3_records(services, PETERIS, [date(2025, 3, 1)], service_type="WORKSHOP",
                        provider="SP-RIGA-DARBNICA")
    first = extract_cases(services.sessions, KEY, actor="statistician")
    assert facts(services.sessions, CASE_REQUESTS) == [
        (p(PETERIS), "RIGA", date(2025, 3, 1), date(2025, 3, 1), "specialised_workshop", "",
         None, None)]
    accepted_p3_records(services, ANNA, [date(2025, 4, 1)])
    second = extract_cases(services.sessions, KEY, actor="statistician")
    assert not second.skipped and second.rows == 2 and second.load_id != first.load_id
    with services.sessions() as session:
        assert set(session.scalars(select(StatFact.load_id).where(
            StatFact.source == CASE_REQUESTS))) == {second.load_id}


def p4_application(services: Services, code: str, application: dict[str, Any]) -> int:
    """A child's P4 application registered through the process's own task; returns the
    instance."""
    with transaction(services.sessions) as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        child_id = register_person(session, viewer, given_name="Paula", family_name="Ozola",
                                   personal_code=code, birth_date=birth_date(code),
                                   municipality_code="RIGA").id
    with services.sessions() as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_child_services(services.engine, session, viewer, child_id, f"P4-{code}")
    complete_open_task(services, iid, {"care_service": False, "respite_service": False,
                                       **application})
    return iid


def complete_open_task(services: Services, instance_id: int, data: dict[str, Any]) -> str:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == "open"))
    services.engine.complete_task(task.id, Actor("soc", frozenset({"social_service"})), data)
    return task.element_id


def test_case_requests_include_p4_applications_but_not_withdrawn_ones(
        services: Services) -> None:
    child, other = dated_code(2, 11, 2021, 5), dated_code(9, 9, 2020, 6)
    p4_application(services, child, {
        "application_date": "2025-06-10", "service_start_date": "2025-07-01",
        "respite_service": True, "respite_days": 5, "child_rehabilitation": ["PSYCHOLOGIST"]})
    refused = p4_application(services, other, {
        "application_date": "2025-06-11", "service_start_date": "2025-07-01",
        "respite_service": True, "respite_days": 5,
        "representative_rehabilitation": ["PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"]})
    assert complete_open_task(services, refused, {"application_withdrawn": True}) == (
        "correct_application")

    result = extract_cases(services.sessions, KEY, actor="statistician")

    assert result.rows == 2
    assert facts(services.sessions, CASE_REQUESTS) == sorted([
        (p(child), "RIGA", date(2025, 6, 10), date(2025, 6, 10), "respite_care", "", None, None),
        (p(child), "RIGA", date(2025, 6, 10), date(2025, 6, 10), "social_rehabilitation", "",
         None, None)])
