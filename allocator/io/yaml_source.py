"""YAML with line numbers: the safe loader, libyaml's fast path, duplicate keys.

A scenario is read by :func:`parse_yaml`, which gives the data and a
:data:`~allocator.io.errors.Locator` that names the line of any field, so
that a validation message can say where the problem is. Dates stay text (the
timestamp resolver is removed, see :data:`RESOLVERS`) and are parsed, with a
field path in their messages, by pydantic.
"""

from __future__ import annotations

import gc
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from allocator.io.errors import TOP, InputError, Locator, format_loc
from allocator.io.limits import (
    LIMITS,
    Limits,
    aliases_expand,
    refuse,
    short,
    too_deep,
    too_long,
    too_many_digits,
)

__all__ = ["RESOLVERS", "gc_paused", "parse_yaml"]

#: PyYAML's safe implicit resolvers without the timestamp one: PyYAML turns
#: ``2024-13-01`` into a Python error without a position, so dates stay text.
#: The scenario writer (:mod:`allocator.io.dump`) uses them too, so that it
#: writes ISO dates without quotes.
RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_object(
    self: yaml.constructor.BaseConstructor, node: Node, deep: bool = False
) -> Any:
    """PyYAML's ``construct_object``, with a position for a value its tag cannot hold.

    An explicit tag such as ``!!timestamp 2024-13-45`` or ``!!int abc`` makes
    PyYAML's constructor raise a plain ``ValueError`` without a position.
    """
    try:
        return yaml.constructor.BaseConstructor.construct_object(self, node, deep)
    except (ValueError, TypeError, KeyError, OverflowError, ArithmeticError) as exc:
        kind = node.tag.rsplit(":", 1)[-1]
        raise yaml.constructor.ConstructorError(
            None, None, f"{short(node.value)} cannot be read as {kind} ({exc})", node.start_mark
        ) from None


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates as text (:data:`RESOLVERS`).

    Its composer, which is recursive, stops at :attr:`Limits.depth` levels
    (libyaml's stops at 1,000 levels, safely below Python's recursion limit).
    """

    _depth = 0
    construct_object = _construct_object

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose one node, refusing nesting deeper than :attr:`Limits.depth`."""
        self._depth += 1
        try:
            if self._depth > LIMITS.depth:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, too_deep(), mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = RESOLVERS

if typing.TYPE_CHECKING:
    _YamlLoader: typing.TypeAlias = type[yaml.SafeLoader] | type[yaml.CSafeLoader]

#: :class:`_Loader` with libyaml's parser if PyYAML was built with it (else None).
_FastLoader: _YamlLoader | None = None
if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """:class:`_Loader` with libyaml's parser: the same dates-as-text resolvers."""

        construct_object = _construct_object

    _CLoader.yaml_implicit_resolvers = RESOLVERS
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
    """A :data:`Locator` giving the line of a location in a YAML document.

    Each mapping's keys are indexed the first time a location passes
    through it, so that locating every one of many problems (20,000 unknown
    keys, say) takes time in proportion to their number, not its square.
    """
    indexes: dict[int, dict[str, tuple[Node, int]]] = {}

    def keys_of(node: MappingNode) -> dict[str, tuple[Node, int]]:
        index = indexes.get(id(node))
        if index is None:
            index = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    index.setdefault(key.value, (value, key.start_mark.line))
            indexes[id(node)] = index
        return index

    def locate(loc: tuple[str | int, ...]) -> str | None:
        node = root
        line = root.start_mark.line
        for part in loc:
            if isinstance(node, MappingNode):
                found = keys_of(node).get(str(part))
                if found is None:
                    break
                node, line = found
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return f"line {line + 1}"

    return locate


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _measure(path: Path, root: Node, limits: Limits = LIMITS) -> None:
    """Refuse a composed document that aliases expand, or that is too deep or long.

    Aliases make nodes shared, so the document is a graph, not a tree: ten
    lines can stand for a billion items, and every later walk of the data
    would take that long. The walk here visits each node once, with its own
    stack; only a document that shares a node is counted out in full
    (:func:`_measure_aliases`).

    Raises
    ------
    InputError
        A node nested deeper than :attr:`Limits.depth`, a text or a number
        too long, or aliases that expand the document too much.
    """
    seen: set[int] = set()
    shared = False
    stack: list[tuple[Node, int]] = [(root, 1)]
    shortest = min(limits.string_chars, limits.number_chars)
    deepest = limits.depth
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ScalarNode):
            if len(node.value) > shortest:
                _check_scalar(path, node, limits)
            continue
        value = node.value
        key = id(node)
        if key in seen:
            shared = True
            continue
        seen.add(key)
        if depth > deepest:
            raise refuse(path, _where(node), too_deep(limits))
        depth += 1
        if node.__class__ is MappingNode:
            for k, v in value:
                stack.append((k, depth))
                stack.append((v, depth))
        else:
            stack.extend([(c, depth) for c in value])
    if shared:
        _measure_aliases(path, root, limits)


def _where(node: Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


def _check_scalar(path: Path, node: ScalarNode, limits: Limits) -> None:
    value = node.value
    if len(value) > limits.string_chars:
        raise refuse(path, _where(node), too_long(value, limits))
    if node.tag in _NUMBER_TAGS and len(value) > limits.number_chars:
        raise refuse(path, _where(node), too_many_digits(value, limits))


def _measure_aliases(path: Path, root: Node, limits: Limits) -> None:
    """Count what a document with shared nodes expands to, refusing cycles and bombs."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    cap = limits.alias_growth * 2**20 + limits.alias_slack  # stop counting early
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            visiting.discard(key)
            if height[key] > limits.depth + 1:
                raise refuse(path, _where(node), too_deep(limits))
            if size[key] > cap:
                break
            continue
        if key in size:
            continue
        if key in visiting:
            raise refuse(path, _where(node), "an alias refers to a node that contains it")
        visiting.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    expanded = size.get(id(root))
    if expanded is None:  # the count was stopped at the cap
        raise refuse(path, TOP, aliases_expand(None, cap, limits))
    if expanded > limits.alias_growth * len(size) + limits.alias_slack:
        raise refuse(path, TOP, aliases_expand(len(size), expanded, limits))


@contextmanager
def gc_paused() -> Iterator[None]:
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


def parse_yaml(path: Path, text: str) -> tuple[object, Locator | None]:
    """Parse YAML text, with libyaml if PyYAML has it and the document allows.

    On documents :func:`_libyaml_agrees` with, libyaml gives the same
    nodes, lines and data as PyYAML's own parser, many times faster. Its
    error messages and positions differ, though: on any problem, and on
    any other document, the text is parsed in pure Python, whose messages
    and results the tests and users know.

    Parameters
    ----------
    path
        The file the text comes from (the first part of every message).
    text
        The YAML document.

    Returns
    -------
    tuple
        The data (dates as text) and a :data:`~allocator.io.errors.Locator`
        that gives the line of a location.

    Raises
    ------
    InputError
        An empty document, a syntax error (with line and column) or keys
        given twice in one mapping.
    """
    if _FastLoader is not None and "\t" not in text and "\ufeff" not in text:
        try:
            with gc_paused():
                return _parse_yaml_with(_FastLoader, path, text, vet=_libyaml_agrees)
        except Exception:  # any problem: the pure-Python parser reports it
            pass
    with gc_paused():
        return _parse_yaml_with(_Loader, path, text)


def _parse_yaml_with(
    loader_class: _YamlLoader,
    path: Path,
    text: str,
    vet: Callable[[Node], bool] | None = None,
) -> tuple[object, Locator | None]:
    loader = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None:
            raise InputError([f"{path}: {TOP}: the file is empty"])
        _measure(path, node)
        if vet is not None and not vet(node):
            raise _NotForLibyaml
        duplicates = _yaml_duplicates(path, node)
        if duplicates:
            raise InputError(duplicates)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(path, exc)]) from None
    except RecursionError:  # a safety net: _Loader and libyaml stop far earlier
        raise refuse(path, TOP, too_deep()) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, _yaml_locator(node)
