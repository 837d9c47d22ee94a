"""``commissioning run`` end to end on small generated data (real solves, short time limits).

Checks the acceptance of issue 4: every client in every allocation.csv, assigned + unmet = total, optimised
and zoned travel below current, the workbook reads back, and every table agrees with kpis.json.
"""

from __future__ import annotations

import io
import json
import math
import textwrap
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from commissioning.cli import main
from commissioning.errors import CareCommissioningError
from commissioning.results import write
from commissioning.results.folder import MARKER_FILE
from commissioning.running.current import WAITING_REASON
from commissioning.running.progress import VariantProgress
from commissioning.running.run import run_scenario
from commissioning.scenario.file import parse_scenario

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"
N_CLIENTS = 150
VARIANTS = ["current", "snapshot", "optimised", "zoned", "protected"]


def scenario_text(data: Path, protect: str, exclude: str, time_limit_s: float = 3.0) -> str:
    return textwrap.dedent(f"""\
        name = "test run"
        data = "{data}"
        [routing]
        time_limit_s = 0.1
        [solver]
        workers = 2
        seed = 0
        [[variants]]
        name = "current"
        mode = "current"
        waiting = "greedy"
        [[variants]]
        name = "snapshot"
        mode = "current"
        waiting = "unmet"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        move_penalty_gbp = 50.0
        time_limit_s = {time_limit_s}
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 2
        move_penalty_gbp = 50.0
        time_limit_s = {time_limit_s}
        [[variants]]
        name = "protected"
        mode = "optimised"
        protect = ["{protect}"]
        exclude = ["{exclude}"]
        time_limit_s = 2.0
    """)


def _build_run(root: Path) -> Path:
    from commissioning.synthetic.generate import generate_scenario

    data = root / "data"
    generate_scenario(data, n_clients=N_CLIENTS, seed=3, force=True)
    providers = pd.read_csv(data / "providers.csv", dtype=str)
    clients = pd.read_csv(data / "clients.csv", dtype=str, keep_default_na=False)
    busiest = clients["current_provider"].replace("", np.nan).value_counts()
    # Protect the busiest provider with room to spare (care hours under 60 % of its carers' hours at its
    # hubs, leaving room for travel and the time bands): protecting one its own clients overload makes the
    # variant infeasible (issue 10).
    care = (clients["weekly_hours"].astype(float) * clients["carers_per_visit"].astype(float))
    load = care.groupby(clients["current_provider"]).sum()
    hubs = pd.read_csv(data / "hubs.csv", dtype={"provider_id": str})
    staff = (hubs["carers"] * hubs["weekly_hours_per_carer"]).groupby(hubs["provider_id"]).sum()
    roomy = [pid for pid in busiest.index if load[pid] < 0.6 * staff.get(pid, 0.0)]
    protect = roomy[0]
    exclude = next(pid for pid in busiest.index if pid != protect)
    assert set(busiest.index) <= set(providers["provider_id"])
    path = root / "scenario.toml"
    path.write_text(scenario_text(data, protect, exclude), encoding="utf-8")
    out = root / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--force"]) == 0
    (out / "_test_protect_exclude.txt").write_text(f"{protect} {exclude}")
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, worker_id) -> Path:
    """One run shared by every test (and every xdist worker: the first builds it, the others wait)."""
    if worker_id == "master":
        return _build_run(tmp_path_factory.mktemp("run"))
    root = tmp_path_factory.getbasetemp().parent / "shared-run"
    done, failed = root / "DONE", root / "FAILED"
    try:
        root.mkdir()
    except FileExistsError:
        deadline = time.monotonic() + 600
        while not done.exists() and not failed.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        if not done.exists():
            pytest.fail("the shared run built by another worker failed or timed out")
        return root / "out"
    try:
        out = _build_run(root)
    except BaseException:
        failed.touch()
        raise
    done.touch()
    return out


@pytest.fixture(scope="module")
def kpis(run_dir) -> dict:
    return json.loads((run_dir / "kpis.json").read_text())


def allocation(run_dir: Path, variant: str) -> pd.DataFrame:
    text = {"provider_id": str, "reason": str, "current_provider": str}
    frame = pd.read_csv(run_dir / variant / "allocation.csv", dtype=text, keep_default_na=False)
    frame["travel_minutes_per_visit"] = pd.to_numeric(frame["travel_minutes_per_visit"])
    return frame


def test_the_report_links_every_map_the_run_drew_and_no_other(run_dir):
    """The report is drawn beside the maps, from the names their jobs write (not from maps/, still empty
    then): it links each map the run wrote, once."""
    import re

    drawn = sorted(p.name for p in (run_dir / "maps").glob("*.html"))
    assert len(drawn) >= 5  # coverage and travel per variant, and today against each other variant
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r'href="maps/([^"]+)"', page))) == drawn


def test_the_output_folder_has_every_contract_file(run_dir):
    for name in (
        "kpis.json",
        "kpis.csv",
        "providers.csv",
        "zones.csv",
        "workbook.xlsx",
        "report.html",
        "scenario.toml",
    ):
        assert (run_dir / name).is_file(), name
    for name in ("clients.csv", "providers.csv", "hubs.csv", "pools.csv", "zones.geojson", "dataset.json"):
        assert (run_dir / "inputs" / name).is_file(), name
    for variant in VARIANTS:
        assert (run_dir / variant / "allocation.csv").is_file()
    assert not [p for p in run_dir.parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_kpis_json_has_the_required_keys(kpis):
    assert kpis["variants"] == VARIANTS
    required = {
        "travel_hours_per_week",
        "care_hours_assigned",
        "unmet_hours_per_week",
        "clients_total",
        "clients_assigned",
        "clients_unmet",
        "clients_moved",
        "max_providers_per_zone",
        "cost_per_week_gbp",
        "travel_hours_per_week_routed",
        "solver",
    }
    for variant in VARIANTS:
        block = kpis["scenarios"][variant]
        assert required <= set(block), required - set(block)
        assert {"status", "objective", "bound", "gap", "seconds"} <= set(block["solver"])
    assert kpis["scenarios"]["current"]["solver"]["status"] == "EVALUATED"
    for variant in ("optimised", "zoned", "protected"):
        assert kpis["scenarios"][variant]["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
        assert kpis["scenarios"][variant]["constraint_violations"] == 0
    assert kpis["travel_model"] == "network"
    assert kpis["assumptions"]["money"]["bed_day_cost_gbp"] > 0


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_client_appears_once_and_assigned_plus_unmet_is_total(run_dir, kpis, variant):
    clients = pd.read_csv(run_dir / "inputs" / "clients.csv", dtype=str)
    frame = allocation(run_dir, variant)
    assert list(frame.columns[:11]) == [
        "client_id",
        "provider_id",
        "status",
        "reason",
        "zone",
        "travel_minutes_per_visit",
        "moved",
        "weekly_hours",
        "visits_per_week",
        "carers_per_visit",
        "funder",
    ]
    assert sorted(frame["client_id"]) == sorted(clients["client_id"]) and frame["client_id"].is_unique
    assert set(frame["status"]) <= {"assigned", "unmet"}
    unmet = frame["status"] == "unmet"
    assert (frame.loc[unmet, "provider_id"] == "").all() and (frame.loc[~unmet, "provider_id"] != "").all()
    assert (frame.loc[unmet, "reason"] != "").all() and (frame.loc[~unmet, "reason"] == "").all()
    k = kpis["scenarios"][variant]
    assert k["clients_assigned"] + k["clients_unmet"] == k["clients_total"] == N_CLIENTS
    assert k["clients_assigned"] == int((~unmet).sum())
    assert set(frame["moved"]) <= {"yes", "no"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_tables_agree_with_kpis_json_and_kpis_csv(run_dir, kpis, variant):
    k = kpis["scenarios"][variant]
    frame = allocation(run_dir, variant)
    assigned = frame["status"] == "assigned"
    assert math.isclose(
        frame.loc[assigned, "care_hours_per_week"].sum(), k["care_hours_assigned"], abs_tol=1e-3
    )
    assert math.isclose(
        frame.loc[~assigned, "care_hours_per_week"].sum(), k["unmet_hours_per_week"], abs_tol=1e-3
    )
    assert math.isclose(frame["travel_hours_per_week"].sum(), k["travel_hours_per_week"], abs_tol=1e-3)
    assert (frame["care_hours_per_week"] == frame["weekly_hours"] * frame["carers_per_visit"]).all()
    assert int((frame["moved"] == "yes").sum()) == k["clients_moved"]
    minutes = frame.loc[assigned, "travel_minutes_per_visit"]
    assert math.isclose(minutes.max(), k["longest_travel_minutes_per_visit"], abs_tol=0.01)

    providers = pd.read_csv(run_dir / "providers.csv")
    assert list(providers.columns[:10]) == [
        "variant",
        "provider_id",
        "name",
        "kind",
        "care_hours",
        "clients",
        "travel_hours",
        "revenue_gbp",
        "change_hours_vs_current",
        "change_pct_vs_current",
    ]
    p = providers[providers["variant"] == variant]
    assert math.isclose(p["care_hours"].sum(), k["care_hours_assigned"], abs_tol=1e-2)
    assert math.isclose(p["travel_hours"].sum(), k["travel_hours_per_week"], abs_tol=1e-2)
    assert int(p["clients"].sum()) == k["clients_assigned"]
    assert math.isclose(p["revenue_gbp"].sum(), k["care_cost_per_week_gbp"], abs_tol=0.05)
    by_provider = frame[assigned].groupby("provider_id")["care_hours_per_week"].sum()
    for _, row in p.iterrows():
        assert math.isclose(by_provider.get(row["provider_id"], 0.0), row["care_hours"], abs_tol=1e-3)

    zones = pd.read_csv(run_dir / "zones.csv")
    assert list(zones.columns[:9]) == [
        "variant",
        "zone_id",
        "name",
        "remote",
        "providers",
        "provider_ids",
        "care_hours",
        "unmet_hours",
        "travel_minutes_per_visit",
    ]
    z = zones[zones["variant"] == variant]
    assert math.isclose(z["care_hours"].sum(), k["care_hours_assigned"], abs_tol=1e-2)
    assert math.isclose(z["unmet_hours"].sum(), k["unmet_hours_per_week"], abs_tol=1e-2)
    assert int(z["providers"].max()) == k["max_providers_per_zone"]

    table = pd.read_csv(run_dir / "kpis.csv").set_index("kpi")
    assert list(table.columns[:2]) == ["unit", "family"]
    for name, value in k.items():
        if name in table.index and isinstance(value, int | float) and not isinstance(value, bool):
            assert math.isclose(float(table.loc[name, variant]), value, rel_tol=1e-9, abs_tol=1e-9), name


def test_the_workbook_reads_back_and_matches_the_csv_files(run_dir, kpis):
    book = openpyxl.load_workbook(run_dir / "workbook.xlsx", read_only=True)
    assert {"KPIs", "Providers", "Zones", "Parameters", "Warnings"} <= set(book.sheetnames)
    assert {f"Allocation {v}" for v in VARIANTS} <= set(book.sheetnames)
    rows = list(book["KPIs"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:2] == ["Measure", "Unit"]  # labels for people; the key is a column (issue 13)
    by_kpi = {r[header.index("Key")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    for variant in VARIANTS:
        for name in ("cost_per_week_gbp", "travel_hours_per_week", "unmet_hours_per_week", "clients_unmet"):
            assert math.isclose(by_kpi[name][variant], kpis["scenarios"][variant][name], abs_tol=1e-6)
    sheet = list(book["Allocation zoned"].iter_rows(values_only=True))
    assert len(sheet) == N_CLIENTS + 1
    workbook_frame = pd.DataFrame(sheet[1:], columns=sheet[0])
    assert sorted(workbook_frame["Client"]) == sorted(allocation(run_dir, "zoned")["client_id"])
    providers = pd.DataFrame(
        list(book["Providers"].iter_rows(values_only=True))[1:],
        columns=list(book["Providers"].iter_rows(values_only=True))[0],
    )
    csv_providers = pd.read_csv(run_dir / "providers.csv")
    hours = providers["Care hours (h/week)"].sum()
    assert math.isclose(hours, csv_providers["care_hours"].sum(), abs_tol=1e-6)


def test_optimised_and_zoned_travel_less_than_current(kpis):
    current = kpis["scenarios"]["current"]["travel_hours_per_week"]
    assert kpis["scenarios"]["optimised"]["travel_hours_per_week"] < current
    assert kpis["scenarios"]["zoned"]["travel_hours_per_week"] < current
    assert kpis["scenarios"]["zoned"]["cost_per_week_change_vs_current_gbp"] < 0


def test_zoning_holds_for_clients_who_did_not_choose_their_provider(run_dir):
    clients = pd.read_csv(run_dir / "inputs" / "clients.csv", dtype=str, keep_default_na=False)
    pinned = set(clients.loc[clients["pinned"].str.lower().isin(["yes", "true", "1"]), "client_id"])
    frame = allocation(run_dir, "zoned")
    counted = frame[(frame["status"] == "assigned") & ~frame["client_id"].isin(pinned)]
    assert counted.groupby("zone")["provider_id"].nunique().max() <= 2
    kpis = json.loads((run_dir / "kpis.json").read_text())
    assert kpis["scenarios"]["zoned"]["max_providers_per_zone_excluding_own_choice"] == (
        counted.groupby("zone")["provider_id"].nunique().max()
    )


def test_current_keeps_todays_providers_and_places_waiting_packages_greedily(run_dir):
    current, snapshot = allocation(run_dir, "current"), allocation(run_dir, "snapshot")
    kept = current["current_provider"] != ""
    same = current["provider_id"] == current["current_provider"]
    # Served today: same provider, or unmet because the travel model cannot reach the client.
    assert (same | (current["status"] == "unmet"))[kept].all()
    assert (current["moved"] == "no").all()
    waiting = ~kept
    assert waiting.any()
    assert (snapshot.loc[waiting, "status"] == "unmet").all()
    assert snapshot.loc[waiting, "reason"].str.startswith(WAITING_REASON).all()
    assert (current.loc[waiting, "status"] == "assigned").sum() >= 1
    assert (current.loc[kept, "provider_id"] == snapshot.loc[kept, "provider_id"]).all()


def test_protect_and_exclude(run_dir):
    protect, exclude = (run_dir / "_test_protect_exclude.txt").read_text().split()
    frame = allocation(run_dir, "protected")
    clients = pd.read_csv(run_dir / "inputs" / "clients.csv", dtype=str, keep_default_na=False)
    pinned = set(clients.loc[clients["pinned"].str.lower().isin(["yes", "true", "1"]), "client_id"])
    # Never moved, never unmet; except a client nobody can reach in every band (a bed visit after the last
    # ferry), unmet in every variant with that reason.
    stranded = frame["reason"].str.contains("reach the client")
    of_protected = frame[(frame["current_provider"] == protect) & ~stranded]
    assert len(of_protected) and (of_protected["provider_id"] == protect).all()
    to_excluded = frame[(frame["provider_id"] == exclude) & ~frame["client_id"].isin(pinned)]
    assert to_excluded.empty


def test_a_failed_run_leaves_no_folder_and_keeps_an_existing_one(tmp_path, monkeypatch):
    text = textwrap.dedent(f"""\
        data = "{VALID_SMALL}"
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 0.5
    """)
    scenario = parse_scenario(text, base=tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(write, "write_workbook", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        run_scenario(scenario, out, quiet=True, routing=False)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []
    out.mkdir()
    (out / "keep.txt").write_text("old")
    (out / MARKER_FILE).write_text("{}\n")  # a folder this tool wrote: --force may replace it
    with pytest.raises(CareCommissioningError, match="--force"):
        run_scenario(scenario, out, quiet=True, routing=False)
    with pytest.raises(RuntimeError):
        run_scenario(scenario, out, quiet=True, routing=False, force=True)
    assert (out / "keep.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    monkeypatch.undo()
    result = run_scenario(scenario, out, quiet=True, routing=False, force=True)
    assert not (out / "keep.txt").exists() and (out / "kpis.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert all(f.is_file() for f in result.files)
    # The hand-written fixture has no dataset region: travel is approximate and every output says so.
    assert result.kpis["travel_model"] == "approximate"
    assert any("great-circle" in w for w in result.kpis["warnings"])


def test_progress_bar_is_quiet_off_a_terminal_and_draws_on_one():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    plain, tty, quiet = io.StringIO(), Tty(), Tty()
    for stream, is_quiet in ((plain, False), (tty, False), (quiet, True)):
        progress = VariantProgress("zoned", 0.3, stream=stream, quiet=is_quiet)
        with progress:
            progress.callback(1200.0, 1000.0, 0.1)
            time.sleep(0.3)
            progress.finish("FEASIBLE", 0.3, 1100.0, 1000.0)
    assert "\r" not in plain.getvalue() and plain.getvalue().count("\n") == 1
    assert "zoned" in plain.getvalue() and "£1,100" in plain.getvalue() and "bound £1,000" in plain.getvalue()
    assert "\r" in tty.getvalue() and "FEASIBLE" in tty.getvalue()
    # Issue 13: the bar is rich's (it used to be hand-drawn "██··"); the final line is the plain one.
    assert "━" in tty.getvalue() and "█" not in tty.getvalue()
    assert tty.getvalue().rstrip("\n").rsplit("\x1b[2K", 1)[-1] == plain.getvalue().rstrip("\n")
    assert quiet.getvalue() == ""


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--clients", "300", "--work-limit", "4", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "report:" in printed and str(out / "report.html") in printed
    assert "current" in printed and "optimised" in printed and "zoned" in printed
    for name in (
        "kpis.json",
        "kpis.csv",
        "providers.csv",
        "zones.csv",
        "workbook.xlsx",
        "report.html",
        "scenario.toml",
        "inputs/clients.csv",
        "inputs/hubs.csv",
    ):
        assert (out / name).is_file(), name
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["variants"] == ["current", "optimised", "zoned"]
    clients = pd.read_csv(out / "inputs" / "clients.csv", dtype=str)
    for variant in kpis["variants"]:
        frame = allocation(out, variant)
        assert sorted(frame["client_id"]) == sorted(clients["client_id"])
        k = kpis["scenarios"][variant]
        assert k["clients_assigned"] + k["clients_unmet"] == k["clients_total"] == 300
    s = kpis["scenarios"]
    for variant in ("optimised", "zoned"):
        assert s[variant]["travel_hours_per_week"] < s["current"]["travel_hours_per_week"]
        if s["current"]["travel_hours_per_week_routed"] is not None:
            assert s[variant]["travel_hours_per_week_routed"] < s["current"]["travel_hours_per_week_routed"]
    assert s["zoned"]["zoning_limit_providers_per_zone"] == 2
    assert s["zoned"]["max_providers_per_zone_excluding_own_choice"] <= 2


def test_same_data_and_seed_give_the_same_run_by_default(run_dir, tmp_path):
    """Two runs of a scenario write identical allocations and KPIs (timings aside): deterministic is the
    default (issue 10: without deterministic = true, identical runs moved different clients)."""
    data = run_dir / "inputs"
    text = textwrap.dedent(f"""\
        data = "{data}"
        [routing]
        time_limit_s = 0.1
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 2
        move_penalty_gbp = 50.0
        work_limit = 1.0
        time_limit_s = 60.0
        seed = 5
    """)
    scenario = tmp_path / "det.toml"
    scenario.write_text(text, encoding="utf-8")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    for name in ["zoned/allocation.csv", "current/allocation.csv", "providers.csv", "zones.csv"]:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name

    def without_timings(path: Path) -> dict:
        kpis = json.loads(path.read_text())
        for variant in kpis["scenarios"].values():
            variant["solver"].pop("seconds", None)
            variant.pop("solver_seconds", None)
        return kpis["scenarios"]

    assert without_timings(outs[0] / "kpis.json") == without_timings(outs[1] / "kpis.json")


def test_every_table_and_kpi_follows_the_one_output_schema(run_dir):
    """Issue 11: columns and KPI metadata are declared once (results/schema.py) and every output uses them:
    the CSV headers, kpis.csv's units and groups, kpis.json's definitions and the report's labels."""
    from commissioning.results import schema

    def header(path: Path) -> list[str]:
        return pd.read_csv(path, nrows=0).columns.tolist()

    assert header(run_dir / "zones.csv") == schema.names(schema.ZONES)
    assert header(run_dir / "providers.csv") == schema.names(schema.PROVIDERS)
    for variant in VARIANTS:
        assert header(run_dir / variant / "allocation.csv") == schema.names(schema.ALLOCATION)
    table = pd.read_csv(run_dir / "kpis.csv", dtype=str, keep_default_na=False).set_index("kpi")
    kpis = json.loads((run_dir / "kpis.json").read_text())
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    for k in schema.KPIS:
        assert (table.loc[k.name, "unit"], table.loc[k.name, "family"]) == (k.unit, k.group)
        assert kpis["definitions"][k.name]["label"] == k.label
        assert k.group in schema.GROUP_KEYS and k.level in schema.LEVELS
    assert "Care hours delivered per week" in report and "Unmet care hours per week" in report
