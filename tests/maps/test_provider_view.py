"""Provider views (issue 13): gains and losses against today in care hours, clients and patches; the
variant and run date named; the recommended variant by default; small counts suppressed.

Every provider of a demo-sized run (1,000 clients) is checked: no square under the threshold, no client
count under it shown as a number, nothing that depends on another provider's clients.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from commissioning.report.run_maps import default_variant, write_provider_map
from maps import provider_map
from maps.errors import MapError
from maps.layers import fmt
from maps.privacy import count_text
from tests.maps.helpers import controls, layers, map_texts

ZONE_LAYER = "Your care hours per zone (hours per week)"
PATCHES = "Patches you gain or lose (vs current)"
GRID = "Your clients (1 km squares)"
COUNT = re.compile(r"(\d[\d,]*) (?:clients?|of yours)")


def _own(allocation: pd.DataFrame, pid: str) -> pd.DataFrame:
    a = allocation[(allocation["status"] == "assigned") & (allocation["provider_id"] == pid)].copy()
    a["h"] = a["care_hours_per_week"].astype(float)
    return a


def _view(inputs, pid, variant="zoned", **kwargs):
    zones, providers, hubs, clients, allocations = inputs
    baseline = allocations["current"] if variant != "current" else None
    return provider_map(pid, zones, allocations[variant], providers, hubs, clients, baseline=baseline,
                        variant=variant, **kwargs)


def _shown(m) -> dict:
    """What the page shows, without folium's random element names: layer data and legend texts."""
    return {"layers": {n: getattr(layer, "data", None) for n, layer in layers(m).items()},
            "controls": [c.html for c in controls(m)]}


def test_every_provider_view_suppresses_small_counts(demo_inputs):
    providers = demo_inputs[1]
    squares_seen = 0
    for pid in providers["provider_id"]:
        for variant in ("current", "zoned"):
            m = _view(demo_inputs, pid, variant)
            grid = layers(m).get(GRID)
            for feature in grid.data["features"] if grid is not None else []:
                assert feature["properties"]["count"] >= 3, (pid, variant)
                squares_seen += 1
            for feature in layers(m)[ZONE_LAYER].data["features"]:
                for key in ("clients", "gained", "lost"):
                    value = feature["properties"][key]
                    assert value is None or value == 0 or value >= 3, (pid, variant, key, value)
            for text in map_texts(m):
                for number in COUNT.findall(text):
                    assert int(number.replace(",", "")) >= 3, (pid, variant, text)
    assert squares_seen > 20  # positive control: squares of 3 or more are drawn


def test_no_provider_view_depends_on_other_providers_clients(demo_inputs):
    zones, providers, hubs, clients, allocations = demo_inputs
    rng = np.random.default_rng(7)
    for pid in providers["provider_id"]:
        changed = {}
        for variant, table in allocations.items():  # reshuffle everyone else's clients among themselves
            t = table.copy()
            others = (t["provider_id"] != pid) & (t["status"] == "assigned")
            ids = t.loc[others, "provider_id"].to_numpy()
            t.loc[others, "provider_id"] = rng.permutation(ids)
            changed[variant] = t
        before = _view(demo_inputs, pid)
        after = _view((zones, providers, hubs, clients, changed), pid)
        assert _shown(before) == _shown(after), pid


def test_every_provider_view_shows_gains_and_losses_against_today(demo_inputs):
    zones, providers, _hubs, _clients, allocations = demo_inputs
    losers = 0
    for pid in providers["provider_id"]:
        now, then = _own(allocations["zoned"], pid), _own(allocations["current"], pid)
        m = _view(demo_inputs, pid)
        props = {f["properties"]["zone_id"]: f["properties"] for f in layers(m)[ZONE_LAYER].data["features"]}
        lost_zones = set(then["zone"]) - set(now["zone"])
        gained_zones = set(now["zone"]) - set(then["zone"])
        patches = layers(m).get(PATCHES)
        features = patches.data["features"] if patches else []
        drawn = {f["properties"]["zone_id"]: f["properties"] for f in features}
        assert {z for z, p in drawn.items() if p["status"] == "lost"} == lost_zones, pid
        assert {z for z, p in drawn.items() if p["status"] == "gained"} == gained_zones, pid
        for zone in lost_zones:
            hours = then.loc[then["zone"] == zone, "h"].sum()
            assert drawn[zone]["lost_hours"] == pytest.approx(hours, abs=1e-3)
            tip = props[zone]["tooltip"]
            assert "You lose this patch" in tip and "No clients of yours" not in tip
            assert f"{fmt(hours)} care hours per week" in tip
            assert count_text(int((then["zone"] == zone).sum())) in tip
        losers += bool(lost_zones)
        title = next(c.html for c in controls(m) if "cc-title" in c.html)
        lost_h = then.loc[~then["client_id"].isin(now["client_id"]), "h"].sum()
        gained_h = now.loc[~now["client_id"].isin(then["client_id"]), "h"].sum()
        assert f"losses {fmt(lost_h)} h" in title and f"gains {fmt(gained_h)} h" in title, pid
        assert f"patches gained {len(gained_zones)}, lost {len(lost_zones)}" in title, pid
        assert f"{fmt(now['h'].sum())} care hours per week" in title
    assert losers >= 3  # zoning takes patches away from several providers


def test_title_names_variant_and_run_date_and_default_is_recommended(demo_run_dir, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(demo_run_dir, out, ignore=shutil.ignore_patterns("maps"))
    # a third variant, cheapest by the run's rule: the provider view opens on it, not on "zoned"
    shutil.copytree(out / "current", out / "optimised")
    kpis = json.loads((out / "kpis.json").read_text())
    kpis["variants"] = ["current", "optimised", "zoned"]
    (out / "kpis.json").write_text(json.dumps(kpis))
    rows = pd.read_csv(out / "kpis.csv", dtype=str, keep_default_na=False)
    rows["optimised"] = ["1", "0", "FEASIBLE"]
    rows.to_csv(out / "kpis.csv", index=False)
    assert default_variant(kpis["variants"], out) == "optimised"
    page = write_provider_map(out, "P03", tmp_path / "p03.html").read_text(encoding="utf-8")
    assert "variant optimised (recommended), run of 2026-03-14" in page
    page = write_provider_map(out, "P03", tmp_path / "p03z.html", variant="zoned").read_text(encoding="utf-8")
    assert "variant zoned, run of 2026-03-14" in page and "Patches you gain or lose" in page
    (out / "kpis.csv").unlink()  # no kpis.csv: zoned, as before
    assert default_variant(kpis["variants"], out) == "zoned"


def test_min_count_is_a_parameter(demo_inputs):
    m1 = _view(demo_inputs, "P02", "zoned", min_count=1)
    m5 = _view(demo_inputs, "P02", "zoned", min_count=5)
    counts = lambda m: [f["properties"]["count"] for f in layers(m)[GRID].data["features"]]  # noqa: E731
    assert min(counts(m1)) < 3 and min(counts(m5)) >= 5
    with pytest.raises(MapError, match="min_count"):
        _view(demo_inputs, "P02", "zoned", min_count=0)


def test_a_provider_s_file_never_shows_counts_under_three(demo_run_dir, tmp_path, capsys):
    """Regression: ``commissioning map --provider P03 --min-count 1`` drew squares of one client ("1 client of
    yours") in the file that goes to the provider; the threshold may be raised, not lowered."""
    from commissioning.cli import main

    out = tmp_path / "p03.html"
    code = main(["map", str(demo_run_dir), "--provider", "P03", "--out", str(out), "--min-count", "1"])
    assert code != 0 and not out.exists()
    err = capsys.readouterr().err
    assert "min_count 1: a provider's view hides 1 km squares of fewer than 3 clients" in err
    assert "Fix: --min-count 3 or more" in err and "Traceback" not in err
    assert main(["map", str(demo_run_dir), "--provider", "P03", "--out", str(out), "--min-count", "5"]) == 0
