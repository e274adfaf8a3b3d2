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

from allocator.i18n import N_, Lang, gettext, ngettext
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


def _kind(value: object, lang: Lang = "en") -> str:
    """What kind of YAML/JSON value ``value`` is, in words."""
    if value is None:
        return gettext("nothing (null)", lang)
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return gettext("the number %(value)s", lang) % {"value": value}
    if isinstance(value, str):
        return gettext("the text %(value)s", lang) % {"value": short(value)}
    if isinstance(value, Mapping):
        return gettext("a mapping", lang)
    if isinstance(value, list | tuple):
        return gettext("a list", lang)
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


def _unknown_field(
    model: type[BaseModel], loc: tuple[str | int, ...], lang: Lang = "en", suggest: bool = True
) -> str:
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
            return gettext("unknown field (did you mean %(name)r?)", lang) % {"name": close[0]}
        return gettext("unknown field; %(model)s has: %(fields)s", lang) % {
            "model": parent.__name__,
            "fields": ", ".join(parent.model_fields),
        }
    return gettext("unknown field", lang)


#: Pydantic's bound errors in plain words: its type, its ``ctx`` key, the message.
_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than_equal": ("ge", N_("must be greater than or equal to %(limit)s")),
    "greater_than": ("gt", N_("must be greater than %(limit)s")),
    "less_than_equal": ("le", N_("must be less than or equal to %(limit)s")),
    "less_than": ("lt", N_("must be less than %(limit)s")),
}


def _describe(
    model: type[BaseModel], error: Mapping[str, Any], lang: Lang = "en", suggest: bool = True
) -> str:
    """Plain-language text for one pydantic error entry, in ``lang``.

    The scenario's own checks (ids, references, dates between fields) stay
    in English: the data model does not know the output's language.
    """
    kind: str = error["type"]
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    msg: str = error["msg"]
    _ = gettext
    got = {"kind": _kind(value, lang)}
    if kind == "missing":
        return _("required field is missing", lang)
    if kind == "extra_forbidden":
        return _unknown_field(model, tuple(error["loc"]), lang, suggest)
    if kind.startswith("date") or kind.startswith("datetime"):
        if isinstance(value, str) and _ISO_LIKE_RE.match(value) and ctx.get("error"):
            return _("invalid date %(value)s: %(error)s", lang) % {
                "value": short(value),
                "error": ctx["error"],
            }
        return _("invalid date %(value)s (expected YYYY-MM-DD)", lang) % {"value": short(value)}
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _("expected text, got %(kind)s; put it in quotes ('%(value)s')", lang) % {
                **got,
                "value": value,
            }
        return _("expected text, got %(kind)s", lang) % got
    if kind == "string_too_short":
        return _("must not be empty", lang)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("expected a whole number, got %(kind)s", lang) % got
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _("expected a number, got %(kind)s", lang) % got
    if kind in ("bool_parsing", "bool_type"):
        return _("expected true or false, got %(kind)s", lang) % got
    if kind == "enum":
        return _("%(value)s is not one of %(expected)s", lang) % {
            "value": short(value),
            "expected": ctx.get("expected", "?"),
        }
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        return _("expected a mapping (key: value lines), got %(kind)s", lang) % got
    if kind == "list_type":
        return _("expected a list, got %(kind)s", lang) % got
    if kind == "too_short" and "min_length" in ctx:
        n = ctx["min_length"]
        return ngettext("needs at least %(num)d item", "needs at least %(num)d items", n, lang) % {
            "num": n
        }
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        key, text = _BOUNDS[kind]
        limit = ctx[key]
        # 1.0 reads as the user wrote it: 1
        text = _(text, lang) % {"limit": f"{limit:g}" if isinstance(limit, float) else limit}
    else:
        text = msg.replace("Input should be", "must be")
    if value is not None and not isinstance(value, Mapping | list):
        text += _(", got %(value)s", lang) % {"value": short(value)}
    return text


def _with_place(message: str, loc: tuple[str | int, ...], locate: Locator | None) -> str:
    if locate is None:
        return message
    where = locate(loc)
    return f"{message} ({where})" if where else message


def error_lines(
    model: type[BaseModel],
    exc: ValidationError,
    source: str,
    locate: Locator | None,
    lang: Lang = "en",
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
    lang
        The language of the messages (English by default).

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
        text = _describe(model, error, lang, suggest=n < SUGGESTIONS)
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
    data: Mapping[str, Any],
    exc: ValidationError,
    source: str,
    locate: Locator | None,
    lang: Lang = "en",
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
        lines, field_level = error_lines(Scenario, second, source, None, lang)
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


def validate_data(
    model: type[M],
    data: object,
    source: str,
    locate: Locator | None = None,
    *,
    lang: Lang = "en",
) -> M:
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
    lang
        The language of the messages (English by default).

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
            [
                f"{source}: {TOP}: "
                + gettext("expected a mapping of sections (key: value), got %(kind)s", lang)
                % {"kind": _kind(data, lang)}
            ]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines, field_level = error_lines(model, exc, source, locate, lang)
        hint = None
        if field_level and model is Scenario:
            more = _cross_reference_lines(data, exc, source, locate, lang)
            if more is None:
                hint = gettext(
                    "ids and references between sections are checked once the "
                    "problems above are fixed",
                    lang,
                )
            else:
                lines += more
        ordered = sorted(enumerate(lines), key=lambda p: (*_order(model, p[1][0]), p[0]))
        messages = list(dict.fromkeys(line for _, (_, line) in ordered))
        raise InputError(messages, hint=hint) from None
