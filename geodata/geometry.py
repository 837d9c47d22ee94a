"""Small vectorised geodesy helpers shared by the travel model, generator and readers."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon0, lat0, lon1, lat1) -> np.ndarray:
    """Great-circle distance in km; broadcasts like numpy."""
    lon0, lat0, lon1, lat1 = (np.radians(np.asarray(a, dtype=float)) for a in (lon0, lat0, lon1, lat1))
    dlat = lat1 - lat0
    dlon = lon1 - lon0
    a = np.sin(dlat / 2) ** 2 + np.cos(lat0) * np.cos(lat1) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def pairwise_haversine_km(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Matrix of great-circle distances (len(a) x len(b)) in km."""
    lon_a = np.asarray(lon_a, dtype=float)[:, None]
    lat_a = np.asarray(lat_a, dtype=float)[:, None]
    lon_b = np.asarray(lon_b, dtype=float)[None, :]
    lat_b = np.asarray(lat_b, dtype=float)[None, :]
    return haversine_km(lon_a, lat_a, lon_b, lat_b)
