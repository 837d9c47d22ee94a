"""Tiny hand-made instances and a brute-force oracle for the solver tests."""

from __future__ import annotations

import itertools

import numpy as np

from solver import ProblemData, Switches, objective_terms, validate_solution


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


def brute_force(data: ProblemData, scenario: Switches) -> tuple[float, np.ndarray | None]:
    """Cheapest feasible assignment by enumeration (validator decides feasibility)."""
    options = []
    for i in range(data.n_clients):
        a, b = data.client_pair_start[i], data.client_pair_start[i + 1]
        opts = [int(data.pair_provider[k]) for k in range(a, b) if data.pair_eligible[k]]
        if scenario.allow_unmet:
            opts.append(-1)
        options.append(opts)
    best, best_a = float("inf"), None
    for combo in itertools.product(*options):
        a = np.array(combo, dtype=np.int64)
        if validate_solution(data, scenario, a):
            continue
        obj = sum(objective_terms(data, scenario, a).values())
        if obj < best - 1e-9:
            best, best_a = obj, a
    return best, best_a


def covers(*rules: str):
    """Mark a test as a hand-computed case of these rules (``tests/solver/test_registry.py`` checks that every
    rule of ``solver.rules.RULES`` has one)."""

    def mark(test):
        test.covers = rules
        return test

    return mark
