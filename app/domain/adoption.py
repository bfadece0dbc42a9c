"""P11: the adoption matching rules, as plain functions a process owner can read.

Cabinet Regulation No. 794 (adoption register) and the Civil Law (art. 162–177): a child legally
free for adoption is proposed to the persons wishing to adopt in the order of their registration,
adopters living in Latvia before adopters abroad (subsidiarity, Hague Convention art. 4(b)).

``match_adopters(children, adopters, day)`` answers which adopters may be proposed the child (or the
sibling group) on ``day``, in the order they are to be asked, and why each of the others may not.
No database here: the area (``app.adoption``) reads the rows and hands plain facts in.

Every hard rule is a function ``rule_…`` returning the reason codes it finds; ``RULES`` lists them
in the order they are checked and reported. The reason codes' texts (``REASON_TEXTS``) are English
msgids that the UI shows in Latvian from the catalogue.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.texts import N_

# Adopter statuses; only an active adopter is proposed a child.
ACTIVE, WITHDRAWN, ADOPTED = "active", "withdrawn", "adopted"
ADOPTER_STATUSES = (ACTIVE, WITHDRAWN, ADOPTED)
# Sex preference: a child of either sex, or only a girl or only a boy.
ANY_SEX = "any"
SEXES = ("F", "M")
# Health conditions a child may have and an adopter may accept (the child card's codes).
HEALTH_CONDITIONS = ("disability", "special_care", "chronic_illness", "developmental_delay")
# How long an adopter has to answer a proposal, in days (the BPMN's boundary timer).
ANSWER_DAYS = 30
# How long the records of a final adoption are kept in the archive, in years.
RETENTION_YEARS = 75

# Reason codes an adopter is excluded for.
NOT_ACTIVE_WITHDRAWN = "withdrawn"
NOT_ACTIVE_ADOPTED = "already_adopted"
SUITABILITY_NOT_YET = "suitability_not_yet_valid"
SUITABILITY_EXPIRED = "suitability_expired"
TOO_MANY_CHILDREN = "too_many_children"
SIBLINGS_NOT_ACCEPTED = "siblings_not_accepted"
CHILD_TOO_YOUNG = "child_too_young"
CHILD_TOO_OLD = "child_too_old"
SEX_NOT_WANTED = "sex_not_wanted"
HEALTH_NOT_ACCEPTED = "health_not_accepted"
REGION_NOT_WANTED = "region_not_wanted"
ALREADY_ASKED = "already_asked"

REASON_TEXTS = {
    NOT_ACTIVE_WITHDRAWN: N_("The adopter has withdrawn from the register"),
    NOT_ACTIVE_ADOPTED: N_("The adopter has already adopted"),
    SUITABILITY_NOT_YET: N_("The suitability decision is not yet in force on the day"),
    SUITABILITY_EXPIRED: N_("The suitability decision has expired"),
    TOO_MANY_CHILDREN: N_("More children than the adopter can take"),
    SIBLINGS_NOT_ACCEPTED: N_("The adopter does not accept siblings"),
    CHILD_TOO_YOUNG: N_("A child is younger than the adopter's age range"),
    CHILD_TOO_OLD: N_("A child is older than the adopter's age range"),
    SEX_NOT_WANTED: N_("A child's sex is not the one the adopter wishes"),
    HEALTH_NOT_ACCEPTED: N_("A child's health condition is not accepted by the adopter"),
    REGION_NOT_WANTED: N_("A child lives outside the regions the adopter chose"),
    ALREADY_ASKED: N_("Already proposed this child in this match"),
}


class MatchRequestError(ValueError):
    """The children given cannot be matched as asked (the message is Latvian, for the person)."""


@dataclass(frozen=True)
class ChildFacts:
    """What the rules need of a child card."""

    child_id: int
    birth_date: date
    sex: str  # F | M
    health_conditions: frozenset[str] = frozenset()
    region_code: str | None = None
    # the group's code when the child has siblings in the register
    sibling_group: str | None = None
    # the orphan court decided the siblings are to be adopted together
    siblings_together: bool = False


@dataclass(frozen=True)
class AdopterFacts:
    """What the rules need of an adopter's file."""

    adopter_id: int
    status: str
    registered_on: date
    suitability_from: date
    suitability_until: date  # the last day the decision is in force
    abroad: bool
    children_max: int = 1
    age_min: int = 0  # years, inclusive
    age_max: int = 17  # years, inclusive
    sex_preference: str = ANY_SEX
    siblings_accepted: bool = False
    health_accepted: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()  # empty: any region


@dataclass(frozen=True)
class Ranked:
    adopter_id: int
    rank: int  # 1 = asked first
    abroad: bool
    registered_on: date


@dataclass(frozen=True)
class Excluded:
    adopter_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    eligible: tuple[Ranked, ...] = field(default_factory=tuple)
    excluded: tuple[Excluded, ...] = field(default_factory=tuple)

    @property
    def first(self) -> Ranked | None:
        return self.eligible[0] if self.eligible else None


def age_in_years(birth_date: date, day: date) -> int:
    """Full years on ``day``; a child born on 29 February turns a year older on 1 March."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


Rule = Callable[[Sequence[ChildFacts], AdopterFacts, date], list[str]]


def rule_active(children: Sequence[ChildFacts], adopter: AdopterFacts, day: date) -> list[str]:
    """Only an adopter still in the register (not withdrawn, not adopted already) is asked."""
    if adopter.status == WITHDRAWN:
        return [NOT_ACTIVE_WITHDRAWN]
    if adopter.status == ADOPTED:
        return [NOT_ACTIVE_ADOPTED]
    return []


def rule_suitability_valid(children: Sequence[ChildFacts], adopter: AdopterFacts,
                           day: date) -> list[str]:
    """The orphan court's suitability decision is in force on the day: from its first day to its
    last day (``suitability_until``) inclusive."""
    if day < adopter.suitability_from:
        return [SUITABILITY_NOT_YET]
    if day > adopter.suitability_until:
        return [SUITABILITY_EXPIRED]
    return []


def rule_number_of_children(children: Sequence[ChildFacts], adopter: AdopterFacts,
                            day: date) -> list[str]:
    """A sibling group is proposed whole: the adopter takes at least as many children, and
    accepts siblings when there is more than one child."""
    found = []
    if len(children) > adopter.children_max:
        found.append(TOO_MANY_CHILDREN)
    if len(children) > 1 and not adopter.siblings_accepted:
        found.append(SIBLINGS_NOT_ACCEPTED)
    return found


def rule_age_range(children: Sequence[ChildFacts], adopter: AdopterFacts, day: date) -> list[str]:
    """Every child's age in full years on the day is within the adopter's range, both ends
    included."""
    ages = [age_in_years(child.birth_date, day) for child in children]
    found = []
    if any(age < adopter.age_min for age in ages):
        found.append(CHILD_TOO_YOUNG)
    if any(age > adopter.age_max for age in ages):
        found.append(CHILD_TOO_OLD)
    return found


def rule_sex(children: Sequence[ChildFacts], adopter: AdopterFacts, day: date) -> list[str]:
    """An adopter who wishes a girl (or a boy) is proposed only girls (or boys)."""
    if adopter.sex_preference == ANY_SEX:
        return []
    return [SEX_NOT_WANTED] if any(c.sex != adopter.sex_preference for c in children) else []


def rule_health(children: Sequence[ChildFacts], adopter: AdopterFacts, day: date) -> list[str]:
    """Every health condition of every child is one the adopter said they accept."""
    conditions = frozenset().union(*(child.health_conditions for child in children))
    return [] if conditions <= adopter.health_accepted else [HEALTH_NOT_ACCEPTED]


def rule_region(children: Sequence[ChildFacts], adopter: AdopterFacts, day: date) -> list[str]:
    """An adopter who chose regions is proposed children of those regions; no choice: any."""
    if not adopter.regions:
        return []
    outside = [c for c in children if c.region_code not in adopter.regions]
    return [REGION_NOT_WANTED] if outside else []


RULES: tuple[Rule, ...] = (rule_active, rule_suitability_valid, rule_number_of_children,
                           rule_age_range, rule_sex, rule_health, rule_region)


def queue_position(adopter: AdopterFacts) -> tuple[bool, date, int]:
    """The order adopters are asked in: those living in Latvia before those abroad
    (subsidiarity), then the earlier registration first, then — on the same day — the lower
    register number (``adopter_id``, given in the order files were entered), so the order never
    depends on how the list was read."""
    return (adopter.abroad, adopter.registered_on, adopter.adopter_id)


def check_request(children: Sequence[ChildFacts]) -> None:
    """The children of one match: at least one, each once, and a group whose siblings must be
    adopted together is matched whole (the caller passes the group's other members too)."""
    if not children:
        raise MatchRequestError("Nav norādīts neviens bērns.")
    ids = [child.child_id for child in children]
    if len(set(ids)) != len(ids):
        raise MatchRequestError("Bērns norādīts vairāk nekā vienreiz.")
    groups = {child.sibling_group for child in children if child.sibling_group}
    if len(children) > 1 and (len(groups) != 1 or any(not c.sibling_group for c in children)):
        raise MatchRequestError("Vairākus bērnus var piedāvāt kopā tikai kā vienas ģimenes "
                                "brāļus un māsas.")


def missing_siblings(children: Sequence[ChildFacts],
                     register: Sequence[ChildFacts]) -> list[int]:
    """The siblings (in ``register``, the children free for adoption) that must be matched with
    ``children`` because the court decided they stay together, and are not among them."""
    asked = {child.child_id for child in children}
    together = {c.sibling_group for c in children if c.sibling_group and c.siblings_together}
    return sorted(c.child_id for c in register
                  if c.sibling_group in together and c.child_id not in asked)


def match_adopters(children: Sequence[ChildFacts], adopters: Sequence[AdopterFacts], day: date,
                   already_asked: frozenset[int] = frozenset()) -> MatchResult:
    """The adopters who may be proposed ``children`` on ``day``, ranked by ``queue_position``,
    and every other adopter with all the reasons it is excluded for. ``already_asked`` are the
    adopters this match has proposed the children to before (they are not asked twice)."""
    check_request(children)
    eligible: list[AdopterFacts] = []
    excluded: list[Excluded] = []
    for adopter in sorted(adopters, key=lambda a: a.adopter_id):
        reasons = [reason for rule in RULES for reason in rule(children, adopter, day)]
        if adopter.adopter_id in already_asked:
            reasons.append(ALREADY_ASKED)
        if reasons:
            excluded.append(Excluded(adopter.adopter_id, tuple(reasons)))
        else:
            eligible.append(adopter)
    ranked = tuple(Ranked(a.adopter_id, number, a.abroad, a.registered_on)
                   for number, a in enumerate(sorted(eligible, key=queue_position), start=1))
    return MatchResult(ranked, tuple(excluded))


def answer_due(proposed_on: date) -> date:
    """The last day the adopter may answer a proposal."""
    return proposed_on + timedelta(days=ANSWER_DAYS)


def retention_until(final_on: date) -> date:
    """Until when the archived records of an adoption final on ``final_on`` are kept."""
    try:
        return final_on.replace(year=final_on.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return final_on.replace(year=final_on.year + RETENTION_YEARS, day=28)


def _answer_due(proposed_on: str) -> str:
    return answer_due(date.fromisoformat(proposed_on[:10])).isoformat()


SCRIPT_HELPERS = {"adoption_answer_due": _answer_due}
