"""The rules R1 to R16 as plain functions on scenario data.

These are the definitions that the CP-SAT model, the heuristics, the
pricing and the plan checker share; nothing here knows about CP-SAT. One
module per subject:

- :mod:`~allocator.rules.money`: øre, daily rent, months;
- :mod:`~allocator.rules.calendar`: working days, letter and deadline dates (R3, R4);
- :mod:`~allocator.rules.fit`: who may live where and the keys that decide it
  (R5, R6, R7, R8, R15), need groups (R10);
- :mod:`~allocator.rules.seniority`: after-renovation dwellings by seniority (R9);
- :mod:`~allocator.rules.schedule`: outcomes and moving days (R1, R8, R13);
- :mod:`~allocator.rules.availability`: when a dwelling can be used (R11, R15);
- :mod:`~allocator.rules.prices`: every price (R10-R14, soft wishes);
- :mod:`~allocator.rules.warnings`: what a scenario cannot meet (R3, R4).

Everything is re-exported here, so ``rules.daily_ore`` and the like work.
"""

from allocator.rules.availability import Availability, availabilities
from allocator.rules.calendar import (
    WorkingDays,
    interview_date,
    legal_notice_date,
    notice_date,
    reminder_date,
    return_letter_date,
    working_days,
)
from allocator.rules.fit import (
    Place,
    access_of,
    min_rooms,
    need_group,
    need_key,
    place_fits,
    place_key,
    place_problems,
    place_source,
)
from allocator.rules.money import FOREVER, daily_ore, months_of, months_to_days, ore
from allocator.rules.prices import (
    Prices,
    consultant_ore,
    deposit_ore,
    first_use_after_lease,
    group_spares_required,
    lease_ore,
    lease_span,
    move_cost_ore,
    outcome_cost_ore,
    outcome_penalty_ore,
    overcapacity_pct,
    pavilion_rental_days,
    pavilion_rental_ore,
    penalty_ore,
    required_pool,
    spares_required,
    stay_compensation_ore,
    tenant_stay_rent,
)
from allocator.rules.schedule import (
    MOVES,
    STAYS,
    Outcome,
    Schedule,
    Unschedulable,
    back_day,
    department,
    may_move_for_good,
    move_out_day,
    natural_key,
    outcomes_of,
    ready_day,
    schedule,
    stage_by_id,
)
from allocator.rules.seniority import (
    after_eligible,
    justified_envy,
    priority_key,
    seniority_allocation,
    seniority_key,
    takes_part,
    wanted_after,
)
from allocator.rules.warnings import (
    notice_warnings,
    stage_legal_notice_date,
    stage_notice_date,
    warnings_in,
    wish_warnings,
)

__all__ = [
    "FOREVER",
    "MOVES",
    "STAYS",
    "Availability",
    "Outcome",
    "Place",
    "Prices",
    "Schedule",
    "Unschedulable",
    "WorkingDays",
    "access_of",
    "after_eligible",
    "availabilities",
    "back_day",
    "consultant_ore",
    "daily_ore",
    "department",
    "deposit_ore",
    "first_use_after_lease",
    "group_spares_required",
    "interview_date",
    "justified_envy",
    "lease_ore",
    "lease_span",
    "legal_notice_date",
    "may_move_for_good",
    "min_rooms",
    "months_of",
    "months_to_days",
    "move_cost_ore",
    "move_out_day",
    "natural_key",
    "need_group",
    "need_key",
    "notice_date",
    "notice_warnings",
    "ore",
    "outcome_cost_ore",
    "outcome_penalty_ore",
    "outcomes_of",
    "overcapacity_pct",
    "pavilion_rental_days",
    "pavilion_rental_ore",
    "penalty_ore",
    "place_fits",
    "place_key",
    "place_problems",
    "place_source",
    "priority_key",
    "ready_day",
    "reminder_date",
    "required_pool",
    "return_letter_date",
    "schedule",
    "seniority_allocation",
    "seniority_key",
    "spares_required",
    "stage_by_id",
    "stage_legal_notice_date",
    "stage_notice_date",
    "stay_compensation_ore",
    "takes_part",
    "tenant_stay_rent",
    "wanted_after",
    "warnings_in",
    "wish_warnings",
    "working_days",
]
