"""The input template catches mistakes: drop-downs, number and date checks, Danish numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from allocator.excel.read import read_workbook
from allocator.excel.template import example_scenario, write_template
from allocator.io.errors import InputError


def _column(ws: Worksheet, key: str) -> str:
    """The letter of the column whose field name (row 2) is ``key``."""
    return next(c.column_letter for c in ws[2] if c.value == key)


def _checks(ws: Worksheet, key: str) -> list[tuple[str, str | None]]:
    """(type, formula) of every data validation covering the column of ``key``."""
    letter = _column(ws, key)
    return [
        (dv.type, dv.formula1)
        for dv in ws.data_validations.dataValidation
        if any(r.min_col == r.max_col == ws[f"{letter}3"].column for r in dv.sqref.ranges)
    ]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    write_template(path)
    return path


def test_ids_of_other_sheets_are_drop_downs(template: Path) -> None:
    wb = load_workbook(template)
    assert _checks(wb["Boliger"], "stage") == [("list", "'Etaper'!$A$3:$A$5000")]
    assert _checks(wb["Husstande"], "dwelling") == [("list", "'Boliger'!$A$3:$A$5000")]
    assert _checks(wb["Nye boliger"], "stage") == [("list", "'Etaper'!$A$3:$A$5000")]


def test_numbers_and_dates_are_checked_by_excel(template: Path) -> None:
    wb = load_workbook(template)
    assert _checks(wb["Boliger"], "monthly_rent") == [("decimal", "0")]
    assert _checks(wb["Boliger"], "rooms") == [("whole", "1")]
    assert _checks(wb["Boliger"], "floor") == [("whole", "-1")]
    assert _checks(wb["Boliger"], "vacant_from") == [("date", "1")]
    assert _checks(wb["Husstande"], "seniority_date") == [("date", "1")]
    rent = next(dv for dv in wb["Boliger"].data_validations.dataValidation if dv.type == "decimal")
    assert rent.showErrorMessage and "5600" in (rent.error or "")


def test_a_blank_vacant_from_says_occupied_in_the_sheet(template: Path) -> None:
    ws = load_workbook(template)["Boliger"]
    header = ws[f"{_column(ws, 'vacant_from')}1"]
    assert header.value == "Ledig fra (tom = beboet)"
    assert header.comment is not None and "beboet" in header.comment.text
    # and the reader keeps that meaning: the example's occupied dwellings stay occupied
    scenario = read_workbook(template)
    occupied = [d for d in scenario.dwellings if d.vacant_from is None]
    assert occupied and occupied == [
        d for d in example_scenario().dwellings if d.vacant_from is None
    ]


def _with_rent(template: Path, tmp_path: Path, text: str) -> tuple[Path, str]:
    """The template with the first dwelling's rent typed as the text ``text``."""
    wb = load_workbook(template)
    ws = wb["Boliger"]
    cell = f"{_column(ws, 'monthly_rent')}3"
    ws[cell] = text
    ws[cell].number_format = "@"
    path = tmp_path / "mutated.xlsx"
    wb.save(path)
    return path, cell


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("5.600", 5600),
        ("5.600,50", 5600.5),
        ("5600,5", 5600.5),
        ("5 600 kr.", 5600),
        ("1.234.567", 1234567),
        ("5,600.50", 5600.5),
        ("5.6", 5.6),  # a point before one digit can only be a decimal point
    ],
)
def test_danish_numbers_are_read_as_a_dane_means_them(
    template: Path, tmp_path: Path, typed: str, read: float
) -> None:
    path, _cell = _with_rent(template, tmp_path, typed)
    assert read_workbook(path).dwellings[0].monthly_rent == read


@pytest.mark.parametrize("typed", ["5,600", "12,500", "5.60.0", "fem tusind"])
def test_a_number_that_cannot_be_read_safely_is_refused_naming_its_cell(
    template: Path, tmp_path: Path, typed: str
) -> None:
    path, cell = _with_rent(template, tmp_path, typed)
    with pytest.raises(InputError) as info:
        read_workbook(path)
    row, column = cell[1:], cell[0]
    where = f"sheet Boliger, row {row}, column {column} (monthly_rent): "
    assert any(where in m and repr(typed) in m for m in info.value.messages), info.value.messages
    if typed == "5,600":
        assert "write 5600 if thousands are meant, or 5,6 if decimals are meant" in str(
            info.value.messages
        )
