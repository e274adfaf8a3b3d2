"""Lower bounds and the MILP peer: the Lagrangian bound of portfolios, HiGHS on the same model."""
