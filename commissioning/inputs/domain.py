"""The dataset folder as typed, frozen domain objects: what every later step (problem, KPIs, routing)
reads. Built only by :func:`commissioning.inputs.folder.load_dataset`, after every check has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from commissioning.errors import Problem
from commissioning.inputs.schema import DEFAULT_WEEKLY_HOURS_PER_CARER


@dataclass(frozen=True)
class Client:
    client_id: str
    lon: float
    lat: float
    zone: str
    weekly_hours: float
    visits_per_week: int
    carers_per_visit: int
    time_bands: tuple[str, ...]
    needs: tuple[str, ...]
    funder: str
    current_provider: str | None
    pinned: bool = False
    # Visits a week per band in BAND_NAMES order (clients.csv *_visits); None: spread evenly over time_bands.
    band_visits: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Provider:
    provider_id: str
    name: str
    kind: str
    base_lon: float
    base_lat: float
    weekly_staff_hours: float | None  # overall cap over the provider's own hubs; None: no overall cap
    hourly_rate_gbp: float
    skills: tuple[str, ...]
    non_driver_share: float
    min_viable_hours: float = 0.0
    max_weekly_hours: float | None = None  # None: no limit given


# Fields of a hub that the loader filled with a default (``Hub.assumed``) when it made the whole hub.
MADE_HUB_FIELDS: tuple[str, ...] = ("lon", "lat", "carers", "drivers", "weekly_hours_per_carer")


@dataclass(frozen=True)
class Hub:
    """Carers living near one place: a provider's own (``provider_id``) or a shared pool's (``pool_id``).

    ``drivers`` counts the carers who drive (at most ``carers``). Built without it (code, not files: the
    loader always fills it), every carer drives, which is how hubs were read before drivers existed.
    ``assumed``: names of the fields the loader filled with a default, for outputs that show assumptions.
    """

    hub_id: str
    provider_id: str | None  # None for a pool's hub
    lon: float
    lat: float
    carers: int
    drivers: int = None  # type: ignore[assignment]  # None only while constructing: see __post_init__
    weekly_hours_per_carer: float = DEFAULT_WEEKLY_HOURS_PER_CARER
    pool_id: str | None = None
    max_recruits: int | None = None  # None: the scenario's max_recruits_per_hub
    assumed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.drivers is None and self.carers is not None:
            object.__setattr__(self, "drivers", self.carers)


def default_provider_hub(provider: Provider) -> Hub:
    """The hub a provider with no row in hubs.csv is given: at its base, with as many carers as its weekly
    staff hours need at the default contract (none without them) and the default share of drivers."""
    hours = provider.weekly_staff_hours
    carers = math.ceil(hours / DEFAULT_WEEKLY_HOURS_PER_CARER) if hours else 0
    return Hub(
        hub_id=f"{provider.provider_id}-base",
        provider_id=provider.provider_id,
        lon=provider.base_lon,
        lat=provider.base_lat,
        carers=carers,
        drivers=default_drivers(carers, provider.non_driver_share),
        assumed=MADE_HUB_FIELDS,
    )


def default_drivers(carers: int, non_driver_share: float) -> int:
    """Drivers when hubs.csv does not say: the carers less the non-drivers' share, rounded half up."""
    # Half up, as a commissioner checks it by hand (Python's round() gives 6 for 6.5); the 1e-9 absorbs float
    # error such as 10 × (1 − 0.35) = 6.4999...
    drivers = math.floor(carers * (1.0 - non_driver_share) + 0.5 + 1e-9)
    return min(carers, max(0, drivers))


@dataclass(frozen=True)
class Pool:
    pool_id: str
    zones: tuple[str, ...]
    members: tuple[str, ...]
    # As written in pools.csv. The pool's carers are its hubs (Dataset.hubs_of_pool): made from this figure
    # at load when hubs.csv has none for the pool, otherwise it is ignored (with a warning).
    weekly_hours: float | None = None


@dataclass(frozen=True)
class Zone:
    zone_id: str
    name: str
    locality: str | None
    remote: bool
    geometry: BaseGeometry  # Polygon or MultiPolygon, WGS84 (lon, lat)


@dataclass(frozen=True)
class Dataset:
    clients: tuple[Client, ...]
    providers: tuple[Provider, ...]
    hubs: tuple[Hub, ...]
    pools: tuple[Pool, ...]
    zones: tuple[Zone, ...]
    dataset: dict[str, Any] = field(default_factory=dict, hash=False)
    travel_model: str = "approximate"  # "network" or "approximate"
    warnings: tuple[Problem, ...] = ()
    folder: Path | None = field(default=None, compare=False)

    @property
    def region(self) -> str | None:
        return self.dataset.get("region")

    def counts(self) -> dict[str, int]:
        return {
            "clients": len(self.clients),
            "providers": len(self.providers),
            "hubs": len(self.hubs),
            "pools": len(self.pools),
            "zones": len(self.zones),
        }

    @cached_property
    def provider_by_id(self) -> dict[str, Provider]:
        return {p.provider_id: p for p in self.providers}

    @cached_property
    def zone_by_id(self) -> dict[str, Zone]:
        return {z.zone_id: z for z in self.zones}

    @cached_property
    def _hubs_by_owner(self) -> dict[tuple[str, str], tuple[Hub, ...]]:
        grouped: dict[tuple[str, str], list[Hub]] = {}
        for hub in self.hubs:
            key = ("pool", hub.pool_id) if hub.pool_id is not None else ("provider", hub.provider_id)
            grouped.setdefault(key, []).append(hub)
        return {key: tuple(hubs) for key, hubs in grouped.items()}

    def hubs_for(self, provider_id: str) -> tuple[Hub, ...]:
        """The provider's own hubs (not its pools'). The loader gives every provider at least one; a
        Dataset built in code without hubs gets the same default hub at the base, as a safety net."""
        own = self._hubs_by_owner.get(("provider", provider_id))
        if own:
            return own
        return (default_provider_hub(self.provider_by_id[provider_id]),)

    def hubs_of_pool(self, pool_id: str) -> tuple[Hub, ...]:
        """The shared pool's hubs (from hubs.csv, or made from its weekly_hours at load); may be empty."""
        return self._hubs_by_owner.get(("pool", pool_id), ())
