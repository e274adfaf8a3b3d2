"""Every price of genhus, written once (R10-R14 and the soft wishes), in øre.

The CP-SAT model, the greedy and portfolio planners, the Lagrangian bound
and the plan pricing all call these; the plan checker recomputes a plan's
cost through the pricing, which calls them too, and ``tests/test_optima.py``
checks them against prices computed by hand.
"""

from __future__ import annotations

from allocator.rules.fit import Place, place_source
from allocator.rules.money import daily_ore, months_of, months_to_days, ore
from allocator.rules.schedule import MOVES, STAYS, Outcome, back_day, ready_day
from models.plan import CostCategory
from models.scenario import Agreement, Household, PavilionType, Scenario, StayRent

Prices = dict[CostCategory, int]


# -- R11, R14: rehousing places -------------------------------------------------------


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


def deposit_ore(scenario: Scenario) -> int:
    """R11: the deposit reduction offered per time-limited lease."""
    return ore(scenario.costs.time_limited_deposit)


def lease_ore(scenario: Scenario, daily: int, *, after_occupant: bool) -> int:
    """R11: a gap let time-limited costs the deposit and the turnaround days held empty."""
    turn = scenario.policy.turnaround_days
    held = (turn if after_occupant else 0) + turn
    return deposit_ore(scenario) + daily * held


def pavilion_rental_ore(pavilion: PavilionType, days: int) -> Prices:
    """R12: a module rented for ``days`` days: set-up, rent and removal."""
    return {
        CostCategory.PAVILION_SETUP: ore(pavilion.setup_cost),
        CostCategory.PAVILION_RENT: daily_ore(pavilion.monthly_rent) * days,
        CostCategory.PAVILION_REMOVAL: ore(pavilion.removal_cost),
    }


def pavilion_rental_days(pavilion: PavilionType, start: int, last_use_end: int) -> int:
    """R12: days a module is rented: to its last use, at least ``min_months``."""
    return max(last_use_end - start, months_to_days(pavilion.min_months))


# -- R10: overcapacity ----------------------------------------------------------------


def overcapacity_pct(scenario: Scenario) -> int:
    """The overcapacity target in whole percent."""
    return round(scenario.policy.overcapacity * 100)


def spares_required(scenario: Scenario, displaced: int) -> int:
    """R10: spares a stage with ``displaced`` displaced households must hold (rounded up)."""
    return (overcapacity_pct(scenario) * displaced + 99) // 100


def group_spares_required(scenario: Scenario, displaced: int) -> int:
    """R10: spares a need group with ``displaced`` households must have (rounded down)."""
    return overcapacity_pct(scenario) * displaced // 100


def required_pool(scenario: Scenario, displaced: int) -> int:
    """R10: places (stays plus spares) a stage with ``displaced`` households must collect."""
    return displaced + spares_required(scenario, displaced)


# -- soft wishes ------------------------------------------------------------------


def penalty_ore(scenario: Scenario, household: Household, place: Place) -> int:
    """Soft-wish penalty of housing ``household`` in ``place`` (øre)."""
    pen = scenario.penalties
    total = 0
    if household.preferred_sources and place_source(place) not in household.preferred_sources:
        total += ore(pen.source_not_preferred)
    if household.rooms_min is not None and place.rooms < household.rooms_min:
        total += ore(pen.room_short) * (household.rooms_min - place.rooms)
    return total


def outcome_penalty_ore(scenario: Scenario, household: Household, outcome: Outcome) -> int:
    """Penalty of an outcome itself: a permanent agreement not met (soft variant of R8)."""
    if household.agreement is Agreement.PERMANENT and outcome is not Outcome.PERMANENT:
        return ore(scenario.penalties.permanent_not_met)
    return 0


# -- R13, R14: households -----------------------------------------------------------


def move_cost_ore(scenario: Scenario, household: Household) -> Prices:
    """R13: price of one move of ``household`` by budget category."""
    costs = scenario.costs
    rooms = scenario.dwelling(household.dwelling).rooms
    moving = costs.self_move_allowance if household.self_move else costs.moving(rooms)
    return {
        CostCategory.MOVING: ore(moving),
        CostCategory.EXTRA_HELP: ore(costs.extra_help) if household.extra_help else 0,
        CostCategory.TRANSFERS: ore(costs.transfer),
    }


def stay_compensation_ore(scenario: Scenario, household: Household, place: Place, days: int) -> int:
    """R14 with ``policy.stay_rent = lower_of_two``: what the tenant is let off for ``days``.

    It pays the lower of its own rent and the rehousing place's rent; the
    organisation pays the difference (category ``rent_reduction``). Nothing
    under ``own_rent``, where :func:`outcome_cost_ore` prices the share.
    """
    if scenario.policy.stay_rent is not StayRent.LOWER_OF_TWO:
        return 0
    own = daily_ore(scenario.dwelling(household.dwelling).monthly_rent)
    return max(0, own - daily_ore(place.monthly_rent)) * days


def tenant_stay_rent(scenario: Scenario, household: Household, place_monthly_rent: float) -> float:
    """R14: the monthly rent ``household`` pays while it lives in a temporary place.

    Under ``policy.stay_rent = own_rent`` its own rent less the share
    ``costs.rent_reduction``; under ``lower_of_two`` the lower of its own
    rent and the place's (``place_monthly_rent``). The organisation pays the
    rest; this is what the notice letter tells the tenant.
    """
    own = scenario.dwelling(household.dwelling).monthly_rent
    if scenario.policy.stay_rent is StayRent.LOWER_OF_TWO:
        return min(own, place_monthly_rent)
    return own * (1 - scenario.costs.rent_reduction)


def consultant_ore(scenario: Scenario) -> int:
    """The consultant's fee per household of the case (no decision changes it)."""
    return ore(scenario.costs.consultant_per_household)


def outcome_cost_ore(
    scenario: Scenario,
    household: Household,
    outcome: Outcome,
    move_out: int,
    moved_back: int | None = None,
    after: str | None = None,
) -> Prices:
    """What an outcome costs the budget, by category (the place's own costs aside).

    Parameters
    ----------
    scenario
        The scenario (unit costs, policy).
    household
        Whose outcome it is.
    outcome
        What happens to the household.
    move_out
        The day it moves out.
    moved_back
        The day it moves back (outcomes with a stay).
    after
        The after-renovation dwelling it moves into (``AFTER`` and ``DIRECT``).

    Notes
    -----
    - moves (R13): two with a stay, one otherwise;
    - a stay of d days (R14): the share of its own rent it is let off
      (``policy.stay_rent = own_rent``; with ``lower_of_two`` what it is let
      off depends on its place: :func:`stay_compensation_ore`), and storage
      per started month;
    - rent lost on vacated dwellings: its own dwelling from the day its lease
      ends (the move for good, or the move into the after-renovation
      dwelling) until the stage's dwellings are ready; an after-renovation
      dwelling from its ready day until its winner moves in;
    - inspections (syn) and cleaning: its own dwelling is inspected when it
      moves out; a stay adds an inspection at move-in and at move-out of the
      rehousing place and its cleaning.
    """
    costs = scenario.costs
    prices: Prices = {c: 0 for c in CostCategory}
    for category, amount in move_cost_ore(scenario, household).items():
        prices[category] = amount * MOVES[outcome]
    own_daily = daily_ore(scenario.dwelling(household.dwelling).monthly_rent)
    back = back_day(scenario, scenario.stage_of(household))
    inspections, cleanings = 1, 0
    if outcome in STAYS:
        assert moved_back is not None
        days = moved_back - move_out
        if scenario.policy.stay_rent is StayRent.OWN_RENT:
            prices[CostCategory.RENT_REDUCTION] = round(costs.rent_reduction * own_daily * days)
        if household.storage:
            prices[CostCategory.STORAGE] = ore(costs.storage_per_month) * months_of(days)
        inspections, cleanings = 3, 1
    lease_ends = {
        Outcome.AFTER: moved_back,
        Outcome.DIRECT: move_out,
        Outcome.PERMANENT: move_out,
    }.get(outcome)
    vacated = own_daily * max(0, back - lease_ends) if lease_ends is not None else 0
    if after is not None and outcome in (Outcome.AFTER, Outcome.DIRECT):
        moved_in = moved_back if outcome is Outcome.AFTER else move_out
        assert moved_in is not None
        after_daily = daily_ore(scenario.after_dwelling(after).monthly_rent)
        vacated += after_daily * max(
            0, moved_in - ready_day(scenario, scenario.after_dwelling(after))
        )
    prices[CostCategory.RENT_LOSS_VACATED] = vacated
    prices[CostCategory.CLEANING_INSPECTION] = inspections * ore(costs.inspection) + (
        cleanings * ore(costs.cleaning)
    )
    return {c: v for c, v in prices.items() if v}
