"""Zoning: at most K providers serve any zone (``max_providers_per_zone``; None = no zoning), or a zone's
own limit (``client_zone_max_providers``, the same for every client of the zone, set from a scenario's
per-patch or per-locality what-if; such a zone is limited even when ``max_providers_per_zone`` is None).

Model: x[k] ≤ y[zone(i), p] per pair k of client i and provider p (strong linking), Σ_p y[z, p] ≤ K. A client
who chose its provider (pinned) keeps it whatever the zoning contract says: that pair neither forces
y[zone(i), p] = 1 nor counts toward the K providers. Clients merely protected (the continuity rules) are not
exempt.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.data import zone_limits
from solver.rules.base import Rule
from solver.units import minutes_up


def zones_served(data, choice: np.ndarray) -> set[tuple[int, int]]:
    """The (zone, provider) pairs a choice uses, clients' own choices not counted (the y[z, p] it implies)."""
    from solver.measures import providers_of

    assignment = providers_of(data, choice)
    free = (assignment >= 0) & (assignment != data.client_pinned_provider)
    return set(zip(data.client_zone[free].tolist(), assignment[free].tolist(), strict=True))


def capacity_links(data, switches, ks: np.ndarray, staff_minutes: np.ndarray):
    """Valid inequalities that make the zone choice pay for capacity: per limited zone z, provider p and each
    capacity p may use there (a hub's carers in a week or a band's window, recruits at their limit; p's own
    overall weekly hours), Σ minutes·x ≤ capacity · y[z, p] over the zone's unpinned pairs of p using it.

    x ≤ y alone lets the relaxation spread a patch thinly over many providers at fractional y; these rows
    charge each chosen provider's share of the patch against what its hubs can carry (measured: the default
    scenario's K = 2 bound 626k → 672k, K = 1 664k → 1.63m). Yields ``((z, p), positions in ks, minutes,
    capacity)``; groups that could never reach their capacity are left out (x ≤ y already covers them).
    """
    limits = zone_limits(data, switches)
    if limits is None or not len(ks):
        return
    client = data.pair_client[ks]
    zone, provider = data.client_zone[client], data.pair_provider[ks]
    free = np.nonzero((data.client_pinned_provider[client] != provider) & (limits[zone] >= 0))[0]
    yield from _hub_links(data, switches, ks, free, zone, provider, staff_minutes)
    yield from _provider_links(data, ks, free, zone, provider, staff_minutes)


def _groups(*columns: np.ndarray):
    """Positions grouped by equal values of ``columns``: (key tuple, positions)."""
    keys = np.stack(columns, axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.searchsorted(inverse.ravel()[order], np.arange(len(uniq) + 1))
    for g, key in enumerate(uniq.tolist()):
        yield tuple(key), order[bounds[g]:bounds[g + 1]]


def _hub_links(data, switches, ks, free, zone, provider, staff_minutes):
    from solver.measures import recruit_limits
    from solver.rules.hub_hours import workforce_on
    from solver.rules.workforce import band_minutes, carer_minutes

    hub = data.pair_hub[ks]
    free = free[hub[free] >= 0]
    if not workforce_on(data, switches) or not len(free):
        return
    bands, most = band_minutes(data)[ks], recruit_limits(data, switches)
    for (z, h, p), pos in _groups(zone[free], hub[free], provider[free]):
        pos = free[pos]
        week, per_band = carer_minutes(data, h)
        carers = int(data.hub_carers[h]) + int(most[h])
        needs = [(staff_minutes[ks[pos]], week)]
        needs += [(bands[pos, b], cap) for b, cap in enumerate(per_band) if cap is not None]
        for minutes, per_carer in needs:
            if int(minutes.sum()) > per_carer * carers:
                yield (z, p), pos, minutes.astype(np.int64), per_carer * carers


def _provider_links(data, ks, free, zone, provider, staff_minutes):
    from solver.rules.capacity import own_pairs
    from solver.units import minutes_down

    free = free[own_pairs(data)[ks[free]]]
    if not len(free):
        return
    for (z, p), pos in _groups(zone[free], provider[free]):
        cap_h = data.provider_weekly_staff_hours[p]
        pos = free[pos]
        minutes = staff_minutes[ks[pos]].astype(np.int64)
        if math.isfinite(cap_h) and int(minutes.sum()) > int(minutes_down(cap_h)):
            yield (z, p), pos, minutes, int(minutes_down(cap_h))


class Zoning(Rule):
    name = "zoning"
    words = "at most K providers may serve each zone (clients who chose their provider are not counted)"
    params = ("max_providers_per_zone",)
    data = ("client_zone_max_providers",)

    def add(self, am) -> dict:
        d, m, limits = am.data, am.model, zone_limits(am.data, am.switches)
        if limits is None:
            return {}
        pinned = d.client_pinned_provider
        for k, v in am.x.items():
            i, p = int(d.pair_client[k]), int(d.pair_provider[k])
            z = int(d.client_zone[i])
            if pinned[i] == p or limits[z] < 0:
                continue
            if (z, p) not in am.y:
                am.y[z, p] = m.new_bool_var(f"y_{z}_{p}")
            m.add_implication(v, am.y[z, p])
        by_zone: dict[int, list] = {}
        for (z, _p), v in am.y.items():
            by_zone.setdefault(z, []).append(v)
        for z, vs in sorted(by_zone.items()):
            if len(vs) > limits[z] or am.diagnostic:
                m.add(sum(vs) <= int(limits[z])).only_enforce_if(am.lit(self.name))
        if not am.diagnostic:  # implied by x ≤ y and the capacity rules: no conflict of their own
            self._add_links(am)
        return {}

    @staticmethod
    def _add_links(am) -> None:
        ks = np.array(sorted(am.x), dtype=np.int64)
        for key, pos, minutes, cap in capacity_links(am.data, am.switches, ks, am.staff_minutes):
            if key in am.y:
                load = cp_model.LinearExpr.weighted_sum([am.x[int(k)] for k in ks[pos]], minutes.tolist())
                am.model.add(load <= int(cap) * am.y[key])

    def lp(self, lpm) -> None:
        """x ≤ y (pairs not chosen by their client, in limited zones), Σ_p y[z, p] ≤ K (the zone's)."""
        limits, inf = zone_limits(lpm.data, lpm.switches), np.inf
        if limits is None:
            return
        zone_x, pp = lpm.zone_x, lpm.pp
        free = np.nonzero((lpm.data.client_pinned_provider[lpm.pc] != pp) & (limits[zone_x] >= 0))[0]
        keys = sorted(set(zip(zone_x[free].tolist(), pp[free].tolist(), strict=True)))
        index = {key: j for j, key in enumerate(keys)}
        ny = len(keys)
        y0 = lpm.add_columns("y", np.zeros(ny), np.ones(ny), np.zeros(ny), keys)
        yc = np.array([y0 + index[int(zone_x[k]), int(pp[k])] for k in free], dtype=np.int64)
        nf = len(free)
        lpm.rows.add_block(
            np.concatenate([np.arange(nf), np.arange(nf)]),
            np.concatenate([free, yc]),
            np.concatenate([np.ones(nf), -np.ones(nf)]),
            np.full(nf, -inf),
            np.zeros(nf),
            name="zone_links",
        )
        zs = sorted({z for z, _ in keys})
        zrow = {z: j for j, z in enumerate(zs)}
        lpm.rows.add_block(
            [zrow[z] for z, _ in keys],
            y0 + np.arange(ny),
            np.ones(ny),
            np.full(len(zs), -inf),
            limits[zs].astype(float),
            name="zone_limit",
        )
        staff_minutes = minutes_up(lpm.data.pair_staff_hours)
        for key, pos, minutes, cap in capacity_links(lpm.data, lpm.switches, lpm.ks, staff_minutes):
            if key in index:
                lpm.rows.add([*pos, y0 + index[key]], [*minutes.astype(float), -float(cap)], -inf, 0.0)

    def hint(self, am, choice) -> None:
        used = zones_served(am.data, choice)
        for key, v in am.y.items():
            am.model.add_hint(v, int(key in used))

    def check(self, view) -> list[str]:
        from solver.measures import zone_providers

        d, limits = view.data, zone_limits(view.data, view.switches)
        if limits is None:
            return []
        return [
            f"zoning: {d.zone_name(z)} is served by {len(provs)} providers, limit {limits[z]} (not counting "
            "providers chosen by pinned clients)"
            for z, provs in enumerate(zone_providers(d, view.assignment, exempt_pinned=True))
            if 0 <= limits[z] < len(provs)
        ]

    def precheck(self, data, switches) -> list[str]:
        return []  # K alone never conflicts; with capacity it does, and the capacity rule counts K

    def start(self, pl) -> bool:
        """``pl.zone_allowed`` (zones × providers): the providers a caller chose for each zone (the LP
        rounding's zone choice), or none; ``pl.zone_counted``: providers serving a zone so far;
        ``pl.zone_limit``: each zone's limit (-1: none)."""
        pl.zone_limit = zone_limits(pl.data, pl.switches)
        if pl.zone_limit is None:
            pl.zone_allowed = None
            return False
        shape = (pl.data.n_zones, pl.data.n_providers)
        if pl.zone_allowed is None:
            pl.zone_allowed = np.zeros(shape, dtype=bool)
        pl.zone_counted = np.zeros(shape, dtype=bool)
        return True

    def admits(self, pl, i: int, k: int) -> bool:
        """A provider already serving the zone; one chosen for it while fewer than the zone's K serve it; any
        while fewer than K are chosen or serving; a client's own choice and an unlimited zone always."""
        d = pl.data
        p, z = int(d.pair_provider[k]), int(d.client_zone[i])
        limit = pl.zone_limit[z]
        if d.client_pinned_provider[i] == p or limit < 0:
            return True
        allowed, counted = pl.zone_allowed[z], pl.zone_counted[z]
        if counted[p]:
            return True
        if allowed[p]:  # a plan of more providers than the zone's own limit keeps the limit too
            return counted.sum() < limit
        return (counted | allowed).sum() < limit

    def place(self, pl, i: int, k: int, sign: int) -> None:
        p = int(pl.data.pair_provider[k])
        if sign > 0 and pl.data.client_pinned_provider[i] != p:
            pl.zone_counted[int(pl.data.client_zone[i]), p] = True
        # Unbooking keeps the provider counted: it stays chosen for the zone.
