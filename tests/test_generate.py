"""The scenario generator: determinism, sizes, realism, feasibility, the bundled example."""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from allocator import rules
from allocator.generate import (
    RENT_PER_M2_YEAR,
    SIZES,
    SizeSpec,
    generate,
    scenario_data,
    scenario_yaml,
    supply_check,
    supply_report,
)
from models.scenario import Agreement, Household, Scenario, Source

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example.yaml"


@pytest.fixture(scope="module")
def example() -> Scenario:
    return generate("example", 0)


def _dump(scenario: Scenario) -> dict[str, object]:
    return scenario.model_dump(mode="json")


def test_same_seed_gives_identical_scenario() -> None:
    for size in ("S", "example"):
        assert _dump(generate(size, 7)) == _dump(generate(size, 7))


def test_different_seed_gives_different_scenario() -> None:
    a, b = generate("S", 1), generate("S", 2)
    assert _dump(a) != _dump(b)
    assert [h.seniority_date for h in a.households] != [h.seniority_date for h in b.households]


@pytest.mark.parametrize("size", ["S", "example", "M", "L", "XL", "P"])
def test_sizes_generate_and_validate(size: str) -> None:
    spec = SIZES[size]
    t0 = time.perf_counter()
    scenario = generate(size, 0)
    elapsed = time.perf_counter() - t0
    assert elapsed < {"XL": 15.0, "P": 30.0}.get(size, 5.0)
    again = Scenario.model_validate(_dump(scenario))
    assert again == scenario
    assert len(scenario.households) == spec.households
    assert len(scenario.stages) == spec.stages
    assert len(scenario.after_dwellings) == spec.merges
    per_stage = Counter(scenario.stage_of(h).id for h in scenario.households)
    mean = spec.households / spec.stages
    assert all(0.8 * mean <= n <= 1.2 * mean for n in per_stage.values())


def test_large_has_about_1500_candidate_dwellings() -> None:
    scenario = generate("L", 0)
    candidates = [d for d in scenario.dwellings if d.stage is None]
    # turnover over a planning horizon of 14-15 months before the first stage
    assert 1_300 <= len(candidates) <= 1_900


def test_timeline(example: Scenario) -> None:
    sc = example
    stages = sorted(sc.stages, key=lambda s: s.start)
    first = stages[0].start
    lead_months = (first - sc.policy.planning_date).days / (365 / 12)
    # planned more than a year ahead: interviews (R4) a year before every move
    assert 14 <= lead_months <= 16
    assert rules.notice_warnings(sc) == []
    for s in stages:
        assert rules.stage_notice_date(sc, s) > sc.policy.planning_date
        assert 150 <= (s.end - s.start).days <= 215
    for a, b in itertools.pairwise(stages):
        assert 90 <= (b.start - a.start).days <= 155
        assert b.start < a.end  # overlapping stages
    assert (stages[-1].end - first).days < 2 * 365


def test_household_ratios(example: Scenario) -> None:
    hh = example.households
    n = len(hh)

    def share(pred: Callable[[Household], bool]) -> float:
        return sum(1 for h in hh if pred(h)) / n

    assert 0.05 <= share(lambda h: h.step_free) <= 0.16
    assert 1 <= sum(h.wheelchair for h in hh) <= 0.04 * n
    assert all(h.step_free for h in hh if h.wheelchair)
    assert 0.08 <= share(lambda h: h.elderly) <= 0.22
    assert 0.14 <= share(lambda h: h.agreement is Agreement.PERMANENT) <= 0.30
    assert 0.05 <= share(lambda h: h.agreement is Agreement.UNDECIDED) <= 0.20
    assert 0.50 <= share(lambda h: h.agreement is Agreement.TEMPORARY) <= 0.80
    assert any(h.rooms_min for h in hh)
    assert any(Source.PARTNER in h.excluded_sources for h in hh)
    assert any(h.preferred_sources for h in hh)
    assert any(h.self_move for h in hh) and any(h.storage for h in hh)
    assert all(0 <= h.children <= 3 and 1 <= h.adults <= 2 for h in hh)


def test_households_fit_their_dwellings_and_a_pavilion(example: Scenario) -> None:
    sc = example
    for h in sc.households:
        dwelling = sc.dwelling(h.dwelling)
        assert sc.min_rooms(h) <= dwelling.rooms
        if h.rooms_max is not None:
            assert h.rooms_max >= max(2, sc.min_rooms(h))
        if Source.PAVILION not in h.excluded_sources:
            assert any(not rules.place_problems(sc, h, p) for p in sc.pavilions), h.id
    assert any(p.wheelchair for p in sc.pavilions)


def test_seniority_spread_and_ties(example: Scenario) -> None:
    hh = example.households
    years = [h.seniority_date.year for h in hh]
    assert min(years) <= 1980 and max(years) >= 2020
    assert max(years) <= 2024
    dates = Counter(h.seniority_date for h in hh)
    assert any(n > 1 for n in dates.values())
    pairs = Counter((h.seniority_date, h.birth_date) for h in hh)
    assert any(n > 1 for n in pairs.values())  # ties reach the id rule
    for h in hh:
        assert h.birth_date is not None
        assert (h.seniority_date - h.birth_date).days >= 18 * 365


def test_dwellings_realistic(example: Scenario) -> None:
    sc = example
    department = [d for d in sc.dwellings if d.source is Source.OWN_DEPARTMENT]
    assert {d.rooms for d in department} <= {1, 2, 3, 4, 5}
    rooms = Counter(d.rooms for d in department)
    assert rooms[2] + rooms[3] + rooms[4] > 0.6 * len(department)
    for d in sc.dwellings:
        assert 45 <= d.area_m2 <= 120
        yearly_per_m2 = d.monthly_rent * 12 / d.area_m2
        assert 0.89 * RENT_PER_M2_YEAR <= yearly_per_m2 <= 1.11 * RENT_PER_M2_YEAR
        assert d.municipality is not None
        assert 0 <= d.floor <= 6
    assert {d.floor for d in department} == {0, 1, 2, 3}
    vacant = [d for d in department if d.vacant_from is not None]
    assert 1 <= len(vacant) <= 0.06 * len(department)
    assert {s.id for s in sc.stages} == {d.stage for d in department}
    assert any(d.elevator for d in sc.dwellings) and any(d.wheelchair for d in sc.dwellings)


def test_candidate_sources(example: Scenario) -> None:
    sc = example
    candidates = [d for d in sc.dwellings if d.stage is None]
    sources = Counter(d.source for d in candidates)
    assert sources[Source.OWN_ORGANISATION] > len(sc.households)
    assert sources[Source.PARTNER] >= 5
    assert all(d.hand_back is not None for d in candidates if d.source is Source.PARTNER)
    assert all(d.vacant_from is not None for d in candidates)
    referral = [d for d in candidates if d.municipal_referral]
    assert 1 <= len(referral) <= 0.08 * len(candidates)
    assert {d.municipality for d in candidates} > {"Aarhus"}  # a neighbouring one too
    last_out = max(rules.move_out_day(sc, s) for s in sc.stages)
    assert all(0 <= sc.day(d.vacant_from) <= last_out for d in candidates if d.vacant_from)
    addresses = Counter(d.address for d in candidates)
    assert max(addresses.values()) == 1


@pytest.mark.parametrize("size", ["S", "example", "M", "L"])
def test_municipal_referral_dwellings_exist(size: str) -> None:
    scenario = generate(size, 3)
    assert any(d.municipal_referral for d in scenario.dwellings)


def test_pavilions(example: Scenario) -> None:
    for p in example.pavilions:
        assert 50_000 <= p.setup_cost <= 70_000
        assert 25_000 <= p.removal_cost <= 35_000
        assert 6_000 <= p.monthly_rent <= 8_000
        assert p.min_months == 6 and 90 <= p.lead_days <= 120
        assert p.max_count >= 4
    assert {p.rooms for p in example.pavilions} == {2, 3}


def test_after_dwellings(example: Scenario) -> None:
    sc = example
    assert len(sc.after_dwellings) == 20
    removed = sc.removed_dwellings()
    for a in sc.after_dwellings:
        assert len(a.replaces) == 2
        assert all(sc.dwelling(r).stage == a.stage for r in a.replaces)
        assert a.area_m2 == pytest.approx(sum(sc.dwelling(r).area_m2 for r in a.replaces))
    for h in sc.households:
        if h.dwelling in removed:
            assert h.agreement is not Agreement.TEMPORARY or rules.wanted_after(sc, h)
        assert 0 <= len(h.wishes) <= 6
    others = [h for h in sc.households if h.wishes and h.dwelling not in removed]
    assert len(others) >= 10
    assert all(1 <= len(h.wishes) <= 4 for h in others)
    years = [h.seniority_date.year for h in others]
    assert max(years) - min(years) >= 20


def test_a_household_whose_home_is_merged_away_always_has_somewhere_to_go() -> None:
    """Winning nothing by seniority, it may move for good, into a fitting own-organisation
    dwelling; no household of a generated scenario is left without an outcome."""
    for seed in range(5):
        sc = generate("example", seed)
        sched = rules.schedule(sc)
        assert sched.problems == []
        removed = sc.removed_dwellings()
        for h in sc.households:
            if h.dwelling in removed and h.id not in sched.won:
                assert h.agreement is not Agreement.TEMPORARY
                assert sched.outcomes[h.id] == (rules.Outcome.PERMANENT,)


@pytest.mark.parametrize("size", ["S", "example", "M", "L"])
def test_supply_witness_is_feasible(size: str) -> None:
    scenario = generate(size, 0)
    checks = supply_check(scenario)
    assert [c.stage for c in checks] == sorted(
        (s.id for s in scenario.stages),
        key=lambda sid: next(s.start for s in scenario.stages if s.id == sid),
    )
    for c in checks:
        w = c.witness
        assert c.ok, (c.stage, w.problems, w.pool, w.pool_needed)
        assert c.no_place == 0
        assert w.pool >= rules.required_pool(scenario, w.stays)
        assert w.pool_needed == w.stays + math.ceil(0.2 * w.stays)


@pytest.mark.parametrize("seed", range(1, 9))
def test_supply_witness_other_seeds(seed: int) -> None:
    for size in ("S", "example"):
        assert all(c.ok for c in supply_check(generate(size, seed))), (size, seed)


def test_supply_report_text(example: Scenario) -> None:
    text = supply_report(example)
    for s in example.stages:
        assert f"stage {s.id}:" in text
    assert text.endswith("plausibly feasible")


def test_portfolio_spec_with_two_departments() -> None:
    spec = SizeSpec(households=120, stages=4, org_stock=2_000, merges=8, departments=2)
    sc = generate(spec, 0)
    assert len(sc.households) == 120 and len(sc.stages) == 4
    assert len({s.id.split("-")[0] for s in sc.stages}) == 2
    assert len({h.id for h in sc.households}) == 120
    assert all(c.ok for c in supply_check(sc))


def test_portfolio_preset() -> None:
    """P: 25 departments of 4 stages sharing a pool sized like XL's per household."""
    spec = SIZES["P"]
    sc = generate("P", 0)
    departments = Counter(s.id.split("-")[0] for s in sc.stages)
    assert len(departments) == spec.departments == 25
    assert set(departments.values()) == {4}
    assert len({h.id for h in sc.households}) == spec.households
    candidates = [d for d in sc.dwellings if d.stage is None]
    assert 1.15 <= len(candidates) / spec.households <= 1.40  # XL: about 1.3
    assert max(Counter(d.address for d in candidates).values()) == 1
    starts = [min(s.start for s in sc.stages if s.id.startswith(f"{k}-")) for k in departments]
    assert 1_390 <= (max(starts) - min(starts)).days <= 1_490  # staggered 60 days apart


def test_full_estates_raise_instead_of_drawing_forever() -> None:
    spec = SizeSpec(households=60, stages=2, org_stock=1_200, merges=4, house_numbers=1)
    with pytest.raises(ValueError, match="no free address"):
        generate(spec, 0)


def test_example_yaml_matches_the_generator(example: Scenario) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.startswith("# Generated by `genhus generate --size example --seed 0")
    loaded = Scenario.model_validate(yaml.safe_load(text))
    assert _dump(loaded) == _dump(example)


def test_example_yaml_loads_with_the_project_loader(example: Scenario) -> None:
    load = pytest.importorskip("allocator.io.load")
    assert load.load_scenario(EXAMPLE) == example


@pytest.mark.parametrize(("size", "seed"), [("S", 1), ("example", 0)])
def test_yaml_text_is_the_pure_python_emitters(size: str, seed: int) -> None:
    sc = generate(size, seed)
    data = scenario_data(sc)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    assert scenario_yaml(sc) == text


def test_scenario_data_round_trips() -> None:
    sc = generate("S", 5)
    data = scenario_data(sc)
    assert list(data)[:3] == ["name", "municipality", "policy"]
    assert Scenario.model_validate(yaml.safe_load(yaml.safe_dump(data))) == sc
