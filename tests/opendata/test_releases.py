"""Releases: the content layout, versions per data set and period, publish and discard only
drafts, history, the comparison with the previous period, and which periods fall due."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import transaction
from app.db.models import Event, OpenDataRelease, StatLoad
from app.opendata import releases
from app.opendata.definitions import DATASETS
from app.opendata.releases import ReleaseError, content_sha256
from tests.opendata.stat_store import Store, open_sessions


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    yield from open_sessions(database_url)


def release(sessions: sessionmaker[Session], release_id: int) -> OpenDataRelease:
    with sessions() as session:
        found = session.get(OpenDataRelease, release_id)
        assert found is not None
        return found


def row(content: dict, **wanted: str) -> dict:
    [found] = [r for r in content["rows"] if all(r[k] == v for k, v in wanted.items())]
    return found


def unemployed(store: Store, municipality: str, born: date, count: int,
               registered: date = date(2025, 1, 1)) -> None:
    for _ in range(count):
        store.fact("unemployed", store.person(municipality, born), registered, None)


def test_a_draft_holds_the_protected_table_in_the_published_layout(sessions):
    store = Store()
    unemployed(store, "RIGA", date(2000, 1, 1), 10)  # 25 on 31.10.2025: 25-39
    unemployed(store, "RIGA", date(1990, 1, 1), 1)  # 35: 25-39
    unemployed(store, "RIGA", date(1960, 1, 1), 7)  # 65: 55+
    unemployed(store, "OGRE", date(1990, 1, 1), 4)
    store.write(sessions)
    release_id = releases.prepare(sessions, "D5", "2025-10", actor="statistician")
    made = release(sessions, release_id)
    content = made.content
    assert (made.dataset, made.period, made.version, made.status) == ("D5", "2025-10", 1, "draft")
    assert (made.period_start, made.period_end) == (date(2025, 10, 1), date(2025, 10, 31))
    assert made.definition_sha256 == DATASETS["D5"].sha256
    assert made.content_sha256 == content_sha256(content)
    assert made.created_by == "statistician"
    assert {k: content[k] for k in ("dataset", "period", "period_start", "period_end",
                                    "reference_date")} == {
        "dataset": "D5", "period": "2025-10", "period_start": "2025-10-01",
        "period_end": "2025-10-31", "reference_date": "2025-10-31"}
    assert [c["name"] for c in content["columns"]] == [
        "level", "territory_code", "atvk_code", "territory_lv", "territory_en",
        "planning_region", "age_band", "persons", "persons_flag"]
    # 43 municipalities, 5 regions and the country, each by 4 age bands and their total
    assert made.row_count == len(content["rows"]) == 49 * 5
    first = content["rows"][0]
    assert first == {"level": "national", "territory_code": "LV", "atvk_code": "",
                     "territory_lv": "Latvija", "territory_en": "Latvia", "planning_region": "",
                     "age_band": "TOTAL", "persons": 22, "persons_flag": ""}
    riga = row(content, territory_code="RIGA", age_band="25-39")
    assert riga["atvk_code"] == "0001000" and riga["planning_region"] == "PR-RIGA"
    assert riga["level"] == "municipality" and riga["territory_lv"] == "Rīgas valstspilsēta"
    assert riga["persons"] == 11
    assert row(content, territory_code="PR-RIGA", age_band="TOTAL")["persons"] == 22
    assert row(content, territory_code="RIGA", age_band="55+")["persons"] == 7
    assert row(content, territory_code="RIGA", age_band="15-24")["persons"] == 0
    levels = [r["level"] for r in content["rows"]]
    assert levels == sorted(levels, key=("national", "planning_region", "municipality").index)
    assert made.suppressed_count == 0


def test_a_small_count_is_null_flagged_confidential_never_zero(sessions):
    store = Store()
    unemployed(store, "RIGA", date(2000, 1, 1), 10)
    unemployed(store, "RIGA", date(1980, 1, 1), 1)  # 45: 40-54
    unemployed(store, "RIGA", date(1960, 1, 1), 7)
    store.write(sessions)
    made = release(sessions, releases.prepare(sessions, "D5", "2025-10", actor="s"))
    hidden = [r for r in made.content["rows"] if r["persons_flag"] == "c"]
    assert hidden and all(r["persons"] is None for r in hidden)
    assert made.suppressed_count == len(hidden)
    assert row(made.content, territory_code="RIGA", age_band="40-54")["persons"] is None
    assert all(r["persons"] is None or r["persons"] == 0 or r["persons"] >= 3
               for r in made.content["rows"])


def test_d6_content_has_the_average_as_a_decimal_string_and_hides_it_with_its_count(sessions):
    store = Store()

    def insured(municipality: str, sex: str, cents: int) -> None:
        store.fact("insured", store.person(municipality, date(1980, 1, 1), sex),
                   date(2025, 1, 1), date(2025, 12, 31), months=12, amount_cents=cents)

    for cents in [200_000] * 29 + [200_006]:
        insured("OGRE", "F", cents)
    for municipality, sex in (("OGRE", "M"), ("RIGA", "F"), ("RIGA", "M"), ("JURMALA", "F")):
        for _ in range(20):
            insured(municipality, sex, 100_000)
    insured("JURMALA", "M", 500_000)
    store.write(sessions)
    content = release(sessions, releases.prepare(sessions, "D6", "2025", actor="s")).content
    # the women of the country: (6 000 006 + 2 × 20 × 100 000) / 840 months = 11 904.77 cents
    women = row(content, territory_code="LV", sex="F")
    assert women["persons"] == 70 and women["average_contribution_wage"] == "119.05"
    assert women["average_contribution_wage_flag"] == ""
    alone = row(content, territory_code="JURMALA", sex="M")
    assert alone["persons"] is None and alone["average_contribution_wage"] is None
    assert alone["average_contribution_wage_flag"] == "c"
    for line in content["rows"]:
        hidden = line["persons_flag"] == "c"
        assert (line["average_contribution_wage_flag"] == "c") == hidden
        if line["persons"] == 0:
            assert line["average_contribution_wage"] is None
    assert row(content, territory_code="OGRE", sex="TOTAL")["average_contribution_wage"] == (
        "133.33")  # (6 000 006 + 20 × 100 000) / 600 months = 13 333.34 cents
    assert [c["type"] for c in content["columns"][-4:]] == ["integer", "string", "number",
                                                             "string"]


def test_preparing_a_period_again_makes_the_next_version(sessions):
    first = releases.prepare(sessions, "D8", "2025-Q3", actor="s")
    second = releases.prepare(sessions, "D8", "2025-Q3", actor="s")
    other = releases.prepare(sessions, "D8", "2025-Q2", actor="s")
    assert [release(sessions, i).version for i in (first, second, other)] == [1, 2, 1]


@pytest.mark.parametrize("dataset, period", [
    ("D8", "2025"), ("D5", "2025-Q3"), ("D1", "2025-10"), ("D1", "2022"), ("D1", "25"),
    ("D10", "2025"),
])
def test_a_wrong_data_set_or_period_is_refused(sessions, dataset, period):
    with pytest.raises(ReleaseError):
        releases.prepare(sessions, dataset, period, actor="s")


def test_only_drafts_are_published_and_discarding_keeps_the_row(sessions):
    kept = releases.prepare(sessions, "D1", "2025", actor="s")
    dropped = releases.prepare(sessions, "D1", "2025", actor="s")
    releases.publish(sessions, [kept], actor="statistician")
    releases.discard(sessions, [dropped], actor="statistician", reason="wrong extract")
    published, discarded = release(sessions, kept), release(sessions, dropped)
    assert published.status == "published" and published.published_by == "statistician"
    assert published.published_at is not None
    assert discarded.status == "discarded" and discarded.published_at is None
    assert discarded.discard_reason == "wrong extract" and published.discard_reason == ""
    fresh = releases.prepare(sessions, "D1", "2025", actor="s")
    for ids in ([kept], [dropped], [fresh, kept]):
        with pytest.raises(ReleaseError, match="only a draft"):
            releases.publish(sessions, ids, actor="statistician")
        with pytest.raises(ReleaseError, match="only a draft"):
            releases.discard(sessions, ids, actor="statistician", reason="again")
    assert release(sessions, fresh).status == "draft"  # the refused batch changed nothing
    with pytest.raises(ReleaseError, match="reason"):
        releases.discard(sessions, [fresh], actor="statistician", reason=" ")
    with sessions() as session:
        details = [e.detail for e in session.scalars(
            select(Event).where(Event.kind.in_(["opendata_published", "opendata_discarded"]))
            .order_by(Event.seq))]
    assert [d["releases"][0]["id"] for d in details] == [kept, dropped]
    assert details[1]["reason"] == "wrong extract"


def test_history_lists_published_versions_newest_first(sessions):
    old = releases.prepare(sessions, "D1", "2024", actor="s")
    first = releases.prepare(sessions, "D1", "2025", actor="s")
    second = releases.prepare(sessions, "D1", "2025", actor="s")
    releases.prepare(sessions, "D1", "2025", actor="s")  # a draft: not history
    releases.publish(sessions, [old, first, second], actor="s")
    with sessions() as session:
        assert [r.id for r in releases.history(session, "D1")] == [second, first, old]
        assert releases.latest_published(session, "D1").id == second
        assert releases.latest_published(session, "D1", "2024").id == old
        assert releases.latest_published(session, "D1", "2023") is None
        assert releases.history(session, "D2") == []


def test_comparison_flags_changes_over_the_threshold(sessions):
    store = Store()
    unemployed(store, "RIGA", date(2000, 1, 1), 10, registered=date(2025, 9, 1))
    unemployed(store, "RIGA", date(1985, 1, 1), 10, registered=date(2025, 9, 1))
    unemployed(store, "RIGA", date(2000, 1, 1), 2, registered=date(2025, 10, 1))  # +20 %
    unemployed(store, "RIGA", date(1985, 1, 1), 3, registered=date(2025, 10, 1))  # +30 %
    unemployed(store, "OGRE", date(1985, 1, 1), 5, registered=date(2025, 10, 1))  # new
    store.write(sessions)
    september = releases.prepare(sessions, "D5", "2025-09", actor="s")
    october = releases.prepare(sessions, "D5", "2025-10", actor="s")
    with sessions() as session:
        before_publication = releases.comparison(session, release(sessions, october))
    assert all(c["previous"] is None and not c["flagged"] for c in before_publication)
    releases.publish(sessions, [september], actor="s")
    with sessions() as session:
        compared = releases.comparison(session, release(sessions, october))

    def line(territory: str, band: str) -> dict:
        [found] = [c for c in compared
                   if c["territory_code"] == territory and c["age_band"] == band]
        return found

    assert line("RIGA", "25-39") == {
        "level": "municipality", "territory_code": "RIGA", "territory_lv": "Rīgas valstspilsēta",
        "territory_en": "Riga State City", "age_band": "25-39", "measure": "persons",
        "value": 12, "previous": 10, "change_percent": "20.0", "flagged": False}
    assert line("RIGA", "40-54")["change_percent"] == "30.0" and line("RIGA", "40-54")["flagged"]
    assert line("OGRE", "40-54")["previous"] == 0 and line("OGRE", "40-54")["flagged"]
    assert line("LV", "TOTAL")["change_percent"] == "50.0"
    assert not line("OGRE", "15-24")["flagged"]  # 0 then 0
    assert len(compared) == 49 * 5


def test_prepare_due_makes_each_latest_complete_period_once(sessions):
    store = Store()
    unemployed(store, "RIGA", date(1985, 1, 1), 4)
    store.write(sessions)
    made = releases.prepare_due(sessions, date(2026, 1, 5), actor="timer")
    periods = {release(sessions, i).dataset: release(sessions, i).period for i in made}
    assert periods == {"D1": "2025", "D2": "2025", "D3": "2025", "D4": "2025", "D5": "2025-12",
                       "D6": "2025", "D7": "2025", "D8": "2025-Q4", "D9": "2025-Q4"}
    releases.publish(sessions, made, actor="s")
    assert releases.prepare_due(sessions, date(2026, 1, 20), actor="timer") == []
    store.fact("unemployed", store.person("OGRE", date(1985, 1, 1)), date(2025, 6, 1), None)
    store.write(sessions)
    [again] = releases.prepare_due(sessions, date(2026, 1, 20), actor="timer")
    assert (release(sessions, again).dataset, release(sessions, again).version) == ("D5", 2)


def test_nothing_is_prepared_from_a_store_with_pseudonyms_of_two_keys(sessions):
    store = Store()
    unemployed(store, "RIGA", date(2000, 1, 1), 5)
    store.write(sessions)
    # A key rotation that stopped half-way: one source reloaded under k2, another still k1.
    with transaction(sessions) as session:
        session.add(StatLoad(source="disability", content_sha256="1" * 64, key_version="k2",
                             loaded_by="test"))
    with pytest.raises(ReleaseError, match=r"two keys \(k1, k2\)"):
        releases.prepare(sessions, "D5", "2025-10", actor="statistician")
    with pytest.raises(ReleaseError, match="load every extract again"):
        releases.prepare_due(sessions, date(2025, 11, 27), actor="statistician")
    with sessions() as session:
        assert session.scalars(select(OpenDataRelease)).all() == []
