"""Ranked zoning (solver.rules.ranked_zoning): model, LP and validator agree; HiGHS's fixed-zones phase can
fix the ranking. The hand-computed case: tests/solver/test_families.py::test_ranked_zoning_shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import SolveParams, Switches, solve
from solver.highs_search import closed_rank_columns, closed_zone_columns, highs_search
from solver.lp import LpModel, build_lp
from solver.rules.ranked_zoning import start_ranks, zone_care_minutes
from solver.validate import objective_terms

from .helpers import brute_force, tiny

FAST = SolveParams(time_limit_s=10, workers=2, seed=0)


def _two_zones():
    # Zones 0 and 1, three clients each (10, 8, 6 h), three providers with room for all, every pair allowed.
    travel = {(i, p): 5 * ((i + p) % 3) for i in range(6) for p in range(3)}
    return tiny([10, 8, 6, 10, 8, 6], [100, 100, 100], [20, 22, 25], travel, zones=[0, 0, 0, 1, 1, 1])


def test_the_lp_blocks_of_every_zone_are_rank_columns():
    # Regression: the LP added each zone's rank, minutes and deviation columns in turn, so the "rank" block
    # was not contiguous and its keys beyond the first zone named other columns (a minutes column with an
    # upper bound of 1,080 where a rank should be); fixing the ranking from them made the start infeasible.
    d = _two_zones()
    lpm = build_lp(d, Switches(ranked_shares=(0.6, 0.4)))
    hs = lpm.to_highs()
    r0, keys = lpm.block("rank")
    assert {z for z, _, _ in keys} == {0, 1}
    assert np.all(np.asarray(hs.col_upper_)[r0:r0 + len(keys)] == 1.0)
    g0, gkeys = lpm.block("ranked_minutes")
    assert gkeys == keys and np.all(np.asarray(hs.col_upper_)[g0:g0 + len(gkeys)] > 1.0)


def test_a_block_must_grow_contiguously():
    lpm = LpModel(_two_zones(), Switches())
    lpm.add_columns("a", [0.0], [1.0], [0.0])
    lpm.add_columns("b", [0.0], [1.0], [0.0])
    with pytest.raises(ValueError, match="grows after other columns"):
        lpm.add_columns("a", [0.0], [1.0], [0.0])


def test_highs_keeps_a_start_with_its_ranking_fixed():
    # Both zones with clients 0/3 on p0, 1/4 on p1 and 2/5 on p2: three providers for two ranks breaks K,
    # so the start puts the 6 h clients on p1 as well. Fixing the start's zones and ranking, HiGHS's answer
    # is at least as good as the start and keeps its ranking.
    d = _two_zones()
    sc = Switches(ranked_shares=(0.6, 0.4))
    start = np.array([d.pair_index(i, p) for i, p in enumerate([0, 1, 1, 0, 1, 1])])
    open_ = {(0, 0), (0, 1), (1, 0), (1, 1)}
    ranks = start_ranks(d, sc, start, open_)
    assert ranks == {(0, 1): 0, (0, 0): 1, (1, 1): 0, (1, 0): 1}  # in both zones p1's 14 h lead p0's 10 h
    lpm = build_lp(d, sc)
    closed = np.concatenate([closed_zone_columns(lpm, open_), closed_rank_columns(lpm, ranks)])
    out = highs_search(lpm, start, 10.0, closed=closed)
    assert out.status == "Optimal"
    assert out.objective_gbp <= sum(objective_terms(d, sc, start).values()) + 1e-6
    assert sum(objective_terms(d, sc, out.choice).values()) == pytest.approx(out.objective_gbp)
    minutes = zone_care_minutes(d, sc, out.choice)
    assert set(minutes[0]) <= {0, 1} and set(minutes[1]) <= {0, 1}


@st.composite
def ranked_cases(draw):
    n = draw(st.integers(2, 5))
    hours = [draw(st.integers(1, 12)) for _ in range(n)]
    zones = [draw(st.integers(0, 1)) for _ in range(n)]
    travel = {(i, p): draw(st.integers(0, 40)) for i in range(n) for p in range(3)
              if p == 0 or draw(st.booleans())}
    shares = draw(st.sampled_from([(0.6, 0.4), (0.5, 0.3, 0.2), (0.75, 0.25)]))
    penalty = draw(st.sampled_from([0.6, 6.0, 30.0]))
    caps = [draw(st.integers(5, 40)) for _ in range(3)]
    return tiny(hours, caps, [20, 24, 28], travel, zones=zones, n_zones=2), shares, penalty


@given(ranked_cases())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ranked_optimum_matches_brute_force(case):
    d, shares, penalty = case
    sc = Switches(ranked_shares=shares, share_penalty_gbp_per_hour=penalty, allow_unmet=True)
    r = solve(d, sc, FAST)
    assert r.status == "OPTIMAL" and r.violations == []
    best, _ = brute_force(d, sc)
    assert r.objective == pytest.approx(best, abs=1e-6)
