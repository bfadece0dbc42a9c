"""bpmn-js's own texts (palette, context pad, element-type menu, the properties panel's standard
fields) in the reader's language: every one has a Latvian translation under the ``bpmn-js``
context, and the modeler page hands the table over in the language of the request."""
from __future__ import annotations

import json
import re

from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from app.config import PROJECT_ROOT
from app.modeler.diagram_texts import CONTEXT, TEXTS

BUNDLED = PROJECT_ROOT / "node_modules"


def config_of(page_text: str) -> dict:
    found = re.search(r'<script type="application/json" id="modeler-config">(.*?)</script>',
                      page_text, re.DOTALL)
    assert found is not None
    return json.loads(found.group(1))


def test_every_diagram_text_has_a_latvian_translation_of_its_own() -> None:
    with (PROJECT_ROOT / "app" / "translations" / "lv" / "LC_MESSAGES" / "messages.po").open(
            "rb") as po_file:
        catalog = read_po(po_file, locale="lv")
    missing = [text for text in TEXTS
               if not (catalog.get(text, context=CONTEXT) and
                       catalog.get(text, context=CONTEXT).string)]
    assert missing == []
    assert len(set(TEXTS)) == len(TEXTS)
    # Under its own context "Name" is an element's name, not a person's as elsewhere.
    assert catalog.get("Name", context=CONTEXT).string == "Nosaukums"
    assert catalog.get("Name").string == "Vārds, uzvārds"


def test_every_diagram_text_is_one_bpmn_js_asks_for() -> None:
    """A text bpmn-js no longer uses (after an upgrade) would silently stay English: each must
    still be in the installed bpmn-js, diagram-js or properties panel."""
    sources = [BUNDLED / "bpmn-js" / "lib", BUNDLED / "diagram-js" / "lib",
               BUNDLED / "bpmn-js-properties-panel" / "dist" / "index.esm.js"]
    assert all(path.exists() for path in sources), "run `make setup`: it installs the npm packages"
    shipped = "".join(path.read_text(encoding="utf-8") for source in sources
                      for path in ([source] if source.is_file() else source.rglob("*.js")))
    unknown = [text for text in TEXTS if f"'{text}'" not in shipped]
    assert unknown == []


def test_the_modeler_page_hands_them_over_in_the_readers_language(owner: FlaskClient) -> None:
    latvian = config_of(owner.get("/processes/p09_out_of_family_care/modeler").text)
    assert latvian["diagramTexts"]["Create task"] == "Izveidot uzdevumu"
    assert latvian["diagramTexts"]["Name"] == "Nosaukums"
    assert set(latvian["diagramTexts"]) == set(TEXTS)
    english = config_of(owner.get("/processes/p09_out_of_family_care/modeler?lang=en").text)
    assert english["diagramTexts"]["Create task"] == "Create task"
