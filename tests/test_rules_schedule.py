"""The rules fixed before optimisation: working days, R9 by seniority, outcomes, moving days."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator import rules
from models.scenario import Scenario
from tests.tiny import after_dwelling, home, household, scenario, stage, vacant

# -- working days ------------------------------------------------------------------


def test_weekends_and_danish_public_holidays_are_closed() -> None:
    cal = rules.working_days(scenario(_data(1)))
    assert cal.is_working(date(2026, 4, 1))  # a Wednesday
    assert not cal.is_working(date(2026, 4, 4))  # Saturday
    assert not cal.is_working(date(2026, 4, 3))  # Good Friday
    assert not cal.is_working(date(2026, 5, 14))  # Ascension Day
    # Easter: Maundy Thursday to Easter Monday are closed
    assert cal.on_or_before(date(2026, 4, 6)) == date(2026, 4, 1)
    assert cal.on_or_after(date(2026, 4, 2)) == date(2026, 4, 7)


def test_closed_days_of_the_policy_are_closed() -> None:
    cal = rules.working_days(scenario(_data(1), policy={"closed_days": ["2025-12-24"]}))
    assert not cal.is_working(date(2025, 12, 24))
    assert cal.on_or_before(date(2025, 12, 24)) == date(2025, 12, 23)


def test_notice_is_four_months_before_start_and_three_before_the_move_on_a_working_day() -> None:
    scn = scenario(_data(1))
    # start Monday 2025-06-02: 4 months before is Sunday 2025-02-02 -> Friday 2025-01-31
    assert rules.notice_date(scn, date(2025, 6, 2), date(2025, 5, 2)) == date(2025, 1, 31)
    # a move on 2025-04-15 needs the notice by 2025-01-15 (3 months), earlier than 4 months
    assert rules.notice_date(scn, date(2025, 6, 2), date(2025, 4, 15)) == date(2025, 1, 15)
    # the return letter a month before the return, on a working day (2025-08-15 is a Friday)
    assert rules.return_letter_date(scn, date(2025, 9, 15)) == date(2025, 8, 15)
    assert rules.return_letter_date(scn, date(2025, 9, 16)) == date(2025, 8, 15)  # 16th: Sat


# -- R9 ------------------------------------------------------------------------------


def _r9(households: list[dict[str, object]], afters: list[dict[str, object]]) -> Scenario:
    homes = [home(str(h["dwelling"]), rooms=2) for h in households]
    return scenario(
        {
            "stages": [stage()],
            "dwellings": [*homes, vacant("O1", "2025-01-01")],
            "households": households,
            "after_dwellings": afters,
        }
    )


def test_one_order_lets_households_choose_by_seniority() -> None:
    scn = _r9(
        [
            household("H1", "A1", "2000-01-01", wishes=["N2", "N1"]),
            household("H2", "A2", "1990-01-01", wishes=["N2"]),
            household("H3", "A3", "2010-01-01", wishes=["N2", "N1"]),
        ],
        [after_dwelling("N1"), after_dwelling("N2")],
    )
    assert rules.seniority_allocation(scn) == {"H2": "N2", "H1": "N1"}
    assert rules.justified_envy(scn, rules.seniority_allocation(scn)) == []


def test_accessible_dwellings_go_first_to_those_who_need_them() -> None:
    afters = [after_dwelling("N1", wheelchair=True), after_dwelling("N2")]
    wishers = [
        household("H1", "A1", "1980-01-01", wishes=["N1", "N2"]),
        household("H2", "A2", "2015-01-01", wheelchair=True, wishes=["N1"]),
    ]
    assert rules.seniority_allocation(_r9(wishers, afters)) == {"H2": "N1", "H1": "N2"}
    plain = _r9(wishers, afters).model_copy(
        update={
            "policy": {**_r9(wishers, afters).policy.model_dump(), "accessible_priority": False}
        }
    )
    assert rules.seniority_allocation(plain) == {"H1": "N1"}  # H2 is eligible for N1 only


def test_the_wished_maximum_of_rooms_bounds_eligibility() -> None:
    # H0149 of the old example: one person, at most 3 rooms, got a 4-room flat
    scn = _r9(
        [household("H1", "A1", wishes=["N4", "N3"], rooms_max=3)],
        [after_dwelling("N4", rooms=4), after_dwelling("N3", rooms=3)],
    )
    assert rules.seniority_allocation(scn) == {"H1": "N3"}
    assert rules.wish_warnings(scn) == [
        "household H1: R9: wishes after-renovation dwelling N4, which it is not eligible for "
        "(size, its wished maximum of rooms or access); the wish can never be granted"
    ]


def test_envy_and_waste_are_found() -> None:
    scn = _r9(
        [
            household("H1", "A1", "1990-01-01", wishes=["N1"]),
            household("H2", "A2", "2000-01-01", wishes=["N1"]),
            household("H3", "A3", "2000-01-01", wishes=["N2"]),
        ],
        [after_dwelling("N1"), after_dwelling("N2")],
    )
    found = rules.justified_envy(scn, {"H2": "N1"})
    assert [(h.id, a.id, r.id if r else None) for h, a, r in found] == [
        ("H1", "N1", "H2"),  # justified envy: N1 went to a junior household
        ("H3", "N2", None),  # waste: N2 went to nobody
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1980, 2020),  # seniority year
            st.sampled_from(["none", "step_free", "wheelchair"]),
            st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),  # wishes
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.sampled_from(["plain", "step_free", "wheelchair"]), min_size=4, max_size=4),
)
def test_the_allocation_is_stable_and_best_for_every_household(
    people: list[tuple[int, str, list[int]]], kinds: list[str]
) -> None:
    afters = [
        after_dwelling(f"N{i}", wheelchair=k == "wheelchair", floor=0 if k != "plain" else 2)
        for i, k in enumerate(kinds)
    ]
    hs = [
        household(
            f"H{i}",
            f"A{i}",
            f"{year}-01-01",
            wheelchair=need == "wheelchair",
            step_free=need == "step_free",
            wishes=[f"N{w}" for w in wishes],
        )
        for i, (year, need, wishes) in enumerate(people)
    ]
    scn = _r9(hs, afters)
    won = rules.seniority_allocation(scn)
    assert rules.justified_envy(scn, won) == []
    # brute force: every stable allocation; the chosen one is the best of them for everyone
    eligible = {h.id: [a.id for a in rules.wanted_after(scn, h)] for h in scn.households}
    ids = list(eligible)
    stable = []
    for pick in itertools.product(*[[None, *eligible[h]] for h in ids]):
        taken = [a for a in pick if a is not None]
        if len(taken) != len(set(taken)):
            continue
        alloc = {h: a for h, a in zip(ids, pick, strict=True) if a is not None}
        if not rules.justified_envy(scn, alloc):
            stable.append(alloc)
    assert won in stable

    def rank(h: str, alloc: dict[str, str]) -> int:
        got = alloc.get(h)
        return eligible[h].index(got) if got in eligible[h] else len(eligible[h])

    for alloc in stable:
        assert all(rank(h, won) <= rank(h, alloc) for h in ids)


# -- R8 outcomes ---------------------------------------------------------------------


def test_a_household_with_wishes_is_never_moved_for_good() -> None:
    scn = _r9(
        [
            household("H1", "A1", agreement="undecided", wishes=["N1"]),
            household("H2", "A2", agreement="undecided", wishes=["N1"]),
            household("H3", "A3", agreement="undecided"),
            household("H4", "A4", agreement="permanent"),
        ],
        [after_dwelling("N1")],
    )
    out = rules.schedule(scn).outcomes
    assert out["H1"] == (rules.Outcome.AFTER,)  # won N1: a stay until it is ready
    assert out["H2"] == (rules.Outcome.OWN,)  # wishes, won nothing: returns
    assert set(out["H3"]) == {rules.Outcome.OWN, rules.Outcome.PERMANENT}  # the plan recommends
    assert out["H4"] == (rules.Outcome.PERMANENT,)  # binding


def test_a_soft_permanent_agreement_may_return_at_a_penalty() -> None:
    scn = _r9([household("H4", "A4", agreement="permanent")], [])
    soft = scenario(
        {
            "stages": [stage()],
            "dwellings": [home("A4")],
            "households": scn.model_dump()["households"],
        },
        policy={"permanent_agreement": "soft"},
    )
    assert rules.schedule(soft).outcomes["H4"] == (rules.Outcome.PERMANENT, rules.Outcome.OWN)
    h = soft.household("H4")
    assert rules.outcome_penalty_ore(soft, h, rules.Outcome.OWN) == 5_000_000
    assert rules.outcome_penalty_ore(soft, h, rules.Outcome.PERMANENT) == 0


# -- moving days ------------------------------------------------------------------------


def _data(n: int, **policy: object) -> dict[str, object]:
    return {
        "policy": policy,
        "stages": [stage()],
        "dwellings": [home(f"A{i}") for i in range(n)],
        "households": [household(f"H{i}", f"A{i}") for i in range(n)],
    }


def test_moves_are_spread_over_working_days_at_the_daily_capacity() -> None:
    scn = scenario(_data(20), policy={"moves_per_day": 8})
    sched = rules.schedule(scn)
    days = Counter(sched.move_out.values())
    # out(S1) is Friday 2025-05-02 (day 121): 8 that day, 8 on Wednesday 30 April
    # (Thursday 1 May is a working day too in the public calendar), 4 before
    assert max(days.values()) == 8
    assert max(days) == 121 and sorted(days) == [119, 120, 121]
    assert all(rules.working_days(scn).is_working(scn.date_of(d)) for d in days)
    # the first dwellings move first (staircase by staircase)
    assert sched.move_out["H0"] <= sched.move_out["H10"] <= sched.move_out["H19"]
    # returns from the ready day on, at the same capacity
    back = Counter(sched.returns.values())
    assert min(back) == 257 and max(back.values()) == 8
    assert sched.returns_end["S1"] == max(back)
    assert sched.block("S1", "S1") == (119, max(back))
    assert sched.offer_period("S1") == (119 - 30, 122)


def test_stages_of_one_department_share_the_moving_company() -> None:
    data = _data(12, moves_per_day=4)
    data["stages"] = [stage(), stage("S2")]
    data["dwellings"] = [home(f"A{i}", stage="S1" if i < 6 else "S2") for i in range(12)]
    together = rules.schedule(scenario(data))
    assert max(Counter(together.move_out.values()).values()) == 4
    data["stages"] = [stage(department="D1"), stage("S2", department="D2")]
    apart = rules.schedule(scenario(data))
    assert max(Counter(apart.move_out.values()).values()) == 8  # 4 per department


def test_a_stage_that_cannot_move_out_in_time_is_refused() -> None:
    data = _data(30, moves_per_day=1)
    data["stages"] = [stage(start="2025-02-10", end="2025-06-01")]
    with pytest.raises(rules.Unschedulable, match="stage S1: its 30 households cannot all move"):
        rules.schedule(scenario(data))
