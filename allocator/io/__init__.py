"""Reading scenarios and plans with clear errors, and writing outputs atomically.

Every problem with an input file is reported as one line of the form
``FILE: FIELD_PATH: what is wrong``, for example::

    scenarios/x.yaml: households[17].seniority_date: invalid date 'fish' (line 212)

All problems of a file are collected and raised together as one
:class:`InputError`, so that a planner can fix a file in one go. Nothing in
this module prints; the command line (:mod:`allocator.cli`) does.

File types: ``.yaml``/``.yml`` and ``.json`` are read here; ``.xlsx`` is
dispatched to ``allocator.excel.read_workbook`` (see :func:`load_scenario`).
"""

from __future__ import annotations

import copy
import difflib
import enum
import gc
import json
import os
import re
import tempfile
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from models.plan import Plan, Result
from models.scenario import Scenario

__all__ = [
    "InputError",
    "Locator",
    "dump_scenario",
    "format_loc",
    "load_plan",
    "load_plan_and_objective",
    "load_scenario",
    "load_yaml_or_json",
    "parse_path",
    "result_to_json",
    "scenario_to_yaml",
    "validate_data",
    "write_atomic",
]

M = TypeVar("M", bound=BaseModel)

#: Maps a location inside the input (a pydantic ``loc`` tuple) to a human
#: position such as ``"line 12"`` or ``"sheet Households, row 19"``.
Locator = Callable[[tuple[str | int, ...]], str | None]

PathLike = str | os.PathLike[str]

#: Path shown for problems that concern the whole document.
TOP = "(top level)"

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
EXCEL_SUFFIXES = (".xlsx",)

# The list sections of a scenario, whose items a cross-reference message names.
_SECTIONS = ("stages", "dwellings", "households", "after_dwellings", "pavilions")
_PATH_RE = re.compile(r"^[A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*$")
_PATH_TOKEN_RE = re.compile(r"\[(\d+)\]|\.?([A-Za-z_]\w*)")
_SECTION_REF_RE = re.compile(r"\b(" + "|".join(_SECTIONS) + r")\[(\d+)\]")
_ISO_LIKE_RE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")


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


# -- reading files -------------------------------------------------------------


def _read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning OS problems into :class:`InputError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([f"{path}: {TOP}: file not found"]) from None
    except IsADirectoryError:
        raise InputError([f"{path}: {TOP}: is a directory, not a file"]) from None
    except PermissionError:
        raise InputError([f"{path}: {TOP}: permission denied"]) from None
    except OSError as exc:
        raise InputError([f"{path}: {TOP}: cannot read the file: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            [f"{path}: line {line}: the file is not UTF-8 text (byte {exc.start})"]
        ) from None
    if not text.strip():
        raise InputError([f"{path}: {TOP}: the file is empty"])
    return text


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates as text.

    PyYAML turns ``2024-13-01`` into a Python error without a position; with
    the timestamp resolver removed, dates stay strings and are parsed (and
    reported with their field path) by pydantic.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

if typing.TYPE_CHECKING:
    _YamlLoader: typing.TypeAlias = type[yaml.SafeLoader] | type[yaml.CSafeLoader]

#: :class:`_Loader` with libyaml's parser if PyYAML was built with it (else None).
_FastLoader: _YamlLoader | None = None
if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """:class:`_Loader` with libyaml's parser: the same dates-as-text resolvers."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader = _CLoader


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One message for a YAML syntax error, with line and column."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        text = exc.problem or "invalid YAML"
        if "block" in text or "block" in (exc.context or ""):
            text += "; check the indentation"
        if exc.context:
            where = ""
            if exc.context_mark is not None and exc.context_mark.line != mark.line:
                where = f" started at line {exc.context_mark.line + 1}"
            text = f"{text} ({exc.context}{where})"
        return f"{path}: line {mark.line + 1}, column {mark.column + 1}: {text}"
    return f"{path}: {TOP}: invalid YAML: {' '.join(str(exc).split())}"


def _yaml_duplicates(path: Path, node: Node, loc: tuple[str | int, ...] = ()) -> list[str]:
    """Keys given twice in one YAML mapping (PyYAML would silently keep the last)."""
    out: list[str] = []
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if key.value in seen:
                    where = format_loc((*loc, key.value))
                    out.append(
                        f"{path}: {where}: key {key.value!r} is given twice "
                        f"(line {key.start_mark.line + 1})"
                    )
                seen.add(key.value)
                if not isinstance(value, ScalarNode):  # a scalar has no keys
                    out.extend(_yaml_duplicates(path, value, (*loc, key.value)))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            if not isinstance(item, ScalarNode):
                out.extend(_yaml_duplicates(path, item, (*loc, i)))
    return out


def _yaml_locator(root: Node) -> Locator:
    """A :data:`Locator` giving the line of a location in a YAML document."""

    def locate(loc: tuple[str | int, ...]) -> str | None:
        node = root
        line = root.start_mark.line
        for part in loc:
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value == str(part):
                        node, line = value, key.start_mark.line
                        break
                else:
                    break
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return f"line {line + 1}"

    return locate


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a document is parsed and validated.

    Parsing builds hundreds of thousands of nodes and values, none in a
    cycle; with the collector running, it sets off a collection every few
    hundred objects, and the older generations, scanned again and again,
    hold all of them: on a 7,000-household scenario that took most of the
    time. Code that builds them should return before this ends, so that
    they are freed (by reference counting) before the collector runs again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _NotForLibyaml(Exception):
    """The document uses YAML where libyaml and PyYAML's own parser may disagree."""


def _libyaml_agrees(node: Node) -> bool:
    """Whether libyaml's nodes are known to be what PyYAML's own parser makes.

    The two parsers differ at the edges: libyaml takes ``?`` inside a
    plain scalar in ``[...]`` or ``{...}``, a comment right after a ``|``
    or ``>`` header, and tabs in more places, all of which PyYAML rejects;
    and they mark empty scalars in flow collections or after a bare ``?``
    on different lines. Documents with a non-empty flow collection, a
    literal or folded block scalar or a key that is not a non-empty or
    quoted scalar are left to PyYAML (tabs and inner byte order marks are
    looked for in the text); a genhus-written scenario has none of them.
    """
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ScalarNode):
            if n.style in ("|", ">"):
                return False
        elif isinstance(n, MappingNode):
            if n.flow_style and n.value:
                return False
            for key, value in n.value:
                if not isinstance(key, ScalarNode) or not (key.value or key.style):
                    return False
                stack.append(key)
                stack.append(value)
        elif isinstance(n, SequenceNode):
            if n.flow_style and n.value:
                return False
            stack.extend(n.value)
    return True


def _parse_yaml(path: Path, text: str) -> tuple[object, Locator | None]:
    """Parse YAML text, with libyaml if PyYAML has it and the document allows.

    On documents :func:`_libyaml_agrees` with, libyaml gives the same
    nodes, lines and data as PyYAML's own parser, many times faster. Its
    error messages and positions differ, though: on any problem, and on
    any other document, the text is parsed in pure Python, whose messages
    and results the tests and users know.
    """
    if _FastLoader is not None and "\t" not in text and "\ufeff" not in text:
        try:
            with _gc_paused():
                return _parse_yaml_with(_FastLoader, path, text, vet=_libyaml_agrees)
        except Exception:  # any problem: the pure-Python parser reports it
            pass
    with _gc_paused():
        return _parse_yaml_with(_Loader, path, text)


def _parse_yaml_with(
    loader_class: _YamlLoader,
    path: Path,
    text: str,
    vet: Callable[[Node], bool] | None = None,
) -> tuple[object, Locator | None]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError([f"{path}: {TOP}: the file is empty"])
        if vet is not None and not vet(node):
            raise _NotForLibyaml
        duplicates = _yaml_duplicates(path, node)
        if duplicates:
            raise InputError(duplicates)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(path, exc)]) from None
    finally:
        loader.dispose()
    return data, _yaml_locator(node)


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
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise InputError([f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    except RecursionError:
        raise InputError([f"{path}: {TOP}: the JSON is nested too deeply"]) from None
    if duplicates:
        raise InputError(duplicates)
    return data


def _check_kind(path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse a missing file, a directory or an unknown extension."""
    if not path.exists():
        _read_text(path)  # raises "file not found" (or a permission problem)
    if path.is_dir():
        raise InputError([f"{path}: {TOP}: is a directory, not a file"])
    if path.suffix.lower() not in suffixes:
        what = f"unknown file type {path.suffix!r}" if path.suffix else "no file extension"
        raise InputError([f"{path}: {TOP}: {what} (expected {', '.join(suffixes)})"])


def load_yaml_or_json(path: PathLike) -> tuple[object, Locator | None]:
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
    return _parse_yaml(p, text)


# -- validation messages ----------------------------------------------------------


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


def _short(value: object) -> str:
    """A short representation of an input value for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    """What kind of YAML/JSON value ``value`` is, in words."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_short(value)}"
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


def _unknown_field(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """Message for a field that the model does not have, with a suggestion."""
    parent = _field_annotation(model, loc[:-1])
    name = str(loc[-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        close = difflib.get_close_matches(name, list(parent.model_fields), n=1, cutoff=0.6)
        if close:
            return f"unknown field (did you mean {close[0]!r}?)"
        return f"unknown field; {parent.__name__} has: {', '.join(parent.model_fields)}"
    return "unknown field"


def _describe(model: type[BaseModel], error: Mapping[str, Any]) -> str:
    """Plain-language text for one pydantic error entry."""
    kind: str = error["type"]
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    msg: str = error["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field(model, tuple(error["loc"]))
    if kind.startswith("date") or kind.startswith("datetime"):
        if isinstance(value, str) and _ISO_LIKE_RE.match(value) and ctx.get("error"):
            return f"invalid date {_short(value)}: {ctx['error']}"
        return f"invalid date {_short(value)} (expected YYYY-MM-DD)"
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
        return f"{_short(value)} is not one of {ctx.get('expected', '?')}"
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
        text += f", got {_short(value)}"
    return text


def _with_place(message: str, loc: tuple[str | int, ...], locate: Locator | None) -> str:
    if locate is None:
        return message
    where = locate(loc)
    return f"{message} ({where})" if where else message


def _error_lines(
    model: type[BaseModel], exc: ValidationError, source: str, locate: Locator | None
) -> tuple[list[tuple[tuple[str | int, ...], str]], bool]:
    """Messages for a pydantic error, each with its location.

    Returns the messages and whether any error concerned a field (as opposed
    to the whole-document cross-reference check).
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    field_level = False
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        text = _describe(model, error)
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
        lines, field_level = _error_lines(Scenario, second, source, None)
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
        lines, field_level = _error_lines(model, exc, source, locate)
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


# -- scenarios and plans ------------------------------------------------------------


def load_scenario(path: PathLike) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        ``.yaml``/``.yml`` (safe YAML), ``.json``, or ``.xlsx`` (read by
        :func:`allocator.excel.read_workbook`).

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
        return _load_workbook(p)
    with _gc_paused():
        return _load_scenario_text(p)


def _load_scenario_text(path: Path) -> Scenario:
    """Parse and validate a YAML or JSON scenario (its parse is freed on return)."""
    data, locate = load_yaml_or_json(path)
    return validate_data(Scenario, data, str(path), locate)


def _load_workbook(path: Path) -> Scenario:
    """Dispatch point for Excel workbooks (``allocator.excel.read_workbook``)."""
    from allocator.excel import read_workbook  # here: allocator.excel imports this module

    try:
        return read_workbook(path)
    except ValidationError as exc:  # the reader reports its own problems as InputError
        lines, _ = _error_lines(Scenario, exc, str(path), None)
        raise InputError([line for _, line in lines]) from None


def load_plan_and_objective(path: PathLike) -> tuple[Plan, float | None]:
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
    with _gc_paused():
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


def load_plan(path: PathLike) -> Plan:
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


def _plain(value: object) -> object:
    """Model dump values as YAML-friendly plain data (ISO dates, enum values)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Safe YAML dumper that writes ISO dates without quotes."""


_Dumper.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def scenario_to_yaml(scenario: Scenario, *, full: bool = False) -> str:
    """Render a scenario as YAML that :func:`load_scenario` reads back unchanged.

    Parameters
    ----------
    scenario
        The scenario.
    full
        Also write fields that have their default value.

    Returns
    -------
    str
        The YAML text.
    """
    data = _plain(scenario.model_dump(exclude_defaults=not full))
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return f"# genhus scenario {scenario.name!r}; fields: `genhus schema`\n{body}"


def dump_scenario(scenario: Scenario, path: PathLike, *, full: bool = False) -> None:
    """Write a scenario as YAML, atomically.

    Parameters
    ----------
    scenario
        The scenario.
    path
        Target file (its directory must exist).
    full
        Also write fields that have their default value.
    """
    write_atomic(path, scenario_to_yaml(scenario, full=full))


def result_to_json(result: Result) -> str:
    """The result (status, figures, solver info and plan) as indented JSON."""
    return result.model_dump_json(indent=2) + "\n"


# -- writing -----------------------------------------------------------------------


def _new_file_mode() -> int:
    """Permissions a newly created file gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: PathLike, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never half.

    The content goes to a temporary file in the same directory, which is
    flushed to disk and then renamed over ``path`` (``os.replace``). If
    anything fails the temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path
        Target file; its directory must exist.
    data
        Text (written as UTF-8) or bytes.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable where the platform allows it
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
