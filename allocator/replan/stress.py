"""The stress test: Monte Carlo over what goes wrong, each run repaired by the replanner.

A run draws changes from :class:`~models.replan.StressConfig` with NumPy's
seeded generator (stage delays, late or cancelled vacancies, refused offers,
households that change agreement), learnt on one as-of date, and repairs
the plan with :func:`~allocator.replan.replan.replan`, promises kept. A run
no plan can repair is a household without a place.

:func:`stress_run` is a pure function of plain data (a scenario dict, a plan
dict, a seed, a config dict) returning a plain row, so the runs can go to
any :class:`concurrent.futures.Executor` (in process by default, a process
pool, or a cluster).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np

from allocator.replan.changes import ReplanError, Unhoused
from allocator.replan.diff import plan_cost
from allocator.replan.replan import replan
from allocator.solving.settings import MAX_NODES, Settings
from allocator.solving.single import solve_single
from models.plan import Mode, Plan, SegmentKind
from models.replan import (
    Change,
    Changes,
    CurvePoint,
    DwellingUnavailable,
    HouseholdChange,
    StageDelay,
    StressConfig,
    StressSummary,
    VacancyLate,
)
from models.scenario import Agreement, Scenario

__all__ = [
    "CurvePoint",
    "StressSummary",
    "draw_changes",
    "overcapacity_curve",
    "plan_cost",
    "stress",
    "stress_run",
    "summarise",
]

Row = dict[str, Any]
T = TypeVar("T")


class InProcess(Executor):
    """Runs each submitted call at once, in this process (the default executor)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def as_of_date(plan: Plan, config: StressConfig) -> date:
    """The day a run's events are learnt: ``as_of_days`` after the plan's first notice."""
    return min(h.notice_date for h in plan.households) + timedelta(days=config.as_of_days)


def draw_changes(
    scenario: Scenario, plan: Plan, as_of: date, config: StressConfig, rng: np.random.Generator
) -> list[Change]:
    """One run's changes, drawn in a fixed order (stages, vacancies, households) with ``rng``."""
    out: list[Change] = []

    def happens(p: float) -> bool:
        return bool(rng.random() < p)

    def days(max_days: int) -> int:
        return int(rng.integers(1, max_days + 1))

    first_out: dict[str, date] = {}
    for h in plan.households:
        first_out[h.stage] = min(first_out.get(h.stage, h.move_out), h.move_out)
    for s in scenario.stages:
        if s.end <= as_of or not happens(config.stage_delay.probability):
            continue
        end_only = first_out.get(s.id, s.start) < as_of + timedelta(days=1)
        n = days(config.stage_delay.max_days)
        out.append(StageDelay(kind="stage_delay", stage=s.id, days=n, end_only=end_only))
    used = {t.place for t in plan.places if t.pavilion_type is None}
    for d in scenario.dwellings:
        if d.id not in used or d.vacant_from is None or d.vacant_from <= as_of:
            continue
        if happens(config.vacancy_cancelled.probability):
            out.append(
                DwellingUnavailable(
                    kind="dwelling_unavailable", dwelling=d.id, **{"from": d.vacant_from}
                )
            )
        elif happens(config.vacancy_late.probability):
            out.append(
                VacancyLate(
                    kind="vacancy_late", dwelling=d.id, days=days(config.vacancy_late.max_days)
                )
            )
    vacancies = {d.id for d in scenario.dwellings if d.vacant_from is not None}
    merged = scenario.removed_dwellings()
    # a refused place is let to someone else from the refuser's move-out: only a
    # place nobody lives in before then (an earlier occupant's stay may grow)
    first_user: dict[str, str | None] = {}
    for t in plan.places:
        stays = [seg for seg in t.segments if seg.kind is SegmentKind.OCCUPIED]
        first_user[t.place] = min(stays, key=lambda seg: seg.start).household if stays else None
    for h in plan.households:
        if h.notice_date < as_of:
            continue  # its letter is out: it has accepted
        if (
            h.mode is Mode.TEMPORARY
            and h.place in vacancies
            and first_user.get(h.place) == h.household
            and happens(config.refused_offer.probability)
        ):
            assert h.place is not None
            out.append(
                DwellingUnavailable(
                    kind="dwelling_unavailable", dwelling=h.place, **{"from": h.move_out}
                )
            )
        home = scenario.household(h.household)
        agreement = home.agreement
        if home.dwelling in merged and agreement is Agreement.PERMANENT:
            continue  # its home is merged away: it has nothing to come back to
        if agreement is not Agreement.UNDECIDED and happens(config.agreement_change.probability):
            # one that wanted to come back would now move for good if a dwelling can be
            # found (else it comes back: no one is left without a place for a wish);
            # one that was to move for good wants to come back, and needs a place
            new = Agreement.UNDECIDED if agreement is Agreement.TEMPORARY else Agreement.TEMPORARY
            out.append(HouseholdChange(kind="household", household=h.household, agreement=new))
    # one change per dwelling: a refused place that is also late or cancelled counts once
    seen: set[str] = set()
    unique: list[Change] = []
    for c in out:
        key = getattr(c, "dwelling", None)
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        unique.append(c)
    return unique


def stress_run(
    scenario_data: dict[str, Any],
    plan_data: dict[str, Any],
    seed: int,
    config_data: dict[str, Any],
    time_limit: float = 10.0,
) -> Row:
    """One stress run on plain data: draw changes with ``seed``, repair the plan, return a row.

    Returns
    -------
    dict
        ``seed``, ``changes`` (how many), ``status`` (``unchanged``,
        ``repaired``, ``unhoused``: no plan keeps the past and houses
        everyone, ``rejected``: drawn changes the rules cannot apply, such as
        a delay that would move a past move, ``no_plan_in_time``),
        ``extra_cost`` (DKK, repaired runs),
        ``broken`` (promises), ``leases`` (signed leases not kept),
        ``check_ok`` (the repaired plan passed the checker).
    """
    scenario = Scenario.model_validate(scenario_data)
    plan = Plan.model_validate(plan_data)
    config = StressConfig.model_validate(config_data)
    rng = np.random.default_rng(seed)
    as_of = as_of_date(plan, config)
    changes = draw_changes(scenario, plan, as_of, config, rng)
    row: Row = {"seed": seed, "changes": len(changes), "status": "unchanged", "extra_cost": 0.0}
    row.update(broken=0, leases=0, check_ok=True)
    if not changes:
        return row
    try:
        r = replan(
            scenario,
            plan,
            Changes(changes=changes),
            as_of,
            time_limit=time_limit,
            num_workers=1,
            release_spares=config.release_spares,
        )
    except Unhoused as exc:
        row.update(status="unhoused", reason=exc.messages[0])
        return row
    except ReplanError as exc:  # drawn changes the rules cannot apply: not counted
        row.update(status="rejected", reason=exc.messages[0])
        return row
    if r.plan is None or r.cost is None:
        status = "unhoused" if r.status.value == "INFEASIBLE" else "no_plan_in_time"
        row.update(status=status)
        return row
    row.update(
        status="repaired",
        extra_cost=round(r.cost - plan_cost(plan), 2),
        broken=len(r.broken),
        leases=len(r.leases),
        check_ok=bool(r.check and r.check.ok),
    )
    if r.check is not None and not r.check.ok:
        row["violations"] = r.check.messages[:5]
    return row


def run_seeds(seed: int, runs: int) -> list[int]:
    """The runs' seeds: independent streams spawned from ``seed``."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(runs)]


def stress(
    scenario: Scenario,
    plan: Plan,
    runs: int,
    seed: int,
    config: StressConfig | None = None,
    *,
    executor: Executor | None = None,
    time_limit: float = 10.0,
) -> list[Row]:
    """``runs`` stress runs of ``plan`` (:func:`stress_run`), through ``executor``.

    The same scenario, plan, seed, runs and config give the same rows,
    whichever executor runs them (a repair is one CP-SAT worker with seed 0).
    """
    pool = executor if executor is not None else InProcess()
    config = config or StressConfig()
    args = (scenario.model_dump(mode="json"), plan.model_dump(mode="json"))
    futures = [
        pool.submit(stress_run, *args, s, config.model_dump(mode="json"), time_limit)
        for s in run_seeds(seed, runs)
    ]
    return [f.result() for f in futures]


def summarise(rows: Sequence[Row]) -> StressSummary:
    """Figures of ``rows``: extra cost over the runs that were repaired (or needed no repair)."""
    fine = [r for r in rows if r["status"] in ("repaired", "unchanged")]
    extra = np.array([r["extra_cost"] for r in fine]) if fine else np.zeros(1)
    broken = [r["broken"] for r in fine] or [0]
    return StressSummary(
        runs=len(rows),
        unhoused=sum(r["status"] == "unhoused" for r in rows),
        rejected=sum(r["status"] == "rejected" for r in rows),
        no_plan_in_time=sum(r["status"] == "no_plan_in_time" for r in rows),
        expected_extra=float(extra.mean()),
        p90_extra=float(np.quantile(extra, 0.9)),
        broken_mean=float(np.mean(broken)),
        broken_max=int(max(broken)),
        leases_mean=float(np.mean([r["leases"] for r in fine] or [0])),
        checks_failed=sum(not r["check_ok"] for r in rows),
    )


def overcapacity_curve(
    scenario: Scenario,
    shares: Iterable[float],
    runs: int,
    seed: int,
    config: StressConfig | None = None,
    *,
    executor: Executor | None = None,
    time_limit: float = 10.0,
    plan_time_limit: float = 30.0,
) -> Iterator[CurvePoint]:
    """For each overcapacity share: plan the scenario, stress the plan, price the risk.

    The expected total cost is the plan's cost plus the expected repair:
    the extra cost of repaired runs, and ``config.unhoused_cost`` for each
    run that no plan can repair; runs whose changes cannot be applied or
    that find no plan in time are left out (their numbers are in the
    summary). Every share uses the same run seeds.
    """
    config = config or StressConfig()
    for share in shares:
        variant = scenario.model_copy(
            update={"policy": scenario.policy.model_copy(update={"overcapacity": share})}
        )
        settings = Settings.of(plan_time_limit, 1, 0)
        result = solve_single(variant, settings, max_nodes=MAX_NODES).result
        if result.plan is None:
            yield CurvePoint(overcapacity=share, status=result.status.value)
            continue
        rows = stress(
            variant, result.plan, runs, seed, config, executor=executor, time_limit=time_limit
        )
        summary = summarise(rows)
        # runs whose changes could not be applied, or not repaired in time, are left out
        counted = [r for r in rows if r["status"] not in ("rejected", "no_plan_in_time")]
        repairs = sum(
            r["extra_cost"] if r["status"] in ("repaired", "unchanged") else config.unhoused_cost
            for r in counted
        )
        cost = plan_cost(result.plan)
        expected = cost + (repairs / len(counted) if counted else 0.0)
        yield CurvePoint(
            overcapacity=share,
            status=result.status.value,
            plan_cost=cost,
            summary=summary,
            expected_total=expected if math.isfinite(expected) else None,
            rows=rows,
        )
