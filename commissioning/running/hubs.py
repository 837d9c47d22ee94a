"""Travel from every hub (providers' and pools') to every client: the figures pairs are priced from.

For each hub and client, over the client's time bands: minutes per visit (the mean; ``inf`` when any of its
bands is unreachable, e.g. after the last ferry), road km per visit, the reason a band is unreachable, and
whether the client is within a non-driver's reach of the hub: on foot at ``non_driver_speed_kmh`` over the
travel model's road km within ``non_driver_reach_minutes`` in every band, with no ferry on the way (so sea
lochs and sounds count as they do for drivers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commissioning.inputs.domain import Dataset, Hub
from commissioning.scenario.defaults import WorkforceParams
from commissioning.vocabulary import BAND_NAMES


@dataclass(frozen=True)
class HubTravel:
    """Hubs × clients figures (see the module doc); ``hubs`` in the order of the rows."""

    hubs: tuple[Hub, ...]
    minutes: np.ndarray
    km: np.ndarray
    reason: np.ndarray  # object: "" or why some band of the client is unreachable from the hub
    near: np.ndarray  # bool


def all_hubs(data: Dataset) -> tuple[Hub, ...]:
    """Every provider's own hubs (providers in file order), then every pool's hubs."""
    own = [h for p in data.providers for h in data.hubs_for(p.provider_id)]
    return (*own, *(h for q in data.pools for h in data.hubs_of_pool(q.pool_id)))


def client_bands(data: Dataset) -> np.ndarray:
    """Bands × clients: the client has visits in the band."""
    out = np.zeros((len(BAND_NAMES), len(data.clients)), dtype=bool)
    for i, client in enumerate(data.clients):
        for band in client.time_bands:
            out[BAND_NAMES.index(band), i] = True
    return out


def hub_travel(data: Dataset, travel, workforce: WorkforceParams | None = None) -> HubTravel:
    """Travel from each hub to each client over the client's bands (one matrix per band)."""
    workforce = workforce or WorkforceParams()
    hubs = all_hubs(data)
    lon = np.array([c.lon for c in data.clients])
    lat = np.array([c.lat for c in data.clients])
    hub_lon, hub_lat = np.array([h.lon for h in hubs]), np.array([h.lat for h in hubs])
    shape = (len(hubs), len(data.clients))
    minutes, km = np.zeros(shape), np.zeros(shape)
    reason = np.full(shape, "", dtype=object)
    near = np.ones(shape, dtype=bool)
    bands = client_bands(data)
    walk_km = workforce.non_driver_reach_minutes * workforce.non_driver_speed_kmh / 60.0
    for b, band in enumerate(BAND_NAMES):
        used = np.flatnonzero(bands[b])
        if not len(used) or not len(hubs):
            continue
        matrix = travel.matrix(hub_lon, hub_lat, lon[used], lat[used], band)
        minutes[:, used] += matrix.minutes
        km[:, used] += matrix.km
        blank = reason[:, used] == ""
        reason[:, used] = np.where(blank, matrix.reason, reason[:, used])
        ferries = getattr(matrix, "ferry_crossings", np.zeros(matrix.minutes.shape, dtype=int))
        near[:, used] &= (matrix.km <= walk_km) & (ferries == 0)
    count = np.maximum(bands.sum(axis=0), 1)
    with np.errstate(invalid="ignore"):
        return HubTravel(hubs, minutes / count, km / count, reason, near & np.isfinite(minutes))
