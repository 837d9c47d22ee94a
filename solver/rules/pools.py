"""Shared staff pools: pool q's hours may be drawn by its member providers, only for their clients in the
pool's zones, with pools on (``pools``). At most four members is the partnership rule of the input
(a warning there); here a pool is hours that several providers may draw on.

Model: draw[q, p, z] ≤ pool minutes; Σ_{p,z} draw[q, p, z] ≤ pool minutes; Σ_q draw[q, p, z] ≤ the staff
minutes p spends on clients in z (so draws never pay for work elsewhere, and overlapping pools cannot count
the same work twice). The capacity rule adds the draws to each provider's own staff minutes.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.rules.base import ALWAYS, Rule
from solver.units import minutes_down

TOL_HOURS = 1e-6


class Pools(Rule):
    name = "pools"
    words = ""  # pools only add hours: never a conflict of their own
    params = ("pools",)
    data = ("pool_weekly_hours", "pool_members", "pool_zones")

    def add(self, am) -> dict:
        d, m = am.data, am.model
        if not am.switches.pools or d.n_pools == 0:
            return {}
        pool_minutes = minutes_down(d.pool_weekly_hours)
        zone_of_pair = d.client_zone[d.pair_client]
        per_pz: dict[tuple[int, int], list] = {}
        for q in range(d.n_pools):
            if pool_minutes[q] <= 0:
                continue
            total = []
            for p in np.nonzero(d.pool_members[q])[0]:
                for z in np.nonzero(d.pool_zones[q])[0]:
                    sel = (d.pair_provider == p) & (zone_of_pair == z)
                    if not np.any(sel & d.pair_eligible):
                        continue
                    v = m.new_int_var(0, int(pool_minutes[q]), f"draw_{q}_{p}_{z}")
                    am.draw[q, int(p), int(z)] = v
                    per_pz.setdefault((int(p), int(z)), []).append(v)
                    total.append(v)
            if total:
                m.add(sum(total) <= int(pool_minutes[q]))
        for (p, z), vs in per_pz.items():
            ks = np.nonzero((d.pair_provider == p) & (zone_of_pair == z))[0]
            work = [
                (am.x[int(d.pair_client[k]), p], int(am.staff_minutes[k]))
                for k in ks
                if (int(d.pair_client[k]), p) in am.x
            ]
            m.add(sum(vs) <= cp_model.LinearExpr.weighted_sum([w[0] for w in work], [w[1] for w in work]))
        return {}

    def lp(self, lpm) -> None:
        d, inf = lpm.data, np.inf
        if not lpm.switches.pools or not d.n_pools:
            return
        pool_minutes = minutes_down(d.pool_weekly_hours)
        present = set(zip(lpm.pp.tolist(), lpm.zone_x.tolist(), strict=True))
        keys = [
            (q, int(p), int(z))
            for q in range(d.n_pools)
            if pool_minutes[q] > 0
            for p in np.nonzero(d.pool_members[q])[0]
            for z in np.nonzero(d.pool_zones[q])[0]
            if (int(p), int(z)) in present
        ]
        if not keys:
            return
        nd = len(keys)
        dq = np.array([key[0] for key in keys])
        d0 = lpm.add_columns("draw", np.zeros(nd), pool_minutes[dq].astype(np.float64), np.zeros(nd), keys)
        qs = sorted(set(dq.tolist()))
        qrow = {q: j for j, q in enumerate(qs)}
        lpm.rows.add_block(
            [qrow[q] for q in dq],
            d0 + np.arange(nd),
            np.ones(nd),
            np.full(len(qs), -inf),
            pool_minutes[qs].astype(np.float64),
        )
        # Σ_q draw[q, p, z] − Σ_{i in z} staff x[i, p] ≤ 0
        pz_keys = sorted({(p, z) for _, p, z in keys})
        pz_row = {key: j for j, key in enumerate(pz_keys)}
        pp, zx = lpm.pp, lpm.zone_x
        sel = np.array([(int(a), int(b)) in pz_row for a, b in zip(pp, zx, strict=True)], dtype=bool)
        xr = [pz_row[int(a), int(b)] for a, b in zip(pp[sel], zx[sel], strict=True)]
        lpm.rows.add_block(
            np.concatenate([[pz_row[p, z] for _, p, z in keys], xr]),
            np.concatenate([d0 + np.arange(nd), np.nonzero(sel)[0]]),
            np.concatenate([np.ones(nd), -lpm.staff[sel]]),
            np.full(len(pz_keys), -inf),
            np.zeros(len(pz_keys)),
        )

    def hint(self, am, assignment) -> None:
        for key, minutes in integer_draws(am.data, assignment, list(am.draw)).items():
            am.model.add_hint(am.draw[key], minutes)

    def check(self, view) -> list[str]:
        """Draws given with the assignment: drawn by members, in the pool's zones, within the pool's hours and
        the work done there. (Draws the checker finds itself, by max-flow, hold these by construction.)"""
        if not view.draws_given:
            return []
        d, draws, out = view.data, view.draws, []
        if view.draws_shape_wrong:
            return [f"pools: draws have shape {view.draws_shape_wrong}, expected (pools, providers, zones)"]
        if np.any(draws < -TOL_HOURS):
            out.append("pools: negative draw")
        allowed = d.pool_members[:, :, None] & d.pool_zones[:, None, :]
        if not view.switches.pools:
            allowed = np.zeros_like(allowed)
        if np.any(draws[~allowed] > TOL_HOURS):
            out.append("pools: hours drawn by a non-member, for a zone the pool does not cover, or pools off")
        over_pool = draws.sum(axis=(1, 2)) - d.pool_weekly_hours
        for q in np.nonzero(over_pool > TOL_HOURS)[0]:
            out.append(f"pools: pool {q} gives {draws[q].sum():.2f} h, has {d.pool_weekly_hours[q]:.2f} h")
        over_work = draws.sum(axis=0) - view.work
        for p, z in zip(*np.nonzero(over_work > TOL_HOURS), strict=True):
            out.append(
                f"pools: {d.provider_name(int(p))} draws more pool hours in {d.zone_name(int(z))} "
                "than it works there"
            )
        return out

    def precheck(self, data, switches) -> list[str]:
        return []  # pools only add hours; the capacity rule counts them in its arithmetic

    def start(self, pl) -> bool:
        """The pool minutes a placement may use per (provider, zone): the LP's draws when rounding it (given
        by the caller as ``pl.pool_allowance``), none for the greedy fall-back (pools are CP-SAT's)."""
        if pl.pool_allowance is None:
            pl.pool_allowance = np.zeros((pl.data.n_providers, pl.data.n_zones))
        return False

    # The capacity rule counts the allowance; pools never refuse a placement of their own.
    admits = ALWAYS


def integer_draws(
    data, assignment: np.ndarray, keys: list[tuple[int, int, int]]
) -> dict[tuple[int, int, int], int]:
    """Pool draws in the model's integer minutes covering each provider's overload (max-flow); 0 if unused.
    With these, an assignment is a complete model solution (x, unmet, y and draws) for a solution hint."""
    from ortools.graph.python import max_flow

    from solver.units import minutes_up

    d = data
    out = dict.fromkeys(keys, 0)
    if not keys:
        return out
    staff = minutes_up(d.pair_staff_hours)
    clients = np.nonzero(assignment >= 0)[0]
    idx = np.array([d.pair_index(int(i), int(assignment[i])) for i in clients], dtype=np.int64)
    ok = idx >= 0
    work = np.zeros((d.n_providers, d.n_zones), dtype=np.int64)
    np.add.at(work, (d.pair_provider[idx[ok]], d.client_zone[clients[ok]]), staff[idx[ok]])
    over = work.sum(axis=1) - minutes_down(d.provider_weekly_staff_hours)
    if not np.any(over > 0):
        return out
    pool_minutes = minutes_down(d.pool_weekly_hours)
    g = max_flow.SimpleMaxFlow()
    q_n, m, z_n = d.n_pools, d.n_providers, d.n_zones
    source, sink, pool_node, prov_node = 0, 1, 2, 2 + q_n
    pz_node = prov_node + m
    arcs = {}
    for q in range(q_n):
        g.add_arc_with_capacity(source, pool_node + q, int(max(pool_minutes[q], 0)))
    for q, p, z in keys:
        if over[p] > 0 and work[p, z] > 0:
            arcs[q, p, z] = g.add_arc_with_capacity(
                pool_node + q, pz_node + p * z_n + z, int(pool_minutes[q])
            )
    for p in np.nonzero(over > 0)[0]:
        for z in np.nonzero(work[p] > 0)[0]:
            g.add_arc_with_capacity(pz_node + p * z_n + z, prov_node + p, int(work[p, z]))
        g.add_arc_with_capacity(prov_node + p, sink, int(over[p]))
    g.solve(source, sink)
    for key, arc in arcs.items():
        out[key] = int(g.flow(arc))
    return out
