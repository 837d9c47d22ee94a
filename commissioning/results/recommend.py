"""The variant a run recommends, by one rule every output states and uses (report headline, provider
views' default variant, workbook).

The rule: among the variants other than today's allocation whose solve ended with an allocation, the one
with the lowest **whole-system weekly cost**: care and travel (``cost_per_week_gbp``) plus the hospital
bed-days that its unmet need is estimated to cause (``delayed_discharge_cost_per_week_gbp``). Unmet need is
priced so that a variant cannot look cheapest by leaving people without care. Ties go to the variant listed
first in the scenario file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RULE = (
    "the lowest whole-system weekly cost: care and travel plus the hospital bed-days its unmet need is "
    "estimated to cause (delayed_discharge_cost_per_week_gbp); ties go to the variant listed first"
)
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
    best = min(candidates, key=lambda v: (costs[v], order.index(v)))
    return Recommendation(best, RULE, costs)


def recommend_from_table(kpi_rows: Sequence[Mapping[str, object]], order: Sequence[str],
                         current: str | None) -> Recommendation:
    """The same from kpis.csv's rows (``kpi`` plus one column per variant)."""
    by_variant: dict[str, dict[str, object]] = {v: {} for v in order}
    for row in kpi_rows:
        for v in order:
            by_variant[v][str(row.get("kpi"))] = row.get(v)
    return recommend(by_variant, order, current)
