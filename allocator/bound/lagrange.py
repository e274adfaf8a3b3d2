"""A Lagrangian lower bound on the optimum, computed without CP-SAT or an LP of the whole.

For scenarios too large for one model (a portfolio of departments), the
plan comes from a decomposition and has no bound of its own. This module
proves one. It takes the model of :mod:`allocator.cpsat.model` and moves the
rows that tie households to places into the objective, one multiplier per
row (named by :data:`RowName`):

- R1, one per (window, class): places given = households staying (free sign);
- R8, one per (stage, moving day, class): permanent lettings = permanent
  movers (free sign);
- R10, per stage (multipliers >= 0): per need, spares held for it <= its
  displaced households; per need group, spares >= pct / 100 * displaced -
  0.99 (the floor of the group's share); in all, spares >= pct / 100 *
  displaced. The model writes the last two times 100; here they are per
  spare, so that their multipliers are prices of a spare;
- R14, one per home a permanent mover vacates: the home is used only if its
  household moves for good (>= 0).

What remains falls apart into small problems, each solved exactly or by
its LP relaxation (a lower bound of it):

- every household takes its cheapest option at the multipliers' prices
  (seniority, R9, is decided before the model: nothing else ties them);
- every unit (an availability interval of a dwelling) takes its cheapest
  path, or none: a shortest path in its own acyclic network, where a use
  earns the multipliers of the rows it serves (a stay or permanent
  letting those of its best class, a spare those of its best need);
- every pavilion type rents the modules whose schedules pay for
  themselves, at most ``max_count`` at a time (an interval LP); a module
  in a window houses its best class or, where its schedule leaves it free
  over the stage's offer period, is a spare of the best need. Where the
  instance cut a type's schedules at ``MAX_CHAINS``, any schedule is
  allowed, relaxed (see :meth:`Lagrangian._pavilions`).

For *any* multipliers the sum of these minima plus the constant costs is
at most the cost of every plan of the model: weak duality. The
multipliers are improved by subgradient steps; the best value seen is the
bound. The shortest paths of all units are computed together, level by
level in time, with NumPy: one pass costs about as many operations as the
networks have arcs. The networks are held as flat arrays (32-bit indices
where they fit), built one unit at a time; for a scenario too large for
one model (:meth:`Lagrangian.of_scenario`) the units' Python objects are
never all alive at once.

All money is in øre, as in the model.
"""

from __future__ import annotations

import math
import time
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import highspy
import numpy as np
from numpy.typing import NDArray

from allocator import rules
from allocator.bound.milp import MilpOutcome, _quiet_stdout, solve_proto
from allocator.cpsat.instance import (
    TIME_POINTS,
    Instance,
    Node,
    NodeKind,
    OptionKind,
    Unit,
    build_instance,
)
from allocator.cpsat.model import RehousingModel
from allocator.solving.settings import StopCheck
from models.plan import CostCategory
from models.scenario import Scenario

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: Indices stored as 32 or 64 bits (the networks' arrays are 32-bit where they can be).
Indices = NDArray[np.signedinteger[Any]]

#: First Polyak step factor of the subgradient ascent, halved after
#: ``STALL`` steps without a better value. Measured: on L, 1.0 reached
#: 0.26 % below the optimum in 1,000 steps (0.25: 0.63 %); on P, 300 steps
#: (186 s) climbed from 10.2 % to 3.2 % below the decomposition's plan.
THETA = 1.0
STALL = 20
#: Node ranks on one day, as in the unit networks' topological order.
_RANK = {NodeKind.WAIT: 0, NodeKind.LEASE: 0, NodeKind.HUB: 1}

#: A dualised row named without instance indices, so that multipliers found
#: on one instance (say, a part of a scenario) can price the rows of another:
#: ``("stay", stage, into, Signature)`` (R1), ``("move", stage, day,
#: Signature)`` (R8), ``("need", stage, NeedKey)``, ``("group", stage,
#: NeedGroup)``, ``("stage", stage)`` (R10) and ``("vacated", household id)`` (R14).
RowName = tuple[object, ...]

#: The kinds of rows that are inequalities (R10, R14): their multipliers are >= 0.
INEQUALITIES = frozenset({"need", "group", "stage", "vacated"})

#: The constant of a need group's row, per spare: spares >= share * displaced - 0.99.
_GROUP_SLACK = -0.99


def stay_name(instance: Instance, w: int, c: int) -> RowName:
    """The name of the R1 row of window ``w`` and class ``c`` of ``instance``."""
    window = instance.windows[w]
    return ("stay", window.stage, window.into, instance.signatures[c])


def move_name(instance: Instance, stage: str, day: int, c: int) -> RowName:
    """The name of the R8 row of the permanent movers of class ``c``, ``stage``, ``day``."""
    return ("move", stage, day, instance.signatures[c])


def need_names(instance: Instance) -> list[object]:
    """The fit-rule key (:func:`allocator.rules.need_key`) of each need index."""
    keys: list[object] = [None] * len(instance.need_groups)
    for c, n in instance.need_of.items():
        keys[n] = rules.need_key(instance.scenario, instance.representatives[c])
    return keys


@dataclass
class PortableMultipliers:
    """Multipliers by row name (see :data:`RowName`), in øre."""

    rows: dict[RowName, float] = field(default_factory=dict)

    def update(self, other: PortableMultipliers) -> None:
        """Take over every row ``other`` prices."""
        self.rows.update(other.rows)


@dataclass
class Evaluation:
    """The Lagrangian function at some multipliers, with a subgradient."""

    value: float  # øre: a lower bound on the optimum
    # per row, how much the relaxed solution breaks it (R1, R8: households
    # minus places; R10: the side that should be smaller minus the other)
    subgradient: FloatArray


@dataclass
class BoundResult:
    """Outcome of :func:`lagrangian_bound`."""

    bound: float  # øre
    iterations: int
    seconds: float
    multipliers: FloatArray  # by row, as :attr:`Lagrangian.rows`
    history: list[float] = field(default_factory=list)


@dataclass
class _Choices:
    """Alternatives, each priced ``base + sum(coeff * multiplier)`` over a few rows.

    The linear forms are (alternative, row, coefficient) triples: the prices
    of all alternatives are one weighted count, and the subgradient of the
    alternatives taken one scatter-add.
    """

    base: FloatArray
    alt: IntArray
    row: IntArray
    coeff: FloatArray

    def prices(self, m: FloatArray) -> FloatArray:
        """The price of every alternative at multipliers ``m``."""
        weights = self.coeff * m[self.row]
        return self.base + np.bincount(self.alt, weights=weights, minlength=len(self.base))

    def add_rows(self, taken: FloatArray, g: FloatArray) -> None:
        """Add to ``g`` the rows' terms of ``taken[a]`` times each alternative ``a``."""
        np.add.at(g, self.row, self.coeff * taken[self.alt])


class _ChoiceList:
    """Collects alternatives for a :class:`_Choices`."""

    def __init__(self) -> None:
        self.base: list[float] = []
        self.terms: list[tuple[int, int, float]] = []

    def add(self, base: float, terms: Iterable[tuple[int, float]]) -> int:
        """A new alternative costing ``base`` plus ``coeff`` times each row's multiplier."""
        a = len(self.base)
        self.base.append(base)
        self.terms += [(a, row, coeff) for row, coeff in terms]
        return a

    def done(self) -> _Choices:
        triples = np.array(self.terms, dtype=np.float64).reshape(-1, 3)
        return _Choices(
            base=np.array(self.base, dtype=np.float64),
            alt=triples[:, 0].astype(np.int64),
            row=triples[:, 1].astype(np.int64),
            coeff=triples[:, 2],
        )


@dataclass
class _PavilionData:
    """One pavilion type: its module schedules and what a module does in each window slot."""

    cost: FloatArray  # per schedule (a chain, or one window when relaxed)
    active: list[list[int]]  # the schedules renting a module at each start day
    cover: IntArray  # (schedule, window slot) it serves
    spare_cover: IntArray  # (schedule, window slot) in which it can be a spare
    slots: int
    house: _Choices  # a class housed in a slot
    house_slot: IntArray
    house_row: IntArray  # its R1 row
    spare: _Choices  # a spare of a need held in a slot
    spare_slot: IntArray
    cap: int
    fixed: float | None  # relaxed: set-up and removal per module, paid apart


#: What the arrays hold of one node: the node itself (kept, so that its id
#: stays its own), its level key, its use group (-1: a time point), its days
#: and whether it is a use.
_NodeInfo = tuple[Node, int, int, int, bool]


@dataclass
class _Networks:
    """The units' networks while they are added, one unit at a time.

    Typed buffers (8 bytes a number, not a Python object), so that the
    networks of a whole portfolio (P: 11 million nodes, 16 million arcs)
    fit in a few hundred megabytes; the units themselves are not kept.
    """

    kind_dwelling: dict[int, str]  # a dwelling of each type, for its penalties
    pen: dict[tuple[int, int], int]  # penalty of a class in a dwelling type
    stage_code: dict[str, int]
    level_base: int  # level key = day * level_base + the rank and stage within the day
    # groups: the uses of one dwelling type alike (a stay of a window, a
    # spare of a stage, a permanent letting of a stage and day); each
    # group's alternatives are the classes (or needs) it can serve
    groups: dict[tuple[object, ...], int] = field(default_factory=dict)
    uses: _ChoiceList = field(default_factory=lambda: _ChoiceList())
    use_group: list[int] = field(default_factory=list)
    use_row: list[int] = field(default_factory=list)
    known: dict[int, dict[int, _NodeInfo]] = field(default_factory=dict)  # by type, node id
    # the level keys in the order first seen; a node holds the place of its key here
    level_keys: dict[int, int] = field(default_factory=dict)
    nodes: int = 0
    node_level: array[int] = field(default_factory=lambda: array("i"))
    node_group: array[int] = field(default_factory=lambda: array("i"))
    node_cost: array[float] = field(default_factory=lambda: array("d"))
    node_use: array[int] = field(default_factory=lambda: array("b"))
    node_unit: array[int] = field(default_factory=lambda: array("i"))
    unit_vacated: list[str | None] = field(default_factory=list)
    arc_tail: array[int] = field(default_factory=lambda: array("i"))
    arc_head: array[int] = field(default_factory=lambda: array("i"))
    arc_cost: array[float] = field(default_factory=lambda: array("d"))


class Lagrangian:
    """The Lagrangian relaxation of one instance, ready to be evaluated.

    Parameters
    ----------
    instance
        The derived integer data of a scenario (:func:`~allocator.cpsat.instance.build_instance`).

    Attributes
    ----------
    rows
        The dualised rows by name; multipliers are vectors indexed by them.

    """

    def __init__(self, instance: Instance) -> None:
        self._begin(instance)
        self._units()
        self._finish()

    @classmethod
    def of_scenario(cls, scenario: Scenario) -> Lagrangian:
        """The Lagrangian relaxation of the whole of ``scenario``, without a size limit.

        The same as ``Lagrangian(build_instance(scenario))``, but each unit's
        network goes into the arrays as soon as it is made and is not kept
        (:attr:`instance` has no units): the memory is that of the arrays,
        not of millions of Python objects (on P about a gigabyte less than
        the networks alone).
        """
        lag = cls.__new__(cls)

        def take(inst: Instance, unit: Unit) -> None:
            if not hasattr(lag, "instance"):
                lag._begin(inst)
                lag._begin_units(inst)
            lag._add_unit(unit)

        instance = build_instance(scenario, on_unit=take)
        if not hasattr(lag, "instance"):  # no unit at all
            lag._begin(instance)
            lag._begin_units(instance)
        lag._finish_units()
        lag._finish()
        return lag

    # -- set-up ------------------------------------------------------------------

    def _begin(self, instance: Instance) -> None:
        self.instance = instance
        self.share = rules.overcapacity_pct(instance.scenario) / 100
        self.constant = float(instance.constant_cost)
        self.rows: dict[RowName, int] = {}
        self._needs = need_names(instance)

    def _finish(self) -> None:
        self._pavilions()
        # last: a household enters a need's row only where spares can be held for it
        self._households()
        kinds = [name[0] for name in self.rows]
        self.inequality = np.array([k in INEQUALITIES for k in kinds], dtype=bool)
        self.offset = np.array([_GROUP_SLACK if k == "group" else 0.0 for k in kinds])

    def _row(self, name: RowName) -> int:
        return self.rows.setdefault(name, len(self.rows))

    def rows_of(self, kind: str) -> IntArray:
        """The indices of the rows of one kind (``"stay"``, ``"move"``, ``"need"``, ...)."""
        return np.array([r for name, r in self.rows.items() if name[0] == kind], dtype=np.int64)

    def _spare_terms(self, stage: str, n: int) -> list[tuple[int, float]]:
        """The R10 rows a spare of ``stage`` held for need ``n`` enters, per spare."""
        return [
            (self._row(("need", stage, self._needs[n])), 1.0),
            (self._row(("group", stage, self.instance.need_groups[n])), -1.0),
            (self._row(("stage", stage)), -1.0),
        ]

    def _displaced_terms(self, stage: str, n: int) -> list[tuple[int, float]]:
        """The R10 rows a displaced household of ``stage`` with need ``n`` enters."""
        if not self.share:
            return []
        terms = [
            (self._row(("group", stage, self.instance.need_groups[n])), self.share),
            (self._row(("stage", stage)), self.share),
        ]
        need = self.rows.get(("need", stage, self._needs[n]))
        if need is not None:  # the model has the row only if spares can be held for n
            terms.append((need, -1.0))
        return terms

    def _households(self) -> None:
        """Each option: its cost and the rows it enters (R1 or R8, and R10 for a stay)."""
        inst = self.instance
        options = _ChoiceList()
        owner: list[int] = []
        for hi, info in enumerate(inst.households):
            c = info.signature
            for opt in info.options:
                terms: list[tuple[int, float]] = []
                if opt.window is not None:
                    terms = [(self._row(stay_name(inst, opt.window, c)), 1.0)]
                    terms += self._displaced_terms(info.stage, inst.need_of[c])
                elif opt.kind is OptionKind.PERMANENT:
                    terms = [(self._row(move_name(inst, info.stage, info.out, c)), 1.0)]
                    home = self.rows.get(("vacated", info.household.id))
                    if home is not None:
                        terms.append((home, -1.0))
                options.add(opt.cost, terms)
                owner.append(hi)
        self.options = options.done()
        self.opt_owner = np.array(owner, dtype=np.int64)

    def _use_alternatives(
        self, uses: _ChoiceList, node: Node, kind: int, pen: dict[tuple[int, int], int]
    ) -> list[int]:
        """Add what a use of a dwelling type can serve; return the R1/R8 row of each (or -1)."""
        inst = self.instance
        assert node.stage is not None
        if node.kind is NodeKind.SPARE:
            needs = sorted({inst.need_of[c] for c in node.classes})
            for n in needs:
                uses.add(0.0, self._spare_terms(node.stage, n))
            return [-1] * len(needs)
        rows = []
        for c in node.classes:
            if node.kind is NodeKind.STAY:
                assert node.window is not None
                row = self._row(stay_name(inst, node.window, c))
            else:
                row = self._row(move_name(inst, node.stage, node.start, c))
            uses.add(pen[(kind, c)], [(row, -1.0)])
            rows.append(row)
        return rows

    def _units(self) -> None:
        """All units' networks as one set of arrays, arcs grouped by time level."""
        self._begin_units(self.instance)
        for unit in self.instance.units:
            self._add_unit(unit)
        self._finish_units()

    def _begin_units(self, inst: Instance) -> None:
        """Start the arrays of the units' networks (:meth:`_add_unit` adds each unit)."""
        scenario = inst.scenario
        kind_dwelling: dict[int, str] = {}

        class Penalties(dict[tuple[int, int], int]):
            def __missing__(self, key: tuple[int, int]) -> int:
                kind, c = key
                dwelling = scenario.dwelling(kind_dwelling[kind])
                made = self[key] = rules.penalty_ore(scenario, inst.representatives[c], dwelling)
                return made

        # a level is (day, rank, chained stage) in order, one integer here: the
        # stage as 1 + its place among the stage ids ("": 0), below the rank
        stage_code = {s: i + 1 for i, s in enumerate(sorted(s.id for s in scenario.stages))}
        self._net = _Networks(kind_dwelling, Penalties(), stage_code, 3 * (len(stage_code) + 1))

    def _node_info(self, node: Node, kind: int, net: _Networks) -> _NodeInfo:
        """What the arrays hold of a node of a unit of dwelling type ``kind``."""
        rank = _RANK.get(node.kind, 2)
        # the time points are per (day, stage): the wait and lease nodes
        # of the stages of one day follow each other in stage order
        # (instance._link)
        chained = net.stage_code[node.stage] if rank == 0 and node.stage is not None else 0
        at = node.start * net.level_base + rank * (len(net.stage_code) + 1) + chained
        level = net.level_keys.setdefault(at, len(net.level_keys))
        g = -1
        if node.kind not in TIME_POINTS:
            key = (node.kind, node.window, node.stage, node.start, kind)
            g = net.groups.get(key, -1)
            if g < 0:
                g = net.groups[key] = len(net.groups)
                rows = self._use_alternatives(net.uses, node, kind, net.pen)
                net.use_group += [g] * len(rows)
                net.use_row += rows
        return node, level, g, node.end - node.start, node.kind not in TIME_POINTS

    def _add_unit(self, unit: Unit) -> None:
        """Append one unit's nodes and arcs to the arrays; the unit is not kept."""
        net = self._net
        net.kind_dwelling.setdefault(unit.kind, unit.dwelling)
        # units of a dwelling type share their node objects: each is looked at once
        # (the cache holds the node, so its id is not reused)
        known = net.known.setdefault(unit.kind, {})
        infos = [
            known.get(id(node)) or known.setdefault(id(node), self._node_info(node, unit.kind, net))
            for node in unit.nodes
        ]
        net.node_level.extend(info[1] for info in infos)
        net.node_group.extend(info[2] for info in infos)
        net.node_cost.extend(float(unit.daily * info[3]) for info in infos)
        net.node_use.extend(info[4] for info in infos)
        net.node_unit.extend([len(net.unit_vacated)] * len(infos))
        net.unit_vacated.append(unit.vacated_by)
        n = len(unit.arcs)
        ij = np.fromiter(chain.from_iterable(unit.arcs), np.int32, 2 * n).reshape(n, 2)
        offset = net.nodes
        tails = np.where(ij[:, 0] >= 0, ij[:, 0] + offset, -1)
        net.arc_tail.frombytes(tails.astype(np.int32).tobytes())
        net.arc_head.frombytes((ij[:, 1] + offset).astype(np.int32).tobytes())
        # whole øre, exact as floats
        net.arc_cost.frombytes(np.fromiter(unit.arcs.values(), np.float64, n).tobytes())
        net.nodes += len(unit.nodes)

    def _finish_units(self) -> None:
        """Turn the units' arrays into the levels the shortest paths run over."""
        net = self._net
        del self._net
        self.nodes = net.nodes
        self.node_cost = np.frombuffer(net.node_cost, dtype=np.float64)
        self.node_group = np.frombuffer(net.node_group, dtype=np.int32)
        self.node_unit = np.frombuffer(net.node_unit, dtype=np.int32)
        self.node_use = np.frombuffer(net.node_use, dtype=np.int8).astype(bool)
        self.groups = len(net.groups)
        self.uses = net.uses.done()
        self.use_group = np.array(net.use_group, dtype=np.int64)
        self.use_row = np.array(net.use_row, dtype=np.int64)
        # the node offsets of the units, to take a minimum per unit
        counts = np.bincount(self.node_unit, minlength=len(net.unit_vacated))
        self.unit_offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        # a vacated home pays its row's multiplier for being used at all
        self.unit_row = np.array(
            [-1 if by is None else self._row(("vacated", by)) for by in net.unit_vacated],
            dtype=np.int64,
        )
        self.vacated = self.unit_row >= 0

        # levels: (day, rank, chained stage) in order
        seen = np.fromiter(net.level_keys, np.int64, len(net.level_keys))
        rank_of = np.empty(len(seen), dtype=np.int32)
        rank_of[np.argsort(seen, kind="stable")] = np.arange(len(seen), dtype=np.int32)
        node_level = rank_of[np.frombuffer(net.node_level, dtype=np.int32)]
        levels = len(seen)
        del net.node_level
        # the arcs' buffers are ours: written in place, each freed once sorted
        tail = np.frombuffer(net.arc_tail, dtype=np.int32)
        head = np.frombuffer(net.arc_head, dtype=np.int32)
        tail[tail < 0] = self.nodes  # the source: an extra slot holding 0, below every level
        # the shortest paths below are exact only if every arc climbs a level
        if np.any(np.append(node_level, -1)[tail] >= node_level[head]):
            raise ValueError("an arc of the unit networks does not lead to a later level")
        order = np.lexsort((head, node_level[head]))
        self.arc_tail = tail[order]
        del tail, net.arc_tail
        arc_head = head[order]
        del head, net.arc_head
        self.arc_cost = np.frombuffer(net.arc_cost, dtype=np.float64)[order]
        del order, net
        # per level: the slice of arcs, the distinct heads and where each starts
        arc_level = node_level[arc_head]
        bounds = np.searchsorted(arc_level, np.arange(levels + 1))
        del arc_level, node_level
        # and, per arc, which of the level's heads it leads to
        self.levels: list[tuple[int, int, Indices, Indices, Indices]] = []
        for lv in range(levels):
            lo, hi = int(bounds[lv]), int(bounds[lv + 1])
            if lo == hi:
                continue
            h = arc_head[lo:hi]
            starts = np.concatenate(([True], h[1:] != h[:-1]))
            first = np.flatnonzero(starts).astype(np.int32)
            self.levels.append((lo, hi, h[first], first, (np.cumsum(starts) - 1).astype(np.int32)))

    def _pavilions(self) -> None:
        """Per pavilion type: module schedules, the windows they serve, the rows they price.

        The schedules are the instance's chains if they are all there. If
        the instance cut them at ``MAX_CHAINS`` (a model of many stages),
        any schedule is allowed instead, relaxed: a module serving window w
        pays at least its rent over w, every module its set-up and removal
        once (a module serves disjoint windows, so its rent covers at least
        their days), and a module in any window may be a spare. That keeps
        the bound valid for every plan, including those of a decomposition
        whose smaller models have all their chains.
        """
        inst = self.instance
        scenario = inst.scenario
        self.pavilion_data: list[_PavilionData] = []
        for pav in inst.pavilions:
            p = pav.pavilion
            relaxed = not pav.complete
            if relaxed:
                windows = sorted(pav.windows)
            else:
                windows = sorted({w for ch in pav.chains for w in ch.windows})
            if not windows:
                continue
            slot_of = {w: i for i, w in enumerate(windows)}
            fixed: float | None = None
            if relaxed:
                spans = [(inst.windows[w].start, inst.windows[w].end) for w in windows]
                cost = [
                    rules.pavilion_rental_ore(p, end - start)[CostCategory.PAVILION_RENT]
                    for start, end in spans
                ]
                cover = [[slot] for slot in range(len(windows))]
                spare_cover = cover
                fixed = float(sum(rules.pavilion_rental_ore(p, 0).values()))  # set-up, removal
            else:
                spans = [(ch.rent_start, ch.rent_end) for ch in pav.chains]
                cost = [ch.cost for ch in pav.chains]
                cover = [[slot_of[w] for w in ch.windows] for ch in pav.chains]
                spare_cover = [sorted(slot_of[w] for w in ch.spare_windows) for ch in pav.chains]
            can_spare = (
                {windows[s] for slots in spare_cover for s in slots} if self.share else set()
            )
            house, house_slot, house_row = _ChoiceList(), [], []
            spare, spare_slot = _ChoiceList(), []
            pav_needs = {inst.need_of[c] for c in pav.classes}
            for slot, w in enumerate(windows):
                for c in sorted(inst.window_classes(w) & pav.classes):
                    row = self._row(stay_name(inst, w, c))
                    house.add(
                        rules.penalty_ore(scenario, inst.representatives[c], p), [(row, -1.0)]
                    )
                    house_slot.append(slot)
                    house_row.append(row)
                if w in can_spare:
                    stage = inst.windows[w].stage
                    for n in sorted(
                        {inst.need_of[c] for c in inst.stage_classes(stage)} & pav_needs
                    ):
                        spare.add(0.0, self._spare_terms(stage, n))
                        spare_slot.append(slot)
            times = sorted({start for start, _ in spans})
            self.pavilion_data.append(
                _PavilionData(
                    cost=np.array(cost, dtype=np.float64),
                    active=[[k for k, (a, b) in enumerate(spans) if a <= t < b] for t in times],
                    cover=_pairs(cover),
                    spare_cover=_pairs(spare_cover),
                    slots=len(windows),
                    house=house.done(),
                    house_slot=np.array(house_slot, dtype=np.int64),
                    house_row=np.array(house_row, dtype=np.int64),
                    spare=spare.done(),
                    spare_slot=np.array(spare_slot, dtype=np.int64),
                    cap=p.max_count,
                    fixed=fixed,
                )
            )

    # -- evaluation --------------------------------------------------------------

    def zero(self) -> FloatArray:
        """All multipliers zero."""
        return np.zeros(len(self.rows))

    def from_portable(self, p: PortableMultipliers, default: FloatArray) -> FloatArray:
        """Multipliers for this instance's rows: ``p`` where it names them, else ``default``."""
        m = default.copy()
        for name, r in self.rows.items():
            m[r] = p.rows.get(name, m[r])
        m[self.inequality] = np.maximum(m[self.inequality], 0.0)
        return m

    def cheapest_places(self) -> FloatArray:
        """Multipliers at the cheapest way to give each R1 or R8 row a place on its own.

        The multiplier of a row is the least a unit pays to reach a use
        serving it from its source (holding, deposits, the use's own rent
        loss) plus the penalty, or a module's cheapest schedule of that
        window alone: a good first guess of what a place costs. R10's are 0.
        """
        dist = self._distances()
        m = np.full(len(self.rows), np.inf)
        used = self.node_group >= 0
        group_cost = np.full(self.groups, np.inf)  # the cheapest node of every group
        np.minimum.at(group_cost, self.node_group[used], dist[: self.nodes][used])
        price = group_cost[self.use_group] + self.uses.base
        served = self.use_row >= 0
        np.minimum.at(m, self.use_row[served], price[served])
        for pav in self.pavilion_data:  # a module for one window: its cheapest schedule
            alone = np.bincount(pav.cover[:, 0], minlength=len(pav.cost)) == 1
            slot_cost = np.full(pav.slots, np.inf)
            lone = alone[pav.cover[:, 0]]
            np.minimum.at(slot_cost, pav.cover[lone, 1], pav.cost[pav.cover[lone, 0]])
            np.minimum.at(m, pav.house_row, slot_cost[pav.house_slot] + pav.house.base)
        m[~np.isfinite(m) | self.inequality] = 0.0
        return m

    def _distances(
        self, group_price: FloatArray | None = None, pred: Indices | None = None
    ) -> FloatArray:
        """Shortest path from each unit's source to each node.

        A node costs its days (:attr:`node_cost`) plus, with
        ``group_price``, the price of its use's group. With ``pred``, also
        write each reached node's predecessor on a shortest path into it
        (the source is ``self.nodes``). The node costs are taken level by
        level, never for all nodes at once (on P that saves an array of
        11 million).
        """
        dist = np.full(self.nodes + 1, np.inf)
        dist[self.nodes] = 0.0  # the source
        tail, arc_cost = self.arc_tail, self.arc_cost
        # a time point's group is -1: it takes the 0 appended
        price = None if group_price is None else np.append(group_price, 0.0)
        for lo, hi, heads, first, head_of_arc in self.levels:
            vals = dist[tail[lo:hi]] + arc_cost[lo:hi]
            best = np.minimum.reduceat(vals, first)
            cost = self.node_cost[heads]
            if price is not None:
                cost += price[self.node_group[heads]]
            dist[heads] = best + cost
            if pred is not None:  # the first arc at the minimum of each head
                at_min = np.flatnonzero(vals <= best[head_of_arc])
                head_of = head_of_arc[at_min]
                keep = np.concatenate(([True], head_of[1:] != head_of[:-1]))
                pred[heads[head_of[keep]]] = tail[lo + at_min[keep]]
        return dist

    def evaluate(self, m: FloatArray) -> Evaluation:
        """The Lagrangian at ``m`` (a lower bound on the optimum) and a subgradient."""
        g = self.offset.copy()
        value = self.constant + float(self.offset @ m)
        value += self._households_part(m, g)
        value += self._units_part(m, g)
        value += self._pavilions_part(m, g)
        return Evaluation(value, g)

    def _households_part(self, m: FloatArray, g: FloatArray) -> float:
        """Every household its cheapest option (the first if tied)."""
        price = self.options.prices(m)
        best, at = _cheapest(self.opt_owner, price, len(self.instance.households))
        # households without options make the scenario infeasible; the bound then
        # only counts the others (still a valid bound of anything feasible: none)
        has = at >= 0
        taken = np.zeros(len(price))
        taken[at[has]] = 1.0
        self.options.add_rows(taken, g)
        return float(best[has].sum())

    def _units_part(self, m: FloatArray, g: FloatArray) -> float:
        """Every unit its cheapest path, each use serving its best alternative."""
        group_price, group_best = _cheapest(self.use_group, self.uses.prices(m), self.groups)
        pred = np.full(self.nodes, -1, dtype=np.int32)
        ends = self._distances(group_price, pred)[: self.nodes]
        np.copyto(ends, np.inf, where=~self.node_use)  # a path ends at a use
        shortest = np.minimum.reduceat(ends, self.unit_offsets)
        per_unit = shortest.copy()
        per_unit[self.vacated] += m[self.unit_row[self.vacated]]
        total = float(np.minimum(per_unit, 0.0).sum())
        # the uses on each improving unit's path, for the subgradient
        used = per_unit < -1e-6
        if not used.any():
            return total
        np.add.at(g, self.unit_row[used & self.vacated], 1.0)
        best_node = np.full(len(per_unit), -1, dtype=np.int32)
        is_best = np.flatnonzero(ends <= shortest[self.node_unit])
        best_node[self.node_unit[is_best[::-1]]] = is_best[::-1]  # the first such node
        cur = best_node[used]
        on_path = np.zeros(self.nodes, dtype=bool)
        while cur.size:
            on_path[cur] = True
            cur = pred[cur]
            cur = cur[(cur >= 0) & (cur < self.nodes)]
        groups = self.node_group[on_path]
        taken = np.bincount(group_best[groups[groups >= 0]], minlength=len(self.use_group))
        self.uses.add_rows(taken.astype(np.float64), g)
        return total

    def _pavilions_part(self, m: FloatArray, g: FloatArray) -> float:
        """Every pavilion type its cheapest fleet (an LP).

        In a window slot a module houses the best class (price a, if below 0)
        or, if its schedule leaves it free over the offer period, is a spare
        of the best need (price b, if below the former): per module a
        schedule earns min(a, 0) in each slot it serves, and min(b - min(a,
        0), 0) more in each slot it can be a spare in.
        """
        total = 0.0
        for pav in self.pavilion_data:
            house, house_at = _cheapest(pav.house_slot, pav.house.prices(m), pav.slots)
            spare, spare_at = _cheapest(pav.spare_slot, pav.spare.prices(m), pav.slots)
            housed = np.minimum(house, 0.0)
            gain = np.minimum(spare - housed, 0.0)
            n = len(pav.cost)
            reduced = (
                pav.cost
                + np.bincount(pav.cover[:, 0], weights=housed[pav.cover[:, 1]], minlength=n)
                + np.bincount(
                    pav.spare_cover[:, 0], weights=gain[pav.spare_cover[:, 1]], minlength=n
                )
            )
            if (reduced >= 0).all():
                continue  # no module pays for itself
            x, value = _fleet_lp(reduced, pav.active, pav.cap, pav.fixed)
            total += value
            modules = np.bincount(pav.cover[:, 1], weights=x[pav.cover[:, 0]], minlength=pav.slots)
            free = np.bincount(
                pav.spare_cover[:, 1], weights=x[pav.spare_cover[:, 0]], minlength=pav.slots
            )
            spares = np.where(gain < 0, free, 0.0)
            houses = np.where(house < 0, modules - spares, 0.0)
            for choices, at, amount in (
                (pav.house, house_at, houses),
                (pav.spare, spare_at, spares),
            ):
                taken = np.zeros(len(choices.base))
                some = amount > 0
                taken[at[some]] = amount[some]
                choices.add_rows(taken, g)
        return total


def _pairs(lists: list[list[int]]) -> IntArray:
    """``(i, x)`` for every ``x`` in ``lists[i]``, as an array of shape (n, 2)."""
    pairs = [(i, x) for i, xs in enumerate(lists) for x in xs]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _cheapest(keys: IntArray, price: FloatArray, n: int) -> tuple[FloatArray, IntArray]:
    """Per key in ``range(n)``: the least ``price`` among its entries, and which entry.

    Keys without entries get ``inf`` and ``-1``.
    """
    best = np.full(n, np.inf)
    at = np.full(n, -1, dtype=np.int64)
    if len(price):
        order = np.lexsort((price, keys))
        first = order[np.concatenate(([True], keys[order][1:] != keys[order][:-1]))]
        best[keys[first]] = price[first]
        at[keys[first]] = first
    return best, at


def _fleet_lp(
    reduced: FloatArray, active: list[list[int]], cap: int, fixed: float | None
) -> tuple[FloatArray, float]:
    """Minimise ``reduced @ x`` with at most ``cap`` modules rented at any time.

    With ``fixed``, the modules are a variable M in [0, cap] costing
    ``fixed`` each, and the schedules active at any time are at most M.
    Returns the schedules' amounts and the minimum.
    """
    n = len(reduced)
    extra = 0 if fixed is None else 1
    lp = highspy.HighsLp()
    lp.num_col_ = n + extra
    lp.num_row_ = len(active)
    lp.col_cost_ = np.append(reduced, [fixed] * extra)
    lp.col_lower_ = np.zeros(n + extra)
    lp.col_upper_ = np.full(n + extra, float(cap))
    lp.row_lower_ = np.full(len(active), -highspy.kHighsInf)
    lp.row_upper_ = np.full(len(active), 0.0 if extra else float(cap))
    starts, index, value = [0], [], []
    by_col: dict[int, list[int]] = defaultdict(list)
    for r, ks in enumerate(active):
        for k in ks:
            by_col[k].append(r)
    for k in range(n):
        index += by_col.get(k, [])
        starts.append(len(index))
    value = [1.0] * len(index)
    if extra:  # the modules column: -1 in every row
        index += list(range(len(active)))
        value += [-1.0] * len(active)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=np.float64)
    with _quiet_stdout():
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    with _quiet_stdout():
        h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        # x = 0 is feasible and the box bounded, so HiGHS must solve it
        raise RuntimeError("the pavilion fleet LP did not solve")
    x = np.array(h.getSolution().col_value, dtype=np.float64)
    return x[:n], float(lp.col_cost_ @ x)


def lagrangian_bound(
    instance: Instance,
    upper: float | None = None,
    *,
    iterations: int = 100_000,
    time_limit: float = 60.0,
    start: FloatArray | None = None,
    lagrangian: Lagrangian | None = None,
    stop: StopCheck | None = None,
) -> BoundResult:
    """The best Lagrangian lower bound found by subgradient steps (øre).

    Parameters
    ----------
    instance
        The instance to bound.
    upper
        The cost of a known plan (øre): steps are sized by the distance to
        it (Polyak). Without one, a guess of 5 % above the bound is used.
    iterations, time_limit
        Stop after this many evaluations or seconds.
    start
        Multipliers to start from (default: :meth:`Lagrangian.cheapest_places`).
    lagrangian
        A prepared :class:`Lagrangian` of ``instance`` (to reuse its arrays).
    stop
        Asked after each step whether to stop now (the best bound so far stands).
    """
    started = time.perf_counter()
    lag = lagrangian or Lagrangian(instance)
    m = start.copy() if start is not None else lag.cheapest_places()
    best_value, best = -math.inf, m.copy()
    history: list[float] = []
    theta, stall = THETA, 0
    done = 0
    while done < iterations:
        done += 1
        ev = lag.evaluate(m)
        history.append(ev.value)
        if ev.value > best_value:
            best_value, best, stall = ev.value, m.copy(), 0
        else:
            stall += 1
            if stall >= STALL:
                theta, stall = theta / 2, 0
        if time.perf_counter() - started > time_limit or theta < 1e-4:
            break
        if stop is not None and stop():
            break
        # an inequality kept with its multiplier at 0 gives no direction
        g = np.where(lag.inequality & (m <= 0) & (ev.subgradient < 0), 0.0, ev.subgradient)
        norm = float(g @ g)
        if norm == 0:
            break  # the relaxed solution keeps every dualised row: the bound is exact
        target = upper if upper is not None else best_value + 0.05 * abs(best_value)
        step = theta * max(target - ev.value, 1e-6 * abs(target)) / norm
        m = m + step * g
        m[lag.inequality] = np.maximum(m[lag.inequality], 0.0)
    return BoundResult(best_value, done, time.perf_counter() - started, best, history)


def lp_multipliers(instance: Instance, time_limit: float = 60.0) -> PortableMultipliers | None:
    """The LP relaxation's duals of the dualised rows (HiGHS), by row name.

    They are the best multipliers of the LP of ``instance``; ``None`` if
    the LP is not solved to optimality in ``time_limit``.
    """
    model = RehousingModel(instance, cuts=False)  # duals are read by rule row
    lp = solve_proto(model.model.proto, time_limit=time_limit, relax=True)
    return duals_of(model, lp)


def duals_of(model: RehousingModel, lp: MilpOutcome) -> PortableMultipliers | None:
    """The multipliers that ``lp`` (the LP relaxation of ``model``) prices its rows at.

    A row's variables say which row it is: each variable's row name (for
    R10 its stage and need) and its sign in the row written as in the
    Lagrangian (R1, R8: places minus households; R10: spares minus
    displaced households).
    """
    if lp.row_duals is None:
        return None
    inst, v = model.instance, model.vars
    need_groups, needs = inst.need_groups, need_names(inst)
    # R1 and R8: variable -> (row name, sign)
    tied: dict[int, tuple[RowName, int]] = {}
    # R10: variable -> (stage, need, sign)
    r10: dict[int, tuple[str, int, int]] = {}
    # R14: a permanent option -> its household, whose home it vacates
    movers: dict[int, str] = {}
    for hi, info in enumerate(inst.households):
        c = info.signature
        for k, opt in enumerate(info.options):
            var = v.option[hi][k].Index()
            if opt.window is not None:
                tied[var] = (stay_name(inst, opt.window, c), -1)
                r10[var] = (info.stage, inst.need_of[c], -1)
            elif opt.kind is OptionKind.PERMANENT:
                tied[var] = (move_name(inst, info.stage, info.out, c), -1)
                movers[var] = info.household.id
    for (w, _), by_class in v.stay.items():
        for c, place in by_class.items():
            tied[place.Index()] = (stay_name(inst, w, c), 1)
    for places in v.pav_place:
        for w, by_class in places.items():
            for c, place in by_class.items():
                tied[place.Index()] = (stay_name(inst, w, c), 1)
    for (stage, day, _), by_class in v.move.items():
        for c, place in by_class.items():
            tied[place.Index()] = (move_name(inst, stage, day, c), 1)
    for (stage, _), by_need in v.spare.items():
        for n, held in by_need.items():
            r10[held.Index()] = (stage, n, 1)
    for spares in v.pav_spare:
        for w, by_need in spares.items():
            for n, held in by_need.items():
                r10[held.Index()] = (inst.windows[w].stage, n, 1)

    out = PortableMultipliers()
    proto = model.model.proto
    tied_rules = (
        RehousingModel.r1_every_stay_housed.__name__,
        RehousingModel.r8_permanent_movers_housed.__name__,
    )
    for rule in tied_rules:
        for i in model.rule_rows.get(rule, range(0)):
            linear = proto.constraints[i].linear
            name, sign = tied[linear.vars[0]]
            # the row is orientation * (places - households): multiplier = dual * orientation
            out.rows[name] = math.copysign(1.0, linear.coeffs[0]) * sign * lp.row_duals[i]
    for i in model.rule_rows.get(RehousingModel.r10_overcapacity.__name__, range(0)):
        linear = proto.constraints[i].linear
        stage, n, sign = r10[linear.vars[0]]
        orientation = math.copysign(1.0, linear.coeffs[0]) * sign
        dual = orientation * lp.row_duals[i]
        if any(
            r10[ref][2] > 0 and abs(k) == 1
            for ref, k in zip(linear.vars, linear.coeffs, strict=True)
        ):
            # spares <= displaced of a need: the Lagrangian adds mu * (spares - displaced)
            out.rows[("need", stage, needs[n])] = -dual
        elif any(d != 0 and abs(d) < 2**62 for d in list(linear.domain)):
            # 100 spares >= pct displaced - 99 of a need group: per spare
            out.rows[("group", stage, need_groups[n])] = 100 * dual
        else:  # 100 spares >= pct displaced in all
            out.rows[("stage", stage)] = 100 * dual
    for i in model.rule_rows.get(RehousingModel.unit_paths.__name__, range(0)):
        linear = proto.constraints[i].linear
        mover = next(
            ((ref, k) for ref, k in zip(linear.vars, linear.coeffs, strict=True) if ref in movers),
            None,
        )
        if mover is not None:  # the home is used <= its household moves: pi * (used - moves)
            ref, k = mover
            out.rows[("vacated", movers[ref])] = math.copysign(1.0, k) * lp.row_duals[i]
    return out


def scenario_bound(
    scenario: Scenario,
    *,
    upper: float | None = None,
    time_limit: float = 300.0,
    start: PortableMultipliers | None = None,
    stop: StopCheck | None = None,
) -> BoundResult:
    """A lower bound (øre) on the cost of every plan of ``scenario`` that keeps the rules.

    Meant for scenarios too large for one model. The whole scenario's unit
    networks are built once, without a size limit, straight into arrays
    (:meth:`Lagrangian.of_scenario`; on the 7,000-household portfolio P,
    11 million nodes and 16 million arcs, about 40-60 s and 0.9 GB on top of
    the scenario, docs/MEMORY.md), then subgradient steps improve
    the multipliers for the rest of ``time_limit``, from ``start`` (e.g. a
    decomposition's groups' LP duals, :func:`duals_of`) where it names a
    row and :meth:`Lagrangian.cheapest_places` elsewhere, or from the
    latter alone if that is better. ``upper`` (øre) is the cost of a known
    plan, which sizes the steps. ``stop`` ends the steps early (see
    :func:`lagrangian_bound`).
    """
    started = time.perf_counter()
    lag = Lagrangian.of_scenario(scenario)
    instance = lag.instance
    first = lag.cheapest_places()
    if start is not None:
        given = lag.from_portable(start, first)
        if lag.evaluate(given).value > lag.evaluate(first).value:
            first = given
    left = time_limit - (time.perf_counter() - started)
    result = lagrangian_bound(
        instance, upper=upper, time_limit=max(left, 0.0), start=first, lagrangian=lag, stop=stop
    )
    result.seconds = time.perf_counter() - started
    return result
