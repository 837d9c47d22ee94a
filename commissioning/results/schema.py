"""The output schema, declared once: every KPI (label, unit, group among the four Es, level, meaning) and
every column of every table of the output folder (label, unit, meaning). ``kpis.json``, ``kpis.csv``, the
tables, the workbook, the report, the maps and the provider view read their names, labels and units from
here.

Conventions: hours are per week; "care hours" are billable hours (weekly hours × carers per visit); travel is
priced one way per visit from the provider's hub (or a pool's local base), for every carer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    blurb: str


# The four Es of value for money, then the estimates a board also needs.
GROUPS: tuple[Group, ...] = (
    Group("economy", "Economy", "what the care costs — inputs bought at the right price"),
    Group("efficiency", "Efficiency", "how much of the paid time becomes care — travel is the main loss"),
    Group(
        "effectiveness",
        "Effectiveness",
        "whether people get the care they were assessed for, and keep their carers",
    ),
    Group("equity", "Equity", "whether remote and island patches are served as well as the towns"),
    Group(
        "downstream",
        "Downstream (estimate)",
        "hospital bed-days implied by unmet care at home — savings "
        "that land elsewhere and otherwise go uncounted",
    ),
    Group(
        "funding",
        "Funding split",
        "who pays: the council's and the NHS board's contributions to the pooled budget",
    ),
)
GROUP_KEYS = tuple(g.key for g in GROUPS)
LEVELS = ("input", "output", "outcome")


@dataclass(frozen=True)
class Kpi:
    name: str  # carries the unit
    group: str  # one of GROUP_KEYS
    level: str  # one of LEVELS
    unit: str
    label: str  # what a board reads
    description: str  # how it is computed


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "care_cost_per_week_gbp",
        "economy",
        "input",
        "GBP/week",
        "Care cost per week",
        "provider's hourly rate × care hours",
    ),
    Kpi(
        "travel_cost_per_week_gbp",
        "economy",
        "input",
        "GBP/week",
        "Travel cost per week",
        "travel hours × (staff cost per hour + mileage per travel hour)",
    ),
    Kpi(
        "recruitment_cost_per_week_gbp",
        "economy",
        "input",
        "GBP/week",
        "Recruitment cost per week",
        "carers recruited × the variant's weekly cost per driver or non-driver (0 without recruit = true)",
    ),
    Kpi(
        "cost_per_week_gbp", "economy", "input", "GBP/week", "Total cost per week",
        "care cost + travel cost + recruitment cost",
    ),
    Kpi(
        "cost_per_care_hour_gbp",
        "economy",
        "input",
        "GBP/hour",
        "Cost per care hour",
        "cost per week ÷ care hours assigned",
    ),
    Kpi(
        "care_hours_assigned",
        "efficiency",
        "output",
        "hours/week",
        "Care hours delivered per week",
        "billable care hours delivered",
    ),
    Kpi(
        "travel_hours_per_week",
        "efficiency",
        "input",
        "hours/week",
        "Travel hours per week (priced per visit from the hub)",
        "carers' travel, one way per visit from the hub (as priced by the optimiser)",
    ),
    Kpi(
        "travel_hours_per_week_routed",
        "efficiency",
        "input",
        "hours/week",
        "Travel hours per week (carers' chained runs)",
        "carers' travel when each provider's visits are chained into runs per time band (OR-Tools "
        "routing); empty when routing is not available",
    ),
    Kpi(
        "travel_hours_per_week_per_visit_typical_day",
        "efficiency",
        "input",
        "hours/week",
        "Travel hours per week, per-visit pricing on the routed day",
        "the optimiser's per-visit pricing (one way from the nearest hub) on the routed typical day: "
        "compare with travel_hours_per_week_routed like for like",
    ),
    Kpi(
        "routing_unrouted_visits_per_day",
        "efficiency",
        "output",
        "visits/day",
        "Visits a day the routing could not place",
        "visits of the typical day no run could include (e.g. after the last ferry)",
    ),
    Kpi(
        "travel_share_of_paid_staff_time",
        "efficiency",
        "input",
        "share 0-1",
        "Share of paid staff time spent travelling",
        "travel hours ÷ (care hours + travel hours)",
    ),
    Kpi(
        "km_per_week",
        "efficiency",
        "input",
        "km/week",
        "Distance driven per week",
        "road km driven, one way per visit, every carer",
    ),
    Kpi(
        "travel_minutes_per_visit_mean",
        "efficiency",
        "output",
        "minutes/visit",
        "Mean travel per visit",
        "mean travel per visit, weighted by visits",
    ),
    Kpi(
        "clients_total",
        "effectiveness",
        "output",
        "clients",
        "Clients assessed",
        "care packages in the scenario",
    ),
    Kpi(
        "clients_assigned", "effectiveness", "output", "clients", "Clients served", "packages with a provider"
    ),
    Kpi(
        "clients_unmet",
        "effectiveness",
        "outcome",
        "clients",
        "Clients unmet (no provider)",
        "packages with no provider",
    ),
    Kpi(
        "unmet_hours_per_week",
        "effectiveness",
        "outcome",
        "hours/week",
        "Unmet care hours per week",
        "care hours of unmet packages",
    ),
    Kpi(
        "clients_moved",
        "effectiveness",
        "outcome",
        "clients",
        "Clients moved to a new provider",
        "clients served by a different provider than today (continuity lost)",
    ),
    Kpi(
        "clients_losing_provider_unmet",
        "effectiveness",
        "outcome",
        "clients",
        "Clients losing today's provider, left unmet",
        "clients with a provider today whom the variant leaves unmet (continuity lost too: the move penalty "
        "counts them with the clients moved)",
    ),
    Kpi(
        "clients_losing_provider_unmet_today_too",
        "effectiveness",
        "outcome",
        "clients",
        "Of them, unmet today too",
        "of the clients losing today's provider and left unmet, those today's provider cannot serve under "
        "the model either (out of its reach in a time band, or needing a skill it does not list): unmet in "
        "today's allocation too",
    ),
    Kpi(
        "longest_travel_minutes_per_visit",
        "effectiveness",
        "output",
        "minutes/visit",
        "Longest travel per visit",
        "the longest travel per visit to any assigned client",
    ),
    Kpi(
        "remote_patches_with_spare_capacity_nearby",
        "effectiveness",
        "outcome",
        "patches",
        "Remote patches with spare capacity nearby",
        "remote patches where a provider with spare staff hours (see parameters.kpis) is within the "
        "nearby travel per visit (median to the patch's clients)",
    ),
    Kpi(
        "remote_patches",
        "effectiveness",
        "output",
        "patches",
        "Remote patches with clients",
        "remote patches with clients",
    ),
    Kpi(
        "constraint_violations",
        "effectiveness",
        "outcome",
        "count",
        "Rules broken",
        "constraints the allocation breaks (capacity, zoning, ...): today's allocation may break some",
    ),
    Kpi(
        "travel_minutes_per_visit_remote",
        "equity",
        "output",
        "minutes/visit",
        "Mean travel per visit, remote patches",
        "mean travel per visit to clients in remote patches",
    ),
    Kpi(
        "travel_minutes_per_visit_towns",
        "equity",
        "output",
        "minutes/visit",
        "Mean travel per visit, other patches",
        "mean travel per visit to clients in other patches",
    ),
    Kpi(
        "unmet_share_of_hours_remote",
        "equity",
        "outcome",
        "share 0-1",
        "Share of care hours unmet, remote patches",
        "unmet care hours ÷ care hours needed, remote patches",
    ),
    Kpi(
        "unmet_share_of_hours_towns",
        "equity",
        "outcome",
        "share 0-1",
        "Share of care hours unmet, other patches",
        "unmet care hours ÷ care hours needed, other patches",
    ),
    Kpi(
        "max_providers_per_zone",
        "equity",
        "output",
        "providers",
        "Most providers in one patch",
        "most providers serving any one patch (clients' own choices included)",
    ),
    Kpi(
        "max_providers_per_zone_excluding_own_choice",
        "equity",
        "output",
        "providers",
        "Most providers in one patch, clients' own choices aside",
        "most providers serving one patch's clients who did not choose their provider (what K limits)",
    ),
    Kpi(
        "providers_per_zone_mean",
        "equity",
        "output",
        "providers",
        "Providers per patch (mean)",
        "mean providers per patch with clients",
    ),
    Kpi(
        "zoning_limit_providers_per_zone",
        "equity",
        "input",
        "providers",
        "Zoning limit (K)",
        "the variant's zoning limit K; ranked zoning: the number of ranks (empty: no zoning)",
    ),
    Kpi(
        "provider_concentration_hhi",
        "equity",
        "output",
        "index 0-10000",
        "Market concentration (HHI)",
        "Herfindahl-Hirschman index of providers' shares of care hours",
    ),
    Kpi(
        "largest_provider_loss_percent",
        "equity",
        "outcome",
        "percent",
        "Largest loss of hours by one provider",
        "the largest fall in a provider's care hours against current",
    ),
    Kpi(
        "providers_below_min_viable",
        "equity",
        "outcome",
        "providers",
        "Providers below their minimum viable hours",
        "providers with work but below their minimum viable hours",
    ),
    Kpi(
        "delayed_discharge_bed_days_per_week",
        "downstream",
        "outcome",
        "bed-days/week",
        "Delayed-discharge bed-days per week (estimate)",
        "unmet care hours ÷ mean care hours of a package (assumptions.downstream) × share in hospital"
        " × bed-days per week per such client (estimate)",
    ),
    Kpi(
        "delayed_discharge_cost_per_week_gbp",
        "downstream",
        "outcome",
        "GBP/week",
        "Delayed-discharge cost per week (estimate)",
        "delayed-discharge bed-days × bed-day cost (estimate; bed-day cost unconfirmed)",
    ),
    Kpi(
        "delayed_discharge_bed_days_per_week_change_vs_current",
        "downstream",
        "outcome",
        "bed-days/week",
        "Change in bed-days per week against current",
        "against current; negative = bed-days saved",
    ),
    Kpi(
        "delayed_discharge_cost_per_week_change_vs_current_gbp",
        "downstream",
        "outcome",
        "GBP/week",
        "Change in bed-day cost per week against current",
        "against current; negative = hospital cost avoided",
    ),
    Kpi(
        "cost_per_week_change_vs_current_gbp",
        "economy",
        "input",
        "GBP/week",
        "Change in cost per week against current",
        "care and travel cost against current; negative = saving",
    ),
    Kpi(
        "travel_hours_per_week_change_vs_current",
        "efficiency",
        "input",
        "hours/week",
        "Change in travel hours per week against current",
        "travel hours against current; negative = less travel",
    ),
    Kpi(
        "cost_council_per_week_gbp",
        "funding",
        "input",
        "GBP/week",
        "Council's cost per week",
        "care and travel cost of council-funded packages (pooled budget contribution)",
    ),
    Kpi(
        "cost_nhs_per_week_gbp",
        "funding",
        "input",
        "GBP/week",
        "NHS board's cost per week",
        "care and travel cost of NHS-funded packages (pooled budget contribution)",
    ),
    Kpi(
        "council_share_of_cost",
        "funding",
        "input",
        "share 0-1",
        "Council's share of the cost",
        "council's share of the weekly care and travel cost",
    ),
)
KPI_BY_NAME = {k.name: k for k in KPIS}
SOLVER_FIELDS = ("status", "objective", "bound", "gap", "seconds")  # kpis.csv's solver rows, after the KPIs
SOLVER_UNITS = {
    "status": "",
    "objective": "GBP/week",
    "bound": "GBP/week",
    "gap": "share 0-1",
    "seconds": "s",
}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    unit: str
    description: str


def _columns(*rows: tuple[str, str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in rows)


# <variant>/allocation.csv: one row per client, every client in every variant (the README's contract first).
ALLOCATION = _columns(
    ("client_id", "Client", "", "the package's reference"),
    ("provider_id", "Provider", "", "the provider serving the client; empty if unmet"),
    ("status", "Status", "", "assigned or unmet"),
    ("reason", "Why unmet", "", "why nobody serves the client (empty if assigned)"),
    ("zone", "Patch", "", "the patch the client lives in"),
    ("travel_minutes_per_visit", "Travel per visit", "minutes", "one way from the hub, mean over the bands"),
    ("moved", "Moved", "", "yes when the client changes provider against today"),
    ("weekly_hours", "Assessed hours", "hours/week", "assessed care time (one carer)"),
    ("visits_per_week", "Visits", "visits/week", "visits per week"),
    ("carers_per_visit", "Carers per visit", "", "2 for a double-up visit"),
    ("funder", "Funder", "", "council or nhs"),
    ("current_provider", "Today's provider", "", "the provider serving the client today"),
    ("care_hours_per_week", "Care hours", "hours/week", "billable: assessed hours × carers per visit"),
    ("travel_hours_per_week", "Travel hours", "hours/week", "carers' travel for this client"),
    ("from_pool", "From a pool", "", "yes when served from a shared pool's hub"),
    ("remote", "Remote patch", "", "yes for a remote or island patch"),
    ("hub_id", "Hub", "", "the hub whose carers serve the client (empty if unmet)"),
    ("walking_reach", "Within walking reach", "", "yes when carers who do not drive can reach the client"),
    ("exemption", "Exempt", "",
     "own choice: served by the provider the client chose, exempt from zoning; travel limit: today's "
     "provider kept beyond max_travel_minutes_per_visit; empty otherwise"),
)

# providers.csv: per variant and provider (winners and losers against today).
PROVIDERS = _columns(
    ("variant", "Variant", "", ""),
    ("provider_id", "Provider", "", ""),
    ("name", "Name", "", ""),
    ("kind", "Sector", "", "national, independent, third_sector or in_house"),
    ("care_hours", "Care hours", "hours/week", "billable care hours"),
    ("clients", "Clients", "clients", ""),
    ("travel_hours", "Travel hours", "hours/week", "priced per visit from the hub"),
    ("revenue_gbp", "Revenue", "GBP/week", "rate × care hours"),
    ("change_hours_vs_current", "Change in care hours", "hours/week", "against today"),
    ("change_pct_vs_current", "Change in care hours", "percent", "against today"),
    ("travel_hours_per_week_routed", "Travel hours, chained runs", "hours/week", "routed typical day × 7"),
    ("staff_hours_used_per_week", "Staff hours used", "hours/week", "care + travel"),
    ("own_staff_hours_per_week", "Own staff hours", "hours/week", "the provider's paid staff hours"),
    ("pool_hours_drawn_per_week", "Pool hours drawn", "hours/week", "from shared staff pools"),
    ("travel_cost_gbp_per_week", "Travel cost", "GBP/week", ""),
    ("min_viable_hours_per_week", "Minimum viable hours", "hours/week", ""),
    ("below_min_viable", "Below minimum viable", "", "yes when serving some clients but fewer hours"),
    ("zones_served", "Patches served", "patches", ""),
    ("revenue_change_vs_current_gbp", "Change in revenue", "GBP/week", "against today"),
    ("clients_change_vs_current", "Change in clients", "clients", "against today"),
)

# zones.csv: per variant and patch.
ZONES = _columns(
    ("variant", "Variant", "", ""),
    ("zone_id", "Patch", "", ""),
    ("name", "Name", "", ""),
    ("remote", "Remote", "", "yes for a remote or island patch"),
    ("providers", "Providers", "providers", "providers serving the patch"),
    ("provider_ids", "Provider ids", "", "; between ids"),
    ("care_hours", "Care hours", "hours/week", "billable care hours served"),
    ("unmet_hours", "Unmet care hours", "hours/week", "billable care hours unmet"),
    ("travel_minutes_per_visit", "Travel per visit", "minutes", "mean, weighted by visits"),
    ("locality", "Locality", "", "HSCP locality"),
    ("lead_provider", "Lead provider", "", "the provider with most care hours in the patch"),
    ("lead_provider_share", "Lead provider's share", "share 0-1", "of the patch's care hours served"),
    ("clients", "Clients", "clients", ""),
    ("clients_assigned", "Clients served", "clients", ""),
    ("clients_unmet", "Clients unmet", "clients", ""),
    ("travel_hours_per_week", "Travel hours", "hours/week", ""),
)

# ranks.csv: per ranked variant (ranked_shares), patch and rank: the solver's cheapest ranking of the
# allocation.
RANKS = _columns(
    ("variant", "Variant", "", ""),
    ("zone_id", "Patch", "", ""),
    ("name", "Name", "", ""),
    ("rank", "Rank", "", "1 = lead, 2 = second, ..."),
    ("role", "Role", "", "lead, second, third or fourth"),
    ("provider_id", "Provider", "", "the provider holding the rank; empty: nobody"),
    ("care_hours", "Care hours", "hours/week",
     "billable care hours of the rank's provider in the patch, clients' own choices aside (whole minutes "
     "per client, rounded down)"),
    ("share", "Share", "share 0-1", "of the patch's care hours, clients' own choices aside"),
    ("target_share", "Target share", "share 0-1", "the rank's share in ranked_shares"),
    ("deviation_hours", "Deviation", "hours/week",
     "how far the care hours are from the target share of the patch (rounded up to the minute)"),
    ("deviation_cost_gbp_per_week", "Deviation cost", "GBP/week",
     "deviation × share_penalty_gbp_per_hour (whole pence a minute); a variant's rows add up to its "
     "objective's shares term"),
)

# hubs.csv: per variant and hub, the carers and how the allocation uses them (hours a week).
HUBS = _columns(
    ("variant", "Variant", "", ""),
    ("hub_id", "Hub", "", ""),
    ("owner", "Provider or pool", "", "whose carers they are"),
    ("zone", "Patch", "", "the patch the hub lies in"),
    ("carers", "Carers", "carers", "carers living near the hub (hubs.csv), before any recruited"),
    ("drivers", "Drivers", "carers", ""),
    ("non_drivers", "Non-drivers", "carers", "serve only clients within walking reach"),
    ("clients", "Clients", "clients", "clients served from the hub"),
    ("staff_hours_available", "Staff hours available", "hours/week",
     "carers × contracted hours, the carers recruited included"),
    ("staff_hours_used", "Staff hours used", "hours/week", "care + travel from the hub"),
    ("use_pct", "Use", "percent", "used ÷ available"),
    ("driver_hours_used", "Drivers' hours", "hours/week", "what non-drivers cannot take"),
    ("non_driver_hours_used", "Non-drivers' hours", "hours/week", "visits within walking reach"),
    ("recruited_drivers", "Drivers recruited", "carers", ""),
    ("recruited_non_drivers", "Non-drivers recruited", "carers", ""),
)

# recruitment.csv: where to recruit (kind "recruit": done by the optimiser; "shortfall": still needed).
RECRUITMENT = _columns(
    ("variant", "Variant", "", ""),
    ("kind", "Kind", "", "recruit: recruited by the optimiser; shortfall: needed for the unmet need"),
    ("hub_id", "Hub", "", ""),
    ("owner", "Provider or pool", "", ""),
    ("zone", "Patch", "", "the patch the hub lies in"),
    ("band", "Band", "", "the time band furthest short (week: only the weekly hours)"),
    ("drivers", "Drivers", "carers", "carers who drive to recruit"),
    ("non_drivers", "Non-drivers", "carers", "carers who do not drive to recruit"),
    ("cost_gbp_per_week", "Cost", "GBP/week", "at the variant's recruitment cost per carer"),
    ("unmet_clients", "Unmet clients", "clients", "unmet clients this hub could serve"),
    ("hours_short", "Hours short", "hours/week",
     "beyond the hub's carers before recruiting, in all: the most of the weekly hours, every band's hours "
     "together and the drivers' hours short (not the band column's alone)"),
)

# broken_rules.csv: every rule a variant's allocation breaks (today's may), workforce rules by hub and band.
BROKEN_RULES = _columns(
    ("variant", "Variant", "", ""),
    ("rule", "Rule", "", "the rule broken (hub_hours, band_hours, drivers, capacity, ...)"),
    ("hub_id", "Hub", "", "for a workforce rule"),
    ("owner", "Provider or pool", "", ""),
    ("zone", "Patch", "", "the patch the hub lies in"),
    ("band", "Band", "", "the time band (week: the weekly hours)"),
    ("needed_hours", "Needed", "hours/week", "staff hours the allocation asks of the hub's carers"),
    ("available_hours", "Available", "hours/week", "what the carers have"),
    ("message", "What is broken", "", ""),
)

# kpis.csv: one row per KPI (then the solver's figures), one column per variant between family and level.
KPI_TABLE_HEAD = ("kpi", "unit", "family")
KPI_TABLE_TAIL = ("level", "description")


def names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]
