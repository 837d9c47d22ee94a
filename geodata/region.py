"""The embedded Argyll and Bute region: places, patches (zones) with land-clipped polygons, land, network.

Patch polygons are not drawn by hand. Every place in ``places.csv`` carries its patch (or ``outside``
for the anchors beyond the council border: Morvern, Arran, Inverclyde...). A Voronoi tessellation of
those labelled points, computed in British National Grid metres so the bisectors are true, is dissolved
by patch and intersected with real OSM land. Where the region meets water the coastline is exact; along
land borders the accuracy is that of the anchor spacing (a few km), which is tested against the real
council boundary in ``tests/geodata``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geodata.errors import RegionError
from geodata.land import cache_dir, land_geometry
from geodata.regions import check_region, read_region_table

LOCALITIES = (
    "Bute and Cowal",
    "Helensburgh and Lomond",
    "Mid Argyll, Kintyre and Islay",
    "Oban, Lorn and the Isles",
)

_ZONES_CACHE_VERSION = 1
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
_FROM_BNG = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _yes(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().str.lower().isin({"yes", "true", "1"})


def _to_bng(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(_TO_BNG.transform(xy[:, 0], xy[:, 1])))


def _to_wgs84(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(_FROM_BNG.transform(xy[:, 0], xy[:, 1])))


def build_zone_polygons(places: pd.DataFrame, land: BaseGeometry, bbox) -> dict[str, BaseGeometry]:
    """Land-clipped polygon per ``zone_id`` from a Voronoi tessellation of the labelled places."""
    labels = np.where(places["in_region"].to_numpy(), places["zone_id"].astype(str).to_numpy(), "")
    x, y = _TO_BNG.transform(places["lon"].to_numpy(float), places["lat"].to_numpy(float))
    # Duplicate coordinates would collapse Voronoi cells; nudge them by a metre.
    xy = np.column_stack([x, y])
    _, first = np.unique(np.round(xy), axis=0, return_index=True)
    duplicates = np.setdiff1d(np.arange(len(xy)), first)
    xy[duplicates] += 1.0
    seeds = shapely.points(xy)
    envelope = _to_bng(shapely.box(*bbox)).envelope
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope)
    cell_list = np.asarray(cells.geoms, dtype=object)
    # voronoi_polygons does not keep input order: match each cell to the seed inside it.
    seed_of_cell = shapely.STRtree(seeds).query(cell_list, predicate="contains")
    cell_label = np.empty(len(cell_list), dtype=object)
    cell_label[seed_of_cell[0]] = labels[seed_of_cell[1]]
    shapely.prepare(land)
    zones: dict[str, BaseGeometry] = {}
    for zone_id in sorted(set(labels) - {""}):
        dissolved = shapely.union_all(cell_list[cell_label == zone_id])
        clipped = shapely.intersection(land, _to_wgs84(dissolved))
        clipped = shapely.make_valid(clipped)
        polygons = [g for g in getattr(clipped, "geoms", [clipped]) if g.geom_type == "Polygon"]
        zones[zone_id] = shapely.MultiPolygon(polygons) if polygons else shapely.MultiPolygon()
    return zones


def _zones_cache_key(folder: str, places: pd.DataFrame, bbox) -> str:
    digest = hashlib.sha1()
    digest.update(f"v{_ZONES_CACHE_VERSION}-{folder}-{bbox}".encode())
    digest.update(pd.util.hash_pandas_object(places, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _cached_zone_polygons(folder: str, places: pd.DataFrame, land, bbox) -> dict[str, BaseGeometry]:
    path = cache_dir() / f"zones-{folder}-{_zones_cache_key(folder, places, bbox)}.json"
    if path.exists():
        try:
            stored = json.loads(path.read_text())
            return {k: shapely.from_wkb(bytes.fromhex(v)) for k, v in stored.items()}
        except (ValueError, shapely.errors.GEOSException):
            path.unlink(missing_ok=True)
    zones = build_zone_polygons(places, land, bbox)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump({k: shapely.to_wkb(v, hex=True) for k, v in zones.items()}, handle)
    os.replace(tmp, path)
    return zones


@dataclass(frozen=True)
class Region:
    """A region the product knows: its places, patches, land and travel network."""

    key: str
    title: str
    bbox: tuple[float, float, float, float]
    places: pd.DataFrame
    patches: pd.DataFrame
    zones: object  # geopandas.GeoDataFrame, EPSG:4326 (typed loosely to keep geopandas import local)
    land: BaseGeometry
    _folder: str = field(repr=False, default="")

    @cached_property
    def outline(self) -> BaseGeometry:
        return shapely.union_all(list(self.zones.geometry))

    @cached_property
    def _zone_tree(self) -> shapely.STRtree:
        return shapely.STRtree(list(self.zones.geometry))

    def zone_of(self, lon, lat, snap_m: float = 1000.0) -> np.ndarray:
        """``zone_id`` of each point (``""`` where no patch lies within ``snap_m``).

        A point inside no polygon but within ``snap_m`` of one takes the nearest patch: the land polygons
        are generalised, so harbour-side houses can fall a few hundred metres "in the sea".
        """
        points = np.atleast_1d(shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)))
        hits = self._zone_tree.query(points, predicate="intersects")
        result = np.full(len(points), "", dtype=object)
        ids = self.zones["zone_id"].to_numpy()
        # A point on a shared border touches two polygons: keep the lowest zone index, for determinism.
        order = np.lexsort((hits[1], hits[0]))
        point_idx, zone_idx = hits[0][order], hits[1][order]
        first = np.unique(point_idx, return_index=True)[1]
        result[point_idx[first]] = ids[zone_idx[first]]
        unmatched = np.flatnonzero(result == "")
        if len(unmatched) and snap_m > 0:
            # Degrees of latitude; longitude degrees are shorter, so this errs on the generous side
            # and the metre check below is done per point.
            near = self._zone_tree.query_nearest(
                points[unmatched],
                max_distance=snap_m / 111_320.0 / 0.55,
                return_distance=True,
                all_matches=False,
            )
            (which, zone_idx), distance_deg = near
            lat_rad = np.radians(shapely.get_y(points[unmatched][which]))
            metres = distance_deg * 111_320.0 * np.cos(lat_rad)
            ok = metres <= snap_m
            result[unmatched[which[ok]]] = ids[zone_idx[ok]]
        return result.astype(str)

    def settlements(self) -> pd.DataFrame:
        """In-region places where people live (population > 0)."""
        mask = self.places["in_region"] & (self.places["population"] > 0)
        return self.places[mask].reset_index(drop=True)

    def table(self, name: str) -> pd.DataFrame:
        return read_region_table(self._folder, name)

    def network(self):
        """The road + ferry :class:`geodata.network.TravelNetwork` of this region (built once)."""
        return _network(self.key)


@lru_cache(maxsize=4)
def _network(key: str):
    from geodata.network import TravelNetwork

    region = load_region(key)
    return TravelNetwork.from_tables(
        region.places, region.table("roads"), region.table("ferries"), land=region.land
    )


@lru_cache(maxsize=4)
def load_region(name: str = "argyll-bute") -> Region:
    """Load an embedded region by name (``argyll-bute``); cached per process and on disk."""
    import geopandas as gpd

    folder, bbox, title = check_region(name)
    places = read_region_table(folder, "places")
    places["in_region"] = _yes(places["in_region"])
    places["population"] = pd.to_numeric(places["population"], errors="coerce").fillna(0).astype(int)
    places["older_population"] = (
        pd.to_numeric(places["older_population"], errors="coerce").fillna(0).astype(int)
    )
    for column in ("zone_id", "locality", "island", "kind"):
        places[column] = places[column].astype(str)
    patches = read_region_table(folder, "patches")
    patches["remote"] = _yes(patches["remote"])
    patches["island_patch"] = _yes(patches["island_patch"])
    land = land_geometry(bbox)
    polygons = _cached_zone_polygons(folder, places, land, bbox)
    missing = sorted(set(patches["zone_id"]) - set(polygons))
    if missing:
        raise RegionError(f"patches with no place to seed their polygon: {', '.join(missing)}")
    zones = gpd.GeoDataFrame(
        patches[["zone_id", "name", "locality", "remote", "island_patch"]].copy(),
        geometry=[polygons[z] for z in patches["zone_id"]],
        crs="EPSG:4326",
    )
    return Region(name, title, bbox, places, patches, zones, land, folder)


def ferry_routes(region: Region):
    """Ferry links as straight lines between terminals (GeoDataFrame, EPSG:4326), for maps."""
    import geopandas as gpd

    ferries = region.table("ferries")
    where = region.places.set_index("place_id")[["name", "lon", "lat"]]
    lines, rows = [], []
    for row in ferries.itertuples(index=False):
        a, b = where.loc[row.from_id], where.loc[row.to_id]
        lines.append(shapely.LineString([(a.lon, a.lat), (b.lon, b.lat)]))
        rows.append({
            "route_id": row.route_id,
            "name": f"{a['name']} – {b['name']}",
            "crossing_minutes": float(row.crossing_minutes),
            "first_sailing": str(row.first_sailing),
            "last_sailing": str(row.last_sailing),
            "operator": str(row.operator),
        })
    return gpd.GeoDataFrame(rows, geometry=lines, crs="EPSG:4326")
