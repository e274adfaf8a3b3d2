"""The fast paths of the model build give what the plain ones would.

:mod:`allocator.cpsat.instance` asks the rules once per dwelling type and class
need (not per household), and :class:`allocator.cpsat.model.RehousingModel`
writes its objective straight into the proto and leaves out flow bounds
that can never bind. These tests hold them to the plain definitions.
"""

from __future__ import annotations

import dataclasses

import pytest
from ortools.sat.python import cp_model

from allocator import rules
from allocator.cpsat.instance import build_instance, signature_of
from allocator.cpsat.model import RehousingModel
from allocator.generate import generate


@pytest.mark.parametrize("size", ["S", "example"])
def test_place_fits_is_place_problems_empty(size: str) -> None:
    scenario = generate(size, 1)
    places: list[rules.Place] = [*scenario.dwellings[::7], *scenario.pavilions]
    for h in scenario.households[::3]:
        for place in places:
            for permanent in (False, True):
                problems = rules.place_problems(scenario, h, place, permanent=permanent)
                fits = rules.place_fits(scenario, h, place, permanent=permanent)
                assert fits == (not problems), (h.id, place.id, permanent, problems)


def test_households_of_equal_needs_fit_the_same_places() -> None:
    """Soft wishes (preferred sources, rooms_min) never decide a fit."""
    scenario = generate("example", 2)
    needs: dict[object, list[str]] = {}
    for h in scenario.households:
        sig = signature_of(scenario, h)
        needs.setdefault(
            dataclasses.replace(sig, preferred=frozenset(), rooms_min=None), []
        ).append(h.id)
    groups = [ids for ids in needs.values() if len(ids) > 1]
    assert groups
    by_id = {h.id: h for h in scenario.households}
    for ids in groups:
        for d in scenario.dwellings[::5]:
            for permanent in (False, True):
                answers = {
                    rules.place_fits(scenario, by_id[i], d, permanent=permanent) for i in ids
                }
                assert len(answers) == 1, (ids, d.id, permanent)


@pytest.mark.parametrize("size", ["S", "M"])
def test_the_objective_is_what_minimize_would_write(size: str) -> None:
    model = RehousingModel(build_instance(generate(size, 0)))
    reference = cp_model.CpModel()
    reference.proto.copy_from(model.model.proto)
    reference.minimize(
        cp_model.LinearExpr.weighted_sum(model._cost_vars, model._costs)
        + model.instance.constant_cost
    )
    assert str(reference.proto.objective) == str(model.model.proto.objective)


def test_units_of_a_type_share_nodes_but_not_node_lists() -> None:
    inst = build_instance(generate("S", 0))
    lists = [id(unit.nodes) for unit in inst.units]
    assert len(set(lists)) == len(lists)
    for unit in inst.units:
        assert all(i < j for i, j in unit.arcs)
        assert all(0 <= j < len(unit.nodes) for _, j in unit.arcs)


def test_one_rule_can_be_built_alone() -> None:
    # as the CP-SAT primer's test-first examples do: a model of R8's
    # one-outcome rows alone, and a model without R10's spare rows
    from allocator.cpsat.instance import build_instance
    from allocator.cpsat.model import RehousingModel
    from tests.tiny import tiny

    inst = build_instance(tiny())
    alone = RehousingModel(inst, rules=["r8_one_outcome_per_household"])
    assert list(alone.rule_rows) == ["r8_one_outcome_per_household"]
    # one exactly-one row per household and nothing else
    assert len(alone.model.proto.constraints) == len(inst.households)
    full = RehousingModel(inst)
    without_r10 = RehousingModel(
        inst, rules=[r for r in RehousingModel.RULES if r != "r10_overcapacity"]
    )
    assert (
        len(full.model.proto.constraints) - len(without_r10.model.proto.constraints)
        == len(full.rule_rows["r10_overcapacity"])
        > 0
    )
    with pytest.raises(ValueError, match="no such rule methods"):
        RehousingModel(inst, rules=["r99"])
