"""Loading scenarios and plans: read the file, parse it by type, validate it.

File types: ``.yaml``/``.yml`` (:mod:`allocator.io.yaml_source`) and
``.json`` are parsed here; ``.xlsx`` is read by
:func:`allocator.excel.read.read_workbook`. Every problem is reported in one
:class:`~allocator.io.errors.InputError`; nothing here prints (the command
line, :mod:`allocator.cli`, does).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from allocator.excel.read import read_workbook
from allocator.i18n import Lang
from allocator.io.errors import TOP, InputError, Locator
from allocator.io.limits import (
    LIMITS,
    check_tree,
    decode_text,
    line_and_column,
    read_input,
    refuse,
    too_deep,
    too_many_digits,
)
from allocator.io.messages import error_lines, validate_data
from allocator.io.yaml_source import gc_paused, parse_yaml
from models.plan import Plan, Result
from models.replan import Changes, StressConfig
from models.scenario import Scenario

__all__ = [
    "load_changes",
    "load_plan",
    "load_plan_and_objective",
    "load_scenario",
    "load_stress_config",
    "load_yaml_or_json",
]

M = TypeVar("M", bound=BaseModel)

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
EXCEL_SUFFIXES = (".xlsx",)


def _read_text(path: Path) -> str:
    """Read a UTF-8 text file within :data:`~allocator.io.limits.LIMITS`."""
    return decode_text(path, read_input(path, LIMITS.file_bytes))


class _LongNumber(Exception):
    """A JSON number longer than :attr:`Limits.number_chars`."""


def _bounded_int(text: str) -> int:
    if len(text) > LIMITS.number_chars:
        raise _LongNumber(text)
    return int(text)


def _parse_json(path: Path, text: str) -> object:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(f"{path}: {TOP}: key {key!r} is given twice in one object")
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise InputError([f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    except RecursionError:
        raise refuse(path, TOP, too_deep()) from None
    except _LongNumber as exc:
        digits = str(exc)
        where = line_and_column(text, text.find(digits))
        raise refuse(path, where, too_many_digits(digits)) from None
    if duplicates:
        raise InputError(duplicates)
    check_tree(path, data)
    return data


def _check_kind(path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse a missing file, a directory or an unknown extension."""
    if not path.exists():
        read_input(path, 0)  # raises "file not found" (or a permission problem)
    if path.is_dir():
        raise InputError([f"{path}: {TOP}: is a directory, not a file"])
    if path.suffix.lower() not in suffixes:
        what = f"unknown file type {path.suffix!r}" if path.suffix else "no file extension"
        raise InputError([f"{path}: {TOP}: {what} (expected {', '.join(suffixes)})"])


def load_yaml_or_json(path: str | os.PathLike[str]) -> tuple[object, Locator | None]:
    """Parse a YAML or JSON file by its extension.

    Parameters
    ----------
    path
        A ``.yaml``, ``.yml`` or ``.json`` file.

    Returns
    -------
    tuple
        The parsed data and, for YAML, a :data:`Locator` giving line numbers.

    Raises
    ------
    InputError
        Missing, unreadable or empty file, unknown extension, syntax error,
        duplicate keys.
    """
    p = Path(path)
    _check_kind(p, YAML_SUFFIXES + JSON_SUFFIXES)
    text = _read_text(p)
    if p.suffix.lower() in JSON_SUFFIXES:
        return _parse_json(p, text), None
    return parse_yaml(p, text)


def load_scenario(path: str | os.PathLike[str], *, lang: Lang = "en") -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        ``.yaml``/``.yml`` (safe YAML), ``.json``, or ``.xlsx`` (read by
        :func:`allocator.excel.read.read_workbook`).
    lang
        The language of the messages about the fields' values (English by
        default; the scenario's own checks of ids and references, and the
        Excel reader's, are English).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InputError
        Every problem found, each ``FILE: FIELD_PATH: what is wrong``.
    """
    p = Path(path)
    _check_kind(p, YAML_SUFFIXES + JSON_SUFFIXES + EXCEL_SUFFIXES)
    if p.suffix.lower() in EXCEL_SUFFIXES:
        return _load_workbook(p, lang)
    with gc_paused():
        return _load_scenario_text(p, lang)


def _load_scenario_text(path: Path, lang: Lang = "en") -> Scenario:
    """Parse and validate a YAML or JSON scenario (its parse is freed on return)."""
    data, locate = load_yaml_or_json(path)
    return validate_data(Scenario, data, str(path), locate, lang=lang)


def _load_workbook(path: Path, lang: Lang = "en") -> Scenario:
    """Read an Excel workbook (:func:`allocator.excel.read.read_workbook`)."""
    try:
        return read_workbook(path)
    except ValidationError as exc:  # the reader reports its own problems as InputError
        lines, _ = error_lines(Scenario, exc, str(path), None, lang)
        raise InputError([line for _, line in lines]) from None


def load_plan_and_objective(path: str | os.PathLike[str]) -> tuple[Plan, float | None]:
    """Load a plan and, from a ``result.json``, the objective it claims.

    Parameters
    ----------
    path
        A ``plan.json`` or a ``result.json`` (see :func:`load_plan`).

    Returns
    -------
    tuple
        The plan and the result's objective in DKK (``None`` for a plain plan).

    Raises
    ------
    InputError
        Every problem found; also a result without a plan.
    """
    with gc_paused():
        return _load_plan_text(Path(path))


def _load_plan_text(p: Path) -> tuple[Plan, float | None]:
    """:func:`load_plan_and_objective` (the parse is freed on return)."""
    data, locate = load_yaml_or_json(p)
    if isinstance(data, Mapping) and "status" in data and "plan" in data:
        result = validate_data(Result, data, str(p), locate)
        if result.plan is None:
            raise InputError([f"{p}: plan: the result has no plan (status {result.status.value})"])
        return result.plan, result.objective
    return validate_data(Plan, data, str(p), locate), None


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Load and validate a plan.

    Parameters
    ----------
    path
        A ``plan.json`` as written by ``genhus solve --out``, or a
        ``result.json`` (its ``plan`` is used). YAML is accepted too.

    Returns
    -------
    Plan
        The validated plan.

    Raises
    ------
    InputError
        Every problem found, each ``FILE: FIELD_PATH: what is wrong``.
    """
    return load_plan_and_objective(path)[0]


def load_changes(path: str | os.PathLike[str]) -> Changes:
    """Load and validate a changes file (``genhus replan --changes``; YAML or JSON).

    Raises
    ------
    InputError
        Every problem found, each ``FILE: FIELD_PATH: what is wrong``.
    """
    return _load_model(Changes, path)


def load_stress_config(path: str | os.PathLike[str]) -> StressConfig:
    """Load and validate a stress test's distributions (``genhus stress --config``).

    Raises
    ------
    InputError
        Every problem found, each ``FILE: FIELD_PATH: what is wrong``.
    """
    return _load_model(StressConfig, path)


def _load_model(model: type[M], path: str | os.PathLike[str]) -> M:
    """A YAML or JSON file validated as ``model``, problems named by field (and line)."""
    data, locate = load_yaml_or_json(path)
    return validate_data(model, data, str(path), locate)
