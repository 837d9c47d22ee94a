"""Clients, hubs and provider bases given by postcode (issue 13, part 10): geocoded from the postcode lookup
the user supplies, in the ONS Postcode Directory or the OS Code-Point Open layout.

The lookups are the small hand-made files of ``tests/fixtures/postcodes`` (see ``make_lookups.py`` there):
made-up postcodes in real Argyll and Bute districts, at real towns and villages.
"""

from __future__ import annotations

import io
import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from commissioning import cli
from commissioning.inputs.folder import check_dataset
from commissioning.inputs.tables import read_table
from geodata.geometry import haversine_km
from geodata.postcodes import PostcodeLookupError, look_up, postcode_key, postcode_text
from tests.commissioning.helpers import copy_valid, read_rows, write_rows

LOOKUPS = Path(__file__).resolve().parents[1] / "fixtures" / "postcodes"
ONSPD, CODEPOINT = LOOKUPS / "onspd.csv", LOOKUPS / "codepoint.csv"

# valid_small's clients by postcode: a fixture postcode near each client's point, in the client's zone
CLIENT_POSTCODES = (
    "PA34 4XA",
    "pa345qz",
    "PA344XA",
    " pa75 6xj ",
    "PA65 6XL",
    "PA65 6XL",
    "PA37 1XZ",
    "PA35 1XA",
)


def fixture_postcodes() -> pd.DataFrame:
    """The ONSPD fixture's postcodes: pcds, lon, lat, doterm."""
    frame = pd.read_csv(ONSPD, dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "postcode": frame["pcds"],
            "lon": frame["long"].astype(float),
            "lat": frame["lat"].astype(float),
            "doterm": frame["doterm"],
        }
    )


def by_postcode(folder: Path, lookup: Path = ONSPD, postcodes=CLIENT_POSTCODES) -> Path:
    """valid_small's clients.csv with a postcode column instead of lon and lat, the lookup named in
    dataset.json."""
    rows = read_rows(folder / "clients.csv")
    lon, lat = rows[0].index("lon"), rows[0].index("lat")
    keep = [k for k in range(len(rows[0])) if k not in (lon, lat)]
    out = [[r[k] for k in keep] + [pc] for r, pc in zip(rows, ("postcode", *postcodes), strict=True)]
    write_rows(folder / "clients.csv", out)
    dataset = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    dataset["postcode_lookup"] = str(lookup)
    (folder / "dataset.json").write_text(json.dumps(dataset), encoding="utf-8")
    return folder


def set_postcode(folder: Path, row: int, value: str) -> None:
    rows = read_rows(folder / "clients.csv")
    rows[row - 1][rows[0].index("postcode")] = value
    write_rows(folder / "clients.csv", rows)


def errors(check) -> list:
    return [p for p in check.problems if p.severity == "error"]


# ----------------------------------------------------------------------------------------------------
# The lookup files
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["PA34 4AB", "pa344ab", " Pa34  4ab ", "PA34\t4AB"])
def test_postcodes_are_normalised(typed):
    assert postcode_key(typed) == "PA344AB"
    assert postcode_text(postcode_key(typed)) == "PA34 4AB"
    assert postcode_text(postcode_key("g847xw")) == "G84 7XW"


@pytest.mark.parametrize("typed", ["", "PA34", "PA34 4A", "12345", "PA34 4ABC", "Oban"])
def test_text_that_is_not_a_postcode_has_no_key(typed):
    assert postcode_key(typed) is None


def test_both_layouts_place_every_live_postcode_alike_and_only_onspd_knows_terminated_ones():
    known = fixture_postcodes()
    keys = [postcode_key(p) for p in known["postcode"]]
    onspd, codepoint = look_up(ONSPD, keys), look_up(CODEPOINT, keys)
    for key, row in zip(keys, known.itertuples(), strict=True):
        entry = onspd[key]
        assert (entry.lon, entry.lat) == (row.lon, row.lat)
        assert entry.terminated == (row.doterm or None)
        if row.doterm:
            assert key not in codepoint  # Code-Point Open lists live postcodes only
        else:  # eastings and northings to the metre, back to WGS84
            assert haversine_km(codepoint[key].lon, codepoint[key].lat, row.lon, row.lat) < 0.002
    assert len(known) >= 20


def test_a_folder_of_lookup_files_is_read_whole(tmp_path):
    lines = CODEPOINT.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "pa.csv").write_text("".join(line for line in lines if line.startswith('"PA')))
    (tmp_path / "g.csv").write_text("".join(line for line in lines if line.startswith('"G')))
    found = look_up(tmp_path, ["PA344XA", "G847XW", "PA999ZZ"])
    assert set(found) == {"PA344XA", "G847XW"}


@pytest.mark.parametrize(
    "header",
    [
        "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC",
        "Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,NHS_regional_HA_code,"
        "NHS_HA_code,Admin_county_code,Admin_district_code,Admin_ward_code",
    ],
)
def test_code_point_open_with_a_header_line_is_read_too(tmp_path, header):
    path = tmp_path / "pa.csv"
    path.write_text(header + "\n" + CODEPOINT.read_text(encoding="utf-8"), encoding="utf-8")
    assert look_up(path, ["PA344XA"]) == look_up(CODEPOINT, ["PA344XA"])


def test_a_file_of_another_layout_is_one_clear_error(tmp_path):
    path = tmp_path / "addresses.csv"
    path.write_text("name,street,town\nA,High St,Oban\n", encoding="utf-8")
    with pytest.raises(PostcodeLookupError, match="neither an ONS Postcode Directory header"):
        look_up(path, ["PA344XA"])


# ----------------------------------------------------------------------------------------------------
# Reading a dataset folder
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lookup", [ONSPD, CODEPOINT], ids=["onspd", "codepoint"])
def test_clients_by_postcode_take_the_postcode_centre(tmp_path, lookup):
    folder = by_postcode(copy_valid(tmp_path), lookup)
    check = check_dataset(folder)
    assert check.ok, [str(p) for p in check.problems]
    known = fixture_postcodes().set_index("postcode")
    for client, typed in zip(check.data.clients, CLIENT_POSTCODES, strict=True):
        place = known.loc[postcode_text(postcode_key(typed))]
        assert haversine_km(client.lon, client.lat, place.lon, place.lat) < 0.002
        assert not hasattr(client, "postcode")


def test_validate_names_the_row_and_postcode_of_unknown_terminated_and_wrong_postcodes(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(cli, "COMMANDS", ["validate"])
    folder = by_postcode(copy_valid(tmp_path))
    set_postcode(folder, 3, "PA99 9ZZ")
    set_postcode(folder, 5, "pa34 4zt")
    set_postcode(folder, 6, "PA65")
    assert cli.main(["validate", str(folder)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(
        "ERROR: clients.csv, row 3, column 'postcode': postcode 'PA99 9ZZ' is unknown: it is not in the "
        "postcode lookup"
    )
    assert lines[1].startswith(
        "ERROR: clients.csv, row 5, column 'postcode': postcode 'pa34 4zt' was terminated in 2019-03"
    )
    assert lines[2].startswith("ERROR: clients.csv, row 6, column 'postcode': postcode 'PA65' is not a UK")
    assert all("Fix: " in line and "or enter lon and lat instead" in line for line in lines[:3])
    assert lines[3].startswith("3 errors")


def test_a_terminated_postcode_is_unknown_to_code_point_open(tmp_path):
    folder = by_postcode(copy_valid(tmp_path), CODEPOINT)
    set_postcode(folder, 5, "PA34 4ZT")
    (problem,) = errors(check_dataset(folder))
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "clients.csv",
        5,
        "postcode",
        "PA34 4ZT",
    )
    assert "is unknown" in problem.message


def test_postcodes_without_a_lookup_are_one_error(tmp_path):
    folder = by_postcode(copy_valid(tmp_path))
    dataset = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    del dataset["postcode_lookup"]
    (folder / "dataset.json").write_text(json.dumps(dataset), encoding="utf-8")
    (problem,) = errors(check_dataset(folder))
    assert (problem.file, problem.row, problem.column) == ("clients.csv", None, "postcode")
    assert "names no postcode lookup" in problem.message and "postcodes.csv" in problem.fix
    # the convention: postcodes.csv in the data folder
    shutil.copy(CODEPOINT, folder / "postcodes.csv")
    assert check_dataset(folder).ok


def test_a_relative_lookup_path_starts_at_the_data_folder(tmp_path):
    folder = by_postcode(copy_valid(tmp_path))
    (folder / "lookups").mkdir()
    shutil.copy(ONSPD, folder / "lookups" / "ONSPD_FEB_2026_UK.csv")
    dataset = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    dataset["postcode_lookup"] = "lookups/ONSPD_FEB_2026_UK.csv"
    (folder / "dataset.json").write_text(json.dumps(dataset), encoding="utf-8")
    assert check_dataset(folder).ok
    dataset["postcode_lookup"] = "lookups/missing.csv"
    (folder / "dataset.json").write_text(json.dumps(dataset), encoding="utf-8")
    (problem,) = errors(check_dataset(folder))
    assert problem.value.endswith("missing.csv") and "does not exist" in problem.message


def test_coordinates_win_over_a_postcode_and_a_far_postcode_is_a_warning_without_the_postcode(tmp_path):
    folder = copy_valid(tmp_path)
    rows = read_rows(folder / "clients.csv")
    # C001 is 0.7 km from PA34 4XA (agrees), C004 on Mull is 60 km from Oban's PA34 5QZ (disagrees)
    postcodes = ["PA34 4XA", "", "", "PA34 5QZ", "", "", "", ""]
    write_rows(
        folder / "clients.csv",
        [rows[0] + ["postcode"]] + [r + [p] for r, p in zip(rows[1:], postcodes, strict=True)],
    )
    shutil.copy(ONSPD, folder / "postcodes.csv")
    check = check_dataset(folder)
    assert check.ok
    assert (check.data.clients[3].lon, check.data.clients[3].lat) == (-6.068, 56.6185)
    (warning,) = [p for p in check.problems if p.column == "postcode"]
    assert (warning.severity, warning.row, warning.value) == ("warning", 5, None)
    assert "the coordinates are used" in warning.message and "PA34" not in str(warning)


def test_a_row_with_neither_coordinates_nor_postcode_is_one_error(tmp_path):
    folder = by_postcode(copy_valid(tmp_path))
    set_postcode(folder, 4, "")
    (problem,) = errors(check_dataset(folder))
    assert (problem.row, problem.column) == (4, "lon, lat, postcode")
    assert "no location" in problem.message


def test_hubs_and_provider_bases_by_postcode(tmp_path):
    folder = copy_valid(tmp_path)
    for name, lon, lat, column, postcodes in (
        ("hubs.csv", "lon", "lat", "postcode", ["PA34 4XA", "", "PA35 1XA", "PA65 6XL"]),
        ("providers.csv", "base_lon", "base_lat", "base_postcode", ["PA34 4XA", "PA65 6XL", "PA37 1XZ"]),
    ):
        rows = read_rows(folder / name)
        k_lon, k_lat = rows[0].index(lon), rows[0].index(lat)
        for r, pc in zip(rows[1:], postcodes, strict=True):
            if pc:
                r[k_lon] = r[k_lat] = ""
        write_rows(
            folder / name, [rows[0] + [column]] + [r + [p] for r, p in zip(rows[1:], postcodes, strict=True)]
        )
    shutil.copy(CODEPOINT, folder / "postcodes.csv")
    check = check_dataset(folder)
    assert check.ok, [str(p) for p in check.problems]
    hubs = {h.hub_id: h for h in check.data.hubs}
    assert haversine_km(hubs["H03"].lon, hubs["H03"].lat, -5.239, 56.431) < 0.002
    assert (hubs["H02"].lon, hubs["H02"].lat) == (-5.944, 56.515)
    assert (
        haversine_km(check.data.providers[2].base_lon, check.data.providers[2].base_lat, -5.385, 56.452)
        < 0.002
    )
    frame, _ = read_table(folder, "providers")  # what `run` copies into OUT/inputs
    assert frame["base_lon"].str.len().min() > 0


# ----------------------------------------------------------------------------------------------------
# End to end
# ----------------------------------------------------------------------------------------------------


def _postcode_dataset(data: Path) -> dict[str, str]:
    """A tiny generated Argyll and Bute dataset whose clients.csv gives postcodes instead of coordinates:
    each client takes the nearest live fixture postcode, and the zone that postcode lies in. Returns
    {client_id: postcode}."""
    from commissioning.synthetic.generate import generate_scenario

    generate_scenario(data, n_clients=40, seed=5, force=True)
    clients = pd.read_csv(data / "clients.csv", dtype=str, keep_default_na=False)
    live = fixture_postcodes().query("doterm == ''").reset_index(drop=True)
    zones = gpd.read_file(data / "zones.geojson")
    km = haversine_km(
        clients["lon"].astype(float).to_numpy()[:, None],
        clients["lat"].astype(float).to_numpy()[:, None],
        live["lon"].to_numpy()[None, :],
        live["lat"].to_numpy()[None, :],
    )
    nearest = live.iloc[np.argmin(km, axis=1)].reset_index(drop=True)
    points = shapely.points(nearest["lon"], nearest["lat"])
    zone_of = [zones["zone_id"][int(np.argmin(shapely.distance(zones.geometry.values, p)))] for p in points]
    typed = [pc.lower().replace(" ", "") if i % 2 else pc for i, pc in enumerate(nearest["postcode"])]
    # Moved to a town, a client pinned to a far provider could make the allocation infeasible: none is.
    clients = clients.drop(columns=["lon", "lat"]).assign(zone=zone_of, postcode=typed, pinned="no")
    clients.to_csv(data / "clients.csv", index=False)
    dataset = json.loads((data / "dataset.json").read_text(encoding="utf-8"))
    (data / "dataset.json").write_text(
        json.dumps({**dataset, "postcode_lookup": str(ONSPD)}), encoding="utf-8"
    )
    return dict(zip(clients["client_id"], nearest["postcode"], strict=True))


def _texts(out: Path):
    """(relative path, text) of every output file; a workbook's parts one by one."""
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield f"{path.relative_to(out)}:{member}", archive.read(member).decode("utf-8", "replace")
        else:
            yield str(path.relative_to(out)), data.decode("utf-8", "replace")


def test_a_postcode_scenario_runs_end_to_end_and_keeps_postcodes_in_its_inputs_only(tmp_path):
    data = tmp_path / "data"
    postcodes = _postcode_dataset(data)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        textwrap.dedent(f"""\
        name = "postcodes"
        data = "{data}"
        [routing]
        enabled = false
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 2.0
        """),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert cli.main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    allocation = pd.read_csv(out / "optimised" / "allocation.csv", dtype=str)
    assert sorted(allocation["client_id"]) == sorted(postcodes)
    # The inputs copy holds the coordinates the run used, so maps and a re-run need no lookup.
    inputs = pd.read_csv(out / "inputs" / "clients.csv", dtype=str, keep_default_na=False)
    known = fixture_postcodes().set_index("postcode")
    for row in inputs.itertuples():
        place = known.loc[postcodes[row.client_id]]
        assert haversine_km(float(row.lon), float(row.lat), place.lon, place.lat) < 0.002
    # Postcodes are personal data: nowhere in the outputs but the inputs copy.
    forms = {f for pc in postcodes.values() for f in (pc, pc.replace(" ", ""), pc.lower().replace(" ", ""))}
    leaks = [(name, f) for name, text in _texts(out) for f in forms if f in text]
    assert {name for name, _ in leaks} <= {"inputs/clients.csv"}, leaks[:5]
    # nor in any provider's own view (it reads inputs/clients.csv, postcode column and all)
    from commissioning.report.run_maps import write_provider_map

    views = tmp_path / "views"
    providers = pd.read_csv(out / "inputs" / "providers.csv", dtype=str)["provider_id"]
    for provider_id in providers:
        write_provider_map(out, provider_id, views / f"{provider_id}.html")
    leaks = [(name, f) for name, text in _texts(views) for f in forms if f in text]
    assert not leaks and len(list(views.iterdir())) == len(providers)
