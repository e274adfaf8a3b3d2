"""Replanning after changes and the stress test, on the tiny two-stage case."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from allocator import rules
from allocator.io.dump import dump_scenario
from allocator.io.errors import InputError
from allocator.io.load import load_changes
from allocator.replan.changes import ReplanError, apply_changes
from allocator.replan.promises import promises_of
from allocator.replan.replan import replan
from allocator.replan.stress import overcapacity_curve, stress, summarise
from allocator.solving.entry import solve
from models.plan import Plan
from models.replan import Changes, StressConfig
from models.scenario import Scenario
from tests.test_cli import run
from tests.tiny import changed, pavilion_type, scenario, two_stage_data, vacant

#: After S1's households moved out (2025-05-02) and S2's notices (2025-07-01),
#: before S2's move-out (2025-10-02).
AS_OF = date(2025, 8, 1)


@pytest.fixture(scope="module")
def case() -> tuple[Scenario, Plan]:
    # H4 (stage S2) wishes nothing: it stays in a rehousing place and returns
    case = scenario(changed(two_stage_data(), "households", "H4", wishes=[]))
    result = solve(case, time_limit=5, num_workers=1)
    assert result.plan is not None
    return case, result.plan


def _changes(*items: dict[str, object]) -> Changes:
    return Changes.model_validate({"changes": list(items)})


def test_a_delayed_stage_keeps_earlier_moves_and_promises(case: tuple[Scenario, Plan]) -> None:
    base, plan = case
    r = replan(base, plan, _changes({"kind": "stage_delay", "stage": "S2", "days": 60}), AS_OF)
    assert r.plan is not None and r.check is not None and r.diff is not None
    assert r.check.ok, r.check.messages
    old = {h.household: h for h in plan.households}
    new = {h.household: h for h in r.plan.households}
    for hid in ("H1", "H2"):  # stage S1 moved out before the as-of date: untouched
        assert new[hid] == old[hid]
    assert new["H4"].move_out > old["H4"].move_out
    assert new["H4"].place == old["H4"].place  # the address its letter names
    assert {p.household for p in promises_of(plan, AS_OF)} == {"H1", "H2", "H4"}
    assert r.broken == [] and r.diff.broken == 0
    assert [h.household for h in r.diff.households] == ["H4"]
    assert set(r.diff.households[0].changes) >= {"move_out", "return_date"}
    notice = next(x for x in r.diff.letters if x.kind == "notice")
    stage = r.scenario.stage_of(r.scenario.household("H4"))
    assert notice.household == "H4" and notice.correction
    assert notice.due == new["H4"].notice_date
    assert notice.legal_latest == rules.legal_notice_date(
        r.scenario, stage.start, new["H4"].move_out
    )
    assert notice.legal_met and not notice.overdue
    assert any(x.kind == "return" and x.household == "H4" for x in r.diff.letters)


def test_a_lost_promised_place_is_one_broken_promise(case: tuple[Scenario, Plan]) -> None:
    base, plan = case
    h4 = next(h for h in plan.households if h.household == "H4")
    assert h4.place is not None
    gone = {"kind": "dwelling_unavailable", "dwelling": h4.place, "from": "2025-09-20"}
    r = replan(base, plan, _changes(gone), AS_OF)
    assert r.plan is not None and r.check is not None and r.check.ok, r.check and r.check.messages
    new = next(h for h in r.plan.households if h.household == "H4")
    assert new.place not in (None, h4.place)
    assert [(b.household, b.what) for b in r.broken] == [("H4", ("place",))]
    # the objective held the same price for it: the checker agreed on the cost
    assert r.cost is not None and r.check.pricing is not None


def test_a_change_that_moves_the_past_is_refused(case: tuple[Scenario, Plan]) -> None:
    base, plan = case
    with pytest.raises(ReplanError, match="end_only"):
        replan(base, plan, _changes({"kind": "stage_delay", "stage": "S1", "days": 14}), AS_OF)
    late = {"kind": "stage_delay", "stage": "S1", "end_only": True}
    r = replan(base, plan, _changes({**late, "days": 7}), AS_OF)
    assert r.check is not None and r.check.ok, r.check.messages
    assert r.broken == []
    # two weeks late, S1's households hold both places when H4 must move out
    r = replan(base, plan, _changes({**late, "days": 14}), AS_OF)
    assert r.status.value == "INFEASIBLE" and r.plan is None


def test_changes_file_errors_name_the_field(tmp_path: Path, case: tuple[Scenario, Plan]) -> None:
    bad = tmp_path / "changes.yaml"
    bad.write_text("changes:\n  - kind: stage_delay\n    stage: S2\n    days: fish\n")
    with pytest.raises(InputError) as caught:
        load_changes(bad)
    assert any("changes[0]" in m and "days" in m for m in caught.value.messages)
    base, plan = case
    with pytest.raises(ReplanError) as refused:
        replan(base, plan, _changes({"kind": "stage_delay", "stage": "S9", "days": 5}), AS_OF)
    assert refused.value.messages == ["changes: changes[0].stage: unknown stage 'S9'"]


def test_stress_is_reproducible_with_a_seed(case: tuple[Scenario, Plan]) -> None:
    base, plan = case
    config = StressConfig.model_validate(
        {
            "stage_delay": {"probability": 0.8, "max_days": 40},
            "as_of_days": (AS_OF - min(h.notice_date for h in plan.households)).days,
        }
    )
    first = stress(base, plan, 3, 7, config, time_limit=5)
    with ThreadPoolExecutor(2) as pool:
        again = stress(base, plan, 3, 7, config, executor=pool, time_limit=5)
    assert first == again
    assert any(r["changes"] for r in first)
    s = summarise(first)
    assert s.runs == 3 and s.checks_failed == 0
    assert s.unhoused + s.rejected + s.no_plan_in_time <= 3


def test_as_of_before_any_letter_promises_nothing(case: tuple[Scenario, Plan]) -> None:
    _, plan = case
    first = min(h.notice_date for h in plan.households)
    assert promises_of(plan, first) == []
    assert len(promises_of(plan, first + timedelta(days=1))) >= 1


def test_lexicographic_breaks_no_more_promises(case: tuple[Scenario, Plan]) -> None:
    base, plan = case
    h4 = next(h for h in plan.households if h.household == "H4")
    gone = {"kind": "dwelling_unavailable", "dwelling": h4.place, "from": "2025-09-20"}
    r = replan(base, plan, _changes(gone), AS_OF, lexicographic=True)
    assert r.check is not None and r.check.ok, r.check.messages
    assert len(r.broken) == 1 and any("lexicographic: at most 1" in n for n in r.notes)


def _files(tmp_path: Path, base: Scenario, plan: Plan, changes: str) -> list[str]:
    scn, pl, ch = tmp_path / "s.yaml", tmp_path / "plan.json", tmp_path / "changes.yaml"
    dump_scenario(base, scn)
    pl.write_text(plan.model_dump_json())
    ch.write_text(changes)
    return [str(scn), str(pl), "--changes", str(ch), "--as-of", AS_OF.isoformat()]


def test_cli_replan_writes_the_new_plan_and_its_diff(
    tmp_path: Path, case: tuple[Scenario, Plan]
) -> None:
    base, plan = case
    args = _files(tmp_path, base, plan, "changes:\n  - {kind: stage_delay, stage: S2, days: 60}\n")
    out = tmp_path / "out"
    done = run("replan", *args, "--out", str(out), "--lang", "en", "--time-limit", "5")
    assert done.exit_code == 0, done.stderr
    assert "H4 (S2): move_out" in done.stdout and "notice letter" in done.stdout
    assert load_workbook(out / "result.xlsx")["Replanning"]["A1"].value == "Replanned as of"
    assert 'id="replan"' in (out / "report.html").read_text()
    # the new plan passes the checker against the changed scenario the replan wrote
    checked = run("check", str(out / "scenario.yaml"), str(out / "plan.json"))
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    danish = run("replan", *args, "--time-limit", "5")
    assert "Berørte husstande: 1" in danish.stdout


def test_cli_replan_names_the_bad_field(tmp_path: Path, case: tuple[Scenario, Plan]) -> None:
    base, plan = case
    args = _files(tmp_path, base, plan, "changes:\n  - {kind: stage_delay, stage: S9, days: 5}\n")
    done = run("replan", *args)
    assert done.exit_code == 2
    assert "changes[0].stage: unknown stage 'S9'" in done.stderr


def test_each_change_and_the_settled_past(case: tuple[Scenario, Plan]) -> None:
    _, plan = case
    data = two_stage_data()
    data["dwellings"].append(
        {"id": "P1", "source": "partner", "rooms": 2, "area_m2": 50, "monthly_rent": 4000,
         "vacant_from": "2025-03-01"}
    )  # fmt: skip
    data["pavilions"] = [{"id": "PT", "rooms": 2, "max_count": 2, "setup_cost": 1,
                          "removal_cost": 1, "monthly_rent": 1}]  # fmt: skip
    richer = scenario(changed(data, "households", "H4", wishes=[]))
    new_home = {"id": "V9", "source": "own_organisation", "rooms": 3, "area_m2": 70,
                "monthly_rent": 5000, "vacant_from": "2025-10-01"}  # fmt: skip
    changes = _changes(
        {"kind": "vacancy_late", "dwelling": "O2", "days": 10},
        {"kind": "household", "household": "H4", "children": 2},
        {"kind": "new_vacancy", "dwelling": new_home},
        {"kind": "pavilion_late", "pavilion": "PT", "days": 30},
        {"kind": "stage_delay", "stage": "S2", "days": -7},
    )
    out = apply_changes(richer, changes, plan, AS_OF)
    assert out.dwelling("O2").vacant_from == date(2025, 5, 12)
    assert out.household("H4").children == 2
    assert out.dwelling("V9").vacant_from == date(2025, 10, 1)
    assert out.pavilions[0].lead_days == richer.pavilions[0].lead_days + 30
    assert out.stages[1].start == date(2025, 10, 25)
    # P1 fell vacant in March and the plan did not withhold it: let, gone by August
    assert "P1" not in {d.id for d in out.dwellings}
    late = apply_changes(richer, changes, plan, date(2025, 2, 1))
    assert "P1" in {d.id for d in late.dwellings}
    withdrawn = apply_changes(
        richer,
        _changes({"kind": "partner_withdrawal", "from": "2025-04-01"}),
        plan,
        date(2025, 2, 1),
    )
    assert withdrawn.dwelling("P1").hand_back == date(2025, 4, 1)


def test_overcapacity_curve_prices_plan_plus_repairs() -> None:
    data = changed(two_stage_data(), "households", "H4", wishes=[])
    data["dwellings"] += [vacant("O3", "2025-03-01"), vacant("O4", "2025-03-01")]
    base = scenario(data)
    config = StressConfig.model_validate(
        {"stage_delay": {"probability": 0.9, "max_days": 40}, "as_of_days": 31}
    )
    points = list(
        overcapacity_curve(base, [0.0, 0.5], 2, 3, config, time_limit=3, plan_time_limit=5)
    )
    assert [p.overcapacity for p in points] == [0.0, 0.5]
    for p in points:
        assert p.plan_cost is not None and p.summary is not None and p.expected_total is not None
        variant = base.model_copy(
            update={"policy": base.policy.model_copy(update={"overcapacity": p.overcapacity})}
        )
        planned = solve(variant, time_limit=5, num_workers=1).plan
        assert planned is not None
        rows = stress(variant, planned, 2, 3, config, time_limit=3)
        counted = [r for r in rows if r["status"] not in ("rejected", "no_plan_in_time")]
        repairs = [
            r["extra_cost"] if r["status"] != "unhoused" else config.unhoused_cost for r in counted
        ]
        assert p.expected_total == pytest.approx(p.plan_cost + sum(repairs) / len(counted))


def test_a_promised_pavilion_module_is_kept_by_its_type() -> None:
    data = changed(two_stage_data(), "households", "H4", wishes=[])
    data = changed(data, "dwellings", "O1", hand_back="2025-09-30")
    data = changed(data, "dwellings", "O2", hand_back="2025-09-30")
    data["pavilions"] = [pavilion_type(max_count=1)]
    base = scenario(data)
    plan = solve(base, time_limit=5, num_workers=1).plan
    assert plan is not None
    h4 = next(h for h in plan.households if h.household == "H4")
    assert h4.place_source is not None and h4.place_source.value == "pavilion"
    r = replan(base, plan, _changes({"kind": "stage_delay", "stage": "S2", "days": 60}), AS_OF)
    assert r.plan is not None and r.check is not None and r.check.ok, r.check and r.check.messages
    assert r.broken == []
    new = next(h for h in r.plan.households if h.household == "H4")
    assert new.place_source is not None and new.place_source.value == "pavilion"


def test_released_spares_serve_the_repair() -> None:
    data = changed(two_stage_data(), "households", "H4", wishes=[])
    data["dwellings"] += [vacant("O3", "2025-03-01"), vacant("O4", "2025-03-01")]
    base = scenario(data, policy={"overcapacity": 0.5})
    plan = solve(base, time_limit=5, num_workers=1).plan
    assert plan is not None
    late = _changes({"kind": "stage_delay", "stage": "S2", "days": 30})
    kept = replan(base, plan, late, AS_OF)
    freed = replan(base, plan, late, AS_OF, release_spares=True)
    for r in (kept, freed):
        assert r.check is not None and r.check.ok, r.check.messages
    assert freed.scenario.policy.overcapacity == 0.0
    assert kept.cost is not None and freed.cost is not None and freed.cost <= kept.cost

    def later_spares(p: Plan | None) -> int:
        assert p is not None
        return sum(
            seg.kind.value == "spare" and seg.start >= AS_OF for t in p.places for seg in t.segments
        )

    assert later_spares(kept.plan) >= 1 and later_spares(freed.plan) == 0
