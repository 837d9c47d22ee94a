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
        help="write a dataset folder's allocation problem as anonymised JSON",
        description="Write the allocation problem of a dataset folder as JSON with no names and no "
        "coordinates, for sharing with analysts.",
    )
    export.add_argument("folder", help="dataset folder (clients.csv, providers.csv, ...)")
    export.add_argument("--out", required=True, help="JSON file to write")
    add_scenario_options(export)
    export.set_defaults(func=run_export)

    solve = subparsers.add_parser(
        "solve-instance",
        help="solve an anonymised JSON instance",
        description=(
            "Solve one exported instance and print status, objective, bound, gap, seconds, assignment, "
            "hubs and recruits."
        ),
    )
    solve.add_argument("file", help="instance JSON (from export-instance)")
    add_solver_options(solve)
    solve.add_argument("--json", action="store_true", help="print the result as JSON")
    solve.set_defaults(func=run_solve)


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """The rules' switches (the same names as a scenario file's variant keys), the travel limit, the order."""
    from commissioning.cli.commands import options
    from commissioning.scenario import switches
    from commissioning.scenario.defaults import DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT

    group = parser.add_argument_group("scenario (as a scenario file's variant keys)")
    options.add_switches(group, switches.rule_fields())
    group.add_argument(
        "--max-travel-minutes-per-visit",
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
    from commissioning.scenario import switches

    group = parser.add_argument_group("solver")
    options.add_switches(group, switches.search_fields())
    group.add_argument(
        "--export-model",
        default=None,
        metavar="FILE",
        help="also write the CP-SAT model (.pb or .pbtxt) for inspection",
    )


def switches_given(args, index):
    """The switches the command line sets (positions for ids), an "optimised" variant's otherwise."""
    from commissioning.cli.commands import options
    from commissioning.scenario import switches
    from commissioning.scenario.file import Variant

    set_here = options.given(args, switches.rule_fields())
    zoned = set_here.get("max_providers_per_zone") is not None or set_here.get("ranked_shares")
    mode = "zoned" if zoned else "optimised"
    variant = Variant(name="instance", mode=mode, switches=set_here)
    return variant.solver_switches(index.provider_ids, index.zone_ids)


def run_export(args) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from commissioning.inputs.folder import load_dataset
    from commissioning.results.folder import write_text_file
    from commissioning.running.problem import build_problem
    from commissioning.running.travel import travel_model_for
    from solver.instance import Precision, anonymised, to_json

    data = load_dataset(args.folder)
    problem, index = build_problem(
        data,
        travel_model_for(data),
        pools=args.pools is not False,
        max_travel_minutes_per_visit=args.max_travel_minutes_per_visit,
    )
    precision = Precision()
    about = {"anonymised": {"order_seed": args.seed, **asdict(precision)}}
    text = to_json(anonymised(problem, args.seed, precision), switches_given(args, index), about)
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

    from commissioning.cli.commands import options
    from commissioning.errors import CareCommissioningError, InfeasibleError
    from commissioning.scenario import switches
    from solver import SolveParams, solve

    path = Path(args.file)
    data, scenario = _read_instance(path)
    if args.export_model:
        _check_model_path(Path(args.export_model))
    chosen = options.given(args, switches.search_fields())
    params = SolveParams(**chosen, export_model=args.export_model)
    result = solve(data, scenario, params)
    if not len(result.assignment):
        from solver.diagnose import explained

        message = f"{path}: no feasible allocation (status {result.status}). {explained(result.diagnosis)}"
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
                "hubs": result.hubs.tolist(),
                "recruits": result.recruits.tolist(),
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
