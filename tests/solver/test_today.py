"""A run never ends worse than today's allocation when the variant's rules allow it (solver.today)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from solver import SolveParams, Switches, objective_terms, solve, validate_choice
from solver.today import today_choice, today_start

from .helpers import tiny
from .test_solve import small_problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_never_above_todays_allocation_when_it_is_allowed(problem):
    data, sc = problem
    today = today_choice(data)
    r = solve(data, sc, SolveParams(time_limit_s=10, workers=2))
    if validate_choice(data, sc, today):
        return
    assert r.is_feasible(), r.summary()
    assert r.objective <= sum(objective_terms(data, sc, today).values()) + 0.01 * (data.n_clients + 2)


def test_today_stage_says_what_today_breaks_and_repairs_it():
    # p0 has 15 staff h; today both 10 h clients are with p0 (20 h): capacity broken. The repair keeps the
    # larger... both are 10 h: client 0 stays with p0 (£200), client 1 moves to p1 (£300).
    travel = {(i, p): 0 for i in range(2) for p in range(2)}
    d = tiny([10, 10], [15, 100], [20, 30], travel, client_current_provider=[0, 0])
    start, stage = today_start(d, Switches(allow_unmet=True))
    assert stage["today_allowed"] is False and stage["today_broken_count"] == 1
    assert stage["today_broken"][0].startswith("capacity")
    assert start is not None and stage["repaired"] is True
    assert d.pair_provider[start].tolist() == [0, 1]
    assert stage["objective_gbp"] == pytest.approx(500.0)
    # Allowed today (p0 with room): today itself is the start.
    d2 = tiny([10, 10], [25, 100], [20, 30], travel, client_current_provider=[0, 0])
    start2, stage2 = today_start(d2, Switches(allow_unmet=True))
    assert stage2["today_allowed"] is True and stage2["today_broken"] == []
    assert np.array_equal(d2.pair_provider[start2], [0, 0])
