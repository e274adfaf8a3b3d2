"""R11, R15: when a dwelling can serve as a rehousing place."""

from __future__ import annotations

from dataclasses import dataclass

from allocator.rules.money import FOREVER
from allocator.rules.schedule import back_day, may_move_for_good, move_out_day
from models.scenario import Scenario


@dataclass(frozen=True)
class Availability:
    """An interval [start, end) in which a dwelling can serve as a rehousing place.

    ``vacated_by`` names the permanent mover whose renovated dwelling this is:
    the interval exists only if that household moves out for good.
    """

    dwelling: str
    start: int
    end: int
    vacated_by: str | None = None


def availabilities(scenario: Scenario) -> list[Availability]:
    """Every interval in which a dwelling can be a rehousing place.

    - vacant dwellings outside the stages: from ``vacant_from`` to ``hand_back``
      (borrowed) or open-ended;
    - vacant department dwellings of a stage: before the stage's move-out
      deadline, and again from the stage's ready day (unless merged away);
    - homes of households the plan may move out for good: from the stage's
      ready day, on condition that they do (unless merged away);
    - municipal-referral dwellings never (R15).
    """
    out = []
    removed = scenario.removed_dwellings()
    residents = {h.dwelling: h for h in scenario.households}
    stages = {s.id: s for s in scenario.stages}
    for d in scenario.dwellings:
        if d.municipal_referral:
            continue
        stage = stages.get(d.stage) if d.stage else None
        if d.vacant_from is not None:
            start = max(0, scenario.day(d.vacant_from))  # past vacancy is sunk cost
            end = scenario.day(d.hand_back) if d.hand_back else FOREVER
            if stage is None:
                out.append(Availability(d.id, start, end))
                continue
            before = min(end, move_out_day(scenario, stage))
            if start < before:
                out.append(Availability(d.id, start, before))
            after = max(start, back_day(scenario, stage))
            if d.id not in removed and after < end:
                out.append(Availability(d.id, after, end))
        elif stage is not None and d.id not in removed:
            resident = residents.get(d.id)
            if resident is not None and may_move_for_good(scenario, resident):
                out.append(Availability(d.id, back_day(scenario, stage), FOREVER, resident.id))
    return out
