"""A whole run with carers at hubs (issue 12): today's allocation reports the workforce rules it breaks by
hub and band, optimised variants break none, and recruitment names the hub, the band and the cost in the
tables, the workbook, the report and the map."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from commissioning.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("workforce")
    data = root / "data"
    shutil.copytree(FIXTURE, data)
    hubs = pd.read_csv(data / "hubs.csv", dtype=str, keep_default_na=False)
    # Mull's hub keeps two carers, who drive: today's Mull clients of P02 no longer fit them.
    hubs.loc[hubs.hub_id == "H02", ["carers", "drivers"]] = ["2", "2"]
    hubs.to_csv(data / "hubs.csv", index=False)
    scenario = root / "scenario.toml"
    scenario.write_text(textwrap.dedent(f"""\
        data = "{data}"
        [routing]
        enabled = false
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 5.0
        [[variants]]
        name = "recruit"
        mode = "optimised"
        recruit = true
        time_limit_s = 5.0
    """), encoding="utf-8")
    out = root / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    return out


def test_today_breaks_workforce_rules_by_hub_and_band_and_optimised_breaks_none(run):
    broken = pd.read_csv(run / "broken_rules.csv", keep_default_na=False)
    today = broken[broken.variant == "current"]
    assert (today.hub_id == "H02").any()
    assert set(today[today.hub_id == "H02"].band) & {"morning", "lunch", "tea", "bed", "week"}
    assert not len(broken[broken.variant != "current"])


def test_recruitment_names_hub_band_and_cost_everywhere(run):
    table = pd.read_csv(run / "recruitment.csv", keep_default_na=False)
    done = table[(table.variant == "recruit") & (table.kind == "recruit")]
    assert list(done.hub_id) == ["H02"]
    assert done.iloc[0].band in ("morning", "lunch", "tea", "bed", "week")
    assert done.iloc[0].cost_gbp_per_week > 0
    # Without recruitment the same table shows the shortfall: today, the carers Mull's hub lacks.
    short = table[(table.variant == "current") & (table.kind == "shortfall")]
    assert "H02" in set(short.hub_id)
    sheets = openpyxl.load_workbook(run / "workbook.xlsx", read_only=True).sheetnames
    assert {"Hubs", "Recruitment", "Broken rules"} <= set(sheets)
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "Where to recruit" in report and "recruited by the optimiser" in report and "H02" in report
    coverage = (run / "maps" / "coverage_recruit.html").read_text(encoding="utf-8")
    assert "Hub load and recruitment" in coverage and "Recruited:" in coverage


def test_every_client_is_served_from_a_hub_of_its_provider_or_pool(run):
    hubs = pd.read_csv(run / "inputs" / "hubs.csv", dtype=str, keep_default_na=False)
    owner = dict(zip(hubs.hub_id, hubs.provider_id, strict=True))
    for variant in ("optimised", "recruit"):
        allocation = pd.read_csv(run / variant / "allocation.csv", dtype=str, keep_default_na=False)
        served = allocation[allocation.status == "assigned"]
        assert (served.hub_id != "").all()
        own = served[served.from_pool == "no"]
        assert (own.hub_id.map(owner) == own.provider_id).all()


def test_the_carers_recruited_are_in_the_cost_the_whole_system_cost_and_the_recommendation(run):
    """Regression: recruitment's weekly cost was in the objective but in no cost figure, so the report could
    recommend a variant that recruited as if its carers cost nothing."""
    from commissioning.results.recommend import whole_system_cost

    doc = json.loads((run / "kpis.json").read_text())
    table = pd.read_csv(run / "recruitment.csv", keep_default_na=False)
    recruited = table[(table.variant == "recruit") & (table.kind == "recruit")].cost_gbp_per_week.sum()
    kpis = doc["scenarios"]["recruit"]
    assert recruited > 0 and kpis["recruitment_cost_per_week_gbp"] == pytest.approx(recruited)
    assert kpis["solver"]["objective_terms"]["recruitment"] == pytest.approx(recruited)
    assert kpis["cost_per_week_gbp"] == pytest.approx(
        kpis["care_cost_per_week_gbp"] + kpis["travel_cost_per_week_gbp"] + recruited)
    assert whole_system_cost(kpis) >= kpis["cost_per_week_gbp"]
    assert doc["scenarios"]["optimised"]["recruitment_cost_per_week_gbp"] == 0
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "care, travel and recruiting carers" in report
