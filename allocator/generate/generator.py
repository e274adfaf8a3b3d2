"""The seeded generator of realistic rehousing scenarios.

:func:`generate` builds a fictional but plausible case: a Danish social
housing department (``Afdeling Solhaven, Boligselskabet Fjordbo``) renovated
in overlapping stages, its households with their needs and agreements, the
organisation's vacancies and a partner's lent dwellings as candidate
rehousing dwellings, pavilion module types as the backstop, and small
dwellings merged pairwise into after-renovation dwellings allocated by
seniority. Every draw comes from one ``numpy.random.default_rng(seed)``, so
the same size and seed give a bit-identical scenario.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, TypeVar

import numpy as np
from dateutil.relativedelta import relativedelta

from allocator import rules
from models.scenario import (
    AfterDwelling,
    Agreement,
    Contact,
    Dwelling,
    Household,
    PavilionType,
    Policy,
    Scenario,
    Source,
    Stage,
)

T = TypeVar("T")

#: Average rent in Danish social housing, DKK per m² per year (2023, public).
RENT_PER_M2_YEAR = 899.0
ORGANISATION = "Boligselskabet Fjordbo"
PARTNER = "Boligforeningen Kløvermarken"
#: The first planning date; every date of a scenario is drawn relative to it.
PLANNING_DATE = date(2025, 9, 1)
#: Seniority dates are drawn up to this date.
LATEST_SENIORITY = date(2024, 12, 1)


@dataclass(frozen=True)
class SizeSpec:
    """A preset of :func:`generate`: how big a case is.

    Attributes
    ----------
    households
        Households living in the renovated department(s).
    stages
        Stages in all (split evenly over the departments).
    org_stock
        Dwellings of the own organisation whose turnover feeds the pool.
    merges
        Pairs of small dwellings merged into one after-renovation dwelling.
    departments
        Departments renovated at once (a portfolio when more than one).
    turnover
        Share of the organisation stock falling vacant per year.
    partner_share
        Dwellings lent by the partner organisation, per household.
    vacant_share
        Share of department dwellings standing vacant.
    pavilion_share
        ``max_count`` of each pavilion type, per household of the largest stage.
    house_numbers
        Highest house number on an estate's street: candidate dwellings get
        distinct addresses among the estates' numbers, floors and sides
        (150 numbers give about 12,300 addresses over the organisation's
        estates). A larger organisation has larger estates; its vacancies
        must leave addresses to spare, or :func:`generate` raises.
    """

    households: int
    stages: int
    org_stock: int
    merges: int
    departments: int = 1
    turnover: float = 0.08
    partner_share: float = 0.06
    vacant_share: float = 0.03
    pavilion_share: float = 0.25
    house_numbers: int = 150


#: Presets by name. ``example`` is the bundled ``scenarios/example.yaml``.
#: ``S`` to ``XL`` are one department each. ``P`` is a portfolio: 25
#: departments of one organisation renovated at once (about 280 households
#: in 4 stages each, the departments starting 60 days apart, so about 5.6
#: years to the last move-out), sharing the organisation's vacancies, the
#: partner's dwellings and the pavilion types. Every organisation vacancy is
#: a candidate dwelling of the model, so P's stock is sized for XL's ratio
#: of about 1.26 candidate dwellings per household (some 8,800 for 7,000
#: households), not for its longer horizon; merges are 6% of the households
#: as in XL, and its estates have more house numbers (their addresses no
#: fuller than XL's).
SIZES: dict[str, SizeSpec] = {
    "S": SizeSpec(households=60, stages=2, org_stock=1_200, merges=4),
    "example": SizeSpec(households=240, stages=4, org_stock=2_500, merges=20),
    "M": SizeSpec(households=300, stages=4, org_stock=3_000, merges=24),
    "L": SizeSpec(households=1_000, stages=8, org_stock=6_200, merges=64),
    "XL": SizeSpec(households=3_000, stages=12, org_stock=10_000, merges=180),
    "P": SizeSpec(
        households=7_000,
        stages=100,
        org_stock=18_500,
        merges=420,
        departments=25,
        house_numbers=400,
    ),
}


@dataclass(frozen=True)
class _Department:
    name: str
    code: str
    street: str


_DEPARTMENTS = (
    _Department("Solhaven", "SOL", "Solhavevej"),
    _Department("Kildebakken", "KIL", "Kildebakken"),
    _Department("Lærkehøj", "LRK", "Lærkehøjvej"),
    _Department("Fjordparken", "FJP", "Fjordparken"),
    _Department("Egelunden", "EGL", "Egelundsvej"),
    _Department("Bakkegården", "BAK", "Bakkegårdsvej"),
    _Department("Skovbrynet", "SKB", "Skovbrynet"),
    _Department("Engtoften", "ENG", "Engtoften"),
    _Department("Havgløtten", "HAV", "Havgløttvej"),
    _Department("Bøgeparken", "BGP", "Bøgeparken"),
    _Department("Mølleløkken", "MOL", "Mølleløkken"),
    _Department("Rosenhaven", "ROS", "Rosenhavevej"),
    _Department("Vesterbo", "VES", "Vesterbovej"),
    _Department("Nørrevang", "NOR", "Nørrevang"),
    _Department("Søndergården", "SON", "Søndergårdsvej"),
    _Department("Åbakken", "ABK", "Åbakken"),
    _Department("Lindely", "LIN", "Lindelyvej"),
    _Department("Hyldegården", "HYL", "Hyldegårdsvej"),
    _Department("Tranehøj", "TRA", "Tranehøjvej"),
    _Department("Kastanjegården", "KAS", "Kastanjevej"),
    _Department("Strandparken", "STR", "Strandparksvej"),
    _Department("Toftegården", "TOF", "Toftegårdsvej"),
    _Department("Ahornlunden", "AHO", "Ahornvej"),
    _Department("Pilegården", "PIL", "Pilegårdsvej"),
    _Department("Granhøj", "GRA", "Granhøjvej"),
)


@dataclass(frozen=True)
class _Estate:
    """An estate of the organisation (or the partner) with turnover."""

    code: str
    street: str
    municipality: str
    weight: float
    top_floor: int
    elevator: float  # share of staircases with an elevator
    wheelchair: float  # share of ground-floor dwellings that are accessible


_ESTATES = (
    _Estate("EGB", "Egebakken", "Aarhus", 3.0, 3, 0.0, 0.10),
    _Estate("SKP", "Skovparken", "Aarhus", 3.0, 4, 0.5, 0.15),
    _Estate("HVP", "Havneparken", "Aarhus", 2.0, 6, 1.0, 0.20),
    _Estate("LGH", "Lindegårdshusene", "Aarhus", 2.0, 1, 0.0, 0.25),
    _Estate("NGV", "Nørregårdsvej", "Aarhus", 2.0, 3, 0.2, 0.10),
    _Estate("TBJ", "Tovshøjbakken", "Aarhus", 1.5, 2, 0.0, 0.10),
    _Estate("HIN", "Hinnerup Vænge", "Favrskov", 1.0, 2, 0.0, 0.10),
    _Estate("HAD", "Hadsten Haveby", "Favrskov", 0.5, 1, 0.0, 0.20),
)
#: Postcode and town of each estate (the letters' addresses).
_TOWNS: Final = {
    "EGB": ("8220", "Brabrand"),
    "SKP": ("8210", "Aarhus V"),
    "HVP": ("8000", "Aarhus C"),
    "LGH": ("8260", "Viby J"),
    "NGV": ("8200", "Aarhus N"),
    "TBJ": ("8220", "Brabrand"),
    "HIN": ("8382", "Hinnerup"),
    "HAD": ("8370", "Hadsten"),
    "KLM": ("8240", "Risskov"),
    "KLV": ("8250", "Egå"),
}
#: Postcode and town of the departments being renovated.
DEPARTMENT_POSTCODE, DEPARTMENT_TOWN = "8210", "Aarhus V"
#: Where the pavilion modules stand: site, postcode, town.
PAVILION_SITE: Final = ("Pavillonbyen, Ringvej Syd 100", "8260", "Viby J")
#: The rehousing contact person the letters name.
CONTACT: Final = Contact(
    name="Mette Holm",
    phone="86 12 34 56",
    email="genhusning@fjordbo.dk",
    hours="man.-fre. kl. 9-12",
)

_PARTNER_ESTATES = (
    _Estate("KLM", "Kløvermarken", "Aarhus", 2.0, 3, 0.3, 0.15),
    _Estate("KLV", "Kløvervangen", "Aarhus", 1.0, 2, 0.0, 0.10),
)
_SURNAMES = (
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Lauridsen",
    "Holm",
    "Ahmed",
    "Ali",
    "Hussein",
    "Yilmaz",
    "Nguyen",
    "Kaya",
    "Mohamed",
    "Abdi",
    "Nowak",
    "Berg",
    "Dam",
    "Lund",
    "Bach",
    "Vestergaard",
    "Frederiksen",
    "Iversen",
)

#: Share of dwellings by rooms (1 to 5) in the department and the organisation.
_ROOM_SHARE = (0.08, 0.30, 0.34, 0.21, 0.07)
#: Mean floor area in m², by rooms.
_AREA = {1: 49.0, 2: 65.0, 3: 82.0, 4: 98.0, 5: 112.0}
#: Chance of two adults, by rooms.
_TWO_ADULTS = {1: 0.08, 2: 0.40, 3: 0.55, 4: 0.65, 5: 0.70}
#: Distribution of children 0 to 3, by rooms.
_CHILDREN = {
    1: (1.0, 0.0, 0.0, 0.0),
    2: (0.80, 0.20, 0.0, 0.0),
    3: (0.50, 0.30, 0.20, 0.0),
    4: (0.30, 0.25, 0.30, 0.15),
    5: (0.20, 0.20, 0.30, 0.30),
}


class _Draw:
    """Typed helpers around one ``numpy`` generator (the only source of chance)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi] (both included)."""
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return bool(self.rng.random() < p)

    def uniform(self, lo: float, hi: float) -> float:
        """A float in [lo, hi)."""
        return float(self.rng.uniform(lo, hi))

    def normal(self, sd: float) -> float:
        """A normal deviate with mean 0."""
        return float(self.rng.normal(0.0, sd))

    def index(self, weights: Sequence[float]) -> int:
        """An index drawn with the given (unnormalised) weights."""
        w = np.asarray(weights, dtype=float)
        return int(self.rng.choice(len(w), p=w / w.sum()))

    def pick(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        return items[int(self.rng.integers(len(items)))]

    def sample(self, items: Sequence[T], k: int, weights: Sequence[float] | None = None) -> list[T]:
        """``k`` distinct items in drawn order (weighted if ``weights``)."""
        k = min(k, len(items))
        p = None
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            k = min(k, int(np.count_nonzero(w)))
            p = w / w.sum()
        idx = self.rng.choice(len(items), size=k, replace=False, p=p)
        return [items[int(i)] for i in idx]


# -- small helpers --------------------------------------------------------------


def _monday(d: date) -> date:
    """The first Monday on or after ``d``."""
    return d + timedelta(days=(-d.weekday()) % 7)


def _rent(area: float, draw: _Draw, spread: float = 0.10, factor: float = 1.0) -> float:
    """Monthly rent of ``area`` m² at the national average, with noise."""
    base = area * RENT_PER_M2_YEAR / 12 * factor
    return float(round(base * (1 + draw.uniform(-spread, spread))))


def _area(rooms: int, draw: _Draw) -> float:
    """Floor area typical of the rooms (about 15-25 m² a room), within 45-120 m²."""
    area = _AREA[min(rooms, 5)] + draw.normal(4.0)
    return round(min(120.0, max(45.0, area)), 1)


def _floor_label(floor: int) -> str:
    return "st." if floor == 0 else f"{floor}."


def _split(total: int, parts: int, draw: _Draw, noise: float = 0.1) -> list[int]:
    """``total`` split into ``parts`` near-equal positive counts (largest remainder)."""
    weights = [1.0 + draw.uniform(-noise, noise) for _ in range(parts)]
    exact = [total * w / sum(weights) for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(parts), key=lambda i: counts[i] - exact[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _day_between(lo: date, hi: date, draw: _Draw) -> date:
    return lo + timedelta(days=draw.integer(0, max(0, (hi - lo).days)))


# -- the generator ------------------------------------------------------------------


@dataclass
class _Flat:
    """A department dwelling while it is being drawn."""

    id: str
    stage: str
    address: str
    number: int
    floor: int
    side: str
    elevator: bool
    rooms: int = 0
    wheelchair: bool = False
    merged: bool = False
    vacant_from: date | None = None


@dataclass
class _Case:
    """Everything drawn so far, assembled into a :class:`Scenario` at the end."""

    planning: date
    stages: list[Stage] = field(default_factory=list)
    dwellings: list[Dwelling] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    after: list[AfterDwelling] = field(default_factory=list)
    pavilions: list[PavilionType] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def generate(size: str | SizeSpec = "example", seed: int = 0) -> Scenario:
    """Generate a realistic, plausibly feasible scenario.

    Parameters
    ----------
    size
        A key of :data:`SIZES` (``"S"``, ``"example"``, ``"M"``, ``"L"``,
        ``"XL"``, the 25-department portfolio ``"P"``) or a :class:`SizeSpec`.
    seed
        Seed of the one ``numpy.random.default_rng`` used for every draw.

    Returns
    -------
    Scenario
        A validated scenario; the same ``size`` and ``seed`` give an identical one.

    Raises
    ------
    KeyError
        If ``size`` is not a known preset.
    ValueError
        If a :class:`SizeSpec` asks for more departments than there are names
        for, or for more vacancies than its estates have addresses.

    Notes
    -----
    Each department (one for every preset; a portfolio preset can set
    ``departments``) owns consecutive overlapping stages, one block of
    dwellings per stage. Candidate dwellings (organisation turnover, the
    partner's lent dwellings) and pavilion types are shared by all stages.
    """
    spec = SIZES[size] if isinstance(size, str) else size
    if spec.departments > len(_DEPARTMENTS):
        raise ValueError(f"at most {len(_DEPARTMENTS)} departments")
    draw = _Draw(seed)
    case = _Case(planning=PLANNING_DATE)
    hh_split = _split(spec.households, spec.departments, draw)
    stage_split = _split(spec.stages, spec.departments, draw, noise=0.0)
    merge_split = _split(spec.merges, spec.departments, draw, noise=0.0)
    for k, dept in enumerate(_DEPARTMENTS[: spec.departments]):
        lead = timedelta(days=60 * k)  # a portfolio staggers its departments
        _department(case, dept, spec, draw, hh_split[k], stage_split[k], merge_split[k], lead=lead)
    horizon = max(_out_date(s) for s in case.stages)
    _organisation_vacancies(case, spec, draw, horizon)
    _partner_dwellings(case, spec, draw, horizon)
    _pavilions(case, spec, draw)
    if spec.departments == 1:
        name = f"Afdeling {case.names[0]}, {ORGANISATION}"
    else:
        name = f"{ORGANISATION}: {', '.join(case.names)}"
    return _settle_merged(
        Scenario(
            name=name,
            municipality="Aarhus",
            contact=CONTACT,
            policy=Policy(planning_date=case.planning),
            stages=case.stages,
            dwellings=case.dwellings,
            households=case.households,
            after_dwellings=case.after,
            pavilions=case.pavilions,
        )
    )


def _settle_merged(scenario: Scenario) -> Scenario:
    """Households whose home is merged away and that win nothing get somewhere to go.

    Seniority (R9) is decided by the rules. A household whose dwelling
    disappears and that wins none of its wishes must move for good: its
    agreement leaves that open (undecided, unless permanent), and if no
    own-organisation vacancy that fits it is free by its deadline (one each,
    in seniority order), the organisation reserves it a replacement dwelling
    (erstatningsbolig), vacant two months before its stage's deadline.
    """
    won = rules.seniority_allocation(scenario)
    removed = scenario.removed_dwellings()
    stuck = [h for h in scenario.households if h.dwelling in removed and h.id not in won]
    if not stuck:
        return scenario
    households, dwellings = list(scenario.households), list(scenario.dwellings)
    claimed: set[str] = set()
    for h in sorted(stuck, key=lambda h: rules.seniority_key(scenario, h)):
        stage = scenario.stage_of(h)
        deadline = _out_date(stage)
        if h.agreement is Agreement.TEMPORARY:
            excluded = [s for s in h.excluded_sources if s is not Source.OWN_ORGANISATION]
            h = h.model_copy(
                update={"agreement": Agreement.UNDECIDED, "excluded_sources": excluded}
            )
            households = [h if g.id == h.id else g for g in households]
        free = next(
            (
                d
                for d in scenario.dwellings
                if d.source is Source.OWN_ORGANISATION
                and d.id not in claimed
                and d.vacant_from is not None
                and d.vacant_from <= deadline
                and d.hand_back is None
                and rules.place_fits(scenario, h, d, permanent=True)
            ),
            None,
        )
        if free is not None:
            claimed.add(free.id)
            continue
        rooms = rules.min_rooms(scenario, h)
        area = _AREA[min(rooms, 5)]
        dwellings.append(
            Dwelling(
                id=f"ERS-{h.id}",
                source=Source.OWN_ORGANISATION,
                address=f"erstatningsbolig for husstand {h.id}",
                rooms=rooms,
                area_m2=area,
                floor=0,
                wheelchair=h.wheelchair,
                monthly_rent=round(area * RENT_PER_M2_YEAR / 12),
                vacant_from=max(scenario.policy.planning_date, deadline - timedelta(days=60)),
                municipality="Aarhus",
                postcode=DEPARTMENT_POSTCODE,
                town=DEPARTMENT_TOWN,
            )
        )
    return scenario.model_copy(update={"households": households, "dwellings": dwellings})


def _out_date(stage: Stage, clearing_days: int = 30) -> date:
    """The move-out date of ``stage`` with the default clearing period (R1)."""
    return stage.start - timedelta(days=clearing_days)


def _department(
    case: _Case,
    dept: _Department,
    spec: SizeSpec,
    draw: _Draw,
    n_households: int,
    n_stages: int,
    n_merges: int,
    *,
    lead: timedelta,
) -> None:
    """Draw one department: stages, blocks, households, merges and wishes."""
    case.names.append(dept.name)
    portfolio = spec.departments > 1
    stages: list[Stage] = []
    start = _monday(case.planning + lead + timedelta(days=draw.integer(430, 470)))
    number = 1
    for k in range(n_stages):
        if k:
            start = _monday(stages[-1].start + timedelta(days=draw.integer(95, 145)))
        end = start + timedelta(weeks=draw.integer(22, 30))
        sid = f"{dept.code}-E{k + 1}" if portfolio else f"E{k + 1}"
        department = dept.code if portfolio else None  # one moving company per department
        stages.append(Stage(id=sid, name="", department=department, start=start, end=end))

    per_stage = _split(n_households, n_stages, draw)
    merges = _split(n_merges, n_stages, draw, noise=0.0)
    flats_by_stage: list[list[_Flat]] = []
    for k, stage in enumerate(stages):
        n_vacant = max(1, round(per_stage[k] * spec.vacant_share * draw.uniform(0.5, 1.5)))
        n_flats = per_stage[k] + n_vacant
        elevator = draw.chance(0.35)
        first = number
        flats = []
        for i in range(n_flats):
            number = first + 2 * (i // 8)
            floor, side = (i % 8) // 2, ("TV", "TH")[i % 2]
            flats.append(
                _Flat(
                    id=f"{dept.code}-{number:03d}-{floor}{side}",
                    stage=stage.id,
                    address=f"{dept.street} {number}, {_floor_label(floor)} {side.lower()}.",
                    number=number,
                    floor=floor,
                    side=side,
                    elevator=elevator,
                )
            )
        number += 2
        letter = chr(ord("A") + k)
        stages[k] = stage.model_copy(
            update={
                "name": f"Etape {k + 1}: blok {letter}, {dept.street} {first}-{number - 2}"
                + (f" ({dept.name})" if portfolio else "")
            }
        )
        # merge pairs: both dwellings of one floor of one staircase
        pairs = [(flats[i], flats[i + 1]) for i in range(0, n_flats - 1, 2)]
        for a, b in draw.sample(pairs, merges[k]):
            a.merged = b.merged = True
        for f in flats:
            if f.merged:
                f.rooms = 1 if draw.chance(0.35) else 2
            else:
                f.rooms = 1 + draw.index(_ROOM_SHARE)
            f.wheelchair = f.floor == 0 and not f.merged and draw.chance(0.15)
        for f in draw.sample(flats, n_vacant):
            days = 0 if draw.chance(0.4) else draw.integer(1, 120)
            f.vacant_from = case.planning + timedelta(days=days)
        flats_by_stage.append(flats)
    case.stages.extend(stages)

    flats_all = [f for flats in flats_by_stage for f in flats]
    dwellings = {}
    for f in flats_all:
        area = _area(f.rooms, draw)
        dwellings[f.id] = Dwelling(
            id=f.id,
            source=Source.OWN_DEPARTMENT,
            stage=f.stage,
            address=f.address,
            rooms=f.rooms,
            area_m2=area,
            floor=f.floor,
            elevator=f.elevator,
            wheelchair=f.wheelchair,
            monthly_rent=_rent(area, draw),
            vacant_from=f.vacant_from,
            municipality="Aarhus",
            postcode=DEPARTMENT_POSTCODE,
            town=DEPARTMENT_TOWN,
        )
    case.dwellings.extend(dwellings.values())

    # after-renovation dwellings: each merged pair becomes one
    after: list[AfterDwelling] = []
    for i in range(0, len(flats_all) - 1):
        a, b = flats_all[i], flats_all[i + 1]
        if a.merged and b.merged and a.side == "TV" and b.side == "TH" and a.number == b.number:
            da, db = dwellings[a.id], dwellings[b.id]
            area = round(da.area_m2 + db.area_m2, 1)
            after.append(
                AfterDwelling(
                    id=f"{dept.code}-{a.number:03d}-{a.floor}",
                    stage=a.stage,
                    rooms=min(5, max(3, round(area / 30))),
                    area_m2=area,
                    floor=a.floor,
                    elevator=a.elevator,
                    wheelchair=a.floor == 0 and draw.chance(0.5),
                    monthly_rent=_rent(area, draw, spread=0.05, factor=1.15),
                    replaces=[a.id, b.id],
                    # the merged floor of one staircase: the address without a door
                    address=f"{dept.street} {a.number}, {_floor_label(a.floor)}",
                    postcode=DEPARTMENT_POSTCODE,
                    town=DEPARTMENT_TOWN,
                )
            )
    case.after.extend(after)

    opening = date(1975, 4, 1)
    first_id = len(case.households) + 1
    households = [
        _household(case, draw, dwellings[f.id], f"H{first_id + i:04d}", opening)
        for i, f in enumerate(f for f in flats_all if f.vacant_from is None)
    ]
    _tie(households, opening)
    households = _wishes(case, draw, households, after, {f.id for f in flats_all if f.merged})
    case.households.extend(households)


def _household(case: _Case, draw: _Draw, dwelling: Dwelling, hid: str, opening: date) -> Household:
    """Draw the household living in ``dwelling``."""
    rooms = dwelling.rooms
    elderly = draw.chance(0.15)
    wheelchair = draw.chance(0.30 if dwelling.wheelchair else 0.004)
    if elderly:
        adults, children = (1 if draw.chance(0.6) else 2), 0
        age = draw.integer(67, 92)
    else:
        adults = 2 if draw.chance(_TWO_ADULTS[rooms]) else 1
        children = draw.index(_CHILDREN[rooms])
        age = draw.integer(24, 56) if children else draw.integer(20, 66)
    children = min(children, 3, 2 * rooms - adults)
    if wheelchair:
        children = min(children, 4 - adults)  # occupancy minimum at most 2 rooms
    persons = adults + children
    min_rooms = max(1, math.ceil(persons / 2))
    birth = case.planning - timedelta(days=round(age * 365.25) + draw.integer(0, 364))

    lo = max(opening, birth + relativedelta(years=18))
    hi = min(LATEST_SENIORITY, case.planning)
    if elderly and lo <= opening and draw.chance(0.3):
        seniority = opening  # first tenants of the department
    else:
        d = _day_between(lo, hi, draw)
        day = 1 if draw.chance(0.8) else 15  # leases start on the 1st or the 15th
        seniority = d.replace(day=day)
        if seniority < lo:
            seniority = (seniority + relativedelta(months=1)).replace(day=1)
        seniority = min(seniority, hi)

    step_free = wheelchair or draw.chance(0.30 if elderly else 0.055)
    max_floor = None
    if not step_free and draw.chance(0.03):
        max_floor = draw.integer(1, 2)
    u = draw.uniform(0.0, 1.0)
    agreement = (
        Agreement.PERMANENT
        if u < 0.18
        else Agreement.UNDECIDED
        if u < 0.26
        else Agreement.TEMPORARY
    )
    u = draw.uniform(0.0, 1.0)
    rooms_max: int | None = None
    if u < 0.7:
        rooms_max = rooms + 1
    elif u < 0.8 and rooms >= 2:
        rooms_max = rooms
    rooms_min: int | None = None
    if draw.chance(0.15):
        rooms_min = max(min_rooms, rooms - draw.integer(0, 1))
        if rooms_max is not None:
            rooms_min = min(rooms_min, rooms_max)
    excluded: list[Source] = []
    if draw.chance(0.05):
        excluded.append(Source.PARTNER)
    if not step_free and max_floor is None and draw.chance(0.02):
        excluded.append(Source.PAVILION)
    preferred: list[Source] = []
    if draw.chance(0.10):
        preferred = draw.pick(
            [
                [Source.OWN_DEPARTMENT],
                [Source.OWN_ORGANISATION],
                [Source.OWN_DEPARTMENT, Source.OWN_ORGANISATION],
            ]
        )
    return Household(
        id=hid,
        name=draw.pick(_SURNAMES),
        dwelling=dwelling.id,
        adults=adults,
        children=children,
        seniority_date=seniority,
        birth_date=birth,
        wheelchair=wheelchair,
        step_free=step_free,
        max_floor=max_floor,
        elderly=elderly,
        disabled=wheelchair or draw.chance(0.02),
        agreement=agreement,
        rooms_min=rooms_min,
        rooms_max=rooms_max,
        excluded_sources=excluded,
        preferred_sources=preferred,
        self_move=draw.chance(0.15),
        storage=draw.chance(0.25),
    )


def _tie(households: list[Household], opening: date) -> None:
    """Give two first tenants the same birth date too, so ties reach the id rule (R9)."""
    first = [i for i, h in enumerate(households) if h.seniority_date == opening]
    if len(first) >= 2:
        i, j = first[0], first[1]
        households[j] = households[j].model_copy(update={"birth_date": households[i].birth_date})


def _wishes(
    case: _Case,
    draw: _Draw,
    households: list[Household],
    after: list[AfterDwelling],
    merged: set[str],
) -> list[Household]:
    """Agreements of merged-away households and wish lists (R9).

    Households whose dwelling is merged away are mostly permanent or
    undecided; those that are temporary wish every eligible after-renovation
    dwelling of their stage. A temporary one that cannot be sure to win one
    (too many more senior rivals) becomes undecided, so that moving
    permanently remains open. Some other households, spread over the
    seniority range, wish one to four after-renovation dwellings.
    """
    if not after:
        return households
    dwellings = {d.id: d for d in case.dwellings}
    stage_of = {h.id: dwellings[h.dwelling].stage for h in households}

    def min_rooms(h: Household) -> int:
        return max(1, math.ceil(h.persons / 2))

    def eligible(h: Household, a: AfterDwelling) -> bool:
        return (
            a.rooms >= min_rooms(h)
            and (h.rooms_max is None or a.rooms <= h.rooms_max)
            and (a.wheelchair or not h.wheelchair)
            and (a.step_free or not h.step_free)
            and (h.max_floor is None or a.floor <= h.max_floor)
        )

    out = list(households)
    for i, h in enumerate(out):
        if h.dwelling not in merged:
            continue
        u = draw.uniform(0.0, 1.0)
        agreement = (
            Agreement.PERMANENT
            if u < 0.4
            else Agreement.UNDECIDED
            if u < 0.7
            else Agreement.TEMPORARY
        )
        own = [a for a in after if a.stage == stage_of[h.id]]
        wishes: list[str] = []
        if agreement is Agreement.TEMPORARY:
            fit = [a for a in own if eligible(h, a)]
            wishes = [a.id for a in draw.sample(fit, 6)]
        elif agreement is Agreement.UNDECIDED and draw.chance(0.7):
            fit = [a for a in own if eligible(h, a)]
            wishes = [a.id for a in draw.sample(fit, draw.integer(1, 4))]
        out[i] = h.model_copy(update={"agreement": agreement, "wishes": wishes})

    # other wishers, one from each seniority band
    others = sorted(
        (
            i
            for i, h in enumerate(out)
            if h.dwelling not in merged and h.agreement is not Agreement.PERMANENT
        ),
        key=lambda i: (out[i].seniority_date, out[i].id),
    )
    n_wishers = round(0.08 * len(others))
    if n_wishers:
        bands = np.array_split(np.arange(len(others)), n_wishers)
        for band in bands:
            i = others[int(band[draw.integer(0, len(band) - 1)])]
            h = out[i]
            # households wish what they may get (R5, R6); validate flags other wishes
            fit = [a for a in after if eligible(h, a)]
            if not fit:
                continue
            weights = [3.0 if a.stage == stage_of[h.id] else 1.0 for a in fit]
            wishes = [a.id for a in draw.sample(fit, draw.integer(1, 4), weights)]
            out[i] = h.model_copy(update={"wishes": wishes})

    return out


def _organisation_vacancies(case: _Case, spec: SizeSpec, draw: _Draw, horizon: date) -> None:
    """Vacancies of the own organisation from turnover until the last move-out."""
    years = (horizon - case.planning).days / 365
    n = round(spec.org_stock * spec.turnover * years)
    days = sorted(
        0 if draw.chance(0.03) else draw.integer(1, (horizon - case.planning).days)
        for _ in range(n)
    )
    weights = [e.weight for e in _ESTATES]
    counters: Counter[str] = Counter()
    used: set[tuple[str, int, int, str]] = set()
    referral = 0
    dwellings = []
    for k, day in enumerate(days):
        estate = _ESTATES[draw.index(weights)]
        counters[estate.code] += 1
        is_referral = draw.chance(0.03) or (k == n - 1 and referral == 0)
        referral += is_referral
        dwellings.append(
            _candidate(
                draw,
                estate,
                f"FJ-{estate.code}-{counters[estate.code]:03d}",
                Source.OWN_ORGANISATION,
                case.planning + timedelta(days=day),
                None,
                used,
                spec.house_numbers,
                referral=is_referral,
            )
        )
    # wheelchair users who move for good need accessible dwellings early enough
    first_out = min(_out_date(s) for s in case.stages)
    early = (first_out - case.planning).days - 14
    have = sum(
        d.wheelchair and d.vacant_from is not None and (d.vacant_from - case.planning).days <= early
        for d in dwellings
        if not d.municipal_referral and d.municipality == "Aarhus"
    )
    need = sum(h.wheelchair for h in case.households) + 1
    accessible = [e for e in _ESTATES if e.municipality == "Aarhus" and e.wheelchair >= 0.2]
    for _ in range(max(0, need - have)):
        estate = draw.pick(accessible)
        counters[estate.code] += 1
        dwellings.append(
            _candidate(
                draw,
                estate,
                f"FJ-{estate.code}-{counters[estate.code]:03d}",
                Source.OWN_ORGANISATION,
                case.planning + timedelta(days=draw.integer(0, early)),
                None,
                used,
                spec.house_numbers,
                accessible_rooms=2,
            )
        )
    case.dwellings.extend(dwellings)


def _partner_dwellings(case: _Case, spec: SizeSpec, draw: _Draw, horizon: date) -> None:
    """Dwellings lent by the partner organisation for a period."""
    n = max(2, round(spec.partner_share * spec.households))
    span = (horizon - case.planning).days
    starts = sorted(draw.integer(30, max(31, span - 90)) for _ in range(n))
    weights = [e.weight for e in _PARTNER_ESTATES]
    counters: Counter[str] = Counter()
    used: set[tuple[str, int, int, str]] = set()
    for day in starts:
        estate = _PARTNER_ESTATES[draw.index(weights)]
        counters[estate.code] += 1
        vacant = case.planning + timedelta(days=day)
        case.dwellings.append(
            _candidate(
                draw,
                estate,
                f"KL-{estate.code}-{counters[estate.code]:03d}",
                Source.PARTNER,
                vacant,
                vacant + timedelta(days=draw.integer(240, 540)),
                used,
                spec.house_numbers,
            )
        )


#: Address draws before :func:`_candidate` gives up on a full estate.
_ADDRESS_TRIES = 10_000


def _candidate(
    draw: _Draw,
    estate: _Estate,
    did: str,
    source: Source,
    vacant_from: date,
    hand_back: date | None,
    used: set[tuple[str, int, int, str]],
    house_numbers: int,
    *,
    referral: bool = False,
    accessible_rooms: int | None = None,
) -> Dwelling:
    """A candidate dwelling of ``estate`` at an address not drawn before.

    The address is drawn among house numbers 1 to ``house_numbers``, the
    estate's floors and the sides of a floor, again until it is not in
    ``used``. ``accessible_rooms`` asks for a ground-floor
    wheelchair-accessible dwelling of that many rooms.

    Raises
    ------
    ValueError
        If no free address turns up in :data:`_ADDRESS_TRIES` draws: the
        estate is (nearly) full, and drawing on would never end.
    """
    rooms = accessible_rooms or 1 + draw.index(_ROOM_SHARE)
    for _ in range(_ADDRESS_TRIES):  # a dwelling falls vacant once in the horizon
        floor = 0 if accessible_rooms else draw.integer(0, estate.top_floor)
        number = draw.integer(1, house_numbers)
        side = draw.pick(("tv", "th", "mf")) if floor else draw.pick(("tv", "th"))
        if (estate.code, number, floor, side) not in used:
            used.add((estate.code, number, floor, side))
            break
    else:
        raise ValueError(
            f"estate {estate.code} has no free address left for another vacancy: "
            "raise SizeSpec.house_numbers or lower org_stock"
        )
    area = _area(rooms, draw)
    return Dwelling(
        id=did,
        source=source,
        address=f"{estate.street} {number}, {_floor_label(floor)} {side}.",
        rooms=rooms,
        area_m2=area,
        floor=floor,
        elevator=draw.chance(estate.elevator),
        wheelchair=accessible_rooms is not None or (floor == 0 and draw.chance(estate.wheelchair)),
        monthly_rent=_rent(area, draw),
        vacant_from=vacant_from,
        hand_back=hand_back,
        municipal_referral=referral,
        municipality=estate.municipality,
        postcode=_TOWNS[estate.code][0],
        town=_TOWNS[estate.code][1],
    )


def _pavilions(case: _Case, spec: SizeSpec, draw: _Draw) -> None:
    """Two module types: a 2-room wheelchair-accessible and a 3-room module."""
    per_stage = Counter(
        d.stage for d in case.dwellings if d.stage is not None and d.vacant_from is None
    )
    count = max(4, math.ceil(spec.pavilion_share * max(per_stage.values())))
    # id, rooms, m², wheelchair, and the ranges of set-up, removal and monthly rent (DKK)
    types = [
        ("PAV-2A", 2, 55.0, True, (55_000, 65_000), (27_000, 33_000), (6_000, 7_000)),
        ("PAV-3", 3, 72.0, False, (60_000, 70_000), (28_000, 35_000), (7_000, 8_000)),
    ]
    site, postcode, town = PAVILION_SITE
    case.pavilions = [
        PavilionType(
            id=type_id,
            rooms=rooms,
            area_m2=area,
            wheelchair=wheelchair,
            max_count=count,
            setup_cost=float(round(draw.uniform(*setup), -2)),
            removal_cost=float(round(draw.uniform(*removal), -2)),
            monthly_rent=float(round(draw.uniform(*rent), -1)),
            min_months=6,
            lead_days=draw.integer(90, 120),
            site=site,
            postcode=postcode,
            town=town,
        )
        for type_id, rooms, area, wheelchair, setup, removal, rent in types
    ]
