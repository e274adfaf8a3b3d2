"""Replanning data: the changes to a planned case, and the stress test's distributions.

A *changes file* lists what happened since a plan was made (a stage that
slips, a dwelling that falls through, a household that changes its mind or
its size, a new vacancy, a partner that withdraws, a pavilion delivered
late). It is validated like a scenario: plain data here, cross-references
to the scenario (do the stage and dwelling ids exist?) by
:func:`allocator.replan.changes.apply_changes`, each problem naming its field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.scenario import Agreement, Dwelling


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StageDelay(_Strict):
    """A stage slips (``days`` > 0) or is brought forward (``days`` < 0)."""

    kind: Literal["stage_delay"]
    stage: str = Field(min_length=1)
    days: int = Field(description="Days later (negative: earlier).")
    end_only: bool = Field(
        default=False,
        description="Only the works' end moves (a stage whose households have moved out).",
    )

    @model_validator(mode="after")
    def _moves(self) -> StageDelay:
        if self.days == 0:
            raise ValueError("days is 0: the stage does not move")
        return self


class DwellingUnavailable(_Strict):
    """A dwelling cannot be used from ``from`` on (it falls through)."""

    kind: Literal["dwelling_unavailable"]
    dwelling: str = Field(min_length=1)
    from_: date = Field(alias="from", description="First day it cannot be used.")


class VacancyLate(_Strict):
    """A vacancy opens ``days`` later than its ``vacant_from``."""

    kind: Literal["vacancy_late"]
    dwelling: str = Field(min_length=1)
    days: int = Field(ge=1)


class HouseholdChange(_Strict):
    """A household changes its agreement or its size."""

    kind: Literal["household"]
    household: str = Field(min_length=1)
    agreement: Agreement | None = None
    adults: Annotated[int, Field(ge=1)] | None = None
    children: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _something(self) -> HouseholdChange:
        if self.agreement is None and self.adults is None and self.children is None:
            raise ValueError("nothing changes: give agreement, adults or children")
        return self


class NewVacancy(_Strict):
    """A dwelling that has become available for rehousing."""

    kind: Literal["new_vacancy"]
    dwelling: Dwelling

    @model_validator(mode="after")
    def _vacant(self) -> NewVacancy:
        if self.dwelling.vacant_from is None:
            raise ValueError("dwelling.vacant_from is required for a new vacancy")
        return self


class PartnerWithdrawal(_Strict):
    """A partner takes its dwellings back from ``from`` on (all, or those listed)."""

    kind: Literal["partner_withdrawal"]
    from_: date = Field(alias="from", description="First day they cannot be used.")
    dwellings: list[str] = Field(
        default_factory=list, description="Partner dwellings withdrawn; empty: all of them."
    )


class PavilionLate(_Strict):
    """Pavilion modules of a type are delivered ``days`` later than their lead time."""

    kind: Literal["pavilion_late"]
    pavilion: str = Field(min_length=1)
    days: int = Field(ge=1)


Change = Annotated[
    StageDelay
    | DwellingUnavailable
    | VacancyLate
    | HouseholdChange
    | NewVacancy
    | PartnerWithdrawal
    | PavilionLate,
    Field(discriminator="kind"),
]


class Changes(_Strict):
    """What happened since the plan was made (the ``--changes`` file)."""

    changes: list[Change] = Field(min_length=1)


class Chance(_Strict):
    """An event that happens with ``probability``, by up to ``max_days`` days."""

    probability: float = Field(ge=0, le=1)
    max_days: Annotated[int, Field(ge=1)] = 60


class StressConfig(_Strict):
    """The distributions of the stress test (``genhus stress --config``).

    Every event is drawn independently per run with NumPy's seeded generator.
    """

    stage_delay: Chance = Field(
        default=Chance(probability=0.25, max_days=60),
        description="Per stage not yet moving out: a delay of 1..max_days days.",
    )
    vacancy_late: Chance = Field(
        default=Chance(probability=0.1, max_days=60),
        description="Per vacancy not yet open: it opens 1..max_days days later.",
    )
    vacancy_cancelled: Chance = Field(
        default=Chance(probability=0.03),
        description="Per vacancy not yet open: it never becomes available.",
    )
    refused_offer: Chance = Field(
        default=Chance(probability=0.03),
        description=(
            "Per household without a letter yet, the first to stay in its temporary place: it "
            "refuses the place, which is let to someone else (unavailable from its move-out)."
        ),
    )
    agreement_change: Chance = Field(
        default=Chance(probability=0.02),
        description=(
            "Per household without a letter yet: temporary -> undecided (would move for good "
            "if a dwelling can be found), permanent -> temporary (wants to come back)."
        ),
    )
    as_of_days: Annotated[int, Field(ge=0)] = Field(
        default=1,
        description="The events are learnt this many days after the plan's first notice date.",
    )
    release_spares: bool = Field(
        default=True,
        description=(
            "Repairs may use the spares held (the overcapacity rule, R10, is dropped from the "
            "as-of date): every trouble of a run is known then, and spares are held for them."
        ),
    )
    unhoused_cost: float = Field(
        default=250_000.0,
        ge=0,
        description=(
            "DKK charged to a run that no plan can repair (a household without a place): "
            "emergency housing, in the expected total cost of --overcapacity."
        ),
    )


class Letter(_Strict):
    """A letter a replanned household must be sent."""

    household: str
    kind: Literal["notice", "return"]
    due: date = Field(description="Latest day to send it (R3, R4), on a working day.")
    legal_latest: date | None = Field(
        default=None,
        description="Notices: the last day that still meets the legal notice period.",
    )
    correction: bool = Field(description="The household already has a letter this one replaces.")
    overdue: bool = Field(description="``due`` is before the as-of date: send it at once.")
    legal_met: bool = Field(description="Sent on the as-of date, it meets the legal notice period.")


class HouseholdDiff(_Strict):
    """How the replan changes one household's plan (field -> [old, new])."""

    household: str
    stage: str
    changes: dict[str, tuple[str | None, str | None]]
    promised: bool = Field(description="It had its notice letter before the as-of date.")
    broken: list[str] = Field(default_factory=list, description="Promises broken.")


class CategoryChange(_Strict):
    """The total cost of one budget category before and after, DKK."""

    category: str
    old: float
    new: float
    delta: float


class SignedLease(_Strict):
    """A time-limited lease of ``place`` over [start, end) signed before the as-of date."""

    place: str
    start: date
    end: date


class ReplanDiff(_Strict):
    """Old against new plan: who is affected and how, letters to send, cost change."""

    as_of: date
    households: list[HouseholdDiff]
    letters: list[Letter]
    costs: list[CategoryChange]
    old_total: float
    new_total: float
    promises: int = Field(description="Promises made before the as-of date.")
    broken: int = Field(description="Promises the new plan breaks.")
    leases: list[SignedLease] = Field(
        default_factory=list, description="Signed time-limited leases the new plan cuts short."
    )


class StressSummary(_Strict):
    """The figures of a set of stress runs (money in DKK)."""

    runs: int
    unhoused: int = Field(description="Runs no plan could repair: a household without a place.")
    rejected: int = Field(description="Runs whose drawn changes would move the past.")
    no_plan_in_time: int
    expected_extra: float = Field(description="Mean extra cost of the runs repaired or unchanged.")
    p90_extra: float
    broken_mean: float
    broken_max: int
    leases_mean: float
    checks_failed: int

    @property
    def unhoused_share(self) -> float:
        """Share of runs in which a household would be without a place."""
        return self.unhoused / self.runs if self.runs else 0.0


class CurvePoint(_Strict):
    """One overcapacity share: the plan's cost, its stress figures, the expected total."""

    overcapacity: float
    status: str
    plan_cost: float | None = None
    summary: StressSummary | None = None
    expected_total: float | None = None
    rows: list[dict[str, Any]] = Field(default_factory=list, description="The runs.")
