"""The greedy planner's plan as a result, for a scenario whose model is not built."""

from __future__ import annotations

import time

from allocator.heuristics.greedy import GreedyFailed, greedy_plan
from allocator.plan.pricing import plan_objective
from allocator.solving.result import make_result, solver_info
from allocator.solving.settings import Settings
from models.plan import Result, Status
from models.scenario import Scenario


def greedy_fallback(
    scenario: Scenario, reason: str, settings: Settings, build_seconds: float
) -> Result:
    """The greedy spreadsheet plan, as the best plan found, when no model is built.

    It obeys every rule (the greedy planner's plans pass the checker) but no
    lower bound is known: ``bound`` and ``gap`` are ``None``. If the greedy
    planner cannot house everyone either, there is no plan.

    Parameters
    ----------
    scenario
        The scenario.
    reason
        Why no model was built (e.g. the size refusal); the first warning.
    settings
        The settings the model would have been searched with (recorded).
    build_seconds
        Seconds spent before the model was refused.

    """
    started = time.perf_counter()
    warnings = [reason]
    info = solver_info(settings.params, strategy="greedy", lp=False, build_seconds=build_seconds)
    try:
        plan = greedy_plan(scenario)
    except GreedyFailed as exc:
        warnings.append(f"the greedy planner found no plan either: {exc}")
        plan = None
    else:
        warnings.append(
            "the plan is the greedy spreadsheet-style plan (allocator.heuristics.greedy): it "
            "keeps every rule, but no lower bound is known, so neither is its distance from "
            "the optimum"
        )
    return make_result(
        scenario.name,
        Status.FEASIBLE if plan is not None else Status.NO_SOLUTION_IN_TIME,
        objective=plan_objective(plan) if plan is not None else None,
        bound=None,  # the greedy planner proves nothing
        runtime=time.perf_counter() - started,
        plan=plan,
        warnings=warnings,
        solver=info,
    )
