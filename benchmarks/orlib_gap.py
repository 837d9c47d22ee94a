"""OR-Library GAP benchmark through the allocation core.

    python benchmarks/orlib_gap.py /work/shared/bench/gap/gap1.txt ... --sense max --time-limit 10 --workers 2

Prints CSV: instance,m,n,sense,objective,bound,status,seconds (instance = <file stem>-<k>, k from 1).
With ``--optima optima.csv`` a gap_to_optimum column is added.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.data import SolveParams  # noqa: E402
from solver.gap import read_orlib_gap, solve_gap  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--sense", choices=["min", "max"], required=True)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--portfolio", default="auto")
    ap.add_argument("--optima", type=Path, help="optima.csv (file,problem,m,n,sense,optimum)")
    ap.add_argument("--no-target-search", action="store_true",
                    help="solve the plain CP-SAT model only (no Lagrangian target search), for comparison")
    args = ap.parse_args(argv)
    optima = {}
    if args.optima:
        with args.optima.open() as f:
            for row in csv.DictReader(f):
                optima[f"{Path(row['file']).stem}-{row['problem']}"] = float(row["optimum"])
    params = SolveParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed,
                         portfolio=args.portfolio, gap_target_search=not args.no_target_search,
                         deterministic=False)  # wall-clock seconds, as the published comparisons are
    out = csv.writer(sys.stdout, lineterminator="\n")
    header = ["instance", "m", "n", "sense", "objective", "bound", "status", "seconds"]
    out.writerow(header + (["gap_to_optimum"] if optima else []))
    for path in args.files:
        for inst in read_orlib_gap(path):
            r = solve_gap(inst, args.sense, params)
            row = [r["instance"], r["m"], r["n"], r["sense"], f"{r['objective']:.0f}", f"{r['bound']:.2f}",
                   r["status"], f"{r['seconds']:.2f}"]
            if optima:
                opt = optima.get(r["instance"])
                row.append("" if opt is None else f"{abs(r['objective'] - opt) / abs(opt):.4%}")
            out.writerow(row)
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
