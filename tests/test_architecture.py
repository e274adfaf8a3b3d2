"""The import graph of allocator and models: no cycles, no side channels, and the layers.

The layers are those of docs/ARCHITECTURE.md. The graph is grimp's: every
import statement of every module, those inside functions and
``TYPE_CHECKING`` blocks included.
"""

from __future__ import annotations

import graphlib
import importlib
import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parents[1]

#: From high to low: a module may import its own layer's modules and lower
#: layers, never a higher one, not even through others (docs/ARCHITECTURE.md).
LAYERS: tuple[grimp.Layer, ...] = (
    grimp.Layer("allocator.cli"),
    grimp.Layer("allocator.explain.marginal"),
    grimp.Layer(
        "allocator.report",
        "allocator.excel",
        "allocator.io",
        "allocator.generate",
        "allocator.study",
        independent=False,
    ),
    grimp.Layer("allocator.solving.entry"),
    grimp.Layer("allocator.replan"),
    grimp.Layer("allocator.heuristics.portfolio"),
    grimp.Layer(
        "allocator.solving.single", "allocator.solving.fallback", "allocator.explain.diagnose"
    ),
    grimp.Layer("allocator.bound", "allocator.heuristics.greedy"),
    grimp.Layer("allocator.cpsat"),
    grimp.Layer(
        "allocator.explain.capacity",
        "allocator.explain.household",
        "allocator.explain.words",
        independent=False,
    ),
    grimp.Layer("allocator.plan"),
    grimp.Layer(
        "allocator.solving.result",
        "allocator.solving.progress",
        "allocator.solving.settings",
        independent=False,
    ),
    grimp.Layer("allocator.rules"),
    grimp.Layer("models"),
)

#: Modules that run without a solver: they reach neither OR-Tools nor HiGHS.
SOLVER_FREE = (
    "models",
    "allocator.rules",
    "allocator.plan",
    "allocator.heuristics.greedy",
    "allocator.explain.capacity",
    "allocator.explain.household",
    "allocator.explain.words",
    "allocator.report",
    "allocator.excel",
    "allocator.io",
    "allocator.generate",
)
SOLVERS = ("ortools", "highspy")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("allocator", "models", include_external_packages=True, cache_dir=None)


def _ours(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if m.split(".")[0] in ("allocator", "models"))


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    ours = set(_ours(graph))
    imports = {
        m: {d for d in graph.find_modules_directly_imported_by(m) if d in ours} for m in ours
    }
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_no_context_variables(graph: grimp.ImportGraph) -> None:
    # state passes as arguments and return values, never through a ContextVar
    assert "contextvars" not in graph.modules


def test_layers(graph: grimp.ImportGraph) -> None:
    illegal = graph.find_illegal_dependencies_for_layers(layers=LAYERS)
    shown = [
        f"{d.importer} -> {d.imported}"
        + "".join(f" (via {' -> '.join(r.middle)})" for r in d.routes if r.middle)
        for d in illegal
    ]
    assert shown == []


def test_every_layer_exists(graph: grimp.ImportGraph) -> None:
    named = [m for layer in LAYERS for m in layer.module_tails]
    assert [m for m in named if m not in graph.modules] == []


@pytest.mark.parametrize("module", SOLVER_FREE)
def test_runs_without_a_solver(graph: grimp.ImportGraph, module: str) -> None:
    for solver in SOLVERS:
        chain = graph.find_shortest_chain(module, solver, as_packages=True)
        assert chain is None, " -> ".join(chain or ())


def test_models_import_nothing_of_allocator(graph: grimp.ImportGraph) -> None:
    assert not graph.chain_exists("models", "allocator", as_packages=True)


def test_only_the_entry_point_decomposes(graph: grimp.ImportGraph) -> None:
    importers = graph.find_modules_that_directly_import("allocator.heuristics.portfolio")
    assert importers == {"allocator.solving.entry"}


def test_the_architecture_doc_names_only_what_exists() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    names = set(re.findall(r"`((?:allocator|models)(?:\.\w+)*)`", text))
    paths = set(re.findall(r"`((?:allocator|models|tests|docs|bench)/[\w./]*)`", text))
    assert names and paths
    missing = [n for n in sorted(names) if not _resolves(n)]
    missing += [p for p in sorted(paths) if not (ROOT / p).exists()]
    assert missing == []


def _resolves(name: str) -> bool:
    """Whether ``name`` is a module, or an attribute of the longest module it starts with."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False
