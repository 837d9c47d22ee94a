"""Drivers and non-drivers: a non-driver serves only clients within walking or local-bus reach of the hub
(``pair_near``); clients beyond it draw on drivers' hours only. Only with ``workforce`` on.

Per hub h and band b, ``non_driver[h, b]`` is the non-drivers' minutes: at most their band hours and at most
the visits within reach; drivers take the rest of the band (within their band hours); each kind's minutes
over the week fit its contracted hours. This is exact: such a split exists if and only if the allocation's
visits can be shared between the two kinds of carer (a transportation problem with two sources).
Only hubs that have both kinds of carer (or may recruit non-drivers) and clients beyond reach need it; at
the others the hub and band rules already say everything.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.measures import DRIVERS, NON_DRIVERS, TOL_HOURS, least_recruits
from solver.rules.base import Rule
from solver.rules.hub_hours import workforce_on
from solver.rules.workforce import band_minutes, carer_minutes, hub_pairs, lp_hub_pairs, lp_staff, staff


def split_hubs(data, switches, pairs_by_hub: dict) -> list[int]:
    """Hubs whose visits must be split between drivers and non-drivers."""
    non_driver_recruits = (data.hub_max_recruits > 0) & bool(switches.recruit)
    return [
        h
        for h, ks in sorted(pairs_by_hub.items())
        if (data.hub_non_drivers[h] > 0 or non_driver_recruits[h]) and not data.pair_near[ks].all()
    ]


class Drivers(Rule):
    name = "drivers"
    words = "clients beyond non-drivers' reach of a hub are served by its drivers, within their hours"
    params = ()  # the workforce switch is the hub_hours rule's
    data = ("pair_near",)

    def add(self, am) -> dict:
        d, m = am.data, am.model
        if not workforce_on(d, am.switches):
            return {}
        minutes, by_hub = band_minutes(d), hub_pairs(am)
        for h in split_hubs(d, am.switches, by_hub):
            ks = by_hub[h]
            week, bands = carer_minutes(d, h)
            top = week * (int(d.hub_carers[h]) + 10_000)
            nd, band_loads = [], []
            for b, per_carer in enumerate(bands):
                am.non_driver[h, b] = v = m.new_int_var(0, top, f"non_driver_{h}_{b}")
                load = cp_model.LinearExpr.weighted_sum(
                    [am.x[k] for k in ks], [int(minutes[k, b]) for k in ks]
                )
                near = [k for k in ks if d.pair_near[k]]
                m.add(
                    v
                    <= cp_model.LinearExpr.weighted_sum(
                        [am.x[k] for k in near], [int(minutes[k, b]) for k in near]
                    )
                )
                if per_carer is not None:
                    m.add(v <= per_carer * staff(am, h, NON_DRIVERS)).only_enforce_if(am.lit(self.name))
                    m.add(load - v <= per_carer * staff(am, h, DRIVERS)).only_enforce_if(am.lit(self.name))
                nd.append(v)
                band_loads.append(load)
            m.add(sum(nd) <= week * staff(am, h, NON_DRIVERS)).only_enforce_if(am.lit(self.name))
            m.add(sum(band_loads) - sum(nd) <= week * staff(am, h, DRIVERS)).only_enforce_if(
                am.lit(self.name)
            )
        return {}

    def lp(self, lpm) -> None:
        d = lpm.data
        if not workforce_on(d, lpm.switches):
            return
        minutes = band_minutes(d)[lpm.ks].astype(np.float64)
        by_hub = lp_hub_pairs(lpm)
        keys = {h: lpm.ks[cols] for h, cols in by_hub.items()}
        for h in split_hubs(d, lpm.switches, keys):
            _lp_hub(lpm, h, by_hub[h], minutes)

    def hint(self, am, choice) -> None:
        if not am.non_driver:
            return
        recruits = least_recruits(am.data, am.switches, choice)
        for h in {h for h, _ in am.non_driver}:
            for b, value in enumerate(non_driver_split(am.data, choice, recruits, h)):
                am.model.add_hint(am.non_driver[h, b], int(value))

    def check(self, view) -> list[str]:
        d = view.data
        if not workforce_on(d, view.switches):
            return []
        from solver.measures import workforce_shortfalls

        short = workforce_shortfalls(view.hub, view.capacity)
        # At a hub with no non-drivers these conditions are exactly the hub and band hours: said once, there.
        mixed = view.capacity["non_driver_weekly"] > 0
        short = {key: value * (mixed if value.ndim == 1 else mixed[:, None]) for key, value in short.items()}
        out = [
            f"drivers: {d.hub_name(int(h))} serves {view.hub['far'][h, b]:.2f} staff h/week of "
            f"{d.band_name(int(b))} visits beyond non-drivers' reach but its drivers have "
            f"{view.capacity['driver_band'][h, b]:.2f} h in that window"
            for h, b in zip(*np.nonzero(short["far"] > TOL_HOURS), strict=True)
        ]
        for h in np.nonzero((short["driver_week"] > TOL_HOURS) | (short["non_driver_week"] > TOL_HOURS))[0]:
            out.append(
                f"drivers: at {d.hub_name(int(h))} the visits cannot be shared between drivers "
                f"({view.capacity['driver_weekly'][h]:.2f} h/week) and non-drivers "
                f"({view.capacity['non_driver_weekly'][h]:.2f} h/week): "
                f"{short['driver_week'][h] + short['non_driver_week'][h]:.2f} h short"
            )
        return out

    def precheck(self, data, switches) -> list[str]:
        return []  # no client is tied to one hub; a client no driver can reach is unmet, with its reason

    def start(self, pl) -> bool:
        # The hub state it reads is set up by hub_hours' start, which runs only with the workforce on.
        return workforce_on(pl.data, pl.switches)

    def admits(self, pl, i: int, k: int) -> bool:
        h = pl.pair_hub[k]
        if h < 0 or pl.hub_non_drivers[h] <= 0:
            return True  # drivers only: the hub and band rules say everything
        add = pl.band_minutes[k]
        band = [u + v for u, v in zip(pl.hub_band[h], add, strict=True)]
        near = (
            [u + v for u, v in zip(pl.hub_near[h], add, strict=True)] if pl.pair_near[k] else pl.hub_near[h]
        )
        return split_fits_lists(
            band, near, pl.hub_drivers[h], pl.hub_non_drivers[h], pl.carer_week[h], pl.carer_band[h]
        )

    def place(self, pl, i: int, k: int, sign: int) -> None:
        pass  # the hub_hours rule books each hub's minutes (Placement.hub_band, hub_near)


def _lp_hub(lpm, h: int, cols: np.ndarray, minutes: np.ndarray) -> None:
    d, inf = lpm.data, np.inf
    week, bands = carer_minutes(d, h)
    near = cols[d.pair_near[lpm.ks[cols]]]
    n_fixed, n_rec = lp_staff(lpm, h, NON_DRIVERS)
    d_fixed, d_rec = lp_staff(lpm, h, DRIVERS)
    nb = len(bands)
    v0 = lpm.add_columns(
        "non_driver", np.zeros(nb), np.full(nb, inf), np.zeros(nb), [(h, b) for b in range(nb)]
    )
    for b, per_carer in enumerate(bands):
        lpm.rows.add([v0 + b, *near], [1.0, *(-minutes[near, b])], -inf, 0.0)
        if per_carer is not None:
            lpm.rows.add(
                [v0 + b, *n_rec], [1.0, *np.full(len(n_rec), -float(per_carer))], -inf, per_carer * n_fixed
            )
            lpm.rows.add(
                [*cols, v0 + b, *d_rec],
                [*minutes[cols, b], -1.0, *np.full(len(d_rec), -float(per_carer))],
                -inf,
                per_carer * d_fixed,
            )
    vs = list(range(v0, v0 + nb))
    lpm.rows.add([*vs, *n_rec], [*np.ones(nb), *np.full(len(n_rec), -float(week))], -inf, week * n_fixed)
    lpm.rows.add(
        [*cols, *vs, *d_rec],
        [*minutes[cols].sum(axis=1), *-np.ones(nb), *np.full(len(d_rec), -float(week))],
        -inf,
        week * d_fixed,
    )


def times(carers: float, per_carer: np.ndarray) -> np.ndarray:
    """Minutes ``carers`` carers have, each ``per_carer`` (inf = no limit); none when there are no carers."""
    return np.where(carers > 0, per_carer * max(carers, 1), 0.0)


def split_fits_lists(
    band: list, near: list, drivers: float, non_drivers: float, week: float, per_carer_band: list
) -> bool:
    """Whether visits (minutes per band, ``near`` of them within reach) can be shared between the drivers and
    non-drivers: the closed form of the split (see the module doc; the validator's, in hours, is
    :func:`solver.measures.workforce_shortfalls`), on plain lists for the placement's hot path."""
    lo_sum = hi_sum = 0.0
    for used, close, cap in zip(band, near, per_carer_band, strict=True):
        lo = max(used - (cap * drivers if drivers > 0 else 0.0), 0.0)
        hi = min(cap * non_drivers if non_drivers > 0 else 0.0, close)
        if lo > hi:
            return False
        lo_sum += lo
        hi_sum += hi
    return lo_sum <= week * non_drivers and sum(band) - hi_sum <= week * drivers


def non_driver_split(data, choice: np.ndarray, recruits: np.ndarray, h: int) -> list[int]:
    """Non-drivers' minutes per band at hub h for ``choice``, in the model's integer minutes: as few as the
    drivers allow, then more where drivers' week is short."""
    minutes = band_minutes(data)
    ks = choice[choice >= 0]
    ks = ks[data.pair_hub[ks] == h]
    band = minutes[ks].sum(axis=0)
    near = minutes[ks[data.pair_near[ks]]].sum(axis=0)
    week, bands = carer_minutes(data, h)
    drivers = int(data.hub_drivers[h] + recruits[h, DRIVERS])
    non = int(data.hub_non_drivers[h] + recruits[h, NON_DRIVERS])
    cap = np.array([np.inf if c is None else c for c in bands], dtype=np.float64)
    lo = np.maximum(band - times(drivers, cap), 0)
    hi = np.minimum(times(non, cap), near)
    nd = np.minimum(lo, hi)
    extra = max(band.sum() - week * drivers - nd.sum(), 0)
    for b in range(len(nd)):
        add = min(max(hi[b] - nd[b], 0), extra)
        nd[b] += add
        extra -= add
    return [int(v) for v in nd]
