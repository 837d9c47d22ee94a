"""``commissioning map OUT_DIR --provider ID --out FILE.html [--variant NAME]``: one provider's own view."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "map",
        help="write one provider's own map of a run (only its clients, coarsened to 1 km squares)",
        description=(
            "Write an interactive map (HTML) of one provider's clients and coverage in a run output folder. "
            "It shows the provider's gains and losses against today's allocation (current), the run date, "
            "and client homes only as counts per 1 km square, squares of fewer than --min-count clients "
            "hidden; nothing about other providers or their clients is in the file."
        ),
    )
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", help="the folder written by 'commissioning run' or 'demo'"
    )
    parser.add_argument("--provider", required=True, metavar="ID", help="provider_id, e.g. P01")
    parser.add_argument("--out", required=True, metavar="FILE.html", help="the HTML file to write")
    parser.add_argument(
        "--variant",
        metavar="NAME",
        default=None,
        help="variant to show (default: the variant the run recommends, by the rule of "
        "commissioning/results/recommend.py; 'zoned' or the last variant if the run has no kpis.csv)",
    )
    parser.add_argument(
        "--min-count", type=int, default=3, metavar="N",
        help="hide 1 km squares with fewer than N clients; smaller counts read 'fewer than N' "
        "(default and least: 3)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from commissioning.report.run_maps import write_provider_map

    path = write_provider_map(args.out_dir, args.provider, args.out, variant=args.variant,
                              min_count=args.min_count)
    size_kb = path.stat().st_size / 1024
    print(f"wrote {path} ({size_kb:,.0f} KB)")
    return 0
