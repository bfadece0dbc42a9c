"""P3's monthly cycle: the submission of a month's service records opens for every municipality
with registered community-service providers once the month is over (``dicase start-month``)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.db.models import ProcessInstance
from app.engine.runtime import Actor
from app.services import Services

from .providers import registered_providers
from .service import P3_KEY, cycle_key, open_cycle


def start_month(services: Services, period: str) -> list[int]:
    """Open ``period``'s (``YYYY-MM``) submission for each municipality; returns the instances
    started now (a municipality whose cycle already runs is left alone)."""
    month = date.fromisoformat(f"{period}-01")
    started = []
    for municipality in sorted({p.municipality_code for p in registered_providers().values()}):
        with services.sessions() as session:
            if session.scalar(select(ProcessInstance.id).where(
                    ProcessInstance.process_key == P3_KEY,
                    ProcessInstance.business_key == cycle_key(municipality, month))) is not None:
                continue
            started.append(open_cycle(services.engine, session, municipality, month,
                                      Actor.system()))
    return started
