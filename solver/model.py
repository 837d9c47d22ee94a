"""The CP-SAT model, one function per constraint family.

Each ``add_*`` function adds one family of constraints to an :class:`AllocationModel` and returns the
objective term it contributes (a linear expression in pence, or 0). Variables live in tuple-keyed dicts:
``x[i, p]`` (client i served by provider p), ``y[z, p]`` (p serves zone z), ``draw[q, p, z]`` (pool q minutes
drawn by p for its clients in zone z), ``unmet[i]``, ``moved[i]``.

Integer units: staff and care time in minutes, money in pence. Rounding is always on the safe side
(consumption rounded up, capacities down), so every model solution satisfies the float constraints that
:mod:`solver.validate` checks; on integral data (e.g. OR-Library GAP) the model is exact.

When ``AllocationModel.diagnostic`` is set, each hard family is guarded by an enforcement literal
(``enforce[family]``) so that :mod:`solver.diagnose` can ask CP-SAT which families conflict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.data import ProblemData, ScenarioParams, protected_clients

# Commissioner words for each family that can be switched off during diagnosis.
FAMILY_WORDS: dict[str, str] = {
    "assignment": "every client must be allocated a provider (unmet need not allowed)",
    "capacity": "providers' staff hours (care plus travel) cannot exceed their capacity plus pool hours",
    "zoning": "at most K providers may serve each zone (clients who chose their provider are not counted)",
    "pinned": "clients who chose their provider (pinned) stay with that provider",
    "protected": "clients of protected providers stay with them",
    "move_limit": "no more than the allowed number of clients may change provider",
    "min_viable": "each provider keeps at least its minimum viable hours",
    "max_weekly": "no provider grows beyond its maximum weekly hours",
    "loss_band": "no provider loses more than the allowed share of its current hours",
}



def minutes_up(hours: np.ndarray | float) -> np.ndarray:
    return np.ceil(np.asarray(hours, dtype=np.float64) * 60.0 - 1e-6).astype(np.int64)


def minutes_down(hours: np.ndarray | float) -> np.ndarray:
    a = np.asarray(hours, dtype=np.float64)
    return np.where(np.isfinite(a), np.floor(np.nan_to_num(a, posinf=0.0) * 60.0 + 1e-6), -1).astype(np.int64)


def pence(gbp: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(gbp, dtype=np.float64) * 100.0).astype(np.int64)


@dataclass
class AllocationModel:
    data: ProblemData
    scenario: ScenarioParams
    diagnostic: bool = False
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    y: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    draw: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    unmet: dict[int, cp_model.IntVar] = field(default_factory=dict)
    moved: dict[int, cp_model.IntVar] = field(default_factory=dict)
    active: dict[int, cp_model.IntVar] = field(default_factory=dict)
    terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    enforce: dict[str, cp_model.IntVar] = field(default_factory=dict)
    # Per-pair integer data, aligned with data.pair_* arrays.
    staff_minutes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def lit(self, family: str) -> list[cp_model.IntVar]:
        """Enforcement literals for ``only_enforce_if`` (empty outside diagnosis)."""
        if not self.diagnostic:
            return []
        if family not in self.enforce:
            self.enforce[family] = self.model.new_bool_var(f"enforce_{family}")
        return [self.enforce[family]]

    def pairs_of_client(self, i: int) -> list[tuple[int, cp_model.IntVar]]:
        d = self.data
        a, b = d.client_pair_start[i], d.client_pair_start[i + 1]
        return [(int(d.pair_provider[k]), self.x[i, int(d.pair_provider[k])])
                for k in range(a, b) if (i, int(d.pair_provider[k])) in self.x]

    def all_vars(self) -> list[cp_model.IntVar]:
        """Every decision variable, for complete solution hints."""
        return [*self.x.values(), *self.y.values(), *self.draw.values(), *self.unmet.values(),
                *self.active.values()]

    def objective(self) -> cp_model.LinearExprT:
        return sum(self.terms.values())


def add_eligibility(am: AllocationModel) -> int:
    """x[i, p] for eligible pairs only: reachable (the pair exists), skills cover needs (or pinned)."""
    d = am.data
    am.staff_minutes = minutes_up(d.pair_staff_hours)
    for k in np.nonzero(d.pair_eligible)[0]:
        i, p = int(d.pair_client[k]), int(d.pair_provider[k])
        am.x[i, p] = am.model.new_bool_var(f"x_{i}_{p}")
    return 0


def add_assignment(am: AllocationModel) -> cp_model.LinearExprT:
    """Each client is served by at most one provider; exactly one unless unmet need is allowed.

    Returns the unmet penalty term (penalty per care hour × the client's care hours).
    """
    d, s, m = am.data, am.scenario, am.model
    penalty = pence(s.unmet_penalty_per_hour_gbp * d.client_care_hours)
    term = []
    for i in range(d.n_clients):
        xs = [v for _, v in am.pairs_of_client(i)]
        if s.allow_unmet:
            u = m.new_bool_var(f"unmet_{i}")
            am.unmet[i] = u
            m.add_exactly_one([*xs, u])
            term.append(int(penalty[i]) * u)
        elif am.diagnostic:
            m.add_at_most_one(xs)
            m.add(sum(xs) >= 1).only_enforce_if(am.lit("assignment"))
        else:
            m.add_exactly_one(xs)
    return cp_model.LinearExpr.sum(term) if term else 0


def add_costs(am: AllocationModel) -> tuple[cp_model.LinearExprT, cp_model.LinearExprT]:
    """Weekly care cost (rate × care hours) and travel cost (staff time on the road + mileage), in pence."""
    d, s = am.data, am.scenario
    care = pence(s.weight_care * d.pair_care_cost_gbp)
    travel = pence(s.weight_travel * d.pair_travel_cost_gbp)
    cv, cc, tv, tc = [], [], [], []
    for k in range(len(d.pair_client)):
        key = (int(d.pair_client[k]), int(d.pair_provider[k]))
        if key in am.x:
            if care[k]:
                cv.append(am.x[key])
                cc.append(int(care[k]))
            if travel[k]:
                tv.append(am.x[key])
                tc.append(int(travel[k]))
    return cp_model.LinearExpr.weighted_sum(cv, cc), cp_model.LinearExpr.weighted_sum(tv, tc)


def add_pools(am: AllocationModel) -> int:
    """Pool q's hours may be drawn by its members, only for their clients in the pool's zones.

    draw[q, p, z] ≤ pool minutes; sum_{p,z} draw[q, p, z] ≤ pool minutes;
    sum_q draw[q, p, z] ≤ staff minutes p spends on clients in zone z (so draws never pay for work elsewhere,
    and overlapping pools cannot count the same work twice).
    """
    d, m = am.data, am.model
    if not am.scenario.pools_enabled or d.n_pools == 0:
        return 0
    pool_minutes = minutes_down(d.pool_weekly_hours)
    zone_of_pair = d.client_zone[d.pair_client]
    per_pz: dict[tuple[int, int], list] = {}
    for q in range(d.n_pools):
        if pool_minutes[q] <= 0:
            continue
        members = np.nonzero(d.pool_members[q])[0]
        zones = np.nonzero(d.pool_zones[q])[0]
        total = []
        for p in members:
            for z in zones:
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
        work = [(am.x[int(d.pair_client[k]), p], int(am.staff_minutes[k])) for k in ks
                if (int(d.pair_client[k]), p) in am.x]
        m.add(sum(vs) <= cp_model.LinearExpr.weighted_sum([w[0] for w in work], [w[1] for w in work]))
    return 0


def add_capacity_with_travel(am: AllocationModel) -> int:
    """Staff minutes (care + travel, times carers) per provider ≤ its staff minutes + pool minutes drawn."""
    d, m = am.data, am.model
    cap = minutes_down(d.provider_weekly_staff_hours)
    by_p: dict[int, tuple[list, list]] = {p: ([], []) for p in range(d.n_providers)}
    for k in range(len(d.pair_client)):
        key = (int(d.pair_client[k]), int(d.pair_provider[k]))
        if key in am.x:
            by_p[key[1]][0].append(am.x[key])
            by_p[key[1]][1].append(int(am.staff_minutes[k]))
    draws: dict[int, list] = {}
    for (_, p, _), v in am.draw.items():
        draws.setdefault(p, []).append(v)
    for p, (vs, cs) in by_p.items():
        if not vs:
            continue
        if sum(cs) <= cap[p] and not am.diagnostic:
            continue  # cannot bind: keep the model small
        load = cp_model.LinearExpr.weighted_sum(vs, cs)
        m.add(load <= int(cap[p]) + sum(draws.get(p, []))).only_enforce_if(am.lit("capacity"))
    return 0


def add_zoning(am: AllocationModel) -> int:
    """At most K providers per zone: x[i, p] ≤ y[zone(i), p] per pair (strong linking), sum_p y[z, p] ≤ K.

    Pinned clients are exempt: a client who chose its provider keeps it whatever the zoning contract says,
    so the pinned pair (i, pinned(i)) neither forces y[zone(i), p] = 1 nor counts toward the K providers.
    """
    d, m, k_max = am.data, am.model, am.scenario.max_providers_per_zone
    if k_max is None:
        return 0
    pinned = d.client_pinned_provider
    for (i, p), v in am.x.items():
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
            m.add(sum(vs) <= k_max).only_enforce_if(am.lit("zoning"))
    return 0


def add_continuity(am: AllocationModel) -> cp_model.LinearExprT:
    """Pinned and protected clients stay; moved[i] = 1 − x[i, current(i)]; sum moved ≤ move limit.

    Returns the move penalty term."""
    d, s, m = am.data, am.scenario, am.model
    for i in np.nonzero(d.client_pinned_provider >= 0)[0]:
        m.add(am.x[int(i), int(d.client_pinned_provider[i])] == 1).only_enforce_if(am.lit("pinned"))
    for i in protected_clients(d, s):
        m.add(am.x[int(i), int(d.client_current_provider[i])] == 1).only_enforce_if(am.lit("protected"))
    moved = []
    for i in np.nonzero(d.client_current_provider >= 0)[0]:
        i, cur = int(i), int(d.client_current_provider[i])
        stay = am.x.get((i, cur))
        # A client whose current provider is no longer eligible counts as moved whatever we do.
        am.moved[i] = m.new_constant(1) if stay is None else stay.negated()
        moved.append(am.moved[i])
    if s.max_moves is not None and moved:
        m.add(sum(moved) <= s.max_moves).only_enforce_if(am.lit("move_limit"))
    if s.move_penalty_gbp and moved:
        return int(pence(s.move_penalty_gbp)) * sum(moved)
    return 0


def add_sustainability(am: AllocationModel) -> int:
    """Provider care hours within [min viable, max weekly]; never below (1 − max loss) × current hours.

    Min viable is a hard floor when ``enforce_min_viable``; with ``allow_provider_exit`` a provider may
    instead get no clients at all (x[i, p] ≤ active[p] per pair keeps the LP tight).
    """
    d, s, m = am.data, am.scenario, am.model
    care_up = minutes_up(d.client_care_hours)
    care_down = np.floor(d.client_care_hours * 60.0 + 1e-6).astype(np.int64)
    by_p: dict[int, list[int]] = {p: [] for p in range(d.n_providers)}
    for (i, p) in am.x:
        by_p[p].append(i)
    for p, clients in by_p.items():
        vs = [am.x[i, p] for i in clients]
        hi = cp_model.LinearExpr.weighted_sum(vs, [int(care_up[i]) for i in clients])
        lo = cp_model.LinearExpr.weighted_sum(vs, [int(care_down[i]) for i in clients])
        max_h = d.provider_max_weekly_hours[p]
        total_up = sum(care_up[i] for i in clients)
        binds = math.isfinite(max_h) and (total_up > minutes_down(max_h) or am.diagnostic)
        if s.enforce_max_weekly and binds:
            m.add(hi <= int(minutes_down(max_h))).only_enforce_if(am.lit("max_weekly"))
        min_min = int(minutes_up(d.provider_min_viable_hours[p]))
        if s.enforce_min_viable and min_min > 0:
            if s.allow_provider_exit:
                act = m.new_bool_var(f"active_{p}")
                am.active[p] = act
                for v in vs:
                    m.add_implication(v, act)
                m.add(lo >= min_min).only_enforce_if([act, *am.lit("min_viable")])
            else:
                m.add(lo >= min_min).only_enforce_if(am.lit("min_viable"))
        if s.max_loss_fraction is not None:
            floor_min = int(minutes_up((1.0 - s.max_loss_fraction) * d.provider_current_care_hours[p]))
            if floor_min > 0:
                m.add(lo >= floor_min).only_enforce_if(am.lit("loss_band"))
    return 0


def build_model(data: ProblemData, scenario: ScenarioParams, diagnostic: bool = False) -> AllocationModel:
    """All families, in order; ``terms`` holds the four objective terms in pence."""
    am = AllocationModel(data, scenario, diagnostic=diagnostic)
    add_eligibility(am)
    am.terms["unmet"] = add_assignment(am)
    am.terms["care"], am.terms["travel"] = add_costs(am)
    add_pools(am)
    add_capacity_with_travel(am)
    add_zoning(am)
    am.terms["moves"] = add_continuity(am)
    add_sustainability(am)
    am.model.minimize(am.objective())
    return am
