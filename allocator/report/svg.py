"""The report's four charts as inline SVG, drawn from :class:`ChartData`.

1. :func:`gantt_svg`: every rehousing place (dwelling or pavilion module),
   one bar per timeline segment: occupied stays coloured by stage, held
   empty hatched grey, time-limited leases light blue, spare (overcapacity)
   and permanent lettings as markers;
2. :func:`stages_svg`: notice dates, move-out day, works [start, end) and
   return day of every stage;
3. :func:`pool_svg`: displaced households over time against the pool of
   collected places, the gap between them being the overcapacity margin (R10);
4. :func:`costs_svg`: the cost by budget category and stage as stacked bars.

Every mark carries a ``<title>`` (shown on hover) and ``data-`` attributes
that the page's script and the browser tests read. The PNG versions are
:mod:`allocator.report.png`; both draw what :mod:`allocator.report.data`
derived.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Final

from markupsafe import Markup

from allocator.i18n import DEFAULT_LANG, N_, Lang, day, gettext, money, ngettext, number
from allocator.labels import label as code_label
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
from models.plan import PlaceTimeline, Segment, SegmentKind

#: Words of the charts' hover titles, looked up by :func:`_word`.
_WORDS: Final = {
    "planning": N_("Planning date"),
    "works": N_("works"),
    "Works": N_("Works"),
    "collected": N_("collected"),
    "released": N_("released"),
    "window": N_("Rehousing period: move-out"),
    "return": N_("return"),
    "move-out": N_("move-out"),
    "displaced": N_("Rehoused households"),
    "pool": N_("Collected places (pool)"),
}


def _word(key: str, lang: Lang) -> str:
    """A chart word in ``lang``, escaped for SVG."""
    return escape(gettext(_WORDS[key], lang))


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


def _axis_svg(axis: TimeAxis, top: float, bottom: float, lang: Lang) -> list[str]:
    """Month grid lines over [top, bottom] with labels above ``top``."""
    out = []
    for d in axis.ticks():
        x = _fmt(axis.x(d))
        strong = d.month == 1
        out.append(
            f'<line class="grid{" year" if strong else ""}" x1="{x}" x2="{x}" '
            f'y1="{_fmt(top)}" y2="{_fmt(bottom)}"/>'
        )
        label = month_label(d, lang) if not strong else str(d.year)
        out.append(
            f'<text class="tick{" year" if strong else ""}" x="{x}" y="{_fmt(top - 6)}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return out


def _today_svg(axis: TimeAxis, today: date, top: float, bottom: float, lang: Lang) -> list[str]:
    if not axis.start <= today <= axis.end:
        return []
    x = _fmt(axis.x(today))
    return [
        f'<line class="today" x1="{x}" x2="{x}" y1="{_fmt(top)}" y2="{_fmt(bottom)}">'
        f"<title>{_word('planning', lang)} {escape(day(today, lang))}</title></line>"
    ]


def _svg(width: float, height: float, ident: str, label: str, body: Iterable[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" '
        f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" width="{_fmt(width)}" '
        f'height="{_fmt(height)}" role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + "\n".join(body) + "</svg>")


def _value_grid(
    yv_ticks: Iterable[tuple[float, float]], left: float, right: float, lang: Lang = DEFAULT_LANG
) -> list[str]:
    """Horizontal grid lines with their value labels, from (value, y) pairs."""
    return [
        f'<line class="grid" x1="{_fmt(left)}" x2="{_fmt(right)}" '
        f'y1="{_fmt(y)}" y2="{_fmt(y)}"/>'
        f'<text class="tick" x="{_fmt(left - 6)}" y="{_fmt(y + 4)}" '
        f'text-anchor="end">{number(k, lang)}</text>'
        for k, y in yv_ticks
    ]


def _nice_step(top: float, ticks: int = 5) -> float:
    if top <= 0:
        return 1.0
    raw = top / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def _steps(ymax: float, step: float) -> list[float]:
    """0, step, 2 step, ... up to ``ymax``."""
    out = []
    k = 0.0
    while k <= ymax + 1e-9:
        out.append(k)
        k += step
    return out


# -- 1. Gantt --------------------------------------------------------------------------


def _segment_title(t: PlaceTimeline, seg: Segment, lang: Lang) -> str:
    what = code_label(seg.kind, lang)
    who = " · " + gettext("household %(id)s", lang) % {"id": seg.household} if seg.household else ""
    stage = " · " + gettext("stage %(id)s", lang) % {"id": seg.stage} if seg.stage else ""
    days = (seg.end - seg.start).days
    when = (
        day(seg.start, lang, style="short")
        if seg.start == seg.end
        else f"{day(seg.start, lang, style='short')} – {day(seg.end, lang, style='short')} ("
        + ngettext("%(num)d day", "%(num)d days", days, lang) % {"num": days}
        + ")"
    )
    return f"{t.place}: {what}{who}{stage} · {when}"


def gantt_svg(charts: ChartData, *, width: float = 1200) -> Markup:
    """The Gantt chart of all rehousing places as inline SVG.

    Every segment of every place timeline is one element of class ``seg``
    (a ``rect`` for a stretch, a marker ``path`` for a zero-length spare or
    permanent segment) with ``data-kind``, ``data-place``, ``data-start``,
    ``data-end`` and, where set, ``data-household`` and ``data-stage``.
    """
    lang = charts.lang
    left, right, top, row_h, bar_h, group_h = 200.0, 16.0, 34.0, 18.0, 12.0, 20.0
    axis = TimeAxis(charts.start, charts.end, left, width - right)
    height = top + sum(group_h + row_h * len(g.places) for g in charts.groups) + 8
    body: list[str] = [
        "<defs>"
        '<pattern id="gantt-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#eeeeee"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HELD_EMPTY_COLOUR}" stroke-width="2.2"/>'
        "</pattern></defs>"
    ]
    for s in charts.stages:
        x0, x1 = axis.x(s.start), axis.x(s.end)
        body.append(
            f'<rect class="works-band" x="{_fmt(x0)}" y="{_fmt(top)}" width="{_fmt(x1 - x0)}" '
            f'height="{_fmt(height - top - 8)}" fill="{s.colour}" fill-opacity="0.07">'
            f"<title>{escape(s.title)}: {_word('works', lang)} "
            f"{escape(day(s.start, lang))} – {escape(day(s.end, lang))}</title></rect>"
        )
    body += _axis_svg(axis, top, height - 8, lang)
    y = top
    for group in charts.groups:
        body.append(
            f'<text class="group" x="4" y="{_fmt(y + group_h - 6)}">'
            f"{escape(code_label(group.source, lang).capitalize())}: "
            f"{len(group.places)}</text>"
            f'<line class="group-line" x1="0" x2="{_fmt(width)}" y1="{_fmt(y + group_h - 1)}" '
            f'y2="{_fmt(y + group_h - 1)}"/>'
        )
        y += group_h
        for tl in group.places:
            mid = y + row_h / 2
            label = tl.place if tl.pavilion_type is None else f"{tl.place} ({tl.pavilion_type})"
            body.append(
                f'<g class="place-row" data-place="{escape(tl.place)}">'
                f'<text class="row-label" x="12" y="{_fmt(mid + 4)}">{escape(label)}'
                f"<title>{escape(tl.place)} · {escape(code_label(tl.source, lang))} · "
                f"{_word('collected', lang)} {escape(day(tl.collected_from, lang))} · "
                f"{_word('released', lang)} {escape(day(tl.released, lang))}</title></text>"
                f'<line class="span" x1="{_fmt(axis.x(tl.collected_from))}" '
                f'x2="{_fmt(axis.x(tl.released))}" y1="{_fmt(mid)}" y2="{_fmt(mid)}"/>'
            )
            # Markers (zero-length segments) last, so that no bar covers them.
            for seg in sorted(tl.segments, key=lambda g: g.end <= g.start):
                body.append(_segment_svg(axis, tl, seg, mid, bar_h, charts.colour(seg.stage), lang))
            body.append("</g>")
            y += row_h
    body += _today_svg(axis, charts.today, top, height - 8, lang)
    return _svg(width, height, "gantt", gettext("Gantt chart of the rehousing places", lang), body)


def _segment_svg(
    axis: TimeAxis,
    t: PlaceTimeline,
    seg: Segment,
    mid: float,
    bar_h: float,
    colour: str,
    lang: Lang,
) -> str:
    data = (
        f'data-kind="{seg.kind.value}" data-place="{escape(t.place)}" '
        f'data-start="{seg.start.isoformat()}" data-end="{seg.end.isoformat()}"'
    )
    if seg.household:
        data += f' data-household="{escape(seg.household)}"'
    if seg.stage:
        data += f' data-stage="{escape(seg.stage)}"'
    title = f"<title>{escape(_segment_title(t, seg, lang))}</title>"
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


# -- 2. stage timeline -----------------------------------------------------------------


def stages_svg(charts: ChartData, *, width: float = 1200) -> Markup:
    """The stage timeline as inline SVG.

    Per stage: the notice date (filled triangle) and legal notice date (open
    triangle), the displacement window [move-out, return) as a light bar and
    the works [start, end) as a solid bar.
    """
    lang = charts.lang
    left, right, top, row_h = 200.0, 16.0, 34.0, 34.0
    axis = TimeAxis(charts.start, charts.end, left, width - right)
    height = top + row_h * len(charts.stages) + 10
    body = _axis_svg(axis, top, height - 10, lang)
    for i, s in enumerate(charts.stages):
        y = top + i * row_h
        mid = y + row_h / 2
        colour = s.colour
        out_d, back_d = s.move_out, s.back
        xo, xb, xs, xe = axis.x(out_d), axis.x(back_d), axis.x(s.start), axis.x(s.end)
        body.append(
            f'<g class="stage-row" data-stage="{escape(s.id)}">'
            f'<text class="row-label" x="8" y="{_fmt(mid + 4)}">'
            f"{escape(shorten(s.title, 30))}<title>{escape(s.title)}</title></text>"
            f'<rect class="window" x="{_fmt(xo)}" y="{_fmt(mid - 9)}" width="{_fmt(xb - xo)}" '
            f'height="18" fill="{colour}" fill-opacity="0.25" stroke="{colour}">'
            f"<title>{_word('window', lang)} "
            f"{escape(day(out_d, lang))} – {_word('return', lang)} "
            f"{escape(day(back_d, lang))}</title></rect>"
            f'<rect class="works" x="{_fmt(xs)}" y="{_fmt(mid - 5)}" width="{_fmt(xe - xs)}" '
            f'height="10" fill="{colour}">'
            f"<title>{_word('Works', lang)} {escape(day(s.start, lang))} – "
            f"{escape(day(s.end, lang))}</title>"
            "</rect>"
        )
        for d, css, text, filled in (
            (s.notice, "notice", gettext("Notice at the latest (R3)", lang), True),
            (s.legal_notice, "legal-notice", gettext("Legal notice deadline", lang), False),
        ):
            x = axis.x(d)
            fill = PERMANENT_COLOUR if filled else "#ffffff"
            body.append(
                f'<path class="marker {css}" d="M{_fmt(x - 6)},{_fmt(mid - 15)} h12 l-6,9 z" '
                f'fill="{fill}" stroke="{PERMANENT_COLOUR}">'
                f"<title>{escape(text)}: {escape(day(d, lang))}</title></path>"
            )
        body.append(
            f'<text class="date-label" x="{_fmt(xo)}" y="{_fmt(mid + 17)}" '
            f'text-anchor="middle">{escape(day(out_d, lang, style="short"))}</text>'
            f'<text class="date-label" x="{_fmt(xb)}" y="{_fmt(mid + 17)}" '
            f'text-anchor="middle">{escape(day(back_d, lang, style="short"))}</text></g>'
        )
    body += _today_svg(axis, charts.today, top, height - 10, lang)
    return _svg(width, height, "stages", gettext("Stage timeline", lang), body)


# -- 3. displaced against the pool -----------------------------------------------------


def pool_svg(charts: ChartData, *, width: float = 1200) -> Markup:
    """Displaced households against the collected pool over time, as inline SVG.

    Both are step lines; the blue band between them is the overcapacity
    margin. Dashed lines mark each stage's move-out day with its pool and
    displaced count (R10).
    """
    lang = charts.lang
    left, right, top, bottom = 60.0, 16.0, 38.0, 44.0
    height = 330.0
    axis = TimeAxis(charts.start, charts.end, left, width - right)
    displaced, pool = charts.displaced, charts.pool
    peak = max([v for _, v in (*displaced, *pool)] + [1])
    step = max(1.0, _nice_step(peak))
    ymax = step * math.ceil(peak / step)
    y0, y1 = height - bottom, top

    def yv(v: float) -> float:
        return y0 - (y0 - y1) * v / ymax

    body = _axis_svg(axis, top, y0, lang)
    body += _value_grid(((k, yv(k)) for k in _steps(ymax, step)), left, width - right, lang)

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
            f'stroke-width="2"><title>{_word("pool", lang)}</title></path>'
        )
    if displaced:
        body.append(
            f'<path class="displaced-line" d="{line(displaced)}" fill="none" '
            f'stroke="{DISPLACED_COLOUR}" stroke-width="2"><title>'
            f"{_word('displaced', lang)}</title></path>"
        )
    for i, s in enumerate(charts.stages):
        d = s.move_out
        x = _fmt(axis.x(d))
        kpi = s.kpi
        text = s.id
        if kpi is not None and kpi.displaced:
            over = "" if kpi.overcapacity is None else f" (+{round(kpi.overcapacity * 100)} %)"
            text += f": {kpi.pool}/{kpi.displaced}{over}"
        label_y = y0 + 16 + 13 * (i % 2)
        body.append(
            f'<line class="stage-mark" x1="{x}" x2="{x}" y1="{_fmt(y1)}" y2="{_fmt(label_y - 10)}">'
            f"<title>{escape(s.title)}: {_word('move-out', lang)} "
            f"{escape(day(d, lang))}</title></line>"
            f'<text class="stage-mark-label" x="{x}" y="{_fmt(label_y)}" text-anchor="middle">'
            f"{escape(text)}<title>"
            + escape(
                gettext("pool/rehoused (overcapacity) at the move-out of %(stage)s, %(day)s", lang)
                % {"stage": s.title, "day": day(d, lang)}
            )
            + "</title></text>"
        )
    body += _today_svg(axis, charts.today, top, y0, lang)
    title = gettext("Rehoused households and collected places", lang)
    return _svg(width, height, "pool", title, body)


# -- 4. costs --------------------------------------------------------------------------


def costs_svg(charts: ChartData, *, width: float = 1200) -> Markup:
    """Cost per stage as stacked bars by budget category, as inline SVG."""
    lang = charts.lang
    stages = charts.cost_stages
    left, right, top, bottom, legend_w = 90.0, 16.0, 24.0, 40.0, 300.0
    height = 340.0
    plot_right = width - right - legend_w
    peak = max([s.total for s in stages] + [1.0])
    step = _nice_step(peak)
    ymax = step * math.ceil(peak / step)
    y0 = height - bottom

    def yv(v: float) -> float:
        return y0 - (y0 - top) * v / ymax

    body = _value_grid(((k, yv(k)) for k in _steps(ymax, step)), left, plot_right, lang)
    n = max(1, len(stages))
    slot = (plot_right - left) / n
    bar_w = min(80.0, slot * 0.6)
    for i, stage in enumerate(stages):
        x = left + slot * i + (slot - bar_w) / 2
        base = 0.0
        for series in charts.cost_series:
            v = series.values[i]
            if v <= 0:
                continue
            yt, yb = yv(base + v), yv(base)
            body.append(
                f'<rect class="cost" data-stage="{escape(stage.id)}" '
                f'data-category="{series.category.value}" '
                f'x="{_fmt(x)}" y="{_fmt(yt)}" width="{_fmt(bar_w)}" height="{_fmt(yb - yt)}" '
                f'fill="{series.colour}"><title>{escape(stage.title)} · '
                f"{escape(series.label)}: {escape(money(v, lang))}</title></rect>"
            )
            base += v
        cx = _fmt(x + bar_w / 2)
        body.append(
            f'<text class="bar-total" x="{cx}" y="{_fmt(yv(stage.total) - 5)}" '
            f'text-anchor="middle">{escape(number(stage.total, lang))}</text>'
            f'<text class="tick" x="{cx}" y="{_fmt(y0 + 16)}" text-anchor="middle">'
            f"{escape(stage.id)}<title>{escape(stage.title)}</title></text>"
        )
    for j, series in enumerate(reversed(charts.cost_series)):
        ly = top + j * 20
        lx = width - right - legend_w + 20
        body.append(
            f'<rect x="{_fmt(lx)}" y="{_fmt(ly)}" width="12" height="12" '
            f'fill="{series.colour}"/>'
            f'<text class="legend" x="{_fmt(lx + 18)}" y="{_fmt(ly + 10)}">'
            f"{escape(series.label)}</text>"
        )
    unit = escape(gettext("DKK", lang))
    body.append(f'<text class="tick" x="{_fmt(left)}" y="{_fmt(top - 8)}">{unit}</text>')
    return _svg(width, height, "costs", gettext("Cost by stage and category", lang), body)
