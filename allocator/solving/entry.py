"""The one entry point: :func:`solve` a scenario into a plan, choosing how.

One model (:func:`allocator.solving.single.solve_single`) if it is not too
large; else the portfolio decomposition
(:func:`allocator.heuristics.portfolio.solve_portfolio`) for a scenario of
several departments, or the greedy plan
(:func:`allocator.solving.fallback.greedy_fallback`).
"""

from __future__ import annotations

import time
from typing import Any

from allocator import rules
from allocator.cpsat.instance import ModelTooLarge
from allocator.explain.diagnose import diagnose
from allocator.heuristics import portfolio
from allocator.solving.fallback import greedy_fallback
from allocator.solving.progress import ProgressCallback
from allocator.solving.result import make_result, solver_info
from allocator.solving.settings import MAX_NODES, Settings, Strategy
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
    **solver_params
        Further CP-SAT parameters by name, e.g. ``linearization_level=2``
        or ``subsolvers=["max_lp", "core"]``.

    Returns
    -------
    Result
        Status, objective and bound in DKK, gap, runtime and the plan.
        It never raises for an infeasible, invalid or timed-out run.
    """
    settings = Settings.of(
        time_limit,
        num_workers,
        seed,
        log=log,
        strategy=strategy,
        gap_limit=gap_limit,
        **solver_params,
    )
    started = time.perf_counter()
    try:
        result = solve_single(
            scenario,
            settings,
            max_nodes=max_nodes,
            initial_plan=initial_plan,
            on_progress=on_progress,
        ).result
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
        refused = time.perf_counter() - started
        size = portfolio.group_size_for(scenario, exc.estimate, exc.limit)
        if len(portfolio.plan_groups(scenario, size)) < 2:
            return greedy_fallback(scenario, str(exc), settings, refused)
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
    if result.status is Status.INFEASIBLE and diagnosis_time is not None:
        found = diagnose(scenario, time_limit=diagnosis_time)
        result = result.model_copy(update={"diagnosis": found})
    return result
