"""Independent checker: recompute every constraint and objective term from the data and a solution.

Nothing here uses the CP-SAT model, so a modelling mistake cannot hide itself: each rule of
:mod:`solver.rules` checks itself (:meth:`~solver.rules.base.Rule.check`) on a :class:`Check`, which holds
what several rules need (loads per provider and per hub, work per zone, pool hours, recruits). Recruits are
either given (and checked) or the cheapest that make each hub's workforce conditions hold
(:func:`solver.measures.least_recruits`). Tolerance: 1e-6 hours on each comparison.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, Switches
from solver.measures import (  # noqa: F401 - part of this module's API
    TOL_HOURS,
    assigned_pairs,
    choice_of,
    count_moves,
    hub_capacity,
    hub_loads,
    hubs_of,
    least_recruits,
    objective_terms,
    pool_draws,
    provider_loads,
    providers_of,
    zone_providers,
    zone_staff_hours,
)


class Check:
    """One solution under check: what the rules' checks share, computed once."""

    def __init__(self, data: ProblemData, switches: Switches, choice: np.ndarray,
                 recruits: np.ndarray | None, unknown_pairs: list[str]):
        self.data, self.switches, self.choice = data, switches, choice
        self.assignment = providers_of(data, choice)
        self.clients, self.pairs = assigned_pairs(choice)
        self.unknown_pairs = unknown_pairs
        self.loads = provider_loads(data, choice)
        self.work = zone_staff_hours(data, choice)
        self.hub = hub_loads(data, choice)
        self.recruits_given = recruits is not None
        self.recruits = least_recruits(data, switches, choice) if recruits is None else recruits
        self.capacity = hub_capacity(data, self.recruits)


def validate_choice(data: ProblemData, switches: Switches, choice: np.ndarray,
                    recruits: np.ndarray | None = None, unknown_pairs: list[str] | None = None) -> list[str]:
    """Every violated rule for a solution given as the pair serving each client (see
    :func:`validate_solution`)."""
    from solver.rules import RULES

    c = np.asarray(choice)
    if c.shape != (data.n_clients,):
        return [f"choice has shape {c.shape}, expected ({data.n_clients},)"]
    c = c.astype(np.int64)
    if np.any((c < -1) | (c >= len(data.pair_client))):
        return ["choice holds pair indices out of range"]
    if np.any(data.pair_client[np.maximum(c[c >= 0], 0)] != np.nonzero(c >= 0)[0]):
        return ["choice gives a client another client's pair"]
    if recruits is not None:
        recruits = np.asarray(recruits)
        if recruits.shape != (data.n_hubs, 2):
            return [f"recruits have shape {recruits.shape}, expected ({data.n_hubs}, 2)"]
    view = Check(data, switches, c, recruits, unknown_pairs or [])
    return [line for rule in RULES for line in rule.check(view)]


def validate_solution(
    data: ProblemData,
    switches: Switches,
    assignment: np.ndarray,
    hubs: np.ndarray | None = None,
    recruits: np.ndarray | None = None,
) -> list[str]:
    """Every violated constraint, as a sentence naming its rule (empty list = the solution is feasible).

    ``assignment[i]`` is the provider of client i or -1 (unmet); ``hubs[i]`` the hub serving it (-1 or
    absent: its first pair with the provider, see :func:`solver.measures.choice_of`); ``recruits`` (hubs × 2:
    drivers, non-drivers) are checked if given, otherwise the cheapest that the solution needs are used.
    """
    a = np.asarray(assignment)
    if a.shape != (data.n_clients,):
        return [f"assignment has shape {a.shape}, expected ({data.n_clients},)"]
    a = a.astype(np.int64)
    if np.any((a < -1) | (a >= data.n_providers)):
        return ["assignment holds provider indices out of range"]
    if hubs is not None and np.shape(hubs) != (data.n_clients,):
        return [f"hubs has shape {np.shape(hubs)}, expected ({data.n_clients},)"]
    choice, unknown = choice_of(data, a, hubs)
    return validate_choice(data, switches, choice, recruits, unknown)
