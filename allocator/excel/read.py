"""Reading a scenario from an input workbook, every problem named by sheet, row and column."""

from __future__ import annotations

import math
import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any, Final

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pydantic import BaseModel, ValidationError

from allocator.excel.fields import (
    FIRST_DATA_ROW,
    KEY_SHEETS,
    NO,
    SHEET_ORDER,
    TABLES,
    YES,
    Field,
    KeySheet,
    Kind,
    TableSheet,
    fields_of,
)
from allocator.io.cells import from_spreadsheet_text
from allocator.io.errors import TOP, InputError
from allocator.io.limits import LIMITS, mib, read_input, refuse, short
from models.bounds import EARLIEST
from models.scenario import Policy, Scenario, Source

__all__ = ["read_workbook"]


_TRUE_WORDS: Final = frozenset({"ja", "j", "yes", "y", "true", "sand", "1", "x"})
_FALSE_WORDS: Final = frozenset({"nej", "n", "no", "false", "falsk", "0"})


class _CellError(ValueError):
    """A cell whose text cannot be converted."""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return from_spreadsheet_text(str(value).strip())


_DAY_FIRST = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
        m = _DAY_FIRST.fullmatch(text)
        if m:
            try:
                return date(int(m[3]), int(m[2]), int(m[1]))
            except ValueError:
                pass
    raise _CellError(f"invalid date {short(value)}: use a date cell or YYYY-MM-DD")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise _CellError(f"invalid yes/no value {short(value)}: use {YES} or {NO}")


#: Digits grouped in threes by a thousands separator (``{sep}``), e.g. ``1.234.567``.
_GROUPED = r"[1-9]\d{{0,2}}(?:{sep}\d{{3}})+"


def _number_text(text: str) -> str | None:
    """``text`` (no spaces) as a plain decimal for :func:`float`, or None if ambiguous.

    Danish first: ``.`` separates thousands and ``,`` starts the decimals
    (``5.600`` is 5600, ``5.600,50`` and ``5600,5`` are 5600.5). English
    ``5,600.50`` is read too when both marks say so. ``5.6`` (not three
    digits after the point) can only be a decimal point. ``5,600`` is
    ambiguous (Danish 5.6, English 5600) and is refused, never guessed.
    """
    sign = "-" if text.startswith("-") else ""
    body = text.removeprefix("-").removeprefix("+")
    if re.fullmatch(_GROUPED.format(sep=r"\.") + r"(?:,\d+)?", body):  # 5.600 / 5.600,50
        return sign + body.replace(".", "").replace(",", ".")
    if re.fullmatch(_GROUPED.format(sep=",") + r"\.\d+", body):  # 5,600.50
        return sign + body.replace(",", "")
    if re.fullmatch(_GROUPED.format(sep=","), body):
        if body.count(",") > 1:  # 1,234,567: thousands, in any reading
            return sign + body.replace(",", "")
        return None  # 5,600: Danish 5.6 or English 5600
    if re.fullmatch(r"\d*,\d+", body):  # 5,5 / 0,25
        return sign + body.replace(",", ".")
    if re.fullmatch(r"\d*\.?\d+|\d+\.", body):  # 5600 / 5.6 / 0.100
        return sign + body
    return None


def _to_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise _CellError(f"invalid number {short(_to_str(value))}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise _CellError("invalid number: the cell's value is too large (not finite)")
        return value
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        text = re.sub(r"(?i)(kr\.?|dkk)$", "", text)
        plain = _number_text(text)
        if plain is None and re.fullmatch(r"[+-]?" + _GROUPED.format(sep=","), text):
            decimals = text.rstrip("0").rstrip(",")
            raise _CellError(
                f"ambiguous number {short(value)}: write {text.replace(',', '')} if thousands "
                f"are meant, or {decimals} if decimals are meant"
            )
        try:
            number = float(plain) * scale if plain is not None else math.nan
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return int(number) if number.is_integer() and scale == 1.0 else number
    raise _CellError(f"invalid number {short(value)}")


def _enum_text(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _to_str(value).lower())


def _convert(f: Field, value: Any) -> Any:
    """A cell value as the data-model value of field ``f``."""
    if f.kind is Kind.DATE:
        return _to_date(value)
    if f.kind is Kind.BOOL:
        return _to_bool(value)
    if f.kind in (Kind.INT, Kind.FLOAT):
        number = _to_number(value)
        if f.kind is Kind.INT and isinstance(number, float) and number.is_integer():
            return int(number)
        return number
    if f.kind is Kind.ENUM:
        return _enum_text(value)
    if f.kind is Kind.LIST:
        items = [p.strip() for p in re.split(r"[,;]", _to_str(value))]
        items = [p for p in items if p]
        return [_enum_text(p) for p in items] if f.enum is not None else items
    return _to_str(value)


@dataclass(order=True)
class _Message:
    sheet_pos: int
    row: int
    column: int
    text: str = field(compare=False)


class _Report:
    """Collects located error messages for one workbook."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.messages: list[_Message] = []
        self._seen: set[str] = set()

    def add(
        self,
        text: str,
        sheet: str | None = None,
        row: int | None = None,
        column: int | None = None,
        field_name: str | None = None,
        *,
        about: str | None = None,
    ) -> None:
        """Add a message located at a sheet, row and column (``about``: sheet for ordering)."""
        parts = [self.file]
        if sheet is not None:
            parts.append(f"sheet {sheet}")
        where = ", ".join(parts[1:])
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {get_column_letter(column)}"
            if field_name:
                where += f" ({field_name})"
        elif field_name:
            where += f", {field_name}"
        line = f"{self.file}: {where}: {text}" if where else f"{self.file}: {text}"
        if line in self._seen:
            return
        self._seen.add(line)
        key = sheet or about
        pos = SHEET_ORDER.index(key) if key in SHEET_ORDER else len(SHEET_ORDER)
        self.messages.append(_Message(pos, row or 0, column or 0, line))

    def lines(self) -> list[str]:
        return [m.text for m in sorted(self.messages)]


@dataclass
class _Row:
    """One data row of a table sheet."""

    excel_row: int
    data: dict[str, Any]
    bad: set[str] = field(default_factory=set)
    obj: BaseModel | None = None  # validated (or repaired) item
    broken: bool = False  # an error that involves the whole row


@dataclass
class _KeyData:
    """What a key/value sheet holds."""

    spec: KeySheet
    data: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # key -> Excel row
    bad: set[str] = field(default_factory=set)  # keys and fields with errors
    value_column: int = 2
    present: bool = True


@dataclass
class _Table:
    spec: TableSheet
    columns: dict[str, int]  # field name -> 1-based column
    rows: list[_Row]
    present: bool


def _pydantic_text(err: Mapping[str, Any]) -> str:
    """Plain text for one pydantic error (in the style of :mod:`allocator.io.messages`)."""
    kind = str(err.get("type", ""))
    if kind == "missing":
        return "a value is required"
    msg = str(err.get("msg", "invalid value"))
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = msg.replace("Input should be", "must be")
    value = err.get("input")
    if value is not None and not isinstance(value, Mapping | list):
        text += f", got {short(value)}"
    return text


def _item_text(loc: Sequence[Any], text: str) -> str:
    if len(loc) > 1 and isinstance(loc[1], int):
        return f"item {loc[1] + 1}: {text}"
    return text


class _Reader:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.report = _Report(str(path))

    # -- sheets ------------------------------------------------------------

    def read(self) -> Scenario:
        path = Path(self.path)
        raw = read_input(path, LIMITS.workbook_bytes)
        _check_package(path, raw)
        # openpyxl warns about what it drops (extensions, odd dates); the
        # problems that matter are reported below, in the file's own terms.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                wb = load_workbook(BytesIO(raw), read_only=True, data_only=True)
            except Exception as exc:
                raise refuse(path, TOP, _damaged(exc)) from None
            try:
                names = {name.strip().lower(): name for name in wb.sheetnames}
                sheets: dict[str, list[tuple[Any, ...]] | None] = {}
                for title, attr in [(t.title, t.attr) for t in TABLES] + [
                    (k.title, k.attr or "scenario") for k in KEY_SHEETS
                ]:
                    actual = names.get(title.lower()) or names.get(attr)
                    if actual is None:
                        sheets[title] = None
                        continue
                    ws = wb[actual]
                    if not isinstance(ws, ReadOnlyWorksheet):
                        self.report.add("not a worksheet (a chart sheet?)", actual)
                        sheets[title] = None
                        continue
                    ws.reset_dimensions()  # some writers store wrong sheet dimensions
                    sheets[title] = _sheet_rows(path, ws, actual)
            finally:
                wb.close()
        return self._build(sheets)

    def _build(self, sheets: Mapping[str, list[tuple[Any, ...]] | None]) -> Scenario:
        keyed = [self._read_key_sheet(spec, sheets[spec.title]) for spec in KEY_SHEETS]
        tables = [self._read_table(spec, sheets[spec.title]) for spec in TABLES]

        parts: dict[str, Any] = {}
        policy_bad: set[str] = set()
        for sheet in keyed:
            attr = sheet.spec.attr
            if attr is None:  # the scenario's own fields: plain text
                parts.update(sheet.data)
                continue
            if not sheet.data and not sheet.spec.required:
                continue  # an optional sheet left empty: its defaults (no contact)
            obj = self._validate_key_model(sheet)
            if attr == "policy":
                policy_bad = sheet.bad
                if obj is None:
                    obj = self._repair_policy(sheet.data, sheet.bad)
            if obj is not None:
                parts[attr] = obj
        for table in tables:
            for row in table.rows:
                self._validate_row(table, row)
            parts[table.spec.attr] = [r.obj for r in table.rows if r.obj is not None]

        clean = not self.report.messages
        try:
            scenario = Scenario.model_validate(parts)
        except ValidationError as exc:
            self._scenario_errors(exc, tables, policy_bad, clean)
        else:
            if clean:
                return scenario
        raise InputError(self.report.lines())

    def _read_header(
        self, title: str, rows: Sequence[tuple[Any, ...]], known: Iterable[str]
    ) -> dict[str, int]:
        known = set(known)
        header = rows[1] if len(rows) > 1 else ()
        columns: dict[str, int] = {}
        for c, cell in enumerate(header, start=1):
            if _is_blank(cell):
                continue
            name = _to_str(cell)
            if name not in known:
                self.report.add(
                    f"unknown field {short(name)} (clear this cell to keep the column for notes)",
                    title,
                    2,
                    c,
                )
            elif name in columns:
                self.report.add(
                    f"field {name!r} is also in column {get_column_letter(columns[name])}",
                    title,
                    2,
                    c,
                )
            else:
                columns[name] = c
        return columns

    def _read_table(self, spec: TableSheet, rows: list[tuple[Any, ...]] | None) -> _Table:
        fields = {f.name: f for f in fields_of(spec.model)}
        if rows is None:
            if spec.required:
                self.report.add(f"the workbook has no sheet {spec.title!r}", about=spec.title)
            return _Table(spec, {}, [], False)
        columns = self._read_header(spec.title, rows, fields)
        for name, info in spec.model.model_fields.items():
            if info.is_required() and name not in columns:
                self.report.add(
                    f"no column for the required field {name!r} (row 2 must name it)",
                    spec.title,
                )
        table = _Table(spec, columns, [], True)
        for r, values in enumerate(rows[FIRST_DATA_ROW - 1 :], start=FIRST_DATA_ROW):
            cells = {
                name: values[c - 1] if c - 1 < len(values) else None for name, c in columns.items()
            }
            if all(_is_blank(v) for v in cells.values()):
                continue
            row = _Row(r, {})
            for name, value in cells.items():
                if _is_blank(value):
                    continue
                try:
                    row.data[name] = _convert(fields[name], value)
                except _CellError as exc:
                    row.bad.add(name)
                    self.report.add(str(exc), spec.title, r, columns[name], name)
            table.rows.append(row)
        return table

    def _read_key_sheet(self, spec: KeySheet, rows: list[tuple[Any, ...]] | None) -> _KeyData:
        if rows is None:
            if spec.required:
                self.report.add(f"the workbook has no sheet {spec.title!r}", about=spec.title)
            return _KeyData(spec, present=False)
        columns = self._read_header(spec.title, rows, ("label", "key", "value"))
        key_col = columns.get("key", 3)
        value_col = columns.get("value", 2)
        sheet = _KeyData(spec, value_column=value_col)
        data, key_rows, bad = sheet.data, sheet.rows, sheet.bad
        fields = {f.name: f for f in fields_of(spec.model, spec.only)}
        for r, values in enumerate(rows[FIRST_DATA_ROW - 1 :], start=FIRST_DATA_ROW):
            key_cell = values[key_col - 1] if key_col - 1 < len(values) else None
            value = values[value_col - 1] if value_col - 1 < len(values) else None
            if _is_blank(key_cell):
                if not _is_blank(value):
                    self.report.add(
                        f"a value without a key in column {get_column_letter(key_col)}",
                        spec.title,
                        r,
                        value_col,
                    )
                continue
            key = _to_str(key_cell)
            name, _, sub = key.partition(".")
            f = fields.get(name)
            if f is None or (f.kind is Kind.MAP) != bool(sub):
                self.report.add(f"unknown key {short(key)}", spec.title, r, key_col, "key")
                continue
            if key in key_rows:
                self.report.add(
                    f"key {key!r} is also in row {key_rows[key]}", spec.title, r, key_col, "key"
                )
                continue
            key_rows[key] = r
            if _is_blank(value):
                continue
            if f.kind is Kind.MAP and not re.fullmatch(r"[0-9]{1,3}", sub):
                self.report.add(
                    f"unknown key {short(key)}: use {name}.N with N a whole number of rooms",
                    spec.title,
                    r,
                    key_col,
                    "key",
                )
                continue
            try:
                if f.kind is Kind.MAP:
                    data.setdefault(name, {})[int(sub)] = _to_number(value)
                else:
                    data[name] = _convert(f, value)
            except _CellError as exc:
                bad.add(key)
                bad.add(name)
                self.report.add(str(exc), spec.title, r, value_col, key)
        return sheet

    # -- validation ---------------------------------------------------------

    def _validate_key_model(self, sheet: _KeyData) -> BaseModel | None:
        """Validate a key/value sheet's model; failed fields are added to ``sheet.bad``."""
        spec, rows = sheet.spec, sheet.rows
        try:
            return spec.model.model_validate(sheet.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                if not loc:
                    self.report.add(_pydantic_text(err), spec.title)
                    continue
                name = str(loc[0])
                already = name in sheet.bad
                sheet.bad.add(name)
                if already or not sheet.present:
                    continue  # reported by the converter, or the whole sheet is missing
                key = f"{name}.{loc[1]}" if len(loc) > 1 and f"{name}.{loc[1]}" in rows else name
                if key in rows:
                    text = _pydantic_text(err)
                    self.report.add(text, spec.title, rows[key], sheet.value_column, key)
                else:
                    self.report.add(
                        f"{_pydantic_text(err)}: add a row with the key {key!r}", spec.title
                    )
            return None

    def _repair_policy(self, data: dict[str, Any], failed: set[str]) -> Policy:
        """A stand-in policy so that cross-references can still be checked."""
        kept = {k: v for k, v in data.items() if k not in failed}
        kept.setdefault("planning_date", date(2000, 1, 1))
        try:
            return Policy.model_validate(kept)
        except ValidationError:
            failed.update(Policy.model_fields)
            return Policy(planning_date=date(2000, 1, 1))

    def _validate_row(self, table: _Table, row: _Row) -> None:
        spec = table.spec
        try:
            row.obj = spec.model.model_validate(row.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                if not loc:
                    row.broken = True
                    text = _pydantic_text(err)
                    name = _field_named(text, table.columns)
                    column = table.columns.get(name) if name else None
                    self.report.add(text, spec.title, row.excel_row, column, name)
                    continue
                name = str(loc[0])
                already = name in row.bad
                row.bad.add(name)
                if already or (err["type"] == "missing" and name not in table.columns):
                    continue  # reported by the converter or as a missing column
                self.report.add(
                    _item_text(loc, _pydantic_text(err)),
                    spec.title,
                    row.excel_row,
                    table.columns.get(name),
                    name,
                )
        if row.obj is None and not row.broken:
            row.obj = self._repair(spec.model, row)

    def _repair(self, model: type[BaseModel], row: _Row) -> BaseModel | None:
        """The row with its bad fields left at defaults or neutral values, if possible."""
        data = {k: v for k, v in row.data.items() if k not in row.bad}
        for name in row.bad:
            if model.model_fields[name].is_required():
                if name not in _NEUTRAL:
                    return None
                data[name] = _NEUTRAL[name]
        try:
            return model.model_validate(data)
        except ValidationError:
            return None

    def _scenario_errors(
        self, exc: ValidationError, tables: list[_Table], policy_bad: set[str], clean: bool
    ) -> None:
        """Report the scenario's own errors (cross-references) against the sheets."""
        by_attr = {t.spec.attr: t for t in tables}
        # The validated lists hold only the rows that have an object.
        used = {t.spec.attr: [r for r in t.rows if r.obj is not None] for t in tables}
        dropped = {
            f"unknown {t.spec.noun} {_to_str(r.data.get('id'))!r}"
            for t in tables
            for r in t.rows
            if r.obj is None
        }
        quiet: set[str] = set()
        if "planning_date" in policy_bad:
            quiet |= {"seniority_date", "start"}
        if "persons_per_room" in policy_bad:
            quiet.add("rooms_max")

        def where(attr: str, index: int) -> tuple[_Table, _Row] | None:
            rows = used.get(attr)
            if rows is None or index >= len(rows):
                return None
            return by_attr[attr], rows[index]

        def rename(match: re.Match[str]) -> str:
            found = where(match[1], int(match[2]))
            return f"sheet {found[0].spec.title} row {found[1].excel_row}" if found else match[0]

        for err in exc.errors():
            loc = err["loc"]
            if loc and loc[0] in by_attr:
                table = by_attr[str(loc[0])]
                if not table.present or (not clean and any(r.obj is None for r in table.rows)):
                    continue  # e.g. "at least one stage" when every stage row is broken
                if err["type"] == "too_short":
                    self.report.add("at least one row is required", table.spec.title)
                else:
                    self.report.add(_pydantic_text(err), table.spec.title)
                continue
            if loc:
                self.report.add(_pydantic_text(err), field_name=".".join(map(str, loc)))
                continue
            for line in _pydantic_text(err).splitlines():
                m = _PATH.match(line.strip())
                found = where(m["attr"], int(m["index"])) if m else None
                if m is None or found is None:
                    self.report.add(_INNER_PATH.sub(rename, line.strip()))
                    continue
                name, text = m["field"], m["text"]
                table, row = found
                if text in dropped:
                    continue  # the referenced row has an error of its own
                if (
                    name in quiet
                    or name in row.bad
                    or (name == "rooms_max" and row.bad & {"adults", "children"})
                ):
                    continue  # follows from an error reported already
                self.report.add(
                    _INNER_PATH.sub(rename, text),
                    table.spec.title,
                    row.excel_row,
                    table.columns.get(name) if name else None,
                    name,
                )


#: A scenario validator line: ``households[16].dwelling: unknown dwelling 'X'``.
_PATH = re.compile(
    r"(?P<attr>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?(?:\[\d+\])?: (?P<text>.*)"
)
#: A reference to another item inside such a line: ``households[3]``.
_INNER_PATH = re.compile(r"\b(stages|dwellings|households|after_dwellings|pavilions)\[(\d+)\]")
#: Neutral stand-ins for required fields with errors, so that the rest of the
#: row still takes part in the cross-reference checks.
_NEUTRAL: Final[Mapping[str, Any]] = {
    "source": Source.OWN_DEPARTMENT.value,
    "seniority_date": EARLIEST,
    "rooms": 1,
    "area_m2": 1.0,
    "monthly_rent": 0.0,
    "setup_cost": 0.0,
    "removal_cost": 0.0,
    "max_count": 0,
}


def _field_named(text: str, columns: Mapping[str, int]) -> str | None:
    """The first column's field that a row-level message names (``end (...) must be ...``)."""
    return next((w for w in re.findall(r"[a-z_]+", text) if w in columns), None)


def _check_package(path: Path, raw: bytes) -> None:
    """Refuse a workbook that is not a zip archive, or that unpacks to too much.

    The sizes are those the archive declares; Python's zip reader stops
    at them, so a part cannot unpack to more than its entry says.
    """
    if not openpyxl.DEFUSEDXML:  # e.g. OPENPYXL_DEFUSEDXML=False in the environment
        raise refuse(path, TOP, "workbooks are read only with defusedxml's XML parser; not read")
    try:
        with zipfile.ZipFile(BytesIO(raw)) as archive:
            parts = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,  # a zip version, compression or encryption Python cannot read
        ValueError,
        OSError,
        EOFError,
    ):
        raise refuse(
            path, TOP, "not an .xlsx workbook (the file is not a zip archive, or damaged)"
        ) from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > LIMITS.unpacked_bytes or len(parts) > 10_000:
        raise refuse(
            path,
            TOP,
            f"the workbook unpacks to {mib(unpacked)} in {len(parts):,} parts "
            f"(at most {mib(LIMITS.unpacked_bytes)} and 10,000 parts): not read",
        )


_NOT_A_NUMBER = re.compile(
    r"(?:invalid literal for int\(\) with base 10|could not convert string to float): (.*)"
)


def _damaged(exc: BaseException) -> str:
    """What an exception from openpyxl, its XML parser or the zip layer means to the user."""
    causes = [exc]
    while causes[-1].__cause__ is not None or causes[-1].__context__ is not None:
        causes.append(causes[-1].__cause__ or causes[-1].__context__)  # type: ignore[arg-type]
        if len(causes) > 10:
            break
    # openpyxl wraps what its parser raised in a ValueError of its own
    exc = next((c for c in reversed(causes) if not _is_wrapper(c)), exc)
    if isinstance(exc, DefusedXmlException):
        return (
            "the workbook's XML declares a document type or entities (an XML bomb or an "
            "external reference): not read"
        )
    if isinstance(exc, zipfile.BadZipFile | EOFError) or type(exc).__name__ == "error":
        return (
            f"the workbook is damaged (its zip archive cannot be unpacked: {short(str(exc), 80)})"
        )
    if isinstance(exc, KeyError):
        what = str(exc.args[0]) if exc.args else ""
        return f"the workbook lacks a part ({what[:100]}): not an .xlsx file, or damaged"
    if type(exc).__name__ in ("ParseError", "ExpatError"):
        return f"the workbook's XML is malformed ({short(str(exc), 80)})"
    number = _NOT_A_NUMBER.fullmatch(str(exc))
    if isinstance(exc, ValueError) and number is not None:
        return f"a number cell holds {short(number[1].strip(chr(39)))}, which is not a number"
    if isinstance(exc, IndexError):
        return "a text cell refers to shared text the workbook does not have"
    if isinstance(exc, MemoryError):
        return "the workbook is too large to read"
    return f"cannot read the workbook ({type(exc).__name__}: {short(str(exc), 80)})"


def _is_wrapper(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and str(exc).startswith("Unable to read workbook")


def _sheet_rows(path: Path, ws: ReadOnlyWorksheet, title: str) -> list[tuple[Any, ...]]:
    """The rows of a sheet: its used range up to :data:`~allocator.io.limits.LIMITS`.

    Only columns A to the limit are read, and each row without its blank
    tail, so that a row padded to column XFD costs what its cells do; rows
    past the limit are read only to see whether they hold anything.
    """
    rows: list[tuple[Any, ...]] = []
    last = 0
    try:
        # The stubs give ReadOnlyWorksheet.iter_rows Worksheet's self type.
        cells = ws.iter_rows(max_col=LIMITS.sheet_columns, values_only=True)  # type: ignore[misc]
        for values in cells:
            if last >= LIMITS.sheet_rows:
                if any(not _is_blank(v) for v in values):
                    raise refuse(
                        path,
                        f"sheet {title}",
                        f"more than {LIMITS.sheet_rows:,} rows: not read",
                    )
                continue
            end = len(values)
            while end and values[end - 1] is None:
                end -= 1
            rows.append(tuple(values[:end]))
            last += 1
    except InputError:
        raise
    except Exception as exc:
        raise refuse(path, f"sheet {title}, after row {last}", _damaged(exc)) from None
    return rows


def read_workbook(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario from an input workbook (conventions: :mod:`allocator.excel.fields`).

    Parameters
    ----------
    path
        The ``.xlsx`` file.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InputError
        With one message per problem, each naming the file, sheet, Excel row
        and column, e.g. ``plan.xlsx: sheet Husstande, row 19, column F
        (seniority_date): invalid date 'fish': use a date cell or
        YYYY-MM-DD``.
    """
    return _Reader(path).read()
