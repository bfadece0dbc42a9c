"""P7's monthly cycle: one compensation report per municipality that has eligible persons."""
from __future__ import annotations

from app.services import Services

from .service import start_monthly_reports


def start_month(services: Services, period: str) -> list[int]:
    return start_monthly_reports(services.engine, services.sessions, period)
