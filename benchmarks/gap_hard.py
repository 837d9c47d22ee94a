"""Hard generalised assignment problems (types D and E) through the allocation core against HiGHS MIP.

    python benchmarks/gap_hard.py --sizes 20x400 30x900 40x1600 --kinds D E --time-limit 30 --threads 2

For each kind and size ``m``x``n`` one minimisation instance from :func:`solver.gap.generate_gap` (seed
``--seed``; type D of Chu and Beasley, type E of Laguna et al., the families Yagiura et al. use at
n = 400..1,600) is solved three ways at equal wall-clock time and threads:

- core: :func:`solver.gap.solve_gap` as a user runs it (Lagrangian target search on, the default; not
  deterministic, so the clock alone ends it and HiGHS races CP-SAT where the core's LP start runs);
- plain: the same with ``gap_target_search=False`` (the plain CP-SAT model);
- HiGHS: branch and cut on the textbook model built here with highspy (binary x_ij, sum_i x_ij = 1 for every
  job, sum_j a_ij x_ij <= b_i for every agent).

Every allocation is checked (each job on one agent, no capacity exceeded) and its cost recomputed by
:func:`solver.gap.gap_cost` before it is printed; a missing or infeasible allocation prints as empty.
Prints CSV: instance,m,n,core_obj,core_bound,plain_obj,plain_bound,highs_obj,highs_bound,ratio_core_highs,
ratio_core_plain (ratio < 1: the core's allocation is cheaper), same_path (1: the core took the plain model's
stages, so a difference between the two is run-to-run noise), then one line with the mean core/HiGHS ratio
and the count of instances where the core's allocation is worse than the plain model's. The core's stages
(which path it took) go to stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import highspy  # noqa: E402

from solver.data import SolveParams  # noqa: E402
from solver.gap import GapInstance, gap_cost, generate_gap, solve_gap  # noqa: E402
from solver.lp import (
    new_highs,  # noqa: E402
    reset_threads,  # noqa: E402
)

HEADER = ("instance,m,n,core_obj,core_bound,plain_obj,plain_bound,highs_obj,highs_bound,ratio_core_highs,"
          "ratio_core_plain,same_path")


def gap_mip(inst: GapInstance) -> highspy.HighsLp:
    """Binary x_ij (column i * n + j), one assignment row per job, one capacity row per agent."""
    m, n, inf = inst.m, inst.n, highspy.kHighsInf
    agents, jobs = np.divmod(np.arange(m * n), n)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m * n, n + m
    lp.col_cost_ = inst.cost.ravel().astype(np.float64)
    lp.col_lower_, lp.col_upper_ = np.zeros(m * n), np.ones(m * n)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m, -inf)])
    lp.row_upper_ = np.concatenate([np.ones(n), inst.capacity.astype(np.float64)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * m * n + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = np.column_stack([jobs, n + agents]).ravel().astype(np.int32)
    lp.a_matrix_.value_ = np.column_stack([np.ones(m * n), inst.resource.ravel()]).ravel().astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * (m * n)
    return lp


def solve_highs(inst: GapInstance, time_limit_s: float, threads: int, seed: int) -> dict:
    """HiGHS's branch and cut: ``{"assignment", "bound", "status", "seconds"}`` (assignment -1: none)."""
    t0 = time.perf_counter()
    reset_threads()  # the core's HiGHS (race, LP) ran in this process with its own thread count
    h = new_highs(threads=threads, time_limit=float(time_limit_s), random_seed=seed)
    h.passModel(gap_mip(inst))
    h.run()
    x = np.asarray(h.getSolution().col_value)
    assignment = np.full(inst.n, -1, dtype=np.int64)
    if len(x) == inst.m * inst.n:
        agents, jobs = np.nonzero(x.reshape(inst.m, inst.n) > 0.5)
        assignment[jobs] = agents
    return {"assignment": assignment, "bound": h.getInfo().mip_dual_bound,
            "status": h.modelStatusToString(h.getModelStatus()), "seconds": time.perf_counter() - t0}


def checked_cost(inst: GapInstance, assignment: np.ndarray, who: str) -> float:
    """The allocation's cost when it is complete and feasible, else NaN (and why, on stderr)."""
    if (np.asarray(assignment) < 0).all():
        print(f"# {inst.name} {who}: no allocation", file=sys.stderr)
        return math.nan
    try:
        return float(gap_cost(inst, assignment))
    except ValueError as exc:
        print(f"# {inst.name} {who}: INFEASIBLE allocation: {exc}", file=sys.stderr)
        return math.nan


def _fmt(x: float, digits: int = 0) -> str:
    return "" if not math.isfinite(x) else f"{x:.{digits}f}"


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b else math.nan


def run_one(inst: GapInstance, args: argparse.Namespace) -> tuple[float, float, float, bool, str]:
    """Solve ``inst`` three ways; the CSV row's objectives, whether the core took the plain model's path
    (the same stages: then any difference between the two is run-to-run noise) and the row itself."""
    base = dict(time_limit_s=args.time_limit, workers=args.threads, seed=args.seed, deterministic=False)
    core = solve_gap(inst, "min", SolveParams(**base))
    plain = solve_gap(inst, "min", SolveParams(**base, gap_target_search=False))
    highs = solve_highs(inst, args.time_limit, args.threads, args.seed)
    core_obj = checked_cost(inst, core["assignment"], "core")
    plain_obj = checked_cost(inst, plain["assignment"], "plain")
    highs_obj = checked_cost(inst, highs["assignment"], "highs")
    print(f"# {inst.name}: core {core['status']} {core['seconds']:.1f}s stages {'/'.join(core['stages'])}; "
          f"plain {plain['status']} {plain['seconds']:.1f}s stages {'/'.join(plain['stages'])}; "
          f"highs {highs['status']} {highs['seconds']:.1f}s", file=sys.stderr)
    same_path = core["stages"] == plain["stages"]
    row = ",".join([inst.name, str(inst.m), str(inst.n), _fmt(core_obj), _fmt(core["bound"], 2),
                    _fmt(plain_obj), _fmt(plain["bound"], 2), _fmt(highs_obj), _fmt(highs["bound"], 2),
                    _fmt(_ratio(core_obj, highs_obj), 5), _fmt(_ratio(core_obj, plain_obj), 5),
                    str(int(same_path))])
    return core_obj, plain_obj, highs_obj, same_path, row


def _size(text: str) -> tuple[int, int]:
    try:
        m, n = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: write agents x jobs, e.g. 20x400") from None
    return m, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=_size, nargs="+", default=[(20, 400), (30, 900), (40, 1600)],
                    help="agents x jobs, e.g. 20x400 (default: 20x400 30x900 40x1600)")
    ap.add_argument("--kinds", nargs="+", choices=["D", "E"], default=["D", "E"])
    ap.add_argument("--time-limit", type=float, default=30.0, help="wall-clock seconds a solve")
    ap.add_argument("--threads", type=int, default=2, help="threads (CP-SAT workers, HiGHS threads)")
    ap.add_argument("--seed", type=int, default=1, help="the instances' seed and the solvers' random seed")
    args = ap.parse_args(argv)
    print(HEADER)
    ratios, worse, noise = [], 0, 0
    for kind in args.kinds:
        for m, n in args.sizes:
            inst = generate_gap(kind, m, n, args.seed)
            core_obj, plain_obj, highs_obj, same_path, row = run_one(inst, args)
            print(row)
            sys.stdout.flush()
            ratios.append(_ratio(core_obj, highs_obj))
            is_worse = math.isfinite(plain_obj) and not core_obj <= plain_obj  # no core allocation: worse
            worse += is_worse
            noise += is_worse and same_path
    finite = [r for r in ratios if math.isfinite(r)]
    mean = sum(finite) / len(finite) if finite else math.nan
    print(f"mean ratio core/HiGHS {_fmt(mean, 5) or 'n/a'} over {len(finite)} of {len(ratios)} instances; "
          f"core worse than plain on {worse} ({noise} of them on the plain model's own path)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
