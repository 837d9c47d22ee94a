"""The product's defaults for money, the downstream estimate, KPI thresholds, routing and travel: one home.

A scenario file's ``[money]``, ``[downstream]``, ``[kpis]``, ``[routing]``, ``[travel]`` and ``[workforce]``
tables override these; the commands that build a problem without a scenario file (``export-instance``) use
them as they are. Every figure is shown in the report's assumptions, so a commissioner sees which were used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geodata.timebands import TIME_BANDS


def _window_hours() -> dict[str, float]:
    """Hours of each time band's window a day (DOMAIN.md's bands: morning 07:00-10:30, ...)."""
    return {name: (band.end_minutes - band.start_minutes) / 60.0 for name, band in TIME_BANDS.items()}

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


@dataclass(frozen=True)
class WorkforceParams:
    """Carers at hubs: when they can work and how far a carer who does not drive gets (``[workforce]``)."""

    # A carer works this many days a week; in each band at most its window's hours a day.
    working_days_per_week: float = 5.0
    window_hours: dict[str, float] = field(default_factory=_window_hours)
    # A carer who does not drive serves clients within this many minutes' walk or local bus of the hub, on
    # the travel model's roads and paths, no ferry (a short walk in a village).
    non_driver_reach_minutes: float = 20.0
    non_driver_speed_kmh: float = 4.5  # walking pace on the road network's km
    max_hubs_per_pair: int = 2  # a provider serves a client from at most its this-many quickest hubs

    def band_hours_per_carer(self, band: str, weekly_hours: float) -> float:
        """Hours one carer can work in ``band``'s window over a week (never more than its contract)."""
        return min(weekly_hours, self.window_hours[band] * self.working_days_per_week)
