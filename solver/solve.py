"""``solve(data, scenario, params) -> Result``: build the model, run CP-SAT, validate, explain.

Determinism (the default, ``SolveParams.deterministic``): the workers interleave in fixed batches
(``interleave_search``) and every phase is limited by its share of ``SolveParams.budget``, CP-SAT's
deterministic work units, so the answer depends only on the inputs, the seed and the worker count. The
wall-clock ``time_limit_s`` is still a hard stop; a search it stops first is flagged
(``Result.stopped_by_clock``), as it may not repeat. Without determinism the clock alone limits the search
(threads race: only a search that proves optimality repeats).

Interrupts: CP-SAT catches SIGINT (Ctrl-C) and returns the best solution found so far (status FEASIBLE);
a progress callback returning True does the same.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.data import (
    FIXED_ZONES_SHARE,
    LP_HINT_MIN_CLIENTS,
    LP_ROUNDING_SHARE,
    LP_TIME_SHARE,
    PORTFOLIOS,
    DataError,
    ProblemData,
    ScenarioParams,
    SolveParams,
)
from solver.heuristic import greedy_assignment
from solver.model import AllocationModel, build_model
from solver.validate import (
    count_moves,
    objective_terms,
    pool_draws,
    provider_loads,
    validate_solution,
    zone_providers,
)

_STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}
_RANK = {"OPTIMAL": 0, "FEASIBLE": 1, "UNKNOWN": 2, "INFEASIBLE": 3, "MODEL_INVALID": 4}


@dataclass
class Result:
    """Outcome of :func:`solve`. Money in GBP per week, time in hours per week.

    ``objective``/``bound`` are the weighted objective (sum of ``objective_terms``) and CP-SAT's proven lower
    bound; ``gap`` = (objective − bound) / max(1, |objective|). In lexicographic mode ``bound`` is the
    objective when every stage was proven optimal and NaN otherwise (stages optimise different terms).
    ``assignment[i]`` is client i's provider or -1 (unmet; ``unmet_reasons[i]`` says why).
    ``pool_draw_hours`` has shape (pools, providers, zones). ``violations`` comes from
    :func:`solver.validate.validate_solution` run on the returned assignment (empty when all is well).
    """

    status: str
    objective: float = math.nan
    bound: float = math.nan
    gap: float = math.nan
    seconds: float = 0.0
    objective_terms: dict[str, float] = field(default_factory=dict)
    assignment: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    unmet_reasons: dict[int, str] = field(default_factory=dict)
    provider_care_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    provider_travel_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    provider_staff_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    provider_pool_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pool_draw_hours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    zone_providers: list[tuple[int, ...]] = field(default_factory=list)
    moves: int = 0
    violations: list[str] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    stages: list[dict] = field(default_factory=list)
    provider_names: tuple[str, ...] | None = None

    @property
    def stopped_by_clock(self) -> bool:
        """A deterministic search was stopped by the wall-clock limit before its work limit: this answer may
        differ on another run or machine (raise ``time_limit_s`` or lower ``work_limit``)."""
        return any(st.get("stopped_by_clock") for st in self.stages)

    def is_feasible(self) -> bool:
        """A solution exists and passed the independent validator."""
        return self.status in ("OPTIMAL", "FEASIBLE") and not self.violations

    def summary(self) -> str:
        """A short text table for logs and the CLI."""
        lines = [f"status {self.status}  objective £{self.objective:,.2f}  bound £{self.bound:,.2f}  "
                 f"gap {self.gap:.3%}  {self.seconds:.1f}s"]
        if not len(self.assignment):
            lines += self.diagnosis
            return "\n".join(lines)
        terms = "  ".join(f"{k} £{v:,.2f}" for k, v in self.objective_terms.items())
        unmet = int(np.sum(self.assignment < 0))
        lines.append(f"terms: {terms}")
        lines.append(f"clients {len(self.assignment)}  unmet {unmet}  moves {self.moves}  "
                     f"violations {len(self.violations)}")
        lines.append(f"{'provider':<20}{'clients':>8}{'care h':>10}{'travel h':>10}{'pool h':>9}")
        for p in range(len(self.provider_care_hours)):
            name = self.provider_names[p] if self.provider_names else f"provider {p}"
            n = int(np.sum(self.assignment == p))
            lines.append(f"{name[:19]:<20}{n:>8}{self.provider_care_hours[p]:>10.1f}"
                         f"{self.provider_travel_hours[p]:>10.1f}{self.provider_pool_hours[p]:>9.1f}")
        lines += [f"violation: {s}" for s in self.violations[:10]]
        return "\n".join(lines)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, fn, offset_s: float):
        super().__init__()
        self._fn, self._offset = fn, offset_s

    def on_solution_callback(self) -> None:
        if self._fn(self.objective_value / 100.0, self.best_objective_bound / 100.0,
                    self._offset + self.wall_time):
            self.stop_search()


def configure(solver: cp_model.CpSolver, params: SolveParams, budget: float, wall_left_s: float) -> None:
    """Set CP-SAT parameters from :class:`SolveParams` (seed, workers, portfolio, limits).

    ``budget``: this phase's share of ``params.budget`` (work units or seconds); ``wall_left_s``: seconds left
    of ``params.time_limit_s``, a hard stop in either mode."""
    sp = solver.parameters
    sp.num_workers = params.workers
    sp.random_seed = params.seed
    sp.log_search_progress = params.log_progress
    sp.relative_gap_limit = params.relative_gap_limit
    wall_left_s = max(wall_left_s, 0.05)
    if params.deterministic:
        sp.interleave_search = True
        sp.max_deterministic_time = max(budget, 0.01)
        sp.max_time_in_seconds = wall_left_s
    else:
        sp.max_time_in_seconds = min(max(budget, 0.05), wall_left_s)
    subsolvers = params.subsolvers
    if subsolvers is None:
        name = params.portfolio
        if name == "auto":
            name = "lp" if params.workers <= 8 else "default"
        subsolvers = PORTFOLIOS[name]
    if subsolvers:
        sp.subsolvers.clear()
        sp.subsolvers.extend(list(subsolvers))
    for key, value in params.extra_parameters:
        field_ = getattr(sp, key)
        if isinstance(value, list | tuple):
            field_.clear()
            field_.extend(list(value))
        else:
            setattr(sp, key, value)


def _hint_assignment(am: AllocationModel, assignment: np.ndarray) -> None:
    """Hint x (and unmet) for clients with a provider in ``assignment``; others are left to CP-SAT.

    A partial hint of the current allocation works better than a complete greedy one: CP-SAT repairs it,
    whereas a poor but feasible complete hint anchors the LNS workers on it (measured: 3x worse at 10 s).
    """
    for i, p in enumerate(assignment):
        if p < 0 or (i, int(p)) not in am.x:
            continue
        for q, v in am.pairs_of_client(i):
            am.model.add_hint(v, int(q == p))
        if i in am.unmet:
            am.model.add_hint(am.unmet[i], 0)


def _hint_complete(am: AllocationModel, assignment: np.ndarray) -> None:
    """A complete hint (x, unmet, y, pool draws, active) from a validator-clean assignment."""
    from solver.lp import integer_pool_draws

    d = am.data
    am.model.clear_hints()
    for (i, p), v in am.x.items():
        am.model.add_hint(v, int(assignment[i] == p))
    for i, u in am.unmet.items():
        am.model.add_hint(u, int(assignment[i] < 0))
    free = (assignment >= 0) & (assignment != d.client_pinned_provider)
    used = set(zip(d.client_zone[free].tolist(), assignment[free].tolist(), strict=True))
    for key, v in am.y.items():
        am.model.add_hint(v, int(key in used))
    for key, minutes in integer_pool_draws(d, am.scenario, assignment, list(am.draw)).items():
        am.model.add_hint(am.draw[key], minutes)
    for p, v in am.active.items():
        am.model.add_hint(v, int(np.any(assignment == p)))


def _lp_start(am: AllocationModel, params: SolveParams) -> tuple[np.ndarray | None, dict]:
    """Solve the LP relaxation, round it; hint the result when the validator passes it."""
    from solver.lp import best_rounding, solve_lp

    d, s = am.data, am.scenario
    lp = solve_lp(d, s, time_limit_s=params.budget * LP_TIME_SHARE, deterministic=params.deterministic,
                  wall_limit_s=params.time_limit_s * LP_TIME_SHARE)
    stage = {"stage": "lp", "status": lp.status, "objective_gbp": lp.objective_pence / 100.0,
             "seconds": lp.seconds}
    if lp.status != "OPTIMAL":
        return None, stage
    budget = params.time_limit_s * LP_ROUNDING_SHARE
    # Deterministic mode: a trial budget instead of the clock (30,000 client placements a work unit).
    work = params.budget * LP_ROUNDING_SHARE
    trials = max(1, int(work * 30_000 / max(d.n_clients, 1))) if params.deterministic else None
    assignment = best_rounding(d, s, lp, time_limit_s=budget, max_trials=trials)
    violations = validate_solution(d, s, assignment)
    stage["rounded_gbp"] = sum(objective_terms(d, s, assignment).values())
    stage["rounded_violations"] = len(violations)
    if violations:
        return None, stage
    _hint_complete(am, assignment)
    return assignment, stage


def _fixed_zones_phase(am: AllocationModel, params: SolveParams, assignment: np.ndarray,
                       budget_s: float, offset_s: float) -> tuple[dict, np.ndarray]:
    """Polish the rounded LP: CP-SAT with every y[z, p] fixed to the rounding's zone choice (a much smaller
    problem, usually solved to within 0.01 % in a few seconds), then its best solution becomes the hint of
    the full model. The y domains are restored afterwards."""
    d = am.data
    free = (assignment >= 0) & (assignment != d.client_pinned_provider)
    used = set(zip(d.client_zone[free].tolist(), assignment[free].tolist(), strict=True))
    domains = {key: am.model.proto.variables[v.index].domain for key, v in am.y.items()}
    for key, dom in domains.items():
        dom.clear()
        dom.extend([int(key in used)] * 2)
    sub = SolveParams(**{**params.__dict__, "relative_gap_limit": max(params.relative_gap_limit, 1e-4)})
    solver, status = _run(am, sub, budget_s, offset_s)
    for dom in domains.values():
        dom.clear()
        dom.extend([0, 1])
    stage = {"stage": "fixed zones", "status": status, "seconds": solver.wall_time,
             "stopped_by_clock": solver.stopped_by_clock}
    if status in ("OPTIMAL", "FEASIBLE"):
        stage["objective_gbp"] = solver.objective_value / 100.0
        _hint_from(am, solver)
        assignment = np.full(d.n_clients, -1, dtype=np.int64)
        for (i, p), v in am.x.items():
            if solver.boolean_value(v):
                assignment[i] = p
    return stage, assignment


def _use_lp_hint(data: ProblemData, params: SolveParams) -> bool:
    if params.lp_hint == "auto":
        return data.n_clients >= LP_HINT_MIN_CLIENTS
    return params.lp_hint == "on"


def _hint_from(am: AllocationModel, solver: cp_model.CpSolver) -> None:
    am.model.clear_hints()
    for v in am.all_vars():
        am.model.add_hint(v, solver.value(v))


def hints_are_safe(params: SolveParams) -> bool:
    """Whether CP-SAT may be given a solution hint under these parameters.

    OR-Tools 9.15 aborts the whole process (``CHECK heuristics.fixed_search != nullptr``, exit 134) when an
    interleaved multi-worker search (our deterministic mode) holds a solution hint and the search ends while
    a worker is still loading the model, e.g. when infeasibility is proven at once. Interleaving is what
    makes a multi-worker search deterministic, so the hint is what goes (measured on the demo: the optimised
    and zoned variants end within 0.05 % of the hinted objective without it, BENCHMARKS.md).
    """
    return not (params.deterministic and params.workers > 1)


def _run(am: AllocationModel, params: SolveParams, budget: float, offset_s: float):
    """One CP-SAT search with ``budget`` (work units or seconds) begun ``offset_s`` into the solve."""
    if not hints_are_safe(params):
        am.model.clear_hints()
    solver = cp_model.CpSolver()
    wall_left_s = params.time_limit_s - offset_s
    configure(solver, params, budget, wall_left_s)
    cb = _Progress(params.progress, offset_s) if params.progress else None
    solver.interrupted = False  # Ctrl-C reached Python during the search: the caller should stop too
    try:
        with _stop_watch(solver, params.stop):
            status = solver.solve(am.model, cb)
    except KeyboardInterrupt:  # pragma: no cover - CP-SAT normally catches SIGINT itself
        status = cp_model.UNKNOWN
        solver.interrupted = True
    if params.stop is not None and params.stop.is_set():
        solver.interrupted = True
    name = _STATUS.get(status, "UNKNOWN")
    # Deterministic mode stopped by the clock before its work limit: this answer may not repeat.
    solver.stopped_by_clock = (params.deterministic and name in ("FEASIBLE", "UNKNOWN")
                               and solver.wall_time >= 0.98 * max(wall_left_s, 0.05)
                               and solver.deterministic_time < 0.98 * budget)
    return solver, name


@contextlib.contextmanager
def _stop_watch(solver: cp_model.CpSolver, stop: threading.Event | None):
    """While CP-SAT searches, a thread watches ``stop`` and ends the search the moment it is set (signal
    handlers cannot: Python runs them only when the search returns)."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if stop.is_set():
                solver.stop_search()  # again each poll: a call before the search begins may be lost

    watcher = threading.Thread(target=watch, name="cp-sat-stop-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


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


def _objective_unit(proto) -> tuple[int, float]:
    """(unit, offset): every objective value is ``offset + unit·k`` for an integer k."""
    coeffs = np.abs(np.array(list(proto.objective.coeffs), np.int64))
    unit = int(np.gcd.reduce(coeffs)) if len(coeffs) and coeffs.any() else 1
    return unit, float(proto.objective.offset)


def _lagrangian_seconds(structure) -> float:
    """Predicted time of the subgradient steps of :func:`_gap_target_search` (counted, not measured)."""
    cells = sum(int(np.sum(structure.agent == a)) * (int(c) + 1) for a, c in enumerate(structure.capacity))
    step_s = cells / GAP_CELLS_PER_SECOND + len(structure.capacity) * GAP_SECONDS_PER_AGENT_STEP
    return step_s * (GAP_FIRST_STEPS + GAP_SUBGRADIENT_STEPS * len(GAP_AIMS))


def _worst_objective(structure) -> float:
    """No solution is worth more: every client on its dearest pair (capacities ignored)."""
    dearest = np.full(structure.n_clients, -np.inf)
    np.maximum.at(dearest, structure.client, structure.cost)
    return structure.offset + float(dearest.sum())


def _reduced_gap_model(am: AllocationModel, structure, multipliers, target: int):
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


def _stop_at(params: SolveParams, lower: int) -> SolveParams:
    """The same parameters with a progress callback that also stops at a solution worth ``lower`` (a proven
    bound: nothing better exists, so proving it again inside the reduced model is wasted time)."""
    user = params.progress

    def progress(objective_gbp: float, bound_gbp: float, seconds: float) -> bool:
        stop = bool(user(objective_gbp, bound_gbp, seconds)) if user else False
        return stop or round(objective_gbp * 100.0) <= lower

    return SolveParams(**{**params.__dict__, "progress": progress})


def _reduced_params(params: SolveParams) -> SolveParams:
    """Parameters for the reduced models: full LP search on both workers when the portfolio is ours to pick;
    the caller's extra parameters (e.g. ``catch_sigint_signal``) are kept."""
    if params.subsolvers is not None or params.portfolio != "auto" or params.workers != 2:
        return params
    extra = tuple(kv for kv in params.extra_parameters if kv[0] != "num_full_subsolvers")
    return SolveParams(**{**params.__dict__, "subsolvers": GAP_REDUCED_SUBSOLVERS,
                          "extra_parameters": (*extra, ("num_full_subsolvers", len(GAP_REDUCED_SUBSOLVERS)))})


def _gap_target_search(am: AllocationModel, params: SolveParams, t0: float, structure, stages: list[dict]):
    """Plain GAP (see :mod:`solver.lagrange`): after a short run of the full model, rising targets.

    For a target T (from the Lagrangian bound upwards, never above the incumbent less one unit), CP-SAT solves
    the reduced model that holds exactly the solutions of value ≤ T: OPTIMAL there is the global optimum,
    INFEASIBLE proves every solution is worth more than T (T then rises by one unit, then doubling steps).
    When T reaches the incumbent less one unit and that is infeasible, the incumbent is optimal; with no
    incumbent, T stops at the worst possible objective, where INFEASIBLE means the model is. A reduced solve
    stopped by its time share hands over to the full model, hinted and cut at the proven bound. A progress
    callback returning True (or Ctrl-C) ends the search at once with the best solution so far.
    Returns (solver holding the best solution or None, status, proven bound in objective units).
    """
    from solver.lagrange import lagrangian, multiplier_set

    limit = params.budget
    stopped: list[bool] = []  # the caller asked to stop: progress() returned True, or Ctrl-C
    if params.progress is not None:
        user = params.progress

        def progress(objective_gbp: float, bound_gbp: float, seconds: float) -> bool:
            stop = bool(user(objective_gbp, bound_gbp, seconds))
            if stop:
                stopped.append(True)
            return stop

        params = SolveParams(**{**params.__dict__, "progress": progress})

    def run(model_am, run_params, budget):
        s, st = _run(model_am, run_params, budget, time.perf_counter() - t0)
        if getattr(s, "interrupted", False):
            stopped.append(True)
        if s.stopped_by_clock:
            stages.append({"stage": "clock", "status": st, "stopped_by_clock": True})
        return s, st

    s, st = run(am, params, limit * GAP_FIRST_SHARE)
    stage = {"stage": "all", "status": st, "seconds": s.wall_time}
    if st in ("OPTIMAL", "FEASIBLE"):
        stage.update(objective_gbp=s.objective_value / 100.0, bound_gbp=s.best_objective_bound / 100.0)
    stages.append(stage)
    if st not in ("FEASIBLE", "UNKNOWN") or stopped:
        return (s, st, s.best_objective_bound) if st in ("OPTIMAL", "FEASIBLE") else (None, st, math.nan)
    best, best_value = (s, s.objective_value) if st == "FEASIBLE" else (None, math.inf)
    used = s.deterministic_time  # deterministic mode counts CP-SAT's deterministic time, never the clock
    unit, offset = _objective_unit(am.model.proto)
    worst = _worst_objective(structure)
    # A reduced OPTIMAL is the global optimum only when CP-SAT was asked for the optimum; with a gap limit
    # its bound (valid for all solutions: the others are worth more than the target) is the answer's bound.
    gap_limit = params.relative_gap_limit

    def at_least(x: float) -> int:  # the smallest attainable objective value ≥ x
        return int(round(offset + math.ceil((x - offset) / unit - 1e-9) * unit))

    def left() -> float:
        wall_left = params.time_limit_s - (time.perf_counter() - t0)
        if params.deterministic:  # work units, while the clock's hard stop has not come
            return limit - used if wall_left > 0 else 0.0
        return wall_left

    def settled() -> bool:
        return best is not None and best_value - lower <= gap_limit * max(1.0, abs(best_value))

    t_lag = time.perf_counter()
    # Subgradient steps aim at a target; multipliers aimed just above the bound fix the most pairs near it.
    # With no incumbent, the worst objective: a far aim converges much better than none (measured on
    # 5 × 30 type-D instances: 98 % of the optimum against 54 %).
    first_bound, _ = lagrangian(structure, GAP_FIRST_STEPS, target=best_value if best else worst)
    # The bound runs away when the capacities cannot hold every client.
    if first_bound > worst + 1e-6 * max(1.0, abs(worst)):
        stages.append({"stage": "lagrangian", "status": "INFEASIBLE", "seconds": time.perf_counter() - t_lag})
        return None, "INFEASIBLE", math.nan
    lag, multipliers = multiplier_set(structure, at_least(first_bound), unit, GAP_SUBGRADIENT_STEPS, GAP_AIMS)
    lag = min(max(lag, first_bound), worst + unit)
    lower = at_least(lag - 1e-6 * max(1.0, abs(lag)))
    if best is not None:
        lower = max(lower, at_least(s.best_objective_bound - 1e-6))
    stages.append({"stage": "lagrangian", "status": "OPTIMAL", "bound_gbp": lag / 100.0,
                   "seconds": time.perf_counter() - t_lag})
    reduced_params = _reduced_params(params)
    cap = int(round(best_value)) - unit if best is not None else at_least(worst)
    target, step = lower, unit
    while not settled() and left() > 0.05:
        target = min(max(target, lower), cap)
        if target < lower:  # every solution below the incumbent (or at all) is ruled out
            if best is None:
                return None, "INFEASIBLE", math.nan
            lower = int(round(best_value))
            break
        model, free = _reduced_gap_model(am, structure, multipliers, target)
        stage = {"stage": "gap target", "target_gbp": target / 100.0, "free_pairs": free}
        stages.append(stage)
        if model is None:
            stage["status"] = "INFEASIBLE"
        else:
            sub = AllocationModel(am.data, am.scenario, model=model)
            s, st = run(sub, _stop_at(reduced_params, lower), max(left() * GAP_REDUCED_SHARE, 0.05))
            used += s.deterministic_time
            stage.update(status=st, seconds=s.wall_time)
            if st in ("OPTIMAL", "FEASIBLE") and s.objective_value < best_value:
                best, best_value = s, s.objective_value
                stage["objective_gbp"] = best_value / 100.0
                cap = int(round(best_value)) - unit
            if stopped:
                break
            if st == "OPTIMAL":
                # Every solution ≤ target is in the reduced model, every other one is worth more.
                exact = gap_limit == 0 or s.objective_value <= lower
                proven = at_least(s.best_objective_bound - 1e-6)
                lower = int(round(best_value)) if exact else max(lower, proven)
                break
            if st != "INFEASIBLE":
                break  # stopped by its share: the full model takes over below
        lower = max(lower, target + unit)
        target += step
        step *= 2
    if not stopped and not settled() and left() > 0.05:
        # Time is left but the targets did not settle it: the full model, hinted, cut at the proven bound.
        model = am.model.clone()
        model.add(am.objective() >= lower)
        if best is not None:
            model.clear_hints()
            for v in am.all_vars():
                model.add_hint(v, best.value(v))
        sub = AllocationModel(am.data, am.scenario, model=model)
        s, st = run(sub, params, left())
        stages.append({"stage": "all (after targets)", "status": st, "seconds": s.wall_time})
        if st in ("OPTIMAL", "FEASIBLE"):
            if s.objective_value <= best_value:
                best, best_value = s, s.objective_value
            lower = max(lower, at_least(s.best_objective_bound - 1e-6))
            if st == "OPTIMAL" and gap_limit == 0:
                lower = int(round(best_value))
        elif st == "INFEASIBLE" and best is None:
            return None, "INFEASIBLE", math.nan
    if best is None:
        return None, "UNKNOWN", math.nan
    lower = min(lower, int(round(best_value)))
    # OPTIMAL as CP-SAT means it: proven, or within the requested relative gap.
    return best, "OPTIMAL" if settled() else "FEASIBLE", float(lower)


def solve(
    data: ProblemData,
    scenario: ScenarioParams | None = None,
    params: SolveParams | None = None,
) -> Result:
    """Solve one allocation. Never raises on infeasibility: check ``result.status`` / ``result.diagnosis``."""
    scenario = scenario or ScenarioParams()
    params = params or SolveParams()
    t0 = time.perf_counter()
    am = build_model(data, scenario)
    if params.hint_current:
        current = np.where(data.client_pinned_provider >= 0, data.client_pinned_provider,
                           data.client_current_provider)
        _hint_assignment(am, current)
    stages: list[dict] = []
    lp_assignment = None
    if _use_lp_hint(data, params):
        lp_assignment, lp_stage = _lp_start(am, params)
        stages.append(lp_stage)
        if lp_assignment is not None and am.y:
            budget = params.budget * FIXED_ZONES_SHARE
            if not params.deterministic:
                budget = min(budget, params.time_limit_s - (time.perf_counter() - t0))
            if budget > 0.05:
                stage, polished = _fixed_zones_phase(am, params, lp_assignment, budget,
                                                     time.perf_counter() - t0)
                stages.append(stage)
                if not validate_solution(data, scenario, polished) and _cheaper(
                        data, scenario, polished, lp_assignment):
                    lp_assignment = polished
    lp_used = bool(stages)
    if params.export_model and not am.model.export_to_file(params.export_model):
        raise DataError(f"export_model: cannot write the model to {params.export_model!r}")

    if params.lexicographic:
        order = [("unmet", [am.terms["unmet"]]), ("cost", [am.terms["care"], am.terms["travel"]]),
                 ("moves", [am.terms["moves"]])]
        order = [(n, ts) for n, ts in order if any(not isinstance(t, int) for t in ts)]
    else:
        order = [("all", [am.objective()])]
    solver = None
    status = "UNKNOWN"
    bound_pence = math.nan
    structure = None
    if params.gap_target_search and not params.lexicographic and not lp_used:
        from solver.lagrange import gap_structure

        am.model.minimize(am.objective())  # the proto holds the objective only once it is set
        structure = gap_structure(am.model.proto)
        too_slow = structure is not None and (
            _lagrangian_seconds(structure) > GAP_LAGRANGIAN_MAX_SHARE * params.time_limit_s)
        if too_slow:
            structure = None  # too short a limit for the subgradient steps: the plain model gets it all
    if structure is not None:
        solver, status, bound_pence = _gap_target_search(am, params, t0, structure, stages)
        order = []
    for idx, (name, ts) in enumerate(order):
        expr = sum(ts)
        am.model.minimize(expr)
        left = params.budget - (time.perf_counter() - t0)
        if params.deterministic:
            # Work units must not depend on the clock: equal shares of the limit (less the LP's).
            fixed = FIXED_ZONES_SHARE if any(st["stage"] == "fixed zones" for st in stages) else 0.0
            share = 1.0 - (LP_ROUNDING_SHARE + fixed if lp_used else 0.0)
            left = params.budget * share * (1 - idx / len(order))
        # Later stages share what is left; the first stages get at least a fair share.
        budget = max(left / (len(order) - idx), 0.05)
        s, st = _run(am, params, budget, time.perf_counter() - t0)
        if st not in ("OPTIMAL", "FEASIBLE"):
            stages.append({"stage": name, "status": st, "seconds": s.wall_time,
                           "stopped_by_clock": s.stopped_by_clock})
            if solver is None:
                status = st
            break
        solver, status = s, st if idx == 0 else _worse(status, st)
        value = int(round(s.objective_value))
        bound_pence = s.best_objective_bound
        stages.append({"stage": name, "status": st, "objective_gbp": value / 100.0,
                       "bound_gbp": bound_pence / 100.0, "seconds": s.wall_time,
                       "stopped_by_clock": s.stopped_by_clock})
        if len(order) > 1 and idx + 1 < len(order):
            am.model.add(expr <= value)  # lexicographic: later stages may not worsen this one
            _hint_from(am, s)
    seconds = time.perf_counter() - t0
    # Fall-back when CP-SAT found nothing in time: the rounded LP, else a greedy allocation (validated).
    if solver is None and status == "UNKNOWN" and lp_assignment is not None:
        stages.append({"stage": "lp fall-back", "status": "FEASIBLE"})
        return _result(am, None, "FEASIBLE", seconds, stages, params, math.nan, lp_assignment)
    greedy = greedy_assignment(data, scenario) if solver is None and status == "UNKNOWN" else None
    if greedy is not None and not validate_solution(data, scenario, greedy):
        stages.append({"stage": "greedy fall-back", "status": "FEASIBLE"})
        return _result(am, None, "FEASIBLE", seconds, stages, params, math.nan, greedy)
    if solver is None:
        from solver.diagnose import diagnose  # local import: diagnose imports this module

        return Result(status=status, seconds=seconds, diagnosis=diagnose(data, scenario, params),
                      stages=stages, provider_names=data.provider_names)
    assignment = _cp_assignment(am, solver)
    better_start = lp_assignment is not None and _cheaper(data, scenario, lp_assignment, assignment)
    if better_start and status != "OPTIMAL":
        # The search was stopped before it beat its own start (no hint under deterministic multi-worker
        # search, see hints_are_safe): the validated rounding is the better answer.
        stages.append({"stage": "lp start kept", "status": "FEASIBLE"})
        assignment = lp_assignment
    return _result(am, None, status, seconds, stages, params, bound_pence, assignment)


def _cp_assignment(am: AllocationModel, solver: cp_model.CpSolver) -> np.ndarray:
    assignment = np.full(am.data.n_clients, -1, dtype=np.int64)
    for (i, p), v in am.x.items():
        if solver.boolean_value(v):
            assignment[i] = p
    return assignment


def _cheaper(data: ProblemData, scenario: ScenarioParams, a: np.ndarray, b: np.ndarray) -> bool:
    return sum(objective_terms(data, scenario, a).values()) < sum(objective_terms(data, scenario, b).values())


def _worse(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def _result(am, solver, status, seconds, stages, params, bound_pence, assignment=None) -> Result:
    d, s = am.data, am.scenario
    if assignment is None:
        assignment = _cp_assignment(am, solver)
    terms = objective_terms(d, s, assignment)
    objective = sum(terms.values())
    if params.lexicographic:
        cp_stages = [st for st in stages if st["stage"] not in ("lp", "fixed zones")]
        bound = objective if all(st["status"] == "OPTIMAL" for st in cp_stages) else math.nan
    else:
        bound = bound_pence / 100.0
        # The LP relaxation's optimum is a valid bound too (GLOP tolerance taken off); CP-SAT may not have
        # reached its root LP in time on large instances.
        lp_bound = [st["objective_gbp"] for st in stages if st["stage"] == "lp" and st["status"] == "OPTIMAL"]
        if lp_bound and not params.lexicographic:
            lp_b = lp_bound[0] - 1e-6 * abs(lp_bound[0])
            bound = lp_b if not math.isfinite(bound) else max(bound, lp_b)
        # Pence rounding makes the model objective differ slightly from the float recomputation.
        bound = min(bound, objective) if status == "OPTIMAL" else bound
    gap = (objective - bound) / max(1.0, abs(objective)) if math.isfinite(bound) else math.nan
    draws = pool_draws(d, s, assignment)
    loads = provider_loads(d, assignment)
    violations = validate_solution(d, s, assignment, draws)
    from solver.diagnose import unmet_reasons  # local import: diagnose imports this module

    return Result(
        status=status,
        objective=objective,
        bound=bound,
        gap=max(gap, 0.0) if math.isfinite(gap) else gap,
        seconds=seconds,
        objective_terms=terms,
        assignment=assignment,
        unmet_reasons=unmet_reasons(d, s, assignment, draws),
        provider_care_hours=loads["care_hours"],
        provider_travel_hours=loads["travel_hours"],
        provider_staff_hours=loads["staff_hours"],
        provider_pool_hours=draws.sum(axis=(0, 2)),
        pool_draw_hours=draws,
        zone_providers=zone_providers(d, assignment),
        moves=count_moves(d, assignment),
        violations=violations,
        stages=stages,
        provider_names=d.provider_names,
    )
