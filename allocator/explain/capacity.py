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
    keys: dict[rules.fit.NeedKey, int] = {}
    needs: list[_Need] = []
    classes: list[NeedClass] = []
    demands: list[_Demand] = []
    for h in sorted(scenario.households, key=lambda h: rules.seniority_key(scenario, h)):
        key = rules.need_key(scenario, h)
        if key not in keys:
            keys[key] = len(needs)
            needs.append(_fits(scenario, h, dwellings, scenario.pavilions))
            classes.append(need_class(scenario, h))
        demands.append(_demand_of(scenario, sched, h, keys[key]))
    avail: dict[str, list[rules.Availability]] = defaultdict(list)
    for a in rules.availabilities(scenario):
        avail[a.dwelling].append(a)
    by_id = {d.id: d for d in dwellings}
    out = []
    for stage in sorted(scenario.stages, key=lambda s: (sched.first_out[s.id], s.id)):
        t = sched.first_out[stage.id]
        members = [d for d in demands if d.stage == stage.id]
        rows = [_row(scenario, sched, stage.id, t, None, None, demands, avail, by_id, needs)]
        told: set[NeedClass] = set()
        for n in sorted({d.need for d in members}):
            if classes[n] in told:  # wheelchair users who also ask for step-free access
                continue
            told.add(classes[n])
            rows.append(
                _row(scenario, sched, stage.id, t, n, classes[n], demands, avail, by_id, needs)
            )
        out.append(StageCapacity(stage=stage.id, first_out=scenario.date_of(t), rows=rows))
    return out


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
    scenario: Scenario, h: Household, dwellings: list[Dwelling], pavilions: list[PavilionType]
) -> _Need:
    return _Need(
        stay=frozenset(d.id for d in dwellings if rules.place_fits(scenario, h, d)),
        permanent=frozenset(
            d.id for d in dwellings if rules.place_fits(scenario, h, d, permanent=True)
        ),
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


def _row(
    scenario: Scenario,
    sched: rules.Schedule,
    stage: str,
    t: int,
    n: int | None,
    need: NeedClass | None,
    demands: list[_Demand],
    avail: dict[str, list[rules.Availability]],
    dwellings: dict[str, Dwelling],
    needs: list[_Need],
) -> CapacityRow:
    """The condition on day ``t`` for the households that fit only where class ``n`` fits."""
    inside = (
        set(range(len(needs)))
        if n is None
        else {m for m, other in enumerate(needs) if other.within(needs[n])}
    )
    group = [d for d in demands if d.need in inside]
    stays = [d for d in group if d.stay is not None and d.stay[0] <= t < d.stay[1]]
    permanent = [d for d in group if d.permanent is not None and d.permanent <= t]
    # R10: spares of every stage whose offer period holds t, for need groups
    # made only of households inside the set
    spares = 0
    # the distinct blocks (a few per stage): a place serves one of them at a time
    blocks: set[tuple[int, int]] = {d.stay for d in stays if d.stay is not None}
    for other in scenario.stages:
        start, end = sched.offer_period(other.id)
        if not start <= t < end:
            continue
        displaced = [d for d in demands if d.stage == other.id and d.stay is not None]
        if n is None:
            spares += rules.spares_required(scenario, len(displaced))
        else:
            by_group: dict[object, list[_Demand]] = defaultdict(list)
            for d in displaced:
                by_group[rules.need_group(scenario, d.household)].append(d)
            for members in by_group.values():
                if all(d.need in inside for d in members):
                    spares += rules.group_spares_required(scenario, len(members))
        blocks.add((start, end))
    fit = needs[n] if n is not None else None
    by_source: Counter[str] = Counter()
    for d_id, intervals in avail.items():
        dwelling = dwellings.get(d_id)
        if dwelling is None:
            continue
        stay_ok = fit is None or d_id in fit.stay
        perm_ok = fit is None or d_id in fit.permanent
        usable = any(
            a.start <= t < a.end
            and (
                (stay_ok and any(a.start <= s and e <= a.end for s, e in blocks))
                or (perm_ok and a.end == rules.FOREVER and a.start <= t)
            )
            for a in intervals
        )
        if usable:
            by_source[dwelling.source.value] += 1
    for p in scenario.pavilions:
        if (fit is None or p.id in fit.pavilions) and p.lead_days <= t:
            by_source[Source.PAVILION.value] += p.max_count
    demand = len(stays) + len(permanent) + spares
    supply = sum(by_source.values())
    return CapacityRow(
        stage=stage,
        need=need,
        day=scenario.date_of(t),
        households=sum(1 for d in demands if d.stage == stage and (n is None or d.need == n)),
        stays=len(stays),
        permanent=len(permanent),
        spares=spares,
        demand=demand,
        supply=supply,
        by_source={s: by_source[s] for s in SOURCES if by_source[s]},
        short=max(0, demand - supply),
    )
