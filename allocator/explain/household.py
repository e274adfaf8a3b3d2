"""Why a household got what it got in a plan, and what drives the plan's cost (no solver).

For one household of a plan: its seniority position and, for each
after-renovation dwelling it wished, whether it was eligible and who won it
(R9); the fit rules that bind it (R5-R7, R15); the outcomes its agreement
allows (R8); and what its place costs against the best other places that
fit it, and who holds those in the plan. For the whole plan: the stages,
places and households that cost most (each priced alone by
:func:`allocator.plan.pricing.price_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from allocator import rules
from allocator.explain.words import source_label
from allocator.i18n import Lang, gettext, money
from allocator.labels import label
from allocator.plan.pricing import price_plan
from models.plan import Mode, Plan, SegmentKind
from models.scenario import Household, Scenario, Source

__all__ = [
    "Alternative",
    "CostDriver",
    "HouseholdWhy",
    "WishOutcome",
    "cost_drivers",
    "describe_household",
    "explain_household",
]

#: Other places shown beside the household's own.
ALTERNATIVES = 3

#: The outcomes in words (R8, R9).
OUTCOMES = {
    rules.Outcome.OWN.value: "a stay, then back to its own dwelling",
    rules.Outcome.AFTER.value: "a stay, then into the after-renovation dwelling it won",
    rules.Outcome.DIRECT.value: "straight into the after-renovation dwelling it won",
    rules.Outcome.PERMANENT.value: "a permanent move",
}


@dataclass(frozen=True)
class WishOutcome:
    """A wished after-renovation dwelling: eligible (R5, R6), who won it, who comes first."""

    dwelling: str
    eligible: bool
    winner: str | None
    winner_ahead: bool  # the winner comes before the household at this dwelling


@dataclass(frozen=True)
class Alternative:
    """A place that fits the household, its cost for the household's stay, who holds it."""

    place: str
    source: Source
    cost: float  # DKK: the place's rent over the stay plus soft-wish penalties
    holders: tuple[str, ...] = ()  # households (or "spare") holding it then in the plan


@dataclass(frozen=True)
class HouseholdWhy:
    """Why a household got what it got (see :func:`explain_household`)."""

    household: str
    stage: str
    mode: Mode
    place: str | None
    agreement: str
    outcomes: tuple[str, ...]
    rank: int  # seniority position, 1 = most senior of the scenario
    of: int
    wishes: list[WishOutcome] = field(default_factory=list)
    after_dwelling: str | None = None
    # (rule, English text, its values): the fit rules that bind
    binding: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    own: Alternative | None = None
    alternatives: list[Alternative] = field(default_factory=list)
    move_out: date | None = None
    back: date | None = None


def explain_household(scenario: Scenario, plan: Plan, household_id: str) -> HouseholdWhy:
    """Why ``household_id`` got what it got in ``plan``.

    Raises
    ------
    KeyError
        If the household is not in the scenario or not in the plan.
    """
    h = scenario.household(household_id)
    hp = next((p for p in plan.households if p.household == household_id), None)
    if hp is None:
        raise KeyError(household_id)
    sched = rules.schedule(scenario)
    ranked = sorted(scenario.households, key=lambda x: rules.seniority_key(scenario, x))
    winners = {after: hid for hid, after in sched.won.items()}
    wishes = []
    for a_id in h.wishes:
        after = scenario.after_dwelling(a_id)
        winner = winners.get(a_id)
        ahead = (
            winner is not None
            and winner != h.id
            and (
                rules.priority_key(scenario, scenario.household(winner), after)
                < rules.priority_key(scenario, h, after)
            )
        )
        wishes.append(WishOutcome(a_id, rules.after_eligible(scenario, h, after), winner, ahead))
    move_out = scenario.day(hp.move_out)
    back = scenario.day(hp.return_date) if hp.return_date else None
    permanent = hp.mode is Mode.PERMANENT
    own, alternatives = _costs(
        scenario, plan, h, hp.place or hp.permanent_dwelling, move_out, back, permanent=permanent
    )
    return HouseholdWhy(
        household=h.id,
        stage=hp.stage,
        mode=hp.mode,
        place=hp.place or hp.permanent_dwelling,
        agreement=h.agreement.value,
        outcomes=tuple(o.value for o in sched.outcomes[h.id]),
        rank=next(i for i, x in enumerate(ranked, 1) if x.id == h.id),
        of=len(ranked),
        wishes=wishes,
        after_dwelling=hp.after_dwelling,
        binding=_binding(scenario, h),
        own=own,
        alternatives=alternatives,
        move_out=hp.move_out,
        back=hp.return_date,
    )


def _binding(scenario: Scenario, h: Household) -> list[tuple[str, str, dict[str, object]]]:
    """The fit rules that limit where ``h`` may live: (rule, English text, its values)."""
    persons = h.adults + h.children
    out: list[tuple[str, str, dict[str, object]]] = [
        (
            "R5",
            "at least {rooms} rooms for {persons} persons",
            {"rooms": rules.min_rooms(scenario, h), "persons": persons},
        )
    ]
    if h.rooms_max is not None:
        out.append(("R5", "at most {rooms} rooms (its wished maximum)", {"rooms": h.rooms_max}))
    if h.wheelchair:
        out.append(("R6", "wheelchair-accessible", {}))
    elif h.step_free:
        out.append(("R6", "step-free", {}))
    if h.max_floor is not None:
        out.append(("R6", "at most floor {floor}", {"floor": h.max_floor}))
    for s in h.excluded_sources:
        out.append(("R7", "no {source} place (its agreement)", {"source": s.value}))
    if scenario.policy.same_municipality and scenario.municipality:
        out.append(
            ("R7", "a temporary place in {municipality}", {"municipality": scenario.municipality})
        )
    return out


def _costs(
    scenario: Scenario,
    plan: Plan,
    h: Household,
    place: str | None,
    start: int,
    end: int | None,
    *,
    permanent: bool,
) -> tuple[Alternative | None, list[Alternative]]:
    """The household's own place and the cheapest other fitting places, priced alike."""
    if place is None:
        return None, []
    days = (end - start) if end is not None else 0
    holders: dict[str, set[str]] = {}
    for timeline in plan.places:
        for seg in timeline.segments:
            if seg.kind is SegmentKind.TIME_LIMITED or seg.kind is SegmentKind.HELD_EMPTY:
                continue
            s, e = scenario.day(seg.start), scenario.day(seg.end)
            if s < (end if end is not None else rules.FOREVER) and start < max(e, s + 1):
                who = seg.household or gettext("spare", "en")
                holders.setdefault(timeline.place, set()).add(who)
    module_of = {t.place: t.pavilion_type for t in plan.places if t.pavilion_type}

    def price(p: rules.Place) -> float:
        ore = rules.daily_ore(p.monthly_rent) * days + rules.penalty_ore(scenario, h, p)
        if not permanent:
            ore += rules.stay_compensation_ore(scenario, h, p, days)
        return ore / 100

    own: Alternative | None = None
    if place in module_of:
        pav = next(p for p in scenario.pavilions if p.id == module_of[place])
        own = Alternative(place, Source.PAVILION, price(pav))
    else:
        d = scenario.dwelling(place)
        own = Alternative(place, d.source, price(d))
    candidates: list[Alternative] = []
    covering = {
        a.dwelling
        for a in rules.availabilities(scenario)
        if a.start <= start
        and (a.end == rules.FOREVER if permanent else end is not None and end <= a.end)
    }
    for d in scenario.dwellings:
        if d.id == place or d.id not in covering:
            continue
        if not rules.place_fits(scenario, h, d, permanent=permanent):
            continue
        taken = tuple(sorted(x for x in holders.get(d.id, ()) if x != h.id))
        candidates.append(Alternative(d.id, d.source, price(d), taken))
    if not permanent:
        for pav in scenario.pavilions:
            if pav.lead_days <= start and rules.place_fits(scenario, h, pav):
                candidates.append(Alternative(pav.id, Source.PAVILION, price(pav)))
    candidates.sort(key=lambda a: (a.cost, a.place))
    return own, candidates[:ALTERNATIVES]


def describe_household(why: HouseholdWhy, lang: Lang = "da") -> list[str]:
    """The explanation in words, one line per point."""
    lines = [
        gettext("household {household} (stage {stage}): {mode}", lang).format(
            household=why.household, stage=why.stage, mode=gettext(why.mode.value, lang)
        )
        + (f", {why.place}" if why.place else ""),
        gettext(
            "seniority: number {rank} of {of}; agreement {agreement}; the rules allow: {outcomes}",
            lang,
        ).format(
            rank=why.rank,
            of=why.of,
            agreement=gettext(why.agreement, lang),
            outcomes="; ".join(gettext(OUTCOMES.get(o, o), lang) for o in why.outcomes),
        ),
    ]
    for wish in why.wishes:
        if not wish.eligible:
            text = gettext("wish {dwelling}: not eligible (R5 size or R6 access)", lang)
        elif wish.winner == why.household:
            text = gettext("wish {dwelling}: won by seniority (R9)", lang)
        elif wish.winner is None:
            text = gettext("wish {dwelling}: not won; it won a wish it ranked higher", lang)
        elif wish.winner_ahead:
            text = gettext("wish {dwelling}: won by {winner}, who comes first there (R9)", lang)
        else:
            text = gettext("wish {dwelling}: won by {winner}; it won a wish it ranked higher", lang)
        lines.append(text.format(dwelling=wish.dwelling, winner=wish.winner))
    lines.append(
        gettext("rules that bind it: {rules}", lang).format(
            rules="; ".join(
                f"{rule} " + gettext(text, lang).format(**_words(values, lang))
                for rule, text, values in why.binding
            )
        )
    )
    if why.own is not None:
        lines.append(
            gettext(
                "its place {place} ({source}): {cost} (rent over its stay and penalties)", lang
            ).format(
                place=why.own.place,
                source=source_label(why.own.source.value, lang),
                cost=money(why.own.cost, lang),
            )
        )
        for alt in why.alternatives:
            held = (
                gettext("held by {holders} then", lang).format(holders=", ".join(alt.holders))
                if alt.holders
                else gettext("free then", lang)
            )
            diff = alt.cost - why.own.cost
            compared = (
                gettext("{amount} more", lang) if diff >= 0 else gettext("{amount} less", lang)
            ).format(amount=money(abs(diff), lang))
            lines.append(
                "  "
                + gettext("instead {place} ({source}): {cost}, {compared}; {held}", lang).format(
                    place=alt.place,
                    source=source_label(alt.source.value, lang),
                    cost=money(alt.cost, lang),
                    compared=compared,
                    held=held,
                )
            )
    return lines


@dataclass(frozen=True)
class CostDriver:
    """A stage, place or household and what it costs in the plan (DKK, penalties included)."""

    kind: str  # "stage", "place" or "household"
    name: str
    cost: float
    source: Source | None = None  # a place's source
    mode: Mode | None = None  # a household's outcome
    where: str = ""  # the household's place or new dwelling

    def detail(self, lang: Lang = "da") -> str:
        """The source of a place, or a household's outcome and place, in ``lang``."""
        if self.source is not None:
            return source_label(self.source.value, lang)
        if self.mode is not None:
            return f"{label(self.mode, lang)} {self.where}".strip()
        return ""


def cost_drivers(scenario: Scenario, plan: Plan, top: int = 5) -> list[CostDriver]:
    """The stages by cost, then the ``top`` places and households that cost most.

    Places and households are each priced alone (a place's timeline: rent lost,
    deposits, its pavilion rental; a household's outcome: moves, rent
    reduction, storage, cleaning, its consultant fee and penalties).
    """
    out = [
        CostDriver("stage", c.stage, c.total)
        for c in sorted(plan.costs, key=lambda c: -c.total)
        if c.stage != "total"
    ]
    places = []
    for t in plan.places:
        priced = price_plan(scenario, [], [t])
        places.append(CostDriver("place", t.place, priced.objective_ore / 100, source=t.source))
    out += sorted(places, key=lambda d: (-d.cost, d.name))[:top]
    households = []
    modules = {t.place: t for t in plan.places if t.pavilion_type}
    for hp in plan.households:
        # a module is priced with its timeline: the household's share is the difference
        module = [modules[hp.place]] if hp.place in modules else []
        priced = price_plan(scenario, [hp], module)
        alone = price_plan(scenario, [], module).objective_ore if module else 0
        where = hp.place or hp.permanent_dwelling or hp.after_dwelling or ""
        households.append(
            CostDriver(
                "household",
                hp.household,
                (priced.objective_ore - alone) / 100,
                mode=hp.mode,
                where=where,
            )
        )
    out += sorted(households, key=lambda d: (-d.cost, d.name))[:top]
    return out


def _words(values: dict[str, object], lang: Lang) -> dict[str, object]:
    """``values`` with a source named in ``lang``."""
    return {k: source_label(str(v), lang) if k == "source" else v for k, v in values.items()}
