"""The valid inequalities of R10 (``RehousingModel.r10_rounding_cuts``): sound and strong.

Sound: no plan is cut off, so the proven optimum is the same with and
without them. Strong: they lift the LP relaxation, on the example to the
proven optimum itself.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest

from allocator.bound.milp import solve_proto
from allocator.cpsat.instance import build_instance
from allocator.cpsat.model import RehousingModel, _lower_hull, _R10Row
from allocator.generate import generate
from allocator.io.load import load_scenario
from models.scenario import Scenario
from tests.test_lagrange import _moving_days, _pavilion_spares, _spare_groups


def _rows(model: RehousingModel) -> list[_R10Row]:
    assert model.r10_rows, "the rule built its rows"
    return model.r10_rows


@pytest.mark.parametrize("size", ["S", "example"])
def test_every_facet_holds_at_every_count_and_touches_the_hull(size: str) -> None:
    model = RehousingModel(build_instance(generate(size, 0)))
    checked = 0
    for row in _rows(model):
        counts = range(row.forced, row.households + 1)
        points = [(d, row.need(d)) for d in counts]
        hull = _lower_hull(points)
        for (d1, n1), (d2, n2) in pairwise(hull):
            dd, dn = d2 - d1, n2 - n1
            # every integer count with its fewest spares satisfies the facet ...
            assert all(dd * n - dn * d >= dd * n1 - dn * d1 for d, n in points)
            # ... and the facet is tight at both ends (no weaker than it must be)
            assert dd * n2 - dn * d2 == dd * n1 - dn * d1
            checked += 1
    assert checked > 0


def test_a_fractional_spare_is_cut_off() -> None:
    # 39 households must leave, 20 % overcapacity: ceil(7.8) = 8 spares, not 7.8
    hull = _lower_hull([(39, -(-20 * 39 // 100))])
    assert hull == [(39, 8)]
    points = [(d, -(-20 * d // 100)) for d in range(37, 44)]
    facets = list(pairwise(_lower_hull(points)))
    at_39 = [(d1, n1, d2, n2) for (d1, n1), (d2, n2) in facets if d1 <= 39 <= d2]
    # the LP point (39 displaced, 7.8 spares) violates a facet through (39, 8)
    assert any(
        (d2 - d1) * 7.8 - (n2 - n1) * 39 < (d2 - d1) * n1 - (n2 - n1) * d1
        for d1, n1, d2, n2 in at_39
    )


def _values(scenario: Scenario, cuts: bool, relax: bool) -> float:
    proto = RehousingModel(build_instance(scenario), cuts=cuts).model.proto
    out = solve_proto(proto, relax=relax, time_limit=120, gap_limit=0)
    assert out.status == "OPTIMAL" and out.objective is not None
    return out.objective


@pytest.mark.parametrize(
    "make",
    [
        lambda: generate("S", 0),
        lambda: generate("S", 1),
        _spare_groups,
        _pavilion_spares,
        _moving_days,
    ],
    ids=["S-0", "S-1", "spare-groups", "pavilion-spares", "moving-days"],
)
def test_the_cuts_keep_the_optimum_and_lift_the_lp(make: Callable[[], Scenario]) -> None:
    scenario = make()
    assert _values(scenario, cuts=True, relax=False) == _values(scenario, cuts=False, relax=False)
    assert (
        _values(scenario, cuts=True, relax=True) >= _values(scenario, cuts=False, relax=True) - 1e-6
    )


#: The example's optimum in øre, 17,466,754.44 DKK (proven by HiGHS and CP-SAT, docs/NOTES.md).
EXAMPLE_OPTIMUM_ORE = 1_746_675_444


def test_the_example_lp_with_the_cuts_is_the_proven_optimum() -> None:
    example = load_scenario("scenarios/example.yaml")
    assert _values(example, cuts=False, relax=False) == EXAMPLE_OPTIMUM_ORE
    without = _values(example, cuts=False, relax=True)
    with_cuts = _values(example, cuts=True, relax=True)
    assert without < EXAMPLE_OPTIMUM_ORE - 900_000  # 9,000 DKK short without them
    assert with_cuts == pytest.approx(EXAMPLE_OPTIMUM_ORE, abs=1e-3)
