"""How a model is searched: the strategy, the CP-SAT parameters and the size limit."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ortools.sat.python import cp_model

#: CP-SAT's linearization level with one worker unless the caller sets one.
#: The one worker then keeps the full LP of the path formulation, which is
#: what closes its gap: measured on the corrected model (1 worker, seed 0,
#: gap 0, issue 9's readings), generated 8 households: default 1.5 % gap at
#: 10 s, level 2 optimal in 0.04 s; S: 0.34 % at 30 s vs optimal in 0.7 s;
#: example: 0.05 % at 30 s vs optimal in 15 s (docs/NOTES.md).
ONE_WORKER_LINEARIZATION = 2

#: Full-problem CP-SAT subsolvers used with two or more workers unless the
#: caller picks others. The default two-worker portfolio lacks ``max_lp``,
#: which is what proves optimality on the path formulation: measured on
#: generated S (60 households) with ``strategy="cp-sat"``: default 1.4 %
#: gap after 30 s, ``max_lp`` + ``core`` optimal in 0.7 s (docs/NOTES.md).
DEFAULT_SUBSOLVERS = ["max_lp", "core"]

#: Workers of the LP-guided strategy's search for a first plan, whatever the
#: caller's worker count: one worker is deterministic, so with the LP
#: (HiGHS) and the final MIP search (HiGHS, one thread) the whole strategy
#: gives the same plan on every run. Parallel workers race, and which plan
#: wins a race depends on the load of the machine; CP-SAT's deterministic
#: ``interleave_search`` aborted the process (OR-Tools 9.15: "Check failed:
#: solution->size() == postsolve_mapping.size()") when a solution callback
#: stopped the search, as this search's does at the gap limit (issue 16,
#: docs/NOTES.md).
FIRST_PLAN_WORKERS = 1

#: Default ``max_nodes`` of :func:`allocator.solving.entry.solve`. Measured:
#: XL (3,000 households, 12 stages) has 270,000 nodes and builds in about
#: 25 s, and its LP takes about 75 s; the portfolio P (7,000 households,
#: 100 stages) would have 3.9 million.
MAX_NODES = 1_500_000


#: A request to stop: called now and then during a search, it returns ``True``
#: once the caller wants the search to end with the best plan found so far
#: (e.g. ``threading.Event().is_set``, set from a signal handler).
StopCheck = Callable[[], bool]

#: Seconds between two looks at a stop request while a solver runs.
STOP_POLL = 0.05


class Strategy(StrEnum):
    """How one model is searched.

    ``lp-guided`` (default) solves the LP relaxation first (HiGHS inside
    OR-Tools), uses it as the lower bound, finds a first plan with CP-SAT
    restricted to the variables the LP uses, then fixes every variable whose
    LP reduced cost proves it cannot appear in a better plan, and lets CP-SAT
    finish the rest. ``cp-sat`` hands the whole model to CP-SAT alone.
    """

    LP_GUIDED = "lp-guided"
    CP_SAT = "cp-sat"


@dataclass(frozen=True)
class Settings:
    """The search settings of one model.

    Attributes
    ----------
    time_limit
        Wall-clock seconds for the search.
    strategy
        A :class:`Strategy` or its name (checked when the search starts).
    log
        Write the solver logs to standard error.
    params
        CP-SAT parameters by name, the time limit, workers and seed included.
    stop
        Asked during the search whether to stop now (``None``: never).

    """

    time_limit: float
    strategy: Strategy | str
    log: bool
    params: dict[str, Any]
    stop: StopCheck | None = None

    @classmethod
    def of(
        cls,
        time_limit: float = 60.0,
        num_workers: int = 2,
        seed: int = 0,
        *,
        log: bool = False,
        strategy: Strategy | str = Strategy.LP_GUIDED,
        gap_limit: float = 1e-3,
        stop: StopCheck | None = None,
        **solver_params: Any,
    ) -> Settings:
        """The settings of :func:`allocator.solving.entry.solve`'s arguments of the same names.

        Raises
        ------
        ValueError
            If the time limit is not a positive finite number or the gap
            limit not a finite number of at least 0 (NaN would pass every
            comparison of the search unnoticed).
        """
        if not (math.isfinite(time_limit) and time_limit > 0):
            raise ValueError(f"time limit must be a positive number of seconds, not {time_limit}")
        if not (math.isfinite(gap_limit) and gap_limit >= 0):
            raise ValueError(f"gap limit must be a finite number of at least 0, not {gap_limit}")
        params = dict(solver_params)
        if num_workers >= 2:
            params.setdefault("subsolvers", DEFAULT_SUBSOLVERS)
        else:
            params.setdefault("linearization_level", ONE_WORKER_LINEARIZATION)
        params.update(
            max_time_in_seconds=float(time_limit),
            num_workers=int(num_workers),
            random_seed=int(seed),
            log_search_progress=bool(log),
            log_to_stdout=False,
            relative_gap_limit=float(gap_limit),
        )
        return cls(time_limit, strategy, log, params, stop)


def configured(
    params: dict[str, Any], time_limit: float, log: bool, *, stoppable: bool = False
) -> cp_model.CpSolver:
    """A CP-SAT solver with ``params`` and the given time limit.

    With ``stoppable`` the caller stops the search itself (a
    :data:`StopCheck`), so CP-SAT must not take over SIGINT: its own handler
    would end only the current phase and hide the signal from the caller.

    Raises
    ------
    AttributeError, TypeError, ValueError
        If a parameter does not exist or has a value of the wrong kind.

    """
    solver = cp_model.CpSolver()
    for name, val in {**params, "max_time_in_seconds": max(0.0, time_limit)}.items():
        if isinstance(val, list | tuple):  # repeated fields, e.g. subsolvers
            repeated = getattr(solver.parameters, name)
            repeated.clear()
            repeated.extend(val)
        else:
            setattr(solver.parameters, name, val)
    if stoppable:
        solver.parameters.catch_sigint_signal = False
    if log:
        solver.log_callback = lambda line: print(line, file=sys.stderr)
    return solver
