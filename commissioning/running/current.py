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
            reasons[i] = _ferries(index, i, index.today_reason[i])  # no hub of its own: the index says why
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
    """Clients served today whom today's provider cannot serve under the model: out of its reach in some
    time band (a bed visit after the last ferry), or needing a skill it does not list. The warning named
    only clients no provider at all could reach (a Gigha client its provider could not reach after the
    last ferry, but others could, was left out) and read "reach" for a missing skill."""
    ids = [c.client_id for c in data.clients]
    reach = [i for i, why in enumerate(index.today_reason) if "cannot reach" in why]
    skills = [i for i, why in enumerate(index.today_reason) if "lacks skills" in why]
    out = []
    if reach:
        nobody = sum(1 for i in reach if index.ineligible_reason[i])
        out.append(
            f"{_clients(len(reach))} served today cannot be reached by their provider in every time band "
            f"under the travel model (e.g. a bed visit after the last ferry): {_shown(ids, reach)}. They are "
            f"unmet in the current variant; {nobody} of them no provider can reach (unmet in every variant), "
            "the others may be placed with another provider. Check their time bands or hubs."
        )
    if skills:
        out.append(
            f"{_clients(len(skills))} served today need skills their provider does not list: "
            f"{_shown(ids, skills)}. They are unmet in the current variant. Fix: add the skill to the "
            "provider's skills in providers.csv if its carers have it, or check the client's needs."
        )
    return out


def _clients(n: int) -> str:
    return f"{n} client{'s' if n != 1 else ''}"


def _shown(ids: list[str], rows: list[int]) -> str:
    return ", ".join(ids[i] for i in rows[:8]) + (" ..." if len(rows) > 8 else "")
