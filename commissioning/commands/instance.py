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
    group = parser.add_argument_group("scenario")
    group.add_argument(
        "--max-providers-per-zone",
        type=int,
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
        type=float,
        default=1000.0,
        metavar="GBP",
        help="penalty per unmet care hour per week (default 1000)",
    )
    group.add_argument(
        "--max-moves",
        type=int,
        default=None,
        metavar="N",
        help="continuity: at most N clients change provider",
    )
    group.add_argument("--move-penalty-gbp", type=float, default=0.0, metavar="GBP", help="penalty per move")
    group.add_argument(
        "--max-travel-minutes",
        type=float,
        default=75.0,
        metavar="MIN",
        help="longest travel per visit a provider may be given (default 75)",
    )


def add_solver_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("solver")
    group.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="seconds (default 30)")
    group.add_argument("--workers", type=int, default=2, metavar="W", help="CP-SAT workers (default 2)")
    group.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
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
    from pathlib import Path

    from commissioning.problem import build_problem, travel_model_for
    from commissioning.scenario_data import load_scenario
    from solver.instance import to_json

    data = load_scenario(args.folder)
    problem, index = build_problem(
        data,
        travel_model_for(data),
        pools_enabled=not args.no_pools,
        max_travel_minutes_per_visit=args.max_travel_minutes,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_json(problem, scenario_params(args)))
    print(
        f"wrote {out}: {problem.n_clients} clients, {problem.n_providers} providers, "
        f"{len(problem.pair_client)} eligible pairs, {problem.n_zones} zones (no names, no coordinates)"
    )
    if index.travel_approximate:
        print("travel: approximate (great-circle distance x 1.3 at 40 km/h; no road or ferry network)")
    return 0


def run_solve(args) -> int:
    import math
    from pathlib import Path

    from commissioning.errors import CareCommissioningError
    from solver import SolveParams, solve
    from solver.instance import from_json

    path = Path(args.file)
    if not path.is_file():
        raise CareCommissioningError(
            f"{path}: no such instance file. Fix: give the JSON written by export-instance."
        )
    try:
        data, scenario = from_json(path)
    except (ValueError, KeyError, TypeError) as error:
        raise CareCommissioningError(f"{path}: not a valid instance ({error}). Fix: re-export it.") from error
    params = SolveParams(
        time_limit_s=args.time_limit, workers=args.workers, seed=args.seed, export_model=args.export_model
    )
    result = solve(data, scenario, params)

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
    return 0 if result.is_feasible() else 3
