"""Component cuts (solver.component_cuts): the integrality of small, nearly separate parts of an allocation
in the LP's bound, never above the optimum."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings

from solver import SolveParams, Switches, solve
from solver.component_cuts import component_cuts, lp_bound
from solver.lp import build_lp

from .helpers import brute_force, hubbed
from .test_zone_strength import hubbed_problems


def _island():
    # c0 and c1 (10 h each) live on an island whose only hub (p0's) has one carer of 15 h a week; c2 (10 h)
    # is served from the mainland hub of p1 (one carer of 40 h). £20 an hour, no travel.
    pairs = [(0, 0, 0, 0, True), (1, 0, 0, 0, True), (2, 1, 1, 0, True)]
    hubs = [{"provider": 0, "drivers": 1, "week": 15.0}, {"provider": 1, "drivers": 1, "week": 40.0}]
    return hubbed([10, 10, 10], [20, 20], pairs, hubs)


def _cuts(data, switches):
    lpm = build_lp(data, switches)
    lp = lpm.solve(10, False, None)
    assert lp.status == "OPTIMAL"
    return lpm, lp, component_cuts(lpm, lp.values, lp.duals, time.perf_counter() + 10)


def test_an_island_hub_that_fits_one_of_its_two_clients():
    # The LP serves c0 whole and c1 half (15 h of the island's carer): £200 + £100 of care and half of c1's
    # 10 h unmet at £1,000 an hour, £5,000; c2 £200: £5,300 + £200 = £5,500. Every allocation leaves one
    # island client unmet (10 h = £10,000) and serves the other (£200), c2 £200: £10,400. The island (c0,
    # c1, their hub's rows) is a component of two clients with a fractional LP solution: its cut lifts the
    # LP to the optimum; c2 alone is no component worth solving.
    d, sc = _island(), Switches(allow_unmet=True)
    lpm, lp, cuts = _cuts(d, sc)
    assert lp.objective_pence / 100 == pytest.approx(5_500.0)
    assert (len(cuts.lower), cuts.components) == (1, 1)
    rows = len(lpm.rows.lo)
    bound = lp_bound(cuts.added_to(lpm), 10) / 100
    assert bound == pytest.approx(10_400.0, abs=0.05)
    assert bound <= 10_400.0 and brute_force(d, sc)[0] == pytest.approx(10_400.0)
    assert len(lpm.rows.lo) == rows  # the LP the start is built from has no cut


def test_a_run_proves_the_bound_with_the_cuts():
    # The LP start's stage records the bound of the LP with its cut, which the run's bound takes.
    d, sc = _island(), Switches(allow_unmet=True)
    r = solve(d, sc, SolveParams(time_limit_s=10, workers=2, seed=0, lp_hint="on"))
    lp = next(st for st in r.stages if st["stage"] == "lp")
    assert lp["component_cuts"] == 1 and lp["cuts_gbp"] == pytest.approx(10_400.0, abs=0.05)
    assert r.objective == pytest.approx(10_400.0) and r.bound >= 10_400.0 - 0.05


def test_no_fractional_component_no_cut():
    # Room for both island clients (30 h): the LP is integral, nothing to solve, no cut.
    pairs = [(0, 0, 0, 0, True), (1, 0, 0, 0, True)]
    d = hubbed([10, 10], [20], pairs, [{"provider": 0, "drivers": 1, "week": 30.0}])
    _, _, cuts = _cuts(d, Switches(allow_unmet=True))
    assert (cuts.lower, cuts.components) == ([], 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hubbed_problems())
def test_the_bound_with_cuts_never_exceeds_the_optimum(problem):
    # Valid inequalities, whatever the duals: the LP with every cut found stays at or below the brute
    # force's optimum (hubs, bands, drivers, provider caps, zoning K = 1 or 2, and without zoning).
    data, zoned = problem
    for sc in (zoned, Switches(allow_unmet=True)):
        best, _ = brute_force(data, sc)
        lpm, _, cuts = _cuts(data, sc)
        bound = lp_bound(cuts.added_to(lpm), 10)
        assert math.isfinite(bound)
        assert bound / 100 <= best + 0.01 * (data.n_clients + 2)
