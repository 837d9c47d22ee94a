"""What the workforce rules share (:mod:`hub_hours`, :mod:`band_hours`, :mod:`drivers`, :mod:`recruitment`):
each hub's pairs, their minutes in each band, the carers' hours in the model's integer minutes, and the
recruits that add to them. Not a rule itself.

Every carer at a hub has the same contracted week (``hub_carer_weekly_hours``) and the same hours in each
band's window (``hub_carer_band_hours``), drivers or not; recruits are carers like the others.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.measures import DRIVERS, NON_DRIVERS
from solver.units import minutes_down, minutes_up

__all__ = ["DRIVERS", "NON_DRIVERS", "band_minutes", "carer_minutes", "hub_pairs", "lp_hub_pairs", "staff"]


def band_minutes(data) -> np.ndarray:
    """Staff minutes of each pair in each band (k × B), rounded up: a share of its visits' time."""
    return minutes_up(data.pair_band_staff_hours)


def carer_minutes(data, h: int) -> tuple[int, list[int | None]]:
    """One carer's contracted minutes a week at hub h, and minutes in each band's window (None: no limit)."""
    week = int(minutes_down(data.hub_carer_weekly_hours[h]))
    bands = [None if not math.isfinite(v) else int(minutes_down(v)) for v in data.hub_carer_band_hours[h]]
    return week, bands


def hub_pairs(am) -> dict[int, list[int]]:
    """Each hub with pairs that have a variable, and those pairs."""
    d, out = am.data, {}
    for k in am.x:
        h = int(d.pair_hub[k])
        if h >= 0:
            out.setdefault(h, []).append(k)
    return out


def lp_hub_pairs(lpm) -> dict[int, np.ndarray]:
    """Each hub with pairs in the LP, and their x columns."""
    hub = lpm.data.pair_hub[lpm.ks]
    return {int(h): np.nonzero(hub == h)[0] for h in np.unique(hub[hub >= 0])}


def staff(am, h: int, kind: int | None = None):
    """Carers at hub h, recruits included, as a linear expression: drivers, non-drivers, or all (None)."""
    d = am.data
    counts = {DRIVERS: int(d.hub_drivers[h]), NON_DRIVERS: int(d.hub_non_drivers[h])}
    kinds = (DRIVERS, NON_DRIVERS) if kind is None else (kind,)
    expr = sum(counts[c] for c in kinds)
    extra = [am.recruits[h, c] for c in kinds if (h, c) in am.recruits]
    return expr + cp_model.LinearExpr.sum(extra) if extra else expr


def lp_staff(lpm, h: int, kind: int | None = None) -> tuple[float, list[int]]:
    """Carers at hub h in the LP: the fixed count, and the recruit columns that add to it."""
    d = lpm.data
    counts = {DRIVERS: float(d.hub_drivers[h]), NON_DRIVERS: float(d.hub_non_drivers[h])}
    kinds = (DRIVERS, NON_DRIVERS) if kind is None else (kind,)
    start, keys = lpm.block("recruits")
    cols = [start + j for j, key in enumerate(keys) if key[0] == h and key[1] in kinds]
    return sum(counts[c] for c in kinds), cols
