"""Progress reports of a running search, for a caller that shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allocator.solving.result import relative_gap


@dataclass(frozen=True)
class Progress:
    """A progress report: a better plan was found (money in DKK)."""

    elapsed: float
    objective: float
    bound: float

    @property
    def gap(self) -> float:
        """The plan's relative distance from the bound (:func:`relative_gap`)."""
        return relative_gap(self.objective, self.bound)


ProgressCallback = Callable[[Progress], None]
