"""LP relaxation (GLOP) of the allocation model and a rounding that turns it into a complete solution hint.

:func:`solve_lp` builds the same model as :mod:`solver.model` (same integer minutes and pence, every family)
with continuous variables, as one sparse matrix, and solves it with GLOP (inside OR-Tools).

:func:`round_lp` makes an assignment from it:

1. Zoning: in each zone the K providers carrying most LP staff minutes (providers with y = 1 first) are the
   zone's providers; providers chosen by pinned clients serve those clients outside the limit.
2. Clients are placed most-certain first (pinned, then largest LP value), each with the allowed provider of
   largest LP value that still has room. Room is counted in the model's integer minutes: own staff minutes
   plus the pool minutes the LP drew for that provider and zone (never more than the provider works in the
   zone), and the maximum weekly care minutes. A client that fits nowhere is unmet.
3. :func:`integer_pool_draws` computes the pool draws of the result in integer minutes (a max-flow), so the
   hint is a complete model solution (x, unmet, y, draws) whenever the other families allow it.

The result is always checked by :func:`solver.validate.validate_solution` before it is used as a hint.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy import sparse

from solver.data import ProblemData, ScenarioParams, protected_clients
from solver.model import minutes_down, minutes_up, pence


@dataclass
class LpSolution:
    """GLOP's answer: values per eligible pair, per client (unmet), per (zone, provider) and per draw."""

    status: str
    objective_pence: float = math.nan
    seconds: float = 0.0
    pairs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # eligible pair indices
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))  # aligned with ``pairs``
    unmet: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y: dict[tuple[int, int], float] = field(default_factory=dict)
    draw: dict[tuple[int, int, int], float] = field(default_factory=dict)


class _Rows:
    """Sparse constraint rows collected as COO triplets."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols, vals, lo: float, hi: float) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.r.append(np.full(len(cols), len(self.lo), dtype=np.int64))
        self.c.append(cols)
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), cols.shape))
        self.lo.append(lo)
        self.hi.append(hi)

    def add_block(self, rows, cols, vals, lo, hi) -> None:
        """Many rows at once: ``rows`` are 0-based within the block."""
        base = len(self.lo)
        self.r.append(np.asarray(rows, dtype=np.int64) + base)
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.asarray(vals, dtype=np.float64))
        self.lo.extend(np.asarray(lo, dtype=np.float64).tolist())
        self.hi.extend(np.asarray(hi, dtype=np.float64).tolist())


def solve_lp(data: ProblemData, scenario: ScenarioParams, time_limit_s: float = 30.0,
             deterministic: bool = False, wall_limit_s: float | None = None) -> LpSolution:
    """Solve the LP relaxation of the allocation model with GLOP (objective in pence, as CP-SAT's).

    ``deterministic``: ``time_limit_s`` is GLOP's deterministic time, so the answer does not depend on the
    machine's load; ``wall_limit_s`` (default 20 × the work limit) is then the clock's hard stop.
    """
    t0 = time.perf_counter()
    d, s = data, scenario
    inf = math.inf
    ks = np.nonzero(d.pair_eligible)[0]
    nx = len(ks)
    pc, pp = d.pair_client[ks], d.pair_provider[ks]
    staff = minutes_up(d.pair_staff_hours)[ks].astype(np.float64)
    cost = (pence(s.weight_care * d.pair_care_cost_gbp) + pence(s.weight_travel * d.pair_travel_cost_gbp))[ks]
    lo_b: list[np.ndarray] = [np.zeros(nx)]
    hi_b: list[np.ndarray] = [np.ones(nx)]
    obj: list[np.ndarray] = [cost.astype(np.float64)]
    pinned = d.client_pinned_provider[pc] == pp
    lo_b[0][pinned] = 1.0
    lo_b[0][fixed_provider(d, s)[pc] == pp] = 1.0  # protected clients stay, like pinned ones
    n_col = nx
    rows = _Rows()
    n = d.n_clients
    # Assignment: sum_p x[i, p] + unmet[i] = 1.
    u0 = n_col
    if s.allow_unmet:
        lo_b.append(np.zeros(n))
        hi_b.append(np.ones(n))
        obj.append(pence(s.unmet_penalty_per_hour_gbp * d.client_care_hours).astype(np.float64))
        n_col += n
        rows.add_block(np.concatenate([pc, np.arange(n)]), np.concatenate([np.arange(nx), u0 + np.arange(n)]),
                       np.ones(nx + n), np.ones(n), np.ones(n))
    else:
        rows.add_block(pc, np.arange(nx), np.ones(nx), np.ones(n), np.ones(n))
    # Pools: draw[q, p, z].
    zone_x = d.client_zone[pc]
    draw_keys: list[tuple[int, int, int]] = []
    if s.pools_enabled and d.n_pools:
        pool_minutes = minutes_down(d.pool_weekly_hours)
        pz_present = set(zip(pp.tolist(), zone_x.tolist(), strict=True))
        for q in range(d.n_pools):
            if pool_minutes[q] <= 0:
                continue
            for p in np.nonzero(d.pool_members[q])[0]:
                for z in np.nonzero(d.pool_zones[q])[0]:
                    if (int(p), int(z)) in pz_present:
                        draw_keys.append((q, int(p), int(z)))
        d0 = n_col
        nd = len(draw_keys)
        if nd:
            dq = np.array([k[0] for k in draw_keys])
            lo_b.append(np.zeros(nd))
            hi_b.append(pool_minutes[dq].astype(np.float64))
            obj.append(np.zeros(nd))
            n_col += nd
            qs = sorted(set(dq.tolist()))
            qrow = {q: j for j, q in enumerate(qs)}
            rows.add_block([qrow[q] for q in dq], d0 + np.arange(nd), np.ones(nd), np.full(len(qs), -inf),
                           pool_minutes[qs].astype(np.float64))
            # sum_q draw[q, p, z] - sum_{i in z} staff x[i, p] <= 0
            pz_keys = sorted({(p, z) for _, p, z in draw_keys})
            pz_row = {k: j for j, k in enumerate(pz_keys)}
            sel = np.array([(int(a), int(b)) in pz_row for a, b in zip(pp, zone_x, strict=True)], dtype=bool)
            xr = [pz_row[int(a), int(b)] for a, b in zip(pp[sel], zone_x[sel], strict=True)]
            rows.add_block(np.concatenate([[pz_row[p, z] for _, p, z in draw_keys], xr]),
                           np.concatenate([d0 + np.arange(nd), np.nonzero(sel)[0]]),
                           np.concatenate([np.ones(nd), -staff[sel]]), np.full(len(pz_keys), -inf),
                           np.zeros(len(pz_keys)))
    # Capacity: sum staff x[., p] - sum draw[., p, .] <= cap[p].
    cap = minutes_down(d.provider_weekly_staff_hours).astype(np.float64)
    m = d.n_providers
    dcols = [(j, key[1]) for j, key in enumerate(draw_keys)]
    d_first = n_col - len(draw_keys)
    rows.add_block(np.concatenate([pp, [p for _, p in dcols]]),
                   np.concatenate([np.arange(nx), [d_first + j for j, _ in dcols]]),
                   np.concatenate([staff, -np.ones(len(dcols))]), np.full(m, -inf), cap)
    # Zoning: x <= y (unpinned pairs), sum_p y[z, p] <= K.
    y_keys: list[tuple[int, int]] = []
    if s.max_providers_per_zone is not None:
        free = np.nonzero(~pinned)[0]
        y_keys = sorted(set(zip(zone_x[free].tolist(), pp[free].tolist(), strict=True)))
        y_index = {k: j for j, k in enumerate(y_keys)}
        y0 = n_col
        ny = len(y_keys)
        lo_b.append(np.zeros(ny))
        hi_b.append(np.ones(ny))
        obj.append(np.zeros(ny))
        n_col += ny
        yc = np.array([y0 + y_index[int(zone_x[k]), int(pp[k])] for k in free], dtype=np.int64)
        nf = len(free)
        rows.add_block(np.concatenate([np.arange(nf), np.arange(nf)]), np.concatenate([free, yc]),
                       np.concatenate([np.ones(nf), -np.ones(nf)]), np.full(nf, -inf), np.zeros(nf))
        zs = sorted({z for z, _ in y_keys})
        zrow = {z: j for j, z in enumerate(zs)}
        rows.add_block([zrow[z] for z, _ in y_keys], y0 + np.arange(ny), np.ones(ny), np.full(len(zs), -inf),
                       np.full(len(zs), float(s.max_providers_per_zone)))
    # Continuity: moves = (#clients with a current provider) - sum x[i, current(i)].
    cur = d.client_current_provider[pc]
    stay = np.nonzero((cur >= 0) & (cur == pp))[0]
    n_cur = int(np.sum(d.client_current_provider >= 0))
    offset = 0.0
    if s.move_penalty_gbp:
        pen = float(pence(s.move_penalty_gbp))
        obj[0] = obj[0].copy()
        obj[0][stay] -= pen
        offset += pen * n_cur
    if s.max_moves is not None and n_cur:
        rows.add(stay, -np.ones(len(stay)), -inf, float(s.max_moves - n_cur))
    # Sustainability.
    care_up = minutes_up(d.client_care_hours)[pc].astype(np.float64)
    care_down = np.floor(d.client_care_hours * 60.0 + 1e-6)[pc]
    for p in range(m):
        mine = np.nonzero(pp == p)[0]
        if not len(mine):
            continue
        max_h = d.provider_max_weekly_hours[p]
        if s.enforce_max_weekly and math.isfinite(max_h):
            rows.add(mine, care_up[mine], -inf, float(minutes_down(max_h)))
        floor_min = 0.0
        if s.max_loss_fraction is not None:
            floor_min = float(minutes_up((1.0 - s.max_loss_fraction) * d.provider_current_care_hours[p]))
        min_min = float(minutes_up(d.provider_min_viable_hours[p])) if s.enforce_min_viable else 0.0
        if min_min > 0 and s.allow_provider_exit:
            a = n_col
            lo_b.append(np.zeros(1))
            hi_b.append(np.ones(1))
            obj.append(np.zeros(1))
            n_col += 1
            rows.add([*mine, a], [*care_down[mine], -min_min], 0.0, inf)
            k = len(mine)
            rows.add_block(np.concatenate([np.arange(k), np.arange(k)]),
                           np.concatenate([mine, np.full(k, a)]),
                           np.concatenate([np.ones(k), -np.ones(k)]), np.full(k, -inf), np.zeros(k))
        elif min_min > 0:
            floor_min = max(floor_min, min_min)
        if floor_min > 0:
            rows.add(mine, care_down[mine], floor_min, inf)
    coo = (np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c)))
    a_mat = sparse.csr_matrix(coo, shape=(len(rows.lo), n_col))
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(np.concatenate(lo_b), np.concatenate(hi_b), np.concatenate(obj),
                                       np.array(rows.lo), np.array(rows.hi), a_mat)
    solver = mbh.ModelSolverHelper("glop")
    # Measured: the dual simplex is 10x faster than GLOP's default primal on these LPs (5,000 clients:
    # 1.6 s against 22 s).
    glop = "use_dual_simplex: true"
    if deterministic:  # GLOP's work units; the clock only as the caller's hard stop
        glop += f" max_deterministic_time: {max(time_limit_s, 0.1)}"
        time_limit_s = wall_limit_s if wall_limit_s is not None else time_limit_s * 20
    solver.set_solver_specific_parameters(glop)
    solver.set_time_limit_in_seconds(max(time_limit_s, 0.1))
    solver.solve(helper)
    status = str(solver.status()).rsplit(".", 1)[-1]
    out = LpSolution(status=status, seconds=time.perf_counter() - t0, pairs=ks)
    if not solver.has_solution():
        return out
    v = np.asarray(solver.variable_values())
    out.objective_pence = float(solver.objective_value()) + offset
    out.x = np.clip(v[:nx], 0.0, 1.0)
    out.unmet = v[u0:u0 + n] if s.allow_unmet else np.zeros(n)
    out.draw = {key: float(v[d_first + j]) for j, key in enumerate(draw_keys)}
    if y_keys:
        out.y = {key: float(v[y0 + j]) for j, key in enumerate(y_keys)}
    return out


def zone_candidates(data: ProblemData, scenario: ScenarioParams, lp: LpSolution) -> dict[int, list[int]]:
    """Per zone, the providers the LP uses there (unpinned), best first: by y, then LP staff minutes."""
    d = data
    ks = lp.pairs
    pc, pp = d.pair_client[ks], d.pair_provider[ks]
    staff = minutes_up(d.pair_staff_hours)[ks]
    pin = d.client_pinned_provider
    mass: dict[tuple[int, int], float] = {}
    for j in np.nonzero((lp.x > 1e-9) & (pin[pc] != pp))[0]:
        key = (int(d.client_zone[pc[j]]), int(pp[j]))
        mass[key] = mass.get(key, 0.0) + lp.x[j] * staff[j]
    by_zone: dict[int, list[tuple[float, float, int]]] = {}
    for (z, p), w in mass.items():
        by_zone.setdefault(z, []).append((round(lp.y.get((z, p), 0.0), 6), w, p))
    return {z: [p for _, _, p in sorted(c, reverse=True)] for z, c in by_zone.items()}


def fixed_provider(data: ProblemData, scenario: ScenarioParams) -> np.ndarray:
    """Per client, the one provider it may have (pinned, or current when protected), -1 for a free choice."""
    out = data.client_pinned_provider.copy()
    prot = protected_clients(data, scenario)
    out[prot] = data.client_current_provider[prot]
    return out


def round_lp(data: ProblemData, scenario: ScenarioParams, lp: LpSolution,
             zone_choice: dict[int, tuple[int, ...]] | None = None) -> np.ndarray:
    """A complete assignment (-1 = unmet) rounded from the LP, honouring capacity, pools and zoning K.

    ``zone_choice``: the providers chosen per zone (default: the first K of :func:`zone_candidates`).
    """
    d, s = data, scenario
    n, m = d.n_clients, d.n_providers
    ks = lp.pairs
    pc, pp = d.pair_client[ks], d.pair_provider[ks]
    staff = minutes_up(d.pair_staff_hours)[ks]
    care = minutes_up(d.client_care_hours)
    zone = d.client_zone
    pin = d.client_pinned_provider
    fixed = fixed_provider(d, s)  # pinned or protected: the one provider the client may have
    k_max = s.max_providers_per_zone
    allowed = None
    if k_max is not None:
        if zone_choice is None:
            zone_choice = {z: tuple(c[:k_max]) for z, c in zone_candidates(d, s, lp).items()}
        allowed = np.zeros((d.n_zones, m), dtype=bool)
        for z, chosen in zone_choice.items():
            allowed[z, list(chosen)] = True
    # Room: own minutes, pool minutes the LP drew per (p, z), max weekly care minutes.
    room = minutes_down(d.provider_weekly_staff_hours).astype(np.float64)
    pool_pz = np.zeros((m, d.n_zones))
    for (_q, p, z), v in lp.draw.items():
        pool_pz[p, z] += v
    pool_pz = np.floor(pool_pz + 1e-6)
    work_pz = np.zeros((m, d.n_zones))
    load = np.zeros(m)
    max_h = d.provider_max_weekly_hours if s.enforce_max_weekly else np.full(m, np.inf)
    care_room = np.where(np.isfinite(max_h), minutes_down(max_h), np.inf).astype(np.float64)
    cost = (pence(s.weight_care * d.pair_care_cost_gbp) + pence(s.weight_travel * d.pair_travel_cost_gbp))[ks]
    # Clients in order: pinned first, then most certain (largest LP x), then largest.
    best = np.zeros(n)
    np.maximum.at(best, pc, lp.x)
    need = np.zeros(n)
    np.maximum.at(need, pc, staff.astype(np.float64))
    order = np.lexsort((-need, -best, fixed < 0))
    start = np.searchsorted(pc, np.arange(n + 1))
    a = np.full(n, -1, dtype=np.int64)

    def fits(p: int, z: int, k: int, i: int) -> bool:
        if care[i] > care_room[p]:
            return False
        new_load = load[p] + staff[k]
        if new_load <= room[p]:
            return True
        extra = np.minimum(pool_pz[p], work_pz[p]).sum() - min(pool_pz[p, z], work_pz[p, z])
        extra += min(pool_pz[p, z], work_pz[p, z] + staff[k])
        return new_load <= room[p] + extra

    unmet_cost = pence(s.unmet_penalty_per_hour_gbp * d.client_care_hours)
    counted = np.zeros((d.n_zones, m), dtype=bool)  # providers serving unpinned clients per zone

    def options(i: int) -> list[int]:
        z = int(zone[i])
        js = list(range(start[i], start[i + 1]))
        if fixed[i] >= 0:
            return [j for j in js if pp[j] == fixed[i]]
        if allowed is not None:
            # The zone's chosen providers, or any provider while fewer than K serve the zone.
            open_slot = (counted[z] | allowed[z]).sum() < k_max
            js = [j for j in js if allowed[z, pp[j]] or counted[z, pp[j]] or open_slot]
        if s.allow_unmet:
            js = [j for j in js if cost[j] <= unmet_cost[i]]
        js.sort(key=lambda j: (not (allowed is None or allowed[z, pp[j]]), -round(lp.x[j], 6), cost[j]))
        return js

    def place(i: int, j: int) -> None:
        p, z = int(pp[j]), int(zone[i])
        a[i] = p
        load[p] += staff[j]
        work_pz[p, z] += staff[j]
        care_room[p] -= care[i]
        if pin[i] != p:
            counted[z, p] = True

    def unplace(i: int, j: int) -> None:
        p, z = int(pp[j]), int(zone[i])
        a[i] = -1
        load[p] -= staff[j]
        work_pz[p, z] -= staff[j]
        care_room[p] += care[i]
        # counted[z, p] stays: the provider is still chosen for the zone.

    pair_of = {}
    for i in order:
        i = int(i)
        for j in options(i):
            if fits(int(pp[j]), int(zone[i]), j, i):
                place(i, j)
                pair_of[i] = j
                break
    # Repair: an unplaced client takes the place of one that can move to another provider with room.
    by_p: dict[int, list[int]] = {}
    for i, j in pair_of.items():
        by_p.setdefault(int(pp[j]), []).append(i)
    for i in np.nonzero(a < 0)[0]:
        i = int(i)
        done = False
        for j in options(i):
            p = int(pp[j])
            for o in sorted(by_p.get(p, []), key=lambda c: -staff[pair_of[c]]):
                if fixed[o] >= 0 or a[o] != p:
                    continue
                jo = pair_of[o]
                unplace(o, jo)
                if fits(p, int(zone[i]), j, i):
                    alt = [jj for jj in options(o)
                           if int(pp[jj]) != p and fits(int(pp[jj]), int(zone[o]), jj, o)]
                    if alt:
                        place(i, j)
                        pair_of[i] = j
                        by_p.setdefault(p, []).append(i)
                        place(o, alt[0])
                        pair_of[o] = alt[0]
                        by_p.setdefault(int(pp[alt[0]]), []).append(o)
                        done = True
                        break
                place(o, jo)
            if done:
                break
    return a


def best_rounding(data: ProblemData, scenario: ScenarioParams, lp: LpSolution,
                  time_limit_s: float = 2.0, max_trials: int | None = None) -> np.ndarray:
    """:func:`round_lp`, then a local search over the zones the LP splits: each zone in turn tries every
    other choice of K providers among those the LP uses there (the five it uses most), keeping the cheapest
    rounding. Stops after ``time_limit_s`` or ``max_trials`` roundings (a trial budget is deterministic)."""
    from itertools import combinations

    from solver.validate import objective_terms

    t0 = time.perf_counter()
    d, s = data, scenario
    k_max = s.max_providers_per_zone

    def score(a: np.ndarray) -> float:
        return sum(objective_terms(d, s, a).values())

    if k_max is None or k_max == 0:
        return round_lp(d, s, lp)
    cands = zone_candidates(d, s, lp)
    choice = {z: tuple(c[:k_max]) for z, c in cands.items()}
    best = round_lp(d, s, lp, choice)
    best_obj = score(best)
    split = sorted((z for z, c in cands.items() if len(c) > k_max), key=lambda z: -len(cands[z]))
    improved = True
    trials = 0

    def out_of_budget() -> bool:
        if max_trials is not None:
            return trials >= max_trials
        return time.perf_counter() - t0 > time_limit_s

    while improved and not out_of_budget():
        improved = False
        for z in split:
            for alt in combinations(cands[z][:5], k_max):
                if set(alt) == set(choice[z]) or out_of_budget():
                    continue
                trials += 1
                trial = {**choice, z: alt}
                a = round_lp(d, s, lp, trial)
                obj = score(a)
                if obj < best_obj - 1e-6:
                    best, best_obj, choice, improved = a, obj, trial, True
    return best


def integer_pool_draws(data: ProblemData, scenario: ScenarioParams, assignment: np.ndarray,
                       keys: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], int]:
    """Pool draws in the model's integer minutes covering each provider's overload (max-flow); 0 if unused."""
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
    for (q, p, z) in keys:
        if over[p] > 0 and work[p, z] > 0:
            arcs[q, p, z] = g.add_arc_with_capacity(pool_node + q, pz_node + p * z_n + z,
                                                    int(pool_minutes[q]))
    for p in np.nonzero(over > 0)[0]:
        for z in np.nonzero(work[p] > 0)[0]:
            g.add_arc_with_capacity(pz_node + p * z_n + z, prov_node + p, int(work[p, z]))
        g.add_arc_with_capacity(prov_node + p, sink, int(over[p]))
    g.solve(source, sink)
    for key, arc in arcs.items():
        out[key] = int(g.flow(arc))
    return out
