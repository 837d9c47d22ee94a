"""Assignment: every client is served through at most one pair, and exactly one unless unmet need is
allowed; an unmet client costs ``unmet_penalty_gbp_per_hour`` × its care hours (objective term ``unmet``)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import Rule
from solver.units import pence


class Assignment(Rule):
    name = "assignment"
    words = "every client must be allocated a provider (unmet need not allowed)"
    params = ("allow_unmet", "unmet_penalty_gbp_per_hour")
    data = (
        "client_weekly_hours",
        "client_visits_per_week",
        "client_carers_per_visit",
        "client_zone",
        "pair_client",
        "pair_provider",
        "pair_travel_minutes",
    )

    def add(self, am) -> dict:
        d, s, m = am.data, am.switches, am.model
        penalty = pence(s.unmet_penalty_gbp_per_hour * d.client_care_hours)
        term = []
        for i in range(d.n_clients):
            xs = [v for _, v in am.pairs_of_client(i)]
            if s.allow_unmet:
                u = m.new_bool_var(f"unmet_{i}")
                am.unmet[i] = u
                m.add_exactly_one([*xs, u])
                term.append(int(penalty[i]) * u)
            elif am.diagnostic:
                m.add_at_most_one(xs)
                m.add(sum(xs) >= 1).only_enforce_if(am.lit(self.name))
            else:
                m.add_exactly_one(xs)
        return {"unmet": cp_model.LinearExpr.sum(term) if term else 0}

    def lp(self, lpm) -> None:
        d, s, n, nx = lpm.data, lpm.switches, lpm.data.n_clients, lpm.nx
        if s.allow_unmet:
            cost = pence(s.unmet_penalty_gbp_per_hour * d.client_care_hours).astype(np.float64)
            u0 = lpm.add_columns("unmet", np.zeros(n), np.ones(n), cost)
            lpm.rows.add_block(
                np.concatenate([lpm.pc, np.arange(n)]),
                np.concatenate([np.arange(nx), u0 + np.arange(n)]),
                np.ones(nx + n),
                np.ones(n),
                np.ones(n),
                name="serve",
            )
        else:
            lpm.rows.add_block(lpm.pc, np.arange(nx), np.ones(nx), np.ones(n), np.ones(n), name="serve")

    def hint(self, am, choice) -> None:
        for i, u in am.unmet.items():
            am.model.add_hint(u, int(choice[i] < 0))

    def check(self, view) -> list[str]:
        unmet = np.nonzero(view.choice < 0)[0]
        if len(unmet) and not view.switches.allow_unmet:
            return [
                f"assignment: {len(unmet)} client(s) unallocated but unmet need is not allowed "
                f"(e.g. {unmet[:5]})"
            ]
        return []

    def precheck(self, data, switches) -> list[str]:
        return []  # short supply is the capacity rules' arithmetic; this rule only says who must be served

    def start(self, pl) -> bool:
        s = pl.switches
        pl.unmet_pence = pence(s.unmet_penalty_gbp_per_hour * pl.data.client_care_hours)
        return s.allow_unmet

    def admits(self, pl, i: int, k: int) -> bool:
        """Leaving a client unmet is cheaper than a pair that costs more than its penalty."""
        return pl.cost_pence[k] <= pl.unmet_pence[i]
