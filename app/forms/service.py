"""User task forms: JSON Schemas (draft 2020-12) in ``forms/``, turned into fields to render, and
submitted form fields turned into typed, validated data.

No Flask here. Texts a person reads come through a ``gettext.NullTranslations`` the caller passes
(the web layer passes the request's catalog), so messages follow the user's language.

Posted field names are paths: property names and row numbers joined with dots
(``members.0.given_name``), so nested objects and repeating groups read back into the same shape
the schema describes. Property names are therefore plain identifiers (they also become variables
in BPMN scripts).
"""
from __future__ import annotations

import gettext
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from app.forms.attachments import ALLOWED_TYPES, EXTENSIONS, TYPE_NAMES

Schema = dict[str, Any]
FORM_ERRORS = ""  # the key of errors that belong to the whole form, not one field
ACTION_FIELD = "_action"  # which button sent the form: submit | draft | add:<path> | remove:<path>
REMOVE_FILE_FIELD = "_remove_file"  # file fields whose kept attachment the person removes

_FORM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LV_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\.?\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ENGLISH = gettext.NullTranslations()
_RADIO_LIMIT = 4  # an enum with this many options or fewer is shown as radio buttons
_INDEX_TOKEN = "__i{depth}__"  # the row number in a repeating group's row template


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
    bad = [key for key in _property_names(schema) if not _PROPERTY_NAME.match(key)]
    if bad:
        raise FormNotFound(name, f"property names must be identifiers: {', '.join(sorted(bad))}")
    return schema


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item)


# --- describing the form -------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str  # as posted
    label: str


@dataclass(frozen=True)
class FileInfo:
    """An attachment already stored for a file field, shown beside the field."""

    id: int
    file_name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Row:
    """One row of a repeating group; ``name`` is the group's name and the row's number."""

    name: str
    number: int  # 1-based, as the person reads it
    fields: tuple[Node, ...]
    can_remove: bool

    @property
    def index(self) -> str:
        """The row's number as posted (0-based), or the template's placeholder."""
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Section:
    """Fields shown only while a condition of the schema (``if``/``then``/``else``,
    ``dependentSchemas``) holds. ``condition`` is what the page script needs to show and hide the
    section as the person types; None when the condition is too complex for it (the server
    decides at the next round trip)."""

    id: str
    active: bool
    condition: dict[str, Any] | None
    fields: tuple[Node, ...]
    widget: str = "section"


@dataclass(frozen=True)
class Field:
    """A property of the schema as a form control.

    ``widget`` is one of text, textarea, date, integer, number, money, checkbox, select, radio,
    checkboxes, file, group (a nested object: a fieldset) and repeat (an array: rows).
    """

    name: str
    label: str
    help: str
    widget: str
    required: bool
    options: tuple[Option, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)  # maxlength, min, max, step
    unit: str = ""
    accept: tuple[str, ...] = ()  # file: the content types allowed
    value: Any = None  # what the control shows: text, True/False, a list (checkboxes)
    errors: tuple[str, ...] = ()
    children: tuple[Node, ...] = ()  # group
    rows: tuple[Row, ...] = ()  # repeat
    template: Row | None = None  # repeat: an empty row for the page script to copy
    index_token: str = ""  # repeat: the placeholder of the row number in ``template``
    max_rows: int | None = None
    file: FileInfo | None = None
    autofocus: bool = False

    @property
    def id(self) -> str:
        return field_id(self.name)

    @property
    def focus_id(self) -> str:
        """Where a link to this field lands: the first option of a group of radios or boxes."""
        return f"{self.id}-0" if self.widget in ("radio", "checkboxes") and self.options \
            else self.id

    @property
    def date_as_text(self) -> bool:
        """A date control whose entry the browser's date picker cannot hold (it was typed as
        text and is not a real date): shown as typed, in a text box."""
        return self.widget == "date" and bool(self.value) and not is_iso_date(str(self.value))

    @property
    def accept_attribute(self) -> str:
        extensions = [ext for kind in self.accept for ext in EXTENSIONS.get(kind, "").split(",")]
        return ",".join([*self.accept, *extensions])

    @property
    def type_names(self) -> str:
        return ", ".join(TYPE_NAMES.get(kind, kind) for kind in self.accept)

    @property
    def can_add(self) -> bool:
        return self.max_rows is None or len(self.rows) < self.max_rows


Node = Field | Section


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary at the top of the form."""

    target: str  # the id of the control to go to
    label: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class Form:
    title: str
    description: str
    fields: tuple[Node, ...]
    error_links: tuple[ErrorLink, ...]
    form_errors: tuple[str, ...]
    has_files: bool


def field_id(name: str) -> str:
    return "field-" + name.replace(".", "-")


def notices(schema: Schema, data: Mapping[str, Any]) -> list[str]:
    """What the process wants the person to read before filling in the form: the values of the
    task-data variables the schema names in ``x-notice`` (why the task came back, say; a dotted
    name reads a field of a result), as lines of text; empty values are left out."""
    names = schema.get("x-notice") or []
    found: list[str] = []
    for name in names if isinstance(names, list) else [names]:
        value: Any = data
        for step in str(name).split("."):  # "placement.reason": a field of a result
            value = value.get(step) if isinstance(value, Mapping) else None
        values = value if isinstance(value, list) else [value]
        found.extend(str(item).strip() for item in values
                     if item is not None and not isinstance(item, (dict, bool))
                     and str(item).strip())
    return found


def form_title(schema: Schema, lang: str) -> str:
    return localised(schema, "title", lang)


def form_description(schema: Schema, lang: str) -> str:
    return localised(schema, "description", lang)


def fields(schema: Schema, lang: str) -> list[Node]:
    """The schema's properties as empty form fields, in the schema's order, labelled in ``lang``."""
    return list(build_form(schema, lang, {}).fields)


def build_form(schema: Schema, lang: str, values: Mapping[str, Any],
               errors: Mapping[str, Sequence[str]] | None = None, *,
               files: Mapping[str, FileInfo] | None = None, focus: str | None = None,
               translations: gettext.NullTranslations = _ENGLISH) -> Form:
    """The form to render: every control with its label, help, value and messages.

    ``values`` is what the person entered (or the initial values), shaped like the schema;
    ``errors`` are messages per field name (``FORM_ERRORS`` for the whole form); ``files`` the
    stored attachments by id; ``focus`` the name of a field, row or group to put the focus in
    (after a row was added or removed without the page script).
    """
    builder = _Builder(lang, errors or {}, files or {}, focus, translations)
    nodes = builder.object_nodes(schema, "", values, depth=0)
    leftover = [message for name, messages in (errors or {}).items()
                if name not in builder.used and name != FORM_ERRORS for message in messages]
    form_errors = tuple(dict.fromkeys([*(errors or {}).get(FORM_ERRORS, ()), *leftover]))
    return Form(title=form_title(schema, lang), description=form_description(schema, lang),
                fields=nodes, error_links=tuple(builder.links), form_errors=form_errors,
                has_files=builder.has_files)


def walk(nodes: Sequence[Node]) -> Iterator[Field]:
    """Every field of a form, depth first (rows of repeating groups included)."""
    for node in nodes:
        if isinstance(node, Section):
            yield from walk(node.fields)
            continue
        yield node
        yield from walk(node.children)
        for row in node.rows:
            yield from walk(row.fields)


class _Builder:
    def __init__(self, lang: str, errors: Mapping[str, Sequence[str]],
                 files: Mapping[str, FileInfo], focus: str | None,
                 translations: gettext.NullTranslations) -> None:
        self.lang, self.errors, self.files, self.t = lang, errors, files, translations
        self.focus = focus
        self.used: set[str] = set()
        self.links: list[ErrorLink] = []
        self.has_files = False
        self.in_template = 0
        self.hidden = 0  # inside sections not shown: nothing there takes the focus

    def object_nodes(self, schema: Mapping[str, Any], prefix: str, values: Any, *,
                     depth: int, trail: str = "") -> tuple[Node, ...]:
        values = values if isinstance(values, Mapping) else {}
        properties: Mapping[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        branches = conditional_branches(schema)
        data = typed_object(schema, values)[0] if branches else {}
        members = section_members(branches)
        anchors = [branch.anchor(list(properties), names)
                   for branch, names in zip(branches, members, strict=True)]

        def sections_at(anchor: str | None) -> list[Node]:
            built: list[Node] = []
            for number, branch in enumerate(branches):
                if anchors[number] != anchor or not members[number]:
                    continue
                active = branch.holds(data)
                self.hidden += 0 if active else 1
                children = tuple(
                    self.node(_join(prefix, name), branch.property(properties, name),
                              name in required or name in branch.required, values.get(name),
                              depth=depth, trail=trail)
                    for name in members[number])
                self.hidden -= 0 if active else 1
                section_id = "section-" + _join(prefix, str(number)).replace(".", "-")
                built.append(Section(section_id, active,
                                     branch.script_condition(prefix, properties), children))
            return built

        # In the order the person reads them: sections sit after the field they follow.
        placed = {name for names in members for name in names}
        nodes: list[Node] = sections_at("")
        for name, prop in properties.items():
            if name not in placed:
                nodes.append(self.node(_join(prefix, name), prop, name in required,
                                       values.get(name), depth=depth, trail=trail))
            nodes.extend(sections_at(name))
        nodes.extend(sections_at(None))
        return tuple(nodes)

    def node(self, name: str, prop: Mapping[str, Any], required: bool, value: Any, *,
             depth: int, trail: str) -> Field:
        label = localised(prop, "title", self.lang) or name.rsplit(".", 1)[-1]
        messages = tuple(self.errors.get(name, ()))
        if messages and not self.in_template:
            self.used.add(name)
        widget = widget_of(prop)
        common: dict[str, Any] = {
            "name": name, "label": label, "help": localised(prop, "description", self.lang),
            "widget": widget, "required": required, "errors": messages if not self.in_template
            else ()}
        if widget == "group":
            result = Field(**common, children=self.object_nodes(
                prop, name, value, depth=depth, trail=_trail(trail, label)))
        elif widget == "repeat":
            result = self.repeat(common, prop, value, depth=depth, trail=_trail(trail, label))
        else:
            result = self.leaf(common, prop, value)
        if messages and not self.in_template:
            self.links.append(ErrorLink(result.focus_id, _trail(trail, label), messages))
        return result

    def leaf(self, common: dict[str, Any], prop: Mapping[str, Any], value: Any) -> Field:
        widget, name = common["widget"], common["name"]
        extra: dict[str, Any] = {"attributes": _attributes(prop), "unit": unit_of(prop, self.lang),
                                 "options": _options(prop, self.lang)}
        if widget == "checkbox":
            value = value is True or value in ("true", "on", "1")
        elif widget == "checkboxes":
            value = [str(v) for v in value] if isinstance(value, list) else []
        elif widget == "file":
            self.has_files = True
            extra["accept"] = accepted_types(prop)
            extra["file"] = self.files.get(str(value)) if value not in (None, "") else None
            value = str(value) if extra["file"] is not None else ""
        else:
            value = "" if value is None else str(value)
        if self.focus is not None and not self.in_template and not self.hidden and (
                name == self.focus or name.startswith(self.focus + ".")):
            extra["autofocus"], self.focus = True, None
        return Field(**common, value=value, **extra)

    def repeat(self, common: dict[str, Any], prop: Mapping[str, Any], value: Any, *,
               depth: int, trail: str) -> Field:
        items: Mapping[str, Any] = prop.get("items", {})
        rows_values = value if isinstance(value, list) else []
        min_rows = int(prop.get("minItems", 0))
        count = max(len(rows_values), min_rows)
        name = common["name"]
        autofocus = False
        if self.focus == name and not self.in_template:
            autofocus, self.focus = True, None  # the group's add button takes the focus
        rows = tuple(
            self.row(name, items, rows_values[i] if i < len(rows_values) else None, str(i),
                     i + 1, count > min_rows, depth=depth, trail=trail)
            for i in range(count))
        token = _INDEX_TOKEN.format(depth=depth)
        self.in_template += 1
        template = self.row(name, items, None, token, 0, True, depth=depth, trail=trail)
        self.in_template -= 1
        max_items = prop.get("maxItems")
        return Field(**common, rows=rows, template=template, index_token=token,
                     max_rows=int(max_items) if max_items is not None else None,
                     attributes={"data-min-rows": str(min_rows)}, autofocus=autofocus)

    def row(self, group: str, items: Mapping[str, Any], value: Any, index: str, number: int,
            can_remove: bool, *, depth: int, trail: str) -> Row:
        name = f"{group}.{index}"
        row_trail = _trail(trail, self.t.gettext("Row %(num)s") % {"num": number})
        if _type(items) == "object":
            nodes = self.object_nodes(items, name, value, depth=depth + 1, trail=row_trail)
        else:
            # A list of single values: each row is one control, named by its row.
            nodes = (self.node(name, items, True, value, depth=depth + 1, trail=row_trail),)
        return Row(name, number, nodes, can_remove)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _trail(trail: str, label: str) -> str:
    return f"{trail} › {label}" if trail else label


def localised(node: Mapping[str, Any], key: str, lang: str) -> str:
    # Latvian is the schema's own text; English lives beside it as x-<key>-en.
    if lang == "en" and node.get(f"x-{key}-en"):
        return str(node[f"x-{key}-en"])
    return str(node.get(key, ""))


def unit_of(prop: Mapping[str, Any], lang: str) -> str:
    if prop.get("x-widget") == "money":
        return "€"
    if lang == "en" and prop.get("x-unit-en"):
        return str(prop["x-unit-en"])
    return str(prop.get("x-unit", ""))


def _type(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):  # ["string", "null"]: the non-null one decides the widget
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def is_file(prop: Mapping[str, Any]) -> bool:
    return _type(prop) == "string" and (prop.get("format") == "binary"
                                        or prop.get("x-widget") == "file")


def is_money(prop: Mapping[str, Any]) -> bool:
    return prop.get("x-widget") == "money" and _type(prop) in ("string", "integer")


def widget_of(prop: Mapping[str, Any]) -> str:
    kind = _type(prop)
    if kind == "object":
        return "group"
    if kind == "array":
        items = prop.get("items", {})
        return "checkboxes" if isinstance(items, Mapping) and "enum" in items else "repeat"
    if "enum" in prop:
        explicit = prop.get("x-widget")
        if explicit in ("radio", "select"):
            return str(explicit)
        return "radio" if len(prop["enum"]) <= _RADIO_LIMIT else "select"
    if is_file(prop):
        return "file"
    if is_money(prop):
        return "money"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    if prop.get("format") == "date":
        return "date"
    if prop.get("x-widget") == "textarea":
        return "textarea"
    return "text"


def _options(prop: Mapping[str, Any], lang: str) -> tuple[Option, ...]:
    source = prop.get("items", {}) if _type(prop) == "array" else prop
    if not isinstance(source, Mapping) or "enum" not in source:
        return ()
    return tuple(Option(enum_text(value), enum_title(source, value, lang))
                 for value in source["enum"])


def enum_text(value: Any) -> str:
    """An enum value as a form posts it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def enum_title(prop: Mapping[str, Any], value: Any, lang: str) -> str:
    """The label of one enum value: ``x-enum-titles`` (Latvian) or ``x-enum-titles-en``, each
    either a list in the enum's order or an object keyed by the value; else the value itself."""
    for key in (("x-enum-titles-en", "x-enum-titles") if lang == "en" else ("x-enum-titles",)):
        titles = prop.get(key)
        if isinstance(titles, Mapping) and enum_text(value) in titles:
            return str(titles[enum_text(value)])
        if isinstance(titles, list):
            enum = list(prop.get("enum", []))
            if value in enum and enum.index(value) < len(titles):
                return str(titles[enum.index(value)])
    return enum_text(value)


def accepted_types(prop: Mapping[str, Any]) -> tuple[str, ...]:
    """The content types a file field takes: its ``x-accept`` list, within what the product
    can recognise (PDF, PNG, JPEG)."""
    wanted = prop.get("x-accept")
    if not isinstance(wanted, list):
        return tuple(ALLOWED_TYPES)
    return tuple(kind for kind in ALLOWED_TYPES if kind in wanted)


def _attributes(prop: Mapping[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if "maxLength" in prop:
        attributes["maxlength"] = str(prop["maxLength"])
    kind = _type(prop)
    if kind in ("integer", "number") and not is_money(prop):
        if "minimum" in prop:
            attributes["min"] = str(prop["minimum"])
        if "maximum" in prop:
            attributes["max"] = str(prop["maximum"])
        attributes["step"] = "1" if kind == "integer" else "any"
    return attributes


# --- conditional sections ------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    """Fields a condition of an object schema brings in.

    ``kind`` is ``then`` (shown while ``condition`` holds), ``else`` (shown while it does not) or
    ``dependent`` (shown while the property ``trigger`` has a value: ``dependentSchemas``).
    """

    kind: str
    condition: Mapping[str, Any]
    trigger: str
    schema: Mapping[str, Any]

    @property
    def members(self) -> list[str]:
        names = [*self.schema.get("properties", {}), *self.schema.get("required", [])]
        return [name for name in dict.fromkeys(names) if name != self.trigger]

    @property
    def required(self) -> set[str]:
        return set(self.schema.get("required", []))

    def property(self, base: Mapping[str, Any], name: str) -> dict[str, Any]:
        # A property named in the base schema keeps its title; the branch may add rules.
        return {**base.get(name, {}), **self.schema.get("properties", {}).get(name, {})}

    def holds(self, data: Mapping[str, Any]) -> bool:
        if self.kind == "dependent":
            return self.trigger in data
        met = Draft202012Validator(dict(self.condition)).is_valid(dict(data))
        return met if self.kind == "then" else not met

    def anchor(self, order: list[str], members: list[str]) -> str | None:
        """Where the section goes: after the property before its first member declared in the
        base schema ("" for the very top), else after the property its condition is about;
        None puts it at the end."""
        for position, name in enumerate(order):
            if name in members:
                return order[position - 1] if position else ""
        if self.trigger in order:
            return self.trigger
        about = [name for name in self.condition.get("properties", {}) if name in order]
        return about[-1] if about else None

    def script_condition(self, prefix: str, base: Mapping[str, Any]) -> dict[str, Any] | None:
        """The condition as the page script evaluates it: every clause must hold; a clause
        names a control and the posted values that satisfy it (or just that it has a value)."""
        if self.kind == "dependent":
            return {"all": [{"field": _join(prefix, self.trigger), "filled": True,
                             "checkbox": _type(base.get(self.trigger, {})) == "boolean"}],
                    "negate": False}
        if set(self.condition) - {"properties", "required", "type"}:
            return None
        required = set(self.condition.get("required", []))
        clauses = []
        for name, rule in self.condition.get("properties", {}).items():
            if not isinstance(rule, Mapping) or set(rule) - {"const", "enum"} or name not in base:
                return None
            allowed = [rule["const"]] if "const" in rule else list(rule.get("enum", []))
            clauses.append({"field": _join(prefix, name),
                            "values": [enum_text(value) for value in allowed],
                            "required": name in required,
                            "checkbox": _type(base[name]) == "boolean"})
        for name in required - set(self.condition.get("properties", {})):
            if name not in base:
                return None
            clauses.append({"field": _join(prefix, name), "filled": True,
                            "checkbox": _type(base[name]) == "boolean"})
        return {"all": clauses, "negate": self.kind == "else"}


def section_members(branches: list[Branch]) -> list[list[str]]:
    """The fields each branch's section shows. A field is shown in one section only; one that
    both the ``then`` and the ``else`` of a condition name is needed either way, so it stays
    with the unconditional fields."""
    both = {name for a in branches for b in branches
            if a.kind == "then" and b.kind == "else" and a.condition is b.condition
            for name in set(a.members) & set(b.members)}
    seen: set[str] = set()
    result = []
    for branch in branches:
        names = [name for name in branch.members if name not in both and name not in seen]
        seen.update(names)
        result.append(names)
    return result


def conditional_branches(schema: Mapping[str, Any]) -> list[Branch]:
    """The conditional parts of an object schema: ``if``/``then``/``else`` (also inside
    ``allOf``) and ``dependentSchemas``, in the order the schema lists them."""
    branches: list[Branch] = []
    for part in [schema, *schema.get("allOf", [])]:
        if not isinstance(part, Mapping) or "if" not in part:
            continue
        condition = part["if"] if isinstance(part["if"], Mapping) else {}
        for kind in ("then", "else"):
            if isinstance(part.get(kind), Mapping):
                branches.append(Branch(kind, condition, "", part[kind]))
    for trigger, dependent in schema.get("dependentSchemas", {}).items():
        if isinstance(dependent, Mapping):
            branches.append(Branch("dependent", {}, trigger, dependent))
    return branches


# --- values a form starts with -------------------------------------------------------------------


def initial_values(schema: Schema, known: Mapping[str, Any] | None = None,
                   lang: str = "lv") -> dict[str, Any]:
    """Values a new form starts with: what the case already holds (``known``, the task's data),
    else the schema's defaults; shaped as the form shows them."""
    return _display_object(schema, known or {}, lang, use_defaults=True)


def display_values(schema: Schema, data: Mapping[str, Any], lang: str = "lv") -> dict[str, Any]:
    """Typed data (as completed or stored in a draft) as the form's controls show it."""
    return _display_object(schema, data, lang, use_defaults=False)


def _display_object(schema: Mapping[str, Any], known: Mapping[str, Any], lang: str, *,
                    use_defaults: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, prop in all_properties(schema).items():
        if known.get(name) is not None:
            value = known[name]
        elif use_defaults and "default" in prop:
            value = prop["default"]
        else:
            continue
        values[name] = _display(prop, value, lang, use_defaults=use_defaults)
    return values


def _display(prop: Mapping[str, Any], value: Any, lang: str, *, use_defaults: bool) -> Any:
    widget = widget_of(prop)
    if widget == "group":
        return _display_object(prop, value if isinstance(value, Mapping) else {}, lang,
                               use_defaults=use_defaults)
    if widget == "repeat":
        items = prop.get("items", {})
        return [_display(items, item, lang, use_defaults=use_defaults)
                for item in (value if isinstance(value, list) else [])]
    if widget == "checkboxes":
        return [enum_text(item) for item in (value if isinstance(value, list) else [])]
    if widget == "checkbox":
        return value is True
    if widget == "money":
        return money_input_text(prop, value, lang)
    if widget in ("select", "radio"):
        return enum_text(value)
    return str(value)


def all_properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Base properties and those only a conditional branch declares."""
    properties = dict(schema.get("properties", {}))
    for branch in conditional_branches(schema):
        for name in branch.members:
            properties[name] = branch.property(properties, name)
    return properties


# --- reading a submission ------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    data: dict[str, Any]  # typed values to validate and hand to the engine
    values: dict[str, Any]  # what the person entered, to show again if something is wrong
    problems: dict[str, str] = field(default_factory=dict)  # field name → what could not be read


def read_submission(schema: Schema, form: Mapping[str, Any]) -> Submission:
    """Typed values from posted form fields; only the schema's properties are read.

    Empty fields are left out (so a required one is reported as missing); text that does not
    parse as the schema's type is passed on as text, for the validator to report. An amount of
    money that cannot be read is recorded in ``problems``. Fields of a conditional section whose
    condition does not hold are not part of the data.
    """
    values = posted_values(schema, form)
    data, problems = typed_object(schema, values)
    return Submission(data, values, problems)


def posted_values(schema: Mapping[str, Any], form: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """What the person entered, shaped like the schema: text as typed, True/False for boxes,
    lists for repeating groups (rows in the order the page had them)."""
    values: dict[str, Any] = {}
    for name, prop in all_properties(schema).items():
        values[name] = _posted(prop, form, _join(prefix, name))
    return values


def _posted(prop: Mapping[str, Any], form: Mapping[str, Any], name: str) -> Any:
    widget = widget_of(prop)
    if widget == "group":
        return posted_values(prop, form, name)
    if widget == "repeat":
        # Each row posts a marker with its number under the group's name: the rows' order and
        # which exist, even when a row has nothing filled in.
        items = prop.get("items", {})
        return [_posted(items, form, f"{name}.{index}") for index in _row_markers(form, name)]
    if widget == "checkboxes":
        return [str(v) for v in _getlist(form, name)]
    if widget == "checkbox":
        return form.get(name) in ("true", "on", "1")
    raw = form.get(name, "")
    return raw if isinstance(raw, str) else ""


def _getlist(form: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = form.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _row_markers(form: Mapping[str, Any], name: str) -> list[str]:
    return list(dict.fromkeys(str(m) for m in _getlist(form, name) if str(m).isdigit()))


def typed_object(schema: Mapping[str, Any], values: Mapping[str, Any],
                 prefix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """Typed data of one object from its entered values, and what could not be read."""
    data: dict[str, Any] = {}
    problems: dict[str, str] = {}
    wanted = set(schema.get("required", [])).union(
        *(branch.required for branch in conditional_branches(schema)))
    for name, prop in all_properties(schema).items():
        if name not in values:
            continue
        value = _typed(prop, values[name], _join(prefix, name), problems)
        if value is _EMPTY:
            continue
        if widget_of(prop) == "group" and name not in wanted and _blank(value):
            # An optional group left empty is not an answer (its own required fields would
            # otherwise be reported).
            continue
        data[name] = value
    branches = conditional_branches(schema)
    shown = {name for branch, names in zip(branches, section_members(branches), strict=True)
             if branch.holds(data) for name in names}
    for branch, names in zip(branches, section_members(branches), strict=True):
        for name in names:
            if name not in shown:
                # A section that is not shown does not count, whatever it still holds.
                data.pop(name, None)
                for key in [key for key in problems if key == _join(prefix, name)
                            or key.startswith(_join(prefix, name) + ".")]:
                    del problems[key]
    return data, problems


def _blank(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_blank(v) for v in value.values())
    return value in (None, "", False) or value == []


class _Empty:
    pass


_EMPTY = _Empty()


def _typed(prop: Mapping[str, Any], value: Any, name: str, problems: dict[str, str]) -> Any:
    widget = widget_of(prop)
    kind = _type(prop)
    if widget == "group":
        data, inner = typed_object(prop, value if isinstance(value, Mapping) else {}, name)
        problems.update(inner)
        return data
    if widget == "repeat":
        items = prop.get("items", {})
        rows = []
        for index, item in enumerate(value if isinstance(value, list) else []):
            typed = _typed(items, item, f"{name}.{index}", problems)
            if typed is _EMPTY:
                # A row of a list of single values left empty: the person should fill or remove it.
                problems[f"{name}.{index}"] = "required"
                typed = None
            rows.append(typed)
        return rows
    if widget == "checkboxes":
        items = prop.get("items", {})
        return [_from_enum(items, str(v)) for v in (value if isinstance(value, list) else [])]
    if widget == "checkbox":
        # An unticked checkbox sends nothing: that is a "no", not a missing answer.
        return value is True
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return _EMPTY
    if "enum" in prop:
        return _from_enum(prop, text)
    if widget == "money":
        amount = parse_money(text)
        if amount is None:
            problems[name] = "money"
            return _EMPTY
        return f"{amount:.2f}" if kind == "string" else int(amount * 100)
    if kind == "integer":
        return _to_integer(text)
    if kind == "number":
        return _to_number(text)
    if prop.get("format") == "date":
        return _to_iso_date(text)
    return text


def _from_enum(prop: Mapping[str, Any], text: str) -> Any:
    for value in prop.get("enum", []):
        if enum_text(value) == text:
            return value
    return text


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


def is_iso_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def submission_from_values(schema: Schema, values: dict[str, Any]) -> Submission:
    """The typed data of entries already read (and perhaps changed: rows, attachments)."""
    data, problems = typed_object(schema, values)
    return Submission(data, values, problems)


def file_fields(schema: Mapping[str, Any], values: Mapping[str, Any],
                prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every file control the form has with these entries: its name and its property."""
    for name, prop in all_properties(schema).items():
        yield from _file_fields(prop, values.get(name), _join(prefix, name))


def _file_fields(prop: Mapping[str, Any], value: Any,
                 name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    widget = widget_of(prop)
    if widget == "file":
        yield name, dict(prop)
    elif widget == "group":
        yield from file_fields(prop, value if isinstance(value, Mapping) else {}, name)
    elif widget == "repeat" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _file_fields(prop.get("items", {}), item, f"{name}.{index}")


def file_values(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The attachment ids the entries hold, by file control."""
    found = []
    for name, _ in file_fields(schema, values):
        value = value_at(values, name)
        if isinstance(value, str) and value:
            found.append((name, value))
    return found


def value_at(values: Any, name: str) -> Any:
    current = values
    for step in name.split("."):
        if isinstance(current, Mapping):
            current = current.get(step)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
    return current


def set_value(values: Any, name: str, value: Any) -> None:
    """Put ``value`` at the field ``name`` of entries shaped like the schema."""
    *parents, last = name.split(".")
    container = value_at(values, ".".join(parents)) if parents else values
    if isinstance(container, dict):
        container[last] = value
    elif isinstance(container, list) and last.isdigit() and int(last) < len(container):
        container[int(last)] = value


# --- money ---------------------------------------------------------------------------------------


_MONEY = re.compile(r"^-?\d+(?:[.,]\d{1,2})?$")


def parse_money(text: str) -> Decimal | None:
    """An amount in euro as people type it: ``1234,5``, ``1 234,50``, ``1234.50 €``,
    ``1.234,50`` or ``1,234.50``. At most two decimals; None if it is not an amount.

    Decimal, never float: 0.1 + 0.2 must stay 0.30.
    """
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text.strip(), flags=re.IGNORECASE)
    if "," in cleaned and "." in cleaned:
        # The later sign is the decimal one; the other groups thousands.
        decimal_sign = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_sign == "," else ",", "")
    if not _MONEY.match(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def money_amount(prop: Mapping[str, Any], value: Any) -> Decimal | None:
    """The stored value of a money field (a decimal string or integer cents) as euro."""
    try:
        if _type(prop) == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return (Decimal(value) / 100).quantize(Decimal("0.01"))
        if isinstance(value, str):
            return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return None


def money_input_text(prop: Mapping[str, Any], value: Any, lang: str) -> str:
    amount = money_amount(prop, value)
    if amount is None:
        return "" if value is None else str(value)
    text = f"{amount:.2f}"
    return text.replace(".", ",") if lang == "lv" else text


def format_money(amount: Decimal, lang: str) -> str:
    """1 234,50 € in Latvian, €1,234.50 in English."""
    grouped = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    if lang == "en":
        return f"{sign}€{grouped}"
    return f"{sign}{grouped.replace(',', ' ').replace('.', ',')} €"


# --- row actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowAction:
    kind: str  # add | remove
    group: str  # the repeating group's name
    index: int | None  # remove: the row's position


def row_action(action: str) -> RowAction | None:
    """The row button pressed (``add:members`` or ``remove:members.2``), if any."""
    kind, _, path = action.partition(":")
    if kind == "add" and path:
        return RowAction("add", path, None)
    if kind == "remove" and "." in path:
        group, _, index = path.rpartition(".")
        if index.isdigit():
            return RowAction("remove", group, int(index))
    return None


def apply_row_action(schema: Schema, values: dict[str, Any], action: RowAction) -> str | None:
    """Add or remove a row in ``values`` (as entered) without the page script; the name of the
    control to focus afterwards (the new row, or the group's add button), or None if the action
    names no repeating group of this form."""
    found = _rows_at(schema, values, action.group.split("."))
    if found is None:
        return None
    prop, rows = found
    if action.kind == "add":
        if "maxItems" in prop and len(rows) >= int(prop["maxItems"]):
            return action.group
        rows.append({} if _type(prop.get("items", {})) == "object" else "")
        return f"{action.group}.{len(rows) - 1}"
    if action.index is not None and action.index < len(rows):
        del rows[action.index]
    return action.group


def _rows_at(schema: Mapping[str, Any], values: Any,
             path: list[str]) -> tuple[Mapping[str, Any], list[Any]] | None:
    node: Any = schema
    current: Any = values
    for step in path:
        if _type(node) == "array" and step.isdigit():
            if not isinstance(current, list) or int(step) >= len(current):
                return None
            node, current = node.get("items", {}), current[int(step)]
        else:
            node = all_properties(node).get(step) if _type(node) == "object" else None
            if node is None or not isinstance(current, dict):
                return None
            if widget_of(node) == "repeat" and not isinstance(current.get(step), list):
                current[step] = []
            current = current.get(step)
    if node is None or widget_of(node) != "repeat" or not isinstance(current, list):
        return None
    return node, current


# --- validating ----------------------------------------------------------------------------------


def validate(schema: Schema, data: Mapping[str, Any],
             translations: gettext.NullTranslations = _ENGLISH,
             lang: str | None = None) -> dict[str, list[str]]:
    """Messages per field name (``FORM_ERRORS`` for the form as a whole); empty when valid.
    ``lang`` decides how amounts in messages are written (the catalog's language if not given)."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    lang = lang or _language_of(translations)
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(dict(data)), key=lambda e: [str(p) for p in e.path]):
        for name, message in _messages(error, translations, lang):
            _add(errors, name, message)
    if not errors:
        # The domain's rules read well-formed data only, so they run once the schema holds.
        for name, message in _rule_messages(schema, data, lang):
            _add(errors, name, message)
    return errors


def _rule_messages(schema: Schema, data: Mapping[str, Any], lang: str) -> Iterator[tuple[str, str]]:
    """The findings of the domain rules the form names in ``x-rules`` (app.domain.findings)."""
    names = schema.get("x-rules") or []
    if not names:
        return
    from app.domain.findings import form_rules

    known = form_rules()
    for name in names if isinstance(names, list) else [names]:
        rule = known.get(str(name))
        if rule is None:
            # A modelling mistake: say so rather than let unchecked data through.
            yield FORM_ERRORS, (f"The form names the rule '{name}', which the product does not have."
                                if lang == "en" else
                                f"Veidlapa atsaucas uz noteikumu '{name}', kura sistēmā nav.")
            continue
        for finding in rule(data):
            yield finding.field or FORM_ERRORS, finding.message(lang)


def validate_submission(schema: Schema, submission: Submission,
                        translations: gettext.NullTranslations = _ENGLISH,
                        lang: str | None = None) -> dict[str, list[str]]:
    """What is wrong with a submission: values that could not be read, then the schema's rules."""
    errors: dict[str, list[str]] = {}
    for name, problem in submission.problems.items():
        if problem == "money":
            _add(errors, name, _money_message(translations))
        elif problem == "required":
            _add(errors, name, translations.gettext("This field is required."))
    for name, messages in validate(schema, submission.data, translations, lang).items():
        for message in messages:
            if name not in submission.problems:
                _add(errors, name, message)
    return errors


def _messages(error: ValidationError, t: gettext.NullTranslations,
              lang: str) -> Iterator[tuple[str, str]]:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator in ("required", "dependentRequired"):
        wanted = error.validator_value
        if error.validator == "dependentRequired":
            wanted = [name for names in wanted.values() for name in names]
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        for name in wanted:
            if name not in instance:
                yield _join(path, name), t.gettext("This field is required.")
        return
    if error.validator in ("minItems", "maxItems"):
        yield path, _rows_message(error, t)
        return
    yield path or FORM_ERRORS, _message(error, t, lang)


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    if message not in errors.setdefault(name, []):
        errors[name].append(message)


def _rows_message(error: ValidationError, t: gettext.NullTranslations) -> str:
    limit = int(error.validator_value)
    subschema = error.schema if isinstance(error.schema, Mapping) else {}
    if widget_of(subschema) == "checkboxes":
        if error.validator == "minItems":
            return t.ngettext("Choose at least %(num)d option.", "Choose at least %(num)d options.",
                              limit) % {"num": limit}
        return t.ngettext("Choose at most %(num)d option.", "Choose at most %(num)d options.",
                          limit) % {"num": limit}
    if error.validator == "minItems":
        return t.ngettext("Add at least %(num)d row.", "Add at least %(num)d rows.",
                          limit) % {"num": limit}
    return t.ngettext("Enter at most %(num)d row.", "Enter at most %(num)d rows.",
                      limit) % {"num": limit}


def _money_message(t: gettext.NullTranslations) -> str:
    return t.gettext("Enter an amount in euro with at most two decimals, for example 125,50.")


def _message(error: ValidationError, t: gettext.NullTranslations, lang: str) -> str:
    kind, limit = error.validator, error.validator_value
    subschema = error.schema if isinstance(error.schema, Mapping) else {}
    if is_money(subschema):
        if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            amount = money_amount(subschema, limit)
            if amount is not None:
                limit = format_money(amount, lang)
        elif kind in ("pattern", "type", "format"):
            return _money_message(t)
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
    if kind == "uniqueItems":
        return t.gettext("Each value may be chosen only once.")
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return t.gettext("The form contains fields it does not expect.")
    return t.gettext("The value is not valid.")


_CATALOG_HEADER = ""  # the msgid whose translation is the catalog's header


def _language_of(t: gettext.NullTranslations) -> str:
    # Flask-Babel merges the catalog into an empty one, whose info() is empty: the header entry
    # (the translation of "") still says which language it is.
    language = str(t.info().get("language", ""))
    if not language:
        header = t.gettext(_CATALOG_HEADER)
        language = next((line.split(":", 1)[1].strip() for line in header.splitlines()
                         if line.lower().startswith("language:")), "")
    return "lv" if language.startswith("lv") else "en"


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
