"""Comparison maps show what changes (issue 13): clients whose provider differs (coarsened, small counts
suppressed), patches that change hands and place labels; the travel map has a provider key; the land has
no clipping frame."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shapely

from maps import comparison_map, travel_map
from maps.changes import LEAD, SET
from maps.places import _Labels
from tests.maps.helpers import controls, layers, walk
from tests.maps.run_fixture import HOSTILE_ZONE

MOVED = "Clients whose provider differs (2 km squares)"
CHANGED = "Patches that change hands"


def _assigned(allocation: pd.DataFrame) -> pd.DataFrame:
    a = allocation[(allocation["status"] == "assigned") & (allocation["provider_id"] != "")].copy()
    a["h"] = a["care_hours_per_week"].astype(float)
    return a


def _towns(region) -> pd.DataFrame:
    places = region.places
    return places[places["in_region"] & (places["kind"] == "town")][["name", "lon", "lat"]]


@pytest.fixture(scope="module")
def dual(inputs, region):
    zones, providers, hubs, clients, allocations = inputs
    return comparison_map("current", allocations["current"], "zoned", allocations["zoned"], zones,
                          providers, hubs, clients=clients, places=_towns(region), land=region.land)


def test_comparison_layers_are_the_same_on_both_sides(dual):
    left, right = layers(dual.m1), layers(dual.m2)
    assert list(left) == list(right)
    assert {MOVED, CHANGED, "Place names"} <= set(left)
    assert all(left[n].show for n in (MOVED, CHANGED, "Place names"))


def test_moved_clients_are_counted_in_squares_of_at_least_three(dual, inputs):
    _zones, _providers, _hubs, _clients, allocations = inputs
    before = allocations["current"].set_index("client_id")
    after = allocations["zoned"].set_index("client_id")
    side = lambda t: np.where(t["status"] == "assigned", t["provider_id"], "")  # noqa: E731
    differs = int((side(before) != side(after.loc[before.index])).sum())
    assert differs > 10
    squares = layers(dual.m2)[MOVED].data["features"]
    counts = [int(re.match(r"<b>(\d+) clients whose", f["properties"]["tooltip"]).group(1)) for f in squares]
    assert counts and min(counts) >= 3
    legend = next(c.html for c in controls(dual.m2) if c.layer is layers(dual.m2)[MOVED])
    legend = legend.replace("no clients", "0 clients")
    hidden = re.search(r"\((\d+|fewer than 3) clients? in such squares", legend)
    hidden_n = int(hidden.group(1)) if hidden.group(1).isdigit() else None
    if hidden_n is not None:
        assert sum(counts) + hidden_n == differs
    else:
        assert differs - sum(counts) in (1, 2)
    for feature in squares:  # every number shown is at least 3; smaller counts are words
        for number in re.findall(r"(\d+) client", feature["properties"]["tooltip"]):
            assert int(number) >= 3
    # and each patch's total is in its tooltip, on both sides
    for m in (dual.m1, dual.m2):
        for f in layers(m)["Providers per zone (fragmentation)"].data["features"]:
            text = f["properties"]["tooltip"]
            found = re.search(r"Clients whose provider differs \(current → zoned\): ([^<]+)$", text)
            assert found, text
            shown = found.group(1)
            assert shown in ("no clients", "fewer than 3 clients") or int(shown.split()[0]) >= 3


def test_patches_that_change_hands_are_the_ones_whose_lead_or_providers_change(dual, inputs):
    zones, _providers, _hubs, _clients, allocations = inputs
    lead, sets = {}, {}
    for variant in ("current", "zoned"):
        hours = _assigned(allocations[variant]).groupby(["zone", "provider_id"])["h"].sum().reset_index()
        hours = hours.sort_values(["zone", "h", "provider_id"], ascending=[True, False, True])
        lead[variant] = hours.groupby("zone")["provider_id"].first().to_dict()
        sets[variant] = hours.groupby("zone")["provider_id"].agg(frozenset).to_dict()
    expected = {}
    for zone in zones["zone_id"]:
        if lead["current"].get(zone, "") != lead["zoned"].get(zone, ""):
            expected[zone] = LEAD
        elif sets["current"].get(zone, frozenset()) != sets["zoned"].get(zone, frozenset()):
            expected[zone] = SET
    assert expected
    features = layers(dual.m2)[CHANGED].data["features"]
    got = {f["properties"]["zone_id"]: f["properties"]["change"] for f in features}
    assert got == expected
    for f in features:
        assert f"Changes hands</b>: {f['properties']['change']}" in f["properties"]["tooltip"]


def test_place_labels_name_patches_and_towns_escaped(dual, region):
    labels = [e for e in walk(dual.m1) if isinstance(e, _Labels)]
    assert len(labels) == 1
    texts = [label[2] for label in labels[0].labels]
    assert "Dunoon and Innellan" in texts and "West Cowal" in texts  # patch names
    assert "&lt;img src=x onerror=alert(2)&gt;" in texts and HOSTILE_ZONE not in texts  # escaped
    assert "Oban" in texts and "Campbeltown" in texts  # towns from the region's places
    assert len(texts) == len(set(texts))  # no name twice
    assert not any(" (" in t for t in texts)  # short labels: "Mid Argyll", not its list of villages


def test_travel_map_has_a_provider_key(inputs):
    zones, providers, hubs, clients, allocations = inputs
    m = travel_map(zones, allocations["current"], providers, hubs)
    flows = layers(m)["Hub-to-zone flows (care hours per week)"]
    legend = next(c.html for c in controls(m) if c.layer is flows)
    assert "Provider key" in legend
    served = set(_assigned(allocations["current"])["provider_id"])
    for pid in served:
        assert f"({pid})</div>" in legend


def test_land_has_no_clipping_frame(dual, region, inputs):
    zones = inputs[0]
    land = next(c for c in dual.m1._children.values() if getattr(c, "layer_name", "") == "Land")
    shapes = [shapely.geometry.shape(f["geometry"]) for f in land.data["features"]]
    drawn = shapely.union_all([s for s in shapes if s.geom_type in ("Polygon", "MultiPolygon")])
    coast = [s for s in shapes if "Line" in s.geom_type]
    minx, miny, maxx, maxy = region.land.bounds
    frame = shapely.box(minx, miny, maxx, maxy).exterior
    # no outline runs along the edge of the land data, and the land fades out near the patches
    assert all(c.intersection(frame.buffer(1e-3)).length < 1e-6 for c in coast)
    outline = shapely.union_all(zones.to_crs("EPSG:4326").geometry.values)
    assert drawn.difference(outline.buffer(0.13)).area < 1e-4
    assert not drawn.contains(shapely.Point(maxx - 0.01, (miny + maxy) / 2))  # old frame edge: gone
    opacities = sorted({f["properties"]["style"].get("fillOpacity") for f in land.data["features"]} - {None})
    assert opacities[-1] == 1.0 and opacities[0] < 0.5  # solid near the patches, fading further out
