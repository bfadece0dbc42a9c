"""The process owners' pages and calls: who may do what, the catalogue, drafts, validate and
deploy through the web app."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.db.models import ProcessDefinition, ProcessDraft, ProcessInstance
from app.services import Services
from tests.modeler.conftest import CONFORMANCE, p9_source, post_json
from tests.web.conftest import P9, P9_START, start_for_child

FORMS_DIR = PROJECT_ROOT / "forms"
WITH_OTHER_FORM = p9_source().replace(
    'name="formJsonSchemaFilename" value="p09_register_placement.json"',
    'name="formJsonSchemaFilename" value="p09_periodic_report.json"')


def test_the_catalogue_lists_versions_running_instances_forms_and_documentation(
        owner: FlaskClient, web_services: Services) -> None:
    start_for_child(web_services, P9, P9_START, "P9-2026-0001")
    page = owner.get("/processes")
    assert page.status_code == 200
    text = page.text
    assert "p09_out_of_family_care" in text
    assert "p09_register_placement.json" in text and "p09_periodic_report.json" in text
    assert "Law on Social Services" in text or "duration control" in text  # docs/processes page
    with web_services.sessions() as session:
        digest = session.scalar(select(ProcessDefinition.content_hash).where(
            ProcessDefinition.process_key == P9))
    assert digest and digest[:12] in text
    assert "/processes/p09_out_of_family_care/versions/1.bpmn" in text
    assert "/processes/p09_out_of_family_care/modeler" in text
    row = text.split(digest[:12], 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td>" in row  # one running instance on version 1


def test_auditors_read_the_catalogue_and_download_but_change_nothing(
        auditor: FlaskClient) -> None:
    page = auditor.get("/processes")
    assert page.status_code == 200
    assert "/p09_out_of_family_care/modeler" not in page.text
    download = auditor.get("/processes/p09_out_of_family_care/versions/1.bpmn")
    assert download.status_code == 200
    assert download.text == p9_source()
    assert "attachment" in download.headers["Content-Disposition"]
    assert auditor.get("/processes/p09_out_of_family_care/modeler").status_code == 403
    for path in ("/processes/api/validate", "/processes/api/drafts", "/processes/api/deploy"):
        assert post_json(auditor, path, {"xml": p9_source()}).status_code == 403


@pytest.mark.parametrize("path", ["/processes", "/processes/p09_out_of_family_care/modeler",
                                  "/processes/p09_out_of_family_care/versions/1.bpmn",
                                  "/processes/api/forms", "/processes/forms/x.json/edit"])
def test_caseworkers_may_not_see_the_process_pages(caseworker: FlaskClient, path: str) -> None:
    assert caseworker.get(path).status_code == 403
    assert "/processes" not in caseworker.get("/inbox").text  # no "Procesi" link


def test_the_nav_links_the_catalogue_for_process_owners(owner: FlaskClient) -> None:
    assert '<a href="/processes"' in owner.get("/inbox").text
    assert ">Procesi<" in owner.get("/inbox").text


def test_calls_without_the_csrf_token_are_refused(owner: FlaskClient) -> None:
    assert owner.post("/processes/api/deploy", json={"xml": p9_source()}).status_code == 400


def test_the_modeler_page_hands_over_the_model_without_inline_script(owner: FlaskClient) -> None:
    page = owner.get("/processes/p09_out_of_family_care/modeler")
    assert page.status_code == 200
    assert '<script type="application/json" id="modeler-config">' in page.text
    assert "vendor/modeler/modeler.js" in page.text
    assert "p09_out_of_family_care" in page.text
    assert "<script>" not in page.text
    assert owner.get("/processes/nope/modeler").status_code == 404


def test_forms_and_operations_are_offered_to_the_properties_panel(owner: FlaskClient) -> None:
    names = [f["name"] for f in owner.get("/processes/api/forms").json]
    assert names == sorted(path.name for path in FORMS_DIR.glob("*.json"))
    assert {"p09_periodic_report.json", "p09_register_placement.json"} <= set(names)
    operations = owner.get("/processes/api/operations").json
    assert "npais.notify_orphan_court" in [o["name"] for o in operations]


def test_validate_answers_problems_with_element_ids(owner: FlaskClient) -> None:
    ok = post_json(owner, "/processes/api/validate", {"xml": p9_source()})
    assert ok.json == {"process_key": "p09_out_of_family_care", "problems": []}
    broken = p9_source().replace('id="npais.deliver_periodic_report"', 'id="npais.nothing"')
    answer = post_json(owner, "/processes/api/validate", {"xml": broken}).json
    assert [p["element_id"] for p in answer["problems"]] == ["deliver_report"]
    assert answer["problems"][0]["severity"] == "error"


def test_problems_are_in_latvian_by_default(owner: FlaskClient) -> None:
    broken = p9_source().replace('id="npais.deliver_periodic_report"', 'id="npais.nothing"')
    message = post_json(owner, "/processes/api/validate", {"xml": broken}).json["problems"][0]
    assert message["message"].startswith("Neviens adapteris")


def test_a_draft_is_kept_per_person_and_opened_again(owner: FlaskClient,
                                                    web_services: Services) -> None:
    saved = post_json(owner, "/processes/api/drafts",
                      {"xml": WITH_OTHER_FORM, "kind": "bpmn", "basedOnVersion": 1})
    assert saved.status_code == 200 and saved.json["key"] == P9
    again = post_json(owner, "/processes/api/drafts", {"xml": WITH_OTHER_FORM, "basedOnVersion": 1})
    assert again.json["id"] == saved.json["id"]  # replaced, not added
    with web_services.sessions() as session:
        draft = session.scalars(select(ProcessDraft)).one()
    assert (draft.process_key, draft.saved_by, draft.based_on_version) == (P9, "peteris", 1)
    page = owner.get(f"/processes/{P9}/modeler?draft=1")
    assert "p09_periodic_report.json" in page.text.split('id="modeler-config">', 1)[1].split(
        "register_placement", 2)[1]
    assert "?draft=1" in owner.get("/processes").text
    assert owner.get(f"/processes/drafts/{draft.id}").text == WITH_OTHER_FORM


def test_deploying_makes_a_new_version_and_running_instances_keep_theirs(
        owner: FlaskClient, web_services: Services) -> None:
    before = start_for_child(web_services, P9, P9_START, "P9-2026-0001")
    post_json(owner, "/processes/api/drafts", {"xml": WITH_OTHER_FORM, "basedOnVersion": 1})
    answer = post_json(owner, "/processes/api/deploy", {"xml": WITH_OTHER_FORM})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"process_key": P9, "version": 2, "created": True, "problems": []}
    after = start_for_child(web_services, P9, dict(P9_START, case_number="P9-2026-0002"),
                            "P9-2026-0002")
    with web_services.sessions() as session:
        versions = {i.id: session.get(ProcessDefinition, i.definition_id).version  # type: ignore[union-attr]
                    for i in session.scalars(select(ProcessInstance))}
        drafts = session.scalars(select(ProcessDraft)).all()
        deployed_by = session.scalar(select(ProcessDefinition.deployed_by)
                                     .where(ProcessDefinition.version == 2))
    assert versions == {before: 1, after: 2}
    assert drafts == []  # the deployed draft is gone
    assert deployed_by == "peteris"
    same = post_json(owner, "/processes/api/deploy", {"xml": WITH_OTHER_FORM})
    assert same.json["created"] is False and same.json["version"] == 2


def test_a_model_with_errors_is_not_deployed(owner: FlaskClient, web_services: Services) -> None:
    broken = p9_source().replace(">report_deadline<", ">P3M<")
    answer = post_json(owner, "/processes/api/deploy", {"xml": broken})
    assert answer.status_code == 422
    assert [p["element_id"] for p in answer.json["problems"]] == ["report_overdue"]
    with web_services.sessions() as session:
        assert session.scalar(select(ProcessDefinition.version).order_by(
            ProcessDefinition.version.desc())) == 1


@pytest.mark.parametrize(("model", "element_type", "element_id"), [
    ("C.6.0.bpmn", "compensateEventDefinition", "_6a5cdbbf-2618-496e-b728-955dc215ef9d"),
    ("B.2.0.bpmn", "dataStoreReference", None),
])
def test_deploying_a_miwg_model_the_engine_cannot_run_names_the_element(
        owner: FlaskClient, model: str, element_type: str, element_id: str | None) -> None:
    source = (CONFORMANCE / "bpmn-miwg-reference" / model).read_text(encoding="utf-8")
    answer = post_json(owner, "/processes/api/deploy", {"xml": source})
    assert answer.status_code == 422
    named = [p for p in answer.json["problems"] if element_type in p["message"]]
    assert named, answer.json["problems"]
    assert all(p["element_id"] and p["element_id"] in p["message"] for p in named)
    if element_id:
        assert element_id in [p["element_id"] for p in named]


def test_every_miwg_model_gets_an_answer_not_a_crash(owner: FlaskClient) -> None:
    for path in sorted((CONFORMANCE / "bpmn-miwg-reference").glob("*.bpmn")):
        answer = post_json(owner, "/processes/api/deploy", {"xml": path.read_text("utf-8")})
        assert answer.status_code in (200, 422), path.name
        if answer.status_code == 422:
            assert answer.json["problems"], path.name


def test_the_decision_table_editor_keeps_drafts(owner: FlaskClient,
                                                web_services: Services) -> None:
    page = owner.get("/processes/decisions/allowance_rate.dmn/edit")
    assert page.status_code == 200 and "decisions-config" in page.text
    dmn = page.text.split('id="decisions-config">', 1)[1].split("</script>", 1)[0]
    assert "allowance_rate" in dmn
    from app.modeler.service import new_dmn_xml

    saved = post_json(owner, "/processes/api/drafts", {"xml": new_dmn_xml("allowance_rate"),
                                                       "kind": "dmn"})
    assert saved.json["key"] == "allowance_rate.dmn"
    assert "allowance_rate.dmn" in owner.get("/processes").text
    assert owner.get("/processes/decisions/..%2Fetc.dmn/edit").status_code == 404


def test_the_form_editor_previews_with_the_task_forms_own_rendering(owner: FlaskClient) -> None:
    page = owner.get("/processes/forms/p09_register_placement.json/edit")
    assert page.status_code == 200
    assert 'name="orphan_court_code"' in page.text  # the preview's field
    schema = ('{"type": "object", "title": "Tests", "required": ["name"], '
              '"properties": {"name": {"type": "string", "title": "Vārds"}}}')
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    preview = owner.post("/processes/forms/p09_register_placement.json/preview",
                         data={"csrf_token": csrf, "schema": schema},
                         headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert 'id="field-name"' in preview.text and "Vārds" in preview.text
    assert "<html" not in preview.text
    bad = owner.post("/processes/forms/p09_register_placement.json/preview",
                     data={"csrf_token": csrf, "schema": "{"}, headers={"HX-Request": "true"})
    assert "alert-error" in bad.text


def test_a_form_draft_is_saved_and_shown_again(owner: FlaskClient,
                                               web_services: Services) -> None:
    page = owner.get("/processes/forms/p09_register_placement.json/edit")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    schema = '{"type": "object", "title": "Melnraksts", "properties": {}}'
    saved = owner.post("/processes/forms/p09_register_placement.json/draft",
                       data={"csrf_token": csrf, "schema": schema})
    assert saved.status_code == 302
    assert "Melnraksts" in owner.get(saved.headers["Location"]).text
    with web_services.sessions() as session:
        draft = session.scalars(select(ProcessDraft)).one()
    assert (draft.kind, draft.process_key) == ("form", "p09_register_placement.json")


def test_a_new_process_starts_from_an_executable_template(
        owner: FlaskClient, account: Callable[..., FlaskClient]) -> None:
    page = owner.get("/processes/new?key=p12_respite_care&name=Atelpas+brīža+pakalpojums")
    assert page.status_code == 200
    assert "isExecutable=\\\"true\\\"" in page.text or 'isExecutable=\\"true\\"' in page.text
    assert owner.get("/processes/new?key=../x").status_code == 302
