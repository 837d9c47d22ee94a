"""Plain generalised assignment problems: a Lagrangian target search (see :mod:`solver.lagrange`).

After a short run of the full model, targets T rise from the Lagrangian bound (never above the incumbent
less one unit); CP-SAT solves the reduced model that holds exactly the solutions of value ≤ T: OPTIMAL there
is the global optimum, INFEASIBLE proves every solution is worth more than T (T then rises by one unit, then
doubling steps). When T reaches the incumbent less one unit and that is infeasible, the incumbent is optimal;
with no incumbent, T stops at the worst possible objective, where INFEASIBLE means the model is. A reduced
solve stopped by its time share hands over to the full model, hinted and cut at the proven bound. A progress
callback returning True (or Ctrl-C) ends the search at once with the best solution so far.
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from solver.data import SolveParams
from solver.model import AllocationModel
from solver.search import run_search

GAP_FIRST_SHARE = 0.05  # plain GAP: the full model first, for this share of the limit (easy ones end here)
GAP_SUBGRADIENT_STEPS = 200  # per multiplier vector; four vectors take about 1.7 s on gapb-4 (10 × 200)
GAP_FIRST_STEPS = 100  # a first subgradient run to find where the bound lies
GAP_AIMS = (2, 4, 11, 31)  # multiplier vectors aimed this many objective units above the first bound
GAP_REDUCED_SHARE = 0.85  # one reduced solve may use at most this share of the time left
# The subgradient steps are not interruptible: when they would take more than this share of the limit, the
# plain model gets all the time instead (a 1-s limit on gapb-4 must still return a solution).
GAP_LAGRANGIAN_MAX_SHARE = 0.4
# One subgradient step, measured on OR-Library gapa-c (2 cores): about 300 million knapsack-table cells a
# second plus 25 µs of Python per agent. Counted, not timed, so the choice is the same on every run.
GAP_CELLS_PER_SECOND = 300e6
GAP_SECONDS_PER_AGENT_STEP = 25e-6
# A reduced model is a feasibility search (every solution in it is ≤ the target): LNS has nothing to improve
# until a solution exists, so both workers run full LP search (measured on gapb-4: 1.5–2.9 s against
# 0.9–3.7 s for the default portfolio at the optimum's target; 0.2–0.3 s against 0.3–0.6 s below it).
GAP_REDUCED_SUBSOLVERS = ("max_lp", "default_lp")


def objective_unit(proto) -> tuple[int, float]:
    """(unit, offset): every objective value is ``offset + unit·k`` for an integer k."""
    coeffs = np.abs(np.array(list(proto.objective.coeffs), np.int64))
    unit = int(np.gcd.reduce(coeffs)) if len(coeffs) and coeffs.any() else 1
    return unit, float(proto.objective.offset)


def lagrangian_seconds(structure) -> float:
    """Predicted time of the subgradient steps of :class:`TargetSearch` (counted, not measured)."""
    cells = sum(int(np.sum(structure.agent == a)) * (int(c) + 1) for a, c in enumerate(structure.capacity))
    step_s = cells / GAP_CELLS_PER_SECOND + len(structure.capacity) * GAP_SECONDS_PER_AGENT_STEP
    return step_s * (GAP_FIRST_STEPS + GAP_SUBGRADIENT_STEPS * len(GAP_AIMS))


def worst_objective(structure) -> float:
    """No solution is worth more: every client on its dearest pair (capacities ignored)."""
    dearest = np.full(structure.n_clients, -np.inf)
    np.maximum.at(dearest, structure.client, structure.cost)
    return structure.offset + float(dearest.sum())


def reduced_gap_model(am: AllocationModel, structure, multipliers, target: int):
    """(copy of the model holding exactly the solutions of value ≤ ``target`` (see :mod:`solver.lagrange`),
    number of pairs left free), or (None, 0) when the Lagrangian bound alone shows there are none."""
    from solver.lagrange import agent_cuts, fixings

    zero = one = None
    for u in multipliers:
        _, z, o = fixings(structure, u, target)
        zero, one = (z, o) if zero is None else (zero | z, one | o)
    if np.any(zero & one):
        return None, 0
    model = am.model.clone()
    proto = model.proto
    for k, v in enumerate(structure.var):
        dom = proto.variables[int(v)].domain
        dom.clear()
        dom.extend([0, 0] if zero[k] else [1, 1] if one[k] else [0, 1])
    for u in multipliers:
        rows = agent_cuts(structure, u, target)
        if not rows:
            return None, 0
        for var, coef, rhs in rows:
            lits = [model.get_bool_var_from_proto_index(int(i)) for i in var]
            model.add(cp_model.LinearExpr.weighted_sum(lits, coef.tolist()) >= rhs)
    model.add(am.objective() <= target)
    return model, int(np.sum(~(zero | one)))


def stop_at(params: SolveParams, lower: int) -> SolveParams:
    """The same parameters with a progress callback that also stops at a solution worth ``lower`` (a proven
    bound: nothing better exists, so proving it again inside the reduced model is wasted time)."""
    user = params.progress

    def progress(objective_gbp: float, bound_gbp: float, seconds: float) -> bool:
        stop = bool(user(objective_gbp, bound_gbp, seconds)) if user else False
        return stop or round(objective_gbp * 100.0) <= lower

    return SolveParams(**{**params.__dict__, "progress": progress})


def reduced_params_for(params: SolveParams) -> SolveParams:
    """Parameters for the reduced models: full LP search on both workers when the portfolio is ours to pick;
    the caller's extra parameters (e.g. ``catch_sigint_signal``) are kept."""
    if params.subsolvers is not None or params.portfolio != "auto" or params.workers != 2:
        return params
    extra = tuple(kv for kv in params.extra_parameters if kv[0] != "num_full_subsolvers")
    return SolveParams(**{**params.__dict__, "subsolvers": GAP_REDUCED_SUBSOLVERS,
                          "extra_parameters": (*extra, ("num_full_subsolvers", len(GAP_REDUCED_SUBSOLVERS)))})


class TargetSearch:
    """The search on one model; :meth:`search` returns ``(solver holding the best solution or None, status,
    proven bound in objective units)``."""

    def __init__(self, am: AllocationModel, params: SolveParams, t0: float, structure, stages: list[dict]):
        self.am, self.structure, self.stages, self.t0 = am, structure, stages, t0
        self.stopped: list[bool] = []  # the caller asked to stop: progress() returned True, or Ctrl-C
        self.params = self._watching(params)
        self.limit = params.budget
        # A reduced OPTIMAL is the global optimum only when CP-SAT was asked for the optimum; with a gap limit
        # its bound (valid for all solutions: the others are worth more than the target) is the answer's.
        self.gap_limit = params.relative_gap_limit
        self.unit, self.offset = objective_unit(am.model.proto)
        self.worst = worst_objective(structure)
        self.best, self.best_value = None, math.inf
        self.used = 0.0  # deterministic mode counts CP-SAT's deterministic time, never the clock
        self.lower = 0

    def _watching(self, params: SolveParams) -> SolveParams:
        if params.progress is None:
            return params
        user = params.progress

        def progress(objective_gbp: float, bound_gbp: float, seconds: float) -> bool:
            stop = bool(user(objective_gbp, bound_gbp, seconds))
            if stop:
                self.stopped.append(True)
            return stop

        return SolveParams(**{**params.__dict__, "progress": progress})

    def run(self, model_am: AllocationModel, run_params: SolveParams, budget: float):
        s, st = run_search(model_am, run_params, budget, time.perf_counter() - self.t0)
        if getattr(s, "interrupted", False):
            self.stopped.append(True)
        if s.stopped_by_clock:
            self.stages.append({"stage": "clock", "status": st, "stopped_by_clock": True})
        return s, st

    def at_least(self, x: float) -> int:
        """The smallest attainable objective value ≥ x."""
        return int(round(self.offset + math.ceil((x - self.offset) / self.unit - 1e-9) * self.unit))

    def left(self) -> float:
        wall_left = self.params.time_limit_s - (time.perf_counter() - self.t0)
        if self.params.deterministic:  # work units, while the clock's hard stop has not come
            return self.limit - self.used if wall_left > 0 else 0.0
        return wall_left

    def settled(self) -> bool:
        best_value = self.best_value
        return self.best is not None and best_value - self.lower <= self.gap_limit * max(1.0, abs(best_value))

    def search(self):
        s, st = self.run(self.am, self.params, self.limit * GAP_FIRST_SHARE)
        stage = {"stage": "all", "status": st, "seconds": s.wall_time}
        if st in ("OPTIMAL", "FEASIBLE"):
            stage.update(objective_gbp=s.objective_value / 100.0, bound_gbp=s.best_objective_bound / 100.0)
        self.stages.append(stage)
        if st not in ("FEASIBLE", "UNKNOWN") or self.stopped:
            return (s, st, s.best_objective_bound) if st in ("OPTIMAL", "FEASIBLE") else (None, st, math.nan)
        if st == "FEASIBLE":
            self.best, self.best_value = s, s.objective_value
        self.used = s.deterministic_time
        multipliers = self._bounds(s)
        if multipliers is None:
            return None, "INFEASIBLE", math.nan
        return self._targets(multipliers) or self._full_model() or self._answer()

    def _bounds(self, first):
        """Lagrangian bounds: the proven ``lower`` bound and the multiplier vectors (None: infeasible)."""
        from solver.lagrange import lagrangian, multiplier_set

        t_lag = time.perf_counter()
        worst, unit = self.worst, self.unit
        # Subgradient steps aim at a target; multipliers aimed just above the bound fix the most pairs near
        # it. With no incumbent, the worst objective: a far aim converges much better than none (measured on
        # 5 × 30 type-D instances: 98 % of the optimum against 54 %).
        aim = self.best_value if self.best else worst
        first_bound, _ = lagrangian(self.structure, GAP_FIRST_STEPS, target=aim)
        # The bound runs away when the capacities cannot hold every client.
        if first_bound > worst + 1e-6 * max(1.0, abs(worst)):
            self.stages.append({"stage": "lagrangian", "status": "INFEASIBLE",
                                "seconds": time.perf_counter() - t_lag})
            return None
        aimed = self.at_least(first_bound)
        lag, multipliers = multiplier_set(self.structure, aimed, unit, GAP_SUBGRADIENT_STEPS, GAP_AIMS)
        lag = min(max(lag, first_bound), worst + unit)
        self.lower = self.at_least(lag - 1e-6 * max(1.0, abs(lag)))
        if self.best is not None:
            self.lower = max(self.lower, self.at_least(first.best_objective_bound - 1e-6))
        self.stages.append({"stage": "lagrangian", "status": "OPTIMAL", "bound_gbp": lag / 100.0,
                            "seconds": time.perf_counter() - t_lag})
        return multipliers

    def _targets(self, multipliers):
        """Rising targets; returns a final answer only when it proves the model infeasible, else None."""
        unit, reduced_params = self.unit, reduced_params_for(self.params)
        cap = int(round(self.best_value)) - unit if self.best is not None else self.at_least(self.worst)
        target, step = self.lower, unit
        while not self.settled() and self.left() > 0.05:
            target = min(max(target, self.lower), cap)
            if target < self.lower:  # every solution below the incumbent (or at all) is ruled out
                if self.best is None:
                    return None, "INFEASIBLE", math.nan
                self.lower = int(round(self.best_value))
                return None
            if self._target(multipliers, target, reduced_params) != "INFEASIBLE":
                return None  # proven optimal, stopped, or out of its share: the full model takes over
            self.lower = max(self.lower, target + unit)
            target += step
            step *= 2
        return None

    def _target(self, multipliers, target: int, reduced_params: SolveParams) -> str:
        """One reduced solve at ``target``: its status ("STOP" when the caller asked to stop)."""
        model, free = reduced_gap_model(self.am, self.structure, multipliers, target)
        stage = {"stage": "gap target", "target_gbp": target / 100.0, "free_pairs": free}
        self.stages.append(stage)
        if model is None:
            stage["status"] = "INFEASIBLE"
            return "INFEASIBLE"
        sub = AllocationModel(self.am.data, self.am.switches, model=model)
        s, st = self.run(sub, stop_at(reduced_params, self.lower), max(self.left() * GAP_REDUCED_SHARE, 0.05))
        self.used += s.deterministic_time
        stage.update(status=st, seconds=s.wall_time)
        if st in ("OPTIMAL", "FEASIBLE") and s.objective_value < self.best_value:
            self.best, self.best_value = s, s.objective_value
            stage["objective_gbp"] = self.best_value / 100.0
        if self.stopped:
            return "STOP"
        if st == "OPTIMAL":
            # Every solution ≤ target is in the reduced model, every other one is worth more.
            exact = self.gap_limit == 0 or s.objective_value <= self.lower
            proven = self.at_least(s.best_objective_bound - 1e-6)
            self.lower = int(round(self.best_value)) if exact else max(self.lower, proven)
        return st

    def _full_model(self):
        """Time is left but the targets did not settle it: the full model, hinted, cut at the proven bound.
        Returns a final answer only when it proves the model infeasible, else None."""
        if self.stopped or self.settled() or self.left() <= 0.05:
            return None
        am = self.am
        model = am.model.clone()
        model.add(am.objective() >= self.lower)
        if self.best is not None:
            model.clear_hints()
            for v in am.all_vars():
                model.add_hint(v, self.best.value(v))
        sub = AllocationModel(am.data, am.switches, model=model)
        s, st = self.run(sub, self.params, self.left())
        self.stages.append({"stage": "all (after targets)", "status": st, "seconds": s.wall_time})
        if st in ("OPTIMAL", "FEASIBLE"):
            if s.objective_value <= self.best_value:
                self.best, self.best_value = s, s.objective_value
            self.lower = max(self.lower, self.at_least(s.best_objective_bound - 1e-6))
            if st == "OPTIMAL" and self.gap_limit == 0:
                self.lower = int(round(self.best_value))
        elif st == "INFEASIBLE" and self.best is None:
            return None, "INFEASIBLE", math.nan
        return None

    def _answer(self):
        if self.best is None:
            return None, "UNKNOWN", math.nan
        self.lower = min(self.lower, int(round(self.best_value)))
        # OPTIMAL as CP-SAT means it: proven, or within the requested relative gap.
        return self.best, "OPTIMAL" if self.settled() else "FEASIBLE", float(self.lower)
