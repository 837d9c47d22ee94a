"""Lagrangian bound and exact variable fixing for models that are a plain generalised assignment problem.

:func:`gap_structure` reads the CP-SAT model itself: it applies only when every constraint is either an
exactly-one over Booleans (a client) or one capacity row ``Σ w·x ≤ b`` (a provider), every Boolean is in
exactly one of each, and the objective is linear in those Booleans. That is what the core builds for an
OR-Library GAP, and for any allocation without zoning, pools, floors or a moves limit (unmet need, having no
capacity row, becomes the pairs of one extra agent of unlimited capacity; moves as a cost are part of c).

Relaxing the exactly-one rows with multipliers ``u`` leaves one 0-1 knapsack per provider:
``L(u) = Σ_j u_j − Σ_p K_p(u)``, ``K_p(u) = max{Σ (u_j − c_pj) x_pj : Σ w_pj x_pj ≤ b_p}``, is a lower bound
for every ``u`` (subgradient ascent improves it). Two consequences for the solutions of value ≤ a target T
(``T − L(u)`` is the slack):

* fixing (:func:`fixings`): a pair whose bound with x forced to 1 (forward/backward knapsack tables) exceeds T
  is fixed to 0, one whose bound with x forced to 0 exceeds T to 1;
* agent cuts (:func:`agent_cuts`): any assignment of value v has ``v = L(u) + Σ_p (K_p(u) − P_p(x))`` with
  every term ≥ 0 (``P_p`` = the provider's Lagrangian profit), so each provider must satisfy
  ``P_p(x) ≥ K_p(u) − slack``. These rows carry the knapsack's integrality, which the LP does not see.

Both keep every solution of value ≤ T, so the reduced model holds exactly those solutions: its optimum is the
global optimum when it has one, and its infeasibility proves every solution is worth more than T. Several
multiplier vectors (:func:`multiplier_set`) give several valid sets of fixings and cuts; together they are
much stronger than one (measured on gapb-4: 298 → 255 free pairs at T = optimum, and the reduced solve
2–8 s → 1.3–2.8 s).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

# Knapsack tables (pairs × capacity, summed over agents) larger than this: not attempted. Fixing holds two
# float tables of one agent at a time, so memory stays under 2 × 8 bytes × this (320 MB).
MAX_TABLE_CELLS = 20_000_000


@dataclass
class GapStructure:
    var: np.ndarray  # (K,) CP-SAT variable index per pair
    client: np.ndarray  # (K,) exactly-one row per pair
    agent: np.ndarray  # (K,) capacity row per pair
    weight: np.ndarray  # (K,) int
    cost: np.ndarray  # (K,) float, objective coefficient
    capacity: np.ndarray  # (A,) int
    n_clients: int
    offset: float


def gap_structure(proto) -> GapStructure | None:
    """The GAP data of a CP-SAT model proto, or None when the model is anything else."""
    n_vars = len(proto.variables)
    client = np.full(n_vars, -1)
    agent = np.full(n_vars, -1)
    weight = np.zeros(n_vars, np.int64)
    caps: list[int] = []
    n_clients = 0
    for ct in proto.constraints:
        if ct.enforcement_literal:
            return None
        if ct.has_exactly_one():
            lits = list(ct.exactly_one.literals)
            if any(lit < 0 for lit in lits) or np.any(client[lits] >= 0):
                return None
            client[lits] = n_clients
            n_clients += 1
        elif ct.has_linear():
            lin = ct.linear
            vs, cs = list(lin.vars), list(lin.coeffs)
            if len(lin.domain) != 2 or any(c <= 0 for c in cs) or np.any(agent[vs] >= 0) or lin.domain[1] < 0:
                return None
            if lin.domain[0] > 0:
                return None
            agent[vs] = len(caps)
            weight[vs] = cs
            caps.append(int(lin.domain[1]))
        else:
            return None
    used = client >= 0
    if not np.any(used):
        return None
    for v in np.nonzero(used)[0]:
        if list(proto.variables[v].domain) != [0, 1]:
            return None
    if np.any(agent[~used] >= 0):
        return None
    cost = np.zeros(n_vars)
    obj = proto.objective
    if obj.scaling_factor not in (0.0, 1.0) or proto.has_floating_point_objective():
        return None
    for v, c in zip(obj.vars, obj.coeffs, strict=True):
        if v < 0 or not used[v]:
            return None
        cost[v] = c
    ks = np.nonzero(used)[0]
    # Pairs with no capacity row (it cannot bind) form one extra agent of unlimited capacity.
    free = agent[ks] < 0
    cap = np.array(caps + [0], np.int64)
    if np.any(free):
        cap[-1] = int(weight[ks][free].sum())
        agent[ks[free]] = len(caps)
    else:
        cap = cap[:-1]
    weight = weight.copy()
    for a in range(len(cap)):
        # Σ w·x ≤ b with every w a multiple of g is Σ (w/g)·x ≤ ⌊b/g⌋: exact, and much smaller tables.
        mine = ks[agent[ks] == a]
        g = int(np.gcd.reduce(weight[mine])) if len(mine) else 1
        if g > 1:
            weight[mine] //= g
            cap[a] //= g
    s = GapStructure(var=ks, client=client[ks], agent=agent[ks], weight=weight[ks], cost=cost[ks],
                     capacity=cap, n_clients=n_clients, offset=float(obj.offset))
    cells = sum(int(np.sum(s.agent == a)) * (int(c) + 1) for a, c in enumerate(cap))
    return s if cells <= MAX_TABLE_CELLS else None


# OR-Tools' knapsack solver takes whole profits: each is scaled by this and rounded up, so its optimum is at
# least the true one (the bound L(u) stays a lower bound) and above it by at most (items / this) pence.
KNAPSACK_SCALE = 10_000


def _knapsack(profit: np.ndarray, weight: np.ndarray, cap: int) -> tuple[float, np.ndarray]:
    """Max profit 0-1 knapsack (items with positive profit only): (an upper estimate of the optimum, at most
    items / KNAPSACK_SCALE above it, and the items of an optimum with profits rounded up).

    OR-Tools' dynamic programme in C++: a subgradient step on gapb-4 1.4 ms against 5.4 ms with the same
    programme in numpy (:func:`_knapsack_dp`), on type E 20 × 400 11 ms against 37 ms. Its branch and bound
    was faster still on most but exponential on type D (profits that follow the weights): 112 ms a step."""
    take = np.zeros(len(profit), bool)
    items = np.flatnonzero((profit > 0) & (weight <= cap))
    if not len(items):
        return 0.0, take
    whole = np.ceil(profit[items] * KNAPSACK_SCALE).astype(np.int64)
    solver = _KNAPSACK.solver
    solver.init(whole.tolist(), [weight[items].astype(np.int64).tolist()], [int(cap)])
    value = solver.solve()
    if not solver.is_solution_optimal():  # no time limit is set, so this is a safeguard only
        return _knapsack_dp(profit, weight, cap)
    take[items[[solver.best_solution_contains(t) for t in range(len(items))]]] = True
    return value / KNAPSACK_SCALE, take


class _Knapsacks(threading.local):
    """One OR-Tools knapsack solver per thread (made once: making one costs more than a small solve)."""

    @property
    def solver(self):
        if not hasattr(self, "_solver"):
            from ortools.algorithms.python import knapsack_solver

            self._solver = knapsack_solver.KnapsackSolver(
                knapsack_solver.SolverType.KNAPSACK_DYNAMIC_PROGRAMMING_SOLVER, "lagrangian")
        return self._solver


_KNAPSACK = _Knapsacks()


def _knapsack_dp(profit: np.ndarray, weight: np.ndarray, cap: int) -> tuple[float, np.ndarray]:
    """The same knapsack by dynamic programming over capacities (exact)."""
    take = np.zeros(len(profit), bool)
    items = np.nonzero(profit > 0)[0]
    if not len(items):
        return 0.0, take
    best = np.zeros(cap + 1)
    keep = np.zeros((len(items), cap + 1), bool)
    for t, j in enumerate(items):
        w = int(weight[j])
        if w > cap:
            continue
        cand = best[: cap + 1 - w] + profit[j]
        better = cand > best[w:]
        keep[t, w:] = better
        best[w:] = np.where(better, cand, best[w:])
    c = cap
    for t in range(len(items) - 1, -1, -1):
        if keep[t, c]:
            take[items[t]] = True
            c -= int(weight[items[t]])
    return float(best[cap]), take


def _restricted(s: GapStructure, zero: np.ndarray | None, one: np.ndarray | None):
    """Per agent: (pairs still free, capacity left by the pairs fixed to 1, their cost)."""
    out = []
    for a in range(len(s.capacity)):
        ks = np.nonzero(s.agent == a)[0]
        fixed_one = ks[one[ks]] if one is not None else ks[:0]
        free = ks[~(zero[ks] | one[ks])] if zero is not None else ks
        out.append((free, int(s.capacity[a]) - int(s.weight[fixed_one].sum()), fixed_one))
    return out


def lagrangian(s: GapStructure, iterations: int = 200, target: float | None = None,
               zero: np.ndarray | None = None, one: np.ndarray | None = None,
               start: np.ndarray | None = None, deadline: float | None = None):
    """Subgradient ascent (a fixed number of steps: deterministic). Returns (best bound, multipliers).

    ``zero``/``one``: pairs already fixed (the bound is then that of the reduced problem). ``deadline`` (a
    ``time.perf_counter()`` instant): no step but the first starts after it; the bound so far is as valid."""
    cost = s.cost
    parts = _restricted(s, zero, one)
    if any(cap < 0 for _, cap, _ in parts):
        return np.inf, np.zeros(s.n_clients) if start is None else start
    order = np.argsort(cost, kind="stable")
    # Start: u_j = second-cheapest cost of the client (the cheapest when it has one pair).
    u = np.zeros(s.n_clients)
    seen = np.zeros(s.n_clients, np.int64)
    for k in order:
        j = s.client[k]
        if seen[j] < 2:
            u[j] = cost[k]
            seen[j] += 1
    if start is not None:
        u = start.copy()
    best_l, best_u = -np.inf, u.copy()
    aim = None if target is None else target - s.offset  # ``total`` below leaves the offset out
    lam = 2.0
    stall = 0
    for step in range(iterations):
        if step and deadline is not None and time.perf_counter() >= deadline:  # one step gives a bound
            break
        profit = u[s.client] - cost
        total = float(u.sum())
        count = np.zeros(s.n_clients)
        for ks, cap, fixed_one in parts:
            val, take = _knapsack(profit[ks], s.weight[ks], cap)
            total -= val + float(profit[fixed_one].sum())
            np.add.at(count, s.client[ks[take]], 1)
            np.add.at(count, s.client[fixed_one], 1)
        if total > best_l + 1e-9:
            best_l, best_u, stall = total, u.copy(), 0
        else:
            stall += 1
            if stall >= 10:
                lam, stall = lam / 2, 0
        g = 1.0 - count
        norm = float(g @ g)
        if norm == 0:
            best_l, best_u = total, u.copy()
            break
        goal = aim if aim is not None and aim > total else total * 1.001 + 1.0
        u = u + lam * (goal - total) / norm * g
    return best_l + s.offset, best_u


def multiplier_set(s: GapStructure, target: float, unit: float, steps: int = 150,
                   spreads: tuple[int, ...] = (1, 3, 10, 30),
                   deadline: float | None = None) -> tuple[float, list[np.ndarray]]:
    """(best bound, multiplier vectors): one subgradient run per spread, aiming at ``target + spread·unit``,
    each ending at ``deadline`` at the latest.

    Different aims converge to different near-optimal multipliers; each yields valid fixings and cuts."""
    best, out = -np.inf, []
    for spread in spreads:
        bound, u = lagrangian(s, steps, target=target + spread * unit, deadline=deadline)
        best = max(best, bound)
        out.append(u)
    return best, out


def knapsack_values(s: GapStructure, u: np.ndarray) -> np.ndarray:
    """``K_p(u)`` per agent (see module docstring)."""
    profit = u[s.client] - s.cost
    return np.array([_knapsack(profit[ks], s.weight[ks], int(s.capacity[a]))[0]
                     for a in range(len(s.capacity)) for ks in [np.nonzero(s.agent == a)[0]]])


def agent_cuts(s: GapStructure, u: np.ndarray, upper: float, scale: int = 100
               ) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Rows ``Σ coef·x[var] ≥ rhs``, one per agent, valid for every solution of value ≤ ``upper``.

    ``P_p(x) ≥ K_p(u) − slack`` scaled by ``scale`` with coefficients rounded up (so the integer row is
    implied by the exact one) and the right-hand side rounded down, less one for floating-point error.
    Empty when ``upper`` is below the bound (the caller then knows there is no such solution)."""
    values = knapsack_values(s, u)
    slack = upper - (float(u.sum()) - float(values.sum()) + s.offset)
    if slack < -1e-6 * max(1.0, abs(upper)):  # tolerance: the bound can equal the upper value exactly
        return []
    slack = max(slack, 0.0)
    profit = u[s.client] - s.cost
    rows = []
    for a in range(len(s.capacity)):
        ks = np.nonzero(s.agent == a)[0]
        coef = np.ceil(scale * profit[ks] - 1e-9).astype(np.int64)
        rhs = int(np.floor(scale * (values[a] - slack))) - 1
        rows.append((s.var[ks], coef, rhs))
    return rows


def _tables(profit: np.ndarray, weight: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward F[t, c] (items < t) and backward B[t, c] (items ≥ t): best profit with weight ≤ c."""
    n = len(profit)
    f = np.zeros((n + 1, cap + 1))
    b = np.zeros((n + 1, cap + 1))
    for t in range(n):
        f[t + 1] = f[t]
        w = int(weight[t])
        if profit[t] > 0 and w <= cap:
            f[t + 1, w:] = np.maximum(f[t, w:], f[t, : cap + 1 - w] + profit[t])
    for t in range(n - 1, -1, -1):
        b[t] = b[t + 1]
        w = int(weight[t])
        if profit[t] > 0 and w <= cap:
            b[t, w:] = np.maximum(b[t + 1, w:], b[t + 1, : cap + 1 - w] + profit[t])
    return f, b


def fixings(s: GapStructure, u: np.ndarray, upper: float, zero: np.ndarray | None = None,
             one: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(bound, fix-to-0 mask, fix-to-1 mask) over the pairs, for solutions of value ≤ ``upper``.

    ``zero``/``one``: pairs already fixed; they stay fixed in the answer."""
    profit = u[s.client] - s.cost
    values = []
    out_of = np.full(len(profit), -np.inf)  # knapsack value with the pair forced out
    in_of = np.full(len(profit), -np.inf)  # knapsack value with the pair forced in (−inf when it cannot fit)
    for ks, cap, fixed_one in _restricted(s, zero, one):
        if cap < 0:
            return np.inf, np.ones(len(profit), bool), np.zeros(len(profit), bool)
        f, b = _tables(profit[ks], s.weight[ks], cap)
        const = float(profit[fixed_one].sum())
        values.append(b[0, cap] + const)
        in_of[fixed_one] = b[0, cap] + const
        rev = np.arange(cap, -1, -1)
        for t, k in enumerate(ks):
            out_of[k] = float(np.max(f[t] + b[t + 1, rev])) + const
            w = int(s.weight[k])
            if w <= cap:
                left = cap - w
                in_of[k] = profit[k] + float(np.max(f[t, : left + 1] + b[t + 1, left::-1])) + const
    value = np.array(values)
    bound = float(u.sum()) - float(value.sum()) + s.offset
    tol = 1e-6 * max(1.0, abs(upper)) + 1e-6
    agent_val = value[s.agent]
    bound_in = bound + agent_val - in_of
    bound_out = bound + agent_val - out_of
    zero_out, one_out = bound_in > upper + tol, bound_out > upper + tol
    if zero is not None:
        zero_out |= zero
        one_out |= one
    one_out &= ~zero_out  # both: no solution ≤ upper at all (the caller sees the bound > upper)
    return bound, zero_out, one_out

