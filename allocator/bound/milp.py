"""The MILP peer and the LP relaxation: the very same model, solved by HiGHS.

The CP-SAT model of :mod:`allocator.cpsat.model` is purely linear (Boolean and
integer variables, linear constraints, exactly-one and at-most-one), so
its proto translates one to one into a mixed-integer program. Solving that
with HiGHS (``highspy``) compares the two solvers on identical decisions and
cost; solving its LP relaxation gives the lower bound, the reduced costs
and the warm start of the LP-guided search (:mod:`allocator.solving.single`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
from highspy.highs import HighsCallbackEvent
from ortools.sat.python import cp_model

from allocator.solving.settings import STOP_POLL, StopCheck

_KINDS = ("linear", "exactly_one", "at_most_one")  # all the model uses
#: Variables or constraints translated between two looks at a stop request.
_STOP_ROWS = 4096
#: CP-SAT writes "unbounded" as +-(2**63 - 1).
_HUGE = 2**62


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS found.

    ``objective`` and ``bound`` are in the CP-SAT objective's unit (øre),
    ``values`` the variable values by CP-SAT variable index (integral for the
    MILP, fractional for the LP relaxation), ``reduced_costs`` the LP's
    reduced costs (relaxation only).
    """

    status: str
    objective: float | None
    bound: float | None
    runtime: float
    values: list[float] | None
    reduced_costs: list[float] | None = None
    lower_bounds: list[float] | None = None  # of the variables, as translated
    upper_bounds: list[float] | None = None
    row_duals: list[float] | None = None  # by CP-SAT constraint index (relaxation only)


def solve_proto(
    proto: cp_model.CpModelProto,
    time_limit: float = 60.0,
    relax: bool = False,
    threads: int = 1,
    gap_limit: float = 0.0,
    stop: StopCheck | None = None,
) -> MilpOutcome:
    """Solve the CP-SAT model ``proto`` as a MILP (or its LP relaxation) with HiGHS.

    Parameters
    ----------
    proto
        A CP-SAT model with only linear, exactly-one and at-most-one constraints.
    time_limit
        Seconds.
    relax
        Solve the LP relaxation instead of the MILP.
    threads
        HiGHS threads.
    gap_limit
        Relative MIP gap at which HiGHS may stop (MILP only).
    stop
        Asked whether to stop now: at HiGHS' interrupt checks, and every
        :data:`~allocator.solving.settings.STOP_POLL` seconds by the caller,
        which stops waiting at once (HiGHS' presolve and long simplex
        stretches check seldom; it ends in the background at its next
        check). A stopped solve reports the status ``ERROR (...)`` with no
        values, like any other unfinished one.
    """
    if stop is not None and stop():
        return MilpOutcome("ERROR (stopped on request)", None, None, 0.0, None)
    lp = _to_highs(proto, integral=not relax, stop=stop)
    if lp is None:
        return MilpOutcome("ERROR (stopped on request)", None, None, 0.0, None)
    with _quiet_stdout():
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    if not relax:
        h.setOptionValue("mip_rel_gap", float(gap_limit))
    h.passModel(lp)
    if stop is not None:

        def interrupt(event: HighsCallbackEvent) -> None:
            if stop():
                event.interrupt()

        h.cbSimplexInterrupt += interrupt
        h.cbIpmInterrupt += interrupt
        h.cbMipInterrupt += interrupt
    started = time.perf_counter()
    with _quiet_stdout():
        if stop is None:
            h.run()
        elif not _ran(h, stop):
            seconds = time.perf_counter() - started
            return MilpOutcome("ERROR (stopped on request)", None, None, seconds, None)
    runtime = time.perf_counter() - started

    model_status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return MilpOutcome("INFEASIBLE", None, None, runtime, None)
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = "OPTIMAL"
    elif has_solution:
        status = "FEASIBLE"
    elif model_status == highspy.HighsModelStatus.kTimeLimit:
        return MilpOutcome("NO_SOLUTION_IN_TIME", None, None, runtime, None)
    else:
        error = f"ERROR ({h.modelStatusToString(model_status)})"
        return MilpOutcome(error, None, None, runtime, None)
    if not has_solution:
        return MilpOutcome("NO_SOLUTION_IN_TIME", None, None, runtime, None)
    solution = h.getSolution()
    objective = float(info.objective_function_value)
    if relax:
        bound = objective if status == "OPTIMAL" else None
        optimal = status == "OPTIMAL"
        return MilpOutcome(
            status,
            objective,
            bound,
            runtime,
            list(solution.col_value),
            list(solution.col_dual) if optimal else None,
            list(lp.col_lower_),
            list(lp.col_upper_),
            list(solution.row_dual) if optimal else None,
        )
    bound = objective if status == "OPTIMAL" else float(info.mip_dual_bound)
    return MilpOutcome(status, objective, bound, runtime, list(solution.col_value))


def _ran(h: highspy.Highs, stop: StopCheck) -> bool:
    """Run ``h`` in a thread until it ends (True) or ``stop()`` says so (False)."""
    runner = threading.Thread(target=h.run, name="genhus-highs", daemon=True)
    runner.start()
    while runner.is_alive():
        runner.join(STOP_POLL)
        if runner.is_alive() and stop():
            return False
    return True


def _to_highs(
    proto: cp_model.CpModelProto, *, integral: bool, stop: StopCheck | None = None
) -> highspy.HighsLp | None:
    """The HiGHS model of a linear CP-SAT proto (minimisation); ``None`` if ``stop()`` says so."""
    n = len(proto.variables)
    lower = np.empty(n)
    upper = np.empty(n)
    for i, var in enumerate(proto.variables):
        if stop is not None and i % _STOP_ROWS == 0 and stop():
            return None
        domain = list(var.domain)  # the proto wrapper has no negative indexing
        lower[i], upper[i] = _finite(domain[0]), _finite(domain[-1])

    starts: list[int] = [0]
    index: list[int] = []
    value: list[float] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    for i, c in enumerate(proto.constraints):
        if stop is not None and i % _STOP_ROWS == 0 and stop():
            return None  # seconds on a large model: look now and then
        kind = next((k for k in _KINDS if getattr(c, f"has_{k}")()), "other")
        if kind == "linear":
            bounds = list(c.linear.domain)
            terms = list(zip(c.linear.vars, c.linear.coeffs, strict=True))
            lo, hi = _finite(bounds[0]), _finite(bounds[-1])
        elif kind in ("exactly_one", "at_most_one"):
            terms = [(ref, 1) for ref in getattr(c, kind).literals]
            lo, hi = (1.0 if kind == "exactly_one" else -highspy.kHighsInf), 1.0
        else:
            raise ValueError(f"constraint type {kind} has no MILP translation")
        coeffs: dict[int, float] = {}
        for ref, coeff in terms:
            if ref < 0:  # CP-SAT writes "not x_i" as -i-1: coeff * (1 - x_i)
                ref = -ref - 1
                lo, hi = lo - coeff, hi - coeff
                coeff = -coeff
            coeffs[ref] = coeffs.get(ref, 0.0) + coeff
        index.extend(coeffs)
        value.extend(coeffs.values())
        starts.append(len(index))
        row_lo.append(lo)
        row_hi.append(hi)

    cost = np.zeros(n)
    for ref, coeff in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        cost[ref] += coeff
    scale = proto.objective.scaling_factor or 1.0
    if scale != 1.0:
        raise ValueError("only minimisation models with unit scaling translate to HiGHS")

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(row_lo)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = np.array(row_lo), np.array(row_hi)
    lp.offset_ = float(proto.objective.offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=np.float64)
    if integral:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    return lp


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Discard what C code writes to standard output meanwhile.

    HiGHS prints its banner there even with ``output_flag`` off; standard
    output stays clean for the summary table and ``--json``.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _finite(v: float) -> float:
    return highspy.kHighsInf if v >= _HUGE else (-highspy.kHighsInf if v <= -_HUGE else float(v))
