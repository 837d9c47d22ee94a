"""``commissioning compare RUN_A RUN_B --out DIR`` (issue 14, part 2) on two real small runs of the same
80 clients: last year's (current and optimised) and this year's (current and zoned with K = 1, one
provider's price raised). The report holds both runs' variants with each run's own figures, the changes
against current of this year's variants are recomputed against last year's today's allocation, the maps
are written, and runs that cannot be compared end with one line and exit status 2.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from commissioning.cli import main
from commissioning.results.combine import CHANGE_KPIS, LOSS_KPI
from commissioning.results.folder import MARKER_FILE

pytestmark = pytest.mark.slow

RECOMPUTED = {change for _, change in CHANGE_KPIS} | {LOSS_KPI}
PRICE_RISE_GBP = 6.0


def _scenario(name: str, data: Path, variant: str) -> str:
    return textwrap.dedent(f"""\
        name = "{name}"
        data = "{data}"
        [routing]
        time_limit_s = 0.1
        [solver]
        workers = 1
        seed = 0
        [[variants]]
        name = "current"
        mode = "current"
        waiting = "greedy"
    """) + variant


OPTIMISED = """
[[variants]]
name = "optimised"
mode = "optimised"
time_limit_s = 2.0
"""
ZONED_K1 = """
[[variants]]
name = "zoned"
mode = "zoned"
max_providers_per_zone = 1
time_limit_s = 2.0
"""


def _raise_price(providers_csv: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(providers_csv.read_text(encoding="utf-8"), newline="")))
    rows[0]["hourly_rate_gbp"] = f"{float(rows[0]['hourly_rate_gbp']) + PRICE_RISE_GBP:.2f}"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    providers_csv.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    from commissioning.synthetic.generate import generate_scenario

    root = tmp_path_factory.mktemp("compare")
    data_a, data_b = root / "data_2025", root / "data_2026"
    generate_scenario(data_a, n_clients=80, seed=1)
    shutil.copytree(data_a, data_b)
    _raise_price(data_b / "providers.csv")
    folders = {}
    plan = (("a", "last year", data_a, OPTIMISED), ("b", "this year", data_b, ZONED_K1))
    for key, name, data, variant in plan:
        scenario = root / f"{key}.toml"
        scenario.write_text(_scenario(name, data, variant), encoding="utf-8")
        folders[key] = root / ("last_year" if key == "a" else "this_year")
        assert main(["run", str(scenario), "--out", str(folders[key]), "--quiet"]) == 0
    folders["data"] = data_a
    folders["root"] = root
    folders["out"] = root / "comparison"
    assert main(["compare", str(folders["a"]), str(folders["b"]), "--out", str(folders["out"])]) == 0
    return folders


@pytest.fixture(scope="module")
def out(runs) -> Path:
    return runs["out"]


def _kpi_rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["kpi"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))}


def _variants(run: Path) -> list[str]:
    return json.loads((run / "kpis.json").read_text())["variants"]


def _number(text: str | None) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        d = dict(attrs)
        if "data-kpi" in d and "data-variant" in d and d.get("data-value") is not None:
            self.values[(d["data-kpi"], d["data-variant"])] = d["data-value"]


# ------------------------------------------------------------------------------------ the comparison


def test_the_combined_folder_has_both_runs_variants_renamed_and_run_a_current_as_baseline(runs, out):
    doc = json.loads((out / "kpis.json").read_text())
    expected = [f"last_year.{v}" for v in _variants(runs["a"])]
    expected += [f"this_year.{v}" for v in _variants(runs["b"])]
    assert doc["variants"] == expected == ["last_year.current", "last_year.optimised",
                                           "this_year.current", "this_year.zoned"]
    assert doc["current_variant"] == "last_year.current"
    assert set(doc["assumptions"]["variants"]) == set(expected)
    assert (out / MARKER_FILE).is_file()
    for label, run in (("last_year", runs["a"]), ("this_year", runs["b"])):
        for variant in _variants(run):
            copied = (out / f"{label}.{variant}" / "allocation.csv").read_bytes()
            assert copied == (run / variant / "allocation.csv").read_bytes()
    clients = (runs["a"] / "inputs" / "clients.csv").read_bytes()
    assert (out / "inputs" / "clients.csv").read_bytes() == clients
    # Regression: variant folders were "last_year:current", names Windows, SharePoint and zip tools refuse
    assert not [p.name for p in out.rglob("*") if any(c in p.name for c in '<>:"|?*')]


def test_the_report_shows_each_variant_with_its_own_runs_figures(runs, out):
    parser = _Cells()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    checked = 0
    for label, run in (("last_year", runs["a"]), ("this_year", runs["b"])):
        own = _kpi_rows(run / "kpis.csv")
        for name, row in own.items():
            if name in RECOMPUTED or name.startswith("solver_"):
                continue
            for variant in _variants(run):
                value = _number(row[variant])
                shown = parser.values.get((name, f"{label}.{variant}"))
                if value is None or shown is None:
                    continue
                assert math.isclose(float(shown), value, rel_tol=1e-9, abs_tol=1e-9), (name, label, variant)
                checked += 1
    assert checked > 100, checked


def test_kpis_csv_keeps_each_runs_cells_and_recomputes_run_b_changes_against_run_a_current(runs, out):
    combined = _kpi_rows(out / "kpis.csv")
    own_a, own_b = _kpi_rows(runs["a"] / "kpis.csv"), _kpi_rows(runs["b"] / "kpis.csv")
    for name, row in own_a.items():
        assert all(combined[name][f"last_year.{v}"] == row[v] for v in _variants(runs["a"])), name
    for name, row in own_b.items():
        if name not in RECOMPUTED:
            assert all(combined[name][f"this_year.{v}"] == row[v] for v in _variants(runs["b"])), name
    base = {k: float(r["last_year.current"]) for k, r in combined.items() if _number(r["last_year.current"])
            is not None}
    for figure, change in CHANGE_KPIS:
        for variant in _variants(runs["b"]):
            expected = float(own_b[figure][variant]) - base[figure]
            assert math.isclose(float(combined[change][f"this_year.{variant}"]), expected, abs_tol=1e-5)
    # this year's price rise: today's allocation costs more than last year's, which the run alone cannot say
    assert float(own_b["cost_per_week_change_vs_current_gbp"]["current"]) == 0.0
    assert float(combined["cost_per_week_change_vs_current_gbp"]["this_year.current"]) > 0.0
    doc = json.loads((out / "kpis.json").read_text())
    assert float(combined[LOSS_KPI]["this_year.zoned"]) == doc["scenarios"]["this_year.zoned"][LOSS_KPI]


def test_providers_changes_of_run_b_are_against_run_a_current(runs, out):
    text = {"variant": str, "provider_id": str}
    combined = pd.read_csv(out / "providers.csv", dtype=text, keep_default_na=False)
    own_b = pd.read_csv(runs["b"] / "providers.csv", dtype=text, keep_default_na=False)
    base = combined[combined["variant"] == "last_year.current"].set_index("provider_id")
    zoned = combined[combined["variant"] == "this_year.zoned"].set_index("provider_id")
    own = own_b[own_b["variant"] == "zoned"].set_index("provider_id")
    assert len(zoned) == len(own)
    for pid, row in zoned.iterrows():
        before = float(base.loc[pid, "care_hours"])
        assert math.isclose(float(row["change_hours_vs_current"]), float(row["care_hours"]) - before,
                            abs_tol=1e-3)
        assert int(row["clients_change_vs_current"]) == int(row["clients"]) - int(base.loc[pid, "clients"])
        if before > 0:
            pct = (float(row["care_hours"]) - before) / before * 100
            assert math.isclose(float(row["change_pct_vs_current"]), pct, abs_tol=1e-3)
        for column in ("care_hours", "clients", "travel_hours", "revenue_gbp", "zones_served"):
            assert row[column] == own.loc[pid, column], (pid, column)
    counts = combined["variant"].value_counts()
    assert counts["last_year.optimised"] == counts["this_year.zoned"]


def test_every_table_holds_both_runs_rows(runs, out):
    for name in ("zones.csv", "hubs.csv", "broken_rules.csv", "recruitment.csv"):
        combined = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        own = [pd.read_csv(runs[k] / name, dtype=str, keep_default_na=False) for k in "ab"]
        assert len(combined) == sum(len(f) for f in own), name
        assert set(combined["variant"]) <= set(_variants(out)), name


def test_maps_are_written_for_every_variant_and_against_the_baseline(out):
    maps = {p.name for p in (out / "maps").glob("*.html")}
    for slug in ("last_year.current", "last_year.optimised", "this_year.current", "this_year.zoned"):
        assert {f"coverage_{slug}.html", f"travel_{slug}.html"} <= maps, slug
    for other in ("last_year.optimised", "this_year.current", "this_year.zoned"):
        assert f"compare_last_year.current_vs_{other}.html" in maps
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="maps/compare_last_year.current_vs_this_year.zoned.html"' in page


def test_the_warnings_say_the_variants_come_from_two_runs(runs, out):
    from commissioning.report.run_maps import run_date

    warning = json.loads((out / "kpis.json").read_text())["warnings"][0]
    for run, scenario in ((runs["a"], "last year"), (runs["b"], "this year")):
        assert f"scenario '{scenario}'" in warning
        assert run_date(run) in warning
    assert str(runs["data"]) in warning and str(runs["root"] / "data_2026") in warning
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "These variants come from two runs" in page


def test_the_workbook_has_every_variant(out):
    import openpyxl

    book = openpyxl.load_workbook(out / "workbook.xlsx", read_only=True)
    assert "Allocation this_year.zoned" in book.sheetnames
    head = next(book["KPIs"].iter_rows(max_row=1, values_only=True))
    assert [h for h in head if h and "." in h] == json.loads((out / "kpis.json").read_text())["variants"]


@pytest.mark.browser
def test_a_map_of_run_b_against_the_baseline_opens_in_chromium(out):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("needs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    errors, outside = [], []
    args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=args, headless=True)
        try:
            page = browser.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                       else (outside.append(r.request.url), r.abort()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((out / "maps" / "compare_last_year.current_vs_this_year.zoned.html").as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.leaflet-container').length === 2 && "
                "document.querySelectorAll('.leaflet-overlay-pane path').length > 0"
            )
        finally:
            browser.close()
    assert not errors and not outside, (errors, outside)


# ----------------------------------------------------------------------------------- the output folder


def test_force_replaces_a_comparison_and_never_a_foreign_folder(runs, tmp_path, capsys):
    again = [str(runs["a"]), str(runs["b"]), "--out", str(runs["out"])]
    assert main(["compare", *again]) == 1
    assert "is not empty. Fix: choose a new folder, or add --force" in capsys.readouterr().err
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert main(["compare", *again[:2], "--out", str(foreign), "--force"]) == 1
    assert "was not written by care-commissioning" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    labelled = tmp_path / "labelled"
    assert main(["compare", *again[:2], "--out", str(labelled), "--labels", "2025,2026"]) == 0
    assert main(["compare", *again[:2], "--out", str(labelled), "--labels", "y1,y2", "--force"]) == 0
    assert _variants(labelled) == ["y1.current", "y1.optimised", "y2.current", "y2.zoned"]


# ------------------------------------------------------------------------------------ runs that differ


def _error(argv: list[str], capsys) -> str:
    assert main(["compare", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


def _copy(run: Path, where: Path) -> Path:
    return Path(shutil.copytree(run, where))


def test_a_folder_that_is_not_a_run(runs, tmp_path, capsys):
    out = tmp_path / "out"
    err = _error([str(runs["data"]), str(runs["b"]), "--out", str(out)], capsys)
    assert f"RUN_A {runs['data']} is not a run output folder: it has no kpis.json" in err
    err = _error([str(runs["a"]), str(tmp_path / "nowhere"), "--out", str(out)], capsys)
    assert "RUN_B" in err and "no such folder" in err
    broken = _copy(runs["b"], tmp_path / "broken")
    (broken / "zoned" / "allocation.csv").unlink()
    err = _error([str(runs["a"]), str(broken), "--out", str(out)], capsys)
    assert "zoned/allocation.csv is missing" in err
    assert not out.exists()


def test_runs_of_different_clients(runs, tmp_path, capsys):
    other = _copy(runs["b"], tmp_path / "other")
    clients = pd.read_csv(other / "inputs" / "clients.csv", dtype=str, keep_default_na=False)
    clients = clients.iloc[3:].copy()
    clients.iloc[0, clients.columns.get_loc("client_id")] = "NEW-1"
    clients.to_csv(other / "inputs" / "clients.csv", index=False)
    out = tmp_path / "out"
    err = _error([str(runs["a"]), str(other), "--out", str(out)], capsys)
    assert "do not have the same clients: 4 client(s) only in RUN_A (C0001, C0002, C0003, C0004)" in err
    assert "1 client(s) only in RUN_B (NEW-1)" in err
    assert not out.exists()


def test_runs_of_different_regions(runs, tmp_path, capsys):
    other = _copy(runs["b"], tmp_path / "other")
    doc = json.loads((other / "kpis.json").read_text())
    doc["data"]["region"] = None
    (other / "kpis.json").write_text(json.dumps(doc))
    dataset = json.loads((other / "inputs" / "dataset.json").read_text())
    dataset["region"] = None
    (other / "inputs" / "dataset.json").write_text(json.dumps(dataset))
    err = _error([str(runs["a"]), str(other), "--out", str(tmp_path / "out")], capsys)
    assert "the two runs are of different regions" in err and "argyll-bute" in err


def test_a_variant_name_clash_after_renaming(runs, tmp_path, capsys):
    same_name = _copy(runs["b"], tmp_path / "elsewhere" / "last_year")
    err = _error([str(runs["a"]), str(same_name), "--out", str(tmp_path / "out")], capsys)
    assert "variant names clash after renaming: last_year.current is in both runs" in err
    assert "--labels A,B" in err
    err = _error([str(runs["a"]), str(runs["b"]), "--out", str(tmp_path / "out"), "--labels", "x,x"], capsys)
    assert "clash" in err
    err = _error([str(runs["a"]), str(runs["b"]), "--out", str(tmp_path / "out"), "--labels", "x"], capsys)
    assert "is not two labels" in err
    err = _error([str(runs["a"]), str(runs["b"]), "--out", str(tmp_path / "out"), "--labels", "/,c"], capsys)
    assert "cannot name a variant folder" in err
    assert not (tmp_path / "out").exists()


def test_out_inside_a_compared_run_is_refused(runs, capsys):
    err = _error([str(runs["a"]), str(runs["b"]), "--out", str(runs["a"]), "--force"], capsys)
    assert "writing there would replace the run being compared" in err
    assert (runs["a"] / "kpis.json").is_file() and not (runs["a"] / "last_year.current").exists()


def test_without_a_current_variant_in_run_a_the_changes_stay_each_runs_own(runs, tmp_path):
    scenario = tmp_path / "plan.toml"
    scenario.write_text(textwrap.dedent(f"""\
        name = "plan only"
        data = "{runs['data']}"
        [routing]
        time_limit_s = 0.1
        [solver]
        workers = 1
        seed = 0
    """) + OPTIMISED, encoding="utf-8")
    plan, out = tmp_path / "plan", tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(plan), "--quiet"]) == 0
    assert main(["compare", str(plan), str(runs["b"]), "--out", str(out)]) == 0
    doc = json.loads((out / "kpis.json").read_text())
    assert doc["current_variant"] is None
    assert "plan has no current variant" in doc["warnings"][1]
    combined, own = _kpi_rows(out / "kpis.csv"), _kpi_rows(runs["b"] / "kpis.csv")
    for name in RECOMPUTED:
        assert combined[name]["this_year.zoned"] == own[name]["zoned"], name
    assert (out / "maps" / "compare_plan.optimised_vs_this_year.current.html").is_file()
