"""The ``genhus`` command line: solve, validate, check, schema.

Results and summaries go to stdout, progress and errors to stderr. Problems
with an input file are printed one per line (``FILE: FIELD_PATH: what is
wrong``) without a traceback.

Exit codes (the same for every command):

0  a plan was found (``solve``), the scenario is valid (``validate``), the
   plan has no violations (``check``)
1  the scenario is infeasible (``solve``) or the plan has violations (``check``)
2  bad input: unreadable or invalid file, bad option, unwritable output
3  no plan within the time limit (``solve``)
4  internal error: the model was invalid or the plan failed the checker
"""

from __future__ import annotations

import json
import shutil
import sys
import traceback
from contextlib import nullcontext
from enum import IntEnum
from pathlib import Path
from typing import NoReturn

import click
import pandas as pd  # type: ignore[import-untyped,unused-ignore]
from rich.console import Console

from allocator.excel.result import write_result_workbook
from allocator.excel.template import write_template
from allocator.generate import (
    SIZES,
    generate,
    scenario_yaml,
    supply_check,
    supply_report,
    write_example,
)
from allocator.io.dump import result_to_json
from allocator.io.errors import InputError
from allocator.io.load import load_plan_and_objective, load_scenario
from allocator.io.write import write_file
from allocator.plan.check import check_plan
from allocator.report.activities import activity_plan, write_activities_csv, write_ical
from allocator.report.html import write_report
from allocator.report.letters import write_letters
from allocator.report.summary import make_console, plural, print_result, print_scenario
from allocator.solving.entry import solve
from allocator.solving.progress import Progress
from allocator.solving.settings import Strategy
from models.plan import Plan, Result, Status
from models.scenario import Scenario

__all__ = ["ExitCode", "households_frame", "main", "write_outputs"]

#: Most input problems printed before "... and N more".
MAX_MESSAGES = 100


class ExitCode(IntEnum):
    """Process exit codes of ``genhus``."""

    OK = 0
    INFEASIBLE = 1
    BAD_INPUT = 2
    NO_SOLUTION = 3
    INTERNAL = 4


STATUS_EXIT = {
    Status.OPTIMAL: ExitCode.OK,
    Status.FEASIBLE: ExitCode.OK,
    Status.INFEASIBLE: ExitCode.INFEASIBLE,
    Status.NO_SOLUTION_IN_TIME: ExitCode.NO_SOLUTION,
    Status.MODEL_INVALID: ExitCode.INTERNAL,
}

EXIT_CODES_HELP = """\b
Exit codes:
  0  plan found / scenario valid / plan has no violations
  1  scenario infeasible / plan has violations
  2  bad input (file, option, output directory); no traceback
  3  no plan within the time limit
  4  internal error (model invalid, plan failed the checker)
"""

#: Files :func:`write_outputs` writes only when there is a plan.
PLAN_FILES = ("plan.json", "households.csv", "activities.csv", "activities.ics")


# -- outputs ---------------------------------------------------------------------


def households_frame(result: Result, scenario: Scenario) -> pd.DataFrame:
    """One row per household: where it goes and when (a pandas DataFrame).

    Parameters
    ----------
    result
        A result with a plan.
    scenario
        The scenario that was solved.

    Returns
    -------
    pandas.DataFrame
        Columns: household, name, dwelling, persons, agreement, stage, mode,
        notice_date, move_out, place, place_source, return_date,
        return_letter_date, after_dwelling, permanent_dwelling.
    """
    assert result.plan is not None
    rows = []
    for hp in result.plan.households:
        household = scenario.household(hp.household)
        rows.append(
            {
                "household": hp.household,
                "name": household.name,
                "dwelling": household.dwelling,
                "persons": household.persons,
                "agreement": household.agreement.value,
                "stage": hp.stage,
                "mode": hp.mode.value,
                "notice_date": hp.notice_date.isoformat(),
                "move_out": hp.move_out.isoformat(),
                "place": hp.place,
                "place_source": hp.place_source.value if hp.place_source else None,
                "return_date": hp.return_date.isoformat() if hp.return_date else None,
                "return_letter_date": (
                    hp.return_letter_date.isoformat() if hp.return_letter_date else None
                ),
                "after_dwelling": hp.after_dwelling,
                "permanent_dwelling": hp.permanent_dwelling,
            }
        )
    columns = [
        "household",
        "name",
        "dwelling",
        "persons",
        "agreement",
        "stage",
        "mode",
        "notice_date",
        "move_out",
        "place",
        "place_source",
        "return_date",
        "return_letter_date",
        "after_dwelling",
        "permanent_dwelling",
    ]
    return pd.DataFrame(rows, columns=columns)


def write_outputs(
    result: Result,
    scenario: Scenario,
    out_dir: Path,
    *,
    template_dir: Path | None = None,
    organisation: str | None = None,
) -> list[Path]:
    """Write the output files of a solve into ``out_dir``, each atomically.

    Always ``result.xlsx`` (the result workbook), ``report.html`` with its
    PNG charts, and ``result.json`` (status, figures, solver info and the
    plan). With a plan also ``plan.json`` (readable by ``genhus check``),
    ``households.csv``, the activity plan as ``activities.csv`` and
    ``activities.ics``, and the letters in ``letters/``. Without a plan,
    plan files left by an earlier run are removed so the directory never
    mixes two runs. ``result.json`` is written last.

    Parameters
    ----------
    result
        What the solver returned (already checked).
    scenario
        The scenario that was solved.
    out_dir
        Output directory; created if missing.
    template_dir
        An organisation's own letter templates (Jinja2), if any.
    organisation
        The organisation's name for the letters.

    Returns
    -------
    list of Path
        The files written (letters counted as their directory).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    activities = None
    if result.plan is not None:
        plan_path = out_dir / "plan.json"
        write_file(plan_path, result.plan.model_dump_json(indent=2) + "\n")
        written.append(plan_path)
        csv_path = out_dir / "households.csv"
        write_file(csv_path, households_frame(result, scenario).to_csv(index=False))
        written.append(csv_path)
        activities = activity_plan(scenario, result.plan)
        written.append(write_activities_csv(out_dir / "activities.csv", activities))
        written.append(write_ical(out_dir / "activities.ics", activities, name=scenario.name))
        write_letters(
            out_dir / "letters",
            scenario,
            result.plan,
            template_dir=template_dir,
            organisation=organisation,
        )
        written.append(out_dir / "letters")
    else:
        for name in PLAN_FILES:
            (out_dir / name).unlink(missing_ok=True)
        shutil.rmtree(out_dir / "letters", ignore_errors=True)
    workbook = out_dir / "result.xlsx"
    write_result_workbook(workbook, scenario, result, activities)
    written.append(workbook)
    written.append(write_report(out_dir, scenario, result))
    result_path = out_dir / "result.json"
    write_file(result_path, result_to_json(result))
    written.append(result_path)
    return written


# -- helpers ---------------------------------------------------------------------


def _fail_input(error: InputError) -> NoReturn:
    """Print input problems to stderr (no traceback) and exit 2."""
    messages = error.messages
    for message in messages[:MAX_MESSAGES]:
        click.echo(message, err=True)
    if len(messages) > MAX_MESSAGES:
        click.echo(f"... and {len(messages) - MAX_MESSAGES} more", err=True)
    if error.hint:
        click.echo(f"note: {error.hint}", err=True)
    click.echo(f"{plural(len(messages), 'problem')} in the input", err=True)
    sys.exit(ExitCode.BAD_INPUT)


def _fail_internal(what: str) -> NoReturn:
    """Print an internal error with its traceback to stderr and exit 4."""
    click.echo(traceback.format_exc(), err=True)
    click.echo(f"internal error: {what}", err=True)
    sys.exit(ExitCode.INTERNAL)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except InputError as error:
        _fail_input(error)


# -- commands --------------------------------------------------------------------


@click.group(
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="genhus", prog_name="genhus")
def main() -> None:
    """Plan rehousing (genhusning) for renovations of Danish social housing.

    A scenario file (YAML, JSON or Excel) describes the stages, dwellings,
    households, after-renovation dwellings and pavilion options; `genhus
    solve` finds the cheapest plan that keeps the rules R1 to R16 (see
    docs/MODEL.md).
    """


@main.command("solve", epilog=EXIT_CODES_HELP)
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
    """

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    data = _load(scenario)
    progress(
        f"loaded {scenario}: {plural(len(data.stages), 'stage')}, "
        f"{plural(len(data.households), 'household')}, "
        f"{plural(len(data.dwellings), 'dwelling')}"
    )
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
        _fail_internal("the solver raised an exception")
    progress(f"status {result.status.value} after {result.runtime:.1f} s")

    code = STATUS_EXIT[result.status]
    if code is ExitCode.OK and result.plan is None:
        click.echo(f"internal error: status {result.status.value} but no plan", err=True)
        sys.exit(ExitCode.INTERNAL)
    if result.plan is not None:
        try:
            report = check_plan(data, result.plan, objective=result.objective)
        except Exception:
            _fail_internal("the plan checker raised an exception")
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
        print_result(result, make_console())
    sys.exit(code)


@main.command("validate", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
def validate_command(scenario: Path) -> None:
    """Check SCENARIO and print a short overview, or every problem found.

    Stages whose notice date (R3) has passed are shown as warnings; they do
    not make the scenario invalid.
    """
    data = _load(scenario)
    print_scenario(data, str(scenario), make_console())


@main.command("check", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("plan", type=click.Path(path_type=Path))
def check_command(scenario: Path, plan: Path) -> None:
    """Verify PLAN (plan.json or result.json) against SCENARIO without CP-SAT.

    Prints every violation of the rules, or "0 violations" and the total
    cost recomputed by the checker. With a result.json, its objective is
    checked too.
    """
    problems: list[InputError] = []
    data: Scenario | None = None
    loaded: tuple[Plan, float | None] | None = None
    try:
        data = load_scenario(scenario)
    except InputError as error:
        problems.append(error)
    try:
        loaded = load_plan_and_objective(plan)
    except InputError as error:
        problems.append(error)
    if data is None or loaded is None:
        messages = [m for error in problems for m in error.messages]
        _fail_input(InputError(messages, next((e.hint for e in problems if e.hint), None)))
    loaded_plan, objective = loaded

    try:
        report = check_plan(data, loaded_plan, objective=objective)
    except Exception:
        _fail_internal("the plan checker raised an exception")
    if report.violations:
        click.echo(f"{plural(len(report.violations), 'violation')}:")
        for violation in report.violations:
            click.echo(f"  - {violation}")
        sys.exit(ExitCode.INFEASIBLE)
    click.echo("0 violations")
    if report.pricing is not None:
        click.echo(f"recomputed total: {report.pricing.total_ore / 100:,.2f} DKK")
    stated = next((c.total for c in loaded_plan.costs if c.stage == "total"), None)
    if stated is not None:
        click.echo(f"plan's stated total: {stated:,.2f} DKK")


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the scenario format."""
    click.echo(json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command("template", epilog=EXIT_CODES_HELP)
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    default=None,
    help="Fill the workbook with this scenario instead of the built-in example.",
)
def template_command(workbook: Path, source: Path | None) -> None:
    """Write an Excel input workbook (Danish headers, drop-downs, filled example).

    Fill it in and give it to `genhus solve` or `genhus validate` like a
    YAML scenario.
    """
    scenario = _load(source) if source is not None else None
    try:
        write_template(workbook, scenario)
    except OSError as exc:
        click.echo(f"{workbook}: cannot write the workbook: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    click.echo(f"wrote {workbook}", err=True)


def _size_help() -> str:
    """``Preset: S (60 households), ..., P (7,000 in 25 departments).``, from SIZES."""
    parts = []
    for k, (name, spec) in enumerate(SIZES.items()):
        what = f"{spec.households:,}"
        if spec.departments > 1:
            what += f" in {spec.departments} departments"
        elif k == 0:
            what += " households"
        parts.append(f"{name} ({what})")
    return f"Preset: {', '.join(parts)}."


@main.command("generate", epilog=EXIT_CODES_HELP)
@click.option(
    "--size",
    type=click.Choice(sorted(SIZES)),
    default="example",
    show_default=True,
    help=_size_help(),
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file to write (default: print to stdout).",
)
@click.option("--report", is_flag=True, help="Print the supply check (a greedy witness plan).")
def generate_command(size: str, seed: int, out_file: Path | None, report: bool) -> None:
    """Generate a realistic fictional scenario (the same for the same size and seed)."""
    if out_file is not None:
        scenario = write_example(out_file, size, seed)
        click.echo(f"wrote {out_file}", err=True)
    else:
        scenario = generate(size, seed)
        if not report:
            click.echo(scenario_yaml(scenario), nl=False)
    if report:
        click.echo(supply_report(scenario))
        if not all(stage.ok for stage in supply_check(scenario)):
            sys.exit(ExitCode.INFEASIBLE)
