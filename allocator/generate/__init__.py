"""Generated scenarios: the seeded generator, its YAML files and a supply self-check.

- :mod:`allocator.generate.generator`: :func:`generate` and the size presets
  :data:`SIZES` (:class:`SizeSpec`);
- :mod:`allocator.generate.dump`: :func:`scenario_yaml` and :func:`write_example`
  (the bundled ``scenarios/example.yaml``);
- :mod:`allocator.generate.supply`: :func:`supply_check` and :func:`supply_report`,
  a per-stage count of supply against demand with a greedy witness plan.

The command line is ``genhus generate`` (:mod:`allocator.cli`), e.g.
``genhus generate --size example --seed 0 --out scenarios/example.yaml``.
"""

from allocator.generate.dump import scenario_data, scenario_yaml, write_example
from allocator.generate.generator import (
    RENT_PER_M2_YEAR,
    SIZES,
    SizeSpec,
    generate,
)
from allocator.generate.supply import StageSupply, supply_check, supply_report

__all__ = [
    "RENT_PER_M2_YEAR",
    "SIZES",
    "SizeSpec",
    "StageSupply",
    "generate",
    "scenario_data",
    "scenario_yaml",
    "supply_check",
    "supply_report",
    "write_example",
]
