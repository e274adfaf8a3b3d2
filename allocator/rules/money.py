"""Money and time units shared by every price: integer øre, days, months.

Money inside genhus is integer øre (1/100 DKK), so that the solver's
objective and the plan checker's recomputation agree to the øre.
"""

from __future__ import annotations

import math

#: Open-ended availability ("until further notice") as a day number.
FOREVER = 10**6


def ore(dkk: float) -> int:
    """DKK to integer øre."""
    return round(dkk * 100)


def daily_ore(monthly_rent: float) -> int:
    """Rent of one day in øre: a month is a twelfth of 365 days."""
    return round(monthly_rent * 12 * 100 / 365)


def months_to_days(months: float) -> int:
    """Whole days in ``months`` months of 365/12 days."""
    return math.ceil(months * 365 / 12)


def months_of(days: int) -> int:
    """Started months in ``days`` days (a month is 365/12 days)."""
    return math.ceil(days * 12 / 365)
