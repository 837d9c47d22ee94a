"""Today's work at each hub of a generated scenario, on the run's own travel model (issue 12): what the
carers are sized by (:func:`commissioning.synthetic.workforce.fit_hubs_to_work`).

A client is served today from its provider's quickest hub (as a run serves it: the mean minutes over its
bands, :mod:`commissioning.running.problem`); its staff time is its care plus the travel from that hub, times
its carers per visit, spread over its bands by its visits. The part within a non-driver's reach of the hub
(as :func:`commissioning.running.hubs.hub_travel` has it: on foot over road km, no ferry) is the work a
non-driver can do. Clients are taken in blocks, so a large scenario never holds a full hubs × clients matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commissioning.inputs.domain import Dataset
from commissioning.running.travel import travel_model_for
from commissioning.scenario.defaults import WorkforceParams
from commissioning.synthetic.geography import Geography
from commissioning.vocabulary import BAND_NAMES

BLOCK = 5000  # clients per travel matrix
WORKFORCE = WorkforceParams()  # the product's band windows and non-drivers' reach: what carers are sized by


@dataclass
class HubWork:
    """Staff hours a week of today's clients at each hub (hubs × bands), and of them, within reach."""

    band: np.ndarray
    near: np.ndarray

    @property
    def week(self) -> np.ndarray:
        return self.band.sum(axis=1)

    @property
    def far(self) -> np.ndarray:
        return self.band - self.near


@dataclass
class ClientWork:
    """What sizing needs of the clients: where, and their staff time apart from travel."""

    lon: np.ndarray
    lat: np.ndarray
    bands: np.ndarray  # n × B bool
    band_visits: np.ndarray  # n × B visits a week
    hours: np.ndarray  # care hours a week (one carer)
    carers: np.ndarray  # carers per visit

    def staff(self, rows: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """Staff hours a week of clients ``rows`` in each band, travelling ``minutes`` per visit (n × B)."""
        visits = self.band_visits[rows]
        total = visits.sum(axis=1)
        weekly = (self.hours[rows] + total * minutes / 60.0) * self.carers[rows]
        return weekly[:, None] * visits / np.maximum(total, 1)[:, None]


def travel_blocks(geo: Geography, places: list[tuple[float, float]], clients: ClientWork, rows: np.ndarray):
    """``(block, minutes, near)`` for blocks of clients ``rows``: places × clients minutes per visit (the
    mean over the client's bands, ``inf`` when a band is unreachable) and within a non-driver's reach in every
    band. The figures of :func:`commissioning.running.hubs.hub_travel` (the same travel model, reach and
    rule), with each block's clients located on the network once for all bands."""
    travel = travel_model_for(Dataset((), (), (), (), (), {"region": geo.region_key}, geo.travel_model))
    walk_km = WORKFORCE.non_driver_reach_minutes * WORKFORCE.non_driver_speed_kmh / 60.0
    hub_lon = np.array([p[0] for p in places], dtype=float)
    hub_lat = np.array([p[1] for p in places], dtype=float)
    for start in range(0, len(rows), BLOCK):
        block = rows[start:start + BLOCK]
        lon, lat, bands = clients.lon[block], clients.lat[block], clients.bands[block]
        minutes = np.zeros((len(places), len(block)))
        near = np.ones((len(places), len(block)), dtype=bool)
        for b, band in enumerate(BAND_NAMES):
            used = np.flatnonzero(bands[:, b])
            if not len(used) or not len(places):
                continue
            matrix = travel.matrix(hub_lon, hub_lat, lon, lat, band)  # every client: located once
            ferries = getattr(matrix, "ferry_crossings", np.zeros(matrix.minutes.shape, dtype=int))
            minutes[:, used] += matrix.minutes[:, used]
            near[:, used] &= (matrix.km[:, used] <= walk_km) & (ferries[:, used] == 0)
        with np.errstate(invalid="ignore"):
            minutes /= np.maximum(bands.sum(axis=1), 1)[None, :]
        yield block, minutes, near & np.isfinite(minutes)


def today_work(geo: Geography, places: list[tuple[float, float]], owner: np.ndarray, current: np.ndarray,
               clients: ClientWork) -> HubWork:
    """Each hub's work today (see the module doc): hubs at ``places`` owned by provider ``owner``; client i is
    served by provider ``current[i]`` (-1: waiting). A client its provider cannot reach in every band counts
    nowhere (a run reports it unmet)."""
    n_hubs, n_bands = len(places), len(BAND_NAMES)
    band, near = np.zeros((n_hubs, n_bands)), np.zeros((n_hubs, n_bands))
    for p in np.unique(current[current >= 0]):
        hubs = np.flatnonzero(owner == p)  # each client against its own provider's hubs only
        if not len(hubs):
            continue
        rows = np.flatnonzero(current == p)
        for block, minutes, reach in travel_blocks(geo, [places[h] for h in hubs], clients, rows):
            quickest = np.argmin(minutes, axis=0)  # the first of the quickest, as a run picks it
            cols = np.arange(len(block))
            best = minutes[quickest, cols]
            ok = np.isfinite(best)
            staff = clients.staff(block[ok], best[ok])
            np.add.at(band, hubs[quickest[ok]], staff)
            within = reach[quickest[ok], cols[ok]]
            np.add.at(near, hubs[quickest[ok]][within], staff[within])
    return HubWork(band, near)


def near_share(geo: Geography, places: list[tuple[float, float]], clients: ClientWork,
               rows_of: list[np.ndarray]) -> np.ndarray:
    """For each place, the share of the care hours of its clients (``rows_of[j]``) within a non-driver's
    reach of it (0 without clients)."""
    care = clients.hours * clients.carers
    within, total = np.zeros(len(places)), np.zeros(len(places))
    mine = np.zeros((len(places), len(clients.hours)), dtype=bool)
    for j, rows in enumerate(rows_of):
        mine[j, rows] = True
        total[j] = care[rows].sum()
    rows = np.flatnonzero(mine.any(axis=0))
    for block, _, reach in travel_blocks(geo, places, clients, rows):
        within += ((reach & mine[:, block]) * care[block][None, :]).sum(axis=1)
    return np.where(total > 0, within / np.maximum(total, 1e-9), 0.0)
