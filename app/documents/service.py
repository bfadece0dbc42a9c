"""Rendering a document from its data, storing it with the case, and rendering it again.

Documents are official papers in Latvian whatever language the person reading the screen
chose, so they are rendered outside any request with the Latvian catalogue. The PDF carries no
clock reading: its dates come from the data, so the same data gives the same bytes.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import CaseDocument, ProcessInstance
from app.domain.calendar import format_lv, format_lv_datetime, parse_date
from app.forms.service import format_money

APP_DIR = Path(__file__).resolve().parent.parent
STYLESHEET = APP_DIR / "static" / "css" / "document-pdf.css"


class DocumentError(ValueError):
    """A document cannot be made from what was given; the message says why."""


def format_eur(cents: int | None) -> str:
    """Whole cents as Latvian documents write euro: 1 234,50 € (the forms' own formatting)."""
    if cents is None:
        return ""
    return format_money(Decimal(int(cents)) / 100, "lv")


def _lv_date(value: Any) -> str:
    if not value:
        return ""
    return format_lv(parse_date(value)) if isinstance(value, str) else format_lv(value)


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(APP_DIR / "templates")),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      extensions=["jinja2.ext.i18n"])
    translations = Translations.load(str(APP_DIR / "translations"), ["lv"])
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(lv_date=_lv_date, lv_datetime=format_lv_datetime, eur=format_eur)
    return env


def render_html(template: str, data: dict[str, Any], title: str) -> str:
    if not template.startswith("documents/"):
        raise DocumentError(f"document templates live in templates/documents/, not {template}")
    return _environment().get_template(template).render(data=data, title=title)


def render_pdf(template: str, data: dict[str, Any], title: str) -> bytes:
    """The PDF of ``template`` filled with ``data``: A4, DejaVu Sans embedded, nothing fetched."""
    from weasyprint import CSS, HTML  # heavy: loaded when a document is made

    html = HTML(string=render_html(template, data, title), url_fetcher=_refuse_fetch)
    pdf = html.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
    assert pdf is not None
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"documents load no resources ({url[:40]})")


def data_digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_document(session: Session, instance: ProcessInstance, *, kind: str, title: str,
                   template: str, data: dict[str, Any], created_by: str,
                   idempotency_key: str | None = None) -> CaseDocument:
    """Render and store the next version of ``kind`` for the instance. The caller commits.

    With an ``idempotency_key`` already used, the document stored then is returned unchanged.
    """
    if idempotency_key:
        earlier = session.scalars(select(CaseDocument).where(
            CaseDocument.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    try:
        json.dumps(data)
    except (TypeError, ValueError) as err:
        raise DocumentError(f"the data of a document must be plain JSON: {err}") from None
    pdf = render_pdf(template, data, title)
    version = (session.scalar(select(func.max(CaseDocument.version)).where(
        CaseDocument.instance_id == instance.id, CaseDocument.kind == kind)) or 0) + 1
    document = CaseDocument(
        instance_id=instance.id, kind=kind, version=version, title=title, template=template,
        data=data, data_sha256=data_digest(data), content=pdf,
        content_sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
        idempotency_key=idempotency_key, created_by=created_by,
        person_id=instance.person_id, record_kind=instance.record_kind,
        municipality_code=instance.municipality_code, institution_code=instance.institution_code,
        orphan_court_code=instance.orphan_court_code, confidential=instance.confidential)
    session.add(document)
    session.flush()
    return document


def render_again(document: CaseDocument) -> bytes:
    """The document rendered anew from its stored data (to check it, or if the blob is lost)."""
    return render_pdf(document.template, document.data, document.title)
