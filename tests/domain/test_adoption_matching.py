"""The P11 matching rules (app/domain/adoption.py), one small case each."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain import adoption as a

DAY = date(2026, 11, 27)


def child(child_id: int = 1, *, born: date = date(2022, 5, 10), sex: str = "F",
          health: tuple[str, ...] = (), region: str | None = "RIGA-REGION",
          group: str | None = None, together: bool = False) -> a.ChildFacts:
    return a.ChildFacts(child_id, born, sex, frozenset(health), region, group, together)


def adopter(adopter_id: int = 1, **changes: object) -> a.AdopterFacts:
    base = a.AdopterFacts(adopter_id=adopter_id, status=a.ACTIVE, registered_on=date(2025, 1, 10),
                          suitability_from=date(2025, 1, 5), suitability_until=date(2027, 1, 4),
                          abroad=False, children_max=1, age_min=0, age_max=10)
    return replace(base, **changes)  # type: ignore[arg-type]


def ranked_ids(result: a.MatchResult) -> list[int]:
    return [r.adopter_id for r in result.eligible]


def reasons_of(result: a.MatchResult, adopter_id: int) -> tuple[str, ...]:
    return next(e.reasons for e in result.excluded if e.adopter_id == adopter_id)


def test_an_adopter_meeting_every_rule_is_eligible() -> None:
    result = a.match_adopters([child()], [adopter()], DAY)
    assert ranked_ids(result) == [1] and result.excluded == ()
    assert result.first is not None and result.first.rank == 1


def test_no_adopters_gives_an_empty_list() -> None:
    result = a.match_adopters([child()], [], DAY)
    assert result.eligible == () and result.first is None


def test_earlier_registration_is_asked_first() -> None:
    result = a.match_adopters([child()], [
        adopter(1, registered_on=date(2025, 3, 1)), adopter(2, registered_on=date(2024, 6, 1))], DAY)
    assert ranked_ids(result) == [2, 1]


def test_same_registration_day_the_lower_register_number_goes_first() -> None:
    same = date(2025, 2, 2)
    result = a.match_adopters([child()], [adopter(7, registered_on=same),
                                          adopter(3, registered_on=same)], DAY)
    assert ranked_ids(result) == [3, 7]


def test_the_order_does_not_depend_on_the_input_order() -> None:
    many = [adopter(i, registered_on=date(2025, 1, 1 + i % 3)) for i in range(1, 8)]
    forward = ranked_ids(a.match_adopters([child()], many, DAY))
    backward = ranked_ids(a.match_adopters([child()], list(reversed(many)), DAY))
    assert forward == backward == [3, 6, 1, 4, 7, 2, 5]


def test_latvia_before_abroad_even_when_abroad_registered_earlier() -> None:
    result = a.match_adopters([child()], [
        adopter(1, abroad=True, registered_on=date(2020, 1, 1)),
        adopter(2, registered_on=date(2025, 6, 1))], DAY)
    assert ranked_ids(result) == [2, 1]
    assert [r.abroad for r in result.eligible] == [False, True]


def test_abroad_adopters_are_ranked_by_registration_among_themselves() -> None:
    result = a.match_adopters([child()], [
        adopter(1, abroad=True, registered_on=date(2024, 1, 1)),
        adopter(2, abroad=True, registered_on=date(2023, 1, 1))], DAY)
    assert ranked_ids(result) == [2, 1]


def test_only_abroad_adopters_are_still_eligible() -> None:
    assert ranked_ids(a.match_adopters([child()], [adopter(4, abroad=True)], DAY)) == [4]


def test_suitability_valid_until_the_day_itself_is_valid() -> None:
    assert ranked_ids(a.match_adopters([child()], [adopter(suitability_until=DAY)], DAY)) == [1]


def test_suitability_valid_until_the_day_before_has_expired() -> None:
    result = a.match_adopters([child()], [adopter(suitability_until=date(2026, 11, 26))], DAY)
    assert reasons_of(result, 1) == (a.SUITABILITY_EXPIRED,)


def test_suitability_starting_tomorrow_is_not_yet_valid() -> None:
    result = a.match_adopters([child()], [adopter(suitability_from=date(2026, 11, 28))], DAY)
    assert reasons_of(result, 1) == (a.SUITABILITY_NOT_YET,)


def test_suitability_starting_today_is_valid() -> None:
    assert ranked_ids(a.match_adopters([child()], [adopter(suitability_from=DAY)], DAY)) == [1]


def test_withdrawn_adopter_is_excluded() -> None:
    result = a.match_adopters([child()], [adopter(status=a.WITHDRAWN)], DAY)
    assert reasons_of(result, 1) == (a.NOT_ACTIVE_WITHDRAWN,)


def test_adopter_who_adopted_is_excluded() -> None:
    result = a.match_adopters([child()], [adopter(status=a.ADOPTED)], DAY)
    assert reasons_of(result, 1) == (a.NOT_ACTIVE_ADOPTED,)


def test_every_reason_is_reported_not_only_the_first() -> None:
    result = a.match_adopters([child(sex="M", health=("disability",))], [
        adopter(status=a.WITHDRAWN, suitability_until=date(2026, 1, 1), sex_preference="F")], DAY)
    assert reasons_of(result, 1) == (a.NOT_ACTIVE_WITHDRAWN, a.SUITABILITY_EXPIRED,
                                     a.SEX_NOT_WANTED, a.HEALTH_NOT_ACCEPTED)


def test_age_exactly_at_the_minimum_is_accepted() -> None:
    # born 27.11.2022: exactly 4 on the day
    four = child(born=date(2022, 11, 27))
    assert ranked_ids(a.match_adopters([four], [adopter(age_min=4, age_max=6)], DAY)) == [1]


def test_one_day_short_of_the_minimum_is_too_young() -> None:
    almost_four = child(born=date(2022, 11, 28))
    result = a.match_adopters([almost_four], [adopter(age_min=4, age_max=6)], DAY)
    assert reasons_of(result, 1) == (a.CHILD_TOO_YOUNG,)


def test_age_exactly_at_the_maximum_is_accepted_until_the_next_birthday() -> None:
    # 6 on the day and still 6 the day before turning 7
    six = child(born=date(2019, 11, 28))
    assert a.age_in_years(six.birth_date, DAY) == 6
    assert ranked_ids(a.match_adopters([six], [adopter(age_min=4, age_max=6)], DAY)) == [1]


def test_turning_older_than_the_maximum_on_the_day_is_too_old() -> None:
    seven = child(born=date(2019, 11, 27))
    result = a.match_adopters([seven], [adopter(age_min=4, age_max=6)], DAY)
    assert reasons_of(result, 1) == (a.CHILD_TOO_OLD,)


def test_a_leap_day_child_is_a_year_older_on_the_first_of_march() -> None:
    assert a.age_in_years(date(2020, 2, 29), date(2025, 2, 28)) == 4
    assert a.age_in_years(date(2020, 2, 29), date(2025, 3, 1)) == 5


def test_sex_preference_any_accepts_both() -> None:
    result = a.match_adopters([child(sex="M")], [adopter(sex_preference=a.ANY_SEX)], DAY)
    assert ranked_ids(result) == [1]


def test_sex_preference_matching_is_accepted() -> None:
    assert ranked_ids(a.match_adopters([child(sex="F")], [adopter(sex_preference="F")], DAY)) == [1]


def test_sex_preference_other_is_excluded() -> None:
    result = a.match_adopters([child(sex="M")], [adopter(sex_preference="F")], DAY)
    assert reasons_of(result, 1) == (a.SEX_NOT_WANTED,)


def test_a_child_without_conditions_suits_an_adopter_accepting_none() -> None:
    assert ranked_ids(a.match_adopters([child()], [adopter(health_accepted=frozenset())], DAY)) == [1]


def test_a_condition_not_accepted_excludes() -> None:
    result = a.match_adopters([child(health=("disability",))], [adopter()], DAY)
    assert reasons_of(result, 1) == (a.HEALTH_NOT_ACCEPTED,)


def test_every_condition_must_be_accepted() -> None:
    sick = child(health=("disability", "chronic_illness"))
    partly = adopter(1, health_accepted=frozenset({"disability"}))
    fully = adopter(2, health_accepted=frozenset({"disability", "chronic_illness", "special_care"}))
    result = a.match_adopters([sick], [partly, fully], DAY)
    assert ranked_ids(result) == [2] and reasons_of(result, 1) == (a.HEALTH_NOT_ACCEPTED,)


def test_no_region_chosen_means_any_region() -> None:
    assert ranked_ids(a.match_adopters([child(region="LATGALE")], [adopter()], DAY)) == [1]


def test_child_in_a_chosen_region_is_accepted() -> None:
    result = a.match_adopters([child(region="LATGALE")],
                              [adopter(regions=frozenset({"LATGALE", "VIDZEME"}))], DAY)
    assert ranked_ids(result) == [1]


def test_child_outside_the_chosen_regions_is_excluded() -> None:
    result = a.match_adopters([child(region="KURZEME")], [adopter(regions=frozenset({"LATGALE"}))],
                              DAY)
    assert reasons_of(result, 1) == (a.REGION_NOT_WANTED,)


def test_child_without_region_is_outside_any_chosen_region() -> None:
    result = a.match_adopters([child(region=None)], [adopter(regions=frozenset({"LATGALE"}))], DAY)
    assert reasons_of(result, 1) == (a.REGION_NOT_WANTED,)


def siblings(together: bool = True) -> list[a.ChildFacts]:
    return [child(1, group="S1", together=together, born=date(2020, 1, 1)),
            child(2, group="S1", together=together, born=date(2023, 1, 1), sex="M")]


def test_a_sibling_group_needs_siblings_accepted() -> None:
    result = a.match_adopters(siblings(), [adopter(children_max=2, siblings_accepted=False)], DAY)
    assert reasons_of(result, 1) == (a.SIBLINGS_NOT_ACCEPTED,)


def test_a_sibling_group_needs_room_for_every_child() -> None:
    result = a.match_adopters(siblings(), [adopter(children_max=1, siblings_accepted=True)], DAY)
    assert reasons_of(result, 1) == (a.TOO_MANY_CHILDREN,)


def test_a_sibling_group_exactly_at_the_number_of_children_is_accepted() -> None:
    result = a.match_adopters(siblings(), [adopter(children_max=2, siblings_accepted=True)], DAY)
    assert ranked_ids(result) == [1]


def test_one_child_suits_an_adopter_who_takes_several() -> None:
    assert ranked_ids(a.match_adopters([child()], [adopter(children_max=3)], DAY)) == [1]


def test_every_sibling_must_fit_the_age_range() -> None:
    result = a.match_adopters(siblings(), [adopter(children_max=2, siblings_accepted=True,
                                                   age_min=0, age_max=5)], DAY)
    assert reasons_of(result, 1) == (a.CHILD_TOO_OLD,)


def test_every_sibling_must_fit_the_sex_preference() -> None:
    result = a.match_adopters(siblings(), [adopter(children_max=2, siblings_accepted=True,
                                                   sex_preference="F")], DAY)
    assert reasons_of(result, 1) == (a.SEX_NOT_WANTED,)


def test_siblings_required_together_cannot_be_matched_apart() -> None:
    register = siblings(together=True)
    assert a.missing_siblings([register[0]], register) == [2]
    assert a.missing_siblings(register, register) == []


def test_siblings_not_required_together_may_be_matched_alone() -> None:
    register = siblings(together=False)
    assert a.missing_siblings([register[0]], register) == []
    assert ranked_ids(a.match_adopters([register[0]], [adopter()], DAY)) == [1]


def test_children_of_different_groups_are_not_one_request() -> None:
    with pytest.raises(a.MatchRequestError):
        a.match_adopters([child(1, group="S1"), child(2, group="S2")], [adopter()], DAY)


def test_two_children_without_a_group_are_not_one_request() -> None:
    with pytest.raises(a.MatchRequestError):
        a.match_adopters([child(1), child(2)], [adopter()], DAY)


def test_no_children_is_refused() -> None:
    with pytest.raises(a.MatchRequestError):
        a.match_adopters([], [adopter()], DAY)


def test_the_same_child_twice_is_refused() -> None:
    with pytest.raises(a.MatchRequestError):
        a.match_adopters([child(1), child(1)], [adopter()], DAY)


def test_an_adopter_already_asked_is_not_asked_again() -> None:
    result = a.match_adopters([child()], [adopter(1), adopter(2, registered_on=date(2025, 5, 5))],
                              DAY, already_asked=frozenset({1}))
    assert ranked_ids(result) == [2] and reasons_of(result, 1) == (a.ALREADY_ASKED,)


def test_ranks_count_from_one_without_gaps_after_exclusions() -> None:
    result = a.match_adopters([child()], [
        adopter(1, status=a.WITHDRAWN), adopter(2), adopter(3, abroad=True)], DAY)
    assert [(r.adopter_id, r.rank) for r in result.eligible] == [(2, 1), (3, 2)]


def test_every_reason_code_has_a_text() -> None:
    codes = {value for name, value in vars(a).items() if name.isupper() and isinstance(value, str)
             and value in a.REASON_TEXTS}
    assert codes == set(a.REASON_TEXTS)


def test_the_answer_deadline_and_retention() -> None:
    assert a.answer_due(date(2026, 1, 31)) == date(2026, 3, 2)
    assert a.retention_until(date(2024, 2, 29)) == date(2099, 2, 28)
