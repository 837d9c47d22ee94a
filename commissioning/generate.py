"""Synthetic but realistic scenario folders: clients, providers, hubs, pools, zones.

``generate_scenario`` writes the six files of the README's *Scenario folder format* for the embedded
Argyll and Bute region, or for the user's own geography (demand points with weights and zone
polygons). The same seed gives byte-identical files: one ``numpy.random.default_rng(seed)`` drawn in
a fixed order, stable sorts, fixed float formatting, no timestamps, GeoJSON written by ``json.dumps``.

How the data are made (every figure below is a labelled default, see DOMAIN.md):

* Clients live near settlements weighted by older population, plus a rural scatter around small places
  and along roads. Every client is on land and inside a zone (resampled until true).
* Weekly hours are log-normal (mean 13 h, about 6% over 25 h); visits of 15/30/45/60 minutes average
  about 29-30 minutes (Oban and Lorn 2017: 258 clients, 3,361 h, about 7,000 visits a week).
* Providers: national companies, local independents (some island-based), third sector and the
  council's in-house service; 79% of staff hours in the independent sector; staff hours about 1.2x the
  demand (care plus estimated travel), short in some remote patches.
* The current allocation reproduces how fragmentation arose: three ranked providers per patch took
  60/25/15% of new work (the 2012 model), then packages handed back and re-brokered drifted to any
  provider reaching the patch; a few packages wait for a provider.
* Shared staff pools in remote patches, each with at most ``max_pool_members`` members.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from commissioning import __version__
from commissioning.errors import InputError, Problem
from geodata.geometry import haversine_km, pairwise_haversine_km
from geodata.land import land_geometry, on_land, water_run_km
from geodata.water import excluded_water

# ---------------------------------------------------------------------------------------------------
# Labelled defaults (DOMAIN.md). Change them here, not inside the functions.
# ---------------------------------------------------------------------------------------------------
NEEDS = ("personal_care", "medication", "dementia", "palliative", "moving_handling", "meal_prep", "social")
BANDS = ("morning", "lunch", "tea", "bed")
BAND_PRIORITY = (8.0, 2.0, 3.0, 4.0)  # morning first, then bed, tea, lunch when a client has few bands
FILES = ("clients.csv", "providers.csv", "hubs.csv", "pools.csv", "zones.geojson", "dataset.json")
KINDS = ("national", "independent", "third_sector", "in_house")

MEAN_WEEKLY_HOURS = 13.0  # Oban and Lorn 2017: 3,361.5 h / 258 clients
HOURS_SIGMA = 0.5015  # log-normal shape giving P(hours > 25) of about 6%
MIN_WEEKLY_HOURS, MAX_WEEKLY_HOURS = 1.5, 70.0
VISIT_MINUTES = (15, 30, 45, 60)
VISIT_MINUTES_P = (0.24, 0.60, 0.12, 0.04)  # with the cap below: about 29-30 minutes a visit on average
MAX_VISITS_PER_WEEK = 42  # six a day; heavier packages get longer visits
TWO_CARER_BASE, TWO_CARER_EXTRA = 0.03, 0.50  # p = base + extra * logistic((hours - 24) / 4.5): ~10%
PINNED_SHARE = 0.03  # self-directed support option 2
WAITING_SHARE = 0.025  # new packages waiting for a provider
SCATTER_SHARE = 0.30  # rural clients away from the settlement cores

IN_HOUSE_SHARE = 0.21  # 79% of care at home delivered by the independent sector
STAFF_TO_DEMAND = 1.22  # staff hours / (care + estimated travel) hours, region-wide
TRAVEL_MINUTES_PER_VISIT = {False: 7.0, True: 12.0}  # estimate for sizing, by zone remoteness
HOURS_PER_CARER = 24.0  # average contracted hours of a (mostly part-time) carer
RANK_SHARES = (0.60, 0.25, 0.15)  # the 2012 model: three ranked providers per area
DRIFT_SHARE = 0.17  # packages handed back and re-brokered to any provider reaching the patch
REACH_MINUTES = 75.0  # a provider reaches a patch if a hub is this close (or nearly the closest)
RATE_GBP = {"national": (23.0, 26.5), "independent": (22.0, 27.0), "third_sector": (22.0, 25.0),
            "in_house": (28.0, 30.0)}

# Argyll and Bute: fictional providers with home patches (zone ids of geodata/data/argyll_bute).
# (kind, name, home zones in hub order, number of hubs, island-based)
ARGYLL_BUTE_PROVIDERS = {
    "national": [
        ("Westerly Homecare Group", ["helensburgh", "dunoon", "oban", "mull_iona"], 4, False),
        ("Brackenridge Care Services", ["oban", "mid_argyll", "kintyre_south", "islay"], 4, False),
        ("Glenfarran Care at Home", ["helensburgh", "bute", "dunoon", "gareloch"], 3, False),
    ],
    "independent": [
        ("Lorn Care Partnership", ["oban", "lorn_north", "lorn_east", "lorn_south"], 3, False),
        ("Mull and Iona Homecare", ["mull_iona"], 2, True),
        ("Islay and Jura Home Support", ["islay", "jura"], 2, True),
        ("Bute Community Homecare", ["bute"], 1, False),
        ("Kintyre Care at Home", ["kintyre_south", "kintyre_north"], 2, False),
        ("Loch Fyne Homecare", ["mid_argyll", "inveraray", "kintyre_north"], 2, False),
        ("Lomond Shore Care", ["helensburgh", "gareloch", "arrochar", "rosneath"], 2, False),
        ("Holy Loch Home Support", ["cowal_east", "dunoon"], 2, False),
    ],
    "third_sector": [
        ("Cowal Community Care Trust", ["dunoon", "cowal_west", "cowal_east"], 2, False),
        ("Tiree and Coll Community Care", ["tiree", "coll"], 2, True),
        ("Kilbrannan Care Trust", ["kintyre_south", "mid_argyll"], 2, False),
    ],
    "in_house": [("Argyll and Bute Council Home Care", [], 4, False)],
}
ARGYLL_BUTE_POOLS = [
    ("pool_mull_iona", ["mull_iona"]),
    ("pool_islay_jura", ["islay", "jura"]),
    ("pool_tiree_coll", ["tiree", "coll"]),
    ("pool_kintyre_south", ["kintyre_south"]),
    ("pool_cowal_west", ["cowal_west"]),
]
EXTRA_SUFFIX = {"national": "Care Group", "independent": "Home Support", "third_sector": "Community Care",
                "in_house": "Council Home Care"}
# Fictional names for a user's own geography.
GENERIC_NAMES = {
    "national": ["Westerly Homecare Group", "Brackenridge Care Services", "Glenfarran Care at Home",
                 "Northlight Care Group"],
    "independent": ["Rowanbank Homecare", "Birchhollow Care", "Aldermoss Home Support", "Hazelbrae Care",
                    "Larchmount Homecare", "Willowmere Care", "Heatherlea Home Support", "Cairnview Care",
                    "Burnside Lane Homecare", "Glenmoss Care"],
    "third_sector": ["Community Care Trust", "Neighbourhood Carers", "Rural Care Co-operative",
                     "Befriending and Care Trust"],
    "in_house": ["Council Home Care"],
}
POOL_SHARE = (0.05, 0.10)  # pool weekly hours as a share of the care hours (both carers) in the pool's zones
SIMPLIFY_DEGREES = 0.001  # zones.geojson polygon simplification (~70-110 m)
MIN_PART_KM2 = 0.02  # islets smaller than this are left out of zones.geojson
MIN_UNINHABITED_KM2 = 2.0  # embedded region: land parts without a known place must be at least this big
BORDER_FACTOR = 0.6  # a client's nearest in-region place is at most 0.6x as far as the nearest outside one
BORDER_RADIUS_SHARE = 0.15  # scatter radius at most this share of the distance to the nearest outside place
MAX_WATER_KM = 0.1  # a client is reached from its settlement or road without crossing open water
COORD_DECIMALS = 5


@dataclass(frozen=True)
class GenerationSummary:
    """What was generated, for the printed summary and for tests."""

    out_dir: Path
    region: str | None
    seed: int
    travel_model: str
    n_clients: int
    total_weekly_hours: float
    mean_weekly_hours: float
    share_over_25h: float
    two_carer_share: float
    visits_per_week: int
    mean_visit_minutes: float
    waiting_clients: int
    pinned_clients: int
    n_providers: int
    n_hubs: int
    total_staff_hours: float
    independent_share: float
    n_pools: int
    max_pool_members: int
    share_clients_multi_provider_zone: float
    median_remote_zone_providers: float | None  # None: no remote zone with 10+ clients
    n_zones: int
    files: tuple[str, ...] = FILES
    notes: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        where = "Argyll and Bute" if self.region == "argyll-bute" else (self.region or "your geography")
        out = [
            f"Generated a scenario for {where} (seed {self.seed}, travel model: {self.travel_model})",
            f"  clients           {self.n_clients:,} ({self.waiting_clients} waiting for a provider, "
            f"{self.pinned_clients} pinned by choice)",
            f"  weekly care hours {self.total_weekly_hours:,.1f} (mean {self.mean_weekly_hours:.1f} h, "
            f"{self.share_over_25h:.1%} over 25 h, {self.two_carer_share:.1%} with two carers)",
            f"  visits per week   {self.visits_per_week:,} (mean visit {self.mean_visit_minutes:.1f} min)",
            f"  providers         {self.n_providers} with {self.n_hubs} staff hubs; "
            f"{self.total_staff_hours:,.0f} staff hours a week, "
            f"{self.independent_share:.1%} independent sector",
            f"  shared pools      {self.n_pools} (at most {self.max_pool_members} members each)",
            f"  zones             {self.n_zones}",
            f"  fragmentation     {self.share_clients_multi_provider_zone:.1%} of clients live in a zone "
            f"served by 2 or more providers; "
            + (
                f"the median remote zone (10+ clients) has {self.median_remote_zone_providers:g} providers"
                if self.median_remote_zone_providers is not None
                else "no zone is marked remote (10+ clients), so no remote-zone median"
            ),
        ]
        out += [f"  note              {n}" for n in self.notes]
        out.append(f"  files in {self.out_dir}: {', '.join(self.files)}")
        return out


# ---------------------------------------------------------------------------------------------------
# Geography: one shape for the embedded region and for the user's own files
# ---------------------------------------------------------------------------------------------------
@dataclass
class _Geography:
    region_key: str | None
    travel_model: str
    land: BaseGeometry
    zones: pd.DataFrame  # zone_id, name, locality, remote(bool), geometry (output polygons, EPSG:4326)
    zone_of: Callable[[np.ndarray, np.ndarray], np.ndarray]  # "" outside every zone
    # where clients come from: lon, lat, weight, sd_km (jitter), zone; plus scatter anchors
    demand: pd.DataFrame
    scatter: pd.DataFrame | None  # lon, lat, weight, radius_km
    roads: np.ndarray | None  # (n, 4) lon0, lat0, lon1, lat1 segments for road scatter
    accept: Callable[[np.ndarray, np.ndarray], np.ndarray] | None  # extra acceptance test (borders)
    hub_sites: pd.DataFrame  # name, lon, lat, weight, zone, locality: candidate staff hub sites
    minutes: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    notes: list[str] = field(default_factory=list)
    # Second coastline (GSHHG): a point must be on land in both, so it is on land by any common reference.
    coast: BaseGeometry | None = None

    def on_land(self, lon, lat) -> np.ndarray:
        ok = on_land(lon, lat, self.land)
        if self.coast is not None and ok.any():
            ok[ok] = on_land(np.asarray(lon)[ok], np.asarray(lat)[ok], self.coast)
        return ok


def _approx_minutes(lon0, lat0, lon1, lat1, speed_kmh: float = 30.0, circuity: float = 1.3) -> np.ndarray:
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


def _region_geography(region_key: str, demand_points: pd.DataFrame | None) -> _Geography:
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
        return _approx_minutes(lon0, lat0, lon1, lat1, speed_kmh=40.0)

    return _Geography(region_key, "network", region.land, zones, zone_of, demand, scatter, roads, accept,
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


# ---------------------------------------------------------------------------------------------------
# The user's own files
# ---------------------------------------------------------------------------------------------------
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


def _user_geography(demand: pd.DataFrame, zones_gdf, demand_file: str) -> _Geography:
    from geodata.region import REGIONS

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
    nn = _nearest_other_km(lon, lat)
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
    zones = pd.DataFrame({"zone_id": zone_ids, "name": names, "locality": localities, "remote": remote})
    zones["geometry"] = polygons
    zones["density"] = density
    locality_of_zone = dict(zip(zone_ids, localities, strict=True))
    hub_sites = pd.DataFrame({
        "name": [f"point at row {r}" for r in range(len(demand))],
        "lon": lon, "lat": lat, "weight": demand["weight"].to_numpy(float), "zone": point_zone,
        "locality": [locality_of_zone[z] for z in point_zone],
    })
    return _Geography(None, "approximate", land, zones, zone_of, demand, None, None, None, hub_sites,
                      _approx_minutes, notes, coast=land_geometry(tuple(bbox), "Gshhg"))


def _nearest_other_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    out = np.empty(len(lon))
    for start in range(0, len(lon), 512):
        d = pairwise_haversine_km(lon[start:start + 512], lat[start:start + 512], lon, lat)
        d[np.arange(d.shape[0]), np.arange(start, start + d.shape[0])] = np.inf
        out[start:start + 512] = d.min(axis=1)
    out[~np.isfinite(out)] = 2.0
    return out


# ---------------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------------
def _offset(lon, lat, dx_km, dy_km):
    lat2 = lat + dy_km / 110.57
    lon2 = lon + dx_km / (111.32 * np.cos(np.radians(lat)))
    return lon2, lat2


def _place_clients(geo: _Geography, n: int, rng: np.random.Generator):
    """Client coordinates (rounded to the written precision) and zones, all on land inside a zone."""
    demand = geo.demand
    d_w = demand["weight"].to_numpy(float)
    d_p = d_w / d_w.sum()
    use_scatter = geo.scatter is not None and len(geo.scatter) > 0
    kind = np.zeros(n, dtype=int)  # 0 settlement, 1 scatter around small places, 2 along a road
    if use_scatter:
        u = rng.random(n)
        kind[u < SCATTER_SHARE] = 1
        if geo.roads is not None and len(geo.roads):
            kind[u < SCATTER_SHARE / 2] = 2
        s_w = geo.scatter["weight"].to_numpy(float)
        s_p = s_w / s_w.sum()
    if geo.roads is not None and len(geo.roads):
        r = geo.roads
        r_len = haversine_km(r[:, 0], r[:, 1], r[:, 2], r[:, 3])
        r_p = r_len / r_len.sum()
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    zone = np.full(n, "", dtype=object)
    anchor = np.full(n, -1)
    pending = np.arange(n)
    for attempt in range(400):
        if not len(pending):
            break
        # A fresh anchor at the start and every 8 failed attempts.
        renew = pending[(anchor[pending] < 0) | (attempt % 8 == 0)]
        for k, size in ((0, len(demand)), (1, len(geo.scatter) if use_scatter else 0),
                        (2, len(geo.roads) if geo.roads is not None else 0)):
            sel = renew[kind[renew] == k]
            if len(sel) and size:
                p = d_p if k == 0 else (s_p if k == 1 else r_p)
                anchor[sel] = rng.choice(size, size=len(sel), p=p)
        m = len(pending)
        k = kind[pending]
        a = anchor[pending]
        c_lon = np.empty(m)
        c_lat = np.empty(m)
        b_lon = np.empty(m)  # where the client is reached from: settlement, small place or road point
        b_lat = np.empty(m)
        g = rng.normal(size=(m, 2))
        t = rng.random(m)
        ang = rng.random(m) * 2 * np.pi
        s0 = k == 0
        if s0.any():
            sd = demand["sd_km"].to_numpy(float)[a[s0]]
            b_lon[s0] = demand["lon"].to_numpy(float)[a[s0]]
            b_lat[s0] = demand["lat"].to_numpy(float)[a[s0]]
            c_lon[s0], c_lat[s0] = _offset(b_lon[s0], b_lat[s0], g[s0, 0] * sd, g[s0, 1] * sd)
        s1 = k == 1
        if s1.any():
            sc = geo.scatter
            rad = sc["radius_km"].to_numpy(float)[a[s1]]
            dist = rad * (0.25 + 0.75 * np.sqrt(t[s1]))
            b_lon[s1], b_lat[s1] = sc["lon"].to_numpy(float)[a[s1]], sc["lat"].to_numpy(float)[a[s1]]
            c_lon[s1], c_lat[s1] = _offset(b_lon[s1], b_lat[s1], dist * np.cos(ang[s1]),
                                           dist * np.sin(ang[s1]))
        s2 = k == 2
        if s2.any():
            seg = geo.roads[a[s2]]
            b_lon[s2] = seg[:, 0] + (seg[:, 2] - seg[:, 0]) * t[s2]
            b_lat[s2] = seg[:, 1] + (seg[:, 3] - seg[:, 1]) * t[s2]
            c_lon[s2], c_lat[s2] = _offset(b_lon[s2], b_lat[s2], g[s2, 0] * 0.4, g[s2, 1] * 0.4)
        c_lon = np.round(c_lon, COORD_DECIMALS)
        c_lat = np.round(c_lat, COORD_DECIMALS)
        ok = geo.on_land(c_lon, c_lat)
        c_zone = np.full(m, "", dtype=object)
        if ok.any():
            c_zone[ok] = geo.zone_of(c_lon[ok], c_lat[ok])
            ok &= c_zone != ""
        if geo.accept is not None and ok.any():
            ok[ok] = geo.accept(c_lon[ok], c_lat[ok])
        if ok.any():
            # reached from dry land, with no sea loch or sound between the client and that point
            ok[ok] = geo.on_land(b_lon[ok], b_lat[ok]) | (k[ok] != 2)
        if ok.any():
            ok[ok] = water_run_km(b_lon[ok], b_lat[ok], c_lon[ok], c_lat[ok], geo.land,
                                  step_km=MAX_WATER_KM / 2) <= MAX_WATER_KM
        done = pending[ok]
        lon[done], lat[done], zone[done] = c_lon[ok], c_lat[ok], c_zone[ok]
        pending = pending[~ok]
    if len(pending):
        raise InputError([Problem("demand points", None, None, None,
                                  f"could not place {len(pending)} clients on land inside the zones",
                                  "check that the demand points lie on land inside the zone polygons")])
    return lon, lat, zone.astype(str)


def _client_attributes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    mu = np.log(MEAN_WEEKLY_HOURS) - HOURS_SIGMA**2 / 2
    hours = np.clip(rng.lognormal(mu, HOURS_SIGMA, n), MIN_WEEKLY_HOURS, MAX_WEEKLY_HOURS)
    hours = np.round(hours * 4) / 4  # quarter hours
    length = rng.choice(np.array(VISIT_MINUTES, dtype=float), size=n, p=VISIT_MINUTES_P)
    visits = np.clip(np.round(hours * 60 / length), 1, MAX_VISITS_PER_WEEK).astype(int)
    # Bands: one per 7 visits a week, at most all four; morning first, then bed, tea, lunch (with noise).
    n_bands = np.minimum(4, np.ceil(visits / 7)).astype(int)
    keys = np.log(np.array(BAND_PRIORITY))[None, :] + rng.gumbel(size=(n, 4))
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    bands = rank < n_bands[:, None]
    two_p = TWO_CARER_BASE + TWO_CARER_EXTRA / (1 + np.exp(-(hours - 24.0) / 4.5))
    carers = np.where(rng.random(n) < two_p, 2, 1)
    u = rng.random((n, len(NEEDS)))
    needs = np.zeros((n, len(NEEDS)), dtype=bool)
    needs[:, 0] = u[:, 0] < np.where(hours < 5, 0.6, 0.9)  # personal_care
    needs[:, 1] = u[:, 1] < 0.6  # medication
    needs[:, 2] = u[:, 2] < 0.25  # dementia
    needs[:, 3] = u[:, 3] < np.where(hours > 18, 0.07, 0.03)  # palliative: ~4%, heavier packages
    needs[:, 4] = u[:, 4] < np.where(carers == 2, 0.9, 0.1)  # moving_handling: most double-ups
    needs[:, 5] = u[:, 5] < np.where(bands[:, 1] | bands[:, 2], 0.45, 0.15)  # meal_prep
    needs[:, 6] = u[:, 6] < 0.15  # social
    funder = np.where(rng.random(n) < np.where(needs[:, 3], 0.6, 0.13), "nhs", "council")
    return {"hours": hours, "visits": visits, "bands": bands, "carers": carers, "needs": needs,
            "funder": funder}


# ---------------------------------------------------------------------------------------------------
# Providers and hubs
# ---------------------------------------------------------------------------------------------------
@dataclass
class _Provider:
    kind: str
    name: str
    hubs: list[int]  # indices into geo.hub_sites
    island: bool = False


def _kind_counts(n: int) -> dict[str, int]:
    if n < 1:
        raise InputError([Problem("command line", None, "--providers", n, "at least one provider is needed",
                                  "give --providers 1 or more (default 15)")])
    in_house = 1
    national = min(int(round(0.2 * n)), n - in_house)
    third = min(int(round(0.2 * n)), n - in_house - national)
    return {"national": national, "independent": n - in_house - national - third, "third_sector": third,
            "in_house": in_house}


def _hub_site_for_zone(sites: pd.DataFrame, zone: str, skip: set[int]) -> int | None:
    cand = sites.index[(sites["zone"] == zone) & ~sites.index.isin(list(skip))]
    if not len(cand):
        return None
    w = sites.loc[cand, "weight"].to_numpy()
    return int(cand[int(np.argmax(w))])  # stable: first of the heaviest


def _region_providers(geo: _Geography, n: int) -> list[_Provider]:
    sites = geo.hub_sites
    zone_ids = list(geo.zones["zone_id"])
    zone_weight = sites.groupby("zone")["weight"].sum()
    by_weight = sorted(zone_ids, key=lambda z: (-zone_weight.get(z, 0.0), z))
    counts = _kind_counts(n)
    out: list[_Provider] = []
    for kind in KINDS:
        template = ARGYLL_BUTE_PROVIDERS[kind]
        for i in range(counts[kind]):
            if i < len(template):
                name, homes, n_hubs, island = template[i]
            else:
                home = by_weight[i % len(by_weight)]
                zname = str(geo.zones.loc[geo.zones["zone_id"] == home, "name"].iloc[0])
                short = zname.split(" (")[0].replace("Isle of ", "")
                name, homes, n_hubs, island = f"{short} {EXTRA_SUFFIX[kind]}", [home], 2, False
            used = [q.name for q in out]
            if name in used:
                name = f"{name} {sum(u.startswith(name) for u in used) + 1}"
            if kind == "in_house":
                # one hub at the largest settlement of each locality
                homes = []
                for loc in sorted(set(sites["locality"]) - {""}):
                    loc_sites = sites[sites["locality"] == loc]
                    homes.append(str(loc_sites.loc[loc_sites["weight"].idxmax(), "zone"]))
            homes = [h for h in homes if h in zone_ids] or by_weight[:1]
            hubs: list[int] = []
            j = 0
            while len(hubs) < n_hubs and j < 4 * n_hubs:
                site = _hub_site_for_zone(sites, homes[j % len(homes)], set(hubs))
                if site is not None:
                    hubs.append(site)
                j += 1
            out.append(_Provider(kind, name, hubs or [int(sites["weight"].idxmax())], island))
    return out


def _weighted_kmeans(x, y, w, k, rng, iterations=25):
    k = max(1, min(k, len(x)))
    first = int(rng.choice(len(x), p=w / w.sum()))
    centres = [first]
    for _ in range(1, k):
        d = np.min([(x - x[c]) ** 2 + (y - y[c]) ** 2 for c in centres], axis=0)
        p = w * d
        centres.append(int(rng.choice(len(x), p=p / p.sum())) if p.sum() > 0 else int(np.argmax(w)))
    cx, cy = x[centres].astype(float), y[centres].astype(float)
    label = np.zeros(len(x), dtype=int)
    for _ in range(iterations):
        d = (x[:, None] - cx[None, :]) ** 2 + (y[:, None] - cy[None, :]) ** 2
        label = np.argmin(d, axis=1)
        for c in range(k):
            m = label == c
            if m.any():
                cx[c] = np.average(x[m], weights=w[m])
                cy[c] = np.average(y[m], weights=w[m])
    return label, k


def _user_providers(geo: _Geography, n: int, rng: np.random.Generator) -> list[_Provider]:
    sites = geo.hub_sites
    lat0 = float(np.average(sites["lat"], weights=sites["weight"]))
    x = sites["lon"].to_numpy() * 111.32 * np.cos(np.radians(lat0))
    y = sites["lat"].to_numpy() * 110.57
    w = sites["weight"].to_numpy(float)
    counts = _kind_counts(n)
    label, k = _weighted_kmeans(x, y, w, max(4, counts["independent"]), rng)
    cl_weight = np.array([w[label == c].sum() for c in range(k)])
    spread = np.zeros(k)
    for c in range(k):
        m = label == c
        if cl_weight[c] > 0:
            mx, my = np.average(x[m], weights=w[m]), np.average(y[m], weights=w[m])
            spread[c] = np.sqrt(np.average((x[m] - mx) ** 2 + (y[m] - my) ** 2, weights=w[m]))
    heavy = [int(c) for c in np.argsort(-cl_weight, kind="stable") if cl_weight[c] > 0]
    remote = [int(c) for c in np.argsort(-(spread + 1) / (cl_weight + 1), kind="stable") if cl_weight[c] > 0]

    def top_sites(mask: np.ndarray, count: int) -> list[int]:
        idx = np.flatnonzero(mask)
        order = idx[np.argsort(-w[idx], kind="stable")]
        return [int(i) for i in order[:count]]

    out: list[_Provider] = []
    for i in range(counts["national"]):
        clusters = [heavy[(i + j) % len(heavy)] for j in range(min(3, len(heavy)))]
        hubs = [top_sites(label == c, 1)[0] for c in clusters]
        out.append(_Provider("national", _generic_name("national", i), sorted(set(hubs), key=hubs.index)))
    for i in range(counts["independent"]):
        c = heavy[i % len(heavy)]
        out.append(_Provider("independent", _generic_name("independent", i),
                             top_sites(label == c, int(rng.integers(1, 4))), island=c in remote[:2]))
    for i in range(counts["third_sector"]):
        c = remote[i % len(remote)]
        out.append(_Provider("third_sector", _generic_name("third_sector", i), top_sites(label == c, 2)))
    localities = sorted(set(sites["locality"]) - {""})
    if localities:
        loc_w = {loc: w[sites["locality"].to_numpy() == loc].sum() for loc in localities}
        chosen = sorted(localities, key=lambda loc: -loc_w[loc])[:4]
        hubs = [top_sites(sites["locality"].to_numpy() == loc, 1)[0] for loc in chosen]
    else:
        hubs = [top_sites(label == c, 1)[0] for c in heavy[:4]]
    out.append(_Provider("in_house", _generic_name("in_house", 0), hubs))
    return out


def _generic_name(kind: str, i: int) -> str:
    names = GENERIC_NAMES[kind]
    base = names[i % len(names)]
    return base if i < len(names) else f"{base} {i // len(names) + 1}"


# ---------------------------------------------------------------------------------------------------
# Allocation, sizing, pools
# ---------------------------------------------------------------------------------------------------
def _provider_zone_minutes(geo: _Geography, providers: list[_Provider], zone_of_site: np.ndarray):
    """(minimum, demand-weighted mean) minutes from each provider's nearest hub to each zone."""
    sites = geo.hub_sites
    hub_idx = sorted({h for p in providers for h in p.hubs})
    dest = sites  # every candidate site stands for the demand around it
    m = geo.minutes(sites["lon"].to_numpy()[hub_idx], sites["lat"].to_numpy()[hub_idx],
                    dest["lon"].to_numpy(), dest["lat"].to_numpy())
    m = np.where(np.isfinite(m), m, 1e4)
    row = {h: i for i, h in enumerate(hub_idx)}
    zones = list(geo.zones["zone_id"])
    w = np.maximum(dest["weight"].to_numpy(float), 1.0)
    nearest = np.full((len(providers), len(zones)), 1e4)
    mean = np.full((len(providers), len(zones)), 1e4)
    for pi, p in enumerate(providers):
        best = m[[row[h] for h in p.hubs]].min(axis=0)
        for zi, z in enumerate(zones):
            sel = zone_of_site == z
            if sel.any():
                nearest[pi, zi] = best[sel].min()
                mean[pi, zi] = np.average(best[sel], weights=w[sel])
    # zones without any site: fall back to a straight-line estimate from the zone's representative point
    empty = [zi for zi, z in enumerate(zones) if not (zone_of_site == z).any()]
    if empty:
        reps = [geo.zones["geometry"].iloc[zi].representative_point() for zi in empty]
        rl, ra = np.array([r.x for r in reps]), np.array([r.y for r in reps])
        for pi, p in enumerate(providers):
            est = _approx_minutes(sites["lon"].to_numpy()[p.hubs], sites["lat"].to_numpy()[p.hubs], rl, ra)
            nearest[pi, empty] = est.min(axis=0)
            mean[pi, empty] = est.min(axis=0)
    return nearest, mean


def _snap_sites(geo: _Geography) -> pd.DataFrame:
    """Hub sites moved onto land (inside their own zone) when a settlement's point is in the water."""
    sites = geo.hub_sites.copy()
    lon = np.round(sites["lon"].to_numpy(float), COORD_DECIMALS)
    lat = np.round(sites["lat"].to_numpy(float), COORD_DECIMALS)
    zone = sites["zone"].to_numpy().astype(str)
    good = geo.on_land(lon, lat) & (geo.zone_of(lon, lat) == zone)
    angles = np.radians(np.arange(0, 360, 30))
    for i in np.flatnonzero(~good):
        for radius in np.arange(0.05, 2.01, 0.05):
            c_lon, c_lat = _offset(lon[i], lat[i], radius * np.cos(angles), radius * np.sin(angles))
            c_lon, c_lat = np.round(c_lon, COORD_DECIMALS), np.round(c_lat, COORD_DECIMALS)
            ok = geo.on_land(c_lon, c_lat) & (geo.zone_of(c_lon, c_lat) == zone[i])
            if ok.any():
                j = int(np.argmax(ok))
                lon[i], lat[i] = c_lon[j], c_lat[j]
                break
    sites["lon"], sites["lat"] = lon, lat
    return sites


def _split_integer(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Largest-remainder split of ``total`` into ``len(weights)`` integers, each at least ``minimum``."""
    k = len(weights)
    total = max(total, minimum * k)
    w = np.maximum(np.asarray(weights, float), 1e-9)
    share = w / w.sum() * (total - minimum * k)
    base = np.floor(share).astype(int)
    rest = total - minimum * k - base.sum()
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base + minimum


@dataclass
class _Scenario:
    clients: pd.DataFrame
    providers: pd.DataFrame
    hubs: pd.DataFrame
    pools: pd.DataFrame
    zones: pd.DataFrame


def _build(geo: _Geography, n_clients: int, n_providers: int, max_pool_members: int,
           rng: np.random.Generator) -> _Scenario:
    zones = geo.zones
    zone_ids = list(zones["zone_id"])
    zindex = {z: i for i, z in enumerate(zone_ids)}
    remote_z = zones["remote"].to_numpy(bool)

    geo.hub_sites = _snap_sites(geo)

    # -- clients
    lon, lat, zone = _place_clients(geo, n_clients, rng)
    attr = _client_attributes(n_clients, rng)
    zi_client = np.array([zindex[z] for z in zone])
    per_visit = np.array([TRAVEL_MINUTES_PER_VISIT[bool(r)] for r in remote_z])
    travel_h = attr["visits"] * per_visit[zi_client] / 60
    staff_need = (attr["hours"] + travel_h) * attr["carers"]  # staff hours incl. estimated travel
    demand_z = np.bincount(zi_client, weights=staff_need, minlength=len(zone_ids))

    # -- providers and their reach
    providers = (_region_providers(geo, n_providers) if geo.region_key is not None
                 else _user_providers(geo, n_providers, rng))
    zone_of_site = geo.hub_sites["zone"].to_numpy().astype(str)
    nearest, mean_minutes = _provider_zone_minutes(geo, providers, zone_of_site)
    best = nearest.min(axis=0)
    reach = (nearest <= REACH_MINUTES) | (nearest <= best[None, :] + 30.0)
    noisy = mean_minutes * rng.lognormal(0.0, 0.25, size=mean_minutes.shape)
    n_prov = len(providers)
    kinds = np.array([p.kind for p in providers])
    inh = kinds == "in_house"

    def rank(in_house_factor: float) -> tuple[list[list[int]], np.ndarray]:
        """Ranked providers per zone and each provider's expected staff hours (60/25/15 plus drift)."""
        score = noisy * np.where(inh, in_house_factor, 1.0)[:, None]
        ranked: list[list[int]] = []
        expected = np.zeros(n_prov)
        for zi in range(len(zone_ids)):
            cand = np.flatnonzero(reach[:, zi])
            order = [int(c) for c in cand[np.argsort(score[cand, zi], kind="stable")]]
            ranked.append(order)
            shares = np.array(RANK_SHARES[: min(3, len(order))])
            for s, pi in zip(shares / shares.sum(), order[:3], strict=False):
                expected[pi] += demand_z[zi] * (1 - DRIFT_SHARE) * s
            for pi in order:
                expected[pi] += demand_z[zi] * DRIFT_SHARE / len(order)
        return ranked, expected

    # The council's in-house service ranks as if nearer until it is expected to carry about its share
    # of the work (it takes the packages nobody else will, and has hubs in every locality).
    for in_house_factor in (1.0, 0.8, 0.65, 0.5, 0.4, 0.3, 0.2, 0.1):
        ranked, expected = rank(in_house_factor)
        if not inh.any() or expected[inh].sum() >= (IN_HOUSE_SHARE - 0.02) * expected.sum():
            break

    margin = np.array([rng.uniform(0.82, 0.95) if p.island else rng.uniform(1.05, 1.4) for p in providers])
    raw = np.maximum(expected, 0.02 * demand_z.sum() / n_prov) * margin
    total_staff = STAFF_TO_DEMAND * demand_z.sum()
    staff = raw.copy()
    if inh.any() and (~inh).any():
        staff[inh] = raw[inh] / raw[inh].sum() * IN_HOUSE_SHARE * total_staff
        staff[~inh] = raw[~inh] / raw[~inh].sum() * (1 - IN_HOUSE_SHARE) * total_staff
    else:
        staff = raw / raw.sum() * total_staff
    staff = np.round(staff, 1)

    skills = []
    lack_palliative = set(rng.choice(np.flatnonzero(kinds != "in_house"), size=min(3, int((~inh).sum())),
                                     replace=False).tolist()) if (~inh).any() else set()
    small = [i for i in np.argsort(staff, kind="stable") if kinds[i] != "in_house"][:2]
    for pi in range(n_prov):
        s = set(NEEDS)
        if pi in lack_palliative:
            s.discard("palliative")
        if pi in small and rng.random() < 0.7:
            s.discard("moving_handling")
        skills.append(s)

    # -- current allocation: ranked 60/25/15, drift, capacity-aware, a few waiting
    need_sets = [frozenset(np.array(NEEDS)[row]) for row in attr["needs"]]
    current = np.full(n_clients, -1)
    load = np.zeros(n_prov)
    waiting = rng.random(n_clients) < WAITING_SHARE
    drift = rng.random(n_clients) < DRIFT_SHARE
    pick = rng.random(n_clients)
    for c in rng.permutation(n_clients):
        if waiting[c]:
            continue
        order = ranked[zi_client[c]]
        if not order:
            continue
        if drift[c]:
            cand = [order[int(i)] for i in rng.permutation(len(order))]
        else:
            shares = np.cumsum(np.array(RANK_SHARES[: min(3, len(order))]))
            first = int(np.searchsorted(shares, pick[c] * shares[-1], side="right"))
            first = min(first, len(shares) - 1)
            cand = [order[first]] + [p for p in order if p != order[first]]
        for pi in cand:
            if need_sets[c] <= skills[pi] and load[pi] + staff_need[c] <= staff[pi]:
                current[c] = pi
                load[pi] += staff_need[c]
                break
        # nobody reaching the patch has room or skills: the package waits (unmet need)
    pinned = (current >= 0) & (rng.random(n_clients) < PINNED_SHARE)

    # -- provider table details
    provider_ids = [f"P{i + 1:02d}" for i in range(n_prov)]
    current_care = np.bincount(current[current >= 0], weights=attr["hours"][current >= 0], minlength=n_prov)
    rate_lo = np.array([RATE_GBP[k][0] for k in kinds])
    rate_hi = np.array([RATE_GBP[k][1] for k in kinds])
    rate = np.round(rng.uniform(rate_lo, rate_hi), 2)
    non_driver = np.round(np.where(inh, rng.uniform(0.05, 0.2, n_prov), rng.uniform(0.0, 0.4, n_prov)), 2)
    min_viable = np.round(np.minimum(rng.uniform(0.3, 0.4, n_prov) * current_care, 0.5 * staff), 1)
    max_hours = np.round(1.5 * staff, 1)
    sites = geo.hub_sites
    providers_df = pd.DataFrame({
        "provider_id": provider_ids,
        "name": [p.name for p in providers],
        "kind": kinds,
        "base_lon": [float(sites["lon"].iloc[p.hubs[0]]) for p in providers],
        "base_lat": [float(sites["lat"].iloc[p.hubs[0]]) for p in providers],
        "weekly_staff_hours": staff,
        "hourly_rate_gbp": rate,
        "skills": [";".join(n for n in NEEDS if n in s) for s in skills],
        "non_driver_share": non_driver,
        "min_viable_hours": min_viable,
        "max_weekly_hours": max_hours,
    })

    hub_rows = []
    for pi, p in enumerate(providers):
        carers_total = max(len(p.hubs), int(round(staff[pi] / HOURS_PER_CARER)))
        hub_weight = np.sqrt(np.maximum(sites["weight"].to_numpy(float)[p.hubs], 1.0))
        split = _split_integer(carers_total, hub_weight)
        for hi, (site, carers) in enumerate(zip(p.hubs, split, strict=True)):
            hub_rows.append({"hub_id": f"{provider_ids[pi]}-H{hi + 1}", "provider_id": provider_ids[pi],
                             "lon": float(sites["lon"].iloc[site]), "lat": float(sites["lat"].iloc[site]),
                             "carers": int(carers)})
    hubs_df = pd.DataFrame(hub_rows, columns=["hub_id", "provider_id", "lon", "lat", "carers"])

    # -- pools
    pool_specs = _pool_specs(geo, zi_client, current, zone_ids)
    pool_rows = []
    for pool_id, pool_zones in pool_specs:
        zsel = np.isin(zi_client, [zindex[z] for z in pool_zones])
        pool_demand = staff_need[zsel].sum()
        if pool_demand <= 0:
            continue
        served = np.bincount(current[zsel & (current >= 0)], weights=staff_need[zsel & (current >= 0)],
                             minlength=n_prov)
        members = [int(i) for i in np.argsort(-served, kind="stable") if served[i] > 0][:max_pool_members]
        # a pool is shared: with fewer than two members, add the next-nearest providers
        nearby = np.argsort(nearest[:, [zindex[z] for z in pool_zones]].min(axis=1), kind="stable")
        for extra in nearby:
            if len(members) >= min(2, max_pool_members):
                break
            if int(extra) not in members:
                members.append(int(extra))
        care = float((attr["hours"] * attr["carers"])[zsel].sum())
        hours = round(float(rng.uniform(*POOL_SHARE) * care), 1)
        pool_rows.append({"pool_id": pool_id, "zones": ";".join(pool_zones), "weekly_hours": hours,
                          "members": ";".join(provider_ids[m] for m in sorted(members))})
    pools_df = pd.DataFrame(pool_rows, columns=["pool_id", "zones", "weekly_hours", "members"])

    band_names = np.array(BANDS)
    clients_df = pd.DataFrame({
        "client_id": [f"C{i + 1:0{max(4, len(str(n_clients)))}d}" for i in range(n_clients)],
        "lon": lon, "lat": lat, "zone": zone,
        "weekly_hours": attr["hours"],
        "visits_per_week": attr["visits"],
        "carers_per_visit": attr["carers"],
        "time_bands": [";".join(band_names[row]) for row in attr["bands"]],
        "needs": [";".join(np.array(NEEDS)[row]) for row in attr["needs"]],
        "funder": attr["funder"],
        "current_provider": [provider_ids[c] if c >= 0 else "" for c in current],
        "pinned": np.where(pinned, "yes", "no"),
    })
    return _Scenario(clients_df, providers_df, hubs_df, pools_df, zones)


def _pinned_staff_hours(sc: _Scenario, geo: _Geography, rows: np.ndarray) -> np.ndarray:
    """Staff hours per week of clients ``rows`` with their current provider, priced as a run prices them
    (:func:`commissioning.problem.client_provider_travel`: the quickest hub in each of the client's bands)."""
    from commissioning.problem import client_provider_travel, travel_model_for
    from commissioning.scenario_data import Client, Hub, Provider, ScenarioData

    c = sc.clients.iloc[rows]
    clients = tuple(
        Client(r.client_id, r.lon, r.lat, r.zone, round(r.weekly_hours, 2), int(r.visits_per_week),
               int(r.carers_per_visit), tuple(r.time_bands.split(";")), (), r.funder, r.current_provider)
        for r in c.itertuples())
    providers = tuple(
        Provider(r.provider_id, r.name, r.kind, r.base_lon, r.base_lat, r.weekly_staff_hours,
                 r.hourly_rate_gbp, (), r.non_driver_share) for r in sc.providers.itertuples())
    hubs = tuple(Hub(r.hub_id, r.provider_id, r.lon, r.lat, r.carers) for r in sc.hubs.itertuples())
    data = ScenarioData(clients, providers, hubs, (), (), {"region": geo.region_key}, geo.travel_model)
    minutes, _ = client_provider_travel(data, travel_model_for(data))
    column = {pid: k for k, pid in enumerate(sc.providers["provider_id"])}
    own = minutes[np.arange(len(rows)), [column[pid] for pid in c["current_provider"]]]
    hours = c["weekly_hours"].round(2).to_numpy() + c["visits_per_week"].to_numpy() * own / 60.0
    return c["carers_per_visit"].to_numpy() * hours


def _fit_pinned_clients(sc: _Scenario, geo: _Geography) -> int:
    """Unpin, largest first, clients whose chosen provider cannot carry every client who chose it: a pinned
    client can be neither moved nor left unmet, so such a provider makes every variant infeasible. Its own
    staff hours must hold them (pools left aside) and its maximum weekly hours their care. Returns how many
    clients were unpinned (issue 10: one small seed in twenty was infeasible)."""
    rows = np.flatnonzero(sc.clients["pinned"].to_numpy() == "yes")
    if not len(rows):
        return 0
    staff = _pinned_staff_hours(sc, geo, rows)
    staff = np.where(np.isfinite(staff), staff, 0.0)  # unreachable: a run unpins those itself
    care = (sc.clients["weekly_hours"].round(2) * sc.clients["carers_per_visit"]).to_numpy()[rows]
    owner = sc.clients["current_provider"].to_numpy()[rows]
    unpin = []
    for p in sc.providers.itertuples():
        mine = np.flatnonzero(owner == p.provider_id)
        mine = mine[np.argsort(-staff[mine], kind="stable")]
        # 1 % below the limits: the run rounds minutes up and capacities down.
        while len(mine) and (staff[mine].sum() > 0.99 * p.weekly_staff_hours
                             or care[mine].sum() > 0.99 * p.max_weekly_hours):
            unpin.append(rows[mine[0]])
            mine = mine[1:]
    if unpin:
        column = sc.clients.columns.get_loc("pinned")
        sc.clients.iloc[np.sort(unpin), column] = "no"
    return len(unpin)


def _pool_specs(geo: _Geography, zi_client, current, zone_ids) -> list[tuple[str, list[str]]]:
    if geo.region_key == "argyll-bute":
        specs = []
        for pool_id, pzones in ARGYLL_BUTE_POOLS:
            present = [z for z in pzones if z in zone_ids]
            if present:
                specs.append((pool_id, present))
        return specs
    # Own geography: the least dense zones (fewest providers breaking ties), grouped with touching ones.
    zones = geo.zones
    has_clients = np.bincount(zi_client, minlength=len(zone_ids)) > 0
    n_providers = np.array([len(set(current[(zi_client == zi) & (current >= 0)].tolist()))
                            for zi in range(len(zone_ids))])
    density = zones["density"].to_numpy(float) if "density" in zones else np.zeros(len(zone_ids))
    order = [int(i) for i in np.lexsort((n_providers, density)) if has_clients[i]]
    low = set(order[: max(1, len(order) // 2)])
    geoms = list(zones["geometry"])
    used: set[int] = set()
    specs = []
    for zi in order:
        if len(specs) >= 5:
            break
        if zi in used:
            continue
        group = [zi]
        used.add(zi)
        for other in order:
            if len(group) >= 3:
                break
            if other in used or other not in low:
                continue
            if shapely.intersects(geoms[zi], geoms[other]):
                group.append(other)
                used.add(other)
        specs.append((f"pool_{len(specs) + 1}", [zone_ids[g] for g in sorted(group)]))
    return specs


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------
def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def _csv_text(df: pd.DataFrame, formats: dict[str, int]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(df.columns))
    columns = [df[c].tolist() for c in df.columns]
    decimals = [formats.get(c) for c in df.columns]
    for row in zip(*columns, strict=True):
        writer.writerow([_fmt(float(v), d) if d is not None else str(v)
                         for v, d in zip(row, decimals, strict=True)])
    return buffer.getvalue()


def _round_coords(coords, decimals: int = COORD_DECIMALS):
    if isinstance(coords, (float, int)):
        value = round(float(coords), decimals)
        return 0.0 if value == 0 else value
    return [_round_coords(c, decimals) for c in coords]


def _geojson_text(zones: pd.DataFrame) -> str:
    features = []
    for row in zones.itertuples(index=False):
        props = {"zone_id": str(row.zone_id), "name": str(row.name),
                 "remote": "yes" if bool(row.remote) else "no"}
        if str(row.locality):
            props["locality"] = str(row.locality)
        geom = shapely.geometry.mapping(row.geometry)
        geometry = {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"])}
        features.append(json.dumps({"type": "Feature", "properties": props, "geometry": geometry},
                                   sort_keys=True, separators=(",", ":")))
    return '{"features":[\n' + ",\n".join(features) + '\n],"type":"FeatureCollection"}\n'


def _write_folder(out_dir: Path, texts: dict[str, str], force: bool) -> None:
    from commissioning.outputs import staged_folder

    # Atomic and locked; --force replaces only a folder this tool wrote (its marker file).
    with staged_folder(out_dir, force=force) as stage:
        for name in FILES:
            (stage / name).write_bytes(texts[name].encode("utf-8"))


# ---------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------
def generate_scenario(
    out_dir: str | Path,
    *,
    region: str | None = "argyll-bute",
    n_clients: int = 1000,
    seed: int = 1,
    n_providers: int = 15,
    demand_points: str | Path | None = None,
    weight_column: str | None = None,
    zones_file: str | Path | None = None,
    zone_id_column: str | None = None,
    max_pool_members: int = 4,
    force: bool = False,
) -> GenerationSummary:
    """Write a scenario folder (see the README's *Scenario folder format*) and return its summary.

    With ``zones_file`` (and ``demand_points``) the geography is the user's: ``region`` is ignored,
    dataset.json says ``"region": null, "travel_model": "approximate"``. With ``demand_points`` alone
    the clients follow the points inside the embedded region's zones.
    """
    problems = []
    if not isinstance(n_clients, (int, np.integer)) or not 1 <= n_clients <= 500_000:
        problems.append(Problem("command line", None, "--clients", n_clients,
                                "must be a whole number 1-500000", "e.g. --clients 1000"))
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        problems.append(Problem("command line", None, "--seed", seed,
                                "must be a whole number 0 or more", "e.g. --seed 1"))
    if not isinstance(n_providers, (int, np.integer)) or not 1 <= n_providers <= 99:
        problems.append(Problem("command line", None, "--providers", n_providers,
                                "must be a whole number 1-99", "e.g. --providers 15"))
    if not isinstance(max_pool_members, (int, np.integer)) or max_pool_members < 1:
        problems.append(Problem("command line", None, "--max-pool-members", max_pool_members,
                                "must be 1 or more", "e.g. --max-pool-members 4"))
    if (demand_points is None) != (weight_column is None):
        problems.append(Problem("command line", None, "--weight-column", weight_column,
                                "--demand-points and --weight-column go together",
                                "give both, e.g. --demand-points points.csv --weight-column older_alone"))
    if (zones_file is None) != (zone_id_column is None):
        problems.append(Problem("command line", None, "--zone-id", zone_id_column,
                                "--zones and --zone-id go together",
                                "give both, e.g. --zones zones.geojson --zone-id zone_code"))
    if zones_file is not None and demand_points is None:
        problems.append(Problem("command line", None, "--demand-points", None,
                                "your own zones need demand points to place clients",
                                "add --demand-points FILE --weight-column COL"))
    if zones_file is None and region is None:
        problems.append(Problem("command line", None, "--region", None, "no geography given",
                                "give --region argyll-bute, or --demand-points and --zones"))
    if problems:
        raise InputError(problems)

    out_dir = Path(out_dir)
    from commissioning.outputs import check_out_folder

    check_out_folder(out_dir, force=force)  # before the work: the same checks the writing makes
    rng = np.random.default_rng(seed)
    points = read_demand_points(demand_points, weight_column) if demand_points is not None else None
    if zones_file is not None:
        geo = _user_geography(points, read_zones(zones_file, zone_id_column), str(demand_points))
    else:
        if points is not None:
            points = _points_in_region(points, region, str(demand_points))
        geo = _region_geography(region, points)

    scenario = _build(geo, int(n_clients), int(n_providers), int(max_pool_members), rng)
    unpinned = _fit_pinned_clients(scenario, geo)
    if unpinned:
        geo.notes.append(f"{unpinned} client(s) not pinned after all: their chosen provider could not carry "
                         "every client who chose it (pinned clients can be neither moved nor left unmet)")
    dataset = {"generator": f"care-commissioning {__version__}", "n_clients": int(n_clients),
               "region": geo.region_key, "seed": int(seed), "travel_model": geo.travel_model}
    texts = {
        "clients.csv": _csv_text(scenario.clients, {"lon": 5, "lat": 5, "weekly_hours": 2}),
        "providers.csv": _csv_text(scenario.providers, {
            "base_lon": 5, "base_lat": 5, "weekly_staff_hours": 2, "hourly_rate_gbp": 2,
            "non_driver_share": 2, "min_viable_hours": 2, "max_weekly_hours": 2}),
        "hubs.csv": _csv_text(scenario.hubs, {"lon": 5, "lat": 5}),
        "pools.csv": _csv_text(scenario.pools, {"weekly_hours": 2}),
        "zones.geojson": _geojson_text(scenario.zones),
        "dataset.json": json.dumps(dataset, sort_keys=True, indent=2) + "\n",
    }
    _write_folder(out_dir, texts, force)
    return _summarise(out_dir, geo, scenario, int(seed), int(max_pool_members))


def _points_in_region(points: pd.DataFrame, region: str, demand_file: str) -> pd.DataFrame:
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
                         "sd_km": np.clip(0.4 * _nearest_other_km(lon, lat), 0.05, 1.5)})


def _summarise(out_dir: Path, geo: _Geography, sc: _Scenario, seed: int,
               max_pool_members: int) -> GenerationSummary:
    c, p = sc.clients, sc.providers
    hours = c["weekly_hours"].to_numpy(float)
    visits = c["visits_per_week"].to_numpy(int)
    served = c[c["current_provider"] != ""]
    per_zone = served.groupby("zone")["current_provider"].nunique()
    multi_zone = set(per_zone.index[per_zone >= 2])
    remote_ids = geo.zones.loc[geo.zones["remote"].astype(bool), "zone_id"]
    # remote zones with at least 10 clients (a zone of 3 clients cannot show fragmentation)
    remote_counts = [int(per_zone.get(z, 0)) for z in remote_ids if (c["zone"] == z).sum() >= 10]
    staff = p["weekly_staff_hours"].to_numpy(float)
    independent = staff[p["kind"].to_numpy() != "in_house"].sum()
    return GenerationSummary(
        out_dir=Path(out_dir),
        region=geo.region_key,
        seed=seed,
        travel_model=geo.travel_model,
        n_clients=len(c),
        total_weekly_hours=float(hours.sum()),
        mean_weekly_hours=float(hours.mean()),
        share_over_25h=float((hours > 25).mean()),
        two_carer_share=float((c["carers_per_visit"] == 2).mean()),
        visits_per_week=int(visits.sum()),
        mean_visit_minutes=float(hours.sum() * 60 / visits.sum()),
        waiting_clients=int((c["current_provider"] == "").sum()),
        pinned_clients=int((c["pinned"] == "yes").sum()),
        n_providers=len(p),
        n_hubs=len(sc.hubs),
        total_staff_hours=float(staff.sum()),
        independent_share=float(independent / staff.sum()) if staff.sum() else 0.0,
        n_pools=len(sc.pools),
        max_pool_members=max_pool_members,
        share_clients_multi_provider_zone=float(c["zone"].isin(multi_zone).mean()),
        median_remote_zone_providers=float(np.median(remote_counts)) if remote_counts else None,
        n_zones=len(geo.zones),
        notes=tuple(geo.notes),
    )
