"""One Danish label per code (allocator.labels), and the package layout that keeps one home."""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest

from allocator import labels
from models.plan import CostCategory, Mode, SegmentKind, Status
from models.scenario import Agreement, Source, TieBreak

ALLOCATOR = Path(__file__).resolve().parents[1] / "allocator"


@pytest.mark.parametrize(
    "enum", [Source, Mode, SegmentKind, CostCategory, Agreement, TieBreak, Status]
)
def test_every_code_has_one_danish_label(enum: type[StrEnum]) -> None:
    texts = [labels.label(member) for member in enum]
    assert all(text.strip() for text in texts)
    assert len(set(texts)) == len(texts)  # two codes never read the same


def test_equal_codes_of_different_enumerations_keep_their_own_label() -> None:
    assert Mode.PERMANENT == SegmentKind.PERMANENT  # both are the string "permanent"
    assert labels.label(Mode.PERMANENT) == "permanent genhusning"
    assert labels.label(SegmentKind.PERMANENT) == "udlejet permanent"


def test_short_labels_cover_their_enumerations() -> None:
    assert set(labels.MODE_SHORT) == set(Mode)
    assert set(labels.SOURCE_SHORT) == set(Source)


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_excel_uses_only_the_errors_and_the_writer_of_io() -> None:
    # allocator.io.load imports the Excel reader; the other way round would be a cycle.
    # (allocator.io.cells, the spreadsheet text of every CSV and cell, imports nothing of ours;
    # allocator.io.limits, the input boundary, imports only allocator.io.errors.)
    leaves = {
        "allocator.io.errors",
        "allocator.io.write",
        "allocator.io.cells",
        "allocator.io.limits",
    }
    for path in (ALLOCATOR / "excel").glob("*.py"):
        used = {m for m in _imports(path) if m.startswith("allocator.io")}
        assert used <= leaves, path.name
    assert not {m for m in _imports(ALLOCATOR / "io" / "cells.py") if m.startswith("allocator")}
    assert {m for m in _imports(ALLOCATOR / "io" / "limits.py") if m.startswith("allocator")} == {
        "allocator.io.errors"
    }
    assert _imports(ALLOCATOR / "io" / "__init__.py") == set()


def test_no_other_module_writes_through_a_temporary_file() -> None:
    writers = sorted(
        path.relative_to(ALLOCATOR).as_posix()
        for path in ALLOCATOR.rglob("*.py")
        if "tempfile" in _imports(path) or "os.replace" in path.read_text(encoding="utf-8")
    )
    # bound/milp.py reads the CP-SAT model back from a scratch copy in a
    # temporary directory (the proto has no faster way out); it writes no output
    assert writers == ["bound/milp.py", "io/write.py"]
    assert "os.replace" not in (ALLOCATOR / "bound" / "milp.py").read_text(encoding="utf-8")
