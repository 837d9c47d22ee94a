"""The ``commissioning`` command line.

Each subcommand lives in ``commissioning/commands/<name>.py`` with ``register(subparsers)``; heavy
imports happen inside the command so ``commissioning --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from commissioning import __version__
from commissioning.errors import CareCommissioningError

# Modules under commissioning/commands, in the order --help shows them.
COMMANDS = ["generate", "validate", "travel", "instance", "run", "demo", "map"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commissioning",
        description=(
            "Care-at-home commissioning optimiser: zoning, shared staff pools and provider allocation."
        ),
    )
    parser.add_argument("--version", action="version", version=f"care-commissioning {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"commissioning.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CareCommissioningError as error:
        # Errors we raise on purpose are for the user: no traceback, a message and a non-zero status.
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
