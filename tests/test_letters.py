"""Notice and return letters of the hand-made case (see ``test_report.py``)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from test_report import make_case, make_plan, make_scenario

from allocator.i18n import day, money
from allocator.report.letters import letter_info, write_letters
from models.plan import Plan
from models.scenario import Scenario

D = date.fromisoformat


def _letter_date(html: str) -> str:
    match = re.search(r'<time class="letter-date" datetime="([\d-]+)"', html)
    assert match is not None
    return match.group(1)


def _text(html: str) -> str:
    """Visible text of a letter, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario, plan, _ = make_case()
    out = tmp_path_factory.mktemp("letters")
    write_letters(out, scenario, plan, organisation="Boligselskabet Test")
    return out


def test_files_written(tmp_path: Path) -> None:
    scenario, plan, _ = make_case()
    paths = write_letters(tmp_path, scenario, plan)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [f"{h}-opsigelse.{ext}" for h in ("H1", "H2", "H3", "H4") for ext in ("html", "md")]
        + [f"{h}-tilbageflytning.{ext}" for h in ("H1", "H2", "H4") for ext in ("html", "md")]
        + ["index.html"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary files left
    assert all(p.parent == tmp_path for p in paths)


def test_danish_formatting() -> None:
    assert day(D("2026-03-15")) == "15. marts 2026"
    assert day(D("2025-05-01")) == "1. maj 2025"
    assert money(1234567.5) == "1.234.567,50\xa0kr."


def test_notice_temporary_own_dwelling(letters: Path) -> None:
    html = (letters / "H1-opsigelse.html").read_text(encoding="utf-8")
    md = (letters / "H1-opsigelse.md").read_text(encoding="utf-8")
    # Dated on the stage's notice date (R3: 4 months before the start 2025-09-01).
    assert _letter_date(html) == "2025-05-01"
    assert "Dato: 1. maj 2025" in md
    for text in (_text(html), md):
        # Where it lives temporarily, and the source.
        assert "Engvej 4, 1. th." in text
        assert "anden afdeling i boligorganisationen" in text
        # For which period: move-out and return.
        assert "2. august 2025" in text
        assert "15. marts 2026" in text
        # Where it lives after the renovation: its own dwelling.
        assert "tilbage til din egen bolig" in text
        assert "Solvej 1, st. tv." in text
        # Legal 3 months, clearing deadline, storage.
        assert "3 måneders varsel" in text
        assert "ryddet" in text
        assert "opmagasineres" in text
        assert "Sendes anbefalet" in text
        assert "Boligselskabet Test" in text
    assert re.search(r'class="temporary-address">Engvej 4, 1\. th\., 8210 Aarhus V<', html)
    text = _text(html)
    # R14: own rent 6.000 kr. less the 10 % reduction of the case.
    assert re.search(r'class="stay-rent">5\.400,00\xa0kr\. om måneden<', html)
    assert "din nuværende husleje er 6.000,00 kr." in text
    # Who to call, and no incomplete-letter banner.
    assert "Mette Holm, telefon 86 12 34 56" in text
    assert 'id="missing"' not in html
    # The notice speaks as the notice it is (no promise to send one later).
    assert "Denne opsigelse er dateret den 1. maj 2025" in text
    assert "Vi sender" not in text
    assert re.search(r'class="clearing-date">2\. august 2025<', html)


def test_notice_pavilion_and_after_dwelling(letters: Path) -> None:
    text = _text((letters / "H2-opsigelse.html").read_text(encoding="utf-8"))
    assert "pavillonmodul PAV-1" in text
    assert "2 værelser" in text
    # The after-renovation dwelling by its address, and the rent it will cost.
    assert "Solvej 1, 1. th., 8210 Aarhus V" in text
    assert "Huslejen for boligen er 5.400,00 kr. om måneden" in text
    assert "bo-anciennitet" in text
    assert "15. marts 2026" in text
    assert "ekstra flyttehjælp" in text  # H2 is elderly


def test_notice_permanent(letters: Path) -> None:
    html = (letters / "H3-opsigelse.html").read_text(encoding="utf-8")
    text = _text(html)
    assert _letter_date(html) == "2025-05-01"
    assert "ikke genhuses midlertidigt" in text
    assert "permanent" in text
    assert "Parkvej 8, 2. tv." in text
    assert "2. august 2025" in text
    assert "flyttegodtgørelse på 3.000,00 kr." in text  # H3 moves itself
    assert not (letters / "H3-tilbageflytning.html").exists()
    # The name is escaped in HTML and left alone in Markdown.
    assert "Ole &lt;Ø&gt; &amp; Co" in html
    assert "Ole <Ø> & Co" in (letters / "H3-opsigelse.md").read_text(encoding="utf-8")


@pytest.mark.rule("R3", "holds")
def test_notice_second_stage_dated_on_its_notice_date(letters: Path) -> None:
    html = (letters / "H4-opsigelse.html").read_text(encoding="utf-8")
    # S2 starts 2026-06-01: notice 2026-02-01; out 2026-05-02; back 2026-10-15.
    assert _letter_date(html) == "2026-02-01"
    text = _text(html)
    assert "2. maj 2026" in text
    assert "15. oktober 2026" in text


@pytest.mark.rule("R4", "holds")
def test_return_letter_one_month_before_return(letters: Path) -> None:
    html = (letters / "H1-tilbageflytning.html").read_text(encoding="utf-8")
    assert _letter_date(html) == "2026-02-15"  # return 2026-03-15 minus one month (R4)
    text = _text(html)
    assert re.search(r'class="return-date">15\. marts 2026', html)
    assert "Solvej 1, st. tv." in text
    assert "nøgle" in text.lower()
    assert "målere" in text
    md = (letters / "H4-tilbageflytning.md").read_text(encoding="utf-8")
    assert "Dato: 15. september 2026" in md
    assert "15. oktober 2026" in md
    html2 = (letters / "H2-tilbageflytning.html").read_text(encoding="utf-8")
    assert "Solvej 1, 1. th., 8210 Aarhus V" in _text(html2)


def test_return_letter_date_computed_when_missing(tmp_path: Path) -> None:
    scenario = make_scenario()
    plan = make_plan()
    # Without a return-letter date in the plan it is the return minus one month,
    # on a working day: a return on 2026-03-31 gives 2026-02-28 (end of month),
    # a Saturday, so the letter goes out on Friday 2026-02-27.
    changed = [
        hp.model_copy(update={"return_letter_date": None, "return_date": D("2026-03-31")})
        if hp.household == "H1"
        else hp
        for hp in plan.households
    ]
    plan2 = Plan.model_validate({**plan.model_dump(), "households": changed})
    info = letter_info(scenario, plan2, plan2.households[0])
    assert info.return_letter_date == D("2026-02-27")
    write_letters(tmp_path, scenario, plan2, key_time="kl. 10.00")
    html = (tmp_path / "H1-tilbageflytning.html").read_text(encoding="utf-8")
    assert _letter_date(html) == "2026-02-27"
    assert "31. marts 2026, kl. 10.00" in _text(html)


def test_notice_date_in_the_past_is_flagged(tmp_path: Path) -> None:
    data = make_scenario().model_dump(mode="json")
    data["policy"]["planning_date"] = "2025-05-15"  # after S1's notice date 2025-05-01
    scenario = Scenario.model_validate(data)
    write_letters(tmp_path, scenario, make_plan())
    html = (tmp_path / "H1-opsigelse.html").read_text(encoding="utf-8")
    assert _letter_date(html) == "2025-05-15"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "frist overskredet: 1. maj 2025" in index


def test_own_template_directory_wins(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "notice.md").write_text(
        "EGEN SKABELON {{ h.household_id }} {{ h.move_out | dk_date }}\n", encoding="utf-8"
    )
    scenario, plan, _ = make_case()
    out = tmp_path / "out"
    write_letters(out, scenario, plan, template_dir=own)
    assert (out / "H1-opsigelse.md").read_text(encoding="utf-8") == (
        "EGEN SKABELON H1 2. august 2025\n"
    )
    # Templates not overridden come from genhus.
    assert "Opsigelse af dit lejemål" in (out / "H1-opsigelse.html").read_text(encoding="utf-8")


def test_letters_are_self_contained(letters: Path) -> None:
    for path in letters.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), path.name


def test_rerun_removes_stale_letters(tmp_path: Path) -> None:
    scenario, plan, _ = make_case()
    write_letters(tmp_path, scenario, plan)
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    assert (tmp_path / "H4-tilbageflytning.md").exists()
    fewer = Plan.model_validate(
        {**plan.model_dump(), "households": [h for h in plan.households if h.household != "H4"]}
    )
    write_letters(tmp_path, scenario, fewer)
    assert not list(tmp_path.glob("H4-*"))
    assert (tmp_path / "H1-opsigelse.html").exists()
    assert (tmp_path / "notes.txt").exists()
