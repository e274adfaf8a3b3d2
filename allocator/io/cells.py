"""User text in spreadsheets: shown as typed, never run as a formula.

A spreadsheet opening a CSV file or a cell whose text starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) reads it as
a formula, which can run commands (CSV or formula injection). Every CSV
file and every workbook cell genhus writes from user text goes through
:func:`spreadsheet_text`, which puts an apostrophe before such text, as
OWASP recommends and as spreadsheet tools read it; :func:`from_spreadsheet_text`
takes it off again when genhus reads its own workbook back.
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped,unused-ignore]

__all__ = ["FORMULA_STARTS", "from_spreadsheet_text", "spreadsheet_frame", "spreadsheet_text"]

#: First characters that make a spreadsheet read text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """``text`` as a cell that a spreadsheet shows but never runs.

    Parameters
    ----------
    text
        User text (a name, an id, an address ...).

    Returns
    -------
    str
        ``text``, with ``'`` before it if it starts like a formula.

    Examples
    --------
    >>> spreadsheet_text("=1+2")
    "'=1+2"
    >>> spreadsheet_text("Blok A")
    'Blok A'
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def from_spreadsheet_text(text: str) -> str:
    """The text :func:`spreadsheet_text` was given (a cell read back)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through :func:`spreadsheet_text` (for CSV)."""

    def cell(value: Any) -> Any:
        return spreadsheet_text(value) if isinstance(value, str) else value

    return frame.map(cell)
