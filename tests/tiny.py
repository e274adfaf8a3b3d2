"""Tiny hand-built scenarios and plans for tests.

Scenario builders come in two layers:

- item builders (:func:`stage`, :func:`home`, :func:`vacant`,
  :func:`household`, :func:`pavilion_type`, :func:`after_dwelling`) return
  plain dicts with readable defaults; any keyword overrides a field;
- :func:`scenario` validates lists of such dicts into a ``Scenario``, and
  :func:`tiny` / :func:`two_stage` build the two standard cases below.
  :func:`changed` changes one item of the raw data by id, so a test can say
  ``scenario(changed(tiny_data(), "households", "H1", wheelchair=True))``.

Plan builders (:func:`temporary`, :func:`permanent`, :func:`direct`,
:func:`seg`, :func:`timeline`) fill in the dates the rules demand, so a
hand-made plan reads like the planner's own notes. :func:`tiny_plan` and
:func:`two_stage_plan` are valid, hand-made plans of the standard cases.

Calendar of the standard stage S1 (planning date 2025-01-01 = day 0;
a month's rent of 3,650 DKK is exactly 120 DKK a day, 7,300 DKK is 240):

========== ===== ==============================================
date        day  what
========== ===== ==============================================
2025-02-01   31  notice date of S1 (4 months before start)
2025-04-01   90  O3 falls vacant
2025-04-01   91  S1's offer period starts (30 days before its first move-out)
2025-05-02  121  out(S1): move-out day (start - 30 days), a Friday: up to 8
                 households move out that day, more on the working days before
2025-06-01  151  S1 starts
2025-09-01  243  S1 ends
2025-09-15  257  back(S1): return day (end + 14 days), a Monday: with up to 8
                 households all return that day, so a place of S1 is reserved
                 for the block [121, 257)
2025-10-01  274  a pavilion rented from day 91 ends its 6-month minimum (91 + 183)
========== ===== ==============================================

The notice date of S1 is Friday 2025-01-31 (day 30): 4 months before start
falls on Saturday 2025-02-01.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from allocator import rules
from allocator.plan.pricing import build_plan
from allocator.solving.entry import solve
from models.plan import (
    Access,
    HouseholdPlan,
    Mode,
    NeedGroup,
    PlaceTimeline,
    Plan,
    Result,
    Segment,
    SegmentKind,
)
from models.scenario import Scenario, Source

PLANNING_DATE = "2025-01-01"

#: Days of the standard stage S1 (see the module docstring).
OUT_S1 = 121
BACK_S1 = 257
#: First day of S1's offer period (R10) when all its households move out on OUT_S1.
OFFER_S1 = 91

Item = dict[str, Any]


# -- scenario items ----------------------------------------------------------------


def stage(
    id: str = "S1", start: str = "2025-06-01", end: str = "2025-09-01", **fields: Any
) -> Item:
    """A stage; by default S1, works [2025-06-01, 2025-09-01)."""
    return {"id": id, "start": start, "end": end, **fields}


def home(
    id: str, stage: str = "S1", rooms: int = 2, monthly_rent: float = 3650.0, **fields: Any
) -> Item:
    """A department dwelling of ``stage`` that a household lives in (120 DKK a day)."""
    return {
        "id": id,
        "source": "own_department",
        "stage": stage,
        "rooms": rooms,
        "area_m2": 30.0 * rooms,
        "monthly_rent": monthly_rent,
        **fields,
    }


def vacant(
    id: str,
    vacant_from: str,
    source: str = "own_organisation",
    rooms: int = 2,
    monthly_rent: float = 3650.0,
    **fields: Any,
) -> Item:
    """A vacant dwelling usable for rehousing from ``vacant_from`` (120 DKK a day)."""
    return {
        "id": id,
        "source": source,
        "rooms": rooms,
        "area_m2": 30.0 * rooms,
        "monthly_rent": monthly_rent,
        "vacant_from": vacant_from,
        **fields,
    }


def household(id: str, dwelling: str, seniority_date: str = "2010-01-01", **fields: Any) -> Item:
    """A household of one adult with a temporary agreement, living in ``dwelling``."""
    return {"id": id, "dwelling": dwelling, "seniority_date": seniority_date, **fields}


def pavilion_type(id: str = "PT", **fields: Any) -> Item:
    """A 2-room module type: 1 available, 10,000 + 5,000 DKK set-up and removal,
    120 DKK a day, at least 6 months, 90 days lead time."""
    return {
        "id": id,
        "rooms": 2,
        "max_count": 1,
        "setup_cost": 10000.0,
        "removal_cost": 5000.0,
        "monthly_rent": 3650.0,
        "min_months": 6,
        "lead_days": 90,
        **fields,
    }


def after_dwelling(
    id: str, stage: str = "S1", rooms: int = 2, monthly_rent: float = 1825.0, **fields: Any
) -> Item:
    """An after-renovation dwelling of ``stage`` (60 DKK a day), ready at back(stage)."""
    return {
        "id": id,
        "stage": stage,
        "rooms": rooms,
        "area_m2": 30.0 * rooms,
        "monthly_rent": monthly_rent,
        **fields,
    }


def edit(items: Iterable[Item], id: str, **changes: Any) -> list[Item]:
    """A copy of ``items`` where the item with ``id`` has ``changes`` applied."""
    out = [dict(item, **changes) if item["id"] == id else dict(item) for item in items]
    if not any(item["id"] == id for item in out):
        raise KeyError(id)
    return out


def changed(data: Item, kind: str, id: str, **changes: Any) -> Item:
    """A copy of scenario ``data`` where item ``id`` of list ``kind`` has ``changes``.

    ``kind`` is ``"households"``, ``"dwellings"``, ``"pavilions"``, ... .
    """
    return {**data, kind: edit(data[kind], id, **changes)}


def scenario(data: Item, **overrides: Any) -> Scenario:
    """Validate scenario ``data`` with top-level ``overrides``.

    Dict-valued overrides of ``policy``, ``costs`` and ``penalties`` are
    merged into the data's; any other override replaces the field.
    """
    merged = dict(data)
    for key, value in overrides.items():
        if key in ("policy", "costs", "penalties"):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    merged["policy"] = {"planning_date": PLANNING_DATE, **merged.get("policy", {})}
    return Scenario.model_validate(merged)


# -- the standard cases ---------------------------------------------------------------


def tiny_data() -> Item:
    """Raw data of :func:`tiny`, for tests that change it before validating.

    One stage S1 and three households:

    - H1: 2 adults in A1 (3 rooms, 240 DKK a day), stores goods, needs step-free
      access, wishes at least 3 rooms; temporary;
    - H2: 1 adult in A2, permanent agreement;
    - H3: 1 adult in A3, elderly, prefers the own organisation; temporary.

    Rehousing: O1 vacant from day 0, O2 from day 121, O3 from day 90 (all own
    organisation, 2 rooms, ground floor, 120 DKK a day) and pavilion type PT.
    Half the own rent is let off during a stay (``rent_reduction`` 0.5).
    """
    return {
        "name": "tiny",
        "municipality": "Aarhus",
        # inspections and cleaning are priced in tests of their own
        "costs": {"rent_reduction": 0.5, "inspection": 0.0, "cleaning": 0.0},
        "stages": [stage()],
        "dwellings": [
            home("A1", rooms=3, monthly_rent=7300.0),
            home("A2"),
            home("A3"),
            vacant("O1", "2025-01-01"),
            vacant("O2", "2025-05-02"),
            vacant("O3", "2025-04-01"),
        ],
        "households": [
            household(
                "H1", "A1", "2005-03-01", adults=2, storage=True, step_free=True, rooms_min=3
            ),
            household("H2", "A2", "2010-01-01", agreement="permanent"),
            household(
                "H3", "A3", "2015-01-01", elderly=True, preferred_sources=["own_organisation"]
            ),
        ],
        "pavilions": [pavilion_type()],
    }


def tiny(**overrides: Any) -> Scenario:
    """The standard one-stage case of :func:`tiny_data`, with ``overrides``."""
    return scenario(tiny_data(), **overrides)


def two_stage_data() -> Item:
    """Raw data of :func:`two_stage`: after-renovation dwellings by seniority (R9).

    - S1 works [2025-06-01, 2025-09-01): out day 121, back day 257;
      S2 works [2025-11-01, 2026-01-01): out day 274, back day 379.
    - N1 and N2 are after-renovation dwellings of S1 (2 rooms, 60 DKK a
      day), ready on day 257.
    - H1 (A1, S1, senior, wishes N1), H2 (A2, S1, junior, wishes N1),
      H4 (B1, S2, wishes N2).
    - O1 and O2 vacant from day 121. No overcapacity is required.
    """
    return {
        "name": "two_stage",
        "policy": {"overcapacity": 0.0},
        "costs": {"inspection": 0.0, "cleaning": 0.0},
        "stages": [stage(), stage("S2", "2025-11-01", "2026-01-01")],
        "dwellings": [
            home("A1"),
            home("A2"),
            home("B1", stage="S2"),
            vacant("O1", "2025-05-02"),
            vacant("O2", "2025-05-02"),
        ],
        "households": [
            household("H1", "A1", "2005-01-01", wishes=["N1"]),
            household("H2", "A2", "2010-01-01", wishes=["N1"]),
            household("H4", "B1", "2012-01-01", wishes=["N2"]),
        ],
        "after_dwellings": [after_dwelling("N1"), after_dwelling("N2")],
    }


def two_stage(**overrides: Any) -> Scenario:
    """The two-stage case of :func:`two_stage_data`, with ``overrides``."""
    return scenario(two_stage_data(), **overrides)


# -- plan pieces ----------------------------------------------------------------------


def _day(scn: Scenario, day: int) -> date:
    return scn.date_of(day)


def _dates(scn: Scenario, household_id: str) -> tuple[str, date, date, int | None]:
    """Stage id, notice date, move-out date and return day of a household (the schedule's)."""
    h = scn.household(household_id)
    stg = scn.stage_of(h)
    sched = rules.schedule(scn)
    move_out = _day(scn, sched.move_out[household_id])
    return stg.id, rules.notice_date(scn, stg.start, move_out), move_out, sched.returns.get(h.id)


def temporary(
    scn: Scenario, household_id: str, place: str, *, after: str | None = None
) -> HouseholdPlan:
    """A temporary stay in ``place`` (dwelling id or pavilion module id) per the rules.

    It moves out and back on its days of :func:`allocator.rules.schedule`
    (into the after-renovation dwelling ``after`` if given). A place that is
    not a dwelling is taken as a pavilion module.
    """
    stage_id, notice, move_out, back = _dates(scn, household_id)
    if back is None:  # not a return the schedule plans (tests of broken plans): the ready day
        ready = (
            rules.ready_day(scn, scn.after_dwelling(after))
            if after
            else rules.back_day(scn, scn.stage_of(scn.household(household_id)))
        )
        back = rules.working_days(scn).on_or_after(_day(scn, ready))
        back = scn.day(back)
    dwellings = {d.id: d for d in scn.dwellings}
    source = dwellings[place].source if place in dwellings else Source.PAVILION
    return HouseholdPlan(
        household=household_id,
        stage=stage_id,
        mode=Mode.TEMPORARY,
        notice_date=notice,
        move_out=move_out,
        place=place,
        place_source=source,
        return_date=_day(scn, back),
        return_letter_date=rules.return_letter_date(scn, _day(scn, back)),
        after_dwelling=after,
    )


def permanent(scn: Scenario, household_id: str, dwelling: str) -> HouseholdPlan:
    """A permanent move into ``dwelling`` on its moving day."""
    stage_id, notice, move_out, _ = _dates(scn, household_id)
    return HouseholdPlan(
        household=household_id,
        stage=stage_id,
        mode=Mode.PERMANENT,
        notice_date=notice,
        move_out=move_out,
        permanent_dwelling=dwelling,
    )


def direct(scn: Scenario, household_id: str, after: str) -> HouseholdPlan:
    """A direct move into the after-renovation dwelling ``after`` on its moving day."""
    stage_id, notice, move_out, _ = _dates(scn, household_id)
    return HouseholdPlan(
        household=household_id,
        stage=stage_id,
        mode=Mode.DIRECT,
        notice_date=notice,
        move_out=move_out,
        after_dwelling=after,
    )


def seg(
    scn: Scenario,
    kind: str,
    start: int,
    end: int | None = None,
    household: str | None = None,
    stage: str | None = None,
    need: str | None = None,
) -> Segment:
    """A segment [start, end) in day numbers; ``end`` defaults to ``start`` (a mark).

    ``need`` of a spare: ``"ROOMS/ACCESS"``, e.g. ``"1/none"`` or ``"2/step_free"``.
    """
    group = None
    if need is not None:
        rooms, access = need.split("/")
        group = NeedGroup(rooms=int(rooms), access=Access(access))
    return Segment(
        kind=SegmentKind(kind),
        start=_day(scn, start),
        end=_day(scn, start if end is None else end),
        household=household,
        stage=stage,
        need=group,
    )


def timeline(
    scn: Scenario,
    place: str,
    segments: list[Segment],
    *,
    pavilion_type: str | None = None,
    released: int | None = None,
    collected_from: int | None = None,
) -> PlaceTimeline:
    """A place timeline collected from its first segment's start (or ``collected_from``).

    ``released`` (a day) defaults to the end of the last segment; pass it for
    pavilion modules whose minimum rental runs longer. A pavilion module is
    collected from the first day of its first stage's offer period (not
    before its lead time) unless ``collected_from`` says otherwise.
    """
    if pavilion_type is not None and collected_from is None:
        first = segments[0].stage
        lead = next(p.lead_days for p in scn.pavilions if p.id == pavilion_type)
        collected_from = max(rules.schedule(scn).offer_period(first or "")[0], lead)
    dwellings = {d.id: d for d in scn.dwellings}
    return PlaceTimeline(
        place=place,
        source=Source.PAVILION if pavilion_type else dwellings[place].source,
        pavilion_type=pavilion_type,
        collected_from=segments[0].start if collected_from is None else _day(scn, collected_from),
        released=segments[-1].end if released is None else _day(scn, released),
        segments=segments,
    )


# -- hand-made valid plans -----------------------------------------------------------


def tiny_parts(scn: Scenario) -> tuple[list[HouseholdPlan], list[PlaceTimeline]]:
    """Household plans and timelines of the valid hand-made plan of :func:`tiny`.

    All three households move out on day 121 (H2 first: it moves for good).

    - H1 stays in O1 [121, 257); O1 is let time-limited [0, 114), then held
      empty the 7-day turnaround [114, 121).
    - H2 moves for good into O2 on day 121.
    - H3 stays in pavilion module PT-1 [121, 257); the module is in place for
      S1's offer period and rented [91, 274) (6-month minimum).
    - O3 is held empty [90, 91), then held ready as the stage's spare over
      its offer period [91, 122) for a one-room household without access
      needs, as H3 is (R10: 2 displaced households need ceil(0.2 * 2) = 1 spare).
    """
    households = [
        temporary(scn, "H1", "O1"),
        permanent(scn, "H2", "O2"),
        temporary(scn, "H3", "PT-1"),
    ]
    places = [
        timeline(
            scn,
            "O1",
            [
                seg(scn, "time_limited", 0, 114),
                seg(scn, "held_empty", 114, OUT_S1, stage="S1"),
                seg(scn, "occupied", OUT_S1, BACK_S1, household="H1", stage="S1"),
            ],
        ),
        timeline(scn, "O2", [seg(scn, "permanent", OUT_S1, household="H2", stage="S1")]),
        timeline(
            scn,
            "O3",
            [
                seg(scn, "held_empty", 90, OFFER_S1, stage="S1"),
                seg(scn, "spare", OFFER_S1, OUT_S1 + 1, stage="S1", need="1/none"),
            ],
        ),
        timeline(
            scn,
            "PT-1",
            [seg(scn, "occupied", OUT_S1, BACK_S1, household="H3", stage="S1")],
            pavilion_type="PT",
            released=OFFER_S1 + 183,
        ),
    ]
    return households, places


def tiny_plan(scn: Scenario | None = None) -> Plan:
    """The valid hand-made plan of :func:`tiny` (see :func:`tiny_parts`), priced."""
    scn = scn or tiny()
    return build_plan(scn, *tiny_parts(scn))


def two_stage_parts(scn: Scenario) -> tuple[list[HouseholdPlan], list[PlaceTimeline]]:
    """Household plans and timelines of the valid hand-made plan of :func:`two_stage`.

    - H1 (most senior) wins N1: stays in O1 [121, 257), then moves into N1.
    - H2 wished N1 too but is junior: stays in O2 [121, 257) and returns home.
    - H4 (stage S2, out day 274) wins N2, ready on day 257: moves in directly.
    """
    households = [
        temporary(scn, "H1", "O1", after="N1"),
        temporary(scn, "H2", "O2"),
        direct(scn, "H4", "N2"),
    ]
    places = [
        timeline(
            scn,
            "O1",
            [
                seg(scn, "occupied", OUT_S1, BACK_S1, household="H1", stage="S1"),
            ],
        ),
        timeline(
            scn,
            "O2",
            [
                seg(scn, "occupied", OUT_S1, BACK_S1, household="H2", stage="S1"),
            ],
        ),
    ]
    return households, places


def two_stage_plan(scn: Scenario | None = None) -> Plan:
    """The valid hand-made plan of :func:`two_stage` (see :func:`two_stage_parts`), priced."""
    scn = scn or two_stage()
    return build_plan(scn, *two_stage_parts(scn))


# -- small cases for solver-level tests ---------------------------------------------

#: Days of stage S2 of :func:`two_stage` (works [2025-11-01, 2026-01-01)).
OUT_S2 = 274
BACK_S2 = 379


def day_date(day: int) -> str:
    """The ISO date of day number ``day`` (counted from :data:`PLANNING_DATE`)."""
    return (date.fromisoformat(PLANNING_DATE) + timedelta(days=day)).isoformat()


def stage_days(id: str, out: int, back: int, **fields: Any) -> Item:
    """A stage whose move-out day is ``out`` and return day ``back``.

    Assumes the default clearing (30) and ready (14) days: the works run
    [out + 30, back - 14).
    """
    return stage(id, day_date(out + 30), day_date(back - 14), **fields)


def case_data(
    dwellings: list[Item],
    households: list[Item],
    *,
    stages: list[Item] | None = None,
    after_dwellings: list[Item] | None = None,
    pavilions: list[Item] | None = None,
) -> Item:
    """Raw data of a small case: stage S1 unless ``stages``, municipality Aarhus,
    no overcapacity required (R10 is tested on its own), default costs but no
    inspections and cleaning (priced in tests of their own)."""
    return {
        "name": "case",
        "municipality": "Aarhus",
        "policy": {"overcapacity": 0.0},
        "costs": {"inspection": 0.0, "cleaning": 0.0},
        "stages": stages if stages is not None else [stage()],
        "dwellings": dwellings,
        "households": households,
        "after_dwellings": after_dwellings or [],
        "pavilions": pavilions or [],
    }


def case(
    dwellings: list[Item],
    households: list[Item],
    *,
    stages: list[Item] | None = None,
    after_dwellings: list[Item] | None = None,
    pavilions: list[Item] | None = None,
    **overrides: Any,
) -> Scenario:
    """The validated :func:`case_data`, with top-level ``overrides`` (see :func:`scenario`)."""
    data = case_data(
        dwellings,
        households,
        stages=stages,
        after_dwellings=after_dwellings,
        pavilions=pavilions,
    )
    return scenario(data, **overrides)


def solve_small(scn: Scenario, **kwargs: Any) -> Result:
    """Solve a small scenario to proven optimality: 10 s, one worker, seed 0, no gap."""
    options: dict[str, Any] = {"time_limit": 10.0, "num_workers": 1, "seed": 0, "gap_limit": 0.0}
    options.update(kwargs)
    return solve(scn, **options)
