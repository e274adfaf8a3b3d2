"""The plan checker: verifies any plan against its scenario without CP-SAT.

:func:`check_plan` runs one small function per rule (or group of related
rules) and collects its findings as :class:`Violation` records: the rule
broken, what it is about and what is wrong. Printed, a violation is one
sentence, for example ``"household H3: R6: not step-free (place O2)"``. The
checker never raises on a bad plan: a finding is a violation, and a plan
with none is valid.

The checker shares the rule predicates and prices of :mod:`allocator.rules`
and the pricing of :mod:`allocator.plan.pricing` with the rest of genhus, but
nothing of the CP-SAT model: it reads only the plan's household plans and
place timelines. ``docs/MODEL.md`` is the contract it checks.

Place ids: a household's temporary ``place`` is a dwelling id of the
scenario or the id of a pavilion module, i.e. the ``place`` of a pavilion
timeline (one with ``pavilion_type`` set) of the plan.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Literal, get_args

from allocator import rules
from allocator.plan.pricing import Pricing, UnpriceablePlan, price_plan
from allocator.rules.table import RuleId
from models.plan import HouseholdPlan, Mode, NeedGroup, PlaceTimeline, Plan, Segment, SegmentKind
from models.scenario import (
    Agreement,
    Household,
    PavilionType,
    PermanentAgreement,
    Scenario,
    Source,
)

#: Largest difference in DKK tolerated between stated and recomputed amounts.
TOLERANCE = 0.005

#: Modes each agreement allows (R8); undecided households get what the plan finds best.
ALLOWED_MODES = {
    Agreement.TEMPORARY: {Mode.TEMPORARY, Mode.DIRECT},
    Agreement.PERMANENT: {Mode.PERMANENT},
    Agreement.UNDECIDED: set(Mode),
}

#: Segment kinds between which the turnaround (R2) applies: someone lives there,
#: or (a spare) the place must be ready for the offers.
OCCUPANTS = (
    SegmentKind.OCCUPIED,
    SegmentKind.TIME_LIMITED,
    SegmentKind.PERMANENT,
    SegmentKind.SPARE,
)

#: Gap segments: between uses of a dwelling.
GAPS = (SegmentKind.HELD_EMPTY, SegmentKind.TIME_LIMITED)

#: Segments that are zero-length marks (a permanent letting from its day).
MARKS = (SegmentKind.PERMANENT,)


#: What a violation can be about besides a rule: the plan's parts do not fit
#: together (a household missing or twice, an unknown id, a timeline that
#: disagrees with a household plan, a check that could not finish), or a
#: stated amount, KPI or objective differs from the recomputed one.
Structural = Literal["plan", "prices"]


@dataclass(frozen=True)
class Violation:
    """One finding of the plan checker.

    Attributes
    ----------
    rule
        The rule broken, ``"R1"`` to ``"R16"``, or a :data:`Structural` kind:
        ``"plan"`` or ``"prices"``.
    subject
        What it is about: ``"household H3"``, ``"place O2"``, ``"stage S1"``,
        ``"pavilion module PT-1"``, ``"pavilion type PT"``,
        ``"after-renovation dwelling N1"``, ``"department E"``, or for prices
        the figure, e.g. ``"costs[S1].by_category.moving"``. Empty when it is
        about the plan as a whole.
    text
        What is wrong, without the subject and the rule.

    """

    rule: RuleId | Structural
    subject: str
    text: str

    def __str__(self) -> str:
        """The finding as one sentence: subject, the rule (if one is broken), text."""
        rule = [] if self.rule in get_args(Structural) else [self.rule]
        subject = [self.subject] if self.subject else []
        return ": ".join([*subject, *rule, self.text])


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_plan` found.

    Attributes
    ----------
    violations
        One :class:`Violation` per finding, in report order; empty for a
        valid plan.
    pricing
        The plan priced afresh by :func:`allocator.plan.pricing.price_plan`, or
        ``None`` if it names things the scenario does not know (the
        violations then say what).

    """

    violations: list[Violation]
    pricing: Pricing | None

    @property
    def ok(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations

    @property
    def messages(self) -> list[str]:
        """The violations as the sentences the CLI prints."""
        return [str(v) for v in self.violations]


# -- small helpers -------------------------------------------------------------


def _known(scenario: Scenario, plan: Plan) -> Iterator[tuple[HouseholdPlan, Household]]:
    """Household plans whose household exists, each with its scenario household."""
    ids = {h.id for h in scenario.households}
    for hp in plan.households:
        if hp.household in ids:
            yield hp, scenario.household(hp.household)


def _plans_by_household(plan: Plan) -> dict[str, HouseholdPlan]:
    """The (first) plan of each household id named in the plan."""
    out: dict[str, HouseholdPlan] = {}
    for hp in plan.households:
        out.setdefault(hp.household, hp)
    return out


def _modules(scenario: Scenario, plan: Plan) -> dict[str, PavilionType]:
    """Pavilion module id to its type, for modules whose type exists."""
    types = {p.id: p for p in scenario.pavilions}
    return {
        t.place: types[t.pavilion_type]
        for t in plan.places
        if t.pavilion_type is not None and t.pavilion_type in types
    }


def _places(scenario: Scenario, plan: Plan) -> dict[str, rules.Place]:
    """Every place id a household may name: dwellings, then the plan's pavilion modules."""
    places: dict[str, rules.Place] = {d.id: d for d in scenario.dwellings}
    places.update(_modules(scenario, plan))
    return places


def _who(seg: Segment) -> str:
    """A segment's occupant in words."""
    if seg.kind is SegmentKind.TIME_LIMITED:
        return "a time-limited tenant"
    return f"household {seg.household}"


def _span(seg: Segment) -> str:
    return f"{seg.kind.value} [{seg.start}, {seg.end})"


# -- households ------------------------------------------------------------------


def check_households(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Every household of the scenario appears exactly once, in its own stage."""
    out = []
    counts = Counter(hp.household for hp in plan.households)
    for h in scenario.households:
        if counts[h.id] == 0:
            out.append(Violation("plan", f"household {h.id}", "missing from the plan"))
        elif counts[h.id] > 1:
            out.append(
                Violation("plan", f"household {h.id}", f"appears {counts[h.id]} times in the plan")
            )
    known = {h.id for h in scenario.households}
    for hid in counts:
        if hid not in known:
            out.append(
                Violation("plan", f"household {hid}", "is in the plan but not in the scenario")
            )
    for hp, h in _known(scenario, plan):
        stage = scenario.stage_of(h).id
        if hp.stage != stage:
            out.append(
                Violation(
                    "plan",
                    f"household {h.id}",
                    f"stage is {hp.stage}, but its dwelling {h.dwelling} "
                    f"is renovated in stage {stage}",
                )
            )
    return out


def check_references(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Every id the plan names exists: stages, households, places, pavilion types, dwellings.

    The rule checks look a plan up by these ids; one that names nothing
    would otherwise be skipped by them rather than reported.
    """
    out: list[Violation] = []
    stages = {s.id for s in scenario.stages}
    households = {h.id for h in scenario.households}
    dwellings = {d.id for d in scenario.dwellings}
    after = {a.id for a in scenario.after_dwellings}
    types = {p.id for p in scenario.pavilions}
    places = dwellings | {t.place for t in plan.places if t.pavilion_type is not None}
    cost_stages = stages | {"total"}
    segment_stages: set[str | None] = {None, *stages}
    segment_households: set[str | None] = {None, *households}

    def unknown(
        where: str | Callable[[], str], what: str, value: str | None, known: set[str]
    ) -> None:
        if value is not None and value not in known:
            subject = where if isinstance(where, str) else where()
            out.append(Violation("plan", subject, f"unknown {what} {value!r}"))

    for hp in plan.households:
        where = f"household {hp.household}"
        unknown(where, "stage", hp.stage, stages)
        unknown(where, "place", hp.place, places)
        unknown(where, "after-renovation dwelling", hp.after_dwelling, after)
        unknown(where, "dwelling", hp.permanent_dwelling, dwellings)
    for t in plan.places:
        where = f"place {t.place}"
        if t.pavilion_type is None:
            unknown(where, "dwelling", t.place, dwellings)
        else:
            unknown(where, "pavilion type", t.pavilion_type, types)
        for seg in t.segments:
            if seg.stage in segment_stages and seg.household in segment_households:
                continue  # the usual case, without writing the message
            unknown(f"{where}, {_span(seg)}", "stage", seg.stage, stages)
            unknown(f"{where}, {_span(seg)}", "household", seg.household, households)
    for cost in plan.costs:
        unknown("costs", "stage", cost.stage, cost_stages)
    for kpi in plan.kpis.stages:
        unknown("kpis", "stage", kpi.stage, stages)
    return out


def check_segment_order(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Each timeline lists its segments in time order, within its own span."""
    out = []
    for t in plan.places:
        keys = [(seg.start, seg.end) for seg in t.segments]
        if keys != sorted(keys):
            out.append(Violation("plan", f"place {t.place}", "segments not in time order"))
        for seg in t.segments:
            if seg.end < seg.start:
                out.append(
                    Violation("plan", f"place {t.place}", f"{_span(seg)} ends before it starts")
                )
    return out


def check_r8_agreement(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R8: the mode fits the agreement; a merged-away home rules out a plain return.

    A household with a wish list that takes part in R9 wants to stay: it is
    not moved for good, unless its home is merged away and it won nothing.
    A ``permanent`` agreement binds unless the policy makes it soft.
    """
    out = []
    removed = scenario.removed_dwellings()
    soft = scenario.policy.permanent_agreement is PermanentAgreement.SOFT
    for hp, h in _known(scenario, plan):
        allowed = ALLOWED_MODES[h.agreement]
        if soft and h.agreement is Agreement.PERMANENT:
            allowed = {Mode.PERMANENT, Mode.TEMPORARY}
        if hp.mode not in allowed:
            out.append(
                Violation(
                    "R8",
                    f"household {h.id}",
                    f"mode {hp.mode.value} is not allowed by its {h.agreement.value} agreement",
                )
            )
        forced = h.dwelling in removed and hp.after_dwelling is None
        if hp.mode is Mode.PERMANENT and rules.takes_part(h) and not forced:
            out.append(
                Violation(
                    "R8",
                    f"household {h.id}",
                    "wishes after-renovation dwellings "
                    f"({', '.join(h.wishes)}), so it wants to stay, but is moved for good",
                )
            )
        if h.dwelling in removed and hp.mode is Mode.TEMPORARY and hp.after_dwelling is None:
            out.append(
                Violation(
                    "R8",
                    f"household {h.id}",
                    f"its dwelling {h.dwelling} is merged into an "
                    "after-renovation dwelling, so it cannot return to it without winning one",
                )
            )
    return out


def check_r1_window(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R1: out by the stage's deadline, back once its dwellings are ready, and per mode."""
    out = []
    afters = {a.id: a for a in scenario.after_dwellings}
    for hp, h in _known(scenario, plan):
        wrong: list[str] = []  # what is wrong with its R1 window, in words
        stage = scenario.stage_of(h)
        deadline = rules.move_out_day(scenario, stage)
        move_out = scenario.day(hp.move_out)
        if move_out > deadline:
            wrong.append(
                f"moves out on {hp.move_out}, but stage {stage.id} must be cleared "
                f"by {scenario.date_of(deadline)}"
            )
        if move_out < 0:
            wrong.append(f"moves out on {hp.move_out}, before the planning date")
        after = afters.get(hp.after_dwelling) if hp.after_dwelling else None
        ready = rules.ready_day(scenario, after) if after else None
        if hp.mode is Mode.TEMPORARY:
            if hp.place is None:
                wrong.append("temporary but has no place")
            if hp.return_date is None:
                wrong.append("temporary but has no return date")
            if ready is not None and ready <= move_out:
                wrong.append(
                    f"after-renovation dwelling {hp.after_dwelling} is ready on "
                    f"{scenario.date_of(ready)}, by the move-out day: it must move directly"
                )
            back = ready if ready is not None else rules.back_day(scenario, stage)
            if hp.return_date is not None and scenario.day(hp.return_date) < back:
                into = hp.after_dwelling or f"its dwelling {h.dwelling}"
                wrong.append(
                    f"returns on {hp.return_date}, but {into} is ready only on "
                    f"{scenario.date_of(back)}"
                )
        else:
            if hp.place is not None:
                wrong.append(f"a {hp.mode.value} mover has no temporary place ({hp.place})")
            if hp.return_date is not None or hp.return_letter_date is not None:
                wrong.append(f"a {hp.mode.value} mover has no return date or letter")
        if hp.mode is Mode.DIRECT:
            if hp.after_dwelling is None:
                wrong.append("a direct mover needs an after-renovation dwelling")
            if ready is not None and ready > move_out:
                wrong.append(
                    f"after-renovation dwelling {hp.after_dwelling} is ready only on "
                    f"{scenario.date_of(ready)}, after the move-out day: it cannot move directly"
                )
        if hp.mode is Mode.PERMANENT:
            if hp.permanent_dwelling is None:
                wrong.append("a permanent mover needs a permanent dwelling")
            if hp.after_dwelling is not None:
                wrong.append("a permanent mover gets no after-renovation dwelling")
        elif hp.permanent_dwelling is not None:
            wrong.append(f"a {hp.mode.value} mover gets no permanent dwelling")
        out += [Violation("R1", f"household {h.id}", text) for text in wrong]
    return out


def check_r1_r13_moving_days(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R1, R13: every move on a working day, no more than the capacity a day.

    A move is a household's move out (every mode) and a temporary
    household's move back; the stages of one department share the
    ``moves_per_day`` of its moving company.
    """
    out = []
    calendar = rules.working_days(scenario)
    moves: Counter[tuple[str, date]] = Counter()
    for hp, h in _known(scenario, plan):
        dept = rules.department(scenario.stage_of(h))
        days = [("moves out", hp.move_out)]
        if hp.mode is Mode.TEMPORARY and hp.return_date is not None:
            days.append(("moves back", hp.return_date))
        for what, day in days:
            moves[(dept, day)] += 1
            if not calendar.is_working(day):
                out.append(
                    Violation(
                        "R13",
                        f"household {h.id}",
                        f"{what} on {day}, not a working day (weekend, "
                        "public holiday or closed day)",
                    )
                )
    cap = scenario.policy.moves_per_day
    for (dept, day), n in sorted(moves.items()):
        if n > cap:
            where = f"department {dept}" if dept else "the department"
            out.append(
                Violation(
                    "R13",
                    where,
                    f"{n} moves on {day}, more than the {cap} its moving company can carry out",
                )
            )
    return out


def check_r3_r4_letters(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R3 notice and R4 return letter: the latest working day that keeps every deadline.

    The notice goes out ``notice_months`` before the works start and at least
    ``legal_notice_months`` before the household's move; the return letter a
    month before the return; both on working days.
    """
    out = []
    calendar = rules.working_days(scenario)
    for hp, h in _known(scenario, plan):
        stage = scenario.stage_of(h)
        notice = rules.notice_date(scenario, stage.start, hp.move_out)
        if hp.notice_date != notice:
            out.append(
                Violation(
                    "R3", f"household {h.id}", f"notice date {hp.notice_date}, expected {notice}"
                )
            )
        elif not calendar.is_working(hp.notice_date):
            out.append(
                Violation(
                    "R3", f"household {h.id}", f"notice date {hp.notice_date} is no working day"
                )
            )
        if hp.mode is Mode.TEMPORARY and hp.return_date is not None:
            letter = rules.return_letter_date(scenario, hp.return_date)
            if hp.return_letter_date != letter:
                out.append(
                    Violation(
                        "R4",
                        f"household {h.id}",
                        f"return letter date {hp.return_letter_date}, expected {letter}",
                    )
                )
    return out


def check_r5_r6_r7_r15_places(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R5, R6, R7, R8, R15: the temporary place or permanent dwelling fits the household."""
    out = []
    dwellings = {d.id: d for d in scenario.dwellings}
    places = _places(scenario, plan)
    for hp, h in _known(scenario, plan):
        if hp.mode is Mode.TEMPORARY and hp.place is not None:
            place = places.get(hp.place)
            if place is None:
                out.append(
                    Violation(
                        "plan",
                        f"household {h.id}",
                        f"place {hp.place} is neither a dwelling of the "
                        "scenario nor a pavilion module of the plan",
                    )
                )
                continue
            problems = rules.place_problems(scenario, household=h, place=place)
            out += [
                Violation(rule, f"household {h.id}", f"{text} (place {hp.place})")
                for rule, text in problems
            ]
            source = rules.place_source(place)
            if hp.place_source != source:
                out.append(
                    Violation(
                        "plan",
                        f"household {h.id}",
                        f"place_source is {hp.place_source}, but place "
                        f"{hp.place} is of source {source.value}",
                    )
                )
        elif hp.place_source is not None:
            out.append(
                Violation(
                    "plan", f"household {h.id}", "place_source is set but it has no temporary place"
                )
            )
        if hp.mode is Mode.PERMANENT and hp.permanent_dwelling is not None:
            dwelling = dwellings.get(hp.permanent_dwelling)
            if dwelling is None:
                out.append(
                    Violation(
                        "plan",
                        f"household {h.id}",
                        f"permanent dwelling {hp.permanent_dwelling} is not a "
                        "dwelling of the scenario",
                    )
                )
                continue
            problems = rules.place_problems(scenario, h, dwelling, permanent=True)
            out += [
                Violation(rule, f"household {h.id}", f"{text} (place {dwelling.id})")
                for rule, text in problems
            ]
    return out


def check_stays_on_timelines(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Household plans and place timelines tell the same story.

    Each temporary stay is exactly one occupied segment [move_out, return)
    on its place's timeline, each permanent move exactly one permanent
    segment at move-out on the permanent dwelling's timeline, and every
    segment that names a household matches that household's plan and stage.
    """
    return _stays_found(scenario, plan) + _segments_match(scenario, plan)


def _stays_found(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Each stay or permanent move of a household plan is one segment, where it says."""
    out = []
    found: dict[tuple[str, SegmentKind], list[tuple[str, Segment]]] = defaultdict(list)
    for t in plan.places:
        for seg in t.segments:
            if seg.household is not None:
                found[seg.household, seg.kind].append((t.place, seg))
    for hp, h in _known(scenario, plan):
        if hp.mode is Mode.TEMPORARY and hp.place is not None:
            kind, place, end = SegmentKind.OCCUPIED, hp.place, hp.return_date
        elif hp.mode is Mode.PERMANENT and hp.permanent_dwelling is not None:
            kind, place, end = SegmentKind.PERMANENT, hp.permanent_dwelling, hp.move_out
        else:
            continue
        segs = found[h.id, kind]
        if not segs:
            out.append(
                Violation(
                    "plan",
                    f"household {h.id}",
                    f"no {kind.value} segment for it on any timeline "
                    f"(expected on place {place} from {hp.move_out})",
                )
            )
        elif len(segs) > 1:
            out.append(
                Violation("plan", f"household {h.id}", f"has {len(segs)} {kind.value} segments")
            )
        elif (segs[0][0], segs[0][1].start, segs[0][1].end) != (place, hp.move_out, end):
            out.append(
                Violation(
                    "plan",
                    f"household {h.id}",
                    f"its plan says place {place} [{hp.move_out}, {end}), but "
                    f"the timeline of {segs[0][0]} has {_span(segs[0][1])}",
                )
            )
    return out


def _segments_match(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Every segment naming a household agrees with that household's plan and stage."""
    out = []
    plans = _plans_by_household(plan)
    stage_of = {h.id: scenario.stage_of(h).id for h in scenario.households}
    for t in plan.places:
        where = f"place {t.place}"
        for seg in t.segments:
            span = _span(seg)
            if seg.kind not in (SegmentKind.OCCUPIED, SegmentKind.PERMANENT):
                if seg.household is not None:
                    out.append(
                        Violation(
                            "plan",
                            where,
                            f"{span} names household {seg.household}; only occupied and "
                            "permanent segments have one",
                        )
                    )
                continue
            owner = plans.get(seg.household) if seg.household is not None else None
            if owner is None:
                out.append(
                    Violation(
                        "plan", where, f"{span} names no household of the plan ({seg.household})"
                    )
                )
                continue
            if seg.kind is SegmentKind.OCCUPIED:
                matches = owner.mode is Mode.TEMPORARY and owner.place == t.place
            else:
                matches = owner.mode is Mode.PERMANENT and owner.permanent_dwelling == t.place
            if not matches:
                out.append(
                    Violation(
                        "plan",
                        where,
                        f"{span} of household {owner.household} does not match its plan "
                        f"(mode {owner.mode.value}, place {owner.place}, permanent dwelling "
                        f"{owner.permanent_dwelling})",
                    )
                )
            stage = stage_of.get(owner.household)
            if stage is not None and seg.stage != stage:
                out.append(
                    Violation(
                        "plan",
                        where,
                        f"{span}: stage {seg.stage}, but household {owner.household} is in "
                        f"stage {stage}",
                    )
                )
    return out


# -- places ----------------------------------------------------------------------


def _check_marks(scenario: Scenario, t: PlaceTimeline) -> list[Violation]:
    """Permanent lettings are zero-length marks of a known stage."""
    out = []
    stages = {s.id for s in scenario.stages}
    where = f"place {t.place}"
    for seg in t.segments:
        if seg.kind not in MARKS:
            continue
        span = _span(seg)
        if seg.start != seg.end:
            out.append(Violation("plan", where, f"{span} must have zero length"))
        if seg.stage not in stages:
            out.append(Violation("plan", where, f"{span} names no known stage"))
    return out


def _check_turnaround(
    scenario: Scenario, t: PlaceTimeline, kinds: Sequence[SegmentKind]
) -> list[Violation]:
    """R2: at least ``turnaround_days`` after an occupant before the next occupant or spare.

    A spare must be ready for the offers (R10); nobody lived in it, so no
    turnaround follows it.
    """
    out = []
    turn = scenario.policy.turnaround_days
    occupants = [s for s in t.segments if s.kind in kinds]
    for prev, nxt in pairwise(occupants):
        if prev.kind is SegmentKind.SPARE:
            continue  # nobody lived in a spare: the next occupant may move in at once
        days = scenario.day(nxt.start) - scenario.day(prev.end)
        if days < turn:
            out.append(
                Violation(
                    "R2",
                    f"place {t.place}",
                    f"{days} days between {_who(prev)} (out {prev.end}) and "
                    f"{_who(nxt)} (in {nxt.start}); the turnaround is {turn} days",
                )
            )
    return out


def check_r2_r11_dwelling_timelines(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R2, R11: each dwelling timeline is a valid, gap-free use of an availability interval.

    The timeline starts at the start of an availability interval of the
    dwelling whose condition holds (:func:`allocator.rules.availabilities`),
    stays inside it, covers [collected_from, released) with segments in time
    order and ends with a use; occupants are ``turnaround_days`` apart,
    time-limited leases last ``time_limited_min_days``, nothing follows a
    permanent letting, and two timelines of a dwelling use different intervals.
    """
    out = []
    dwellings = {d.id: d for d in scenario.dwellings}
    plans = _plans_by_household(plan)
    intervals_of: dict[str, list[rules.Availability]] = defaultdict(list)
    for a in rules.availabilities(scenario):
        intervals_of[a.dwelling].append(a)
    used: Counter[tuple[str, int]] = Counter()
    for t in plan.places:
        if t.pavilion_type is not None:
            continue
        dwelling = dwellings.get(t.place)
        if dwelling is None:
            out.append(
                Violation(
                    "plan",
                    f"place {t.place}",
                    "not a dwelling of the scenario (nor a pavilion module)",
                )
            )
            continue
        if t.source != dwelling.source:
            out.append(
                Violation(
                    "plan",
                    f"place {t.place}",
                    f"source {t.source.value}, but the dwelling is {dwelling.source.value}",
                )
            )
        start = scenario.day(t.collected_from)
        intervals = intervals_of[t.place]
        interval = next((a for a in intervals if a.start == start), None)
        if interval is None:
            starts = ", ".join(str(scenario.date_of(a.start)) for a in intervals) or "none"
            out.append(
                Violation(
                    "R11",
                    f"place {t.place}",
                    f"collected from {t.collected_from}, which is not the "
                    f"start of one of its availability intervals (starts: {starts})",
                )
            )
        else:
            used[t.place, interval.start] += 1
            mover = plans.get(interval.vacated_by) if interval.vacated_by else None
            if interval.vacated_by and (mover is None or mover.mode is not Mode.PERMANENT):
                out.append(
                    Violation(
                        "R11",
                        f"place {t.place}",
                        f"available from {t.collected_from} only if "
                        f"household {interval.vacated_by} moves out for good, which it does not",
                    )
                )
            if scenario.day(t.released) > interval.end:
                out.append(
                    Violation(
                        "R11",
                        f"place {t.place}",
                        f"used until {t.released}, after its availability "
                        f"ends on {scenario.date_of(interval.end)}",
                    )
                )
        out += _check_coverage(scenario, t)
        out += _check_marks(scenario, t)
        out += _check_turnaround(scenario, t, OCCUPANTS)
        for seg in t.segments:
            days = scenario.day(seg.end) - scenario.day(seg.start)
            if (
                seg.kind is SegmentKind.TIME_LIMITED
                and days < scenario.policy.time_limited_min_days
            ):
                out.append(
                    Violation(
                        "R11",
                        f"place {t.place}",
                        f"time-limited lease of {days} days from {seg.start}; "
                        f"the shortest is {scenario.policy.time_limited_min_days}",
                    )
                )
    for (place, start), n in used.items():
        if n > 1:
            out.append(
                Violation(
                    "plan",
                    f"place {place}",
                    f"{n} timelines in the availability interval from "
                    f"{scenario.date_of(start)}; use one timeline per interval",
                )
            )
    return out


def _check_coverage(scenario: Scenario, t: PlaceTimeline) -> list[Violation]:
    """Segments of a dwelling timeline tile [collected_from, released) and end with a use.

    After a stay the place may be held to the end of the return period of
    the stay's stage, when the stage's rehousing places are released
    (:meth:`allocator.rules.Schedule.block`).
    """
    where = f"place {t.place}"
    if not t.segments:
        return [Violation("plan", where, "timeline has no segments")]
    out = []
    cursor = t.collected_from
    for seg in t.segments:
        span = _span(seg)
        if seg.end < seg.start:
            out.append(Violation("plan", where, f"{span} ends before it starts"))
        elif seg.start == seg.end and seg.kind not in MARKS:
            out.append(Violation("plan", where, f"{span} is empty"))
        if seg.start > cursor:
            out.append(
                Violation(
                    "plan", f"place {t.place}", f"nothing planned for [{cursor}, {seg.start})"
                )
            )
        elif seg.start < cursor:
            out.append(
                Violation("plan", where, f"{span} overlaps what comes before (up to {cursor})")
            )
        cursor = max(cursor, seg.end)
    if cursor != t.released:
        out.append(
            Violation(
                "plan",
                f"place {t.place}",
                f"segments end on {cursor}, but released is {t.released}",
            )
        )
    last = t.segments[-1]
    tail_ok = (
        last.kind is SegmentKind.HELD_EMPTY
        and len(t.segments) > 1
        and t.segments[-2].kind is SegmentKind.OCCUPIED
        and scenario.day(last.end) <= _return_period_end(scenario, t.segments[-2])
    )
    if last.kind in GAPS and not tail_ok:
        out.append(
            Violation(
                "plan",
                f"place {t.place}",
                f"ends with a {last.kind.value} segment; the place is "
                "released at the end of its last use (a stay's: the end of its return period)",
            )
        )
    kinds = [s.kind for s in t.segments]
    if SegmentKind.PERMANENT in kinds and kinds.index(SegmentKind.PERMANENT) < len(kinds) - 1:
        out.append(Violation("R8", f"place {t.place}", "segments follow the permanent letting"))
    return out


def _return_period_end(scenario: Scenario, stay: Segment) -> int:
    """The day after the last return into the dwellings the occupant of ``stay`` moves into."""
    try:
        household = scenario.household(stay.household or "")
    except KeyError:
        return 0
    sched = rules.schedule(scenario)
    return sched.returns_end.get(sched.return_stage(scenario, household), 0)


def check_r12_pavilions(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R12: pavilion modules: known type, lead time, rental period, turnaround, count.

    A module is in place for the offer period of the first stage it serves
    (R10), not before its lead time: its rental starts (``collected_from``)
    no earlier than the lead time and no later than that offer period or
    the lead time, whichever is later, and runs to ``released``: the end of
    its last stay, at least ``min_months``, at most to the end of the return
    period of its last stage (its places are reserved for the whole moving
    period, as dwellings are). It holds only occupied and spare segments, in
    time order, ``turnaround_days`` apart; at no day are more than
    ``max_count`` modules of a type rented.
    """
    out = []
    types = {p.id: p for p in scenario.pavilions}
    dwelling_ids = {d.id for d in scenario.dwellings}
    offers = offer_periods(scenario, plan)
    rentals: dict[str, list[tuple[date, date]]] = defaultdict(list)
    modules = Counter(t.place for t in plan.places if t.pavilion_type is not None)
    for module, n in modules.items():
        if n > 1:
            out.append(
                Violation(
                    "R12", f"pavilion module {module}", f"has {n} timelines; a module has one"
                )
            )
        if module in dwelling_ids:
            out.append(Violation("R12", f"pavilion module {module}", "has the id of a dwelling"))
    for t in plan.places:
        where = f"pavilion module {t.place}"
        if t.pavilion_type is None:
            if t.source == Source.PAVILION:
                out.append(
                    Violation("R12", where, "timeline of source pavilion without a pavilion type")
                )
            continue
        if t.source != Source.PAVILION:
            out.append(Violation("R12", where, f"source is {t.source.value}, not pavilion"))
        ptype = types.get(t.pavilion_type)
        if ptype is None:
            out.append(Violation("R12", where, f"unknown pavilion type {t.pavilion_type}"))
            continue
        rentals[ptype.id].append((t.collected_from, t.released))
        if not t.segments:
            out.append(Violation("R12", where, "has no stays"))
            continue
        for seg in t.segments:
            if seg.kind not in (SegmentKind.OCCUPIED, SegmentKind.SPARE):
                out.append(
                    Violation(
                        "R12", where, f"{_span(seg)}: a module only has occupied and spare segments"
                    )
                )
            if seg.end < seg.start or (seg.kind is SegmentKind.OCCUPIED and seg.end == seg.start):
                out.append(
                    Violation("R12", where, f"{_span(seg)} is empty or ends before it starts")
                )
        for prev, nxt in pairwise(t.segments):
            if nxt.start < prev.end:
                out.append(Violation("R12", where, f"{_span(nxt)} is not after {_span(prev)}"))
        out += _check_marks(scenario, t)
        out += _check_turnaround(scenario, t, (SegmentKind.OCCUPIED, SegmentKind.SPARE))
        start = scenario.day(t.collected_from)
        last = max(scenario.day(s.end) for s in t.segments)
        if start < ptype.lead_days:
            out.append(
                Violation(
                    "R12",
                    where,
                    f"rented from {t.collected_from}, before the lead time of "
                    f"{ptype.lead_days} days is over ({scenario.date_of(ptype.lead_days)})",
                )
            )
        first = scenario.day(t.segments[0].start)
        in_place = max(offers.get(t.segments[0].stage or "", (0, 0))[0], ptype.lead_days)
        if first < ptype.lead_days:
            out.append(
                Violation(
                    "R12",
                    where,
                    f"first use on {t.segments[0].start}, before the lead time of "
                    f"{ptype.lead_days} days is over ({scenario.date_of(ptype.lead_days)})",
                )
            )
        elif start > in_place:
            out.append(
                Violation(
                    "R12",
                    where,
                    f"rented from {t.collected_from}, after the offer period of stage "
                    f"{t.segments[0].stage} starts ({scenario.date_of(in_place)}): it is "
                    "offered to tenants from then",
                )
            )
        needed = max(last, start + rules.months_to_days(ptype.min_months))
        allowed = max(needed, _block_end(scenario, t.segments[-1].stage))
        released = scenario.day(t.released)
        if released < needed:
            out.append(
                Violation(
                    "R12",
                    where,
                    f"released on {t.released}, before the end of its last stay or its "
                    f"minimum rental of {ptype.min_months} months ({scenario.date_of(needed)})",
                )
            )
        elif released > allowed:
            out.append(
                Violation(
                    "R12",
                    where,
                    f"released on {t.released}, later than its stays and minimum rental "
                    f"need ({scenario.date_of(allowed)})",
                )
            )
    for type_id, periods in rentals.items():
        peak, day = _peak(periods)
        if peak > types[type_id].max_count:
            out.append(
                Violation(
                    "R12",
                    f"pavilion type {type_id}",
                    f"{peak} modules rented on {day}, more than "
                    f"the {types[type_id].max_count} available",
                )
            )
    return out


def _block_end(scenario: Scenario, stage_id: str | None) -> int:
    """The end of the last return period a household of the stage may move back in."""
    sched = rules.schedule(scenario)
    ends = [
        sched.returns_end.get(sched.return_stage(scenario, h), 0)
        for h in scenario.households
        if scenario.stage_of(h).id == stage_id
    ]
    return max(ends, default=0)


def offer_periods(scenario: Scenario, plan: Plan) -> dict[str, tuple[int, int]]:
    """R10: per stage, its offer period [start, end) by the plan's moving days.

    From ``offer_days`` before the stage's first move-out (not before day 0)
    to the day after its last.
    """
    days: dict[str, list[int]] = defaultdict(list)
    for hp, h in _known(scenario, plan):
        days[scenario.stage_of(h).id].append(scenario.day(hp.move_out))
    return {
        stage: (max(0, min(d) - scenario.policy.offer_days), max(d) + 1)
        for stage, d in days.items()
    }


def _peak(periods: Sequence[tuple[date, date]]) -> tuple[int, date | None]:
    """Most periods [start, end) that overlap on one day, and the first such day."""
    # at equal days an end (-1) sorts before a start (+1): [a, b) and [b, c) do not overlap
    events = sorted([(s, 1) for s, _ in periods] + [(e, -1) for _, e in periods])
    running, peak, when = 0, 0, None
    for day, step in events:
        running += step
        if running > peak:
            peak, when = running, day
    return peak, when


# -- allocation ------------------------------------------------------------------


def check_r9_seniority(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R9: after-renovation dwellings go by seniority, to eligible wishers, once each.

    No justified envy and no waste: for every household that does not move
    permanently and every eligible dwelling a it wished more than what it
    got, a went to a more senior household.
    """
    out = []
    afters = {a.id: a for a in scenario.after_dwellings}
    holders: dict[str, list[Household]] = defaultdict(list)
    for hp, h in _known(scenario, plan):
        if hp.after_dwelling is None:
            continue
        after = afters.get(hp.after_dwelling)
        if after is None:
            out.append(
                Violation(
                    "R9",
                    f"household {h.id}",
                    f"unknown after-renovation dwelling {hp.after_dwelling}",
                )
            )
            continue
        holders[after.id].append(h)
        if after.id not in h.wishes:
            out.append(
                Violation(
                    "R9",
                    f"household {h.id}",
                    f"got after-renovation dwelling {after.id}, which it did not wish",
                )
            )
        elif not rules.after_eligible(scenario, h, after):
            out.append(
                Violation(
                    "R9",
                    f"household {h.id}",
                    f"got after-renovation dwelling {after.id}, for which "
                    "it is not eligible (size, its wished maximum of rooms or accessibility)",
                )
            )
    for after_id, hs in holders.items():
        if len(hs) > 1:
            names = ", ".join(h.id for h in hs)
            out.append(
                Violation(
                    "R9",
                    f"after-renovation dwelling {after_id}",
                    f"given to {len(hs)} households ({names})",
                )
            )

    allocation = {hs[0].id: after_id for after_id, hs in holders.items()}
    for h, a, rival in rules.justified_envy(scenario, allocation):
        got = allocation.get(h.id)
        if rival is None:
            out.append(
                Violation(
                    "R9",
                    f"household {h.id}",
                    f"wished {a.id} more than what it got ({got}) "
                    f"and is eligible, but {a.id} went to nobody (waste)",
                )
            )
        else:
            out.append(
                Violation(
                    "R9",
                    f"household {h.id}",
                    f"wished {a.id} more than what it got ({got}) "
                    f"and is eligible, but {a.id} went to household {rival.id}, which comes "
                    "after it by seniority and access needs (justified envy)",
                )
            )
    return out


def check_r10_overcapacity(scenario: Scenario, plan: Plan) -> list[Violation]:
    """R10: every stage holds real spares for the target share of its displaced households.

    A spare is a place (dwelling or pavilion module) held ready, not let,
    over its stage's offer period (:func:`offer_periods`), for a stated need
    group (R5 rooms, R6 access) of the stage; it must fit (R5-R7, R15) a
    displaced household of the stage in that group. With D displaced
    households, D_g of them in group g, and target p: at least ceil(p × D)
    spares in all and floor(p × D_g) for each group.
    """
    out = []
    pct = rules.overcapacity_pct(scenario)
    displaced: dict[str, list[Household]] = defaultdict(list)
    for hp, h in _known(scenario, plan):
        if hp.mode is Mode.TEMPORARY:
            displaced[scenario.stage_of(h).id].append(h)
    offers = offer_periods(scenario, plan)
    places = _places(scenario, plan)
    held: dict[str, Counter[NeedGroup]] = defaultdict(Counter)
    for t in plan.places:
        for seg in t.segments:
            if seg.kind is not SegmentKind.SPARE:
                continue
            where = f"place {t.place}"
            spare = f"spare [{seg.start}, {seg.end}) of stage {seg.stage}"
            if seg.stage not in offers:
                out.append(Violation("R10", where, f"{spare}: names no stage with households"))
                continue
            start, end = offers[seg.stage]
            if (scenario.day(seg.start), scenario.day(seg.end)) != (start, end):
                out.append(
                    Violation(
                        "R10",
                        where,
                        f"{spare}: not held over the stage's offer period "
                        f"[{scenario.date_of(start)}, {scenario.date_of(end)})",
                    )
                )
            if seg.need is None:
                out.append(Violation("R10", where, f"{spare}: states no need group it is held for"))
                continue
            place = places.get(t.place)
            fits = place is not None and any(
                rules.need_group(scenario, h) == seg.need and rules.place_fits(scenario, h, place)
                for h in displaced[seg.stage]
            )
            if not fits:
                out.append(
                    Violation(
                        "R10",
                        where,
                        f"{spare}: fits no displaced household of the stage needing {seg.need}",
                    )
                )
            held[seg.stage][seg.need] += 1
    for stage in scenario.stages:
        members = displaced[stage.id]
        need = rules.spares_required(scenario, len(members))
        have = sum(held[stage.id].values())
        if have < need:
            out.append(
                Violation(
                    "R10",
                    f"stage {stage.id}",
                    f"{have} spare places for {len(members)} displaced "
                    f"households; it needs {need} (overcapacity {pct} %)",
                )
            )
        groups = Counter(rules.need_group(scenario, h) for h in members)
        for group, n in sorted(groups.items(), key=lambda kv: (kv[0].rooms, kv[0].access.value)):
            floor = rules.group_spares_required(scenario, n)
            if held[stage.id][group] < floor:
                out.append(
                    Violation(
                        "R10",
                        f"stage {stage.id}",
                        f"{held[stage.id][group]} spares for the {n} "
                        f"displaced households needing {group}; the group's share is {floor}",
                    )
                )
    return out


# -- money -----------------------------------------------------------------------


def _stage_key(item: Any) -> str | None:
    """The ``stage`` of a dumped per-stage entry, else None."""
    return item.get("stage") if isinstance(item, dict) else None


def _agree(stated: float, expected: float) -> bool:
    """Whether two amounts agree within :data:`TOLERANCE`; never for NaN or infinity.

    Written so that it fails closed: every comparison with NaN is false.
    """
    return math.isfinite(stated) and math.isfinite(expected) and abs(stated - expected) <= TOLERANCE


def _differences(path: str, stated: Any, expected: Any) -> Iterator[tuple[str, str]]:
    """Where two dumped values differ (path, how); floats within :data:`TOLERANCE`.

    Paths name the figure from the dump's top, e.g. ``costs[S1].by_category.moving``.
    """
    if isinstance(stated, dict) and isinstance(expected, dict):
        for key in sorted(set(stated) | set(expected), key=str):
            where = f"{path}.{key}".removeprefix(".")
            if key not in stated:
                yield where, f"missing (recomputed {expected[key]})"
            elif key not in expected:
                yield where, f"unexpected (stated {stated[key]})"
            else:
                yield from _differences(where, stated[key], expected[key])
    elif isinstance(stated, list) and isinstance(expected, list):
        stated_stages = [_stage_key(x) for x in stated]
        expected_stages = [_stage_key(x) for x in expected]
        if None not in expected_stages and stated_stages != expected_stages:
            yield path, f"stages {stated_stages}, expected {expected_stages}"
        elif len(stated) != len(expected):
            yield path, f"{len(stated)} entries, recomputed {len(expected)}"
        else:
            for i, (s, e) in enumerate(zip(stated, expected, strict=True)):
                yield from _differences(f"{path}[{expected_stages[i] or i}]", s, e)
    elif (
        isinstance(stated, float | int)
        and isinstance(expected, float | int)
        and not isinstance(stated, bool)
        and not isinstance(expected, bool)
    ):
        if not _agree(stated, expected):
            yield path, f"plan says {stated}, recomputed {expected}"
    elif stated != expected:
        yield path, f"plan says {stated}, recomputed {expected}"


def check_prices(plan: Plan, pricing: Pricing, objective: float | None = None) -> list[Violation]:
    """The plan's stated costs, penalties, KPIs (and objective) match the recomputation."""
    stated = plan.model_dump(mode="json", include={"costs", "penalties", "kpis"})
    expected = {
        "costs": [c.model_dump(mode="json") for c in pricing.costs],
        "penalties": pricing.penalties,
        "kpis": pricing.kpis.model_dump(mode="json"),
    }
    out = [Violation("prices", where, how) for where, how in _differences("", stated, expected)]
    if objective is not None:
        recomputed = pricing.objective_ore / 100
        if not _agree(objective, recomputed):
            out.append(
                Violation(
                    "prices",
                    "objective",
                    f"stated {objective:.2f} DKK, but cost plus penalties is {recomputed:.2f} DKK",
                )
            )
    return out


# -- all together ----------------------------------------------------------------

#: The checks :func:`check_plan` runs, in report order.
CHECKS: tuple[Callable[[Scenario, Plan], list[Violation]], ...] = (
    check_households,
    check_references,
    check_segment_order,
    check_r8_agreement,
    check_r1_window,
    check_r1_r13_moving_days,
    check_r3_r4_letters,
    check_r5_r6_r7_r15_places,
    check_stays_on_timelines,
    check_r2_r11_dwelling_timelines,
    check_r12_pavilions,
    check_r9_seniority,
    check_r10_overcapacity,
)


def check_plan(scenario: Scenario, plan: Plan, objective: float | None = None) -> CheckReport:
    """Verify ``plan`` against ``scenario`` independently of the CP-SAT model.

    Parameters
    ----------
    scenario
        The validated scenario the plan is for.
    plan
        Any plan, typically ``Result.plan`` of :func:`allocator.solve`.
    objective
        If given (DKK, e.g. ``Result.objective``), it must equal the
        recomputed budget cost plus penalties within 0.005 DKK.

    Returns
    -------
    CheckReport
        All violations found (empty if the plan is valid) and the plan priced
        afresh. It never raises for a bad plan.

    """
    violations: list[Violation] = []
    for check in CHECKS:
        try:
            violations += check(scenario, plan)
        except Exception as exc:  # a plan malformed in a way no check foresaw
            violations.append(Violation("plan", "", f"{check.__name__} could not finish: {exc!r}"))
    try:
        pricing: Pricing | None = price_plan(scenario, plan.households, plan.places)
    except UnpriceablePlan as exc:
        violations.append(Violation("plan", "", f"the plan cannot be priced: {exc}"))
        pricing = None
    if pricing is not None:
        violations += check_prices(plan, pricing, objective)
    return CheckReport(violations=violations, pricing=pricing)
