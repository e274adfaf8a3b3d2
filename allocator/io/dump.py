"""Writing scenarios and results: YAML that reads back unchanged, indented JSON."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from datetime import date

import yaml

from allocator.io.write import write_file
from allocator.io.yaml_source import RESOLVERS
from models.plan import Result
from models.scenario import Scenario

__all__ = ["dump_scenario", "result_to_json", "scenario_to_yaml"]


def _plain(value: object) -> object:
    """Model dump values as YAML-friendly plain data (ISO dates, enum values)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Safe YAML dumper that writes ISO dates without quotes."""


_Dumper.yaml_implicit_resolvers = RESOLVERS


def scenario_to_yaml(scenario: Scenario, *, full: bool = False) -> str:
    """Render a scenario as YAML that :mod:`allocator.io.load` reads back unchanged.

    Parameters
    ----------
    scenario
        The scenario.
    full
        Also write fields that have their default value.

    Returns
    -------
    str
        The YAML text.
    """
    data = _plain(scenario.model_dump(exclude_defaults=not full))
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return f"# genhus scenario {scenario.name!r}; fields: `genhus schema`\n{body}"


def dump_scenario(scenario: Scenario, path: str | os.PathLike[str], *, full: bool = False) -> None:
    """Write a scenario as YAML, atomically.

    Parameters
    ----------
    scenario
        The scenario.
    path
        Target file (its directory must exist).
    full
        Also write fields that have their default value.
    """
    write_file(path, scenario_to_yaml(scenario, full=full))


def result_to_json(result: Result) -> str:
    """The result (status, figures, solver info and plan) as indented JSON."""
    return result.model_dump_json(indent=2) + "\n"
