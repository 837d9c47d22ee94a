"""Checks on the hand-written embedded Argyll and Bute geography (geodata/data/argyll_bute/).

Schema checks run everywhere. Geometric checks compare the hand-written data with the real
council boundary and land polygons in ``../shared/geodata/argyll_bute/`` (next to the repository)
and are skipped when that folder is missing.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "geodata" / "data" / "argyll_bute"
SHARED = REPO.parent / "shared" / "geodata" / "argyll_bute"

PLACE_COLUMNS = [
    "place_id",
    "name",
    "kind",
    "lat",
    "lon",
    "population",
    "older_population",
    "locality",
    "zone_id",
    "island",
    "in_region",
]
PATCH_COLUMNS = ["zone_id", "name", "locality", "remote", "island_patch"]
ROAD_COLUMNS = ["from_id", "to_id", "road", "road_class", "km"]
FERRY_COLUMNS = [
    "route_id",
    "from_id",
    "to_id",
    "crossing_minutes",
    "expected_wait_minutes",
    "first_sailing",
    "last_sailing",
    "operator",
]
KINDS = {"town", "village", "hamlet", "terminal", "junction", "outside"}
SETTLEMENT_KINDS = {"town", "village", "hamlet", "terminal"}
ROAD_CLASSES = {"primary", "a_road", "b_road", "single_track", "urban"}
LOCALITIES = {
    "Bute and Cowal",
    "Helensburgh and Lomond",
    "Mid Argyll, Kintyre and Islay",
    "Oban, Lorn and the Isles",
}
YES_NO = {"yes", "no"}


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@cache
def _tables():
    return {
        "places": _read("places.csv"),
        "patches": _read("patches.csv"),
        "roads": _read("roads.csv"),
        "ferries": _read("ferries.csv"),
    }


def places() -> list[dict[str, str]]:
    return _tables()["places"][1]


def patches() -> list[dict[str, str]]:
    return _tables()["patches"][1]


def roads() -> list[dict[str, str]]:
    return _tables()["roads"][1]


def ferries() -> list[dict[str, str]]:
    return _tables()["ferries"][1]


def place_by_id() -> dict[str, dict[str, str]]:
    return {p["place_id"]: p for p in places()}


# ----------------------------------------------------------------------------------------------
# 1. schema
# ----------------------------------------------------------------------------------------------


def test_columns_exact():
    t = _tables()
    assert t["places"][0] == PLACE_COLUMNS
    assert t["patches"][0] == PATCH_COLUMNS
    assert t["roads"][0] == ROAD_COLUMNS
    assert t["ferries"][0] == FERRY_COLUMNS


def test_places_schema():
    ids = [p["place_id"] for p in places()]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate place_id: {dupes}"
    zone_ids = {z["zone_id"] for z in patches()}
    problems = []
    for p in places():
        pid = p["place_id"]
        if not pid or pid != pid.lower() or " " in pid:
            problems.append(f"{pid}: place_id must be a lowercase slug")
        if p["kind"] not in KINDS:
            problems.append(f"{pid}: kind {p['kind']!r}")
        if p["in_region"] not in YES_NO:
            problems.append(f"{pid}: in_region {p['in_region']!r}")
        lat, lon = float(p["lat"]), float(p["lon"])
        if not (54.9 < lat < 57.2 and -7.7 < lon < -4.0):
            problems.append(f"{pid}: coordinates out of range {lat},{lon}")
        pop, old = int(p["population"]), int(p["older_population"])
        if pop < 0 or old < 0 or old > pop:
            problems.append(f"{pid}: population {pop} / older {old}")
        if p["kind"] == "junction" and pop != 0:
            problems.append(f"{pid}: junction with population")
        if p["in_region"] == "yes":
            if p["kind"] == "outside":
                problems.append(f"{pid}: kind outside but in_region yes")
            if p["locality"] not in LOCALITIES:
                problems.append(f"{pid}: locality {p['locality']!r}")
            if p["zone_id"] not in zone_ids:
                problems.append(f"{pid}: zone_id {p['zone_id']!r} not in patches.csv")
            if not p["island"]:
                problems.append(f"{pid}: island empty")
        else:
            if p["locality"] or p["zone_id"]:
                problems.append(f"{pid}: outside place with locality/zone")
    assert not problems, "\n".join(problems)


def test_patches_schema():
    rows = patches()
    assert 22 <= len(rows) <= 28, len(rows)
    ids = [z["zone_id"] for z in rows]
    assert len(ids) == len(set(ids))
    for z in rows:
        assert z["locality"] in LOCALITIES, z
        assert z["remote"] in YES_NO, z
        assert z["island_patch"] in YES_NO, z
    required = {
        "mull_iona",
        "tiree",
        "coll",
        "islay",
        "jura",
        "colonsay",
        "bute",
        "dunoon",
        "cowal_west",
        "helensburgh",
        "rosneath",
        "arrochar",
        "inveraray",
        "mid_argyll",
        "kintyre_south",
        "gigha",
        "oban",
        "lorn_north",
        "lorn_south",
        "lismore",
        "seil_luing",
    }
    assert required <= set(ids), required - set(ids)
    # every patch holds a populated in-region place, and its place locality matches the patch's
    by_zone: dict[str, list[dict[str, str]]] = {}
    for p in places():
        if p["in_region"] == "yes":
            by_zone.setdefault(p["zone_id"], []).append(p)
    loc = {z["zone_id"]: z["locality"] for z in rows}
    for zid in ids:
        members = by_zone.get(zid, [])
        assert any(int(p["population"]) > 0 for p in members), f"patch {zid} has no populated place"
        assert len(members) >= 2, f"patch {zid} has only {len(members)} seed place(s)"
        for p in members:
            assert p["locality"] == loc[zid], f"{p['place_id']} locality differs from patch {zid}"


def test_settlement_count_and_population():
    inreg = [p for p in places() if p["in_region"] == "yes"]
    settlements = [p for p in inreg if p["kind"] in SETTLEMENT_KINDS]
    assert len(settlements) >= 60, len(settlements)
    total = sum(int(p["population"]) for p in inreg)
    older = sum(int(p["older_population"]) for p in inreg)
    print(f"in-region places {len(inreg)}, settlements {len(settlements)}, population {total}, 65+ {older}")
    assert 75_000 <= total <= 90_000, total
    assert 0.2 < older / total < 0.4


def test_roads_schema():
    ids = place_by_id()
    seen = set()
    problems = []
    for i, r in enumerate(roads(), start=2):
        a, b = r["from_id"], r["to_id"]
        if a not in ids or b not in ids:
            problems.append(f"row {i}: unknown endpoint {a} / {b}")
            continue
        if a == b:
            problems.append(f"row {i}: self loop {a}")
        key = frozenset((a, b))
        if key in seen:
            problems.append(f"row {i}: duplicate edge {a}-{b}")
        seen.add(key)
        if r["road_class"] not in ROAD_CLASSES:
            problems.append(f"row {i}: road_class {r['road_class']!r}")
        if not r["road"]:
            problems.append(f"row {i}: road empty")
        if r["km"]:
            km = float(r["km"])
            straight = _haversine_km(ids[a], ids[b])
            if km < straight * 0.98 - 0.1 or km > straight * 3.0 + 2:
                problems.append(f"row {i}: {a}-{b} km {km} vs straight {straight:.1f}")
    assert not problems, "\n".join(problems)


def test_ferries_schema():
    ids = place_by_id()
    route_ids = [f["route_id"] for f in ferries()]
    assert len(route_ids) == len(set(route_ids))
    for f in ferries():
        assert f["from_id"] in ids and f["to_id"] in ids, f
        assert float(f["crossing_minutes"]) > 0, f
        assert float(f["expected_wait_minutes"]) >= 0, f
        for col in ("first_sailing", "last_sailing"):
            hh, mm = f[col].split(":")
            assert len(hh) == 2 and len(mm) == 2 and 0 <= int(hh) < 24 and 0 <= int(mm) < 60, f
        assert f["first_sailing"] < f["last_sailing"], f
        assert f["operator"], f


def _haversine_km(p: dict[str, str], q: dict[str, str]) -> float:
    la1, lo1, la2, lo2 = map(
        math.radians, (float(p["lat"]), float(p["lon"]), float(q["lat"]), float(q["lon"]))
    )
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# ----------------------------------------------------------------------------------------------
# 4. connectivity (no external data needed)
# ----------------------------------------------------------------------------------------------


def _components(edges, nodes):
    parent = {n: n for n in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    comps: dict[str, set[str]] = {}
    for n in nodes:
        comps.setdefault(find(n), set()).add(n)
    return comps, find


def test_every_place_on_road_network():
    on_road = set()
    for r in roads():
        on_road.update((r["from_id"], r["to_id"]))
    missing = [
        p["place_id"]
        for p in places()
        if p["in_region"] == "yes"
        and (int(p["population"]) > 0 or p["kind"] == "terminal")
        and p["place_id"] not in on_road
    ]
    assert not missing, f"in-region places not on any road: {missing}"


def test_roads_and_ferries_connect_region():
    ids = list(place_by_id())
    edges = [(r["from_id"], r["to_id"]) for r in roads()] + [(f["from_id"], f["to_id"]) for f in ferries()]
    comps, find = _components(edges, ids)
    inreg = [p["place_id"] for p in places() if p["in_region"] == "yes"]
    roots = {find(i) for i in inreg}
    if len(roots) > 1:
        groups = sorted((sorted(c & set(inreg)) for c in comps.values() if c & set(inreg)), key=len)
        pytest.fail(f"{len(roots)} components; smaller ones: {groups[:-1]}")
    # the region is reachable from outside by road (Glasgow side) and by ferry
    outside_on_net = [
        p["place_id"] for p in places() if p["in_region"] == "no" and find(p["place_id"]) in roots
    ]
    assert outside_on_net, "no outside place connected to the region"


# ----------------------------------------------------------------------------------------------
# geometry (needs the shared real data)
# ----------------------------------------------------------------------------------------------


def _need_shared():
    if not (SHARED / "ab_council_boundary_bgc.geojson").exists():
        pytest.skip(f"real boundary data not found in {SHARED}")


@cache
def _geo():
    import geopandas as gpd
    import shapely

    boundary = gpd.read_file(SHARED / "ab_council_boundary_bgc.geojson").to_crs(27700)
    bnd = shapely.make_valid(shapely.union_all(boundary.geometry.values))
    land = gpd.read_file(SHARED / "land_west_scotland_osm.geojson").to_crs(27700)
    land_geom = shapely.make_valid(shapely.union_all(shapely.make_valid(land.geometry.values)))
    return bnd, land_geom


@cache
def _landmasks():
    # RoaringLandmask.new() is GSHHG; geodata.land (the travel model) uses the OSM provider, which
    # is more detailed at sea-loch heads. A point counts as land only where both agree.
    from roaring_landmask import LandmaskProvider, RoaringLandmask

    return RoaringLandmask.new(), RoaringLandmask.new_with_provider(LandmaskProvider.Osm)


@cache
def _transformer(source: int, target: int):
    """Made once: making a transformer took 60 ms, and the road test made two per road (35 s of its 45 s)."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def _to_bng(lon, lat):
    return _transformer(4326, 27700).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def _to_wgs(x, y):
    return _transformer(27700, 4326).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def _on_land(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    gshhg, osm = _landmasks()
    return np.asarray(gshhg.contains_many(lon, lat), dtype=bool) & np.asarray(
        osm.contains_many(lon, lat), dtype=bool
    )


def test_places_inside_or_outside_boundary():
    _need_shared()
    import shapely

    bnd, _ = _geo()
    rows = places()
    x, y = _to_bng([float(p["lon"]) for p in rows], [float(p["lat"]) for p in rows])
    pts = shapely.points(x, y)
    dist = shapely.distance(pts, bnd)
    inside = shapely.contains(bnd, pts)
    edge = shapely.distance(pts, bnd.boundary)
    problems = []
    for p, d, ins, e in zip(rows, dist, inside, edge, strict=False):
        if p["in_region"] == "yes" and d > 1000:
            problems.append(f"{p['place_id']}: in-region place {d / 1000:.1f} km outside the boundary")
        if p["in_region"] == "no" and ins and e > 1000:
            problems.append(f"{p['place_id']}: outside place {e / 1000:.1f} km inside the boundary")
    assert not problems, "\n".join(problems)


def test_places_on_land():
    _need_shared()
    rows = places()
    lon = np.array([float(p["lon"]) for p in rows])
    lat = np.array([float(p["lat"]) for p in rows])
    ok = _on_land(lon, lat)
    x, y = _to_bng(lon, lat)
    for ang in np.arange(0, 360, 45):
        dx, dy = 300 * math.cos(math.radians(ang)), 300 * math.sin(math.radians(ang))
        lo, la = _to_wgs(x + dx, y + dy)
        ok |= _on_land(lo, la)
    bad = [p["place_id"] for p, good in zip(rows, ok, strict=False) if not good]
    assert not bad, f"places more than 300 m from land: {bad}"


def test_road_edges_do_not_cross_sea():
    _need_shared()
    ids = place_by_id()
    problems = []
    # 200 m is the brief's sampling; 50 m is used so that the longest run is measured to within
    # ~50 m (geodata.land.water_run_km samples short segments much more densely than 200 m).
    step = 50.0
    for r in roads():
        a, b = ids[r["from_id"]], ids[r["to_id"]]
        (x0, x1), (y0, y1) = _to_bng([float(a["lon"]), float(b["lon"])], [float(a["lat"]), float(b["lat"])])
        length = math.hypot(x1 - x0, y1 - y0)
        n = max(2, int(length // step) + 1)
        t = np.linspace(0, 1, n)
        lo, la = _to_wgs(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        land = _on_land(lo, la)
        run = longest = 0
        for v in land:
            run = 0 if v else run + 1
            longest = max(longest, run)
        sea_km = longest * (length / (n - 1)) / 1000
        if sea_km > 1.0:
            problems.append(f"{r['from_id']}-{r['to_id']} ({r['road']}): {sea_km:.1f} km over sea")
    assert not problems, "road edges crossing sea:\n" + "\n".join(problems)


@cache
def _voronoi_cells():
    import shapely

    rows = places()
    x, y = _to_bng([float(p["lon"]) for p in rows], [float(p["lat"]) for p in rows])
    pts = shapely.multipoints(np.column_stack([x, y]))
    bnd, land = _geo()
    extent = shapely.box(*shapely.buffer(shapely.envelope(shapely.union(pts, bnd)), 50_000).bounds)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=extent, ordered=True))
    assert len(cells) == len(rows)
    labels = [p["zone_id"] if p["in_region"] == "yes" else "outside" for p in rows]
    zones: dict[str, object] = {}
    for lab in sorted(set(labels)):
        geom = shapely.union_all([c for c, label in zip(cells, labels, strict=True) if label == lab])
        zones[lab] = shapely.intersection(geom, land)
    return zones


def test_voronoi_matches_boundary():
    _need_shared()
    import shapely

    bnd, _ = _geo()
    zones = _voronoi_cells()
    inreg = shapely.union_all([g for lab, g in zones.items() if lab != "outside"])
    common = shapely.intersection(inreg, bnd).area
    precision = common / inreg.area
    recall = common / bnd.area
    print(
        f"Voronoi in-region land inside real boundary: {precision:.1%}; real boundary covered: {recall:.1%}"
    )
    assert precision >= 0.90, precision
    assert recall >= 0.90, recall


def test_every_zone_has_land():
    _need_shared()
    zones = _voronoi_cells()
    empty = [
        z["zone_id"] for z in patches() if zones.get(z["zone_id"]) is None or zones[z["zone_id"]].is_empty
    ]
    assert not empty, f"zones with no land: {empty}"
