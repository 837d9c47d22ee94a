"""Recruitment: with ``recruit`` on, the optimiser may add carers at hubs (``recruits[h, kind]``: drivers or
non-drivers) instead of leaving need unmet, each at a weekly cost (``recruit_driver_cost_gbp_per_carer_week``,
``recruit_cost_gbp_per_carer_week``; objective term ``recruitment``), at most ``max_recruits_per_hub`` (or the
hub's own ``hub_max_recruits``) at a hub. Recruits are carers like the others: the hub, band and driver rules
count them (:func:`solver.rules.workforce.staff`)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.measures import DRIVERS, NON_DRIVERS, least_recruits, recruit_limits
from solver.rules.base import ALWAYS, Rule
from solver.rules.workforce import hub_pairs
from solver.units import pence


def recruit_cost_pence(switches) -> tuple[int, int]:
    """Weekly cost of one recruit, drivers then non-drivers, in the model's pence."""
    return (
        int(pence(switches.recruit_driver_cost_gbp_per_carer_week)),
        int(pence(switches.recruit_cost_gbp_per_carer_week)),
    )


def recruit_spend_gbp(switches, recruits: np.ndarray) -> float:
    """Weekly cost of ``recruits`` (hubs × drivers, non-drivers), £."""
    if not len(recruits):
        return 0.0
    return float(recruits[:, DRIVERS].sum() * switches.recruit_driver_cost_gbp_per_carer_week
                 + recruits[:, NON_DRIVERS].sum() * switches.recruit_cost_gbp_per_carer_week)


class Recruitment(Rule):
    name = "recruitment"
    words = ""  # recruits only add carers: never a conflict of their own
    params = (
        "recruit",
        "recruit_cost_gbp_per_carer_week",
        "recruit_driver_cost_gbp_per_carer_week",
        "max_recruits_per_hub",
        "recruit_budget_gbp_per_week",
    )
    data = ("hub_max_recruits",)

    def add(self, am) -> dict:
        d, s, m = am.data, am.switches, am.model
        if not (s.recruit and s.workforce):
            return {"recruitment": 0}
        limits, cost = recruit_limits(d, s), recruit_cost_pence(s)
        terms = []
        for h in sorted(hub_pairs(am)):
            if limits[h] <= 0:
                continue
            pair = [
                m.new_int_var(0, int(limits[h]), f"recruit_{h}_{kind}") for kind in (DRIVERS, NON_DRIVERS)
            ]
            am.recruits[h, DRIVERS], am.recruits[h, NON_DRIVERS] = pair
            m.add(sum(pair) <= int(limits[h]))
            terms += [cost[DRIVERS] * pair[DRIVERS], cost[NON_DRIVERS] * pair[NON_DRIVERS]]
        if terms and s.recruit_budget_gbp_per_week is not None:
            m.add(cp_model.LinearExpr.sum(terms) <= int(pence(s.recruit_budget_gbp_per_week)))
        return {"recruitment": cp_model.LinearExpr.sum(terms) if terms else 0}

    def lp(self, lpm) -> None:
        d, s = lpm.data, lpm.switches
        if not (s.recruit and s.workforce):
            return
        limits, cost = recruit_limits(d, s), recruit_cost_pence(s)
        from solver.rules.workforce import lp_hub_pairs

        columns = []
        for h in sorted(lp_hub_pairs(lpm)):
            if limits[h] <= 0:
                continue
            keys = [(h, DRIVERS), (h, NON_DRIVERS)]
            r0 = lpm.add_columns(
                "recruits", np.zeros(2), np.full(2, float(limits[h])), np.array(cost, dtype=np.float64), keys
            )
            lpm.rows.add([r0, r0 + 1], [1.0, 1.0], -np.inf, float(limits[h]))
            columns += [r0, r0 + 1]
        if columns and s.recruit_budget_gbp_per_week is not None:
            lpm.rows.add(columns, [float(c) for c in cost] * (len(columns) // 2), -np.inf,
                         float(pence(s.recruit_budget_gbp_per_week)))

    def hint(self, am, choice) -> None:
        if not am.recruits:
            return
        recruits = least_recruits(am.data, am.switches, choice)
        for (h, kind), v in am.recruits.items():
            am.model.add_hint(v, int(recruits[h, kind]))

    def check(self, view) -> list[str]:
        d, s, r = view.data, view.switches, view.recruits
        if not view.recruits_given or not len(r):
            return []
        if np.any(r < 0) or np.any(r != np.round(r)):
            return ["recruitment: recruits must be whole carers, at least 0"]
        if not (s.recruit and s.workforce) and r.sum() > 0:
            return [f"recruitment: {int(r.sum())} carers recruited but recruitment is off"]
        over = r.sum(axis=1) > recruit_limits(d, s)
        out = [
            f"recruitment: {int(r[h].sum())} carers recruited at {d.hub_name(int(h))}, at most "
            f"{int(recruit_limits(d, s)[h])} may be"
            for h in np.nonzero(over)[0]
        ]
        spent = recruit_spend_gbp(s, r)
        if s.recruit_budget_gbp_per_week is not None and spent > s.recruit_budget_gbp_per_week + 1e-6:
            out.append(f"recruitment: recruits cost £{spent:,.0f} a week, over the budget of "
                       f"£{s.recruit_budget_gbp_per_week:,} (recruit_budget_gbp_per_week)")
        return out

    def precheck(self, data, switches) -> list[str]:
        return []  # recruits only add carers; the hub rules count them

    def start(self, pl) -> bool:
        """``pl.recruit_allowance`` (hubs × 2): carers a placement may count on recruiting; the caller's (the
        LP's recruits, rounded up) or, for the greedy fall-back, the hub's limit as drivers (who can serve
        anyone): the cheapest mix that the result needs is worked out afterwards
        (:func:`solver.measures.least_recruits`)."""
        d = pl.data
        if pl.recruit_allowance is None:
            pl.recruit_allowance = np.zeros((d.n_hubs, 2))
            if pl.switches.recruit and pl.switches.workforce:
                pl.recruit_allowance[:, DRIVERS] = recruit_limits(d, pl.switches)
        budget = pl.switches.recruit_budget_gbp_per_week
        if budget is not None and recruit_spend_gbp(pl.switches, pl.recruit_allowance) > budget:
            # A placement counts on its whole allowance; one the budget cannot pay for is no start at all,
            # so the heuristics place without recruits (always within budget) and CP-SAT spends it.
            pl.recruit_allowance = np.zeros((d.n_hubs, 2))
        return False

    # The hub rules count the allowance as carers; recruitment never refuses a placement of its own.
    admits = ALWAYS
