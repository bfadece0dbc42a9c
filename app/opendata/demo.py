"""Open data demo: the regeneration process is running (waiting for the 5th of next month), so
the statistician's review has its process behind it. Idempotent."""
from __future__ import annotations

from datetime import date

from app.services import Services

from .schedule import start_month


def load_demo(services: Services, today: date) -> None:
    start_month(services, today.strftime("%Y-%m"))
