"""P9: duration control of a child's stay in out-of-family care."""
from __future__ import annotations

from datetime import date

from .calendar import add_months, parse_date

REPORT_INTERVAL_UNDER_THREE_MONTHS = 3
REPORT_INTERVAL_FROM_THREE_MONTHS = 6


def next_report_due(placement_date: str | date, last_report_date: str | date | None,
                    birth_date: str | date) -> date:
    """The day by which the institution must next report on the child.

    Law on Social Services and Social Assistance, art. 28: the institution informs the orphan court
    and the social service at least every 3 months while the child is under 3, and at least every
    6 months from the day the child turns 3. The period runs from the last report, or from the
    placement when there is none yet. A period that starts before the third birthday is a 3-month one.
    """
    start = parse_date(last_report_date) if last_report_date else parse_date(placement_date)
    third_birthday = add_months(parse_date(birth_date), 36)
    if start < third_birthday:
        return add_months(start, REPORT_INTERVAL_UNDER_THREE_MONTHS)
    return add_months(start, REPORT_INTERVAL_FROM_THREE_MONTHS)
