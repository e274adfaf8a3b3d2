"""A decomposition planner for scenarios too large for one model (portfolios).

:func:`solve_portfolio` splits a scenario into **groups of whole
departments**, solves the groups one after the other in time order with
:func:`allocator.solving.single.solve_single`, each on a derived sub-scenario, and merges
the group plans into one plan of the whole scenario, priced by
:func:`allocator.plan.pricing.build_plan` and verified by
:func:`allocator.plan.check.check_plan`.

Groups (:func:`plan_groups`)
    A department is the stages of one ``stages[].department``
    (:func:`department_of`; in scenarios without it, the stages whose ids
    share the prefix before their last ``-``, as the generator's portfolio
    names them ``<department>-E<k>``). Stages coupled by R9 (a household
    wishing an after-renovation dwelling of another stage) are kept
    together, so R9's seniority order is decided inside one model, and so
    are stages of one moving company whose moving days touch (R13: without
    ``department`` every stage shares one). So a group's sub-scenario gives
    each of its households the outcomes, R9 allocation and moving days, and
    so the stays' blocks and offer periods, of the whole scenario
    (:func:`allocator.rules.schedule`; checked for every group). Departments
    are ordered by their first move-out day and batched until a group has
    about ``group_size`` households.

Sub-scenarios (:func:`sub_scenario`)
    Group g gets its stages, households, after-renovation dwellings and
    department dwellings, and every other candidate place minus what the
    groups solved before it use: a stay its block (from its stage's first
    move-out day to the end of its return period), a spare its stage's
    offer period, a permanent letting the rest of the interval. An
    availability interval (:func:`allocator.rules.availabilities`) used by
    an earlier group is cut into the free stretches around those uses,
    ``turnaround_days`` clear of them (R2; none needed after a spare),
    each offered as a copy ``<id>~<k>`` with its own ``vacant_from`` and
    ``hand_back``. Department dwellings of a group solved later are
    offered only before their own stage's works (that group then sees the
    dwelling vacant once the last use is over); the homes of permanent
    movers only once their group has decided that they move for good.
    Dwellings held for a later group's household that must move for good
    (:func:`reserve_for_good`) are offered to earlier groups only until a
    turnaround before its moving day. The pavilion fleet: a later group's
    ``max_count`` of a type is lowered by the most modules the earlier
    groups rent at one time from the day the group's modules can be rented
    on (the first of its offer periods, not before the lead time), so the
    fleet limit holds at every moment (R12).

Merge (:func:`merge_plans`)
    Copies are mapped back to their dwellings. The uses of all groups in
    one availability interval of a dwelling become one timeline from the
    interval's start, written with the pieces every planner uses
    (:mod:`allocator.plan.timeline`): a stay's block (held empty until the
    household moves in, occupied, held empty to the end of the return
    period), a spare over its offer period, a permanent letting; every gap
    between uses is derived again: held empty, or let time-limited where
    that is cheaper (:func:`allocator.plan.timeline.gap_segments`,
    :func:`allocator.rules.lease_span`), as the model prices gaps. Pavilion
    modules are renumbered per type across the groups; their costs are
    shared between stages by the pricing.

The plan is a feasible plan, never a proven optimum: the result has status
``FEASIBLE``, with the Lagrangian lower bound of the whole scenario and the
gap if there was time for it. A group proven infeasible after the groups
before it (they took what it needs) is planned again together with the
group before it. A group the solver finds no plan for in its time gets the
greedy plan of its sub-scenario (the groups before it keep their plans);
if that fails too, or a group cannot be planned on its own
(:class:`GroupMismatch`), or the merged plan fails the checker or costs
more than the greedy planner's plan of the whole scenario, that greedy
plan is returned instead (with a warning).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from allocator import rules
from allocator.bound import lagrange
from allocator.cpsat.instance import ModelTooLarge
from allocator.heuristics.greedy import GreedyFailed, greedy_plan
from allocator.plan.check import check_plan
from allocator.plan.pricing import build_plan, plan_objective
from allocator.plan.timeline import gap_segments, spare_segment, stay_segments
from allocator.solving import single
from allocator.solving.fallback import greedy_fallback
from allocator.solving.result import make_result, solver_info
from allocator.solving.settings import Settings, StopCheck
from models.plan import (
    HouseholdPlan,
    Mode,
    NeedGroup,
    PlaceTimeline,
    Plan,
    Result,
    Segment,
    SegmentKind,
    SolverInfo,
    Status,
)
from models.scenario import Dwelling, Household, PavilionType, Scenario, Stage

#: Households per group by default. A portfolio group sees far more
#: candidate places than a single department of its size (the organisation's
#: vacancies over years), so its model is larger than L's, and it grows with
#: households times stages. Measured on P (first group, 2 workers), with
#: stays reserving their places for their stage's whole moving period: 288
#: households (one department, 4 stages, 70,000 nodes) solve to 0.1 % in
#: 7 s; 555 households (8 stages, 277,000 nodes) need 29 s for the LP alone
#: and 98 s in all, so in a 600 s run most groups of 500 found no plan.
DEFAULT_GROUP_SIZE = 250

#: Candidate places (other than the group's own department dwellings) per
#: household of a group that go into its model, the cheapest of each kind;
#: ``None`` offers every free place (see :func:`sub_scenario`). Measured on
#: P's first group of 500 (2 workers, 0.1 % gap): every free place (3,800)
#: 32.75 M DKK in 38 s; 4 per household 32.89 M (+0.4 %) in 29 s; 2.5 per
#: household 33.23 M (+1.5 %) in 25 s.
PLACES_PER_HOUSEHOLD = 4.0
#: ... but at least this many of each kind, if there are.
MIN_PER_KIND = 3

#: Share of the remaining time kept back for merging, pricing and checking.
MERGE_SHARE = 0.05

#: Share of the time limit left to the Lagrangian lower bound
#: (:func:`allocator.bound.lagrange.scenario_bound`) after the plan.
BOUND_SHARE = 0.4
#: Seconds per unit-network node to build the bound's arrays (measured on P:
#: 3.9 M nodes in about 60 s); the bound is skipped when the time left would
#: not cover twice that.
BOUND_SECONDS_PER_NODE = 15e-6

#: Segment kinds that are uses of a place (the rest are gaps between uses).
_USES = (SegmentKind.OCCUPIED, SegmentKind.SPARE, SegmentKind.PERMANENT)


# -- groups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Whole departments solved together in one model.

    Attributes
    ----------
    index
        Position in time order (0 first).
    stages
        Stage ids, in scenario order.
    households
        Households living in the group's stages.
    first_out
        The earliest move-out day of its stages (R1).

    """

    index: int
    stages: tuple[str, ...]
    households: int
    first_out: int


def department_of(stage: Stage) -> str:
    """The department of a stage: its ``department``, else its id up to the last ``-``.

    Scenarios written before stages named their department have the
    generator's ids ``<department>-E<k>``; an id without a ``-`` gives ``""``.
    """
    if stage.department is not None:
        return stage.department
    head, sep, _ = stage.id.rpartition("-")
    return head if sep else ""


def plan_groups(scenario: Scenario, group_size: int = DEFAULT_GROUP_SIZE) -> list[Group]:
    """Batch the scenario's departments into groups of about ``group_size`` households.

    Departments (:func:`department_of`, joined where R9 wishes couple their
    stages or a shared moving company their moving days) are never split.
    They are taken in order of their first move-out day, and a group is
    closed when adding the next department would take it further from
    ``group_size`` than it is.

    Returns
    -------
    list[Group]
        The groups in time order; together they hold every stage once.

    """
    parent = {s.id: s.id for s in scenario.stages}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_of: dict[str, str] = {}
    for s in scenario.stages:
        join(s.id, first_of.setdefault(department_of(s), s.id))
    members: dict[str, int] = defaultdict(int)
    for h in scenario.households:
        stage = scenario.stage_of(h).id
        members[stage] += 1
        for wish in h.wishes:  # R9 couples the stages of a wish list
            join(stage, scenario.after_dwelling(wish).stage)
    for a, b in _sharing_moving_days(scenario):
        join(a, b)

    departments: dict[str, list[Stage]] = defaultdict(list)
    for s in scenario.stages:
        departments[root(s.id)].append(s)
    ordered = sorted(
        departments.values(),
        key=lambda ss: (min(rules.move_out_day(scenario, s) for s in ss), ss[0].id),
    )
    batches: list[list[Stage]] = []
    size = 0
    for dept in ordered:
        n = sum(members[s.id] for s in dept)
        if batches and abs(size + n - group_size) <= abs(size - group_size):
            batches[-1].extend(dept)
            size += n
        else:
            batches.append(list(dept))
            size = n
    order = {s.id: i for i, s in enumerate(scenario.stages)}
    groups = []
    for k, batch in enumerate(batches):
        batch.sort(key=lambda s: order[s.id])
        groups.append(
            Group(
                index=k,
                stages=tuple(s.id for s in batch),
                households=sum(members[s.id] for s in batch),
                first_out=min(rules.move_out_day(scenario, s) for s in batch),
            )
        )
    return groups


def _sharing_moving_days(scenario: Scenario) -> Iterable[tuple[str, str]]:
    """Pairs of stages whose moving days depend on each other (R13).

    Stages of one moving company (:func:`allocator.rules.department`) share
    its ``moves_per_day``. A stage's moves out look at the days from its
    first move-out day to its deadline, its returns at the days from its
    ready day to its last return: where two stages' days overlap, one may
    push the other's moves, so they are planned in one group. Only
    scenarios without ``stages[].department`` (one moving company, the
    departments told apart by stage id) have such pairs across departments.
    """
    sched = rules.schedule(scenario)
    spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for s in scenario.stages:
        company = spans[rules.department(s)]
        company.append((sched.first_out[s.id], rules.move_out_day(scenario, s), s.id))
        company.append((rules.back_day(scenario, s), sched.returns_end[s.id], s.id))
    for days in spans.values():
        days.sort()
        reach, owner = -1, ""
        for a, b, stage in days:  # closed intervals [a, b] of days looked at
            if owner and a <= reach:
                yield owner, stage
            else:
                owner = stage
            reach = max(reach, b)


# -- what the solved groups use ---------------------------------------------------------

#: An availability interval: (dwelling id, start day).
_Key = tuple[str, int]


@dataclass(frozen=True)
class _Use:
    """A use of a dwelling by a solved group, in days.

    A stay reserves the dwelling for its block [start, end)
    (:meth:`allocator.rules.Schedule.block`), its household living there over
    ``moves`` (move-in, move-out); a spare is held over its stage's offer
    period [start, end) for ``need`` (R10); a permanent letting is the mark
    start == end.
    """

    kind: SegmentKind
    start: int
    end: int
    stage: str | None
    household: str | None = None
    moves: tuple[int, int] | None = None
    need: NeedGroup | None = None

    def free_from(self, turnaround: int) -> int:
        """The first day the next use may start: a turnaround after an occupant (R2).

        Nobody lived in a spare, so the next use may start when it ends.
        """
        return self.end + (turnaround if self.kind is SegmentKind.OCCUPIED else 0)

    def segments(self, scenario: Scenario) -> list[Segment]:
        """The use's segments, as every planner writes them (:mod:`allocator.plan.timeline`)."""
        if self.kind is SegmentKind.OCCUPIED:
            assert self.household is not None and self.moves is not None
            return stay_segments(
                scenario, self.start, self.end, self.household, self.stage, *self.moves
            )
        if self.kind is SegmentKind.SPARE:
            assert self.need is not None
            return [spare_segment(scenario, self.start, self.end, self.stage, self.need)]
        date = scenario.date_of
        return [
            Segment(
                kind=self.kind,
                start=date(self.start),
                end=date(self.end),
                household=self.household,
                stage=self.stage,
            )
        ]


@dataclass
class Ledger:
    """What the groups solved so far have planned, in the whole scenario's terms.

    Attributes
    ----------
    intervals
        Every availability interval of the scenario (:func:`rules.availabilities`).
    uses
        Per availability interval, the uses planned in it, in time order.
    households
        The household plans so far (places named by dwelling or module id).
    modules
        Pavilion module timelines so far, renumbered per type.
    group_of_stage
        The group of each stage.
    solved
        Groups solved so far.
    reserved
        Dwelling id -> (stage, day): held for a household of that stage that
        must move for good on that day (:func:`reserve_for_good`).

    """

    intervals: list[rules.Availability]
    group_of_stage: dict[str, int]
    uses: dict[_Key, list[_Use]] = field(default_factory=dict)
    households: list[HouseholdPlan] = field(default_factory=list)
    modules: list[PlaceTimeline] = field(default_factory=list)
    solved: int = 0
    reserved: dict[str, tuple[str, int]] = field(default_factory=dict)

    def mode(self, household: str) -> Mode | None:
        """The mode a solved group gave ``household``, if any."""
        return self._modes.get(household)

    def __post_init__(self) -> None:
        self._modes: dict[str, Mode] = {}

    def record(self, plans: Iterable[HouseholdPlan]) -> None:
        """Add a solved group's household plans."""
        for hp in plans:
            self.households.append(hp)
            self._modes[hp.household] = hp.mode

    def copy(self) -> Ledger:
        """A copy to go back to: its containers are its own (their items never change)."""
        made = Ledger(
            intervals=self.intervals,
            group_of_stage=dict(self.group_of_stage),
            uses={key: list(uses) for key, uses in self.uses.items()},
            households=list(self.households),
            modules=list(self.modules),
            solved=self.solved,
            reserved=self.reserved,
        )
        made._modes = dict(self._modes)
        return made


@dataclass(frozen=True)
class _Stretch:
    """A free stretch [start, end) of an availability interval (see :func:`_free_stretches`).

    ``gap`` is the gap [g0, g1) between planned uses (or from the interval's
    start to the first use) the stretch lies in, with whether an occupant
    ends at g0; ``None`` after the last use.
    """

    start: int
    end: int
    gap: tuple[int, int, bool] | None


def _free_stretches(start: int, end: int, uses: Sequence[_Use], clear: int) -> list[_Stretch]:
    """The stretches of [start, end) a new use may take without touching ``uses``.

    A new use must end ``clear`` days before a planned use starts (whatever
    the new use is: a turnaround if it is a stay) and start ``clear`` days
    after a stay's block ends, or when a spare's offer period ends (R2);
    nothing follows a permanent letting.
    """
    out = []
    cursor, gap_start, occupant = start, start, False
    for use in uses:
        if use.start - clear > cursor:
            out.append(_Stretch(cursor, use.start - clear, (gap_start, use.start, occupant)))
        if use.kind is SegmentKind.PERMANENT:
            return out
        cursor = max(cursor, use.free_from(clear))
        gap_start, occupant = use.end, use.kind is SegmentKind.OCCUPIED
    if cursor < end:
        out.append(_Stretch(cursor, end, None))
    return out


def reserve_for_good(scenario: Scenario, groups: Sequence[Group]) -> dict[str, tuple[str, int]]:
    """Dwellings held back from earlier groups for households that must move for good.

    A household whose only outcome is a permanent move (a binding
    ``permanent`` agreement, or a home merged away and no dwelling won, R8)
    needs an own-organisation dwelling that fits it and is free for good
    by its moving day. Groups planned before its own would take such
    dwellings for stays that run past that day, and leave it none. So for
    each such household of a later group, in order of moving day, the
    fitting dwelling free for good by then that fell vacant last (the
    cheapest to let for good) is held back: groups before the household's
    may use it only until a turnaround before that day.

    Returns
    -------
    dict[str, tuple[str, int]]
        Dwelling id -> (the household's stage, its moving day).

    """
    sched = rules.schedule(scenario)
    group_of = {s: g.index for g in groups for s in g.stages}
    dwellings = {d.id: d for d in scenario.dwellings}
    free_for_good = sorted(
        (
            a
            for a in rules.availabilities(scenario)
            if a.end == rules.FOREVER and a.vacated_by is None
        ),
        key=lambda a: (-a.start, a.dwelling),
    )
    fits: dict[tuple[object, object], bool] = {}  # (need key, place key) -> fits for good
    reserved: dict[str, tuple[str, int]] = {}
    forced = [
        h
        for h in scenario.households
        if sched.outcomes[h.id] == (rules.Outcome.PERMANENT,)
        and group_of[scenario.stage_of(h).id] > 0
    ]
    for h in sorted(forced, key=lambda h: (sched.move_out[h.id], h.id)):
        stage, day = scenario.stage_of(h).id, sched.move_out[h.id]
        need = rules.need_key(scenario, h)
        for a in free_for_good:
            d = dwellings[a.dwelling]
            if a.start > day or d.id in reserved:
                continue
            if d.stage is not None and group_of[d.stage] > group_of[stage]:
                continue  # offered to the household's group only before its works
            key = (need, rules.place_key(d))
            if key not in fits:
                fits[key] = rules.place_fits(scenario, h, d, permanent=True)
            if fits[key]:
                reserved[d.id] = (stage, day)
                break
    return reserved


# -- sub-scenarios ---------------------------------------------------------------------


@dataclass
class SubScenario:
    """A group's scenario and how its places map back to the whole scenario.

    Attributes
    ----------
    scenario
        The derived scenario the group is solved on.
    copies
        Copy id to the availability interval (dwelling id, start) it is cut from.
    pavilion_types
        Pavilion type id of the sub-scenario to the scenario's type id.

    """

    scenario: Scenario
    copies: dict[str, _Key]
    pavilion_types: dict[str, str]


def _copy(dwelling: Dwelling, copy_id: str, start: int, end: int, scenario: Scenario) -> Dwelling:
    """A stage-less copy of ``dwelling`` available exactly in [start, end)."""
    return dwelling.model_copy(
        update={
            "id": copy_id,
            "stage": None,
            "vacant_from": scenario.date_of(start),
            "hand_back": scenario.date_of(end) if end < rules.FOREVER else None,
        }
    )


def _peak_from(periods: Iterable[tuple[int, int]], day: int) -> int:
    """Most of the rentals [a, b) that run at one time on or after ``day``."""
    events = sorted(
        [(max(a, day), 1) for a, b in periods if b > day] + [(b, -1) for a, b in periods if b > day]
    )
    running = peak = 0
    for _, step in events:  # at one day an end (-1) sorts before a start
        running += step
        peak = max(peak, running)
    return peak


def _entry_cost(
    scenario: Scenario, copy: Dwelling, stretch: _Stretch, blocks: Iterable[tuple[int, int]]
) -> float:
    """A quick estimate (øre) of housing one stay of a group in a free stretch.

    The cheapest over the group's stays' blocks [start, end) that the
    stretch covers: the gap from its start (held empty, or let
    time-limited if that fits and is cheaper, as the model prices it) plus
    the block's rent. Infinite if it covers none.
    """
    daily = rules.daily_ore(copy.monthly_rent)
    leasable = rules.first_use_after_lease(scenario, stretch.start, after_occupant=False)
    best = math.inf
    for out, back in blocks:
        if stretch.start <= out and back <= stretch.end:
            entry = daily * (out - stretch.start)
            if leasable <= out:
                entry = min(entry, rules.lease_ore(scenario, daily, after_occupant=False))
            best = min(best, entry + daily * (back - out))
    return best


def sub_scenario(
    scenario: Scenario,
    group: Group,
    ledger: Ledger,
    *,
    places_per_household: float | None = PLACES_PER_HOUSEHOLD,
) -> SubScenario:
    """The scenario group ``group`` is solved on, given what earlier groups use.

    See the module docstring for what it holds. Copies are left out where
    they cannot host a use of the group (they end before the first of its
    stages' offer periods starts or start after its last move-out day).

    Raises
    ------
    GroupMismatch
        If the sub-scenario would move a household of the group on another
        day, or give it other outcomes, than the whole scenario does (a bug:
        :func:`plan_groups` keeps together what the schedule couples).

    """
    mine = set(group.stages)
    stages = [s for s in scenario.stages if s.id in mine]
    sched = rules.schedule(scenario)
    # uses start from the offer periods (spares) to the last move-out day
    first = min(sched.offer_period(s.id)[0] for s in stages)
    last = max(sched.last_out[s.id] for s in stages)
    clear = max(1, scenario.policy.turnaround_days)
    stage_of = {s.id: s for s in scenario.stages}
    households = [h for h in scenario.households if scenario.stage_of(h).id in mine]
    blocks = {
        sched.block(scenario.stage_of(h).id, sched.return_stage(scenario, h))
        for h in households
        if h.id in sched.returns
    }
    taken_ids = {d.id for d in scenario.dwellings}

    by_dwelling: dict[str, list[rules.Availability]] = defaultdict(list)
    for a in ledger.intervals:
        by_dwelling[a.dwelling].append(a)

    dwellings: list[Dwelling] = []
    copies: dict[str, _Key] = {}
    offered: dict[tuple[object, ...], list[tuple[float, Dwelling]]] = defaultdict(list)
    for d in scenario.dwellings:
        if d.stage in mine:
            dwellings.append(_own(scenario, d, by_dwelling[d.id], ledger, clear))
            continue
        later = d.stage is not None and ledger.group_of_stage[d.stage] >= ledger.solved
        k = 0
        for a in by_dwelling.get(d.id, ()):
            if a.vacated_by is not None and ledger.mode(a.vacated_by) is not Mode.PERMANENT:
                continue  # a home that is not (yet) known to be vacated for good
            if later:  # a later group's department dwelling: only before its works
                assert d.stage is not None
                if a.end > rules.move_out_day(scenario, stage_of[d.stage]):
                    continue
            uses = ledger.uses.get((d.id, a.start), [])
            end, held_here = a.end, False
            held = ledger.reserved.get(d.id)
            if held is not None and a.end == rules.FOREVER and a.vacated_by is None:
                held_here = held[0] in mine  # its group sees it, whatever the pruning
                if not held_here and ledger.group_of_stage[held[0]] >= ledger.solved:
                    end = held[1] - clear  # held for a later group's permanent mover
            for st in _free_stretches(a.start, end, uses, clear):
                if st.start > last or st.end <= first:
                    continue
                k += 1
                copy_id = f"{d.id}~{k}"
                while copy_id in taken_ids:
                    copy_id += "~"
                taken_ids.add(copy_id)
                copies[copy_id] = (d.id, a.start)
                copy = _copy(d, copy_id, st.start, st.end, scenario)
                if st.gap is not None and not _lease_pays(
                    scenario, rules.daily_ore(d.monthly_rent), *st.gap
                ):
                    # The gap is held empty anyway: a use inside it costs no
                    # extra rent (the merge derives the gaps around it again,
                    # each at most as dear), so the group sees it rent-free.
                    copy = copy.model_copy(update={"monthly_rent": 0.0})
                if held_here:
                    dwellings.append(copy)
                else:
                    offered[rules.place_key(copy)].append(
                        (_entry_cost(scenario, copy, st, blocks), copy)
                    )
    # A portfolio's organisation has vacancies over years; every one would be
    # a unit of every group's model (P: up to 8,700 for 870 households). Each
    # group gets the cheapest of each kind by a quick estimate of what using
    # it would cost, in proportion to the kind's supply: about
    # ``places_per_household`` per household, as the single-department
    # presets have (XL: 1.26), and every wheelchair-accessible one.
    total = sum(len(v) for v in offered.values())
    share = (
        1.0
        if places_per_household is None
        else places_per_household * group.households / max(1, total)
    )
    for kind, same in offered.items():
        same.sort(key=lambda e: (e[0], e[1].id))
        keep = (
            len(same) if share >= 1 or kind[1] else max(MIN_PER_KIND, math.ceil(share * len(same)))
        )
        dwellings += [c for _, c in same[:keep]]

    rentals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in ledger.modules:
        assert m.pavilion_type is not None
        rentals[m.pavilion_type].append((scenario.day(m.collected_from), scenario.day(m.released)))
    pavilions: list[PavilionType] = []
    for p in scenario.pavilions:
        # the group's modules are rented from its first offer period, not before their lead time
        busy = _peak_from(rentals.get(p.id, []), max(first, p.lead_days))
        pavilions.append(p.model_copy(update={"max_count": max(0, p.max_count - busy)}))

    sub = Scenario(
        name=f"{scenario.name} [group {group.index + 1}]",
        municipality=scenario.municipality,
        policy=scenario.policy,
        costs=scenario.costs,
        penalties=scenario.penalties,
        stages=stages,
        dwellings=dwellings,
        households=households,
        after_dwellings=[a for a in scenario.after_dwellings if a.stage in mine],
        pavilions=pavilions,
    )
    _check_schedule(scenario, sub, households)
    return SubScenario(sub, copies, {p.id: p.id for p in pavilions})


class GroupMismatch(ValueError):
    """A group's sub-scenario schedules its households otherwise than the whole scenario."""


def _check_schedule(scenario: Scenario, sub: Scenario, households: Sequence[Household]) -> None:
    """Check that ``sub`` gives ``households`` the whole scenario's outcomes and moving days.

    Outcomes, R9 allocation, moving days and so the stays' blocks and offer
    periods (:func:`allocator.rules.schedule`) must be the same, or the
    group's plan would not fit the whole scenario.

    Raises
    ------
    GroupMismatch
        Naming the first household that differs.

    """
    whole, part = rules.schedule(scenario), rules.schedule(sub)
    for h in households:
        a = (whole.outcomes[h.id], whole.won.get(h.id), whole.move_out[h.id])
        b = (part.outcomes[h.id], part.won.get(h.id), part.move_out[h.id])
        ends = whole.returns.get(h.id), part.returns.get(h.id)
        if a != b or ends[0] != ends[1]:
            raise GroupMismatch(
                f"household {h.id}: {sub.name} schedules it {b} returning {ends[1]}, "
                f"the whole scenario {a} returning {ends[0]}"
            )
    for s in sub.stages:
        if whole.returns_end[s.id] != part.returns_end[s.id]:
            raise GroupMismatch(f"stage {s.id}: another return period in {sub.name}")


def _own(
    scenario: Scenario,
    d: Dwelling,
    intervals: Sequence[rules.Availability],
    ledger: Ledger,
    clear: int,
) -> Dwelling:
    """A department dwelling of the group, vacant only after what earlier groups use.

    Earlier groups may have used it before its own stage's works; the group
    then sees it vacant once the last of those uses is over (``clear`` days
    after a stay's block).
    """
    used = [u for a in intervals for u in ledger.uses.get((d.id, a.start), [])]
    if not used or d.vacant_from is None or d.stage is None:
        return d
    stage = rules.stage_by_id(scenario, d.stage)
    start = min(max(u.free_from(clear) for u in used), rules.back_day(scenario, stage))
    return d.model_copy(update={"vacant_from": scenario.date_of(start)})


# -- absorbing a group's plan -------------------------------------------------------------


def absorb(scenario: Scenario, sub: SubScenario, plan: Plan, ledger: Ledger) -> None:
    """Record a group's plan in ``ledger`` in the whole scenario's terms.

    Copies become their dwellings again; every use goes to the availability
    interval of the scenario it lies in; pavilion modules get ids numbered
    on from the earlier groups' modules of their type.
    """
    by_dwelling: dict[str, list[rules.Availability]] = defaultdict(list)
    for a in ledger.intervals:
        by_dwelling[a.dwelling].append(a)
    numbers: dict[str, int] = defaultdict(int)
    for m in ledger.modules:
        assert m.pavilion_type is not None
        numbers[m.pavilion_type] += 1
    renamed: dict[str, str] = {}  # module id in the group -> in the scenario
    for t in plan.places:
        if t.pavilion_type is not None:
            ptype = sub.pavilion_types[t.pavilion_type]
            numbers[ptype] += 1
            new_id = f"{ptype}-{numbers[ptype]:02d}"
            renamed[t.place] = new_id
            ledger.modules.append(t.model_copy(update={"place": new_id, "pavilion_type": ptype}))
            continue
        key = sub.copies.get(t.place)
        if key is None:  # a department dwelling of the group: find its interval
            lo, hi = scenario.day(t.collected_from), scenario.day(t.released)
            interval = next(a for a in by_dwelling[t.place] if a.start <= lo and hi <= a.end)
            key = (t.place, interval.start)
        uses = ledger.uses.setdefault(key, [])
        uses += [_use_of(scenario, seg) for seg in t.segments if seg.kind in _USES]
        uses.sort(key=lambda u: (u.start, u.end))
    plans = []
    for hp in plan.households:
        update: dict[str, Any] = {}
        if hp.place is not None:
            update["place"] = renamed.get(hp.place) or _original(sub, hp.place)
        if hp.permanent_dwelling is not None:
            update["permanent_dwelling"] = _original(sub, hp.permanent_dwelling)
        plans.append(hp.model_copy(update=update) if update else hp)
    ledger.record(plans)
    ledger.solved += 1


def _use_of(scenario: Scenario, seg: Segment) -> _Use:
    """The use a group plan's segment (occupied, spare or permanent) stands for.

    A stay reserves its place for its block in the whole scenario, which is
    the group's (:func:`_check_schedule`).
    """
    day = scenario.day
    if seg.kind is SegmentKind.OCCUPIED:
        assert seg.household is not None and seg.stage is not None
        sched = rules.schedule(scenario)
        household = scenario.household(seg.household)
        start, end = sched.block(seg.stage, sched.return_stage(scenario, household))
        moves = day(seg.start), day(seg.end)
        return _Use(seg.kind, start, end, seg.stage, seg.household, moves=moves)
    return _Use(seg.kind, day(seg.start), day(seg.end), seg.stage, seg.household, need=seg.need)


def _original(sub: SubScenario, place: str) -> str:
    key = sub.copies.get(place)
    return key[0] if key is not None else place


# -- the merged plan ---------------------------------------------------------------------


def _lease_pays(scenario: Scenario, daily: int, start: int, end: int, after_occupant: bool) -> bool:
    """Whether letting the gap [start, end) time-limited is cheaper than holding it empty.

    The same prices as the model's gap arcs: a lease costs the deposit and
    the held turnaround days around it (:func:`rules.lease_span`).
    """
    span = rules.lease_span(
        scenario, start, end, after_occupant=after_occupant, before_occupant=True
    )
    if span is None:
        return False
    held = (span[0] - start) + (end - span[1])
    return rules.deposit_ore(scenario) + daily * held < daily * (end - start)


def dwelling_timeline(
    scenario: Scenario, dwelling: Dwelling, start: int, uses: Sequence[_Use]
) -> PlaceTimeline:
    """One availability interval's timeline from ``start`` through ``uses`` (in time order).

    Every gap before a use is held empty or let time-limited, whichever is
    cheaper (:func:`gap_segments`); the place is released at the end of the
    last use (a stay's: the end of its block).
    """
    daily = rules.daily_ore(dwelling.monthly_rent)
    segments: list[Segment] = []
    t, after_occupant = start, False
    for use in uses:
        if use.start > t:
            leased = _lease_pays(scenario, daily, t, use.start, after_occupant)
            segments += gap_segments(
                scenario, t, use.start, use.stage, leased=leased, after_occupant=after_occupant
            )
        segments += use.segments(scenario)
        t, after_occupant = use.end, use.kind is SegmentKind.OCCUPIED
    return PlaceTimeline(
        place=dwelling.id,
        source=dwelling.source,
        collected_from=scenario.date_of(start),
        released=scenario.date_of(t),
        segments=segments,
    )


def merge_plans(scenario: Scenario, ledger: Ledger) -> Plan:
    """The whole scenario's plan from the groups' plans recorded in ``ledger``.

    Raises
    ------
    allocator.plan.pricing.UnpriceablePlan
        If the plan cannot be priced (a bug: every group plan could be).

    """
    order = {d.id: i for i, d in enumerate(scenario.dwellings)}
    places = [
        dwelling_timeline(scenario, scenario.dwelling(did), start, uses)
        for (did, start), uses in sorted(
            ledger.uses.items(), key=lambda e: (order[e[0][0]], e[0][1])
        )
        if uses
    ]
    places += ledger.modules
    households = sorted(ledger.households, key=lambda hp: hp.household)
    return build_plan(scenario, households, places)


# -- the planner -------------------------------------------------------------------------


def group_size_for(scenario: Scenario, estimate: int, limit: int) -> int:
    """Households per group for a scenario whose whole model was refused.

    :data:`DEFAULT_GROUP_SIZE`, or fewer where a group of that many would
    still be near ``limit`` nodes: a group's model has about its share of
    the households' share of the whole model's ``estimate`` nodes, and is
    aimed at half the limit.
    """
    households = max(1, len(scenario.households))
    fitting = households * limit // (2 * max(1, estimate))
    return max(1, min(DEFAULT_GROUP_SIZE, fitting))


def solve_portfolio(
    scenario: Scenario,
    time_limit: float = 600.0,
    num_workers: int = 2,
    seed: int = 0,
    *,
    group_size: int = DEFAULT_GROUP_SIZE,
    reason: str | None = None,
    log: bool = False,
    strategy: str = "lp-guided",
    gap_limit: float = 1e-3,
    max_nodes: int | None = None,
    bound_share: float = BOUND_SHARE,
    nodes: int | None = None,
    stop: StopCheck | None = None,
    **solver_params: Any,
) -> Result:
    """Plan a large scenario group by group (see the module docstring).

    Parameters
    ----------
    scenario
        A validated scenario.
    time_limit
        Wall-clock seconds for everything: the greedy reference plan, the
        groups' building and search, merging and checking. Each group gets
        the time left (less :data:`MERGE_SHARE` for the merge) in
        proportion to its share of the households not yet planned, at
        least 1 s; once the time for the plan is up, the groups left get
        their greedy plans (no model is built for them), so that the
        limit is overrun by at most one group's model.
    num_workers, seed, log, strategy, gap_limit
        Passed to each group's :func:`allocator.solving.single.solve_single`. With one
        worker and a fixed seed, and groups that stop at their gap limit
        (or a deterministic time limit) rather than the wall clock, the
        same scenario gives the same plan.
    group_size
        About this many households per group (whole departments).
    reason
        Why the scenario is decomposed (e.g. the size warning of the
        refused model); the result's first warning.
    max_nodes
        Passed to each group's solve: a group over the limit gets the
        greedy plan of its sub-scenario
        (:func:`allocator.solving.fallback.greedy_fallback`; a group is never
        decomposed again).
    bound_share
        Share of ``time_limit`` kept for a lower bound on the optimum once
        the plan is found (:func:`allocator.bound.lagrange.scenario_bound`); the
        groups share the rest. 0 skips the bound.
    nodes
        The whole model's size in unit-network nodes, if known (the refused
        model's estimate): the bound is skipped when the time left is too
        short to build its networks.
    stop
        A stop request (:data:`allocator.solving.settings.StopCheck`),
        passed to each group's search: once it says stop, the running
        group keeps its best plan, every group after it gets its greedy
        plan, and the lower bound is skipped.
    **solver_params
        Further CP-SAT parameters, passed to each group's solve.

    Returns
    -------
    Result
        ``FEASIBLE`` with the merged plan and, if there was time for it, the
        Lagrangian lower bound and the gap (else ``None``),
        ``solver.strategy == "portfolio"``, ``runtime`` the wall seconds of
        the whole decomposition; or the greedy plan (strategy ``"greedy"``)
        if a group found no plan, or the merged plan failed the checker or
        cost more; ``NO_SOLUTION_IN_TIME`` if neither has a plan. It never
        raises for a bad outcome.

    """
    started = time.perf_counter()
    deadline = started + time_limit * (1 - bound_share)  # for the plan
    groups = plan_groups(scenario, group_size)
    warnings = [reason] if reason else []
    warnings += rules.notice_warnings(scenario)
    notices = set(warnings)
    warnings.append(
        f"decomposed into {len(groups)} groups of whole departments (about {group_size:,} "
        "households each), solved one after the other in time order: a feasible plan"
    )
    params: dict[str, Any] = {
        **solver_params,
        "strategy": str(strategy),
        "max_time_in_seconds": float(time_limit),
        "num_workers": int(num_workers),
        "random_seed": int(seed),
        "relative_gap_limit": float(gap_limit),
        "group_size": group_size,
    }
    totals = {"variables": 0, "constraints": 0, "build": 0.0}

    def info(kind: str = "portfolio") -> SolverInfo:
        return solver_info(
            params,
            strategy=kind,
            lp=strategy == "lp-guided",
            variables=int(totals["variables"]),
            constraints=int(totals["constraints"]),
            build_seconds=float(totals["build"]),
        )

    def bound(objective: float | None = None) -> float | None:
        """The lower bound in the time left, for a plan of cost ``objective``."""
        if bound_share <= 0:
            return None
        if stop is not None and stop():
            warnings.append("no lower bound: the run was stopped on request")
            return None
        if objective is None and greedy is not None:
            objective = plan_objective(greedy)
        left = started + time_limit - time.perf_counter()
        return _lower_bound(scenario, objective, left, nodes, warnings, duals, stop)

    greedy: Plan | None = None
    greedy_error = ""
    try:
        greedy = greedy_plan(scenario)
    except GreedyFailed as exc:
        greedy_error = str(exc)

    def fallback(why: str) -> Result:
        warnings.append(why)
        if greedy is None:
            warnings.append(f"the greedy planner found no plan either: {greedy_error}")
            return _result(scenario, None, warnings, info("greedy"), started)
        warnings.append(
            "the plan is the greedy spreadsheet-style plan (allocator.heuristics.greedy): "
            "it keeps every rule"
        )
        return _result(scenario, greedy, warnings, info("greedy"), started, bound())

    ledger = Ledger(
        intervals=rules.availabilities(scenario),
        group_of_stage={s: g.index for g in groups for s in g.stages},
        reserved=reserve_for_good(scenario, groups),
    )
    left = sum(g.households for g in groups)
    # the groups' LP duals price their own stages' rows: a start for the bound
    duals = lagrange.PortableMultipliers()
    pending = list(groups)
    done: list[tuple[Group, Ledger]] = []  # each group planned, with the ledger before it
    while pending:
        group = pending.pop(0)
        t0 = time.perf_counter()
        try:
            sub = sub_scenario(scenario, group, ledger)
        except GroupMismatch as exc:  # a bug: say so, and fall back rather than mis-plan
            return fallback(f"group {group.index + 1} cannot be planned on its own: {exc}")
        remaining = (deadline - time.perf_counter()) * (1 - MERGE_SHARE)
        budget = max(1.0, remaining * max(1, group.households) / max(1, left))
        left -= group.households
        settings = Settings.of(
            budget,
            num_workers,
            seed,
            log=log,
            strategy=strategy,
            gap_limit=gap_limit,
            stop=stop,
            **solver_params,
        )
        building = time.perf_counter()
        try:  # one model per group, its LP duals kept
            if stop is not None and stop():  # no time for models: the greedy plan
                result, found = (
                    greedy_fallback(sub.scenario, "stopped on request", settings, 0),
                    None,
                )
            elif time.perf_counter() >= deadline:  # the time is up: no more models to build
                result, found = (
                    greedy_fallback(sub.scenario, "no time left for a model", settings, 0),
                    None,
                )
            else:
                result, found = single.solve_single(
                    sub.scenario, settings, max_nodes=max_nodes, duals=True
                )
        except ModelTooLarge as exc:
            refused = time.perf_counter() - building
            result, found = greedy_fallback(sub.scenario, str(exc), settings, refused), None
        if found is not None:
            duals.update(found)
        totals["variables"] += result.solver.variables
        totals["constraints"] += result.solver.constraints
        totals["build"] += result.solver.build_seconds
        name = (
            f"group {group.index + 1} ({len(group.stages)} stages, {group.households} households)"
        )
        gap = "" if result.gap is None else f", gap {result.gap:.2%}"
        cost = "no plan" if result.objective is None else f"{result.objective:,.2f} DKK"
        warnings.append(
            f"{name}: {result.status.value} ({result.solver.strategy}), {cost}{gap}, "
            f"{time.perf_counter() - t0:.1f} s of {budget:.1f} s"
        )
        warnings += [f"{name}: {w}" for w in result.warnings if w not in notices]
        if result.status is Status.INFEASIBLE and done:
            # the groups before took what it needs (say, the only dwellings its
            # households can move to for good): plan it with the group before again
            previous, ledger = done.pop()
            joined = _joined(scenario, previous, group)
            ledger.group_of_stage.update(dict.fromkeys(joined.stages, joined.index))
            left += joined.households
            pending.insert(0, joined)
            warnings.append(
                f"{name}: what it needs is taken by the groups before it; it is planned "
                f"again together with group {previous.index + 1}"
            )
            continue
        group_plan = result.plan
        if group_plan is None:  # keep the groups planned so far: try the group's greedy plan
            try:
                group_plan = greedy_plan(sub.scenario)
            except GreedyFailed as exc:
                return fallback(
                    f"{name} has no plan, not even a greedy one ({exc}), so the "
                    "decomposition has none"
                )
            warnings.append(f"{name}: the solver found no plan; the group's greedy plan is used")
        done.append((group, ledger.copy()))
        absorb(scenario, sub, group_plan, ledger)

    plan = merge_plans(scenario, ledger)
    objective = plan_objective(plan)
    report = check_plan(scenario, plan, objective)
    if not report.ok:  # a bug: say so, and fall back rather than return a bad plan
        shown = "; ".join(report.messages[:5])
        return fallback(f"the merged plan breaks {len(report.violations)} rules: {shown}")
    if greedy is not None:
        reference = plan_objective(greedy)
        if reference < objective:
            return fallback(
                f"the merged plan ({objective:,.2f} DKK) costs more than the greedy plan "
                f"({reference:,.2f} DKK)"
            )
        warnings.append(
            f"the merged plan costs {1 - objective / reference:.2%} less than the greedy "
            f"plan ({reference:,.2f} DKK)"
        )
    return _result(scenario, plan, warnings, info(), started, bound(objective))


def _joined(scenario: Scenario, first: Group, second: Group) -> Group:
    """Groups ``first`` and ``second`` as one group in the place of ``first``."""
    order = {s.id: i for i, s in enumerate(scenario.stages)}
    return Group(
        index=first.index,
        stages=tuple(sorted(first.stages + second.stages, key=order.__getitem__)),
        households=first.households + second.households,
        first_out=min(first.first_out, second.first_out),
    )


def _lower_bound(
    scenario: Scenario,
    objective: float | None,
    seconds: float,
    nodes: int | None,
    warnings: list[str],
    start: lagrange.PortableMultipliers | None = None,
    stop: StopCheck | None = None,
) -> float | None:
    """The Lagrangian lower bound in DKK within ``seconds``, or ``None`` (with a warning)."""
    if seconds <= 0:
        return None
    need = 2 * BOUND_SECONDS_PER_NODE * (nodes or 0)
    if seconds < max(need, 1.0):
        warnings.append(
            f"no lower bound: {seconds:.0f} s were left, and building the whole scenario's "
            f"networks for it takes about {need / 2:.0f} s"
        )
        return None
    upper = None if objective is None else objective * 100
    found = lagrange.scenario_bound(
        scenario, upper=upper, time_limit=seconds, start=start, stop=stop
    )
    bound = (math.floor(found.bound) - 1) / 100  # whole øre, below any rounding
    warnings.append(
        f"lower bound {bound:,.2f} DKK: a Lagrangian relaxation of the whole scenario "
        f"(allocator.bound.lagrange), {found.iterations} subgradient steps in {found.seconds:.0f} s"
    )
    return bound


def _result(
    scenario: Scenario,
    plan: Plan | None,
    warnings: list[str],
    info: SolverInfo,
    started: float,
    bound: float | None = None,
) -> Result:
    """A FEASIBLE result with ``plan`` and the bound, if any; or no plan."""
    return make_result(
        scenario.name,
        Status.FEASIBLE if plan is not None else Status.NO_SOLUTION_IN_TIME,
        objective=plan_objective(plan) if plan is not None else None,
        bound=bound,
        runtime=time.perf_counter() - started,
        plan=plan,
        warnings=warnings,
        solver=info,
    )
