"""What a change is worth: one more place, a point of overcapacity, a month of delay.

Each figure is a re-solve of the scenario with one change, against the
scenario as it is: ``saving = cost(scenario) - cost(changed)``. The cost is
measured either by the LP relaxation of the model (``method="lp"``: HiGHS,
seconds even on the example; on these models the LP is tight, see
docs/EXPLAIN.md) or by a full solve (``method="solve"``: the planner's own
objective, within its gap). The changes:

- **place**: one more dwelling of a need group (R5 rooms, R6 access) of the
  scenario, own organisation, ground floor, the median rent of the vacant
  dwellings, free from the first day of the offer period of the first stage
  with households of that group (:func:`allocator.explain.diagnose.apply`,
  ``add_places``);
- **overcapacity_point**: the overcapacity target one percentage point
  lower (what each point costs);
- **delay_month**: one stage started and ended a calendar month later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from allocator import rules
from allocator.bound.milp import solve_proto
from allocator.cpsat.instance import build_instance
from allocator.cpsat.model import RehousingModel
from allocator.explain.capacity import need_class
from allocator.explain.diagnose import apply, stage_shift
from allocator.solving.entry import solve
from models.explain import MarginalValue, NeedClass, Relaxation, RelaxationKind
from models.plan import Status
from models.scenario import Scenario

__all__ = ["CHANGES", "Method", "lp_cost", "marginal_values", "solve_cost"]

Method = Literal["lp", "solve"]
#: The kinds of change measured.
CHANGES = ("place", "overcapacity_point", "delay_month")


def lp_cost(scenario: Scenario, time_limit: float = 60.0) -> float | None:
    """The LP relaxation's optimum of ``scenario``'s model, DKK (``None``: not solved)."""
    try:
        model = RehousingModel(build_instance(scenario))
    except rules.Unschedulable:
        return None
    lp = solve_proto(model.model.proto, time_limit=time_limit, relax=True)
    if lp.status != "OPTIMAL" or lp.objective is None:
        return None
    return lp.objective / 100


def solve_cost(
    scenario: Scenario, time_limit: float = 60.0, seed: int = 0, gap: float = 1e-3
) -> float | None:
    """The cost of the plan :func:`allocator.solve` finds, DKK (``None``: no plan)."""
    result = solve(
        scenario,
        time_limit=time_limit,
        num_workers=1,
        seed=seed,
        gap_limit=gap,
        diagnosis_time=None,
    )
    if result.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return None
    return result.objective


def place_changes(scenario: Scenario) -> list[tuple[NeedClass, Relaxation]]:
    """One more place for each need group of the displaced households, first stage first."""
    sched = rules.schedule(scenario)
    seen: dict[NeedClass, Relaxation] = {}
    order = sorted(scenario.stages, key=lambda s: (sched.first_out[s.id], s.id))
    for stage in order:
        start = scenario.date_of(sched.offer_period(stage.id)[0])
        for h in sorted(scenario.households, key=lambda h: h.id):
            if scenario.stage_of(h).id != stage.id:
                continue
            if not any(o in rules.STAYS for o in sched.outcomes[h.id]):
                continue
            group = rules.need_group(scenario, h)
            need = NeedClass(
                rooms=group.rooms,
                wheelchair=need_class(scenario, h).wheelchair,
                step_free=need_class(scenario, h).step_free,
            )
            if need not in seen:
                seen[need] = Relaxation(
                    kind=RelaxationKind.ADD_PLACES, stage=stage.id, need=need, count=1, start=start
                )
    return sorted(seen.items(), key=lambda kv: (kv[0].rooms, kv[0].step_free, kv[0].wheelchair))


def marginal_values(
    scenario: Scenario,
    *,
    method: Method = "lp",
    time_limit: float = 60.0,
    seed: int = 0,
    what: Sequence[str] = CHANGES,
) -> list[MarginalValue]:
    """What each change is worth against ``scenario`` as it is (see the module docstring).

    Parameters
    ----------
    scenario
        A feasible scenario.
    method
        ``"lp"`` (the LP relaxation's optimum) or ``"solve"`` (a full solve
        with one worker, ``time_limit`` each).
    time_limit
        Seconds per measurement.
    seed
        CP-SAT's seed for ``"solve"``.
    what
        Which kinds of change to measure.

    Returns
    -------
    list of MarginalValue
        One per change that could be measured (a changed scenario without a
        plan is left out).
    """
    measure: Callable[[Scenario], float | None] = (
        (lambda s: lp_cost(s, time_limit))
        if method == "lp"
        else (lambda s: solve_cost(s, time_limit, seed))
    )
    base = measure(scenario)
    if base is None:
        return []
    out: list[MarginalValue] = []

    def add(changed: Scenario, **fields: object) -> None:
        cost = measure(changed)
        if cost is not None:
            out.append(
                MarginalValue.model_validate(
                    {
                        **fields,
                        "saving": base - cost,
                        "base": base,
                        "changed": cost,
                        "method": method,
                    }
                )
            )

    if "place" in what:
        for need, relax in place_changes(scenario):
            add(
                apply(scenario, [relax]),
                what="place",
                stage=relax.stage,
                need=need,
                start=relax.start,
            )
    if "overcapacity_point" in what and rules.overcapacity_pct(scenario) > 0:
        lower = Relaxation(
            kind=RelaxationKind.LOWER_OVERCAPACITY,
            value=(rules.overcapacity_pct(scenario) - 1) / 100,
        )
        add(apply(scenario, [lower]), what="overcapacity_point")
    if "delay_month" in what:
        for stage in scenario.stages:
            try:
                changed = stage_shift(scenario, stage.id, 1)
            except ValueError:
                continue
            add(changed, what="delay_month", stage=stage.id)
    return out
