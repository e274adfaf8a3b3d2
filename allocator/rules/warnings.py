"""What a scenario cannot meet, told before solving (R3, R4, R8, R9).

These are warnings, not errors: the planner sees them in ``validate`` and
in every result. A scenario with a warning may still have a plan. They are
English by default (``result.json`` keeps them so); outputs ask for theirs
in the output's language (``lang``), from the message catalogue.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date

from allocator.i18n import Lang, day, gettext
from allocator.rules.calendar import interview_date, legal_notice_date, notice_date
from allocator.rules.schedule import Unschedulable, move_out_day, schedule
from allocator.rules.seniority import after_eligible
from models.scenario import Agreement, Scenario, Stage


def _date(value: date, lang: Lang) -> str:
    """ISO in English (as ``result.json`` has always had it), the long form otherwise."""
    return value.isoformat() if lang == "en" else day(value, lang)


def notice_warnings(scenario: Scenario, lang: Lang = "en") -> list[str]:
    """R1, R3, R4 checked before solving: deadlines that have passed.

    Per stage: a move-out deadline before the planning date (no plan keeps
    R1), a notice date (R3) of one of its households before the planning
    date (the legal minimum or only the guide's practice), and interviews
    (R4, a year before each move) that are due before the planning date.
    """
    today = scenario.policy.planning_date
    _ = gettext
    out = [
        _(
            "stage %(stage)s: its move-out day (start minus %(days)s days) is before the "
            "planning date %(today)s; no plan can keep R1",
            lang,
        )
        % {"stage": stage.id, "days": scenario.policy.clearing_days, "today": _date(today, lang)}
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
                _(
                    "stage %(stage)s: even the legal %(months)s-month notice date %(legal)s "
                    "(before the first move on %(moved)s) is before the planning date "
                    "%(today)s; the stage cannot start as given",
                    lang,
                )
                % {
                    "stage": stage.id,
                    "months": scenario.policy.legal_notice_months,
                    "legal": _date(legal, lang),
                    "moved": _date(moved, lang),
                    "today": _date(today, lang),
                }
            )
        elif recommended < today:
            out.append(
                _(
                    "stage %(stage)s: the notice date %(notice)s (%(months)s months before "
                    "start) is before the planning date %(today)s; only the legal minimum "
                    "(%(legal)s) can still be met",
                    lang,
                )
                % {
                    "stage": stage.id,
                    "notice": _date(recommended, lang),
                    "months": scenario.policy.notice_months,
                    "today": _date(today, lang),
                    "legal": _date(legal, lang),
                }
            )
        late = interviews.get(stage.id)
        if late:
            due = interview_date(scenario, moved)
            out.append(
                _(
                    "stage %(stage)s: R4: interviews are due a year before each move (the "
                    "first by %(due)s); for %(late)s of its households that day is before the "
                    "planning date %(today)s: hold them as soon as possible",
                    lang,
                )
                % {
                    "stage": stage.id,
                    "due": _date(due, lang),
                    "late": len(late),
                    "today": _date(today, lang),
                }
            )
    return out


def wish_warnings(scenario: Scenario, lang: Lang = "en") -> list[str]:
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
                gettext(
                    "household %(household)s: R9: has a permanent agreement but wishes "
                    "after-renovation dwellings (%(wishes)s); a permanent mover takes no part "
                    "in R9, so the wishes are ignored",
                    lang,
                )
                % {"household": h.id, "wishes": ", ".join(h.wishes)}
            )
            continue
        for a_id in h.wishes:
            if not after_eligible(scenario, h, scenario.after_dwelling(a_id)):
                out.append(
                    gettext(
                        "household %(household)s: R9: wishes after-renovation dwelling "
                        "%(after)s, which it is not eligible for (size, its wished maximum of "
                        "rooms or access); the wish can never be granted",
                        lang,
                    )
                    % {"household": h.id, "after": a_id}
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


def warnings_in(scenario: Scenario, warnings: list[str], lang: Lang) -> list[str]:
    """``warnings`` (a result's, in English) with the scenario's own ones in ``lang``.

    A result keeps the scenario's notice and wish warnings in English
    (``result.json``); an output shows them in its language instead, once,
    followed by the result's other warnings (from the search) as they are.
    """
    english = set(notice_warnings(scenario) + wish_warnings(scenario))
    ours = notice_warnings(scenario, lang) + wish_warnings(scenario, lang)
    return ours + [w for w in warnings if w not in english and w not in ours]
