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

import icalendar
import pandas as pd
from dateutil.relativedelta import relativedelta

from allocator import rules
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
    "activity_en",
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
    activity_en: str
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


def activity_plan(scenario: Scenario, plan: Plan, *, meeting_days: int = 7) -> pd.DataFrame:
    """Every deadline and event of ``plan``, sorted by date.

    Parameters
    ----------
    scenario, plan
        The case and its plan.
    meeting_days
        The stage meeting is held this many days before the stage's notice
        date ("umiddelbart før beboerne opsiges"), on a working day.

    Every date that is a deadline or an event the organisation holds falls
    on a working day (:mod:`allocator.rules.calendar`): interviews a year
    before each household's move, reminders five weeks before a
    time-limited lease ends, the stage's clearing deadline.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (:class:`datetime.date`), ``stage``, ``household``
        and ``place`` (``None`` where not about one), ``activity`` (Danish),
        ``activity_en``, ``rule``, ``code`` (see the module docstring) and
        ``uid`` (stable calendar id).
    """
    rows: list[_Row] = []
    add = rows.append
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
                "Etapemøde: orientering om byggesagen og genhusningen",
                "Stage meeting: information on the works and the rehousing",
                "R3",
            )
        )
        add(
            _Row(
                rules.stage_legal_notice_date(scenario, stage),
                sid,
                "legal_notice",
                f"Lovpligtig frist for opsigelse ({policy.legal_notice_months} måneder "
                "før første fraflytning)",
                f"Legal notice deadline ({policy.legal_notice_months} months before the first "
                "move)",
                "R3",
            )
        )
        add(
            _Row(
                calendar.on_or_before(clearing - relativedelta(months=1)),
                sid,
                "separate_lease",
                "Opsigelse af særskilte bi-lejemål (en måneds varsel) senest",
                "Notice of separate attached leases (one month) at the latest",
                "R3",
            )
        )
        add(
            _Row(
                clearing,
                sid,
                "clearing",
                "Boliger og bi-rum (kælder, loft) ryddet",
                "Dwellings and basement/attic rooms cleared",
                "R1",
            )
        )
        add(
            _Row(
                stage.start,
                sid,
                "works_start",
                "Byggearbejdet begynder",
                "Works start",
                "R1",
            )
        )
        add(_Row(stage.end, sid, "works_end", "Byggearbejdet afsluttes", "Works end", "R1"))
        add(
            _Row(
                scenario.date_of(rules.back_day(scenario, stage)),
                sid,
                "ready",
                "Boligerne klar til tilbageflytning (syn og rengøring afsluttet)",
                "Dwellings ready for the return (inspection and cleaning done)",
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
                "Individuel beboersamtale om genhusningsaftalen senest",
                "Individual interview on the rehousing agreement at the latest",
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
                "Opsigelse sendes anbefalet (opsigelsesbrev)",
                "Notice letter sent by registered mail",
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
                    "Permanent genhusning: indflytning i ny bolig",
                    "Permanent rehousing: moves into its new dwelling",
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
                    "Flytning direkte til ny bolig i afdelingen (bo-anciennitet)",
                    "Moves straight into its after-renovation dwelling (seniority)",
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
                    "Fraflytning til midlertidig bolig",
                    "Moves out into its temporary place",
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
                        "Tilbageflytningsbrev sendes",
                        "Return letter sent",
                        "R4",
                        hid,
                        hp.after_dwelling or hp.place,
                    )
                )
                if hp.after_dwelling is not None:
                    text = f"Indflytning i ny bolig {hp.after_dwelling} (bo-anciennitet)"
                    text_en = f"Moves into after-renovation dwelling {hp.after_dwelling}"
                else:
                    text = "Tilbageflytning til egen bolig"
                    text_en = "Moves back to its own dwelling"
                add(_Row(hp.return_date, sid, "return", text, text_en, "R1", hid, hp.place))

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
                    "Pavillonmodul bestilles senest",
                    "Pavilion module ordered at the latest",
                    "R12",
                    place=tl.place,
                )
            )
            add(
                _Row(
                    tl.released,
                    _place_stage(tl, len(tl.segments) - 1),
                    "release",
                    "Pavillonmodul afleveres og fjernes",
                    "Pavilion module returned and removed",
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
                    "Bolig indsamles til genhusning (holdes tilbage fra ventelisten)",
                    "Dwelling collected for rehousing (withheld from the waiting list)",
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
                        "Bolig frigives (almindelig udlejning eller tilbagelevering)",
                        "Dwelling released (let normally or handed back)",
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
                    "Påmindelse om ophør af tidsbegrænset lejemål (med afleveringsattest)",
                    "Reminder to the time-limited tenant that the lease ends",
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
                    "Tidsbegrænset lejemål ophører",
                    "Time-limited lease ends",
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
                "activity_en": r.activity_en,
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
    df: pd.DataFrame, *, name: str = "genhus", stamp: datetime | None = None
) -> icalendar.Calendar:
    """The activity plan as an iCalendar calendar of all-day events.

    Parameters
    ----------
    df
        An activity plan from :func:`activity_plan`.
    name
        Calendar name shown by calendar programs.
    stamp
        DTSTAMP of every event. Default: midnight UTC of the earliest date in
        ``df``, so the same plan always gives the same file.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//genhus//proces- og aktivitetsplan//DA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if stamp is None:
        first = min(df["date"]) if len(df) else date(2000, 1, 1)
        stamp = datetime(first.year, first.month, first.day, tzinfo=UTC)
    for rec in df.to_dict("records"):
        day: date = rec["date"]
        household = cell_text(rec["household"])
        place = cell_text(rec["place"])
        stage = cell_text(rec["stage"])
        uid = cell_text(rec.get("uid")) or _uid(
            name, cell_text(rec.get("code")), stage, household, place, day.isoformat()
        )
        who = " · ".join(x for x in (household, place) if x)
        summary = f"{rec['activity']}" + (f" – {who}" if who else "")
        if stage:
            summary = f"[{stage}] {summary}"
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", summary)
        lines = [
            str(rec["activity_en"]),
            f"Etape (stage): {stage}" if stage else "",
            f"Husstand (household): {household}" if household else "",
            f"Bolig/plads (place): {place}" if place else "",
            f"Regel (rule): {rec['rule']}",
        ]
        event.add("description", "\n".join(x for x in lines if x))
        if stage:
            event.add("categories", [stage])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal


def write_ical(
    path: Path | str, df: pd.DataFrame, *, name: str = "genhus", stamp: datetime | None = None
) -> Path:
    """Write the activity plan as an iCalendar file (``.ics``), atomically.

    See :func:`ical_calendar` for the parameters. Writing the same plan twice
    gives the same bytes; a changed plan keeps the events' UIDs.
    """
    cal = ical_calendar(df, name=name, stamp=stamp)
    return write_file(Path(path), cal.to_ical())
