"""The variant a run recommends, by one rule every output states and uses (report headline, provider
views' default variant, workbook).

The rule: among the variants other than today's allocation whose solve ended with an allocation, those that
leave the least care unmet (``unmet_hours_per_week``, within :data:`UNMET_SLACK_SHARE` of the care hours
asked), and of them the one with the lowest **whole-system weekly cost**: care, travel and recruiting
(``cost_per_week_gbp``) plus the hospital bed-days that its unmet need is estimated to cause
(``delayed_discharge_cost_per_week_gbp``). Ties go to the variant listed first in the scenario file.

Unmet need comes first because its bed-days alone do not stop a variant from looking cheapest by leaving
people without care: a care hour costs about £25 and only a share of the unmet clients are estimated to be
in hospital, so lead-provider zoning (K = 1) that left 384 of 1,000 clients without care was recommended
as £7,596 a week cheaper than today.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RULE = (
    "of those leaving the least care unmet (within 1 % of the care hours asked), the one with the lowest "
    "whole-system weekly cost: care, travel and recruiting plus the hospital bed-days its unmet need is "
    "estimated to cause (delayed_discharge_cost_per_week_gbp); ties go to the variant listed first"
)
# Unmet care hours within this share of the care hours asked count as the least: a variant leaving a few
# hours more unmet may still be recommended for its cost (the figures beside it say so).
UNMET_SLACK_SHARE = 0.01
# No allocation to recommend; EVALUATED is a today's-allocation variant (compare joins two runs' of them).
NOT_RECOMMENDED = {"INFEASIBLE", "MODEL_INVALID", "UNKNOWN", "ERROR", "EVALUATED"}


@dataclass(frozen=True)
class Recommendation:
    variant: str | None  # None when no variant other than today's has an allocation
    rule: str
    whole_system_cost_gbp_per_week: dict[str, float]  # by variant, today's included


def finite_number(value: object) -> float | None:
    """A table cell or JSON value as a finite float; None for empty, text, NaN or infinity."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def whole_system_cost(values: Mapping[str, object]) -> float | None:
    """Care and travel plus the priced bed-days of unmet need, £/week; None without a cost."""
    cost = finite_number(values.get("cost_per_week_gbp"))
    if cost is None:
        return None
    return cost + (finite_number(values.get("delayed_discharge_cost_per_week_gbp")) or 0.0)


def recommend(kpis_by_variant: Mapping[str, Mapping[str, object]], order: Sequence[str],
              current: str | None) -> Recommendation:
    """``kpis_by_variant``: each variant's KPI values by name (kpis.csv's columns); ``order``: the
    scenario's variant order; ``current``: today's allocation's variant (not recommended)."""
    costs = {v: c for v in order if (c := whole_system_cost(kpis_by_variant.get(v, {}))) is not None}
    candidates = [
        v for v in order
        if v != current and v in costs
        and str(kpis_by_variant.get(v, {}).get("solver_status", "")).upper() not in NOT_RECOMMENDED
    ]
    if not candidates:
        return Recommendation(None, RULE, costs)
    best = min(least_unmet(kpis_by_variant, candidates), key=lambda v: (costs[v], order.index(v)))
    return Recommendation(best, RULE, costs)


def least_unmet(kpis_by_variant: Mapping[str, Mapping[str, object]], candidates: Sequence[str]) -> list[str]:
    """The candidates whose unmet care hours are within :data:`UNMET_SLACK_SHARE` of the care hours asked
    (at least an hour) of the least among them; all of them when a run gives no unmet hours."""
    unmet = {v: finite_number(kpis_by_variant[v].get("unmet_hours_per_week")) for v in candidates}
    if any(u is None for u in unmet.values()):
        return list(candidates)
    asked = max((finite_number(kpis_by_variant[v].get("care_hours_assigned")) or 0.0) + unmet[v]
                for v in candidates)
    least = min(unmet.values())
    return [v for v in candidates if unmet[v] <= least + max(1.0, UNMET_SLACK_SHARE * asked)]


def recommend_from_table(kpi_rows: Sequence[Mapping[str, object]], order: Sequence[str],
                         current: str | None) -> Recommendation:
    """The same from kpis.csv's rows (``kpi`` plus one column per variant)."""
    by_variant: dict[str, dict[str, object]] = {v: {} for v in order}
    for row in kpi_rows:
        for v in order:
            by_variant[v][str(row.get("kpi"))] = row.get(v)
    return recommend(by_variant, order, current)
