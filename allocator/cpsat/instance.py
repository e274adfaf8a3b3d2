"""The scenario turned into integer data for the path formulation.

Nothing here knows CP-SAT: this module derives, once per solve, what the
model needs and what the plan extraction reads back:

- **windows**: the block a rehousing place is reserved for a temporary stay
  of stage s: from the stage's first move-out day to the end of the return
  period of the stage its households move back into (its own, or that of
  the after-renovation dwelling they won; R1, R9, R13:
  :class:`allocator.rules.Schedule`);
- **options**: per household, what can happen to it (return to its own
  dwelling after a stay, win an after-renovation dwelling, move for good)
  and what each option costs the household budget (R8, R13, R14);
- **classes**: households that need the same kind of place (size,
  accessibility, sources, soft wishes). Places are given to classes, not
  to individual households: that keeps the model small and its LP tight;
- **units**: an availability interval of a dwelling (R11); each unit follows
  a path source → uses in time order → end. Its **nodes** are the uses it
  can make (a stay of a window, a spare hold at a stage's move-out day, a
  permanent letting) and, per stage, three time points: the stage's hub
  (leads on to its uses), a *wait* node (held empty through that day) and
  a *lease* node (let time-limited through that day). Gaps between uses
  run along the wait or the lease chain, so the arcs grow with uses plus
  stages, not with uses times stages (see :func:`_link`);
- **chains**: the sequences of windows one pavilion module can serve (R12).

See docs/MODEL.md for the rules behind every number.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from allocator import rules
from models.plan import NeedGroup
from models.scenario import Dwelling, Household, PavilionType, Scenario, Source, StayRent

#: Most chains enumerated per pavilion type; longer chains are dropped first.
MAX_CHAINS = 4000


class ModelTooLarge(ValueError):
    """The unit networks would have more nodes than the caller allows."""

    def __init__(self, nodes: int, estimate: int, limit: int) -> None:
        super().__init__(
            f"the model is too large to build: the candidate dwellings' networks would have "
            f"about {estimate:,} nodes (stopped at {nodes:,}; the limit is {limit:,}). "
            "Plan fewer departments or stages at once, or raise max_nodes"
        )
        self.nodes, self.estimate, self.limit = nodes, estimate, limit


@dataclass(frozen=True)
class Window:
    """The block [start, end) a place is reserved for a stay of ``stage``.

    ``into`` is the stage whose dwellings its households move back into.
    """

    index: int
    stage: str
    start: int
    end: int
    into: str


class OptionKind(Enum):
    """What can happen to a household (R8, R9)."""

    OWN = "own"  # temporary stay, then back to its own dwelling
    AFTER = "after"  # wins an after-renovation dwelling (with or without a stay)
    PERMANENT = "permanent"  # moves for good to an own-organisation dwelling


@dataclass(frozen=True)
class Option:
    """One possible outcome for a household and its household-side cost (øre)."""

    kind: OptionKind
    window: int | None  # index of the temporary-stay window, if any
    after: str | None = None
    cost: int = 0  # budget cost and the outcome's own penalty, øre
    outcome: rules.Outcome = rules.Outcome.OWN


@dataclass(frozen=True)
class Signature:
    """What a household needs of a place; equal signatures form a class."""

    min_rooms: int
    rooms_max: int | None
    wheelchair: bool
    step_free: bool
    max_floor: int | None
    excluded: frozenset[Source]
    preferred: frozenset[Source]
    rooms_min: int | None
    # with policy.stay_rent = lower_of_two what a stay costs depends on the
    # household's own rent and days away: they are part of its class then
    own_daily: int | None = None
    stay_days: int | None = None


@dataclass
class HouseholdInfo:
    """Per-household derived data."""

    household: Household
    stage: str
    out: int  # the day it moves out
    back: int | None  # the day it moves back, if an outcome returns
    signature: int  # index into Instance.signatures
    options: list[Option]


class NodeKind(Enum):
    """A use of a unit."""

    STAY = "stay"  # reserved for a household of a window (its block)
    SPARE = "spare"  # held ready over a stage's offer period (R10)
    PERMANENT = "permanent"  # let for good to a permanent mover on its moving day (terminal)
    HUB = "hub"  # a stage's move-out day: leads on to the stage's uses
    WAIT = "wait"  # held empty through a stage's move-out day (time-expanded chain)
    LEASE = "lease"  # let on a time-limited lease through a stage's move-out day


#: Nodes that are points in time, not uses: a path passes them, never ends there.
TIME_POINTS = frozenset({NodeKind.HUB, NodeKind.WAIT, NodeKind.LEASE})


@dataclass(frozen=True)
class Node:
    """A possible use of a unit (or a time point): ``stage`` for all but the source.

    ``classes``: the household classes (signature indices) it can serve:
    for a stay those of its window, for a spare those of its stage that
    have a stay, for a permanent letting those of its stage and day.
    """

    kind: NodeKind
    start: int
    end: int
    window: int | None = None
    stage: str | None = None
    classes: tuple[int, ...] = ()  # classes (signature indices) it can serve


@dataclass
class Unit:
    """An availability interval of one dwelling, with its possible uses."""

    index: int
    dwelling: str
    start: int
    end: int
    vacated_by: str | None
    daily: int
    kind: int  # dwelling type: units of one type fit the same classes alike
    nodes: list[Node] = field(default_factory=list)
    # arcs[(i, j)] = price of the arc in øre (gap days, deposits); i == -1 is the source.
    arcs: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Chain:
    """A sequence of windows one pavilion module serves, and its cost (øre).

    ``spare_windows``: the windows in which the module, if nobody lives in
    it, can count as a spare of the window's stage (R10): it is rented and
    free over the stage's whole offer period.
    """

    windows: tuple[int, ...]
    rent_start: int
    rent_end: int
    cost: int
    spare_windows: frozenset[int] = frozenset()


@dataclass
class PavilionInfo:
    """A pavilion type, the classes it fits, the windows it can serve and its chains."""

    pavilion: PavilionType
    classes: frozenset[int]
    chains: list[Chain]
    windows: list[int] = field(default_factory=list)  # usable: after lead time, fitting
    complete: bool = True  # False if ``chains`` stop at MAX_CHAINS


@dataclass
class Instance:
    """Everything the model and the plan extraction need, in integers."""

    scenario: Scenario
    windows: list[Window]
    stage_windows: dict[str, list[int]]
    signatures: list[Signature]
    households: list[HouseholdInfo]
    units: list[Unit]
    kinds: int  # number of dwelling types
    pavilions: list[PavilionInfo]
    constant_cost: int  # household costs that do not depend on decisions
    warnings: list[str]
    schedule: rules.Schedule
    # one household of each class: its fit and penalties stand for the class
    representatives: dict[int, Household] = field(default_factory=dict)
    # the classes of the households that may stay in each window
    classes_by_window: dict[int, set[int]] = field(default_factory=dict)
    # need index (fit rules only, rules.need_key) of each class, and each need's group
    need_of: dict[int, int] = field(default_factory=dict)
    need_groups: list[NeedGroup] = field(default_factory=list)

    def window_classes(self, w: int) -> set[int]:
        """Signatures of households that may stay in window ``w``."""
        return self.classes_by_window.get(w, set())

    def stage_classes(self, stage: str) -> set[int]:
        """Signatures of the households of ``stage`` that may have a stay (R10 spares)."""
        return set().union(*(self.window_classes(w) for w in self.stage_windows.get(stage, [])))


def signature_of(scenario: Scenario, h: Household, stay_days: int | None = None) -> Signature:
    """The requirement signature of a household (with ``stay_days`` of its stay, if any)."""
    lower_of_two = scenario.policy.stay_rent is StayRent.LOWER_OF_TWO
    return Signature(
        min_rooms=scenario.min_rooms(h),
        rooms_max=h.rooms_max,
        wheelchair=h.wheelchair,
        step_free=h.step_free,
        max_floor=h.max_floor,
        excluded=frozenset(h.excluded_sources),
        preferred=frozenset(h.preferred_sources),
        rooms_min=h.rooms_min,
        own_daily=rules.daily_ore(scenario.dwelling(h.dwelling).monthly_rent)
        if lower_of_two
        else None,
        stay_days=stay_days if lower_of_two else None,
    )


#: Takes each unit as it is made, instead of :attr:`Instance.units` keeping it.
UnitSink = Callable[["Instance", "Unit"], None]


def build_instance(
    scenario: Scenario, max_nodes: int | None = None, *, on_unit: UnitSink | None = None
) -> Instance:
    """Derive the integer instance of ``scenario``.

    Raises :class:`ModelTooLarge` as soon as the units' nodes pass
    ``max_nodes`` (if given), before the time and memory go into building it,
    and :class:`allocator.rules.Unschedulable` if a stage's households cannot
    all move out in time.

    With ``on_unit``, each unit is passed to it as soon as it is made (with
    the instance, whose other data is complete but for the pavilions) and
    not kept: ``units`` stays empty, and no warnings about households
    without a place are derived. A consumer that needs each network once
    (the Lagrangian bound of a portfolio) so never holds them all.
    """
    sched = rules.schedule(scenario)
    windows: list[Window] = []
    window_index: dict[tuple[str, str], int] = {}

    def window(stage: str, into: str) -> int:
        key = (stage, into)
        if key not in window_index:
            start, end = sched.block(stage, into)
            window_index[key] = len(windows)
            windows.append(Window(len(windows), stage, start, end, into))
        return window_index[key]

    signatures: list[Signature] = []
    sig_index: dict[Signature, int] = {}
    infos: list[HouseholdInfo] = []
    warnings = rules.notice_warnings(scenario) + rules.wish_warnings(scenario)
    constant = 0
    kinds = {
        rules.Outcome.OWN: OptionKind.OWN,
        rules.Outcome.AFTER: OptionKind.AFTER,
        rules.Outcome.DIRECT: OptionKind.AFTER,
        rules.Outcome.PERMANENT: OptionKind.PERMANENT,
    }
    for h in sorted(scenario.households, key=lambda h: rules.seniority_key(scenario, h)):
        stage = scenario.stage_of(h)
        out, back = sched.move_out[h.id], sched.returns.get(h.id)
        sig = signature_of(scenario, h, None if back is None else back - out)
        sig_i = sig_index.setdefault(sig, len(signatures))
        if sig_i == len(signatures):
            signatures.append(sig)
        constant += rules.consultant_ore(scenario)
        options: list[Option] = []
        for outcome in sched.outcomes[h.id]:
            after = (
                sched.won.get(h.id)
                if outcome in (rules.Outcome.AFTER, rules.Outcome.DIRECT)
                else None
            )
            w = None
            if outcome in rules.STAYS:
                w = window(stage.id, sched.return_stage(scenario, h))
            prices = rules.outcome_cost_ore(scenario, h, outcome, out, back, after)
            cost = sum(prices.values()) + rules.outcome_penalty_ore(scenario, h, outcome)
            options.append(Option(kinds[outcome], w, after, cost, outcome))
        infos.append(HouseholdInfo(h, stage.id, out, back, sig_i, options))
    warnings += [p for p in sched.problems if p not in warnings]

    stage_windows: dict[str, list[int]] = defaultdict(list)
    for made in windows:
        stage_windows[made.stage].append(made.index)

    inst = Instance(
        scenario=scenario,
        windows=windows,
        stage_windows=dict(stage_windows),
        signatures=signatures,
        households=infos,
        units=[],
        kinds=0,
        pavilions=[],
        constant_cost=constant,
        warnings=warnings,
        schedule=sched,
    )
    need_index: dict[rules.fit.NeedKey, int] = {}
    for info in infos:
        h = info.household
        if info.signature not in inst.representatives:
            inst.representatives[info.signature] = h
            need = need_index.setdefault(rules.need_key(scenario, h), len(need_index))
            if need == len(inst.need_groups):
                inst.need_groups.append(rules.need_group(scenario, h))
            inst.need_of[info.signature] = need
        for opt in info.options:
            if opt.window is not None:
                inst.classes_by_window.setdefault(opt.window, set()).add(info.signature)
    _build_units(inst, max_nodes, on_unit)
    _build_pavilions(inst)
    if on_unit is None:
        _explain_unhoused(inst)
    return inst


def _explain_unhoused(inst: Instance) -> None:
    """Warn about households none of whose outcomes has a fitting place.

    Such a scenario is infeasible; the warning says why in a planner's words.
    """
    stays: set[tuple[int, int]] = set()
    permanent: set[tuple[str | None, int, int]] = set()
    # units of a dwelling type share their node objects: look at each once
    distinct = {id(node): node for unit in inst.units for node in unit.nodes}
    for node in distinct.values():
        for c in node.classes:
            if node.kind is NodeKind.STAY and node.window is not None:
                stays.add((node.window, c))
            elif node.kind is NodeKind.PERMANENT:
                permanent.add((node.stage, node.start, c))
    for pav in inst.pavilions:
        for chain in pav.chains:
            for w in chain.windows:
                stays.update((w, c) for c in pav.classes)
    for info in inst.households:

        def housed(o: Option, info: HouseholdInfo = info) -> bool:
            if o.window is not None:
                return (o.window, info.signature) in stays
            if o.kind is OptionKind.PERMANENT:
                return (info.stage, info.out, info.signature) in permanent
            return True  # direct move into an after-renovation dwelling

        if info.options and not any(housed(o) for o in info.options):
            h = info.household
            first = info.options[0].window
            date = inst.scenario.date_of
            if first is not None:
                stay = inst.windows[first]
                why = (
                    "no rehousing place fits it (R5-R7, R15) and is free from its stage's "
                    f"first move-out day {date(stay.start)} to the end of its return period "
                    f"{date(stay.end)}"
                )
            else:
                why = (
                    "no own-organisation dwelling fits it and is free by its moving day "
                    f"{date(info.out)} for a permanent move"
                )
            inst.warnings.append(f"household {h.id}: {why}")


@dataclass
class _KindUses:
    """A dwelling type's index and the uses any of its units can make, in node order."""

    kind: int
    stays: list[Node]  # in window order
    spares: list[Node]  # in stage order
    permanents: list[Node]  # by day


def _build_units(
    inst: Instance, max_nodes: int | None = None, on_unit: UnitSink | None = None
) -> None:
    scenario, sched = inst.scenario, inst.schedule
    nodes = made = 0
    reps = inst.representatives
    window_sigs = {w.index: sorted(inst.window_classes(w.index)) for w in inst.windows}
    # the classes that may move for good, per stage and moving day
    perm_sigs: dict[tuple[str, int], set[int]] = defaultdict(set)
    for info in inst.households:
        if any(o.kind is OptionKind.PERMANENT for o in info.options):
            perm_sigs[(info.stage, info.out)].add(info.signature)
    spare_sigs = (
        {s.id: inst.stage_classes(s.id) for s in scenario.stages}
        if rules.overcapacity_pct(scenario)
        else {}
    )

    # Dwellings with equal place keys (rules.place_key) fit the same classes
    # alike and form a type; places are counted per type, not per dwelling
    # (a smaller model). The uses a type can make (its stays, spares and
    # permanent lettings) are derived once per type; a unit keeps those
    # inside its interval. Nodes are immutable, so the units of a type share them.
    kinds: dict[rules.fit.PlaceKey, _KindUses] = {}
    stay_classes = {c for sigs in window_sigs.values() for c in sigs}
    perm_classes = {c for sigs in perm_sigs.values() for c in sigs}
    need_of = inst.need_of

    def fitting(dwelling: Dwelling, classes: set[int], *, permanent: bool) -> set[int]:
        """The ``classes`` that ``dwelling`` can house (R5-R8, R15), asked once per need."""
        answers: dict[int, bool] = {}
        fits = set()
        for c in classes:
            ok = answers.get(need_of[c])
            if ok is None:
                ok = rules.place_fits(scenario, reps[c], dwelling, permanent=permanent)
                answers[need_of[c]] = ok
            if ok:
                fits.add(c)
        return fits

    time_points: dict[tuple[int, str], tuple[Node, Node, Node]] = {}
    availabilities = rules.availabilities(scenario)
    for done, avail in enumerate(availabilities):
        dwelling = scenario.dwelling(avail.dwelling)
        key = rules.place_key(dwelling)
        if scenario.policy.stay_rent is StayRent.LOWER_OF_TWO:
            # what the tenant pays depends on the place's rent then (R14)
            key = (*key, rules.daily_ore(dwelling.monthly_rent))
        uses = kinds.get(key)
        if uses is None:
            temp_fit = fitting(dwelling, stay_classes, permanent=False)
            perm_fit = fitting(dwelling, perm_classes, permanent=True)
            stays = []
            for w in inst.windows:
                fits = tuple(c for c in window_sigs[w.index] if c in temp_fit)
                if fits:
                    stays.append(
                        Node(
                            NodeKind.STAY,
                            w.start,
                            w.end,
                            window=w.index,
                            stage=w.stage,
                            classes=fits,
                        )
                    )
            # R10: a spare holds the place ready for the households of its stage
            spares = []
            for stage, sigs in spare_sigs.items():
                fits = tuple(sorted(sigs & temp_fit))
                if fits:
                    start, end = sched.offer_period(stage)
                    spares.append(Node(NodeKind.SPARE, start, end, stage=stage, classes=fits))
            permanents = []
            for (stage, day), sigs in sorted(
                perm_sigs.items(), key=lambda kv: (kv[0][1], kv[0][0])
            ):
                fits = tuple(sorted(sigs & perm_fit))
                if fits:
                    permanents.append(Node(NodeKind.PERMANENT, day, day, stage=stage, classes=fits))
            uses = kinds[key] = _KindUses(len(kinds), stays, spares, permanents)
        unit = Unit(
            index=made,
            dwelling=dwelling.id,
            start=avail.start,
            end=avail.end,
            vacated_by=avail.vacated_by,
            daily=rules.daily_ore(dwelling.monthly_rent),
            kind=uses.kind,
        )
        unit.nodes = [
            n for n in (*uses.stays, *uses.spares) if unit.start <= n.start and n.end <= unit.end
        ]
        if unit.end == rules.FOREVER:
            unit.nodes += [n for n in uses.permanents if unit.start <= n.start]
        if not unit.nodes:
            continue
        _link(inst, unit, time_points)
        if on_unit is None:
            inst.units.append(unit)
        else:
            on_unit(inst, unit)
        made += 1
        nodes += len(unit.nodes)
        if max_nodes is not None and nodes > max_nodes:
            estimate = nodes * len(availabilities) // (done + 1)
            raise ModelTooLarge(nodes, estimate, max_nodes)
    inst.kinds = len(kinds)


def _time_points(
    cache: dict[tuple[int, str], tuple[Node, Node, Node]], day: int, stage: str
) -> tuple[Node, Node, Node]:
    """The wait, lease and hub nodes of ``stage`` on ``day``, made once and shared."""
    made = cache.get((day, stage))
    if made is None:
        made = cache[(day, stage)] = (
            Node(NodeKind.WAIT, day, day, stage=stage),
            Node(NodeKind.LEASE, day, day, stage=stage),
            Node(NodeKind.HUB, day, day, stage=stage),
        )
    return made


def _link(
    inst: Instance, unit: Unit, time_points: dict[tuple[int, str], tuple[Node, Node, Node]]
) -> None:
    """Add the time points of ``unit`` and its arcs (R2 turnaround, R11 gap prices).

    The uses of a stage start on few days: its spares on the first day of
    its offer period, its stays on its first move-out day, permanent
    lettings on the moving days; time points are per (day, stage). A gap
    between two uses is either
    held empty (the unit's rent every day) or let on one time-limited lease
    (a deposit and the held turnaround days), whichever the solver finds
    cheaper. Rather than one arc from every use to every later stage, the
    gap runs along one of two chains over the stages' move-out days, in
    time order:

    - wait chain: use → wait(k) → wait(k+1) → … → hub(m): held empty,
      priced day by day, so any span costs its days;
    - lease chain: use → lease(k) → … → hub(m): the deposit and turnaround
      days are paid on entering, at the first day k a lease can fit, so any
      later m fits too.

    The hub of a stage leads on to the stage's uses only, so a path cannot
    leave the lease chain and then wait (a pattern no plan prices). The
    paths and their prices are those of direct arcs between uses with the
    cheaper gap use, with arcs growing as uses + stages.
    """
    scenario = inst.scenario
    turn = scenario.policy.turnaround_days
    daily = unit.daily
    points = sorted({(n.start, n.stage) for n in unit.nodes if n.stage is not None})
    times = [t for t, _ in points]
    # Topological order (arcs always lead to a higher index, which pricing
    # relies on): by day; on one day the chains, then hubs, then the uses in
    # the order they were made. Built day by day rather than sorted.
    uses_on: dict[int, list[Node]] = defaultdict(list)
    for n in unit.nodes:
        uses_on[n.start].append(n)
    nodes: list[Node] = []
    wait: list[int] = []
    lease: list[int] = []
    hub_of: dict[tuple[int, str | None], int] = {}
    uses: list[int] = []  # positions of the uses, in order
    for day, group in itertools.groupby(points, key=operator.itemgetter(0)):
        on_day = [stage for _, stage in group]
        shared = [_time_points(time_points, day, stage) for stage in on_day]
        for wait_node, lease_node, _ in shared:
            wait.append(len(nodes))
            lease.append(len(nodes) + 1)
            nodes += (wait_node, lease_node)
        for (_, _, hub), stage in zip(shared, on_day, strict=True):
            hub_of[(day, stage)] = len(nodes)
            nodes.append(hub)
        uses += range(len(nodes), len(nodes) + len(uses_on[day]))
        nodes += uses_on[day]
    unit.nodes = nodes
    arcs = unit.arcs

    def leave(i: int, end: int, *, occupant: bool, zero_length: bool) -> None:
        """Arcs from node ``i`` (a use ending on ``end``, or the source) into the chains."""
        # after an occupant the turnaround (R2); a zero-length use is over only
        # the day after; nobody lived in a spare, so the next use may start at once
        gap = (max(turn, 1) if zero_length else turn) if occupant else int(zero_length)
        k = bisect.bisect_left(times, end + gap)
        if k < len(times):
            arcs[(i, wait[k])] = daily * (times[k] - end)
        first = rules.first_use_after_lease(scenario, end, after_occupant=occupant)
        k = bisect.bisect_left(times, first)
        if k < len(times):
            arcs[(i, lease[k])] = rules.lease_ore(scenario, daily, after_occupant=occupant)

    leave(-1, unit.start, occupant=False, zero_length=False)
    for k, point in enumerate(points):
        arcs[(wait[k], hub_of[point])] = 0
        arcs[(lease[k], hub_of[point])] = 0
        if k + 1 < len(points):
            arcs[(wait[k], wait[k + 1])] = daily * (times[k + 1] - times[k])
            arcs[(lease[k], lease[k + 1])] = 0
    for j in uses:
        n = nodes[j]
        arcs[(hub_of[(n.start, n.stage)], j)] = 0
        if n.kind is not NodeKind.PERMANENT:  # a permanent letting ends the path
            leave(j, n.end, occupant=n.kind is NodeKind.STAY, zero_length=n.end == n.start)
    assert all(i < j for i, j in arcs), "unit arcs must follow the node order"


def _build_pavilions(inst: Instance) -> None:
    scenario = inst.scenario
    reps = inst.representatives
    for p in scenario.pavilions:
        fits = frozenset(sig for sig, h in reps.items() if rules.place_fits(scenario, h, p))
        usable = sorted(
            (
                w
                for w in inst.windows
                if w.start >= p.lead_days and inst.window_classes(w.index) & fits
            ),
            key=lambda w: (w.start, w.end, w.index),
        )
        chains = _chains(inst, p, usable)
        complete = len(chains) < MAX_CHAINS
        if not complete:
            inst.warnings.append(
                f"pavilion type {p.id}: more than {MAX_CHAINS} module schedules; only the "
                "first are considered"
            )
        windows = [w.index for w in usable]
        inst.pavilions.append(PavilionInfo(p, fits, chains, windows, complete))


def _chains(inst: Instance, p: PavilionType, usable: list[Window]) -> list[Chain]:
    """Every sequence of ``usable`` windows one module can serve in turn (R2, R12).

    A module is in place for the offer period of the first stage it serves
    (so tenants can be offered it), not before its lead time: its rental
    runs from then to the end of its last window, at least ``min_months``
    (:func:`allocator.rules.pavilion_rental_days`). Depth-first in time
    order, so that if the cap ``MAX_CHAINS`` bites the short chains are kept.
    """
    sched = inst.schedule
    turn = inst.scenario.policy.turnaround_days
    chains: list[Chain] = []
    stack: list[tuple[int, ...]] = [(w.index,) for w in reversed(usable)]
    while stack and len(chains) < MAX_CHAINS:
        seq = stack.pop()
        first, last = inst.windows[seq[0]], inst.windows[seq[-1]]
        rent_start = max(sched.offer_period(first.stage)[0], p.lead_days)
        days = rules.pavilion_rental_days(p, rent_start, last.end)
        spare = {
            w
            for k, w in enumerate(seq)
            if _free_for_offers(
                inst, w, rent_start if k == 0 else inst.windows[seq[k - 1]].end + turn
            )
        }
        cost = sum(rules.pavilion_rental_ore(p, days).values())
        chains.append(Chain(seq, rent_start, rent_start + days, cost, frozenset(spare)))
        stack.extend((*seq, w.index) for w in reversed(usable) if w.start >= last.end + turn)
    return chains


def _free_for_offers(inst: Instance, w: int, free_from: int) -> bool:
    """Whether a module free from ``free_from`` can be a spare of window ``w``'s stage."""
    return free_from <= inst.schedule.offer_period(inst.windows[w].stage)[0]
