"""Typed, validated inputs of the core: :class:`ProblemData`, :class:`Switches`, :class:`SolveParams`.

Everything is a numpy array indexed by position (clients ``i``, providers ``p``, zones ``z``, pools ``q``,
eligible pairs ``k``). Names are optional and only used in messages. Arrays are validated once, in
``ProblemData.__post_init__``; a bad input raises :class:`DataError` naming the array, the index and the
value.

Units: hours per week for every hours array, minutes for ``pair_travel_minutes`` (one way, per visit,
ferries included), pounds (GBP) for every cost. ``weekly_hours`` is the assessed care time per carer; a
double-up visit (``carers_per_visit == 2``) consumes and bills twice that.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property

import numpy as np

from solver.errors import DataError

# Magnitudes the integer model can hold: minutes and pence are int64, summed over up to a million terms,
# so each term stays below 1e12 (hours: 6e7 minutes; pounds: 1e14 pence).
MAX_HOURS = 1e6
MAX_GBP = 1e12

# Defaults used by :meth:`ProblemData.build` to turn travel minutes into pounds.
DEFAULT_STAFF_COST_PER_HOUR_GBP = 13.50  # carer's loaded hourly pay for time on the road
DEFAULT_MILEAGE_GBP_PER_TRAVEL_HOUR = 9.00  # 0.45 GBP/mile at an average 20 mph on rural roads


def _arr(value, dtype, name: str) -> np.ndarray:
    try:
        a = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}: cannot convert to {np.dtype(dtype).name} array ({exc})") from exc
    a.setflags(write=False)
    return a


def pair_arrays(
    client_weekly_hours: np.ndarray,
    client_visits_per_week: np.ndarray,
    client_carers_per_visit: np.ndarray,
    provider_hourly_rate_gbp: np.ndarray,
    pair_client: np.ndarray,
    pair_provider: np.ndarray,
    pair_travel_minutes: np.ndarray,
    staff_cost_per_hour_gbp: float = DEFAULT_STAFF_COST_PER_HOUR_GBP,
    mileage_gbp_per_travel_hour: float = DEFAULT_MILEAGE_GBP_PER_TRAVEL_HOUR,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pair ``(staff_hours, care_cost_gbp, travel_cost_gbp)`` from client hours and travel minutes.

    staff_hours = carers × (weekly_hours + visits × travel_minutes / 60)
    care_cost   = rate(provider) × carers × weekly_hours
    travel_cost = carers × visits × travel_minutes / 60 × (staff cost per hour + mileage per travel hour)
    (mileage is charged per carer: a double-up shares a car only if the carers travel together, which we do
    not assume).
    """
    i = np.asarray(pair_client, dtype=np.int64)
    p = np.asarray(pair_provider, dtype=np.int64)
    carers = np.asarray(client_carers_per_visit, dtype=np.float64)[i]
    hours = np.asarray(client_weekly_hours, dtype=np.float64)[i]
    visits = np.asarray(client_visits_per_week, dtype=np.float64)[i]
    travel_hours = carers * visits * np.asarray(pair_travel_minutes, dtype=np.float64) / 60.0
    staff_hours = carers * hours + travel_hours
    care_cost = np.asarray(provider_hourly_rate_gbp, dtype=np.float64)[p] * carers * hours
    travel_cost = travel_hours * (staff_cost_per_hour_gbp + mileage_gbp_per_travel_hour)
    return staff_hours, care_cost, travel_cost


@dataclass(frozen=True, eq=False)
class ProblemData:
    """One allocation instance as arrays (validated on construction).

    Clients (length n): ``client_weekly_hours`` (>0), ``client_visits_per_week`` (int ≥0),
    ``client_carers_per_visit`` (1 or 2), ``client_zone`` (0..n_zones-1), ``client_needs`` (bitmask ≥0),
    ``client_current_provider`` (-1 = none), ``client_pinned_provider`` (-1 = not pinned; a pinned client
    must have an eligible pair with that provider and is never moved; the client's choice overrides skills),
    ``client_current_hub`` (the hub it is served from today, -1 = not known or no hubs),
    ``client_band_share`` (n × B: the share of its visits in each time band, rows summing to 1),
    ``client_zone_max_providers`` (the zoning limit of the client's zone when that zone has its own, over
    the switch ``max_providers_per_zone``; -1 = none of its own; equal for every client of a zone: a zone's
    figure kept per client so it travels with the clients in the instance JSON).

    Providers (length m): ``provider_weekly_staff_hours`` (≥0, visits plus travel, an overall cap on the work
    of its own staff; ``inf`` = no cap beyond its hubs), ``provider_hourly_rate_gbp``, ``provider_skills``
    (bitmask), ``provider_min_viable_hours`` (care hours, ≥0), ``provider_max_weekly_hours`` (care hours,
    ``inf`` = no cap).

    Hubs (length H; optional): where carers live and start their runs. ``hub_provider`` (the provider whose
    carers they are, or -1) or ``hub_pool`` (the shared staff pool whose carers they are, or -1): exactly one
    of the two. ``hub_drivers`` and ``hub_non_drivers`` (carers), ``hub_carer_weekly_hours`` (contracted
    hours per carer), ``hub_carer_band_hours`` (H × B: hours a carer can work in each band's window over a
    week), ``hub_max_recruits`` (most carers that may be recruited there, ``inf`` = the switch's limit).

    Pairs (length k, unique (client, provider, hub), sorted on construction): a client with one way of
    serving it, a provider from one of its hubs, from a pool hub it is a member of (only for clients in the
    pool's zones), or from its staff at large (``pair_hub`` = -1, no hub data). ``pair_client``,
    ``pair_provider``, ``pair_hub``, ``pair_travel_minutes`` (per visit, from the hub), ``pair_near`` (the
    client is within non-drivers' reach of the hub), and the general-form arrays the model uses:
    ``pair_staff_hours`` (capacity consumed), ``pair_care_cost_gbp`` and ``pair_travel_cost_gbp``. Use
    :meth:`build` to compute them from hours and travel; a plain GAP fills them directly.
    A pair is *eligible* when the provider's skills cover the client's needs (or the client is pinned to it).

    Pools (length n_pools): ``pool_members`` (bool n_pools × m), ``pool_zones`` (bool n_pools × n_zones);
    their carers are the hubs with ``hub_pool`` = the pool.
    """

    client_weekly_hours: np.ndarray
    client_visits_per_week: np.ndarray
    client_carers_per_visit: np.ndarray
    client_zone: np.ndarray
    client_needs: np.ndarray
    client_current_provider: np.ndarray
    client_pinned_provider: np.ndarray
    provider_weekly_staff_hours: np.ndarray
    provider_hourly_rate_gbp: np.ndarray
    provider_skills: np.ndarray
    provider_min_viable_hours: np.ndarray
    provider_max_weekly_hours: np.ndarray
    pair_client: np.ndarray
    pair_provider: np.ndarray
    pair_travel_minutes: np.ndarray
    pair_staff_hours: np.ndarray
    pair_care_cost_gbp: np.ndarray
    pair_travel_cost_gbp: np.ndarray
    n_zones: int
    pair_hub: np.ndarray | None = None
    pair_near: np.ndarray | None = None
    client_current_hub: np.ndarray | None = None
    client_band_share: np.ndarray | None = None
    client_zone_max_providers: np.ndarray | None = None
    hub_provider: np.ndarray | None = None
    hub_pool: np.ndarray | None = None
    hub_drivers: np.ndarray | None = None
    hub_non_drivers: np.ndarray | None = None
    hub_carer_weekly_hours: np.ndarray | None = None
    hub_carer_band_hours: np.ndarray | None = None
    hub_max_recruits: np.ndarray | None = None
    pool_members: np.ndarray | None = None
    pool_zones: np.ndarray | None = None
    zone_names: tuple[str, ...] | None = None
    provider_names: tuple[str, ...] | None = None
    hub_names: tuple[str, ...] | None = None
    band_names: tuple[str, ...] | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(
        cls,
        *,
        client_weekly_hours: Sequence[float],
        client_visits_per_week: Sequence[int],
        client_carers_per_visit: Sequence[int],
        client_zone: Sequence[int],
        provider_weekly_staff_hours: Sequence[float],
        provider_hourly_rate_gbp: Sequence[float],
        pair_client: Sequence[int],
        pair_provider: Sequence[int],
        pair_travel_minutes: Sequence[float],
        n_zones: int,
        staff_cost_per_hour_gbp: float = DEFAULT_STAFF_COST_PER_HOUR_GBP,
        mileage_gbp_per_travel_hour: float = DEFAULT_MILEAGE_GBP_PER_TRAVEL_HOUR,
        pool_weekly_hours: Sequence[float] | None = None,
        **optional,
    ) -> ProblemData:
        """Build from client/provider attributes and travel minutes; optional arrays (any other field of the
        class, by name) get neutral defaults.

        ``pool_weekly_hours`` (the form before hubs): each pool becomes one hub of that many hours with no
        band limit, and every member's pair with a client in the pool's zones gets a twin served from it,
        at the same travel.
        """
        n, m = len(client_weekly_hours), len(provider_weekly_staff_hours)
        pc = _arr(pair_client, np.int64, "pair_client")
        pp = _arr(pair_provider, np.int64, "pair_provider")
        tm = _arr(pair_travel_minutes, np.float64, "pair_travel_minutes")
        if len(pc) != len(pp) or len(pc) != len(tm):
            raise DataError("pair_client, pair_provider and pair_travel_minutes must have the same length")
        _check_index(pc, n, "pair_client")  # before fancy indexing, so the message is ours
        _check_index(pp, m, "pair_provider")
        zone = _arr(client_zone, np.int64, "client_zone")
        if len(zone) != n:
            raise DataError("client arrays must all have the same length")
        if pool_weekly_hours is not None and len(pool_weekly_hours):
            pairs = {"pair_client": pc, "pair_provider": pp, "pair_travel_minutes": tm}
            optional, pairs = _pools_as_hubs(optional, pool_weekly_hours, zone, pairs, m, n_zones)
            pc, pp, tm = pairs["pair_client"], pairs["pair_provider"], pairs["pair_travel_minutes"]
        hours = _arr(client_weekly_hours, np.float64, "client_weekly_hours")
        visits = _arr(client_visits_per_week, np.int64, "client_visits_per_week")
        carers = _arr(client_carers_per_visit, np.int64, "client_carers_per_visit")
        rate = _arr(provider_hourly_rate_gbp, np.float64, "provider_hourly_rate_gbp")
        if len(hours) != n or len(visits) != n or len(carers) != n:
            raise DataError("client arrays must all have the same length")
        if len(rate) != m:
            raise DataError("provider_hourly_rate_gbp must have one entry per provider")
        staff, care, travel = pair_arrays(
            hours, visits, carers, rate, pc, pp, tm, staff_cost_per_hour_gbp, mileage_gbp_per_travel_hour
        )
        defaults = {
            "client_needs": np.zeros(n, np.int64),
            "client_current_provider": np.full(n, -1),
            "client_pinned_provider": np.full(n, -1),
            "provider_skills": np.zeros(m, np.int64),
            "provider_min_viable_hours": np.zeros(m),
            "provider_max_weekly_hours": np.full(m, np.inf),
        }
        unknown = set(optional) - {f.name for f in fields(cls)}
        if unknown:
            raise DataError(f"unknown ProblemData field(s): {', '.join(sorted(unknown))}")
        given = {key: value for key, value in optional.items() if value is not None}
        return cls(
            client_weekly_hours=hours,
            client_visits_per_week=visits,
            client_carers_per_visit=carers,
            client_zone=zone,
            provider_weekly_staff_hours=provider_weekly_staff_hours,
            provider_hourly_rate_gbp=rate,
            pair_client=pc,
            pair_provider=pp,
            pair_travel_minutes=tm,
            pair_staff_hours=staff,
            pair_care_cost_gbp=care,
            pair_travel_cost_gbp=travel,
            n_zones=n_zones,
            **{**defaults, **given},
        )

    def __post_init__(self) -> None:
        _normalise(self)
        _validate(self)
        _sort_pairs(self)
        _check_pairs(self)

    def _pname(self, p: int) -> str:
        return f"{p} ({self.provider_names[p]!r})" if self.provider_names else str(p)

    # ------------------------------------------------------------------ derived views
    @property
    def n_clients(self) -> int:
        return len(self.client_weekly_hours)

    @property
    def n_providers(self) -> int:
        return len(self.provider_weekly_staff_hours)

    @property
    def n_pools(self) -> int:
        return len(self.pool_members)

    @property
    def n_hubs(self) -> int:
        return len(self.hub_provider)

    @property
    def n_bands(self) -> int:
        return self.client_band_share.shape[1]

    @cached_property
    def client_care_hours(self) -> np.ndarray:
        """Billable care hours per week: weekly_hours × carers_per_visit."""
        return self.client_weekly_hours * self.client_carers_per_visit

    @cached_property
    def pair_travel_hours(self) -> np.ndarray:
        """Staff hours per week spent travelling for this pair (all carers)."""
        return np.maximum(self.pair_staff_hours - self.client_care_hours[self.pair_client], 0.0)

    @cached_property
    def pair_eligible(self) -> np.ndarray:
        """Skills cover needs, or the client is pinned to this provider."""
        needs = self.client_needs[self.pair_client]
        ok = (needs & ~self.provider_skills[self.pair_provider]) == 0
        return ok | (self.client_pinned_provider[self.pair_client] == self.pair_provider)

    @cached_property
    def pair_pool(self) -> np.ndarray:
        """The pool whose hub serves the pair, or -1 (the provider's own carers)."""
        hub = self.pair_hub
        return np.where(hub >= 0, self.hub_pool[np.maximum(hub, 0)] if self.n_hubs else -1, -1)

    @cached_property
    def pair_band_staff_hours(self) -> np.ndarray:
        """Staff hours per week of each pair in each band (k × B): its visits' share of the band."""
        return self.pair_staff_hours[:, None] * self.client_band_share[self.pair_client]

    @cached_property
    def hub_carers(self) -> np.ndarray:
        return self.hub_drivers + self.hub_non_drivers

    @cached_property
    def client_pair_start(self) -> np.ndarray:
        """Pairs of client i are ``pair_start[i]:pair_start[i+1]`` (pairs are sorted by client)."""
        return np.searchsorted(self.pair_client, np.arange(self.n_clients + 1)).astype(np.int64)

    def pairs_of(self, client: int, provider: int) -> range:
        """The pairs of (client, provider): one per hub it may be served from (contiguous, by hub)."""
        a, b = self.client_pair_start[client], self.client_pair_start[client + 1]
        row = self.pair_provider[a:b]
        lo = a + int(np.searchsorted(row, provider, side="left"))
        hi = a + int(np.searchsorted(row, provider, side="right"))
        return range(lo, hi)

    def pair_index(self, client: int, provider: int, hub: int | None = None) -> int:
        """Index of pair (client, provider, hub) or -1; ``hub`` None: the first pair of (client, provider),
        the one from its quickest hub when the caller listed hubs quickest first (see :meth:`build`)."""
        ks = self.pairs_of(client, provider)
        if not len(ks):
            return -1
        if hub is None:
            return ks.start
        hit = [k for k in ks if self.pair_hub[k] == hub]
        return hit[0] if hit else -1

    @cached_property
    def provider_current_care_hours(self) -> np.ndarray:
        """Care hours each provider delivers in the current allocation."""
        cur = self.client_current_provider
        has = cur >= 0
        return np.bincount(cur[has], weights=self.client_care_hours[has], minlength=self.n_providers)

    def zone_label(self, z: int) -> str:
        """The zone as a sentence names it: its name in quotes, or its position."""
        return f"'{self.zone_names[z]}'" if self.zone_names else f"zone {z}"

    def least_staff_hours(self) -> np.ndarray:
        """Least staff hours each client can cost any eligible provider (``inf`` when none)."""
        out = np.full(self.n_clients, np.inf)
        ok = self.pair_eligible
        np.minimum.at(out, self.pair_client[ok], self.pair_staff_hours[ok])
        return out

    def zone_name(self, z: int) -> str:
        return self.zone_names[z] if self.zone_names else f"zone {z}"

    def provider_name(self, p: int) -> str:
        return self.provider_names[p] if self.provider_names else f"provider {p}"

    def hub_name(self, h: int) -> str:
        return self.hub_names[h] if self.hub_names else f"hub {h}"

    def band_name(self, b: int) -> str:
        return self.band_names[b] if self.band_names else f"band {b}"


_CLIENT_INT = (
    "client_visits_per_week",
    "client_carers_per_visit",
    "client_zone",
    "client_needs",
    "client_current_provider",
    "client_pinned_provider",
)
_PROVIDER_FLOAT = (
    "provider_weekly_staff_hours",
    "provider_hourly_rate_gbp",
    "provider_min_viable_hours",
    "provider_max_weekly_hours",
)
_PAIR_FLOAT = ("pair_travel_minutes", "pair_staff_hours", "pair_care_cost_gbp", "pair_travel_cost_gbp")
_HUB_INT = ("hub_provider", "hub_pool", "hub_drivers", "hub_non_drivers")
_PAIR_FIELDS = ("pair_client", "pair_provider", "pair_hub", "pair_near", *_PAIR_FLOAT)


def _one_dim(d: ProblemData, name: str, dtype) -> None:
    value = getattr(d, name)
    if (
        dtype is np.int64
        and isinstance(value, np.ndarray)
        and value.dtype.kind == "f"
        and (not np.all(np.isfinite(value)) or np.any(value != np.round(value)))
    ):
        raise DataError(f"{name}: must hold integers")
    a = _arr(value, dtype, name)
    if a.ndim != 1:
        raise DataError(f"{name}: must be one-dimensional, got shape {a.shape}")
    object.__setattr__(d, name, a)


def _matrix(d: ProblemData, name: str, dtype, shape: tuple[int, int], default) -> None:
    value = getattr(d, name)
    a = np.full(shape, default, dtype=dtype) if value is None else _arr(value, dtype, name)
    if a.size == 0 and 0 in shape:
        a = np.zeros(shape, dtype=dtype)
    if a.shape != shape:
        raise DataError(f"{name}: expected shape {shape}, got {a.shape}")
    a.setflags(write=False)
    object.__setattr__(d, name, a)


def _normalise(d: ProblemData) -> None:
    """Arrays of the right dtype and shape, optional ones filled with their neutral defaults."""
    s = object.__setattr__  # frozen: normalise arrays once, here
    n, k = len(np.atleast_1d(d.client_weekly_hours)), len(np.atleast_1d(d.pair_client))
    defaults = {
        "pair_hub": np.full(k, -1),
        "pair_near": np.ones(k, bool),
        "client_current_hub": np.full(n, -1),
        "client_zone_max_providers": np.full(n, -1),
        "hub_provider": np.zeros(0, np.int64),
        "hub_carer_weekly_hours": np.zeros(0),
    }
    for name, value in defaults.items():
        if getattr(d, name) is None:
            s(d, name, value)
    h = len(np.atleast_1d(d.hub_provider))
    for name in ("hub_pool", "hub_drivers", "hub_non_drivers"):
        if getattr(d, name) is None:
            s(d, name, np.full(h, -1 if name == "hub_pool" else 0))
    if d.hub_max_recruits is None:
        s(d, "hub_max_recruits", np.full(h, np.inf))
    for name in (
        "client_weekly_hours",
        *_PROVIDER_FLOAT,
        *_PAIR_FLOAT,
        "hub_carer_weekly_hours",
        "hub_max_recruits",
    ):
        _one_dim(d, name, np.float64)
    for name in (
        *_CLIENT_INT,
        "provider_skills",
        "pair_client",
        "pair_provider",
        "pair_hub",
        "client_current_hub",
        "client_zone_max_providers",
        *_HUB_INT,
    ):
        _one_dim(d, name, np.int64)
    _one_dim(d, "pair_near", bool)
    if not isinstance(d.n_zones, int | np.integer) or d.n_zones < 0:
        raise DataError(f"n_zones must be a non-negative integer, got {d.n_zones!r}")
    s(d, "n_zones", int(d.n_zones))
    bands = _band_count(d)
    _matrix(d, "client_band_share", np.float64, (len(d.client_weekly_hours), bands), 1.0 / bands)
    _matrix(d, "hub_carer_band_hours", np.float64, (len(d.hub_provider), bands), np.inf)
    m = len(d.provider_weekly_staff_hours)
    q = 0 if d.pool_members is None else len(d.pool_members)
    _matrix(d, "pool_members", bool, (q, m), False)
    _matrix(d, "pool_zones", bool, (q, d.n_zones), False)
    for name in ("zone_names", "provider_names", "hub_names", "band_names"):
        if getattr(d, name) is not None:
            s(d, name, tuple(str(v) for v in getattr(d, name)))


def _band_count(d: ProblemData) -> int:
    for value in (d.client_band_share, d.hub_carer_band_hours):
        if value is not None and np.ndim(value) == 2 and np.shape(value)[1] > 0:
            return int(np.shape(value)[1])
    return len(d.band_names) if d.band_names else 1


def _validate(d: ProblemData) -> None:
    _validate_lengths(d)
    _validate_values(d)
    _validate_hubs(d)


def _validate_lengths(d: ProblemData) -> None:
    n, m, k, h = d.n_clients, d.n_providers, len(d.pair_client), d.n_hubs

    def length(name: str, expected: int, what: str) -> None:
        got = len(getattr(d, name))
        if got != expected:
            raise DataError(f"{name}: expected {expected} entries (one per {what}), got {got}")

    for name in (*_CLIENT_INT, "client_current_hub", "client_zone_max_providers"):
        length(name, n, "client")
    for name in (
        "provider_hourly_rate_gbp",
        "provider_skills",
        "provider_min_viable_hours",
        "provider_max_weekly_hours",
    ):
        length(name, m, "provider")
    for name in _PAIR_FIELDS[1:]:
        length(name, k, "pair")
    for name in (*_HUB_INT, "hub_carer_weekly_hours", "hub_max_recruits"):
        length(name, h, "hub")
    for name, names, expected in (
        ("zone_names", d.zone_names, d.n_zones),
        ("provider_names", d.provider_names, m),
        ("hub_names", d.hub_names, h),
        ("band_names", d.band_names, d.n_bands),
    ):
        if names is not None and len(names) != expected:
            raise DataError(f"{name}: expected {expected} names, got {len(names)}")


def _finite(d: ProblemData, name: str, lo: float = -math.inf, hi: float = math.inf, allow_inf=False) -> None:
    a = getattr(d, name)
    bad = np.isnan(a) if allow_inf else ~np.isfinite(a)
    bad |= (a < lo) | (a > hi)
    if np.any(bad):
        j = np.argwhere(bad)[0]
        where = int(j[0]) if len(j) == 1 else tuple(int(v) for v in j)
        raise DataError(f"{name}[{where}] = {a[tuple(j)]!r} is not a finite number in [{lo}, {hi}]")


def _validate_values(d: ProblemData) -> None:
    m, z = d.n_providers, d.n_zones
    _finite(d, "client_weekly_hours", lo=0.0, hi=MAX_HOURS)
    if np.any(d.client_weekly_hours <= 0):
        j = int(np.nonzero(d.client_weekly_hours <= 0)[0][0])
        raise DataError(f"client_weekly_hours[{j}] = {d.client_weekly_hours[j]} must be > 0")
    _check_range(d.client_visits_per_week, 0, 10_000, "client_visits_per_week")
    _check_range(d.client_carers_per_visit, 1, 2, "client_carers_per_visit")
    _check_index(d.client_zone, z, "client_zone")
    _check_range(d.client_needs, 0, 2**62, "client_needs")
    _check_range(d.client_current_provider, -1, m - 1, "client_current_provider")
    _check_range(d.client_pinned_provider, -1, m - 1, "client_pinned_provider")
    _finite(d, "provider_weekly_staff_hours", lo=0.0, allow_inf=True)
    _finite(d, "provider_hourly_rate_gbp", lo=-MAX_GBP, hi=MAX_GBP)
    _check_range(d.provider_skills, 0, 2**62, "provider_skills")
    _finite(d, "provider_min_viable_hours", lo=0.0, hi=MAX_HOURS)
    _finite(d, "provider_max_weekly_hours", lo=0.0, allow_inf=True)
    _check_index(d.pair_client, d.n_clients, "pair_client")
    _check_index(d.pair_provider, m, "pair_provider")
    _finite(d, "pair_travel_minutes", lo=0.0, hi=MAX_HOURS * 60.0)
    _finite(d, "pair_staff_hours", lo=0.0, hi=MAX_HOURS)
    _finite(d, "pair_care_cost_gbp", lo=-MAX_GBP, hi=MAX_GBP)
    _finite(d, "pair_travel_cost_gbp", lo=-MAX_GBP, hi=MAX_GBP)
    _finite(d, "client_band_share", lo=0.0, hi=1.0)
    _check_zone_limits(d)
    off = np.abs(d.client_band_share.sum(axis=1) - 1.0) > 1e-6
    if np.any(off):
        i = int(np.nonzero(off)[0][0])
        raise DataError(f"client_band_share[{i}] sums to {d.client_band_share[i].sum():.6f}, not 1")


def _check_zone_limits(d: ProblemData) -> None:
    limit, zone = d.client_zone_max_providers, d.client_zone
    _check_range(limit, -1, 1_000_000, "client_zone_max_providers")
    for z in np.unique(zone[limit >= 0]):
        values = np.unique(limit[zone == z])
        if len(values) > 1:
            raise DataError(f"client_zone_max_providers: the clients of zone {d.zone_label(int(z))} hold "
                            f"different limits {values.tolist()}; a zone has one")


def _validate_hubs(d: ProblemData) -> None:
    h, m, q = d.n_hubs, d.n_providers, d.n_pools
    _check_range(d.hub_provider, -1, m - 1, "hub_provider")
    _check_range(d.hub_pool, -1, q - 1, "hub_pool")
    both = (d.hub_provider >= 0) == (d.hub_pool >= 0)
    if np.any(both):
        j = int(np.nonzero(both)[0][0])
        raise DataError(f"hub {j}: give either hub_provider or hub_pool (exactly one of the two)")
    _check_range(d.hub_drivers, 0, 100_000, "hub_drivers")
    _check_range(d.hub_non_drivers, 0, 100_000, "hub_non_drivers")
    _finite(d, "hub_carer_weekly_hours", lo=0.0, hi=168.0)
    _finite(d, "hub_carer_band_hours", lo=0.0, allow_inf=True)
    _finite(d, "hub_max_recruits", lo=0.0, allow_inf=True)
    _check_range(d.pair_hub, -1, h - 1, "pair_hub")
    _check_range(d.client_current_hub, -1, h - 1, "client_current_hub")


def _sort_pairs(d: ProblemData) -> None:
    """Pairs sorted by (client, provider, hub) so per-client slices are contiguous and output is stable."""
    order = np.lexsort((d.pair_hub, d.pair_provider, d.pair_client))
    if np.any(order != np.arange(len(order))):
        for name in _PAIR_FIELDS:
            a = getattr(d, name)
            object.__setattr__(d, name, _arr(a[order], a.dtype, name))


def _check_pairs(d: ProblemData) -> None:
    """No pair twice; a hub serves its own provider's pairs, a pool hub its members' in the pool's zones; a
    pinned client has a pair with its chosen provider."""
    m, h = max(d.n_providers, 1), max(d.n_hubs, 1) + 1
    key = (d.pair_client * m + d.pair_provider) * h + (d.pair_hub + 1)
    dup = np.nonzero(np.diff(key) == 0)[0]
    if len(dup):
        k = int(dup[0])
        raise DataError(
            f"pair (client {d.pair_client[k]}, provider {d.pair_provider[k]}, hub {d.pair_hub[k]}) "
            "is listed twice"
        )
    has = np.flatnonzero(d.pair_hub >= 0)
    hub, provider = d.pair_hub[has], d.pair_provider[has]
    ok = d.hub_provider[hub] == provider
    if d.n_pools:
        pool = d.hub_pool[hub]
        pq, zone = np.maximum(pool, 0), d.client_zone[d.pair_client[has]]
        ok |= (pool >= 0) & d.pool_members[pq, provider] & d.pool_zones[pq, zone]
    if not np.all(ok):
        k = int(has[np.nonzero(~ok)[0][0]])
        raise DataError(
            f"pair {k}: hub {d.pair_hub[k]} is neither a hub of provider {d._pname(int(d.pair_provider[k]))} "
            "nor a hub of a pool it is a member of, covering the client's zone"
        )
    pin = d.client_pinned_provider
    for i in np.nonzero(pin >= 0)[0]:
        if d.pair_index(int(i), int(pin[i])) < 0:
            raise DataError(
                f"client {i} is pinned to provider {d._pname(int(pin[i]))} but that pair is not "
                "eligible (unreachable or beyond the maximum travel); add the pair or unpin the client"
            )


def _pools_as_hubs(
    optional: dict, pool_weekly_hours, zone, pairs: dict[str, np.ndarray], m: int, n_zones: int
) -> tuple[dict, dict[str, np.ndarray]]:
    """Pools given as weekly hours (the form before hubs): one hub per pool with that many hours and no band
    limit, all drivers, and a twin of every member's pair with a client in the pool's zones (``pairs``: the
    pair arrays by field name), at the same travel, served from it. Provider pairs keep no hub."""
    hours = _arr(pool_weekly_hours, np.float64, "pool_weekly_hours")
    q = len(hours)
    members = _arr(optional.get("pool_members", np.zeros((q, m))), bool, "pool_members").reshape(q, m)
    zones = _arr(optional.get("pool_zones", np.zeros((q, n_zones))), bool, "pool_zones").reshape(q, n_zones)
    if optional.get("hub_provider") is not None and len(optional["hub_provider"]):
        raise DataError("give pools as hubs (hub_pool) or as pool_weekly_hours, not both")
    pc, pp = pairs["pair_client"], pairs["pair_provider"]
    twins = [members[j, pp] & zones[j, zone[pc]] for j in range(q)]
    out = {name: np.concatenate([a, *(a[sel] for sel in twins)]) for name, a in pairs.items()}
    hub = [np.full(len(pc), -1), *(np.full(int(sel.sum()), j) for j, sel in enumerate(twins))]
    bands = np.shape(optional["client_band_share"])[1] if optional.get("client_band_share") is not None else 1
    optional = {
        **optional,
        "pool_members": members,
        "pool_zones": zones,
        "pair_hub": np.concatenate(hub),
        "hub_provider": np.full(q, -1),
        "hub_pool": np.arange(q),
        "hub_drivers": np.ones(q, np.int64),
        "hub_non_drivers": np.zeros(q, np.int64),
        "hub_carer_weekly_hours": hours,
        "hub_carer_band_hours": np.repeat(hours[:, None], bands, axis=1),
    }
    return optional, out


def protected_clients(data: ProblemData, switches: Switches) -> np.ndarray:
    """Clients that must stay with their current, protected provider: those whose current pair is eligible
    (a client the provider can no longer reach or serve cannot stay, and is reported as such)."""
    if not switches.protect:
        return np.zeros(0, dtype=np.int64)
    cur = data.client_current_provider
    out = []
    for i in np.flatnonzero(np.isin(cur, switches.protect)):
        ks = data.pairs_of(int(i), int(cur[i]))
        if any(data.pair_eligible[k] for k in ks):
            out.append(int(i))
    return np.array(out, dtype=np.int64)


def _check_index(a: np.ndarray, size: int, name: str) -> None:
    _check_range(np.asarray(a), 0, size - 1, name)


def _check_range(a: np.ndarray, lo: int, hi: int, name: str) -> None:
    bad = (a < lo) | (a > hi)
    if np.any(bad):
        j = int(np.nonzero(bad)[0][0])
        raise DataError(f"{name}[{j}] = {a[j]} is out of range [{lo}, {hi}]")


def switch(default, kind: str, doc: str, *, low: float | None = None, high: float | None = None):
    """A commissioner's switch: its one name (the field's), default, kind, bounds and meaning, read by the
    scenario file, the command line, the web form and the instance JSON alike. Kinds: ``count`` (a whole
    number ≥ low, or None when absent), ``natural`` (a whole number ≥ 0, or None), ``bool``, ``money``
    (£ ≥ 0), ``fraction`` (0 to 1, or None), ``weight`` (≥ 0), ``seconds``, ``work`` (> 0), ``providers``
    (provider positions; ids in a scenario file), ``provider_zones`` ((provider, zone) positions; a table of
    id lists in a scenario file)."""
    return field(default=default, metadata={"kind": kind, "doc": doc, "low": low, "high": high})


@dataclass(frozen=True)
class Switches:
    """The commissioner's switches (see :func:`switch`; each owned by one rule of :mod:`solver.rules`)."""

    max_providers_per_zone: int | None = switch(
        None,
        "count",
        "zoning: at most this many providers serve any zone (clients who chose their provider "
        "are not counted); absent: no zoning",
        low=1,
    )
    ranked_shares: tuple[float, ...] = switch(
        (),
        "shares",
        "ranked zoning: each zone's lead, second (third, fourth) provider takes these shares of its care "
        "hours, largest first, e.g. [0.60, 0.25, 0.15]; sets the zoning limit to their number (clients who "
        "chose their provider are not counted); empty: off",
    )
    share_penalty_gbp_per_hour: float = switch(
        6.0,
        "money",
        "ranked zoning: £ per care hour a week that a ranked provider's hours differ from its share "
        "(applied in whole pence a minute)",
        high=1e6,
    )
    pools: bool = switch(
        True,
        "bool",
        "shared staff pools on: member providers may serve clients in a pool's "
        "zones from the pool's hubs, with the pool's carers",
    )
    max_pool_members: int = switch(
        4,
        "count",
        "at most this many member providers draw on any one pool (the "
        "partnership rule: beyond about four partners complexity explodes)",
        low=1,
    )
    workforce: bool = switch(
        True,
        "bool",
        "carers at hubs bind the allocation: their weekly hours, their "
        "hours in each time band's window and, beyond non-drivers' reach, drivers' hours; "
        "false: only providers' overall weekly hours",
    )
    recruit: bool = switch(
        False,
        "bool",
        "the optimiser may recruit carers at hubs (drivers or not) instead of "
        "leaving need unmet, at the recruitment cost",
    )
    recruit_cost_gbp_per_carer_week: float = switch(
        60.0,
        "money",
        "£ per week of recruiting and inducting one carer who does not drive (advertising, "
        "training, SSSC registration; assumed)",
        high=1e6,
    )
    recruit_driver_cost_gbp_per_carer_week: float = switch(
        90.0,
        "money",
        "£ per week of recruiting one carer who drives (few applicants drive; assumed)",
        high=1e6,
    )
    max_recruits_per_hub: int = switch(
        5,
        "natural",
        "with recruit: most carers recruited at any one hub (a hub's own max_recruits may be lower)",
        high=10_000,
    )
    recruit_budget_gbp_per_week: int | None = switch(
        None,
        "natural",
        "with recruit: the most all recruits together may cost, £ per week (whole pounds); absent: no "
        "budget beyond each hub's limit",
        high=100_000_000,
    )
    allow_unmet: bool = switch(
        True,
        "bool",
        "a client may be left unmet, at the unmet penalty; false: every "
        "client must be served (or the variant is infeasible)",
    )
    unmet_penalty_gbp_per_hour: float = switch(
        1000.0,
        "money",
        "£ per care hour of a client left unmet, per week (far above any care rate: unmet "
        "need is the last resort)",
        high=1e6,
    )
    max_moves: int | None = switch(
        None,
        "natural",
        "continuity: at most this many clients change provider "
        "(a client with a provider left unmet has moved too); absent: no limit",
    )
    move_penalty_gbp: float = switch(0.0, "money", "£ charged per client moved to another provider", high=1e9)
    min_viable: bool = switch(
        False,
        "bool",
        "each provider keeps at least its minimum viable hours "
        "(providers.min_viable_hours), or leaves the market if allow_provider_exit",
    )
    allow_provider_exit: bool = switch(
        True, "bool", "with min_viable: a provider may instead get no clients at all (it leaves the market)"
    )
    max_weekly: bool = switch(
        True, "bool", "no provider grows beyond its maximum weekly hours (providers.max_weekly_hours)"
    )
    max_loss_fraction: float | None = switch(
        None,
        "fraction",
        "no provider loses more than this share of the care hours it delivers today; absent: no limit",
    )
    weight_travel: float = switch(1.0, "weight", "multiplier of the travel cost in the objective", high=1e3)
    weight_care: float = switch(1.0, "weight", "multiplier of the care cost in the objective", high=1e3)
    protect: tuple[int, ...] = switch(
        (), "providers", "these providers' current clients stay with them: never moved, never left unmet"
    )
    lock_out: tuple[tuple[int, int], ...] = switch(
        (), "provider_zones", "these providers take no clients in these zones (a client's own choice stays)"
    )
    reserve: tuple[tuple[int, int], ...] = switch(
        (), "provider_zones", "these zones are served by these providers only (a client's own choice stays)"
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "protect", tuple(int(p) for p in self.protect))
        object.__setattr__(self, "ranked_shares", tuple(float(v) for v in self.ranked_shares))
        self._check_ranked()
        for name in ("lock_out", "reserve"):  # (provider, zone) pairs, from JSON lists too
            object.__setattr__(self, name, tuple((int(p), int(z)) for p, z in getattr(self, name)))
        if any(p < 0 for p in self.protect):
            raise DataError("protect must hold provider indices ≥ 0")
        if self.max_providers_per_zone is not None and self.max_providers_per_zone < 0:
            raise DataError("max_providers_per_zone must be ≥ 0 or None")
        if self.max_moves is not None and self.max_moves < 0:
            raise DataError("max_moves must be ≥ 0 or None")
        if self.max_loss_fraction is not None and not 0.0 <= self.max_loss_fraction <= 1.0:
            raise DataError("max_loss_fraction must be in [0, 1] or None")
        for f in fields(self):
            high, v = f.metadata["high"], getattr(self, f.name)
            if f.metadata["kind"] == "shares":
                continue  # checked by _check_ranked
            if v is None and f.metadata["kind"] in ("count", "natural", "fraction"):
                continue  # absent: the rule's "no limit"
            if high is not None and not (isinstance(v, int | float) and math.isfinite(v) and 0 <= v <= high):
                raise DataError(f"{f.name} must be a number from 0 to {high:g}, got {v!r}")

    def _check_ranked(self) -> None:
        shares = self.ranked_shares
        if not shares:
            return
        if not 2 <= len(shares) <= MAX_RANKS:
            raise DataError(f"ranked_shares needs 2 to {MAX_RANKS} shares (one per rank), got {len(shares)}")
        if any(not (0 < v <= 1) for v in shares) or abs(sum(shares) - 1) > 1e-3:
            raise DataError(f"ranked_shares must be fractions above 0 that add up to 1, got {list(shares)}")
        if list(shares) != sorted(shares, reverse=True):
            raise DataError(f"ranked_shares go lead first, largest share first, got {list(shares)}")
        k = self.max_providers_per_zone
        if k is not None and k != len(shares):
            raise DataError(f"ranked_shares sets the zoning limit to {len(shares)} providers; "
                            f"max_providers_per_zone = {k} contradicts it (leave it out)")


def zone_limits(data: ProblemData, switches: Switches) -> np.ndarray | None:
    """Each zone's limit on providers (-1: none), or None when no zone is limited."""
    k_max, own = switches.max_providers_per_zone, data.client_zone_max_providers
    if switches.ranked_shares:  # ranked zoning: one provider per rank (Switches refuses a different K)
        k_max = len(switches.ranked_shares)
    has_own = own >= 0
    if k_max is None and not has_own.any():
        return None
    out = np.full(data.n_zones, -1 if k_max is None else int(k_max), dtype=np.int64)
    out[data.client_zone[has_own]] = own[has_own]
    return out


# Ranked zoning: at most this many ranks (beyond about four partners complexity explodes: DOMAIN.md)
MAX_RANKS = 4
# SolveParams.lp_hint="auto" solves and rounds the LP relaxation from this many clients (measured in
# BENCHMARKS_HISTORY.md (Solver notes)).
LP_HINT_MIN_CLIENTS = 500
# GLOP's dual simplex on these LPs, measured: 20,000 random clients with carers (2.9m nonzeros) in 36 s on the
# project's machine; clock-limited runs skip an LP start expected to take longer than its share of the time.
LP_NONZEROS_PER_SECOND = 80_000
# Building the CP-SAT model, in eligible pairs a second, kept low for slow machines (measured: 10,000
# clients, 166,675 pairs, 8.8 s; 20,000 clients 22 s). A clock-limited run with no start from the zone path
# skips CP-SAT when building it would take more than half the time left: at 10,000 clients and 18 s, CP-SAT
# found nothing in the 2.4 s left after building, and the run ended on the greedy allocation 15 s late.
MODEL_PAIRS_PER_SECOND = 10_000
LP_TIME_SHARE = 0.75  # at most this share of the time limit for GLOP (20,000 clients: about 16 s)
# Deterministic runs: GLOP's work limit is at least this many units per nonzero (4 times the measured pace
# above), whatever the work limit. Why: the demo's zoned LP (199k nonzeros) needs about 2.4 units; at a work
# limit of 3 its share (2.25) stopped it (ABNORMAL), the run had no start and ended at £1,513,140 against
# £703,267 with the LP finished.
LP_DETERMINISTIC_WORK_PER_NONZERO = 4 / LP_NONZEROS_PER_SECOND
# Component cuts (solver.component_cuts) after the LP: their integer solves start within this share of the
# time limit (the default scenario's six took 0.9 s); deterministic runs count HiGHS's nodes, this is a hard
# stop.
COMPONENT_CUTS_SHARE = 0.1
FIXED_ZONES_SHARE = 0.2  # then CP-SAT with the rounding's zone choice fixed (see solve._fixed_zones_phase)
# The zone choice's LP dive (solver.zone_dive): at most this share of the budget, counted in simplex
# iterations per unit of budget (measured: HiGHS does about 5,000 a second on the default scenario).
DIVE_SHARE = 0.3
# Clock-limited runs: the dive paces itself to finish within this share (fewer candidates a step when it would
# not) and stops there at the latest: a dive stopped early costs more than its overrun.
DIVE_HARD_STOP_SHARE = 0.6
DIVE_ITERATIONS_PER_UNIT = 5_000
# Deterministic runs: the dive's simplex iterations are at least this many per eligible pair, whatever the
# work limit. Why: a dive stopped short leaves the rounding a poor zone choice. Default scenario (12,292
# pairs), K = 2, default work (15 units): the work's share, 22,500 iterations, stopped the dive; the run ended
# at £1,033,340 against £687,981 with the dive finished (41,425 iterations, 3.4 a pair) and HiGHS's packing.
DIVE_ITERATIONS_PER_PAIR = 8
# HiGHS's branch and cut (solver.highs_search) races CP-SAT until this many seconds before the time limit (to
# read and validate its answer), in runs that are not deterministic.
HIGHS_MARGIN_S = 1.0
# HiGHS (the race and the fixed-zones phase) takes part on instances of at most this many eligible pairs:
# beyond, its branch and cut found nothing or far worse in 30 s (vs_highs --workforce: 5,000 clients, 72,673
# pairs, £2.99m against CP-SAT's £1.20m; 20,000 clients nothing) and its time is CP-SAT's.
HIGHS_MAX_PAIRS = 40_000
# Clock-limited zoned runs: HiGHS's branch and cut with the start's zone choice fixed takes at most this share
# (solve._Solve._highs_fixed_zones), stopping earlier within 0.01 % of that choice's optimum.
HIGHS_FIXED_ZONES_SHARE = 0.35
# Deterministic runs: that packing stops after this many branch-and-bound nodes (HiGHS on one thread counts
# its work, not the clock: the same answer every run; the share above is only the hard stop). Measured, the
# demo's zoned variant: one node (the root, with its cuts and heuristics) £703,267, the same as 30 and 100
# nodes, in 14 s; CP-SAT's fixed-zones phase in its place £779,600 and the run £742,192.
HIGHS_DETERMINISTIC_NODES = 1
LP_ROUNDING_SHARE = 0.1  # share of the time limit the rounding's local search over zone choices may use
# Zoned runs whose LP has at least this many nonzeros start from solver.zone_bound instead (a proven bound
# and a start without the x ≤ y rows), with at most this share of the time left (deterministic runs too,
# since ZONE_DETERMINISTIC_STEPS below). Measured on the default scenario, K = 2, pools, 30 s, session
# scripts (the whole LP's path → the zone path): 1,000 clients (199k nonzeros) £688,027 (0.94 %) → £775,490,
# so the LP's path stays; 1,500 (about 320k) £1.24m in 41 s → £1.04m in 4 s; 2,000 (450k) £3.64m in 51 s →
# £1.58m (7.0 %) in 8 s, and at 120 s £1.79m → the same £1.58m; 3,000 (773k) £4.71m, no bound (GLOP stopped)
# → £2.41m (4.1 %); 5,000 (1.4m) the greedy £11.95m, no bound (GLOP not done in 19 s) → £3.78m (8.7 %). It
# was 2m (10,000 clients, 3.0m: the greedy allocation before the path).
ZONE_START_NONZEROS = 300_000
ZONE_START_SHARE = 0.5
# Then HiGHS packs the fixed LP's pairs (solve._Solve._zone_pack) for at most this share of the time limit,
# and the bound's subgradient steps (solver.zone_bound.refine_bound) take what is left but this share (at
# least ZONE_FINISH_MIN_S) for the result's measures and validation (0.1 s at 20,000 clients; more at
# 100,000). A CP-SAT search follows only when time is left (ZONE_SEARCH_MIN_S below).
ZONE_PACK_SHARE = 0.35
ZONE_FINISH_SHARE = 0.03
ZONE_FINISH_MIN_S = 1.0
# A zone path that ends with at least this many seconds left once the CP-SAT model is built (by
# MODEL_PAIRS_PER_SECOND) hands them to CP-SAT on the whole model, hinted with its start
# (solve._Solve.search).
# Measured on the default scenario, 2,000 clients, K = 2: the path ended after 6-8 s of 30, and CP-SAT
# hinted with its £1,576,224 reached £1,549,342 in 20 s (session script).
ZONE_SEARCH_MIN_S = 5.0
# Deterministic runs take the zone path too, counted in work: every LP to its optimum, every zone choice
# tried, HiGHS's packing to HIGHS_DETERMINISTIC_NODES nodes, and at most this many subgradient steps for the
# bound (the shares above are hard stops). Before, they solved the whole LP and dived: default scenario,
# 2,000 clients, K = 2, 6 work units, 60 s: £2,382,193 (38.4 %) in 74 s, past the hard stop; now £1,540,131
# (4.8 %) in 24 s (BENCHMARKS.md).
ZONE_DETERMINISTIC_STEPS = 200
# Deterministic LNS from a validated start (solve._Solve._search_params) proves nothing, so CP-SAT's presolve
# only costs work: about this many work units per eligible pair (6.6 units at 26,384 pairs, measured). Where
# that is more than PRESOLVE_MAX_SHARE of the work limit, the search gets one presolve pass. Default scenario,
# no zoning, 6 units, the full presolve → one pass: 2,000 clients, CP-SAT found nothing (the rounding,
# £1,522,053, 4.9 %) → £1,489,636 (2.8 %); 5,000 clients £3,426,710 (2.7 %) → £3,382,237 (1.4 %); 1,000
# clients £647,669 → £644,766. But at 1,000 clients (12,292 pairs) one pass was mixed: the demo's optimised
# variant (6 units) £654,745 → £657,072, and at 15 units no zoning £640,091 → £641,402, K = 2 £687,980 →
# £687,620; so models below PRESOLVE_ONE_PASS_MIN_PAIRS keep the full presolve (BENCHMARKS.md).
PRESOLVE_WORK_PER_PAIR = 2.5e-4
PRESOLVE_MAX_SHARE = 0.25
PRESOLVE_ONE_PASS_MIN_PAIRS = 20_000

# Deterministic mode's default work limit per second of time limit: CP-SAT does about 0.6-0.8 work units a
# wall second on 2 cores (demo, 1,000 clients), so the work limit normally ends the search before the clock.
WORK_UNITS_PER_SECOND = 0.5
MAX_SEED = 2**31 - 1  # CP-SAT's random_seed is a 32-bit integer
MAX_WORKERS = 64  # CP-SAT starts one thread per worker; far beyond the cores it only thrashes

# Worker portfolios for CP-SAT, measured in BENCHMARKS_HISTORY.md (Solver notes).
# "auto" picks by worker count.
PORTFOLIOS: dict[str, tuple[str, ...]] = {
    "lp": ("max_lp", "default_lp"),  # both workers run LP-based search: bounds leave the root LP
    "default": (),  # CP-SAT's own choice
}


@dataclass(frozen=True)
class SolveParams:
    """How to run CP-SAT.

    ``portfolio``: "auto" (measured default: the LP portfolio on ≤ 8 workers, CP-SAT's own above), "lp", or
    "default"; ``subsolvers`` overrides it with an explicit list of CP-SAT subsolver names.
    ``time_limit_s``: wall-clock seconds, always a hard stop. ``deterministic`` (default): interleaved search
    limited by ``work_limit``, CP-SAT's deterministic work units (default ``time_limit_s`` ×
    ``WORK_UNITS_PER_SECOND``), so equal data, seeds and workers give equal answers even when the limit stops
    the search; a search stopped by the clock before its work limit may not repeat
    (``Result.stopped_by_clock``). Off: the clock alone limits the search, which is then reproducible only
    when it proves optimality. ``lexicographic``: unmet first, then cost, then moves (each stage fixed before
    the next).
    ``progress``: called as ``progress(objective_gbp, bound_gbp, seconds)`` on each improving solution;
    returning True stops the search (the best solution so far is returned).
    ``hint_current``: hint the current allocation (CP-SAT repairs it where it no longer fits).
    ``lp_hint``: "auto" (measured default: on from ``LP_HINT_MIN_CLIENTS`` clients), "on" or "off". When on,
    the LP relaxation is solved first (GLOP) and rounded into a complete assignment (:mod:`solver.lp`); if
    the validator passes it, it replaces the current-allocation hint and is the fall-back answer.
    ``export_model``: write the CP-SAT model
    (``.pb`` or ``.pbtxt``) before solving. ``relative_gap_limit``: stop when the gap is below this.
    ``stop``: an event another thread (e.g. a signal watcher) sets to end the search at once; the best
    solution so far is returned, as for a progress callback returning True.
    ``gap_target_search``: for a model that is a plain generalised assignment, the Lagrangian target search
    of :mod:`solver.lagrange` (measured default: on; off solves the plain model, for comparison).
    """

    # The switches a commissioner sets (scenario file, command line, web form); the rest is for engineers.
    # not "a hard stop": a zoned search finishes its patch choice before it packs (a deliberate trade at
    # short limits), so a short limit on a large run ends a few seconds late (10 s took 12.5 s at 1,000)
    time_limit_s: float = switch(30.0, "seconds", "wall-clock seconds per variant: the search stops at about "
                                 "this time; short limits on large runs can run over by a few seconds to "
                                 "finish the zone choice")
    workers: int = switch(2, "count", "CP-SAT workers (threads): one per core", low=1, high=MAX_WORKERS)
    seed: int = switch(0, "natural", "the solver's random seed", high=MAX_SEED)
    deterministic: bool = switch(
        True,
        "bool",
        "the same data, seed and workers give the same answer on any "
        "machine (the work limit ends the search); false: the clock alone does",
    )
    work_limit: float | None = switch(
        None,
        "work",
        "deterministic work units per variant (CP-SAT's "
        "deterministic time); absent: half a unit per second of time_limit_s",
    )
    lexicographic: bool = False
    log_progress: bool = False
    portfolio: str = "auto"
    subsolvers: tuple[str, ...] | None = None
    hint_current: bool = True
    lp_hint: str = "auto"
    export_model: str | None = None
    relative_gap_limit: float = 0.0
    progress: Callable[[float, float, float], bool | None] | None = None
    extra_parameters: tuple[tuple[str, object], ...] = ()
    gap_target_search: bool = True
    highs_search: bool = True  # HiGHS's branch and cut (solver.highs_search): deterministic runs only pack
    stop: threading.Event | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise DataError(f"time_limit_s must be a finite number of seconds > 0, got {self.time_limit_s!r}")
        if self.work_limit is not None and not (math.isfinite(self.work_limit) and self.work_limit > 0):
            raise DataError(f"work_limit must be a finite number > 0 or None, got {self.work_limit!r}")
        if not isinstance(self.seed, int | np.integer) or not 0 <= self.seed <= MAX_SEED:
            raise DataError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed!r}")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise DataError(f"workers must be from 1 to {MAX_WORKERS}, got {self.workers!r}")
        if self.lp_hint not in ("auto", "on", "off"):
            raise DataError(f"lp_hint must be one of auto, on, off; got {self.lp_hint!r}")
        if self.portfolio not in ("auto", *PORTFOLIOS):
            raise DataError(f"portfolio must be one of auto, {', '.join(PORTFOLIOS)}; got {self.portfolio!r}")

    @property
    def budget(self) -> float:
        """The limit every phase shares: work units when deterministic, else seconds."""
        if not self.deterministic:
            return self.time_limit_s
        return self.work_limit if self.work_limit is not None else self.time_limit_s * WORK_UNITS_PER_SECOND
