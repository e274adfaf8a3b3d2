"""docs/MODEL.md cites code that exists: its ``module.name`` citations and file paths."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import allocator

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "docs" / "MODEL.md"


def modules() -> dict[str, str]:
    """Every genhus module by its full name and by its last part (``rules``, ``check``)."""
    full = ["allocator", *(m.name for m in pkgutil.walk_packages(allocator.__path__, "allocator."))]
    short: dict[str, list[str]] = {}
    for name in full:
        short.setdefault(name.rsplit(".", 1)[-1], []).append(name)
    # a last part that two modules share would make a citation ambiguous
    return {name: name for name in full} | {k: v[0] for k, v in short.items() if len(v) == 1}


def cited_names(text: str, known: dict[str, str]) -> list[str]:
    """Dotted names in backticks that start with a module (``rules.daily_ore``), in full.

    Spans with a ``/`` are file paths; names starting with something else
    (``policy.planning_date``) are scenario fields, not code.
    """
    out = []
    for span in re.findall(r"`([^`]+)`", text):
        if "/" in span:
            continue
        for dotted in re.findall(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", span):
            head, _, rest = dotted.partition(".")
            if head in known:
                out.append(f"{known[head]}.{rest}")
    return out


def test_model_md_cites_functions_that_exist() -> None:
    names = cited_names(MODEL.read_text(encoding="utf-8"), modules())
    assert len(names) >= 10  # the pattern finds the citations
    missing = []
    for name in names:
        try:
            pkgutil.resolve_name(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert missing == []


def test_model_md_names_files_that_exist() -> None:
    text = MODEL.read_text(encoding="utf-8")
    paths = re.findall(r"\b(?:allocator|models|tests|docs|scenarios|bench)/[\w/.-]*\w", text)
    assert len(paths) >= 10
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_the_citation_finder_skips_fields_and_paths() -> None:
    known = modules()
    text = "`rules.months_of(days)` `policy.tie_break` `allocator/rules/table.py` `check_plan`"
    assert cited_names(text, known) == ["allocator.rules.months_of"]
