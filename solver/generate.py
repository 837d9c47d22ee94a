"""Small self-contained random instances for tests and benchmarks (no geography library needed).

Zones are cells of a square region; each provider has a base and serves clients within ``max_travel_minutes``
(straight line at 40 km/h, × 1.3 circuity, plus a few minutes). Staff capacity totals ``capacity_ratio`` ×
the demand at the nearest provider. A few pools cover blocks of zones with 2–4 member providers.
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
    return ProblemData.build(
        client_weekly_hours=hours,
        client_visits_per_week=visits,
        client_carers_per_visit=carers,
        client_zone=zone,
        client_needs=needs,
        client_current_provider=current,
        provider_weekly_staff_hours=cap,
        provider_hourly_rate_gbp=rate,
        provider_skills=skills | 0,
        provider_min_viable_hours=np.round(cap * 0.3, 0),
        provider_max_weekly_hours=np.round(cap * 1.5, 0),
        pair_client=pc,
        pair_provider=pp,
        pair_travel_minutes=tm,
        n_zones=n_zones,
        pool_weekly_hours=pools_h,
        pool_members=np.array(members).reshape(n_pools, n_providers),
        pool_zones=np.array(pzones).reshape(n_pools, n_zones),
    )
