"""Zoning: at most K providers serve any zone (``max_providers_per_zone``; None = no zoning), or a zone's
own limit (``client_zone_max_providers``, the same for every client of the zone, set from a scenario's
per-patch or per-locality what-if; such a zone is limited even when ``max_providers_per_zone`` is None).

Model: x[k] ≤ y[zone(i), p] per pair k of client i and provider p (strong linking), Σ_p y[z, p] ≤ K. A client
who chose its provider (pinned) keeps it whatever the zoning contract says: that pair neither forces
y[zone(i), p] = 1 nor counts toward the K providers. Clients merely protected (the continuity rules) are not
exempt.
"""

from __future__ import annotations

import numpy as np

from solver.rules.base import Rule


def zone_limits(data, switches) -> np.ndarray | None:
    """Each zone's limit on providers (-1: none), or None when no zone is limited."""
    k_max, own = switches.max_providers_per_zone, data.client_zone_max_providers
    has_own = own >= 0
    if k_max is None and not has_own.any():
        return None
    out = np.full(data.n_zones, -1 if k_max is None else int(k_max), dtype=np.int64)
    out[data.client_zone[has_own]] = own[has_own]
    return out


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
        return {}

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
        )
        zs = sorted({z for z, _ in keys})
        zrow = {z: j for j, z in enumerate(zs)}
        lpm.rows.add_block(
            [zrow[z] for z, _ in keys],
            y0 + np.arange(ny),
            np.ones(ny),
            np.full(len(zs), -inf),
            limits[zs].astype(float),
        )

    def hint(self, am, choice) -> None:
        from solver.measures import providers_of

        d = am.data
        assignment = providers_of(d, choice)
        free = (assignment >= 0) & (assignment != d.client_pinned_provider)
        used = set(zip(d.client_zone[free].tolist(), assignment[free].tolist(), strict=True))
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
