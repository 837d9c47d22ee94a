"""One variant: the pairs its ``protect`` and ``exclude`` leave, then evaluated (``current``) or solved.

* ``optimised``: free optimisation, no zoning; pools per the variant.
* ``zoned``: at most K providers per zone (``max_providers_per_zone``), or ranked zoning (``ranked_shares``:
  a lead, second, ... provider per zone, K = the number of ranks); clients pinned to the provider they
  chose (self-directed support option 2) are exempt, as in the solver.
* ``current``: today's allocation, evaluated (:mod:`commissioning.running.current`).

``protect`` (providers whose clients must not move) keeps only the current pair of those clients;
``exclude`` (providers that take no clients) drops every pair of those providers, except a pinned client's
own choice (a warning says so).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
import pandas as pd

from commissioning.errors import InfeasibleError
from commissioning.results.ranks import ranked_words
from commissioning.running.current import evaluate_current
from commissioning.running.progress import VariantProgress
from commissioning.scenario.file import Variant


@dataclass
class VariantOutcome:
    """One variant's allocation and how it was found. Hours per week, money in GBP per week."""

    variant: Variant
    problem: Any  # solver.ProblemData (after protect/exclude)
    index: Any  # commissioning.running.problem.ProblemIndex
    assignment: np.ndarray  # provider index per client, -1 unmet
    unmet_reason: list[str]
    pair_of_client: np.ndarray  # pair index per client (its provider and hub), -1 unmet
    provider_pool_hours: np.ndarray
    solver: dict[str, Any]
    violations: list[str]
    recruits: np.ndarray | None = None  # hubs × 2 (drivers, non-drivers) recruited, None: none
    allocation: pd.DataFrame | None = None
    routed_travel_hours: dict[str, float] | None = None
    routing: Any = None  # commissioning.running.routing.RoutedTravel, when routed
    notes: list[str] = field(default_factory=list)

    def per_client(self, pair_values: np.ndarray, unmet) -> np.ndarray:
        """Each client's value of its pair (``pair_values`` aligned with the problem's pairs); ``unmet`` for
        an unmet client, also when no pair is left at all (every provider excluded)."""
        values = np.asarray(pair_values)
        assigned = self.assignment >= 0
        out = np.full(len(self.assignment), unmet, dtype=values.dtype if len(values) else type(unmet))
        out[assigned] = values[self.pair_of_client[assigned]]
        return out


def restrict_pairs(problem, index, keep: np.ndarray):
    """``(problem, index)`` with only the eligible pairs where ``keep`` is true."""
    if keep.all():
        return problem, index
    names = (
        "pair_client",
        "pair_provider",
        "pair_hub",
        "pair_near",
        "pair_travel_minutes",
        "pair_staff_hours",
        "pair_care_cost_gbp",
        "pair_travel_cost_gbp",
    )
    restricted = dataclasses.replace(problem, **{name: getattr(problem, name)[keep] for name in names})
    index = dataclasses.replace(index, pair_from_pool=index.pair_from_pool[keep], pair_km=index.pair_km[keep])
    return restricted, index


def apply_variant_pairs(variant: Variant, problem, index) -> tuple[Any, Any, list[str]]:
    """Apply ``protect`` and ``exclude`` by removing pairs; returns notes for the warnings."""
    notes: list[str] = []
    if not variant.protect and not variant.exclude:
        return problem, index, notes
    p_of = {pid: k for k, pid in enumerate(index.provider_ids)}
    keep = np.ones(len(problem.pair_client), dtype=bool)
    pc, pp = problem.pair_client, problem.pair_provider
    pinned = problem.client_pinned_provider
    for pid in variant.exclude:
        p = p_of[pid]
        own_choice = pinned[pc] == p
        keep &= ~((pp == p) & ~own_choice)
        if own_choice.any():
            notes.append(
                f"{variant.name}: {int(np.sum(pinned == p))} client(s) chose excluded provider {pid} "
                "(self-directed support option 2) and stay with it"
            )
    excluded = keep.copy()  # the reasons say "excludes" for what exclude took, not what protect did
    protected = {p_of[pid] for pid in variant.protect}
    current = problem.client_current_provider
    for i in np.flatnonzero(np.isin(current, list(protected))):
        if len(problem.pairs_of(int(i), int(current[i]))):
            keep &= ~((pc == i) & (pp != current[i]))
    problem, index = restrict_pairs(problem, _excluded_reasons(problem, index, excluded), keep)
    return problem, index, notes


def _excluded_reasons(problem, index, keep: np.ndarray):
    """``index`` with an unmet reason for each client only excluded providers could serve: without it the
    reason read "no eligible provider: none within reach has the skills the client needs"."""
    eligible = problem.pair_eligible
    before = np.bincount(problem.pair_client[eligible], minlength=problem.n_clients) > 0
    after = np.bincount(problem.pair_client[eligible & keep], minlength=problem.n_clients) > 0
    reasons = list(index.ineligible_reason)
    for i in np.flatnonzero(before & ~after):
        serving = problem.pair_provider[(problem.pair_client == i) & eligible]
        gone = sorted({index.provider_ids[p] for p in serving})
        reasons[i] = (f"only {', '.join(gone)} can serve the client (reach and skills), and this variant "
                      f"excludes {'it' if len(gone) == 1 else 'them'}")
    return dataclasses.replace(index, ineligible_reason=tuple(reasons))


def run_variant(
    variant: Variant,
    problem,
    index,
    data,
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
    stop: threading.Event | None = None,
    bar: bool = True,
) -> VariantOutcome:
    """Evaluate (``current``) or solve one variant; ``stop`` set by another thread ends the search at once.
    ``bar``: a progress bar on a terminal (not when several variants solve at once: one line each at the
    end instead)."""
    problem, index, notes = apply_variant_pairs(variant, problem, index)
    sc = variant.solver_switches(index.provider_ids, index.zone_ids)
    if variant.mode == "current":
        found = _evaluate(variant, problem, index, sc, quiet, stream)
    else:
        found = _solve(variant, problem, index, sc, quiet, stream, stop, notes, bar)
    choice, recruits, reasons, solver_info, violations = found
    from solver.validate import pool_draws, providers_of

    return VariantOutcome(
        variant=variant,
        problem=problem,
        index=index,
        assignment=providers_of(problem, choice),
        unmet_reason=reasons,
        pair_of_client=choice,
        provider_pool_hours=pool_draws(problem, choice).sum(axis=(0, 2)),
        solver=solver_info,
        violations=violations,
        recruits=recruits,
        notes=notes,
    )


def _evaluate(variant: Variant, problem, index, sc, quiet: bool, stream: TextIO | None):
    """Today's allocation checked by the validator: ``(choice, recruits, reasons, solver, broken)``; today
    recruits nobody, so the workforce rules it breaks are reported by hub and band."""
    from solver.validate import objective_terms, validate_choice

    t0 = time.perf_counter()
    choice, reasons = evaluate_current(variant, problem, index, sc)
    none = np.zeros((problem.n_hubs, 2), dtype=np.int64)
    violations = validate_choice(problem, sc, choice, recruits=none)
    terms = objective_terms(problem, sc, choice, none)
    objective = sum(terms.values())
    seconds = time.perf_counter() - t0
    solver_info = {
        "status": "EVALUATED",
        "objective": objective,
        "objective_terms": terms,
        "bound": None,
        "gap": None,
        "seconds": seconds,
        "time_limit_s": None,
        "workers": None,
        "seed": None,
    }
    if not quiet:
        print(
            f"{variant.name:<14} evaluated today's allocation in {seconds:.1f}s  objective "
            f"£{objective:,.0f}  {len(violations)} constraint(s) broken today",
            file=stream or sys.stderr,
        )
    return choice, none, reasons, solver_info, violations


def _solve(
    variant: Variant,
    problem,
    index,
    sc,
    quiet: bool,
    stream: TextIO | None,
    stop: threading.Event | None,
    notes: list[str],
    bar: bool = True,
):
    """CP-SAT's allocation: ``(choice, recruits, reasons, solver, broken)``; a note if the clock
    stopped the search before its work limit. :class:`InfeasibleError` with the diagnosis if none."""
    from solver import solve

    # The run handles Ctrl-C itself (see running.interrupt): a search stopped by it must not pass as done.
    params = variant.solve_params(extra_parameters=(("catch_sigint_signal", False),), stop=stop)
    progress = VariantProgress(
        variant.name,
        variant.time_limit_s,
        stream=stream,
        quiet=quiet,
        work_limit=params.budget if params.deterministic else None,
        bar=bar,
    )
    params = dataclasses.replace(params, progress=progress.callback)
    with progress:
        result = solve(problem, sc, params)
        if stop is None or not stop.is_set():  # a run being stopped has said so: no final line after it
            progress.finish(result.status, result.seconds, result.objective, result.bound)
    if not len(result.assignment):
        raise InfeasibleError(_infeasible_message(variant, result), result.diagnosis)
    assignment = np.asarray(result.assignment, dtype=np.int64)
    reasons = ["" for _ in assignment]
    for i in np.flatnonzero(assignment < 0):
        reasons[i] = index.ineligible_reason[i] or result.unmet_reasons.get(int(i), "left unmet")
    solver_info = {
        "status": result.status,
        "objective": _finite(result.objective),
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "objective_terms": {key: float(value) for key, value in result.objective_terms.items()},
        "seconds": result.seconds,
        "time_limit_s": variant.time_limit_s,
        "work_limit": params.budget if params.deterministic else None,
        "deterministic": params.deterministic,
        "stopped_by_clock": result.stopped_by_clock,
        "workers": variant.workers,
        "seed": variant.seed,
    }
    if result.stopped_by_clock:
        notes.append(
            f"{variant.name}: stopped by its time limit ({variant.time_limit_s:g} s) before its work "
            f"limit ({params.budget:g} units): the clock cut short {_clock_parts(result)} (each part stops "
            "at its own share of the limit, which can come before the whole limit is used: the variant took "
            f"{result.seconds:.0f} s), so another run may give a different allocation. Fix: a longer "
            "time_limit_s or a smaller work_limit."
        )
    notes += gap_note(variant.name, result.status, _finite(result.gap), params.deterministic)
    return (
        np.asarray(result.choice, dtype=np.int64),
        result.recruits,
        reasons,
        solver_info,
        list(result.violations),
    )


def _infeasible_message(variant: Variant, result) -> str:
    """Why the variant has no allocation (the diagnosis, in commissioner words) and fixes not yet in force."""
    from solver.data import MAX_RANKS

    fixes = []
    if not variant.allow_unmet:
        fixes.append("allow_unmet = true")
    if variant.protect:
        fixes.append(f"fewer protected providers (protect = {list(variant.protect)})")
    if variant.mode == "zoned" and variant.ranked_shares:
        fixes.append(f"more ranks in ranked_shares (up to {MAX_RANKS}), or no ranks and a larger "
                     f"max_providers_per_zone (now {ranked_words(variant.ranked_shares)})")
    elif variant.mode == "zoned":
        fixes.append(f"a larger max_providers_per_zone (now {variant.max_providers_per_zone})")
    if variant.max_moves is not None:
        fixes.append(f"a larger max_moves (now {variant.max_moves})")
    if variant.min_viable or variant.max_loss_fraction is not None:
        fixes.append("looser sustainability rules")
    why = "".join(f"\n  - {line}" for line in result.diagnosis) or "\n  - no simple reason found"
    fix = "; ".join(fixes) if fixes else "check the data: the diagnosis above names the short capacity"
    return (
        f"variant {variant.name!r} ({variant.mode}) has no feasible allocation (status {result.status}). "
        f"Why:{why}\nFix: {fix}."
    )


# The solver's stages in a commissioner's words (CP-SAT's own stages, and the whole limit: "the search")
CLOCK_PART_WORDS = {
    "lp": "the LP relaxation",
    "zone bound": "the zone bound",
    "fixed zones": "the packing of the start",
    "polish": "the packing of the start",
    "zone pack": "the packing of the start",
    "highs": "HiGHS's search",
}


def _clock_parts(result) -> str:
    """The parts of ``result``'s run the clock cut short, each once, in words: "the LP relaxation, the packing
    of the start and the search"."""
    words = list(dict.fromkeys(CLOCK_PART_WORDS.get(part, "the search") for part in result.clock_parts()))
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# A proven gap above this is said beside the figures (the demo's variants end within 1.7 %; lead-provider
# zoning on the default scenario at 30 s within 6 %, its unmet need partly the search's).
WIDE_GAP = 0.02


def gap_note(name: str, status: str, gap: float | None, deterministic: bool) -> list[str]:
    """A warning when a variant's allocation is not proven near the best possible: its cost and unmet need
    may then be the unfinished search's as much as the policy's, and a board should know before comparing."""
    if status == "OPTIMAL" or (gap is not None and gap <= WIDE_GAP):
        return []
    how = (f"proven within {gap:.1%} of" if gap is not None
           else "at an unknown distance (no proven bound) from")
    more = "a larger work_limit and time_limit_s" if deterministic else "a longer time_limit_s"
    return [f"{name}: its allocation is {how} the best possible under its rules (cost with its penalties): "
            "differences from other variants smaller than that may come from the search, not the policy, and "
            f"its cost and unmet need are upper estimates. Fix: {more} for a firmer answer."]


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
