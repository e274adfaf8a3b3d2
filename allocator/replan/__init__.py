"""Replanning after changes (keeping the past and the promises made) and the stress test.

- :mod:`~allocator.replan.changes`: a changes file applied to a scenario;
- :mod:`~allocator.replan.promises`: what a plan has done and promised by a date (no solver);
- :mod:`~allocator.replan.replan`: :func:`replan`, the model with promises;
- :mod:`~allocator.replan.diff`: old against new plan, letters, cost (no solver);
- :mod:`~allocator.replan.stress`: Monte Carlo over changes, each repaired by the replanner.
"""
