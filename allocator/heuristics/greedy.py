"""A greedy rehousing planner: what a planner with a spreadsheet does.

:func:`greedy_plan` builds a complete plan without CP-SAT, with the rules of
:mod:`allocator.rules`, in the order a planner works. What may happen to each
household and on which days it moves are fixed by :func:`rules.schedule`
(R1, R8, R9, R13): winners of an after-renovation dwelling move there,
directly or after a stay; households with wishes that won nothing return.

1. **Permanent movers** first, for all stages (the guide plans them ahead):
   households whose first outcome is a permanent move, those with
   accessibility needs first, then by moving day and seniority. Each gets
   the fitting own-organisation dwelling (R8) free and open-ended by its
   moving day that costs the least; it is let on that day.
2. **Stays**, stage by stage in deadline order. A dwelling is collected
   from the start of its availability interval (R11) and held empty (no
   time-limited letting); a stay reserves it for the stay's whole block
   (:meth:`rules.Schedule.block`), a turnaround (R2) before the next use.
   Each displaced household gets the fitting free dwelling whose use adds
   the least rent loss plus soft-wish penalty: the newest vacancy, or one
   before a later use, which adds nothing. A planner places those with the
   fewest options first: households no pavilion fits, then wheelchair
   users, then step-free or low-floor needs, each by seniority.
3. **Pavilions** for the rest: a module of a fitting type serves blocks in
   turn (a new one is in place for the stage's offer period, not before its
   lead time, rented at least ``min_months``), reused or rented new,
   whichever costs less, within ``max_count``. An undecided household
   without wishes moves for good only if no module is left either.
4. **R10 spares** per stage, held over its offer period for a need group:
   first each group's share, then the rest of the total, each the cheapest
   fitting dwelling or module free over the period, at most as many per
   need as the stage has displaced households with it.

Every choice is one the CP-SAT model can make at the same price (unless it
cuts a pavilion type's schedules at ``MAX_CHAINS``), so a greedy plan is
valid and never cheaper than the optimum. The same run is the
generator's feasibility witness (:func:`allocator.generate.supply_check`):
:func:`greedy_run` records per stage what it could not do instead of raising.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from heapq import heappop, heappush
from operator import itemgetter

from allocator import rules
from allocator.plan.pricing import build_plan
from allocator.plan.timeline import gap_segments, spare_segment, stay_segments
from models.plan import HouseholdPlan, Mode, NeedGroup, PlaceTimeline, Plan, Segment, SegmentKind
from models.scenario import Dwelling, Household, PavilionType, Scenario, Source, Stage

Outcome = rules.Outcome


class GreedyFailed(Exception):
    """The greedy planner could not house every household or hold a stage's spares.

    Attributes
    ----------
    reasons
        One sentence per problem, naming the household or stage and the rule.

    """

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons) or "the greedy planner failed")


@dataclass
class StageOutcome:
    """What the greedy run did for one stage.

    Attributes
    ----------
    stage
        Stage id.
    out_day, back_day
        The block its rehousing places are reserved for: its first move-out
        day and the end of its return period (:meth:`rules.Schedule.block`).
    stays
        Displaced households (temporary stays).
    pavilion_stays
        Of those, stays in pavilion modules.
    direct, permanent
        Households moving directly into an after-renovation dwelling, or for good.
    winners
        Households of the stage that won an after-renovation dwelling (R9).
    spares
        Spare places held for the stage (R10).
    pool_needed
        :func:`rules.required_pool` of ``stays``.
    problems
        Why the run failed for this stage (empty: it did not).

    """

    stage: str
    out_day: int
    back_day: int
    stays: int = 0
    pavilion_stays: int = 0
    direct: int = 0
    permanent: int = 0
    winners: int = 0
    spares: int = 0
    pool_needed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def pool(self) -> int:
        """Places in the stage's R10 pool: one per stay plus the spares."""
        return self.stays + self.spares


@dataclass
class GreedyRun:
    """The household plans and place timelines of a greedy run, and what went wrong.

    Attributes
    ----------
    households
        Plans of the households it placed, sorted by id.
    places
        Dwelling timelines (scenario order) then pavilion module timelines.
    stages
        One :class:`StageOutcome` per stage, in deadline order.

    """

    households: list[HouseholdPlan]
    places: list[PlaceTimeline]
    stages: list[StageOutcome]

    @property
    def problems(self) -> list[str]:
        """Every problem of every stage."""
        return [p for st in self.stages for p in st.problems]

    @property
    def ok(self) -> bool:
        """True when every household is placed and every stage holds its spares."""
        return not self.problems


class Fits:
    """:func:`rules.place_fits` cached by :func:`rules.need_key` and :func:`rules.place_key`.

    Households with equal need keys fit the same places, places with equal
    place keys the same households, so each pair of keys is asked once.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._answers: dict[tuple[int, int, bool], bool] = {}
        self._needs: dict[object, int] = {}
        self._kinds: dict[object, int] = {}
        self._households: dict[str, int] = {}
        self._places: dict[tuple[bool, str], int] = {}

    def household_class(self, h: Household) -> int:
        """The index of ``h``'s need key: households of one class fit alike."""
        c = self._households.get(h.id)
        if c is None:
            key = rules.need_key(self.scenario, h)
            c = self._households[h.id] = self._needs.setdefault(key, len(self._needs))
        return c

    def place_class(self, p: Dwelling | PavilionType) -> int:
        """The index of ``p``'s place key: places of one class fit alike."""
        key = (isinstance(p, PavilionType), p.id)
        c = self._places.get(key)
        if c is None:
            c = self._places[key] = self._kinds.setdefault(rules.place_key(p), len(self._kinds))
        return c

    def __call__(self, h: Household, p: Dwelling | PavilionType, permanent: bool = False) -> bool:
        """Whether ``p`` can house ``h`` (for a permanent move if ``permanent``)."""
        return self.answer(self.household_class(h), self.place_class(p), permanent, h, p)

    def answer(
        self, hc: int, pc: int, permanent: bool, h: Household, p: Dwelling | PavilionType
    ) -> bool:
        """As calling, with the classes of ``h`` and ``p`` already known."""
        key = (hc, pc, permanent)
        hit = self._answers.get(key)
        if hit is None:
            hit = self._answers[key] = rules.place_fits(self.scenario, h, p, permanent=permanent)
        return hit


def _need_tier(h: Household) -> int:
    """2 for wheelchair users, 1 for step-free or maximum-floor needs, else 0."""
    if h.wheelchair:
        return 2
    return 1 if h.step_free or h.max_floor is not None else 0


# -- places while planning --------------------------------------------------------------


@dataclass
class _Use:
    """A use of a place: a stay's block, a spare's offer period or a permanent letting.

    A stay in a dwelling reserves [start, end), its block; ``moves`` are the
    household's real moving days, the occupied part. A pavilion stay is
    occupied [start, end) only.
    """

    kind: SegmentKind
    start: int
    end: int
    stage: str
    household: str | None = None
    need: NeedGroup | None = None
    moves: tuple[int, int] | None = None


def _gap_after(kind: SegmentKind, turn: int) -> int:
    """Days a place must stay empty after a use of ``kind``: a turnaround after an occupant."""
    return turn if kind is SegmentKind.OCCUPIED else 0


#: A free dwelling for a use: (added cost, dwelling id, interval start, slot index).
_Candidate = tuple[int, str, int, int]


@dataclass
class _Slot:
    """An availability interval of a dwelling (R11) and its uses so far, in time order."""

    index: int
    dwelling: Dwelling
    start: int
    end: int
    vacated_by: str | None
    daily: int
    pclass: int  # Fits.place_class of the dwelling
    uses: list[_Use] = field(default_factory=list)
    free: int = 0  # the day it is free after its last use (its key on the free list)

    def room(self, start: int, end: int, kind: SegmentKind, turn: int) -> tuple[int, int] | None:
        """Where a use [start, end) of ``kind`` fits among the uses, and the rent loss it adds.

        Returns ``(position, cost)`` or ``None``. A turnaround (R2) follows
        an occupant; nothing follows a permanent letting, which needs an
        open-ended interval. Every day from the interval's start to its last
        use is held (rent loss), so a use before a later one adds nothing;
        a new last use adds the rent from the end of the previous one (or the
        interval's start) until ``end``.
        """
        terminal = kind is SegmentKind.PERMANENT
        if start < self.start or end > self.end or (terminal and self.end != rules.FOREVER):
            return None
        i = bisect_left(self.uses, start, key=lambda u: u.start)
        if i:
            prev = self.uses[i - 1]
            if prev.kind is SegmentKind.PERMANENT or prev.end + _gap_after(prev.kind, turn) > start:
                return None
        if i < len(self.uses):
            if terminal or end + _gap_after(kind, turn) > self.uses[i].start:
                return None
            return i, 0
        return i, self.daily * (end - (self.uses[i - 1].end if i else self.start))


@dataclass
class _Module:
    """A rented pavilion module: its uses, its rental [rent_start, rent_end), free from when."""

    id: str
    ptype: PavilionType
    rent_start: int
    rent_end: int
    free_from: int  # the end of its last block plus the turnaround
    uses: list[_Use] = field(default_factory=list)


@dataclass(frozen=True)
class _ModuleOption:
    """A way to give a block to a module of ``ptype``: reuse ``module`` or rent a new one."""

    cost: int
    ptype: PavilionType
    module: _Module | None  # None: rent a new module
    rent_start: int
    rent_end: int

    @property
    def name(self) -> str:
        """Ties go to a module already rented, by id."""
        return self.module.id if self.module else f"{self.ptype.id}~"


@dataclass
class _Tops:
    """The cheapest slot of each place class asked about for one use, as a heap.

    Entries are ``(cost, dwelling id, start, class)``; a class that changed
    since its entry was pushed is ``dirty`` and pushed afresh before the next
    read, and an entry that no longer matches its class's answer is dropped.
    """

    heap: list[tuple[int, str, int, int]] = field(default_factory=list)
    classes: set[int] = field(default_factory=set)
    dirty: set[int] = field(default_factory=set)


class _Planner:
    """The state of one greedy run.

    Finding the cheapest free dwelling of a place class for a use [a, b)
    reads two lists instead of every slot. ``_free[pc]`` lists the class's
    usable slots without a permanent letting by the day they are free after
    their last use; read from the latest such day back, a slot adds at least
    the class's lowest daily rent times the days from that day to b, so the
    read stops once that bound passes the cheapest found. Slots whose last
    use starts after a (``_later``) may take the use before it, at no cost.
    The answer per class and use is kept until a slot of the class changes,
    and the classes' answers for one use are kept in cost order
    (:class:`_Tops`), so a household reads the cheapest classes first and
    stops at the first that costs more than the best that fits it.
    """

    def __init__(self, scenario: Scenario) -> None:
        sc = self.sc = scenario
        self.sched = rules.schedule(sc)
        self.fits = Fits(sc)
        self.turn = sc.policy.turnaround_days
        self.slots: list[_Slot] = []
        for a in rules.availabilities(sc):
            d = sc.dwelling(a.dwelling)
            daily = rules.daily_ore(d.monthly_rent)
            pc = self.fits.place_class(d)
            self.slots.append(_Slot(0, d, a.start, a.end, a.vacated_by, daily, pc, free=a.start))
        self.slots.sort(key=lambda s: (s.start, s.dwelling.id))
        self._last_start: list[tuple[int, int]] = []  # (start of the last use, slot index)
        self._later: dict[int, dict[int, list[int]]] = {}  # a -> class -> slots used after a
        self._best: dict[int, dict[tuple[int, int, SegmentKind], _Candidate | None]] = defaultdict(
            dict
        )
        self._tops: dict[tuple[int, int, SegmentKind], _Tops] = {}
        # use -> class -> slots with room for it before a later use: (id, start, index)
        self._zero: dict[tuple[int, int, SegmentKind], dict[int, list[tuple[str, int, int]]]] = {}
        self._class_of: dict[int, Dwelling] = {}  # place class -> a dwelling of it
        self._dmin: dict[int, int] = {}  # place class -> its lowest daily rent
        self._free: dict[int, list[tuple[int, str, int, int]]] = defaultdict(list)
        self._vacated: dict[str, list[int]] = defaultdict(list)  # household -> its home's slots
        for i, slot in enumerate(self.slots):
            slot.index = i
            pc = slot.pclass
            self._class_of.setdefault(pc, slot.dwelling)
            self._dmin[pc] = min(self._dmin.get(pc, slot.daily), slot.daily)
            if slot.vacated_by is None:
                self._list(slot)
            else:
                self._vacated[slot.vacated_by].append(i)
        self._fitting_of: dict[tuple[int, bool], frozenset[int]] = {}
        self.fleet: dict[str, list[_Module]] = {p.id: [] for p in sc.pavilions}
        self.modules: list[_Module] = []
        self.modes: dict[str, Mode] = {}
        self.plans: list[HouseholdPlan] = []
        self._notices: dict[tuple[str, int], date] = {}
        self._letters: dict[int, date] = {}

    # -- finding free dwellings --------------------------------------------------------

    def _list(self, slot: _Slot) -> None:
        insort(self._free[slot.pclass], (slot.free, slot.dwelling.id, slot.start, slot.index))
        self._changed(slot.pclass)

    def _unlist(self, slot: _Slot) -> None:
        rows = self._free[slot.pclass]
        entry = (slot.free, slot.dwelling.id, slot.start, slot.index)
        del rows[bisect_right(rows, entry) - 1]

    def _usable(self, slot: _Slot) -> bool:
        """A permanent mover's home is a rehousing place only once it moved for good (R11)."""
        return slot.vacated_by is None or self.modes.get(slot.vacated_by) is Mode.PERMANENT

    def _room(self, slot: _Slot, start: int, end: int, kind: SegmentKind) -> tuple[int, int] | None:
        return slot.room(start, end, kind, self.turn) if self._usable(slot) else None

    def _later_than(self, a: int) -> dict[int, list[int]]:
        """Per place class, the usable slots with a use that starts after day ``a``."""
        got = self._later.get(a)
        if got is None:
            got = self._later[a] = defaultdict(list)
            for _, i in self._last_start[bisect_right(self._last_start, (a, len(self.slots))) :]:
                got[self.slots[i].pclass].append(i)
        return got

    def _before_later(
        self, pc: int, key: tuple[int, int, SegmentKind]
    ) -> list[tuple[str, int, int]]:
        """The slots of class ``pc`` with room for a use ``key`` before a later use (at no cost).

        Sorted by (dwelling id, start, slot index); kept up to date as slots change.
        """
        by_class = self._zero.setdefault(key, {})
        got = by_class.get(pc)
        if got is None:
            got = by_class[pc] = []
            if key[2] is not SegmentKind.PERMANENT:  # nothing follows a permanent letting
                for i in self._later_than(key[0]).get(pc, ()):
                    self._recheck(got, self.slots[i], key)
        return got

    def _recheck(
        self, zero: list[tuple[str, int, int]], slot: _Slot, key: tuple[int, int, SegmentKind]
    ) -> None:
        """Put ``slot`` on ``zero`` if it has room for ``key`` before a later use."""
        entry = (slot.dwelling.id, slot.start, slot.index)
        i = bisect_right(zero, entry)
        if i and zero[i - 1] == entry:
            del zero[i - 1]
        room = self._room(slot, *key)
        if room is not None and room[0] < len(slot.uses):
            insort(zero, entry)

    def _class_best(self, pc: int, a: int, b: int, kind: SegmentKind) -> _Candidate | None:
        """The slot of class ``pc`` whose use [a, b) of ``kind`` adds the least (ties by id)."""
        cache = self._best[pc]
        key = (a, b, kind)
        if key in cache:
            return cache[key]
        zero = self._before_later(pc, key)
        best: _Candidate | None = (0, *zero[0]) if zero else None
        rows, dmin = self._free[pc], self._dmin[pc]
        j = bisect_right(rows, a, key=itemgetter(0))
        while j:
            j -= 1
            free, did, start, i = rows[j]
            if best is not None and dmin * (b - free) > best[0]:
                break  # every slot further back adds more
            room = self._room(self.slots[i], a, b, kind)
            if room is not None and (best is None or (room[1], did, start) < best[:3]):
                best = (room[1], did, start, i)
        cache[key] = best
        return best

    def _fitting(self, h: Household, permanent: bool) -> frozenset[int]:
        """Place classes of dwellings that can house ``h`` (``permanent``: for good)."""
        hc = self.fits.household_class(h)
        got = self._fitting_of.get((hc, permanent))
        if got is None:
            answer = self.fits.answer
            got = frozenset(
                pc for pc, d in self._class_of.items() if answer(hc, pc, permanent, h, d)
            )
            self._fitting_of[(hc, permanent)] = got
        return got

    def _cheapest(
        self, a: int, b: int, kind: SegmentKind, fitting: frozenset[int], h: Household | None
    ) -> tuple[int, str, int, int] | None:
        """The slot of the ``fitting`` classes whose use [a, b) adds the least.

        With a household ``h`` its soft-wish penalty counts too. Returns
        ``(cost, dwelling id, start, slot index)``; ties by dwelling id.
        """
        tops = self._tops.get((a, b, kind))
        if tops is None:
            tops = self._tops[(a, b, kind)] = _Tops()
        heap = tops.heap
        for pc in sorted((fitting - tops.classes) | tops.dirty):
            tops.classes.add(pc)
            found = self._class_best(pc, a, b, kind)
            if found is not None:
                heappush(heap, (*found[:3], pc))
        tops.dirty.clear()
        best: tuple[int, str, int, int] | None = None
        seen: list[tuple[int, str, int, int]] = []
        read: set[int] = set()
        while heap:
            entry = heap[0]
            if best is not None and entry[:3] > best[:3]:
                break  # a penalty only adds
            heappop(heap)
            pc = entry[3]
            found = self._class_best(pc, a, b, kind)
            if pc in read or found is None or found[:3] != entry[:3]:
                continue  # a copy, or stale: the class's answer is on the heap
            read.add(pc)
            seen.append(entry)
            if pc in fitting:
                pen = rules.penalty_ore(self.sc, h, self._class_of[pc]) if h else 0
                if best is None or (found[0] + pen, *found[1:3]) < best[:3]:
                    best = (found[0] + pen, found[1], found[2], found[3])
        for entry in seen:
            heappush(heap, entry)
        return best

    def _use(self, slot: _Slot, use: _Use) -> None:
        """Add ``use`` to ``slot`` and keep the look-up lists up to date."""
        room = self._room(slot, use.start, use.end, use.kind)
        assert room is not None, (slot.dwelling.id, use)
        pos = room[0]
        if pos == len(slot.uses):  # a new last use
            if slot.uses:
                del self._last_start[
                    bisect_right(self._last_start, (slot.uses[-1].start, slot.index)) - 1
                ]
            insort(self._last_start, (use.start, slot.index))
            for a, later in self._later.items():
                if use.start > a and not (slot.uses and slot.uses[-1].start > a):
                    later[slot.pclass].append(slot.index)
            self._unlist(slot)
            slot.uses.append(use)
            if use.kind is not SegmentKind.PERMANENT:
                slot.free = use.end + _gap_after(use.kind, self.turn)
                self._list(slot)
        else:
            slot.uses.insert(pos, use)
        for key, zeros in self._zero.items():
            zero = zeros.get(slot.pclass)
            if zero is not None and key[2] is not SegmentKind.PERMANENT:
                self._recheck(zero, slot, key)
        self._changed(slot.pclass)

    def _changed(self, pc: int) -> None:
        """A slot of class ``pc`` changed: its answers are stale."""
        self._best.pop(pc, None)
        for tops in self._tops.values():
            if pc in tops.classes:
                tops.dirty.add(pc)

    def _phase(self) -> None:
        """A new phase asks about other uses: drop the look-ups kept for the last one."""
        self._tops.clear()
        self._later.clear()
        self._zero.clear()

    # -- households --------------------------------------------------------------------

    def _record(self, h: Household, stage: Stage, mode: Mode, **fields: object) -> None:
        sc = self.sc
        out = self.sched.move_out[h.id]
        notice = self._notices.get((stage.id, out))
        if notice is None:
            notice = self._notices[stage.id, out] = rules.notice_date(
                sc, stage.start, sc.date_of(out)
            )
        self.modes[h.id] = mode
        if mode is Mode.PERMANENT:  # its home may be a rehousing place now (R11)
            for i in self._vacated.get(h.id, ()):
                self._list(self.slots[i])
        return_date = letter = None
        if mode is Mode.TEMPORARY:
            ret = self.sched.returns[h.id]
            return_date = sc.date_of(ret)
            letter = self._letters.get(ret)
            if letter is None:
                letter = self._letters[ret] = rules.return_letter_date(sc, return_date)
        self.plans.append(
            HouseholdPlan.model_validate(
                {
                    "household": h.id,
                    "stage": stage.id,
                    "mode": mode,
                    "notice_date": notice,
                    "move_out": sc.date_of(out),
                    "return_date": return_date,
                    "return_letter_date": letter,
                    **fields,
                }
            )
        )

    def move_permanently(self, h: Household, stage: Stage) -> bool:
        """R8: the cheapest fitting own-organisation dwelling, let on the moving day."""
        day = self.sched.move_out[h.id]
        pick = self._cheapest(day, day, SegmentKind.PERMANENT, self._fitting(h, True), h)
        if pick is None:
            return False
        self._use(self.slots[pick[3]], _Use(SegmentKind.PERMANENT, day, day, stage.id, h.id))
        self._record(h, stage, Mode.PERMANENT, permanent_dwelling=pick[1])
        return True

    def _block(self, h: Household, stage: Stage) -> tuple[int, int]:
        return self.sched.block(stage.id, self.sched.return_stage(self.sc, h))

    def stay(self, h: Household, stage: Stage, *, pavilion: bool) -> bool:
        """A stay in the cheapest fitting dwelling (or pavilion module) free for its block."""
        sched = self.sched
        start, end = self._block(h, stage)
        moves = (sched.move_out[h.id], sched.returns[h.id])
        if pavilion:
            options = [
                (o.cost + rules.penalty_ore(self.sc, h, p), o.name, o)
                for p in self.sc.pavilions
                if self.fits(h, p)
                for o in self.module_options(p, stage.id, end, spare=False)
            ]
            if not options:
                return False
            option = min(options, key=itemgetter(0, 1))[2]
            use = _Use(SegmentKind.OCCUPIED, *moves, stage.id, h.id)
            place, source = self.take_module(option, end, use), Source.PAVILION
        else:
            pick = self._cheapest(start, end, SegmentKind.OCCUPIED, self._fitting(h, False), h)
            if pick is None:
                return False
            slot = self.slots[pick[3]]
            self._use(slot, _Use(SegmentKind.OCCUPIED, start, end, stage.id, h.id, moves=moves))
            place, source = pick[1], slot.dwelling.source
        after = sched.won.get(h.id) if Outcome.AFTER in sched.outcomes[h.id] else None
        self._record(
            h, stage, Mode.TEMPORARY, place=place, place_source=source, after_dwelling=after
        )
        return True

    # -- pavilions ---------------------------------------------------------------------

    def _rented(self, ptype: PavilionType, start: int, end: int, skip: _Module | None) -> int:
        """Most modules of ``ptype`` (other than ``skip``) rented on one day of [start, end)."""
        periods = [(m.rent_start, m.rent_end) for m in self.fleet[ptype.id] if m is not skip]
        days = [start, *(a for a, _ in periods if start < a < end)]
        return max((sum(1 for a, b in periods if a <= t < b) for t in days), default=0)

    def module_options(
        self, ptype: PavilionType, stage: str, end: int, *, spare: bool
    ) -> list[_ModuleOption]:
        """Ways to give a module of ``ptype`` a block of ``stage`` ending on ``end`` (R12).

        A module serves blocks in turn, a turnaround apart; a new one is in
        place for the stage's offer period, not before its lead time. A
        spare must be free over the whole offer period (R10).
        """
        start = self.sched.first_out[stage]
        offer = self.sched.offer_period(stage)[0]
        if start < ptype.lead_days:
            return []
        free_by = offer if spare else start
        out: list[_ModuleOption] = []

        def cost(rent_start: int, rent_end: int) -> int:
            return sum(rules.pavilion_rental_ore(ptype, rent_end - rent_start).values())

        for m in self.fleet[ptype.id]:
            if m.free_from > free_by:
                continue
            rent_end = m.rent_start + rules.pavilion_rental_days(ptype, m.rent_start, end)
            if rent_end > m.rent_end and (
                self._rented(ptype, m.rent_end, rent_end, m) >= ptype.max_count
            ):
                continue
            extra = cost(m.rent_start, rent_end) - cost(m.rent_start, m.rent_end)
            out.append(_ModuleOption(extra, ptype, m, m.rent_start, rent_end))
        rent_start = max(offer, ptype.lead_days)
        rent_end = rent_start + rules.pavilion_rental_days(ptype, rent_start, end)
        if rent_start <= free_by and self._rented(ptype, rent_start, rent_end, None) < (
            ptype.max_count
        ):
            out.append(_ModuleOption(cost(rent_start, rent_end), ptype, None, rent_start, rent_end))
        return out

    def take_module(self, option: _ModuleOption, end: int, use: _Use) -> str:
        """Book ``option`` for a block ending on ``end`` with ``use``; the module id."""
        m = option.module
        if m is None:
            p = option.ptype
            m = _Module(f"{p.id}-{len(self.fleet[p.id]) + 1:02d}", p, option.rent_start, 0, 0)
            self.fleet[p.id].append(m)
            self.modules.append(m)
        m.rent_end = option.rent_end
        m.free_from = end + self.turn
        m.uses.append(use)
        return m.id

    # -- R10 ---------------------------------------------------------------------------

    def hold_spares(self, stage: Stage, members: list[Household], st: StageOutcome) -> None:
        """R10: spares for the stage's displaced households, over its offer period.

        Each need group gets its share (:func:`rules.group_spares_required`),
        then the stage its total (:func:`rules.spares_required`), each spare
        the cheapest place that fits a displaced household of its group, at
        most as many per need (:func:`rules.need_key`) as households have it.
        """
        sc, sched = self.sc, self.sched
        offer = sched.offer_period(stage.id)
        self._phase()
        displaced = [h for h in members if self.modes.get(h.id) is Mode.TEMPORARY]
        st.pool_needed = rules.required_pool(sc, len(displaced))
        reps: dict[rules.fit.NeedKey, Household] = {}  # need key -> a household with it
        left: Counter[rules.fit.NeedKey] = Counter()  # need key -> spares it may still have
        for h in displaced:
            key = rules.need_key(sc, h)
            reps.setdefault(key, h)
            left[key] += 1
        group_of = {key: rules.need_group(sc, h) for key, h in reps.items()}
        # a module is reserved for a block of the stage: the shortest one it fits
        blocks = [(self._block(h, stage)[1], h) for h in members if h.id in sched.returns]
        ends = {
            p.id: min((end for end, h in blocks if self.fits(h, p)), default=None)
            for p in sc.pavilions
        }
        held: Counter[NeedGroup] = Counter()

        def hold(needs: list[rules.fit.NeedKey]) -> bool:
            """Hold the cheapest spare for one of ``needs`` that may have another."""
            open_ = [key for key in needs if left[key]]
            fitting = [self._fitting(reps[key], False) for key in open_]
            best: tuple[int, int, str, rules.fit.NeedKey, _Slot | _ModuleOption] | None = None
            found = self._cheapest(*offer, SegmentKind.SPARE, frozenset().union(*fitting), None)
            if found is not None:
                slot = self.slots[found[3]]
                key = next(k for k, f in zip(open_, fitting, strict=True) if slot.pclass in f)
                best = (found[0], 0, found[1], key, slot)
            for p in sc.pavilions:
                end = ends[p.id]
                need = next((k for k in open_ if self.fits(reps[k], p)), None)
                if end is None or need is None:
                    continue
                for o in self.module_options(p, stage.id, end, spare=True):
                    if best is None or (o.cost, 1, o.name) < best[:3]:
                        best = (o.cost, 1, o.name, need, o)
            if best is None:
                return False
            key, pick = best[3], best[4]
            use = _Use(SegmentKind.SPARE, *offer, stage.id, need=group_of[key])
            if isinstance(pick, _Slot):
                self._use(pick, use)
            else:
                end = ends[pick.ptype.id]
                assert end is not None
                self.take_module(pick, end, use)
            left[key] -= 1
            held[group_of[key]] += 1
            st.spares += 1
            return True

        shares = Counter(rules.need_group(sc, h) for h in displaced)
        for group in sorted(shares, key=lambda g: (g.rooms, g.access.value)):
            needs = [key for key in reps if group_of[key] == group]
            share = rules.group_spares_required(sc, shares[group])
            while held[group] < share:
                if not hold(needs):
                    st.problems.append(
                        f"stage {stage.id}: R10: {held[group]} spares for the "
                        f"{shares[group]} displaced households needing {group}; the group's "
                        f"share is {share} and no further fitting place is free over the "
                        f"offer period {sc.date_of(offer[0])} to {sc.date_of(offer[1])}"
                    )
                    break
        total = rules.spares_required(sc, len(displaced))
        while st.spares < total:
            if not hold(list(reps)):
                st.problems.append(
                    f"stage {stage.id}: R10: {st.spares} spare places for {len(displaced)} "
                    f"displaced households; it needs {total} and no further fitting place is "
                    f"free over the offer period {sc.date_of(offer[0])} to {sc.date_of(offer[1])}"
                )
                break

    # -- the phases --------------------------------------------------------------------

    def permanent_moves(
        self, members: Iterable[tuple[Stage, Household]], outcomes: dict[str, StageOutcome]
    ) -> None:
        """R8: every household whose first outcome is a permanent move, before any stay.

        Accessible movers first, then by moving day and seniority. One that
        may also return (a soft permanent agreement) is left to its stage if
        nothing fits.
        """
        sc, sched = self.sc, self.sched
        movers = [(s, h) for s, h in members if sched.outcomes[h.id][:1] == (Outcome.PERMANENT,)]
        movers.sort(
            key=lambda m: (
                -_need_tier(m[1]),
                sched.move_out[m[1].id],
                rules.seniority_key(sc, m[1]),
            )
        )
        for stage, h in movers:
            if self.move_permanently(h, stage):
                outcomes[stage.id].permanent += 1
            elif Outcome.OWN not in sched.outcomes[h.id]:
                outcomes[stage.id].problems.append(
                    f"household {h.id}: R8: no fitting own-organisation dwelling is free by "
                    f"its moving day {sc.date_of(sched.move_out[h.id])} for a permanent move"
                )

    def plan_stage(self, stage: Stage, members: list[Household], st: StageOutcome) -> None:
        """Direct moves, stays (dwellings, then pavilions) and spares of one stage."""
        sc, sched = self.sc, self.sched
        self._phase()
        order = sorted(
            members,
            key=lambda h: (
                any(self.fits(h, p) for p in sc.pavilions),  # no module fits: first
                -_need_tier(h),
                rules.seniority_key(sc, h),
            ),
        )
        st.winners = sum(1 for h in members if h.id in sched.won)
        stays: list[Household] = []
        for h in order:
            outcomes = sched.outcomes[h.id]
            if h.id in self.modes or outcomes == (Outcome.PERMANENT,):
                continue  # moved for good, or the permanent phase said why not
            if not outcomes:
                st.problems.append(
                    f"household {h.id}: R8: its dwelling {h.dwelling} is merged away, it wins "
                    "no after-renovation dwelling and its agreement rules out a permanent move"
                )
            elif outcomes == (Outcome.DIRECT,):
                self._record(h, stage, Mode.DIRECT, after_dwelling=sched.won[h.id])
                st.direct += 1
            else:
                stays.append(h)
        pending = [h for h in stays if not self.stay(h, stage, pavilion=False)]
        # pavilion modules for the rest; households that may also move for good
        # come last and do so if no module is left
        pending.sort(key=lambda h: Outcome.PERMANENT in sched.outcomes[h.id])
        for h in pending:
            if self.stay(h, stage, pavilion=True):
                st.pavilion_stays += 1
            elif Outcome.PERMANENT in sched.outcomes[h.id] and self.move_permanently(h, stage):
                st.permanent += 1
            else:
                start, end = self._block(h, stage)
                st.problems.append(
                    f"household {h.id}: no fitting dwelling or pavilion module is free for "
                    f"its stay's block {sc.date_of(start)} to {sc.date_of(end)}"
                )
        st.stays = sum(1 for h in members if self.modes.get(h.id) is Mode.TEMPORARY)
        self.hold_spares(stage, members, st)

    # -- the plan ----------------------------------------------------------------------

    def _segments(self, use: _Use) -> list[Segment]:
        sc = self.sc
        if use.kind is SegmentKind.SPARE:
            assert use.need is not None
            return [spare_segment(sc, use.start, use.end, use.stage, use.need)]
        if use.moves is not None:
            assert use.household is not None
            return stay_segments(sc, use.start, use.end, use.household, use.stage, *use.moves)
        start, end = sc.date_of(use.start), sc.date_of(use.end)
        return [
            Segment(kind=use.kind, start=start, end=end, household=use.household, stage=use.stage)
        ]

    def timelines(self) -> list[PlaceTimeline]:
        """Dwelling timelines (held empty between uses), then pavilion modules."""
        sc = self.sc
        out: list[PlaceTimeline] = []
        order = {d.id: i for i, d in enumerate(sc.dwellings)}
        for slot in sorted(self.slots, key=lambda s: (order[s.dwelling.id], s.start)):
            if not slot.uses:
                continue
            segments: list[Segment] = []
            t, after_occupant = slot.start, False
            for use in slot.uses:
                segments += gap_segments(
                    sc, t, use.start, use.stage, leased=False, after_occupant=after_occupant
                )
                segments += self._segments(use)
                t, after_occupant = use.end, use.kind is SegmentKind.OCCUPIED
            out.append(
                PlaceTimeline(
                    place=slot.dwelling.id,
                    source=slot.dwelling.source,
                    collected_from=sc.date_of(slot.start),
                    released=sc.date_of(t),
                    segments=segments,
                )
            )
        for m in self.modules:
            out.append(
                PlaceTimeline(
                    place=m.id,
                    source=Source.PAVILION,
                    pavilion_type=m.ptype.id,
                    collected_from=sc.date_of(m.rent_start),
                    released=sc.date_of(m.rent_end),
                    segments=[s for u in m.uses for s in self._segments(u)],
                )
            )
        return out


# -- public API -------------------------------------------------------------------------


def greedy_run(scenario: Scenario) -> GreedyRun:
    """Run the greedy planner and report what it managed, stage by stage.

    It never raises for a household it cannot place or spares it cannot
    hold: such problems are listed in the stage's :class:`StageOutcome` and
    the household is left out of ``households``. See the module docstring
    for the rules it follows.

    Parameters
    ----------
    scenario
        A validated scenario.

    Returns
    -------
    GreedyRun
        Household plans, place timelines and one outcome per stage in
        deadline order (ties by stage id).

    Raises
    ------
    allocator.rules.Unschedulable
        If a stage's households cannot all move out in time (no plan can).

    """
    sc = scenario
    planner = _Planner(sc)
    sched = planner.sched
    members: dict[str, list[Household]] = defaultdict(list)
    for h in sc.households:
        members[sc.stage_of(h).id].append(h)
    stages = sorted(sc.stages, key=lambda s: (rules.move_out_day(sc, s), s.id))
    outcomes = {s.id: StageOutcome(s.id, *sched.block(s.id, s.id)) for s in stages}
    planner.permanent_moves(((s, h) for s in stages for h in members[s.id]), outcomes)
    for s in stages:
        planner.plan_stage(s, members[s.id], outcomes[s.id])
    households = sorted(planner.plans, key=lambda p: p.household)
    return GreedyRun(households, planner.timelines(), list(outcomes.values()))


def greedy_plan(scenario: Scenario) -> Plan:
    """A complete, priced plan built the way a planner with a spreadsheet would.

    The plan passes :func:`allocator.plan.check.check_plan` without violations
    and can seed the solver: ``solve(scenario, initial_plan=greedy_plan(scenario))``.
    The same scenario always gives the same plan.

    Parameters
    ----------
    scenario
        A validated scenario.

    Returns
    -------
    Plan
        Household plans, place timelines, costs, penalties and KPIs
        (:func:`allocator.plan.pricing.build_plan`).

    Raises
    ------
    GreedyFailed
        If some household cannot be housed (no fitting place free for its
        stay or permanent move, or a merged-away home and nothing won) or a
        stage's spares cannot be held; ``reasons`` lists them all. A failure
        does not prove the scenario infeasible: the greedy never revisits a
        choice.
    allocator.rules.Unschedulable
        If a stage's households cannot all move out in time (no plan can).

    """
    run = greedy_run(scenario)
    if not run.ok:
        raise GreedyFailed(run.problems)
    return build_plan(scenario, run.households, run.places)
