"""``commissioning travel FROM TO [--at HH:MM] [--json]`` on the embedded Argyll and Bute data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commissioning.cli import main

DATA = Path(__file__).resolve().parents[2] / "geodata" / "data" / "argyll_bute"

pytestmark = pytest.mark.skipif(
    not (DATA / "places.csv").exists(), reason=f"embedded region data not written yet: {DATA}/places.csv"
)


def test_json_output_has_the_journey_keys(capsys):
    status = main(["travel", "Oban", "Tobermory", "--json"])
    out = capsys.readouterr().out
    assert status == 0
    journey = json.loads(out)
    assert set(journey) == {"minutes", "legs", "status", "notes", "approximate"}
    assert journey["status"] == "ok" and journey["approximate"] is False
    assert journey["minutes"] > 0
    for leg in journey["legs"]:
        assert set(leg) == {"mode", "from", "to", "minutes", "km"}
    assert any(leg["mode"] == "ferry" and {leg["from"], leg["to"]} == {"Oban", "Craignure"}
               for leg in journey["legs"])


def test_text_output_is_a_leg_table(capsys):
    status = main(["travel", "oban", "craignure", "--at", "03:00"])
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    assert "waits_for_first_sailing" in lines[0]
    header = next(line for line in lines if line.startswith("mode"))
    assert header.split()[:5] == ["mode", "from", "to", "minutes", "km"]
    assert any(line.startswith("ferry") for line in lines)
    assert any(line.startswith("note: waits") and "first Oban–Craignure sailing" in line for line in lines)


def test_lat_lon_input(capsys):
    status = main(["travel", "56.42,-5.46", "Connel", "--json"])
    journey = json.loads(capsys.readouterr().out)
    assert status == 0 and journey["legs"][0]["mode"] == "access"


def test_unknown_place_exits_1_with_nearest_names(capsys):
    status = main(["travel", "Obn", "Tobermory"])
    err = capsys.readouterr().err
    assert status == 1
    assert "unknown place 'Obn'" in err and "Oban" in err


def test_unreachable_exits_3_with_the_reason(capsys):
    status = main(["travel", "Oban", "Tobermory", "--at", "23:30"])
    out = capsys.readouterr().out
    assert status == 3
    assert "unreachable" in out and "ferry is not sailing" in out and "last sailing" in out


def test_bad_clock_time_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["travel", "Oban", "Tobermory", "--at", "25:00"])
    assert caught.value.code == 2
    assert "out of range" in capsys.readouterr().err


def test_ferry_never_sails_after_its_last_sailing(capsys):
    status = main(["travel", "Oban", "Scalasaig", "--at", "17:00"])  # was "620 min, arriving 03:20 (ok)"
    out = capsys.readouterr().out
    assert status == 0
    assert "170 min, arriving 19:50 (ok)" in out.splitlines()[0]
    assert "note: catches the last Oban–Scalasaig sailing at 17:30" in out


def test_arriving_after_midnight_exits_3(capsys):
    status = main(["travel", "Oban", "Campbeltown", "--at", "23:00"])
    out = capsys.readouterr().out
    assert status == 3
    assert "no journey (unreachable)" in out and "arrives after midnight" in out


def test_bute_to_colintraive_needs_the_ferry(capsys):
    # ~300 m across the Kyles of Bute: once the ferry has stopped there is no journey
    status = main(["travel", "55.918,-5.161", "55.9262,-5.1545", "--at", "22:00"])
    out = capsys.readouterr().out
    assert status == 3 and "Colintraive–Rhubodach ferry is not sailing" in out
    status = main(["travel", "56.264,-5.632", "56.270,-5.627", "--json"])  # Luing → Seil
    journey = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [leg["mode"] for leg in journey["legs"]] == ["access", "wait", "ferry", "access"]


@pytest.mark.parametrize("point", ["56.0,-6.6", "55.955,-5.385"])
def test_point_in_the_sea_exits_1(capsys, point):
    status = main(["travel", point, "Oban"])
    err = capsys.readouterr().err
    assert status == 1
    assert f"'{point}'" in err and "in the sea" in err and "from the nearest land" in err


def test_far_access_leg_is_noted(capsys):
    status = main(["travel", "56.40,-6.18", "Craignure"])
    out = capsys.readouterr().out
    assert status == 0
    assert "far from the road network" in out and "note: the travel time is approximate" in out


@pytest.mark.parametrize("argv", [["-5.5,56.4", "Oban"], ["Oban", "-5.5,56.4"], ["--", "-5.5,56.4", "Oban"]])
def test_negative_coordinates_are_not_options(capsys, argv):
    status = main(["travel", *argv])  # was an argparse usage error (exit 2: "arguments are required")
    err = capsys.readouterr().err
    assert status == 1
    assert "'-5.5,56.4'" in err and "did you write lon,lat?" in err


def test_negative_longitude_first_is_read(capsys):
    status = main(["travel", "--at", "10:00", "56.42,-5.46", "Connel", "--json"])
    assert status == 0 and json.loads(capsys.readouterr().out)["status"] == "ok"
