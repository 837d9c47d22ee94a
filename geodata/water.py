"""Inland water that the coastline-based land polygons count as land, per embedded region.

OpenStreetMap's land polygons (from ``roaring-landmask``) are cut by the sea only, so Loch Awe and Loch Eck
are "land". Nobody lives on them, so the generator keeps clients out of them (and, on the council border,
off the far shore of Loch Lomond). Hand-drawn from public maps, not copied from a boundary file.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Freshwater lochs are land in the coastline-based land polygons: keep clients out of the large ones.
# Hand-drawn centrelines (lon, lat) with a half-width in km; Loch Lomond is the council border, so the
# exclusion there is everything east of its west shore (the A82).
FRESHWATER_LOCHS = {
    "argyll-bute": [
        ("Loch Awe", [(-5.428, 56.184), (-5.395, 56.186), (-5.33, 56.212), (-5.28, 56.248), (-5.238, 56.28),
                      (-5.225, 56.313), (-5.15, 56.345), (-5.08, 56.37), (-5.05, 56.39), (-5.032, 56.402)],
         0.75),
        ("Pass of Brander", [(-5.08, 56.37), (-5.115, 56.393)], 0.5),
        ("Loch Awe, north basin", [(-5.035, 56.400), (-5.073, 56.386), (-5.11, 56.392)], 0.6),
        ("Loch Eck", [(-5.012, 56.121), (-5.0, 56.1), (-4.995, 56.075), (-4.986, 56.045), (-4.982, 56.037)],
         0.4),
    ],
}
BEYOND_WEST_SHORE = {
    "argyll-bute": [(-4.700, 56.32), (-4.716, 56.305), (-4.714, 56.29), (-4.704, 56.27), (-4.712, 56.25),
                    (-4.708, 56.24), (-4.700, 56.22), (-4.707, 56.20), (-4.690, 56.18), (-4.668, 56.15),
                    (-4.650, 56.12), (-4.636, 56.10), (-4.640, 56.08), (-4.630, 56.06), (-4.642, 56.05),
                    (-4.632, 56.03), (-4.620, 56.02), (-4.632, 56.00)],
}
BEYOND_EAST_LON = -4.40


def excluded_water(region_key: str) -> BaseGeometry | None:
    """Large freshwater lochs (and the far side of Loch Lomond) as one polygon in lon/lat, or None."""
    parts = []
    for _, line, half_width_km in FRESHWATER_LOCHS.get(region_key, []):
        xy = np.array(line)
        k = np.cos(np.radians(xy[:, 1].mean()))
        local = shapely.LineString(np.column_stack([xy[:, 0] * k * 111.32, xy[:, 1] * 110.57]))
        ring = np.asarray(shapely.buffer(local, half_width_km).exterior.coords)
        parts.append(shapely.Polygon(np.column_stack([ring[:, 0] / (k * 111.32), ring[:, 1] / 110.57])))
    shore = BEYOND_WEST_SHORE.get(region_key)
    if shore:
        corners = [(BEYOND_EAST_LON, shore[-1][1]), (BEYOND_EAST_LON, shore[0][1])]
        parts.append(shapely.Polygon(list(shore) + corners))
    return shapely.union_all(parts) if parts else None
