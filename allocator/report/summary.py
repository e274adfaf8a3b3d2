"""Plain-text summaries of scenarios and results for the command line.

Rendered with rich tables; when the output is not a terminal (a file, a
pipe) no colours are used and the width grows to fit the tables, so the
text is stable and can be kept with a case file.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import IO

from rich.console import Console
from rich.table import Table

from allocator import rules
from allocator.i18n import DEFAULT_LANG, Lang, day, gettext, number
from allocator.labels import key_figures, label
from models.plan import CostCategory, Kpis, Plan, Result
from models.scenario import Agreement, Scenario, Source

__all__ = ["fmt_dkk", "make_console", "plural", "print_result", "print_scenario"]


def plural(n: int, word: str) -> str:
    """``"1 stage"``, ``"3 stages"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt_dkk(value: float | None, lang: Lang = "en") -> str:
    """Kroner with the language's separators and two decimals; ``-`` for none."""
    return "-" if value is None else number(value, lang, decimals=2)


def make_console(file: IO[str] | None = None, *, width: int = 400) -> Console:
    """A console on ``file`` (stdout by default) for summaries.

    Parameters
    ----------
    file
        Where to write; ``None`` means the current ``sys.stdout``.
    width
        Width used when the output is not a terminal, so that wide cost
        tables (many stages) are not wrapped in files and pipes. Tables are
        as wide as their content, text lines are not padded.
    """
    console = Console(file=file, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(file=file, highlight=False, soft_wrap=False, width=width)
    return console


def _cost_table(plan: Plan, lang: Lang) -> Table:
    """Cost by budget category (rows) and stage (columns), DKK."""
    _ = gettext
    table = Table(title=_("Cost by category (DKK)", lang), title_justify="left")
    table.add_column(_("category", lang))
    for stage_cost in plan.costs:
        name = _("total", lang) if stage_cost.stage == "total" else stage_cost.stage
        table.add_column(name, justify="right", no_wrap=True)
    for category in CostCategory:
        table.add_row(
            label(category, lang),
            *(fmt_dkk(sc.by_category.get(category, 0.0), lang) for sc in plan.costs),
        )
    table.add_section()
    table.add_row(_("total", lang), *(fmt_dkk(sc.total, lang) for sc in plan.costs), style="bold")
    return table


def _kpi_table(plan: Plan, lang: Lang) -> Table:
    """Key figures of the plan, one per row."""
    table = Table(title=gettext("Key figures", lang), title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for f in key_figures(plan, lang):
        table.add_row(f.label, fmt_dkk(f.value, lang) if f.money else number(f.value, lang))
    return table


def _stage_table(kpis: Kpis, lang: Lang) -> Table:
    """Per-stage key figures (R3, R10)."""
    _ = gettext
    table = Table(title=_("Stages", lang), title_justify="left")
    names = (
        _("stage", lang),
        _("households", lang),
        _("rehoused", lang),
        _("spares", lang),
        _("pool", lang),
        _("overcapacity", lang),
        _("notice date", lang),
    )
    for i, name in enumerate(names):
        table.add_column(name, justify="left" if i == 0 else "right")
    for s in kpis.stages:
        over = "-" if s.overcapacity is None else f"{number(s.overcapacity * 100, lang)} %"
        notice = day(s.notice_date, lang, style="short")
        if s.notice_in_past:
            notice += " (" + _("passed", lang) + ")"
        table.add_row(
            s.stage, str(s.households), str(s.displaced), str(s.spares), str(s.pool), over, notice
        )
    return table


def print_result(
    result: Result,
    console: Console,
    lang: Lang = DEFAULT_LANG,
    scenario: Scenario | None = None,
) -> None:
    """Print status, objective, bound, gap, solver, warnings, costs and KPIs.

    Parameters
    ----------
    result
        What :func:`allocator.solve` returned.
    console
        Where to print (see :func:`make_console`).
    lang
        The language of the summary.
    scenario
        The scenario solved: its own warnings are then shown in ``lang``
        (:func:`allocator.rules.warnings_in`), not as ``result`` keeps them.
    """
    _ = gettext
    info = result.solver
    gap = "-" if result.gap is None else f"{number(result.gap * 100, lang, decimals=2)} %"
    lines = [
        (_("scenario", lang), result.scenario),
        (_("status", lang), label(result.status, lang)),
        (
            _("objective", lang),
            fmt_dkk(result.objective, lang) + " " + _("DKK (budget cost plus penalties)", lang),
        ),
        (_("bound", lang), fmt_dkk(result.bound, lang) + " " + _("DKK", lang)),
        (_("gap", lang), gap),
        (_("runtime", lang), f"{number(result.runtime, lang, decimals=1)} s"),
        (
            _("solver", lang),
            _(
                "OR-Tools %(version)s, seed %(seed)s, %(workers)s workers, time limit %(limit)s s",
                lang,
            )
            % {
                "version": info.ortools_version,
                "seed": info.seed,
                "workers": info.num_workers,
                "limit": f"{info.time_limit:g}",
            },
        ),
    ]
    width = max(len(name) for name, _value in lines) + 1
    for name, value in lines:
        console.print(f"{name.ljust(width)} {value}", markup=False)
    warnings = result.warnings
    if scenario is not None:
        warnings = rules.warnings_in(scenario, warnings, lang)
    if warnings:
        console.print(_("warnings:", lang))
        for warning in warnings:
            console.print(f"  - {warning}", markup=False)
    if result.plan is None:
        console.print(_("no plan", lang))
        return
    console.print()
    console.print(_cost_table(result.plan, lang))
    console.print()
    console.print(_kpi_table(result.plan, lang))
    if result.plan.kpis.stages:
        console.print()
        console.print(_stage_table(result.plan.kpis, lang))


def print_scenario(
    scenario: Scenario, source: str, console: Console, lang: Lang = DEFAULT_LANG
) -> None:
    """Print a short overview of a valid scenario and its R3 notice warnings.

    Parameters
    ----------
    scenario
        The validated scenario.
    source
        The file it came from.
    console
        Where to print (see :func:`make_console`).
    lang
        The language of the overview.
    """
    _ = gettext
    policy = scenario.policy
    console.print(
        _("%(file)s: valid scenario %(name)r", lang) % {"file": source, "name": scenario.name},
        markup=False,
    )
    when = _("planning date %(day)s", lang) % {"day": day(policy.planning_date, lang)}
    if scenario.municipality:
        when += ", " + _("municipality %(name)s", lang) % {"name": scenario.municipality}
    console.print(when, markup=False)

    per_stage = Counter(scenario.stage_of(h).id for h in scenario.households)
    title = _("Stages (%(num)d)", lang) % {"num": len(scenario.stages)}
    table = Table(title=title, title_justify="left")
    names = (
        _("stage", lang),
        _("start", lang),
        _("end", lang),
        _("move-out", lang),
        _("back", lang),
        _("notice by", lang),
        _("households", lang),
    )
    for i, name in enumerate(names):
        table.add_column(name, justify="right" if i == len(names) - 1 else "left")

    def short(value: date) -> str:
        return day(value, lang, style="short")

    for stage in scenario.stages:
        table.add_row(
            stage.id,
            short(stage.start),
            short(stage.end),
            short(scenario.date_of(rules.move_out_day(scenario, stage))),
            short(scenario.date_of(rules.back_day(scenario, stage))),
            short(rules.stage_notice_date(scenario, stage)),
            str(per_stage.get(stage.id, 0)),
        )
    console.print(table)

    agreements = Counter(h.agreement for h in scenario.households)
    console.print(
        _("households: %(num)d (%(parts)s)", lang)
        % {
            "num": len(scenario.households),
            "parts": ", ".join(
                f"{label(a, lang)} {agreements[a]}" for a in Agreement if agreements[a]
            ),
        },
        markup=False,
    )
    sources = Counter(d.source for d in scenario.dwellings)
    vacant = Counter(d.source for d in scenario.dwellings if d.vacant_from is not None)
    parts = [
        f"{label(s, lang)} {sources[s]}"
        + (" " + _("of which %(num)d vacant", lang) % {"num": vacant[s]} if vacant[s] else "")
        for s in Source
        if sources[s]
    ]
    console.print(
        _("dwellings: %(num)d (%(parts)s)", lang)
        % {"num": len(scenario.dwellings), "parts": "; ".join(parts)},
        markup=False,
    )
    referral = sum(d.municipal_referral for d in scenario.dwellings)
    if referral:
        console.print(
            "  "
            + _("of which reserved for municipal referral (R15): %(num)d", lang) % {"num": referral}
        )
    console.print(
        _("after-renovation dwellings: %(num)d", lang) % {"num": len(scenario.after_dwellings)}
    )
    if scenario.pavilions:
        types = ", ".join(
            _("%(id)s (%(rooms)d rooms, up to %(count)d)", lang)
            % {"id": p.id, "rooms": p.rooms, "count": p.max_count}
            for p in scenario.pavilions
        )
        console.print(_("pavilion types: %(types)s", lang) % {"types": types}, markup=False)
    else:
        console.print(_("pavilion types: none", lang))
    warnings = rules.notice_warnings(scenario, lang) + rules.wish_warnings(scenario, lang)
    if warnings:
        console.print(_("warnings:", lang))
        for warning in warnings:
            console.print(f"  - {warning}", markup=False)
    else:
        console.print(_("warnings: none", lang))
