"""The ``commissioning`` command line.

Each subcommand lives in ``commissioning/cli/commands/<name>.py`` with ``register(subparsers)``; heavy
imports happen inside the command so ``commissioning --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from commissioning import __version__

# Modules under commissioning/cli/commands, in the order --help shows them.
COMMANDS = ["generate", "validate", "travel", "instance", "run", "demo", "map", "sweep", "compare", "serve",
            "users"]


# Commands named otherwise than the module that registers them.
MODULE_OF = {"export-instance": "instance", "solve-instance": "instance"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given a known ``command``, of that one alone. Registering some commands
    loads the solver (OR-Tools, about a second), which ``validate``, ``users`` or ``map`` do not need."""
    module = MODULE_OF.get(command, command)
    module_names = [module] if module in COMMANDS else COMMANDS
    parser = argparse.ArgumentParser(
        prog="commissioning",
        description=(
            "Care-at-home commissioning optimiser: zoning, shared staff pools and provider allocation."
        ),
    )
    parser.add_argument("--version", action="version", version=f"care-commissioning {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of an error (for a bug report)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in module_names:
        module = importlib.import_module(f"commissioning.cli.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The command is the first word that is not an option (the parser's own options take no value).
    parser = build_parser(next((word for word in argv if not word.startswith("-")), None))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, where we can handle it, not at interpreter exit
        return status
    except BrokenPipeError:
        # The reader went away (e.g. "| head -1"): nothing left to say to it. Python docs' recipe.
        _point_stdout_at_devnull()
        return 1
    except KeyboardInterrupt as interrupt:
        print("interrupted", file=sys.stderr)
        return getattr(interrupt, "exit_code", 130)  # 128 + the signal: 130 for Ctrl-C, 143 for SIGTERM
    except Exception as error:
        # Errors a layer raises on purpose, and the system's (disk full, permissions), are for the user:
        # no traceback, one message and a non-zero status. Anything else is a bug and keeps its traceback.
        if args.debug or not isinstance(error, _user_errors()):
            raise
        print(f"error: {_message(error)}", file=sys.stderr)
        return 1


def _user_errors() -> tuple[type[Exception], ...]:
    """The base error of every layer, and the system's. Imported only once an error happened: the solver
    package loads OR-Tools, which ``--help`` and ``validate`` do not need."""
    from commissioning.errors import CareCommissioningError
    from geodata.errors import GeodataError
    from maps.errors import MapError
    from solver.errors import SolverError

    errors: tuple[type[Exception], ...] = (
        CareCommissioningError, GeodataError, MapError, SolverError, OSError)
    with contextlib.suppress(ImportError):  # serve, users: a wrong or unreachable database URL
        from sqlalchemy.exc import ArgumentError, OperationalError

        errors = (*errors, ArgumentError, OperationalError)
    return errors


def _message(error: BaseException) -> str:
    if isinstance(error, OSError):
        from commissioning.results.folder import describe_os_error

        return describe_os_error(error)
    return str(error)


def _point_stdout_at_devnull() -> None:
    """Python flushes stdout at exit; with the pipe closed that would print a second error."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
