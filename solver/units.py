"""The integer units of the model: minutes for time, pence for money.

Rounding is always on the safe side (consumption rounded up, capacities down), so every model solution
satisfies the float constraints that :mod:`solver.validate` checks; on integral data (e.g. OR-Library GAP)
the model is exact.
"""

from __future__ import annotations

import numpy as np


def minutes_up(hours: np.ndarray | float) -> np.ndarray:
    return np.ceil(np.asarray(hours, dtype=np.float64) * 60.0 - 1e-6).astype(np.int64)


def minutes_down(hours: np.ndarray | float) -> np.ndarray:
    a = np.asarray(hours, dtype=np.float64)
    return np.where(np.isfinite(a), np.floor(np.nan_to_num(a, posinf=0.0) * 60.0 + 1e-6), -1).astype(np.int64)


def pence(gbp: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(gbp, dtype=np.float64) * 100.0).astype(np.int64)
