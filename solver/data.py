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
    must have an eligible pair with that provider and is never moved; the client's choice overrides skills).

    Providers (length m): ``provider_weekly_staff_hours`` (≥0, visits plus travel),
    ``provider_hourly_rate_gbp``, ``provider_skills`` (bitmask), ``provider_min_viable_hours`` (care hours,
    ≥0), ``provider_max_weekly_hours`` (care hours, ``inf`` = no cap).

    Pairs (length k, unique (client, provider), sorted on construction): ``pair_client``, ``pair_provider``,
    ``pair_travel_minutes`` (per visit), and the general-form arrays the model actually uses:
    ``pair_staff_hours`` (capacity consumed), ``pair_care_cost_gbp`` and ``pair_travel_cost_gbp``. Use
    :meth:`build` to compute them from hours and travel; a plain GAP fills them directly.
    A pair is *eligible* when the provider's skills cover the client's needs (or the client is pinned to it).

    Pools (length n_pools): ``pool_weekly_hours``, ``pool_members`` (bool n_pools × m),
    ``pool_zones`` (bool n_pools × n_zones).
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
    pool_weekly_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pool_members: np.ndarray | None = None
    pool_zones: np.ndarray | None = None
    zone_names: tuple[str, ...] | None = None
    provider_names: tuple[str, ...] | None = None

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
        client_needs: Sequence[int] | None = None,
        client_current_provider: Sequence[int] | None = None,
        client_pinned_provider: Sequence[int] | None = None,
        provider_skills: Sequence[int] | None = None,
        provider_min_viable_hours: Sequence[float] | None = None,
        provider_max_weekly_hours: Sequence[float] | None = None,
        pool_weekly_hours: Sequence[float] = (),
        pool_members: Sequence[Sequence[bool]] | None = None,
        pool_zones: Sequence[Sequence[bool]] | None = None,
        zone_names: Sequence[str] | None = None,
        provider_names: Sequence[str] | None = None,
        staff_cost_per_hour_gbp: float = DEFAULT_STAFF_COST_PER_HOUR_GBP,
        mileage_gbp_per_travel_hour: float = DEFAULT_MILEAGE_GBP_PER_TRAVEL_HOUR,
    ) -> ProblemData:
        """Build from client/provider attributes and travel minutes; optional arrays get neutral defaults."""
        n = len(client_weekly_hours)
        m = len(provider_weekly_staff_hours)
        minus = np.full(n, -1, dtype=np.int64)
        hours = _arr(client_weekly_hours, np.float64, "client_weekly_hours")
        visits = _arr(client_visits_per_week, np.int64, "client_visits_per_week")
        carers = _arr(client_carers_per_visit, np.int64, "client_carers_per_visit")
        rate = _arr(provider_hourly_rate_gbp, np.float64, "provider_hourly_rate_gbp")
        pc = _arr(pair_client, np.int64, "pair_client")
        pp = _arr(pair_provider, np.int64, "pair_provider")
        tm = _arr(pair_travel_minutes, np.float64, "pair_travel_minutes")
        # Index checks before fancy indexing so the message is ours, not numpy's.
        if len(pc) != len(pp) or len(pc) != len(tm):
            raise DataError("pair_client, pair_provider and pair_travel_minutes must have the same length")
        _check_index(pc, n, "pair_client")
        _check_index(pp, m, "pair_provider")
        if len(hours) != n or len(visits) != n or len(carers) != n:
            raise DataError("client arrays must all have the same length")
        if len(rate) != m:
            raise DataError("provider_hourly_rate_gbp must have one entry per provider")
        staff, care, travel = pair_arrays(
            hours, visits, carers, rate, pc, pp, tm, staff_cost_per_hour_gbp, mileage_gbp_per_travel_hour
        )
        q = len(pool_weekly_hours)
        return cls(
            client_weekly_hours=hours,
            client_visits_per_week=visits,
            client_carers_per_visit=carers,
            client_zone=client_zone,
            client_needs=np.zeros(n, np.int64) if client_needs is None else client_needs,
            client_current_provider=minus if client_current_provider is None else client_current_provider,
            client_pinned_provider=minus if client_pinned_provider is None else client_pinned_provider,
            provider_weekly_staff_hours=provider_weekly_staff_hours,
            provider_hourly_rate_gbp=rate,
            provider_skills=np.zeros(m, np.int64) if provider_skills is None else provider_skills,
            provider_min_viable_hours=(
                np.zeros(m) if provider_min_viable_hours is None else provider_min_viable_hours
            ),
            provider_max_weekly_hours=(
                np.full(m, np.inf) if provider_max_weekly_hours is None else provider_max_weekly_hours
            ),
            pair_client=pc,
            pair_provider=pp,
            pair_travel_minutes=tm,
            pair_staff_hours=staff,
            pair_care_cost_gbp=care,
            pair_travel_cost_gbp=travel,
            n_zones=n_zones,
            pool_weekly_hours=pool_weekly_hours,
            pool_members=np.zeros((q, m), bool) if pool_members is None else pool_members,
            pool_zones=np.zeros((q, n_zones), bool) if pool_zones is None else pool_zones,
            zone_names=None if zone_names is None else tuple(zone_names),
            provider_names=None if provider_names is None else tuple(provider_names),
        )

    def __post_init__(self) -> None:
        s = object.__setattr__  # frozen: normalise arrays once, here
        f64, i64 = np.float64, np.int64
        for name, dt in [
            ("client_weekly_hours", f64), ("client_visits_per_week", i64), ("client_carers_per_visit", i64),
            ("client_zone", i64), ("client_needs", i64), ("client_current_provider", i64),
            ("client_pinned_provider", i64), ("provider_weekly_staff_hours", f64),
            ("provider_hourly_rate_gbp", f64), ("provider_skills", i64), ("provider_min_viable_hours", f64),
            ("provider_max_weekly_hours", f64), ("pair_client", i64), ("pair_provider", i64),
            ("pair_travel_minutes", f64), ("pair_staff_hours", f64), ("pair_care_cost_gbp", f64),
            ("pair_travel_cost_gbp", f64), ("pool_weekly_hours", f64),
        ]:
            value = getattr(self, name)
            if (dt is i64 and isinstance(value, np.ndarray) and value.dtype.kind == "f"
                    and (not np.all(np.isfinite(value)) or np.any(value != np.round(value)))):
                raise DataError(f"{name}: must hold integers")
            s(self, name, _arr(value, dt, name))
            if getattr(self, name).ndim != 1:
                raise DataError(f"{name}: must be one-dimensional, got shape {getattr(self, name).shape}")
        if not isinstance(self.n_zones, int | np.integer) or self.n_zones < 0:
            raise DataError(f"n_zones must be a non-negative integer, got {self.n_zones!r}")
        s(self, "n_zones", int(self.n_zones))
        m, q = self.n_providers, len(self.pool_weekly_hours)
        s(self, "pool_members", _arr(np.zeros((q, m)) if self.pool_members is None else self.pool_members,
                                     bool, "pool_members").reshape(q, m) if q else np.zeros((0, m), bool))
        zones = np.zeros((q, self.n_zones)) if self.pool_zones is None else self.pool_zones
        s(self, "pool_zones", _arr(zones, bool, "pool_zones").reshape(q, self.n_zones) if q else
          np.zeros((0, self.n_zones), bool))
        self._validate()
        # Pairs sorted by (client, provider) so per-client slices are contiguous and output is stable.
        order = np.lexsort((self.pair_provider, self.pair_client))
        if np.any(order != np.arange(len(order))):
            for name in ("pair_client", "pair_provider", "pair_travel_minutes", "pair_staff_hours",
                         "pair_care_cost_gbp", "pair_travel_cost_gbp"):
                s(self, name, _arr(getattr(self, name)[order], getattr(self, name).dtype, name))
        key = self.pair_client * max(m, 1) + self.pair_provider
        dup = np.nonzero(np.diff(np.sort(key)) == 0)[0]
        if len(dup):
            k = np.sort(key)[dup[0]]
            raise DataError(f"pair (client {k // max(m, 1)}, provider {k % max(m, 1)}) is listed twice")
        pin = self.client_pinned_provider
        for i in np.nonzero(pin >= 0)[0]:
            if self.pair_index(int(i), int(pin[i])) < 0:
                raise DataError(
                    f"client {i} is pinned to provider {self._pname(int(pin[i]))} but that pair is not "
                    "eligible (unreachable or beyond the maximum travel); add the pair or unpin the client"
                )

    def _pname(self, p: int) -> str:
        return f"{p} ({self.provider_names[p]!r})" if self.provider_names else str(p)

    def _validate(self) -> None:
        n, m, z = self.n_clients, self.n_providers, self.n_zones

        def length(name: str, expected: int, what: str) -> None:
            got = len(getattr(self, name))
            if got != expected:
                raise DataError(f"{name}: expected {expected} entries (one per {what}), got {got}")

        def finite(name: str, lo: float = -math.inf, hi: float = math.inf, allow_inf: bool = False) -> None:
            a = getattr(self, name)
            bad = np.isnan(a) if allow_inf else ~np.isfinite(a)
            bad |= (a < lo) | (a > hi)
            if np.any(bad):
                j = int(np.nonzero(bad)[0][0])
                raise DataError(f"{name}[{j}] = {a[j]!r} is not a finite number in [{lo}, {hi}]")

        for name in ("client_visits_per_week", "client_carers_per_visit", "client_zone", "client_needs",
                     "client_current_provider", "client_pinned_provider"):
            length(name, n, "client")
        for name in ("provider_hourly_rate_gbp", "provider_skills", "provider_min_viable_hours",
                     "provider_max_weekly_hours"):
            length(name, m, "provider")
        k = len(self.pair_client)
        for name in ("pair_provider", "pair_travel_minutes", "pair_staff_hours", "pair_care_cost_gbp",
                     "pair_travel_cost_gbp"):
            length(name, k, "pair")
        finite("client_weekly_hours", lo=0.0, hi=MAX_HOURS)
        if np.any(self.client_weekly_hours <= 0):
            j = int(np.nonzero(self.client_weekly_hours <= 0)[0][0])
            raise DataError(f"client_weekly_hours[{j}] = {self.client_weekly_hours[j]} must be > 0")
        _check_range(self.client_visits_per_week, 0, 10_000, "client_visits_per_week")
        _check_range(self.client_carers_per_visit, 1, 2, "client_carers_per_visit")
        _check_index(self.client_zone, z, "client_zone")
        _check_range(self.client_needs, 0, 2**62, "client_needs")
        _check_range(self.client_current_provider, -1, m - 1, "client_current_provider")
        _check_range(self.client_pinned_provider, -1, m - 1, "client_pinned_provider")
        finite("provider_weekly_staff_hours", lo=0.0, hi=MAX_HOURS)
        finite("provider_hourly_rate_gbp", lo=-MAX_GBP, hi=MAX_GBP)
        _check_range(self.provider_skills, 0, 2**62, "provider_skills")
        finite("provider_min_viable_hours", lo=0.0, hi=MAX_HOURS)
        finite("provider_max_weekly_hours", lo=0.0, allow_inf=True)
        _check_index(self.pair_client, n, "pair_client")
        _check_index(self.pair_provider, m, "pair_provider")
        finite("pair_travel_minutes", lo=0.0, hi=MAX_HOURS * 60.0)
        finite("pair_staff_hours", lo=0.0, hi=MAX_HOURS)
        finite("pair_care_cost_gbp", lo=-MAX_GBP, hi=MAX_GBP)
        finite("pair_travel_cost_gbp", lo=-MAX_GBP, hi=MAX_GBP)
        finite("pool_weekly_hours", lo=0.0, hi=MAX_HOURS)
        if self.zone_names is not None and len(self.zone_names) != z:
            raise DataError(f"zone_names: expected {z} names, got {len(self.zone_names)}")
        if self.provider_names is not None and len(self.provider_names) != m:
            raise DataError(f"provider_names: expected {m} names, got {len(self.provider_names)}")

    # ------------------------------------------------------------------ derived views
    @property
    def n_clients(self) -> int:
        return len(self.client_weekly_hours)

    @property
    def n_providers(self) -> int:
        return len(self.provider_weekly_staff_hours)

    @property
    def n_pools(self) -> int:
        return len(self.pool_weekly_hours)

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
    def client_pair_start(self) -> np.ndarray:
        """Pairs of client i are ``pair_start[i]:pair_start[i+1]`` (pairs are sorted by client)."""
        return np.searchsorted(self.pair_client, np.arange(self.n_clients + 1)).astype(np.int64)

    def pair_index(self, client: int, provider: int) -> int:
        """Index of pair (client, provider) or -1."""
        a, b = self.client_pair_start[client], self.client_pair_start[client + 1]
        j = a + int(np.searchsorted(self.pair_provider[a:b], provider))
        return j if j < b and self.pair_provider[j] == provider else -1

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


def protected_clients(data: ProblemData, switches: Switches) -> np.ndarray:
    """Clients that must stay with their current, protected provider: those whose current pair is eligible
    (a client the provider can no longer reach or serve cannot stay, and is reported as such)."""
    if not switches.protect:
        return np.zeros(0, dtype=np.int64)
    cur = data.client_current_provider
    out = []
    for i in np.flatnonzero(np.isin(cur, switches.protect)):
        k = data.pair_index(int(i), int(cur[i]))
        if k >= 0 and data.pair_eligible[k]:
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
        None, "count", "zoning: at most this many providers serve any zone (clients who chose their provider "
        "are not counted); absent: no zoning", low=1)
    pools: bool = switch(True, "bool", "shared staff pools on: member providers may draw pool hours for "
                         "clients in the pool's zones")
    allow_unmet: bool = switch(True, "bool", "a client may be left unmet, at the unmet penalty; false: every "
                               "client must be served (or the variant is infeasible)")
    unmet_penalty_gbp_per_hour: float = switch(
        1000.0, "money", "£ per care hour of a client left unmet, per week (far above any care rate: unmet "
        "need is the last resort)", high=1e6)
    max_moves: int | None = switch(None, "natural", "continuity: at most this many clients change provider "
                                   "(a client with a provider left unmet has moved too); absent: no limit")
    move_penalty_gbp: float = switch(0.0, "money", "£ charged per client moved to another provider", high=1e9)
    min_viable: bool = switch(False, "bool", "each provider keeps at least its minimum viable hours "
                              "(providers.min_viable_hours), or leaves the market if allow_provider_exit")
    allow_provider_exit: bool = switch(True, "bool", "with min_viable: a provider may instead get no clients "
                                       "at all (it leaves the market)")
    max_weekly: bool = switch(True, "bool", "no provider grows beyond its maximum weekly hours "
                              "(providers.max_weekly_hours)")
    max_loss_fraction: float | None = switch(None, "fraction", "no provider loses more than this share of "
                                             "the care hours it delivers today; absent: no limit")
    weight_travel: float = switch(1.0, "weight", "multiplier of the travel cost in the objective", high=1e3)
    weight_care: float = switch(1.0, "weight", "multiplier of the care cost in the objective", high=1e3)
    protect: tuple[int, ...] = switch((), "providers", "these providers' current clients stay with them: "
                                      "never moved, never left unmet")
    lock_out: tuple[tuple[int, int], ...] = switch((), "provider_zones", "these providers take no clients in "
                                                   "these zones (a client's own choice stays)")
    reserve: tuple[tuple[int, int], ...] = switch((), "provider_zones", "these zones are served by these "
                                                  "providers only (a client's own choice stays)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "protect", tuple(int(p) for p in self.protect))
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
            if high is not None and not (isinstance(v, int | float) and math.isfinite(v) and 0 <= v <= high):
                raise DataError(f"{f.name} must be a number from 0 to {high:g}, got {v!r}")


# SolveParams.lp_hint="auto" solves and rounds the LP relaxation from this many clients (measured in
# BENCHMARKS_HISTORY.md (Solver notes)).
LP_HINT_MIN_CLIENTS = 500
LP_TIME_SHARE = 0.75  # at most this share of the time limit for GLOP (20,000 clients: about 16 s)
FIXED_ZONES_SHARE = 0.2  # then CP-SAT with the rounding's zone choice fixed (see solve._fixed_zones_phase)
LP_ROUNDING_SHARE = 0.1  # share of the time limit the rounding's local search over zone choices may use

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
    time_limit_s: float = switch(30.0, "seconds", "wall-clock seconds per variant: a hard stop")
    workers: int = switch(2, "count", "CP-SAT workers (threads): one per core", low=1, high=MAX_WORKERS)
    seed: int = switch(0, "natural", "the solver's random seed", high=MAX_SEED)
    deterministic: bool = switch(True, "bool", "the same data, seed and workers give the same answer on any "
                                 "machine (the work limit ends the search); false: the clock alone does")
    work_limit: float | None = switch(None, "work", "deterministic work units per variant (CP-SAT's "
                                      "deterministic time); absent: half a unit per second of time_limit_s")
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
