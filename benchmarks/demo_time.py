"""Wall time of ``commissioning demo`` (acceptance: at most 60 s on 2 cores) and each variant's solve.

    python benchmarks/demo_time.py [--clients 1000] [--time-limit S] [--workers 2] [--keep DIR]

Runs the demo in-process exactly as the command does (generate, load, build, solve every variant of the
embedded default scenario, route, write tables, workbook, maps and report) into a temporary folder, then
prints the total wall time, the phases, and one row per variant: mode, status, solve seconds, time limit
(seconds) and work limit (deterministic units),
gap, objective, bound, travel hours (hub-priced and routed). Import time is included in the wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

T_START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=None, help="default: the embedded scenario's 1000")
    ap.add_argument("--time-limit", type=float, default=None, help="override every variant's time limit")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--keep", default=None, help="write the demo here instead of a temporary folder")
    args = ap.parse_args(argv)

    from commissioning.cli import main as cli_main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep) if args.keep else Path(tmp) / "demo"
        cli = ["demo", "--out", str(out), "--quiet", "--force"]
        if args.clients:
            cli += ["--clients", str(args.clients)]
        if args.time_limit:
            cli += ["--time-limit", str(args.time_limit)]
        if args.workers:
            cli += ["--workers", str(args.workers)]
        t0 = time.perf_counter()
        with open(os.devnull, "w") as devnull:
            stdout, sys.stdout = sys.stdout, devnull
            try:
                status = cli_main(cli)
            finally:
                sys.stdout = stdout
        wall = time.perf_counter() - T_START
        run_s = time.perf_counter() - t0
        if status != 0:
            print(f"demo failed with status {status}")
            return status
        import json

        kpis = json.loads((out / "kpis.json").read_text())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"# demo wall time {wall:.1f} s (command {run_s:.1f} s, imports {wall - run_s:.1f} s) on {cores} "
        f"core(s); limit 60 s: {'OK' if wall <= 60 else 'OVER'}"
    )
    print(
        f"# {kpis['data']['clients']} clients, {kpis['data']['providers']} providers, "
        f"{kpis['data']['zones']} zones, travel model {kpis['travel_model']}"
    )
    print(
        f"{'variant':<12}{'mode':<11}{'status':<11}{'solve s':>8}{'limit s':>8}{'work':>6}{'gap %':>8}"
        f"{'objective £':>14}"
        f"{'bound £':>14}{'travel h':>10}{'routed h':>10}"
    )
    for name in kpis["variants"]:
        v = kpis["scenarios"][name]
        s = v["solver"]

        def num(x, fmt):
            width = int(re.match(r"\d+", fmt).group())
            return f"{'—':>{width}}" if x is None else format(x, fmt)

        print(
            f"{name:<12}{v['mode']:<11}{s['status']:<11}{num(s['seconds'], '8.1f')}"
            f"{num(s.get('time_limit_s'), '8.0f')}{num(s.get('work_limit'), '6.1f')}"
            f"{num(None if s['gap'] is None else 100 * s['gap'], '8.3f')}"
            f"{num(s['objective'], '14,.0f')}{num(s['bound'], '14,.0f')}"
            f"{num(v['travel_hours_per_week'], '10,.0f')}{num(v['travel_hours_per_week_routed'], '10,.0f')}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
