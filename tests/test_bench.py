"""The benchmark's results file: its stored measurements survive a re-render."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import cast

import pytest

from bench.figures import reached
from bench.measure import one_worker_cases, run_child
from bench.records import MEASUREMENTS, ONE_WORKER, BenchData, CaseSpec, Invocation, Run, load
from bench.report import render
from bench.run import main

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "RESULTS.md"


def test_render_keeps_the_measurements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "RESULTS.md"
    shutil.copy(RESULTS, out)
    stored = load(RESULTS)
    assert stored["sizes"], "bench/RESULTS.md holds measurements"
    assert main(["--render", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# genhus benchmark results")
    assert load(out) == stored
    # the terminal gets the three tables, one row per size in each, and the
    # one-worker sweep's table if the file holds a sweep
    tables = capsys.readouterr().out
    assert tables.count("**") == 6 + (2 if stored.get("one_worker") else 0)
    assert ("**One worker, default gap limit**" in tables) == bool(stored.get("one_worker"))
    swept = [case.get("case") for case in (stored.get("one_worker") or {}).get("cases", [])]
    for size in stored["sizes"]:
        assert tables.count(f"\n| {size} |") == 3 + swept.count(size)


def test_render_without_measurements(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# nothing measured yet\n", encoding="utf-8")
    assert main(["--render", "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "# nothing measured yet\n"


# -- issue 16: targets, plan digests, the one-worker sweep ---------------------------


def _invocation(
    id_: int, sizes: list[str], measurements: list[str], **settings: float
) -> Invocation:
    return {
        "id": id_,
        "command": "python -m bench.run (synthetic)",
        "date": "2026-01-01T00:00:00+00:00",
        "seconds": 1.0,
        "sizes": sizes,
        "settings": {
            "repeats": 2,
            "time_limit": settings.get("time_limit", 60.0),
            "workers": int(settings.get("workers", 2)),
            "seed": 0,
            "grace": 120.0,
            "measurements": measurements,
        },
        "machine": {
            "cpu": "test",
            "cores": 2,
            "usable_cores": 2,
            "ram_gb": 1.0,
            "os": "test",
            "load_before": [0.0, 0.0, 0.0],
        },
        "versions": {"python": "3", "ortools": "9", "genhus": "0", "commit": "abc"},
    }


def _run(measurement: str, repeat: int, **figures: object) -> Run:
    """A synthetic run: a valid plan proven optimal in 1 s unless ``figures`` say otherwise."""
    kind, gap_limit = MEASUREMENTS.get(measurement, (measurement, 0.001))
    run: dict[str, object] = {
        "households": 60,
        "candidates": 100,
        "stages": 2,
        "status": "OPTIMAL",
        "objective": 1000.0,
        "bound": 1000.0,
        "gap": 0.0,
        "solve_seconds": 1.0,
        "build_seconds": 0.1,
        "checked": True,
        "violations": [],
        "wall_seconds": 2.0,
        "peak_mb": 150.0,
        "timeout": False,
        "exit_code": 0,
        "measurement": measurement,
        "kind": kind,
        "gap_limit": gap_limit,
        "repeat": repeat,
    }
    run.update(figures)
    return cast(Run, run)


def _targets16(data: BenchData) -> dict[str, tuple[str, str]]:
    """target -> (verdict, figures) from the "Targets of issue 16" table of the rendering."""
    text = render(data)[1]
    section = text.split("## Targets of issue 16", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ")][1:]
    return {row[0][2:]: (row[1], row[2].removesuffix(" |")) for row in rows}


def _verdict(targets: dict[str, tuple[str, str]], start: str) -> tuple[str, str]:
    (found,) = [v for target, v in targets.items() if target.startswith(start)]
    return found


def _sized(runs: dict[str, list[Run]], **settings: float) -> BenchData:
    return {
        "invocations": [_invocation(1, list(runs), list(MEASUREMENTS), **settings)],
        "sizes": {size: {"invocation": 1, "runs": size_runs} for size, size_runs in runs.items()},
    }


def test_issue16_section_comes_first_and_old_runs_have_no_digest() -> None:
    text = render(load(RESULTS))[1]
    assert text.index("## Targets of issue 16") < text.index("## Targets of issue 3")
    stored = load(RESULTS)
    targets = _targets16(stored)
    verdict, figures = _verdict(targets, "reproducible by default")
    runs = [r for entry in stored["sizes"].values() for r in entry["runs"]]
    if not any(r.get("plan_digest") for r in runs):  # results from before the digests
        assert verdict == "not recorded"
    assert "tests/test_reproducible.py" in figures


def test_reproducibility_compares_the_plan_digests() -> None:
    same = {"S": [_run("genhus-opt", k, plan_digest="a" * 64) for k in (1, 2, 3)]}
    verdict, figures = _verdict(_targets16(_sized(same)), "reproducible by default")
    assert verdict == "met"
    assert "S genhus-opt: the same plan 3/3 (sha256 aaaaaaaaaaaa, 1,000.00 DKK)" in figures

    differ = {
        "S": [_run("genhus-opt", k, plan_digest="a" * 64) for k in (1, 2)]
        + [_run("genhus-opt", 3, plan_digest="b" * 64)],
        "M": [_run("genhus-1pct", k, plan_digest="c" * 64) for k in (1, 2)],
    }
    verdict, figures = _verdict(_targets16(_sized(differ)), "reproducible by default")
    assert verdict == "NOT met (S genhus-opt)"
    assert "2× aaaaaaaaaaaa (1,000.00 DKK), 1× bbbbbbbbbbbb" in figures
    assert "(status OPTIMAL 3/3)" in figures
    # the same plan at a different cost is not the same outcome either
    cost = {
        "S": [
            _run("genhus-opt", 1, plan_digest="a" * 64),
            _run("genhus-opt", 2, plan_digest="a" * 64, objective=999.0),
        ]
    }
    assert _verdict(_targets16(_sized(cost)), "reproducible")[0] == "NOT met (S genhus-opt)"
    # a plan without a digest: a run from before the digests
    old = {"S": [_run("genhus-opt", k) for k in (1, 2)]}
    verdict, figures = _verdict(_targets16(_sized(old)), "reproducible by default")
    assert verdict == "not recorded"
    assert "not recorded (run before plans had a digest): S genhus-opt" in figures


def test_optimality_ratio_is_judged_on_s_example_m_and_l() -> None:
    def size(genhus_s: float, highs_s: float) -> list[Run]:
        return [
            _run("genhus-opt", 1, solve_seconds=genhus_s),
            _run("highs-opt", 1, solve_seconds=highs_s),
        ]

    # XL is later than HiGHS but not one of the four sizes
    runs = {"S": size(0.5, 1.0), "example": size(2.0, 4.0), "XL": size(9.0, 1.0)}
    verdict, figures = _verdict(_targets16(_sized(runs)), "optimality no later than HiGHS")
    assert verdict == "undetermined; not measured: M, L"
    assert figures == "S: 0.50; example: 0.50; M: not measured; L: not measured"
    runs |= {"M": size(3.0, 2.0), "L": size(1.0, 1.0)}
    verdict, figures = _verdict(_targets16(_sized(runs)), "optimality no later than HiGHS")
    assert verdict == "NOT met (M)"
    assert "M: 1.50; L: 1.00" in figures
    runs["M"] = size(2.0, 2.0)
    assert _verdict(_targets16(_sized(runs)), "optimality no later")[0] == "met"


def test_xl_and_p_targets() -> None:
    runs = {
        "XL": [_run("genhus-opt", 1, solve_seconds=400.0)],
        "P": [
            _run(
                "genhus-opt",
                1,
                status="FEASIBLE",
                gap=0.004,
                bound=996.0,
                wall_seconds=550.0,
                peak_mb=2500.0,
            )
        ],
    }
    targets = _targets16(_sized(runs, time_limit=600.0))
    assert _verdict(targets, "XL proven optimal")[0] == "met"
    assert _verdict(targets, "P within 1 %")[0] == "met"
    assert _verdict(targets, "peak memory on P") == ("NOT met", "genhus-opt peak 2,500 MB")
    # a shorter run that did not prove optimality cannot judge the 10 minutes
    runs["XL"] = [_run("genhus-opt", 1, status="FEASIBLE", gap=0.01, solve_seconds=300.0)]
    verdict = _verdict(_targets16(_sized(runs, time_limit=300.0)), "XL proven optimal")[0]
    assert verdict == "undetermined (time limit 300 s < 600 s)"
    assert _verdict(_targets16(_sized({"S": [_run("genhus-opt", 1)]})), "XL")[0] == "not measured"


def _case(name: str, households: int, **figures: object) -> Run:
    fields: CaseSpec = {"households": households, "stages": 1, "org_stock": 400, "merges": 2}
    figures = {"call_seconds": 3.0, "households": households, "stages": 1} | figures
    return _run(ONE_WORKER, 1, case=name, size_spec=fields, seed=1, **figures)


def test_sweep_is_rendered_and_judged() -> None:
    data = _sized({"S": [_run("genhus-opt", 1)]})
    data["invocations"].append(_invocation(2, [], [ONE_WORKER], workers=1, time_limit=10.0))
    data["one_worker"] = {
        "invocation": 2,
        "cases": [
            _case("gen-20", 20),
            _case("gen-30", 30, status="FEASIBLE", gap=0.005, bound=995.0, call_seconds=10.2),
            _case("gen-40", 40, status="OPTIMAL", call_seconds=12.5),  # far past the limit
            _case("gen-50", 50, violations=["R3: household 7 has no dwelling"]),
            {
                "status": "REFUSED",
                "refused": "more vacancies than addresses",
                "case": "gen-60",
                "size_spec": {"households": 60, "stages": 1, "org_stock": 400, "merges": 5},
                "seed": 5,
                "measurement": ONE_WORKER,
                "repeat": 1,
                "wall_seconds": 1.0,
                "peak_mb": 100.0,
            },
        ],
    }
    terminal, text = render(data)
    verdict, figures = _verdict(_targets16(data), "one worker is not weak")
    assert verdict == "NOT met (gen-30, gen-40, gen-50)"
    assert figures.startswith("1/4 cases (20–60 households) proved 0.1 % with a valid plan")
    assert "refused by the generator (not run): gen-60: more vacancies than addresses" in figures
    assert "not reached: gen-30 (FEASIBLE, gap 0.5000 %, 10.2 s, check ok), gen-40" in figures
    assert "gen-50 (OPTIMAL, gap 0.0000 %, 3.00 s, check 1 violations)" in figures
    sweep = text.split("## One worker on generated cases", 1)[1].split("\n## ", 1)[0]
    rows = {line.split(" | ")[0][2:]: line for line in sweep.splitlines() if "| gen-" in line}
    assert list(rows) == ["gen-20", "gen-30", "gen-40", "gen-50", "gen-60"]
    assert "| 0.5000 % |" in rows["gen-30"] and "| NO |" in rows["gen-30"]
    assert "| yes | ok |" in rows["gen-20"]
    assert "| NO | 1 violations |" in rows["gen-50"]
    assert "more vacancies than addresses" in rows["gen-60"]
    assert "### Run 2: one-worker sweep (5 cases)" in text
    assert "1 CP-SAT worker, the default solver seed and gap limit" in text
    assert "**One worker, default gap limit**" in terminal
    # a sweep alone renders, and is kept by a re-render
    alone: BenchData = {"invocations": [data["invocations"][1]], "sizes": {}}
    alone["one_worker"] = data["one_worker"]
    assert "NOT met (gen-30" in render(alone)[1]


def test_one_worker_case_list() -> None:
    cases = one_worker_cases()
    assert len(cases) == 20
    households = [fields["households"] for _, _, fields in cases]
    assert households == sorted(households) and households[0] == 20 and max(households) == 300
    assert {name for name, _, _ in cases} >= {"S", "example", "M"}
    for _, spec, fields in cases:
        assert spec["workers"] == 1 and spec["gap"] is None and spec["time_limit"] == 10
        assert 1 <= fields["stages"] <= 4


def test_one_worker_sweep_runs_a_real_case(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    shutil.copy(RESULTS, out)
    before = load(out)
    assert main(["--one-worker", "--cases", "1", "--out", str(out)]) == 0
    after = load(out)
    assert after["sizes"] == before["sizes"]  # the sizes are kept
    (case,) = after["one_worker"]["cases"]
    assert case["case"] == "gen-20" and case["households"] == 20
    assert case["checked"] and case["violations"] == []
    assert case["gap_limit"] == 0.001  # the default of solve, recorded
    assert case["reached"] is reached(case)
    assert case["status"] == "OPTIMAL" and case["reached"]
    # the digest is the plan's: the same case solved again gives the same plan
    _, spec, _ = one_worker_cases()[0]
    again = run_child(spec, 60.0)
    assert again["plan_digest"] == case["plan_digest"]
    assert again["objective"] == case["objective"]
    inv = next(i for i in after["invocations"] if i["id"] == after["one_worker"]["invocation"])
    assert inv["settings"]["workers"] == 1 and inv["settings"]["measurements"] == [ONE_WORKER]
    assert main(["--one-worker", "--cases", "0", "--out", str(out)]) == 2
