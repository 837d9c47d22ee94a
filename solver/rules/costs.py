"""Costs: the weekly care cost (rate × care hours) and travel cost (staff time on the road plus mileage) of
each pair, weighted (objective terms ``care`` and ``travel``, pence). Not a constraint: nothing to violate."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import ALWAYS, Rule
from solver.units import pence


class Costs(Rule):
    name = "costs"
    words = ""  # terms of the objective, never a conflict
    params = ("weight_travel", "weight_care")
    data = ("provider_hourly_rate_gbp", "pair_care_cost_gbp", "pair_travel_cost_gbp")

    def add(self, am) -> dict:
        d, s = am.data, am.switches
        care = pence(s.weight_care * d.pair_care_cost_gbp)
        travel = pence(s.weight_travel * d.pair_travel_cost_gbp)
        cv, cc, tv, tc = [], [], [], []
        for k, v in am.x.items():
            if care[k]:
                cv.append(v)
                cc.append(int(care[k]))
            if travel[k]:
                tv.append(v)
                tc.append(int(travel[k]))
        return {
            "care": cp_model.LinearExpr.weighted_sum(cv, cc),
            "travel": cp_model.LinearExpr.weighted_sum(tv, tc),
        }

    def lp(self, lpm) -> None:
        lpm.obj_x += pair_cost_pence(lpm.data, lpm.switches)[lpm.ks]

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        return []  # objective terms, recomputed from scratch by solver.validate.objective_terms

    def precheck(self, data, switches) -> list[str]:
        return []  # a price never makes an allocation impossible

    # Costs order the options (Placement's drivers sort by them); they never refuse one.
    admits = ALWAYS


def pair_cost_pence(data, switches) -> np.ndarray:
    """Weighted care plus travel cost of every pair, in the model's pence."""
    return pence(switches.weight_care * data.pair_care_cost_gbp) + pence(
        switches.weight_travel * data.pair_travel_cost_gbp
    )
