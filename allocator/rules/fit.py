"""R5, R6, R7, R8, R15: who may live where, and the keys that decide it.

:func:`need_key` and :func:`place_key` are the one definition of what the
fit rules read of a household and of a place: households with equal need
keys fit the same places, places with equal place keys fit the same
households. The model, the greedy planner and the portfolio planner group
by them; :func:`place_problems` says why a place does not fit.
"""

from __future__ import annotations

from collections.abc import Iterator

from allocator.rules.table import RuleId
from models.plan import Access, NeedGroup
from models.scenario import Dwelling, Household, PavilionType, Scenario, Source

Place = Dwelling | PavilionType

#: What the fit rules read of a household (see :func:`need_key`).
NeedKey = tuple[int, int | None, bool, bool, int | None, frozenset[Source]]

#: What the fit rules read of a place (see :func:`place_key`).
PlaceKey = tuple[object, ...]


def min_rooms(scenario: Scenario, household: Household) -> int:
    """R5: the smallest dwelling the occupancy rule allows.

    Defined with the scenario, whose validation needs it
    (:meth:`models.scenario.Scenario.min_rooms`).
    """
    return scenario.min_rooms(household)


def need_key(scenario: Scenario, household: Household) -> NeedKey:
    """Everything R5-R7 read of a household: equal keys fit the same places."""
    return (
        min_rooms(scenario, household),
        household.rooms_max,
        household.wheelchair,
        household.step_free,
        household.max_floor,
        frozenset(household.excluded_sources),
    )


def place_key(place: Place) -> PlaceKey:
    """Everything R5-R8 and R15 read of a place: equal keys fit the same households."""
    if isinstance(place, PavilionType):
        return ("pavilion", place.id)
    return (
        place.rooms,
        place.wheelchair,
        place.step_free,
        place.floor,
        place.source,
        place.municipality,
        place.municipal_referral,
    )


def access_of(household: Household) -> Access:
    """The most demanding access a household needs (R6)."""
    if household.wheelchair:
        return Access.WHEELCHAIR
    return Access.STEP_FREE if household.step_free else Access.NONE


def need_group(scenario: Scenario, household: Household) -> NeedGroup:
    """R10: the need group of a household (R5 minimum rooms, R6 access)."""
    return NeedGroup(rooms=min_rooms(scenario, household), access=access_of(household))


def place_source(place: Place) -> Source:
    """The source of a dwelling or pavilion module."""
    return Source.PAVILION if isinstance(place, PavilionType) else place.source


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
    rooms_needed = min_rooms(scenario, household)
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
    if not permanent and source not in scenario.policy.temporary_sources:
        yield "R7", f"source {source} is not used for temporary stays (policy.temporary_sources)"
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
