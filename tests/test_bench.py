"""The benchmark's results file: its stored measurements survive a re-render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.records import load
from bench.run import main

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "RESULTS.md"


def test_render_keeps_the_measurements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "RESULTS.md"
    shutil.copy(RESULTS, out)
    stored = load(RESULTS)
    assert stored["sizes"], "bench/RESULTS.md holds measurements"
    assert main(["--render", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# genhus benchmark results")
    assert load(out) == stored
    # the terminal gets the three tables, one row per size in each
    tables = capsys.readouterr().out
    assert tables.count("**") == 6
    for size in stored["sizes"]:
        assert tables.count(f"\n| {size} |") == 3


def test_render_without_measurements(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# nothing measured yet\n", encoding="utf-8")
    assert main(["--render", "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "# nothing measured yet\n"
