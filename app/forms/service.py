"""User task forms: JSON Schemas (draft 2020-12) in ``forms/``, turned into fields to render, and
submitted form fields turned into typed, validated data.

No Flask here. Texts a person reads come through a ``gettext.NullTranslations`` the caller passes
(the web layer passes the request's catalog), so messages follow the user's language.
"""
from __future__ import annotations

import gettext
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

Schema = dict[str, Any]
FORM_ERRORS = ""  # the key of errors that belong to the whole form, not one field

_FORM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LV_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\.?\s*$")
_ENGLISH = gettext.NullTranslations()


class FormNotFound(Exception):
    """A task names a form that is not in the forms directory (or is not valid JSON Schema)."""

    def __init__(self, form_key: str, reason: str = "no such file") -> None:
        self.form_key = form_key
        super().__init__(f"The form '{form_key}' cannot be used: {reason}")


# --- loading -------------------------------------------------------------------------------------


def load_schema(forms_dir: Path, form_key: str) -> Schema:
    """The schema of ``form_key`` (a file name in ``forms_dir``, ``.json`` optional).

    Cached per file and modification time, so a form edited on disk is read again.
    """
    if not _FORM_KEY.match(form_key) or ".." in form_key:
        raise FormNotFound(form_key, "not a form file name")
    path = forms_dir / (form_key if form_key.endswith(".json") else f"{form_key}.json")
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise FormNotFound(form_key) from None
    return _read_schema(str(path), mtime)


@lru_cache(maxsize=128)
def _read_schema(path: str, mtime_ns: int) -> Schema:
    name = Path(path).name
    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FormNotFound(name, str(err)) from None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise FormNotFound(name, "the schema does not describe an object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise FormNotFound(name, f"not a valid JSON Schema: {err}") from None
    return schema


# --- describing fields ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    help: str
    widget: str  # text | textarea | date | integer | number | checkbox | select
    required: bool
    options: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)  # maxlength, min, max, step


def form_title(schema: Schema, lang: str) -> str:
    return _localised(schema, "title", lang)


def form_description(schema: Schema, lang: str) -> str:
    return _localised(schema, "description", lang)


def fields(schema: Schema, lang: str) -> list[Field]:
    """The schema's properties as form fields, in the schema's order, labelled in ``lang``."""
    required = set(schema.get("required", []))
    result = []
    for name, prop in schema.get("properties", {}).items():
        result.append(Field(name=name, label=_localised(prop, "title", lang) or name,
                            help=_localised(prop, "description", lang), widget=_widget(prop),
                            required=name in required,
                            options=tuple(str(v) for v in prop.get("enum", ())),
                            attributes=_attributes(prop)))
    return result


def initial_values(schema: Schema, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values a new form starts with: what the case already holds (``known``, the task's data),
    else the schema's defaults."""
    values: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if known and known.get(name) is not None:
            value = known[name]
        elif "default" in prop:
            value = prop["default"]
        else:
            continue
        values[name] = value if _type(prop) == "boolean" else str(value)
    return values


def _localised(node: Mapping[str, Any], key: str, lang: str) -> str:
    # Latvian is the schema's own text; English lives beside it as x-<key>-en.
    if lang == "en" and node.get(f"x-{key}-en"):
        return str(node[f"x-{key}-en"])
    return str(node.get(key, ""))


def _type(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):  # ["string", "null"]: the non-null one decides the widget
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _widget(prop: Mapping[str, Any]) -> str:
    kind = _type(prop)
    if "enum" in prop:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    if prop.get("format") == "date":
        return "date"
    if prop.get("x-widget") == "textarea":
        return "textarea"
    return "text"


def _attributes(prop: Mapping[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if "maxLength" in prop:
        attributes["maxlength"] = str(prop["maxLength"])
    if "minimum" in prop:
        attributes["min"] = str(prop["minimum"])
    if "maximum" in prop:
        attributes["max"] = str(prop["maximum"])
    kind = _type(prop)
    if kind == "integer":
        attributes["step"] = "1"
    elif kind == "number":
        attributes["step"] = "any"
    return attributes


# --- reading a submission ------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    data: dict[str, Any]  # typed values to validate and hand to the engine
    values: dict[str, Any]  # what the person entered, to show again if something is wrong


def read_submission(schema: Schema, form: Mapping[str, str]) -> Submission:
    """Typed values from posted form fields; only the schema's properties are read.

    Empty fields are left out (so a required one is reported as missing); text that does not
    parse as the schema's type is passed on as text, for the validator to report.
    """
    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        kind = _type(prop)
        if kind == "boolean":
            # An unticked checkbox sends nothing: that is a "no", not a missing answer.
            data[name] = values[name] = form.get(name) in ("true", "on", "1")
            continue
        raw = form.get(name, "")
        values[name] = raw
        text = raw.strip()
        if not text:
            continue
        if kind == "integer":
            data[name] = _to_integer(text)
        elif kind == "number":
            data[name] = _to_number(text)
        elif prop.get("format") == "date":
            data[name] = _to_iso_date(text)
        else:
            data[name] = text
    return Submission(data, values)


def _to_integer(text: str) -> int | str:
    try:
        return int(text.replace(" ", ""))
    except ValueError:
        return text


def _to_number(text: str) -> int | float | str:
    # Latvian writes a decimal comma.
    cleaned = text.replace(" ", "").replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in cleaned else number


def _to_iso_date(text: str) -> str:
    """Date inputs send YYYY-MM-DD; a typed DD.MM.YYYY is accepted too. Anything else is passed
    on unchanged, and the format check reports it."""
    match = _LV_DATE.match(text)
    if not match:
        return text
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text


# --- validating ----------------------------------------------------------------------------------


def validate(schema: Schema, data: Mapping[str, Any],
             translations: gettext.NullTranslations = _ENGLISH) -> dict[str, list[str]]:
    """Messages per field name (``FORM_ERRORS`` for the form as a whole); empty when valid."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.path)):
        if error.validator == "required" and not error.path:
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                _add(errors, name, translations.gettext("This field is required."))
            continue
        name = str(error.path[0]) if error.path else FORM_ERRORS
        _add(errors, name, _message(error, translations))
    return errors


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    if message not in errors.setdefault(name, []):
        errors[name].append(message)


def _message(error: ValidationError, t: gettext.NullTranslations) -> str:
    kind, limit = error.validator, error.validator_value
    if kind == "minLength":
        return t.ngettext("Enter at least %(num)d character.",
                          "Enter at least %(num)d characters.", limit) % {"num": limit}
    if kind == "maxLength":
        return t.ngettext("Enter at most %(num)d character.",
                          "Enter at most %(num)d characters.", limit) % {"num": limit}
    if kind == "pattern":
        return t.gettext("The value is not in the expected format.")
    if kind == "format" and limit == "date":
        return t.gettext("Enter a real date, for example 31.01.2026.")
    if kind == "format":
        return t.gettext("The value is not in the expected format.")
    if kind == "type":
        return _type_message(limit, t)
    if kind == "minimum":
        return t.gettext("The value must be at least %(limit)s.") % {"limit": limit}
    if kind == "exclusiveMinimum":
        return t.gettext("The value must be greater than %(limit)s.") % {"limit": limit}
    if kind == "maximum":
        return t.gettext("The value must be at most %(limit)s.") % {"limit": limit}
    if kind == "exclusiveMaximum":
        return t.gettext("The value must be less than %(limit)s.") % {"limit": limit}
    if kind in ("enum", "const"):
        return t.gettext("Choose one of the offered values.")
    if kind == "additionalProperties":
        return t.gettext("The form contains fields it does not expect.")
    return t.gettext("The value is not valid.")


def _type_message(expected: Any, t: gettext.NullTranslations) -> str:
    kinds = set(expected) if isinstance(expected, list) else {expected}
    kinds.discard("null")
    if kinds == {"integer"}:
        return t.gettext("Enter a whole number.")
    if kinds <= {"number", "integer"}:
        return t.gettext("Enter a number.")
    if kinds == {"boolean"}:
        return t.gettext("Choose yes or no.")
    return t.gettext("The value is not valid.")
