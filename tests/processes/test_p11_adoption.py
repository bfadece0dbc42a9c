"""P11 end to end through the real engine, job runner, timers, the outbox and the VDEĀVK
simulator over HTTP: a match for a child proposes to the first adopter in the register's order;
a refusal and a silence past the answer deadline move on to the next adopter with the reason
recorded; acceptance, getting to know and the court's approval end in a final adoption whose
records are archived; with no adopter left the specialist is told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.adoption import service
from app.db import transaction
from app.db.models import (
    Adopter,
    AdoptionChild,
    AdoptionMatch,
    AdoptionProposal,
    CaseDocument,
    HumanTask,
    Incident,
    OutboxMessage,
    Person,
    ProcessInstance,
    Timer,
)
from app.domain import adoption as rules
from app.domain.calendar import today_in_latvia
from app.out_of_family_care import service as p9
from app.services import Services
from tests.adoption.helpers import complete, make_adopter, make_child, open_task, run_all, unit
from tests.engine.helpers import deploy_processes


@pytest.fixture
def p11(services: Services) -> Services:
    deploy_processes(services)
    return services


def start(services: Services, *child_ids: int) -> tuple[int, int]:
    with services.sessions() as session:
        viewer = unit(session)
    started = service.start_match(services, viewer, list(child_ids), today_in_latvia())
    run_all(services)
    with services.sessions() as session:
        assert [i.message for i in session.scalars(select(Incident))] == []
    return started.match_id, started.instance_id


def test_refusal_and_silence_move_on_and_acceptance_ends_in_an_archived_adoption(
        p11: Services) -> None:
    today = today_in_latvia()
    child = make_child(p11, 5, born=today - timedelta(days=3 * 365), given="Elza")
    first = make_adopter(p11, "Anna", registered_days_ago=700)
    second = make_adopter(p11, "Baiba", registered_days_ago=500)
    abroad = make_adopter(p11, "Clara", registered_days_ago=900, abroad=True)
    expired = make_adopter(p11, "Dace", registered_days_ago=1000, valid_days=-1)
    match_id, iid = start(p11, child)

    with p11.sessions() as session:
        row = session.get(AdoptionMatch, match_id)
        assert row is not None and row.instance_id == iid
        assert [r["adopter_id"] for r in row.ranked] == [first, second, abroad]
        assert {"adopter_id": expired, "reasons": [rules.SUITABILITY_EXPIRED]} in row.excluded
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        assert (instance.record_kind, instance.confidential) == ("adoption", True)
        card = session.get(AdoptionChild, child)
        assert card is not None and card.disability_checked_on == today
        assert card.disability_found is False and card.status == "in_match"

    # 1: the first adopter refuses
    complete(p11, iid, "propose_child", {"proposed_on": today.isoformat()})
    with p11.sessions() as session:
        [letter] = session.scalars(select(CaseDocument).where(
            CaseDocument.instance_id == iid)).all()
        assert letter.kind == "adoption_proposal" and letter.confidential
        [mail] = session.scalars(select(OutboxMessage).where(
            OutboxMessage.instance_id == iid)).all()
        assert (mail.channel, mail.address) == ("email", "anna@adopters.example")
        assert mail.confidential and mail.record_kind == "adoption"
        # no child's identity leaves by e-mail
        assert "Elza" not in mail.text + mail.subject and "Bērns5" not in mail.text
    task = open_task(p11, iid)
    assert task is not None and task.element_id == "record_answer"
    assert task.due_at is not None and task.candidate_groups == "adoption_register"
    complete(p11, iid, "record_answer", {"answer": "REFUSED", "answered_on": today.isoformat(),
                                         "reason": "Vēlas jaunāku bērnu."})

    # 2: the second adopter is proposed 31 days ago and does not answer
    with p11.sessions() as session:
        row = session.get(AdoptionMatch, match_id)
        assert row is not None and [r["adopter_id"] for r in row.ranked] == [second, abroad]
    complete(p11, iid, "propose_child",
             {"proposed_on": (today - timedelta(days=rules.ANSWER_DAYS + 1)).isoformat()})
    run_all(p11)  # the deadline has passed: the boundary timer fires

    # 3: the adopter abroad is last; accepts, gets to know the child, the court approves
    complete(p11, iid, "propose_child", {"proposed_on": today.isoformat()})
    complete(p11, iid, "record_answer", {"answer": "ACCEPTED", "answered_on": today.isoformat(),
                                         "reason": "Piekrīt."})
    complete(p11, iid, "getting_to_know", {
        "meeting_from": today.isoformat(), "meeting_until": today.isoformat(),
        "getting_to_know_outcome": "CONTINUE", "getting_to_know_notes": "Labi."})
    complete(p11, iid, "court_decision", {
        "court_outcome": "APPROVED", "court_decision_on": today.isoformat(),
        "court_reference": "C-2026-17", "court_reason": "Adopcija bērna interesēs."})

    assert open_task(p11, iid) is None
    with p11.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "completed"
        proposals = session.scalars(select(AdoptionProposal).where(
            AdoptionProposal.match_id == match_id).order_by(AdoptionProposal.number)).all()
        assert [(p.adopter_id, p.answer) for p in proposals] == [
            (first, "REFUSED"), (second, "NO_ANSWER"), (abroad, "ACCEPTED")]
        assert proposals[0].reason == "Vēlas jaunāku bērnu."
        assert proposals[1].reason == "Atbilde termiņā nav saņemta."
        assert proposals[2].court_reference == "C-2026-17"
        row = session.get(AdoptionMatch, match_id)
        card = session.get(AdoptionChild, child)
        chosen = session.get(Adopter, abroad)
        assert row is not None and card is not None and chosen is not None
        keep = rules.retention_until(today)
        assert (row.status, row.final_on, row.retention_until) == ("final", today, keep)
        assert (card.status, card.archived_on, card.retention_until) == ("adopted", today, keep)
        assert (chosen.status, chosen.archived_on) == (rules.ADOPTED, today)
        viewer = unit(session)
        assert child not in [c.id for c in service.children(session, viewer)]
        assert child in [c.id for c in service.children(session, viewer, archived=True)]
        assert abroad not in [a.id for a in service.adopters(session, viewer)]
        assert session.scalars(select(Timer).where(Timer.instance_id == iid,
                                                   Timer.status == "waiting")).all() == []


def test_no_adopter_left_tells_the_specialist_and_frees_the_child(p11: Services) -> None:
    today = today_in_latvia()
    child = make_child(p11, 15, born=today - timedelta(days=5 * 365),
                       health_conditions=["chronic_illness"])
    make_adopter(p11, "Anna")  # accepts no health conditions
    match_id, iid = start(p11, child)
    task = open_task(p11, iid)
    assert task is not None and task.element_id == "no_adopter_left"
    complete(p11, iid, "no_adopter_left", {})
    with p11.sessions() as session:
        row = session.get(AdoptionMatch, match_id)
        card = session.get(AdoptionChild, child)
        assert row is not None and card is not None
        assert row.status == "no_adopter" and card.status == "free" and row.archived_on is None
        assert row.excluded[0]["reasons"] == [rules.HEALTH_NOT_ACCEPTED]
        assert session.get(ProcessInstance, iid).status == "completed"  # type: ignore[union-attr]


def test_getting_to_know_stopped_moves_to_the_next_adopter(p11: Services) -> None:
    today = today_in_latvia()
    child = make_child(p11, 25, born=today - timedelta(days=2 * 365))
    first = make_adopter(p11, "Anna", registered_days_ago=700)
    second = make_adopter(p11, "Baiba", registered_days_ago=500)
    match_id, iid = start(p11, child)
    complete(p11, iid, "propose_child", {"proposed_on": today.isoformat()})
    complete(p11, iid, "record_answer", {"answer": "ACCEPTED", "answered_on": today.isoformat(),
                                         "reason": "Piekrīt."})
    complete(p11, iid, "getting_to_know", {
        "meeting_from": today.isoformat(), "meeting_until": today.isoformat(),
        "getting_to_know_outcome": "STOP", "getting_to_know_notes": "Kontakts neizveidojās."})
    task = open_task(p11, iid)
    assert task is not None and task.element_id == "propose_child"
    with p11.sessions() as session:
        row = session.get(AdoptionMatch, match_id)
        assert row is not None and [r["adopter_id"] for r in row.ranked] == [second]
        [done] = service.proposals_of(session, match_id)
        assert (done.adopter_id, done.answer, done.reason) == (
            first, "NOT_COMPLETED", "Kontakts neizveidojās.")


def test_the_card_is_prefilled_from_p9_and_vdeavk(p11: Services) -> None:
    today = today_in_latvia()
    with transaction(p11.sessions) as session:
        from app.access.scope import viewer_of
        from app.cases.service import register_person
        from app.demo import valid_personal_code

        staff = viewer_of(session, "inese", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = register_person(session, staff, given_name="Marta", family_name="Ozola",
                                 personal_code=valid_personal_code(1),
                                 birth_date=today - timedelta(days=4 * 365), sex="F",
                                 municipality_code="RIGA", institution_code="VSAC-RIGA")
        session.flush()
        person_id = person.id
    from app.engine.runtime import Actor

    p9.start_placement(p11, person_id=person_id, placement_date=today - timedelta(days=30),
                       institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                       actor=Actor("inese", frozenset({"institution"})))
    run_all(p11)
    with transaction(p11.sessions) as session:
        card = service.register_child(session, unit(session), person_id=person_id,
                                      free_for_adoption_on=today - timedelta(days=3))
        assert (card.birth_date, card.sex) == (today - timedelta(days=4 * 365), "F")
        assert (card.deciding_court_code, card.carer_code) == ("RIGA-BT", "VSAC-RIGA")
        assert card.region_code == "PR-RIGA" and "p9:" in card.prefilled_from
        assert card.carer_name == "VSAC «Rīga»"
        child = card.id
        # the P9 case stays the institution's and orphan court's: not confidential
        assert not session.get(Person, person_id).confidential  # type: ignore[union-attr]
    make_adopter(p11, "Anna")
    start(p11, child)
    with p11.sessions() as session:
        card = session.get(AdoptionChild, child)
        assert card is not None and card.disability_found is True
        assert card.disability_opinion_number == "VDEAVK-2025-00001"
        assert {"disability", "special_care"} <= set(card.health_conditions)


def test_siblings_to_be_adopted_together_are_matched_as_one_group(p11: Services) -> None:
    today = today_in_latvia()
    older = make_child(p11, 35, born=today - timedelta(days=6 * 365), sibling_group="S-1",
                       siblings_together=True)
    younger = make_child(p11, 45, born=today - timedelta(days=3 * 365), sex="M",
                         sibling_group="S-1", siblings_together=True)
    make_adopter(p11, "Anna", registered_days_ago=900)  # one child only
    both = make_adopter(p11, "Baiba", children_max=2, siblings_accepted=True)
    with p11.sessions() as session:
        viewer = unit(session)
    with pytest.raises(service.AdoptionError):
        service.start_match(p11, viewer, [older], today)
    match_id, iid = start(p11, older, younger)
    with p11.sessions() as session:
        row = session.get(AdoptionMatch, match_id)
        assert row is not None and [r["adopter_id"] for r in row.ranked] == [both]
    task = open_task(p11, iid)
    assert task is not None and task.element_id == "propose_child"
    with p11.sessions() as session:
        assert session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)).one()
