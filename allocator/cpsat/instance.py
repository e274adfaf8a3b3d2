"""The scenario turned into integer data for the path formulation.

Nothing here knows CP-SAT: this module derives, once per solve, what the
model needs and what the plan extraction reads back:

- **windows**: a temporary stay [out(s), end) of stage s, where ``end`` is the
  stage's return day or the ready day of an after-renovation dwelling (R1, R9);
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
import dataclasses
import itertools
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from allocator import rules
from models.scenario import Agreement, Dwelling, Household, PavilionType, Scenario, Source

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
    """A temporary stay [start, end) of households of ``stage``."""

    index: int
    stage: str
    start: int
    end: int


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
    cost: int = 0


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


@dataclass
class HouseholdInfo:
    """Per-household derived data."""

    household: Household
    stage: str
    out: int
    back: int
    signature: int  # index into Instance.signatures
    options: list[Option]
    wanted: list[str]  # eligible wished after-dwellings, best first (R9)


class NodeKind(Enum):
    """A use of a unit."""

    STAY = "stay"  # a household of a window lives there
    SPARE = "spare"  # held ready at a stage's move-out day (R10)
    PERMANENT = "permanent"  # let for good to a permanent mover (terminal)
    HUB = "hub"  # a stage's move-out day: leads on to the stage's uses
    WAIT = "wait"  # held empty through a stage's move-out day (time-expanded chain)
    LEASE = "lease"  # let on a time-limited lease through a stage's move-out day


#: Nodes that are points in time, not uses: a path passes them, never ends there.
TIME_POINTS = frozenset({NodeKind.HUB, NodeKind.WAIT, NodeKind.LEASE})


@dataclass(frozen=True)
class Node:
    """A possible use of a unit; ``stage`` for spare and permanent nodes."""

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
    """A sequence of windows one pavilion module serves, and its cost (øre)."""

    windows: tuple[int, ...]
    rent_start: int
    rent_end: int
    cost: int


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
    # one household of each class: its fit and penalties stand for the class
    representatives: dict[int, Household] = field(default_factory=dict)
    # the classes of the households that may stay in each window
    classes_by_window: dict[int, set[int]] = field(default_factory=dict)

    def window_classes(self, w: int) -> set[int]:
        """Signatures of households that may stay in window ``w``."""
        return self.classes_by_window.get(w, set())


@dataclass(frozen=True)
class SeniorityRows:
    """R9 as rows over household options, each a list of (household, option) indices.

    ``at_most_one``: each after-renovation dwelling goes to one household at
    most. ``at_least_one``: for every wish of a participating household,
    it gets that dwelling or one it ranks higher, or a more senior household
    gets it, or it moves out for good (no justified envy, no waste).
    Households are stored most senior first.
    """

    at_most_one: list[list[tuple[int, int]]]
    at_least_one: list[list[tuple[int, int]]]


def seniority_rows(inst: Instance) -> SeniorityRows:
    """The R9 rows of ``inst`` (the model and the Lagrangian bound share them)."""
    wins: dict[tuple[int, str], int] = {}
    for hi, info in enumerate(inst.households):
        for k, opt in enumerate(info.options):
            if opt.kind is OptionKind.AFTER and opt.after is not None:
                wins[(hi, opt.after)] = k
    by_after: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (hi, a), k in wins.items():
        by_after[a].append((hi, k))
    at_least_one: list[list[tuple[int, int]]] = []
    for hi, info in enumerate(inst.households):
        if not any((hi, a) in wins for a in info.wanted):
            continue
        permanent = [
            (hi, k) for k, opt in enumerate(info.options) if opt.kind is OptionKind.PERMANENT
        ]
        for rank, a in enumerate(info.wanted):
            as_good = [(hi, wins[(hi, b)]) for b in info.wanted[: rank + 1]]
            senior = [(hj, k) for hj, k in by_after[a] if hj < hi]
            at_least_one.append(as_good + senior + permanent)
    return SeniorityRows(list(by_after.values()), at_least_one)


def signature_of(scenario: Scenario, h: Household) -> Signature:
    """The requirement signature of a household."""
    return Signature(
        min_rooms=scenario.min_rooms(h),
        rooms_max=h.rooms_max,
        wheelchair=h.wheelchair,
        step_free=h.step_free,
        max_floor=h.max_floor,
        excluded=frozenset(h.excluded_sources),
        preferred=frozenset(h.preferred_sources),
        rooms_min=h.rooms_min,
    )


def _moves(scenario: Scenario, h: Household, n: int) -> int:
    return n * sum(rules.move_cost_ore(scenario, h).values())


def _stay(scenario: Scenario, h: Household, days: int) -> int:
    return sum(rules.stay_cost_ore(scenario, h, days).values())


def build_instance(scenario: Scenario, max_nodes: int | None = None) -> Instance:
    """Derive the integer instance of ``scenario``.

    Raises :class:`ModelTooLarge` as soon as the units' nodes pass
    ``max_nodes`` (if given), before the time and memory go into building it.
    """
    removed = scenario.removed_dwellings()
    windows: list[Window] = []
    window_index: dict[tuple[str, int], int] = {}

    def window(stage: str, start: int, end: int) -> int:
        key = (stage, end)
        if key not in window_index:
            window_index[key] = len(windows)
            windows.append(Window(len(windows), stage, start, end))
        return window_index[key]

    signatures: list[Signature] = []
    sig_index: dict[Signature, int] = {}
    infos: list[HouseholdInfo] = []
    warnings = rules.notice_warnings(scenario)
    constant = 0
    for h in sorted(scenario.households, key=lambda h: rules.seniority_key(scenario, h)):
        stage = scenario.stage_of(h)
        out, back = rules.move_out_day(scenario, stage), rules.back_day(scenario, stage)
        sig = signature_of(scenario, h)
        sig_i = sig_index.setdefault(sig, len(signatures))
        if sig_i == len(signatures):
            signatures.append(sig)
        own_daily = rules.daily_ore(scenario.dwelling(h.dwelling).monthly_rent)
        constant += rules.ore(scenario.costs.consultant_per_household)
        options: list[Option] = []
        wanted = [a.id for a in rules.wanted_after(scenario, h)]
        if h.agreement is not Agreement.PERMANENT:
            if h.dwelling not in removed:
                options.append(
                    Option(
                        OptionKind.OWN,
                        window(stage.id, out, back),
                        cost=_moves(scenario, h, 2) + _stay(scenario, h, back - out),
                    )
                )
            for a_id in wanted:
                a = scenario.after_dwelling(a_id)
                ready = rules.ready_day(scenario, a)
                if ready > out:  # a temporary stay until it is ready
                    cost = (
                        _moves(scenario, h, 2)
                        + _stay(scenario, h, ready - out)
                        + own_daily * max(0, back - ready)
                    )
                    options.append(
                        Option(OptionKind.AFTER, window(stage.id, out, ready), a_id, cost)
                    )
                else:  # moves straight in on its move-out day
                    cost = (
                        _moves(scenario, h, 1)
                        + own_daily * (back - out)
                        + rules.daily_ore(a.monthly_rent) * (out - ready)
                    )
                    options.append(Option(OptionKind.AFTER, None, a_id, cost))
        if h.agreement is not Agreement.TEMPORARY:
            cost = _moves(scenario, h, 1) + own_daily * max(0, back - out)
            options.append(Option(OptionKind.PERMANENT, None, cost=cost))
        if not options:
            warnings.append(
                f"household {h.id}: its dwelling is merged away and it can win no wished "
                "after-renovation dwelling, so it has nowhere to return to"
            )
        infos.append(HouseholdInfo(h, stage.id, out, back, sig_i, options, wanted))

    stage_windows: dict[str, list[int]] = defaultdict(list)
    for w in windows:
        stage_windows[w.stage].append(w.index)

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
    )
    for info in infos:
        inst.representatives.setdefault(info.signature, info.household)
        for opt in info.options:
            if opt.window is not None:
                inst.classes_by_window.setdefault(opt.window, set()).add(info.signature)
    _build_units(inst, max_nodes)
    _build_pavilions(inst)
    _explain_unhoused(inst)
    return inst


def _explain_unhoused(inst: Instance) -> None:
    """Warn about households none of whose outcomes has a fitting place.

    Such a scenario is infeasible; the warning says why in a planner's words.
    """
    stays: set[tuple[int, int]] = set()
    permanent: set[tuple[str, int]] = set()
    # units of a dwelling type share their node objects: look at each once
    distinct = {id(node): node for unit in inst.units for node in unit.nodes}
    for node in distinct.values():
        for c in node.classes:
            if node.window is not None:
                stays.add((node.window, c))
            elif node.stage is not None:
                permanent.add((node.stage, c))
    for pav in inst.pavilions:
        for chain in pav.chains:
            for w in chain.windows:
                stays.update((w, c) for c in pav.classes)
    for info in inst.households:

        def housed(o: Option, info: HouseholdInfo = info) -> bool:
            if o.window is not None:
                return (o.window, info.signature) in stays
            if o.kind is OptionKind.PERMANENT:
                return (info.stage, info.signature) in permanent
            return True  # direct move into an after-renovation dwelling

        if info.options and not any(housed(o) for o in info.options):
            h = info.household
            first = info.options[0].window
            date = inst.scenario.date_of
            if first is not None:
                stay = inst.windows[first]
                why = (
                    f"no rehousing place fits it (R5-R7, R15) and is free for its stay "
                    f"{date(stay.start)} to {date(stay.end)}"
                )
            else:
                why = (
                    "no own-organisation dwelling fits it and is free by "
                    f"{date(info.out)} for a permanent move"
                )
            inst.warnings.append(f"household {h.id}: {why}")


@dataclass
class _KindUses:
    """A dwelling type's index and the uses any of its units can make, in node order."""

    kind: int
    stays: list[Node]  # in window order
    permanents: list[Node]  # in stage order


def _build_units(inst: Instance, max_nodes: int | None = None) -> None:
    scenario = inst.scenario
    nodes = 0
    reps = inst.representatives
    window_sigs = {w.index: sorted(inst.window_classes(w.index)) for w in inst.windows}
    perm_sigs: dict[str, set[int]] = defaultdict(set)
    out_of: dict[str, int] = {}
    for info in inst.households:
        out_of[info.stage] = info.out
        if any(o.kind is OptionKind.PERMANENT for o in info.options):
            perm_sigs[info.stage].add(info.signature)

    # Dwellings equal in everything the rules and penalties look at form a
    # type; places are counted per type, not per dwelling (a smaller model).
    # The uses a type can make (its stays, spares and permanent lettings) are
    # derived once per type; a unit keeps those inside its interval. Nodes are
    # immutable, so the units of a type share them.
    kinds: dict[tuple[object, ...], _KindUses] = {}
    stay_classes = {c for sigs in window_sigs.values() for c in sigs}
    perm_classes = {c for sigs in perm_sigs.values() for c in sigs}
    spare_nodes: dict[tuple[str, int], Node] = {}
    # Classes that differ only in soft wishes fit the same places (the rules
    # read only the hard needs): ask the rules once per need and dwelling type.
    need_ids: dict[Signature, int] = {}
    needs = {
        c: need_ids.setdefault(
            dataclasses.replace(inst.signatures[c], preferred=frozenset(), rooms_min=None),
            len(need_ids),
        )
        for c in reps
    }

    def fitting(dwelling: Dwelling, classes: set[int], *, permanent: bool) -> set[int]:
        """The ``classes`` that ``dwelling`` can house (R5-R8, R15)."""
        answers: dict[int, bool] = {}
        fits = set()
        for c in classes:
            ok = answers.get(needs[c])
            if ok is None:
                ok = rules.place_fits(scenario, reps[c], dwelling, permanent=permanent)
                answers[needs[c]] = ok
            if ok:
                fits.add(c)
        return fits

    time_points: dict[tuple[int, str], tuple[Node, Node, Node]] = {}
    availabilities = rules.availabilities(scenario)
    for done, avail in enumerate(availabilities):
        dwelling = scenario.dwelling(avail.dwelling)
        key = (
            dwelling.rooms,
            dwelling.wheelchair,
            dwelling.step_free,
            dwelling.floor,
            dwelling.source,
            dwelling.municipality,
            dwelling.municipal_referral,
        )
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
            permanents = []
            for stage, sigs in perm_sigs.items():
                fits = tuple(sorted(sigs & perm_fit))
                if fits:
                    t = out_of[stage]
                    permanents.append(Node(NodeKind.PERMANENT, t, t, stage=stage, classes=fits))
            uses = kinds[key] = _KindUses(len(kinds), stays, permanents)
        unit = Unit(
            index=len(inst.units),
            dwelling=dwelling.id,
            start=avail.start,
            end=avail.end,
            vacated_by=avail.vacated_by,
            daily=rules.daily_ore(dwelling.monthly_rent),
            kind=uses.kind,
        )
        unit.nodes = [n for n in uses.stays if unit.start <= n.start and n.end <= unit.end]
        # R10: a spare is worth holding only where the unit could house the
        # stage; it is held on the stage's move-out day, when its stays start
        for held in dict.fromkeys(n.stage for n in unit.nodes):
            assert held is not None
            t = next(n.start for n in unit.nodes if n.stage == held)
            spare = spare_nodes.get((held, t))
            if spare is None:
                spare = spare_nodes[(held, t)] = Node(NodeKind.SPARE, t, t, stage=held)
            unit.nodes.append(spare)
        if unit.end == rules.FOREVER:
            unit.nodes += [n for n in uses.permanents if unit.start <= n.start]
        if not unit.nodes:
            continue
        _link(inst, unit, time_points)
        inst.units.append(unit)
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

    Every use of stage s starts on out(s). A gap between two uses is either
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
    deposit = rules.ore(scenario.costs.time_limited_deposit)
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
    hub_of: dict[str | None, int] = {}
    uses: list[int] = []  # positions of the uses, in order
    for day, group in itertools.groupby(points, key=operator.itemgetter(0)):
        on_day = [stage for _, stage in group]
        shared = [_time_points(time_points, day, stage) for stage in on_day]
        for wait_node, lease_node, _ in shared:
            wait.append(len(nodes))
            lease.append(len(nodes) + 1)
            nodes += (wait_node, lease_node)
        for (_, _, hub), stage in zip(shared, on_day, strict=True):
            hub_of[stage] = len(nodes)
            nodes.append(hub)
        uses += range(len(nodes), len(nodes) + len(uses_on[day]))
        nodes += uses_on[day]
    unit.nodes = nodes
    arcs = unit.arcs

    def leave(i: int, end: int, *, occupant: bool, zero_length: bool) -> None:
        """Arcs from node ``i`` (a use ending on ``end``, or the source) into the chains."""
        # a zero-length use (spare) is over only the day after: with no
        # turnaround it must not also start the next use that same day
        gap = max(turn, 1 if zero_length else 0) if i >= 0 else 0
        k = bisect.bisect_left(times, end + gap)
        if k < len(times):
            arcs[(i, wait[k])] = daily * (times[k] - end)
        first = rules.first_use_after_lease(scenario, end, after_occupant=occupant)
        k = bisect.bisect_left(times, first)
        if k < len(times):
            held = (turn if occupant else 0) + turn
            arcs[(i, lease[k])] = deposit + daily * held

    leave(-1, unit.start, occupant=False, zero_length=False)
    for k, (_, stage) in enumerate(points):
        arcs[(wait[k], hub_of[stage])] = 0
        arcs[(lease[k], hub_of[stage])] = 0
        if k + 1 < len(points):
            arcs[(wait[k], wait[k + 1])] = daily * (times[k + 1] - times[k])
            arcs[(lease[k], lease[k + 1])] = 0
    for j in uses:
        n = nodes[j]
        arcs[(hub_of[n.stage], j)] = 0
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
            key=lambda w: (w.start, w.end),
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

    Depth-first in time order, so that if the cap ``MAX_CHAINS`` bites the
    short chains are kept.
    """
    turn = inst.scenario.policy.turnaround_days
    daily = rules.daily_ore(p.monthly_rent)
    min_days = rules.months_to_days(p.min_months)
    fixed = rules.ore(p.setup_cost) + rules.ore(p.removal_cost)
    chains: list[Chain] = []
    stack: list[tuple[int, ...]] = [(w.index,) for w in reversed(usable)]
    while stack and len(chains) < MAX_CHAINS:
        seq = stack.pop()
        first, last = inst.windows[seq[0]], inst.windows[seq[-1]]
        rent_end = max(last.end, first.start + min_days)
        chains.append(Chain(seq, first.start, rent_end, fixed + daily * (rent_end - first.start)))
        stack.extend((*seq, w.index) for w in reversed(usable) if w.start >= last.end + turn)
    return chains
