"""Capacity counting travel: each provider's staff minutes (care plus travel, times carers) fit its own weekly
staff minutes plus the pool minutes it draws (see :mod:`solver.rules.pools`)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import Rule
from solver.units import minutes_down

TOL_HOURS = 1e-6


class Capacity(Rule):
    name = "capacity"
    words = "providers' staff hours (care plus travel) cannot exceed their capacity plus pool hours"
    params = ()
    data = ("provider_weekly_staff_hours", "pair_staff_hours")

    def add(self, am) -> dict:
        d, m = am.data, am.model
        cap = minutes_down(d.provider_weekly_staff_hours)
        by_p: dict[int, tuple[list, list]] = {p: ([], []) for p in range(d.n_providers)}
        for k in range(len(d.pair_client)):
            key = (int(d.pair_client[k]), int(d.pair_provider[k]))
            if key in am.x:
                by_p[key[1]][0].append(am.x[key])
                by_p[key[1]][1].append(int(am.staff_minutes[k]))
        draws: dict[int, list] = {}
        for (_, p, _), v in am.draw.items():
            draws.setdefault(p, []).append(v)
        for p, (vs, cs) in by_p.items():
            if not vs:
                continue
            if sum(cs) <= cap[p] and not am.diagnostic:
                continue  # cannot bind: keep the model small
            load = cp_model.LinearExpr.weighted_sum(vs, cs)
            m.add(load <= int(cap[p]) + sum(draws.get(p, []))).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        """Σ staff x[., p] − Σ draw[., p, .] ≤ cap[p]."""
        d, m = lpm.data, lpm.data.n_providers
        cap = minutes_down(d.provider_weekly_staff_hours).astype(np.float64)
        start, keys = lpm.block("draw")
        dcols = [(j, key[1]) for j, key in enumerate(keys)]
        lpm.rows.add_block(
            np.concatenate([lpm.pp, [p for _, p in dcols]]),
            np.concatenate([np.arange(lpm.nx), [start + j for j, _ in dcols]]),
            np.concatenate([lpm.staff, -np.ones(len(dcols))]),
            np.full(m, -np.inf),
            cap,
        )

    def hint(self, am, assignment) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, loads, out = view.data, view.loads, []
        pool_hours = view.draws.sum(axis=(0, 2))
        for p in range(d.n_providers):
            cap = d.provider_weekly_staff_hours[p] + pool_hours[p]
            if loads["staff_hours"][p] > cap + TOL_HOURS:
                out.append(
                    f"capacity: {d.provider_name(p)} needs {loads['staff_hours'][p]:.2f} staff h/week "
                    f"(care + travel) but has {d.provider_weekly_staff_hours[p]:.2f} h + "
                    f"{pool_hours[p]:.2f} h from pools"
                )
        return out

    def precheck(self, data, switches) -> list[str]:
        """Zones, and the region, needing more staff hours than everything that could reach them has (only a
        conflict when every client must be served)."""
        if switches.allow_unmet:
            return []
        need = data.least_staff_hours()
        pools_on = switches.pools and data.n_pools > 0
        out = [line for z in range(data.n_zones) if (line := _short_zone(data, switches, need, pools_on, z))]
        total_need = float(need[np.isfinite(need)].sum())
        cap = data.provider_weekly_staff_hours
        total_cap = float(cap.sum() + (data.pool_weekly_hours.sum() if pools_on else 0.0))
        if total_need > total_cap + 1e-6:
            out.append(
                f"The region needs at least {total_need:.0f} staff h/week but providers and pools have "
                f"{total_cap:.0f} h"
            )
        return out

    def start(self, pl) -> bool:
        m = pl.data.n_providers
        pl.room = minutes_down(pl.data.provider_weekly_staff_hours).astype(np.float64)
        pl.load = np.zeros(m)
        pl.work_pz = np.zeros((m, pl.data.n_zones))
        return True

    def admits(self, pl, i: int, k: int) -> bool:
        """Own staff minutes, plus the pool minutes allowed for the provider in each zone it works in (never
        more than it works there)."""
        p, z = int(pl.data.pair_provider[k]), int(pl.data.client_zone[i])
        new_load = pl.load[p] + pl.staff[k]
        if new_load <= pl.room[p]:
            return True
        allowance, work = pl.pool_allowance[p], pl.work_pz[p]
        extra = np.minimum(allowance, work).sum() - min(allowance[z], work[z])
        extra += min(allowance[z], work[z] + pl.staff[k])
        return new_load <= pl.room[p] + extra

    def place(self, pl, i: int, k: int, sign: int) -> None:
        p, z = int(pl.data.pair_provider[k]), int(pl.data.client_zone[i])
        pl.load[p] += sign * pl.staff[k]
        pl.work_pz[p, z] += sign * pl.staff[k]


def _short_zone(data, switches, need: np.ndarray, pools_on: bool, z: int) -> str:
    """Zone z's demand against what the providers able to reach it (at most K of them) and its pools have."""
    in_z = (data.client_zone == z) & np.isfinite(need)
    demand = float(need[in_z].sum())
    if demand <= 0:
        return ""
    ok = data.pair_eligible
    reach = np.zeros(data.n_providers, dtype=bool)
    reach[data.pair_provider[ok & (data.client_zone[data.pair_client] == z)]] = True
    cap = data.provider_weekly_staff_hours
    # Providers chosen by pinned clients in the zone serve them outside the zoning limit.
    chosen = np.zeros(data.n_providers, bool)
    pin_z = data.client_pinned_provider[data.client_zone == z]
    chosen[pin_z[pin_z >= 0]] = True
    caps = np.sort(cap[reach & ~chosen])[::-1]
    k_max = switches.max_providers_per_zone
    limited = k_max is not None and len(caps) > k_max
    supply = float(caps[:k_max].sum() if limited else caps.sum()) + float(cap[chosen].sum())
    pool = 0.0
    if pools_on:
        covering = data.pool_zones[:, z] & (data.pool_members[:, reach].any(axis=1))
        pool = float(data.pool_weekly_hours[covering].sum())
    if demand <= supply + pool + 1e-6:
        return ""
    who = f"the {k_max} largest providers allowed there" if limited else "providers able to reach it"
    if chosen.any():
        who += " and those chosen by its pinned clients"
    pools = f" plus {pool:.0f} h from pools" if pool else ""
    return (
        f"Zone {data.zone_label(z)} needs {demand:.0f} staff h/week (care and travel); {who} have "
        f"{supply:.0f} h in total{pools}"
    )
