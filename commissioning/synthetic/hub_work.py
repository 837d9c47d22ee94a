"""Today's work at each hub of a generated scenario, on the run's own travel model (issue 12): what the
carers are sized by (:func:`commissioning.synthetic.workforce.fit_hubs_to_work`).

A client is served today from its provider's quickest hub (as a run serves it: the mean minutes over its
bands, :mod:`commissioning.running.problem`); its staff time is its care plus the travel from that hub, times
its carers per visit, spread over its bands by its visits. The part within a non-driver's reach of the hub
(:func:`commissioning.running.hubs.hub_travel`: on foot over road km, no ferry) is the work a non-driver can
do. Clients are taken in blocks, so a large scenario never holds a full hubs × clients matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commissioning.inputs.domain import Client, Dataset, Hub, Provider
from commissioning.running.hubs import HubTravel, hub_travel
from commissioning.running.travel import travel_model_for
from commissioning.synthetic.geography import Geography
from commissioning.vocabulary import BAND_NAMES

BLOCK = 5000  # clients per travel matrix


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


def hub_travel_blocks(geo: Geography, places: list[tuple[float, float]], clients: ClientWork,
                      rows: np.ndarray):
    """``(rows of the block, HubTravel from places to them)`` for blocks of clients ``rows``."""
    provider = Provider("X", "", "independent", 0.0, 0.0, None, 0.0, (), 0.0)
    hubs = tuple(Hub(f"H{j}", "X", float(lon), float(lat), 1, 1) for j, (lon, lat) in enumerate(places))
    travel = None
    for start in range(0, len(rows), BLOCK):
        block = rows[start:start + BLOCK]
        people = tuple(
            Client(f"C{i}", float(clients.lon[i]), float(clients.lat[i]), "", 0.0, 1, 1,
                   tuple(b for b, on in zip(BAND_NAMES, clients.bands[i], strict=True) if on), (), "", None)
            for i in block)
        data = Dataset(people, (provider,), hubs, (), (), {"region": geo.region_key}, geo.travel_model)
        travel = travel or travel_model_for(data)
        yield block, hub_travel(data, travel)


def today_work(geo: Geography, places: list[tuple[float, float]], owner: np.ndarray, current: np.ndarray,
               clients: ClientWork) -> HubWork:
    """Each hub's work today (see the module doc): hubs at ``places`` owned by provider ``owner``; client i is
    served by provider ``current[i]`` (-1: waiting). A client its provider cannot reach in every band counts
    nowhere (a run reports it unmet)."""
    n_hubs, n_bands = len(places), len(BAND_NAMES)
    band, near = np.zeros((n_hubs, n_bands)), np.zeros((n_hubs, n_bands))
    served = np.flatnonzero(current >= 0)
    for block, travel in hub_travel_blocks(geo, places, clients, served):
        minutes = _own_minutes(travel, owner, current[block])
        hub = np.argmin(minutes, axis=0)
        cols = np.arange(len(block))
        best = minutes[hub, cols]
        ok = np.isfinite(best)
        staff = clients.staff(block[ok], best[ok])
        np.add.at(band, hub[ok], staff)
        within = travel.near[hub[ok], cols[ok]]
        np.add.at(near, hub[ok][within], staff[within])
    return HubWork(band, near)


def _own_minutes(travel: HubTravel, owner: np.ndarray, provider: np.ndarray) -> np.ndarray:
    """Minutes from each hub to each client of the block, ``inf`` from hubs not of the client's provider."""
    mine = owner[:, None] == provider[None, :]
    return np.where(mine & np.isfinite(travel.minutes), travel.minutes, np.inf)


def near_share(geo: Geography, places: list[tuple[float, float]], clients: ClientWork,
               rows_of: list[np.ndarray]) -> np.ndarray:
    """For each place, the share of the care hours of its clients (``rows_of[j]``) within a non-driver's
    reach of it (0 without clients)."""
    out = np.zeros(len(places))
    for j, place in enumerate(places):
        rows = rows_of[j]
        care = clients.hours * clients.carers
        if not len(rows) or care[rows].sum() <= 0:
            continue
        within = 0.0
        for block, travel in hub_travel_blocks(geo, [place], clients, rows):
            within += float(care[block][travel.near[0]].sum())
        out[j] = within / care[rows].sum()
    return out
