"""Why a scenario has no plan: a small set of rule groups, in words, and what lifts it.

The diagnosis first looks at what no model is needed for: households that
cannot all move out in time (R1, R13: :class:`allocator.rules.Unschedulable`)
and households with no outcome at all (R8, R9). Otherwise it makes the
model *elastic*: every row of R1 (places for the stays of a class in a
window), R8 (own-organisation dwellings for the permanent movers of a
moving day) and R10 (the spares of a stage and need group) gets a slack
variable, and HiGHS (one thread, fixed seed) minimises the slack, an
unhoused household weighing more than a missing spare. The rows left with
slack are a set of rule groups that together make the scenario infeasible
(relaxing just them gives a plan), with the number of places each is short.

Each cause gets the changes that would lift it, each checked by a new
elastic solve of the changed scenario: ``count`` more places of the class
free from a date, a stage started some months later, a lower overcapacity
target, more moves a day, a permanent agreement that may be broken, a
source the households allow, a pavilion type ready sooner, a wish the
household can win.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ortools.sat.python import cp_model

from allocator import rules
from allocator.bound.milp import solve_proto
from allocator.cpsat.instance import Instance, OptionKind, build_instance
from allocator.cpsat.model import RehousingModel
from allocator.explain.capacity import need_class
from allocator.explain.words import later
from models.explain import Cause, CauseKind, Diagnosis, NeedClass, Relaxation, RelaxationKind
from models.scenario import PermanentAgreement, Scenario, Source

__all__ = ["Found", "apply", "diagnose", "elastic_causes", "feasible", "stage_shift"]

#: Weight of an unhoused household (R1, R8) against one missing spare (R10).
UNHOUSED = 1000


class Found(NamedTuple):
    """Causes of an elastic solve; ``proven``: its slack is the least possible."""

    causes: list[Cause]
    proven: bool


#: Causes that more places lift.
_PLACES = (CauseKind.STAY_PLACES, CauseKind.PERMANENT_PLACES, CauseKind.SPARES)
#: Most months a stage is tried later.
MAX_DELAY_MONTHS = 12


@dataclass
class _Budget:
    """The seconds left for the diagnosis and each elastic solve's share."""

    deadline: float
    per_solve: float

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def solve_limit(self) -> float:
        return max(0.5, min(self.per_solve, self.left()))


def diagnose(scenario: Scenario, *, time_limit: float = 30.0) -> Diagnosis:
    """Diagnose an infeasible ``scenario``.

    Parameters
    ----------
    scenario
        A scenario the solver found infeasible (a feasible one gives no causes).
    time_limit
        Wall seconds for the whole diagnosis, the checks of the relaxations
        included; relaxations not checked in time stay ``verified=False``.

    Returns
    -------
    Diagnosis
        The causes, each with its relaxations, and whether applying the first
        relaxation of every cause gave a feasible scenario.
    """
    started = time.perf_counter()
    budget = _Budget(started + time_limit, max(1.0, time_limit / 4))
    # the first elastic solve may take the whole budget: without it there is nothing to say
    first = _causes(scenario, _Budget(budget.deadline, time_limit))
    causes = first.causes if first is not None else []
    before = _weight(causes)
    proposals = [_candidates(scenario, cause) for cause in causes]
    # the first changes together first: the one check a large case surely gets
    firsts = [p[0] for p in proposals if p and isinstance(p[0], Relaxation)]
    lifted: bool | None = None
    if causes and len(firsts) == len(causes) and budget.left() > 0:
        lifted = _feasible(apply(scenario, firsts), time_limit=budget.left())
    checked = [
        _relax(scenario, cause, proposed, budget, before)
        for cause, proposed in zip(causes, proposals, strict=True)
    ]
    shown = [c.relaxations[0] for c in checked if c.relaxations]
    if lifted is None and causes and len(shown) == len(causes) and budget.left() > 0:
        lifted = _feasible(apply(scenario, shown), time_limit=budget.left())
    return Diagnosis(causes=checked, lifted=lifted, runtime=time.perf_counter() - started)


def feasible(scenario: Scenario, *, time_limit: float = 10.0) -> bool:
    """Whether ``scenario`` has a plan (no elastic slack needed); False if unknown in time."""
    return bool(_feasible(scenario, time_limit=time_limit))


def _feasible(scenario: Scenario, *, time_limit: float) -> bool | None:
    """Whether ``scenario`` has a plan; ``None`` if unknown in time."""
    found = _causes(scenario, _Budget(time.perf_counter() + time_limit, time_limit))
    if found is None:
        return None
    if not found.causes:
        return True
    return False if found.proven else None


def _causes(scenario: Scenario, budget: _Budget) -> Found | None:
    """The causes found without a model and those of the elastic model (``None``: unknown).

    Households that cannot all move out in time leave nothing to model; a
    household with no outcome is a cause of its own, and the elastic model
    diagnoses the rest.
    """
    try:
        sched = rules.schedule(scenario)
    except rules.Unschedulable as exc:
        return Found([_schedule_cause(scenario, str(exc))], proven=True)
    empty = [h for h in scenario.households if not sched.outcomes[h.id]]
    before = [
        Cause(
            kind=CauseKind.NO_OUTCOME,
            rule="R9",
            stage=scenario.stage_of(h).id,
            need=need_class(scenario, h),
            households=[h.id],
            short=1,
            message=next((p for p in sched.problems if f"household {h.id}:" in p), None),
        )
        for h in empty
    ]
    found = elastic_causes(scenario, time_limit=budget.solve_limit())
    return None if found is None else Found([*before, *found.causes], found.proven)


def elastic_causes(scenario: Scenario, *, time_limit: float = 10.0) -> Found | None:
    """The rule groups the elastic model of ``scenario`` needs slack in (``None``: unknown in time).

    No causes: the scenario has a plan.
    """
    instance = build_instance(scenario)
    model = RehousingModel(instance, cuts=False)  # the R10 rows get slack: no cuts beside them
    slacks = _make_elastic(model)
    # HiGHS, one thread: CP-SAT alone finds no first solution of the elastic
    # example in 30 s, HiGHS proves its optimum in seconds (docs/EXPLAIN.md)
    found = solve_proto(model.model.proto, time_limit=time_limit, relax=False, threads=1)
    if found.status not in ("OPTIMAL", "FEASIBLE") or found.values is None:
        return None
    values = found.values
    short = {key: round(values[var.index]) for key, var in slacks.items()}
    causes = _read_causes(instance, {k: v for k, v in short.items() if v > 0})
    return Found(causes, proven=found.status == "OPTIMAL")


def _make_elastic(model: RehousingModel) -> dict[tuple[object, ...], cp_model.IntVar]:
    """Add a slack to each R1, R8 (permanent) and R10 row; minimise the slack alone."""
    inst, proto = model.instance, model.model.proto
    demand_var: dict[tuple[object, ...], int] = {}
    for hi, info in enumerate(inst.households):
        for k, opt in enumerate(info.options):
            index = model.vars.option[hi][k].index
            if opt.window is not None:
                demand_var.setdefault(("r1", opt.window, info.signature), index)
                stage = inst.windows[opt.window].stage
                demand_var.setdefault(("r10", stage, inst.need_of[info.signature]), index)
            if opt.kind is OptionKind.PERMANENT:
                demand_var.setdefault(("r8_permanent", info.stage, info.out, info.signature), index)
    # a household with no outcome at all (a cause of its own) leaves the rest to diagnose
    for constraint in proto.constraints:
        if constraint.has_exactly_one() and not constraint.exactly_one.literals:
            constraint.clear_exactly_one()
            constraint.linear.domain.extend([0, 0])  # an empty row: always true
    slacks: dict[tuple[object, ...], cp_model.IntVar] = {}
    weights: list[tuple[cp_model.IntVar, int]] = []
    for row, key in model.row_keys.items():
        if key[0] == "r10_group":
            needs = key[2]
            assert isinstance(needs, tuple)
            probe = next((demand_var.get(("r10", key[1], n)) for n in needs), None)
            scale, weight = 100, 1
        elif key[0] == "r10_total":
            probe = next(
                (v for k, v in demand_var.items() if k[0] == "r10" and k[1] == key[1]), None
            )
            scale, weight = 100, 1
        else:
            probe = demand_var.get(key)
            scale, weight = 1, UNHOUSED
        if probe is None:
            continue  # no demand in the row: nothing can be short
        linear = proto.constraints[row].linear
        coeff = next(c for v, c in zip(linear.vars, linear.coeffs, strict=True) if v == probe)
        bound = 10_000 if scale == 1 else 1_000
        slack = model.model.new_int_var(0, bound, f"slack_{row}")
        linear.vars.append(slack.index)
        linear.coeffs.append(-scale if coeff > 0 else scale)  # the slack acts as supply
        slacks[key] = slack
        weights.append((slack, weight))
    model.model.clear_objective()  # type: ignore[no-untyped-call]
    model.model.minimize(
        cp_model.LinearExpr.weighted_sum([v for v, _ in weights], [w for _, w in weights])
    )
    model.model.clear_hints()  # type: ignore[no-untyped-call]
    return slacks


def _read_causes(instance: Instance, short: dict[tuple[object, ...], int]) -> list[Cause]:
    """The slack of the elastic solution as causes, merged per stage and need class."""
    sc = instance.scenario
    reps = instance.representatives
    merged: dict[tuple[object, ...], dict[str, Any]] = {}
    total_spares: dict[str, int] = {}
    group_spares: dict[str, list[tuple[tuple[object, ...], int]]] = defaultdict(list)

    def add(key: tuple[object, ...], count: int, start: int, end: int, members: list[str]) -> None:
        entry = merged.setdefault(key, {"short": 0, "start": start, "end": end, "households": []})
        entry["short"] += count
        entry["start"] = min(entry["start"], start)
        entry["end"] = max(entry["end"], end)
        entry["households"] += [m for m in members if m not in entry["households"]]

    for key, count in sorted(short.items(), key=lambda kv: str(kv[0])):
        if key[0] == "r1":
            w, c = key[1], key[2]
            assert isinstance(w, int) and isinstance(c, int)
            window = instance.windows[w]
            need = need_class(sc, reps[c])
            members = [
                info.household.id
                for info in instance.households
                if info.stage == window.stage
                and need_class(sc, info.household) == need
                and any(o.window is not None for o in info.options)
            ]
            add(("r1", window.stage, need), count, window.start, window.end, members)
        elif key[0] == "r8_permanent":
            stage, moving, c = key[1], key[2], key[3]
            assert isinstance(stage, str) and isinstance(moving, int) and isinstance(c, int)
            need = need_class(sc, reps[c])
            members = [
                info.household.id
                for info in instance.households
                if info.stage == stage
                and need_class(sc, info.household) == need
                and any(o.kind is OptionKind.PERMANENT for o in info.options)
            ]
            add(("r8", stage, need), count, moving, rules.FOREVER, members)
        else:
            stage = key[1]
            assert isinstance(stage, str)
            spares = count  # the slack has the coefficient 100 of a spare in the row
            if key[0] == "r10_total":
                total_spares[stage] = spares
            else:
                group = key[2]
                assert isinstance(group, tuple)
                group_spares[stage].append((group, spares))
    # one R10 cause per stage: its spares short in all, or in its need groups
    for stage in sorted(set(total_spares) | set(group_spares)):
        start, end = instance.schedule.offer_period(stage)
        groups = group_spares.get(stage, [])
        spare_need: NeedClass | None = None
        if len(groups) == 1 and total_spares.get(stage, 0) <= groups[0][1]:
            rep = reps[next(c for c, n in instance.need_of.items() if n == groups[0][0][0])]
            spare_need = need_class(sc, rep).model_copy(
                update={"rooms_max": None, "max_floor": None, "excluded": ()}
            )
        count = max(total_spares.get(stage, 0), sum(n for _, n in groups))
        add(("r10", stage, spare_need), count, start, end, [])
    causes = []
    for (rule, stage_id, need_of_cause), entry in merged.items():
        assert isinstance(stage_id, str)
        kind = {
            "r1": CauseKind.STAY_PLACES,
            "r8": CauseKind.PERMANENT_PLACES,
            "r10": CauseKind.SPARES,
        }[str(rule)]
        causes.append(
            Cause(
                kind=kind,
                rule={"r1": "R1", "r8": "R8", "r10": "R10"}[str(rule)],
                stage=stage_id,
                need=need_of_cause if isinstance(need_of_cause, NeedClass) else None,
                households=entry["households"],
                short=entry["short"],
                start=sc.date_of(entry["start"]),
                end=None if entry["end"] >= rules.FOREVER else sc.date_of(entry["end"]),
            )
        )
    # R10 causes only matter if the spares are short for good; the stays come first
    order = {CauseKind.STAY_PLACES: 0, CauseKind.PERMANENT_PLACES: 1, CauseKind.SPARES: 2}
    return sorted(causes, key=lambda c: (order[c.kind], c.stage or "", str(c.need)))


def _schedule_cause(scenario: Scenario, message: str) -> Cause:
    stage = next((s.id for s in scenario.stages if f"stage {s.id}:" in message), None)
    return Cause(kind=CauseKind.SCHEDULE, rule="R13", stage=stage, message=message)


# -- relaxations --------------------------------------------------------------------


def _weight(causes: Sequence[Cause]) -> float:
    """How infeasible: unhoused households weigh :data:`UNHOUSED`, missing spares 1."""
    total = 0.0
    for c in causes:
        if c.kind is CauseKind.SCHEDULE:
            return float("inf")
        total += c.short * (1 if c.kind is CauseKind.SPARES else UNHOUSED)
    return total


def _relax(
    scenario: Scenario,
    cause: Cause,
    candidates: list[Relaxation | _Family],
    budget: _Budget,
    before: float,
) -> Cause:
    """``cause`` with its relaxations, each checked to lift it (within the budget).

    A change lifts a cause if the diagnosis of the changed scenario is less
    infeasible by at least the cause's weight (:func:`_weight`): other
    causes may share its places, so the cause itself may move to another class.
    Unchecked changes (out of time) keep ``verified=None``; searches out of
    time are left out.
    """
    checked: list[Relaxation] = []
    for candidate in candidates:
        if isinstance(candidate, Relaxation):
            found: Relaxation | None = candidate
            if budget.left() > 0:
                lifts = _lifts(scenario, cause, [candidate], budget, before)
                found = candidate.model_copy(update={"verified": lifts})
        else:  # a search for the least change that lifts the cause
            found = _search(scenario, cause, candidate, budget, before)
        if found is not None:
            checked.append(found)
    return cause.model_copy(update={"relaxations": checked})


#: A family of relaxations, mildest first (a search takes the first that lifts the cause).
_Family = Sequence[Relaxation]


def _search(
    scenario: Scenario, cause: Cause, family: _Family, budget: _Budget, before: float
) -> Relaxation | None:
    for candidate in family:
        if budget.left() <= 0:
            return None
        if _lifts(scenario, cause, [candidate], budget, before):
            return candidate.model_copy(update={"verified": True})
    return None


def _lifts(
    scenario: Scenario,
    cause: Cause,
    relax: list[Relaxation],
    budget: _Budget,
    before: float,
) -> bool | None:
    """Whether the relaxed scenario is less infeasible by at least ``cause``'s weight.

    ``None``: not known in time.
    """
    try:
        changed = apply(scenario, relax)
    except ValueError:
        return False
    after = _causes(changed, _Budget(budget.deadline, budget.per_solve))
    if after is None:
        return None
    if before == float("inf"):  # a cause found before the model: it must be gone
        return not [c for c in after.causes if c.kind is cause.kind and c.stage == cause.stage]
    if _weight(after.causes) <= before - _weight([cause]):
        return True
    return False if after.proven else None  # an unproven slack may be too high


def _candidates(scenario: Scenario, cause: Cause) -> list[Relaxation | _Family]:
    """The relaxations proposed for ``cause``: single changes, or families searched in order."""
    out: list[Relaxation | _Family] = []
    if cause.kind is CauseKind.SCHEDULE:
        current = scenario.policy.moves_per_day
        out.append(
            [
                Relaxation(kind=RelaxationKind.MOVES_PER_DAY, value=float(v))
                for v in range(current + 1, current * 4 + 2)
            ]
        )
    if cause.kind is CauseKind.NO_OUTCOME and cause.households:
        h = scenario.household(cause.households[0])
        won = set(rules.schedule(scenario).won.values())
        for a in scenario.after_dwellings:
            if a.id not in won and a.id not in h.wishes and rules.after_eligible(scenario, h, a):
                out.append(
                    Relaxation(kind=RelaxationKind.ADD_WISH, households=[h.id], dwelling=a.id)
                )
                break
    if cause.need is not None and cause.start is not None and cause.kind in _PLACES:
        out.append(
            Relaxation(
                kind=RelaxationKind.ADD_PLACES,
                stage=cause.stage,
                need=cause.need,
                count=cause.short,
                start=cause.start,
            )
        )
    if cause.kind is CauseKind.SPARES:
        pct = rules.overcapacity_pct(scenario)
        out.append(
            [
                Relaxation(kind=RelaxationKind.LOWER_OVERCAPACITY, value=p / 100)
                for p in range(pct - 1, -1, -1)
            ]
        )
    if cause.kind is CauseKind.PERMANENT_PLACES and (
        scenario.policy.permanent_agreement is PermanentAgreement.BINDING
    ):
        out.append(Relaxation(kind=RelaxationKind.SOFT_PERMANENT))
    if cause.kind is CauseKind.STAY_PLACES and cause.need is not None:
        for source in cause.need.excluded:
            out.append(
                Relaxation(
                    kind=RelaxationKind.ALLOW_SOURCE, source=source, households=cause.households
                )
            )
        if cause.start is not None:
            start = scenario.day(cause.start)
            for p in scenario.pavilions:
                members = [scenario.household(h) for h in cause.households]
                if p.lead_days > start and all(rules.place_fits(scenario, h, p) for h in members):
                    out.append(
                        Relaxation(
                            kind=RelaxationKind.PAVILION_LEAD, pavilion=p.id, value=float(start)
                        )
                    )
    if cause.stage is not None and cause.kind is not CauseKind.NO_OUTCOME:
        out.append(
            [
                Relaxation(kind=RelaxationKind.DELAY_STAGE, stage=cause.stage, months=m)
                for m in range(1, MAX_DELAY_MONTHS + 1)
            ]
        )
    return out


def apply(scenario: Scenario, relaxations: Sequence[Relaxation]) -> Scenario:
    """``scenario`` with ``relaxations`` applied (a new, validated scenario).

    Raises
    ------
    ValueError
        If the changed scenario is not valid (e.g. a stage moved onto another).
    """
    data = scenario.model_dump(mode="python")
    for r in relaxations:
        _APPLY[r.kind](scenario, data, r)
    return Scenario.model_validate(data)


def _add_places(scenario: Scenario, data: dict[str, Any], r: Relaxation) -> None:
    assert r.need is not None and r.start is not None and r.count is not None
    vacant = sorted(d.monthly_rent for d in scenario.dwellings if d.vacant_from is not None)
    rent = vacant[len(vacant) // 2] if vacant else 5000.0
    excluded = set(r.need.excluded)
    source = (
        Source.OWN_ORGANISATION
        if Source.OWN_ORGANISATION.value not in excluded
        else (Source.PARTNER)
    )
    taken = {d["id"] for d in data["dwellings"]}
    for i in range(r.count):
        n = i + 1
        while f"EXTRA-{n}" in taken:
            n += 1
        taken.add(f"EXTRA-{n}")
        data["dwellings"].append(
            {
                "id": f"EXTRA-{n}",
                "source": source,
                "rooms": r.need.rooms,
                "area_m2": 30.0 * r.need.rooms,
                "floor": 0,
                "wheelchair": r.need.wheelchair,
                "monthly_rent": rent,
                "vacant_from": max(r.start, scenario.policy.planning_date),
                "municipality": scenario.municipality,
            }
        )


def _delay(scenario: Scenario, data: dict[str, Any], r: Relaxation) -> None:
    assert r.months is not None
    for stage in data["stages"]:
        if stage["id"] == r.stage:
            stage["start"] = later(stage["start"], r.months)
            stage["end"] = later(stage["end"], r.months)


def _policy(field: str, value: Callable[[Relaxation], object]) -> _Applier:
    def set_policy(scenario: Scenario, data: dict[str, Any], r: Relaxation) -> None:
        data["policy"][field] = value(r)

    return set_policy


def _allow_source(scenario: Scenario, data: dict[str, Any], r: Relaxation) -> None:
    for h in data["households"]:
        if h["id"] in r.households:
            h["excluded_sources"] = [s for s in h["excluded_sources"] if s != r.source]


def _pavilion_lead(scenario: Scenario, data: dict[str, Any], r: Relaxation) -> None:
    assert r.value is not None
    for p in data["pavilions"]:
        if p["id"] == r.pavilion:
            p["lead_days"] = int(r.value)


def _add_wish(scenario: Scenario, data: dict[str, Any], r: Relaxation) -> None:
    for h in data["households"]:
        if h["id"] in r.households:
            h["wishes"] = [*h["wishes"], r.dwelling]


_Applier = Callable[[Scenario, dict[str, Any], Relaxation], None]
_APPLY: dict[RelaxationKind, _Applier] = {
    RelaxationKind.ADD_PLACES: _add_places,
    RelaxationKind.DELAY_STAGE: _delay,
    RelaxationKind.LOWER_OVERCAPACITY: _policy("overcapacity", lambda r: r.value),
    RelaxationKind.MOVES_PER_DAY: _policy("moves_per_day", lambda r: int(r.value or 0)),
    RelaxationKind.SOFT_PERMANENT: _policy(
        "permanent_agreement", lambda r: PermanentAgreement.SOFT
    ),
    RelaxationKind.ALLOW_SOURCE: _allow_source,
    RelaxationKind.PAVILION_LEAD: _pavilion_lead,
    RelaxationKind.ADD_WISH: _add_wish,
}


def stage_shift(scenario: Scenario, stage: str, months: int) -> Scenario:
    """``scenario`` with ``stage`` started and ended ``months`` later."""
    return apply(
        scenario, [Relaxation(kind=RelaxationKind.DELAY_STAGE, stage=stage, months=months)]
    )
