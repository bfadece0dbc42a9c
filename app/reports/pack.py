"""The monthly report pack (processes/report_pack.bpmn): one long-lived instance that, on the 3rd
of each month, makes each subscriber a PDF of their subscribed reports for the month before and
queues one e-mail that tells them where to download it. No Flask here.

Each pack is made under the subscriber's own access of that day (``viewer_of_user``): the engine
runs every report with their viewer, so a municipality's pack holds only its own figures, and a
report they may no longer see is left out. A disabled account, or one whose subscribed reports
are all out of its reach now, gets nothing.

The outbox's e-mail carries text only (no attachments, docs/outbox.md), and a report pack holds
figures the address's mailbox has no right to keep: the e-mail carries the link to the stored
pack, which only its owner can download after signing in.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import standing_processes
from app.access.organisations import organisation_names
from app.access.scope import Viewer, viewer_of_user
from app.audit.chain import append_instance_event
from app.db import transaction
from app.db.models import OutboxMessage, ProcessInstance, ReportPack, User, utcnow

from . import subscriptions
from .definitions import ReportDefinition
from .pack_schedule import month_first_day, month_label_lv, next_pack_at

log = logging.getLogger(__name__)

PROCESS_KEY = "report_pack"
# One instance makes every month's packs.
BUSINESS_KEY = "REPORT-PACK"
SYSTEM_ACTOR = "report-pack"
TOPIC = "REPORT_PACK"
RECIPIENT_ROLE = "subscriber"
PDF_TEMPLATE = "documents/report_pack.html"


# --- the one instance ----------------------------------------------------------------------------


def running_instance_id(session: Session) -> int | None:
    return standing_processes.running_instance_id(session, PROCESS_KEY, BUSINESS_KEY)


def ensure_running(engine: Any, sessions: Any, now: datetime | None = None,
                   first_run_at: datetime | None = None) -> list[int]:
    """Start the pack process when none is running, waiting for the next 3rd (or for
    ``first_run_at``); returns the started instance's id, or nothing. Harmless to repeat."""
    return standing_processes.ensure_running(
        engine, sessions, PROCESS_KEY, BUSINESS_KEY,
        first_run_at or next_pack_at(now or datetime.now(UTC)))


# --- which period of a report a month's pack shows ------------------------------------------------


def report_period(definition: ReportDefinition, month: str) -> str:
    """The report's period that the pack for ``month`` shows: the month itself for a monthly
    report, else the quarter or year the month falls in (so far, for one not yet over)."""
    from .engine import period_of

    return period_of(definition.period, month_first_day(month))


# --- one subscriber's pack ------------------------------------------------------------------------


@dataclass(frozen=True)
class PackOutcome:
    """What happened for one subscriber: ``made`` (a pack and its e-mail), ``already`` (this
    month's pack was made before) or ``nothing`` (disabled, or no subscribed report visible)."""

    status: str
    pack_id: int | None = None
    message_id: int | None = None


def pack_data(session: Session, viewer: Viewer, definitions: list[ReportDefinition],
              month: str) -> dict[str, Any]:
    """Every subscribed report run for the month under ``viewer``, as the plain data the PDF is
    rendered from (Latvian titles, figures formatted as Latvian documents write them)."""
    from .engine import run

    names = organisation_names(session, "lv")
    reports = []
    for definition in definitions:
        period = report_period(definition, month)
        result = run(session, definition.id, viewer, period=period)
        reports.append(_report_data(definition, result, period))
    return {"month": month, "month_label": month_label_lv(month),
            "organisation": names.get(viewer.organisation_code or "", "") or "",
            "reports": reports}


def _report_data(definition: ReportDefinition, result: Any, period: str) -> dict[str, Any]:
    def cell(column: Any, row: dict[str, Any]) -> str:
        if column.kind == "dimension":
            return str(result.label(column.name, row.get(column.name), "lv"))
        return format_figure(row.get(column.name), column.unit or "")

    rows = [[cell(c, row) for c in result.columns] for row in result.rows]
    totals: list[str] | None = None
    if result.totals and result.dimensions:
        totals = [cell(c, result.totals) if c.kind == "measure" else "" for c in result.columns]
    return {"id": definition.id, "title": definition.title_lv,
            "description": definition.description_lv, "period": period,
            "period_label": period_label_lv(period),
            "columns": [c.title_lv for c in result.columns], "rows": rows, "totals": totals}


def period_label_lv(period: str) -> str:
    """A report's period as the PDF names it: 01.2026, 2026. gada 2. ceturksnis, 2026. gads."""
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return f"{year}. gada {quarter}. ceturksnis"
    if "-" in period:
        return month_label_lv(period)
    return f"{period}. gads"


def format_figure(value: Any, unit: str) -> str:
    """A figure as a Latvian document writes it: euro from cents, a decimal comma."""
    from app.documents.service import format_eur

    if value is None:
        return "—"
    if unit == "eur_cents":
        return format_eur(int(value))
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.1'))}".replace(".", ",")
    return str(value)


def render_pack(data: dict[str, Any]) -> bytes:
    from app.documents.service import render_pdf

    return render_pdf(PDF_TEMPLATE, data, f"Pārskatu pakete {data['month_label']}")


def pack_link(public_url: str, pack_id: int) -> str:
    path = f"/reports/packs/{pack_id}"
    return f"{public_url.rstrip('/')}{path}" if public_url else path


def email_text(month: str, count: int, link: str) -> tuple[str, str]:
    """Subject and text: no figures and no names (e-mail leaves the product), only the month,
    how many reports and where the pack is."""
    label = month_label_lv(month)
    subject = f"DI Case: ikmēneša pārskatu pakete par {label}"
    text = (f"Jūsu abonētie pārskati par {label} ir sagatavoti ({count}). "
            f"Pakete (PDF) pieejama pēc pieteikšanās DI Case: {link}\n\n"
            "Abonementu var mainīt vai atteikt sadaļā Pārskati → Ikmēneša pakete.")
    return subject, text


def make_pack(sessions: Any, instance_id: int, user_id: int, month: str, *,
              public_url: str, max_attempts: int) -> PackOutcome:
    """Make ``user_id``'s pack for ``month`` and queue its e-mail, once: a second call for the
    same person and month finds the pack and queues nothing."""
    with sessions() as session:
        if _existing(session, user_id, month) is not None:
            return PackOutcome("already")
        user = session.get(User, user_id)
        if user is None or not user.active:
            return PackOutcome("nothing")
        chosen = subscriptions.subscriptions_of(session, user_id)
        viewer = viewer_of_user(session, user)
        definitions = subscriptions.still_visible(viewer, chosen.report_ids)
        if not definitions or not chosen.email:
            return PackOutcome("nothing")
        data = pack_data(session, viewer, definitions, month)
        email, name, organisation = chosen.email, user.display_name, user.organisation_code
    pdf = render_pack(data)
    with transaction(sessions) as session:
        # The instance first, as the engine and the outbox do: its history gets the event.
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.id == instance_id).with_for_update()
            .execution_options(populate_existing=True)).one()
        earlier = _existing(session, user_id, month)
        if earlier is not None:
            return PackOutcome("already", earlier.id, earlier.outbox_message_id)
        pack = ReportPack(
            user_id=user_id, period=month, instance_id=instance_id,
            contents=[{"report_id": r["id"], "period": r["period"]} for r in data["reports"]],
            content=pdf, content_sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
            created_at=utcnow())
        session.add(pack)
        session.flush()
        subject, text = email_text(month, len(data["reports"]),
                                   pack_link(public_url, pack.id))
        key = f"report-pack-{user_id}-{month}"
        message = OutboxMessage(
            instance_id=instance_id, idempotency_key=key, delivery_key=f"{key}-m1",
            case_reference=BUSINESS_KEY, topic=TOPIC, subject=subject, text=text,
            due_date=None, recipient_role=RECIPIENT_ROLE, recipient_code=organisation or "",
            recipient_name=name, channel="email", address=email, status="queued", attempts=0,
            max_attempts=max_attempts, next_attempt_at=utcnow(),
            person_id=instance.person_id, record_kind=instance.record_kind,
            municipality_code=instance.municipality_code,
            institution_code=instance.institution_code,
            orphan_court_code=instance.orphan_court_code, confidential=instance.confidential)
        session.add(message)
        session.flush()
        pack.outbox_message_id = message.id
        # What the outbox's own queueing records: the row, never the address or the text.
        append_instance_event(session, instance, "outbox_queued", "outbox", None, {
            "message_id": message.id, "channel": message.channel,
            "recipient_role": RECIPIENT_ROLE, "recipient_code": message.recipient_code,
            "topic": TOPIC})
        return PackOutcome("made", pack.id, message.id)


def _existing(session: Session, user_id: int, month: str) -> ReportPack | None:
    return session.scalars(select(ReportPack).where(
        ReportPack.user_id == user_id, ReportPack.period == month)).first()


def make_packs(sessions: Any, instance_id: int, month: str, *, public_url: str,
               max_attempts: int) -> dict[str, Any]:
    """Every subscriber's pack for ``month``, each in its own transaction (a retry after a
    failure goes on where it stopped). Counts only: the task data is shown in the history."""
    with sessions() as session:
        ids = subscriptions.subscriber_ids(session)
    counts = {"made": 0, "already": 0, "nothing": 0}
    for user_id in ids:
        outcome = make_pack(sessions, instance_id, user_id, month, public_url=public_url,
                            max_attempts=max_attempts)
        counts[outcome.status] += 1
    log.info("report packs for %s: %d made, %d made before, %d without a visible report",
             month, counts["made"], counts["already"], counts["nothing"])
    return {"month": month, "subscribers": len(ids), **counts}


def pack_of(session: Session, pack_id: int, user_id: int) -> ReportPack | None:
    """The pack, if it is this person's; anyone else's is not found."""
    return session.scalars(select(ReportPack).where(
        ReportPack.id == pack_id, ReportPack.user_id == user_id)).first()


def packs_of(session: Session, user_id: int, limit: int = 12) -> list[ReportPack]:
    return list(session.scalars(select(ReportPack).where(ReportPack.user_id == user_id)
                                .order_by(ReportPack.period.desc()).limit(limit)))
