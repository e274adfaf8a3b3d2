"""Read a CP-SAT solution back into household plans and place timelines.

The model gives places to classes of households; here every place is
handed to a concrete household of its class, most senior first, so the
result is deterministic for a given solution.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable

from ortools.sat.python import cp_model

from allocator import rules
from allocator.cpsat.instance import TIME_POINTS, Instance, NodeKind, Option, OptionKind, Unit
from allocator.cpsat.model import RehousingModel
from allocator.plan.timeline import gap_segments, spare_segment, stay_segments
from models.plan import HouseholdPlan, Mode, PlaceTimeline, Segment, SegmentKind
from models.scenario import Source

Value = Callable[[cp_model.IntVar], int]


class ExtractionError(RuntimeError):
    """The solution does not decode into a plan (a bug, never bad input)."""


def extract(model: RehousingModel, value: Value) -> tuple[list[HouseholdPlan], list[PlaceTimeline]]:
    """Turn solver values into household plans and place timelines.

    Parameters
    ----------
    model
        The built model.
    value
        ``value(var)`` returns the solution value of a variable
        (e.g. ``CpSolver.value``).

    """
    inst, v = model.instance, model.vars

    def rounded(var: cp_model.IntVar) -> int:
        return round(value(var))  # the MILP peer gives floats such as 0.9999999

    chosen: list[Option] = []
    stays: dict[tuple[int, int], deque[int]] = defaultdict(deque)
    movers: dict[tuple[str, int, int], deque[int]] = defaultdict(deque)
    for hi, info in enumerate(inst.households):
        picked = [o for o, var in zip(info.options, v.option[hi], strict=True) if rounded(var)]
        if len(picked) != 1:
            raise ExtractionError(f"household {info.household.id}: {len(picked)} outcomes")
        opt = picked[0]
        chosen.append(opt)
        if opt.window is not None:
            stays[(opt.window, info.signature)].append(hi)
        elif opt.kind is OptionKind.PERMANENT:
            movers[(info.stage, info.out, info.signature)].append(hi)

    occupant = _occupants(model, rounded, stays, movers)
    held_for = _spare_needs(model, rounded)
    where: dict[int, tuple[str, Source]] = {}  # household -> (place, source)
    places: list[PlaceTimeline] = []
    for u, unit in enumerate(inst.units):
        timeline = _unit_timeline(model, u, unit, rounded, occupant, held_for, where)
        if timeline is not None:
            places.append(timeline)
    places.extend(_pavilion_timelines(model, rounded, stays, where))

    left = [hi for queue in (*stays.values(), *movers.values()) for hi in queue]
    if left:
        names = ", ".join(inst.households[hi].household.id for hi in left)
        raise ExtractionError(f"households without a place: {names}")
    households = [
        _household_plan(inst, hi, chosen[hi], where.get(hi)) for hi in range(len(inst.households))
    ]
    households.sort(key=lambda p: p.household)
    return households, places


def _occupants(
    model: RehousingModel,
    value: Value,
    stays: dict[tuple[int, int], deque[int]],
    movers: dict[tuple[str, int, int], deque[int]],
) -> dict[tuple[int, int], int]:
    """Hand the used stays and lettings of each dwelling type to households.

    The model counts places per type and class; any matching of the used
    dwellings of a type to the households of its classes is equivalent.
    """
    occupant: dict[tuple[int, int], int] = {}
    arcs = model.vars.arc
    groups: list[
        tuple[
            object,
            list[tuple[int, int, tuple[int, ...]]],
            dict[int, cp_model.IntVar],
            dict[int, deque[int]],
        ]
    ] = []
    for (w, t), nodes in model.stay_nodes.items():
        queues = {c: stays[(w, c)] for c in model.vars.stay[(w, t)]}
        groups.append(((w, t), nodes, model.vars.stay[(w, t)], queues))
    for (stage, day, t), nodes in model.move_nodes.items():
        queues = {c: movers[(stage, day, c)] for c in model.vars.move[(stage, day, t)]}
        groups.append(((stage, day, t), nodes, model.vars.move[(stage, day, t)], queues))
    inst = model.instance
    preferred = model.preferred
    if model.preferred_pavilion:  # households promised a module wait for the modules
        for queue in stays.values():
            wait = [
                hi for hi in queue if inst.households[hi].household.id in model.preferred_pavilion
            ]
            for hi in wait:
                queue.remove(hi)
            queue.extend(wait)
    todo = []
    for _, nodes, counts, queues in groups:
        used = _used(arcs, nodes, value)
        left = {c: value(var) for c, var in counts.items()}
        if preferred:  # households promised a used dwelling get it first
            for c in counts:
                for hi in list(queues[c]):
                    want = preferred.get(inst.households[hi].household.id)
                    node = next((n for n in used if inst.units[n[0]].dwelling == want), None)
                    if node is not None and left[c] > 0:
                        used.remove(node)
                        queues[c].remove(hi)
                        occupant[node] = hi
                        left[c] -= 1
        todo.append((used, left, queues))
    for used, left, queues in todo:
        for c, n in left.items():
            for _ in range(n):
                occupant[used.popleft()] = queues[c].popleft()
        if used:
            raise ExtractionError(f"{len(used)} used places of a type without a household")
    return occupant


def _used(
    arcs: list[dict[tuple[int, int], cp_model.IntVar]],
    nodes: list[tuple[int, int, tuple[int, ...]]],
    value: Value,
) -> deque[tuple[int, int]]:
    """The (unit, node) pairs among ``nodes`` that the solution's paths visit."""
    return deque(
        (u, j)
        for u, j, _ in nodes
        if any(value(var) for (_, jj), var in arcs[u].items() if jj == j)
    )


def _spare_needs(model: RehousingModel, value: Value) -> dict[tuple[int, int], int]:
    """The need each used spare of a dwelling is held for (R10): (unit, node) -> need."""
    held: dict[tuple[int, int], int] = {}
    for key, nodes in model.spare_nodes.items():
        used = _used(model.vars.arc, nodes, value)
        for n, var in model.vars.spare[key].items():
            for _ in range(value(var)):
                held[used.popleft()] = n
        if used:
            raise ExtractionError(f"{len(used)} spares of a type held for no need")
    return held


def _unit_timeline(
    model: RehousingModel,
    u: int,
    unit: Unit,
    value: Value,
    occupant: dict[tuple[int, int], int],
    held_for: dict[tuple[int, int], int],
    where: dict[int, tuple[str, Source]],
) -> PlaceTimeline | None:
    inst = model.instance
    scenario = inst.scenario
    date = scenario.date_of
    successor = {i: j for (i, j), var in model.vars.arc[u].items() if value(var)}
    source = scenario.dwelling(unit.dwelling).source
    segments: list[Segment] = []
    i, t, leased, after_occupant = -1, unit.start, False, False
    while i in successor:
        i = successor[i]
        node = unit.nodes[i]
        if node.kind is NodeKind.LEASE:
            leased = True  # the gap runs along the lease chain (instance._link)
        if node.kind in TIME_POINTS:
            continue
        # the gap [t, node.start) before this use, priced for the use's stage
        stage = node.stage
        try:
            segments += gap_segments(
                scenario, t, node.start, stage, leased=leased, after_occupant=after_occupant
            )
        except ValueError:
            raise ExtractionError(f"unit {u}: a lease too short from day {t}") from None
        if node.kind is NodeKind.SPARE:
            need = inst.need_groups[held_for[(u, i)]]
            segments.append(spare_segment(scenario, node.start, node.end, stage, need))
        else:
            hi = occupant[(u, i)]
            where[hi] = (unit.dwelling, source)
            info = inst.households[hi]
            if node.kind is NodeKind.STAY:
                assert info.back is not None
                segments += stay_segments(
                    scenario, node.start, node.end, info.household.id, stage, info.out, info.back
                )
            else:
                segments.append(
                    Segment(
                        kind=SegmentKind.PERMANENT,
                        start=date(node.start),
                        end=date(node.end),
                        household=info.household.id,
                        stage=stage,
                    )
                )
        t, leased, after_occupant = node.end, False, node.kind is NodeKind.STAY
    if not segments:
        return None
    return PlaceTimeline(
        place=unit.dwelling,
        source=source,
        collected_from=date(unit.start),
        released=date(t),
        segments=segments,
    )


def _pavilion_timelines(
    model: RehousingModel,
    value: Value,
    stays: dict[tuple[int, int], deque[int]],
    where: dict[int, tuple[str, Source]],
) -> list[PlaceTimeline]:
    inst = model.instance
    date = inst.scenario.date_of
    out: list[PlaceTimeline] = []
    for p, pav in enumerate(inst.pavilions):
        modules: list[tuple[str, int]] = []  # (module id, chain index)
        for k in range(len(pav.chains)):
            for _ in range(value(model.vars.chain[p][k])):
                modules.append((f"{pav.pavilion.id}-{len(modules) + 1:02d}", k))
        occupant: dict[tuple[str, int], int] = {}  # (module, window) -> household
        spare: dict[tuple[str, int], int] = {}  # (module, window) -> need held for
        for w, by_class in model.vars.pav_place[p].items():
            # spares go to modules free over the offer period, households to the others first
            free = sorted(
                (mid for mid, k in modules if w in pav.chains[k].windows),
                key=lambda mid: w in pav.chains[dict(modules)[mid]].spare_windows,
            )
            for n, var in model.vars.pav_spare[p].get(w, {}).items():
                for _ in range(value(var)):
                    spare[(free.pop(), w)] = n
            for c, var in by_class.items():
                for _ in range(value(var)):
                    hi = _take(model, stays[(w, c)], pav.pavilion.id)
                    mid = free.pop(0)
                    occupant[(mid, w)] = hi
                    where[hi] = (mid, Source.PAVILION)
        for mid, k in modules:
            chain = pav.chains[k]
            segments = []
            for w in chain.windows:
                window = inst.windows[w]
                hi_or_none = occupant.get((mid, w))
                if (mid, w) in spare:
                    start, end = inst.schedule.offer_period(window.stage)
                    need = inst.need_groups[spare[(mid, w)]]
                    segments.append(spare_segment(inst.scenario, start, end, window.stage, need))
                elif hi_or_none is not None:
                    info = inst.households[hi_or_none]
                    assert info.back is not None
                    segments.append(
                        Segment(
                            kind=SegmentKind.OCCUPIED,
                            start=date(info.out),
                            end=date(info.back),
                            household=info.household.id,
                            stage=window.stage,
                        )
                    )
            out.append(
                PlaceTimeline(
                    place=mid,
                    source=Source.PAVILION,
                    pavilion_type=pav.pavilion.id,
                    collected_from=date(chain.rent_start),
                    released=date(chain.rent_end),
                    segments=segments,
                )
            )
    return out


def _take(model: RehousingModel, queue: deque[int], pavilion: str) -> int:
    """The next household of ``queue`` for a module of ``pavilion``: one promised it first."""
    want = model.preferred_pavilion
    if want:
        for hi in queue:
            if want.get(model.instance.households[hi].household.id) == pavilion:
                queue.remove(hi)
                return hi
    return queue.popleft()


def _household_plan(
    inst: Instance, hi: int, opt: Option, place: tuple[str, Source] | None
) -> HouseholdPlan:
    info = inst.households[hi]
    scenario = inst.scenario
    stage = scenario.stage_of(info.household)
    if opt.kind is OptionKind.PERMANENT:
        mode = Mode.PERMANENT
    elif opt.window is None:
        mode = Mode.DIRECT
    else:
        mode = Mode.TEMPORARY
    move_out = scenario.date_of(info.out)
    return_date = None
    if opt.window is not None:
        assert info.back is not None
        return_date = scenario.date_of(info.back)
    return HouseholdPlan(
        household=info.household.id,
        stage=info.stage,
        mode=mode,
        notice_date=rules.notice_date(scenario, stage.start, move_out),
        move_out=move_out,
        place=place[0] if place and mode is Mode.TEMPORARY else None,
        place_source=place[1] if place and mode is Mode.TEMPORARY else None,
        return_date=return_date,
        return_letter_date=(
            rules.return_letter_date(scenario, return_date) if return_date else None
        ),
        after_dwelling=opt.after,
        permanent_dwelling=place[0] if place and mode is Mode.PERMANENT else None,
    )
