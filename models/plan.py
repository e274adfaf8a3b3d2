"""Plan and result data: what the allocator returns and the checker reads.

A plan is written so that a planner can act on it and so that the plan
checker can verify it without knowing how it was found: per household where
it goes and when, and per rehousing place (dwelling or pavilion module) its
whole timeline. Money is in DKK with two decimals.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.bounds import Day
from models.explain import Diagnosis, MarginalValue
from models.scenario import Source


class Mode(StrEnum):
    """What happens to a household (R8)."""

    TEMPORARY = "temporary"  # stays in a rehousing place, then comes back
    DIRECT = "direct"  # moves straight into its after-renovation dwelling
    PERMANENT = "permanent"  # moves for good to a dwelling outside the department


class SegmentKind(StrEnum):
    """What a rehousing place is used for during a segment of its timeline."""

    HELD_EMPTY = "held_empty"  # withheld and empty: rent loss (R11, R14)
    TIME_LIMITED = "time_limited"  # let on a time-limited lease: no rent loss (R11)
    OCCUPIED = "occupied"  # a displaced household lives here: rent loss (R14)
    SPARE = "spare"  # held ready as overcapacity over a stage's offer period (R10): rent loss
    PERMANENT = "permanent"  # let for good to a permanent mover from ``start``


class CostCategory(StrEnum):
    """The guide's budget categories."""

    RENT_LOSS_EMPTY = "rent_loss_empty"
    RENT_LOSS_OCCUPIED = "rent_loss_occupied"
    RENT_LOSS_VACATED = "rent_loss_vacated"
    RENT_LOSS_SPARE = "rent_loss_spare"
    RENT_REDUCTION = "rent_reduction"
    PAVILION_SETUP = "pavilion_setup"
    PAVILION_RENT = "pavilion_rent"
    PAVILION_REMOVAL = "pavilion_removal"
    MOVING = "moving"
    EXTRA_HELP = "extra_help"
    TRANSFERS = "transfers"
    STORAGE = "storage"
    TIME_LIMITED_DEPOSITS = "time_limited_deposits"
    CLEANING_INSPECTION = "cleaning_inspection"
    CONSULTANT = "consultant"


RENT_LOSS_CATEGORIES = (
    CostCategory.RENT_LOSS_EMPTY,
    CostCategory.RENT_LOSS_OCCUPIED,
    CostCategory.RENT_LOSS_VACATED,
    CostCategory.RENT_LOSS_SPARE,
)

PAVILION_CATEGORIES = (
    CostCategory.PAVILION_SETUP,
    CostCategory.PAVILION_RENT,
    CostCategory.PAVILION_REMOVAL,
)


class Access(StrEnum):
    """The accessibility a household needs (R6), from most to least demanding."""

    WHEELCHAIR = "wheelchair"
    STEP_FREE = "step_free"
    NONE = "none"


class NeedGroup(BaseModel):
    """A group of displaced households with like needs (R10's proportional rule).

    ``rooms`` is the smallest dwelling the occupancy rule allows (R5).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rooms: int = Field(ge=1)
    access: Access

    def __str__(self) -> str:
        return f"{self.rooms} rooms, {self.access.value.replace('_', '-')}"


class _Frozen(BaseModel):
    # Dates within the horizon of models.bounds; no NaN or infinite amounts.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class HouseholdPlan(_Frozen):
    """Where one household goes and when."""

    household: str
    stage: str
    mode: Mode
    notice_date: Day = Field(description="Latest date for the formal notice (R3).")
    move_out: Day = Field(description="Day it leaves its current dwelling (R1).")
    place: str | None = Field(default=None, description="Temporary dwelling or pavilion module.")
    place_source: Source | None = None
    return_date: Day | None = Field(
        default=None, description="Day it leaves the temporary place (R1)."
    )
    return_letter_date: Day | None = Field(
        default=None, description="Latest date for the return letter (R4)."
    )
    after_dwelling: str | None = Field(
        default=None, description="After-renovation dwelling won by seniority (R9)."
    )
    permanent_dwelling: str | None = None


class Segment(_Frozen):
    """A stretch [start, end) of a place's timeline."""

    kind: SegmentKind
    start: Day
    end: Day
    household: str | None = None
    stage: str | None = None
    need: NeedGroup | None = Field(
        default=None, description="Spares: the need group the spare is held for (R10)."
    )


class PlaceTimeline(_Frozen):
    """The timeline of one rehousing dwelling or pavilion module.

    ``collected_from`` is the start of the availability interval in which
    the place is used; the plan charges it from then to its last use.
    """

    place: str
    source: Source
    pavilion_type: str | None = None
    collected_from: Day
    released: Day = Field(description="Day the plan stops using the place.")
    segments: list[Segment]


class StageCost(_Frozen):
    """Cost of one stage (or the total) by budget category, in DKK."""

    stage: str
    by_category: dict[CostCategory, float]
    total: float


class StageKpi(_Frozen):
    """Per-stage key figures."""

    stage: str
    households: int
    displaced: int = Field(description="Households with a temporary stay.")
    spares: int = Field(description="Places held ready over the offer period (R10).")
    pool: int = Field(description="Places collected for the stage: displaced plus spares (R10).")
    overcapacity: float | None = Field(description="pool / displaced - 1; none if none displaced.")
    notice_date: Day
    notice_in_past: bool


class Kpis(_Frozen):
    """Key figures of a plan."""

    rent_loss: float = Field(description="DKK, all rent-loss categories.")
    vacancy_days: int = Field(description="Days rehousing dwellings stood empty (held empty).")
    occupied_days: int = Field(description="Days rehousing dwellings housed displaced households.")
    withheld_days: int = Field(
        description=(
            "Dwelling-days withheld from the waiting list (R16): empty, occupied and spare."
        )
    )
    time_limited_days: int
    spare_days: int = Field(description="Days rehousing dwellings were held ready as spares (R10).")
    moves: int
    households_by_mode: dict[str, int]
    households_by_source: dict[str, int]
    pavilion_modules: int
    stages: list[StageKpi]


class Plan(_Frozen):
    """A complete rehousing plan for a scenario."""

    households: list[HouseholdPlan]
    places: list[PlaceTimeline]
    costs: list[StageCost] = Field(description="Per stage, then 'total'.")
    penalties: float = Field(description="Soft-wish penalties in DKK (objective, not budget).")
    kpis: Kpis


class Status(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    NO_SOLUTION_IN_TIME = "NO_SOLUTION_IN_TIME"
    MODEL_INVALID = "MODEL_INVALID"


class SolverInfo(_Frozen):
    """How the result was obtained (for reproducibility)."""

    ortools_version: str
    highs_version: str | None = Field(default=None, description="LP relaxation (lp-guided).")
    strategy: str = "lp-guided"
    seed: int
    num_workers: int
    time_limit: float
    parameters: dict[str, str] = Field(default_factory=dict)
    variables: int = 0
    constraints: int = 0
    build_seconds: float = 0.0


class Result(_Frozen):
    """What :func:`allocator.solve` returns; it never raises for a bad outcome."""

    scenario: str
    status: Status
    objective: float | None = Field(description="DKK: budget cost plus penalties.")
    bound: float | None = Field(description="Best proven lower bound on the objective, DKK.")
    gap: float | None = Field(description="(objective - bound) / objective.")
    runtime: float = Field(description="Wall seconds of the CP-SAT search.")
    plan: Plan | None
    warnings: list[str] = Field(default_factory=list)
    solver: SolverInfo
    diagnosis: Diagnosis | None = Field(
        default=None, description="Why the scenario is infeasible, if it is."
    )
    marginal: list[MarginalValue] = Field(
        default_factory=list,
        description="What one more place, a point of overcapacity, a month of delay are worth.",
    )

    @property
    def found(self) -> bool:
        """True when the result carries a plan."""
        return self.plan is not None
