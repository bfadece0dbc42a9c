"""What a local account's password must be: at least 12 characters, not the username, and not
one of the passwords every guessing list starts with (OWASP ASVS 5.0, V6.2).

Checked wherever a password is set (``app.auth.service.create_user``). People signing in
through Keycloak have no password here; the realm's own policy applies to them.
"""
from __future__ import annotations

MIN_LENGTH = 12

# Compared ignoring case. Short ones are refused by the length already; these are the long
# ones guessing lists try first, English and Latvian.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "111111111111", "000000000000",
    "123123123123", "abcdefghijkl", "qwertyuiop12", "qwerty123456", "qwertyuiopas",
    "1q2w3e4r5t6y", "password1234", "password12345", "passwordpassword", "password123!",
    "iloveyou1234", "letmein12345", "welcome12345", "changeme1234", "administrator",
    "parole123456", "parole1234567", "paroleparole", "mansparole123", "parole12345!",
    "latvija12345", "latvija2024!", "latvija2025!", "latvija2026!", "sveiki123456",
})


class WeakPassword(ValueError):
    """A password the policy refuses; ``reason`` is one of the constants below."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


TOO_SHORT = f"at least {MIN_LENGTH} characters"
IS_USERNAME = "not the username"
TOO_COMMON = "not a commonly used password"


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` may not be set for ``username``, or None when it may."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    folded = password.strip().casefold()
    name = username.strip().casefold()
    if name and name in folded and len(folded) - len(name) < MIN_LENGTH:
        # The username with a few characters around it is as guessable as the username.
        return IS_USERNAME
    if folded in COMMON_PASSWORDS:
        return TOO_COMMON
    return None


def check_password(username: str, password: str) -> None:
    problem = password_problem(username, password)
    if problem is not None:
        raise WeakPassword(problem)
