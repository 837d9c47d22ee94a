"""The zone choice by an LP dive: fix, one at a time, which providers serve each limited zone, re-solving the
LP relaxation (HiGHS dual simplex, warm-started) after each fix, and fix the one whose LP costs least among a
few candidates (strong branching).

Why: rounding the root LP's zone choice (the K providers carrying most LP minutes in each zone) ignores that a
zone's clients then crowd into fewer hubs; on the default scenario with carers at hubs it left a zoned
allocation at £1.21m (£974k after CP-SAT with that choice fixed) where the best choice costs about £0.68m.
The dive's choice has an LP value within 1 % of the best (HiGHS's branch-and-bound over the zone choice with
the clients' pairs relaxed: £674,211; the dive: £677,258 with eight candidates, £681,956 with three).

Each dive step: every zone choice with LP value 1 is fixed; a zone with its K providers fixed closes to the
others; of the unfixed zone choices with a positive LP value, the ``candidates`` largest are each tried at 1
and the cheapest LP kept; in clock-limited runs fewer candidates when the clock left would not finish the
dive at three. The work is counted in simplex iterations (deterministic);
``wall_limit_s`` is a hard stop. Stopped early, the partly dived LP is returned: the rounding picks the
remaining zones' providers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from solver.highs_search import HIGHS_THREADS
from solver.lp import LpModel, LpSolution, new_highs, run_highs
from solver.stopping import stop_requested

DIVE_CANDIDATES = 3  # measured above: 8 candidates give a 0.45 % better LP in 2.5x the time
# Fewer when the dive is short of time or work, but never one: a dive of single candidates leaves a far worse
# zone choice (default scenario, K = 2: LP £940,549 against £705,291 with two and £675,543 with three).
DIVE_MIN_CANDIDATES = 2


@dataclass
class DiveOutcome:
    """The dived LP (``lp``: y all 0 or 1 when ``complete``), the LP solves and simplex iterations it took."""

    lp: LpSolution
    complete: bool
    solves: int
    iterations: int
    seconds: float
    stopped_by_clock: bool = False


class _Dive:
    def __init__(self, lpm: LpModel, zone_limit: np.ndarray, max_iterations: int, wall_limit_s: float,
                 pace_s: float | None = None):
        self.lpm, self.t0, self.pace_s = lpm, time.perf_counter(), pace_s
        self.y0, self.keys = lpm.block("y")
        n = len(self.keys)
        self.cols = np.arange(self.y0, self.y0 + n, dtype=np.int32)
        self.lo, self.hi = np.zeros(n), np.ones(n)
        self.zones: dict[int, list[int]] = {}
        for j, (z, _p) in enumerate(self.keys):
            self.zones.setdefault(int(z), []).append(j)
        self.limit = zone_limit
        self.max_iterations, self.wall_limit_s = max_iterations, wall_limit_s
        self.solves = self.iterations = self.steps = self.first_slots = 0
        self.highs = new_highs(threads=HIGHS_THREADS)
        self.highs.passModel(lpm.to_highs())

    def out_of_budget(self) -> bool:
        return self.iterations >= self.max_iterations or self.clock_ended() or stop_requested()

    def clock_ended(self) -> bool:
        return time.perf_counter() - self.t0 >= self.wall_limit_s

    def solve(self, lo: np.ndarray, hi: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The LP's objective (pence) and values with the zone choice bounded by ``lo``/``hi``."""
        h = self.highs
        h.changeColsBounds(len(self.cols), self.cols, lo, hi)
        run_highs(h)
        self.solves += 1
        self.iterations += int(h.getInfo().simplex_iteration_count)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return math.inf, None
        return float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_value)

    def propagate(self, values: np.ndarray) -> bool:
        """Fix zone choices the LP already takes whole; close zones whose K providers are fixed."""
        y = values[self.y0:self.y0 + len(self.keys)]
        lo, hi = self.lo.copy(), self.hi.copy()
        lo[(y > 1 - 1e-6) & (hi > 0)] = 1.0
        for z, js in self.zones.items():
            if lo[js].sum() >= self.limit[z]:
                hi[[j for j in js if lo[j] == 0]] = 0.0
        changed = bool((lo != self.lo).any() or (hi != self.hi).any())
        self.lo, self.hi = lo, hi
        return changed

    def candidates(self) -> int:
        """How many candidates a step can afford: :data:`DIVE_CANDIDATES`, fewer in clock-limited runs when
        the clock left would not finish the dive at that pace, two at least. Why: a dive that
        stops early leaves the rounding a much worse zone choice than a dive finished with fewer candidates
        (default scenario, K = 2, under load: £1.14m against about £0.80m)."""
        # Deterministic runs (no pace_s) keep three: on the demo's work limit a paced dive's zone choice ended
        # the zoned variant at £760,103 against £714,086 for three candidates and the rounding after them.
        if self.pace_s is None:
            return DIVE_CANDIDATES
        slots = sum(max(int(self.limit[z]) - int(self.lo[js].sum()), 0) for z, js in self.zones.items()
                    if ((self.lo[js] == 0) & (self.hi[js] == 1)).any())
        self.first_slots = self.first_slots or slots
        closed = self.first_slots - slots
        if self.steps < 3 or not slots or not closed:
            return DIVE_CANDIDATES
        # steps left: the open slots at the pace seen so far (the LP often fills several slots a step)
        steps_left = slots * min(self.steps / closed, 1.0)
        elapsed = time.perf_counter() - self.t0
        affordable = (self.pace_s - elapsed) / max(elapsed / self.solves, 1e-6)
        return int(min(max(affordable // max(steps_left, 1.0), DIVE_MIN_CANDIDATES), DIVE_CANDIDATES))

    def step(self, values: np.ndarray) -> np.ndarray | None:
        """Fix the cheapest of the candidates at 1; the new LP values, or None when nothing is left open."""
        y = values[self.y0:self.y0 + len(self.keys)]
        open_ = np.nonzero((self.lo == 0) & (self.hi == 1) & (y > 1e-6))[0]
        if not len(open_):
            return None
        best: tuple[float, int, np.ndarray] | None = None
        for j in open_[np.argsort(-y[open_], kind="stable")][:self.candidates()]:
            lo = self.lo.copy()
            lo[j] = 1.0
            cost, trial = self.solve(lo, self.hi)
            if trial is not None and (best is None or cost < best[0]):
                best = (cost, int(j), trial)
        if best is None:  # every candidate made the LP infeasible: leave the rest to the rounding
            return None
        self.steps += 1
        self.lo[best[1]] = 1.0
        return best[2]


def dive_zone_choice(lpm: LpModel, zone_limit: np.ndarray, max_iterations: int,
                     wall_limit_s: float, pace_s: float | None = None) -> DiveOutcome | None:
    """Dive from the LP relaxation built in ``lpm`` (every rule's rows) to a zone choice; None when the LP
    has no zone choice to make or HiGHS finds it infeasible. ``pace_s`` (clock-limited runs only): fewer
    candidates a step when the dive would not finish in that many seconds; ``wall_limit_s`` stays the hard
    stop."""
    if "y" not in lpm._blocks:
        return None
    dive = _Dive(lpm, zone_limit, max_iterations, wall_limit_s, pace_s)
    cost, values = dive.solve(dive.lo, dive.hi)
    complete = False
    while values is not None and not dive.out_of_budget():
        if dive.propagate(values):
            cost, values = dive.solve(dive.lo, dive.hi)
            continue
        stepped = dive.step(values)
        if stepped is None:
            complete = not ((dive.lo == 0) & (dive.hi == 1)).any() or _integral(dive, values)
            break
        values = stepped
    if values is None:
        return None
    out = LpSolution(status="OPTIMAL", seconds=time.perf_counter() - dive.t0, pairs=lpm.ks)
    lpm.read(out, values, cost)
    return DiveOutcome(out, complete, dive.solves, dive.iterations, out.seconds,
                       stopped_by_clock=dive.clock_ended() and not complete)


def _integral(dive: _Dive, values: np.ndarray) -> bool:
    y = values[dive.y0:dive.y0 + len(dive.keys)]
    return bool(np.all((y < 1e-6) | (y > 1 - 1e-6)))
