"""Time and memory of a zoned run as the default scenario grows (issue 15's table).

    python benchmarks/scale.py [--sizes 10000 20000 50000 100000] [--seconds-per-1000 6] [--k 2]
                               [--work-per-1000 W]

Each size runs in a process of its own (so its peak memory is its own): the default scenario generated with
that many clients (seed 1), zoned K = 2 with pools on, 2 workers, clock-limited at ``seconds-per-1000`` ×
clients / 1,000 seconds (20,000 clients: 120 s, 100,000: 600 s). Prints one row per size: the objective,
the proven bound and gap, today's allocation's objective under the same prices (it may break the zoning and
workforce rules), unmet clients, the solve's seconds, the whole process's seconds (generation and building
included) and its peak resident memory. ``--work-per-1000 W``: deterministic instead (the product's default
mode), with W work units per 1,000 clients and the same time limit as its hard stop; the ``clock`` column
then says whether the hard stop, not the work, ended a part of the run (the answer may then not repeat).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def one(n_clients: int, time_limit_s: float, k: int, work_limit: float | None = None) -> dict:
    """One size, in this process: the row's figures."""
    from default_scenario import build, generate

    from solver import SolveParams, Switches, solve
    from solver.measures import objective_terms
    from solver.today import today_choice

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        problem = build(n_clients, 1, True, generate(n_clients, 1, Path(tmp)))
    sc = Switches(max_providers_per_zone=k, pools=True, allow_unmet=True)
    r = solve(problem, sc, SolveParams(time_limit_s=time_limit_s, workers=2, seed=0,
                                       deterministic=work_limit is not None, work_limit=work_limit))
    today = today_choice(problem)
    return {"clients": n_clients, "objective": r.objective, "bound": r.bound, "gap": r.gap,
            "today": float(sum(objective_terms(problem, sc, today).values())),
            "unmet": int((r.assignment < 0).sum()), "violations": len(r.violations),
            "solve_s": r.seconds, "total_s": time.perf_counter() - t0, "clock": r.stopped_by_clock,
            "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 50_000, 100_000])
    ap.add_argument("--seconds-per-1000", type=float, default=6.0)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--work-per-1000", type=float, default=None,
                    help="deterministic runs with this many work units per 1,000 clients")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process's size
    args = ap.parse_args(argv)
    if args.one:
        work = args.work_per_1000 * args.one / 1000 if args.work_per_1000 else None
        print(json.dumps(one(args.one, args.seconds_per_1000 * args.one / 1000, args.k, work)))
        return 0
    print(f"{'clients':>8}{'objective £':>15}{'bound £':>15}{'gap %':>8}{'today £':>15}{'unmet':>7}"
          f"{'viol.':>6}{'solve s':>9}{'total s':>9}{'peak GiB':>10}{'clock':>7}")
    work = ["--work-per-1000", str(args.work_per_1000)] if args.work_per_1000 else []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--k", str(args.k),
                              "--seconds-per-1000", str(args.seconds_per_1000), *work],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{row['clients']:>8}{row['objective']:>15,.0f}{row['bound']:>15,.0f}{100 * row['gap']:>8.3f}"
              f"{row['today']:>15,.0f}{row['unmet']:>7}{row['violations']:>6}{row['solve_s']:>9.1f}"
              f"{row['total_s']:>9.1f}{row['peak_gib']:>10.2f}{'yes' if row['clock'] else 'no':>7}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
