"""Shared fixtures: one run output folder (200 clients, hostile names) and the maps written from it."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from tests.maps.run_fixture import build_run_output


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """A run output folder with a provider named ``<script>alert(1)</script>`` and a zone named
    ``<img src=x onerror=alert(2)>``; its maps are written into ``OUT/maps`` by :func:`run_maps`."""
    root = tmp_path_factory.mktemp("maps-run")
    return build_run_output(root / "out", n_clients=200, seed=2, hostile=True)


@pytest.fixture(scope="session")
def run_maps(run_dir) -> list[Path]:
    from commissioning.report.run_maps import write_run_maps

    return write_run_maps(run_dir)


@pytest.fixture(scope="session")
def inputs(run_dir):
    """(zones, providers, hubs, clients, {variant: allocation}) read from the run folder."""
    folder = run_dir / "inputs"
    zones = gpd.read_file(folder / "zones.geojson")
    read = lambda name: pd.read_csv(folder / name, dtype=str, keep_default_na=False)  # noqa: E731
    variants = json.loads((run_dir / "kpis.json").read_text())["variants"]
    allocations = {
        v: pd.read_csv(run_dir / v / "allocation.csv", dtype=str, keep_default_na=False) for v in variants
    }
    return zones, read("providers.csv"), read("hubs.csv"), read("clients.csv"), allocations


@pytest.fixture(scope="session")
def region():
    from geodata.region import load_region

    return load_region("argyll-bute")


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory) -> Path:
    """A demo-sized run output folder (1,000 clients, the demo's seed): current and zoned variants."""
    root = tmp_path_factory.mktemp("maps-demo-run")
    return build_run_output(root / "out", n_clients=1000, seed=1)


@pytest.fixture(scope="session")
def demo_inputs(demo_run_dir):
    """(zones, providers, hubs, clients, {variant: allocation}) of :func:`demo_run_dir`."""
    folder = demo_run_dir / "inputs"
    zones = gpd.read_file(folder / "zones.geojson")
    read = lambda name: pd.read_csv(folder / name, dtype=str, keep_default_na=False)  # noqa: E731
    variants = json.loads((demo_run_dir / "kpis.json").read_text())["variants"]
    allocations = {
        v: pd.read_csv(demo_run_dir / v / "allocation.csv", dtype=str, keep_default_na=False)
        for v in variants
    }
    return zones, read("providers.csv"), read("hubs.csv"), read("clients.csv"), allocations
