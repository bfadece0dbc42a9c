"""The instance page: the diagram's data (done, current, failed, how often), the timeline with
who changed which data, the chain check, and the access log line for every view."""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.audit.chain import append_instance_event
from app.db import transaction
from app.db.models import AccessLogEntry, ProcessInstance
from app.demo import valid_personal_code
from app.history.service import ADDED, CHANGED, REMOVED, data_changes, display_value
from app.services import Services
from tests.web.conftest import P9, P9_START, start_for_child

from .conftest import Case, run_p9_case

_LV_MOMENT = re.compile(r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}\b")


def diagram_of(page: str) -> dict[str, Any]:
    match = re.search(r"data-diagram='([^']*)'", page)
    assert match, "the page has no diagram data"
    found: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return found


def test_the_diagram_marks_done_current_and_counts(auditor: FlaskClient, p9_case: Case) -> None:
    page = auditor.get(f"/instances/{p9_case.instance_id}")
    assert page.status_code == 200
    data = diagram_of(page.text)
    assert data["xml"].startswith("<?xml") and "bpmndi:BPMNDiagram" in data["xml"]
    elements = data["elements"]
    assert elements["register_placement"] == {"state": "completed", "count": 1,
                                              "name": "Reģistrēt ievietošanu"}
    # The report is asked for again after the first one: the loop ran twice.
    assert elements["compute_report_due"]["count"] == 2
    assert elements["submit_periodic_report"] == {"state": "current", "count": 1,
                                                  "name": "Iesniegt periodisko ziņojumu"}
    # The report went to NPAIS, then SOPA, and both receipts were kept.
    for step in ("deliver_report", "deliver_report_sopa", "store_report"):
        assert elements[step]["state"] == "completed" and elements[step]["count"] == 1, step
    # Both deadlines passed: reminded, told and escalated for each of the two reports.
    for step in ("remind_report", "notify_report_overdue", "escalate_report"):
        assert (elements[step]["state"], elements[step]["count"]) == ("completed", 2), step
    assert "care_ended" not in elements and "record_placement_end" not in elements
    # Scripts and static files only: nothing inline for the CSP to refuse.
    assert "<script>" not in page.text and "style=" not in page.text
    assert "js/instance-diagram.js" in page.text


def test_a_failed_call_is_red_with_its_attempts_and_errors(
        auditor: FlaskClient, web_services: Services, npais_simulator: object) -> None:
    case = run_p9_case(web_services, npais_simulator, failing_delivery=True)
    page = auditor.get(f"/instances/{case.instance_id}").text
    elements = diagram_of(page)["elements"]
    # The first report went through; the second's delivery to NPAIS failed every time, so the
    # case waits there and SOPA has its first report only.
    assert elements["deliver_report"] == {"state": "failed", "count": 1,
                                          "name": "Nosūtīt ziņojumu bāriņtiesai"}
    state = {key: (found["state"], found["count"]) for key, found in elements.items()}
    assert state["submit_periodic_report"] == ("completed", 2)
    assert state["deliver_report_sopa"] == ("completed", 1)
    assert "Izsaukums citai sistēmai neizdevās" in page
    assert "5. mēģinājums no 5" in page and "Mēģinājumi beigušies" in page
    assert "NPAIS is temporarily unavailable" in page
    assert "Atvērtie incidenti" in page
    # The element's executions list every attempt.
    executions = page[page.index('id="executions-deliver_report"'):]
    executions = executions[:executions.index("</table>")]
    assert executions.count("Izsaukums citai sistēmai neizdevās") == 5


def test_the_timeline_shows_who_changed_which_data(auditor: FlaskClient, p9_case: Case) -> None:
    page = auditor.get(f"/instances/{p9_case.instance_id}").text
    assert "Vēsture ir neskarta" in page
    timeline = page[page.index('id="timeline-title"'):]
    placement = timeline[timeline.index("Reģistrēt ievietošanu"):]
    placement = placement[:placement.index("</table>")]
    # Against the start data: the date was corrected, the institution added; labels from the form.
    assert re.search(r"Ievietošanas datums <code>placement_date</code>.*?mainīts.*?2025-01-10"
                     r".*?2025-01-12", placement, re.DOTALL)
    assert re.search(r"Iestāde <code>institution_name</code>.*?pievienots.*?VSAC «Rīga»",
                     html.unescape(placement), re.DOTALL)
    assert "child_birth_date" not in placement  # submitted again, unchanged
    # The report sent and the delivery confirmations from NPAIS and SOPA.
    assert "Ziņojums nosūtīts citai sistēmai" in timeline and "Piegādes apstiprinājums" in timeline
    assert "<code>npais.deliver_periodic_report</code>" in timeline
    assert "<code>sopa.deliver_periodic_report</code>" in timeline
    assert timeline.count("R-00000001") >= 2  # NPAIS's report id, SOPA's reference
    # What each call was given, once per call: for each of the two deadlines the reminder, the
    # overdue notice (queued in the outbox) and the escalation; the report to NPAIS, to SOPA and
    # its receipts kept.
    assert timeline.count("Nosūtītie dati") == 9
    assert "REPORT_OVERDUE" in timeline and "<code>outbox.send</code>" in timeline
    assert "Nostrādāja taimeris" in timeline and "Sistēma" in timeline
    assert _LV_MOMENT.search(timeline)


def test_every_view_is_in_the_access_log(auditor: FlaskClient, p9_case: Case,
                                         web_services: Services) -> None:
    auditor.get(f"/instances/{p9_case.instance_id}")
    with web_services.sessions() as session:
        [entry] = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.record_type == "instance")).all()
    assert (entry.username, entry.action, entry.record_id) == ("auditore", "view",
                                                               p9_case.instance_id)
    assert entry.organisation_code == "LM-AUDIT"


def test_outside_the_scope_the_instance_is_not_found(
        account: Callable[..., FlaskClient], p9_case: Case, web_services: Services) -> None:
    other_court = account("ogre", ("caseworker",), "OGRE-BT", ("orphan_court",))
    own_court = account("riga", ("caseworker",), "RIGA-BT", ("orphan_court",))
    assert own_court.get(f"/instances/{p9_case.instance_id}").status_code == 200
    for path in ("", "/history.pdf", "/history.json"):
        assert other_court.get(f"/instances/{p9_case.instance_id}{path}").status_code == 404
    assert other_court.get("/instances/999999").status_code == 404
    assert "P9-2026-0001" not in other_court.get("/instances?q=P9").text
    assert "P9-2026-0001" in own_court.get("/instances?q=P9").text
    with web_services.sessions() as session:
        refused = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "ogre", AccessLogEntry.action == "denied")).all()
    assert len(refused) == 4


def test_personal_codes_in_the_data_are_masked_unless_one_works_on_the_case(
        auditor: FlaskClient, account: Callable[..., FlaskClient],
        web_services: Services) -> None:
    code = valid_personal_code(4242)
    instance_id = start_for_child(web_services, P9, dict(P9_START, mother_code=code),
                                  "P9-2026-0042")
    institution = account("kristaps", ("caseworker",), "VSAC-RIGA", ("institution",))
    assert code in institution.get(f"/instances/{instance_id}").text
    page = auditor.get(f"/instances/{instance_id}").text
    assert code not in page and f"{code[:6]}-*****" in page
    # The JSON export keeps the data exactly as hashed, so the chain can be checked.
    assert code in auditor.get(f"/instances/{instance_id}/history.json").text


def test_changes_are_keys_added_values_changed_and_values_emptied() -> None:
    before = {"a": 1, "b": "x", "c": "keep", "d": None}
    changes = data_changes(before, {"a": 2, "b": "", "c": "keep", "d": "now", "e": [1]},
                           {"a": "Label A"})
    assert [(c.key, c.kind, c.before, c.after) for c in changes] == [
        ("a", CHANGED, 1, 2), ("b", REMOVED, "x", None), ("d", ADDED, None, "now"),
        ("e", ADDED, None, [1])]
    assert changes[0].label == "Label A"


def test_values_are_shown_as_one_line() -> None:
    assert display_value(True, mask_codes=False, yes="Jā") == "Jā"
    assert display_value({"b": 1, "a": "ā"}, mask_codes=False) == '{"a": "ā", "b": 1}'
    assert display_value("kods 010203-12345", mask_codes=True) == "kods 010203-*****"
    assert display_value(None, mask_codes=False) == "—"
    assert len(display_value("x" * 1000, mask_codes=False)) == 400


def test_migrations_and_manual_interventions_are_named(auditor: FlaskClient, p9_case: Case,
                                                       web_services: Services) -> None:
    with transaction(web_services.sessions) as session:
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.id == p9_case.instance_id).with_for_update()).one()
        append_instance_event(session, instance, "instance_migrated", "ops", None,
                              {"process_key": P9, "from_version": 1, "to_version": 2})
        append_instance_event(session, instance, "manual_intervention", "ops",
                              "register_placement",
                              {"action": "move_token", "from": ["submit_periodic_report"],
                               "to": "register_placement", "reason": "Kļūdains ziņojums"})
    page = auditor.get(f"/instances/{p9_case.instance_id}").text
    assert "Process pārcelts uz citu versiju" in page and "Procesa versija 1 → 2" in page
    assert "Manuāla iejaukšanās" in page and "Kļūdains ziņojums" in page
    assert "Vēsture ir neskarta" in page
