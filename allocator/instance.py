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
  permanent letting) and its **arcs** the allowed successions, each priced
  with the cheaper of holding empty or time-limited letting of the gap
  (routed through one hub per stage, which keeps the arcs few);
- **chains**: the sequences of windows one pavilion module can serve (R12).

See docs/MODEL.md for the rules behind every number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from allocator import rules
from models.scenario import Agreement, Household, PavilionType, Scenario, Source

#: Most chains enumerated per pavilion type; longer chains are dropped first.
MAX_CHAINS = 4000


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
    HUB = "hub"  # a stage's move-out day, where the gap before its uses is priced


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
    # arcs[(i, j)] = cost of the gap; i == -1 is the source.
    arcs: dict[tuple[int, int], rules.GapUse] = field(default_factory=dict)


@dataclass(frozen=True)
class Chain:
    """A sequence of windows one pavilion module serves, and its cost (øre)."""

    windows: tuple[int, ...]
    rent_start: int
    rent_end: int
    cost: int


@dataclass
class PavilionInfo:
    """A pavilion type, the classes it fits and its chains."""

    pavilion: PavilionType
    classes: frozenset[int]
    chains: list[Chain]


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


def build_instance(scenario: Scenario) -> Instance:
    """Derive the integer instance of ``scenario``."""
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
    _build_units(inst)
    _build_pavilions(inst)
    _explain_unhoused(inst)
    return inst


def _explain_unhoused(inst: Instance) -> None:
    """Warn about households none of whose outcomes has a fitting place.

    Such a scenario is infeasible; the warning says why in a planner's words.
    """
    stays: set[tuple[int, int]] = set()
    permanent: set[tuple[str, int]] = set()
    for unit in inst.units:
        for node in unit.nodes:
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


def _build_units(inst: Instance) -> None:
    scenario = inst.scenario
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
    kinds: dict[tuple[object, ...], tuple[int, set[int], set[int]]] = {}
    for avail in rules.availabilities(scenario):
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
        if key not in kinds:
            temp = {
                sig for sig, h in reps.items() if not rules.place_problems(scenario, h, dwelling)
            }
            perm = {
                sig
                for sig, h in reps.items()
                if not rules.place_problems(scenario, h, dwelling, permanent=True)
            }
            kinds[key] = (len(kinds), temp, perm)
        kind, temp_fit, perm_fit = kinds[key]
        unit = Unit(
            index=len(inst.units),
            dwelling=dwelling.id,
            start=avail.start,
            end=avail.end,
            vacated_by=avail.vacated_by,
            daily=rules.daily_ore(dwelling.monthly_rent),
            kind=kind,
        )
        stays_by_stage: dict[str, list[Node]] = defaultdict(list)
        for w in inst.windows:
            fits = tuple(s for s in window_sigs[w.index] if s in temp_fit)
            if fits and unit.start <= w.start and w.end <= unit.end:
                node = Node(
                    NodeKind.STAY, w.start, w.end, window=w.index, stage=w.stage, classes=fits
                )
                stays_by_stage[w.stage].append(node)
                unit.nodes.append(node)
        for stage, stays in stays_by_stage.items():
            # R10: a spare is worth holding only where the unit could house the stage.
            t = stays[0].start
            unit.nodes.append(Node(NodeKind.SPARE, t, t, stage=stage))
        for stage, sigs in perm_sigs.items():
            fits = tuple(sorted(sigs & perm_fit))
            t = out_of[stage]
            if fits and unit.end == rules.FOREVER and unit.start <= t:
                unit.nodes.append(Node(NodeKind.PERMANENT, t, t, stage=stage, classes=fits))
        if not unit.nodes:
            continue
        _link(inst, unit)
        inst.units.append(unit)
    inst.kinds = len(kinds)


def _link(inst: Instance, unit: Unit) -> None:
    """Add a hub per stage to ``unit`` and its arcs (R2 turnaround, R11 gap prices).

    Every use of stage s starts on out(s), and the price of the gap before
    it depends only on where the previous use ended: so each use leads to
    the hub of a later stage (gap priced there) and the hub to the uses of
    its stage (free). The paths and their prices are those of direct arcs
    between uses, with far fewer arcs.
    """
    scenario = inst.scenario
    turn = scenario.policy.turnaround_days
    starts = sorted({(n.start, n.stage) for n in unit.nodes if n.stage is not None})
    unit.nodes += [Node(NodeKind.HUB, t, t, stage=stage) for t, stage in starts]
    unit.nodes.sort(key=lambda n: (n.start, n.kind is not NodeKind.HUB, n.end, n.kind.value))
    hubs = {n.stage: j for j, n in enumerate(unit.nodes) if n.kind is NodeKind.HUB}
    free = rules.GapUse(0, None)
    for j, n in enumerate(unit.nodes):
        if n.kind is NodeKind.HUB:
            unit.arcs[(-1, j)] = rules.gap_use(
                scenario,
                unit.daily,
                unit.start,
                n.start,
                after_occupant=False,
                before_occupant=True,
            )
            continue
        assert n.stage is not None
        unit.arcs[(hubs[n.stage], j)] = free
        if n.kind is NodeKind.PERMANENT:
            continue  # a permanent letting ends the path
        # a zero-length use (spare) is over only the day after: with no
        # turnaround it must not also start the next use that same day
        gap = max(turn, 1 if n.end == n.start else 0)
        for h, hub in enumerate(unit.nodes):
            if hub.kind is NodeKind.HUB and hub.start >= n.end + gap:
                unit.arcs[(j, h)] = rules.gap_use(
                    scenario,
                    unit.daily,
                    n.end,
                    hub.start,
                    after_occupant=n.kind is NodeKind.STAY,
                    before_occupant=True,
                )


def _build_pavilions(inst: Instance) -> None:
    scenario = inst.scenario
    reps = inst.representatives
    for p in scenario.pavilions:
        fits = frozenset(sig for sig, h in reps.items() if not rules.place_problems(scenario, h, p))
        usable = sorted(
            (
                w
                for w in inst.windows
                if w.start >= p.lead_days and inst.window_classes(w.index) & fits
            ),
            key=lambda w: (w.start, w.end),
        )
        chains = _chains(inst, p, usable)
        if len(chains) >= MAX_CHAINS:
            inst.warnings.append(
                f"pavilion type {p.id}: more than {MAX_CHAINS} module schedules; only the "
                "first are considered"
            )
        inst.pavilions.append(PavilionInfo(p, fits, chains))


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
