"""CP-SAT (through the core) against HiGHS MIP on the same allocation model.

    python benchmarks/vs_highs.py --sizes 1000 5000 20000 --time-limit 30 --threads 2 --k 2 [--workforce]

Random instances from :mod:`solver.generate` (125 zones, 15 providers, sparse eligibility, travel minutes,
4 pools); ``--workforce`` gives them carers at hubs (weekly and band hours, drivers and non-drivers, pools
as carers at a hub). HiGHS solves the model the core's LP start relaxes (:class:`solver.lp.LpModel`: every
rule of the registry adds its columns and rows, the same integer minutes and pence), with every column
integral but the non-drivers' minutes, so both solvers see one model. Both objectives are recomputed from the
returned allocations by :func:`solver.validate.objective_terms` and both are checked by the validator.
ratio = core objective / HiGHS objective (≤ 1 means the core is as good).

The core's clock-limited runs race HiGHS (one thread) against CP-SAT (one worker fewer) on the same threads
(:mod:`solver.highs_search`); ``--cpsat-only`` measures CP-SAT alone (``SolveParams.highs_search=False``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from solver import SolveParams, Switches, objective_terms, solve, validate_choice  # noqa: E402
from solver.data import ProblemData  # noqa: E402
from solver.generate import random_instance  # noqa: E402


def solve_highs(d: ProblemData, sc: Switches, time_limit_s: float, threads: int) -> dict:
    from solver.highs_search import mip_model
    from solver.lp import build_lp, new_highs, reset_threads

    t0 = time.perf_counter()
    lpm = build_lp(d, sc)
    reset_threads()  # the core's race used one HiGHS thread in this process
    h = new_highs(threads=threads, time_limit=float(time_limit_s))
    h.passModel(mip_model(lpm))
    h.run()
    info, status = h.getInfo(), h.modelStatusToString(h.getModelStatus())
    x = np.asarray(h.getSolution().col_value)
    choice = np.full(d.n_clients, -1, dtype=np.int64)
    recruits = np.zeros((d.n_hubs, 2), dtype=np.int64)
    if len(x):
        chosen = np.nonzero(x[:lpm.nx] > 0.5)[0]
        choice[d.pair_client[lpm.ks[chosen]]] = lpm.ks[chosen]
        start, keys = lpm.block("recruits")
        for j, (hub, kind) in enumerate(keys):
            recruits[hub, kind] = int(round(x[start + j]))
    return {"status": status, "choice": choice, "recruits": recruits,
            "bound": (info.mip_dual_bound + lpm.offset) / 100.0, "gap": info.mip_gap,
            "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--portfolio", default="auto")
    ap.add_argument("--workforce", action="store_true", help="carers at hubs (the workforce rules)")
    ap.add_argument("--cpsat-only", action="store_true", help="the core without HiGHS's race")
    args = ap.parse_args(argv)
    sc = Switches(max_providers_per_zone=args.k, allow_unmet=True)
    print("clients,pairs,hubs,cpsat_obj,cpsat_gap,cpsat_s,cpsat_status,highs_obj,highs_gap,highs_s,highs_status,"
          "ratio,cpsat_valid,highs_valid")
    for n in args.sizes:
        d = random_instance(n, seed=args.seed, workforce=args.workforce)
        c = solve(d, sc, SolveParams(time_limit_s=args.time_limit, workers=args.threads, seed=args.seed,
                                     portfolio=args.portfolio, deterministic=False,  # equal wall time
                                     highs_search=not args.cpsat_only))
        h = solve_highs(d, sc, args.time_limit, args.threads)
        h_obj = sum(objective_terms(d, sc, h["choice"], h["recruits"]).values())
        h_valid = not validate_choice(d, sc, h["choice"], h["recruits"])
        ratio = c.objective / h_obj if h_obj and math.isfinite(h_obj) else float("nan")
        print(f"{n},{len(d.pair_client)},{d.n_hubs},{c.objective:.2f},{c.gap:.4%},{c.seconds:.1f},{c.status},"
              f"{h_obj:.2f},{h['gap']:.4%},{h['seconds']:.1f},{h['status']},{ratio:.5f},{not c.violations},"
              f"{h_valid}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
