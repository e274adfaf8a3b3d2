"""The planner's report: one self-contained HTML page plus PNG charts.

:func:`write_report` writes ``report.html`` into a directory. It works
offline and refers to nothing outside itself: the CSS and the little
JavaScript (a filter for the tables) are inline and the charts are inline
SVG (:mod:`allocator.report.svg`): the stage timeline, a Gantt chart of
every rehousing place, displaced households against the pool of collected
places (R10) and the cost by budget category and stage. Then come the key
figures, the cost table, a searchable table of households and the process
and activity plan. The same charts are saved as PNG files
(:mod:`allocator.report.png`: ``gantt.png``, ``stages.png``, ``pool.png``,
``costs.png``) for slides and documents; both renderers draw one
:class:`~allocator.report.data.ChartData`, derived once.

Texts come from the message catalogue (``allocator/locale/da/report.po``)
in the language asked for, Danish by default.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from allocator import rules
from allocator.i18n import DEFAULT_LANG, N_, Lang, day, gettext, money, number
from allocator.io.write import write_file
from allocator.labels import key_figures, label, short_label
from allocator.report.activities import activity_plan, cell_text
from allocator.report.data import (
    DISPLACED_COLOUR,
    HELD_EMPTY_COLOUR,
    PERMANENT_COLOUR,
    POOL_COLOUR,
    TIME_LIMITED_COLOUR,
    TIME_LIMITED_EDGE,
    ChartData,
    chart_data,
    natural_key,
)
from allocator.report.letters import environment
from allocator.report.png import write_pngs
from allocator.report.svg import costs_svg, gantt_svg, pool_svg, stages_svg
from allocator.report.why import why_context
from models.plan import CostCategory, Plan, Result
from models.scenario import Scenario

# -- tables --------------------------------------------------------------------------


def _short(d: date | None, lang: Lang) -> str:
    """A date in a table cell: ``01.05.2025`` (Danish), ``01/05/2025`` (English)."""
    return "" if d is None else day(d, lang, style="short")


def _kpi_rows(plan: Plan, lang: Lang) -> list[tuple[str, str]]:
    return [
        (f.label, money(f.value, lang) if f.money else number(f.value, lang))
        for f in key_figures(plan, lang)
    ]


def _cost_table(plan: Plan, lang: Lang) -> dict[str, Any]:
    stages = [c for c in plan.costs if c.stage != "total"]
    total = next((c for c in plan.costs if c.stage == "total"), None)
    cats = [c for c in CostCategory if any(s.by_category.get(c, 0.0) for s in plan.costs)]
    rows = []
    for cat in cats:
        row = [number(s.by_category.get(cat, 0.0), lang, decimals=2) for s in stages]
        tot = (
            total.by_category.get(cat, 0.0)
            if total
            else sum(s.by_category.get(cat, 0.0) for s in stages)
        )
        rows.append(
            {"label": label(cat, lang), "values": row, "total": number(tot, lang, decimals=2)}
        )
    grand = total.total if total else sum(s.total for s in stages)
    return {
        "stages": [s.stage for s in stages],
        "rows": rows,
        "totals": [number(s.total, lang, decimals=2) for s in stages],
        "total": number(grand, lang, decimals=2),
    }


def _household_rows(scenario: Scenario, plan: Plan, lang: Lang) -> list[dict[str, str]]:
    rows = []
    needs_words = (
        ("wheelchair", N_("wheelchair")),
        ("step_free", N_("step-free")),
        ("elderly", N_("elderly")),
        ("disabled", N_("disabled")),
        ("storage", N_("storage")),
    )
    for hp in sorted(plan.households, key=lambda h: (h.stage, natural_key(h.household))):
        h = scenario.household(hp.household)
        rows.append(
            {
                "household": hp.household,
                "name": h.name,
                "stage": hp.stage,
                "mode": short_label(hp.mode, lang),
                "mode_key": hp.mode.value,
                "notice_date": _short(hp.notice_date, lang),
                "move_out": _short(hp.move_out, lang),
                "place": hp.place or "",
                "source": short_label(hp.place_source, lang) if hp.place_source else "",
                "return_date": _short(hp.return_date, lang),
                "return_letter_date": _short(hp.return_letter_date, lang),
                "after_dwelling": hp.after_dwelling or "",
                "permanent_dwelling": hp.permanent_dwelling or "",
                "persons": str(h.persons),
                "needs": ", ".join(
                    gettext(word, lang) for attr, word in needs_words if getattr(h, attr)
                ),
            }
        )
    return rows


def _stage_rows(
    scenario: Scenario, charts: ChartData, plan: Plan | None = None
) -> list[dict[str, str]]:
    today = charts.today
    lang = charts.lang
    yes = gettext("yes", lang)
    spare_cost = {
        c.stage: c.by_category.get(CostCategory.RENT_LOSS_SPARE, 0.0)
        for c in (plan.costs if plan is not None else [])
    }
    out = []
    for s in charts.stages:
        k = s.kpi
        over = ""
        if k is not None and k.overcapacity is not None:
            over = f"{number(k.overcapacity * 100, lang)} %"
        out.append(
            {
                "id": s.id,
                "name": s.title,
                "notice": _short(s.notice, lang),
                "notice_late": yes if s.notice < today else "",
                "legal": _short(s.legal_notice, lang),
                "move_out": _short(s.move_out, lang),
                "start": _short(s.start, lang),
                "end": _short(s.end, lang),
                "back": _short(s.back, lang),
                "households": str(k.households) if k else "",
                "displaced": str(k.displaced) if k else "",
                "pool": str(k.pool) if k else "",
                "required": str(rules.required_pool(scenario, k.displaced)) if k else "",
                "short": yes
                if k is not None and k.pool < rules.required_pool(scenario, k.displaced)
                else "",
                "overcapacity": over,
                "spares": str(k.spares) if k else "",
                "spare_cost": money(spare_cost[s.id], lang) if s.id in spare_cost else "",
            }
        )
    return out


def _activity_rows(df: pd.DataFrame, today: date, lang: Lang) -> list[dict[str, str]]:
    out = []
    yes = gettext("yes", lang)
    for rec in df.to_dict("records"):
        out.append(
            {
                "date": _short(rec["date"], lang),
                "past": yes if rec["date"] < today else "",
                "stage": str(rec["stage"] or ""),
                "household": cell_text(rec["household"]),
                "place": cell_text(rec["place"]),
                "activity": str(rec["activity"]),
                "rule": str(rec["rule"]),
            }
        )
    return out


# -- the report ------------------------------------------------------------------------


def render_report(
    scenario: Scenario,
    result: Result,
    *,
    template_dir: Path | str | None = None,
    lang: Lang = DEFAULT_LANG,
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    return _render(scenario, result, chart_data(scenario, result.plan, lang), template_dir)


def _render(
    scenario: Scenario, result: Result, charts: ChartData, template_dir: Path | str | None
) -> str:
    plan = result.plan
    lang = charts.lang
    env = environment(template_dir, lang)
    context: dict[str, Any] = {
        "scenario": scenario,
        "result": result,
        "plan": plan,
        "status_label": label(result.status, lang),
        "objective": money(result.objective, lang) if result.objective is not None else "",
        "bound": money(result.bound, lang) if result.bound is not None else "",
        "gap": f"{number(result.gap * 100, lang, decimals=2)} %" if result.gap is not None else "",
        "runtime": number(result.runtime, lang, decimals=1),
        "planning_date": day(scenario.policy.planning_date, lang),
        "stage_rows": _stage_rows(scenario, charts, plan),
        "stage_legend": [(s.title, s.colour) for s in charts.stages],
        "stages_svg": stages_svg(charts),
        "colours": {
            "held_empty": HELD_EMPTY_COLOUR,
            "time_limited": TIME_LIMITED_COLOUR,
            "time_limited_edge": TIME_LIMITED_EDGE,
            "permanent": PERMANENT_COLOUR,
            "pool": POOL_COLOUR,
            "displaced": DISPLACED_COLOUR,
        },
        "warnings": rules.warnings_in(scenario, result.warnings, lang),
        "why": why_context(scenario, result, lang),
    }
    if plan is not None:
        segments = sum(len(t.segments) for t in plan.places)
        context.update(
            gantt_svg=gantt_svg(charts),
            pool_svg=pool_svg(charts),
            costs_svg=costs_svg(charts),
            segment_count=segments,
            place_count=len(plan.places),
            kpi_rows=_kpi_rows(plan, lang),
            cost_table=_cost_table(plan, lang),
            household_rows=_household_rows(scenario, plan, lang),
            activity_rows=_activity_rows(
                activity_plan(scenario, plan, lang=lang), scenario.policy.planning_date, lang
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
    lang: Lang = DEFAULT_LANG,
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
    lang
        The language of the page and the charts.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``. Every file is written atomically.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts = chart_data(scenario, result.plan, lang)
    html = _render(scenario, result, charts, template_dir)
    if pngs:
        write_pngs(out, charts)
    return write_file(out / "report.html", html)


__all__ = ["render_report", "write_report"]
