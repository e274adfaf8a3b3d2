"""The greedy planner: valid plans, never below the optimum, deterministic, clear failures."""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any

import pytest

from allocator import rules
from allocator.generate import SizeSpec, generate, supply_check
from allocator.heuristics import greedy
from allocator.heuristics.greedy import GreedyFailed, greedy_plan, greedy_run
from allocator.plan.check import check_plan
from allocator.solving.entry import solve
from models.plan import Mode, Plan, SegmentKind
from models.scenario import Household, Scenario
from tests.tiny import (
    BACK_S1,
    OUT_S1,
    changed,
    home,
    household,
    pavilion_type,
    scenario,
    stage,
    tiny,
    tiny_data,
    two_stage,
    two_stage_data,
    vacant,
)

#: Stage S2 of the cases below: works [2026-01-01, 2026-03-01), after S1 is back.
OUT_S2 = 335
BACK_S2 = 438

#: Small generated cases the solver proves optimal in well under a second.
SMALL = SizeSpec(
    households=14, stages=2, org_stock=150, merges=1, partner_share=0.15, pavilion_share=0.3
)


def objective(plan: Plan) -> float:
    """Budget cost plus penalties in DKK, as the solver's objective."""
    return plan.costs[-1].total + plan.penalties


def valid(sc: Scenario, plan: Plan) -> None:
    report = check_plan(sc, plan)
    assert report.violations == []
    assert {hp.household for hp in plan.households} == {h.id for h in sc.households}


def two_stage_case(**changes: Any) -> dict[str, Any]:
    """S1 (out 121, back 257) then S2 (out 335, back 438); no overcapacity.

    H1 (A1) is temporary and H2 (A2, 3 rooms) permanent in S1; H5 (B1) in S2
    is five persons and needs 3 rooms, which only A2 has once renovated.
    O1 and O2 (own organisation, 2 rooms) are vacant from day 121.
    """
    data: dict[str, Any] = {
        "name": "reuse",
        "municipality": "Aarhus",
        "policy": {"overcapacity": 0.0},
        "stages": [stage(), stage("S2", "2026-01-01", "2026-03-01")],
        "dwellings": [
            home("A1"),
            home("A2", rooms=3),
            home("B1", stage="S2", rooms=3),
            vacant("O1", "2025-05-02"),
            vacant("O2", "2025-05-02"),
        ],
        "households": [
            household("H1", "A1", "2005-01-01"),
            household("H2", "A2", "2010-01-01", agreement="permanent"),
            household("H5", "B1", "2012-01-01", adults=2, children=3),
        ],
    }
    data.update(changes)
    return data


# -- valid plans ------------------------------------------------------------------------


def test_tiny_cases_give_valid_plans() -> None:
    for sc in (tiny(), two_stage(), scenario(two_stage_case())):
        plan = greedy_plan(sc)
        valid(sc, plan)
        assert plan.kpis.time_limited_days == 0  # held empty, as a spreadsheet planner does


@pytest.mark.parametrize(("size", "seed"), [("S", s) for s in range(5)] + [("example", 0)])
def test_generated_scenarios_give_valid_plans(size: str, seed: int) -> None:
    sc = generate(size, seed)
    plan = greedy_plan(sc)
    valid(sc, plan)
    assert all(seg.kind is not SegmentKind.TIME_LIMITED for t in plan.places for seg in t.segments)
    for k in plan.kpis.stages:  # R10: every stage's pool is met
        assert k.pool >= rules.required_pool(sc, k.displaced)


def test_medium_scenario_gives_a_valid_plan() -> None:
    sc = generate("M", 0)
    valid(sc, greedy_plan(sc))


def test_small_generated_scenarios_give_valid_plans() -> None:
    for seed in range(12):
        sc = generate(SMALL, seed)
        valid(sc, greedy_plan(sc))


# -- the rules it follows ---------------------------------------------------------------


def test_after_dwellings_go_by_seniority_and_ready_ones_directly() -> None:
    sc = two_stage()
    plans = {hp.household: hp for hp in greedy_plan(sc).households}
    # H1 is more senior than H2 and takes N1; H2 returns home
    assert plans["H1"].after_dwelling == "N1" and plans["H1"].mode is Mode.TEMPORARY
    assert plans["H2"].after_dwelling is None
    # N2 is ready (day 257) before H4's move-out (day 274): it moves in directly
    assert plans["H4"].mode is Mode.DIRECT and plans["H4"].after_dwelling == "N2"


def test_permanent_movers_home_is_reused_only_if_it_moved() -> None:
    sc = scenario(two_stage_case())
    plan = greedy_plan(sc)
    plans = {hp.household: hp for hp in plan.households}
    assert plans["H2"].mode is Mode.PERMANENT
    assert plans["H5"].place == "A2"
    (a2,) = [t for t in plan.places if t.place == "A2"]
    assert sc.day(a2.collected_from) == BACK_S1
    assert [(s.kind, sc.day(s.start), sc.day(s.end)) for s in a2.segments] == [
        (SegmentKind.HELD_EMPTY, BACK_S1, OUT_S2),
        (SegmentKind.OCCUPIED, OUT_S2, BACK_S2),
    ]
    # had H2 come back, A2 would not be free for H5, and nothing else fits it
    data = two_stage_case()
    stuck = scenario(changed(data, "households", "H2", agreement="temporary"))
    with pytest.raises(GreedyFailed, match="household H5"):
        greedy_plan(stuck)


def test_a_pavilion_module_serves_a_later_stage() -> None:
    data = two_stage_case(
        dwellings=[home("A1"), home("B1", stage="S2")],
        households=[household("H1", "A1"), household("H5", "B1")],
        pavilions=[pavilion_type()],
    )
    sc = scenario(data)
    plan = greedy_plan(sc)
    valid(sc, plan)
    (module,) = [t for t in plan.places if t.pavilion_type == "PT"]
    assert [(s.household, sc.day(s.start), sc.day(s.end)) for s in module.segments] == [
        ("H1", OUT_S1, BACK_S1),
        ("H5", OUT_S2, BACK_S2),
    ]
    assert (sc.day(module.collected_from), sc.day(module.released)) == (OUT_S1, BACK_S2)


def test_spare_places_fill_the_pool_with_a_pavilion_if_need_be() -> None:
    data = two_stage_case(
        policy={"overcapacity": 0.2},
        stages=[stage()],
        dwellings=[home("A1"), vacant("O1", "2025-05-02")],
        households=[household("H1", "A1")],
        pavilions=[pavilion_type()],
    )
    sc = scenario(data)
    plan = greedy_plan(sc)
    valid(sc, plan)
    (module,) = [t for t in plan.places if t.pavilion_type == "PT"]
    assert [(s.kind, sc.day(s.start), sc.day(s.end)) for s in module.segments] == [
        (SegmentKind.SPARE, OUT_S1, OUT_S1)
    ]
    # rented across the stay window, at least the 6-month minimum
    assert sc.day(module.released) == max(BACK_S1, OUT_S1 + rules.months_to_days(6))
    assert plan.kpis.stages[0].pool == 2


def test_an_undecided_household_moves_for_good_only_when_no_place_is_left() -> None:
    data = two_stage_case(
        stages=[stage()],
        dwellings=[
            home("A1"),
            home("A3"),
            vacant("O1", "2025-05-02"),
            vacant("O2", "2025-05-02", municipality="Aalborg"),  # not for a stay (R7)
        ],
        households=[household("H1", "A1"), household("H3", "A3", agreement="undecided")],
    )
    plans = {hp.household: hp for hp in greedy_plan(scenario(data)).households}
    assert plans["H1"].mode is Mode.TEMPORARY and plans["H1"].place == "O1"
    assert plans["H3"].mode is Mode.PERMANENT and plans["H3"].permanent_dwelling == "O2"
    valid(scenario(data), greedy_plan(scenario(data)))
    # with a place left it stays temporary (the default for undecided households)
    roomy = scenario({**data, "dwellings": [*data["dwellings"], vacant("O3", "2025-05-02")]})
    plans = {hp.household: hp for hp in greedy_plan(roomy).households}
    assert plans["H3"].mode is Mode.TEMPORARY
    # a temporary agreement rules the permanent move out
    with pytest.raises(GreedyFailed, match="household H3"):
        greedy_plan(scenario(changed(data, "households", "H3", agreement="temporary")))


# -- failures ---------------------------------------------------------------------------


def test_fails_clearly_when_no_place_fits() -> None:
    sc = scenario(changed(tiny_data(), "households", "H3", wheelchair=True))
    with pytest.raises(GreedyFailed) as info:
        greedy_plan(sc)
    assert len(info.value.reasons) == 1
    assert "household H3" in info.value.reasons[0]
    assert solve(sc, time_limit=10, num_workers=1).plan is None  # truly infeasible
    run = greedy_run(sc)  # the run itself reports instead of raising
    assert not run.ok and run.stages[0].problems == info.value.reasons


def test_fails_clearly_for_a_merged_away_household_that_wins_nothing() -> None:
    data = changed(two_stage_data(), "after_dwellings", "N1", replaces=["A2"])
    with pytest.raises(GreedyFailed, match="H2: R8: its dwelling A2 is merged away"):
        greedy_plan(scenario(data))


def test_fails_clearly_when_the_pool_cannot_be_met() -> None:
    sc = tiny(policy={"overcapacity": 1.0}, pavilions=[])
    with pytest.raises(GreedyFailed, match="stage S1: R10"):
        greedy_plan(sc)


# -- against the solver ---------------------------------------------------------------------


def test_never_below_the_optimum_on_tiny_cases() -> None:
    for sc in (tiny(), two_stage(), scenario(two_stage_case())):
        result = solve(sc, time_limit=20, num_workers=1, gap_limit=0)
        assert result.objective is not None
        assert objective(greedy_plan(sc)) >= result.objective - 0.005
    # on two_stage the greedy is optimal
    sc = two_stage()
    result = solve(sc, time_limit=20, num_workers=1, gap_limit=0)
    assert objective(greedy_plan(sc)) == pytest.approx(result.objective, abs=0.005)


@pytest.mark.parametrize("seed", [2, 4, 7])
def test_never_below_the_optimum_on_small_generated_cases(seed: int) -> None:
    sc = generate(SMALL, seed)
    result = solve(sc, time_limit=20, num_workers=1, gap_limit=0)
    assert result.bound is not None and result.objective is not None
    greedy = objective(greedy_plan(sc))
    assert greedy >= result.bound - 0.005
    assert greedy >= result.objective - 0.005 or result.gap != 0.0


def test_never_below_the_solvers_lower_bound_on_s() -> None:
    sc = generate("S", 0)
    result = solve(sc, time_limit=10, num_workers=1)
    assert result.bound is not None
    assert objective(greedy_plan(sc)) >= result.bound - 0.005


# -- determinism and the generator ----------------------------------------------------------


def test_deterministic() -> None:
    a = greedy_plan(generate("example", 0)).model_dump(mode="json")
    b = greedy_plan(generate("example", 0)).model_dump(mode="json")
    assert a == b


def test_supply_check_is_the_greedy_run() -> None:
    sc = generate("example", 1)
    run = greedy_run(sc)
    checks = supply_check(sc)
    assert [c.stage for c in checks] == [st.stage for st in run.stages]
    for c, st in zip(checks, run.stages, strict=True):
        assert c.witness == st
        assert c.ok == (not st.problems)


# -- as a warm start --------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["tiny", "S"])
def test_warm_start(size: str) -> None:
    sc = tiny() if size == "tiny" else generate("S", 0)
    plan = greedy_plan(sc)
    result = solve(sc, time_limit=10, num_workers=1, initial_plan=plan, strategy="cp-sat")
    assert result.plan is not None and result.objective is not None
    assert check_plan(sc, result.plan, objective=result.objective).ok
    if size == "tiny":
        assert result.objective <= objective(plan)


def test_warm_start_with_the_default_strategy() -> None:
    sc = tiny()
    result = solve(sc, time_limit=10, num_workers=1, initial_plan=greedy_plan(sc))
    assert result.plan is not None and result.objective is not None
    assert check_plan(sc, result.plan, objective=result.objective).ok


# -- the lazy look-ups --------------------------------------------------------------------


class _FullScan(greedy._Planner):
    """The planner with its look-ups done the plain way: every slot, every time.

    Per phase, stay and kind of use, a cost heap per place class of every
    slot with room, built when first asked and popped lazily; spare places
    from a sorted scan of every slot. The planner's shelf and bounded reads
    must pick exactly what these pick.
    """

    def __init__(self, sc: Scenario) -> None:
        super().__init__(sc)
        self.heaps: dict[tuple[int, int, bool], dict[int, list[tuple[int, str, int, int]]]] = {}

    def permanent_moves(self, *args: Any) -> None:
        super().permanent_moves(*args)
        self.heaps.clear()

    def plan_stage(self, *args: Any) -> None:
        self.heaps.clear()
        super().plan_stage(*args)

    def _buckets(self, out: int, ret: int, permanent: bool) -> dict[int, list[Any]]:
        key = (out, ret, permanent)
        if key not in self.heaps:
            buckets: dict[int, list[Any]] = defaultdict(list)
            for slot in self.slots:
                if slot.start > out:
                    break
                if permanent and slot.end != rules.FOREVER:
                    continue
                room = self._room(slot, out, ret, terminal=permanent)
                if room is not None:
                    item = (room[1], slot.dwelling.id, slot.start, slot.index)
                    buckets[slot.pclass].append(item)
            for heap in buckets.values():
                heapq.heapify(heap)
            self.heaps[key] = buckets
        return self.heaps[key]

    def _best_dwelling(
        self, h: Household, out: int, ret: int, permanent: bool
    ) -> greedy._Slot | None:
        hc, answer = self.fits.household_class(h), self.fits.answer
        best: tuple[int, str, int] | None = None
        pick = None
        for pc, heap in self._buckets(out, ret, permanent).items():
            if not heap or not answer(hc, pc, permanent, h, self.slots[heap[0][3]].dwelling):
                continue
            while heap:
                cost, did, start, i = heap[0]
                room = self._room(self.slots[i], out, ret, terminal=permanent)
                if room is not None and room[1] == cost:
                    break
                heapq.heappop(heap)
                if room is not None:
                    heapq.heappush(heap, (room[1], did, start, i))
            if not heap:
                continue
            cost, did, start, i = heap[0]
            key = (cost + rules.penalty_ore(self.sc, h, self.slots[i].dwelling), did, start)
            if best is None or key < best:
                best, pick = key, self.slots[i]
        return pick

    def _spare_dwellings(self, stage: Any, out: int, needs: list[Any]) -> Any:
        fits = self.fits
        found = []
        for slot in self.slots:
            if slot.start > out:
                break
            room = self._room(slot, out, out)
            if room is None or any(u.stage == stage.id for u in slot.uses):
                continue
            if any(
                end <= slot.end and fits.answer(hc, slot.pclass, False, h, slot.dwelling)
                for end, hc, h in needs
            ):
                found.append((room[1], f"{slot.dwelling.id}@{slot.start}", slot))
        found.sort(key=lambda t: t[:2])

        class Queue:
            def peek(self) -> Any:
                return found[0] if found else None

            def pop(self) -> Any:
                return found.pop(0)[2]

        return Queue()


def _before_a_permanent_letting() -> dict[str, Any]:
    """H1 (S1, temporary) and H6 (S2, permanent); O1 and O2 alike, vacant from S1's move-out."""
    return two_stage_case(
        dwellings=[
            home("A1"),
            home("B2", stage="S2"),
            vacant("O1", "2025-05-02"),
            vacant("O2", "2025-05-02"),
        ],
        households=[
            household("H1", "A1"),
            household("H6", "B2", "2012-01-01", agreement="permanent"),
        ],
    )


def test_a_stay_goes_before_a_later_permanent_letting_for_nothing() -> None:
    sc = scenario(_before_a_permanent_letting())
    plan = greedy_plan(sc)
    valid(sc, plan)
    plans = {hp.household: hp for hp in plan.households}
    assert plans["H6"].permanent_dwelling == "O1"  # arranged first: the cheapest, by id
    assert plans["H1"].place == "O1"  # it adds no rent loss there, unlike in O2
    (o1,) = [t for t in plan.places if t.place == "O1"]
    assert [(s.kind, sc.day(s.start), sc.day(s.end)) for s in o1.segments] == [
        (SegmentKind.OCCUPIED, OUT_S1, BACK_S1),
        (SegmentKind.HELD_EMPTY, BACK_S1, OUT_S2),
        (SegmentKind.PERMANENT, OUT_S2, OUT_S2),
    ]
    assert not [t for t in plan.places if t.place == "O2"]


def _policy_variants() -> list[Scenario]:
    out = [
        scenario(_before_a_permanent_letting()),
        scenario(two_stage_case()),
        two_stage(),
        tiny(policy={"turnaround_days": 0, "overcapacity": 1.0}),
    ]
    for seed, changes in enumerate(
        [
            {},
            {"turnaround_days": 0},
            {"turnaround_days": 0, "overcapacity": 1.0},
            {"turnaround_days": 60, "clearing_days": 0, "ready_days": 0},
            {"overcapacity": 0.5, "same_municipality": False},
        ]
    ):
        for sc in (generate("S", seed), generate(SMALL, seed)):
            out.append(sc.model_copy(update={"policy": sc.policy.model_copy(update=changes)}))
    return out


@pytest.mark.parametrize("sc", _policy_variants())
def test_lazy_lookups_pick_what_a_full_scan_picks(
    sc: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = greedy_run(sc)
    monkeypatch.setattr(greedy, "_Planner", _FullScan)
    slow = greedy_run(sc)
    assert repr(fast.households) == repr(slow.households)
    assert repr(fast.places) == repr(slow.places)
    assert fast.stages == slow.stages
