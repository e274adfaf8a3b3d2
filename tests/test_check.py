"""The plan checker: hand-made valid plans pass, and each kind of fault is reported.

Every broken variant below starts from a valid hand-made plan of
``tests/tiny.py``, breaks one thing, and asserts that the checker names
that fault: one violation of the expected rule (or structural kind) and
subject whose text starts as expected. A variant of a rule R1-R16 is marked
``@pytest.mark.rule(rule, "violated")`` (see ``tests/test_rule_table.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from allocator.plan.check import Structural, Violation, check_plan
from allocator.plan.pricing import UnpriceablePlan, build_plan
from allocator.rules.table import RuleId
from models.plan import CostCategory, HouseholdPlan, Mode, PlaceTimeline, Plan, Segment
from models.scenario import Scenario, Source
from tests.tiny import (
    BACK_S1,
    OFFER_S1,
    OUT_S1,
    after_dwelling,
    changed,
    direct,
    permanent,
    scenario,
    seg,
    temporary,
    timeline,
    tiny,
    tiny_data,
    tiny_parts,
    tiny_plan,
    two_stage,
    two_stage_data,
    two_stage_parts,
    two_stage_plan,
)

# -- valid plans --------------------------------------------------------------------


def test_valid_tiny_plan_passes_with_its_exact_objective() -> None:
    scn = tiny()
    # 17,376,000 øre budget + 500,000 øre penalties (worked out in test_cost.py)
    report = check_plan(scn, tiny_plan(scn), objective=178_760.00)
    assert report.violations == []
    assert report.ok
    assert report.pricing is not None
    assert report.pricing.objective_ore == 17_876_000


def test_valid_two_stage_plan_passes() -> None:
    scn = two_stage()
    report = check_plan(scn, two_stage_plan(scn), objective=104_260.00)
    assert report.violations == []


# -- helpers to break a plan ----------------------------------------------------------


def with_household(hps: list[HouseholdPlan], hid: str, **changes: Any) -> list[HouseholdPlan]:
    """``hps`` with household ``hid``'s plan changed (unvalidated, as a buggy solver might)."""
    return [hp.model_copy(update=changes) if hp.household == hid else hp for hp in hps]


def with_place(places: list[PlaceTimeline], pid: str, **changes: Any) -> list[PlaceTimeline]:
    """``places`` with the timeline of ``pid`` changed."""
    return [t.model_copy(update=changes) if t.place == pid else t for t in places]


def assemble(
    scn: Scenario, hps: list[HouseholdPlan], places: list[PlaceTimeline], base: Plan
) -> Plan:
    """A plan of ``hps`` and ``places``, priced afresh if it can be, else with ``base``'s figures.

    Repricing keeps price mismatches out of the report, so it shows the one
    fault a variant is about (plus its direct consequences).
    """
    try:
        return build_plan(scn, hps, places)
    except UnpriceablePlan:
        return base.model_copy(update={"households": hps, "places": places})


Variant = Callable[[], tuple[Scenario, Plan]]
BROKEN: list[Any] = []


def broken(
    rule: RuleId | Structural, subject: str, text: str, *, shows: RuleId | None = None
) -> Callable[[Variant], Variant]:
    """Register a broken variant whose report must name ``rule`` and ``subject``.

    One violation must have that rule and subject and a text starting with
    ``text``. The variant shows its rule violated and caught, or for a
    structural kind the rule ``shows`` (a mis-stated price or figure).
    """

    def register(variant: Variant) -> Variant:
        shown = shows if rule in ("plan", "prices") else rule
        marks = [pytest.mark.rule(shown, "violated")] if shown else []
        BROKEN.append(pytest.param(variant, rule, subject, text, id=variant.__name__, marks=marks))
        return variant

    return register


def tiny_variant(
    change_households: Callable[[Scenario, list[HouseholdPlan]], list[HouseholdPlan]] | None = None,
    change_places: Callable[[Scenario, list[PlaceTimeline]], list[PlaceTimeline]] | None = None,
    scn: Scenario | None = None,
) -> tuple[Scenario, Plan]:
    """The tiny plan (for ``scn``, default :func:`tiny`) with its parts changed."""
    scn = scn or tiny()
    hps, places = tiny_parts(scn)
    if change_households:
        hps = change_households(scn, hps)
    if change_places:
        places = change_places(scn, places)
    return scn, assemble(scn, hps, places, tiny_plan(scn))


def two_stage_variant(
    change_households: Callable[[Scenario, list[HouseholdPlan]], list[HouseholdPlan]],
    scn: Scenario | None = None,
) -> tuple[Scenario, Plan]:
    """The two-stage plan with its household plans changed."""
    scn = scn or two_stage()
    hps, places = two_stage_parts(scn)
    return scn, assemble(scn, change_households(scn, hps), places, two_stage_plan(scn))


def o1_segments(scn: Scenario, *segments: Segment) -> Callable[..., list[PlaceTimeline]]:
    """A place change giving O1 these segments (released at the last one's end)."""

    def change(_: Scenario, places: list[PlaceTimeline]) -> list[PlaceTimeline]:
        return with_place(places, "O1", segments=list(segments), released=segments[-1].end)

    return change


def h1_stay(scn: Scenario) -> Segment:
    return seg(scn, "occupied", OUT_S1, BACK_S1, household="H1", stage="S1")


# -- households appear once, in their stage -------------------------------------------


@broken("plan", "household H2", "missing from the plan")
def missing_household() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: [hp for hp in hps if hp.household != "H2"])


@broken("plan", "household H1", "appears 2 times")
def duplicate_household() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: [*hps, hps[0]])


@broken("plan", "household H9", "is in the plan but not in the scenario")
def unknown_household() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: [*hps, hps[0].model_copy(update={"household": "H9"})])


@broken("plan", "household H1", "stage is S9, but its dwelling A1 is renovated in stage S1")
def wrong_stage() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", stage="S9"))


# -- R8 agreement -----------------------------------------------------------------------


@broken("R8", "household H1", "mode permanent is not allowed by its temporary agreement")
def mode_not_allowed() -> tuple[Scenario, Plan]:
    return tiny_variant(
        lambda scn, hps: with_household(
            hps,
            "H1",
            mode=Mode.PERMANENT,
            place=None,
            place_source=None,
            return_date=None,
            return_letter_date=None,
            permanent_dwelling="O1",
        )
    )


@broken("R8", "household H1", "its dwelling A1 is merged into an after-renovation dwelling")
def merged_home_without_after_dwelling() -> tuple[Scenario, Plan]:
    return tiny_variant(scn=tiny(after_dwellings=[after_dwelling("N1", replaces=["A1"])]))


# -- R1 window and mode contents --------------------------------------------------------


@broken("R1", "household H1", "moves out on 2025-05-05, but stage S1 must be cleared by 2025-05-02")
def move_out_after_the_deadline() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", move_out=scn.date_of(124)))


@broken("R13", "household H1", "moves out on 2025-04-26, not a working day")
def move_on_a_saturday() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", move_out=scn.date_of(115)))


@broken(
    "R13",
    "the department",
    "3 moves on 2025-05-02, more than the 2 its moving company can carry out",
)
def more_moves_a_day_than_the_capacity() -> tuple[Scenario, Plan]:
    # the plan of a capacity of 8 moves a day, checked against a capacity of 2
    scn = tiny(policy={"moves_per_day": 2})
    return scn, tiny_plan(tiny())


@broken("R1", "household H1", "temporary but has no place")
def temporary_without_place() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", place=None, place_source=None))


@broken(
    "R1", "household H1", "returns on 2025-09-12, but its dwelling A1 is ready only on 2025-09-15"
)
def return_before_ready() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", return_date=scn.date_of(254)))


@broken(
    "R1", "household H4", "after-renovation dwelling N2 is ready on 2025-09-15, by the move-out"
)
def temporary_although_after_dwelling_is_ready() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: [*hps[:2], temporary(scn, "H4", "O1", after="N2")])


@broken("R1", "household H4", "a direct mover needs an after-renovation dwelling")
def direct_without_after_dwelling() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: with_household(hps, "H4", after_dwelling=None))


@broken("R1", "household H1", "after-renovation dwelling N1 is ready only on 2025-09-15, after the")
def direct_before_after_dwelling_is_ready() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: [direct(scn, "H1", "N1"), *hps[1:]])


@broken("R1", "household H4", "a direct mover has no temporary place (O1)")
def direct_with_place() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: with_household(hps, "H4", place="O1"))


@broken("R1", "household H2", "a permanent mover needs a permanent dwelling")
def permanent_without_dwelling() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H2", permanent_dwelling=None))


@broken("R1", "household H2", "a permanent mover gets no after-renovation dwelling")
def permanent_with_after_dwelling() -> tuple[Scenario, Plan]:
    scn = tiny(after_dwellings=[after_dwelling("N1")])
    return tiny_variant(lambda scn, hps: with_household(hps, "H2", after_dwelling="N1"), scn=scn)


@broken("R1", "household H2", "a permanent mover has no return date or letter")
def permanent_with_return_date() -> tuple[Scenario, Plan]:
    return tiny_variant(
        lambda scn, hps: with_household(hps, "H2", return_date=scn.date_of(BACK_S1))
    )


@broken("R1", "household H1", "a temporary mover gets no permanent dwelling")
def temporary_with_permanent_dwelling() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", permanent_dwelling="O2"))


# -- R3, R4 letters ---------------------------------------------------------------------


@broken("R3", "household H1", "notice date 2025-03-01, expected 2025-01-31")
def notice_date_wrong() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", notice_date=scn.date_of(59)))


@broken("R4", "household H3", "return letter date None, expected 2025-08-15")
def return_letter_missing() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H3", return_letter_date=None))


# -- R5, R6, R7, R8, R15 places ---------------------------------------------------------


def tiny_changed(kind: str, id: str, **changes: Any) -> tuple[Scenario, Plan]:
    """The tiny plan for a scenario with one item changed."""
    return tiny_variant(scn=scenario(changed(tiny_data(), kind, id, **changes)))


@broken("R5", "household H1", "2 rooms for 5 persons (needs 3) (place O1)")
def r5_too_small() -> tuple[Scenario, Plan]:
    return tiny_changed("households", "H1", children=3)


@broken("R5", "household H3", "2 rooms, more than the wished 1 (place PT-1)")
def r5_too_large() -> tuple[Scenario, Plan]:
    return tiny_changed("households", "H3", rooms_max=1)


@broken("R6", "household H3", "not wheelchair accessible (place PT-1)")
def r6_wheelchair() -> tuple[Scenario, Plan]:
    return tiny_changed("households", "H3", wheelchair=True)


@broken("R6", "household H1", "not step-free (place O1)")
def r6_step_free() -> tuple[Scenario, Plan]:
    return tiny_changed("dwellings", "O1", floor=2)


@broken("R6", "household H1", "floor 1 above the household's maximum 0 (place O1)")
def r6_max_floor() -> tuple[Scenario, Plan]:
    data = changed(tiny_data(), "households", "H1", max_floor=0)
    return tiny_variant(scn=scenario(changed(data, "dwellings", "O1", floor=1, elevator=True)))


@broken("R7", "household H3", "source pavilion is excluded by the household's agreement")
def r7_excluded_source() -> tuple[Scenario, Plan]:
    return tiny_changed("households", "H3", excluded_sources=["pavilion"])


@broken("R7", "household H3", "source pavilion is not used for temporary stays")
def r7_temporary_sources() -> tuple[Scenario, Plan]:
    policy = {"temporary_sources": ["own_department", "own_organisation"]}
    return tiny_variant(scn=scenario(tiny_data(), policy=policy))


@broken("R7", "household H1", "in Odense, not in Aarhus (place O1)")
def r7_other_municipality() -> tuple[Scenario, Plan]:
    return tiny_changed("dwellings", "O1", municipality="Odense")


@broken("R15", "household H1", "reserved for municipal referral (place O1)")
def r15_municipal_referral() -> tuple[Scenario, Plan]:
    return tiny_changed("dwellings", "O1", municipal_referral=True)


@broken("R8", "household H2", "a permanent dwelling must be in the own organisation, not partner")
def r8_permanent_in_partner_dwelling() -> tuple[Scenario, Plan]:
    return tiny_changed("dwellings", "O2", source="partner")


@broken(
    "plan", "household H1", "place_source is partner, but place O1 is of source own_organisation"
)
def place_source_wrong() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", place_source=Source.PARTNER))


@broken(
    "plan", "household H1", "place Z9 is neither a dwelling of the scenario nor a pavilion module"
)
def unknown_place() -> tuple[Scenario, Plan]:
    return tiny_variant(lambda scn, hps: with_household(hps, "H1", place="Z9"))


# -- household plans and timelines agree ------------------------------------------------


@broken("plan", "household H1", "no occupied segment for it on any timeline")
def stay_not_on_timeline() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(
        scn,
        seg(scn, "time_limited", 0, 114),
        seg(scn, "held_empty", 114, OUT_S1),
        seg(scn, "spare", OUT_S1, stage="S1"),
    )
    return tiny_variant(change_places=o1, scn=scn)


@broken(
    "plan",
    "household H1",
    "its plan says place O1 [2025-05-02, 2025-09-15), but the timeline of O1",
)
def stay_dates_differ() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(
        scn,
        seg(scn, "time_limited", 0, 114),
        seg(scn, "held_empty", 114, OUT_S1),
        seg(scn, "occupied", OUT_S1, 250, household="H1", stage="S1"),
    )
    return tiny_variant(change_places=o1, scn=scn)


@broken("plan", "household H2", "no permanent segment for it on any timeline")
def permanent_move_not_on_timeline() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places, "O2", segments=[seg(scn, "spare", OUT_S1, stage="S1")]
        )
    )


@broken("plan", "place O3", "spare [2025-05-02, 2025-05-02) names household H1")
def household_on_spare_segment() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places,
            "O3",
            segments=[
                seg(scn, "held_empty", 90, OUT_S1),
                seg(scn, "spare", OUT_S1, household="H1", stage="S1"),
            ],
        )
    )


@broken(
    "plan", "place O3", "permanent [2025-05-02, 2025-05-02) names no household of the plan (H7)"
)
def segment_names_unknown_household() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places,
            "O3",
            segments=[
                seg(scn, "held_empty", 90, OUT_S1),
                seg(scn, "permanent", OUT_S1, household="H7", stage="S1"),
            ],
        )
    )


@broken(
    "plan",
    "place PT-1",
    "occupied [2025-05-02, 2025-09-15) of household H1 does not match its plan",
)
def segment_of_another_household() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places, "PT-1", segments=[h1_stay(scn).model_copy(update={"household": "H1"})]
        )
    )


@broken(
    "plan",
    "place O1",
    "occupied [2025-05-02, 2025-09-15): stage S9, but household H1 is in stage S1",
)
def segment_stage_wrong() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(
        scn,
        seg(scn, "time_limited", 0, 114),
        seg(scn, "held_empty", 114, OUT_S1),
        seg(scn, "occupied", OUT_S1, BACK_S1, household="H1", stage="S9"),
    )
    return tiny_variant(change_places=o1, scn=scn)


# -- dwelling timelines (R2, R11) -------------------------------------------------------


@broken("plan", "place X9", "not a dwelling of the scenario")
def timeline_of_unknown_dwelling() -> tuple[Scenario, Plan]:
    def add(scn: Scenario, places: list[PlaceTimeline]) -> list[PlaceTimeline]:
        spare = seg(scn, "spare", OUT_S1, stage="S1")
        return [*places, places[2].model_copy(update={"place": "X9", "segments": [spare]})]

    return tiny_variant(change_places=add)


@broken("plan", "place O1", "source partner, but the dwelling is own_organisation")
def timeline_source_wrong() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(places, "O1", source=Source.PARTNER)
    )


@broken("R11", "place O3", "collected from 2025-04-11, which is not the start of one of its")
def collected_not_at_availability_start() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places,
            "O3",
            collected_from=scn.date_of(100),
            segments=[seg(scn, "held_empty", 100, OUT_S1), seg(scn, "spare", OUT_S1, stage="S1")],
        )
    )


@broken("R11", "place A2", "available from 2025-09-15 only if household H2 moves out for good")
def home_used_although_household_returns() -> tuple[Scenario, Plan]:
    # H2 is undecided and returns (temporary in O2), yet its home A2 is used
    scn = scenario(changed(tiny_data(), "households", "H2", agreement="undecided"))

    def h2_returns(scn: Scenario, hps: list[HouseholdPlan]) -> list[HouseholdPlan]:
        return [hps[0], temporary(scn, "H2", "O2"), hps[2]]

    def places(scn: Scenario, places: list[PlaceTimeline]) -> list[PlaceTimeline]:
        o2 = timeline(scn, "O2", [seg(scn, "occupied", OUT_S1, BACK_S1, "H2", "S1")])
        a2 = timeline(scn, "A2", [seg(scn, "spare", BACK_S1, stage="S1")])
        return [places[0], o2, places[2], places[3], a2]

    return tiny_variant(h2_returns, places, scn=scn)


@broken("R11", "place O1", "used until 2025-09-15, after its availability ends on 2025-09-01")
def used_after_hand_back() -> tuple[Scenario, Plan]:
    return tiny_changed("dwellings", "O1", hand_back="2025-09-01")


@broken("plan", "place O1", "nothing planned for [2025-04-25, 2025-05-02)")
def gap_in_timeline() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(scn, seg(scn, "time_limited", 0, 114), h1_stay(scn))
    return tiny_variant(change_places=o1, scn=scn)


@broken("plan", "place O1", "held_empty [2025-04-21, 2025-05-02) overlaps what comes before")
def overlapping_segments() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(
        scn,
        seg(scn, "time_limited", 0, 114),
        seg(scn, "held_empty", 110, OUT_S1),
        h1_stay(scn),
    )
    return tiny_variant(change_places=o1, scn=scn)


@broken("plan", "place O3", "segments end on 2025-05-03, but released is 2025-05-06")
def released_after_last_segment() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(places, "O3", released=scn.date_of(125))
    )


@broken("plan", "place O3", "ends with a held_empty segment")
def trailing_gap() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places,
            "O3",
            segments=[*places[2].segments, seg(scn, "held_empty", OUT_S1, 130)],
            released=scn.date_of(130),
        )
    )


@broken("R2", "place O1", "3 days between a time-limited tenant (out 2025-04-29) and household H1")
def r2_turnaround_after_lease() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(
        scn,
        seg(scn, "time_limited", 0, 118),
        seg(scn, "held_empty", 118, OUT_S1),
        h1_stay(scn),
    )
    return tiny_variant(change_places=o1, scn=scn)


@broken("R11", "place O1", "time-limited lease of 24 days from 2025-01-01; the shortest is 90")
def short_time_limited_lease() -> tuple[Scenario, Plan]:
    scn = tiny()
    o1 = o1_segments(
        scn, seg(scn, "time_limited", 0, 24), seg(scn, "held_empty", 24, OUT_S1), h1_stay(scn)
    )
    return tiny_variant(change_places=o1, scn=scn)


@broken("R8", "place O2", "segments follow the permanent letting")
def use_after_permanent_letting() -> tuple[Scenario, Plan]:
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places, "O2", segments=[*places[1].segments, seg(scn, "spare", OUT_S1, stage="S1")]
        )
    )


@broken("plan", "place O3", "2 timelines in the availability interval from 2025-04-01")
def two_timelines_in_one_interval() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=lambda scn, places: [*places, places[2]])


def o3_spare(start: int, need: str | None) -> tuple[Scenario, Plan]:
    """The tiny plan with O3 held empty from day 90 and a spare of S1 from ``start``."""
    return tiny_variant(
        change_places=lambda scn, places: with_place(
            places,
            "O3",
            segments=[
                seg(scn, "held_empty", 90, start),
                seg(scn, "spare", start, OUT_S1 + 1, stage="S1", need=need),
            ],
        )
    )


@broken(
    "R10",
    "place O3",
    "spare [2025-04-06, 2025-05-03) of stage S1: not held over the stage's offer period "
    "[2025-04-02, 2025-05-03)",
)
def spare_not_over_the_offer_period() -> tuple[Scenario, Plan]:
    return o3_spare(95, "1/none")


@broken("R10", "place O3", "spare [2025-04-02, 2025-05-03) of stage S1: states no need group")
def spare_for_no_need_group() -> tuple[Scenario, Plan]:
    return o3_spare(OFFER_S1, None)


@broken(
    "R10",
    "place O3",
    "spare [2025-04-02, 2025-05-03) of stage S1: fits no displaced household of the stage "
    "needing 1 rooms, wheelchair",
)
def spare_for_a_need_no_displaced_household_has() -> tuple[Scenario, Plan]:
    return o3_spare(OFFER_S1, "1/wheelchair")


# -- pavilion modules (R12) ---------------------------------------------------------------


def module_change(**changes: Any) -> Callable[[Scenario, list[PlaceTimeline]], list[PlaceTimeline]]:
    """A place change applying ``changes`` (values may depend on the scenario) to PT-1."""

    def change(scn: Scenario, places: list[PlaceTimeline]) -> list[PlaceTimeline]:
        values = {k: v(scn) if callable(v) else v for k, v in changes.items()}
        return with_place(places, "PT-1", **values)

    return change


@broken("R12", "pavilion module PT-1", "unknown pavilion type PX")
def unknown_pavilion_type() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=module_change(pavilion_type="PX"))


@broken("R12", "pavilion type PT", "2 modules rented on 2025-04-02, more than the 1 available")
def too_many_modules() -> tuple[Scenario, Plan]:
    def add(scn: Scenario, places: list[PlaceTimeline]) -> list[PlaceTimeline]:
        spare = seg(scn, "spare", OFFER_S1, OUT_S1 + 1, stage="S1", need="1/none")
        return [*places, timeline(scn, "PT-2", [spare], pavilion_type="PT", released=274)]

    return tiny_variant(change_places=add)


@broken("R12", "pavilion module PT-1", "first use on 2025-05-02, before the lead time of 150 days")
def module_lead_time() -> tuple[Scenario, Plan]:
    return tiny_changed("pavilions", "PT", lead_days=150)


@broken("R12", "pavilion module PT-1", "released on 2025-09-15, before the end of its last stay or")
def module_released_before_minimum_rental() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=module_change(released=lambda scn: scn.date_of(BACK_S1)))


@broken("R12", "pavilion module PT-1", "released on 2025-11-17, later than its stays and minimum")
def module_released_later_than_needed() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=module_change(released=lambda scn: scn.date_of(320)))


@broken("R12", "pavilion module PT-1", "rented from 2025-04-11, after the offer period of stage S1")
def module_rented_after_the_offer_period_starts() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=module_change(collected_from=lambda scn: scn.date_of(100)))


@broken("R2", "place PT-1", "3 days between household H3 (out 2025-09-15) and household H1")
def module_turnaround() -> tuple[Scenario, Plan]:
    def stays(scn: Scenario) -> list[Segment]:
        h3 = seg(scn, "occupied", OUT_S1, BACK_S1, household="H3", stage="S1")
        return [h3, seg(scn, "occupied", 260, 300, household="H1", stage="S1")]

    return tiny_variant(change_places=module_change(segments=stays))


@broken("R12", "pavilion module PT-1", "held_empty [2025-04-11, 2025-05-02): a module only has")
def module_held_empty() -> tuple[Scenario, Plan]:
    def segments(scn: Scenario) -> list[Segment]:
        h3 = seg(scn, "occupied", OUT_S1, BACK_S1, household="H3", stage="S1")
        return [seg(scn, "held_empty", 100, OUT_S1), h3]

    return tiny_variant(change_places=module_change(segments=segments))


@broken("R12", "pavilion module PT-1", "spare [2025-05-02, 2025-05-02) is not after occupied")
def module_segments_out_of_order() -> tuple[Scenario, Plan]:
    def segments(scn: Scenario) -> list[Segment]:
        h3 = seg(scn, "occupied", OUT_S1, BACK_S1, household="H3", stage="S1")
        return [h3, seg(scn, "spare", OUT_S1, stage="S1")]

    return tiny_variant(change_places=module_change(segments=segments))


@broken("R12", "pavilion module PT-1", "has 2 timelines; a module has one")
def module_twice() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=lambda scn, places: [*places, places[3]])


# -- R9 seniority --------------------------------------------------------------------------


@broken("R9", "household H2", "got after-renovation dwelling N2, which it did not wish")
def after_dwelling_not_wished() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: [hps[0], temporary(scn, "H2", "O2", after="N2")])


@broken("R9", "household H4", "got after-renovation dwelling N2, for which it is not eligible")
def after_dwelling_not_eligible() -> tuple[Scenario, Plan]:
    data = changed(two_stage_data(), "households", "H4", adults=5)
    return two_stage_variant(lambda scn, hps: hps, scn=scenario(data))


@broken(
    "R9",
    "household H1",
    "got after-renovation dwelling N1, for which it is not eligible (size, its wished maximum",
)
def after_dwelling_above_the_wished_rooms() -> tuple[Scenario, Plan]:
    # H1 wants at most 1 room; N1 has 2 (R5's wished maximum bounds eligibility too)
    data = changed(two_stage_data(), "households", "H1", rooms_max=1)
    return two_stage_variant(lambda scn, hps: hps, scn=scenario(data))


@broken("R8", "household H2", "wishes after-renovation dwellings (N1), so it wants to stay, but is")
def a_household_with_wishes_moved_for_good() -> tuple[Scenario, Plan]:
    # H2 is undecided but wished N1: it wants to stay in the department (R8, R9)
    data = changed(two_stage_data(), "households", "H2", agreement="undecided")
    return two_stage_variant(
        lambda scn, hps: [hps[0], permanent(scn, "H2", "O2"), hps[2]], scn=scenario(data)
    )


@broken("R9", "after-renovation dwelling N1", "given to 2 households (H1, H2)")
def after_dwelling_given_twice() -> tuple[Scenario, Plan]:
    return two_stage_variant(
        lambda scn, hps: [hps[0], temporary(scn, "H2", "O2", after="N1"), hps[2]]
    )


@broken(
    "R9",
    "household H1",
    "wished N1 more than what it got (None) and is eligible, but N1 went to household H2, "
    "which comes after it by seniority and access needs (justified envy)",
)
def justified_envy() -> tuple[Scenario, Plan]:
    return two_stage_variant(
        lambda scn, hps: [
            temporary(scn, "H1", "O1"),
            temporary(scn, "H2", "O2", after="N1"),
            hps[2],
        ]
    )


@broken(
    "R9",
    "household H1",
    "wished N1 more than what it got (None) and is eligible, but N1 went to nobody (waste)",
)
def wasted_after_dwelling() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: [temporary(scn, "H1", "O1"), *hps[1:]])


@broken("R9", "household H1", "unknown after-renovation dwelling N9")
def unknown_after_dwelling() -> tuple[Scenario, Plan]:
    return two_stage_variant(lambda scn, hps: with_household(hps, "H1", after_dwelling="N9"))


# -- R10 overcapacity ------------------------------------------------------------------------


@broken("R10", "stage S1", "0 spare places for 2 displaced households; it needs 1")
def pool_too_small() -> tuple[Scenario, Plan]:
    return tiny_variant(change_places=lambda scn, places: [p for p in places if p.place != "O3"])


# -- stated figures --------------------------------------------------------------------------


def tampered(**changes: Any) -> tuple[Scenario, Plan]:
    scn = tiny()
    return scn, tiny_plan(scn).model_copy(update=changes)


@broken(
    "prices", "costs[S1].by_category.moving", "plan says 44000.01, recomputed 44000.0", shows="R13"
)
def stated_cost_wrong() -> tuple[Scenario, Plan]:
    plan = tiny_plan()
    row = plan.costs[0]
    moving = row.by_category[CostCategory.MOVING] + 0.01
    by_category = {**row.by_category, CostCategory.MOVING: moving}
    costs = [row.model_copy(update={"by_category": by_category}), *plan.costs[1:]]
    return tampered(costs=costs)


@broken("prices", "costs[total].total", "plan says 0.0, recomputed 173760.0")
def stated_total_wrong() -> tuple[Scenario, Plan]:
    plan = tiny_plan()
    return tampered(costs=[plan.costs[0], plan.costs[1].model_copy(update={"total": 0.0})])


@broken("prices", "costs", "stages ['S1'], expected ['S1', 'total']")
def stated_total_missing() -> tuple[Scenario, Plan]:
    return tampered(costs=tiny_plan().costs[:1])


@broken("prices", "penalties", "plan says 0.0, recomputed 5000.0")
def stated_penalties_wrong() -> tuple[Scenario, Plan]:
    return tampered(penalties=0.0)


@broken("prices", "kpis.vacancy_days", "plan says 39, recomputed 8")
def stated_kpi_wrong() -> tuple[Scenario, Plan]:
    return tampered(kpis=tiny_plan().kpis.model_copy(update={"vacancy_days": 39}))


@broken("prices", "kpis.moves", "plan says 4, recomputed 5", shows="R13")
def stated_moves_wrong() -> tuple[Scenario, Plan]:
    # H1 and H3 move out and back, H2 once: 5 moves, not 4
    return tampered(kpis=tiny_plan().kpis.model_copy(update={"moves": 4}))


@broken(
    "prices",
    "costs[S1].by_category.rent_loss_occupied",
    "plan says 0.0, recomputed 16320.0",
    shows="R14",
)
def stated_rent_loss_wrong() -> tuple[Scenario, Plan]:
    # O1 earns no rent while H1 lives there: 136 days at 120 DKK are lost
    plan = tiny_plan()
    row = plan.costs[0]
    by_category = {**row.by_category, CostCategory.RENT_LOSS_OCCUPIED: 0.0}
    return tampered(costs=[row.model_copy(update={"by_category": by_category}), *plan.costs[1:]])


@broken("prices", "kpis.withheld_days", "plan says 8, recomputed 175", shows="R16")
def stated_withheld_days_wrong() -> tuple[Scenario, Plan]:
    # the days O1 is lived in and O3 is held as a spare are withheld from the waiting
    # list too, not only the 8 held-empty days
    return tampered(kpis=tiny_plan().kpis.model_copy(update={"withheld_days": 8}))


@broken("prices", "kpis.stages[S1].pool", "plan says 4, recomputed 3")
def stated_stage_kpi_wrong() -> tuple[Scenario, Plan]:
    kpis = tiny_plan().kpis
    stages = [kpis.stages[0].model_copy(update={"pool": 4})]
    return tampered(kpis=kpis.model_copy(update={"stages": stages}))


@pytest.mark.parametrize(("make", "rule", "subject", "text"), BROKEN)
def test_broken_plan_is_reported(make: Variant, rule: str, subject: str, text: str) -> None:
    scn, plan = make()
    report = check_plan(scn, plan)
    assert not report.ok
    assert any(
        (v.rule, v.subject) == (rule, subject) and v.text.startswith(text)
        for v in report.violations
    ), report.messages


@pytest.mark.parametrize(
    ("released", "ok"), [(OUT_S1 + 1, True), (BACK_S1, True), (BACK_S1 + 1, False)]
)
def test_a_spare_module_may_stay_rented_across_its_stage_window(released: int, ok: bool) -> None:
    """PT-2 is S1's spare over its offer period; without a minimum rental it may be rented
    until its stays' block ends, back(S1), as a module housing a household would be."""
    data = changed(tiny_data(), "pavilions", "PT", min_months=0, max_count=2)
    scn = scenario(data)
    hps, places = tiny_parts(scn)
    module = places[3].model_copy(update={"released": scn.date_of(BACK_S1)})
    spare = seg(scn, "spare", OFFER_S1, OUT_S1 + 1, stage="S1", need="1/none")
    extra = timeline(scn, "PT-2", [spare], pavilion_type="PT", released=released)
    report = check_plan(scn, build_plan(scn, hps, [*places[:3], module, extra]))
    assert report.ok is ok, report.messages


def test_wrong_objective_is_reported() -> None:
    scn = tiny()
    report = check_plan(scn, tiny_plan(scn), objective=178_760.01)
    assert report.violations == [
        Violation(
            "prices", "objective", "stated 178760.01 DKK, but cost plus penalties is 178760.00 DKK"
        )
    ]
    assert report.messages == [
        "objective: stated 178760.01 DKK, but cost plus penalties is 178760.00 DKK"
    ]


def test_unpriceable_plan_is_reported_not_raised() -> None:
    scn, plan = unknown_place()
    report = check_plan(scn, plan)
    assert report.pricing is None
    assert any(
        (v.rule, v.subject) == ("plan", "")
        and v.text.startswith("the plan cannot be priced: unknown dwelling 'Z9'")
        for v in report.violations
    ), report.messages


def test_a_short_stay_is_caught_although_plan_and_timeline_agree() -> None:
    """Household plan, timeline and letter all say day 250; R1 demands back(S1) = 257."""
    scn = tiny()
    hps, places = tiny_parts(scn)
    short = scn.date_of(250)
    hps = with_household(hps, "H1", return_date=short, return_letter_date=None)
    o1 = [*places[0].segments[:2], places[0].segments[2].model_copy(update={"end": short})]
    places = with_place(places, "O1", segments=o1, released=short)
    report = check_plan(scn, build_plan(scn, hps, places))
    assert [v for v in report.violations if v.rule == "R1"] == [
        Violation(
            "R1",
            "household H1",
            "returns on 2025-09-08, but its dwelling A1 is ready only on 2025-09-15",
        )
    ]
