"""One language per output: the catalogue covers every marked text, outputs hold no codes.

The Danish catalogue must have every message the code and the templates mark
(extracted by Babel, as ``pybabel extract`` would), with the same
placeholders. Every planner output of the hand-made case of
``test_report.py`` is then written in Danish and in English and its visible
text scanned: no raw code of the data model (``own_organisation``,
``held_empty``, ``OPTIMAL`` ...), no field names in brackets, no ``[a, b)``
interval notation, and in Danish no English catalogue text.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import icalendar
import pytest
from babel.messages.extract import extract_from_dir
from openpyxl import load_workbook
from test_report import make_case

from allocator import rules
from allocator.excel.result import write_result_workbook
from allocator.i18n import LANGS, Lang, catalogue, gettext
from allocator.io.outputs import write_outputs
from allocator.labels import labelled_enums
from allocator.report.html import render_report
from allocator.report.letters import letter_problems, write_letters
from allocator.report.pdf import pdf_renderer
from allocator.report.summary import make_console, print_result
from models.scenario import Scenario

ALLOCATOR = Path(__file__).resolve().parents[1] / "allocator"

_TEMPLATES = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
METHODS = [
    ("**/locale/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.md", "jinja2"),
]
KEYWORDS = {"_": None, "N_": None, "gettext": (1,), "ngettext": (1, 2)}


def marked_messages() -> dict[str, tuple[str, ...]]:
    """Every message the package marks: msgid to (msgid, plural) and where."""
    found: dict[str, tuple[str, ...]] = {}
    options = {"**/templates/**.html": _TEMPLATES, "**/templates/**.md": _TEMPLATES}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ALLOCATOR), METHODS, options_map=options, keywords=KEYWORDS
    ):
        forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        if forms and forms[0]:
            found.setdefault(forms[0], (*forms, f"{filename}:{lineno}"))
    return found


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", text))


def test_the_danish_catalogue_has_every_marked_message() -> None:
    marked = marked_messages()
    assert len(marked) > 300  # the report, letters, workbook, calendar and CLI
    danish = catalogue("da")
    missing = [
        f"{where}: {msgid!r}" for msgid, (*_, where) in marked.items() if msgid not in danish
    ]
    assert missing == []


def test_every_translation_keeps_its_placeholders() -> None:
    bad = []
    for msgid, text in catalogue("da").items():
        for form in (text,) if isinstance(text, str) else text:
            if _placeholders(form) - _placeholders(msgid):
                bad.append((msgid, form))
    assert bad == []


# -- the outputs ---------------------------------------------------------------------

#: Codes of the data model that are not ordinary words: with an underscore, or
#: a solve status in capitals.
CODES = sorted(
    {
        member.value
        for enum in labelled_enums()
        for member in enum
        if "_" in member.value or member.value.isupper()
    }
)
CODE = re.compile(r"\b(?:" + "|".join(map(re.escape, CODES)) + r")\b")


FIELD = re.compile(r"^[a-z][a-z0-9_]*(?:\.[\w]+)?$")


def _visible_html(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _workbook_text(path: Path) -> str:
    """Cell values a planner reads: not the rows of field names nor a ``key`` column."""
    texts = []
    for ws in load_workbook(path).worksheets:
        rows = list(ws.iter_rows(values_only=True))
        keys = rows[1] if len(rows) > 1 else ()
        key_columns = {i for i, v in enumerate(keys) if v == "key"}
        for row in rows:
            values = [v for v in row if v is not None]
            if values and all(isinstance(v, str) and FIELD.match(v) for v in values):
                continue  # a table's row of field names (for programs)
            texts += [str(v) for i, v in enumerate(row) if v is not None and i not in key_columns]
        texts.append(ws.title)
    return "\n".join(texts)


def _calendar_text(path: Path) -> str:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return "\n".join(f"{event['SUMMARY']}\n{event['DESCRIPTION']}" for event in cal.walk("VEVENT"))


def _summary_text(lang: Lang) -> str:
    _scenario, _plan, result = make_case()
    buffer = io.StringIO()
    print_result(result, make_console(buffer), lang)
    return buffer.getvalue()


@pytest.fixture(scope="module", params=LANGS)
def outputs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    lang: Lang = request.param
    scenario, _plan, result = make_case()
    out = tmp_path_factory.mktemp(f"outputs-{lang}")
    write_outputs(result, scenario, out, organisation="Boligselskabet Test", lang=lang)
    texts = {"report.html": _visible_html((out / "report.html").read_text(encoding="utf-8"))}
    for letter in sorted((out / "letters").iterdir()):
        raw = letter.read_text(encoding="utf-8")
        texts[f"letters/{letter.name}"] = _visible_html(raw) if letter.suffix == ".html" else raw
    texts["result.xlsx"] = _workbook_text(out / "result.xlsx")
    texts["activities.ics"] = _calendar_text(out / "activities.ics")
    with (out / "activities.csv").open(encoding="utf-8") as handle:
        texts["activities.csv (activity)"] = "\n".join(
            r["activity"] for r in csv.DictReader(handle)
        )
    texts["summary"] = _summary_text(lang)
    return lang, out, texts


def test_outputs_hold_no_codes_field_names_or_interval_notation(outputs: Any) -> None:
    lang, _out, texts = outputs
    assert len(texts) > 10  # report, workbook, calendar, summary and the letters
    for name, text in texts.items():
        assert not CODE.findall(text), (lang, name, sorted(set(CODE.findall(text))))
        assert not re.search(r"\((?:households_by_\w+|rent_loss|total cost)", text), (lang, name)
        assert "[a, b)" not in text and "(engelsk)" not in text, (lang, name)


def test_danish_outputs_hold_no_english_catalogue_text(outputs: Any) -> None:
    lang, _out, texts = outputs
    if lang != "da":
        pytest.skip("the check of untranslated text is for Danish outputs")
    # English sentences and headings of the catalogue (long enough not to be a
    # Danish word too) would show a text that was not looked up.
    english = [
        msgid
        for msgid, text in catalogue("da").items()
        if len(msgid) >= 12 and "%" not in msgid and text != msgid
    ]
    assert len(english) > 150
    for name, text in texts.items():
        leaked = [msgid for msgid in english if msgid in text]
        assert leaked == [], (name, leaked)


def test_english_outputs_are_english(outputs: Any) -> None:
    lang, out, texts = outputs
    expect = {"da": "Genhusningsplan", "en": "Rehousing plan"}[lang]
    assert expect in texts["report.html"]
    letters = {p.name for p in (out / "letters").iterdir()}
    notice = "H1-opsigelse.html" if lang == "da" else "H1-notice.html"
    assert notice in letters
    assert gettext("Sent by registered mail", lang) in texts[f"letters/{notice}"]
    sheets = load_workbook(out / "result.xlsx").sheetnames
    assert sheets[0] == "Plan" and ("Tidslinjer" in sheets) == (lang == "da")


# -- what a tenant reads ---------------------------------------------------------------


def test_a_letter_missing_an_address_names_the_field(tmp_path: Path) -> None:
    scenario, plan, _ = make_case()
    data = scenario.model_dump(mode="json")
    data["contact"] = None
    data["pavilions"][0]["site"] = ""
    broken = Scenario.model_validate(data)
    problems = letter_problems(broken, plan, "en")
    assert "letter of household H2: temporary place PAV-1: site not given" in problems
    assert any("contact person is not given" in p for p in problems)
    assert letter_problems(scenario, plan) == []
    write_letters(tmp_path, broken, plan, lang="en")
    html = (tmp_path / "H2-notice.html").read_text(encoding="utf-8")
    assert 'id="missing"' in html and "do not send it" in html


def test_letters_print_to_pdf_with_the_address_and_dates(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    if pdf_renderer() is None:
        pytest.skip("no PDF renderer here (pip install 'genhus[pdf]' or apt-get install chromium)")
    scenario, plan, _ = make_case()
    one = plan.model_copy(update={"households": [plan.households[0]]})  # H1: one renderer run
    written = write_letters(tmp_path, scenario, one, pdf=True)
    pdf = tmp_path / "H1-opsigelse.pdf"
    assert pdf in written
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages).split())
    assert "Engvej 4, 1. th., 8210 Aarhus V" in text
    assert "2. august 2025" in text and "15. marts 2026" in text
    assert "5.400,00 kr. om måneden" in text  # the rent during the stay (R14)


@pytest.mark.parametrize("lang", LANGS)
def test_the_scenarios_warnings_are_shown_in_the_outputs_language(lang: Lang) -> None:
    scenario, _plan, result = make_case()
    english = rules.notice_warnings(scenario)
    assert english  # the case's interviews are due before its planning date (R4)
    # A result keeps the scenario's warnings in English, with the search's own.
    kept = result.model_copy(update={"warnings": [*english, "a warning from the search"]})
    text = _visible_html(render_report(scenario, kept, lang=lang))
    shown = rules.notice_warnings(scenario, lang)
    assert all(w in text for w in shown)
    assert "a warning from the search" in text
    buffer = io.StringIO()
    print_result(kept, make_console(buffer), lang, scenario)
    assert shown[0] in " ".join(buffer.getvalue().split())
    if lang == "da":
        assert shown[0].startswith("etape S1: R4: beboersamtaler skal holdes et år før")
        assert "1. august 2024" in shown[0]  # a Danish date, not 2024-08-01
        assert not any(w in text for w in english)


def test_the_result_workbook_shows_addresses_and_rents(tmp_path: Path) -> None:
    scenario, _plan, result = make_case()
    path = tmp_path / "result.xlsx"
    write_result_workbook(path, scenario, result)
    ws = load_workbook(path)["Plan"]
    keys = [c.value for c in ws[2]]
    rows = {
        r[0]: dict(zip(keys, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)
    }
    h1, h2 = rows["H1"], rows["H2"]
    assert h1["address"] == "Solvej 1, st. tv., 8210 Aarhus V"
    assert h1["place_address"] == "Engvej 4, 1. th., 8210 Aarhus V"
    assert h1["mode"] == "midlertidig genhusning"
    assert h1["place_source"] == "anden afdeling i boligorganisationen"
    # R14 (own_rent): 6.000 kr. less the case's 10 % reduction, as rules.tenant_stay_rent says
    assert h1["stay_rent"] == rules.tenant_stay_rent(scenario, scenario.household("H1"), 5800)
    assert h1["stay_rent"] == 5400
    assert h1["after_address"] == h1["address"] and h1["after_rent"] == 6000  # back home
    assert h2["place_address"] == "Pavillonbyen, Solvej 40, 8210 Aarhus V"  # the pavilion site
    assert h2["after_address"] == "Solvej 1, 1. th., 8210 Aarhus V" and h2["after_rent"] == 5400
    # frozen headers, a filter over the table, columns wide enough for an address
    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A2:")
    address = next(c.column_letter for c in ws[2] if c.value == "place_address")
    assert (ws.column_dimensions[address].width or 0) >= len("Engvej 4, 1. th., 8210 Aarhus V")


@pytest.mark.parametrize("lang", LANGS)
def test_households_by_source_name_every_key_in_words(lang: Lang) -> None:
    """By source also counts households needing no place ("direct", "permanent")."""
    from allocator.labels import key_figures

    _scenario, plan, _result = make_case()
    counts = {"direct": 1, "permanent": 2, "own_department": 3}
    plan = plan.model_copy(
        update={"kpis": plan.kpis.model_copy(update={"households_by_source": counts})}
    )
    labels = [f.label for f in key_figures(plan, lang) if "households_by_source" in f.key]
    assert len(labels) == 3
    assert not [t for t in labels if re.search(r": (direct|permanent|own_department)$", t)]
