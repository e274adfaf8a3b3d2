"""Apply a changes file and the fixed past to a scenario (no solver here).

:func:`apply_changes` returns the scenario the replanner plans: the old one
with each change applied and with what the past has settled: a vacancy the
old plan did not withhold before the as-of date has been let to the waiting
list and is gone, and a place the old plan released before that date is
not used again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from models.plan import PlaceTimeline, Plan, SegmentKind
from models.replan import (
    Changes,
    DwellingUnavailable,
    HouseholdChange,
    NewVacancy,
    PartnerWithdrawal,
    PavilionLate,
    StageDelay,
    VacancyLate,
)
from models.scenario import Scenario, Source

__all__ = ["ReplanError", "Unhoused", "apply_changes"]


class ReplanError(ValueError):
    """Changes that do not fit the scenario, or a past that cannot be kept.

    Parameters
    ----------
    messages
        One line per problem, each naming the field or household concerned.

    """

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


class Unhoused(ReplanError):
    """A household that has moved out can no longer keep its place: no plan houses it."""


def _unavailable(
    dwellings: dict[str, dict[str, Any]], dwelling_id: str, first: date, where: str
) -> list[str]:
    """Make ``dwelling_id`` unusable from ``first`` on; problems as field messages."""
    d = dwellings.get(dwelling_id)
    if d is None:
        return [f"{where}: unknown dwelling {dwelling_id!r}"]
    if d["vacant_from"] is None:
        return [
            f"{where}: dwelling {dwelling_id!r} is no rehousing dwelling (it has no vacant_from)"
        ]
    if first <= d["vacant_from"]:
        d["gone"] = True
    elif d["hand_back"] is None or first < d["hand_back"]:
        d["hand_back"] = first
    return []


def apply_changes(
    scenario: Scenario, changes: Changes, plan: Plan, as_of: date, source: str = "changes"
) -> Scenario:
    """The scenario to replan: ``changes`` applied, and what happened before ``as_of`` settled.

    Parameters
    ----------
    scenario
        The scenario the old plan was made for.
    changes
        The validated changes file.
    plan
        The old plan.
    as_of
        The day of replanning: what the old plan did before it has happened.
    source
        Name of the changes file, the first part of every problem.

    Returns
    -------
    Scenario
        The changed scenario (validated again).

    Raises
    ------
    ReplanError
        A change names an unknown id, or the changed scenario is invalid.

    """
    data = scenario.model_dump()
    stages = {s["id"]: s for s in data["stages"]}
    dwellings = {d["id"]: d for d in data["dwellings"]}
    households = {h["id"]: h for h in data["households"]}
    pavilions = {p["id"]: p for p in data["pavilions"]}
    problems: list[str] = []
    for i, change in enumerate(changes.changes):
        where = f"{source}: changes[{i}]"
        if isinstance(change, StageDelay):
            s = stages.get(change.stage)
            if s is None:
                problems.append(f"{where}.stage: unknown stage {change.stage!r}")
                continue
            shift = timedelta(days=change.days)
            if not change.end_only:
                s["start"] += shift
            s["end"] += shift
        elif isinstance(change, DwellingUnavailable):
            problems += _unavailable(dwellings, change.dwelling, change.from_, f"{where}.dwelling")
        elif isinstance(change, VacancyLate):
            d = dwellings.get(change.dwelling)
            if d is None or d["vacant_from"] is None:
                what = "unknown dwelling" if d is None else "no vacancy (no vacant_from):"
                problems.append(f"{where}.dwelling: {what} {change.dwelling!r}")
                continue
            d["vacant_from"] += timedelta(days=change.days)
            if d["hand_back"] is not None and d["hand_back"] <= d["vacant_from"]:
                d["gone"] = True
        elif isinstance(change, HouseholdChange):
            h = households.get(change.household)
            if h is None:
                problems.append(f"{where}.household: unknown household {change.household!r}")
                continue
            for name in ("agreement", "adults", "children"):
                if getattr(change, name) is not None:
                    h[name] = getattr(change, name)
        elif isinstance(change, NewVacancy):
            if change.dwelling.id in dwellings:
                problems.append(f"{where}.dwelling.id: dwelling {change.dwelling.id!r} exists")
                continue
            new = change.dwelling.model_dump()
            data["dwellings"].append(new)
            dwellings[new["id"]] = new
        elif isinstance(change, PartnerWithdrawal):
            ids = change.dwellings or [
                d["id"] for d in data["dwellings"] if d["source"] is Source.PARTNER
            ]
            for k, dwelling_id in enumerate(ids):
                d = dwellings.get(dwelling_id)
                if d is not None and d["source"] is not Source.PARTNER:
                    problems.append(
                        f"{where}.dwellings[{k}]: dwelling {dwelling_id!r} is no partner dwelling"
                    )
                    continue
                problems += _unavailable(
                    dwellings, dwelling_id, change.from_, f"{where}.dwellings[{k}]"
                )
        elif isinstance(change, PavilionLate):
            p = pavilions.get(change.pavilion)
            if p is None:
                problems.append(f"{where}.pavilion: unknown pavilion type {change.pavilion!r}")
                continue
            p["lead_days"] += change.days
    if problems:
        raise ReplanError(problems)
    _settle_the_past(data, plan, as_of)
    gone = [d for d in data["dwellings"] if d.pop("gone", False)]
    for d in gone:
        if d["stage"] is None and d["id"] not in _replaced(data):
            data["dwellings"].remove(d)
        else:  # a department dwelling named elsewhere: a day's use fits no stay
            d["hand_back"] = d["vacant_from"] + timedelta(days=1)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ReplanError(
            [f"{source}: the changed scenario is invalid: {e['msg']}" for e in exc.errors()]
        ) from None


def _replaced(data: dict[str, Any]) -> set[str]:
    """Dwellings merged into after-renovation dwellings."""
    return {r for a in data["after_dwellings"] for r in a["replaces"]}


def _settle_the_past(data: dict[str, Any], plan: Plan, as_of: date) -> None:
    """Vacancies not withheld before ``as_of`` are let; places released before it are gone.

    A department dwelling of a stage that the plan did not withhold is
    still empty, waiting for its works: usable from ``as_of`` on.
    """
    timelines: dict[str, list[PlaceTimeline]] = {}
    for t in plan.places:
        if t.pavilion_type is None:
            timelines.setdefault(t.place, []).append(t)
    replaced = _replaced(data)
    for d in data["dwellings"]:
        if d["vacant_from"] is None:
            continue
        used = timelines.get(d["id"], [])
        if not any(t.collected_from < as_of for t in used):
            if d["vacant_from"] >= as_of:
                continue
            if d["stage"] is None and d["id"] not in replaced:
                d["gone"] = True  # let to the waiting list: the plan did not withhold it
            elif d["hand_back"] is None or d["hand_back"] > as_of:
                d["vacant_from"] = as_of  # a department dwelling awaiting its works: still empty
            else:
                d["gone"] = True
            continue
        if d["stage"] is not None:
            continue  # its use ends at its stage's move-out anyway
        released = max(t.released for t in used)
        let_for_good = any(seg.kind is SegmentKind.PERMANENT for t in used for seg in t.segments)
        if not let_for_good and d["vacant_from"] < released <= as_of:
            hand_back = d["hand_back"]
            d["hand_back"] = released if hand_back is None else min(hand_back, released)
