"""Where the points lie: on real land (OpenStreetMap), inside the region, in the zone they claim.

The land polygons are loaded once for the module (the first run on a machine builds a cache, ~12 s).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from commissioning.inputs.folder import check_dataset, load_dataset
from commissioning.inputs.geography import LAND_BBOX_BUFFER_DEG
from geodata.land import distance_to_land_m, land_geometry, on_land
from tests.commissioning.helpers import (
    VALID,
    append_row,
    assert_problem,
    copy_valid,
    read_rows,
    set_cell,
    write_rows,
)

FIRTH_OF_LORN = ("-5.75", "56.30")  # open water between Mull and Lorn, ~2.4 km from land
GLASGOW = ("-4.25", "55.86")
EDINBURGH = ("-3.19", "55.95")
TOBERMORY_PIER = ("-6.066", "56.621")  # ~90 m off the OSM coastline: harbour-side, accepted


@pytest.fixture(scope="module")
def land():
    b = LAND_BBOX_BUFFER_DEG
    bbox = (round(-6.45 - b, 4), round(56.25 - b, 4), round(-5.05 + b, 4), round(56.66 + b, 4))
    return land_geometry(bbox)


def move(folder, file, row, point, lon="lon", lat="lat"):
    set_cell(folder, file, row, lon, point[0])
    set_cell(folder, file, row, lat, point[1])


def test_every_fixture_point_is_on_real_land(land):
    for file, lon, lat in (
        ("clients.csv", "lon", "lat"),
        ("hubs.csv", "lon", "lat"),
        ("providers.csv", "base_lon", "base_lat"),
    ):
        rows = read_rows(VALID / file)
        k, j = rows[0].index(lon), rows[0].index(lat)
        lons = [float(r[k]) for r in rows[1:]]
        lats = [float(r[j]) for r in rows[1:]]
        assert on_land(lons, lats, land).all(), (file, distance_to_land_m(lons, lats, land))


def test_valid_small_passes_with_geography(land):
    data = load_dataset(VALID, region_land=land)
    assert data.warnings == ()
    assert data.counts() == {"clients": 8, "providers": 3, "hubs": 4, "pools": 1, "zones": 3}
    assert data.travel_model == "approximate" and data.region is None
    assert [z.zone_id for z in data.zones] == ["oban", "mull", "lorn"]
    assert data.zone_by_id["mull"].remote is True
    assert data.zone_by_id["mull"].geometry.contains(
        __import__("shapely").Point(data.clients[3].lon, data.clients[3].lat)
    )


def test_client_in_the_sea(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "clients.csv", 6, FIRTH_OF_LORN)
    result = check_dataset(folder, region_land=land)
    problem = assert_problem(
        result,
        file="clients.csv",
        row=6,
        column="lon, lat",
        value="lon -5.75, lat 56.3",
        contains="in the sea",
    )
    assert " m from the nearest land" in problem.message
    assert len(result.errors) == 1


def test_client_outside_the_region(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "clients.csv", 2, GLASGOW)
    result = check_dataset(folder, region_land=land)
    assert_problem(
        result,
        file="clients.csv",
        row=2,
        column="lon, lat",
        value="lon -4.25, lat 55.86",
        contains="outside the region",
    )
    assert len(result.errors) == 1  # not also "in the sea"


def test_lat_lon_swapped(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "clients.csv", 3, ("56.418", "-5.472"))
    result = check_dataset(folder, region_land=land)
    problem = assert_problem(
        result,
        file="clients.csv",
        row=3,
        column="lon, lat",
        value="lon 56.418, lat -5.472",
        contains="swap lat and lon",
    )
    assert "swapped" in problem.message
    assert len(result.errors) == 1


def test_harbour_side_point_within_150_m_is_on_land(tmp_path, land):
    lon, lat = float(TOBERMORY_PIER[0]), float(TOBERMORY_PIER[1])
    assert not on_land([lon], [lat], land)[0]
    assert 0 < distance_to_land_m([lon], [lat], land)[0] < 150
    folder = copy_valid(tmp_path)
    move(folder, "clients.csv", 5, TOBERMORY_PIER)
    assert load_dataset(folder, region_land=land).warnings == ()


def test_hub_in_the_sea(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "hubs.csv", 4, FIRTH_OF_LORN)
    result = check_dataset(folder, region_land=land)
    assert_problem(
        result, file="hubs.csv", row=4, column="lon, lat", value="lon -5.75, lat 56.3", contains="in the sea"
    )


def test_hub_outside_the_region(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "hubs.csv", 2, EDINBURGH)
    assert_problem(
        check_dataset(folder, region_land=land),
        file="hubs.csv",
        row=2,
        column="lon, lat",
        value="lon -3.19, lat 55.95",
        contains="outside the region",
    )


def test_provider_base_outside_region_is_a_warning_when_it_has_hubs(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "providers.csv", 4, GLASGOW, "base_lon", "base_lat")
    data = load_dataset(folder, region_land=land)
    assert_problem(
        data.warnings,
        file="providers.csv",
        row=4,
        column="base_lon, base_lat",
        value="lon -4.25, lat 55.86",
        severity="warning",
        contains="has hubs",
    )


def test_provider_base_outside_region_is_an_error_without_hubs(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "providers.csv", 4, GLASGOW, "base_lon", "base_lat")
    (folder / "hubs.csv").unlink()
    assert_problem(
        check_dataset(folder, region_land=land),
        file="providers.csv",
        row=4,
        column="base_lon, base_lat",
        value="lon -4.25, lat 55.86",
        contains="outside the region",
    )


def test_client_inside_another_zone_is_a_warning(tmp_path, land):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 9, "zone", "oban")  # C008 lives in Taynuilt (lorn)
    data = load_dataset(folder, region_land=land)
    problem = assert_problem(
        data.warnings,
        file="clients.csv",
        row=9,
        column="zone",
        value="oban",
        severity="warning",
        contains="inside zone 'lorn'",
    )
    assert "set zone to 'lorn'" in problem.fix


def test_client_near_its_zone_border_is_not_warned(tmp_path, land):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 2, "zone", "lorn")  # C001 is in Oban, ~2.3 km west of the Lorn box
    assert load_dataset(folder, region_land=land).warnings != ()
    folder2 = copy_valid(tmp_path / "two")
    move(folder2, "clients.csv", 8, ("-5.426", "56.42"))  # in lorn, 0.25 km east of the oban box
    set_cell(folder2, "clients.csv", 8, "zone", "oban")
    assert load_dataset(folder2, region_land=land).warnings == ()


def test_zones_in_british_national_grid_are_reprojected(tmp_path, land):
    folder = copy_valid(tmp_path, "good/zones_in_british_national_grid")
    assert "EPSG::27700" in json.loads((folder / "zones.geojson").read_text())["crs"]["properties"]["name"]
    data = load_dataset(folder, region_land=land)
    reference = load_dataset(VALID, region_land=land)
    for zone, ref in zip(data.zones, reference.zones, strict=True):
        assert np.allclose(zone.geometry.bounds, ref.geometry.bounds, atol=0.01)
    assert data.warnings == ()


def test_several_geography_errors_at_once(tmp_path, land):
    folder = copy_valid(tmp_path)
    move(folder, "clients.csv", 2, FIRTH_OF_LORN)
    move(folder, "clients.csv", 3, GLASGOW)
    move(folder, "clients.csv", 4, ("56.425", "-5.46"))
    set_cell(folder, "clients.csv", 5, "weekly_hours", "-1")
    result = check_dataset(folder, region_land=land)
    assert [p.row for p in result.errors] == [2, 3, 4, 5]


def test_thousands_of_clients_are_checked_fast(tmp_path, land):
    folder = copy_valid(tmp_path)
    rows = read_rows(folder / "clients.csv")
    body = rows[1:]
    big = [rows[0]] + [[f"X{i:05d}"] + body[i % len(body)][1:] for i in range(5000)]
    write_rows(folder / "clients.csv", big)
    append_row(
        folder,
        "clients.csv",
        client_id="SEA",
        lon=FIRTH_OF_LORN[0],
        lat=FIRTH_OF_LORN[1],
        zone="mull",
        weekly_hours="1",
        visits_per_week="1",
        carers_per_visit="1",
        time_bands="tea",
        funder="nhs",
    )
    check_dataset(folder, region_land=land)  # warm-up (imports)
    start = time.perf_counter()
    result = check_dataset(folder, region_land=land)
    elapsed = time.perf_counter() - start
    assert [p.row for p in result.errors] == [5002]
    assert elapsed < 2.0, f"{elapsed:.2f} s for 5000 clients"
