"""Ranked zoning: each zone has a lead, a second (and a third, ...) provider, each taking its share of the
zone's care hours (``ranked_shares``, e.g. Argyll and Bute's 2012 model: 60 / 25 / 15 % of new work).

The zoning limit of every zone becomes the number of ranks (:func:`solver.data.zone_limits`). Each
provider serving a zone holds one rank there; a rank's deviation is how far its provider's care minutes are
from its share of the zone's care minutes (an empty rank has none), and each deviating care hour a week costs
``share_penalty_gbp_per_hour``. Clients who chose their provider are not counted, as in zoning. A zone with
a lower limit of its own (a per-zone what-if) is not ranked.

Units, so that the model and the validator agree to the penny: care minutes per client rounded down (as the
providers' floors count them), shares in thousandths, a deviation in whole minutes rounded up, and the
penalty in whole pence per minute (£6 an hour = 10p a minute).

Model per ranked zone z: r[z, p, j] (p holds rank j), Σ_j r = y[z, p], Σ_p r ≤ 1; g[z, p, j] = p's minutes
if r else 0; 1000·dev[z, j] ≥ ±(1000·Σ_p g[z, p, j] − S_j·H_z) with H_z the zone's minutes. The cheapest
ranking of a given allocation is found by trying every one (at most 4! per zone):
:func:`solver.measures.rank_zone`.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from solver.measures import (
    MILLI,
    penalty_pence_per_minute,
    rank_zone,
    ranked_zones,
    share_milli,
    zone_care_minutes,
)
from solver.rules.base import ALWAYS, Rule
from solver.rules.min_viable import care_minutes_down


def start_ranks(data, switches, choice: np.ndarray, open_: set) -> dict[tuple[int, int], int]:
    """A rank per open (zone, provider) of the ranked zones: the cheapest ranking of ``choice``, and the
    ranks it leaves empty, in order, for open providers without clients there."""
    shares, out = share_milli(switches), {}
    for z, minutes in zone_care_minutes(data, switches, choice).items():
        holder, _ = rank_zone(minutes, shares)
        out.update({(z, p): j for j, p in enumerate(holder) if p >= 0})
        empty = [j for j, p in enumerate(holder) if p < 0]
        for p in sorted(q for zz, q in open_ if zz == z and (z, q) not in out)[:len(empty)]:
            out[z, p] = empty.pop(0)
    return out


class RankedZoning(Rule):
    name = "ranked_zoning"
    words = ""  # a cost, never a conflict: any allocation within the zoning limit has a ranking
    params = ("ranked_shares", "share_penalty_gbp_per_hour")
    data = ()

    def add(self, am) -> dict:
        zones = ranked_zones(am.data, am.switches)
        if not zones:
            return {}
        care, shares = care_minutes_down(am.data), share_milli(am.switches)
        pairs = self._pairs(am, set(zones))
        devs = []
        for z in zones:
            if pairs.get(z):
                devs.extend(self._zone(am, z, self._loads(am, pairs[z], care), shares))
        return {"shares": penalty_pence_per_minute(am.switches) * sum(devs)} if devs else {}

    @staticmethod
    def _pairs(am, zones: set[int]) -> dict[int, dict[int, list[int]]]:
        """Per ranked zone and provider with a zone choice there, its pairs (clients' own choices aside)."""
        d, out = am.data, {}
        for k in am.x:
            i, p = int(d.pair_client[k]), int(d.pair_provider[k])
            z = int(d.client_zone[i])
            if z in zones and d.client_pinned_provider[i] != p and (z, p) in am.y:
                out.setdefault(z, {}).setdefault(p, []).append(k)
        return out

    @staticmethod
    def _loads(am, pairs: dict[int, list[int]], care: np.ndarray) -> dict[int, tuple]:
        """Each provider's care minutes in the zone (an expression) and their maximum."""
        d = am.data
        return {p: (cp_model.LinearExpr.weighted_sum([am.x[k] for k in ks],
                                                     [int(care[d.pair_client[k]]) for k in ks]),
                    int(sum(care[np.unique(d.pair_client[ks])])))
                for p, ks in sorted(pairs.items())}

    @staticmethod
    def _zone(am, z: int, loads: dict, shares: list[int]) -> list[cp_model.IntVar]:
        m, ranks = am.model, range(len(shares))
        total = sum(expr for expr, _ in loads.values())
        top = sum(most for _, most in loads.values())
        g_rank: list[list] = [[] for _ in ranks]
        for p, (expr, most) in loads.items():
            rs = [m.new_bool_var(f"rank_{z}_{p}_{j}") for j in ranks]
            m.add(sum(rs) == am.y[z, p])
            for j, r in enumerate(rs):
                g = m.new_int_var(0, most, f"ranked_minutes_{z}_{p}_{j}")
                m.add(g == expr).only_enforce_if(r)
                m.add(g == 0).only_enforce_if(~r)
                am.ranked[z, p, j] = (r, g)
                g_rank[j].append(g)
        devs = []
        for j in ranks:
            if len(g_rank[j]) > 1:
                m.add_at_most_one(am.ranked[z, p, j][0] for p in loads)
            dev = m.new_int_var(0, top, f"share_deviation_{z}_{j}")
            am.ranked_deviation[z, j] = dev
            m.add(MILLI * dev >= MILLI * sum(g_rank[j]) - shares[j] * total)
            m.add(MILLI * dev >= shares[j] * total - MILLI * sum(g_rank[j]))
            devs.append(dev)
        return devs

    def lp(self, lpm) -> None:
        zones = set(ranked_zones(lpm.data, lpm.switches))
        if not zones or "y" not in lpm._blocks:
            return
        care = care_minutes_down(lpm.data)[lpm.pc].astype(float)
        y0, keys = lpm.block("y")
        free = lpm.data.client_pinned_provider[lpm.pc] != lpm.pp
        plan = []  # (zone, {provider: y column}, {provider: its x columns there})
        for z in sorted(zones):
            ys = {int(p): y0 + j for j, (zz, p) in enumerate(keys) if zz == z}
            if ys:
                mine = free & (lpm.zone_x == z)
                plan.append((z, ys, {p: np.flatnonzero(mine & (lpm.pp == p)) for p in ys}))
        rate = float(penalty_pence_per_minute(lpm.switches))
        if plan:
            _lp_rows(lpm, plan, care, share_milli(lpm.switches), rate)

    def hint(self, am, choice) -> None:
        if not am.ranked:
            return
        shares = share_milli(am.switches)
        for z, minutes in zone_care_minutes(am.data, am.switches, choice).items():
            holder, dev = rank_zone(minutes, shares)
            for (zz, p, j), (r, g) in am.ranked.items():
                if zz != z:
                    continue
                mine = p in holder and holder.index(p) == j  # zoning hints y = 1 exactly for these
                am.model.add_hint(r, int(mine))
                am.model.add_hint(g, minutes.get(p, 0) if mine else 0)
            for j, v in enumerate(dev):
                if (z, j) in am.ranked_deviation:
                    am.model.add_hint(am.ranked_deviation[z, j], v)

    def check(self, view) -> list[str]:
        return []  # a cost (the objective's "shares" term), never a broken rule

    def precheck(self, data, switches) -> list[str]:
        return []  # any allocation within the zoning limit has a ranking

    admits = ALWAYS  # the heuristics place clients; the ranking and its cost follow from the placement


def _lp_rows(lpm, plan: list, care: np.ndarray, shares: list[int], rate: float) -> None:
    """r, g and dev columns of every ranked zone (one block each: blocks grow contiguously) and their rows
    (see the module doc)."""
    n_rank = len(shares)
    pairs = [(z, p) for z, ys, _ in plan for p in sorted(ys)]
    most = {(z, p): float(care[cols[p]].sum()) for z, _, cols in plan for p in cols}
    rank_keys = [(z, p, j) for z, p in pairs for j in range(n_rank)]
    r0 = lpm.add_columns("rank", np.zeros(len(rank_keys)), np.ones(len(rank_keys)), np.zeros(len(rank_keys)),
                         rank_keys)
    g0 = lpm.add_columns("ranked_minutes", np.zeros(len(rank_keys)), [most[z, p] for z, p, _ in rank_keys],
                         np.zeros(len(rank_keys)), rank_keys)
    top = [math.fsum(most[z, p] for p in ys) for z, ys, _ in plan]
    dev_keys = [(z, j) for z, _, _ in plan for j in range(n_rank)]
    d0 = lpm.add_columns("share_deviation", np.zeros(len(dev_keys)), np.repeat(top, n_rank),
                         np.full(len(dev_keys), rate), dev_keys)
    first = 0
    for a, (z, ys, cols) in enumerate(plan):
        provs = sorted(ys)
        at = {p: first + b * n_rank for b, p in enumerate(provs)}
        _lp_zone(lpm, ys, cols, care, shares, most, z, r0, g0, d0 + a * n_rank, at)
        first += len(provs) * n_rank


def _lp_zone(lpm, ys: dict, cols: dict, care, shares: list[int], most: dict, z: int, r0: int, g0: int,
             d0: int, at: dict[int, int]) -> None:
    """One zone's rows: Σ_j r = y, g = minutes when r (g ≤ most·r, Σ_j g = minutes), one provider a rank,
    and the deviations."""
    inf, n_rank = np.inf, len(shares)
    every = np.concatenate([cols[p] for p in sorted(ys)])
    for p in sorted(ys):
        ranks, gs = r0 + at[p] + np.arange(n_rank), g0 + at[p] + np.arange(n_rank)
        lpm.rows.add([*ranks, ys[p]], [*np.ones(n_rank), -1.0], 0.0, 0.0)
        lpm.rows.add([*gs, *cols[p]], [*np.ones(n_rank), *-care[cols[p]]], 0.0, 0.0)
        for j in range(n_rank):
            lpm.rows.add([gs[j], ranks[j]], [1.0, -most[z, p]], -inf, 0.0)
    for j in range(n_rank):
        gs = np.array([g0 + at[p] + j for p in sorted(ys)])
        lpm.rows.add([r0 + at[p] + j for p in sorted(ys)], np.ones(len(ys)), -inf, 1.0)
        for sign in (1.0, -1.0):
            lpm.rows.add([d0 + j, *gs, *every],
                         [float(MILLI), *np.full(len(gs), -sign * MILLI), *(sign * shares[j] * care[every])],
                         0.0, inf)
