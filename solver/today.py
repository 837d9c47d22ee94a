"""Today's allocation as a starting point: a variant whose rules today's allocation (or a repair of it) meets
never ends worse than it.

Two candidates: today as it is (each client with its pinned or current provider, from its current hub;
clients without one unmet), and a repair (today's pairs booked where every rule of the variant admits them,
then every other client placed at the cheapest pair the rules admit, as the greedy fall-back does). The
cheapest that the independent validator passes is the start; when neither passes, the stage records what
today's allocation breaks (the first rule sentences), so the run can say so.
"""

from __future__ import annotations

import numpy as np

from solver.data import ProblemData, Switches
from solver.measures import objective_terms
from solver.placement import Placement
from solver.validate import validate_choice

BROKEN_SHOWN = 5  # rule sentences kept in the stage record


def has_today(data: ProblemData) -> bool:
    return bool(np.any(data.client_current_provider >= 0) or np.any(data.client_pinned_provider >= 0))


def today_choice(data: ProblemData) -> np.ndarray:
    """Each client's pair today (pinned provider first, then current; from its current hub when it has a pair
    from there, else the provider's quickest), -1 without one."""
    d = data
    provider = np.where(d.client_pinned_provider >= 0, d.client_pinned_provider, d.client_current_provider)
    choice = np.full(d.n_clients, -1, dtype=np.int64)
    for i in np.flatnonzero(provider >= 0).tolist():
        p, hub = int(provider[i]), int(d.client_current_hub[i])
        k = d.pair_index(i, p, hub) if hub >= 0 else -1
        k = k if k >= 0 else d.pair_index(i, p)
        choice[i] = k if k >= 0 and d.pair_eligible[k] else -1
    return choice


def repaired_choice(data: ProblemData, switches: Switches, today: np.ndarray) -> np.ndarray:
    """Today's pairs where the rules admit them (largest first), then the rest at their cheapest admitted
    pair (hardest first: fewest options)."""
    pl = Placement(data, switches)
    kept = np.flatnonzero(today >= 0)
    for i in kept[np.argsort(-pl.staff[today[kept]], kind="stable")].tolist():
        k = int(today[i])
        if k in pl.options(i) and pl.admits(i, k):
            pl.place(i, k)
    cost = pl.cost_pence
    rest = np.flatnonzero(pl.choice < 0)
    options = {int(i): pl.options(int(i)) for i in rest}
    for i in sorted(options, key=lambda i: (len(options[i]), i)):
        k = next((k for k in sorted(options[i], key=lambda k: cost[k]) if pl.admits(i, k)), None)
        if k is not None:
            pl.place(i, k)
    return pl.choice.copy()


def today_start(data: ProblemData, switches: Switches) -> tuple[np.ndarray | None, dict]:
    """The cheapest validated candidate (or None) and the stage record."""
    d, s = data, switches
    today = today_choice(d)
    broken = validate_choice(d, s, today)
    stage = {"stage": "today", "status": "FEASIBLE" if not broken else "INFEASIBLE",
             "today_allowed": not broken, "today_broken": broken[:BROKEN_SHOWN],
             "today_broken_count": len(broken)}
    candidates = [today] if not broken else []
    repaired = repaired_choice(d, s, today)
    if not validate_choice(d, s, repaired):
        candidates.append(repaired)
    if not candidates:
        return None, stage
    best = min(candidates, key=lambda c: sum(objective_terms(d, s, c).values()))
    stage["objective_gbp"] = sum(objective_terms(d, s, best).values())
    stage["repaired"] = best is not today
    return best, stage
