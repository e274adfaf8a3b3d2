"""Property tests: on random small scenarios the solver's plans are valid and exact.

A hypothesis strategy draws small valid scenarios (1-2 stages, 1-6
households, a few dwellings of mixed sources, an optional pavilion type,
optional after-renovation dwellings and wishes, random needs and
agreements). For each one:

- :func:`allocator.solve` never raises;
- a returned plan passes the plan checker, whose recomputed cost plus
  penalties equals the stated objective to the øre, and the bound is no
  larger than the objective;
- an INFEASIBLE result carries no plan;
- the MILP peer (HiGHS on the very same model) and the plain CP-SAT
  strategy reach the same optimum when they prove one, and agree about
  infeasibility.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.bound.milp import solve_proto
from allocator.cpsat.instance import build_instance
from allocator.cpsat.model import RehousingModel
from allocator.plan.check import check_plan
from models.plan import Result, Status
from models.scenario import Scenario
from tests.tiny import PLANNING_DATE, Item, solve_small

PLANNED = date.fromisoformat(PLANNING_DATE)
RENTS = [1825.0, 3650.0, 4015.5, 5475.0, 7300.0, 2999.99]
SOURCES = ["own_department", "own_organisation", "partner", "pavilion"]
SENIORITY = ["1990-05-01", "2005-01-01", "2005-01-01", "2012-08-15", "2020-02-29"]


def _date(day: int) -> str:
    return (PLANNED + timedelta(days=day)).isoformat()


def sometimes(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n + 1`` draws; False for the simplest example (it shrinks there)."""
    return draw(st.integers(0, n)) == n


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A small valid scenario (see the module docstring)."""
    n_stages = draw(st.integers(1, 2))
    clearing = draw(st.sampled_from([30, 30, 0, 45]))
    ready = draw(st.sampled_from([14, 14, 0]))
    stages: list[Item] = []
    outs: dict[str, int] = {}
    special: list[int] = []  # days where rules meet: move-out, return, turnaround apart
    back = 0
    for i in range(n_stages):
        if i and draw(st.booleans()):  # the next stage starts near the previous return day
            out = max(40, back + draw(st.sampled_from([-60, -7, 0, 7, 14, 104])))
        else:
            out = draw(st.integers(40, 420))
        works = draw(st.integers(20, 200))
        back = out + clearing + works + ready
        stages.append(
            {"id": f"S{i + 1}", "start": _date(out + clearing), "end": _date(back - ready)}
        )
        special += [out, back, out - 7, back + 7, out - 97, out + 1]
        outs[f"S{i + 1}"] = out
    stage_ids = [s["id"] for s in stages]
    some_day = st.one_of(st.integers(-30, 450), st.sampled_from(special))

    dwellings: list[Item] = []
    households: list[Item] = []
    n_households = draw(st.integers(1, 6))
    for i in range(n_households):
        rooms = draw(st.integers(1, 4))
        dwellings.append(
            {
                "id": f"A{i + 1}",
                "source": "own_department",
                "stage": draw(st.sampled_from(stage_ids)),
                "rooms": rooms,
                "area_m2": 25.0 * rooms,
                "monthly_rent": draw(st.sampled_from(RENTS)),
            }
        )

    n_vacant = draw(st.integers(1, 6))
    for i in range(n_vacant):
        source = draw(st.sampled_from(SOURCES[:3]))
        rooms = draw(st.integers(1, 4))
        vacant_from = draw(some_day)
        d: Item = {
            "id": f"V{i + 1}",
            "source": source,
            "rooms": rooms,
            "area_m2": 25.0 * rooms,
            "floor": draw(st.integers(-1, 4)),
            "elevator": draw(st.booleans()),
            "wheelchair": draw(st.booleans()),
            "monthly_rent": draw(st.sampled_from(RENTS)),
            "vacant_from": _date(vacant_from),
            "municipal_referral": sometimes(draw, 9),
            "municipality": draw(st.sampled_from([None, None, "Aarhus", "Odder"])),
        }
        if source == "own_department" and draw(st.booleans()):
            d["stage"] = draw(st.sampled_from(stage_ids))
        if source != "own_department" and sometimes(draw, 3):
            hand_back = draw(st.one_of(st.integers(1, 500), st.sampled_from(special)))
            d["hand_back"] = _date(max(vacant_from + 1, hand_back))
        dwellings.append(d)

    homes_by_stage: dict[str, list[str]] = {s: [] for s in stage_ids}
    for d in dwellings:
        if d.get("stage") is not None:
            homes_by_stage[d["stage"]].append(d["id"])

    after: list[Item] = []
    replaced: set[str] = set()
    for i in range(draw(st.integers(0, 3))):
        stage_id = draw(st.sampled_from(stage_ids))
        candidates = [r for r in homes_by_stage[stage_id] if r not in replaced]
        replaces = (
            draw(st.lists(st.sampled_from(candidates), max_size=2, unique=True))
            if (candidates and sometimes(draw, 2))
            else []
        )
        replaced.update(replaces)
        rooms = draw(st.integers(1, 4))
        after.append(
            {
                "id": f"N{i + 1}",
                "stage": stage_id,
                "rooms": rooms,
                "area_m2": 25.0 * rooms,
                "floor": draw(st.integers(0, 3)),
                "elevator": draw(st.booleans()),
                "wheelchair": draw(st.booleans()),
                "monthly_rent": draw(st.sampled_from(RENTS)),
                "replaces": replaces,
            }
        )
    after_ids = [a["id"] for a in after]

    persons_per_room = draw(st.sampled_from([2, 2, 1]))
    for i in range(n_households):
        adults = draw(st.integers(1, 3))
        children = draw(st.integers(0, 2))
        min_rooms = max(1, -(-(adults + children) // persons_per_room))
        h: Item = {
            "id": f"H{i + 1}",
            "dwelling": f"A{i + 1}",
            "adults": adults,
            "children": children,
            "seniority_date": draw(st.sampled_from(SENIORITY)),
            "agreement": draw(
                st.sampled_from(["temporary", "temporary", "permanent", "undecided"])
            ),
            "wheelchair": sometimes(draw, 5),
            "step_free": sometimes(draw, 3),
            "elderly": draw(st.booleans()),
            "self_move": draw(st.booleans()),
            "storage": draw(st.booleans()),
            "wishes": draw(st.lists(st.sampled_from(after_ids), max_size=2, unique=True))
            if after_ids
            else [],
        }
        if sometimes(draw, 3):
            h["birth_date"] = draw(st.sampled_from(["1950-01-01", "1970-06-30", "1990-12-31"]))
        if sometimes(draw, 4):
            h["max_floor"] = draw(st.integers(0, 3))
        if sometimes(draw, 3):
            h["rooms_max"] = min_rooms + draw(st.integers(0, 2))
        if sometimes(draw, 3):
            h["rooms_min"] = min(min_rooms + draw(st.integers(0, 1)), h.get("rooms_max", 9))
        if sometimes(draw, 3):
            h["excluded_sources"] = draw(
                st.lists(st.sampled_from(SOURCES), max_size=2, unique=True)
            )
        if sometimes(draw, 3):
            allowed = [s for s in SOURCES if s not in h.get("excluded_sources", [])]
            h["preferred_sources"] = draw(
                st.lists(st.sampled_from(allowed), max_size=2, unique=True)
            )
        households.append(h)
        if not sometimes(draw, 3):
            # usually a dwelling that fits this household, for a stay or for good, from
            # some day before it must move out (most scenarios are then feasible)
            stage_of_home = dwellings[i]["stage"]
            dwellings.append(
                {
                    "id": f"F{i + 1}",
                    "source": "own_organisation",
                    "rooms": min_rooms,
                    "area_m2": 25.0 * min_rooms,
                    "wheelchair": True,
                    "monthly_rent": draw(st.sampled_from(RENTS)),
                    "vacant_from": _date(draw(st.integers(-30, outs[stage_of_home]))),
                }
            )

    pavilions: list[Item] = []
    for i in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        pavilions.append(
            {
                "id": f"PT{i + 1}",
                "rooms": draw(st.sampled_from([2, 3, 1, 4])),
                "wheelchair": draw(st.booleans()),
                "max_count": draw(st.sampled_from([2, 1, 3, 0])),
                "setup_cost": draw(st.sampled_from([0.0, 10_000.0, 25_000.0])),
                "removal_cost": draw(st.sampled_from([0.0, 5_000.0])),
                "monthly_rent": draw(st.sampled_from(RENTS)),
                "min_months": draw(st.integers(0, 8)),
                "lead_days": max(0, draw(st.one_of(st.integers(0, 200), st.sampled_from(special)))),
            }
        )

    turnaround = draw(st.sampled_from([0, 1, 7, 14]))
    overcapacity = draw(st.sampled_from([0.0, 0.0, 0.0, 0.2, 0.4]))
    data: dict[str, Any] = {
        "name": "random",
        "municipality": draw(st.sampled_from([None, "Aarhus"])),
        "policy": {
            "clearing_days": clearing,
            "ready_days": ready,
            "planning_date": PLANNING_DATE,
            "turnaround_days": turnaround,
            "overcapacity": overcapacity,
            "time_limited_min_days": draw(st.sampled_from([0, 30, 90])),
            "same_municipality": draw(st.booleans()),
            "persons_per_room": persons_per_room,
            "tie_break": draw(st.sampled_from(["birth_date", "household_id"])),
        },
        "costs": {
            "rent_reduction": draw(st.sampled_from([0.0, 0.0, 0.25, 0.5])),
            "time_limited_deposit": draw(st.sampled_from([0.0, 5000.0, 20_000.0])),
        },
        "stages": stages,
        "dwellings": dwellings,
        "households": households,
        "after_dwellings": after,
        "pavilions": pavilions,
    }
    return Scenario.model_validate(data)


def assert_sound(scn: Scenario, result: Result) -> None:
    """A result's plan (if any) is valid and its objective is exactly its price."""
    if result.status is Status.INFEASIBLE:
        assert result.plan is None
        assert result.objective is None
    if result.plan is None:
        return
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.objective is not None
    report = check_plan(scn, result.plan, result.objective)
    assert report.violations == []
    assert report.pricing is not None
    assert report.pricing.objective_ore == round(result.objective * 100)
    assert result.bound is not None
    assert result.bound <= result.objective + 0.005
    if result.status is Status.OPTIMAL:  # solved with gap_limit=0: proven to the øre
        assert result.bound == result.objective
        assert result.gap == 0.0


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_random_scenarios_give_valid_exact_plans(scn: Scenario) -> None:
    result = solve_small(scn, time_limit=5.0)
    assert_sound(scn, result)

    # the plain CP-SAT strategy proves the same optimum (or the same infeasibility)
    plain = solve_small(scn, time_limit=5.0, strategy="cp-sat")
    assert_sound(scn, plain)
    if Status.OPTIMAL in (result.status, plain.status):
        assert Status.INFEASIBLE not in (result.status, plain.status)
    if result.status is plain.status is Status.OPTIMAL:
        assert result.objective == plain.objective

    # the MILP peer on the same model
    milp = solve_proto(RehousingModel(build_instance(scn)).model.proto, time_limit=5.0)
    if result.status is Status.OPTIMAL:
        assert milp.status != "INFEASIBLE"
    if result.status is Status.INFEASIBLE:
        assert milp.status not in ("OPTIMAL", "FEASIBLE")
    if result.status is Status.OPTIMAL and milp.status == "OPTIMAL":
        assert milp.objective is not None and result.objective is not None
        assert round(milp.objective) == round(result.objective * 100)


def test_the_strategy_draws_scenarios_of_every_shape_and_outcome() -> None:
    # the property above is not vacuous: the same derandomized examples reach every
    # feature, and plans as well as infeasible scenarios
    seen: Counter[str] = Counter()

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(scenarios())
    def look(scn: Scenario) -> None:
        seen["two stages"] += len(scn.stages) == 2
        seen["pavilion"] += bool(scn.pavilions)
        seen["wishes"] += any(h.wishes for h in scn.households)
        seen["merged"] += bool(scn.removed_dwellings())
        seen["undecided"] += any(h.agreement.value == "undecided" for h in scn.households)
        seen["permanent"] += any(h.agreement.value == "permanent" for h in scn.households)
        seen["overcapacity"] += scn.policy.overcapacity > 0
        seen["no turnaround"] += scn.policy.turnaround_days == 0
        result = solve_small(scn, time_limit=5.0)
        seen[result.status.value] += 1
        if result.plan is not None:
            seen["time-limited lease"] += result.plan.kpis.time_limited_days > 0
            seen["module rented"] += result.plan.kpis.pavilion_modules > 0
            seen["after-renovation dwelling"] += any(
                hp.after_dwelling for hp in result.plan.households
            )

    look()
    wanted = [
        "two stages",
        "pavilion",
        "wishes",
        "merged",
        "undecided",
        "permanent",
        "overcapacity",
        "no turnaround",
        "OPTIMAL",
        "INFEASIBLE",
        "time-limited lease",
        "module rented",
        "after-renovation dwelling",
    ]
    assert all(seen[k] for k in wanted), seen
    assert seen["OPTIMAL"] >= 10, seen
