"""Scenario data: what a planner knows before planning a rehousing case.

Everything here is plain, validated data. Dates are ISO dates in files and
Python ``date`` objects here; the allocator turns them into integer days
counted from ``policy.planning_date`` (see :meth:`Scenario.day`).

Validation happens once, at the boundary (when a scenario is built or
loaded); the allocator and the plan checker trust a ``Scenario``.
The rules R1 to R16 referred to below are defined in ``docs/MODEL.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from models.bounds import (
    MAX_COUNT,
    MAX_MONEY,
    MAX_MONTHS,
    MAX_ROOMS,
    Count,
    Day,
    Days,
    Id,
    Ref,
    Text,
)

#: Persons, rooms and floors: 0 or 1 up to :data:`~models.bounds.MAX_ROOMS`.
NonNegInt = Annotated[int, Field(ge=0, le=MAX_ROOMS)]
PosInt = Annotated[int, Field(ge=1, le=MAX_ROOMS)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, description="Amount in DKK.")]
Area = Annotated[float, Field(gt=0, le=100_000, description="Square metres.")]
#: A Danish postcode (four digits), or empty when not given.
Postcode = Annotated[str, Field(pattern=r"^(\d{4})?$", description="Danish postcode, four digits.")]


class Source(StrEnum):
    """Where a rehousing place comes from (R7)."""

    OWN_DEPARTMENT = "own_department"
    OWN_ORGANISATION = "own_organisation"
    PARTNER = "partner"
    PAVILION = "pavilion"


class Agreement(StrEnum):
    """The household's rehousing agreement (R8)."""

    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    UNDECIDED = "undecided"


class TieBreak(StrEnum):
    """How equal seniority dates are ordered (R9)."""

    BIRTH_DATE = "birth_date"  # the older main tenant first, then id
    HOUSEHOLD_ID = "household_id"  # plain id order


class StayRent(StrEnum):
    """What a temporary household pays for its own dwelling during its stay (R14)."""

    OWN_RENT = "own_rent"  # its own rent, less the share ``costs.rent_reduction``
    LOWER_OF_TWO = "lower_of_two"  # the lower of its own rent and the rehousing place's


class PermanentAgreement(StrEnum):
    """How binding a ``permanent`` agreement is (R8)."""

    BINDING = "binding"  # a permanent dwelling, or the scenario is infeasible
    SOFT = "soft"  # a temporary stay and return is allowed, at a penalty


def one_line_address(street: str, postcode: str, town: str) -> str:
    """``"Solhavevej 1, st. tv., 8210 Aarhus V"``: the parts given, in a letter's order."""
    return ", ".join(x for x in (street, " ".join(p for p in (postcode, town) if p)) if x)


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False
    )


class Stage(_Strict):
    """A stage (etape): dwellings renovated together during [start, end)."""

    id: Id
    name: Text = ""
    start: Day = Field(description="First day of the physical works.")
    end: Day = Field(description="Day the works are finished (exclusive).")
    department: Text | None = Field(
        default=None,
        description=(
            "The department (afdeling) renovated; its stages share one moving company "
            "(policy.moves_per_day). None: the scenario's one department."
        ),
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Dwelling(_Strict):
    """A dwelling that exists before the works.

    Department dwellings (``source == own_department``) may belong to a
    ``stage``: a household living in one is affected by that stage; a vacant
    one can house other stages before and after its own renovation.
    Other dwellings are candidate rehousing dwellings.
    """

    id: Id
    source: Source
    stage: Ref | None = Field(default=None, description="Stage renovating this dwelling.")
    address: Text = Field(default="", description="Street, number, floor and door.")
    postcode: Postcode = ""
    town: Text = ""
    rooms: PosInt
    area_m2: Area
    floor: int = Field(default=0, ge=-1, le=MAX_ROOMS, description="0 = ground floor.")
    elevator: bool = False
    wheelchair: bool = Field(default=False, description="Wheelchair accessible.")
    monthly_rent: Money
    vacant_from: Day | None = Field(
        default=None,
        description="First day the dwelling is vacant and usable; none if occupied.",
    )
    hand_back: Day | None = Field(
        default=None, description="Borrowed dwellings: last day the lender lets us use it."
    )
    municipal_referral: bool = Field(
        default=False, description="Reserved for the municipality's referral right (R15)."
    )
    municipality: Text | None = None

    @property
    def step_free(self) -> bool:
        """Reachable without stairs: ground floor, elevator or wheelchair accessible."""
        return self.floor <= 0 or self.elevator or self.wheelchair

    @property
    def full_address(self) -> str:
        """The address on one line, with postcode and town (the parts given)."""
        return one_line_address(self.address, self.postcode, self.town)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.source is Source.PAVILION:
            raise ValueError("pavilion modules are given as pavilion types, not dwellings")
        if self.stage is not None and self.source is not Source.OWN_DEPARTMENT:
            raise ValueError("only own_department dwellings can belong to a stage")
        if self.hand_back is not None and self.vacant_from is None:
            raise ValueError("hand_back is set but vacant_from is not")
        if (
            self.hand_back is not None
            and self.vacant_from is not None
            and self.hand_back <= self.vacant_from
        ):
            raise ValueError(
                f"hand_back ({self.hand_back}) must be after vacant_from ({self.vacant_from})"
            )
        return self


class Household(_Strict):
    """A household living in a dwelling of a stage."""

    id: Id
    name: Text = ""
    dwelling: Ref = Field(description="Id of the dwelling it lives in now.")
    adults: PosInt = 1
    children: NonNegInt = 0
    seniority_date: Day = Field(description="Moved into the department (R9).")
    birth_date: Day | None = Field(default=None, description="Main tenant; for tie-breaks.")
    wheelchair: bool = False
    step_free: bool = False
    max_floor: int | None = Field(default=None, ge=0, le=MAX_ROOMS)
    elderly: bool = False
    disabled: bool = False
    agreement: Agreement = Agreement.TEMPORARY
    rooms_min: PosInt | None = Field(default=None, description="Wished minimum (soft).")
    rooms_max: PosInt | None = Field(default=None, description="Wished maximum (hard, R5).")
    excluded_sources: list[Source] = Field(default_factory=list)
    preferred_sources: list[Source] = Field(default_factory=list)
    wishes: list[Ref] = Field(
        default_factory=list,
        description="After-renovation dwelling ids, most wanted first (R9).",
    )
    self_move: bool = Field(default=False, description="Moves itself against the allowance.")
    storage: bool = Field(default=False, description="Attic/basement goods stored while away.")

    @property
    def persons(self) -> int:
        """Number of persons in the household."""
        return self.adults + self.children

    @property
    def extra_help(self) -> bool:
        """Elderly or disabled households get extra moving help (R13)."""
        return self.elderly or self.disabled

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.rooms_min and self.rooms_max and self.rooms_min > self.rooms_max:
            raise ValueError(
                f"rooms_min ({self.rooms_min}) is larger than rooms_max ({self.rooms_max})"
            )
        if len(set(self.wishes)) != len(self.wishes):
            raise ValueError("wishes lists the same dwelling twice")
        if Source.PAVILION in self.preferred_sources and Source.PAVILION in self.excluded_sources:
            raise ValueError("pavilion is both preferred and excluded")
        return self


class AfterDwelling(_Strict):
    """A new, merged or changed dwelling of the department after the works (R9).

    It is ready when its stage is ready (stage end plus the ready period).
    ``replaces`` names the current dwellings that disappear into it; their
    households cannot return to them.
    """

    id: Id
    stage: Ref
    rooms: PosInt
    area_m2: Area
    floor: int = Field(default=0, ge=-1, le=MAX_ROOMS)
    elevator: bool = False
    wheelchair: bool = False
    monthly_rent: Money
    replaces: list[Ref] = Field(default_factory=list)
    address: Text = Field(default="", description="Street, number, floor and door (letters).")
    postcode: Postcode = ""
    town: Text = ""

    @property
    def step_free(self) -> bool:
        """Reachable without stairs."""
        return self.floor <= 0 or self.elevator or self.wheelchair

    @property
    def full_address(self) -> str:
        """The address on one line, with postcode and town (the parts given)."""
        return one_line_address(self.address, self.postcode, self.town)


class PavilionType(_Strict):
    """A pavilion module type that can be rented (R12)."""

    id: Id
    rooms: PosInt
    area_m2: Area = 60.0
    wheelchair: bool = False
    max_count: Count
    setup_cost: Money
    removal_cost: Money
    monthly_rent: Money
    min_months: Annotated[int, Field(ge=0, le=MAX_MONTHS)] = 0
    lead_days: Days = Field(default=90, description="From order to ready.")
    site: Text = Field(
        default="", description="Where its modules stand: the site's name, street and number."
    )
    postcode: Postcode = ""
    town: Text = ""

    @property
    def step_free(self) -> bool:
        """Pavilion modules are placed on the ground."""
        return True

    @property
    def full_address(self) -> str:
        """The site on one line, with postcode and town (the parts given)."""
        return one_line_address(self.site, self.postcode, self.town)


class Contact(_Strict):
    """Who a household calls about its rehousing (named in every letter)."""

    name: Text = Field(min_length=1, description="The rehousing contact's name.")
    phone: Text = Field(min_length=1)
    email: Text = ""
    hours: Text = Field(default="", description="When the contact answers, e.g. 'man-fre 9-12'.")


class Costs(_Strict):
    """Unit costs in DKK (the guide's budget model, R11 to R14)."""

    moving_company: dict[Annotated[int, Field(le=MAX_ROOMS)], Money] = Field(
        default_factory=lambda: {1: 6000.0, 2: 8000.0, 3: 10000.0, 4: 12000.0, 5: 14000.0},
        description="Moving company per move, by rooms of the household's dwelling.",
    )
    self_move_allowance: Money = 3000.0
    extra_help: Money = Field(default=2500.0, description="Per move, elderly or disabled.")
    transfer: Money = Field(default=1200.0, description="Phone, internet and TV, per move.")
    storage_per_month: Money = 600.0
    time_limited_deposit: Money = Field(
        default=5000.0, description="Deposit reduction offered per time-limited lease."
    )
    consultant_per_household: Money = 4000.0
    rent_reduction: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of its own rent a temporary household is let off while away.",
    )
    inspection: Money = Field(
        default=1000.0,
        description=(
            "Per inspection (syn): of each household's own dwelling when it moves out, "
            "and of a rehousing dwelling or module at each move in and out."
        ),
    )
    cleaning: Money = Field(
        default=3500.0,
        description="Cleaning and making ready (istandsættelse) of a rehousing place after a stay.",
    )

    def moving(self, rooms: int) -> float:
        """Moving company price for a dwelling with ``rooms`` rooms."""
        if not self.moving_company:
            return 0.0
        fitting = [r for r in self.moving_company if r <= rooms]
        key = max(fitting) if fitting else min(self.moving_company)
        return self.moving_company[key]

    @model_validator(mode="after")
    def _rooms_positive(self) -> Self:
        bad = [r for r in self.moving_company if r < 1]
        if bad:
            raise ValueError(f"moving_company has room counts below 1: {bad}")
        return self


class Penalties(_Strict):
    """Soft-wish penalties in DKK added to the objective (not to the budget)."""

    source_not_preferred: Money = Field(default=2000.0, description="Per household.")
    room_short: Money = Field(default=3000.0, description="Per room below the wished minimum.")
    permanent_not_met: Money = Field(
        default=50000.0,
        description=(
            "Per household with a permanent agreement that returns instead "
            "(only with policy.permanent_agreement = soft)."
        ),
    )


class Policy(_Strict):
    """How the organisation runs the case."""

    planning_date: Day = Field(description="Today: day 0 of the plan.")
    clearing_days: Days = Field(default=30, description="Out this many days before start (R1).")
    ready_days: Days = Field(default=14, description="Back this many days after end (R1).")
    turnaround_days: Days = Field(default=7, description="Between two occupants (R2).")
    notice_months: Annotated[int, Field(ge=1, le=MAX_MONTHS)] = Field(
        default=4, description="Notice lead before start (R3)."
    )
    legal_notice_months: Annotated[int, Field(ge=1, le=MAX_MONTHS)] = 3
    persons_per_room: PosInt = Field(default=2, description="Occupancy: a room per N persons (R5).")
    overcapacity: float = Field(
        default=0.2, ge=0, le=1, description="Minimum spare share of the pool per stage (R10)."
    )
    time_limited_min_days: Days = Field(
        default=90, description="Shortest time-limited lease worth offering (R11)."
    )
    same_municipality: bool = Field(
        default=True, description="Temporary dwellings only in the scenario's municipality (R7)."
    )
    tie_break: TieBreak = TieBreak.BIRTH_DATE
    accessible_priority: bool = Field(
        default=True,
        description=(
            "R9: accessible after-renovation dwellings go first to households who need them "
            "(wheelchair users, then step-free), then to others, each by seniority."
        ),
    )
    permanent_agreement: PermanentAgreement = PermanentAgreement.BINDING
    stay_rent: StayRent = Field(
        default=StayRent.OWN_RENT,
        description=(
            "R14: during a stay the tenant pays its own rent less costs.rent_reduction "
            "(own_rent), or the lower of its own rent and the rehousing place's "
            "(lower_of_two; the organisation pays the difference)."
        ),
    )
    moves_per_day: Annotated[int, Field(ge=1, le=MAX_COUNT)] = Field(
        default=8,
        description="Moves a department's moving company carries out on one working day (R13).",
    )
    offer_days: Days = Field(
        default=30,
        description=(
            "R10: spare places are held ready from this many days before a stage's first "
            "move-out day to its last."
        ),
    )
    closed_days: list[Day] = Field(
        default_factory=list,
        description="Days without moves or letters besides weekends and public holidays.",
    )
    temporary_sources: list[Source] = Field(
        default_factory=lambda: list(Source),
        description=(
            "R7: the sources a temporary stay (and a spare, R10) may use; a permanent move "
            "is not restricted by it. [pavilion]: pavilions only; without pavilion: "
            "dwellings only."
        ),
    )


def _plain(value: Any) -> Any:
    """``value`` with pydantic models turned into dicts, so that they are validated again.

    A model instance passed to ``model_validate`` is taken as it is, even if
    it was built by an unvalidated ``model_copy`` (a policy with a plain
    string where an enum belongs, say).
    """
    if isinstance(value, BaseModel):
        return value.model_dump(warnings=False)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Scenario(_Strict):
    """A whole rehousing case: the input of :func:`allocator.solve`."""

    name: Text = "scenario"
    municipality: Text | None = None
    contact: Contact | None = Field(
        default=None, description="The rehousing contact the letters name."
    )
    policy: Policy
    costs: Costs = Field(default_factory=Costs)
    penalties: Penalties = Field(default_factory=Penalties)
    stages: list[Stage] = Field(min_length=1)
    dwellings: list[Dwelling]
    households: list[Household]
    after_dwellings: list[AfterDwelling] = Field(default_factory=list)
    pavilions: list[PavilionType] = Field(default_factory=list)

    # Id look-ups, built once by model_post_init. The helpers below read them
    # through ``__pydantic_private__`` (a slot): ``self._dwellings`` would go
    # through pydantic's ``__getattr__``, some 30 times slower, and the
    # allocator looks dwellings up hundreds of thousands of times.
    _dwellings: dict[str, Dwelling] = PrivateAttr(default_factory=dict)
    _after: dict[str, AfterDwelling] = PrivateAttr(default_factory=dict)
    _households: dict[str, Household] = PrivateAttr(default_factory=dict)
    _stages: dict[str, Stage] = PrivateAttr(default_factory=dict)

    # -- helpers used by the allocator, the checker and reports ------------

    def day(self, d: date) -> int:
        """Days from the planning date to ``d``."""
        return (d - self.policy.planning_date).days

    def date_of(self, day: int) -> date:
        """Inverse of :meth:`day`."""
        return self.policy.planning_date + timedelta(days=day)

    def stage_of(self, household: Household) -> Stage:
        """The stage whose works displace ``household``."""
        private = self.__pydantic_private__
        assert private is not None
        stage_id = private["_dwellings"][household.dwelling].stage
        stage: Stage | None = private.get("_stages", {}).get(stage_id)
        if stage is None:  # a dwelling in no stage: StopIteration, as it always raised
            return next(s for s in self.stages if s.id == stage_id)
        return stage

    def dwelling(self, dwelling_id: str) -> Dwelling:
        """Look a dwelling up by id."""
        private = self.__pydantic_private__
        assert private is not None
        dwelling: Dwelling = private["_dwellings"][dwelling_id]
        return dwelling

    def after_dwelling(self, after_id: str) -> AfterDwelling:
        """Look an after-renovation dwelling up by id."""
        private = self.__pydantic_private__
        assert private is not None
        after: AfterDwelling = private["_after"][after_id]
        return after

    def household(self, household_id: str) -> Household:
        """Look a household up by id."""
        private = self.__pydantic_private__
        assert private is not None
        household: Household = private["_households"][household_id]
        return household

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, validated again like a loaded scenario.

        Plain pydantic copies skip validation and would keep stale id
        look-ups; what-if studies copy scenarios, so this one does not.
        """
        data = self.model_dump()
        data.update({key: _plain(value) for key, value in (update or {}).items()})
        return type(self).model_validate(data)

    def model_post_init(self, context: object, /) -> None:
        """Build the id look-up tables once."""
        self._dwellings = {d.id: d for d in self.dwellings}
        self._after = {a.id: a for a in self.after_dwellings}
        self._households = {h.id: h for h in self.households}
        stages: dict[str, Stage] = {}
        for s in self.stages:
            stages.setdefault(s.id, s)  # the first, as stage_of always took
        self._stages = stages

    def min_rooms(self, household: Household) -> int:
        """Smallest dwelling the occupancy rule allows (R5)."""
        return max(1, math.ceil(household.persons / self.policy.persons_per_room))

    def removed_dwellings(self) -> set[str]:
        """Current dwellings that disappear into after-renovation dwellings."""
        return {r for a in self.after_dwellings for r in a.replaces}

    @model_validator(mode="after")
    def _cross_references(self) -> Self:
        errors: list[str] = []

        def dupes(field: str, ids: list[str]) -> None:
            for value, n in Counter(ids).items():
                if n > 1:
                    first = ids.index(value)
                    errors.append(f"{field}[{first}].id: id {value!r} is used {n} times")

        dupes("stages", [s.id for s in self.stages])
        dupes("dwellings", [d.id for d in self.dwellings])
        dupes("households", [h.id for h in self.households])
        dupes("after_dwellings", [a.id for a in self.after_dwellings])
        dupes("pavilions", [p.id for p in self.pavilions])

        stage_ids = {s.id for s in self.stages}
        dwellings = {d.id: d for d in self.dwellings}
        after_ids = {a.id for a in self.after_dwellings}

        for i, d in enumerate(self.dwellings):
            if d.stage is not None and d.stage not in stage_ids:
                errors.append(f"dwellings[{i}].stage: unknown stage {d.stage!r}")

        occupied: dict[str, int] = {}
        for i, h in enumerate(self.households):
            where = f"households[{i}]"
            dw = dwellings.get(h.dwelling)
            if dw is None:
                errors.append(f"{where}.dwelling: unknown dwelling {h.dwelling!r}")
            elif dw.stage is None:
                errors.append(
                    f"{where}.dwelling: dwelling {h.dwelling!r} is in no stage, "
                    "so the household is in no stage"
                )
            elif dw.vacant_from is not None:
                errors.append(
                    f"{where}.dwelling: dwelling {h.dwelling!r} is listed as vacant "
                    f"from {dw.vacant_from} but the household lives there"
                )
            if h.dwelling in occupied:
                errors.append(
                    f"{where}.dwelling: dwelling {h.dwelling!r} is also the home of "
                    f"households[{occupied[h.dwelling]}]"
                )
            occupied.setdefault(h.dwelling, i)
            for k, w in enumerate(h.wishes):
                if w not in after_ids:
                    errors.append(f"{where}.wishes[{k}]: unknown after-renovation dwelling {w!r}")
            if h.rooms_max is not None and h.rooms_max < self.min_rooms(h):
                errors.append(
                    f"{where}.rooms_max: {h.rooms_max} rooms is below the occupancy rule's "
                    f"minimum of {self.min_rooms(h)} for {h.persons} persons"
                )
            if h.seniority_date > self.policy.planning_date:
                errors.append(
                    f"{where}.seniority_date: {h.seniority_date} is after the planning date"
                )

        replaced: dict[str, int] = {}
        for i, a in enumerate(self.after_dwellings):
            if a.stage not in stage_ids:
                errors.append(f"after_dwellings[{i}].stage: unknown stage {a.stage!r}")
            for k, r in enumerate(a.replaces):
                dw = dwellings.get(r)
                if dw is None:
                    errors.append(f"after_dwellings[{i}].replaces[{k}]: unknown dwelling {r!r}")
                elif dw.stage != a.stage:
                    errors.append(
                        f"after_dwellings[{i}].replaces[{k}]: dwelling {r!r} is renovated in "
                        f"stage {dw.stage!r}, not in stage {a.stage!r}"
                    )
                if r in replaced:
                    errors.append(
                        f"after_dwellings[{i}].replaces[{k}]: dwelling {r!r} is already "
                        f"replaced by after_dwellings[{replaced[r]}]"
                    )
                replaced.setdefault(r, i)

        for i, s in enumerate(self.stages):
            if s.start <= self.policy.planning_date:
                errors.append(
                    f"stages[{i}].start: {s.start} is not after the planning date "
                    f"{self.policy.planning_date}"
                )

        if errors:
            raise ValueError("\n".join(errors))
        return self
