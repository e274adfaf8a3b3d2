"""The wording of the data model's codes: one label per value, in the output's language.

The letters, the report, its charts and both workbooks name a source, a
rehousing form, a budget category and so on in the words of this module, so
that a planner reads the same label wherever the value appears. Each table
holds the English label (a catalogue msgid, ``allocator/locale/da/labels.po``
has the Danish) of one value of an enumeration; :func:`label` looks any value
up in the language asked for, :func:`short_label` the abbreviated form for a
narrow table column.

The ``*_DA`` mappings are the Danish labels, kept for callers that predate
the catalogue; new code calls :func:`label`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from allocator.i18n import DEFAULT_LANG, N_, Lang, gettext
from models.plan import CostCategory, Mode, Plan, SegmentKind, Status
from models.scenario import Agreement, Source, StayRent, TieBreak

__all__ = [
    "AGREEMENT_DA",
    "CATEGORY_DA",
    "MODE_DA",
    "MODE_SHORT",
    "SEGMENT_DA",
    "SOURCE_DA",
    "SOURCE_SHORT",
    "STATUS_DA",
    "TIE_BREAK_DA",
    "KeyFigure",
    "key_figures",
    "label",
    "labelled_enums",
    "short_label",
]


def _(message: str) -> str:
    """Mark ``message`` for the catalogue; translated when looked up by :func:`label`."""
    return message


#: Where a rehousing dwelling comes from (R7).
SOURCE: Final[Mapping[Source, str]] = {
    Source.OWN_DEPARTMENT: _("own department"),
    Source.OWN_ORGANISATION: _("another department of the housing organisation"),
    Source.PARTNER: _("dwelling borrowed from a partner"),
    Source.PAVILION: _("pavilion"),
}

#: How a household is rehoused in the plan.
MODE: Final[Mapping[Mode, str]] = {
    Mode.TEMPORARY: _("temporary rehousing"),
    Mode.DIRECT: _("straight to a new dwelling"),
    Mode.PERMANENT: _("permanent rehousing"),
}

#: What a rehousing dwelling is used for in a period of its timeline.
SEGMENT: Final[Mapping[SegmentKind, str]] = {
    SegmentKind.HELD_EMPTY: _("held empty"),
    SegmentKind.TIME_LIMITED: _("let on a time-limited lease"),
    SegmentKind.OCCUPIED: _("lived in by a rehoused household"),
    SegmentKind.SPARE: _("spare dwelling (overcapacity)"),
    SegmentKind.PERMANENT: _("let permanently"),
}

#: The budget categories (the guide's budget model).
CATEGORY: Final[Mapping[CostCategory, str]] = {
    CostCategory.RENT_LOSS_EMPTY: _("Rent loss, empty dwellings"),
    CostCategory.RENT_LOSS_OCCUPIED: _("Rent loss, rehousing dwellings"),
    CostCategory.RENT_LOSS_VACATED: _("Rent loss, vacated dwellings"),
    CostCategory.RENT_LOSS_SPARE: _("Rent loss, spare dwellings (overcapacity)"),
    CostCategory.RENT_REDUCTION: _("Rent reduction"),
    CostCategory.PAVILION_SETUP: _("Pavilions, setting up"),
    CostCategory.PAVILION_RENT: _("Pavilions, rent"),
    CostCategory.PAVILION_REMOVAL: _("Pavilions, removal"),
    CostCategory.MOVING: _("Moving company/moving allowance"),
    CostCategory.EXTRA_HELP: _("Extra moving help"),
    CostCategory.TRANSFERS: _("Moving phone, internet and TV"),
    CostCategory.STORAGE: _("Storage"),
    CostCategory.TIME_LIMITED_DEPOSITS: _("Reduced deposits of time-limited leases"),
    CostCategory.CLEANING_INSPECTION: _("Inspection and repair"),
    CostCategory.CONSULTANT: _("Rehousing consultant"),
}

#: A household's rehousing agreement (R8).
AGREEMENT: Final[Mapping[Agreement, str]] = {
    Agreement.TEMPORARY: _("temporary rehousing"),
    Agreement.PERMANENT: _("permanent rehousing"),
    Agreement.UNDECIDED: _("undecided"),
}

#: How equal seniority is decided (R9).
TIE_BREAK: Final[Mapping[TieBreak, str]] = {
    TieBreak.BIRTH_DATE: _("oldest main tenant first, then household id"),
    TieBreak.HOUSEHOLD_ID: _("household id"),
}

#: The outcome of a solve.
STATUS: Final[Mapping[Status, str]] = {
    Status.OPTIMAL: _("optimal"),
    Status.FEASIBLE: _("valid plan (not proven optimal)"),
    Status.INFEASIBLE: _("no plan possible"),
    Status.NO_SOLUTION_IN_TIME: _("no plan found within the time limit"),
    Status.MODEL_INVALID: _("invalid model"),
}

#: What a household pays while it lives in a temporary place (R14).
STAY_RENT: Final[Mapping[StayRent, str]] = {
    StayRent.OWN_RENT: _("its own rent, less the rent reduction"),
    StayRent.LOWER_OF_TWO: _("the lower of its own rent and the temporary dwelling's"),
}

#: :data:`MODE` abbreviated for a narrow table column.
MODE_SHORT_EN: Final[Mapping[Mode, str]] = {
    Mode.TEMPORARY: _("temporary"),
    Mode.DIRECT: _("direct"),
    Mode.PERMANENT: _("permanent"),
}

#: :data:`SOURCE` abbreviated for a narrow table column.
SOURCE_SHORT_EN: Final[Mapping[Source, str]] = {
    Source.OWN_DEPARTMENT: _("own department"),
    Source.OWN_ORGANISATION: _("own organisation"),
    Source.PARTNER: _("partner"),
    Source.PAVILION: _("pavilion"),
}

# By enumeration, not one merged table: values of different enumerations can
# be equal strings (Mode.PERMANENT == SegmentKind.PERMANENT == "permanent").
_TABLES: Final[Mapping[type[StrEnum], Mapping[Any, str]]] = {
    Source: SOURCE,
    Mode: MODE,
    SegmentKind: SEGMENT,
    CostCategory: CATEGORY,
    Agreement: AGREEMENT,
    TieBreak: TIE_BREAK,
    Status: STATUS,
    StayRent: STAY_RENT,
}
_SHORT: Final[Mapping[type[StrEnum], Mapping[Any, str]]] = {
    Source: SOURCE_SHORT_EN,
    Mode: MODE_SHORT_EN,
}


def labelled_enums() -> tuple[type[StrEnum], ...]:
    """Every enumeration :func:`label` knows (their values never appear raw in an output)."""
    return tuple(_TABLES)


def label(value: StrEnum, lang: Lang = DEFAULT_LANG) -> str:
    """The label of a code of the data model in ``lang``.

    Parameters
    ----------
    value
        A member of :class:`~models.scenario.Source`,
        :class:`~models.plan.Mode`, :class:`~models.plan.SegmentKind`,
        :class:`~models.plan.CostCategory`,
        :class:`~models.scenario.Agreement`,
        :class:`~models.scenario.TieBreak`, :class:`~models.plan.Status` or
        :class:`~models.scenario.StayRent`.
    lang
        The output's language (Danish by default).

    Returns
    -------
    str
        Its label, e.g. ``"Huslejetab, tomme boliger"`` for
        ``CostCategory.RENT_LOSS_EMPTY`` in Danish.

    Raises
    ------
    KeyError
        For a value of another enumeration.
    """
    return gettext(_TABLES[type(value)][value], lang)


def short_label(value: Source | Mode, lang: Lang = DEFAULT_LANG) -> str:
    """The abbreviated label of a source or mode, for a narrow table column."""
    return gettext(_SHORT[type(value)][value], lang)


@dataclass(frozen=True)
class KeyFigure:
    """One key figure of a plan as every output shows it.

    Attributes
    ----------
    label
        Its wording in the output's language.
    value
        DKK when ``money``, else a count of days, moves, modules or households.
    key
        The field name programs read (``rent_loss``, ``households_by_mode.temporary``).
    """

    label: str
    value: float
    key: str
    money: bool


#: The plan's key figures in the order every output lists them: key, wording, DKK?
_FIGURES: Final = (
    ("budget_total", N_("Total cost"), True),
    ("rent_loss", N_("Rent loss"), True),
    ("vacancy_days", N_("Vacancy days (held empty)"), False),
    ("occupied_days", N_("Days lived in in rehousing dwellings"), False),
    ("withheld_days", N_("Days withheld from the waiting list (R16)"), False),
    ("time_limited_days", N_("Days let on time-limited leases"), False),
    ("moves", N_("Moves"), False),
    ("pavilion_modules", N_("Pavilion modules"), False),
    ("penalties", N_("Penalties for soft wishes (not budget)"), True),
)


def key_figures(plan: Plan, lang: Lang = DEFAULT_LANG) -> list[KeyFigure]:
    """The key figures of ``plan`` in ``lang``: costs, days, moves, households by mode and source.

    One list for the report, the result workbook and the command line, so a
    figure reads the same wherever it appears.
    """
    k = plan.kpis
    total = next((c.total for c in plan.costs if c.stage == "total"), None)
    values = {
        "budget_total": total if total is not None else sum(c.total for c in plan.costs),
        "rent_loss": k.rent_loss,
        "vacancy_days": k.vacancy_days,
        "occupied_days": k.occupied_days,
        "withheld_days": k.withheld_days,
        "time_limited_days": k.time_limited_days,
        "moves": k.moves,
        "pavilion_modules": k.pavilion_modules,
        "penalties": plan.penalties,
    }
    out = [KeyFigure(gettext(text, lang), values[key], key, money) for key, text, money in _FIGURES]
    for field, enum, text in (
        ("households_by_mode", Mode, N_("Households: %(what)s")),
        ("households_by_source", Source, N_("Households by source: %(what)s")),
    ):
        counts: dict[str, int] = getattr(k, field)
        for code, n in sorted(counts.items()):
            # by source also counts households that need no place: by their mode
            kind = enum if code in set(enum) else Mode if code in set(Mode) else None
            what = label(kind(code), lang) if kind is not None else code
            out.append(KeyFigure(gettext(text, lang) % {"what": what}, n, f"{field}.{code}", False))
    return out


def _danish(table: Mapping[Any, str]) -> Mapping[Any, str]:
    return MappingProxyType({key: gettext(text, "da") for key, text in table.items()})


SOURCE_DA: Final = _danish(SOURCE)
MODE_DA: Final = _danish(MODE)
SEGMENT_DA: Final = _danish(SEGMENT)
CATEGORY_DA: Final = _danish(CATEGORY)
AGREEMENT_DA: Final = _danish(AGREEMENT)
TIE_BREAK_DA: Final = _danish(TIE_BREAK)
STATUS_DA: Final = _danish(STATUS)
MODE_SHORT: Final = _danish(MODE_SHORT_EN)
SOURCE_SHORT: Final = _danish(SOURCE_SHORT_EN)
