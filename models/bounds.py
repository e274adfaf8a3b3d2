"""The value ranges every scenario and plan is held to where the model meets it.

A scenario is plain data from a file a person wrote: a year typed as 9999,
a rent of 10^40 kr., a name with a terminal escape in it. The planner's
arithmetic (days from the planning date, prices in øre, dates a notice or a
ready period away) stays in range only if its inputs do, so the bounds are
stated once here and used by the fields of :mod:`models.scenario` and
:mod:`models.plan`. They are far wider than any real case; docs/RELIABILITY.md
lists them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Final

from pydantic import AfterValidator, Field

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_COUNT",
    "MAX_DAYS",
    "MAX_ID_CHARS",
    "MAX_MONEY",
    "MAX_MONTHS",
    "MAX_ROOMS",
    "MAX_TEXT_CHARS",
    "Count",
    "Day",
    "Days",
    "Id",
    "Months",
    "Ref",
    "Text",
    "check_text",
]

#: First and last date a scenario or plan may name. Every period below is
#: bounded too, so that a date derived from one (a stage end plus its ready
#: period, a start less its notice) stays a valid Python date.
EARLIEST: Final = date(1900, 1, 1)
LATEST: Final = date(2200, 12, 31)
#: Longest period in days (clearing, ready, turnaround, offer, lead time ...): 10 years.
MAX_DAYS: Final = 3650
#: Longest period in months (notice, minimum rent period): 100 years.
MAX_MONTHS: Final = 1200
#: Largest amount in DKK of one price (a rent, a move, a pavilion's setup).
MAX_MONEY: Final = 10_000_000.0
#: Most rooms of a dwelling, persons of a household, floors of a building.
MAX_ROOMS: Final = 100
#: Largest count (pavilion modules of a type, moves per day).
MAX_COUNT: Final = 100_000
#: Longest id and longest text (a name, an address).
MAX_ID_CHARS: Final = 100
MAX_TEXT_CHARS: Final = 500

# C0 and C1 control characters (tab and newline included: every text field is
# one line), lone surrogates, line and paragraph separators, and the bidi
# overrides and isolates that make a text display differently from what it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def check_text(text: str) -> str:
    """``text`` if it holds no control character, else a ``ValueError`` naming the first.

    Parameters
    ----------
    text
        A name, address or id.

    Returns
    -------
    str
        ``text`` unchanged.

    Raises
    ------
    ValueError
        Naming the character (``U+001B``) and its position (1-based).
    """
    found = _CONTROL.search(text)
    if found is not None:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start() + 1}; letters and file names cannot hold it"
        )
    return text


def _check_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value} is outside the years {EARLIEST.year}-{LATEST.year}")
    return value


#: A date within [:data:`EARLIEST`, :data:`LATEST`].
Day = Annotated[date, AfterValidator(_check_day)]
#: A period in days, 0 to :data:`MAX_DAYS`.
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
#: A period in months, 0 to :data:`MAX_MONTHS`.
Months = Annotated[int, Field(ge=0, le=MAX_MONTHS)]
#: A count, 0 to :data:`MAX_COUNT`.
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
#: An id: one line of text, 1 to :data:`MAX_ID_CHARS` characters.
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(check_text)]
#: A reference to an id (it may be empty: the reference check names it).
Ref = Annotated[str, Field(max_length=MAX_ID_CHARS), AfterValidator(check_text)]
#: A name or address: one line of text, at most :data:`MAX_TEXT_CHARS` characters.
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS), AfterValidator(check_text)]
