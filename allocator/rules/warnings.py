"""What a scenario cannot meet, told before solving (R3, R4, R8, R9).

These are warnings, not errors: the planner sees them in ``validate`` and
in every result. A scenario with a warning may still have a plan.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date

from allocator.rules.calendar import interview_date, legal_notice_date, notice_date
from allocator.rules.schedule import Unschedulable, move_out_day, schedule
from allocator.rules.seniority import after_eligible
from models.scenario import Agreement, Scenario, Stage


def notice_warnings(scenario: Scenario) -> list[str]:
    """R1, R3, R4 checked before solving: deadlines that have passed.

    Per stage: a move-out deadline before the planning date (no plan keeps
    R1), a notice date (R3) of one of its households before the planning
    date (the legal minimum or only the guide's practice), and interviews
    (R4, a year before each move) that are due before the planning date.
    """
    today = scenario.policy.planning_date
    out = [
        f"stage {stage.id}: its move-out day (start minus "
        f"{scenario.policy.clearing_days} days) is before the planning date {today}; "
        "no plan can keep R1"
        for stage in scenario.stages
        if move_out_day(scenario, stage) < 0
    ]
    try:
        sched = schedule(scenario)
    except Unschedulable as exc:
        return [*out, str(exc)]
    first: dict[str, date] = {}
    for h in scenario.households:
        sid = scenario.stage_of(h).id
        moved = scenario.date_of(sched.move_out[h.id])
        first[sid] = min(first.get(sid, moved), moved)
    interviews: dict[str, list[str]] = defaultdict(list)
    for h in scenario.households:
        if interview_date(scenario, scenario.date_of(sched.move_out[h.id])) < today:
            interviews[scenario.stage_of(h).id].append(h.id)
    for stage in scenario.stages:
        if move_out_day(scenario, stage) < 0:
            continue
        moved = first.get(stage.id, scenario.date_of(move_out_day(scenario, stage)))
        recommended = notice_date(scenario, stage.start, moved)
        legal = legal_notice_date(scenario, stage.start, moved)
        if legal < today:
            out.append(
                f"stage {stage.id}: even the legal {scenario.policy.legal_notice_months}-month "
                f"notice date {legal} (before the first move on {moved}) is before the "
                f"planning date {today}; the stage cannot start as given"
            )
        elif recommended < today:
            out.append(
                f"stage {stage.id}: the notice date {recommended} "
                f"({scenario.policy.notice_months} months before start) is before the planning "
                f"date {today}; only the legal minimum ({legal}) can still be met"
            )
        late = interviews.get(stage.id)
        if late:
            due = interview_date(scenario, moved)
            out.append(
                f"stage {stage.id}: R4: interviews are due a year before each move (the first "
                f"by {due}); for {len(late)} of its households that day is before the planning "
                f"date {today}: hold them as soon as possible"
            )
    return out


def wish_warnings(scenario: Scenario) -> list[str]:
    """R8, R9 checked before solving: wishes that no rule can ever grant.

    A household with a ``permanent`` agreement takes no part in R9, so its
    wishes are ignored; a wish for a dwelling the household is not eligible
    for (R5 size or wished maximum, R6 access) can never be granted; a
    household whose home is merged away needs a wish it can win.
    """
    out = []
    for h in scenario.households:
        if not h.wishes:
            continue
        if h.agreement is Agreement.PERMANENT:
            out.append(
                f"household {h.id}: R9: has a permanent agreement but wishes after-renovation "
                f"dwellings ({', '.join(h.wishes)}); a permanent mover takes no part in R9, "
                "so the wishes are ignored"
            )
            continue
        for a_id in h.wishes:
            if not after_eligible(scenario, h, scenario.after_dwelling(a_id)):
                out.append(
                    f"household {h.id}: R9: wishes after-renovation dwelling {a_id}, which it "
                    "is not eligible for (size, its wished maximum of rooms or access); the "
                    "wish can never be granted"
                )
    with contextlib.suppress(Unschedulable):  # notice_warnings reports it
        out += schedule(scenario).problems
    return out


def _first_move(scenario: Scenario, stage: Stage) -> date:
    """The day the first household of ``stage`` moves out (its deadline if none does)."""
    try:
        sched = schedule(scenario)
    except Unschedulable:
        return scenario.date_of(move_out_day(scenario, stage))
    return scenario.date_of(sched.first_out.get(stage.id, move_out_day(scenario, stage)))


def stage_notice_date(scenario: Scenario, stage: Stage) -> date:
    """R3: the day the notices of ``stage`` must go out by (its first mover's notice date)."""
    return notice_date(scenario, stage.start, _first_move(scenario, stage))


def stage_legal_notice_date(scenario: Scenario, stage: Stage) -> date:
    """R3: the last day the notices of ``stage`` meet the legal minimum."""
    return legal_notice_date(scenario, stage.start, _first_move(scenario, stage))
