"""Demo users and demo cases for the embedded default (``dicase demo-data``). Idempotent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import ProcessInstance, User
from app.domain.calendar import add_months
from app.engine.runtime import Actor
from app.services import Services


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    password: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    organisation_code: str


DEMO_USERS = (
    DemoUser("iestade", "Inese Kalniņa (VSAC «Rīga»)", "demo-iestade", ("caseworker",),
             ("institution",), "VSAC-RIGA"),
    DemoUser("baritiesa", "Jānis Ozols (Rīgas bāriņtiesa)", "demo-baritiesa", ("caseworker",),
             ("orphan_court",), "RIGA"),
    DemoUser("ministrija", "Laura Bērziņa (Labklājības ministrija)", "demo-ministrija",
             ("caseworker", "supervisor"), ("ministry",), "LM"),
    DemoUser("procesi", "Pēteris Liepa (procesu īpašnieks)", "demo-procesi", ("process_owner",),
             (), "LM"),
    DemoUser("auditors", "Anna Vītola (auditore)", "demo-auditors", ("auditor",), (), "LM-AUDIT"),
    DemoUser("admin", "Sistēmas administrators", "demo-admin", ("admin",), (), "LM"),
)

P9_KEY = "p09_out_of_family_care"


def load_demo_data(services: Services, today: date | None = None) -> list[DemoUser]:
    today = today or date.today()
    with transaction(services.sessions) as session:
        existing = set(session.scalars(select(User.username)))
        for demo in DEMO_USERS:
            if demo.username not in existing:
                create_user(session, demo.username, demo.display_name, demo.password, demo.roles,
                            demo.groups, demo.organisation_code)
        have_cases = session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.process_key == P9_KEY).limit(1)) is not None
    if not have_cases:
        _start_demo_cases(services, today)
    return list(DEMO_USERS)


def _start_demo_cases(services: Services, today: date) -> None:
    # Children placed at different times: some reports due soon, one already overdue.
    cases = [
        ("P9-2026-0001", add_months(today, -30), add_months(today, -1)),
        ("P9-2026-0002", add_months(today, -96), add_months(today, -5)),
        ("P9-2026-0003", add_months(today, -14), add_months(today, -4)),
    ]
    actor = Actor.system("demo-data")
    for case_number, birth, placed in cases:
        services.engine.start(P9_KEY, {
            "case_number": case_number, "child_birth_date": birth.isoformat(),
            "placement_date": placed.isoformat(), "orphan_court_code": "RIGA",
        }, business_key=case_number, actor=actor)
