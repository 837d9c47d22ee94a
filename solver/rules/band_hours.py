"""Band hours: each time band's visits (with their travel) served from a hub fit the hours its carers can
work in that band's window over the week (``hub_carer_band_hours`` per carer; ``inf`` = no band limit),
recruits included: the morning run is where care at home breaks first. Visits are spread over a client's
bands by ``client_band_share``. Only with ``workforce`` on."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.measures import TOL_HOURS
from solver.rules.base import Rule
from solver.rules.hub_hours import workforce_on
from solver.rules.workforce import band_minutes, carer_minutes, hub_pairs, lp_hub_pairs, lp_staff, staff


class BandHours(Rule):
    name = "band_hours"
    words = "each time band's visits served from a hub fit its carers' hours in that band's window"
    params = ()  # the workforce switch is the hub_hours rule's
    data = ("client_band_share", "hub_carer_band_hours")

    def add(self, am) -> dict:
        d = am.data
        if not workforce_on(d, am.switches):
            return {}
        minutes = band_minutes(d)
        for h, ks in sorted(hub_pairs(am).items()):
            _, bands = carer_minutes(d, h)
            for b, per_carer in enumerate(bands):
                cs = [int(minutes[k, b]) for k in ks]
                if per_carer is None or (sum(cs) <= per_carer * int(d.hub_carers[h]) and not am.diagnostic):
                    continue
                load = cp_model.LinearExpr.weighted_sum([am.x[k] for k in ks], cs)
                am.model.add(load <= per_carer * staff(am, h)).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        d = lpm.data
        if not workforce_on(d, lpm.switches):
            return
        minutes = band_minutes(d)[lpm.ks].astype(np.float64)
        for h, cols in sorted(lp_hub_pairs(lpm).items()):
            _, bands = carer_minutes(d, h)
            fixed, rcols = lp_staff(lpm, h)
            for b, per_carer in enumerate(bands):
                if per_carer is not None:
                    lpm.rows.add(
                        [*cols, *rcols],
                        [*minutes[cols, b], *np.full(len(rcols), -float(per_carer))],
                        -np.inf,
                        per_carer * fixed,
                    )

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d = view.data
        if not workforce_on(d, view.switches):
            return []
        need, have = view.hub["band"], view.capacity["band"]
        return [
            f"band_hours: {d.hub_name(int(h))} serves {need[h, b]:.2f} staff h/week of {d.band_name(int(b))} "
            f"visits but its carers have {have[h, b]:.2f} h in the {d.band_name(int(b))} window"
            for h, b in zip(*np.nonzero(need > have + TOL_HOURS), strict=True)
        ]

    def precheck(self, data, switches) -> list[str]:
        """Zones whose visits in one band need more staff hours than every hub able to reach them has in that
        band's window (only a conflict when every client must be served)."""
        if switches.allow_unmet or not workforce_on(data, switches):
            return []
        return [
            line
            for z in range(data.n_zones)
            for b in range(data.n_bands)
            if (line := _short_band(data, switches, z, b))
        ]

    def start(self, pl) -> bool:
        # The hub state it reads is set up by hub_hours' start, which runs only with the workforce on.
        return workforce_on(pl.data, pl.switches)

    def admits(self, pl, i: int, k: int) -> bool:
        h = pl.pair_hub[k]
        if h < 0:
            return True
        carers = pl.hub_drivers[h] + pl.hub_non_drivers[h]
        if carers <= 0:
            return not any(pl.band_minutes[k])
        return all(
            used + v <= cap * carers
            for used, v, cap in zip(pl.hub_band[h], pl.band_minutes[k], pl.carer_band[h], strict=True)
        )

    def place(self, pl, i: int, k: int, sign: int) -> None:
        pass  # the hub_hours rule books each hub's minutes by band (Placement.hub_band)


def _short_band(data, switches, z: int, b: int) -> str:
    ok = data.pair_eligible & (data.client_zone[data.pair_client] == z) & (data.pair_hub >= 0)
    if not switches.pools:
        ok &= data.pair_pool < 0
    clients = np.unique(data.pair_client[ok])
    if not len(clients):
        return ""
    least = np.full(data.n_clients, np.inf)
    np.minimum.at(least, data.pair_client[ok], data.pair_band_staff_hours[ok, b])
    need = float(least[clients].sum())
    hubs = np.unique(data.pair_hub[ok])
    per_carer = data.hub_carer_band_hours[hubs, b]
    if need <= TOL_HOURS or not np.all(np.isfinite(per_carer)) or np.any(data.pair_hub[ok] < 0):
        return ""
    have = float((per_carer * data.hub_carers[hubs]).sum())
    if need <= have + 1e-6:
        return ""
    names = ", ".join(data.hub_name(int(h)) for h in hubs[:6]) + (", ..." if len(hubs) > 6 else "")
    band = data.band_name(b)
    return (
        f"Zone {data.zone_label(z)} needs {need:.0f} staff h/week of {band} visits; the hubs able to "
        f"reach it ({names}) have {have:.0f} h in the {band} window"
    )
