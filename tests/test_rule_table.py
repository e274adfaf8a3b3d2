"""The rule table (``allocator.rules.table``) is complete and says true things.

Every rule R1 to R16 is in it once; every model part and checker function
it names exists; the model's and the checker's functions named after rules
are listed under those rules; and every rule has at least one test that
shows it holding and one that shows it broken and caught (an infeasible
scenario, a dearer plan, or a violation the checker reports).

Tests say which rule they show with ``@pytest.mark.rule(*ids, shows)``,
``shows`` being ``"holds"`` or ``"violated"``, on the test function or on
one ``pytest.param`` of its parametrisation. They are found by importing
the test modules and reading those marks, so a renamed or deleted test
takes its marks with it.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections import defaultdict
from pathlib import Path
from pkgutil import resolve_name
from typing import Any, get_args

import pytest

from allocator.cpsat.model import RehousingModel
from allocator.plan import check
from allocator.rules.table import BY_ID, RULES, Reading, RuleId

TESTS = Path(__file__).parent
SHOWS = ("holds", "violated")


def rule_marks() -> dict[tuple[str, str], list[str]]:
    """The tests marked with each (rule, shows), by test id; bad marks fail here."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)

    def add(mark: Any, test_id: str) -> None:
        *ids, shows = mark.args
        assert ids and shows in SHOWS, f"{test_id}: bad mark {mark}"
        for rule in ids:
            assert rule in BY_ID, f"{test_id}: unknown rule {rule!r}"
            found[(rule, shows)].append(test_id)

    for path in sorted(TESTS.glob("test_*.py")):
        # pytest imports test modules by file name (tests/ is on sys.path)
        module = importlib.import_module(path.stem)
        for name, test in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            for mark in getattr(test, "pytestmark", []):
                if mark.name == "rule":
                    add(mark, f"{path.stem}::{name}")
                elif mark.name == "parametrize":
                    for param in mark.args[1]:
                        for inner in getattr(param, "marks", ()):
                            if inner.name == "rule":
                                add(inner, f"{path.stem}::{name}[{param.id}]")
    return found


def test_every_rule_is_in_the_table_once_in_order() -> None:
    assert [r.id for r in RULES] == [f"R{i}" for i in range(1, 17)]
    assert [r.id for r in RULES] == list(get_args(RuleId))
    assert set(BY_ID) == {r.id for r in RULES}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_entry_is_filled_in(rule: Any) -> None:
    assert rule.title and rule.danish
    assert rule.reading in get_args(Reading)
    assert rule.parts, "every rule is applied somewhere"
    assert rule.checks, "every rule is verified by the plan checker"
    assert len(set(rule.parts)) == len(rule.parts)
    assert len(set(rule.checks)) == len(rule.checks)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_named_part_and_check_exists(rule: Any) -> None:
    for name in (*rule.parts, *rule.checks):
        assert callable(resolve_name(name)), name
    for name in rule.checks:
        assert name.startswith("allocator.plan.check."), name


def rules_in_name(name: str, pattern: str) -> set[str]:
    """The rules a function name says it is about: ``check_r5_r6_places`` -> {R5, R6}."""
    match = re.fullmatch(pattern, name)
    return {f"R{n}" for n in re.findall(r"r(\d+)", match.group(1))} if match else set()


def test_functions_named_after_rules_are_listed_under_them() -> None:
    named = {
        f"allocator.plan.check.{name}": rules_in_name(name, r"check_((?:r\d+_)+).*")
        for name, _ in inspect.getmembers(check, inspect.isfunction)
    } | {
        f"allocator.cpsat.model.RehousingModel.{name}": rules_in_name(name, r"((?:r\d+_)+).*")
        for name, _ in inspect.getmembers(RehousingModel, inspect.isfunction)
    }
    assert sum(1 for ids in named.values() if ids) >= 12  # the pattern finds them
    for function, ids in named.items():
        for rule in ids:
            assert function in BY_ID[rule].checks + BY_ID[rule].parts, (rule, function)


def test_every_rule_has_a_test_that_holds_and_one_that_is_violated() -> None:
    found = rule_marks()
    missing = [(r.id, shows) for r in RULES for shows in SHOWS if not found[(r.id, shows)]]
    assert missing == []


def test_the_mark_reader_sees_function_and_parameter_marks() -> None:
    found = rule_marks()
    assert "test_solver_rules::test_r1_the_stay_covers_the_whole_window" in found[("R1", "holds")]
    assert "test_check::test_broken_plan_is_reported[r6_step_free]" in found[("R6", "violated")]
    # one mark naming several rules counts for each
    fits = "test_solver_rules::test_fit_rules_a_fitting_cheap_dwelling_is_used"
    assert all(fits in found[(rule, "holds")] for rule in ("R5", "R6", "R7", "R15"))
