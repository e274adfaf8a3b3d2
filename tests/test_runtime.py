"""Runs stop when asked and keep their limits (issue 17, issue 14's interrupts).

A stop request ends the whole search with its best plan (library); SIGINT
and SIGTERM are such a request (CLI, exit 5); options are validated; the
output directory is claimed before the search and never shared by two runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from allocator import cli
from allocator.bound.lagrange import lagrangian_bound
from allocator.bound.milp import solve_proto
from allocator.cli.common import ExitCode
from allocator.cpsat.instance import build_instance
from allocator.cpsat.model import RehousingModel
from allocator.generate import SizeSpec, generate
from allocator.heuristics.portfolio import solve_portfolio
from allocator.io.load import load_scenario
from allocator.io.write import DirectoryBusy, claim_directory
from allocator.plan.check import check_plan
from allocator.solving import single
from allocator.solving.entry import solve
from allocator.solving.progress import Progress
from models.plan import Status
from models.scenario import Scenario
from tests.tiny import tiny

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "scenarios" / "example.yaml"


def run(*args: str) -> tuple[int, str]:
    """``genhus`` in this process: exit code and stderr."""
    result = CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


# -- the library: a stop request -------------------------------------------------------


def test_stop_keeps_the_first_plan_and_ends_the_search() -> None:
    """Stopped at its first plan, a search with 60 s and no gap ends at once with that plan."""
    scenario = generate("S", 0)
    event = threading.Event()
    found: list[Progress] = []

    def first(p: Progress) -> None:
        found.append(p)
        event.set()

    started = time.perf_counter()
    result = solve(scenario, time_limit=60, gap_limit=0.0, on_progress=first, stop=event.is_set)
    assert time.perf_counter() - started < 20
    assert result.plan is not None and result.objective is not None
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert found and result.objective <= found[0].objective + 0.01
    assert "stopped on request" in result.warnings[-1]
    assert check_plan(scenario, result.plan, objective=result.objective).ok


def test_a_search_without_a_plan_in_time_gives_the_greedy_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # as on XL, whose LP outlasts the time limit: no plan from the search
    def nothing(outcome: single.Outcome) -> single.Outcome:
        return single.Outcome(Status.NO_SOLUTION_IN_TIME, runtime=outcome.runtime, notes=["LP"])

    real = single.solve_instance
    monkeypatch.setattr(single, "solve_instance", lambda *a, **k: nothing(real(*a, **k)))
    scenario = generate("S", 0)
    result = solve(scenario, time_limit=30)
    assert result.status is Status.FEASIBLE and result.solver.strategy == "greedy"
    assert result.plan is not None and result.bound is None
    assert check_plan(scenario, result.plan, objective=result.objective).ok
    assert "LP" in result.warnings
    assert any("no plan within the time limit" in w for w in result.warnings)
    stopped = solve(scenario, time_limit=30, stop=lambda: True)  # a stop keeps "no plan"
    assert stopped.plan is None


def test_stop_before_the_search_gives_no_plan() -> None:
    result = solve(tiny(), time_limit=60, stop=lambda: True)
    assert result.status is Status.NO_SOLUTION_IN_TIME and result.plan is None
    assert result.warnings[-1].startswith("stopped on request")


def test_no_stop_request_changes_nothing() -> None:
    plain = solve(tiny(), time_limit=10, num_workers=1, gap_limit=0.0)
    asked = solve(tiny(), time_limit=10, num_workers=1, gap_limit=0.0, stop=lambda: False)
    assert asked.plan == plain.plan and asked.objective == plain.objective
    assert asked.warnings == plain.warnings


def test_highs_and_the_lagrangian_loop_see_the_stop() -> None:
    instance = build_instance(tiny())
    lp = solve_proto(RehousingModel(instance).model.proto, relax=True, stop=lambda: True)
    assert lp.status.startswith("ERROR") and lp.values is None
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked >= 3

    bound = lagrangian_bound(instance, time_limit=60, stop=stop)
    assert bound.iterations == 3


@pytest.mark.parametrize("bad", [{"time_limit": float("nan")}, {"gap_limit": float("inf")}])
def test_solve_refuses_non_finite_limits(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="limit"):
        solve(tiny(), **bad)


# -- the command: signals ----------------------------------------------------------------


def _leftovers(directory: Path) -> list[Path]:
    """Temporary files of atomic writes (``.name.xxx.tmp``) left in ``directory``."""
    return [p for p in directory.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_search_and_keeps_the_best_plan(tmp_path: Path, sig: int) -> None:
    """One signal during the search: prompt exit 5, the checked plan written, or nothing."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "allocator.cli", "solve", str(EXAMPLE), "--out", str(out)]
    # CP-SAT alone on the whole model: the LP-guided search proves the example's
    # optimum in about 2 s, before the signal would come
    cmd += ["--time-limit", "120", "--gap", "0", "--workers", "1", "--lang", "en"]
    cmd += ["--strategy", "cp-sat"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert proc.stderr is not None
    started = time.perf_counter()
    lines: list[str] = []
    searching = threading.Event()

    def read(stream: IO[bytes]) -> None:
        for raw in stream:
            lines.append(raw.decode())
            if lines[-1].startswith("solving ("):
                searching.set()

    reader = threading.Thread(target=read, args=(proc.stderr,), daemon=True)
    reader.start()
    assert searching.wait(60), "".join(lines)
    time.sleep(2.5)  # building, the LP, and on a quiet machine a first plan
    signalled = time.perf_counter() - started
    proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the run did not stop within 60 s of the signal")
    reader.join(5)
    message = "".join(lines)
    assert proc.returncode == ExitCode.STOPPED, message
    assert "Traceback" not in message
    assert f"{signal.Signals(sig).name}: stopping" in message
    assert not _leftovers(tmp_path)
    if (out / "result.json").exists():
        result = json.loads((out / "result.json").read_text(encoding="utf-8"))
        # the search ended within seconds of the signal, not at its limit
        assert result["runtime"] < signalled + 5, (result["runtime"], signalled)
        assert "stopped on request" in result["warnings"][-1]
        scenario = load_scenario(EXAMPLE)
        assert result["plan"] is not None
        code, text = run("check", str(EXAMPLE), str(out / "plan.json"))
        assert code == 0, text
        assert "the best plan found so far, written to" in message
        assert len(scenario.households) == len(result["plan"]["households"])
    else:
        assert not out.exists(), "nothing written means no directory either"
        assert "nothing written" in message


# -- the command: options and the output directory ---------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--gap", "nan"],
        ["--gap", "inf"],
        ["--gap", "-1"],
        ["--time-limit", "nan"],
        ["--time-limit", "inf"],
        ["--time-limit", "0"],
        ["--workers", "100000"],
    ],
)
def test_bad_options_are_refused(tmp_path: Path, option: list[str]) -> None:
    code, text = run("solve", str(EXAMPLE), *option)
    assert code == ExitCode.BAD_INPUT
    assert f"Invalid value for '{option[0]}'" in text
    assert "Traceback" not in text


def test_an_unwritable_out_is_refused_before_the_search(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    started = time.perf_counter()
    code, text = run("solve", str(EXAMPLE), "--out", str(blocker / "out"), "--lang", "en")
    assert code == ExitCode.BAD_INPUT
    assert f"{blocker / 'out'}: cannot write the outputs here" in text
    assert "solving" not in text
    assert time.perf_counter() - started < 10


def test_two_runs_never_share_an_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with claim_directory(out):
        assert out.is_dir()
        with pytest.raises(DirectoryBusy), claim_directory(out):
            pass
        code, text = run(
            "solve", str(EXAMPLE), "--out", str(out), "--time-limit", "5", "--lang", "en"
        )
        assert code == ExitCode.BAD_INPUT
        assert "another genhus run is writing to this directory" in text
        assert "solving" not in text
    assert not out.exists(), "a directory the claim made and nothing was written to goes"
    with claim_directory(out):  # released
        (out / "kept").write_text("x", encoding="utf-8")
    assert [p.name for p in out.iterdir()] == ["kept"]


def test_generate_into_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    code, text = run("generate", "--size", "S", "--out", str(tmp_path / "no" / "s.yaml"))
    assert code == ExitCode.BAD_INPUT
    assert str(tmp_path / "no") in text and "Traceback" not in text


# -- the decomposition: stops and time limits ---------------------------------------------


@pytest.fixture(scope="module")
def portfolio_of_three() -> Scenario:
    """Three departments of 30 households each (as in tests/test_portfolio.py)."""
    spec = SizeSpec(households=90, stages=3, org_stock=1_200, merges=6, departments=3)
    return generate(spec, 0)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the group models the decomposition builds."""
    built: list[str] = []
    real = single.solve_single

    def counted(scn: Scenario, *args: Any, **kwargs: Any) -> single.Solved:
        built.append(scn.name)
        return real(scn, *args, **kwargs)

    monkeypatch.setattr("allocator.solving.single.solve_single", counted)
    return built


def test_a_stopped_decomposition_builds_no_model_and_keeps_a_whole_plan(
    portfolio_of_three: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _counting(monkeypatch)
    result = solve_portfolio(portfolio_of_three, time_limit=60, group_size=30, stop=lambda: True)
    assert built == []
    assert result.plan is not None
    assert check_plan(portfolio_of_three, result.plan, result.objective).ok
    assert "no lower bound: the run was stopped on request" in result.warnings


def test_a_decomposition_out_of_time_builds_no_more_models(
    portfolio_of_three: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every group built its model, each over its 1 s (P at 5 s: 624 s)."""
    built = _counting(monkeypatch)
    started = time.perf_counter()
    result = solve_portfolio(portfolio_of_three, time_limit=0.01, group_size=30, bound_share=0)
    assert built == []  # the greedy reference plan alone takes longer than 0.01 s
    assert sum("no time left for a model" in w for w in result.warnings) == 3
    assert result.plan is not None
    assert check_plan(portfolio_of_three, result.plan, result.objective).ok
    assert time.perf_counter() - started < 30


def test_the_time_limit_covers_building_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building took 2 of the 4 s: the search gets the 2 s left (before: all 4 s)."""
    real = single.build_instance

    def slow(*args: Any, **kwargs: Any) -> Any:
        built = real(*args, **kwargs)
        time.sleep(2.0)
        return built

    monkeypatch.setattr(single, "build_instance", slow)
    scenario = load_scenario(EXAMPLE)  # not proven optimal within 2 s of search
    result = solve(scenario, time_limit=4, num_workers=1, gap_limit=0.0, strategy="cp-sat")
    assert result.solver.build_seconds >= 2.0
    assert result.runtime < 3.0, result.runtime
    assert result.solver.time_limit == 4  # as asked


def test_a_stop_during_the_lp_returns_at_once() -> None:
    """HiGHS checks its interrupt seldom (presolve never): the caller stops waiting."""
    model = RehousingModel(build_instance(load_scenario(EXAMPLE)))
    started = time.perf_counter()
    said: list[float] = []

    def stop() -> bool:
        now = time.perf_counter()
        if now > started + 0.2:
            said.append(now)
            return True
        return False

    lp = solve_proto(model.model.proto, relax=True, time_limit=60, stop=stop)
    if lp.status != "OPTIMAL":  # not finished within 0.2 s: stopped at once
        assert lp.status == "ERROR (stopped on request)" and lp.values is None
        assert time.perf_counter() - said[0] < 0.5
