"""Latvian personal codes (personas kods): validation, the stored form, and masking.

python-stdnum's Latvian module (``stdnum.lv.pvn``) checks both formats: the dated code
``DDMMYY-CNNNN`` with its check digit, and the codes issued since 1 July 2017, which begin with
``32`` and carry no birth date. The same module also accepts company numbers, which begin with
a digit above 3; those are refused here.
"""
from __future__ import annotations

import re
from datetime import date

from stdnum.exceptions import ValidationError
from stdnum.lv import pvn

_LOOKS_LIKE_CODE = re.compile(r"^\s*\d{6}\s*-?\s*\d{5}\s*$")


class InvalidPersonalCode(ValueError):
    """The text is not a valid Latvian personal code; the message says why, in plain words."""


def normalise(text: str) -> str:
    """The stored form ``DDMMYY-NNNNN`` of a valid personal code; raises InvalidPersonalCode."""
    try:
        digits = pvn.validate(text)
    except ValidationError as err:
        raise InvalidPersonalCode(_reason(err)) from None
    if digits[0] > "3":
        raise InvalidPersonalCode("this is a company registration number, not a personal code")
    return f"{digits[:6]}-{digits[6:]}"


def looks_like_code(text: str) -> bool:
    """Whether a search term is meant as a personal code rather than a name."""
    return bool(_LOOKS_LIKE_CODE.match(text))


def birth_date(code: str) -> date | None:
    """The birth date a dated code carries; None for the new ``32…`` codes."""
    digits = pvn.compact(code)
    if digits.startswith("32"):
        return None
    return pvn.get_birth_date(digits)


def masked(code: str | None) -> str:
    """The code as shown to someone who does not need all of it: the first six digits only.

    For a dated code that is the birth date, which the case file shows anyway; for a new code
    it is a prefix that identifies nobody.
    """
    if not code:
        return ""
    return f"{code[:6]}-*****"


def _reason(err: ValidationError) -> str:
    name = type(err).__name__
    return {
        "InvalidLength": "a personal code has 11 digits",
        "InvalidFormat": "a personal code has only digits and one hyphen",
        "InvalidChecksum": "the check digit does not match; please check the code",
        "InvalidComponent": "the birth date in the code is not a real date",
    }.get(name, "this is not a valid personal code")
