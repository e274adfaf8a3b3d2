"""The input workbook's layout, shared by the template and the reader.

Input workbook conventions (written by
:func:`allocator.excel.template.write_template`, read by
:func:`allocator.excel.read.read_workbook`):

- One sheet per entity. Table sheets (one row per item): ``Etaper``
  (stages), ``Boliger`` (dwellings), ``Husstande`` (households),
  ``Nye boliger`` (after-renovation dwellings), ``Pavilloner`` (pavilion
  types). Key/value sheets: ``Sag`` (name, municipality), ``Politik``
  (policy), ``Omkostninger`` (costs), ``Strafpoint`` (penalties),
  ``Kontakt`` (the rehousing contact the letters name; left empty: none).
  Sheet names are matched ignoring case; the English names (``stages``,
  ``dwellings``, ``households``, ``after_dwellings``, ``pavilions``,
  ``scenario``, ``policy``, ``costs``, ``penalties``, ``contact``) work too. Other
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

Every problem in a workbook is reported in one
:class:`~allocator.io.errors.InputError` whose messages name the file,
sheet, Excel row and column.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from typing import Any, Final

from pydantic import BaseModel

from models.scenario import (
    AfterDwelling,
    Contact,
    Costs,
    Dwelling,
    Household,
    PavilionType,
    Penalties,
    Policy,
    Scenario,
    Stage,
)

__all__ = [
    "DATE_FORMAT",
    "FIRST_DATA_ROW",
    "KEY_SHEETS",
    "MONEY_FORMAT",
    "NO",
    "PERCENT_FORMAT",
    "SHEET_ORDER",
    "TABLES",
    "TEXT_FORMAT",
    "YES",
    "Field",
    "KeySheet",
    "Kind",
    "TableSheet",
    "fields_of",
]


FIRST_DATA_ROW: Final = 3
"""Row 1: Danish header, row 2: English field name, data from row 3."""

YES: Final = "ja"
NO: Final = "nej"

DATE_FORMAT: Final = "yyyy-mm-dd"
MONEY_FORMAT: Final = "#,##0.00"
PERCENT_FORMAT: Final = "0.0%"
TEXT_FORMAT: Final = "@"
_PERCENT_FIELDS: Final = frozenset({"overcapacity", "rent_reduction"})
_PLAIN_FLOAT_FIELDS: Final = frozenset({"area_m2"})


class Kind(Enum):
    """How a field's cells are written and read."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    DATE = "date"
    BOOL = "bool"
    ENUM = "enum"
    LIST = "list"
    MAP = "map"


@dataclass(frozen=True)
class Field:
    """A model field as a workbook column (or key/value row)."""

    name: str
    kind: Kind
    label: str
    help: str = ""
    enum: type[StrEnum] | None = None  # enumeration, or item type of a list

    @property
    def number_format(self) -> str | None:
        """The Excel number format of the field's cells (``None``: General)."""
        if self.kind is Kind.DATE:
            return DATE_FORMAT
        if self.kind in (Kind.STR, Kind.LIST):
            return TEXT_FORMAT
        if self.kind is Kind.FLOAT and self.name in _PERCENT_FIELDS:
            return PERCENT_FORMAT
        if self.kind is Kind.FLOAT and self.name not in _PLAIN_FLOAT_FIELDS:
            return MONEY_FORMAT
        return None


def _kind_of(annotation: Any) -> tuple[Kind, type[StrEnum] | None]:
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
        return Kind.LIST, item_enum
    if origin is dict:
        return Kind.MAP, None
    if annotation is date:
        return Kind.DATE, None
    if annotation is bool:
        return Kind.BOOL, None
    if annotation is int:
        return Kind.INT, None
    if annotation is float:
        return Kind.FLOAT, None
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return Kind.ENUM, annotation
    return Kind.STR, None


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
        "address": ("Adresse", "Vej, husnummer, etage og dør, fx Solhavevej 1, st. tv."),
        "postcode": ("Postnummer", "Fire cifre; brevene skal bruge det."),
        "town": ("By", "Postdistrikt, fx Aarhus V."),
        "rooms": "Rum",
        "area_m2": "Areal (m²)",
        "floor": ("Etage", "0 = stueetage, -1 = kælder."),
        "elevator": "Elevator",
        "wheelchair": "Kørestolsegnet",
        "monthly_rent": "Husleje pr. måned (kr.)",
        "vacant_from": (
            "Ledig fra (tom = beboet)",
            "Første dag boligen er tom og kan bruges. En tom celle betyder: boligen er beboet "
            "og kan ikke bruges til genhusning.",
        ),
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
        "address": ("Adresse", "Vej, husnummer, etage og dør; brevene skal bruge den."),
        "postcode": "Postnummer",
        "town": "By",
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
        "site": ("Pavillonplads", "Hvor modulerne står: pladsens navn, vej og nummer."),
        "postcode": "Postnummer",
        "town": "By",
    },
    Contact: {
        "name": ("Kontaktperson", "Den husstandene ringer til om genhusningen (i brevene)."),
        "phone": "Telefon",
        "email": "E-mail",
        "hours": ("Træffetid", "Fx man.-fre. kl. 9-12."),
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
        "temporary_sources": (
            "Kilder til midlertidig genhusning (R7)",
            "Kommasepareret; permanent genhusning er ikke begrænset af den.",
        ),
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


def fields_of(model: type[BaseModel], only: Sequence[str] | None = None) -> list[Field]:
    """The workbook fields of ``model`` in model order."""
    labels = _LABELS[model]
    out: list[Field] = []
    for name, info in model.model_fields.items():
        if only is not None and name not in only:
            continue
        kind, enum = _kind_of(info.annotation)
        text = labels.get(name, name)
        label, help_ = (text, "") if isinstance(text, str) else text
        out.append(Field(name, kind, label, help_, enum))
    return out


@dataclass(frozen=True)
class TableSheet:
    """A sheet with one row per item of a scenario list."""

    title: str
    attr: str  # the Scenario list attribute
    model: type[BaseModel]
    required: bool
    noun: str  # how the scenario validator names an unknown id of this kind


@dataclass(frozen=True)
class KeySheet:
    """A sheet of key/value rows, one per field of a model."""

    title: str
    attr: str | None  # the Scenario attribute, None for the scenario's own fields
    model: type[BaseModel]
    required: bool
    only: tuple[str, ...] | None = None


TABLES: Final = (
    TableSheet("Etaper", "stages", Stage, True, "stage"),
    TableSheet("Boliger", "dwellings", Dwelling, True, "dwelling"),
    TableSheet("Husstande", "households", Household, True, "household"),
    TableSheet("Nye boliger", "after_dwellings", AfterDwelling, False, "after-renovation dwelling"),
    TableSheet("Pavilloner", "pavilions", PavilionType, False, "pavilion type"),
)
KEY_SHEETS: Final = (
    KeySheet("Sag", None, Scenario, False, ("name", "municipality")),
    KeySheet("Politik", "policy", Policy, True),
    KeySheet("Omkostninger", "costs", Costs, False),
    KeySheet("Strafpoint", "penalties", Penalties, False),
    KeySheet("Kontakt", "contact", Contact, False),
)
SHEET_ORDER: Final = (
    "Sag",
    "Politik",
    "Etaper",
    "Boliger",
    "Husstande",
    "Nye boliger",
    "Pavilloner",
    "Omkostninger",
    "Strafpoint",
    "Kontakt",
)
