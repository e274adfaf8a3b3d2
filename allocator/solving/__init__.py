"""Solving: the one entry point `solve` and the search strategies on one model."""
