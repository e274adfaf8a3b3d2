"""Letters to the households: the notice and the return letter, in the output's language.

Per household the planner gets

- the **notice letter** (*opsigelse*, R3), dated on the stage's notice date
  (4 months before the physical start), which states the temporary address
  (street, number, floor, door, postcode and town) or the pavilion site, the
  period (moving day and return), where the household lives after the
  renovation (its own dwelling, or the after-renovation or permanent
  dwelling with its address and rent), the rent it pays during the stay
  (R14, :func:`allocator.rules.tenant_stay_rent`), the legal 3 months, the
  clearing deadline, storage, moving help and whom to call;
- the **return letter** (*tilbageflytningsbrev*, R4) for households with a
  temporary stay, dated one month before the return, with the exact date the
  dwelling can be taken over and the keys handed out.

Letters are rendered with Jinja2 from ``allocator/templates`` as HTML (print
ready, A4), as Markdown and, where a renderer exists, as PDF
(:mod:`allocator.report.pdf`). Their texts come from the message catalogue
(``allocator/locale/da/letters.po``, ``{% trans %}`` blocks), dates and
money from :mod:`allocator.i18n`. An organisation can put its own templates
with the same names (``notice.html``, ``notice.md``, ``return.html``,
``return.md``, ``letters_index.html``) in a directory and pass it as
``template_dir``: a template found there wins, the rest come from genhus.

A letter that lacks something a tenant needs (an address, a postcode, the
pavilion site, the contact person) is still written, with a banner naming
what is missing; :func:`letter_problems` lists them for the command line.
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
import jinja2.meta
import jinja2.nodes
from dateutil.relativedelta import relativedelta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from allocator import rules
from allocator.i18n import DEFAULT_LANG, Lang, day, gettext, money, ngettext, number
from allocator.io.errors import InputError
from allocator.io.write import write_file
from allocator.labels import label
from allocator.report.pdf import write_pdfs
from models.plan import HouseholdPlan, Mode, Plan
from models.scenario import Contact, Scenario, Source, Stage, one_line_address

TEMPLATE_DIR = Path(__file__).parent / "templates"

NOTICE_TEMPLATES = ("notice.html", "notice.md")
#: The notice and return letters' file names: ``<household>-<stem>.<ext>``.
_FILE_STEMS: dict[Lang, tuple[str, str]] = {
    "da": ("opsigelse", "tilbageflytning"),
    "en": ("notice", "return"),
}
RETURN_TEMPLATES = ("return.html", "return.md")


# -- shared formatting ----------------------------------------------------------


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


def stage_title(stage: Stage, lang: Lang = DEFAULT_LANG) -> str:
    """How a stage is named in a heading: its name, prefixed "Etape" if it lacks it."""
    name = stage.name or stage.id
    word = gettext("Stage", lang)
    return name if name.lower().startswith(word.lower()) else f"{word} {name}"


def stage_label(stage: Stage, lang: Lang = DEFAULT_LANG) -> str:
    """How a stage is named inside a sentence ("renoveres i etape 2")."""
    title = stage_title(stage, lang)
    word = gettext("Stage", lang)
    return word.lower() + title[len(word) :] if title.startswith(word) else title


# -- templates -------------------------------------------------------------------


def environment(
    template_dir: Path | str | None = None, lang: Lang = DEFAULT_LANG
) -> jinja2.Environment:
    """The Jinja2 environment for letters and the report, in ``lang``, sandboxed.

    Templates can be the organisation's own, so they run in Jinja2's
    immutable sandbox: no attribute that starts with ``_`` (the way to
    Python's internals, e.g. ``''.__class__.__mro__``), no unsafe callables,
    no changes to the data they are given. A template that tries any of
    that fails with :class:`jinja2.sandbox.SecurityError`;
    :func:`check_templates` refuses it before any solve.

    Parameters
    ----------
    template_dir
        An organisation's own template directory. Templates found there are
        used instead of genhus' own of the same name; the others still come
        from ``allocator/templates``.
    lang
        The language of the texts (``{% trans %}``, ``_()``) and formats.

    Returns
    -------
    jinja2.Environment
        HTML templates (``.html``) are autoescaped, Markdown ones are not.
        Filters ``dk_date`` (a date), ``dkk`` (money) and ``dk_number`` format
        in ``lang`` (by Babel, :mod:`allocator.i18n`; the names are
        historical); ``label`` names a code of the data model; the global
        ``lang`` is the language code.
    """
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATE_DIR)))
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: gettext(message, lang),
        lambda singular, plural, n: ngettext(singular, plural, n, lang),
        newstyle=True,
    )
    env.filters["dk_date"] = lambda d: "" if d is None else day(d, lang)
    env.filters["dkk"] = lambda v: money(v, lang)
    env.filters["dk_number"] = lambda v, decimals=0: number(v, lang, decimals=decimals)
    env.filters["label"] = lambda v: label(v, lang)
    env.globals["lang"] = lang
    return env


#: Names a letter template is given (:func:`render_letter`, the index).
TEMPLATE_NAMES = frozenset({"h", "organisation", "scenario", "key_time", "rows", "pdf_note"})
#: The templates :func:`write_letters` renders.
LETTER_TEMPLATES = frozenset({*NOTICE_TEMPLATES, *RETURN_TEMPLATES, "letters_index.html"})


def check_templates(template_dir: Path | str) -> None:
    """Load and check an organisation's templates, before anything is solved or written.

    Every file in ``template_dir`` is compiled, and refused if it does not
    parse or reaches for Python's internals (an attribute or item that
    starts with ``_``, directly or through the ``attr`` filter: the sandbox
    would stop it halfway through writing the letters); a letter template
    (:data:`LETTER_TEMPLATES`) is also refused if it uses a name that no
    letter is given.

    Parameters
    ----------
    template_dir
        The organisation's template directory.

    Raises
    ------
    InputError
        One message per problem, naming the file and the line.
    """
    env = environment(template_dir)
    own = jinja2.FileSystemLoader(str(template_dir))
    problems: list[str] = []
    for name in own.list_templates():
        path = Path(template_dir) / name
        try:
            source = own.get_source(env, name)[0]
            tree = env.parse(source, name, str(path))
        except UnicodeDecodeError as exc:
            problems.append(f"{path}: not UTF-8 text ({exc.reason})")
            continue
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{path}: line {exc.lineno}: {exc.message}")
            continue
        for node, attr in _attributes(tree):
            if attr.startswith("_"):
                problems.append(
                    f"{path}: line {node.lineno}: {attr!r} reaches into Python's internals, "
                    "which templates may not"
                )
        if name not in LETTER_TEMPLATES:
            continue  # included pieces see their includer's names
        for unknown in sorted(jinja2.meta.find_undeclared_variables(tree) - TEMPLATE_NAMES):
            if unknown not in env.globals:
                problems.append(f"{path}: unknown name {unknown!r} (a letter has {_names()})")
    if problems:
        raise InputError(problems)


def _attributes(tree: jinja2.nodes.Template) -> list[tuple[jinja2.nodes.Node, str]]:
    """Every attribute a template reads by a fixed name: ``x.a``, ``x['a']``, ``x|attr('a')``."""
    found: list[tuple[jinja2.nodes.Node, str]] = []
    for node in tree.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem, jinja2.nodes.Filter)):
        if isinstance(node, jinja2.nodes.Getattr):
            found.append((node, node.attr))
        elif isinstance(node, jinja2.nodes.Getitem):
            if isinstance(node.arg, jinja2.nodes.Const) and isinstance(node.arg.value, str):
                found.append((node, node.arg.value))
        elif isinstance(node, jinja2.nodes.Filter) and node.name == "attr":
            for arg in node.args:
                if isinstance(arg, jinja2.nodes.Const) and isinstance(arg.value, str):
                    found.append((node, arg.value))
    return found


def _names() -> str:
    return ", ".join(sorted(TEMPLATE_NAMES))


# -- what a letter says ------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    """A dwelling or pavilion module as a letter describes it.

    Attributes
    ----------
    address
        Street, number, floor and door; for a pavilion module the site.
    postcode_town
        Postcode and town, e.g. ``"8210 Aarhus V"`` (empty if not given).
    monthly_rent
        The dwelling's monthly rent (None for the household's current home).
    """

    id: str
    address: str
    postcode_town: str
    description: str
    source: str
    monthly_rent: float | None = None
    pavilion: bool = False

    @property
    def full_address(self) -> str:
        """The address on one line, with postcode and town."""
        return one_line_address(self.address, self.postcode_town, "")


@dataclass(frozen=True)
class LetterInfo:
    """Everything the notice and return letters of one household say.

    ``stay_rent`` is the monthly rent it pays during a temporary stay (R14);
    ``missing`` what a letter lacks to be sent (empty when complete).
    """

    household_id: str
    name: str
    mode: str
    mode_label: str
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
    current_rent: float = 0.0
    stay_rent: float | None = None
    contact: Contact | None = None
    missing: tuple[str, ...] = ()


def _rooms(rooms: int, lang: Lang) -> str:
    return ngettext("%(n)d room", "%(n)d rooms", rooms, lang) % {"n": rooms}


def _floor(floor: int, lang: Lang) -> str:
    if floor < 0:
        return gettext("basement", lang)
    if floor == 0:
        return gettext("ground floor", lang)
    return gettext("floor %(n)d", lang) % {"n": floor}


def _area(area: float, lang: Lang) -> str:
    return f"{number(area, lang, decimals=0 if float(area).is_integer() else 1)} m²"


def _features(
    rooms: int, area: float, floor: int, elevator: bool, wheelchair: bool, lang: Lang
) -> list[str]:
    parts = [_rooms(rooms, lang), _area(area, lang), _floor(floor, lang)]
    if elevator:
        parts.append(gettext("elevator", lang))
    if wheelchair:
        parts.append(gettext("wheelchair accessible", lang))
    return parts


def _town(postcode: str, town: str) -> str:
    return " ".join(x for x in (postcode, town) if x)


def _dwelling_home(scenario: Scenario, dwelling_id: str, lang: Lang) -> Home:
    d = scenario.dwelling(dwelling_id)
    parts = _features(d.rooms, d.area_m2, d.floor, d.elevator, d.wheelchair, lang)
    return Home(
        id=d.id,
        address=d.address,
        postcode_town=_town(d.postcode, d.town),
        description=", ".join(parts),
        source=label(d.source, lang),
        monthly_rent=d.monthly_rent,
    )


def _pavilion_home(scenario: Scenario, plan: Plan, place: str, lang: Lang) -> Home:
    timeline = next((t for t in plan.places if t.place == place), None)
    ptype = None
    if timeline is not None and timeline.pavilion_type is not None:
        ptype = next((p for p in scenario.pavilions if p.id == timeline.pavilion_type), None)
    module = gettext("pavilion module %(id)s", lang) % {"id": place}
    if ptype is None:
        return Home(place, "", "", module, label(Source.PAVILION, lang), pavilion=True)
    parts = [module, _rooms(ptype.rooms, lang), _area(ptype.area_m2, lang)]
    parts.append(gettext("ground level", lang))
    if ptype.wheelchair:
        parts.append(gettext("wheelchair accessible", lang))
    return Home(
        id=place,
        address=ptype.site,
        postcode_town=_town(ptype.postcode, ptype.town),
        description=", ".join(parts),
        source=label(Source.PAVILION, lang),
        monthly_rent=ptype.monthly_rent,
        pavilion=True,
    )


def _place_home(scenario: Scenario, plan: Plan, hp: HouseholdPlan, lang: Lang) -> Home | None:
    if hp.place is None:
        return None
    if hp.place_source is Source.PAVILION or hp.place not in {d.id for d in scenario.dwellings}:
        return _pavilion_home(scenario, plan, hp.place, lang)
    return _dwelling_home(scenario, hp.place, lang)


def _after_home(scenario: Scenario, after_id: str, own: Home, lang: Lang) -> Home:
    a = scenario.after_dwelling(after_id)
    parts = _features(a.rooms, a.area_m2, a.floor, a.elevator, a.wheelchair, lang)
    return Home(
        id=a.id,
        address=a.address,
        postcode_town=_town(a.postcode, a.town),
        description=", ".join(parts),
        source=own.source,
        monthly_rent=a.monthly_rent,
    )


def _missing(home: Home, what: str, where: str, lang: Lang) -> list[str]:
    """What a letter lacks to name ``home`` fully (``what``: its role, ``where``: the field)."""
    fields = [
        name
        for name, value in (
            (gettext("site", lang) if home.pavilion else gettext("address", lang), home.address),
            (gettext("postcode and town", lang), home.postcode_town),
        )
        if not value
    ]
    if not fields:
        return []
    return [
        gettext("%(what)s %(where)s: %(fields)s not given", lang)
        % {"what": what, "where": where, "fields": gettext(" and ", lang).join(fields)}
    ]


def stage_by_id(scenario: Scenario, stage_id: str) -> Stage:
    """The stage with id ``stage_id``."""
    return next(s for s in scenario.stages if s.id == stage_id)


def letter_info(
    scenario: Scenario, plan: Plan, hp: HouseholdPlan, lang: Lang = DEFAULT_LANG
) -> LetterInfo:
    """What the letters of the household of ``hp`` say, in ``lang``.

    The notice letter is dated on the notice date of the plan (R3); if that
    date lies before the planning date the letter is dated on the planning
    date and ``notice_late`` is set. The return letter is dated on the
    plan's return-letter date, or one month before the return (R4).
    """
    household = scenario.household(hp.household)
    stage = stage_by_id(scenario, hp.stage)
    policy = scenario.policy
    current = _dwelling_home(scenario, household.dwelling, lang)
    missing = _missing(current, gettext("current dwelling", lang), household.dwelling, lang)
    if hp.after_dwelling is not None:
        after, after_kind = _after_home(scenario, hp.after_dwelling, current, lang), "after"
        what = gettext("after-renovation dwelling", lang)
        missing += _missing(after, what, hp.after_dwelling, lang)
    elif hp.mode is Mode.PERMANENT and hp.permanent_dwelling is not None:
        after = _dwelling_home(scenario, hp.permanent_dwelling, lang)
        after_kind = "permanent"
        what = gettext("permanent dwelling", lang)
        missing += _missing(after, what, hp.permanent_dwelling, lang)
    else:
        after, after_kind = current, "own"
    temporary = _place_home(scenario, plan, hp, lang)
    stay_rent = None
    if temporary is not None:
        missing += _missing(temporary, gettext("temporary place", lang), temporary.id, lang)
        if temporary.monthly_rent is not None:
            stay_rent = rules.tenant_stay_rent(scenario, household, temporary.monthly_rent)
    if scenario.contact is None:
        missing.append(gettext("contact: the rehousing contact person is not given", lang))
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
        mode_label=label(hp.mode, lang),
        stage_id=stage.id,
        stage_name=stage.name or stage.id,
        stage_title=stage_title(stage, lang),
        stage_label=stage_label(stage, lang),
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
        temporary=temporary,
        after=after,
        after_kind=after_kind,
        storage=household.storage,
        self_move=household.self_move,
        self_move_allowance=scenario.costs.self_move_allowance,
        extra_help=household.extra_help,
        rent_reduction_pct=round(scenario.costs.rent_reduction * 100),
        current_rent=scenario.dwelling(household.dwelling).monthly_rent,
        stay_rent=stay_rent,
        contact=scenario.contact,
        missing=tuple(missing),
    )


def letter_problems(scenario: Scenario, plan: Plan, lang: Lang = DEFAULT_LANG) -> list[str]:
    """What the letters of ``plan`` lack to be sent, one line per household and gap.

    Each line names the household and the scenario field to fill in (an
    address, a postcode and town, a pavilion site, the contact person).
    Empty when every letter is complete.
    """
    out = []
    for hp in sorted(plan.households, key=lambda h: (h.stage, h.household)):
        for problem in letter_info(scenario, plan, hp, lang).missing:
            out.append(
                gettext("letter of household %(household)s: %(problem)s", lang)
                % {"household": hp.household, "problem": problem}
            )
    return out


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
    lang: Lang = DEFAULT_LANG,
    pdf: bool = False,
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
        Sender shown in the letters; defaults to "Boligorganisationen"
        (in ``lang``).
    key_time
        Time of day the keys are handed out on the return date (e.g.
        ``"kl. 10.00"``); without it the return letter asks the household to
        agree the hour with the rehousing contact.
    lang
        The letters' language (and their file names).
    pdf
        Also print each HTML letter to PDF (:mod:`allocator.report.pdf`).
        Without a renderer, or if it fails, the HTML letters stand and
        ``index.html`` says why; this never raises.

    Returns
    -------
    list[pathlib.Path]
        Per household ``<id>-opsigelse.html`` and ``.md`` (``-notice`` in
        English), and for households with a temporary stay
        ``<id>-tilbageflytning.html`` and ``.md`` (``-return``), with their
        ``.pdf`` when asked for and printed; last ``index.html``, an overview
        with every letter, its date and what it lacks. Letter files of an
        earlier run that this plan no longer has are removed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(template_dir, lang)
    sender = organisation or gettext("The housing organisation", lang)
    written: list[Path] = []
    html_letters: list[Path] = []
    rows: list[dict[str, Any]] = []
    notice_stem, return_stem = _FILE_STEMS[lang]
    stems = letter_stems(hp.household for hp in plan.households)
    for hp in sorted(plan.households, key=lambda h: (h.stage, h.household)):
        info = letter_info(scenario, plan, hp, lang)
        stem = stems[hp.household]
        files: dict[str, str | None] = dict.fromkeys(
            ("notice_html", "notice_md", "notice_pdf", "return_html", "return_md", "return_pdf")
        )
        kinds = [("notice", notice_stem, NOTICE_TEMPLATES)]
        if hp.mode is Mode.TEMPORARY and hp.return_date is not None:
            kinds.append(("return", return_stem, RETURN_TEMPLATES))
        for kind, suffix, templates in kinds:
            for template in templates:
                ext = template.rsplit(".", 1)[1]
                name = f"{stem}-{suffix}.{ext}"
                text = render_letter(
                    env,
                    template,
                    info,
                    organisation=sender,
                    scenario_name=scenario.name,
                    key_time=key_time if kind == "return" else None,
                )
                path = write_file(out / name, text, durable=False)
                written.append(path)
                files[f"{kind}_{ext}"] = name
                if ext == "html":
                    html_letters.append(path)
                    if pdf:
                        files[f"{kind}_pdf"] = path.with_suffix(".pdf").name
        rows.append({"h": info, "files": files})
    note = None
    if pdf:
        pdfs, note = write_pdfs(html_letters)
        written += pdfs
        done = {p.name for p in pdfs}
        for row in rows:
            for key in ("notice_pdf", "return_pdf"):
                if row["files"][key] not in done:
                    row["files"][key] = None
    index = env.get_template("letters_index.html").render(
        {"rows": rows, "organisation": sender, "scenario": scenario.name, "pdf_note": note}
    )
    written.append(write_file(out / "index.html", index, durable=False))
    # Letters of an earlier run for households no longer in the plan (or in
    # another language) would mix two runs.
    keep = set(written)
    for pattern in ("*-opsigelse.*", "*-tilbageflytning.*", "*-notice.*", "*-return.*"):
        for stale in out.glob(pattern):
            if stale not in keep and stale.suffix in (".html", ".md", ".pdf"):
                stale.unlink()
    return written
