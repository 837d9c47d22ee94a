"""The recommended variant: one rule (the least care unmet, then whole-system weekly cost with unmet need
priced), used by every output."""

from __future__ import annotations

from commissioning.results.recommend import recommend, recommend_from_table, whole_system_cost


def _kpis(cost, bed_cost, status="OPTIMAL"):
    return {"cost_per_week_gbp": cost, "delayed_discharge_cost_per_week_gbp": bed_cost,
            "solver_status": status}


def test_unmet_need_is_priced_so_leaving_people_without_care_never_looks_cheapest():
    # "cheap" saves £1,000 a week of care by leaving need unmet that costs £3,000 a week in bed-days.
    kpis = {"current": _kpis(10_000, 500), "cheap": _kpis(9_000, 3_500), "fair": _kpis(10_000, 500)}
    chosen = recommend(kpis, ["current", "cheap", "fair"], current="current")
    assert chosen.variant == "fair"
    assert chosen.whole_system_cost_gbp_per_week == {"current": 10_500, "cheap": 12_500, "fair": 10_500}
    assert "bed-days" in chosen.rule


def test_today_is_never_recommended_and_a_failed_solve_is_skipped():
    kpis = {"current": _kpis(1, 0), "broken": _kpis(2, 0, status="INFEASIBLE"), "ok": _kpis(5, 0, "FEASIBLE")}
    assert recommend(kpis, ["current", "broken", "ok"], current="current").variant == "ok"
    assert recommend({"current": _kpis(1, 0)}, ["current"], current="current").variant is None


def test_ties_go_to_the_variant_listed_first_and_missing_values_are_not_guessed():
    blank = {"cost_per_week_gbp": "", "solver_status": "FEASIBLE"}
    kpis = {"b": _kpis(5, 0), "a": _kpis(5, 0), "none": blank}
    assert recommend(kpis, ["b", "a", "none"], current=None).variant == "b"
    assert whole_system_cost({"cost_per_week_gbp": "nan"}) is None
    assert whole_system_cost({"cost_per_week_gbp": "7"}) == 7.0  # no bed-day cost: nothing added


def test_from_kpis_csv_rows():
    rows = [
        {"kpi": "cost_per_week_gbp", "current": "100", "x": "90", "y": "95"},
        {"kpi": "delayed_discharge_cost_per_week_gbp", "current": "0", "x": "20", "y": "0"},
        {"kpi": "solver_status", "current": "EVALUATED", "x": "FEASIBLE", "y": "OPTIMAL"},
    ]
    assert recommend_from_table(rows, ["current", "x", "y"], current="current").variant == "y"


def test_no_today_allocation_is_recommended_even_from_a_second_run():
    """Regression (issue 14 review): `compare` joins two runs' variants, and the rule skipped only the
    baseline, so the other run's today's allocation could be recommended."""
    kpis = {"a:current": _kpis(100, 0, "EVALUATED"), "b:current": _kpis(50, 0, "EVALUATED"),
            "b:zoned": _kpis(80, 0, "FEASIBLE")}
    assert recommend(kpis, list(kpis), current="a:current").variant == "b:zoned"


def _with_unmet(cost, bed_cost, assigned, unmet, status="FEASIBLE"):
    return {**_kpis(cost, bed_cost, status), "care_hours_assigned": assigned, "unmet_hours_per_week": unmet}


def test_a_variant_leaving_far_more_care_unmet_is_never_recommended_for_its_cost():
    # Regression (a tester's web run): lead-provider zoning (K = 1) left 4,408 of 11,000 care hours unmet
    # (384 of 1,000 clients) and was recommended as £7,596 a week cheaper than today: its bed-days did not
    # make up for the care it did not buy.
    kpis = {"current": _with_unmet(290_000, 2_000, 10_900, 100, "EVALUATED"),
            "optimised": _with_unmet(285_000, 1_500, 10_950, 50),
            "zoned-k1": _with_unmet(150_263, 132_141, 6_592, 4_408)}
    chosen = recommend(kpis, list(kpis), current="current")
    assert chosen.variant == "optimised" and "least care unmet" in chosen.rule
    # A few hours more unmet (within 1 % of the care hours asked) do not outweigh a real saving.
    kpis["zoned"] = _with_unmet(280_000, 1_600, 10_940, 60)
    assert recommend(kpis, list(kpis), current="current").variant == "zoned"


def test_a_variant_leaving_more_care_unmet_than_today_is_warned_of():
    # Regression (a tester's web run): the K = 1 variant's £134,737 weekly saving stood with no warning that
    # it left 384 of 1,000 clients without care.
    from commissioning.results.kpis import unmet_warnings

    def values(cost, assigned, unmet, clients):
        return {"cost_per_week_gbp": cost, "care_hours_assigned": assigned, "unmet_hours_per_week": unmet,
                "clients_unmet": clients}

    scenarios = {"current": values(290_000, 10_900, 100, 11), "optimised": values(285_000, 10_950, 50, 6),
                 "zoned-k1": values(150_263, 6_592, 4_408, 384), "close": values(280_000, 10_890, 110, 12)}
    (said,) = unmet_warnings(scenarios, "current")
    assert said.startswith("zoned-k1: leaves 4,308.0 more care hours a week unmet than current (373 more "
                           "clients without a provider)")
    assert "care not bought" in said
    assert unmet_warnings(scenarios, None) == []
    scenarios["fewer"] = values(289_000, 10_700, 300, 9)  # more hours, fewer (larger) packages
    assert "(2 fewer clients without a provider)" in unmet_warnings(scenarios, "current")[1]
