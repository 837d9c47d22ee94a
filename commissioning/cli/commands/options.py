"""Checked argparse types shared by the commands: a bad value is a usage error (exit 2) naming the option,
the value and the fix, the same rule as the scenario file's key for the same switch."""

from __future__ import annotations

import argparse
import math


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def seconds(text: str) -> float:
    """Wall-clock seconds > 0 (``--time-limit``)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number of seconds > 0, e.g. 15")
    return value


def work_units(text: str) -> float:
    """CP-SAT deterministic work units > 0 (``--work-limit``)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number of work units > 0, e.g. 8")
    return value


def money(text: str) -> float:
    """Pounds ≥ 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be an amount in pounds ≥ 0")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def whole_in(low: int, high: int | None, example: int):
    """argparse ``type`` for a whole number from ``low`` to ``high`` (``None``: no upper bound)."""
    allowed = f"from {low:,} to {high:,}" if high is not None else f"{low:,} or more"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None  # said as for a number out of range: the message gives what is allowed
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number {allowed}, e.g. {example}")
        return value

    return parse


def worker_count(text: str) -> int:
    value = _whole(text)
    from solver.data import MAX_WORKERS  # here, not at the top: the solver's import is heavy (see cli)

    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r}: must be from 1 to {MAX_WORKERS}, e.g. 2 (one per core)")
    return value


def count(text: str) -> int:
    """A whole number ≥ 1 (e.g. providers per zone)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number ≥ 1, e.g. 2")
    return value


def natural(text: str) -> int:
    """A whole number ≥ 0 (e.g. a move limit)."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number ≥ 0")
    return value


def minutes(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number of minutes > 0, e.g. 75")
    return value


def seed(text: str) -> int:
    """A solver seed: CP-SAT takes a 32-bit whole number."""
    from solver.data import MAX_SEED

    value = _whole(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number from 0 to {MAX_SEED}, e.g. 0")
    return value


# ----------------------------------------------------------------------------------------------------
# Options made from the switches (commissioning.scenario.switches): one name and one check everywhere
# ----------------------------------------------------------------------------------------------------


def _parser_for(f):
    """argparse ``type`` for a switch: the text read as the switch's kind, checked as the scenario file is."""
    from commissioning.scenario import switches

    kind = f.metadata["kind"]

    def parse(text: str):
        try:
            value = int(text) if kind in ("count", "natural") else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {switches.expected(f)}") from None
        checked = switches.checked(f, value)
        if checked is None:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {switches.expected(f)}")
        return checked

    return parse


def _provider_zones(text: str) -> tuple[str, list[str]]:
    pid, _, zones = text.partition("=")
    if not pid or not zones:
        raise argparse.ArgumentTypeError(f"{text!r}: expected PROVIDER=ZONE,ZONE (e.g. P04=Z07,Z08)")
    return pid, [z for z in zones.split(",") if z]


def add_switches(group, fields, renamed: dict[str, str] | None = None) -> None:
    """One option per switch; absent options are ``None`` (the scenario file's value, else the default)."""
    from commissioning.scenario import switches

    for f in fields:
        kind, doc = f.metadata["kind"], f.metadata["doc"]
        name = (renamed or {}).get(f.name, switches.flag(f.name, kind))
        default = f"(default: {f.default})" if f.default not in (None, ()) else ""
        common = {"dest": f.name, "default": None, "help": f"{doc} {default}".strip()}
        if kind == "bool":
            group.add_argument(name, action=argparse.BooleanOptionalAction, **common)
        elif kind == "providers":
            group.add_argument(name, nargs="+", metavar="PROVIDER", **common)
        elif kind == "provider_zones":
            group.add_argument(name, type=_provider_zones, action="append", metavar="P=ZONES", **common)
        elif kind == "shares":
            group.add_argument(name, type=float, nargs="+", metavar="SHARE", **common)
        else:
            group.add_argument(name, type=_parser_for(f), metavar=kind.upper(), **common)


def given(args, fields) -> dict:
    """The switches the command line set, in the scenario file's form (ids for providers and zones)."""
    out = {}
    for f in fields:
        value = getattr(args, f.name, None)
        if value is None:
            continue
        if f.metadata["kind"] in ("providers", "shares"):
            value = tuple(value)
        elif f.metadata["kind"] == "provider_zones":
            value = {pid: tuple(zones) for pid, zones in value}
        out[f.name] = value
    return out
