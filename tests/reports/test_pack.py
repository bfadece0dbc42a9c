"""The monthly report pack through the engine and the workers: people subscribe to the reports
they may see; on the 3rd at 07:00 Rīga time the timer fires, each subscriber's PDF is made for
last month under their own access and one e-mail per subscriber is queued (and sent by the
outbox sender) with the link to it; a disabled account or one that lost access gets nothing; a
second run of the same month queues nothing new; then the process waits for the next 3rd."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import viewer_of_user
from app.auth.service import create_user
from app.config import Settings
from app.db import transaction
from app.db.models import (
    Event,
    Incident,
    OutboxMessage,
    ProcessInstance,
    ReportPack,
    ReportSubscription,
    Timer,
    User,
)
from app.domain.calendar import RIGA
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.reports import pack, schedule, subscriptions
from app.reports.pack_schedule import next_pack_at, pack_month
from app.services import Services, build_services
from tests.conftest import PROCESSES, make_settings
from workers.jobs import run_due_jobs
from workers.outbox import send_due
from workers.timers import fire_due_timers

from .world import World

PUBLIC_URL = "https://dicase.example.lv"
RUN_AT = datetime(2026, 2, 3, 7, 0, tzinfo=RIGA)  # the run under test: January 2026's packs


def riga(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIGA)  # type: ignore[misc]


@pytest.fixture
def pack_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, public_url=PUBLIC_URL, mail_transport="file",
                         mail_dir=tmp_path / "mail")


@pytest.fixture
def ps(pack_settings: Settings) -> Iterator[Services]:
    services = build_services(pack_settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{pack.PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


def settle(services: Services) -> None:
    """What the workers do: fire due timers, run due jobs, until nothing is left to do."""
    while fire_due_timers(services, "w1") or run_due_jobs(services, "w1"):
        pass


def start_and_run(services: Services, first_run_at: datetime = RUN_AT) -> int:
    [iid] = pack.ensure_running(services.engine, services.sessions, first_run_at=first_run_at)
    settle(services)
    return iid


def co_payment_world(session: Session) -> None:
    """January 2026 co-payments (P8): a Rīga resident of VSAC Rīga pays 425,00 € of 500,00 €;
    a Jūrmala resident of VSAC Kurzeme 519,35 € of 611,00 €. Rīga's December 2025 (408,00 €)
    is of another year than the pack's."""
    world = World(session)
    riga_person = world.person("RIGA", institution="VSAC-RIGA")
    jurmala_person = world.person("JURMALA", institution="VSAC-KURZEME")
    p8_riga = world.instance("p08_co_payment", riga_person)
    p8_jurmala = world.instance("p08_co_payment", jurmala_person)
    world.co_payment(p8_riga, "2026-01", income=50000, allowance=7500)
    world.co_payment(p8_jurmala, "2026-01", income=61100, allowance=9165)
    world.co_payment(p8_riga, "2025-12", income=48000, allowance=7200)


def user(session: Session, username: str, organisation: str, *, roles: tuple[str, ...] = (
        "caseworker",), active: bool = True) -> User:
    return create_user(session, username, username.capitalize(), "", roles=roles,
                       organisation_code=organisation, active=active)


def subscribe(session: Session, account: User, email: str, *report_ids: str) -> None:
    subscriptions.save(session, account, viewer_of_user(session, account), email, list(report_ids))


@pytest.fixture
def subscribers(ps: Services) -> dict[str, int]:
    """The Rīga social service and the ministry subscribe to the co-payments and the P1 tasks;
    a disabled Rīga account and a planning region's expert who then moved to a municipality
    had subscribed too."""
    with transaction(ps.sessions) as session:
        co_payment_world(session)
        riga_sd = user(session, "riga-sd", "RIGA")
        ministry = user(session, "ministrija", "LM")
        gone = user(session, "aizgajusi", "RIGA")
        moved = user(session, "parcelts", "PR-RIGA")
        subscribe(session, riga_sd, "soc.dienests@riga.example.lv", "co_payments",
                  "assessment_tasks")
        subscribe(session, ministry, "analitika@lm.example.lv", "co_payments")
        subscribe(session, gone, "aizgajusi@riga.example.lv", "co_payments")
        subscribe(session, moved, "eksperts@pr.example.lv", "assessment_tasks_by_expert")
        gone.active = False
        # A municipality does not see the expert breakdown the planning region did.
        moved.organisation_code = "RIGA"
        return {u.username: u.id for u in (riga_sd, ministry, gone, moved)}


def pdf_text(content: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def packs(services: Services) -> dict[int, ReportPack]:
    with services.sessions() as session:
        rows = session.scalars(select(ReportPack).options()).all()
        for row in rows:
            _ = row.content  # deferred: load it while the session is open
        return {row.user_id: row for row in rows}


def outbox_rows(services: Services) -> list[OutboxMessage]:
    with services.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def waiting_timer(services: Services, iid: int) -> datetime | None:
    with services.sessions() as session:
        due = session.scalar(select(Timer.due_at).where(Timer.instance_id == iid,
                                                        Timer.status == "waiting"))
    return due.astimezone(UTC) if due is not None else None


# --- when it runs ---------------------------------------------------------------------------------


def test_the_pack_is_made_on_the_third_at_seven_latvian_time_for_the_month_before() -> None:
    assert next_pack_at(riga(2026, 1, 3, 6, 59)) == riga(2026, 1, 3, 7, 0)
    assert next_pack_at(riga(2026, 1, 3, 7, 0)) == riga(2026, 2, 3, 7, 0)
    assert next_pack_at(riga(2026, 12, 10, 8, 0)) == riga(2027, 1, 3, 7, 0)
    # Winter 07:00 is 05:00 UTC, summer 04:00 UTC.
    assert next_pack_at(riga(2026, 1, 1)).astimezone(UTC).hour == 5
    assert next_pack_at(riga(2026, 6, 30)).astimezone(UTC).hour == 4
    # Late on the 2nd in UTC is already the 3rd in Rīga.
    assert next_pack_at(datetime(2026, 3, 2, 23, 0, tzinfo=UTC)) == riga(2026, 3, 3, 7, 0)
    assert pack_month(riga(2026, 2, 3, 7, 0).astimezone(UTC)) == "2026-01"
    assert pack_month(riga(2026, 1, 3, 7, 0).astimezone(UTC)) == "2025-12"


# --- subscribing ----------------------------------------------------------------------------------


def test_a_person_subscribes_only_to_reports_they_may_see(ps: Services) -> None:
    with transaction(ps.sessions) as session:
        riga_sd = user(session, "riga-sd", "RIGA")
        viewer = viewer_of_user(session, riga_sd)
        # The breakdown per expert is for the ministry and the planning regions.
        with pytest.raises(subscriptions.SubscriptionError):
            subscriptions.save(session, riga_sd, viewer, "a@riga.example.lv",
                               ["co_payments", "assessment_tasks_by_expert"])
        with pytest.raises(subscriptions.SubscriptionError):
            subscriptions.save(session, riga_sd, viewer, "a@riga.example.lv", ["no_such_report"])
        with pytest.raises(subscriptions.SubscriptionError):
            subscriptions.save(session, riga_sd, viewer, "not an address", ["co_payments"])
        saved = subscriptions.save(session, riga_sd, viewer, " a@riga.example.lv ",
                                   ["co_payments", "assessment_tasks", "co_payments"])
        assert saved.email == "a@riga.example.lv"
        assert set(saved.report_ids) == {"co_payments", "assessment_tasks"}
        # Saving again replaces the choice; none at all unsubscribes and forgets the address.
        assert subscriptions.save(session, riga_sd, viewer, "b@riga.example.lv",
                                  ["co_payments"]).report_ids == ("co_payments",)
        subscriptions.save(session, riga_sd, viewer, "", [])
        assert subscriptions.subscriptions_of(session, riga_sd.id) == subscriptions.Subscriptions(
            "", ())
        assert session.scalar(select(ReportSubscription.id)) is None


# --- one run, end to end --------------------------------------------------------------------------


def test_the_timer_fires_and_each_subscriber_gets_one_email_with_their_own_pack(
        ps: Services, subscribers: dict[str, int]) -> None:
    iid = start_and_run(ps)
    with ps.sessions() as session:
        assert session.scalar(select(Incident.message).where(Incident.instance_id == iid)) is None
    made = packs(ps)
    # The disabled account and the one that lost its report get nothing.
    assert set(made) == {subscribers["riga-sd"], subscribers["ministrija"]}
    assert {p.period for p in made.values()} == {"2026-01"}

    riga_pack = made[subscribers["riga-sd"]]
    assert riga_pack.contents == [{"report_id": "assessment_tasks", "period": "2026-01"},
                                  {"report_id": "co_payments", "period": "2026"}]
    riga_text = pdf_text(riga_pack.content)
    assert riga_pack.content.startswith(b"%PDF") and "01.2026" in riga_text
    # Rīga's pack holds Rīga's co-payments of 2026 and nothing of Jūrmala's, not even in the
    # totals (income 500,00, kept 75,00, co-payment 425,00).
    assert "425,00" in riga_text and "500,00" in riga_text and "75,00" in riga_text
    assert "519,35" not in riga_text and "944,35" not in riga_text and "1 111,00" not in riga_text
    assert "408,00" not in riga_text  # December 2025 is not of the year 2026
    ministry_text = pdf_text(made[subscribers["ministrija"]].content)
    assert "425,00" in ministry_text and "519,35" in ministry_text
    # The totals: co-payment 425,00 + 519,35, income 500,00 + 611,00.
    assert "944,35" in ministry_text and "1 111,00" in ministry_text

    rows = outbox_rows(ps)
    assert sorted(r.address for r in rows) == ["analitika@lm.example.lv",
                                               "soc.dienests@riga.example.lv"]
    for row in rows:
        own = made[subscribers["riga-sd"] if row.address.startswith("soc") else
                   subscribers["ministrija"]]
        assert (row.channel, row.status, row.topic) == ("email", "queued", pack.TOPIC)
        assert row.instance_id == iid and own.outbox_message_id == row.id
        assert f"{PUBLIC_URL}/reports/packs/{own.id}" in row.text
        # The e-mail leaves the product: no figures in it.
        assert "425" not in row.text and "519" not in row.text
    with ps.sessions() as session:
        queued = session.scalars(select(Event).where(Event.instance_id == iid,
                                                     Event.kind == "outbox_queued")).all()
        assert sorted(e.detail["message_id"] for e in queued) == sorted(r.id for r in rows)
        assert all("@" not in str(e.detail) for e in queued)
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "active"

    # The outbox sender delivers them: one e-mail per subscriber, with the link.
    while send_due(ps, "sender"):
        pass
    mails = sorted(ps.settings.mail_dir.glob("*.eml"))
    assert len(mails) == 2
    sent = {m.read_text(encoding="utf-8", errors="replace") for m in mails}
    assert any("soc.dienests@riga.example.lv" in m and f"/reports/packs/{riga_pack.id}" in m
               for m in sent)

    # Back to waiting: the 3rd of a month after now, 07:00 in Rīga (the run under test was late).
    due = waiting_timer(ps, iid)
    assert due is not None and due > datetime.now(UTC)
    local = due.astimezone(RIGA)
    assert (local.day, local.hour, local.minute) == (3, 7, 0)
    assert due - datetime.now(UTC) <= timedelta(days=32)


def test_a_second_run_of_the_same_month_queues_nothing_new(
        ps: Services, subscribers: dict[str, int]) -> None:
    first = start_and_run(ps)
    before = [(r.id, r.address) for r in outbox_rows(ps)]
    made = {uid: (p.id, p.content_sha256) for uid, p in packs(ps).items()}
    assert len(before) == 2
    # The instance is stopped and a new one runs the same month again.
    ps.engine.terminate(first, Actor.system())
    second = start_and_run(ps)
    assert second != first
    assert [(r.id, r.address) for r in outbox_rows(ps)] == before
    assert {uid: (p.id, p.content_sha256) for uid, p in packs(ps).items()} == made
    # And straight through the service, as a retried job would.
    again = pack.make_packs(ps.sessions, second, "2026-01", public_url=PUBLIC_URL,
                            max_attempts=5)
    # The disabled account is not asked at all; the one that moved has nothing to see.
    assert (again["subscribers"], again["made"], again["already"], again["nothing"]) == (
        3, 0, 2, 1)
    # The next month is a new pack for each of them.
    february = pack.make_packs(ps.sessions, second, "2026-02", public_url=PUBLIC_URL,
                               max_attempts=5)
    assert february["made"] == 2 and len(outbox_rows(ps)) == 4


def test_a_subscriber_disabled_before_the_run_gets_nothing_and_one_reenabled_gets_the_month(
        ps: Services, subscribers: dict[str, int]) -> None:
    with transaction(ps.sessions) as session:
        riga_sd = session.get(User, subscribers["riga-sd"])
        assert riga_sd is not None
        riga_sd.active = False
    iid = start_and_run(ps)
    assert set(packs(ps)) == {subscribers["ministrija"]}
    with transaction(ps.sessions) as session:
        riga_sd = session.get(User, subscribers["riga-sd"])
        assert riga_sd is not None
        riga_sd.active = True
    done = pack.make_packs(ps.sessions, iid, "2026-01", public_url=PUBLIC_URL, max_attempts=5)
    assert done["made"] == 1 and set(packs(ps)) == {subscribers["riga-sd"],
                                                     subscribers["ministrija"]}


def test_only_one_instance_runs_and_the_calendar_restarts_a_stopped_one(ps: Services) -> None:
    before = datetime.now(UTC)
    first = schedule.start_month(ps, "2026-10")
    assert len(first) == 1 and schedule.start_month(ps, "2026-11") == []
    with ps.sessions() as session:
        instance = session.get(ProcessInstance, first[0])
        assert instance is not None and instance.business_key == pack.BUSINESS_KEY
    assert waiting_timer(ps, first[0]) == next_pack_at(before)
    ps.engine.terminate(first[0], Actor.system())
    assert len(schedule.start_month(ps, "2026-11")) == 1


def test_the_quarter_and_year_reports_show_the_period_the_month_falls_in() -> None:
    from app.reports.definitions import REPORTS

    assert pack.report_period(REPORTS["co_payments"], "2026-01") == "2026"
    assert pack.report_period(REPORTS["assessment_tasks_by_expert"], "2026-05") == "2026-Q2"
    assert pack.report_period(REPORTS["assessment_tasks"], "2026-05") == "2026-05"
    assert [pack.period_label_lv(p) for p in ("2026-01", "2026-Q2", "2026")] == [
        "01.2026", "2026. gada 2. ceturksnis", "2026. gads"]
