"""How a problem with an input file is reported: the error and the place it names.

Every problem is one line of the form ``FILE: FIELD_PATH: what is wrong``,
for example::

    scenarios/x.yaml: households[17].seniority_date: invalid date 'fish' (line 212)

All problems of a file are collected and raised together as one
:class:`InputError`, so that a planner can fix a file in one go. The Excel
reader (:mod:`allocator.excel.read`) raises it too, naming sheet, row and
column instead of a field path.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["TOP", "InputError", "Locator", "format_loc", "parse_path"]

#: Maps a location inside the input (a pydantic ``loc`` tuple) to a human
#: position such as ``"line 12"`` or ``"sheet Households, row 19"``.
Locator = Callable[[tuple[str | int, ...]], str | None]

#: Path shown for problems that concern the whole document.
TOP = "(top level)"

_PATH_RE = re.compile(r"^[A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*$")
_PATH_TOKEN_RE = re.compile(r"\[(\d+)\]|\.?([A-Za-z_]\w*)")


class InputError(Exception):
    """One or more problems with an input file.

    Parameters
    ----------
    messages
        One line per problem, each ``FILE: FIELD_PATH: what is wrong``.
    hint
        Optional advice shown after the messages (not a problem itself).

    Attributes
    ----------
    messages : list of str
        The problems, in a stable order (by section and item).
    hint : str or None
        Advice for the reader, for example that more checks run once these
        problems are fixed.
    """

    def __init__(self, messages: list[str], hint: str | None = None) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)
        self.hint = hint


def format_loc(loc: tuple[str | int, ...]) -> str:
    """Render a pydantic location as a field path, e.g. ``households[17].seniority_date``.

    Parameters
    ----------
    loc
        Location tuple: field names and list indices.

    Returns
    -------
    str
        The path, or ``(top level)`` for the empty location.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or TOP


def parse_path(path: str) -> tuple[str | int, ...] | None:
    """Inverse of :func:`format_loc` for simple paths; ``None`` if ``path`` is not one."""
    if not _PATH_RE.match(path):
        return None
    return tuple(int(index) if index else name for index, name in _PATH_TOKEN_RE.findall(path))
