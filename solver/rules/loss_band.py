"""Loss band: no provider loses more than ``max_loss_fraction`` of the care hours it delivers today (None =
off): plans with clear losers stall (the partnership lesson of the seeds)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import ALWAYS, Rule
from solver.rules.min_viable import care_minutes_down, reachable_care_hours
from solver.units import minutes_up

TOL_HOURS = 1e-6


class LossBand(Rule):
    name = "loss_band"
    words = "no provider loses more than the allowed share of its current hours"
    params = ("max_loss_fraction",)
    data = ()

    def add(self, am) -> dict:
        d, s = am.data, am.switches
        if s.max_loss_fraction is None:
            return {}
        care_down = care_minutes_down(d)
        for p, ks in am.pairs_of_provider().items():
            clients = [int(am.data.pair_client[k]) for k in ks]
            floor_min = int(minutes_up((1.0 - s.max_loss_fraction) * d.provider_current_care_hours[p]))
            if floor_min > 0:
                lo = cp_model.LinearExpr.weighted_sum(
                    [am.x[k] for k in ks], [int(care_down[i]) for i in clients]
                )
                am.model.add(lo >= floor_min).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d, s = lpm.data, lpm.switches
        if s.max_loss_fraction is None:
            return
        care_down = care_minutes_down(d)[lpm.pc]
        for p, mine in lpm.pairs_of_provider():
            floor_min = float(minutes_up((1.0 - s.max_loss_fraction) * d.provider_current_care_hours[p]))
            if floor_min > 0:
                lpm.rows.add(mine, care_down[mine], floor_min, np.inf)

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, s, care = view.data, view.switches, view.loads["care_hours"]
        if s.max_loss_fraction is None:
            return []
        out = []
        for p in range(d.n_providers):
            floor_h = (1.0 - s.max_loss_fraction) * d.provider_current_care_hours[p]
            if care[p] < floor_h - TOL_HOURS:
                out.append(
                    f"loss_band: {d.provider_name(p)} keeps {care[p]:.2f} care h, below {floor_h:.2f} h "
                    f"(at most {s.max_loss_fraction:.0%} loss)"
                )
        return out

    def precheck(self, data, switches) -> list[str]:
        if switches.max_loss_fraction is None:
            return []
        reach = reachable_care_hours(data)
        floors = (1 - switches.max_loss_fraction) * data.provider_current_care_hours
        return [
            f"{data.provider_name(p)} must keep {floor_h:.0f} care h/week (the "
            f"{switches.max_loss_fraction:.0%} loss limit) but the clients it can reach need only "
            f"{reach[p]:.0f} h"
            for p, floor_h in enumerate(floors)
            if floor_h > reach[p] + 1e-6
        ]

    # Floors are not attempted by the heuristics: the validator rejects an answer that breaks one.
    admits = ALWAYS
