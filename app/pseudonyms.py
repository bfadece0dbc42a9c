"""Pseudonyms for data that leaves a unit for statistics (P11's monthly export, the open data).

A pseudonym is HMAC-SHA-256 of the person's normalised personal code under a secret key, written
as 32 hexadecimal characters with the key's version in front (``k1-…``). The same person gets the
same pseudonym in every export made with the same key, so statistics can count persons and
durations without anyone who holds the export learning who they are; without the key the code
cannot be recovered or tested by guessing (Latvian personal codes are few enough to enumerate,
which is why a plain hash would not do).

The key is read from the file named by ``DICASE_PSEUDONYM_KEY_FILE`` or from
``DICASE_PSEUDONYM_KEY`` (app/config.py); it is never stored in the database.

Rotation: write a new key with a new version (the first line of the file or the variable is
``<version>:<key>``, e.g. ``k2:…``); exports made from then on carry ``k2-`` pseudonyms, which do
not link to ``k1-`` ones. Rotate when the key may have leaked, or yearly, and tell the statistics
side that series break at the change.
"""
from __future__ import annotations

import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

MIN_KEY_LENGTH = 32
_VERSION = re.compile(r"[a-z][a-z0-9]{0,7}")


class PseudonymKeyError(RuntimeError):
    """No usable key is configured; nothing may be exported."""


@dataclass(frozen=True)
class PseudonymKey:
    version: str
    secret: bytes = b""

    def __repr__(self) -> str:  # the secret never reaches a log
        return f"PseudonymKey(version={self.version!r})"


def parse_key(text: str) -> PseudonymKey:
    """``<version>:<secret>`` (or just the secret: version ``k1``); the secret at least
    MIN_KEY_LENGTH characters."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    version, _, secret = line.partition(":") if ":" in line else ("k1", "", line)
    if not _VERSION.fullmatch(version):
        raise PseudonymKeyError("the pseudonym key's version must be a short lower-case word")
    if len(secret) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the pseudonym key must be at least {MIN_KEY_LENGTH} characters")
    return PseudonymKey(version, secret.encode())


def load_key(key_file: str, key_value: str) -> PseudonymKey:
    """The key from the file if one is named, else from the variable's value."""
    if key_file:
        try:
            return parse_key(Path(key_file).read_text(encoding="utf-8"))
        except OSError as err:
            raise PseudonymKeyError(
                f"the pseudonym key file cannot be read: {err.strerror}") from None
    if key_value:
        return parse_key(key_value)
    raise PseudonymKeyError("no pseudonym key: set DICASE_PSEUDONYM_KEY_FILE or "
                            "DICASE_PSEUDONYM_KEY")


def configured_key(key_file: str, key_value: str, demo_key_file: Path) -> PseudonymKey:
    """The key the settings name; with none named, the embedded default's own key file if
    ``dicase demo-data`` has made it."""
    if not key_file and not key_value and demo_key_file.exists():
        return load_key(str(demo_key_file), "")
    return load_key(key_file, key_value)


def normalise_code(personal_code: str) -> str:
    """Digits only, so ``320000-00016`` and ``32000000016`` are one person."""
    digits = "".join(ch for ch in personal_code if ch.isdigit())
    if len(digits) != 11:
        raise ValueError("a personal code has 11 digits")
    return digits


def pseudonym(key: PseudonymKey, personal_code: str) -> str:
    # The one-shot digest: a national extract hashes a few million codes.
    digest = hmac.digest(key.secret, normalise_code(personal_code).encode(), "sha256")
    return f"{key.version}-{digest.hex()[:32]}"


def create_key_file(path: Path, version: str = "k1") -> PseudonymKey:
    """A new random key written to ``path`` readable by its owner only; an existing file is
    kept (replacing it would break every series: see the rotation note above)."""
    if path.exists():
        return parse_key(path.read_text(encoding="utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"{version}:{secrets.token_urlsafe(48)}\n")
    return parse_key(path.read_text(encoding="utf-8"))
