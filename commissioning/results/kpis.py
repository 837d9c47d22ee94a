"""Key performance indicators per variant, by the four Es, plus the downstream and funding estimates.

Every KPI is declared once in :data:`commissioning.results.schema.KPIS` with its group (economy, efficiency,
effectiveness, equity, downstream, funding), its level (input, output or outcome), its unit, its label and
a one-line definition; the name carries the unit. ``kpis.json``, ``kpis.csv``, the workbook and the report
all come from :func:`build_kpis`, so they cannot disagree.

Conventions: hours are per week; "care hours" are billable hours (weekly hours × carers per visit);
travel is priced one way per visit from the provider's hub (or a pool's local base), for every carer,
as in the optimiser; ``cost_per_week_gbp`` = care cost (provider's rate × care hours) + travel cost
(travel hours × (staff cost per hour + mileage per travel hour)) + the weekly cost of the carers recruited.
"Against current" compares with the scenario's ``mode = "current"`` variant (the first, if several).

Delayed discharge (an estimate from unmet care hours; every parameter, the mean package size used and the
formula are in ``assumptions.downstream`` and ``assumptions.money``): equivalent packages waiting = unmet care
hours per week ÷ mean care hours per week of a package in this scenario (all its clients, the same for every
variant); bed-days per week = equivalent packages × share of unmet clients waiting in hospital × bed-days per
week per such client; cost per week = bed-days × bed-day cost (unconfirmed: set your own).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from commissioning import __version__
from commissioning.results.facts import variant_facts, weighted_mean
from commissioning.results.ranks import zoning_limit
from commissioning.results.schema import GROUP_KEYS as GROUPS  # noqa: F401 - tests read them here
from commissioning.results.schema import KPI_TABLE_HEAD, KPI_TABLE_TAIL, KPIS, SOLVER_FIELDS, SOLVER_UNITS
from commissioning.results.workforce import recruitment_cost

DELAYED_DISCHARGE_FORMULA = (
    "bed-days per week = unmet care hours per week ÷ mean_care_hours_per_package_per_week × "
    "share_of_unmet_clients_in_hospital × bed_days_per_week_per_client_in_hospital; "
    "cost per week = bed-days per week × bed_day_cost_gbp"
)


def _ratio(a: float, b: float) -> float | None:
    return float(a / b) if b > 0 else None


def build_kpis(
    scenario,
    data,
    outcomes: dict,
    *,
    warnings: list[str],
    travel_approximate: bool = False,
) -> dict[str, Any]:
    """The whole ``kpis.json`` document (see the module docstring)."""
    facts = {name: variant_facts(o, data) for name, o in outcomes.items()}
    current_name = next((n for n, o in outcomes.items() if o.variant.mode == "current"), None)
    package_hours = mean_package_hours(facts[current_name or next(iter(outcomes))]["care_hours"])
    assumptions = scenario.parameters()
    assumptions["downstream"] = {
        **assumptions["downstream"],
        "mean_care_hours_per_package_per_week": package_hours,
        "formula": DELAYED_DISCHARGE_FORMULA,
    }
    scenarios: dict[str, dict[str, Any]] = {}
    today = outcomes.get(current_name) if current_name else None
    for name, outcome in outcomes.items():
        values = _variant_kpis(scenario, data, outcome, facts[name], package_hours=package_hours)
        values["clients_losing_provider_unmet_today_too"] = unmet_today_too(outcome, today)
        scenarios[name] = values
    base = scenarios.get(current_name) if current_name else None
    baseline_care = (
        facts[current_name]["provider_care_hours"]
        if current_name
        else next(iter(outcomes.values())).problem.provider_current_care_hours
    )
    details: dict[str, dict[str, Any]] = {}
    for name, values in scenarios.items():
        f = facts[name]
        has = baseline_care > 1e-9
        loss = (baseline_care[has] - f["provider_care_hours"][has]) / baseline_care[has] * 100.0
        values["largest_provider_loss_percent"] = round(max(0.0, float(loss.max())) if has.any() else 0.0, 4)
        for key, change in (
            ("delayed_discharge_bed_days_per_week", "delayed_discharge_bed_days_per_week_change_vs_current"),
            ("delayed_discharge_cost_per_week_gbp", "delayed_discharge_cost_per_week_change_vs_current_gbp"),
            ("cost_per_week_gbp", "cost_per_week_change_vs_current_gbp"),
            ("travel_hours_per_week", "travel_hours_per_week_change_vs_current"),
        ):
            values[change] = None if base is None else round(values[key] - base[key], 6)
        outcome = outcomes[name]
        values["solver"] = {key: outcome.solver.get(key) for key in SOLVER_FIELDS}
        values["solver"].update({k: outcome.solver.get(k) for k in (
            "time_limit_s", "work_limit", "deterministic", "stopped_by_clock", "workers", "seed",
            "objective_terms")})
        values["mode"] = outcome.variant.mode
        routing = getattr(outcome, "routing", None)
        details[name] = {
            "violations": list(outcome.violations),
            "routed_travel_hours_per_week_by_provider": outcome.routed_travel_hours,
            "routing_notes": list(routing.notes) if routing is not None else [],
        }
    notes = [n for o in outcomes.values() for n in o.notes]
    all_warnings = list(warnings) + notes
    for name, o in outcomes.items():
        if o.violations:
            shown = "; ".join(o.violations[:3])
            all_warnings.append(
                f"{name}: {len(o.violations)} constraint(s) broken: {shown}"
                + (" ..." if len(o.violations) > 3 else "")
            )
    all_warnings += unmet_warnings(scenarios, current_name)
    if travel_approximate:
        all_warnings.insert(0, "travel times are great-circle estimates (no road network for this region)")
    return {
        "scenario_name": scenario.name,
        "description": scenario.description,
        "software": f"care-commissioning {__version__}",
        "run_date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),  # measured: never repeats
        "travel_model": "approximate" if travel_approximate else "network",
        "data": {"region": data.region, **data.counts(), "dataset": dict(data.dataset)},
        "current_variant": current_name,
        "variants": list(outcomes),
        "assumptions": assumptions,
        "definitions": {
            k.name: {"group": k.group, "level": k.level, "unit": k.unit, "description": k.description,
                     "label": k.label}
            for k in KPIS
        },
        "scenarios": scenarios,
        "details": details,
        "warnings": all_warnings,
    }


def mean_package_hours(care_hours: np.ndarray) -> float:
    """Mean care hours per week of one package (all the scenario's clients), rounded as shown in kpis.json."""
    return round(float(np.mean(care_hours)), 6) if len(care_hours) else 0.0


def delayed_discharge_bed_days(unmet_hours: float, package_hours: float, down) -> float:
    """Bed-days per week implied by unmet care hours (see :data:`DELAYED_DISCHARGE_FORMULA`)."""
    if package_hours <= 0:
        return 0.0
    packages = unmet_hours / package_hours
    return packages * down.share_of_unmet_clients_in_hospital * down.bed_days_per_week_per_client_in_hospital


def _variant_kpis(scenario, data, outcome, f: dict[str, Any], *, package_hours: float) -> dict[str, Any]:
    v = outcome.variant
    assigned = f["assigned"]
    care_assigned = float(f["care_hours"][assigned].sum())
    travel_h = float(f["travel_hours"].sum())
    care_cost = float(f["care_cost"].sum())
    travel_cost = float(f["travel_cost"].sum())
    recruiting = recruitment_cost(outcome)  # the carers a plan recruits are its cost too (they were left out)
    cost = care_cost + travel_cost + recruiting
    unmet = ~assigned
    remote = f["remote"]
    visits = f["visits"]
    minutes = f["minutes"]
    moved = int((outcome.allocation["moved"] == "yes").sum()) if outcome.allocation is not None else 0
    lost = _losing_provider_unmet(outcome)
    routed = sum(outcome.routed_travel_hours.values()) if outcome.routed_travel_hours is not None else None
    routing = getattr(outcome, "routing", None)

    zone_sets: dict[str, set[int]] = {}
    for z, p in zip(f["zone"][assigned], outcome.assignment[assigned], strict=True):
        zone_sets.setdefault(str(z), set()).add(int(p))
    chosen = outcome.assignment == outcome.problem.client_pinned_provider
    zone_sets_k: dict[str, set[int]] = {}
    for z, p in zip(f["zone"][assigned & ~chosen], outcome.assignment[assigned & ~chosen], strict=True):
        zone_sets_k.setdefault(str(z), set()).add(int(p))
    zones_with_clients = set(f["zone"].tolist())
    per_zone = [len(zone_sets.get(z, ())) for z in zones_with_clients]
    shares = f["provider_care_hours"] / care_assigned if care_assigned > 0 else f["provider_care_hours"] * 0
    hhi = float(np.sum((100.0 * shares) ** 2))

    problem = outcome.problem
    staff_load = f["provider_care_hours"] + f["provider_travel_hours"]
    spare = problem.provider_weekly_staff_hours - staff_load
    below = int(
        np.sum(
            (f["provider_care_hours"] > 1e-9)
            & (f["provider_care_hours"] < problem.provider_min_viable_hours - 1e-9)
        )
    )

    unmet_hours = float(f["care_hours"][unmet].sum())
    # rounded before pricing, so cost = bed-days × bed-day cost holds exactly for the figures in kpis.json
    bed_days = round(delayed_discharge_bed_days(unmet_hours, package_hours, scenario.downstream), 6)
    council = f["funder"] == "council"
    per_client_cost = f["care_cost"] + f["travel_cost"]

    def unmet_share(mask: np.ndarray) -> float | None:
        return _ratio(float(f["care_hours"][mask & unmet].sum()), float(f["care_hours"][mask].sum()))

    values: dict[str, Any] = {
        "care_cost_per_week_gbp": care_cost,
        "travel_cost_per_week_gbp": travel_cost,
        "recruitment_cost_per_week_gbp": recruiting,
        "cost_per_week_gbp": cost,
        "cost_per_care_hour_gbp": _ratio(cost, care_assigned),
        "care_hours_assigned": care_assigned,
        "travel_hours_per_week": travel_h,
        "travel_hours_per_week_routed": routed,
        "travel_hours_per_week_per_visit_typical_day": (
            None if routing is None else float(routing.per_visit_model_hours_per_week)
        ),
        "routing_unrouted_visits_per_day": None if routing is None else int(routing.unrouted_visits),
        "travel_share_of_paid_staff_time": _ratio(travel_h, care_assigned + travel_h),
        "km_per_week": float(f["km_week"].sum()),
        "travel_minutes_per_visit_mean": weighted_mean(minutes[assigned], visits[assigned]),
        "clients_total": int(len(assigned)),
        "clients_assigned": int(assigned.sum()),
        "clients_unmet": int(unmet.sum()),
        "unmet_hours_per_week": unmet_hours,
        "clients_moved": moved,
        "clients_losing_provider_unmet": lost,
        "longest_travel_minutes_per_visit": float(minutes[assigned].max()) if assigned.any() else None,
        "remote_patches_with_spare_capacity_nearby": _remote_spare(scenario, data, problem, spare),
        "remote_patches": len({z for z in zones_with_clients if data.zone_by_id[z].remote}),
        "constraint_violations": len(outcome.violations),
        "travel_minutes_per_visit_remote": weighted_mean(
            minutes[assigned & remote], visits[assigned & remote]
        ),
        "travel_minutes_per_visit_towns": weighted_mean(
            minutes[assigned & ~remote], visits[assigned & ~remote]
        ),
        "unmet_share_of_hours_remote": unmet_share(remote),
        "unmet_share_of_hours_towns": unmet_share(~remote),
        "max_providers_per_zone": max(per_zone) if per_zone else 0,
        "max_providers_per_zone_excluding_own_choice": max((len(s) for s in zone_sets_k.values()), default=0),
        "providers_per_zone_mean": float(np.mean(per_zone)) if per_zone else 0.0,
        "zoning_limit_providers_per_zone": zoning_limit(v),
        "provider_concentration_hhi": hhi,
        "largest_provider_loss_percent": 0.0,  # filled against current by build_kpis
        "providers_below_min_viable": below,
        "delayed_discharge_bed_days_per_week": bed_days,
        "delayed_discharge_cost_per_week_gbp": bed_days * scenario.money.bed_day_cost_gbp,
        "cost_council_per_week_gbp": float(per_client_cost[council].sum()),
        "cost_nhs_per_week_gbp": float(per_client_cost[~council].sum()),
        # of care and travel, which each client's funder pays (recruitment is the plan's, not a client's)
        "council_share_of_cost": _ratio(float(per_client_cost[council].sum()), care_cost + travel_cost),
    }
    return {k: (round(x, 6) if isinstance(x, float) and math.isfinite(x) else x) for k, x in values.items()}


def unmet_warnings(scenarios: dict[str, dict[str, Any]], current_name: str | None) -> list[str]:
    """A variant leaving more care unmet than today (beyond the recommendation's slack) is said to be
    cheaper partly by not buying care: a K = 1 zoning leaving 384 of 1,000 clients without care showed a
    £134,737 weekly saving with no warning beside it."""
    from commissioning.results.recommend import UNMET_SLACK_SHARE

    base = scenarios.get(current_name) if current_name else None
    if not base:
        return []
    out = []
    for name, values in scenarios.items():
        more = values["unmet_hours_per_week"] - base["unmet_hours_per_week"]
        asked = values["care_hours_assigned"] + values["unmet_hours_per_week"]
        if name == current_name or more <= max(1.0, UNMET_SLACK_SHARE * asked):
            continue
        clients = values["clients_unmet"] - base["clients_unmet"]
        cheaper = values["cost_per_week_gbp"] < base["cost_per_week_gbp"]
        counted = (f"{clients:,d} more" if clients > 0 else f"{-clients:,d} fewer" if clients < 0
                   else "as many")  # "(-2 clients ...)" beside more hours read as a typo
        out.append(
            f"{name}: leaves {more:,.1f} more care hours a week unmet than {current_name} "
            f"({counted} clients without a provider)"
            + ("; part of its lower cost is care not bought" if cheaper else "")
            + " (the recommendation prefers the variants that leave the least care unmet)"
        )
    return out


def _losing_provider_unmet(outcome) -> int:
    """Clients with a provider today that the variant leaves unmet (not counted as moved, though the move
    penalty counts them: "101 clients moved" stood beside a moves term of 105 × the penalty)."""
    frame = outcome.allocation
    if frame is None or outcome.variant.mode == "current":
        return 0
    return int(_left_unmet(frame).sum())


def _left_unmet(frame) -> pd.Series:
    return (frame["current_provider"] != "") & (frame["status"] == "unmet")


def unmet_today_too(outcome, today) -> int | None:
    """Of the clients ``outcome`` takes from today's provider and leaves unmet, those today's allocation
    (``today``, the current variant's outcome) leaves unmet too ("10 more would lose theirs" counted 6 whom
    no provider reaches); None without today's allocation. Counted on today's allocation itself, not on
    the variant's model: a what-if's ferries out would count clients served today."""
    if today is None or today.allocation is None or outcome.allocation is None:
        return None
    if outcome.variant.mode == "current":
        return 0
    lost = set(outcome.allocation.loc[_left_unmet(outcome.allocation), "client_id"])
    return len(lost & set(today.allocation.loc[_left_unmet(today.allocation), "client_id"]))


def _remote_spare(scenario, data, problem, spare: np.ndarray) -> int:
    """Remote patches (with clients) that a provider with spare staff hours reaches within nearby minutes."""
    params = scenario.kpis
    zone_of_client = np.array([c.zone for c in data.clients])
    has_spare = spare >= params.spare_staff_hours_per_week
    count = 0
    for zone in data.zones:
        if not zone.remote:
            continue
        rows = np.flatnonzero(zone_of_client == zone.zone_id)
        if not len(rows):
            continue
        in_zone = np.isin(problem.pair_client, rows)
        for p in np.flatnonzero(has_spare):
            sel = in_zone & (problem.pair_provider == p)
            if (
                sel.any()
                and float(np.median(problem.pair_travel_minutes[sel])) <= params.nearby_minutes_per_visit
            ):
                count += 1
                break
    return count


# ----------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------


def kpi_table(kpis: dict[str, Any]) -> pd.DataFrame:
    """``kpis.csv``: one row per KPI (then the solver's figures), one column per variant."""
    names = kpis["variants"]
    rows = []
    for k in KPIS:
        row = {"kpi": k.name, "unit": k.unit, "family": k.group}
        row.update({n: kpis["scenarios"][n][k.name] for n in names})
        row.update({"level": k.level, "description": k.description})
        rows.append(row)
    for field in SOLVER_FIELDS:
        row = {"kpi": f"solver_{field}", "unit": SOLVER_UNITS[field], "family": "solver", "level": ""}
        row.update({n: kpis["scenarios"][n]["solver"][field] for n in names})
        row["description"] = {
            "status": "OPTIMAL, FEASIBLE (time limit reached) or EVALUATED (current: not optimised)",
            "objective": "the optimiser's objective: cost + move and unmet penalties",
            "bound": "proven lower bound on the objective",
            "gap": "(objective − bound) ÷ objective",
            "seconds": "solve time",
        }[field]
        rows.append(row)
    return pd.DataFrame(rows, columns=[*KPI_TABLE_HEAD, *names, *KPI_TABLE_TAIL])
