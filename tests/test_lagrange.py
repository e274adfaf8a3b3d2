"""The Lagrangian bound is a lower bound, and a tight one at the LP's duals.

Two facts pin the construction down: at the LP relaxation's duals the
Lagrangian equals the LP value (every part - households, unit paths,
pavilion fleets with their spares, the R10 rows, constants - must be right
for that), and at any multipliers it stays below the optimum that HiGHS
proves on the same model.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from allocator import rules
from allocator.bound.lagrange import (
    Lagrangian,
    lagrangian_bound,
    lp_multipliers,
    scenario_bound,
)
from allocator.bound.milp import solve_proto
from allocator.cpsat.instance import Instance, build_instance
from allocator.cpsat.model import RehousingModel
from allocator.generate import SizeSpec, generate
from models.scenario import Agreement, Scenario

SMALL = SizeSpec(households=40, stages=3, org_stock=450, merges=3)


def _generated(spec: SizeSpec | str, seed: int) -> Scenario:
    """A generated scenario that keeps the rules.

    Until the generator knows the rules as now read, it may give a household
    whose home is merged away, that won nothing, a temporary agreement: it
    would have nowhere to return to. Such households are undecided here.
    """
    scenario = generate(spec, seed)
    won = rules.seniority_allocation(scenario)
    removed = scenario.removed_dwellings()
    households = [
        h.model_copy(update={"agreement": Agreement.UNDECIDED})
        if h.dwelling in removed and h.id not in won and h.agreement is Agreement.TEMPORARY
        else h
        for h in scenario.households
    ]
    return scenario.model_copy(update={"households": households})


def _with_policy(scenario: Scenario, **changes: object) -> Scenario:
    return scenario.model_copy(update={"policy": scenario.policy.model_copy(update=changes)})


def _cheap_pavilions(
    seed: int, monthly_rent: float = 500.0, max_count: int | None = None
) -> Scenario:
    """A small case whose optimum rents pavilion modules and moves households for good."""
    scenario = _generated(SMALL, seed)
    fleet = {} if max_count is None else {"max_count": max_count}
    cheap = [
        p.model_copy(
            update={
                "setup_cost": 0.0,
                "removal_cost": 0.0,
                "monthly_rent": monthly_rent,
                "lead_days": 0,
                **fleet,
            }
        )
        for p in scenario.pavilions
    ]
    return scenario.model_copy(update={"pavilions": cheap})


def _same_day() -> Scenario:
    """Two departments whose stages share their move-out day (as many do in P)."""
    spec = SizeSpec(households=60, stages=2, org_stock=2000, merges=2, departments=2)
    scenario = _generated(spec, 0)
    a, b = scenario.stages
    shift = b.start - a.start
    b = b.model_copy(update={"start": a.start, "end": b.end - shift})
    return scenario.model_copy(update={"stages": [a, b]})


def _spare_groups() -> Scenario:
    """40 % overcapacity: stages hold spares for two need groups (R10)."""
    return _with_policy(_generated(SMALL, 0), overcapacity=0.4)


def _moving_days() -> Scenario:
    """Two moves a day: a stage's permanent movers move on different days (R8 rows per day)."""
    return _with_policy(_generated(SMALL, 0), moves_per_day=2)


def _pavilion_spares() -> Scenario:
    """Cheap modules, enough of them: some are held as spares (R10, R12)."""
    return _with_policy(_cheap_pavilions(0, monthly_rent=50.0, max_count=12), overcapacity=0.4)


def _cases() -> list[tuple[str, Scenario]]:
    return [
        ("S-0", _generated("S", 0)),
        ("S-1", _generated("S", 1)),
        ("pavilions-0", _cheap_pavilions(0)),
        ("pavilions-1", _cheap_pavilions(1)),
        ("same-day", _same_day()),
        ("spare-groups", _spare_groups()),
        ("moving-days", _moving_days()),
        ("pavilion-spares", _pavilion_spares()),
    ]


@pytest.fixture(scope="module", params=_cases(), ids=lambda case: case[0])
def solved(request: pytest.FixtureRequest) -> tuple[Instance, float, float]:
    """An instance, its LP relaxation value and its optimum (øre, HiGHS)."""
    instance = build_instance(request.param[1])
    # the Lagrangian relaxes the rules' rows: its LP is the one without the cuts
    proto = RehousingModel(instance, cuts=False).model.proto
    lp = solve_proto(proto, relax=True, time_limit=60)
    exact = solve_proto(proto, time_limit=120, gap_limit=0)
    assert lp.status == "OPTIMAL" and lp.objective is not None
    assert exact.status == "OPTIMAL" and exact.objective is not None
    return instance, lp.objective, exact.objective


def test_equals_the_lp_relaxation_at_its_duals(solved: tuple[Instance, float, float]) -> None:
    instance, lp_value, _ = solved
    lag = Lagrangian(instance)
    duals = lp_multipliers(instance)
    assert duals is not None
    value = lag.evaluate(lag.from_portable(duals, lag.zero())).value
    assert value == pytest.approx(lp_value, rel=1e-9, abs=1.0)


def test_never_above_the_optimum(solved: tuple[Instance, float, float]) -> None:
    instance, lp_value, optimum = solved
    lag = Lagrangian(instance)
    rng = np.random.default_rng(7)
    start = lag.cheapest_places()
    stay, move = lag.rows_of("stay"), lag.rows_of("move")
    for scale in (0.0, 0.5, 1.0, 2.0, 5.0):
        m = start.copy()
        m[stay] = scale * m[stay] * rng.uniform(0.5, 1.5, len(stay))
        m[move] = scale * m[move] * rng.uniform(-1.0, 2.0, len(move))
        m[lag.inequality] = rng.uniform(0.0, scale * 1e6, int(lag.inequality.sum()))
        assert lag.evaluate(m).value <= optimum + 1e-6
    result = lagrangian_bound(instance, upper=optimum, iterations=100, lagrangian=lag)
    assert result.bound <= lp_value + 1e-6 * abs(lp_value)
    # the search climbs from its start
    assert result.bound >= lag.evaluate(start).value


def _optimum(scenario: Scenario) -> tuple[RehousingModel, list[float]]:
    """The model of ``scenario`` and its optimal values (HiGHS)."""
    model = RehousingModel(build_instance(scenario))
    exact = solve_proto(model.model.proto, time_limit=120, gap_limit=0)
    assert exact.status == "OPTIMAL" and exact.values is not None
    return model, exact.values


def test_the_cases_exercise_the_new_rows() -> None:
    # the equality with the LP above covers these rows only if the cases use them
    model, values = _optimum(_spare_groups())
    inst = model.instance
    groups: dict[str, set[object]] = defaultdict(set)
    for (stage, _), by_need in model.vars.spare.items():
        for n, var in by_need.items():
            if round(values[var.Index()]):
                groups[stage].add(inst.need_groups[n])
    assert max(len(held) for held in groups.values()) >= 2  # spares of two need groups

    model, values = _optimum(_moving_days())
    days: dict[str, set[int]] = defaultdict(set)
    for (stage, day, _), by_class in model.vars.move.items():
        if any(round(values[var.Index()]) for var in by_class.values()):
            days[stage].add(day)
    assert max(len(moving) for moving in days.values()) >= 2  # permanent movers on two days

    model, values = _optimum(_pavilion_spares())
    held = [
        values[var.Index()]
        for spares in model.vars.pav_spare
        for by_need in spares.values()
        for var in by_need.values()
    ]
    assert sum(held) >= 1  # modules held as spares


def test_the_pavilion_and_permanent_parts_are_exercised() -> None:
    # at the LP's duals the pavilion cases rent modules and move households
    # for good, so the equality with the LP above covers those parts
    instance = build_instance(_cheap_pavilions(0))
    lag = Lagrangian(instance)
    duals = lp_multipliers(instance)
    assert duals is not None
    m = lag.from_portable(duals, lag.zero())
    g = np.zeros(len(lag.rows))
    assert lag._pavilions_part(m, g) < 0  # modules that pay for themselves
    assert np.any(g[lag.rows_of("stay")] < 0)  # and house someone
    move = lag.rows_of("move")
    assert np.any(lag.evaluate(m).subgradient[move] != 0) or np.any(m[move] != 0)


def test_multipliers_of_a_part_price_the_whole() -> None:
    scenario = _generated("S", 0)
    first = scenario.stages[0].id
    households = [h for h in scenario.households if scenario.stage_of(h).id == first]
    part = scenario.model_copy(update={"households": households})
    duals = lp_multipliers(build_instance(part))
    assert duals is not None
    stays = {name: value for name, value in duals.rows.items() if name[0] == "stay"}
    assert stays
    whole = Lagrangian(build_instance(scenario))
    m = whole.from_portable(duals, whole.zero())
    assert set(stays) <= set(whole.rows)  # every R1 row of the part is a row of the whole
    assert np.count_nonzero(m[whole.rows_of("stay")]) == sum(1 for v in stays.values() if v != 0)


def test_bound_of_a_portfolio() -> None:
    # two departments sharing one pool, bounded as a whole
    spec = SizeSpec(households=60, stages=4, org_stock=700, merges=2, departments=2)
    scenario = _generated(spec, 0)
    exact = solve_proto(
        RehousingModel(build_instance(scenario)).model.proto, time_limit=120, gap_limit=0
    )
    assert exact.status == "OPTIMAL" and exact.objective is not None
    result = scenario_bound(scenario, upper=exact.objective, time_limit=20)
    assert result.bound <= exact.objective + 1e-6
    assert result.bound >= 0.98 * exact.objective  # measured: 0.5 % below
    assert result.iterations > 1 and result.history[0] <= result.bound


def test_networks_added_as_made_give_the_same_lagrangian() -> None:
    # scenario_bound builds the whole scenario's networks straight into the
    # arrays (Lagrangian.of_scenario), never holding the units: on a case of
    # two departments it must be the Lagrangian of the full instance, bit
    # for bit, at the first multipliers, at others and along the search
    spec = SizeSpec(households=60, stages=4, org_stock=700, merges=2, departments=2)
    scenario = _generated(spec, 0)
    full = Lagrangian(build_instance(scenario))
    streamed = Lagrangian.of_scenario(scenario)
    assert streamed.instance.units == [] and streamed.nodes == full.nodes > 1000
    assert list(streamed.rows) == list(full.rows)
    assert np.array_equal(streamed.node_cost, full.node_cost)
    assert np.array_equal(streamed.arc_tail, full.arc_tail)
    assert np.array_equal(streamed.arc_cost, full.arc_cost)
    rng = np.random.default_rng(3)
    m = full.cheapest_places()
    assert np.array_equal(streamed.cheapest_places(), m)
    for _ in range(3):
        a, b = full.evaluate(m), streamed.evaluate(m)
        assert a.value == b.value and np.array_equal(a.subgradient, b.subgradient)
        assert np.any(a.subgradient != 0)
        m = m + rng.uniform(-1e5, 1e5, len(m))
        m[full.inequality] = np.maximum(m[full.inequality], 0.0)
    ours = lagrangian_bound(streamed.instance, iterations=40, time_limit=60, lagrangian=streamed)
    theirs = lagrangian_bound(full.instance, iterations=40, time_limit=60, lagrangian=full)
    assert ours.bound == theirs.bound and ours.history == theirs.history


def test_cut_pavilion_schedules_are_relaxed_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    # A model of many stages keeps only the first MAX_CHAINS module schedules;
    # a decomposition's smaller models keep all theirs. The bound must hold
    # for those plans too, so with cut schedules it relaxes the fleet instead.
    scenario = _cheap_pavilions(0)
    whole = solve_proto(
        RehousingModel(build_instance(scenario)).model.proto, time_limit=120, gap_limit=0
    )
    assert whole.status == "OPTIMAL" and whole.objective is not None
    monkeypatch.setattr("allocator.cpsat.instance.MAX_CHAINS", 2)
    cut = build_instance(scenario)
    assert all(len(p.chains) == 2 for p in cut.pavilions)
    cut_optimum = solve_proto(RehousingModel(cut).model.proto, time_limit=120).objective
    assert cut_optimum is not None and cut_optimum > whole.objective  # the cut model is dearer
    lag = Lagrangian(cut)
    assert all(p.fixed is not None for p in lag.pavilion_data)
    result = lagrangian_bound(cut, upper=whole.objective, iterations=300, lagrangian=lag)
    assert result.bound <= whole.objective + 1e-6
    assert result.bound >= 0.9 * whole.objective
