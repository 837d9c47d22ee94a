"""From places to travel figures: the travel model of a scenario and its clients × providers matrices.

This is the one place where geography becomes numbers: for every client and provider it asks the travel
model how long a carer takes (:func:`client_provider_travel`) and how far it drives
(:func:`client_provider_km`) from the provider's quickest staff hub at each of the client's time bands.
Travel is priced per visit, one way, from a hub: the carer drives on to the next visit rather than home
(:mod:`commissioning.running.routing` gives a routed, chained estimate for comparison).

Shared staff pools: a pool's carers live in the pool's zones. A pool member may therefore serve a client in
those zones from the pool's local base (:func:`pool_base`: a point on the zone's largest land polygon)
even when its own hubs are a ferry away, but only when pools are enabled.
"""

from __future__ import annotations

import numpy as np

from commissioning.inputs.domain import Dataset
from commissioning.inputs.zones import pool_base  # moved to the inputs layer; re-exported for callers
from commissioning.vocabulary import BAND_NAMES
from geodata.geometry import pairwise_haversine_km


def travel_model_for(data: Dataset):
    """The road + ferry network of the scenario's embedded region, or the approximate fallback.

    A folder whose ``dataset.json`` names no embedded region, or says ``"travel_model": "approximate"``,
    gets great-circle travel, and every output says so.
    """
    from geodata.network import ApproximateTravel
    from geodata.region import load_region
    from geodata.regions import REGIONS

    if data.travel_model == "network" and data.region in REGIONS:
        return load_region(data.region).network()
    return ApproximateTravel()


def client_provider_travel(data: Dataset, travel) -> tuple[np.ndarray, np.ndarray]:
    """Travel minutes per visit (clients × providers) and the unreachability reason per cell.

    Minutes are the mean over the client's time bands of the quickest hub; ``inf`` when any of the client's
    bands is unreachable from every hub of the provider (e.g. the only ferry has stopped for the night).
    """
    n, m = len(data.clients), len(data.providers)
    lon = np.array([c.lon for c in data.clients])
    lat = np.array([c.lat for c in data.clients])
    band_of_client = np.zeros((len(BAND_NAMES), n), dtype=bool)
    for i, client in enumerate(data.clients):
        for band in client.time_bands:
            band_of_client[BAND_NAMES.index(band), i] = True
    hubs = [(p_idx, h) for p_idx, p in enumerate(data.providers) for h in data.hubs_for(p.provider_id)]
    hub_provider = np.array([p for p, _ in hubs])
    hub_lon = np.array([h.lon for _, h in hubs])
    hub_lat = np.array([h.lat for _, h in hubs])
    total = np.zeros((n, m))
    count = band_of_client.sum(axis=0).astype(float)
    reason = np.full((n, m), "", dtype=object)
    for b, band in enumerate(BAND_NAMES):
        if not band_of_client[b].any():
            continue
        matrix = travel.matrix(hub_lon, hub_lat, lon, lat, band)  # hubs × clients
        best = np.full((m, n), np.inf)
        best_reason = np.full((m, n), "", dtype=object)
        for p in range(m):
            rows = np.flatnonzero(hub_provider == p)
            block = matrix.minutes[rows]
            best[p] = block.min(axis=0)
            # For cells no hub reaches, the reason of the hub nearest the client names the ferry that
            # matters to that client (a Bute hub's ferry says nothing to a client on Lismore).
            nearest = rows[np.argmin(pairwise_haversine_km(hub_lon[rows], hub_lat[rows], lon, lat), axis=0)]
            best_reason[p] = matrix.reason[nearest, np.arange(n)]
        used = band_of_client[b]
        total[used] += best.T[used]
        unreachable = used[:, None] & ~np.isfinite(best.T)
        reason[unreachable] = np.where(
            reason[unreachable] == "", best_reason.T[unreachable], reason[unreachable]
        )
    minutes = total / np.maximum(count, 1.0)[:, None]
    return minutes, reason


def nearest_hub_km(data: Dataset) -> np.ndarray:
    """Straight-line km from each client to each provider's nearest hub (clients × providers)."""
    lon = np.array([c.lon for c in data.clients])
    lat = np.array([c.lat for c in data.clients])
    out = np.empty((len(data.clients), len(data.providers)))
    for p, provider in enumerate(data.providers):
        hubs = data.hubs_for(provider.provider_id)
        km = pairwise_haversine_km([h.lon for h in hubs], [h.lat for h in hubs], lon, lat)
        out[:, p] = km.min(axis=0)
    return out


def pool_travel(data: Dataset, travel, p_index: dict[str, int]) -> np.ndarray:
    """Minutes per visit for pool members serving clients in the pool's zones from the pool's local base."""
    n, m = len(data.clients), len(data.providers)
    result = np.full((n, m), np.inf)
    for pool in data.pools:
        for zid in pool.zones:
            rows = np.array([i for i, c in enumerate(data.clients) if c.zone == zid], dtype=int)
            if not len(rows):
                continue
            zone = data.zone_by_id[zid]
            base_lon, base_lat = pool_base(zone.geometry)
            lon = np.array([data.clients[i].lon for i in rows])
            lat = np.array([data.clients[i].lat for i in rows])
            # Pool carers live locally: price the visit at the worst of the client's bands' local travel,
            # which on one island is the same in every band (no ferry involved).
            per_band = [
                travel.matrix([base_lon], [base_lat], lon, lat, band).minutes[0] for band in BAND_NAMES
            ]
            local = np.max(per_band, axis=0)
            for pid in pool.members:
                p = p_index[pid]
                result[rows, p] = np.minimum(result[rows, p], local)
    return result


def client_provider_km(data, travel) -> np.ndarray:
    """Road + access km per visit (one way), clients × providers, from the hub quickest in each band.

    Mean over the client's time bands, like :func:`client_provider_travel`; ``inf``
    where a band is unreachable. Pool pairs (local pool base) are priced by :func:`pool_km`.
    """
    n, m = len(data.clients), len(data.providers)
    lon = np.array([c.lon for c in data.clients])
    lat = np.array([c.lat for c in data.clients])
    hubs = [(p, h) for p, prov in enumerate(data.providers) for h in data.hubs_for(prov.provider_id)]
    hub_provider = np.array([p for p, _ in hubs])
    hub_lon = np.array([h.lon for _, h in hubs])
    hub_lat = np.array([h.lat for _, h in hubs])
    total = np.zeros((n, m))
    count = np.zeros(n)
    for band in BAND_NAMES:
        used = np.array([band in c.time_bands for c in data.clients])
        if not used.any():
            continue
        matrix = travel.matrix(hub_lon, hub_lat, lon[used], lat[used], band)
        best = np.full((m, int(used.sum())), np.inf)
        for p in range(m):
            rows = np.flatnonzero(hub_provider == p)
            minutes = matrix.minutes[rows]
            pick = np.argmin(minutes, axis=0)
            best[p] = matrix.km[rows][pick, np.arange(minutes.shape[1])]
        total[used] += best.T
        count[used] += 1
    return total / np.maximum(count, 1)[:, None]


def pool_km(data, travel) -> np.ndarray:
    """Km per visit from a pool's local base to clients in the pool's zones (clients × providers; inf)."""
    n, m = len(data.clients), len(data.providers)
    out = np.full((n, m), np.inf)
    p_index = {p.provider_id: k for k, p in enumerate(data.providers)}
    for pool in data.pools:
        for zid in pool.zones:
            rows = np.array([i for i, c in enumerate(data.clients) if c.zone == zid], dtype=int)
            if not len(rows):
                continue
            base_lon, base_lat = pool_base(data.zone_by_id[zid].geometry)
            lon = np.array([data.clients[i].lon for i in rows])
            lat = np.array([data.clients[i].lat for i in rows])
            km = travel.matrix([base_lon], [base_lat], lon, lat, "morning").km[0]
            for pid in pool.members:
                out[rows, p_index[pid]] = np.minimum(out[rows, p_index[pid]], km)
    return out
