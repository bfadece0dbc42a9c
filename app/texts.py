"""Marking texts for translation where they are defined but translated later."""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks a text for the catalog; the caller translates it when it is shown."""
    return message
