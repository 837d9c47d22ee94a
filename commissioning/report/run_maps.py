"""The maps of a run output folder: ``OUT/maps/*.html`` for every variant, and one provider's own view.

The run's files are read by :func:`commissioning.results.read.load_run`; the maps are drawn by the pure
render functions of :mod:`maps` and written here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from commissioning.errors import CareCommissioningError
from commissioning.results.folder import write_text_file
from commissioning.results.read import CURRENT, current_variant, load_run, recorded_run_date, written_day
from commissioning.results.recommend import recommend_from_table
from maps import comparison_map, coverage_map, prepare_background, provider_map, travel_map
from maps.errors import MapError
from maps.layers import esc
from maps.privacy import MIN_COUNT


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


def comparison_pairs(variants: list[str], current: str | None = CURRENT) -> list[tuple[str, str]]:
    """Today's allocation (``current``: the run's current variant) against each other variant; without it,
    the first two variants."""
    if current in variants:
        return [(current, v) for v in variants if v != current]
    return [(variants[0], variants[1])] if len(variants) >= 2 else []


def place_names(run) -> pd.DataFrame | None:
    """The towns of the run's region (``name, lon, lat``) for the maps' place labels; None if the run
    has no embedded region."""
    if not run.region_key:
        return None
    from geodata.errors import GeodataError
    from geodata.region import load_region

    try:
        places = load_region(run.region_key).places
    except GeodataError:
        return None
    towns = places[places["in_region"] & (places["kind"].astype(str) == "town")]
    return towns[["name", "lon", "lat"]].reset_index(drop=True)


def write_run_maps(out_dir: str | Path, *, tiles: str | None = None) -> list[Path]:
    """Write ``OUT/maps/coverage_<v>.html``, ``travel_<v>.html`` for every variant and
    ``compare_<a>_vs_<b>.html`` (current against each other variant, or the first two variants if there
    is no ``current``). Returns the paths written, in that order."""
    return [job() for job in run_map_jobs(out_dir, tiles=tiles)]


@dataclass(frozen=True)
class MapJob:
    """One map of a run: the file it writes, and calling it draws and writes that file (returns ``path``)."""

    path: Path
    draw: Callable[[], Path]

    def __call__(self) -> Path:
        return self.draw()


def write_maps_and_report(out_dir: str | Path, jobs: Sequence[Callable[[], Path]] = ()) -> list[Path]:
    """The report, ``jobs`` (a run's workbook) and the maps side by side, one forked worker per core
    (:mod:`commissioning.running.forked`): each reads the folder's files, and the report links the maps by
    the names their jobs will write. The report goes first (the longest job). Returns the paths written,
    the report last. Measured on the demo (2 cores): maps and report in 7.8 s against 12.2 s one by one, with
    the report after the maps. With the report beside them: a 200-client run's maps and report 7.0 s → 4.9 s,
    a comparison of two 80-client runs 14.1 s → 9.0 s (it drew them one by one before)."""
    from commissioning.report.charts import prepare
    from commissioning.report.page import write_report
    from commissioning.running.forked import cores, run_jobs

    out = Path(out_dir)
    maps = run_map_jobs(out)
    prepare()  # before forking: once per process, not once per worker per run
    report = partial(write_report, out, [job.path.name for job in maps])
    written = [Path(p) for p in run_jobs([report, *jobs, *maps], cores())]
    return [f if f.is_absolute() else out / f for f in [*written[1:], written[0]]]


def run_map_jobs(out_dir: str | Path, *, tiles: str | None = None) -> list[MapJob]:
    """The maps of :func:`write_run_maps`, each a job that draws and writes one and returns its path: they
    are independent, so a run draws them side by side (``commissioning.running.forked``), and their paths are
    known before any is drawn (the report, drawn beside them, links them)."""
    run = load_run(out_dir)
    maps_dir = run.out_dir / "maps"
    prepare_background(run.zones, run.land)  # cached: done here once, not in each forked worker
    common = {"ferries": run.ferries, "land": run.land, "tiles": tiles, "places": place_names(run)}
    allocations = {v: run.allocation(v) for v in run.variants}
    jobs: list[MapJob] = []
    for variant in run.variants:
        slug, title = safe_slug(variant), f"Coverage: {variant}"
        jobs.append(_job(coverage_map, maps_dir / f"coverage_{slug}.html", title, run.zones,
                         allocations[variant], run.providers, run.hubs, hub_loads=run.hub_loads(variant),
                         title=title, subtitle=run.subtitle(variant), **common))
        title = f"Travel: {variant}"
        jobs.append(_job(travel_map, maps_dir / f"travel_{slug}.html", title, run.zones, allocations[variant],
                         run.providers, run.hubs, clients=run.clients, title=title,
                         subtitle=run.subtitle(variant), **common))
    for left, right in comparison_pairs(run.variants, run.current):
        name = f"compare_{safe_slug(left)}_vs_{safe_slug(right)}.html"
        jobs.append(_job(comparison_map, maps_dir / name, f"{left} vs {right}", left, allocations[left],
                         right, allocations[right], run.zones, run.providers, run.hubs, clients=run.clients,
                         title=None, **common))
    return jobs


def _job(draw: Callable, path: Path, page_title: str, *args, **kwargs) -> MapJob:
    return MapJob(path, partial(_draw_and_save, draw, path, page_title, *args, **kwargs))


def _draw_and_save(draw: Callable, path: Path, page_title: str, *args, **kwargs) -> Path:
    return save_map(draw(*args, **kwargs), path, page_title)


def default_variant(variants: list[str], out_dir: str | Path | None = None) -> str:
    """The variant the run recommends (:func:`commissioning.results.recommend.recommend_from_table` over
    ``OUT/kpis.csv``); without kpis.csv or a recommendation: ``zoned`` if present, else the last."""
    recommended = recommended_variant(out_dir, variants) if out_dir is not None else None
    if recommended:
        return recommended
    return "zoned" if "zoned" in variants else variants[-1]


def recommended_variant(out_dir: str | Path, variants: list[str]) -> str | None:
    path = Path(out_dir) / "kpis.csv"
    if not path.is_file():
        return None
    try:
        rows = pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")
    except (OSError, ValueError, pd.errors.ParserError):
        return None
    current = current_variant(_kpis_json(out_dir), variants)
    return recommend_from_table(rows, variants, current).variant


def _kpis_json(out_dir: str | Path) -> dict:
    try:
        doc = json.loads((Path(out_dir) / "kpis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def run_date(out_dir: str | Path) -> str:
    """The day of the run: kpis.json's ``run_date`` (or ``run_at``, ``created``), else the day kpis.json
    (or the folder) was last written, in UTC."""
    path = Path(out_dir) / "kpis.json"
    recorded = recorded_run_date(_kpis_json(out_dir))
    return recorded[:10] if recorded else written_day(path if path.is_file() else Path(out_dir))


def write_provider_map(
    out_dir: str | Path,
    provider_id: str,
    out_file: str | Path,
    *,
    variant: str | None = None,
    grid_km: float = 1.0,
    min_count: int = MIN_COUNT,
    tiles: str | None = None,
) -> Path:
    """Write one provider's own view of ``variant`` (default: the variant the run recommends) with its
    gains and losses against today's allocation (``current``), the run date in the title, and client
    counts under ``min_count`` suppressed."""
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < MIN_COUNT:
        # the file goes to a provider: disclosure control may be raised, never lowered
        raise CareCommissioningError(
            f"min_count {min_count!r}: a provider's view hides 1 km squares of fewer than {MIN_COUNT} "
            f"clients and shows smaller counts as 'fewer than {MIN_COUNT}'. "
            f"Fix: --min-count {MIN_COUNT} or more"
        )
    run = load_run(out_dir)
    ids = sorted(run.providers["provider_id"].astype(str))
    if str(provider_id) not in ids:
        raise CareCommissioningError(
            f"unknown provider {provider_id!r}; valid provider ids: {', '.join(ids)}"
        )
    recommended = recommended_variant(run.out_dir, run.variants)
    variant = variant or default_variant(run.variants, run.out_dir)
    today = run.current
    baseline = run.allocation(today) if today is not None and variant != today else None
    try:
        m = provider_map(
            provider_id,
            run.zones,
            run.allocation(variant),
            run.providers,
            run.hubs,
            run.clients,
            baseline=baseline,
            baseline_name=today or CURRENT,
            places=place_names(run),
            ferries=run.ferries,
            land=run.land,
            variant=f"{variant} (recommended)" if variant == recommended else variant,
            run_date=run_date(run.out_dir),
            grid_km=grid_km,
            min_count=min_count,
            tiles=tiles,
        )
    except MapError as error:
        raise CareCommissioningError(str(error)) from None
    name = dict(zip(run.providers["provider_id"], run.providers["name"], strict=True))[str(provider_id)]
    root = m.get_root()
    root.title = esc(f"{name}: {variant}")
    # The user's --out: atomic, and a folder or unwritable place is a one-line error, not a traceback.
    return write_text_file(out_file, root.render(), what="provider map")
