"""The user's own geography files for ``generate``: demand points with weights, and zone polygons.

Both are read with ``commissioning validate``'s readers (:mod:`commissioning.inputs.tables` and
:mod:`commissioning.inputs.zones`), so a file gets the same words from both commands: a semicolon-separated
CSV, projected zones without a ``crs`` member, an invalid polygon repaired with a warning. Every problem
raises :class:`InputError` naming file, row, column, value and the fix (at most ``_MAX_LISTED`` problems,
then a count); warnings are appended to the caller's ``warned`` list.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.errors import InputError, Problem
from commissioning.inputs.schema import Table
from commissioning.inputs.tables import (
    MAX_TABLE_BYTES,
    ProblemLog,
    _csv_rows,
    _frame,
    _property_text,
    _read_zones_file,
    _read_zones_layer,
    _size_ok,
    _zone_layer_name,
)
from commissioning.inputs.zones import _zone_geometry

_MAX_LISTED = 40
# validate's zone readers with no property columns: they check the file and its CRS and return the polygons
# in WGS84; the properties are the user's own columns (--zone-id, --zone-name), read separately.
_POLYGONS_ONLY = Table(stem="zones", title="your zone polygons", columns=(), min_rows=1,
                       extensions=(".geojson", ".gpkg", ".shp"))
_ZONE_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")


def _raise_if_errors(problems: list[Problem], name: str, warned: list[Problem] | None) -> None:
    """Raise the errors (with the warnings found beside them); otherwise hand the warnings to the caller."""
    if not any(p.severity == "error" for p in problems):
        if warned is not None:
            warned.extend(problems)
        return
    listed = list(problems[:_MAX_LISTED])
    if len(problems) > _MAX_LISTED:
        more = len(problems) - _MAX_LISTED
        listed.append(Problem(name, None, None, None, f"... and {more} more problems",
                              "fix the rows above, then run again to see the rest"))
    raise InputError(listed)


# ----------------------------------------------------------------------------------------------------
# demand points
# ----------------------------------------------------------------------------------------------------


def read_demand_points(path: str | Path, weight_column: str,
                       warned: list[Problem] | None = None) -> pd.DataFrame:
    """Demand points CSV → DataFrame lon, lat, weight, row (spreadsheet row). InputError on bad input."""
    path = Path(path)
    name = str(path)
    table = _demand_table(path, name, warned)
    xcol, ycol, projected = _coordinate_columns(table, name, weight_column)
    raw = {c: table[c].astype(str).str.strip() for c in (xcol, ycol, weight_column)}
    values = {c: pd.to_numeric(text, errors="coerce").to_numpy(dtype=float) for c, text in raw.items()}
    rows = table.index.to_numpy(dtype=int)
    problems = [Problem(name, int(rows[i]), c, raw[c].iloc[i], "not a number",
                        "write a plain number (a dot for decimals, no units)")
                for c, number in values.items() for i in np.flatnonzero(~np.isfinite(number))]
    x, y, w = values[xcol], values[ycol], values[weight_column]
    problems += _out_of_range(x, y, raw, rows, name, (xcol, ycol), projected)
    # The value as written in the file (as validate shows it), not the parsed number's repr.
    problems += [Problem(name, int(rows[i]), weight_column, raw[weight_column].iloc[i], "negative weight",
                         "weights must be 0 or more") for i in np.flatnonzero(np.isfinite(w) & (w < 0))]
    if not problems and not np.nansum(w) > 0:
        problems.append(Problem(name, None, weight_column, None, "every weight is 0",
                                "give at least one point a positive weight"))
    _raise_if_errors(problems, name, warned)
    if projected:
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(x, y)
    return pd.DataFrame({"lon": np.asarray(x, float), "lat": np.asarray(y, float), "weight": w, "row": rows})


def _demand_table(path: Path, name: str, warned: list[Problem] | None) -> pd.DataFrame:
    """The CSV as stripped text (index: spreadsheet row), read as validate reads a table: a BOM, a
    semicolon- or tab-separated file, UTF-16, stray bytes and shifted rows get validate's messages."""
    if not path.is_file():
        raise InputError([Problem(name, None, None, None, "file not found",
                                  "give the path of a CSV file of demand points")])
    found = ProblemLog()
    rows = None
    if _size_ok(path, name, MAX_TABLE_BYTES, found):
        rows = _csv_rows(path, name, found, required=True)
    for row in rows or ():
        row[:] = [cell.strip() for cell in row]
    table = None if rows is None else _frame(rows, name, None, found, required=True)
    _raise_if_errors(found, name, warned)
    if table.empty:
        raise InputError([Problem(name, None, None, None, "the file has no rows",
                                  "add one row per demand point")])
    return table


def _coordinate_columns(table: pd.DataFrame, name: str, weight_column: str) -> tuple[str, str, bool]:
    """``(x column, y column, projected)``; every missing column at once as an InputError."""
    columns = [str(c) for c in table.columns]
    problems: list[Problem] = []
    if weight_column not in columns:
        problems.append(Problem(name, None, weight_column, None,
                                f"no column '{weight_column}'; the columns are: {', '.join(columns)}",
                                "give --weight-column the name of the column holding each point's weight"))
    found = None
    if {"lon", "lat"} <= set(columns):
        found = ("lon", "lat", False)
    elif {"easting", "northing"} <= set(columns):
        found = ("easting", "northing", True)
    else:
        problems.append(Problem(name, None, None, None,
                                f"no coordinate columns; the columns are: {', '.join(columns)}",
                                "add 'lon' and 'lat' (WGS84 degrees) or 'easting' and 'northing' "
                                "(EPSG:27700)"))
    if problems:
        raise InputError(problems)
    return found


def _out_of_range(x, y, raw: dict[str, pd.Series], rows: np.ndarray, name: str, columns: tuple[str, str],
                  projected: bool) -> list[Problem]:
    if projected:
        bad = np.isfinite(x) & np.isfinite(y) & ~((x >= 0) & (x <= 700_000) & (y >= 0) & (y <= 1_300_000))
        fix = "easting 0-700000 and northing 0-1300000 metres (British National Grid, EPSG:27700)"
    else:
        bad = np.isfinite(x) & np.isfinite(y) & ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
        fix = "lon within -180..180 and lat within -90..90 (WGS84 degrees)"
    xcol, ycol = columns
    return [Problem(name, int(rows[i]), f"{xcol}/{ycol}", f"{raw[xcol].iloc[i]}, {raw[ycol].iloc[i]}",
                    "coordinates out of range", fix) for i in np.flatnonzero(bad)]


# ----------------------------------------------------------------------------------------------------
# zones
# ----------------------------------------------------------------------------------------------------


def read_zones(path: str | Path, zone_id_column: str, zone_name_column: str | None = None,
               warned: list[Problem] | None = None):
    """Zone polygons (GeoJSON, GeoPackage...) → GeoDataFrame in EPSG:4326: ``zone_id``, ``name`` (the
    ``zone_name_column``, else a ``name`` property, else the reference), ``locality`` when present.

    Rows of problems are feature numbers (1-based), as validate numbers the features of zones.geojson.
    """
    import geopandas as gpd

    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError([Problem(name, None, None, None, "file not found",
                                  "give the path of a GeoJSON or GeoPackage file of zone polygons")])
    polygons = _zone_polygons(path, name, warned)
    properties = _zone_attributes(path)
    name_column = _name_column(list(properties.columns), name, zone_id_column, zone_name_column)
    ids = [_property_text(v) for v in properties[zone_id_column]]
    problems = _id_problems(ids, name, zone_id_column)
    geometries = []
    for feature, (zid, geom) in enumerate(zip(ids, polygons.geometry, strict=True), start=1):
        label = f"feature {feature} ({zone_id_column} '{zid}')"
        geometries.append(_zone_geometry(geom, label, (name, feature), problems))
    _raise_if_errors(problems, name, warned)
    names = [_property_text(v) for v in properties[name_column]] if name_column else ids
    out = gpd.GeoDataFrame({"zone_id": ids, "name": [n or zid for n, zid in zip(names, ids, strict=True)]},
                           geometry=geometries, crs="EPSG:4326")
    if "locality" in properties.columns and zone_id_column != "locality":
        out["locality"] = [_property_text(v) for v in properties["locality"]]
    return out


def _zone_polygons(path: Path, name: str, warned: list[Problem] | None):
    """The polygons in WGS84, read by validate's reader: projected coordinates without a ``crs`` member, an
    unknown CRS or an unreadable file are the zones file's error here too (not, later, the demand points')."""
    suffix = path.suffix.lower()
    if suffix not in _ZONE_SUFFIXES:
        # validate's layer reader expects a map layer: a table without geometry (e.g. a CSV) would crash it.
        raise InputError([Problem(name, None, None, suffix or None, "not a GeoJSON, GeoPackage or shapefile",
                                  f"give zone polygons as a file ending in {', '.join(_ZONE_SUFFIXES)}")])
    found = ProblemLog()
    reader = _read_zones_file if suffix in (".geojson", ".json") else _read_zones_layer
    polygons = reader(path, _POLYGONS_ONLY, found)
    # validate names the file as it lies in the dataset folder; generate names the path the user gave.
    problems = [dataclasses.replace(p, file=name) if p.file == path.name else p for p in found]
    _raise_if_errors(problems, name, warned)
    return polygons


def _zone_attributes(path: Path) -> pd.DataFrame:
    """The features' properties, one row per feature in file order (the same layer validate reads)."""
    import warnings

    import geopandas as gpd

    layer = _zone_layer_name(path, str(path), []) if path.suffix.lower() == ".gpkg" else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's notes on the geometry, which is not read here
        return gpd.read_file(path, layer=layer, ignore_geometry=True)


def _name_column(columns: list[str], name: str, zone_id_column: str,
                 zone_name_column: str | None) -> str | None:
    """The property naming each zone: --zone-name, else ``name`` when the file has one; ``None``: none."""
    listed = ", ".join(columns)
    if zone_id_column not in columns:
        raise InputError([Problem(name, None, zone_id_column, None,
                                  f"no column '{zone_id_column}'; the columns are: {listed}",
                                  "give --zone-id the name of the column holding each zone's reference")])
    if zone_name_column is None:
        return "name" if "name" in columns else None
    if zone_name_column not in columns:
        raise InputError([Problem(name, None, zone_name_column, None,
                                  f"no column '{zone_name_column}'; the columns are: {listed}",
                                  "give --zone-name the name of the column holding each zone's name")])
    return zone_name_column


def _id_problems(ids: list[str], name: str, zone_id_column: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for feature, zid in enumerate(ids, start=1):
        if not zid:
            problems.append(Problem(name, feature, zone_id_column, zid, "empty zone reference",
                                    "give every zone a reference"))
        elif zid in seen:
            problems.append(Problem(name, feature, zone_id_column, zid, f"duplicate zone reference (also "
                                    f"feature {seen[zid]})", "make every zone reference unique"))
        else:
            seen[zid] = feature
    return problems
