"""Scenario helpers that what-if studies rely on."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from datetime import timedelta

import pydantic
import pytest

from allocator.rules import notice_warnings
from models.scenario import Scenario, StayRent
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


def test_lookups_find_by_id_and_raise_as_before() -> None:
    base = tiny()
    for d in base.dwellings:
        assert base.dwelling(d.id) is d
    for h in base.households:
        assert base.household(h.id) is h
        stage = base.stage_of(h)
        assert stage.id == base.dwelling(h.dwelling).stage and stage in base.stages
    for a in base.after_dwellings:
        assert base.after_dwelling(a.id) is a
    for lookup in (base.dwelling, base.household, base.after_dwelling):
        with pytest.raises(KeyError):
            lookup("nowhere")
    first = base.households[0]
    with pytest.raises(KeyError):  # an unknown dwelling
        base.stage_of(first.model_copy(update={"dwelling": "nowhere"}))
    outside = next(d for d in base.dwellings if d.stage is None)
    with pytest.raises(StopIteration):  # a dwelling in no stage
        base.stage_of(first.model_copy(update={"dwelling": outside.id}))


@pytest.mark.parametrize(
    "clone",
    [
        lambda s: pickle.loads(pickle.dumps(s)),
        copy.copy,
        copy.deepcopy,
        lambda s: s.model_copy(),
        lambda s: s.model_copy(deep=True),
        lambda s: Scenario.model_validate(s.model_dump()),
        lambda s: Scenario.model_construct(**{k: getattr(s, k) for k in Scenario.model_fields}),
    ],
)
def test_copies_look_up_their_own_items(clone: Callable[[Scenario], Scenario]) -> None:
    base = tiny()
    other = clone(base)
    assert other == base
    for h in other.households:
        assert other.household(h.id) is h
        assert other.dwelling(h.dwelling) in other.dwellings
        assert any(other.stage_of(h) is s for s in other.stages)


def test_model_copy_validates_nested_models_again() -> None:
    # a policy copied without validation carries a plain string where an enum
    # belongs; the scenario's copy validates it again, so the rules see the enum
    base = tiny()
    loose = base.policy.model_copy(update={"stay_rent": "lower_of_two"})
    variant = base.model_copy(update={"policy": loose})
    assert variant.policy.stay_rent is StayRent.LOWER_OF_TWO
