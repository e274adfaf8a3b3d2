"""Replan a case after changes, keeping the past and, where it can, the promises made.

:func:`replan` applies a changes file to the scenario
(:func:`~allocator.replan.changes.apply_changes`), refuses changes that
would move what has already happened, builds the usual model of the
changed scenario and adds to it:

- **fixed** households (moved out before the as-of date): their outcome and
  place as hard constraints;
- **promised** households (notice letter sent): a Boolean *kept* per
  household, true only if it gets the outcome and the place its letter
  names, and a price per broken promise in the objective (the named term
  ``broken_promises``). With ``lexicographic`` the fewest broken promises
  are found first and held, then the cost is minimised.

The new plan is checked by the plan checker against the changed scenario,
and the past and the promises are checked again from the two plans alone
(:mod:`allocator.replan.promises`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from allocator import rules
from allocator.cpsat.instance import NodeKind, Option, OptionKind, build_instance
from allocator.cpsat.model import RehousingModel
from allocator.plan.check import CheckReport, Violation, check_plan
from allocator.replan.changes import ReplanError, Unhoused, apply_changes
from allocator.replan.diff import diff_plans, plan_cost
from allocator.replan.promises import (
    Broken,
    Promise,
    broken_leases,
    broken_promises,
    leases_of,
    past_changes,
    promises_of,
)
from allocator.solving.result import make_result, solver_info
from allocator.solving.settings import Settings, Strategy, configured
from allocator.solving.single import solve_instance
from models.plan import Mode, Plan, Result, SegmentKind, Status
from models.replan import Changes, ReplanDiff, SignedLease
from models.scenario import Scenario

__all__ = ["CHANGE_PRICE", "PROMISE_PRICE", "Replanned", "replan", "replan_scenario"]

#: Default price of a broken promise in DKK: above any saving a plan could make on one household.
PROMISE_PRICE = 100_000.0
#: Default price in DKK of changing the plan of a household that has no letter yet: a
#: tie-break, so that among equally cheap plans the one closest to the old plan wins.
CHANGE_PRICE = 10.0


@dataclass
class Replanned:
    """The outcome of :func:`replan`.

    Attributes
    ----------
    status
        How the search ended (``INFEASIBLE``: no plan keeps the past).
    scenario
        The changed scenario the plan is for.
    plan
        The new plan, if one was found.
    cost
        Its budget cost plus soft-wish penalties, DKK (without the promise price).
    bound
        The search's lower bound on cost plus promise price, DKK.
    promises
        What the old plan had promised by the as-of date.
    broken
        The promises the new plan breaks (counted from the plans alone).
    leases
        Time-limited leases signed before the as-of date that the new plan cuts short.
    check
        The plan checker's report on the new plan, the past check included.
    diff
        Old against new plan: who is affected, new letters, cost by category.
    result
        The new plan as a :class:`~models.plan.Result` (for the usual outputs);
        its objective is ``cost``.
    runtime
        Wall seconds of the search.
    notes
        Warnings.

    """

    status: Status
    scenario: Scenario
    plan: Plan | None
    cost: float | None
    bound: float | None
    promises: list[Promise]
    broken: list[Broken]
    leases: list[SignedLease]
    check: CheckReport | None
    diff: ReplanDiff | None
    runtime: float
    notes: list[str] = field(default_factory=list)
    result: Result | None = None


def _matches(opt: Option, p: Promise) -> bool:
    """Whether option ``opt`` is the outcome promise ``p`` names."""
    if p.mode is Mode.PERMANENT:
        return opt.kind is OptionKind.PERMANENT
    if opt.kind is OptionKind.PERMANENT or opt.after != p.after_dwelling:
        return False
    return (opt.window is None) == (p.mode is Mode.DIRECT)


@dataclass
class _Terms:
    """The promise variables added to a model: ``kept`` per promise (None: impossible)."""

    kept: list[cp_model.IntVar | None]

    @property
    def variables(self) -> list[cp_model.IntVar]:
        return [k for k in self.kept if k is not None]


def add_promises(model: RehousingModel, promises: list[Promise], price_ore: int) -> _Terms:
    """Add a *kept* variable per promise, fixed ones hard, the others priced.

    Raises
    ------
    Unhoused
        A household that has moved out can no longer have the place it lives in.
    """
    inst, v, m = model.instance, model.vars, model.model
    index = {info.household.id: hi for hi, info in enumerate(inst.households)}
    pavilions = {pav.pavilion.id: p for p, pav in enumerate(inst.pavilions)}
    by_use: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    by_count: dict[int, tuple[cp_model.IntVar, list[cp_model.IntVar]]] = {}
    kept: list[cp_model.IntVar | None] = []
    impossible: list[str] = []
    units_of: dict[str, list[int]] = defaultdict(list)
    for u, unit in enumerate(inst.units):
        units_of[unit.dwelling].append(u)

    def count(var: cp_model.IntVar, keep: cp_model.IntVar) -> None:
        by_count.setdefault(var.index, (var, []))[1].append(keep)

    for p in promises:
        hi = index.get(p.household)
        keep: cp_model.IntVar | None = None
        if hi is not None:
            info, c = inst.households[hi], inst.households[hi].signature
            options = [k for k, opt in enumerate(info.options) if _matches(opt, p)]
            uses: list[tuple[int, int]] = []
            counter: cp_model.IntVar | None = None
            if options:
                window = info.options[options[0]].window
                if p.mode is Mode.DIRECT:
                    counter = None
                elif p.pavilion and p.place in pavilions and window is not None:
                    counter = v.pav_place[pavilions[p.place]].get(window, {}).get(c)
                else:
                    target = p.place if p.mode is Mode.TEMPORARY else p.permanent_dwelling
                    for u in units_of.get(target or "", []):
                        for j, node in enumerate(inst.units[u].nodes):
                            if c not in node.classes:
                                continue
                            if (node.kind is NodeKind.STAY and node.window == window) or (
                                node.kind is NodeKind.PERMANENT
                                and p.mode is Mode.PERMANENT
                                and node.stage == info.stage
                                and node.start == info.out
                            ):
                                uses.append((u, j))
                    if uses:
                        u, j = uses[0]
                        t = inst.units[u].kind
                        counts = (
                            v.stay.get((window, t), {})
                            if inst.units[u].nodes[j].kind is NodeKind.STAY and window is not None
                            else v.move.get((info.stage, info.out, t), {})
                        )
                        counter = counts.get(c)
                possible = p.mode is Mode.DIRECT or counter is not None
                if possible:
                    keep = m.new_bool_var(f"kept_{p.household}")
                    m.add(keep <= sum(v.option[hi][k] for k in options))
                    if counter is not None:
                        count(counter, keep)
                    if uses:
                        m.add(keep <= sum(model.inflow(u, j) for u, j in uses))
                        for use in uses:
                            by_use[use].append(keep)
                    if p.place is not None and p.pavilion:
                        model.preferred_pavilion[p.household] = p.place
                    elif p.place is not None:
                        model.preferred[p.household] = p.place
                    elif p.permanent_dwelling is not None:
                        model.preferred[p.household] = p.permanent_dwelling
        if p.fixed:
            if keep is None:
                impossible.append(
                    f"household {p.household}: has moved out ({p.mode.value}, place "
                    f"{p.place or p.permanent_dwelling or p.after_dwelling}), and the changes "
                    "leave no plan in which it keeps what it has"
                )
            else:
                m.add(keep == 1)
        kept.append(keep)
    if impossible:
        raise Unhoused(impossible)
    for (u, j), keeps in by_use.items():
        if len(keeps) > 1:
            m.add(sum(keeps) <= model.inflow(u, j))
    for var, keeps in by_count.values():
        m.add(sum(keeps) <= var)
    terms = _Terms(kept)
    model.add_cost([(k, -price_ore) for k in terms.variables], price_ore * len(kept))
    return terms


def add_leases(model: RehousingModel, leases: list[SignedLease], price_ore: int) -> None:
    """Price every use of a place during a signed time-limited lease (it ends the lease early).

    Each stay, spare or letting for good of the place's units that overlaps
    the lease costs ``price_ore``: a broken lease costs at least that once,
    so the objective never understates what the checker counts.
    """
    inst, m = model.instance, model.model
    scenario = inst.scenario
    uses = (NodeKind.STAY, NodeKind.SPARE, NodeKind.PERMANENT)
    by_place: dict[str, list[SignedLease]] = defaultdict(list)
    for lease in leases:
        by_place[lease.place].append(lease)
    terms = []
    for u, unit in enumerate(inst.units):
        for lease in by_place.get(unit.dwelling, []):
            start, end = scenario.day(lease.start), scenario.day(lease.end)
            for j, node in enumerate(unit.nodes):
                if node.kind in uses and node.start < end and start < node.end:
                    used = m.new_bool_var(f"lease_{u}_{j}")
                    m.add(used == model.inflow(u, j))
                    terms.append((used, price_ore))
    model.add_cost(terms)


#: Model uses and the plan segments they become.
_USE_SEGMENT = {
    NodeKind.STAY: SegmentKind.OCCUPIED,
    NodeKind.SPARE: SegmentKind.SPARE,
    NodeKind.PERMANENT: SegmentKind.PERMANENT,
}


def fix_the_past(model: RehousingModel, plan: Plan, as_of: date) -> None:
    """Uses of a dwelling that begin before ``as_of`` must fit what the old plan did.

    A spare or a letting for good of a dwelling starting before the as-of
    date is possible only if the old plan made it, and a spare it held then
    is held again; a stay whose block starts before the date needs a
    dwelling the old plan withheld by then (the fixed households keep their
    own stays, :func:`add_promises`).
    """
    inst, m = model.instance, model.model
    day = inst.scenario.day(as_of)
    past = {
        (t.place, seg.kind, seg.stage)
        for t in plan.places
        if t.pavilion_type is None
        for seg in t.segments
        if seg.kind in _USE_SEGMENT.values() and seg.start < as_of
    }
    withheld = {t.place for t in plan.places if t.collected_from < as_of}
    held: dict[tuple[str, str | None], list[cp_model.LinearExprT]] = defaultdict(list)
    for u, unit in enumerate(inst.units):
        for j, node in enumerate(unit.nodes):
            kind = _USE_SEGMENT.get(node.kind)
            if kind is None or node.start >= day:
                continue
            made = (unit.dwelling, kind, node.stage) in past
            if kind is SegmentKind.SPARE and made:
                held[(unit.dwelling, node.stage)].append(model.inflow(u, j))
            elif not made and not (kind is SegmentKind.OCCUPIED and unit.dwelling in withheld):
                m.add(model.inflow(u, j) == 0)
    for inflows in held.values():
        m.add(sum(inflows) == 1)


def _check_dates(old: Plan, changed: Scenario, as_of: date) -> None:
    """Refuse changes that would move a move out or back that has happened or is past."""
    sched = rules.schedule(changed)
    problems = []
    for h in old.households:
        if h.household not in sched.move_out:
            continue
        out = changed.date_of(sched.move_out[h.household])
        if h.move_out < as_of and out != h.move_out:
            problems.append(
                f"household {h.household}: moved out on {h.move_out}, but the changed stage "
                f"{h.stage} would move it on {out}; move only the works' end (end_only: true)"
            )
        elif h.move_out >= as_of and out < as_of:
            problems.append(
                f"household {h.household}: the changes move it out on {out}, before the as-of "
                f"date {as_of}"
            )
        back = sched.returns.get(h.household)
        returned = h.return_date is not None and h.return_date < as_of
        if returned and (back is None or changed.date_of(back) != h.return_date):
            problems.append(
                f"household {h.household}: moved back on {h.return_date}; the changes "
                "would move that"
            )
    if problems:
        raise ReplanError(problems)


def replan_scenario(
    scenario: Scenario, plan: Plan, changes: Changes, as_of: date, source: str = "changes"
) -> Scenario:
    """The changed scenario to replan (:func:`apply_changes`), its dates checked against the past.

    Raises
    ------
    ReplanError
        Bad changes, or changes that would move what has happened.
    """
    changed = apply_changes(scenario, changes, plan, as_of, source)
    try:
        _check_dates(plan, changed, as_of)
        problems = rules.schedule(changed).problems
    except rules.Unschedulable as exc:
        raise ReplanError([str(exc)]) from None
    if problems:  # e.g. a household with nowhere to return to
        raise ReplanError([f"{source}: {p}" for p in problems])
    return changed


def replan(
    scenario: Scenario,
    plan: Plan,
    changes: Changes,
    as_of: date,
    *,
    promise_price: float = PROMISE_PRICE,
    change_price: float = CHANGE_PRICE,
    lexicographic: bool = False,
    release_spares: bool = False,
    time_limit: float = 30.0,
    num_workers: int = 2,
    seed: int = 0,
    gap_limit: float = 1e-3,
    source: str = "changes",
) -> Replanned:
    """Replan ``scenario``'s ``plan`` after ``changes``, as of ``as_of``.

    Parameters
    ----------
    scenario, plan
        The case and its plan as made (and, before ``as_of``, carried out).
    changes
        What has changed (a validated changes file).
    as_of
        The day of replanning: moves before it have happened, letters sent
        before it are promises.
    promise_price
        DKK per broken promise in the objective.
    change_price
        DKK per household without a letter yet whose outcome or place changes
        (a tie-break towards the old plan).
    lexicographic
        Find the fewest broken promises first, then the cheapest plan with that many.
    release_spares
        Drop the overcapacity rule (R10) from here on: the spares held are
        free for the repair (what they are held for). Without it every stage
        keeps its spares, for troubles still to come.
    time_limit, num_workers, seed, gap_limit
        As for :func:`allocator.solve`.
    source
        Name of the changes file in messages.

    Returns
    -------
    Replanned
        Never raises for an infeasible or timed-out search: see ``status``.

    Raises
    ------
    ReplanError
        Bad changes, or changes that would move what has happened.
    """
    changed = replan_scenario(scenario, plan, changes, as_of, source)
    if release_spares:
        changed = changed.model_copy(
            update={"policy": changed.policy.model_copy(update={"overcapacity": 0.0})}
        )
    promises = promises_of(plan, as_of)
    settings = Settings.of(time_limit, num_workers, seed, gap_limit=gap_limit)
    model = RehousingModel(build_instance(changed))
    model.hint(plan)
    terms = add_promises(model, promises, rules.ore(promise_price))
    intentions = promises_of(plan, as_of, sent=False)
    add_promises(model, intentions, rules.ore(change_price))
    add_leases(model, leases_of(plan, as_of), rules.ore(promise_price))
    fix_the_past(model, plan, as_of)
    notes: list[str] = []
    if lexicographic:
        status, fewest = _fewest_broken(model, terms, settings, time_limit / 3)
        if fewest is None:
            return Replanned(status, changed, None, None, None, promises, [], [], None, None, 0.0)
        model.model.add(sum(terms.variables) >= len(terms.kept) - fewest)
        notes.append(f"lexicographic: at most {fewest} broken promises")
    outcome = solve_instance(model, settings, Strategy.LP_GUIDED)
    if outcome.plan is None or outcome.objective is None:
        return Replanned(
            outcome.status,
            changed,
            None,
            None,
            None,
            promises,
            [],
            [],
            None,
            None,
            outcome.runtime,
            notes + outcome.notes,
        )
    new = outcome.plan
    broken = broken_promises(promises, new)
    changed_plans = broken_promises(intentions, new)
    cost = plan_cost(new)
    report = check_plan(changed, new, objective=round(cost, 2))
    past = [
        Violation("plan", "", f"before {as_of}: {text}")
        for text in past_changes(plan, new, as_of, spares=not release_spares)
    ]
    # the model's kept variables may only understate what the plan keeps (a
    # search stopped early leaves some at 0), never overstate it
    leases = broken_leases(plan, new, as_of)
    priced = cost + promise_price * (len(broken) + len(leases)) + change_price * len(changed_plans)
    if outcome.objective / 100 < priced - 0.01:
        past.append(
            Violation(
                "prices",
                "objective",
                f"the model's objective {outcome.objective / 100:.2f} DKK is below the plan's "
                f"cost plus its {len(broken)} broken promises, {len(leases)} leases cut short "
                f"and {len(changed_plans)} changed plans priced ({priced:.2f} DKK)",
            )
        )
    report = CheckReport([*report.violations, *past], report.pricing)
    proto = model.model.proto
    result = make_result(
        changed.name,
        outcome.status,
        objective=round(cost, 2),
        bound=None,  # the search's bound includes the promise prices
        runtime=outcome.runtime,
        plan=new,
        warnings=notes + outcome.notes,
        solver=solver_info(
            settings.params,
            strategy="replan",
            lp=True,
            variables=len(proto.variables),
            constraints=len(proto.constraints),
        ),
    )
    return Replanned(
        result=result,
        status=outcome.status,
        scenario=changed,
        plan=new,
        cost=cost,
        bound=None if outcome.bound is None else outcome.bound / 100,
        promises=promises,
        broken=broken,
        leases=leases,
        check=report,
        diff=diff_plans(scenario, plan, changed, new, as_of, broken, leases),
        runtime=outcome.runtime,
        notes=notes + outcome.notes,
    )


def _fewest_broken(
    model: RehousingModel, terms: _Terms, settings: Settings, time_limit: float
) -> tuple[Status, int | None]:
    """The fewest broken promises found (CP-SAT on a copy of ``model``) and how the search ended."""
    copy = model.model.clone()
    copy.clear_objective()  # type: ignore[no-untyped-call]
    kept = [copy.get_int_var_from_proto_index(k.index) for k in terms.variables]
    copy.maximize(cp_model.LinearExpr.sum(kept))
    solver = configured(settings.params, time_limit, settings.log)
    status = solver.solve(copy)
    if status == cp_model.INFEASIBLE:
        return Status.INFEASIBLE, None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Status.NO_SOLUTION_IN_TIME, None
    found = Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE
    return found, len(terms.kept) - round(solver.objective_value)
