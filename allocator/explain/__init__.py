"""Why: capacity analysis, infeasibility diagnosis, explanations and marginal values.

- :mod:`~allocator.explain.capacity`: necessary conditions any plan meets, per
  stage and need class, before solving (no solver);
- :mod:`~allocator.explain.diagnose`: a small set of rule groups that makes a
  scenario infeasible, and the changes that lift it;
- :mod:`~allocator.explain.household`: why a household got what it got (no solver);
- :mod:`~allocator.explain.marginal`: what one more place, a point of the
  overcapacity target and a month of delay are worth (re-solves).

The modules sit at different layers (tests/test_architecture.py); import
them by their full names.
"""
