"""Zones as a GeoPackage or a shapefile in ``validate`` and ``run`` (issue 13, part 10), not only GeoJSON.

The files are written by geopandas from the valid fixture's zones, in British National Grid: the reader must
reproject them to WGS84, and a file that does not say its CRS is one error saying so.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from commissioning import cli
from commissioning.inputs.folder import check_dataset
from tests.commissioning.helpers import copy_valid


def zones_as(folder: Path, suffix: str, crs: str | None = "EPSG:27700") -> gpd.GeoDataFrame:
    """Replace the folder's zones.geojson by ``zones<suffix>`` written by geopandas in ``crs`` (``None``:
    no CRS). Returns the zones as they were (WGS84)."""
    zones = gpd.read_file(folder / "zones.geojson")
    (folder / "zones.geojson").unlink()
    if crs:
        zones.to_crs(crs).to_file(folder / f"zones{suffix}")
    else:
        with pytest.warns(UserWarning, match="crs"):
            zones.set_crs(None, allow_override=True).to_file(folder / f"zones{suffix}")
    return zones


def errors(check) -> list:
    return [p for p in check.problems if p.severity == "error"]


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_zones_from_a_geopackage_or_shapefile_in_british_national_grid_are_read_in_wgs84(tmp_path, suffix):
    folder = copy_valid(tmp_path)
    original = zones_as(folder, suffix)
    check = check_dataset(folder)
    assert check.ok, [str(p) for p in check.problems]
    zones = {z.zone_id: z for z in check.data.zones}
    assert set(zones) == set(original["zone_id"])
    for _, row in original.iterrows():
        zone = zones[row["zone_id"]]
        assert zone.name == row["name"]
        assert zone.remote == (row["remote"] == "yes")
        assert shapely.hausdorff_distance(zone.geometry, row.geometry) < 1e-6  # degrees: under 0.1 m


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_validate_accepts_zones_from_a_geopackage_or_shapefile(tmp_path, suffix, capsys, monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["validate"])
    folder = copy_valid(tmp_path)
    zones_as(folder, suffix)
    assert cli.main(["validate", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == "OK: 8 clients, 3 providers, 1 pools, 3 zones"


def test_a_shapefile_without_prj_is_one_error_saying_the_crs_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["validate"])
    folder = copy_valid(tmp_path)
    zones_as(folder, ".shp")
    (folder / "zones.prj").unlink()
    assert cli.main(["validate", str(folder)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("ERROR: zones.shp, column 'crs': the file has no coordinate reference system")
    assert "zones.prj is missing" in lines[0] and "Fix: " in lines[0]
    assert lines[1].startswith("1 error")


def test_a_geopackage_without_crs_is_an_error(tmp_path):
    folder = copy_valid(tmp_path)
    zones_as(folder, ".gpkg", crs=None)
    (problem,) = errors(check_dataset(folder))
    assert (problem.file, problem.column) == ("zones.gpkg", "crs")
    assert "no coordinate reference system" in problem.message


def test_zones_in_two_formats_is_an_error(tmp_path):
    folder = copy_valid(tmp_path)
    zones = gpd.read_file(folder / "zones.geojson")
    zones.to_file(folder / "zones.gpkg")
    (problem,) = errors(check_dataset(folder))
    assert "zones.geojson and zones.gpkg" in problem.message


def test_problems_in_a_geopackage_name_the_geopackage_and_the_feature(tmp_path):
    folder = copy_valid(tmp_path)
    zones = gpd.read_file(folder / "zones.geojson")
    (folder / "zones.geojson").unlink()
    zones.loc[1, "zone_id"] = zones.loc[0, "zone_id"]
    zones.loc[2, "geometry"] = shapely.Point(-5.5, 56.4)
    zones.to_file(folder / "zones.gpkg")
    found = {(p.file, p.row, p.column) for p in errors(check_dataset(folder))}
    assert ("zones.gpkg", 2, "zone_id") in found
    assert ("zones.gpkg", 3, "geometry") in found


def test_a_geopackage_of_several_layers_gives_its_zones_layer_or_the_first_with_a_warning(tmp_path):
    folder = copy_valid(tmp_path)
    zones = zones_as(folder, ".gpkg")  # geopandas names the layer after the file: "zones"
    sites = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(-5.5, 56.4)], crs="EPSG:4326")
    sites.to_file(folder / "zones.gpkg", layer="sites")
    check = check_dataset(folder)
    assert check.ok and len(check.data.zones) == len(zones)
    assert not any("layers" in p.message for p in check.problems)

    (folder / "zones.gpkg").unlink()
    zones.to_file(folder / "zones.gpkg", layer="patches")
    sites.to_file(folder / "zones.gpkg", layer="sites")
    check = check_dataset(folder)
    assert check.ok and len(check.data.zones) == len(zones)
    (warning,) = [p for p in check.problems if "layers" in p.message]
    assert warning.severity == "warning" and "'patches', is read" in warning.message


def test_run_reads_zones_from_a_geopackage(tmp_path):
    data = copy_valid(tmp_path)
    zones_as(data, ".gpkg")
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        textwrap.dedent(f"""\
        data = "{data}"
        [routing]
        enabled = false
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 1.0
        """),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert cli.main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    written = json.loads((out / "inputs" / "zones.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["zone_id"] for f in written["features"]) == ["lorn", "mull", "oban"]
