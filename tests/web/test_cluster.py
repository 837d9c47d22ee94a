"""serve --scheduler: the web app's runs as tasks on a real Dask cluster (scheduler and worker processes)."""

from __future__ import annotations

import logging
import os
import time

import pytest

from tests.web.helpers import CURRENT_ONLY, csrf_of, log_in, make_app, upload, zipped


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL, memory_limit=0) as local:
        yield local


def _finish(client, run_id: int) -> str:
    deadline = time.monotonic() + 300
    while (status := client.get(f"/api/runs/{run_id}").json()["status"]) in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    return status


def test_a_run_started_in_the_browser_runs_on_a_dask_worker(tmp_path, small_dataset, cluster):
    from distributed import Client
    from starlette.testclient import TestClient

    app = make_app(tmp_path / "app", scheduler=cluster.scheduler_address)
    assert app.state.queue.slots() == 1  # the cluster's one worker thread
    with TestClient(app) as client:
        log_in(client, "comm")
        csrf = csrf_of(client.get("/datasets/new").text)
        sent = upload(client, "small", "small.zip", zipped(small_dataset), follow_redirects=False)
        dataset_id = int(sent.headers["location"].rsplit("/", 1)[1])
        # Today's allocation only: what is tested is where the run runs, not what it solves.
        form = {"csrf_token": csrf, "dataset": str(dataset_id), "toml": CURRENT_ONLY}
        started = [client.post("/runs", data=form | {"name": f"run {k}"}, follow_redirects=False)
                   for k in range(2)]
        ids = [int(s.headers["location"].rsplit("/", 1)[1]) for s in started]
        # One worker thread: the second run waits in the app's queue, not on the cluster.
        assert client.get(f"/api/runs/{ids[1]}").json()["status"] == "queued"
        assert [_finish(client, run_id) for run_id in ids] == ["done", "done"]
        page = client.get(f"/runs/{ids[0]}")
        assert 'id="kpis"' in page.text
        with Client(cluster) as dask_client:
            worker_pid = next(iter(dask_client.run(os.getpid).values()))
        for run_id in ids:
            text = (app.state.data_dir / "runs" / str(run_id) / "log.txt").read_text()
            assert "on Dask worker" in text and f"pid {worker_pid}" in text and str(os.getpid()) not in text


def test_serve_names_a_scheduler_that_does_not_answer(tmp_path, capsys):
    from commissioning.cli import main

    code = main(["serve", "--data", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code != 0 and "--scheduler tcp://127.0.0.1:9" in err and "Fix:" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_run_shows_its_search_live_and_stops_when_the_app_writes_its_stop_file(tmp_path, small_dataset):
    """The run page's "solving now" line comes from the child's log while it solves; a cancelled Dask task
    that is running is not interrupted by Dask, so the task watches the stop file."""
    import shutil
    import threading

    from commissioning.web.db import Run
    from commissioning.web.jobs import LOG_FILE, STOP_FILE, progress, run_on_worker

    shutil.copytree(small_dataset, tmp_path / "data")
    scenario = (
        'data = "data"\n[routing]\nenabled = false\n[solver]\ndeterministic = false\n'
        '[[variants]]\nname = "zoned"\nmode = "zoned"\nmax_providers_per_zone = 1\ntime_limit_s = 600.0\n'
    )
    (tmp_path / "scenario.toml").write_text(scenario, encoding="utf-8")
    run = Run(scenario_toml=scenario, folder=str(tmp_path))
    codes = []
    worker = threading.Thread(target=lambda: codes.append(run_on_worker(str(tmp_path))))
    t0 = time.monotonic()
    worker.start()
    while not (now := progress(run)[1]) and time.monotonic() - t0 < 60:
        time.sleep(0.5)
    assert now.startswith("zoned") and "/600s" in now and "gap" in now, now
    assert progress(run)[0] == []  # searching is not finished
    (tmp_path / STOP_FILE).touch()
    worker.join(timeout=60)
    assert not worker.is_alive() and codes and codes[0] != 0
    assert time.monotonic() - t0 < 120  # far below the run's 600 s
    assert "on Dask worker" in (tmp_path / LOG_FILE).read_text()
