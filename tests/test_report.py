"""The HTML report: self-contained, one Gantt bar per segment, valid PNG charts.

:func:`make_case` builds the hand-made two-stage case that the report,
letter, activity-plan and browser tests share. Its calendar (planning date
2025-01-01, clearing 30 days, ready 14 days):

========== ==============================================================
date        what
========== ==============================================================
2025-03-01  R1 collected (let time-limited until 2025-07-26)
2025-05-01  notice date of S1 (4 months before start)
2025-06-01  legal notice date of S1 (3 months)
2025-08-02  out(S1): H1 moves into R1, H2 into pavilion module PAV-1,
            H3 moves for good into P1, R2 held spare
2025-09-01  S1 works start
2026-02-01  notice date of S2
2026-02-15  return letters of H1 and H2
2026-03-01  S1 works end
2026-03-15  back(S1): H1 back home, H2 into its new dwelling N1
2026-05-02  out(S2): H4 moves into R1
2026-06-01  S2 works start; 2026-10-01 end; 2026-10-15 back(S2)
========== ==============================================================
"""

from __future__ import annotations

import inspect
import re
import struct
import typing
from datetime import date
from pathlib import Path

import pytest

from allocator.report import png, svg
from allocator.report.data import ChartData, chart_data
from allocator.report.html import render_report, write_report
from models.plan import (
    CostCategory,
    HouseholdPlan,
    Kpis,
    Mode,
    PlaceTimeline,
    Plan,
    Result,
    Segment,
    SegmentKind,
    SolverInfo,
    StageCost,
    StageKpi,
    Status,
)
from models.scenario import Scenario, Source

D = date.fromisoformat


def make_scenario() -> Scenario:
    """The hand-made two-stage scenario (see the module docstring).

    Every address has its postcode and town, the pavilion type its site and
    the scenario its contact person, so that every letter is complete.
    """
    data = _scenario_data()
    for dwelling in data["dwellings"]:
        dwelling.update(postcode="8210", town="Aarhus V")
    data["after_dwellings"][0].update(address="Solvej 1, 1. th.", postcode="8210", town="Aarhus V")
    data["pavilions"][0].update(site="Pavillonbyen, Solvej 40", postcode="8210", town="Aarhus V")
    data["contact"] = {"name": "Mette Holm", "phone": "86 12 34 56", "email": "mh@fjordbo.dk"}
    return Scenario.model_validate(data)


def _scenario_data() -> dict[str, typing.Any]:
    return dict(
        {
            "name": "Testafdeling",
            "municipality": "Aarhus",
            "policy": {"planning_date": "2025-01-01"},
            "costs": {"rent_reduction": 0.1},
            "stages": [
                {"id": "S1", "name": "Blok A", "start": "2025-09-01", "end": "2026-03-01"},
                {"id": "S2", "name": "Blok B", "start": "2026-06-01", "end": "2026-10-01"},
            ],
            "dwellings": [
                {
                    "id": "A1",
                    "source": "own_department",
                    "stage": "S1",
                    "address": "Solvej 1, st. tv.",
                    "rooms": 3,
                    "area_m2": 75,
                    "monthly_rent": 6000,
                },
                {
                    "id": "A2",
                    "source": "own_department",
                    "stage": "S1",
                    "address": "Solvej 1, 1. tv.",
                    "rooms": 2,
                    "area_m2": 60,
                    "floor": 1,
                    "monthly_rent": 5000,
                },
                {
                    "id": "A3",
                    "source": "own_department",
                    "stage": "S1",
                    "address": "Solvej 3, st. th.",
                    "rooms": 2,
                    "area_m2": 60,
                    "monthly_rent": 5000,
                },
                {
                    "id": "B1",
                    "source": "own_department",
                    "stage": "S2",
                    "address": "Solvej 5, 2. th.",
                    "rooms": 3,
                    "area_m2": 80,
                    "floor": 2,
                    "monthly_rent": 6200,
                },
                {
                    "id": "R1",
                    "source": "own_organisation",
                    "address": "Engvej 4, 1. th.",
                    "rooms": 3,
                    "area_m2": 78,
                    "floor": 1,
                    "elevator": True,
                    "monthly_rent": 5800,
                    "vacant_from": "2025-03-01",
                },
                {
                    "id": "R2",
                    "source": "partner",
                    "address": "Bakken 12, st.",
                    "rooms": 2,
                    "area_m2": 55,
                    "monthly_rent": 4800,
                    "vacant_from": "2025-06-01",
                },
                {
                    "id": "P1",
                    "source": "own_organisation",
                    "address": "Parkvej 8, 2. tv.",
                    "rooms": 2,
                    "area_m2": 62,
                    "floor": 2,
                    "monthly_rent": 5100,
                    "vacant_from": "2025-07-01",
                },
            ],
            "households": [
                {
                    "id": "H1",
                    "name": "Jens Hansen",
                    "dwelling": "A1",
                    "adults": 2,
                    "children": 1,
                    "seniority_date": "2001-04-01",
                    "storage": True,
                },
                {
                    "id": "H2",
                    "name": "Fatima Ali",
                    "dwelling": "A2",
                    "seniority_date": "1998-02-01",
                    "elderly": True,
                    "wishes": ["N1"],
                },
                {
                    "id": "H3",
                    "name": "Ole <Ø> & Co",
                    "dwelling": "A3",
                    "seniority_date": "2012-09-01",
                    "agreement": "permanent",
                    "self_move": True,
                },
                {
                    "id": "H4",
                    "name": "Karen Jensen",
                    "dwelling": "B1",
                    "seniority_date": "2015-01-01",
                },
            ],
            "after_dwellings": [
                {"id": "N1", "stage": "S1", "rooms": 2, "area_m2": 65, "monthly_rent": 5400}
            ],
            "pavilions": [
                {
                    "id": "PT",
                    "rooms": 2,
                    "max_count": 2,
                    "setup_cost": 40000,
                    "removal_cost": 20000,
                    "monthly_rent": 6000,
                    "lead_days": 90,
                }
            ],
        }
    )


def _seg(kind: str, start: str, end: str | None = None, **kw: str) -> Segment:
    return Segment(kind=SegmentKind(kind), start=D(start), end=D(end or start), **kw)


def make_plan() -> Plan:
    """The hand-made plan of :func:`make_scenario` (10 segments on 4 places)."""
    households = [
        HouseholdPlan(
            household="H1",
            stage="S1",
            mode=Mode.TEMPORARY,
            notice_date=D("2025-05-01"),
            move_out=D("2025-08-02"),
            place="R1",
            place_source=Source.OWN_ORGANISATION,
            return_date=D("2026-03-15"),
            return_letter_date=D("2026-02-15"),
        ),
        HouseholdPlan(
            household="H2",
            stage="S1",
            mode=Mode.TEMPORARY,
            notice_date=D("2025-05-01"),
            move_out=D("2025-08-02"),
            place="PAV-1",
            place_source=Source.PAVILION,
            return_date=D("2026-03-15"),
            return_letter_date=D("2026-02-15"),
            after_dwelling="N1",
        ),
        HouseholdPlan(
            household="H3",
            stage="S1",
            mode=Mode.PERMANENT,
            notice_date=D("2025-05-01"),
            move_out=D("2025-08-02"),
            permanent_dwelling="P1",
        ),
        HouseholdPlan(
            household="H4",
            stage="S2",
            mode=Mode.TEMPORARY,
            notice_date=D("2026-02-01"),
            move_out=D("2026-05-02"),
            place="R1",
            place_source=Source.OWN_ORGANISATION,
            return_date=D("2026-10-15"),
            return_letter_date=D("2026-09-15"),
        ),
    ]
    places = [
        PlaceTimeline(
            place="R1",
            source=Source.OWN_ORGANISATION,
            collected_from=D("2025-03-01"),
            released=D("2026-10-15"),
            segments=[
                _seg("time_limited", "2025-03-01", "2025-07-26", stage="S1"),
                _seg("held_empty", "2025-07-26", "2025-08-02", stage="S1"),
                _seg("occupied", "2025-08-02", "2026-03-15", household="H1", stage="S1"),
                _seg("held_empty", "2026-03-15", "2026-05-02", stage="S2"),
                _seg("occupied", "2026-05-02", "2026-10-15", household="H4", stage="S2"),
            ],
        ),
        PlaceTimeline(
            place="R2",
            source=Source.PARTNER,
            collected_from=D("2025-06-01"),
            released=D("2025-08-02"),
            segments=[
                _seg("held_empty", "2025-06-01", "2025-08-02", stage="S1"),
                _seg("spare", "2025-08-02", stage="S1"),
            ],
        ),
        PlaceTimeline(
            place="P1",
            source=Source.OWN_ORGANISATION,
            collected_from=D("2025-07-01"),
            released=D("2025-08-02"),
            segments=[
                _seg("held_empty", "2025-07-01", "2025-08-02", stage="S1"),
                _seg("permanent", "2025-08-02", household="H3", stage="S1"),
            ],
        ),
        PlaceTimeline(
            place="PAV-1",
            source=Source.PAVILION,
            pavilion_type="PT",
            collected_from=D("2025-08-02"),
            released=D("2026-03-15"),
            segments=[_seg("occupied", "2025-08-02", "2026-03-15", household="H2", stage="S1")],
        ),
    ]
    c = CostCategory
    s1 = {
        c.RENT_LOSS_EMPTY: 9000.0,
        c.RENT_LOSS_OCCUPIED: 43000.0,
        c.RENT_LOSS_VACATED: 12000.0,
        c.PAVILION_SETUP: 60000.0,
        c.PAVILION_RENT: 30000.0,
        c.PAVILION_REMOVAL: 12000.0,
        c.MOVING: 38000.0,
        c.EXTRA_HELP: 5000.0,
        c.TRANSFERS: 6000.0,
        c.STORAGE: 4800.0,
        c.TIME_LIMITED_DEPOSITS: 5000.0,
        c.CONSULTANT: 12000.0,
    }
    s2 = {
        c.RENT_LOSS_EMPTY: 9200.0,
        c.RENT_LOSS_OCCUPIED: 31000.0,
        c.MOVING: 24000.0,
        c.TRANSFERS: 2400.0,
        c.CONSULTANT: 4000.0,
    }
    total = {k: s1.get(k, 0.0) + s2.get(k, 0.0) for k in c}
    costs = [
        StageCost(stage="S1", by_category=s1, total=sum(s1.values())),
        StageCost(stage="S2", by_category=s2, total=sum(s2.values())),
        StageCost(stage="total", by_category=total, total=sum(total.values())),
    ]
    kpis = Kpis(
        rent_loss=104200.0,
        vacancy_days=137,
        occupied_days=588,
        withheld_days=725,
        time_limited_days=147,
        spare_days=0,
        moves=7,
        households_by_mode={"temporary": 3, "permanent": 1},
        households_by_source={"own_organisation": 2, "pavilion": 1},
        pavilion_modules=1,
        stages=[
            StageKpi(
                stage="S1",
                households=3,
                displaced=2,
                spares=1,
                pool=3,
                overcapacity=0.5,
                notice_date=D("2025-05-01"),
                notice_in_past=False,
            ),
            StageKpi(
                stage="S2",
                households=1,
                displaced=1,
                spares=0,
                pool=1,
                overcapacity=0.0,
                notice_date=D("2026-02-01"),
                notice_in_past=False,
            ),
        ],
    )
    return Plan(households=households, places=places, costs=costs, penalties=0.0, kpis=kpis)


def make_result(plan: Plan | None = None, status: Status = Status.OPTIMAL) -> Result:
    """A result carrying ``plan`` (the hand-made one by default)."""
    solver = SolverInfo(ortools_version="9.12", seed=0, num_workers=1, time_limit=10.0)
    if status is not Status.OPTIMAL and status is not Status.FEASIBLE:
        return Result(
            scenario="Testafdeling",
            status=status,
            objective=None,
            bound=None,
            gap=None,
            runtime=0.5,
            plan=None,
            warnings=["stage S2: no room for H4"],
            solver=solver,
        )
    return Result(
        scenario="Testafdeling",
        status=status,
        objective=354400.0,
        bound=354400.0,
        gap=0.0,
        runtime=1.25,
        plan=plan or make_plan(),
        solver=solver,
    )


def make_case() -> tuple[Scenario, Plan, Result]:
    """Scenario, plan and result of the hand-made case."""
    plan = make_plan()
    return make_scenario(), plan, make_result(plan)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file (asserting it is one)."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"), f"{path.name} is truncated"
    return width, height


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    scenario, _plan, result = make_case()
    out = tmp_path_factory.mktemp("report")
    path = write_report(out, scenario, result)
    return path, path.read_text(encoding="utf-8")


def test_report_file_exists_in_out_dir(written: tuple[Path, str]) -> None:
    path, html = written
    assert path.name == "report.html"
    assert path.is_file()
    assert html.startswith("<!DOCTYPE html>")
    assert "Testafdeling" in html
    # Nothing but the report and the charts: no temporary files left behind.
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["costs.png", "gantt.png", "pool.png", "report.html", "stages.png"]


def test_report_has_no_external_resources(written: tuple[Path, str]) -> None:
    _, html = written
    refs = re.findall(r"""(?:src|href|xlink:href|url)\s*[=(]\s*["']?([^"')\s>]+)""", html)
    external = [r for r in refs if re.match(r"(?i)(https?:)?//", r)]
    assert external == []
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "@import" not in html
    # The only URL in the file is the SVG namespace, which is no resource.
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}


def test_report_gantt_has_one_bar_per_segment(written: tuple[Path, str]) -> None:
    _, html = written
    _, plan, _ = make_case()
    gantt = re.search(r'<svg[^>]*id="gantt".*?</svg>', html, re.S)
    assert gantt is not None
    segs = re.findall(r'<(rect|path) class="seg seg-([a-z_]+)"', gantt.group(0))
    expected = sorted(s.kind.value for t in plan.places for s in t.segments)
    assert sorted(kind for _, kind in segs) == expected
    assert len(segs) == 10
    # Stretches are bars, zero-length spare/permanent are markers.
    assert {kind for tag, kind in segs if tag == "path"} == {"spare", "permanent"}
    # Occupied bars are coloured by stage; held-empty bars are hatched.
    assert re.search(r'class="seg seg-occupied"[^>]*fill="#1f77b4"[^>]*data-stage="S1"', html)
    assert re.search(r'class="seg seg-occupied"[^>]*fill="#ff7f0e"[^>]*data-stage="S2"', html)
    assert 'class="seg seg-held_empty"' in html and "url(#gantt-hatch)" in html
    # Every place has a row.
    for t in plan.places:
        assert f'data-place="{t.place}"' in gantt.group(0)


def test_gantt_bars_are_placed_in_time_order() -> None:
    scenario, plan, _ = make_case()
    drawn = str(svg.gantt_svg(chart_data(scenario, plan)))
    xs = [
        float(x)
        for x in re.findall(r'<rect class="seg [^"]*" x="([\d.]+)"[^>]*data-place="R1"', drawn)
    ]
    assert len(xs) == 5
    assert xs == sorted(xs)


def test_report_sections_tables_and_escaping(written: tuple[Path, str]) -> None:
    _, html = written
    for ident in ("stages", "gantt", "pool", "costs"):
        assert f'id="{ident}"' in html
    assert 'id="household-filter"' in html
    assert "<script>" in html
    # One household row per household.
    assert len(re.findall(r'<tr data-household="', html)) == 4
    # Names are escaped.
    assert "Ole &lt;Ø&gt; &amp; Co" in html
    assert "Ole <Ø>" not in html
    # Danish labels with English field names, DKK the Danish way.
    assert "Huslejetab" in html and "(rent_loss)" not in html  # one language, no field names
    assert "104.200,00\xa0kr." in html
    assert "Proces- og aktivitetsplan" in html


def test_report_pngs_are_valid(written: tuple[Path, str]) -> None:
    path, _ = written
    for name in ("gantt.png", "stages.png", "pool.png", "costs.png"):
        width, height = png_size(path.parent / name)
        assert width > 400 and height > 100, name


def test_report_without_plan(tmp_path: Path) -> None:
    scenario = make_scenario()
    write_report(tmp_path, scenario, make_result())  # an earlier run with a plan
    result = make_result(status=Status.INFEASIBLE)
    path = write_report(tmp_path, scenario, result)
    html = path.read_text(encoding="utf-8")
    assert "INFEASIBLE" in html
    assert "stage S2: no room for H4" in html
    assert 'id="gantt"' not in html
    assert 'id="stages"' in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "stages.png"]


def test_report_is_deterministic() -> None:
    scenario, _, result = make_case()
    assert render_report(scenario, result) == render_report(scenario, result)


def test_report_rewrite_replaces_file(tmp_path: Path) -> None:
    scenario, _, result = make_case()
    first = write_report(tmp_path, scenario, result, pngs=False)
    second = write_report(tmp_path, scenario, result, pngs=False)
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_report_plan_without_stays(tmp_path: Path) -> None:
    """Only a permanent move: no displaced households, no pool, one place."""
    plan = make_plan()
    only = Plan.model_validate(
        {
            **plan.model_dump(),
            "households": [h for h in plan.model_dump()["households"] if h["household"] == "H3"],
            "places": [t for t in plan.model_dump()["places"] if t["place"] == "P1"],
        }
    )
    path = write_report(tmp_path, make_scenario(), make_result(only))
    html = path.read_text(encoding="utf-8")
    assert len(re.findall(r'class="seg seg-', html)) == 2
    assert 'd=""' not in html  # an empty path is a console error in browsers
    for name in ("gantt.png", "stages.png", "pool.png", "costs.png"):
        png_size(tmp_path / name)


# -- the chart data both renderers draw -------------------------------------------------

CHARTS = ("gantt", "stages", "pool", "costs")


@pytest.mark.parametrize("chart", CHARTS)
def test_svg_and_png_renderers_take_only_the_chart_data(chart: str) -> None:
    """Each chart is drawn from one ChartData: neither renderer sees the scenario or plan."""
    for draw in (getattr(svg, f"{chart}_svg"), getattr(png, f"{chart}_png")):
        required = [
            name
            for name, p in inspect.signature(draw).parameters.items()
            if p.default is inspect.Parameter.empty
        ]
        assert required == ["charts"], draw.__qualname__
        assert typing.get_type_hints(draw)["charts"] is ChartData


def test_chart_data_of_the_hand_made_case() -> None:
    scenario, plan, _ = make_case()
    charts = chart_data(scenario, plan)
    assert charts.has_plan
    assert (charts.start, charts.end) == (D("2025-01-01"), D("2026-11-01"))
    assert [(g.source, [t.place for t in g.places]) for g in charts.groups] == [
        (Source.OWN_ORGANISATION, ["P1", "R1"]),
        (Source.PARTNER, ["R2"]),
        (Source.PAVILION, ["PAV-1"]),
    ]
    assert [(s.id, s.move_out, s.back) for s in charts.stages] == [
        ("S1", D("2025-08-02"), D("2026-03-15")),
        ("S2", D("2026-05-02"), D("2026-10-15")),
    ]
    # H1 and H2 away in stage S1, H4 in S2 (H3 moved for good).
    assert charts.displaced == (
        (D("2025-08-02"), 2),
        (D("2026-03-15"), 0),
        (D("2026-05-02"), 1),
        (D("2026-10-15"), 0),
    )
    # R1, R2 (its spare hold counts on its released day) and PAV-1; P1 only let for good.
    assert charts.pool == (
        (D("2025-03-01"), 1),
        (D("2025-06-01"), 2),
        (D("2025-08-02"), 3),
        (D("2025-08-03"), 2),
        (D("2026-03-15"), 1),
        (D("2026-10-15"), 0),
    )
    # The cost layers of a stage add up to its total; only categories with an amount.
    assert [c.id for c in charts.cost_stages] == ["S1", "S2"]
    for i, stage in enumerate(charts.cost_stages):
        assert sum(s.values[i] for s in charts.cost_series) == pytest.approx(stage.total)
    assert all(any(v > 0 for v in s.values) for s in charts.cost_series)
    assert CostCategory.RENT_REDUCTION not in {s.category for s in charts.cost_series}


def test_chart_data_without_plan_has_the_stage_timeline_only() -> None:
    charts = chart_data(make_scenario(), None)
    assert not charts.has_plan
    assert [s.id for s in charts.stages] == ["S1", "S2"]
    assert all(s.kpi is None for s in charts.stages)
    assert charts.groups == () and charts.displaced == () and charts.cost_series == ()


def test_the_stage_table_shows_each_stages_spares_and_what_they_cost() -> None:
    # tiny_plan holds O3 ready as S1's spare for 31 days at 120 DKK (R10)
    from models.plan import SolverInfo
    from tests.tiny import tiny, tiny_plan

    scn = tiny()
    solver = SolverInfo(ortools_version="9.15", seed=0, num_workers=1, time_limit=1.0)
    result = Result(
        scenario="tiny", status=Status.OPTIMAL, objective=1.0, bound=1.0, gap=0.0,
        runtime=0.1, plan=tiny_plan(scn), solver=solver,
    )  # fmt: skip
    html = render_report(scn, result)
    table = html[
        html.index('id="stage-table"') : html.index("</table>", html.index('id="stage-table"'))
    ]
    assert "Reserveboliger" in table and "Huslejetab, reserve" in table
    row = table[table.index("<tbody>") :]
    cells = re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', row)
    # households, displaced, spares, pool, required pool, overcapacity, spare rent loss
    assert cells == ["3", "2", "1", "3", "3", "50 %", "3.720,00\xa0kr."]
