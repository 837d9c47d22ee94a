"""A fast greedy allocation used as a fall-back answer when CP-SAT finds nothing in time.

Clients are placed hardest first (pinned or protected, then fewest eligible providers, then most staff
hours), each with the cheapest pair that every rule admits (:class:`solver.placement.Placement`: own staff
hours only, pools are left to CP-SAT; the zoning limit, the maximum weekly hours, the move limit, and no
pair dearer than leaving the client unmet). Clients that fit nowhere stay unmet. Sustainability floors are
not attempted; the validator checks the result before it is ever returned.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, Switches
from solver.placement import Placement


def greedy_assignment(data: ProblemData, switches: Switches, keep_current: bool = True) -> np.ndarray:
    """Greedy assignment (-1 = unmet); ``keep_current`` tries each client's current provider first."""
    d, s = data, switches
    pl = Placement(d, s)
    elig = d.pair_eligible
    options = np.diff(np.concatenate([[0], np.cumsum(elig)])[d.client_pair_start])
    need = np.zeros(d.n_clients)
    np.maximum.at(need, d.pair_client, d.pair_staff_hours)
    order = np.lexsort((-need, options, pl.fixed < 0))
    cost = s.weight_care * d.pair_care_cost_gbp + s.weight_travel * d.pair_travel_cost_gbp
    cur = d.client_current_provider
    for i in order:
        i, c = int(i), int(cur[i])

        def key(k: int, i=i, c=c):
            moving = c >= 0 and d.pair_provider[k] != c
            return (
                keep_current and d.pair_provider[k] != c,
                cost[k] + (s.move_penalty_gbp if moving else 0.0),
            )

        k = next((k for k in sorted(pl.options(i), key=key) if pl.admits(i, k)), None)
        if k is not None:
            pl.place(i, k)
    return pl.assignment
