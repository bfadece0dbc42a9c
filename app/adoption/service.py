"""The adoption register (P11), written and read. No Flask here.

Every query goes through ``record_filter`` on the row's own scope (record kind ``adoption``,
confidential), so only the adoption register unit (and auditors, read-only) find anything. The
child card is pre-filled from what P9/P10 and the person's file already hold; the match runs as
the process ``p11_adoption_match`` whose steps call ``app.adoption.operations``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import record_kinds
from app.access.scope import ADOPTION_REGISTER, Scope, Viewer, record_filter
from app.db import transaction
from app.db.models import (
    Adopter,
    AdoptionChild,
    AdoptionMatch,
    AdoptionProposal,
    ChildPlacement,
    ChildProtectionDecision,
    Organisation,
    Person,
    ProcessInstance,
)
from app.domain import adoption as rules
from app.engine.runtime import Actor

PROCESS_KEY = "p11_adoption_match"
GROUP = "adoption_register"
# Field level: the biological parents' data on the child card is shown to the unit's supervisors
# only (they prepare the court's papers); caseworkers, auditors and everyone else see that it is
# hidden. See docs/processes/P11.md.
PARENT_DATA_ROLES = frozenset({"supervisor"})
CHILD_STATUSES = ("free", "in_match", "adopted")


class AdoptionError(ValueError):
    """What was asked cannot be done; the message is for the person (Latvian)."""


def scope_columns(person_id: int | None) -> dict[str, Any]:
    """The record scope of every adoption row: the unit's only (confidential)."""
    return {"record_kind": record_kinds.ADOPTION, "confidential": True, "person_id": person_id,
            "municipality_code": None, "institution_code": None, "orphan_court_code": None}


def may_change(viewer: Viewer) -> bool:
    return viewer.organisation_kind == ADOPTION_REGISTER and viewer.works_on_cases


def sees_parents(viewer: Viewer) -> bool:
    return (viewer.organisation_kind == ADOPTION_REGISTER
            and bool(PARENT_DATA_ROLES.intersection(viewer.roles)))


def _require_change(viewer: Viewer) -> None:
    if not may_change(viewer):
        raise AdoptionError("Adopcijas reģistru maina tikai adopcijas reģistra speciālisti.")


# --- the child card -------------------------------------------------------------------------

def prefill_child(session: Session, person_id: int) -> dict[str, Any]:
    """What other processes already know about the child: the person's birth date and sex, the
    orphan court and the institution of the latest P10 decision or P9 placement, the region of
    the child's municipality. Read for the adoption unit from the P9/P10 rows directly (the unit
    does not see those cases; the card keeps only these facts)."""
    person = session.get(Person, person_id)
    if person is None:
        raise AdoptionError("Bērns nav atrasts personu reģistrā.")
    found: dict[str, Any] = {"birth_date": person.birth_date, "sex": person.sex,
                             "deciding_court_code": person.orphan_court_code,
                             "carer_code": person.institution_code, "prefilled_from": "person"}
    decision = session.scalars(select(ChildProtectionDecision).where(
        ChildProtectionDecision.person_id == person_id, ChildProtectionDecision.kind == "SEPARATION")
        .order_by(ChildProtectionDecision.decision_date.desc())).first()
    if decision is not None:
        found.update(deciding_court_code=decision.orphan_court_code or found["deciding_court_code"],
                     carer_code=decision.placed_institution_code or found["carer_code"],
                     prefilled_from=f"p10:{decision.npais_decision_id}")
    placement = session.execute(select(ProcessInstance.id, ProcessInstance.institution_code,
                                       ProcessInstance.orphan_court_code).join(
        ChildPlacement, ChildPlacement.instance_id == ProcessInstance.id).where(
        ProcessInstance.person_id == person_id, ChildPlacement.end_date.is_(None))
        .order_by(ChildPlacement.placement_date.desc())).first()
    if placement is not None:
        found.update(carer_code=placement.institution_code or found["carer_code"],
                     deciding_court_code=found["deciding_court_code"] or placement.orphan_court_code,
                     prefilled_from=found["prefilled_from"] + f",p9:{placement.id}")
    region = session.scalar(select(Organisation.region_code).where(
        Organisation.code == person.municipality_code)) if person.municipality_code else None
    found["region_code"] = region
    carer = found["carer_code"]
    found["carer_name"] = (session.scalar(select(Organisation.name_lv).where(
        Organisation.code == carer)) if carer else None) or ""
    return found


def register_child(session: Session, viewer: Viewer, *, person_id: int,
                   free_for_adoption_on: date, sibling_group: str | None = None,
                   siblings_together: bool = False, health_conditions: Sequence[str] = (),
                   health_notes: str = "", special_needs: str = "", parents_info: str = "",
                   carer_name: str | None = None) -> AdoptionChild:
    """A child card, pre-filled from the person's file, P9 and P10."""
    _require_change(viewer)
    known = prefill_child(session, person_id)
    if known["birth_date"] is None or known["sex"] not in rules.SEXES:
        raise AdoptionError("Bērna dzimšanas datums vai dzimums nav zināms: papildiniet personas "
                            "datus.")
    if free_for_adoption_on < known["birth_date"]:
        raise AdoptionError("Adopcijas brīvības datums nevar būt pirms dzimšanas.")
    unknown = sorted(set(health_conditions) - set(rules.HEALTH_CONDITIONS))
    if unknown:
        raise AdoptionError(f"Nezināms veselības stāvoklis: {', '.join(unknown)}")
    existing = session.scalar(select(AdoptionChild.id).where(
        AdoptionChild.person_id == person_id, AdoptionChild.archived_on.is_(None)))
    if existing is not None:
        raise AdoptionError("Bērnam jau ir aktīva kartīte adopcijas reģistrā.")
    card = AdoptionChild(
        birth_date=known["birth_date"], sex=known["sex"], sibling_group=sibling_group or None,
        siblings_together=bool(sibling_group) and siblings_together,
        health_conditions=list(health_conditions), health_notes=health_notes,
        special_needs=special_needs, deciding_court_code=known["deciding_court_code"],
        free_for_adoption_on=free_for_adoption_on, carer_code=known["carer_code"],
        carer_name=carer_name if carer_name is not None else known["carer_name"],
        region_code=known["region_code"], parents_info=parents_info,
        prefilled_from=known["prefilled_from"], status="free", created_by=viewer.username,
        **scope_columns(person_id))
    session.add(card)
    session.flush()
    return card


def register_adopter(session: Session, viewer: Viewer, *, applicants: Sequence[dict[str, str]],
                     suitability_court_code: str, suitability_decision_on: date,
                     suitability_until: date, registered_on: date, children_max: int = 1,
                     age_min: int = 0, age_max: int = 17, sex_preference: str = rules.ANY_SEX,
                     siblings_accepted: bool = False, health_accepted: Sequence[str] = (),
                     regions: Sequence[str] = (), abroad: bool = False, country: str = "LV",
                     address: str = "", phone: str = "", email: str = "") -> Adopter:
    _require_change(viewer)
    if not 1 <= len(applicants) <= 2:
        raise AdoptionError("Adoptētājs ir viena persona vai laulāts pāris.")
    if suitability_until < suitability_decision_on:
        raise AdoptionError("Lēmuma derīguma termiņš nevar būt pirms lēmuma datuma.")
    if not 0 <= age_min <= age_max <= 17:
        raise AdoptionError("Vecuma robežas: no 0 līdz 17 gadiem, apakšējā ne lielāka par augšējo.")
    if children_max < 1:
        raise AdoptionError("Bērnu skaitam jābūt vismaz 1.")
    if sex_preference not in (rules.ANY_SEX, *rules.SEXES):
        raise AdoptionError("Nezināma dzimuma izvēle.")
    adopter = Adopter(
        kind="couple" if len(applicants) == 2 else "single",
        applicants=[dict(a) for a in applicants], suitability_court_code=suitability_court_code,
        suitability_decision_on=suitability_decision_on, suitability_until=suitability_until,
        registered_on=registered_on, children_max=children_max, age_min=age_min, age_max=age_max,
        sex_preference=sex_preference, siblings_accepted=siblings_accepted,
        health_accepted=list(health_accepted), regions=list(regions), abroad=abroad,
        country=country, address=address, phone=phone, email=email, status=rules.ACTIVE,
        created_by=viewer.username, **scope_columns(None))
    session.add(adopter)
    session.flush()
    return adopter


def renew_suitability(session: Session, viewer: Viewer, adopter: Adopter, *, renewed_on: date,
                      until: date) -> None:
    _require_change(viewer)
    _not_archived(adopter)
    if until < renewed_on:
        raise AdoptionError("Lēmuma derīguma termiņš nevar būt pirms atjaunošanas datuma.")
    adopter.renewed_on, adopter.suitability_until = renewed_on, until


def withdraw(session: Session, viewer: Viewer, adopter: Adopter, on: date,
             reason: str) -> None:
    _require_change(viewer)
    _not_archived(adopter)
    if adopter.status != rules.ACTIVE:
        raise AdoptionError("Adoptētājs vairs nav reģistrā.")
    if on < adopter.registered_on:
        raise AdoptionError("Atteikšanās datums nevar būt pirms reģistrācijas.")
    if not reason.strip():
        raise AdoptionError("Norādiet atteikšanās iemeslu.")
    adopter.status, adopter.withdrawn_on = rules.WITHDRAWN, on
    adopter.withdrawal_reason = reason.strip()


def _not_archived(row: Any) -> None:
    if row.archived_on is not None:
        raise AdoptionError("Ieraksts ir arhivēts, to vairs nevar mainīt.")


# --- reading, always in scope ---------------------------------------------------------------

def children(session: Session, viewer: Viewer, *, archived: bool = False) -> list[AdoptionChild]:
    query = select(AdoptionChild).where(record_filter(viewer, AdoptionChild),
                                        AdoptionChild.archived_on.isnot(None) if archived
                                        else AdoptionChild.archived_on.is_(None))
    return list(session.scalars(query.order_by(AdoptionChild.free_for_adoption_on,
                                               AdoptionChild.id)))


def adopters(session: Session, viewer: Viewer, *, archived: bool = False) -> list[Adopter]:
    query = select(Adopter).where(record_filter(viewer, Adopter),
                                  Adopter.archived_on.isnot(None) if archived
                                  else Adopter.archived_on.is_(None))
    return list(session.scalars(query.order_by(Adopter.abroad, Adopter.registered_on, Adopter.id)))


def children_of_person(session: Session, viewer: Viewer, person_id: int) -> list[AdoptionChild]:
    """The person's active card, if any (one at a time)."""
    return list(session.scalars(select(AdoptionChild).where(
        AdoptionChild.person_id == person_id, AdoptionChild.archived_on.is_(None),
        record_filter(viewer, AdoptionChild))))


def child(session: Session, viewer: Viewer, child_id: int) -> AdoptionChild | None:
    return session.scalars(select(AdoptionChild).where(
        AdoptionChild.id == child_id, record_filter(viewer, AdoptionChild))).first()


def adopter(session: Session, viewer: Viewer, adopter_id: int) -> Adopter | None:
    return session.scalars(select(Adopter).where(
        Adopter.id == adopter_id, record_filter(viewer, Adopter))).first()


def match(session: Session, viewer: Viewer, match_id: int) -> AdoptionMatch | None:
    return session.scalars(select(AdoptionMatch).where(
        AdoptionMatch.id == match_id, record_filter(viewer, AdoptionMatch))).first()


def matches(session: Session, viewer: Viewer, *, archived: bool = False) -> list[AdoptionMatch]:
    return list(session.scalars(select(AdoptionMatch).where(
        record_filter(viewer, AdoptionMatch), AdoptionMatch.archived_on.isnot(None) if archived
        else AdoptionMatch.archived_on.is_(None)).order_by(AdoptionMatch.id.desc())))


def proposals_of(session: Session, match_id: int) -> list[AdoptionProposal]:
    return list(session.scalars(select(AdoptionProposal).where(
        AdoptionProposal.match_id == match_id).order_by(AdoptionProposal.number)))


def persons_of(session: Session, cards: Sequence[AdoptionChild]) -> dict[int, Person]:
    """The children's persons, read through their cards (which the caller found in scope)."""
    ids = {card.person_id for card in cards if card.person_id is not None}
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}


def adopter_name(row: Adopter) -> str:
    return " un ".join(f"{a.get('given_name', '')} {a.get('family_name', '')}".strip()
                       for a in row.applicants)


# --- the match ------------------------------------------------------------------------------

def child_facts(card: AdoptionChild) -> rules.ChildFacts:
    return rules.ChildFacts(card.id, card.birth_date, card.sex,
                            frozenset(card.health_conditions or ()), card.region_code,
                            card.sibling_group, card.siblings_together)


def adopter_facts(row: Adopter) -> rules.AdopterFacts:
    start = row.renewed_on or row.suitability_decision_on
    return rules.AdopterFacts(
        adopter_id=row.id, status=row.status, registered_on=row.registered_on,
        suitability_from=min(start, row.suitability_decision_on),
        suitability_until=row.suitability_until, abroad=row.abroad,
        children_max=row.children_max, age_min=row.age_min, age_max=row.age_max,
        sex_preference=row.sex_preference, siblings_accepted=row.siblings_accepted,
        health_accepted=frozenset(row.health_accepted or ()),
        regions=frozenset(row.regions or ()))


def compute(session: Session, found: AdoptionMatch, day: date) -> rules.MatchResult:
    """Run the matching rules for the match's children on ``day`` against every adopter of the
    register not archived, leaving out those this match has asked before; store the result."""
    cards = [session.get(AdoptionChild, child_id) for child_id in found.child_ids]
    if any(card is None for card in cards):
        raise AdoptionError("Kāds no bērniem vairs nav reģistrā.")
    everyone = list(session.scalars(select(Adopter).where(Adopter.archived_on.is_(None))))
    asked = frozenset(session.scalars(select(AdoptionProposal.adopter_id).where(
        AdoptionProposal.match_id == found.id)))
    result = rules.match_adopters([child_facts(c) for c in cards if c is not None], [
        adopter_facts(a) for a in everyone], day, asked)
    found.computed_on = day
    found.ranked = [{"adopter_id": r.adopter_id, "rank": r.rank, "abroad": r.abroad,
                     "registered_on": r.registered_on.isoformat()} for r in result.eligible]
    found.excluded = [{"adopter_id": e.adopter_id, "reasons": list(e.reasons)}
                      for e in result.excluded]
    return result


@dataclass
class StartedMatch:
    match_id: int
    instance_id: int


def start_match(services: Any, viewer: Viewer, child_ids: Sequence[int], today: date) -> StartedMatch:
    """A specialist starts the search of an adopter for a child or a sibling group."""
    _require_change(viewer)
    with transaction(services.sessions) as session:
        cards = [child(session, viewer, child_id) for child_id in child_ids]
        if not cards or any(card is None for card in cards):
            raise AdoptionError("Bērns nav atrasts adopcijas reģistrā.")
        found_cards = [card for card in cards if card is not None]
        if any(card.status != "free" or card.archived_on for card in found_cards):
            raise AdoptionError("Bērnam jau notiek adoptētāja meklēšana vai adopcija ir "
                                "pabeigta.")
        register = [child_facts(c) for c in session.scalars(select(AdoptionChild).where(
            AdoptionChild.archived_on.is_(None)))]
        missing = rules.missing_siblings([child_facts(c) for c in found_cards], register)
        if missing:
            raise AdoptionError("Bāriņtiesa nolēmusi brāļus un māsas adoptēt kopā: meklējiet "
                                "adoptētāju visai grupai.")
        try:
            rules.check_request([child_facts(c) for c in found_cards])
        except rules.MatchRequestError as err:
            raise AdoptionError(str(err)) from None
        first_person = found_cards[0].person_id
        row = AdoptionMatch(child_ids=[c.id for c in found_cards], started_on=today,
                            started_by=viewer.username, status="searching",
                            **scope_columns(first_person))
        session.add(row)
        session.flush()
        for card in found_cards:
            card.status = "in_match"
        match_id = row.id
    case_number = f"P11-{today.year}-{match_id:05d}"
    scope = Scope.for_process(PROCESS_KEY, person_id=first_person)
    instance_id: int = services.engine.start(
        PROCESS_KEY, {"match_id": match_id, "case_number": case_number,
                      "children_count": len(child_ids)},
        business_key=case_number, actor=Actor(viewer.username, frozenset(viewer.groups)),
        scope=scope)
    with transaction(services.sessions) as session:
        stored = session.get(AdoptionMatch, match_id)
        assert stored is not None
        if stored.instance_id is None:
            stored.instance_id = instance_id
    return StartedMatch(match_id, instance_id)


def archive_adoption(session: Session, found: AdoptionMatch, final_on: date) -> None:
    """The adoption is final: the children and the adopter are adopted, and the match, its
    proposals, the children's cards and the adopter's file are archived (read-only, gone from
    the active lists) with the day they may be destroyed."""
    keep_until = rules.retention_until(final_on)
    found.status, found.final_on, found.ended_on = "final", final_on, final_on
    rows: list[Any] = [found, *proposals_of(session, found.id)]
    for child_id in found.child_ids:
        card = session.get(AdoptionChild, child_id)
        if card is not None:
            card.status = "adopted"
            rows.append(card)
    if found.adopter_id is not None:
        chosen = session.get(Adopter, found.adopter_id)
        if chosen is not None:
            chosen.status = rules.ADOPTED
            rows.append(chosen)
    for row in rows:
        if row.archived_on is None:
            row.archived_on, row.retention_until = final_on, keep_until


def close_without_adopter(session: Session, found: AdoptionMatch, day: date) -> None:
    """No adopter is left: the match ends and the children are free to be matched again."""
    found.status, found.ended_on, found.adopter_id = "no_adopter", day, None
    for child_id in found.child_ids:
        card = session.get(AdoptionChild, child_id)
        if card is not None and card.status == "in_match":
            card.status = "free"


def organisation_names(session: Session, codes: Sequence[str | None]) -> dict[str, str]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {row.code: row.name_lv for row in session.scalars(
        select(Organisation).where(Organisation.code.in_(wanted)))}


# --- the unit's forms ---------------------------------------------------------------------

def find_person(session: Session, personal_code: str) -> Person | None:
    """The child in DI Case by the exact personal code from the orphan court's decision. The
    unit does not browse other organisations' persons; the caller logs the look."""
    return session.scalars(select(Person).where(Person.personal_code == personal_code)).first()


def organisations_of(session: Session, kind: str) -> list[tuple[str, str]]:
    """(code, Latvian name) of the active organisations of one kind, for the forms' lists."""
    return [(row.code, row.name_lv) for row in session.scalars(
        select(Organisation).where(Organisation.kind == kind, Organisation.active.is_(True))
        .order_by(Organisation.name_lv))]


def planning_regions(session: Session) -> list[tuple[str, str]]:
    return organisations_of(session, "planning_region")


CARD_FIELDS = ("sibling_group", "siblings_together", "health_conditions", "health_notes",
               "special_needs", "deciding_court_code", "free_for_adoption_on", "carer_code",
               "carer_name")


def update_child(session: Session, viewer: Viewer, card: AdoptionChild,
                 values: dict[str, Any]) -> None:
    """Correct or complete a child card. The parents' data is changed only by the roles that
    see it; the sibling grouping does not change while the child is in a match (the match was
    started for that group)."""
    _require_change(viewer)
    _not_archived(card)
    group = values.get("sibling_group") or None
    together = bool(group) and bool(values.get("siblings_together"))
    if card.status == "in_match" and (group != card.sibling_group
                                      or together != card.siblings_together):
        raise AdoptionError("Kamēr bērnam notiek adoptētāja meklēšana, brāļu un māsu grupu "
                            "mainīt nevar.")
    free_on = values.get("free_for_adoption_on")
    if free_on is not None and free_on < card.birth_date:
        raise AdoptionError("Adopcijas brīvības datums nevar būt pirms dzimšanas.")
    unknown = sorted(set(values.get("health_conditions") or ()) - set(rules.HEALTH_CONDITIONS))
    if unknown:
        raise AdoptionError(f"Nezināms veselības stāvoklis: {', '.join(unknown)}")
    for name in CARD_FIELDS:
        if name in values:
            setattr(card, name, values[name])
    card.sibling_group, card.siblings_together = group, together
    if "health_conditions" in values:
        card.health_conditions = sorted(set(values["health_conditions"] or ()))
    if "parents_info" in values and sees_parents(viewer):
        card.parents_info = values["parents_info"]
    if "carer_code" in values and "carer_name" not in values:
        card.carer_name = ""


ADOPTER_FIELDS = ("children_max", "age_min", "age_max", "sex_preference", "siblings_accepted",
                  "health_accepted", "regions", "abroad", "country", "address", "phone", "email")


def update_adopter(session: Session, viewer: Viewer, row: Adopter,
                   values: dict[str, Any]) -> None:
    """Change the preferences, the residence or the contact details of an adopter in the
    register. The suitability decision changes only by a renewal; the registration date never
    (it is the adopter's place in the queue)."""
    _require_change(viewer)
    _not_archived(row)
    if row.status != rules.ACTIVE:
        raise AdoptionError("Adoptētājs vairs nav reģistrā: datus mainīt nevar.")
    low, high = values.get("age_min", row.age_min), values.get("age_max", row.age_max)
    if not 0 <= low <= high <= 17:
        raise AdoptionError("Vecuma robežas: no 0 līdz 17 gadiem, apakšējā ne lielāka par augšējo.")
    if values.get("children_max", row.children_max) < 1:
        raise AdoptionError("Bērnu skaitam jābūt vismaz 1.")
    if values.get("sex_preference", row.sex_preference) not in (rules.ANY_SEX, *rules.SEXES):
        raise AdoptionError("Nezināma dzimuma izvēle.")
    for name in ADOPTER_FIELDS:
        if name in values:
            setattr(row, name, list(values[name]) if isinstance(values[name], list)
                    else values[name])
