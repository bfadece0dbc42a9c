"""The key file the embedded default makes for itself: private, random, and never replaced."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.pseudonyms import (
    PseudonymKeyError,
    configured_key,
    create_key_file,
    load_key,
    pseudonym,
)


def test_a_new_key_file_is_private_and_random(tmp_path: Path) -> None:
    first = create_key_file(tmp_path / "a" / "pseudonym.key")
    second = create_key_file(tmp_path / "b" / "pseudonym.key")
    mode = stat.S_IMODE((tmp_path / "a" / "pseudonym.key").stat().st_mode)
    assert mode == 0o600
    assert first.version == "k1"
    assert first.secret != second.secret
    assert pseudonym(first, "320000-00016") != pseudonym(second, "320000-00016")


def test_an_existing_key_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text("k2:" + "x" * 40 + "\n", encoding="utf-8")
    kept = create_key_file(path)
    assert kept == load_key(str(path), "")
    assert kept.version == "k2"
    assert path.read_text(encoding="utf-8") == "k2:" + "x" * 40 + "\n"


def test_the_demo_key_is_used_only_when_no_key_is_named(tmp_path: Path) -> None:
    demo = create_key_file(tmp_path / "demo.key")
    named = tmp_path / "named.key"
    named.write_text("k3:" + "n" * 40, encoding="utf-8")
    assert configured_key("", "", tmp_path / "demo.key") == demo
    assert configured_key(str(named), "", tmp_path / "demo.key").version == "k3"
    assert configured_key("", "k4:" + "v" * 40, tmp_path / "demo.key").version == "k4"
    with pytest.raises(PseudonymKeyError, match="no pseudonym key"):
        configured_key("", "", tmp_path / "absent.key")
