"""Why an allocation cannot be made, in commissioner words.

* :func:`precheck` — arithmetic before solving: clients nobody can serve, zones whose demand exceeds what the
  providers able to reach them (and the pools covering them) have, pinned load beyond capacity, floors that
  cannot be met. Each finding is a sentence with the numbers.
* :func:`conflicting_families` — after an INFEASIBLE solve: the model is rebuilt with one enforcement literal
  per constraint family, passed to CP-SAT as assumptions; ``sufficient_assumptions_for_infeasibility`` names
  a conflicting subset, which is then shrunk by deletion (each family dropped in turn, kept if still needed).
* :func:`unmet_reasons` — for each unmet client of a solution: no eligible provider, capacity short, zoning
  limit, max weekly hours, or cheaper to leave unmet.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solver.data import ProblemData, ScenarioParams, SolveParams, protected_clients
from solver.model import FAMILY_WORDS, build_model


def _zone_label(data: ProblemData, z: int) -> str:
    return f"'{data.zone_names[z]}'" if data.zone_names else f"zone {z}"


def _min_staff_hours(data: ProblemData) -> np.ndarray:
    """Least staff hours each client can cost any eligible provider (inf when none)."""
    out = np.full(data.n_clients, np.inf)
    ok = data.pair_eligible
    np.minimum.at(out, data.pair_client[ok], data.pair_staff_hours[ok])
    return out


def precheck(data: ProblemData, scenario: ScenarioParams) -> list[str]:
    """Arithmetic reasons the instance cannot be solved as asked (empty list = none found)."""
    out: list[str] = []
    need = _min_staff_hours(data)
    pools_on = scenario.pools_enabled and data.n_pools > 0
    no_pair = np.nonzero(~np.isfinite(need))[0]
    if len(no_pair) and not scenario.allow_unmet:
        zones = np.bincount(data.client_zone[no_pair], minlength=data.n_zones)
        where = ", ".join(f"{_zone_label(data, z)} ({zones[z]})" for z in np.nonzero(zones)[0][:8])
        out.append(f"{len(no_pair)} client(s) have no eligible provider (none within reach has the skills "
                   f"they need): {where}")
    if not scenario.allow_unmet:  # with unmet need allowed, short supply leaves clients unmet: no conflict
        out += _short_supply(data, scenario, need, pools_on)
    out += _pinned_load(data, scenario, pools_on)
    out += _protected_load(data, scenario, pools_on)
    out += _floors(data, scenario)
    return out


def _short_supply(data: ProblemData, scenario: ScenarioParams, need: np.ndarray, pools_on: bool) -> list[str]:
    """Zones, and the region, needing more staff hours than everything that could reach them has."""
    out: list[str] = []
    ok = data.pair_eligible
    cap = data.provider_weekly_staff_hours
    # Zone by zone: demand vs everything that could reach the zone.
    reach = np.zeros((data.n_zones, data.n_providers), bool)
    reach[data.client_zone[data.pair_client[ok]], data.pair_provider[ok]] = True
    k_max = scenario.max_providers_per_zone
    for z in range(data.n_zones):
        in_z = (data.client_zone == z) & np.isfinite(need)
        demand = float(need[in_z].sum())
        if demand <= 0:
            continue
        # Providers chosen by pinned clients in the zone serve them outside the zoning limit.
        chosen = np.zeros(data.n_providers, bool)
        pin_z = data.client_pinned_provider[data.client_zone == z]
        chosen[pin_z[pin_z >= 0]] = True
        caps = np.sort(cap[reach[z] & ~chosen])[::-1]
        limited = k_max is not None and len(caps) > k_max
        supply = float(caps[:k_max].sum() if limited else caps.sum()) + float(cap[chosen].sum())
        pool = 0.0
        if pools_on:
            covering = data.pool_zones[:, z] & (data.pool_members[:, reach[z]].any(axis=1))
            pool = float(data.pool_weekly_hours[covering].sum())
        if demand > supply + pool + 1e-6:
            who = f"the {k_max} largest providers allowed there" if limited else "providers able to reach it"
            if chosen.any():
                who += " and those chosen by its pinned clients"
            pools = f" plus {pool:.0f} h from pools" if pool else ""
            out.append(f"Zone {_zone_label(data, z)} needs {demand:.0f} staff h/week (care and travel); "
                       f"{who} have {supply:.0f} h in total{pools}")
    total_need = float(need[np.isfinite(need)].sum())
    total_cap = float(cap.sum() + (data.pool_weekly_hours.sum() if pools_on else 0.0))
    if total_need > total_cap + 1e-6:
        out.append(f"The region needs at least {total_need:.0f} staff h/week but providers and pools have "
                   f"{total_cap:.0f} h")
    return out


def _pinned_load(data: ProblemData, scenario: ScenarioParams, pools_on: bool) -> list[str]:
    """Providers whose pinned clients alone need more staff or care hours than they may have."""
    out: list[str] = []
    cap = data.provider_weekly_staff_hours
    # Pinned clients per provider.
    pin = data.client_pinned_provider
    for p in range(data.n_providers):
        mine = np.nonzero(pin == p)[0]
        if not len(mine):
            continue
        ks = [data.pair_index(int(i), p) for i in mine]
        load = float(data.pair_staff_hours[ks].sum())
        pool = float(data.pool_weekly_hours[data.pool_members[:, p]].sum()) if pools_on else 0.0
        if load > cap[p] + pool + 1e-6:
            out.append(f"{data.provider_name(p)}: clients pinned to it need {load:.0f} staff h/week, it has "
                       f"{cap[p]:.0f} h (+{pool:.0f} h from pools)")
        care = float(data.client_care_hours[mine].sum())
        if scenario.enforce_max_weekly and care > data.provider_max_weekly_hours[p] + 1e-6:
            out.append(f"{data.provider_name(p)}: pinned clients alone need {care:.0f} care h/week, "
                       f"above its maximum {data.provider_max_weekly_hours[p]:.0f} h")
    return out


def _floors(data: ProblemData, scenario: ScenarioParams) -> list[str]:
    """Sustainability floors that the reachable clients cannot fill, and moves forced beyond the limit."""
    out: list[str] = []
    ok = data.pair_eligible
    # Floors: min viable (without exit) and the loss band.
    reachable_care = np.bincount(data.pair_provider[ok], weights=data.client_care_hours[data.pair_client[ok]],
                                 minlength=data.n_providers)
    for p in range(data.n_providers):
        floors = []
        if scenario.enforce_min_viable and not scenario.allow_provider_exit:
            floors.append(("minimum viable hours", data.provider_min_viable_hours[p]))
        if scenario.max_loss_fraction is not None:
            floors.append((f"the {scenario.max_loss_fraction:.0%} loss limit",
                           (1 - scenario.max_loss_fraction) * data.provider_current_care_hours[p]))
        for what, floor_h in floors:
            if floor_h > reachable_care[p] + 1e-6:
                out.append(f"{data.provider_name(p)} must keep {floor_h:.0f} care h/week ({what}) but the "
                           f"clients it can reach need only {reachable_care[p]:.0f} h")
    if scenario.enforce_min_viable and not scenario.allow_provider_exit:
        floor_total = float(data.provider_min_viable_hours.sum())
        if floor_total > data.client_care_hours.sum() + 1e-6:
            out.append(f"Providers' minimum viable hours add up to {floor_total:.0f} h/week but all clients "
                       f"together need {data.client_care_hours.sum():.0f} care h")
    # Forced moves: current provider no longer eligible.
    if scenario.max_moves is not None:
        cur = data.client_current_provider
        forced = sum(1 for i in np.nonzero(cur >= 0)[0]
                     if (k := data.pair_index(int(i), int(cur[i]))) < 0 or not ok[k])
        if forced > scenario.max_moves:
            out.append(f"{forced} clients must change provider (their provider can no longer serve them) but "
                       f"at most {scenario.max_moves} moves are allowed")
    return out


def _protected_load(data: ProblemData, scenario: ScenarioParams, pools_on: bool) -> list[str]:
    """Protected providers whose current clients alone need more staff hours than they (and pools) have."""
    out = []
    stay = protected_clients(data, scenario)
    cur = data.client_current_provider
    for p in sorted(set(cur[stay].tolist())):
        mine = stay[cur[stay] == p]
        load = float(sum(data.pair_staff_hours[data.pair_index(int(i), p)] for i in mine))
        pool = float(data.pool_weekly_hours[data.pool_members[:, p]].sum()) if pools_on else 0.0
        cap = float(data.provider_weekly_staff_hours[p])
        if load > cap + pool + 1e-6:
            out.append(f"{data.provider_name(p)} is protected: its {len(mine)} current clients stay with it "
                       f"and need {load:.0f} staff h/week, it has {cap:.0f} h (+{pool:.0f} h from pools)")
    return out


def conflicting_families(
    data: ProblemData, scenario: ScenarioParams, time_limit_s: float = 10.0, seed: int = 0
) -> list[str] | None:
    """Names of constraint families that conflict (a small subset, deletion-minimised).

    Returns None when CP-SAT could not decide within the time limit, [] when the instance is feasible.
    """
    am = build_model(data, scenario, diagnostic=True)
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


def diagnose(data: ProblemData, scenario: ScenarioParams, params: SolveParams | None = None) -> list[str]:
    """Sentences explaining infeasibility: arithmetic findings first, then the conflicting rules."""
    out = precheck(data, scenario)
    limit = min(params.time_limit_s if params else 10.0, 20.0)
    fams = conflicting_families(data, scenario, time_limit_s=limit, seed=params.seed if params else 0)
    if fams:
        out.append("These rules cannot all hold together: " + "; ".join(FAMILY_WORDS[f] for f in fams) + ".")
    elif fams is None and not out:
        out.append("No simple reason found within the time limit; try a longer time limit or relax the "
                   "zoning limit, move limit or sustainability rules one at a time.")
    return out


def unmet_reasons(
    data: ProblemData, scenario: ScenarioParams, assignment: np.ndarray, pool_draw_hours: np.ndarray
) -> dict[int, str]:
    """One sentence per unmet client saying why nobody took it."""
    out: dict[int, str] = {}
    unmet = np.nonzero(np.asarray(assignment) < 0)[0]
    if not len(unmet):
        return out
    from solver.validate import provider_loads, zone_providers

    loads = provider_loads(data, assignment)
    spare = data.provider_weekly_staff_hours + pool_draw_hours.sum(axis=(0, 2)) - loads["staff_hours"]
    if scenario.pools_enabled and data.n_pools:
        left = data.pool_weekly_hours - pool_draw_hours.sum(axis=(1, 2))
    served = zone_providers(data, assignment, exempt_pinned=True)
    k_max = scenario.max_providers_per_zone
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
            if scenario.pools_enabled and data.n_pools:
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
                  if scenario.enforce_max_weekly and after[p] > data.provider_max_weekly_hours[p] + 1e-9]
        if len(capped) == len(fits):
            out[i] = "maximum weekly hours: providers with room would exceed their maximum weekly hours"
            continue
        out[i] = ("other rules (sustainability floors, move limit) or cost: serving the client would cost "
                  f"more than the unmet penalty of £{scenario.unmet_penalty_per_hour_gbp:.0f} per care hour")
    return out
