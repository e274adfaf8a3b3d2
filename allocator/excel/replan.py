"""The replan's sheet in the result workbook: households affected, letters, cost change."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Font

from allocator.excel.fields import DATE_FORMAT, MONEY_FORMAT
from allocator.excel.sheets import save_workbook
from allocator.i18n import Lang, gettext, ngettext
from allocator.replan.diff import category_label
from models.replan import ReplanDiff

__all__ = ["add_replan_sheet"]


def add_replan_sheet(path: str | os.PathLike[str], diff: ReplanDiff, lang: Lang = "da") -> None:
    """Add the sheet ``Genplanlægning`` (``Replanning``) to the workbook at ``path``.

    Three tables one under the other: the households whose plan changed
    (field, old, new, promise broken), the letters to send (latest day,
    legal latest day, correction, overdue) and the cost by category before
    and after. The workbook is rewritten atomically.
    """
    _ = lambda msg: gettext(msg, lang)  # noqa: E731
    wb = load_workbook(path)
    title = _("Replanning")
    if title in wb.sheetnames:
        del wb[title]
    ws = wb.create_sheet(title)
    row = 1

    def table(
        head: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[str | None]
    ) -> None:
        nonlocal row
        for col, text in enumerate(head, 1):
            ws.cell(row, col, text).font = Font(bold=True)
        row += 1
        for values in rows:
            for col, (value, fmt) in enumerate(zip(values, formats, strict=True), 1):
                cell = ws.cell(row, col, value)
                if fmt and value is not None:
                    cell.number_format = fmt
            row += 1
        row += 1

    ws.cell(row, 1, f"{_('Replanned as of')}").font = Font(bold=True)
    ws.cell(row, 2, diff.as_of).number_format = DATE_FORMAT
    row += 2
    table(
        [_("Figure"), _("Value")],
        [
            (_("Households affected"), len(diff.households)),
            (_("Promises made (letters sent)"), diff.promises),
            (_("Promises broken"), diff.broken),
        ],
        [None, None],
    )
    table(
        [
            ngettext("household", "households", 1, lang),
            ngettext("stage", "stages", 1, lang),
            _("Change"),
            _("Before"),
            _("After"),
            _("promise broken"),
        ],
        [
            (h.household, h.stage, _(field), old, new, ", ".join(_(w) for w in h.broken))
            for h in diff.households
            for field, (old, new) in h.changes.items()
        ],
        [None] * 6,
    )
    table(
        [
            ngettext("household", "households", 1, lang),
            _("Letter"),
            _("by"),
            _("legal notice period met if sent by"),
            _("replaces the letter sent"),
            _("overdue: send at once"),
            _("the legal notice period can no longer be met"),
        ],
        [
            (
                letter.household,
                _("notice letter") if letter.kind == "notice" else _("return letter"),
                letter.due,
                letter.legal_latest,
                _("yes") if letter.correction else "",
                _("yes") if letter.overdue else "",
                "" if letter.legal_met else _("yes"),
            )
            for letter in diff.letters
        ],
        [None, None, DATE_FORMAT, DATE_FORMAT, None, None, None],
    )
    table(
        [_("Category"), _("Before"), _("After"), _("Change")],
        [(category_label(c.category, lang), c.old, c.new, c.delta) for c in diff.costs]
        + [(_("Total cost"), diff.old_total, diff.new_total, diff.new_total - diff.old_total)],
        [None, MONEY_FORMAT, MONEY_FORMAT, MONEY_FORMAT],
    )
    for letter, width in zip("ABCDEFG", (14, 22, 22, 22, 22, 22, 30), strict=True):
        ws.column_dimensions[letter].width = width
    save_workbook(wb, path)
