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

from solver import SolveParams, Switches, objective_terms, solve, validate_solution  # noqa: E402
from solver.data import ProblemData  # noqa: E402
from solver.generate import random_instance  # noqa: E402


class _Mip:
    """A HiGHS MIP built column by column and row by row, in a fixed order (the same model every run)."""

    def __init__(self):
        self.n_cols = 0
        self.n_rows = 0
        self.cost: list[np.ndarray] = []
        self.continuous: list[int] = []  # columns that are not 0/1: pool hours drawn
        self.rows, self.cols, self.vals, self.lo, self.hi = [], [], [], [], []

    def add_columns(self, cost) -> int:
        """Columns with these costs; returns the index of the first."""
        first = self.n_cols
        self.cost.append(np.asarray(cost))
        self.n_cols += len(self.cost[-1])
        return first

    def add_row(self, cidx, cval, lower: float, upper: float) -> None:
        self.rows.append(np.full(len(cidx), self.n_rows))
        self.cols.append(np.asarray(cidx))
        self.vals.append(np.asarray(cval, dtype=float))
        self.lo.append(lower)
        self.hi.append(upper)
        self.n_rows += 1

    def solve(self, time_limit_s: float, threads: int):
        """``(column values, info, status text)`` after HiGHS ran for at most ``time_limit_s``."""
        entries = (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols)))
        a = sparse.coo_matrix(entries, shape=(self.n_rows, self.n_cols)).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        lp.col_cost_ = np.concatenate(self.cost)
        upper = np.ones(self.n_cols)
        integ = [highspy.HighsVarType.kInteger] * self.n_cols
        for c in self.continuous:
            upper[c] = highspy.kHighsInf
            integ[c] = highspy.HighsVarType.kContinuous
        lp.col_lower_, lp.col_upper_ = np.zeros(self.n_cols), upper
        lp.row_lower_, lp.row_upper_ = np.array(self.lo), np.array(self.hi)
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
        return np.asarray(h.getSolution().col_value), h.getInfo(), h.modelStatusToString(h.getModelStatus())


def solve_highs(d: ProblemData, sc: Switches, time_limit_s: float, threads: int) -> dict:
    t0 = time.perf_counter()
    ok = np.nonzero(d.pair_eligible)[0]
    n_x = len(ok)
    pc, pp = d.pair_client[ok], d.pair_provider[ok]
    staff = d.pair_staff_hours[ok]
    mip = _Mip()
    mip.add_columns(sc.weight_care * d.pair_care_cost_gbp[ok] + sc.weight_travel * d.pair_travel_cost_gbp[ok])
    _assignment_rows(mip, d, sc, pc)
    draws_by_p = _pool_rows(mip, d, pc, pp, staff) if sc.pools else {}
    # Capacity with travel.
    for p in range(d.n_providers):
        ks = np.nonzero(pp == p)[0]
        dc = draws_by_p.get(p, [])
        mip.add_row(ks.tolist() + dc, staff[ks].tolist() + [-1.0] * len(dc), -highspy.kHighsInf,
                    float(d.provider_weekly_staff_hours[p]))
    if sc.max_providers_per_zone is not None:
        _zoning_rows(mip, d, sc, pc, pp)
    x, info, status = mip.solve(time_limit_s, threads)
    assignment = np.full(d.n_clients, -1, dtype=np.int64)
    chosen = np.nonzero(x[:n_x] > 0.5)[0]
    assignment[pc[chosen]] = pp[chosen]
    return {"status": status, "assignment": assignment,
            "objective": info.objective_function_value, "bound": info.mip_dual_bound,
            "gap": info.mip_gap, "seconds": time.perf_counter() - t0}


def _assignment_rows(mip: _Mip, d: ProblemData, sc: Switches, pc: np.ndarray) -> None:
    """Every client assigned once, or unmet (its own column, at the penalty per care hour)."""
    u0 = mip.n_cols
    if sc.allow_unmet:
        mip.add_columns(sc.unmet_penalty_gbp_per_hour * d.client_care_hours)
    order = np.argsort(pc, kind="stable")
    starts = np.searchsorted(pc[order], np.arange(d.n_clients + 1))
    for i in range(d.n_clients):
        idx = order[starts[i]:starts[i + 1]].tolist()
        coef = [1.0] * len(idx)
        if sc.allow_unmet:
            idx.append(u0 + i)
            coef.append(1.0)
        mip.add_row(idx, coef, 1.0, 1.0)


def _pool_rows(mip: _Mip, d: ProblemData, pc: np.ndarray, pp: np.ndarray,
               staff: np.ndarray) -> dict[int, list[int]]:
    """Pool hours drawn per (pool, provider, zone), continuous: within the pool's hours, and no more in a
    (provider, zone) than its pairs there use. Returns the draw columns of each provider."""
    zone_pair = d.client_zone[pc]
    draw_cols: dict[tuple[int, int], list[int]] = {}
    draws_by_p: dict[int, list[int]] = {}
    for q in range(d.n_pools):
        mine = []
        for p in np.nonzero(d.pool_members[q])[0]:
            for z in np.nonzero(d.pool_zones[q])[0]:
                if not np.any((pp == p) & (zone_pair == z)):
                    continue
                col = mip.add_columns(np.zeros(1))
                mip.continuous.append(col)
                draw_cols.setdefault((int(p), int(z)), []).append(col)
                draws_by_p.setdefault(int(p), []).append(col)
                mine.append(col)
        if mine:
            mip.add_row(mine, [1.0] * len(mine), -highspy.kHighsInf, float(d.pool_weekly_hours[q]))
    for (p, z), dc in draw_cols.items():
        ks = np.nonzero((pp == p) & (zone_pair == z))[0]
        mip.add_row(dc + ks.tolist(), [1.0] * len(dc) + (-staff[ks]).tolist(), -highspy.kHighsInf, 0.0)
    return draws_by_p


def _zoning_rows(mip: _Mip, d: ProblemData, sc: Switches, pc: np.ndarray, pp: np.ndarray) -> None:
    """Zoning: x ≤ y per pair, and at most K providers (y) per zone; pinned clients are exempt."""
    zone_pair = d.client_zone[pc]
    free = d.client_pinned_provider[pc] != pp
    keys = sorted(set(zip(zone_pair[free].tolist(), pp[free].tolist(), strict=True)))
    y0 = mip.add_columns(np.zeros(len(keys)))
    ycol = {k: y0 + j for j, k in enumerate(keys)}
    pinned = d.client_pinned_provider[pc] == pp  # pinned clients are exempt from zoning
    for k in range(len(pc)):
        if not pinned[k]:
            mip.add_row([k, ycol[int(zone_pair[k]), int(pp[k])]], [1.0, -1.0], -highspy.kHighsInf, 0.0)
    by_zone: dict[int, list[int]] = {}
    for (z, _p), c in ycol.items():
        by_zone.setdefault(z, []).append(c)
    for _z, cs in by_zone.items():
        if len(cs) > sc.max_providers_per_zone:
            mip.add_row(cs, [1.0] * len(cs), -highspy.kHighsInf, float(sc.max_providers_per_zone))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--portfolio", default="auto")
    args = ap.parse_args(argv)
    sc = Switches(max_providers_per_zone=args.k, allow_unmet=True)
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
