"""Demo users, persons and cases for the embedded default (``dicase demo-data``). Idempotent.

One account per kind of organisation, so each can be tried: an institution's caseworkers, a
municipality's social worker, an orphan court, a planning region's expert, the ministry and its
statistician (who reviews the open data), the adoption register unit, a process owner, an auditor
and an administrator.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from stdnum.lv import pvn

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import Person, ProcessInstance, User
from app.domain.calendar import add_months, today_in_latvia
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
    DemoUser("vaditajs", "Kristaps Zariņš (VSAC «Rīga», vadītājs)", "demo-vaditajs",
             ("caseworker", "supervisor"), ("institution", "institution_supervisor"), "VSAC-RIGA"),
    DemoUser("mentors", "Agnese Siliņa (VSAC «Rīga», mentore)", "demo-mentors", ("caseworker",),
             ("institution", "vsac_mentor"), "VSAC-RIGA"),
    DemoUser("soc", "Dace Liepiņa (Rīgas sociālais dienests)", "demo-soc", ("caseworker",),
             ("social_service",), "RIGA"),
    DemoUser("socvad", "Guntis Vanags (Rīgas sociālais dienests, vadītājs)", "demo-socvad",
             ("caseworker", "supervisor"), ("social_service", "social_service_supervisor"),
             "RIGA"),
    DemoUser("jelgava", "Sandra Lāce (Jelgavas sociālais dienests)", "demo-jelgava",
             ("caseworker",), ("social_service",), "JELGAVA"),
    DemoUser("baritiesa", "Jānis Ozols (Rīgas bāriņtiesa)", "demo-baritiesa", ("caseworker",),
             ("orphan_court",), "RIGA-BT"),
    DemoUser("regions", "Ilze Krūmiņa (Rīgas plānošanas reģions)", "demo-regions",
             ("interviewer",), ("planning_region_expert",), "PR-RIGA"),
    DemoUser("regvad", "Edgars Kļaviņš (Rīgas plānošanas reģions, vadītājs)", "demo-regvad",
             ("interviewer", "supervisor"),
             ("planning_region_expert", "planning_region_supervisor"), "PR-RIGA"),
    DemoUser("ministrija", "Laura Bērziņa (Labklājības ministrija)", "demo-ministrija",
             ("caseworker", "supervisor"), ("ministry",), "LM"),
    DemoUser("statistika", "Līga Zvaigzne (Labklājības ministrija, statistiķe)", "demo-statistika",
             ("caseworker",), ("statistics",), "LM"),
    DemoUser("adopcija", "Marta Eglīte (Adopcijas reģistrs)", "demo-adopcija", ("caseworker",),
             ("adoption_register",), "LM-ADOPT"),
    DemoUser("procesi", "Pēteris Liepa (procesu īpašnieks)", "demo-procesi", ("process_owner",),
             (), "LM"),
    DemoUser("auditors", "Anna Vītola (auditore)", "demo-auditors", ("auditor",), (), "LM-AUDIT"),
    DemoUser("admin", "Sistēmas administrators", "demo-admin", ("admin",), (), "LM"),
)

P9_KEY = "p09_out_of_family_care"


def valid_personal_code(seed: int) -> str:
    """A personal code in the new format (``32…``) with a correct check digit, for demo and
    test persons; ``seed`` picks which one, so the same seed gives the same code."""
    body = f"32{seed % 10**8:08d}"
    for last in "0123456789":
        if pvn.is_valid(body + last):
            return f"{body[:6]}-{body[6:]}{last}"
    return valid_personal_code(seed + 1)  # no check digit fits this body: take the next one


def load_demo_data(services: Services, today: date | None = None) -> list[DemoUser]:
    today = today or today_in_latvia()
    with transaction(services.sessions) as session:
        existing = set(session.scalars(select(User.username)))
        for demo in DEMO_USERS:
            if demo.username not in existing:
                # Published in the README, so the password policy cannot protect them anyway.
                create_user(session, demo.username, demo.display_name, demo.password, demo.roles,
                            demo.groups, demo.organisation_code, enforce_policy=False)
        have_cases = session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.process_key == P9_KEY).limit(1)) is not None
    if not have_cases:
        _start_demo_cases(services, today)
    from app.areas import area_modules

    for area_demo in area_modules("demo"):
        area_demo.load_demo(services, today)
    return list(DEMO_USERS)


# Children placed in the institution at different times: some reports due soon, one overdue.
_CHILDREN = (
    ("Līga", "Bērziņa", "F", -30, -1, "P9-2026-0001"),
    ("Roberts", "Kalniņš", "M", -96, -5, "P9-2026-0002"),
    ("Elza", "Ozoliņa", "F", -14, -4, "P9-2026-0003"),
)


def _start_demo_cases(services: Services, today: date) -> None:
    for number, (given, family, sex, born, placed, case_number) in enumerate(_CHILDREN, start=1):
        birth, placement = add_months(today, born), add_months(today, placed)
        with transaction(services.sessions) as session:
            registrar = viewer_of(session, "demo-data", ["caseworker"], ["institution"],
                                  "VSAC-RIGA")
            child = session.scalars(select(Person).where(
                Person.personal_code == valid_personal_code(number))).first()
            if child is None:
                child = register_person(
                    session, registrar, given_name=given, family_name=family,
                    personal_code=valid_personal_code(number), birth_date=birth, sex=sex,
                    municipality_code="RIGA", institution_code="VSAC-RIGA",
                    orphan_court_code="RIGA-BT", address="Rīga")
        with services.sessions() as session:
            start_process_for(services.engine, session, registrar, child.id, P9_KEY, {
                "case_number": case_number, "child_birth_date": birth.isoformat(),
                "placement_date": placement.isoformat(), "orphan_court_code": "RIGA",
            }, business_key=case_number)
