"""``commissioning travel FROM TO [--at HH:MM] [--json] [--region argyll-bute]``.

Door-to-door minutes by road and ferry, leg by leg. FROM and TO are place names (any case, accents
and apostrophes optional), place ids or ``lat,lon`` (negative values such as ``56.4,-5.5`` or even a
swapped ``-5.5,56.4`` are read as coordinates, not options; a point must be on land or within 300 m of
the coast).

Exit status: 0 a journey exists (also when it waits for the first sailing, or when a far access leg
makes it approximate: a note says so), 1 bad input (unknown place, bad time or coordinates, a point in
the sea: the message says which and, for names, lists the nearest ones), 3 no journey at that time (the
ferry it needs has stopped for the day, or it would arrive after midnight; the reason is printed).
"""

from __future__ import annotations

import argparse
import re

EXIT_UNREACHABLE = 3
DEFAULT_AT = "12:30"


def _clock(text: str) -> str:
    from geodata.timebands import parse_hhmm

    try:
        parse_hhmm(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "travel",
        help="door-to-door minutes by road and ferry, leg by leg",
        description=(
            "Door-to-door travel by road and ferry at a clock time. FROM and TO are place names or "
            "'lat,lon' in decimal degrees (e.g. '56.415,-5.472'). Exit status 3 when no journey exists at "
            "that time."
        ),
    )
    # argparse takes "-5.5,56.4" for an option (its negative-number test wants digits only); this
    # command has no option starting "-<digit>", so any such argument is a coordinate.
    parser._negative_number_matcher = re.compile(r"^-\.?\d")
    parser.add_argument("origin", metavar="FROM", help="place name, place id or 'lat,lon'")
    parser.add_argument("destination", metavar="TO", help="place name, place id or 'lat,lon'")
    parser.add_argument("--at", default=DEFAULT_AT, type=_clock, metavar="HH:MM",
                        help=f"departure time (default {DEFAULT_AT})")
    parser.add_argument("--json", action="store_true", help="print the journey as JSON")
    parser.add_argument("--region", default="argyll-bute", help="embedded region (default argyll-bute)")
    parser.set_defaults(func=run)


def format_journey(journey, origin: str, destination: str, at_hhmm: str) -> str:
    """The journey as a few readable lines: headline, an aligned leg table, notes."""
    from geodata.timebands import format_hhmm

    lines = []
    if journey.minutes is None:
        lines.append(f"{origin} → {destination}, leaving {at_hhmm}: no journey ({journey.status})")
    else:
        arrive = format_hhmm(journey.depart_minutes + journey.minutes)
        lines.append(
            f"{origin} → {destination}, leaving {at_hhmm}: {journey.minutes:.0f} min, "
            f"arriving {arrive} ({journey.status})"
        )
    if journey.legs:
        header = ("mode", "from", "to", "minutes", "km", "via")
        rows = [
            (leg.mode, leg.from_name, leg.to_name, f"{leg.minutes:.1f}", f"{leg.km:.1f}", leg.road)
            for leg in journey.legs
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        right = {3, 4}  # numbers line up on the right

        def line(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

        lines.append("")
        lines.append(line(header))
        lines.extend(line(r) for r in rows)
    if journey.notes:
        lines.append("")
        lines.extend(f"note: {note}" for note in journey.notes)
    if journey.approximate:
        lines.append("note: the travel time is approximate")
    return "\n".join(lines)


def run(args) -> int:
    import json

    from geodata.land import land_geometry
    from geodata.network import TravelNetwork
    from geodata.regions import check_region
    from geodata.timebands import parse_hhmm

    bbox = check_region(args.region)[1]
    # Land stops access legs crossing the sea; the first call builds a cache (~12 s), later ones are instant.
    network = TravelNetwork.from_package(args.region, land=land_geometry(bbox))
    origin = network.resolve(args.origin)
    destination = network.resolve(args.destination)
    journey = network.route(origin, destination, parse_hhmm(args.at))
    if args.json:
        print(json.dumps(journey.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_journey(journey, origin.name, destination.name, args.at))
    return EXIT_UNREACHABLE if journey.minutes is None else 0
