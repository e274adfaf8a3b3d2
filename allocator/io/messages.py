"""Pydantic's validation errors as located messages a planner can act on.

:func:`validate_data` is the single place that turns pydantic errors into
lines ``FILE: FIELD_PATH: what is wrong (line N)``: in plain words, sorted by
section and item, each once, and for a scenario with field problems also the
problems between sections (ids and references) found in the same run.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from allocator.io.errors import TOP, InputError, Locator, format_loc, parse_path
from allocator.io.limits import short
from models.scenario import Scenario

__all__ = ["error_lines", "validate_data"]

M = TypeVar("M", bound=BaseModel)

#: Problems that get a "did you mean" suggestion (the command line prints 100).
SUGGESTIONS = 200

# The list sections of a scenario, whose items a cross-reference message names.
_SECTIONS = ("stages", "dwellings", "households", "after_dwellings", "pavilions")
_SECTION_REF_RE = re.compile(r"\b(" + "|".join(_SECTIONS) + r")\[(\d+)\]")
_ISO_LIKE_RE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")


def _kind(value: object) -> str:
    """What kind of YAML/JSON value ``value`` is, in words."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {short(value)}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _field_annotation(model: type[BaseModel], loc: tuple[str | int, ...]) -> Any:
    """The type found by following ``loc`` from ``model`` (``None`` if lost)."""
    current: Any = model
    for part in loc:
        while True:  # unwrap Optional, Annotated
            origin = typing.get_origin(current)
            if origin is typing.Annotated:
                current = typing.get_args(current)[0]
            elif origin in (typing.Union, types.UnionType):
                args = [a for a in typing.get_args(current) if a is not type(None)]
                if len(args) != 1:
                    return None
                current = args[0]
            else:
                break
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif origin is list and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif origin is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    return current


def _unknown_field(model: type[BaseModel], loc: tuple[str | int, ...], suggest: bool = True) -> str:
    """Message for a field that the model does not have, with a suggestion if ``suggest``."""
    parent = _field_annotation(model, loc[:-1])
    name = str(loc[-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        close = (
            difflib.get_close_matches(name, list(parent.model_fields), n=1, cutoff=0.6)
            if suggest
            else []
        )
        if close:
            return f"unknown field (did you mean {close[0]!r}?)"
        return f"unknown field; {parent.__name__} has: {', '.join(parent.model_fields)}"
    return "unknown field"


def _describe(model: type[BaseModel], error: Mapping[str, Any], suggest: bool = True) -> str:
    """Plain-language text for one pydantic error entry."""
    kind: str = error["type"]
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    msg: str = error["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field(model, tuple(error["loc"]), suggest)
    if kind.startswith("date") or kind.startswith("datetime"):
        if isinstance(value, str) and _ISO_LIKE_RE.match(value) and ctx.get("error"):
            return f"invalid date {short(value)}: {ctx['error']}"
        return f"invalid date {short(value)} (expected YYYY-MM-DD)"
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"expected text, got {_kind(value)}; put it in quotes ('{value}')"
        return f"expected text, got {_kind(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {_kind(value)}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"expected a number, got {_kind(value)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {_kind(value)}"
    if kind == "enum":
        return f"{short(value)} is not one of {ctx.get('expected', '?')}"
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        return f"expected a mapping (key: value lines), got {_kind(value)}"
    if kind == "list_type":
        return f"expected a list, got {_kind(value)}"
    if kind == "too_short" and "min_length" in ctx:
        n = ctx["min_length"]
        return f"needs at least {n} item{'s' if n != 1 else ''}"
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = msg.replace("Input should be", "must be")
    if value is not None and not isinstance(value, Mapping | list):
        text += f", got {short(value)}"
    return text


def _with_place(message: str, loc: tuple[str | int, ...], locate: Locator | None) -> str:
    if locate is None:
        return message
    where = locate(loc)
    return f"{message} ({where})" if where else message


def error_lines(
    model: type[BaseModel], exc: ValidationError, source: str, locate: Locator | None
) -> tuple[list[tuple[tuple[str | int, ...], str]], bool]:
    """Messages for a pydantic error, each with its location.

    Parameters
    ----------
    model
        The model that was validated (for the names of unknown fields).
    exc
        Pydantic's error.
    source
        Name of the file, the first part of every message.
    locate
        Optional :data:`~allocator.io.errors.Locator` whose answer is
        appended to each message.

    Returns
    -------
    tuple
        The messages, each with its location tuple, and whether any error
        concerned a field (as opposed to the whole-document cross-reference
        check).
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    field_level = False
    for n, error in enumerate(exc.errors(include_url=False)):
        loc = tuple(error["loc"])
        # A suggestion costs a fuzzy match: a file of 20,000 unknown keys gets them
        # for the first SUGGESTIONS only (more are not printed).
        text = _describe(model, error, suggest=n < SUGGESTIONS)
        if loc:
            field_level = True
        if len(loc) >= 2 and loc[-1] == "[key]":  # a bad key of a mapping
            text = f"key {loc[-2]!r}: {text}"
            loc = loc[:-2]
        lines = [line for line in text.splitlines() if line.strip()] or [text]
        for line in lines:
            head, sep, rest = line.partition(": ")
            sub = parse_path(head) if sep and not loc else None
            if sub is not None:  # a root validator line that names its own field
                out.append((sub, _with_place(f"{source}: {head}: {rest}", sub, locate)))
            else:
                out.append((loc, _with_place(f"{source}: {format_loc(loc)}: {line}", loc, locate)))
    return out, field_level


def _order(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[int, int]:
    """Sort key: section in model field order, then item index."""
    fields = list(model.model_fields)
    section = fields.index(loc[0]) if loc and loc[0] in fields else -1
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1
    return section, index


def _cross_reference_lines(
    data: Mapping[str, Any], exc: ValidationError, source: str, locate: Locator | None
) -> list[tuple[tuple[str | int, ...], str]] | None:
    """Cross-reference problems of a scenario that also has field problems.

    Pydantic checks ids and references between sections only when every
    field is valid. To report those problems in the same run, the scenario
    is validated again without the items that have field problems; index
    numbers are mapped back to the file, and messages that mention the id of
    a left-out item are dropped (they would be consequences, not causes).

    Returns ``None`` if the second check could not be made.
    """
    drop: dict[str, set[int]] = {s: set() for s in _SECTIONS}
    trimmed: dict[str, Any] = dict(data)
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if not loc:
            return None
        head = loc[0]
        if head in _SECTIONS:
            if len(loc) < 2 or not isinstance(loc[1], int):
                return None
            drop[str(head)].add(loc[1])
        elif head in ("costs", "penalties", "name", "municipality"):
            trimmed.pop(str(head), None)  # the defaults do not affect cross-references
        elif head == "policy":
            if len(loc) < 2 or loc[1] in ("planning_date", "persons_per_room"):
                return None
            policy = trimmed.get("policy")
            if not isinstance(policy, Mapping):
                return None
            trimmed["policy"] = {k: v for k, v in policy.items() if k != loc[1]}
        elif error["type"] == "extra_forbidden":
            trimmed.pop(str(head), None)
        else:
            return None

    index_maps: dict[str, list[int]] = {}
    dropped_ids: set[str] = set()
    for section, bad in drop.items():
        items = data.get(section)
        if not isinstance(items, list):
            continue
        keep = [i for i in range(len(items)) if i not in bad]
        index_maps[section] = keep
        trimmed[section] = [copy.deepcopy(items[i]) for i in keep]
        for i in bad:
            item = items[i] if i < len(items) else None
            if isinstance(item, Mapping) and item.get("id") is not None:
                dropped_ids.add(repr(str(item["id"])))

    try:
        Scenario.model_validate(trimmed)
    except ValidationError as second:
        lines, field_level = error_lines(Scenario, second, source, None)
        if field_level:
            return None
    except Exception:  # the trimmed data broke an assumption: report the first pass only
        return None
    else:
        return []

    def back(match: re.Match[str]) -> str:
        section, index = match.group(1), int(match.group(2))
        mapping = index_maps.get(section)
        if mapping is not None and index < len(mapping):
            index = mapping[index]
        return f"{section}[{index}]"

    out = []
    for _, line in lines:
        body = line.removeprefix(f"{source}: ")
        if any(ident in body for ident in dropped_ids):
            continue
        body = _SECTION_REF_RE.sub(back, body)
        sub = parse_path(body.partition(": ")[0]) or ()
        out.append((sub, _with_place(f"{source}: {body}", sub, locate)))
    return out


def validate_data(model: type[M], data: object, source: str, locate: Locator | None = None) -> M:
    """Validate parsed data against a model, reporting every problem at once.

    This is the single place that turns pydantic errors into messages; the
    Excel reader can use it with its own ``locate`` (for sheet and row).

    Parameters
    ----------
    model
        :class:`~models.scenario.Scenario`, :class:`~models.plan.Plan` or any
        pydantic model.
    data
        The parsed document.
    source
        Name of the file, the first part of every message.
    locate
        Optional :data:`Locator` whose answer is appended to each message.

    Returns
    -------
    M
        The validated model.

    Raises
    ------
    InputError
        With one message per problem.
    """
    if not isinstance(data, Mapping):
        raise InputError(
            [f"{source}: {TOP}: expected a mapping of sections (key: value), got {_kind(data)}"]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines, field_level = error_lines(model, exc, source, locate)
        hint = None
        if field_level and model is Scenario:
            more = _cross_reference_lines(data, exc, source, locate)
            if more is None:
                hint = (
                    "ids and references between sections are checked once the "
                    "problems above are fixed"
                )
            else:
                lines += more
        ordered = sorted(enumerate(lines), key=lambda p: (*_order(model, p[1][0]), p[0]))
        messages = list(dict.fromkeys(line for _, (_, line) in ordered))
        raise InputError(messages, hint=hint) from None
