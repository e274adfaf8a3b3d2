"""The planner's report: one self-contained HTML file plus PNG charts.

:func:`write_report` writes ``report.html`` into a directory. It works
offline and refers to nothing outside itself: the CSS and the little
JavaScript (a filter for the tables) are inline and the charts are inline
SVG drawn here in Python:

1. a Gantt chart of every rehousing place (dwelling or pavilion module):
   one bar per timeline segment, occupied stays coloured by stage, held
   empty hatched grey, time-limited leases light blue, spare (overcapacity)
   and permanent lettings as markers;
2. the stage timeline: notice dates, move-out day, works [start, end) and
   return day of every stage;
3. displaced households over time against the pool of collected places,
   the gap between them being the overcapacity margin (R10);
4. the cost by budget category and stage as stacked bars;

then the key figures, the cost table, a searchable table of households and
the process and activity plan. The same charts are saved as PNG files
(``gantt.png``, ``stages.png``, ``pool.png``, ``costs.png``, drawn with
matplotlib's Agg renderer) for slides and documents.

Texts are Danish, with the English field names of the plan files in
parentheses where that helps.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
from markupsafe import Markup
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from allocator import rules
from allocator.io.write import write_file
from allocator.labels import (
    CATEGORY_DA,
    MODE_DA,
    MODE_SHORT,
    SEGMENT_DA,
    SOURCE_DA,
    SOURCE_SHORT,
    STATUS_DA,
)
from allocator.report.activities import activity_plan
from allocator.report.letters import dk_number, dkk, environment, stage_title
from models.plan import CostCategory, Mode, PlaceTimeline, Plan, Result, Segment, SegmentKind
from models.scenario import Scenario, Source

#: Stage colours (cycled).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#393b79",
)

CATEGORY_COLOURS: Mapping[CostCategory, str] = {
    CostCategory.RENT_LOSS_EMPTY: "#d62728",
    CostCategory.RENT_LOSS_OCCUPIED: "#ff9896",
    CostCategory.RENT_LOSS_VACATED: "#ad494a",
    CostCategory.RENT_LOSS_SPARE: "#f7b6d2",
    CostCategory.RENT_REDUCTION: "#e7969c",
    CostCategory.PAVILION_SETUP: "#8c6d31",
    CostCategory.PAVILION_RENT: "#bd9e39",
    CostCategory.PAVILION_REMOVAL: "#e7ba52",
    CostCategory.MOVING: "#1f77b4",
    CostCategory.EXTRA_HELP: "#9ecae1",
    CostCategory.TRANSFERS: "#6baed6",
    CostCategory.STORAGE: "#9467bd",
    CostCategory.TIME_LIMITED_DEPOSITS: "#2ca02c",
    CostCategory.CLEANING_INSPECTION: "#17becf",
    CostCategory.CONSULTANT: "#7f7f7f",
}

HELD_EMPTY_COLOUR = "#9a9a9a"
TIME_LIMITED_COLOUR = "#cfe3f6"
TIME_LIMITED_EDGE = "#7fa7d1"
PERMANENT_COLOUR = "#222222"
DISPLACED_COLOUR = "#c0392b"
POOL_COLOUR = "#2471a3"

SOURCE_ORDER = (Source.OWN_DEPARTMENT, Source.OWN_ORGANISATION, Source.PARTNER, Source.PAVILION)

PNG_NAMES = ("gantt.png", "stages.png", "pool.png", "costs.png")

# -- small helpers -----------------------------------------------------------------


def stage_colours(scenario: Scenario) -> dict[str, str]:
    """A colour per stage id, in scenario order."""
    return {s.id: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenario.stages)}


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key that orders ``R2`` before ``R10``."""
    parts: list[Any] = []
    num = ""
    word = ""
    for ch in text:
        if ch.isdigit():
            if word:
                parts.append((1, word))
                word = ""
            num += ch
        else:
            if num:
                parts.append((0, int(num)))
                num = ""
            word += ch
    if num:
        parts.append((0, int(num)))
    if word:
        parts.append((1, word))
    return tuple(parts)


def ordered_places(plan: Plan) -> list[PlaceTimeline]:
    """Place timelines by source (department, organisation, partner, pavilion) and id."""
    return sorted(
        plan.places,
        key=lambda t: (SOURCE_ORDER.index(t.source), t.pavilion_type or "", _natural(t.place)),
    )


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _fmt(value: float) -> str:
    return escape(f"{value:.1f}".rstrip("0").rstrip("."))


@dataclass(frozen=True)
class TimeAxis:
    """Maps dates on [start, end] to x on [x0, x1]."""

    start: date
    end: date
    x0: float
    x1: float

    def x(self, d: date) -> float:
        """The x coordinate of ``d``."""
        span = max(1, (self.end - self.start).days)
        return self.x0 + (self.x1 - self.x0) * (d - self.start).days / span

    def ticks(self) -> list[date]:
        """First days of months to mark: every 1, 2, 3, 6 or 12 months."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        step = next((s for s in (1, 2, 3, 6, 12) if months / s <= 16), 24)
        out = []
        y, m = self.start.year, self.start.month
        d = date(y, m, 1)
        while d <= self.end:
            if d >= self.start and (m - 1) % step == 0:
                out.append(d)
            m += 1
            if m > 12:
                y, m = y + 1, 1
            d = date(y, m, 1)
        return out


SHORT_MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _tick_label(d: date) -> str:
    return f"{SHORT_MONTHS[d.month - 1]} {d.year}" if d.month == 1 else SHORT_MONTHS[d.month - 1]


def _axis_svg(axis: TimeAxis, top: float, bottom: float) -> list[str]:
    """Month grid lines over [top, bottom] with labels above ``top``."""
    out = []
    for d in axis.ticks():
        x = _fmt(axis.x(d))
        strong = d.month == 1
        out.append(
            f'<line class="grid{" year" if strong else ""}" x1="{x}" x2="{x}" '
            f'y1="{_fmt(top)}" y2="{_fmt(bottom)}"/>'
        )
        label = _tick_label(d) if not strong else str(d.year)
        out.append(
            f'<text class="tick{" year" if strong else ""}" x="{x}" y="{_fmt(top - 6)}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return out


def _today_svg(axis: TimeAxis, today: date, top: float, bottom: float) -> list[str]:
    if not axis.start <= today <= axis.end:
        return []
    x = _fmt(axis.x(today))
    return [
        f'<line class="today" x1="{x}" x2="{x}" y1="{_fmt(top)}" y2="{_fmt(bottom)}">'
        f"<title>Planlægningsdato (planning_date) {today.isoformat()}</title></line>"
    ]


def _svg(width: float, height: float, ident: str, label: str, body: Iterable[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" '
        f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" width="{_fmt(width)}" '
        f'height="{_fmt(height)}" role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + "\n".join(body) + "</svg>")


def plan_span(scenario: Scenario, plan: Plan | None) -> tuple[date, date]:
    """The dates a chart of ``plan`` must show, padded to whole months."""
    dates = [scenario.policy.planning_date]
    for s in scenario.stages:
        dates += [rules.stage_notice_date(scenario, s), s.start, s.end]
        dates.append(scenario.date_of(rules.back_day(scenario, s)))
    if plan is not None:
        for t in plan.places:
            dates += [t.collected_from, t.released]
            for seg in t.segments:
                dates += [seg.start, seg.end]
        for hp in plan.households:
            dates += [hp.notice_date, hp.move_out]
            if hp.return_date:
                dates.append(hp.return_date)
    lo, hi = min(dates), max(dates)
    start = date(lo.year, lo.month, 1)
    hi += timedelta(days=1)
    end = date(hi.year + (hi.month == 12), hi.month % 12 + 1, 1)
    return start, end


# -- chart data ----------------------------------------------------------------------


def _step_series(intervals: Iterable[tuple[date, date]]) -> list[tuple[date, int]]:
    """Count of open intervals [a, b) as (date, count from that date) change points."""
    delta: dict[date, int] = {}
    for a, b in intervals:
        if b <= a:
            continue
        delta[a] = delta.get(a, 0) + 1
        delta[b] = delta.get(b, 0) - 1
    out: list[tuple[date, int]] = []
    level = 0
    for d in sorted(delta):
        level += delta[d]
        out.append((d, level))
    return out


def displaced_intervals(plan: Plan) -> list[tuple[date, date]]:
    """[move-out, return) of every household with a temporary stay."""
    return [
        (hp.move_out, hp.return_date)
        for hp in plan.households
        if hp.mode is Mode.TEMPORARY and hp.return_date is not None
    ]


def pool_intervals(plan: Plan) -> list[tuple[date, date]]:
    """[collected_from, released) of every place used for stays or held spare.

    A place whose last use is a spare hold on the released day itself counts
    on that day too.
    """
    out = []
    for t in plan.places:
        uses = [s for s in t.segments if s.kind in (SegmentKind.OCCUPIED, SegmentKind.SPARE)]
        if not uses:
            continue
        end = max([t.released] + [s.end + timedelta(days=1) for s in uses if s.end == s.start])
        out.append((t.collected_from, end))
    return out


def value_at(series: Sequence[tuple[date, int]], d: date) -> int:
    """Value of a step series on day ``d``."""
    level = 0
    for when, value in series:
        if when > d:
            break
        level = value
    return level


# -- SVG charts ------------------------------------------------------------------------


def _segment_title(t: PlaceTimeline, seg: Segment) -> str:
    what = SEGMENT_DA[seg.kind]
    who = f" · husstand {seg.household}" if seg.household else ""
    stage = f" · etape {seg.stage}" if seg.stage else ""
    when = (
        seg.start.isoformat()
        if seg.start == seg.end
        else f"{seg.start.isoformat()} – {seg.end.isoformat()} ({(seg.end - seg.start).days} dage)"
    )
    return f"{t.place}: {what} ({seg.kind.value}){who}{stage} · {when}"


def gantt_svg(scenario: Scenario, plan: Plan, *, width: float = 1200) -> Markup:
    """The Gantt chart of all rehousing places as inline SVG.

    Every segment of every place timeline is one element of class ``seg``
    (a ``rect`` for a stretch, a marker ``path`` for a zero-length spare or
    permanent segment) with ``data-kind``, ``data-place``, ``data-start``,
    ``data-end`` and, where set, ``data-household`` and ``data-stage``.
    """
    colours = stage_colours(scenario)
    start, end = plan_span(scenario, plan)
    left, right, top, row_h, bar_h, group_h = 200.0, 16.0, 34.0, 18.0, 12.0, 20.0
    axis = TimeAxis(start, end, left, width - right)
    places = ordered_places(plan)
    rows: list[tuple[str, Any]] = []
    last_source: Source | None = None
    for t in places:
        if t.source is not last_source:
            count = sum(1 for p in places if p.source is t.source)
            rows.append(("group", (t.source, count)))
            last_source = t.source
        rows.append(("place", t))
    height = top + sum(group_h if kind == "group" else row_h for kind, _ in rows) + 8
    body: list[str] = [
        "<defs>"
        '<pattern id="gantt-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#eeeeee"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HELD_EMPTY_COLOUR}" stroke-width="2.2"/>'
        "</pattern></defs>"
    ]
    for s in scenario.stages:
        x0, x1 = axis.x(s.start), axis.x(s.end)
        body.append(
            f'<rect class="works-band" x="{_fmt(x0)}" y="{_fmt(top)}" width="{_fmt(x1 - x0)}" '
            f'height="{_fmt(height - top - 8)}" fill="{colours[s.id]}" fill-opacity="0.07">'
            f"<title>{escape(stage_title(s))}: byggeperiode {s.start.isoformat()} – "
            f"{s.end.isoformat()}</title></rect>"
        )
    body += _axis_svg(axis, top, height - 8)
    y = top
    for kind, item in rows:
        if kind == "group":
            source, count = item
            body.append(
                f'<text class="group" x="4" y="{_fmt(y + group_h - 6)}">'
                f"{escape(SOURCE_DA[source].capitalize())} ({escape(source.value)}): "
                f"{count}</text>"
                f'<line class="group-line" x1="0" x2="{_fmt(width)}" y1="{_fmt(y + group_h - 1)}" '
                f'y2="{_fmt(y + group_h - 1)}"/>'
            )
            y += group_h
            continue
        tl: PlaceTimeline = item
        mid = y + row_h / 2
        label = tl.place if tl.pavilion_type is None else f"{tl.place} ({tl.pavilion_type})"
        body.append(
            f'<g class="place-row" data-place="{escape(tl.place)}">'
            f'<text class="row-label" x="12" y="{_fmt(mid + 4)}">{escape(label)}'
            f"<title>{escape(tl.place)} · {escape(SOURCE_DA[tl.source])} · indsamlet "
            f"(collected_from) {tl.collected_from.isoformat()} · frigivet (released) "
            f"{tl.released.isoformat()}</title></text>"
            f'<line class="span" x1="{_fmt(axis.x(tl.collected_from))}" '
            f'x2="{_fmt(axis.x(tl.released))}" y1="{_fmt(mid)}" y2="{_fmt(mid)}"/>'
        )
        # Markers (zero-length segments) last, so that no bar covers them.
        for seg in sorted(tl.segments, key=lambda g: g.end <= g.start):
            body.append(_segment_svg(axis, tl, seg, mid, bar_h, colours))
        body.append("</g>")
        y += row_h
    body += _today_svg(axis, scenario.policy.planning_date, top, height - 8)
    return _svg(width, height, "gantt", "Gantt-diagram over genhusningsboliger", body)


def _segment_svg(
    axis: TimeAxis,
    t: PlaceTimeline,
    seg: Segment,
    mid: float,
    bar_h: float,
    colours: Mapping[str, str],
) -> str:
    data = (
        f'data-kind="{seg.kind.value}" data-place="{escape(t.place)}" '
        f'data-start="{seg.start.isoformat()}" data-end="{seg.end.isoformat()}"'
    )
    if seg.household:
        data += f' data-household="{escape(seg.household)}"'
    if seg.stage:
        data += f' data-stage="{escape(seg.stage)}"'
    title = f"<title>{escape(_segment_title(t, seg))}</title>"
    colour = colours.get(seg.stage or "", "#555555")
    x0 = axis.x(seg.start)
    if seg.kind in (SegmentKind.SPARE, SegmentKind.PERMANENT) or seg.end <= seg.start:
        if seg.kind is SegmentKind.PERMANENT:
            path = f"M{_fmt(x0)},{_fmt(mid - 6)} l6,12 h-12 z"
            style = f'fill="{PERMANENT_COLOUR}"'
        else:
            path = f"M{_fmt(x0)},{_fmt(mid - 6)} l6,6 l-6,6 l-6,-6 z"
            style = f'fill="#ffffff" stroke="{colour}" stroke-width="2"'
        return f'<path class="seg seg-{seg.kind.value}" d="{path}" {style} {data}>{title}</path>'
    x1 = axis.x(seg.end)
    w = max(1.0, x1 - x0)
    geom = f'x="{_fmt(x0)}" y="{_fmt(mid - bar_h / 2)}" width="{_fmt(w)}" height="{_fmt(bar_h)}"'
    if seg.kind is SegmentKind.OCCUPIED:
        style = f'fill="{colour}"'
    elif seg.kind is SegmentKind.TIME_LIMITED:
        style = f'fill="{TIME_LIMITED_COLOUR}" stroke="{TIME_LIMITED_EDGE}"'
    else:
        style = f'fill="url(#gantt-hatch)" stroke="{HELD_EMPTY_COLOUR}"'
    out = f'<rect class="seg seg-{seg.kind.value}" {geom} {style} {data}>{title}</rect>'
    if seg.kind is SegmentKind.OCCUPIED and seg.household and w > 7 * len(seg.household) + 6:
        out += (
            f'<text class="bar-label" x="{_fmt(x0 + 4)}" y="{_fmt(mid + 3.5)}">'
            f"{escape(seg.household)}</text>"
        )
    return out


def stages_svg(scenario: Scenario, plan: Plan | None, *, width: float = 1200) -> Markup:
    """The stage timeline as inline SVG.

    Per stage: the notice date (filled triangle) and legal notice date (open
    triangle), the displacement window [move-out, return) as a light bar and
    the works [start, end) as a solid bar.
    """
    colours = stage_colours(scenario)
    start, end = plan_span(scenario, plan)
    left, right, top, row_h = 200.0, 16.0, 34.0, 34.0
    axis = TimeAxis(start, end, left, width - right)
    height = top + row_h * len(scenario.stages) + 10
    body = _axis_svg(axis, top, height - 10)
    for i, s in enumerate(scenario.stages):
        y = top + i * row_h
        mid = y + row_h / 2
        colour = colours[s.id]
        out_d = scenario.date_of(rules.move_out_day(scenario, s))
        back_d = scenario.date_of(rules.back_day(scenario, s))
        notice = rules.stage_notice_date(scenario, s)
        legal = rules.stage_legal_notice_date(scenario, s)
        xo, xb, xs, xe = axis.x(out_d), axis.x(back_d), axis.x(s.start), axis.x(s.end)
        body.append(
            f'<g class="stage-row" data-stage="{escape(s.id)}">'
            f'<text class="row-label" x="8" y="{_fmt(mid + 4)}">'
            f"{escape(_short(stage_title(s), 30))}<title>{escape(stage_title(s))}</title></text>"
            f'<rect class="window" x="{_fmt(xo)}" y="{_fmt(mid - 9)}" width="{_fmt(xb - xo)}" '
            f'height="18" fill="{colour}" fill-opacity="0.25" stroke="{colour}">'
            f"<title>Genhusningsperiode: fraflytning (move_out) {out_d.isoformat()} – "
            f"tilbageflytning (return) {back_d.isoformat()}</title></rect>"
            f'<rect class="works" x="{_fmt(xs)}" y="{_fmt(mid - 5)}" width="{_fmt(xe - xs)}" '
            f'height="10" fill="{colour}">'
            f"<title>Byggeperiode (works) {s.start.isoformat()} – {s.end.isoformat()}</title>"
            "</rect>"
        )
        for d, css, text, filled in (
            (notice, "notice", "Opsigelse senest (notice_date, R3)", True),
            (legal, "legal-notice", "Lovpligtig opsigelsesfrist (3 måneder)", False),
        ):
            x = axis.x(d)
            fill = PERMANENT_COLOUR if filled else "#ffffff"
            body.append(
                f'<path class="marker {css}" d="M{_fmt(x - 6)},{_fmt(mid - 15)} h12 l-6,9 z" '
                f'fill="{fill}" stroke="{PERMANENT_COLOUR}">'
                f"<title>{escape(text)}: {d.isoformat()}</title></path>"
            )
        body.append(
            f'<text class="date-label" x="{_fmt(xo)}" y="{_fmt(mid + 17)}" '
            f'text-anchor="middle">{out_d.strftime("%d.%m.%y")}</text>'
            f'<text class="date-label" x="{_fmt(xb)}" y="{_fmt(mid + 17)}" '
            f'text-anchor="middle">{back_d.strftime("%d.%m.%y")}</text></g>'
        )
    body += _today_svg(axis, scenario.policy.planning_date, top, height - 10)
    return _svg(width, height, "stages", "Etapernes tidsplan", body)


def _nice_step(top: float, ticks: int = 5) -> float:
    if top <= 0:
        return 1.0
    raw = top / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def pool_svg(scenario: Scenario, plan: Plan, *, width: float = 1200) -> Markup:
    """Displaced households against the collected pool over time, as inline SVG.

    Both are step lines; the blue band between them is the overcapacity
    margin. Dashed lines mark each stage's move-out day with its pool and
    displaced count (R10).
    """
    start, end = plan_span(scenario, plan)
    left, right, top, bottom = 60.0, 16.0, 38.0, 44.0
    height = 330.0
    axis = TimeAxis(start, end, left, width - right)
    displaced = _step_series(displaced_intervals(plan))
    pool = _step_series(pool_intervals(plan))
    peak = max([v for _, v in displaced + pool] + [1])
    step = max(1.0, _nice_step(peak))
    ymax = step * math.ceil(peak / step)
    y0, y1 = height - bottom, top

    def yv(v: float) -> float:
        return y0 - (y0 - y1) * v / ymax

    body = _axis_svg(axis, top, y0)
    k = 0.0
    while k <= ymax + 1e-9:
        body.append(
            f'<line class="grid" x1="{_fmt(left)}" x2="{_fmt(width - right)}" '
            f'y1="{_fmt(yv(k))}" y2="{_fmt(yv(k))}"/>'
            f'<text class="tick" x="{_fmt(left - 6)}" y="{_fmt(yv(k) + 4)}" '
            f'text-anchor="end">{dk_number(k)}</text>'
        )
        k += step

    def area(series: Sequence[tuple[date, int]]) -> str:
        if not series:
            return ""
        pts = [f"M{_fmt(axis.x(series[0][0]))},{_fmt(y0)}"]
        for i, (d, v) in enumerate(series):
            x = axis.x(d)
            prev = series[i - 1][1] if i else 0
            pts.append(f"L{_fmt(x)},{_fmt(yv(prev))} L{_fmt(x)},{_fmt(yv(v))}")
        pts.append(f"L{_fmt(axis.x(series[-1][0]))},{_fmt(y0)} Z")
        return " ".join(pts)

    def line(series: Sequence[tuple[date, int]]) -> str:
        if not series:
            return ""
        pts = []
        for i, (d, v) in enumerate(series):
            x = axis.x(d)
            prev = series[i - 1][1] if i else 0
            pts.append(
                ("M" if i == 0 else "L") + f"{_fmt(x)},{_fmt(yv(prev))} L{_fmt(x)},{_fmt(yv(v))}"
            )
        return " ".join(pts)

    if pool:
        body.append(
            f'<path class="pool-area" d="{area(pool)}" fill="{POOL_COLOUR}" fill-opacity="0.18"/>'
        )
    if displaced:
        body.append(
            f'<path class="displaced-area" d="{area(displaced)}" fill="#ffffff"/>'
            f'<path class="displaced-area" d="{area(displaced)}" fill="{DISPLACED_COLOUR}" '
            'fill-opacity="0.18"/>'
        )
    if pool:
        body.append(
            f'<path class="pool-line" d="{line(pool)}" fill="none" stroke="{POOL_COLOUR}" '
            'stroke-width="2"><title>Indsamlede pladser (pool)</title></path>'
        )
    if displaced:
        body.append(
            f'<path class="displaced-line" d="{line(displaced)}" fill="none" '
            f'stroke="{DISPLACED_COLOUR}" stroke-width="2"><title>Genhusede husstande '
            "(displaced)</title></path>"
        )
    kpis = {k.stage: k for k in plan.kpis.stages}
    for i, s in enumerate(scenario.stages):
        d = scenario.date_of(rules.move_out_day(scenario, s))
        x = _fmt(axis.x(d))
        kpi = kpis.get(s.id)
        text = s.id
        if kpi is not None and kpi.displaced:
            over = "" if kpi.overcapacity is None else f" (+{round(kpi.overcapacity * 100)} %)"
            text += f": {kpi.pool}/{kpi.displaced}{over}"
        label_y = y0 + 16 + 13 * (i % 2)
        body.append(
            f'<line class="stage-mark" x1="{x}" x2="{x}" y1="{_fmt(y1)}" y2="{_fmt(label_y - 10)}">'
            f"<title>{escape(stage_title(s))}: fraflytning {d.isoformat()}</title></line>"
            f'<text class="stage-mark-label" x="{x}" y="{_fmt(label_y)}" text-anchor="middle">'
            f"{escape(text)}<title>pool/genhusede (overkapacitet) ved {escape(stage_title(s))}s "
            f"fraflytning {d.isoformat()}</title></text>"
        )
    body += _today_svg(axis, scenario.policy.planning_date, top, y0)
    return _svg(width, height, "pool", "Genhusede husstande og indsamlede pladser", body)


def _stage_costs(plan: Plan) -> list[tuple[str, dict[CostCategory, float], float]]:
    return [(c.stage, dict(c.by_category), c.total) for c in plan.costs if c.stage != "total"]


def costs_svg(scenario: Scenario, plan: Plan, *, width: float = 1200) -> Markup:
    """Cost per stage as stacked bars by budget category, as inline SVG."""
    names = {s.id: stage_title(s) for s in scenario.stages}
    stages = _stage_costs(plan)
    left, right, top, bottom, legend_w = 90.0, 16.0, 24.0, 40.0, 300.0
    height = 340.0
    plot_right = width - right - legend_w
    peak = max([total for _, _, total in stages] + [1.0])
    step = _nice_step(peak)
    ymax = step * math.ceil(peak / step)
    y0 = height - bottom

    def yv(v: float) -> float:
        return y0 - (y0 - top) * v / ymax

    body: list[str] = []
    k = 0.0
    while k <= ymax + 1e-9:
        body.append(
            f'<line class="grid" x1="{_fmt(left)}" x2="{_fmt(plot_right)}" '
            f'y1="{_fmt(yv(k))}" y2="{_fmt(yv(k))}"/>'
            f'<text class="tick" x="{_fmt(left - 6)}" y="{_fmt(yv(k) + 4)}" '
            f'text-anchor="end">{dk_number(k)}</text>'
        )
        k += step
    n = max(1, len(stages))
    slot = (plot_right - left) / n
    bar_w = min(80.0, slot * 0.6)
    for i, (stage, by_cat, total) in enumerate(stages):
        x = left + slot * i + (slot - bar_w) / 2
        base = 0.0
        for cat in CostCategory:
            v = by_cat.get(cat, 0.0)
            if v <= 0:
                continue
            yt, yb = yv(base + v), yv(base)
            body.append(
                f'<rect class="cost" data-stage="{escape(stage)}" data-category="{cat.value}" '
                f'x="{_fmt(x)}" y="{_fmt(yt)}" width="{_fmt(bar_w)}" height="{_fmt(yb - yt)}" '
                f'fill="{CATEGORY_COLOURS[cat]}"><title>{escape(names.get(stage, stage))} · '
                f"{escape(CATEGORY_DA[cat])} ({cat.value}): {escape(dkk(v))}</title></rect>"
            )
            base += v
        cx = _fmt(x + bar_w / 2)
        body.append(
            f'<text class="bar-total" x="{cx}" y="{_fmt(yv(total) - 5)}" '
            f'text-anchor="middle">{escape(dk_number(total))}</text>'
            f'<text class="tick" x="{cx}" y="{_fmt(y0 + 16)}" text-anchor="middle">'
            f"{escape(stage)}<title>{escape(names.get(stage, stage))}</title></text>"
        )
    used = [c for c in CostCategory if any(b.get(c, 0.0) > 0 for _, b, _ in stages)]
    for j, cat in enumerate(reversed(used)):
        ly = top + j * 20
        lx = width - right - legend_w + 20
        body.append(
            f'<rect x="{_fmt(lx)}" y="{_fmt(ly)}" width="12" height="12" '
            f'fill="{CATEGORY_COLOURS[cat]}"/>'
            f'<text class="legend" x="{_fmt(lx + 18)}" y="{_fmt(ly + 10)}">'
            f"{escape(CATEGORY_DA[cat])}</text>"
        )
    body.append(f'<text class="tick" x="{_fmt(left)}" y="{_fmt(top - 8)}">kr. (DKK)</text>')
    return _svg(width, height, "costs", "Omkostninger pr. etape og kategori", body)


# -- PNG charts ----------------------------------------------------------------------


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _date_num(d: date) -> float:
    return float(mdates.date2num(d))  # type: ignore[no-untyped-call]


def gantt_png(scenario: Scenario, plan: Plan) -> bytes:
    """The Gantt chart as PNG bytes."""
    colours = stage_colours(scenario)
    places = ordered_places(plan)
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
            colour = colours.get(seg.stage or "", "#555555")
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
    _date_axis(ax)
    ax.tick_params(axis="x", top=True, labeltop=True)
    ax.axvline(_date_num(scenario.policy.planning_date), color="#c0392b", linestyle="--")
    ax.set_title("Genhusningsboliger og pavillonmoduler (Gantt)", pad=18)
    handles = [_patch(colours[s.id], f"{s.id}: beboet") for s in scenario.stages] + [
        _patch("#eeeeee", "Holdt tom (held_empty)", hatch="///", edge=HELD_EMPTY_COLOUR),
        _patch(TIME_LIMITED_COLOUR, "Tidsbegrænset udlejet", edge=TIME_LIMITED_EDGE),
        Line2D(
            [],
            [],
            marker="D",
            linestyle="",
            markerfacecolor="white",
            markeredgecolor="#555555",
            label="Reserve (spare)",
        ),
        Line2D([], [], marker="^", linestyle="", color=PERMANENT_COLOUR, label="Permanent udlejet"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return _png(fig)


def _patch(colour: str, label: str, *, hatch: str | None = None, edge: str | None = None) -> Any:
    return Patch(facecolor=colour, edgecolor=edge or colour, hatch=hatch, label=label)


def _dk_month_label(value: float, _pos: int | None = None) -> str:
    when = mdates.num2date(value)  # type: ignore[no-untyped-call]
    return _tick_label(date(when.year, when.month, when.day)) if when.day == 1 else ""


def _date_axis(ax: Any) -> None:
    months = range(1, 13, _month_step(ax))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=months))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(FuncFormatter(_dk_month_label))
    ax.grid(axis="x", color="#dddddd")


def _month_step(ax: Any) -> int:
    lo, hi = ax.get_xlim()
    months = (hi - lo) / 30.4
    return next((s for s in (1, 2, 3, 6) if months / s <= 16), 12)


def stages_png(scenario: Scenario) -> bytes:
    """The stage timeline as PNG bytes."""
    colours = stage_colours(scenario)
    n = len(scenario.stages)
    fig = Figure(figsize=(12, 1.4 + 0.6 * n), layout="constrained")
    ax = fig.add_subplot()
    for i, s in enumerate(scenario.stages):
        y = n - 1 - i
        out_d = scenario.date_of(rules.move_out_day(scenario, s))
        back_d = scenario.date_of(rules.back_day(scenario, s))
        c = colours[s.id]
        ax.broken_barh(
            [(_date_num(out_d), _date_num(back_d) - _date_num(out_d))],
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
        ax.plot(
            _date_num(rules.stage_notice_date(scenario, s)), y + 0.4, "v", color=PERMANENT_COLOUR
        )
        ax.plot(
            _date_num(rules.stage_legal_notice_date(scenario, s)),
            y + 0.4,
            "v",
            markerfacecolor="white",
            markeredgecolor=PERMANENT_COLOUR,
        )
    ax.set_yticks(range(n))
    ax.set_yticklabels([_short(stage_title(s), 40) for s in reversed(scenario.stages)])
    ax.set_ylim(-0.8, n - 0.1)
    _date_axis(ax)
    ax.axvline(_date_num(scenario.policy.planning_date), color="#c0392b", linestyle="--")
    ax.set_title("Etaper: opsigelse (▼), genhusningsperiode og byggeperiode")
    return _png(fig)


def pool_png(scenario: Scenario, plan: Plan) -> bytes:
    """Displaced households against the collected pool, as PNG bytes."""
    fig = Figure(figsize=(12, 4), layout="constrained")
    ax = fig.add_subplot()
    for series, colour, label in (
        (_step_series(pool_intervals(plan)), POOL_COLOUR, "Indsamlede pladser (pool)"),
        (_step_series(displaced_intervals(plan)), DISPLACED_COLOUR, "Genhusede (displaced)"),
    ):
        if not series:
            continue
        xs = [_date_num(d) for d, _ in series]
        ys = [v for _, v in series]
        ax.step(xs, ys, where="post", color=colour, label=label)
        ax.fill_between(xs, ys, step="post", color=colour, alpha=0.15)
    for s in scenario.stages:
        d = scenario.date_of(rules.move_out_day(scenario, s))
        ax.axvline(_date_num(d), color="#666666", linestyle=":", linewidth=1)
    _date_axis(ax)
    ax.set_ylabel("Antal")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Genhusede husstande og indsamlede pladser (overkapacitet)")
    return _png(fig)


def costs_png(scenario: Scenario, plan: Plan) -> bytes:
    """Cost per stage and category as a stacked bar chart, PNG bytes."""
    stages = _stage_costs(plan)
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax = fig.add_subplot()
    xs = list(range(len(stages)))
    bottoms = [0.0] * len(stages)
    for cat in CostCategory:
        vals = [b.get(cat, 0.0) for _, b, _ in stages]
        if not any(v > 0 for v in vals):
            continue
        ax.bar(xs, vals, bottom=bottoms, color=CATEGORY_COLOURS[cat], label=CATEGORY_DA[cat])
        bottoms = [b + v for b, v in zip(bottoms, vals, strict=True)]
    ax.set_xticks(xs)
    ax.set_xticklabels([s for s, _, _ in stages])
    ax.set_ylabel("kr. (DKK)")
    ax.yaxis.set_major_formatter(_dk_formatter())
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("Omkostninger pr. etape og budgetkategori")
    return _png(fig)


def _dk_formatter() -> Any:
    return FuncFormatter(lambda v, _pos: dk_number(v))


def write_pngs(out_dir: Path | str, scenario: Scenario, plan: Plan | None) -> list[Path]:
    """Save the charts as PNG files in ``out_dir``.

    Without a plan only ``stages.png`` is written, and plan charts left by an
    earlier run are removed so the directory never mixes two runs.
    """
    out = Path(out_dir)
    written = [write_file(out / "stages.png", stages_png(scenario))]
    if plan is None:
        for name in ("gantt.png", "pool.png", "costs.png"):
            (out / name).unlink(missing_ok=True)
    else:
        written.append(write_file(out / "gantt.png", gantt_png(scenario, plan)))
        written.append(write_file(out / "pool.png", pool_png(scenario, plan)))
        written.append(write_file(out / "costs.png", costs_png(scenario, plan)))
    return written


# -- tables --------------------------------------------------------------------------


def _kpi_rows(plan: Plan) -> list[tuple[str, str, str]]:
    k = plan.kpis
    total = next((c.total for c in plan.costs if c.stage == "total"), None)
    if total is None:
        total = sum(c.total for c in plan.costs)
    rows = [
        ("Samlet omkostning", "total cost", dkk(total)),
        ("Huslejetab", "rent_loss", dkk(k.rent_loss)),
        ("Tomgangsdage (holdt tom)", "vacancy_days", dk_number(k.vacancy_days)),
        ("Beboede dage i genhusningsboliger", "occupied_days", dk_number(k.occupied_days)),
        ("Dage tilbageholdt fra ventelisten (R16)", "withheld_days", dk_number(k.withheld_days)),
        ("Dage tidsbegrænset udlejet", "time_limited_days", dk_number(k.time_limited_days)),
        ("Flytninger", "moves", dk_number(k.moves)),
        ("Pavillonmoduler", "pavilion_modules", dk_number(k.pavilion_modules)),
        ("Ønskestraf (ikke budget)", "penalties", dkk(plan.penalties)),
    ]
    labels: dict[str, str] = {m.value: MODE_DA[m] for m in Mode}
    labels.update({src.value: SOURCE_DA[src] for src in Source})
    for mode, n in sorted(k.households_by_mode.items()):
        rows.append(
            (f"Husstande: {labels.get(mode, mode)}", f"households_by_mode.{mode}", dk_number(n))
        )
    for source, n in sorted(k.households_by_source.items()):
        rows.append(
            (
                f"Husstande efter kilde: {labels.get(source, source)}",
                f"households_by_source.{source}",
                dk_number(n),
            )
        )
    return rows


def _cost_table(plan: Plan) -> dict[str, Any]:
    stages = [c for c in plan.costs if c.stage != "total"]
    total = next((c for c in plan.costs if c.stage == "total"), None)
    cats = [c for c in CostCategory if any(s.by_category.get(c, 0.0) for s in plan.costs)]
    rows = []
    for cat in cats:
        row = [dk_number(s.by_category.get(cat, 0.0), 2) for s in stages]
        tot = (
            total.by_category.get(cat, 0.0)
            if total
            else sum(s.by_category.get(cat, 0.0) for s in stages)
        )
        rows.append(
            {"label": CATEGORY_DA[cat], "key": cat.value, "values": row, "total": dk_number(tot, 2)}
        )
    grand = total.total if total else sum(s.total for s in stages)
    return {
        "stages": [s.stage for s in stages],
        "rows": rows,
        "totals": [dk_number(s.total, 2) for s in stages],
        "total": dk_number(grand, 2),
    }


def _household_rows(scenario: Scenario, plan: Plan) -> list[dict[str, str]]:
    rows = []
    for hp in sorted(plan.households, key=lambda h: (h.stage, _natural(h.household))):
        h = scenario.household(hp.household)
        rows.append(
            {
                "household": hp.household,
                "name": h.name,
                "stage": hp.stage,
                "mode": MODE_SHORT[hp.mode],
                "mode_key": hp.mode.value,
                "notice_date": hp.notice_date.isoformat(),
                "move_out": hp.move_out.isoformat(),
                "place": hp.place or "",
                "source": SOURCE_SHORT[hp.place_source] if hp.place_source else "",
                "return_date": hp.return_date.isoformat() if hp.return_date else "",
                "return_letter_date": hp.return_letter_date.isoformat()
                if hp.return_letter_date
                else "",
                "after_dwelling": hp.after_dwelling or "",
                "permanent_dwelling": hp.permanent_dwelling or "",
                "persons": str(h.persons),
                "needs": ", ".join(
                    x
                    for x, on in (
                        ("kørestol", h.wheelchair),
                        ("niveaufri", h.step_free),
                        ("ældre", h.elderly),
                        ("handicap", h.disabled),
                        ("opmagasinering", h.storage),
                    )
                    if on
                ),
            }
        )
    return rows


def _stage_rows(scenario: Scenario, plan: Plan | None) -> list[dict[str, str]]:
    kpis = {k.stage: k for k in plan.kpis.stages} if plan else {}
    today = scenario.policy.planning_date
    out = []
    for s in scenario.stages:
        k = kpis.get(s.id)
        notice = rules.stage_notice_date(scenario, s)
        over = ""
        if k is not None and k.overcapacity is not None:
            over = f"{dk_number(k.overcapacity * 100, 0)} %"
        out.append(
            {
                "id": s.id,
                "name": stage_title(s),
                "notice": notice.isoformat(),
                "notice_late": "ja" if notice < today else "",
                "legal": rules.stage_legal_notice_date(scenario, s).isoformat(),
                "move_out": scenario.date_of(rules.move_out_day(scenario, s)).isoformat(),
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "back": scenario.date_of(rules.back_day(scenario, s)).isoformat(),
                "households": str(k.households) if k else "",
                "displaced": str(k.displaced) if k else "",
                "pool": str(k.pool) if k else "",
                "required": str(rules.required_pool(scenario, k.displaced)) if k else "",
                "short": "ja"
                if k is not None and k.pool < rules.required_pool(scenario, k.displaced)
                else "",
                "overcapacity": over,
            }
        )
    return out


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _activity_rows(df: pd.DataFrame, today: date) -> list[dict[str, str]]:
    out = []
    for rec in df.to_dict("records"):
        out.append(
            {
                "date": rec["date"].isoformat(),
                "past": "ja" if rec["date"] < today else "",
                "stage": str(rec["stage"] or ""),
                "household": _text(rec["household"]),
                "place": _text(rec["place"]),
                "activity": str(rec["activity"]),
                "activity_en": str(rec["activity_en"]),
                "rule": str(rec["rule"]),
            }
        )
    return out


def _stage_legend(scenario: Scenario) -> list[tuple[str, str]]:
    colours = stage_colours(scenario)
    return [(stage_title(s), colours[s.id]) for s in scenario.stages]


# -- the report ------------------------------------------------------------------------


def render_report(
    scenario: Scenario, result: Result, *, template_dir: Path | str | None = None
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    plan = result.plan
    env = environment(template_dir)
    context: dict[str, Any] = {
        "scenario": scenario,
        "result": result,
        "plan": plan,
        "status_da": STATUS_DA[result.status],
        "objective": dkk(result.objective) if result.objective is not None else "",
        "bound": dkk(result.bound) if result.bound is not None else "",
        "gap": f"{dk_number(result.gap * 100, 2)} %" if result.gap is not None else "",
        "runtime": dk_number(result.runtime, 1),
        "stage_rows": _stage_rows(scenario, plan),
        "stage_legend": _stage_legend(scenario),
        "stages_svg": stages_svg(scenario, plan),
        "colours": {
            "held_empty": HELD_EMPTY_COLOUR,
            "time_limited": TIME_LIMITED_COLOUR,
            "time_limited_edge": TIME_LIMITED_EDGE,
            "permanent": PERMANENT_COLOUR,
            "pool": POOL_COLOUR,
            "displaced": DISPLACED_COLOUR,
        },
        "notice_warnings": rules.notice_warnings(scenario),
    }
    if plan is not None:
        segments = sum(len(t.segments) for t in plan.places)
        context.update(
            gantt_svg=gantt_svg(scenario, plan),
            pool_svg=pool_svg(scenario, plan),
            costs_svg=costs_svg(scenario, plan),
            segment_count=segments,
            place_count=len(plan.places),
            kpi_rows=_kpi_rows(plan),
            cost_table=_cost_table(plan),
            household_rows=_household_rows(scenario, plan),
            activity_rows=_activity_rows(
                activity_plan(scenario, plan), scenario.policy.planning_date
            ),
        )
    return env.get_template("report.html").render(context)


def write_report(
    out_dir: Path | str,
    scenario: Scenario,
    result: Result,
    *,
    template_dir: Path | str | None = None,
    pngs: bool = True,
) -> Path:
    """Write ``report.html`` (self-contained) and the PNG charts into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output directory; created if needed.
    scenario
        The case that was planned.
    result
        What :func:`allocator.solve` returned. Without a plan the report shows
        the status, the warnings and the stage timeline only.
    template_dir
        An organisation's own ``report.html`` template (optional).
    pngs
        Also save ``gantt.png``, ``stages.png``, ``pool.png`` and
        ``costs.png`` (only ``stages.png`` without a plan).

    Returns
    -------
    pathlib.Path
        The path of ``report.html``. Every file is written atomically.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_report(scenario, result, template_dir=template_dir)
    if pngs:
        write_pngs(out, scenario, result.plan)
    return write_file(out / "report.html", html)


__all__ = [
    "costs_svg",
    "gantt_svg",
    "pool_svg",
    "render_report",
    "stages_svg",
    "write_pngs",
    "write_report",
]
