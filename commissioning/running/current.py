"""Today's allocation, evaluated rather than optimised (variants with ``mode = "current"``).

Clients with a current provider stay with it, served from its quickest hub; the independent validator
(:func:`solver.validate_choice`) checks capacity, hubs' weekly and band hours, drivers, pools and provider
limits, and anything today's allocation breaks is reported by hub and band
(``constraint_violations`` KPI and warnings), never raised. New packages with no current provider are
handled by the variant's ``waiting`` key:

- ``"greedy"`` (the default): spot purchase as it happens today. Largest package first, each goes to the
  eligible provider and hub with the lowest weekly cost (care + travel) whose carers still have room in the
  package's bands (and room under the provider's maximum weekly hours); packages that fit nowhere stay unmet,
  "waiting for a provider". This is a fair business-as-usual baseline: the optimiser is not credited for
  placing packages that brokerage would have placed anyway.
- ``"unmet"``: today's snapshot: every waiting package is unmet, "waiting for a provider".

A client whose current provider cannot reach it in every time band under the travel model (e.g. a bed
visit on an island after the last ferry) cannot be priced. It is reported unmet with the travel model's
reason in every variant, so variants compare like with like, and a warning says how many.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from commissioning.scenario.file import Variant

WAITING_REASON = "waiting for a provider (new package, not yet placed)"


def evaluate_current(variant: Variant, problem, index, switches) -> tuple[np.ndarray, list[str]]:
    """Today's allocation (see the module docstring): ``(choice, unmet reason per client)``: each client
    served by its provider from its current hub (the provider's quickest)."""
    from solver.placement import Placement

    n = problem.n_clients
    current = np.asarray(problem.client_current_provider, dtype=np.int64)
    # Spot purchase books today's clients first, whatever rules they break, then admits only what fits.
    pl = Placement(problem, dataclasses.replace(switches, recruit=False, max_providers_per_zone=None))
    reasons = [""] * n
    for i in range(n):
        p = int(current[i])
        k = problem.pair_index(i, p, int(problem.client_current_hub[i])) if p >= 0 else -1
        if k >= 0:
            pl.place(i, k)
        elif p >= 0:
            reasons[i] = (
                f"today's provider {index.provider_ids[p]} cannot reach the client in every time "
                f"band under the travel model: {_ferries(index, i, index.ineligible_reason[i] or 'no route')}"
            )
        else:
            reasons[i] = WAITING_REASON
    waiting = np.flatnonzero(current < 0)
    if variant.waiting == "greedy" and len(waiting):
        _place_waiting_greedily(problem, index, pl, reasons, waiting)
    return pl.choice.copy(), reasons


def _ferries(index, i: int, why: str) -> str:
    """``why`` with the ferries a what-if takes out when they cut client ``i`` off from today's provider (the
    README promises it; it read "no route"); not for a client its provider could not reach without them."""
    cut = index.ferries_cut[i] if i < len(index.ferries_cut) else ""
    if not cut or "ferries out" in why:
        return why
    return f"{why} (ferries out in this variant: {cut})"


def _place_waiting_greedily(problem, index, pl, reasons, waiting) -> None:
    """Spot purchase: largest package first, to the cheapest eligible provider (and hub) with room: its own
    staff hours, its hub's carers' hours in each of the client's bands and, beyond walking reach, drivers."""
    order = waiting[np.argsort(-problem.client_care_hours[waiting], kind="stable")]
    cost = problem.pair_care_cost_gbp + problem.pair_travel_cost_gbp
    for i in order:
        i = int(i)
        ks = pl.options(i)
        if not ks:
            reasons[i] = f"{WAITING_REASON}: {index.ineligible_reason[i] or 'no eligible provider'}"
            continue
        fits = [k for k in ks if problem.pair_pool[k] < 0 and pl.admits(i, k)]
        if not fits:
            reasons[i] = f"{WAITING_REASON}: no provider that can reach the client has carers to spare"
            continue
        k = min(fits, key=lambda k: (cost[k], problem.pair_provider[k], problem.pair_hub[k]))
        pl.place(i, k)
        reasons[i] = ""


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
