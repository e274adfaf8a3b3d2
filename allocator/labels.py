"""Danish labels of the data model's codes: one wording per value, used everywhere.

The letters, the report, its charts and both workbooks name a source, a
rehousing form, a budget category and so on in the words of this module, so
that a planner reads the same label wherever the value appears. Each table
holds one label per value of an enumeration; :func:`label` looks any value
up. ``MODE_SHORT`` and ``SOURCE_SHORT`` are the abbreviated forms for
narrow table columns.

Notes
-----
The tables are plain dictionaries so that they can become a gettext message
catalogue (Danish and English) without changing their users.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from models.plan import CostCategory, Mode, SegmentKind, Status
from models.scenario import Agreement, Source, TieBreak

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
    "label",
]

#: Where a rehousing dwelling comes from (R7).
SOURCE_DA: Final[Mapping[Source, str]] = {
    Source.OWN_DEPARTMENT: "egen afdeling",
    Source.OWN_ORGANISATION: "anden afdeling i boligorganisationen",
    Source.PARTNER: "bolig lånt af en samarbejdspartner",
    Source.PAVILION: "pavillon",
}

#: How a household is rehoused in the plan.
MODE_DA: Final[Mapping[Mode, str]] = {
    Mode.TEMPORARY: "midlertidig genhusning",
    Mode.DIRECT: "direkte til ny bolig",
    Mode.PERMANENT: "permanent genhusning",
}

#: What a rehousing dwelling is used for in a period of its timeline.
SEGMENT_DA: Final[Mapping[SegmentKind, str]] = {
    SegmentKind.HELD_EMPTY: "holdt tom",
    SegmentKind.TIME_LIMITED: "tidsbegrænset udlejet",
    SegmentKind.OCCUPIED: "beboet af genhuset husstand",
    SegmentKind.SPARE: "reservebolig (overkapacitet)",
    SegmentKind.PERMANENT: "udlejet permanent",
}

#: The budget categories (the guide's budget model).
CATEGORY_DA: Final[Mapping[CostCategory, str]] = {
    CostCategory.RENT_LOSS_EMPTY: "Huslejetab, tomme boliger",
    CostCategory.RENT_LOSS_OCCUPIED: "Huslejetab, genhusningsboliger",
    CostCategory.RENT_LOSS_VACATED: "Huslejetab, fraflyttede boliger",
    CostCategory.RENT_LOSS_SPARE: "Huslejetab, reserveboliger (overkapacitet)",
    CostCategory.RENT_REDUCTION: "Huslejenedsættelse",
    CostCategory.PAVILION_SETUP: "Pavilloner, opstilling",
    CostCategory.PAVILION_RENT: "Pavilloner, leje",
    CostCategory.PAVILION_REMOVAL: "Pavilloner, nedtagning",
    CostCategory.MOVING: "Flyttefirma/flyttegodtgørelse",
    CostCategory.EXTRA_HELP: "Ekstra flyttehjælp",
    CostCategory.TRANSFERS: "Flytning af telefon, internet og tv",
    CostCategory.STORAGE: "Opmagasinering",
    CostCategory.TIME_LIMITED_DEPOSITS: "Nedsat indskud ved tidsbegrænset udlejning",
    CostCategory.CLEANING_INSPECTION: "Syn og istandsættelse",
    CostCategory.CONSULTANT: "Genhusningskonsulent",
}

#: A household's rehousing agreement (R8).
AGREEMENT_DA: Final[Mapping[Agreement, str]] = {
    Agreement.TEMPORARY: "midlertidig genhusning",
    Agreement.PERMANENT: "permanent genhusning",
    Agreement.UNDECIDED: "uafklaret",
}

#: How equal seniority is decided (R9).
TIE_BREAK_DA: Final[Mapping[TieBreak, str]] = {
    TieBreak.BIRTH_DATE: "ældste hovedlejer først, derefter husstands-id",
    TieBreak.HOUSEHOLD_ID: "husstands-id",
}

#: The outcome of a solve.
STATUS_DA: Final[Mapping[Status, str]] = {
    Status.OPTIMAL: "optimal",
    Status.FEASIBLE: "gyldig plan (ikke bevist optimal)",
    Status.INFEASIBLE: "ingen plan mulig",
    Status.NO_SOLUTION_IN_TIME: "ingen plan fundet inden for tidsgrænsen",
    Status.MODEL_INVALID: "ugyldig model",
}

#: :data:`MODE_DA` abbreviated for a narrow table column.
MODE_SHORT: Final[Mapping[Mode, str]] = {
    Mode.TEMPORARY: "midlertidig",
    Mode.DIRECT: "direkte",
    Mode.PERMANENT: "permanent",
}

#: :data:`SOURCE_DA` abbreviated for a narrow table column.
SOURCE_SHORT: Final[Mapping[Source, str]] = {
    Source.OWN_DEPARTMENT: "egen afdeling",
    Source.OWN_ORGANISATION: "eget selskab",
    Source.PARTNER: "samarbejdspartner",
    Source.PAVILION: "pavillon",
}

# By enumeration, not one merged table: values of different enumerations can
# be equal strings (Mode.PERMANENT == SegmentKind.PERMANENT == "permanent").
_TABLES: Final[Mapping[type[StrEnum], Mapping[Any, str]]] = {
    Source: SOURCE_DA,
    Mode: MODE_DA,
    SegmentKind: SEGMENT_DA,
    CostCategory: CATEGORY_DA,
    Agreement: AGREEMENT_DA,
    TieBreak: TIE_BREAK_DA,
    Status: STATUS_DA,
}


def label(value: StrEnum) -> str:
    """The Danish label of a code of the data model.

    Parameters
    ----------
    value
        A member of :class:`~models.scenario.Source`,
        :class:`~models.plan.Mode`, :class:`~models.plan.SegmentKind`,
        :class:`~models.plan.CostCategory`,
        :class:`~models.scenario.Agreement`,
        :class:`~models.scenario.TieBreak` or :class:`~models.plan.Status`.

    Returns
    -------
    str
        Its label, e.g. ``"Huslejetab, tomme boliger"`` for
        ``CostCategory.RENT_LOSS_EMPTY``.

    Raises
    ------
    KeyError
        For a value of another enumeration.
    """
    return _TABLES[type(value)][value]
