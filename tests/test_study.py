"""What-if studies: changes, the study table, the cache, executors, compare and study commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import allocator
from allocator.io.errors import InputError
from allocator.io.load import load_scenario
from allocator.study import Study, apply_changes, compare, load_study, run_tasks
from allocator.study.changes import parse_vary
from allocator.study.figures import CATEGORY_COLUMNS
from models.plan import CostCategory, Status
from models.scenario import Agreement, Scenario, Source
from models.study import Changes
from tests.test_cli import run
from tests.tiny import scenario, tiny_data, two_stage, vacant

ROOT = Path(__file__).parents[1]
#: Columns that depend on the machine, not on the plan.
MACHINE = ["runtime", "from_cache"]


def base() -> Scenario:
    """The tiny case with a fourth dwelling, so that dwellings alone suffice."""
    data = tiny_data()
    data["dwellings"].append(vacant("O4", "2025-04-01"))
    return scenario(data)


def apply(scn: Scenario, **changes: Any) -> Scenario:
    return apply_changes(scn, Changes.model_validate(changes), ("test.yaml", ("variants", "v")))


def problems(scn: Scenario, **changes: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        apply(scn, **changes)
    return caught.value.messages


def small_study() -> Study:
    study = Study(base(), {"time_limit": 10, "workers": 1})
    study.add_variant("pavilions only", {"pavilions": "only", "pavilion_modules": 3})
    study.add_variant("own dwellings only", {"pavilions": "none"})
    study.add_variant("late", {"shift_stage": {"stage": "S9", "months": 1}})
    study.grid({"overcapacity": [0.2, 1.0]})
    return study


# -- changes -----------------------------------------------------------------------------


def test_pavilions_only_and_none_set_the_temporary_sources() -> None:
    scn = base()
    assert apply(scn, pavilions="only").policy.temporary_sources == [Source.PAVILION]
    assert Source.PAVILION not in apply(scn, pavilions="none").policy.temporary_sources
    assert apply(scn, pavilion_modules=5).pavilions[0].max_count == 5
    assert scn.policy.temporary_sources == list(Source)  # the base is untouched


def test_stage_shift_rents_costs_and_policy_changes() -> None:
    scn = two_stage()
    late = apply(scn, shift_stage={"stage": "S2", "months": 1, "days": 2})
    assert (late.stages[1].start, late.stages[1].end) == (date(2025, 12, 3), date(2026, 2, 3))
    assert late.stages[0] == scn.stages[0]
    dear = apply(
        scn, scale_rents=1.5, scale_costs={"moving_company": 2, "consultant_per_household": 0.5}
    )
    assert dear.dwellings[0].monthly_rent == 1.5 * scn.dwellings[0].monthly_rent
    assert dear.after_dwellings[0].monthly_rent == 1.5 * scn.after_dwellings[0].monthly_rent
    assert dear.costs.moving(2) == 2 * scn.costs.moving(2)
    assert dear.costs.consultant_per_household == 2000.0
    policy = apply(scn, overcapacity=0.3, clearing_days=45, moves_per_day=2)
    assert (policy.policy.overcapacity, policy.policy.clearing_days) == (0.3, 45)
    assert policy.policy.moves_per_day == 2
    assert apply(scn, set={"policy.stay_rent": "lower_of_two"}).policy.stay_rent == "lower_of_two"


def test_agreements_of_a_seeded_share() -> None:
    scn = two_stage()
    one = apply(scn, agreements={"share": 0.67, "agreement": "permanent", "seed": 3})
    again = apply(scn, agreements={"share": 0.67, "agreement": "permanent", "seed": 3})
    permanent = [h.id for h in one.households if h.agreement is Agreement.PERMANENT]
    assert len(permanent) == 2
    assert permanent == [h.id for h in again.households if h.agreement is Agreement.PERMANENT]


def test_dropping_and_adding_sources() -> None:
    scn = base()
    added = apply(scn, add_dwellings=[vacant("P1", "2025-04-01", "partner")])
    assert added.dwelling("P1").source is Source.PARTNER
    dropped = apply(added, drop_sources=["partner", "pavilion"])
    assert [d.id for d in dropped.dwellings if d.source is Source.PARTNER] == []
    assert dropped.pavilions == []
    assert problems(scn, drop_sources=["partner"]) == [
        "test.yaml: variants.v.drop_sources[0]: the scenario has no candidate dwellings of partner"
    ]


def test_a_change_that_does_not_apply_names_the_file_and_field() -> None:
    scn = base()
    assert problems(scn, shift_stage={"stage": "S9", "days": 1}) == [
        "test.yaml: variants.v.shift_stage[0].stage: unknown stage 'S9'"
    ]
    assert problems(scn, set={"policy.overcapacty": 0.3}) == [
        "test.yaml: variants.v.set['policy.overcapacty']: 'policy.overcapacty' is not a "
        "field of the scenario"
    ]
    early = problems(scn, shift_stage={"stage": "all", "months": -6})
    assert early[0].startswith(
        "test.yaml: variants.v: the changed scenario: stages[0].start: 2024-12-01 is not after"
    )


def test_command_line_changes() -> None:
    assert parse_vary("pavilions=only") == {"pavilions": "only"}
    assert parse_vary("overcapacity=0.3") == {"overcapacity": 0.3}
    assert parse_vary("shift_stage={stage: E2, months: 1}") == {
        "shift_stage": {"stage": "E2", "months": 1}
    }
    assert parse_vary("{overcapacity: 0.3, pavilions: none}") == {
        "overcapacity": 0.3,
        "pavilions": "none",
    }
    assert parse_vary("base") == {}
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        parse_vary("pavilions")


# -- the study table ---------------------------------------------------------------------


def test_a_study_table_has_a_row_per_variant_with_figures_from_the_plan() -> None:
    study = small_study()
    table = study.run(processes=1)
    assert list(table["variant"]) == [
        "base",
        "pavilions only",
        "own dwellings only",
        "late",
        "overcapacity=0.2",
        "overcapacity=1.0",
    ]
    rows = table.set_index("variant")
    assert rows.at["late", "status"] == "CHANGE_INVALID"
    assert "shift_stage[0].stage: unknown stage 'S9'" in rows.at["late", "error"]
    assert rows.at["pavilions only", "stays.pavilion"] == 2
    assert rows.at["pavilions only", "stays.own_organisation"] == 0
    assert rows.at["pavilions only", "households.permanent"] == 1  # H2 still moves for good
    assert rows.at["own dwellings only", "pavilion_modules"] == 0
    assert rows.at["pavilions only", "change.pavilions"] == "only"
    # the figures are the plan's: a re-solve of the changed scenario agrees
    changed_scn = apply(base(), pavilions="only", pavilion_modules=3)
    result = allocator.solve(changed_scn, time_limit=10, num_workers=1)
    assert result.status is Status.OPTIMAL and result.plan is not None
    total = result.plan.costs[-1]
    assert rows.at["pavilions only", "total"] == pytest.approx(total.total)
    for category in CostCategory:
        got = rows.at["pavilions only", f"cost.{category.value}"]
        assert got == pytest.approx(total.by_category.get(category, 0.0))
    assert sum(rows.loc["pavilions only", list(CATEGORY_COLUMNS)]) == pytest.approx(total.total)
    assert rows.at["pavilions only", "objective"] == pytest.approx(result.objective)
    # more overcapacity costs more spare rent
    assert rows.at["overcapacity=1.0", "total"] > rows.at["overcapacity=0.2", "total"]


def test_an_interrupted_study_solves_only_what_is_missing(tmp_path: Path) -> None:
    first = small_study().run(processes=1, cache_dir=tmp_path)
    assert not first["from_cache"].any()
    cached = sorted(tmp_path.glob("*.json"))
    # base and overcapacity=0.2 are the same scenario: one solve, one file
    assert len(cached) == 4
    cached[0].unlink()
    submitted: list[str] = []
    again = small_study().run(processes=1, cache_dir=tmp_path, on_submit=submitted.append)
    assert len(submitted) in (1, 2)  # the one missing scenario (two names if it is the base)
    assert again["from_cache"].sum() == len(again) - 1 - len(submitted)
    pd.testing.assert_frame_equal(first.drop(columns=MACHINE), again.drop(columns=MACHINE))


def test_local_processes_give_the_sequential_table() -> None:
    sequential = small_study().run(processes=1)
    spawned = small_study().run(processes=2)
    pd.testing.assert_frame_equal(sequential.drop(columns=MACHINE), spawned.drop(columns=MACHINE))


def test_a_dask_local_cluster_gives_the_local_table() -> None:
    distributed = pytest.importorskip("distributed")
    local = small_study().run(processes=1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = small_study().run(client.get_executor())
    pd.testing.assert_frame_equal(local.drop(columns=MACHINE), remote.drop(columns=MACHINE))


def _fails(task: int) -> int:
    if task == 1:
        raise ValueError("task one fails")
    return task * 10


def test_run_tasks_yields_every_task_and_turns_an_exception_into_its_result() -> None:
    done = sorted(run_tasks(_fails, [0, 1, 2]), key=lambda f: f.index)
    assert [(f.index, f.value, f.error) for f in done] == [
        (0, 0, None),
        (1, None, "ValueError: task one fails"),
        (2, 20, None),
    ]


def test_compare_side_by_side_with_differences() -> None:
    wide = compare(
        {"base": base()}, {"time_limit": 10}, vary=[{}, {"overcapacity": 1.0}], processes=1
    )
    assert list(wide.columns) == ["base", "overcapacity=1.0", "Δ overcapacity=1.0"]
    for figure in ("total", "cost.rent_loss_spare", "spare_days"):
        delta = wide.at[figure, "overcapacity=1.0"] - wide.at[figure, "base"]
        assert wide.at[figure, "Δ overcapacity=1.0"] == pytest.approx(delta)
    assert wide.at["total", "Δ overcapacity=1.0"] > 0


# -- study files and the example ---------------------------------------------------------


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_bad_study_file_is_reported_with_file_field_and_line(tmp_path: Path) -> None:
    write_yaml(tmp_path / "base.yaml", base().model_dump(mode="json"))
    study = {
        "base": "base.yaml",
        "variants": {"a": {"pavilons": "only"}},
        "grids": [{"vary": {"overcapacity": [0.2, 2]}}],
    }
    path = write_yaml(tmp_path / "study.yaml", study)
    with pytest.raises(InputError) as caught:
        load_study(path)
    assert caught.value.messages == [
        f"{path}: variants.a.pavilons: unknown field (did you mean 'pavilions'?) (line 4)"
    ]
    study["variants"] = {}
    write_yaml(path, study)
    with pytest.raises(InputError) as caught:
        load_study(path)
    (message,) = caught.value.messages
    assert message.startswith(f"{path}: grids[0].vary.overcapacity[1]: ")
    assert message.endswith(": must be less than or equal to 1, got 2 (line 7)")


def test_the_example_study_expands_and_its_changes_apply() -> None:
    study = load_study(ROOT / "scenarios" / "example-study.yaml")
    tasks = dict((v.name, t) for v, t in study.tasks())
    assert list(tasks) == [
        "base",
        "pavilions only",
        "own dwellings only",
        "stage E2 one month late",
        "without the partner",
        "overcapacity=0.2",
        "overcapacity=0.3",
        "overcapacity=0.4",
    ]
    assert all(isinstance(t, dict) for t in tasks.values()), tasks
    scn = load_scenario(ROOT / "scenarios" / "example.yaml")
    late = Scenario.model_validate(tasks["stage E2 one month late"]["scenario"])  # type: ignore[index]
    assert late.stages[1].start == date(2027, 3, 22)
    assert scn.stages[1].start == date(2027, 2, 22)
    alone = Scenario.model_validate(tasks["without the partner"]["scenario"])  # type: ignore[index]
    assert any(d.source is Source.PARTNER for d in scn.dwellings)
    assert not any(d.source is Source.PARTNER for d in alone.dwellings)
    assert tasks["base"]["key"] == tasks["overcapacity=0.2"]["key"]  # type: ignore[index]
    assert study.settings.time_limit == 60


# -- the commands ------------------------------------------------------------------------


def test_compare_command_writes_csv_excel_and_html(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "base.yaml", base().model_dump(mode="json"))
    out = tmp_path / "out"
    result = run(
        "compare", str(path), "--vary", "base", "--vary", "pavilions=none", "--vary",
        "{pavilions: only, pavilion_modules: 3}", "--time-limit", "10", "--processes", "1",
        "--out", str(out), "--lang", "en", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Δ pavilions=none" in result.stdout and "Pavilion modules" in result.stdout
    csv = pd.read_csv(out / "compare.csv", index_col="figure")
    assert float(csv.at["stays.pavilion", "{pavilions: only, pavilion_modules: 3}"]) == 2
    assert (out / "compare.xlsx").stat().st_size > 0
    page = (out / "compare.html").read_text()
    assert page.count("<svg") >= 3 and "http" not in page.split("<svg")[0]


def test_compare_command_bad_change_is_exit_2(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "base.yaml", base().model_dump(mode="json"))
    result = run("compare", str(path), "--vary", "overcapacity=3", "--quiet")
    assert result.exit_code == 2
    assert "--vary 'overcapacity=3': [0].overcapacity: " in result.stderr


def test_study_command_writes_the_table_and_resumes(tmp_path: Path) -> None:
    write_yaml(tmp_path / "base.yaml", base().model_dump(mode="json"))
    study = {
        "name": "tiny what-if",
        "base": "base.yaml",
        "settings": {"time_limit": 10},
        "variants": {"dwellings only": {"pavilions": "none"}},
        "grids": [{"name": "oc", "vary": {"overcapacity": [0.3, 1.0]}}],
    }
    path = write_yaml(tmp_path / "study.yaml", study)
    out = tmp_path / "out"
    args = ("study", str(path), "--out", str(out), "--processes", "1", "--quiet")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "results.csv")
    assert list(table["variant"]) == ["base", "dwellings only", "oc overcapacity=0.3",
                                      "oc overcapacity=1.0"]  # fmt: skip
    assert set(table["status"]) == {"OPTIMAL"}
    assert not table["from_cache"].any()
    assert "<svg" in (out / "summary.html").read_text()
    again = run(*args, "--lang", "da")
    assert again.exit_code == 0
    assert pd.read_csv(out / "results.csv")["from_cache"].all()
    assert "Samlet omkostning" in again.stdout
    assert json.loads(next((out / "cache").glob("*.json")).read_text())["status"] == "OPTIMAL"


def test_the_api_is_importable_from_allocator() -> None:
    assert allocator.Study is Study
    assert allocator.compare is compare
    assert allocator.load_scenario is load_scenario
