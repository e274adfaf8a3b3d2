"""``genhus study``: solve every variant of a study file into one table.

The options shared with ``genhus compare`` (solver settings, where to run,
language) are defined here once (:func:`run_options`, :func:`run_study`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from allocator.cli.common import (
    EXIT_CODES_HELP,
    ExitCode,
    fail_input,
    lang_option,
    seed_option,
    workers_option,
)
from allocator.i18n import Lang, gettext
from allocator.io.errors import InputError
from allocator.report.summary import make_console
from allocator.study.executor import dask_executor
from allocator.study.figures import heading
from allocator.study.output import cell, write_study_table
from allocator.study.study import Study, load_study

__all__ = ["run_options", "run_study", "study_command"]

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="S",
        help="Search time limit per variant in seconds [default: 60, or the study file's].",
    ),
    workers_option(None, "CP-SAT workers per variant [default: 1, or the study file's].", 1),
    seed_option(None, "Random seed of every search [default: 0, or the study file's]."),
    click.option(
        "--processes",
        type=click.IntRange(min=1),
        default=None,
        metavar="P",
        help="Local processes [default: cores / workers].",
    ),
    click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Run the variants on this Dask distributed scheduler (tcp://host:8786).",
    ),
    click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        metavar="DIR",
        help="Write the table as CSV, Excel and an HTML page to DIR.",
    ),
    lang_option,
    click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr."),
]


def run_options(command: F) -> F:
    """Add the options every study command shares to ``command``."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def _overridden(study: Study, **given: Any) -> None:
    """Command-line settings override the study's."""
    changes = {k: v for k, v in given.items() if v is not None}
    study.settings = study.settings.model_copy(update=changes)


def run_study(
    study: Study,
    *,
    processes: int | None,
    scheduler: str | None,
    cache_dir: Path | None,
    quiet: bool,
    lang: Lang,
) -> pd.DataFrame:
    """Run ``study`` with a live progress bar on stderr (unless ``quiet``)."""
    total = len(study.variants)
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    )
    counts = {"running": 0, "failed": 0, "done": 0}

    def status() -> str:
        return gettext("running {running}, failed {failed}", lang).format(**counts)

    bar = progress.add_task(gettext("Variants", lang), total=total, status=status())

    def submitted(_: str) -> None:
        counts["running"] += 1
        progress.update(bar, status=status())

    def finished(row: dict[str, Any]) -> None:
        if not row.get("from_cache") and row["status"] != "CHANGE_INVALID":
            counts["running"] = max(0, counts["running"] - 1)
        counts["done"] += 1
        if row.get("error"):
            counts["failed"] += 1
        progress.update(bar, advance=1, status=status())

    context: AbstractContextManager[Executor | None] = (
        dask_executor(scheduler) if scheduler else nullcontext()
    )
    with progress, context as executor:
        return study.run(
            executor,
            processes=processes,
            cache_dir=cache_dir,
            on_result=finished,
            on_submit=submitted,
        )


def print_table(table: pd.DataFrame, columns: list[str], lang: Lang) -> None:
    """Print the main columns of a study table."""
    out = Table(show_header=True, header_style="bold")
    out.add_column(gettext("Variant", lang))
    for column in columns:
        out.add_column(heading(column, lang), justify="right")
    for _, row in table.iterrows():
        out.add_row(str(row["variant"]), *(cell(c, row[c], lang) for c in columns))
    make_console().print(out)


@click.command("study", epilog=EXIT_CODES_HELP)
@click.argument("study_file", metavar="STUDY", type=click.Path(path_type=Path))
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Per-variant results, to resume an interrupted study [default: OUT/cache].",
)
@run_options
def study_command(
    study_file: Path,
    cache_dir: Path | None,
    time_limit: float | None,
    workers: int | None,
    seed: int | None,
    processes: int | None,
    scheduler: str | None,
    out_dir: Path | None,
    lang: Lang,
    quiet: bool,
) -> None:
    """Solve every variant of STUDY (a base scenario, variants, grids) into one table.

    A variant that fails (a change that does not apply, an infeasible
    scenario, no plan in time) is a row with its reason. Results are kept
    per variant in the cache directory: run the same study again and only
    what is missing is solved.
    """
    try:
        study = load_study(study_file)
    except InputError as error:
        fail_input(error, lang)
    _overridden(study, time_limit=time_limit, workers=workers, seed=seed)
    if cache_dir is None and out_dir is not None:
        cache_dir = out_dir / "cache"
    try:
        table = run_study(
            study,
            processes=processes,
            scheduler=scheduler,
            cache_dir=cache_dir,
            quiet=quiet,
            lang=lang,
        )
    except OSError as exc:  # the cache cannot be written, the scheduler not reached
        click.echo(f"cannot run the study: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    print_table(table, ["status", "total", "rent_loss", "pavilion_modules", "gap", "runtime"], lang)
    if out_dir is not None:
        try:
            written = write_study_table(table, out_dir, lang, study.name)
        except OSError as exc:
            click.echo(f"{out_dir}: cannot write the outputs: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        if not quiet:
            click.echo(gettext("wrote", lang) + " " + ", ".join(map(str, written)), err=True)
    sys.exit(ExitCode.OK)
