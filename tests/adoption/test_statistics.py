"""Pseudonyms (app/pseudonyms.py) and the monthly pseudonymised adoption export."""
from __future__ import annotations

import csv
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.adoption import service
from app.adoption.statistics import COLUMNS, export_month
from app.db import transaction
from app.db.models import Adopter, AdoptionMatch, AdoptionProposal
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.pseudonyms import PseudonymKeyError, load_key, parse_key, pseudonym
from app.services import Services
from tests.adoption.helpers import make_adopter, make_child, unit

SECRET = "k1:" + "s" * 40


def test_the_same_person_gets_the_same_pseudonym_in_either_code_format() -> None:
    key = parse_key(SECRET)
    assert pseudonym(key, "320000-00016") == pseudonym(key, "32000000016")
    assert pseudonym(key, "320000-00016") != pseudonym(key, "320000-00024")
    assert pseudonym(key, "320000-00016").startswith("k1-")


def test_a_rotated_key_gives_unlinkable_pseudonyms() -> None:
    old, new = parse_key(SECRET), parse_key("k2:" + "t" * 40)
    assert pseudonym(old, "320000-00016")[3:] != pseudonym(new, "320000-00016")[3:]
    assert pseudonym(new, "320000-00016").startswith("k2-")
    assert "s" * 10 not in repr(old)


def test_a_key_comes_from_a_file_first_and_must_be_long(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("k3:" + "u" * 40 + "\n", encoding="utf-8")
    assert load_key(str(path), SECRET).version == "k3"
    assert load_key("", SECRET).version == "k1"
    for wrong in ("k1:short", "", "Bad Version:" + "x" * 40):
        with pytest.raises(PseudonymKeyError):
            load_key("", wrong)
    with pytest.raises(PseudonymKeyError):
        load_key(str(tmp_path / "missing"), "")


def test_the_monthly_export_has_pseudonyms_counts_and_durations_only(
        services: Services, tmp_path: Path) -> None:
    today = today_in_latvia()
    child = make_child(services, 65, born=today - timedelta(days=5 * 365 + 30), given="Ieva")
    adopter = make_adopter(services, "Anna")
    with transaction(services.sessions) as session:
        card = service.child(session, unit(session), child)
        assert card is not None
        row = AdoptionMatch(child_ids=[child], started_on=today - timedelta(days=40),
                            started_by="marta", adopter_id=adopter,
                            **service.scope_columns(card.person_id))
        session.add(row)
        session.flush()
        session.add(AdoptionProposal(match_id=row.id, adopter_id=adopter, number=1,
                                     proposed_on=today - timedelta(days=30),
                                     answer_due=today, answer="ACCEPTED",
                                     **service.scope_columns(card.person_id)))
        session.flush()
        service.archive_adoption(session, row, today)
        chosen = session.get(Adopter, adopter)
        assert chosen is not None
        adopter_code = chosen.applicants[0]["personal_code"]
        free_on = card.free_for_adoption_on
    out = tmp_path / "statistics"
    settings = replace(services.settings, pseudonym_key=SECRET, statistics_dir=out)
    period = f"{today.year:04d}-{today.month:02d}"
    done = export_month(replace(services, settings=settings), period)
    assert done.adoptions == 1 and done.path == out / f"adoption-{period}.csv"
    text = done.path.read_text(encoding="utf-8")
    [header, line] = list(csv.reader(text.splitlines()))
    assert tuple(header) == COLUMNS
    key = parse_key(SECRET)
    assert line[1] == pseudonym(key, valid_personal_code(65))
    assert line[2] == pseudonym(key, adopter_code)
    assert line[7] == str((today - free_on).days) and line[8] == "40" and line[9] == "1"
    for identifying in ("Ieva", "Anna", "Kalna", valid_personal_code(65), adopter_code, "Rīga"):
        assert identifying not in text


def test_without_a_key_nothing_is_exported(services: Services, tmp_path: Path) -> None:
    out = tmp_path / "statistics"
    settings = replace(services.settings, pseudonym_key="", pseudonym_key_file="",
                       statistics_dir=out)
    with pytest.raises(PseudonymKeyError):
        export_month(replace(services, settings=settings), "2026-10")
    assert not out.exists()
