"""Capacity analysis before solving: necessary conditions any plan must meet.

Per stage and need class (the fit rules' need key, :func:`allocator.rules.need_key`)
the analysis counts, on the stage's first move-out day, the households that
must have a place then and the places that could be free then. A class's
demand holds every household, of any stage, that fits only places the class
fits too (a Hall-type set: they can only take places the class could), so
*demand > supply* proves the scenario infeasible whatever the plan:

- **stays**: households away in a rehousing place that day under every
  outcome they may have (R1, R8);
- **permanent**: households that must move for good and have moved by then
  (they keep their own-organisation dwelling for good, R8);
- **spares**: R10's share for the need groups made only of such households,
  of every stage whose offer period holds the day.

Supply is an upper bound: every dwelling that fits the class and is
available that day and over a whole block (or offer period, or for good)
that could be used then, and every pavilion module that could be in place
(``max_count`` of each fitting type past its lead time). Nothing here
knows a solver.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from allocator import rules
from models.explain import CapacityRow, NeedClass, StageCapacity
from models.scenario import Dwelling, Household, PavilionType, Scenario, Source

__all__ = ["SOURCES", "analyse", "need_class", "shortages"]

#: Source names of the places, in the order they are told.
SOURCES = (
    Source.OWN_DEPARTMENT.value,
    Source.OWN_ORGANISATION.value,
    Source.PARTNER.value,
    Source.PAVILION.value,
)


def need_class(scenario: Scenario, household: Household) -> NeedClass:
    """The need class of ``household``, read from :func:`allocator.rules.need_key`."""
    rooms, rooms_max, wheelchair, step_free, max_floor, excluded = rules.need_key(
        scenario, household
    )
    return NeedClass(
        rooms=rooms,
        wheelchair=wheelchair,
        step_free=step_free and not wheelchair,
        rooms_max=rooms_max,
        max_floor=max_floor,
        excluded=tuple(sorted(s.value for s in excluded)),
    )


@dataclass(frozen=True)
class _Need:
    """The places a need class fits: for stays, for a permanent move, pavilion types."""

    stay: frozenset[str]
    permanent: frozenset[str]
    pavilions: frozenset[str]

    def within(self, other: _Need) -> bool:
        return (
            self.stay <= other.stay
            and self.permanent <= other.permanent
            and self.pavilions <= other.pavilions
        )


@dataclass(frozen=True)
class _Demand:
    """When a household needs a place under every outcome it may have."""

    household: Household
    stage: str
    need: int  # index into the needs
    stay: tuple[int, int] | None  # [start, end) it is away under every outcome
    permanent: int | None  # the day it moves for good, if it must


def analyse(scenario: Scenario) -> list[StageCapacity]:
    """The capacity rows of every stage, in move-out order.

    Returns an empty list if the households cannot all be moved out in time
    (:class:`allocator.rules.Unschedulable`; the warnings say so).
    """
    try:
        sched = rules.schedule(scenario)
    except rules.Unschedulable:
        return []
    dwellings = [d for d in scenario.dwellings if not d.municipal_referral]
    by_key: dict[rules.fit.PlaceKey, list[Dwelling]] = defaultdict(list)
    for d in dwellings:  # equal place keys fit the same households alike
        by_key[rules.place_key(d)].append(d)
    types = [([d.id for d in members], members[0]) for members in by_key.values()]
    keys: dict[rules.fit.NeedKey, int] = {}
    needs: list[_Need] = []
    classes: list[NeedClass] = []
    demands: list[_Demand] = []
    for h in sorted(scenario.households, key=lambda h: rules.seniority_key(scenario, h)):
        key = rules.need_key(scenario, h)
        if key not in keys:
            keys[key] = len(needs)
            needs.append(_fits(scenario, h, types, scenario.pavilions))
            classes.append(need_class(scenario, h))
        demands.append(_demand_of(scenario, sched, h, keys[key]))
    source = {d.id: d.source.value for d in dwellings}
    by_source = {s: frozenset(d for d, v in source.items() if v == s) for s in SOURCES}
    avail = [a for a in rules.availabilities(scenario) if a.dwelling in source]
    spares = _Spares(scenario, sched, demands)
    insides: dict[int, set[int]] = {}  # per need: the needs that fit only where it fits
    out = []
    for stage in sorted(scenario.stages, key=lambda s: (sched.first_out[s.id], s.id)):
        t = sched.first_out[stage.id]
        # the blocks in use that day (a few per stage): a place serves one at a time
        blocks = {d.stay for d in demands if d.stay is not None and d.stay[0] <= t < d.stay[1]}
        blocks |= {sched.offer_period(s) for s in spares.offering(t)}
        day = _Day(
            t,
            stays=frozenset(
                a.dwelling
                for a in avail
                if a.start <= t < a.end and any(a.start <= b and e <= a.end for b, e in blocks)
            ),
            permanent=frozenset(
                a.dwelling for a in avail if a.start <= t and a.end == rules.FOREVER
            ),
            away=Counter(
                d.need for d in demands if d.stay is not None and d.stay[0] <= t < d.stay[1]
            ),
            gone=Counter(d.need for d in demands if d.permanent is not None and d.permanent <= t),
            members=Counter(d.need for d in demands if d.stage == stage.id),
        )
        rows = [_row(scenario, stage.id, day, None, None, needs, spares, by_source, insides)]
        told: set[NeedClass] = set()
        for n in sorted(day.members):
            if classes[n] in told:  # wheelchair users who also ask for step-free access
                continue
            told.add(classes[n])
            rows.append(
                _row(scenario, stage.id, day, n, classes[n], needs, spares, by_source, insides)
            )
        out.append(StageCapacity(stage=stage.id, first_out=scenario.date_of(t), rows=rows))
    return out


@dataclass(frozen=True)
class _Day:
    """A stage's first move-out day and what the rows of the stage count on it.

    The dwellings that could be in use then (for a stay or spare, for good),
    and by need the households away then, moved for good by then, and of the stage.
    """

    t: int
    stays: frozenset[str]
    permanent: frozenset[str]
    away: Counter[int]
    gone: Counter[int]
    members: Counter[int]


class _Spares:
    """R10 per stage: its displaced households in all and by need group (their needs)."""

    def __init__(self, scenario: Scenario, sched: rules.Schedule, demands: list[_Demand]) -> None:
        self.scenario, self.sched = scenario, sched
        self.displaced: Counter[str] = Counter()
        groups: dict[tuple[str, object], list[int]] = defaultdict(list)
        for d in demands:
            if d.stay is not None:
                self.displaced[d.stage] += 1
                groups[(d.stage, rules.need_group(scenario, d.household))].append(d.need)
        self.groups: dict[str, list[tuple[int, frozenset[int]]]] = defaultdict(list)
        for (stage, _), members in groups.items():
            self.groups[stage].append((len(members), frozenset(members)))

    def offering(self, t: int) -> list[str]:
        """The stages whose offer period holds day ``t``."""
        return [
            s.id
            for s in self.scenario.stages
            if self.sched.offer_period(s.id)[0] <= t < self.sched.offer_period(s.id)[1]
        ]

    def required(self, t: int, inside: set[int] | None) -> int:
        """Spares R10 asks on day ``t`` (of need groups made only of needs ``inside``)."""
        total = 0
        for stage in self.offering(t):
            if inside is None:
                total += rules.spares_required(self.scenario, self.displaced[stage])
                continue
            for count, members in self.groups[stage]:
                if members <= inside:
                    total += rules.group_spares_required(self.scenario, count)
        return total


def shortages(analysis: list[StageCapacity]) -> list[CapacityRow]:
    """The rows whose demand exceeds every possible supply: proofs of infeasibility.

    Of rows with the same figures (classes of the same households and
    places, e.g. wheelchair users with and without a floor limit) the least
    restricted class is kept.
    """
    kept: dict[tuple[object, ...], CapacityRow] = {}
    for stage in analysis:
        for row in stage.rows:
            if row.short <= 0:
                continue
            key = (row.stage, row.demand, row.supply, tuple(sorted(row.by_source.items())))
            if key not in kept or _restrictions(row) < _restrictions(kept[key]):
                kept[key] = row
    return list(kept.values())


def _restrictions(row: CapacityRow) -> tuple[int, int]:
    """How restricted a row's class is beyond rooms and access (fewer first)."""
    if row.need is None:
        return (0, 0)
    extra = (row.need.rooms_max is not None) + (row.need.max_floor is not None)
    return (extra + len(row.need.excluded), row.need.rooms)


def _fits(
    scenario: Scenario,
    h: Household,
    types: list[tuple[list[str], Dwelling]],
    pavilions: list[PavilionType],
) -> _Need:
    """The places ``h`` fits, asked once per dwelling type."""
    stay: set[str] = set()
    permanent: set[str] = set()
    for ids, first in types:
        if rules.place_fits(scenario, h, first):
            stay.update(ids)
        if rules.place_fits(scenario, h, first, permanent=True):
            permanent.update(ids)
    return _Need(
        stay=frozenset(stay),
        permanent=frozenset(permanent),
        pavilions=frozenset(p.id for p in pavilions if rules.place_fits(scenario, h, p)),
    )


def _demand_of(scenario: Scenario, sched: rules.Schedule, h: Household, need: int) -> _Demand:
    stage = scenario.stage_of(h).id
    outcomes = sched.outcomes[h.id]
    stays = [o for o in outcomes if o in rules.STAYS]
    out = sched.move_out[h.id]
    stay = None
    permanent = None
    if outcomes and all(o in rules.STAYS or o is rules.Outcome.PERMANENT for o in outcomes):
        if stays and len(stays) == len(outcomes):
            start, end = sched.block(stage, sched.return_stage(scenario, h))
            stay = (start, end)
        elif stays:  # a stay or a permanent move: away at least from its move-out day
            start, end = sched.block(stage, sched.return_stage(scenario, h))
            stay = (out, end)
        else:
            permanent = out
    return _Demand(h, stage, need, stay, permanent)


def _inside(needs: list[_Need], n: int) -> set[int]:
    """The needs whose places are all places of need ``n`` too (``n`` among them)."""
    return {m for m, other in enumerate(needs) if other.within(needs[n])}


def _row(
    scenario: Scenario,
    stage: str,
    day: _Day,
    n: int | None,
    need: NeedClass | None,
    needs: list[_Need],
    spares: _Spares,
    sources: dict[str, frozenset[str]],
    insides: dict[int, set[int]],
) -> CapacityRow:
    """The condition on ``day`` for the households that fit only where class ``n`` fits."""
    t = day.t
    if n is not None and n not in insides:
        insides[n] = _inside(needs, n)
    inside = None if n is None else insides[n]
    stays = sum(day.away.values()) if inside is None else sum(day.away[m] for m in inside)
    permanent = sum(day.gone.values()) if inside is None else sum(day.gone[m] for m in inside)
    required = spares.required(t, inside)
    if n is None:
        usable = day.stays | day.permanent
    else:
        usable = (day.stays & needs[n].stay) | (day.permanent & needs[n].permanent)
    by_source: Counter[str] = Counter({s: len(usable & ids) for s, ids in sources.items()})
    for p in scenario.pavilions:
        if (n is None or p.id in needs[n].pavilions) and p.lead_days <= t:
            by_source[Source.PAVILION.value] += p.max_count
    demand = stays + permanent + required
    supply = sum(by_source.values())
    return CapacityRow(
        stage=stage,
        need=need,
        day=scenario.date_of(t),
        households=sum(day.members.values()) if n is None else day.members[n],
        stays=stays,
        permanent=permanent,
        spares=required,
        demand=demand,
        supply=supply,
        by_source={s: by_source[s] for s in SOURCES if by_source[s]},
        short=max(0, demand - supply),
    )
