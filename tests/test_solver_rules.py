"""The solver enforces every rule: paired tests on tiny hand-built scenarios.

For each rule the model enforces there is a case where the rule holds (a
plan is found, the specific decision is asserted and the independent plan
checker accepts the plan with its objective) and a case where it bites
(the scenario becomes INFEASIBLE, or the option the rule forbids is not
taken and a costlier one is).

Unless a test says otherwise, stage S1 has move-out day 121 and return day
257 (a stay of 136 days), households have one adult and a temporary
agreement, dwellings have 2 rooms and a rent of 3,650 DKK a month
(12,000 øre a day); 1,825 DKK a month is 6,000 øre a day. No overcapacity
is required (R10 has its own tests). See ``tests/tiny.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from allocator import rules
from allocator.plan.check import check_plan
from models.plan import HouseholdPlan, Mode, PlaceTimeline, Result, SegmentKind, Status
from models.scenario import Scenario, Source
from tests.tiny import (
    BACK_S1,
    BACK_S2,
    OUT_S1,
    OUT_S2,
    Item,
    after_dwelling,
    case,
    changed,
    day_date,
    home,
    household,
    pavilion_type,
    scenario,
    solve_small,
    stage,
    stage_days,
    two_stage,
    two_stage_data,
    vacant,
)

#: Stage S2 of :func:`tests.tiny.two_stage`: out day 274, back day 379.
S2 = stage("S2", "2025-11-01", "2026-01-01")

#: Price in øre of 136 days (a stay of S1) at 12,000 minus 6,000 øre a day.
DEARER_STAY = 136 * (12_000 - 6_000)

# -- helpers ---------------------------------------------------------------------------


def planned(scn: Scenario, **kwargs: Any) -> Result:
    """Solve to optimality; the plan must pass the checker with the stated objective."""
    result = solve_small(scn, **kwargs)
    assert result.status is Status.OPTIMAL, result.warnings
    assert result.plan is not None
    assert result.objective is not None
    report = check_plan(scn, result.plan, result.objective)
    assert report.ok, report.violations
    assert report.pricing is not None
    assert report.pricing.objective_ore == round(result.objective * 100)
    return result


def infeasible(scn: Scenario, **kwargs: Any) -> Result:
    """Solve; the scenario must be proven infeasible and no plan returned."""
    result = solve_small(scn, **kwargs)
    assert result.status is Status.INFEASIBLE
    assert result.plan is None
    assert result.objective is None
    return result


def of(result: Result, household_id: str) -> HouseholdPlan:
    """The household plan of ``household_id``."""
    assert result.plan is not None
    (hp,) = [hp for hp in result.plan.households if hp.household == household_id]
    return hp


def timelines(result: Result, place: str) -> list[PlaceTimeline]:
    """The timelines of ``place`` (a dwelling has one per availability interval used)."""
    assert result.plan is not None
    return [t for t in result.plan.places if t.place == place]


def spans(scn: Scenario, t: PlaceTimeline) -> list[tuple[str, int, int, str | None]]:
    """A timeline's segments as (kind, start day, end day, household)."""
    return [(s.kind.value, scn.day(s.start), scn.day(s.end), s.household) for s in t.segments]


def objective_ore(result: Result) -> int:
    assert result.objective is not None
    return round(result.objective * 100)


def dkk_month(daily_ore: int) -> float:
    """A monthly rent whose daily price is exactly ``daily_ore`` øre (365 / 12 days a month)."""
    monthly = daily_ore * 365 / 1200
    assert rules.daily_ore(monthly) == daily_ore
    return monthly


# -- R1: one place for the whole window ------------------------------------------------


@pytest.mark.rule("R1", "holds")
def test_r1_the_stay_covers_the_whole_window() -> None:
    scn = case([home("A1"), vacant("O1", day_date(OUT_S1))], [household("H1", "A1")])
    result = planned(scn)
    hp = of(result, "H1")
    assert hp.mode is Mode.TEMPORARY
    assert hp.place == "O1"
    assert (scn.day(hp.move_out), scn.day(hp.return_date or hp.move_out)) == (OUT_S1, BACK_S1)
    (o1,) = timelines(result, "O1")
    assert spans(scn, o1) == [("occupied", OUT_S1, BACK_S1, "H1")]


@pytest.mark.rule("R1", "violated")
@pytest.mark.parametrize(
    "o1",
    [
        vacant("O1", day_date(OUT_S1 + 1)),  # free one day too late
        vacant("O1", day_date(0), "partner", hand_back=day_date(BACK_S1 - 1)),  # back too early
    ],
    ids=["vacant-after-move-out", "handed-back-before-return"],
)
def test_r1_a_household_without_a_place_for_its_whole_window_is_infeasible(o1: Item) -> None:
    result = infeasible(case([home("A1"), o1], [household("H1", "A1")]))
    assert any("household H1" in w for w in result.warnings)


@pytest.mark.rule("R1", "holds")
@pytest.mark.rule("R1", "violated")
def test_r1_a_permanent_dwelling_must_be_free_by_the_move_out_day() -> None:
    hh = [household("H1", "A1", agreement="permanent")]
    result = planned(case([home("A1"), vacant("P1", day_date(OUT_S1))], hh))
    assert of(result, "H1").permanent_dwelling == "P1"
    late = infeasible(case([home("A1"), vacant("P1", day_date(OUT_S1 + 1))], hh))
    assert any("household H1" in w and "permanent" in w for w in late.warnings)


# -- R3, R4: the dates of the notice and the return letter -----------------------------


@pytest.mark.rule("R3", "holds")
@pytest.mark.rule("R4", "holds")
def test_r3_r4_the_plan_dates_the_notice_and_the_return_letter_of_each_stage() -> None:
    # S1 starts 2025-06-01, back(S1) = 2025-09-15; S2 starts 2025-11-01, back(S2) = 2026-01-15
    scn = case(
        [home("A1"), home("B1", stage="S2"), vacant("O1", day_date(OUT_S1))],
        [household("H1", "A1"), household("H2", "B1")],
        stages=[stage(), S2],
    )
    result = planned(scn)
    dates = [
        (hp.notice_date.isoformat(), str(hp.return_date), str(hp.return_letter_date))
        for hp in (of(result, "H1"), of(result, "H2"))
    ]
    # notice 4 months before the start (Saturday 2025-02-01 -> Friday), return
    # letter one month before the return, on working days
    assert dates == [
        ("2025-01-31", "2025-09-15", "2025-08-15"),
        ("2025-07-01", "2026-01-15", "2025-12-15"),
    ]


# -- R2: turnaround between occupants ---------------------------------------------------

# S2 moves out on day 264 = back(S1) + 7: exactly one turnaround after H1 leaves O1.
R2_STAGES = [stage(), stage_days("S2", BACK_S1 + 7, BACK_S2)]


def r2_case(*dwellings: Item, turnaround: int) -> Scenario:
    return case(
        [home("A1"), home("B1", stage="S2"), vacant("O1", day_date(OUT_S1)), *dwellings],
        [household("H1", "A1"), household("H2", "B1")],
        stages=R2_STAGES,
        policy={"turnaround_days": turnaround},
    )


@pytest.mark.rule("R2", "holds")
def test_r2_two_stays_a_turnaround_apart_share_a_dwelling() -> None:
    scn = r2_case(turnaround=7)
    result = planned(scn)
    assert (of(result, "H1").place, of(result, "H2").place) == ("O1", "O1")
    (o1,) = timelines(result, "O1")
    assert spans(scn, o1) == [
        ("occupied", OUT_S1, BACK_S1, "H1"),
        ("held_empty", BACK_S1, BACK_S1 + 7, None),
        ("occupied", BACK_S1 + 7, BACK_S2, "H2"),
    ]


@pytest.mark.rule("R2", "violated")
def test_r2_two_stays_closer_than_the_turnaround_cannot_share_a_dwelling() -> None:
    infeasible(r2_case(turnaround=8))


@pytest.mark.parametrize("strategy", ["lp-guided", "cp-sat"])
def test_r2_with_no_turnaround_stays_may_follow_each_other_on_the_same_day(
    strategy: str,
) -> None:
    # S2 moves out on back(S1): with turnaround_days=0 O1 can house H1 and then H2
    scn = case(
        [home("A1"), home("B1", stage="S2"), vacant("O1", day_date(0))],
        [household("H1", "A1"), household("H2", "B1")],
        stages=[stage(), stage_days("S2", BACK_S1, BACK_S1 + 100)],
        policy={"turnaround_days": 0},
    )
    # (a regression test: extract used to raise ValueError here with cp-sat)
    result = planned(scn, strategy=strategy)
    assert (of(result, "H1").place, of(result, "H2").place) == ("O1", "O1")


@pytest.mark.rule("R2", "holds")
@pytest.mark.rule("R2", "violated")
def test_r2_the_turnaround_forces_a_dearer_second_dwelling() -> None:
    # O2 (13,000 øre a day, free from S2's move-out) is dearer than O1 for H2's stay
    o2 = vacant("O2", day_date(BACK_S1 + 7), monthly_rent=dkk_month(13_000))
    cheap = planned(r2_case(o2, turnaround=7))
    assert (of(cheap, "H1").place, of(cheap, "H2").place) == ("O1", "O1")
    dear = planned(r2_case(o2, turnaround=8))
    assert (of(dear, "H1").place, of(dear, "H2").place) == ("O1", "O2")
    # H2's 115-day stay costs 1,000 øre a day more; O1 is no longer held 7 days
    assert objective_ore(dear) - objective_ore(cheap) == 115 * 1_000 - 7 * 12_000


# -- R5, R6, R7, R15: who may live where ----------------------------------------------

# Each case: the household, the cheap dwelling O1 when the rule forbids it, and O1
# when it allows it. O2 (dearer, 12,000 øre a day) fits every household below.
FIT_CASES = [
    pytest.param({"adults": 3}, {"rooms": 1}, {"rooms": 2}, id="R5-too-few-rooms"),
    pytest.param({"rooms_max": 2}, {"rooms": 3}, {"rooms": 2}, id="R5-above-rooms_max"),
    pytest.param({"wheelchair": True}, {}, {"wheelchair": True}, id="R6-wheelchair"),
    pytest.param({"step_free": True}, {"floor": 2}, {"floor": 2, "elevator": True}, id="R6-step"),
    pytest.param({"max_floor": 1}, {"floor": 3, "elevator": True}, {"floor": 1}, id="R6-floor"),
    pytest.param(
        {"excluded_sources": ["partner"]},
        {"source": "partner"},
        {"source": "own_department"},
        id="R7-excluded-source",
    ),
    pytest.param({}, {"municipality": "Odder"}, {"municipality": "Aarhus"}, id="R7-municipality"),
    pytest.param({}, {"municipal_referral": True}, {}, id="R15-municipal-referral"),
]

#: The rules the fit cases cover, read from their ids.
FIT_RULES = tuple(dict.fromkeys(str(p.id).split("-")[0] for p in FIT_CASES))


def fit_case(needs: Item, cheap: Item | None, dear: bool = True, **overrides: Any) -> Scenario:
    """H1 with ``needs``; O1 cheap (6,000 øre a day) with ``cheap``; O2 dear and fitting."""
    dwellings = [home("A1")]
    if cheap is not None:
        dwellings.append(vacant("O1", day_date(OUT_S1), monthly_rent=1825.0, **cheap))
    if dear:
        dwellings.append(vacant("O2", day_date(OUT_S1), wheelchair=True))
    return case(dwellings, [household("H1", "A1", **needs)], **overrides)


@pytest.mark.rule(*FIT_RULES, "holds")
@pytest.mark.parametrize(("needs", "forbidden", "allowed"), FIT_CASES)
def test_fit_rules_a_fitting_cheap_dwelling_is_used(
    needs: Item, forbidden: Item, allowed: Item
) -> None:
    result = planned(fit_case(needs, allowed))
    assert of(result, "H1").place == "O1"


@pytest.mark.rule(*FIT_RULES, "violated")
@pytest.mark.parametrize(("needs", "forbidden", "allowed"), FIT_CASES)
def test_fit_rules_a_forbidden_cheap_dwelling_is_passed_over_for_a_dearer_one(
    needs: Item, forbidden: Item, allowed: Item
) -> None:
    allowed_result = planned(fit_case(needs, allowed))
    result = planned(fit_case(needs, forbidden))
    assert of(result, "H1").place == "O2"
    assert timelines(result, "O1") == []
    assert objective_ore(result) - objective_ore(allowed_result) == DEARER_STAY


@pytest.mark.rule(*FIT_RULES, "violated")
@pytest.mark.parametrize(("needs", "forbidden", "allowed"), FIT_CASES)
def test_fit_rules_only_a_forbidden_dwelling_makes_the_scenario_infeasible(
    needs: Item, forbidden: Item, allowed: Item
) -> None:
    result = infeasible(fit_case(needs, forbidden, dear=False))
    assert any("household H1" in w for w in result.warnings)


@pytest.mark.rule("R6", "holds")
def test_r6_a_pavilion_module_is_step_free() -> None:
    # only a 2nd-floor walk-up dwelling and a (ground-level) pavilion module
    scn = case(
        [home("A1"), vacant("O1", day_date(OUT_S1), floor=2)],
        [household("H1", "A1", step_free=True)],
        pavilions=[pavilion_type()],
    )
    result = planned(scn)
    assert of(result, "H1").place_source is Source.PAVILION


@pytest.mark.rule("R7", "holds")
@pytest.mark.rule("R7", "violated")
def test_r7_the_municipality_rule_can_be_switched_off() -> None:
    assert of(planned(fit_case({}, {"municipality": "Odder"})), "H1").place == "O2"
    lifted = fit_case({}, {"municipality": "Odder"}, policy={"same_municipality": False})
    assert of(planned(lifted), "H1").place == "O1"


@pytest.mark.rule("R7", "holds")
@pytest.mark.rule("R7", "violated")
def test_r7_temporary_sources_restrict_stays_but_not_moves_for_good() -> None:
    # H1 would stay in the cheap dwelling O1 and H2 (permanent) moves for good
    # to P1: with pavilions only O1 is passed over for the module, P1 still used
    dwellings = [
        home("A1"),
        home("A2"),
        vacant("O1", day_date(OUT_S1), monthly_rent=1825.0),
        vacant("P1", day_date(OUT_S1)),
    ]
    hh = [household("H1", "A1"), household("H2", "A2", agreement="permanent")]
    free = case(dwellings, hh, pavilions=[pavilion_type()])
    assert of(planned(free), "H1").place == "O1"
    only = case(
        dwellings, hh, pavilions=[pavilion_type()], policy={"temporary_sources": ["pavilion"]}
    )
    result = planned(only)
    assert of(result, "H1").place_source is Source.PAVILION
    # O1 and P1 cost the same as H2's new home (a tie): either, but for good
    assert of(result, "H2").permanent_dwelling in ("O1", "P1")
    for place in ("O1", "P1"):
        kinds = {seg.kind for t in timelines(result, place) for seg in t.segments}
        assert kinds <= {SegmentKind.PERMANENT}, place
    none = case(dwellings, hh, policy={"temporary_sources": ["pavilion"]})
    assert any("household H1" in w for w in infeasible(none).warnings)


# -- R8: agreements -------------------------------------------------------------------


def r8_case(agreement: str, temp_rent: float, source: str = "own_organisation") -> Scenario:
    """H1 with ``agreement``; T1 a partner dwelling at ``temp_rent`` (only for a stay),
    P1 a dwelling of ``source`` (12,000 øre a day) in another municipality (only for
    a permanent move, R7)."""
    return case(
        [
            home("A1"),
            vacant("T1", day_date(OUT_S1), "partner", monthly_rent=temp_rent),
            vacant("P1", day_date(OUT_S1), source, municipality="Odder"),
        ],
        [household("H1", "A1", agreement=agreement)],
    )


# One move costs 8,000 + 1,200 DKK = 920,000 øre. With T1 at 365 DKK a month
# (1,200 øre a day):
#   temporary in T1: 2 moves + 136 * 1,200   = 1,840,000 + 163,200   = 2,003,200
#   permanent to P1: 1 move + 136 * 12,000 vacated = 920,000 + 1,632,000 = 2,552,000
# With T1 at 3,650 DKK a month the stay costs 1,840,000 + 1,632,000 = 3,472,000.
# Plus the consultant's 400,000 øre in every case.


@pytest.mark.rule("R8", "holds")
def test_r8_a_temporary_household_returns_even_when_moving_for_good_is_cheaper() -> None:
    scn = r8_case("temporary", temp_rent=3650.0)
    result = planned(scn)
    hp = of(result, "H1")
    assert hp.mode is Mode.TEMPORARY
    assert hp.place == "T1"
    assert hp.after_dwelling is None
    assert scn.day(hp.return_date or hp.move_out) == BACK_S1
    assert objective_ore(result) == 3_472_000 + 400_000
    assert result.plan is not None
    assert result.plan.kpis.moves == 2


@pytest.mark.rule("R8", "holds")
def test_r8_a_permanent_household_moves_for_good_even_when_a_stay_is_cheaper() -> None:
    result = planned(r8_case("permanent", temp_rent=365.0))
    hp = of(result, "H1")
    assert hp.mode is Mode.PERMANENT
    assert hp.permanent_dwelling == "P1"
    assert objective_ore(result) == 2_552_000 + 400_000
    assert result.plan is not None
    assert result.plan.kpis.moves == 1


@pytest.mark.rule("R8", "violated")
@pytest.mark.parametrize("source", ["partner", "own_department"])
def test_r8_a_permanent_dwelling_outside_the_own_organisation_is_never_used(source: str) -> None:
    result = infeasible(r8_case("permanent", temp_rent=365.0, source=source))
    assert any("household H1" in w for w in result.warnings)


def test_r8_a_permanent_move_may_leave_the_municipality() -> None:
    hh = [household("H1", "A1", agreement="permanent")]
    scn = case([home("A1"), vacant("P1", day_date(OUT_S1), municipality="Odder")], hh)
    assert of(planned(scn), "H1").permanent_dwelling == "P1"


@pytest.mark.rule("R8", "holds")
@pytest.mark.parametrize(
    ("temp_rent", "mode", "cost"),
    [(365.0, Mode.TEMPORARY, 2_003_200), (3650.0, Mode.PERMANENT, 2_552_000)],
    ids=["cheap-stay", "dear-stay"],
)
def test_r8_an_undecided_household_gets_the_cheaper_mode(
    temp_rent: float, mode: Mode, cost: int
) -> None:
    result = planned(r8_case("undecided", temp_rent))
    assert of(result, "H1").mode is mode
    assert objective_ore(result) == cost + 400_000


# -- R9: after-renovation dwellings by seniority ---------------------------------------


@pytest.mark.rule("R9", "holds")
def test_r9_the_senior_household_gets_the_contested_dwelling() -> None:
    result = planned(two_stage())
    assert of(result, "H1").after_dwelling == "N1"
    assert of(result, "H2").after_dwelling is None
    assert of(result, "H2").mode is Mode.TEMPORARY
    assert of(result, "H4").mode is Mode.DIRECT
    assert result.plan is not None
    assert result.plan.kpis.moves == 2 + 2 + 1


@pytest.mark.rule("R9", "holds")
def test_r9_seniority_decides_not_the_household_id() -> None:
    # swap the seniority dates: H2 is now the senior one
    data = changed(two_stage_data(), "households", "H1", seniority_date="2010-01-01")
    data = changed(data, "households", "H2", seniority_date="2005-01-01")
    result = planned(scenario(data))
    assert of(result, "H2").after_dwelling == "N1"
    assert of(result, "H1").after_dwelling is None


@pytest.mark.parametrize(("tie_break", "winner"), [("birth_date", "H2"), ("household_id", "H1")])
def test_r9_equal_seniority_is_broken_by_the_documented_rule(tie_break: str, winner: str) -> None:
    # same seniority date; H2's main tenant is older
    data = changed(two_stage_data(), "households", "H1", birth_date="1980-01-01")
    data = changed(data, "households", "H2", seniority_date="2005-01-01", birth_date="1950-01-01")
    result = planned(scenario(data, policy={"overcapacity": 0.0, "tie_break": tie_break}))
    loser = {"H1": "H2", "H2": "H1"}[winner]
    assert of(result, winner).after_dwelling == "N1"
    assert of(result, loser).after_dwelling is None


def contested(senior: str) -> Scenario:
    """H1 (S1) and H2 (S2) both wish N1 of S1 (ready 257, before H2's move-out 274).

    N1 to H2 is cheaper (H2 moves straight in and needs no stay); N1 to H1
    saves nothing (H1 stays away until 257 either way).
    """
    dates = {"H1": "2012-01-01", "H2": "2012-01-01"}
    dates[senior] = "2001-01-01"
    return case(
        [
            home("A1"),
            home("B1", stage="S2"),
            vacant("O1", day_date(OUT_S1)),
            vacant("O2", day_date(OUT_S1)),
        ],
        [
            household("H1", "A1", dates["H1"], wishes=["N1"]),
            household("H2", "B1", dates["H2"], wishes=["N1"]),
        ],
        stages=[stage(), S2],
        after_dwellings=[after_dwelling("N1")],
    )


def test_r9_a_senior_household_wins_even_when_the_junior_would_be_cheaper() -> None:
    junior_wins = planned(contested("H2"))
    assert of(junior_wins, "H2").mode is Mode.DIRECT
    assert of(junior_wins, "H2").after_dwelling == "N1"
    assert of(junior_wins, "H1").after_dwelling is None
    result = planned(contested("H1"))
    assert of(result, "H1").after_dwelling == "N1"
    assert of(result, "H2").mode is Mode.TEMPORARY
    assert of(result, "H2").after_dwelling is None
    assert objective_ore(result) > objective_ore(junior_wins)


def no_waste_case(wishes: tuple[str, ...] = ("N2",), **needs: Any) -> Scenario:
    """H1 of S1 wishes N2 of S2, ready on day 379: a stay 122 days longer than back(S1).

    O1 (3 rooms, wheelchair accessible) fits every H1 below.
    """
    return case(
        [
            home("A1"),
            home("B1", stage="S2"),
            vacant("O1", day_date(OUT_S1), rooms=3, wheelchair=True),
        ],
        [household("H1", "A1", wishes=list(wishes), **needs)],
        stages=[stage(), S2],
        after_dwellings=[after_dwelling("N2", stage="S2")],
    )


@pytest.mark.rule("R9", "holds")
def test_r9_no_waste_an_eligible_wished_dwelling_is_given_although_it_costs_more() -> None:
    scn = no_waste_case()
    result = planned(scn)
    hp = of(result, "H1")
    assert hp.after_dwelling == "N2"
    assert scn.day(hp.return_date or hp.move_out) == BACK_S2
    without_wish = planned(no_waste_case(wishes=()))
    assert of(without_wish, "H1").after_dwelling is None
    # O1 is occupied 379 - 257 = 122 days longer
    assert objective_ore(result) - objective_ore(without_wish) == 122 * 12_000


@pytest.mark.parametrize(
    "needs", [{"adults": 5}, {"wheelchair": True}], ids=["too-small", "not-accessible"]
)
def test_r9_an_ineligible_wish_is_ignored(needs: Item) -> None:
    # 5 persons need 3 rooms and N2 has 2; N2 is not wheelchair accessible
    scn = no_waste_case(**needs)
    result = planned(scn)
    hp = of(result, "H1")
    assert hp.after_dwelling is None
    assert scn.day(hp.return_date or hp.move_out) == BACK_S1


def merged_case(agreement: str = "temporary", wishes: tuple[str, ...] = ()) -> Scenario:
    """A1 merges into N1 (S1): H1 cannot return to A1."""
    return case(
        [home("A1"), vacant("O1", day_date(OUT_S1)), vacant("P1", day_date(OUT_S1))],
        [household("H1", "A1", agreement=agreement, wishes=list(wishes))],
        after_dwellings=[after_dwelling("N1", replaces=["A1"])],
    )


def test_r9_a_merged_away_household_that_wins_the_merged_dwelling_moves_into_it() -> None:
    result = planned(merged_case(wishes=("N1",)))
    hp = of(result, "H1")
    assert (hp.mode, hp.after_dwelling) == (Mode.TEMPORARY, "N1")


def test_r9_a_merged_away_undecided_household_without_a_win_moves_for_good() -> None:
    result = planned(merged_case("undecided"))
    assert of(result, "H1").mode is Mode.PERMANENT


def test_r9_a_merged_away_temporary_household_without_a_win_is_infeasible() -> None:
    result = infeasible(merged_case())
    assert any("H1" in w and "merged away" in w for w in result.warnings)


@pytest.mark.rule("R9", "violated")
def test_r9_a_merged_away_household_outranked_for_its_wish_is_infeasible() -> None:
    scn = merged_case(wishes=("N1",))
    senior = household("H0", "A0", "2000-01-01", wishes=["N1"])
    data = scn.model_dump(mode="json")
    data["dwellings"].append(home("A0"))
    data["households"].append(senior)
    outranked = Scenario.model_validate(data)
    result = infeasible(outranked)
    assert result.plan is None


# -- R10: overcapacity ----------------------------------------------------------------


def r10_case(overcapacity: float, *, spare: bool = True, pavilion: bool = False) -> Scenario:
    """H1 with O1 (free from 121); O2 free from day 90 (a spare: held [90, 91), ready [91, 122))."""
    dwellings = [home("A1"), vacant("O1", day_date(OUT_S1))]
    if spare:
        dwellings.append(vacant("O2", day_date(90)))
    return case(
        dwellings,
        [household("H1", "A1")],
        pavilions=[pavilion_type()] if pavilion else None,
        policy={"overcapacity": overcapacity},
    )


@pytest.mark.rule("R10", "holds")
def test_r10_overcapacity_forces_a_spare_at_its_price() -> None:
    without = planned(r10_case(0.0))
    assert timelines(without, "O2") == []
    scn = r10_case(0.2)
    result = planned(scn)
    assert result.plan is not None
    # a pool of 1 + ceil(0.2) = 2 places: O2 held empty [90, 91), then ready as
    # the spare over S1's offer period [91, 122)
    assert result.plan.kpis.stages[0].pool == 2
    (o2,) = timelines(result, "O2")
    assert spans(scn, o2) == [("held_empty", 90, 91, None), ("spare", 91, 122, None)]
    assert objective_ore(result) - objective_ore(without) == 32 * 12_000


@pytest.mark.rule("R10", "violated")
def test_r10_no_possible_spare_makes_the_scenario_infeasible() -> None:
    planned(r10_case(0.0, spare=False))
    infeasible(r10_case(0.2, spare=False))


# turnaround 0: a regression test (a spare at out(s) could also be lived in from out(s))
@pytest.mark.rule("R10", "violated")
@pytest.mark.parametrize("turnaround", [7, 0])
def test_r10_the_spare_is_not_the_home_of_a_displaced_household(turnaround: int) -> None:
    # one household, one dwelling: a pool of 2 cannot be collected
    scn = case(
        [home("A1"), vacant("O1", day_date(OUT_S1))],
        [household("H1", "A1")],
        policy={"overcapacity": 0.2, "turnaround_days": turnaround},
    )
    infeasible(scn)


# turnaround 0: a regression test (a spare at out(s) could also be lived in from out(s))
@pytest.mark.parametrize("turnaround", [7, 0])
def test_r10_a_dwelling_let_for_good_is_not_a_spare(turnaround: int) -> None:
    # H1 stays in O1, H2 moves for good to P1: no third place can be the spare
    # (with no turnaround a plan once held P1 as a spare and let it to H2 on day 121,
    # and O1 as a spare that H1 moved into on day 121: the checker counts a pool of 2)
    scn = case(
        [
            home("A1"),
            home("A2"),
            vacant("O1", day_date(OUT_S1), "partner"),
            vacant("P1", day_date(OUT_S1)),
        ],
        [household("H1", "A1"), household("H2", "A2", agreement="permanent")],
        policy={"overcapacity": 0.2, "turnaround_days": turnaround},
    )
    infeasible(scn)


def test_r10_a_pavilion_module_completes_the_pool() -> None:
    # no second dwelling: O1, free only from 121, cannot be held over the offer
    # period [91, 122); a module (lead 90 days) in place from 91 and rented
    # [91, 274) can, and joins the pool as the spare while H1 stays in O1.
    scn = r10_case(0.2, spare=False, pavilion=True)
    result = planned(scn)
    assert result.plan is not None
    assert result.plan.kpis.stages[0].pool == 2
    assert of(result, "H1").place == "O1"
    (module,) = [t for t in result.plan.places if t.pavilion_type == "PT"]
    assert spans(scn, module) == [("spare", 91, 122, None)]
    assert (scn.day(module.collected_from), scn.day(module.released)) == (91, 274)
    without = planned(r10_case(0.0, spare=False, pavilion=True))
    assert of(without, "H1").place == "O1"
    # + set-up 10,000 + removal 5,000 DKK + 183 d * 12,000 øre
    assert objective_ore(result) - objective_ore(without) == 1_500_000 + 183 * 12_000


# -- R11: collection, time-limited letting, availability --------------------------------


def r11_case(vacant_from: int = 0, **overrides: Any) -> Scenario:
    return case(
        [home("A1"), vacant("O1", day_date(vacant_from))], [household("H1", "A1")], **overrides
    )


@pytest.mark.rule("R11", "holds")
def test_r11_a_time_limited_lease_is_chosen_when_cheaper() -> None:
    # held empty [0, 121): 1,452,000 øre; let [0, 114) + 7 turnaround days: 500,000 + 84,000
    scn = r11_case()
    result = planned(scn)
    (o1,) = timelines(result, "O1")
    assert spans(scn, o1) == [
        ("time_limited", 0, 114, None),
        ("held_empty", 114, OUT_S1, None),
        ("occupied", OUT_S1, BACK_S1, "H1"),
    ]
    assert result.plan is not None
    assert result.plan.kpis.time_limited_days == 114


@pytest.mark.parametrize(
    ("vacant_from", "overrides"),
    [
        (59, {}),  # a lease [59, 114) would last 55 days, below the 90-day minimum
        (0, {"policy": {"time_limited_min_days": 115}}),
        (0, {"costs": {"time_limited_deposit": 15_000.0}}),  # 1,500,000 + 84,000 > 1,452,000
    ],
    ids=["too-short", "minimum-raised", "deposit-too-dear"],
)
def test_r11_the_dwelling_is_held_empty_when_a_lease_is_impossible_or_dearer(
    vacant_from: int, overrides: dict[str, Any]
) -> None:
    scn = r11_case(vacant_from, **overrides)
    result = planned(scn)
    (o1,) = timelines(result, "O1")
    assert spans(scn, o1) == [
        ("held_empty", vacant_from, OUT_S1, None),
        ("occupied", OUT_S1, BACK_S1, "H1"),
    ]


def hand_back_case(hand_back: int) -> Scenario:
    return case(
        [
            home("A1"),
            vacant(
                "L1",
                day_date(OUT_S1),
                "partner",
                monthly_rent=1825.0,
                hand_back=day_date(hand_back),
            ),
            vacant("O2", day_date(OUT_S1)),
        ],
        [household("H1", "A1")],
    )


@pytest.mark.rule("R11", "holds")
def test_r11_a_borrowed_dwelling_is_used_until_its_hand_back() -> None:
    scn = hand_back_case(BACK_S1)
    result = planned(scn)
    assert of(result, "H1").place == "L1"
    (l1,) = timelines(result, "L1")
    assert scn.day(l1.released) == BACK_S1


@pytest.mark.rule("R11", "violated")
def test_r11_a_borrowed_dwelling_handed_back_before_the_return_is_passed_over() -> None:
    result = planned(hand_back_case(BACK_S1 - 1))
    assert of(result, "H1").place == "O2"
    assert timelines(result, "L1") == []


def department_case(household_stage: str) -> Scenario:
    """V1 is a vacant department dwelling of S1 (vacant from day 0); the only place."""
    home_id = "A1" if household_stage == "S1" else "B1"
    return case(
        [home("A1"), home("B1", stage="S2"), home("V1", vacant_from=day_date(0))],
        [household("H1", home_id)],
        stages=[stage(), S2],
    )


def test_r11_a_vacant_department_dwelling_houses_a_later_stage_after_its_own_works() -> None:
    scn = department_case("S2")
    result = planned(scn)
    assert of(result, "H1").place == "V1"
    (v1,) = timelines(result, "V1")
    assert scn.day(v1.collected_from) == BACK_S1
    assert spans(scn, v1)[-1] == ("occupied", OUT_S2, BACK_S2, "H1")


@pytest.mark.rule("R11", "violated")
def test_r11_a_vacant_department_dwelling_cannot_house_its_own_stage() -> None:
    infeasible(department_case("S1"))


def early_stage_case(**v1: Any) -> Scenario:
    """V1, a vacant department dwelling of S1 (out 121), could house H0 of an earlier
    stage S0 (stay [40, 100)) before its own works; it is the only place."""
    return case(
        [home("A1"), home("B0", stage="S0"), home("V1", vacant_from=day_date(0), **v1)],
        [household("H0", "B0")],
        stages=[stage(), stage_days("S0", 40, 100)],
    )


def test_r11_a_vacant_department_dwelling_houses_an_earlier_stage_before_its_works() -> None:
    scn = early_stage_case()
    result = planned(scn)
    assert of(result, "H0").place == "V1"


@pytest.mark.rule("R11", "violated")
def test_r11_a_department_dwelling_is_not_used_after_its_hand_back() -> None:
    # a regression test: hand_back was ignored before a department dwelling's own works
    infeasible(early_stage_case(hand_back=day_date(30)))


# -- R12: pavilions -------------------------------------------------------------------


def pavilion_case(n_households: int = 1, **ptype: Any) -> Scenario:
    """Households of S1 in wheelchairs; O1 is not accessible, module type PT may be."""
    return case(
        [home("A1"), home("A2"), vacant("O1", day_date(OUT_S1))],
        [household(f"H{i}", f"A{i}", wheelchair=True) for i in range(1, n_households + 1)],
        pavilions=[pavilion_type(**{"wheelchair": True, **ptype})],
    )


@pytest.mark.rule("R12", "holds")
def test_r12_a_pavilion_module_is_used_when_no_dwelling_fits() -> None:
    scn = pavilion_case()
    result = planned(scn)
    hp = of(result, "H1")
    assert hp.place_source is Source.PAVILION
    (module,) = timelines(result, hp.place or "")
    assert module.pavilion_type == "PT"
    # in place for S1's offer period and rented for the 6-month minimum [91, 274)
    assert (scn.day(module.collected_from), scn.day(module.released)) == (91, 274)
    assert timelines(result, "O1") == []


def test_r12_a_module_that_does_not_fit_is_not_used() -> None:
    infeasible(pavilion_case(wheelchair=False))


@pytest.mark.rule("R12", "holds")
@pytest.mark.rule("R12", "violated")
def test_r12_max_count_modules_at_once() -> None:
    result = planned(pavilion_case(2, max_count=2))
    assert result.plan is not None
    assert result.plan.kpis.pavilion_modules == 2
    infeasible(pavilion_case(2, max_count=1))


@pytest.mark.rule("R12", "holds")
@pytest.mark.rule("R12", "violated")
@pytest.mark.parametrize(("lead_days", "ok"), [(OUT_S1, True), (OUT_S1 + 1, False)])
def test_r12_a_module_needs_its_lead_time(lead_days: int, ok: bool) -> None:
    scn = pavilion_case(lead_days=lead_days)
    if ok:
        assert of(planned(scn), "H1").place_source is Source.PAVILION
    else:
        infeasible(scn)


@pytest.mark.rule("R12", "holds")
def test_r12_the_minimum_rental_is_paid_beyond_the_stay() -> None:
    short = planned(pavilion_case(min_months=0))
    scn = pavilion_case(min_months=6)
    result = planned(scn)
    assert result.plan is not None and short.plan is not None
    (module,) = result.plan.places
    assert scn.day(module.released) == 91 + 183
    (short_module,) = short.plan.places
    assert scn.day(short_module.released) == BACK_S1
    # rented from 91 either way: 274 - 257 = 17 more days at 12,000 øre
    assert objective_ore(result) - objective_ore(short) == 17 * 12_000


def test_r12_one_module_serves_two_stages_in_turn() -> None:
    # H1 (S1) and H2 (S2) in wheelchairs; one module serves [121, 257) then [274, 379)
    scn = case(
        [home("A1"), home("B1", stage="S2")],
        [household("H1", "A1", wheelchair=True), household("H2", "B1", wheelchair=True)],
        stages=[stage(), S2],
        pavilions=[pavilion_type(wheelchair=True)],
    )
    result = planned(scn)
    assert of(result, "H1").place == of(result, "H2").place
    assert result.plan is not None
    assert result.plan.kpis.pavilion_modules == 1


# -- R14, R13: homes vacated by permanent movers ---------------------------------------


def reuse_case(agreement: str) -> Scenario:
    """H1 (S1) with ``agreement``; H2 (S2, out 274) has no place but H1's renovated A1.

    P1 (own organisation, in another municipality) can take H1 for good but
    house no one temporarily (R7); T1 (partner, cheap) can house H1 for its
    stay only.
    """
    return case(
        [
            home("A1"),
            home("B1", stage="S2"),
            vacant("P1", day_date(OUT_S1), municipality="Odder"),
            vacant("T1", day_date(OUT_S1), "partner", monthly_rent=365.0, hand_back=day_date(260)),
        ],
        [household("H1", "A1", agreement=agreement), household("H2", "B1")],
        stages=[stage(), S2],
    )


@pytest.mark.rule("R11", "holds")
@pytest.mark.rule("R13", "holds")
@pytest.mark.rule("R14", "holds")
def test_r14_a_permanent_movers_home_is_reused_after_its_renovation() -> None:
    scn = reuse_case("permanent")
    result = planned(scn)
    assert of(result, "H1").permanent_dwelling == "P1"
    assert of(result, "H2").place == "A1"
    (a1,) = timelines(result, "A1")
    assert scn.day(a1.collected_from) == BACK_S1
    assert spans(scn, a1) == [
        ("held_empty", BACK_S1, OUT_S2, None),
        ("occupied", OUT_S2, BACK_S2, "H2"),
    ]
    assert result.plan is not None
    assert result.plan.kpis.moves == 1 + 2  # R13


@pytest.mark.rule("R11", "violated")
def test_r14_a_returning_households_home_is_not_a_rehousing_place() -> None:
    result = infeasible(reuse_case("temporary"))
    assert any("household H2" in w for w in result.warnings)


def test_r14_an_undecided_household_moves_for_good_to_free_its_home() -> None:
    # alone, H1 would rather stay in cheap T1 (see the R8 tests); H2 needs A1
    result = planned(reuse_case("undecided"))
    assert of(result, "H1").mode is Mode.PERMANENT
    assert of(result, "H2").place == "A1"


# -- R15: municipal referral (also in the fit-rule cases above) ----------------------


@pytest.mark.rule("R15", "holds")
@pytest.mark.rule("R15", "violated")
def test_r15_a_municipal_referral_dwelling_is_never_a_permanent_dwelling() -> None:
    hh = [household("H1", "A1", agreement="permanent")]
    planned(case([home("A1"), vacant("P1", day_date(OUT_S1))], hh))
    infeasible(case([home("A1"), vacant("P1", day_date(OUT_S1), municipal_referral=True)], hh))
