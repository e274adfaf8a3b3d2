"""Writing study and comparison tables: CSV, Excel and one offline HTML page with charts.

Every file is written atomically (:func:`allocator.io.write.write_file`).
Charts are drawn by matplotlib as inline SVG, so the page works offline.
Column names in the CSV and Excel files are the table's identifiers
(``total``, ``cost.moving`` ...); the HTML page shows their headings in the
chosen language.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup
from matplotlib.figure import Figure

from allocator.i18n import Lang, gettext, money, number
from allocator.io.write import write_file
from allocator.labels import label
from allocator.study.compare import COMPARED, DELTA
from allocator.study.figures import CATEGORY_COLUMNS, MONEY_COLUMNS, heading
from allocator.study.study import CHANGE_INVALID, ERROR
from models.plan import Status

__all__ = ["cell", "status_text", "write_comparison", "write_study_table"]

_PAGE = Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
.chart { border: 1px solid #eee; }
</style></head>
<body>
<h1>{{ title }}</h1>
<table>
<tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>{{ charts_title }}</h2>
<div class="charts">{% for chart in charts %}<div class="chart">{{ chart }}</div>{% endfor %}</div>
</body></html>
"""
)


def cell(column: str, value: Any, lang: Lang) -> str:
    """A table cell: money, a number or text, in ``lang``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "status":
        return status_text(str(value), lang)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if column in MONEY_COLUMNS:
        return money(value, lang, decimals=False)
    if column == "gap":
        return number(100 * value, lang, decimals=2) + " %"
    if column == "runtime":
        return number(value, lang, decimals=1)
    return number(value, lang)


def status_text(status: str, lang: Lang) -> str:
    """A variant's status in words: the solver's, or why there was no solve."""
    if status == CHANGE_INVALID:
        return gettext("change does not apply", lang)
    if status == ERROR:
        return gettext("error", lang)
    if lang == "da" and status in Status._value2member_map_:
        return label(Status(status))
    return status


def _svg(figure: Figure) -> Markup:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return Markup(text[text.index("<svg") :])


def _bars(title: str, names: Sequence[str], values: Sequence[float]) -> Markup:
    """One bar per variant."""
    figure = Figure(figsize=(4.2, 2.8))
    axes = figure.subplots()
    axes.bar(range(len(names)), [0.0 if math.isnan(v) else v for v in values], color="#4a7ab5")
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=7)
    axes.set_title(title, fontsize=9)
    axes.tick_params(axis="y", labelsize=7)
    return _svg(figure)


def _stacked(title: str, table: pd.DataFrame, lang: Lang) -> Markup:
    """Cost by category, stacked, one bar per variant."""
    names = [str(n) for n in table["variant"]]
    figure = Figure(figsize=(max(6.0, 0.5 * len(names) + 3), 4.0))
    axes = figure.subplots()
    bottom = [0.0] * len(names)
    colours = matplotlib.colormaps["tab20"]
    for k, column in enumerate(CATEGORY_COLUMNS):
        values = [float(v) if _number(v) else 0.0 for v in table[column]]
        if not any(values):
            continue
        axes.bar(
            range(len(names)), values, bottom=bottom, label=heading(column, lang), color=colours(k)
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=7)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _svg(figure)


def _against(title: str, column: str, table: pd.DataFrame) -> Markup | None:
    """Total cost against a swept numeric parameter (``change.<key>``), if there is one."""
    points = [
        (float(p), float(t))
        for p, t in zip(table[column], table["total"], strict=True)
        if _parse_number(p) is not None and _number(t)
    ]
    if len({p for p, _ in points}) < 2:
        return None
    points.sort()
    figure = Figure(figsize=(4.2, 2.8))
    axes = figure.subplots()
    axes.plot([p for p, _ in points], [t for _, t in points], marker="o", color="#4a7ab5")
    axes.set_xlabel(column.removeprefix("change."), fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.tick_params(labelsize=7)
    return _svg(figure)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def _parse_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _excel(frame: pd.DataFrame, sheet: str, *, index: bool) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=index)
    return buffer.getvalue()


def write_comparison(wide: pd.DataFrame, out_dir: Path, lang: Lang) -> list[Path]:
    """Write a side-by-side comparison (:func:`~allocator.study.compare.side_by_side`).

    Writes ``compare.csv``, ``compare.xlsx`` and ``compare.html`` (the table
    and a bar chart per budget category and figure) into ``out_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    labelled = wide.copy()
    labelled.insert(0, "heading", [heading(str(f), lang) for f in wide.index])
    written = [
        write_file(out_dir / "compare.csv", labelled.to_csv()),
        write_file(out_dir / "compare.xlsx", _excel(labelled, "compare", index=True)),
    ]
    names = [c for c in wide.columns if not str(c).startswith(DELTA)]
    rows = [
        [heading(str(f), lang), *(cell(str(f), wide.at[f, c], lang) for c in wide.columns)]
        for f in wide.index
    ]
    charts = [
        _bars(heading(f, lang), names, [_as_float(wide.at[f, n]) for n in names])
        for f in COMPARED
        if f in MONEY_COLUMNS and any(_number(wide.at[f, n]) and wide.at[f, n] for n in names)
    ]
    page = _PAGE.render(
        lang=lang,
        title=gettext("Comparison", lang),
        header=["", *map(str, wide.columns)],
        rows=rows,
        charts_title=gettext("Cost by category", lang),
        charts=charts,
    )
    written.append(write_file(out_dir / "compare.html", page))
    return written


def _as_float(value: Any) -> float:
    return float(value) if _number(value) else math.nan


def write_study_table(table: pd.DataFrame, out_dir: Path, lang: Lang, title: str) -> list[Path]:
    """Write a study's table: ``results.csv``, ``results.xlsx`` and ``summary.html``.

    The page holds the main columns of the table, the cost by category of
    every variant (stacked bars) and the total cost against each swept
    numeric parameter.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_file(out_dir / "results.csv", table.to_csv(index=False)),
        write_file(out_dir / "results.xlsx", _excel(table, "results", index=False)),
    ]
    changes = [c for c in table.columns if str(c).startswith("change.")]
    shown = ["status", "total", "rent_loss", "pavilion_modules", "gap", "runtime", "error"]
    header = [gettext("Variant", lang), *changes, *(heading(c, lang) for c in shown)]
    rows = [
        [str(r["variant"]), *(r[c] for c in changes), *(cell(c, r[c], lang) for c in shown)]
        for _, r in table.iterrows()
    ]
    charts = [_stacked(gettext("Cost by category", lang), table, lang)]
    for column in changes:
        chart = _against(gettext("Total cost", lang), column, table)
        if chart is not None:
            charts.append(chart)
    page = _PAGE.render(
        lang=lang,
        title=title,
        header=header,
        rows=[["" if v is None or v != v else v for v in row] for row in rows],
        charts_title=gettext("Charts", lang),
        charts=charts,
    )
    written.append(write_file(out_dir / "summary.html", page))
    return written
