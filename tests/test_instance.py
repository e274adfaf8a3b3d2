"""The time-expanded unit networks price every gap exactly as the rules do.

:func:`allocator.cpsat.instance._link` routes a gap between two uses of a unit
along a wait chain (held empty) or a lease chain (time-limited letting)
over the stages' move-out days. These tests compare, for every use and
every later stage of generated units, the cheapest way through the chains
with the direct price of that gap from :mod:`allocator.rules`.
"""

from __future__ import annotations

import math

import pytest

from allocator import rules
from allocator.cpsat.instance import TIME_POINTS, Instance, NodeKind, Unit, build_instance
from allocator.generate import generate


def cheapest_to_hubs(unit: Unit, start: int) -> dict[int, float]:
    """Cheapest cost from node ``start`` (-1: source) to each hub, through time points only."""
    dist = {start: 0.0}
    for j, node in enumerate(unit.nodes):  # arcs lead to higher indices
        if node.kind not in TIME_POINTS:
            continue
        best = min(
            (dist[i] + c for (i, jj), c in unit.arcs.items() if jj == j and i in dist),
            default=math.inf,
        )
        if best < math.inf:
            dist[j] = best
    return {j: d for j, d in dist.items() if j >= 0 and unit.nodes[j].kind is NodeKind.HUB}


def direct_price(inst: Instance, unit: Unit, end: int, hub_day: int, *, after: bool) -> float:
    """The cheaper of holding [end, hub_day) empty or leasing it (rules.lease_span)."""
    scenario = inst.scenario
    price = float(unit.daily * (hub_day - end))
    span = rules.lease_span(scenario, end, hub_day, after_occupant=after, before_occupant=True)
    if span is not None:
        held = (hub_day - end) - (span[1] - span[0])
        price = min(price, rules.ore(scenario.costs.time_limited_deposit) + unit.daily * held)
    return price


@pytest.mark.parametrize("size", ["S", "M"])
def test_every_gap_through_the_chains_costs_the_direct_price(size: str) -> None:
    inst = build_instance(generate(size, 3))
    turn = inst.scenario.policy.turnaround_days
    checked = 0
    for unit in inst.units[::3]:
        hubs = [j for j, n in enumerate(unit.nodes) if n.kind is NodeKind.HUB]
        starts = [(-1, unit.start, False, 0)] + [
            (i, n.end, n.kind is NodeKind.STAY, max(turn, 1 if n.end == n.start else 0))
            for i, n in enumerate(unit.nodes)
            if n.kind in (NodeKind.STAY, NodeKind.SPARE)
        ]
        for i, end, after, gap in starts:
            reach = cheapest_to_hubs(unit, i)
            for h in hubs:
                day = unit.nodes[h].start
                if day < end + gap:
                    assert h not in reach, f"unit {unit.index}: a hub before the turnaround"
                    continue
                assert reach[h] == direct_price(inst, unit, end, day, after=after)
                checked += 1
    assert checked > 50


def test_the_chains_keep_the_arcs_linear_in_stages() -> None:
    inst = build_instance(generate("M", 0))
    for unit in inst.units:
        uses = sum(n.kind not in TIME_POINTS for n in unit.nodes)
        stages = sum(n.kind is NodeKind.HUB for n in unit.nodes)
        # per use: in from its hub, out to the wait and the lease chain;
        # per stage: two chain links and two links into the hub; the source
        assert len(unit.arcs) <= 3 * uses + 4 * stages + 2
        assert all(i < j for i, j in unit.arcs)


def test_units_passed_on_as_made_are_the_units_kept() -> None:
    # the Lagrangian bound of a portfolio takes each unit as it is made
    # (on_unit) and keeps none: it must see the very networks a model would
    scenario = generate("S", 0)
    kept = build_instance(scenario)
    passed: list[Unit] = []
    streamed = build_instance(scenario, on_unit=lambda _, unit: passed.append(unit))
    assert streamed.units == [] and len(passed) == len(kept.units) > 10
    for a, b in zip(passed, kept.units, strict=True):
        assert (a.index, a.dwelling, a.kind, a.vacated_by) == (
            b.index,
            b.dwelling,
            b.kind,
            b.vacated_by,
        )
        assert a.nodes == b.nodes and a.arcs == b.arcs
    # the rest of the instance is the same
    assert streamed.windows == kept.windows and streamed.signatures == kept.signatures
    assert [p.chains for p in streamed.pavilions] == [p.chains for p in kept.pavilions]
