"""The "why" of a scenario and a plan on the console: capacity tables, diagnosis, figures.

Kept apart from :mod:`allocator.report.summary` so the two change independently.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from allocator.explain.capacity import SOURCES
from allocator.explain.words import describe, describe_row, need_label, source_label
from allocator.i18n import Lang, day, gettext, money
from models.explain import Diagnosis, MarginalValue, StageCapacity
from models.scenario import Scenario

__all__ = ["capacity_table", "print_capacity", "print_diagnosis", "print_marginal"]


def capacity_table(stage: StageCapacity, lang: Lang = "da", *, rows: int | None = None) -> Table:
    """One stage's capacity rows: demand against the places that could be free.

    ``rows``: at most this many need classes, the tightest first (all if ``None``).
    """
    title = gettext("Stage {stage}: capacity on {day}", lang).format(
        stage=stage.stage, day=day(stage.first_out, lang)
    )
    table = Table(title=title, title_justify="left")
    table.add_column(gettext("need class", lang))
    for name in ("households", "away", "moved for good", "spares", "demand"):
        table.add_column(gettext(name, lang), justify="right")
    for source in SOURCES:
        table.add_column(source_label(source, lang), justify="right")
    table.add_column(gettext("supply", lang), justify="right")
    table.add_column(gettext("short", lang), justify="right")
    whole, *classes = stage.rows
    classes = sorted(
        (r for r in classes if r.demand),
        key=lambda r: (r.demand - r.supply, r.demand),
        reverse=True,
    )
    for row in [whole, *classes[:rows]]:
        table.add_row(
            need_label(row.need, lang),
            str(row.households),
            str(row.stays),
            str(row.permanent),
            str(row.spares),
            str(row.demand),
            *(str(row.by_source.get(s, 0)) for s in SOURCES),
            str(row.supply),
            str(row.short) if row.short else "",
            style="bold red" if row.short else None,
        )
    return table


def print_capacity(
    analysis: Sequence[StageCapacity],
    console: Console,
    lang: Lang = "da",
    *,
    tables: bool = True,
    rows: int | None = None,
) -> None:
    """Print the shortages in words and, with ``tables``, a table per stage."""
    shortages = [row for stage in analysis for row in stage.rows if row.short]
    if tables:
        for stage in analysis:
            console.print(capacity_table(stage, lang, rows=rows))
    if shortages:
        console.print(gettext("capacity shortages (no plan can meet them):", lang))
        for row in shortages:
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


def marginal_label(v: MarginalValue, lang: Lang = "da") -> str:
    """A marginal value's change in words."""
    if v.what == "place":
        return gettext("one more place ({need}) free from {start}", lang).format(
            need=need_label(v.need, lang), start=day(v.start, lang) if v.start else ""
        )
    if v.what == "overcapacity_point":
        return gettext("one point less overcapacity target", lang)
    return gettext("stage {stage} one month later", lang).format(stage=v.stage)
