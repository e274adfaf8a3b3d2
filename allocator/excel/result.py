"""The result workbook: a solve result as sheets a planner can filter and reuse.

Sheets ``Plan``, ``Tidslinjer``, ``Budget``, ``Nøgletal``, ``Løsning`` and
optionally ``Aktivitetsplan``, with the same two header rows as the input
workbook (see :func:`write_result_workbook`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, time
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from allocator.excel.fields import DATE_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, TEXT_FORMAT
from allocator.excel.sheets import Column, Pair, save_workbook, write_pairs, write_table
from allocator.excel.why import SHEET as WHY_SHEET
from allocator.excel.why import write_why_sheet
from allocator.labels import CATEGORY_DA
from allocator.plan.pricing import TOTAL
from models.plan import CostCategory, Plan, Result
from models.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["write_result_workbook"]


_PLAN_COLUMNS: Final = (
    ("Husstand", "household", None),
    ("Navn", "name", None),
    ("Nuværende bolig", "dwelling", None),
    ("Etape", "stage", None),
    ("Genhusningsform", "mode", None),
    ("Genhusningssted", "place", None),
    ("Kilde", "place_source", None),
    ("Fraflytning", "move_out", DATE_FORMAT),
    ("Tilbageflytning", "return_date", DATE_FORMAT),
    ("Varsel senest", "notice_date", DATE_FORMAT),
    ("Tilbageflytningsbrev senest", "return_letter_date", DATE_FORMAT),
    ("Bolig efter renovering", "after_dwelling", None),
    ("Permanent bolig", "permanent_dwelling", None),
)
_TIMELINE_COLUMNS: Final = (
    ("Sted", "place", None),
    ("Kilde", "source", None),
    ("Pavillontype", "pavilion_type", None),
    ("Bruges fra", "collected_from", DATE_FORMAT),
    ("Frigives", "released", DATE_FORMAT),
    ("Brug", "kind", None),
    ("Fra", "start", DATE_FORMAT),
    ("Til (ekskl.)", "end", DATE_FORMAT),
    ("Dage", "days", None),
    ("Husstand", "household", None),
    ("Etape", "stage", None),
)
_STAGE_KPI_COLUMNS: Final = (
    ("Etape", "stage", None),
    ("Husstande", "households", None),
    ("Genhuses midlertidigt", "displaced", None),
    ("Pulje (R10)", "pool", None),
    ("Overkapacitet", "overcapacity", PERCENT_FORMAT),
    ("Varsel senest", "notice_date", DATE_FORMAT),
    ("Varsel i fortiden", "notice_in_past", None),
)
_ACTIVITY_LABELS: Final[Mapping[str, str]] = {
    "date": "Dato",
    "stage": "Etape",
    "household": "Husstand",
    "place": "Sted",
    "code": "Kode",
    "activity": "Aktivitet",
    "activity_en": "Aktivitet (engelsk)",
    "rule": "Regel",
}


def _columns(spec: Iterable[tuple[str, str, str | None]]) -> list[Column]:
    return [Column(label, key, fmt) for label, key, fmt in spec]


def _plan_sheet(ws: Worksheet, scenario: Scenario, plan: Plan) -> None:
    households = {h.id: h for h in scenario.households}
    rows = []
    for hp in plan.households:
        h = households.get(hp.household)
        extra = {"name": h.name if h else None, "dwelling": h.dwelling if h else None}
        rows.append([extra[k] if k in extra else getattr(hp, k) for _, k, _ in _PLAN_COLUMNS])
    last = write_table(ws, _columns(_PLAN_COLUMNS), rows, whole_columns=False)
    ws.auto_filter.ref = f"A2:{get_column_letter(len(_PLAN_COLUMNS))}{last}"


def _timeline_sheet(ws: Worksheet, plan: Plan) -> None:
    rows: list[list[Any]] = []
    for tl in plan.places:
        head = [tl.place, tl.source, tl.pavilion_type, tl.collected_from, tl.released]
        if not tl.segments:
            rows.append([*head, None, None, None, None, None, None])
        for seg in tl.segments:
            days = (seg.end - seg.start).days
            rows.append([*head, seg.kind, seg.start, seg.end, days, seg.household, seg.stage])
    last = write_table(ws, _columns(_TIMELINE_COLUMNS), rows, whole_columns=False)
    ws.auto_filter.ref = f"A2:{get_column_letter(len(_TIMELINE_COLUMNS))}{last}"


def _budget_sheet(ws: Worksheet, scenario: Scenario, plan: Plan) -> None:
    names = {s.id: s.name for s in scenario.stages}
    stages = [c for c in plan.costs if c.stage != TOTAL]
    total = next((c for c in plan.costs if c.stage == TOTAL), None)
    columns = [Column("Kategori", "category"), Column("Kode", "code", TEXT_FORMAT)]
    for c in stages:
        label = f"Etape {c.stage}" + (f": {names[c.stage]}" if names.get(c.stage) else "")
        columns.append(Column(label, c.stage, MONEY_FORMAT))
    columns.append(Column("I alt", TOTAL, MONEY_FORMAT))
    rows: list[list[Any]] = []
    for category in CostCategory:
        values = [round(c.by_category.get(category, 0.0), 2) for c in stages]
        whole = round(total.by_category.get(category, 0.0), 2) if total else round(sum(values), 2)
        rows.append([CATEGORY_DA[category], category.value, *values, whole])
    stage_totals = [round(c.total, 2) for c in stages]
    grand = round(total.total, 2) if total else round(sum(stage_totals), 2)
    rows.append(["I alt", TOTAL, *stage_totals, grand])
    last = write_table(ws, columns, rows, whole_columns=False)
    for col in range(1, len(columns) + 1):
        ws.cell(row=last, column=col).font = Font(bold=True)


def _kpi_sheet(ws: Worksheet, plan: Plan) -> None:
    k = plan.kpis
    total = next((c.total for c in plan.costs if c.stage == TOTAL), None)
    if total is None:
        total = sum(c.total for c in plan.costs)
    rows: list[Pair] = [
        ("Budget i alt (kr.)", round(total, 2), "budget_total", MONEY_FORMAT, None),
        ("Huslejetab i alt (kr.)", round(k.rent_loss, 2), "rent_loss", MONEY_FORMAT, None),
        ("Strafpoint (kr., ikke i budgettet)", round(plan.penalties, 2), "penalties",
         MONEY_FORMAT, None),
        ("Tomgangsdage (tomme genhusningsboliger)", k.vacancy_days, "vacancy_days", None, None),
        ("Beboede dage i genhusningsboliger", k.occupied_days, "occupied_days", None, None),
        ("Boligdage holdt fra ventelisten (R16)", k.withheld_days, "withheld_days", None, None),
        ("Dage med tidsbegrænset udlejning", k.time_limited_days, "time_limited_days", None,
         None),
        ("Flytninger", k.moves, "moves", None, None),
        ("Pavillonmoduler", k.pavilion_modules, "pavilion_modules", None, None),
    ]  # fmt: skip
    for mode, n in k.households_by_mode.items():
        rows.append((f"Husstande, form: {mode}", n, f"households_by_mode.{mode}", None, None))
    for source, n in k.households_by_source.items():
        rows.append(
            (f"Husstande, kilde: {source}", n, f"households_by_source.{source}", None, None)
        )
    last = write_pairs(ws, rows)
    stage_rows = [[getattr(s, key) for _, key, _ in _STAGE_KPI_COLUMNS] for s in k.stages]
    write_table(
        ws,
        _columns(_STAGE_KPI_COLUMNS),
        stage_rows,
        first_row=last + 2,
        freeze=None,
        whole_columns=False,
        widen_only=True,
    )


def _solution_sheet(ws: Worksheet, result: Result) -> None:
    info = result.solver
    money = MONEY_FORMAT
    rows: list[Pair] = [
        ("Scenarie", result.scenario, "scenario", None, None),
        ("Status", result.status, "status", None, None),
        ("Plan fundet", result.found, "found", None, None),
        ("Målfunktion: budget + strafpoint (kr.)", result.objective, "objective", money, None),
        ("Bedste nedre grænse (kr.)", result.bound, "bound", money, None),
        ("Gab", result.gap, "gap", "0.00%", None),
        ("Søgetid (sek.)", round(result.runtime, 3), "runtime", None, None),
        ("Modelopbygning (sek.)", round(info.build_seconds, 3), "build_seconds", None, None),
        ("OR-Tools-version", info.ortools_version, "ortools_version", TEXT_FORMAT, None),
        ("Seed", info.seed, "seed", None, None),
        ("Tråde (workers)", info.num_workers, "num_workers", None, None),
        ("Tidsgrænse (sek.)", info.time_limit, "time_limit", None, None),
        ("Variable", info.variables, "variables", None, None),
        ("Betingelser", info.constraints, "constraints", None, None),
    ]
    for key, value in info.parameters.items():
        rows.append((f"Parameter {key}", value, f"parameters.{key}", None, None))
    for i, warning in enumerate(result.warnings, start=1):
        rows.append((f"Advarsel {i}", warning, f"warnings.{i}", None, None))
    write_pairs(ws, rows)
    ws.column_dimensions["B"].width = min(max(ws.column_dimensions["B"].width or 0, 16), 80)


def _plain_cell(value: Any) -> Any:
    """A pandas/numpy cell value as a plain Python value for openpyxl."""
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        stamp = value.to_pydatetime()
        return stamp.date() if stamp.time() == time() else stamp
    if isinstance(value, list | tuple | dict | set):
        return ", ".join(map(str, value)) if not isinstance(value, dict) else str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return str(value)
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | Enum):
        return item()
    return value


def _activities_sheet(ws: Worksheet, activities: pd.DataFrame) -> None:
    names = [str(c) for c in activities.columns]
    rows = [[_plain_cell(v) for v in row] for row in activities.itertuples(index=False)]
    columns = []
    for i, name in enumerate(names):
        dated = any(isinstance(r[i], date) for r in rows)
        columns.append(
            Column(_ACTIVITY_LABELS.get(name, name), name, DATE_FORMAT if dated else None)
        )
    last = write_table(ws, columns, rows, whole_columns=False)
    if names:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(names))}{last}"


def write_result_workbook(
    path: str | os.PathLike[str],
    scenario: Scenario,
    result: Result,
    activities: pd.DataFrame | None = None,
) -> None:
    """Write a solve result as a workbook for planners.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (replaced atomically).
    scenario
        The scenario that was solved (for names and stage labels).
    result
        The result of :func:`allocator.solve`.
    activities
        Optional activity plan (e.g. ``allocator.report.activities.activity_plan``),
        written as the sheet ``Aktivitetsplan``.

    Notes
    -----
    Sheets: ``Plan`` (one row per household), ``Tidslinjer`` (one row per
    segment of each place timeline), ``Budget`` (the guide's cost categories
    by stage and in total, DKK), ``Nøgletal`` (KPIs, then one row per stage),
    ``Løsning`` (status and solver figures), ``Aktivitetsplan`` and
    ``Hvorfor`` (:mod:`allocator.excel.why`). Without a plan (infeasible, no
    solution in time) only ``Løsning``, the activity plan if given, and
    ``Hvorfor`` are written. Every sheet has a Danish header in
    row 1 and the English field name in row 2.
    """
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    plan = result.plan
    if plan is not None:
        _plan_sheet(wb.create_sheet("Plan"), scenario, plan)
        _timeline_sheet(wb.create_sheet("Tidslinjer"), plan)
        _budget_sheet(wb.create_sheet("Budget"), scenario, plan)
        _kpi_sheet(wb.create_sheet("Nøgletal"), plan)
    _solution_sheet(wb.create_sheet("Løsning"), result)
    if activities is not None:
        _activities_sheet(wb.create_sheet("Aktivitetsplan"), activities)
    write_why_sheet(wb.create_sheet(WHY_SHEET), scenario, result)
    wb.active = 0
    save_workbook(wb, path)
