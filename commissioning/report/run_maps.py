"""The maps of a run output folder: ``OUT/maps/*.html`` for every variant, and one provider's own view.

The run's files are read by :func:`commissioning.results.read.load_run`; the maps are drawn by the pure
render functions of :mod:`maps` and written here.
"""

from __future__ import annotations

import re
from pathlib import Path

from commissioning.errors import CareCommissioningError
from commissioning.results.folder import write_text_file
from commissioning.results.read import CURRENT, load_run
from maps.layers import esc
from maps.render import comparison_map, coverage_map, provider_map, travel_map


def safe_slug(name: str) -> str:
    """A variant name as it may appear in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "variant"


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
            hub_loads=run.hub_loads(variant),
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
    root = m.get_root()
    root.title = esc(f"{name}: {variant}")
    # The user's --out: atomic, and a folder or unwritable place is a one-line error, not a traceback.
    return write_text_file(out_file, root.render(), what="provider map")
