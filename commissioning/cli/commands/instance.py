"""``export-instance`` and ``solve-instance``: anonymised problem instances analysts can share.

The exported JSON holds arrays only (hours, visits, travel minutes, capacities, zone and provider
*positions*): no client ids, names or coordinates. The format is documented in :mod:`solver.instance`.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    export = subparsers.add_parser(
        "export-instance",
        help="write a scenario folder's allocation problem as anonymised JSON",
        description="Write the allocation problem of a scenario folder as JSON with no names and no "
        "coordinates, for sharing with analysts.",
    )
    export.add_argument("folder", help="scenario folder (clients.csv, providers.csv, ...)")
    export.add_argument("--out", required=True, help="JSON file to write")
    add_scenario_options(export)
    export.set_defaults(func=run_export)

    solve = subparsers.add_parser(
        "solve-instance",
        help="solve an anonymised JSON instance",
        description=(
            "Solve one exported instance and print status, objective, bound, gap, seconds and assignment."
        ),
    )
    solve.add_argument("file", help="instance JSON (from export-instance)")
    add_solver_options(solve)
    solve.add_argument("--json", action="store_true", help="print the result as JSON")
    solve.set_defaults(func=run_solve)


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    from commissioning.cli.commands import options
    from commissioning.scenario.defaults import (
        DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT,
        DEFAULT_MOVE_PENALTY_GBP,
        DEFAULT_UNMET_PENALTY_GBP_PER_HOUR,
    )

    group = parser.add_argument_group("scenario")
    group.add_argument(
        "--max-providers-per-zone",
        type=options.count,
        default=None,
        metavar="K",
        help="zoning: at most K providers per zone (default: no zoning)",
    )
    group.add_argument("--no-pools", action="store_true", help="switch shared staff pools off")
    group.add_argument(
        "--no-unmet",
        action="store_true",
        help="every client must be allocated (default: unmet allowed at a penalty)",
    )
    group.add_argument(
        "--unmet-penalty-gbp",
        type=options.money,
        default=DEFAULT_UNMET_PENALTY_GBP_PER_HOUR,
        metavar="GBP",
        help=f"penalty per unmet care hour per week (default {DEFAULT_UNMET_PENALTY_GBP_PER_HOUR:g})",
    )
    group.add_argument(
        "--max-moves",
        type=options.natural,
        default=None,
        metavar="N",
        help="continuity: at most N clients change provider",
    )
    group.add_argument(
        "--move-penalty-gbp", type=options.money, default=DEFAULT_MOVE_PENALTY_GBP, metavar="GBP",
        help=f"penalty per move (default {DEFAULT_MOVE_PENALTY_GBP:g})",
    )
    group.add_argument(
        "--max-travel-minutes",
        type=options.minutes,
        default=DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT,
        metavar="MIN",
        help="longest travel per visit a provider may be given "
        f"(default {DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT:g})",
    )
    group.add_argument(
        "--seed",
        type=options.natural,
        default=0,
        metavar="N",
        help="seed of the random order of clients, providers, zones and pools (default 0)",
    )


def add_solver_options(parser: argparse.ArgumentParser) -> None:
    from commissioning.cli.commands import options

    group = parser.add_argument_group("solver")
    group.add_argument(
        "--time-limit", type=options.seconds, default=30.0, metavar="S",
        help="wall-clock seconds, a hard stop (default 30)",
    )
    group.add_argument(
        "--work-limit", type=options.work_units, default=None, metavar="U",
        help="deterministic work units (default: time limit × 0.5)",
    )
    group.add_argument(
        "--nondeterministic", action="store_true",
        help="let the clock alone limit the search (answers may differ between runs)",
    )
    group.add_argument(
        "--workers", type=options.worker_count, default=2, metavar="W", help="CP-SAT workers (default 2)"
    )
    group.add_argument("--seed", type=options.seed, default=0, metavar="N", help="random seed (default 0)")
    group.add_argument(
        "--export-model",
        default=None,
        metavar="FILE",
        help="also write the CP-SAT model (.pb or .pbtxt) for inspection",
    )


def scenario_params(args):
    from solver import ScenarioParams

    return ScenarioParams(
        max_providers_per_zone=args.max_providers_per_zone,
        pools_enabled=not args.no_pools,
        allow_unmet=not args.no_unmet,
        unmet_penalty_per_hour_gbp=args.unmet_penalty_gbp,
        max_moves=args.max_moves,
        move_penalty_gbp=args.move_penalty_gbp,
    )


def run_export(args) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from commissioning.inputs.folder import load_scenario
    from commissioning.results.folder import write_text_file
    from commissioning.running.problem import build_problem
    from commissioning.running.travel import travel_model_for
    from solver.instance import Precision, anonymised, to_json

    data = load_scenario(args.folder)
    problem, index = build_problem(
        data,
        travel_model_for(data),
        pools_enabled=not args.no_pools,
        max_travel_minutes_per_visit=args.max_travel_minutes,
    )
    precision = Precision()
    about = {"anonymised": {"order_seed": args.seed, **asdict(precision)}}
    text = to_json(anonymised(problem, args.seed, precision), scenario_params(args), about)
    out = write_text_file(Path(args.out), text, what="instance file")
    print(
        f"wrote {out}: {problem.n_clients} clients, {problem.n_providers} providers, "
        f"{len(problem.pair_client)} eligible pairs, {problem.n_zones} zones (no names, no coordinates; rows "
        f"in a random order (seed {args.seed}), hours to {precision.client_hours_step:g} h, rates to "
        f"£{precision.rate_step_gbp:g}, staff hours to {precision.staff_hours_step:g} h)"
    )
    if index.travel_approximate:
        print("travel: approximate (great-circle distance x 1.3 at 40 km/h; no road or ferry network)")
    return 0


def _read_instance(path):
    from commissioning.errors import CareCommissioningError
    from solver.instance import from_json

    if not path.is_file():
        raise CareCommissioningError(
            f"{path}: no such instance file. Fix: give the JSON written by export-instance."
        )
    try:
        return from_json(path)
    except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError, RecursionError) as error:
        raise CareCommissioningError(f"{path}: not a valid instance ({error}). Fix: re-export it.") from error


def run_solve(args) -> int:
    import math
    from pathlib import Path

    from commissioning.errors import CareCommissioningError, InfeasibleError
    from solver import SolveParams, solve

    path = Path(args.file)
    data, scenario = _read_instance(path)
    if args.export_model:
        _check_model_path(Path(args.export_model))
    params = SolveParams(
        time_limit_s=args.time_limit, work_limit=args.work_limit, deterministic=not args.nondeterministic,
        workers=args.workers, seed=args.seed, export_model=args.export_model,
    )
    result = solve(data, scenario, params)
    if not len(result.assignment):
        why = "".join(f"\n  - {line}" for line in result.diagnosis)
        message = f"{path}: no feasible allocation (status {result.status}).{why}"
        raise InfeasibleError(message, result.diagnosis)
    if result.violations:
        raise CareCommissioningError(f"{path}: the allocation found breaks rules: {result.violations[:3]}")

    def number(value: float) -> float | None:
        return float(value) if math.isfinite(value) else None

    if args.json:
        json.dump(
            {
                "status": result.status,
                "objective": number(result.objective),
                "bound": number(result.bound),
                "gap": number(result.gap),
                "seconds": round(result.seconds, 3),
                "assignment": result.assignment.tolist(),
            },
            sys.stdout,
        )
        print()
    else:
        print(result.summary())
    return 0


def _check_model_path(path) -> None:
    """Refuse at once a model path that cannot be written (the solver's own write is checked too)."""
    from commissioning.errors import CareCommissioningError

    if path.suffix not in (".pb", ".pbtxt"):
        raise CareCommissioningError(f"--export-model {path}: must end in .pb or .pbtxt. Fix: e.g. model.pb")
    if path.is_dir() or not path.parent.is_dir():
        raise CareCommissioningError(
            f"--export-model {path}: cannot write the model there. Fix: give a file path in a folder you can "
            "write to."
        )
