"""The decomposition planner (allocator.heuristics.portfolio): groups, sharing, merge, fallbacks.

The generated cases are small portfolios (several departments) solved
group by group; the hand-built case shares one cheap dwelling between two
departments' groups, a turnaround apart or not.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from typing import Any

import pytest

from allocator.cpsat.instance import Unit, build_instance
from allocator.generate import SizeSpec, generate
from allocator.heuristics import portfolio
from allocator.heuristics.greedy import GreedyFailed, greedy_plan
from allocator.heuristics.portfolio import (
    Ledger,
    absorb,
    department_of,
    merge_plans,
    plan_groups,
    solve_portfolio,
    sub_scenario,
)
from allocator.plan.check import check_plan
from allocator.plan.pricing import plan_objective
from allocator.rules import schedule, stage_by_id
from allocator.solving.entry import solve
from allocator.solving.single import Solved, solve_single
from models.plan import Mode, Result, SegmentKind, Status
from models.scenario import Scenario, Stage
from tests.tiny import home, household, scenario, stage, vacant

#: Three departments of 30 households each, one stage each, 60 days apart.
SMALL = SizeSpec(households=90, stages=3, org_stock=1_200, merges=6, departments=3)


@pytest.fixture(scope="module")
def small() -> Scenario:
    return generate(SMALL, 0)


@pytest.fixture(scope="module")
def decomposed(small: Scenario) -> Result:
    return solve_portfolio(small, time_limit=60, num_workers=2, group_size=30)


@pytest.fixture(scope="module")
def optimum(small: Scenario) -> float:
    """The optimum of the whole small portfolio, solved as one model."""
    result = solve(small, time_limit=60, gap_limit=0)
    assert result.status is Status.OPTIMAL and result.objective is not None
    return result.objective


def _checked(scn: Scenario, result: Result) -> None:
    assert result.plan is not None
    report = check_plan(scn, result.plan, result.objective)
    assert report.ok, report.violations[:10]


# -- groups ------------------------------------------------------------------------------


def _stage(stage_id: str, **fields: Any) -> Stage:
    return Stage.model_validate(stage(stage_id, **fields))


def test_departments_are_named_or_else_the_stage_id_prefixes() -> None:
    assert department_of(_stage("E1", department="SOL")) == "SOL"
    assert department_of(_stage("KIL-E1", department="SOL")) == "SOL"
    # scenarios written before stages named their department
    assert department_of(_stage("SOL-E3")) == "SOL"
    assert department_of(_stage("A-B-E1")) == "A-B"
    assert department_of(_stage("E1")) == department_of(_stage("E2")) == ""


def test_groups_hold_whole_departments_in_time_order(small: Scenario) -> None:
    groups = plan_groups(small, 30)
    assert len(groups) == 3
    stages = [s for g in groups for s in g.stages]
    assert sorted(stages) == sorted(s.id for s in small.stages)
    for g in groups:
        assert len({department_of(stage_by_id(small, s)) for s in g.stages}) == 1
    assert [g.first_out for g in groups] == sorted(g.first_out for g in groups)
    assert sum(g.households for g in groups) == len(small.households)
    # a large group size batches consecutive departments
    assert [len(g.stages) for g in plan_groups(small, 60)] == [2, 1]
    assert len(plan_groups(small, 1_000)) == 1


def test_stages_coupled_by_wishes_stay_in_one_group(small: Scenario) -> None:
    groups = plan_groups(small, 30)
    first, last = groups[0].stages[0], groups[-1].stages[0]
    wisher = next(h for h in small.households if small.stage_of(h).id == first)
    other = next(a for a in small.after_dwellings if a.stage == last)
    households = [
        h.model_copy(update={"wishes": [*h.wishes, other.id]}) if h.id == wisher.id else h
        for h in small.households
    ]
    coupled = small.model_copy(update={"households": [h.model_dump() for h in households]})
    together = plan_groups(coupled, 30)
    assert len(together) == 2
    assert any({first, last} <= set(g.stages) for g in together)


def _schedules(scn: Scenario, sub: Scenario) -> tuple[dict[str, object], dict[str, object]]:
    """Per household of ``sub``: (outcomes, R9 allocation, move out, return), whole and sub."""
    whole, part = schedule(scn), schedule(sub)

    def of(sched: Any, hid: str) -> object:
        return sched.outcomes[hid], sched.won.get(hid), sched.move_out[hid], sched.returns.get(hid)

    ids = [h.id for h in sub.households]
    return {h: of(whole, h) for h in ids}, {h: of(part, h) for h in ids}


def _fresh_ledger(scn: Scenario, groups: list[portfolio.Group]) -> Ledger:
    return Ledger(
        intervals=portfolio.rules.availabilities(scn),
        group_of_stage={s: g.index for g in groups for s in g.stages},
    )


def test_a_groups_households_move_on_the_whole_scenarios_days(small: Scenario) -> None:
    groups = plan_groups(small, 30)
    ledger = _fresh_ledger(small, groups)
    for group in groups:
        sub = sub_scenario(small, group, ledger).scenario
        assert len(sub.households) == group.households
        whole, part = _schedules(small, sub)
        assert whole == part
        for s in group.stages:
            assert schedule(sub).block(s, s) == schedule(small).block(s, s)
            assert schedule(sub).offer_period(s) == schedule(small).offer_period(s)


def one_moving_company(*, named: bool = False) -> Scenario:
    """Departments A and B, two households each, moving out by the same day at one move a day.

    Unless ``named`` (stages with ``department``), the stages share one moving company.
    """
    dept: dict[str, Any] = {"A": {}, "B": {}}
    if named:
        dept = {"A": {"department": "A"}, "B": {"department": "B"}}
    return scenario(
        {
            "name": "one moving company",
            "municipality": "Aarhus",
            "policy": {"overcapacity": 0.0, "moves_per_day": 1},
            "stages": [stage("A-E1", **dept["A"]), stage("B-E1", **dept["B"])],
            "dwellings": [
                home("A1", stage="A-E1"),
                home("A2", stage="A-E1"),
                home("B1", stage="B-E1"),
                home("B2", stage="B-E1"),
                *(vacant(f"O{k}", "2025-01-01") for k in range(1, 5)),
            ],
            "households": [
                household("HA1", "A1"),
                household("HA2", "A2"),
                household("HB1", "B1"),
                household("HB2", "B2"),
            ],
        }
    )


def test_departments_sharing_a_moving_company_on_the_same_days_are_one_group() -> None:
    shared = one_moving_company()  # no stages[].department: one moving company
    assert [g.stages for g in plan_groups(shared, 1)] == [("A-E1", "B-E1")]
    # with a moving company each the departments move independently
    apart = one_moving_company(named=True)
    groups = plan_groups(apart, 1)
    assert [g.stages for g in groups] == [("A-E1",), ("B-E1",)]
    ledger = _fresh_ledger(apart, groups)
    for group in groups:
        whole, part = _schedules(apart, sub_scenario(apart, group, ledger).scenario)
        assert whole == part


def test_a_group_that_would_move_on_other_days_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mutation test: without the moving-company coupling B's moves would shift."""
    shared = one_moving_company()
    monkeypatch.setattr(portfolio, "_sharing_moving_days", lambda scn: [])
    groups = plan_groups(shared, 1)
    assert len(groups) == 2
    ledger = _fresh_ledger(shared, groups)
    with pytest.raises(portfolio.GroupMismatch, match="household HB"):
        sub_scenario(shared, groups[1], ledger)
    # the planner falls back to the greedy plan rather than merge such plans
    result = solve_portfolio(shared, time_limit=30, group_size=1)
    assert result.solver.strategy == "greedy"
    assert any("cannot be planned on its own" in w for w in result.warnings)
    _checked(shared, result)


# -- the decomposed plan -------------------------------------------------------------------


def test_the_merged_plan_passes_the_checker_and_beats_greedy(
    small: Scenario, decomposed: Result
) -> None:
    result = decomposed
    assert result.status is Status.FEASIBLE and result.solver.strategy == "portfolio"
    assert any("decomposed into 3 groups" in w for w in result.warnings)
    _checked(small, result)
    assert result.objective is not None
    assert result.objective <= plan_objective(greedy_plan(small))
    assert (result.solver.seed, result.solver.num_workers) == (0, 2)
    assert result.runtime > 0


def test_the_lower_bound_is_below_the_optimum_and_gives_the_gap(
    decomposed: Result, optimum: float
) -> None:
    result = decomposed
    assert result.objective is not None and result.bound is not None and result.gap is not None
    assert result.bound <= optimum <= result.objective
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)
    assert result.gap < 0.1  # measured: the plan 1.5 % above the optimum, the bound 0.5 % below
    assert any("lower bound" in w and "Lagrangian" in w for w in result.warnings)


def test_places_used_by_several_groups_have_one_timeline_per_interval(
    small: Scenario, decomposed: Result
) -> None:
    plan = decomposed.plan
    assert plan is not None
    group_of = {s: g.index for g in plan_groups(small, 30) for s in g.stages}
    groups_on: dict[str, set[int]] = defaultdict(set)
    starts: dict[str, list[object]] = defaultdict(list)
    for t in plan.places:
        starts[t.place].append(t.collected_from)
        for seg in t.segments:
            if seg.kind is SegmentKind.OCCUPIED and seg.stage is not None:
                groups_on[t.place].add(group_of[seg.stage])
    # (here the departments' stays overlap, so no place serves two groups;
    # test_a_dwelling_serves_two_groups_a_turnaround_apart shows one that does)
    assert groups_on
    assert all(len(set(s)) == len(s) for s in starts.values())
    assert not any("~" in t.place for t in plan.places)
    assert not any(hp.place and "~" in hp.place for hp in plan.households)


def test_a_later_group_sees_an_earlier_groups_use_as_a_turnaround_clear_copy() -> None:
    scn = two_departments(b_out_after_a_back=10)
    groups = plan_groups(scn, 1)
    ledger = Ledger(
        intervals=portfolio.rules.availabilities(scn),
        group_of_stage={s: g.index for g in groups for s in g.stages},
    )
    first = sub_scenario(scn, groups[0], ledger)
    assert not first.copies or all(k[0] != "A1" for k in first.copies.values())
    result = solve(first.scenario, time_limit=30)
    assert result.plan is not None
    absorb(scn, first, result.plan, ledger)
    assert [(u.start, u.end) for u in ledger.uses[("O1", 100)]] == [(121, 257)]
    second = sub_scenario(scn, groups[1], ledger)
    copies = {c: k for c, k in second.copies.items() if k == ("O1", 100)}
    assert list(copies) == ["O1~1"]  # nothing fits before A's stay: only after it
    copy = second.scenario.dwelling("O1~1")
    assert copy.stage is None and copy.hand_back is None
    assert copy.vacant_from is not None and scn.day(copy.vacant_from) == 257 + 7


def test_the_pavilion_fleet_left_to_a_later_group_is_what_earlier_groups_do_not_rent(
    small: Scenario, decomposed: Result
) -> None:
    groups = plan_groups(small, 30)
    ledger = Ledger(
        intervals=portfolio.rules.availabilities(small),
        group_of_stage={s: g.index for g in groups for s in g.stages},
    )
    ptype = small.pavilions[0]
    module = {
        "place": f"{ptype.id}-01",
        "source": "pavilion",
        "pavilion_type": ptype.id,
        "collected_from": small.date_of(groups[1].first_out - 10),
        "released": small.date_of(groups[1].first_out + 100),
        "segments": [],
    }
    ledger.modules = [portfolio.PlaceTimeline.model_validate(module)] * 3
    ledger.solved = 1
    sub = sub_scenario(small, groups[1], ledger)
    assert sub.scenario.pavilions[0].max_count == ptype.max_count - 3
    # the group's modules are rented from its offer period (R10, R12): rentals
    # over by then leave the fleet whole, rentals into it do not
    offer = portfolio.rules.schedule(small).offer_period(groups[1].stages[0])[0]
    rented_from = max(offer, ptype.lead_days)
    assert rented_from < groups[1].first_out
    for released, left in [(rented_from, ptype.max_count), (rented_from + 1, ptype.max_count - 3)]:
        module["collected_from"] = small.date_of(rented_from - 100)
        module["released"] = small.date_of(released)
        ledger.modules = [portfolio.PlaceTimeline.model_validate(module)] * 3
        sub = sub_scenario(small, groups[1], ledger)
        assert sub.scenario.pavilions[0].max_count == left


def test_one_worker_and_a_seed_give_the_same_plan(small: Scenario) -> None:
    options: dict[str, Any] = {
        "time_limit": 60,
        "num_workers": 1,
        "seed": 7,
        "group_size": 30,
        "max_deterministic_time": 0.2,
    }
    a, b = solve_portfolio(small, **options), solve_portfolio(small, **options)
    assert a.plan is not None and b.plan is not None
    assert a.plan.model_dump(mode="json") == b.plan.model_dump(mode="json")
    assert a.objective == b.objective
    assert (a.solver.seed, a.solver.num_workers) == (7, 1)
    _checked(small, a)


# -- solve() and the fallbacks ---------------------------------------------------------------


def test_solve_decomposes_a_refused_multi_department_model(small: Scenario) -> None:
    nodes = sum(len(u.nodes) for u in build_instance(small).units)
    result = solve(small, time_limit=60, max_nodes=nodes // 2)
    assert result.solver.strategy == "portfolio"
    assert "too large to build" in result.warnings[0]
    assert any("decomposed into" in w for w in result.warnings)
    assert result.bound is not None and result.objective is not None
    assert result.bound <= result.objective
    _checked(small, result)


class _Counted(Exception):
    """Raised instead of decomposing, once the live units are counted."""


def test_the_decomposition_starts_without_the_refused_models_networks(
    small: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # solve() decomposes inside its handler of ModelTooLarge, whose traceback
    # reaches the refused build's frames: their partial networks (on P 1.5
    # million nodes, about 200 MB) must not stay alive through the decomposition
    nodes = sum(len(u.nodes) for u in build_instance(small).units)

    def units_alive() -> int:
        gc.collect()
        return sum(isinstance(o, Unit) for o in gc.get_objects())

    before = units_alive()
    during: list[int] = []

    def count(*_: Any, **__: Any) -> Result:
        during.append(units_alive())
        raise _Counted

    monkeypatch.setattr(portfolio, "solve_portfolio", count)
    with pytest.raises(_Counted):
        solve(small, time_limit=10, max_nodes=nodes // 2)
    assert during == [before]


def _failing_second_group(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the solver find no plan for the second group; returns the solved names."""
    calls: list[str] = []
    real = solve_single

    def failing(scn: Scenario, *args: Any, **kwargs: Any) -> Solved:
        calls.append(scn.name)
        solved = real(scn, *args, **kwargs)
        if len(calls) != 2:
            return solved
        result = solved.result.model_copy(
            update={"status": Status.NO_SOLUTION_IN_TIME, "plan": None, "objective": None}
        )
        return solved._replace(result=result)

    monkeypatch.setattr("allocator.solving.single.solve_single", failing)
    return calls


def test_a_group_without_a_plan_gets_its_greedy_plan(
    small: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _failing_second_group(monkeypatch)
    result = solve_portfolio(small, time_limit=60, group_size=30)
    assert len(calls) == 3
    assert result.solver.strategy == "portfolio"
    assert any("group 2" in w and "greedy plan is used" in w for w in result.warnings)
    _checked(small, result)


def test_without_any_plan_for_a_group_the_whole_greedy_plan_is_returned(
    small: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _failing_second_group(monkeypatch)
    real_greedy = portfolio.greedy_plan

    def greedy_of_whole_only(scn: Scenario) -> Any:
        if "[group" in scn.name:
            raise GreedyFailed(["no place for H1"])
        return real_greedy(scn)

    monkeypatch.setattr(portfolio, "greedy_plan", greedy_of_whole_only)
    result = solve_portfolio(small, time_limit=60, group_size=30)
    assert len(calls) == 2  # it stops at the failing group
    assert result.solver.strategy == "greedy" and result.status is Status.FEASIBLE
    assert any("group 2" in w and "not even a greedy one" in w for w in result.warnings)
    assert result.objective == plan_objective(greedy_plan(small))
    _checked(small, result)


# -- a hand-built shared dwelling --------------------------------------------------------------


def two_departments(b_out_after_a_back: int) -> Scenario:
    """Departments A and B with a household each; O1 is cheap, O2 dear.

    A-E1 is out on day 121 and back on day 257 (docs of tests.tiny); B-E1's
    move-out day is ``b_out_after_a_back`` days after A's return. O1 is
    vacant from day 100; O2 (ten times the rent) from day 250.
    """
    from datetime import date, timedelta

    day0 = date(2025, 1, 1)
    b_start = day0 + timedelta(days=257 + b_out_after_a_back + 30)
    return a_and_b(
        "two departments",
        stage("B-E1", start=b_start.isoformat(), end="2026-03-01"),
        [vacant("O1", "2025-04-11"), vacant("O2", "2025-09-08", monthly_rent=36500.0)],
    )


def a_and_b(
    name: str, b_stage: dict[str, Any], places: list[dict[str, Any]], **hb: Any
) -> Scenario:
    """HA of stage A-E1 (tests.tiny's S1 dates) in A1, HB (``hb``) of ``b_stage`` in B1."""
    return scenario(
        {
            "name": name,
            "municipality": "Aarhus",
            "policy": {"overcapacity": 0.0},
            "stages": [stage("A-E1"), b_stage],
            "dwellings": [home("A1", stage="A-E1"), home("B1", stage="B-E1"), *places],
            "households": [household("HA", "A1"), household("HB", "B1", **hb)],
        }
    )


def _where(result: Result) -> dict[str, str | None]:
    assert result.plan is not None
    return {hp.household: hp.place for hp in result.plan.households}


def test_a_dwelling_serves_two_groups_a_turnaround_apart() -> None:
    scn = two_departments(b_out_after_a_back=10)
    result = solve_portfolio(scn, time_limit=30, group_size=1)
    assert result.solver.strategy == "portfolio"
    assert _where(result) == {"HA": "O1", "HB": "O1"}
    _checked(scn, result)
    assert result.plan is not None
    (o1,) = [t for t in result.plan.places if t.place == "O1"]
    kinds = [s.kind for s in o1.segments]
    assert kinds.count(SegmentKind.OCCUPIED) == 2 and SegmentKind.HELD_EMPTY in kinds


def test_no_group_books_a_dwelling_inside_anothers_turnaround() -> None:
    scn = two_departments(b_out_after_a_back=3)  # O1 is free again only on day 264
    result = solve_portfolio(scn, time_limit=30, group_size=1)
    assert result.solver.strategy == "portfolio"
    assert _where(result) == {"HA": "O1", "HB": "O2"}
    _checked(scn, result)


def test_the_checker_catches_a_merge_that_drops_the_turnaround(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mutation test: copies that ignore R2 double-book O1, and nothing slips through."""
    scn = two_departments(b_out_after_a_back=3)
    real = portfolio._free_stretches
    monkeypatch.setattr(
        portfolio, "_free_stretches", lambda start, end, uses, clear: real(start, end, uses, 0)
    )
    groups = plan_groups(scn, 1)
    ledger = Ledger(
        intervals=portfolio.rules.availabilities(scn),
        group_of_stage={s: g.index for g in groups for s in g.stages},
    )
    for group in groups:
        sub = sub_scenario(scn, group, ledger)
        result = solve(sub.scenario, time_limit=30)
        assert result.plan is not None
        absorb(scn, sub, result.plan, ledger)
    plan = merge_plans(scn, ledger)
    assert {hp.household: hp.place for hp in plan.households} == {"HA": "O1", "HB": "O1"}
    report = check_plan(scn, plan, plan_objective(plan))
    assert any(
        (v.rule, v.subject) == ("R2", "place O1") and v.text.startswith("3 days between")
        for v in report.violations
    ), report.messages
    # the planner itself never returns such a plan: it falls back to greedy
    fallback = solve_portfolio(scn, time_limit=30, group_size=1)
    assert fallback.solver.strategy == "greedy"
    assert any("breaks" in w and "R2" in w for w in fallback.warnings)
    _checked(scn, fallback)


def test_a_permanent_movers_home_is_offered_to_later_groups_only_once_vacated(
    small: Scenario, decomposed: Result
) -> None:
    plan = decomposed.plan
    assert plan is not None
    modes = {hp.household: hp.mode for hp in plan.households}
    groups = plan_groups(small, 30)
    ledger = Ledger(
        intervals=portfolio.rules.availabilities(small),
        group_of_stage={s: g.index for g in groups for s in g.stages},
    )
    first = [hp for hp in plan.households if ledger.group_of_stage[hp.stage] == 0]
    ledger.record(first)
    ledger.solved = 1
    sub = sub_scenario(small, groups[1], ledger)
    offered = {key[0] for key in sub.copies.values()}
    homes = {h.dwelling: h.id for h in small.households}
    for a in ledger.intervals:
        decided = a.vacated_by in {hp.household for hp in first}
        if a.vacated_by is not None and decided and modes[a.vacated_by] is not Mode.PERMANENT:
            assert a.dwelling not in offered
    assert not any(
        d in homes and ledger.group_of_stage[small.stage_of(small.household(homes[d])).id] > 1
        for d in offered
    )


def for_good_or_wheelchair(*, wheelchair: bool) -> Scenario:
    """A's stay would take the cheap O1, which B's household needs.

    A-E1 is out on day 121 and back on day 257; B-E1 moves out inside that
    block. HB must move for good (a binding agreement) to an
    own-organisation dwelling free for good by then, or (``wheelchair``)
    is a wheelchair user who stays and fits only O1. O2 is dear, borrowed
    until the end of 2025, and not wheelchair-accessible.
    """
    hb = {"wheelchair": True} if wheelchair else {"agreement": "permanent"}
    return a_and_b(
        "one place for B",
        stage("B-E1", start="2025-08-19", end="2025-10-01"),
        [
            vacant("O1", "2025-04-11", wheelchair=True),
            vacant("O2", "2025-01-01", monthly_rent=36500.0, hand_back="2025-12-31"),
        ],
        **hb,
    )


def test_a_dwelling_for_good_is_held_back_for_a_later_groups_mover() -> None:
    scn = for_good_or_wheelchair(wheelchair=False)
    groups = plan_groups(scn, 1)
    # planned alone, the first group takes the cheap O1 and leaves B nothing
    ledger = _fresh_ledger(scn, groups)
    first = sub_scenario(scn, groups[0], ledger)
    alone = solve(first.scenario, time_limit=30)
    assert alone.plan is not None
    absorb(scn, first, alone.plan, ledger)
    second = sub_scenario(scn, groups[1], ledger).scenario
    assert solve(second, time_limit=30).status is Status.INFEASIBLE
    # so O1 is held back for HB from its moving day on
    held = portfolio.reserve_for_good(scn, groups)
    assert held == {"O1": ("B-E1", schedule(scn).move_out["HB"])}
    result = solve_portfolio(scn, time_limit=30, group_size=1)
    assert result.solver.strategy == "portfolio"
    assert not any("again together" in w for w in result.warnings)
    assert result.plan is not None
    plans = {
        hp.household: (hp.mode, hp.place or hp.permanent_dwelling) for hp in result.plan.households
    }
    assert plans == {"HA": (Mode.TEMPORARY, "O2"), "HB": (Mode.PERMANENT, "O1")}
    _checked(scn, result)


def test_a_group_left_without_a_place_is_planned_again_with_the_group_before() -> None:
    scn = for_good_or_wheelchair(wheelchair=True)
    result = solve_portfolio(scn, time_limit=30, group_size=1)
    assert result.solver.strategy == "portfolio"
    assert any("group 2" in w and "INFEASIBLE" in w for w in result.warnings)
    assert any("group 2" in w and "again together with group 1" in w for w in result.warnings)
    assert _where(result) == {"HA": "O2", "HB": "O1"}
    _checked(scn, result)
