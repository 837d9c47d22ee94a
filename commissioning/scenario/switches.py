"""The commissioner's switches, declared once in the solver (:func:`solver.data.switch`: name, default, kind,
bounds, meaning) and read here for the scenario file, the command line and the web form.

One name per switch everywhere: the scenario file's variant key, the command-line flag (``--`` and dashes),
the solver's field and the instance JSON's ``scenario`` key. A switch of kind ``providers`` or
``provider_zones`` is written with ids in a scenario file (``protect = ["P03"]``, ``lock_out = {P04 =
["Z07"]}``) and becomes positions for the solver (:func:`to_solver`).
"""

from __future__ import annotations

import math
from dataclasses import Field, fields
from typing import Any

from solver.data import SolveParams, Switches

# Which switches each kind of variant may set (the others make no sense there: an error, not a silence).
CURRENT_SWITCHES = ("pools", "unmet_penalty_gbp_per_hour")  # today's allocation is evaluated, not solved


def rule_fields() -> list[Field]:
    """The rules' switches (:class:`~solver.data.Switches` fields), in declaration order."""
    return [f for f in fields(Switches) if f.metadata]


def search_fields() -> list[Field]:
    """How to search (:class:`~solver.data.SolveParams` fields a commissioner sets)."""
    return [f for f in fields(SolveParams) if f.metadata]


def by_name() -> dict[str, Field]:
    return {f.name: f for f in (*rule_fields(), *search_fields())}


def expected(f: Field) -> str:
    """What a value of this switch looks like, for a message."""
    kind, low, high = f.metadata["kind"], f.metadata["low"], f.metadata["high"]
    top = f" and at most {high:g}" if high is not None else ""
    first = 0 if kind == "natural" else (low if low is not None else 1)
    whole = f"a whole number from {first:g} to {high:.0f}" if high else f"a whole number ≥ {first:g}"
    return {
        "count": whole,
        "natural": whole,
        "bool": "true or false",
        "money": f"a number of pounds ≥ 0{top}",
        "fraction": "a number from 0 to 1",
        "weight": f"a number ≥ 0{top}",
        "seconds": "a number of seconds > 0",
        "work": "a number of work units > 0",
        "providers": 'a list of provider ids in quotes, e.g. ["P01", "P03"]',
        "provider_zones": 'a table of zone id lists by provider id, e.g. { P04 = ["Z07", "Z08"] }',
        "shares": "a list of 2 to 4 fractions, largest first, adding up to 1, e.g. [0.60, 0.25, 0.15]",
    }[kind]


def checked(f: Field, value: Any) -> Any:
    """``value`` in the switch's own type, or ``None`` when it is not a value of this switch."""
    kind, low, high = f.metadata["kind"], f.metadata["low"], f.metadata["high"]
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind in ("count", "natural"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        ok = ok and value >= (low if low is not None else (1 if kind == "count" else 0))
        return value if ok and (high is None or value <= high) else None
    if kind in ("money", "fraction", "weight", "seconds", "work"):
        return _number(kind, value, high)
    if kind == "providers":
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        return tuple(value) if ok else None
    if kind == "shares":
        return _shares(value)
    return _provider_zones(value)


def _shares(value: Any) -> tuple[float, ...] | None:
    from solver.data import MAX_RANKS

    if not isinstance(value, list | tuple) or not (not value or 2 <= len(value) <= MAX_RANKS):
        return None
    out = tuple(_number("fraction", v, None) for v in value)
    if any(v is None or v == 0 for v in out) or (out and abs(sum(out) - 1) > 1e-3):
        return None
    return out if list(out) == sorted(out, reverse=True) else None


def _number(kind: str, value: Any, high: float | None) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    value = float(value)
    positive = kind in ("seconds", "work")
    if (value <= 0 if positive else value < 0) or (kind == "fraction" and value > 1):
        return None
    return value if high is None or value <= high else None


def _provider_zones(value: Any) -> dict[str, tuple[str, ...]] | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for pid, zones in value.items():
        if not isinstance(zones, list) or not all(isinstance(z, str) and z for z in zones):
            return None
        out[str(pid)] = tuple(zones)
    return out


def ids_named(f: Field, value: Any) -> tuple[list[str], list[str]]:
    """``(provider ids, zone ids)`` a value of this switch names (for checking them against the data)."""
    if f.metadata["kind"] == "providers":
        return list(value), []
    if f.metadata["kind"] == "provider_zones" and value:
        return list(value), [z for zones in value.values() for z in zones]
    return [], []


def to_solver(f: Field, value: Any, provider_pos: dict[str, int], zone_pos: dict[str, int]) -> Any:
    """A switch's value for the solver: provider and zone ids become positions."""
    kind = f.metadata["kind"]
    if kind == "providers":
        return tuple(provider_pos[pid] for pid in value if pid in provider_pos)
    if kind == "provider_zones" and not value:
        return ()  # the default: no pairs
    if kind == "provider_zones":
        return tuple((provider_pos[pid], zone_pos[z]) for pid, zones in value.items() for z in zones
                     if pid in provider_pos and z in zone_pos)
    return value


def shown(f: Field, value: Any) -> Any:
    """A switch's value as the report and kpis.json show it (lists and tables, not tuples)."""
    if f.metadata["kind"] == "provider_zones" and not value:
        return {}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: list(v) for k, v in value.items()}
    return value


def flag(name: str, kind: str) -> str:
    """A switch's command-line flag: its name with dashes (a seconds switch drops its ``_s``)."""
    if kind == "seconds" and name.endswith("_s"):
        name = name[:-2]
    return "--" + name.replace("_", "-")


def render_markdown() -> str:
    """The README's table of switches: name (key and flag), default, meaning."""
    rows = ["| switch (scenario key; command-line flag) | default | meaning |", "|---|---|---|"]
    for f in (*rule_fields(), *search_fields()):
        default = str(f.default).lower() if isinstance(f.default, bool) else f.default
        default = "none" if default in ((), None) else default
        key = f"`{f.name}` (`{flag(f.name, f.metadata['kind'])}`)"
        rows.append(f"| {key} | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)
