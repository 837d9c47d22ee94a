"""The geography a scenario is generated on: the embedded region, or the user's demand points and zones.

Both give one :class:`Geography`: zone polygons as written to ``zones.geojson``, where clients come from
(weighted demand points, plus a rural scatter and roads for the embedded region), candidate staff hub sites
and a travel-minutes estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from commissioning.errors import InputError, Problem
from commissioning.synthetic.assumptions import (
    ARGYLL_BUTE_TOURIST_ZONES,
    BORDER_FACTOR,
    BORDER_RADIUS_SHARE,
    COORD_DECIMALS,
    MIN_PART_KM2,
    MIN_UNINHABITED_KM2,
    SIMPLIFY_DEGREES,
    TOWN_MIN_POPULATION,
)
from geodata.geometry import pairwise_haversine_km
from geodata.land import land_geometry, on_land
from geodata.regions import REGIONS
from geodata.water import excluded_water


@dataclass
class Geography:
    region_key: str | None
    travel_model: str
    land: BaseGeometry
    # zone_id, name, locality, remote, island, tourist (bools), geometry (output polygons, EPSG:4326)
    zones: pd.DataFrame
    zone_of: Callable[[np.ndarray, np.ndarray], np.ndarray]  # "" outside every zone
    # where clients come from: lon, lat, weight, sd_km (jitter), zone; plus scatter anchors
    demand: pd.DataFrame
    scatter: pd.DataFrame | None  # lon, lat, weight, radius_km
    roads: np.ndarray | None  # (n, 4) lon0, lat0, lon1, lat1 segments for road scatter
    accept: Callable[[np.ndarray, np.ndarray], np.ndarray] | None  # extra acceptance test (borders)
    # candidate staff hub sites: name, lon, lat, weight, zone, locality, town (bool), residents (nan: unknown)
    hub_sites: pd.DataFrame
    minutes: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    notes: list[str] = field(default_factory=list)
    # Second coastline (GSHHG): a point must be on land in both, so it is on land by any common reference.
    coast: BaseGeometry | None = None

    def on_land(self, lon, lat) -> np.ndarray:
        ok = on_land(lon, lat, self.land)
        if self.coast is not None and ok.any():
            ok[ok] = on_land(np.asarray(lon)[ok], np.asarray(lat)[ok], self.coast)
        return ok


def approx_minutes(lon0, lat0, lon1, lat1, speed_kmh: float = 30.0, circuity: float = 1.3) -> np.ndarray:
    return pairwise_haversine_km(lon0, lat0, lon1, lat1) * circuity / speed_kmh * 60.0


def _output_polygons(geoms, simplify: float, places: np.ndarray | None = None) -> list[BaseGeometry]:
    """Polygons as written to zones.geojson: simplified, small islets dropped, on a 1e-5 degree grid.

    With ``places`` (n x 2 lon/lat), a land part is kept only if a place lies on (or within ~50 m of) it
    or it is larger than ``MIN_UNINHABITED_KM2``: clients live on inhabited islands.
    """
    place_points = shapely.points(places) if places is not None else None
    out = []
    for geom in geoms:
        g = shapely.make_valid(geom)
        if simplify > 0:
            g = shapely.simplify(g, simplify, preserve_topology=True)
        g = shapely.set_precision(g, 10.0**-COORD_DECIMALS)
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]
        if parts:
            lat = np.array([p.centroid.y for p in parts])
            km2 = np.array([p.area for p in parts]) * 111.32 * 110.57 * np.cos(np.radians(lat))
            if place_points is not None:
                tree = shapely.STRtree(place_points)
                near = np.zeros(len(parts), dtype=bool)
                near[np.unique(tree.query(parts, predicate="dwithin", distance=0.0005)[0])] = True
                keep = [p for p, a, n in zip(parts, km2, near, strict=True) if n or a >= MIN_UNINHABITED_KM2]
            else:
                keep = [p for p, a in zip(parts, km2, strict=True) if a >= MIN_PART_KM2]
            parts = keep or [parts[int(np.argmax(km2))]]
        multi = shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()
        out.append(_orient(multi))
    return out


def _orient(multi: BaseGeometry) -> BaseGeometry:
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946)."""
    if hasattr(shapely, "orient_polygons"):  # shapely >= 2.1
        return shapely.orient_polygons(multi)
    from shapely.geometry.polygon import orient

    return shapely.MultiPolygon([orient(p, 1.0) for p in multi.geoms]) if not multi.is_empty else multi


def _zone_lookup(zone_ids: np.ndarray, polygons: list[BaseGeometry]):
    """zone_of(lon, lat) over the given polygons: first (lowest index) polygon containing each point."""
    tree = shapely.STRtree(polygons)

    def zone_of(lon, lat) -> np.ndarray:
        points = np.atleast_1d(shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)))
        hits = tree.query(points, predicate="intersects")
        result = np.full(len(points), "", dtype=object)
        if hits.shape[1]:
            order = np.lexsort((hits[1], hits[0]))
            p_idx, z_idx = hits[0][order], hits[1][order]
            first = np.unique(p_idx, return_index=True)[1]
            result[p_idx[first]] = zone_ids[z_idx[first]]
        return result.astype(str)

    return zone_of


def region_geography(region_key: str, demand_points: pd.DataFrame | None) -> Geography:
    from geodata.region import load_region

    region = load_region(region_key)
    zones_gdf = region.zones
    zone_ids = zones_gdf["zone_id"].astype(str).to_numpy()
    known = region.places[region.places["in_region"].astype(bool)]
    polygons = _output_polygons(list(zones_gdf.geometry), SIMPLIFY_DEGREES,
                                known[["lon", "lat"]].to_numpy(float))
    zones = pd.DataFrame({
        "zone_id": zone_ids,
        "name": zones_gdf["name"].astype(str).to_numpy(),
        "locality": zones_gdf["locality"].astype(str).to_numpy(),
        "remote": zones_gdf["remote"].astype(bool).to_numpy(),
        # not written to zones.geojson: they size the workforce (islands and tourist patches are short)
        "island": (zones_gdf["island_patch"].astype(bool).to_numpy() if "island_patch" in zones_gdf
                   else np.zeros(len(zone_ids), dtype=bool)),
        "tourist": np.isin(zone_ids, ARGYLL_BUTE_TOURIST_ZONES if region_key == "argyll-bute" else ()),
    })
    zones["geometry"] = polygons
    written_zone_of = _zone_lookup(zone_ids, polygons)

    def zone_of(lon, lat):
        # The region's own polygons decide, and the written (simplified) polygon must agree.
        mine = np.asarray(region.zone_of(lon, lat), dtype=str)
        written = written_zone_of(lon, lat)
        return np.where(mine == written, mine, "")

    places = region.places
    inside = places[places["in_region"].astype(bool)]
    outside = places[~places["in_region"].astype(bool)]
    in_lon, in_lat = inside["lon"].to_numpy(float), inside["lat"].to_numpy(float)
    out_lon, out_lat = outside["lon"].to_numpy(float), outside["lat"].to_numpy(float)

    def nearest_outside_km(lon, lat):
        if not len(out_lon):
            return np.full(len(np.atleast_1d(lon)), np.inf)
        return pairwise_haversine_km(lon, lat, out_lon, out_lat).min(axis=1)

    water = excluded_water(region_key)
    if water is not None:
        shapely.prepare(water)

    def accept(lon, lat):
        # Stay well inside the region's land borders (nearer an in-region place than an outside one)
        # and out of the large freshwater lochs.
        ok = np.ones(len(lon), dtype=bool)
        if water is not None:
            ok &= ~shapely.contains_xy(water, lon, lat)
        if len(out_lon):
            d_in = pairwise_haversine_km(lon, lat, in_lon, in_lat).min(axis=1)
            ok &= d_in <= BORDER_FACTOR * nearest_outside_km(lon, lat)
        return ok

    settlements = region.settlements()
    s_lon, s_lat = settlements["lon"].to_numpy(float), settlements["lat"].to_numpy(float)
    pop = settlements["population"].to_numpy(float)
    older = settlements["older_population"].to_numpy(float)
    border_km = nearest_outside_km(s_lon, s_lat)
    if demand_points is None:
        sd = np.minimum(0.25 + 0.6 * np.sqrt(pop / 1000.0), 1.5)
        demand = pd.DataFrame({
            "lon": s_lon, "lat": s_lat, "weight": np.maximum(older, 0.5),
            "sd_km": np.minimum(sd, BORDER_RADIUS_SHARE * border_km),
        })
        small = (settlements["kind"].astype(str).to_numpy() != "town") | (pop < 1500)
        scatter = pd.DataFrame({
            "lon": s_lon[small], "lat": s_lat[small], "weight": np.sqrt(np.maximum(older[small], 0.0) + 1.0),
            "radius_km": np.minimum(5.0, BORDER_RADIUS_SHARE * border_km[small]),
        })
        roads = _region_roads(region)
    else:
        demand = demand_points
        scatter, roads = None, None

    hub_sites = pd.DataFrame({
        "name": settlements["name"].astype(str).to_numpy(),
        "lon": s_lon, "lat": s_lat, "weight": pop,
        "zone": settlements["zone_id"].astype(str).to_numpy(),
        "locality": settlements["locality"].astype(str).to_numpy(),
        "town": (settlements["kind"].astype(str).to_numpy() == "town") | (pop >= TOWN_MIN_POPULATION),
        "residents": pop,
    })
    notes: list[str] = []

    def minutes(lon0, lat0, lon1, lat1):
        try:
            network = region.network()
            matrix = network.matrix(np.asarray(lon0), np.asarray(lat0), np.asarray(lon1), np.asarray(lat1),
                                    "morning")
            result = np.asarray(matrix.minutes, dtype=float)
            if result.shape == (len(lon0), len(lon1)):
                return result
        except Exception as error:  # the network is optional here: great-circle estimate instead
            if not notes:
                notes.append(f"providers ranked by great-circle estimates (no road network: {error})")
        return approx_minutes(lon0, lat0, lon1, lat1, speed_kmh=40.0)

    return Geography(region_key, "network", region.land, zones, zone_of, demand, scatter, roads, accept,
                      hub_sites, minutes, notes, coast=land_geometry(tuple(region.bbox), "Gshhg"))


def _region_roads(region) -> np.ndarray | None:
    try:
        roads = region.table("roads")
    except Exception:  # no roads table: scatter around small places only
        return None
    places = region.places.set_index("place_id")
    inside = set(places.index[places["in_region"].astype(bool)])
    keep = roads[roads["from_id"].isin(inside) & roads["to_id"].isin(inside)]
    if keep.empty:
        return None
    a = places.loc[keep["from_id"].to_numpy()]
    b = places.loc[keep["to_id"].to_numpy()]
    return np.column_stack([a["lon"].to_numpy(float), a["lat"].to_numpy(float),
                            b["lon"].to_numpy(float), b["lat"].to_numpy(float)])


def user_geography(demand: pd.DataFrame, zones_gdf, demand_file: str) -> Geography:
    zone_ids = zones_gdf["zone_id"].to_numpy().astype(str)
    polygons = _output_polygons(list(zones_gdf.geometry), 0.0)
    zone_of = _zone_lookup(zone_ids, polygons)
    minx, miny, maxx, maxy = shapely.total_bounds(polygons)
    bbox = (round(minx - 0.05, 4), round(miny - 0.05, 4), round(maxx + 0.05, 4), round(maxy + 0.05, 4))
    # A bbox inside an embedded region's: reuse that region's land cache (same OSM land, no rebuild).
    for _, region_bbox, _ in REGIONS.values():
        if (region_bbox[0] <= bbox[0] and region_bbox[1] <= bbox[1]
                and bbox[2] <= region_bbox[2] and bbox[3] <= region_bbox[3]):
            bbox = region_bbox
            break
    land = land_geometry(tuple(bbox))

    demand = demand[demand["weight"] > 0].reset_index(drop=True)
    point_zone = zone_of(demand["lon"].to_numpy(), demand["lat"].to_numpy())
    inside = point_zone != ""
    if not inside.any():
        raise InputError([Problem(demand_file, None, None, None,
                                  "no demand point with a positive weight lies inside the zones",
                                  "check that the points and zones cover the same area and CRS")])
    notes = []
    if (~inside).sum():
        outside_rows = demand.loc[~inside, "row"].astype(int).tolist()
        shown = ", ".join(str(r) for r in outside_rows[:10]) + (" ..." if len(outside_rows) > 10 else "")
        notes.append(
            f"{len(outside_rows)} demand points lie outside every zone and were not used "
            f"({Path(demand_file).name} rows {shown}); add zones that cover them if they should count"
        )
    demand = demand[inside].reset_index(drop=True)
    point_zone = point_zone[inside]
    lon, lat = demand["lon"].to_numpy(), demand["lat"].to_numpy()
    # Jitter: a fraction of the distance to the nearest other point (dense towns: small).
    nn = nearest_other_km(lon, lat)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "weight": demand["weight"].to_numpy(float),
                           "sd_km": np.clip(0.4 * nn, 0.05, 1.5), "zone": point_zone})

    # Zone table: name/locality from the file when present; remote = lowest quarter of weight density.
    weight_by_zone = demand.groupby("zone")["weight"].sum()
    lat_c = np.array([p.centroid.y if not p.is_empty else 0.0 for p in polygons])
    area_km2 = np.array([p.area for p in polygons]) * 111.32 * 110.57 * np.cos(np.radians(lat_c))
    density = np.array([weight_by_zone.get(z, 0.0) for z in zone_ids]) / np.maximum(area_km2, 1e-6)
    remote = density <= np.quantile(density, 0.25)
    names = zones_gdf["name"].to_numpy().astype(str) if "name" in zones_gdf.columns else zone_ids
    localities = (zones_gdf["locality"].to_numpy().astype(str) if "locality" in zones_gdf.columns
                  else np.full(len(zone_ids), "", dtype=object))
    zones = pd.DataFrame({"zone_id": zone_ids, "name": names, "locality": localities, "remote": remote,
                          "island": np.zeros(len(zone_ids), dtype=bool),
                          "tourist": np.zeros(len(zone_ids), dtype=bool)})
    zones["geometry"] = polygons
    zones["density"] = density
    locality_of_zone = dict(zip(zone_ids, localities, strict=True))
    # The user's weights are not residents: a site is a "town" when its zone is in the denser half.
    dense = dict(zip(zone_ids, density >= np.median(density), strict=True))
    hub_sites = pd.DataFrame({
        "name": [f"point at row {r}" for r in range(len(demand))],
        "lon": lon, "lat": lat, "weight": demand["weight"].to_numpy(float), "zone": point_zone,
        "locality": [locality_of_zone[z] for z in point_zone],
        "town": [bool(dense[z]) for z in point_zone],
        "residents": np.full(len(demand), np.nan),  # unknown: remote hubs get a fixed recruitment limit
    })
    return Geography(None, "approximate", land, zones, zone_of, demand, None, None, None, hub_sites,
                      approx_minutes, notes, coast=land_geometry(tuple(bbox), "Gshhg"))


def nearest_other_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    out = np.empty(len(lon))
    for start in range(0, len(lon), 512):
        d = pairwise_haversine_km(lon[start:start + 512], lat[start:start + 512], lon, lat)
        d[np.arange(d.shape[0]), np.arange(start, start + d.shape[0])] = np.inf
        out[start:start + 512] = d.min(axis=1)
    out[~np.isfinite(out)] = 2.0
    return out


def points_in_region(points: pd.DataFrame, region: str, demand_file: str) -> pd.DataFrame:
    from geodata.region import load_region

    reg = load_region(region)
    zone = reg.zone_of(points["lon"].to_numpy(), points["lat"].to_numpy())
    keep = (zone != "") & (points["weight"].to_numpy() > 0)
    if not keep.any():
        raise InputError([Problem(demand_file, None, None, None,
                                  f"no demand point with a positive weight lies inside the region {region}",
                                  "give points inside the region, or your own --zones")])
    lon, lat = points["lon"].to_numpy()[keep], points["lat"].to_numpy()[keep]
    return pd.DataFrame({"lon": lon, "lat": lat, "weight": points["weight"].to_numpy(float)[keep],
                         "sd_km": np.clip(0.4 * nearest_other_km(lon, lat), 0.05, 1.5)})
