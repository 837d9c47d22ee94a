"""``commissioning validate DIR [--json]``: check every file of a dataset folder, list every problem."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check every file of a dataset folder and list every problem",
        description=(
            "Check clients, providers, hubs, pools (CSV or .xlsx), zones (.geojson, .gpkg or .shp) and "
            "dataset.json. "
            "Every problem names the file, row, column, value and the fix. Exit status 1 if any error."
        ),
    )
    parser.add_argument("folder", metavar="DIR", help="the dataset folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from commissioning.inputs.folder import check_dataset

    result = check_dataset(args.folder)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": result.ok,
                    "problems": [p.as_dict() for p in result.problems],
                    "counts": result.counts,
                    "totals": _totals(result),
                },
                indent=2,
            )
        )
        return 0 if result.ok else 1
    c = result.counts
    if result.ok:
        print(
            f"OK: {c['clients']} clients, {c['providers']} providers, {c['pools']} pools, {c['zones']} zones"
        )
        for problem in result.warnings:
            print(problem)
        return 0
    for problem in result.problems:
        print(problem)
    totals = _totals(result)  # every problem found, listed or not (at most 200 a file are listed)
    errors, warnings = totals["error"], totals["warning"]
    print(
        f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}: "
        "not a usable scenario until the errors are fixed"
    )
    return 1


def _totals(result) -> dict[str, int]:
    return result.totals or {"error": len(result.errors), "warning": len(result.warnings)}
