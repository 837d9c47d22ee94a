"""Provider capacity: the staff minutes (care plus travel, times carers) a provider's own carers spend fit its
overall weekly staff hours (``provider_weekly_staff_hours``; ``inf`` = no overall cap, its hubs carry the
capacity). Work served from a shared pool's hub is the pool's carers', not the provider's. Without hub data
(a plain assignment problem) this is the whole capacity."""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import Rule
from solver.units import minutes_down

TOL_HOURS = 1e-6


def own_pairs(data) -> np.ndarray:
    """Per pair: served by the provider's own carers (not a pool's)."""
    return data.pair_pool < 0


class Capacity(Rule):
    name = "capacity"
    words = "providers' own staff hours (care plus travel) cannot exceed their overall weekly staff hours"
    params = ()
    data = ("provider_weekly_staff_hours", "pair_staff_hours")

    def add(self, am) -> dict:
        d, m = am.data, am.model
        own = own_pairs(d)
        for p, ks in am.pairs_of_provider().items():
            cap_h = d.provider_weekly_staff_hours[p]
            ks = [k for k in ks if own[k]]
            if not ks or not math.isfinite(cap_h):
                continue
            cap, cs = int(minutes_down(cap_h)), [int(am.staff_minutes[k]) for k in ks]
            if sum(cs) <= cap and not am.diagnostic:
                continue  # cannot bind: keep the model small
            load = cp_model.LinearExpr.weighted_sum([am.x[k] for k in ks], cs)
            m.add(load <= cap).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d = lpm.data
        own = own_pairs(d)[lpm.ks]
        for p, mine in lpm.pairs_of_provider():
            cap_h = d.provider_weekly_staff_hours[p]
            mine = mine[own[mine]]
            if len(mine) and math.isfinite(cap_h):
                lpm.rows.add(mine, lpm.staff[mine], -np.inf, float(minutes_down(cap_h)))

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, own = view.data, view.loads["own_staff_hours"]
        cap = d.provider_weekly_staff_hours
        return [
            f"capacity: {d.provider_name(p)}'s own carers need {own[p]:.2f} staff h/week (care + travel) "
            f"but it has {cap[p]:.2f} h"
            for p in range(d.n_providers)
            if own[p] > cap[p] + TOL_HOURS
        ]

    def precheck(self, data, switches) -> list[str]:
        """Zones, and the region, needing more staff hours than everything that could reach them has (only a
        conflict when every client must be served)."""
        if switches.allow_unmet:
            return []
        need = data.least_staff_hours()
        supply = staff_supply(data, switches)
        out = [line for z in range(data.n_zones) if (line := _short_zone(data, switches, need, supply, z))]
        total_need = float(need[np.isfinite(need)].sum())
        total = float(sum(min(cap, hubs) for cap, hubs in supply["provider_total"]) + supply["pool_total"])
        if total_need > total + 1e-6:
            out.append(
                f"The region needs at least {total_need:.0f} staff h/week but providers and pools have "
                f"{total:.0f} h"
            )
        return out

    def start(self, pl) -> bool:
        d = pl.data
        cap = d.provider_weekly_staff_hours
        pl.room = np.where(np.isfinite(cap), minutes_down(np.where(np.isfinite(cap), cap, 0)), np.inf)
        pl.own = own_pairs(d)
        return bool(np.isfinite(cap).any())

    def admits(self, pl, i: int, k: int) -> bool:
        return not pl.own[k] or pl.staff[k] <= pl.room[int(pl.data.pair_provider[k])]

    def place(self, pl, i: int, k: int, sign: int) -> None:
        if pl.own[k]:
            pl.room[int(pl.data.pair_provider[k])] -= sign * pl.staff[k]


def staff_supply(data, switches) -> dict:
    """Staff hours a week each provider's own carers have (its hubs, capped by its overall hours; without
    hubs its overall hours), and the pools' (when on)."""
    m = data.n_providers
    hub_week = data.hub_carers * data.hub_carer_weekly_hours
    own = np.bincount(data.hub_provider[data.hub_provider >= 0], weights=hub_week[data.hub_provider >= 0],
                      minlength=m) if data.n_hubs else np.zeros(m)
    hubless = np.zeros(m, dtype=bool)
    hubless[data.pair_provider[data.pair_hub < 0]] = True
    hubs = np.where(hubless, np.inf, own)
    pools_on = switches.pools and data.n_pools > 0
    pool_week = np.where(data.hub_pool >= 0, hub_week, 0.0) if pools_on else np.zeros(data.n_hubs)
    return {"provider": np.minimum(data.provider_weekly_staff_hours, hubs),
            "provider_total": list(zip(data.provider_weekly_staff_hours, hubs, strict=True)),
            "pool_hub": pool_week, "pool_total": float(pool_week.sum())}


def _short_zone(data, switches, need: np.ndarray, supply: dict, z: int) -> str:
    """Zone z's demand against what the providers able to reach it (at most K of them) and its pools have."""
    in_z = (data.client_zone == z) & np.isfinite(need)
    demand = float(need[in_z].sum())
    if demand <= 0:
        return ""
    ok = data.pair_eligible & (data.client_zone[data.pair_client] == z)
    reach = np.zeros(data.n_providers, dtype=bool)
    reach[data.pair_provider[ok & (data.pair_pool < 0)]] = True
    cap = np.where(np.isfinite(supply["provider"]), supply["provider"], 1e12)
    chosen = np.zeros(data.n_providers, bool)  # providers chosen by pinned clients serve them outside K
    pin_z = data.client_pinned_provider[data.client_zone == z]
    chosen[pin_z[pin_z >= 0]] = True
    caps = np.sort(cap[reach & ~chosen])[::-1]
    k_max = switches.max_providers_per_zone
    limited = k_max is not None and len(caps) > k_max
    own = float(caps[:k_max].sum() if limited else caps.sum()) + float(cap[chosen].sum())
    pool_hubs = np.unique(data.pair_hub[ok & (data.pair_pool >= 0)])
    pool = float(supply["pool_hub"][pool_hubs].sum()) if len(pool_hubs) else 0.0
    if demand <= own + pool + 1e-6:
        return ""
    who = f"the {k_max} largest providers allowed there" if limited else "providers able to reach it"
    if chosen.any():
        who += " and those chosen by its pinned clients"
    pools = f" plus {pool:.0f} h from pools" if pool else ""
    return (
        f"Zone {data.zone_label(z)} needs {demand:.0f} staff h/week (care and travel); {who} have "
        f"{own:.0f} h in total{pools}"
    )


def least_pair_hours(data, clients, p: int) -> float:
    """Least staff hours a week provider p needs to serve all of ``clients`` (each from its best hub)."""
    return float(sum(min(data.pair_staff_hours[k] for k in data.pairs_of(int(i), p)) for i in clients))


def provider_supply(data, switches, p: int, supply: dict) -> tuple[float, float]:
    """Staff hours a week of provider p's own carers, and of the pools it is a member of (when on), from
    :func:`staff_supply`."""
    pools = np.nonzero(data.pool_members[:, p])[0] if switches.pools else []
    pool = float(supply["pool_hub"][np.isin(data.hub_pool, pools)].sum()) if len(pools) else 0.0
    return float(supply["provider"][p]), pool
