"""Working days and the dates of letters and deadlines (R1, R3, R4, R13).

Moves, letters and deadlines fall on working days: Monday to Friday, not a
Danish public holiday (the ``holidays`` package's calendar for Denmark) and
not one of ``policy.closed_days``. A deadline that falls on a closed day
moves to the working day before it ("at the latest"), a first possible day
to the working day after it ("at the earliest").

Days are integers counted from ``policy.planning_date`` (see
:meth:`models.scenario.Scenario.day`).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays
from dateutil.relativedelta import relativedelta

from models.scenario import Scenario

#: Interviews are held at least this long before the household's move (R4).
INTERVIEW_LEAD = relativedelta(years=1)

#: The return letter goes out at least this long before the return (R4).
RETURN_LETTER_LEAD = relativedelta(months=1)

#: Time-limited tenants are reminded about this many days before their lease ends (R4).
REMINDER_DAYS = 35


@functools.lru_cache(maxsize=256)
def public_holidays(year: int) -> frozenset[date]:
    """Danish public holidays of ``year`` (``holidays``' calendar for Denmark)."""
    return frozenset(holidays.country_holidays("DK", years=year))


class WorkingDays:
    """The working days of a scenario: weekdays that are no holiday or closed day.

    Parameters
    ----------
    scenario
        Its ``policy.closed_days`` are closed besides weekends and holidays.

    """

    def __init__(self, scenario: Scenario) -> None:
        self._closed = frozenset(scenario.policy.closed_days)

    def is_working(self, d: date) -> bool:
        """Whether moves, letters and deadlines can fall on ``d``."""
        return d.weekday() < 5 and d not in public_holidays(d.year) and d not in self._closed

    def on_or_before(self, d: date) -> date:
        """The last working day on or before ``d`` (a deadline: at the latest)."""
        while not self.is_working(d):
            d -= timedelta(days=1)
        return d

    def on_or_after(self, d: date) -> date:
        """The first working day on or after ``d`` (at the earliest)."""
        while not self.is_working(d):
            d += timedelta(days=1)
        return d


def working_days(scenario: Scenario) -> WorkingDays:
    """The working-day calendar of ``scenario``."""
    return WorkingDays(scenario)


def notice_date(scenario: Scenario, stage_start: date, move_out: date) -> date:
    """R3: the latest day the formal notice can be sent.

    The guide's practice is ``notice_months`` (4) before the works start; the
    law asks for ``legal_notice_months`` (3) before the household must move.
    The earlier of the two, on a working day.
    """
    policy = scenario.policy
    latest = min(
        stage_start - relativedelta(months=policy.notice_months),
        move_out - relativedelta(months=policy.legal_notice_months),
    )
    return working_days(scenario).on_or_before(latest)


def legal_notice_date(scenario: Scenario, stage_start: date, move_out: date) -> date:
    """R3: the last day the notice meets the legal minimum before the move, on a working day."""
    latest = min(stage_start, move_out) - relativedelta(months=scenario.policy.legal_notice_months)
    return working_days(scenario).on_or_before(latest)


def return_letter_date(scenario: Scenario, return_date: date) -> date:
    """R4: the latest day of the return letter, a month before the return."""
    return working_days(scenario).on_or_before(return_date - RETURN_LETTER_LEAD)


def interview_date(scenario: Scenario, move_out: date) -> date:
    """R4: the latest day of the household's interview, a year before it moves."""
    return working_days(scenario).on_or_before(move_out - INTERVIEW_LEAD)


def reminder_date(scenario: Scenario, lease_end: date) -> date:
    """R4: the reminder to a time-limited tenant, about five weeks before its lease ends."""
    return working_days(scenario).on_or_before(lease_end - timedelta(days=REMINDER_DAYS))
