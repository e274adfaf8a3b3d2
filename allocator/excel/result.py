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
from allocator.i18n import DEFAULT_LANG, Lang, gettext
from allocator.labels import key_figures, label
from allocator.plan.pricing import TOTAL
from allocator.rules import tenant_stay_rent
from models.plan import CostCategory, HouseholdPlan, Plan, Result
from models.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["write_result_workbook"]


def _(message: str) -> str:
    """Mark a label for the catalogue; the sheet writers translate it."""
    return message


_PLAN_COLUMNS: Final = (
    (_("Household"), "household", None),
    (_("Name"), "name", None),
    (_("Current dwelling"), "dwelling", None),
    (_("Current address"), "address", None),
    (_("Current rent a month"), "rent", MONEY_FORMAT),
    (_("Stage"), "stage", None),
    (_("Rehousing"), "mode", None),
    (_("Rehousing place"), "place", None),
    (_("Address of the rehousing place"), "place_address", None),
    (_("Source"), "place_source", None),
    (_("Rent during the stay a month (R14)"), "stay_rent", MONEY_FORMAT),
    (_("Move-out"), "move_out", DATE_FORMAT),
    (_("Return"), "return_date", DATE_FORMAT),
    (_("Notice at the latest"), "notice_date", DATE_FORMAT),
    (_("Return letter at the latest"), "return_letter_date", DATE_FORMAT),
    (_("Dwelling after the renovation"), "after_dwelling", None),
    (_("Permanent dwelling"), "permanent_dwelling", None),
    (_("Address afterwards"), "after_address", None),
    (_("Rent afterwards a month"), "after_rent", MONEY_FORMAT),
)
_TIMELINE_COLUMNS: Final = (
    (_("Place"), "place", None),
    (_("Address"), "address", None),
    (_("Source"), "source", None),
    (_("Pavilion type"), "pavilion_type", None),
    (_("Used from"), "collected_from", DATE_FORMAT),
    (_("Released"), "released", DATE_FORMAT),
    (_("Use"), "kind", None),
    (_("From"), "start", DATE_FORMAT),
    (_("To (excl.)"), "end", DATE_FORMAT),
    (_("Days"), "days", None),
    (_("Household"), "household", None),
    (_("Stage"), "stage", None),
)
_STAGE_KPI_COLUMNS: Final = (
    (_("Stage"), "stage", None),
    (_("Households"), "households", None),
    (_("Rehoused temporarily"), "displaced", None),
    (_("Pool (R10)"), "pool", None),
    (_("Overcapacity"), "overcapacity", PERCENT_FORMAT),
    (_("Notice at the latest"), "notice_date", DATE_FORMAT),
    (_("Notice date passed"), "notice_in_past", None),
)
_ACTIVITY_LABELS: Final[Mapping[str, str]] = {
    "date": _("Date"),
    "stage": _("Stage"),
    "household": _("Household"),
    "place": _("Place"),
    "code": _("Code"),
    "activity": _("Activity"),
    "rule": _("Rule"),
    "uid": _("Calendar id"),
}
#: The sheets' names (English msgids).
_SHEETS: Final = {
    "plan": _("Plan"),
    "timelines": _("Timelines"),
    "budget": _("Budget"),
    "kpis": _("Key figures"),
    "solution": _("Solution"),
    "activities": _("Activity plan"),
}


def _columns(spec: Iterable[tuple[str, str, str | None]], lang: Lang) -> list[Column]:
    return [Column(gettext(text, lang), key, fmt) for text, key, fmt in spec]


def _address(scenario: Scenario, place: str | None, plan: Plan) -> str | None:
    """The address of a dwelling, after-renovation dwelling or pavilion module."""
    if place is None:
        return None
    if place in {d.id for d in scenario.dwellings}:
        return scenario.dwelling(place).full_address
    if place in {a.id for a in scenario.after_dwellings}:
        return scenario.after_dwelling(place).full_address
    ptype_id = next((t.pavilion_type for t in plan.places if t.place == place), None)
    ptype = next((p for p in scenario.pavilions if p.id == ptype_id), None)
    return ptype.full_address if ptype is not None else None


def _place_rent(scenario: Scenario, place: str, plan: Plan) -> float | None:
    if place in {d.id for d in scenario.dwellings}:
        return scenario.dwelling(place).monthly_rent
    ptype_id = next((t.pavilion_type for t in plan.places if t.place == place), None)
    return next((p.monthly_rent for p in scenario.pavilions if p.id == ptype_id), None)


def _plan_row(scenario: Scenario, plan: Plan, hp: HouseholdPlan, lang: Lang) -> dict[str, Any]:
    h = scenario.household(hp.household)
    row: dict[str, Any] = {key: getattr(hp, key, None) for _, key, _ in _PLAN_COLUMNS}
    row.update(
        name=h.name,
        dwelling=h.dwelling,
        address=_address(scenario, h.dwelling, plan),
        rent=scenario.dwelling(h.dwelling).monthly_rent,
        mode=label(hp.mode, lang),
        place_source=label(hp.place_source, lang) if hp.place_source else None,
        place_address=_address(scenario, hp.place, plan),
    )
    if hp.place is not None:
        place_rent = _place_rent(scenario, hp.place, plan)
        if place_rent is not None:
            row["stay_rent"] = round(tenant_stay_rent(scenario, h, place_rent), 2)
    after = hp.after_dwelling or hp.permanent_dwelling
    if after is not None:
        row["after_address"] = _address(scenario, after, plan)
        row["after_rent"] = (
            scenario.after_dwelling(hp.after_dwelling).monthly_rent
            if hp.after_dwelling is not None
            else scenario.dwelling(after).monthly_rent
        )
    else:
        row["after_address"], row["after_rent"] = row["address"], row["rent"]
    return row


def _plan_sheet(ws: Worksheet, scenario: Scenario, plan: Plan, lang: Lang) -> None:
    rows = []
    for hp in plan.households:
        row = _plan_row(scenario, plan, hp, lang)
        rows.append([row[key] for _, key, _ in _PLAN_COLUMNS])
    last = write_table(ws, _columns(_PLAN_COLUMNS, lang), rows, whole_columns=False)
    ws.auto_filter.ref = f"A2:{get_column_letter(len(_PLAN_COLUMNS))}{last}"


def _timeline_sheet(ws: Worksheet, scenario: Scenario, plan: Plan, lang: Lang) -> None:
    rows: list[list[Any]] = []
    for tl in plan.places:
        head = [
            tl.place,
            _address(scenario, tl.place, plan),
            label(tl.source, lang),
            tl.pavilion_type,
            tl.collected_from,
            tl.released,
        ]
        if not tl.segments:
            rows.append([*head, None, None, None, None, None, None])
        for seg in tl.segments:
            days = (seg.end - seg.start).days
            kind = label(seg.kind, lang)
            rows.append([*head, kind, seg.start, seg.end, days, seg.household, seg.stage])
    last = write_table(ws, _columns(_TIMELINE_COLUMNS, lang), rows, whole_columns=False)
    ws.auto_filter.ref = f"A2:{get_column_letter(len(_TIMELINE_COLUMNS))}{last}"


def _budget_sheet(ws: Worksheet, scenario: Scenario, plan: Plan, lang: Lang) -> None:
    names = {s.id: s.name for s in scenario.stages}
    stages = [c for c in plan.costs if c.stage != TOTAL]
    total = next((c for c in plan.costs if c.stage == TOTAL), None)
    columns = [Column(gettext("Category", lang), "category")]
    for c in stages:
        text = gettext("Stage %(id)s", lang) % {"id": c.stage}
        columns.append(
            Column(
                text + (f": {names[c.stage]}" if names.get(c.stage) else ""), c.stage, MONEY_FORMAT
            )
        )
    columns.append(Column(gettext("Total", lang), TOTAL, MONEY_FORMAT))
    rows: list[list[Any]] = []
    for category in CostCategory:
        values = [round(c.by_category.get(category, 0.0), 2) for c in stages]
        whole = round(total.by_category.get(category, 0.0), 2) if total else round(sum(values), 2)
        rows.append([label(category, lang), *values, whole])
    stage_totals = [round(c.total, 2) for c in stages]
    grand = round(total.total, 2) if total else round(sum(stage_totals), 2)
    rows.append([gettext("Total", lang), *stage_totals, grand])
    last = write_table(ws, columns, rows, whole_columns=False)
    for col in range(1, len(columns) + 1):
        ws.cell(row=last, column=col).font = Font(bold=True)


def _kpi_sheet(ws: Worksheet, plan: Plan, lang: Lang) -> None:
    k = plan.kpis
    rows: list[Pair] = [
        (
            f.label,
            round(f.value, 2) if f.money else f.value,
            f.key,
            MONEY_FORMAT if f.money else None,
            None,
        )
        for f in key_figures(plan, lang)
    ]
    last = write_pairs(ws, rows)
    stage_rows = [[getattr(s, key) for _, key, _ in _STAGE_KPI_COLUMNS] for s in k.stages]
    yes, no = gettext("yes", lang), gettext("no", lang)
    passed = [key for _, key, _ in _STAGE_KPI_COLUMNS].index("notice_in_past")
    for row in stage_rows:
        row[passed] = yes if row[passed] else no
    write_table(
        ws,
        _columns(_STAGE_KPI_COLUMNS, lang),
        stage_rows,
        first_row=last + 2,
        freeze=None,
        whole_columns=False,
        widen_only=True,
    )


def _solution_sheet(ws: Worksheet, result: Result, lang: Lang) -> None:
    info = result.solver
    money = MONEY_FORMAT
    yes, no = gettext("yes", lang), gettext("no", lang)
    spec: list[tuple[str, Any, str, str | None]] = [
        (_("Scenario"), result.scenario, "scenario", None),
        (_("Status"), label(result.status, lang), "status", None),
        (_("Plan found"), yes if result.found else no, "found", None),
        (_("Objective: budget + penalties (DKK)"), result.objective, "objective", money),
        (_("Best lower bound (DKK)"), result.bound, "bound", money),
        (_("Gap"), result.gap, "gap", "0.00%"),
        (_("Search time (s)"), round(result.runtime, 3), "runtime", None),
        (_("Model building (s)"), round(info.build_seconds, 3), "build_seconds", None),
        (_("OR-Tools version"), info.ortools_version, "ortools_version", TEXT_FORMAT),
        (_("Seed"), info.seed, "seed", None),
        (_("Workers"), info.num_workers, "num_workers", None),
        (_("Time limit (s)"), info.time_limit, "time_limit", None),
        (_("Variables"), info.variables, "variables", None),
        (_("Constraints"), info.constraints, "constraints", None),
    ]
    rows: list[Pair] = [(gettext(text, lang), v, key, fmt, None) for text, v, key, fmt in spec]
    for key, value in info.parameters.items():
        text = gettext("Parameter %(name)s", lang) % {"name": key}
        rows.append((text, value, f"parameters.{key}", None, None))
    for i, warning in enumerate(result.warnings, start=1):
        text = gettext("Warning %(num)d", lang) % {"num": i}
        rows.append((text, warning, f"warnings.{i}", None, None))
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


def _activities_sheet(ws: Worksheet, activities: pd.DataFrame, lang: Lang) -> None:
    names = [str(c) for c in activities.columns]
    rows = [[_plain_cell(v) for v in row] for row in activities.itertuples(index=False)]
    columns = []
    for i, name in enumerate(names):
        dated = any(isinstance(r[i], date) for r in rows)
        columns.append(
            Column(
                gettext(_ACTIVITY_LABELS.get(name, name), lang),
                name,
                DATE_FORMAT if dated else None,
            )
        )
    last = write_table(ws, columns, rows, whole_columns=False)
    if names:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(names))}{last}"


def write_result_workbook(
    path: str | os.PathLike[str],
    scenario: Scenario,
    result: Result,
    activities: pd.DataFrame | None = None,
    *,
    lang: Lang = DEFAULT_LANG,
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
    lang
        The language of the sheet names, headers and labels.

    Notes
    -----
    Sheets: ``Plan`` (one row per household), ``Tidslinjer`` (one row per
    segment of each place timeline), ``Budget`` (the guide's cost categories
    by stage and in total, DKK), ``Nøgletal`` (KPIs, then one row per stage),
    ``Løsning`` (status and solver figures), ``Aktivitetsplan`` and
    ``Hvorfor`` (:mod:`allocator.excel.why`). Without a plan (infeasible, no
    solution in time) only ``Løsning``, the activity plan if given, and
    ``Hvorfor`` are written. Every sheet has a header in
    ``lang`` in row 1 and the field name (a key for programs) in row 2; codes
    (rehousing form, source, use, budget category) are shown by their
    labels. The
    ``Plan`` sheet shows each household's addresses and rents (now, during
    the stay by R14, afterwards). Sheet names are Danish as listed, English
    with ``lang="en"``.
    """
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    plan = result.plan
    sheet = {key: gettext(name, lang) for key, name in _SHEETS.items()}
    if plan is not None:
        _plan_sheet(wb.create_sheet(sheet["plan"]), scenario, plan, lang)
        _timeline_sheet(wb.create_sheet(sheet["timelines"]), scenario, plan, lang)
        _budget_sheet(wb.create_sheet(sheet["budget"]), scenario, plan, lang)
        _kpi_sheet(wb.create_sheet(sheet["kpis"]), plan, lang)
    _solution_sheet(wb.create_sheet(sheet["solution"]), result, lang)
    if activities is not None:
        _activities_sheet(wb.create_sheet(sheet["activities"]), activities, lang)
    write_why_sheet(wb.create_sheet(gettext(WHY_SHEET, lang)), scenario, result, lang)
    wb.active = 0
    save_workbook(wb, path)
