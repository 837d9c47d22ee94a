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
            xs = am.x_of(int(i), int(d.client_pinned_provider[i]))
            am.model.add(sum(xs) == 1).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        lpm.serve_by(lpm.data.client_pinned_provider[lpm.pc] == lpm.pp)

    def hint(self, am, choice) -> None:
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
        from solver.rules.capacity import least_pair_hours, provider_supply, staff_supply

        out: list[str] = []
        supply = staff_supply(data, switches)  # once: every provider below reads it
        pin = data.client_pinned_provider
        for p in range(data.n_providers):
            mine = np.nonzero(pin == p)[0]
            if not len(mine):
                continue
            load = least_pair_hours(data, mine, p)
            cap, pool = provider_supply(data, switches, p, supply)
            if load > cap + pool + 1e-6:
                out.append(
                    f"{data.provider_name(p)}: clients pinned to it need {load:.0f} staff h/week, it "
                    f"has {cap:.0f} h (+{pool:.0f} h from pools)"
                )
            out += _short_hubs(data, switches, p, mine)
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


def _short_hubs(data, switches, p: int, clients: np.ndarray) -> list[str]:
    """Pinned clients who can only be served from one hub, beyond its carers' hours in some band or week."""
    if not (switches.workforce and data.n_hubs):
        return []
    need = np.zeros((data.n_hubs, data.n_bands))
    for i in clients:
        hubs = {int(data.pair_hub[k]) for k in data.pairs_of(int(i), p) if data.pair_eligible[k]}
        if len(hubs) == 1 and min(hubs) >= 0:  # tied to that hub: its hours must cover the client
            k = data.pair_index(int(i), p, min(hubs))
            need[min(hubs)] += data.pair_band_staff_hours[k]
    out = []
    for h in np.flatnonzero(need.sum(axis=1) > 0):
        week = data.hub_carers[h] * data.hub_carer_weekly_hours[h]
        band = data.hub_carers[h] * data.hub_carer_band_hours[h]
        short = [b for b in range(data.n_bands) if need[h, b] > band[b] + 1e-6]
        if need[h].sum() > week + 1e-6:
            out.append(f"{data.hub_name(int(h))} ({data.provider_name(p)}): clients pinned to it need "
                       f"{need[h].sum():.0f} staff h/week, its {data.hub_carers[h]} carers have {week:.0f} h")
        out += [f"{data.hub_name(int(h))} ({data.provider_name(p)}): clients pinned to it need "
                f"{need[h, b]:.0f} staff h/week of {data.band_name(b)} visits, its carers have "
                f"{band[b]:.0f} h in the {data.band_name(b)} window" for b in short]
    return out
