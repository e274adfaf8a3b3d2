"""``genhus solve``: plan a scenario, check the plan, write the outputs."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click
from rich.console import Console

from allocator.cli.common import EXIT_CODES_HELP, STATUS_EXIT, ExitCode, fail_internal, load
from allocator.explain.capacity import analyse, shortages
from allocator.explain.marginal import marginal_values
from allocator.explain.words import describe_row
from allocator.io.dump import result_to_json
from allocator.io.outputs import write_outputs
from allocator.plan.check import check_plan
from allocator.report.summary import make_console, plural, print_result
from allocator.report.why import print_diagnosis, print_marginal
from allocator.solving.entry import solve
from allocator.solving.progress import Progress
from allocator.solving.settings import Strategy

__all__ = ["solve_command"]


@click.command("solve", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="S",
    help="Search time limit in seconds.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
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
    type=click.FloatRange(min=0),
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
@click.option(
    "--why",
    is_flag=True,
    help="Also measure what one more place, a point of overcapacity and a month of delay "
    "are worth (LP re-solves), for the summary, the report and the workbook.",
)
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
    why: bool,
    as_json: bool,
    log: bool,
    quiet: bool,
) -> None:
    """Find a rehousing plan for SCENARIO and print its summary.

    The plan is verified by the independent plan checker before anything is
    printed or written; a plan that fails it is an internal error (exit 4).
    """

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    data = load(scenario)
    progress(
        f"loaded {scenario}: {plural(len(data.stages), 'stage')}, "
        f"{plural(len(data.households), 'household')}, "
        f"{plural(len(data.dwellings), 'dwelling')}"
    )
    for row in shortages(analyse(data)):
        progress("capacity shortage: " + describe_row(row))
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

            result = solve(
                data,
                time_limit=time_limit,
                num_workers=workers,
                seed=seed,
                log=log,
                gap_limit=gap_limit,
                strategy=strategy,
                on_progress=show if live else None,
            )
    except Exception:
        fail_internal("the solver raised an exception")
    progress(f"status {result.status.value} after {result.runtime:.1f} s")

    code = STATUS_EXIT[result.status]
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
        if why:
            progress("measuring marginal values (LP re-solves) ...")
            result = result.model_copy(update={"marginal": marginal_values(data)})

    if out_dir is not None:
        try:
            written = write_outputs(
                result, data, out_dir, template_dir=template_dir, organisation=organisation
            )
        except OSError as exc:
            click.echo(f"{out_dir}: cannot write the outputs: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        progress("wrote " + ", ".join(str(p) for p in written))

    if as_json:
        click.echo(result_to_json(result), nl=False)
    else:
        console = make_console()
        print_result(result, console)
        if result.diagnosis is not None:
            print_diagnosis(result.diagnosis, data, console)
        if result.marginal:
            print_marginal(result.marginal, console)
    sys.exit(code)
