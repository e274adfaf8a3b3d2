"""The plan checker cannot be fooled: every mutation that changes a plan's meaning is caught.

Two small scenarios are solved once (``tiny``: a pavilion module, a
permanent move, a spare and a time-limited lease; ``two_stage``: direct
moves into after-renovation dwellings). Hypothesis then mutates their plans
the way a careless or hostile edit of ``plan.json`` would (NaN and
infinities in any amount, unknown ids in any reference, segments out of
order, dates moved) and asserts the checker reports at least one violation.
The mutated plans are built with pydantic's ``model_copy`` (no validation),
so the checker itself must fail closed; the loader's own refusal of
non-finite numbers is tested apart.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from allocator import cli
from allocator.io.errors import InputError
from allocator.io.load import load_plan_and_objective
from allocator.plan.check import check_plan
from models.plan import CostCategory, PlaceTimeline, Plan, Result, Segment
from models.scenario import Scenario
from tests.tiny import solve_small, tiny, two_stage

NON_FINITE = [math.nan, math.inf, -math.inf]
UNKNOWN = "NO-SUCH-ID"


@cache
def solved_result(name: str) -> tuple[Scenario, Result]:
    """A small scenario and its optimal result (solved once per run)."""
    scenario = {"tiny": tiny, "two_stage": two_stage}[name]()
    return scenario, solve_small(scenario)


def solved(name: str) -> tuple[Scenario, Plan, float]:
    """A small scenario, its optimal plan and objective."""
    scenario, result = solved_result(name)
    assert result.plan is not None and result.objective is not None
    assert check_plan(scenario, result.plan, result.objective).ok
    return scenario, result.plan, result.objective


def _replace(items: list[Any], i: int, item: Any) -> list[Any]:
    return [*items[:i], item, *items[i + 1 :]]


def _with_household(plan: Plan, i: int, **changes: Any) -> Plan:
    hp = plan.households[i].model_copy(update=changes)
    return plan.model_copy(update={"households": _replace(plan.households, i, hp)})


def _with_timeline(plan: Plan, i: int, timeline: PlaceTimeline) -> Plan:
    return plan.model_copy(update={"places": _replace(plan.places, i, timeline)})


def _with_segment(plan: Plan, i: int, j: int, **changes: Any) -> Plan:
    t = plan.places[i]
    seg = t.segments[j].model_copy(update=changes)
    return _with_timeline(plan, i, t.model_copy(update={"segments": _replace(t.segments, j, seg)}))


def _with_stage_kpi(plan: Plan, draw: st.DrawFn, **changes: Any) -> Plan:
    i = draw(st.integers(0, len(plan.kpis.stages) - 1))
    kpi = plan.kpis.stages[i].model_copy(update=changes)
    kpis = plan.kpis.model_copy(update={"stages": _replace(plan.kpis.stages, i, kpi)})
    return plan.model_copy(update={"kpis": kpis})


# -- the mutations: each draws one changed (plan, objective) -----------------------------


@st.composite
def non_finite_amount(draw: st.DrawFn, plan: Plan, objective: float) -> tuple[Plan, float]:
    """NaN or an infinity in the objective, a cost, the penalties or a KPI."""
    bad = draw(st.sampled_from(NON_FINITE))
    where = draw(
        st.sampled_from(["objective", "penalties", "total", "category", "kpi", "overcapacity"])
    )
    if where == "objective":
        return plan, bad
    if where == "penalties":
        return plan.model_copy(update={"penalties": bad}), objective
    if where == "kpi":
        kpis = plan.kpis.model_copy(update={"rent_loss": bad})
        return plan.model_copy(update={"kpis": kpis}), objective
    if where == "overcapacity":
        return _with_stage_kpi(plan, draw, overcapacity=bad), objective
    i = draw(st.integers(0, len(plan.costs) - 1))
    cost = plan.costs[i]
    if where == "total":
        cost = cost.model_copy(update={"total": bad})
    else:
        category = draw(st.sampled_from(sorted(CostCategory)))
        cost = cost.model_copy(update={"by_category": {**cost.by_category, category: bad}})
    return plan.model_copy(update={"costs": _replace(plan.costs, i, cost)}), objective


HOUSEHOLD_REFS = ("household", "stage", "place", "after_dwelling", "permanent_dwelling")


@st.composite
def unknown_reference(draw: st.DrawFn, plan: Plan, objective: float) -> tuple[Plan, float]:
    """An id that names nothing, in any reference of the plan."""
    what = draw(st.sampled_from(["household", "segment", "timeline", "cost", "kpi"]))
    if what == "household":
        i = draw(st.integers(0, len(plan.households) - 1))
        return _with_household(plan, i, **{draw(st.sampled_from(HOUSEHOLD_REFS)): UNKNOWN}), (
            objective
        )
    if what == "cost":
        i = draw(st.integers(0, len(plan.costs) - 1))
        cost = plan.costs[i].model_copy(update={"stage": UNKNOWN})
        return plan.model_copy(update={"costs": _replace(plan.costs, i, cost)}), objective
    if what == "kpi":
        return _with_stage_kpi(plan, draw, stage=UNKNOWN), objective
    i = draw(st.integers(0, len(plan.places) - 1))
    t = plan.places[i]
    if what == "timeline":
        field = draw(st.sampled_from(["place", "pavilion_type"]))
        return _with_timeline(plan, i, t.model_copy(update={field: UNKNOWN})), objective
    j = draw(st.integers(0, len(t.segments) - 1))
    field = draw(st.sampled_from(["stage", "household"]))
    return _with_segment(plan, i, j, **{field: UNKNOWN}), objective


@st.composite
def shuffled_segments(draw: st.DrawFn, plan: Plan, objective: float) -> tuple[Plan, float]:
    """A timeline's segments in another order."""
    several = [i for i, t in enumerate(plan.places) if len(t.segments) >= 2]
    assume(several)
    i = draw(st.sampled_from(several))
    segments = plan.places[i].segments
    order = draw(st.permutations(range(len(segments))).filter(lambda p: list(p) != sorted(p)))
    changed = plan.places[i].model_copy(update={"segments": [segments[k] for k in order]})
    return _with_timeline(plan, i, changed), objective


HOUSEHOLD_DATES = ("notice_date", "move_out", "return_date", "return_letter_date")


@st.composite
def moved_date(draw: st.DrawFn, plan: Plan, objective: float) -> tuple[Plan, float]:
    """A household's, a segment's or a timeline's date moved by a few days."""
    shift = timedelta(days=draw(st.integers(-40, 40).filter(bool)))
    what = draw(st.sampled_from(["household", "segment", "timeline"]))
    if what == "household":
        i = draw(st.integers(0, len(plan.households) - 1))
        hp = plan.households[i]
        fields = [f for f in HOUSEHOLD_DATES if getattr(hp, f) is not None]
        field = draw(st.sampled_from(fields))
        return _with_household(plan, i, **{field: getattr(hp, field) + shift}), objective
    i = draw(st.integers(0, len(plan.places) - 1))
    t = plan.places[i]
    if what == "timeline":
        field = draw(st.sampled_from(["collected_from", "released"]))
        return _with_timeline(
            plan, i, t.model_copy(update={field: getattr(t, field) + shift})
        ), objective
    j = draw(st.integers(0, len(t.segments) - 1))
    seg: Segment = t.segments[j]
    field = draw(st.sampled_from(["start", "end"]))
    return _with_segment(plan, i, j, **{field: getattr(seg, field) + shift}), objective


MUTATIONS = (non_finite_amount, unknown_reference, shuffled_segments, moved_date)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Scenario, Plan, float, str]:
    name = draw(st.sampled_from(["tiny", "two_stage"]))
    scenario, plan, objective = solved(name)
    mutation = draw(st.sampled_from(MUTATIONS))
    changed, stated = draw(mutation(plan, objective))
    return name, scenario, changed, stated, mutation.__name__


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_every_meaningful_mutation_is_caught(case: tuple[str, Scenario, Plan, float, str]) -> None:
    name, scenario, plan, objective, mutation = case
    original = solved(name)
    if plan == original[1] and objective == original[2]:
        return  # e.g. a date moved onto an equal one: nothing changed
    report = check_plan(scenario, plan, objective=objective)
    assert report.violations, f"{mutation} on {name} passed the checker"


def test_the_unmutated_plans_pass() -> None:
    for name in ("tiny", "two_stage"):
        scenario, plan, objective = solved(name)
        assert check_plan(scenario, plan, objective).ok


# -- the boundary: a plan file with NaN or infinity is refused ----------------------------


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["objective", "plan.penalties"])
def test_a_result_file_with_a_non_finite_number_is_refused(
    tmp_path: Path, bad: str, field: str
) -> None:
    data = json.loads(solved_result("tiny")[1].model_dump_json())
    if field == "objective":
        data["objective"] = "BAD"
    else:
        data["plan"]["penalties"] = "BAD"
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data).replace('"BAD"', bad), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_plan_and_objective(path)
    assert any(m.startswith(f"{path}: {field}:") for m in error.value.messages), (
        error.value.messages
    )


def test_check_of_a_nan_result_is_not_0_violations(tmp_path: Path) -> None:
    """The reported hole: a result.json whose objective is NaN passed with "nan DKK"."""
    scenario, plan, _ = solved("tiny")
    report = check_plan(scenario, plan, objective=math.nan)
    assert [v.subject for v in report.violations] == ["objective"]


def test_genhus_check_of_a_nan_result_is_exit_2_not_0_violations(tmp_path: Path) -> None:
    scenario, result = solved_result("tiny")
    scenario_path = tmp_path / "s.yaml"
    scenario_path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")), encoding="utf-8")
    data = json.loads(result.model_dump_json())
    data["objective"] = "BAD"
    result_path = tmp_path / "result.json"
    result_path.write_text(json.dumps(data).replace('"BAD"', "NaN"), encoding="utf-8")
    outcome = CliRunner().invoke(cli.main, ["check", str(scenario_path), str(result_path)])
    assert outcome.exit_code == 2
    assert f"{result_path}: objective:" in outcome.stderr
    assert "0 violations" not in outcome.stdout and "nan" not in outcome.stdout
