"""The zone polygons of ``zones.geojson``: typed properties, then every polygon checked and, when
invalid, repaired with a warning."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from commissioning.errors import Problem
from commissioning.inputs.cells import INVALID
from commissioning.inputs.domain import Zone
from commissioning.inputs.records import error_count, parse_table
from commissioning.inputs.schema import TABLES

ZONES_FILE = "zones.geojson"
M_PER_DEG_LAT = 111_320.0


def pool_base(zone_geometry: BaseGeometry) -> tuple[float, float]:
    """``(lon, lat)`` of a point on the zone's largest land polygon, where a pool's local carers are taken to
    live when pools.csv gives only weekly hours (earlier files): on the main island, not a skerry."""
    parts = list(getattr(zone_geometry, "geoms", [zone_geometry]))
    largest = max(parts, key=lambda g: g.area)
    point = shapely.point_on_surface(largest)
    return point.x, point.y


def check_zones(frame, problems: list[Problem]) -> list[Zone] | None:
    """Zone objects from the zones GeoDataFrame (index = feature number); ``None`` if any error."""
    table = TABLES["zones"]
    before = error_count(problems)
    source = frame.attrs.get("source", ZONES_FILE)
    parsed = parse_table(frame.drop(columns="geometry"), table, source, problems)
    zones: list[Zone] = []
    for feature, record, geom in zip(parsed.rows, parsed.values, frame.geometry, strict=True):
        label = f"feature {feature}" + (
            f" (zone_id '{record['zone_id']}')" if isinstance(record["zone_id"], str) else ""
        )
        geom = _zone_geometry(geom, label, (source, feature), problems)
        if geom is None or any(v is INVALID for v in record.values()):
            continue
        zones.append(Zone(record["zone_id"], record["name"], record["locality"], record["remote"], geom))
    return zones if error_count(problems) == before and parsed.complete else None



def _zone_geometry(geom, label: str, where: tuple[str, int], problems: list[Problem]) -> BaseGeometry | None:
    """The zone's polygon (repaired with a warning if invalid), or ``None`` after recording an error.
    ``where``: (file name, feature number)."""

    def error(value: object, message: str, fix: str) -> None:
        problems.append(Problem(*where, "geometry", value, f"{label} {message}", fix))

    if geom is None or geom.is_empty:
        return error(None, "has no geometry", "draw the zone's polygon, or delete the feature")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return error(
            geom.geom_type,
            f"is a {geom.geom_type}, not a polygon",
            "give each zone a Polygon or MultiPolygon geometry (its boundary, not a point or line)",
        )
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return error(
            "NaN or infinite coordinate",
            "has corners whose coordinates are not numbers (NaN or infinite)",
            REDRAW_ZONE,
        )
    if not _within_world(geom.bounds):
        return error(
            _bounds_text(geom.bounds),
            "reaches beyond longitude -180 to 180 or latitude -90 to 90",
            "check the coordinates and the file's CRS (WGS84 degrees if it has no 'crs' member)",
        )
    if not geom.is_valid:
        geom = _repair(geom, label, where, problems)
        if geom is None:
            return None
    return _zone_area_ok(geom, label, where, problems)


REDRAW_ZONE = "redraw the zone's polygon in a GIS (e.g. QGIS) and export it again"


def _within_world(bounds: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _bounds_text(bounds: tuple[float, float, float, float]) -> str:
    return "bounds " + ", ".join(f"{v:g}" for v in bounds)


def _repair(
    geom: BaseGeometry, label: str, where: tuple[str, int], problems: list[Problem]
) -> BaseGeometry | None:
    """make_valid's polygon parts, with a warning; ``None`` (and an error) when nothing valid with area is
    left: make_valid can return lines, points, a collection, or raise on degenerate input."""
    reason = shapely.is_valid_reason(geom)
    try:
        repaired = _polygonal(shapely.make_valid(geom))
    except shapely.errors.GEOSException:
        repaired = None
    if repaired is not None and (repaired.is_empty or not repaired.is_valid):
        repaired = None
    problems.append(
        Problem(
            *where,
            "geometry",
            reason,
            f"{label} has an invalid polygon; it was repaired automatically",
            "check the repaired zone on a map, or fix the polygon in a GIS (e.g. QGIS 'Fix geometries')",
            "warning",
        )
    )
    if repaired is None:
        problems.append(
            Problem(*where, "geometry", reason, f"{label} has no area left after repair", REDRAW_ZONE)
        )
    return repaired


# A zone is one patch of one council. Highland, the UK's largest council area, is about 26,000 km² and spans
# about 4 degrees: a zone above MAX_ZONE_AREA_KM2 or wider than MAX_ZONE_SPAN_DEG (even a thin one) is a
# mistake (a world-sized box, a wrong CRS, a stray vertex), and would make the land check clip a continent's
# coastline. Below MIN_ZONE_AREA_M2 the polygon is a line (its corners in a row).
MAX_ZONE_AREA_KM2 = 100_000.0
MAX_ZONE_SPAN_DEG = 10.0  # all of Scotland spans about 9 degrees of longitude and 6 of latitude
MIN_ZONE_AREA_M2 = 1.0


def _zone_area_km2(geom: BaseGeometry) -> float:
    """Approximate area: square degrees scaled at the zone's middle latitude (a few % off for a council)."""
    _, miny, _, maxy = geom.bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    return geom.area * k * (M_PER_DEG_LAT / 1000) ** 2


def _zone_area_ok(
    geom: BaseGeometry, label: str, where: tuple[str, int], problems: list[Problem]
) -> BaseGeometry | None:
    area_km2 = _zone_area_km2(geom)
    minx, miny, maxx, maxy = geom.bounds
    span_deg = max(maxx - minx, maxy - miny)
    if span_deg > MAX_ZONE_SPAN_DEG and area_km2 <= MAX_ZONE_AREA_KM2:
        message = f"spans {span_deg:,.1f} degrees, more than the {MAX_ZONE_SPAN_DEG:g} of any patch"
        fix = "check the polygon for a stray corner far away, and the file's CRS"
    elif area_km2 > MAX_ZONE_AREA_KM2:
        message = f"covers about {area_km2:,.0f} km², more than the {MAX_ZONE_AREA_KM2:,.0f} km² of any patch"
        fix = "check the polygon and the file's CRS: a zone is one patch of a council (Highland: 26,000 km²)"
    elif area_km2 * 1e6 < MIN_ZONE_AREA_M2:
        message, fix = "has no area (its corners lie on one line or one point)", REDRAW_ZONE
    else:
        return geom
    problems.append(
        Problem(*where, "geometry", _bounds_text(geom.bounds), f"{label} {message}", fix)
    )
    return None


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygon parts of a repaired geometry (make_valid may return a collection with lines)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") else None
