"""The zoning rule's capacity links (solver.rules.zoning.capacity_links) and the zone choice's LP dive
(solver.zone_dive): a stronger relaxation and a better start, never a different optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import SolveParams, Switches, solve
from solver.data import zone_limits
from solver.lp import build_lp, solve_lp
from solver.validate import validate_choice
from solver.zone_dive import dive_zone_choice

from .helpers import brute_force, hubbed

FAST = SolveParams(time_limit_s=10, workers=2, seed=0)


def _two_small_providers():
    # One zone, two clients of 10 h (no travel), two providers at £20 each with one hub of one carer × 10 h.
    pairs = [(i, p, p, 0, True) for i in range(2) for p in range(2)]
    hubs = [{"provider": 0, "drivers": 1, "week": 10.0}, {"provider": 1, "drivers": 1, "week": 10.0}]
    return hubbed([10, 10], [20, 20], pairs, hubs)


def test_links_make_the_lp_pay_for_the_zone_choice():
    # K = 1: one provider serves one client (£200), the other is unmet (10 h × £1,000): £10,200. With x ≤ y
    # only, the LP serves both clients half from each provider at y = ½ each (Σ y = 1 ≤ K, each hub 10 h):
    # £400. With the links, each hub carries at most 10 h × y = 5 h of the zone: 10 h served (£200) and
    # 10 h unmet (£10,000): the LP bound is the optimum, £10,200.
    d = _two_small_providers()
    sc = Switches(max_providers_per_zone=1, allow_unmet=True)
    assert solve_lp(d, sc).objective_pence / 100 == pytest.approx(10_200.0)
    r = solve(d, sc, FAST)
    assert r.status == "OPTIMAL" and r.objective == pytest.approx(10_200.0)
    assert brute_force(d, sc)[0] == pytest.approx(10_200.0)
    # Unzoned, both are served: the links belong to limited zones only.
    assert solve_lp(d, Switches(allow_unmet=True)).objective_pence / 100 == pytest.approx(400.0)


def test_links_without_the_fix_would_be_weaker(monkeypatch):
    # The same instance with the links switched off: the LP bound falls back to £400 (what the round before
    # the links gave, a 96 % gap on this instance).
    import solver.rules.zoning as zoning

    monkeypatch.setattr(zoning, "capacity_links", lambda *a, **k: iter(()))
    d = _two_small_providers()
    assert solve_lp(d, Switches(max_providers_per_zone=1, allow_unmet=True)).objective_pence / 100 == (
        pytest.approx(400.0))


@st.composite
def hubbed_problems(draw):
    """Up to 4 clients, 3 providers with a hub each (and a second hub for p0), 2 zones, band limits."""
    n, m = draw(st.integers(1, 4)), draw(st.integers(2, 3))
    hubs = [{"provider": p, "drivers": draw(st.integers(0, 2)), "non_drivers": draw(st.integers(0, 1)),
             "week": float(draw(st.integers(4, 20))), "bands": [float(draw(st.integers(2, 12))), np.inf]}
            for p in range(m)]
    hubs.append({"provider": 0, "drivers": 1, "week": float(draw(st.integers(4, 20))), "bands": [np.inf] * 2})
    pairs = [(i, p, h, draw(st.integers(0, 30)), draw(st.booleans()))
             for i in range(n) for h, p in enumerate([*range(m), 0]) if draw(st.booleans()) or h == i % m]
    shares = [[s, 1 - s] for s in (draw(st.sampled_from([0.0, 0.5, 1.0])) for _ in range(n))]
    hours = [draw(st.integers(4, 40)) / 4 for _ in range(n)]
    rates = [draw(st.integers(18, 30)) for _ in range(m)]
    zones = [draw(st.integers(0, 1)) for _ in range(n)]
    data = hubbed(hours, rates, pairs, hubs, band_share=shares, n_zones=2, zones=zones,
                  provider_staff_hours=[draw(st.sampled_from([np.inf, 12.0])) for _ in range(m)])
    return data, Switches(max_providers_per_zone=draw(st.sampled_from([1, 2])), allow_unmet=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hubbed_problems())
def test_links_keep_the_optimum(problem):
    # Valid inequalities: with hubs, bands, provider caps and zoning, CP-SAT's optimum (links in the model)
    # is the brute force's, and the LP (links in it) never exceeds it.
    data, sc = problem
    best, _ = brute_force(data, sc)
    r = solve(data, sc, FAST)
    assert r.status == "OPTIMAL" and r.violations == []
    assert r.objective == pytest.approx(best, abs=0.01 * (data.n_clients + 2))
    assert solve_lp(data, sc).objective_pence / 100 <= best + 0.01 * (data.n_clients + 2)


def test_dive_fixes_every_zone_and_rounds_to_a_valid_allocation():
    from solver.generate import random_instance
    from solver.lp import round_lp

    d = random_instance(n_clients=300, n_providers=8, n_zones=12, seed=3, workforce=True)
    sc = Switches(max_providers_per_zone=2, allow_unmet=True)
    lpm = build_lp(d, sc)
    root = lpm.solve(30, False, None)
    out = dive_zone_choice(lpm, zone_limits(d, sc), max_iterations=10**9, wall_limit_s=60)
    assert out is not None and out.complete
    y = np.array(list(out.lp.y.values()))
    assert np.all((y < 1e-6) | (y > 1 - 1e-6))
    per_zone = np.zeros(d.n_zones)
    for (z, _p), v in out.lp.y.items():
        per_zone[z] += v > 0.5
    assert per_zone.max() <= 2
    assert out.lp.objective_pence >= root.objective_pence - 1e-6 * abs(root.objective_pence)
    assert validate_choice(d, sc, round_lp(d, sc, out.lp)) == []
    # A budget of no iterations stops at the root LP, which still rounds (the rounding picks the zones).
    early = dive_zone_choice(build_lp(d, sc), zone_limits(d, sc), max_iterations=0, wall_limit_s=60)
    assert early is not None and not early.complete
