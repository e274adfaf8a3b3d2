"""The CP-SAT model: the scenario as integer data, the model, and reading a solution back."""
