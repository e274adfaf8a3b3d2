"""Pricing a plan: budget costs by stage and category, soft penalties and KPIs.

Everything is recomputed from the plan itself (its household plans and place
timelines) with the integer prices of :mod:`allocator.rules`, exactly as
``docs/MODEL.md`` describes, so that the solver's objective and this
recomputation agree to the øre. The CP-SAT model is not used here: the plan
checker (:mod:`allocator.plan.check`) relies on this module to price any plan.

Dates the plan states (move-out, return, segment bounds, a timeline's
``collected_from`` and ``released``) are taken from the plan; dates the plan
does not state (a stage's return day ``back(s)``, an after-renovation
dwelling's ready day) come from the rules. The checker verifies that the
plan's dates are the ones the rules demand, so for a valid plan both agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from allocator import rules
from models.plan import (
    RENT_LOSS_CATEGORIES,
    CostCategory,
    HouseholdPlan,
    Kpis,
    Mode,
    PlaceTimeline,
    Plan,
    Segment,
    SegmentKind,
    StageCost,
    StageKpi,
)
from models.scenario import AfterDwelling, Dwelling, Household, PavilionType, Scenario, Source

#: Name of the last entry of :attr:`Pricing.costs`.
TOTAL = "total"

#: Keys of ``Kpis.households_by_source``: temporary places by source, then the other modes.
SOURCE_KEYS = (*(s.value for s in Source), Mode.DIRECT.value, Mode.PERMANENT.value)

#: Segment kinds that are a use of a place (they end a gap and name a stage).
USES = (SegmentKind.OCCUPIED, SegmentKind.SPARE, SegmentKind.PERMANENT)


class UnpriceablePlan(ValueError):
    """The plan names something the scenario does not know, so it cannot be priced.

    The plan checker reports the underlying fault as a violation.
    """


@dataclass(frozen=True)
class Pricing:
    """The price of a plan.

    Attributes
    ----------
    costs
        One :class:`~models.plan.StageCost` per stage in scenario order, then
        one with ``stage == "total"``. ``by_category`` has every
        :class:`~models.plan.CostCategory`; amounts are DKK (øre / 100).
    penalties
        Soft-wish penalties in DKK (part of the objective, not the budget).
    kpis
        Key figures of the plan.
    total_ore
        Budget cost in øre (sum over stages and categories).
    penalties_ore
        Soft-wish penalties in øre.

    """

    costs: list[StageCost]
    penalties: float
    kpis: Kpis
    total_ore: int
    penalties_ore: int

    @property
    def objective_ore(self) -> int:
        """What the solver minimises: budget cost plus penalties, in øre."""
        return self.total_ore + self.penalties_ore


class _Ledger:
    """Øre per stage and budget category; refuses stages the scenario lacks."""

    def __init__(self, scenario: Scenario) -> None:
        self.stage_ids = [s.id for s in scenario.stages]
        self.ore: dict[str, Counter[CostCategory]] = {s: Counter() for s in self.stage_ids}

    def add(self, stage: str | None, category: CostCategory, amount: int) -> None:
        if stage not in self.ore:
            raise UnpriceablePlan(f"{category.value} is charged to unknown stage {stage!r}")
        self.ore[stage][category] += amount

    def total(self, category: CostCategory) -> int:
        return sum(per_stage[category] for per_stage in self.ore.values())

    def stage_costs(self) -> list[StageCost]:
        rows = [(s, self.ore[s]) for s in self.stage_ids]
        rows.append((TOTAL, sum(self.ore.values(), Counter())))
        return [
            StageCost(
                stage=stage,
                by_category={c: amounts[c] / 100 for c in CostCategory},
                total=sum(amounts[c] for c in CostCategory) / 100,
            )
            for stage, amounts in rows
        ]


# -- look-ups that fail with a readable message --------------------------------


def _household(scenario: Scenario, household_id: str) -> Household:
    try:
        return scenario.household(household_id)
    except KeyError:
        raise UnpriceablePlan(f"unknown household {household_id!r}") from None


def _dwelling(scenario: Scenario, dwelling_id: str) -> Dwelling:
    try:
        return scenario.dwelling(dwelling_id)
    except KeyError:
        raise UnpriceablePlan(f"unknown dwelling {dwelling_id!r}") from None


def _after(scenario: Scenario, after_id: str) -> AfterDwelling:
    try:
        return scenario.after_dwelling(after_id)
    except KeyError:
        raise UnpriceablePlan(f"unknown after-renovation dwelling {after_id!r}") from None


def _pavilion_type(scenario: Scenario, type_id: str) -> PavilionType:
    for p in scenario.pavilions:
        if p.id == type_id:
            return p
    raise UnpriceablePlan(f"unknown pavilion type {type_id!r}")


def pavilion_modules(
    scenario: Scenario, places: Sequence[PlaceTimeline]
) -> dict[str, PavilionType]:
    """The pavilion modules of a plan: module id (timeline ``place``) to its type.

    Raises
    ------
    UnpriceablePlan
        If a module names a pavilion type the scenario does not have.

    """
    return {
        t.place: _pavilion_type(scenario, t.pavilion_type)
        for t in places
        if t.pavilion_type is not None
    }


def resolve_place(
    scenario: Scenario, place_id: str, modules: dict[str, PavilionType]
) -> rules.Place:
    """The dwelling or pavilion type behind a household's ``place``.

    A temporary place is either a dwelling id of the scenario or the id of a
    pavilion module, i.e. the ``place`` of a pavilion timeline of the plan.

    Raises
    ------
    UnpriceablePlan
        If ``place_id`` is neither.

    """
    if place_id in modules:
        return modules[place_id]
    return _dwelling(scenario, place_id)


# -- places --------------------------------------------------------------------


def _days(scenario: Scenario, segment: Segment) -> int:
    return scenario.day(segment.end) - scenario.day(segment.start)


def _gap_stage(segments: Sequence[Segment], index: int) -> str | None:
    """Stage a gap segment is charged to: that of the next use on the timeline.

    A trailing gap (which a valid plan does not have) goes to the previous use.
    """
    later = [s for s in segments[index + 1 :] if s.kind in USES]
    earlier = [s for s in segments[:index] if s.kind in USES]
    use = later[0] if later else (earlier[-1] if earlier else None)
    return use.stage if use is not None else None


def _price_dwelling_timeline(scenario: Scenario, timeline: PlaceTimeline, ledger: _Ledger) -> None:
    daily = rules.daily_ore(_dwelling(scenario, timeline.place).monthly_rent)
    deposit = rules.deposit_ore(scenario)
    for i, seg in enumerate(timeline.segments):
        if seg.kind is SegmentKind.HELD_EMPTY:
            ledger.add(
                _gap_stage(timeline.segments, i),
                CostCategory.RENT_LOSS_EMPTY,
                daily * _days(scenario, seg),
            )
        elif seg.kind is SegmentKind.TIME_LIMITED:
            ledger.add(
                _gap_stage(timeline.segments, i), CostCategory.TIME_LIMITED_DEPOSITS, deposit
            )
        elif seg.kind is SegmentKind.OCCUPIED:
            ledger.add(seg.stage, CostCategory.RENT_LOSS_OCCUPIED, daily * _days(scenario, seg))
        elif seg.kind is SegmentKind.SPARE:  # held ready over the offer period (R10)
            ledger.add(seg.stage, CostCategory.RENT_LOSS_SPARE, daily * _days(scenario, seg))
        # a permanent letting is a zero-length mark: the new lease pays rent


def _price_pavilion_timeline(
    scenario: Scenario, timeline: PlaceTimeline, ptype: PavilionType, ledger: _Ledger
) -> None:
    """Set-up, rent and removal of a module, shared by its stages by the days each used it."""
    if not timeline.segments:
        raise UnpriceablePlan(f"pavilion module {timeline.place!r} has no stays")
    rental_days = scenario.day(timeline.released) - scenario.day(timeline.collected_from)
    used: Counter[str | None] = Counter()
    for seg in timeline.segments:
        used[seg.stage] += max(1, _days(scenario, seg))
    for category, amount in rules.pavilion_rental_ore(ptype, rental_days).items():
        for stage, share in _shares(amount, used).items():
            ledger.add(stage, category, share)


def _shares(amount: int, weights: Counter[str | None]) -> dict[str | None, int]:
    """``amount`` øre split in proportion to ``weights``, whole øre that add up exactly.

    Largest remainders get the øre left over; ties go to the first key.
    """
    total = sum(weights.values())
    exact = {key: amount * w / total for key, w in weights.items()}
    shares = {key: int(x) for key, x in exact.items()}
    left = amount - sum(shares.values())
    for key in sorted(exact, key=lambda k: shares[k] - exact[k])[:left]:
        shares[key] += 1
    return shares


# -- households ------------------------------------------------------------------


def outcome_of(hp: HouseholdPlan) -> rules.Outcome:
    """The outcome (R8) a household plan states."""
    if hp.mode is Mode.TEMPORARY:
        return rules.Outcome.AFTER if hp.after_dwelling is not None else rules.Outcome.OWN
    return rules.Outcome.DIRECT if hp.mode is Mode.DIRECT else rules.Outcome.PERMANENT


def _price_household(
    scenario: Scenario, hp: HouseholdPlan, ledger: _Ledger, modules: dict[str, PavilionType]
) -> None:
    household = _household(scenario, hp.household)
    stage = scenario.stage_of(household)
    outcome = outcome_of(hp)
    if outcome in rules.STAYS and hp.return_date is None:
        raise UnpriceablePlan(f"temporary household {hp.household!r} has no return date")
    if hp.mode is Mode.DIRECT and hp.after_dwelling is None:
        raise UnpriceablePlan(f"direct household {hp.household!r} has no after dwelling")
    if hp.after_dwelling is not None:
        _after(scenario, hp.after_dwelling)
    back = scenario.day(hp.return_date) if hp.return_date is not None else None
    prices = rules.outcome_cost_ore(
        scenario, household, outcome, scenario.day(hp.move_out), back, hp.after_dwelling
    )
    for category, amount in prices.items():
        ledger.add(stage.id, category, amount)
    if outcome in rules.STAYS and hp.place is not None and back is not None:
        place = resolve_place(scenario, hp.place, modules)
        days = back - scenario.day(hp.move_out)
        compensation = rules.stay_compensation_ore(scenario, household, place, days)
        ledger.add(stage.id, CostCategory.RENT_REDUCTION, compensation)
    ledger.add(stage.id, CostCategory.CONSULTANT, rules.consultant_ore(scenario))


def _penalty(scenario: Scenario, hp: HouseholdPlan, modules: dict[str, PavilionType]) -> int:
    household = _household(scenario, hp.household)
    return _place_penalty(scenario, hp, household, modules) + rules.outcome_penalty_ore(
        scenario, household, outcome_of(hp)
    )


def _place_penalty(
    scenario: Scenario, hp: HouseholdPlan, household: Household, modules: dict[str, PavilionType]
) -> int:
    if hp.mode is Mode.TEMPORARY and hp.place is not None:
        return rules.penalty_ore(scenario, household, resolve_place(scenario, hp.place, modules))
    if hp.mode is Mode.PERMANENT and hp.permanent_dwelling is not None:
        place = _dwelling(scenario, hp.permanent_dwelling)
        return rules.penalty_ore(scenario, household, place)
    return 0


# -- KPIs ------------------------------------------------------------------------


def stage_spares(places: Sequence[PlaceTimeline]) -> Counter[str]:
    """R10: per stage id, the number of places held as its spares.

    A place (dwelling or module id) counts once per stage even if it has
    several timelines or spare segments of that stage.
    """
    pairs = {
        (t.place, seg.stage)
        for t in places
        for seg in t.segments
        if seg.kind is SegmentKind.SPARE and seg.stage is not None
    }
    return Counter(stage for _, stage in pairs)


def _source_key(scenario: Scenario, hp: HouseholdPlan, modules: dict[str, PavilionType]) -> str:
    if hp.mode is not Mode.TEMPORARY:
        return hp.mode.value
    if hp.place is None:
        raise UnpriceablePlan(f"temporary household {hp.household!r} has no place")
    return rules.place_source(resolve_place(scenario, hp.place, modules)).value


def _kpis(
    scenario: Scenario,
    households: Sequence[HouseholdPlan],
    places: Sequence[PlaceTimeline],
    ledger: _Ledger,
    modules: dict[str, PavilionType],
) -> Kpis:
    days: Counter[SegmentKind] = Counter()
    for t in places:
        if t.pavilion_type is None:  # vacancy and withheld days are about dwellings only
            for seg in t.segments:
                days[seg.kind] += _days(scenario, seg)

    by_mode = Counter(hp.mode.value for hp in households)
    by_source = Counter(_source_key(scenario, hp, modules) for hp in households)
    stage_of = {
        hp.household: scenario.stage_of(_household(scenario, hp.household)).id for hp in households
    }
    members = Counter(stage_of[hp.household] for hp in households)
    displaced = Counter(stage_of[hp.household] for hp in households if hp.mode is Mode.TEMPORARY)
    spares = stage_spares(places)
    notices: dict[str, date] = {}
    for hp in households:
        sid = stage_of[hp.household]
        notices[sid] = min(notices.get(sid, hp.notice_date), hp.notice_date)
    stage_kpis = []
    for stage in scenario.stages:
        d = displaced[stage.id]
        notice = notices.get(stage.id, stage.start)
        stage_kpis.append(
            StageKpi(
                stage=stage.id,
                households=members[stage.id],
                displaced=d,
                spares=spares[stage.id],
                pool=d + spares[stage.id],
                overcapacity=spares[stage.id] / d if d else None,
                notice_date=notice,
                notice_in_past=notice < scenario.policy.planning_date,
            )
        )
    return Kpis(
        rent_loss=sum(ledger.total(c) for c in RENT_LOSS_CATEGORIES) / 100,
        vacancy_days=days[SegmentKind.HELD_EMPTY],
        occupied_days=days[SegmentKind.OCCUPIED],
        withheld_days=(
            days[SegmentKind.HELD_EMPTY] + days[SegmentKind.OCCUPIED] + days[SegmentKind.SPARE]
        ),
        time_limited_days=days[SegmentKind.TIME_LIMITED],
        spare_days=days[SegmentKind.SPARE],
        moves=sum(rules.MOVES[outcome_of(hp)] for hp in households),
        households_by_mode={m.value: by_mode[m.value] for m in Mode},
        households_by_source={
            key: by_source[key]
            for key in [*(s.value for s in Source), *(m.value for m in Mode)]
            if key != Mode.TEMPORARY.value
        },
        pavilion_modules=sum(1 for t in places if t.pavilion_type is not None),
        stages=stage_kpis,
    )


# -- public API ------------------------------------------------------------------


def price_plan(
    scenario: Scenario, households: Sequence[HouseholdPlan], places: Sequence[PlaceTimeline]
) -> Pricing:
    """Price a plan from its household plans and place timelines (``docs/MODEL.md``).

    Costs, in integer øre, by the stage they are attributed to:

    - dwelling timelines: ``held_empty`` days × daily rent (``rent_loss_empty``)
      and one ``time_limited_deposit`` per ``time_limited`` segment, both to
      the stage of the next use on the timeline (a held-empty tail after the
      last stay, the rest of its return period, to that stay's stage);
      ``occupied`` days × daily rent (``rent_loss_occupied``) and ``spare``
      days × daily rent (``rent_loss_spare``, R10) to the segment's stage;
      ``permanent`` marks are free;
    - pavilion timelines: set-up, daily rent × (released − collected_from) and
      removal (``pavilion_setup``, ``pavilion_rent``, ``pavilion_removal``),
      each shared between the stages of the module's segments in proportion
      to the days of their segments (whole øre, largest remainders);
    - households, to their stage: :func:`allocator.rules.outcome_cost_ore`
      of the outcome the plan states (moves, rent reduction, storage, rent
      lost on vacated dwellings, inspections and cleaning) and a consultant
      fee each.

    Penalties: :func:`allocator.rules.penalty_ore` of the temporary place or
    the permanent dwelling, and :func:`allocator.rules.outcome_penalty_ore`.

    KPIs: vacancy, occupied, spare, withheld and time-limited days count
    dwelling timelines only (not pavilion modules). ``households_by_source``
    counts temporary households by the source of their place
    (``own_department``, ``own_organisation``, ``partner``, ``pavilion``) and
    the others under ``"direct"`` and ``"permanent"``; every key is present,
    zeros included. A stage's spares are the places with a spare segment of
    it (:func:`stage_spares`); its pool is its displaced households plus them.

    Raises
    ------
    UnpriceablePlan
        If the plan names an unknown household, dwelling, after-renovation
        dwelling, pavilion type or stage, or a temporary household lacks a
        place or return date. :func:`allocator.plan.check.check_plan` reports these.

    """
    ledger = _Ledger(scenario)
    modules = pavilion_modules(scenario, places)
    for timeline in places:
        if timeline.pavilion_type is None:
            _price_dwelling_timeline(scenario, timeline, ledger)
        else:
            ptype = _pavilion_type(scenario, timeline.pavilion_type)
            _price_pavilion_timeline(scenario, timeline, ptype, ledger)
    for hp in households:
        _price_household(scenario, hp, ledger, modules)
    penalties = sum(_penalty(scenario, hp, modules) for hp in households)
    costs = ledger.stage_costs()
    return Pricing(
        costs=costs,
        penalties=penalties / 100,
        kpis=_kpis(scenario, households, places, ledger, modules),
        total_ore=sum(ledger.total(c) for c in CostCategory),
        penalties_ore=penalties,
    )


def plan_objective(plan: Plan) -> float:
    """What the solver minimises for ``plan``, in DKK: its budget total plus penalties.

    Read from the prices :func:`build_plan` stored (each a whole number of
    øre), so no second pricing is needed.
    """
    total = next(c.total for c in plan.costs if c.stage == TOTAL)
    return (round(total * 100) + round(plan.penalties * 100)) / 100


def build_plan(
    scenario: Scenario, households: Sequence[HouseholdPlan], places: Sequence[PlaceTimeline]
) -> Plan:
    """Price the household plans and timelines and assemble them into a :class:`Plan`.

    Raises
    ------
    UnpriceablePlan
        As :func:`price_plan`.

    """
    pricing = price_plan(scenario, households, places)
    return Plan(
        households=list(households),
        places=list(places),
        costs=pricing.costs,
        penalties=pricing.penalties,
        kpis=pricing.kpis,
    )
