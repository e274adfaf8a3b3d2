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

Texts are Danish, with the English field names of the plan files in
parentheses where that helps.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from allocator import rules
from allocator.io.write import write_file
from allocator.labels import CATEGORY_DA, MODE_DA, MODE_SHORT, SOURCE_DA, SOURCE_SHORT, STATUS_DA
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
from allocator.report.letters import dk_number, dkk, environment
from allocator.report.png import write_pngs
from allocator.report.svg import costs_svg, gantt_svg, pool_svg, stages_svg
from allocator.report.why import why_context
from models.plan import CostCategory, Mode, Plan, Result
from models.scenario import Scenario, Source

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
    for hp in sorted(plan.households, key=lambda h: (h.stage, natural_key(h.household))):
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


def _stage_rows(
    scenario: Scenario, charts: ChartData, plan: Plan | None = None
) -> list[dict[str, str]]:
    today = charts.today
    spare_cost = {
        c.stage: c.by_category.get(CostCategory.RENT_LOSS_SPARE, 0.0)
        for c in (plan.costs if plan is not None else [])
    }
    out = []
    for s in charts.stages:
        k = s.kpi
        over = ""
        if k is not None and k.overcapacity is not None:
            over = f"{dk_number(k.overcapacity * 100, 0)} %"
        out.append(
            {
                "id": s.id,
                "name": s.title,
                "notice": s.notice.isoformat(),
                "notice_late": "ja" if s.notice < today else "",
                "legal": s.legal_notice.isoformat(),
                "move_out": s.move_out.isoformat(),
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "back": s.back.isoformat(),
                "households": str(k.households) if k else "",
                "displaced": str(k.displaced) if k else "",
                "pool": str(k.pool) if k else "",
                "required": str(rules.required_pool(scenario, k.displaced)) if k else "",
                "short": "ja"
                if k is not None and k.pool < rules.required_pool(scenario, k.displaced)
                else "",
                "overcapacity": over,
                "spares": str(k.spares) if k else "",
                "spare_cost": dkk(spare_cost[s.id]) if s.id in spare_cost else "",
            }
        )
    return out


def _activity_rows(df: pd.DataFrame, today: date) -> list[dict[str, str]]:
    out = []
    for rec in df.to_dict("records"):
        out.append(
            {
                "date": rec["date"].isoformat(),
                "past": "ja" if rec["date"] < today else "",
                "stage": str(rec["stage"] or ""),
                "household": cell_text(rec["household"]),
                "place": cell_text(rec["place"]),
                "activity": str(rec["activity"]),
                "activity_en": str(rec["activity_en"]),
                "rule": str(rec["rule"]),
            }
        )
    return out


# -- the report ------------------------------------------------------------------------


def render_report(
    scenario: Scenario, result: Result, *, template_dir: Path | str | None = None
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    return _render(scenario, result, chart_data(scenario, result.plan), template_dir)


def _render(
    scenario: Scenario, result: Result, charts: ChartData, template_dir: Path | str | None
) -> str:
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
        "notice_warnings": rules.notice_warnings(scenario),
        "why": why_context(scenario, result),
    }
    if plan is not None:
        segments = sum(len(t.segments) for t in plan.places)
        context.update(
            gantt_svg=gantt_svg(charts),
            pool_svg=pool_svg(charts),
            costs_svg=costs_svg(charts),
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
    charts = chart_data(scenario, result.plan)
    html = _render(scenario, result, charts, template_dir)
    if pngs:
        write_pngs(out, charts)
    return write_file(out / "report.html", html)


__all__ = ["render_report", "write_report"]
