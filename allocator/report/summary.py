"""Plain-text summaries of scenarios and results for the command line.

Rendered with rich tables; when the output is not a terminal (a file, a
pipe) no colours are used and the width grows to fit the tables, so the
text is stable and can be kept with a case file.
"""

from __future__ import annotations

from collections import Counter
from typing import IO

from rich.console import Console
from rich.table import Table

from allocator import rules
from models.plan import CostCategory, Kpis, Plan, Result
from models.scenario import Agreement, Scenario, Source

__all__ = ["fmt_dkk", "make_console", "plural", "print_result", "print_scenario"]


def plural(n: int, word: str) -> str:
    """``"1 stage"``, ``"3 stages"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt_dkk(value: float | None) -> str:
    """DKK with thousands separators and two decimals; ``-`` for none."""
    return "-" if value is None else f"{value:,.2f}"


def make_console(file: IO[str] | None = None, *, width: int = 400) -> Console:
    """A console on ``file`` (stdout by default) for summaries.

    Parameters
    ----------
    file
        Where to write; ``None`` means the current ``sys.stdout``.
    width
        Width used when the output is not a terminal, so that wide cost
        tables (many stages) are not wrapped in files and pipes. Tables are
        as wide as their content, text lines are not padded.
    """
    console = Console(file=file, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(file=file, highlight=False, soft_wrap=False, width=width)
    return console


def _cost_table(plan: Plan) -> Table:
    """Cost by budget category (rows) and stage (columns), DKK."""
    table = Table(title="Cost by category (DKK)", title_justify="left")
    table.add_column("category")
    for stage_cost in plan.costs:
        table.add_column(stage_cost.stage, justify="right", no_wrap=True)
    for category in CostCategory:
        table.add_row(
            category.value,
            *(fmt_dkk(sc.by_category.get(category, 0.0)) for sc in plan.costs),
        )
    table.add_section()
    table.add_row("total", *(fmt_dkk(sc.total) for sc in plan.costs), style="bold")
    return table


def _kpi_table(kpis: Kpis, penalties: float) -> Table:
    """Key figures of the plan, one per row."""
    table = Table(title="Key figures", title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("rent loss (DKK)", fmt_dkk(kpis.rent_loss)),
        ("vacancy days (held empty)", f"{kpis.vacancy_days:,}"),
        ("occupied days", f"{kpis.occupied_days:,}"),
        ("withheld days (R16)", f"{kpis.withheld_days:,}"),
        ("time-limited days", f"{kpis.time_limited_days:,}"),
        ("moves", f"{kpis.moves:,}"),
        *((f"households {mode}", f"{n:,}") for mode, n in kpis.households_by_mode.items()),
        *(
            (f"households in {source}", f"{n:,}")
            for source, n in kpis.households_by_source.items()
            if n
        ),
        ("pavilion modules", f"{kpis.pavilion_modules:,}"),
        ("soft-wish penalties (DKK, not budget)", fmt_dkk(penalties)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _stage_table(kpis: Kpis) -> Table:
    """Per-stage key figures (R3, R10)."""
    table = Table(title="Stages", title_justify="left")
    names = ("stage", "households", "displaced", "spares", "pool", "overcapacity", "notice date")
    for name in names:
        table.add_column(name, justify="left" if name == "stage" else "right")
    for s in kpis.stages:
        over = "-" if s.overcapacity is None else f"{s.overcapacity:.0%}"
        notice = f"{s.notice_date}" + (" (passed)" if s.notice_in_past else "")
        table.add_row(
            s.stage, str(s.households), str(s.displaced), str(s.spares), str(s.pool), over, notice
        )
    return table


def print_result(result: Result, console: Console) -> None:
    """Print status, objective, bound, gap, solver, warnings, costs and KPIs.

    Parameters
    ----------
    result
        What :func:`allocator.solve` returned.
    console
        Where to print (see :func:`make_console`).
    """
    info = result.solver
    gap = "-" if result.gap is None else f"{result.gap:.2%}"
    console.print(f"scenario   {result.scenario}")
    console.print(f"status     {result.status.value}")
    console.print(f"objective  {fmt_dkk(result.objective)} DKK (budget cost plus penalties)")
    console.print(f"bound      {fmt_dkk(result.bound)} DKK")
    console.print(f"gap        {gap}")
    console.print(f"runtime    {result.runtime:.1f} s")
    console.print(
        f"solver     OR-Tools {info.ortools_version}, seed {info.seed}, "
        f"{info.num_workers} workers, time limit {info.time_limit:g} s"
    )
    if result.warnings:
        console.print("warnings:")
        for warning in result.warnings:
            console.print(f"  - {warning}", markup=False)
    if result.plan is None:
        console.print("no plan")
        return
    console.print()
    console.print(_cost_table(result.plan))
    console.print()
    console.print(_kpi_table(result.plan.kpis, result.plan.penalties))
    if result.plan.kpis.stages:
        console.print()
        console.print(_stage_table(result.plan.kpis))


def print_scenario(scenario: Scenario, source: str, console: Console) -> None:
    """Print a short overview of a valid scenario and its R3 notice warnings.

    Parameters
    ----------
    scenario
        The validated scenario.
    source
        The file it came from.
    console
        Where to print (see :func:`make_console`).
    """
    policy = scenario.policy
    console.print(f"{source}: valid scenario {scenario.name!r}", markup=False)
    where = f", municipality {scenario.municipality}" if scenario.municipality else ""
    console.print(f"planning date {policy.planning_date}{where}", markup=False)

    per_stage = Counter(scenario.stage_of(h).id for h in scenario.households)
    table = Table(title=f"Stages ({len(scenario.stages)})", title_justify="left")
    for name in ("stage", "start", "end", "move-out", "back", "notice by", "households"):
        table.add_column(name, justify="right" if name == "households" else "left")
    for stage in scenario.stages:
        table.add_row(
            stage.id,
            str(stage.start),
            str(stage.end),
            str(scenario.date_of(rules.move_out_day(scenario, stage))),
            str(scenario.date_of(rules.back_day(scenario, stage))),
            str(rules.stage_notice_date(scenario, stage)),
            str(per_stage.get(stage.id, 0)),
        )
    console.print(table)

    agreements = Counter(h.agreement for h in scenario.households)
    console.print(
        f"households: {len(scenario.households)} ("
        + ", ".join(f"{a.value} {agreements[a]}" for a in Agreement if agreements[a])
        + ")"
    )
    sources = Counter(d.source for d in scenario.dwellings)
    vacant = Counter(d.source for d in scenario.dwellings if d.vacant_from is not None)
    parts = [
        f"{s.value} {sources[s]}" + (f" of which {vacant[s]} vacant" if vacant[s] else "")
        for s in Source
        if sources[s]
    ]
    console.print(f"dwellings: {len(scenario.dwellings)} (" + "; ".join(parts) + ")")
    referral = sum(d.municipal_referral for d in scenario.dwellings)
    if referral:
        console.print(f"  of which reserved for municipal referral (R15): {referral}")
    console.print(f"after-renovation dwellings: {len(scenario.after_dwellings)}")
    if scenario.pavilions:
        console.print(
            "pavilion types: "
            + ", ".join(
                f"{p.id} ({p.rooms} rooms, up to {p.max_count})" for p in scenario.pavilions
            ),
            markup=False,
        )
    else:
        console.print("pavilion types: none")
    warnings = rules.notice_warnings(scenario) + rules.wish_warnings(scenario)
    if warnings:
        console.print("warnings:")
        for warning in warnings:
            console.print(f"  - {warning}", markup=False)
    else:
        console.print("warnings: none")
