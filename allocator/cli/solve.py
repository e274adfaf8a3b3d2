"""``genhus solve``: plan a scenario, check the plan, write the outputs."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from pathlib import Path

import click
from rich.console import Console

from allocator.cli.common import (
    EXIT_CODES_HELP,
    STATUS_EXIT,
    ExitCode,
    FiniteFloat,
    fail_input,
    fail_internal,
    load,
    stop_on_signals,
)
from allocator.io.dump import result_to_json
from allocator.io.errors import InputError
from allocator.io.outputs import write_outputs
from allocator.io.write import claim_directory
from allocator.plan.check import check_plan
from allocator.report.letters import check_templates
from allocator.report.summary import make_console, plural, print_result
from allocator.solving.entry import solve
from allocator.solving.progress import Progress
from allocator.solving.settings import Strategy

__all__ = ["MAX_WORKERS", "solve_command"]

#: Most CP-SAT workers ``--workers`` accepts (each is a thread with its own memory).
MAX_WORKERS = 256


@click.command("solve", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=FiniteFloat(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="S",
    help="Time limit in seconds for building and searching the model "
    "(loading, checking and writing come on top).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0, max=MAX_WORKERS),
    default=2,
    show_default=True,
    metavar="N",
    help="CP-SAT search workers (0: one per core).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0, max=2**31 - 1),
    default=0,
    show_default=True,
    metavar="K",
    help="Random seed of the search (same seed and workers: same run).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write result.json, plan.json and households.csv to DIR.",
)
@click.option(
    "--gap",
    "gap_limit",
    type=FiniteFloat(min=0),
    default=0.001,
    show_default=True,
    help="Stop once the plan is proven within this relative gap (0: prove optimality).",
)
@click.option(
    "--strategy",
    type=click.Choice([s.value for s in Strategy]),
    default=Strategy.LP_GUIDED.value,
    show_default=True,
    help="LP-guided search (default) or CP-SAT alone.",
)
@click.option(
    "--templates",
    "template_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory with the organisation's own letter templates.",
)
@click.option("--organisation", default=None, help="Organisation name used in the letters.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON, not a summary.")
@click.option("--log/--no-log", default=False, help="Show the CP-SAT search log on stderr.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on stderr.")
def solve_command(
    scenario: Path,
    time_limit: float,
    workers: int,
    seed: int,
    out_dir: Path | None,
    gap_limit: float,
    strategy: str,
    template_dir: Path | None,
    organisation: str | None,
    as_json: bool,
    log: bool,
    quiet: bool,
) -> None:
    """Find a rehousing plan for SCENARIO and print its summary.

    The plan is verified by the independent plan checker before anything is
    printed or written; a plan that fails it is an internal error (exit 4).
    The first SIGINT (Ctrl-C) or SIGTERM stops the search: the best plan
    found so far is checked and, with --out, written (exit 5).
    """
    if template_dir is not None:
        try:  # before the search and before anything is written
            check_templates(template_dir)
        except InputError as error:
            fail_input(error)
    with ExitStack() as stack:
        if out_dir is not None:
            try:  # before minutes of search, not after
                stack.enter_context(claim_directory(out_dir))
            except OSError as exc:
                click.echo(f"{out_dir}: cannot write the outputs here: {exc}", err=True)
                sys.exit(ExitCode.BAD_INPUT)
        stop = stack.enter_context(
            stop_on_signals("stopping: the best plan found so far is kept (exit 5)")
        )
        stopped = stop.is_set

        def progress(message: str) -> None:
            if not quiet:
                click.echo(message, err=True)

        data = load(scenario)
        progress(
            f"loaded {scenario}: {plural(len(data.stages), 'stage')}, "
            f"{plural(len(data.households), 'household')}, "
            f"{plural(len(data.dwellings), 'dwelling')}"
        )
        if stopped():
            click.echo("stopped before the search: nothing written", err=True)
            sys.exit(ExitCode.STOPPED)
        progress(f"solving (time limit {time_limit:g} s, {workers} workers, seed {seed}) ...")
        live = not (quiet or as_json or log)
        status_line = Console(stderr=True).status("solving ...")
        try:
            with status_line if live else nullcontext():

                def show(p: Progress) -> None:
                    status_line.update(
                        f"solving: {p.elapsed:5.1f} s  best {p.objective:,.2f} DKK  "
                        f"bound {p.bound:,.2f}  gap {p.gap:.2%}"
                    )

                # in a thread, so that this one is free to run the signal handlers
                with ThreadPoolExecutor(1, thread_name_prefix="genhus-solve") as pool:
                    result = pool.submit(
                        solve,
                        data,
                        time_limit=time_limit,
                        num_workers=workers,
                        seed=seed,
                        log=log,
                        gap_limit=gap_limit,
                        strategy=strategy,
                        on_progress=show if live else None,
                        stop=stopped,
                    ).result()
        except Exception:
            fail_internal("the solver raised an exception")
        interrupted = stopped()
        progress(f"status {result.status.value} after {result.runtime:.1f} s")

        code = ExitCode.STOPPED if interrupted else STATUS_EXIT[result.status]
        if code is ExitCode.OK and result.plan is None:
            click.echo(f"internal error: status {result.status.value} but no plan", err=True)
            sys.exit(ExitCode.INTERNAL)
        if result.plan is not None:
            try:
                report = check_plan(data, result.plan, objective=result.objective)
            except Exception:
                fail_internal("the plan checker raised an exception")
            if report.violations:
                click.echo(
                    "internal error: the plan failed the plan checker "
                    f"({plural(len(report.violations), 'violation')}); nothing written",
                    err=True,
                )
                for violation in report.violations:
                    click.echo(f"  - {violation}", err=True)
                sys.exit(ExitCode.INTERNAL)
            progress("plan checked: 0 violations")

        if out_dir is not None and not (interrupted and result.plan is None):
            try:
                written = write_outputs(
                    result, data, out_dir, template_dir=template_dir, organisation=organisation
                )
            except OSError as exc:
                click.echo(f"{out_dir}: cannot write the outputs: {exc}", err=True)
                sys.exit(ExitCode.BAD_INPUT)
            except InputError as error:  # a template the checks before the search could not see
                fail_input(error)
            progress("wrote " + ", ".join(str(p) for p in written))
        if interrupted:
            found = result.plan is not None
            what = "the best plan found so far" if found else "no plan was found"
            where = f", written to {out_dir}" if out_dir is not None and result.plan else ""
            click.echo(f"stopped on request: {what}{where}", err=True)
            if result.plan is None:
                click.echo("nothing written", err=True)

        if as_json:
            click.echo(result_to_json(result), nl=False)
        else:
            print_result(result, make_console())
        sys.exit(code)
