"""The tables of a generated scenario: providers sized to the demand, today's fragmented allocation,
shared staff pools, and the clients, providers, hubs and pools tables as written.

How the current allocation reproduces how fragmentation arose: three ranked providers per patch took
60/25/15% of new work (the 2012 model), then packages handed back and re-brokered drifted to any provider
reaching the patch; a few packages wait for a provider. Every draw comes from the one generator passed to
:func:`build`, in a fixed order (clients, providers, reach, hubs and carers, skills, allocation, carers
refitted to today's work, provider figures, pools and their hubs): the same seed gives the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from commissioning.inputs.domain import Client, Dataset, Hub, Provider
from commissioning.running.travel import client_provider_travel, travel_model_for
from commissioning.synthetic.assumptions import (
    ARGYLL_BUTE_POOLS,
    DRIFT_SHARE,
    IN_HOUSE_SHARE,
    PINNED_SHARE,
    POOL_SHARE,
    RANK_SHARES,
    RATE_GBP,
    REACH_MINUTES,
    TRAVEL_MINUTES_PER_VISIT,
    WAITING_SHARE,
)
from commissioning.synthetic.clients import band_visit_counts, client_attributes, place_clients
from commissioning.synthetic.geography import Geography
from commissioning.synthetic.hub_work import ClientWork, near_share, today_work
from commissioning.synthetic.providers import (
    ProviderPlan,
    provider_zone_minutes,
    region_providers,
    snap_sites,
    user_providers,
)
from commissioning.synthetic.workforce import (
    HubPlan,
    cap_non_drivers,
    fit_hubs_to_work,
    hub_table,
    pool_hubs,
    provider_hubs,
    size_provider_hubs,
)
from commissioning.vocabulary import BAND_NAMES, LIST_SEPARATOR, NEEDS

# The council's in-house service ranks as if nearer (its minutes × these factors, tried in turn) until it is
# expected to carry about its share of the work: it takes the packages nobody else will.
IN_HOUSE_RANK_FACTORS = (1.0, 0.8, 0.65, 0.5, 0.4, 0.3, 0.2, 0.1)


@dataclass
class GeneratedTables:
    clients: pd.DataFrame
    providers: pd.DataFrame
    hubs: pd.DataFrame
    pools: pd.DataFrame
    zones: pd.DataFrame


@dataclass
class _Clients:
    """The drawn clients before a provider is chosen: where, what package, and the staff hours it needs."""

    lon: np.ndarray
    lat: np.ndarray
    zone: np.ndarray
    attr: dict[str, np.ndarray]  # hours, visits, bands, carers, needs, funder
    zone_index: np.ndarray  # position of the client's zone in the zones table
    staff_need: np.ndarray  # staff hours per week including estimated travel (both carers)
    demand_by_zone: np.ndarray  # staff_need summed per zone
    work: ClientWork  # for the run's own travel from hubs


def build(geo: Geography, n_clients: int, n_providers: int, max_pool_members: int,
          rng: np.random.Generator) -> GeneratedTables:
    """The scenario's tables (the rng is drawn in the order of the steps below: keep it)."""
    geo.hub_sites = snap_sites(geo)
    clients = _draw_clients(geo, n_clients, rng)
    providers = (region_providers(geo, n_providers) if geo.region_key is not None
                 else user_providers(geo, n_providers, rng))
    kinds = np.array([p.kind for p in providers])
    nearest, ranked, expected = _rank_providers(geo, providers, kinds, clients.demand_by_zone, rng)
    hubs = provider_hubs(geo, providers, expected)
    staff = size_provider_hubs(geo, hubs, kinds, float(clients.demand_by_zone.sum()), rng)
    skills = _skills(kinds, staff, rng)
    current, pinned = _current_allocation(clients, ranked, skills, staff, rng)
    # The providers have the carers for the work they hold today (short where the seeds say): sized on the
    # run's own travel from each hub, once today's allocation is known.
    work = today_work(geo, [(h.lon, h.lat) for h in hubs], np.array([h.owner for h in hubs]), current,
                      clients.work)
    waiting = float(clients.staff_need[current < 0].sum())
    staff = fit_hubs_to_work(geo, hubs, work, float(work.week.sum()) + waiting, len(providers), rng)
    provider_ids = [f"P{i + 1:02d}" for i in range(len(providers))]
    providers_df = _provider_table(geo, providers, kinds, provider_ids, staff, skills, hubs,
                                   clients.attr["hours"], current, rng)
    pools_df, pool_hubs_ = _pool_table(geo, clients, current, nearest, provider_ids, max_pool_members, rng)
    hubs_df = hub_table(hubs + pool_hubs_, provider_ids)
    clients_df = _client_table(clients, current, pinned, provider_ids)
    return GeneratedTables(clients_df, providers_df, hubs_df, pools_df, geo.zones)


def _draw_clients(geo: Geography, n_clients: int, rng: np.random.Generator) -> _Clients:
    zone_ids = list(geo.zones["zone_id"])
    zindex = {z: i for i, z in enumerate(zone_ids)}
    remote_z = geo.zones["remote"].to_numpy(bool)
    lon, lat, zone = place_clients(geo, n_clients, rng)
    attr = client_attributes(n_clients, rng)
    zi_client = np.array([zindex[z] for z in zone])
    per_visit = np.array([TRAVEL_MINUTES_PER_VISIT[bool(r)] for r in remote_z])
    travel_h = attr["visits"] * per_visit[zi_client] / 60
    staff_need = (attr["hours"] + travel_h) * attr["carers"]  # staff hours incl. estimated travel
    demand_z = np.bincount(zi_client, weights=staff_need, minlength=len(zone_ids))
    per_band = band_visit_counts(attr["visits"], attr["bands"])
    work = ClientWork(lon, lat, attr["bands"], per_band, attr["hours"], attr["carers"])
    return _Clients(lon, lat, zone, attr, zi_client, staff_need, demand_z, work)


def _rank_providers(geo: Geography, providers: list[ProviderPlan], kinds: np.ndarray, demand_z: np.ndarray,
                    rng: np.random.Generator):
    """``(nearest minutes provider × zone, ranked providers per zone, expected staff hours provider × zone)``.

    A provider reaches a zone when a hub is within ``REACH_MINUTES`` or nearly the closest; the ranking
    uses the demand-weighted minutes with some noise (providers do not choose by travel alone).
    """
    zone_of_site = geo.hub_sites["zone"].to_numpy().astype(str)
    nearest, mean_minutes = provider_zone_minutes(geo, providers, zone_of_site)
    best = nearest.min(axis=0)
    reach = (nearest <= REACH_MINUTES) | (nearest <= best[None, :] + 30.0)
    noisy = mean_minutes * rng.lognormal(0.0, 0.25, size=mean_minutes.shape)
    inh = kinds == "in_house"
    for in_house_factor in IN_HOUSE_RANK_FACTORS:
        ranked, expected = _ranked(noisy, reach, inh, demand_z, in_house_factor)
        if not inh.any() or expected[inh].sum() >= (IN_HOUSE_SHARE - 0.02) * expected.sum():
            break
    return nearest, ranked, expected


def _ranked(noisy: np.ndarray, reach: np.ndarray, inh: np.ndarray, demand_z: np.ndarray,
            in_house_factor: float) -> tuple[list[list[int]], np.ndarray]:
    """Ranked providers per zone and each provider's expected staff hours per zone (60/25/15 plus drift)."""
    score = noisy * np.where(inh, in_house_factor, 1.0)[:, None]
    ranked: list[list[int]] = []
    expected = np.zeros(reach.shape)
    for zi in range(reach.shape[1]):
        cand = np.flatnonzero(reach[:, zi])
        order = [int(c) for c in cand[np.argsort(score[cand, zi], kind="stable")]]
        ranked.append(order)
        shares = np.array(RANK_SHARES[: min(3, len(order))])
        for s, pi in zip(shares / shares.sum(), order[:3], strict=False):
            expected[pi, zi] += demand_z[zi] * (1 - DRIFT_SHARE) * s
        for pi in order:
            expected[pi, zi] += demand_z[zi] * DRIFT_SHARE / len(order)
    return ranked, expected


def _skills(kinds: np.ndarray, staff: np.ndarray, rng: np.random.Generator) -> list[set[str]]:
    """Every need, except palliative care for a few independents and moving and handling for the smallest."""
    inh = kinds == "in_house"
    skills = []
    lack_palliative = set(rng.choice(np.flatnonzero(kinds != "in_house"), size=min(3, int((~inh).sum())),
                                     replace=False).tolist()) if (~inh).any() else set()
    small = [i for i in np.argsort(staff, kind="stable") if kinds[i] != "in_house"][:2]
    for pi in range(len(kinds)):
        s = set(NEEDS)
        if pi in lack_palliative:
            s.discard("palliative")
        if pi in small and rng.random() < 0.7:
            s.discard("moving_handling")
        skills.append(s)
    return skills


def _current_allocation(clients: _Clients, ranked: list[list[int]], skills: list[set[str]], staff: np.ndarray,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Today's provider per client (-1: waiting): ranked 60/25/15, drift, capacity-aware, a few waiting;
    and who is pinned by their own choice."""
    n_clients = len(clients.lon)
    need_sets = [frozenset(np.array(NEEDS)[row]) for row in clients.attr["needs"]]
    current = np.full(n_clients, -1)
    load = np.zeros(len(skills))
    waiting = rng.random(n_clients) < WAITING_SHARE
    drift = rng.random(n_clients) < DRIFT_SHARE
    pick = rng.random(n_clients)
    for c in rng.permutation(n_clients):
        if waiting[c]:
            continue
        order = ranked[clients.zone_index[c]]
        if not order:
            continue
        if drift[c]:
            cand = [order[int(i)] for i in rng.permutation(len(order))]
        else:
            shares = np.cumsum(np.array(RANK_SHARES[: min(3, len(order))]))
            first = int(np.searchsorted(shares, pick[c] * shares[-1], side="right"))
            first = min(first, len(shares) - 1)
            cand = [order[first]] + [p for p in order if p != order[first]]
        for pi in cand:
            if need_sets[c] <= skills[pi] and load[pi] + clients.staff_need[c] <= staff[pi]:
                current[c] = pi
                load[pi] += clients.staff_need[c]
                break
        # nobody reaching the patch has room or skills: the package waits (unmet need)
    pinned = (current >= 0) & (rng.random(n_clients) < PINNED_SHARE)
    return current, pinned


def _provider_table(geo: Geography, providers: list[ProviderPlan], kinds: np.ndarray, provider_ids: list[str],
                    staff: np.ndarray, skills: list[set[str]], hubs: list[HubPlan], hours: np.ndarray,
                    current: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """providers.csv. ``weekly_staff_hours`` is the sum of the provider's hubs (an overall cap that never
    binds on its own: the hubs carry the capacity); ``non_driver_share`` the share of its carers who do not
    drive."""
    n_prov = len(providers)
    current_care = np.bincount(current[current >= 0], weights=hours[current >= 0], minlength=n_prov)
    rate_lo = np.array([RATE_GBP[k][0] for k in kinds])
    rate_hi = np.array([RATE_GBP[k][1] for k in kinds])
    rate = np.round(rng.uniform(rate_lo, rate_hi), 2)
    owner = np.array([h.owner for h in hubs])
    carers = np.bincount(owner, weights=[h.carers for h in hubs], minlength=n_prov)
    drivers = np.bincount(owner, weights=[h.drivers for h in hubs], minlength=n_prov)
    non_driver = np.round(1.0 - drivers / np.maximum(carers, 1), 2)
    min_viable = np.round(np.minimum(rng.uniform(0.3, 0.4, n_prov) * current_care, 0.5 * staff), 1)
    max_hours = np.round(1.5 * staff, 1)
    sites = geo.hub_sites
    return pd.DataFrame({
        "provider_id": provider_ids,
        "name": [p.name for p in providers],
        "kind": kinds,
        "base_lon": [float(sites["lon"].iloc[p.hubs[0]]) for p in providers],
        "base_lat": [float(sites["lat"].iloc[p.hubs[0]]) for p in providers],
        "weekly_staff_hours": staff,
        "hourly_rate_gbp": rate,
        "skills": [LIST_SEPARATOR.join(n for n in NEEDS if n in s) for s in skills],
        "non_driver_share": non_driver,
        "min_viable_hours": min_viable,
        "max_weekly_hours": max_hours,
    })


def _pool_table(geo: Geography, clients: _Clients, current: np.ndarray, nearest: np.ndarray,
                provider_ids: list[str], max_pool_members: int,
                rng: np.random.Generator) -> tuple[pd.DataFrame, list[HubPlan]]:
    """Shared staff pools: the providers serving the pool's zones most (at least two, at most
    ``max_pool_members``), and carers at hubs in the pool's zones for a share of the care there. pools.csv
    leaves ``weekly_hours`` empty: the hubs carry the pool's carers."""
    zone_ids = list(geo.zones["zone_id"])
    zindex = {z: i for i, z in enumerate(zone_ids)}
    zi_client, staff_need, attr = clients.zone_index, clients.staff_need, clients.attr
    care_z = np.bincount(zi_client, weights=attr["hours"] * attr["carers"], minlength=len(zone_ids))
    pool_rows, hubs = [], []
    for pool_id, pool_zones in _pool_specs(geo, zi_client, current, zone_ids):
        zsel = np.isin(zi_client, [zindex[z] for z in pool_zones])
        pool_demand = staff_need[zsel].sum()
        if pool_demand <= 0:
            continue
        served = np.bincount(current[zsel & (current >= 0)], weights=staff_need[zsel & (current >= 0)],
                             minlength=len(provider_ids))
        members = [int(i) for i in np.argsort(-served, kind="stable") if served[i] > 0][:max_pool_members]
        # a pool is shared: with fewer than two members, add the next-nearest providers
        nearby = np.argsort(nearest[:, [zindex[z] for z in pool_zones]].min(axis=1), kind="stable")
        for extra in nearby:
            if len(members) >= min(2, max_pool_members):
                break
            if int(extra) not in members:
                members.append(int(extra))
        care = care_z[[zindex[z] for z in pool_zones]]
        hours = float(rng.uniform(*POOL_SHARE) * care.sum())
        mine = pool_hubs(geo, pool_id, pool_zones, care, hours, rng)
        rows = [np.flatnonzero(zi_client == zindex[h.zone]) for h in mine]
        share = near_share(geo, [(h.lon, h.lat) for h in mine], clients.work, rows)
        cap_non_drivers(mine, share * np.array([h.capacity for h in mine]))
        hubs += mine
        pool_rows.append({"pool_id": pool_id, "zones": LIST_SEPARATOR.join(pool_zones), "weekly_hours": "",
                          "members": LIST_SEPARATOR.join(provider_ids[m] for m in sorted(members))})
    return pd.DataFrame(pool_rows, columns=["pool_id", "zones", "weekly_hours", "members"]), hubs


def _client_table(clients: _Clients, current: np.ndarray, pinned: np.ndarray,
                  provider_ids: list[str]) -> pd.DataFrame:
    n_clients = len(clients.lon)
    attr = clients.attr
    band_names = np.array(BAND_NAMES)
    per_band = clients.work.band_visits
    return pd.DataFrame({
        "client_id": [f"C{i + 1:0{max(4, len(str(n_clients)))}d}" for i in range(n_clients)],
        "lon": clients.lon, "lat": clients.lat, "zone": clients.zone,
        "weekly_hours": attr["hours"],
        "visits_per_week": attr["visits"],
        "carers_per_visit": attr["carers"],
        "time_bands": [LIST_SEPARATOR.join(band_names[row]) for row in attr["bands"]],
        **{f"{band}_visits": per_band[:, b] for b, band in enumerate(BAND_NAMES)},
        "needs": [LIST_SEPARATOR.join(np.array(NEEDS)[row]) for row in attr["needs"]],
        "funder": attr["funder"],
        "current_provider": [provider_ids[c] if c >= 0 else "" for c in current],
        "pinned": np.where(pinned, "yes", "no"),
    })


def _pinned_staff_hours(sc: GeneratedTables, geo: Geography, rows: np.ndarray) -> np.ndarray:
    """Staff hours per week of clients ``rows`` with their current provider, priced as a run prices them
    (:func:`commissioning.running.travel.client_provider_travel`: the quickest hub in each of the client's
    bands)."""
    c = sc.clients.iloc[rows]
    clients = tuple(
        Client(r.client_id, r.lon, r.lat, r.zone, round(r.weekly_hours, 2), int(r.visits_per_week),
               int(r.carers_per_visit), tuple(r.time_bands.split(";")), (), r.funder, r.current_provider)
        for r in c.itertuples())
    providers = tuple(
        Provider(r.provider_id, r.name, r.kind, r.base_lon, r.base_lat, r.weekly_staff_hours,
                 r.hourly_rate_gbp, (), r.non_driver_share) for r in sc.providers.itertuples())
    hubs = tuple(Hub(hub_id=r.hub_id, provider_id=r.provider_id, lon=r.lon, lat=r.lat, carers=r.carers,
                     drivers=r.drivers, weekly_hours_per_carer=r.weekly_hours_per_carer)
                 for r in sc.hubs.itertuples() if r.provider_id)
    data = Dataset(clients, providers, hubs, (), (), {"region": geo.region_key}, geo.travel_model)
    minutes, _ = client_provider_travel(data, travel_model_for(data))
    column = {pid: k for k, pid in enumerate(sc.providers["provider_id"])}
    own = minutes[np.arange(len(rows)), [column[pid] for pid in c["current_provider"]]]
    hours = c["weekly_hours"].round(2).to_numpy() + c["visits_per_week"].to_numpy() * own / 60.0
    return c["carers_per_visit"].to_numpy() * hours


def fit_pinned_clients(sc: GeneratedTables, geo: Geography) -> int:
    """Unpin, largest first, clients whose chosen provider cannot carry every client who chose it: a pinned
    client can be neither moved nor left unmet, so such a provider makes every variant infeasible. Its own
    staff hours must hold them (pools left aside) and its maximum weekly hours their care. Returns how many
    clients were unpinned (issue 10: one small seed in twenty was infeasible)."""
    rows = np.flatnonzero(sc.clients["pinned"].to_numpy() == "yes")
    if not len(rows):
        return 0
    staff = _pinned_staff_hours(sc, geo, rows)
    staff = np.where(np.isfinite(staff), staff, 0.0)  # unreachable: a run unpins those itself
    care = (sc.clients["weekly_hours"].round(2) * sc.clients["carers_per_visit"]).to_numpy()[rows]
    owner = sc.clients["current_provider"].to_numpy()[rows]
    unpin = []
    for p in sc.providers.itertuples():
        mine = np.flatnonzero(owner == p.provider_id)
        mine = mine[np.argsort(-staff[mine], kind="stable")]
        # 1 % below the limits: the run rounds minutes up and capacities down.
        while len(mine) and (staff[mine].sum() > 0.99 * p.weekly_staff_hours
                             or care[mine].sum() > 0.99 * p.max_weekly_hours):
            unpin.append(rows[mine[0]])
            mine = mine[1:]
    if unpin:
        column = sc.clients.columns.get_loc("pinned")
        sc.clients.iloc[np.sort(unpin), column] = "no"
    return len(unpin)


def _pool_specs(geo: Geography, zi_client, current, zone_ids) -> list[tuple[str, list[str]]]:
    if geo.region_key == "argyll-bute":
        specs = []
        for pool_id, pzones in ARGYLL_BUTE_POOLS:
            present = [z for z in pzones if z in zone_ids]
            if present:
                specs.append((pool_id, present))
        return specs
    # Own geography: the least dense zones (fewest providers breaking ties), grouped with touching ones.
    zones = geo.zones
    has_clients = np.bincount(zi_client, minlength=len(zone_ids)) > 0
    n_providers = np.array([len(set(current[(zi_client == zi) & (current >= 0)].tolist()))
                            for zi in range(len(zone_ids))])
    density = zones["density"].to_numpy(float) if "density" in zones else np.zeros(len(zone_ids))
    order = [int(i) for i in np.lexsort((n_providers, density)) if has_clients[i]]
    low = set(order[: max(1, len(order) // 2)])
    geoms = list(zones["geometry"])
    used: set[int] = set()
    specs = []
    for zi in order:
        if len(specs) >= 5:
            break
        if zi in used:
            continue
        group = [zi]
        used.add(zi)
        for other in order:
            if len(group) >= 3:
                break
            if other in used or other not in low:
                continue
            if shapely.intersects(geoms[zi], geoms[other]):
                group.append(other)
                used.add(other)
        specs.append((f"pool_{len(specs) + 1}", [zone_ids[g] for g in sorted(group)]))
    return specs
