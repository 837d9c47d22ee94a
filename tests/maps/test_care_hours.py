"""Care hours on the maps are billable hours (care_hours_per_week), the figure providers.csv gives.

Regression (issue 13): the maps and provider view summed assessed ``weekly_hours``; P03's provider view
said 583.0 h zoned where providers.csv said 624.5 h. The fixture has double-up clients (2 carers).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from maps import coverage_map, provider_map
from maps.layers import care_hours, normalise_allocation
from tests.maps.helpers import layers

ROW = re.compile(r"\((P\d+)\)</td><td[^>]*>([\d,]+\.\d) h</td>")


def _expected(run_dir, variant: str) -> dict[str, float]:
    table = pd.read_csv(run_dir / "providers.csv", dtype={"provider_id": str})
    rows = table[(table["variant"] == variant) & (table["care_hours"] > 0)]
    return dict(zip(rows["provider_id"], rows["care_hours"].astype(float), strict=True))


@pytest.mark.parametrize("variant", ["current", "zoned"])
def test_coverage_map_hours_per_provider_are_providers_csv_care_hours(inputs, run_dir, variant):
    zones, providers, hubs, _clients, allocations = inputs
    assert (allocations[variant]["carers_per_visit"].astype(int) > 1).any()  # the fixture has double-ups
    m = coverage_map(zones, allocations[variant], providers, hubs)
    found: dict[str, float] = {}
    zones_layer = layers(m)["Providers per zone (fragmentation)"]
    for feature in zones_layer.data["features"]:
        for pid, hours in ROW.findall(feature["properties"]["tooltip"]):
            found[pid] = found.get(pid, 0.0) + float(hours.replace(",", ""))
    expected = _expected(run_dir, variant)
    assert set(found) == set(expected)
    for pid, hours in expected.items():  # each zone's figure is rounded to 0.1 h
        assert found[pid] == pytest.approx(hours, abs=0.05 * len(zones)), pid


@pytest.mark.parametrize("variant", ["current", "zoned"])
def test_provider_view_hours_are_providers_csv_care_hours(inputs, run_dir, variant):
    zones, providers, hubs, clients, allocations = inputs
    for pid, hours in _expected(run_dir, variant).items():
        m = provider_map(pid, zones, allocations[variant], providers, hubs, clients, variant=variant)
        zone_layer = next(layer for name, layer in layers(m).items() if name.startswith("Your care hours"))
        total = sum(f["properties"]["hours"] or 0.0 for f in zone_layer.data["features"])
        assert total == pytest.approx(hours, abs=0.01), pid


def test_care_hours_are_billable_with_or_without_the_column():
    table = pd.DataFrame({"client_id": ["a", "b", "c"], "provider_id": ["P1", "P1", ""],
                          "weekly_hours": ["2", "3", "4"], "carers_per_visit": ["2", "", "1"]})
    assert list(care_hours(table)) == [4.0, 3.0, 4.0]  # no carers given: one carer
    table["care_hours_per_week"] = ["5", "", "4"]
    assert list(care_hours(table)) == [5.0, 3.0, 4.0]  # the run's own figure wins where it is given
    assert list(normalise_allocation(table)["care_hours"]) == [5.0, 3.0, 4.0]


@pytest.mark.parametrize("value", [311.25, 6.25, 0.05, 1234.45, -2.25, 2.675, 0.0, 99.95])
def test_map_figures_round_as_the_report_rounds_them(value):
    # A tooltip read 311.2 h beside the report's 311.3 h: the maps rounded half to even from the binary
    # value, the report half up from the shortest decimal (as the workbook's reader does).
    from commissioning.report.model import fmt as report_fmt
    from maps.layers import fmt as map_fmt

    assert map_fmt(value, 1) == report_fmt(value, digits=1)
    assert map_fmt(value, 0) == report_fmt(value, digits=0)
