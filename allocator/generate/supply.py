"""The supply self-check: whether a scenario is plausibly feasible.

:func:`supply_check` counts per stage the households by need against the
places that fit them, and builds a witness plan with the greedy planner of
:mod:`allocator.heuristics.greedy` (every household housed, every stage's
R10 pool met); :func:`supply_report` prints it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from allocator import rules
from allocator.heuristics.greedy import Fits, StageOutcome, greedy_run
from models.scenario import Dwelling, Household, Scenario, Source


@dataclass
class StageSupply:
    """Supply against demand for one stage, and the greedy witness's result.

    Attributes
    ----------
    witness
        What the witness plan (:func:`allocator.heuristics.greedy.greedy_run`) does for
        the stage: stays, spares, winners, the R10 pool needed, problems.
    households
        Households of the stage by agreement (and ``merged_away``).
    needs
        Households by need: ``wheelchair``, ``step_free``, ``max_floor``.
    covering
        Candidate dwellings whose availability covers [out, back) and that
        can be temporary places in the municipality, in all and by access.
    permanent_supply
        Own-organisation dwellings vacant by the move-out day.
    fitting
        Per household, the covering dwellings that fit it.
    no_dwelling
        Households with no fitting covering dwelling (pavilions only).
    no_place
        Households with neither a fitting covering dwelling nor a pavilion type.
    """

    witness: StageOutcome
    households: Counter[str] = field(default_factory=Counter)
    needs: Counter[str] = field(default_factory=Counter)
    covering: Counter[str] = field(default_factory=Counter)
    permanent_supply: int = 0
    fitting: list[int] = field(default_factory=list)
    no_dwelling: int = 0
    no_place: int = 0

    @property
    def stage(self) -> str:
        """Stage id."""
        return self.witness.stage

    @property
    def ok(self) -> bool:
        """Whether the witness housed everyone and met the pool."""
        w = self.witness
        return not w.problems and w.pool >= w.pool_needed


def supply_check(scenario: Scenario) -> list[StageSupply]:
    """Count supply per stage and build a witness plan with the greedy planner.

    The counts describe each stage: households by agreement and need,
    candidate dwellings whose availability covers the whole stay (not
    counting homes vacated by permanent movers), own-organisation dwellings
    vacant by the move-out day, and how many covering dwellings fit each
    household. The witness is :func:`allocator.heuristics.greedy.greedy_run`, the
    planner a spreadsheet user would follow; if it houses everyone and
    fills every R10 pool (its plans pass the plan checker), the scenario is
    feasible. Its failure does not prove the opposite.

    Parameters
    ----------
    scenario
        The scenario to check.

    Returns
    -------
    list of StageSupply
        One entry per stage, in move-out order.
    """
    sc = scenario
    fits = Fits(sc)
    removed = sc.removed_dwellings()
    dwellings = {d.id: d for d in sc.dwellings}
    by_stage: dict[str, list[Household]] = {s.id: [] for s in sc.stages}
    for h in sc.households:
        stage = dwellings[h.dwelling].stage
        assert stage is not None  # validated: every household lives in a stage
        by_stage[stage].append(h)

    def in_municipality(d: Dwelling) -> bool:
        return (
            not sc.policy.same_municipality
            or sc.municipality is None
            or d.municipality in (None, sc.municipality)
        )

    # Every stage scans the slots: what it asks of one is worked out once, and
    # the slots are sorted by start (stably, so each stage sees those starting
    # by its move-out day in their original order) to stop at the move-out day.
    slots = sorted(
        (a for a in rules.availabilities(sc) if a.vacated_by is None), key=lambda a: a.start
    )
    starts = [a.start for a in slots]
    rows = []
    for a in slots:
        d = dwellings[a.dwelling]
        local = in_municipality(d)
        pc = fits.place_class(d) if local else -1
        rows.append((a.end, d, local, pc, d.step_free, d.source is Source.OWN_ORGANISATION))

    report = []
    for outcome in greedy_run(sc).stages:
        out, back = outcome.out_day, outcome.back_day
        st = StageSupply(outcome)
        members = by_stage[outcome.stage]
        for h in members:
            st.households[h.agreement.value] += 1
            st.households["merged_away"] += h.dwelling in removed
            st.needs["wheelchair"] += h.wheelchair
            st.needs["step_free"] += h.step_free
            st.needs["max_floor"] += h.max_floor is not None
        # covering dwellings by class of place: one fit look-up per household and class
        covering: dict[int, tuple[Dwelling, int]] = {}
        for end, d, local, pc, step_free, own in rows[: bisect_right(starts, out)]:
            if end >= back and local:
                st.covering["all"] += 1
                st.covering["step_free"] += step_free
                st.covering["wheelchair"] += d.wheelchair
                covering[pc] = (d, covering.get(pc, (d, 0))[1] + 1)
            st.permanent_supply += own
        for h in members:
            hc = fits.household_class(h)
            n = sum(k for pc, (d, k) in covering.items() if fits.answer(hc, pc, False, h, d))
            st.fitting.append(n)
            if n == 0:
                st.no_dwelling += 1
                st.no_place += not any(fits(h, p) for p in sc.pavilions)
        report.append(st)
    return report


def supply_report(scenario: Scenario) -> str:
    """A readable per-stage supply check (see :func:`supply_check`).

    Parameters
    ----------
    scenario
        The scenario to check.

    Returns
    -------
    str
        One block per stage and a verdict line.
    """
    sc = scenario
    checks = supply_check(sc)
    sources = Counter(d.source.value for d in sc.dwellings if d.stage is None)
    lines = [
        f"Supply check: {sc.name}",
        f"  {len(sc.households)} households, {len(sc.stages)} stages, "
        f"{len(sc.after_dwellings)} after-renovation dwellings; candidate dwellings: "
        + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        + f" ({sum(d.municipal_referral for d in sc.dwellings)} municipal referral); "
        + "pavilions: "
        + ", ".join(f"{p.id} x{p.max_count}" for p in sc.pavilions),
    ]
    stages = {s.id: s for s in sc.stages}
    for st in checks:
        s, w = stages[st.stage], st.witness
        hh = st.households
        total = hh["temporary"] + hh["undecided"] + hh["permanent"]
        fitting = sorted(st.fitting) or [0]
        lines += [
            f"stage {st.stage}: works {s.start} to {s.end}; out {sc.date_of(w.out_day)} "
            f"(day {w.out_day}), back {sc.date_of(w.back_day)} (day {w.back_day})",
            f"  households {total}: temporary {hh['temporary']}, undecided {hh['undecided']}, "
            f"permanent {hh['permanent']} (merged away {hh['merged_away']}); "
            f"wheelchair {st.needs['wheelchair']}, step-free {st.needs['step_free']}, "
            f"max floor {st.needs['max_floor']}",
            f"  dwellings covering the whole stay: {st.covering['all']} "
            f"(step-free {st.covering['step_free']}, wheelchair {st.covering['wheelchair']}); "
            f"own organisation vacant by move-out: {st.permanent_supply}",
            f"  fitting covering dwellings per household: min {fitting[0]}, "
            f"median {fitting[len(fitting) // 2]}; pavilion only {st.no_dwelling}, "
            f"no place {st.no_place}",
            f"  witness: {w.stays} stays ({w.pavilion_stays} in pavilions), "
            f"{w.direct} direct, {w.permanent} permanent, {w.spares} spare; "
            f"{w.winners} win an after-renovation dwelling; "
            f"pool {w.pool} of {w.pool_needed} needed: {'OK' if st.ok else 'SHORT'}",
        ]
        lines += [f"  problem: {p}" for p in w.problems]
    verdict = all(st.ok for st in checks)
    lines.append("plausibly feasible" if verdict else "NOT shown feasible")
    return "\n".join(lines)
