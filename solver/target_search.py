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
# When the subgradient steps would take more than this share of the limit (as counted), the plain model gets
# all the time instead (a 1-s limit on gapb-4 must still return a solution); they end at it (or at
# GAP_SLOW_FACTOR times their count) whatever the count said.
GAP_LAGRANGIAN_MAX_SHARE = 0.4
# Subgradient steps taking more than this many times their counted time: the count is wrong for this
# instance, so the steps stop and the full model gets the time (with the knapsacks in numpy, a type E 20 × 400
# took 37 ms a step where 5.5 ms were counted, and a 30-s run took 40 s).
GAP_SLOW_FACTOR = 5.0
# A first subgradient run ending this share below CP-SAT's first bound means a weak relaxation (OR-Library
# b and c: at most 0.10 % below; type E: 0.36 % at 10 × 200, 6.9 % at 20 × 400).
GAP_WEAK_SHARE = 0.0025
# One subgradient step (OR-Tools' dynamic programme per agent), measured with the steps aimed at an incumbent
# on gapb-4, gapc-4 and types D and E at 20 × 400: about 190 million knapsack-table cells a second, plus
# 25 µs of Python per agent and 0.4 µs per pair (reading the knapsack's answer). Counted, not timed, so the
# choice is the same on every run.
GAP_CELLS_PER_SECOND = 190e6
GAP_SECONDS_PER_AGENT_STEP = 25e-6
GAP_SECONDS_PER_PAIR_STEP = 0.4e-6
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
    step_s = (cells / GAP_CELLS_PER_SECOND + len(structure.capacity) * GAP_SECONDS_PER_AGENT_STEP
              + len(structure.agent) * GAP_SECONDS_PER_PAIR_STEP)
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
        if not multipliers:  # no targets: the first run's solution is a poor hint, which anchors the search
            return self._full_model(hinted=False) or self._answer()
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
        first_end, steps_end = self._deadlines(t_lag)
        first_bound, _ = lagrangian(self.structure, GAP_FIRST_STEPS, target=aim, deadline=first_end)
        # The bound runs away when the capacities cannot hold every client.
        if first_bound > worst + 1e-6 * max(1.0, abs(worst)):
            self.stages.append({"stage": "lagrangian", "status": "INFEASIBLE",
                                "seconds": time.perf_counter() - t_lag})
            return None
        # Steps far slower than counted, or a first bound well below what CP-SAT proved in its first run: no
        # multiplier set, no targets; the full model gets the time.
        slow = time.perf_counter() >= first_end
        lag, multipliers = first_bound, []
        if not slow and not self._weak(first_bound, first):
            aimed = self.at_least(first_bound)
            lag, multipliers = multiplier_set(self.structure, aimed, unit, GAP_SUBGRADIENT_STEPS, GAP_AIMS,
                                              deadline=steps_end)
        lag = min(max(lag, first_bound), worst + unit)
        self.lower = self.at_least(lag - 1e-6 * max(1.0, abs(lag)))
        if self.best is not None:
            self.lower = max(self.lower, self.at_least(first.best_objective_bound - 1e-6))
        self.stages.append({"stage": "lagrangian", "status": "OPTIMAL" if multipliers else "STOPPED",
                            "bound_gbp": lag / 100.0, "seconds": time.perf_counter() - t_lag,
                            "stopped_by_clock": slow and self.params.deterministic})
        return multipliers

    def _weak(self, first_bound: float, first) -> bool:
        """The first subgradient run's bound is more than :data:`GAP_WEAK_SHARE` below the first CP-SAT run's:
        the knapsack relaxation is weak here, and its fixings would leave the reduced models as hard as the
        full one (type E, 20 × 400: 37,765 against 40,578; every one of 8,000 pairs left free, and the
        targets took the time the full model needed: 41,188 against 40,631 from the plain model)."""
        if self.best is None:
            return False
        proven = float(first.best_objective_bound)
        return first_bound < proven - GAP_WEAK_SHARE * max(1.0, abs(proven))

    def _deadlines(self, t_lag: float) -> tuple[float, float]:
        """When the first subgradient run and all of them must end. Clock-limited runs: all of them within
        :data:`GAP_LAGRANGIAN_MAX_SHARE` of the limit or :data:`GAP_SLOW_FACTOR` times their counted time,
        whichever is longer (a loaded machine is not "slow"), the first run within its part by steps.
        Deterministic runs: only the clock's hard stop (their steps are counted: the same on every run
        unless it comes)."""
        hard_stop = self.t0 + self.params.time_limit_s
        if self.params.deterministic:
            return hard_stop, hard_stop
        all_s = max(GAP_LAGRANGIAN_MAX_SHARE * self.params.time_limit_s,
                    GAP_SLOW_FACTOR * lagrangian_seconds(self.structure))
        first_s = all_s * GAP_FIRST_STEPS / (GAP_FIRST_STEPS + GAP_SUBGRADIENT_STEPS * len(GAP_AIMS))
        return min(t_lag + first_s, hard_stop), min(t_lag + all_s, hard_stop)

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

    def _full_model(self, hinted: bool = True):
        """Time is left but the targets did not settle it: the full model, hinted with the best solution
        (``hinted``), cut at the proven bound. Returns a final answer only when it proves the model
        infeasible, else None."""
        if self.stopped or self.settled() or self.left() <= 0.05:
            return None
        am = self.am
        model = am.model.clone()
        model.add(am.objective() >= self.lower)
        if self.best is not None and hinted:
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
