"""R9: after-renovation dwellings by residence seniority.

Who takes part: every household with a wish list that does not have a
``permanent`` agreement. Such a household wants to stay in the department;
it is never recommended a permanent move (R8).

Who is eligible for a dwelling: the occupancy rule's minimum rooms and the
household's wished maximum (R5), wheelchair and step-free access and the
maximum floor (R6).

Who comes first at a dwelling: by seniority (``seniority_key``). With
``policy.accessible_priority`` (the default) an accessible dwelling goes
first to the households who need it: a wheelchair-accessible dwelling to
wheelchair users, then to households needing step-free access, then to the
rest; a step-free dwelling to households needing step-free access, then to
the rest; each tier by seniority.

The allocation is the outcome of letting households choose in that order:
household-proposing deferred acceptance (Gale and Shapley), which with one
order for all dwellings is exactly "choose in seniority order". It is
stable: no household prefers a dwelling it is eligible for that went to a
household with lower priority there (no justified envy), and no dwelling a
household prefers to what it got is left unlet (no waste). Of all stable
allocations it is the best for every household. It depends on the scenario
alone, never on what is cheap for the organisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from allocator.rules.fit import min_rooms
from models.scenario import AfterDwelling, Agreement, Household, Scenario, TieBreak


def after_eligible(scenario: Scenario, household: Household, after: AfterDwelling) -> bool:
    """R9: whether ``household`` may be given ``after`` (R5 size and wish, R6 access)."""
    if after.rooms < min_rooms(scenario, household):
        return False
    if household.rooms_max is not None and after.rooms > household.rooms_max:
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


def takes_part(household: Household) -> bool:
    """R9: a household with wishes takes part unless its agreement is permanent."""
    return bool(household.wishes) and household.agreement is not Agreement.PERMANENT


def access_tier(scenario: Scenario, household: Household, after: AfterDwelling) -> int:
    """Priority tier of ``household`` at ``after``: 0 comes first (0 without the policy)."""
    if not scenario.policy.accessible_priority:
        return 0
    if after.wheelchair:
        return 0 if household.wheelchair else 1 if household.step_free else 2
    if after.step_free:
        return 0 if household.step_free or household.wheelchair else 1
    return 0


def priority_key(
    scenario: Scenario, household: Household, after: AfterDwelling
) -> tuple[int, date, date, str]:
    """Who comes first at ``after``: lower keys first (access tier, then seniority)."""
    return (access_tier(scenario, household, after), *seniority_key(scenario, household))


def seniority_allocation(scenario: Scenario) -> dict[str, str]:
    """R9: the after-renovation dwelling each winning household gets (household id -> id).

    Household-proposing deferred acceptance over the eligible wishes of the
    households that take part (:func:`takes_part`), with :func:`priority_key`
    at each dwelling. Deterministic: households propose in seniority order.
    """
    prefs: dict[str, list[AfterDwelling]] = {
        h.id: wanted_after(scenario, h) for h in scenario.households if takes_part(h)
    }
    households = {h.id: h for h in scenario.households}
    holder: dict[str, str] = {}  # after id -> household id
    nxt = dict.fromkeys(prefs, 0)
    free = sorted(prefs, key=lambda h: seniority_key(scenario, households[h]), reverse=True)
    while free:
        hid = free.pop()
        if nxt[hid] >= len(prefs[hid]):
            continue  # wished everything it may have and was refused: returns
        after = prefs[hid][nxt[hid]]
        nxt[hid] += 1
        rival = holder.get(after.id)
        if rival is None:
            holder[after.id] = hid
            continue
        mine = priority_key(scenario, households[hid], after)
        theirs = priority_key(scenario, households[rival], after)
        if mine < theirs:
            holder[after.id] = hid
            free.append(rival)
        else:
            free.append(hid)
    return {hid: after for after, hid in holder.items()}


def justified_envy(
    scenario: Scenario, allocation: Mapping[str, str]
) -> list[tuple[Household, AfterDwelling, Household | None]]:
    """Pairs that break R9 in ``allocation`` (household id -> after-dwelling id).

    For every household that takes part and every eligible dwelling it
    wishes more than what it got: ``(household, dwelling, None)`` if the
    dwelling went to nobody (waste), ``(household, dwelling, holder)`` if it
    went to a household of lower priority there (justified envy). Empty for
    a stable allocation. Used by the plan checker and the tests.
    """
    holder = {after: hid for hid, after in allocation.items()}
    out: list[tuple[Household, AfterDwelling, Household | None]] = []
    for h in scenario.households:
        if not takes_part(h):
            continue
        got = allocation.get(h.id)
        for after in wanted_after(scenario, h):
            if after.id == got:
                break
            other = holder.get(after.id)
            if other is None:
                out.append((h, after, None))
                continue
            rival = scenario.household(other)
            if priority_key(scenario, h, after) < priority_key(scenario, rival, after):
                out.append((h, after, rival))
    return out
