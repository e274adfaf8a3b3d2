"""Pricing of hand-made plans, checked against figures worked out by hand.

Prices per docs/MODEL.md. Daily rents: 3,650 DKK a month is 3650 * 12 / 365
= 120 DKK = 12,000 øre a day; 7,300 DKK is 24,000 øre; 1,825 DKK is 6,000 øre.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator import rules
from allocator.plan.check import check_plan
from allocator.plan.pricing import UnpriceablePlan, build_plan, price_plan
from models.plan import CostCategory as C
from models.plan import Kpis, StageCost, StageKpi
from tests.tiny import (
    BACK_S1,
    OUT_S1,
    after_dwelling,
    home,
    household,
    scenario,
    seg,
    stage,
    temporary,
    timeline,
    tiny,
    tiny_data,
    tiny_parts,
    tiny_plan,
    two_stage,
    two_stage_data,
    two_stage_parts,
    two_stage_plan,
    vacant,
)
from tests.tiny import (
    day_date as tiny_day,
)


def ore_by_category(costs: list[StageCost], stage_id: str) -> dict[C, int]:
    """Non-zero øre per category of one stage's row (amounts are DKK with two decimals)."""
    row = next(c for c in costs if c.stage == stage_id)
    return {c: round(v * 100) for c, v in row.by_category.items() if v}


def test_tiny_calendar_matches_the_hand_arithmetic() -> None:
    scn = tiny()
    s1 = scn.stages[0]
    assert rules.move_out_day(scn, s1) == OUT_S1 == 121
    assert rules.back_day(scn, s1) == BACK_S1 == 257
    assert rules.daily_ore(3650) == 12_000
    assert rules.daily_ore(7300) == 24_000
    assert rules.months_to_days(6) == 183


@pytest.mark.rule("R13", "holds")
@pytest.mark.rule("R14", "holds")
def test_tiny_plan_costs_exactly_what_was_worked_out_by_hand() -> None:
    scn = tiny()
    pricing = price_plan(scn, *tiny_parts(scn))
    expected = {
        # O1 held empty [114, 121) = 7 d and O3 [90, 91) = 1 d: 8 d * 12,000
        C.RENT_LOSS_EMPTY: 8 * 12_000,  # 96,000
        # O3 held ready as the spare over the offer period [91, 122): 31 d
        C.RENT_LOSS_SPARE: 31 * 12_000,  # 372,000
        # O1 occupied by H1 [121, 257) = 136 d * 12,000
        C.RENT_LOSS_OCCUPIED: 136 * 12_000,  # 1,632,000
        # H2 permanent: A2 lost from out 121 to back 257 = 136 d * 12,000
        C.RENT_LOSS_VACATED: 136 * 12_000,  # 1,632,000
        # half the own rent for 136 d: H1 24,000/2 + H3 12,000/2 a day
        C.RENT_REDUCTION: 136 * 12_000 + 136 * 6_000,  # 2,448,000
        # PT-1, in place for the offer period: 10,000 DKK set-up, 183 rental
        # days [91, 274) * 12,000 øre, 5,000 DKK removal
        C.PAVILION_SETUP: 1_000_000,
        C.PAVILION_RENT: 183 * 12_000,  # 2,196,000
        C.PAVILION_REMOVAL: 500_000,
        # H1 2 moves * 10,000 DKK (3 rooms), H2 1 * 8,000, H3 2 * 8,000 (2 rooms)
        C.MOVING: 2 * 1_000_000 + 800_000 + 2 * 800_000,  # 4,400,000
        # H3 is elderly: 2 moves * 2,500 DKK
        C.EXTRA_HELP: 2 * 250_000,  # 500,000
        # 5 moves * 1,200 DKK
        C.TRANSFERS: 5 * 120_000,  # 600,000
        # H1 stores goods: ceil(136 * 12 / 365) = 5 started months * 600 DKK
        C.STORAGE: 5 * 60_000,  # 300,000
        # O1 let time-limited [0, 114): one deposit of 5,000 DKK
        C.TIME_LIMITED_DEPOSITS: 500_000,
        # 3 households * 4,000 DKK
        C.CONSULTANT: 3 * 400_000,  # 1,200,000
    }
    assert ore_by_category(pricing.costs, "S1") == expected
    assert ore_by_category(pricing.costs, "total") == expected
    # 96,000 + 372,000 + 1,632,000 + 1,632,000 + 2,448,000 + 3,696,000
    # + 4,400,000 + 500,000 + 600,000 + 300,000 + 500,000 + 1,200,000 = 17,376,000 øre
    assert pricing.total_ore == 17_376_000
    assert [c.stage for c in pricing.costs] == ["S1", "total"]
    assert pricing.costs[-1].total == 173_760.00
    # H1 wished 3 rooms, got 2: 3,000 DKK; H3 prefers own organisation, got a
    # pavilion: 2,000 DKK
    assert pricing.penalties_ore == 500_000
    assert pricing.penalties == 5_000.00
    assert pricing.objective_ore == 17_876_000


@pytest.mark.rule("R13", "holds")
@pytest.mark.rule("R16", "holds")
def test_tiny_plan_kpis() -> None:
    scn = tiny()
    assert price_plan(scn, *tiny_parts(scn)).kpis == Kpis(
        rent_loss=37_320.00,  # (96,000 + 372,000 + 1,632,000 + 1,632,000) øre
        vacancy_days=8,
        occupied_days=136,  # dwellings only: the pavilion stay is not counted
        withheld_days=8 + 136 + 31,
        time_limited_days=114,
        spare_days=31,
        moves=5,
        households_by_mode={"temporary": 2, "direct": 0, "permanent": 1},
        households_by_source={
            "own_department": 0,
            "own_organisation": 1,
            "partner": 0,
            "pavilion": 1,
            "direct": 0,
            "permanent": 1,
        },
        pavilion_modules=1,
        stages=[
            StageKpi(
                stage="S1",
                households=3,
                displaced=2,
                spares=1,  # O3
                pool=3,  # H1 and H3, and the spare O3
                overcapacity=0.5,
                notice_date=scn.date_of(30),  # Friday 2025-01-31: 2025-02-01 is a Saturday
                notice_in_past=False,
            )
        ],
    )


def test_two_stage_plan_costs_direct_and_after_moves_by_stage() -> None:
    scn = two_stage()
    pricing = price_plan(scn, *two_stage_parts(scn))
    # S1: H1 and H2 stay [121, 257) in O1 and O2, 2 moves each. H1 moves
    # into N1 on its ready day 257 = back(S1): no vacated rent.
    assert ore_by_category(pricing.costs, "S1") == {
        C.RENT_LOSS_OCCUPIED: 2 * 136 * 12_000,  # 3,264,000
        C.MOVING: 4 * 800_000,  # 3,200,000
        C.TRANSFERS: 4 * 120_000,  # 480,000
        C.CONSULTANT: 2 * 400_000,  # 800,000
    }
    # S2: H4 moves directly on out(S2) = 274 into N2 (ready 257). Its own B1
    # is lost until back(S2) = 379: 105 d * 12,000 = 1,260,000; N2 stood
    # ready [257, 274): 17 d * 6,000 = 102,000.
    assert ore_by_category(pricing.costs, "S2") == {
        C.RENT_LOSS_VACATED: 1_260_000 + 102_000,
        C.MOVING: 800_000,
        C.TRANSFERS: 120_000,
        C.CONSULTANT: 400_000,
    }
    # 7,744,000 + 2,682,000
    assert pricing.total_ore == 10_426_000
    assert pricing.penalties_ore == 0
    s2 = pricing.kpis.stages[1]
    assert (s2.displaced, s2.pool, s2.overcapacity) == (0, 0, None)
    assert pricing.kpis.households_by_source["direct"] == 1


def test_temporary_mover_into_an_earlier_ready_after_dwelling_pays_vacated_rent() -> None:
    # S2 [2025-08-01, 2026-03-01): out day 212 - 30 = 182, back 424 + 14 = 438.
    # N1 of S1 [2025-06-01, 2025-12-01) is ready on day 334 + 14 = 348 > 182,
    # so H5 stays in O1 [182, 348) and then moves into N1; its own A5 is
    # lost from 348 until back(S2) = 438. Inspections and cleaning at the
    # default prices: A5 at move-out, O1 at move-in and move-out (3 * 1,000
    # DKK), and O1 cleaned after the stay (3,500 DKK).
    scn = scenario(
        {
            "policy": {"overcapacity": 0.0},
            "stages": [
                stage("S1", "2025-06-01", "2025-12-01"),
                stage("S2", "2025-08-01", "2026-03-01"),
            ],
            "dwellings": [home("A5", stage="S2"), vacant("O1", "2025-01-01")],
            "households": [household("H5", "A5", wishes=["N1"])],
            "after_dwellings": [after_dwelling("N1")],
        }
    )
    hp = temporary(scn, "H5", "O1", after="N1")
    place = timeline(
        scn, "O1", [seg(scn, "held_empty", 0, 182), seg(scn, "occupied", 182, 348, "H5", "S2")]
    )
    pricing = price_plan(scn, [hp], [place])
    assert ore_by_category(pricing.costs, "S2") == {
        C.RENT_LOSS_EMPTY: 182 * 12_000,
        C.RENT_LOSS_OCCUPIED: 166 * 12_000,
        C.RENT_LOSS_VACATED: 90 * 12_000,
        C.MOVING: 2 * 800_000,
        C.TRANSFERS: 2 * 120_000,
        C.CLEANING_INSPECTION: 3 * 100_000 + 350_000,
        C.CONSULTANT: 400_000,
    }
    assert check_plan(scn, build_plan(scn, [hp], [place])).violations == []


def test_a_gap_is_charged_to_the_stage_of_the_next_use() -> None:
    # S2 works [2025-12-01, 2026-01-01): its households must be out by day 304,
    # a Saturday, so they move out on Friday 2025-10-31 (day 303); its offer
    # period is [273, 304). O1 serves H1 (S1) [121, 257), is held empty
    # [257, 273) and then held as S2's spare over [273, 304) for H5's need
    # group: the 16 empty days go to S2.
    data = two_stage_data()
    data["stages"][1] = stage("S2", "2025-12-01", "2026-01-01")
    data["dwellings"] += [home("B2", stage="S2"), vacant("O3", tiny_day(303))]
    data["households"] += [household("H5", "B2")]
    scn = scenario(data)
    households, places = two_stage_parts(scn)
    o1 = places[0].model_copy(
        update={
            "segments": [
                *places[0].segments,
                seg(scn, "held_empty", BACK_S1, 273),
                seg(scn, "spare", 273, 304, stage="S2", need="1/none"),
            ],
            "released": scn.date_of(304),
        }
    )
    h5 = temporary(scn, "H5", "O3")
    o3 = timeline(scn, "O3", [seg(scn, "occupied", 303, 379, household="H5", stage="S2")])
    plan_households, plan_places = [*households, h5], [o1, places[1], o3]
    pricing = price_plan(scn, plan_households, plan_places)
    assert ore_by_category(pricing.costs, "S2")[C.RENT_LOSS_EMPTY] == 16 * 12_000
    assert ore_by_category(pricing.costs, "S2")[C.RENT_LOSS_SPARE] == 31 * 12_000
    assert C.RENT_LOSS_EMPTY not in ore_by_category(pricing.costs, "S1")
    assert (pricing.kpis.stages[1].spares, pricing.kpis.stages[1].pool) == (1, 2)
    plan = build_plan(scn, plan_households, plan_places)
    assert check_plan(scn, plan).violations == []


@pytest.mark.parametrize(
    ("min_months", "released", "rental_days"),
    [
        (6, 274, 183),  # the minimum rental [91, 274) outlasts the stay
        (0, BACK_S1, 166),  # no minimum: rented from the offer period to the return
    ],
)
def test_pavilion_rental_is_the_longer_of_stay_and_minimum(
    min_months: int, released: int, rental_days: int
) -> None:
    data = tiny_data()
    data["pavilions"] = [{**data["pavilions"][0], "min_months": min_months}]
    scn = scenario(data)
    households, places = tiny_parts(scn)
    module = places[3].model_copy(update={"released": scn.date_of(released)})
    pricing = price_plan(scn, households, [*places[:3], module])
    costs = ore_by_category(pricing.costs, "S1")
    assert costs[C.PAVILION_SETUP] == 1_000_000
    assert costs[C.PAVILION_RENT] == rental_days * 12_000
    assert costs[C.PAVILION_REMOVAL] == 500_000
    assert check_plan(scn, build_plan(scn, households, [*places[:3], module])).violations == []


def test_build_plan_carries_the_pricing() -> None:
    scn = tiny()
    plan = tiny_plan(scn)
    pricing = price_plan(scn, plan.households, plan.places)
    assert plan.costs == pricing.costs
    assert plan.penalties == pricing.penalties
    assert plan.kpis == pricing.kpis


def test_a_plan_naming_an_unknown_place_cannot_be_priced() -> None:
    scn = tiny()
    households, places = tiny_parts(scn)
    households[0] = households[0].model_copy(update={"place": "Z9"})
    with pytest.raises(UnpriceablePlan, match="Z9"):
        price_plan(scn, households, places)


def test_two_stage_plan_is_priced_by_build_plan() -> None:
    plan = two_stage_plan()
    assert plan.costs[-1].total == 104_260.00


@pytest.mark.parametrize("module", ["plan/pricing.py", "plan/check.py"])
def test_pricing_and_checking_do_not_use_cp_sat(module: str) -> None:
    source = (Path(__file__).parents[1] / "allocator" / module).read_text()
    assert "ortools" not in source


def test_a_module_serving_two_stages_is_shared_by_the_days_each_used_it() -> None:
    # the module of tiny_plan, rented [91, 274), also houses a household of
    # S2 for 75 days: set-up, rent and removal split 136 : 75, in whole øre
    data = tiny_data()
    data["stages"].append(stage("S2", "2025-11-01", "2026-01-01"))
    scn = scenario(data)
    households, places = tiny_parts(scn)
    module = places[3].model_copy(
        update={
            "segments": [*places[3].segments, seg(scn, "occupied", 300, 375, "H3", "S2")],
            "released": scn.date_of(375),
        }
    )
    pricing = price_plan(scn, households, [*places[:3], module])
    s1, s2 = ore_by_category(pricing.costs, "S1"), ore_by_category(pricing.costs, "S2")
    rent = (375 - 91) * 12_000
    for category, amount in [
        (C.PAVILION_SETUP, 1_000_000),
        (C.PAVILION_RENT, rent),
        (C.PAVILION_REMOVAL, 500_000),
    ]:
        assert s1[category] + s2[category] == amount
        assert abs(s1[category] - amount * 136 / 211) < 1
