"""``genhus compare``: solve scenarios, or variations of one, and show them side by side."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from allocator.cli.common import EXIT_CODES_HELP, ExitCode, fail_input, load
from allocator.cli.study import run_options, run_study
from allocator.i18n import Lang, gettext
from allocator.io.errors import InputError
from allocator.report.summary import make_console
from allocator.study.changes import parse_vary
from allocator.study.compare import side_by_side
from allocator.study.figures import heading
from allocator.study.output import cell, write_comparison
from allocator.study.study import Study
from models.study import SolveSettings

__all__ = ["compare_command"]


@click.command("compare", epilog=EXIT_CODES_HELP)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--vary",
    "varied",
    multiple=True,
    metavar="CHANGE",
    help=(
        "A variation of the one SCENARIO, a column each: KEY=VALUE (pavilions=only, "
        "overcapacity=0.3), a {KEY: VALUE, ...} mapping, or base (docs/STUDIES.md)."
    ),
)
@run_options
def compare_command(
    scenarios: tuple[Path, ...],
    varied: tuple[str, ...],
    time_limit: float | None,
    workers: int | None,
    seed: int | None,
    processes: int | None,
    scheduler: str | None,
    out_dir: Path | None,
    lang: Lang,
    quiet: bool,
) -> None:
    """Solve SCENARIOS (or variations of one) and print them side by side.

    Each column is a scenario (named by its file) or a --vary; later
    columns also show their difference against the first. `genhus compare
    example.yaml --vary pavilions=only --vary pavilions=none` compares
    pavilions against dwellings in one command.
    """
    given = {k: v for k, v in (("time_limit", time_limit), ("workers", workers)) if v is not None}
    settings = SolveSettings(**given, seed=seed or 0)
    try:
        if varied:
            if len(scenarios) != 1:
                raise InputError(["--vary: give exactly one SCENARIO to vary"])
            study = Study(load(scenarios[0], lang), settings, include_base=False)
            for i, text in enumerate(varied):
                changes = parse_vary(text)
                name = text.strip() if changes else "base"
                study.add_variant(name, changes, origin=(f"--vary {text!r}", (i,)))
        else:
            study = Study(None, settings)
            for path in scenarios:
                name = path.stem if path.stem not in _names(study) else str(path)
                study.add_scenario(name, load(path))
    except InputError as error:
        fail_input(error, lang)
    try:
        table = run_study(
            study, processes=processes, scheduler=scheduler, cache_dir=None, quiet=quiet, lang=lang
        )
    except OSError as exc:  # the scheduler cannot be reached
        click.echo(f"cannot run the comparison: {exc}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    wide = side_by_side(table)
    out = Table(show_header=True, header_style="bold")
    out.add_column("")
    for column in wide.columns:
        out.add_column(str(column), justify="right")
    for figure in wide.index:
        out.add_row(
            heading(str(figure), lang),
            *(cell(str(figure), wide.at[figure, c], lang) for c in wide.columns),
        )
    make_console().print(out)
    for _, row in table.iterrows():
        if isinstance(row["error"], str):
            click.echo(f"{row['variant']}: {row['error']}", err=True)
    if out_dir is not None:
        try:
            written = write_comparison(wide, out_dir, lang)
        except OSError as exc:
            click.echo(f"{out_dir}: cannot write the outputs: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        if not quiet:
            click.echo(gettext("wrote", lang) + " " + ", ".join(map(str, written)), err=True)
    sys.exit(ExitCode.OK)


def _names(study: Study) -> set[str]:
    return {v.name for v in study.variants}
