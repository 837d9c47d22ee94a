"""Hard GAP families D and E (solver.gap.generate_gap), the checked cost, the benchmark's HiGHS model."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from solver import SolveParams
from solver.gap import gap_cost, generate_gap, solve_gap

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "gap_hard.py"


def _brute_force(inst) -> tuple[int, np.ndarray]:
    """The optimum over all m ** n assignments (small instances only)."""
    m, n = inst.m, inst.n
    codes = np.arange(m ** n, dtype=np.int64)
    agent = np.stack([(codes // m ** j) % m for j in range(n)], axis=1).astype(np.int32)  # (m**n, n)
    jobs = np.arange(n)
    use = np.stack([np.where(agent == i, inst.resource[i][None, :], 0).sum(axis=1) for i in range(m)], axis=1)
    ok = (use <= inst.capacity[None, :]).all(axis=1)
    cost = inst.cost[agent, jobs[None, :]].sum(axis=1)
    cost = np.where(ok, cost, np.iinfo(np.int64).max)
    best = int(np.argmin(cost))
    assert ok[best], "the instance has no feasible assignment"
    return int(cost[best]), agent[best]


def test_same_seed_same_instance_and_names():
    for kind in ("D", "E"):
        a, b = generate_gap(kind, 5, 40, 3), generate_gap(kind, 5, 40, 3)
        assert a.name == f"{kind}-5x40-s3"
        for field in ("cost", "resource", "capacity"):
            assert np.array_equal(getattr(a, field), getattr(b, field))
        assert not np.array_equal(a.resource, generate_gap(kind, 5, 40, 4).resource)
    assert generate_gap("D", 10, 400, 1).name == "D-10x400-s1"


def test_tiny_seeded_cases_by_hand():
    # Type D, seed 7: capacity agent 0 = floor(0.8 * (95 + 63 + 69) / 2) = floor(90.8) = 90, agent 1 =
    # floor(0.8 * (90 + 58 + 78) / 2) = floor(90.4) = 90; cost - (111 - resource) = 7, -6, -9 / -4, -5, 8.
    d = generate_gap("D", 2, 3, 7)
    assert d.resource.tolist() == [[95, 63, 69], [90, 58, 78]]
    assert d.cost.tolist() == [[23, 42, 33], [17, 48, 41]]
    assert d.capacity.tolist() == [90, 90]
    # Type E, seed 7: capacity floor(0.8 * 51 / 2) = 20 and floor(0.8 * 31 / 2) = 12; each cost lies in
    # (1000 / a - 11, 1000 / a], e.g. a = 11: 1000 / 11 = 90.9, cost 90; a = 4: 250, cost 245.
    e = generate_gap("E", 2, 3, 7)
    assert e.resource.tolist() == [[11, 24, 16], [4, 5, 22]]
    assert e.cost.tolist() == [[90, 33, 54], [245, 196, 42]]
    assert e.capacity.tolist() == [20, 12]


@pytest.mark.parametrize("kind", ["D", "E"])
def test_shapes_ranges_and_capacities(kind):
    g = generate_gap(kind, 20, 400, 1)
    assert g.cost.shape == g.resource.shape == (20, 400) and g.capacity.shape == (20,)
    assert all(np.issubdtype(x.dtype, np.integer) for x in (g.cost, g.resource, g.capacity))
    a = g.resource
    assert np.array_equal(g.capacity, np.floor(0.8 * a.sum(axis=1) / 20).astype(np.int64))
    if kind == "D":
        assert a.min() >= 1 and a.max() <= 100
        e = g.cost - (111 - a)
        assert e.min() == -10 and e.max() == 10  # 8,000 draws reach both ends
        assert 45 < a.mean() < 56
    else:
        assert a.min() >= 1
        # a - 1 = -floor(10 ln U) = ceil(X), X = -10 ln U exponential with mean 10: geometric on 1, 2, ...
        # with mean 1 / (1 - exp(-0.1)) = 10.51, so a averages 11.51 (standard error over 8,000 draws 0.12)
        assert 11.0 < a.mean() < 12.0
        assert (g.cost <= 1000 / a).all() and (g.cost > 1000 / a - 11).all()


def test_bad_arguments_say_what_is_wrong():
    for args, words in ((("F", 5, 10, 1), "kind must be 'D' or 'E'"), (("d", 5, 10, 1), "got 'd'"),
                        (("D", 1, 10, 1), "m \\(agents\\) must be a whole number >= 2, got 1"),
                        (("D", 5, 0, 1), "n \\(jobs\\) must be a whole number >= 1, got 0"),
                        (("E", 5.0, 10, 1), "got 5.0"), (("E", 5, 10, -1), "seed must be")):
        with pytest.raises(ValueError, match=words):
            generate_gap(*args)


def test_gap_cost_checks_the_allocation():
    e = generate_gap("E", 2, 3, 7)  # capacities 20 and 12; resources [11 24 16] and [4 5 22]
    assert gap_cost(e, np.array([1, 1, 0])) == 245 + 196 + 54  # agent 0 uses 16, agent 1 uses 9
    d = generate_gap("D", 2, 3, 7)  # capacities 90 and 90; resources [95 63 69] and [90 58 78]
    with pytest.raises(ValueError, match="agent 1 uses 148 of its capacity 90"):
        gap_cost(d, np.array([1, 1, 0]))
    with pytest.raises(ValueError, match="job 2 has agent -1"):
        gap_cost(d, np.array([0, 1, -1]))
    with pytest.raises(ValueError, match="shape"):
        gap_cost(d, np.array([0, 1]))


def _benchmark():
    spec = importlib.util.spec_from_file_location("gap_hard_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["D", "E"])
def test_small_instance_core_and_highs_reach_the_brute_force_optimum(kind):
    inst = generate_gap(kind, 3, 12, 1)
    optimum, _ = _brute_force(inst)
    r = solve_gap(inst, "min", SolveParams(time_limit_s=10, workers=2))
    assert r["status"] == "OPTIMAL" and r["objective"] == optimum
    assert gap_cost(inst, r["assignment"]) == optimum
    h = _benchmark().solve_highs(inst, 10.0, 2, 1)
    assert gap_cost(inst, h["assignment"]) == optimum
    assert math.isclose(h["bound"], optimum, abs_tol=1e-6)


def test_subgradient_steps_slower_than_counted_stop_and_the_run_ends_on_time(monkeypatch):
    # The target search's subgradient steps are not a CP-SAT search: the clock did not stop them, and on a
    # type E instance (20 × 400) they took 37 ms a step where 5.5 ms were counted, so a 30-s run took 40 s.
    # Here every instance is "counted" as instant: the steps stop at their share of the limit, the full model
    # gets the rest, and the run ends on time (without the fix: 28.6 s for a 4-s limit; the margin is for a
    # loaded machine). 6 s, not 4: in a CI run with the other test worker busy the full model's 3 s of a 4-s
    # limit found no allocation at all (beside two CPU hogs it found one, 92,611 against 41,143 alone).
    import solver.target_search as target_search
    from solver.core import solve
    from solver.gap import GAP_SCENARIO, gap_to_problem

    monkeypatch.setattr(target_search, "lagrangian_seconds", lambda structure: 0.001)
    inst = generate_gap("E", 20, 400, 1)
    r = solve(gap_to_problem(inst), GAP_SCENARIO, SolveParams(time_limit_s=6, workers=2, seed=0,
                                                               deterministic=False))
    assert r.seconds < 6 * 1.5
    stages = {st["stage"]: st for st in r.stages}
    assert stages["lagrangian"]["status"] == "STOPPED" and "all (after targets)" in stages
    # What this test is about is the time; the full model's 4.5 s found no allocation on a loaded machine
    # (2 of 3 runs beside CPU hogs): an answer, when there is one, is checked.
    assert r.status in ("OPTIMAL", "FEASIBLE", "UNKNOWN"), r.stages
    if r.status != "UNKNOWN":
        assert r.is_feasible() and gap_cost(inst, r.assignment) == pytest.approx(r.objective)
        assert r.bound <= r.objective


def test_a_weak_first_lagrangian_bound_gives_the_full_model_the_time(monkeypatch):
    # When the first subgradient run ends well below the bound CP-SAT proved in its first run, the knapsack
    # relaxation fixes nothing (type E, 20 × 400: all 8,000 pairs left free) and the reduced models are as
    # hard as the full one: the targets took the time and the run ended on its first 1.5-s solution (41,188
    # against the plain model's 40,631). Such runs skip the targets; the full model, unhinted (a poor complete
    # hint anchors its search), gets the time. Forced here (any first bound counts as weak).
    import solver.target_search as target_search
    from solver.core import solve
    from solver.gap import GAP_SCENARIO, gap_to_problem

    monkeypatch.setattr(target_search, "GAP_WEAK_SHARE", -1.0)
    # The weak-bound test needs the first run's allocation (without one, nothing says the bound is weak and
    # the targets run, as designed). Its 5 % of 4 s (0.2 s) found none in the tracker's CI with the other test
    # worker busy; 1 s is far from the optimum (3.4 s after it proves nothing) but finds an allocation.
    monkeypatch.setattr(target_search, "GAP_FIRST_SHARE", 0.25)
    # Counted at 1.5 s (the steps take about 1 s here): inside the 40 % of 4 s that lets the target search
    # run, and its first run's deadline (5 times its count) far off: only the weak bound skips the targets.
    monkeypatch.setattr(target_search, "lagrangian_seconds", lambda structure: 1.5)
    inst = generate_gap("E", 10, 200, 1)
    r = solve(gap_to_problem(inst), GAP_SCENARIO, SolveParams(time_limit_s=4, workers=2, seed=0,
                                                               deterministic=False))
    names = [st["stage"] for st in r.stages]
    assert r.stages[0]["status"] == "FEASIBLE", r.stages
    assert names[:2] == ["all", "lagrangian"] and "gap target" not in names, r.stages
    assert names[-1] == "all (after targets)"
    assert r.stages[1]["status"] == "STOPPED"
    assert r.is_feasible() and gap_cost(inst, r.assignment) == pytest.approx(r.objective)
    assert r.seconds < 4 * 1.5
