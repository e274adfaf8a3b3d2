"""Running the measurements: one fresh process each, and where they ran.

:func:`run_child` starts ``python -m bench.run --child SPEC`` and waits for
it, reading its peak memory with ``os.wait4`` (which also works for a run
killed at its timeout); in that process :func:`child` generates the
scenario, runs the greedy planner, genhus or HiGHS, and checks the plan.
:func:`machine` and :func:`versions` describe the machine and the code.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.figures import ONE_WORKER_SECONDS
from bench.records import ONE_WORKER, CaseSpec, ChildSpec, Machine, Run, Spec, Versions

if TYPE_CHECKING:
    from models.plan import Plan
    from models.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent


# -- the child: one measurement ----------------------------------------------------


def child(spec: ChildSpec) -> None:
    """Run one measurement and write its result as JSON to ``spec["out"]``."""
    result: Run = {}
    try:
        from allocator.generate import SizeSpec, generate

        started = time.perf_counter()
        case = spec.get("case")
        size = spec["size"] if case is None else SizeSpec(**case)
        try:
            scenario = generate(size, int(spec["seed"]))
        except ValueError as exc:  # a spec the generator refuses: say why, run nothing
            result.update({"status": "REFUSED", "refused": str(exc)})
            Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")
            return
        result["generate_seconds"] = time.perf_counter() - started
        result["households"] = len(scenario.households)
        result["candidates"] = sum(d.stage is None for d in scenario.dwellings)
        result["stages"] = len(scenario.stages)
        kind = spec["kind"]
        if kind == "greedy":
            result.update(_greedy(scenario))
        elif kind == "genhus":
            result.update(_genhus(scenario, spec))
        elif kind == "highs-plain":
            result.update(_highs(scenario, spec, cuts=False))
        elif kind == "highs":
            result.update(_highs(scenario, spec))
        elif kind == ONE_WORKER:
            result.update(_one_worker(scenario, spec))
        else:
            raise ValueError(f"unknown measurement kind {kind!r}")
    except Exception:
        result["error"] = traceback.format_exc(limit=8)
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")


def _gap(spec: Spec) -> float:
    gap = spec["gap"]
    assert gap is not None, "genhus and HiGHS measurements have a gap limit"
    return float(gap)


def _checked(scenario: Scenario, plan: Plan, objective: float | None) -> Run:
    from allocator.plan.check import check_plan

    started = time.perf_counter()
    report = check_plan(scenario, plan, objective)
    cost = None if report.pricing is None else report.pricing.objective_ore / 100
    return {
        "checked": True,
        "violations": report.messages,
        "check_seconds": time.perf_counter() - started,
        "priced_cost": cost,
    }


def _greedy(scenario: Scenario) -> Run:
    try:
        from allocator.heuristics.greedy import greedy_plan
    except ImportError as exc:  # greedy not written yet: the columns say n/a
        return {"available": False, "status": "n/a", "reason": repr(exc)}
    started = time.perf_counter()
    try:
        plan = greedy_plan(scenario)
    except Exception as exc:  # GreedyFailed or a bug: report, don't crash the bench
        return {
            "available": True,
            "status": "FAILED",
            "reason": f"{type(exc).__name__}: {exc}"[:2000],
            "solve_seconds": time.perf_counter() - started,
        }
    out: Run = {
        "available": True,
        "status": "PLAN",
        "solve_seconds": time.perf_counter() - started,
    }
    out.update(_checked(scenario, plan, None))
    out["objective"] = out["priced_cost"]
    return out


def _genhus(scenario: Scenario, spec: Spec) -> Run:
    return _solved(
        scenario,
        time_limit=float(spec["time_limit"]),
        num_workers=int(spec["workers"]),
        seed=int(spec["seed"]),
        gap_limit=_gap(spec),
    )


def _one_worker(scenario: Scenario, spec: Spec) -> Run:
    """``solve`` with one worker and the defaults otherwise (solver seed, gap limit)."""
    from allocator.solving.entry import solve

    default_gap = inspect.signature(solve).parameters["gap_limit"].default
    started = time.perf_counter()
    out = _solved(scenario, time_limit=float(spec["time_limit"]), num_workers=1)
    out["call_seconds"] = time.perf_counter() - started
    out["gap_limit"] = float(default_gap)
    return out


def _solved(scenario: Scenario, **options: Any) -> Run:
    """Solve with ``options``, record the figures and a digest of the plan, check the plan."""
    from allocator.solving.entry import solve
    from allocator.solving.progress import Progress

    trajectory: list[list[float]] = []

    def progress(p: Progress) -> None:
        trajectory.append([p.elapsed, p.objective, p.bound])

    result = solve(scenario, on_progress=progress, **options)
    out: Run = {
        "status": str(result.status),
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "solve_seconds": result.runtime,
        "build_seconds": result.solver.build_seconds,
        "variables": result.solver.variables,
        "constraints": result.solver.constraints,
        "warnings": result.warnings[:5],
        "trajectory": trajectory,
        "checked": False,
    }
    if result.plan is not None:
        out["plan_digest"] = plan_digest(result.plan)
        out.update(_checked(scenario, result.plan, result.objective))
    return out


def plan_digest(plan: Plan) -> str:
    """The sha256 of the plan's JSON: equal for equal plans, field for field."""
    return hashlib.sha256(plan.model_dump_json().encode("utf-8")).hexdigest()


def _highs(scenario: Scenario, spec: Spec, *, cuts: bool = True) -> Run:
    from allocator.bound.milp import solve_proto
    from allocator.cpsat.extract import extract
    from allocator.cpsat.instance import ModelTooLarge, build_instance
    from allocator.cpsat.model import RehousingModel
    from allocator.plan.pricing import build_plan
    from allocator.solving.settings import MAX_NODES

    started = time.perf_counter()
    try:  # the same size limit as genhus: the same model or none
        instance = build_instance(scenario, max_nodes=MAX_NODES)
    except ModelTooLarge as exc:
        return {
            "status": "TOO_LARGE",
            "warnings": [str(exc)],
            "build_seconds": time.perf_counter() - started,
            "checked": False,
        }
    model = RehousingModel(instance, cuts=cuts)
    proto = model.model.proto
    build = time.perf_counter() - started
    gap = _gap(spec)
    started = time.perf_counter()
    outcome = solve_proto(
        proto, time_limit=float(spec["time_limit"]), threads=int(spec["workers"]), gap_limit=gap
    )
    wall = time.perf_counter() - started
    objective = None if outcome.objective is None else outcome.objective / 100
    bound = None if outcome.bound is None else outcome.bound / 100
    if outcome.status == "OPTIMAL" and gap > 0:
        bound = None  # solve_proto gives the objective as bound; HiGHS proved only `gap`
    rel_gap = None
    if objective is not None and bound is not None:
        rel_gap = max(0.0, (objective - bound) / max(abs(objective), 1e-9))
    out: Run = {
        "status": outcome.status,
        "objective": objective,
        "bound": bound,
        "gap": rel_gap,
        "solve_seconds": wall,  # translation into HiGHS's model + HiGHS's run
        "highs_run_seconds": outcome.runtime,
        "build_seconds": build,
        "variables": len(proto.variables),
        "constraints": len(proto.constraints),
        "checked": False,
    }
    if outcome.values is not None:
        values = outcome.values
        try:
            households, places = extract(model, lambda var: round(values[var.index]))
            plan = build_plan(scenario, households, places)
        except Exception:  # a solution genhus cannot decode: report, not a plan
            out["extract_error"] = traceback.format_exc(limit=6)
        else:
            out.update(_checked(scenario, plan, objective))
    return out


# -- the parent: run children ------------------------------------------------------

#: Households of the generated cases of the one-worker sweep (besides S, example, M).
SWEEP_HOUSEHOLDS = (20, 30, 40, 50, 70, 90, 110, 130, 150, 170, 190, 210, 230, 250, 270, 290, 300)


def one_worker_cases() -> list[tuple[str, Spec, CaseSpec]]:
    """The cases of the one-worker sweep, fewest households first.

    The presets S, example and M (seed 0), and for each of
    :data:`SWEEP_HOUSEHOLDS` a generated case with ``min(4, 1 + h // 80)``
    stages, an organisation of ``max(400, 10 h)`` dwellings and ``max(1,
    round(0.08 h))`` merges, seeds 1, 2, ... Each case is (name, what the
    child runs, its :class:`~allocator.generate.SizeSpec` fields).
    """
    from allocator.generate import SIZES

    cases: list[tuple[str, Spec, CaseSpec]] = []
    for name in ("S", "example", "M"):
        preset = SIZES[name]
        fields: CaseSpec = {
            "households": preset.households,
            "stages": preset.stages,
            "org_stock": preset.org_stock,
            "merges": preset.merges,
        }
        cases.append((name, _one_worker_spec(name, 0), fields))
    for seed, h in enumerate(SWEEP_HOUSEHOLDS, start=1):
        fields = {
            "households": h,
            "stages": min(4, 1 + h // 80),
            "org_stock": max(400, 10 * h),
            "merges": max(1, round(0.08 * h)),
        }
        name = f"gen-{h}"
        cases.append((name, {**_one_worker_spec(name, seed), "case": fields}, fields))
    return sorted(cases, key=lambda case: case[2]["households"])


def _one_worker_spec(size: str, seed: int) -> Spec:
    return {
        "kind": ONE_WORKER,
        "size": size,
        "seed": seed,
        "time_limit": ONE_WORKER_SECONDS,
        "workers": 1,
        "gap": None,
    }


def run_child(spec: Spec, timeout: float) -> Run:
    """Run one measurement in a fresh interpreter, kill it after ``timeout`` s."""
    with tempfile.TemporaryDirectory(prefix="genhus-bench-") as tmp:
        out = Path(tmp) / "result.json"
        log = Path(tmp) / "child.log"
        child_spec: ChildSpec = {**spec, "out": str(out)}
        cmd = [sys.executable, "-m", "bench.run", "--child", json.dumps(child_spec)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        started = time.perf_counter()
        timed_out = False
        with log.open("wb") as fh:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)
            deadline = time.monotonic() + timeout
            try:
                while True:
                    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                    if pid:
                        break
                    if time.monotonic() > deadline:
                        proc.kill()
                        pid, status, usage = os.wait4(proc.pid, 0)
                        timed_out = True
                        break
                    time.sleep(0.05)
            except BaseException:  # e.g. Ctrl-C: don't leave the child running
                proc.kill()
                proc.wait()
                raise
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        run: Run = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        run.update(
            {
                "wall_seconds": wall,
                "peak_mb": usage.ru_maxrss / 1024,  # KiB on Linux
                "timeout": timed_out,
                "exit_code": proc.returncode,
            }
        )
        if timed_out:
            run["status"] = "TIMEOUT"
            run["error"] = f"killed after {timeout:.0f} s (time limit + grace)"
        elif "error" not in run and (proc.returncode != 0 or not out.exists()):
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            run["error"] = f"exit code {proc.returncode}: {tail}"
        if "error" in run:
            run.setdefault("status", "ERROR")
        return run


# -- machine and versions ----------------------------------------------------------


def machine() -> Machine:
    """The processor, cores, memory, operating system and load average now."""
    cpu = platform.processor() or platform.machine()
    ram = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": None if ram is None else round(ram, 1),
        "os": platform.platform(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def versions() -> Versions:
    """Python, OR-Tools, HiGHS and genhus versions, the commit and a hash of the sources."""

    def pkg(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("allocator/**/*.py"), *ROOT.glob("models/**/*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return {
        "sources": digest.hexdigest()[:12],
        "python": platform.python_version(),
        "ortools": pkg("ortools"),
        "highspy": pkg("highspy"),
        "genhus": pkg("genhus"),
        "commit": None if commit is None else commit + (" (modified)" if dirty else ""),
    }
