"""The flow elements of a deployed BPMN version, read from its stored XML: id, name and type.

The diagram page marks these elements; the timeline names them. The XML was parsed and checked
at deployment, so this only reads names; defusedxml keeps it safe from entities all the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from defusedxml import ElementTree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# The BPMN elements a token passes through (the ones SpiffWorkflow runs as tasks).
FLOW_NODE_TYPES = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask",
    "sendTask", "receiveTask", "manualTask", "callActivity", "subProcess", "transaction",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "complexGateway",
})


@dataclass(frozen=True)
class FlowElement:
    id: str
    name: str
    type: str  # the BPMN element's local name, e.g. userTask


def flow_elements(source_xml: str) -> dict[str, FlowElement]:
    """The flow elements of every process in the file, in document order, by id."""
    return dict(_flow_elements(source_xml))


@lru_cache(maxsize=32)
def _flow_elements(source_xml: str) -> tuple[tuple[str, FlowElement], ...]:
    try:
        root = ElementTree.fromstring(source_xml)
    except ElementTree.ParseError:
        return ()
    found: list[tuple[str, FlowElement]] = []
    prefix = "{" + BPMN_NS + "}"
    for node in root.iter():
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag.startswith(prefix):
            continue
        kind = tag[len(prefix):]
        element_id = node.get("id")
        if kind in FLOW_NODE_TYPES and element_id:
            name = " ".join((node.get("name") or "").split())
            found.append((element_id, FlowElement(element_id, name, kind)))
    return tuple(found)
