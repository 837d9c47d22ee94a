"""Independent checker: recompute every constraint and objective term from the data and an assignment.

Nothing here uses the CP-SAT model, so a modelling mistake cannot hide itself. Pool draws are either given
(and checked) or found by a max-flow (pools → provider×zone → provider) that decides whether the pools can
cover every provider's overload. Tolerance: 1e-6 hours on each comparison.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow

from solver.data import ProblemData, ScenarioParams, protected_clients

TOL_HOURS = 1e-6
_FLOW_UNITS_PER_HOUR = 10**8  # integer max-flow; truncation error (1e-8 h per arc) far below TOL_HOURS


def _assigned_pairs(data: ProblemData, assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(clients, pair indices) of assigned clients, plus violations for assignments to non-existent pairs."""
    problems = []
    clients = np.nonzero(assignment >= 0)[0]
    idx = np.array([data.pair_index(int(i), int(assignment[i])) for i in clients], dtype=np.int64)
    for i, k in zip(clients, idx, strict=True):
        if k < 0:
            problems.append(
                f"eligibility: client {i} is assigned to {data.provider_name(int(assignment[i]))}, which "
                "cannot reach it (no eligible pair)"
            )
    ok = idx >= 0
    return clients[ok], idx[ok], problems


def provider_loads(data: ProblemData, assignment: np.ndarray) -> dict[str, np.ndarray]:
    """Per provider: ``care_hours`` (billable), ``travel_hours`` (staff), ``staff_hours`` (care + travel)."""
    assignment = np.asarray(assignment, dtype=np.int64)
    _, idx, _ = _assigned_pairs(data, assignment)
    m = data.n_providers
    p = data.pair_provider[idx]
    care = np.bincount(p, weights=data.client_care_hours[data.pair_client[idx]], minlength=m)
    staff = np.bincount(p, weights=data.pair_staff_hours[idx], minlength=m)
    travel = np.bincount(p, weights=data.pair_travel_hours[idx], minlength=m)
    return {"care_hours": care, "travel_hours": travel, "staff_hours": staff}


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


def objective_terms(data: ProblemData, scenario: ScenarioParams, assignment: np.ndarray) -> dict[str, float]:
    """The four objective terms in GBP per week (weights applied), recomputed from scratch."""
    assignment = np.asarray(assignment, dtype=np.int64)
    _, idx, _ = _assigned_pairs(data, assignment)
    unmet = assignment < 0
    return {
        "travel": float(scenario.weight_travel * data.pair_travel_cost_gbp[idx].sum()),
        "care": float(scenario.weight_care * data.pair_care_cost_gbp[idx].sum()),
        "moves": float(scenario.move_penalty_gbp * count_moves(data, assignment)),
        "unmet": float(scenario.unmet_penalty_per_hour_gbp * data.client_care_hours[unmet].sum()),
    }


def zone_staff_hours(data: ProblemData, assignment: np.ndarray) -> np.ndarray:
    """Staff hours (care + travel) each provider spends in each zone, shape (providers, zones)."""
    _, idx, _ = _assigned_pairs(data, np.asarray(assignment, dtype=np.int64))
    out = np.zeros((data.n_providers, data.n_zones))
    where = (data.pair_provider[idx], data.client_zone[data.pair_client[idx]])
    np.add.at(out, where, data.pair_staff_hours[idx])
    return out


def pool_draws(data: ProblemData, scenario: ScenarioParams, assignment: np.ndarray) -> np.ndarray:
    """Pool hours each member draws, shape (pools, providers, zones), covering as much overload as possible.

    Max-flow: source → pool q (its hours) → (p, z) for members p and zones z of q → p (p's staff hours in z)
    → sink (p's overload: staff hours beyond its own capacity).
    """
    q_n, m, z_n = data.n_pools, data.n_providers, data.n_zones
    draws = np.zeros((q_n, m, z_n))
    if q_n == 0 or not scenario.pools_enabled:
        return draws
    work = zone_staff_hours(data, assignment)
    over = work.sum(axis=1) - data.provider_weekly_staff_hours
    if not np.any(over > 0):
        return draws
    u = _FLOW_UNITS_PER_HOUR
    g = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    pool_node = 2
    prov_node = pool_node + q_n
    pz_node = prov_node + m  # pz_node + p * z_n + z
    arcs = {}
    for q in range(q_n):
        g.add_arc_with_capacity(source, pool_node + q, int(data.pool_weekly_hours[q] * u))
        for p in np.nonzero(data.pool_members[q])[0]:
            if over[p] <= 0:
                continue
            for z in np.nonzero(data.pool_zones[q] & (work[p] > 0))[0]:
                arcs[q, p, z] = g.add_arc_with_capacity(pool_node + q, pz_node + p * z_n + z, 10**15)
    for p in np.nonzero(over > 0)[0]:
        for z in np.nonzero(work[p] > 0)[0]:
            g.add_arc_with_capacity(pz_node + p * z_n + z, prov_node + p, int(work[p, z] * u))
        g.add_arc_with_capacity(prov_node + p, sink, int(np.ceil(over[p] * u)))
    g.solve(source, sink)
    for (q, p, z), a in arcs.items():
        draws[q, p, z] = g.flow(a) / u
    return draws


def validate_solution(
    data: ProblemData,
    scenario: ScenarioParams,
    assignment: np.ndarray,
    pool_draw_hours: np.ndarray | None = None,
) -> list[str]:
    """Every violated constraint, as a sentence (empty list = the assignment is feasible).

    ``assignment[i]`` is the provider of client i or -1 (unmet). ``pool_draw_hours`` (pools × providers ×
    zones) are checked if given; otherwise the best possible draws are computed (:func:`pool_draws`).
    """
    v: list[str] = []
    a = np.asarray(assignment)
    if a.shape != (data.n_clients,):
        return [f"assignment has shape {a.shape}, expected ({data.n_clients},)"]
    a = a.astype(np.int64)
    if np.any((a < -1) | (a >= data.n_providers)):
        return ["assignment holds provider indices out of range"]
    clients, idx, problems = _assigned_pairs(data, a)
    v += problems
    for i, k in zip(clients, idx, strict=True):
        if not data.pair_eligible[k]:
            v.append(f"eligibility: client {i} needs skills {data.provider_name(int(a[i]))} does not have")
    # Assignment / unmet.
    unmet = np.nonzero(a < 0)[0]
    if len(unmet) and not scenario.allow_unmet:
        v.append(f"assignment: {len(unmet)} client(s) unallocated but unmet need is not allowed "
                 f"(e.g. {unmet[:5]})")
    # Pinned.
    pin = data.client_pinned_provider
    for i in np.nonzero((pin >= 0) & (a != pin))[0]:
        v.append(f"pinned: client {i} chose {data.provider_name(int(pin[i]))} but is assigned {a[i]}")
    cur = data.client_current_provider
    for i in protected_clients(data, scenario):
        if a[i] != cur[i]:
            v.append(f"protected: client {i} of protected {data.provider_name(int(cur[i]))} is "
                     + ("left unmet" if a[i] < 0 else f"moved to {data.provider_name(int(a[i]))}"))
    # Capacity with pools.
    loads = provider_loads(data, a)
    work = zone_staff_hours(data, a)
    if pool_draw_hours is None:
        draws = pool_draws(data, scenario, a)
    else:
        draws = np.asarray(pool_draw_hours, dtype=np.float64)
        if draws.shape != (data.n_pools, data.n_providers, data.n_zones):
            v.append(f"pools: draws have shape {draws.shape}, expected (pools, providers, zones)")
            draws = np.zeros((data.n_pools, data.n_providers, data.n_zones))
        if np.any(draws < -TOL_HOURS):
            v.append("pools: negative draw")
        allowed = data.pool_members[:, :, None] & data.pool_zones[:, None, :]
        if not scenario.pools_enabled:
            allowed = np.zeros_like(allowed)
        if np.any(draws[~allowed] > TOL_HOURS):
            v.append("pools: hours drawn by a non-member, for a zone the pool does not cover, or pools off")
        over_pool = draws.sum(axis=(1, 2)) - data.pool_weekly_hours
        for q in np.nonzero(over_pool > TOL_HOURS)[0]:
            v.append(f"pools: pool {q} gives {draws[q].sum():.2f} h, has {data.pool_weekly_hours[q]:.2f} h")
        over_work = draws.sum(axis=0) - work
        for p, z in zip(*np.nonzero(over_work > TOL_HOURS), strict=True):
            v.append(f"pools: {data.provider_name(int(p))} draws more pool hours in {data.zone_name(int(z))} "
                     "than it works there")
    pool_hours = draws.sum(axis=(0, 2))
    for p in range(data.n_providers):
        cap = data.provider_weekly_staff_hours[p] + pool_hours[p]
        if loads["staff_hours"][p] > cap + TOL_HOURS:
            v.append(f"capacity: {data.provider_name(p)} needs {loads['staff_hours'][p]:.2f} staff h/week "
                     f"(care + travel) but has {data.provider_weekly_staff_hours[p]:.2f} h + "
                     f"{pool_hours[p]:.2f} h from pools")
    # Zoning.
    k_max = scenario.max_providers_per_zone
    if k_max is not None:
        for z, provs in enumerate(zone_providers(data, a, exempt_pinned=True)):
            if len(provs) > k_max:
                v.append(f"zoning: {data.zone_name(z)} is served by {len(provs)} providers, limit {k_max} "
                         "(not counting providers chosen by pinned clients)")
    # Continuity.
    moves = count_moves(data, a)
    if scenario.max_moves is not None and moves > scenario.max_moves:
        v.append(f"move_limit: {moves} clients change provider, limit {scenario.max_moves}")
    # Sustainability.
    care = loads["care_hours"]
    for p in range(data.n_providers):
        name = data.provider_name(p)
        if scenario.enforce_max_weekly and care[p] > data.provider_max_weekly_hours[p] + TOL_HOURS:
            v.append(f"max_weekly: {name} gets {care[p]:.2f} care h, max {data.provider_max_weekly_hours[p]}")
        mv = data.provider_min_viable_hours[p]
        exited = scenario.allow_provider_exit and care[p] <= TOL_HOURS
        if scenario.enforce_min_viable and care[p] < mv - TOL_HOURS and not exited:
            v.append(f"min_viable: {name} gets {care[p]:.2f} care h, below its viable {mv:.2f} h")
        if scenario.max_loss_fraction is not None:
            floor_h = (1.0 - scenario.max_loss_fraction) * data.provider_current_care_hours[p]
            if care[p] < floor_h - TOL_HOURS:
                v.append(f"loss_band: {name} keeps {care[p]:.2f} care h, below {floor_h:.2f} h "
                         f"(at most {scenario.max_loss_fraction:.0%} loss)")
    return v
