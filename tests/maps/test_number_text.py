"""Numbers in the maps' text read as the report writes them.

Regressions: the provider view read "−30.0 h, -79.5 %" (two different minus signs, a space before "%"),
and a patch's "+149.4 %" beside the report's "+42.1%" for the provider's whole change, with nothing to
tell the two percentages apart (the patch's is of the provider's hours in that patch today).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from commissioning.report.model import fmt as report_fmt
from maps import comparison_map, coverage_map, provider_map, travel_map
from maps.layers import percent, signed
from maps.render import HUB_USE_COLOURS, _hub_load_tip
from tests.maps.helpers import controls, layers, map_texts

ZONE_LAYER = "Your care hours per zone (hours per week)"
HYPHEN_MINUS = re.compile(r"(?<![\w.#-])-\d")  # "-79.5" (not "P-1", "#c-2" or a range's "3-4")
SPACED_PERCENT = re.compile(r"\d %")


def _hours(allocation: pd.DataFrame, pid: str) -> float:
    a = allocation[(allocation["status"] == "assigned") & (allocation["provider_id"] == pid)]
    return float(a["care_hours_per_week"].astype(float).sum())


@pytest.mark.parametrize("value", [-79.46, -0.04, 0.04, 42.05, 149.35, 0.0, -1234.45])
def test_changes_and_percentages_are_written_as_the_report_writes_them(value):
    assert signed(value) == report_fmt(value, signed=True, digits=1)
    assert percent(value, sign=True) == report_fmt(value, "%", signed=True, digits=1)
    assert percent(value) == report_fmt(value, "%", digits=1)


def _zoned_view(inputs, pid: str):
    """Provider ``pid``'s view of the zoned variant against today's allocation."""
    zones, providers, hubs, clients, allocations = inputs
    return provider_map(pid, zones, allocations["zoned"], providers, hubs, clients,
                        baseline=allocations["current"], variant="zoned")


def test_provider_views_use_the_typographic_minus_and_the_report_s_percent(inputs):
    _, providers, _, _, allocations = inputs
    falls = 0
    for pid in providers["provider_id"]:
        m = _zoned_view(inputs, pid)
        texts = map_texts(m)
        for text in texts:
            assert not HYPHEN_MINUS.search(text), (pid, text)
            assert not SPACED_PERCENT.search(text), (pid, text)
        falls += sum(text.count("−") for text in texts)
        now, then = _hours(allocations["zoned"], pid), _hours(allocations["current"], pid)
        if then > 0:  # the provider's whole change reads as the report's "+351.8 h (+42.1%)"
            whole = (f"vs current, all your patches: {report_fmt(now - then, signed=True, digits=1)} h "
                     f"({report_fmt((now - then) / then * 100, '%', signed=True, digits=1)})")
            title = next(c.html for c in controls(m) if "cc-title" in c.html)
            assert whole in title, (pid, title)
    assert falls > 0  # positive control: some provider loses hours somewhere


def test_a_patch_s_percentage_says_what_it_is_a_percentage_of(inputs):
    _, providers, _, _, allocations = inputs
    seen = 0
    for pid in providers["provider_id"]:
        m = _zoned_view(inputs, pid)
        for feature in layers(m)[ZONE_LAYER].data["features"]:
            p = feature["properties"]
            if not p["hours"] or not p["hours_before"]:
                continue
            diff, before = p["hours"] - p["hours_before"], p["hours_before"]
            pct = report_fmt(diff / before * 100, "%", signed=True, digits=1)
            expected = (f"Change in this patch vs current: {report_fmt(diff, signed=True, digits=1)} h, "
                        f"{pct} of your {report_fmt(before, digits=1)} h here")
            assert expected in p["tooltip"], (pid, p["tooltip"])
            seen += 1
    assert seen > 0


def test_the_commissioners_maps_have_no_hyphen_minus_nor_spaced_percent(inputs):
    zones, providers, hubs, clients, allocations = inputs
    maps = [coverage_map(zones, allocations["zoned"], providers, hubs),
            travel_map(zones, allocations["zoned"], providers, hubs, clients=clients)]
    dual = comparison_map("current", allocations["current"], "zoned", allocations["zoned"], zones, providers,
                          hubs, clients=clients)
    for m in [*maps, dual.m1, dual.m2]:
        for text in map_texts(m):
            assert not HYPHEN_MINUS.search(text), text
            assert not SPACED_PERCENT.search(text), text


def test_hub_load_reads_percent_as_the_report():
    row = pd.Series({"hub_id": "H1", "owner": "P01", "zone": "oban", "carers": 10, "drivers": 8,
                     "staff_hours_used": 300.0, "staff_hours_available": 350.0, "use_pct": 85.7})
    assert "(85.7%)" not in _hub_load_tip(row) and "(86%)" in _hub_load_tip(row)
    for _colour, label in HUB_USE_COLOURS:
        assert not SPACED_PERCENT.search(label), label
