"""Read-only summaries of the forms completed earlier in a case: the task page shows them under
the form, the case file lists them.

The values come from the ``task_completed`` events (what the person submitted, as the engine
received it) and are read with the labels of the task's form: enum titles, dates as DD.MM.YYYY,
amounts in euro, units, attachments by file name.

No Flask here.
"""
from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT, Settings
from app.db.models import Attachment, Event, HumanTask, User
from app.domain.calendar import format_lv, parse_date
from app.forms import service as forms
from app.forms.attachments import format_size

TRANSLATIONS = PROJECT_ROOT / "app" / "translations"


@dataclass(frozen=True)
class AttachmentLink:
    id: int
    file_name: str
    size: str  # "120 KB"


@dataclass(frozen=True)
class SummaryItem:
    """One answer: a value as text, an attachment, a nested group of answers or rows of them."""

    label: str
    text: str = ""
    attachment: AttachmentLink | None = None
    items: tuple[SummaryItem, ...] = ()
    rows: tuple[tuple[SummaryItem, ...], ...] = ()
    kind: str = "value"  # value | attachment | group | rows


@dataclass(frozen=True)
class TaskSummary:
    task_id: int
    name: str
    form_title: str
    completed_by: str  # username
    completed_by_name: str  # as colleagues see it
    completed_at: datetime | None
    items: tuple[SummaryItem, ...]


def completed_task_summaries(session: Session, instance_id: int, locale: str, *,
                             forms_dir: Path | None = None,
                             translations: gettext.NullTranslations | None = None
                             ) -> list[TaskSummary]:
    """Each completed human task of the instance, oldest first: its name, who completed it and
    when, and what was submitted, labelled in ``locale`` (lv or en).

    The caller decides whether the person may read the instance (``app.access.scope``).
    """
    forms_dir = forms_dir or Settings().forms_dir
    t = translations or _catalog(locale)
    tasks = list(session.execute(
        select(HumanTask, User.display_name)
        .outerjoin(User, User.username == HumanTask.completed_by)
        .where(HumanTask.instance_id == instance_id, HumanTask.status == "completed")
        .order_by(HumanTask.completed_at, HumanTask.id)))
    if not tasks:
        return []
    submitted: dict[int, dict[str, Any]] = {}
    for detail in session.scalars(select(Event.detail).where(Event.instance_id == instance_id,
                                                             Event.kind == "task_completed")):
        if isinstance(detail, Mapping) and isinstance(detail.get("data"), Mapping):
            submitted[int(detail.get("task_id", 0))] = dict(detail["data"])
    files = _attachments(session, instance_id)
    reader = _Reader(locale, t, files)
    result = []
    for task, display_name in tasks:
        data = submitted.get(task.id, {})
        schema = _schema(forms_dir, task.form_key)
        title = forms.form_title(schema, locale) if schema else ""
        items = reader.object_items(schema, data) if schema else reader.unlabelled(data)
        result.append(TaskSummary(task_id=task.id, name=task.element_name, form_title=title,
                                  completed_by=task.completed_by or "",
                                  completed_by_name=display_name or task.completed_by or "",
                                  completed_at=task.completed_at, items=items))
    return result


def _schema(forms_dir: Path, form_key: str | None) -> forms.Schema | None:
    if not form_key:
        return None
    try:
        return forms.load_schema(forms_dir, form_key)
    except forms.FormNotFound:
        # A form removed since: the answers are still shown, under their field names.
        return None


def _attachments(session: Session, instance_id: int) -> dict[str, AttachmentLink]:
    rows = session.execute(select(Attachment.id, Attachment.file_name, Attachment.size)
                           .where(Attachment.instance_id == instance_id))
    return {str(row.id): AttachmentLink(row.id, row.file_name, str(row.size)) for row in rows}


class _Reader:
    def __init__(self, lang: str, t: gettext.NullTranslations,
                 files: Mapping[str, AttachmentLink]) -> None:
        self.lang, self.t, self.files = lang, t, files

    def object_items(self, schema: Mapping[str, Any], data: Mapping[str, Any]
                     ) -> tuple[SummaryItem, ...]:
        items = []
        for name, prop in forms.all_properties(schema).items():
            if name in data and data[name] is not None:
                items.append(self.item(prop, data[name], name))
        return tuple(items)

    def unlabelled(self, data: Mapping[str, Any]) -> tuple[SummaryItem, ...]:
        return tuple(SummaryItem(label=name, text=self.plain(value)) for name, value in data.items())

    def item(self, prop: Mapping[str, Any], value: Any, name: str) -> SummaryItem:
        label = forms.localised(prop, "title", self.lang) or name
        widget = forms.widget_of(prop)
        if widget == "group" and isinstance(value, Mapping):
            return SummaryItem(label, items=self.object_items(prop, value), kind="group")
        if widget == "repeat" and isinstance(value, list):
            items = prop.get("items", {})
            rows = tuple(
                self.object_items(items, row) if isinstance(row, Mapping)
                else (self.item(items, row, self.t.gettext("Row %(num)s") % {"num": number}),)
                for number, row in enumerate(value, start=1))
            return SummaryItem(label, rows=rows, kind="rows")
        if widget == "file":
            link = self.files.get(str(value))
            if link is None:
                return SummaryItem(label, text="—")
            return SummaryItem(label, attachment=AttachmentLink(
                link.id, link.file_name, format_size(int(link.size), self.lang)), kind="attachment")
        return SummaryItem(label, text=self.text(prop, value, widget))

    def text(self, prop: Mapping[str, Any], value: Any, widget: str) -> str:
        if widget == "checkbox" or isinstance(value, bool):
            return self.t.gettext("Yes") if value is True else self.t.gettext("No")
        if widget in ("select", "radio"):
            return forms.enum_title(prop, value, self.lang)
        if widget == "checkboxes" and isinstance(value, list):
            items = prop.get("items", {})
            return ", ".join(forms.enum_title(items, v, self.lang) for v in value)
        if widget == "money":
            amount = forms.money_amount(prop, value)
            return forms.format_money(amount, self.lang) if amount is not None else str(value)
        if widget == "date" and isinstance(value, str) and forms.is_iso_date(value):
            return format_lv(parse_date(value))
        if widget in ("integer", "number"):
            unit = forms.unit_of(prop, self.lang)
            number = self.number(value)
            return f"{number} {unit}" if unit else number
        return self.plain(value)

    def number(self, value: Any) -> str:
        if isinstance(value, float):
            text = format(Decimal(str(value)).normalize(), "f")
            return text.replace(".", ",") if self.lang == "lv" else text
        return str(value)

    def plain(self, value: Any) -> str:
        if isinstance(value, bool):
            return self.t.gettext("Yes") if value else self.t.gettext("No")
        if isinstance(value, (list, dict)):
            return ", ".join(self.plain(v) for v in (value if isinstance(value, list)
                                                     else value.values()))
        return "" if value is None else str(value)


@lru_cache(maxsize=4)
def _catalog(locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])
