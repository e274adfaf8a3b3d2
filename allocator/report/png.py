"""The report's four charts as PNG files, drawn from :class:`ChartData`.

The same charts as :mod:`allocator.report.svg` (``gantt.png``,
``stages.png``, ``pool.png``, ``costs.png``), drawn with matplotlib's Agg
renderer for slides and documents, from what :mod:`allocator.report.data`
derived.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from allocator.i18n import Lang, gettext, number
from allocator.io.write import write_file
from allocator.labels import label
from allocator.report.data import (
    DISPLACED_COLOUR,
    HELD_EMPTY_COLOUR,
    PERMANENT_COLOUR,
    POOL_COLOUR,
    TIME_LIMITED_COLOUR,
    TIME_LIMITED_EDGE,
    ChartData,
    month_label,
    shorten,
)
from models.plan import SegmentKind


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _date_num(d: date) -> float:
    return float(mdates.date2num(d))  # type: ignore[no-untyped-call]


def _month_label(value: float, lang: Lang) -> str:
    when = mdates.num2date(value)  # type: ignore[no-untyped-call]
    return month_label(date(when.year, when.month, when.day), lang) if when.day == 1 else ""


def _date_axis(ax: Any, lang: Lang) -> None:
    months = range(1, 13, _month_step(ax))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=months))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _month_label(v, lang)))
    ax.grid(axis="x", color="#dddddd")


def _month_step(ax: Any) -> int:
    lo, hi = ax.get_xlim()
    months = (hi - lo) / 30.4
    return next((s for s in (1, 2, 3, 6) if months / s <= 16), 12)


def _patch(colour: str, label: str, *, hatch: str | None = None, edge: str | None = None) -> Any:
    return Patch(facecolor=colour, edgecolor=edge or colour, hatch=hatch, label=label)


def gantt_png(charts: ChartData) -> bytes:
    """The Gantt chart as PNG bytes."""
    places = charts.places
    n = max(1, len(places))
    height = min(60.0, 1.6 + 0.24 * n)
    # Fixed margins: constrained layout measures every label again and again.
    fig = Figure(figsize=(14, height))
    fig.subplots_adjust(left=0.09, right=0.83, top=1 - 0.85 / height, bottom=0.5 / height)
    ax = fig.add_subplot()
    # One collection per style: drawing hundreds of separate artists is slow.
    spans: list[list[tuple[float, float]]] = []
    bars: dict[str, list[list[tuple[float, float]]]] = {}
    markers: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for row, t in enumerate(places):
        y = n - 1 - row
        spans.append([(_date_num(t.collected_from), y), (_date_num(t.released), y)])
        for seg in t.segments:
            x0 = _date_num(seg.start)
            colour = charts.colour(seg.stage)
            if seg.kind is SegmentKind.PERMANENT or seg.kind is SegmentKind.SPARE:
                key = (
                    ("^", PERMANENT_COLOUR) if seg.kind is SegmentKind.PERMANENT else ("D", colour)
                )
                xs, ys = markers.setdefault(key, ([], []))
                xs.append(x0)
                ys.append(y)
                continue
            if seg.end <= seg.start:
                continue
            x1 = _date_num(seg.end)
            style = colour if seg.kind is SegmentKind.OCCUPIED else seg.kind.value
            bars.setdefault(style, []).append(
                [(x0, y - 0.35), (x1, y - 0.35), (x1, y + 0.35), (x0, y + 0.35)]
            )
    ax.add_collection(LineCollection(spans, colors="#bbbbbb", linewidths=0.8, zorder=1))
    for style, polys in bars.items():
        if style == SegmentKind.HELD_EMPTY.value:
            kw: dict[str, Any] = {
                "facecolors": "#eeeeee",
                "edgecolors": HELD_EMPTY_COLOUR,
                "hatch": "///",
            }
        elif style == SegmentKind.TIME_LIMITED.value:
            kw = {"facecolors": TIME_LIMITED_COLOUR, "edgecolors": TIME_LIMITED_EDGE}
        else:
            kw = {"facecolors": style, "edgecolors": style}
        ax.add_collection(PolyCollection(polys, linewidths=0.5, zorder=2, **kw))
    for (marker, colour), (xs, ys) in markers.items():
        filled = marker == "^"
        ax.scatter(
            xs,
            ys,
            marker=marker,
            s=40 if filled else 28,
            c=colour if filled else "white",
            edgecolors=colour,
            zorder=3,
        )
    ax.autoscale_view()
    # Row labels as plain texts: hundreds of tick objects are slow to build.
    ax.set_yticks([])
    row_pt = (height - 1.35) * 72 / n
    size = max(3.0, min(9.0, 0.6 * row_pt))
    transform = ax.get_yaxis_transform()
    for row, t in enumerate(places):
        ax.text(
            -0.005,
            n - 1 - row,
            t.place,
            transform=transform,
            ha="right",
            va="center",
            fontsize=size,
        )
    ax.set_ylim(-0.8, n - 0.2)
    lang = charts.lang
    _date_axis(ax, lang)
    ax.tick_params(axis="x", top=True, labeltop=True)
    ax.axvline(_date_num(charts.today), color="#c0392b", linestyle="--")
    ax.set_title(gettext("Rehousing dwellings and pavilion modules", lang), pad=18)
    occupied = gettext("occupied", lang)
    handles = [_patch(s.colour, f"{s.id}: {occupied}") for s in charts.stages] + [
        _patch("#eeeeee", label(SegmentKind.HELD_EMPTY, lang), hatch="///", edge=HELD_EMPTY_COLOUR),
        _patch(TIME_LIMITED_COLOUR, label(SegmentKind.TIME_LIMITED, lang), edge=TIME_LIMITED_EDGE),
        Line2D(
            [],
            [],
            marker="D",
            linestyle="",
            markerfacecolor="white",
            markeredgecolor="#555555",
            label=label(SegmentKind.SPARE, lang),
        ),
        Line2D(
            [],
            [],
            marker="^",
            linestyle="",
            color=PERMANENT_COLOUR,
            label=label(SegmentKind.PERMANENT, lang),
        ),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return _png(fig)


def stages_png(charts: ChartData) -> bytes:
    """The stage timeline as PNG bytes."""
    n = len(charts.stages)
    fig = Figure(figsize=(12, 1.4 + 0.6 * n), layout="constrained")
    ax = fig.add_subplot()
    for i, s in enumerate(charts.stages):
        y = n - 1 - i
        c = s.colour
        ax.broken_barh(
            [(_date_num(s.move_out), _date_num(s.back) - _date_num(s.move_out))],
            (y - 0.3, 0.6),
            facecolors=c,
            alpha=0.3,
            edgecolors=c,
        )
        ax.broken_barh(
            [(_date_num(s.start), _date_num(s.end) - _date_num(s.start))],
            (y - 0.15, 0.3),
            facecolors=c,
        )
        ax.plot(_date_num(s.notice), y + 0.4, "v", color=PERMANENT_COLOUR)
        ax.plot(
            _date_num(s.legal_notice),
            y + 0.4,
            "v",
            markerfacecolor="white",
            markeredgecolor=PERMANENT_COLOUR,
        )
    ax.set_yticks(range(n))
    ax.set_yticklabels([shorten(s.title, 40) for s in reversed(charts.stages)])
    ax.set_ylim(-0.8, n - 0.1)
    _date_axis(ax, charts.lang)
    ax.axvline(_date_num(charts.today), color="#c0392b", linestyle="--")
    ax.set_title(gettext("Stages: notice (▼), rehousing period and works", charts.lang))
    return _png(fig)


def pool_png(charts: ChartData) -> bytes:
    """Displaced households against the collected pool, as PNG bytes."""
    fig = Figure(figsize=(12, 4), layout="constrained")
    ax = fig.add_subplot()
    lang = charts.lang
    for series, colour, name in (
        (charts.pool, POOL_COLOUR, gettext("Collected places (pool)", lang)),
        (charts.displaced, DISPLACED_COLOUR, gettext("Rehoused households", lang)),
    ):
        if not series:
            continue
        xs = [_date_num(d) for d, _ in series]
        ys = [v for _, v in series]
        ax.step(xs, ys, where="post", color=colour, label=name)
        ax.fill_between(xs, ys, step="post", color=colour, alpha=0.15)
    for s in charts.stages:
        ax.axvline(_date_num(s.move_out), color="#666666", linestyle=":", linewidth=1)
    _date_axis(ax, lang)
    ax.set_ylabel(gettext("Number", lang))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    ax.set_title(gettext("Rehoused households and collected places", lang))
    return _png(fig)


def costs_png(charts: ChartData) -> bytes:
    """Cost per stage and category as a stacked bar chart, PNG bytes."""
    stages = charts.cost_stages
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax = fig.add_subplot()
    xs = list(range(len(stages)))
    bottoms = [0.0] * len(stages)
    for series in charts.cost_series:
        vals = list(series.values)
        ax.bar(xs, vals, bottom=bottoms, color=series.colour, label=series.label)
        bottoms = [b + v for b, v in zip(bottoms, vals, strict=True)]
    ax.set_xticks(xs)
    ax.set_xticklabels([s.id for s in stages])
    ax.set_ylabel(gettext("DKK", charts.lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v, charts.lang)))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title(gettext("Cost by stage and category", charts.lang))
    return _png(fig)


#: The charts of a plan by file name (``stages.png`` needs no plan).
PLAN_CHARTS: dict[str, Callable[[ChartData], bytes]] = {
    "gantt.png": gantt_png,
    "pool.png": pool_png,
    "costs.png": costs_png,
}


def write_pngs(out_dir: Path | str, charts: ChartData) -> list[Path]:
    """Save the charts as PNG files in ``out_dir``.

    Without a plan (``charts.has_plan`` false) only ``stages.png`` is
    written, and plan charts left by an earlier run are removed so the
    directory never mixes two runs.
    """
    out = Path(out_dir)
    written = [write_file(out / "stages.png", stages_png(charts))]
    for name, draw in PLAN_CHARTS.items():
        if charts.has_plan:
            written.append(write_file(out / name, draw(charts)))
        else:
            (out / name).unlink(missing_ok=True)
    return written
