"""Plans without a proof: the greedy spreadsheet planner and the portfolio decomposition."""
