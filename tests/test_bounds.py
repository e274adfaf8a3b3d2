"""The reported bound is a true lower bound and OPTIMAL means optimal.

The LP-guided search combines several partial searches; these tests compare
what it reports with the MILP peer (HiGHS on the very same model) solved to
optimality, on generated scenarios and with every strategy and gap limit.
"""

from __future__ import annotations

import pytest

from allocator.bound.milp import solve_proto
from allocator.cpsat.instance import build_instance
from allocator.cpsat.model import RehousingModel
from allocator.generate import generate
from allocator.solving.entry import solve
from models.plan import Status


@pytest.fixture(scope="module", params=[0, 1, 2])
def scenario_and_optimum(request: pytest.FixtureRequest) -> tuple[object, float]:
    scenario = generate("S", request.param)
    proto = RehousingModel(build_instance(scenario)).model.proto
    exact = solve_proto(proto, time_limit=120)
    assert exact.status == "OPTIMAL" and exact.objective is not None
    return scenario, exact.objective / 100


@pytest.mark.parametrize(
    ("strategy", "gap_limit"),
    [("lp-guided", 0.0), ("lp-guided", 1e-3), ("lp-guided", 0.05), ("cp-sat", 1e-3)],
)
def test_bound_never_exceeds_the_optimum(
    scenario_and_optimum: tuple[object, float], strategy: str, gap_limit: float
) -> None:
    scenario, optimum = scenario_and_optimum
    result = solve(scenario, time_limit=20, num_workers=2, strategy=strategy, gap_limit=gap_limit)  # type: ignore[arg-type]
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.objective is not None and result.bound is not None and result.gap is not None
    assert result.bound <= optimum + 0.01
    assert result.objective >= optimum - 0.01
    if result.status is Status.OPTIMAL:
        assert result.objective == pytest.approx(optimum, abs=0.01)
    assert result.gap <= max(gap_limit, 0.0) + 1e-9 or result.runtime >= 19
