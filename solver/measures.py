"""What a solution amounts to, recomputed from the data alone: the pair each client is served by, loads per
provider and per hub (weekly and by time band, within and beyond non-drivers' reach), the carers a hub must
recruit, work per zone, the providers serving each zone, moves, pool hours and the objective's terms. Shared
by the independent checks of the rules (:mod:`solver.validate`), the results (:mod:`solver.core`) and the
heuristics; never uses the model. Tolerance: 1e-6 hours on each comparison.

A solution is a ``choice``: the pair serving each client (-1 = unmet), and the carers ``recruits`` at each
hub (hubs × 2: drivers, non-drivers). Callers outside the core speak of an ``assignment`` (the provider of
each client) and ``hubs`` (the hub serving it); :func:`choice_of` turns one into the other.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from solver.data import ProblemData, Switches, zone_limits
from solver.units import minutes_down

TOL_HOURS = 1e-6
DRIVERS, NON_DRIVERS = 0, 1  # the two kinds of carer, columns of ``recruits``


def choice_of(
    data: ProblemData, assignment: np.ndarray, hubs: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """The pair serving each client (-1 = unmet) from providers and hubs, plus a sentence for each client
    assigned to a (provider, hub) it has no pair with. Without ``hubs`` (or where a hub is -1) a client takes
    its first pair with the provider: the hub-less one when there is one."""
    a = np.asarray(assignment, dtype=np.int64)
    choice = np.full(data.n_clients, -1, dtype=np.int64)
    problems = []
    for i in np.nonzero(a >= 0)[0]:
        hub = None if hubs is None or hubs[i] < 0 else int(hubs[i])
        k = data.pair_index(int(i), int(a[i]), hub)
        if k < 0:
            via = "" if hub is None else f" from {data.hub_name(hub)}"
            problems.append(
                f"eligibility: client {i} is assigned to {data.provider_name(int(a[i]))}{via}, "
                "which cannot reach it (no eligible pair)"
            )
        choice[i] = k
    return choice, problems


def providers_of(data: ProblemData, choice: np.ndarray) -> np.ndarray:
    """The provider of each client (-1 = unmet)."""
    return _of_pair(data.pair_provider, choice)


def hubs_of(data: ProblemData, choice: np.ndarray) -> np.ndarray:
    """The hub serving each client (-1 = unmet, or served by a provider's staff at large)."""
    return _of_pair(data.pair_hub, choice)


def _of_pair(values: np.ndarray, choice: np.ndarray) -> np.ndarray:
    out = np.full(len(choice), -1, dtype=np.int64)
    served = choice >= 0
    out[served] = values[choice[served]]
    return out


def assigned_pairs(choice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(clients, pair indices) of the clients a pair serves."""
    clients = np.nonzero(choice >= 0)[0]
    return clients, choice[clients]


def provider_loads(data: ProblemData, choice: np.ndarray) -> dict[str, np.ndarray]:
    """Per provider: ``care_hours`` (billable), ``travel_hours`` (staff), ``staff_hours`` (care + travel), and
    ``own_staff_hours`` (staff hours of its own carers: those served from a pool's hub left out)."""
    _, ks = assigned_pairs(choice)
    m, p = data.n_providers, data.pair_provider[ks]
    own = data.pair_pool[ks] < 0
    return {
        "care_hours": np.bincount(p, weights=data.client_care_hours[data.pair_client[ks]], minlength=m),
        "travel_hours": np.bincount(p, weights=data.pair_travel_hours[ks], minlength=m),
        "staff_hours": np.bincount(p, weights=data.pair_staff_hours[ks], minlength=m),
        "own_staff_hours": np.bincount(p[own], weights=data.pair_staff_hours[ks][own], minlength=m),
    }


def hub_loads(data: ProblemData, choice: np.ndarray) -> dict[str, np.ndarray]:
    """Per hub (H × B, hours a week): ``band`` staff hours in each band, ``near`` those within non-drivers'
    reach, ``far`` those only drivers can serve."""
    _, ks = assigned_pairs(choice)
    ks = ks[data.pair_hub[ks] >= 0]
    shape = (data.n_hubs, data.n_bands)
    band, near = np.zeros(shape), np.zeros(shape)
    np.add.at(band, data.pair_hub[ks], data.pair_band_staff_hours[ks])
    close = ks[data.pair_near[ks]]
    np.add.at(near, data.pair_hub[close], data.pair_band_staff_hours[close])
    return {"band": band, "near": near, "far": band - near}


def hub_capacity(data: ProblemData, recruits: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per hub: carers' ``weekly`` hours and ``band`` hours (H × B), for drivers (``driver_*``) and
    non-drivers (``non_driver_*``) and in all (``weekly``, ``band``), recruits included."""
    drivers, non = data.hub_drivers.astype(float), data.hub_non_drivers.astype(float)
    if recruits is not None:
        drivers, non = drivers + recruits[:, DRIVERS], non + recruits[:, NON_DRIVERS]
    return _capacity(drivers, non, data.hub_carer_weekly_hours, data.hub_carer_band_hours)


def _capacity(drivers: np.ndarray, non: np.ndarray, week: np.ndarray, band: np.ndarray) -> dict:
    """:func:`hub_capacity` for the hubs whose carer counts and hours per carer are given."""

    def times(count: np.ndarray, hours: np.ndarray) -> np.ndarray:
        c = count if hours.ndim == 1 else count[:, None]
        with np.errstate(invalid="ignore"):  # 0 carers × an unlimited band: no hours
            return np.where(c > 0, c * hours, 0.0)  # no carers: no hours, even where a band is unlimited

    out = {
        "driver_weekly": times(drivers, week),
        "non_driver_weekly": times(non, week),
        "driver_band": times(drivers, band),
        "non_driver_band": times(non, band),
    }
    out["weekly"] = out["driver_weekly"] + out["non_driver_weekly"]
    out["band"] = out["driver_band"] + out["non_driver_band"]
    return out


def workforce_shortfalls(loads: dict, cap: dict) -> dict[str, np.ndarray]:
    """Hours short at each hub, by condition (each 0 when it holds; see :mod:`solver.rules.drivers`):
    ``weekly`` (H), ``band`` (H × B), and the drivers' conditions ``far`` (H × B: visits beyond reach over
    drivers' band hours), ``non_driver_week`` (H: what drivers cannot take in a band, over non-drivers' week)
    and ``driver_week`` (H: what non-drivers cannot take, over drivers' week)."""
    d, near, far = loads["band"], loads["near"], loads["far"]
    lo = np.maximum(d - cap["driver_band"], 0.0)
    hi = np.minimum(cap["non_driver_band"], near)
    return {
        "weekly": np.maximum(d.sum(axis=1) - cap["weekly"], 0.0),
        "band": np.maximum(d - cap["band"], 0.0),
        "far": np.maximum(far - cap["driver_band"], 0.0),
        "non_driver_week": np.maximum(lo.sum(axis=1) - cap["non_driver_weekly"], 0.0),
        "driver_week": np.maximum(d.sum(axis=1) - hi.sum(axis=1) - cap["driver_weekly"], 0.0),
    }


def hubs_short(shortfalls: dict[str, np.ndarray]) -> np.ndarray:
    """Per hub: some workforce condition fails."""
    out = np.zeros(len(shortfalls["weekly"]), dtype=bool)
    for value in shortfalls.values():
        out |= (value > TOL_HOURS) if value.ndim == 1 else (value > TOL_HOURS).any(axis=1)
    return out


def recruit_limits(data: ProblemData, switches: Switches) -> np.ndarray:
    """Most carers each hub may recruit (0 without recruitment)."""
    if not switches.recruit:
        return np.zeros(data.n_hubs, dtype=np.int64)
    limit = np.minimum(data.hub_max_recruits, float(switches.max_recruits_per_hub))
    return np.floor(limit).astype(np.int64)


def least_recruits(data: ProblemData, switches: Switches, choice: np.ndarray) -> np.ndarray:
    """The cheapest carers to recruit at each hub (hubs × 2: drivers, non-drivers) so that its workforce
    conditions hold for ``choice``, within the hub's limit; at a hub where no number within the limit is
    enough, the limit's worth of drivers (the conditions then fail, and the validator says so)."""
    out = np.zeros((data.n_hubs, 2), dtype=np.int64)
    limits = recruit_limits(data, switches)
    if not switches.workforce or not limits.any():
        return out
    loads = hub_loads(data, choice)
    short = hubs_short(workforce_shortfalls(loads, hub_capacity(data)))
    for h in np.nonzero(short & (limits > 0))[0]:
        found = cheapest_recruits(data, switches, loads, int(h), int(limits[h]))
        out[h] = found if found is not None else (limits[h], 0)
    return out


def cheapest_recruits(
    data: ProblemData, switches: Switches, loads: dict, h: int, limit: int
) -> tuple[int, int] | None:
    """The cheapest (drivers, non-drivers) to recruit at hub h, at most ``limit`` in all, so that its
    conditions hold for ``loads``; None when no such number exists. Ties go to fewer non-drivers.

    More carers of a kind never hurt, so the fewest drivers that fit can only fall as non-drivers are
    added: one walk down that staircase finds each number's fewest drivers (about 2 × limit checks, where
    a bisection per number took limit × log2(limit) and made the demo's shortfall table take seconds)."""
    fits = _hub_fits(data, loads, h)
    best, best_cost = None, np.inf
    drivers = limit
    for r_n in range(limit + 1):
        drivers = min(drivers, limit - r_n)
        if not fits(drivers, r_n):
            continue
        while drivers > 0 and fits(drivers - 1, r_n):
            drivers -= 1
        cost = (
            drivers * switches.recruit_driver_cost_gbp_per_carer_week
            + r_n * switches.recruit_cost_gbp_per_carer_week
        )
        if cost < best_cost - 1e-9:
            best, best_cost = (drivers, r_n), cost
    return best


def _hub_fits(data: ProblemData, loads: dict, h: int):
    """fits(drivers, non_drivers): hub h's conditions hold for ``loads`` with that many carers added."""
    one = {key: value[h : h + 1] for key, value in loads.items()}
    drivers, non = data.hub_drivers[h : h + 1].astype(float), data.hub_non_drivers[h : h + 1].astype(float)
    week, band = data.hub_carer_weekly_hours[h : h + 1], data.hub_carer_band_hours[h : h + 1]

    def fits(r_d: int, r_n: int) -> bool:
        cap = _capacity(drivers + r_d, non + r_n, week, band)
        return not hubs_short(workforce_shortfalls(one, cap))[0]

    return fits


def zone_providers(
    data: ProblemData, assignment: np.ndarray, exempt_pinned: bool = False
) -> list[tuple[int, ...]]:
    """For each zone, the sorted providers serving at least one of its clients.

    ``exempt_pinned``: leave out clients served by the provider they chose (pinned), which the zoning limit
    does not count; this is the set the K-providers-per-zone rule applies to.
    """
    a = np.asarray(assignment)
    sets: list[set[int]] = [set() for _ in range(data.n_zones)]
    served = a >= 0
    if exempt_pinned:
        served &= a != data.client_pinned_provider
    for i in np.nonzero(served)[0]:
        sets[int(data.client_zone[i])].add(int(a[i]))
    return [tuple(sorted(s)) for s in sets]


def count_moves(data: ProblemData, assignment: np.ndarray) -> int:
    cur = data.client_current_provider
    return int(np.sum((cur >= 0) & (np.asarray(assignment) != cur)))


def recruitment_cost_gbp(switches: Switches, recruits: np.ndarray) -> float:
    if not len(recruits):
        return 0.0
    return float(
        recruits[:, DRIVERS].sum() * switches.recruit_driver_cost_gbp_per_carer_week
        + recruits[:, NON_DRIVERS].sum() * switches.recruit_cost_gbp_per_carer_week
    )


def objective_terms(
    data: ProblemData, switches: Switches, choice: np.ndarray, recruits: np.ndarray | None = None
) -> dict[str, float]:
    """The objective's terms in GBP per week (weights applied), recomputed from scratch; ``recruits``
    default: the cheapest the choice needs (:func:`least_recruits`)."""
    _, ks = assigned_pairs(choice)
    if recruits is None:
        recruits = least_recruits(data, switches, choice)
    unmet = choice < 0
    terms = {
        "travel": float(switches.weight_travel * data.pair_travel_cost_gbp[ks].sum()),
        "care": float(switches.weight_care * data.pair_care_cost_gbp[ks].sum()),
        "recruitment": recruitment_cost_gbp(switches, recruits),
        "moves": float(switches.move_penalty_gbp * count_moves(data, providers_of(data, choice))),
        "unmet": float(switches.unmet_penalty_gbp_per_hour * data.client_care_hours[unmet].sum()),
    }
    if switches.ranked_shares:
        terms["shares"] = share_cost_gbp(data, switches, choice)
    return terms


def zone_staff_hours(data: ProblemData, choice: np.ndarray) -> np.ndarray:
    """Staff hours (care + travel) each provider spends in each zone, shape (providers, zones)."""
    _, ks = assigned_pairs(choice)
    out = np.zeros((data.n_providers, data.n_zones))
    np.add.at(
        out, (data.pair_provider[ks], data.client_zone[data.pair_client[ks]]), data.pair_staff_hours[ks]
    )
    return out


def pool_draws(data: ProblemData, choice: np.ndarray) -> np.ndarray:
    """Staff hours each member serves from each pool's hubs, shape (pools, providers, zones)."""
    _, ks = assigned_pairs(choice)
    ks = ks[data.pair_pool[ks] >= 0]
    out = np.zeros((data.n_pools, data.n_providers, data.n_zones))
    where = (data.pair_pool[ks], data.pair_provider[ks], data.client_zone[data.pair_client[ks]])
    np.add.at(out, where, data.pair_staff_hours[ks])
    return out


# Ranked zoning (solver.rules.ranked_zoning): the ranking of an allocation and what its deviations cost.
# Units, so that the model and the validator agree to the penny: care minutes per client rounded down,
# shares in thousandths, a deviation in whole minutes rounded up, the penalty in whole pence a minute.
MILLI = 1000


def share_milli(switches) -> list[int]:
    """The ranks' shares in thousandths."""
    return [int(round(MILLI * s)) for s in switches.ranked_shares]


def penalty_pence_per_minute(switches) -> int:
    return int(round(switches.share_penalty_gbp_per_hour * 100 / 60))


def ranked_zones(data, switches) -> list[int]:
    """The zones whose limit is the number of ranks (every limited zone unless it has a lower own limit)."""
    limits = zone_limits(data, switches)
    if not switches.ranked_shares or limits is None:
        return []
    return [int(z) for z in np.flatnonzero(limits == len(switches.ranked_shares))]


def deviation_minutes(minutes_by_rank: list[int], total: int, shares: list[int]) -> list[int]:
    """Each rank's deviation in whole minutes (rounded up) from its share of ``total``."""
    return [-(-abs(MILLI * g - s * total) // MILLI) for g, s in zip(minutes_by_rank, shares, strict=True)]


def rank_zone(minutes: dict[int, int], shares: list[int]) -> tuple[list[int], list[int]]:
    """The ranking of a zone's providers (their care minutes) with the least total deviation: ``(provider
    per rank, -1 when empty; deviation minutes per rank)``; ties go to the ranking met first (providers in
    order of their position)."""
    providers = sorted(minutes, key=lambda p: (-minutes[p], p))[: len(shares)]  # more: zoning is broken
    total = sum(minutes.values())
    best: tuple[int, list[int], list[int]] | None = None
    for ranks in permutations(range(len(shares)), len(providers)):
        holder = [-1] * len(shares)
        for p, j in zip(providers, ranks, strict=True):
            holder[j] = p
        dev = deviation_minutes([minutes[p] if p >= 0 else 0 for p in holder], total, shares)
        if best is None or sum(dev) < best[0]:
            best = (sum(dev), holder, dev)
    return (best[1], best[2]) if best is not None else ([-1] * len(shares), [0] * len(shares))


def zone_care_minutes(data, switches, choice: np.ndarray) -> dict[int, dict[int, int]]:
    """Per ranked zone, each serving provider's care minutes (clients who chose their provider are not
    counted)."""
    zones = ranked_zones(data, switches)
    served = providers_of(data, choice)
    free = (served >= 0) & (served != data.client_pinned_provider) & np.isin(data.client_zone, zones)
    where = (data.client_zone[free], served[free])
    minutes = np.zeros((data.n_zones, data.n_providers), dtype=np.int64)
    np.add.at(minutes, where, minutes_down(data.client_care_hours)[free])
    serving = np.zeros(minutes.shape, dtype=bool)
    serving[where] = True
    return {z: {int(p): int(minutes[z, p]) for p in np.flatnonzero(serving[z])} for z in zones}


def share_table(data, switches, choice: np.ndarray) -> list[dict]:
    """Per ranked zone and rank: the provider (-1: none), its care hours, share of the zone and target, and
    the deviation in hours; the cheapest ranking of ``choice``."""
    shares, out = share_milli(switches), []
    for z, minutes in zone_care_minutes(data, switches, choice).items():
        holder, dev = rank_zone(minutes, shares)
        total = sum(minutes.values())
        for j, p in enumerate(holder):
            mine = minutes.get(p, 0) if p >= 0 else 0
            out.append({"zone": z, "rank": j + 1, "provider": p, "care_hours": mine / 60.0,
                        "share": mine / total if total else 0.0, "target_share": shares[j] / MILLI,
                        "deviation_hours": dev[j] / 60.0})
    return out


def share_cost_gbp(data, switches, choice: np.ndarray) -> float:
    """The objective's ``shares`` term: deviation minutes × the penalty (whole pence per minute)."""
    shares, rate = share_milli(switches), penalty_pence_per_minute(switches)
    minutes = sum(sum(rank_zone(m, shares)[1]) for m in zone_care_minutes(data, switches, choice).values())
    return minutes * rate / 100.0
