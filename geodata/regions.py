"""The catalogue of embedded regions and the reader of their packaged tables.

Both :mod:`geodata.region` (zones, land) and :mod:`geodata.network` (roads, ferries) need the list of
regions and their CSV files; keeping them here lets each import the catalogue without importing the other.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from geodata.errors import RegionError

ARGYLL_BUTE_BBOX = (-7.4, 55.2, -4.3, 56.85)  # (min_lon, min_lat, max_lon, max_lat) WGS84
# region key -> (folder under geodata/data, bounding box, title)
REGIONS = {"argyll-bute": ("argyll_bute", ARGYLL_BUTE_BBOX, "Argyll and Bute")}


def check_region(name: str) -> tuple[str, tuple[float, float, float, float], str]:
    """``(folder, bbox, title)`` of an embedded region; :class:`RegionError` naming the known ones if not."""
    if name not in REGIONS:
        raise RegionError(f"unknown region {name!r}; embedded regions: {', '.join(sorted(REGIONS))}")
    return REGIONS[name]


def read_region_table(folder: str, name: str) -> pd.DataFrame:
    """One of the embedded CSVs (``places``, ``patches``, ``roads``, ``ferries``) as a DataFrame."""
    source = resources.files("geodata") / "data" / folder / f"{name}.csv"
    if not source.is_file():
        raise RegionError(f"embedded region file missing: geodata/data/{folder}/{name}.csv")
    with source.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values={"population": [""]})
