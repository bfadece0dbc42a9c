"""The organisations users work for: loaded from the territory file and the national bodies.

``data/territories.csv`` holds the planning regions and the 43 municipalities with their ATVK
codes (data/README.md says which values come from the official classifier). Loading is an
upsert, so replacing the file with the official classifier and loading again updates names and
codes in place and never deletes an organisation that records point to.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.db.models import Organisation

from .scope import (
    ADOPTION_REGISTER,
    AUDITOR,
    MINISTRY,
    MUNICIPALITY,
    ORPHAN_COURT,
    PLANNING_REGION,
    SERVICE_PROVIDER,
    VSAC,
)

TERRITORIES_FILE = PROJECT_ROOT / "data" / "territories.csv"
ORPHAN_COURT_SUFFIX = "-BT"


@dataclass(frozen=True)
class NationalBody:
    code: str
    kind: str
    name_lv: str
    name_en: str
    region_code: str | None = None


NATIONAL_BODIES = (
    NationalBody("LM", MINISTRY, "Labklājības ministrija", "Ministry of Welfare"),
    NationalBody("LM-ADOPT", ADOPTION_REGISTER, "Adopcijas reģistra nodaļa",
                 "Adoption Register Unit"),
    NationalBody("LM-AUDIT", AUDITOR, "Iekšējā audita departaments", "Internal Audit Department"),
    # The five state social care centres, one per planning region.
    NationalBody("VSAC-RIGA", VSAC, "VSAC «Rīga»", "State Social Care Centre Riga", "PR-RIGA"),
    NationalBody("VSAC-VIDZEME", VSAC, "VSAC «Vidzeme»", "State Social Care Centre Vidzeme",
                 "PR-VIDZEME"),
    NationalBody("VSAC-KURZEME", VSAC, "VSAC «Kurzeme»", "State Social Care Centre Kurzeme",
                 "PR-KURZEME"),
    NationalBody("VSAC-ZEMGALE", VSAC, "VSAC «Zemgale»", "State Social Care Centre Zemgale",
                 "PR-ZEMGALE"),
    NationalBody("VSAC-LATGALE", VSAC, "VSAC «Latgale»", "State Social Care Centre Latgale",
                 "PR-LATGALE"),
    NationalBody("SP-ATBALSTS", SERVICE_PROVIDER, "Biedrība «Atbalsta punkts»",
                 "Support Point association", "PR-RIGA"),
)


def orphan_court_of(municipality_code: str) -> str:
    return municipality_code + ORPHAN_COURT_SUFFIX


def read_territories(path: Path = TERRITORIES_FILE) -> list[Organisation]:
    """Organisations described by the territory file: regions, municipalities, orphan courts."""
    found: list[Organisation] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            from_classifier = row["atvk_from_classifier"].strip().lower() == "yes"
            atvk = row["atvk_code"].strip() or None
            if row["kind"] == PLANNING_REGION:
                found.append(Organisation(code=row["code"], kind=PLANNING_REGION,
                                          name_lv=row["name_lv"], name_en=row["name_en"],
                                          region_code=row["code"], municipality_code=None,
                                          atvk_code=atvk, atvk_from_classifier=from_classifier,
                                          active=True))
                continue
            code, region = row["code"], row["planning_region"]
            found.append(Organisation(code=code, kind=MUNICIPALITY, name_lv=row["name_lv"],
                                      name_en=row["name_en"], municipality_code=code,
                                      region_code=region, atvk_code=atvk,
                                      atvk_from_classifier=from_classifier, active=True))
            found.append(Organisation(code=orphan_court_of(code), kind=ORPHAN_COURT,
                                      name_lv=f"{row['genitive_lv']} bāriņtiesa",
                                      name_en=f"Orphan court of {row['name_en']}",
                                      municipality_code=code, region_code=region, atvk_code=atvk,
                                      atvk_from_classifier=from_classifier, active=True))
    return found


def load_organisations(session: Session, path: Path = TERRITORIES_FILE) -> int:
    """Insert or update every organisation; returns how many were written. The caller commits."""
    wanted = read_territories(path) + [
        Organisation(code=body.code, kind=body.kind, name_lv=body.name_lv, name_en=body.name_en,
                     region_code=body.region_code, municipality_code=None, atvk_code=None,
                     atvk_from_classifier=False, active=True)
        for body in NATIONAL_BODIES]
    existing = {org.code: org for org in session.scalars(select(Organisation))}
    for org in wanted:
        current = existing.get(org.code)
        if current is None:
            session.add(org)
            continue
        for column in ("kind", "name_lv", "name_en", "municipality_code", "region_code",
                       "atvk_code", "atvk_from_classifier"):
            setattr(current, column, getattr(org, column))
    session.flush()
    return len(wanted)


def organisation_names(session: Session, locale: str) -> dict[str, str]:
    column = Organisation.name_en if locale == "en" else Organisation.name_lv
    return dict(session.execute(select(Organisation.code, column)).all())
