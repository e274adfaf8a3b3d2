"""The one entry point: :func:`solve` a scenario into a verified-ready plan."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import version
from typing import Any

from ortools.sat.python import cp_model

from allocator.bound import lagrange
from allocator.bound.milp import solve_proto
from allocator.cpsat.extract import extract
from allocator.cpsat.instance import ModelTooLarge, build_instance
from allocator.cpsat.model import RehousingModel
from allocator.heuristics.greedy import GreedyFailed, greedy_plan
from allocator.plan.pricing import build_plan, plan_objective
from models.plan import Plan, Result, SolverInfo, Status
from models.scenario import Scenario

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
    cp_model.UNKNOWN: Status.NO_SOLUTION_IN_TIME,
}

#: Full-problem CP-SAT subsolvers used with two or more workers unless the
#: caller picks others. The default two-worker portfolio lacks ``max_lp``,
#: which is what proves optimality on the path formulation: measured on
#: generated S (60 households) with ``strategy="cp-sat"``: default 1.4 %
#: gap after 30 s, ``max_lp`` + ``core`` optimal in 0.7 s (docs/NOTES.md).
DEFAULT_SUBSOLVERS = ["max_lp", "core"]

#: Default ``max_nodes`` of :func:`solve`. Measured: XL (3,000 households, 12
#: stages) has 270,000 nodes and builds in about 25 s, and its LP takes about
#: 75 s; the portfolio P (7,000 households, 100 stages) would have 3.9 million.
MAX_NODES = 1_500_000

#: Share of the time limit the LP relaxation may take at most.
LP_SHARE = 0.5
#: Share of the remaining time for the search restricted to the LP's support.
RESTRICTED_SHARE = 0.4


class Strategy(StrEnum):
    """How :func:`solve` searches.

    ``lp-guided`` (default) solves the LP relaxation first (HiGHS inside
    OR-Tools), uses it as the lower bound, finds a first plan with CP-SAT
    restricted to the variables the LP uses, then fixes every variable whose
    LP reduced cost proves it cannot appear in a better plan, and lets CP-SAT
    finish the rest. ``cp-sat`` hands the whole model to CP-SAT alone.
    """

    LP_GUIDED = "lp-guided"
    CP_SAT = "cp-sat"


@dataclass
class _Search:
    """Outcome of one search strategy, objective and bound in øre."""

    status: Status
    solver: cp_model.CpSolver | None = None
    objective: int | None = None
    bound: float | None = None
    notes: list[str] = field(default_factory=list)


def solve(
    scenario: Scenario,
    time_limit: float = 60.0,
    num_workers: int = 2,
    seed: int = 0,
    *,
    log: bool = False,
    initial_plan: Plan | None = None,
    strategy: Strategy | str = Strategy.LP_GUIDED,
    gap_limit: float = 1e-3,
    on_progress: ProgressCallback | None = None,
    max_nodes: int | None = MAX_NODES,
    **solver_params: Any,
) -> Result:
    """Plan the rehousing of ``scenario`` at least cost.

    Parameters
    ----------
    scenario
        A validated scenario.
    time_limit
        Wall-clock seconds for the search; the best plan found is returned.
    num_workers
        CP-SAT search workers. With one worker and a fixed ``seed`` the same
        scenario always gives the same plan (for one OR-Tools version).
    seed
        CP-SAT's random seed.
    log
        Write the solver logs to standard error.
    initial_plan
        A plan to start from (a hint for each household's outcome); it need
        not be feasible.
    strategy
        ``"lp-guided"`` (default) or ``"cp-sat"``; see :class:`Strategy`.
    on_progress
        Called with a :class:`Progress` whenever a better plan is found.
    gap_limit
        Stop once the plan is proven within this relative distance of the
        lower bound (default 0.1 %); 0 searches for a
        proof of optimality until the time limit.
    max_nodes
        Refuse to build a model whose candidate dwellings' networks have more
        nodes than this (``None``: no limit), instead of minutes of building
        and gigabytes of memory. A refused scenario of several departments
        is then planned by decomposition
        (:func:`allocator.heuristics.portfolio.solve_portfolio`): groups of whole
        departments solved one after the other in time order within the
        time left, their plans merged and checked; the result is
        ``FEASIBLE`` with no bound and no gap, ``solver.strategy ==
        "portfolio"``, and warnings that say how large the model would be
        and into how many groups it was split. A scenario that cannot be
        split (one department), or a decomposition that ends worse than
        the greedy planner, gives the greedy planner's plan (``FEASIBLE``,
        no bound, ``solver.strategy == "greedy"``), or
        ``NO_SOLUTION_IN_TIME`` if it has none.
    **solver_params
        Further CP-SAT parameters by name, e.g. ``linearization_level=2``
        or ``subsolvers=["max_lp", "core"]``.

    Returns
    -------
    Result
        Status, objective and bound in DKK, gap, runtime and the plan.
        It never raises for an infeasible, invalid or timed-out run.
    """
    params = dict(solver_params)
    if num_workers >= 2:
        params.setdefault("subsolvers", DEFAULT_SUBSOLVERS)
    params.update(
        max_time_in_seconds=float(time_limit),
        num_workers=int(num_workers),
        random_seed=int(seed),
        log_search_progress=bool(log),
        log_to_stdout=False,
        relative_gap_limit=float(gap_limit),
    )
    started = time.perf_counter()
    try:
        instance = build_instance(scenario, max_nodes=max_nodes)
    except ModelTooLarge as exc:
        from allocator.heuristics import portfolio  # it calls solve() for its groups

        refused = time.perf_counter() - started
        size = portfolio.group_size_for(scenario, exc.estimate, exc.limit)
        if portfolio.in_group() or len(portfolio.plan_groups(scenario, size)) < 2:
            return _greedy_fallback(scenario, str(exc), params, refused)
        return portfolio.solve_portfolio(
            scenario,
            time_limit=max(1.0, time_limit - refused),
            num_workers=num_workers,
            seed=seed,
            group_size=size,
            reason=str(exc),
            log=log,
            gap_limit=gap_limit,
            max_nodes=max_nodes,
            strategy=strategy,
            nodes=exc.estimate,
            **solver_params,
        )
    model = RehousingModel(instance)
    if initial_plan is not None:
        model.hint(initial_plan)
    build_seconds = time.perf_counter() - started

    warnings = list(instance.warnings)
    try:
        _configured(params, time_limit, log)
        strategy = Strategy(strategy)
    except (AttributeError, TypeError, ValueError) as exc:
        warnings.append(f"solver settings rejected: {exc}")
        return _result(
            scenario, _Search(Status.MODEL_INVALID), 0.0, warnings, params, model, build_seconds
        )

    search_start = time.perf_counter()
    watch = (on_progress, search_start)
    if strategy is Strategy.CP_SAT:
        search = _cp_sat(model.model, params, time_limit, log, watch=watch)
    else:
        search = _lp_guided(model, params, time_limit, log, watch)
    runtime = time.perf_counter() - search_start
    warnings += search.notes
    return _result(scenario, search, runtime, warnings, params, model, build_seconds, strategy)


def _greedy_fallback(
    scenario: Scenario, reason: str, params: dict[str, Any], build_seconds: float
) -> Result:
    """The greedy spreadsheet plan, as the best plan found, when no model is built.

    It obeys every rule (the greedy planner's plans pass the checker) but no
    lower bound is known: ``bound`` and ``gap`` are ``None``. If the greedy
    planner cannot house everyone either, there is no plan.
    """
    started = time.perf_counter()
    warnings = [reason]
    info = _info(params, None, build_seconds, strategy="greedy")
    try:
        plan = greedy_plan(scenario)
    except GreedyFailed as exc:
        warnings.append(f"the greedy planner found no plan either: {exc}")
        return Result(
            scenario=scenario.name,
            status=Status.NO_SOLUTION_IN_TIME,
            objective=None,
            bound=None,
            gap=None,
            runtime=time.perf_counter() - started,
            plan=None,
            warnings=warnings,
            solver=info,
        )
    warnings.append(
        "the plan is the greedy spreadsheet-style plan (allocator.heuristics.greedy): it keeps "
        "every rule, but no lower bound is known, so neither is its distance from the optimum"
    )
    return Result(
        scenario=scenario.name,
        status=Status.FEASIBLE,
        objective=plan_objective(plan),
        bound=None,  # the greedy planner proves nothing
        gap=None,
        runtime=time.perf_counter() - started,
        plan=plan,
        warnings=warnings,
        solver=info,
    )


def _configured(params: dict[str, Any], time_limit: float, log: bool) -> cp_model.CpSolver:
    """A CP-SAT solver with ``params`` and the given time limit."""
    solver = cp_model.CpSolver()
    for name, val in {**params, "max_time_in_seconds": max(0.0, time_limit)}.items():
        if isinstance(val, list | tuple):  # repeated fields, e.g. subsolvers
            repeated = getattr(solver.parameters, name)
            repeated.clear()
            repeated.extend(val)
        else:
            setattr(solver.parameters, name, val)
    if log:
        solver.log_callback = lambda line: print(line, file=sys.stderr)
    return solver


@dataclass(frozen=True)
class Progress:
    """A progress report: a better plan was found (money in DKK)."""

    elapsed: float
    objective: float
    bound: float


ProgressCallback = Callable[[Progress], None]


class _Watch(cp_model.CpSolverSolutionCallback):
    """Reports each better plan; stops once it is within ``gap_limit`` of ``bound``.

    With a known ``bound`` (the LP bound of the whole model) that is the
    bound reported: CP-SAT's own bound on a restricted or reduced model is
    no bound on the whole model. Without one, the model is the whole model
    and CP-SAT's bound is reported.
    """

    def __init__(
        self, bound: float | None, gap_limit: float, on_progress: ProgressCallback | None, t0: float
    ) -> None:
        super().__init__()
        self.bound, self.gap_limit, self.on_progress, self.t0 = bound, gap_limit, on_progress, t0

    def on_solution_callback(self) -> None:
        objective = self.objective_value
        bound = self.best_objective_bound if self.bound is None else self.bound
        if self.on_progress is not None:
            elapsed = time.perf_counter() - self.t0
            self.on_progress(Progress(elapsed, objective / 100, bound / 100))
        if self.bound is not None and objective - self.bound <= self.gap_limit * abs(objective):
            self.stop_search()


def _cp_sat(
    model: cp_model.CpModel,
    params: dict[str, Any],
    time_limit: float,
    log: bool,
    bound: float | None = None,
    watch: tuple[ProgressCallback | None, float] = (None, 0.0),
) -> _Search:
    """Run CP-SAT on ``model``; stop near ``bound`` (a known lower bound) if given."""
    solver = _configured(params, time_limit, log)
    gap_limit = float(params.get("relative_gap_limit", 0.0))
    callback = _Watch(bound, gap_limit, *watch)
    status = _STATUS.get(solver.solve(model, callback), Status.NO_SOLUTION_IN_TIME)
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        notes = [f"CP-SAT: {model.validate()}"] if status is Status.MODEL_INVALID else []
        return _Search(status, notes=notes)
    objective, bound = round(solver.objective_value), solver.best_objective_bound
    if status is Status.OPTIMAL and objective > math.ceil(bound - 1e-6):
        status = Status.FEASIBLE  # CP-SAT says OPTIMAL when it stops at relative_gap_limit
    return _Search(status, solver, objective, bound)


def _lp_guided(
    model: RehousingModel,
    params: dict[str, Any],
    time_limit: float,
    log: bool,
    watch: tuple[ProgressCallback | None, float],
) -> _Search:
    """LP bound, a first plan on the LP's support, reduced-cost fixing, CP-SAT.

    Every step keeps the optimality argument exact: the LP value is a lower
    bound; a variable at a bound in the LP optimum with reduced cost ``d``
    moves ``k`` steps away from it only in plans costing at least
    ``LP + k * d``, so with an incumbent of cost ``UB`` it can be limited to
    ``floor((UB - LP) / d)`` steps without losing any plan better than ``UB``.
    """
    deadline = time.perf_counter() + time_limit
    proto = model.model.proto
    lp = solve_proto(proto, time_limit=time_limit * LP_SHARE, relax=True)
    lagrange.record_lp(model, lp)  # a decomposition's start for its bound
    if log:
        print(
            f"genhus: LP relaxation {lp.status} {lp.objective} in {lp.runtime:.2f}s",
            file=sys.stderr,
        )
    if lp.status == "INFEASIBLE":
        return _Search(Status.INFEASIBLE, notes=["the LP relaxation is infeasible"])
    if (
        lp.status != "OPTIMAL"
        or lp.values is None
        or lp.reduced_costs is None
        or lp.lower_bounds is None
        or lp.upper_bounds is None
    ):
        return _cp_sat(model.model, params, deadline - time.perf_counter(), log, watch=watch)
    lower = lp.objective or 0.0
    values, reduced = lp.values, lp.reduced_costs
    # every variable of the model has finite bounds
    domains = [(int(lo), int(hi)) for lo, hi in zip(lp.lower_bounds, lp.upper_bounds, strict=True)]

    hinted = set(proto.solution_hint.vars)  # from initial_plan, if any
    rounded = [round(x) for x in values]
    unhinted = [i for i in range(len(values)) if i not in hinted]
    # 1. A first plan: CP-SAT on the variables the LP uses (others fixed at 0).
    restricted = model.model.clone()
    for i, (x, d) in enumerate(zip(values, reduced, strict=True)):
        if x < 1e-6 and d > 1e-9 and domains[i][0] == 0:
            _set_domain(restricted, i, 0, 0)
    # a caller's warm start wins over the LP's rounding
    _add_hints(restricted, unhinted, [rounded[i] for i in unhinted])
    budget = (deadline - time.perf_counter()) * RESTRICTED_SHARE
    first = _cp_sat(restricted, params, budget, log, bound=lower, watch=watch)
    if first.solver is None or first.objective is None:
        full = model.model.clone()
        _add_hints(full, unhinted, [rounded[i] for i in unhinted])
        search = _cp_sat(
            full, params, deadline - time.perf_counter(), log, bound=lower, watch=watch
        )
        return _with_bound(search, lower)
    upper = first.objective
    incumbent = [int(v) for v in first.solver.response_proto.solution]
    gap_limit = float(params.get("relative_gap_limit", 0.0))
    if upper - lower <= gap_limit * upper or upper <= math.ceil(lower - 1e-6):
        # the restricted search's own bound says nothing about the full model
        return _with_bound(_Search(Status.FEASIBLE, first.solver, upper), lower)

    # 2. Reduced-cost fixing against the incumbent, then CP-SAT on the rest.
    reduced_model = model.model.clone()
    reduced_model.clear_hints()  # type: ignore[no-untyped-call]
    slack = (upper - lower) * (1 + 1e-9) + 1e-6
    fixed = 0
    for i, d in enumerate(reduced):
        lo, hi = domains[i][0], domains[i][-1]
        if d > 1e-9 and values[i] - lo < 1e-6:
            new_hi = lo + math.floor(slack / d)
            if new_hi < hi:
                _set_domain(reduced_model, i, lo, new_hi)
                fixed += 1
        elif d < -1e-9 and hi - values[i] < 1e-6:
            new_lo = hi - math.floor(slack / -d)
            if new_lo > lo:
                _set_domain(reduced_model, i, new_lo, hi)
                fixed += 1
    _add_hints(reduced_model, range(len(incumbent)), incumbent)  # complete: the first plan
    if log:
        print(
            f"genhus: first plan {upper}, LP {lower:.0f}; {fixed} bounds tightened", file=sys.stderr
        )
    final = _cp_sat(
        reduced_model, params, deadline - time.perf_counter(), log, bound=lower, watch=watch
    )
    if final.solver is None or final.objective is None or final.objective > upper:
        status = Status.OPTIMAL if final.status is Status.INFEASIBLE else Status.FEASIBLE
        return _with_bound(
            _Search(
                status, first.solver, upper, float(upper) if status is Status.OPTIMAL else None
            ),
            lower,
        )
    bound = (
        final.objective
        if final.status is Status.OPTIMAL
        else min(float(upper), final.bound or lower)
    )
    return _with_bound(_Search(final.status, final.solver, final.objective, bound), lower)


def _set_domain(model: cp_model.CpModel, index: int, lo: int, hi: int) -> None:
    """Narrow variable ``index`` of ``model`` to [lo, hi] in place (fast on large models)."""
    domain = model.proto.variables[index].domain
    domain.clear()
    domain.extend([lo, hi])


def _add_hints(model: cp_model.CpModel, indices: Iterable[int], values: Sequence[int]) -> None:
    """Hint ``values`` for the variables at ``indices`` in one go."""
    hint = model.proto.solution_hint
    hint.vars.extend(list(indices))
    hint.values.extend(values)


def _with_bound(search: _Search, lower: float) -> _Search:
    """Raise the search's bound to the LP bound; optimal if they meet."""
    if search.objective is None:
        return search
    bound = max(lower, search.bound if search.bound is not None else lower)
    status = search.status
    if search.objective <= math.ceil(bound - 1e-6):
        status = Status.OPTIMAL
    return _Search(status, search.solver, search.objective, bound, search.notes)


def _info(
    params: dict[str, Any],
    model: RehousingModel | None,
    build_seconds: float,
    strategy: Strategy | str = Strategy.LP_GUIDED,
) -> SolverInfo:
    proto = model.model.proto if model is not None else None
    return SolverInfo(
        ortools_version=version("ortools"),
        highs_version=version("highspy") if strategy is Strategy.LP_GUIDED else None,
        strategy=str(strategy),
        seed=int(params["random_seed"]),
        num_workers=int(params["num_workers"]),
        time_limit=float(params["max_time_in_seconds"]),
        parameters={k: str(v) for k, v in params.items()},
        variables=len(proto.variables) if proto is not None else 0,
        constraints=len(proto.constraints) if proto is not None else 0,
        build_seconds=build_seconds,
    )


def _result(
    scenario: Scenario,
    search: _Search,
    runtime: float,
    warnings: list[str],
    params: dict[str, Any],
    model: RehousingModel | None,
    build_seconds: float,
    strategy: Strategy = Strategy.LP_GUIDED,
) -> Result:
    plan = None
    objective = bound = gap = None
    if model is not None and search.solver is not None and search.objective is not None:
        households, places = extract(model, search.solver.value)
        plan = build_plan(scenario, households, places)
        objective = search.objective / 100
        bound = (search.bound if search.bound is not None else 0.0) / 100
        gap = (
            0.0
            if search.status is Status.OPTIMAL
            else max(0.0, (objective - bound) / max(objective, 1e-9))
        )
    return Result(
        scenario=scenario.name,
        status=search.status,
        objective=objective,
        bound=None if bound is None else round(bound, 2),
        gap=gap,
        runtime=runtime,
        plan=plan,
        warnings=warnings,
        solver=_info(params, model, build_seconds, strategy),
    )
