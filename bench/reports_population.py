"""A national-scale caseload for the monitoring reports, written straight into the operational
tables in bulk (COPY on PostgreSQL, executemany on SQLite), the way the processes stamp them.

``build(url, backend, params)`` migrates an empty database and fills it: the clients of the DI
programme (adults, a share of them living in a state social care centre; children of the orphan
courts' cases) spread over the 43 municipalities by population (data/municipality_population.csv),
then per person what the processes would have written over the two years before ``as_of``:

- P1 assessments: the interview, IAP draft and IAP approval tasks with their deadlines (some
  completed late, some open past them), the interview's ``task_completed`` event with the needs
  level per life domain, the IAP version with its services; a share re-assessed a year later
  with a second interview and IAP version;
- P3 service records, month by month, in the municipality's monthly batch (accepted mostly, a
  few rejected), for the services of the person's IAP (most delivered, some not);
- P5 group-home stays (in the homes of the register), P6 preparation and P8 co-payment months
  (a SAIS correction adds a second version now and then) for residents of institutions;
- P7 NSK reports per municipality and month (approved; a returned first version now and then;
  the last month still waiting) with compensation lines for service records;
- P9 placements with half-yearly periodic reports (on time, late, missing: the open report task
  past its deadline), P10 separation decisions with the family-survey task;
- P11 adoption: children free for adoption, adopters, matches and proposals.

Every row comes from one ``random.Random(seed)``, so a seed gives the same caseload. The derived
report tables (``app.reports.facts``) are left to ``facts.refresh``, which the benchmark times.
"""
from __future__ import annotations

import csv
import hashlib
import json
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import event, insert, select, text

from app.access.organisations import load_organisations
from app.access.record_kinds import record_kind_of
from app.assessment.questionnaire import domain_titles
from app.config import PROJECT_ROOT
from app.db import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.db.models import Base, Organisation, ProcessDefinition
from app.domain import group_homes
from app.domain.service_types import ADULT_SERVICE_TYPES
from bench.inbox import Loader, _cumulative, _pick, personal_code, progress

P1 = "p01_adult_needs_assessment"
P5 = "p05_group_homes"
P6 = "p06_community_preparation"
P7 = "p07_nsk_report"
P8 = "p08_co_payment"
P9 = "p09_out_of_family_care"
P10 = "p10_child_protection"
P11 = "p11_adoption_match"
PROCESS_KEYS = (P1, P5, P6, P7, P8, P9, P10, P11)
SERVICE_TYPES = tuple(ADULT_SERVICE_TYPES)
DOMAINS = tuple(domain_titles("en"))
# What a P3 record costs per month and per type, in cents (a plausible spread, not a tariff).
MONTHLY_COST_CENTS = {"HOME_CARE": 32000, "DAY_CENTRE": 41000, "WORKSHOP": 28000,
                      "GROUP_APARTMENT": 52000, "SHORT_TERM_CARE": 60000,
                      "SPECIALIST_SUPPORT": 18000, "SUPPORT_GROUP": 9000}
# Service types the NSK compensation (P7) pays a share of.
NSK_TYPES = ("HOME_CARE", "SPECIALIST_SUPPORT")


@dataclass(frozen=True)
class Params:
    persons: int = 60_000
    adoption_children: int = 3_000
    seed: int = 20261126
    as_of: datetime = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    months: int = 24


def _naive(moment: datetime) -> datetime:
    """UTCDateTime stores naive UTC; the bulk loader writes what the column holds."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    return _month_start(first, -1) - timedelta(days=1)


def _label(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def read_municipalities() -> list[tuple[str, int]]:
    with (PROJECT_ROOT / "data" / "municipality_population.csv").open(encoding="utf-8") as f:
        return [(row["code"], int(row["population"])) for row in csv.DictReader(f)]


class Ids:
    """Row ids per table, handed out in generation order (rows are written with their ids)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


class Caseload:
    """Generates the rows table by table. Each ``*_rows`` list holds tuples in the order of the
    matching ``COLUMNS`` entry; the large ones (service records) are generated lazily."""

    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "person": ("id", "personal_code", "given_name", "family_name", "search_name",
                   "birth_date", "sex", "municipality_code", "institution_code",
                   "orphan_court_code", "confidential", "created_at", "updated_at"),
        "process_instance": ("id", "definition_id", "process_key", "business_key", "status",
                             "state", "started_by", "created_at", "updated_at", "ended_at",
                             "version", "person_id", "record_kind", "municipality_code",
                             "institution_code", "orphan_court_code", "confidential"),
        "human_task": ("id", "instance_id", "task_guid", "process_key", "process_version",
                       "business_key", "element_id", "element_name", "candidate_groups",
                       "assignee", "due_at", "status", "created_at", "completed_at",
                       "completed_by", "person_id", "record_kind", "municipality_code",
                       "institution_code", "orphan_court_code", "confidential"),
        "event": ("id", "chain", "seq", "instance_id", "occurred_at", "kind", "actor",
                  "element_id", "detail", "prev_hash", "hash"),
        "support_plan_version": ("id", "instance_id", "version", "source", "valid_from",
                                 "valid_to", "content", "created_by", "created_at", "person_id",
                                 "record_kind", "municipality_code", "institution_code",
                                 "orphan_court_code", "confidential"),
        "service_record_batch": ("id", "municipality_code", "period_from", "period_to",
                                 "source", "submitted_by", "submitted_at"),
        "service_record": ("id", "batch_id", "personal_code", "service_type", "provider_code",
                           "period_from", "period_to", "volume", "unit", "cost_cents", "status",
                           "errors", "created_at", "person_id", "record_kind",
                           "municipality_code", "institution_code", "orphan_court_code",
                           "confidential"),
        "group_home_stay": ("id", "instance_id", "group_home_code", "start_date", "end_date",
                            "end_reason", "created_by", "created_at", "person_id", "record_kind",
                            "municipality_code", "institution_code", "orphan_court_code",
                            "confidential"),
        "co_payment_month": ("id", "instance_id", "period", "version", "payments",
                             "total_cents", "minimum_percent", "minimum_allowance_cents",
                             "allowance_cents", "co_payment_cents", "confirmed_by",
                             "created_at", "person_id", "record_kind", "municipality_code",
                             "institution_code", "orphan_court_code", "confidential"),
        "nsk_report": ("id", "instance_id", "period", "version", "status", "persons",
                       "total_cents", "rates", "created_at", "person_id", "record_kind",
                       "municipality_code", "institution_code", "orphan_court_code",
                       "confidential"),
        "nsk_compensation": ("id", "report_id", "service_record_id", "service_type", "unit",
                             "period_from", "period_to", "volume", "cost_cents",
                             "days_in_month", "eligible_days", "rate_cents", "amount_cents",
                             "reasons", "person_id", "record_kind", "municipality_code",
                             "institution_code", "orphan_court_code", "confidential"),
        "child_placement": ("id", "instance_id", "placement_date", "source", "end_date",
                            "created_by", "created_at", "person_id", "record_kind",
                            "municipality_code", "institution_code", "orphan_court_code",
                            "confidential"),
        "periodic_report_delivery": ("id", "instance_id", "report_date", "due_date",
                                     "submitted_by", "npais_report_id", "npais_received_at",
                                     "sopa_reference", "sopa_received_at", "created_at",
                                     "person_id", "record_kind", "municipality_code",
                                     "institution_code", "orphan_court_code", "confidential"),
        "child_protection_decision": ("id", "npais_decision_id", "kind", "decision_date",
                                      "instance_id", "received_by", "received_at", "person_id",
                                      "record_kind", "municipality_code", "institution_code",
                                      "orphan_court_code", "confidential"),
        "adoption_child": ("id", "birth_date", "sex", "free_for_adoption_on", "region_code",
                           "status", "created_by", "created_at", "person_id", "record_kind",
                           "confidential"),
        "adoption_adopter": ("id", "kind", "applicants", "suitability_court_code",
                             "suitability_decision_on", "suitability_until", "registered_on",
                             "created_by", "created_at", "record_kind", "confidential"),
        "adoption_match": ("id", "instance_id", "child_ids", "started_on", "started_by",
                           "record_kind", "confidential"),
        "adoption_proposal": ("id", "match_id", "adopter_id", "number", "proposed_on",
                              "answer_due", "answer", "answered_on", "record_kind",
                              "confidential"),
    }

    def __init__(self, params: Params, regions: dict[str, str]) -> None:
        self.p = params
        self.rng = random.Random(params.seed)
        self.ids = Ids()
        self.now = params.as_of
        self.today = params.as_of.date()
        self.first_month = _month_start(self.today, params.months - 1)
        self.municipalities = read_municipalities()
        self.regions = regions  # municipality -> planning region
        self.mun_cum = _cumulative([population for _, population in self.municipalities])
        self.definition_of = {key: n for n, key in enumerate(PROCESS_KEYS, start=1)}
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.COLUMNS}
        # Per person (index id - 1): scope, for the rows written about them.
        self.scope: list[tuple[Any, ...]] = []
        # Persons with an IAP: (person id, planned service types, valid from) per plan version.
        self.plans: list[tuple[int, tuple[str, ...], date, date | None]] = []
        self.nsk_lines: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        self.records_written = 0

    # --- helpers ------------------------------------------------------------------------------

    def _moment(self, start: date, end: date) -> datetime:
        """A moment on a working hour between two days (UTC)."""
        span = max(0, (end - start).days)
        day = start + timedelta(days=self.rng.randrange(span + 1))
        return datetime(day.year, day.month, day.day, self.rng.randrange(6, 15),
                        self.rng.randrange(60), tzinfo=UTC)

    def _instance(self, key: str, person: int | None, created: datetime, *, ended: bool,
                  scope: tuple[Any, ...] | None = None) -> tuple[int, str, tuple[Any, ...]]:
        instance_id = self.ids("process_instance")
        business_key = f"{key[:3].upper()}-{created.year}-{instance_id:06d}"
        kind = record_kind_of(key)
        if scope is None:
            assert person is not None
            mun, institution, court, confidential = self.scope[person - 1]
            scope = (person, kind, mun, institution, court, confidential or key == P11)
        self.rows["process_instance"].append((
            instance_id, self.definition_of[key], key, business_key,
            "completed" if ended else "active", "{}", "bench", _naive(created), _naive(created),
            _naive(created + timedelta(days=30)) if ended else None, 1, *scope))
        return instance_id, business_key, scope

    def _task(self, instance: tuple[int, str, tuple[Any, ...]], key: str, element: str,
              created: datetime, due: datetime | None, completed: datetime | None,
              who: str) -> None:
        if completed is not None and completed > self.now:
            completed = None
        self.rows["human_task"].append((
            self.ids("human_task"), instance[0], str(uuid.UUID(int=self.rng.getrandbits(128),
                                                                version=4)),
            key, 1, instance[1], element, element, "planning_region_expert",
            who if completed is None and self.rng.random() < 0.6 else None,
            _naive(due) if due else None, "completed" if completed else "open",
            _naive(created), _naive(completed) if completed else None,
            who if completed else None, *instance[2]))

    # --- persons ------------------------------------------------------------------------------

    def persons(self) -> None:
        rng = self.rng
        for pid in range(1, self.p.persons + 1):
            mun = self.municipalities[_pick(rng, self.mun_cum)][0]
            child = rng.random() < 0.2
            resident = not child and rng.random() < 0.3
            institution = ("VSAC-" + self.regions[mun].removeprefix("PR-")
                           if resident or (child and rng.random() < 0.2) else None)
            court = mun + "-BT" if child else None
            born = (date(2009, 1, 1) + timedelta(days=rng.randrange(6000)) if child
                    else date(1945, 1, 1) + timedelta(days=rng.randrange(20000)))
            created = _naive(self._moment(self.today - timedelta(days=1500),
                                          self.today - timedelta(days=800)))
            self.scope.append((mun, institution, court, False))
            self.rows["person"].append((pid, personal_code(pid), "Klients", f"Nr{pid}",
                                        f"klients nr{pid}", born, rng.choice("MF"), mun,
                                        institution, court, False, created, created))

    # --- adults: P1, IAP, P5, P6, P8 ----------------------------------------------------------

    def adults(self) -> None:
        rng = self.rng
        horizon = self.today - timedelta(days=30 * self.p.months)
        for pid in range(1, self.p.persons + 1):
            _, institution, court, _ = self.scope[pid - 1]
            if court is not None:
                continue
            if institution is not None:
                self._resident(pid, horizon)
            if rng.random() < 0.85:
                self._assessment(pid, self._moment(horizon, self.today - timedelta(days=5)), 1)

    def _assessment(self, pid: int, started: datetime, plan_version: int,
                    before: dict[str, int] | None = None) -> None:
        rng = self.rng
        expert = f"{self.regions[self.scope[pid - 1][0]].lower()}.expert{rng.randrange(1, 9)}"
        interview_done = started + timedelta(days=rng.uniform(2, 45))
        approved_at = interview_done + timedelta(days=rng.uniform(3, 30) + rng.uniform(1, 12))
        finished = rng.random() < 0.9 and approved_at <= self.now
        instance = self._instance(P1, pid, started, ended=finished)
        self._task(instance, P1, "interview", started, started + timedelta(days=30),
                   interview_done if rng.random() < 0.94 else None, expert)
        if interview_done > self.now or self.rows["human_task"][-1][11] != "completed":
            return
        levels = ({d: rng.choices(range(5), (10, 25, 30, 25, 10))[0] for d in DOMAINS}
                  if before is None else
                  {d: min(4, max(0, v + rng.choices((-1, 0, 1), (40, 45, 15))[0]))
                   for d, v in before.items()})
        event_id = self.ids("event")
        self.rows["event"].append((
            event_id, f"instance:{instance[0]}", 3, instance[0], _naive(interview_done),
            "task_completed", expert, "interview",
            {"task_id": event_id, "data": {"needs": {d: {"level": v, "notes": ""}
                                                     for d, v in levels.items()}}},
            "0" * 64, hashlib.sha256(str(event_id).encode()).hexdigest()))
        drafted = interview_done + timedelta(days=rng.uniform(3, 30))
        self._task(instance, P1, "draft_iap", interview_done,
                   interview_done + timedelta(days=20), drafted, expert)
        if drafted > self.now:
            return
        self._task(instance, P1, "approve_iap", drafted, drafted + timedelta(days=10),
                   approved_at if finished else None, expert)
        if not finished:
            return
        valid_from = approved_at.date()
        services = tuple(sorted(rng.sample(SERVICE_TYPES, rng.choices((1, 2, 3),
                                                                        (45, 40, 15))[0])))
        self.plans.append((pid, services, valid_from, None))
        self.rows["support_plan_version"].append((
            self.ids("support_plan_version"), instance[0], plan_version, "assessment",
            valid_from, None,
            {"goals": ["Dzīvot patstāvīgi"],
             "services": [{"service_type": s, "hours_per_week": rng.choice((2, 4, 6, 10)),
                           "frequency": None, "notes": None} for s in services]},
            expert, _naive(approved_at), *instance[2]))
        # A re-assessment about a year on, for about a third of the persons.
        again = approved_at + timedelta(days=rng.uniform(300, 420))
        if plan_version == 1 and rng.random() < 0.35 and again < self.now:
            self._assessment(pid, again, 2, levels)

    def _resident(self, pid: int, horizon: date) -> None:
        rng = self.rng
        p8 = self._instance(P8, pid, self._moment(horizon - timedelta(days=60), horizon),
                            ended=False)
        if rng.random() < 0.4:
            self._instance(P6, pid, self._moment(horizon, self.today), ended=False)
        income = rng.randrange(30000, 60000)
        for back in range(self.p.months - 1, 0, -1):  # the current month is not calculated yet
            month = _month_start(self.today, back)
            versions = 2 if rng.random() < 0.03 else 1
            for version in range(1, versions + 1):
                total = income + (rng.randrange(-3000, 3000) if version == 2 else 0)
                allowance = total * 15 // 100
                self.rows["co_payment_month"].append((
                    self.ids("co_payment_month"), p8[0], _label(month), version, [], total, 15,
                    allowance, allowance, total - allowance, "bench",
                    _naive(datetime(month.year, month.month, 5, tzinfo=UTC)), *p8[2]))

    def group_homes(self) -> None:
        """Stays in the register's homes, filling each about to capacity, people moving on."""
        rng = self.rng
        by_mun: dict[str, list[int]] = {}
        for plan in self.plans:
            by_mun.setdefault(self.scope[plan[0] - 1][0], []).append(plan[0])
        start = self.today - timedelta(days=30 * self.p.months)
        for home in group_homes.register().values():
            candidates = by_mun.get(home.municipality_code) or []
            for _bed in range(home.capacity):
                day = start + timedelta(days=rng.randrange(0, 120))
                while day < self.today and candidates:
                    pid = rng.choice(candidates)
                    stay = self._instance(P5, pid, datetime(day.year, day.month, day.day, 9,
                                                            tzinfo=UTC), ended=False)
                    end = day + timedelta(days=rng.randrange(90, 700))
                    ended = end < self.today
                    self.rows["group_home_stay"].append((
                        self.ids("group_home_stay"), stay[0], home.code, day,
                        end if ended else None, "ENDED" if ended else None, "bench",
                        _naive(datetime(day.year, day.month, day.day, 9, tzinfo=UTC)),
                        *stay[2]))
                    day = end + timedelta(days=rng.randrange(5, 40))

    # --- P3 service records and P7 NSK ----------------------------------------------------------

    def batches(self) -> dict[tuple[str, str], int]:
        found = {}
        for mun, _ in self.municipalities:
            for back in range(self.p.months - 1, -1, -1):
                first = _month_start(self.today, back)
                batch_id = self.ids("service_record_batch")
                found[(mun, _label(first))] = batch_id
                self.rows["service_record_batch"].append((
                    batch_id, mun, first, _month_end(first), "SOPA", "bench",
                    _naive(datetime(first.year, first.month, 1, tzinfo=UTC)
                           + timedelta(days=35))))
        return found

    def service_records(self, batches: dict[tuple[str, str], int]) -> Iterator[tuple[Any, ...]]:
        """Month by month from the IAP's first day to the last complete month, for each planned
        service the person gets (most do), some months missed; a few records rejected. The
        lines NSK compensates are kept aside for ``nsk``."""
        rng = self.rng
        last = _month_start(self.today, 1)
        for pid, services, valid_from, _ in self.plans:
            mun, institution, _, _ = self.scope[pid - 1]
            code = personal_code(pid)
            for service in services:
                if rng.random() < 0.15:
                    continue  # planned, never delivered: the report's gap
                month = _month_start(valid_from)
                while month <= last:
                    if rng.random() < 0.93:
                        record_id = self.ids("service_record")
                        status = "accepted" if rng.random() < 0.97 else "rejected"
                        cost = MONTHLY_COST_CENTS[service] + rng.randrange(-2000, 2000)
                        label = _label(month)
                        end = _month_end(month)
                        if status == "accepted" and service in NSK_TYPES and rng.random() < 0.3:
                            self.nsk_lines.setdefault((mun, label), []).append(
                                (record_id, pid, service, month, end, cost))
                        yield (record_id, batches[(mun, label)], code, service, "SP-ATBALSTS",
                               month, end, Decimal(rng.randrange(4, 60)), "HOURS", cost,
                               status, [], _naive(datetime(month.year, month.month, 1,
                                                           tzinfo=UTC) + timedelta(days=35)),
                               pid, "service", mun, institution, None, False)
                    month = _month_start(month, -1)
        self.records_written = self.ids.last.get("service_record", 0)

    def nsk(self) -> None:
        """One P7 report per municipality and month with lines; approved, except a returned
        first version now and then (replaced by an approved second) and the last month, still
        submitted."""
        rng = self.rng
        latest = _label(_month_start(self.today, 1))
        for (mun, label), lines in sorted(self.nsk_lines.items()):
            created = datetime(int(label[:4]), int(label[5:]), 1, 9, tzinfo=UTC) + timedelta(
                days=40)
            instance = self._instance(P7, None, created, ended=label != latest, scope=(
                None, record_kind_of(P7), mun, None, None, False))
            statuses = (["submitted"] if label == latest else
                        ["returned", "approved"] if rng.random() < 0.05 else ["approved"])
            for version, status in enumerate(statuses, start=1):
                report_id = self.ids("nsk_report")
                amounts = [cost // 2 for *_, cost in lines]
                self.rows["nsk_report"].append((
                    report_id, instance[0], label, version, status,
                    len({line[1] for line in lines}), sum(amounts), [], _naive(created),
                    *instance[2]))
                for (record_id, pid, service, first, end, cost), amount in zip(lines, amounts):
                    self.rows["nsk_compensation"].append((
                        self.ids("nsk_compensation"), report_id, record_id, service, "HOURS",
                        first, end, Decimal(10), cost, end.day, end.day, amount // end.day,
                        amount, [], pid, "service", mun, None, None, False))

    # --- children: P9, P10 --------------------------------------------------------------------

    def children(self) -> None:
        rng = self.rng
        for pid in range(1, self.p.persons + 1):
            court = self.scope[pid - 1][2]
            if court is None:
                continue
            if rng.random() < 0.35:
                self._separation(pid)
            if rng.random() < 0.5:
                self._placement(pid)

    def _separation(self, pid: int) -> None:
        rng = self.rng
        decided = self._moment(self.today - timedelta(days=730), self.today - timedelta(days=1))
        instance = self._instance(P10, pid, decided, ended=False)
        self.rows["child_protection_decision"].append((
            self.ids("child_protection_decision"), f"NPAIS-{instance[0]}", "SEPARATION",
            decided.date(), instance[0], "npais", _naive(decided), *instance[2]))
        surveyed = (decided + timedelta(days=rng.uniform(0.5, 20)) if rng.random() < 0.9
                    else None)
        self._task(instance, P10, "survey_family", decided, decided + timedelta(days=10),
                   surveyed, f"{instance[2][2].lower()}.social{rng.randrange(1, 6)}")

    def _placement(self, pid: int) -> None:
        rng = self.rng
        placed = self._moment(self.today - timedelta(days=1100), self.today - timedelta(days=10))
        ended = rng.random() < 0.3
        end = placed.date() + timedelta(days=rng.randrange(60, 900)) if ended else None
        if end is not None and end >= self.today:
            end = None
        instance = self._instance(P9, pid, placed, ended=end is not None)
        self.rows["child_placement"].append((
            self.ids("child_placement"), instance[0], placed.date(), "institution", end, "bench",
            _naive(placed), *instance[2]))
        due = placed.date() + timedelta(days=182)
        while due <= (end or self.today + timedelta(days=180)):
            due_at = datetime(due.year, due.month, due.day, 21, tzinfo=UTC)
            roll = rng.random()
            delivered = (due - timedelta(days=rng.randrange(0, 14)) if roll < 0.8 else
                         due + timedelta(days=rng.randrange(1, 40)) if roll < 0.92 else None)
            if delivered is not None and delivered <= self.today:
                at = datetime(delivered.year, delivered.month, delivered.day, 11, tzinfo=UTC)
                n = self.ids("periodic_report_delivery")
                self.rows["periodic_report_delivery"].append((
                    n, instance[0], delivered, due, "bench", f"NR-{n}", _naive(at), f"SR-{n}",
                    _naive(at), _naive(at), *instance[2]))
            elif end is None:
                # The report task stays open: missing once its deadline has passed.
                self._task(instance, P9, "submit_periodic_report",
                           due_at - timedelta(days=30), due_at, None,
                           f"{instance[2][2].lower()}.worker")
                break
            due += timedelta(days=182)

    # --- P11 adoption -------------------------------------------------------------------------

    def adoption(self) -> None:
        rng = self.rng
        regions = sorted(set(self.regions.values()))
        adopters = max(1, self.p.adoption_children // 2)
        for _ in range(adopters):
            registered = self.today - timedelta(days=rng.randrange(30, 1800))
            self.rows["adoption_adopter"].append((
                self.ids("adoption_adopter"), "couple", [{"given_name": "Adoptētājs"}],
                "RIGA-BT", registered - timedelta(days=30), registered + timedelta(days=730),
                registered, "bench", _naive(datetime(registered.year, registered.month,
                                                     registered.day, 9, tzinfo=UTC)),
                "adoption", True))
        for _ in range(self.p.adoption_children):
            pid = len(self.scope) + 1
            born = self.today - timedelta(days=rng.randrange(200, 5000))
            self.scope.append((None, None, None, True))
            self.rows["person"].append((pid, personal_code(pid), "Bērns", f"Nr{pid}",
                                        f"bērns nr{pid}", born, rng.choice("MF"), None, None,
                                        None, True, _naive(self.now), _naive(self.now)))
            free_on = max(born, self.today - timedelta(days=rng.randrange(1, 1800)))
            status = rng.choices(("free", "in_match", "adopted"), (50, 15, 35))[0]
            child_id = self.ids("adoption_child")
            self.rows["adoption_child"].append((
                child_id, born, rng.choice("MF"), free_on, rng.choice(regions), status, "bench",
                _naive(self.now), pid, "adoption", True))
            if status == "free" and rng.random() < 0.7:
                continue
            started = free_on + timedelta(days=rng.randrange(10, 300))
            if started >= self.today:
                continue
            instance = self._instance(P11, None, datetime(started.year, started.month,
                                                          started.day, 9, tzinfo=UTC),
                                      ended=status == "adopted",
                                      scope=(None, "adoption", None, None, None, True))
            match_id = self.ids("adoption_match")
            self.rows["adoption_match"].append((match_id, instance[0], [child_id], started,
                                                "bench", "adoption", True))
            proposed = started
            for number in range(1, rng.randrange(2, 5)):
                if proposed >= self.today:
                    break
                answered = proposed + timedelta(days=rng.randrange(3, 40))
                answer: str | None = rng.choices(
                    ("ACCEPTED", "REFUSED", "NO_ANSWER", "NOT_COMPLETED"), (45, 35, 10, 10))[0]
                if answered > self.today:
                    answer, answered_on = None, None
                else:
                    answered_on = answered
                self.rows["adoption_proposal"].append((
                    self.ids("adoption_proposal"), match_id, rng.randrange(1, adopters + 1),
                    number, proposed, proposed + timedelta(days=30), answer, answered_on,
                    "adoption", True))
                if answer in (None, "ACCEPTED"):
                    break
                proposed = answered + timedelta(days=rng.randrange(5, 60))


def _with_defaults(name: str, columns: tuple[str, ...],
                   rows: Iterable[tuple[Any, ...]]) -> tuple[tuple[str, ...],
                                                             Iterator[tuple[Any, ...]]]:
    """The bulk writers bypass the models' Python-side defaults: append them to each row for
    the required columns the generator leaves out."""
    table = Base.metadata.tables[name]
    extra: list[tuple[str, Any]] = []
    for col in table.columns:
        if col.name in columns or col.nullable or col.default is None:
            continue
        default: Any = col.default
        value = default.arg(None) if getattr(default, "is_callable", False) else default.arg
        extra.append((col.name, value))
    names = columns + tuple(n for n, _ in extra)
    values = tuple(v for _, v in extra)
    return names, (row + values for row in rows)


def _for_postgres(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """COPY takes JSON columns as text."""
    for row in rows:
        yield tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)


def build(url: str, backend: str, params: Params) -> dict[str, int]:
    """Migrate the empty database at ``url`` and write the caseload; returns rows per table."""
    progress(f"{backend}: migrating")
    upgrade(url)
    engine = make_engine(url)
    if backend == "sqlite":
        @event.listens_for(engine, "connect")
        def _bulk(dbapi_conn: Any, _record: Any) -> None:
            # Only while loading: a large page cache and no fsync.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA cache_size=-1000000")
            cur.execute("PRAGMA synchronous=OFF")
            cur.close()
    counts: dict[str, int] = {}
    try:
        sessions = make_session_factory(engine)
        with sessions() as session:
            load_organisations(session)
            session.commit()
            regions = {code: region or "" for code, region in session.execute(
                select(Organisation.code, Organisation.region_code)
                .where(Organisation.kind == "municipality")).all()}
            session.execute(insert(ProcessDefinition), [
                {"id": n, "process_key": key, "version": 1, "name": key,
                 "file_name": f"{key}.bpmn", "content_hash": hashlib.sha256(key.encode())
                 .hexdigest(), "source_xml": "<!-- bench -->", "dmn_sources": {},
                 "deployed_at": params.as_of - timedelta(days=1000), "deployed_by": "bench"}
                for n, key in enumerate(PROCESS_KEYS, start=1)])
            session.commit()
        load = Loader(engine, backend)

        def write(name: str, rows: Iterable[tuple[Any, ...]], expected: int) -> None:
            columns, completed = _with_defaults(name, Caseload.COLUMNS[name], rows)
            load.load(name, columns,
                      _for_postgres(completed) if backend == "postgres" else completed, expected)
            counts[name] = counts.get(name, 0) + expected

        started = time.monotonic()
        caseload = Caseload(params, regions)
        caseload.persons()
        caseload.adults()
        caseload.group_homes()
        caseload.children()
        caseload.adoption()
        batches = caseload.batches()
        progress(f"{backend}: generated the caseload in memory in "
                 f"{time.monotonic() - started:.0f} s")
        for name in ("person", "process_instance", "human_task", "event",
                     "support_plan_version", "service_record_batch"):
            write(name, caseload.rows[name], len(caseload.rows[name]))
        # The service records are the largest table: generated while they are written.
        expected = sum(len(p[1]) for p in caseload.plans) * params.months // 2
        write("service_record", caseload.service_records(batches), expected)
        counts["service_record"] = caseload.records_written
        caseload.nsk()
        for name in ("process_instance", "nsk_report", "nsk_compensation", "group_home_stay",
                     "co_payment_month", "child_placement", "periodic_report_delivery",
                     "child_protection_decision", "adoption_adopter", "adoption_child",
                     "adoption_match", "adoption_proposal"):
            # The P7 instances nsk() added come after the instances already written.
            rows = caseload.rows[name][counts.get(name, 0):]
            write(name, rows, len(rows))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if backend == "postgres":
                for name in counts:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT coalesce(max(id), 1) FROM {name}))"))
                # What autovacuum would have done by now; SQLite is left without planner
                # statistics, as the product leaves it.
                progress("postgres: VACUUM ANALYZE")
                conn.execute(text("VACUUM ANALYZE"))

    finally:
        engine.dispose()
    return counts
