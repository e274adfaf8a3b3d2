"""One row of figures from a :class:`~models.plan.Result`, and how each is named.

The figures are read from the result and its plan (``plan.costs``,
``plan.kpis``), priced once by :mod:`allocator.plan.pricing`; nothing is
priced again here. The keys are the column names of a study's table
(English identifiers, documented in ``docs/STUDIES.md``).
"""

from __future__ import annotations

from typing import Final

from allocator.i18n import Lang, gettext
from allocator.labels import label
from allocator.plan.pricing import TOTAL
from models.plan import CostCategory, Mode, Result
from models.scenario import Source

__all__ = [
    "CATEGORY_COLUMNS",
    "FIGURE_COLUMNS",
    "MONEY_COLUMNS",
    "figures",
    "heading",
]

#: Cost by budget category, DKK: ``cost.<category>``.
CATEGORY_COLUMNS: Final = tuple(f"cost.{c.value}" for c in CostCategory)
_MODE_COLUMNS: Final = tuple(f"households.{m.value}" for m in Mode)
_SOURCE_COLUMNS: Final = tuple(f"stays.{s.value}" for s in Source)

#: The figures of a plan, in table order (all None without a plan).
FIGURE_COLUMNS: Final = (
    "total",
    *CATEGORY_COLUMNS,
    "penalties",
    "rent_loss",
    "vacancy_days",
    "withheld_days",
    "spare_days",
    "time_limited_days",
    "pavilion_modules",
    *_MODE_COLUMNS,
    *_SOURCE_COLUMNS,
    "moves",
)
#: Columns that are amounts in DKK.
MONEY_COLUMNS: Final = frozenset(("total", *CATEGORY_COLUMNS, "penalties", "rent_loss"))


def _headings(lang: Lang) -> dict[str, str]:
    """Headings of the columns that are not a category, mode or source, in ``lang``."""
    return {
        "total": gettext("Total cost", lang),
        "penalties": gettext("Penalties (not budget)", lang),
        "rent_loss": gettext("Rent loss", lang),
        "vacancy_days": gettext("Vacancy days", lang),
        "withheld_days": gettext("Dwelling-days withheld", lang),
        "spare_days": gettext("Spare days", lang),
        "time_limited_days": gettext("Time-limited days", lang),
        "pavilion_modules": gettext("Pavilion modules", lang),
        "moves": gettext("Moves", lang),
        "status": gettext("Status", lang),
        "gap": gettext("Gap", lang),
        "objective": gettext("Objective", lang),
        "runtime": gettext("Runtime (s)", lang),
        "seed": gettext("Seed", lang),
        "error": gettext("Reason", lang),
    }


def figures(result: Result) -> dict[str, float | int | None]:
    """The figures of ``result``'s plan by column name (None for each without a plan).

    Parameters
    ----------
    result
        A solve's result.

    Returns
    -------
    dict
        One value per :data:`FIGURE_COLUMNS` key: costs in DKK from the plan's
        ``total`` row, key figures from ``plan.kpis``, households by mode and
        by source of their temporary place (``stays.<source>``).
    """
    plan = result.plan
    if plan is None:
        return dict.fromkeys(FIGURE_COLUMNS)
    total = next(c for c in plan.costs if c.stage == TOTAL)
    kpis = plan.kpis
    row: dict[str, float | int | None] = {"total": total.total}
    for category in CostCategory:
        row[f"cost.{category.value}"] = total.by_category.get(category, 0.0)
    row |= {
        "penalties": plan.penalties,
        "rent_loss": kpis.rent_loss,
        "vacancy_days": kpis.vacancy_days,
        "withheld_days": kpis.withheld_days,
        "spare_days": kpis.spare_days,
        "time_limited_days": kpis.time_limited_days,
        "pavilion_modules": kpis.pavilion_modules,
    }
    for mode in Mode:
        row[f"households.{mode.value}"] = kpis.households_by_mode.get(mode.value, 0)
    for source in Source:
        row[f"stays.{source.value}"] = kpis.households_by_source.get(source.value, 0)
    row["moves"] = kpis.moves
    return row


def heading(column: str, lang: Lang) -> str:
    """What a column is called in a table for people, in ``lang``."""
    kind, _, code = column.partition(".")
    if kind == "cost" and code:
        category = CostCategory(code)
        return label(category) if lang == "da" else code.replace("_", " ").capitalize()
    if kind == "households" and code:
        mode = Mode(code)
        what = label(mode) if lang == "da" else code
        return gettext("Households: {what}", lang).format(what=what)
    if kind == "stays" and code:
        source = Source(code)
        what = label(source) if lang == "da" else code.replace("_", " ")
        return gettext("Stays: {what}", lang).format(what=what)
    return _headings(lang).get(column, column)
