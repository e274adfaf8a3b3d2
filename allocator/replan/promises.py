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
from models.replan import SignedLease

__all__ = [
    "Broken",
    "Promise",
    "broken_leases",
    "broken_promises",
    "leases_of",
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


#: Uses of a place that end a time-limited tenant's lease early.
DISPLACING = (SegmentKind.OCCUPIED, SegmentKind.SPARE, SegmentKind.PERMANENT)


def past_changes(old: Plan, new: Plan, as_of: date, *, spares: bool = True) -> list[str]:
    """What ``new`` changes of what ``old`` did before ``as_of``, one sentence each.

    Moves out and back before the date, the places households moved to,
    the uses of dwellings that began before it, the dwellings withheld before
    it, and (with ``spares``) the spares held then: without the overcapacity
    rule a past spare may read as held empty, the same dwelling withheld.
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

    def uses(plan: Plan) -> set[tuple[str, SegmentKind, str | None, str | None]]:
        return {
            (t.place, seg.kind, seg.stage, seg.household)
            for t in plan.places
            if t.pavilion_type is None
            for seg in t.segments
            if seg.kind in DISPLACING and seg.start < as_of
        }

    old_uses, new_uses = uses(old), uses(new)
    for place, kind, stage, household in sorted(new_uses - old_uses, key=str):
        whom = f" by household {household}" if household else ""
        problems.append(f"place {place}: a {kind.value} use for stage {stage}{whom} did not happen")
    for place, kind, stage, _ in sorted(old_uses - new_uses, key=str):
        if kind is SegmentKind.SPARE and spares:
            problems.append(f"place {place}: the spare held for stage {stage} is gone")
    withheld = {t.place for t in old.places if t.pavilion_type is None and t.collected_from < as_of}
    for t in new.places:
        if t.pavilion_type is not None or t.collected_from >= as_of:
            continue
        if t.place not in withheld:
            problems.append(
                f"place {t.place}: withheld from {t.collected_from}, which did not happen"
            )
    return problems


def leases_of(plan: Plan, as_of: date) -> list[SignedLease]:
    """The time-limited leases ``plan`` had signed by ``as_of``."""
    return [
        SignedLease(place=t.place, start=seg.start, end=seg.end)
        for t in plan.places
        for seg in t.segments
        if seg.kind is SegmentKind.TIME_LIMITED and seg.start < as_of
    ]


def broken_leases(old: Plan, new: Plan, as_of: date) -> list[SignedLease]:
    """Time-limited leases signed before ``as_of`` that ``new`` cuts short.

    A signed lease [start, end) is broken if the new plan puts the place to
    another use during it: a stay, a spare or a letting for good. A lease
    extended, or a place the new plan no longer uses, keeps its tenant.
    """
    uses: dict[str, list[tuple[date, date]]] = {}
    for t in new.places:
        for seg in t.segments:
            if seg.kind in DISPLACING:
                uses.setdefault(t.place, []).append((seg.start, seg.end))
    return [
        lease
        for lease in leases_of(old, as_of)
        if any(s < lease.end and lease.start < e for s, e in uses.get(lease.place, []))
    ]
