"""The product's defaults for money, the downstream estimate, KPI thresholds, routing and travel: one home.

A scenario file's ``[money]``, ``[downstream]``, ``[kpis]``, ``[routing]`` and ``[travel]`` tables override
these; the commands that build a problem without a scenario file (``export-instance``) use them as they
are. Every figure is shown in the report's assumptions, so a commissioner sees which were used.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT = 75.0  # one way, hub to client: longer pairs are not eligible
DEFAULT_UNMET_PENALTY_GBP_PER_HOUR = 1000.0  # far above any care rate: unmet need is the last resort
DEFAULT_MOVE_PENALTY_GBP = 0.0  # per client moved to another provider (continuity)


@dataclass(frozen=True)
class MoneyParams:
    """Prices that turn hours into pounds (all per week)."""

    staff_cost_per_hour_gbp: float = 13.50  # carer's loaded pay for time on the road
    mileage_gbp_per_travel_hour: float = 9.00  # 0.45 GBP/mile at an average 20 mph on rural roads
    bed_day_cost_gbp: float = 250.0  # unconfirmed (DOMAIN.md): a parameter, shown in every output


@dataclass(frozen=True)
class DownstreamParams:
    """The delayed-discharge estimate from unmet care hours (unconfirmed parameters)."""

    share_of_unmet_clients_in_hospital: float = 0.25  # unconfirmed
    bed_days_per_week_per_client_in_hospital: float = 7.0


@dataclass(frozen=True)
class KpiParams:
    """Thresholds of the "spare capacity nearby" KPI."""

    nearby_minutes_per_visit: float = 30.0
    spare_staff_hours_per_week: float = 10.0


@dataclass(frozen=True)
class RoutingParams:
    """Chained-run travel (OR-Tools routing) after the solves."""

    enabled: bool = True
    time_limit_s: float = 0.2
