"""The input boundary (issues 14 and 17): hostile and careless files are refused with a message.

Each hostile file of issue 14 is refused with exit 2 and a message naming
the file and the place; the value ranges of ``models.bounds`` hold where a
scenario meets the model; workbooks are read through defusedxml, within
limits, with openpyxl's failures turned into located messages; letters
keep a file each whatever their households' ids.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from pydantic import ValidationError
from test_cli import run
from test_report import make_case

from allocator.excel import read as excel_read
from allocator.excel.read import read_workbook
from allocator.excel.template import write_template
from allocator.io.errors import InputError
from allocator.io.limits import Limits, short
from allocator.io.load import load_scenario
from allocator.io.yaml_source import _yaml_locator
from allocator.report.letters import letter_stems, write_letters
from bench import fuzz
from models.plan import Plan
from models.scenario import Scenario
from tests.tiny import changed, tiny, tiny_data

ROOT = Path(__file__).resolve().parents[1]

#: What the message of each hostile file of bench.fuzz says (besides its file name).
EXPECTED = {
    "alias-bomb.yaml": "aliases (*name) expand the document to more than",
    "alias-cycle.yaml": "line 1, column 4: an alias refers to a node that contains it",
    "digits-5000.yaml": "a number of 5,000 characters (at most 30)",
    "digits-5000.json": "line 1, column 30: a number of 5,000 characters (at most 30)",
    "year-9999.yaml": "stages[0].end: 9999-12-31 is outside the years 1900-2200",
    "ready-past-9999.yaml": "stages[0].end: 9999-12-30 is outside the years 1900-2200",
    "notice-before-year-1.yaml": "policy.notice_months: must be less than or equal to 1200",
    "nul.yaml": "line 2, column 8: the control character U+0000 is not allowed in a text file",
    "deep.yaml": "nested deeper than 32 levels",
    "deep-block.yaml": "nested deeper than 32 levels",
    "deep.json": "nested deeper than 32 levels",
    "control-name.yaml": "contact.name: contains the control character U+001B at position 4",
    "unknown-keys.yaml": "unknown_0: unknown field",
    "long-text.yaml": "a text of 40,000 characters (at most 10,000)",
    "nan.json": "policy.overcapacity: expected a number",
    "explicit-tag.yaml": "'2024-13-45' cannot be read as timestamp (month must be in 1..12)",
    "entity-bomb.xlsx": "the workbook's XML declares a document type or entities",
    "entity-bomb-sheet.xlsx": "the workbook's XML declares a document type or entities",
    "external-entity.xlsx": "the workbook's XML declares a document type or entities",
    "malformed-sheet.xlsx": "sheet Boliger, after row 102: the workbook's XML is malformed",
    "number-abc.xlsx": "after row 2: a number cell holds 'abc', which is not a number",
    "number-inf.xlsx": "after row 2: a number cell holds 'inf', which is not a number",
    "number-1e400.xlsx": (
        "sheet Boliger, row 3, column G (rooms): invalid number: the cell's value is too large"
    ),
    "shared-string-missing.xlsx": "a text cell refers to shared text the workbook does not have",
    "damaged-zip.xlsx": "not an .xlsx workbook (the file is not a zip archive, or damaged)",
    "not-a-zip.xlsx": "not an .xlsx workbook",
    "fifo.yaml": "is not a regular file (a FIFO, a device or a socket): not read",
    "directory.yaml": "is a directory, not a file",
}


def _hostile(name: str) -> fuzz.Case:
    return next(c for c in fuzz.hostile_cases() if c.name == f"hostile:{name}")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_refused_with_a_located_message(name: str) -> None:
    outcome = fuzz.run_case(_hostile(name), limit=10)
    assert not outcome.hang and not outcome.traceback and not outcome.lost
    assert outcome.exit_code == 2, outcome.stderr
    first = outcome.stderr.splitlines()[0]
    assert re.match(rf"\S*{re.escape(name)}: ", first), first  # the file comes first
    assert EXPECTED[name] in outcome.stderr, outcome.stderr
    assert len(first) < 400  # values are quoted short


def test_padded_rows_are_read_as_written() -> None:
    outcome = fuzz.run_case(_hostile("padded-rows.xlsx"), limit=10)
    assert outcome.exit_code == 0, outcome.stderr


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "deep.yaml", "fifo.yaml"])
def test_no_hang_in_a_fresh_process(tmp_path: Path, name: str) -> None:
    path = _hostile(name).write(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "allocator.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert EXPECTED[name] in done.stderr


# -- value ranges ----------------------------------------------------------------


def _refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(data)
    return str(caught.value)


def test_dates_periods_and_amounts_are_bounded() -> None:
    cases = {
        "seniority_date": (
            changed(tiny_data(), "households", "H1", seniority_date="1850-01-01"),
            "outside the years 1900-2200",
        ),
        "rooms": (
            changed(tiny_data(), "dwellings", "A1", rooms=10**6),
            "less than or equal to 100",
        ),
        "rent": (
            changed(tiny_data(), "dwellings", "A1", monthly_rent=1e12),
            "less than or equal to 10000000",
        ),
        "nan": (
            changed(tiny_data(), "dwellings", "A1", monthly_rent=float("nan")),
            "finite number",
        ),
    }
    for what, (data, expected) in cases.items():
        data["policy"] = {"planning_date": "2025-01-01"}
        assert expected in _refusal(data), what
    data = tiny_data()
    data["policy"] = {"planning_date": "2025-01-01", "ready_days": 3651}
    assert "less than or equal to 3650" in _refusal(data)


def test_the_latest_dates_allowed_do_not_overflow(tmp_path: Path) -> None:
    """A stage ending on the last day allowed, with the longest periods: valid, no overflow."""
    data = tiny_data()
    data["stages"][0].update(end="2200-12-31")
    data["policy"] = {
        "planning_date": "2025-01-01",
        "ready_days": 3650,
        "turnaround_days": 3650,
        "notice_months": 1200,
    }
    data["pavilions"][0].update(min_months=1200, lead_days=3650)
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert "2200" in result.stdout


@pytest.mark.parametrize(
    ("field", "value", "character"),
    [
        ("name", "Ole\x1b[2J", "U+001B"),
        ("name", "Ole\nHansen", "U+000A"),
        ("name", "Ole\u202eHansen", "U+202E"),
        ("id", "H\x001", "U+0000"),
    ],
)
def test_control_characters_in_text_fields_are_refused(
    tmp_path: Path, field: str, value: str, character: str
) -> None:
    data = tiny_data()
    data["households"][0][field] = value
    data["policy"] = {"planning_date": "2025-01-01"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}: households[0].{field}: contains the control character {character}" in (
        result.stderr
    )


def test_a_json_number_of_5000_digits_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "policy": {\n    "ready_days": ' + "7" * 5000 + "}}", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.messages == [
        f"{path}: line 3, column 19: a number of 5,000 characters (at most 30): 777777777777..."
    ]


# -- the YAML locator ----------------------------------------------------------------


class _CountingKey(yaml.ScalarNode):
    """A key node counting how often its text is read."""

    reads = 0

    @property
    def value(self) -> str:
        _CountingKey.reads += 1
        return self._value

    @value.setter
    def value(self, text: str) -> None:
        self._value = text


def test_locating_many_problems_reads_each_key_once() -> None:
    """20,000 unknown keys are located in linear time (the locator was quadratic: 9.8 s)."""
    n = 20_000
    mark = yaml.Mark("s", 0, 0, 0, "", 0)
    pairs = [
        (_CountingKey("tag:yaml.org,2002:str", f"k{i}", mark, mark), yaml.ScalarNode("", "1"))
        for i in range(n)
    ]
    root = yaml.MappingNode("tag:yaml.org,2002:map", pairs, mark, mark)
    _CountingKey.reads = 0
    locate = _yaml_locator(root)
    assert locate(("k0",)) == "line 1"
    for i in range(n):
        locate((f"k{i}",))
    assert _CountingKey.reads <= 2 * n


# -- workbooks -------------------------------------------------------------------------


def _workbook(tmp_path: Path, change: Any = None, name: str = "s.xlsx") -> Path:
    path = tmp_path / name
    write_template(path, tiny())
    if change is not None:
        wb = load_workbook(path)
        change(wb)
        wb.save(path)
    return path


def _messages(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_workbook(path)
    return [m.removeprefix(f"{path}: ") for m in caught.value.messages]


def test_defusedxml_is_what_openpyxl_parses_with() -> None:
    import openpyxl
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML
    assert functions.iterparse.__module__.startswith("defusedxml")


def test_values_are_quoted_short_and_as_typed(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        ws = wb["Husstande"]
        ws["B3"] = "N" * 40_000  # name: too long
        ws["D3"] = datetime(1900, 1, 1)  # adults: a date where a number belongs
        ws["D3"].number_format = "yyyy-mm-dd"

    path = _workbook(tmp_path, change)
    got = _messages(path)
    assert any(
        m.startswith("sheet Husstande, row 3, column B (name): String should have at most 500")
        for m in got
    ), got
    assert "sheet Husstande, row 3, column D (adults): invalid number 1900-01-01" in got
    assert all(len(m) < 300 for m in got)
    assert not any("datetime" in m for m in got)


def test_no_openpyxl_warning_reaches_the_user(tmp_path: Path, recwarn: Any) -> None:
    def change(wb: Any) -> None:
        ws = wb["Husstande"]
        ws["F3"] = 10**10  # seniority_date: a date serial far out of range
        ws["F3"].number_format = "yyyy-mm-dd"

    path = _workbook(tmp_path, change)
    got = _messages(path)
    assert got and got[0].startswith("sheet Husstande, row 3, column F (seniority_date)")
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]


def test_rows_padded_to_the_last_column_cost_what_their_cells_do(tmp_path: Path) -> None:
    """Issue 17: 148 KB of rows reaching column XFD took 3.35 GB."""
    path = _workbook(tmp_path)
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    sheet = max(
        (n for n in parts if n.startswith("xl/worksheets/sheet")), key=lambda n: len(parts[n])
    )
    xml = parts[sheet].decode()
    filler = "".join(
        f'<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c></row>'
        for r in range(100, 3100)
    )
    parts[sheet] = xml.replace("</sheetData>", filler + "</sheetData>").encode()
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert padded.stat().st_size < 150_000
    tracemalloc.start()
    try:
        scenario = read_workbook(padded)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert scenario == tiny()
    assert peak < 60 * 2**20  # 3,000 rows x 16,384 columns would be 390 MB of references


def test_rows_past_the_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excel_read, "LIMITS", Limits(sheet_rows=4))
    path = _workbook(tmp_path)
    assert "sheet Boliger: more than 4 rows: not read" in _messages(path)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excel_read, "LIMITS", Limits(unpacked_bytes=50_000))
    path = _workbook(tmp_path)
    (message,) = _messages(path)
    assert re.fullmatch(
        r"\(top level\): the workbook unpacks to 0\.\d MiB in \d+ parts "
        r"\(at most 0\.0 MiB and 10,000 parts\): not read",
        message,
    ), message


def test_a_zip_of_a_version_python_cannot_read_is_a_damaged_workbook(tmp_path: Path) -> None:
    """Found by the 10,000-case campaign: zipfile raises NotImplementedError for it."""
    path = _workbook(tmp_path)
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02")  # the first central directory entry
    raw[entry + 6 : entry + 8] = (202).to_bytes(2, "little")  # version needed: 20.2
    path.write_bytes(bytes(raw))
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(path)  # what the reader must not let through
    (message,) = _messages(path)
    assert message == (
        "(top level): not an .xlsx workbook (the file is not a zip archive, or damaged)"
    )


def test_a_workbook_without_a_part_says_which(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist() if n != "xl/workbook.xml"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert _messages(path) == [
        "(top level): the workbook lacks a part (There is no item named 'xl/workbook.xml' in "
        "the archive): not an .xlsx file, or damaged"
    ]


def test_a_file_over_the_size_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allocator.io import load

    monkeypatch.setattr(load, "LIMITS", Limits(file_bytes=2**20))
    path = tmp_path / "big.yaml"
    path.write_text("name: " + "x" * 9000 + "\n" + "a: 1\n" * 300_000, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.messages == [
        f"{path}: (top level): the file is 1.4 MiB; at most 1.0 MiB is read"
    ]


def test_a_scenario_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    os.mkfifo(path)
    assert _messages(path) == [
        "(top level): is not a regular file (a FIFO, a device or a socket): not read"
    ]


def test_short_quotes_values_as_typed() -> None:
    assert short(datetime(1900, 1, 1)) == "1900-01-01"
    assert short(12.0) == "12"
    assert short("fish") == "'fish'"
    assert short("x" * 1000) == "'" + "x" * 55 + "...' (1,000 characters)"


# -- letters ---------------------------------------------------------------------------


def test_ids_that_collide_as_file_names_keep_a_letter_each(tmp_path: Path) -> None:
    scenario, plan, _ = make_case()
    ids = sorted(h.id for h in scenario.households)
    new = dict(zip(ids, ["H/1", "H:1", "h:1", "H_1"], strict=False))
    data = scenario.model_dump(mode="json")
    for h in data["households"]:
        h["name"] = f"Beboer {h['id']}"
        h["id"] = new[h["id"]]
    plan_data = plan.model_dump(mode="json")
    for hp in plan_data["households"]:
        hp["household"] = new[hp["household"]]
    for place in plan_data["places"]:
        for segment in place["segments"]:
            if segment.get("household") in new:
                segment["household"] = new[segment["household"]]
    renamed = Scenario.model_validate(data)
    written = write_letters(tmp_path, renamed, Plan.model_validate(plan_data))

    notices = sorted(p for p in written if p.name.endswith("-opsigelse.html"))
    assert len(notices) == len(new) == len({p.name.casefold() for p in notices})
    for old, household in new.items():
        (own,) = [p for p in notices if p.name.startswith(letter_stems(new.values())[household])]
        assert f"Beboer {old}" in own.read_text(encoding="utf-8")
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", p.name) for p in written)


def test_letter_stems_keep_plain_ids_and_part_the_rest() -> None:
    stems = letter_stems(["X9", "H1", "h1", "A/2", "A_2", "B 3"])
    assert stems["X9"] == "X9"
    assert stems["B 3"].startswith("B_3-")
    assert stems["A/2"].startswith("A_2-") and stems["A_2"].startswith("A_2-")
    assert len({s.casefold() for s in stems.values()}) == 6
    # an id that looks like another id's stem still gets a name of its own
    crafted = letter_stems(["A/2"])["A/2"]
    assert len({s.casefold() for s in letter_stems(["A/2", crafted]).values()}) == 2


def test_bounded_json_reader_refuses_deep_data_without_recursion(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 500 + "]" * 500, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    (message,) = caught.value.messages
    assert message.startswith(f"{path}: ") and "nested deeper than 32 levels" in message
