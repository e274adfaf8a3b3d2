"""``genhus validate``, ``check`` and ``schema``: look at inputs without solving."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from allocator.cli.common import (
    EXIT_CODES_HELP,
    ExitCode,
    fail_input,
    fail_internal,
    lang_option,
    load,
)
from allocator.explain.capacity import analyse
from allocator.i18n import N_, Lang, gettext, money, ngettext
from allocator.io.errors import InputError
from allocator.io.load import load_plan_and_objective, load_scenario
from allocator.plan.check import check_plan
from allocator.report.summary import make_console, print_scenario
from allocator.report.why import print_capacity
from models.plan import Plan
from models.scenario import Scenario

__all__ = ["check_command", "schema_command", "validate_command"]


@click.command("validate", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@lang_option
def validate_command(scenario: Path, lang: Lang) -> None:
    """Check SCENARIO and print a short overview, or every problem found.

    Stages whose notice date (R3) has passed are shown as warnings; they do
    not make the scenario invalid. So are capacity shortages (``genhus
    analyse``), which prove that no plan exists.
    """
    data = load(scenario, lang)
    console = make_console()
    print_scenario(data, str(scenario), console, lang)
    print_capacity(analyse(data), console, lang, tables=False)


@click.command("check", epilog=EXIT_CODES_HELP)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("plan", type=click.Path(path_type=Path))
@lang_option
def check_command(scenario: Path, plan: Path, lang: Lang) -> None:
    """Verify PLAN (plan.json or result.json) against SCENARIO without CP-SAT.

    Prints every violation of the rules, or "0 violations" and the total
    cost recomputed by the checker. With a result.json, its objective is
    checked too.
    """
    problems: list[InputError] = []
    data: Scenario | None = None
    loaded: tuple[Plan, float | None] | None = None
    try:
        data = load_scenario(scenario, lang=lang)
    except InputError as error:
        problems.append(error)
    try:
        loaded = load_plan_and_objective(plan)
    except InputError as error:
        problems.append(error)
    if data is None or loaded is None:
        messages = [m for error in problems for m in error.messages]
        fail_input(InputError(messages, next((e.hint for e in problems if e.hint), None)), lang)
    loaded_plan, objective = loaded

    try:
        report = check_plan(data, loaded_plan, objective=objective)
    except Exception:
        fail_internal(N_("the plan checker raised an exception"), lang)
    if report.violations:
        n = len(report.violations)
        click.echo(ngettext("%(num)d violation:", "%(num)d violations:", n, lang) % {"num": n})
        for violation in report.violations:
            click.echo(f"  - {violation}")
        sys.exit(ExitCode.INFEASIBLE)
    click.echo(gettext("0 violations", lang))
    if report.pricing is not None:
        total = money(report.pricing.total_ore / 100, lang)
        click.echo(gettext("recomputed total: %(total)s", lang) % {"total": total})
    stated = next((c.total for c in loaded_plan.costs if c.stage == "total"), None)
    if stated is not None:
        total = money(stated, lang)
        click.echo(gettext("plan's stated total: %(total)s", lang) % {"total": total})


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the scenario format."""
    click.echo(json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False))
