"""The zone bound (solver.zone_bound): a Lagrangian bound with the zoning structure kept whole, valid for any
multipliers, equal to the LP at the LP's duals; and the start it gives large zoned runs."""

from __future__ import annotations

import importlib
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import SolveParams, Switches, solve
from solver.generate import random_instance
from solver.lp import build_lp, new_highs, reset_threads, round_lp
from solver.model import build_model
from solver.validate import validate_choice
from solver.zone_bound import _Lagrangian, zone_start

from .helpers import brute_force
from .test_zone_strength import _two_small_providers, hubbed_problems

solve_module = importlib.import_module("solver.core")


def _highs_lp(lpm):
    reset_threads()
    h = new_highs(threads=1)
    h.passModel(lpm.to_highs())
    h.run()
    return h


def test_two_small_providers_hand_computed():
    # K = 1, two clients of 10 h, two providers whose one carer has 10 h each (£20 an hour, no travel): one
    # client is served (£200) and one is unmet (10 h × £1,000): £10,200. Without the x ≤ y rows the LP
    # still has Σ y ≤ 1 and each hub's load ≤ 10 h × y, so it serves 10 h at most: its duals price the hubs
    # and the zone problem (one provider) gives the optimum as the bound.
    d = _two_small_providers()
    sc = Switches(max_providers_per_zone=1, allow_unmet=True)
    found = zone_start(build_lp(d, sc), 10.0)
    assert found.bound_pence / 100 == pytest.approx(10_200.0)
    assert len(found.zone_choice[0]) == 1
    rounded = round_lp(d, sc, found.lp, found.zone_choice)
    assert validate_choice(d, sc, rounded) == [] and (rounded >= 0).sum() == 1


def test_the_bound_at_the_lp_s_duals_is_the_lp():
    # The zone problems at the full LP's duals are solved whole (each zone's providers are a choice, not a
    # fraction), so the bound is at least the LP's optimum (here 0.55 % above it), and below the allocation
    # CP-SAT proves optimal.
    d = random_instance(n_clients=300, n_providers=8, n_zones=12, seed=3, workforce=True)
    sc = Switches(max_providers_per_zone=2, pools=True, allow_unmet=True)
    lpm = build_lp(d, sc)
    h = _highs_lp(lpm)
    lp_pence = h.getInfo().objective_function_value + lpm.offset
    lag = _Lagrangian(lpm)
    value, _, _ = lag.value(*lag.multipliers(np.asarray(h.getSolution().row_dual)))
    assert value >= lp_pence - 1e-6 * abs(lp_pence)
    r = solve(d, sc, SolveParams(time_limit_s=10, workers=2, seed=0))
    assert r.violations == [] and value / 100 <= r.objective + 0.01


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hubbed_problems(), st.integers(0, 2**32 - 1))
def test_any_multipliers_give_a_bound(problem, seed):
    # Validity: at random multipliers of the right signs, and at the relaxed LP's duals, the value never
    # exceeds the brute-force optimum.
    data, sc = problem
    best, _ = brute_force(data, sc)
    lpm = build_lp(data, sc)
    lag = _Lagrangian(lpm)
    rng = np.random.default_rng(seed)
    scale = rng.choice([0.1, 10.0, 1000.0])
    mu_hi = rng.exponential(scale, len(lag.hi_rows)) * lag.has_hi
    mu_lo = rng.exponential(scale, len(lag.lo_rows)) * lag.has_lo
    tolerance = 0.01 * (data.n_clients + 2)
    assert lag.value(mu_hi, mu_lo)[0] / 100 <= best + tolerance
    reset_threads()
    assert zone_start(lpm, 10.0).bound_pence / 100 <= best + tolerance


def _zone_path_run(monkeypatch, seconds: float, ranked: bool = False, **params):
    """A K = 2 (or ranked) run, pools on, of 600 random clients with workforce, the zone path forced;
    clock-limited unless ``params`` say otherwise."""
    monkeypatch.setattr(solve_module, "ZONE_START_NONZEROS", 0)
    d = random_instance(n_clients=600, n_providers=8, n_zones=12, seed=3, workforce=True)  # LP start: ≥ 500
    sc = Switches(max_providers_per_zone=None if ranked else 2, pools=True, allow_unmet=True,
                  ranked_shares=(0.6, 0.25, 0.15) if ranked else ())
    params = {"time_limit_s": seconds, "workers": 2, "seed": 0, "deterministic": False, **params}
    return solve(d, sc, SolveParams(**params))


def test_a_large_zoned_run_reports_the_zone_bound(monkeypatch):
    # Clock-limited zoned runs with a large LP start from the zone bound: a proven bound (where the 20,000
    # client default scenario had none) and a validated allocation.
    r = _zone_path_run(monkeypatch, 10)
    stage = next(st for st in r.stages if st["stage"] == "zone bound")
    assert np.isfinite(stage["bound_gbp"]) and r.violations == []
    assert r.bound >= stage["bound_gbp"] * (1 - 1e-6) and r.objective >= r.bound
    assert np.isfinite(r.gap)


def test_the_zone_path_never_builds_the_cp_sat_model(monkeypatch):
    # Regression: at 20,000 clients building the CP-SAT model took 22 s of a 120 s limit before the zone
    # phases, which take the whole limit between them; the search after them had no time (UNKNOWN after
    # 10 s of loading) and the run took 141 s. The zone path's answer is its start, with its bound.
    built = []
    monkeypatch.setattr(solve_module, "build_model", lambda *a: built.append(a) or build_model(*a))
    r = _zone_path_run(monkeypatch, 6)
    assert not built and r.violations == [] and r.status == "FEASIBLE" and np.isfinite(r.gap)
    assert {"stage": "cp-sat", "status": "SKIPPED", "stopped_by_clock": False} in r.stages


def test_time_the_zone_path_leaves_goes_to_cp_sat_hinted_with_its_start(monkeypatch):
    # The zone path ended in 6-8 s of 30 at 2,000 clients and the run stopped there (£1,576,224); the rest of
    # the limit now goes to CP-SAT on the whole model, hinted with the path's start (£1,549,225 there). The
    # answer is never worse than the start, and the zone bound still counts.
    # 30 s, not 15: CP-SAT runs only with ZONE_SEARCH_MIN_S left, which a loaded machine's zone phases took
    # (3 of 6 runs beside CPU hogs); the run ends when CP-SAT proves the optimum (6.5 s idle).
    r = _zone_path_run(monkeypatch, 30)
    zone = next(st for st in r.stages if st["stage"] == "zone bound")
    search = next(st for st in r.stages if st["stage"] == "all")
    assert search["status"] in ("OPTIMAL", "FEASIBLE") and r.violations == []
    assert r.objective <= zone["objective_gbp"] + 0.01 and r.bound >= zone["bound_gbp"] * (1 - 1e-6)
    assert r.seconds < 30 + 3


def test_deterministic_runs_take_the_zone_path_and_repeat(monkeypatch):
    # Regression: deterministic runs (the product's default) never took the zone path. At 2,000 clients,
    # K = 2, 6 work units, the whole LP and its dive ran into the 60-s hard stop: £2,382,193 (38.4 %) after
    # 74 s, an answer that need not repeat. On the zone path, counted in work: £1,540,131 (4.8 %) in 24 s.
    runs = [_zone_path_run(monkeypatch, 60, deterministic=True, work_limit=1.0) for _ in range(2)]
    for r in runs:
        assert "zone bound" in [st["stage"] for st in r.stages] and r.violations == []
        assert not r.stopped_by_clock and np.isfinite(r.gap)
    assert np.array_equal(runs[0].assignment, runs[1].assignment) and runs[0].objective == runs[1].objective


def test_a_deterministic_zone_path_cut_short_by_the_clock_says_so(monkeypatch):
    # A limit too short for the path's work: the packing is skipped (less than a second left for HiGHS), so
    # the answer may differ on another run or machine, and the result must say so (not claim to repeat).
    # The packing's share of the clock is made nothing (a 0.5-s limit, as before, also cut the zone start's
    # LP short on a loaded machine: no start, no packing stage at all, and the test failed).
    monkeypatch.setattr(solve_module, "ZONE_PACK_SHARE", 0.0)
    r = _zone_path_run(monkeypatch, 60, deterministic=True, work_limit=0.3)
    pack = next(st for st in r.stages if st["stage"] == "zone pack")
    assert pack["status"] == "SKIPPED" and pack["stopped_by_clock"]
    assert r.stopped_by_clock and r.violations == []


def test_an_infeasible_relaxed_lp_is_not_a_stop_by_the_clock():
    # Regression: any status but optimal was read as the clock's stop. Two clients of 10 h, one provider per
    # zone with 10 h, unmet not allowed: the relaxed LP is infeasible in milliseconds, which repeats.
    sc = Switches(max_providers_per_zone=1, allow_unmet=False)
    found = zone_start(build_lp(_two_small_providers(), sc), 10.0, deterministic=True)
    assert found.status == "Infeasible" and found.lp is None
    assert not found.stopped_by_clock


def test_a_deterministic_search_after_the_zone_path_gets_past_presolve(monkeypatch):
    # Regression: CP-SAT's presolve alone took 6.6 of a run's 6 work units at 2,000 clients, so the search
    # after the zone path found nothing and the run ended on the zone start. One presolve pass leaves it
    # the work to improve on that start (here 0.3 units: nothing found with the full presolve).
    r = _zone_path_run(monkeypatch, 60, deterministic=True, work_limit=0.3)
    zone = next(st for st in r.stages if st["stage"] == "zone bound")
    search = next(st for st in r.stages if st["stage"] == "all")
    assert search["status"] in ("OPTIMAL", "FEASIBLE") and search["objective_gbp"] < zone["objective_gbp"]
    assert r.violations == [] and r.objective <= zone["objective_gbp"] + 0.01


def test_the_zone_pack_fixes_ranked_zonings_ranking(monkeypatch):
    # Regression: HiGHS's packing of the zone start left ranked zoning's ranks free (the LP start's packing
    # fixes them); at 2,000 clients its root did not end in 21 s (0 nodes, and a worse allocation than the
    # start). Every rank column but the start's ranking is now held at 0.
    import solver.highs_search as highs_module

    seen = []
    real = highs_module.highs_search
    spy = lambda lpm, *a, **k: seen.append((lpm, a[3])) or real(lpm, *a, **k)  # noqa: E731
    monkeypatch.setattr(highs_module, "highs_search", spy)
    r = _zone_path_run(monkeypatch, 8, ranked=True)
    assert seen and r.violations == []
    lpm, closed = seen[0]
    r0, keys = lpm.block("rank")
    per_pair = Counter(keys[j][:2] for j in np.intersect1d(closed, r0 + np.arange(len(keys))) - r0)
    ranks = len({rank for _, _, rank in keys})
    # every ranked (zone, provider) of the start keeps one rank open: its own
    assert per_pair and set(per_pair.values()) == {ranks - 1}


@pytest.mark.parametrize("ranked", [False, True])
def test_the_zone_pack_runs_when_the_rounding_breaks_a_rule(monkeypatch, ranked):
    # Regression: fixing ranked zoning's ranking read the start, which is None when the zone path's rounding
    # breaks a rule (2,000 clients, K = 2 with recruitment: TypeError). HiGHS then packs from no start.
    import solver.lp as lp_module

    d = random_instance(n_clients=600, n_providers=8, n_zones=12, seed=3, workforce=True)
    every_client_first_pair = np.searchsorted(d.pair_client, np.arange(d.n_clients))
    monkeypatch.setattr(lp_module, "round_lp", lambda *a: every_client_first_pair)
    r = _zone_path_run(monkeypatch, 8, ranked=ranked)
    names = [st["stage"] for st in r.stages]
    assert "zone pack" in names and r.violations == [] and r.status in ("OPTIMAL", "FEASIBLE")


def test_a_lexicographic_run_keeps_its_cp_sat_stages_and_no_false_proof(monkeypatch):
    # Review finding: on the zone path a lexicographic run had no CP-SAT stage, and "every lexicographic
    # stage optimal" held of none, so a FEASIBLE answer was reported with a zero gap.
    r = _zone_path_run(monkeypatch, 6, lexicographic=True)
    names = [st["stage"] for st in r.stages]
    assert "zone bound" not in names and "unmet" in names and r.violations == []
    assert r.status == "OPTIMAL" or not np.isfinite(r.gap) or r.gap > 0


def test_a_second_highs_run_gets_its_own_seconds():
    # Regression: HiGHS's time limit counts every run of an instance, so zone_start's second run (the zone
    # choice fixed) stopped at once whenever the relaxed LP had used more than what was left (the 20,000
    # client default scenario ended on the greedy allocation, £39.2m, instead of the zone start's £25.1m).
    from solver.lp import run_for

    d = random_instance(n_clients=300, n_providers=8, n_zones=12, seed=3, workforce=True)
    lpm = build_lp(d, Switches(max_providers_per_zone=2, pools=True, allow_unmet=True))
    h = _highs_lp(lpm)
    first_s = h.getRunTime()
    closed = np.arange(0, lpm.nx, 7, dtype=np.int32)
    h.changeColsBounds(len(closed), closed, np.zeros(len(closed)), np.zeros(len(closed)))
    run_for(h, first_s)  # a warm start needs far less than the first run's time
    assert h.getModelStatus() == h.getModelStatus().kOptimal


def test_a_sample_s_duals_still_give_a_proven_bound_and_a_start(monkeypatch):
    # Models too large for their relaxed LP (50,000 clients and more) price the rows from a sample of the
    # clients: any multipliers give a proven bound, so the bound stays below CP-SAT's allocation, near the
    # bound at the whole relaxed LP's duals (here 0.96 of it), and the start (the zone choice fixed in the
    # whole relaxed LP) is still a validated allocation.
    import solver.zone_bound as zone_bound

    d = random_instance(n_clients=300, n_providers=8, n_zones=12, seed=3, workforce=True)
    sc = Switches(max_providers_per_zone=2, pools=True, allow_unmet=True)
    reset_threads()
    whole = zone_start(build_lp(d, sc), 10.0)
    monkeypatch.setattr(zone_bound, "SAMPLE_ABOVE_NONZEROS", 0)  # every model is "too large": a 20 % sample
    monkeypatch.setattr(zone_bound, "SAMPLE_NONZEROS", 1)
    found = zone_start(build_lp(d, sc), 10.0)
    assert whole.sample_share == 1.0 and found.sample_share == pytest.approx(zone_bound.MIN_SAMPLE_SHARE)
    assert np.isfinite(found.bound_pence) and found.bound_pence >= 0.9 * whole.bound_pence
    r = solve(d, sc, SolveParams(time_limit_s=10, workers=2, seed=0))
    assert r.violations == [] and found.bound_pence / 100 <= r.objective + 0.01
    rounded = round_lp(d, sc, found.lp, found.zone_choice)
    assert validate_choice(d, sc, rounded) == []


def test_a_sample_of_identical_clients_prices_like_the_whole_lp():
    # 40 identical clients (5 h, no travel), two providers with a minimum viable volume (so x ≤ active per
    # pair) and room for everyone. Any sample of them, each kept client standing for 1/share clients, is the
    # whole relaxed LP scaled: the same objective. Defect fixed: the x ≤ active rows were weighted like the
    # hubs' rows (x / share ≤ active), so a sampled client could be served only half of the way and the sample
    # LP paid for the other half as unmet need (its prices then gave a weaker bound).
    from solver.zone_bound import sampled_lp

    from .helpers import hubbed

    n = 40
    pairs = [(i, p, p, 0, True) for i in range(n) for p in range(2)]
    hubs = [{"provider": p, "drivers": 20, "week": 40.0} for p in range(2)]
    d = hubbed([5.0] * n, [20.0, 25.0], pairs, hubs, provider_min_viable_hours=[10.0, 10.0])
    sc = Switches(max_providers_per_zone=1, allow_unmet=True, min_viable=True, allow_provider_exit=True)
    lpm = build_lp(d, sc)
    assert len(lpm.rows.named_rows("pair_links")) == 2 * n
    keep = np.setdiff1d(np.arange(len(lpm.rows.lo)), lpm.rows.named_rows("zone_links"))
    reset_threads()
    whole = new_highs(threads=1)
    whole.passModel(lpm.to_highs(keep))
    whole.run()
    sample = new_highs(threads=1)
    sample.passModel(sampled_lp(lpm, _Lagrangian(lpm), keep, 0.5)[0])
    sample.run()
    whole_pence = whole.getInfo().objective_function_value
    assert sample.getInfo().objective_function_value == pytest.approx(whole_pence)


def test_the_sample_is_cut_to_what_its_time_can_solve():
    """Regression (10,000 clients at 18 s): the relaxed LP was sampled by size alone, so on a slow day the
    whole LP did not finish in its time, the run had no bound and ended on the greedy allocation (£28.5m
    against £8.2m), 15 s after its limit. The sample now also fits the LP's time."""
    from solver.zone_bound import MIN_SAMPLE_SHARE, RELAXED_NONZEROS_PER_SECOND, _sample_share

    d = random_instance(n_clients=300, n_providers=8, n_zones=12, seed=3, workforce=True)
    lpm = build_lp(d, Switches(max_providers_per_zone=2, pools=True, allow_unmet=True))
    keep = np.setdiff1d(np.arange(len(lpm.rows.lo)), lpm.rows.named_rows("zone_links"))
    nonzeros = int(np.bincount(np.concatenate(lpm.rows.r), minlength=len(lpm.rows.lo))[keep].sum())
    enough_s = nonzeros / RELAXED_NONZEROS_PER_SECOND
    assert _sample_share(lpm, keep) == 1.0  # small: the whole LP, given time
    assert _sample_share(lpm, keep, 2 * enough_s) == 1.0
    assert _sample_share(lpm, keep, 0.5 * enough_s) == pytest.approx(0.5)
    assert _sample_share(lpm, keep, 0.0) == MIN_SAMPLE_SHARE


def test_a_clock_limited_run_skips_cp_sat_it_has_no_time_to_build():
    """Regression (10,000 clients at 18 s): with no start, building the CP-SAT model took 9 s of the 9 s
    left, CP-SAT found nothing, and the run ended late. Now CP-SAT is skipped when building it would take
    more than half the time left, and the run ends on its validated fall-back."""
    from solver.data import MODEL_PAIRS_PER_SECOND

    d = random_instance(n_clients=300, n_providers=8, n_zones=12, seed=3, workforce=True)
    sc = Switches(max_providers_per_zone=2, pools=True, allow_unmet=True)
    limit_s = 0.5 * len(d.pair_client) / MODEL_PAIRS_PER_SECOND  # building needs twice the limit
    r = solve(d, sc, SolveParams(time_limit_s=limit_s, workers=2, deterministic=False, lp_hint="off"))
    skipped = [st for st in r.stages if st["stage"] == "cp-sat"]
    assert skipped and skipped[0]["status"] == "SKIPPED", r.stages
    assert any(st["stage"].endswith("fall-back") for st in r.stages), r.stages
    assert r.is_feasible() and validate_choice(d, sc, r.choice) == []
