"""Independent checker: recompute every constraint and objective term from the data and an assignment.

Nothing here uses the CP-SAT model, so a modelling mistake cannot hide itself: each rule of
:mod:`solver.rules` checks itself (:meth:`~solver.rules.base.Rule.check`) on a :class:`Check`, which holds
what several rules need (loads, work per zone, pool draws). Pool draws are either given (and checked) or
found by a max-flow (pools → provider×zone → provider) that decides whether the pools can cover every
provider's overload. Tolerance: 1e-6 hours on each comparison.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, Switches
from solver.measures import (  # noqa: F401 - part of this module's API
    TOL_HOURS,
    assigned_pairs,
    count_moves,
    objective_terms,
    pool_draws,
    provider_loads,
    zone_providers,
    zone_staff_hours,
)


class Check:
    """One assignment under check: what the rules' checks share, computed once."""

    def __init__(self, data: ProblemData, switches: Switches, assignment: np.ndarray,
                 pool_draw_hours: np.ndarray | None):
        self.data, self.switches, self.assignment = data, switches, assignment
        self.clients, self.pairs, self.unknown_pairs = assigned_pairs(data, assignment)
        self.loads = provider_loads(data, assignment)
        self.work = zone_staff_hours(data, assignment)
        self.draws_given = pool_draw_hours is not None
        self.draws_shape_wrong = None
        shape = (data.n_pools, data.n_providers, data.n_zones)
        if pool_draw_hours is None:
            self.draws = pool_draws(data, switches, assignment)
        elif np.shape(pool_draw_hours) != shape:
            self.draws_shape_wrong = np.shape(pool_draw_hours)
            self.draws = np.zeros(shape)
        else:
            self.draws = np.asarray(pool_draw_hours, dtype=np.float64)


def validate_solution(
    data: ProblemData,
    switches: Switches,
    assignment: np.ndarray,
    pool_draw_hours: np.ndarray | None = None,
) -> list[str]:
    """Every violated constraint, as a sentence naming its rule (empty list = the assignment is feasible).

    ``assignment[i]`` is the provider of client i or -1 (unmet). ``pool_draw_hours`` (pools × providers ×
    zones) are checked if given; otherwise the best possible draws are computed (:func:`pool_draws`).
    """
    from solver.rules import RULES

    a = np.asarray(assignment)
    if a.shape != (data.n_clients,):
        return [f"assignment has shape {a.shape}, expected ({data.n_clients},)"]
    a = a.astype(np.int64)
    if np.any((a < -1) | (a >= data.n_providers)):
        return ["assignment holds provider indices out of range"]
    view = Check(data, switches, a, pool_draw_hours)
    return [line for rule in RULES for line in rule.check(view)]
