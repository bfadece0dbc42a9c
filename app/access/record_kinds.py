"""What kind of record a process instance is, which decides who outside its own organisation sees it.

Planning regions see assessments and services in their region, orphan courts see child-protection
cases of their jurisdiction, and adoption records are confidential (Cabinet Regulation No. 794).
"""
from __future__ import annotations

ASSESSMENT = "assessment"
SERVICE = "service"
CHILD_PROTECTION = "child_protection"
ADOPTION = "adoption"
OTHER = "other"

# Process keys are named p01_… to p11_… (processes/); the number says which programme process.
_BY_PROCESS_NUMBER = {
    1: ASSESSMENT, 2: ASSESSMENT,
    3: SERVICE, 4: SERVICE, 5: SERVICE, 6: SERVICE, 7: SERVICE, 8: SERVICE,
    9: CHILD_PROTECTION, 10: CHILD_PROTECTION,
    11: ADOPTION,
}

# Planning regions select and filter data on persons assessed and services delivered (DOMAIN).
REGION_VISIBLE = (ASSESSMENT, SERVICE)


def record_kind_of(process_key: str) -> str:
    prefix = process_key.split("_", 1)[0]
    if len(prefix) == 3 and prefix[0] == "p" and prefix[1:].isdigit():
        return _BY_PROCESS_NUMBER.get(int(prefix[1:]), OTHER)
    return OTHER


def is_confidential_kind(kind: str) -> bool:
    return kind == ADOPTION
