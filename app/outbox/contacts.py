"""Who receives notifications, and how: ``data/notification_contacts.csv``.

One row per organisation (its code in ``organisation``, e.g. ``RIGA``, ``RIGA-BT``,
``VSAC-RIGA``, ``LM``) or national role without an organisation row (``police``,
``child_rights_inspectorate``): the name, the organisation's e-mail address, whether its users
see messages in the app, and for an orphan court its code in NPAIS. Organisational addresses
only: a person's address never belongs here.
"""
from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from pathlib import Path

ORPHAN_COURT = "orphan_court"
SOCIAL_SERVICE = "social_service"
MINISTRY = "ministry"
INSTITUTION = "institution"
POLICE = "police"
CHILD_RIGHTS_INSPECTORATE = "child_rights_inspectorate"
ROLES = (ORPHAN_COURT, SOCIAL_SERVICE, MINISTRY, INSTITUTION, POLICE, CHILD_RIGHTS_INSPECTORATE)
# National bodies: one contact each, found by the role itself.
NATIONAL_ROLES = (POLICE, CHILD_RIGHTS_INSPECTORATE)
MINISTRY_CODE = "LM"

NPAIS = "npais"
EMAIL = "email"
IN_APP = "in_app"
CHANNELS = (NPAIS, EMAIL, IN_APP)

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
_COLUMNS = ("code", "name_lv", "email", "in_app", "npais_code")


class ContactsError(ValueError):
    """The contacts file cannot be read, or a row of it is wrong; the message says where."""


@dataclass(frozen=True)
class Contact:
    code: str
    name: str
    email: str
    in_app: bool
    npais_code: str

    def channels(self) -> list[tuple[str, str]]:
        """(channel, address) pairs this contact is reached by: an orphan court with an NPAIS
        code through NPAIS only; the others by e-mail and, if its users work in DI Case, in-app."""
        if self.npais_code:
            return [(NPAIS, self.npais_code)]
        found = []
        if self.email:
            found.append((EMAIL, self.email))
        if self.in_app:
            found.append((IN_APP, self.code))
        return found


def read_contacts(path: Path) -> dict[str, Contact]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != _COLUMNS:
                raise ContactsError(f"{path}: the columns must be {', '.join(_COLUMNS)}")
            contacts: dict[str, Contact] = {}
            for line, row in enumerate(reader, start=2):
                contact = _contact(path, line, row)
                if contact.code in contacts:
                    raise ContactsError(f"{path}:{line}: {contact.code} is listed twice")
                contacts[contact.code] = contact
            return contacts
    except OSError as err:
        raise ContactsError(f"the contacts file {path} cannot be read: {err.strerror}") from None


def _contact(path: Path, line: int, row: dict[str, str]) -> Contact:
    code = (row.get("code") or "").strip()
    email = (row.get("email") or "").strip()
    in_app = (row.get("in_app") or "").strip().lower()
    if not code:
        raise ContactsError(f"{path}:{line}: the code is empty")
    if email and not _EMAIL.fullmatch(email):
        raise ContactsError(f"{path}:{line}: '{email}' is not an e-mail address")
    if in_app not in ("yes", "no"):
        raise ContactsError(f"{path}:{line}: in_app must be yes or no")
    contact = Contact(code, (row.get("name_lv") or "").strip() or code, email, in_app == "yes",
                      (row.get("npais_code") or "").strip())
    if not contact.channels():
        raise ContactsError(f"{path}:{line}: {code} has no e-mail, in-app or NPAIS code")
    return contact


_cache: dict[Path, tuple[tuple[float, int], dict[str, Contact]]] = {}
_lock = threading.Lock()


def contacts(path: Path) -> dict[str, Contact]:
    """The file's contacts, read again when the file changes (an operator may edit it)."""
    try:
        stat = path.stat()
        changed = (stat.st_mtime, stat.st_size)
    except OSError as err:
        raise ContactsError(f"the contacts file {path} cannot be read: {err.strerror}") from None
    with _lock:
        found = _cache.get(path)
        if found is not None and found[0] == changed:
            return found[1]
    loaded = read_contacts(path)
    with _lock:
        _cache[path] = (changed, loaded)
    return loaded
