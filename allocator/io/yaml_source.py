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

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from allocator.io.errors import TOP, InputError, Locator, format_loc

__all__ = ["RESOLVERS", "gc_paused", "parse_yaml"]

#: PyYAML's safe implicit resolvers without the timestamp one: PyYAML turns
#: ``2024-13-01`` into a Python error without a position, so dates stay text.
#: The scenario writer (:mod:`allocator.io.dump`) uses them too, so that it
#: writes ISO dates without quotes.
RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates as text (:data:`RESOLVERS`)."""


_Loader.yaml_implicit_resolvers = RESOLVERS

if typing.TYPE_CHECKING:
    _YamlLoader: typing.TypeAlias = type[yaml.SafeLoader] | type[yaml.CSafeLoader]

#: :class:`_Loader` with libyaml's parser if PyYAML was built with it (else None).
_FastLoader: _YamlLoader | None = None
if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """:class:`_Loader` with libyaml's parser: the same dates-as-text resolvers."""

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
