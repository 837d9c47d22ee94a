"""Why an allocation cannot be made, in commissioner words.

* :func:`precheck` — arithmetic before solving, each rule's own (:meth:`solver.rules.base.Rule.precheck`):
  clients nobody can serve, zones whose demand exceeds what the providers able to reach them (and the pools
  covering them) have, pinned or protected load beyond capacity, floors that cannot be met, forced moves
  beyond the limit. Each finding is a sentence with the numbers.
* :func:`conflicting_families` — after an INFEASIBLE solve: the model is rebuilt with one enforcement literal
  per constraint family, passed to CP-SAT as assumptions; ``sufficient_assumptions_for_infeasibility`` names
  a conflicting subset, which is then shrunk by deletion (each family dropped in turn, kept if still needed).
* :func:`unmet_reasons` — for each unmet client of a solution: no eligible provider, capacity short, zoning
  limit, max weekly hours, or cheaper to leave unmet; a hub short names the hub and the time band.
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
    data: ProblemData, switches: Switches, choice: np.ndarray, recruits: np.ndarray | None = None
) -> dict[int, str]:
    """One sentence per unmet client saying why nobody took it, naming the hub and band that are short."""
    from solver.measures import provider_loads, providers_of, recruit_limits, zone_providers

    unmet = np.nonzero(np.asarray(choice) < 0)[0]
    if not len(unmet):
        return {}
    recruits = np.zeros((data.n_hubs, 2)) if recruits is None else np.asarray(recruits, dtype=float)
    room = recruits.copy()  # carers the limit still allows count as room: recruiting them is a choice
    room[:, 0] += np.maximum(recruit_limits(data, switches) - recruits.sum(axis=1), 0)
    state = _Room(data, switches, choice, room, provider_loads(data, choice))
    served = zone_providers(data, providers_of(data, choice), exempt_pinned=True)
    return {int(i): _unmet_reason(data, switches, state, served, int(i)) for i in unmet}


class _Room:
    """Spare hours per provider (own carers) and per hub, for testing one more client at a time."""

    def __init__(self, data, switches, choice, recruits, loads):
        from solver.measures import hub_capacity, hub_loads

        self.data, self.switches = data, switches
        self.own_spare = data.provider_weekly_staff_hours - loads["own_staff_hours"]
        self.care = loads["care_hours"]
        self.hub = hub_loads(data, choice)
        self.cap = hub_capacity(data, recruits)

    def hub_short(self, k: int) -> str:
        """Why hub of pair k cannot take its client ("" if it can), naming the band."""
        from solver.measures import workforce_shortfalls

        d, h = self.data, int(self.data.pair_hub[k])
        if h < 0 or not self.switches.workforce:
            return ""
        extra = d.pair_band_staff_hours[k]
        one = {key: value[h:h + 1].copy() for key, value in self.hub.items()}
        one["band"][0] += extra
        (one["near"] if d.pair_near[k] else one["far"])[0] += extra
        short = workforce_shortfalls(one, {key: value[h:h + 1] for key, value in self.cap.items()})
        hub = d.hub_name(h)
        for b in range(d.n_bands):
            if short["band"][0, b] > 1e-6 and extra[b] > 0:
                return f"{hub} has no {d.band_name(b)} hours left ({short['band'][0, b]:.1f} h short)"
            if short["far"][0, b] > 1e-6 and extra[b] > 0:
                return (f"{hub}'s drivers have no {d.band_name(b)} hours left and the client is beyond "
                        "non-drivers' reach")
        if short["weekly"][0] > 1e-6:
            return f"{hub}'s carers have no weekly hours left ({short['weekly'][0]:.1f} h short)"
        if short["driver_week"][0] + short["non_driver_week"][0] > 1e-6:
            return f"{hub}'s drivers have no weekly hours left for clients beyond non-drivers' reach"
        return ""

    def fits(self, k: int) -> str:
        """Why pair k cannot be taken ("" if it can)."""
        d = self.data
        p = int(d.pair_provider[k])
        if d.pair_pool[k] < 0 and self.own_spare[p] + 1e-9 < d.pair_staff_hours[k]:
            return f"{d.provider_name(p)} has {max(self.own_spare[p], 0.0):.1f} staff h/week spare"
        return self.hub_short(k)


def _unmet_reason(data, switches, state: _Room, served, i: int) -> str:
    z = int(data.client_zone[i])
    ks = [k for k in range(data.client_pair_start[i], data.client_pair_start[i + 1]) if data.pair_eligible[k]]
    if not switches.pools:
        ks = [k for k in ks if data.pair_pool[k] < 0]
    if not ks:
        return "no eligible provider: none within reach has the skills the client needs"
    why = {k: state.fits(k) for k in ks}
    fits = sorted({int(data.pair_provider[k]) for k, w in why.items() if not w})
    if not fits:
        shown = "; ".join(dict.fromkeys(why.values()))
        return f"capacity short in {data.zone_name(z)}: {shown}"
    k_max = switches.max_providers_per_zone
    if k_max is not None and len(served[z]) >= k_max and not set(fits) & set(served[z]):
        return (f"zoning limit: {data.zone_name(z)} already has {k_max} providers, all full; "
                f"{data.provider_name(fits[0])} has room but may not enter the zone")
    after = state.care + data.client_care_hours[i]
    capped = [p for p in fits if switches.max_weekly and after[p] > data.provider_max_weekly_hours[p] + 1e-9]
    if len(capped) == len(fits):
        return "maximum weekly hours: providers with room would exceed their maximum weekly hours"
    return ("other rules (sustainability floors, move limit, pool members) or cost: serving the client would "
            f"cost more than the unmet penalty of £{switches.unmet_penalty_gbp_per_hour:.0f} per care hour")
