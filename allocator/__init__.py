"""genhus allocator: the CP-SAT model, solve, pricing, plan checker and CLI.

The one entry point is :func:`solve`; :func:`check_plan` verifies any plan
against its scenario without CP-SAT. :func:`load_scenario` reads a scenario
file; :class:`Study` and :func:`compare` run what-if studies (docs/STUDIES.md).
"""

from allocator.io.load import load_scenario
from allocator.plan.check import CheckReport, Violation, check_plan
from allocator.plan.pricing import Pricing, build_plan, price_plan
from allocator.solving.entry import solve
from allocator.solving.settings import Strategy
from allocator.study import Study, compare

__all__ = [
    "CheckReport",
    "Pricing",
    "Strategy",
    "Study",
    "Violation",
    "build_plan",
    "check_plan",
    "compare",
    "load_scenario",
    "price_plan",
    "solve",
]
