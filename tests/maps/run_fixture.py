"""Build a run output folder (README *Output folder*) without the runner, for map tests and benchmarks.

Two variants: ``current`` (each client's ``current_provider``) and ``zoned`` (every client of a zone
goes to the provider whose staff hub is nearest the zone). Travel minutes are straight-line estimates;
the maps only need them to be plausible.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geodata.geometry import haversine_km

RUN_DATE = "2026-03-14"
HOSTILE_PROVIDER = "<script>alert(1)</script>"
HOSTILE_ZONE = "<img src=x onerror=alert(2)>"
HOSTILE_HUB = "H`${alert(3)}`\\u0041</script><svg onload=alert(4)>"
ALLOCATION_COLUMNS = [
    "client_id",
    "provider_id",
    "status",
    "reason",
    "zone",
    "travel_minutes_per_visit",
    "moved",
    "weekly_hours",
    "care_hours_per_week",
    "visits_per_week",
    "carers_per_visit",
    "funder",
]


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _minutes(clients: pd.DataFrame, provider_ids: pd.Series, hubs: pd.DataFrame) -> np.ndarray:
    out = np.full(len(clients), np.nan)
    for pid, idx in clients.groupby(provider_ids.to_numpy()).groups.items():
        if not pid:
            continue
        own = hubs[hubs["provider_id"] == pid]
        sub = clients.loc[idx]
        km = haversine_km(
            sub["lon"].to_numpy()[:, None],
            sub["lat"].to_numpy()[:, None],
            own["lon"].to_numpy()[None, :],
            own["lat"].to_numpy()[None, :],
        ).min(axis=1)
        out[clients.index.get_indexer(idx)] = np.round(km * 1.3 / 30.0 * 60.0 / 2 + 3, 1)
    return out


def _allocation(clients: pd.DataFrame, provider_ids: pd.Series, hubs: pd.DataFrame) -> pd.DataFrame:
    provider_ids = provider_ids.fillna("").astype(str).reset_index(drop=True)
    assigned = provider_ids != ""
    minutes = _minutes(clients, provider_ids, hubs)
    return pd.DataFrame(
        {
            "client_id": clients["client_id"],
            "provider_id": provider_ids,
            "status": np.where(assigned, "assigned", "unmet"),
            "reason": np.where(assigned, "", "no provider with capacity"),
            "zone": clients["zone"],
            "travel_minutes_per_visit": [f"{m:.1f}" if np.isfinite(m) else "" for m in minutes],
            "moved": np.where(
                assigned & (provider_ids != clients["current_provider"].fillna("")), "yes", "no"
            ),
            "weekly_hours": clients["weekly_hours"].map(lambda v: f"{v:.2f}"),
            "care_hours_per_week": (clients["weekly_hours"] * clients["carers_per_visit"]).map(
                lambda v: f"{v:.2f}"
            ),
            "visits_per_week": clients["visits_per_week"],
            "carers_per_visit": clients["carers_per_visit"],
            "funder": clients["funder"],
        }
    )[ALLOCATION_COLUMNS]


def build_run_output(
    out: Path, *, n_clients: int = 200, seed: int = 2, hostile: bool = False, work: Path | None = None
) -> Path:
    """Write ``out`` as ``commissioning run`` would (inputs/, kpis.json, <variant>/allocation.csv)."""
    from commissioning.synthetic.generate import generate_scenario

    out = Path(out)
    data = Path(work) if work is not None else out.parent / f"{out.name}-scenario"
    if not data.exists():
        generate_scenario(data, n_clients=n_clients, seed=seed)
    inputs = out / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    for name in ("clients.csv", "providers.csv", "hubs.csv", "pools.csv", "zones.geojson", "dataset.json"):
        shutil.copy(data / name, inputs / name)
    providers = pd.read_csv(inputs / "providers.csv", dtype={"provider_id": str}, keep_default_na=False)
    hubs = pd.read_csv(inputs / "hubs.csv", dtype={"provider_id": str, "hub_id": str}, keep_default_na=False)
    clients = pd.read_csv(
        inputs / "clients.csv",
        dtype={"client_id": str, "current_provider": str, "zone": str},
        keep_default_na=False,
    )
    zones = json.loads((inputs / "zones.geojson").read_text(encoding="utf-8"))
    if hostile:
        providers.loc[0, "name"] = HOSTILE_PROVIDER
        hubs.loc[0, "hub_id"] = HOSTILE_HUB
        zones["features"][0]["properties"]["name"] = HOSTILE_ZONE
        _write_csv(inputs / "providers.csv", providers)
        _write_csv(inputs / "hubs.csv", hubs)
        (inputs / "zones.geojson").write_text(json.dumps(zones), encoding="utf-8")

    # zoned: the provider with the hub nearest to a point inside the zone takes every client of the zone
    zone_ids = [f["properties"]["zone_id"] for f in zones["features"]]
    points = [
        shapely.point_on_surface(shapely.from_geojson(json.dumps(f["geometry"]))) for f in zones["features"]
    ]
    nearest = {}
    for zone_id, point in zip(zone_ids, points, strict=True):
        km = haversine_km(hubs["lon"], hubs["lat"], point.x, point.y)
        nearest[zone_id] = str(hubs.loc[int(np.argmin(km)), "provider_id"])
    zoned = clients["zone"].map(nearest).fillna("")
    zoned.iloc[:3] = ""  # a few clients nobody can take, so the unmet layers have something to show
    variants = {"current": clients["current_provider"], "zoned": zoned}
    kpis = {"variants": list(variants), "scenarios": {}, "assumptions": {}, "travel_model": "network",
            "run_date": RUN_DATE}
    billable = clients["weekly_hours"] * clients["carers_per_visit"]  # care hours: billable
    provider_rows = []
    for variant, provider_ids in variants.items():
        allocation = _allocation(clients, provider_ids, hubs)
        (out / variant).mkdir(parents=True, exist_ok=True)
        _write_csv(out / variant / "allocation.csv", allocation)
        unmet = (allocation["status"] == "unmet").to_numpy()
        kpis["scenarios"][variant] = {
            "clients_total": len(allocation),
            "clients_assigned": int((~unmet).sum()),
            "clients_unmet": int(unmet.sum()),
            "unmet_hours_per_week": float(billable[unmet].sum()),
            "care_hours_assigned": float(billable[~unmet].sum()),
        }
        for pid, name in zip(providers["provider_id"], providers["name"], strict=True):
            mine = (provider_ids.fillna("").to_numpy() == pid) & ~unmet
            provider_rows.append({"variant": variant, "provider_id": pid, "name": name,
                                  "care_hours": round(float(billable[mine].sum()), 2),
                                  "clients": int(mine.sum())})
    (out / "kpis.json").write_text(json.dumps(kpis, indent=2), encoding="utf-8")
    _write_csv(out / "providers.csv", pd.DataFrame(provider_rows))
    # the run's recommendation reads these rows (commissioning.results.recommend): zoned costs less
    costs = {"current": 1000.0 * len(clients), "zoned": 900.0 * len(clients)}
    kpi_rows = [
        {"kpi": "cost_per_week_gbp", **costs},
        {"kpi": "delayed_discharge_cost_per_week_gbp", "current": 0.0, "zoned": 500.0},
        {"kpi": "solver_status", "current": "EVALUATED", "zoned": "FEASIBLE"},
    ]
    _write_csv(out / "kpis.csv", pd.DataFrame(kpi_rows, columns=["kpi", *variants]))
    return out
