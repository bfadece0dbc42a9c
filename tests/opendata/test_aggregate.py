"""The data sets' counts from hand-built store contents whose right answers are worked out here:
period edges, age-band edges on the reference date, territory from the fact or the subject, the
latest decision, distinct persons, D6's average rounding, planning-region groups."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.opendata.aggregate import Aggregate, aggregate, average_euro, municipalities
from app.opendata.definitions import DATASETS
from app.opendata.disclosure import TOTAL
from tests.opendata.stat_store import Store, open_sessions


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    yield from open_sessions(database_url)


def computed(sessions: sessionmaker[Session], dataset: str, period: str) -> Aggregate:
    with sessions() as session:
        return aggregate(session, DATASETS[dataset], period)


def nonzero(result: Aggregate) -> dict[tuple[str, ...], int]:
    return {key: n for key, n in result.table.cells.items() if n}


def region_group(result: Aggregate, breakdown: str, label: tuple[str, ...]) -> int:
    groups = next(b for b in result.table.breakdowns if b.name == breakdown).groups
    return sum(result.table.cells[k] for k in groups[label])


def test_every_cell_is_present_with_zeros(sessions):
    result = computed(sessions, "D4", "2025")
    assert len(result.table.cells) == len(municipalities()) * 3 * 4 == 43 * 12
    assert set(result.table.cells.values()) == {0}
    assert result.table.dimensions == ("territory", "disability_group", "age_band")


def test_d1_counts_a_person_once_for_aids_issued_within_the_year(sessions):
    store = Store()
    inside = store.person("RIGA", date(1990, 5, 1))
    store.fact("technical_aids", inside, date(2025, 1, 1), date(2025, 1, 1), category="wheelchair")
    store.fact("technical_aids", inside, date(2025, 6, 1), date(2025, 6, 1), category="hearing_aid")
    day_before = store.person("RIGA", date(1990, 5, 1))
    store.fact("technical_aids", day_before, date(2024, 12, 31), date(2024, 12, 31))
    last_day = store.person("RIGA", date(1990, 5, 1))
    store.fact("technical_aids", last_day, date(2025, 12, 31), date(2025, 12, 31))
    next_year = store.person("RIGA", date(1990, 5, 1))
    store.fact("technical_aids", next_year, date(2026, 1, 1), date(2026, 1, 1))
    store.write(sessions)
    assert nonzero(computed(sessions, "D1", "2025")) == {("RIGA", "18-64"): 2}
    assert nonzero(computed(sessions, "D1", "2024")) == {("RIGA", "18-64"): 1}


def test_age_bands_are_whole_years_at_the_reference_date(sessions):
    store = Store()
    # Reference date 31.12.2025: a person born in December has had his birthday.
    for born in (date(2008, 12, 1), date(2008, 1, 1), date(2007, 12, 1), date(1961, 1, 1),
                 date(1960, 12, 1), date(2026, 1, 1)):
        person = store.person("OGRE", born)
        store.fact("technical_aids", person, date(2025, 3, 3), date(2025, 3, 3))
    store.write(sessions)
    result = computed(sessions, "D1", "2025")
    assert nonzero(result) == {("OGRE", "0-17"): 2, ("OGRE", "18-64"): 2, ("OGRE", "65+"): 1}
    assert result.excluded == 1  # born after the reference date: in no band


def test_d3_minors_with_a_decision_valid_on_the_last_day_by_age(sessions):
    store = Store()

    def child(born: date, decided: date, valid_until: date | None) -> None:
        person = store.person("CESIS", born)
        store.fact("disability", person, decided, valid_until)

    child(date(2019, 12, 1), date(2022, 1, 1), None)  # 6 → 0-6
    child(date(2019, 1, 1), date(2022, 1, 1), date(2025, 12, 31))  # 6, valid to the last day
    child(date(2018, 12, 1), date(2025, 12, 31), None)  # 7, decided on the last day → 7-12
    child(date(2008, 12, 1), date(2020, 1, 1), None)  # 17 → 13-17
    child(date(2007, 12, 1), date(2020, 1, 1), None)  # 18: an adult, not in D3
    child(date(2015, 1, 1), date(2020, 1, 1), date(2025, 12, 30))  # ended the day before
    child(date(2015, 1, 1), date(2026, 1, 1), None)  # decided after the year
    store.write(sessions)
    result = computed(sessions, "D3", "2025")
    assert nonzero(result) == {("CESIS", "0-6"): 2, ("CESIS", "7-12"): 1, ("CESIS", "13-17"): 1}


def test_d4_places_an_adult_by_his_latest_valid_decision(sessions):
    store = Store()
    upgraded = store.person("LIEPAJA", date(1980, 6, 1))
    store.fact("disability", upgraded, date(2020, 1, 1), None, severity="III")
    store.fact("disability", upgraded, date(2024, 5, 1), date(2027, 5, 1), severity="I")
    # the newer decision ended before the reference date: the older one still counts
    lapsed = store.person("LIEPAJA", date(1950, 6, 1))
    store.fact("disability", lapsed, date(2019, 1, 1), None, severity="II")
    store.fact("disability", lapsed, date(2023, 1, 1), date(2025, 6, 30), severity="I")
    young = store.person("LIEPAJA", date(2007, 12, 1))  # 18 on 31.12.2025
    store.fact("disability", young, date(2020, 1, 1), None, severity="III")
    store.write(sessions)
    result = computed(sessions, "D4", "2025")
    assert nonzero(result) == {("LIEPAJA", "I", "30-49"): 1, ("LIEPAJA", "II", "65+"): 1,
                               ("LIEPAJA", "III", "18-29"): 1}
    assert region_group(result, "planning_region×disability_group",
                        ("PR-KURZEME", "I", TOTAL)) == 1
    assert region_group(result, "planning_region", ("PR-KURZEME", TOTAL, TOTAL)) == 3


def test_d5_unemployed_registered_on_the_last_day_of_the_month(sessions):
    store = Store()
    for registered, deregistered in ((date(2025, 10, 31), None),
                                     (date(2025, 3, 1), date(2025, 10, 31)),
                                     (date(2025, 3, 1), date(2025, 10, 30)),
                                     (date(2025, 11, 1), None)):
        person = store.person("VALMIERA", date(1985, 1, 1))
        store.fact("unemployed", person, registered, deregistered)
    store.write(sessions)
    assert nonzero(computed(sessions, "D5", "2025-10")) == {("VALMIERA", "40-54"): 2}
    assert nonzero(computed(sessions, "D5", "2025-11")) == {("VALMIERA", "40-54"): 2}


def test_d6_average_wage_is_the_sum_of_wages_over_the_sum_of_months(sessions):
    store = Store()
    # Women in Riga: 100 001 cents over 2 months and 30 000 over 1: 130 001 / 3 = 43 333.67 c
    for months, cents in ((2, 100_001), (1, 30_000)):
        person = store.person("RIGA", date(1980, 1, 1), sex="F")
        store.fact("insured", person, date(2025, 1, 1), date(2025, 12, 31), months=months,
                   amount_cents=cents)
    man = store.person("JURMALA", date(1970, 1, 1), sex="M")
    store.fact("insured", man, date(2025, 1, 1), date(2025, 12, 31), months=12,
               amount_cents=1_200_006)
    other_year = store.person("RIGA", date(1980, 1, 1), sex="F")
    store.fact("insured", other_year, date(2024, 1, 1), date(2024, 12, 31), months=12,
               amount_cents=999)
    store.write(sessions)
    result = computed(sessions, "D6", "2025")
    assert nonzero(result) == {("RIGA", "F"): 2, ("JURMALA", "M"): 1}
    averages = result.table.averages
    assert averages[("RIGA", "F")] == Decimal("433.34")  # 43 333.67 cents rounds up
    assert averages[("JURMALA", "M")] == Decimal("1000.01")  # 100 000.5 cents rounds half up
    # both in the Riga planning region: (130 001 + 1 200 006) / 15 = 88 667.13 cents
    assert averages[("PR-RIGA", TOTAL)] == Decimal("886.67")
    assert averages[(TOTAL, TOTAL)] == Decimal("886.67")
    assert ("OGRE", "F") not in averages  # no count, no average


def test_average_rounds_half_up_to_the_cent():
    assert average_euro(100_001, 2) == Decimal("500.01")
    assert average_euro(100_003, 2) == Decimal("500.02")
    assert average_euro(299, 3) == Decimal("1.00")
    assert average_euro(0, 5) == Decimal("0.00")


def test_d7_a_person_with_two_services_is_in_both_cells(sessions):
    store = Store()
    person = store.person("TUKUMS", date(1960, 1, 1))
    store.fact("state_social_services", person, date(2024, 11, 1), date(2025, 1, 1),
               category="social_rehabilitation")
    store.fact("state_social_services", person, date(2025, 12, 31), None,
               category="long_term_care")
    store.fact("state_social_services", person, date(2025, 2, 1), date(2025, 3, 1),
               category="long_term_care")
    gone = store.person("TUKUMS", date(1960, 1, 1))
    store.fact("state_social_services", gone, date(2024, 1, 1), date(2024, 12, 31),
               category="long_term_care")
    store.write(sessions)
    result = computed(sessions, "D7", "2025")
    assert nonzero(result) == {("TUKUMS", "social_rehabilitation"): 1,
                               ("TUKUMS", "long_term_care"): 1}


def test_d8_benefits_received_on_the_last_day_of_the_quarter(sessions):
    store = Store()
    both = store.person("DAUGAVPILS", date(1950, 1, 1))
    store.fact("vsaa_benefits", both, date(2015, 1, 1), None, category="old_age_pension")
    store.fact("vsaa_benefits", both, date(2025, 9, 30), date(2025, 12, 31),
               category="care_benefit_disabled")
    ended = store.person("DAUGAVPILS", date(1950, 1, 1))
    store.fact("vsaa_benefits", ended, date(2025, 1, 1), date(2025, 9, 29),
               category="sickness_benefit")
    unknown = store.person("DAUGAVPILS", date(1950, 1, 1))
    store.fact("vsaa_benefits", unknown, date(2025, 1, 1), None, category="lottery_win")
    store.write(sessions)
    result = computed(sessions, "D8", "2025-Q3")
    assert nonzero(result) == {("DAUGAVPILS", "old_age_pension"): 1,
                               ("DAUGAVPILS", "care_benefit_disabled"): 1}
    assert result.excluded == 1


def test_d9_territory_is_the_municipality_asked_and_both_sources_count(sessions):
    store = Store()
    person = store.person("RIGA", date(1990, 1, 1))
    store.fact("community_requests", person, date(2025, 7, 1), date(2025, 7, 1),
               municipality="OGRE", category="home_care")
    store.fact("case_requests", person, date(2025, 8, 1), date(2025, 8, 1),
               municipality="OGRE", category="home_care")  # the same request again
    store.fact("case_requests", person, date(2025, 9, 30), date(2025, 9, 30),
               municipality="RIGA", category="day_centre")
    store.fact("case_requests", person, date(2025, 6, 30), date(2025, 6, 30),
               municipality="RIGA", category="group_home")  # the quarter before
    unregistered = "k1-" + "f" * 32  # no population record: the fact's municipality places him
    store.fact("community_requests", unregistered, date(2025, 7, 2), date(2025, 7, 2),
               municipality="OGRE", category="home_care")
    store.write(sessions)
    result = computed(sessions, "D9", "2025-Q3")
    assert nonzero(result) == {("OGRE", "home_care"): 2, ("RIGA", "day_centre"): 1}


def test_d2_providers_by_the_territory_of_the_provider(sessions):
    store = Store()
    store.fact("service_providers", "40003000001", date(2010, 1, 1), None,
               municipality="SIGULDA", category="group_home")
    store.fact("service_providers", "40003000001", date(2010, 1, 1), None,
               municipality="SIGULDA", category="day_centre")
    store.fact("service_providers", "40003000002", date(2010, 1, 1), date(2025, 12, 30),
               municipality="SIGULDA", category="group_home")
    store.fact("service_providers", "40003000003", date(2025, 12, 31), None,
               municipality="ADAZI", category="group_home")
    store.write(sessions)
    result = computed(sessions, "D2", "2025")
    assert nonzero(result) == {("SIGULDA", "group_home"): 1, ("SIGULDA", "day_centre"): 1,
                               ("ADAZI", "group_home"): 1}
