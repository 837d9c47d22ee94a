"""The dataset folder as typed, frozen domain objects: what every later step (problem, KPIs, routing)
reads. Built only by :func:`commissioning.inputs.folder.load_dataset`, after every check has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from commissioning.errors import Problem


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


@dataclass(frozen=True)
class Provider:
    provider_id: str
    name: str
    kind: str
    base_lon: float
    base_lat: float
    weekly_staff_hours: float
    hourly_rate_gbp: float
    skills: tuple[str, ...]
    non_driver_share: float
    min_viable_hours: float = 0.0
    max_weekly_hours: float | None = None  # None: no limit given


@dataclass(frozen=True)
class Hub:
    hub_id: str
    provider_id: str
    lon: float
    lat: float
    carers: int | None  # None for the default hub at a provider's base (hubs.csv did not say)


@dataclass(frozen=True)
class Pool:
    pool_id: str
    zones: tuple[str, ...]
    weekly_hours: float
    members: tuple[str, ...]


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

    def hubs_for(self, provider_id: str) -> tuple[Hub, ...]:
        """The provider's hubs from ``hubs``; if it has none, one default hub at its base."""
        own = tuple(h for h in self.hubs if h.provider_id == provider_id)
        if own:
            return own
        p = self.provider_by_id[provider_id]
        return (Hub(f"{provider_id}-base", provider_id, p.base_lon, p.base_lat, None),)
