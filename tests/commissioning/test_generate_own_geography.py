"""``generate`` with the user's own zones and demand points (the README's *Real data*): the files are read and
checked the way ``commissioning validate`` reads them, and the zones keep their names.

Every test writes real files (from the shared Argyll and Bute geography) and runs the generator or the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from commissioning.cli import main
from commissioning.errors import InputError
from commissioning.synthetic.generate import generate_scenario

SHARED = Path(__file__).resolve().parents[3] / "shared" / "geodata" / "argyll_bute"
OUTPUT_AREAS = SHARED / "ab_output_areas2011_census.csv"
INTERMEDIATE_ZONES = SHARED / "ab_intermediate_zones2001.geojson"
WEIGHT = "hh_oneperson_65plus_2011"


@pytest.fixture(autouse=True)
def _need_shared() -> None:
    if not (OUTPUT_AREAS.exists() and INTERMEDIATE_ZONES.exists()):
        pytest.skip(f"shared real data not found in {SHARED}")


def _generate(out: Path, *, points: Path = OUTPUT_AREAS, zones: Path = INTERMEDIATE_ZONES, **options):
    return generate_scenario(out, n_clients=300, seed=3, demand_points=points, weight_column=WEIGHT,
                             zones_file=zones, zone_id_column="IZ_CODE", **options)


def _zone_names(folder: Path) -> dict[str, str]:
    features = json.loads((folder / "zones.geojson").read_text())["features"]
    return {f["properties"]["zone_id"]: f["properties"]["name"] for f in features}


def _zones_document() -> dict:
    return json.loads(INTERMEDIATE_ZONES.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------------
# defect 4: the zones' names
# ----------------------------------------------------------------------------------------------------


def test_zone_name_option_names_the_zones(tmp_path, capsys):
    """Defect 4: only a property literally called ``name`` was read, so IZ_NAME was lost and every output
    showed the code twice ("S02000130 (S02000130)")."""
    assert main(["generate", "--demand-points", str(OUTPUT_AREAS), "--weight-column", WEIGHT,
                 "--zones", str(INTERMEDIATE_ZONES), "--zone-id", "IZ_CODE", "--zone-name", "IZ_NAME",
                 "--clients", "300", "--seed", "3", "--out", str(tmp_path / "iz")]) == 0
    names = _zone_names(tmp_path / "iz")
    assert names["S02000130"] == "Campbeltown" and names["S02000149"] == "Oban North"
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    assert "--zone-name" in capsys.readouterr().out


def test_zone_name_defaults_to_a_name_property(tmp_path):
    """Without --zone-name a property called ``name`` still names the zones."""
    doc = _zones_document()
    for feature in doc["features"]:
        feature["properties"]["name"] = feature["properties"].pop("IZ_NAME")
    zones = tmp_path / "named.geojson"
    zones.write_text(json.dumps(doc), encoding="utf-8")
    _generate(tmp_path / "out", zones=zones)
    assert _zone_names(tmp_path / "out")["S02000130"] == "Campbeltown"


def test_a_missing_zone_name_column_is_one_clear_error(tmp_path):
    with pytest.raises(InputError) as err:
        _generate(tmp_path / "out", zone_name_column="IZ_TITLE")
    (problem,) = err.value.problems
    assert problem.file == str(INTERMEDIATE_ZONES) and problem.column == "IZ_TITLE"
    assert "IZ_NAME" in problem.message and "--zone-name" in problem.fix


# ----------------------------------------------------------------------------------------------------
# defect 5: a self-intersecting polygon is repaired with validate's warning
# ----------------------------------------------------------------------------------------------------


def test_a_repaired_bow_tie_zone_is_a_warning_naming_the_zone(tmp_path):
    """Defect 5: generate repaired a self-intersecting zone silently (and then reported more demand points
    outside every zone); validate warns "invalid polygon; it was repaired automatically"."""
    import shapely
    from shapely.geometry import shape

    doc = _zones_document()
    dunoon = next(f for f in doc["features"] if f["properties"]["IZ_CODE"] == "S02000135")
    ring = dunoon["geometry"]["coordinates"][0]
    a, b = len(ring) // 4, 3 * len(ring) // 4
    ring[a], ring[b] = ring[b], ring[a]  # two far corners swapped: the outline crosses itself
    assert not shape(dunoon["geometry"]).is_valid, shapely.is_valid_reason(shape(dunoon["geometry"]))
    zones = tmp_path / "bow_tie.geojson"
    zones.write_text(json.dumps(doc), encoding="utf-8")
    summary = _generate(tmp_path / "out", zones=zones)
    repaired = [n for n in summary.notes if "invalid polygon; it was repaired automatically" in n]
    assert len(repaired) == 1 and "S02000135" in repaired[0] and str(zones) in repaired[0]


# ----------------------------------------------------------------------------------------------------
# defect 6: projected zones without a crs member blame the zones file
# ----------------------------------------------------------------------------------------------------


def test_projected_zones_without_crs_are_the_zones_file_s_error(tmp_path):
    """Defect 6: British National Grid zones with no ``crs`` member were read as degrees, and the error
    blamed the demand points ("no demand point with a positive weight lies inside the zones")."""
    from pyproj import Transformer

    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

    def project(coordinates):
        if isinstance(coordinates[0], (int, float)):
            return list(to_bng.transform(*coordinates))
        return [project(c) for c in coordinates]

    doc = _zones_document()
    del doc["crs"]
    for feature in doc["features"]:
        feature["geometry"]["coordinates"] = project(feature["geometry"]["coordinates"])
    zones = tmp_path / "bng.geojson"
    zones.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        _generate(tmp_path / "out", zones=zones)
    (problem,) = err.value.problems
    assert problem.file == str(zones)
    assert "look projected" in problem.message and "'crs' member" in problem.fix


# ----------------------------------------------------------------------------------------------------
# defects 7 and 8: the demand points CSV
# ----------------------------------------------------------------------------------------------------


def test_a_negative_weight_shows_the_value_as_written(tmp_path):
    """Defect 7: the value was a NumPy repr, "(value: np.float64(-5.0))"."""
    oa = pd.read_csv(OUTPUT_AREAS, dtype=str, keep_default_na=False)
    oa.loc[1, WEIGHT] = "-5"  # spreadsheet row 3
    points = tmp_path / "oa.csv"
    oa.to_csv(points, index=False)
    with pytest.raises(InputError) as err:
        _generate(tmp_path / "out", points=points)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, WEIGHT)
    assert "(value: '-5')" in str(problem) and "np." not in str(err.value)


def test_a_semicolon_csv_with_a_bom_gets_validate_s_separator_hint(tmp_path, capsys):
    """Defect 8: a BOM + semicolon file (Excel in a comma-decimal locale) listed its columns as
    "oa2011;easting;northing;..." instead of saying it is separated by ';'."""
    points = tmp_path / "oa.csv"
    pd.read_csv(OUTPUT_AREAS, dtype=str).to_csv(points, index=False, sep=";", encoding="utf-8-sig")
    assert main(["generate", "--demand-points", str(points), "--weight-column", WEIGHT,
                 "--zones", str(INTERMEDIATE_ZONES), "--zone-id", "IZ_CODE", "--out",
                 str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.strip().startswith("ERROR")]
    assert len(problems) == 1 and str(points) in problems[0]
    assert "the file seems separated by ;" in problems[0] and "Traceback" not in err


def test_zones_in_a_table_without_polygons_are_one_clear_error(tmp_path):
    """validate's layer reader, now used by generate, expects a map layer: a CSV given as --zones crashed it
    (AttributeError: 'DataFrame' object has no attribute 'geometry')."""
    with pytest.raises(InputError) as err:
        _generate(tmp_path / "out", zones=OUTPUT_AREAS)
    (problem,) = err.value.problems
    assert problem.file == str(OUTPUT_AREAS) and "not a GeoJSON, GeoPackage or shapefile" in problem.message
