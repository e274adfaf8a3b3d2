"""``genhus replan`` and ``genhus stress``: repair a plan after changes, price the risk."""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from allocator.cli.common import (
    EXIT_CODES_HELP,
    STATUS_EXIT,
    ExitCode,
    fail_input,
    fail_internal,
    lang_option,
    load,
    seed_option,
    workers_option,
)
from allocator.excel.replan import add_replan_sheet
from allocator.i18n import Lang, gettext, money, number
from allocator.io.dump import dump_scenario
from allocator.io.errors import InputError
from allocator.io.load import load_changes, load_plan, load_stress_config
from allocator.io.outputs import write_outputs
from allocator.io.write import write_file
from allocator.replan.changes import ReplanError, Unhoused
from allocator.replan.diff import diff_text
from allocator.replan.replan import CHANGE_PRICE, PROMISE_PRICE, Replanned, replan
from allocator.replan.stress import overcapacity_curve, stress, summarise
from allocator.report.replan import add_replan_section, replan_page, stress_page
from allocator.study.executor import dask_executor
from models.plan import Plan
from models.replan import StressConfig

__all__ = ["replan_command", "stress_command"]


FC = TypeVar("FC", bound=Callable[..., Any])


def _scenario_and_plan(command: FC) -> FC:
    """The SCENARIO and PLAN arguments of both commands."""
    command = click.argument("plan", type=click.Path(path_type=Path))(command)
    return click.argument("scenario", type=click.Path(path_type=Path))(command)


def _file(name: str, dest: str, text: str, *, required: bool = False) -> Callable[[FC], FC]:
    """An option naming a YAML or JSON input file."""
    return click.option(
        name, dest, type=click.Path(path_type=Path), required=required, metavar="FILE", help=text
    )


def _number(name: str, default: float, metavar: str, text: str) -> Callable[[FC], FC]:
    """A non-negative number option (``S`` seconds: positive) with its default shown."""
    return click.option(
        name,
        type=click.FloatRange(min=0, min_open=metavar == "S"),
        default=default,
        show_default=True,
        metavar=metavar,
        help=text,
    )


def _plan(path: Path) -> Plan:
    try:
        return load_plan(path)
    except InputError as error:
        fail_input(error)


def _replanned_json(r: Replanned) -> str:
    data = {
        "status": r.status.value,
        "cost": r.cost,
        "bound": r.bound,
        "runtime": round(r.runtime, 3),
        "promises": len(r.promises),
        "broken_promises": [
            {"household": b.household, "fixed": b.fixed, "what": list(b.what)} for b in r.broken
        ],
        "leases_cut_short": [lease.model_dump(mode="json") for lease in r.leases],
        "violations": r.check.messages if r.check else [],
        "notes": r.notes,
        "diff": None if r.diff is None else r.diff.model_dump(mode="json"),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@click.command("replan", epilog=EXIT_CODES_HELP)
@_scenario_and_plan
@_file(
    "--changes",
    "changes_path",
    "What has changed (YAML or JSON; see docs/REPLAN.md).",
    required=True,
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    metavar="DATE",
    help="Day of replanning: moves before it happened, letters before it were sent.",
)
@_number("--promise-price", PROMISE_PRICE, "DKK", "Price of a broken promise in the objective.")
@_number(
    "--change-price",
    CHANGE_PRICE,
    "DKK",
    "Price of changing a household without a letter yet (a tie-break).",
)
@click.option(
    "--lexicographic", is_flag=True, help="Fewest broken promises first, then the least cost."
)
@click.option(
    "--release-spares",
    is_flag=True,
    help="Let the repair use the spares held (no overcapacity rule from --as-of on).",
)
@_number("--time-limit", 30.0, "S", "Search time limit in seconds.")
@workers_option()
@seed_option()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help=(
        "Write the new plan's outputs (as genhus solve, with a replan sheet and section), "
        "the changed scenario.yaml and replan.json, replan.txt, replan.html to DIR."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@lang_option
def replan_command(
    scenario: Path,
    plan: Path,
    changes_path: Path,
    as_of: object,
    promise_price: float,
    change_price: float,
    lexicographic: bool,
    release_spares: bool,
    time_limit: float,
    workers: int,
    seed: int,
    out_dir: Path | None,
    as_json: bool,
    lang: Lang,
) -> None:
    """Replan PLAN of SCENARIO after the changes in FILE, keeping the past and the promises.

    Everything before --as-of stays as it was; households who have their
    notice letter keep its outcome and address unless no plan can (each
    broken promise costs --promise-price). Prints who is affected, the
    letters to send and the cost change by category.
    """
    data = load(scenario, lang)
    old = _plan(plan)
    try:
        changes = load_changes(changes_path)
    except InputError as error:
        fail_input(error, lang)
    assert hasattr(as_of, "date")
    day: date = as_of.date()
    try:
        r = replan(
            data,
            old,
            changes,
            day,
            promise_price=promise_price,
            change_price=change_price,
            lexicographic=lexicographic,
            release_spares=release_spares,
            time_limit=time_limit,
            num_workers=workers,
            seed=seed,
            source=str(changes_path),
        )
    except Unhoused as error:  # no plan keeps the past: as an infeasible scenario
        for message in error.messages:
            click.echo(message, err=True)
        sys.exit(ExitCode.INFEASIBLE)
    except ReplanError as error:
        fail_input(InputError(error.messages), lang)
    except Exception:
        fail_internal("the replanner raised an exception", lang)
    if r.plan is None or r.diff is None or r.check is None:
        click.echo(f"{gettext('no plan', lang)}: {r.status.value}", err=True)
        for note in r.notes:
            click.echo(f"  {note}", err=True)
        sys.exit(STATUS_EXIT[r.status])
    if not r.check.ok:
        click.echo("internal error: the new plan failed the checks; nothing written", err=True)
        for message in r.check.messages:
            click.echo(f"  - {message}", err=True)
        sys.exit(ExitCode.INTERNAL)
    text = diff_text(r.diff, lang)
    if out_dir is not None:
        try:
            if r.result is not None:  # the usual outputs of the new plan, and the replan's part
                write_outputs(r.result, r.scenario, out_dir)
                add_replan_sheet(out_dir / "result.xlsx", r.diff, lang)
                add_replan_section(out_dir / "report.html", r.diff, lang)
            out_dir.mkdir(parents=True, exist_ok=True)
            dump_scenario(r.scenario, out_dir / "scenario.yaml")
            write_file(out_dir / "plan.json", r.plan.model_dump_json(indent=2) + "\n")
            write_file(out_dir / "replan.json", _replanned_json(r))
            write_file(out_dir / "replan.txt", text)
            write_file(out_dir / "replan.html", replan_page(r.diff, lang))
        except OSError as exc:
            click.echo(f"{out_dir}: cannot write the outputs: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
    click.echo(_replanned_json(r) if as_json else text, nl=False)
    sys.exit(ExitCode.OK)


def _shares(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        shares = [float(x) for x in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected shares such as 0.1,0.2,0.3") from None
    if any(not 0 <= s <= 1 for s in shares):
        raise click.BadParameter(f"{text!r}: each share must be between 0 and 1")
    return shares


@click.command("stress", epilog=EXIT_CODES_HELP)
@_scenario_and_plan
@click.option("--runs", type=click.IntRange(min=1), default=20, show_default=True, metavar="N")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, metavar="K")
@_file(
    "--config",
    "config_path",
    "Distributions of the events (YAML or JSON; defaults in docs/REPLAN.md).",
)
@click.option(
    "--overcapacity",
    default=None,
    metavar="SHARES",
    help="Plan and stress each share, e.g. 0.1,0.2,0.3,0.4 (PLAN is then not used).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes for the runs (1: in this process).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the runs on this Dask scheduler (tcp://host:8786) instead of local processes.",
)
@_number("--time-limit", 10.0, "S", "Seconds per repair.")
@_number("--plan-time-limit", 30.0, "S", "Seconds per plan (--overcapacity).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write stress.json (and stress.html with --overcapacity) to DIR.",
)
@lang_option
def stress_command(
    scenario: Path,
    plan: Path,
    runs: int,
    seed: int,
    config_path: Path | None,
    overcapacity: str | None,
    jobs: int,
    scheduler: str | None,
    time_limit: float,
    plan_time_limit: float,
    out_dir: Path | None,
    lang: Lang,
) -> None:
    """Stress PLAN of SCENARIO: N runs of drawn changes, each repaired with promises kept.

    Prints how often a household would be without a place, the expected
    and 90th-percentile extra cost and the broken promises per run. With
    --overcapacity, the expected total cost (plan plus repairs) per share.
    """
    data = load(scenario, lang)
    shares = _shares(overcapacity)
    old = None if shares else _plan(plan)
    try:
        config = load_stress_config(config_path) if config_path else StressConfig()
    except InputError as error:
        fail_input(error, lang)
    # The studies' executors: local spawn processes, or a Dask cluster.
    stack = ExitStack()
    executor: Executor | None = None
    if scheduler is not None:
        executor = stack.enter_context(dask_executor(scheduler))
    elif jobs > 1:
        spawn = multiprocessing.get_context("spawn")
        executor = stack.enter_context(ProcessPoolExecutor(jobs, mp_context=spawn))
    _ = lambda msg: gettext(msg, lang)  # noqa: E731
    report: dict[str, object] = {
        "runs": runs,
        "seed": seed,
        "config": config.model_dump(mode="json"),
    }
    try:
        if old is not None:
            rows = stress(data, old, runs, seed, config, executor=executor, time_limit=time_limit)
            s = summarise(rows)
            report.update(summary=s.model_dump(), rows=rows)
            lines = [
                f"{_('Runs')}: {s.runs}",
                f"{_('Runs with a household without a place')}: {s.unhoused} "
                f"({number(100 * s.unhoused_share, lang, decimals=1)} %)",
                f"{_('Expected extra cost')}: {money(s.expected_extra, lang)}",
                f"{_('90th percentile of the extra cost')}: {money(s.p90_extra, lang)}",
                f"{_('Broken promises per run')}: {number(s.broken_mean, lang, decimals=2)} "
                f"({_('at most')} {s.broken_max})",
                f"{_('Runs whose changes would move the past')}: {s.rejected}",
                f"{_('Runs without a plan in time')}: {s.no_plan_in_time}",
            ]
        else:
            points = list(
                overcapacity_curve(
                    data,
                    shares,
                    runs,
                    seed,
                    config,
                    executor=executor,
                    time_limit=time_limit,
                    plan_time_limit=plan_time_limit,
                )
            )
            report["curve"] = [
                {
                    "overcapacity": p.overcapacity,
                    "status": p.status,
                    "plan_cost": p.plan_cost,
                    "expected_total": p.expected_total,
                    "summary": None if p.summary is None else p.summary.model_dump(),
                    "rows": p.rows,
                }
                for p in points
            ]
            lines = [
                f"{number(100 * p.overcapacity, lang)} %: "
                + (
                    f"{_('plan')} {money(p.plan_cost, lang, decimals=False)}, "
                    f"{_('expected total')} {money(p.expected_total, lang, decimals=False)}, "
                    f"{_('without a place')} {p.summary.unhoused}/{p.summary.runs}"
                    if p.plan_cost is not None and p.summary and p.expected_total is not None
                    else p.status
                )
                for p in points
            ]
    except Exception:
        fail_internal("the stress test raised an exception", lang)
    finally:
        stack.close()
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            write_file(out_dir / "stress.json", json.dumps(report, indent=2, default=str) + "\n")
            if shares:
                write_file(
                    out_dir / "stress.html",
                    stress_page(points, runs, seed, lang, config.unhoused_cost),
                )
        except OSError as exc:
            click.echo(f"{out_dir}: cannot write the outputs: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
    click.echo("\n".join(lines))
    sys.exit(ExitCode.OK)
