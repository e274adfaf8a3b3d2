"""Applying declared changes (:class:`models.study.Changes`) to a scenario.

Every change is expressed through scenario data (the policy, the dwellings,
the pavilion types, the stages, the households); the changed scenario is
validated again as a whole, so a change that breaks the scenario (a stage
shifted before the planning date, say) is reported like a bad input file,
naming where the change was declared.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta
from pydantic import ValidationError

from allocator.io.errors import InputError, format_loc, parse_path
from allocator.io.messages import error_lines
from models.scenario import Scenario, Source
from models.study import PAVILION_COSTS, Changes

__all__ = ["Origin", "apply_changes", "parse_vary"]

#: Where a change was declared: a file (or "--vary") and the field path in it.
Origin = tuple[str, tuple[str | int, ...]]


def apply_changes(scenario: Scenario, changes: Changes, origin: Origin) -> Scenario:
    """``scenario`` with ``changes`` applied, validated again.

    Parameters
    ----------
    scenario
        The base scenario (unchanged).
    changes
        The changes, applied in the order of the fields of
        :class:`~models.study.Changes`.
    origin
        Where the changes were declared, for error messages: the file and the
        path of the changes in it, e.g. ``("study.yaml", ("variants", "late"))``.

    Returns
    -------
    Scenario
        A new, validated scenario.

    Raises
    ------
    InputError
        A change that does not apply (an unknown stage, a source with nothing
        to drop, a path that is not a field) or a changed scenario that is
        not valid; each message names the file and the change's field.
    """
    source, at = origin
    problems: list[str] = []

    def problem(path: tuple[str | int, ...], text: str) -> None:
        problems.append(f"{source}: {format_loc(at + path)}: {text}")

    data: dict[str, Any] = scenario.model_dump(mode="json")
    policy: dict[str, Any] = data["policy"]

    for k, dropped in enumerate(changes.drop_sources):
        if dropped is Source.PAVILION:
            if not data["pavilions"]:
                problem(("drop_sources", k), "the scenario has no pavilion types")
            data["pavilions"] = []
            continue
        homes = {h["dwelling"] for h in data["households"]}
        keep = [
            d
            for d in data["dwellings"]
            if d["source"] != dropped.value or d["stage"] is not None or d["id"] in homes
        ]
        if len(keep) == len(data["dwellings"]):
            problem(("drop_sources", k), f"the scenario has no candidate dwellings of {dropped}")
        data["dwellings"] = keep
    data["dwellings"] += [d.model_dump(mode="json") for d in changes.add_dwellings]
    data["pavilions"] += [p.model_dump(mode="json") for p in changes.add_pavilions]

    if changes.pavilions == "only":
        if not any(p["max_count"] > 0 for p in data["pavilions"]):
            problem(("pavilions",), "the scenario has no pavilion modules to use")
        policy["temporary_sources"] = [Source.PAVILION.value]
    elif changes.pavilions == "none":
        policy["temporary_sources"] = [
            s for s in policy["temporary_sources"] if s != Source.PAVILION.value
        ]
    if changes.temporary_sources is not None:
        policy["temporary_sources"] = [s.value for s in changes.temporary_sources]
    if changes.pavilion_modules is not None:
        if not data["pavilions"]:
            problem(("pavilion_modules",), "the scenario has no pavilion types")
        for p in data["pavilions"]:
            p["max_count"] = changes.pavilion_modules

    stage_ids = [s["id"] for s in data["stages"]]
    for k, shift in enumerate(changes.shift_stage):
        if shift.stage != "all" and shift.stage not in stage_ids:
            problem(("shift_stage", k, "stage"), f"unknown stage {shift.stage!r}")
        by = relativedelta(months=shift.months, days=shift.days)
        for s in data["stages"]:
            if shift.stage in ("all", s["id"]):
                s["start"] = (date.fromisoformat(s["start"]) + by).isoformat()
                s["end"] = (date.fromisoformat(s["end"]) + by).isoformat()

    if changes.scale_rents is not None:
        for item in data["dwellings"] + data["after_dwellings"]:
            item["monthly_rent"] = round(item["monthly_rent"] * changes.scale_rents, 2)
    for key, factor in changes.scale_costs.items():
        if key in PAVILION_COSTS:
            for p in data["pavilions"]:
                p[PAVILION_COSTS[key]] = round(p[PAVILION_COSTS[key]] * factor, 2)
        elif key == "moving_company":
            costs = data["costs"]["moving_company"]
            data["costs"]["moving_company"] = {r: round(v * factor, 2) for r, v in costs.items()}
        else:
            data["costs"][key] = round(data["costs"][key] * factor, 2)

    if changes.agreements is not None:
        households = data["households"]
        count = round(changes.agreements.share * len(households))
        chosen = random.Random(changes.agreements.seed).sample(range(len(households)), count)
        for i in chosen:
            households[i]["agreement"] = changes.agreements.agreement.value

    for name in ("overcapacity", "clearing_days", "moves_per_day"):
        value = getattr(changes, name)
        if value is not None:
            policy[name] = value

    for path, value in changes.set.items():
        if not _set_path(data, path, value):
            problem(("set", path), f"{path!r} is not a field of the scenario")

    if problems:
        raise InputError(problems)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        where = f"{source}: {format_loc(at)}: the changed scenario"
        lines, _ = error_lines(Scenario, exc, where, None)
        raise InputError([line for _, line in lines]) from None


def _set_path(data: dict[str, Any], path: str, value: Any) -> bool:
    """Set the existing field at ``path`` (``policy.stay_rent``, ``stages[0].end``)."""
    loc = parse_path(path)
    if not loc:
        return False
    node: Any = data
    for part in loc[:-1]:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    last = loc[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not 0 <= last < len(node):
            return False
    elif not isinstance(node, dict) or last not in node:
        return False
    node[last] = value
    return True


def parse_vary(text: str) -> dict[str, Any]:
    """Changes written on a command line: ``KEY=VALUE``, a YAML mapping, or ``base``.

    ``pavilions=only``, ``overcapacity=0.3``, ``shift_stage={stage: E2,
    months: 1}`` (the value is read as YAML), ``{overcapacity: 0.3, pavilions:
    none}`` (several changes in one variant), ``base`` (no change).

    Raises
    ------
    InputError
        Text that is none of these (the changes themselves are validated
        by :class:`~models.study.Changes`).
    """
    stripped = text.strip()
    if stripped in ("base", "{}"):
        return {}
    try:
        if stripped.startswith("{"):
            parsed = yaml.safe_load(stripped)
        else:
            key, sep, value = stripped.partition("=")
            if not sep or not key.strip():
                raise ValueError("expected KEY=VALUE, a {KEY: VALUE, ...} mapping or base")
            parsed = {key.strip(): yaml.safe_load(value) if value.strip() else None}
    except (yaml.YAMLError, ValueError) as exc:
        raise InputError([f"--vary {text!r}: {exc}".splitlines()[0]]) from None
    if not isinstance(parsed, dict):
        raise InputError([f"--vary {text!r}: expected a mapping of changes"])
    return {str(k): v for k, v in parsed.items()}
