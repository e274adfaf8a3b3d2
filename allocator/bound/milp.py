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
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
from highspy.highs import HighsCallbackEvent
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import CpSatHelper

from allocator.solving.settings import STOP_POLL, StopCheck

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
    #: HiGHS's MIP dual bound (MILP only), also when it stopped at ``gap_limit``
    #: (``bound`` is then the objective, as the bench has always reported it)
    dual_bound: float | None = None
    #: the LP optimum rounded, if it is integral and meets every row exactly
    #: (relaxation only): a plan of the model at the LP bound, so an optimal one
    integral: list[int] | None = None


def solve_proto(
    proto: cp_model.CpModelProto | highspy.HighsLp,
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
        A CP-SAT model with only linear, exactly-one and at-most-one
        constraints, or its HiGHS model (:func:`translate`): the LP-guided
        search translates its model once and solves it twice, the LP
        relaxation and then the MILP with tightened column bounds.
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
    lp = proto if isinstance(proto, highspy.HighsLp) else translate(proto, stop=stop)
    if lp is None:
        return MilpOutcome("ERROR (stopped on request)", None, None, 0.0, None)
    with _quiet_stdout():
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    if relax:
        h.setOptionValue("solve_relaxation", True)
    else:
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
    optimal = status == "OPTIMAL"
    dual = float(info.mip_dual_bound)  # MILP only
    solved_lp = relax and optimal  # the LP's duals and reduced costs mean something
    return MilpOutcome(
        status,
        objective,
        bound=objective if optimal else (None if relax else dual),
        runtime=runtime,
        values=list(solution.col_value),
        reduced_costs=list(solution.col_dual) if solved_lp else None,
        lower_bounds=list(lp.col_lower_) if relax else None,
        upper_bounds=list(lp.col_upper_) if relax else None,
        row_duals=list(solution.row_dual) if solved_lp else None,
        dual_bound=dual if not relax and np.isfinite(dual) else None,
        integral=_integral_point(lp, np.asarray(solution.col_value)) if solved_lp else None,
    )


def _ran(h: highspy.Highs, stop: StopCheck) -> bool:
    """Run ``h`` in a thread until it ends (True) or ``stop()`` says so (False)."""
    runner = threading.Thread(target=h.run, name="genhus-highs", daemon=True)
    runner.start()
    while runner.is_alive():
        runner.join(STOP_POLL)
        if runner.is_alive() and stop():
            return False
    return True


def translate(
    proto: cp_model.CpModelProto, *, stop: StopCheck | None = None
) -> highspy.HighsLp | None:
    """The HiGHS model of a linear CP-SAT proto (minimisation); ``None`` if ``stop()`` says so.

    Every variable is integral; :func:`solve_proto` solves the relaxation
    on request.

    Row ``i`` is constraint ``i``. The proto is read through a serialised
    copy: the fields of OR-Tools' own proto wrapper cost microseconds each
    to read, which made the translation of L (216,000 rows) take 7 s.
    """
    parsed = _parsed(proto)
    n = len(parsed.variables)
    lower = np.array([_finite(var.domain[0]) for var in parsed.variables], dtype=np.float64)
    upper = np.array([_finite(var.domain[-1]) for var in parsed.variables], dtype=np.float64)
    counts: list[int] = []
    refs: list[int] = []
    coeffs: list[int] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    for i, c in enumerate(parsed.constraints):
        if stop is not None and i % _STOP_ROWS == 0 and stop():
            return None  # seconds on a large model: look now and then
        kind = c.WhichOneof("constraint")
        if kind == "linear":
            refs.extend(c.linear.vars)
            coeffs.extend(c.linear.coeffs)
            counts.append(len(c.linear.vars))
            row_lo.append(_finite(c.linear.domain[0]))
            row_hi.append(_finite(c.linear.domain[-1]))
        elif kind in ("exactly_one", "at_most_one"):
            literals = getattr(c, kind).literals
            refs.extend(literals)
            coeffs.extend([1] * len(literals))
            counts.append(len(literals))
            row_lo.append(1.0 if kind == "exactly_one" else -highspy.kHighsInf)
            row_hi.append(1.0)
        else:
            raise ValueError(f"constraint type {kind} has no MILP translation")
    rows = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    cols = np.array(refs, dtype=np.int64)
    values = np.array(coeffs, dtype=np.float64)
    lo, hi = np.array(row_lo), np.array(row_hi)
    # CP-SAT writes "not x_i" as -i-1: coeff * (1 - x_i) moves coeff to the bounds
    negated = cols < 0
    if negated.any():
        shift = np.bincount(rows[negated], weights=values[negated], minlength=len(counts))
        lo, hi = lo - shift, hi - shift
        cols[negated] = -cols[negated] - 1
        values[negated] = -values[negated]
    # a variable twice in a row (say x and not x) is one entry with the summed
    # coefficient, where it first appears: the entries keep the proto's order,
    # which HiGHS's presolve and search depend on
    keys = rows * max(n, 1) + cols
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    summed = np.bincount(inverse, weights=values, minlength=len(unique))
    order = np.argsort(first, kind="stable")
    unique, summed = unique[order], summed[order]
    entry_rows = unique // max(n, 1)
    starts = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(np.bincount(entry_rows, minlength=len(counts)), out=starts[1:])

    cost = np.zeros(n)
    np.add.at(cost, np.array(parsed.objective.vars, dtype=np.int64), parsed.objective.coeffs)
    scale = parsed.objective.scaling_factor or 1.0
    if scale != 1.0:
        raise ValueError("only minimisation models with unit scaling translate to HiGHS")

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(counts)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = lo, hi
    lp.offset_ = float(parsed.objective.offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = (unique % max(n, 1)).astype(np.int32)
    lp.a_matrix_.value_ = summed.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    return lp


def _integral_point(lp: highspy.HighsLp, values: np.ndarray) -> list[int] | None:
    """``values`` rounded, if they are within 1e-6 of integers and meet every row of ``lp``.

    Checked in exact integer arithmetic on the rounded values: the model's
    coefficients and bounds are whole numbers, so no tolerance is needed.
    """
    rounded = np.rint(values)
    if len(values) and np.abs(values - rounded).max() > 1e-6:
        return None
    x = rounded.astype(np.int64)
    if np.any(x < lp.col_lower_) or np.any(x > lp.col_upper_):
        return None
    starts = np.asarray(lp.a_matrix_.start_, dtype=np.int64)
    index = np.asarray(lp.a_matrix_.index_, dtype=np.int64)
    value = np.rint(np.asarray(lp.a_matrix_.value_)).astype(np.int64)
    rows = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    activity = np.zeros(len(starts) - 1, dtype=np.int64)
    np.add.at(activity, rows, value * x[index])
    if np.any(activity < lp.row_lower_) or np.any(activity > lp.row_upper_):
        return None
    return [int(v) for v in x]


def _parsed(proto: cp_model.CpModelProto) -> cp_model_pb2.CpModelProto:
    """A copy of ``proto`` as a protobuf message, whose fields read fast."""
    with tempfile.TemporaryDirectory(prefix="genhus-") as folder:
        path = os.path.join(folder, "model.pb")
        if not CpSatHelper.write_model_to_file(proto, path):
            raise OSError(f"OR-Tools could not write the model to {path}")
        parsed = cp_model_pb2.CpModelProto()
        with open(path, "rb") as stream:
            parsed.ParseFromString(stream.read())
    return parsed


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
