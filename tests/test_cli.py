"""The genhus command line, with the solver and the checker replaced by fakes."""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from click.testing import Result as ClickResult

from allocator import cli
from allocator.cli import inspect as cli_inspect
from allocator.cli import solve as cli_solve
from allocator.generate import SIZES, generate
from allocator.i18n import money
from allocator.io.dump import result_to_json
from allocator.io.load import load_plan, load_scenario
from allocator.labels import label
from allocator.plan.check import Violation
from models.plan import Plan, Result, SolverInfo, Status
from models.scenario import Scenario
from tests.tiny import tiny, tiny_plan

# -- helpers ---------------------------------------------------------------------


def run(*args: str) -> ClickResult:
    """Invoke ``genhus`` with stdout and stderr kept apart (click 8.1 and 8.2+)."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg, unused-ignore]
    else:
        runner = CliRunner()
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


def scenario_file(tmp_path: Path, scn: Scenario | None = None, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    data = (scn or tiny()).model_dump(mode="json")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def bad_file(tmp_path: Path) -> Path:
    data = tiny().model_dump(mode="json")
    data["households"][0]["seniority_date"] = "fish"
    data["households"][1]["dwelling"] = "NOPE"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def make_result(scn: Scenario, status: Status) -> Result:
    plan = tiny_plan(scn) if status in (Status.OPTIMAL, Status.FEASIBLE) else None
    objective = plan.costs[-1].total + plan.penalties if plan else None
    return Result(
        scenario=scn.name,
        status=status,
        objective=objective,
        bound=objective,
        gap=0.0 if plan else None,
        runtime=0.25,
        plan=plan,
        warnings=["stage S1: a warning from the solver"],
        solver=SolverInfo(ortools_version="9.x", seed=0, num_workers=2, time_limit=60.0),
    )


BUDGET = tiny_plan().costs[-1].total  # DKK
OBJECTIVE = BUDGET + tiny_plan().penalties


@dataclass
class FakeReport:
    violations: list[Violation] = field(default_factory=list)
    pricing: Any = None

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass
class Fakes:
    """Records calls to the fake solver and checker."""

    status: Status = Status.OPTIMAL
    violations: list[Violation] = field(default_factory=list)
    solve_calls: list[dict[str, Any]] = field(default_factory=list)
    check_calls: list[dict[str, Any]] = field(default_factory=list)

    def solve(self, scenario: Scenario, **kwargs: Any) -> Result:
        self.solve_calls.append(kwargs)
        return make_result(scenario, self.status)

    def check_plan(self, scenario: Scenario, plan: Plan, objective: float | None = None) -> Any:
        self.check_calls.append({"plan": plan, "objective": objective})
        return FakeReport(list(self.violations))


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    f = Fakes()
    monkeypatch.setattr(cli_solve, "solve", f.solve)
    monkeypatch.setattr(cli_solve, "check_plan", f.check_plan)
    monkeypatch.setattr(cli_inspect, "check_plan", f.check_plan)
    return f


def no_traceback(res: ClickResult) -> None:
    assert "Traceback" not in res.stdout
    assert "Traceback" not in res.stderr


# -- help, schema ------------------------------------------------------------------


def test_help_documents_the_exit_codes() -> None:
    for args in ([], ["solve"], ["check"], ["validate"]):
        res = run(*args, "--help")
        assert res.exit_code == 0
        assert "Exit codes" in res.stdout
        assert "3  no plan within the time limit" in res.stdout


def test_generate_help_names_every_preset() -> None:
    res = run("generate", "--help")
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    for name, spec in SIZES.items():
        assert f"{name} ({spec.households:,}" in text
    assert "P (7,000 in 25 departments)" in text


def test_schema_is_the_scenario_json_schema() -> None:
    res = run("schema")
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert schema == json.loads(json.dumps(Scenario.model_json_schema()))
    assert {"policy", "stages", "dwellings", "households"} <= set(schema["properties"])


# -- validate ----------------------------------------------------------------------


def test_validate_ok(tmp_path: Path) -> None:
    # planned more than a year ahead: the interviews (R4) can still be held in time
    path = scenario_file(tmp_path, tiny(policy={"planning_date": "2024-04-01"}))
    res = run("validate", str(path), "--lang", "en")
    assert res.exit_code == 0, res.stderr
    assert f"{path}: valid scenario 'tiny'" in res.stdout
    assert "households: 3 (temporary rehousing 2, permanent rehousing 1)" in res.stdout
    assert "another department of the housing organisation 3 of which 3 vacant" in res.stdout
    assert "pavilion types: PT" in res.stdout
    assert "warnings: none" in res.stdout
    danish = run("validate", str(path))
    assert f"{path}: gyldigt scenarie 'tiny'" in danish.stdout
    assert "husstande: 3 (midlertidig genhusning 2, permanent genhusning 1)" in danish.stdout
    assert "advarsler: ingen" in danish.stdout


@pytest.mark.rule("R3", "violated")
def test_validate_shows_notice_warnings(tmp_path: Path) -> None:
    # the notice is due 3 months before the first move (2025-05-02), 4 months before the
    # works start: Friday 2025-01-31 either way; on 2025-02-15 it has passed
    scn = tiny(policy={"planning_date": "2025-02-15"})
    res = run("validate", str(scenario_file(tmp_path, scn)), "--lang", "en")
    assert res.exit_code == 0
    assert "stage S1: even the legal 3-month notice date 2025-01-31" in res.stdout
    assert "stage S1: R4: interviews are due a year before each move" in res.stdout
    danish = run("validate", str(scenario_file(tmp_path, scn)))
    assert "etape S1: selv den lovpligtige varslingsfrist på 3 måneder, 31. januar 2025" in (
        danish.stdout
    )


def test_validate_bad_input_exit_2_without_traceback(tmp_path: Path) -> None:
    path = bad_file(tmp_path)
    res = run("validate", str(path), "--lang", "en")
    assert res.exit_code == 2
    no_traceback(res)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert any(
        line.startswith(f"{path}: households[0].seniority_date: invalid date") for line in lines
    )
    assert any(
        line.startswith(f"{path}: households[1].dwelling: unknown dwelling 'NOPE'")
        for line in lines
    )
    assert lines[-1] == "2 problems in the input"


def test_input_problems_are_told_in_danish_by_default(tmp_path: Path) -> None:
    data = tiny().model_dump(mode="json")
    data["households"][0]["seniority_date"] = "fish"
    data["dwellings"][0]["rooms"] = 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    res = run("validate", str(path))
    assert res.exit_code == 2
    no_traceback(res)
    lines = res.stderr.splitlines()
    assert any(
        line.startswith(
            f"{path}: households[0].seniority_date: ugyldig dato 'fish' (forventet ÅÅÅÅ-MM-DD)"
        )
        for line in lines
    )
    assert any(
        line.startswith(f"{path}: dwellings[0].rooms: skal være mindst 1, fik 0") for line in lines
    )
    assert lines[-1] == "2 problemer i inputtet"
    english = run("validate", str(path), "--lang", "en").stderr
    assert "dwellings[0].rooms: must be greater than or equal to 1, got 0" in english


@pytest.mark.parametrize("name", ["missing.yaml", "scenario.txt"])
def test_validate_unreadable_file_exit_2(tmp_path: Path, name: str) -> None:
    if name.endswith(".txt"):
        (tmp_path / name).write_text("x")
    res = run("validate", str(tmp_path / name))
    assert res.exit_code == 2
    no_traceback(res)


# -- solve -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.OPTIMAL, 0),
        (Status.FEASIBLE, 0),
        (Status.INFEASIBLE, 1),
        (Status.NO_SOLUTION_IN_TIME, 3),
        (Status.MODEL_INVALID, 4),
    ],
)
def test_solve_exit_code_follows_the_status(
    tmp_path: Path, fakes: Fakes, status: Status, code: int
) -> None:
    fakes.status = status
    res = run("solve", str(scenario_file(tmp_path)), "--lang", "en")
    assert res.exit_code == code
    assert f"status     {label(status, 'en')}" in res.stdout
    assert "a warning from the solver" in res.stdout
    # the plan, if any, is checked once, with the objective the solver claims
    assert len(fakes.check_calls) == (1 if code == 0 else 0)
    # Danish by default: the same status in Danish words
    danish = run("solve", str(scenario_file(tmp_path)))
    assert re.search(rf"^status +{re.escape(label(status, 'da'))}$", danish.stdout, re.M)


def test_solve_summary_has_costs_and_kpis(tmp_path: Path, fakes: Fakes) -> None:
    res = run("solve", str(scenario_file(tmp_path)), "--lang", "en")
    assert res.exit_code == 0
    out = res.stdout
    for text in (
        f"objective  {OBJECTIVE:,.2f} DKK",
        "OR-Tools 9.x, seed 0, 2 workers",
        "Cost by category (DKK)",
        "Rent loss, empty dwellings",
        "Rehousing consultant",
        "Key figures",
        "Days withheld from the waiting list (R16)",
        "Stages",
    ):
        assert text in out
    total_row = next(line for line in out.splitlines() if line.startswith("│ total "))
    assert total_row.count(f"{BUDGET:,.2f}") == 2  # stage S1 and the total column


def test_solve_passes_the_options(tmp_path: Path, fakes: Fakes) -> None:
    args = ["--time-limit", "5", "--workers", "1", "--seed", "7", "--log", "--gap", "0"]
    args += ["--strategy", "cp-sat"]
    res = run("solve", str(scenario_file(tmp_path)), *args)
    assert res.exit_code == 0
    stop = fakes.solve_calls[0].pop("stop")  # the signal handlers' request
    assert callable(stop) and stop() is False
    assert fakes.solve_calls == [
        {
            "time_limit": 5.0,
            "num_workers": 1,
            "seed": 7,
            "log": True,
            "gap_limit": 0.0,
            "strategy": "cp-sat",
            "on_progress": None,
        }
    ]
    assert fakes.check_calls[0]["objective"] == OBJECTIVE


def test_solve_defaults(tmp_path: Path, fakes: Fakes) -> None:
    run("solve", str(scenario_file(tmp_path)))
    (call,) = fakes.solve_calls
    on_progress = call.pop("on_progress")
    assert callable(on_progress)  # the live progress line
    assert callable(call.pop("stop"))  # SIGINT and SIGTERM
    assert call == {
        "time_limit": 60.0,
        "num_workers": 2,
        "seed": 0,
        "log": False,
        "gap_limit": 0.001,
        "strategy": "lp-guided",
    }


def test_solve_json(tmp_path: Path, fakes: Fakes) -> None:
    res = run("solve", str(scenario_file(tmp_path)), "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["status"] == "OPTIMAL"
    assert Result.model_validate(data).plan == tiny_plan()


def test_solve_progress_on_stderr_unless_quiet(tmp_path: Path, fakes: Fakes) -> None:
    path = scenario_file(tmp_path)
    loud = run("solve", str(path), "--lang", "en")
    assert "loaded" in loud.stderr and "plan checked: 0 violations" in loud.stderr
    danish = run("solve", str(path))
    assert "indlæst" in danish.stderr and "plan tjekket: 0 brud" in danish.stderr
    quiet = run("solve", str(path), "--quiet", "--lang", "en")
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_solve_writes_outputs(tmp_path: Path, fakes: Fakes) -> None:
    out = tmp_path / "out" / "example"
    res = run("solve", str(scenario_file(tmp_path)), "--out", str(out))
    assert res.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "activities.csv",
        "activities.ics",
        "costs.png",
        "gantt.png",
        "households.csv",
        "letters",
        "plan.json",
        "pool.png",
        "report.html",
        "result.json",
        "result.xlsx",
        "stages.png",
    ]
    letters = sorted(p.name for p in (out / "letters").iterdir())
    assert "H1-opsigelse.md" in letters and "H1-tilbageflytning.html" in letters
    assert load_plan(out / "plan.json") == tiny_plan()
    assert Result.model_validate_json((out / "result.json").read_text()).status == Status.OPTIMAL
    table = pd.read_csv(out / "households.csv")
    assert list(table["household"]) == ["H1", "H2", "H3"]
    assert list(table.columns[:7]) == [
        "household",
        "name",
        "dwelling",
        "persons",
        "agreement",
        "stage",
        "mode",
    ]


def test_solve_without_plan_writes_result_and_removes_stale_plan(
    tmp_path: Path, fakes: Fakes
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("{}")
    (out / "households.csv").write_text("old")
    (out / "letters").mkdir()
    (out / "letters" / "H1-opsigelse.md").write_text("old")
    fakes.status = Status.INFEASIBLE
    res = run("solve", str(scenario_file(tmp_path)), "--out", str(out))
    assert res.exit_code == 1
    # no plan: only what describes the failed run (status report, workbook, JSON)
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html",
        "result.json",
        "result.xlsx",
        "stages.png",
    ]
    assert json.loads((out / "result.json").read_text())["status"] == "INFEASIBLE"


def test_solve_plan_failing_the_checker_is_exit_4_and_writes_nothing(
    tmp_path: Path, fakes: Fakes
) -> None:
    fakes.violations = [Violation("R2", "place O1", "two occupants on 2025-06-01")]
    out = tmp_path / "out"
    res = run("solve", str(scenario_file(tmp_path)), "--out", str(out), "--json", "--lang", "en")
    assert res.exit_code == 4
    assert "  - place O1: R2: two occupants on 2025-06-01\n" in res.stderr
    assert "failed the plan checker" in res.stderr
    assert res.stdout == ""
    assert not out.exists()


def test_solve_bad_input_exit_2_and_no_solve(tmp_path: Path, fakes: Fakes) -> None:
    res = run("solve", str(bad_file(tmp_path)))
    assert res.exit_code == 2
    no_traceback(res)
    assert fakes.solve_calls == []


@pytest.mark.parametrize("option", [["--time-limit", "0"], ["--workers", "-1"], ["--seed", "x"]])
def test_solve_bad_option_exit_2(tmp_path: Path, fakes: Fakes, option: list[str]) -> None:
    res = run("solve", str(scenario_file(tmp_path)), *option)
    assert res.exit_code == 2
    assert fakes.solve_calls == []


def test_solve_crash_is_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(scenario: Scenario, **kwargs: Any) -> Result:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_solve, "solve", crash)
    res = run("solve", str(scenario_file(tmp_path)), "--lang", "en")
    assert res.exit_code == 4
    assert "RuntimeError: boom" in res.stderr
    assert "internal error: the solver raised an exception" in res.stderr
    res = run("solve", str(scenario_file(tmp_path)))
    assert "intern fejl: løseren rejste en undtagelse" in res.stderr


def test_solve_unwritable_output_exit_2(tmp_path: Path, fakes: Fakes) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    res = run("solve", str(scenario_file(tmp_path)), "--out", str(blocker / "out"), "--lang", "en")
    assert res.exit_code == 2
    no_traceback(res)
    assert "cannot write the outputs" in res.stderr


# -- check -------------------------------------------------------------------------


def write_plan(tmp_path: Path, scn: Scenario) -> tuple[Path, Path]:
    res = make_result(scn, Status.OPTIMAL)
    assert res.plan is not None
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(res.plan.model_dump_json(indent=2))
    result_path = tmp_path / "result.json"
    result_path.write_text(result_to_json(res))
    return plan_path, result_path


def test_check_valid_plan_with_the_real_checker(tmp_path: Path) -> None:
    scn = tiny()
    plan_path, result_path = write_plan(tmp_path, scn)
    for path in (plan_path, result_path):
        res = run("check", str(scenario_file(tmp_path, scn)), str(path), "--lang", "en")
        assert res.exit_code == 0, res.stdout + res.stderr
        assert res.stdout.splitlines()[0] == "0 violations"
        assert f"recomputed total: DKK\xa0{BUDGET:,.2f}" in res.stdout
        danish = run("check", str(scenario_file(tmp_path, scn)), str(path))
        assert danish.stdout.splitlines()[0] == "0 brud"
        assert f"genberegnet i alt: {money(BUDGET)}" in danish.stdout


def test_check_prints_the_real_checkers_sentences(tmp_path: Path) -> None:
    scn = tiny()
    plan = tiny_plan(scn)
    h1 = plan.households[0].model_copy(update={"notice_date": scn.date_of(59)})
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(
        plan.model_copy(update={"households": [h1, *plan.households[1:]]}).model_dump_json()
    )
    res = run("check", str(scenario_file(tmp_path, scn)), str(plan_path), "--lang", "en")
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [
        "1 violation:",
        "  - household H1: R3: notice date 2025-03-01, expected 2025-01-31",
    ]


def test_check_violations_exit_1(tmp_path: Path, fakes: Fakes) -> None:
    fakes.violations = [
        Violation("R5", "household H1", "2 rooms for 5 persons (needs 3) (place O1)"),
        Violation("prices", "kpis.moves", "plan says 4, recomputed 5"),
    ]
    _, result_path = write_plan(tmp_path, tiny())
    res = run("check", str(scenario_file(tmp_path)), str(result_path), "--lang", "en")
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [
        "2 violations:",
        "  - household H1: R5: 2 rooms for 5 persons (needs 3) (place O1)",
        "  - kpis.moves: plan says 4, recomputed 5",
    ]
    assert fakes.check_calls[0]["objective"] == OBJECTIVE  # from result.json


def test_check_bad_files_exit_2_with_both_files_problems(tmp_path: Path, fakes: Fakes) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text('{"households": []}')
    res = run("check", str(bad_file(tmp_path)), str(plan_path))
    assert res.exit_code == 2
    no_traceback(res)
    assert "bad.yaml: households[0].seniority_date" in res.stderr
    assert f"{plan_path}: places: required field is missing" in res.stderr
    assert fakes.check_calls == []


# -- the README --------------------------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_scenario_example_is_valid(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.yaml"
    path.write_text(block, encoding="utf-8")
    res = run("validate", str(path), "--lang", "en")
    assert res.exit_code == 0, res.stderr
    assert "warnings: none" in res.stdout


def test_readme_documents_every_exit_code() -> None:
    text = README.read_text(encoding="utf-8")
    for code in cli.ExitCode:
        assert f"\n| {int(code)} | " in text


def test_template_writes_a_workbook_that_validates(tmp_path: Path) -> None:
    book = tmp_path / "sag.xlsx"
    res = run("template", str(book))
    assert res.exit_code == 0
    assert book.exists()
    assert run("validate", str(book)).exit_code == 0


def test_template_from_a_scenario_round_trips(tmp_path: Path) -> None:
    book = tmp_path / "sag.xlsx"
    source = scenario_file(tmp_path)
    assert run("template", str(book), "--from", str(source)).exit_code == 0
    assert load_scenario(book) == load_scenario(source)


def test_generate_writes_the_bundled_example_bit_for_bit(tmp_path: Path) -> None:
    out = tmp_path / "example.yaml"
    res = run("generate", "--size", "example", "--seed", "0", "--out", str(out))
    assert res.exit_code == 0
    bundled = Path(__file__).parent.parent / "scenarios" / "example.yaml"
    written = out.read_text(encoding="utf-8").splitlines()
    expected = bundled.read_text(encoding="utf-8").splitlines()
    assert written[0] == expected[0].replace("scenarios/example.yaml", str(out))  # the command
    assert written[1:] == expected[1:]


def test_generate_report_exit_code(tmp_path: Path) -> None:
    res = run("generate", "--size", "S", "--seed", "1", "--report")
    assert res.exit_code == 0
    assert "E1" in res.stdout


def test_generate_writes_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    res = run("generate", "--size", "S", "--seed", "4", "--out", str(out), "--report")
    assert res.exit_code == 0
    assert "plausibly feasible" in res.stdout
    loaded = Scenario.model_validate(yaml.safe_load(out.read_text(encoding="utf-8")))
    assert loaded.model_dump(mode="json") == generate("S", 4).model_dump(mode="json")
