"""A greedy rehousing planner: what a planner with a spreadsheet does.

:func:`greedy_plan` builds a complete plan without CP-SAT, with the rule
predicates of :mod:`allocator.rules`, in the order a planner works:

1. **R9 first.** After-renovation dwellings go by serial dictatorship: the
   households with a wish list (not those with a permanent agreement), most
   senior first (:func:`rules.seniority_key`), each take their best eligible
   wish still free (:func:`rules.wanted_after`). A winner whose dwelling is
   ready by its move-out day moves there directly (mode ``direct``); the
   others stay in a rehousing place until it is ready.
2. **Permanent movers** (agreement permanent; an undecided household only if
   its dwelling is merged away and it won nothing, otherwise it is treated
   as temporary) each take, on their move-out day, a fitting
   own-organisation dwelling (``rules.place_problems(..., permanent=True)``)
   that is vacant by then and open-ended. They are arranged for all stages
   before any stay (the guide plans permanent moves ahead), movers with
   accessibility needs first, then by move-out day and seniority.
3. **Temporary stays**, stage by stage in move-out order. Dwellings are
   collected as they fall vacant and held empty (no time-limited letting:
   every gap is ``held_empty``). Each displaced household gets a fitting
   dwelling (``rules.place_problems``) whose availability interval
   (:func:`rules.availabilities`) covers its whole stay and that is free
   then, turnaround (R2) included; a dwelling serves later stages again
   once free, and one already held for a later permanent letting can house
   a stay that ends a turnaround before it. A renovated home of a permanent
   mover is available after its stage only if that household did move out
   for good.
4. **Pavilions** for the rest of the stage: one module per stay, reusing a
   module of the type once it is free (turnaround included) or renting a
   new one, within ``max_count`` at all times, ``lead_days`` and
   ``min_months``. Only if no module is left either does an undecided
   household that won nothing move for good instead (its agreement allows
   it); such households get the last modules.
5. **R10.** Each stage's pool is then topped up to
   :func:`rules.required_pool` with spare places at its move-out day:
   dwellings with room for a zero-length ``spare`` segment that could house
   a household of the stage, or pavilion modules rented across the stage's
   stay window.

Where the spreadsheet leaves a choice the greedy takes the cheapest option
at that moment: among fitting dwellings the one whose use adds the least
rent loss (the one that has stood empty the shortest, cheaper rent first;
soft-wish penalties included), reuse or a new module by price. A planner
places those with the fewest options first: within a stage, households no
pavilion module fits (excluded by their agreement, or by size) go first,
then those needing wheelchair access, then those needing step-free access
or a low floor, then the rest, each group in seniority order.

Timelines follow the conventions of :mod:`allocator.cpsat.extract` and the
model's (uses a turnaround apart, after a spare too; a spare pavilion
module stays rented across a stay window of its stage), so a greedy plan
is one the CP-SAT model can represent and its cost is never below the
optimum. Plans are priced by :func:`allocator.plan.pricing.build_plan`.

The same run serves the scenario generator as its feasibility witness
(:func:`allocator.generate.supply_check`): :func:`greedy_run` never raises
for a household it cannot place but records the problem per stage.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from allocator import rules
from allocator.plan.pricing import build_plan
from models.plan import HouseholdPlan, Mode, PlaceTimeline, Plan, Segment, SegmentKind
from models.scenario import (
    AfterDwelling,
    Agreement,
    Dwelling,
    Household,
    PavilionType,
    Scenario,
    Source,
    Stage,
)


class GreedyFailed(Exception):
    """The greedy planner could not house every household or fill a stage's pool.

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
        Move-out and return days (R1).
    stays
        Displaced households (temporary stays).
    pavilion_stays
        Of those, stays in pavilion modules.
    direct, permanent
        Households moving directly into an after-renovation dwelling, or for good.
    winners
        Households of the stage that won an after-renovation dwelling (R9).
    spares
        Spare places added for the R10 pool.
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
        One :class:`StageOutcome` per stage, in move-out order.

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
        """True when every household is placed and every pool is met."""
        return not self.problems


# -- fit look-ups ---------------------------------------------------------------------


class Fits:
    """:func:`rules.place_problems` as a yes/no, cached by the attributes it reads.

    Households with the same needs and places with the same features share
    one answer, which makes repeated look-ups cheap on large scenarios.
    Households and places are told apart by id (a place id is a dwelling
    id or a pavilion type id).
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._answers: dict[tuple[int, int, bool], bool] = {}
        self._classes: dict[tuple[object, ...], int] = {}
        self._households: dict[str, int] = {}
        self._places: dict[tuple[bool, str], int] = {}

    @staticmethod
    def household_key(scenario: Scenario, h: Household) -> tuple[object, ...]:
        """What :func:`rules.place_problems` reads of a household."""
        return (
            "household",
            scenario.min_rooms(h),
            h.rooms_max,
            h.wheelchair,
            h.step_free,
            h.max_floor,
            tuple(sorted(h.excluded_sources)),
        )

    @staticmethod
    def place_key(p: Dwelling | PavilionType) -> tuple[object, ...]:
        """What :func:`rules.place_problems` reads of a place."""
        if isinstance(p, PavilionType):
            return ("pavilion", p.rooms, p.wheelchair)
        return (
            "dwelling",
            p.rooms,
            p.wheelchair,
            p.step_free,
            p.floor,
            p.source,
            p.municipal_referral,
            p.municipality,
        )

    def _class(self, key: tuple[object, ...]) -> int:
        return self._classes.setdefault(key, len(self._classes))

    def household_class(self, h: Household) -> int:
        """Households of one class have the same answers."""
        c = self._households.get(h.id)
        if c is None:
            c = self._households[h.id] = self._class(self.household_key(self.scenario, h))
        return c

    def place_class(self, p: Dwelling | PavilionType) -> int:
        """Places of one class have the same answers."""
        key = (isinstance(p, PavilionType), p.id)
        c = self._places.get(key)
        if c is None:
            c = self._places[key] = self._class(self.place_key(p))
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
            hit = not rules.place_problems(self.scenario, h, p, permanent=permanent)
            self._answers[key] = hit
        return hit


def _need_tier(h: Household) -> int:
    """2 for wheelchair users, 1 for step-free or maximum-floor needs, else 0."""
    if h.wheelchair:
        return 2
    return 1 if h.step_free or h.max_floor is not None else 0


# -- places while planning --------------------------------------------------------------


@dataclass
class _Use:
    """A use of a place: an occupied stay, a spare mark or a permanent letting."""

    kind: SegmentKind
    start: int
    end: int
    stage: str
    household: str | None = None


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
    version: int = 0  # counts the uses added: a cached room is stale when it changed
    row: tuple[int, int] | None = None  # its entry in the stage shelf, if on a row
    waiting: bool = False  # in the stage shelf's set of slots with a later use
    token: int = 0  # counts its placements in the stage shelf (stale due entries)

    def room(self, start: int, end: int, turn: int, *, terminal: bool) -> tuple[int, int] | None:
        """Where a use [start, end) fits among the uses, and the rent loss it adds.

        Returns ``(position, cost)`` or ``None``. Uses are ``turn`` days
        apart (R2; after a spare too, as in the model); nothing follows a
        permanent letting (``terminal``). The days of the interval are held
        empty until its last use, so a use before a later one adds nothing
        (an empty day and an occupied day cost the same rent); a new last
        use adds the rent from the end of the previous one until ``end``.
        """
        if start < self.start or end > self.end:
            return None
        i = 0
        while i < len(self.uses) and self.uses[i].start < start:
            i += 1
        prev = self.uses[i - 1] if i else None
        nxt = self.uses[i] if i < len(self.uses) else None
        if prev is not None and (prev.kind is SegmentKind.PERMANENT or prev.end + turn > start):
            return None
        if nxt is not None:
            return None if terminal or end + turn > nxt.start else (i, 0)
        return i, self.daily * (end - (prev.end if prev else self.start))


@dataclass
class _Module:
    """A rented pavilion module: its stays and spares, and its rental [start, end)."""

    id: str
    ptype: PavilionType
    rent_start: int
    rent_end: int
    ready_at: int  # end of its last window plus the turnaround
    uses: list[_Use] = field(default_factory=list)


@dataclass(frozen=True)
class _ModuleOption:
    """A way to give a window [start, end) to a module of ``ptype``: reuse or rent."""

    cost: int
    ptype: PavilionType
    module: _Module | None  # None: rent a new module
    rent_end: int


#: A free dwelling for a use: (added cost, dwelling id, interval start, slot index,
#: the slot's version when its cost was worked out).
_Candidate = tuple[int, str, int, int, int]


@dataclass
class _Cheapest:
    """The cheapest free slots of one place class for one use [out, ret), found lazily.

    ``rows`` lists the class's slots by the day their current empty spell
    began, latest first, as ``(-base, slot index)``; the added cost of a
    slot without a later use is ``daily * (ret - base)``, at least ``dmin *
    (ret - base)``. Slots are taken off ``rows`` from ``ptr`` on into
    ``heap`` only while that bound does not exceed the cheapest found, so a
    look-up reads the recently emptied slots, not every slot of the class.
    """

    rows: list[tuple[int, int]]
    ptr: int
    dmin: int
    heap: list[_Candidate] = field(default_factory=list)


@dataclass
class _Lookup:
    """The look-ups of one use [out, ret) in one phase, one per place class.

    ``tops`` is a heap of the classes by their cheapest slot, ``(cost,
    dwelling id, start, class)``; an entry is never above the class's
    current cheapest (slots only drop out), so it is checked when it comes up.
    A class is looked up once some household that asks can live there.
    """

    clock: int  # Planner.clock when the phase first asked about the use
    found: dict[int, _Cheapest] = field(default_factory=dict)
    tops: list[tuple[int, str, int, int]] = field(default_factory=list)
    asked: set[tuple[int, bool]] = field(default_factory=set)  # household classes asking


@dataclass
class _SpareQueue:
    """Slots with room for a spare of a stage, cheapest first, read off the stage shelf.

    Candidates are ``(added cost, "dwelling@start", slot index)``; ``frontier``
    holds per place class the least cost its next unread row could add.
    """

    planner: _Planner
    stage: str
    out: int
    shortest: dict[int, int]  # place class -> the shortest stay window it must serve
    frontier: list[tuple[int, int, int]] = field(default_factory=list)  # (bound, class, row)
    heap: list[tuple[int, str, int]] = field(default_factory=list)

    def offer(self, i: int) -> None:
        """Push slot ``i`` if it can be a spare place of the stage."""
        p = self.planner
        slot = p.slots[i]
        if slot.end < self.shortest[slot.pclass]:
            return
        room = p._room(slot, self.out, self.out)
        if room is None or any(u.stage == self.stage for u in slot.uses):
            return  # a place counts once in the pool
        heapq.heappush(self.heap, (room[1], f"{slot.dwelling.id}@{slot.start}", i))

    def peek(self) -> tuple[int, str, int] | None:
        """The cheapest candidate (ties by ``dwelling@start``), if any."""
        heap, frontier, rows_of = self.heap, self.frontier, self.planner._rows
        while frontier and (not heap or frontier[0][0] <= heap[0][0]):
            _, pc, k = heapq.heappop(frontier)
            rows = rows_of[pc]
            if k + 1 < len(rows):
                bound = self.planner._dmin[pc] * (self.out + rows[k + 1][0])
                heapq.heappush(frontier, (bound, pc, k + 1))
            self.offer(rows[k][1])
        return heap[0] if heap else None

    def pop(self) -> _Slot:
        """Take the cheapest candidate's slot."""
        top = self.peek()
        assert top is not None
        heapq.heappop(self.heap)
        return self.planner.slots[top[2]]


class _Planner:
    """The state of one greedy run."""

    def __init__(self, scenario: Scenario) -> None:
        sc = self.sc = scenario
        self.fits = Fits(sc)
        self.turn = sc.policy.turnaround_days
        self.removed = sc.removed_dwellings()
        self.slots: list[_Slot] = []
        for a in rules.availabilities(sc):
            d = sc.dwelling(a.dwelling)
            daily = rules.daily_ore(d.monthly_rent)
            pc = self.fits.place_class(d)
            self.slots.append(_Slot(0, d, a.start, a.end, a.vacated_by, daily, pc))
        self.slots.sort(key=lambda s: (s.start, s.dwelling.id))
        for i, slot in enumerate(self.slots):
            slot.index = i
        self.fleet: dict[str, list[_Module]] = {p.id: [] for p in sc.pavilions}
        self.modules: list[_Module] = []
        self.modes: dict[str, Mode] = {}
        self.clock = 0  # households recorded so far
        self._mode_set: dict[str, int] = {}  # household -> the clock when it got its mode
        self.plans: list[HouseholdPlan] = []
        self._stage_dates: dict[str, tuple[date, date]] = {}  # stage -> notice, move-out
        self._return_dates: dict[int, tuple[date, date]] = {}  # day -> return, letter
        self.won: dict[str, AfterDwelling] = {}
        # -- finding free dwellings (see _Cheapest and _advance) --
        self._class_of: dict[int, Dwelling] = {}  # place class -> a dwelling of it
        self._dmin: dict[int, int] = {}  # place class -> its lowest daily rent
        self._vacated: dict[str, list[int]] = defaultdict(list)  # household -> its home's slots
        # the permanent phase: open-ended slots without uses, latest start first
        self._open_rows: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for slot in self.slots:
            pc = slot.pclass
            self._class_of.setdefault(pc, slot.dwelling)
            self._dmin[pc] = min(self._dmin.get(pc, slot.daily), slot.daily)
            if slot.vacated_by is not None:
                self._vacated[slot.vacated_by].append(slot.index)
            if slot.end == rules.FOREVER:
                self._open_rows[pc].append((-slot.start, slot.index))
        for rows in self._open_rows.values():
            rows.sort()
        self._fitting_of: dict[tuple[int, bool], list[int]] = {}
        self._fitting_sets: dict[tuple[int, bool], frozenset[int]] = {}
        # look-ups of one phase, stay and kind of use
        self._lookups: dict[tuple[int, int, bool], _Lookup] = {}
        # the stage shelf (stage by stage): slots by class, as of the move-out day _out
        self._staged = False
        self._out = -1
        self._next = 0  # slots before this index have started by _out
        self._rows: dict[int, list[tuple[int, int]]] = defaultdict(list)  # free, no later use
        self._later: dict[int, dict[int, None]] = defaultdict(dict)  # free before a later use
        self._due: list[tuple[int, int, int]] = []  # (day, slot index, token): look again
        self._touched: set[int] = set()  # slots with a use added since _advance

    # -- R9 ----------------------------------------------------------------------------

    def allocate_after_dwellings(self) -> None:
        """R9: serial dictatorship by seniority among the households with wishes."""
        sc = self.sc
        taken: set[str] = set()
        participants = [
            h for h in sc.households if h.wishes and h.agreement is not Agreement.PERMANENT
        ]
        for h in sorted(participants, key=lambda h: rules.seniority_key(sc, h)):
            for a in rules.wanted_after(sc, h):
                if a.id not in taken:
                    taken.add(a.id)
                    self.won[h.id] = a
                    break

    # -- households --------------------------------------------------------------------

    def moves_permanently(self, h: Household) -> bool:
        """Permanent agreement, or undecided, merged away and without a won dwelling."""
        return h.agreement is Agreement.PERMANENT or (
            h.agreement is Agreement.UNDECIDED
            and h.dwelling in self.removed
            and h.id not in self.won
        )

    def _may_move_permanently(self, h: Household) -> bool:
        """Undecided and without a won dwelling: a permanent move is open to it (R8, R9)."""
        return h.agreement is Agreement.UNDECIDED and h.id not in self.won

    def _room(
        self, slot: _Slot, start: int, end: int, *, terminal: bool = False
    ) -> tuple[int, int] | None:
        """:meth:`_Slot.room`, if the interval's condition (a permanent mover's home) holds."""
        if slot.vacated_by is not None and self.modes.get(slot.vacated_by) is not Mode.PERMANENT:
            return None
        return slot.room(start, end, self.turn, terminal=terminal)

    def _use(self, slot: _Slot, use: _Use) -> None:
        room = self._room(slot, use.start, use.end, terminal=use.kind is SegmentKind.PERMANENT)
        assert room is not None, (slot.dwelling.id, use)
        slot.uses.insert(room[0], use)
        slot.version += 1
        if self._staged:
            self._touched.add(slot.index)

    def _record(self, h: Household, stage: Stage, mode: Mode, **fields: object) -> None:
        sc = self.sc
        dates = self._stage_dates.get(stage.id)
        if dates is None:  # the same for every household of the stage
            out = rules.move_out_day(sc, stage)
            dates = self._stage_dates[stage.id] = (rules.notice_date(sc, stage), sc.date_of(out))
        self.modes[h.id] = mode
        self.clock += 1
        self._mode_set[h.id] = self.clock
        if self._staged and mode is Mode.PERMANENT:  # its home's slots may open up
            self._touched.update(i for i in self._vacated.get(h.id, ()) if i < self._next)
        ret = fields.pop("return_day", None)
        return_date: date | None = None
        letter_date: date | None = None
        if isinstance(ret, int):
            returns = self._return_dates.get(ret)
            if returns is None:
                back = sc.date_of(ret)
                returns = self._return_dates[ret] = (back, rules.return_letter_date(back))
            return_date, letter_date = returns
        self.plans.append(
            HouseholdPlan.model_validate(
                {
                    "household": h.id,
                    "stage": stage.id,
                    "mode": mode,
                    "notice_date": dates[0],
                    "move_out": dates[1],
                    "return_date": return_date,
                    "return_letter_date": letter_date,
                    **fields,
                }
            )
        )

    # -- finding free dwellings --------------------------------------------------------
    #
    # The planner asks for the cheapest fitting dwelling with room for a use
    # [out, ret) many times per stage. Its answer is the one of a cost heap
    # per place class, built when a phase (the permanent moves, or a stage)
    # first asks about that use and popped lazily: within a phase a use only
    # ever takes a slot out of the running for the phase's other look-ups
    # (it starts on the phase's move-out day), and costs do not change. The
    # heaps are filled lazily too: the added cost of a slot with no later
    # use is its daily rent times the days from the start of its empty spell
    # (``base``) to ``ret``, so the class's slots are read latest spell first
    # (:class:`_Cheapest`), never more than can beat the cheapest found.
    #
    # Stage by stage the move-out day only grows, and :meth:`_advance` keeps
    # the slots that have started by it on a shelf: on a row of their class
    # by ``base`` if free with no later use, in ``_later`` if free before a
    # later use (they add nothing), else out until the day they may be
    # free again (``_due``). A slot gets a use only on the current move-out
    # day, and is put back where it belongs at the next stage.

    def _advance(self, out: int) -> None:
        """Bring the stage shelf to move-out day ``out`` (never earlier than before)."""
        assert out >= self._out, (out, self._out)
        self._staged = True
        self._out = out
        slots = self.slots
        while self._next < len(slots) and slots[self._next].start <= out:
            self._place(slots[self._next])
            self._next += 1
        due = self._due
        while due and due[0][0] <= out:
            _, i, token = heapq.heappop(due)
            if slots[i].token == token:
                self._place(slots[i])
        for i in sorted(self._touched):
            self._place(slots[i])
        self._touched.clear()

    def _place(self, slot: _Slot) -> None:
        """Put ``slot`` where it belongs on the stage shelf as of its move-out day."""
        out, pc = self._out, slot.pclass
        if slot.row is not None:
            rows = self._rows[pc]
            del rows[bisect_left(rows, slot.row)]
            slot.row = None
        if slot.waiting:
            del self._later[pc][slot.index]
            slot.waiting = False
        slot.token += 1
        if slot.end < out:
            return  # over for good
        if slot.vacated_by is not None and self.modes.get(slot.vacated_by) is not Mode.PERMANENT:
            # the household's stage came first (it returns after it moves out), so its
            # mode is final; _record puts the slot back should it move out for good
            return
        uses = slot.uses
        i = 0
        while i < len(uses) and uses[i].start < out:
            i += 1
        prev = uses[i - 1] if i else None
        if prev is not None:
            if prev.kind is SegmentKind.PERMANENT:
                return  # let for good
            if prev.end + self.turn > out:
                heapq.heappush(self._due, (prev.end + self.turn, slot.index, slot.token))
                return
        if i < len(uses):
            self._later[pc][slot.index] = None
            slot.waiting = True
            heapq.heappush(self._due, (uses[i].start + 1, slot.index, slot.token))
            return
        slot.row = (-(prev.end if prev is not None else slot.start), slot.index)
        insort(self._rows[pc], slot.row)
        if slot.end != rules.FOREVER:
            heapq.heappush(self._due, (slot.end + 1, slot.index, slot.token))

    def _fitting(self, hc: int, h: Household, permanent: bool) -> list[int]:
        """Place classes of dwellings that can house households of class ``hc``."""
        key = (hc, permanent)
        got = self._fitting_of.get(key)
        if got is None:
            answer = self.fits.answer
            got = [pc for pc, d in self._class_of.items() if answer(hc, pc, permanent, h, d)]
            self._fitting_of[key] = got
        return got

    def _offer(
        self, heap: list[_Candidate], i: int, out: int, ret: int, permanent: bool, clock: int
    ) -> None:
        """Push slot ``i`` if it has room for [out, ret) and had it at ``clock``."""
        slot = self.slots[i]
        if permanent and slot.end != rules.FOREVER:
            return
        vacated_by = slot.vacated_by
        if vacated_by is not None and self._mode_set.get(vacated_by, clock + 1) > clock:
            return  # its condition came true after the look-up began
        room = self._room(slot, out, ret, terminal=permanent)
        if room is not None:
            heapq.heappush(heap, (room[1], slot.dwelling.id, slot.start, i, slot.version))

    def _cheapest(self, pc: int, out: int, ret: int, permanent: bool, clock: int) -> _Cheapest:
        """A look-up of class ``pc`` for a use [out, ret) begun at ``clock``."""
        if not self._staged:  # the permanent phase: no slot has a use but a permanent one
            assert permanent
            rows = self._open_rows.get(pc, [])
            return _Cheapest(rows, bisect_left(rows, (-out, -1)), self._dmin[pc])
        assert out == self._out, (out, self._out)
        found = _Cheapest(self._rows[pc], 0, self._dmin[pc])
        for i in self._later.get(pc, ()):
            self._offer(found.heap, i, out, ret, permanent, clock)
        return found

    def _top(
        self, found: _Cheapest, out: int, ret: int, permanent: bool, clock: int
    ) -> _Candidate | None:
        """The cheapest slot of a look-up still with room (ties by dwelling id, start)."""
        heap, rows, dmin = found.heap, found.rows, found.dmin
        while True:
            while found.ptr < len(rows) and (
                not heap or dmin * (ret + rows[found.ptr][0]) <= heap[0][0]
            ):
                i = rows[found.ptr][1]
                found.ptr += 1
                self._offer(heap, i, out, ret, permanent, clock)
            if not heap:
                return None
            top = heap[0]
            slot = self.slots[top[3]]
            if slot.version == top[4]:
                return top
            heapq.heappop(heap)
            room = self._room(slot, out, ret, terminal=permanent)
            if room is not None:  # its cost changed: back in at the new one
                heapq.heappush(heap, (room[1], top[1], top[2], top[3], slot.version))

    def _best_dwelling(self, h: Household, out: int, ret: int, permanent: bool) -> _Slot | None:
        """The fitting dwelling with room for [out, ret) whose use adds the least cost.

        The cost is the rent lost from its previous use (or collection)
        until ``ret`` if this becomes its last use, else nothing, plus the
        soft-wish penalty; ties by dwelling id.
        """
        lookup = self._lookups.get((out, ret, permanent))
        if lookup is None:
            lookup = self._lookups[out, ret, permanent] = _Lookup(self.clock)
        clock, found, tops = lookup.clock, lookup.found, lookup.tops
        key = (self.fits.household_class(h), permanent)
        fitting = self._fitting_sets.get(key)
        if fitting is None:
            fitting = self._fitting_sets[key] = frozenset(self._fitting(key[0], h, permanent))
        if key not in lookup.asked:
            lookup.asked.add(key)
            for pc in self._fitting(key[0], h, permanent):
                if pc not in found:
                    f = found[pc] = self._cheapest(pc, out, ret, permanent, clock)
                    top = self._top(f, out, ret, permanent, clock)
                    if top is not None:
                        heapq.heappush(tops, (top[0], top[1], top[2], pc))
        best: tuple[int, str, int] | None = None
        pick: _Slot | None = None
        seen: list[tuple[int, str, int, int]] = []
        while tops:
            entry = tops[0]
            if best is not None and entry[:3] > best:
                break  # a penalty only adds
            pc = entry[3]
            top = self._top(found[pc], out, ret, permanent, clock)
            if top is None:
                heapq.heappop(tops)
            elif top[:3] != entry[:3]:
                heapq.heapreplace(tops, (top[0], top[1], top[2], pc))
            else:
                seen.append(heapq.heappop(tops))
                if pc in fitting:
                    pen = rules.penalty_ore(self.sc, h, self._class_of[pc])
                    k = (top[0] + pen, top[1], top[2])
                    if best is None or k < best:
                        best, pick = k, self.slots[top[3]]
        for entry in seen:
            heapq.heappush(tops, entry)
        return pick

    def move_permanently(self, h: Household, stage: Stage) -> bool:
        """R8: the cheapest fitting own-organisation dwelling free by the move-out day."""
        out = rules.move_out_day(self.sc, stage)
        pick = self._best_dwelling(h, out, out, permanent=True)
        if pick is None:
            return False
        self._use(pick, _Use(SegmentKind.PERMANENT, out, out, stage.id, h.id))
        self._record(h, stage, Mode.PERMANENT, permanent_dwelling=pick.dwelling.id)
        return True

    def stay_in_dwelling(self, h: Household, stage: Stage, ret: int) -> _Slot | None:
        """The fitting dwelling with room for the stay [out, ret) that adds the least cost."""
        out = rules.move_out_day(self.sc, stage)
        pick = self._best_dwelling(h, out, ret, permanent=False)
        if pick is not None:
            self._use(pick, _Use(SegmentKind.OCCUPIED, out, ret, stage.id, h.id))
        return pick

    # -- pavilions ---------------------------------------------------------------------

    def _rented(self, ptype: PavilionType, start: int, end: int, skip: _Module | None) -> int:
        """Most modules of ``ptype`` (other than ``skip``) rented on one day of [start, end)."""
        periods = [(m.rent_start, m.rent_end) for m in self.fleet[ptype.id] if m is not skip]
        days = [start, *(a for a, _ in periods if start < a < end)]
        return max((sum(1 for a, b in periods if a <= t < b) for t in days), default=0)

    def module_options(self, ptype: PavilionType, start: int, end: int) -> list[_ModuleOption]:
        """Ways to give the window [start, end) to a module of ``ptype`` (R12)."""
        if start < ptype.lead_days:
            return []
        daily = rules.daily_ore(ptype.monthly_rent)
        out: list[_ModuleOption] = []
        for m in self.fleet[ptype.id]:
            if m.ready_at > start:
                continue
            rent_end = max(m.rent_end, end)
            if rent_end > m.rent_end and (
                self._rented(ptype, m.rent_end, rent_end, m) >= ptype.max_count
            ):
                continue
            out.append(_ModuleOption(daily * (rent_end - m.rent_end), ptype, m, rent_end))
        rent_end = max(end, start + rules.months_to_days(ptype.min_months))
        if self._rented(ptype, start, rent_end, None) < ptype.max_count:
            fixed = rules.ore(ptype.setup_cost) + rules.ore(ptype.removal_cost)
            out.append(_ModuleOption(fixed + daily * (rent_end - start), ptype, None, rent_end))
        return out

    def take_module(self, option: _ModuleOption, start: int, window_end: int, use: _Use) -> str:
        """Book ``option`` for a window [start, window_end) with ``use``; the module id."""
        m = option.module
        if m is None:
            p = option.ptype
            m = _Module(f"{p.id}-{len(self.fleet[p.id]) + 1:02d}", p, start, option.rent_end, 0)
            self.fleet[p.id].append(m)
            self.modules.append(m)
        m.rent_end = option.rent_end
        m.ready_at = window_end + self.turn
        m.uses.append(use)
        return m.id

    def stay_in_pavilion(self, h: Household, stage: Stage, ret: int) -> str | None:
        """The cheapest module (reused or new) of a fitting type for the stay."""
        out = rules.move_out_day(self.sc, stage)
        options: list[tuple[int, str, _ModuleOption]] = []
        for p in self.sc.pavilions:
            if not self.fits(h, p):
                continue
            pen = rules.penalty_ore(self.sc, h, p)
            for o in self.module_options(p, out, ret):
                options.append((o.cost + pen, o.module.id if o.module else "~", o))
        if not options:
            return None
        option = min(options, key=lambda t: t[:2])[2]
        use = _Use(SegmentKind.OCCUPIED, out, ret, stage.id, h.id)
        return self.take_module(option, out, ret, use)

    # -- R10 ---------------------------------------------------------------------------

    def add_spares(self, stage: Stage, windows: list[tuple[int, Household]], count: int) -> int:
        """Add up to ``count`` spare places of ``stage`` at its move-out day (R10).

        Each time the cheapest: a dwelling with room for it (held empty
        until the move-out day) or a pavilion module (reused or new, rented across a
        stay window of the stage). ``windows`` are the stays (end day,
        household) the stage could have: a spare must be a place that could
        house one of them. Returns how many it added.
        """
        out = rules.move_out_day(self.sc, stage)
        fits = self.fits
        kinds: dict[tuple[int, int], tuple[int, Household]] = {}
        for end, h in windows:
            kinds.setdefault((end, fits.household_class(h)), (end, h))
        needs = [(end, hc, h) for (end, hc), (_, h) in kinds.items()]
        dwellings = self._spare_dwellings(stage, out, needs)
        module_ends: dict[str, int] = {}  # per usable type: its shortest stay window
        for p in self.sc.pavilions:
            ends = [end for end, _, h in needs if fits(h, p)]
            if ends:
                module_ends[p.id] = min(ends)
        added = 0
        while added < count:
            best: tuple[int, int, str] | None = None
            pick: _ModuleOption | None = None
            first = dwellings.peek()
            if first is not None:
                best = (first[0], 0, first[1])
            for p in self.sc.pavilions:
                if p.id not in module_ends:
                    continue
                for o in self.module_options(p, out, module_ends[p.id]):
                    key = (o.cost, 1, o.module.id if o.module else f"{p.id}~")
                    if best is None or key < best:
                        best, pick = key, o
            if best is None:
                break
            use = _Use(SegmentKind.SPARE, out, out, stage.id)
            if pick is None:
                self._use(dwellings.pop(), use)
            else:
                self.take_module(pick, out, module_ends[pick.ptype.id], use)
            added += 1
        return added

    def _spare_dwellings(
        self, stage: Stage, out: int, needs: list[tuple[int, int, Household]]
    ) -> _SpareQueue:
        """Dwellings that could be spare places of ``stage``, cheapest first (lazily).

        A dwelling with room for a spare at the move-out day, with no use of
        the stage yet (a place counts once in the pool), that could house a
        need (end of its stay window, household class, a household of it):
        it fits the household and is available until the window ends.
        """
        shortest: dict[int, int] = {}  # place class -> the shortest window it could serve
        for end, hc, h in needs:
            for pc in self._fitting(hc, h, False):
                if end < shortest.get(pc, rules.FOREVER + 1):
                    shortest[pc] = end
        queue = _SpareQueue(self, stage.id, out, shortest)
        for pc in shortest:
            rows = self._rows.get(pc)
            if rows:
                queue.frontier.append((self._dmin[pc] * (out + rows[0][0]), pc, 0))
            for i in self._later.get(pc, ()):
                queue.offer(i)
        heapq.heapify(queue.frontier)
        return queue

    # -- a stage -----------------------------------------------------------------------

    def permanent_moves(
        self,
        stages: list[Stage],
        members: dict[str, list[Household]],
        outcomes: dict[str, StageOutcome],
    ) -> None:
        """R8: every permanent mover of every stage, before any temporary stay.

        Permanent moves are arranged in the planning phase, ahead of the
        stays: accessible movers first, then by move-out day and seniority.
        """
        sc = self.sc
        movers = [(s, h) for s in stages for h in members[s.id] if self.moves_permanently(h)]
        movers.sort(
            key=lambda m: (
                -_need_tier(m[1]),
                rules.move_out_day(sc, m[0]),
                rules.seniority_key(sc, m[1]),
            )
        )
        for stage, h in movers:
            st = outcomes[stage.id]
            if self.move_permanently(h, stage):
                st.permanent += 1
            else:
                st.problems.append(
                    f"household {h.id}: R8: no fitting own-organisation dwelling is free "
                    f"by the move-out day {sc.date_of(st.out_day)} for a permanent move"
                )
        self._lookups.clear()

    def plan_stage(self, stage: Stage, members: list[Household], st: StageOutcome) -> None:
        """Direct moves, temporary stays and spares of one stage."""
        sc = self.sc
        out, back = st.out_day, st.back_day
        self._lookups.clear()  # costs change from stage to stage
        self._advance(out)
        when = f"{sc.date_of(out)}"
        order = sorted(
            members,
            key=lambda h: (
                any(self.fits(h, p) for p in sc.pavilions),  # no module fits: first
                -_need_tier(h),
                rules.seniority_key(sc, h),
            ),
        )
        st.winners = sum(1 for h in members if h.id in self.won)

        stays: list[tuple[Household, int]] = []
        for h in order:
            if self.moves_permanently(h):
                continue
            win = self.won.get(h.id)
            if win is not None and rules.ready_day(sc, win) <= out:
                self._record(h, stage, Mode.DIRECT, after_dwelling=win.id)
                st.direct += 1
            elif win is None and h.dwelling in self.removed:
                st.problems.append(
                    f"household {h.id}: R8: its dwelling {h.dwelling} is merged away, it wins "
                    "no after-renovation dwelling and its agreement rules out a permanent move"
                )
            else:
                stays.append((h, rules.ready_day(sc, win) if win is not None else back))

        pending: list[tuple[Household, int]] = []
        for h, ret in stays:  # dwellings first, in order
            slot = self.stay_in_dwelling(h, stage, ret)
            if slot is None:
                pending.append((h, ret))
                continue
            self._temporary(h, stage, ret, slot.dwelling.id, slot.dwelling.source)
            st.stays += 1
        # pavilion modules for the rest; households that could still move for good
        # (undecided, nothing won) come last and do so if no module is left
        pending.sort(key=lambda p: self._may_move_permanently(p[0]))
        for h, ret in pending:
            module = self.stay_in_pavilion(h, stage, ret)
            if module is not None:
                self._temporary(h, stage, ret, module, Source.PAVILION)
                st.stays += 1
                st.pavilion_stays += 1
            elif self._may_move_permanently(h) and self.move_permanently(h, stage):
                st.permanent += 1
            else:
                st.problems.append(
                    f"household {h.id}: no fitting dwelling or pavilion module is free for "
                    f"its stay {when} to {sc.date_of(ret)}"
                )

        st.pool_needed = rules.required_pool(sc, st.stays)
        if st.pool < st.pool_needed:
            windows = self._windows(members, out, back)
            st.spares = self.add_spares(stage, windows, st.pool_needed - st.pool)
        if st.pool < st.pool_needed:
            st.problems.append(
                f"stage {stage.id}: R10: a pool of {st.pool} places for {st.stays} displaced "
                f"households; it needs {st.pool_needed} and no further place is free on {when}"
            )

    def _temporary(self, h: Household, stage: Stage, ret: int, place: str, source: Source) -> None:
        win = self.won.get(h.id)
        self._record(
            h,
            stage,
            Mode.TEMPORARY,
            return_day=ret,
            place=place,
            place_source=source,
            after_dwelling=win.id if win else None,
        )

    def _windows(
        self, members: list[Household], out: int, back: int
    ) -> list[tuple[int, Household]]:
        """Every stay (end day, household) a household of the stage could have."""
        windows = []
        for h in members:
            if h.agreement is Agreement.PERMANENT:
                continue
            if h.dwelling not in self.removed:
                windows.append((back, h))
            for a in rules.wanted_after(self.sc, h):
                ready = rules.ready_day(self.sc, a)
                if ready > out:
                    windows.append((ready, h))
        return windows

    # -- the plan ----------------------------------------------------------------------

    def timelines(self) -> list[PlaceTimeline]:
        """Dwelling timelines (held empty between uses), then pavilion modules."""
        sc = self.sc
        out: list[PlaceTimeline] = []
        order = {d.id: i for i, d in enumerate(sc.dwellings)}
        for slot in sorted(self.slots, key=lambda s: (order[s.dwelling.id], s.start)):
            if not slot.uses:
                continue
            segments: list[Segment] = []
            t = slot.start
            for use in slot.uses:
                if use.start > t:
                    segments.append(
                        Segment(
                            kind=SegmentKind.HELD_EMPTY,
                            start=sc.date_of(t),
                            end=sc.date_of(use.start),
                            stage=use.stage,
                        )
                    )
                segments.append(self._segment(use))
                t = use.end
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
                    segments=[self._segment(u) for u in m.uses],
                )
            )
        return out

    def _segment(self, use: _Use) -> Segment:
        return Segment(
            kind=use.kind,
            start=self.sc.date_of(use.start),
            end=self.sc.date_of(use.end),
            household=use.household,
            stage=use.stage,
        )


# -- public API -------------------------------------------------------------------------


def greedy_run(scenario: Scenario) -> GreedyRun:
    """Run the greedy planner and report what it managed, stage by stage.

    It never raises for a household it cannot place or a pool it cannot
    fill: such problems are listed in the stage's :class:`StageOutcome` and
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
        move-out order (ties by stage id).

    """
    sc = scenario
    planner = _Planner(sc)
    planner.allocate_after_dwellings()
    members: dict[str, list[Household]] = defaultdict(list)
    for h in sc.households:
        members[sc.stage_of(h).id].append(h)
    stages = sorted(sc.stages, key=lambda s: (rules.move_out_day(sc, s), s.id))
    outcomes = {
        s.id: StageOutcome(s.id, rules.move_out_day(sc, s), rules.back_day(sc, s)) for s in stages
    }
    planner.permanent_moves(stages, members, outcomes)
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
        stay or permanent move, or a merged-away dwelling and nothing won)
        or a stage's R10 pool cannot be filled; ``reasons`` lists them all.
        A failure does not prove the scenario infeasible: the greedy never
        revisits a choice.

    """
    run = greedy_run(scenario)
    if not run.ok:
        raise GreedyFailed(run.problems)
    return build_plan(scenario, run.households, run.places)
