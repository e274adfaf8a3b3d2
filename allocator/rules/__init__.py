"""The rules R1 to R16 as plain functions on scenario data.

These are the definitions that both the CP-SAT model and the plan checker
apply: who may live where (R5, R6, R7, R15), the displacement window (R1),
notice dates (R3, R4), when a dwelling can be used (R11, R15), seniority
order (R9) and the price of a day, a gap or a soft wish. Nothing here knows
about CP-SAT. Money is integer øre (1/100 DKK) so that the solver's
objective and the checker's recomputation agree to the øre.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from allocator.rules.table import RuleId
from models.scenario import (
    AfterDwelling,
    Dwelling,
    Household,
    PavilionType,
    Scenario,
    Source,
    Stage,
    TieBreak,
)

Place = Dwelling | PavilionType

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


# -- R1, R3, R4: dates --------------------------------------------------------


def move_out_day(scenario: Scenario, stage: Stage) -> int:
    """R1: the day households of ``stage`` must be out (start minus clearing)."""
    return scenario.day(stage.start) - scenario.policy.clearing_days


def back_day(scenario: Scenario, stage: Stage) -> int:
    """R1: the first day households of ``stage`` can come back."""
    return scenario.day(stage.end) + scenario.policy.ready_days


def ready_day(scenario: Scenario, after: AfterDwelling) -> int:
    """The first day an after-renovation dwelling can be moved into."""
    stage = next(s for s in scenario.stages if s.id == after.stage)
    return back_day(scenario, stage)


def notice_date(scenario: Scenario, stage: Stage) -> date:
    """R3: latest date of the formal notice (``notice_months`` before start)."""
    return stage.start - relativedelta(months=scenario.policy.notice_months)


def legal_notice_date(scenario: Scenario, stage: Stage) -> date:
    """R3: the legal minimum notice date (``legal_notice_months`` before start)."""
    return stage.start - relativedelta(months=scenario.policy.legal_notice_months)


def return_letter_date(return_date: date) -> date:
    """R4: the return letter goes out at least one month before the return."""
    return return_date - relativedelta(months=1)


def notice_warnings(scenario: Scenario) -> list[str]:
    """R3 checked before solving: stages whose notice date has passed."""
    out = []
    today = scenario.policy.planning_date
    for stage in scenario.stages:
        if move_out_day(scenario, stage) < 0:
            out.append(
                f"stage {stage.id}: its move-out day (start minus "
                f"{scenario.policy.clearing_days} days) is before the planning date {today}; "
                "no plan can keep R1"
            )
        recommended = notice_date(scenario, stage)
        legal = legal_notice_date(scenario, stage)
        if legal < today:
            out.append(
                f"stage {stage.id}: even the legal {scenario.policy.legal_notice_months}-month "
                f"notice date {legal} is before the planning date {today}; the stage cannot "
                "start as given"
            )
        elif recommended < today:
            out.append(
                f"stage {stage.id}: the notice date {recommended} "
                f"({scenario.policy.notice_months} months before start) is before the planning "
                f"date {today}; only the legal minimum ({legal}) can still be met"
            )
    return out


# -- R5, R6, R7, R15: who may live where --------------------------------------


def place_problems(
    scenario: Scenario, household: Household, place: Place, *, permanent: bool = False
) -> list[tuple[RuleId, str]]:
    """Why ``place`` cannot house ``household`` (empty list: it can).

    ``permanent`` asks about a permanent move instead of a temporary stay.
    Each problem is the rule it breaks and what is wrong, e.g.
    ``("R6", "not step-free")``.
    """
    return list(_place_problems(scenario, household, place, permanent))


def place_fits(
    scenario: Scenario, household: Household, place: Place, *, permanent: bool = False
) -> bool:
    """Whether ``place`` can house ``household``: :func:`place_problems` is empty.

    Stops at the first problem and formats no other message, which matters
    where fits are computed for every class and dwelling type.
    """
    return next(_place_problems(scenario, household, place, permanent), None) is None


def _place_problems(
    scenario: Scenario, household: Household, place: Place, permanent: bool
) -> Iterator[tuple[RuleId, str]]:
    """The problems of :func:`place_problems`, one at a time (R5, R6, R7, R8, R15)."""
    source = place_source(place)
    rooms_needed = scenario.min_rooms(household)
    if place.rooms < rooms_needed:
        yield "R5", f"{place.rooms} rooms for {household.persons} persons (needs {rooms_needed})"
    if household.rooms_max is not None and place.rooms > household.rooms_max:
        yield "R5", f"{place.rooms} rooms, more than the wished {household.rooms_max}"
    if household.wheelchair and not place.wheelchair:
        yield "R6", "not wheelchair accessible"
    if household.step_free and not place.step_free:
        yield "R6", "not step-free"
    floor = place.floor if isinstance(place, Dwelling) else 0
    if household.max_floor is not None and floor > household.max_floor:
        yield "R6", f"floor {floor} above the household's maximum {household.max_floor}"
    if source in household.excluded_sources:
        yield "R7", f"source {source} is excluded by the household's agreement"
    if isinstance(place, Dwelling):
        if place.municipal_referral:
            yield "R15", "reserved for municipal referral"
        if (
            not permanent
            and scenario.policy.same_municipality
            and scenario.municipality is not None
            and place.municipality is not None
            and place.municipality != scenario.municipality
        ):
            yield "R7", f"in {place.municipality}, not in {scenario.municipality}"
    if permanent and source is not Source.OWN_ORGANISATION:
        yield "R8", f"a permanent dwelling must be in the own organisation, not {source}"


def place_source(place: Place) -> Source:
    """The source of a dwelling or pavilion module."""
    return Source.PAVILION if isinstance(place, PavilionType) else place.source


def after_eligible(scenario: Scenario, household: Household, after: AfterDwelling) -> bool:
    """R9: whether ``household`` may be given ``after`` (size and accessibility)."""
    if after.rooms < scenario.min_rooms(household):
        return False
    if household.wheelchair and not after.wheelchair:
        return False
    if household.step_free and not after.step_free:
        return False
    return household.max_floor is None or after.floor <= household.max_floor


def seniority_key(scenario: Scenario, household: Household) -> tuple[date, date, str]:
    """R9: sort key, most senior first; ties broken by ``policy.tie_break``."""
    if scenario.policy.tie_break is TieBreak.BIRTH_DATE:
        return (household.seniority_date, household.birth_date or date.max, household.id)
    return (household.seniority_date, date.max, household.id)


def wanted_after(scenario: Scenario, household: Household) -> list[AfterDwelling]:
    """The eligible after-renovation dwellings a household wishes, best first."""
    wished = (scenario.after_dwelling(a) for a in household.wishes)
    return [a for a in wished if after_eligible(scenario, household, a)]


# -- R11, R15: when a dwelling can be used ------------------------------------


@dataclass(frozen=True)
class Availability:
    """An interval [start, end) in which a dwelling can serve as a rehousing place.

    ``vacated_by`` names the permanent mover whose renovated dwelling this is:
    the interval exists only if that household moves out for good.
    """

    dwelling: str
    start: int
    end: int
    vacated_by: str | None = None


def availabilities(scenario: Scenario) -> list[Availability]:
    """Every interval in which a dwelling can be a rehousing place.

    - vacant dwellings outside the stages: from ``vacant_from`` to ``hand_back``
      (borrowed) or open-ended;
    - vacant department dwellings of a stage: before the stage's move-out day,
      and again from the stage's return day (unless merged away);
    - homes of households who may move out for good: from the stage's return
      day, on condition that they do (unless merged away);
    - municipal-referral dwellings never (R15).
    """
    out = []
    removed = scenario.removed_dwellings()
    residents = {h.dwelling: h for h in scenario.households}
    stages = {s.id: s for s in scenario.stages}
    for d in scenario.dwellings:
        if d.municipal_referral:
            continue
        stage = stages.get(d.stage) if d.stage else None
        if d.vacant_from is not None:
            start = max(0, scenario.day(d.vacant_from))  # past vacancy is sunk cost
            end = scenario.day(d.hand_back) if d.hand_back else FOREVER
            if stage is None:
                out.append(Availability(d.id, start, end))
                continue
            before = min(end, move_out_day(scenario, stage))
            if start < before:
                out.append(Availability(d.id, start, before))
            after = max(start, back_day(scenario, stage))
            if d.id not in removed and after < end:
                out.append(Availability(d.id, after, end))
        elif stage is not None and d.id not in removed:
            resident = residents.get(d.id)
            if resident is not None and resident.agreement.value != "temporary":
                out.append(Availability(d.id, back_day(scenario, stage), FOREVER, resident.id))
    return out


# -- R11, R14: what a gap in a timeline costs ----------------------------------


def lease_span(
    scenario: Scenario,
    start: int,
    end: int,
    *,
    after_occupant: bool,
    before_occupant: bool,
) -> tuple[int, int] | None:
    """The time-limited lease [lease_start, lease_end) a gap [start, end) allows (R2, R11).

    A time-limited tenant is an occupant too (R2): it needs a turnaround gap
    after a previous occupant and before the next one, and those days are
    held empty. The lease must last ``time_limited_min_days`` (at least a
    day). ``None`` if the gap is too short for a lease.
    """
    turn = scenario.policy.turnaround_days
    lease_start = start + (turn if after_occupant else 0)
    lease_end = end - (turn if before_occupant else 0)
    if lease_end - lease_start < max(1, scenario.policy.time_limited_min_days):
        return None
    return lease_start, lease_end


def first_use_after_lease(scenario: Scenario, start: int, *, after_occupant: bool) -> int:
    """The earliest day the next occupant can move in if the gap from ``start`` is leased.

    The same arithmetic as :func:`lease_span`, solved for ``end``.
    """
    turn = scenario.policy.turnaround_days
    lease = max(1, scenario.policy.time_limited_min_days)
    return start + (turn if after_occupant else 0) + lease + turn


# -- soft wishes ---------------------------------------------------------------


def penalty_ore(scenario: Scenario, household: Household, place: Place) -> int:
    """Soft-wish penalty of housing ``household`` in ``place`` (øre)."""
    pen = scenario.penalties
    total = 0
    if household.preferred_sources and place_source(place) not in household.preferred_sources:
        total += ore(pen.source_not_preferred)
    if household.rooms_min is not None and place.rooms < household.rooms_min:
        total += ore(pen.room_short) * (household.rooms_min - place.rooms)
    return total


def months_of(days: int) -> int:
    """Started months in ``days`` days (a month is 365/12 days)."""
    return math.ceil(days * 12 / 365)


# -- R10, R13, R14: per-household prices --------------------------------------


def required_pool(scenario: Scenario, displaced: int) -> int:
    """R10: places a stage with ``displaced`` households must collect."""
    pct = round(scenario.policy.overcapacity * 100)
    return displaced + (pct * displaced + 99) // 100


def move_cost_ore(scenario: Scenario, household: Household) -> dict[str, int]:
    """R13: price of one move of ``household`` by budget category (øre).

    Keys are :class:`models.plan.CostCategory` values: ``moving``,
    ``extra_help``, ``transfers``.
    """
    costs = scenario.costs
    rooms = scenario.dwelling(household.dwelling).rooms
    moving = costs.self_move_allowance if household.self_move else costs.moving(rooms)
    return {
        "moving": ore(moving),
        "extra_help": ore(costs.extra_help) if household.extra_help else 0,
        "transfers": ore(costs.transfer),
    }


def stay_cost_ore(scenario: Scenario, household: Household, days: int) -> dict[str, int]:
    """R13, R14: household costs of a temporary stay of ``days`` days (øre).

    Keys: ``rent_reduction`` (the share of its own rent it is let off) and
    ``storage`` (per started month, if it stores goods).
    """
    own_daily = daily_ore(scenario.dwelling(household.dwelling).monthly_rent)
    return {
        "rent_reduction": round(scenario.costs.rent_reduction * own_daily * days),
        "storage": ore(scenario.costs.storage_per_month) * months_of(days)
        if household.storage
        else 0,
    }
