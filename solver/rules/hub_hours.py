"""Hub hours: the carers at each hub (drivers and non-drivers, recruits included) have contracted weekly
hours (``hub_carer_weekly_hours`` each); the staff time (care plus travel from the hub, times carers) of the
clients served from the hub fits them. Only with ``workforce`` on; pairs without a hub (staff at large) are
the capacity rule's."""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.measures import TOL_HOURS
from solver.rules.base import Rule
from solver.rules.workforce import band_minutes, carer_minutes, hub_pairs, lp_hub_pairs, lp_staff, staff


def workforce_on(data, switches) -> bool:
    return bool(switches.workforce and data.n_hubs)


class HubHours(Rule):
    name = "hub_hours"
    words = "the clients served from each hub fit its carers' contracted weekly hours"
    params = ("workforce",)
    data = ("hub_provider", "hub_pool", "hub_drivers", "hub_non_drivers", "hub_carer_weekly_hours",
            "client_current_hub")

    def add(self, am) -> dict:
        d = am.data
        if not workforce_on(d, am.switches):
            return {}
        for h, ks in sorted(hub_pairs(am).items()):
            week, _ = carer_minutes(d, h)
            cs = [int(am.staff_minutes[k]) for k in ks]
            if sum(cs) <= week * int(d.hub_carers[h]) and not am.diagnostic:
                continue  # cannot bind, even with no recruit: keep the model small
            load = cp_model.LinearExpr.weighted_sum([am.x[k] for k in ks], cs)
            am.model.add(load <= week * staff(am, h)).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d = lpm.data
        if not workforce_on(d, lpm.switches):
            return
        for h, cols in sorted(lp_hub_pairs(lpm).items()):
            week, _ = carer_minutes(d, h)
            fixed, rcols = lp_staff(lpm, h)
            lpm.rows.add([*cols, *rcols], [*lpm.staff[cols], *np.full(len(rcols), -float(week))], -np.inf,
                         week * fixed)

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d = view.data
        if not workforce_on(d, view.switches):
            return []
        need, have = view.hub["band"].sum(axis=1), view.capacity["weekly"]
        return [
            f"hub_hours: {d.hub_name(h)} serves {need[h]:.2f} staff h/week (care + travel) but its "
            f"{int(d.hub_carers[h] + view.recruits[h].sum())} carers have {have[h]:.2f} h"
            for h in range(d.n_hubs)
            if need[h] > have[h] + TOL_HOURS
        ]

    def precheck(self, data, switches) -> list[str]:
        return []  # no client is tied to one hub: the capacity rule's arithmetic counts every hub's hours

    def start(self, pl) -> bool:
        """The hub state the workforce rules share: staff minutes booked per hub and band (``hub_band``),
        those within non-drivers' reach (``hub_near``), and each hub's carers (recruit allowance included)."""
        d = pl.data
        if not workforce_on(d, pl.switches):
            return False
        # Plain Python lists: a placement asks about one hub and four bands at a time, millions of times,
        # where numpy's per-call cost would dominate.
        pl.band_minutes = band_minutes(d).astype(np.float64).tolist()
        pl.pair_hub, pl.pair_near = d.pair_hub.tolist(), d.pair_near.tolist()
        pl.hub_band = [[0.0] * d.n_bands for _ in range(d.n_hubs)]
        pl.hub_near = [[0.0] * d.n_bands for _ in range(d.n_hubs)]
        carers = [carer_minutes(d, h) for h in range(d.n_hubs)]
        pl.carer_week = [float(week) for week, _ in carers]
        pl.carer_band = [[math.inf if b is None else float(b) for b in bands] for _, bands in carers]
        pl.hub_drivers = (d.hub_drivers + pl.recruit_allowance[:, 0]).tolist()
        pl.hub_non_drivers = (d.hub_non_drivers + pl.recruit_allowance[:, 1]).tolist()
        return True

    def admits(self, pl, i: int, k: int) -> bool:
        h = pl.pair_hub[k]
        if h < 0:
            return True
        carers = pl.hub_drivers[h] + pl.hub_non_drivers[h]
        return sum(pl.hub_band[h]) + sum(pl.band_minutes[k]) <= pl.carer_week[h] * carers

    def place(self, pl, i: int, k: int, sign: int) -> None:
        h = pl.pair_hub[k]
        if h >= 0:
            minutes = pl.band_minutes[k]
            for target in (pl.hub_band[h], pl.hub_near[h]) if pl.pair_near[k] else (pl.hub_band[h],):
                for b, v in enumerate(minutes):
                    target[b] += sign * v
