"""Maximum weekly hours: no provider grows beyond the care hours it can take on (``max_weekly``;
``provider_max_weekly_hours``, ``inf`` = no cap)."""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import Rule
from solver.units import minutes_down, minutes_up

TOL_HOURS = 1e-6


class MaxWeekly(Rule):
    name = "max_weekly"
    words = "no provider grows beyond its maximum weekly hours"
    params = ("max_weekly",)
    data = ("provider_max_weekly_hours",)

    def add(self, am) -> dict:
        d, m = am.data, am.model
        if not am.switches.max_weekly:
            return {}
        care_up = minutes_up(d.client_care_hours)
        for p, ks in am.pairs_of_provider().items():
            clients = [int(am.data.pair_client[k]) for k in ks]
            max_h = d.provider_max_weekly_hours[p]
            total_up = sum(care_up[i] for i in clients)
            if math.isfinite(max_h) and (total_up > minutes_down(max_h) or am.diagnostic):
                hi = cp_model.LinearExpr.weighted_sum(
                    [am.x[k] for k in ks], [int(care_up[i]) for i in clients]
                )
                m.add(hi <= int(minutes_down(max_h))).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d = lpm.data
        if not lpm.switches.max_weekly:
            return
        care_up = minutes_up(d.client_care_hours)[lpm.pc].astype(np.float64)
        for p, mine in lpm.pairs_of_provider():
            max_h = d.provider_max_weekly_hours[p]
            if math.isfinite(max_h):
                lpm.rows.add(mine, care_up[mine], -np.inf, float(minutes_down(max_h)))

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, care = view.data, view.loads["care_hours"]
        if not view.switches.max_weekly:
            return []
        return [
            f"max_weekly: {d.provider_name(p)} gets {care[p]:.2f} care h, "
            f"max {d.provider_max_weekly_hours[p]}"
            for p in range(d.n_providers)
            if care[p] > d.provider_max_weekly_hours[p] + TOL_HOURS
        ]

    def precheck(self, data, switches) -> list[str]:
        return []  # only pinned clients can force hours on a provider: the pinned rule counts them

    def start(self, pl) -> bool:
        if not pl.switches.max_weekly:
            return False
        max_h = pl.data.provider_max_weekly_hours
        pl.care_room = np.where(np.isfinite(max_h), minutes_down(max_h), np.inf).astype(np.float64)
        return True

    def admits(self, pl, i: int, k: int) -> bool:
        return pl.care[i] <= pl.care_room[int(pl.data.pair_provider[k])]

    def place(self, pl, i: int, k: int, sign: int) -> None:
        pl.care_room[int(pl.data.pair_provider[k])] -= sign * pl.care[i]
