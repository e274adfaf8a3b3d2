"""Reproducibility: one worker and a fixed seed give the same plan, and the result says how.

A wall-clock time limit can cut a search at a different point on a busier
machine, so the generated case is solved under a *deterministic* time
limit (CP-SAT's ``max_deterministic_time``) with a generous wall-clock
limit: the runs then see the same work budget however loaded the machine is.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

import ortools
import pytest

from allocator.cpsat.instance import build_instance
from allocator.generate import generate
from allocator.heuristics.greedy import greedy_plan
from allocator.plan.check import check_plan
from allocator.solving.entry import solve
from models.plan import Result, Status
from models.scenario import Scenario
from tests.tiny import tiny, two_stage


def solve7(scn: Scenario, **kwargs: Any) -> Result:
    options: dict[str, Any] = {"time_limit": 10.0, "num_workers": 1, "seed": 7}
    options.update(kwargs)
    return solve(scn, **options)


def same_outcome(a: Result, b: Result) -> None:
    assert a.plan is not None and b.plan is not None
    assert a.plan.model_dump(mode="json") == b.plan.model_dump(mode="json")
    assert (a.status, a.objective, a.bound, a.gap) == (b.status, b.objective, b.bound, b.gap)
    assert a.warnings == b.warnings


@pytest.mark.parametrize("make", [tiny, two_stage], ids=["tiny", "two_stage"])
def test_a_small_case_solved_twice_gives_the_identical_plan(make: Any) -> None:
    scn = make()
    a, b = solve7(scn, gap_limit=0.0), solve7(scn, gap_limit=0.0)
    assert a.status is Status.OPTIMAL
    same_outcome(a, b)


@pytest.mark.parametrize("strategy", ["lp-guided", "cp-sat"])
def test_a_generated_case_solved_twice_gives_the_identical_plan(strategy: str) -> None:
    scn = generate("S", 0)  # 60 households, 2 stages
    budget: dict[str, Any] = {
        "time_limit": 120.0,
        "max_deterministic_time": 0.2,
        "strategy": strategy,
    }
    a, b = solve7(scn, **budget), solve7(scn, **budget)
    assert a.status in (Status.OPTIMAL, Status.FEASIBLE)
    same_outcome(a, b)
    assert a.plan is not None
    assert check_plan(scn, a.plan, a.objective).ok


@pytest.mark.parametrize(("workers", "seed"), [(1, 7), (2, 3)])
def test_the_result_records_the_ortools_version_seed_and_workers(workers: int, seed: int) -> None:
    result = solve(two_stage(), time_limit=10.0, num_workers=workers, seed=seed)
    info = result.solver
    assert info.ortools_version == version("ortools") == getattr(ortools, "__version__", None)
    assert (info.seed, info.num_workers, info.time_limit) == (seed, workers, 10.0)
    assert info.parameters["random_seed"] == str(seed)
    assert info.parameters["num_workers"] == str(workers)
    assert info.variables > 0
    assert info.constraints > 0
    assert result.model_dump(mode="json")["solver"]["seed"] == seed


def test_another_seed_finds_the_same_optimum() -> None:
    a = solve7(two_stage(), gap_limit=0.0)
    b = solve7(two_stage(), gap_limit=0.0, seed=12345)
    assert a.status is b.status is Status.OPTIMAL
    assert a.objective == b.objective == 104_260.00


# -- warm starts -------------------------------------------------------------------------


def test_a_warm_start_from_its_own_plan_gives_the_same_optimum_with_plain_cp_sat() -> None:
    scn = tiny()
    first = solve7(scn, gap_limit=0.0, strategy="cp-sat")
    again = solve7(scn, gap_limit=0.0, strategy="cp-sat", initial_plan=first.plan)
    assert again.status is Status.OPTIMAL
    assert again.objective == first.objective


def test_a_warm_start_from_its_own_plan_gives_the_same_optimum() -> None:
    # a regression test: the lp-guided search once returned MODEL_INVALID for any hint
    scn = tiny()
    first = solve7(scn, gap_limit=0.0)
    again = solve7(scn, gap_limit=0.0, initial_plan=first.plan)
    assert again.status is Status.OPTIMAL, again.warnings
    assert again.objective == first.objective


def test_a_model_over_the_node_limit_is_refused_quickly_with_the_greedy_plan() -> None:
    scenario = generate("S", 0)
    nodes = sum(len(u.nodes) for u in build_instance(scenario).units)
    started = time.perf_counter()
    result = solve(scenario, time_limit=30, max_nodes=nodes // 10)
    assert time.perf_counter() - started < 5
    assert any("too large to build" in w and f"{nodes // 10:,}" in w for w in result.warnings)
    # the best plan found is the greedy one: it keeps every rule, with no bound
    assert result.status is Status.FEASIBLE and result.solver.strategy == "greedy"
    assert result.bound is None and result.gap is None and result.plan is not None
    report = check_plan(scenario, result.plan, result.objective)
    assert report.ok, report.violations
    assert result.objective == greedy_plan_cost(scenario)
    # at the limit it builds and solves as usual, cheaper than the greedy plan
    full = solve(scenario, time_limit=30, max_nodes=nodes, gap_limit=0)
    assert full.status is Status.OPTIMAL and full.objective is not None
    assert full.objective < result.objective


def greedy_plan_cost(scenario: Scenario) -> float:
    """The greedy plan's objective as the independent checker prices it."""
    report = check_plan(scenario, greedy_plan(scenario), None)
    assert report.pricing is not None
    return report.pricing.objective_ore / 100
