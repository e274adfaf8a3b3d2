"""What the report's charts show, derived once from a scenario and a plan.

:func:`chart_data` computes a :class:`ChartData`: the dates to show, the
stages with their colours and key dates, the rehousing places grouped by
source, the step series of displaced households and of the collected pool,
and the cost per stage and budget category. The two renderers draw the
same four charts from it and derive nothing themselves:
:mod:`allocator.report.svg` (inline SVG with hover titles, for the HTML
page) and :mod:`allocator.report.png` (matplotlib, for slides).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from itertools import groupby
from typing import Any

from allocator import rules
from allocator.i18n import DEFAULT_LANG, Lang, short_month
from allocator.labels import label
from allocator.report.letters import stage_title
from models.plan import CostCategory, Mode, PlaceTimeline, Plan, SegmentKind, StageKpi
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
#: A segment that belongs to no stage (held empty, time-limited) has no stage colour.
NO_STAGE_COLOUR = "#555555"

SOURCE_ORDER = (Source.OWN_DEPARTMENT, Source.OWN_ORGANISATION, Source.PARTNER, Source.PAVILION)


# -- small helpers shared by the page and both renderers -------------------------------


def natural_key(text: str) -> tuple[Any, ...]:
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


def shorten(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters, the last one an ellipsis if it was longer."""
    return text if len(text) <= n else text[: n - 1] + "…"


def month_label(d: date, lang: Lang = DEFAULT_LANG) -> str:
    """Short month name of ``d`` in ``lang``, with the year in January."""
    name = short_month(d, lang)
    return f"{name} {d.year}" if d.month == 1 else name


# -- derivations -----------------------------------------------------------------------


def stage_colours(scenario: Scenario) -> dict[str, str]:
    """A colour per stage id, in scenario order."""
    return {s.id: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenario.stages)}


def ordered_places(plan: Plan) -> list[PlaceTimeline]:
    """Place timelines by source (department, organisation, partner, pavilion) and id."""
    return sorted(
        plan.places,
        key=lambda t: (SOURCE_ORDER.index(t.source), t.pavilion_type or "", natural_key(t.place)),
    )


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


def step_series(intervals: Iterable[tuple[date, date]]) -> list[tuple[date, int]]:
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


# -- the chart data --------------------------------------------------------------------

#: A step series: (date, value from that date on) at every change.
Series = tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class StageRow:
    """One stage with its colour and key dates (R1, R3).

    Attributes
    ----------
    kpi
        The plan's figures of the stage (displaced, pool); None without a plan.
    """

    id: str
    title: str
    colour: str
    notice: date
    legal_notice: date
    move_out: date
    start: date
    end: date
    back: date
    kpi: StageKpi | None


@dataclass(frozen=True)
class PlaceGroup:
    """The place timelines of one source, in :func:`ordered_places` order."""

    source: Source
    places: tuple[PlaceTimeline, ...]


@dataclass(frozen=True)
class CostStage:
    """One stage's bar of the cost chart."""

    id: str
    title: str
    total: float


@dataclass(frozen=True)
class CostSeries:
    """One budget category across the cost chart's stages (a stacked layer).

    Attributes
    ----------
    values
        DKK per stage, aligned with :attr:`ChartData.cost_stages`.
    """

    category: CostCategory
    label: str
    colour: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class ChartData:
    """Everything the four charts show (see :func:`chart_data`).

    Attributes
    ----------
    start, end
        The dates every time axis spans (whole months).
    today
        The planning date, marked on the time axes.
    stages
        The stages in scenario order.
    has_plan
        Whether there was a plan; without one only the stage timeline has
        data and the other fields are empty.
    groups
        The rehousing places (rows of the Gantt chart) grouped by source.
    displaced, pool
        Households in a temporary stay, and places collected and not yet
        released (R10), over time.
    cost_stages, cost_series
        The cost chart: one bar per stage, one layer per budget category
        with a positive amount, in :class:`CostCategory` order.
    lang
        The language the charts are labelled in.
    """

    start: date
    end: date
    today: date
    stages: tuple[StageRow, ...]
    has_plan: bool
    groups: tuple[PlaceGroup, ...]
    displaced: Series
    pool: Series
    cost_stages: tuple[CostStage, ...]
    cost_series: tuple[CostSeries, ...]
    lang: Lang = DEFAULT_LANG

    @property
    def places(self) -> list[PlaceTimeline]:
        """The place timelines, group after group."""
        return [t for g in self.groups for t in g.places]

    @cached_property
    def _colours(self) -> dict[str, str]:
        return {s.id: s.colour for s in self.stages}

    def colour(self, stage: str | None) -> str:
        """The colour of ``stage`` (:data:`NO_STAGE_COLOUR` for none)."""
        return self._colours.get(stage or "", NO_STAGE_COLOUR)


def chart_data(scenario: Scenario, plan: Plan | None, lang: Lang = DEFAULT_LANG) -> ChartData:
    """Derive what the charts of ``plan`` show.

    Parameters
    ----------
    scenario
        The case that was planned.
    plan
        The plan, or None (then only the stage timeline has data).
    lang
        The language of the labels (stage titles, budget categories).

    Returns
    -------
    ChartData
        The data both renderers draw.
    """
    colours = stage_colours(scenario)
    kpis = {k.stage: k for k in plan.kpis.stages} if plan is not None else {}
    stages = tuple(
        StageRow(
            id=s.id,
            title=stage_title(s, lang),
            colour=colours[s.id],
            notice=rules.stage_notice_date(scenario, s),
            legal_notice=rules.stage_legal_notice_date(scenario, s),
            move_out=scenario.date_of(rules.move_out_day(scenario, s)),
            start=s.start,
            end=s.end,
            back=scenario.date_of(rules.back_day(scenario, s)),
            kpi=kpis.get(s.id),
        )
        for s in scenario.stages
    )
    start, end = plan_span(scenario, plan)
    today = scenario.policy.planning_date
    if plan is None:
        return ChartData(start, end, today, stages, False, (), (), (), (), (), lang)
    groups = tuple(
        PlaceGroup(source, tuple(places))
        for source, places in groupby(ordered_places(plan), key=lambda t: t.source)
    )
    titles = {s.id: s.title for s in stages}
    costs = [c for c in plan.costs if c.stage != "total"]
    series = []
    for cat in CostCategory:
        values = tuple(c.by_category.get(cat, 0.0) for c in costs)
        if any(v > 0 for v in values):
            series.append(CostSeries(cat, label(cat, lang), CATEGORY_COLOURS[cat], values))
    return ChartData(
        start=start,
        end=end,
        today=today,
        stages=stages,
        has_plan=True,
        groups=groups,
        displaced=tuple(step_series(displaced_intervals(plan))),
        pool=tuple(step_series(pool_intervals(plan))),
        cost_stages=tuple(CostStage(c.stage, titles.get(c.stage, c.stage), c.total) for c in costs),
        cost_series=tuple(series),
        lang=lang,
    )
