"""One CP-SAT search: parameters from :class:`~solver.data.SolveParams`, progress, stop requests, limits.

Determinism (the default, ``SolveParams.deterministic``): the workers interleave in fixed batches
(``interleave_search``) and every phase is limited by its share of ``SolveParams.budget``, CP-SAT's
deterministic work units, so the answer depends only on the inputs, the seed and the worker count. The
wall-clock ``time_limit_s`` is still a hard stop; a search it stops first is flagged (``stopped_by_clock``),
as it may not repeat. Without determinism the clock alone limits the search (threads race: only a search
that proves optimality repeats).

Interrupts: CP-SAT catches SIGINT (Ctrl-C) unless told not to and returns the best solution found so far
(status FEASIBLE); a progress callback returning True, or ``SolveParams.stop`` set, does the same.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.data import PORTFOLIOS, SolveParams
from solver.stopping import interrupting

STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, fn, offset_s: float):
        super().__init__()
        self._fn, self._offset = fn, offset_s
        self.asked_stop = False  # the caller's callback ended the search (e.g. target search's stop_at)

    def on_solution_callback(self) -> None:
        if self._fn(self.objective_value / 100.0, self.best_objective_bound / 100.0,
                    self._offset + self.wall_time):
            self.asked_stop = True
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


def hints_are_safe(params: SolveParams) -> bool:
    """Whether CP-SAT may be given a solution hint under these parameters.

    OR-Tools 9.15 aborts the whole process (``CHECK heuristics.fixed_search != nullptr``, exit 134) when an
    interleaved multi-worker search (our deterministic mode) holds a solution hint and the search ends while
    a worker is still loading the model, e.g. when infeasibility is proven at once. Interleaving is what
    makes a multi-worker search deterministic, so the hint is what goes (measured on the demo: the optimised
    and zoned variants end within 0.05 % of the hinted objective without it, BENCHMARKS.md).
    """
    return not (params.deterministic and params.workers > 1)


def run_search(am, params: SolveParams, budget: float, offset_s: float):
    """One CP-SAT search with ``budget`` (work units or seconds) begun ``offset_s`` into the solve."""
    if not hints_are_safe(params):
        am.model.clear_hints()
    solver = cp_model.CpSolver()
    wall_left_s = params.time_limit_s - offset_s
    configure(solver, params, budget, wall_left_s)
    cb = _Progress(params.progress, offset_s) if params.progress else None
    solver.interrupted = False  # Ctrl-C reached Python during the search: the caller should stop too
    try:
        # a thread watches the stop and ends the search the moment it is set (signal handlers cannot: Python
        # runs them only when the search returns)
        with interrupting(params.stop, solver.stop_search):
            status = solver.solve(am.model, cb)
    except KeyboardInterrupt:  # pragma: no cover - CP-SAT normally catches SIGINT itself
        status = cp_model.UNKNOWN
        solver.interrupted = True
    if params.stop is not None and params.stop.is_set():
        solver.interrupted = True
    name = STATUS.get(status, "UNKNOWN")
    asked = solver.interrupted or (cb is not None and cb.asked_stop)
    solver.stopped_by_clock = params.deterministic and clock_stopped(
        name, solver.deterministic_time, budget, asked)
    return solver, name


def clock_stopped(status: str, work_used: float, work_limit: float, asked_to_stop: bool) -> bool:
    """A deterministic search that ended undecided before its work limit, and was not asked to stop (an
    interrupt, or a progress callback such as the target search's stop at a proven bound), was stopped by
    the clock: its answer may not repeat. The work used says it, not how close the wall time came to the
    limit: under load CP-SAT ends a little early by our clock (0.96 s of 0.99 s measured in CI with both
    cores busy), which a wall-time test took for a finished search."""
    return status in ("FEASIBLE", "UNKNOWN") and not asked_to_stop and work_used < 0.98 * work_limit


