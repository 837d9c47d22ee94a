"""One variant's per-client and per-provider figures, shared by the KPIs and the tables."""

from __future__ import annotations

from typing import Any

import numpy as np


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float | None:
    w = float(np.sum(weights))
    return float(np.sum(values * weights) / w) if w > 0 else None


def variant_facts(outcome, data) -> dict[str, Any]:
    """Per-client and per-provider arrays of one variant, shared by the KPIs and the tables."""
    problem, a = outcome.problem, outcome.assignment
    m = problem.n_providers
    assigned = a >= 0
    care_h = problem.client_care_hours
    visits = problem.client_visits_per_week.astype(float)
    carers = problem.client_carers_per_visit.astype(float)
    minutes = outcome.per_client(problem.pair_travel_minutes, 0.0)
    travel_h = outcome.per_client(problem.pair_travel_hours, 0.0)
    care_cost = outcome.per_client(problem.pair_care_cost_gbp, 0.0)
    travel_cost = outcome.per_client(problem.pair_travel_cost_gbp, 0.0)
    km_visit = outcome.per_client(outcome.index.pair_km, 0.0)  # road km per visit from the client's hub
    km_visit = np.where(assigned & np.isfinite(km_visit), km_visit, 0.0)
    ap = a[assigned]

    def per_provider(values):
        return np.bincount(ap, weights=values[assigned], minlength=m)

    return {
        "assigned": assigned,
        "care_hours": care_h,
        "visits": visits,
        "minutes": minutes,
        "travel_hours": travel_h,
        "care_cost": care_cost,
        "travel_cost": travel_cost,
        "km_week": carers * visits * km_visit,
        "zone": np.array([c.zone for c in data.clients]),
        "remote": np.array([data.zone_by_id[c.zone].remote for c in data.clients], dtype=bool),
        "funder": np.array([c.funder for c in data.clients]),
        "provider_care_hours": per_provider(care_h),
        "provider_clients": np.bincount(ap, minlength=m).astype(int),
        "provider_travel_hours": per_provider(travel_h),
        "provider_revenue": per_provider(care_cost),
        "provider_travel_cost": per_provider(travel_cost),
    }
