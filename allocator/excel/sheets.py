"""Writing sheets: two header rows (Danish label, English field name), then data.

The template and the result workbook use the same layout; every workbook
is saved through :func:`allocator.io.write.write_file`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from allocator.excel.fields import NO, TEXT_FORMAT, YES
from allocator.io.cells import spreadsheet_text
from allocator.io.write import write_file

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "Column",
    "Pair",
    "save_workbook",
    "write_pairs",
    "write_table",
]


_LAST_ROW: Final = 1_048_576  # validations and formats cover the whole column

_HEADER_FONT: Final = Font(bold=True, color="FFFFFF")
_HEADER_FILL: Final = PatternFill("solid", fgColor="1F4E78")
_FIELD_FONT: Final = Font(italic=True, color="595959", size=9)
_FIELD_FILL: Final = PatternFill("solid", fgColor="DDEBF7")

_KEY_COLUMNS: Final = (("Felt", "label"), ("Værdi", "value"), ("Nøgle", "key"))


def save_workbook(wb: Workbook, path: str | os.PathLike[str]) -> None:
    """Save a workbook with :func:`~allocator.io.write.write_file` (atomically)."""
    buffer = io.BytesIO()
    wb.save(buffer)
    write_file(path, buffer.getvalue())


def _cell_value(value: Any) -> Any:
    """A Python value as something openpyxl writes well."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return ", ".join(str(_cell_value(v)) for v in value) or None
    if isinstance(value, str) and not value:
        return None
    return value


def _put(ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None) -> None:
    cell = ws.cell(row=row, column=col)
    shown = _cell_value(value)
    cell.value = spreadsheet_text(shown) if isinstance(shown, str) else shown
    if number_format is not None:
        cell.number_format = number_format


@dataclass
class Column:
    """A column of a sheet: its two header cells and how its cells look."""

    label: str  # Danish header, row 1
    key: str  # English name, row 2
    number_format: str | None = None
    help: str = ""
    choices: Sequence[str] | None = None  # drop-down values
    width: float | None = None
    validation: DataValidation | None = None  # any other check of the cells (numbers, dates)


def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    first_row: int = 1,
    freeze: str | None = "B3",
    whole_columns: bool = True,
    widen_only: bool = False,
) -> int:
    """Write two header rows and data rows; return the last row written."""
    for c, col in enumerate(columns, start=1):
        top = ws.cell(row=first_row, column=c, value=col.label)
        top.font = _HEADER_FONT
        top.fill = _HEADER_FILL
        top.alignment = Alignment(vertical="top", wrap_text=True)
        if col.help:
            top.comment = Comment(col.help, "genhus", width=260, height=90)
        sub = ws.cell(row=first_row + 1, column=c, value=col.key)
        sub.font = _FIELD_FONT
        sub.fill = _FIELD_FILL
    last = first_row + 1
    widths = [max(len(col.label), len(col.key)) for col in columns]
    for r, values in enumerate(rows, start=first_row + 2):
        last = r
        for c, (col, value) in enumerate(zip(columns, values, strict=True), start=1):
            _put(ws, r, c, value, col.number_format)
            shown = ws.cell(row=r, column=c).value
            text = shown.isoformat() if isinstance(shown, date) else str(shown or "")
            widths[c - 1] = max(widths[c - 1], len(text) + (3 if col.number_format else 0))
    for c, col in enumerate(columns, start=1):
        letter = get_column_letter(c)
        dim = ws.column_dimensions[letter]
        width = col.width or min(max(widths[c - 1] + 2, 8), 45)
        dim.width = max(width, dim.width or 0) if widen_only else width
        if whole_columns and col.number_format is not None:
            dim.number_format = col.number_format
        if col.choices is not None:
            dv = _drop_down(col.choices)
            end = _LAST_ROW if whole_columns else max(last, first_row + 2)
            dv.add(f"{letter}{first_row + 2}:{letter}{end}")
            ws.add_data_validation(dv)
        elif col.validation is not None:
            end = _LAST_ROW if whole_columns else max(last, first_row + 2)
            col.validation.add(f"{letter}{first_row + 2}:{letter}{end}")
            ws.add_data_validation(col.validation)
    if freeze:
        ws.freeze_panes = freeze
    return last


def _drop_down(choices: Sequence[str]) -> DataValidation:
    """A list validation offering ``choices`` and refusing anything else."""
    return DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Ugyldig værdi",
        error="Vælg en værdi fra listen: " + ", ".join(choices),
    )


Pair = tuple[str, Any, str, str | None, Sequence[str] | None]
"""A key/value row: Danish label, value, key, number format, drop-down choices."""


def write_pairs(ws: Worksheet, rows: Sequence[Pair], *, first_row: int = 1) -> int:
    """Write a key/value table (label, value, key); return the last row written."""
    columns = [Column(label, key) for label, key in _KEY_COLUMNS]
    columns[2].number_format = TEXT_FORMAT
    last = write_table(
        ws,
        columns,
        [(label, value, key) for label, value, key, _, _ in rows],
        first_row=first_row,
        freeze="A3" if first_row == 1 else None,
        whole_columns=False,
        widen_only=first_row > 1,
    )
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 16)
    for r, (_, _, _, number_format, choices) in enumerate(rows, start=first_row + 2):
        if number_format is not None:
            ws.cell(row=r, column=2).number_format = number_format
        if choices:
            dv = _drop_down(choices)
            dv.add(f"B{r}")
            ws.add_data_validation(dv)
    return last
