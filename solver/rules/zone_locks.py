"""Zone locks: a variant may lock a provider out of named zones (``lock_out``) or reserve named zones for
providers (``reserve``: only they serve those zones). A client who chose its provider (pinned) keeps it
whatever the locks say, as with zoning."""

from __future__ import annotations

import numpy as np

from solver.rules.base import Rule


class ZoneLocks(Rule):
    name = "zone_locks"
    words = "providers locked out of a zone, or not among those it is reserved for, take no clients there"
    params = ("lock_out", "reserve")
    data = ()

    def add(self, am) -> dict:
        for k in np.nonzero(locked_pairs(am.data, am.switches))[0]:
            if int(k) in am.x:
                am.model.add(am.x[int(k)] == 0).only_enforce_if(am.lit(self.name))
        return {}

    def lp(self, lpm) -> None:
        lpm.hi_x[locked_pairs(lpm.data, lpm.switches)[lpm.ks]] = 0.0

    def hint(self, am, choice) -> None:
        pass  # no variables of its own

    def check(self, view) -> list[str]:
        d, locked = view.data, locked_pairs(view.data, view.switches)
        return [
            f"zone_locks: client {i} in {d.zone_name(int(d.client_zone[i]))} is served by "
            f"{d.provider_name(int(view.assignment[i]))}, which may not serve that zone"
            for i, k in zip(view.clients, view.pairs, strict=True)
            if locked[k]
        ]

    def precheck(self, data, switches) -> list[str]:
        """Zones whose clients only providers kept out by the locks could serve (when all must be served)."""
        if switches.allow_unmet or not (switches.lock_out or switches.reserve):
            return []
        ok = data.pair_eligible & ~locked_pairs(data, switches)
        served = np.zeros(data.n_clients, dtype=bool)
        served[data.pair_client[ok]] = True
        reachable = np.zeros(data.n_clients, dtype=bool)
        reachable[data.pair_client[data.pair_eligible]] = True
        stranded = np.bincount(data.client_zone[reachable & ~served], minlength=data.n_zones)
        return [
            f"{n} client(s) in {data.zone_label(z)} can be served only by providers locked out of it: "
            "lift a lock or reserve the zone for one of them as well"
            for z, n in enumerate(stranded)
            if n
        ]

    def start(self, pl) -> bool:
        pl.zone_locked = locked_pairs(pl.data, pl.switches)
        return bool(pl.zone_locked.any())

    def admits(self, pl, i: int, k: int) -> bool:
        return not pl.zone_locked[k]


def locked_pairs(data, switches) -> np.ndarray:
    """Per pair: its provider may not serve its client's zone (a client's own choice is never locked)."""
    locked = np.zeros((data.n_providers, data.n_zones), dtype=bool)
    for p, z in switches.lock_out:
        locked[p, z] = True
    reserved_for = np.zeros_like(locked)
    for p, z in switches.reserve:
        reserved_for[p, z] = True
    locked |= reserved_for.any(axis=0)[None, :] & ~reserved_for
    pairs = locked[data.pair_provider, data.client_zone[data.pair_client]]
    return pairs & (data.client_pinned_provider[data.pair_client] != data.pair_provider)
