"""One model, one search: the LP-guided and CP-SAT strategies (no decomposition here).

:func:`solve_instance` searches a built model; :func:`solve_single` builds
the model of a scenario first and returns its :class:`~models.plan.Result`.
A scenario too large for one model raises
:class:`~allocator.cpsat.instance.ModelTooLarge`: what to do then is the
caller's choice (:func:`allocator.solving.entry.solve` decomposes or falls
back to the greedy plan).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import highspy
import numpy as np
from ortools.sat.python import cp_model

from allocator.bound import lagrange
from allocator.bound.milp import MilpOutcome, solve_proto, translate
from allocator.cpsat.extract import extract
from allocator.cpsat.instance import build_instance
from allocator.cpsat.model import RehousingModel
from allocator.plan.pricing import build_plan
from allocator.solving.progress import Progress, ProgressCallback
from allocator.solving.result import make_result, solver_info
from allocator.solving.settings import (
    FIRST_PLAN_WORKERS,
    ONE_WORKER_LINEARIZATION,
    STOP_POLL,
    Settings,
    StopCheck,
    Strategy,
    configured,
)
from models.plan import Plan, Result, Status
from models.scenario import Scenario

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
    cp_model.UNKNOWN: Status.NO_SOLUTION_IN_TIME,
}

#: Share of the time limit the LP relaxation may take at most.
LP_SHARE = 0.5
#: Share of the remaining time for the search restricted to the LP's support.
RESTRICTED_SHARE = 0.4
#: Fewest seconds a search gets when building the model took its whole time limit
#: (the time limit itself if shorter).
MIN_SEARCH = 1.0


@dataclass
class Outcome:
    """What one search of one model found, money in øre.

    Attributes
    ----------
    status
        How the search ended.
    objective, bound
        The plan's cost and the best proven lower bound (``None`` without a plan).
    plan
        The plan decoded from the solver's values and priced, if one was found.
    duals
        The LP relaxation's multipliers of the rows a Lagrangian bound
        dualises (:func:`allocator.bound.lagrange.duals_of`), if asked for
        and the LP was solved.
    runtime
        Wall seconds of the search (decoding and pricing the plan excluded).
    notes
        Warnings of the search.

    """

    status: Status
    objective: int | None = None
    bound: float | None = None
    plan: Plan | None = None
    duals: lagrange.PortableMultipliers | None = None
    runtime: float = 0.0
    notes: list[str] = field(default_factory=list)


class Solved(NamedTuple):
    """A result of one model and, if asked for, its LP duals (see :class:`Outcome`)."""

    result: Result
    duals: lagrange.PortableMultipliers | None


def solve_single(
    scenario: Scenario,
    settings: Settings,
    *,
    max_nodes: int | None,
    initial_plan: Plan | None = None,
    on_progress: ProgressCallback | None = None,
    duals: bool = False,
) -> Solved:
    """Build the model of ``scenario`` and search it (see :func:`allocator.solving.entry.solve`).

    Parameters
    ----------
    scenario
        A validated scenario.
    settings
        Strategy, time limit and CP-SAT parameters.
    max_nodes
        Refuse a model whose unit networks would have more nodes (``None``: no limit).
    initial_plan
        A plan to start from (a hint), feasible or not.
    on_progress
        Called with a :class:`~allocator.solving.progress.Progress` at each better plan.
    duals
        Also return the LP relaxation's duals (see :class:`Outcome`).

    Returns
    -------
    Solved
        The result (settings that CP-SAT rejects give ``MODEL_INVALID``) and the duals.

    Raises
    ------
    allocator.cpsat.instance.ModelTooLarge
        If the model would have more than ``max_nodes`` nodes.

    """
    started = time.perf_counter()
    instance = build_instance(scenario, max_nodes=max_nodes)
    model = RehousingModel(instance)
    if initial_plan is not None:
        model.hint(initial_plan)
    build_seconds = time.perf_counter() - started
    # the time limit covers building and searching
    left = max(min(MIN_SEARCH, settings.time_limit), settings.time_limit - build_seconds)
    searching = replace(settings, time_limit=left)

    warnings = list(instance.warnings)
    try:
        configured(settings.params, settings.time_limit, settings.log)
        strategy = Strategy(settings.strategy)
    except (AttributeError, TypeError, ValueError) as exc:
        warnings.append(f"solver settings rejected: {exc}")
        outcome, strategy = Outcome(Status.MODEL_INVALID), Strategy.LP_GUIDED
    else:
        outcome = solve_instance(model, searching, strategy, on_progress=on_progress, duals=duals)
        warnings += outcome.notes
    proto = model.model.proto
    result = make_result(
        scenario.name,
        outcome.status,
        objective=None if outcome.objective is None else outcome.objective / 100,
        bound=(outcome.bound if outcome.bound is not None else 0.0) / 100,
        runtime=outcome.runtime,
        plan=outcome.plan,
        warnings=warnings,
        solver=solver_info(
            settings.params,
            strategy=str(strategy),
            lp=strategy is Strategy.LP_GUIDED,
            variables=len(proto.variables),
            constraints=len(proto.constraints),
            build_seconds=build_seconds,
        ),
    )
    return Solved(result, outcome.duals)


def solve_instance(
    model: RehousingModel,
    settings: Settings,
    strategy: Strategy,
    *,
    on_progress: ProgressCallback | None = None,
    duals: bool = False,
) -> Outcome:
    """Search ``model`` with ``strategy`` within ``settings.time_limit``.

    With ``duals`` (and the LP-guided strategy) the outcome carries the LP
    relaxation's duals, e.g. as the start of a Lagrangian bound.
    """
    params, log = settings.params, settings.log
    started = time.perf_counter()
    watch = _Watching(on_progress, started, settings.stop)
    found = None
    if strategy is Strategy.CP_SAT:
        search = _cp_sat(model.model, params, settings.time_limit, log, watch=watch)
    else:
        deadline = started + settings.time_limit
        milp = translate(model.model.proto, stop=settings.stop)  # once, for the LP and the MILP
        if milp is None:  # stopped
            lp = MilpOutcome("ERROR (stopped on request)", None, None, 0.0, None)
        else:
            limit = settings.time_limit * LP_SHARE
            lp = solve_proto(milp, time_limit=limit, relax=True, stop=settings.stop)
        if duals:
            found = lagrange.duals_of(model, lp)
        search = _lp_guided(model, milp, lp, params, deadline, log, watch)
    runtime = time.perf_counter() - started
    if search.values is None or search.objective is None:
        return Outcome(search.status, duals=found, runtime=runtime, notes=search.notes)
    values = search.values
    households, places = extract(model, lambda var: values[var.index])
    plan = build_plan(model.instance.scenario, households, places)
    return Outcome(
        search.status, search.objective, search.bound, plan, found, runtime, search.notes
    )


@dataclass
class _Search:
    """Outcome of one search strategy, objective and bound in øre.

    ``values`` is the plan's solution, the value of every variable by index.
    """

    status: Status
    values: list[int] | None = None
    objective: int | None = None
    bound: float | None = None
    notes: list[str] = field(default_factory=list)


class _Watching(NamedTuple):
    """Who follows a search: the progress callback, the start time, the stop request."""

    on_progress: ProgressCallback | None = None
    t0: float = 0.0
    stop: StopCheck | None = None


_NOBODY = _Watching()


@contextmanager
def _stoppable(solver: cp_model.CpSolver, stop: StopCheck | None) -> Iterator[None]:
    """Stop ``solver``'s search as soon as ``stop()`` says so, meanwhile.

    A thread asks every :data:`STOP_POLL` seconds: a solution callback alone
    would wait for the next plan, which may never come.
    """
    if stop is None:
        yield
        return
    done = threading.Event()

    def poll() -> None:
        while not done.wait(STOP_POLL):
            if stop():
                solver.stop_search()
                return

    watcher = threading.Thread(target=poll, name="genhus-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


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
    watch: _Watching = _NOBODY,
) -> _Search:
    """Run CP-SAT on ``model``; stop near ``bound`` (a known lower bound) if given.

    A stop request (``watch.stop``) ends the search with its best plan; one
    made before it starts skips it (no plan).
    """
    if watch.stop is not None and watch.stop():
        return _Search(Status.NO_SOLUTION_IN_TIME)
    solver = configured(params, time_limit, log, stoppable=watch.stop is not None)
    gap_limit = float(params.get("relative_gap_limit", 0.0))
    callback = _Watch(bound, gap_limit, watch.on_progress, watch.t0)
    with _stoppable(solver, watch.stop):
        code = solver.solve(model, callback)
    status = _STATUS.get(code, Status.NO_SOLUTION_IN_TIME)
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        notes = [f"CP-SAT: {model.validate()}"] if status is Status.MODEL_INVALID else []
        return _Search(status, notes=notes)
    objective, bound = round(solver.objective_value), solver.best_objective_bound
    if status is Status.OPTIMAL and objective > math.ceil(bound - 1e-6):
        status = Status.FEASIBLE  # CP-SAT says OPTIMAL when it stops at relative_gap_limit
    values = [int(v) for v in solver.response_proto.solution]
    return _Search(status, values, objective, bound)


def _lp_guided(
    model: RehousingModel,
    milp: highspy.HighsLp | None,
    lp: MilpOutcome,
    params: dict[str, Any],
    deadline: float,
    log: bool,
    watch: _Watching,
) -> _Search:
    """From the LP relaxation ``lp``: a first plan on the LP's support, reduced-cost fixing, HiGHS.

    ``milp`` is the model as HiGHS has it (:func:`allocator.bound.milp.translate`).

    Every step keeps the optimality argument exact: the LP value is a lower
    bound; a variable at a bound in the LP optimum with reduced cost ``d``
    moves ``k`` steps away from it only in plans costing at least
    ``LP + k * d``, so with an incumbent of cost ``UB`` it can be limited to
    ``floor((UB - LP) / d)`` steps without losing any plan better than ``UB``.
    """
    proto = model.model.proto
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

    if lp.integral is not None:
        # the LP optimum is a plan: no plan costs less (a caller's hint is moot)
        objective = _objective_of(proto, lp.integral)
        if watch.on_progress is not None:
            elapsed = time.perf_counter() - watch.t0
            watch.on_progress(Progress(elapsed, objective / 100, lower / 100))
        return _with_bound(_Search(Status.FEASIBLE, lp.integral, objective), lower)

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
    first = _cp_sat(restricted, _first_plan_params(params), budget, log, bound=lower, watch=watch)
    if first.values is None or first.objective is None:
        full = model.model.clone()
        _add_hints(full, unhinted, [rounded[i] for i in unhinted])
        search = _cp_sat(
            full, params, deadline - time.perf_counter(), log, bound=lower, watch=watch
        )
        return _with_bound(search, lower)
    upper = first.objective
    incumbent = first.values
    gap_limit = float(params.get("relative_gap_limit", 0.0))
    if upper - lower <= gap_limit * upper or upper <= math.ceil(lower - 1e-6):
        # the restricted search's own bound says nothing about the full model
        return _with_bound(_Search(Status.FEASIBLE, incumbent, upper), lower)

    # 2. Reduced-cost fixing against the incumbent, then HiGHS on the rest.
    lo, hi = np.asarray(lp.lower_bounds), np.asarray(lp.upper_bounds)
    lp_x, rc = np.asarray(values), np.asarray(reduced)
    slack = (upper - lower) * (1 + 1e-9) + 1e-6
    new_lo, new_hi = lo.copy(), hi.copy()
    at_lower = (rc > 1e-9) & (lp_x - lo < 1e-6)
    new_hi[at_lower] = np.minimum(hi[at_lower], lo[at_lower] + np.floor(slack / rc[at_lower]))
    at_upper = (rc < -1e-9) & (hi - lp_x < 1e-6)
    new_lo[at_upper] = np.maximum(lo[at_upper], hi[at_upper] - np.floor(slack / -rc[at_upper]))
    tightened = np.flatnonzero((new_lo > lo) | (new_hi < hi))
    if log:
        print(
            f"genhus: first plan {upper}, LP {lower:.0f}; {len(tightened)} bounds tightened",
            file=sys.stderr,
        )
    final = _Search(Status.NO_SOLUTION_IN_TIME)
    if milp is not None:
        milp.col_lower_, milp.col_upper_ = new_lo, new_hi
        final = _highs_finish(milp, proto, deadline, gap_limit, watch)
    if final.values is None:  # HiGHS had no answer: CP-SAT from the first plan
        reduced_model = model.model.clone()
        reduced_model.clear_hints()  # type: ignore[no-untyped-call]
        for k in tightened:
            _set_domain(reduced_model, int(k), int(new_lo[k]), int(new_hi[k]))
        _add_hints(reduced_model, range(len(incumbent)), incumbent)  # complete
        left = deadline - time.perf_counter()
        final = _cp_sat(reduced_model, params, left, log, bound=lower, watch=watch)
    if final.values is None or final.objective is None or final.objective > upper:
        status = Status.OPTIMAL if final.status is Status.INFEASIBLE else Status.FEASIBLE
        proven = float(upper) if status is Status.OPTIMAL else final.bound
        return _with_bound(_Search(status, incumbent, upper, proven), lower)
    bound = (
        final.objective
        if final.status is Status.OPTIMAL
        else min(float(upper), final.bound or lower)
    )
    return _with_bound(_Search(final.status, final.values, final.objective, bound), lower)


def _highs_finish(
    milp: highspy.HighsLp,
    proto: cp_model.CpModelProto,
    deadline: float,
    gap_limit: float,
    watch: _Watching,
) -> _Search:
    """HiGHS's MIP search of ``milp`` (the reduced model of ``proto``) within the time left.

    Deterministic (one thread, fixed seed), so the plan does not depend on
    thread timing. The plan's cost is recomputed from its values rather
    than taken from HiGHS, and HiGHS's dual bound is its proof. Measured on
    generated S (issue 16): 0.1 s to prove the optimum, where CP-SAT's
    interleaved search took 1 s. No answer (stopped, out of time, an
    error) gives no values, and the caller goes on without them.
    """
    left = deadline - time.perf_counter()
    if left <= 0:
        return _Search(Status.NO_SOLUTION_IN_TIME)
    out = solve_proto(milp, time_limit=left, gap_limit=gap_limit, stop=watch.stop)
    if out.status == "INFEASIBLE":  # no plan better than the first (the fixing allows none)
        return _Search(Status.INFEASIBLE)
    if out.status not in ("OPTIMAL", "FEASIBLE") or out.values is None:
        return _Search(Status.NO_SOLUTION_IN_TIME)
    values = [round(x) for x in out.values]
    objective = _objective_of(proto, values)
    bound = min(float(objective), out.dual_bound if out.dual_bound is not None else -math.inf)
    status = Status.OPTIMAL if objective <= math.ceil(bound - 1e-6) else Status.FEASIBLE
    if watch.on_progress is not None:
        elapsed = time.perf_counter() - watch.t0
        watch.on_progress(Progress(elapsed, objective / 100, bound / 100))
    return _Search(status, values, objective, bound)


def _objective_of(proto: cp_model.CpModelProto, values: Sequence[int]) -> int:
    """The objective of the solution ``values`` (by variable index) in øre."""
    objective = proto.objective
    terms = zip(objective.vars, objective.coeffs, strict=True)
    total: int = sum(int(coeff) * values[var] for var, coeff in terms)
    return round(objective.offset) + total


def _first_plan_params(params: dict[str, Any]) -> dict[str, Any]:
    """The CP-SAT parameters of the search for a first plan: one worker (deterministic)."""
    first = {k: v for k, v in params.items() if k != "subsolvers"}
    if params.get("num_workers", 1) != FIRST_PLAN_WORKERS:
        first["num_workers"] = FIRST_PLAN_WORKERS
        first.setdefault("linearization_level", ONE_WORKER_LINEARIZATION)
    return first


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
    return _Search(status, search.values, search.objective, bound, search.notes)
