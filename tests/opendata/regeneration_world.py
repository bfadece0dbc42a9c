"""A small register extract and the regeneration process around it, for the process, web and
browser tests: the extract is written in the registers' file format, loaded by the product's own
extract, last month's D5 published through the releases service, the process started and its
timer and jobs run by the product's workers. Nothing is written into the release table by hand.

Rīga's registered unemployed grow from 12 (December 2025) to 18 (January 2026): +50 %, over the
review threshold. Jelgava's 8 stay. Valka has one: a confidential cell
(Valmiera's ten beside it in Vidzeme)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db.models import HumanTask, OpenDataRelease, Timer
from app.domain.calendar import RIGA
from app.opendata import releases, service
from app.opendata.extract import extract_directory
from app.pseudonyms import parse_key
from app.services import Services
from tests.opendata.extract_files import dated_code, write_extract
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

KEY = "k1:" + "opendata-regeneration-test-key-" * 2
RUN_AT = datetime(2026, 2, 5, 6, 0, tzinfo=RIGA)  # the month's run under test
REASON = "D5 Rīgā +50 %: jāpārbauda NVA izraksts"


@dataclass(frozen=True)
class Person:
    code: str
    sex: str
    born: date
    municipality: str


def _people() -> list[tuple[Person, date | None]]:
    """Each person with the day he registered as unemployed (None: never)."""
    found: list[tuple[Person, date | None]] = []
    serial = 100

    def add(municipality: str, born: date, sex: str, registered: date | None) -> None:
        nonlocal serial
        while True:
            serial += 1
            try:
                code = dated_code(born.day, born.month, born.year, serial)
            except ValueError:
                continue
            break
        found.append((Person(code, sex, born, municipality), registered))

    # Rīga since spring 2025: three in each age band of D5 (15–24, 25–39, 40–54, 55+).
    for year in (2001, 2002, 2003, 1988, 1990, 1992, 1972, 1974, 1976, 1962, 1964, 1966):
        add("RIGA", date(year, 3, 10), "F" if year % 2 else "M", date(2025, 3, 1))
    # Registered in January 2026: three aged 25–39, three aged 55 and over.
    for year in (1986, 1987, 1989, 1960, 1961, 1963):
        add("RIGA", date(year, 6, 1), "M", date(2026, 1, 12))
    for k in range(8):
        add("JELGAVA", date(1975 + k, 9, 20), "F", date(2025, 5, 5))
    add("VALKA", date(1975, 1, 15), "M", date(2025, 7, 1))
    for k in range(10):  # Valka's neighbours in Vidzeme, so its one person stays hidden there
        add("VALMIERA", date(1972 + k, 4, 4), "F", date(2025, 6, 1))
    for k in range(5):  # residents never unemployed
        add("RIGA", date(1950 + k, 2, 2), "F", None)
    return found


def write_registers(directory: Path) -> None:
    people = _people()
    write_extract(directory, {
        "persons": [(p.code, "Vārds", "Uzvārds", p.sex, p.born.isoformat(), p.municipality,
                     "Iela 1", "2020-01-01") for p, _ in people],
        "unemployed": [(p.code, registered.isoformat(), "") for p, registered in people
                       if registered is not None],
    })


def publish_last_month(services: Services) -> int:
    """Load the extract and publish D5 for December 2025 as last month's run did."""
    extract_directory(services.sessions, parse_key(KEY), services.settings.opendata_extracts_dir,
                      actor="test")
    release_id = releases.prepare(services.sessions, "D5", "2025-12", actor="test")
    releases.publish(services.sessions, [release_id], actor="statistika")
    return release_id


def settle(services: Services) -> None:
    """What the workers do: fire due timers, run due jobs, until nothing is left to do."""
    while fire_due_timers(services, "w1") or run_due_jobs(services, "w1"):
        pass


def start_and_run(services: Services, first_run_at: datetime = RUN_AT) -> int:
    [iid] = service.ensure_running(services.engine, services.sessions, first_run_at=first_run_at)
    settle(services)
    return iid


def review_task(services: Services, iid: int) -> HumanTask | None:
    with services.sessions() as session:
        return service.open_review_task(session, iid)


def drafts(services: Services, iid: int) -> list[OpenDataRelease]:
    with services.sessions() as session:
        return service.drafts_of(session, iid)


def statuses(services: Services, iid: int) -> dict[str, Any]:
    with services.sessions() as session:
        return {f"{r.dataset} {r.period}": r.status for r in session.scalars(
            select(OpenDataRelease).where(OpenDataRelease.instance_id == iid))}


def waiting_timer(services: Services, iid: int) -> datetime | None:
    with services.sessions() as session:
        due = session.scalar(select(Timer.due_at).where(Timer.instance_id == iid,
                                                        Timer.status == "waiting"))
    return due.astimezone(UTC) if due is not None else None
