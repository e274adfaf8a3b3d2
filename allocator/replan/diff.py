"""Old plan against replanned plan: who is affected and how, the letters, the cost (no solver)."""

from __future__ import annotations

from datetime import date

from allocator import rules
from allocator.i18n import Lang, day, gettext, money
from allocator.labels import label
from allocator.replan.promises import Broken, place_of
from models.plan import CostCategory, HouseholdPlan, Mode, Plan
from models.replan import CategoryChange, HouseholdDiff, Letter, ReplanDiff, SignedLease
from models.scenario import Scenario

__all__ = ["category_label", "diff_plans", "diff_text", "plan_cost"]

#: What a notice letter tells (R3) and what a return letter tells (R4).
NOTICE_FIELDS = ("mode", "move_out", "place", "permanent_dwelling", "after_dwelling")
RETURN_FIELDS = ("return_date", "after_dwelling")


def _fields(plan: Plan, h: HouseholdPlan) -> dict[str, str | None]:
    place, pavilion = place_of(plan, h)
    return {
        "mode": h.mode.value,
        "move_out": h.move_out.isoformat(),
        # a module by its type: modules are numbered afresh in every plan
        "place": None if place is None else (f"{place} (pavilion)" if pavilion else place),
        "return_date": None if h.return_date is None else h.return_date.isoformat(),
        "after_dwelling": h.after_dwelling,
        "permanent_dwelling": h.permanent_dwelling,
    }


def category_label(category: str, lang: Lang = "da") -> str:
    """A budget category's name: the guide's Danish wording, or the English code in words."""
    return label(CostCategory(category)) if lang == "da" else category.replace("_", " ")


def plan_cost(plan: Plan) -> float:
    """A plan's budget cost plus soft-wish penalties, DKK (its objective)."""
    total = next(c for c in plan.costs if c.stage == "total")
    return total.total + plan.penalties


def _totals(plan: Plan) -> dict[CostCategory, float]:
    total = next(c for c in plan.costs if c.stage == "total")
    return dict(total.by_category)


def diff_plans(
    scenario: Scenario,
    old: Plan,
    changed: Scenario,
    new: Plan,
    as_of: date,
    broken: list[Broken],
    leases: list[SignedLease] | None = None,
) -> ReplanDiff:
    """Compare the old plan of ``scenario`` with the new plan of ``changed`` as of ``as_of``.

    Parameters
    ----------
    scenario, old
        The case and its plan before the changes.
    changed, new
        The changed case and its replanned plan.
    as_of
        The day of replanning.
    broken
        The promises ``new`` breaks (:func:`allocator.replan.promises.broken_promises`).
    leases
        The signed leases it cuts short (:func:`allocator.replan.promises.broken_leases`).

    Returns
    -------
    ReplanDiff
        Households whose plan changed (field by field), the letters they must
        be sent (with the latest and the legal dates), the cost by category.
    """
    broken_by = {b.household: b for b in broken}
    old_by = {h.household: h for h in old.households}
    households: list[HouseholdDiff] = []
    letters: list[Letter] = []
    for h in new.households:
        o = old_by.get(h.household)
        before = _fields(old, o) if o is not None else {}
        after = _fields(new, h)
        changes = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
        if not changes:
            continue
        promised = o is not None and o.notice_date < as_of
        b = broken_by.get(h.household)
        households.append(
            HouseholdDiff(
                household=h.household,
                stage=h.stage,
                changes=changes,
                promised=promised,
                broken=list(b.what) if b else [],
            )
        )
        if any(k in changes for k in NOTICE_FIELDS):
            stage = changed.stage_of(changed.household(h.household))
            legal = rules.legal_notice_date(changed, stage.start, h.move_out)
            overdue = h.notice_date < as_of
            letters.append(
                Letter(
                    household=h.household,
                    kind="notice",
                    due=h.notice_date,
                    legal_latest=legal,
                    correction=promised,
                    overdue=overdue,
                    legal_met=as_of <= legal if overdue else True,
                )
            )
        returns = h.mode is Mode.TEMPORARY and h.return_letter_date is not None
        if returns and any(k in changes for k in RETURN_FIELDS):
            assert h.return_letter_date is not None
            overdue = h.return_letter_date < as_of
            letters.append(
                Letter(
                    household=h.household,
                    kind="return",
                    due=h.return_letter_date,
                    correction=(
                        o is not None
                        and o.return_letter_date is not None
                        and o.return_letter_date < as_of
                    ),
                    overdue=overdue,
                    legal_met=not overdue,
                )
            )
    old_cost, new_cost = _totals(old), _totals(new)
    costs = [
        CategoryChange(
            category=c.value,
            old=round(old_cost.get(c, 0.0), 2),
            new=round(new_cost.get(c, 0.0), 2),
            delta=round(new_cost.get(c, 0.0) - old_cost.get(c, 0.0), 2),
        )
        for c in CostCategory
        if old_cost.get(c, 0.0) or new_cost.get(c, 0.0)
    ]
    letters.sort(key=lambda letter: (letter.due, letter.household, letter.kind))
    return ReplanDiff(
        as_of=as_of,
        households=households,
        letters=letters,
        costs=costs,
        old_total=round(sum(old_cost.values()), 2),
        new_total=round(sum(new_cost.values()), 2),
        promises=sum(1 for h in old.households if h.notice_date < as_of),
        broken=len(broken),
        leases=leases or [],
    )


def diff_text(diff: ReplanDiff, lang: Lang = "da") -> str:
    """The diff as plain text for a planner, in ``lang``."""
    _ = lambda msg: gettext(msg, lang)  # noqa: E731
    lines = [
        f"{_('Replanned as of')} {day(diff.as_of, lang)}",
        f"{_('Households affected')}: {len(diff.households)}",
        f"{_('Promises made (letters sent)')}: {diff.promises}",
        f"{_('Promises broken')}: {diff.broken}",
        f"{_('Time-limited leases cut short')}: {len(diff.leases)}",
        f"{_('Total cost')}: {money(diff.old_total, lang)} -> {money(diff.new_total, lang)}"
        f" ({money(diff.new_total - diff.old_total, lang)})",
        "",
        _("Households"),
    ]
    for h in diff.households:
        parts = [f"{_(k)}: {a or '-'} -> {b or '-'}" for k, (a, b) in h.changes.items()]
        flag = f" [{_('promise broken')}: {', '.join(_(w) for w in h.broken)}]" if h.broken else ""
        lines.append(f"  {h.household} ({h.stage}): {'; '.join(parts)}{flag}")
    lines += ["", _("Letters to send")]
    for letter in diff.letters:
        what = _("notice letter") if letter.kind == "notice" else _("return letter")
        text = f"  {letter.household}: {what}, {_('by')} {day(letter.due, lang)}"
        if letter.correction:
            text += f" ({_('replaces the letter sent')})"
        if letter.legal_latest is not None:
            text += f"; {_('legal notice period met if sent by')} {day(letter.legal_latest, lang)}"
        if letter.overdue:
            text += f"; {_('overdue: send at once')}"
        if not letter.legal_met:
            text += f"; {_('the legal notice period can no longer be met')}"
        lines.append(text)
    if diff.leases:
        lines += ["", _("Time-limited leases cut short")]
        lines += [f"  {x.place}: {day(x.start, lang)} - {day(x.end, lang)}" for x in diff.leases]
    lines += ["", _("Cost by category")]
    for c in diff.costs:
        lines.append(
            f"  {category_label(c.category, lang)}: {money(c.old, lang)} -> "
            f"{money(c.new, lang)} ({money(c.delta, lang)})"
        )
    return "\n".join(lines) + "\n"
