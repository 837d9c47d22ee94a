"""``commissioning sweep`` on a real local Dask cluster (scheduler and worker processes): every combination
in sweep.csv, a bad run fails alone, a rerun resumes without solving again, a killed worker loses no run,
Ctrl-C keeps finished runs and the workers end with the sweep."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from commissioning.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    from commissioning.synthetic.generate import generate_scenario

    root = tmp_path_factory.mktemp("sweep")
    generate_scenario(root / "data", n_clients=60, seed=1)
    path = root / "scenario.toml"
    path.write_text(textwrap.dedent("""\
        name = "sweep test"
        data = "data"
        [solver]
        workers = 1
        work_limit = 0.3
        time_limit_s = 60.0  # the work limit decides: deterministic
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 2
    """), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_sweep_runs_every_combination_a_bad_value_fails_alone_and_a_rerun_resumes(scenario, tmp_path,
                                                                                      capsys):
    out = tmp_path / "out"
    # allow_unmet = false is infeasible on this data (clients no provider can reach): it fails when solved.
    # (A name the data lack, e.g. exclude = ["NOPE"], is a bad sweep, before any run: test_sweep_leftovers.)
    argv = ["sweep", str(scenario), "--vary", 'exclude=[],["P01"]', "--vary", "allow_unmet=true,false",
            "--vary", "move_penalty_gbp=0,50", "--variant", "zoned", "--workers", "2", "--out", str(out)]
    assert main(argv) == 1  # a run failed: recorded, the others finished
    captured = capsys.readouterr()
    assert "8 runs: 4 solved, 0 from earlier runs, 4 failed" in captured.out
    rows = read_csv(out / "sweep.csv")
    assert [(r["vary_exclude"], r["vary_allow_unmet"], r["vary_move_penalty_gbp"]) for r in rows] == [
        (e, u, p) for e in ("[]", '["P01"]') for u in ("true", "false") for p in ("0", "50")]
    assert {r["variant"] for r in rows} == {"zoned"}
    for row in rows:
        if row["vary_allow_unmet"] == "false":
            assert row["status"] == "error" and "has no feasible allocation" in row["error"]
            assert row["cost_per_week_gbp"] == ""
        else:
            assert row["status"] == "ok" and row["error"] == "", row["error"]
            assert float(row["cost_per_week_gbp"]) > 0 and row["solver_status"] in ("OPTIMAL", "FEASIBLE")
    assert "4 of 8 runs failed" in captured.err and "has no feasible allocation" in captured.err
    html = (out / "sweep.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Total cost against unmet need" in html and "allow_unmet=False" in html

    # An interrupted sweep: one finished run's folder gone. The rerun solves that one only.
    gone = out / "runs" / rows[4]["run"]
    kept = out / "runs" / rows[0]["run"]
    kept_mtime = (kept / "kpis.json").stat().st_mtime_ns
    import shutil

    shutil.rmtree(gone)
    assert main(argv) == 1
    assert "8 runs: 1 solved, 3 from earlier runs, 4 failed" in capsys.readouterr().out
    assert (kept / "kpis.json").stat().st_mtime_ns == kept_mtime and (gone / "kpis.json").is_file()
    again = read_csv(out / "sweep.csv")

    def same(table):  # deterministic: the same sweep.csv but for the wall-clock seconds
        return [{k: v for k, v in r.items() if k != "solver_seconds"} for r in table]

    for before, after in zip(same(rows), same(again), strict=True):
        assert {k: v for k, v in before.items() if after[k] != v} == {}
    assert sorted(p.name for p in kept.iterdir()) == [".care-commissioning", "kpis.csv", "kpis.json",
                                                       "scenario.toml"]  # pruned without --keep-runs


def _start(scenario: Path, out: Path, *values: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "commissioning.cli", "sweep", str(scenario), "--variant", "zoned",
            "--vary", "move_penalty_gbp=" + ",".join(values), "--workers", "2", "--out", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])


def _workers(proc: subprocess.Popen) -> list[psutil.Process]:
    return _spawned(psutil.Process(proc.pid).children(recursive=True))


def _spawned(children: list[psutil.Process]) -> list[psutil.Process]:
    """The worker processes among CHILDREN; one that exits while it is being read is not a worker."""
    workers = []
    for child in children:
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:  # it exited between the listing and this read (CI saw it once)
            continue
        if "spawn_main" in command:
            workers.append(child)
    return workers


def test_a_child_that_exits_while_the_workers_are_listed_is_skipped():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    listed = psutil.Process(child.pid)
    child.wait()
    assert _spawned([listed]) == []


def _wait_for(condition, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while not condition():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.2)


def _busy_worker(proc: subprocess.Popen, out: Path) -> psutil.Process | None:
    """A worker process in the middle of a run (it holds the lock of a folder under OUT/runs)."""
    for worker in _workers(proc):
        try:
            files = [f.path for f in worker.open_files()]
        except psutil.Error:
            continue
        if any(Path(f).parent == out / "runs" and f.endswith(".lock") for f in files):
            return worker
    return None


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:  # it exited between the two reads
        return False


def _running(out: Path) -> bool:
    runs = out / "runs"
    return runs.is_dir() and any(".partial-" in p.name for p in runs.iterdir())


def _finished(out: Path) -> int:
    runs = out / "runs"
    return sum((p / "kpis.json").is_file() for p in runs.iterdir()) if runs.is_dir() else 0


def test_killing_a_worker_process_mid_run_loses_no_run(scenario, tmp_path):
    out = tmp_path / "out"
    proc = _start(scenario, out, "0", "10", "20", "30")
    try:
        _wait_for(lambda: _busy_worker(proc, out) is not None)
        victim = _busy_worker(proc, out)  # it holds a run's lock: it is writing that run
        victim.send_signal(signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    rows = read_csv(out / "sweep.csv")
    assert [r["vary_move_penalty_gbp"] for r in rows] == ["0", "10", "20", "30"]
    assert all(r["status"] == "ok" for r in rows), rows
    assert "4 runs: 4 solved" in stdout


def test_ctrl_c_keeps_finished_runs_exits_130_and_no_worker_outlives_the_sweep(scenario, tmp_path):
    out = tmp_path / "out"
    proc = _start(scenario, out, "1", "2", "3", "4", "5", "6")
    try:
        _wait_for(lambda: _finished(out) >= 1 and len(_workers(proc)) == 2)
        workers = _workers(proc)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted: finished runs are kept" in stderr and "Traceback" not in stderr
    kept = _finished(out)
    assert kept >= 1
    _wait_for(lambda: not any(_alive(w) for w in workers), 30)
    assert not (out / "sweep.csv").exists()


def test_worker_processes_die_when_the_sweep_is_killed(scenario, tmp_path):
    out = tmp_path / "out"
    proc = _start(scenario, out, "7", "8", "9")
    try:
        _wait_for(lambda: _running(out) and len(_workers(proc)) == 2)
        workers = _workers(proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    _wait_for(lambda: not any(_alive(w) for w in workers), 30)


def test_a_sweep_runs_on_an_existing_cluster_given_by_its_address(scenario, tmp_path, capsys):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)
    worker = subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet)
    try:
        _wait_for(lambda: _listening(port), 60)  # the scheduler is up: the sweep's 5 s connect is enough
        out = tmp_path / "out"
        status = main(["sweep", str(scenario), "--variant", "zoned", "--vary", "max_providers_per_zone=1,3",
                       "--scheduler", address, "--out", str(out)])
        assert status == 0, capsys.readouterr().err
        assert [r["status"] for r in read_csv(out / "sweep.csv")] == ["ok", "ok"]
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
