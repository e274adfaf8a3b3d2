"""genhus allocator: the CP-SAT model, solve, pricing, plan checker and CLI.

The one entry point is :func:`solve`; :func:`check_plan` verifies any plan
against its scenario without CP-SAT.
"""

from allocator.plan.check import CheckReport, Violation, check_plan
from allocator.plan.pricing import Pricing, build_plan, price_plan
from allocator.solving.entry import solve
from allocator.solving.settings import Strategy

__all__ = [
    "CheckReport",
    "Pricing",
    "Strategy",
    "Violation",
    "build_plan",
    "check_plan",
    "price_plan",
    "solve",
]
