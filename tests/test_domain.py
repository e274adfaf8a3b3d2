"""The readings a Danish planner would sign, on solved plans (docs/MODEL.md).

Seniority cannot be bypassed by a permanent move, accessible new dwellings
go to those who need them, spares are real and cover every need group,
moves are spread over working days at the moving company's capacity, and a
permanent agreement binds. Each rule is shown holding on a solved plan and,
where the solver could profit from breaking it, shown to cost what it costs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from allocator import rules
from allocator.generate import generate
from allocator.plan.check import check_plan
from models.plan import Mode, Plan, Result, SegmentKind, Status
from models.scenario import Scenario
from tests.tiny import (
    OUT_S1,
    after_dwelling,
    case,
    day_date,
    home,
    household,
    solve_small,
    vacant,
)


def planned(scn: Scenario, **kwargs: Any) -> Plan:
    result = solve_small(scn, **kwargs)
    assert result.status is Status.OPTIMAL, result.warnings
    assert result.plan is not None
    report = check_plan(scn, result.plan, result.objective)
    assert report.ok, report.messages
    return result.plan


def of(plan: Plan, household_id: str) -> Any:
    return next(hp for hp in plan.households if hp.household == household_id)


# -- R8, R9: a household with wishes is never moved out for good --------------------


def wisher_case(wishes: list[str]) -> Scenario:
    """Undecided H1 could move for good into cheap P1 or stay in dear O1 (R8).

    H0, more senior, wins N1, so H1's wish cannot be granted.
    """
    return case(
        [
            home("A0"),
            home("A1"),
            vacant("O0", day_date(OUT_S1)),
            vacant("O1", day_date(OUT_S1), monthly_rent=20_000.0),
            # in another municipality: a home for good, not for a stay (R7)
            vacant("P1", day_date(OUT_S1), monthly_rent=365.0, municipality="Odder"),
        ],
        [
            household("H0", "A0", "1990-01-01", wishes=["N1"]),
            household("H1", "A1", "2000-01-01", agreement="undecided", wishes=wishes),
        ],
        after_dwellings=[after_dwelling("N1")],
    )


@pytest.mark.rule("R8", "holds")
@pytest.mark.rule("R9", "holds")
def test_a_household_with_wishes_stays_even_when_moving_it_for_good_is_cheaper() -> None:
    alone = planned(wisher_case([]))
    assert of(alone, "H1").mode is Mode.PERMANENT  # the cheap recommendation without wishes
    wished = planned(wisher_case(["N1"]))
    assert of(wished, "H0").after_dwelling == "N1"
    h1 = of(wished, "H1")
    assert (h1.mode, h1.place, h1.after_dwelling) == (Mode.TEMPORARY, "O1", None)


@pytest.mark.rule("R9", "holds")
@pytest.mark.parametrize(("priority", "winner"), [(True, "H2"), (False, "H1")])
def test_an_accessible_new_dwelling_goes_first_to_the_household_that_needs_it(
    priority: bool, winner: str
) -> None:
    # H1 (senior) and H2 (wheelchair user) both wish N1, the one wheelchair flat
    scn = case(
        [
            home("A1"),
            home("A2"),
            vacant("O1", day_date(OUT_S1), wheelchair=True),
            vacant("O2", day_date(OUT_S1), wheelchair=True),
        ],
        [
            household("H1", "A1", "1980-01-01", wishes=["N1"]),
            household("H2", "A2", "2015-01-01", wheelchair=True, wishes=["N1"]),
        ],
        after_dwellings=[after_dwelling("N1", wheelchair=True)],
        policy={"accessible_priority": priority},
    )
    plan = planned(scn)
    assert of(plan, winner).after_dwelling == "N1"


# -- R8: a permanent agreement binds ---------------------------------------------------


def permanent_case(**policy: Any) -> Scenario:
    """H1 has a permanent agreement; no own-organisation dwelling fits it (2 rooms, 5 persons)."""
    return case(
        [
            home("A1"),
            vacant("P1", day_date(OUT_S1)),
            vacant("T1", day_date(OUT_S1), "partner", rooms=3),
        ],
        [household("H1", "A1", adults=5, agreement="permanent")],
        policy=policy,
    )


@pytest.mark.rule("R8", "violated")
def test_a_binding_permanent_agreement_that_cannot_be_met_is_infeasible_and_named() -> None:
    result = solve_small(permanent_case())
    assert result.status is Status.INFEASIBLE
    assert any(w.startswith("household H1: no own-organisation dwelling") for w in result.warnings)


@pytest.mark.rule("R8", "holds")
def test_a_soft_permanent_agreement_may_return_at_its_penalty() -> None:
    plan = planned(permanent_case(permanent_agreement="soft"))
    assert (of(plan, "H1").mode, of(plan, "H1").place) == (Mode.TEMPORARY, "T1")
    assert plan.penalties == 50_000.0  # penalties.permanent_not_met


# -- R10: spares for every need group ----------------------------------------------------


def need_groups_case(wheelchair_spare: bool) -> Scenario:
    """Five wheelchair users and five others: at 20 % each group needs floor(1) spare.

    Cheap ordinary flats abound; a wheelchair flat beyond the five homes costs more.
    """
    homes = [home(f"A{i}") for i in range(10)]
    people = [household(f"H{i}", f"A{i}", wheelchair=i < 5) for i in range(10)]
    places = [vacant(f"W{i}", day_date(90), wheelchair=True, monthly_rent=5000.0) for i in range(5)]
    places += [vacant(f"O{i}", day_date(90)) for i in range(8)]
    if wheelchair_spare:
        places.append(vacant("W9", day_date(90), wheelchair=True, monthly_rent=9000.0))
    return case(homes + places, people, policy={"overcapacity": 0.2})


@pytest.mark.rule("R10", "holds")
def test_each_need_group_gets_its_share_of_spares_even_when_dearer() -> None:
    scn = need_groups_case(wheelchair_spare=True)
    plan = planned(scn)
    spares = [
        (t.place, seg.need)
        for t in plan.places
        for seg in t.segments
        if seg.kind is SegmentKind.SPARE
    ]
    assert len(spares) == 2  # ceil(0.2 * 10)
    needs = Counter(str(need) for _, need in spares)
    assert needs["1 rooms, wheelchair"] == 1 and needs["1 rooms, none"] == 1
    assert ("W9", rules.need_group(scn, scn.household("H0"))) in spares


@pytest.mark.rule("R10", "violated")
def test_without_a_spare_for_a_need_group_there_is_no_plan() -> None:
    result = solve_small(need_groups_case(wheelchair_spare=False))
    assert result.status is Status.INFEASIBLE


# -- R1, R13: moves on working days at the moving company's capacity ---------------------


@pytest.mark.rule("R13", "holds")
@pytest.mark.rule("R1", "holds")
def test_a_stage_moves_out_over_several_working_days_at_the_capacity() -> None:
    scn = case(
        [home(f"A{i}") for i in range(10)] + [vacant(f"O{i}", day_date(0)) for i in range(10)],
        [household(f"H{i}", f"A{i}") for i in range(10)],
        policy={"moves_per_day": 4},
    )
    plan = planned(scn)
    days = Counter(hp.move_out for hp in plan.households)
    assert sorted(days.values()) == [2, 4, 4]
    assert max(days) == scn.date_of(OUT_S1)  # the last on the deadline, Friday 2025-05-02
    calendar = rules.working_days(scn)
    assert all(calendar.is_working(d) for d in days)
    back = Counter(hp.return_date for hp in plan.households)
    assert max(back.values()) == 4 and all(calendar.is_working(d) for d in back if d)
    # a place is occupied from its household's real moving day
    for hp in plan.households:
        (stay,) = [s for t in plan.places for s in t.segments if s.household == hp.household]
        assert (stay.start, stay.end) == (hp.move_out, hp.return_date)


# -- the readings hold on generated scenarios ------------------------------------------------


def _solved(size: str) -> tuple[Scenario, Result]:
    scn = generate(size, 0)
    from allocator import solve

    return scn, solve(scn, time_limit=60, num_workers=2, seed=0, gap_limit=0.001)


@pytest.mark.parametrize("size", ["S", "example"])
def test_generated_plans_keep_every_reading(size: str) -> None:
    scn, result = _solved(size)
    assert result.plan is not None
    plan = result.plan
    assert check_plan(scn, plan, result.objective).ok
    # R9: no justified envy and no waste over every household with a wish list
    won = {hp.household: hp.after_dwelling for hp in plan.households if hp.after_dwelling}
    assert rules.justified_envy(scn, won) == []
    assert won == rules.seniority_allocation(scn)
    # R8: no household with wishes is moved for good
    removed = scn.removed_dwellings()
    for hp in plan.households:
        h = scn.household(hp.household)
        if rules.takes_part(h) and h.dwelling not in removed:
            assert hp.mode is not Mode.PERMANENT, h.id
    # R1, R13: every move on a working day, no day over the capacity
    calendar = rules.working_days(scn)
    moves = Counter(hp.move_out for hp in plan.households)
    moves.update(hp.return_date for hp in plan.households if hp.return_date)
    assert max(moves.values()) <= scn.policy.moves_per_day
    assert all(calendar.is_working(d) for d in moves)
    assert all(calendar.is_working(hp.notice_date) for hp in plan.households)
    # R10: every stage holds its spares, each over the offer period
    for k in plan.kpis.stages:
        assert k.spares >= rules.spares_required(scn, k.displaced)
