"""Maps of a run output folder (see the README's *Output folder*): read ``OUT/inputs``, ``OUT/kpis.json``
and ``OUT/<variant>/allocation.csv``; write ``OUT/maps/*.html`` and provider views.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from commissioning.errors import CareCommissioningError
from commissioning.outputs import read_output_csv
from maps.layers import esc
from maps.render import comparison_map, coverage_map, provider_map, travel_map

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
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    return frame


def safe_slug(name: str) -> str:
    """A variant name as it may appear in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "variant"


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

    @property
    def region_key(self) -> str | None:
        return self.dataset.get("region") or None

    def allocation(self, variant: str) -> pd.DataFrame:
        if variant not in self.variants:
            raise CareCommissioningError(
                f"unknown variant {variant!r}; variants in {self.out_dir}: {', '.join(self.variants)}"
            )
        path = self.out_dir / variant / "allocation.csv"
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
        except CareCommissioningError:
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
    )


def save_map(m, path: Path, title: str) -> Path:
    """Write a folium Map or DualMap as one HTML file (UTF-8) with an escaped page title."""
    root = m.get_root()
    root.title = esc(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(root.render(), encoding="utf-8")
    return path


def comparison_pairs(variants: list[str]) -> list[tuple[str, str]]:
    if CURRENT in variants:
        return [(CURRENT, v) for v in variants if v != CURRENT]
    return [(variants[0], variants[1])] if len(variants) >= 2 else []


def write_run_maps(out_dir: str | Path, *, tiles: str | None = None) -> list[Path]:
    """Write ``OUT/maps/coverage_<v>.html``, ``travel_<v>.html`` for every variant and
    ``compare_<a>_vs_<b>.html`` (current against each other variant, or the first two variants if there
    is no ``current``). Returns the paths written, in that order."""
    run = load_run(out_dir)
    maps_dir = run.out_dir / "maps"
    common = {"ferries": run.ferries, "land": run.land, "tiles": tiles}
    allocations = {v: run.allocation(v) for v in run.variants}
    written: list[Path] = []
    for variant in run.variants:
        slug = safe_slug(variant)
        m = coverage_map(
            run.zones,
            allocations[variant],
            run.providers,
            run.hubs,
            title=f"Coverage: {variant}",
            subtitle=run.subtitle(variant),
            **common,
        )
        written.append(save_map(m, maps_dir / f"coverage_{slug}.html", f"Coverage: {variant}"))
        m = travel_map(
            run.zones,
            allocations[variant],
            run.providers,
            run.hubs,
            clients=run.clients,
            title=f"Travel: {variant}",
            subtitle=run.subtitle(variant),
            **common,
        )
        written.append(save_map(m, maps_dir / f"travel_{slug}.html", f"Travel: {variant}"))
    for left, right in comparison_pairs(run.variants):
        dual = comparison_map(
            left,
            allocations[left],
            right,
            allocations[right],
            run.zones,
            run.providers,
            run.hubs,
            title=None,
            **common,
        )
        name = f"compare_{safe_slug(left)}_vs_{safe_slug(right)}.html"
        written.append(save_map(dual, maps_dir / name, f"{left} vs {right}"))
    return written


def default_variant(variants: list[str]) -> str:
    return "zoned" if "zoned" in variants else variants[-1]


def write_provider_map(
    out_dir: str | Path,
    provider_id: str,
    out_file: str | Path,
    *,
    variant: str | None = None,
    grid_km: float = 1.0,
    tiles: str | None = None,
) -> Path:
    """Write one provider's own view of ``variant`` (default: ``zoned`` if present, else the last)."""
    run = load_run(out_dir)
    ids = sorted(run.providers["provider_id"].astype(str))
    if str(provider_id) not in ids:
        raise CareCommissioningError(
            f"unknown provider {provider_id!r}; valid provider ids: {', '.join(ids)}"
        )
    variant = variant or default_variant(run.variants)
    m = provider_map(
        provider_id,
        run.zones,
        run.allocation(variant),
        run.providers,
        run.hubs,
        run.clients,
        ferries=run.ferries,
        land=run.land,
        variant=variant,
        grid_km=grid_km,
        tiles=tiles,
    )
    name = dict(zip(run.providers["provider_id"], run.providers["name"], strict=True))[str(provider_id)]
    from commissioning.outputs import write_text_file

    root = m.get_root()
    root.title = esc(f"{name}: {variant}")
    # The user's --out: atomic, and a folder or unwritable place is a one-line error, not a traceback.
    return write_text_file(out_file, root.render(), what="provider map")
