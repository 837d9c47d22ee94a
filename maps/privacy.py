"""Small-count suppression (statistical disclosure control) for every map that counts clients.

A count of clients is shown only if it is at least ``min_count`` (default 3, the usual threshold of
statistical disclosure practice); a smaller non-zero count reads "fewer than 3". Grid squares holding
fewer than ``min_count`` clients are not drawn: their clients are counted only in their patch's total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from maps.errors import MapError
from maps.layers import grid_cells

MIN_COUNT = 3


def check_min_count(min_count: int) -> int:
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise MapError(f"min_count must be a whole number of clients, 1 or more; got {min_count!r}")
    return int(min_count)


def count_text(n: int, min_count: int = MIN_COUNT, noun: str = "client") -> str:
    """``n`` clients as shown on a map: the number, "no clients", or "fewer than 3 clients"."""
    n = int(n)
    if n <= 0:
        return f"no {noun}s"
    if n < min_count:
        return f"fewer than {min_count} {noun}s"
    return f"{n} {noun}{'s' if n != 1 else ''}"


def shown_count(n: int, min_count: int = MIN_COUNT) -> int | None:
    """The count as a GeoJSON property: the number if it may be shown, else None."""
    n = int(n)
    return n if n == 0 or n >= min_count else None


def safe_grid(lon, lat, cell_km: float, min_count: int = MIN_COUNT, values: dict | None = None):
    """:func:`maps.layers.grid_cells` without the squares of fewer than ``min_count`` points.

    Returns ``(cells, hidden)``: the squares that may be drawn and the number of points in squares that
    may not (counted only in their patch totals)."""
    min_count = check_min_count(min_count)
    lon = np.asarray(lon, dtype=float)
    if len(lon) == 0:
        return None, 0
    cells = grid_cells(lon, lat, cell_km, values)
    small = cells["count"] < min_count
    hidden = int(cells.loc[small, "count"].sum())
    return cells[~small].reset_index(drop=True), hidden


def moved_flags(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Clients of both (normalised) allocations with their provider on each side and the kind of change:
    ``moved`` (another provider), ``lost`` (no provider any more), ``gained`` (served now, not before)."""
    cols = ["client_id", "provider_id", "assigned", "zone", "care_hours"]
    both = left[cols].merge(right[cols], on="client_id", suffixes=("_left", "_right"), how="inner")
    a = np.where(both["assigned_left"], both["provider_id_left"], "")
    b = np.where(both["assigned_right"], both["provider_id_right"], "")
    kind = np.select([(a != "") & (b != "") & (a != b), (a != "") & (b == ""), (a == "") & (b != "")],
                     ["moved", "lost", "gained"], default="")
    both["from"], both["to"], both["change"] = a, b, kind
    both["zone"] = both["zone_right"].where(both["zone_right"] != "", both["zone_left"])
    return both
