"""The one constructor of a :class:`~models.plan.Result`: every producer of a result calls it.

The gap is computed here and nowhere else, so the solver, the portfolio
decomposition and the greedy fallback report it alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from models.plan import Plan, Result, SolverInfo, Status


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / objective``, never negative (a zero objective counts as tiny)."""
    return max(0.0, (objective - bound) / max(objective, 1e-9))


def make_result(
    scenario: str,
    status: Status,
    *,
    objective: float | None,
    bound: float | None,
    runtime: float,
    plan: Plan | None,
    warnings: list[str],
    solver: SolverInfo,
) -> Result:
    """A result with its gap derived from ``objective`` and ``bound`` (DKK).

    There is a gap only where both are known: 0 for a proven optimum, else
    :func:`relative_gap` of the unrounded bound. Without an objective no
    bound is reported; the bound is reported to the øre.
    """
    gap = None
    if objective is None:
        bound = None
    elif bound is not None:
        gap = 0.0 if status is Status.OPTIMAL else relative_gap(objective, bound)
        bound = round(bound, 2)
    return Result(
        scenario=scenario,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        runtime=runtime,
        plan=plan,
        warnings=warnings,
        solver=solver,
    )


def solver_info(
    params: Mapping[str, Any],
    *,
    strategy: str,
    lp: bool,
    variables: int = 0,
    constraints: int = 0,
    build_seconds: float = 0.0,
) -> SolverInfo:
    """How a result was found.

    Parameters
    ----------
    params
        The run's parameters; ``random_seed``, ``num_workers`` and
        ``max_time_in_seconds`` are read, and all are recorded as text.
    strategy
        What produced the plan (``"lp-guided"``, ``"cp-sat"``, ``"portfolio"``, ``"greedy"``).
    lp
        Whether HiGHS solved an LP relaxation (its version is then recorded).
    variables, constraints, build_seconds
        Size of the CP-SAT model(s) and the seconds it took to build them.

    """
    return SolverInfo(
        ortools_version=version("ortools"),
        highs_version=version("highspy") if lp else None,
        strategy=strategy,
        seed=int(params["random_seed"]),
        num_workers=int(params["num_workers"]),
        time_limit=float(params["max_time_in_seconds"]),
        parameters={k: str(v) for k, v in params.items()},
        variables=variables,
        constraints=constraints,
        build_seconds=build_seconds,
    )
