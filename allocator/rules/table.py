"""The rules R1 to R16 of the domain (``../shared/DOMAIN.md``) as data.

One :class:`Rule` per rule: its id, an English title, the Danish term of
the guide, how genhus applies it, the parts of genhus that apply it and
the plan checker's functions that verify it. Parts and checks are dotted
names (``module.function`` or ``module.Class.method``); the tests resolve
every one of them (``tests/test_rule_table.py``), and find the tests that
show each rule holding and broken by their ``@pytest.mark.rule`` marks.

This module imports nothing of genhus, so that anything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The id of a rule of the domain.
RuleId = Literal[
    "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8",
    "R9", "R10", "R11", "R12", "R13", "R14", "R15", "R16",
]  # fmt: skip

#: How genhus applies a rule:
#:
#: - ``constraint``: constraints of the CP-SAT model (and the structure of its networks);
#: - ``filter``: decides, before the model is built, which places fit which households;
#: - ``date``: dates computed from the stage dates and written into the plan;
#: - ``price``: costs in the objective, recomputed by the checker;
#: - ``figure``: a figure the plan reports (a KPI), recomputed by the checker;
#: - ``decided``: decided by the rule alone before the model is built (the
#:   model takes it as given, so no cost can change it).
Reading = Literal["constraint", "filter", "date", "price", "figure", "decided"]

_CHECK = "allocator.plan.check."
_MODEL = "allocator.cpsat.model.RehousingModel."
_INSTANCE = "allocator.cpsat.instance."
_RULES = "allocator.rules."

#: The fit filter of R5, R6, R7 and R15: the rule predicates and where the
#: instance applies them to dwelling types and pavilion types.
_FIT = (
    "allocator.rules.fit._place_problems",
    _RULES + "place_fits",
    _RULES + "need_key",
    _RULES + "place_key",
    _INSTANCE + "_build_units",
    _INSTANCE + "_build_pavilions",
)


@dataclass(frozen=True)
class Rule:
    """One rule of the domain and where genhus applies and verifies it.

    Attributes
    ----------
    id
        ``"R1"`` to ``"R16"``.
    title
        The rule's English title in ``DOMAIN.md``.
    danish
        The Danish term of the guide.
    reading
        How genhus applies it (:data:`Reading`).
    parts
        Dotted names of the functions and methods that apply it: model
        constraints, the fit filter, date and price functions, or for a
        reported figure the function that computes it.
    checks
        Dotted names of the functions of :mod:`allocator.plan.check` that
        verify it.

    """

    id: RuleId
    title: str
    danish: str
    reading: Reading
    parts: tuple[str, ...]
    checks: tuple[str, ...]


#: The rules in order, one entry each.
RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "Displacement window",
        "genhusningsperiode (fraflytning og tilbageflytning)",
        "constraint",
        (
            _RULES + "move_out_day",
            _RULES + "back_day",
            _RULES + "ready_day",
            "allocator.rules.schedule.schedule",
            "allocator.rules.Schedule.block",
            _INSTANCE + "build_instance",
            _MODEL + "r1_every_stay_housed",
        ),
        (_CHECK + "check_r1_window", _CHECK + "check_r1_r13_moving_days"),
    ),
    Rule(
        "R2",
        "Turnaround",
        "syn og klargøring mellem to lejere",
        "constraint",
        (
            _MODEL + "unit_paths",
            _INSTANCE + "_link",
            _INSTANCE + "_chains",
            _RULES + "first_use_after_lease",
        ),
        (
            _CHECK + "check_r2_r11_dwelling_timelines",
            _CHECK + "check_r12_pavilions",
            _CHECK + "_check_turnaround",
        ),
    ),
    Rule(
        "R3",
        "Notice",
        "formel opsigelse",
        "date",
        (
            _RULES + "notice_date",
            _RULES + "legal_notice_date",
            _RULES + "stage_notice_date",
            _RULES + "notice_warnings",
            _RULES + "working_days",
        ),
        (_CHECK + "check_r3_r4_letters",),
    ),
    Rule(
        "R4",
        "Other deadlines",
        "tilbageflytningsbrev og øvrige frister",
        "date",
        (
            _RULES + "return_letter_date",
            _RULES + "interview_date",
            _RULES + "reminder_date",
            _RULES + "notice_warnings",
            "allocator.report.activities.activity_plan",
        ),
        (_CHECK + "check_r3_r4_letters",),
    ),
    Rule(
        "R5",
        "Occupancy",
        "boligstørrelse (personer pr. rum)",
        "filter",
        (*_FIT, _RULES + "penalty_ore"),
        (_CHECK + "check_r5_r6_r7_r15_places",),
    ),
    Rule(
        "R6",
        "Accessibility",
        "tilgængelighed",
        "filter",
        _FIT,
        (_CHECK + "check_r5_r6_r7_r15_places",),
    ),
    Rule(
        "R7",
        "Sources",
        "genhusningsboliger: egen afdeling, eget selskab, samarbejdspartnere, pavilloner",
        "filter",
        (*_FIT, _RULES + "penalty_ore"),
        (_CHECK + "check_r5_r6_r7_r15_places",),
    ),
    Rule(
        "R8",
        "Agreement",
        "genhusningsaftale (aftalegrundlag)",
        "constraint",
        (
            _RULES + "outcomes_of",
            _RULES + "takes_part",
            _RULES + "may_move_for_good",
            _RULES + "outcome_penalty_ore",
            _INSTANCE + "build_instance",
            _MODEL + "r8_one_outcome_per_household",
            _MODEL + "r8_permanent_movers_housed",
            "allocator.rules.fit._place_problems",
        ),
        (
            _CHECK + "check_r8_agreement",
            _CHECK + "check_r5_r6_r7_r15_places",
            _CHECK + "_check_coverage",
        ),
    ),
    Rule(
        "R9",
        "Seniority",
        "bo-anciennitet",
        "decided",
        (
            _RULES + "seniority_allocation",
            _RULES + "priority_key",
            "allocator.rules.seniority.access_tier",
            _RULES + "seniority_key",
            _RULES + "after_eligible",
            _RULES + "wanted_after",
            _RULES + "justified_envy",
            _RULES + "outcomes_of",
        ),
        (_CHECK + "check_r9_seniority", _CHECK + "check_r8_agreement"),
    ),
    Rule(
        "R10",
        "Overcapacity",
        "overkapacitet",
        "constraint",
        (
            _MODEL + "r10_overcapacity",
            _MODEL + "r10_rounding_cuts",
            _RULES + "spares_required",
            _RULES + "group_spares_required",
            _RULES + "need_group",
            "allocator.rules.Schedule.offer_period",
            _INSTANCE + "_free_for_offers",
        ),
        (_CHECK + "check_r10_overcapacity", _CHECK + "offer_periods"),
    ),
    Rule(
        "R11",
        "Collection and vacancy",
        "indsamling af boliger, tomgang og tidsbegrænset udlejning",
        "constraint",
        (
            _RULES + "availabilities",
            _MODEL + "unit_paths",
            _INSTANCE + "_link",
            _RULES + "first_use_after_lease",
            _RULES + "lease_span",
        ),
        (_CHECK + "check_r2_r11_dwelling_timelines",),
    ),
    Rule(
        "R12",
        "Pavilions",
        "pavilloner",
        "constraint",
        (
            _MODEL + "r12_pavilion_fleet",
            _INSTANCE + "_build_pavilions",
            _INSTANCE + "_chains",
            _RULES + "pavilion_rental_ore",
            _RULES + "pavilion_rental_days",
        ),
        (_CHECK + "check_r12_pavilions",),
    ),
    Rule(
        "R13",
        "Moves",
        "flytteomkostninger (flyttefirma eller flyttegodtgørelse)",
        "price",
        (
            _RULES + "move_cost_ore",
            _RULES + "outcome_cost_ore",
            "allocator.rules.schedule.schedule",
            _RULES + "department",
        ),
        (_CHECK + "check_prices", _CHECK + "check_r1_r13_moving_days"),
    ),
    Rule(
        "R14",
        "Rent",
        "huslejetab",
        "price",
        (
            _RULES + "daily_ore",
            _RULES + "outcome_cost_ore",
            _RULES + "stay_compensation_ore",
            _RULES + "lease_ore",
            _INSTANCE + "build_instance",
            _INSTANCE + "_link",
            _MODEL + "unit_paths",
        ),
        (_CHECK + "check_prices",),
    ),
    Rule(
        "R15",
        "Municipal referral",
        "kommunal anvisning",
        "filter",
        (*_FIT, _RULES + "availabilities"),
        (_CHECK + "check_r5_r6_r7_r15_places", _CHECK + "check_r2_r11_dwelling_timelines"),
    ),
    Rule(
        "R16",
        "Waiting list",
        "forlængede ventetider (venteliste)",
        "figure",
        ("allocator.plan.pricing._kpis",),
        (_CHECK + "check_prices",),
    ),
)

#: The rules by id.
BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
