"""The CP-SAT model: variables, one constraint function per rule, objective.

The formulation is the *path* formulation recorded in
``../shared/MODELLING.md`` (its LP relaxation was integral on the instances
measured there): every unit (an availability interval of a dwelling)
follows a path of uses in time order, and places are given to *classes* of
households with equal needs rather than to single households. Pavilion
modules are counted per *chain* (the windows one module serves in turn).
See :mod:`allocator.cpsat.instance` for the data and ``docs/MODEL.md`` for the
rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from allocator import rules
from allocator.cpsat.instance import TIME_POINTS, Instance, NodeKind, OptionKind
from models.plan import Mode, Plan


@dataclass
class Variables:
    """The decision variables, indexed like the instance."""

    # option[h][k]: household h (index into instance.households) takes option k
    option: list[list[cp_model.IntVar]] = field(default_factory=list)
    # arc[u][(i, j)]: unit u goes from node i (-1: source) to node j
    arc: list[dict[tuple[int, int], cp_model.IntVar]] = field(default_factory=list)
    # stay[(w, t)][c]: dwellings of type t housing class c in window w
    stay: dict[tuple[int, int], dict[int, cp_model.IntVar]] = field(default_factory=dict)
    # move[(s, d, t)][c]: dwellings of type t let for good to class c of stage s on day d
    move: dict[tuple[str, int, int], dict[int, cp_model.IntVar]] = field(default_factory=dict)
    # spare[(s, t)][n]: dwellings of type t held as spares of stage s for need n (R10)
    spare: dict[tuple[str, int], dict[int, cp_model.IntVar]] = field(default_factory=dict)
    # chain[p][k]: modules of pavilion type p rented for chain k
    chain: list[list[cp_model.IntVar]] = field(default_factory=list)
    # pav_place[p][w][c]: modules of type p housing class c in window w
    pav_place: list[dict[int, dict[int, cp_model.IntVar]]] = field(default_factory=list)
    # pav_spare[p][w][n]: modules of type p held as spares in window w for need n (R10)
    pav_spare: list[dict[int, dict[int, cp_model.IntVar]]] = field(default_factory=list)


def _total(terms: list[cp_model.IntVar]) -> cp_model.LinearExprT:
    """The sum of ``terms`` (0 for none, like ``sum``), built in one call."""
    return cp_model.LinearExpr.sum(terms) if terms else 0


@dataclass
class _SparePools:
    """R10's terms by (stage, need): displaced households' options, spares held."""

    displaced: dict[tuple[str, int], list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # household index -> how many of its options are counted under the key
    options_of: dict[tuple[str, int], dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    held: dict[tuple[str, int], list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )


class _R10Row:
    """One R10 row: a stage's need group (``floor``) or its total (``ceil``)."""

    def __init__(
        self,
        kind: str,
        stage: str,
        needs: tuple[int, ...],
        pct: int,
        pools: _SparePools,
        instance: Instance,
    ) -> None:
        self.kind, self.stage, self.needs, self.pct = kind, stage, needs, pct
        self.spares = [x for n in needs for x in pools.held.get((stage, n), [])]
        self.demand = [x for n in needs for x in pools.displaced.get((stage, n), [])]
        counted: dict[int, int] = defaultdict(int)
        for n in needs:
            for hi, k in pools.options_of.get((stage, n), {}).items():
                counted[hi] += k
        #: households that may be displaced here, and those that must be
        self.households = len(counted)
        self.forced = sum(k == len(instance.households[hi].options) for hi, k in counted.items())

    def need(self, displaced: int) -> int:
        """Spares the row asks for when ``displaced`` households are displaced."""
        if self.kind == "r10_group":
            return self.pct * displaced // 100
        return -(-self.pct * displaced // 100)


def _lower_hull(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The lower convex hull of ``points`` sorted by x (Andrew's monotone chain)."""
    hull: list[tuple[int, int]] = []
    for x, y in points:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) > 0:
                break
            hull.pop()
        hull.append((x, y))
    return hull


class RehousingModel:
    """The CP-SAT model of one instance.

    Parameters
    ----------
    instance
        The derived integer data of a scenario.
    rules
        Names of the rule methods to build (default :data:`RULES`, all of
        them, in that order). A test can build one rule alone, e.g.
        ``RehousingModel(inst, rules=["r8_one_outcome_per_household"])``;
        the objective then holds the households' outcomes and what the built
        rules price (the units' paths price the places, the fleet the modules).
    cuts
        Add the valid inequalities that tighten the LP relaxation
        (:meth:`r10_rounding_cuts`). Off for a model whose R10 rows get
        slack (the infeasibility diagnosis) or whose LP duals are read row
        by rule (the Lagrangian bound's start).

    """

    #: The rule methods, in the order they are built.
    RULES = (
        "unit_paths",
        "r8_one_outcome_per_household",
        "r1_every_stay_housed",
        "r8_permanent_movers_housed",
        "r12_pavilion_fleet",
        "r10_overcapacity",
    )

    def __init__(
        self, instance: Instance, rules: Sequence[str] | None = None, *, cuts: bool = True
    ) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.vars = Variables()
        # the objective as parallel lists of variables and costs, summed once at
        # the end: one weighted sum is much cheaper than tens of thousands of
        # `cost * var` expressions added up in Python
        self._cost_vars: list[cp_model.IntVar] = []
        self._costs: list[int] = []
        self.reps = instance.representatives
        self._domains: dict[int, cp_model.Domain] = {}
        # by (dwelling type, class, whether a stay)
        self._penalties: dict[tuple[int, int, bool], int] = {}
        #: household id -> the dwelling the extraction gives it first, if the
        #: solution uses that dwelling for its class (a replan's promises)
        self.preferred: dict[str, str] = {}
        #: household id -> the pavilion type whose module the extraction gives it
        #: first, if the solution houses its class in one
        self.preferred_pavilion: dict[str, str] = {}
        #: the constraints each rule added, by rule name (the Lagrangian bound
        #: reads the LP's duals of "r1", "r8_permanent" and "r10")
        self.rule_rows: dict[str, range] = {}
        #: what each row of R1, R8 (permanent movers) and R10 is about, by
        #: constraint index: ("r1", window, class), ("r8_permanent", stage,
        #: day, class), ("r10_group", stage, group needs), ("r10_total", stage);
        #: the infeasibility diagnosis relaxes rows by it
        self.row_keys: dict[int, tuple[object, ...]] = {}
        #: R10's rows as :meth:`r10_overcapacity` built them, which
        #: :meth:`r10_rounding_cuts` strengthens
        self.r10_rows: list[_R10Row] = []
        self._add_variables()
        unknown = set(rules or ()) - set(self.RULES)
        if unknown:
            raise ValueError(f"no such rule methods: {sorted(unknown)}; known: {self.RULES}")
        for name in self.RULES if rules is None else [r for r in self.RULES if r in rules]:
            first = len(self.model.proto.constraints)
            getattr(self, name)()
            self.rule_rows[name] = range(first, len(self.model.proto.constraints))
        first = len(self.model.proto.constraints)
        if cuts:
            self.r10_rounding_cuts()
        #: the valid inequalities added after the rules (not rules: no plan is cut off)
        self.cut_rows = range(first, len(self.model.proto.constraints))
        self._minimize_cost()

    # -- variables ------------------------------------------------------------

    def _add_variables(self) -> None:
        inst, m, v = self.instance, self.model, self.vars
        for hi, info in enumerate(inst.households):
            options = [self._new_var(1, f"opt_{hi}_{k}") for k in range(len(info.options))]
            v.option.append(options)
            self._cost_vars += options
            self._costs += [opt.cost for opt in info.options]
        self._household_index = {info.household.id: hi for hi, info in enumerate(inst.households)}
        # the (unit, node, classes) of each window and type, and of each stage's
        # permanent lettings and type
        self.stay_nodes: dict[tuple[int, int], list[tuple[int, int, tuple[int, ...]]]] = (
            defaultdict(list)
        )
        self.move_nodes: dict[tuple[str, int, int], list[tuple[int, int, tuple[int, ...]]]] = (
            defaultdict(list)
        )
        self.spare_nodes: dict[tuple[str, int], list[tuple[int, int, tuple[int, ...]]]] = (
            defaultdict(list)
        )
        # per unit: the arcs into and out of each node (the source's out of
        # node -1), and each node's inflow as one sum, built once and reused
        self._outgoing: list[dict[int, list[cp_model.IntVar]]] = []
        self._inflow: list[list[cp_model.LinearExprT]] = []
        new_var, boolean = m.new_int_var_from_domain, self._domain(1)
        linear_sum = cp_model.LinearExpr.sum
        for unit in inst.units:
            u = unit.index
            arcs = {(i, j): new_var(boolean, f"arc_{u}_{i}_{j}") for i, j in unit.arcs}
            v.arc.append(arcs)
            incoming: list[list[cp_model.IntVar]] = [[] for _ in unit.nodes]
            outgoing: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for (i, j), var in arcs.items():
                incoming[j].append(var)
                outgoing[i].append(var)
            self._inflow.append([linear_sum(into) for into in incoming])
            self._outgoing.append(outgoing)
            for j, node in enumerate(unit.nodes):
                if node.kind is NodeKind.STAY:
                    assert node.window is not None
                    self.stay_nodes[(node.window, unit.kind)].append((u, j, node.classes))
                elif node.kind is NodeKind.PERMANENT:
                    assert node.stage is not None
                    self.move_nodes[(node.stage, node.start, unit.kind)].append(
                        (u, j, node.classes)
                    )
                elif node.kind is NodeKind.SPARE:
                    assert node.stage is not None
                    self.spare_nodes[(node.stage, unit.kind)].append((u, j, node.classes))
        for (w, t), nodes in self.stay_nodes.items():
            classes = sorted({c for _, _, cs in nodes for c in cs})
            v.stay[(w, t)] = {c: self._new_var(len(nodes), f"stay_{w}_{t}_{c}") for c in classes}
        for (stage, day, t), nodes in self.move_nodes.items():
            classes = sorted({c for _, _, cs in nodes for c in cs})
            v.move[(stage, day, t)] = {
                c: self._new_var(len(nodes), f"move_{stage}_{day}_{t}_{c}") for c in classes
            }
        need_of = inst.need_of
        for (stage, t), nodes in self.spare_nodes.items():
            needs = sorted({need_of[c] for _, _, cs in nodes for c in cs})
            v.spare[(stage, t)] = {
                n: self._new_var(len(nodes), f"spare_{stage}_{t}_{n}") for n in needs
            }
        pct = rules.overcapacity_pct(inst.scenario)
        for p, pav in enumerate(inst.pavilions):
            cap = pav.pavilion.max_count
            v.chain.append([self._new_var(cap, f"chain_{p}_{k}") for k in range(len(pav.chains))])
            windows = {w for ch in pav.chains for w in ch.windows}
            v.pav_place.append(
                {
                    w: {
                        c: self._new_var(cap, f"pav_{p}_{w}_{c}")
                        for c in sorted(inst.window_classes(w) & pav.classes)
                    }
                    for w in sorted(windows)
                }
            )
            spare_windows = {w for ch in pav.chains for w in ch.spare_windows}
            v.pav_spare.append(
                {
                    w: {
                        n: self._new_var(cap, f"pav_spare_{p}_{w}_{n}")
                        for n in sorted(
                            {need_of[c] for c in inst.stage_classes(inst.windows[w].stage)}
                            & {need_of[c] for c in pav.classes}
                        )
                    }
                    for w in sorted(spare_windows)
                }
                if pct
                else {}
            )

    # -- helpers ----------------------------------------------------------------

    def _minimize_cost(self) -> None:
        """Minimise the collected costs plus the costs no decision changes.

        The same objective as ``model.minimize(weighted_sum + constant)``
        (terms by variable index, zero costs left out), written straight into
        the proto: ``minimize`` copies the flattened sum into it term by term
        in Python, which took a tenth of the model's build.
        """
        terms = sorted(
            (var.index, cost)
            for var, cost in zip(self._cost_vars, self._costs, strict=True)
            if cost
        )
        assert len({i for i, _ in terms}) == len(terms), "every variable has one cost"
        objective = self.model.proto.objective
        objective.vars.extend([i for i, _ in terms])
        objective.coeffs.extend([cost for _, cost in terms])
        objective.offset = self.instance.constant_cost
        objective.scaling_factor = 1.0

    def add_cost(self, terms: Sequence[tuple[cp_model.IntVar, int]], constant: int = 0) -> None:
        """Add ``cost * var`` terms (øre) and a constant to the built objective.

        For terms of a caller's own, e.g. the replanner's broken promises
        (:mod:`allocator.replan.replan`); ``var`` must be new to the objective.
        """
        objective = self.model.proto.objective
        objective.vars.extend([var.index for var, _ in terms])
        objective.coeffs.extend([cost for _, cost in terms])
        objective.offset += constant

    def _domain(self, ub: int) -> cp_model.Domain:
        """The domain [0, ``ub``], made once per bound.

        Making a new domain object for each of tens of thousands of variables
        (as ``new_bool_var`` and ``new_int_var`` do) is a good part of their cost.
        """
        domain = self._domains.get(ub)
        if domain is None:
            domain = self._domains[ub] = cp_model.Domain(0, ub)
        return domain

    def _new_var(self, ub: int, name: str) -> cp_model.IntVar:
        """A new variable in [0, ``ub``] (a Boolean for ``ub`` 1)."""
        return self.model.new_int_var_from_domain(self._domain(ub), name)

    def _compensation(self, c: int, place: rules.Place) -> int:
        """R14 ``lower_of_two``: what class ``c``'s tenant is let off in ``place``."""
        days = self.instance.signatures[c].stay_days
        if days is None:
            return 0
        return rules.stay_compensation_ore(self.instance.scenario, self.reps[c], place, days)

    def inflow(self, u: int, j: int) -> cp_model.LinearExprT:
        """1 if unit ``u`` makes use ``j``."""
        return self._inflow[u][j]

    def pavilion_capacity(
        self, p: int, w: int, *, spares_only: bool = False
    ) -> cp_model.LinearExpr:
        """Modules of pavilion type ``p`` rented over window ``w`` (free for offers, if asked)."""
        chains = self.instance.pavilions[p].chains
        return cp_model.LinearExpr.sum(
            [
                self.vars.chain[p][k]
                for k, ch in enumerate(chains)
                if w in (ch.spare_windows if spares_only else ch.windows)
            ]
        )

    def permanent(self, hi: int) -> cp_model.LinearExprT:
        """1 if household ``hi`` moves out for good."""
        info = self.instance.households[hi]
        return sum(
            var
            for var, opt in zip(self.vars.option[hi], info.options, strict=True)
            if opt.kind is OptionKind.PERMANENT
        )

    # -- constraints, one per rule ----------------------------------------------

    def unit_paths(self) -> None:
        """R2, R11: each unit is a path of non-overlapping uses in time order.

        The turnaround (R2) and availability (R11, R15) are built into the
        arcs; a renovated home of a permanent mover exists only if it moves.
        """
        m, inst = self.model, self.instance
        linear_sum = cp_model.LinearExpr.sum
        time_points = tuple(TIME_POINTS)  # a tuple: no hashing of the enum
        for u, unit in enumerate(inst.units):
            outgoing, inflow = self._outgoing[u], self._inflow[u]
            start = linear_sum(outgoing[-1])
            if unit.vacated_by is None:
                m.add(start <= 1)
            else:
                m.add(start <= self.permanent(self._household_index[unit.vacated_by]))
            for j, node in enumerate(unit.nodes):
                out = outgoing.get(j, [])
                if node.kind in time_points:  # a path passes time points, never ends there
                    m.add(linear_sum(out) == inflow[j])
                elif out:
                    m.add(linear_sum(out) <= inflow[j])
                # else nothing leaves the use (a permanent letting, or no later
                # stage): outflow <= inflow would read 0 <= inflow, always true
            # an arc also pays the days of the use it leads into
            occupied = [unit.daily * (node.end - node.start) for node in unit.nodes]
            self._cost_vars += self.vars.arc[u].values()
            self._costs += [price + occupied[j] for (_, j), price in unit.arcs.items()]
        # every stay or permanent letting of a type houses exactly one household
        for (w, t), nodes in self.stay_nodes.items():
            self._one_household_per_use(nodes, self.vars.stay[(w, t)], stays=True)
        for move, nodes in self.move_nodes.items():
            self._one_household_per_use(nodes, self.vars.move[move])
        # every spare of a type is held for one need group (R10)
        for spare, nodes in self.spare_nodes.items():
            used = cp_model.LinearExpr.sum([self._inflow[u][j] for u, j, _ in nodes])
            self.model.add(cp_model.LinearExpr.sum(list(self.vars.spare[spare].values())) == used)

    def _one_household_per_use(
        self,
        nodes: list[tuple[int, int, tuple[int, ...]]],
        counts: dict[int, cp_model.IntVar],
        *,
        stays: bool = False,
    ) -> None:
        """Used nodes of one type equal the households placed there; penalise wishes.

        For ``stays`` also what the tenant is let off of its rent where that
        depends on the place (R14, ``policy.stay_rent = lower_of_two``).
        """
        inst = self.instance
        used = cp_model.LinearExpr.sum([self._inflow[u][j] for u, j, _ in nodes])
        self.model.add(cp_model.LinearExpr.sum(list(counts.values())) == used)
        unit = inst.units[nodes[0][0]]
        for c, var in counts.items():
            # all dwellings of a type cost a class the same penalty and rent
            pen = self._penalties.get((unit.kind, c, stays))
            if pen is None:
                dwelling = inst.scenario.dwelling(unit.dwelling)
                pen = rules.penalty_ore(inst.scenario, self.reps[c], dwelling)
                if stays:
                    pen += self._compensation(c, dwelling)
                self._penalties[(unit.kind, c, stays)] = pen
            if pen:
                self._cost_vars.append(var)
                self._costs.append(pen)

    def r8_one_outcome_per_household(self) -> None:
        """R8: every household gets exactly one outcome its agreement allows."""
        for opts in self.vars.option:
            self.model.add_exactly_one(opts)

    def r1_every_stay_housed(self) -> None:
        """R1: every temporary stay has one place for its whole window."""
        inst, v = self.instance, self.vars
        demand: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for hi, info in enumerate(inst.households):
            for k, opt in enumerate(info.options):
                if opt.window is not None:
                    demand[(opt.window, info.signature)].append(v.option[hi][k])
        supply: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for (w, _), by_class in v.stay.items():
            for c, var in by_class.items():
                supply[(w, c)].append(var)
        for p in range(len(inst.pavilions)):
            for w, by_class in v.pav_place[p].items():
                for c, var in by_class.items():
                    supply[(w, c)].append(var)
        # sorted: the same model (and so the same plan) in every process
        for key in sorted(set(demand) | set(supply)):
            self.model.add(_total(supply.get(key, [])) == _total(demand.get(key, [])))
            self._key_last_row("r1", *key)

    def _key_last_row(self, *key: object) -> None:
        """Record what the constraint added last is about (:attr:`row_keys`)."""
        self.row_keys[len(self.model.proto.constraints) - 1] = key

    def r8_permanent_movers_housed(self) -> None:
        """R8: every permanent mover gets a fitting own-organisation dwelling on its moving day."""
        inst, v = self.instance, self.vars
        demand: dict[tuple[str, int, int], list[cp_model.IntVar]] = defaultdict(list)
        for hi, info in enumerate(inst.households):
            for k, opt in enumerate(info.options):
                if opt.kind is OptionKind.PERMANENT:
                    demand[(info.stage, info.out, info.signature)].append(v.option[hi][k])
        supply: dict[tuple[str, int, int], list[cp_model.IntVar]] = defaultdict(list)
        for (stage, day, _), by_class in v.move.items():
            for c, var in by_class.items():
                supply[(stage, day, c)].append(var)
        for key in sorted(set(demand) | set(supply)):
            self.model.add(_total(supply.get(key, [])) == _total(demand.get(key, [])))
            self._key_last_row("r8_permanent", *key)

    def r12_pavilion_fleet(self) -> None:
        """R12: modules house no more than rented; never more than max_count at once."""
        inst, v, m = self.instance, self.vars, self.model
        for p, pav in enumerate(inst.pavilions):
            for w, by_class in v.pav_place[p].items():
                spare = list(v.pav_spare[p].get(w, {}).values())
                m.add(sum(by_class.values()) + sum(spare) <= self.pavilion_capacity(p, w))
                if spare:  # a spare module is free over the whole offer period (R10)
                    m.add(sum(spare) <= self.pavilion_capacity(p, w, spares_only=True))
                for c, var in by_class.items():
                    pen = rules.penalty_ore(inst.scenario, self.reps[c], pav.pavilion)
                    pen += self._compensation(c, pav.pavilion)
                    if pen:
                        self._cost_vars.append(var)
                        self._costs.append(pen)
            self._cost_vars += v.chain[p]
            self._costs += [ch.cost for ch in pav.chains]
            for t in sorted({ch.rent_start for ch in pav.chains}):
                rented = [
                    v.chain[p][k]
                    for k, ch in enumerate(pav.chains)
                    if ch.rent_start <= t < ch.rent_end
                ]
                m.add(sum(rented) <= pav.pavilion.max_count)

    def r10_overcapacity(self) -> None:
        """R10: each stage holds spares for the target share of its displaced households.

        Per stage s with D displaced households (a stay), D_g of them in need
        group g (R5 rooms, R6 access) and D_n with need n:

        - spares >= ceil(pct * D / 100) in all;
        - spares held for group g >= floor(pct * D_g / 100), so every group
          gets at least its share and the rounding remainder goes anywhere;
        - spares held for need n <= D_n: a spare is held for a need some
          displaced household of the stage has, and fits it.
        """
        inst, m = self.instance, self.model
        pct = rules.overcapacity_pct(inst.scenario)
        if pct == 0:
            return
        pools = self._spare_pools()
        for stage in sorted(inst.stage_windows):
            rows = self._r10_rows(pools, stage)
            self.r10_rows += rows
            for n in rows[-1].needs:  # the total's: every need of the stage
                if pools.held.get((stage, n)):
                    m.add(
                        _total(pools.held[(stage, n)])
                        <= _total(pools.displaced.get((stage, n), []))
                    )
            for row in rows:
                if row.kind == "r10_group":
                    # spares >= floor(pct * demand / 100) <=> 100 * spares > pct * demand - 100
                    m.add(100 * _total(row.spares) >= pct * _total(row.demand) - 99)
                    self._key_last_row("r10_group", stage, row.needs)
                else:
                    m.add(100 * _total(row.spares) >= pct * _total(row.demand))
                    self._key_last_row("r10_total", stage)

    def r10_rounding_cuts(self) -> None:
        """Valid inequalities that round R10's spare counts up, for the LP relaxation.

        Not a rule: every plan meeting R10 meets them. An R10 row asks for
        ``need(D)`` spares (``floor`` or ``ceil`` of ``pct * D / 100``) for
        ``D`` displaced households, which lies between ``L`` (households whose
        every option is a stay counted in the row) and ``U`` (all households
        with such an option). The LP relaxation meets the row with a fraction
        of a spare, e.g. 7.8 spares for 39 households; the facets of the lower
        convex hull of the points ``(D, need(D))``, ``L <= D <= U``, are the
        strongest inequalities in ``D`` and the spares. Measured (issue 16):
        they lift the LP bound of the generated example and M to the proven
        optimum (example 17,457,240.64 -> 17,466,754.44 DKK), S from 0.36 %
        to 0.12 % below it.
        """
        for row in self.r10_rows:  # as the rule built them (none without R10)
            points = [(d, row.need(d)) for d in range(row.forced, row.households + 1)]
            hull = _lower_hull(points)
            for (d1, n1), (d2, n2) in pairwise(hull):
                # the line through (d1, n1) and (d2, n2), times d2 - d1
                dd, dn = d2 - d1, n2 - n1
                total = cp_model.LinearExpr.weighted_sum(
                    [*row.spares, *row.demand], [dd] * len(row.spares) + [-dn] * len(row.demand)
                )
                self.model.add(total >= dd * n1 - dn * d1)

    def _spare_pools(self) -> _SparePools:
        """The displaced households' options and the spares held, by (stage, need)."""
        inst, v = self.instance, self.vars
        pools = _SparePools()
        for hi, info in enumerate(inst.households):
            for k, opt in enumerate(info.options):
                if opt.window is not None:
                    key = (inst.windows[opt.window].stage, inst.need_of[info.signature])
                    pools.displaced[key].append(v.option[hi][k])
                    pools.options_of[key][hi] += 1
        for (stage, _), by_need in v.spare.items():
            for n, var in by_need.items():
                pools.held[(stage, n)].append(var)
        for p in range(len(inst.pavilions)):
            for w, by_need in v.pav_spare[p].items():
                for n, var in by_need.items():
                    pools.held[(inst.windows[w].stage, n)].append(var)
        return pools

    def _r10_rows(self, pools: _SparePools, stage: str) -> list[_R10Row]:
        """R10's rows of ``stage`` in build order: its need groups, then its total."""
        inst = self.instance
        pct = rules.overcapacity_pct(inst.scenario)
        needs = sorted(
            {n for s, n in pools.displaced if s == stage} | {n for s, n in pools.held if s == stage}
        )
        by_group: dict[object, list[int]] = defaultdict(list)
        for n in needs:
            by_group[inst.need_groups[n]].append(n)
        rows = [
            _R10Row("r10_group", stage, tuple(ms), pct, pools, inst) for ms in by_group.values()
        ]
        return [*rows, _R10Row("r10_total", stage, tuple(needs), pct, pools, inst)]

    # -- warm start ---------------------------------------------------------------

    def hint(self, plan: Plan) -> None:
        """Hint each household's outcome in ``plan`` to the solver (a partial hint)."""
        chosen = {p.household: p for p in plan.households}
        for hi, info in enumerate(self.instance.households):
            hp = chosen.get(info.household.id)
            if hp is None:
                continue
            for var, opt in zip(self.vars.option[hi], info.options, strict=True):
                same = (opt.kind is OptionKind.PERMANENT) == (hp.mode is Mode.PERMANENT) and (
                    opt.after == hp.after_dwelling
                )
                self.model.add_hint(var, same)
