"""Why an allocation cannot be made, in commissioner words.

* :func:`precheck` — arithmetic before solving, each rule's own (:meth:`solver.rules.base.Rule.precheck`):
  clients nobody can serve, zones whose demand exceeds what the providers able to reach them (and the pools
  covering them) have, pinned or protected load beyond capacity, floors that cannot be met, forced moves
  beyond the limit. Each finding is a sentence with the numbers.
* :func:`conflicting_families` — after an INFEASIBLE solve: the model is rebuilt with one enforcement literal
  per constraint family, passed to CP-SAT as assumptions; ``sufficient_assumptions_for_infeasibility`` names
  a conflicting subset, which is then shrunk by deletion (each family dropped in turn, kept if still needed).
* :func:`unmet_reasons` — for each unmet client of a solution: no eligible provider, capacity short, zoning
  limit, max weekly hours, or cheaper to leave unmet.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.data import ProblemData, SolveParams, Switches
from solver.model import build_model


def precheck(data: ProblemData, switches: Switches) -> list[str]:
    """Arithmetic reasons the instance cannot be solved as asked, rule by rule (empty list = none found)."""
    from solver.rules import RULES

    return [line for rule in RULES for line in rule.precheck(data, switches)]


def conflicting_families(
    data: ProblemData, switches: Switches, time_limit_s: float = 10.0, seed: int = 0
) -> list[str] | None:
    """Names of constraint families that conflict (a small subset, deletion-minimised).

    Returns None when CP-SAT could not decide within the time limit, [] when the instance is feasible.
    """
    am = build_model(data, switches, diagnostic=True)
    am.model.clear_objective()  # feasibility only: much faster to refute
    lits = dict(am.enforce)
    if not lits:
        return None

    def infeasible(active: list[str]) -> bool | None:
        am.model.clear_assumptions()
        am.model.add_assumptions([lits[f] for f in active])
        s = cp_model.CpSolver()
        s.parameters.num_workers = 1  # assumption cores come from the single-thread search
        s.parameters.random_seed = seed
        s.parameters.max_time_in_seconds = max(time_limit_s / (len(lits) + 1), 0.5)
        st = s.solve(am.model)
        if st == cp_model.INFEASIBLE:
            core = s.sufficient_assumptions_for_infeasibility()
            names = {f for f, v in lits.items() if v.index in core}
            return names if names else True
        return False if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    first = infeasible(list(lits))
    if first is False:
        return []
    if first is None:
        return None
    core = sorted(first) if isinstance(first, set) else sorted(lits)
    for f in list(core):
        trial = [g for g in core if g != f]
        res = infeasible(trial)
        if res is True or isinstance(res, set):
            core = sorted(res) if isinstance(res, set) and res <= set(trial) else trial
    return core


def diagnose(data: ProblemData, switches: Switches, params: SolveParams | None = None) -> list[str]:
    """Sentences explaining infeasibility: arithmetic findings first, then the conflicting rules."""
    out = precheck(data, switches)
    limit = min(params.time_limit_s if params else 10.0, 20.0)
    fams = conflicting_families(data, switches, time_limit_s=limit, seed=params.seed if params else 0)
    if fams:
        from solver.rules import RULE_BY_NAME

        words = "; ".join(RULE_BY_NAME[f].words for f in fams)
        out.append(f"These rules cannot all hold together: {words}.")
    elif fams is None and not out:
        out.append("No simple reason found within the time limit; try a longer time limit or relax the "
                   "zoning limit, move limit or sustainability rules one at a time.")
    return out


def unmet_reasons(
    data: ProblemData, switches: Switches, assignment: np.ndarray, pool_draw_hours: np.ndarray
) -> dict[int, str]:
    """One sentence per unmet client saying why nobody took it."""
    out: dict[int, str] = {}
    unmet = np.nonzero(np.asarray(assignment) < 0)[0]
    if not len(unmet):
        return out
    from solver.measures import provider_loads, zone_providers

    loads = provider_loads(data, assignment)
    spare = data.provider_weekly_staff_hours + pool_draw_hours.sum(axis=(0, 2)) - loads["staff_hours"]
    if switches.pools and data.n_pools:
        left = data.pool_weekly_hours - pool_draw_hours.sum(axis=(1, 2))
    served = zone_providers(data, assignment, exempt_pinned=True)
    k_max = switches.max_providers_per_zone
    for i in unmet:
        i = int(i)
        z = int(data.client_zone[i])
        a, b = data.client_pair_start[i], data.client_pair_start[i + 1]
        ks = [k for k in range(a, b) if data.pair_eligible[k]]
        if not ks:
            out[i] = "no eligible provider: none within reach has the skills the client needs"
            continue
        fits = []
        for k in ks:
            p = int(data.pair_provider[k])
            room = spare[p]
            if switches.pools and data.n_pools:
                room += float(left[data.pool_members[:, p] & data.pool_zones[:, z]].sum())
            if room + 1e-9 >= data.pair_staff_hours[k]:
                fits.append(p)
        if not fits:
            best = max(spare[int(data.pair_provider[k])] for k in ks)
            out[i] = (f"capacity short in {data.zone_name(z)}: the client needs "
                      f"{data.pair_staff_hours[ks].min():.1f} staff h/week, eligible providers have at most "
                      f"{max(best, 0.0):.1f} h spare")
            continue
        if k_max is not None and len(served[z]) >= k_max and not set(fits) & set(served[z]):
            out[i] = (f"zoning limit: {data.zone_name(z)} already has {k_max} providers, all full; "
                      f"{data.provider_name(fits[0])} has room but may not enter the zone")
            continue
        after = loads["care_hours"] + data.client_care_hours[i]
        capped = [p for p in fits
                  if switches.max_weekly and after[p] > data.provider_max_weekly_hours[p] + 1e-9]
        if len(capped) == len(fits):
            out[i] = "maximum weekly hours: providers with room would exceed their maximum weekly hours"
            continue
        out[i] = ("other rules (sustainability floors, move limit) or cost: serving the client would cost "
                  f"more than the unmet penalty of £{switches.unmet_penalty_gbp_per_hour:.0f} per care hour")
    return out
