"""What-if studies as data: changes to a scenario, solver settings, study files.

A :class:`Changes` is one variation of a scenario, declared rather than
scripted (``{pavilions: only}``, ``{overcapacity: 0.3}``, ``{shift_stage:
{stage: E2, months: 1}}``). A :class:`StudyFile` is a base scenario plus named
variants and grids of changes. Both are validated like a scenario, so that a
bad study file is reported as ``FILE: FIELD_PATH: what is wrong``; how a
change is applied is :func:`allocator.study.changes.apply_changes`, described
in ``docs/STUDIES.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.bounds import Text
from models.scenario import Agreement, Costs, Dwelling, PavilionType, Source

__all__ = [
    "PAVILION_COSTS",
    "AgreementShare",
    "Changes",
    "Grid",
    "SolveSettings",
    "StageShift",
    "StudyFile",
]

PosFloat = Annotated[float, Field(gt=0)]

#: Keys of ``scale_costs`` that scale a price of every pavilion type.
PAVILION_COSTS = {
    "pavilion_setup": "setup_cost",
    "pavilion_rent": "monthly_rent",
    "pavilion_removal": "removal_cost",
}
#: Keys of ``scale_costs`` that scale a unit cost (``costs.<key>``); a share is not a price.
_COST_KEYS = tuple(k for k in Costs.model_fields if k != "rent_reduction")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageShift(_Strict):
    """Move a stage's works (start and end) by a number of months and days."""

    stage: Text = Field(min_length=1, description="Id of the stage, or 'all' for every stage.")
    months: int = 0
    days: int = 0


class AgreementShare(_Strict):
    """Give a seeded random share of the households one agreement (R8)."""

    share: float = Field(ge=0, le=1, description="Share of all households, e.g. 0.25.")
    agreement: Agreement
    seed: int = Field(default=0, ge=0, description="Which households: same seed, same ones.")


class Changes(_Strict):
    """One variation of a scenario: every field left out keeps the scenario's value.

    They are applied in the order of the fields below (see ``docs/STUDIES.md``);
    the changed scenario is validated again as a whole.
    """

    drop_sources: list[Source] = Field(
        default_factory=list,
        description="Remove every candidate dwelling of these sources (pavilion: every type).",
    )
    add_dwellings: list[Dwelling] = Field(
        default_factory=list, description="Candidate dwellings to add (a partner's offer)."
    )
    add_pavilions: list[PavilionType] = Field(
        default_factory=list, description="Pavilion types to add."
    )
    pavilions: Literal["only", "none"] | None = Field(
        default=None,
        description=(
            "Temporary stays in pavilions only, or in dwellings only "
            "(policy.temporary_sources); moves for good are not affected."
        ),
    )
    temporary_sources: list[Source] | None = Field(
        default=None, description="The sources temporary stays may use (policy.temporary_sources)."
    )
    pavilion_modules: int | None = Field(
        default=None, ge=0, description="At most this many modules of each pavilion type."
    )
    shift_stage: list[StageShift] = Field(
        default_factory=list, description="Move stages' works by months and days."
    )
    scale_rents: PosFloat | None = Field(
        default=None,
        description="Multiply the monthly rent of every dwelling and after-renovation dwelling.",
    )
    scale_costs: dict[str, PosFloat] = Field(
        default_factory=dict,
        description=(
            "Multiply a unit cost: a field of costs (moving_company scales every price), "
            "or pavilion_setup, pavilion_rent, pavilion_removal."
        ),
    )
    agreements: AgreementShare | None = None
    overcapacity: float | None = Field(
        default=None, ge=0, le=1, description="policy.overcapacity, e.g. 0.3 for 30 %."
    )
    clearing_days: int | None = Field(default=None, ge=0, description="policy.clearing_days.")
    moves_per_day: int | None = Field(default=None, ge=1, description="policy.moves_per_day.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Any field by its path, e.g. {policy.stay_rent: lower_of_two}.",
    )

    @field_validator("shift_stage", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value

    @field_validator("scale_costs")
    @classmethod
    def _known_costs(cls, value: dict[str, float]) -> dict[str, float]:
        known = (*_COST_KEYS, *PAVILION_COSTS)
        unknown = [k for k in value if k not in known]
        if unknown:
            raise ValueError(f"unknown cost {unknown[0]!r} (expected one of {', '.join(known)})")
        return value

    @model_validator(mode="after")
    def _one_way_to_say_sources(self) -> Self:
        if self.pavilions is not None and self.temporary_sources is not None:
            raise ValueError("give pavilions or temporary_sources, not both")
        return self

    def given(self) -> dict[str, Any]:
        """The changes actually given, as plain data (JSON-compatible)."""
        return self.model_dump(mode="json", exclude_defaults=True)


class SolveSettings(_Strict):
    """How each variant is solved (the arguments of :func:`allocator.solve`)."""

    time_limit: float = Field(default=60.0, gt=0, description="Seconds per variant.")
    workers: int = Field(
        default=1,
        ge=1,
        description="CP-SAT workers per variant (1: the same plan as a sequential run).",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    gap: float = Field(default=0.001, ge=0, description="Relative gap at which to stop.")
    strategy: Literal["lp-guided", "cp-sat"] = "lp-guided"


class Grid(_Strict):
    """Every combination of some changes' values (their product)."""

    name: Text = Field(default="", description="Prefix of the variants' names.")
    fixed: dict[str, Any] = Field(
        default_factory=dict, description="Changes every variant of the grid has."
    )
    vary: dict[str, list[Any]] = Field(
        min_length=1, description="A change and the values it takes, e.g. {overcapacity: [0.2]}."
    )

    @field_validator("vary")
    @classmethod
    def _values(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in value.items():
            if key not in Changes.model_fields:
                raise ValueError(f"unknown change {key!r}")
            if not values:
                raise ValueError(f"{key}: no values")
        return value


class StudyFile(_Strict):
    """A study file: a base scenario, solver settings, named variants and grids."""

    name: Text = "study"
    base: Text = Field(min_length=1, description="Scenario file, relative to the study file.")
    settings: SolveSettings = Field(default_factory=SolveSettings)
    include_base: bool = Field(default=True, description="Solve the base scenario as 'base'.")
    variants: dict[str, Changes] = Field(default_factory=dict)
    grids: list[Grid] = Field(default_factory=list)
