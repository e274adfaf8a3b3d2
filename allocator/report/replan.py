"""The replan's section (households affected, letters, cost change) and the stress page.

Both are self-contained HTML pages that work offline; :func:`replan_section`
is the section alone, for a report that embeds it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from allocator.i18n import Lang, day, gettext, money, ngettext, number
from allocator.io.write import write_file
from allocator.replan.diff import category_label
from models.replan import CurvePoint, ReplanDiff

__all__ = ["add_replan_section", "replan_page", "replan_section", "stress_page"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}"
    "th{background:#eee;text-align:left}.num{text-align:right}.warn{color:#a00}"
)


def _page(title: str, body: str, lang: Lang) -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def replan_section(diff: ReplanDiff, lang: Lang = "da") -> str:
    """The replan as an HTML section: summary, households, letters, cost by category."""
    _ = lambda msg: gettext(msg, lang)  # noqa: E731
    summary = [
        (_("Households affected"), str(len(diff.households))),
        (_("Promises made (letters sent)"), str(diff.promises)),
        (_("Promises broken"), str(diff.broken)),
        (_("Total cost"), f"{money(diff.old_total, lang)} → {money(diff.new_total, lang)}"),
    ]
    households = [
        (
            h.household,
            h.stage,
            "; ".join(f"{_(k)}: {a or '-'} → {b or '-'}" for k, (a, b) in h.changes.items()),
            ", ".join(_(w) for w in h.broken),
        )
        for h in diff.households
    ]
    letters = [
        (
            letter.household,
            _("notice letter") if letter.kind == "notice" else _("return letter"),
            day(letter.due, lang),
            "" if letter.legal_latest is None else day(letter.legal_latest, lang),
            _("yes") if letter.correction else "",
            _("overdue: send at once") if letter.overdue else "",
            "" if letter.legal_met else _("the legal notice period can no longer be met"),
        )
        for letter in diff.letters
    ]
    costs = [
        (
            category_label(c.category, lang),
            money(c.old, lang),
            money(c.new, lang),
            money(c.delta, lang),
        )
        for c in diff.costs
    ]
    return (
        f'<section id="replan"><h2>{escape(_("Replanned as of"))} '
        f"{escape(day(diff.as_of, lang))}</h2>"
        + _table([_("Figure"), _("Value")], summary)
        + f"<h3>{escape(_('Households'))}</h3>"
        + _table(
            [
                ngettext("household", "households", 1, lang),
                ngettext("stage", "stages", 1, lang),
                _("Changes"),
                _("promise broken"),
            ],
            households,
        )
        + f"<h3>{escape(_('Letters to send'))}</h3>"
        + _table(
            [
                ngettext("household", "households", 1, lang),
                _("Letter"),
                _("by"),
                _("legal notice period met if sent by"),
                _("replaces the letter sent"),
                "",
                "",
            ],
            letters,
        )
        + f"<h3>{escape(_('Cost by category'))}</h3>"
        + _table([_("Category"), _("Before"), _("After"), _("Change")], costs)
        + "</section>"
    )


def replan_page(diff: ReplanDiff, lang: Lang = "da") -> str:
    """The replan as a self-contained HTML page."""
    return _page(gettext("Replanning", lang), replan_section(diff, lang), lang)


def _curve_svg(points: Sequence[CurvePoint], lang: Lang) -> str:
    done = [
        (100 * p.overcapacity, p.plan_cost, p.expected_total)
        for p in points
        if p.plan_cost is not None and p.expected_total is not None
    ]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [x for x, _, _ in done]
    ax.plot(xs, [c for _, c, _ in done], "o--", label=gettext("Plan", lang))
    ax.plot(
        xs,
        [t for _, _, t in done],
        "o-",
        label=gettext("Expected total (plan plus repairs)", lang),
    )
    ax.set_xlabel(gettext("Overcapacity target (%)", lang))
    ax.set_ylabel(gettext("Cost (million DKK)", lang))
    ax.yaxis.set_major_formatter(lambda v, _pos: number(v / 1e6, lang, decimals=2))
    ax.grid(alpha=0.3)
    ax.legend()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def stress_page(
    points: Sequence[CurvePoint],
    runs: int,
    seed: int,
    lang: Lang = "da",
    unhoused_cost: float | None = None,
) -> str:
    """The overcapacity curve as a self-contained HTML page (an inline SVG chart and a table).

    ``unhoused_cost`` (DKK), if given, is stated: what a run without a repair adds.
    """
    _ = lambda msg: gettext(msg, lang)  # noqa: E731
    rows = [
        (
            f"{number(100 * p.overcapacity, lang)} %",
            p.status,
            "-" if p.plan_cost is None else money(p.plan_cost, lang, decimals=False),
            "-" if p.summary is None else money(p.summary.expected_extra, lang, decimals=False),
            "-" if p.summary is None else money(p.summary.p90_extra, lang, decimals=False),
            "-" if p.summary is None else f"{p.summary.unhoused}/{p.summary.runs}",
            "-" if p.summary is None else number(p.summary.broken_mean, lang, decimals=2),
            "-" if p.expected_total is None else money(p.expected_total, lang, decimals=False),
        )
        for p in points
    ]
    body = (
        f"<p>{escape(_('Runs'))}: {runs}, {escape(_('seed'))}: {seed}"
        + (
            ""
            if unhoused_cost is None
            else f"; {escape(_('a run without a place adds'))} "
            f"{escape(money(unhoused_cost, lang, decimals=False))}"
        )
        + "</p>"
        + _curve_svg(points, lang)
        + _table(
            [
                _("Overcapacity"),
                _("Status"),
                _("Plan"),
                _("Expected extra cost"),
                _("90th percentile of the extra cost"),
                _("Runs with a household without a place"),
                _("Broken promises per run"),
                _("Expected total (plan plus repairs)"),
            ],
            rows,
        )
    )
    return _page(_("Stress test: overcapacity"), body, lang)


def add_replan_section(report: Path, diff: ReplanDiff, lang: Lang = "da") -> None:
    """Add the replan's section (:func:`replan_section`) to the end of ``report.html``."""
    html = report.read_text(encoding="utf-8")
    section = replan_section(diff, lang)
    at = html.rfind("</body>")
    html = html[:at] + section + html[at:] if at >= 0 else html + section
    write_file(report, html)
