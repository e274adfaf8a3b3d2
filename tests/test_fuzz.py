"""A seeded fuzz run in the suite: mutated inputs never raise, hang or lose a file.

The campaign of ``bench.fuzz`` in small: 200 mutated scenarios (YAML, JSON,
workbook) and plans, each through ``genhus validate`` or ``genhus check``
in-process, within 10 s of CPU time, with exit code 0, 1, 2 or 3 and no traceback. The
hostile files of issue 14 are run by ``tests/test_input_limits.py``; the
10,000-case campaign is ``python -m bench.fuzz --cases 10000``
(docs/RELIABILITY.md).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from bench import fuzz

CASES = 200


def test_mutated_inputs_exit_cleanly() -> None:
    outcomes = [fuzz.run_case(case, limit=10) for case in fuzz.generated_cases(CASES, seed=2026)]
    failures = [
        f"{o.name}: exit {o.exit_code}, {o.seconds:.1f} s\n{o.stderr}"
        for o in outcomes
        if o.traceback or o.hang or o.lost or o.exit_code not in fuzz.ALLOWED_EXITS
    ]
    assert not failures, "\n\n".join(failures)
    assert all(o.cpu < 10 for o in outcomes)
    kinds = Counter(o.kind for o in outcomes)
    assert kinds == {"yaml": 50, "json": 50, "xlsx": 50, "plan": 50}
    # the mutations reach the checks: most cases are refused, with a message naming the file
    refused = [o for o in outcomes if o.exit_code == 2]
    assert len(refused) > CASES // 2
    assert all("input." in o.stderr.splitlines()[0] for o in refused)


def test_the_same_seed_gives_the_same_workbooks_at_another_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A campaign's cases must not depend on the clock (zip entries and properties are stamped)."""

    def workbooks() -> bytes:
        fuzz._bases.cache_clear()
        cases = [c for c in fuzz.generated_cases(40, seed=1) if c.kind == "xlsx"]
        return b"".join(c.write(tmp_path).read_bytes() for c in cases)

    now = workbooks()
    later = time.time() + 86_400 * 400
    monkeypatch.setattr(time, "time", lambda: later)
    assert workbooks() == now
    fuzz._bases.cache_clear()
