"""A what-if study: a base scenario, named variants and grids, solved into one table.

:class:`Study` collects variants (changes of the base scenario, or whole
scenarios), turns each into a plain task (the changed scenario as JSON data
and the solver settings), runs the tasks with
:func:`allocator.study.executor.run_tasks` (local processes or a Dask
cluster) and returns a :class:`pandas.DataFrame` with a row per variant.
Results are kept per variant under a content hash of its scenario and
settings, so that a study started again solves only what is missing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import pandas as pd
from pydantic import ValidationError

from allocator import rules
from allocator.io.errors import InputError, Locator, format_loc
from allocator.io.load import load_scenario, load_yaml_or_json
from allocator.io.messages import error_lines, validate_data
from allocator.io.write import write_file
from allocator.plan.check import check_plan
from allocator.solving.entry import solve
from allocator.study.changes import Origin, apply_changes
from allocator.study.executor import local_processes, run_tasks
from allocator.study.figures import FIGURE_COLUMNS, figures
from models.scenario import Scenario
from models.study import Changes, SolveSettings, StudyFile

__all__ = [
    "CHANGE_INVALID",
    "ERROR",
    "Study",
    "Variant",
    "load_study",
    "solve_task",
    "table_columns",
]

#: Status of a variant whose changes do not apply to the base scenario.
CHANGE_INVALID: Final = "CHANGE_INVALID"
#: Status of a variant whose solve raised or whose worker was lost.
ERROR: Final = "ERROR"

#: Columns of a solved row besides the figures, in table order.
_RESULT_COLUMNS: Final = ("status", "error")
_SOLVER_COLUMNS: Final = ("objective", "bound", "gap", "runtime", "seed", "workers", "time_limit")


def table_columns(change_keys: Sequence[str]) -> list[str]:
    """The columns of a study table whose variants use ``change_keys``.

    ``variant``; ``change.<key>`` for each change used (its value as JSON
    text); ``status`` and ``error`` (why a variant has no plan); the figures
    of :data:`allocator.study.figures.FIGURE_COLUMNS`; the solver's
    ``objective``, ``bound``, ``gap``, ``runtime``, ``seed``, ``workers``,
    ``time_limit``; ``from_cache`` and ``key`` (the content hash).
    """
    return [
        "variant",
        *(f"change.{k}" for k in change_keys),
        *_RESULT_COLUMNS,
        *FIGURE_COLUMNS,
        *_SOLVER_COLUMNS,
        "from_cache",
        "key",
    ]


@dataclass(frozen=True)
class Variant:
    """One variant of a study: changes of the base scenario, or a whole scenario.

    Attributes
    ----------
    name : str
        Its row's name (unique in the study).
    changes : Changes
        What is changed (empty for the base or a whole scenario).
    origin : Origin
        Where it was declared, for error messages.
    scenario : Scenario or None
        A whole scenario to solve instead of the changed base.
    """

    name: str
    changes: Changes
    origin: Origin
    scenario: Scenario | None = None


def solve_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Solve one task: plain data in, plain data out (runs in a worker).

    Parameters
    ----------
    task
        ``scenario`` (a scenario as JSON data) and ``settings`` (a
        :class:`~models.study.SolveSettings` as data).

    Returns
    -------
    dict
        ``status``, ``error`` (None, or why there is no trustworthy plan),
        the figures (:func:`allocator.study.figures.figures`), ``objective``,
        ``bound``, ``gap``, ``runtime``. The model is built here, in the
        worker; the plan is verified by the plan checker.
    """
    scenario = Scenario.model_validate(task["scenario"])
    settings = SolveSettings.model_validate(task["settings"])
    result = solve(
        scenario,
        time_limit=settings.time_limit,
        num_workers=settings.workers,
        seed=settings.seed,
        gap_limit=settings.gap,
        strategy=settings.strategy,
    )
    error = None
    if result.plan is None:
        # the scenario's own warnings (notices, interviews, wishes) are no reason
        known = set(rules.notice_warnings(scenario)) | set(rules.wish_warnings(scenario))
        reasons = [w for w in result.warnings if w not in known]
        error = "; ".join(reasons[:3]) or result.status.value
    else:
        report = check_plan(scenario, result.plan, objective=result.objective)
        if report.violations:
            error = f"the plan failed the plan checker: {report.violations[0]}"
    return {
        "status": result.status.value,
        "error": error,
        **figures(result),
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "runtime": result.runtime,
    }


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class Study:
    """Variants of a base scenario, solved into one table.

    Parameters
    ----------
    base
        The base scenario (``None`` if every variant is a whole scenario).
    settings
        How each variant is solved; default :class:`~models.study.SolveSettings`.
    name
        The study's name.
    include_base
        Add the unchanged base as the first variant, ``"base"``.

    Examples
    --------
    >>> study = Study(load_scenario("scenarios/example.yaml"))  # doctest: +SKIP
    >>> study.add_variant("pavilions only", {"pavilions": "only"})  # doctest: +SKIP
    >>> study.grid({"overcapacity": [0.2, 0.3, 0.4]})  # doctest: +SKIP
    >>> table = study.run()  # doctest: +SKIP
    """

    def __init__(
        self,
        base: Scenario | None = None,
        settings: SolveSettings | Mapping[str, Any] | None = None,
        *,
        name: str = "study",
        include_base: bool = True,
    ) -> None:
        self.base = base
        self.settings = SolveSettings.model_validate(settings or {})
        self.name = name
        self.variants: list[Variant] = []
        if base is not None and include_base:
            self.variants.append(Variant("base", Changes(), ("study", ("base",))))

    def _add(self, variant: Variant) -> None:
        if any(v.name == variant.name for v in self.variants):
            source, at = variant.origin
            raise InputError([f"{source}: {format_loc(at)}: a variant {variant.name!r} exists"])
        if variant.scenario is None and self.base is None:
            raise InputError([f"{variant.origin[0]}: the study has no base scenario to change"])
        self.variants.append(variant)

    def add_variant(
        self,
        name: str,
        changes: Changes | Mapping[str, Any] | None = None,
        *,
        origin: Origin | None = None,
    ) -> None:
        """Add a variant: ``changes`` of the base scenario (see :class:`~models.study.Changes`).

        Raises
        ------
        InputError
            Changes that are not valid (each message names the field), or a
            name already used.
        """
        where = origin or ("study", ("variants", name))
        self._add(Variant(name, _changes(changes or {}, where, None), where))

    def add_scenario(self, name: str, scenario: Scenario) -> None:
        """Add a whole scenario as a variant (``genhus compare A.yaml B.yaml``)."""
        self._add(Variant(name, Changes(), (name, ()), scenario))

    def grid(
        self,
        vary: Mapping[str, Sequence[Any]],
        *,
        fixed: Mapping[str, Any] | None = None,
        name: str = "",
        origin: Origin | None = None,
        locate: Locator | None = None,
    ) -> list[str]:
        """Add a variant for every combination of the values in ``vary``.

        Parameters
        ----------
        vary
            A change and the values it takes, e.g. ``{"overcapacity": [0.2,
            0.3], "pavilions": ["only", "none"]}`` (4 variants).
        fixed
            Changes every variant of the grid has.
        name
            Prefix of the variants' names; each is named by its values,
            e.g. ``"overcapacity=0.3, pavilions=none"``.
        origin, locate
            Where the grid was declared (for error messages).

        Returns
        -------
        list of str
            The names of the variants added.
        """
        where = origin or ("study", ("grids",))
        source, at = where
        keys = list(vary)
        _changes(dict(fixed or {}), (source, (*at, "fixed")), locate)
        for key in keys:
            for j, value in enumerate(vary[key]):
                _changes({key: value}, (source, (*at, "vary")), locate, index=j)
        names = []
        for combination in itertools.product(*(vary[k] for k in keys)):
            given = dict(zip(keys, combination, strict=True))
            label = ", ".join(f"{k}={_value_text(v)}" for k, v in given.items())
            full = f"{name} {label}" if name else label
            self._add(Variant(full, _changes({**(fixed or {}), **given}, where, locate), where))
            names.append(full)
        return names

    def tasks(self) -> list[tuple[Variant, dict[str, Any] | str]]:
        """Each variant with its task (plain data) or why its changes do not apply."""
        out: list[tuple[Variant, dict[str, Any] | str]] = []
        settings = self.settings.model_dump(mode="json")
        for variant in self.variants:
            try:
                scenario = variant.scenario or apply_changes(
                    _require(self.base), variant.changes, variant.origin
                )
            except InputError as error:
                out.append((variant, "\n".join(error.messages)))
                continue
            data = scenario.model_dump(mode="json")
            out.append(
                (variant, {"scenario": data, "settings": settings, "key": _key(data, settings)})
            )
        return out

    def run(
        self,
        executor: Executor | None = None,
        *,
        processes: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        on_result: Callable[[dict[str, Any]], None] | None = None,
        on_submit: Callable[[str], None] | None = None,
    ) -> pd.DataFrame:
        """Solve every variant and return the table, a row per variant in study order.

        Parameters
        ----------
        executor
            Any :class:`concurrent.futures.Executor`, e.g. a Dask cluster's
            ``distributed.Client(address).get_executor()``. Default: local
            ``spawn`` processes.
        processes
            Local processes without an executor; default: as many as the
            cores allow with ``settings.workers`` solver workers each.
        cache_dir
            Directory of per-variant results (``<key>.json``, written
            atomically): variants found there are not solved again.
        on_result
            Called with each row as it is known (cached, failed or solved).
        on_submit
            Called with a variant's name when it is handed to the executor.

        Returns
        -------
        pandas.DataFrame
            The columns of :func:`table_columns`; a variant that fails is a
            row with its ``status`` and ``error``.
        """
        cache = Path(cache_dir) if cache_dir is not None else None
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
        rows: dict[str, dict[str, Any]] = {}
        # one solve per distinct scenario and settings: variants with equal keys share it
        todo: dict[str, tuple[dict[str, Any], list[Variant]]] = {}

        def done(variant: Variant, row: dict[str, Any]) -> None:
            rows[variant.name] = self._row(variant, row)
            if on_result is not None:
                on_result(rows[variant.name])

        for variant, task in self.tasks():
            if isinstance(task, str):
                done(variant, {"status": CHANGE_INVALID, "error": task})
                continue
            cached = _read_cached(cache, task["key"])
            if cached is not None:
                done(variant, {**cached, "from_cache": True, "key": task["key"]})
            else:
                todo.setdefault(task["key"], (task, []))[1].append(variant)

        pending = list(todo.values())
        if processes is None:
            processes = local_processes(self.settings.workers, len(pending))

        def submitted(index: int) -> None:
            if on_submit is not None:
                for variant in pending[index][1]:
                    on_submit(variant.name)

        runs = run_tasks(
            solve_task, [t for t, _ in pending], executor, processes=processes, on_submit=submitted
        )
        for finished in runs:
            task, variants = pending[finished.index]
            if finished.value is None:
                row = {"status": ERROR, "error": finished.error, "key": task["key"]}
            else:
                if cache is not None:
                    write_file(cache / f"{task['key']}.json", json.dumps(finished.value))
                row = {**finished.value, "from_cache": False, "key": task["key"]}
            for variant in variants:
                done(variant, row)

        keys = list(dict.fromkeys(k for v in self.variants for k in v.changes.given()))
        ordered = [rows[v.name] for v in self.variants]
        return pd.DataFrame(ordered, columns=table_columns(keys))

    def _row(self, variant: Variant, result: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {"variant": variant.name}
        row |= {f"change.{k}": _value_text(v) for k, v in variant.changes.given().items()}
        row |= dict.fromkeys(FIGURE_COLUMNS)
        row |= {"seed": self.settings.seed, "workers": self.settings.workers}
        row |= {"time_limit": self.settings.time_limit, "from_cache": False, "key": None}
        return row | result


def _require(base: Scenario | None) -> Scenario:
    assert base is not None  # _add refuses changes without a base
    return base


def _changes(
    given: Changes | Mapping[str, Any],
    origin: Origin,
    locate: Locator | None,
    *,
    index: int | None = None,
) -> Changes:
    """Validate changes, naming the file and field of each problem.

    ``index``: the changes are one value of a grid's list (``vary.KEY[index]``).
    """
    if isinstance(given, Changes):
        return given
    try:
        return Changes.model_validate(dict(given))
    except ValidationError as exc:
        source, at = origin
        lines, _ = error_lines(Changes, exc, source, None)
        messages = []
        for loc, line in lines:
            text = line.split(": ", 2)[-1]
            inner = loc if index is None or not loc else (loc[0], index, *loc[1:])
            full = (*at, *inner)
            where = locate(full) if locate is not None else None
            suffix = f" ({where})" if where else ""
            messages.append(f"{source}: {format_loc(full)}: {text}{suffix}")
        raise InputError(messages) from None


def _key(scenario: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """Content hash of a variant: its scenario, its settings, the genhus and OR-Tools versions."""
    payload = {
        "scenario": scenario,
        "settings": settings,
        "genhus": version("genhus"),
        "ortools": version("ortools"),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _read_cached(cache: Path | None, key: str) -> dict[str, Any] | None:
    """The cached result of ``key``, or None (missing or unreadable: solve again)."""
    if cache is None:
        return None
    try:
        data = json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_study(path: str | os.PathLike[str]) -> Study:
    """Load a study file (YAML or JSON, see :class:`~models.study.StudyFile`).

    The base scenario is read relative to the study file.

    Raises
    ------
    InputError
        Problems of the study file (``FILE: FIELD_PATH: what is wrong``) or
        of its base scenario.
    """
    p = Path(path)
    data, locate = load_yaml_or_json(p)
    spec = validate_data(StudyFile, data, str(p), locate)
    base = load_scenario(p.parent / spec.base)
    study = Study(base, spec.settings, name=spec.name, include_base=spec.include_base)
    for name, changes in spec.variants.items():
        study.add_variant(name, changes, origin=(str(p), ("variants", name)))
    for i, grid in enumerate(spec.grids):
        study.grid(
            grid.vary,
            fixed=grid.fixed,
            name=grid.name,
            origin=(str(p), ("grids", i)),
            locate=locate,
        )
    return study
