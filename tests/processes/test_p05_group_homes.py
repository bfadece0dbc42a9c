"""P5, group homes, end to end: the real engine and job runner, the SOPA simulator over HTTP,
stays in the table, the monthly report's PDF read back with pypdf and its CSV."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from app.access.scope import Viewer, record_filter, viewer_of
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import CaseDocument, GroupHomeStay, HumanTask, Job, Person, ProcessInstance
from app.demo import valid_personal_code
from app.engine.errors import NotYourTask
from app.engine.runtime import Actor
from app.group_homes import service
from app.services import Services
from tests.engine.helpers import deploy_processes
from workers.jobs import run_due_jobs

RIGA_SOCIAL = Actor("soc", frozenset({"social_service"}))
JELGAVA_SOCIAL = Actor("jelgava", frozenset({"social_service"}))
MINISTRY = Actor("ministrija", frozenset({"ministry"}))


def run_jobs(services: Services) -> list[Job]:
    while run_due_jobs(services, "w1"):
        pass
    with services.sessions() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def social_worker(session: Any, municipality: str) -> Viewer:
    return viewer_of(session, f"soc-{municipality}", ["caseworker"], ["social_service"],
                     municipality)


def register(services: Services, seed: int, municipality: str = "RIGA") -> int:
    with transaction(services.sessions) as session:
        person = register_person(session, social_worker(session, municipality),
                                 given_name="Pēteris", family_name=f"Ozoliņš{seed}",
                                 personal_code=valid_personal_code(seed),
                                 municipality_code=municipality)
        return person.id


def start(services: Services, person_id: int, case_number: str,
          municipality: str = "RIGA") -> int:
    with services.sessions() as session:
        return start_process_for(services.engine, session, social_worker(session, municipality),
                                 person_id, service.PLACEMENT_PROCESS, {"case_number": case_number},
                                 business_key=case_number)


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def data_of(services: Services, iid: int) -> dict[str, Any]:
    return services.engine.task_data(open_task(services, iid).id)


def stays(services: Services, iid: int) -> list[GroupHomeStay]:
    with services.sessions() as session:
        return service.stay_history(session, [iid])


def place(services: Services, seed: int, home: str, day: str, case: str) -> int:
    iid = start(services, register(services, seed), case)
    services.engine.complete_task(open_task(services, iid).id, RIGA_SOCIAL,
                                  {"group_home_code": home, "start_date": day})
    run_jobs(services)
    return iid


def sopa_notices(simulators: dict[str, Any]) -> list[dict[str, Any]]:
    url = simulators["sopa"].url
    return requests.get(f"{url}/_control/received/notices", timeout=5).json()  # type: ignore[no-any-return]


def test_placement_transfer_to_another_municipality_and_end(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    iid = place(services, 63, "GM-RIGA-1", "2026-01-05", "P5-T-1")
    [stay] = stays(services, iid)
    assert (stay.group_home_code, stay.start_date, stay.end_date) == ("GM-RIGA-1",
                                                                      date(2026, 1, 5), None)
    task = open_task(services, iid)
    assert (task.element_id, task.municipality_code) == ("group_home_stay", "RIGA")
    [placed] = sopa_notices(simulators)
    assert placed["change"] == "GROUP_HOME_PLACEMENT" and placed["municipality_codes"] == ["RIGA"]

    services.engine.complete_task(task.id, RIGA_SOCIAL, {
        "stay_action": "TRANSFER", "target_group_home_code": "GM-JELGAVA-1",
        "transfer_date": "2026-03-01", "transfer_reason": "Tuvāk ģimenei"})
    run_jobs(services)
    review = open_task(services, iid)
    # The receiving municipality decides: the task is in Jelgava's scope, not Riga's.
    assert (review.element_id, review.municipality_code) == ("accept_transfer", "JELGAVA")
    with services.sessions() as session:
        riga_sees = session.scalars(select(HumanTask.id).where(
            HumanTask.id == review.id, record_filter(social_worker(session, "RIGA"), HumanTask))).all()
        jelgava_sees = session.scalars(select(HumanTask.id).where(
            HumanTask.id == review.id, record_filter(social_worker(session, "JELGAVA"), HumanTask))).all()
    assert (riga_sees, jelgava_sees) == ([], [review.id])
    services.engine.complete_task(review.id, JELGAVA_SOCIAL, {"transfer_accepted_by_receiver": True})
    run_jobs(services)

    first, second = stays(services, iid)
    assert (first.end_date, first.end_reason, first.transferred_to_id) == (
        date(2026, 2, 28), "TRANSFERRED", second.id)
    assert (second.group_home_code, second.start_date, second.municipality_code) == (
        "GM-JELGAVA-1", date(2026, 3, 1), "JELGAVA")
    transfer = sopa_notices(simulators)[-1]
    assert transfer["change"] == "GROUP_HOME_TRANSFER"
    assert transfer["municipality_codes"] == ["RIGA", "JELGAVA"]
    assert (transfer["from_group_home"], transfer["to_group_home"]) == ("GM-RIGA-1", "GM-JELGAVA-1")
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.municipality_code == "JELGAVA"
        person = session.get(Person, instance.person_id)
        assert person is not None and person.municipality_code == "JELGAVA"

    stay_task = open_task(services, iid)
    assert (stay_task.element_id, stay_task.municipality_code) == ("group_home_stay", "JELGAVA")
    services.engine.complete_task(stay_task.id, JELGAVA_SOCIAL,
                                  {"stay_action": "END", "end_date": "2026-06-30"})
    run_jobs(services)
    assert stays(services, iid)[-1].end_reason == "ENDED"
    assert stays(services, iid)[-1].end_date == date(2026, 6, 30)
    assert sopa_notices(simulators)[-1]["change"] == "GROUP_HOME_END"
    assert sopa_notices(simulators)[-1]["municipality_codes"] == ["JELGAVA"]
    with services.sessions() as session:
        assert session.get(ProcessInstance, iid).status == "completed"  # type: ignore[union-attr]


def test_a_full_home_sends_the_placement_back_with_the_reason(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    place(services, 64, "GM-RIGA-3", "2026-01-01", "P5-T-2")
    place(services, 65, "GM-RIGA-3", "2026-01-02", "P5-T-3")
    third = place(services, 66, "GM-RIGA-3", "2026-01-03", "P5-T-4")  # capacity 2
    assert open_task(services, third).element_id == "place_person"
    assert "nav brīvu vietu" in data_of(services, third)["placement"]["reason"]
    assert stays(services, third) == []
    # Another home of the municipality has room.
    services.engine.complete_task(open_task(services, third).id, RIGA_SOCIAL,
                                  {"group_home_code": "GM-RIGA-2", "start_date": "2026-01-03"})
    run_jobs(services)
    assert [s.group_home_code for s in stays(services, third)] == ["GM-RIGA-2"]


def test_a_refused_transfer_returns_the_case_and_keeps_the_stay(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    iid = place(services, 67, "GM-RIGA-1", "2026-01-05", "P5-T-5")
    services.engine.complete_task(open_task(services, iid).id, RIGA_SOCIAL, {
        "stay_action": "TRANSFER", "target_group_home_code": "GM-JELGAVA-2",
        "transfer_date": "2026-02-01"})
    run_jobs(services)
    review = open_task(services, iid)
    with pytest.raises(NotYourTask):
        services.engine.complete_task(review.id, MINISTRY, {"transfer_accepted_by_receiver": True})
    services.engine.complete_task(review.id, JELGAVA_SOCIAL, {
        "transfer_accepted_by_receiver": False, "refusal_reason": "Nav piemērotas vietas"})
    run_jobs(services)
    back = open_task(services, iid)
    assert (back.element_id, back.municipality_code) == ("group_home_stay", "RIGA")
    [stay] = stays(services, iid)
    assert stay.end_date is None and stay.group_home_code == "GM-RIGA-1"
    assert [n["change"] for n in sopa_notices(simulators)] == ["GROUP_HOME_PLACEMENT"]


def test_a_transfer_within_the_same_municipality_is_refused_at_once(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    iid = place(services, 68, "GM-RIGA-1", "2026-01-05", "P5-T-6")
    services.engine.complete_task(open_task(services, iid).id, RIGA_SOCIAL, {
        "stay_action": "TRANSFER", "target_group_home_code": "GM-RIGA-2",
        "transfer_date": "2026-02-01"})
    run_jobs(services)
    back = open_task(services, iid)
    assert (back.element_id, back.municipality_code) == ("group_home_stay", "RIGA")
    assert "citas pašvaldības" in data_of(services, iid)["transfer_check"]["reason"]


def pdf_text(services: Services, iid: int) -> list[str]:
    with services.sessions() as session:
        docs = session.scalars(select(CaseDocument).where(CaseDocument.instance_id == iid)
                               .order_by(CaseDocument.version)).all()
        return ["\n".join(page.extract_text() for page in PdfReader(io.BytesIO(d.content)).pages)
                for d in docs]


def test_monthly_report_pdf_csv_returned_corrected_and_accepted(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    # GM-RIGA-1 costs 24,50 € a day, GM-RIGA-2 26,80 €. January 2030 has 31 days.
    first = place(services, 69, "GM-RIGA-1", "2029-12-20", "P5-T-7")  # whole month: 31 days
    place(services, 70, "GM-RIGA-2", "2030-01-22", "P5-T-8")  # 22.–31.: 10 days
    place(services, 71, "GM-RIGA-2", "2030-02-01", "P5-T-9")  # next month: not in the report
    [report_iid] = service.start_monthly_reports(services.engine, services.sessions, "2030-01",
                                                 ["RIGA"])
    assert service.start_monthly_reports(services.engine, services.sessions, "2030-01",
                                         ["RIGA"]) == []
    run_jobs(services)
    submit = open_task(services, report_iid)
    assert submit.element_id == "submit_report" and submit.municipality_code == "RIGA"
    assert submit.due_at is not None and submit.due_at.date().isoformat() == "2030-02-15"
    report = data_of(services, report_iid)["report"]
    cost = 31 * 2450 + 10 * 2680
    assert (report["persons"], report["days"], report["cost_cents"]) == (2, 41, cost)
    assert report["state_share_cents"] == 37975 + 13400  # 50 % of each row, half up
    [text] = pdf_text(services, report_iid)
    for figure in ("1 027,50 €", "513,75 €", "01.01.2030", "31.01.2030", "15.02.2030",
                   valid_personal_code(69)):
        assert figure in text, figure
    csv_text = service.report_csv(report)
    assert csv_text.splitlines()[-1] == "KOPĀ;;;;;;41;;1027,50;513,75"

    services.engine.complete_task(submit.id, RIGA_SOCIAL, {"data_confirmed": True})
    review = open_task(services, report_iid)
    assert review.element_id == "review_report" and review.candidate_groups == "ministry"
    with pytest.raises(NotYourTask):
        services.engine.complete_task(review.id, RIGA_SOCIAL, {"review_decision": "ACCEPT"})
    services.engine.complete_task(review.id, MINISTRY, {"review_decision": "RETURN",
                                                        "return_reason": "Dienu skaits nesakrīt"})
    correct = open_task(services, report_iid)
    assert correct.element_id == "correct_report"
    # The municipality corrects the stay: the first person left on 10.01.2030.
    with transaction(services.sessions) as session:
        [stay] = service.stay_history(session, [first])
        session.get(GroupHomeStay, stay.id).end_date = date(2030, 1, 10)  # type: ignore[union-attr]
    services.engine.complete_task(correct.id, RIGA_SOCIAL, {"correction_notes": "Labots beigu datums"})
    run_jobs(services)
    again = data_of(services, report_iid)["report"]
    assert (again["days"], again["cost_cents"]) == (20, 10 * 2450 + 10 * 2680)
    versions = pdf_text(services, report_iid)
    assert len(versions) == 2 and "513,00 €" in versions[1]
    services.engine.complete_task(open_task(services, report_iid).id, RIGA_SOCIAL,
                                  {"data_confirmed": True})
    services.engine.complete_task(open_task(services, report_iid).id, MINISTRY,
                                  {"review_decision": "ACCEPT"})
    with services.sessions() as session:
        done = session.get(ProcessInstance, report_iid)
        assert done is not None and done.status == "completed"
