"""Excel template, reader and result workbook (allocator.excel)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from allocator.excel.read import read_workbook
from allocator.excel.result import write_result_workbook
from allocator.excel.template import example_scenario, write_template
from allocator.io.errors import InputError
from allocator.io.load import load_scenario
from allocator.labels import CATEGORY_DA
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
from models.scenario import (
    AfterDwelling,
    Agreement,
    Costs,
    Dwelling,
    Household,
    PavilionType,
    Penalties,
    Policy,
    Scenario,
    Source,
    Stage,
    TieBreak,
)

D = date.fromisoformat


def tiny() -> Scenario:
    """A small scenario that uses every kind of field, with some awkward values."""
    return Scenario(
        name="=Tiny case, 007",
        municipality=None,
        policy=Policy(
            planning_date=D("2027-01-04"),
            clearing_days=21,
            overcapacity=0.25,
            same_municipality=False,
            tie_break=TieBreak.HOUSEHOLD_ID,
        ),
        costs=Costs(moving_company={1: 5000.0, 3: 9000.5}, rent_reduction=0.125, transfer=0.0),
        penalties=Penalties(source_not_preferred=1500.0, room_short=2500.25),
        stages=[
            Stage(id="1", name="Blok 1", start=D("2027-06-01"), end=D("2027-09-01")),
            Stage(id="S2", start=D("2027-10-01"), end=D("2028-01-03")),
        ],
        dwellings=[
            Dwelling(
                id="007",
                source=Source.OWN_DEPARTMENT,
                stage="1",
                address="Solvej 1, st.",
                rooms=3,
                area_m2=74.5,
                floor=-1,
                monthly_rent=5432.1,
            ),
            Dwelling(
                id="D2",
                source=Source.OWN_DEPARTMENT,
                stage="S2",
                rooms=2,
                area_m2=60,
                floor=2,
                elevator=True,
                monthly_rent=4400,
            ),
            Dwelling(
                id="X1",
                source=Source.PARTNER,
                rooms=4,
                area_m2=95,
                wheelchair=True,
                monthly_rent=7100,
                vacant_from=D("2027-04-15"),
                hand_back=D("2028-06-30"),
                municipality="Aarhus",
            ),
            Dwelling(
                id="X2",
                source=Source.OWN_ORGANISATION,
                rooms=2,
                area_m2=55,
                monthly_rent=4300,
                vacant_from=D("2027-03-01"),
                municipal_referral=True,
            ),
        ],
        households=[
            Household(
                id="H1",
                name="Jensen, Anna",
                dwelling="007",
                adults=2,
                children=1,
                seniority_date=D("2004-05-01"),
                birth_date=D("1971-03-12"),
                wheelchair=True,
                step_free=True,
                max_floor=1,
                elderly=True,
                disabled=True,
                agreement=Agreement.UNDECIDED,
                rooms_min=3,
                rooms_max=4,
                excluded_sources=[Source.PAVILION, Source.PARTNER],
                preferred_sources=[Source.OWN_DEPARTMENT],
                wishes=["N2", "N1"],
                self_move=True,
                storage=True,
            ),
            Household(id="H2", dwelling="D2", seniority_date=D("2019-08-01")),
        ],
        after_dwellings=[
            AfterDwelling(
                id="N1",
                stage="1",
                rooms=5,
                area_m2=125,
                floor=1,
                monthly_rent=9200,
                replaces=["007"],
            ),
            AfterDwelling(
                id="N2",
                stage="S2",
                rooms=3,
                area_m2=80,
                elevator=True,
                wheelchair=True,
                monthly_rent=6000,
            ),
        ],
        pavilions=[
            PavilionType(
                id="PAV",
                rooms=3,
                max_count=2,
                setup_cost=60000,
                removal_cost=30000,
                monthly_rent=7000.5,
                min_months=6,
                lead_days=90,
                wheelchair=True,
            ),
        ],
    )


def columns_of(ws: Worksheet) -> dict[str, int]:
    """Field name (row 2) -> column number."""
    return {str(c.value): c.column for c in ws[2] if c.value is not None}


def set_cell(ws: Worksheet, row: int, name: str, value: Any) -> None:
    ws.cell(row=row, column=columns_of(ws)[name], value=value)


def messages(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_workbook(path)
    return info.value.messages


# -- round trips ---------------------------------------------------------------------


def test_default_template_is_the_example(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    assert read_workbook(path).model_dump() == example_scenario().model_dump()


def test_round_trip_tiny(tmp_path: Path) -> None:
    scenario = tiny()
    path = tmp_path / "tiny.xlsx"
    write_template(path, scenario)
    back = read_workbook(path)
    assert back.model_dump() == scenario.model_dump()
    assert back == scenario


def test_round_trip_generated(tmp_path: Path) -> None:
    generate = pytest.importorskip("allocator.generate").generate
    scenario = generate("S", 0)
    path = tmp_path / "s.xlsx"
    write_template(path, scenario)
    assert read_workbook(path).model_dump() == scenario.model_dump()


def test_load_scenario_reads_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "case.xlsx"
    write_template(path, tiny())
    assert load_scenario(path) == tiny()
    wb = load_workbook(path)
    set_cell(wb["Husstande"], 3, "seniority_date", "fish")
    wb.save(path)
    with pytest.raises(InputError, match=r"sheet Husstande, row 3, column F \(seniority_date\)"):
        load_scenario(path)


def test_overwrite_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "case.xlsx"
    path.write_text("old")
    write_template(path, tiny())
    assert read_workbook(path) == tiny()
    assert [p.name for p in tmp_path.iterdir()] == ["case.xlsx"]
    with pytest.raises(OSError):
        write_template(tmp_path / "missing-dir" / "x.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["case.xlsx"]


# -- what a planner may type -----------------------------------------------------------


def test_lenient_cells(tmp_path: Path) -> None:
    path = tmp_path / "case.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    ws = wb["Husstande"]
    set_cell(ws, 4, "seniority_date", "2019-08-01")  # ISO text
    set_cell(ws, 4, "birth_date", "1.3.1960")  # day first
    set_cell(ws, 4, "elderly", True)  # a real TRUE cell
    set_cell(ws, 4, "storage", "Ja")
    set_cell(ws, 4, "agreement", "Permanent")
    set_cell(ws, 4, "excluded_sources", "Own Organisation; pavilion")
    set_cell(ws, 4, "adults", "2")
    ws.cell(row=1, column=30, value="Noter")  # a notes column: row 2 empty
    ws.cell(row=4, column=30, value="ring først")
    ws.cell(row=7, column=30, value="a note in an otherwise empty row")
    ws.insert_rows(4)  # an empty row between two households
    dw = wb["Boliger"]
    set_cell(dw, 3, "monthly_rent", "5.432,10")
    set_cell(dw, 3, "area_m2", "74,5")
    wb["Politik"]["B10"] = "25%"  # overcapacity
    assert wb["Politik"]["C10"].value == "overcapacity"
    wb.save(path)

    got = read_workbook(path)
    h2 = got.household("H2")
    assert h2.seniority_date == D("2019-08-01")
    assert h2.birth_date == D("1960-03-01")
    assert h2.elderly and h2.storage
    assert h2.agreement is Agreement.PERMANENT
    assert h2.excluded_sources == [Source.OWN_ORGANISATION, Source.PAVILION]
    assert h2.adults == 2
    assert got.dwelling("007").monthly_rent == pytest.approx(5432.1)
    assert got.dwelling("007").area_m2 == pytest.approx(74.5)
    assert got.policy.overcapacity == pytest.approx(0.25)
    assert len(got.households) == 2


def test_reordered_columns_and_renamed_headers(tmp_path: Path) -> None:
    src = tmp_path / "src.xlsx"
    write_template(src, tiny())
    wb = load_workbook(src)
    ws = wb["Etaper"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    ws.delete_rows(1, ws.max_row)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(reversed(values), start=1):
            ws.cell(row=r, column=c, value=value)
    ws["A1"] = "Slut (omdøbt)"
    wb.save(src)
    assert read_workbook(src) == tiny()


# -- errors ----------------------------------------------------------------------------


def test_date_reference_and_enum_errors_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    ws = wb["Husstande"]
    set_cell(ws, 3, "seniority_date", "fish")
    set_cell(ws, 4, "dwelling", "NOPE")
    set_cell(ws, 4, "agreement", "maybe")
    wb.save(path)

    got = messages(path)
    assert got == [
        f"{path}: sheet Husstande, row 3, column F (seniority_date): "
        "invalid date 'fish': use a date cell or YYYY-MM-DD",
        f"{path}: sheet Husstande, row 4, column C (dwelling): unknown dwelling 'NOPE'",
        f"{path}: sheet Husstande, row 4, column M (agreement): "
        "must be 'temporary', 'permanent' or 'undecided', got 'maybe'",
    ]


def test_many_kinds_of_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    dw = wb["Boliger"]
    set_cell(dw, 4, "rooms", 0)
    set_cell(dw, 5, "elevator", "maybe")
    set_cell(dw, 6, "source", "moon")
    hh = wb["Husstande"]
    set_cell(hh, 3, "excluded_sources", "partner, moon")
    set_cell(hh, 3, "wishes", "N1, N7")
    set_cell(hh, 4, "adults", "two")
    set_cell(hh, 4, "rooms_min", 3)
    set_cell(hh, 4, "rooms_max", 2)
    set_cell(hh, 9, "id", "H9")  # neither dwelling nor seniority date
    wb["Etaper"].cell(row=2, column=9, value="colour")
    cost = wb["Omkostninger"]
    cost.append(["", 5, "moving_company.x"])
    cost.append(["", 5, "fuel"])
    wb["Politik"]["B5"] = "-3"  # ready_days
    wb.save(path)

    got = [m.removeprefix(f"{path}: ") for m in messages(path)]
    assert got == [
        "sheet Politik, row 5, column B (ready_days): must be greater than or equal to 0, got -3",
        "sheet Etaper, row 2, column I: unknown field 'colour' "
        "(clear this cell to keep the column for notes)",
        "sheet Boliger, row 4, column G (rooms): must be greater than or equal to 1, got 0",
        "sheet Boliger, row 5, column J (elevator): invalid yes/no value 'maybe': use ja or nej",
        "sheet Boliger, row 6, column B (source): must be 'own_department', "
        "'own_organisation', 'partner' or 'pavilion', got 'moon'",
        "sheet Husstande, row 3, column P (excluded_sources): item 2: must be "
        "'own_department', 'own_organisation', 'partner' or 'pavilion', got 'moon'",
        "sheet Husstande, row 3, column R (wishes): unknown after-renovation dwelling 'N7'",
        "sheet Husstande, row 4, column D (adults): invalid number 'two'",
        "sheet Husstande, row 4, column N (rooms_min): rooms_min (3) is larger than rooms_max (2)",
        "sheet Husstande, row 9, column C (dwelling): a value is required",
        "sheet Husstande, row 9, column F (seniority_date): a value is required",
        "sheet Omkostninger, row 14, column C (key): "
        "unknown key 'moving_company.x': use moving_company.N with N a whole number of rooms",
        "sheet Omkostninger, row 15, column C (key): unknown key 'fuel'",
    ]


def test_cross_reference_messages_name_rows(tmp_path: Path) -> None:
    path = tmp_path / "refs.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    set_cell(wb["Husstande"], 4, "dwelling", "007")  # H1 lives there already
    set_cell(wb["Boliger"], 4, "stage", "S9")
    set_cell(wb["Etaper"], 3, "start", date(2026, 12, 1))  # before the planning date
    wb.save(path)
    got = [m.removeprefix(f"{path}: ") for m in messages(path)]
    assert got == [
        "sheet Etaper, row 3, column C (start): 2026-12-01 is not after the planning date "
        "2027-01-04",
        "sheet Boliger, row 4, column C (stage): unknown stage 'S9'",
        "sheet Husstande, row 4, column C (dwelling): dwelling '007' is also the home of "
        "sheet Husstande row 3",
    ]


def test_consequences_of_a_broken_row_are_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    set_cell(wb["Boliger"], 3, "source", "partner")  # partner dwellings have no stage
    set_cell(wb["Politik"], 3, "value", "someday")  # planning_date
    wb.save(path)
    got = [m.removeprefix(f"{path}: ") for m in messages(path)]
    # No "unknown dwelling '007'" for H1 or N1, nothing about the planning date.
    assert got == [
        "sheet Politik, row 3, column B (planning_date): invalid date 'someday': "
        "use a date cell or YYYY-MM-DD",
        "sheet Boliger, row 3, column C (stage): "
        "only own_department dwellings can belong to a stage",
    ]


def test_missing_sheets_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "missing.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    del wb["Politik"]
    del wb["Pavilloner"]  # optional: no pavilions
    wb["Husstande"].delete_cols(columns_of(wb["Husstande"])["seniority_date"])
    wb.save(path)
    got = [m.removeprefix(f"{path}: ") for m in messages(path)]
    assert got == [
        "the workbook has no sheet 'Politik'",
        "sheet Husstande: no column for the required field 'seniority_date' (row 2 must name it)",
    ]


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "junk.xlsx"
    path.write_text("not a zip")
    got = messages(path)
    assert got == [
        f"{path}: (top level): not an .xlsx workbook (the file is not a zip archive, or damaged)"
    ]


# -- the template itself --------------------------------------------------------------


def validations(ws: Worksheet) -> dict[str, str]:
    """Column letter -> list formula of the data validations of a sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for cells in str(dv.sqref).split():
            out[re.sub(r"\d", "", cells.split(":")[0])] = str(dv.formula1)
    return out


def test_template_layout(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Vejledning",
        "Sag",
        "Politik",
        "Etaper",
        "Boliger",
        "Husstande",
        "Nye boliger",
        "Pavilloner",
        "Omkostninger",
        "Strafpoint",
        "Kontakt",
    ]
    hh = wb["Husstande"]
    assert [c.value for c in hh[2]][:3] == ["id", "name", "dwelling"]
    assert hh["A1"].value == "Husstands-id"
    assert hh["F1"].value == "Anciennitetsdato" and hh["F1"].comment is not None
    assert hh.freeze_panes == "B3"
    assert hh["F3"].number_format == "yyyy-mm-dd"
    assert isinstance(hh["F3"].value, datetime)
    assert hh["H3"].value in ("ja", "nej")
    cols = columns_of(hh)
    checks = validations(hh)
    letter = {name: get_column_letter(c) for name, c in cols.items()}
    assert checks[letter["agreement"]] == '"temporary,permanent,undecided"'
    assert checks[letter["wheelchair"]] == '"ja,nej"'
    assert checks[letter["seniority_date"]] == "1"  # Excel's date check (any real date)
    assert checks[letter["dwelling"]] == "'Boliger'!$A$3:$A$5000"  # an id of sheet Boliger
    assert validations(wb["Boliger"])["B"] == '"own_department,own_organisation,partner"'
    assert wb["Etaper"]["C3"].number_format == "yyyy-mm-dd"

    policy = wb["Politik"]
    keys = {policy.cell(row=r, column=3).value: r for r in range(3, policy.max_row + 1)}
    assert [c.value for c in policy[2]] == ["label", "value", "key"]
    assert policy.cell(row=keys["planning_date"], column=2).number_format == "yyyy-mm-dd"
    pol_checks = {str(dv.sqref): str(dv.formula1) for dv in policy.data_validations.dataValidation}
    assert pol_checks[f"B{keys['tie_break']}"] == '"birth_date,household_id"'
    assert pol_checks[f"B{keys['same_municipality']}"] == '"ja,nej"'
    costs = wb["Omkostninger"]
    cost_keys = [costs.cell(row=r, column=3).value for r in range(3, costs.max_row + 1)]
    assert cost_keys[:5] == [f"moving_company.{n}" for n in range(1, 6)]
    assert wb["Sag"]["C3"].value == "name" and wb["Sag"]["B3"].value == "Eksempel: Solgården"


# -- result workbook --------------------------------------------------------------------


def hand_made_result(scenario: Scenario) -> Result:
    cats = list(CostCategory)
    e1 = {c: float(10 * (i + 1)) + 0.25 for i, c in enumerate(cats)}
    s2 = {c: float(i) for i, c in enumerate(cats)}
    both = {c: e1[c] + s2[c] for c in cats}
    plan = Plan(
        households=[
            HouseholdPlan(
                household="H1",
                stage="1",
                mode=Mode.TEMPORARY,
                notice_date=D("2027-02-01"),
                move_out=D("2027-05-11"),
                place="X1",
                place_source=Source.PARTNER,
                return_date=D("2027-09-15"),
                return_letter_date=D("2027-08-15"),
                after_dwelling="N1",
            ),
            HouseholdPlan(
                household="H2",
                stage="S2",
                mode=Mode.PERMANENT,
                notice_date=D("2027-06-01"),
                move_out=D("2027-09-10"),
                permanent_dwelling="X2",
            ),
        ],
        places=[
            PlaceTimeline(
                place="X1",
                source=Source.PARTNER,
                collected_from=D("2027-04-15"),
                released=D("2027-09-15"),
                segments=[
                    Segment(
                        kind=SegmentKind.HELD_EMPTY,
                        start=D("2027-04-15"),
                        end=D("2027-05-11"),
                        stage="1",
                    ),
                    Segment(
                        kind=SegmentKind.OCCUPIED,
                        start=D("2027-05-11"),
                        end=D("2027-09-15"),
                        household="H1",
                        stage="1",
                    ),
                ],
            )
        ],
        costs=[
            StageCost(stage="1", by_category=e1, total=sum(e1.values())),
            StageCost(stage="S2", by_category=s2, total=sum(s2.values())),
            StageCost(stage="total", by_category=both, total=sum(both.values())),
        ],
        penalties=1500.0,
        kpis=Kpis(
            rent_loss=123.5,
            vacancy_days=26,
            occupied_days=127,
            withheld_days=153,
            time_limited_days=0,
            spare_days=0,
            moves=3,
            households_by_mode={"temporary": 1, "direct": 0, "permanent": 1},
            households_by_source={"partner": 1},
            pavilion_modules=0,
            stages=[
                StageKpi(
                    stage="1",
                    households=1,
                    displaced=1,
                    spares=1,
                    pool=2,
                    overcapacity=1.0,
                    notice_date=D("2027-02-01"),
                    notice_in_past=False,
                ),
                StageKpi(
                    stage="S2",
                    households=1,
                    displaced=0,
                    spares=0,
                    pool=0,
                    overcapacity=None,
                    notice_date=D("2027-06-01"),
                    notice_in_past=False,
                ),
            ],
        ),
    )
    total = plan.costs[-1].total
    return Result(
        scenario=scenario.name,
        status=Status.FEASIBLE,
        objective=total + plan.penalties,
        bound=total,
        gap=plan.penalties / (total + plan.penalties),
        runtime=1.25,
        plan=plan,
        warnings=["stage 1: notice date is close"],
        solver=SolverInfo(
            ortools_version="9.x",
            seed=7,
            num_workers=8,
            time_limit=60.0,
            parameters={"linearization_level": "2"},
        ),
    )


def table(ws: Worksheet, first_row: int = 1) -> list[dict[str, Any]]:
    """Rows under the English header row of a table that starts at ``first_row``."""
    keys = [None if c.value is None else str(c.value) for c in ws[first_row + 1]]
    out: list[dict[str, Any]] = []
    for row in ws.iter_rows(min_row=first_row + 2, values_only=True):
        if all(v is None for v in row):
            break
        out.append({k: v for k, v in zip(keys, row, strict=False) if k is not None})
    return out


def test_result_workbook(tmp_path: Path) -> None:
    scenario = tiny()
    result = hand_made_result(scenario)
    assert result.plan is not None
    activities = pd.DataFrame(
        {
            "date": [D("2027-02-01"), D("2027-05-11")],
            "stage": ["1", "1"],
            "household": ["H1", None],
            "activity": ["Opsigelse", "Fraflytning"],
        }
    )
    path = tmp_path / "result.xlsx"
    write_result_workbook(path, scenario, result, activities=activities)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Plan",
        "Tidslinjer",
        "Budget",
        "Nøgletal",
        "Løsning",
        "Aktivitetsplan",
        "Hvorfor",
    ]

    plan_rows = table(wb["Plan"])
    assert [r["household"] for r in plan_rows] == ["H1", "H2"]
    assert plan_rows[0]["name"] == "Jensen, Anna" and plan_rows[0]["dwelling"] == "007"
    assert plan_rows[0]["mode"] == "midlertidig genhusning" and plan_rows[0]["place"] == "X1"
    assert plan_rows[0]["return_date"].date() == D("2027-09-15")
    assert plan_rows[1]["permanent_dwelling"] == "X2" and plan_rows[1]["place"] is None

    segments = table(wb["Tidslinjer"])
    assert [(s["kind"], s["days"]) for s in segments] == [
        ("holdt tom", 26),
        ("beboet af genhuset husstand", 127),
    ]

    budget = table(wb["Budget"])
    assert [r["category"] for r in budget] == [*CATEGORY_DA.values(), "I alt"]
    assert CATEGORY_DA[CostCategory.RENT_LOSS_EMPTY] == "Huslejetab, tomme boliger"
    by_stage = {c.stage: c for c in result.plan.costs}
    by_label = {label: category for category, label in CATEGORY_DA.items()}
    for row in budget[:-1]:
        category = by_label[row["category"]]
        for stage in ("1", "S2", "total"):
            assert row[stage] == pytest.approx(by_stage[stage].by_category[category])
    for stage in ("1", "S2", "total"):
        assert budget[-1][stage] == pytest.approx(by_stage[stage].total)
        assert sum(r[stage] for r in budget[:-1]) == pytest.approx(by_stage[stage].total)

    kpis = {r["key"]: r["value"] for r in table(wb["Nøgletal"])}
    assert kpis["budget_total"] == pytest.approx(by_stage["total"].total)
    assert kpis["penalties"] == 1500
    assert kpis["households_by_mode.permanent"] == 1
    nkpi = wb["Nøgletal"]
    start = next(r for r in range(1, nkpi.max_row + 1) if nkpi.cell(r, 1).value == "Etape")
    per_stage = table(nkpi, start)
    assert [(s["stage"], s["pool"], s["overcapacity"]) for s in per_stage] == [
        ("1", 2, 1),
        ("S2", 0, None),
    ]

    solution = {r["key"]: r["value"] for r in table(wb["Løsning"])}
    assert solution["status"] == "gyldig plan (ikke bevist optimal)"
    assert solution["objective"] == pytest.approx(result.objective)
    assert solution["seed"] == 7 and solution["num_workers"] == 8
    assert solution["ortools_version"] == "9.x"
    assert solution["parameters.linearization_level"] == "2"
    assert solution["warnings.1"] == "stage 1: notice date is close"

    acts = table(wb["Aktivitetsplan"])
    assert [a["activity"] for a in acts] == ["Opsigelse", "Fraflytning"]
    assert acts[0]["date"].date() == D("2027-02-01") and acts[1]["household"] is None


def test_result_workbook_without_plan(tmp_path: Path) -> None:
    scenario = tiny()
    result = hand_made_result(scenario).model_copy(
        update={
            "status": Status.INFEASIBLE,
            "plan": None,
            "objective": None,
            "bound": None,
            "gap": None,
        }
    )
    path = tmp_path / "result.xlsx"
    write_result_workbook(path, scenario, result)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Løsning", "Hvorfor"]
    solution = {r["key"]: r["value"] for r in table(wb["Løsning"])}
    assert solution["status"] == "ingen plan mulig" and solution["found"] == "nej"


def test_result_workbook_of_a_solve(tmp_path: Path) -> None:
    solve = pytest.importorskip("allocator.solving.entry").solve
    scenario = example_scenario()
    result = solve(scenario, time_limit=30, num_workers=2, seed=0)
    assert result.plan is not None
    activities = None
    try:
        from allocator.report.activities import activity_plan
    except ImportError:
        pass
    else:
        activities = activity_plan(scenario, result.plan)
    path = tmp_path / "result.xlsx"
    write_result_workbook(path, scenario, result, activities)
    wb = load_workbook(path)
    budget = table(wb["Budget"])
    total = next(c for c in result.plan.costs if c.stage == "total")
    assert budget[-1]["total"] == pytest.approx(total.total)
    assert len(table(wb["Plan"])) == len(scenario.households)
    assert ("Aktivitetsplan" in wb.sheetnames) == (activities is not None)


def test_a_workbook_without_data_rows_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_template(path, tiny())
    wb = load_workbook(path)
    ws = wb["Etaper"]
    ws.delete_rows(3, ws.max_row)
    for name in ("Boliger", "Husstande", "Nye boliger"):
        wb[name].delete_rows(3, wb[name].max_row)
    wb.save(path)
    got = [m.removeprefix(f"{path}: ") for m in messages(path)]
    assert got == ["sheet Etaper: at least one row is required"]


def test_empty_workbook(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    Workbook().save(path)
    got = [m.removeprefix(f"{path}: ") for m in messages(path)]
    assert got == [
        "the workbook has no sheet 'Politik'",
        "the workbook has no sheet 'Etaper'",
        "the workbook has no sheet 'Boliger'",
        "the workbook has no sheet 'Husstande'",
    ]
