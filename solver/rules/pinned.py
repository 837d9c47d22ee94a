"""Pinned: a client who chose its provider (self-directed support option 2, ``client_pinned_provider``)
stays with that provider, whatever the skills, the zoning contract or the cost (zoning does not count it)."""

from __future__ import annotations

import numpy as np

from solver.rules.base import ALWAYS, Rule


class Pinned(Rule):
    name = "pinned"
    words = "clients who chose their provider (pinned) stay with that provider"
    params = ()
    data = ("client_pinned_provider",)

    def add(self, am) -> dict:
        d = am.data
        for i in np.nonzero(d.client_pinned_provider >= 0)[0]:
            am.model.add(am.x[int(i), int(d.client_pinned_provider[i])] == 1).only_enforce_if(
                am.lit(self.name)
            )
        return {}

    def lp(self, lpm) -> None:
        lpm.lo_x[lpm.data.client_pinned_provider[lpm.pc] == lpm.pp] = 1.0

    def hint(self, am, assignment) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, a = view.data, view.assignment
        pin = d.client_pinned_provider
        return [
            f"pinned: client {i} chose {d.provider_name(int(pin[i]))} but is assigned {a[i]}"
            for i in np.nonzero((pin >= 0) & (a != pin))[0]
        ]

    def precheck(self, data, switches) -> list[str]:
        """Providers whose pinned clients alone need more staff or care hours than they may have."""
        out: list[str] = []
        pools_on = switches.pools and data.n_pools > 0
        pin, cap = data.client_pinned_provider, data.provider_weekly_staff_hours
        for p in range(data.n_providers):
            mine = np.nonzero(pin == p)[0]
            if not len(mine):
                continue
            load = float(data.pair_staff_hours[[data.pair_index(int(i), p) for i in mine]].sum())
            pool = float(data.pool_weekly_hours[data.pool_members[:, p]].sum()) if pools_on else 0.0
            if load > cap[p] + pool + 1e-6:
                out.append(
                    f"{data.provider_name(p)}: clients pinned to it need {load:.0f} staff h/week, it "
                    f"has {cap[p]:.0f} h (+{pool:.0f} h from pools)"
                )
            care = float(data.client_care_hours[mine].sum())
            if switches.max_weekly and care > data.provider_max_weekly_hours[p] + 1e-6:
                out.append(
                    f"{data.provider_name(p)}: pinned clients alone need {care:.0f} care h/week, "
                    f"above its maximum {data.provider_max_weekly_hours[p]:.0f} h"
                )
        return out

    def start(self, pl) -> bool:
        pl.fixed = np.where(pl.data.client_pinned_provider >= 0, pl.data.client_pinned_provider, pl.fixed)
        return False

    # Placement offers a pinned client its chosen provider only (Placement.fixed): nothing left to refuse.
    admits = ALWAYS
