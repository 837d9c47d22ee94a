"""HiGHS's branch and cut on the same model: the LP relaxation's rows (:mod:`solver.lp`, every rule's) with
the integer columns made integer (:func:`mip_model`), optionally from a start (a choice).

Why a second engine: on the allocation models with carers at hubs (many capacity rows over the same pairs)
HiGHS's cuts and heuristics find better allocations than CP-SAT's search in the same time and threads
(measured on the default scenario, 1,000 clients, 30 s, 2 threads: no zoning £633,502 within 0.07 % of its
bound against CP-SAT's £644,156 within 1.8 %; zoned K = 2 £698,448 against £706,301; BENCHMARKS.md). Every
answer still goes through the independent validator, and the run keeps whichever engine's is cheaper.

HiGHS has no deterministic work limit: the search is limited by the clock, so it takes part only when the
caller is not deterministic (:class:`solver.data.SolveParams`). It then races CP-SAT on a thread of its own
(:class:`HighsRace`, one HiGHS thread, CP-SAT one worker fewer) from the moment the LP model is built.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
from dataclasses import dataclass

import highspy
import numpy as np

from solver.lp import LpModel, new_highs, run_highs
from solver.stopping import stop_requested

CONTINUOUS_BLOCKS = ("non_driver",)  # minutes split between drivers and non-drivers: need not be whole


@dataclass
class HighsOutcome:
    """HiGHS's best allocation (``choice``, ``recruits``; None when it found none) and its proven bound."""

    status: str
    choice: np.ndarray | None = None
    recruits: np.ndarray | None = None
    objective_gbp: float = math.nan
    bound_gbp: float = math.nan
    seconds: float = 0.0
    nodes: int = 0


def mip_model(lpm: LpModel) -> highspy.HighsLp:
    """The LP relaxation with every column integral but ``CONTINUOUS_BLOCKS``."""
    lp = lpm.to_highs()
    lp.integrality_ = integrality(integral_columns(lpm))
    return lp


def integral_columns(lpm: LpModel) -> np.ndarray:
    """Per column of ``lpm``: True unless it is in one of ``CONTINUOUS_BLOCKS``."""
    integral = np.full(lpm.n_col, True)
    for name in CONTINUOUS_BLOCKS:
        start, keys = lpm.block(name)  # an absent block is empty
        integral[start:start + len(keys)] = False
    return integral


def integrality(integral: np.ndarray) -> list:
    """HiGHS's column types for a mask of integral columns."""
    return [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integral]


def _start_values(lpm: LpModel, choice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A partial MIP start: every pair column and every zone-choice column (HiGHS completes the rest)."""
    from solver.rules.zoning import zones_served

    x = np.zeros(lpm.nx)
    x[np.isin(lpm.ks, choice[choice >= 0])] = 1.0
    index, values = [np.arange(lpm.nx)], [x]
    if "y" in lpm._blocks:
        y0, keys = lpm.block("y")
        used = zones_served(lpm.data, choice)
        index.append(y0 + np.arange(len(keys)))
        values.append(np.array([float(tuple(key) in used) for key in keys]))
    return np.concatenate(index).astype(np.int32), np.concatenate(values)


def _read(lpm: LpModel, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = lpm.data
    choice = np.full(d.n_clients, -1, dtype=np.int64)
    chosen = np.flatnonzero(values[:lpm.nx] > 0.5)
    choice[d.pair_client[lpm.ks[chosen]]] = lpm.ks[chosen]
    recruits = np.zeros((d.n_hubs, 2), dtype=np.int64)
    if "recruits" in lpm._blocks:
        start, keys = lpm.block("recruits")
        for j, (hub, kind) in enumerate(keys):
            recruits[hub, kind] = int(round(values[start + j]))
    return choice, recruits


def closed_zone_columns(lpm: LpModel, open_: set[tuple[int, int]]) -> np.ndarray:
    """The zone-choice columns y[z, p] not in ``open_``: held at 0, they fix the zone choice to ``open_``."""
    y0, keys = lpm.block("y")
    return np.array([y0 + j for j, key in enumerate(keys) if tuple(key) not in open_], dtype=np.int64)


def closed_rank_columns(lpm: LpModel, ranks: dict[tuple[int, int], int]) -> np.ndarray:
    """Ranked zoning's rank columns r[z, p, j] other than ``ranks[z, p]``: held at 0, they fix the ranking
    (an open provider then holds its rank whenever it serves the zone)."""
    r0, keys = lpm.block("rank")
    return np.array([r0 + j for j, (z, p, rank) in enumerate(keys) if ranks.get((z, p), rank) != rank],
                    dtype=np.int64)


HIGHS_THREADS = 1  # one thread: HiGHS races CP-SAT on the other cores; its thread scheduler is per process


def highs_search(lpm: LpModel, start: np.ndarray | None, time_limit_s: float, seed: int = 0,
                 closed: np.ndarray | None = None, rel_gap: float = 1e-6,
                 max_nodes: int | None = None) -> HighsOutcome:
    """Branch and cut for ``time_limit_s`` seconds from ``start`` (a choice, or None), until the relative gap
    is at most ``rel_gap`` or ``max_nodes`` nodes are done; ``closed``: columns held at 0 (zone choices, see
    :func:`closed_zone_columns`)."""
    t0 = time.perf_counter()
    if stop_requested():  # the caller stopped the solve: not even the model (10 s at 20,000 clients)
        return HighsOutcome(status="Interrupted by user", seconds=0.0, nodes=0)
    h = new_highs(threads=HIGHS_THREADS, random_seed=int(seed), time_limit=max(float(time_limit_s), 0.1),
                  mip_rel_gap=rel_gap)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", int(max_nodes))
    model = mip_model(lpm)
    if closed is not None and len(closed):
        upper = np.array(model.col_upper_)
        upper[closed] = 0.0
        model.col_upper_ = upper
    h.passModel(model)
    if start is not None:
        index, values = _start_values(lpm, start)
        h.setSolution(len(index), index, values)
    # HiGHS's clock starts at run(): building and passing the model (10 s at 20,000 clients) is taken off.
    h.setOptionValue("time_limit", max(float(time_limit_s) - (time.perf_counter() - t0), 0.1))
    if stop_requested():  # set while the model was built
        return HighsOutcome(status="Interrupted by user", seconds=time.perf_counter() - t0, nodes=0)
    run_highs(h)
    info, status = h.getInfo(), h.getModelStatus()
    out = HighsOutcome(status=h.modelStatusToString(status), seconds=time.perf_counter() - t0,
                       nodes=int(info.mip_node_count))
    if math.isfinite(info.mip_dual_bound) and abs(info.mip_dual_bound) < highspy.kHighsInf:
        out.bound_gbp = (info.mip_dual_bound + lpm.offset) / 100.0
    if info.primal_solution_status == 2:  # a feasible solution
        values = np.asarray(h.getSolution().col_value)
        out.choice, out.recruits = _read(lpm, values)
        own_pence = float(np.dot(np.asarray(model.col_cost_), values))  # what the columns handed back cost
        out.objective_gbp = (own_pence + lpm.offset) / 100.0
        claimed_pence = info.objective_function_value
        if start is not None and abs(own_pence - claimed_pence) > 1e-6 * max(abs(own_pence), 1.0):
            return _without_start(lpm, out, time_limit_s - (time.perf_counter() - t0), seed, closed,
                                  rel_gap, max_nodes)
    return out


def _without_start(lpm: LpModel, out: HighsOutcome, seconds_left: float, seed: int, closed, rel_gap: float,
                   max_nodes: int | None) -> HighsOutcome:
    """HiGHS (1.x) may end a run from a partial start on an incumbent it claims costs less than the columns
    it hands back, which are the start's: random_instance(150, 8 providers, 20 zones, seed 3), K = 2, the
    dive's zone choice packed from the LP rounding: "Optimal" at £31,490.55, the columns the start's
    £31,641.66; without the start, "Optimal" at £31,567.97, its columns exactly that. The search runs again
    without the start in the time left; the cheaper of the two answers is kept (priced by its columns)."""
    if seconds_left < 0.5 or stop_requested():
        return out
    again = highs_search(lpm, None, seconds_left, seed, closed, rel_gap=rel_gap, max_nodes=max_nodes)
    again.seconds += out.seconds
    if again.choice is None or again.objective_gbp >= out.objective_gbp:
        out.status, out.seconds = f"{out.status} (start handed back)", again.seconds
        return out
    return again


class HighsRace:
    """:func:`highs_search` on a thread of its own (HiGHS releases the GIL) while CP-SAT searches: started
    as soon as the LP model is built, joined when CP-SAT is done; :attr:`outcome` is None until then."""

    def __init__(self, lpm: LpModel, time_limit_s: float, seed: int = 0):
        self.outcome: HighsOutcome | None = None
        self._error: BaseException | None = None
        self.time_limit_s = time_limit_s
        self._started = time.perf_counter()
        context = contextvars.copy_context()  # the caller's stop (solver.stopping) ends this HiGHS too
        self._thread = threading.Thread(target=context.run, args=(self._run, lpm, time_limit_s, seed),
                                        daemon=True, name="highs-race")
        self._thread.start()

    def _run(self, lpm: LpModel, time_limit_s: float, seed: int) -> None:
        try:
            self.outcome = highs_search(lpm, None, time_limit_s, seed)
        except BaseException as exc:  # reported by join(), in the caller's thread
            self._error = exc

    def running_s(self) -> float:
        """Seconds since the race started."""
        return time.perf_counter() - self._started

    def join(self, timeout_s: float | None = None) -> HighsOutcome | None:
        self._thread.join(timeout_s)
        if self._error is not None:
            raise self._error
        return self.outcome
