"""Why an allocation cannot be made, in commissioner words.

* :func:`precheck` — arithmetic before solving, each rule's own (:meth:`solver.rules.base.Rule.precheck`):
  clients nobody can serve, zones whose demand exceeds what the providers able to reach them (and the pools
  covering them) have, pinned or protected load beyond capacity, floors that cannot be met, forced moves
  beyond the limit. Each finding is a sentence with the numbers.
* :func:`conflicting_families` — after an INFEASIBLE solve: the model is rebuilt with one enforcement literal
  per constraint family, passed to CP-SAT as assumptions; ``sufficient_assumptions_for_infeasibility`` names
  a conflicting subset, which is then shrunk by deletion (each family dropped in turn, kept if still needed).
* :func:`diagnose` — all of it, with the figures behind the conflict (providers that must keep clients their
  own carers cannot cover, :func:`forced_load`; patches no K providers can serve, :func:`zoning_cover`) and
  the fixes not already in force (lines starting with :data:`FIX`, from :func:`fixes`); :func:`explained`
  turns it into the message a command prints.
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
    """Sentences explaining infeasibility: arithmetic findings first, then the conflicting rules, then the
    fixes not already in force (lines starting with ``FIX``)."""
    out = precheck(data, switches)
    forced = forced_load(data, switches, out)
    out += [line for _, line in forced]
    limit = min(params.time_limit_s if params else 10.0, 20.0)
    fams = conflicting_families(data, switches, time_limit_s=limit, seed=params.seed if params else 0)
    if fams and "zoning" in fams:
        out += zoning_cover(data, switches)
    if fams:
        from solver.rules import RULE_BY_NAME

        words = "; ".join(RULE_BY_NAME[f].words for f in fams)
        out.append(f"These rules cannot all hold together: {words}.")
    elif fams is None and not out:
        out.append("No simple reason found within the time limit; try a longer time limit or relax the "
                   "zoning limit, move limit or sustainability rules one at a time.")
    out += [FIX + line for line in fixes(data, switches, fams or [], [p for p, _ in forced], out)]
    return out


FIX = "Fix: "  # the diagnosis lines that say what to change (each one not already in force)
HUB_RULES = frozenset({"hub_hours", "band_hours", "drivers"})
STAFF_RULES = frozenset({"capacity", "hub_hours", "band_hours", "drivers", "pinned", "protected"})


def explained(diagnosis: list[str]) -> str:
    """The diagnosis as a message: "Why:" and its findings, then "Fix" and the fixes not in force."""
    why = [line for line in diagnosis if not line.startswith(FIX)]
    fixes = [line[len(FIX):] for line in diagnosis if line.startswith(FIX)]
    said = "".join(f"\n  - {line}" for line in why) or "\n  - no simple reason found within the time limit"
    todo = "".join(f"\n  - {line}" for line in fixes) or "\n  - check the data: the lines above say what"
    return f"Why:{said}\nFix (one of these; none is in force now):{todo}"


MAX_COVER_TRIALS = 20_000  # provider sets tried per zone when looking for the fewest that serve it


def zoning_cover(data: ProblemData, switches: Switches) -> list[str]:
    """Zones whose clients (those who did not choose their provider) no K providers can serve between them,
    by skills and reach alone, when every client must be served: the fewest that can, if found quickly."""
    k_max = switches.max_providers_per_zone
    if k_max is None or switches.allow_unmet:
        return []
    ok = data.pair_eligible & ((data.pair_pool < 0) | switches.pools)
    can = np.zeros((data.n_clients, data.n_providers), dtype=bool)
    can[data.pair_client[ok], data.pair_provider[ok]] = True
    protect = ", and protected providers' clients staying" if switches.protect else ""
    out = []
    for z in range(data.n_zones):
        rows = can[(data.client_zone == z) & (data.client_pinned_provider < 0)]
        if not len(rows) or not rows.any(axis=1).all():
            continue  # nobody at all for some client: eligibility's precheck says so
        fewest = _fewest_cover(rows, k_max)
        if fewest is None:
            continue
        least = f"at least {fewest} are needed" if fewest > k_max else f"more than {k_max} are needed"
        out.append(f"Zone {data.zone_label(z)}: no {k_max} provider{'s' if k_max != 1 else ''} can serve all "
                   f"{len(rows)} of its clients who did not choose their provider (their needs, the "
                   f"providers' skills and reach{protect}); {least}, above max_providers_per_zone = {k_max}")
    return out


def _fewest_cover(rows: np.ndarray, k_max: int) -> int | None:
    """None when some ``k_max`` providers serve every row; else the fewest that do (``k_max`` when the search
    gave up first)."""
    import itertools

    providers = np.flatnonzero(rows.any(axis=0))
    trials = 0
    for k in range(k_max, len(providers) + 1):
        for chosen in itertools.combinations(providers, k):
            trials += 1
            if trials > MAX_COVER_TRIALS:
                return None if k == k_max else k_max
            if rows[:, list(chosen)].any(axis=1).all():
                return None if k == k_max else k
    return None


def forced_load(data: ProblemData, switches: Switches, said: list[str] = ()) -> list[tuple[int, str]]:
    """``(provider, sentence)`` for providers whose own carers cannot cover the clients who must stay with
    them: pinned to them (their own choice) or, when every client must be served, able to go nowhere else,
    counting only the clients the pools they draw on cannot take. Providers a line of ``said`` already
    names for their pinned clients are left out."""
    from solver.rules.capacity import provider_supply, staff_supply

    supply = staff_supply(data, switches)
    only_provider = _only_provider(data, switches)
    out = []
    for p in range(data.n_providers):
        name = data.provider_name(p)
        if any(line.startswith(f"{name}: clients pinned") for line in said):
            continue
        pinned = np.flatnonzero(data.client_pinned_provider == p)
        only = np.flatnonzero((only_provider == p) & (data.client_pinned_provider != p))
        cap, pool = provider_supply(data, switches, p, supply)
        need, pooled = _own_hours(data, switches, np.concatenate([pinned, only]), p, pool)
        if need <= cap + 1e-6:
            continue
        who = [f"{_clients(len(pinned))} pinned to it by their own choice"] if len(pinned) else []
        who += [f"{_clients(len(only))} no other provider may serve"] if len(only) else []
        pools = f" (the pools it draws on, {pool:.0f} h/week, cannot take them)" if pooled else ""
        out.append((p, f"{name} must keep {' and '.join(who)}: they need at least {need:.0f} staff h/week "
                       f"(care plus travel) from its own carers{pools}, it has {cap:.0f} h"))
    return out


def _clients(n: int) -> str:
    return f"{n} client{'s' if n != 1 else ''}"


def _only_provider(data: ProblemData, switches: Switches) -> np.ndarray:
    """Each client's one eligible provider when it has exactly one and must be served, else -1."""
    out = np.full(data.n_clients, -1, dtype=np.int64)
    if switches.allow_unmet:
        return out
    ok = data.pair_eligible & ((data.pair_pool < 0) | switches.pools)
    pairs = np.unique(np.stack([data.pair_client[ok], data.pair_provider[ok]]), axis=1)
    clients, counts = np.unique(pairs[0], return_counts=True)
    single = np.isin(pairs[0], clients[counts == 1])
    out[pairs[0][single]] = pairs[1][single]
    return out


def _own_hours(data: ProblemData, switches: Switches, clients, p: int, pool: float) -> tuple[float, bool]:
    """Least staff hours a week p's own carers need for those of ``clients`` no pool of p can take, and
    whether a pool pair was ruled out as too large."""
    need, pooled = 0.0, False
    for i in clients:
        ks = [k for k in data.pairs_of(int(i), p) if data.pair_eligible[k]]
        own = [data.pair_staff_hours[k] for k in ks if data.pair_pool[k] < 0]
        shared = [data.pair_staff_hours[k] for k in ks if data.pair_pool[k] >= 0 and switches.pools]
        if shared and min(shared) <= pool + 1e-6:
            continue  # a pool might serve it
        pooled = pooled or bool(shared)
        need += min(own) if own else 0.0  # no own pair: eligibility's precheck says so
    return need, pooled


def fixes(data: ProblemData, switches: Switches, families: list[str], short: list[int],
          findings: list[str]) -> list[str]:
    """What to change, each not already in force: the switch behind each conflicting rule (with its value
    now), and more staff for the providers ``short`` names."""
    s, fams = switches, set(families)
    staff = bool(short) or bool(fams & STAFF_RULES) or any("staff h/week" in f for f in findings)
    out = []
    if not s.allow_unmet and (staff or "assignment" in fams):
        out.append(f"allow_unmet = true (what does not fit is left unmet, priced at "
                   f"£{s.unmet_penalty_gbp_per_hour:,.0f} per care hour)")
    out += _switch_fixes(data, s, fams)
    if staff:
        out += _staff_fixes(data, s, short, hubs=bool(fams & HUB_RULES) and "capacity" not in fams)
    return out


def _switch_fixes(data: ProblemData, s: Switches, fams: set[str]) -> list[str]:
    names = ", ".join(data.provider_name(p) for p in s.protect)
    wanted = [
        ("zoning", s.max_providers_per_zone is not None,
         f"a larger max_providers_per_zone (now {s.max_providers_per_zone})"),
        ("zoning", bool(getattr(s, "zone_max_providers", ())), "larger per-patch limits on providers"),
        ("continuity", s.max_moves is not None, f"a larger max_moves (now {s.max_moves})"),
        ("protected", bool(s.protect), f"fewer protected providers (protect now: {names})"),
        ("min_viable", s.min_viable,
         "min_viable = false" + ("" if s.allow_provider_exit else ", or allow_provider_exit = true")),
        ("loss_band", s.max_loss_fraction is not None,
         f"a larger max_loss_fraction (now {s.max_loss_fraction})"),
        ("max_weekly", s.max_weekly, "max_weekly = false, or larger max_weekly_hours in providers.csv"),
        ("zone_locks", bool(s.lock_out or s.reserve), "fewer lock_out or reserve entries"),
        ("pools", True, f"a larger max_pool_members (now {s.max_pool_members})"),
    ]
    # protect keeps clients by removing their other pairs, so it binds without being in the conflict
    fams = fams | ({"protected"} if fams else set())
    return [fix for fam, on, fix in wanted if fam in fams and on]


def _staff_fixes(data: ProblemData, s: Switches, short: list[int], hubs: bool) -> list[str]:
    """More staff for the providers short of it; recruits when hubs' carers (not providers' contracted
    hours) bind; the pools when off."""
    # "the providers named above" when none was named above: the fix says where instead
    who = (", ".join(data.provider_name(p) for p in short) if short
           else "the providers and hubs the rules above bind")
    out = [f"more staff hours for {who} (weekly_staff_hours in providers.csv, carers in hubs.csv)"]
    if hubs and s.workforce and not s.recruit and data.n_hubs:
        out.append("recruit = true (hubs may then recruit carers, up to max_recruits in hubs.csv)")
    if not s.pools and data.n_pools:
        out.append("pools = true (shared staff pools add their carers' hours)")
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
    probe = _Probe(data, switches, np.asarray(choice), recruits)
    return {int(i): _unmet_reason(data, switches, state, served, int(i), probe) for i in unmet}


# Checks of "could this client have been placed?" per solution: each one validator call and one objective
# recomputation over all clients (about 5 ms at 1,000 clients), so their number falls with the clients
# (60 at 1,000, 3 at 20,000, none from 60,001); beyond it the reason keeps its hedged words.
MAX_PLACEMENT_PROBES = 60
PLACEMENT_PROBE_CLIENTS = 60_000  # probes × clients a solution may spend
# A saving below this is the pence rounding of the model's objective, not a better allocation.
MIN_PROBE_SAVING_GBP = 0.5


class _Probe:
    """Whether an unmet client could have been served in the solution as it stands: one pair at a time put
    in, checked by the independent validator and priced by the objective recomputed."""

    def __init__(self, data, switches, choice: np.ndarray, recruits: np.ndarray):
        from solver.measures import objective_terms

        self.data, self.switches, self.choice = data, switches, choice
        self.objective = sum(objective_terms(data, switches, choice, recruits).values())
        self.left = min(MAX_PLACEMENT_PROBES, PLACEMENT_PROBE_CLIENTS // max(data.n_clients, 1))

    def saving(self, i: int, k: int) -> float | None:
        """£ a week the objective falls by when pair ``k`` serves client ``i`` and every rule still holds;
        None when a rule breaks, it costs more, or the probes are spent."""
        from solver.measures import least_recruits, objective_terms
        from solver.validate import validate_choice

        if self.left <= 0:
            return None
        self.left -= 1
        trial = self.choice.copy()
        trial[i] = k
        # the carers the trial needs recruited, checked with it (the recruitment budget is a rule too)
        recruits = least_recruits(self.data, self.switches, trial)
        if validate_choice(self.data, self.switches, trial, recruits):
            return None
        saved = self.objective - sum(objective_terms(self.data, self.switches, trial, recruits).values())
        return saved if saved >= MIN_PROBE_SAVING_GBP else None


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
            # the need with it: "25.7 spare" beside a 15.5-h package read as room (travel and carers count)
            spare = max(self.own_spare[p], 0.0)
            return (f"{d.provider_name(p)} has {spare:.1f} staff h/week spare, the client needs "
                    f"{d.pair_staff_hours[k]:.1f} (care and travel, every carer)")
        return self.hub_short(k)


def _unmet_reason(data, switches, state: _Room, served, i: int, probe: _Probe | None = None) -> str:
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
    placed = _search_left(data, probe, i, why, fits, served[z], k_max)
    if placed:
        return placed
    return ("other rules (sustainability floors, move limit, pool members) or cost: serving the client would "
            f"cost more than the unmet penalty of £{switches.unmet_penalty_gbp_per_hour:.0f} per care hour")


def _search_left(data, probe: _Probe | None, i: int, why: dict, fits: list, served: set, k_max) -> str:
    """The reason when the search, not a rule, left client ``i`` unmet: the cheapest pair of a provider with
    room that the zone admits passes every rule and lowers the objective ("" when none is found)."""
    if probe is None:
        return ""
    open_ = k_max is None or len(served) < k_max
    ks = [k for k, w in why.items() if not w and (open_ or int(data.pair_provider[k]) in served)]
    for k in sorted(ks, key=lambda k: float(data.pair_care_cost_gbp[k] + data.pair_travel_cost_gbp[k]))[:2]:
        saved = probe.saving(i, k)
        if saved is not None:
            who = data.provider_name(int(data.pair_provider[k]))
            hub = f" from {data.hub_name(int(data.pair_hub[k]))}" if data.pair_hub[k] >= 0 else ""
            return (f"the search ended before placing the client: {who}{hub} could serve it within every "
                    f"rule, £{saved:,.0f} a week better than leaving it unmet (a longer time limit may place "
                    "it)")
    return ""
