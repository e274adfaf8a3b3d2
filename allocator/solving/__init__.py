"""Solving: the entry point `solve` (entry), one model's search (single) and the `Result` (result).

This file imports nothing: :mod:`allocator.heuristics.portfolio` imports
:mod:`allocator.solving.single`, and :mod:`allocator.solving.entry` imports
the portfolio, so importing the entry point here would close a cycle.
"""
