"""The result workbook's sheet ``Hvorfor`` (why): capacity, diagnosis, cost drivers, figures.

Blocks one under the other, each with a bold title: the capacity rows of
every stage (:func:`allocator.explain.capacity.analyse`), the shortages and
the diagnosis in words, the stages, places and households that cost most,
and the marginal values the result carries (``Result.marginal``). Amounts
are numbers in kroner, not text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from openpyxl.styles import Font

from allocator.excel.fields import DATE_FORMAT, MONEY_FORMAT
from allocator.explain.capacity import SOURCES, analyse, shortages
from allocator.explain.household import cost_drivers
from allocator.explain.words import (
    describe,
    describe_row,
    marginal_label,
    need_label,
    source_label,
)
from allocator.i18n import N_, Lang, gettext, ngettext
from allocator.io.cells import spreadsheet_text
from models.plan import Result
from models.scenario import Scenario

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["SHEET", "write_why_sheet"]

#: The sheet's name (a catalogue message: "Hvorfor" in Danish).
SHEET = N_("Why")

_BOLD = Font(bold=True)

#: What a cell of the sheet holds.
Cell = str | int | float | date | None


def write_why_sheet(ws: Worksheet, scenario: Scenario, result: Result, lang: Lang = "da") -> None:
    """Fill ``ws`` with the why of ``result`` (see the module docstring)."""
    row = 1

    def put(
        values: Sequence[Cell], *, bold: bool = False, formats: dict[int, str] | None = None
    ) -> None:
        nonlocal row
        for col, value in enumerate(values, start=1):
            # user text (names, ids) must never run as a formula
            shown = spreadsheet_text(value) if isinstance(value, str) else value
            cell = ws.cell(row=row, column=col, value=shown)
            if bold:
                cell.font = _BOLD
            if formats and col in formats:
                cell.number_format = formats[col]
        row += 1

    if result.diagnosis is not None:
        put([gettext("why there is no plan:", lang)], bold=True)
        for line in describe(result.diagnosis, scenario, lang):
            put([line])
        row += 1
    put([gettext("Capacity before solving", lang)], bold=True)
    analysis = analyse(scenario)
    header = [
        ngettext("stage", "stages", 1, lang),
        gettext("day", lang),
        gettext("need class", lang),
        *(gettext(n, lang) for n in ("households", "away", "moved for good", "spares", "demand")),
        *(source_label(s, lang) for s in SOURCES),
        gettext("supply", lang),
        gettext("short", lang),
    ]
    put(header, bold=True)
    for stage in analysis:
        for r in stage.rows:
            put(
                [
                    r.stage,
                    r.day,
                    need_label(r.need, lang),
                    r.households,
                    r.stays,
                    r.permanent,
                    r.spares,
                    r.demand,
                    *(r.by_source.get(s, 0) for s in SOURCES),
                    r.supply,
                    r.short,
                ],
                formats={2: DATE_FORMAT},
            )
    found = shortages(analysis)
    for r in found:
        put([describe_row(r, lang)])
    if not found:
        put([gettext("capacity: no shortage found", lang)])
    row += 1
    if result.plan is not None:
        put([gettext("What costs most", lang)], bold=True)
        put([gettext(n, lang) for n in ("kind", "name", "cost", "detail")], bold=True)
        for d in cost_drivers(scenario, result.plan):
            put(
                [ngettext(d.kind, d.kind + "s", 1, lang), d.name, d.cost, d.detail(lang)],
                formats={3: MONEY_FORMAT},
            )
        row += 1
    if result.marginal:
        put([gettext("What a change is worth", lang)], bold=True)
        names = ("change", "saving", "cost before", "cost after", "measured by")
        put([gettext(n, lang) for n in names], bold=True)
        for v in result.marginal:
            put(
                [marginal_label(v, lang), v.saving, v.base, v.changed, v.method],
                formats={2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: MONEY_FORMAT},
            )
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["C"].width = 30
