"""Counts agree with their nouns in the maps' text: "1 client", "2 clients".

Regression: the commissioners' travel maps said "1 clients" (and "1 visits per week") for a square of one
client; a hub's recruitment read "1 drivers", a ferry "1 minutes".
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import shapely

from maps import comparison_map, coverage_map, provider_map, travel_map
from maps.layers import counted
from maps.render import _ferry_layer, _hub_load_tip
from tests.maps.helpers import layers, map_texts

WRONG = re.compile(r"(?<![\d.,])1 (clients|visits|drivers|non-drivers|minutes|providers|carers)\b")
SQUARES = "Travel per visit, 1 km squares (minutes)"


def test_counted():
    assert [counted(n, "client") for n in (0, 1, 2, 1.0, 12.4)] == [
        "0 clients", "1 client", "2 clients", "1 client", "12 clients"]
    assert counted(1, "non-driver") == "1 non-driver" and counted(3, "patch", "patches") == "3 patches"


def test_travel_squares_of_one_client_say_1_client(inputs):
    zones, providers, hubs, clients, allocations = inputs
    m = travel_map(zones, allocations["current"], providers, hubs, clients=clients, grid_km=1.0)
    tips = [f["properties"]["tooltip"] for f in layers(m)[SQUARES].data["features"]]
    assert any("<br>1 client, " in tip for tip in tips)  # the fixture has squares of one client
    assert any(re.search(r"<br>[2-9]\d* clients, ", tip) for tip in tips)
    for tip in tips:
        assert not WRONG.search(tip), tip


def test_no_map_pairs_1_with_a_plural(inputs):
    zones, providers, hubs, clients, allocations = inputs
    maps = [coverage_map(zones, allocations["zoned"], providers, hubs),
            travel_map(zones, allocations["zoned"], providers, hubs, clients=clients, grid_km=1.0)]
    dual = comparison_map("current", allocations["current"], "zoned", allocations["zoned"], zones, providers,
                          hubs, clients=clients, min_count=1, grid_km=1.0)
    maps += [dual.m1, dual.m2]
    maps += [provider_map(pid, zones, allocations["zoned"], providers, hubs, clients,
                          baseline=allocations["current"], variant="zoned")
             for pid in providers["provider_id"]]
    for m in maps:
        for text in map_texts(m):
            assert not WRONG.search(text), text


def test_hub_recruitment_and_ferry_crossings_agree():
    row = pd.Series({"hub_id": "H1", "owner": "P01", "zone": "oban", "carers": 1, "drivers": 1,
                     "staff_hours_used": 30.0, "staff_hours_available": 35.0, "use_pct": 85.7,
                     "recruit_drivers": 1, "recruit_non_drivers": 2, "recruit_cost_gbp_per_week": 900.0,
                     "shortfall_drivers": 0, "shortfall_non_drivers": 1})
    tip = _hub_load_tip(row)
    assert "Recruited: 1 driver, 2 non-drivers" in tip and "Still short: 0 drivers, 1 non-driver" in tip
    ferries = gpd.GeoDataFrame({"name": ["Oban–Kerrera"], "crossing_minutes": [1.0]},
                               geometry=[shapely.LineString([(-5.48, 56.41), (-5.50, 56.40)])], crs=4326)
    assert "Crossing: 1 minute" in _ferry_layer(ferries).data["features"][0]["properties"]["tooltip"]
