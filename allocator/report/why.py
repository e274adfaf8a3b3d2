"""The "why" of a scenario and a plan: capacity tables, diagnosis, cost drivers, figures.

On the console (``print_*``) and as the data of the report's "why" section
(:func:`why_context`, rendered by ``templates/report_why.html``). Kept apart
from :mod:`allocator.report.summary` and :mod:`allocator.report.html` so
they change independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from allocator.explain.capacity import SOURCES, analyse, shortages
from allocator.explain.household import cost_drivers
from allocator.explain.words import describe, describe_row, marginal_label, need_label, source_label
from allocator.i18n import Lang, day, gettext, money, ngettext
from models.explain import CapacityRow, Diagnosis, MarginalValue, StageCapacity
from models.plan import Result
from models.scenario import Scenario

__all__ = ["capacity_table", "print_capacity", "print_diagnosis", "print_marginal", "why_context"]

#: Need classes per stage in the report's tables, the tightest first.
REPORT_ROWS = 8


def _columns(lang: Lang) -> list[str]:
    names = ("need class", "households", "away", "moved for good", "spares", "demand")
    return [
        *(gettext(n, lang) for n in names),
        *(source_label(s, lang) for s in SOURCES),
        gettext("supply", lang),
        gettext("short", lang),
    ]


def _tightest(stage: StageCapacity, rows: int | None) -> list[CapacityRow]:
    """The stage's own row, then its need classes with demand, the tightest first."""
    whole, *classes = stage.rows
    ranked = sorted(
        (r for r in classes if r.demand),
        key=lambda r: (r.demand - r.supply, r.demand),
        reverse=True,
    )
    return [whole, *ranked[:rows]]


def _cells(row: CapacityRow, lang: Lang) -> list[str]:
    return [
        need_label(row.need, lang),
        str(row.households),
        str(row.stays),
        str(row.permanent),
        str(row.spares),
        str(row.demand),
        *(str(row.by_source.get(s, 0)) for s in SOURCES),
        str(row.supply),
        str(row.short) if row.short else "",
    ]


def capacity_table(stage: StageCapacity, lang: Lang = "da", *, rows: int | None = None) -> Table:
    """One stage's capacity rows: demand against the places that could be free.

    ``rows``: at most this many need classes, the tightest first (all if ``None``).
    """
    title = gettext("Stage {stage}: capacity on {day}", lang).format(
        stage=stage.stage, day=day(stage.first_out, lang)
    )
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(_columns(lang)):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in _tightest(stage, rows):
        table.add_row(*_cells(row, lang), style="bold red" if row.short else None)
    return table


def print_capacity(
    analysis: list[StageCapacity],
    console: Console,
    lang: Lang = "da",
    *,
    tables: bool = True,
    rows: int | None = None,
) -> None:
    """Print the shortages in words and, with ``tables``, a table per stage."""
    found = shortages(analysis)
    if tables:
        for stage in analysis:
            console.print(capacity_table(stage, lang, rows=rows))
    if found:
        console.print(gettext("capacity shortages (no plan can meet them):", lang))
        for row in found:
            console.print("  - " + describe_row(row, lang), markup=False)
    else:
        console.print(gettext("capacity: no shortage found", lang))


def print_diagnosis(
    diagnosis: Diagnosis, scenario: Scenario, console: Console, lang: Lang = "da"
) -> None:
    """Print why the scenario is infeasible and what would lift it."""
    console.print(gettext("why there is no plan:", lang))
    if not diagnosis.causes:
        console.print("  " + gettext("no cause was found within the time limit", lang))
    for line in describe(diagnosis, scenario, lang):
        console.print("  " + line, markup=False)


def print_marginal(values: Sequence[MarginalValue], console: Console, lang: Lang = "da") -> None:
    """Print what each change is worth, with the two costs it was measured from."""
    table = Table(title=gettext("What a change is worth", lang), title_justify="left")
    for name in ("change", "saving", "cost before", "cost after", "measured by"):
        table.add_column(gettext(name, lang), justify="left" if name == "change" else "right")
    for v in values:
        table.add_row(
            marginal_label(v, lang),
            money(v.saving, lang),
            money(v.base, lang),
            money(v.changed, lang),
            v.method,
        )
    console.print(table)


def why_context(scenario: Scenario, result: Result, lang: Lang = "da") -> dict[str, Any]:
    """What the report's "why" section shows (``templates/report_why.html``).

    The capacity table of every stage (the tightest need classes) and its
    shortages in words; the diagnosis if the scenario is infeasible; with a
    plan the stages, places and households that cost most and the marginal
    values the result carries (``Result.marginal``, from ``genhus solve --why``).
    """
    analysis = analyse(scenario)
    context: dict[str, Any] = {
        "title": gettext("Why", lang),
        "capacity_title": gettext("Capacity before solving", lang),
        "columns": _columns(lang),
        "stages": [
            {
                "title": gettext("Stage {stage}: capacity on {day}", lang).format(
                    stage=stage.stage, day=day(stage.first_out, lang)
                ),
                "rows": [
                    {"cells": _cells(row, lang), "short": bool(row.short)}
                    for row in _tightest(stage, REPORT_ROWS)
                ],
            }
            for stage in analysis
        ],
        "shortages": [describe_row(r, lang) for r in shortages(analysis)],
        "no_shortage": gettext("capacity: no shortage found", lang),
        "diagnosis_title": gettext("why there is no plan:", lang),
        "diagnosis": (
            describe(result.diagnosis, scenario, lang) if result.diagnosis is not None else []
        ),
        "drivers_title": gettext("What costs most", lang),
        "drivers_columns": [gettext(n, lang) for n in ("kind", "name", "cost", "detail")],
        "drivers": [],
        "marginal_title": gettext("What a change is worth", lang),
        "marginal_columns": [
            gettext(n, lang)
            for n in ("change", "saving", "cost before", "cost after", "measured by")
        ],
        "marginal": [
            [
                marginal_label(v, lang),
                money(v.saving, lang),
                money(v.base, lang),
                money(v.changed, lang),
                v.method,
            ]
            for v in result.marginal
        ],
    }
    if result.plan is not None:
        context["drivers"] = [
            [ngettext(d.kind, d.kind + "s", 1, lang), d.name, money(d.cost, lang), d.detail(lang)]
            for d in cost_drivers(scenario, result.plan)
        ]
    return context
