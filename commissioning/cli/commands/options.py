"""Checked argparse types shared by the commands: a bad value is a usage error (exit 2) naming the option,
the value and the fix, the same rule as the scenario file's key for the same switch."""

from __future__ import annotations

import argparse
import math

from solver.data import MAX_SEED, MAX_WORKERS


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


def worker_count(text: str) -> int:
    value = _whole(text)
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
    value = _whole(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number from 0 to {MAX_SEED}, e.g. 0")
    return value
