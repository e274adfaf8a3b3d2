"""The one entry point: :func:`solve` a scenario into a plan, choosing how.

One model (:func:`allocator.solving.single.solve_single`) if it is not too
large; else the portfolio decomposition
(:func:`allocator.heuristics.portfolio.solve_portfolio`) for a scenario of
several departments, or the greedy plan
(:func:`allocator.solving.fallback.greedy_fallback`).
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from allocator import rules
from allocator.cpsat.instance import ModelTooLarge
from allocator.explain.diagnose import diagnose
from allocator.heuristics import portfolio
from allocator.solving.fallback import greedy_fallback
from allocator.solving.progress import ProgressCallback
from allocator.solving.result import make_result, solver_info
from allocator.solving.settings import MAX_NODES, Settings, StopCheck, Strategy
from allocator.solving.single import solve_single
from models.plan import Plan, Result, Status
from models.scenario import Scenario


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
    diagnosis_time: float | None = 30.0,
    stop: StopCheck | None = None,
    **solver_params: Any,
) -> Result:
    """Plan the rehousing of ``scenario`` at least cost.

    Parameters
    ----------
    scenario
        A validated scenario.
    time_limit
        Wall-clock seconds for building the model and searching it (the
        search gets at least 1 s); the best plan found is returned. A
        scenario too large for one model spends part of it finding that
        out; its decomposition then builds no more group models once the
        time is up (docs/RELIABILITY-RUNTIME.md: what the limit covers
        and by how much a run can overrun it).
    num_workers
        CP-SAT search workers. The default ``lp-guided`` strategy gives the
        same plan on every run, for any worker count and one OR-Tools and
        HiGHS version, unless the time limit cuts a step short: its CP-SAT
        search for a first plan runs one worker and HiGHS finishes
        (docs/MODEL.md). ``strategy="cp-sat"`` uses every worker and is
        repeatable with one worker and a fixed ``seed``.
    seed
        CP-SAT's random seed.
    log
        Write the solver logs to standard error.
    initial_plan
        A plan to start from (a hint for each household's outcome); it need
        not be feasible.
    strategy
        ``"lp-guided"`` (default) or ``"cp-sat"``; see
        :class:`~allocator.solving.settings.Strategy`.
    on_progress
        Called with a :class:`~allocator.solving.progress.Progress` whenever a better plan is found.
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
        ``FEASIBLE`` with a Lagrangian bound if there was time for one,
        ``solver.strategy == "portfolio"``, and warnings that say how large the model would be
        and into how many groups it was split. A scenario that cannot be
        split (one department), or a decomposition that ends worse than
        the greedy planner, gives the greedy planner's plan (``FEASIBLE``,
        no bound, ``solver.strategy == "greedy"``), or
        ``NO_SOLUTION_IN_TIME`` if it has none.
    diagnosis_time
        Seconds for the diagnosis of an infeasible scenario
        (:func:`allocator.explain.diagnose.diagnose`; ``None``: no diagnosis).
        Its causes and the changes that lift them are ``Result.diagnosis``.
    stop
        A stop request: called now and then (every 50 ms during a CP-SAT
        search, at HiGHS' interrupt checks, between the phases, the
        decomposition's groups and the Lagrangian steps), it returns
        ``True`` once the search should end, e.g. ``event.is_set`` of a
        :class:`threading.Event` set by a signal handler. The result is
        then the best plan found so far (a decomposition completes the
        groups not yet searched with their greedy plans), with a warning
        that the run was stopped; ``NO_SOLUTION_IN_TIME`` if there was
        none. Building a model is not interrupted: the stop takes effect
        when its search starts. Without a stop request the run is exactly
        as without ``stop``.
    **solver_params
        Further CP-SAT parameters by name, e.g. ``linearization_level=2``
        or ``subsolvers=["max_lp", "core"]``.

    Returns
    -------
    Result
        Status, objective and bound in DKK, gap, runtime and the plan.
        It never raises for an infeasible, invalid or timed-out run.

    Raises
    ------
    ValueError
        If ``time_limit`` or ``gap_limit`` is not finite or out of range.
    """
    settings = Settings.of(
        time_limit,
        num_workers,
        seed,
        log=log,
        strategy=strategy,
        gap_limit=gap_limit,
        stop=stop,
        **solver_params,
    )
    result = _solve(scenario, settings, initial_plan, on_progress, max_nodes, **solver_params)
    asked_to_stop = stop is not None and stop()
    if result.status is Status.INFEASIBLE and diagnosis_time is not None and not asked_to_stop:
        diagnosis = diagnose(scenario, time_limit=diagnosis_time)
        result = result.model_copy(update={"diagnosis": diagnosis})
    if asked_to_stop:
        found = "the best plan found so far" if result.plan is not None else "no plan yet"
        stopped = f"stopped on request after {result.runtime:.1f} s: {found}"
        result = result.model_copy(update={"warnings": [*result.warnings, stopped]})
    return result


def _solve(
    scenario: Scenario,
    settings: Settings,
    initial_plan: Plan | None,
    on_progress: ProgressCallback | None,
    max_nodes: int | None,
    **solver_params: Any,
) -> Result:
    """One model, or the decomposition or the greedy plan if it is too large (see :func:`solve`)."""
    started = time.perf_counter()
    time_limit = settings.time_limit
    p = settings.params
    try:
        result = solve_single(
            scenario,
            settings,
            max_nodes=max_nodes,
            initial_plan=initial_plan,
            on_progress=on_progress,
        ).result
        stopped = settings.stop is not None and settings.stop()
        if result.status is Status.NO_SOLUTION_IN_TIME and not stopped:
            # out of time before any plan (say, a model whose LP takes longer
            # than the limit, as XL's 2 million variables do): the greedy plan
            why = f"the search found no plan within the time limit ({time_limit:g} s)"
            fallback = greedy_fallback(scenario, why, settings, result.solver.build_seconds)
            if fallback.plan is not None:
                warnings = [*result.warnings, *fallback.warnings]
                runtime = result.runtime + fallback.runtime
                result = fallback.model_copy(update={"warnings": warnings, "runtime": runtime})
    except rules.Unschedulable as exc:  # the households cannot all move out in time
        result = make_result(
            scenario.name,
            Status.INFEASIBLE,
            objective=None,
            bound=None,
            runtime=time.perf_counter() - started,
            plan=None,
            warnings=[str(exc)],
            solver=solver_info(settings.params, strategy=str(settings.strategy), lp=False),
        )
    except ModelTooLarge as exc:
        # the decomposition runs inside this block: free what the refused build's
        # frames hold (its partial networks, on P about 200 MB) first
        traceback.clear_frames(exc.__traceback__)
        refused = time.perf_counter() - started
        size = portfolio.group_size_for(scenario, exc.estimate, exc.limit)
        if len(portfolio.plan_groups(scenario, size)) < 2:
            return greedy_fallback(scenario, str(exc), settings, refused)
        return portfolio.solve_portfolio(
            scenario,
            time_limit=max(1.0, time_limit - refused),
            num_workers=p["num_workers"],
            seed=p["random_seed"],
            group_size=size,
            reason=str(exc),
            log=settings.log,
            gap_limit=p["relative_gap_limit"],
            max_nodes=max_nodes,
            strategy=str(settings.strategy),
            nodes=exc.estimate,
            stop=settings.stop,
            **solver_params,
        )
    return result
