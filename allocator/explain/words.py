"""Explanations in words, Danish or English: capacity rows, causes, relaxations.

Solver-free, so the report and workbook can say what the analysis and the
diagnosis found.
"""

from __future__ import annotations

from datetime import date

from allocator import rules
from allocator.i18n import Lang, day, gettext, money, ngettext
from allocator.labels import short_label
from models.explain import (
    CapacityRow,
    Cause,
    CauseKind,
    Diagnosis,
    MarginalValue,
    NeedClass,
    Relaxation,
    RelaxationKind,
)
from models.scenario import Scenario, Source

__all__ = [
    "describe",
    "describe_cause",
    "describe_relaxation",
    "describe_row",
    "later",
    "marginal_label",
    "need_label",
    "source_label",
]


def later(value: date, months: int) -> date:
    """``value`` moved ``months`` calendar months later (the day clamped to the month)."""
    month = value.month - 1 + months
    year, month = value.year + month // 12, month % 12 + 1
    for d in (value.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def need_label(need: NeedClass | None, lang: Lang = "da") -> str:
    """A need class in words, e.g. ``3+ rooms, wheelchair-accessible``."""
    if need is None:
        return gettext("any kind", lang)
    if need.rooms_max is not None and need.rooms_max != need.rooms:
        parts = [gettext("{low}-{high} rooms", lang).format(low=need.rooms, high=need.rooms_max)]
    elif need.rooms_max is not None:
        parts = [gettext("{rooms} rooms", lang).format(rooms=need.rooms)]
    else:
        parts = [gettext("{rooms}+ rooms", lang).format(rooms=need.rooms)]
    if need.wheelchair:
        parts.append(gettext("wheelchair-accessible", lang))
    elif need.step_free:
        parts.append(gettext("step-free", lang))
    if need.max_floor is not None:
        parts.append(gettext("at most floor {floor}", lang).format(floor=need.max_floor))
    for source in need.excluded:
        parts.append(gettext("not {source}", lang).format(source=source_label(source, lang)))
    return ", ".join(parts)


def source_label(source: str, lang: Lang = "da") -> str:
    """A source in words (own department, partner ...): the labels' short form."""
    try:
        return short_label(Source(source), lang)
    except ValueError:
        return source


def describe_row(row: CapacityRow, lang: Lang = "da") -> str:
    """A shortage in words.

    E.g. ``stage E3 needs 14 places (3+ rooms, wheelchair-accessible) from
    1 March 2027; at most 9 can be free then (5 own organisation, 4 partner)``.
    """
    sources = ", ".join(
        f"{count} {source_label(source, lang)}" for source, count in row.by_source.items()
    )
    text = ngettext(
        "stage {stage} needs {demand} place ({need}) from {day}",
        "stage {stage} needs {demand} places ({need}) from {day}",
        row.demand,
        lang,
    ).format(
        stage=row.stage, demand=row.demand, need=need_label(row.need, lang), day=day(row.day, lang)
    )
    parts = []
    if row.stays:
        parts.append(gettext("{n} away in a rehousing place then", lang).format(n=row.stays))
    if row.permanent:
        parts.append(gettext("{n} moved for good", lang).format(n=row.permanent))
    if row.spares:
        parts.append(
            ngettext("{n} spare (R10)", "{n} spares (R10)", row.spares, lang).format(n=row.spares)
        )
    text += " (" + ", ".join(parts) + ")"
    text += "; " + gettext("at most {supply} can be free then", lang).format(supply=row.supply)
    if sources:
        text += f" ({sources})"
    return text


def describe(diagnosis: Diagnosis, scenario: Scenario, lang: Lang = "da") -> list[str]:
    """The diagnosis in words: one line per cause, then what would lift it."""
    lines = []
    for cause in diagnosis.causes:
        lines.append(describe_cause(cause, lang))
        for r in cause.relaxations:
            mark = ""
            if r.verified is None:
                mark = " " + gettext("(not checked in time)", lang)
            elif not r.verified:
                mark = " " + gettext("(does not lift it alone)", lang)
            lines.append("  - " + describe_relaxation(r, scenario, lang) + mark)
    if diagnosis.causes:
        lines.append(
            gettext("with the first change of each cause the scenario has a plan", lang)
            if diagnosis.lifted
            else gettext("the first changes together do not give a plan", lang)
            if diagnosis.lifted is False
            else gettext(
                "whether the first changes together give a plan was not checked in time", lang
            )
        )
    return lines


def describe_cause(cause: Cause, lang: Lang = "da") -> str:
    """One cause in words, naming its stage, need class and rule."""
    if cause.message is not None:
        return f"{cause.rule}: {cause.message}"
    need = need_label(cause.need, lang)
    start = day(cause.start, lang) if cause.start else ""
    end = day(cause.end, lang) if cause.end else ""
    if cause.kind is CauseKind.STAY_PLACES:
        text = ngettext(
            "stage {stage} (R1): {short} of its {n} households needing a place ({need}) "
            "cannot be housed from {start} to {end}",
            "stage {stage} (R1): {short} of its {n} households needing a place ({need}) "
            "cannot be housed from {start} to {end}",
            cause.short,
            lang,
        )
    elif cause.kind is CauseKind.PERMANENT_PLACES:
        text = gettext(
            "stage {stage} (R8): {short} of its {n} households that must move for good "
            "({need}) find no own-organisation dwelling free by {start}",
            lang,
        )
    else:
        text = gettext(
            "stage {stage} (R10): {short} spare places ({need}) short of the overcapacity "
            "target over its offer period from {start}",
            lang,
        )
    return text.format(
        stage=cause.stage,
        short=cause.short,
        n=len(cause.households),
        need=need,
        start=start,
        end=end,
    )


def describe_relaxation(r: Relaxation, scenario: Scenario, lang: Lang = "da") -> str:
    """One relaxation in words."""
    k = RelaxationKind
    if r.kind is k.ADD_PLACES:
        assert r.start is not None
        return ngettext(
            "{count} more place ({need}) free from {start}",
            "{count} more places ({need}) free from {start}",
            r.count or 0,
            lang,
        ).format(count=r.count, need=need_label(r.need, lang), start=day(r.start, lang))
    if r.kind is k.DELAY_STAGE:
        stage = rules.stage_by_id(scenario, r.stage) if r.stage else None
        new = later(stage.start, r.months or 0) if stage else None
        return ngettext(
            "start stage {stage} {months} month later ({start})",
            "start stage {stage} {months} months later ({start})",
            r.months or 0,
            lang,
        ).format(stage=r.stage, months=r.months, start=day(new, lang) if new else "")
    if r.kind is k.LOWER_OVERCAPACITY:
        return gettext("an overcapacity target of {pct} % instead of {now} %", lang).format(
            pct=round((r.value or 0) * 100), now=rules.overcapacity_pct(scenario)
        )
    if r.kind is k.MOVES_PER_DAY:
        return gettext("{value} moves a working day instead of {now}", lang).format(
            value=int(r.value or 0), now=scenario.policy.moves_per_day
        )
    if r.kind is k.SOFT_PERMANENT:
        return gettext(
            "let a permanent agreement be broken at a penalty of {penalty} "
            "(policy.permanent_agreement: soft)",
            lang,
        ).format(penalty=money(scenario.penalties.permanent_not_met, lang))
    if r.kind is k.ALLOW_SOURCE:
        return gettext("households {households} allow {source} places", lang).format(
            households=", ".join(r.households), source=source_label(r.source or "", lang)
        )
    if r.kind is k.PAVILION_LEAD:
        return gettext("pavilion type {pavilion} ready within {days} days", lang).format(
            pavilion=r.pavilion, days=int(r.value or 0)
        )
    return gettext("household {household} also wishes {dwelling}", lang).format(
        household=", ".join(r.households), dwelling=r.dwelling
    )


def marginal_label(v: MarginalValue, lang: Lang = "da") -> str:
    """A marginal value's change in words."""
    if v.what == "place":
        return gettext("one more place ({need}) free from {start}", lang).format(
            need=need_label(v.need, lang), start=day(v.start, lang) if v.start else ""
        )
    if v.what == "overcapacity_point":
        return gettext("one point less overcapacity target", lang)
    return gettext("stage {stage} one month later", lang).format(stage=v.stage)
