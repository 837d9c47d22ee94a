"""Tiny hand-made instances and a brute-force oracle for the solver tests."""

from __future__ import annotations

import itertools

import numpy as np

from solver import ProblemData, Switches, objective_terms


def tiny(
    hours,
    providers_staff_hours,
    rates,
    travel,  # dict {(client, provider): minutes}
    zones=None,
    n_zones=None,
    visits=None,
    carers=None,
    **kw,
) -> ProblemData:
    n = len(hours)
    zones = [0] * n if zones is None else zones
    pairs = sorted(travel)
    return ProblemData.build(
        client_weekly_hours=hours,
        client_visits_per_week=[1] * n if visits is None else visits,
        client_carers_per_visit=[1] * n if carers is None else carers,
        client_zone=zones,
        provider_weekly_staff_hours=providers_staff_hours,
        provider_hourly_rate_gbp=rates,
        pair_client=[i for i, _ in pairs],
        pair_provider=[p for _, p in pairs],
        pair_travel_minutes=[travel[k] for k in pairs],
        n_zones=max(zones) + 1 if n_zones is None else n_zones,
        staff_cost_per_hour_gbp=12.0,
        mileage_gbp_per_travel_hour=0.0,
        **kw,
    )


def hubbed(
    hours, rates, pairs, hubs, provider_staff_hours=None, band_share=None, n_zones=1, zones=None, **kw
) -> ProblemData:
    """An instance with hubs: ``pairs`` are (client, provider, hub or -1, travel minutes, near) and ``hubs``
    dicts with provider or pool, drivers, non_drivers, week (hours per carer), bands (hours per carer per
    band, default no limit); one visit a week per client, £12 an hour on the road."""
    n, m = len(hours), len(rates)
    bands = 1 if band_share is None else len(band_share[0])
    return ProblemData.build(
        client_weekly_hours=hours,
        client_visits_per_week=[1] * n,
        client_carers_per_visit=[1] * n,
        client_zone=[0] * n if zones is None else zones,
        provider_weekly_staff_hours=[float("inf")] * m
        if provider_staff_hours is None
        else provider_staff_hours,
        provider_hourly_rate_gbp=rates,
        pair_client=[c[0] for c in pairs],
        pair_provider=[c[1] for c in pairs],
        pair_hub=[c[2] for c in pairs],
        pair_travel_minutes=[c[3] for c in pairs],
        pair_near=[c[4] for c in pairs],
        n_zones=n_zones,
        hub_provider=[h.get("provider", -1) for h in hubs],
        hub_pool=[h.get("pool", -1) for h in hubs],
        hub_drivers=[h.get("drivers", 0) for h in hubs],
        hub_non_drivers=[h.get("non_drivers", 0) for h in hubs],
        hub_carer_weekly_hours=[h["week"] for h in hubs],
        hub_carer_band_hours=[h.get("bands", [float("inf")] * bands) for h in hubs],
        client_band_share=band_share,
        staff_cost_per_hour_gbp=12.0,
        mileage_gbp_per_travel_hour=0.0,
        **kw,
    )


def brute_force(data: ProblemData, scenario: Switches) -> tuple[float, np.ndarray | None]:
    """Cheapest feasible solution by enumeration of pairs (validator decides feasibility); returns the
    objective and the provider of each client."""
    from solver.validate import providers_of, validate_choice

    options = []
    for i in range(data.n_clients):
        a, b = data.client_pair_start[i], data.client_pair_start[i + 1]
        opts = [k for k in range(a, b) if data.pair_eligible[k]]
        if scenario.allow_unmet:
            opts.append(-1)
        options.append(opts)
    best, best_a = float("inf"), None
    for combo in itertools.product(*options):
        choice = np.array(combo, dtype=np.int64)
        if validate_choice(data, scenario, choice):
            continue
        obj = sum(objective_terms(data, scenario, choice).values())
        if obj < best - 1e-9:
            best, best_a = obj, providers_of(data, choice)
    return best, best_a


def covers(*rules: str):
    """Mark a test as a hand-computed case of these rules (``tests/solver/test_registry.py`` checks that every
    rule of ``solver.rules.RULES`` has one)."""

    def mark(test):
        test.covers = rules
        return test

    return mark
