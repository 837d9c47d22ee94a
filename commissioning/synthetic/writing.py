"""Writing a generated dataset folder byte for byte the same for the same seed: fixed float formatting,
GeoJSON written by ``json.dumps`` with sorted keys, no timestamps; and the printed summary."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from commissioning.results.folder import staged_folder
from commissioning.synthetic.allocation import GeneratedTables
from commissioning.synthetic.assumptions import COORD_DECIMALS
from commissioning.synthetic.geography import Geography

FILES = ("clients.csv", "providers.csv", "hubs.csv", "pools.csv", "zones.geojson", "dataset.json")


@dataclass(frozen=True)
class GenerationSummary:
    """What was generated, for the printed summary and for tests."""

    out_dir: Path
    region: str | None
    seed: int
    travel_model: str
    n_clients: int
    total_weekly_hours: float
    mean_weekly_hours: float
    share_over_25h: float
    two_carer_share: float
    visits_per_week: int
    mean_visit_minutes: float
    waiting_clients: int
    pinned_clients: int
    n_providers: int
    n_hubs: int
    total_staff_hours: float
    n_carers: int  # at the providers' own hubs
    driver_share: float  # of those carers
    n_pool_hubs: int
    n_pool_carers: int
    independent_share: float
    n_pools: int
    max_pool_members: int
    share_clients_multi_provider_zone: float
    median_remote_zone_providers: float | None  # None: no remote zone with 10+ clients
    n_zones: int
    files: tuple[str, ...] = FILES
    notes: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        where = "Argyll and Bute" if self.region == "argyll-bute" else (self.region or "your geography")
        out = [
            f"Generated a scenario for {where} (seed {self.seed}, travel model: {self.travel_model})",
            f"  clients           {self.n_clients:,} ({self.waiting_clients} waiting for a provider, "
            f"{self.pinned_clients} pinned by choice)",
            f"  weekly care hours {self.total_weekly_hours:,.1f} (mean {self.mean_weekly_hours:.1f} h, "
            f"{self.share_over_25h:.1%} over 25 h, {self.two_carer_share:.1%} with two carers)",
            f"  visits per week   {self.visits_per_week:,} (mean visit {self.mean_visit_minutes:.1f} min)",
            f"  providers         {self.n_providers} with {self.n_hubs - self.n_pool_hubs} staff hubs; "
            f"{self.total_staff_hours:,.0f} staff hours a week, "
            f"{self.independent_share:.1%} independent sector",
            f"  carers            {self.n_carers:,} at the providers' hubs ({self.driver_share:.0%} drive), "
            f"{self.n_pool_carers:,} at {self.n_pool_hubs} pool hubs",
            f"  shared pools      {self.n_pools} (at most {self.max_pool_members} members each)",
            f"  zones             {self.n_zones}",
            f"  fragmentation     {self.share_clients_multi_provider_zone:.1%} of clients live in a zone "
            f"served by 2 or more providers; "
            + (
                f"the median remote zone (10+ clients) has {self.median_remote_zone_providers:g} providers"
                if self.median_remote_zone_providers is not None
                else "no zone is marked remote (10+ clients), so no remote-zone median"
            ),
        ]
        out += [f"  note              {n}" for n in self.notes]
        out.append(f"  files in {self.out_dir}: {', '.join(self.files)}")
        return out


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def csv_text(df: pd.DataFrame, formats: dict[str, int]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(df.columns))
    columns = [df[c].tolist() for c in df.columns]
    decimals = [formats.get(c) for c in df.columns]
    for row in zip(*columns, strict=True):
        writer.writerow([_fmt(float(v), d) if d is not None else str(v)
                         for v, d in zip(row, decimals, strict=True)])
    return buffer.getvalue()


def _round_coords(coords, decimals: int = COORD_DECIMALS):
    if isinstance(coords, (float, int)):
        value = round(float(coords), decimals)
        return 0.0 if value == 0 else value
    return [_round_coords(c, decimals) for c in coords]


def geojson_text(zones: pd.DataFrame) -> str:
    features = []
    for row in zones.itertuples(index=False):
        props = {"zone_id": str(row.zone_id), "name": str(row.name),
                 "remote": "yes" if bool(row.remote) else "no"}
        if str(row.locality):
            props["locality"] = str(row.locality)
        geom = shapely.geometry.mapping(row.geometry)
        geometry = {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"])}
        features.append(json.dumps({"type": "Feature", "properties": props, "geometry": geometry},
                                   sort_keys=True, separators=(",", ":")))
    return '{"features":[\n' + ",\n".join(features) + '\n],"type":"FeatureCollection"}\n'


def folder_texts(tables: GeneratedTables, dataset: dict) -> dict[str, str]:
    """The text of each file of :data:`FILES`: coordinates to 5 decimals (about 1 m), hours to 2."""
    return {
        "clients.csv": csv_text(tables.clients, {"lon": 5, "lat": 5, "weekly_hours": 2}),
        "providers.csv": csv_text(tables.providers, {
            "base_lon": 5, "base_lat": 5, "weekly_staff_hours": 2, "hourly_rate_gbp": 2,
            "non_driver_share": 2, "min_viable_hours": 2, "max_weekly_hours": 2}),
        "hubs.csv": csv_text(tables.hubs, {"lon": 5, "lat": 5, "weekly_hours_per_carer": 1}),
        "pools.csv": csv_text(tables.pools, {}),
        "zones.geojson": geojson_text(tables.zones),
        "dataset.json": json.dumps(dataset, sort_keys=True, indent=2) + "\n",
    }


def write_folder(out_dir: Path, texts: dict[str, str], force: bool) -> None:
    # Atomic and locked; --force replaces only a folder this tool wrote (its marker file).
    with staged_folder(out_dir, force=force) as stage:
        for name in FILES:
            (stage / name).write_bytes(texts[name].encode("utf-8"))


def summarise(out_dir: Path, geo: Geography, sc: GeneratedTables, seed: int,
               max_pool_members: int) -> GenerationSummary:
    c, p = sc.clients, sc.providers
    hours = c["weekly_hours"].to_numpy(float)
    visits = c["visits_per_week"].to_numpy(int)
    served = c[c["current_provider"] != ""]
    per_zone = served.groupby("zone")["current_provider"].nunique()
    multi_zone = set(per_zone.index[per_zone >= 2])
    remote_ids = geo.zones.loc[geo.zones["remote"].astype(bool), "zone_id"]
    # remote zones with at least 10 clients (a zone of 3 clients cannot show fragmentation)
    remote_counts = [int(per_zone.get(z, 0)) for z in remote_ids if (c["zone"] == z).sum() >= 10]
    staff = p["weekly_staff_hours"].to_numpy(float)
    independent = staff[p["kind"].to_numpy() != "in_house"].sum()
    own = sc.hubs[sc.hubs["provider_id"] != ""]
    pool_hubs = sc.hubs[sc.hubs["provider_id"] == ""]
    return GenerationSummary(
        out_dir=Path(out_dir),
        region=geo.region_key,
        seed=seed,
        travel_model=geo.travel_model,
        n_clients=len(c),
        total_weekly_hours=float(hours.sum()),
        mean_weekly_hours=float(hours.mean()),
        share_over_25h=float((hours > 25).mean()),
        two_carer_share=float((c["carers_per_visit"] == 2).mean()),
        visits_per_week=int(visits.sum()),
        mean_visit_minutes=float(hours.sum() * 60 / visits.sum()),
        waiting_clients=int((c["current_provider"] == "").sum()),
        pinned_clients=int((c["pinned"] == "yes").sum()),
        n_providers=len(p),
        n_hubs=len(sc.hubs),
        total_staff_hours=float(staff.sum()),
        n_carers=int(own["carers"].sum()),
        driver_share=float(own["drivers"].sum() / max(1, own["carers"].sum())),
        n_pool_hubs=len(pool_hubs),
        n_pool_carers=int(pool_hubs["carers"].sum()),
        independent_share=float(independent / staff.sum()) if staff.sum() else 0.0,
        n_pools=len(sc.pools),
        max_pool_members=max_pool_members,
        share_clients_multi_provider_zone=float(c["zone"].isin(multi_zone).mean()),
        median_remote_zone_providers=float(np.median(remote_counts)) if remote_counts else None,
        n_zones=len(geo.zones),
        notes=tuple(geo.notes),
    )
