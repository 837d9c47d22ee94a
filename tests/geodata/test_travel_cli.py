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
