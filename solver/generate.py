"""Small self-contained random instances for tests and benchmarks (no geography library needed).

Zones are cells of a square region; each provider has a base and serves clients within ``max_travel_minutes``
(straight line at 40 km/h, × 1.3 circuity, plus a few minutes). Staff capacity totals ``capacity_ratio`` ×
the demand at the nearest provider. A few pools cover blocks of zones with 2–4 member providers.

With ``workforce=True`` the capacity is carers at hubs instead: each provider has one to three hubs (its base
and places near its clients) whose carers (about 30 % non-drivers, 25 h a week each, limited hours in the
four time bands' windows) are sized like the staff hours above; pools are carers at a hub in their zones;
clients' visits fall in one to four bands; a client is within non-drivers' reach of a hub within
``near_minutes``.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData

_HOURS = np.array([2.0, 3.5, 5.0, 7.0, 10.5, 14.0, 21.0])
_HOURS_P = np.array([0.15, 0.2, 0.2, 0.2, 0.12, 0.08, 0.05])


def random_instance(
    n_clients: int,
    n_providers: int = 15,
    n_zones: int = 125,
    seed: int = 0,
    capacity_ratio: float = 1.15,
    max_travel_minutes: float = 25.0,
    n_pools: int = 4,
    n_skills: int = 3,
    current_share: float = 0.8,
    workforce: bool = False,
    near_minutes: float = 12.0,
) -> ProblemData:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_zones)))
    km = 100.0  # region is km × km
    cell = km / side
    zc = np.array([((z % side) + 0.5, (z // side) + 0.5) for z in range(n_zones)]) * cell
    zone_weight = rng.gamma(2.0, 1.0, n_zones)
    zone = rng.choice(n_zones, n_clients, p=zone_weight / zone_weight.sum())
    xy = zc[zone] + rng.uniform(-cell / 2, cell / 2, (n_clients, 2))
    base = rng.uniform(0.1 * km, 0.9 * km, (n_providers, 2))
    hours = rng.choice(_HOURS, n_clients, p=_HOURS_P)
    visits = np.clip(np.round(hours / 0.75), 1, 28).astype(int)
    carers = np.where(rng.random(n_clients) < 0.1, 2, 1)
    needs = np.where(rng.random((n_clients, n_skills)) < 0.15, 1, 0) @ (1 << np.arange(n_skills))
    skills = np.where(rng.random((n_providers, n_skills)) < 0.8, 1, 0) @ (1 << np.arange(n_skills))
    dist = np.linalg.norm(xy[:, None, :] - base[None, :, :], axis=2)
    needs = needs & skills[dist.argmin(axis=1)]  # the nearest provider can always serve the client
    # Carers live near clients, not at the base: per-visit travel is a fraction of the base distance.
    travel = 3.0 + 0.25 * dist * 1.3 / 40.0 * 60.0 + rng.uniform(0, 4, dist.shape)
    reach = travel <= max_travel_minutes
    # Everyone reachable by someone: the nearest provider always reaches.
    reach[np.arange(n_clients), dist.argmin(axis=1)] = True
    pc, pp = np.nonzero(reach)
    tm = np.round(travel[pc, pp], 1)
    staff_need = carers * (hours + visits * travel.min(axis=1) / 60.0)
    # Each provider is sized for the clients nearest to it, give or take 20 %.
    nearest = np.bincount(dist.argmin(axis=1), weights=staff_need, minlength=n_providers)
    cap = np.round(np.maximum(nearest * capacity_ratio * rng.uniform(0.8, 1.2, n_providers), 20.0), 1)
    rate = np.round(rng.uniform(19.0, 26.0, n_providers), 2)
    # Current provider: a random reachable provider for most clients.
    current = np.full(n_clients, -1)
    for i in np.nonzero(rng.random(n_clients) < current_share)[0]:
        cands = np.nonzero(reach[i])[0]
        current[i] = rng.choice(cands)
    pools_h, members, pzones = [], [], []
    for _ in range(n_pools):
        c = rng.integers(0, side, 2)
        zs = [z for z in range(n_zones) if abs(z % side - c[0]) <= 1 and abs(z // side - c[1]) <= 1]
        mem = rng.choice(n_providers, rng.integers(2, 5), replace=False)
        pools_h.append(float(rng.integers(20, 120)))
        members.append(np.isin(np.arange(n_providers), mem))
        pzones.append(np.isin(np.arange(n_zones), zs))
    common = dict(
        client_weekly_hours=hours,
        client_visits_per_week=visits,
        client_carers_per_visit=carers,
        client_zone=zone,
        client_needs=needs,
        client_current_provider=current,
        provider_hourly_rate_gbp=rate,
        provider_skills=skills | 0,
        provider_min_viable_hours=np.round(cap * 0.3, 0),
        provider_max_weekly_hours=np.round(cap * 1.5, 0),
        n_zones=n_zones,
        pool_members=np.array(members).reshape(n_pools, n_providers),
        pool_zones=np.array(pzones).reshape(n_pools, n_zones),
    )
    if workforce:
        hubs = _hubs(rng, xy, base, cap, reach, common, zc, pools_h, near_minutes, capacity_ratio)
        return ProblemData.build(**common, **hubs, provider_weekly_staff_hours=np.full(n_providers, np.inf))
    return ProblemData.build(
        **common,
        provider_weekly_staff_hours=cap,
        pair_client=pc,
        pair_provider=pp,
        pair_travel_minutes=tm,
        pool_weekly_hours=pools_h,
    )


BAND_NAMES = ("morning", "lunch", "tea", "bed")
# Hours a carer can work in each band's window over a week: the window (07:00-10:30, 12:00-14:00,
# 16:30-18:30, 19:30-22:00) on five working days.
CARER_BAND_HOURS = np.array([17.5, 10.0, 10.0, 12.5])
WEEKLY_HOURS_PER_CARER = 25.0


def _minutes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Travel minutes per visit from hubs (km): 40 km/h, × 1.3 circuity, 3 minutes to park; halved, as a
    hub's carers live around it, not at one point."""
    return 3.0 + 0.5 * np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2) * 1.3 / 40.0 * 60.0


def _hubs(rng, xy, base, cap, reach, common: dict, zc, pools_h, near_minutes, ratio: float) -> dict:
    """Hubs of carers, pairs from them and the clients' bands (see the module doc)."""
    n, m = reach.shape
    pool_zones, zone = common["pool_zones"], common["client_zone"]
    sites, owner = [], []
    for p in range(m):
        mine = np.nonzero(reach[:, p])[0]
        extra = rng.choice(mine, min(len(mine), int(rng.integers(0, 3))), replace=False) if len(mine) else []
        for point in [base[p], *xy[extra]]:
            sites.append(point)
            owner.append(p)
    hub_xy, owner = np.array(sites), np.array(owner)
    travel = _minutes(xy, hub_xy)
    quickest = np.where(reach[:, owner], travel, np.inf)
    nearest = quickest.argmin(axis=1)  # each client's quickest reachable hub: sized for its staff hours
    c = common
    need = c["client_carers_per_visit"] * (c["client_weekly_hours"]
                                          + c["client_visits_per_week"] * quickest.min(axis=1) / 60.0)
    spread = rng.uniform(0.8, 1.2, len(owner))
    hours = np.bincount(nearest, weights=need, minlength=len(owner)) * ratio * spread
    carers = np.maximum(np.round(hours / WEEKLY_HOURS_PER_CARER), 1).astype(int)
    pool_hubs = [zc[np.nonzero(row)[0][len(np.nonzero(row)[0]) // 2]] for row in pool_zones]
    pool_carers = [max(1, round(h / WEEKLY_HOURS_PER_CARER)) for h in pools_h]
    all_xy = np.array([*hub_xy, *pool_hubs]).reshape(-1, 2)
    all_carers = np.array([*carers, *pool_carers])
    non = np.round(all_carers * rng.uniform(0.05, 0.25, len(all_carers))).astype(int)
    pc, pp, ph = _hub_pairs(reach, owner, common["pool_members"], pool_zones, zone)
    minutes = _minutes(xy, all_xy)[pc, ph]
    bands = rng.random((n, 4)) < np.array([0.9, 0.5, 0.5, 0.6])
    bands[np.arange(n), rng.integers(0, 4, n)] = True
    return dict(
        pair_client=pc,
        pair_provider=pp,
        pair_hub=ph,
        pair_travel_minutes=np.round(minutes, 1),
        pair_near=minutes <= near_minutes,
        client_band_share=bands / bands.sum(axis=1, keepdims=True),
        hub_provider=np.array([*owner, *[-1] * len(pool_hubs)]),
        hub_pool=np.array([*[-1] * len(owner), *range(len(pool_hubs))]),
        hub_drivers=all_carers - non,
        hub_non_drivers=non,
        hub_carer_weekly_hours=np.full(len(all_xy), WEEKLY_HOURS_PER_CARER),
        hub_carer_band_hours=np.tile(CARER_BAND_HOURS, (len(all_xy), 1)),
        band_names=BAND_NAMES,
    )


def _hub_pairs(reach, owner, members, pool_zones, zone) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client, provider, hub) for every reachable provider from each of its hubs, and for pool members'
    clients in the pool's zones from the pool's hub."""
    rows = []
    for h, p in enumerate(owner):
        clients = np.nonzero(reach[:, p])[0]
        rows.append(np.stack([clients, np.full(len(clients), p), np.full(len(clients), h)], axis=1))
    for q in range(len(pool_zones)):
        for p in np.nonzero(members[q])[0]:
            clients = np.nonzero(reach[:, p] & pool_zones[q][zone])[0]
            rows.append(
                np.stack([clients, np.full(len(clients), p), np.full(len(clients), len(owner) + q)], 1)
            )
    out = np.concatenate(rows).astype(np.int64)
    return out[:, 0], out[:, 1], out[:, 2]
