"""``genhus template`` and ``generate``: input workbooks and example scenarios."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.cli.common import EXIT_CODES_HELP, ExitCode, load
from allocator.excel.template import write_template
from allocator.generate import (
    SIZES,
    generate,
    scenario_yaml,
    supply_check,
    supply_report,
    write_example,
)

__all__ = ["generate_command", "template_command"]


@click.command("template", epilog=EXIT_CODES_HELP)
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
    scenario = load(source) if source is not None else None
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


@click.command("generate", epilog=EXIT_CODES_HELP)
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
        if not out_file.parent.is_dir():  # before the generator's seconds, not after
            click.echo(
                f"{out_file}: cannot write the scenario: no directory {out_file.parent}", err=True
            )
            sys.exit(ExitCode.BAD_INPUT)
        try:
            scenario = write_example(out_file, size, seed)
        except OSError as exc:
            click.echo(f"{out_file}: cannot write the scenario: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        click.echo(f"wrote {out_file}", err=True)
    else:
        scenario = generate(size, seed)
        if not report:
            click.echo(scenario_yaml(scenario), nl=False)
    if report:
        click.echo(supply_report(scenario))
        if not all(stage.ok for stage in supply_check(scenario)):
            sys.exit(ExitCode.INFEASIBLE)
