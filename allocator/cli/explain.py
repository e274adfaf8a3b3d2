"""``genhus analyse`` and ``genhus explain``: why a scenario has (no) plan, why a plan is so."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click
from rich.table import Table

from allocator.cli.common import (
    EXIT_CODES_HELP,
    ExitCode,
    fail_input,
    fail_internal,
    lang_option,
    load,
)
from allocator.explain.capacity import analyse, shortages
from allocator.explain.household import cost_drivers, describe_household, explain_household
from allocator.explain.marginal import CHANGES, Method, marginal_values
from allocator.i18n import Lang, gettext, money, ngettext
from allocator.io.errors import InputError
from allocator.io.load import load_plan
from allocator.plan.check import check_plan
from allocator.report.summary import make_console
from allocator.report.why import print_capacity, print_marginal

__all__ = ["analyse_command", "explain_command"]


@click.command("analyse", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=None,
    help="At most this many need classes per stage, the tightest first (default: all).",
)
@lang_option
def analyse_command(scenario: Path, rows: int | None, lang: str) -> None:
    """Capacity analysis of SCENARIO before solving: demand against places per stage.

    Per stage and need class: the households away on the stage's first
    move-out day, those moved for good by then and the spares R10 asks,
    against the places that could be free then, by source. A shortage
    proves that no plan exists (exit 1).
    """
    data = load(scenario, cast(Lang, lang))
    found = analyse(data)
    print_capacity(found, make_console(), cast(Lang, lang), rows=rows)
    sys.exit(ExitCode.INFEASIBLE if shortages(found) else ExitCode.OK)


@click.command("explain", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("plan", type=click.Path(path_type=Path))
@click.argument("household", required=False)
@click.option(
    "--marginal/--no-marginal",
    default=True,
    show_default=True,
    help="Measure what one more place, a point of overcapacity, a month of delay are worth.",
)
@click.option(
    "--method",
    type=click.Choice(["lp", "solve"]),
    default="lp",
    show_default=True,
    help="Measure by the LP relaxation (fast) or by full solves.",
)
@click.option(
    "--what",
    type=click.Choice(list(CHANGES)),
    multiple=True,
    help="Which changes to measure (repeatable; default: all).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="S",
    help="Seconds per measurement.",
)
@lang_option
def explain_command(
    scenario: Path,
    plan: Path,
    household: str | None,
    marginal: bool,
    method: str,
    what: tuple[str, ...],
    time_limit: float,
    lang: str,
) -> None:
    """Explain PLAN (plan.json or result.json) of SCENARIO, or one HOUSEHOLD of it.

    With a household: its seniority and wishes, the rules that bind it, its
    outcome and what its place costs against the best other places. Without:
    the stages, places and households that cost most and (``--marginal``)
    what one more place, a point of the overcapacity target and a month of
    delay of each stage are worth.
    """
    language = cast(Lang, lang)
    data = load(scenario, language)
    try:
        loaded = load_plan(plan)
    except InputError as error:
        fail_input(error, language)
    try:
        report = check_plan(data, loaded)
    except Exception:
        fail_internal("the plan checker raised an exception", language)
    if report.violations:  # a plan of another scenario, or edited: nothing to explain
        click.echo(
            f"{plan}: the plan breaks the rules of {scenario} "
            f"({len(report.violations)} violations; see genhus check); nothing explained",
            err=True,
        )
        sys.exit(ExitCode.INFEASIBLE)
    console = make_console()
    if household is not None:
        if household not in {h.household for h in loaded.households}:
            fail_input(InputError([f"{plan}: no household {household!r} in the plan"]))
        why = explain_household(data, loaded, household)
        for line in describe_household(why, language):
            console.print(line, markup=False)
        return
    table = Table(title=gettext("What costs most", language), title_justify="left")
    for name in ("kind", "name", "cost", "detail"):
        table.add_column(gettext(name, language), justify="right" if name == "cost" else "left")
    for driver in cost_drivers(data, loaded):
        table.add_row(
            ngettext(driver.kind, driver.kind + "s", 1, language),
            driver.name,
            money(driver.cost, language),
            driver.detail(language),
        )
    console.print(table)
    if marginal:
        values = marginal_values(
            data, method=cast(Method, method), time_limit=time_limit, what=what or CHANGES
        )
        print_marginal(values, console, language)
