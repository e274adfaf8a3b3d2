"""Excel input template, Excel reader and result workbook.

Planners work in Excel, so a scenario can be kept in a workbook and a result
can be handed back as one.

Input workbook conventions (written by :func:`write_template`, read by
:func:`read_workbook`):

- One sheet per entity. Table sheets (one row per item): ``Etaper``
  (stages), ``Boliger`` (dwellings), ``Husstande`` (households),
  ``Nye boliger`` (after-renovation dwellings), ``Pavilloner`` (pavilion
  types). Key/value sheets: ``Sag`` (name, municipality), ``Politik``
  (policy), ``Omkostninger`` (costs), ``Strafpoint`` (penalties). Sheet
  names are matched ignoring case; the English names (``stages``,
  ``dwellings``, ``households``, ``after_dwellings``, ``pavilions``,
  ``scenario``, ``policy``, ``costs``, ``penalties``) work too. Other
  sheets (such as ``Vejledning``, the Danish guide) are ignored. ``Politik``,
  ``Etaper``, ``Boliger`` and ``Husstande`` are required.
- Row 1 holds a Danish header, row 2 the English field name of the data
  model; data start in row 3. The reader only looks at row 2, so Danish
  headers may be renamed and columns reordered. A column whose row-2 cell is
  empty is ignored (use it for notes). Empty rows are skipped.
- Key/value sheets have the columns ``label`` (Danish text, ignored),
  ``value`` and ``key`` (the English field name). Moving-company prices are
  the keys ``moving_company.N`` (N = rooms). A missing key or an empty value
  means the model's default.
- Yes/no fields are written ``ja``/``nej`` (drop-down); the reader also
  accepts real TRUE/FALSE cells and yes/no, true/false, sand/falsk, 1/0.
- Enumerations (source, agreement, tie_break) are the English codes of the
  data model, chosen from drop-downs; the reader ignores case and reads
  spaces and hyphens as underscores.
- Dates are Excel dates (shown ``yyyy-mm-dd``); text is accepted as ISO
  ``2027-03-01`` or day-first ``1-3-2027`` / ``1.3.2027`` / ``1/3/2027``.
- Lists (wishes, excluded_sources, preferred_sources, replaces) are
  comma-separated text, e.g. ``N1, N2``.
- Numbers may also be text with a decimal comma (``5500,50``) or a percent
  sign (``20%``).

Every problem in a workbook is reported in one :class:`InputError` whose
messages name the file, sheet, Excel row and column.

The result workbook (:func:`write_result_workbook`) has the sheets ``Plan``,
``Tidslinjer``, ``Budget``, ``Nøgletal``, ``Løsning`` and optionally
``Aktivitetsplan``; it uses the same two header rows.
"""

from __future__ import annotations

import io
import math
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Final

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel, ValidationError

from allocator.io import InputError, write_atomic
from models.plan import CostCategory, Plan, Result
from models.scenario import (
    AfterDwelling,
    Agreement,
    Costs,
    Dwelling,
    Household,
    PavilionType,
    Penalties,
    Policy,
    Scenario,
    Source,
    Stage,
    TieBreak,
)

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "BUDGET_LABELS",
    "InputError",
    "example_scenario",
    "read_workbook",
    "write_result_workbook",
    "write_template",
]

PathLike = str | os.PathLike[str]

# ---------------------------------------------------------------------------
# Conventions shared by writer and reader
# ---------------------------------------------------------------------------

FIRST_DATA_ROW: Final = 3
"""Row 1: Danish header, row 2: English field name, data from row 3."""

YES: Final = "ja"
NO: Final = "nej"
_TRUE_WORDS: Final = frozenset({"ja", "j", "yes", "y", "true", "sand", "1", "x"})
_FALSE_WORDS: Final = frozenset({"nej", "n", "no", "false", "falsk", "0"})

DATE_FORMAT: Final = "yyyy-mm-dd"
MONEY_FORMAT: Final = "#,##0.00"
PERCENT_FORMAT: Final = "0.0%"
TEXT_FORMAT: Final = "@"
_PERCENT_FIELDS: Final = frozenset({"overcapacity", "rent_reduction"})
_PLAIN_FLOAT_FIELDS: Final = frozenset({"area_m2"})
_LAST_ROW: Final = 1_048_576  # validations and formats cover the whole column

_HEADER_FONT: Final = Font(bold=True, color="FFFFFF")
_HEADER_FILL: Final = PatternFill("solid", fgColor="1F4E78")
_FIELD_FONT: Final = Font(italic=True, color="595959", size=9)
_FIELD_FILL: Final = PatternFill("solid", fgColor="DDEBF7")

#: Danish names of the budget categories (the guide's budget model).
BUDGET_LABELS: Final[Mapping[CostCategory, str]] = {
    CostCategory.RENT_LOSS_EMPTY: "Huslejetab tomme boliger",
    CostCategory.RENT_LOSS_OCCUPIED: "Huslejetab genhusningsboliger",
    CostCategory.RENT_LOSS_VACATED: "Huslejetab fraflyttede boliger",
    CostCategory.RENT_LOSS_SPARE: "Huslejetab reserveboliger (overkapacitet)",
    CostCategory.RENT_REDUCTION: "Huslejenedsættelse",
    CostCategory.PAVILION_SETUP: "Pavilloner, opstilling",
    CostCategory.PAVILION_RENT: "Pavilloner, leje",
    CostCategory.PAVILION_REMOVAL: "Pavilloner, nedtagning",
    CostCategory.MOVING: "Flyttefirma/flyttegodtgørelse",
    CostCategory.EXTRA_HELP: "Ekstra flyttehjælp",
    CostCategory.TRANSFERS: "Flytning af tlf/internet/tv",
    CostCategory.STORAGE: "Opmagasinering",
    CostCategory.TIME_LIMITED_DEPOSITS: "Nedsat indskud ved tidsbegrænset udlejning",
    CostCategory.CLEANING_INSPECTION: "Syn og istandsættelse",
    CostCategory.CONSULTANT: "Genhusningskonsulent",
}

_ENUM_LABELS: Final[Mapping[Enum, str]] = {
    Source.OWN_DEPARTMENT: "egen afdeling",
    Source.OWN_ORGANISATION: "anden afdeling i egen boligorganisation",
    Source.PARTNER: "lånt bolig fra en anden boligorganisation",
    Source.PAVILION: "pavillon (kun i lister over kilder)",
    Agreement.TEMPORARY: "midlertidig genhusning: flytter tilbage",
    Agreement.PERMANENT: "permanent genhusning: flytter for altid",
    Agreement.UNDECIDED: "uafklaret: planen anbefaler",
    TieBreak.BIRTH_DATE: "ældste hovedlejer først, derefter husstands-id",
    TieBreak.HOUSEHOLD_ID: "husstands-id",
}


class _Kind(Enum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    DATE = "date"
    BOOL = "bool"
    ENUM = "enum"
    LIST = "list"
    MAP = "map"


@dataclass(frozen=True)
class _Field:
    """A model field as a workbook column (or key/value row)."""

    name: str
    kind: _Kind
    label: str
    help: str = ""
    enum: type[StrEnum] | None = None  # enumeration, or item type of a list

    @property
    def number_format(self) -> str | None:
        if self.kind is _Kind.DATE:
            return DATE_FORMAT
        if self.kind in (_Kind.STR, _Kind.LIST):
            return TEXT_FORMAT
        if self.kind is _Kind.FLOAT and self.name in _PERCENT_FIELDS:
            return PERCENT_FORMAT
        if self.kind is _Kind.FLOAT and self.name not in _PLAIN_FLOAT_FIELDS:
            return MONEY_FORMAT
        return None


def _kind_of(annotation: Any) -> tuple[_Kind, type[StrEnum] | None]:
    """Workbook kind of a pydantic field annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _kind_of(args[0])
    if origin is list:
        item = typing.get_args(annotation)[0]
        item_enum = item if isinstance(item, type) and issubclass(item, StrEnum) else None
        return _Kind.LIST, item_enum
    if origin is dict:
        return _Kind.MAP, None
    if annotation is date:
        return _Kind.DATE, None
    if annotation is bool:
        return _Kind.BOOL, None
    if annotation is int:
        return _Kind.INT, None
    if annotation is float:
        return _Kind.FLOAT, None
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return _Kind.ENUM, annotation
    return _Kind.STR, None


# Danish header text and help (shown as a header comment) per model field.
_LABELS: Final[Mapping[type[BaseModel], Mapping[str, str | tuple[str, str]]]] = {
    Scenario: {
        "name": "Sagens navn",
        "municipality": ("Kommune", "Kommunen genhusningsboliger skal ligge i (R7)."),
    },
    Stage: {
        "id": "Etape-id",
        "name": "Navn",
        "start": ("Byggestart", "Første dag med fysiske arbejder."),
        "end": ("Byggeslut", "Dagen arbejderne er færdige (første dag efter)."),
    },
    Dwelling: {
        "id": "Bolig-id",
        "source": ("Kilde", "own_department, own_organisation eller partner."),
        "stage": ("Etape", "Kun egen afdeling: etapen der renoverer boligen."),
        "address": "Adresse",
        "rooms": "Rum",
        "area_m2": "Areal (m²)",
        "floor": ("Etage", "0 = stueetage, -1 = kælder."),
        "elevator": "Elevator",
        "wheelchair": "Kørestolsegnet",
        "monthly_rent": "Husleje pr. måned (kr.)",
        "vacant_from": ("Ledig fra", "Første dag boligen er tom og kan bruges; tom = beboet."),
        "hand_back": ("Tilbageleveres", "Lånte boliger: sidste dag vi må bruge boligen."),
        "municipal_referral": ("Kommunal anvisning", "Forbeholdt kommunal anvisning (R15)."),
        "municipality": "Kommune",
    },
    Household: {
        "id": "Husstands-id",
        "name": "Navn",
        "dwelling": ("Nuværende bolig", "Bolig-id fra arket Boliger."),
        "adults": "Voksne",
        "children": "Børn",
        "seniority_date": ("Anciennitetsdato", "Indflytning i afdelingen (R9)."),
        "birth_date": ("Fødselsdato", "Hovedlejers fødselsdato; afgør lige anciennitet."),
        "wheelchair": "Kørestolsbruger",
        "step_free": ("Niveaufri adgang", "Kræver stueetage, elevator eller kørestolsegnet."),
        "max_floor": "Højeste etage",
        "elderly": "Ældre",
        "disabled": "Handicappet",
        "agreement": ("Genhusningsaftale", "temporary, permanent eller undecided."),
        "rooms_min": ("Ønsket mindst rum", "Ønske; færre rum giver strafpoint."),
        "rooms_max": ("Højst rum", "Krav: aldrig flere rum end dette."),
        "excluded_sources": ("Fravalgte kilder", "Kommasepareret, fx partner, pavilion."),
        "preferred_sources": ("Foretrukne kilder", "Kommasepareret, fx own_department."),
        "wishes": (
            "Ønsker efter renovering",
            "Bolig-id'er fra arket Nye boliger, mest ønsket først, kommasepareret.",
        ),
        "self_move": ("Flytter selv", "Flytter selv mod flyttegodtgørelse."),
        "storage": ("Opmagasinering", "Loft- og kælderrum opmagasineres under genhusningen."),
    },
    AfterDwelling: {
        "id": "Bolig-id",
        "stage": "Etape",
        "rooms": "Rum",
        "area_m2": "Areal (m²)",
        "floor": "Etage",
        "elevator": "Elevator",
        "wheelchair": "Kørestolsegnet",
        "monthly_rent": "Husleje pr. måned (kr.)",
        "replaces": (
            "Erstatter boliger",
            "Nuværende bolig-id'er der forsvinder ved sammenlægning, kommasepareret.",
        ),
    },
    PavilionType: {
        "id": "Type-id",
        "rooms": "Rum",
        "area_m2": "Areal (m²)",
        "wheelchair": "Kørestolsegnet",
        "max_count": "Højst antal moduler",
        "setup_cost": "Opstilling (kr.)",
        "removal_cost": "Nedtagning (kr.)",
        "monthly_rent": "Leje pr. måned (kr.)",
        "min_months": "Mindste lejeperiode (måneder)",
        "lead_days": ("Leveringstid (dage)", "Fra bestilling til klar."),
    },
    Policy: {
        "planning_date": "Planlægningsdato (dag 0, i dag)",
        "clearing_days": "Ryddet antal dage før byggestart (R1)",
        "ready_days": "Klar antal dage efter byggeslut (R1)",
        "turnaround_days": "Klargøring mellem to beboere, dage (R2)",
        "notice_months": "Varsel, måneder før byggestart (R3)",
        "legal_notice_months": "Lovpligtigt varsel, måneder (R3)",
        "persons_per_room": "Personer pr. rum (R5)",
        "overcapacity": "Overkapacitet, mindst (R10)",
        "time_limited_min_days": "Korteste tidsbegrænsede udlejning, dage (R11)",
        "same_municipality": "Midlertidige boliger kun i samme kommune (R7)",
        "tie_break": "Lige anciennitet afgøres ved (R9)",
    },
    Costs: {
        "moving_company": "Flyttefirma pr. flytning, bolig med {n} rum",
        "self_move_allowance": "Flyttegodtgørelse pr. flytning (flytter selv)",
        "extra_help": "Ekstra flyttehjælp pr. flytning (ældre, handicappede)",
        "transfer": "Flytning af tlf/internet/tv pr. flytning",
        "storage_per_month": "Opmagasinering pr. påbegyndt måned",
        "time_limited_deposit": "Nedsat indskud pr. tidsbegrænset lejemål",
        "consultant_per_household": "Genhusningskonsulent pr. husstand",
        "rent_reduction": "Huslejenedsættelse under genhusning (andel af egen husleje)",
    },
    Penalties: {
        "source_not_preferred": "Strafpoint: ikke en foretrukken kilde (kr. pr. husstand)",
        "room_short": "Strafpoint: pr. rum under ønsket mindst antal rum (kr.)",
    },
}


def _fields(model: type[BaseModel], only: Sequence[str] | None = None) -> list[_Field]:
    """The workbook fields of ``model`` in model order."""
    labels = _LABELS[model]
    out: list[_Field] = []
    for name, info in model.model_fields.items():
        if only is not None and name not in only:
            continue
        kind, enum = _kind_of(info.annotation)
        text = labels.get(name, name)
        label, help_ = (text, "") if isinstance(text, str) else text
        out.append(_Field(name, kind, label, help_, enum))
    return out


@dataclass(frozen=True)
class _TableSheet:
    title: str
    attr: str  # the Scenario list attribute
    model: type[BaseModel]
    required: bool
    noun: str  # how the scenario validator names an unknown id of this kind


@dataclass(frozen=True)
class _KeySheet:
    title: str
    attr: str | None  # the Scenario attribute, None for the scenario's own fields
    model: type[BaseModel]
    required: bool
    only: tuple[str, ...] | None = None


_TABLES: Final = (
    _TableSheet("Etaper", "stages", Stage, True, "stage"),
    _TableSheet("Boliger", "dwellings", Dwelling, True, "dwelling"),
    _TableSheet("Husstande", "households", Household, True, "household"),
    _TableSheet(
        "Nye boliger", "after_dwellings", AfterDwelling, False, "after-renovation dwelling"
    ),
    _TableSheet("Pavilloner", "pavilions", PavilionType, False, "pavilion type"),
)
_KEY_SHEETS: Final = (
    _KeySheet("Sag", None, Scenario, False, ("name", "municipality")),
    _KeySheet("Politik", "policy", Policy, True),
    _KeySheet("Omkostninger", "costs", Costs, False),
    _KeySheet("Strafpoint", "penalties", Penalties, False),
)
_GUIDE_TITLE: Final = "Vejledning"
_SHEET_ORDER: Final = (
    "Sag",
    "Politik",
    "Etaper",
    "Boliger",
    "Husstande",
    "Nye boliger",
    "Pavilloner",
    "Omkostninger",
    "Strafpoint",
)
_KEY_COLUMNS: Final = (("Felt", "label"), ("Værdi", "value"), ("Nøgle", "key"))


# ---------------------------------------------------------------------------
# Example scenario
# ---------------------------------------------------------------------------


def example_scenario() -> Scenario:
    """A small, filled example case: the default content of the template.

    Two stages of a department, six department dwellings, four rehousing
    dwellings elsewhere, five households, one merged after-renovation
    dwelling and one pavilion type.

    Returns
    -------
    Scenario
        The example scenario ("Eksempel: Solgården").
    """
    d = date.fromisoformat
    dep = Source.OWN_DEPARTMENT
    org = Source.OWN_ORGANISATION
    return Scenario(
        name="Eksempel: Solgården",
        municipality="Aarhus",
        policy=Policy(planning_date=d("2027-01-04")),
        stages=[
            Stage(id="E1", name="Blok A", start=d("2027-06-01"), end=d("2027-09-01")),
            Stage(id="E2", name="Blok B", start=d("2027-11-01"), end=d("2028-02-01")),
        ],
        dwellings=[
            Dwelling(id="A1", source=dep, stage="E1", address="Solvej 1, st. th.", rooms=3,
                     area_m2=75, floor=0, monthly_rent=5600),
            Dwelling(id="A2", source=dep, stage="E1", address="Solvej 1, 1. th.", rooms=2,
                     area_m2=58, floor=1, monthly_rent=4400),
            Dwelling(id="A3", source=dep, stage="E1", address="Solvej 1, 1. tv.", rooms=3,
                     area_m2=72, floor=1, monthly_rent=5400),
            Dwelling(id="B1", source=dep, stage="E2", address="Solvej 3, st. th.", rooms=2,
                     area_m2=60, floor=0, monthly_rent=4500),
            Dwelling(id="B2", source=dep, stage="E2", address="Solvej 3, 2. th.", rooms=4,
                     area_m2=92, floor=2, monthly_rent=6800),
            Dwelling(id="B3", source=dep, stage="E2", address="Solvej 3, 1. tv.", rooms=3,
                     area_m2=74, floor=1, monthly_rent=5500, vacant_from=d("2027-02-01")),
            Dwelling(id="O1", source=org, address="Månevej 10, st.", rooms=3, area_m2=78,
                     floor=0, monthly_rent=5900, vacant_from=d("2027-03-01")),
            Dwelling(id="O2", source=org, address="Månevej 12, 3. tv.", rooms=2, area_m2=55,
                     floor=3, elevator=True, monthly_rent=4300, vacant_from=d("2027-04-01")),
            Dwelling(id="O3", source=org, address="Månevej 14, 1. th.", rooms=2, area_m2=57,
                     floor=1, monthly_rent=4350, vacant_from=d("2027-02-15"),
                     municipal_referral=True),
            Dwelling(id="P1", source=Source.PARTNER, address="Stjernevej 5, 2. th.", rooms=4,
                     area_m2=95, floor=2, elevator=True, monthly_rent=7100,
                     vacant_from=d("2027-04-15"), hand_back=d("2028-06-30")),
        ],
        households=[
            Household(id="H1", name="Jensen", dwelling="A1", adults=2, children=1,
                      seniority_date=d("2004-05-01"), birth_date=d("1971-03-12"),
                      storage=True),
            Household(id="H2", name="Nielsen", dwelling="A2", adults=1,
                      seniority_date=d("1988-09-01"), birth_date=d("1946-11-30"),
                      step_free=True, elderly=True, preferred_sources=[dep, org]),
            Household(id="H3", name="Hansen", dwelling="A3", adults=2, children=3,
                      seniority_date=d("2011-02-01"), birth_date=d("1983-06-04"),
                      agreement=Agreement.UNDECIDED, rooms_min=4, wishes=["N1"],
                      excluded_sources=[Source.PAVILION]),
            Household(id="H4", name="Pedersen", dwelling="B1", adults=1,
                      seniority_date=d("2019-08-01"), self_move=True),
            Household(id="H5", name="Andersen", dwelling="B2", adults=2, children=2,
                      seniority_date=d("1999-01-01"), agreement=Agreement.PERMANENT,
                      rooms_min=4),
        ],
        after_dwellings=[
            AfterDwelling(id="N1", stage="E1", rooms=5, area_m2=125, floor=1, monthly_rent=9200,
                          replaces=["A3"]),
        ],
        pavilions=[
            PavilionType(id="PAV3", rooms=3, area_m2=65, max_count=2, setup_cost=60000,
                         removal_cost=30000, monthly_rent=7000, min_months=6, lead_days=90),
        ],
    )  # fmt: skip


# ---------------------------------------------------------------------------
# Writing helpers
# ---------------------------------------------------------------------------


def _save(wb: Workbook, path: PathLike) -> None:
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomic(path, buffer.getvalue())


def _cell_value(value: Any) -> Any:
    """A Python value as something openpyxl writes well."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return ", ".join(str(_cell_value(v)) for v in value) or None
    if isinstance(value, str) and not value:
        return None
    return value


def _put(ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = _cell_value(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    if number_format is not None:
        cell.number_format = number_format


@dataclass
class _Column:
    label: str  # Danish header, row 1
    key: str  # English name, row 2
    number_format: str | None = None
    help: str = ""
    choices: Sequence[str] | None = None  # drop-down values
    width: float | None = None


def _write_table(
    ws: Worksheet,
    columns: Sequence[_Column],
    rows: Iterable[Sequence[Any]],
    *,
    first_row: int = 1,
    freeze: str | None = "B3",
    whole_columns: bool = True,
    widen_only: bool = False,
) -> int:
    """Write two header rows and data rows; return the last row written."""
    for c, col in enumerate(columns, start=1):
        top = ws.cell(row=first_row, column=c, value=col.label)
        top.font = _HEADER_FONT
        top.fill = _HEADER_FILL
        top.alignment = Alignment(vertical="top", wrap_text=True)
        if col.help:
            top.comment = Comment(col.help, "genhus", width=260, height=90)
        sub = ws.cell(row=first_row + 1, column=c, value=col.key)
        sub.font = _FIELD_FONT
        sub.fill = _FIELD_FILL
    last = first_row + 1
    widths = [max(len(col.label), len(col.key)) for col in columns]
    for r, values in enumerate(rows, start=first_row + 2):
        last = r
        for c, (col, value) in enumerate(zip(columns, values, strict=True), start=1):
            _put(ws, r, c, value, col.number_format)
            shown = ws.cell(row=r, column=c).value
            text = shown.isoformat() if isinstance(shown, date) else str(shown or "")
            widths[c - 1] = max(widths[c - 1], len(text) + (3 if col.number_format else 0))
    for c, col in enumerate(columns, start=1):
        letter = get_column_letter(c)
        dim = ws.column_dimensions[letter]
        width = col.width or min(max(widths[c - 1] + 2, 8), 45)
        dim.width = max(width, dim.width or 0) if widen_only else width
        if whole_columns and col.number_format is not None:
            dim.number_format = col.number_format
        if col.choices is not None:
            dv = _drop_down(col.choices)
            end = _LAST_ROW if whole_columns else max(last, first_row + 2)
            dv.add(f"{letter}{first_row + 2}:{letter}{end}")
            ws.add_data_validation(dv)
    if freeze:
        ws.freeze_panes = freeze
    return last


def _drop_down(choices: Sequence[str]) -> DataValidation:
    """A list validation offering ``choices`` and refusing anything else."""
    return DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Ugyldig værdi",
        error="Vælg en værdi fra listen: " + ", ".join(choices),
    )


def _choices(model: type[BaseModel], f: _Field) -> list[str] | None:
    if f.kind is _Kind.BOOL:
        return [YES, NO]
    if f.kind is _Kind.ENUM and f.enum is not None:
        values = list(f.enum)
        if model is Dwelling and f.name == "source":
            values = [s for s in values if s is not Source.PAVILION]
        return [v.value for v in values]
    return None


def _entity_columns(model: type[BaseModel], fields: Sequence[_Field]) -> list[_Column]:
    return [_Column(f.label, f.name, f.number_format, f.help, _choices(model, f)) for f in fields]


_Pair = tuple[str, Any, str, str | None, Sequence[str] | None]
"""A key/value row: Danish label, value, key, number format, drop-down choices."""


def _write_pairs(ws: Worksheet, rows: Sequence[_Pair], *, first_row: int = 1) -> int:
    """Write a key/value table (label, value, key); return the last row written."""
    columns = [_Column(label, key) for label, key in _KEY_COLUMNS]
    columns[2].number_format = TEXT_FORMAT
    last = _write_table(
        ws,
        columns,
        [(label, value, key) for label, value, key, _, _ in rows],
        first_row=first_row,
        freeze="A3" if first_row == 1 else None,
        whole_columns=False,
        widen_only=first_row > 1,
    )
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 16)
    for r, (_, _, _, number_format, choices) in enumerate(rows, start=first_row + 2):
        if number_format is not None:
            ws.cell(row=r, column=2).number_format = number_format
        if choices:
            dv = _drop_down(choices)
            dv.add(f"B{r}")
            ws.add_data_validation(dv)
    return last


def _key_rows(spec: _KeySheet, obj: BaseModel) -> list[_Pair]:
    rows: list[_Pair] = []
    for f in _fields(spec.model, spec.only):
        value = getattr(obj, f.name)
        if f.kind is _Kind.MAP:
            for rooms in sorted(value):
                label = f.label.format(n=rooms)
                rows.append((label, value[rooms], f"{f.name}.{rooms}", MONEY_FORMAT, None))
        else:
            rows.append((f.label, value, f.name, f.number_format, _choices(spec.model, f)))
    return rows


def _write_guide(ws: Worksheet) -> None:
    lines: list[tuple[str, str]] = [
        ("genhus: inputskabelon for en genhusningssag", ""),
        ("", ""),
        ("Sådan udfyldes skabelonen", ""),
        ("Række 1", "Dansk overskrift (må gerne omdøbes)."),
        ("Række 2", "Feltets engelske navn. Programmet læser kun række 2: lad den være."),
        (
            "Række 3 og ned",
            "Data, én række pr. etape, bolig, husstand osv. Tomme rækker springes over.",
        ),
        ("Noter", "En kolonne med tom række 2 ignoreres og kan bruges til noter."),
        ("Ja/nej", f"Skriv {YES} eller {NO} (vælg i listen). Tom celle = standardværdien."),
        ("Datoer", "Excel-datoer, eller tekst som 2027-03-01 eller 1-3-2027 (dag først)."),
        ("Lister", "Kommasepareret tekst, fx N1, N2 eller partner, pavilion."),
        ("Nøgle/værdi-ark", "Sag, Politik, Omkostninger, Strafpoint: udfyld kolonnen Værdi."),
        ("Tom værdi", "Standardværdien bruges, hvis en værdi er tom eller rækken mangler."),
        ("", ""),
        ("Ark", ""),
        ("Sag", "Sagens navn og kommune."),
        ("Politik", "Planlægningsdato og regler (frister, belægning, overkapacitet)."),
        ("Etaper", "Etaper med byggestart og byggeslut."),
        ("Boliger", "Afdelingens boliger og genhusningsboliger andre steder."),
        ("Husstande", "Husstandene i etaperne, deres behov, aftale og ønsker."),
        ("Nye boliger", "Nye, sammenlagte eller ændrede boliger efter renoveringen."),
        ("Pavilloner", "Pavillontyper der kan lejes."),
        ("Omkostninger", "Enhedspriser i kr. til budgettet."),
        ("Strafpoint", "Kr. for brudte ønsker; indgår i optimeringen, ikke i budgettet."),
        ("", ""),
        ("Koder", ""),
    ]
    for member, text in _ENUM_LABELS.items():
        lines.append((f"{type(member).__name__.lower()}: {member.value}", text))
    for r, (a, b) in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=a)
        ws.cell(row=r, column=2, value=b)
        if a and not b:
            ws.cell(row=r, column=1).font = Font(bold=True, size=14 if r == 1 else 11)
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 90


# ---------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------


def write_template(path: PathLike, scenario: Scenario | None = None) -> None:
    """Write an input workbook for a scenario.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (replaced atomically).
    scenario
        The scenario to fill in; by default the small
        :func:`example_scenario`.

    Notes
    -----
    :func:`read_workbook` reads the file back to an equal scenario.
    """
    scenario = scenario if scenario is not None else example_scenario()
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    _write_guide(wb.create_sheet(_GUIDE_TITLE))
    tables = {t.title: t for t in _TABLES}
    keys = {k.title: k for k in _KEY_SHEETS}
    for title in _SHEET_ORDER:
        ws = wb.create_sheet(title)
        if title in tables:
            spec = tables[title]
            fields = _fields(spec.model)
            items: list[BaseModel] = list(getattr(scenario, spec.attr))
            _write_table(
                ws,
                _entity_columns(spec.model, fields),
                ([getattr(item, f.name) for f in fields] for item in items),
            )
        else:
            kspec = keys[title]
            obj = scenario if kspec.attr is None else getattr(scenario, kspec.attr)
            _write_pairs(ws, _key_rows(kspec, obj))
    wb.active = 0
    _save(wb, path)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


class _CellError(ValueError):
    """A cell whose text cannot be converted."""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DAY_FIRST = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
        m = _DAY_FIRST.fullmatch(text)
        if m:
            try:
                return date(int(m[3]), int(m[2]), int(m[1]))
            except ValueError:
                pass
    raise _CellError(f"invalid date {value!r}: use a date cell or YYYY-MM-DD")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise _CellError(f"invalid yes/no value {value!r}: use {YES} or {NO}")


def _to_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise _CellError(f"invalid number {_to_str(value)!r}")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        text = re.sub(r"(?i)(kr\.?|dkk)$", "", text)
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
        try:
            number = float(text) * scale
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return int(number) if number.is_integer() and scale == 1.0 else number
    raise _CellError(f"invalid number {value!r}")


def _enum_text(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _to_str(value).lower())


def _convert(f: _Field, value: Any) -> Any:
    """A cell value as the data-model value of field ``f``."""
    if f.kind is _Kind.DATE:
        return _to_date(value)
    if f.kind is _Kind.BOOL:
        return _to_bool(value)
    if f.kind in (_Kind.INT, _Kind.FLOAT):
        number = _to_number(value)
        if f.kind is _Kind.INT and isinstance(number, float) and number.is_integer():
            return int(number)
        return number
    if f.kind is _Kind.ENUM:
        return _enum_text(value)
    if f.kind is _Kind.LIST:
        items = [p.strip() for p in re.split(r"[,;]", _to_str(value))]
        items = [p for p in items if p]
        return [_enum_text(p) for p in items] if f.enum is not None else items
    return _to_str(value)


@dataclass(order=True)
class _Message:
    sheet_pos: int
    row: int
    column: int
    text: str = field(compare=False)


class _Report:
    """Collects located error messages for one workbook."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.messages: list[_Message] = []
        self._seen: set[str] = set()

    def add(
        self,
        text: str,
        sheet: str | None = None,
        row: int | None = None,
        column: int | None = None,
        field_name: str | None = None,
        *,
        about: str | None = None,
    ) -> None:
        """Add a message located at a sheet, row and column (``about``: sheet for ordering)."""
        parts = [self.file]
        if sheet is not None:
            parts.append(f"sheet {sheet}")
        where = ", ".join(parts[1:])
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {get_column_letter(column)}"
            if field_name:
                where += f" ({field_name})"
        elif field_name:
            where += f", {field_name}"
        line = f"{self.file}: {where}: {text}" if where else f"{self.file}: {text}"
        if line in self._seen:
            return
        self._seen.add(line)
        key = sheet or about
        pos = _SHEET_ORDER.index(key) if key in _SHEET_ORDER else len(_SHEET_ORDER)
        self.messages.append(_Message(pos, row or 0, column or 0, line))

    def lines(self) -> list[str]:
        return [m.text for m in sorted(self.messages)]


@dataclass
class _Row:
    """One data row of a table sheet."""

    excel_row: int
    data: dict[str, Any]
    bad: set[str] = field(default_factory=set)
    obj: BaseModel | None = None  # validated (or repaired) item
    broken: bool = False  # an error that involves the whole row


@dataclass
class _KeyData:
    """What a key/value sheet holds."""

    spec: _KeySheet
    data: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # key -> Excel row
    bad: set[str] = field(default_factory=set)  # keys and fields with errors
    value_column: int = 2
    present: bool = True


@dataclass
class _Table:
    spec: _TableSheet
    columns: dict[str, int]  # field name -> 1-based column
    rows: list[_Row]
    present: bool


def _pydantic_text(err: Mapping[str, Any]) -> str:
    """Plain text for one pydantic error (in the style of :mod:`allocator.io`)."""
    kind = str(err.get("type", ""))
    if kind == "missing":
        return "a value is required"
    msg = str(err.get("msg", "invalid value"))
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = msg.replace("Input should be", "must be")
    value = err.get("input")
    if isinstance(value, str):
        text += f", got {value!r}"
    elif value is not None and not isinstance(value, Mapping | list):
        text += f", got {_to_str(value)}"
    return text


def _item_text(loc: Sequence[Any], text: str) -> str:
    if len(loc) > 1 and isinstance(loc[1], int):
        return f"item {loc[1] + 1}: {text}"
    return text


class _Reader:
    def __init__(self, path: PathLike) -> None:
        self.path = path
        self.report = _Report(str(path))

    # -- sheets ------------------------------------------------------------

    def read(self) -> Scenario:
        try:
            wb = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError([f"{self.path}: cannot read the workbook: {exc}"]) from None
        try:
            names = {name.strip().lower(): name for name in wb.sheetnames}
            sheets: dict[str, list[tuple[Any, ...]] | None] = {}
            for title, attr in [(t.title, t.attr) for t in _TABLES] + [
                (k.title, k.attr or "scenario") for k in _KEY_SHEETS
            ]:
                actual = names.get(title.lower()) or names.get(attr)
                if actual is None:
                    sheets[title] = None
                    continue
                ws = wb[actual]
                if not isinstance(ws, ReadOnlyWorksheet):
                    self.report.add("not a worksheet (a chart sheet?)", actual)
                    sheets[title] = None
                    continue
                ws.reset_dimensions()  # some writers store wrong sheet dimensions
                sheets[title] = [tuple(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
        return self._build(sheets)

    def _build(self, sheets: Mapping[str, list[tuple[Any, ...]] | None]) -> Scenario:
        keyed = [self._read_key_sheet(spec, sheets[spec.title]) for spec in _KEY_SHEETS]
        tables = [self._read_table(spec, sheets[spec.title]) for spec in _TABLES]

        parts: dict[str, Any] = {}
        policy_bad: set[str] = set()
        for sheet in keyed:
            attr = sheet.spec.attr
            if attr is None:  # the scenario's own fields: plain text
                parts.update(sheet.data)
                continue
            obj = self._validate_key_model(sheet)
            if attr == "policy":
                policy_bad = sheet.bad
                if obj is None:
                    obj = self._repair_policy(sheet.data, sheet.bad)
            if obj is not None:
                parts[attr] = obj
        for table in tables:
            for row in table.rows:
                self._validate_row(table, row)
            parts[table.spec.attr] = [r.obj for r in table.rows if r.obj is not None]

        clean = not self.report.messages
        try:
            scenario = Scenario.model_validate(parts)
        except ValidationError as exc:
            self._scenario_errors(exc, tables, policy_bad, clean)
        else:
            if clean:
                return scenario
        raise InputError(self.report.lines())

    def _read_header(
        self, title: str, rows: Sequence[tuple[Any, ...]], known: Iterable[str]
    ) -> dict[str, int]:
        known = set(known)
        header = rows[1] if len(rows) > 1 else ()
        columns: dict[str, int] = {}
        for c, cell in enumerate(header, start=1):
            if _is_blank(cell):
                continue
            name = _to_str(cell)
            if name not in known:
                self.report.add(
                    f"unknown field {name!r} (clear this cell to keep the column for notes)",
                    title,
                    2,
                    c,
                )
            elif name in columns:
                self.report.add(
                    f"field {name!r} is also in column {get_column_letter(columns[name])}",
                    title,
                    2,
                    c,
                )
            else:
                columns[name] = c
        return columns

    def _read_table(self, spec: _TableSheet, rows: list[tuple[Any, ...]] | None) -> _Table:
        fields = {f.name: f for f in _fields(spec.model)}
        if rows is None:
            if spec.required:
                self.report.add(f"the workbook has no sheet {spec.title!r}", about=spec.title)
            return _Table(spec, {}, [], False)
        columns = self._read_header(spec.title, rows, fields)
        for name, info in spec.model.model_fields.items():
            if info.is_required() and name not in columns:
                self.report.add(
                    f"no column for the required field {name!r} (row 2 must name it)",
                    spec.title,
                )
        table = _Table(spec, columns, [], True)
        for r, values in enumerate(rows[FIRST_DATA_ROW - 1 :], start=FIRST_DATA_ROW):
            cells = {
                name: values[c - 1] if c - 1 < len(values) else None for name, c in columns.items()
            }
            if all(_is_blank(v) for v in cells.values()):
                continue
            row = _Row(r, {})
            for name, value in cells.items():
                if _is_blank(value):
                    continue
                try:
                    row.data[name] = _convert(fields[name], value)
                except _CellError as exc:
                    row.bad.add(name)
                    self.report.add(str(exc), spec.title, r, columns[name], name)
            table.rows.append(row)
        return table

    def _read_key_sheet(self, spec: _KeySheet, rows: list[tuple[Any, ...]] | None) -> _KeyData:
        if rows is None:
            if spec.required:
                self.report.add(f"the workbook has no sheet {spec.title!r}", about=spec.title)
            return _KeyData(spec, present=False)
        columns = self._read_header(spec.title, rows, ("label", "key", "value"))
        key_col = columns.get("key", 3)
        value_col = columns.get("value", 2)
        sheet = _KeyData(spec, value_column=value_col)
        data, key_rows, bad = sheet.data, sheet.rows, sheet.bad
        fields = {f.name: f for f in _fields(spec.model, spec.only)}
        for r, values in enumerate(rows[FIRST_DATA_ROW - 1 :], start=FIRST_DATA_ROW):
            key_cell = values[key_col - 1] if key_col - 1 < len(values) else None
            value = values[value_col - 1] if value_col - 1 < len(values) else None
            if _is_blank(key_cell):
                if not _is_blank(value):
                    self.report.add(
                        f"a value without a key in column {get_column_letter(key_col)}",
                        spec.title,
                        r,
                        value_col,
                    )
                continue
            key = _to_str(key_cell)
            name, _, sub = key.partition(".")
            f = fields.get(name)
            if f is None or (f.kind is _Kind.MAP) != bool(sub):
                self.report.add(f"unknown key {key!r}", spec.title, r, key_col, "key")
                continue
            if key in key_rows:
                self.report.add(
                    f"key {key!r} is also in row {key_rows[key]}", spec.title, r, key_col, "key"
                )
                continue
            key_rows[key] = r
            if _is_blank(value):
                continue
            if f.kind is _Kind.MAP and not sub.isdigit():
                self.report.add(
                    f"unknown key {key!r}: use {name}.N with N a whole number of rooms",
                    spec.title,
                    r,
                    key_col,
                    "key",
                )
                continue
            try:
                if f.kind is _Kind.MAP:
                    data.setdefault(name, {})[int(sub)] = _to_number(value)
                else:
                    data[name] = _convert(f, value)
            except _CellError as exc:
                bad.add(key)
                bad.add(name)
                self.report.add(str(exc), spec.title, r, value_col, key)
        return sheet

    # -- validation ---------------------------------------------------------

    def _validate_key_model(self, sheet: _KeyData) -> BaseModel | None:
        """Validate a key/value sheet's model; failed fields are added to ``sheet.bad``."""
        spec, rows = sheet.spec, sheet.rows
        try:
            return spec.model.model_validate(sheet.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                if not loc:
                    self.report.add(_pydantic_text(err), spec.title)
                    continue
                name = str(loc[0])
                already = name in sheet.bad
                sheet.bad.add(name)
                if already or not sheet.present:
                    continue  # reported by the converter, or the whole sheet is missing
                key = f"{name}.{loc[1]}" if len(loc) > 1 and f"{name}.{loc[1]}" in rows else name
                if key in rows:
                    text = _pydantic_text(err)
                    self.report.add(text, spec.title, rows[key], sheet.value_column, key)
                else:
                    self.report.add(
                        f"{_pydantic_text(err)}: add a row with the key {key!r}", spec.title
                    )
            return None

    def _repair_policy(self, data: dict[str, Any], failed: set[str]) -> Policy:
        """A stand-in policy so that cross-references can still be checked."""
        kept = {k: v for k, v in data.items() if k not in failed}
        kept.setdefault("planning_date", date(2000, 1, 1))
        try:
            return Policy.model_validate(kept)
        except ValidationError:
            failed.update(Policy.model_fields)
            return Policy(planning_date=date(2000, 1, 1))

    def _validate_row(self, table: _Table, row: _Row) -> None:
        spec = table.spec
        try:
            row.obj = spec.model.model_validate(row.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                if not loc:
                    row.broken = True
                    self.report.add(_pydantic_text(err), spec.title, row.excel_row)
                    continue
                name = str(loc[0])
                already = name in row.bad
                row.bad.add(name)
                if already or (err["type"] == "missing" and name not in table.columns):
                    continue  # reported by the converter or as a missing column
                self.report.add(
                    _item_text(loc, _pydantic_text(err)),
                    spec.title,
                    row.excel_row,
                    table.columns.get(name),
                    name,
                )
        if row.obj is None and not row.broken:
            row.obj = self._repair(spec.model, row)

    def _repair(self, model: type[BaseModel], row: _Row) -> BaseModel | None:
        """The row with its bad fields left at defaults or neutral values, if possible."""
        data = {k: v for k, v in row.data.items() if k not in row.bad}
        for name in row.bad:
            if model.model_fields[name].is_required():
                if name not in _NEUTRAL:
                    return None
                data[name] = _NEUTRAL[name]
        try:
            return model.model_validate(data)
        except ValidationError:
            return None

    def _scenario_errors(
        self, exc: ValidationError, tables: list[_Table], policy_bad: set[str], clean: bool
    ) -> None:
        """Report the scenario's own errors (cross-references) against the sheets."""
        by_attr = {t.spec.attr: t for t in tables}
        # The validated lists hold only the rows that have an object.
        used = {t.spec.attr: [r for r in t.rows if r.obj is not None] for t in tables}
        dropped = {
            f"unknown {t.spec.noun} {_to_str(r.data.get('id'))!r}"
            for t in tables
            for r in t.rows
            if r.obj is None
        }
        quiet: set[str] = set()
        if "planning_date" in policy_bad:
            quiet |= {"seniority_date", "start"}
        if "persons_per_room" in policy_bad:
            quiet.add("rooms_max")

        def where(attr: str, index: int) -> tuple[_Table, _Row] | None:
            rows = used.get(attr)
            if rows is None or index >= len(rows):
                return None
            return by_attr[attr], rows[index]

        def rename(match: re.Match[str]) -> str:
            found = where(match[1], int(match[2]))
            return f"sheet {found[0].spec.title} row {found[1].excel_row}" if found else match[0]

        for err in exc.errors():
            loc = err["loc"]
            if loc and loc[0] in by_attr:
                table = by_attr[str(loc[0])]
                if not table.present or (not clean and any(r.obj is None for r in table.rows)):
                    continue  # e.g. "at least one stage" when every stage row is broken
                if err["type"] == "too_short":
                    self.report.add("at least one row is required", table.spec.title)
                else:
                    self.report.add(_pydantic_text(err), table.spec.title)
                continue
            if loc:
                self.report.add(_pydantic_text(err), field_name=".".join(map(str, loc)))
                continue
            for line in _pydantic_text(err).splitlines():
                m = _PATH.match(line.strip())
                found = where(m["attr"], int(m["index"])) if m else None
                if m is None or found is None:
                    self.report.add(_INNER_PATH.sub(rename, line.strip()))
                    continue
                name, text = m["field"], m["text"]
                table, row = found
                if text in dropped:
                    continue  # the referenced row has an error of its own
                if (
                    name in quiet
                    or name in row.bad
                    or (name == "rooms_max" and row.bad & {"adults", "children"})
                ):
                    continue  # follows from an error reported already
                self.report.add(
                    _INNER_PATH.sub(rename, text),
                    table.spec.title,
                    row.excel_row,
                    table.columns.get(name) if name else None,
                    name,
                )


#: A scenario validator line: ``households[16].dwelling: unknown dwelling 'X'``.
_PATH = re.compile(
    r"(?P<attr>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?(?:\[\d+\])?: (?P<text>.*)"
)
#: A reference to another item inside such a line: ``households[3]``.
_INNER_PATH = re.compile(r"\b(stages|dwellings|households|after_dwellings|pavilions)\[(\d+)\]")
#: Neutral stand-ins for required fields with errors, so that the rest of the
#: row still takes part in the cross-reference checks.
_NEUTRAL: Final[Mapping[str, Any]] = {
    "source": Source.OWN_DEPARTMENT.value,
    "seniority_date": date.min,
    "rooms": 1,
    "area_m2": 1.0,
    "monthly_rent": 0.0,
    "setup_cost": 0.0,
    "removal_cost": 0.0,
    "max_count": 0,
}


def read_workbook(path: PathLike) -> Scenario:
    """Read a scenario from an input workbook (see the module notes).

    Parameters
    ----------
    path
        The ``.xlsx`` file.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InputError
        With one message per problem, each naming the file, sheet, Excel row
        and column, e.g. ``plan.xlsx: sheet Husstande, row 19, column F
        (seniority_date): invalid date 'fish': use a date cell or
        YYYY-MM-DD``.
    """
    return _Reader(path).read()


# ---------------------------------------------------------------------------
# Result workbook
# ---------------------------------------------------------------------------

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
TOTAL: Final = "total"
"""Stage name of the all-stages entry of :attr:`models.plan.Plan.costs`."""


def _columns(spec: Iterable[tuple[str, str, str | None]]) -> list[_Column]:
    return [_Column(label, key, fmt) for label, key, fmt in spec]


def _plan_sheet(ws: Worksheet, scenario: Scenario, plan: Plan) -> None:
    households = {h.id: h for h in scenario.households}
    rows = []
    for hp in plan.households:
        h = households.get(hp.household)
        extra = {"name": h.name if h else None, "dwelling": h.dwelling if h else None}
        rows.append([extra[k] if k in extra else getattr(hp, k) for _, k, _ in _PLAN_COLUMNS])
    last = _write_table(ws, _columns(_PLAN_COLUMNS), rows, whole_columns=False)
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
    last = _write_table(ws, _columns(_TIMELINE_COLUMNS), rows, whole_columns=False)
    ws.auto_filter.ref = f"A2:{get_column_letter(len(_TIMELINE_COLUMNS))}{last}"


def _budget_sheet(ws: Worksheet, scenario: Scenario, plan: Plan) -> None:
    names = {s.id: s.name for s in scenario.stages}
    stages = [c for c in plan.costs if c.stage != TOTAL]
    total = next((c for c in plan.costs if c.stage == TOTAL), None)
    columns = [_Column("Kategori", "category"), _Column("Kode", "code", TEXT_FORMAT)]
    for c in stages:
        label = f"Etape {c.stage}" + (f": {names[c.stage]}" if names.get(c.stage) else "")
        columns.append(_Column(label, c.stage, MONEY_FORMAT))
    columns.append(_Column("I alt", TOTAL, MONEY_FORMAT))
    rows: list[list[Any]] = []
    for category in CostCategory:
        values = [round(c.by_category.get(category, 0.0), 2) for c in stages]
        whole = round(total.by_category.get(category, 0.0), 2) if total else round(sum(values), 2)
        rows.append([BUDGET_LABELS[category], category.value, *values, whole])
    stage_totals = [round(c.total, 2) for c in stages]
    grand = round(total.total, 2) if total else round(sum(stage_totals), 2)
    rows.append(["I alt", TOTAL, *stage_totals, grand])
    last = _write_table(ws, columns, rows, whole_columns=False)
    for col in range(1, len(columns) + 1):
        ws.cell(row=last, column=col).font = Font(bold=True)


def _kpi_sheet(ws: Worksheet, plan: Plan) -> None:
    k = plan.kpis
    total = next((c.total for c in plan.costs if c.stage == TOTAL), None)
    if total is None:
        total = sum(c.total for c in plan.costs)
    rows: list[_Pair] = [
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
    last = _write_pairs(ws, rows)
    stage_rows = [[getattr(s, key) for _, key, _ in _STAGE_KPI_COLUMNS] for s in k.stages]
    _write_table(
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
    rows: list[_Pair] = [
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
    _write_pairs(ws, rows)
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
            _Column(_ACTIVITY_LABELS.get(name, name), name, DATE_FORMAT if dated else None)
        )
    last = _write_table(ws, columns, rows, whole_columns=False)
    if names:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(names))}{last}"


def write_result_workbook(
    path: PathLike,
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
    ``Løsning`` (status and solver figures) and ``Aktivitetsplan``. Without
    a plan (infeasible, no solution in time) only ``Løsning`` (and the
    activity plan, if given) is written. Every sheet has a Danish header in
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
    wb.active = 0
    _save(wb, path)
