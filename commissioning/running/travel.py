"""From places to travel figures: the travel model of a scenario, and clients × providers minutes from each
provider's quickest hub (:func:`client_provider_travel`, what the generator brokers today's allocation with).
A run prices every pair from its own hub, providers' and pools' alike: :mod:`commissioning.running.hubs`.
Travel is priced per visit, one way, from a hub: the carer drives on to the next visit rather than home
(:mod:`commissioning.running.routing` gives a routed, chained estimate for comparison).
"""

from __future__ import annotations

import numpy as np

from commissioning.inputs.domain import Dataset
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
