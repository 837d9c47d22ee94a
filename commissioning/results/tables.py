"""The output folder's tables per variant: ``<variant>/allocation.csv``, ``providers.csv`` and
``zones.csv`` (the README's *Output folder* contract columns first, then extras with units in their names).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commissioning.results import schema
from commissioning.results.facts import variant_facts, weighted_mean

ALLOCATION_FILE = "allocation.csv"


def allocation_frame(outcome, data) -> pd.DataFrame:
    """One row per client (all clients, in the data's order): the contract of ``<variant>/allocation.csv``."""
    problem, a = outcome.problem, outcome.assignment
    ids = outcome.index.provider_ids
    assigned = a >= 0
    minutes = outcome.per_client(problem.pair_travel_minutes, np.nan)
    travel_h = outcome.per_client(problem.pair_travel_hours, 0.0)
    from_pool = outcome.per_client(outcome.index.pair_from_pool, False)
    hub = outcome.per_client(problem.pair_hub, -1)
    near = outcome.per_client(problem.pair_near, False)
    hub_ids = outcome.index.hub_ids
    remote = {z.zone_id: z.remote for z in data.zones}
    current = [c.current_provider or "" for c in data.clients]
    provider = [ids[p] if p >= 0 else "" for p in a]
    moved = [
        "yes" if outcome.variant.mode != "current" and cur and prov and prov != cur else "no"
        for cur, prov in zip(current, provider, strict=True)
    ]
    return pd.DataFrame(
        {
            "client_id": [c.client_id for c in data.clients],
            "provider_id": provider,
            "status": np.where(assigned, "assigned", "unmet"),
            "reason": outcome.unmet_reason,
            "zone": [c.zone for c in data.clients],
            "travel_minutes_per_visit": np.round(minutes, 2),
            "moved": moved,
            "current_provider": current,
            "weekly_hours": problem.client_weekly_hours,
            "care_hours_per_week": problem.client_care_hours,
            "visits_per_week": problem.client_visits_per_week,
            "carers_per_visit": problem.client_carers_per_visit,
            "travel_hours_per_week": travel_h,
            "from_pool": np.where(from_pool, "yes", "no"),
            "funder": [c.funder for c in data.clients],
            "remote": ["yes" if remote[c.zone] else "no" for c in data.clients],
            "hub_id": [hub_ids[h] if h >= 0 else "" for h in hub],
            "walking_reach": np.where(assigned, np.where(near, "yes", "no"), ""),
            "exemption": _exemptions(outcome, data, provider, minutes),
        }
    )[schema.names(schema.ALLOCATION)]


OWN_CHOICE = "own choice"
TRAVEL_LIMIT = "travel limit"


def _exemptions(outcome, data, provider: list[str], minutes: np.ndarray) -> list[str]:
    """Why a client's allocation may look as if it breaks a rule: served by the provider it chose (zoning
    leaves such clients out), or by today's provider beyond the travel limit (kept eligible)."""
    limit = outcome.index.max_travel_minutes_per_visit
    out = []
    for client, prov, travel in zip(data.clients, provider, minutes, strict=True):
        if prov and client.pinned and prov == client.current_provider:
            out.append(OWN_CHOICE)
        elif prov and prov == client.current_provider and travel > limit + 1e-6:
            out.append(TRAVEL_LIMIT)
        else:
            out.append("")
    return out


def provider_table(outcomes: dict, data) -> pd.DataFrame:
    """``providers.csv``: per provider and variant, with the change against current (winners and losers)."""
    facts = {name: variant_facts(o, data) for name, o in outcomes.items()}
    current = next((n for n, o in outcomes.items() if o.variant.mode == "current"), None)
    frames = []
    for name, outcome in outcomes.items():
        f = facts[name]
        problem = outcome.problem
        base = facts[current] if current else None
        zones = [set() for _ in data.providers]
        for z, p in zip(f["zone"][f["assigned"]], outcome.assignment[f["assigned"]], strict=True):
            zones[int(p)].add(str(z))
        routed = outcome.routed_travel_hours
        frame = pd.DataFrame(
            {
                "variant": name,
                "provider_id": [p.provider_id for p in data.providers],
                "name": [p.name for p in data.providers],
                "kind": [p.kind for p in data.providers],
                "care_hours": f["provider_care_hours"],
                "clients": f["provider_clients"],
                "travel_hours": f["provider_travel_hours"],
                "revenue_gbp": f["provider_revenue"],
                "travel_hours_per_week_routed": [
                    None if routed is None else routed.get(p.provider_id) for p in data.providers
                ],
                "staff_hours_used_per_week": f["provider_care_hours"] + f["provider_travel_hours"],
                "own_staff_hours_per_week": problem.provider_weekly_staff_hours,
                "pool_hours_drawn_per_week": outcome.provider_pool_hours,
                "travel_cost_gbp_per_week": f["provider_travel_cost"],
                "min_viable_hours_per_week": problem.provider_min_viable_hours,
                "below_min_viable": np.where(
                    (f["provider_care_hours"] > 1e-9)
                    & (f["provider_care_hours"] < problem.provider_min_viable_hours - 1e-9),
                    "yes",
                    "no",
                ),
                "zones_served": [len(z) for z in zones],
            }
        )
        before = base["provider_care_hours"] if base is not None else problem.provider_current_care_hours
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(before > 1e-9, (f["provider_care_hours"] - before) / before * 100.0, np.nan)
        frame.insert(8, "change_hours_vs_current", f["provider_care_hours"] - before)
        frame.insert(9, "change_pct_vs_current", pct)
        if base is not None:
            frame["revenue_change_vs_current_gbp"] = f["provider_revenue"] - base["provider_revenue"]
            frame["clients_change_vs_current"] = f["provider_clients"] - base["provider_clients"]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True).round(4)
    return frame[[c for c in schema.names(schema.PROVIDERS) if c in frame.columns]]


def zone_table(outcomes: dict, data) -> pd.DataFrame:
    """``zones.csv``: per zone and variant: providers, hours, unmet hours, travel per visit."""
    rows = []
    for name, outcome in outcomes.items():
        f = variant_facts(outcome, data)
        ids = outcome.index.provider_ids
        for zone in data.zones:
            sel = f["zone"] == zone.zone_id
            got = sel & f["assigned"]
            hours_by_provider = np.bincount(
                outcome.assignment[got], weights=f["care_hours"][got], minlength=len(ids)
            )
            serving = np.flatnonzero(hours_by_provider > 0)
            assigned_h = float(f["care_hours"][got].sum())
            lead = int(np.argmax(hours_by_provider)) if len(serving) else -1
            rows.append(
                {
                    "variant": name,
                    "zone_id": zone.zone_id,
                    "name": zone.name,
                    "remote": "yes" if zone.remote else "no",
                    "providers": len(serving),
                    "provider_ids": ";".join(ids[p] for p in serving),
                    "care_hours": assigned_h,
                    "unmet_hours": float(f["care_hours"][sel & ~f["assigned"]].sum()),
                    "travel_minutes_per_visit": weighted_mean(f["minutes"][got], f["visits"][got]),
                    "locality": zone.locality or "",
                    "lead_provider": ids[lead] if lead >= 0 else "",
                    "lead_provider_share": hours_by_provider[lead] / assigned_h if lead >= 0 else None,
                    "clients": int(sel.sum()),
                    "clients_assigned": int(got.sum()),
                    "clients_unmet": int((sel & ~f["assigned"]).sum()),
                    "travel_hours_per_week": float(f["travel_hours"][got].sum()),
                }
            )
    return pd.DataFrame(rows, columns=schema.names(schema.ZONES)).round(4)
