"""The embedded region as the product loads it: patches, polygons, zone lookup."""

import numpy as np
import pytest
import shapely

from geodata.errors import RegionError
from geodata.region import LOCALITIES, load_region

NAMED_PATCHES = {
    "mull_iona", "tiree", "coll", "islay", "jura", "colonsay", "bute", "dunoon", "cowal_west",
    "helensburgh", "rosneath", "arrochar", "inveraray", "mid_argyll", "kintyre_south", "gigha", "oban",
    "lorn_north", "lorn_south", "lismore", "seil_luing",
}


@pytest.fixture(scope="module")
def region():
    return load_region("argyll-bute")


def test_patches_named_and_between_20_and_30(region):
    ids = set(region.zones["zone_id"])
    assert 20 <= len(ids) <= 30
    assert ids >= NAMED_PATCHES, NAMED_PATCHES - ids
    assert set(region.zones["locality"]) == set(LOCALITIES)
    assert region.zones.crs.to_epsg() == 4326


def test_every_patch_polygon_is_valid_non_empty_and_on_land(region):
    for zone_id, geometry in zip(region.zones["zone_id"], region.zones.geometry, strict=True):
        assert geometry.is_valid and not geometry.is_empty, zone_id
        off_land = shapely.difference(geometry, region.land).area
        assert off_land <= 1e-6 * max(geometry.area, 1e-12) + 1e-12, zone_id


def test_patches_do_not_overlap(region):
    geoms = list(region.zones.geometry)
    total = sum(g.area for g in geoms)
    assert shapely.union_all(geoms).area == pytest.approx(total, rel=1e-6)


def test_at_least_60_settlements_and_terminals(region):
    named = region.places[region.places["in_region"] & (region.places["kind"] != "junction")]
    assert len(named) >= 60
    assert region.settlements()["population"].sum() > 60_000


def test_zone_of_finds_each_settlements_own_patch(region):
    settlements = region.settlements()
    found = region.zone_of(settlements["lon"], settlements["lat"])
    assert list(found) == list(settlements["zone_id"])


def test_zone_of_is_empty_outside_the_region(region):
    # Glasgow, the middle of the Firth of Lorn, Brodick on Arran.
    found = region.zone_of(np.array([-4.25, -5.75, -5.14]), np.array([55.86, 56.30, 55.58]))
    assert list(found) == ["", "", ""]


def test_unknown_region_is_a_clear_error():
    with pytest.raises(RegionError, match="argyll-bute"):
        load_region("atlantis")
