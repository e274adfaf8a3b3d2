"""R1, R8, R9, R13: what can happen to each household, and on which day it moves.

The :class:`Schedule` of a scenario is fixed before any optimisation:

- **seniority** (R9): the after-renovation dwelling each winning household
  gets (:func:`allocator.rules.seniority.seniority_allocation`);
- **outcomes** (R8): what the plan may choose for each household. A
  household that won a dwelling moves into it (directly if it is ready on
  its move-out day, else after a temporary stay); one that takes part in R9
  and won nothing returns to its own dwelling; a household without wishes
  returns (``temporary``), moves for good (``permanent``) or either
  (``undecided``: the plan recommends). Only a household whose home is
  merged away and which won nothing may be moved for good against that;
- **moving days** (R1, R13): every household of a stage moves out on a
  working day no later than the stage's move-out deadline ``out(s)`` (start
  minus ``clearing_days``), at most ``policy.moves_per_day`` moves a day per
  department (stages of one department share one moving company). The
  moves are planned as late as possible, staircase by staircase (dwellings
  in address order, the first moving first). Returns (to the own dwelling,
  or into an after-renovation dwelling) are planned as early as possible
  from the day the dwellings are ready, on the same capacity, in the order
  the households moved out. A slot is kept for every household that may
  return, so the capacity holds whichever outcomes the plan chooses.

A stage's **block** is what its rehousing places are reserved for: from its
first move-out day to the last return day of the return period its
households move back in (see docs/MODEL.md). Its **offer period** runs from
``policy.offer_days`` before its first move-out day to its last one: spare
places (R10) are held ready over it.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from allocator.rules.calendar import working_days
from allocator.rules.seniority import seniority_allocation, seniority_key, takes_part
from models.scenario import AfterDwelling, Agreement, Household, PermanentAgreement, Scenario, Stage


class Outcome(Enum):
    """What can happen to a household (R8, R9)."""

    OWN = "own"  # temporary stay, then back to its own dwelling
    AFTER = "after"  # temporary stay, then into the after-renovation dwelling it won
    DIRECT = "direct"  # straight into the after-renovation dwelling it won
    PERMANENT = "permanent"  # for good to an own-organisation dwelling


#: Outcomes with a temporary stay.
STAYS = (Outcome.OWN, Outcome.AFTER)

#: Moves per outcome (R13): out and back, or one move.
MOVES = {Outcome.OWN: 2, Outcome.AFTER: 2, Outcome.DIRECT: 1, Outcome.PERMANENT: 1}


class Unschedulable(ValueError):
    """The households of a stage cannot all move out in time at the moving capacity."""


def move_out_day(scenario: Scenario, stage: Stage) -> int:
    """R1: the day households of ``stage`` must be out by (start minus clearing)."""
    return scenario.day(stage.start) - scenario.policy.clearing_days


def back_day(scenario: Scenario, stage: Stage) -> int:
    """R1: the first day the dwellings of ``stage`` are ready again (end plus ready days)."""
    return scenario.day(stage.end) + scenario.policy.ready_days


def stage_by_id(scenario: Scenario, stage_id: str) -> Stage:
    """The stage with id ``stage_id``."""
    return next(s for s in scenario.stages if s.id == stage_id)


def ready_day(scenario: Scenario, after: AfterDwelling) -> int:
    """The first day an after-renovation dwelling can be moved into."""
    return back_day(scenario, stage_by_id(scenario, after.stage))


def department(stage: Stage) -> str:
    """The department whose moving company moves the households of ``stage``."""
    return stage.department or ""


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``A-2`` before ``A-10`` (numbers as numbers)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text)
    )


@dataclass(frozen=True)
class Schedule:
    """Outcomes and moving days of every household, fixed before optimisation.

    Attributes
    ----------
    won
        R9: household id -> the after-renovation dwelling it gets.
    outcomes
        Household id -> the outcomes the plan may choose from (empty: none is
        possible, the scenario is infeasible; ``problems`` says why).
    move_out
        Household id -> the day it moves out (every household moves out).
    returns
        Household id -> the day it moves back, for households with an
        outcome that returns (:data:`STAYS`).
    first_out, last_out
        Stage id -> its first and last move-out day.
    returns_end
        Stage id -> the last day households move back into its dwellings
        (its own households and the winners of its after-renovation dwellings),
        the day their rehousing places are free; its ready day if nobody returns.
    problems
        Sentences for what no plan can meet (a household with no outcome).

    """

    won: dict[str, str]
    outcomes: dict[str, tuple[Outcome, ...]]
    move_out: dict[str, int]
    returns: dict[str, int]
    first_out: dict[str, int]
    last_out: dict[str, int]
    returns_end: dict[str, int]
    offer_days: int
    problems: list[str] = field(default_factory=list)

    def return_stage(self, scenario: Scenario, household: Household) -> str:
        """The stage whose return period ``household`` moves back in (if it returns)."""
        after = self.won.get(household.id)
        if after is not None and Outcome.AFTER in self.outcomes[household.id]:
            return scenario.after_dwelling(after).stage
        return scenario.stage_of(household).id

    def block(self, stage: str, returns_into: str) -> tuple[int, int]:
        """[start, end) a rehousing place is reserved for a stay of ``stage``.

        From the stage's first move-out day to the end of the return period
        of ``returns_into`` (the stage whose dwellings the household moves into).
        """
        return self.first_out[stage], self.returns_end[returns_into]

    def offer_period(self, stage: str) -> tuple[int, int]:
        """[start, end) of the stage's offer period (R10), never before day 0."""
        return max(0, self.first_out[stage] - self.offer_days), self.last_out[stage] + 1


def outcomes_of(
    scenario: Scenario, household: Household, won: str | None, move_out: int
) -> tuple[Outcome, ...]:
    """R8, R9: the outcomes the plan may choose for ``household``."""
    removed = household.dwelling in scenario.removed_dwellings()
    out: list[Outcome] = []
    if household.agreement is Agreement.PERMANENT:
        out.append(Outcome.PERMANENT)
        if scenario.policy.permanent_agreement is PermanentAgreement.SOFT and not removed:
            out.append(Outcome.OWN)
        return tuple(out)
    if won is not None:
        ready = ready_day(scenario, scenario.after_dwelling(won))
        return (Outcome.DIRECT,) if ready <= move_out else (Outcome.AFTER,)
    if not removed:
        out.append(Outcome.OWN)
    # a household with wishes wants to stay: it moves for good only if its home
    # is merged away and it won nothing, and its agreement allows it
    if household.agreement is Agreement.UNDECIDED and (not takes_part(household) or removed):
        out.append(Outcome.PERMANENT)
    return tuple(out)


def _may_leave(scenario: Scenario, household: Household, won: dict[str, str]) -> bool:
    """Whether ``household`` may move for good, before its moving day is known."""
    # the moving day only decides between DIRECT and AFTER, never PERMANENT
    return Outcome.PERMANENT in outcomes_of(scenario, household, won.get(household.id), 0)


def may_move_for_good(scenario: Scenario, household: Household) -> bool:
    """Whether the plan may move ``household`` out for good (its home then frees up)."""
    return Outcome.PERMANENT in schedule(scenario).outcomes[household.id]


_CACHE: dict[int, tuple[weakref.ref[Scenario], Schedule]] = {}


def schedule(scenario: Scenario) -> Schedule:
    """The :class:`Schedule` of ``scenario``, computed once per scenario object.

    Raises
    ------
    Unschedulable
        If a stage's households cannot all move out by its deadline.

    """
    key = id(scenario)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is scenario:
        return hit[1]
    made = _schedule(scenario)
    _CACHE[key] = (weakref.ref(scenario, lambda _: _CACHE.pop(key, None)), made)
    return made


class _Capacity:
    """Moves booked per department and day, and the working-day calendar."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.cap = scenario.policy.moves_per_day
        self.used: dict[tuple[str, int], int] = defaultdict(int)
        self.calendar = working_days(scenario)
        self._resume: dict[tuple[str, int, int], int] = {}

    def latest(self, dept: str, day: int) -> int:
        """The last working day on or before ``day`` with a free move in ``dept``."""
        return self._free(dept, day, -1)

    def earliest(self, dept: str, day: int) -> int:
        """The first working day on or after ``day`` with a free move in ``dept``."""
        return self._free(dept, day, 1)

    def _free(self, dept: str, day: int, step: int) -> int:
        """The first working day with a free move from ``day`` in direction ``step``.

        Days only fill up, so a search from the same day resumes where the
        last one ended (without this, a stage's households would rescan
        their full days one after the other).
        """
        key = (dept, day, step)
        t = self._resume.get(key, day)
        while True:
            d = self.scenario.date_of(t)
            d = self.calendar.on_or_after(d) if step > 0 else self.calendar.on_or_before(d)
            t = self.scenario.day(d)
            if self.used[(dept, t)] < self.cap:
                self._resume[key] = t
                return t
            t += step

    def book(self, dept: str, day: int) -> int:
        self.used[(dept, day)] += 1
        return day


def _schedule(scenario: Scenario) -> Schedule:
    won = seniority_allocation(scenario)
    cap = _Capacity(scenario)
    by_stage: dict[str, list[Household]] = defaultdict(list)
    for h in scenario.households:
        by_stage[scenario.stage_of(h).id].append(h)
    stages = sorted(scenario.stages, key=lambda s: (move_out_day(scenario, s), s.id))

    # move-outs: as late as possible; households who may move for good first
    # (permanent rehousing starts early, and so they share few moving days),
    # then staircase by staircase
    move_out: dict[str, int] = {}
    for stage in stages:
        dept, deadline = department(stage), move_out_day(scenario, stage)
        members = sorted(
            by_stage[stage.id],
            key=lambda h: (not _may_leave(scenario, h, won), natural_key(h.dwelling)),
        )
        day = deadline
        for h in reversed(members):
            day = cap.latest(dept, day)
            if day < 0:
                raise Unschedulable(
                    f"stage {stage.id}: its {len(members)} households cannot all move out by "
                    f"{scenario.date_of(deadline)} at {cap.cap} moves a working day "
                    f"from the planning date {scenario.policy.planning_date}; raise "
                    "policy.moves_per_day or start the stage later"
                )
            move_out[h.id] = cap.book(dept, day)

    outcomes = {
        h.id: outcomes_of(scenario, h, won.get(h.id), move_out[h.id]) for h in scenario.households
    }
    problems = [
        f"household {h.id}: its dwelling is merged away and it can win no wished "
        "after-renovation dwelling, so it has nowhere to return to"
        for h in scenario.households
        if not outcomes[h.id]
    ]

    # returns: as early as possible from the ready day, in move-out order
    returning: dict[str, list[Household]] = defaultdict(list)
    for h in scenario.households:
        if any(o in STAYS for o in outcomes[h.id]):
            after = won.get(h.id) if Outcome.AFTER in outcomes[h.id] else None
            into = scenario.after_dwelling(after).stage if after else scenario.stage_of(h).id
            returning[into].append(h)
    returns: dict[str, int] = {}
    returns_end: dict[str, int] = {}
    for stage in sorted(scenario.stages, key=lambda s: (back_day(scenario, s), s.id)):
        ready = back_day(scenario, stage)
        last = ready
        for h in sorted(
            returning[stage.id],
            key=lambda h: (move_out[h.id], seniority_key(scenario, h)),
        ):
            day = cap.book(department(stage), cap.earliest(department(stage), ready))
            returns[h.id] = day
            last = max(last, day)
        returns_end[stage.id] = last  # a place is free on its occupant's return day
    first_out, last_out = {}, {}
    for s in stages:
        days = [move_out[h.id] for h in by_stage[s.id]] or [move_out_day(scenario, s)]
        first_out[s.id], last_out[s.id] = min(days), max(days)
    return Schedule(
        won=won,
        outcomes=outcomes,
        move_out=move_out,
        returns=returns,
        first_out=first_out,
        last_out=last_out,
        returns_end=returns_end,
        offer_days=scenario.policy.offer_days,
        problems=problems,
    )
