"""Travel hours on the travel maps are every carer's travel, the figure zones.csv and the workbook give.

Regression: the patch tooltip's travel hours were visits × minutes per visit, leaving out the second carer
of a double-up visit (carers_per_visit = 2): in the demo, Bute read 211.4 h a week on the map against
241.9 h in zones.csv and the workbook's Zones sheet. Checked on a real run (``commissioning run``) of the
small hand-written scenario, whose double-up clients travel in every variant.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from maps import travel_map
from maps.layers import normalise_allocation, travel_hours
from tests.maps.helpers import layers

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"
VARIANTS = ("current", "optimised", "zoned")
TRAVEL = re.compile(r"Carers' travel: ([\d,]+\.\d) hours per week")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    from commissioning.cli import main

    root = tmp_path_factory.mktemp("travel-hours")
    scenario = root / "scenario.toml"
    scenario.write_text(textwrap.dedent(f"""\
        name = "travel hours"
        data = "{VALID_SMALL}"
        [solver]
        workers = 1
        seed = 0
        [[variants]]
        name = "current"
        mode = "current"
        waiting = "greedy"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 1.0
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 1
        time_limit_s = 1.0
    """), encoding="utf-8")
    out = root / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--no-routing"]) == 0
    return out


def _read(run, variant: str):
    zones = gpd.read_file(run / "inputs" / "zones.geojson")
    read = lambda path: pd.read_csv(path, dtype=str, keep_default_na=False)  # noqa: E731
    return zones, read(run / variant / "allocation.csv"), read(run / "inputs" / "providers.csv"), \
        read(run / "inputs" / "hubs.csv")


def _map_hours(zones, allocation, providers, hubs) -> dict[str, float]:
    m = travel_map(zones, allocation, providers, hubs)
    found = {}
    for feature in layers(m)["Travel per visit by zone (minutes)"].data["features"]:
        (hours,) = TRAVEL.findall(feature["properties"]["tooltip"])
        found[feature["properties"]["zone_id"]] = float(hours.replace(",", ""))
    return found


def _zones_csv(run, variant: str) -> dict[str, float]:
    table = pd.read_csv(run / "zones.csv", dtype={"zone_id": str})
    rows = table[table["variant"] == variant]
    return dict(zip(rows["zone_id"], rows["travel_hours_per_week"].astype(float), strict=True))


@pytest.mark.parametrize("variant", VARIANTS)
def test_travel_map_hours_per_patch_are_zones_csv_travel_hours(real_run, variant):
    zones, allocation, providers, hubs = _read(real_run, variant)
    a = normalise_allocation(allocation)
    double = a["assigned"] & (a["carers_per_visit"] > 1) & (a["travel_minutes_per_visit"] > 0)
    assert double.any()  # a double-up client travels: the second carer's travel counts
    expected = _zones_csv(real_run, variant)
    found = _map_hours(zones, allocation, providers, hubs)
    assert set(found) == set(expected)
    for zone_id, hours in expected.items():  # the tooltip rounds to 0.1 h
        assert found[zone_id] == pytest.approx(hours, abs=0.05 + 1e-9), zone_id


@pytest.mark.parametrize("variant", VARIANTS)
def test_without_the_travel_hours_column_the_map_counts_every_carer(real_run, variant):
    # A table without travel_hours_per_week (an older run, a hand-made file): carers × visits × minutes.
    zones, allocation, providers, hubs = _read(real_run, variant)
    found = _map_hours(zones, allocation.drop(columns=["travel_hours_per_week"]), providers, hubs)
    for zone_id, hours in _zones_csv(real_run, variant).items():  # minutes per visit are kept to 0.01
        assert found[zone_id] == pytest.approx(hours, abs=0.1), zone_id


def test_travel_hours_of_a_row():
    table = pd.DataFrame({"visits_per_week": ["14", "7", "7", ""],
                          "travel_minutes_per_visit": ["10", "6", "", "5"],
                          "carers_per_visit": ["2", "", "1", "1"]})
    assert list(travel_hours(table)) == [14 * 10 * 2 / 60, 7 * 6 / 60, 0.0, 0.0]  # no carers given: one
    table["travel_hours_per_week"] = ["5", "", "", ""]
    assert list(travel_hours(table))[:2] == [5.0, 0.7]  # the run's own figure wins where it is given
