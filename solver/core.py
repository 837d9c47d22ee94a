"""``solve(data, switches, params) -> Result``: build the model, run CP-SAT, validate, explain.

Phases (each recorded in ``Result.stages``): a partial hint of today's allocation; from 500 clients the LP
start (:mod:`solver.lp`: GLOP, a validator-clean rounding as a complete hint and fall-back, polished with
the zone choice fixed; the LP's component cuts, :mod:`solver.component_cuts`, prove a higher bound); then
either the Lagrangian target search for plain generalised assignment problems (:mod:`solver.target_search`)
or CP-SAT on the whole model, in stages when lexicographic. The answer is the best validated one found; when
CP-SAT finds nothing in time, the rounding or a greedy allocation (:mod:`solver.heuristic`). How each CP-SAT
search is run, limited and stopped: :mod:`solver.search`.

Zoned runs whose LP has at least :data:`~solver.data.ZONE_START_NONZEROS` nonzeros (about 1,500 clients and
more) take the zone bound's path instead (:mod:`solver.zone_bound`): its bound, its start packed by HiGHS and
its refined bound, and the start is the answer; deterministic runs count its work (every LP to its optimum,
HiGHS's nodes, the bound's steps: :data:`~solver.data.ZONE_DETERMINISTIC_STEPS`), the clock a hard stop. The
CP-SAT model is built only when that path finds no allowed start, or ends with time for CP-SAT to search from
its start (:data:`~solver.data.ZONE_SEARCH_MIN_S`); otherwise the stage ``cp-sat`` is SKIPPED.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.data import (
    COMPONENT_CUTS_SHARE,
    DIVE_HARD_STOP_SHARE,
    DIVE_ITERATIONS_PER_PAIR,
    DIVE_ITERATIONS_PER_UNIT,
    DIVE_SHARE,
    FIXED_ZONES_SHARE,
    HIGHS_DETERMINISTIC_NODES,
    HIGHS_FIXED_ZONES_SHARE,
    HIGHS_MARGIN_S,
    HIGHS_MAX_PAIRS,
    LP_DETERMINISTIC_WORK_PER_NONZERO,
    LP_HINT_MIN_CLIENTS,
    LP_NONZEROS_PER_SECOND,
    LP_ROUNDING_SHARE,
    LP_TIME_SHARE,
    MODEL_PAIRS_PER_SECOND,
    PRESOLVE_MAX_SHARE,
    PRESOLVE_ONE_PASS_MIN_PAIRS,
    PRESOLVE_WORK_PER_PAIR,
    ZONE_DETERMINISTIC_STEPS,
    ZONE_FINISH_MIN_S,
    ZONE_FINISH_SHARE,
    ZONE_PACK_SHARE,
    ZONE_SEARCH_MIN_S,
    ZONE_START_NONZEROS,
    ZONE_START_SHARE,
    DataError,
    ProblemData,
    SolveParams,
    Switches,
    zone_limits,
)
from solver.heuristic import greedy_choice
from solver.lp import LpSolution
from solver.model import AllocationModel, build_model
from solver.search import hints_are_safe, run_search  # noqa: F401 - hints_are_safe is part of the API
from solver.stopping import stop_on
from solver.today import has_today, today_start
from solver.validate import (
    count_moves,
    hub_loads,
    hubs_of,
    least_recruits,
    objective_terms,
    pool_draws,
    provider_loads,
    providers_of,
    validate_choice,
    zone_providers,
)

_RANK = {"OPTIMAL": 0, "FEASIBLE": 1, "UNKNOWN": 2, "INFEASIBLE": 3, "MODEL_INVALID": 4}


@dataclass
class Result:
    """Outcome of :func:`solve`. Money in GBP per week, time in hours per week.

    ``objective``/``bound`` are the weighted objective (sum of ``objective_terms``) and CP-SAT's proven lower
    bound; ``gap`` = (objective − bound) / max(1, |objective|). In lexicographic mode ``bound`` is the
    objective when every stage was proven optimal and NaN otherwise (stages optimise different terms).
    ``assignment[i]`` is client i's provider or -1 (unmet; ``unmet_reasons[i]`` says why), ``hubs[i]`` the
    hub it is served from (-1: unmet, or the provider's staff at large) and ``choice[i]`` the pair.
    ``recruits`` (hubs × 2: drivers, non-drivers) are the carers recruited; ``hub_band_hours`` and
    ``hub_near_hours`` (hubs × bands) the staff hours served from each hub in each band, all and within
    non-drivers' reach. ``pool_draw_hours`` has shape (pools, providers, zones): staff hours members serve
    from each pool's hubs. ``violations`` comes from :func:`solver.validate.validate_choice` run on the
    returned solution (empty when all is well).
    """

    status: str
    objective: float = math.nan
    bound: float = math.nan
    gap: float = math.nan
    seconds: float = 0.0
    objective_terms: dict[str, float] = field(default_factory=dict)
    assignment: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hubs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    choice: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    recruits: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    hub_band_hours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    hub_near_hours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
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
    clock_ended: bool = False  # a deterministic run used its whole wall-clock limit, not proven optimal

    @property
    def stopped_by_clock(self) -> bool:
        """A deterministic search was stopped by the wall-clock limit before its work limit: this answer may
        differ on another run or machine (raise ``time_limit_s`` or lower ``work_limit``)."""
        return bool(self.clock_parts())

    def clock_parts(self) -> list[str]:
        """The stages of a deterministic run the wall clock cut short, and ``time limit`` when the whole limit
        ran out. A stage may have a share of the limit, so it can be cut short long before the limit."""
        parts = [st["stage"] for st in self.stages if st.get("stopped_by_clock")]
        return parts + ["time limit"] if self.clock_ended else parts

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


def _hint_assignment(am: AllocationModel, assignment: np.ndarray, hubs: np.ndarray) -> None:
    """Hint x (and unmet) for clients with a provider in ``assignment`` (from ``hubs`` where given); others
    are left to CP-SAT.

    A partial hint of the current allocation works better than a complete greedy one: CP-SAT repairs it,
    whereas a poor but feasible complete hint anchors the LNS workers on it (measured: 3x worse at 10 s).
    """
    d = am.data
    for i, p in enumerate(assignment):
        if p < 0:
            continue
        k = d.pair_index(i, int(p), None if hubs[i] < 0 else int(hubs[i]))
        k = k if k >= 0 else d.pair_index(i, int(p))
        if k < 0 or k not in am.x:
            continue
        for q, v in am.pairs_of_client(i):
            am.model.add_hint(v, int(q == k))
        if i in am.unmet:
            am.model.add_hint(am.unmet[i], 0)


def _hint_complete(am: AllocationModel, choice: np.ndarray) -> None:
    """A complete hint from a validator-clean choice: every rule hints its own variables."""
    from solver.rules import RULES

    am.model.clear_hints()
    for rule in RULES:
        rule.hint(am, choice)


# The CP-SAT stages of a lexicographic run, in order (others, e.g. "lp" or "today", are not its search).
LEXICOGRAPHIC_STAGES = ("unmet", "cost", "moves")


def _lp_start(am: AllocationModel, params: SolveParams, lpm, seconds_left: float,
              after_cuts=None) -> tuple[np.ndarray | None, dict, LpSolution]:
    """Solve the LP relaxation ``lpm``, find its component cuts (then call ``after_cuts`` with the LP that
    has them, or ``lpm``: HiGHS's race starts there), dive to a zone choice and round it (both on ``lpm``);
    hint the result when the validator passes it.
    Returns the rounding (None when it broke a rule), the stage and the LP rounded.

    Clock-limited runs give the LP its share of the seconds left once the model is built, not of the whole
    limit: at 20,000 clients building took 9 s of 30 and an LP that took its share of the whole left CP-SAT
    one second (£56.95m)."""
    from solver.lp import best_rounding

    d, s = am.data, am.switches
    limit = (params.budget if params.deterministic else seconds_left) * LP_TIME_SHARE
    if params.deterministic:  # an LP stopped short leaves no start at all
        limit = max(limit, LP_DETERMINISTIC_WORK_PER_NONZERO * lpm.nonzeros())
    lp = lpm.solve(limit, params.deterministic, params.time_limit_s * LP_TIME_SHARE)
    stage = {"stage": "lp", "status": lp.status, "objective_gbp": lp.objective_pence / 100.0,
             "seconds": lp.seconds,
             # GLOP's work limit, or the clock's hard stop (which may differ from one run to the next)
             "stopped_by_clock": (params.deterministic and lp.status != "OPTIMAL"
                                  and lp.seconds >= 0.98 * params.time_limit_s * LP_TIME_SHARE)}
    solved = lp.status == "OPTIMAL"
    cut_lpm = _component_cuts(lpm, lp, params, stage, seconds_left - lp.seconds) if solved else lpm
    if after_cuts is not None:
        after_cuts(cut_lpm)
    if not solved:
        return None, stage, lp
    if am.y:
        lp = _dive(lpm, lp, params, stage)
    budget = params.time_limit_s * LP_ROUNDING_SHARE
    # Deterministic mode: a trial budget instead of the clock (measured: about 30,000 pairs tried a work unit;
    # a rounding tries each client's pairs in turn, with hubs many of them).
    work = params.budget * LP_ROUNDING_SHARE
    trials = max(1, int(work * 30_000 / max(len(d.pair_client), 1))) if params.deterministic else None
    choice = best_rounding(d, s, lp, time_limit_s=budget, max_trials=trials)
    violations = validate_choice(d, s, choice)
    stage["rounded_gbp"] = sum(objective_terms(d, s, choice).values())
    stage["rounded_violations"] = len(violations)
    if violations:
        return None, stage, lp
    _hint_complete(am, choice)
    return choice, stage, lp


def _component_cuts(lpm, lp: LpSolution, params: SolveParams, stage: dict, seconds_left: float):
    """The LP ``lpm`` with its component cuts (:mod:`solver.component_cuts`): a copy, re-solved for the bound
    it proves (the stage's ``cuts_gbp``); ``lpm`` itself when no cut was found. Each of the two steps stops
    at its share of the limit, or of the ``seconds_left`` in clock-limited runs."""
    from solver.component_cuts import component_cuts, lp_bound

    hard_stop_s = COMPONENT_CUTS_SHARE * (params.time_limit_s if params.deterministic
                                          else min(params.time_limit_s, max(seconds_left, 0.0)))
    cuts = component_cuts(lpm, lp.values, lp.duals, time.perf_counter() + hard_stop_s)
    stage.update(component_cuts=len(cuts.lower), cut_components=cuts.components, cut_seconds=cuts.seconds)
    cut_lpm, bound = lpm, math.nan
    if cuts.lower:
        cut_lpm = cuts.added_to(lpm)
        bound = lp_bound(cut_lpm, hard_stop_s)
        if math.isfinite(bound):
            stage["cuts_gbp"] = bound / 100.0
    # the clock, not the work, decided which cuts (or whether their bound) counted: the bound may differ
    stopped = cuts.stopped_by_clock or bool(cuts.lower and not math.isfinite(bound))
    stage["stopped_by_clock"] = stage["stopped_by_clock"] or (params.deterministic and stopped)
    return cut_lpm


def _dive(lpm, lp, params: SolveParams, stage: dict):
    """The zone choice by an LP dive (:mod:`solver.zone_dive`): its LP, when it made one, is what is rounded.
    Work: simplex iterations in proportion to the budget, and at least
    :data:`~solver.data.DIVE_ITERATIONS_PER_PAIR` per eligible pair (deterministic); the clock's share a hard
    stop, and the only limit in clock-limited runs (an unfinished dive leaves a much worse zone choice:
    default scenario, K = 2, 30 s: 45,000 iterations stopped it short of the 60,000 it needed)."""
    from solver.zone_dive import dive_zone_choice

    if params.deterministic:
        pairs = int(lpm.data.pair_eligible.sum())
        iterations = max(params.budget * DIVE_SHARE * DIVE_ITERATIONS_PER_UNIT,
                         DIVE_ITERATIONS_PER_PAIR * pairs)
        dived = dive_zone_choice(lpm, zone_limits(lpm.data, lpm.switches), int(iterations),
                                 params.time_limit_s * DIVE_HARD_STOP_SHARE)
    else:
        hard_stop = params.time_limit_s * DIVE_HARD_STOP_SHARE
        dived = dive_zone_choice(lpm, zone_limits(lpm.data, lpm.switches), 2**62, hard_stop, pace_s=hard_stop)
    if dived is None:
        return lp
    stage.update(dive_gbp=dived.lp.objective_pence / 100.0, dive_complete=dived.complete,
                 dive_solves=dived.solves, dive_seconds=dived.seconds)
    stage["stopped_by_clock"] = stage["stopped_by_clock"] or (params.deterministic and dived.stopped_by_clock)
    return dived.lp


def _fixed_zones_phase(am: AllocationModel, params: SolveParams, choice: np.ndarray,
                       budget_s: float, offset_s: float) -> tuple[dict, np.ndarray]:
    """Polish the rounded LP: CP-SAT with every y[z, p] fixed to the rounding's zone choice (a much smaller
    problem, usually solved to within 0.01 % in a few seconds), then its best solution becomes the hint of
    the full model. The y domains are restored afterwards."""
    from solver.rules.zoning import zones_served

    used = zones_served(am.data, choice)
    domains = {key: am.model.proto.variables[v.index].domain for key, v in am.y.items()}
    for key, dom in domains.items():
        dom.clear()
        dom.extend([int(key in used)] * 2)
    # One worker when several would interleave (deterministic mode): a lone worker may keep the hint, which
    # is what this phase improves on (solver.search.hints_are_safe).
    workers = params.workers if hints_are_safe(params) else 1
    sub = SolveParams(**{**params.__dict__, "relative_gap_limit": max(params.relative_gap_limit, 1e-4),
                         "workers": workers})
    solver, status = run_search(am, sub, budget_s, offset_s)
    for dom in domains.values():
        dom.clear()
        dom.extend([0, 1])
    stage = {"stage": "fixed zones" if am.y else "polish", "status": status, "seconds": solver.wall_time,
             "stopped_by_clock": solver.stopped_by_clock}
    if status in ("OPTIMAL", "FEASIBLE"):
        stage["objective_gbp"] = solver.objective_value / 100.0
        _hint_from(am, solver)
        choice, _ = _cp_solution(am, solver)
    return stage, choice


def _open_zones(data: ProblemData, switches: Switches, start: np.ndarray, lp: LpSolution) -> set:
    """The zone choice ``start`` makes, each zone filled up to its limit with the LP's next candidates (none
    when the LP was not solved: the start may be today's allocation)."""
    from solver.lp import zone_candidates
    from solver.rules.zoning import zones_served

    open_, limits = zones_served(data, start), zone_limits(data, switches)
    if lp.status != "OPTIMAL":
        return open_
    for z, candidates in zone_candidates(data, switches, lp).items():
        room = int(limits[z]) - sum(1 for zone, _ in open_ if zone == z)
        for p in [p for p in candidates if (z, p) not in open_][:max(room, 0)]:
            open_.add((z, p))
    return open_


def _highs_takes_part(params: SolveParams, data: ProblemData) -> bool:
    """HiGHS's branch and cut runs (after the LP start) only where the clock limits the run anyway, and on
    instances of at most :data:`~solver.data.HIGHS_MAX_PAIRS` eligible pairs."""
    return _highs_packs(params, data) and not params.deterministic


def _highs_packs(params: SolveParams, data: ProblemData) -> bool:
    """HiGHS packs the start's zone choice (:meth:`_Solve._highs_fixed_zones`) where it races, and in
    deterministic runs too, counted in nodes (:data:`~solver.data.HIGHS_DETERMINISTIC_NODES`)."""
    small = int(data.pair_eligible.sum()) <= HIGHS_MAX_PAIRS
    return params.highs_search and not params.lexicographic and small


def _use_lp_hint(data: ProblemData, params: SolveParams) -> bool:
    if params.lp_hint == "auto":
        return data.n_clients >= LP_HINT_MIN_CLIENTS
    return params.lp_hint == "on"


def _start_beside_search(data: ProblemData, switches: Switches, params: SolveParams) -> bool:
    """A zoned run below :data:`~solver.data.LP_HINT_MIN_CLIENTS` (``lp_hint`` "auto"): the LP start (the
    dive's zone choice, packed by HiGHS) is a candidate beside CP-SAT's search, which is not hinted with it
    and keeps every worker (no HiGHS race), so its answer and bound are those it finds without the start; the
    run keeps the cheaper answer. Why: at these sizes CP-SAT alone often ended far from its bound on zoning
    (default scenario, K = 2, 3 work units, session script: 200 clients £172,021 at 5.9 %, 300 clients
    £319,404 at 31.1 %, 400 clients £428,029 at 6.0 %); the packing found £162,331, £221,054 and £405,558 in
    0.6-5 s. Not CP-SAT's hint: in deterministic runs one worker then searched the start's neighbourhood and
    proved no bound; in clock-limited runs (300 clients, K = 1, 10 s) the hinted search with one worker beside
    the race ended at £822,747-£825,226, against £772,843-£807,398 for CP-SAT alone and £791,973 beside."""
    small = data.n_clients < LP_HINT_MIN_CLIENTS
    zoned = zone_limits(data, switches) is not None
    return params.lp_hint == "auto" and small and zoned


def _hint_from(am: AllocationModel, solver: cp_model.CpSolver) -> None:
    am.model.clear_hints()
    for v in am.all_vars():
        am.model.add_hint(v, solver.value(v))


class _Solve:
    """One call of :func:`solve`: its model, stages, starting point and best CP-SAT search so far."""

    def __init__(self, data: ProblemData, switches: Switches, params: SolveParams):
        self.data, self.switches, self.params = data, switches, params
        self.t0 = time.perf_counter()
        self._am: AllocationModel | None = None  # built when first needed (see :attr:`am`)
        self.zone_path = False  # the zone bound's start and bound (a CP-SAT search only if time is left)
        self.beside = _start_beside_search(data, switches, params)  # the LP start a candidate, not a hint
        self.stages: list[dict] = []
        self.start: np.ndarray | None = None  # the validated LP rounding (or its polish), if any
        self.today: np.ndarray | None = None  # today's allocation or its repair, when the validator passes it
        self.lpm = None  # the LP relaxation, when the LP start built it (HiGHS's branch and cut reuses it)
        self.race = None  # HiGHS racing CP-SAT (solver.highs_search.HighsRace), when it takes part
        self.highs: np.ndarray | None = None  # HiGHS's allocation, when the validator passes it
        self.solver: cp_model.CpSolver | None = None
        self.status = "UNKNOWN"
        self.bound_pence = math.nan

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    @property
    def am(self) -> AllocationModel:
        """The CP-SAT model, built on first use: runs on the zone bound's path never search with CP-SAT
        (at 20,000 clients building it took 22 s of a 120 s limit, and the search then had no time left)."""
        if self._am is None:
            self._am = build_model(self.data, self.switches)
        return self._am

    def begin(self) -> None:
        """Hints: today's allocation (partial), then the LP start when the instance is large enough."""
        d, params = self.data, self.params
        today, today_stage = today_start(d, self.switches) if has_today(d) else (None, None)
        self.today = today
        if _use_lp_hint(d, params) or self.beside:
            from solver.lp import build_lp

            self.lpm = build_lp(d, self.switches)
            if self._zone_start_applies():
                self._zone_start()
                # no start: CP-SAT searches after all, if there is time to build it
                if not self.zone_path and params.hint_current and not self._model_out_of_reach():
                    self._hint_today()
                return self._after_start(today_stage)
        if params.hint_current and not self._model_out_of_reach():  # hinting builds the model
            self._hint_today()
        if self.lpm is not None:
            from solver.lp import reset_threads

            if self._lp_out_of_reach():
                return self._after_start(today_stage)
            reset_threads()  # before this solve's HiGHS runs (the race, the zone dive), never during them
            # HiGHS's race starts once the LP has its component cuts (beside the start, CP-SAT's search keeps
            # every worker: no race)
            race = None if self.beside else self._start_race
            self.start, lp_stage, lp = _lp_start(self.am, self.params, self.lpm,
                                                 self.params.time_limit_s - self.elapsed(), race)
            self.stages.append(lp_stage)
            if today is not None and (self.start is None or _cheaper(d, self.switches, today, self.start)):
                self.start = today  # today (or its repair) is allowed and better: the search starts there
                _hint_complete(self.am, today)
            solved = lp.status == "OPTIMAL"
            if self.start is not None and self.am.y and solved and _highs_packs(self.params, d):
                self._highs_fixed_zones(lp)
            elif self.start is not None and self.am.y and solved:  # a polish of the LP rounding
                self._polish_start()
        self._after_start(today_stage)

    def _hint_today(self) -> None:
        """Today's allocation as a partial hint (a client's own choice of provider first)."""
        pinned = self.data.client_pinned_provider
        _hint_assignment(self.am, np.where(pinned >= 0, pinned, self.data.client_current_provider),
                         np.where(pinned >= 0, -1, self.data.client_current_hub))

    def _after_start(self, today_stage: dict | None) -> None:
        if today_stage is not None:
            self.stages.append(today_stage)
        if self.params.export_model and not self.am.model.export_to_file(self.params.export_model):
            raise DataError(f"export_model: cannot write the model to {self.params.export_model!r}")

    def _lp_out_of_reach(self) -> bool:
        """Clock-limited runs skip the LP start when GLOP would not finish it in its share of the time left
        (:data:`~solver.data.LP_NONZEROS_PER_SECOND`): CP-SAT gets that time instead."""
        params = self.params
        if params.deterministic:
            return False
        nonzeros = self.lpm.nonzeros()
        expected_s = nonzeros / LP_NONZEROS_PER_SECOND
        if expected_s <= LP_TIME_SHARE * (params.time_limit_s - self.elapsed()):
            return False
        self.stages.append({"stage": "lp", "status": "SKIPPED", "seconds": 0.0, "nonzeros": nonzeros,
                            "expected_seconds": expected_s, "stopped_by_clock": False})
        self.lpm = None
        return True

    def _model_out_of_reach(self) -> bool:
        """Clock-limited runs whose CP-SAT model is not built yet skip CP-SAT when building it would take
        more than half the time left (:data:`~solver.data.MODEL_PAIRS_PER_SECOND`): the run then ends on
        its fall-back within its limit (:meth:`finish`)."""
        if self._am is not None or self.params.deterministic:
            return False
        return self._model_build_s() > 0.5 * (self.params.time_limit_s - self.elapsed())

    def _model_build_s(self) -> float:
        """The seconds building the CP-SAT model should take (:data:`~solver.data.MODEL_PAIRS_PER_SECOND`)."""
        return len(self.data.pair_client) / MODEL_PAIRS_PER_SECOND

    def _zone_start_applies(self) -> bool:
        """Zoned runs with an LP of at least :data:`~solver.data.ZONE_START_NONZEROS`."""
        nonzeros = self.lpm.nonzeros()
        zoned = zone_limits(self.data, self.switches) is not None
        # Lexicographic stages are CP-SAT searches, one objective after another: the zone path has none.
        return not self.params.lexicographic and zoned and nonzeros >= ZONE_START_NONZEROS

    def _zone_start(self) -> None:
        """The bound and start of :func:`solver.zone_bound.zone_start`: its LP (the zone choice fixed)
        rounded, then packed by HiGHS over the pairs that LP uses (:meth:`_zone_pack`), validated and kept
        when cheaper than today's allocation (or its repair); then the bound refined towards the start."""
        from solver.lp import reset_threads, round_lp
        from solver.zone_bound import refine_bound, zone_start

        reset_threads()
        d, s, limit_s = self.data, self.switches, self.params.time_limit_s
        deterministic = self.params.deterministic
        finish_s = self._zone_finish_s()
        left_s = limit_s - self.elapsed()
        # Its first LP may take what packing it would have had; the greedy fall-back needs the finish's time.
        # Deterministic runs: every LP to its optimum, a share of the limit (not of the clock's time left: it
        # sets the sample) as a hard stop.
        start_s = ZONE_START_SHARE * (limit_s if deterministic else left_s)
        found = zone_start(self.lpm, start_s, left_s - 2 * finish_s, deterministic)
        stage = {"stage": "zone bound", "status": found.status, "seconds": found.seconds,
                 "stopped_by_clock": found.stopped_by_clock}
        self.stages.append(stage)
        if found.lp is not None:
            rounded = round_lp(d, s, found.lp, found.zone_choice)
            self.start = None if validate_choice(d, s, rounded) else rounded
            if found.packable:  # beyond (100,000 clients) HiGHS did not finish its root in 262 s
                self._zone_pack(found)
        if self.today is not None and (self.start is None or _cheaper(d, s, self.today, self.start)):
            self.start = self.today
        if self.start is not None:
            # The zone phases may take the whole limit (ZONE_*_SHARE): a CP-SAT search follows this start
            # only when they leave time for one (_search_after_zone_path).
            self.zone_path = True
            stage["objective_gbp"] = sum(objective_terms(d, s, self.start).values())
        t0 = time.perf_counter()
        steps = ZONE_DETERMINISTIC_STEPS if deterministic else None
        clock = refine_bound(found, stage.get("objective_gbp", math.nan) * 100.0,
                             limit_s - self.elapsed() - finish_s, self.params.stop, steps)
        stage.update(bound_gbp=float(found.bound_pence) / 100.0,
                     seconds=stage["seconds"] + time.perf_counter() - t0,
                     stopped_by_clock=stage["stopped_by_clock"] or clock)
        if self.zone_path and self.params.progress:  # the run's progress line: this answer and its bound
            self.params.progress(stage["objective_gbp"], stage["bound_gbp"], self.elapsed())

    def _zone_finish_s(self) -> float:
        """The zone path's seconds kept at the end for the result's measures and validation."""
        return max(ZONE_FINISH_SHARE * self.params.time_limit_s, ZONE_FINISH_MIN_S)

    def _zone_pack(self, found) -> None:
        """HiGHS's branch and cut with the zone choice fixed, from the rounding: open are the pairs the fixed
        LP uses, and every pair of the clients it splits or leaves (partly) unmet. Measured on the default
        scenario, 20,000 clients, K = 2: £13.60m in 32 s against the rounding's £13.76m (only the pairs the
        LP uses: £13.65m in 14 s)."""
        from solver.highs_search import closed_rank_columns, closed_zone_columns
        from solver.rules.ranked_zoning import start_ranks

        limit_s = self.params.time_limit_s
        # HiGHS may end its root a second or two after its limit (10,000 clients): the finish's time is kept.
        seconds = min(ZONE_PACK_SHARE * limit_s,
                      limit_s - self.elapsed() - HIGHS_MARGIN_S - 2 * self._zone_finish_s())
        if self._pack_skipped("zone pack", seconds):
            return
        chosen = {(z, p) for z, providers in found.zone_choice.items() for p in providers}
        x, lpm = found.lp.x, self.lpm
        unsure = found.lp.unmet > 1e-6
        unsure[lpm.pc[(x > 1e-6) & (x < 1 - 1e-6)]] = True
        unused = np.flatnonzero((x < 1e-6) & ~unsure[lpm.pc])
        # ranked zoning: the start's ranking fixed too, as in _highs_fixed_zones (with free ranks HiGHS's root
        # did not end in 21 s at 2,000 clients)
        # (no start: the rounding broke a rule, so HiGHS packs from nothing and the ranks stay free)
        ranks = {} if self.start is None else start_ranks(self.data, self.switches, self.start, chosen)
        closed = np.concatenate([closed_zone_columns(lpm, chosen), closed_rank_columns(lpm, ranks), unused])
        packed = self._pack("zone pack", seconds, closed)
        d, s = self.data, self.switches
        if packed is not None and (self.start is None or _cheaper(d, s, packed, self.start)):
            self.start = packed

    def _polish_start(self) -> None:
        params = self.params
        budget = params.budget * FIXED_ZONES_SHARE
        if not params.deterministic:
            budget = min(budget, params.time_limit_s - self.elapsed())
        if budget <= 0.05:
            return
        stage, polished = _fixed_zones_phase(self.am, params, self.start, budget, self.elapsed())
        self.stages.append(stage)
        d, s = self.data, self.switches
        if not validate_choice(d, s, polished) and _cheaper(d, s, polished, self.start):
            self.start = polished

    def _highs_fixed_zones(self, lp: LpSolution) -> None:
        """HiGHS's branch and cut from the start with its zone choice fixed (filled up to each zone's limit
        from the LP's candidates), instead of CP-SAT's fixed-zones phase; in deterministic runs its root node
        only (:data:`~solver.data.HIGHS_DETERMINISTIC_NODES`), the clock's share a hard stop.

        Why: with the zone choice fixed what is left is packing clients into hubs' weeks and bands, where
        HiGHS's cuts and heuristics are far stronger than CP-SAT's search (default scenario, K = 2, the
        dive's zone choice, 10 s: HiGHS £686,801 within 0.06 % of that choice's bound; CP-SAT's phase
        £733,976 in 6 s)."""
        from solver.highs_search import closed_rank_columns, closed_zone_columns
        from solver.rules.ranked_zoning import start_ranks

        params, d, s = self.params, self.data, self.switches
        seconds = min(params.time_limit_s * HIGHS_FIXED_ZONES_SHARE,
                      params.time_limit_s - self.elapsed() - HIGHS_MARGIN_S)
        if self._pack_skipped("fixed zones", seconds):
            return
        open_ = _open_zones(d, s, self.start, lp)
        # ranked zoning: the start's ranking fixed too (free ranks make the packing symmetric and loose)
        closed = np.concatenate([closed_zone_columns(self.lpm, open_),
                                 closed_rank_columns(self.lpm, start_ranks(d, s, self.start, open_))])
        packed = self._pack("fixed zones", seconds, closed)
        if packed is not None and _cheaper(d, s, packed, self.start):
            self.start = packed
            _hint_complete(self.am, packed)

    def _pack_skipped(self, name: str, seconds: float) -> bool:
        """Less than a second for HiGHS's packing (``name``: its stage): it is skipped, and a deterministic
        answer then may not repeat, and says so (a 6-s limit on 500 clients in CI, with the other test worker
        busy)."""
        if seconds >= 1.0:
            return False
        self.stages.append({"stage": name, "engine": "highs", "status": "SKIPPED", "seconds": 0.0,
                            "stopped_by_clock": self.params.deterministic})
        return True

    def _pack(self, name: str, seconds: float, closed: np.ndarray) -> np.ndarray | None:
        """HiGHS's branch and cut from the start with the ``closed`` columns held at 0, for at most
        ``seconds`` (deterministic runs: :data:`~solver.data.HIGHS_DETERMINISTIC_NODES` nodes, the seconds a
        hard stop); its validated allocation, recorded as stage ``name``, or None."""
        from solver.highs_search import highs_search

        deterministic = self.params.deterministic
        nodes = HIGHS_DETERMINISTIC_NODES if deterministic else None
        out = highs_search(self.lpm, self.start, seconds, self.params.seed, closed, rel_gap=1e-4,
                           max_nodes=nodes)
        packed = self._checked_highs(out, {"stage": name, "engine": "highs"})
        # A deterministic run's answer no longer repeats when the hard stop, not the nodes, ended HiGHS (its
        # status then may still read "Solution limit reached": the default scenario at a 30-s limit).
        ended = out.status == "Time limit reached" or out.seconds >= 0.98 * seconds
        self.stages[-1]["stopped_by_clock"] = deterministic and ended
        return packed

    def _checked_highs(self, out, stage: dict) -> np.ndarray | None:
        """HiGHS's answer ``out`` through the validator: its stage (``stage`` and the outcome) is recorded;
        its allocation is returned when the validator passes it."""
        stage.update(status=out.status, seconds=out.seconds, nodes=out.nodes, stopped_by_clock=False)
        passed = None
        if out.choice is not None:
            broken = validate_choice(self.data, self.switches, out.choice, out.recruits)
            stage.update(objective_gbp=out.objective_gbp, violations=len(broken))
            passed = None if broken else out.choice
        self.stages.append(stage)
        return passed

    def search(self) -> None:
        if self.zone_path and not self._search_after_zone_path():
            self.stages.append({"stage": "cp-sat", "status": "SKIPPED", "stopped_by_clock": False})
            return
        if self._model_out_of_reach():
            self.stages.append({"stage": "cp-sat", "status": "SKIPPED", "pairs": len(self.data.pair_client),
                                "seconds": 0.0, "stopped_by_clock": False,
                                "expected_build_seconds": self._model_build_s()})
            return
        if self.beside:  # the start is a candidate, not a hint (see _start_beside_search)
            self.am.model.clear_hints()
        structure = self._gap_structure()
        if structure is not None:
            from solver.target_search import TargetSearch

            found = TargetSearch(self.am, self.params, self.t0, structure, self.stages).search()
            self.solver, self.status, self.bound_pence = found
            return
        order = self._stages()
        for idx, (name, terms) in enumerate(order):
            if not self._stage(idx, order, name, terms):
                break
        self._join_race()

    def _search_after_zone_path(self) -> bool:
        """The zone path ended with time to spare (at 2,000 clients, 6-8 s of 30): CP-SAT searches the whole
        model with the rest, hinted with the path's start, when building the model leaves at least
        :data:`~solver.data.ZONE_SEARCH_MIN_S`; the run keeps the cheaper of the two. Deterministic runs
        count the time the path's shares leave (their work limit then ends the search), not the clock's."""
        if self.params.deterministic:  # by the data and the limit, never by the clock's reading
            left_s = self.params.time_limit_s * (1.0 - ZONE_START_SHARE - ZONE_PACK_SHARE)
        else:
            left_s = self.params.time_limit_s - self.elapsed() - self._zone_finish_s()
        if left_s - self._model_build_s() < ZONE_SEARCH_MIN_S:
            return False
        _hint_complete(self.am, self.start)
        return True

    def _start_race(self, lpm) -> None:
        """HiGHS's branch and cut on ``lpm`` (the LP's model, with its component cuts when it has some) on a
        thread of its own until the clock's end (less a margin to read its answer), CP-SAT one worker fewer
        meanwhile (:mod:`solver.highs_search`)."""
        params = self.params
        seconds = params.time_limit_s - self.elapsed() - HIGHS_MARGIN_S
        if not _highs_takes_part(params, self.data) or seconds < 1.0:
            return
        from solver.highs_search import HighsRace

        self.race = HighsRace(lpm, seconds, params.seed)
        if params.workers > 1:
            self.params = SolveParams(**{**params.__dict__, "workers": params.workers - 1})

    def _join_race(self) -> None:
        """HiGHS's answer, validated, as a candidate of :meth:`finish`; its bound counts."""
        if self.race is None:
            return
        # HiGHS may run past its own time limit, where it calls no interrupt callback (ranked zoning on the
        # default scenario: 35 s for a 20-s limit at its root node; the run took 49.8 s for 30 s). The run
        # waits for it until its own limit only; a race still running then is left to end on its thread.
        out = self.race.join(max(self.params.time_limit_s - self.elapsed(), 0.0) + HIGHS_MARGIN_S)
        if out is None:
            # Races run only in clock-limited runs, where the clock ending a stage is expected (no warning).
            # seconds: the race's own, against its limit (time_limit_s), not the run's
            self.stages.append({"stage": "highs", "status": "OVERRAN", "bound_gbp": math.nan,
                                "seconds": self.race.running_s(), "time_limit_s": self.race.time_limit_s,
                                "stopped_by_clock": False})
            return
        self.highs = self._checked_highs(out, {"stage": "highs", "bound_gbp": out.bound_gbp})

    def _gap_structure(self):
        """The plain-GAP structure when the Lagrangian target search applies and has time, else None."""
        params = self.params
        lp_start = any(st["stage"] == "lp" for st in self.stages)
        if not params.gap_target_search or params.lexicographic or lp_start:
            return None
        from solver.lagrange import gap_structure
        from solver.target_search import GAP_LAGRANGIAN_MAX_SHARE, lagrangian_seconds

        self.am.model.minimize(self.am.objective())  # the proto holds the objective only once it is set
        structure = gap_structure(self.am.model.proto)
        # Too short a limit for the subgradient steps: the plain model gets it all.
        too_slow = GAP_LAGRANGIAN_MAX_SHARE * params.time_limit_s
        if structure is not None and lagrangian_seconds(structure) > too_slow:
            return None
        return structure

    def _stages(self) -> list[tuple[str, list]]:
        t = self.am.terms
        if not self.params.lexicographic:
            return [("all", [self.am.objective()])]
        cost = [t["care"], t["travel"], t["recruitment"], t.get("shares", 0)]  # shares: ranked zoning
        terms = {"unmet": [t["unmet"]], "cost": cost, "moves": [t["moves"]]}
        order = [(name, terms[name]) for name in LEXICOGRAPHIC_STAGES]
        return [(n, ts) for n, ts in order if any(not isinstance(term, int) for term in ts)]

    def _search_params(self) -> SolveParams:
        """The stages' CP-SAT parameters. Deterministic several-worker search is interleaved and may not keep
        a hint (solver.search.hints_are_safe); when the LP start gave a validated solution, one worker doing
        large-neighbourhood search from it does better (measured on the demo with carers at hubs: optimised
        £654,745 against £657,905, zoned £834,119 against £922,102, BENCHMARKS.md) and is deterministic."""
        params = self.params
        lns = self.start is not None and not hints_are_safe(params) and not self.beside
        extra = (("use_lns_only", True),) if lns else ()
        # One presolve pass after the zone path: CP-SAT's presolve alone took 6.6 work units (12.7 s) at 2,000
        # clients, K = 2, so a deterministic run with the scenario's 6 units ended on the zone start
        # (£1,576,224); with one pass £1,540,131 in 23 s (clock-limited, 30 s: the same £1.55m either way;
        # session script). And for LNS on a large model (_presolve_too_dear).
        if self.zone_path or (lns and self._presolve_too_dear()):
            extra += (("max_presolve_iterations", 1),)
        if not extra:
            return params
        return SolveParams(**{**params.__dict__, "workers": 1 if lns else params.workers,
                              "extra_parameters": (*params.extra_parameters, *extra)})

    def _presolve_too_dear(self) -> bool:
        """On a model of at least :data:`~solver.data.PRESOLVE_ONE_PASS_MIN_PAIRS` eligible pairs, CP-SAT's
        full presolve would take more than :data:`~solver.data.PRESOLVE_MAX_SHARE` of the work limit
        (:data:`~solver.data.PRESOLVE_WORK_PER_PAIR`): LNS from the start then gets one presolve pass
        (counted from the data and the limit, so deterministic runs stay deterministic)."""
        pairs = len(self.data.pair_client)
        dear = PRESOLVE_WORK_PER_PAIR * pairs > PRESOLVE_MAX_SHARE * self.params.budget
        return dear and pairs >= PRESOLVE_ONE_PASS_MIN_PAIRS

    def _stage(self, idx: int, order: list, name: str, terms: list) -> bool:
        """One CP-SAT stage; False when it found nothing (the later stages are then skipped)."""
        params, am = self.params, self.am
        expr = sum(terms)
        am.model.minimize(expr)
        left = params.budget - self.elapsed()
        if params.deterministic:
            # Work units must not depend on the clock: equal shares of the limit (less the LP's).
            lp_used = bool(self.stages) and self.stages[0]["stage"] == "lp" and not self.beside
            polished = any(st["stage"] in ("fixed zones", "polish") and st["status"] != "SKIPPED"
                           for st in self.stages)
            fixed = FIXED_ZONES_SHARE if polished else 0.0
            share = 1.0 - (LP_ROUNDING_SHARE + fixed if lp_used else 0.0)
            left = params.budget * share * (1 - idx / len(order))
        # Later stages share what is left; the first stages get at least a fair share.
        s, st = run_search(am, self._search_params(), max(left / (len(order) - idx), 0.05), self.elapsed())
        stage = {"stage": name, "status": st, "seconds": s.wall_time, "stopped_by_clock": s.stopped_by_clock}
        if st not in ("OPTIMAL", "FEASIBLE"):
            self.stages.append(stage)
            if self.solver is None:
                self.status = st
            return False
        self.solver, self.status = s, st if idx == 0 else _worse(self.status, st)
        value = int(round(s.objective_value))
        self.bound_pence = s.best_objective_bound
        self.stages.append({"stage": name, "status": st, "objective_gbp": value / 100.0,
                            "bound_gbp": self.bound_pence / 100.0, "seconds": s.wall_time,
                            "stopped_by_clock": s.stopped_by_clock})
        if len(order) > 1 and idx + 1 < len(order):
            am.model.add(expr <= value)  # lexicographic: later stages may not worsen this one
            _hint_from(am, s)
        return True

    def finish(self) -> Result:
        d, s, seconds = self.data, self.switches, self.elapsed()
        if self.zone_path and self.solver is None:
            return _result(d, s, "FEASIBLE", seconds, self.stages, self.params, math.nan, self.start)
        if self.solver is None and self.status == "UNKNOWN":
            fallback = self._fallback()
            if fallback is not None:
                return _result(d, s, "FEASIBLE", seconds, self.stages, self.params, math.nan, fallback)
        if self.solver is None:
            from solver.diagnose import diagnose  # local import: diagnose imports this module

            return Result(status=self.status, seconds=seconds, diagnosis=diagnose(d, s, self.params),
                          stages=self.stages, provider_names=d.provider_names)
        choice, recruits = _cp_solution(self.am, self.solver)
        start_name = "zone start kept" if self.zone_path else "lp start kept"
        starts = ((self.start, start_name), (self.today, "today kept"), (self.highs, "highs kept"))
        for start, name in starts:
            if start is not None and self.status != "OPTIMAL" and _cheaper(d, s, start, choice, recruits):
                # The search was stopped before it beat a validated start (no hint under deterministic
                # multi-worker search, see solver.search.hints_are_safe): the start is the better answer.
                self.stages.append({"stage": name, "status": "FEASIBLE"})
                choice, recruits = start, None
        return _result(d, s, self.status, seconds, self.stages, self.params, self.bound_pence, choice,
                       recruits)

    def _fallback(self) -> np.ndarray | None:
        """CP-SAT found nothing in time: the cheapest validated answer of the start (the rounded LP or its
        polish), HiGHS's, today's and a greedy allocation's; None when there is none."""
        d, s = self.data, self.switches
        greedy = greedy_choice(d, s)
        start_name = "today" if self.start is self.today else "lp"  # the start may be today's allocation
        found = [(choice, name) for choice, name in ((self.start, start_name), (self.highs, "highs"),
                                                     (self.today, "today")) if choice is not None]
        if not validate_choice(d, s, greedy):  # at 20,000 clients the greedy's £39.2m beat today's £57.0m
            found.append((greedy, "greedy"))
        if not found:
            return None
        choice, name = min(found, key=lambda c: sum(objective_terms(d, s, c[0]).values()))
        self.stages.append({"stage": f"{name} fall-back", "status": "FEASIBLE"})
        return choice


def solve(
    data: ProblemData,
    switches: Switches | None = None,
    params: SolveParams | None = None,
) -> Result:
    """Solve one allocation. Never raises on infeasibility: check ``result.status`` / ``result.diagnosis``."""
    params = params or SolveParams()
    with stop_on(params.stop):  # HiGHS's runs end on the caller's stop too, not only CP-SAT's searches
        run = _Solve(data, switches or Switches(), params)
        run.begin()
        run.search()
        return run.finish()


def _cp_solution(am: AllocationModel, solver: cp_model.CpSolver) -> tuple[np.ndarray, np.ndarray]:
    """The pair serving each client (-1 = unmet) and the carers recruited (hubs × 2) in CP-SAT's solution."""
    d = am.data
    choice = np.full(d.n_clients, -1, dtype=np.int64)
    for k, v in am.x.items():
        if solver.boolean_value(v):
            choice[d.pair_client[k]] = k
    recruits = np.zeros((d.n_hubs, 2), dtype=np.int64)
    for (h, kind), v in am.recruits.items():
        recruits[h, kind] = solver.value(v)
    return choice, recruits


def _cheaper(data: ProblemData, switches: Switches, a: np.ndarray, b: np.ndarray,
             b_recruits: np.ndarray | None = None) -> bool:
    """Choice ``a`` (with the least recruits it needs) costs less than ``b`` (with ``b_recruits``)."""
    cost_b = sum(objective_terms(data, switches, b, b_recruits).values())
    return sum(objective_terms(data, switches, a).values()) < cost_b


def _worse(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def _result(d: ProblemData, s: Switches, status, seconds, stages, params, bound_pence, choice,
            recruits=None) -> Result:
    # The clock ended the run, whichever stage it stopped (the LP's hard stop, a search left no time): the
    # work limit did not, so the answer may differ on another run or machine.
    clock_ended = params.deterministic and status != "OPTIMAL" and seconds >= 0.98 * params.time_limit_s
    if recruits is None:
        recruits = least_recruits(d, s, choice)
    terms = objective_terms(d, s, choice, recruits)
    objective = sum(terms.values())
    if params.lexicographic:
        cp_stages = [st for st in stages if st["stage"] in LEXICOGRAPHIC_STAGES]
        proven = bool(cp_stages) and all(st["status"] == "OPTIMAL" for st in cp_stages)
        bound = objective if proven else math.nan
    else:
        bound = bound_pence / 100.0
        # The LP relaxation's optimum is a valid bound too (GLOP tolerance taken off); CP-SAT may not have
        # reached its root LP in time on large instances.
        # So is HiGHS's bound on the same model (:mod:`solver.highs_search`).
        lp_bound = [st["objective_gbp"] for st in stages if st["stage"] == "lp" and st["status"] == "OPTIMAL"]
        # With the component cuts (:mod:`solver.component_cuts`), the same LP's value is higher.
        lp_bound += [st["cuts_gbp"] for st in stages if st["stage"] == "lp" and "cuts_gbp" in st]
        # And the zone bound's Lagrangian value (:mod:`solver.zone_bound`).
        lp_bound += [st["bound_gbp"] for st in stages
                     if st["stage"] in ("highs", "zone bound") and math.isfinite(st["bound_gbp"])]
        for value in lp_bound:
            lp_b = value - 1e-6 * abs(value)
            bound = lp_b if not math.isfinite(bound) else max(bound, lp_b)
        # Pence rounding makes the model objective differ slightly from the float recomputation.
        bound = min(bound, objective) if status == "OPTIMAL" else bound
    gap = (objective - bound) / max(1.0, abs(objective)) if math.isfinite(bound) else math.nan
    draws = pool_draws(d, choice)
    loads = provider_loads(d, choice)
    hub = hub_loads(d, choice)
    assignment = providers_of(d, choice)
    violations = validate_choice(d, s, choice, recruits)
    from solver.diagnose import unmet_reasons  # local import: diagnose imports this module

    return Result(
        status=status,
        clock_ended=clock_ended,
        objective=objective,
        bound=bound,
        gap=max(gap, 0.0) if math.isfinite(gap) else gap,
        seconds=seconds,
        objective_terms=terms,
        assignment=assignment,
        hubs=hubs_of(d, choice),
        choice=choice,
        recruits=recruits,
        hub_band_hours=hub["band"],
        hub_near_hours=hub["near"],
        unmet_reasons=unmet_reasons(d, s, choice, recruits),
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
