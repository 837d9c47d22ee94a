"""A fast greedy allocation used as a fall-back answer when CP-SAT finds nothing in time.

Clients are placed hardest first (pinned or protected, then fewest eligible pairs, then most staff hours),
each with the cheapest pair (a provider and a hub) that every rule admits (:class:`solver.placement
.Placement`: providers' overall hours, hubs' weekly and band hours and drivers, recruiting up to each hub's
limit when allowed; the zoning limit, the maximum weekly hours, the move limit, and no pair dearer than
leaving the client unmet). Clients that fit nowhere stay unmet. Sustainability floors are
not attempted; the validator checks the result before it is ever returned.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, Switches
from solver.placement import Placement


def greedy_choice(data: ProblemData, switches: Switches, keep_current: bool = True) -> np.ndarray:
    """Greedy choice (the pair serving each client, -1 = unmet); ``keep_current`` tries each client's current
    provider first, from its current hub first."""
    d, s = data, switches
    pl = Placement(d, s)
    elig = d.pair_eligible
    options = np.diff(np.concatenate([[0], np.cumsum(elig)])[d.client_pair_start])
    need = np.zeros(d.n_clients)
    np.maximum.at(need, d.pair_client, d.pair_staff_hours)
    order = np.lexsort((-need, options, pl.fixed < 0))
    cost = s.weight_care * d.pair_care_cost_gbp + s.weight_travel * d.pair_travel_cost_gbp
    cur, cur_hub = d.client_current_provider, d.client_current_hub
    for i in order:
        i, c, c_hub = int(i), int(cur[i]), int(cur_hub[i])

        def key(k: int, c=c, c_hub=c_hub):
            moving = c >= 0 and d.pair_provider[k] != c
            return (
                keep_current and d.pair_provider[k] != c,
                keep_current and d.pair_hub[k] != c_hub,
                cost[k] + (s.move_penalty_gbp if moving else 0.0),
            )

        k = next((k for k in sorted(pl.options(i), key=key) if pl.admits(i, k)), None)
        if k is not None:
            pl.place(i, k)
    return pl.choice
