"""The process owner's modeler in a real browser (Debian's Chromium driven by Playwright).

1. A process owner opens P9 in the modeler, gives a user task another form in the properties
   panel, validates and deploys; an instance started afterwards runs on the new version while
   one started before keeps the old one.
2. Every BPMN MIWG reference model opens in the modeler and survives open → save → reopen with
   the same elements and diagram layout (one browser page for all 21).

The modeler's screenshot goes to ``var/screenshots`` (or the folder named by
DICASE_SCREENSHOTS); docs/screenshots/modeler.png was made that way.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import HumanTask, ProcessDefinition, ProcessInstance
from app.services import Services
from tests.browser.test_caseworker_flow import (  # noqa: F401 - ``served`` is a fixture
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    served,
)
from tests.web.conftest import P9, P9_START, start_for_child

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

MIWG = Path(__file__).resolve().parents[1] / "conformance" / "bpmn-miwg-reference"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NS = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
         "dc": "http://www.omg.org/spec/DD/20100524/DC",
         "di": "http://www.omg.org/spec/DD/20100524/DI"}
READY = "[data-modeler][data-ready=true]"


@pytest.fixture
def owner_page(served: str, web_services: Services) -> Iterator[Any]:  # noqa: F811
    """A browser page signed in as a process owner."""
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "peteris", "Pēteris Liepa", PASSWORD, ["process_owner"], [], "LM")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1440, "height": 900})
        page.goto(f"{served}/login")
        page.fill("input[name=username]", "peteris")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        expect(page.get_by_role("link", name="Procesi")).to_be_visible()
        yield page
        browser.close()


def test_a_process_owner_changes_a_form_validates_and_deploys_a_new_version(
        owner_page: Any, served: str, web_services: Services) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = owner_page
    before = start_for_child(web_services, P9, P9_START, "P9-2026-0001")

    page.get_by_role("link", name="Procesi").click()
    expect(page.locator("h1")).to_have_text("Procesi")
    page.locator(f"a[href='/processes/{P9}/modeler']").click()
    page.wait_for_selector(READY)
    # bpmn-js's own tools and menus speak the reader's language too.
    expect(page.locator(".djs-palette").get_by_role("button", name="Izveidot uzdevumu")) \
        .to_be_visible()

    # The user task's form, in the properties panel's group for our extensions.
    page.click("[data-element-id=register_placement]")
    expect(page.locator(".djs-context-pad [data-action='append.append-task']")).to_have_attribute(
        "title", "Pievienot uzdevumu")
    page.click(".djs-context-pad [data-action='replace']")
    expect(page.locator(".djs-popup [data-id='replace-with-service-task']")).to_contain_text(
        "Servisa uzdevums")
    page.keyboard.press("Escape")
    expect(page.locator("[data-group-id=group-general] .bio-properties-panel-group-header-title")) \
        .to_have_text("Vispārīgi")
    page.click("[data-group-id=group-spiff-task] .bio-properties-panel-group-header")
    form_select = page.locator("[data-entry-id=spiff-form] select")
    expect(form_select).to_have_value("p09_register_placement.json")
    expect(page.locator("[data-entry-id=spiff-candidate-groups] input")).to_have_value("institution")
    form_select.select_option("p09_periodic_report.json")

    page.get_by_role("button", name="Pārbaudīt").click()
    expect(page.locator("[data-status]")).to_contain_text("Kļūdu nav")  # bpmnlint's warnings only
    expect(page.locator(".problem-error")).to_have_count(0)

    page.get_by_role("button", name="Izvietot").click()
    expect(page.locator("[data-status]")).to_contain_text("versija 2")
    page.evaluate("""() => {
      const modeler = window.dicaseModeler.modeler;
      modeler.get('selection').select(modeler.get('elementRegistry').get('register_placement'));
    }""")
    expect(form_select).to_have_value("p09_periodic_report.json")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "modeler.png"))

    after = start_for_child(web_services, P9, dict(P9_START, case_number="P9-2026-0002"),
                            "P9-2026-0002")
    with web_services.sessions() as session:
        definitions = {d.id: d for d in session.scalars(select(ProcessDefinition))}
        version_of = {i.id: definitions[i.definition_id].version
                      for i in session.scalars(select(ProcessInstance))}
        forms = {t.instance_id: t.form_key for t in session.scalars(
            select(HumanTask).where(HumanTask.element_id == "register_placement"))}
    assert version_of == {before: 1, after: 2}
    assert forms == {before: "p09_register_placement.json", after: "p09_periodic_report.json"}
    assert [d.deployed_by for d in definitions.values() if d.version == 2] == ["peteris"]

    # In English on request.
    page.goto(f"{served}/processes/{P9}/modeler?lang=en")
    page.wait_for_selector(READY)
    expect(page.locator(".djs-palette").get_by_role("button", name="Create task")).to_be_visible()

    # The instance started before goes on on version 1.
    engine_task = open_task(web_services, before)
    from app.engine.runtime import Actor

    web_services.engine.complete_task(engine_task, Actor("registrar", frozenset({"institution"})),
                                      {"placement_date": "2026-01-10",
                                       "child_birth_date": "2024-05-01",
                                       "institution_name": "VSAC «Rīga»",
                                       "orphan_court_code": "RIGA-BT", "notes": ""})
    with web_services.sessions() as session:
        instance = session.get(ProcessInstance, before)
        assert instance is not None
        assert definitions[instance.definition_id].version == 1
        assert [t.element_id for t in session.scalars(select(HumanTask).where(
            HumanTask.instance_id == before, HumanTask.status == "open"))] == ["submit_periodic_report"]


def open_task(services: Services, instance_id: int) -> int:
    with services.sessions() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                            HumanTask.status == "open"))
    assert task_id is not None
    return task_id


def test_every_miwg_reference_model_survives_open_save_reopen(owner_page: Any,
                                                              served: str) -> None:  # noqa: F811
    page = owner_page
    page.goto(f"{served}/processes/new?key=miwg_round_trip")
    page.wait_for_selector(READY)
    failures: dict[str, Any] = {}
    models = sorted(MIWG.glob("*.bpmn"))
    assert len(models) == 21
    for path in models:
        source = path.read_text(encoding="utf-8")
        answer = page.evaluate(ROUND_TRIP, source)
        assert not answer.get("error"), (path.name, answer)
        original, first, second = (model_of(source), model_of(answer["first"]),
                                   model_of(answer["second"]))
        if not (original == first == second):
            failures[path.name] = differences(original, second)
    assert failures == {}, json.dumps(failures, indent=1)


# Runs in the page: open the model, export it, open the export, export again.
ROUND_TRIP = """async (xml) => {
  const page = window.dicaseModeler;
  try {
    await page.open(xml);
    const first = await page.xml();
    await page.open(first);
    const second = await page.xml();
    return { first, second };
  } catch (error) {
    return { error: String(error) };
  }
}"""


def model_of(xml: str) -> dict[str, Any]:
    """What must survive: every BPMN element id (with its type) and every shape's bounds and
    edge's waypoints, by the element they draw (rounded to a pixel)."""
    root = etree.fromstring(xml.encode("utf-8"))
    elements = {el.get("id"): etree.QName(el).localname for el in root.iter()
                if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN and el.get("id")}
    shapes = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", DI_NS):
        bounds = shape.find("dc:Bounds", DI_NS)
        shapes[shape.get("bpmnElement")] = tuple(round(float(bounds.get(k)))
                                                 for k in ("x", "y", "width", "height"))
    edges = {}
    for edge in root.iterfind(".//bpmndi:BPMNEdge", DI_NS):
        edges[edge.get("bpmnElement")] = tuple((round(float(p.get("x"))), round(float(p.get("y"))))
                                               for p in edge.iterfind("di:waypoint", DI_NS))
    return {"elements": elements, "shapes": shapes, "edges": edges}


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for part in ("elements", "shapes", "edges"):
        lost = {k: (v, after[part].get(k)) for k, v in before[part].items()
                if after[part].get(k) != v}
        added = {k: v for k, v in after[part].items() if k not in before[part]}
        if lost or added:
            found[part] = {"changed_or_lost": lost, "added": added}
    return found
