"""The community-based service types of the programme (DOMAIN: P3 and P4), one place for their
codes and names. Codes are what forms, support plans, SOPA messages and service records carry."""
from __future__ import annotations

# P3: the seven service types for adults with mental disorders.
ADULT_SERVICE_TYPES: dict[str, tuple[str, str]] = {
    "HOME_CARE": ("Aprūpe mājās", "Home care"),
    "DAY_CENTRE": ("Dienas aprūpes centrs", "Day-care centre"),
    "WORKSHOP": ("Specializētās darbnīcas", "Specialised workshops"),
    "GROUP_APARTMENT": ("Grupu dzīvoklis", "Group apartment"),
    "SHORT_TERM_CARE": ("Īslaicīgā sociālā aprūpe", "Short-term social care"),
    "SPECIALIST_SUPPORT": ("Speciālistu konsultācijas un individuāls atbalsts",
                           "Specialist consultations and individual support"),
    "SUPPORT_GROUP": ("Atbalsta grupas un grupu nodarbības", "Support groups and group sessions"),
}


def service_type_name(code: str, lang: str = "lv") -> str:
    names = ADULT_SERVICE_TYPES.get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]
