"""The AIS-methodology questionnaire kept as data (forms/p01_methodology/ais_questionnaire.json)
and the interview form made from it (forms/p01_interview.json).

The ministry swaps in the official methodology by editing the questionnaire and running
``python -m app.assessment.questionnaire``, which writes the interview form again; a test checks
that the form in the repository is the one the questionnaire gives.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FORMS_DIR = Path(__file__).resolve().parent.parent.parent / "forms"
QUESTIONNAIRE = FORMS_DIR / "p01_methodology" / "ais_questionnaire.json"
INTERVIEW_FORM = FORMS_DIR / "p01_interview.json"


class QuestionnaireError(ValueError):
    """The questionnaire file does not have the shape the interview form is made from."""


@cache
def load_questionnaire(path: Path = QUESTIONNAIRE) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    check_questionnaire(data)
    return data  # type: ignore[no-any-return]


def check_questionnaire(data: Any) -> None:
    if not isinstance(data, dict):
        raise QuestionnaireError("the questionnaire must be an object")
    levels = [level.get("value") for level in data.get("levels") or []]
    if levels != [0, 1, 2, 3, 4]:
        raise QuestionnaireError("the questionnaire must name the needs levels 0–4 in order")
    domains = data.get("domains") or []
    if not domains:
        raise QuestionnaireError("the questionnaire has no life domain")
    keys = [domain.get("key") for domain in domains]
    if len(set(keys)) != len(keys):
        raise QuestionnaireError("a life domain key is used twice")
    for domain in domains:
        for field in ("key", "title", "title_en"):
            if not domain.get(field):
                raise QuestionnaireError(f"a life domain has no {field}")
        for question in domain.get("questions") or []:
            if not (question.get("key") and question.get("text") and question.get("text_en")):
                raise QuestionnaireError(f"a question of {domain['key']} lacks key or text")


def domain_titles(lang: str = "lv") -> dict[str, str]:
    return {d["key"]: d["title_en" if lang == "en" else "title"]
            for d in load_questionnaire()["domains"]}


def level_titles(lang: str = "lv") -> dict[int, str]:
    return {int(level["value"]): level["title_en" if lang == "en" else "title"]
            for level in load_questionnaire()["levels"]}


def interview_schema(questionnaire: dict[str, Any]) -> dict[str, Any]:
    """The interview form: one section per life domain (its questions, the needs level, notes).
    Nothing in a section is required but the level, so a sitting may leave domains for later
    (the form draft keeps them) and the form is submitted once every level is set."""
    levels = questionnaire["levels"]
    sections: dict[str, Any] = {}
    for domain in questionnaire["domains"]:
        properties: dict[str, Any] = {}
        for question in domain.get("questions") or []:
            properties[question["key"]] = {
                "type": "string", "maxLength": 2000, "x-widget": "textarea",
                "title": question["text"], "x-title-en": question["text_en"]}
        properties["level"] = {
            "type": "integer", "enum": [level["value"] for level in levels],
            "x-enum-titles": [f"{level['value']} – {level['title']}" for level in levels],
            "x-enum-titles-en": [f"{level['value']} – {level['title_en']}" for level in levels],
            "title": "Atbalsta vajadzības līmenis", "x-title-en": "Needs level"}
        properties["notes"] = {"type": "string", "maxLength": 4000, "x-widget": "textarea",
                               "title": "Piezīmes", "x-title-en": "Notes"}
        sections[domain["key"]] = {
            "type": "object", "title": domain["title"], "x-title-en": domain["title_en"],
            "required": ["level"], "properties": properties, "additionalProperties": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:lv:dicase:forms:p01_interview",
        "$comment": "Generated from forms/p01_methodology/ais_questionnaire.json by "
                    "`python -m app.assessment.questionnaire`; edit the questionnaire, not this.",
        "title": questionnaire["title"], "x-title-en": questionnaire["title_en"],
        "description": "Atbildiet pa sadaļām; nepabeigtu interviju var saglabāt un turpināt "
                       "nākamajā tikšanās reizē.",
        "x-description-en": "Answer section by section; an unfinished interview can be saved "
                            "and continued at the next sitting.",
        "type": "object",
        "required": ["interview_date", "interview_place", "needs"],
        "properties": {
            "interview_date": {"type": "string", "format": "date",
                               "title": "Intervijas datums", "x-title-en": "Interview date"},
            "interview_place": {
                "type": "string", "enum": ["INSTITUTION", "HOME", "OTHER"],
                "x-enum-titles": ["Ilgstošās aprūpes iestādē", "Klienta dzīvesvietā", "Citur"],
                "x-enum-titles-en": ["In the long-term care institution", "At the client's home",
                                     "Elsewhere"],
                "title": "Intervijas vieta", "x-title-en": "Place of the interview"},
            "needs": {"type": "object", "title": "Dzīves jomas", "x-title-en": "Life domains",
                      "required": list(sections), "properties": sections,
                      "additionalProperties": False},
            "interview_notes": {"type": "string", "maxLength": 4000, "x-widget": "textarea",
                                "title": "Kopējās piezīmes", "x-title-en": "General notes"},
        },
        "additionalProperties": False,
    }


def write_interview_form(path: Path = INTERVIEW_FORM) -> None:
    schema = interview_schema(load_questionnaire())
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_interview_form()
