"""Minimum viable hours: with ``min_viable`` each provider keeps at least the care hours below which
its business is not viable (``provider_min_viable_hours``); with ``allow_provider_exit`` a provider may
instead get no clients at all (it leaves the market; x[i, p] ≤ active[p] per pair keeps the LP tight)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import ALWAYS, Rule
from solver.units import minutes_down, minutes_up

TOL_HOURS = 1e-6


class MinViable(Rule):
    name = "min_viable"
    words = "each provider keeps at least its minimum viable hours"
    params = ("min_viable", "allow_provider_exit")
    data = ("provider_min_viable_hours",)

    def add(self, am) -> dict:
        d, s, m = am.data, am.switches, am.model
        if not s.min_viable:
            return {}
        care_down = care_minutes_down(d)
        for p, ks in am.pairs_of_provider().items():
            clients = [int(am.data.pair_client[k]) for k in ks]
            min_min = int(minutes_up(d.provider_min_viable_hours[p]))
            if min_min <= 0:
                continue
            vs = [am.x[k] for k in ks]
            lo = cp_model.LinearExpr.weighted_sum(vs, [int(care_down[i]) for i in clients])
            if s.allow_provider_exit:
                act = m.new_bool_var(f"active_{p}")
                am.active[p] = act
                for v in vs:
                    m.add_implication(v, act)
                m.add(lo >= min_min).only_enforce_if([act, *am.lit(self.name)])
            else:
                m.add(lo >= min_min).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d, s, inf = lpm.data, lpm.switches, np.inf
        if not s.min_viable:
            return
        care_down = care_minutes_down(d)[lpm.pc]
        for p, mine in lpm.pairs_of_provider():
            min_min = float(minutes_up(d.provider_min_viable_hours[p]))
            if min_min <= 0:
                continue
            if not s.allow_provider_exit:
                lpm.rows.add(mine, care_down[mine], min_min, inf)
                continue
            a = lpm.add_columns("active", np.zeros(1), np.ones(1), np.zeros(1), [p])
            lpm.rows.add([*mine, a], [*care_down[mine], -min_min], 0.0, inf)
            lpm.link(mine, np.full(len(mine), a))

    def hint(self, am, choice) -> None:
        served = am.data.pair_provider[choice[choice >= 0]]
        for p, v in am.active.items():
            am.model.add_hint(v, int(np.any(served == p)))

    def check(self, view) -> list[str]:
        d, s, care = view.data, view.switches, view.loads["care_hours"]
        if not s.min_viable:
            return []
        out = []
        for p in range(d.n_providers):
            viable = d.provider_min_viable_hours[p]
            exited = s.allow_provider_exit and care[p] <= TOL_HOURS
            if care[p] < viable - TOL_HOURS and not exited:
                out.append(
                    f"min_viable: {d.provider_name(p)} gets {care[p]:.2f} care h, below its viable "
                    f"{viable:.2f} h"
                )
        return out

    def precheck(self, data, switches) -> list[str]:
        if not switches.min_viable or switches.allow_provider_exit:
            return []  # a provider may leave the market instead
        reach = reachable_care_hours(data)
        out = [
            f"{data.provider_name(p)} must keep {floor_h:.0f} care h/week (minimum viable hours) but the "
            f"clients it can reach need only {reach[p]:.0f} h"
            for p, floor_h in enumerate(data.provider_min_viable_hours)
            if floor_h > reach[p] + 1e-6
        ]
        total = float(data.provider_min_viable_hours.sum())
        if total > data.client_care_hours.sum() + 1e-6:
            out.append(
                f"Providers' minimum viable hours add up to {total:.0f} h/week but all clients together "
                f"need {data.client_care_hours.sum():.0f} care h"
            )
        return out

    # Floors are not attempted by the heuristics: the validator rejects an answer that breaks one.
    admits = ALWAYS


def care_minutes_down(d) -> np.ndarray:
    return minutes_down(d.client_care_hours)


def reachable_care_hours(data) -> np.ndarray:
    """Care hours per week of the clients each provider may serve: the most a floor can be filled with."""
    ok = data.pair_eligible
    return np.bincount(
        data.pair_provider[ok],
        weights=data.client_care_hours[data.pair_client[ok]],
        minlength=data.n_providers,
    )
