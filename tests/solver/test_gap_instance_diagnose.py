"""OR-Library GAP through the core, anonymised JSON instances, and infeasibility diagnosis."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from solver import SolveParams, Switches, solve
from solver.diagnose import conflicting_families, diagnose, precheck
from solver.gap import parse_orlib_gap, read_orlib_gap, solve_gap
from solver.generate import random_instance
from solver.instance import from_json, solve_instance, to_json

from .helpers import tiny

GAP_DIR = Path("/work/shared/bench/gap")
needs_gap = pytest.mark.skipif(not (GAP_DIR / "gap1.txt").exists(), reason="OR-Library GAP files not present")


def test_parse_both_layouts():
    single = "2 3\n1 2 3\n4 5 6\n1 1 1\n1 1 1\n2 2\n"
    [a] = parse_orlib_gap(single, "x")
    assert a.name == "x-1" and (a.m, a.n) == (2, 3)
    assert a.cost.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert a.capacity.tolist() == [2, 2]
    multi = "2\n" + single + single
    assert [g.name for g in parse_orlib_gap(multi, "y")] == ["y-1", "y-2"]
    with pytest.raises(ValueError, match="fewer"):
        parse_orlib_gap("1\n2 3\n1 2", "z")


def test_tiny_gap_min_and_max():
    # Capacities 2, every job uses 1: one agent takes two jobs, the other one. Agent 1 is 3 dearer per job,
    # so min = 9 (agent 1 gets one job, e.g. 1 + 2 + 6) and max = 12 (agent 1 gets two, e.g. 1 + 5 + 6).
    [g] = parse_orlib_gap("2 3\n1 2 3\n4 5 6\n1 1 1\n1 1 1\n2 2\n", "t")
    assert solve_gap(g, "min")["objective"] == 9
    r = solve_gap(g, "max")
    assert r["objective"] == 12 and r["status"] == "OPTIMAL"


@needs_gap
def test_gap1_matches_optima():
    optima = {}
    with (GAP_DIR / "optima.csv").open() as f:
        for row in csv.DictReader(f):
            if row["file"] == "gap1.txt":
                optima[int(row["problem"])] = float(row["optimum"])
    problems = read_orlib_gap(GAP_DIR / "gap1.txt")
    assert len(problems) == 5
    for k, inst in enumerate(problems, start=1):
        r = solve_gap(inst, "max", SolveParams(time_limit_s=10, workers=2))
        assert r["status"] == "OPTIMAL"
        assert r["objective"] == optima[k]
    assert optima[1] == 336


def test_instance_json_round_trip_is_anonymous():
    d = random_instance(60, n_zones=9, seed=4)
    sc = Switches(max_providers_per_zone=2, allow_unmet=True, max_moves=10)
    text = to_json(d, sc)
    obj = json.loads(text)
    flat = json.dumps(obj).lower()
    for word in ("name", "lat", "lon", "coord", "id\""):
        assert word not in flat
    d2, sc2 = from_json(text)
    assert sc2 == sc
    for f in ("client_weekly_hours", "client_zone", "pair_staff_hours", "pool_members",
              "provider_max_weekly_hours"):
        assert np.array_equal(getattr(d, f), getattr(d2, f)), f
    assert d2.zone_names is None and d2.provider_names is None


def test_solve_instance_output(tmp_path):
    d = tiny([10, 5], [100, 100], [20, 25], {(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 0})
    path = tmp_path / "inst.json"
    path.write_text(to_json(d))
    out = solve_instance(path, time_limit_s=5)
    assert set(out) == {"status", "objective", "bound", "gap", "seconds", "assignment", "hubs", "recruits"}
    assert out["status"] == "OPTIMAL" and out["assignment"] == [0, 0]
    assert out["objective"] == pytest.approx(300.0)
    json.dumps(out)  # serialisable


def short_zone_instance():
    # Zone 'tiree' (1) has two 30 h clients; the only provider reaching it has 40 h.
    return tiny([30, 30, 5], [40, 100], [20, 20], {(0, 0): 0, (1, 0): 0, (2, 0): 0, (2, 1): 0},
                zones=[1, 1, 0], zone_names=["oban", "tiree"], provider_names=["West Care", "Oban Care"])


def test_precheck_names_the_short_zone_with_numbers():
    msgs = precheck(short_zone_instance(), Switches(allow_unmet=False))
    assert any("'tiree'" in m and "60" in m and "40" in m for m in msgs), msgs


def test_infeasible_solve_diagnosis_names_zone_and_rules():
    r = solve(short_zone_instance(), Switches(allow_unmet=False), SolveParams(time_limit_s=5))
    assert r.status == "INFEASIBLE"
    text = " ".join(r.diagnosis)
    assert "'tiree'" in text
    assert "capacity" in text or "staff hours" in text


def test_conflicting_families_zoning_vs_capacity():
    # Each provider can take one 10 h client; K = 1 forces both clients of the zone onto one provider.
    d = tiny([10, 10], [12, 12], [20, 20], {(i, p): 0 for i in range(2) for p in range(2)})
    sc = Switches(max_providers_per_zone=1, allow_unmet=False)
    assert solve(d, sc, SolveParams(time_limit_s=5)).status == "INFEASIBLE"
    assert conflicting_families(d, sc) == ["assignment", "capacity", "zoning"]
    text = " ".join(diagnose(d, sc))
    assert "at most K providers" in text


def test_conflicting_families_moves_vs_floor():
    # Client must move to reach p1's minimum viable hours, but no moves are allowed.
    d = tiny([10], [100, 100], [20, 20], {(0, 0): 0, (0, 1): 0}, client_current_provider=[0],
             provider_min_viable_hours=[0, 5])
    sc = Switches(max_moves=0, min_viable=True, allow_provider_exit=False)
    fams = conflicting_families(d, sc)
    assert fams == ["continuity", "min_viable"]
    assert conflicting_families(d, Switches()) == []
