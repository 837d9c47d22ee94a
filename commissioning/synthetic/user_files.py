"""The user's own geography files for ``generate``: demand points with weights, and zone polygons.

Every problem raises :class:`InputError` naming file, row, column, value and the fix (at most
``_MAX_LISTED`` problems, then a count).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from commissioning.errors import InputError, Problem

_MAX_LISTED = 40


def read_demand_points(path: str | Path, weight_column: str) -> pd.DataFrame:
    """Demand points CSV → DataFrame lon, lat, weight, row (spreadsheet row). InputError on bad input."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, None, None, None, "file not found",
                                  "give the path of a CSV file of demand points")])
    try:
        table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError([Problem(name, None, None, None, f"cannot read the file as CSV ({error})",
                                  "save it as CSV (UTF-8) with a header row")]) from error
    table.columns = [str(c).strip() for c in table.columns]
    columns = list(table.columns)
    problems: list[Problem] = []
    if weight_column not in columns:
        problems.append(Problem(name, None, weight_column, None,
                                f"no column '{weight_column}'; the columns are: {', '.join(columns)}",
                                "give --weight-column the name of the column holding each point's weight"))
    if {"lon", "lat"} <= set(columns):
        xcol, ycol, projected = "lon", "lat", False
    elif {"easting", "northing"} <= set(columns):
        xcol, ycol, projected = "easting", "northing", True
    else:
        problems.append(Problem(name, None, None, None,
                                f"no coordinate columns; the columns are: {', '.join(columns)}",
                                "add 'lon' and 'lat' (WGS84 degrees) or 'easting' and 'northing' "
                                "(EPSG:27700)"))
        raise InputError(problems)
    if problems:
        raise InputError(problems)
    if table.empty:
        raise InputError([Problem(name, None, None, None, "the file has no rows",
                                  "add one row per demand point")])
    rows = np.arange(len(table)) + 2
    values = {}
    for column in (xcol, ycol, weight_column):
        raw = table[column].astype(str).str.strip()
        number = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(number)
        for i in np.flatnonzero(bad):
            problems.append(Problem(name, int(rows[i]), column, raw.iloc[i], "not a number",
                                    "write a plain number (a dot for decimals, no units)"))
        values[column] = number
    x, y, w = values[xcol], values[ycol], values[weight_column]
    if projected:
        bad = np.isfinite(x) & np.isfinite(y) & ~((x >= 0) & (x <= 700_000) & (y >= 0) & (y <= 1_300_000))
        fix = "easting 0-700000 and northing 0-1300000 metres (British National Grid, EPSG:27700)"
    else:
        bad = np.isfinite(x) & np.isfinite(y) & ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
        fix = "lon within -180..180 and lat within -90..90 (WGS84 degrees)"
    for i in np.flatnonzero(bad):
        problems.append(Problem(name, int(rows[i]), f"{xcol}/{ycol}", f"{x[i]}, {y[i]}",
                                "coordinates out of range", fix))
    for i in np.flatnonzero(np.isfinite(w) & (w < 0)):
        problems.append(Problem(name, int(rows[i]), weight_column, w[i], "negative weight",
                                "weights must be 0 or more"))
    if not problems and not np.nansum(w) > 0:
        problems.append(Problem(name, None, weight_column, None, "every weight is 0",
                                "give at least one point a positive weight"))
    if problems:
        listed = problems[:_MAX_LISTED]
        if len(problems) > _MAX_LISTED:
            more = len(problems) - _MAX_LISTED
            listed.append(Problem(name, None, None, None, f"... and {more} more problems",
                                  "fix the rows above, then run again to see the rest"))
        raise InputError(listed)
    if projected:
        from pyproj import Transformer

        lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(x, y)
    else:
        lon, lat = x, y
    return pd.DataFrame({"lon": np.asarray(lon, float), "lat": np.asarray(lat, float), "weight": w,
                         "row": rows})


def read_zones(path: str | Path, zone_id_column: str):
    """Zone polygons (GeoJSON, GeoPackage...) → GeoDataFrame in EPSG:4326 with ``zone_id`` as text."""
    import geopandas as gpd

    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError([Problem(name, None, None, None, "file not found",
                                  "give the path of a GeoJSON or GeoPackage file of zone polygons")])
    try:
        zones = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise InputError([Problem(name, None, None, None, f"cannot read the file as a map layer ({error})",
                                  "save the zones as GeoJSON or GeoPackage polygons")]) from error
    columns = [c for c in zones.columns if c != "geometry"]
    if zone_id_column not in zones.columns:
        raise InputError([Problem(name, None, zone_id_column, None,
                                  f"no column '{zone_id_column}'; the columns are: {', '.join(columns)}",
                                  "give --zone-id the name of the column holding each zone's reference")])
    if zones.empty:
        raise InputError([Problem(name, None, None, None, "the file has no zones",
                                  "add one polygon per zone")])
    problems: list[Problem] = []
    ids = zones[zone_id_column].astype(str).str.strip()
    seen: dict[str, int] = {}
    for i, (zid, geom) in enumerate(zip(ids, zones.geometry, strict=True)):
        row = i + 2
        if zid in ("", "nan", "None"):
            problems.append(Problem(name, row, zone_id_column, zid, "empty zone reference",
                                    "give every zone a reference"))
        elif zid in seen:
            problems.append(Problem(name, row, zone_id_column, zid, f"duplicate zone reference (also row "
                                    f"{seen[zid]})", "make every zone reference unique"))
        else:
            seen[zid] = row
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "no geometry" if geom is None else geom.geom_type
            problems.append(Problem(name, row, "geometry", kind, "not a polygon",
                                    "every zone must be a Polygon or MultiPolygon"))
    if problems:
        raise InputError(problems[:_MAX_LISTED])
    if zones.crs is None:
        minx, miny, maxx, maxy = zones.total_bounds
        if min(minx, miny) < -180 or max(maxx, maxy) > 180:
            raise InputError([Problem(name, None, "crs", None,
                                      "no coordinate reference system and the coordinates are not degrees",
                                      "save the file with its CRS (e.g. EPSG:27700)")])
        zones = zones.set_crs("EPSG:4326")
    zones = zones.to_crs("EPSG:4326")
    out = gpd.GeoDataFrame({"zone_id": ids.to_numpy()}, geometry=shapely.make_valid(zones.geometry.values),
                           crs="EPSG:4326")
    for extra in ("name", "locality"):
        if extra in zones.columns and extra != zone_id_column:
            out[extra] = zones[extra].astype(str).to_numpy()
    return out
