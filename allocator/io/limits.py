"""The boundary every input file passes: size limits, and a refusal for what cannot be bounded.

A scenario, a plan or a workbook comes from a person, and may come from a
careless or a hostile one: ten lines of YAML aliases that expand to a
billion items, a number of 5,000 digits, a FIFO where a file belongs, a
workbook whose rows reach column XFD. Each would hang the planner, exhaust
its memory or end in a traceback. Every input is therefore read here
first (:func:`read_input`, :func:`decode_text`), its parsed form measured
(:func:`check_tree`; YAML's node graph in :mod:`allocator.io.yaml_source`,
a workbook's parts in :mod:`allocator.excel.read`), and refused with one
:class:`~allocator.io.errors.InputError` naming the file and what is wrong.
The value ranges the model itself needs (dates, periods, money, text) are
in :mod:`models.bounds`.

The messages of each kind are built by one function here, so that they
can be translated in one place.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from allocator.io.errors import TOP, InputError, format_loc

__all__ = [
    "LIMITS",
    "Limits",
    "aliases_expand",
    "check_tree",
    "decode_text",
    "line_and_column",
    "mib",
    "read_input",
    "refuse",
    "short",
    "too_deep",
    "too_long",
    "too_many_digits",
]


@dataclass(frozen=True)
class Limits:
    """How large an input may be; every limit is far above any real case.

    Attributes
    ----------
    file_bytes
        Largest YAML or JSON file (64 MiB; the 7,000-household portfolio
        scenario is 4.4 MB).
    workbook_bytes
        Largest ``.xlsx`` file (32 MiB).
    unpacked_bytes
        Largest total of a workbook's parts once unpacked (256 MiB): a zip
        bomb is refused before it is unpacked.
    depth
        Deepest nesting of mappings and lists (a scenario needs 4).
    alias_growth
        How many times larger YAML aliases may make a document than it is
        written (plus :attr:`alias_slack` nodes): a "billion laughs" is
        refused before it is expanded.
    alias_slack
        Nodes that aliases may add to any document.
    string_chars
        Longest text value or key.
    number_chars
        Longest number, in characters (an integer of 5,000 digits is refused
        before Python is asked to convert it).
    sheet_rows
        Most rows read from a sheet.
    sheet_columns
        Columns read from a sheet (A to CV); cells further right are ignored.
    """

    file_bytes: int = 64 * 2**20
    workbook_bytes: int = 32 * 2**20
    unpacked_bytes: int = 256 * 2**20
    depth: int = 32
    alias_growth: int = 10
    alias_slack: int = 10_000
    string_chars: int = 10_000
    number_chars: int = 30
    sheet_rows: int = 200_000
    sheet_columns: int = 100


#: The limits every loader uses.
LIMITS = Limits()


def short(value: object, width: int = 60) -> str:
    """A value quoted as the user typed it, cut to ``width`` characters.

    Parameters
    ----------
    value
        Text, a number, a date (shown ISO, not as Python's ``datetime(...)``).
    width
        Longest result; longer text ends with ``...`` and its length.

    Returns
    -------
    str
        Text in quotes (``'fish'``), anything else as written (``12``,
        ``1900-01-01``).
    """
    if isinstance(value, date):  # a datetime too
        return value.isoformat().removesuffix("T00:00:00")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if not isinstance(value, str):
        text = str(value)
        return text if len(text) <= width else text[: width - 3] + "..."
    quoted = repr(value)
    if len(quoted) <= width:
        return quoted
    return f"{quoted[: width - 4]}...' ({len(value):,} characters)"


def refuse(path: Path | str, where: str, what: str) -> InputError:
    """The error for one input problem: ``FILE: WHERE: WHAT``.

    Parameters
    ----------
    path
        The input file.
    where
        A field path, ``line N, column M``, a sheet and row, or
        :data:`~allocator.io.errors.TOP`.
    what
        What is wrong, in plain words.

    Returns
    -------
    InputError
        To be raised by the caller.
    """
    return InputError([f"{path}: {where}: {what}"])


def mib(n: int) -> str:
    """``n`` bytes in MiB, one decimal (``4.2 MiB``)."""
    return f"{n / 2**20:,.1f} MiB"


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of an input file, refused if it is not a regular file or too large.

    The file is opened without blocking and checked on its open handle, so
    that a FIFO, a device or a socket named as the scenario is refused at
    once (reading one would wait forever or never end) and a file that grows
    while it is read is cut off at the limit.

    Parameters
    ----------
    path
        The input file.
    limit
        Largest size accepted, in bytes (:class:`Limits`).

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    InputError
        Missing, a directory, not a regular file, unreadable, or larger
        than ``limit``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise refuse(path, TOP, "file not found") from None
    except IsADirectoryError:
        raise refuse(path, TOP, "is a directory, not a file") from None
    except PermissionError:
        raise refuse(path, TOP, "permission denied") from None
    except OSError as exc:
        raise refuse(path, TOP, f"cannot open the file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise refuse(path, TOP, "is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise refuse(
                path, TOP, "is not a regular file (a FIFO, a device or a socket): not read"
            )
        size = os.fstat(fd).st_size
        if size > limit:
            raise refuse(path, TOP, f"the file is {mib(size)}; at most {mib(limit)} is read")
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise refuse(path, TOP, f"cannot read the file: {exc.strerror}") from None
    if len(raw) > limit:
        raise refuse(path, TOP, f"the file is larger than {mib(limit)}")
    return raw


# Control characters no YAML or JSON text holds outside an escape: C0 but tab,
# newline and carriage return; DEL and C1 but NEL (YAML's line break).
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def line_and_column(text: str, index: int) -> str:
    """``line N, column M`` (both from 1) of position ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def decode_text(path: Path, raw: bytes) -> str:
    """``raw`` as UTF-8 text (a byte order mark is dropped), refused if it holds control characters.

    Parameters
    ----------
    path
        The file the bytes come from.
    raw
        Its content (:func:`read_input`).

    Returns
    -------
    str
        The text.

    Raises
    ------
    InputError
        Not UTF-8, empty, or holding a control character (a NUL, an escape)
        outside a quoted escape sequence; the message names line and column.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise refuse(
            path, f"line {line}", f"the file is not UTF-8 text (byte {exc.start})"
        ) from None
    if not text.strip():
        raise refuse(path, TOP, "the file is empty")
    found = _TEXT_CONTROL.search(text)
    if found is not None:
        raise refuse(
            path,
            line_and_column(text, found.start()),
            f"the control character U+{ord(found.group()):04X} is not allowed in a text file",
        )
    return text


def check_tree(path: Path | str, data: object, limits: Limits = LIMITS) -> None:
    """Refuse parsed data (JSON) nested too deeply or holding a too long text.

    The walk uses its own stack, so that it cannot itself run out of
    recursion on the data it is to refuse.

    Parameters
    ----------
    path
        The file the data comes from.
    data
        Lists, mappings and scalars.
    limits
        :attr:`Limits.depth` and :attr:`Limits.string_chars` apply.

    Raises
    ------
    InputError
        Naming the field path of the first problem.
    """
    stack: list[tuple[object, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > limits.depth:
            raise refuse(path, format_loc(loc[: limits.depth]), too_deep(limits))
        if isinstance(value, str):
            if len(value) > limits.string_chars:
                raise refuse(path, format_loc(loc), too_long(value, limits))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and len(key) > limits.string_chars:
                    raise refuse(path, format_loc(loc), "a key: " + too_long(key, limits))
                stack.append((item, (*loc, str(key))))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*loc, i)) for i, item in enumerate(value))


def too_deep(limits: Limits = LIMITS) -> str:
    """What is wrong with a document nested deeper than :attr:`Limits.depth`."""
    return f"nested deeper than {limits.depth} levels of mappings and lists"


def too_long(value: str, limits: Limits = LIMITS) -> str:
    """What is wrong with a text longer than :attr:`Limits.string_chars`."""
    return f"a text of {len(value):,} characters (at most {limits.string_chars:,}): {short(value)}"


def too_many_digits(digits: str, limits: Limits = LIMITS) -> str:
    """What is wrong with a number longer than :attr:`Limits.number_chars`."""
    return (
        f"a number of {len(digits):,} characters (at most {limits.number_chars}): {digits[:12]}..."
    )


def aliases_expand(written: int | None, expanded: int, limits: Limits = LIMITS) -> str:
    """What is wrong with a YAML document that its aliases blow up (``None``: not counted)."""
    whence = f"from {written:,} " if written is not None else ""
    more = "" if written is not None else "more than "
    return (
        f"aliases (*name) expand the document {whence}to {more}{expanded:,} items "
        f"(at most {limits.alias_growth} times its size): not read"
    )
