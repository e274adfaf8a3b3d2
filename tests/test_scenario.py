"""Scenario helpers that what-if studies rely on."""

from __future__ import annotations

from datetime import timedelta

import pydantic
import pytest

from allocator.rules import notice_warnings
from models.scenario import Scenario
from tests.tiny import tiny


def test_model_copy_rebuilds_lookups_and_validates() -> None:
    base = tiny()
    first = base.households[0]
    renamed = first.model_copy(update={"adults": first.adults + 1})
    variant = base.model_copy(update={"households": [renamed, *base.households[1:]]})
    assert isinstance(variant, Scenario)
    assert variant.household(first.id).adults == first.adults + 1
    assert base.household(first.id).adults == first.adults  # the base is untouched


def test_model_copy_rejects_an_invalid_update() -> None:
    base = tiny()
    with pytest.raises(pydantic.ValidationError, match="unknown dwelling"):
        bad = base.households[0].model_copy(update={"dwelling": "nowhere"})
        base.model_copy(update={"households": [bad, *base.households[1:]]})


def test_a_stage_whose_move_out_day_has_passed_is_reported() -> None:
    base = tiny()
    stage = base.stages[0]
    # ten days before the works: the 30-day clearing deadline has passed
    late = base.policy.model_copy(update={"planning_date": stage.start - timedelta(days=10)})
    variant = base.model_copy(update={"policy": late})
    assert any(f"stage {stage.id}: its move-out day" in w for w in notice_warnings(variant))
    assert not any("move-out day" in w for w in notice_warnings(base))
