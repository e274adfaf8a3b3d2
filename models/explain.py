"""Explanations as data: capacity rows, an infeasibility diagnosis, marginal values.

Plain data, written in no language: :mod:`allocator.explain` computes it and
says it in words (``describe_*`` functions, Danish or English); the JSON
output carries it as is.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NeedClass(_Frozen):
    """What a class of households needs of a place (the fit rules' need key, R5-R7).

    ``rooms`` is the smallest dwelling the occupancy rule allows (R5);
    ``wheelchair`` and ``step_free`` the access it needs (R6),
    ``rooms_max`` the household's wished maximum, ``max_floor`` its highest
    floor, ``excluded`` the sources its agreement excludes.
    """

    rooms: int
    wheelchair: bool = False
    step_free: bool = False
    rooms_max: int | None = None
    max_floor: int | None = None
    excluded: tuple[str, ...] = ()


class CapacityRow(_Frozen):
    """A necessary condition of any plan: demand against the places that can meet it.

    On ``day`` the households of ``need`` (and every household that fits
    only places that also fit it: a Hall-type set) who must be away
    (``stays``), who have moved for good by then (``permanent``), and the
    spares R10 asks of the stage for those needs (``spares``) need
    ``demand`` distinct places; at most ``supply`` places fitting ``need``
    can be free then, by source (``by_source``; ``pavilion`` counts every
    module that could be rented). ``short`` is ``max(0, demand - supply)``.
    """

    stage: str
    need: NeedClass | None = Field(description="None: every household of the stage.")
    day: date
    households: int = Field(description="Households of the stage in this need class.")
    stays: int
    permanent: int
    spares: int
    demand: int
    supply: int
    by_source: dict[str, int]
    short: int


class StageCapacity(_Frozen):
    """The capacity rows of one stage: the whole stage first, then each need class."""

    stage: str
    first_out: date
    rows: list[CapacityRow]


class RelaxationKind(StrEnum):
    """A change to the scenario that lifts a cause of infeasibility."""

    ADD_PLACES = "add_places"  # `count` more places fitting `need`, free from `start`
    DELAY_STAGE = "delay_stage"  # start `stage` (and end it) `months` later
    LOWER_OVERCAPACITY = "lower_overcapacity"  # policy.overcapacity down to `value`
    MOVES_PER_DAY = "moves_per_day"  # policy.moves_per_day up to `value`
    SOFT_PERMANENT = "soft_permanent"  # policy.permanent_agreement = soft
    ALLOW_SOURCE = "allow_source"  # households drop `source` from their excluded sources
    PAVILION_LEAD = "pavilion_lead"  # pavilion type `pavilion` ready within `value` days
    ADD_WISH = "add_wish"  # `household` also wishes after-renovation dwelling `dwelling`


class Relaxation(_Frozen):
    """One change to the scenario; ``verified`` if a new diagnosis showed that it lifts its cause.

    The fields a kind does not use stay ``None``.
    """

    kind: RelaxationKind
    stage: str | None = None
    need: NeedClass | None = None
    count: int | None = None
    start: date | None = None
    months: int | None = None
    value: float | None = None
    source: str | None = None
    households: list[str] = Field(default_factory=list)
    pavilion: str | None = None
    dwelling: str | None = None
    verified: bool | None = Field(
        default=None, description="Lifts the cause (checked); None: not checked in time."
    )


class CauseKind(StrEnum):
    """Which rule group a cause of infeasibility belongs to."""

    SCHEDULE = "schedule"  # R1, R13: the households cannot all move out in time
    NO_OUTCOME = "no_outcome"  # R8, R9: a household has nowhere to go
    STAY_PLACES = "stay_places"  # R1: too few places for the stays of a class
    PERMANENT_PLACES = "permanent_places"  # R8: too few own-organisation dwellings
    SPARES = "spares"  # R10: too few spares for the overcapacity target


class Cause(_Frozen):
    """One rule group that, with the others of its diagnosis, makes a scenario infeasible.

    ``short`` places (households unhoused, or spares missing) for
    ``households`` of ``stage`` whose needs are ``need``, over
    [``start``, ``end``); ``relaxations`` are changes that lift it.
    ``message`` is the sentence of a cause found before the model was
    built (English; it comes from :mod:`allocator.rules`).
    """

    kind: CauseKind
    rule: str
    stage: str | None = None
    need: NeedClass | None = None
    households: list[str] = Field(default_factory=list)
    short: int = 0
    start: date | None = None
    end: date | None = None
    message: str | None = None
    relaxations: list[Relaxation] = Field(default_factory=list)


class Diagnosis(_Frozen):
    """Why a scenario has no plan: a small set of causes that together make it infeasible.

    ``lifted``: applying the first relaxation of every cause gave a feasible
    scenario (checked by a new elastic solve; ``None`` if not known in time).
    """

    causes: list[Cause]
    lifted: bool | None = Field(
        default=None,
        description="The first change of every cause together gave a plan (None: not known).",
    )
    runtime: float = 0.0


class MarginalValue(_Frozen):
    """What a change to the scenario is worth: ``saving`` DKK less in the plan's cost.

    ``what`` names the change (``place``, ``overcapacity_point``,
    ``delay_month``); a negative saving is a cost. ``base`` and ``changed``
    are the two measured costs (the LP relaxation's, or the solver's).
    """

    what: str
    stage: str | None = None
    need: NeedClass | None = None
    start: date | None = None
    saving: float
    base: float
    changed: float
    method: str
