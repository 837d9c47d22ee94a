"""Real land from OpenStreetMap, via PyPI's ``roaring-landmask``.

Loading the global OSM land polygons takes 10-15 s, so we clip them once to a region's bounding box and
keep the result (a few hundred kB of WKB) in the user's cache folder. Every later call reads the cache.

Cache folder: ``$CARE_COMMISSIONING_CACHE`` if set, else ``$XDG_CACHE_HOME/care-commissioning``, else
``~/.cache/care-commissioning``. It is never inside the repository.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Bump when the clipping recipe changes so stale caches are not reused.
_CACHE_VERSION = 1

BBox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat), WGS84


def cache_dir() -> Path:
    explicit = os.environ.get("CARE_COMMISSIONING_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "care-commissioning"


def _cache_path(bbox: BBox, provider: str) -> Path:
    key = f"v{_CACHE_VERSION}-{provider}-" + ",".join(f"{v:.4f}" for v in bbox)
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return cache_dir() / f"land-{provider.lower()}-{digest}.wkb"


def _clip_from_landmask(bbox: BBox, provider: str) -> BaseGeometry:
    import roaring_landmask as rl

    which = getattr(rl.LandmaskProvider, provider)
    world = shapely.from_wkb(rl.Shapes.new(which).wkb(which))
    parts = np.asarray(world.geoms, dtype=object)
    tree = shapely.STRtree(parts)
    near = parts[tree.query(shapely.box(*bbox))]
    clipped = shapely.clip_by_rect(shapely.MultiPolygon(list(near)), *bbox)
    return shapely.make_valid(clipped)


@lru_cache(maxsize=8)
def land_geometry(bbox: BBox, provider: str = "Osm") -> BaseGeometry:
    """Land polygons (EPSG:4326) clipped to ``bbox``; cached on disk after the first call."""
    path = _cache_path(bbox, provider)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One builder at a time: parallel test workers or CLI runs wait for the first one's cache
    # rather than each spending ~12 s loading the global polygons.
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            try:
                return shapely.from_wkb(path.read_bytes())
            except shapely.errors.GEOSException:
                path.unlink(missing_ok=True)  # corrupt cache: rebuild below
        land = _clip_from_landmask(bbox, provider)
        # Write-then-rename so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(shapely.to_wkb(land))
        os.replace(tmp, path)
        return land


def on_land(lon, lat, land: BaseGeometry) -> np.ndarray:
    """Boolean array: which (lon, lat) points lie on ``land`` (vectorised, prepared geometry)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    shapely.prepare(land)
    return shapely.contains_xy(land, lon, lat)


def distance_to_land_m(lon, lat, land: BaseGeometry) -> np.ndarray:
    """Distance in metres from each point to ``land`` (0 on land); for messages and tolerances.

    Computed in a local equirectangular frame (longitude scaled by the cosine of the points' mean
    latitude), accurate to about 1% across a region the size of Argyll and Bute.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    if not len(lon):
        return np.zeros(0)
    scale = np.cos(np.radians(float(np.mean(lat))))
    # Only the land near the points matters: clip first so the transform stays cheap.
    margin = 0.5
    window = shapely.box(lon.min() - margin, lat.min() - margin, lon.max() + margin, lat.max() + margin)
    near = shapely.clip_by_rect(land, *window.bounds)
    if near.is_empty:
        near = land
    local = shapely.transform(near, lambda xy: xy * np.array([scale, 1.0]))
    points = shapely.points(lon * scale, lat)
    return shapely.distance(local, points) * 111_320.0


def water_run_km(lon0, lat0, lon1, lat1, land: BaseGeometry, step_km: float = 0.2) -> np.ndarray:
    """Longest continuous stretch over water (km) along each straight segment; vectorised over segments."""
    from geodata.geometry import haversine_km

    lon0, lat0, lon1, lat1 = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (lon0, lat0, lon1, lat1))
    length = haversine_km(lon0, lat0, lon1, lat1)
    samples = int(max(2, np.ceil(length.max(initial=0.0) / step_km) + 1))
    t = np.linspace(0.0, 1.0, samples)
    lons = lon0[:, None] + (lon1 - lon0)[:, None] * t[None, :]
    lats = lat0[:, None] + (lat1 - lat0)[:, None] * t[None, :]
    wet = ~on_land(lons.ravel(), lats.ravel(), land).reshape(lons.shape)
    spacing = length / (samples - 1)
    longest = np.zeros(len(lon0))
    run = np.zeros(len(lon0))
    for k in range(samples):
        run = np.where(wet[:, k], run + 1, 0)
        longest = np.maximum(longest, run)
    return longest * spacing
