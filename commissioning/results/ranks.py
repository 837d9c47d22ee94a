"""Ranked zoning in the outputs: ``ranks.csv`` (per ranked variant, patch and rank: who holds the rank, its
care hours, its share of the patch against its target and the deviation with its cost), the zoning limit a
variant sets, and the words that describe ranked zoning ("ranked zoning: lead 60 %, second 25 %, third 15 %").

The figures are the solver's own (:func:`solver.measures.share_table`: the cheapest ranking of the
allocation, care minutes per client rounded down, deviations rounded up to the minute, clients who chose their
provider left out), so the deviation costs of a variant add up to its objective's ``shares`` term.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from commissioning.results import schema

RANK_WORDS = ("lead", "second", "third", "fourth")
RANKS_FILE = "ranks.csv"


def rank_word(rank: int) -> str:
    """The word for rank ``rank`` (1 = lead)."""
    return RANK_WORDS[rank - 1] if 1 <= rank <= len(RANK_WORDS) else f"rank {rank}"


def percent(share: float) -> str:
    """A share as a commissioner writes it: 0.6 -> "60 %", 0.125 -> "12.5 %"."""
    return f"{round(float(share) * 100, 1):g} %"


def shares_words(shares: Sequence[float]) -> str:
    """``"lead 60 %, second 25 %, third 15 %"``; empty: ``""``."""
    return ", ".join(f"{rank_word(j + 1)} {percent(s)}" for j, s in enumerate(shares))


def ranked_words(shares: Sequence[float]) -> str:
    """``"ranked zoning: lead 60 %, second 25 %, third 15 %"``."""
    return f"ranked zoning: {shares_words(shares)}"


def is_ranked(variant) -> bool:
    """A variant with ranked zoning (a ``zoned`` variant with ``ranked_shares``)."""
    return variant.mode == "zoned" and bool(variant.ranked_shares)


def settings_shares(values: object) -> list[float]:
    """A variant's ranked shares from its settings as kpis.json's assumptions hold them, lead first; empty
    unless it is a zoned variant with ranked zoning."""
    if not isinstance(values, dict) or values.get("mode", "zoned") != "zoned":
        return []
    shares = values.get("ranked_shares")
    if not isinstance(shares, list | tuple) or not all(isinstance(x, int | float) for x in shares):
        return []
    return [float(x) for x in shares]


def limit_words(shares: Sequence[float]) -> str:
    """A ranked variant's zoning limit as the parameters tables show it."""
    return f"{len(shares)} (one per rank)"


def zoning_limit(variant) -> int | None:
    """The most providers per patch a variant allows: the number of ranks under ranked zoning, else its
    ``max_providers_per_zone``; None without zoning."""
    if variant.mode != "zoned":
        return None
    if variant.ranked_shares:
        return len(variant.ranked_shares)
    return variant.max_providers_per_zone


def rank_table(outcomes: dict, data) -> pd.DataFrame | None:
    """``ranks.csv``: one row per ranked variant, ranked patch and rank (see ``schema.RANKS``); None when no
    variant is ranked."""
    frames = [_variant_ranks(name, o, data) for name, o in outcomes.items() if is_ranked(o.variant)]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)[schema.names(schema.RANKS)]


def _variant_ranks(name: str, outcome, data) -> pd.DataFrame:
    from solver.measures import penalty_pence_per_minute, share_table

    index = outcome.index
    switches = outcome.variant.solver_switches(index.provider_ids, index.zone_ids)
    pence = penalty_pence_per_minute(switches)
    names = {z.zone_id: z.name for z in data.zones}
    rows = []
    for row in share_table(outcome.problem, switches, outcome.pair_of_client):
        zone_id, p = index.zone_ids[row["zone"]], row["provider"]
        minutes = round(row["deviation_hours"] * 60)
        rows.append({
            "variant": name,
            "zone_id": zone_id,
            "name": names.get(zone_id, zone_id),
            "rank": row["rank"],
            "role": rank_word(row["rank"]),
            "provider_id": index.provider_ids[p] if p >= 0 else "",
            "care_hours": round(row["care_hours"], 4),
            "share": round(row["share"], 4),
            "target_share": row["target_share"],
            "deviation_hours": round(row["deviation_hours"], 4),
            "deviation_cost_gbp_per_week": round(minutes * pence / 100.0, 2),
        })
    return pd.DataFrame(rows, columns=schema.names(schema.RANKS))
