"""KPIs: declared with units, computed as documented, consistent with each other (hand-written fixture)."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from commissioning.inputs.folder import load_dataset
from commissioning.results.kpis import GROUPS, KPIS, build_kpis, kpi_table
from commissioning.results.tables import allocation_frame, provider_table, zone_table
from commissioning.results.write import _clean
from commissioning.running.run import _build_problems
from commissioning.running.travel import travel_model_for
from commissioning.running.variant import run_variant
from commissioning.scenario.file import parse_scenario

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"

TEXT = textwrap.dedent(f"""\
    data = "{VALID_SMALL}"
    [money]
    staff_cost_per_hour_gbp = 15.0
    mileage_gbp_per_travel_hour = 10.0
    bed_day_cost_gbp = 400.0
    [downstream]
    share_of_unmet_clients_in_hospital = 0.5
    bed_days_per_week_per_client_in_hospital = 7.0
    [[variants]]
    name = "current"
    mode = "current"
    waiting = "unmet"
    [[variants]]
    name = "optimised"
    mode = "optimised"
    time_limit_s = 1.0
    [[variants]]
    name = "zoned"
    mode = "zoned"
    max_providers_per_zone = 1
    time_limit_s = 1.0
""")


@pytest.fixture(scope="module")
def world():
    scenario = parse_scenario(TEXT, base=VALID_SMALL.parent)
    data = load_dataset(VALID_SMALL)
    travel = travel_model_for(data)
    base, _travelled = _build_problems(scenario, data, travel)
    outcomes = {}
    for variant in scenario.variants:
        problem, index = base[variant.pools]
        outcome = run_variant(variant, problem, index, data, quiet=True)
        outcome.allocation = allocation_frame(outcome, data)
        outcomes[variant.name] = outcome
    kpis = build_kpis(scenario, data, outcomes, warnings=[], travel_approximate=True)
    return scenario, data, outcomes, kpis


UNIT_WORDS = {
    "GBP/week": "gbp",
    "GBP/hour": "gbp",
    "hours/week": "hours",
    "km/week": "km",
    "minutes/visit": "minutes",
    "share 0-1": "share",
    "percent": "percent",
    "clients": "clients",
    "bed-days/week": "bed_days",
    "providers": "providers",
    "patches": "patches",
    "visits/day": "visits",
}


def test_every_kpi_is_declared_with_family_level_and_a_unit_its_name_carries():
    names = [k.name for k in KPIS]
    assert len(names) == len(set(names))
    for k in KPIS:
        assert k.group in GROUPS and k.level in ("input", "output", "outcome") and k.description
        if k.unit in UNIT_WORDS:
            assert UNIT_WORDS[k.unit] in k.name, (k.name, k.unit)
    # the four Es, the downstream estimate and the funder split are all there
    assert {k.group for k in KPIS} == set(GROUPS)


def test_kpis_json_carries_every_kpi_definition_and_assumption(world):
    scenario, _, outcomes, kpis = world
    assert set(kpis["definitions"]) == {k.name for k in KPIS}
    for name in outcomes:
        assert {k.name for k in KPIS} <= set(kpis["scenarios"][name])
    assert kpis["assumptions"]["money"]["bed_day_cost_gbp"] == 400.0
    assert kpis["assumptions"]["downstream"]["share_of_unmet_clients_in_hospital"] == 0.5
    assert kpis["travel_model"] == "approximate"
    json.dumps(_clean(kpis))  # serialisable, no NaN


def test_economy_and_efficiency_follow_their_definitions(world):
    scenario, data, outcomes, kpis = world
    for name, outcome in outcomes.items():
        k = kpis["scenarios"][name]
        problem, a = outcome.problem, outcome.assignment
        pairs = outcome.pair_of_client[a >= 0]
        care = problem.pair_care_cost_gbp[pairs].sum()
        travel_h = problem.pair_travel_hours[pairs].sum()
        assert math.isclose(k["care_cost_per_week_gbp"], care, abs_tol=1e-4)
        assert math.isclose(k["travel_cost_per_week_gbp"], travel_h * (15.0 + 10.0), abs_tol=1e-4)
        assert math.isclose(
            k["cost_per_week_gbp"], k["care_cost_per_week_gbp"] + k["travel_cost_per_week_gbp"], abs_tol=1e-4
        )
        assert math.isclose(
            k["cost_per_care_hour_gbp"], k["cost_per_week_gbp"] / k["care_hours_assigned"], rel_tol=1e-5
        )
        assert math.isclose(
            k["travel_share_of_paid_staff_time"],
            travel_h / (travel_h + k["care_hours_assigned"]),
            rel_tol=1e-5,
        )
        assert k["km_per_week"] > 0 and k["travel_hours_per_week"] > 0
        assert math.isclose(
            k["cost_council_per_week_gbp"] + k["cost_nhs_per_week_gbp"], k["cost_per_week_gbp"], abs_tol=1e-3
        )


def test_downstream_estimate_uses_the_shown_parameters_and_compares_with_current(world):
    _, _, outcomes, kpis = world
    current = kpis["scenarios"]["current"]
    down = kpis["assumptions"]["downstream"]
    package = down["mean_care_hours_per_package_per_week"]
    care = outcomes["current"].problem.client_care_hours
    assert math.isclose(package, float(np.mean(care)), abs_tol=1e-6) and package > 0
    assert "unmet care hours" in down["formula"] and "mean_care_hours_per_package_per_week" in down["formula"]
    assert "unmet care hours" in kpis["definitions"]["delayed_discharge_bed_days_per_week"]["description"]
    for name in outcomes:
        k = kpis["scenarios"][name]
        # hours-based: unmet hours ÷ mean package hours = equivalent packages waiting
        expected = k["unmet_hours_per_week"] / package * 0.5 * 7.0
        assert math.isclose(k["delayed_discharge_bed_days_per_week"], expected, abs_tol=1e-5)
        assert math.isclose(
            k["delayed_discharge_cost_per_week_gbp"], k["delayed_discharge_bed_days_per_week"] * 400
        )
        assert math.isclose(
            k["delayed_discharge_cost_per_week_change_vs_current_gbp"],
            k["delayed_discharge_cost_per_week_gbp"] - current["delayed_discharge_cost_per_week_gbp"],
            abs_tol=1e-6,
        )
    assert current["delayed_discharge_bed_days_per_week_change_vs_current"] == 0


def test_equity_kpis_by_hand(world):
    _, data, outcomes, kpis = world
    providers = provider_table(outcomes, data)
    zones = zone_table(outcomes, data)
    for name in outcomes:
        k = kpis["scenarios"][name]
        hours = providers[providers["variant"] == name]["care_hours"].to_numpy()
        shares = hours / hours.sum()
        assert math.isclose(k["provider_concentration_hhi"], float(np.sum((100 * shares) ** 2)), rel_tol=1e-4)
        z = zones[(zones["variant"] == name) & (zones["clients"] > 0)]
        assert k["max_providers_per_zone"] == z["providers"].max()
        assert math.isclose(k["providers_per_zone_mean"], z["providers"].mean(), rel_tol=1e-6)
        before = providers[providers["variant"] == "current"]["care_hours"].to_numpy()
        loss = max(
            0.0, float(np.max(np.where(before > 0, (before - hours) / np.where(before > 0, before, 1), 0)))
        )
        assert math.isclose(k["largest_provider_loss_percent"], 100 * loss, abs_tol=1e-3)
    zoned = kpis["scenarios"]["zoned"]
    assert zoned["zoning_limit_providers_per_zone"] == 1
    assert kpis["scenarios"]["optimised"]["zoning_limit_providers_per_zone"] is None
    assert kpis["scenarios"]["current"]["largest_provider_loss_percent"] == 0


def test_current_snapshot_leaves_waiting_packages_unmet(world):
    _, data, outcomes, kpis = world
    waiting = [i for i, c in enumerate(data.clients) if not c.current_provider]
    assert all(outcomes["current"].assignment[i] < 0 for i in waiting)
    assert kpis["scenarios"]["current"]["clients_unmet"] >= len(waiting)
    assert kpis["scenarios"]["current"]["clients_moved"] == 0


def test_kpi_table_has_one_row_per_kpi_then_solver_rows(world):
    _, _, outcomes, kpis = world
    table = kpi_table(kpis)
    assert list(table.columns) == ["kpi", "unit", "family", *outcomes, "level", "description"]
    assert list(table["kpi"][: len(KPIS)]) == [k.name for k in KPIS]
    assert list(table["kpi"][len(KPIS) :]) == [
        f"solver_{f}" for f in ("status", "objective", "bound", "gap", "seconds")
    ]
    status = table.set_index("kpi").loc["solver_status"]
    assert status["current"] == "EVALUATED" and status["optimised"] in ("OPTIMAL", "FEASIBLE")


def test_without_a_current_variant_changes_are_empty(world):
    scenario, data, outcomes, _ = world
    only = {"optimised": outcomes["optimised"]}
    kpis = build_kpis(scenario, data, only, warnings=[])
    k = kpis["scenarios"]["optimised"]
    assert kpis["current_variant"] is None
    assert k["cost_per_week_change_vs_current_gbp"] is None
    assert k["delayed_discharge_cost_per_week_change_vs_current_gbp"] is None


def test_spare_capacity_nearby_responds_to_its_parameters(world):
    import dataclasses

    scenario, data, outcomes, kpis = world
    strict = dataclasses.replace(
        scenario, kpis=dataclasses.replace(scenario.kpis, spare_staff_hours_per_week=1e9)
    )
    k = build_kpis(strict, data, outcomes, warnings=[])["scenarios"]["optimised"]
    assert k["remote_patches_with_spare_capacity_nearby"] == 0
    loose = dataclasses.replace(
        scenario,
        kpis=dataclasses.replace(scenario.kpis, spare_staff_hours_per_week=0.0, nearby_minutes_per_visit=1e6),
    )
    k = build_kpis(loose, data, outcomes, warnings=[])["scenarios"]["optimised"]
    assert k["remote_patches_with_spare_capacity_nearby"] == k["remote_patches"]


def test_delayed_discharge_follows_unmet_hours_not_clients():
    from types import SimpleNamespace

    from commissioning.results.kpis import delayed_discharge_bed_days, mean_package_hours

    down = SimpleNamespace(
        share_of_unmet_clients_in_hospital=0.25, bed_days_per_week_per_client_in_hospital=7.0
    )
    package = mean_package_hours(np.array([4.0, 10.0, 16.0]))
    assert package == 10.0
    # one 16-hour package waiting counts for more than one 4-hour package: 1.6 and 0.4 equivalent packages
    assert math.isclose(delayed_discharge_bed_days(16.0, package, down), 1.6 * 0.25 * 7.0)
    assert math.isclose(delayed_discharge_bed_days(4.0, package, down), 0.4 * 0.25 * 7.0)
    assert delayed_discharge_bed_days(0.0, package, down) == 0.0
    assert delayed_discharge_bed_days(5.0, 0.0, down) == 0.0  # no packages: nothing to convert
    assert mean_package_hours(np.array([])) == 0.0
