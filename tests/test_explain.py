"""Why: capacity analysis, infeasibility diagnosis, household explanations, marginal values.

Every infeasible case is crafted so that one rule group is at fault; the
diagnosis must name its stage, need class and rule, and its suggested
change must give a scenario the solver plans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from allocator.explain.capacity import analyse, shortages
from allocator.explain.diagnose import apply, diagnose, feasible
from allocator.explain.household import cost_drivers, describe_household, explain_household
from allocator.explain.marginal import lp_cost, marginal_values
from allocator.explain.words import describe, describe_row
from allocator.plan.check import check_plan
from allocator.solving.entry import solve
from models.explain import CauseKind, Diagnosis, NeedClass, Relaxation, RelaxationKind
from models.plan import Status
from models.scenario import Scenario
from tests.test_cli import run
from tests.tiny import (
    after_dwelling,
    changed,
    home,
    household,
    pavilion_type,
    scenario,
    stage,
    tiny,
    tiny_data,
    two_stage_data,
    vacant,
)

WHEELCHAIR = NeedClass(rooms=1, wheelchair=True)


def plans(scn: Scenario) -> bool:
    """Whether the solver finds a plan that passes the checker."""
    result = solve(scn, time_limit=10, num_workers=1, diagnosis_time=None)
    if result.plan is None:
        return False
    return not check_plan(scn, result.plan, objective=result.objective).violations


def first_changes_plan(scn: Scenario, found: Diagnosis) -> bool:
    """Whether applying the first change of every cause gives a plan."""
    return plans(apply(scn, [c.relaxations[0] for c in found.causes]))


# -- the crafted infeasible cases ---------------------------------------------------------


def wheelchair_shortage() -> Scenario:
    """Two wheelchair users in S1, one wheelchair-accessible place; no overcapacity."""
    data = changed(tiny_data(), "households", "H3", wheelchair=True)
    data = changed(data, "households", "H1", wheelchair=True)
    data = changed(data, "dwellings", "O1", wheelchair=True)
    return scenario(data, pavilions=[], policy={"overcapacity": 0.0})


def too_many_households() -> Scenario:
    """A second stage S2 with 6 households and only 2 places free for it."""
    data = two_stage_data()
    data["stages"] = [*data["stages"], stage("S3", "2026-03-01", "2026-05-01")]
    extra = [f"X{i}" for i in range(6)]
    data["dwellings"] = [*data["dwellings"], *(home(f"Z{i}", stage="S3") for i in range(6))]
    data["households"] = [
        *data["households"],
        *(household(x, f"Z{i}") for i, x in enumerate(extra)),
    ]
    return scenario(data)


def notice_impossible() -> Scenario:
    """Five households, one move a working day, move-out a few working days away."""
    homes = [home(f"A{i}") for i in range(5)]
    return scenario(
        {
            "name": "hurry",
            "costs": {"inspection": 0.0, "cleaning": 0.0},
            "stages": [stage(start="2025-02-05", end="2025-04-01")],
            "dwellings": [*homes, *(vacant(f"O{i}", "2025-01-01") for i in range(5))],
            "households": [household(f"H{i}", f"A{i}") for i in range(5)],
        },
        policy={"moves_per_day": 1, "overcapacity": 0.0},
    )


def permanent_unmet() -> Scenario:
    """H2 must move for good, but every vacant dwelling is a partner's."""
    data = tiny_data()
    for o in ("O1", "O2", "O3"):
        data = changed(data, "dwellings", o, source="partner")
    return scenario(data, policy={"overcapacity": 0.0})


def wish_unmet() -> Scenario:
    """H2's home is merged away and it wishes only N1, which the more senior H1 wins.

    N2 goes to H4, N3 (of stage S2) to nobody.
    """
    data = two_stage_data()
    data["after_dwellings"] = [
        after_dwelling("N1", replaces=["A2"]),
        after_dwelling("N2"),
        after_dwelling("N3", stage="S2"),
    ]
    return scenario(data)


def pavilion_too_late() -> Scenario:
    """H1 fits only the pavilion (3 rooms), whose lead time ends after S1 moves out."""
    data = changed(tiny_data(), "households", "H1", rooms_min=None, adults=5)
    return scenario(
        data,
        pavilions=[pavilion_type(rooms=3, lead_days=200, max_count=2)],
        policy={"overcapacity": 0.0},
    )


def test_wheelchair_shortage_names_stage_class_and_rule() -> None:
    scn = wheelchair_shortage()
    result = solve(scn, time_limit=5, num_workers=1)
    assert result.status is Status.INFEASIBLE
    assert result.diagnosis is not None
    [cause] = result.diagnosis.causes
    assert (cause.kind, cause.stage, cause.rule, cause.need) == (
        CauseKind.STAY_PLACES,
        "S1",
        "R1",
        WHEELCHAIR,
    )
    assert cause.short == 1 and sorted(cause.households) == ["H1", "H3"]
    first = cause.relaxations[0]
    assert first.kind is RelaxationKind.ADD_PLACES and first.count == 1 and first.verified
    assert first.need == WHEELCHAIR and first.start == scn.date_of(121)
    assert result.diagnosis.lifted and first_changes_plan(scn, result.diagnosis)
    text = "\n".join(describe(result.diagnosis, scn, "en"))
    assert "stage S1 (R1): 1 of its 2 households needing a place (1+ rooms, wheelchair" in text
    assert "1 more place (1+ rooms, wheelchair-accessible) free from 2 May 2025" in text


def test_wheelchair_shortage_is_found_by_the_capacity_analysis() -> None:
    scn = wheelchair_shortage()
    [row] = shortages(analyse(scn))
    assert (row.stage, row.need, row.demand, row.supply) == ("S1", WHEELCHAIR, 2, 1)
    assert row.by_source == {"own_organisation": 1}
    assert describe_row(row, "en") == (
        "stage S1 needs 2 places (1+ rooms, wheelchair-accessible) from 2 May 2025 "
        "(2 away in a rehousing place then); at most 1 can be free then (1 own organisation)"
    )
    assert describe_row(row, "da").startswith("etape S1 har brug for 2 pladser")


def test_a_plannable_scenario_has_no_shortage_and_no_causes() -> None:
    scn = tiny()
    assert shortages(analyse(scn)) == []
    assert feasible(scn)
    assert diagnose(scn, time_limit=5).causes == []


def test_too_many_households_names_the_new_stage_and_lifts() -> None:
    scn = too_many_households()
    found = diagnose(scn, time_limit=20)
    assert found.causes, "infeasible"
    stay = [c for c in found.causes if c.kind is CauseKind.STAY_PLACES]
    assert stay and {c.stage for c in stay} == {"S3"} and {c.rule for c in stay} == {"R1"}
    assert sum(c.short for c in stay) == 4  # 6 households, 2 places
    assert all(c.relaxations[0].verified for c in found.causes)
    assert found.lifted and first_changes_plan(scn, found)


def test_notice_impossible_names_the_stage_and_more_moves_lift_it() -> None:
    scn = notice_impossible()
    result = solve(scn, time_limit=5, num_workers=1)  # used to raise Unschedulable
    assert result.status is Status.INFEASIBLE and result.diagnosis is not None
    [cause] = result.diagnosis.causes
    assert (cause.kind, cause.stage, cause.rule) == (CauseKind.SCHEDULE, "S1", "R13")
    kinds = {r.kind: r for r in cause.relaxations if r.verified}
    assert kinds[RelaxationKind.MOVES_PER_DAY].value == 2
    assert RelaxationKind.DELAY_STAGE in kinds
    assert plans(apply(scn, [kinds[RelaxationKind.MOVES_PER_DAY]]))
    assert plans(apply(scn, [kinds[RelaxationKind.DELAY_STAGE]]))


def test_permanent_agreement_unmet_names_r8_and_both_remedies_lift_it() -> None:
    scn = permanent_unmet()
    found = diagnose(scn, time_limit=20)
    [cause] = found.causes
    assert (cause.kind, cause.stage, cause.rule, cause.households) == (
        CauseKind.PERMANENT_PLACES,
        "S1",
        "R8",
        ["H2"],
    )
    by_kind = {r.kind: r for r in cause.relaxations}
    assert by_kind[RelaxationKind.ADD_PLACES].verified
    assert by_kind[RelaxationKind.SOFT_PERMANENT].verified
    for kind in (RelaxationKind.ADD_PLACES, RelaxationKind.SOFT_PERMANENT):
        assert plans(apply(scn, [by_kind[kind]]))


def test_seniority_wish_unmet_names_the_household_and_a_wish_it_can_win() -> None:
    scn = wish_unmet()
    found = diagnose(scn, time_limit=20)
    [cause] = found.causes
    assert (cause.kind, cause.rule, cause.stage, cause.households) == (
        CauseKind.NO_OUTCOME,
        "R9",
        "S1",
        ["H2"],
    )
    assert cause.message is not None and "nowhere to return to" in cause.message
    [wish] = cause.relaxations
    assert (wish.kind, wish.dwelling, wish.verified) == (RelaxationKind.ADD_WISH, "N3", True)
    assert plans(apply(scn, [wish]))


def test_pavilion_lead_time_is_named_and_a_shorter_one_lifts_it() -> None:
    scn = pavilion_too_late()
    found = diagnose(scn, time_limit=20)
    [cause] = found.causes
    assert (cause.kind, cause.stage, cause.rule, cause.households) == (
        CauseKind.STAY_PLACES,
        "S1",
        "R1",
        ["H1"],
    )
    assert cause.need is not None and cause.need.rooms == 3
    lead = next(r for r in cause.relaxations if r.kind is RelaxationKind.PAVILION_LEAD)
    assert lead.verified and lead.pavilion == "PT" and lead.value == 121
    assert plans(apply(scn, [lead]))
    text = "\n".join(describe(found, scn, "en"))
    assert "pavilion type PT ready within 121 days" in text


def test_an_overcapacity_shortage_suggests_the_highest_target_that_works() -> None:
    # three stays and four places: one spare (R10), so a target of at most 33 %
    data = changed(tiny_data(), "households", "H2", agreement="temporary")
    data["dwellings"] = [*data["dwellings"], vacant("O4", "2025-01-01")]
    scn = scenario(data, pavilions=[], policy={"overcapacity": 0.4})
    found = diagnose(scn, time_limit=20)
    [cause] = found.causes
    assert (cause.kind, cause.stage, cause.rule) == (CauseKind.SPARES, "S1", "R10")
    lower = next(r for r in cause.relaxations if r.kind is RelaxationKind.LOWER_OVERCAPACITY)
    assert lower.verified and lower.value == 0.33
    assert plans(apply(scn, [lower]))
    assert not plans(apply(scn, [lower.model_copy(update={"value": 0.34})]))


# -- command line ------------------------------------------------------------------------


def write(tmp_path: Path, scn: Scenario, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(scn.model_dump(mode="json"), sort_keys=False), "utf-8")
    return path


def test_cli_solve_infeasible_exits_1_with_the_diagnosis_in_words_and_json(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, wheelchair_shortage())
    for strategy in ("lp-guided", "cp-sat"):
        out = run("solve", str(path), "--quiet", "--strategy", strategy, "--time-limit", "5")
        assert out.exit_code == 1
        assert "etape S1 (R1): 1 af dens 2 husstande" in out.stdout
        assert "kørestolsegnet" in out.stdout
    out = run("solve", str(path), "--quiet", "--json", "--time-limit", "5")
    assert out.exit_code == 1
    diagnosis: dict[str, Any] = json.loads(out.stdout)["diagnosis"]
    assert diagnosis["causes"][0]["rule"] == "R1"
    assert diagnosis["causes"][0]["relaxations"][0]["kind"] == "add_places"


def test_cli_validate_and_analyse_tell_the_shortage(tmp_path: Path) -> None:
    path = write(tmp_path, wheelchair_shortage())
    out = run("validate", str(path))
    assert out.exit_code == 0
    assert "højst 1 kan være ledige" in out.stdout
    out = run("analyse", str(path), "--lang", "en")
    assert out.exit_code == 1
    assert "at most 1 can be free then (1 own organisation)" in out.stdout
    assert run("analyse", str(write(tmp_path, tiny(), "t.yaml"))).exit_code == 0
    bundled = Path(__file__).parents[1] / "scenarios" / "wheelchair-shortage.yaml"
    out = run("analyse", str(bundled), "--lang", "en")
    assert out.exit_code == 1 and "(1+ rooms, wheelchair-accessible)" in out.stdout


# -- a plan explained ----------------------------------------------------------------------


def test_cli_explain_a_household_and_refuse_a_plan_of_another_scenario(tmp_path: Path) -> None:
    scn = scenario(two_stage_data())
    result = solve(scn, time_limit=5, num_workers=1)
    assert result.plan is not None
    plan = tmp_path / "plan.json"
    plan.write_text(result.plan.model_dump_json(), encoding="utf-8")
    path = write(tmp_path, scn)
    out = run("explain", str(path), str(plan), "H2", "--lang", "en")
    assert out.exit_code == 0
    assert "wish N1: won by H1, who comes first there (R9)" in out.stdout
    out = run("explain", str(path), str(plan), "--no-marginal")
    assert out.exit_code == 0 and "Hvad koster mest" in out.stdout
    assert run("explain", str(path), str(plan), "H9").exit_code == 2
    other = write(tmp_path, tiny(), "other.yaml")
    out = run("explain", str(other), str(plan), "H2")
    assert out.exit_code == 1 and "breaks the rules" in out.stderr


def test_a_household_is_explained_by_seniority_rules_and_costs() -> None:
    data = two_stage_data()
    scn = scenario(data)
    result = solve(scn, time_limit=5, num_workers=1)
    assert result.plan is not None
    why = explain_household(scn, result.plan, "H2")
    assert (why.rank, why.of) == (2, 3)
    [wish] = why.wishes
    assert (wish.dwelling, wish.winner, wish.winner_ahead) == ("N1", "H1", True)
    assert why.own is not None and why.own.place == why.place
    lines = describe_household(why, "en")
    assert "wish N1: won by H1, who comes first there (R9)" in lines
    assert any(line.startswith("rules that bind it: R5 at least 1 rooms") for line in lines)
    # the other fitting place costs the same for the same days: the plan chose freely
    [other] = why.alternatives
    assert other.cost == why.own.cost and other.holders == ("H1",)


def test_cost_drivers_add_up_to_the_plan() -> None:
    scn = tiny()
    result = solve(scn, time_limit=5, num_workers=1)
    assert result.plan is not None
    drivers = cost_drivers(scn, result.plan, top=100)
    stages = [d for d in drivers if d.kind == "stage"]
    assert [d.name for d in stages] == ["S1"]
    parts = sum(d.cost for d in drivers if d.kind in ("place", "household"))
    assert parts == pytest.approx(result.objective, abs=0.02)


def test_one_more_place_is_worth_what_a_re_solve_saves() -> None:
    scn = tiny(policy={"overcapacity": 0.0})
    [value] = marginal_values(scn, method="solve", time_limit=10, what=("place",))[:1]
    assert value.saving > 0
    # the same place added by hand, both solved to optimality
    data = tiny_data()
    data["dwellings"] = [
        *data["dwellings"],
        vacant("NEW", str(value.start), rooms=value.need.rooms if value.need else 1),
    ]
    before = solve(scn, time_limit=10, num_workers=1, gap_limit=0)
    after = solve(
        scenario(data, policy={"overcapacity": 0.0}), time_limit=10, num_workers=1, gap_limit=0
    )
    assert before.objective is not None and after.objective is not None
    assert before.status is Status.OPTIMAL and after.status is Status.OPTIMAL
    assert value.saving == pytest.approx(before.objective - after.objective, abs=0.01)


def test_an_lp_marginal_value_agrees_with_re_solves_within_their_gaps() -> None:
    scn = scenario(two_stage_data())
    values = marginal_values(scn, method="lp", what=("delay_month",))
    [value] = [v for v in values if v.stage == "S2"]
    delay = Relaxation(kind=RelaxationKind.DELAY_STAGE, stage="S2", months=1)
    changed_scn = apply(scn, [delay])
    base, later = (solve(s, time_limit=10, num_workers=1, gap_limit=0) for s in (scn, changed_scn))
    assert base.objective is not None and later.objective is not None
    lp_base, lp_later = lp_cost(scn), lp_cost(changed_scn)
    assert lp_base is not None and lp_later is not None
    gap = max(base.objective - lp_base, later.objective - lp_later)
    assert abs(value.saving - (base.objective - later.objective)) <= gap + 0.01


# -- report and workbook ---------------------------------------------------------------------


def test_report_and_workbook_show_the_why(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from allocator.excel.result import write_result_workbook
    from allocator.report.html import render_report

    scn = wheelchair_shortage()
    result = solve(scn, time_limit=5, num_workers=1)
    html = render_report(scn, result)
    assert "hvorfor der ingen plan er:" in html
    assert "etape S1 (R1): 1 af dens 2 husstande" in html
    assert "højst 1 kan være ledige da (1 eget selskab)" in html
    write_result_workbook(tmp_path / "bad.xlsx", scn, result)
    sheet = load_workbook(tmp_path / "bad.xlsx")["Hvorfor"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(t.startswith("etape S1 (R1): 1 af dens 2 husstande") for t in texts)

    good = tiny(policy={"overcapacity": 0.0})
    solved = solve(good, time_limit=5, num_workers=1)
    values = marginal_values(good, method="lp", what=("overcapacity_point", "delay_month"))
    assert [v.what for v in values] == ["delay_month"]  # no overcapacity to lower
    with_values = solved.model_copy(update={"marginal": values})
    write_result_workbook(tmp_path / "good.xlsx", good, with_values)
    sheet = load_workbook(tmp_path / "good.xlsx")["Hvorfor"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    [delay] = [r for r in rows if r[0] == "etape S1 én måned senere"]
    assert delay[1] == pytest.approx(values[0].saving) and delay[4] == "lp"
    html = render_report(good, with_values)
    assert "etape S1 én måned senere" in html and "Hvad koster mest" in html
