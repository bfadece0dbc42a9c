"""Inbox query time at production size, on SQLite and PostgreSQL.

    python bench/inbox.py                              # both backends, full size, cached data set
    python bench/inbox.py --backends sqlite --repeat 50
    python bench/inbox.py --instances 100000 --open-tasks 10000 --persons 20000   # small, quick
    python bench/inbox.py --rebuild                    # generate the data set again

For one caseworker of Riga's social service (group ``social_service``), whose organisation has
``--org-tasks`` open tasks (default 1,000) among ``--open-tasks`` open tasks (100,000) and
``--instances`` stored process instances (1,000,000), it times the product's own inbox call,
``app.inbox.service.inbox_page(session, viewer, InboxQuery(...), now)``, which runs the tab
counts, the list count and the page query (and the filter lists), for a handful of inbox views:
the default tab, the groups tab, the completed tab, a name search, a due filter, page 20. It
prints median, p95, p99 and max per view and backend, the same call on an empty database (the
cost that does not depend on data), the time of each SQL statement in the driver (SQLAlchemy
cursor events, and each statement re-run alone with all rows fetched) so the figure shows where
the time goes, the query plans, and the machine's load average. Target read against: p95 under
50 ms. It prints figures; it asserts nothing.

The data set is generated with bulk SQL on a freshly migrated database (Core executemany on
SQLite, COPY on PostgreSQL) and cached between runs, because generating it takes minutes: a
SQLite file under var/bench/, and the PostgreSQL database ``dicase_bench_inbox`` (one of it: a
run with other sizes rebuilds it), both keyed by the size parameters, the generator's version and
the migration head. bench/README.md has the figures measured.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Run as a script (``python bench/inbox.py``), so the project root is not on sys.path yet.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Date, DateTime, create_engine, event, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import column, table
from stdnum.lv import pvn

from app.access.organisations import load_organisations
from app.access.record_kinds import record_kind_of
from app.access.scope import Viewer, viewer_of
from app.db import make_engine, make_session_factory
from app.db.migrate import alembic_config, upgrade
from app.db.models import Base, Organisation, ProcessDefinition
from app.db.models.base import UTCDateTime
from app.db.scratch import reachable_server_version, scratch_backend
from app.domain.calendar import end_of_day
from app.inbox.service import InboxQuery, inbox_page, tab_counts

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "dicase_bench_inbox"
CACHE_DIR = ROOT / "var" / "bench"
TARGET_MS = 50.0
# Bump when the generator changes what it writes, so cached data sets are rebuilt.
GENERATOR_VERSION = 3

# The data set is built around a fixed "now" (naive UTC), and the inbox is asked with the same
# moment, so overdue / due-today counts are the same in every run of a cached data set.
NOW = datetime(2026, 11, 26, 9, 30)
NOW_UTC = NOW.replace(tzinfo=UTC)

# The person measured: a caseworker of Riga's social service.
VIEWER_USERNAME = "riga.soc01"
VIEWER_ORGANISATION = "RIGA"
VIEWER_GROUPS = ("social_service",)
VIEWER_ROLES = ("caseworker",)
VIEWER_COMPLETED = 1500     # completed tasks of the viewer (the "completed" tab)
VIEWER_ASSIGNED = 0.04      # share of the organisation's open tasks assigned to the viewer
COLLEAGUES_ASSIGNED = 0.14  # ... and to one of eight colleagues

# A serialised workflow is several kB; the inbox never reads it, so the data set stores a
# placeholder (the table is therefore smaller on disk than in production).
STATE_PLACEHOLDER = '{"placeholder": "bench/inbox.py: the inbox never reads the workflow state"}'


@dataclass(frozen=True)
class Process:
    key: str
    name: str
    weight: int
    # (element_id, element_name, candidate_groups) of its user tasks
    steps: tuple[tuple[str, str, str], ...]
    person: str = "any"  # which persons it is about: any | child | care | confidential


PROCESSES = (
    Process("p01_needs_assessment", "P1 Personas vajadzību izvērtēšana", 14, (
        ("register_request", "Reģistrēt pieprasījumu", "social_service"),
        ("assess_needs", "Izvērtēt vajadzības", "social_service"),
        ("review_assessment", "Pārskatīt izvērtējumu", "planning_region_expert social_service"))),
    Process("p02_support_plan", "P2 Individuālā atbalsta plāns", 10, (
        ("draft_plan", "Sagatavot atbalsta plānu", "social_service"),
        ("agree_plan", "Saskaņot atbalsta plānu", "social_service institution"))),
    Process("p03_family_assistant", "P3 Ģimenes asistenta pakalpojums", 10, (
        ("assign_assistant", "Norīkot asistentu", "social_service"),
        ("monthly_report", "Mēneša pārskats", ""))),
    Process("p04_group_apartment", "P4 Grupu dzīvoklis", 8, (
        ("check_place", "Pārbaudīt vietu", "social_service"),
        ("move_in", "Iedzīvināšana", "service_provider"))),
    Process("p05_day_care", "P5 Dienas aprūpes centrs", 8, (
        ("enrol", "Uzņemt centrā", "social_service"),
        ("quarterly_review", "Ceturkšņa pārskats", "service_provider"))),
    Process("p06_respite_care", "P6 Atelpas brīža pakalpojums", 8, (
        ("book_place", "Rezervēt vietu", "social_service"),
        ("confirm_stay", "Apstiprināt uzturēšanos", ""))),
    Process("p07_specialised_workshop", "P7 Specializētās darbnīcas", 6, (
        ("refer", "Nosūtīt uz darbnīcu", "social_service"),
        ("progress_report", "Progresa ziņojums", "service_provider"))),
    Process("p08_leaving_institution", "P8 Pāreja no institūcijas uz dzīvi sabiedrībā", 10, (
        ("prepare_exit", "Sagatavot pāreju", "institution"),
        ("receive_client", "Pieņemt klientu pašvaldībā", "social_service"),
        ("follow_up_visit", "Pēcaprūpes vizīte", "social_service")), person="care"),
    Process("p09_out_of_family_care", "P9 Bērna ārpusģimenes aprūpes ilguma kontrole", 12, (
        ("register_placement", "Reģistrēt ievietošanu", "institution"),
        ("review_placement", "Pārskatīt ievietošanu", "orphan_court"),
        ("extend_placement", "Lemt par pagarināšanu", "orphan_court social_service")),
        person="child"),
    Process("p10_foster_family", "P10 Audžuģimenes statuss", 10, (
        ("assess_family", "Izvērtēt ģimeni", "orphan_court social_service"),
        ("decide_status", "Lemt par statusu", "orphan_court")), person="child"),
    Process("p11_adoption", "P11 Adopcija", 1, (
        ("register_adopters", "Reģistrēt adoptētājus", "adoption_register"),
        ("match_child", "Piemeklēt bērnu", "adoption_register")), person="confidential"),
)
ADOPTION = len(PROCESSES) - 1
assert PROCESSES[ADOPTION].person == "confidential"

GIVEN_MALE = ("Jānis", "Andris", "Juris", "Edgars", "Māris", "Aivars", "Dmitrijs", "Sergejs",
              "Aleksandrs", "Artūrs", "Kristaps", "Mārtiņš", "Roberts", "Raimonds", "Valdis",
              "Guntis", "Ivars", "Uldis", "Gints", "Oskars", "Toms", "Rihards", "Emīls",
              "Markuss", "Daniels", "Ralfs", "Gustavs", "Niks", "Vladimirs", "Andrejs", "Pēteris",
              "Kārlis", "Arvīds", "Ojārs", "Viktors", "Igors", "Normunds", "Gatis", "Ainārs")
GIVEN_FEMALE = ("Anna", "Kristīne", "Inese", "Ilze", "Laura", "Līga", "Dace", "Sandra",
                "Jeļena", "Olga", "Irina", "Tatjana", "Marta", "Elza", "Sofija", "Alise",
                "Emīlija", "Evelīna", "Linda", "Santa", "Zane", "Agnese", "Ieva", "Madara",
                "Baiba", "Aija", "Gunta", "Ināra", "Natālija", "Svetlana", "Rasma", "Vija",
                "Daina", "Maija", "Anita", "Ruta", "Ligita", "Diāna", "Valentīna")
# (masculine, feminine), most common first.
FAMILY = (
    ("Bērziņš", "Bērziņa"), ("Kalniņš", "Kalniņa"), ("Ozoliņš", "Ozoliņa"), ("Jansons", "Jansone"),
    ("Ozols", "Ozola"), ("Liepiņš", "Liepiņa"), ("Krūmiņš", "Krūmiņa"), ("Balodis", "Balode"),
    ("Eglītis", "Eglīte"), ("Zariņš", "Zariņa"), ("Pētersons", "Pētersone"), ("Vītols", "Vītola"),
    ("Kļaviņš", "Kļaviņa"), ("Kārkliņš", "Kārkliņa"), ("Vanags", "Vanaga"), ("Lapiņš", "Lapiņa"),
    ("Ivanovs", "Ivanova"), ("Petrovs", "Petrova"), ("Kuzņecovs", "Kuzņecova"),
    ("Smirnovs", "Smirnova"), ("Siliņš", "Siliņa"), ("Jurēvičs", "Jurēviča"), ("Kalns", "Kalna"),
    ("Zālītis", "Zālīte"), ("Priede", "Priede"), ("Lācis", "Lāce"), ("Vilks", "Vilka"),
    ("Feldmanis", "Feldmane"), ("Sproģis", "Sproģe"), ("Grīnbergs", "Grīnberga"),
    ("Podnieks", "Podniece"), ("Strazdiņš", "Strazdiņa"), ("Mežulis", "Mežule"),
    ("Rozenbergs", "Rozenberga"), ("Vasiļjevs", "Vasiļjeva"), ("Popovs", "Popova"),
    ("Sokolovs", "Sokolova"), ("Leimanis", "Leimane"), ("Upītis", "Upīte"), ("Avotiņš", "Avotiņa"),
    ("Dzenis", "Dzene"), ("Skuja", "Skuja"), ("Kreicbergs", "Kreicberga"), ("Šmits", "Šmite"),
    ("Puriņš", "Puriņa"), ("Ābele", "Ābele"), ("Dreimanis", "Dreimane"), ("Celmiņš", "Celmiņa"),
    ("Rudzītis", "Rudzīte"), ("Sīlis", "Sīle"), ("Jākobsons", "Jākobsone"), ("Graudiņš", "Graudiņa"),
    ("Zvirbulis", "Zvirbule"), ("Ločmelis", "Ločmele"), ("Bite", "Bite"), ("Āboliņš", "Āboliņa"),
    ("Gailītis", "Gailīte"), ("Mednis", "Medne"), ("Sprūdžs", "Sprūdža"), ("Tiltiņš", "Tiltiņa"),
)
STREETS = ("Brīvības iela", "Elizabetes iela", "Lāčplēša iela", "Miera iela", "Skolas iela",
           "Dārza iela", "Rīgas iela", "Ozolu iela", "Liepu iela", "Stacijas iela")


# --- parameters and the cache key ------------------------------------------------------------

@dataclass(frozen=True)
class Params:
    instances: int = 1_000_000
    open_tasks: int = 100_000
    org_tasks: int = 1_000
    persons: int = 200_000
    completed_tasks: int = 400_000
    seed: int = 20261126

    def check(self) -> str | None:
        if not 0 < self.org_tasks <= self.open_tasks <= self.instances:
            return "need 0 < --org-tasks <= --open-tasks <= --instances"
        if self.persons < 1000:
            return "need --persons >= 1000"
        if self.completed_tasks < VIEWER_COMPLETED:
            return f"need --completed-tasks >= {VIEWER_COMPLETED}"
        return None


def migration_head() -> str:
    return "+".join(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


def cache_key(params: Params, head: str) -> tuple[str, dict[str, Any]]:
    described = {"generator": GENERATOR_VERSION, "head": head, **asdict(params)}
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:12]
    return digest, described


def progress(message: str) -> None:
    # Progress on stderr, so the figures on stdout stay clean.
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the data set ----------------------------------------------------------------------------

@dataclass
class Territory:
    municipalities: list[str]      # municipality codes, sorted
    vsac_of: dict[str, str]        # municipality -> the state social care centre of its region
    weights: list[int]             # persons per municipality, relative


def read_territory(session: Session) -> Territory:
    rows = session.execute(select(Organisation.code, Organisation.region_code)
                           .where(Organisation.kind == "municipality")
                           .order_by(Organisation.code)).all()
    vsacs = set(session.scalars(select(Organisation.code).where(Organisation.kind == "vsac")))
    cities = {"RIGA": 8, "DAUGAVPILS": 3, "LIEPAJA": 3, "JELGAVA": 3, "JURMALA": 3,
              "VENTSPILS": 2, "REZEKNE": 2}
    vsac_of = {}
    for code, region in rows:
        candidate = "VSAC-" + (region or "").removeprefix("PR-")
        vsac_of[code] = candidate if candidate in vsacs else min(vsacs)
    return Territory([code for code, _ in rows], vsac_of,
                     [cities.get(code, 1) for code, _ in rows])


def personal_code(seed: int) -> str:
    """A personal code in the new format (``32…``), valid, unique per seed."""
    body = f"32{seed:08d}"
    return f"{body[:6]}-{body[6:]}{pvn.calc_check_digit_pers(body)}"


def naive_end_of_day(day: date, cache: dict[date, datetime]) -> datetime:
    found = cache.get(day)
    if found is None:
        found = cache[day] = end_of_day(day).astimezone(UTC).replace(tzinfo=None)
    return found


class Generator:
    """Deterministic rows for the benchmark's data set (the same seed gives the same rows).

    Scope follows the product: an instance takes the record scope of its person
    (``Scope.of_person``), its tasks copy the instance's. The measured organisation (RIGA) gets
    exactly ``org_tasks`` open tasks it may see; the other open tasks belong to the persons of
    the 42 other municipalities (with their orphan courts and state social care centres), plus
    adoption tasks, which are confidential and outside every municipality's scope.
    """

    def __init__(self, params: Params, territory: Territory) -> None:
        self.p, self.t = params, territory
        self.rng = random.Random(params.seed)
        self.riga = territory.municipalities.index(VIEWER_ORGANISATION)
        self.day_cache: dict[date, datetime] = {}
        self.proc_cum = _cumulative([p.weight for p in PROCESSES])
        self.proc_cum_open = _cumulative([p.weight for p in PROCESSES[:ADOPTION]])
        self.mun_cum = _cumulative(territory.weights)
        self.mun_cum_other = _cumulative([0 if k == self.riga else w
                                          for k, w in enumerate(territory.weights)])
        fam_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(FAMILY))]
        self.family_cum = _cumulative(fam_weights)
        # Filled by persons(): per person, its municipality (index), category and scope.
        self.person_mun = array("h")
        self.person_care = array("b")      # 1: in a state social care centre's care, 2: a provider's
        self.person_child = array("b")     # 1: a child (an orphan court's case)
        self.person_conf = array("b")      # 1: confidential (adoption)
        self.pools: dict[tuple[int, str], array[int]] = {}
        self.confidential: array[int] = array("i")
        # Filled by instances(): per instance, its process, version and person.
        self.inst_proc = array("b")
        self.inst_version = array("b")
        self.inst_person = array("i")
        self.riga_instances: array[int] = array("i")  # instances in the viewer's scope

    # Persons ------------------------------------------------------------------------------

    PERSON_COLUMNS = ("id", "personal_code", "given_name", "family_name", "search_name",
                      "birth_date", "sex", "address", "phone", "email", "municipality_code",
                      "institution_code", "orphan_court_code", "confidential", "created_at",
                      "updated_at")

    def persons(self) -> Iterator[tuple[Any, ...]]:
        rng, muns = self.rng, self.t.municipalities
        for pid in range(1, self.p.persons + 1):
            mun = _pick(rng, self.mun_cum)
            roll = rng.random()
            child, care, conf = roll < 0.20, 0.20 <= roll < 0.35, roll >= 0.995
            male = rng.random() < 0.5
            given = rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
            family = FAMILY[_pick(rng, self.family_cum)][0 if male else 1]
            born = (date(2009, 1, 1) + timedelta(days=rng.randrange(6000)) if child
                    else date(1935, 1, 1) + timedelta(days=rng.randrange(26000)))
            if care and rng.random() < 0.07:
                care = 2  # in the care of a service provider, not a state centre
            institution = self._institution(mun, care)
            created = NOW - timedelta(days=rng.randrange(1, 2000), seconds=rng.randrange(86400))
            self.person_mun.append(mun)
            self.person_child.append(child)
            self.person_care.append(care)
            self.person_conf.append(conf)
            if conf:
                self.confidential.append(pid)
            else:
                category = "child" if child else "care" if care else "adult"
                self.pools.setdefault((mun, category), array("i")).append(pid)
            yield (pid, personal_code(pid), given, family, f"{given} {family}".casefold(), born,
                   "M" if male else "F", f"{rng.choice(STREETS)} {rng.randrange(1, 120)}",
                   f"+371 2{rng.randrange(10**7):07d}", "", muns[mun], institution,
                   muns[mun] + "-BT" if child else None, conf, created, created)

    def _institution(self, mun: int, care: int) -> str | None:
        if not care:
            return None
        return "SP-ATBALSTS" if care == 2 else self.t.vsac_of[self.t.municipalities[mun]]

    def _person_for(self, proc: int, mun: int) -> int:
        rng = self.rng
        kind = PROCESSES[proc].person
        if kind == "confidential":
            return rng.choice(self.confidential)
        if kind == "any":
            kind = "care" if rng.random() < 0.3 else "adult"
        for category in (kind, "adult", "care", "child"):
            pool = self.pools.get((mun, category))
            if pool:
                return rng.choice(pool)
        raise RuntimeError(f"no person in municipality {self.t.municipalities[mun]}")

    # Process definitions and instances --------------------------------------------------

    def definitions(self) -> list[dict[str, Any]]:
        rows = []
        for k, proc in enumerate(PROCESSES):
            for ver in (1, 2):
                rows.append({"id": 2 * k + ver, "process_key": proc.key, "version": ver,
                             "name": proc.name, "file_name": f"{proc.key}.bpmn",
                             "content_hash": hashlib.sha256(f"{proc.key}{ver}".encode()).hexdigest(),
                             "source_xml": "<!-- bench placeholder -->", "dmn_sources": {},
                             "deployed_at": NOW_UTC - timedelta(days=800 - 400 * ver),
                             "deployed_by": "bench"})
        return rows

    INSTANCE_COLUMNS = ("id", "definition_id", "process_key", "business_key", "status", "state",
                        "started_by", "created_at", "updated_at", "ended_at", "event_seq",
                        "last_event_hash", "version", "person_id", "record_kind",
                        "municipality_code", "institution_code", "orphan_court_code",
                        "confidential")

    def instances(self) -> Iterator[tuple[Any, ...]]:
        """Instances 1..N-open are history (completed, a few terminated); the last ``open_tasks``
        are active, one open task each; ``org_tasks`` of those are the viewer's organisation's."""
        rng, p, muns = self.rng, self.p, self.t.municipalities
        history = p.instances - p.open_tasks
        slots = [True] * p.org_tasks + [False] * (p.open_tasks - p.org_tasks)
        rng.shuffle(slots)
        for i in range(1, p.instances + 1):
            if i <= history:
                proc, mun = _pick(rng, self.proc_cum), _pick(rng, self.mun_cum)
                age = 120 + (history - i) * 1700 / max(1, history)  # days, older ids older
                status = "terminated" if rng.random() < 0.03 else "completed"
            else:
                age = rng.uniform(1, 180)
                status = "active"
                if slots[i - history - 1]:
                    proc, mun = _pick(rng, self.proc_cum_open), self.riga
                else:
                    proc = _pick(rng, self.proc_cum)
                    mun = _pick(rng, self.mun_cum_other)
            person = self._person_for(proc, mun)
            created = NOW - timedelta(days=age, seconds=rng.randrange(86400))
            ver = 2 if age < 400 else 1
            ended = (min(NOW, created + timedelta(days=rng.uniform(5, 200)))
                     if status != "active" else None)
            self.inst_proc.append(proc)
            self.inst_version.append(ver)
            self.inst_person.append(person)
            pmun = self.person_mun[person - 1]
            child, care = self.person_child[person - 1], self.person_care[person - 1]
            conf = bool(self.person_conf[person - 1]) or proc == ADOPTION
            institution = self._institution(pmun, care)
            if pmun == self.riga and not conf:
                self.riga_instances.append(i)
            proc_def = PROCESSES[proc]
            yield (i, 2 * proc + ver, proc_def.key,
                   f"P{proc + 1:02d}-{created.year}-{i:07d}", status, STATE_PLACEHOLDER,
                   f"{muns[pmun].lower()}.user{rng.randrange(1, 13):02d}", created,
                   ended or created, ended, rng.randrange(3, 13), f"{i:064x}", 1, person,
                   record_kind_of(proc_def.key), muns[pmun], institution,
                   muns[pmun] + "-BT" if child else None, conf)

    # Tasks --------------------------------------------------------------------------------

    TASK_COLUMNS = ("id", "instance_id", "task_guid", "process_key", "process_version",
                    "business_key", "element_id", "element_name", "form_key", "lane",
                    "candidate_groups", "assignee", "delegated_by", "due_at", "follow_up_at",
                    "status", "created_at", "completed_at", "completed_by", "person_id",
                    "record_kind", "municipality_code", "institution_code", "orphan_court_code",
                    "confidential")

    def _instance_scope(self, i: int) -> tuple[int, int, int, tuple[Any, ...]]:
        proc, ver, person = (self.inst_proc[i - 1], self.inst_version[i - 1],
                             self.inst_person[i - 1])
        muns = self.t.municipalities
        pmun = muns[self.person_mun[person - 1]]
        institution = self._institution(self.person_mun[person - 1], self.person_care[person - 1])
        conf = bool(self.person_conf[person - 1]) or proc == ADOPTION
        scope = (person, record_kind_of(PROCESSES[proc].key), pmun, institution,
                 pmun + "-BT" if self.person_child[person - 1] else None, conf)
        return proc, ver, person, scope

    def _due(self, created: datetime) -> datetime | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return None
        today = NOW.date()
        if roll < 0.15 + 0.85 * 0.25:   # overdue
            day = today - timedelta(days=rng.randrange(1, 46))
        elif roll < 0.15 + 0.85 * 0.30:  # due today
            day = today
        else:
            day = today + timedelta(days=rng.randrange(1, 61))
        return naive_end_of_day(day, self.day_cache)

    def tasks(self) -> Iterator[tuple[Any, ...]]:
        """Completed tasks first (ids 1..completed), then the open ones (one per active
        instance); the viewer completed ``VIEWER_COMPLETED`` of the completed ones."""
        rng, p = self.rng, self.p
        history = p.instances - p.open_tasks
        task_id = 0
        # The viewer's completed tasks are spread over the years of history, as real ones are.
        viewer_done = set(rng.sample(range(p.completed_tasks), VIEWER_COMPLETED))
        for k in range(p.completed_tasks):
            task_id += 1
            mine = k in viewer_done
            if mine:
                i = rng.choice(self.riga_instances)
            elif rng.random() < 0.7 and history > 0:
                i = rng.randrange(1, history + 1)
            else:
                i = rng.randrange(history + 1, p.instances + 1)
            proc, ver, _person, scope = self._instance_scope(i)
            element_id, element_name, groups = rng.choice(PROCESSES[proc].steps)
            created = NOW - timedelta(days=rng.uniform(1, 1800) if i <= history
                                      else rng.uniform(1, 180))
            completed = min(NOW, created + timedelta(hours=rng.uniform(1, 500)))
            who = (VIEWER_USERNAME if mine
                   else f"{scope[2].lower()}.user{rng.randrange(1, 13):02d}")
            yield (task_id, i, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                   PROCESSES[proc].key, ver, f"P{proc + 1:02d}-{i:07d}", element_id,
                   element_name, element_id, None, groups, who, None,
                   None if rng.random() < 0.15 else created + timedelta(days=rng.randrange(7, 31)),
                   None, "completed", created, completed, who, *scope)
        colleagues = [f"riga.user{n:02d}" for n in range(1, 9)]
        for i in range(history + 1, p.instances + 1):
            task_id += 1
            proc, ver, _person, scope = self._instance_scope(i)
            element_id, element_name, groups = rng.choice(PROCESSES[proc].steps)
            created = NOW - timedelta(days=rng.uniform(0, 120), seconds=rng.randrange(86400))
            assignee = delegated_by = None
            roll = rng.random()
            if scope[2] == VIEWER_ORGANISATION and not scope[5]:
                if roll < VIEWER_ASSIGNED:
                    assignee = VIEWER_USERNAME
                    if rng.random() < 0.05:
                        delegated_by = rng.choice(colleagues)
                elif roll < VIEWER_ASSIGNED + COLLEAGUES_ASSIGNED:
                    assignee = rng.choice(colleagues)
                    if rng.random() < 0.05:
                        delegated_by = VIEWER_USERNAME
            elif roll < 0.2:
                assignee = f"{scope[2].lower()}.user{rng.randrange(1, 13):02d}"
            follow_up = (NOW + timedelta(days=rng.uniform(-5, 10)) if rng.random() < 0.10
                         else None)
            yield (task_id, i, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                   PROCESSES[proc].key, ver, f"P{proc + 1:02d}-{i:07d}", element_id,
                   element_name, element_id, None, groups, assignee, delegated_by,
                   self._due(created), follow_up, "open", created, None, None, *scope)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    """Index drawn with the weights whose running sums ``cumulative`` holds."""
    return min(bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


# --- loading ---------------------------------------------------------------------------------

def batched(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def plain_table(name: str, columns: Sequence[str]) -> Any:
    """The table with plain DateTime columns instead of the model's UTCDateTime: the generator
    writes naive UTC, which is what UTCDateTime stores."""
    model = Base.metadata.tables[name]
    cols = []
    for col_name in columns:
        type_ = model.c[col_name].type
        if isinstance(type_, UTCDateTime):
            type_ = DateTime()
        elif isinstance(type_, Boolean | Date):
            type_ = type(type_)()
        cols.append(column(col_name, type_))
    return table(name, *cols)


class Loader:
    def __init__(self, engine: Engine, backend: str) -> None:
        self.engine, self.backend = engine, backend

    def load(self, name: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]],
             expected: int) -> None:
        started = time.monotonic()
        done = 0
        report = max(1, expected // 5)
        if self.backend == "sqlite":
            target = plain_table(name, columns)
            with self.engine.connect() as conn:
                for batch in batched(rows, 20_000):
                    conn.execute(insert(target), [dict(zip(columns, row)) for row in batch])
                    conn.commit()
                    done, before = done + len(batch), done
                    if done // report != before // report:
                        progress(f"  {name}: {done:,}/{expected:,}")
        else:
            raw = self.engine.raw_connection()
            try:
                driver = raw.driver_connection
                assert driver is not None
                with driver.cursor() as cur:
                    copy_sql = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
                    with cur.copy(copy_sql) as copy:
                        for row in rows:
                            copy.write_row(row)
                            done += 1
                            if done % report == 0:
                                progress(f"  {name}: {done:,}/{expected:,}")
                driver.commit()
            finally:
                raw.close()
        progress(f"  {name}: {done:,} rows in {time.monotonic() - started:.0f} s")


def build(url: str, backend: str, params: Params) -> float:
    """Migrate an empty database and fill it; returns the seconds it took."""
    started = time.monotonic()
    progress(f"{backend}: migrating {url}")
    upgrade(url)
    engine = make_engine(url)
    if backend == "sqlite":
        @event.listens_for(engine, "connect")
        def _bulk(dbapi_conn: Any, _record: Any) -> None:
            # Only while loading: a large page cache (random index inserts) and no fsync.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA cache_size=-1000000")
            cur.execute("PRAGMA synchronous=OFF")
            cur.close()
    try:
        sessions = make_session_factory(engine)
        with sessions() as session:
            load_organisations(session)
            session.commit()
            territory = read_territory(session)
            gen = Generator(params, territory)
            session.execute(insert(ProcessDefinition), gen.definitions())
            session.commit()
        loader = Loader(engine, backend)
        loader.load("person", gen.PERSON_COLUMNS, gen.persons(), params.persons)
        loader.load("process_instance", gen.INSTANCE_COLUMNS, gen.instances(), params.instances)
        loader.load("human_task", gen.TASK_COLUMNS, gen.tasks(),
                    params.completed_tasks + params.open_tasks)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if backend == "postgres":
                for name in ("person", "process_instance", "human_task", "process_definition"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT max(id) FROM {name}))"))
                progress("postgres: VACUUM ANALYZE (what autovacuum would have done by now)")
                conn.execute(text("VACUUM ANALYZE"))
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return time.monotonic() - started


def remove_obsolete(params: Params, path: Path) -> None:
    """Remove this data set's unfinished file, and cached files of the same size parameters built
    for another migration head or generator version (a data set of other sizes stays)."""
    sizes = asdict(params)
    obsolete = [path]
    for marker in CACHE_DIR.glob("inbox_*.json"):
        try:
            described = json.loads(marker.read_text())
        except (OSError, ValueError):
            continue
        if all(described.get(k) == v for k, v in sizes.items()):
            obsolete.append(marker.with_suffix(".sqlite"))
    for stale in obsolete:
        for suffix in (".sqlite", ".sqlite-wal", ".sqlite-shm", ".json"):
            found = stale.with_suffix(suffix)
            if found.exists():
                progress(f"sqlite: removing {found.name}")
                found.unlink()


def sqlite_database(params: Params, key: str, described: dict[str, Any],
                    rebuild: bool) -> tuple[str, dict[str, Any]]:
    """The cached SQLite file for these parameters (built if missing); its URL and build info."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"inbox_{key}.sqlite"
    marker = path.with_suffix(".json")  # written last: a half-built file has none
    if marker.exists() and path.exists() and not rebuild:
        return f"sqlite:///{path}", json.loads(marker.read_text())
    remove_obsolete(params, path)
    url = f"sqlite:///{path}"
    seconds = build(url, "sqlite", params)
    info = {**described, "built": datetime.now().isoformat(timespec="seconds"),
            "build_seconds": round(seconds)}
    marker.write_text(json.dumps(info, indent=1))
    return url, info


def postgres_database(server: str, params: Params, key: str, described: dict[str, Any],
                      rebuild: bool) -> tuple[str, dict[str, Any]]:
    """The cached PostgreSQL database (rebuilt when its comment does not carry this key)."""
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    url = make_url(server).set(database=PG_DATABASE).render_as_string(hide_password=False)
    try:
        with admin.connect() as conn:
            comment = conn.execute(text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"), {"name": PG_DATABASE}).scalar()
        info = json.loads(comment) if comment else {}
        if info.get("key") == key and not rebuild:
            return url, info
        with admin.connect() as conn:
            progress(f"postgres: (re)creating database {PG_DATABASE}")
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
        seconds = build(url, "postgres", params)
        info = {**described, "key": key, "built": datetime.now().isoformat(timespec="seconds"),
                "build_seconds": round(seconds)}
        with admin.connect() as conn:  # written last: a half-built database has no comment
            literal = json.dumps(info).replace("'", "''")
            conn.execute(text(f"COMMENT ON DATABASE \"{PG_DATABASE}\" IS '{literal}'"))
        return url, info
    finally:
        admin.dispose()


# --- measuring -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    label: str
    query: InboxQuery
    tab_chosen: bool = True


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def label_of(statement: str) -> str:
    """A short name for each statement inbox_page runs, from its SQL."""
    sql = " ".join(statement.split())
    upper = sql.upper()
    if "FILTER (WHERE" in upper:
        return "tab counts (open tabs)"
    if upper.startswith("SELECT COUNT(*)") and "FROM (SELECT" in upper:
        return "list count"
    if upper.startswith("SELECT COUNT(*)"):
        return "tab count (completed)"
    if upper.startswith("SELECT HUMAN_TASK.ID") and " LIMIT " in upper:
        return "page rows"  # the persons of the page are read after it, for its rows only
    if "FROM PROCESS_DEFINITION ORDER BY" in upper:
        return "process names"
    if upper.startswith("SELECT ORGANISATION.CODE"):
        return "organisation names"
    if upper.startswith("SELECT DISTINCT HUMAN_TASK.MUNICIPALITY_CODE"):
        return "organisation filter list (1)"
    if upper.startswith("SELECT DISTINCT HUMAN_TASK.INSTITUTION_CODE"):
        return "organisation filter list (2)"
    if "DISTINCT" in upper and "ELEMENT_ID" in upper:
        return "task type filter list"
    if "PROCESS_KEY" in upper and "DISTINCT" in upper:
        return "process filter list"
    return sql[:50]


class StatementClock:
    """Time of every statement in the driver (cursor.execute; on PostgreSQL that includes
    fetching the rows, on SQLite the first step only), via SQLAlchemy's cursor events."""

    def __init__(self, engine: Engine) -> None:
        self.calls: list[tuple[str, Any, int]] | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _statement: str, _parameters: Any, _context: Any,
                _executemany: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter_ns()

    def _after(self, conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _executemany: bool) -> None:
        elapsed = time.perf_counter_ns() - conn.info.pop("bench_t0", time.perf_counter_ns())
        if self.calls is not None and statement.strip().upper() not in ("BEGIN", "ROLLBACK",
                                                                         "COMMIT"):
            self.calls.append((statement, parameters, elapsed))


@dataclass
class CaseResult:
    case: Case
    rows: int = 0
    total_ms: list[float] = field(default_factory=list)
    sql_ms: dict[str, list[float]] = field(default_factory=dict)   # per label, per call
    sql_count: dict[str, int] = field(default_factory=dict)        # statements per call
    statements: dict[str, tuple[str, Any]] = field(default_factory=dict)  # one sample per label
    alone_ms: dict[str, list[float]] = field(default_factory=dict)  # re-run alone, all rows fetched


def measure(sessions: sessionmaker[Session], clock: StatementClock, viewer: Viewer,
            cases: list[Case], repeat: int, warmup: int) -> list[CaseResult]:
    """``warmup`` untimed rounds, then ``repeat`` rounds; a round calls every case once, so a
    change of load on the shared machine hits every case alike. One session per call, as the
    web request has."""
    results = [CaseResult(case) for case in cases]
    for _ in range(warmup):
        for case in cases:
            with sessions() as session:
                inbox_page(session, viewer, case.query, NOW_UTC, tab_chosen=case.tab_chosen)
    gc.collect()
    for _ in range(repeat):
        for result in results:
            case = result.case
            with sessions() as session:
                clock.calls = []
                t0 = time.perf_counter_ns()
                page = inbox_page(session, viewer, case.query, NOW_UTC,
                                  tab_chosen=case.tab_chosen)
                elapsed = time.perf_counter_ns() - t0
                calls, clock.calls = clock.calls, None
            result.total_ms.append(elapsed / 1e6)
            result.rows = page.total
            per_label: dict[str, float] = {}
            counts: dict[str, int] = {}
            for statement, parameters, ns in calls:
                label = label_of(statement)
                per_label[label] = per_label.get(label, 0.0) + ns / 1e6
                counts[label] = counts.get(label, 0) + 1
                result.statements.setdefault(label, (statement, parameters))
            for label, ms in per_label.items():
                result.sql_ms.setdefault(label, []).append(ms)
            result.sql_count = counts
    return results


def measure_alone(engine: Engine, results: list[CaseResult], runs: int) -> None:
    """Each statement the calls sent, run again on its own through the driver with every row
    fetched: on SQLite the events above miss the rows stepped through after the first one."""
    done: dict[str, list[float]] = {}
    with engine.connect() as conn:
        for r in results:
            for label, (statement, parameters) in r.statements.items():
                ident = statement + repr(parameters)
                if ident not in done:
                    conn.exec_driver_sql(statement, parameters).all()  # warm-up
                    times = []
                    for _ in range(runs):
                        t0 = time.perf_counter_ns()
                        conn.exec_driver_sql(statement, parameters).all()
                        times.append((time.perf_counter_ns() - t0) / 1e6)
                    done[ident] = times
                r.alone_ms[label] = done[ident]
        conn.rollback()


def explain(engine: Engine, backend: str, statement: str, parameters: Any) -> list[str]:
    """The plan of a statement exactly as the product sent it (same SQL, same parameters)."""
    with engine.connect() as conn:
        if backend == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            depth: dict[int, int] = {0: 0}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * depth[node] + str(detail))
            return lines
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        return [str(row[0]) for row in rows]


# --- report ----------------------------------------------------------------------------------

def code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app/inbox", "app/access",
                                "app/db"], cwd=ROOT, check=True, capture_output=True,
                               text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with local changes in app/inbox, app/access or app/db" if dirty else "")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def describe_data(sessions: sessionmaker[Session], viewer: Viewer) -> list[str]:
    with sessions() as session:
        def count(sql: str) -> int:
            return int(session.execute(text(sql)).scalar() or 0)

        instances = dict(session.execute(text(
            "SELECT status, count(*) FROM process_instance GROUP BY status")).all())
        tasks = dict(session.execute(text(
            "SELECT status, count(*) FROM human_task GROUP BY status")).all())
        org_open = count("SELECT count(*) FROM human_task WHERE status = 'open' AND "
                         f"municipality_code = '{VIEWER_ORGANISATION}' AND NOT confidential")
        confidential = count("SELECT count(*) FROM human_task WHERE status = 'open' AND "
                             f"municipality_code = '{VIEWER_ORGANISATION}' AND confidential")
        counts = tab_counts(session, viewer, NOW_UTC)
        lines = [
            "process_instance {:,} ({}); human_task {:,} ({}); person {:,}; organisation {}; "
            "process_definition {}".format(
                sum(instances.values()),
                ", ".join(f"{k} {v:,}" for k, v in sorted(instances.items())),
                sum(tasks.values()), ", ".join(f"{k} {v:,}" for k, v in sorted(tasks.items())),
                count("SELECT count(*) FROM person"), count("SELECT count(*) FROM organisation"),
                count("SELECT count(*) FROM process_definition")),
            (f"open tasks in the scope of {VIEWER_ORGANISATION}: {org_open:,} (plus {confidential} "
            "confidential adoption tasks of its residents, outside its scope)"),
            f"tabs of {viewer.username}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        ]
    return lines


def print_results(backend: str, results: list[CaseResult], floor: list[CaseResult]) -> None:
    print(f"\n=== {backend}: inbox_page, ms per call (one session per call) ===")
    print("empty db = the same call on an empty migrated database (organisations only): what the "
          "call costs in Python and round trips whatever the data")
    header = (f"{'case':<32}{'rows':>6}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}"
              f"   p95 < {TARGET_MS:.0f} ms{'empty db median':>17}{'p95':>8}")
    print(header)
    print("-" * len(header))
    floors = {f.case.label: f.total_ms for f in floor}
    for r in results:
        t, e = r.total_ms, floors.get(r.case.label)
        print(f"{r.case.label:<32}{r.rows:>6}{statistics.median(t):>9.2f}"
              f"{percentile(t, 0.95):>9.2f}{percentile(t, 0.99):>9.2f}{max(t):>9.2f}"
              f"   {'yes' if percentile(t, 0.95) < TARGET_MS else 'NO':<11}"
              + (f"{statistics.median(e):>17.2f}{percentile(e, 0.95):>8.2f}" if e else ""))
    print(f"\n--- {backend}: time per SQL statement, ms ---")
    print("in call = in the driver during the timed calls (cursor events: cursor.execute; on "
          "SQLite that runs a statement only up to its first row); alone = the same statement "
          "re-run on its own through the driver, every row fetched (median); n = per call")
    for r in results:
        med_total = statistics.median(r.total_ms)
        sql_sum = [sum(per_call) for per_call in zip(*r.sql_ms.values())]
        med_sql = statistics.median(sql_sum) if sql_sum else 0.0
        alone = sum(statistics.median(v) * r.sql_count.get(k, 1) for k, v in r.alone_ms.items())
        print(f"{r.case.label}: total {med_total:.2f} ms; statements in call {med_sql:.2f} ms, "
              f"alone {alone:.2f} ms; the rest (building statements, SQLAlchemy, ORM rows) "
              f"about {med_total - max(med_sql, alone):.2f} ms")
        print(f"    {'statement':<28}{'n':>4}{'in call':>9}{'p95':>9}{'alone':>9}")
        for label, values in sorted(r.sql_ms.items(),
                                    key=lambda kv: -statistics.median(r.alone_ms.get(kv[0],
                                                                                      kv[1]))):
            n = r.sql_count.get(label, 1)
            lone = r.alone_ms.get(label)
            print(f"    {label:<28}{'x' + str(n):>4}{statistics.median(values):>9.2f}"
                  f"{percentile(values, 0.95):>9.2f}"
                  + (f"{statistics.median(lone):>9.2f}" if lone else ""))


def cases_for(sessions: sessionmaker[Session], viewer: Viewer) -> list[Case]:
    """The inbox views to measure; the name searched is the family name of a person with a task
    in the viewer's groups tab, so the search finds something."""
    with sessions() as session:
        group = inbox_page(session, viewer, InboxQuery(tab="group"), NOW_UTC)
        person_id = next((row.task.person_id for row in group.rows if row.task.person_id), None)
        family, code = session.execute(text(
            "SELECT family_name, personal_code FROM person WHERE id = :id"),
            {"id": person_id or 1}).one()
    return [
        Case("default tab (no tab chosen)", InboxQuery(), tab_chosen=False),
        Case("groups tab", InboxQuery(tab="group")),
        Case("completed tab", InboxQuery(tab="completed")),
        Case(f"groups, name search '{family}'", InboxQuery(tab="group", person=family)),
        Case("groups, personal code search", InboxQuery(tab="group", person=code)),
        Case("groups, due: overdue", InboxQuery(tab="group", due="overdue")),
        Case("groups tab, page 20", InboxQuery(tab="group", page=20)),
    ]


def prepare_empty(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            load_organisations(session)
            session.commit()
    finally:
        engine.dispose()


@contextmanager
def empty_database(backend: str, pg_server: str) -> Iterator[str]:
    """A migrated database with the organisations and nothing else, removed afterwards."""
    with scratch_backend(backend, pg_server, "dicase_bench_inbox_empty") as url:
        prepare_empty(url)
        yield url


def measure_empty(backend: str, pg_server: str, cases: list[Case], repeat: int,
                  warmup: int) -> list[CaseResult]:
    with empty_database(backend, pg_server) as url:
        engine = make_engine(url)
        try:
            sessions = make_session_factory(engine)
            with sessions() as session:
                viewer = viewer_of(session, VIEWER_USERNAME, VIEWER_ROLES, VIEWER_GROUPS,
                                   VIEWER_ORGANISATION)
            return measure(sessions, StatementClock(engine), viewer, cases, repeat, warmup)
        finally:
            engine.dispose()


def run_backend(backend: str, url: str, info: dict[str, Any], repeat: int, warmup: int,
                pg_server: str) -> None:
    print(f"\n##### {backend}: {make_url(url).render_as_string(hide_password=True)}")
    print(f"data set: built {info.get('built')} in {info.get('build_seconds')} s "
          f"(cached; --rebuild to build again), migration head {info.get('head')}")
    engine = make_engine(url)  # the product's engine settings (SQLite pragmas, pool)
    try:
        sessions = make_session_factory(engine)
        with sessions() as session:
            viewer = viewer_of(session, VIEWER_USERNAME, VIEWER_ROLES, VIEWER_GROUPS,
                               VIEWER_ORGANISATION)
        print(f"viewer: {viewer.username}, roles {', '.join(viewer.roles)}, groups "
              f"{', '.join(viewer.groups)}, organisation {viewer.organisation_code} "
              f"({viewer.organisation_kind}); now = {NOW_UTC:%Y-%m-%d %H:%M} UTC "
              "(the data set's reference time)")
        for line in describe_data(sessions, viewer):
            print(line)
        print("process_instance.state holds a short placeholder, not a serialised workflow: the "
              "inbox never reads it")
        cases = cases_for(sessions, viewer)
        clock = StatementClock(engine)
        print(f"load average before: {load_average()}")
        progress(f"{backend}: {warmup} warm-up rounds, then {repeat} rounds of {len(cases)} "
                 "cases")
        started = time.monotonic()
        results = measure(sessions, clock, viewer, cases, repeat, warmup)
        print(f"load average after:  {load_average()} ({time.monotonic() - started:.0f} s)")
        floor_repeat = max(20, repeat // 4)
        progress(f"{backend}: the same on an empty database, {floor_repeat} rounds")
        floor = measure_empty(backend, pg_server, cases, floor_repeat, warmup)
        print(f"empty database: {floor_repeat} rounds, load average after {load_average()}")
        alone_runs = max(10, repeat // 10)
        progress(f"{backend}: each statement alone, {alone_runs} runs")
        measure_alone(engine, results, alone_runs)
        print_results(backend, results, floor)
        print(f"\n--- {backend}: query plans "
              f"({'EXPLAIN QUERY PLAN' if backend == 'sqlite' else 'EXPLAIN (ANALYZE, BUFFERS)'}) "
              "of the page query of each case, and of any other statement taking over 5 ms ---")
        shown: set[str] = set()
        for r in results:
            wanted = ["page rows"] + [
                label for label, values in r.sql_ms.items() if label != "page rows"
                and max(statistics.median(values),
                        statistics.median(r.alone_ms.get(label, [0.0]))) > 5]
            for label in wanted:
                if label not in r.statements:
                    continue
                statement, parameters = r.statements[label]
                ident = statement + repr(parameters)
                if ident in shown:
                    continue
                shown.add(ident)
                print(f"\n[{r.case.label}] {label}:")
                for line in explain(engine, backend, statement, parameters):
                    print("    " + line)
        page_sql = next((r.statements["page rows"] for r in results
                         if r.case.label == "groups tab" and "page rows" in r.statements), None)
        if page_sql:
            print(f"\n{backend}: the page query of the groups tab, as sent:")
            print("    " + " ".join(page_sql[0].split()))
            print(f"    parameters: {page_sql[1]!r}")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Params()
    parser.add_argument("--backends", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--instances", type=int, default=defaults.instances,
                        help=f"stored process instances (default {defaults.instances:,})")
    parser.add_argument("--open-tasks", type=int, default=defaults.open_tasks,
                        help=f"open tasks in all (default {defaults.open_tasks:,})")
    parser.add_argument("--org-tasks", type=int, default=defaults.org_tasks,
                        help="open tasks in the measured organisation's scope "
                             f"(default {defaults.org_tasks:,})")
    parser.add_argument("--persons", type=int, default=defaults.persons,
                        help=f"persons (default {defaults.persons:,})")
    parser.add_argument("--completed-tasks", type=int, default=defaults.completed_tasks,
                        help=f"completed tasks (default {defaults.completed_tasks:,})")
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per case (200)")
    parser.add_argument("--warmup", type=int, default=0,
                        help="untimed rounds first (default repeat/10, at least 5)")
    parser.add_argument("--rebuild", action="store_true",
                        help="generate the data set again even if a cached one matches")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER,
                        help=f"PostgreSQL server; the database {PG_DATABASE} is kept on it")
    args = parser.parse_args(argv)
    # Stopped with kill: unwind through the finally blocks (a half-built data set has no
    # marker, so the next run builds it again).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    params = Params(instances=args.instances, open_tasks=args.open_tasks,
                    org_tasks=args.org_tasks, persons=args.persons,
                    completed_tasks=args.completed_tasks)
    problem = params.check()
    if problem:
        parser.error(problem)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    pg_version = reachable_server_version(args.pg_server) if "postgres" in backends else None
    if "postgres" in backends and pg_version is None:
        backends.remove("postgres")
    warmup = args.warmup or max(5, args.repeat // 10)

    head = migration_head()
    key, described = cache_key(params, head)
    print(f"DI Case inbox benchmark, {date.today().isoformat()} {time.strftime('%H:%M:%S')}, "
          f"code {code_version()}, migration head {head}")
    print(f"python {platform.python_version()}, SQLAlchemy {version('SQLAlchemy')}, "
          f"psycopg {version('psycopg')}, sqlite {__import__('sqlite3').sqlite_version}, "
          f"PostgreSQL {pg_version or '-'}; {os.cpu_count()} CPUs, load average {load_average()}")
    print(f"data set: {params.instances:,} instances, {params.open_tasks:,} open tasks "
          f"({params.org_tasks:,} in {VIEWER_ORGANISATION}'s scope), {params.completed_tasks:,} "
          f"completed tasks, {params.persons:,} persons; seed {params.seed}; key {key}")
    print(f"each case: {warmup} untimed rounds, then {args.repeat} timed calls of "
          "app.inbox.service.inbox_page (tab counts, list count, page, filter lists); "
          f"target p95 < {TARGET_MS:.0f} ms")

    began = time.monotonic()
    for backend in backends:
        build_started = time.monotonic()
        if backend == "sqlite":
            url, info = sqlite_database(params, key, described, args.rebuild)
        else:
            url, info = postgres_database(args.pg_server, params, key, described, args.rebuild)
        if time.monotonic() - build_started > 5:
            progress(f"{backend}: data set ready in {time.monotonic() - build_started:.0f} s")
        run_backend(backend, url, info, args.repeat, warmup, args.pg_server)
    print(f"\n(wall time {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
