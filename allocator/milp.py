"""The MILP peer: the very same model, solved by HiGHS instead of CP-SAT.

The CP-SAT model of :mod:`allocator.model` is purely linear (Boolean and
integer variables, linear constraints, exactly-one and at-most-one), so
its proto translates one to one into a mixed-integer program. Solving that
with HiGHS (through OR-Tools' linear solver wrapper) compares the two
solvers on identical decisions and cost; solving its LP relaxation gives a
lower bound and a warm start.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

_INF = pywraplp.Solver.infinity()
_KINDS = ("linear", "exactly_one", "at_most_one", "bool_or", "bool_and")


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS found.

    ``objective`` and ``bound`` are in the CP-SAT objective's unit (øre),
    ``values`` the variable values by CP-SAT variable index (rounded for
    the MILP, fractional for the LP relaxation).
    """

    status: str
    objective: float | None
    bound: float | None
    runtime: float
    values: list[float] | None
    reduced_costs: list[float] | None = None


def solve_proto(
    proto: cp_model.CpModelProto,
    time_limit: float = 60.0,
    relax: bool = False,
    threads: int = 1,
    backend: str | None = None,
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
        Solver threads.
    backend
        OR-Tools linear solver name; default HiGHS for the MILP and GLOP for
        the relaxation (the wrapper's HiGHS duals are not usable for reduced
        costs; GLOP's are).
    """
    solver = pywraplp.Solver.CreateSolver(backend or ("GLOP" if relax else "HIGHS"))
    if solver is None:  # pragma: no cover - OR-Tools built without HiGHS
        return MilpOutcome("UNAVAILABLE", None, None, 0.0, None)
    solver.SuppressOutput()
    solver.SetTimeLimit(int(time_limit * 1000))
    solver.SetNumThreads(threads)
    xs = []
    for i, var in enumerate(proto.variables):
        domain = list(var.domain)  # the proto wrapper has no negative indexing
        lo, hi = domain[0], domain[-1]
        if relax:
            xs.append(solver.NumVar(lo, hi, f"x{i}"))
        else:
            xs.append(solver.IntVar(lo, hi, f"x{i}"))

    rows: list[tuple[pywraplp.Constraint, dict[int, float]]] = []
    for c in proto.constraints:
        kind = next((k for k in _KINDS if getattr(c, f"has_{k}")()), "other")
        if kind == "linear":
            bounds = list(c.linear.domain)  # no negative indexing on the wrapper
            terms = list(zip(c.linear.vars, c.linear.coeffs, strict=True))
            lo, hi = float(bounds[0]), float(bounds[-1])
        elif kind in ("exactly_one", "at_most_one"):
            terms = [(ref, 1) for ref in getattr(c, kind).literals]
            lo, hi = (1.0 if kind == "exactly_one" else -_INF), 1.0
        else:
            raise ValueError(f"constraint type {kind} has no MILP translation")
        coeffs: dict[int, float] = {}
        for ref, coeff in terms:
            if ref < 0:  # CP-SAT writes "not x_i" as -i-1: coeff * (1 - x_i)
                ref = -ref - 1
                lo, hi = lo - coeff, hi - coeff
                coeff = -coeff
            coeffs[ref] = coeffs.get(ref, 0.0) + coeff
        row = solver.Constraint(_finite(lo), _finite(hi))
        for ref, coeff in coeffs.items():
            row.SetCoefficient(xs[ref], coeff)
        rows.append((row, coeffs))

    obj = solver.Objective()
    cost = [0.0] * len(xs)
    for ref, coeff in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        cost[ref] += coeff
    for x, c_j in zip(xs, cost, strict=True):
        if c_j:
            obj.SetCoefficient(x, c_j)
    obj.SetOffset(proto.objective.offset)
    obj.SetMinimization()

    started = time.perf_counter()
    with _stdout_to_stderr():  # HiGHS prints its banner on C-level stdout
        code = solver.Solve()
    runtime = time.perf_counter() - started
    names = {
        pywraplp.Solver.OPTIMAL: "OPTIMAL",
        pywraplp.Solver.FEASIBLE: "FEASIBLE",
        pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
        pywraplp.Solver.NOT_SOLVED: "NO_SOLUTION_IN_TIME",
    }
    status = names.get(code, "ERROR")
    if status not in ("OPTIMAL", "FEASIBLE"):
        return MilpOutcome(status, None, None, runtime, None)
    scale = proto.objective.scaling_factor or 1.0
    objective = obj.Value() * scale
    bound = objective if status == "OPTIMAL" else obj.BestBound() * scale
    values = [x.solution_value() for x in xs]
    reduced = None
    if relax:
        # The wrapper does not pass HiGHS's reduced costs on; derive them
        # from the row duals: d_j = c_j - sum_r a_rj y_r.
        reduced = cost[:]
        for row, coeffs in rows:
            y = row.dual_value()
            if y:
                for j, a in coeffs.items():
                    reduced[j] -= a * y
        reduced = [d * scale for d in reduced]
    return MilpOutcome(status, objective, bound, runtime, values, reduced)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what C code writes to standard output to standard error meanwhile.

    Standard output stays clean for the summary table and ``--json``.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _finite(v: float) -> float:
    # CP-SAT domains use +-2**63-1 for "unbounded"
    return _INF if v >= 2**62 else (-_INF if v <= -(2**62) else float(v))
