"""Shared staff pools: a pool is carers at one or more hubs (``hub_pool``) that its member providers may draw
on, only for their clients in the pool's zones (the pairs from a pool's hub), and only with pools on
(``pools``). The hub, band and driver rules count a pool's hubs like any other. At most
``max_pool_members`` members draw on any one pool (the partnership rule of the seeds): a pool listing more
members lets the model choose which ones (``use[q, p]``).
"""

from __future__ import annotations

import numpy as np

from solver.rules.base import Rule


def pool_pairs(data) -> np.ndarray:
    """Per pair: served from a pool's hub."""
    return data.pair_pool >= 0


class Pools(Rule):
    name = "pools"
    words = "at most the allowed number of member providers draw on each shared staff pool"
    params = ("pools", "max_pool_members")
    data = ("pool_members", "pool_zones")

    def add(self, am) -> dict:
        d, s, m = am.data, am.switches, am.model
        on_pool = pool_pairs(d)
        if not s.pools:
            for k in [k for k in am.x if on_pool[k]]:
                del am.x[k]  # pools off: no pair from a pool's hub (before any other rule uses x)
            return {}
        for q in self._crowded(d, s):
            members = []
            for p in np.nonzero(d.pool_members[q])[0]:
                ks = [k for k in am.x if d.pair_pool[k] == q and d.pair_provider[k] == p]
                if not ks:
                    continue
                am.use[q, int(p)] = use = m.new_bool_var(f"use_{q}_{p}")
                members.append(use)
                for k in ks:
                    m.add_implication(am.x[k], use)
            m.add(sum(members) <= s.max_pool_members).only_enforce_if(am.lit(self.name))
        return {}

    @staticmethod
    def _crowded(d, s) -> list[int]:
        """Pools with more members than the partnership rule allows."""
        return [q for q in range(d.n_pools) if d.pool_members[q].sum() > s.max_pool_members]

    def lp(self, lpm) -> None:
        d, s = lpm.data, lpm.switches
        on_pool = pool_pairs(d)[lpm.ks]
        if not s.pools:
            lpm.hi_x[on_pool] = 0.0
            return
        for q in self._crowded(d, s):
            uses = []
            for p in np.nonzero(d.pool_members[q])[0]:
                mine = np.nonzero((d.pair_pool[lpm.ks] == q) & (lpm.pp == p))[0]
                if len(mine):
                    u = lpm.add_columns("use", np.zeros(1), np.ones(1), np.zeros(1), [(q, int(p))])
                    uses.append(u)
                    lpm.link(mine, np.full(len(mine), u))
            if uses:
                lpm.rows.add(uses, np.ones(len(uses)), -np.inf, float(s.max_pool_members))

    def hint(self, am, choice) -> None:
        d = am.data
        used = {(int(d.pair_pool[k]), int(d.pair_provider[k])) for k in choice[choice >= 0]}
        for key, v in am.use.items():
            am.model.add_hint(v, int(key in used))

    def check(self, view) -> list[str]:
        d, s, ks = view.data, view.switches, view.pairs
        q = d.pair_pool[ks]
        if not s.pools and np.any(q >= 0):
            return [f"pools: {int(np.sum(q >= 0))} client(s) served from a pool's hub but pools are off"]
        out = []
        for pool in sorted(set(q[q >= 0].tolist())):
            members = sorted(set(d.pair_provider[ks[q == pool]].tolist()))
            if len(members) > s.max_pool_members:
                out.append(f"pools: {len(members)} providers draw on pool {pool}, at most "
                           f"{s.max_pool_members} may (partnership rule)")
        return out

    def precheck(self, data, switches) -> list[str]:
        return []  # pools only add carers; the capacity and hub rules count them in their arithmetic

    def start(self, pl) -> bool:
        pl.pool_pair = pool_pairs(pl.data)
        pl.pool_users = {q: set() for q in self._crowded(pl.data, pl.switches)}
        return bool(pl.pool_pair.any())

    def admits(self, pl, i: int, k: int) -> bool:
        if not pl.pool_pair[k]:
            return True
        if not pl.switches.pools:
            return False
        users = pl.pool_users.get(int(pl.data.pair_pool[k]))
        if users is None:
            return True
        return int(pl.data.pair_provider[k]) in users or len(users) < pl.switches.max_pool_members

    def place(self, pl, i: int, k: int, sign: int) -> None:
        q = int(pl.data.pair_pool[k])
        if sign > 0 and q in pl.pool_users:
            pl.pool_users[q].add(int(pl.data.pair_provider[k]))  # unbooking keeps the member: it joined
