"""Read a run output folder (see the README's *Output folder*): ``OUT/inputs``, ``OUT/kpis.json`` and
``OUT/<variant>/allocation.csv``, as the maps need them (:func:`load_run`).

A folder that is damaged, edited by hand or half copied gives one clear error naming the file.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from commissioning.errors import CareCommissioningError
from commissioning.results.spreadsheet import read_output_csv
from commissioning.results.tables import ALLOCATION_FILE
from geodata.errors import GeodataError

CURRENT = "current"
_ID_COLUMNS = ("client_id", "provider_id", "hub_id", "zone", "zone_id", "current_provider", "status", "moved")


@contextlib.contextmanager
def _reading(path: Path):
    """A file of the output folder that cannot be read (damaged, edited by hand, half copied) is one clear
    error naming it, not a traceback."""
    from pyogrio.errors import DataSourceError
    from shapely.errors import GEOSException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the error below says what is wrong, once
            yield
    except (OSError, ValueError, KeyError, DataSourceError, GEOSException) as error:
        raise CareCommissioningError(
            f"{path} cannot be read ({type(error).__name__}: {str(error)[:200]}). Fix: run "
            "'commissioning run' again to write a complete output folder."
        ) from error


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    with _reading(path):
        doc = json.loads(path.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}  # a hand-edited output folder


POSTCODE_COLUMNS = ("postcode", "base_postcode")


RUN_DATE_KEYS = ("run_date", "run_at", "created")  # kpis.json's run_date; the others from older writers


def recorded_run_date(doc: object) -> str | None:
    """When the run was made, as kpis.json records it (None if it does not)."""
    if not isinstance(doc, dict):
        return None
    found = (doc[k].strip() for k in RUN_DATE_KEYS if isinstance(doc.get(k), str))
    return next((value for value in found if value), None)


def written_day(path: Path) -> str:
    """The UTC day a file was last written (``YYYY-MM-DD``): a run date for folders that do not record one."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).strftime("%Y-%m-%d")


def current_variant(doc: dict, variants) -> str | None:
    """Today's allocation's variant of a run: kpis.json's ``current_variant``, else one named ``current``."""
    named = doc.get("current_variant")
    if isinstance(named, str) and named in variants:
        return named
    return CURRENT if CURRENT in variants else None


def _read_table(folder: Path, name: str, *, required: bool = True) -> pd.DataFrame | None:
    csv, xlsx = folder / f"{name}.csv", folder / f"{name}.xlsx"
    if csv.exists():
        with _reading(csv):
            frame = read_output_csv(csv)  # spreadsheet-safe text back to the values the run wrote
    elif xlsx.exists():
        with _reading(xlsx):
            frame = pd.read_excel(xlsx, dtype=str).fillna("")
    elif required:
        raise CareCommissioningError(f"{csv} is missing: is {folder.parent} a run output folder?")
    else:
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    # Postcodes are personal data the maps never need: they stay in the inputs copy only.
    frame = frame.drop(columns=[c for c in POSTCODE_COLUMNS if c in frame.columns])
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    return frame


@dataclass
class RunOutput:
    """The parts of a run output folder the maps need (geography loaded lazily)."""

    out_dir: Path
    variants: list[str]
    zones: object  # GeoDataFrame
    providers: pd.DataFrame
    hubs: pd.DataFrame | None
    clients: pd.DataFrame | None
    dataset: dict = field(default_factory=dict)
    travel_model: str | None = None
    current: str | None = None  # today's allocation's variant (kpis.json's current_variant)

    @property
    def region_key(self) -> str | None:
        return self.dataset.get("region") or None

    def allocation(self, variant: str) -> pd.DataFrame:
        if variant not in self.variants:
            raise CareCommissioningError(
                f"unknown variant {variant!r}; variants in {self.out_dir}: {', '.join(self.variants)}"
            )
        path = self.out_dir / variant / ALLOCATION_FILE
        if not path.exists():
            raise CareCommissioningError(
                f"{path} is missing: the run did not finish writing variant {variant!r}"
            )
        with _reading(path):
            return read_output_csv(path)

    @cached_property
    def _region(self):
        if not self.region_key:
            return None
        from geodata.region import load_region

        try:
            return load_region(self.region_key)
        except GeodataError:  # an unknown or broken region: the maps are drawn without its background
            return None

    @cached_property
    def land(self):
        if self._region is not None:
            return self._region.land
        try:
            from geodata.land import land_geometry

            minx, miny, maxx, maxy = (float(v) for v in self.zones.to_crs("EPSG:4326").total_bounds)
            return land_geometry((minx - 0.2, miny - 0.2, maxx + 0.2, maxy + 0.2))
        except Exception:  # the background is a nicety: a map without it is still a map
            return None

    @cached_property
    def ferries(self):
        if self._region is None:
            return None
        from geodata.region import ferry_routes

        return ferry_routes(self._region)

    @property
    def region_title(self) -> str:
        return self._region.title if self._region is not None else "your region"

    def hub_loads(self, variant: str) -> pd.DataFrame | None:
        """The variant's rows of hubs.csv with each hub's place (inputs/hubs.csv) and its recruitment.csv
        rows summed (``recruit_*`` and ``short_*`` drivers, non-drivers and cost); None without hubs.csv."""
        path = self.out_dir / "hubs.csv"
        if not path.is_file() or self.hubs is None or not len(self.hubs):
            return None
        loads = pd.read_csv(path, dtype={"variant": str, "hub_id": str, "owner": str, "zone": str},
                            keep_default_na=False)
        loads = loads[loads["variant"] == variant]
        places = self.hubs[["hub_id", "lon", "lat"]].astype({"hub_id": str})
        loads = loads.merge(places, on="hub_id", how="inner")
        extra = self.out_dir / "recruitment.csv"
        rows = pd.read_csv(extra, dtype={"variant": str, "hub_id": str}) if extra.is_file() else None
        for kind in ("recruit", "shortfall"):
            mine = None if rows is None else rows[(rows["variant"] == variant) & (rows["kind"] == kind)]
            sums = (mine.groupby("hub_id")[["drivers", "non_drivers", "cost_gbp_per_week"]].sum()
                    if mine is not None and len(mine) else pd.DataFrame(columns=["drivers", "non_drivers",
                                                                                  "cost_gbp_per_week"]))
            sums = sums.add_prefix(f"{kind}_").reset_index().rename(columns={"index": "hub_id"})
            loads = loads.merge(sums, on="hub_id", how="left")
        return loads.fillna({c: 0 for c in loads.columns if c.startswith(("recruit_", "shortfall_"))})

    def subtitle(self, variant: str | None = None) -> str:
        parts = [self.region_title]
        if variant:
            parts.insert(0, f"variant {variant}")
        if self.travel_model == "approximate":
            parts.append("travel times are great-circle estimates (approximate)")
        return " · ".join(parts)


def load_run(out_dir: str | Path) -> RunOutput:
    import geopandas as gpd

    out_dir = Path(out_dir)
    inputs = out_dir / "inputs"
    if not inputs.is_dir():
        raise CareCommissioningError(f"{inputs} is missing: give the folder written by 'commissioning run'")
    kpis = _read_json(out_dir / "kpis.json")
    listed = kpis.get("variants")
    variants = [str(v) for v in listed] if isinstance(listed, list) else []
    if not variants:
        found = sorted(p.parent.name for p in out_dir.glob("*/allocation.csv"))
        variants = sorted(found, key=lambda v: (v != CURRENT, v))
    if not variants:
        raise CareCommissioningError(
            f"no variants in {out_dir}: kpis.json lists none and no */allocation.csv"
        )
    zones_path = inputs / "zones.geojson"
    if not zones_path.exists():
        raise CareCommissioningError(f"{zones_path} is missing")
    with _reading(zones_path):
        zones = gpd.read_file(zones_path)
        if "zone_id" not in zones.columns:
            raise KeyError("no zone_id property")
        if not zones.geometry.is_valid.all():  # the run writes repaired polygons: this one was edited
            raise ValueError("a zone polygon is not valid")
    if zones.crs is None:
        zones = zones.set_crs("EPSG:4326")
    dataset = _read_json(inputs / "dataset.json")
    return RunOutput(
        out_dir=out_dir,
        variants=variants,
        zones=zones,
        providers=_read_table(inputs, "providers"),
        hubs=_read_table(inputs, "hubs", required=False),
        clients=_read_table(inputs, "clients", required=False),
        dataset=dataset,
        travel_model=kpis.get("travel_model") or dataset.get("travel_model"),
        current=current_variant(kpis, variants),
    )
