"""The workforce tables of a run: per variant, each hub's carers and how the allocation uses them
(``hubs.csv``), and where to recruit (``recruitment.csv``).

``recruitment.csv`` has two kinds of row. ``recruit``: the carers the optimiser recruited (a variant with
``recruit = true``), by hub, with the band that made them necessary and the weekly cost. ``shortfall``: the
carers that would be needed, beyond those recruited, for the hub to serve the clients left unmet that it
could serve (each at its quickest hub) and, for today's allocation, to deliver what it already serves: the
shortfall behind the unmet need and the broken rules, at the same weekly cost per carer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from commissioning.results import schema

SHORTFALL_SEARCH_CARERS = 300  # most carers a shortfall row looks for at one hub


def _switches(outcome):
    return outcome.variant.solver_switches(outcome.index.provider_ids, outcome.index.zone_ids)


def _recruits(outcome) -> np.ndarray:
    n_hubs = outcome.problem.n_hubs
    return np.zeros((n_hubs, 2)) if outcome.recruits is None else np.asarray(outcome.recruits, dtype=float)


def _owner(outcome, h: int) -> str:
    problem, index = outcome.problem, outcome.index
    p, q = int(problem.hub_provider[h]), int(problem.hub_pool[h])
    return index.provider_ids[p] if p >= 0 else f"pool {index.pool_ids[q]}"


def hub_table(outcomes: dict) -> pd.DataFrame:
    """One row per variant and hub with clients or carers (see ``schema.HUBS``)."""
    from solver.measures import hub_capacity, hub_loads

    frames = []
    for name, outcome in outcomes.items():
        problem, index = outcome.problem, outcome.index
        recruits = _recruits(outcome)
        loads, cap = hub_loads(problem, outcome.pair_of_client), hub_capacity(problem, recruits)
        split = _driver_split(problem, loads, cap)
        clients = (
            np.bincount(
                np.maximum(problem.pair_hub[outcome.pair_of_client[outcome.pair_of_client >= 0]], 0),
                minlength=problem.n_hubs,
            )
            if problem.n_hubs
            else np.zeros(0)
        )
        rows = {
            "variant": name,
            "hub_id": index.hub_ids,
            "owner": [_owner(outcome, h) for h in range(problem.n_hubs)],
            "zone": index.hub_zones,
            "carers": problem.hub_carers,
            "drivers": problem.hub_drivers,
            "non_drivers": problem.hub_non_drivers,
            "clients": clients,
            "staff_hours_available": cap["weekly"],
            "staff_hours_used": loads["band"].sum(axis=1),
            "use_pct": _pct(loads["band"].sum(axis=1), cap["weekly"]),
            "driver_hours_used": split[0],
            "non_driver_hours_used": split[1],
            "recruited_drivers": recruits[:, 0],
            "recruited_non_drivers": recruits[:, 1],
        }
        for b, band in enumerate(problem.band_names or ()):
            rows[f"{band}_hours_used"] = loads["band"][:, b]
            rows[f"{band}_hours_available"] = cap["band"][:, b]
        frames.append(pd.DataFrame(rows))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _rounded(frame)


def _driver_split(problem, loads: dict, cap: dict) -> tuple[np.ndarray, np.ndarray]:
    """Drivers' and non-drivers' hours: non-drivers take what they can within reach, drivers the rest."""
    non = np.minimum(loads["near"], cap["non_driver_band"]).sum(axis=1)
    non = np.minimum(non, cap["non_driver_weekly"])
    return loads["band"].sum(axis=1) - non, non


def _pct(used: np.ndarray, available: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(available > 0, 100.0 * used / available, np.where(used > 0, np.inf, 0.0))


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if frame[column].dtype.kind == "f":
            frame[column] = frame[column].round(1)
    return frame


def recruitment_table(outcomes: dict) -> pd.DataFrame:
    """Where to recruit: the carers each variant recruited and the shortfall behind its unmet need."""
    rows = []
    for name, outcome in outcomes.items():
        if not outcome.problem.n_hubs:
            continue
        switches = _switches(outcome)
        rows += _recruit_rows(name, outcome, switches)
        rows += _shortfall_rows(name, outcome, switches)
    return pd.DataFrame(rows, columns=schema.names(schema.RECRUITMENT))


def recruitment_cost(outcome) -> float:
    """£ a week of the carers ``outcome`` recruited, priced as the objective's recruitment term."""
    from solver.measures import recruitment_cost_gbp

    if outcome.recruits is None or not outcome.problem.n_hubs:
        return 0.0
    return recruitment_cost_gbp(_switches(outcome), _recruits(outcome))


def _row(name, outcome, kind, h, recruits, band, switches, clients, hours) -> dict:
    from solver.measures import recruitment_cost_gbp

    cost = recruitment_cost_gbp(switches, np.asarray(recruits, dtype=float)[None, :])
    return {
        "variant": name,
        "kind": kind,
        "hub_id": outcome.index.hub_ids[h],
        "owner": _owner(outcome, h),
        "zone": outcome.index.hub_zones[h],
        "band": band,
        "drivers": int(recruits[0]),
        "non_drivers": int(recruits[1]),
        "cost_gbp_per_week": round(float(cost), 2),
        "unmet_clients": clients,
        "hours_short": round(float(hours), 2),  # 2: a 3-minute shortfall read "0.0 hours short"
    }


def _recruit_rows(name, outcome, switches) -> list[dict]:
    from solver.measures import hub_capacity, hub_loads, workforce_shortfalls

    recruits = _recruits(outcome)
    hubs = np.flatnonzero(recruits.sum(axis=1) > 0)
    if not len(hubs):
        return []
    problem = outcome.problem
    loads = hub_loads(problem, outcome.pair_of_client)
    short = workforce_shortfalls(loads, hub_capacity(problem))
    return [
        _row(
            name,
            outcome,
            "recruit",
            int(h),
            recruits[h],
            _binding_band(problem, short, int(h)),
            switches,
            0,
            _hours_short(short, int(h)),
        )
        for h in hubs
    ]


def _binding_band(problem, short: dict, h: int) -> str:
    """The band whose visits are furthest beyond the carers (or beyond drivers' reach); "week" when only the
    weekly hours are short."""
    per_band = np.maximum(short["band"][h], short["far"][h])
    if per_band.max() > 1e-6:
        return problem.band_name(int(per_band.argmax()))
    return "week"


def _hours_short(short: dict, h: int) -> float:
    return float(
        max(
            short["weekly"][h],
            np.maximum(short["band"][h], short["far"][h]).sum(),
            short["driver_week"][h] + short["non_driver_week"][h],
        )
    )


def _shortfall_rows(name, outcome, switches) -> list[dict]:
    """The carers each hub would need to serve its unmet clients (at their quickest hub) too."""
    from solver.measures import hub_capacity, hub_loads, hubs_short, workforce_shortfalls

    problem = outcome.problem
    wanted, added = _with_unmet(outcome)
    recruits = _recruits(outcome)
    loads = hub_loads(problem, wanted)
    short = workforce_shortfalls(loads, hub_capacity(problem, recruits))
    rows = []
    unlimited = dataclasses.replace(switches, workforce=True)
    for h in np.flatnonzero(hubs_short(short)):
        h = int(h)
        more = _more_carers(problem, unlimited, loads, recruits, h)
        rows.append(
            _row(
                name,
                outcome,
                "shortfall",
                h,
                more,
                _binding_band(problem, short, h),
                switches,
                int(added[h]),
                _hours_short(short, h),
            )
        )
    return rows


def _more_carers(problem, switches, loads: dict, recruits: np.ndarray, h: int) -> tuple[int, int]:
    """Carers beyond those recruited that hub h needs; drivers alone when the search limit is not enough."""
    from solver.measures import cheapest_recruits

    found = cheapest_recruits(_with_carers(problem, recruits), switches, loads, h, SHORTFALL_SEARCH_CARERS)
    return found if found is not None else (SHORTFALL_SEARCH_CARERS, 0)


def _with_carers(problem, recruits: np.ndarray):
    if not recruits.any():
        return problem
    return dataclasses.replace(
        problem,
        hub_drivers=problem.hub_drivers + recruits[:, 0].astype(int),
        hub_non_drivers=problem.hub_non_drivers + recruits[:, 1].astype(int),
    )


def _with_unmet(outcome) -> tuple[np.ndarray, np.ndarray]:
    """The allocation with each unmet client that some hub could serve added at its quickest own-hub pair;
    and, per hub, how many were added."""
    problem, choice = outcome.problem, outcome.pair_of_client.copy()
    added = np.zeros(problem.n_hubs, dtype=int)
    for i in np.flatnonzero(choice < 0):
        pairs = range(problem.client_pair_start[i], problem.client_pair_start[i + 1])
        ks = [k for k in pairs if problem.pair_eligible[k] and problem.pair_hub[k] >= 0]
        if ks:
            k = min(ks, key=lambda k: (problem.pair_travel_minutes[k], k))
            choice[i] = k
            added[problem.pair_hub[k]] += 1
    return choice, added


WORKFORCE_RULES = ("hub_hours", "band_hours", "drivers")


def broken_rules_table(outcomes: dict) -> pd.DataFrame:
    """Every rule each variant's allocation breaks (today's may; an optimised one never should): the workforce
    rules by hub and band with the hours, the others as the validator words them."""
    rows = []
    for name, outcome in outcomes.items():
        rows += _workforce_breaches(name, outcome)
        for line in outcome.violations:
            rule = line.split(":", 1)[0]
            if rule not in WORKFORCE_RULES:
                rows.append({"variant": name, "rule": rule, "message": line})
    return pd.DataFrame(rows, columns=schema.names(schema.BROKEN_RULES))


def _workforce_breaches(name: str, outcome) -> list[dict]:
    from solver.measures import TOL_HOURS, hub_capacity, hub_loads, workforce_shortfalls

    problem = outcome.problem
    if not problem.n_hubs or not any(line.split(":", 1)[0] in WORKFORCE_RULES for line in outcome.violations):
        return []
    loads = hub_loads(problem, outcome.pair_of_client)
    cap = hub_capacity(problem, _recruits(outcome))
    short = workforce_shortfalls(loads, cap)
    mixed = cap["non_driver_weekly"] > 0  # elsewhere the drivers' conditions are the hub's and band's
    rows = []

    def add(h, rule, band, needed, available, message):
        rows.append(
            {
                "variant": name,
                "rule": rule,
                "hub_id": outcome.index.hub_ids[h],
                "owner": _owner(outcome, h),
                "zone": outcome.index.hub_zones[h],
                "band": band,
                # 2 decimals: today's allocation broke a hub by 3 minutes a week, read "312.0 needed, 312.0
                # available" (312.05 against 312.00)
                "needed_hours": round(float(needed), 2),
                "available_hours": round(float(available), 2),
                "message": message,
            }
        )

    for h in range(problem.n_hubs):
        if short["weekly"][h] > TOL_HOURS:
            add(h, "hub_hours", "week", loads["band"][h].sum(), cap["weekly"][h], "carers' weekly hours")
        for b in range(problem.n_bands):
            band = problem.band_name(b)
            if short["band"][h, b] > TOL_HOURS:
                add(
                    h,
                    "band_hours",
                    band,
                    loads["band"][h, b],
                    cap["band"][h, b],
                    f"carers' hours in the {band} window",
                )
            if short["far"][h, b] > TOL_HOURS and mixed[h]:
                add(
                    h,
                    "drivers",
                    band,
                    loads["far"][h, b],
                    cap["driver_band"][h, b],
                    f"drivers' {band} hours for clients beyond walking reach",
                )
        if short["driver_week"][h] > TOL_HOURS and mixed[h]:
            add(
                h,
                "drivers",
                "week",
                cap["driver_weekly"][h] + short["driver_week"][h],
                cap["driver_weekly"][h],
                "drivers' weekly hours for clients beyond walking reach",
            )
    return rows
