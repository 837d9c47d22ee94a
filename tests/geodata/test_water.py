"""Inland water the land polygons count as land: Loch Awe and Loch Eck, and the far side of Loch Lomond."""

import shapely

from geodata.water import excluded_water


def test_large_freshwater_lochs_are_excluded_and_towns_are_not():
    water = excluded_water("argyll-bute")
    assert water.contains(shapely.Point(-5.23, 56.30))  # Loch Awe off Dalavich
    assert water.contains(shapely.Point(-4.995, 56.075))  # Loch Eck
    assert water.contains(shapely.Point(-4.60, 56.10))  # east of Loch Lomond's west shore: Stirling
    for lon, lat in [(-5.472, 56.415), (-5.073, 56.232), (-4.925, 55.95), (-4.726, 56.203)]:
        # Oban, Inveraray, Dunoon, Tarbet (Loch Lomond's west shore)
        assert not water.contains(shapely.Point(lon, lat)), (lon, lat)


def test_regions_without_outlines_have_none():
    assert excluded_water("somewhere-else") is None
