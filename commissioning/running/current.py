"""Today's allocation, evaluated rather than optimised (variants with ``mode = "current"``).

Clients with a current provider stay with it; the independent validator (:func:`solver.validate_solution`)
checks capacity, pools and provider limits, and anything today's allocation breaks is reported
(``constraint_violations`` KPI and warnings), never raised. New packages with no current provider are
handled by the variant's ``waiting`` key:

- ``"greedy"`` (the default): spot purchase as it happens today. Largest package first, each goes to the
  eligible provider with the lowest weekly cost (care + travel) that still has own staff hours (and room
  under its maximum weekly hours); packages that fit nowhere stay unmet, "waiting for a provider". This is
  a fair business-as-usual baseline: the optimiser is not credited for placing packages that brokerage
  would have placed anyway.
- ``"unmet"``: today's snapshot: every waiting package is unmet, "waiting for a provider".

A client whose current provider cannot reach it in every time band under the travel model (e.g. a bed
visit on an island after the last ferry) cannot be priced. It is reported unmet with the travel model's
reason in every variant, so variants compare like with like, and a warning says how many.
"""

from __future__ import annotations

import numpy as np

from commissioning.scenario.file import Variant

WAITING_REASON = "waiting for a provider (new package, not yet placed)"


def evaluate_current(variant: Variant, problem, index) -> tuple[np.ndarray, list[str]]:
    """Today's allocation (see the module docstring): ``(assignment, unmet reason per client)``."""
    n = problem.n_clients
    current = np.asarray(problem.client_current_provider, dtype=np.int64)
    assignment = np.full(n, -1, dtype=np.int64)
    reasons = [""] * n
    for i in range(n):
        p = int(current[i])
        if p >= 0 and problem.pair_index(i, p) >= 0:
            assignment[i] = p
        elif p >= 0:
            reasons[i] = (
                f"today's provider {index.provider_ids[p]} cannot reach the client in every time "
                f"band under the travel model: {index.ineligible_reason[i] or 'no route'}"
            )
        else:
            reasons[i] = WAITING_REASON
    waiting = np.flatnonzero(current < 0)
    if variant.waiting == "greedy" and len(waiting):
        _place_waiting_greedily(problem, index, assignment, reasons, waiting)
    return assignment, reasons


def _place_waiting_greedily(problem, index, assignment, reasons, waiting) -> None:
    """Spot purchase: largest package first, to the cheapest eligible provider with own staff hours left."""
    from solver.validate import provider_loads

    loads = provider_loads(problem, assignment)
    staff_left = problem.provider_weekly_staff_hours - loads["staff_hours"]
    care_left = problem.provider_max_weekly_hours - loads["care_hours"]
    order = waiting[np.argsort(-problem.client_care_hours[waiting], kind="stable")]
    for i in order:
        a, b = problem.client_pair_start[i], problem.client_pair_start[i + 1]
        ks = [k for k in range(a, b) if problem.pair_eligible[k]]
        if not ks:
            reasons[i] = f"{WAITING_REASON}: {index.ineligible_reason[i] or 'no eligible provider'}"
            continue
        cost = problem.pair_care_cost_gbp + problem.pair_travel_cost_gbp
        fits = [
            k
            for k in ks
            if staff_left[problem.pair_provider[k]] >= problem.pair_staff_hours[k] - 1e-9
            and care_left[problem.pair_provider[k]] >= problem.client_care_hours[i] - 1e-9
        ]
        if not fits:
            reasons[i] = f"{WAITING_REASON}: no provider that can reach the client has staff hours to spare"
            continue
        k = min(fits, key=lambda k: (cost[k], problem.pair_provider[k]))
        p = int(problem.pair_provider[k])
        assignment[i] = p
        reasons[i] = ""
        staff_left[p] -= problem.pair_staff_hours[k]
        care_left[p] -= problem.client_care_hours[i]


def unreachable_current_warning(data, index) -> list[str]:
    ids = [
        c.client_id
        for c, why in zip(data.clients, index.ineligible_reason, strict=True)
        if why and c.current_provider
    ]
    if not ids:
        return []
    shown = ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else "")
    return [
        f"{len(ids)} client(s) served today cannot be reached in every time band under the travel model "
        f"(e.g. a bed visit after the last ferry): {shown}. They count as unmet in every variant, "
        "including current, so variants compare like with like; check their time bands or hubs."
    ]
