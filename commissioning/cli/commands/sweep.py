"""``commissioning sweep SCENARIO.toml --vary KEY=V1,V2,... --out DIR``: many runs, as tasks on Dask."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Run a scenario file many times: every combination of the --vary values (each written into the chosen
variants, default every variant whose mode is not "current"), times --draws N random draws of the ranged
ones (KEY=LOW..HIGH, uniform, --seed S). Each run is a task on Dask distributed: a local cluster of one
worker process per core by default, or an existing cluster with --scheduler ADDRESS (DIR and the data
folder must then be on a file system the workers share). Writes DIR/sweep.csv (one row per run and
variant: the values as vary_KEY columns, every KPI, solver status, gap and seconds, error) and
DIR/sweep.html (trade-off charts, P10/P50/P90 over the draws). Each run's folder is
DIR/runs/<hash of its inputs>/: a rerun of the same command reuses finished runs, so an interrupted sweep
(Ctrl-C: exit 130) resumes; it leaves no half-written run. Without --keep-runs a run's folder keeps only
kpis.json, kpis.csv and scenario.toml. A run that fails is recorded in sweep.csv
with its error and the others go on (exit status 1 when any failed)."""

EXAMPLES = """\
examples:
  commissioning sweep scenario.toml --variant zoned --vary max_providers_per_zone=1,2,3 \\
      --vary move_penalty_gbp=0,50 --work-limit 4 --out sweep-k
  commissioning sweep scenario.toml --vary staff_loss=0.0..0.2 --draws 50 --seed 1 --out summers
  commissioning sweep scenario.toml --vary pools=true,false --scheduler tcp://scheduler-host:8786 --out s"""


def register(subparsers) -> None:
    from commissioning.cli.commands import options

    parser = subparsers.add_parser(
        "sweep",
        help="run a scenario file for every combination of values (and random draws), on Dask",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file (TOML)")
    parser.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                        help="a key of a [[variants]] table and its values (TOML: 1, 2.5, true, \"x\"), "
                             "or a range KEY=LOW..HIGH to draw from; repeat for more keys")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME",
                        help="write the values into this variant (repeatable; default: every variant "
                             "whose mode is not \"current\")")
    parser.add_argument("--draws", type=options.natural, metavar="N", help="random draws of the ranges")
    parser.add_argument("--seed", type=options.natural, default=0, metavar="S",
                        help="seed of the draws (default 0)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="an existing Dask scheduler, e.g. tcp://scheduler-host:8786 "
                             "(default: a new local cluster)")
    parser.add_argument("--workers", type=options.count, metavar="N",
                        help="worker processes of the local cluster (default: one per core, at most one "
                             "per run)")
    parser.add_argument("--time-limit", type=options.seconds, metavar="S",
                        help="wall-clock seconds per variant of each run")
    parser.add_argument("--work-limit", type=options.work_units, metavar="W",
                        help="deterministic CP-SAT work units per variant of each run")
    parser.add_argument("--keep-runs", action="store_true",
                        help="keep each run's whole output folder (report, maps, tables) under DIR/runs")
    parser.add_argument("--out", required=True, metavar="DIR", help="the sweep's folder (a rerun resumes)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=run)


def run(args) -> int:
    from commissioning.cli.commands.run import folder_not_scenario
    from commissioning.sweep.names import check_names
    from commissioning.sweep.plan import SweepError, build_plan

    overrides = {}
    if args.time_limit is not None:
        overrides["time_limit_s"] = args.time_limit
    if args.work_limit is not None:
        overrides["work_limit"] = args.work_limit
    try:
        if (wrong := folder_not_scenario(args.scenario)) is not None:
            raise SweepError(wrong)
        plan = build_plan(args.scenario, args.vary, variants=args.variant, draws=args.draws, seed=args.seed)
        check_names(plan)  # a provider, hub, patch or ferry the data lack: before any run is dispatched
        _check_out(args.out)
        outcome = _run(plan, args, overrides)
    except SweepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        print(f"\ninterrupted: finished runs are kept in {args.out}/runs; run the same command again to "
              "resume", file=sys.stderr)
        return getattr(interrupt, "exit_code", 130)
    return _write(plan, outcome, args.out)


def _check_out(out: str) -> None:
    from pathlib import Path

    from commissioning.sweep.plan import SweepError

    if Path(out).exists() and not Path(out).is_dir():
        raise SweepError(f"--out {out} is a file. Fix: give a folder path with --out")


def _run(plan, args, overrides):
    import io

    from commissioning.sweep.engine import run_sweep

    stream = io.StringIO() if args.quiet else sys.stderr
    return run_sweep(plan, args.out, overrides=overrides, scheduler=args.scheduler, workers=args.workers,
                     keep_runs=args.keep_runs, stream=stream)


def _write(plan, outcome, out: str) -> int:
    from pathlib import Path

    from commissioning.results.folder import write_text_file
    from commissioning.sweep.page import page_html
    from commissioning.sweep.table import csv_text, sweep_rows

    rows = sweep_rows(plan, outcome)
    csv_path = write_text_file(Path(out) / "sweep.csv", csv_text(plan, rows), what="sweep table")
    html_path = write_text_file(Path(out) / "sweep.html", page_html(plan, rows, plan.name), what="sweep page")
    n = len(set(outcome.keys))
    print(f"{n} runs: {outcome.solved} solved, {outcome.cached} from earlier runs, {outcome.failed} failed, "
          f"in {outcome.seconds:.1f} s; wrote {csv_path} and {html_path}")
    failed = sorted({r["error"] for r in rows if r["status"] != "ok"})
    if failed:
        print(f"error: {outcome.failed} of {n} runs failed (their error is in sweep.csv); the first: "
              f"{failed[0]}", file=sys.stderr)
        return 1
    return 0
