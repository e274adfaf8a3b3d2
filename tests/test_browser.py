"""The report in a real browser: Debian's headless Chromium, offline.

Checks that the report's JavaScript runs without a console message, that
the Gantt chart is in the rendered DOM with one element per segment, that
the household filter works (driven by ``#q=...`` in the URL) and takes
screenshots of the report and of a notice letter as artefacts (in
``tests/artifacts/``, or ``$GENHUS_ARTIFACTS``).

Chromium is looked for at ``/usr/bin/chromium`` (or ``$GENHUS_CHROMIUM``).
If it is missing and we run as root with apt available, the test installs
the Debian package ``chromium`` (set ``GENHUS_NO_APT=1`` to forbid that);
otherwise the tests are skipped with a message saying how to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report import make_case, png_size

from allocator.report.html import write_report
from allocator.report.letters import write_letters
from allocator.report.pdf import PdfRenderer, write_pdfs

ARTIFACTS = Path(os.environ.get("GENHUS_ARTIFACTS", Path(__file__).parent / "artifacts"))
TIMEOUT = 120

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    # Offline: any host name fails to resolve, so an external resource would not load.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
]


def _find_chromium() -> str | None:
    for candidate in (
        os.environ.get("GENHUS_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _install_chromium() -> str | None:
    """Install Debian's chromium when we may (root, apt-get, not forbidden)."""
    if os.environ.get("GENHUS_NO_APT") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    apt = shutil.which("apt-get")
    if apt is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = [apt, "install", "-y", "--no-install-recommends", "chromium", "fonts-dejavu-core"]
    done = subprocess.run(cmd, capture_output=True, env=env, timeout=900, check=False)
    if done.returncode != 0:
        subprocess.run([apt, "update"], capture_output=True, env=env, timeout=600, check=False)
        subprocess.run(cmd, capture_output=True, env=env, timeout=900, check=False)
    return _find_chromium()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find_chromium() or _install_chromium()
    if path is None:
        pytest.skip(
            "Chromium not found at /usr/bin/chromium and not installable here "
            "(needs root and apt-get): run `apt-get install -y chromium` or set GENHUS_CHROMIUM"
        )
    return path


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario, plan, result = make_case()
    out = tmp_path_factory.mktemp("browser")
    write_report(out, scenario, result)
    write_letters(out / "letters", scenario, plan, organisation="Boligselskabet Test")
    return out


def _run(chromium: str, user_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium, *FLAGS, f"--user-data-dir={user_dir}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def _console_messages(stderr: str) -> list[str]:
    """Console output and uncaught errors of the page, from Chromium's log."""
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line
    ]


def test_report_renders_without_console_errors(
    chromium: str, out_dir: Path, tmp_path: Path
) -> None:
    url = (out_dir / "report.html").as_uri() + "#q=H1"
    done = _run(chromium, tmp_path / "profile", "--dump-dom", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console_messages(done.stderr) == []
    dom = done.stdout
    # The script ran to its end.
    assert re.search(r'<html[^>]*data-js="ok"', dom), dom[:500]
    # The Gantt is in the rendered DOM, with every segment counted by the script.
    gantt = re.search(r'<svg[^>]*id="gantt".*?</svg>', dom, re.S)
    assert gantt is not None
    assert len(re.findall(r'class="seg seg-', gantt.group(0))) == 10
    assert re.search(r'id="gantt-count"[^>]*data-rendered="10"', dom)
    # The filter from the URL left only H1's row visible.
    assert re.search(r'id="household-table"[^>]*data-shown="1"', dom)
    assert re.search(r'<tr data-household="H1"(?![^>]*display: none)', dom)
    assert re.search(r'<tr data-household="H2"[^>]*style="display: none;"', dom)


def test_report_screenshots(chromium: str, out_dir: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = out_dir / "report.html"
    shots = {
        "report-top.png": (report.as_uri(), "1400,1000"),
        "report-full.png": (report.as_uri(), "1400,4200"),
        "letter-notice.png": ((out_dir / "letters" / "H1-opsigelse.html").as_uri(), "1000,1500"),
    }
    for name, (url, size) in shots.items():
        target = ARTIFACTS / name
        target.unlink(missing_ok=True)
        done = _run(
            chromium,
            tmp_path / "profile",
            f"--screenshot={target}",
            f"--window-size={size}",
            "--hide-scrollbars",
            url,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert _console_messages(done.stderr) == [], name
        width, height = png_size(target)
        assert (width, height) == tuple(int(x) for x in size.split(",")), name
    # The full-page screenshot shows the Gantt bars: far more pixels in each
    # stage's colour than the legend swatches (20 x 10 pixels) account for.
    from PIL import Image

    with Image.open(ARTIFACTS / "report-full.png") as image:
        counts = {c: n for n, c in image.convert("RGB").getcolors(maxcolors=1 << 24) or []}
    assert counts.get((0x1F, 0x77, 0xB4), 0) > 3000  # stage S1: H1 and H2's stays
    assert counts.get((0xFF, 0x7F, 0x0E), 0) > 1000  # stage S2: H4's stay


def test_household_table_shows_every_column_at_1400_px(
    chromium: str, out_dir: Path, tmp_path: Path
) -> None:
    # The page's script records whether the household table needs a sideways scroll.
    url = (out_dir / "report.html").as_uri()
    done = _run(chromium, tmp_path / "profile", "--window-size=1400,1000", "--dump-dom", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r'id="household-wrap"[^>]*data-fits="true"', done.stdout)
    # and so do the other tables (stages, costs, activities)
    fits = re.findall(r'class="table-wrap"[^>]*data-fits="(\w+)"', done.stdout)
    assert fits == ["true"] * 4
    # (report-top.png and report-full.png are the 1,400 px screenshots)


def test_notice_letter_prints_to_pdf_with_chromium(
    chromium: str, out_dir: Path, tmp_path: Path
) -> None:
    pypdf = pytest.importorskip("pypdf")
    letter = tmp_path / "H1-opsigelse.html"
    letter.write_bytes((out_dir / "letters" / "H1-opsigelse.html").read_bytes())
    written, note = write_pdfs([letter], PdfRenderer("chromium", chromium))
    assert note is None and written == [tmp_path / "H1-opsigelse.pdf"]
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(written[0]).pages)
    text = " ".join(text.split())
    assert "Engvej 4, 1. th., 8210 Aarhus V" in text  # the temporary address
    assert "2. august 2025" in text and "15. marts 2026" in text  # moving day, return
