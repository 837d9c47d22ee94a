"""``commissioning sweep`` regressions, on real runs and a real local Dask cluster: an interrupt leaves no
half-written run behind, a --vary value naming what the data lack is one line before any run, and
sweep.csv keeps the achieved K beside the K set."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commissioning.cli import main
from tests.commissioning import test_sweep_cluster as cluster
from tests.commissioning.test_sweep_cluster import _alive, _finished, _running, _wait_for, _workers, read_csv

pytestmark = pytest.mark.slow
scenario = cluster.scenario  # the cluster tests' fixture: 60 generated clients, a short work limit
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def slow_scenario(scenario, tmp_path_factory) -> Path:
    """200 clients, as the tester's: a run long enough to be cut by the interrupt (the 60-client runs end
    before the cluster has closed, so nothing is left half-written)."""
    from commissioning.synthetic.generate import generate_scenario

    root = tmp_path_factory.mktemp("sweep200")
    generate_scenario(root / "data", n_clients=200, seed=3)
    path = root / "scenario.toml"
    path.write_text(scenario.read_text(encoding="utf-8"), encoding="utf-8")  # the same, on data/ here
    return path


@pytest.mark.parametrize(("signum", "group", "status"),
                         [(signal.SIGTERM, False, 143), (signal.SIGINT, True, 130)],
                         ids=["sigterm", "ctrl-c-to-the-group"])
def test_an_interrupted_sweep_leaves_no_half_written_run(slow_scenario, tmp_path, signum, group, status):
    """Regression (defect 8): the killed workers' ``.<key>.partial-*`` folders and ``.<key>.lock`` files
    stayed in runs/ until the sweep was resumed. Finished runs' folders stay: resuming reads them."""
    out = tmp_path / "out"
    # Two quick runs finish; the long ones (a large work limit) are cut by the interrupt.
    argv = [sys.executable, "-m", "commissioning.cli", "sweep", str(slow_scenario), "--variant", "zoned",
            "--vary", "work_limit=0.2,0.3,200,201", "--workers", "2", "--out", str(out)]
    # Its own session: Ctrl-C in a terminal signals the whole group, which must not include pytest.
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)
    try:
        _wait_for(lambda: _finished(out) >= 1 and _running(out) and len(_workers(proc)) == 2)
        time.sleep(2)  # the long runs well under way
        workers = _workers(proc)
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == status, stderr
    assert "interrupted: finished runs are kept" in stderr
    # A Ctrl-C to the group also reaches the Dask worker processes: they printed a KeyboardInterrupt
    # traceback of their own when it came while they were running (commissioning.sweep.worker_setup).
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    _wait_for(lambda: not any(_alive(w) for w in workers), 30)
    left = sorted(p.name for p in (out / "runs").iterdir())
    assert [name for name in left if name.startswith(".")] == [], left
    assert left and all((out / "runs" / name / "kpis.json").is_file() for name in left), left


@pytest.mark.parametrize(("vary", "shown", "words"), [
    ('ferries_out=["Oban–Craignure"],["Atlantis"]', '--vary ferries_out=["Atlantis"]',
     ["no ferry route is called 'Atlantis'", "allow_unmet=true, ferries_out=[\"Atlantis\"]"]),
    ('exclude=[],["NOPE"]', '--vary exclude=["NOPE"]', ["provider 'NOPE' does not exist in providers.csv"]),
])
def test_a_vary_value_naming_what_the_data_lack_is_one_line_before_any_run(scenario, tmp_path, capsys,
                                                                              vary, shown, words):
    """Regression (defect 9): a ferry the network lacks was found per run, after other runs solved, and
    reported against a line of the run's text that the file does not have (exit 1)."""
    out = tmp_path / "out"
    status = main(["sweep", str(scenario), "--variant", "zoned", "--vary", "allow_unmet=true,false",
                   "--vary", vary, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {shown} (") and "Traceback" not in err, err
    assert ", line " not in err, err  # a line of the run's text, not of the file: left out
    for word in words:
        assert word in err, err
    assert not out.exists()  # nothing dispatched


def test_sweep_csv_keeps_the_achieved_k_beside_the_k_set(scenario, tmp_path, capsys):
    """Regression (defect 10): the varied key and the KPI of the same name shared one column (the KPI, the
    providers per patch achieved, own choice included, was dropped)."""
    out = tmp_path / "out"
    status = main(["sweep", str(scenario), "--variant", "zoned", "--vary", "max_providers_per_zone=1,3",
                   "--workers", "2", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    rows = read_csv(out / "sweep.csv")
    assert [r["vary_max_providers_per_zone"] for r in rows] == ["1", "3"]
    for row in rows:
        with open(out / "runs" / row["run"] / "kpis.csv", encoding="utf-8-sig", newline="") as handle:
            kpis = {r["kpi"]: r["zoned"] for r in csv.DictReader(handle)}
        assert float(row["max_providers_per_zone"]) == float(kpis["max_providers_per_zone"])
    html = (out / "sweep.html").read_text(encoding="utf-8")
    assert "Travel against max_providers_per_zone" in html


def test_a_run_read_with_other_kpis_is_not_taken_from_the_cache(monkeypatch):
    """Regression (a reviewer's reading): the cache key held the version (0.1.0, never raised), so a resumed
    sweep would mix runs read before a KPI changed (the cost without recruitment) into one sweep.csv."""
    import dataclasses

    from commissioning.results import schema
    from commissioning.sweep.cache import run_key

    before = run_key("text", "data", {})
    changed = tuple(dataclasses.replace(k, description=k.description + " (new)")
                    if k.name == "cost_per_week_gbp" else k for k in schema.KPIS)
    monkeypatch.setattr(schema, "KPIS", changed)
    assert run_key("text", "data", {}) != before
