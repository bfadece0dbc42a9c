"""Reading the adoption register's forms: what was typed, checked field by field.

Each ``read_…`` takes the posted form and gives back the values ready for the service and, per
field, the messages to show beside it (Latvian through the catalogue). Nothing is written here:
a form with any message is shown again with what was typed, and the service is not called."""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from app.cases import personal_codes
from app.domain import adoption as rules
from app.texts import N_

HEALTH_LABELS = {
    "disability": N_("Disability"),
    "special_care": N_("Special care needed (VDEĀVK opinion)"),
    "chronic_illness": N_("Chronic illness"),
    "developmental_delay": N_("Developmental delay"),
}
SEX_PREFERENCE_LABELS = {rules.ANY_SEX: N_("Either"), "F": N_("A girl"), "M": N_("A boy")}
TEXT_MAX = 2000
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_GROUP = re.compile(r"^[\w.\-/ ]{1,40}$")


@dataclass
class Read:
    """The values read so far and the messages per field."""

    form: Mapping[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False, limit: int = TEXT_MAX) -> str:
        value = str(self.form.get(name, "")).strip()
        if required and not value:
            self.fail(name, _("This field is required."))
        elif len(value) > limit:
            self.fail(name, _("Too long: at most %(limit)s characters.", limit=limit))
        self.values[name] = value
        return value

    def day(self, name: str, *, required: bool = True, today: date | None = None) -> date | None:
        typed = str(self.form.get(name, "")).strip()
        if not typed:
            if required:
                self.fail(name, _("This field is required."))
            self.values[name] = None
            return None
        found = parse_day(typed)
        if found is None:
            self.fail(name, _("Write the date as DD.MM.YYYY."))
        elif today is not None and found > today:
            self.fail(name, _("The date cannot be later than today (%(today)s).",
                              today=today.strftime("%d.%m.%Y")))
        # what was typed stays on the form when it is not a date
        self.values[name] = found if found is not None else typed
        return found

    def number(self, name: str, low: int, high: int) -> int | None:
        typed = str(self.form.get(name, "")).strip()
        try:
            found = int(typed)
        except ValueError:
            found = None
        if found is None or not low <= found <= high:
            self.fail(name, _("Write a whole number from %(low)s to %(high)s.", low=low,
                              high=high))
            self.values[name] = typed
            return None
        self.values[name] = found
        return found

    def choice(self, name: str, allowed: Collection[str], *, required: bool = True) -> str:
        value = str(self.form.get(name, "")).strip()
        if not value and not required:
            self.values[name] = None
            return ""
        if value not in allowed:
            self.fail(name, _("Choose from the list."))
        self.values[name] = value or None
        return value

    def choices(self, name: str, allowed: Collection[str]) -> list[str]:
        picked = [str(v) for v in getattr(self.form, "getlist", lambda _n: [])(name)]
        if any(v not in allowed for v in picked):
            self.fail(name, _("Choose from the list."))
        self.values[name] = sorted(set(picked) & set(allowed))
        return list(self.values[name])

    def flag(self, name: str) -> bool:
        self.values[name] = str(self.form.get(name, "")) in ("1", "true", "on", "yes")
        return bool(self.values[name])

    def personal_code(self, name: str, *, required: bool = True) -> str:
        typed = str(self.form.get(name, "")).strip()
        self.values[name] = typed
        if not typed:
            if required:
                self.fail(name, _("This field is required."))
            return ""
        try:
            return personal_codes.normalise(typed)
        except personal_codes.InvalidPersonalCode:
            self.fail(name, _("This is not a valid Latvian personal code."))
            return ""


def parse_day(text: str) -> date | None:
    """DD.MM.YYYY as the pages show dates; YYYY-MM-DD too (what a date control sends)."""
    try:
        if _ISO.match(text):
            return date.fromisoformat(text)
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None


def shown(value: Any) -> str:
    """A value as the form shows it: dates DD.MM.YYYY, what was typed as typed."""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


# --- the child card -----------------------------------------------------------------------

def read_card(form: Mapping[str, Any], *, today: date, born: date | None, courts: Collection[str],
              carers: Collection[str], with_parents: bool) -> Read:
    """The child card's own fields (those the specialist adds or corrects)."""
    read = Read(form)
    free_on = read.day("free_for_adoption_on", today=today)
    if free_on is not None and born is not None and free_on < born:
        read.fail("free_for_adoption_on", _("The child cannot be free for adoption before "
                                            "the birth date (%(born)s).", born=shown(born)))
    group = read.text("sibling_group", limit=40)
    if group and not _GROUP.match(group):
        read.fail("sibling_group", _("Use letters, digits, spaces and - . / only."))
    if read.flag("siblings_together") and not group:
        read.fail("sibling_group", _("Siblings to be adopted together need the same sibling "
                                     "group code on each card."))
    read.choices("health_conditions", rules.HEALTH_CONDITIONS)
    read.text("health_notes")
    read.text("special_needs")
    read.choice("deciding_court_code", courts, required=False)
    read.choice("carer_code", carers, required=False)
    read.text("carer_name", limit=200)
    if with_parents:
        read.text("parents_info")
    return read


def read_new_person(form: Mapping[str, Any], *, today: date,
                    municipalities: Collection[str]) -> Read:
    """A child not yet in DI Case: who the child is."""
    read = Read(form)
    read.text("given_name", required=True, limit=100)
    read.text("family_name", required=True, limit=100)
    code = read.personal_code("personal_code", required=False)
    read.values["code"] = code or None
    born = read.day("birth_date", today=today)
    from_code = personal_codes.birth_date(code) if code else None
    if born and from_code and born != from_code:
        read.fail("birth_date", _("The birth date does not match the personal code "
                                  "(%(day)s).", day=shown(from_code)))
    read.choice("sex", rules.SEXES)
    read.choice("municipality_code", municipalities, required=False)
    return read


# --- the adopter --------------------------------------------------------------------------

def read_applicants(form: Mapping[str, Any]) -> Read:
    read = Read(form)
    kind = read.choice("kind", ("single", "couple"))
    abroad = str(form.get("abroad", "")) in ("1", "true", "on", "yes")
    applicants = []
    for number in (1, 2) if kind == "couple" else (1,):
        given = read.text(f"a{number}_given_name", required=True, limit=100)
        family = read.text(f"a{number}_family_name", required=True, limit=100)
        # an adopter living abroad may have no Latvian personal code
        code = read.personal_code(f"a{number}_personal_code", required=not abroad)
        applicants.append({"given_name": given, "family_name": family, "personal_code": code})
    read.values["applicants"] = applicants
    return read


def read_suitability(form: Mapping[str, Any], *, today: date, courts: Collection[str]) -> Read:
    """The orphan court's decision and the registration date, which orders the queue."""
    read = Read(form)
    read.choice("suitability_court_code", courts)
    decided = read.day("suitability_decision_on", today=today)
    until = read.day("suitability_until")
    if decided and until and until < decided:
        read.fail("suitability_until", _("The decision cannot be valid until a day before it "
                                         "was taken."))
    registered = read.day("registered_on", today=today)
    if decided and registered and registered < decided:
        read.fail("registered_on", _("An application is registered on the orphan court's "
                                     "decision: not before %(day)s.", day=shown(decided)))
    return read


def read_preferences(form: Mapping[str, Any], *, regions: Collection[str]) -> Read:
    read = Read(form)
    read.number("children_max", 1, 10)
    low = read.number("age_min", 0, 17)
    high = read.number("age_max", 0, 17)
    if low is not None and high is not None and low > high:
        read.fail("age_max", _("The upper age cannot be below the lower age."))
    read.choice("sex_preference", tuple(SEX_PREFERENCE_LABELS))
    read.flag("siblings_accepted")
    read.choices("health_accepted", rules.HEALTH_CONDITIONS)
    read.choices("regions", regions)
    return read


def read_contact(form: Mapping[str, Any]) -> Read:
    read = Read(form)
    abroad = read.flag("abroad")
    country = read.text("country", limit=2).upper() or ("" if abroad else "LV")
    read.values["country"] = country
    if not _COUNTRY.match(country):
        read.fail("country", _("Write the country as its two-letter code, e.g. DE."))
    elif abroad and country == "LV":
        read.fail("country", _("An adopter living abroad: write the country of residence."))
    elif not abroad and country != "LV":
        read.fail("abroad", _("The country is not Latvia: tick \"lives abroad\"."))
    read.text("address", required=True, limit=500)
    read.text("phone", limit=40)
    email = read.text("email", limit=255)
    if email and not _EMAIL.match(email):
        read.fail("email", _("Write a valid e-mail address."))
    return read


def merged(*reads: Read) -> Read:
    out = Read(reads[0].form if reads else {})
    for read in reads:
        out.values.update(read.values)
        for name, messages in read.errors.items():
            out.errors.setdefault(name, []).extend(messages)
    return out
