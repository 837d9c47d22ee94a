"""``commissioning generate``: write a realistic dataset folder (same seed, byte-identical files)."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Write a dataset folder (clients.csv, providers.csv, hubs.csv, pools.csv, zones.geojson,
dataset.json) for the embedded Argyll and Bute region, or for your own geography with
--demand-points FILE --weight-column COL --zones FILE --zone-id COL [--zone-name COL]. Your
files are read and checked as `commissioning validate` reads a dataset folder's; warnings (e.g. a
repaired polygon) are printed as notes. The same seed gives byte-identical files."""


def register(subparsers) -> None:
    from commissioning.cli.commands.options import whole_in
    from commissioning.synthetic import MAX_CLIENTS, MAX_PROVIDERS

    parser = subparsers.add_parser(
        "generate",
        help="write a realistic synthetic dataset folder",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--region", default="argyll-bute", help="embedded region (default: argyll-bute)")
    parser.add_argument("--clients", type=whole_in(1, MAX_CLIENTS, 1000), default=1000,
                        help=f"number of clients, 1 to {MAX_CLIENTS:,} (default: 1000)")
    parser.add_argument("--seed", type=whole_in(0, None, 1), default=1,
                        help="random seed, 0 or more (default: 1)")
    parser.add_argument("--out", required=True, help="folder to write (new or empty; see --force)")
    parser.add_argument("--providers", type=whole_in(1, MAX_PROVIDERS, 15), default=15,
                        help=f"number of providers, 1 to {MAX_PROVIDERS} (default: 15)")
    parser.add_argument("--max-pool-members", type=whole_in(1, None, 4), default=4,
                        help="most providers per shared staff pool, 1 or more (default: 4)")
    parser.add_argument("--demand-points", metavar="FILE",
                        help="CSV of demand points: lon,lat (WGS84) or easting,northing (EPSG:27700)")
    parser.add_argument("--weight-column", metavar="COL",
                        help="column of --demand-points holding the weights")
    parser.add_argument("--zones", metavar="FILE", help="your zone polygons (GeoJSON or GeoPackage)")
    parser.add_argument("--zone-id", metavar="COL", help="column of --zones holding each zone's reference")
    parser.add_argument("--zone-name", metavar="COL",
                        help="column of --zones holding each zone's name (default: 'name' when the file has "
                             "one, else the reference)")
    parser.add_argument("--force", action="store_true", help="replace the --out folder if it is not empty")
    parser.set_defaults(func=run)


def run(args) -> int:
    import sys

    from commissioning.synthetic.generate import generate_scenario, option_pairing_problems

    # Options that need one another are a usage error (exit 2) as argparse's own are, not an input error.
    wrong = option_pairing_problems(args.region, args.demand_points, args.weight_column, args.zones,
                                    args.zone_id, args.zone_name)
    for problem in wrong:
        print(f"commissioning generate: error: {problem.message}. Fix: {problem.fix}", file=sys.stderr)
    if wrong:
        return 2
    summary = generate_scenario(
        args.out,
        region=args.region,
        n_clients=args.clients,
        seed=args.seed,
        n_providers=args.providers,
        demand_points=args.demand_points,
        weight_column=args.weight_column,
        zones_file=args.zones,
        zone_id_column=args.zone_id,
        zone_name_column=args.zone_name,
        max_pool_members=args.max_pool_members,
        force=args.force,
    )
    print("\n".join(summary.lines()))
    return 0

