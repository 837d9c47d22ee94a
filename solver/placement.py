"""Placing clients one at a time under every rule: the state the heuristics share.

The greedy fall-back (:mod:`solver.heuristic`) and the LP rounding (:mod:`solver.lp`) differ only in the order
they take clients and try pairs. Both ask a :class:`Placement` whether a client may take a pair
(:meth:`Placement.admits`: every rule's :meth:`~solver.rules.base.Rule.admits`) and book it
(:meth:`Placement.place`); each rule keeps its own state on the placement (``room``, ``hub_band``,
``zone_counted``, ...), set up by its :meth:`~solver.rules.base.Rule.start`. Counts are the model's integer
minutes (:mod:`solver.units`), so a choice every rule admitted is also a model solution, whatever the floors
(which the heuristics do not attempt: the validator checks every answer before it is used).
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, Switches
from solver.rules.costs import pair_cost_pence
from solver.units import minutes_up


class Placement:
    """One choice being built (the pair serving each client, -1 = unmet). ``recruit_allowance`` (hubs × 2)
    and ``zone_allowed`` (zones × providers) are a caller's plan (the LP's recruits and zone choice), read by
    the recruitment and zoning rules; without them the greedy may recruit up to each hub's limit and zones
    are first come, first served."""

    def __init__(
        self,
        data: ProblemData,
        switches: Switches,
        *,
        recruit_allowance: np.ndarray | None = None,
        zone_allowed: np.ndarray | None = None,
    ):
        from solver.rules import RULES

        self.data, self.switches = data, switches
        self.staff = minutes_up(data.pair_staff_hours).astype(np.float64)
        self.care = minutes_up(data.client_care_hours).astype(np.float64)
        self.cost_pence = pair_cost_pence(data, switches)
        self.fixed = np.full(data.n_clients, -1, dtype=np.int64)  # the one provider a client may have
        self.recruit_allowance = recruit_allowance
        self.zone_allowed = zone_allowed
        self.assignment = np.full(data.n_clients, -1, dtype=np.int64)
        self.choice = np.full(data.n_clients, -1, dtype=np.int64)
        self.rules = [rule for rule in RULES if rule.start(self)]

    def options(self, i: int) -> list[int]:
        """Client i's eligible pairs (only its fixed provider's when it has one: pinned or protected)."""
        d = self.data
        ks = [k for k in range(d.client_pair_start[i], d.client_pair_start[i + 1]) if d.pair_eligible[k]]
        if self.fixed[i] >= 0:
            ks = [k for k in ks if d.pair_provider[k] == self.fixed[i]]
        return ks

    def admits(self, i: int, k: int) -> bool:
        return all(rule.admits(self, i, k) for rule in self.rules)

    def place(self, i: int, k: int) -> None:
        self.assignment[i] = self.data.pair_provider[k]
        self.choice[i] = k
        for rule in self.rules:
            rule.place(self, i, k, 1)

    def unplace(self, i: int, k: int) -> None:
        self.assignment[i] = -1
        self.choice[i] = -1
        for rule in self.rules:
            rule.place(self, i, k, -1)
