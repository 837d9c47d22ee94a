"""A fast greedy allocation used as CP-SAT's solution hint and as a fall-back answer.

Clients are placed hardest first (pinned or protected, then fewest eligible providers, then most staff
hours), each with the cheapest provider that still has room (own staff hours only; pools are left to
CP-SAT), within the zoning limit, the maximum weekly hours and the move limit. Clients that fit
nowhere stay unmet.
Sustainability floors are not attempted; the validator checks the result before it is ever returned.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, ScenarioParams
from solver.lp import fixed_provider
from solver.model import minutes_down, minutes_up


def greedy_assignment(data: ProblemData, scenario: ScenarioParams, keep_current: bool = True) -> np.ndarray:
    """Greedy assignment (-1 = unmet); ``keep_current`` tries each client's current provider first."""
    n, m = data.n_clients, data.n_providers
    a = np.full(n, -1, dtype=np.int64)
    start = data.client_pair_start
    elig = data.pair_eligible
    cost = scenario.weight_care * data.pair_care_cost_gbp + scenario.weight_travel * data.pair_travel_cost_gbp
    options = np.diff(np.concatenate([[0], np.cumsum(elig)])[start])
    need = np.zeros(n)
    np.maximum.at(need, data.pair_client, data.pair_staff_hours)
    pinned = data.client_pinned_provider >= 0
    fixed = fixed_provider(data, scenario)  # pinned or protected: placed first, with that provider only
    order = np.lexsort((-need, options, fixed < 0))
    # Same integer minutes and rounding as the model, so a greedy answer is also a model solution.
    staff = minutes_up(data.pair_staff_hours)
    care = minutes_up(data.client_care_hours)
    room = minutes_down(data.provider_weekly_staff_hours).astype(np.float64)
    max_h = data.provider_max_weekly_hours if scenario.enforce_max_weekly else np.full(m, np.inf)
    care_room = np.where(np.isfinite(max_h), minutes_down(max_h), np.inf)
    zone_sets: list[set[int]] = [set() for _ in range(data.n_zones)]
    k_max = scenario.max_providers_per_zone
    moves_left = np.inf if scenario.max_moves is None else scenario.max_moves
    cur = data.client_current_provider
    # Clients whose current provider cannot serve them use up the move budget whatever happens.
    for i in np.nonzero(cur >= 0)[0]:
        k = data.pair_index(int(i), int(cur[i]))
        if k < 0 or not elig[k]:
            moves_left -= 1
    for i in order:
        i = int(i)
        z = int(data.client_zone[i])
        ks = [k for k in range(start[i], start[i + 1]) if elig[k]]
        if fixed[i] >= 0:
            ks = [k for k in ks if data.pair_provider[k] == fixed[i]]
        c = cur[i]
        stay_k = [k for k in ks if data.pair_provider[k] == c]
        if c >= 0 and stay_k and moves_left <= 0:
            ks = stay_k
        ks.sort(key=lambda k: (keep_current and data.pair_provider[k] != c,
                               cost[k] + (scenario.move_penalty_gbp if c >= 0 and data.pair_provider[k] != c
                                          else 0.0)))
        for k in ks:
            p = int(data.pair_provider[k])
            if staff[k] > room[p] or care[i] > care_room[p]:
                continue
            exempt = pinned[i] and p == data.client_pinned_provider[i]  # pinned: outside the zoning limit
            if k_max is not None and not exempt and p not in zone_sets[z] and len(zone_sets[z]) >= k_max:
                continue
            a[i] = p
            room[p] -= staff[k]
            care_room[p] -= care[i]
            if not exempt:
                zone_sets[z].add(p)
            if c >= 0 and p != c and stay_k:
                moves_left -= 1
            break
    return a
