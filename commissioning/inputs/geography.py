"""Where the points of the dataset folder lie: on land, inside the region, in the zone they claim.

Clients, provider bases and hubs are checked against the zone polygons (within ``REGION_TOLERANCE_M``) and
the OpenStreetMap land (within ``COAST_TOLERANCE_M``); each problem says what is wrong and what to do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from commissioning.errors import Problem
from commissioning.inputs.domain import Zone
from commissioning.inputs.records import ParsedTable
from commissioning.inputs.zones import M_PER_DEG_LAT

# Geography tolerances.
REGION_TOLERANCE_M = 1_000.0  # a point this close to a zone polygon counts as inside the region
ZONE_TOLERANCE_M = 1_000.0  # a client this close to its own zone is not "in another zone"
COAST_TOLERANCE_M = 150.0  # harbour-side houses: this close to land counts as on land
SEA_NEAR_REGION_KM = 10.0  # a wet point this close to the region is "in the sea", not "outside"
LAND_BBOX_BUFFER_DEG = 0.1


@dataclass
class _Points:
    source: str
    column: str  # e.g. "lon, lat"
    rows: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    zone: list[str | None]  # the zone the row claims (clients only)
    outside_severity: list[str]


def _points(
    parsed: ParsedTable,
    lon_col: str,
    lat_col: str,
    zone_col: str | None,
    outside_severity: list[str] | None = None,
) -> _Points:
    keep = [
        i
        for i, r in enumerate(parsed.values)
        if isinstance(r[lon_col], float | int) and isinstance(r[lat_col], float | int)
    ]
    return _Points(
        source=parsed.source,
        column=f"{lon_col}, {lat_col}",
        rows=np.array([parsed.rows[i] for i in keep], dtype=int),
        lon=np.array([parsed.values[i][lon_col] for i in keep], dtype=float),
        lat=np.array([parsed.values[i][lat_col] for i in keep], dtype=float),
        zone=[parsed.values[i][zone_col] if zone_col else None for i in keep],
        outside_severity=[outside_severity[i] for i in keep] if outside_severity else ["error"] * len(keep),
    )


class _LocalFrame:
    """Lon/lat scaled by cos(mid latitude): planar distances then read in degrees of latitude (~111.32 km)."""

    def __init__(self, mid_lat: float):
        self.kx = math.cos(math.radians(mid_lat))

    def geom(self, geom):
        return shapely.transform(geom, lambda xy: xy * np.array([self.kx, 1.0]))

    def points(self, lon, lat):
        return shapely.points(np.asarray(lon) * self.kx, np.asarray(lat))

    @staticmethod
    def deg(metres: float) -> float:
        return metres / M_PER_DEG_LAT


def _fmt_point(lon: float, lat: float) -> str:
    return f"lon {lon:g}, lat {lat:g}"


def check_points(
    parsed: dict[str, ParsedTable | None],
    zones: list[Zone],
    region_land: BaseGeometry | None,
    problems: list[Problem],
) -> None:
    """Problems for clients, provider bases and hubs outside the region, in the sea, or (clients, warning)
    inside another zone than the one they claim. ``region_land``: ``None`` for the OSM land of the zones'
    bounds."""
    point_sets = [s for s in _point_sets(parsed) if len(s.rows)]
    if not point_sets:
        return
    region = _Region(zones, region_land)
    for s in point_sets:
        pts = region.frame.points(s.lon, s.lat)
        near = region.tree.query(pts, predicate="dwithin", distance=region.tolerance_deg)
        in_region = np.zeros(len(pts), dtype=bool)
        in_region[near[0]] = True
        _check_outside(s, np.flatnonzero(~in_region), pts, region, problems)
        # In the sea: only for points inside the region (outside ones were reported above).
        _check_in_sea(s, np.flatnonzero(in_region), region.land, problems)
        if any(z is not None for z in s.zone):
            _check_claimed_zone(s, pts, in_region, region, problems)


def _point_sets(parsed: dict[str, ParsedTable | None]) -> list[_Points]:
    point_sets: list[_Points] = []
    if parsed["clients"] is not None:
        point_sets.append(_points(parsed["clients"], "lon", "lat", "zone"))
    if parsed["providers"] is not None:
        # A base outside the region is an office elsewhere (fine) unless carers start there (no hubs).
        hub_owners = (
            {r["provider_id"] for r in parsed["hubs"].values} if parsed["hubs"] is not None else set()
        )
        severity = [
            "warning" if r["provider_id"] in hub_owners else "error" for r in parsed["providers"].values
        ]
        point_sets.append(_points(parsed["providers"], "base_lon", "base_lat", None, severity))
    if parsed["hubs"] is not None:
        point_sets.append(_points(parsed["hubs"], "lon", "lat", None))
    return point_sets


class _Region:
    """The zones in a local planar frame (an STR tree for "which zone is near") and the land around them."""

    def __init__(self, zones: list[Zone], land: BaseGeometry | None):
        geoms = np.array([z.geometry for z in zones], dtype=object)
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        self.zones = zones
        self.frame = _LocalFrame((miny + maxy) / 2)
        self.local = np.array([self.frame.geom(g) for g in geoms], dtype=object)
        self.tree = shapely.STRtree(self.local)
        self.tolerance_deg = self.frame.deg(REGION_TOLERANCE_M)
        self.zone_index = {z.zone_id: k for k, z in enumerate(zones)}
        self.union = shapely.union_all(self.local)
        if land is None:
            from geodata.land import land_geometry

            b = LAND_BBOX_BUFFER_DEG
            bbox = (round(minx - b, 4), round(miny - b, 4), round(maxx + b, 4), round(maxy + b, 4))
            land = land_geometry(bbox)
        self.land = land


_CHECK_COORDINATES = (
    "check the coordinates (a digit or sign may be wrong; lon is east-west, lat north-south), e.g. look the "
    "address up on a map and copy its lon/lat"
)


def _check_outside(s: _Points, outside: np.ndarray, pts, region: _Region, problems: list[Problem]) -> None:
    """Points outside the region: lat and lon swapped, in the sea near the region, or simply outside."""
    if not len(outside):
        return
    swapped = region.frame.points(s.lat[outside], s.lon[outside])
    swap_hits = region.tree.query(swapped, predicate="dwithin", distance=region.tolerance_deg)
    swap_ok = np.zeros(len(outside), dtype=bool)
    swap_ok[swap_hits[0]] = True
    dist_km = shapely.distance(region.union, pts[outside]) * M_PER_DEG_LAT / 1000
    from geodata.land import distance_to_land_m

    # Points near the region but in open water are "in the sea", which says what to fix.
    sea_m = distance_to_land_m(s.lon[outside], s.lat[outside], region.land)
    sea_ok = (sea_m <= COAST_TOLERANCE_M) | (dist_km > SEA_NEAR_REGION_KM)
    for j, i in enumerate(outside):
        lon, lat = float(s.lon[i]), float(s.lat[i])
        if swap_ok[j]:
            message = "the point is outside the region; lat and lon look swapped"
            fix = f"swap lat and lon (lon {lat:g}, lat {lon:g} is inside the region)"
            severity = "error"
        elif not sea_ok[j]:
            # Off land, close to the region: a sea loch or sound, not another area.
            message = f"the point is in the sea, {sea_m[j]:,.0f} m from the nearest land"
            fix, severity = _CHECK_COORDINATES, "error"
        else:
            message = f"the point is outside the region, {dist_km[j]:.0f} km from the nearest zone"
            fix = (
                "check the coordinates (lon is east-west, lat north-south, WGS84 degrees), "
                "or add the "
                "zone it lies in to zones.geojson"
            )
            severity = s.outside_severity[i]
            if severity == "warning":
                message += "; the provider has hubs, so only its office is outside"
        point = _fmt_point(lon, lat)
        problems.append(Problem(s.source, int(s.rows[i]), s.column, point, message, fix, severity))


def _check_in_sea(s: _Points, inside: np.ndarray, land: BaseGeometry, problems: list[Problem]) -> None:
    """Points inside the region but more than ``COAST_TOLERANCE_M`` off land."""
    if not len(inside):
        return
    from geodata.land import distance_to_land_m, on_land

    wet = inside[~on_land(s.lon[inside], s.lat[inside], land)]
    if not len(wet):
        return
    metres = distance_to_land_m(s.lon[wet], s.lat[wet], land)
    for i, m in zip(wet, metres, strict=True):
        if m <= COAST_TOLERANCE_M:
            continue
        problems.append(
            Problem(
                s.source,
                int(s.rows[i]),
                s.column,
                _fmt_point(float(s.lon[i]), float(s.lat[i])),
                f"the point is in the sea, {m:,.0f} m from the nearest land",
                _CHECK_COORDINATES,
            )
        )


def _check_claimed_zone(
    s: _Points, pts, in_region: np.ndarray, region: _Region, problems: list[Problem]
) -> None:
    """Clients (warning) more than ``ZONE_TOLERANCE_M`` outside the zone they claim and inside another."""
    claim = np.array([region.zone_index.get(z, -1) if z is not None else -1 for z in s.zone])
    check = np.flatnonzero((claim >= 0) & in_region)
    if not len(check):
        return
    dist = shapely.distance(region.local[claim[check]], pts[check])
    far = check[dist > region.frame.deg(ZONE_TOLERANCE_M)]
    if not len(far):
        return
    holder = region.tree.query(pts[far], predicate="within")
    owner = {int(a): region.zones[int(b)].zone_id for a, b in zip(holder[0], holder[1], strict=True)}
    for j, i in enumerate(far):
        other = owner.get(j)
        if other is None:
            continue  # near the region edge but in no polygon: no better zone to suggest
        km = float(shapely.distance(region.local[claim[i]], pts[i])) * M_PER_DEG_LAT / 1000
        problems.append(
            Problem(
                s.source,
                int(s.rows[i]),
                "zone",
                s.zone[i],
                f"the client's point lies inside zone '{other}', {km:.1f} km outside zone '{s.zone[i]}'",
                f"check the coordinates, or set zone to '{other}'",
                "warning",
            )
        )
