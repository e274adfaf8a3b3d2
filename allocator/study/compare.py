"""Comparing scenarios side by side: a column per scenario, differences against the first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, Final

import pandas as pd

from allocator.study.figures import FIGURE_COLUMNS
from allocator.study.study import Study
from models.scenario import Scenario
from models.study import Changes, SolveSettings

__all__ = ["COMPARED", "compare", "side_by_side"]

#: The rows of a side-by-side table, in order.
COMPARED: Final = ("status", "gap", *FIGURE_COLUMNS)
#: Prefix of a difference column: ``"Δ B"`` is B minus the first column.
DELTA: Final = "Δ "


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """A study table turned side by side: a row per figure, a column per variant.

    Parameters
    ----------
    table
        A study table (:meth:`Study.run`), a row per variant.

    Returns
    -------
    pandas.DataFrame
        Indexed by figure (``status``, ``gap``, ``total``, ``cost.<category>``
        ...), a column per variant, then ``Δ <variant>`` for each later
        variant: its figure minus the first variant's (numbers only; empty
        where either has no plan).
    """
    names = [str(n) for n in table["variant"]]
    wide = table.set_index("variant")[list(COMPARED)].T
    wide.columns = names
    wide = wide.astype(object)
    first = names[0]
    for name in names[1:]:
        deltas: list[float | None] = []
        for figure in COMPARED:
            a: Any = wide.at[figure, first]
            b: Any = wide.at[figure, name]
            numeric = figure != "status" and _is_number(a) and _is_number(b)
            deltas.append(float(b) - float(a) if numeric else None)
        wide[DELTA + name] = pd.Series(deltas, index=wide.index, dtype=object)
    wide.index.name = "figure"
    return wide


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not pd.isna(value)


def compare(
    scenarios: Mapping[str, Scenario] | Sequence[Scenario],
    settings: SolveSettings | Mapping[str, Any] | None = None,
    *,
    vary: Sequence[Changes | Mapping[str, Any]] = (),
    executor: Executor | None = None,
    processes: int | None = None,
) -> pd.DataFrame:
    """Solve scenarios (or one scenario and variations of it) and compare them.

    Parameters
    ----------
    scenarios
        Scenarios by name (or a list, named by ``Scenario.name``). With
        ``vary``: exactly one, the base.
    settings
        How each is solved (:class:`~models.study.SolveSettings`).
    vary
        Changes of the base, one column each in this order, e.g.
        ``[{"pavilions": "only"}, {"pavilions": "none"}]``; ``{}`` is the
        base unchanged (named ``base``).
    executor, processes
        Where to solve (see :meth:`Study.run`).

    Returns
    -------
    pandas.DataFrame
        :func:`side_by_side` of the results.
    """
    named = dict(scenarios) if isinstance(scenarios, Mapping) else _by_name(scenarios)
    if vary:
        if len(named) != 1:
            raise ValueError("vary needs exactly one base scenario")
        study = Study(next(iter(named.values())), settings, include_base=False)
        for i, changes in enumerate(vary):
            given = changes.given() if isinstance(changes, Changes) else dict(changes)
            name = ", ".join(f"{k}={v}" for k, v in given.items()) or "base"
            study.add_variant(name, changes, origin=("--vary", (i,)))
    else:
        study = Study(None, settings)
        for name, scenario in named.items():
            study.add_scenario(name, scenario)
    return side_by_side(study.run(executor, processes=processes))


def _by_name(scenarios: Sequence[Scenario]) -> dict[str, Scenario]:
    named: dict[str, Scenario] = {}
    for i, scenario in enumerate(scenarios):
        name = scenario.name if scenario.name not in named else f"{scenario.name} ({i + 1})"
        named[name] = scenario
    return named
