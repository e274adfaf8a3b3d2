"""The process and activity plan (*proces- og aktivitetsplan*) of a plan.

Every dated deadline and event of a plan, per stage and per household or
rehousing place, as a table a planner can sort, filter, export to CSV and
import into a calendar (iCalendar, all-day events):

=====================  ==========================================================  ======
code                   what (date)                                                 rule
=====================  ==========================================================  ======
``interview``          individual interview, one year before the move-out          R4
``collect``            a dwelling is withheld for rehousing (collected_from)       R11
``pavilion_order``     a pavilion module is ordered (first use minus lead days)    R12
``stage_meeting``      stage meeting, ``meeting_days`` before the notice date      R3
``notice``             notice letter sent (plan's notice date)                     R3
``legal_notice``       legal latest notice (``legal_notice_months`` before start)  R3
``separate_lease``     notice of separate attached leases (clearing − 1 month)     R3
``lease_reminder``     reminder to a time-limited tenant, 5 weeks before the end   R4
``lease_end``          a time-limited lease ends                                   R11
``clearing``           dwellings and basement/attic rooms cleared (move-out day)   R1
``permanent_move``     a household moves for good                                  R8
``direct_move``        a household moves straight into its new dwelling            R9
``move_out``           a household moves into its temporary place                  R1
``works_start``        the works of a stage begin                                  R1
``works_end``          the works of a stage end                                    R1
``ready``              the stage's dwellings are ready for the return              R1
``return_letter``      return letter sent, one month before the return             R4
``return``             a household moves back (or into its new dwelling)           R1
``release``            a place is released (let normally, handed back, removed)    R11
=====================  ==========================================================  ======

Every row has a stable ``uid`` made from the scenario, the code, the stage,
the household and the place (not the date), so a re-exported calendar
updates the same events when a date moves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pandas as pd
from dateutil.relativedelta import relativedelta

from allocator import rules
from allocator.i18n import DEFAULT_LANG, Lang, gettext, ngettext
from allocator.io.cells import spreadsheet_frame
from allocator.io.write import write_file
from models.plan import Mode, PlaceTimeline, Plan, SegmentKind
from models.scenario import Scenario, Source

COLUMNS = [
    "date",
    "stage",
    "household",
    "place",
    "activity",
    "rule",
    "code",
    "uid",
]

#: Order of activities on the same day (earlier in a process first).
ORDER = {
    code: i
    for i, code in enumerate(
        [
            "interview",
            "collect",
            "pavilion_order",
            "stage_meeting",
            "notice",
            "legal_notice",
            "separate_lease",
            "lease_reminder",
            "lease_end",
            "clearing",
            "permanent_move",
            "direct_move",
            "move_out",
            "works_start",
            "works_end",
            "ready",
            "return_letter",
            "return",
            "release",
        ]
    )
}


@dataclass(frozen=True)
class _Row:
    date: date
    stage: str
    code: str
    activity: str
    rule: str
    household: str | None = None
    place: str | None = None


def _place_stage(timeline: PlaceTimeline, index: int | None = None) -> str:
    """The stage a place (or its segment ``index``) serves: own or next use."""
    segments = timeline.segments
    start = 0 if index is None else index
    for seg in segments[start:]:
        if seg.stage is not None:
            return seg.stage
    for seg in reversed(segments[:start]):
        if seg.stage is not None:
            return seg.stage
    return ""


def activity_plan(
    scenario: Scenario, plan: Plan, *, meeting_days: int = 7, lang: Lang = DEFAULT_LANG
) -> pd.DataFrame:
    """Every deadline and event of ``plan``, sorted by date.

    Parameters
    ----------
    scenario, plan
        The case and its plan.
    meeting_days
        The stage meeting is held this many days before the stage's notice
        date ("umiddelbart før beboerne opsiges"), on a working day.
    lang
        The language of the ``activity`` texts.

    Every date that is a deadline or an event the organisation holds falls
    on a working day (:mod:`allocator.rules.calendar`): interviews a year
    before each household's move, reminders five weeks before a
    time-limited lease ends, the stage's clearing deadline.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (:class:`datetime.date`), ``stage``, ``household``
        and ``place`` (``None`` where not about one), ``activity`` (in
        ``lang``), ``rule``, ``code`` (see the module docstring) and
        ``uid`` (stable calendar id).
    """
    rows: list[_Row] = []
    add = rows.append

    def _(message: str) -> str:
        return gettext(message, lang)

    stages = {s.id: s for s in scenario.stages}
    policy = scenario.policy

    calendar = rules.working_days(scenario)
    for stage in scenario.stages:
        sid = stage.id
        notice = rules.stage_notice_date(scenario, stage)
        clearing = calendar.on_or_before(scenario.date_of(rules.move_out_day(scenario, stage)))
        add(
            _Row(
                calendar.on_or_before(notice - timedelta(days=meeting_days)),
                sid,
                "stage_meeting",
                _("Stage meeting: information on the works and the rehousing"),
                "R3",
            )
        )
        add(
            _Row(
                rules.stage_legal_notice_date(scenario, stage),
                sid,
                "legal_notice",
                _("Legal notice deadline (%(months)d months before the first move)")
                % {"months": policy.legal_notice_months},
                "R3",
            )
        )
        add(
            _Row(
                calendar.on_or_before(clearing - relativedelta(months=1)),
                sid,
                "separate_lease",
                _("Notice of separate attached leases (one month) at the latest"),
                "R3",
            )
        )
        add(
            _Row(
                clearing,
                sid,
                "clearing",
                _("Dwellings and basement/attic rooms cleared"),
                "R1",
            )
        )
        add(
            _Row(
                stage.start,
                sid,
                "works_start",
                _("Works start"),
                "R1",
            )
        )
        add(_Row(stage.end, sid, "works_end", _("Works end"), "R1"))
        add(
            _Row(
                scenario.date_of(rules.back_day(scenario, stage)),
                sid,
                "ready",
                _("Dwellings ready for the return (inspection and cleaning done)"),
                "R1",
            )
        )

    for hp in plan.households:
        sid, hid = hp.stage, hp.household
        add(
            _Row(
                rules.interview_date(scenario, hp.move_out),
                sid,
                "interview",
                _("Individual interview on the rehousing agreement at the latest"),
                "R4",
                hid,
                hp.place,
            )
        )
        add(
            _Row(
                hp.notice_date,
                sid,
                "notice",
                _("Notice letter sent by registered mail"),
                "R3",
                hid,
                hp.place or hp.permanent_dwelling or hp.after_dwelling,
            )
        )
        if hp.mode is Mode.PERMANENT:
            add(
                _Row(
                    hp.move_out,
                    sid,
                    "permanent_move",
                    _("Permanent rehousing: moves into its new dwelling"),
                    "R8",
                    hid,
                    hp.permanent_dwelling,
                )
            )
        elif hp.mode is Mode.DIRECT:
            add(
                _Row(
                    hp.move_out,
                    sid,
                    "direct_move",
                    _("Moves straight into its after-renovation dwelling (seniority)"),
                    "R9",
                    hid,
                    hp.after_dwelling,
                )
            )
        else:
            add(
                _Row(
                    hp.move_out,
                    sid,
                    "move_out",
                    _("Moves out into its temporary place"),
                    "R1",
                    hid,
                    hp.place,
                )
            )
            if hp.return_date is not None:
                letter = hp.return_letter_date or rules.return_letter_date(scenario, hp.return_date)
                add(
                    _Row(
                        letter,
                        sid,
                        "return_letter",
                        _("Return letter sent"),
                        "R4",
                        hid,
                        hp.after_dwelling or hp.place,
                    )
                )
                if hp.after_dwelling is not None:
                    text = _("Moves into after-renovation dwelling %(id)s (seniority)") % {
                        "id": hp.after_dwelling
                    }
                else:
                    text = _("Moves back to its own dwelling")
                add(_Row(hp.return_date, sid, "return", text, "R1", hid, hp.place))

    pavilion_types = {p.id: p for p in scenario.pavilions}
    for tl in plan.places:
        sid = _place_stage(tl)
        if tl.source is Source.PAVILION:
            ptype = pavilion_types.get(tl.pavilion_type or "")
            lead = ptype.lead_days if ptype is not None else 0
            add(
                _Row(
                    calendar.on_or_before(tl.collected_from - timedelta(days=lead)),
                    sid,
                    "pavilion_order",
                    _("Pavilion module ordered at the latest"),
                    "R12",
                    place=tl.place,
                )
            )
            add(
                _Row(
                    tl.released,
                    _place_stage(tl, len(tl.segments) - 1),
                    "release",
                    _("Pavilion module returned and removed"),
                    "R12",
                    place=tl.place,
                )
            )
        else:
            add(
                _Row(
                    tl.collected_from,
                    sid,
                    "collect",
                    _("Dwelling collected for rehousing (withheld from the waiting list)"),
                    "R11",
                    place=tl.place,
                )
            )
            ends_permanent = bool(tl.segments) and tl.segments[-1].kind is SegmentKind.PERMANENT
            if not ends_permanent:
                add(
                    _Row(
                        tl.released,
                        _place_stage(tl, len(tl.segments) - 1),
                        "release",
                        _("Dwelling released (let normally or handed back)"),
                        "R11",
                        place=tl.place,
                    )
                )
        for i, seg in enumerate(tl.segments):
            if seg.kind is not SegmentKind.TIME_LIMITED:
                continue
            seg_stage = seg.stage or _place_stage(tl, i)
            add(
                _Row(
                    rules.reminder_date(scenario, seg.end),
                    seg_stage,
                    "lease_reminder",
                    _("Reminder to the time-limited tenant that the lease ends"),
                    "R4",
                    seg.household,
                    tl.place,
                )
            )
            add(
                _Row(
                    seg.end,
                    seg_stage,
                    "lease_end",
                    _("Time-limited lease ends"),
                    "R11",
                    seg.household,
                    tl.place,
                )
            )

    stage_order = {sid: i for i, sid in enumerate(stages)}
    rows.sort(
        key=lambda r: (
            r.date,
            stage_order.get(r.stage, len(stage_order)),
            ORDER[r.code],
            r.household or "",
            r.place or "",
        )
    )
    seen: dict[tuple[str, str, str, str], int] = {}
    records = []
    for r in rows:
        key = (r.code, r.stage, r.household or "", r.place or "")
        n = seen.get(key, 0)
        seen[key] = n + 1
        records.append(
            {
                "date": r.date,
                "stage": r.stage,
                "household": r.household,
                "place": r.place,
                "activity": r.activity,
                "rule": r.rule,
                "code": r.code,
                "uid": _uid(scenario.name, *key, str(n)),
            }
        )
    # Object columns keep ``None`` for "not about one household/place" (pandas
    # would otherwise infer string columns with NaN).
    return pd.DataFrame(
        {col: pd.Series([rec[col] for rec in records], dtype=object) for col in COLUMNS}
    )


def _uid(*parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{parts[1]}-{digest}@genhus"


def write_activities_csv(path: Path | str, df: pd.DataFrame) -> Path:
    """Write the activity plan as UTF-8 CSV (dates ISO, empty for none), atomically.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    out = df.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    text = spreadsheet_frame(out).to_csv(index=False, lineterminator="\n")
    return write_file(Path(path), text)


def cell_text(value: object) -> str:
    """A cell of an activity plan as text: empty for none (None, or NaN once read back)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def ical_calendar(
    df: pd.DataFrame,
    *,
    name: str = "genhus",
    stamp: datetime | None = None,
    lang: Lang = DEFAULT_LANG,
) -> icalendar.Calendar:
    """The activity plan as an iCalendar calendar of all-day events.

    Rows about households are grouped: one event per day, stage and
    activity lists its households and places (one interview event a day,
    not one per household). Rows about a stage or a place are one event each.

    Parameters
    ----------
    df
        An activity plan from :func:`activity_plan`.
    name
        Calendar name shown by calendar programs.
    stamp
        DTSTAMP of every event. Default: midnight UTC of the earliest date in
        ``df``, so the same plan always gives the same file.
    lang
        The language of the event texts.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//genhus//proces- og aktivitetsplan//DA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if stamp is None:
        first = min(df["date"]) if len(df) else date(2000, 1, 1)
        stamp = datetime(first.year, first.month, first.day, tzinfo=UTC)
    groups: dict[tuple[Any, ...], list[dict[Any, Any]]] = {}
    for rec in df.to_dict("records"):
        household = cell_text(rec["household"])
        # household rows of one day, stage and activity share an event
        key: tuple[Any, ...] = (
            rec["date"],
            cell_text(rec["stage"]),
            cell_text(rec.get("code")),
            rec["activity"],
        )
        if not household:
            key += (cell_text(rec["place"]), cell_text(rec.get("uid")))
        groups.setdefault(key, []).append(rec)
    for recs in groups.values():
        cal.add_component(_event(recs, name, stamp, lang))
    return cal


def _event(recs: list[dict[str, Any]], name: str, stamp: datetime, lang: Lang) -> icalendar.Event:
    """One all-day event for rows of one day, stage and activity."""
    first = recs[0]
    day: date = first["date"]
    stage = cell_text(first["stage"])
    households = [cell_text(r["household"]) for r in recs if cell_text(r["household"])]
    places = [cell_text(r["place"]) for r in recs if cell_text(r["place"])]
    uid = cell_text(first.get("uid")) or _uid(
        name, cell_text(first.get("code")), stage, "", "", day.isoformat()
    )
    if len(recs) > 1:  # a grouped event: its id from the group, stable while the day holds
        uid = _uid(name, cell_text(first.get("code")), stage, "*", "*", day.isoformat())
    if len(households) > 1:
        who = ngettext("%(num)d household", "%(num)d households", len(households), lang) % {
            "num": len(households)
        }
    else:
        who = " · ".join(x for x in (*households, *places[:1]) if x)
    summary = f"{first['activity']}" + (f" – {who}" if who else "")
    if stage:
        summary = f"[{stage}] {summary}"
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    lines = [str(first["activity"])]
    if stage:
        lines.append(gettext("Stage: %(id)s", lang) % {"id": stage})
    for r in recs:
        household, place = cell_text(r["household"]), cell_text(r["place"])
        if household:
            lines.append(
                gettext("Household %(id)s", lang) % {"id": household}
                + (f" · {place}" if place else "")
            )
        elif place:
            lines.append(gettext("Dwelling/place: %(id)s", lang) % {"id": place})
    lines.append(gettext("Rule: %(rule)s", lang) % {"rule": first["rule"]})
    event.add("description", "\n".join(lines))
    if stage:
        event.add("categories", [stage])
    event.add("transp", "TRANSPARENT")
    return event


def write_ical(
    path: Path | str,
    df: pd.DataFrame,
    *,
    name: str = "genhus",
    stamp: datetime | None = None,
    lang: Lang = DEFAULT_LANG,
) -> Path:
    """Write the activity plan as an iCalendar file (``.ics``), atomically.

    See :func:`ical_calendar` for the parameters. Writing the same plan twice
    gives the same bytes; a changed plan keeps the events' UIDs.
    """
    cal = ical_calendar(df, name=name, stamp=stamp, lang=lang)
    return write_file(Path(path), cal.to_ical())
