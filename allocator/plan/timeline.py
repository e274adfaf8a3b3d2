"""The pieces of a rehousing place's timeline, made one way for every planner.

The extraction of a CP-SAT solution, the greedy planner and the portfolio
merge all build place timelines from these, so a gap, a stay's block and a
spare look the same whoever planned them (docs/MODEL.md).
"""

from __future__ import annotations

from allocator import rules
from models.plan import NeedGroup, Segment, SegmentKind
from models.scenario import Scenario


def stay_segments(
    scenario: Scenario,
    start: int,
    end: int,
    household: str,
    stage: str | None,
    move_in: int,
    move_out: int,
) -> list[Segment]:
    """A place's block [start, end) for a stay: waiting, occupied [move_in, move_out), waiting.

    The place is reserved for the stage's whole moving period (docs/MODEL.md):
    held empty from the stage's first move-out day until the household moves
    in, and after it moves back until the stage's return period ends.
    """
    date = scenario.date_of
    pieces = [
        (SegmentKind.HELD_EMPTY, start, move_in, None),
        (SegmentKind.OCCUPIED, move_in, move_out, household),
        (SegmentKind.HELD_EMPTY, move_out, end, None),
    ]
    return [
        Segment(kind=k, start=date(a), end=date(b), household=h, stage=stage)
        for k, a, b, h in pieces
        if b > a
    ]


def spare_segment(
    scenario: Scenario, start: int, end: int, stage: str | None, need: NeedGroup
) -> Segment:
    """A spare held ready over a stage's offer period [start, end) for ``need`` (R10)."""
    date = scenario.date_of
    return Segment(kind=SegmentKind.SPARE, start=date(start), end=date(end), stage=stage, need=need)


def gap_segments(
    scenario: Scenario,
    start: int,
    end: int,
    stage: str | None,
    *,
    leased: bool,
    after_occupant: bool,
) -> list[Segment]:
    """The segments of a gap [start, end) of a dwelling timeline before a use of ``stage``.

    Held empty, or (``leased``) let on one time-limited lease with the
    turnaround days around it held empty (R2, R11, :func:`rules.lease_span`;
    the next use always counts as an occupant, as in the model).
    ``after_occupant`` says whether an occupant (a stay) ends the gap's
    start. Empty pieces are left out.

    Raises
    ------
    ValueError
        If ``leased`` but the gap is too short for a time-limited lease.

    """
    date = scenario.date_of
    pieces = [(SegmentKind.HELD_EMPTY, start, end)]
    if leased:
        span = rules.lease_span(
            scenario, start, end, after_occupant=after_occupant, before_occupant=True
        )
        if span is None:
            raise ValueError(f"a gap [{start}, {end}) is too short for a time-limited lease")
        ls, le = span
        pieces = [
            (SegmentKind.HELD_EMPTY, start, ls),
            (SegmentKind.TIME_LIMITED, ls, le),
            (SegmentKind.HELD_EMPTY, le, end),
        ]
    return [Segment(kind=k, start=date(a), end=date(b), stage=stage) for k, a, b in pieces if b > a]
