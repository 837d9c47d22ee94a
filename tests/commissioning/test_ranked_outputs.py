"""Ranked zoning in the product's outputs (issue 15 item 1): ``ranks.csv`` holds the solver's own ranking of
the allocation, the workbook has a Ranks sheet, the report a Ranked zoning section, and the zoning limit KPI
and every description of the zoning say what the ranks set (K = the number of ranks; "ranked zoning: lead
60 %, second 25 %, third 15 %").

One real run (a generated 200-client scenario, real CP-SAT solves with a small work limit) feeds the checks;
``ranks.csv`` is checked against :func:`solver.measures.share_table` recomputed from the
variant's ``allocation.csv`` alone.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from commissioning.cli import main
from commissioning.report.model import fmt
from commissioning.report.page import render_report
from commissioning.results.ranks import RANK_WORDS, ranked_words, zoning_limit
from commissioning.running.variant import _infeasible_message
from commissioning.scenario.file import Variant
from commissioning.synthetic.generate import generate_scenario

SHARES = (0.60, 0.25, 0.15)
NASTY = "=<i>{}</i> & Co"  # every provider's name: HTML and a formula start, escaped everywhere


# ------------------------------------------------------------------------------------- fast, no run


def test_ranked_words_name_every_rank_and_its_share():
    assert ranked_words(SHARES) == "ranked zoning: lead 60 %, second 25 %, third 15 %"
    assert ranked_words((0.5, 0.25, 0.125, 0.125)) == (
        "ranked zoning: lead 50 %, second 25 %, third 12.5 %, fourth 12.5 %")


def test_the_zoning_limit_of_a_ranked_variant_is_its_number_of_ranks():
    assert zoning_limit(Variant("ranked", "zoned", {"ranked_shares": SHARES})) == 3
    assert zoning_limit(Variant("zoned", "zoned", {"max_providers_per_zone": 2})) == 2
    assert zoning_limit(Variant("optimised", "optimised")) is None


def test_an_infeasible_ranked_variant_suggests_ranks_not_a_limit_of_none():
    variant = Variant("ranked", "zoned", {"ranked_shares": SHARES, "allow_unmet": True})
    text = _infeasible_message(variant, SimpleNamespace(diagnosis=[], status="INFEASIBLE"))
    assert "ranked zoning: lead 60 %, second 25 %, third 15 %" in text
    assert "now None" not in text


# ------------------------------------------------------------------------------------------ one run


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ranked")
    data = folder / "data"
    generate_scenario(data, n_clients=200, seed=3)
    providers = pd.read_csv(data / "providers.csv", dtype=str, keep_default_na=False)
    providers["name"] = [NASTY.format(name) for name in providers["name"]]
    providers.to_csv(data / "providers.csv", index=False)
    scenario = folder / "scenario.toml"
    scenario.write_text(textwrap.dedent("""\
        data = "data"
        [routing]
        enabled = false
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 2
        work_limit = 1.0
        time_limit_s = 60.0
        [[variants]]
        name = "ranked"
        mode = "zoned"
        ranked_shares = [0.60, 0.25, 0.15]
        work_limit = 1.0
        time_limit_s = 60.0
    """), encoding="utf-8")
    out = folder / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    return out


def _ranks(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "ranks.csv", dtype={"zone_id": str, "provider_id": str}, keep_default_na=False)


def _allocation(run: Path, variant: str) -> pd.DataFrame:
    return pd.read_csv(run / variant / "allocation.csv", dtype={"client_id": str, "provider_id": str},
                       keep_default_na=False)


def _share_table_from_allocation(run: Path, variant: str) -> list[dict]:
    """share_table recomputed from allocation.csv alone: one pair per served client (and per client who chose
    its provider), the zones and providers in the inputs' order."""
    from solver import ProblemData, Switches
    from solver.measures import share_table

    frame = _allocation(run, variant)
    zones = json.loads((run / "inputs" / "zones.geojson").read_text(encoding="utf-8"))["features"]
    zone_ids = [f["properties"]["zone_id"] for f in zones]
    provider_ids = list(pd.read_csv(run / "inputs" / "providers.csv", dtype=str)["provider_id"])
    served = frame["provider_id"] != ""
    p_of = {p: k for k, p in enumerate(provider_ids)}
    clients = np.flatnonzero(served.to_numpy())
    providers = [p_of[p] for p in frame["provider_id"][served]]
    pinned = np.full(len(frame), -1)
    own = (frame["exemption"] == "own choice").to_numpy()
    pinned[own] = [p_of[p] for p in frame["provider_id"][own]]
    data = ProblemData.build(
        client_weekly_hours=frame["weekly_hours"].to_numpy(float),
        client_visits_per_week=frame["visits_per_week"].to_numpy(int),
        client_carers_per_visit=frame["carers_per_visit"].to_numpy(int),
        client_zone=[zone_ids.index(z) for z in frame["zone"]],
        provider_weekly_staff_hours=np.full(len(provider_ids), np.inf),
        provider_hourly_rate_gbp=np.full(len(provider_ids), 30.0),
        pair_client=clients, pair_provider=providers, pair_travel_minutes=np.zeros(len(clients)),
        n_zones=len(zone_ids), client_pinned_provider=pinned,
    )
    choice = np.full(len(frame), -1)
    for k, (i, p) in enumerate(zip(data.pair_client, data.pair_provider, strict=True)):
        choice[i] = k
        assert providers[list(clients).index(i)] == p
    rows = share_table(data, Switches(ranked_shares=SHARES), choice)
    return [{**r, "zone": zone_ids[r["zone"]], "provider": provider_ids[r["provider"]] if r["provider"] >= 0
             else ""} for r in rows]


def test_ranks_csv_is_the_solvers_share_table_of_the_allocation(run):
    ranks = _ranks(run)
    assert set(ranks["variant"]) == {"ranked"}  # only ranked variants have ranks
    expected = _share_table_from_allocation(run, "ranked")
    assert len(ranks) == len(expected) > 0
    for row, want in zip(ranks.itertuples(), expected, strict=True):
        assert (row.zone_id, row.rank, row.provider_id) == (want["zone"], want["rank"], want["provider"])
        assert row.role == RANK_WORDS[row.rank - 1]
        assert row.care_hours == pytest.approx(want["care_hours"], abs=1e-4)
        assert row.share == pytest.approx(want["share"], abs=1e-4)
        assert row.target_share == pytest.approx(want["target_share"])
        assert row.deviation_hours == pytest.approx(want["deviation_hours"], abs=1e-4)
        # £6 an hour in whole pence a minute: 10p a minute off
        assert row.deviation_cost_gbp_per_week == pytest.approx(round(want["deviation_hours"] * 60) * 0.10)
    names = {f["properties"]["zone_id"]: f["properties"]["name"] for f in json.loads(
        (run / "inputs" / "zones.geojson").read_text(encoding="utf-8"))["features"]}
    assert all(names[z] == n for z, n in zip(ranks["zone_id"], ranks["name"], strict=True))


def test_ranks_agree_with_the_allocation_and_the_objective(run):
    """Care hours per patch and provider are allocation.csv's billable hours (clients' own choices aside,
    whole minutes); the deviation costs add up to the objective's shares term in kpis.json."""
    ranks = _ranks(run)
    frame = _allocation(run, "ranked")
    free = frame[(frame["status"] == "assigned") & (frame["exemption"] != "own choice")]
    hours = free.groupby(["zone", "provider_id"])["care_hours_per_week"].sum()
    clients = free.groupby(["zone", "provider_id"]).size()
    held = ranks[ranks["provider_id"] != ""].set_index(["zone_id", "provider_id"])["care_hours"]
    assert set(held.index) == set(hours.index)  # every serving provider holds a rank, and only they
    for key, value in held.items():
        assert 0 <= hours[key] - value <= clients[key] / 60 + 1e-6, key
    kpis = json.loads((run / "kpis.json").read_text())
    terms = kpis["scenarios"]["ranked"]["solver"]["objective_terms"]
    assert ranks["deviation_cost_gbp_per_week"].sum() == pytest.approx(terms["shares"], abs=0.005)
    assert "shares" not in kpis["scenarios"]["zoned"]["solver"]["objective_terms"]


def test_the_zoning_limit_kpi_is_the_number_of_ranks(run):
    kpis = json.loads((run / "kpis.json").read_text())
    limits = {v: kpis["scenarios"][v]["zoning_limit_providers_per_zone"] for v in kpis["variants"]}
    assert limits == {"current": None, "zoned": 2, "ranked": 3}
    table = pd.read_csv(run / "kpis.csv").set_index("kpi")
    assert float(table.loc["zoning_limit_providers_per_zone", "ranked"]) == 3
    assert kpis["scenarios"]["ranked"]["max_providers_per_zone_excluding_own_choice"] <= 3


def _text(page: str) -> str:
    page = re.sub(r"<style\b.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_report_shows_who_leads_each_patch_and_the_deviation_cost(run):
    page = (run / "report.html").read_text(encoding="utf-8")
    assert '<a href="#ranks">Ranked zoning</a>' in page
    section = page[page.index('<section id="ranks">'):]
    section = section[:section.index("</section>")]
    text = _text(section)
    assert "ranked: ranked zoning: lead 60 %, second 25 %, third 15 %" in text
    ranks = _ranks(run)
    pattern = (r'data-variant="([^"]*)" data-zone="([^"]*)" data-rank="(\d)" data-field="(\w+)" '
               r'data-value="([^"]*)"')
    cells = {(v, z, r, f): val for v, z, r, f, val in re.findall(pattern, section)}
    shown = ranks.groupby("zone_id")["care_hours"].transform("sum") > 0
    assert len(cells) == 3 * shown.sum() > 0
    raw = pd.read_csv(run / "ranks.csv", dtype=str, keep_default_na=False)
    for row in raw[shown.to_numpy()].itertuples():
        for field in ("provider_id", "share", "deviation_hours"):
            assert cells[("ranked", row.zone_id, row.rank, field)] == getattr(row, field)
    total = re.search(r'data-field="deviation_cost_gbp_per_week" data-value="([^"]+)"', section).group(1)
    assert float(total) == pytest.approx(ranks["deviation_cost_gbp_per_week"].sum(), abs=0.005)
    cost = ranks["deviation_cost_gbp_per_week"].sum()
    assert f"{fmt(cost, 'GBP/week', digits=0)} a week" in text  # half up, as the report rounds
    whole = _text(page)
    assert "ranked zoning: lead 60 %, second 25 %, third 15 % (zoning limit K = 3)" in whole  # headline
    assert "3 (one per rank)" in whole  # the parameters' zoning limit


def test_the_report_escapes_provider_names(run):
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "<i>" not in page
    section = page[page.index('<section id="ranks">'):]
    assert "=&lt;i&gt;" in section[:section.index("</section>")]


def test_the_workbook_has_a_ranks_sheet_with_ranks_csv_and_no_formula(run):
    book = openpyxl.load_workbook(run / "workbook.xlsx")
    assert book.sheetnames.index("Ranks") == book.sheetnames.index("Zones") + 1
    rows = list(book["Ranks"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Variant", "Patch", "Name", "Rank", "Role")
    assert "Care hours (h/week)" in rows[0] and "Deviation cost (£/week)" in rows[0]
    ranks = _ranks(run)
    assert len(rows) - 1 == len(ranks)
    for got, want in zip(rows[1:], ranks.itertuples(index=False), strict=True):
        assert got[:5] == (want.variant, want.zone_id, want.name, want.rank, want.role)
        assert (got[5] or "") == want.provider_id
        assert list(got[6:]) == pytest.approx([want.care_hours, want.share, want.target_share,
                                               want.deviation_hours, want.deviation_cost_gbp_per_week])
    for sheet in book.worksheets:
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row), sheet.title
    settings = list(book["Parameters"].iter_rows(values_only=True))
    column = settings[0].index("ranked")
    by_key = {r[1]: r[column] for r in settings[1:] if r[0] == "variant"}
    assert by_key["ranked_shares"] == "lead 60 %, second 25 %, third 15 %"
    assert by_key["max_providers_per_zone"] == "3 (one per rank)"


def test_compare_keeps_both_runs_ranks(run, tmp_path):
    out = tmp_path / "compared"
    assert main(["compare", str(run), str(run), "--labels", "a,b", "--out", str(out)]) == 0
    ranks = pd.read_csv(out / "ranks.csv", dtype=str, keep_default_na=False)
    one = pd.read_csv(run / "ranks.csv", dtype=str, keep_default_na=False)
    for label in ("a", "b"):
        mine = ranks[ranks["variant"] == f"{label}.ranked"].drop(columns="variant").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, one.drop(columns="variant"))
    assert "Ranks" in openpyxl.load_workbook(out / "workbook.xlsx", read_only=True).sheetnames
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('data-field="deviation_cost_gbp_per_week"') == 2


def test_a_run_without_ranked_variants_has_no_ranks_section(run, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(run, copy)
    (copy / "ranks.csv").unlink()
    page = render_report(copy)
    assert 'id="ranks"' not in page and "#ranks" not in page


def test_a_hand_edited_ranks_csv_still_gives_the_section(run, tmp_path):
    """A row whose rank is not one is left out, a missing rank shows dashes: the page, not a traceback."""
    copy = tmp_path / "out"
    shutil.copytree(run, copy)
    rows = pd.read_csv(copy / "ranks.csv", dtype=str, keep_default_na=False)
    served = rows.groupby("zone_id")["care_hours"].transform(lambda h: h.astype(float).sum()) > 0
    first = rows.index[served.to_numpy()][0]
    rows.loc[first, "rank"] = "lead?"
    rows.drop(index=rows.index[served.to_numpy()][1]).to_csv(copy / "ranks.csv", index=False)
    page = render_report(copy)
    section = page[page.index('<section id="ranks">'):]
    assert "ranked zoning: lead 60 %, second 25 %, third 15 %" in section[:section.index("</section>")]
