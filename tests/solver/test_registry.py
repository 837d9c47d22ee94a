"""The rule registry is complete: every rule writes every piece, owns its switches and data, and has its own
hand-computed case (issue 11). Forgetting a piece must fail here, not quietly slow the solver down."""

from __future__ import annotations

import inspect
from dataclasses import fields

import numpy as np
import pytest

from solver import ProblemData, Switches
from solver.model import build_model
from solver.rules import RULE_BY_NAME, RULES
from solver.rules.base import Rule

from . import test_families
from .helpers import tiny

PIECES = ("add", "lp", "hint", "check", "precheck", "admits")
# Shape and labels, never part of a shared instance.
NOT_DATA = {"n_zones", "zone_names", "provider_names", "hub_names", "band_names"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_writes_every_piece_itself(rule: Rule):
    own = type(rule).__dict__
    missing = [piece for piece in PIECES if piece not in own]
    assert not missing, f"{rule.name} lacks {missing}: write each piece in the rule, saying why if empty"
    assert rule.name and rule.name == type(rule).__module__.rsplit(".", 1)[-1], "one module per rule"
    assert (type(rule).__doc__ or inspect.getmodule(rule).__doc__), f"{rule.name}: say what the rule asks"


def test_rule_names_are_unique():
    assert len(RULE_BY_NAME) == len(RULES)


def test_every_switch_and_every_array_has_exactly_one_rule():
    owners: dict[str, list[str]] = {}
    for rule in RULES:
        for name in (*rule.params, *rule.data):
            owners.setdefault(name, []).append(rule.name)
    switches = {f.name for f in fields(Switches)}
    arrays = {f.name for f in fields(ProblemData)} - NOT_DATA
    assert {n for n, o in owners.items() if len(o) > 1} == set()
    assert switches - owners.keys() == set(), "a Switches field no rule owns"
    assert arrays - owners.keys() == set(), "a ProblemData field no rule owns (the JSON would drop it)"
    assert owners.keys() - switches - arrays == set(), "a rule names a field that does not exist"


def test_every_rule_has_its_own_hand_computed_case():
    covered = {name for _, test in inspect.getmembers(test_families, inspect.isfunction)
               for name in getattr(test, "covers", ())}
    assert {rule.name for rule in RULES} - covered == set()


def test_every_rule_that_can_conflict_has_words_and_its_own_switch_in_diagnosis():
    """A diagnostic model guards each hard rule by one enforcement literal named after the rule."""
    d = tiny([10, 10], [100, 100], [20, 30], {(i, p): 0 for i in range(2) for p in range(2)},
             client_current_provider=[1, 1], client_pinned_provider=[-1, 1], provider_min_viable_hours=[0, 5],
             provider_max_weekly_hours=[30, np.inf], pool_weekly_hours=[5], pool_members=[[True, True]],
             pool_zones=[[True]])
    scenario = Switches(max_providers_per_zone=1, max_moves=1, min_viable=True,
                              allow_provider_exit=False, max_loss_fraction=0.5, protect=(1,))
    am = build_model(d, scenario, diagnostic=True)
    assert set(am.enforce) <= set(RULE_BY_NAME)
    for name in am.enforce:
        assert RULE_BY_NAME[name].words, f"{name} can conflict: say in words what it asks"


def test_workforce_rules_stay_out_of_a_placement_without_the_workforce():
    """Regression (issue 14 review): band_hours and drivers took part in the greedy placement with the
    workforce switched off and read hub state nobody had set up (AttributeError: 'pair_hub')."""
    from solver import Switches
    from solver.generate import random_instance
    from solver.placement import Placement

    data = random_instance(30, seed=1)
    placement = Placement(data, Switches(workforce=False, allow_unmet=True))
    assert not {"hub_hours", "band_hours", "drivers"} & {rule.name for rule in placement.rules}
    assert placement.admits(0, int(data.client_pair_start[0]))
