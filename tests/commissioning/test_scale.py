"""A zoned run at 10,000 clients (issue 15): the zone path (the zone bound's decomposition by patch) gives an
allocation the independent validator accepts, with a proven bound, well below today's allocation. Before
that path, runs of this size ended on the greedy allocation: £28.5m with 2,258 clients unmet, against
£10.9m today (BENCHMARKS.md, *Scale*)."""

from __future__ import annotations

import numpy as np
import pytest

from solver import SolveParams, Switches, solve
from solver.measures import objective_terms
from solver.today import today_choice
from solver.validate import validate_choice

from .helpers import generated_problem

CLIENTS = 10_000


def _zoned_run_on_the_zone_path(folder, clients: int, seconds: float):
    """A clock-limited K = 2 run (pools) of ``clients`` generated clients: validated, on the zone path, with a
    proven bound, below 0.9 × today's allocation. Returns the result."""
    problem = generated_problem(folder, clients)
    switches = Switches(max_providers_per_zone=2, pools=True, allow_unmet=True)
    r = solve(problem, switches, SolveParams(time_limit_s=seconds, workers=2, seed=0, deterministic=False))
    today = float(sum(objective_terms(problem, switches, today_choice(problem)).values()))
    assert validate_choice(problem, switches, r.choice, r.recruits) == []
    assert "zone bound" in [stage["stage"] for stage in r.stages]
    assert np.isfinite(r.bound) and r.bound <= r.objective * (1 + 1e-9)
    assert r.objective < 0.9 * today, (r.objective, today)  # 10,000 clients: £10.92m today
    return r


@pytest.mark.slow
def test_ten_thousand_clients_zoned_end_validated_below_today_with_a_proven_bound(tmp_path):
    # 60 s (it was 90 s): with a CPU hog on the other core, 36 s gave £7.75m, bound £7.50m, 163 unmet; but in
    # the whole suite (both cores busy with other tests) 36 s ended with no bound. Before the relaxed LP was
    # sampled to the time it has (c62ff61), 30 s gave no bound and the greedy allocation (£28,459,745).
    r = _zoned_run_on_the_zone_path(tmp_path / "data", CLIENTS, 60)
    assert (r.assignment < 0).sum() < 0.05 * CLIENTS  # 20 s: 221 unmet


@pytest.mark.slow
def test_fifteen_hundred_clients_zoned_take_the_zone_path_and_keep_to_the_limit(tmp_path):
    # The zone path starts at 300,000 nonzeros (it was 2m). 1,500 clients have about 320,000: on the whole
    # LP's path GLOP took 17 s, and a 30-s run ended at £1.24m in 41 s; at 10 s the LP is not solved and the
    # run ends on its fall-back with no bound. The zone path: £1.04m, bound £0.88m, in 4 s.
    r = _zoned_run_on_the_zone_path(tmp_path / "data", 1_500, 10)
    assert r.seconds < 10 + 5
