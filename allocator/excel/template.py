"""The input template: a workbook a planner fills in, by default with an example."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel

from allocator.excel.fields import (
    FIRST_DATA_ROW,
    KEY_SHEETS,
    MONEY_FORMAT,
    NO,
    SHEET_ORDER,
    TABLES,
    YES,
    Field,
    KeySheet,
    Kind,
    fields_of,
)
from allocator.excel.sheets import Column, Pair, save_workbook, write_pairs, write_table
from allocator.labels import label
from models.scenario import (
    AfterDwelling,
    Agreement,
    Dwelling,
    Household,
    PavilionType,
    Policy,
    Scenario,
    Source,
    Stage,
    TieBreak,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "example_scenario",
    "write_template",
]


_GUIDE_TITLE: Final = "Vejledning"

#: What the guide's list of codes says after a code's label.
_CODE_NOTES: Final[Mapping[StrEnum, str]] = {
    Source.PAVILION: " (kun i lister over kilder)",
    Agreement.TEMPORARY: ": flytter tilbage",
    Agreement.PERMANENT: ": flytter for altid",
    Agreement.UNDECIDED: ": planen anbefaler",
}


def example_scenario() -> Scenario:
    """A small, filled example case: the default content of the template.

    Two stages of a department, six department dwellings, four rehousing
    dwellings elsewhere, five households, one merged after-renovation
    dwelling and one pavilion type.

    Returns
    -------
    Scenario
        The example scenario ("Eksempel: Solgården").
    """
    d = date.fromisoformat
    dep = Source.OWN_DEPARTMENT
    org = Source.OWN_ORGANISATION
    return Scenario(
        name="Eksempel: Solgården",
        municipality="Aarhus",
        policy=Policy(planning_date=d("2027-01-04")),
        stages=[
            Stage(id="E1", name="Blok A", start=d("2027-06-01"), end=d("2027-09-01")),
            Stage(id="E2", name="Blok B", start=d("2027-11-01"), end=d("2028-02-01")),
        ],
        dwellings=[
            Dwelling(id="A1", source=dep, stage="E1", address="Solvej 1, st. th.", rooms=3,
                     area_m2=75, floor=0, monthly_rent=5600),
            Dwelling(id="A2", source=dep, stage="E1", address="Solvej 1, 1. th.", rooms=2,
                     area_m2=58, floor=1, monthly_rent=4400),
            Dwelling(id="A3", source=dep, stage="E1", address="Solvej 1, 1. tv.", rooms=3,
                     area_m2=72, floor=1, monthly_rent=5400),
            Dwelling(id="B1", source=dep, stage="E2", address="Solvej 3, st. th.", rooms=2,
                     area_m2=60, floor=0, monthly_rent=4500),
            Dwelling(id="B2", source=dep, stage="E2", address="Solvej 3, 2. th.", rooms=4,
                     area_m2=92, floor=2, monthly_rent=6800),
            Dwelling(id="B3", source=dep, stage="E2", address="Solvej 3, 1. tv.", rooms=3,
                     area_m2=74, floor=1, monthly_rent=5500, vacant_from=d("2027-02-01")),
            Dwelling(id="O1", source=org, address="Månevej 10, st.", rooms=3, area_m2=78,
                     floor=0, monthly_rent=5900, vacant_from=d("2027-03-01")),
            Dwelling(id="O2", source=org, address="Månevej 12, 3. tv.", rooms=2, area_m2=55,
                     floor=3, elevator=True, monthly_rent=4300, vacant_from=d("2027-04-01")),
            Dwelling(id="O3", source=org, address="Månevej 14, 1. th.", rooms=2, area_m2=57,
                     floor=1, monthly_rent=4350, vacant_from=d("2027-02-15"),
                     municipal_referral=True),
            Dwelling(id="P1", source=Source.PARTNER, address="Stjernevej 5, 2. th.", rooms=4,
                     area_m2=95, floor=2, elevator=True, monthly_rent=7100,
                     vacant_from=d("2027-04-15"), hand_back=d("2028-06-30")),
        ],
        households=[
            Household(id="H1", name="Jensen", dwelling="A1", adults=2, children=1,
                      seniority_date=d("2004-05-01"), birth_date=d("1971-03-12"),
                      storage=True),
            Household(id="H2", name="Nielsen", dwelling="A2", adults=1,
                      seniority_date=d("1988-09-01"), birth_date=d("1946-11-30"),
                      step_free=True, elderly=True, preferred_sources=[dep, org]),
            Household(id="H3", name="Hansen", dwelling="A3", adults=2, children=3,
                      seniority_date=d("2011-02-01"), birth_date=d("1983-06-04"),
                      agreement=Agreement.UNDECIDED, rooms_min=4, wishes=["N1"],
                      excluded_sources=[Source.PAVILION]),
            Household(id="H4", name="Pedersen", dwelling="B1", adults=1,
                      seniority_date=d("2019-08-01"), self_move=True),
            Household(id="H5", name="Andersen", dwelling="B2", adults=2, children=2,
                      seniority_date=d("1999-01-01"), agreement=Agreement.PERMANENT,
                      rooms_min=4),
        ],
        after_dwellings=[
            AfterDwelling(id="N1", stage="E1", rooms=5, area_m2=125, floor=1, monthly_rent=9200,
                          replaces=["A3"]),
        ],
        pavilions=[
            PavilionType(id="PAV3", rooms=3, area_m2=65, max_count=2, setup_cost=60000,
                         removal_cost=30000, monthly_rent=7000, min_months=6, lead_days=90),
        ],
    )  # fmt: skip


def _choices(model: type[BaseModel], f: Field) -> list[str] | None:
    if f.kind is Kind.BOOL:
        return [YES, NO]
    if f.kind is Kind.ENUM and f.enum is not None:
        values = list(f.enum)
        if model is Dwelling and f.name == "source":
            values = [s for s in values if s is not Source.PAVILION]
        return [v.value for v in values]
    return None


#: Fields that name an item of another sheet: the sheet whose ids (column A) they take.
_REFERENCES: Final[Mapping[tuple[type[BaseModel], str], str]] = {
    (Dwelling, "stage"): "Etaper",
    (Household, "dwelling"): "Boliger",
    (AfterDwelling, "stage"): "Etaper",
}
#: Rows of another sheet a reference drop-down offers (the ids in column A).
_REFERENCE_ROWS: Final = 5000


def _validation(model: type[BaseModel], f: Field) -> DataValidation | None:
    """Excel's own check of a column: an id of another sheet, a number, a date.

    Excel refuses a wrong entry with a Danish message; the reader checks the
    same again (a workbook may come from elsewhere).
    """
    sheet = _REFERENCES.get((model, f.name))
    if sheet is not None:
        return DataValidation(
            type="list",
            formula1=f"'{sheet}'!$A${FIRST_DATA_ROW}:$A${_REFERENCE_ROWS}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ukendt id",
            error=f"Vælg et id fra arket {sheet} (kolonne A).",
        )
    if f.kind in (Kind.INT, Kind.FLOAT):
        low, strict = _lower_bound(model, f.name)
        least = f"over {low}" if strict else f"mindst {low}"
        return DataValidation(
            type="whole" if f.kind is Kind.INT else "decimal",
            operator="greaterThan" if strict else "greaterThanOrEqual",
            formula1=str(low),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ugyldigt tal",
            error=(
                ("Et helt tal" if f.kind is Kind.INT else "Et tal")
                + f" på {least}. Skriv tallet uden tusindtalsprikker, fx 5600 eller 5600,50."
            ),
        )
    if f.kind is Kind.DATE:
        return DataValidation(
            type="date",
            operator="greaterThan",
            formula1="1",  # any real date (Excel's day 1 is 1900-01-01)
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ugyldig dato",
            error="Skriv en dato, fx 2026-05-01.",
        )
    return None


def _lower_bound(model: type[BaseModel], name: str) -> tuple[float, bool]:
    """The field's lower bound from the data model and whether it is strict (``gt``).

    0 (not strict) for a field without one: no count, price or size is negative.
    """
    for meta in model.model_fields[name].metadata:
        for attr, strict in (("ge", False), ("gt", True)):
            bound = getattr(meta, attr, None)
            if isinstance(bound, int | float):
                return bound, strict
    return 0, False


def _entity_columns(model: type[BaseModel], fields: Sequence[Field]) -> list[Column]:
    return [
        Column(
            f.label,
            f.name,
            f.number_format,
            f.help,
            _choices(model, f),
            validation=_validation(model, f),
        )
        for f in fields
    ]


def _key_rows(spec: KeySheet, obj: BaseModel | None) -> list[Pair]:
    rows: list[Pair] = []
    for f in fields_of(spec.model, spec.only):
        value = getattr(obj, f.name) if obj is not None else None  # None: an empty sheet
        if f.kind is Kind.MAP and value is not None:
            for rooms in sorted(value):
                text = f.label.format(n=rooms)
                rows.append((text, value[rooms], f"{f.name}.{rooms}", MONEY_FORMAT, None))
        else:
            rows.append((f.label, value, f.name, f.number_format, _choices(spec.model, f)))
    return rows


def _write_guide(ws: Worksheet) -> None:
    lines: list[tuple[str, str]] = [
        ("genhus: inputskabelon for en genhusningssag", ""),
        ("", ""),
        ("Sådan udfyldes skabelonen", ""),
        ("Række 1", "Dansk overskrift (må gerne omdøbes)."),
        ("Række 2", "Feltets engelske navn. Programmet læser kun række 2: lad den være."),
        (
            "Række 3 og ned",
            "Data, én række pr. etape, bolig, husstand osv. Tomme rækker springes over.",
        ),
        ("Noter", "En kolonne med tom række 2 ignoreres og kan bruges til noter."),
        ("Ja/nej", f"Skriv {YES} eller {NO} (vælg i listen). Tom celle = standardværdien."),
        ("Datoer", "Excel-datoer, eller tekst som 2027-03-01 eller 1-3-2027 (dag først)."),
        ("Lister", "Kommasepareret tekst, fx N1, N2 eller partner, pavilion."),
        ("Nøgle/værdi-ark", "Sag, Politik, Omkostninger, Strafpoint: udfyld kolonnen Værdi."),
        ("Tom værdi", "Standardværdien bruges, hvis en værdi er tom eller rækken mangler."),
        ("", ""),
        ("Ark", ""),
        ("Sag", "Sagens navn og kommune."),
        ("Politik", "Planlægningsdato og regler (frister, belægning, overkapacitet)."),
        ("Etaper", "Etaper med byggestart og byggeslut."),
        ("Boliger", "Afdelingens boliger og genhusningsboliger andre steder."),
        ("Husstande", "Husstandene i etaperne, deres behov, aftale og ønsker."),
        ("Nye boliger", "Nye, sammenlagte eller ændrede boliger efter renoveringen."),
        ("Pavilloner", "Pavillontyper der kan lejes."),
        ("Omkostninger", "Enhedspriser i kr. til budgettet."),
        ("Strafpoint", "Kr. for brudte ønsker; indgår i optimeringen, ikke i budgettet."),
        ("", ""),
        ("Koder", ""),
    ]
    for code in (*Source, *Agreement, *TieBreak):
        text = label(code) + _CODE_NOTES.get(code, "")
        lines.append((f"{type(code).__name__.lower()}: {code.value}", text))
    for r, (a, b) in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=a)
        ws.cell(row=r, column=2, value=b)
        if a and not b:
            ws.cell(row=r, column=1).font = Font(bold=True, size=14 if r == 1 else 11)
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 90


def write_template(path: str | os.PathLike[str], scenario: Scenario | None = None) -> None:
    """Write an input workbook for a scenario.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (replaced atomically).
    scenario
        The scenario to fill in; by default the small
        :func:`example_scenario`.

    Notes
    -----
    :func:`allocator.excel.read.read_workbook` reads the file back to an equal
    scenario.
    """
    scenario = scenario if scenario is not None else example_scenario()
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    _write_guide(wb.create_sheet(_GUIDE_TITLE))
    tables = {t.title: t for t in TABLES}
    keys = {k.title: k for k in KEY_SHEETS}
    for title in SHEET_ORDER:
        ws = wb.create_sheet(title)
        if title in tables:
            spec = tables[title]
            fields = fields_of(spec.model)
            items: list[BaseModel] = list(getattr(scenario, spec.attr))
            write_table(
                ws,
                _entity_columns(spec.model, fields),
                ([getattr(item, f.name) for f in fields] for item in items),
            )
        else:
            kspec = keys[title]
            obj = scenario if kspec.attr is None else getattr(scenario, kspec.attr)
            write_pairs(ws, _key_rows(kspec, obj))
    wb.active = 0
    save_workbook(wb, path)
