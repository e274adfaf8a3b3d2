"""What a plan has done and promised by a date, and whether a new plan keeps it (no solver).

Before the as-of date a household has either moved out (a **fixed**
promise: it lives where the plan put it, nothing can change that) or has
been sent its notice letter (a **promised** outcome: the letter names its
mode, its temporary address or the dwelling it moves to for good, and the
after-renovation dwelling it won). Its dates follow from the rules
(:mod:`allocator.rules.schedule`), never from a choice, so a changed date is
a *rescheduling* that needs a new letter, not a broken promise.

The replanner prices broken promises in its model; the functions here count
them again from the two plans alone, as the plan checker does for the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.plan import HouseholdPlan, Mode, Plan, SegmentKind

__all__ = [
    "Broken",
    "Promise",
    "broken_leases",
    "broken_promises",
    "past_changes",
    "place_of",
    "promises_of",
]


@dataclass(frozen=True)
class Promise:
    """What household ``household`` has been promised (or has done) by the as-of date.

    ``place`` is the temporary dwelling, or for a pavilion module its
    pavilion type (modules are interchangeable and numbered per plan);
    ``fixed`` is true if the household moved out before the as-of date.
    """

    household: str
    fixed: bool
    mode: Mode
    place: str | None
    pavilion: bool
    after_dwelling: str | None
    permanent_dwelling: str | None


@dataclass(frozen=True)
class Broken:
    """A promise the new plan breaks: ``what`` differs (``mode``, ``place`` ...)."""

    household: str
    fixed: bool
    what: tuple[str, ...]


def place_of(plan: Plan, household: HouseholdPlan) -> tuple[str | None, bool]:
    """The household's temporary place as promised: a dwelling id, or a module's pavilion type."""
    if household.place is None:
        return None, False
    for t in plan.places:
        if t.place == household.place and t.pavilion_type is not None:
            return t.pavilion_type, True
    return household.place, False


def _promise(plan: Plan, h: HouseholdPlan, as_of: date) -> Promise:
    place, pavilion = place_of(plan, h)
    return Promise(
        household=h.household,
        fixed=h.move_out < as_of,
        mode=h.mode,
        place=place,
        pavilion=pavilion,
        after_dwelling=h.after_dwelling,
        permanent_dwelling=h.permanent_dwelling,
    )


def promises_of(plan: Plan, as_of: date, *, sent: bool = True) -> list[Promise]:
    """The promises of ``plan`` by ``as_of``: notice letters sent (and so every move made).

    With ``sent=False`` the plans of the other households instead: nothing
    is promised to them yet, but a replan that leaves them alone is easier to
    carry out (the replanner prices changing them a little).
    """
    return [_promise(plan, h, as_of) for h in plan.households if (h.notice_date < as_of) is sent]


def _differences(promise: Promise, plan: Plan, new: HouseholdPlan | None) -> tuple[str, ...]:
    if new is None:
        return ("household",)
    place, pavilion = place_of(plan, new)
    what = []
    if new.mode is not promise.mode:
        what.append("mode")
    if (place, pavilion) != (promise.place, promise.pavilion):
        what.append("place")
    if new.after_dwelling != promise.after_dwelling:
        what.append("after_dwelling")
    if new.permanent_dwelling != promise.permanent_dwelling:
        what.append("permanent_dwelling")
    return tuple(what)


def broken_promises(promises: list[Promise], plan: Plan) -> list[Broken]:
    """The promises ``plan`` breaks, each with what differs."""
    by_id = {h.household: h for h in plan.households}
    out = []
    for p in promises:
        what = _differences(p, plan, by_id.get(p.household))
        if what:
            out.append(Broken(p.household, p.fixed, what))
    return out


def past_changes(old: Plan, new: Plan, as_of: date) -> list[str]:
    """What ``new`` changes of what ``old`` did before ``as_of``, one sentence each.

    Moves out and back before the date, the places households moved to,
    the dwellings withheld before it and the time-limited leases signed before it.
    """
    problems = []
    new_by_id = {h.household: h for h in new.households}
    old_by_id = {h.household: h for h in old.households}
    for h in old.households:
        n = new_by_id.get(h.household)
        if h.move_out < as_of:
            if n is None:
                problems.append(f"household {h.household}: moved out on {h.move_out}, not planned")
                continue
            if n.move_out != h.move_out:
                problems.append(
                    f"household {h.household}: moved out on {h.move_out}, replanned {n.move_out}"
                )
            for what in _differences(_promise(old, h, as_of), new, n):
                problems.append(f"household {h.household}: moved out already, its {what} changed")
        returned = h.return_date is not None and h.return_date < as_of
        if returned and (n is None or n.return_date != h.return_date):
            problems.append(
                f"household {h.household}: moved back on {h.return_date}, replanned "
                f"{None if n is None else n.return_date}"
            )
    for n in new.households:
        o = old_by_id.get(n.household)
        if n.move_out < as_of and (o is None or o.move_out >= as_of):
            problems.append(
                f"household {n.household}: replanned to move out on {n.move_out}, in the past"
            )
        if (
            n.return_date is not None
            and n.return_date < as_of
            and (o is None or o.return_date != n.return_date)
        ):
            problems.append(
                f"household {n.household}: replanned to move back on {n.return_date}, in the past"
            )
    old_places = {t.place: t for t in old.places if t.pavilion_type is None}
    for t in new.places:
        if t.pavilion_type is not None or t.collected_from >= as_of:
            continue
        before = old_places.get(t.place)
        if before is None or before.collected_from >= as_of:
            problems.append(
                f"place {t.place}: withheld from {t.collected_from}, which did not happen"
            )
    return problems


def broken_leases(old: Plan, new: Plan, as_of: date) -> list[str]:
    """Time-limited leases signed before ``as_of`` that ``new`` no longer keeps."""
    # a lease kept to its end, or extended, is kept
    ends = {
        (t.place, s.start): s.end
        for t in new.places
        for s in t.segments
        if s.kind is SegmentKind.TIME_LIMITED
    }
    return [
        f"place {t.place}: the time-limited lease {s.start} to {s.end} was signed"
        for t in old.places
        for s in t.segments
        if s.kind is SegmentKind.TIME_LIMITED
        and s.start < as_of
        and ends.get((t.place, s.start), s.start) < s.end
    ]
