"""A Lagrangian lower bound on the optimum, computed without CP-SAT or an LP of the whole.

For scenarios too large for one model (a portfolio of departments), the
plan comes from a decomposition and has no bound of its own. This module
proves one. It takes the model of :mod:`allocator.cpsat.model` and moves the
rows that tie households to places into the objective with multipliers:

- R1, one per (window w, class c): places given = households staying
  (multiplier ``stay[w, c]``, free sign);
- R8, one per (stage s, class c): permanent lettings = permanent movers
  (``move[s, c]``, free sign);
- R10, one per stage s: spares >= pct / 100 * displaced (``spare[s] >= 0``).

The tie of a permanent mover's renovated home to its move is dropped.
What remains falls apart into small problems, each solved exactly or by
its LP relaxation (a lower bound of it):

- the households choose their outcomes at the multipliers' prices, with
  R9 kept (an LP over the options, HiGHS, warm-started);
- every unit (an availability interval of a dwelling) takes its cheapest
  path, or none: a shortest path in its own acyclic network, where a use
  earns the multiplier of the row it serves;
- every pavilion type rents the modules whose schedules pay for
  themselves, at most ``max_count`` at a time (an interval LP). Where the
  instance cut a type's schedules at ``MAX_CHAINS``, any schedule is
  allowed, relaxed (see :meth:`Lagrangian._pavilions`).

For *any* multipliers the sum of these minima plus the constant costs is
at most the cost of every plan of the model: weak duality. The
multipliers are improved by subgradient steps; the best value seen is the
bound. The shortest paths of all units are computed together, level by
level in time, with NumPy: one pass costs about as many operations as the
networks have arcs.

All money is in øre, as in the model.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
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
    NodeKind,
    OptionKind,
    build_instance,
    seniority_rows,
)
from allocator.cpsat.model import RehousingModel
from models.scenario import Scenario

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: First Polyak step factor of the subgradient ascent, halved after
#: ``STALL`` steps without a better value. Measured: on L, 1.0 reached
#: 0.26 % below the optimum in 1,000 steps (0.25: 0.63 %); on P, 300 steps
#: (186 s) climbed from 10.2 % to 3.2 % below the decomposition's plan.
THETA = 1.0
STALL = 20
#: Node ranks on one day, as in the unit networks' topological order.
_RANK = {NodeKind.WAIT: 0, NodeKind.LEASE: 0, NodeKind.HUB: 1}


@dataclass
class Multipliers:
    """Prices of the dualised rows in øre, indexed like the rows of a :class:`Lagrangian`."""

    stay: FloatArray
    move: FloatArray
    spare: FloatArray  # >= 0

    def copy(self) -> Multipliers:
        """An independent copy."""
        return Multipliers(self.stay.copy(), self.move.copy(), self.spare.copy())


#: A row named without instance indices, so that multipliers found on one
#: instance (say, a part of a scenario) can price the rows of another.
StayKey = tuple[str, int, object]  # (stage, window end day, Signature)
MoveKey = tuple[str, object]  # (stage, Signature)


def stay_name(instance: Instance, w: int, c: int) -> StayKey:
    """The name of the R1 row of window ``w`` and class ``c`` of ``instance``."""
    window = instance.windows[w]
    return (window.stage, window.end, instance.signatures[c])


@dataclass
class PortableMultipliers:
    """Multipliers by row name (see :data:`StayKey`), in øre."""

    stay: dict[StayKey, float] = field(default_factory=dict)
    move: dict[MoveKey, float] = field(default_factory=dict)
    spare: dict[str, float] = field(default_factory=dict)

    def update(self, other: PortableMultipliers) -> None:
        """Take over every row ``other`` prices."""
        self.stay.update(other.stay)
        self.move.update(other.move)
        self.spare.update(other.spare)


@dataclass
class Evaluation:
    """The Lagrangian function at some multipliers, with a subgradient."""

    value: float  # øre: a lower bound on the optimum
    stay: FloatArray  # households staying minus places given, per R1 row
    move: FloatArray  # permanent movers minus lettings, per R8 row
    spare: FloatArray  # pct / 100 * displaced - spares, per stage


@dataclass
class BoundResult:
    """Outcome of :func:`lagrangian_bound`."""

    bound: float  # øre
    iterations: int
    seconds: float
    multipliers: Multipliers
    history: list[float] = field(default_factory=list)


class Lagrangian:
    """The Lagrangian relaxation of one instance, ready to be evaluated.

    Parameters
    ----------
    instance
        The derived integer data of a scenario (:func:`~allocator.cpsat.instance.build_instance`).

    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        scenario = instance.scenario
        self.share = round(scenario.policy.overcapacity * 100) / 100  # as R10 rounds it
        self.constant = float(instance.constant_cost)
        self.stages = sorted(
            {w.stage for w in instance.windows} | {h.stage for h in instance.households}
        )
        stage_id = {s: i for i, s in enumerate(self.stages)}
        self.stay_rows: dict[tuple[int, int], int] = {}
        self.move_rows: dict[tuple[int, int], int] = {}
        self._households(stage_id)
        self._units(stage_id)
        self._pavilions(stage_id)

    # -- set-up ------------------------------------------------------------------

    def _stay_row(self, w: int, c: int) -> int:
        return self.stay_rows.setdefault((w, c), len(self.stay_rows))

    def _move_row(self, s: int, c: int) -> int:
        return self.move_rows.setdefault((s, c), len(self.move_rows))

    def _households(self, stage_id: dict[str, int]) -> None:
        """Flat option arrays: cost, household, and the rows each option enters."""
        cost: list[int] = []
        owner: list[int] = []
        stay_row: list[int] = []
        move_row: list[int] = []
        stage: list[int] = []
        starts: list[int] = []
        for hi, info in enumerate(self.instance.households):
            starts.append(len(cost))
            s = stage_id[info.stage]
            for opt in info.options:
                cost.append(opt.cost)
                owner.append(hi)
                stay_row.append(
                    self._stay_row(opt.window, info.signature) if opt.window is not None else -1
                )
                move_row.append(
                    self._move_row(s, info.signature) if opt.kind is OptionKind.PERMANENT else -1
                )
                stage.append(s if opt.window is not None else -1)
        self.opt_cost = np.array(cost, dtype=np.float64)
        self.opt_owner = np.array(owner, dtype=np.int64)
        self.opt_stay = np.array(stay_row, dtype=np.int64)
        self.opt_move = np.array(move_row, dtype=np.int64)
        self.opt_stage = np.array(stage, dtype=np.int64)
        # households without options make the scenario infeasible; the bound then
        # only counts the others (still a valid bound of anything feasible: none)
        self.opt_starts = np.array(
            [s for hi, s in enumerate(starts) if self.instance.households[hi].options],
            dtype=np.int64,
        )
        self._r9 = _SeniorityLp.of(self.instance, starts, len(cost))

    def _units(self, stage_id: dict[str, int]) -> None:
        """All units' networks as one set of arrays, arcs grouped by time level."""
        inst = self.instance
        scenario = inst.scenario
        kind_dwelling: dict[int, str] = {}
        for unit in inst.units:
            kind_dwelling.setdefault(unit.kind, unit.dwelling)
        penalty: dict[tuple[int, int], int] = {}

        def pen(kind: int, c: int) -> int:
            if (kind, c) not in penalty:
                dwelling = scenario.dwelling(kind_dwelling[kind])
                penalty[(kind, c)] = rules.penalty_ore(scenario, inst.representatives[c], dwelling)
            return penalty[(kind, c)]

        # groups: the (window or stage, type) a use serves; each has candidate classes
        groups: dict[tuple[str, int, int], int] = {}
        group_rows: list[tuple[int, int, int, bool]] = []  # (group, row, penalty, is_move)

        def group(kind: str, key: int, t: int, classes: tuple[int, ...]) -> int:
            g = groups.get((kind, key, t))
            if g is None:
                g = groups[(kind, key, t)] = len(groups)
                for c in classes:
                    if kind == "stay":
                        group_rows.append((g, self._stay_row(key, c), pen(t, c), False))
                    else:
                        group_rows.append((g, self._move_row(key, c), pen(t, c), True))
            return g

        node_level_key: list[tuple[int, int, str]] = []
        node_cost: list[int] = []
        node_group: list[int] = []
        node_spare: list[int] = []
        node_unit: list[int] = []
        node_use: list[bool] = []
        tails: list[IntArray] = []
        heads: list[IntArray] = []
        arc_cost: list[IntArray] = []
        offset = 0
        for u, unit in enumerate(inst.units):
            for node in unit.nodes:
                rank = _RANK.get(node.kind, 2)
                # stages may share a move-out day: their wait and lease nodes
                # follow each other in stage order (instance._link)
                chained = node.stage if rank == 0 and node.stage is not None else ""
                node_level_key.append((node.start, rank, chained))
                node_unit.append(u)
                node_use.append(node.kind not in TIME_POINTS)
                g, spare = -1, -1
                if node.kind is NodeKind.STAY:
                    assert node.window is not None
                    g = group("stay", node.window, unit.kind, node.classes)
                elif node.kind is NodeKind.PERMANENT:
                    assert node.stage is not None
                    g = group("move", stage_id[node.stage], unit.kind, node.classes)
                elif node.kind is NodeKind.SPARE:
                    assert node.stage is not None
                    spare = stage_id[node.stage]
                node_group.append(g)
                node_spare.append(spare)
                node_cost.append(unit.daily * (node.end - node.start))
            n = len(unit.arcs)
            ij = np.fromiter(chain.from_iterable(unit.arcs), np.int64, 2 * n).reshape(n, 2)
            tails.append(np.where(ij[:, 0] >= 0, ij[:, 0] + offset, -1))
            heads.append(ij[:, 1] + offset)
            arc_cost.append(np.fromiter(unit.arcs.values(), np.int64, n))
            offset += len(unit.nodes)
        self.nodes = offset
        self.node_cost = np.array(node_cost, dtype=np.float64)
        self.node_group = np.array(node_group, dtype=np.int64)
        self.node_spare = np.array(node_spare, dtype=np.int64)
        self.node_unit = np.array(node_unit, dtype=np.int64)
        self.node_use = np.array(node_use, dtype=bool)
        self.groups = len(groups)
        rows = np.array(group_rows, dtype=np.int64).reshape(-1, 4)
        self.gr_group, self.gr_row, self.gr_pen = rows[:, 0], rows[:, 1], rows[:, 2]
        self.gr_move = rows[:, 3].astype(bool)
        # the node offsets of the units, to take a minimum per unit
        counts = np.bincount(self.node_unit, minlength=len(inst.units))
        self.unit_offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)

        # levels: (day, rank, chained stage) in order
        keys = sorted(set(node_level_key))
        level_of = {k: i for i, k in enumerate(keys)}
        node_level = np.fromiter((level_of[k] for k in node_level_key), np.int64, offset)
        head = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
        tail = np.concatenate(tails) if tails else np.zeros(0, dtype=np.int64)
        # the shortest paths below are exact only if every arc climbs a level
        inner = tail >= 0
        if np.any(node_level[tail[inner]] >= node_level[head[inner]]):
            raise ValueError("an arc of the unit networks does not lead to a later level")
        tail[~inner] = self.nodes  # the source: an extra slot holding 0
        order = np.lexsort((head, node_level[head]))
        self.arc_tail, self.arc_head = tail[order], head[order]
        costs = np.concatenate(arc_cost) if arc_cost else np.zeros(0, dtype=np.int64)
        self.arc_cost = costs.astype(np.float64)[order]
        # per level: the slice of arcs, the distinct heads and where each starts
        arc_level = node_level[self.arc_head]
        bounds = np.searchsorted(arc_level, np.arange(len(keys) + 1))
        # and, per arc, which of the level's heads it leads to
        self.levels: list[tuple[int, int, IntArray, IntArray, IntArray]] = []
        for lv in range(len(keys)):
            lo, hi = int(bounds[lv]), int(bounds[lv + 1])
            if lo == hi:
                continue
            h = self.arc_head[lo:hi]
            starts = np.concatenate(([True], h[1:] != h[:-1]))
            first = np.flatnonzero(starts)
            self.levels.append((lo, hi, h[first], first, np.cumsum(starts) - 1))

    def _pavilions(self, stage_id: dict[str, int]) -> None:
        """Per pavilion type: module schedules, the windows they serve, the rows they price.

        The schedules are the instance's chains if they are all there. If
        the instance cut them at ``MAX_CHAINS`` (a model of many stages),
        any schedule is allowed instead, relaxed: a module serving window w
        pays at least its rent over w, and every module its set-up and
        removal once (a module serves disjoint windows, so its rent covers
        at least their days). That keeps the bound valid for every plan,
        including those of a decomposition whose smaller models have all
        their chains.
        """
        inst = self.instance
        scenario = inst.scenario
        self.pavilion_data = []
        for pav in inst.pavilions:
            relaxed = not pav.complete
            if relaxed:
                windows = sorted(pav.windows)
            else:
                windows = sorted({w for ch in pav.chains for w in ch.windows})
            if not windows:
                continue
            w_index = {w: i for i, w in enumerate(windows)}
            rows = []  # (window slot, row, penalty)
            for w in windows:
                for c in sorted(inst.window_classes(w) & pav.classes):
                    pen = rules.penalty_ore(scenario, inst.representatives[c], pav.pavilion)
                    rows.append((w_index[w], self._stay_row(w, c), pen))
            w_stage = np.array([stage_id[inst.windows[w].stage] for w in windows], dtype=np.int64)
            if relaxed:
                daily = rules.daily_ore(pav.pavilion.monthly_rent)
                spans = [(inst.windows[w].start, inst.windows[w].end) for w in windows]
                cost = [daily * (end - start) for start, end in spans]
                cover = [[slot] for slot in range(len(windows))]
                fixed = float(
                    rules.ore(pav.pavilion.setup_cost) + rules.ore(pav.pavilion.removal_cost)
                )
            else:
                spans = [(ch.rent_start, ch.rent_end) for ch in pav.chains]
                cost = [ch.cost for ch in pav.chains]
                cover = [[w_index[w] for w in ch.windows] for ch in pav.chains]
                fixed = None
            times = sorted({start for start, _ in spans})
            active = [[k for k, (a, b) in enumerate(spans) if a <= t < b] for t in times]
            self.pavilion_data.append(
                _PavilionData(
                    cost=np.array(cost, dtype=np.float64),
                    cover=cover,
                    w_stage=w_stage,
                    rows=np.array(rows, dtype=np.int64).reshape(-1, 3),
                    active=active,
                    cap=pav.pavilion.max_count,
                    fixed=fixed,
                )
            )

    # -- evaluation --------------------------------------------------------------

    def zero(self) -> Multipliers:
        """All multipliers zero."""
        return Multipliers(
            np.zeros(len(self.stay_rows)),
            np.zeros(len(self.move_rows)),
            np.zeros(len(self.stages)),
        )

    def from_portable(self, p: PortableMultipliers, default: Multipliers) -> Multipliers:
        """Multipliers for this instance's rows: ``p`` where it names them, else ``default``."""
        inst = self.instance
        m = default.copy()
        for (w, c), r in self.stay_rows.items():
            m.stay[r] = p.stay.get(stay_name(inst, w, c), m.stay[r])
        for (s, c), r in self.move_rows.items():
            m.move[r] = p.move.get((self.stages[s], inst.signatures[c]), m.move[r])
        for s, stage in enumerate(self.stages):
            m.spare[s] = max(0.0, p.spare.get(stage, m.spare[s]))
        return m

    def cheapest_places(self) -> Multipliers:
        """Multipliers at the cheapest way to give each row a place on its own.

        ``stay[w, c]`` is the least a unit pays to reach a use serving (w, c)
        from its source (holding, deposits, the stay's own rent loss) plus
        the penalty: a good first guess of what a place costs.
        """
        dist = self._distances(self.node_cost)
        m = self.zero()
        m.stay[:] = np.inf
        m.move[:] = np.inf
        used = self.node_group >= 0
        # the cheapest node of every group
        group_cost = np.full(self.groups, np.inf)
        np.minimum.at(group_cost, self.node_group[used], dist[: self.nodes][used])
        price = group_cost[self.gr_group] + self.gr_pen
        np.minimum.at(m.stay, self.gr_row[~self.gr_move], price[~self.gr_move])
        np.minimum.at(m.move, self.gr_row[self.gr_move], price[self.gr_move])
        for pav in self.pavilion_data:  # a module for one window: its cheapest chain
            for k, slots in enumerate(pav.cover):
                if len(slots) != 1:
                    continue
                for slot, row, pen in pav.rows:
                    if slot == slots[0]:
                        m.stay[row] = min(m.stay[row], pav.cost[k] + pen)
        m.stay[~np.isfinite(m.stay)] = 0.0
        m.move[~np.isfinite(m.move)] = 0.0
        return m

    def _distances(self, cost: FloatArray, pred: IntArray | None = None) -> FloatArray:
        """Shortest path from each unit's source to each node (node costs ``cost``).

        With ``pred``, also write each reached node's predecessor on a
        shortest path into it (the source is ``self.nodes``).
        """
        dist = np.full(self.nodes + 1, np.inf)
        dist[self.nodes] = 0.0  # the source
        tail, arc_cost = self.arc_tail, self.arc_cost
        for lo, hi, heads, first, head_of_arc in self.levels:
            vals = dist[tail[lo:hi]] + arc_cost[lo:hi]
            best = np.minimum.reduceat(vals, first)
            dist[heads] = best + cost[heads]
            if pred is not None:  # the first arc at the minimum of each head
                at_min = np.flatnonzero(vals <= best[head_of_arc])
                head_of = head_of_arc[at_min]
                keep = np.concatenate(([True], head_of[1:] != head_of[:-1]))
                pred[heads[head_of[keep]]] = tail[lo + at_min[keep]]
        return dist

    def evaluate(self, m: Multipliers) -> Evaluation:
        """The Lagrangian at ``m`` (a lower bound on the optimum) and a subgradient."""
        g_stay = np.zeros(len(self.stay_rows))
        g_move = np.zeros(len(self.move_rows))
        g_spare = np.zeros(len(self.stages))
        value = self.constant
        value += self._households_part(m, g_stay, g_move, g_spare)
        value += self._units_part(m, g_stay, g_move, g_spare)
        value += self._pavilions_part(m, g_stay, g_spare)
        return Evaluation(value, g_stay, g_move, g_spare)

    def _households_part(
        self, m: Multipliers, g_stay: FloatArray, g_move: FloatArray, g_spare: FloatArray
    ) -> float:
        price = self.opt_cost.copy()
        has_stay = self.opt_stay >= 0
        price[has_stay] += m.stay[self.opt_stay[has_stay]]
        price[has_stay] += self.share * m.spare[self.opt_stage[has_stay]]
        has_move = self.opt_move >= 0
        price[has_move] += m.move[self.opt_move[has_move]]
        if len(self.opt_starts) == 0:
            return 0.0
        if self._r9 is not None:
            value, x = self._r9.solve(price)
        else:  # every household on its own: its cheapest option (the first if tied)
            best = np.minimum.reduceat(price, self.opt_starts)
            owner_best = np.repeat(best, np.diff(np.append(self.opt_starts, len(price))))
            at_min = np.flatnonzero(price <= owner_best)
            chosen = at_min[np.unique(self.opt_owner[at_min], return_index=True)[1]]
            value, x = float(best.sum()), np.zeros(len(price))
            x[chosen] = 1.0
        stays = np.flatnonzero((self.opt_stay >= 0) & (x > 1e-9))
        np.add.at(g_stay, self.opt_stay[stays], x[stays])
        np.add.at(g_spare, self.opt_stage[stays], self.share * x[stays])
        moves = np.flatnonzero((self.opt_move >= 0) & (x > 1e-9))
        np.add.at(g_move, self.opt_move[moves], x[moves])
        return value

    def _group_prices(self, m: Multipliers) -> tuple[FloatArray, IntArray]:
        """Cheapest (penalty - multiplier) per use group, and the row that gives it."""
        price = self.gr_pen.astype(np.float64)
        price[~self.gr_move] -= m.stay[self.gr_row[~self.gr_move]]
        price[self.gr_move] -= m.move[self.gr_row[self.gr_move]]
        return _cheapest(self.gr_group, price, self.groups)

    def _units_part(
        self, m: Multipliers, g_stay: FloatArray, g_move: FloatArray, g_spare: FloatArray
    ) -> float:
        group_price, group_best = self._group_prices(m)
        cost = self.node_cost.copy()
        has_group = self.node_group >= 0
        cost[has_group] += group_price[self.node_group[has_group]]
        has_spare = self.node_spare >= 0
        cost[has_spare] -= m.spare[self.node_spare[has_spare]]
        pred = np.full(self.nodes, -1, dtype=np.int64)
        dist = self._distances(cost, pred)
        ends = np.where(self.node_use, dist[: self.nodes], np.inf)
        per_unit = np.minimum.reduceat(ends, self.unit_offsets)
        total = float(np.minimum(per_unit, 0.0).sum())
        # the uses on each improving unit's path, for the subgradient
        used = per_unit < -1e-6
        if not used.any():
            return total
        best_node = np.full(len(per_unit), -1, dtype=np.int64)
        is_best = np.flatnonzero(ends <= per_unit[self.node_unit])
        best_node[self.node_unit[is_best[::-1]]] = is_best[::-1]  # the first such node
        cur = best_node[used]
        on_path = np.zeros(self.nodes, dtype=bool)
        while cur.size:
            on_path[cur] = True
            cur = pred[cur]
            cur = cur[(cur >= 0) & (cur < self.nodes)]
        path_nodes = np.flatnonzero(on_path)
        groups = self.node_group[path_nodes]
        groups = groups[groups >= 0]
        gr = group_best[groups]
        stay_mask = ~self.gr_move[gr]
        np.subtract.at(g_stay, self.gr_row[gr[stay_mask]], 1.0)
        np.subtract.at(g_move, self.gr_row[gr[~stay_mask]], 1.0)
        spares = self.node_spare[path_nodes]
        np.subtract.at(g_spare, spares[spares >= 0], 1.0)
        return total

    def _pavilions_part(self, m: Multipliers, g_stay: FloatArray, g_spare: FloatArray) -> float:
        total = 0.0
        for pav in self.pavilion_data:
            # per window slot: the best class's (penalty - multiplier + R10 price), if below 0
            slots = len(pav.w_stage)
            spare_price = m.spare[pav.w_stage]
            price = pav.rows[:, 2] - m.stay[pav.rows[:, 1]] + spare_price[pav.rows[:, 0]]
            cheapest, at = _cheapest(pav.rows[:, 0], price, slots)
            housed = cheapest < 0  # a module houses the best class only if that pays
            best = np.where(housed, cheapest, 0.0)
            best_row = np.where(housed, pav.rows[np.maximum(at, 0), 1], -1)
            # a module over a window: -100 * spare price if left free, else the best class
            slot_value = best - spare_price
            reduced = pav.cost + np.array([slot_value[c].sum() for c in pav.cover])
            if (reduced >= 0).all():
                continue
            x, value = _fleet_lp(reduced, pav.active, pav.cap, pav.fixed)
            total += value
            for k in np.flatnonzero(x > 1e-9):
                for slot in pav.cover[k]:
                    g_spare[pav.w_stage[slot]] -= x[k]
                    if best_row[slot] >= 0:
                        g_stay[best_row[slot]] -= x[k]
                        g_spare[pav.w_stage[slot]] += x[k]
        return total


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


class _SeniorityLp:
    """The households' part with R9 kept: an LP over the options (HiGHS, warm-started).

    Rows as in :meth:`allocator.cpsat.model.RehousingModel.r9_seniority`: one outcome
    per household, each after-renovation dwelling to at most one household,
    and for every wish: the household gets it or something it ranks higher,
    or a more senior household gets it, or the household moves for good.
    The LP's value is a lower bound of the households' integer minimum.
    """

    def __init__(self, lp: highspy.HighsLp) -> None:
        with _quiet_stdout():
            self.h = highspy.Highs()  # type: ignore[no-untyped-call]
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.n = lp.num_col_

    @classmethod
    def of(cls, instance: Instance, starts: list[int], n: int) -> _SeniorityLp | None:
        """The LP of ``instance``'s households, or ``None`` if no one wishes anything."""
        r9 = seniority_rows(instance)
        if not r9.at_most_one:
            return None
        rows: list[tuple[list[int], float, float]] = []  # (columns, lower, upper)
        for hi, info in enumerate(instance.households):
            if info.options:
                rows.append((list(range(starts[hi], starts[hi] + len(info.options))), 1, 1))
        for takers in r9.at_most_one:
            rows.append(([starts[hi] + k for hi, k in takers], -highspy.kHighsInf, 1))
        for row in r9.at_least_one:
            rows.append(([starts[hi] + k for hi, k in row], 1, highspy.kHighsInf))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
        lp.row_lower_ = np.array([lo for _, lo, _ in rows], dtype=np.float64)
        lp.row_upper_ = np.array([hi for _, _, hi in rows], dtype=np.float64)
        index = [c for cols, _, _ in rows for c in cols]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.cumsum([0] + [len(c) for c, _, _ in rows]).astype(np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(len(index))
        return cls(lp)

    def solve(self, price: FloatArray) -> tuple[float, FloatArray]:
        """Minimum of ``price @ x`` and the minimiser."""
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), price)
        with _quiet_stdout():
            self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError("the households' seniority LP did not solve")
        x = np.array(self.h.getSolution().col_value, dtype=np.float64)
        return float(price @ x), x


@dataclass
class _PavilionData:
    cost: FloatArray  # per schedule (a chain, or one window when relaxed)
    cover: list[list[int]]  # the window slots each schedule serves
    w_stage: IntArray  # the stage of each window slot
    rows: IntArray  # (window slot, R1 row, penalty)
    active: list[list[int]]  # the schedules renting a module at each start day
    cap: int
    fixed: float | None  # relaxed: set-up and removal per module, paid apart


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
    start: Multipliers | None = None,
    lagrangian: Lagrangian | None = None,
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
        Multipliers to start from (default: zero).
    lagrangian
        A prepared :class:`Lagrangian` of ``instance`` (to reuse its arrays).
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
        norm = float(ev.stay @ ev.stay + ev.move @ ev.move + ev.spare @ ev.spare)
        if norm == 0:
            break  # the relaxed solution keeps every dualised row: the bound is exact
        target = upper if upper is not None else best_value + 0.05 * abs(best_value)
        step = theta * max(target - ev.value, 1e-6 * abs(target)) / norm
        m = Multipliers(
            m.stay + step * ev.stay,
            m.move + step * ev.move,
            np.maximum(0.0, m.spare + step * ev.spare),
        )
    return BoundResult(best_value, done, time.perf_counter() - started, best, history)


def lp_multipliers(instance: Instance, time_limit: float = 60.0) -> PortableMultipliers | None:
    """The LP relaxation's duals of the dualised rows (HiGHS), by row name.

    They are the best multipliers of the LP of ``instance``; ``None`` if
    the LP is not solved to optimality in ``time_limit``.
    """
    model = RehousingModel(instance)
    lp = solve_proto(model.model.proto, time_limit=time_limit, relax=True)
    return duals_of(model, lp)


def duals_of(model: RehousingModel, lp: MilpOutcome) -> PortableMultipliers | None:
    """The multipliers that ``lp`` (the LP relaxation of ``model``) prices its rows at."""
    if lp.row_duals is None:
        return None
    instance = model.instance
    inst, v = instance, model.vars
    # each variable of a dualised row: its row name and the sign it has in
    # "supply - demand" (R1, R8) or "100 * spares - pct * displaced" (R10)
    stay: dict[int, tuple[StayKey, int]] = {}
    move: dict[int, tuple[MoveKey, int]] = {}
    spare: dict[int, tuple[str, int]] = {}

    for hi, info in enumerate(inst.households):
        for k, opt in enumerate(info.options):
            var = v.option[hi][k].Index()
            if opt.window is not None:
                stay[var] = (stay_name(inst, opt.window, info.signature), -1)
                spare[var] = (info.stage, -1)
            elif opt.kind is OptionKind.PERMANENT:
                move[var] = ((info.stage, inst.signatures[info.signature]), -1)
    for (w, _), by_class in v.stay.items():
        for c, place in by_class.items():
            stay[place.Index()] = (stay_name(inst, w, c), 1)
    for places in v.pav_place:
        for w, by_class in places.items():
            for c, place in by_class.items():
                stay[place.Index()] = (stay_name(inst, w, c), 1)
    for (stage, _), by_class in v.move.items():
        for c, place in by_class.items():
            move[place.Index()] = ((stage, inst.signatures[c]), 1)

    out = PortableMultipliers()
    proto = model.model.proto
    named: list[tuple[str, dict[int, tuple[Any, int]], dict[Any, float]]] = [
        (RehousingModel.r1_every_stay_housed.__name__, stay, out.stay),
        (RehousingModel.r8_permanent_movers_housed.__name__, move, out.move),
        (RehousingModel.r10_overcapacity.__name__, spare, out.spare),
    ]
    for rule, names, target in named:
        for i in model.rule_rows.get(rule, range(0)):
            linear = proto.constraints[i].linear
            for ref, coeff in zip(linear.vars, linear.coeffs, strict=True):
                if ref in names:
                    key, sign = names[ref]
                    # the row is orientation * (supply - demand): multiplier = dual * orientation
                    orientation = math.copysign(1.0, coeff) * sign
                    # R10 is dualised per spare, the model's row per 100 spares
                    scale = 100.0 if target is out.spare else 1.0
                    target[key] = scale * orientation * lp.row_duals[i]
                    break
    return out


def scenario_bound(
    scenario: Scenario,
    *,
    upper: float | None = None,
    time_limit: float = 300.0,
    start: PortableMultipliers | None = None,
) -> BoundResult:
    """A lower bound (øre) on the cost of every plan of ``scenario`` that keeps the rules.

    Meant for scenarios too large for one model. The whole scenario's unit
    networks are built once, without a size limit (on the 7,000-household
    portfolio P about a minute and 3 GB), then subgradient steps improve
    the multipliers for the rest of ``time_limit``, from ``start`` (e.g. a
    decomposition's groups' LP duals, :func:`duals_of`) where it names a
    row and :meth:`Lagrangian.cheapest_places` elsewhere, or from the
    latter alone if that is better. ``upper`` (øre) is the cost of a known
    plan, which sizes the steps.
    """
    started = time.perf_counter()
    instance = build_instance(scenario)
    lag = Lagrangian(instance)
    instance.units = []  # the arrays hold what the bound needs; free the networks
    first = lag.cheapest_places()
    if start is not None:
        given = lag.from_portable(start, first)
        if lag.evaluate(given).value > lag.evaluate(first).value:
            first = given
    left = time_limit - (time.perf_counter() - started)
    result = lagrangian_bound(
        instance, upper=upper, time_limit=max(left, 0.0), start=first, lagrangian=lag
    )
    result.seconds = time.perf_counter() - started
    return result
