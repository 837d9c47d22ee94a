"""Zoning: at most K providers serve any zone (``max_providers_per_zone``; None = no zoning).

Model: x[k] ≤ y[zone(i), p] per pair k of client i and provider p (strong linking), Σ_p y[z, p] ≤ K. A client
who chose its provider (pinned) keeps it whatever the zoning contract says: that pair neither forces
y[zone(i), p] = 1 nor counts toward the K providers. Clients merely protected (the continuity rules) are not
exempt.
"""

from __future__ import annotations

import numpy as np

from solver.rules.base import Rule


class Zoning(Rule):
    name = "zoning"
    words = "at most K providers may serve each zone (clients who chose their provider are not counted)"
    params = ("max_providers_per_zone",)
    data = ()

    def add(self, am) -> dict:
        d, m, k_max = am.data, am.model, am.switches.max_providers_per_zone
        if k_max is None:
            return {}
        pinned = d.client_pinned_provider
        for k, v in am.x.items():
            i, p = int(d.pair_client[k]), int(d.pair_provider[k])
            if pinned[i] == p:
                continue
            z = int(d.client_zone[i])
            if (z, p) not in am.y:
                am.y[z, p] = m.new_bool_var(f"y_{z}_{p}")
            m.add_implication(v, am.y[z, p])
        by_zone: dict[int, list] = {}
        for (z, _p), v in am.y.items():
            by_zone.setdefault(z, []).append(v)
        for _z, vs in sorted(by_zone.items()):
            if len(vs) > k_max or am.diagnostic:
                m.add(sum(vs) <= k_max).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        """x ≤ y (pairs not chosen by their client), Σ_p y[z, p] ≤ K."""
        k_max, inf = lpm.switches.max_providers_per_zone, np.inf
        if k_max is None:
            return
        zone_x, pp = lpm.zone_x, lpm.pp
        free = np.nonzero(lpm.data.client_pinned_provider[lpm.pc] != pp)[0]
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
            np.full(len(zs), float(k_max)),
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

        d, k_max = view.data, view.switches.max_providers_per_zone
        if k_max is None:
            return []
        return [
            f"zoning: {d.zone_name(z)} is served by {len(provs)} providers, limit {k_max} (not counting "
            "providers chosen by pinned clients)"
            for z, provs in enumerate(zone_providers(d, view.assignment, exempt_pinned=True))
            if len(provs) > k_max
        ]

    def precheck(self, data, switches) -> list[str]:
        return []  # K alone never conflicts; with capacity it does, and the capacity rule counts K

    def start(self, pl) -> bool:
        """``pl.zone_allowed`` (zones × providers): the providers a caller chose for each zone (the LP
        rounding's zone choice), or none; ``pl.zone_counted``: providers serving a zone so far."""
        if pl.switches.max_providers_per_zone is None:
            pl.zone_allowed = None
            return False
        shape = (pl.data.n_zones, pl.data.n_providers)
        if pl.zone_allowed is None:
            pl.zone_allowed = np.zeros(shape, dtype=bool)
        pl.zone_counted = np.zeros(shape, dtype=bool)
        return True

    def admits(self, pl, i: int, k: int) -> bool:
        """A provider chosen for the zone, one already serving it, or any while fewer than K are chosen or
        serving; a client's own choice always."""
        d = pl.data
        p, z = int(d.pair_provider[k]), int(d.client_zone[i])
        if d.client_pinned_provider[i] == p:
            return True
        allowed, counted = pl.zone_allowed[z], pl.zone_counted[z]
        if allowed[p] or counted[p]:
            return True
        return (counted | allowed).sum() < pl.switches.max_providers_per_zone

    def place(self, pl, i: int, k: int, sign: int) -> None:
        p = int(pl.data.pair_provider[k])
        if sign > 0 and pl.data.client_pinned_provider[i] != p:
            pl.zone_counted[int(pl.data.client_zone[i]), p] = True
        # Unbooking keeps the provider counted: it stays chosen for the zone.
