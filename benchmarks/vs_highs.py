"""CP-SAT (through the core) against HiGHS MIP on the same allocation model.

    python benchmarks/vs_highs.py --sizes 1000 5000 20000 --time-limit 30 --threads 2 --k 2

Random instances from :mod:`solver.generate` (125 zones, 15 providers, sparse eligibility, travel minutes,
4 pools). Model for both: capacity with travel, zoning with per-pair linking x ≤ y and at most K providers
per zone, pools drawn per (pool, provider, zone), unmet allowed at 1000 GBP per care hour. Both objectives
are recomputed from the returned assignments by :func:`solver.validate.objective_terms` and both assignments
are checked by the validator. ratio = CP-SAT objective / HiGHS objective (≤ 1 means CP-SAT is as good).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import highspy  # noqa: E402
from scipy import sparse  # noqa: E402

from solver import ScenarioParams, SolveParams, objective_terms, solve, validate_solution  # noqa: E402
from solver.data import ProblemData  # noqa: E402
from solver.generate import random_instance  # noqa: E402


def solve_highs(d: ProblemData, sc: ScenarioParams, time_limit_s: float, threads: int) -> dict:
    t0 = time.perf_counter()
    ok = np.nonzero(d.pair_eligible)[0]
    n_x = len(ok)
    pc, pp = d.pair_client[ok], d.pair_provider[ok]
    staff = d.pair_staff_hours[ok]
    cols_cost = [sc.weight_care * d.pair_care_cost_gbp[ok] + sc.weight_travel * d.pair_travel_cost_gbp[ok]]
    col = n_x
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def add_row(cidx, cval, lower, upper):
        nonlocal r
        rows.append(np.full(len(cidx), r))
        cols.append(np.asarray(cidx))
        vals.append(np.asarray(cval, dtype=float))
        lo.append(lower)
        hi.append(upper)
        r += 1

    # Unmet columns.
    u0 = col
    if sc.allow_unmet:
        cols_cost.append(sc.unmet_penalty_per_hour_gbp * d.client_care_hours)
        col += d.n_clients
    order = np.argsort(pc, kind="stable")
    starts = np.searchsorted(pc[order], np.arange(d.n_clients + 1))
    for i in range(d.n_clients):
        idx = order[starts[i]:starts[i + 1]].tolist()
        coef = [1.0] * len(idx)
        if sc.allow_unmet:
            idx.append(u0 + i)
            coef.append(1.0)
        add_row(idx, coef, 1.0, 1.0)
    # Pool draws (continuous, hours).
    zone_pair = d.client_zone[pc]
    draw_cols: dict[tuple[int, int], list[int]] = {}
    draws_by_p: dict[int, list[int]] = {}
    if sc.pools_enabled:
        for q in range(d.n_pools):
            mine = []
            for p in np.nonzero(d.pool_members[q])[0]:
                for z in np.nonzero(d.pool_zones[q])[0]:
                    if not np.any((pp == p) & (zone_pair == z)):
                        continue
                    draw_cols.setdefault((int(p), int(z)), []).append(col)
                    draws_by_p.setdefault(int(p), []).append(col)
                    mine.append(col)
                    cols_cost.append(np.zeros(1))
                    col += 1
            if mine:
                add_row(mine, [1.0] * len(mine), -highspy.kHighsInf, float(d.pool_weekly_hours[q]))
        for (p, z), dc in draw_cols.items():
            ks = np.nonzero((pp == p) & (zone_pair == z))[0]
            add_row(dc + ks.tolist(), [1.0] * len(dc) + (-staff[ks]).tolist(), -highspy.kHighsInf, 0.0)
    # Capacity with travel.
    for p in range(d.n_providers):
        ks = np.nonzero(pp == p)[0]
        dc = draws_by_p.get(p, [])
        add_row(ks.tolist() + dc, staff[ks].tolist() + [-1.0] * len(dc), -highspy.kHighsInf,
                float(d.provider_weekly_staff_hours[p]))
    # Zoning: x <= y per pair, sum_p y <= K.
    y0 = col
    if sc.max_providers_per_zone is not None:
        free = d.client_pinned_provider[pc] != pp
        keys = sorted(set(zip(zone_pair[free].tolist(), pp[free].tolist(), strict=True)))
        ycol = {k: y0 + j for j, k in enumerate(keys)}
        cols_cost.append(np.zeros(len(keys)))
        col += len(keys)
        pinned = d.client_pinned_provider[pc] == pp  # pinned clients are exempt from zoning
        for k in range(n_x):
            if not pinned[k]:
                add_row([k, ycol[int(zone_pair[k]), int(pp[k])]], [1.0, -1.0], -highspy.kHighsInf, 0.0)
        by_zone: dict[int, list[int]] = {}
        for (z, _p), c in ycol.items():
            by_zone.setdefault(z, []).append(c)
        for _z, cs in by_zone.items():
            if len(cs) > sc.max_providers_per_zone:
                add_row(cs, [1.0] * len(cs), -highspy.kHighsInf, float(sc.max_providers_per_zone))
    a = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(r, col)).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = col, r
    lp.col_cost_ = np.concatenate(cols_cost)
    lower = np.zeros(col)
    upper = np.ones(col)
    integ = [highspy.HighsVarType.kInteger] * col
    for dc in draw_cols.values():
        for c in dc:
            upper[c] = highspy.kHighsInf
            integ[c] = highspy.HighsVarType.kContinuous
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.row_lower_, lp.row_upper_ = np.array(lo), np.array(hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = integ
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value)
    assignment = np.full(d.n_clients, -1, dtype=np.int64)
    chosen = np.nonzero(x[:n_x] > 0.5)[0]
    assignment[pc[chosen]] = pp[chosen]
    return {"status": h.modelStatusToString(h.getModelStatus()), "assignment": assignment,
            "objective": info.objective_function_value, "bound": info.mip_dual_bound,
            "gap": info.mip_gap, "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--portfolio", default="auto")
    args = ap.parse_args(argv)
    sc = ScenarioParams(max_providers_per_zone=args.k, allow_unmet=True)
    print("clients,pairs,cpsat_obj,cpsat_gap,cpsat_s,cpsat_status,highs_obj,highs_gap,highs_s,highs_status,ratio,"
          "cpsat_valid,highs_valid")
    for n in args.sizes:
        d = random_instance(n, seed=args.seed)
        c = solve(d, sc, SolveParams(time_limit_s=args.time_limit, workers=args.threads, seed=args.seed,
                                     portfolio=args.portfolio, deterministic=False))  # equal wall time
        h = solve_highs(d, sc, args.time_limit, args.threads)
        h_obj = sum(objective_terms(d, sc, h["assignment"]).values())
        h_valid = not validate_solution(d, sc, h["assignment"])
        ratio = c.objective / h_obj if h_obj else float("nan")
        print(f"{n},{len(d.pair_client)},{c.objective:.2f},{c.gap:.4%},{c.seconds:.1f},{c.status},{h_obj:.2f},"
              f"{h['gap']:.4%},{h['seconds']:.1f},{h['status']},{ratio:.5f},{not c.violations},{h_valid}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
