"""Coverage, travel, comparison and provider maps: layers, GeoJSON properties, bounds, escaping, sizes."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from commissioning.cli import main
from commissioning.errors import CareCommissioningError
from commissioning.report.run_maps import write_provider_map, write_run_maps
from maps import comparison_map, coverage_map, provider_map, travel_map
from maps.errors import MapError
from maps.layers import FRAGMENTATION, esc, feature_collection, grid_cells, normalise_allocation
from tests.maps.helpers import (
    controls,
    coordinate_pairs,
    fit_bounds,
    has_layer_control,
    layers,
    props_by_zone,
)
from tests.maps.run_fixture import HOSTILE_HUB, HOSTILE_PROVIDER, HOSTILE_ZONE

RAW_HOSTILE = (HOSTILE_PROVIDER, HOSTILE_ZONE, "<img src=x", "</script><svg", "${alert(3)}")
MB = 1024 * 1024


def _assigned(allocation: pd.DataFrame) -> pd.DataFrame:
    a = allocation[(allocation["status"] == "assigned") & (allocation["provider_id"] != "")].copy()
    a["weekly_hours"] = a["weekly_hours"].astype(float)
    a["care_hours_per_week"] = a["care_hours_per_week"].astype(float)  # billable: what "care hours" means
    return a


# ----------------------------------------------------------------------------------------------------
# Coverage
# ----------------------------------------------------------------------------------------------------


def test_coverage_map_layers_control_and_legends(inputs, region):
    zones, providers, hubs, _clients, allocations = inputs
    m = coverage_map(
        zones,
        allocations["current"],
        providers,
        hubs,
        ferries=_ferries(region),
        land=region.land,
        title="Coverage: current",
    )
    assert list(layers(m)) == [
        "Providers per zone (fragmentation)",
        "Lead provider per zone",
        "Unmet care per zone (hours per week)",
        "Ferry routes",
        "Staff hubs",
        "Provider bases",
        "Place names",
    ]
    assert has_layer_control(m)
    shown = {name: layer.show for name, layer in layers(m).items()}
    assert shown["Providers per zone (fragmentation)"] and not shown["Lead provider per zone"]
    legends = "".join(c.html for c in controls(m))
    for unit in ("(count)", "(hours per week)"):
        assert unit in legends
    # the background land is drawn but not listed in the layer control
    assert any(getattr(c, "layer_name", "") == "Land" and not c.control for c in m._children.values())
    assert "Coastline \\u0026copy; OpenStreetMap contributors" in m.get_root().render()


def test_coverage_zone_properties_match_the_allocation(inputs):
    zones, providers, hubs, _clients, allocations = inputs
    allocation = allocations["current"]
    m = coverage_map(zones, allocation, providers, hubs)
    props = props_by_zone(layers(m)["Providers per zone (fragmentation)"])
    assert set(props) == set(zones["zone_id"])
    a = _assigned(allocation)
    unmet = allocation[allocation["status"] == "unmet"].assign(
        h=lambda d: d["care_hours_per_week"].astype(float)
    )
    for zone_id, p in props.items():
        mine = a[a["zone"] == zone_id]
        assert p["providers"] == mine["provider_id"].nunique()
        assert p["care_hours"] == pytest.approx(mine["care_hours_per_week"].sum(), abs=1e-3)
        assert p["unmet_hours"] == pytest.approx(unmet.loc[unmet["zone"] == zone_id, "h"].sum(), abs=1e-3)
        assert set(filter(None, p["provider_ids"].split(";"))) == set(mine["provider_id"])
        expected = FRAGMENTATION.colour(p["providers"]) if p["clients"] else FRAGMENTATION.colour(None)
        assert p["fill"] == expected
        if len(mine):
            lead = mine.groupby("provider_id")["care_hours_per_week"].sum()
            assert lead[p["lead_provider"]] == pytest.approx(lead.max())
        # the tooltip names every provider serving the zone, with hours
        for pid in mine["provider_id"].unique():
            assert f"({pid})</td>" in p["tooltip"]


def test_coverage_bounds_fit_the_region(inputs, region):
    zones, providers, hubs, _clients, allocations = inputs
    m = coverage_map(zones, allocations["zoned"], providers, hubs, land=region.land)
    (south, west), (north, east) = fit_bounds(m)
    min_lon, min_lat, max_lon, max_lat = region.bbox
    assert min_lon <= west < east <= max_lon and min_lat <= south < north <= max_lat
    for layer in layers(m).values():
        for feature in getattr(layer, "data", {"features": []})["features"]:
            x0, y0, x1, y1 = shapely.geometry.shape(feature["geometry"]).bounds
            assert min_lon - 0.2 <= x0 and x1 <= max_lon + 0.2 and min_lat - 0.2 <= y0 and y1 <= max_lat + 0.2


def test_zones_in_another_crs_are_reprojected_and_empty_ones_dropped(inputs):
    zones, providers, hubs, _clients, allocations = inputs
    bng = zones.to_crs("EPSG:27700")
    bng.loc[len(bng)] = {"zone_id": "ghost", "name": "Ghost", "geometry": shapely.MultiPolygon()}
    m = coverage_map(bng, allocations["current"], providers, hubs)
    props = props_by_zone(layers(m)["Providers per zone (fragmentation)"])
    assert "ghost" not in props and len(props) == len(zones)
    (south, west), (north, east) = fit_bounds(m)
    assert -8 < west < east < -4 and 55 < south < north < 57


# ----------------------------------------------------------------------------------------------------
# Travel
# ----------------------------------------------------------------------------------------------------


def test_travel_map_is_aggregated_and_flows_carry_every_assigned_hour(inputs, region):
    zones, providers, hubs, clients, allocations = inputs
    allocation = allocations["zoned"]
    m = travel_map(
        zones, allocation, providers, hubs, clients=clients, ferries=_ferries(region), land=region.land
    )
    named = layers(m)
    assert list(named) == [
        "Travel per visit by zone (minutes)",
        "Travel per visit, 5 km squares (minutes)",
        "Hub-to-zone flows (care hours per week)",
        "Ferry routes",
        "Staff hubs",
        "Provider bases",
        "Place names",
    ]
    a = _assigned(allocation)
    flows = named["Hub-to-zone flows (care hours per week)"].data["features"]
    assert sum(
        float(re.search(r"([\d,.]+) care hours", f["properties"]["tooltip"]).group(1).replace(",", ""))
        for f in flows
    ) == pytest.approx(a["care_hours_per_week"].sum(), abs=0.1 * len(flows))
    assert all(f["geometry"]["type"] == "LineString" for f in flows)
    # zone travel = visit-weighted mean of the clients' travel minutes
    props = props_by_zone(named["Travel per visit by zone (minutes)"])
    a["v"] = a["visits_per_week"].astype(float)
    a["t"] = a["travel_minutes_per_visit"].astype(float)
    for zone_id, group in a.groupby("zone"):
        expected = (group["t"] * group["v"]).sum() / group["v"].sum()
        assert props[zone_id]["travel_minutes_per_visit"] == pytest.approx(expected, abs=1e-3)
    # squares: counts add up to the clients drawn, and there are fewer squares than clients
    squares = named["Travel per visit, 5 km squares (minutes)"].data["features"]
    counts = [int(re.search(r"(\d+) clients?\b", f["properties"]["tooltip"]).group(1)) for f in squares]
    assert sum(counts) == len(a) and len(squares) < len(a)
    # nothing is drawn per client: the page's feature and marker counts do not depend on the clients
    markers = sum(len(g._children) for n, g in named.items() if not hasattr(g, "data") and n != "Place names")
    assert markers == len(hubs) + len(providers)


# ----------------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------------


def test_comparison_has_the_same_layers_legends_and_scale_on_both_sides(inputs, region):
    zones, providers, hubs, _clients, allocations = inputs
    dual = comparison_map(
        "current",
        allocations["current"],
        "zoned",
        allocations["zoned"],
        zones,
        providers,
        hubs,
        ferries=_ferries(region),
        land=region.land,
    )
    left, right = layers(dual.m1), layers(dual.m2)
    assert (
        list(left)
        == list(right)
        == [
            "Providers per zone (fragmentation)",
            "Unmet care per zone (hours per week)",
            "Travel per visit by zone (minutes)",
            "Patches that change hands",
            "Ferry routes",
            "Provider bases",
            "Place names",
        ]
    )
    assert has_layer_control(dual.m1) and has_layer_control(dual.m2)
    legends = lambda m: [c.html for c in controls(m) if c.layer is not None]  # noqa: E731
    assert legends(dual.m1) == legends(dual.m2)
    assert fit_bounds(dual.m1) == fit_bounds(dual.m2)
    # same value, same colour, on either side
    colour_of = {}
    for side in (left, right):
        for p in side["Providers per zone (fragmentation)"].data["features"]:
            if p["properties"]["clients"]:
                colour_of.setdefault(p["properties"]["providers"], set()).add(p["properties"]["fill"])
    assert all(len(c) == 1 for c in colour_of.values())
    # zoning gives one provider per zone in this fixture: the right side is all "1" (or unserved)
    right_counts = {
        p["properties"]["providers"] for p in right["Providers per zone (fragmentation)"].data["features"]
    }
    assert right_counts <= {0, 1}
    page = dual.get_root().render()
    assert ".sync(" in page and "L.Map.include" in page  # Leaflet.Sync inlined, not fetched


# ----------------------------------------------------------------------------------------------------
# Provider view
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider_view(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("provider") / "P02.html"
    write_provider_map(run_dir, "P02", out, variant="current")
    return out


def test_provider_view_holds_no_other_providers_clients(provider_view, inputs):
    _zones, providers, hubs, clients, allocations = inputs
    data = provider_view.read_bytes()
    allocation = allocations["current"]
    own = set(allocation.loc[allocation["provider_id"] == "P02", "client_id"])
    others = set(allocation["client_id"]) - own
    assert own and others
    # ids are fixed-width (C0001, P01): a plain substring test cannot miss one. No client id at all is
    # on the page: a list of ids per patch would show small counts (issue 13).
    for client_id in own | others:
        assert client_id.encode() not in data, f"{client_id} leaked"
    assert b"(P02)" in data  # positive control: the provider's own id is there
    for row in providers.itertuples(index=False):
        if row.provider_id != "P02":
            assert row.provider_id.encode() not in data, row.provider_id
            assert esc(row.name).encode() not in data and row.name.encode() not in data, row.name
    for hub in hubs.itertuples(index=False):
        if hub.provider_id != "P02":
            assert hub.hub_id.encode() not in data


def test_provider_view_has_no_exact_client_coordinates(provider_view, inputs):
    _zones, _providers, hubs, clients, _allocations = inputs
    pairs = coordinate_pairs(provider_view.read_text(encoding="utf-8"))
    leaked = [
        c.client_id
        for c in clients.itertuples(index=False)
        if (round(float(c.lon), 4), round(float(c.lat), 4)) in pairs
    ]
    assert not leaked
    own_hub = hubs[hubs["provider_id"] == "P02"].iloc[0]  # positive control: hub positions are on the map
    assert (round(float(own_hub["lon"]), 4), round(float(own_hub["lat"]), 4)) in pairs


def test_provider_view_layers_counts_and_bounds(inputs, region):
    zones, providers, hubs, clients, allocations = inputs
    m = provider_map(
        "P02",
        zones,
        allocations["current"],
        providers,
        hubs,
        clients,
        land=region.land,
        ferries=_ferries(region),
        variant="current",
        min_count=1,  # every square drawn, to check the squares themselves
    )
    named = layers(m)
    assert list(named) == [
        "Your care hours per zone (hours per week)",
        "Your clients (1 km squares)",
        "Ferry routes",
        "Your staff hubs",
        "Your office base",
        "Place names",
    ]
    own = _assigned(allocations["current"]).query("provider_id == 'P02'")
    squares = named["Your clients (1 km squares)"].data["features"]
    assert sum(f["properties"]["count"] for f in squares) == len(own)
    for f in squares:  # each square is 1 km across (about 0.009 degrees of latitude)
        x0, y0, x1, y1 = shapely.geometry.shape(f["geometry"]).bounds
        assert 0.0085 < y1 - y0 < 0.0105
    served = props_by_zone(named["Your care hours per zone (hours per week)"])
    assert {z for z, p in served.items() if p["hours"]} == set(own["zone"])
    (south, west), (north, east) = fit_bounds(m)
    own_zones = zones[zones["zone_id"].isin(set(own["zone"]))].total_bounds
    assert west <= own_zones[0] and east >= own_zones[2] and south <= own_zones[1] and north >= own_zones[3]
    assert (east - west) < (region.bbox[2] - region.bbox[0])  # fitted to its own zones, not the region
    # with the default threshold, only squares of 3 or more clients are drawn
    m3 = provider_map("P02", zones, allocations["current"], providers, hubs, clients)
    cells = grid_cells(clients.loc[clients["client_id"].isin(own["client_id"]), "lon"].astype(float),
                       clients.loc[clients["client_id"].isin(own["client_id"]), "lat"].astype(float), 1.0)
    drawn = layers(m3).get("Your clients (1 km squares)")
    drawn_counts = sorted(f["properties"]["count"] for f in drawn.data["features"]) if drawn else []
    assert drawn_counts == sorted(int(c) for c in cells["count"] if c >= 3)


def test_provider_view_unknown_provider_lists_valid_ids(inputs, run_dir, tmp_path):
    zones, providers, hubs, clients, allocations = inputs
    with pytest.raises(MapError, match="valid provider ids: P01, P02"):
        provider_map("P99", zones, allocations["current"], providers, hubs, clients)
    with pytest.raises(CareCommissioningError, match="P99.*P01, P02, P03"):
        write_provider_map(run_dir, "P99", tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_map_command(run_dir, tmp_path, capsys):
    out = tmp_path / "view.html"
    assert main(["map", str(run_dir), "--provider", "P03", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "variant zoned (recommended), run of 2026-03-14" in page  # default: the recommended variant
    assert "wrote" in capsys.readouterr().out
    assert main(["map", str(run_dir), "--provider", "P03", "--out", str(out), "--variant", "current"]) == 0
    assert "variant current, run of 2026-03-14" in out.read_text(encoding="utf-8")
    assert main(["map", str(run_dir), "--provider", "nobody", "--out", str(tmp_path / "n.html")]) == 1
    err = capsys.readouterr().err
    assert "unknown provider 'nobody'" in err and "P01, P02" in err and "P15" in err
    assert main(["map", str(run_dir), "--provider", "P03", "--out", str(out), "--variant", "nope"]) == 1
    assert "variants in" in capsys.readouterr().err
    assert main(["map", str(tmp_path / "missing"), "--provider", "P03", "--out", str(out)]) == 1


# ----------------------------------------------------------------------------------------------------
# Run output folder: files, escaping, sizes
# ----------------------------------------------------------------------------------------------------


def test_write_run_maps_writes_every_map(run_dir, run_maps):
    names = [p.name for p in run_maps]
    assert names == [
        "coverage_current.html",
        "travel_current.html",
        "coverage_zoned.html",
        "travel_zoned.html",
        "compare_current_vs_zoned.html",
    ]
    assert all(p.parent == run_dir / "maps" and p.exists() for p in run_maps)


def test_every_output_escapes_injected_names(run_maps, provider_view):
    for path in [*run_maps, provider_view]:
        text = path.read_text(encoding="utf-8")
        for raw in RAW_HOSTILE:
            assert raw not in text, f"{raw!r} unescaped in {path.name}"
        assert text.count("<script") == text.count("</script>")  # no name opened or closed a script block
    coverage = run_maps[0].read_text(encoding="utf-8")
    # positive control: the names are there, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in coverage.replace("\\u0026", "&")
    assert "&lt;img src=x onerror=alert(2)&gt;" in coverage.replace("\\u0026", "&")
    assert esc(HOSTILE_HUB) in coverage.replace("\\u0026", "&")


# A name as a Jinja template: what it would print if it ran ("Zz49zZ", "Qq42qQ", the process id), never shown.
TEMPLATE_PROVIDER = "Zz{{ 7*7 }}zZ{{ cycler.__init__.__globals__.os.getpid() }}"
TEMPLATE_ZONE = "Qq{{ 6*7 }}qQ{% if true %}Ww{% endif %}{# gone #}"


def _rename(path: Path, provider_id: str, name: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["provider_id"] == provider_id, "name"] = name
    frame.to_csv(path, index=False)


def test_names_written_as_templates_stay_text(run_dir, tmp_path):
    """Defect: folium (branca) compiles each rendered piece of a map as a Jinja template a second time, so a
    name with braces in a user's file ran as code on the machine drawing the map: a provider named
    ``{{ cycler.__init__.__globals__.os.getpid() }}`` showed that process's id, in every map and in the
    provider's own view. esc() now writes braces as entities: the browser shows the name as written."""
    out = tmp_path / "out"
    shutil.copytree(run_dir, out, ignore=shutil.ignore_patterns("maps"))
    for path in (out / "providers.csv", out / "inputs" / "providers.csv"):
        _rename(path, "P02", TEMPLATE_PROVIDER)
    zones = json.loads((out / "inputs" / "zones.geojson").read_text(encoding="utf-8"))
    zones["features"][1]["properties"]["name"] = TEMPLATE_ZONE
    (out / "inputs" / "zones.geojson").write_text(json.dumps(zones), encoding="utf-8")
    paths = [*write_run_maps(out), write_provider_map(out, "P02", tmp_path / "P02.html", variant="current")]
    for path in paths:
        text = path.read_text(encoding="utf-8").replace("\\u0026", "&")
        for ran in ("Zz49zZ", "Qq42qQ", f"zZ{os.getpid()}", "qQWw", "qQ<", "qQ\\u003c"):
            assert ran not in text, f"{ran!r} in {path.name}: a name ran as a template"
        assert esc(TEMPLATE_PROVIDER) in text, path.name  # positive control: the name is there, as text
    coverage = paths[0].read_text(encoding="utf-8").replace("\\u0026", "&")
    assert esc(TEMPLATE_ZONE) in coverage


def test_map_files_are_light(run_maps, provider_view):
    for path in [*run_maps, provider_view]:
        assert path.stat().st_size <= 5 * MB, f"{path.name}: {path.stat().st_size / MB:.1f} MB"


def test_comparison_pairs_without_current(run_dir, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(run_dir, out, ignore=shutil.ignore_patterns("maps"))
    shutil.move(out / "current", out / "optimised")
    kpis = json.loads((out / "kpis.json").read_text())
    kpis["variants"] = ["optimised", "zoned"]
    (out / "kpis.json").write_text(json.dumps(kpis))
    names = [p.name for p in write_run_maps(out)]
    assert names[-1] == "compare_optimised_vs_zoned.html" and len(names) == 5


# ----------------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------------


def test_esc_neutralises_html_and_template_literals():
    assert esc("<b>&'\"") == "&lt;b&gt;&amp;&#x27;&quot;"
    assert "`" not in esc("`${x}\\") and "$" not in esc("`${x}\\") and "\\" not in esc("`${x}\\")
    assert esc("{{ 7*7 }}{% x %}{# y #}") == "&#123;&#123; 7*7 &#125;&#125;&#123;% x %&#125;&#123;# y #&#125;"
    assert esc(None) == "" and esc(float("nan")) == "" and esc(3) == "3"


def test_feature_collection_is_json_safe_escaped_and_in_wgs84():
    frame = gpd.GeoDataFrame(
        {
            "name": ["<b>x</b>", "y", "z"],
            "when": [pd.Timestamp("2024-01-01"), pd.NaT, pd.Timestamp("2024-01-02")],
            "items": [[1, 2], None, ["a"]],
            "count": [np.int64(3), np.int64(4), np.int64(5)],
            "share": [0.5, float("nan"), float("inf")],
            "html": ["<i>ok</i>", "", ""],
        },
        geometry=[shapely.box(200000, 700000, 201000, 701000), shapely.Polygon(), None],
        crs="EPSG:27700",
    )
    data = feature_collection(frame, html_columns=("html",))
    json.dumps(data, allow_nan=False)
    assert len(data["features"]) == 1
    props = data["features"][0]["properties"]
    assert props["name"] == "&lt;b&gt;x&lt;/b&gt;" and props["html"] == "<i>ok</i>"
    assert props["count"] == 3 and props["share"] == 0.5 and props["when"].startswith("2024-01-01")
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0]
    assert -6 < lon < -5 and 56 < lat < 57


def test_grid_cells_count_points_without_placing_them():
    rng = np.random.default_rng(0)
    lon, lat = -5.5 + rng.random(50) * 0.1, 56.4 + rng.random(50) * 0.05
    cells = grid_cells(lon, lat, 1.0, {"hours": np.ones(50)})
    assert cells["count"].sum() == 50 and cells["hours"].sum() == 50
    corners = {(round(x, 4), round(y, 4)) for g in cells.geometry for x, y in g.exterior.coords}
    assert not corners & {(round(x, 4), round(y, 4)) for x, y in zip(lon, lat, strict=True)}
    assert all(shapely.contains_xy(cells.union_all(), lon, lat))


def test_normalise_allocation_handles_missing_values():
    a = normalise_allocation(
        pd.DataFrame(
            {
                "client_id": ["C1", "C2"],
                "provider_id": ["P1", None],
                "zone": ["z", "z"],
                "weekly_hours": ["2.5", ""],
                "visits_per_week": [3, 4],
                "travel_minutes_per_visit": ["", "7"],
            }
        )
    )
    assert list(a["assigned"]) == [True, False] and a.loc[1, "provider_id"] == ""
    assert a.loc[0, "weekly_hours"] == 2.5 and math.isnan(a.loc[0, "travel_minutes_per_visit"])


def _ferries(region):
    from geodata.region import ferry_routes

    return ferry_routes(region)
