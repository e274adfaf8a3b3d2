"""Danish letters to the households: the notice and the return letter.

Per household the planner gets

- the **notice letter** (*opsigelse*, R3), dated on the stage's notice date
  (4 months before the physical start), which says where the household lives
  temporarily (address or module, and its source), for which period (move-out
  and return dates) and where it lives after the renovation (its own
  dwelling, the after-renovation dwelling it won by seniority, or its
  permanent dwelling); it also states the legal 3 months, the clearing
  deadline (dwelling and basement or attic rooms) and storage of goods;
- the **return letter** (*tilbageflytningsbrev*, R4) for households with a
  temporary stay, dated one month before the return, with the exact date the
  dwelling can be taken over and the keys handed out.

Letters are rendered with Jinja2 from ``allocator/templates`` as HTML (print
ready, A4) and as Markdown. An organisation can put its own templates with
the same names (``notice.html``, ``notice.md``, ``return.html``,
``return.md``, ``letters_index.html``) in a directory and pass it as
``template_dir``: a template found there wins, the rest come from genhus.

The module also holds the Danish wording shared with the report and the
activity plan: dates and money (labels of codes: :mod:`allocator.labels`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from dateutil.relativedelta import relativedelta

from allocator import rules
from allocator.io.write import write_file
from allocator.labels import SOURCE_DA
from models.plan import HouseholdPlan, Mode, Plan
from models.scenario import Scenario, Source, Stage

TEMPLATE_DIR = Path(__file__).parent / "templates"

DK_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

NOTICE_TEMPLATES = ("notice.html", "notice.md")
RETURN_TEMPLATES = ("return.html", "return.md")


# -- shared formatting ----------------------------------------------------------


def dk_date(d: date | None) -> str:
    """A date in Danish long form, e.g. ``1. marts 2026`` (empty for none)."""
    if d is None:
        return ""
    return f"{d.day}. {DK_MONTHS[d.month - 1]} {d.year}"


def dk_number(value: float, decimals: int = 0) -> str:
    """A number the Danish way: ``.`` between thousands, ``,`` before decimals."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def dkk(value: float) -> str:
    """An amount in DKK with two decimals, e.g. ``12.345,60 kr.``."""
    return f"{dk_number(value, 2)} kr."


def safe_name(text: str) -> str:
    """``text`` made safe as part of a file name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned or "_"


def letter_stems(ids: Iterable[str]) -> dict[str, str]:
    """A file name stem per household id: safe, and unique even where the ids differ only in case.

    An id that :func:`safe_name` keeps as it is, and that no other id
    matches case-blind (some file systems do not tell ``H1`` from ``h1``),
    is its own stem; any other gets a short digest of the id appended, so
    that ``H/1`` and ``H:1`` do not both become ``H_1`` and overwrite each
    other's letters.

    Parameters
    ----------
    ids
        The household ids (each once).

    Returns
    -------
    dict
        Id to stem, distinct case-blind.
    """
    ids = list(dict.fromkeys(ids))
    folded = Counter(safe_name(i).casefold() for i in ids)
    stems: dict[str, str] = {}
    used: set[str] = set()
    for i in ids:
        stem = safe_name(i)[:60]
        if stem != i or folded[stem.casefold()] > 1:
            stem = f"{stem}-{hashlib.sha256(i.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"
        unique, n = stem, 1
        while unique.casefold() in used:  # an id that looks like another's stem
            n += 1
            unique = f"{stem}-{n}"
        used.add(unique.casefold())
        stems[i] = unique
    return stems


def stage_title(stage: Stage) -> str:
    """How a stage is named in a heading: its name, prefixed "Etape" if it lacks it."""
    name = stage.name or stage.id
    return name if name.lower().startswith("etape") else f"Etape {name}"


def stage_label(stage: Stage) -> str:
    """How a stage is named inside a sentence ("renoveres i etape 2")."""
    title = stage_title(stage)
    return "e" + title[1:] if title.startswith("Etape") else title


# -- templates -------------------------------------------------------------------


def environment(template_dir: Path | str | None = None) -> jinja2.Environment:
    """The Jinja2 environment for letters and the report.

    Parameters
    ----------
    template_dir
        An organisation's own template directory. Templates found there are
        used instead of genhus' own of the same name; the others still come
        from ``allocator/templates``.

    Returns
    -------
    jinja2.Environment
        HTML templates (``.html``) are autoescaped, Markdown ones are not.
        Filters ``dk_date``, ``dkk`` and ``dk_number`` are available.
    """
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATE_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["dk_date"] = dk_date
    env.filters["dkk"] = dkk
    env.filters["dk_number"] = dk_number
    return env


# -- what a letter says ------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    """A dwelling or pavilion module as a letter describes it."""

    id: str
    address: str
    description: str
    source: str


@dataclass(frozen=True)
class LetterInfo:
    """Everything the notice and return letters of one household say."""

    household_id: str
    name: str
    mode: str
    stage_id: str
    stage_name: str
    stage_title: str
    stage_label: str
    works_start: date
    works_end: date
    notice_date: date
    letter_date: date
    notice_late: bool
    legal_notice_date: date
    notice_months: int
    legal_notice_months: int
    clearing_date: date
    separate_lease_notice_date: date
    move_out: date
    return_date: date | None
    return_letter_date: date | None
    current: Home
    temporary: Home | None
    after: Home
    after_kind: str  # "own", "after" or "permanent"
    storage: bool
    self_move: bool
    self_move_allowance: float
    extra_help: bool
    rent_reduction_pct: int


def _rooms(rooms: int) -> str:
    return "1 værelse" if rooms == 1 else f"{rooms} værelser"


def _floor(floor: int) -> str:
    if floor < 0:
        return "kælderetage"
    if floor == 0:
        return "stueetage"
    return f"{floor}. sal"


def _area(area: float) -> str:
    return f"{dk_number(area, 0 if float(area).is_integer() else 1)} m²"


def _dwelling_home(scenario: Scenario, dwelling_id: str) -> Home:
    d = scenario.dwelling(dwelling_id)
    parts = [_rooms(d.rooms), _area(d.area_m2), _floor(d.floor)]
    if d.elevator:
        parts.append("elevator")
    if d.wheelchair:
        parts.append("egnet til kørestol")
    return Home(
        id=d.id,
        address=d.address or f"bolig {d.id}",
        description=", ".join(parts),
        source=SOURCE_DA[d.source],
    )


def _pavilion_home(scenario: Scenario, plan: Plan, place: str) -> Home:
    timeline = next((t for t in plan.places if t.place == place), None)
    ptype = None
    if timeline is not None and timeline.pavilion_type is not None:
        ptype = next((p for p in scenario.pavilions if p.id == timeline.pavilion_type), None)
    description = "pavillonmodul i stueplan"
    if ptype is not None:
        parts = [_rooms(ptype.rooms), _area(ptype.area_m2), "stueplan"]
        if ptype.wheelchair:
            parts.append("egnet til kørestol")
        description = "pavillonmodul, " + ", ".join(parts)
    return Home(
        id=place,
        address=f"pavillonmodul {place}",
        description=description,
        source=SOURCE_DA[Source.PAVILION],
    )


def _place_home(scenario: Scenario, plan: Plan, hp: HouseholdPlan) -> Home | None:
    if hp.place is None:
        return None
    if hp.place_source is Source.PAVILION or hp.place not in {d.id for d in scenario.dwellings}:
        return _pavilion_home(scenario, plan, hp.place)
    return _dwelling_home(scenario, hp.place)


def _after_home(scenario: Scenario, after_id: str, own: Home) -> Home:
    a = scenario.after_dwelling(after_id)
    parts = [_rooms(a.rooms), _area(a.area_m2), _floor(a.floor)]
    if a.elevator:
        parts.append("elevator")
    if a.wheelchair:
        parts.append("egnet til kørestol")
    return Home(
        id=a.id,
        address=f"ny bolig {a.id} i afdelingen",
        description=", ".join(parts),
        source=own.source,
    )


def stage_by_id(scenario: Scenario, stage_id: str) -> Stage:
    """The stage with id ``stage_id``."""
    return next(s for s in scenario.stages if s.id == stage_id)


def letter_info(scenario: Scenario, plan: Plan, hp: HouseholdPlan) -> LetterInfo:
    """What the letters of the household of ``hp`` say.

    The notice letter is dated on the notice date of the plan (R3); if that
    date lies before the planning date the letter is dated on the planning
    date and ``notice_late`` is set. The return letter is dated on the
    plan's return-letter date, or one month before the return (R4).
    """
    household = scenario.household(hp.household)
    stage = stage_by_id(scenario, hp.stage)
    policy = scenario.policy
    current = _dwelling_home(scenario, household.dwelling)
    if hp.after_dwelling is not None:
        after, after_kind = _after_home(scenario, hp.after_dwelling, current), "after"
    elif hp.mode is Mode.PERMANENT and hp.permanent_dwelling is not None:
        after, after_kind = _dwelling_home(scenario, hp.permanent_dwelling), "permanent"
    else:
        after, after_kind = current, "own"
    notice_late = hp.notice_date < policy.planning_date
    return_letter = hp.return_letter_date
    if return_letter is None and hp.return_date is not None:
        return_letter = rules.return_letter_date(scenario, hp.return_date)
    # the dwelling and its basement or attic rooms are cleared by the household's
    # own moving day, within the stage's clearing deadline (R1)
    clearing = hp.move_out
    calendar = rules.working_days(scenario)
    return LetterInfo(
        household_id=household.id,
        name=household.name,
        mode=hp.mode.value,
        stage_id=stage.id,
        stage_name=stage.name or stage.id,
        stage_title=stage_title(stage),
        stage_label=stage_label(stage),
        works_start=stage.start,
        works_end=stage.end,
        notice_date=hp.notice_date,
        letter_date=policy.planning_date if notice_late else hp.notice_date,
        notice_late=notice_late,
        legal_notice_date=rules.legal_notice_date(scenario, stage.start, hp.move_out),
        notice_months=policy.notice_months,
        legal_notice_months=policy.legal_notice_months,
        clearing_date=clearing,
        separate_lease_notice_date=calendar.on_or_before(clearing - relativedelta(months=1)),
        move_out=hp.move_out,
        return_date=hp.return_date,
        return_letter_date=return_letter,
        current=current,
        temporary=_place_home(scenario, plan, hp),
        after=after,
        after_kind=after_kind,
        storage=household.storage,
        self_move=household.self_move,
        self_move_allowance=scenario.costs.self_move_allowance,
        extra_help=household.extra_help,
        rent_reduction_pct=round(scenario.costs.rent_reduction * 100),
    )


# -- rendering --------------------------------------------------------------------


def render_letter(
    env: jinja2.Environment,
    template: str,
    info: LetterInfo,
    *,
    organisation: str,
    scenario_name: str,
    key_time: str | None = None,
) -> str:
    """Render one letter template for ``info``."""
    context: dict[str, Any] = {
        "h": info,
        "organisation": organisation,
        "scenario": scenario_name,
        "key_time": key_time,
    }
    return env.get_template(template).render(context)


def write_letters(
    out_dir: Path | str,
    scenario: Scenario,
    plan: Plan,
    template_dir: Path | str | None = None,
    *,
    organisation: str | None = None,
    key_time: str | None = None,
) -> list[Path]:
    """Write the notice and return letters of every household, as HTML and Markdown.

    Parameters
    ----------
    out_dir
        Directory for the letters; created if needed.
    scenario, plan
        The case and its plan.
    template_dir
        An organisation's own templates overriding genhus' (same file names).
    organisation
        Sender shown in the letters; defaults to "Boligorganisationen".
    key_time
        Time of day the keys are handed out on the return date (e.g.
        ``"kl. 10.00"``); without it the return letter asks the household to
        agree the hour with the rehousing contact.

    Returns
    -------
    list[pathlib.Path]
        Per household ``<id>-opsigelse.html`` and ``.md``, and for households
        with a temporary stay ``<id>-tilbageflytning.html`` and ``.md``;
        last ``index.html``, an overview with every letter and its date.
        Letter files of an earlier run that this plan no longer has are
        removed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(template_dir)
    sender = organisation or "Boligorganisationen"
    written: list[Path] = []
    rows: list[dict[str, Any]] = []
    stems = letter_stems(hp.household for hp in plan.households)
    for hp in sorted(plan.households, key=lambda h: (h.stage, h.household)):
        info = letter_info(scenario, plan, hp)
        stem = stems[hp.household]
        files: dict[str, str | None] = dict.fromkeys(
            ("notice_html", "notice_md", "return_html", "return_md")
        )
        for template in NOTICE_TEMPLATES:
            ext = template.rsplit(".", 1)[1]
            name = f"{stem}-opsigelse.{ext}"
            text = render_letter(
                env, template, info, organisation=sender, scenario_name=scenario.name
            )
            written.append(write_file(out / name, text, durable=False))
            files[f"notice_{ext}"] = name
        if hp.mode is Mode.TEMPORARY and hp.return_date is not None:
            for template in RETURN_TEMPLATES:
                ext = template.rsplit(".", 1)[1]
                name = f"{stem}-tilbageflytning.{ext}"
                text = render_letter(
                    env,
                    template,
                    info,
                    organisation=sender,
                    scenario_name=scenario.name,
                    key_time=key_time,
                )
                written.append(write_file(out / name, text, durable=False))
                files[f"return_{ext}"] = name
        rows.append({"h": info, "files": files})
    index = env.get_template("letters_index.html").render(
        {"rows": rows, "organisation": sender, "scenario": scenario.name}
    )
    written.append(write_file(out / "index.html", index, durable=False))
    # Letters of an earlier run for households no longer in the plan would mix two runs.
    keep = set(written)
    for pattern in ("*-opsigelse.html", "*-opsigelse.md", "*-tilbageflytning.*"):
        for stale in out.glob(pattern):
            if stale not in keep and stale.suffix in (".html", ".md"):
                stale.unlink()
    return written
