"""Letters as PDF, for printing and e-Boks: WeasyPrint, else headless Chromium, else none.

:func:`pdf_renderer` finds a renderer once: WeasyPrint when it is installed
with its system libraries (``pip install 'genhus[pdf]'``, Pango), else the
headless Chromium that the browser test uses (``/usr/bin/chromium`` or
``$GENHUS_CHROMIUM``). :func:`write_pdfs` turns HTML letters into PDF files
next to them; without a renderer it writes nothing and says so (the HTML
letters are complete without their PDF twins), never failing the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from allocator.io.write import write_file

__all__ = ["PdfRenderer", "pdf_renderer", "write_pdfs"]

#: Seconds one Chromium print may take before it is given up.
CHROMIUM_TIMEOUT = 120


@dataclass(frozen=True)
class PdfRenderer:
    """A way to print HTML to PDF: ``kind`` is ``"weasyprint"`` or ``"chromium"``."""

    kind: str
    path: str = ""


@cache
def pdf_renderer() -> PdfRenderer | None:
    """The PDF renderer of this machine, or None (see the module docstring)."""
    try:
        import weasyprint  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except (ImportError, OSError):  # OSError: installed without its system libraries
        pass
    else:
        return PdfRenderer("weasyprint")
    for candidate in (os.environ.get("GENHUS_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return PdfRenderer("chromium", candidate)
    found = shutil.which("chromium")
    return PdfRenderer("chromium", found) if found else None


def _weasyprint_pdf(html: Path) -> bytes:
    import weasyprint  # type: ignore[import-not-found,import-untyped,unused-ignore]

    data: bytes = weasyprint.HTML(filename=str(html)).write_pdf()
    return data


def _chromium_pdf(chromium: str, html: Path) -> bytes:
    part = html.with_name(f".{html.stem}.pdf.part")
    profile = html.with_name(f".{html.stem}.chromium")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-pdf-header-footer",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # letters are self-contained: stay offline
        f"--user-data-dir={profile}",
        f"--print-to-pdf={part}",
        html.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=False
        )
        if done.returncode != 0 or not part.is_file():
            raise OSError(f"chromium could not print {html.name}: {done.stderr.strip()[-300:]}")
        return part.read_bytes()
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(profile, ignore_errors=True)


def write_pdfs(
    html_files: Sequence[Path], renderer: PdfRenderer | None = None
) -> tuple[list[Path], str | None]:
    """Write ``<name>.pdf`` next to each HTML file, atomically.

    Parameters
    ----------
    html_files
        Self-contained HTML letters.
    renderer
        The renderer to use; default :func:`pdf_renderer`.

    Returns
    -------
    tuple of (list of Path, str or None)
        The PDF files written, and a note (English, for the caller to
        translate) when none could be: no renderer on this machine, or the
        renderer failed. A failure never raises: the HTML letters stand.
    """
    renderer = renderer or pdf_renderer()
    if renderer is None:
        return [], "no PDF renderer (WeasyPrint or Chromium) on this machine"
    written: list[Path] = []
    for html in html_files:
        try:
            if renderer.kind == "weasyprint":
                data = _weasyprint_pdf(html)
            else:
                data = _chromium_pdf(renderer.path, html)
        except Exception as error:  # any renderer failure: the HTML letters stand
            return written, f"PDF rendering stopped at {html.name}: {error}"
        written.append(write_file(html.with_suffix(".pdf"), data, durable=False))
    return written, None
