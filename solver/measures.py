"""What an assignment amounts to, recomputed from the data alone: loads, work per zone, the providers serving
each zone, moves, pool draws (max-flow) and the objective's terms. Shared by the independent checks of the
rules (:mod:`solver.validate`), the results (:mod:`solver.solve`) and the heuristics; never uses the model.
Tolerance: 1e-6 hours on each comparison."""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow

from solver.data import ProblemData, Switches

TOL_HOURS = 1e-6
_FLOW_UNITS_PER_HOUR = 10**8  # integer max-flow; truncation error (1e-8 h per arc) far below TOL_HOURS


def assigned_pairs(data: ProblemData, assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
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
    _, idx, _ = assigned_pairs(data, assignment)
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


def objective_terms(data: ProblemData, switches: Switches, assignment: np.ndarray) -> dict[str, float]:
    """The four objective terms in GBP per week (weights applied), recomputed from scratch."""
    assignment = np.asarray(assignment, dtype=np.int64)
    _, idx, _ = assigned_pairs(data, assignment)
    unmet = assignment < 0
    return {
        "travel": float(switches.weight_travel * data.pair_travel_cost_gbp[idx].sum()),
        "care": float(switches.weight_care * data.pair_care_cost_gbp[idx].sum()),
        "moves": float(switches.move_penalty_gbp * count_moves(data, assignment)),
        "unmet": float(switches.unmet_penalty_gbp_per_hour * data.client_care_hours[unmet].sum()),
    }


def zone_staff_hours(data: ProblemData, assignment: np.ndarray) -> np.ndarray:
    """Staff hours (care + travel) each provider spends in each zone, shape (providers, zones)."""
    _, idx, _ = assigned_pairs(data, np.asarray(assignment, dtype=np.int64))
    out = np.zeros((data.n_providers, data.n_zones))
    where = (data.pair_provider[idx], data.client_zone[data.pair_client[idx]])
    np.add.at(out, where, data.pair_staff_hours[idx])
    return out


def pool_draws(data: ProblemData, switches: Switches, assignment: np.ndarray) -> np.ndarray:
    """Pool hours each member draws, shape (pools, providers, zones), covering as much overload as possible.

    Max-flow: source → pool q (its hours) → (p, z) for members p and zones z of q → p (p's staff hours in z)
    → sink (p's overload: staff hours beyond its own capacity).
    """
    q_n, m, z_n = data.n_pools, data.n_providers, data.n_zones
    draws = np.zeros((q_n, m, z_n))
    if q_n == 0 or not switches.pools:
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


