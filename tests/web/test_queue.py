"""The web app's run queue on this machine: queued runs start as slots free up, and live."""

from __future__ import annotations

import time

from tests.web.helpers import CURRENT_ONLY, csrf_of, log_in, make_app, upload, zipped


def test_a_run_started_when_the_one_before_ends_runs_to_its_end(tmp_path, small_dataset, monkeypatch):
    """Regression: the thread that waited for a run started the next one and then ended; Linux's
    parent-death signal follows the thread that started a child, so the next run was killed at once
    (status failed). With one slot the second run is always started that way."""
    from starlette.testclient import TestClient

    import commissioning.web.jobs as jobs

    monkeypatch.setattr(jobs, "MAX_CONCURRENT_RUNS", 1)
    app = make_app(tmp_path / "app")
    with TestClient(app) as client:
        csrf, dataset_id = _with_dataset(client, small_dataset)
        form = {"csrf_token": csrf, "dataset": dataset_id, "toml": CURRENT_ONLY}
        ids = []
        for k in range(2):
            started = client.post("/runs", data=form | {"name": f"run {k}"}, follow_redirects=False)
            assert started.status_code == 303, started.text
            ids.append(int(started.headers["location"].rsplit("/", 1)[1]))
        deadline = time.monotonic() + 300
        while any(client.get(f"/api/runs/{i}").json()["status"] in ("queued", "running") for i in ids):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        states = [client.get(f"/api/runs/{i}").json() for i in ids]
        assert [s["status"] for s in states] == ["done", "done"], states
        assert states[0]["finished"] == ["today-as-it-is-now"]  # a long name, whole in the log


def test_a_name_the_dataset_lacks_is_the_form_s_answer_not_a_queued_run(tmp_path, small_dataset):
    """Regression: the form took a misspelt ferry (or provider, patch, hub) and queued a run that failed
    later, after solving the variants before it; the names are now checked against the dataset first."""
    import html

    from starlette.testclient import TestClient

    from commissioning.web.db import Run
    from tests.web.conftest import quick_form

    app = make_app(tmp_path / "app")
    with TestClient(app) as client:
        log_in(client, "comm")
        csrf = csrf_of(client.get("/datasets/new").text)
        sent = upload(client, "small", "small.zip", zipped(small_dataset), follow_redirects=False)
        dataset_id = int(sent.headers["location"].rsplit("/", 1)[1])
        for key, value, words in [("v2.ferries_out", '["Nowhere–Atlantis"]', "no ferry route is called"),
                                  ("v1.prices", "{ P77 = 20.0 }", "provider 'P77' does not exist")]:
            refused = client.post("/runs", data=quick_form(dataset_id, csrf) | {key: value},
                                  follow_redirects=False)
            assert refused.status_code == 400 and words in html.unescape(refused.text), refused.text[-2000:]
    with app.state.sessions() as db:
        assert db.query(Run).count() == 0


LONG_RUN = """
[routing]
enabled = false
[[variants]]
name = "long"
mode = "optimised"
time_limit_s = 300.0
work_limit = 1000.0
"""


def test_a_commissioner_cancels_a_queued_and_a_running_run(tmp_path, small_dataset, monkeypatch):
    """Regression: a mistaken run (60 s a variant by default) could not be stopped from the web."""
    from starlette.testclient import TestClient

    import commissioning.web.jobs as jobs

    monkeypatch.setattr(jobs, "MAX_CONCURRENT_RUNS", 1)
    app = make_app(tmp_path / "app")
    with TestClient(app) as client:
        csrf, dataset_id = _with_dataset(client, small_dataset)
        form = {"csrf_token": csrf, "dataset": dataset_id, "toml": LONG_RUN}
        ids = [int(client.post("/runs", data=form | {"name": f"run {k}"}, follow_redirects=False)
                   .headers["location"].rsplit("/", 1)[1]) for k in range(2)]
        deadline = time.monotonic() + 120
        while client.get(f"/api/runs/{ids[0]}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert 'id="cancel"' in client.get(f"/runs/{ids[1]}").text
        for run_id in (ids[1], ids[0]):  # the queued one, then the running one
            cancelled = client.post(f"/runs/{run_id}/cancel", data={"csrf_token": csrf},
                                    follow_redirects=False)
            assert cancelled.status_code == 303
        while client.get(f"/api/runs/{ids[0]}").json()["status"] == "running":
            assert time.monotonic() < deadline  # stopped within seconds, not at its 300-s limit
            time.sleep(0.2)
        for run_id in ids:
            page = client.get(f"/runs/{run_id}").text
            assert "cancelled by comm" in page and 'id="cancel"' not in page
        assert not (tmp_path / "app" / "runs" / str(ids[1]) / "out").exists()  # never started
        again = client.post(f"/runs/{ids[0]}/cancel", data={"csrf_token": csrf}, follow_redirects=False)
        assert again.status_code == 404
        log_in(client, "plan")
        refused = client.post(f"/runs/{ids[0]}/cancel", data={"csrf_token": csrf_of(client.get("/").text)},
                              follow_redirects=False)
        assert refused.status_code == 403


def test_messages_and_downloads_carry_no_server_path(tmp_path, small_dataset, monkeypatch):
    """Regressions: a failed run's message began with the app's own path of its scenario file; a finding
    asked to add a file to the app's folder of the upload; a downloaded run's scenario.toml named the app's
    folder of the dataset, so it did not run where it was unpacked."""
    import io
    import shutil
    import subprocess
    import sys
    import zipfile

    from starlette.testclient import TestClient

    import commissioning.web.jobs as jobs

    app = make_app(tmp_path / "app")
    data_dir = str(tmp_path / "app")
    with TestClient(app) as client:
        log_in(client, "comm")
        csrf = csrf_of(client.get("/datasets/new").text)
        missing = tmp_path / "no-providers"
        shutil.copytree(small_dataset, missing)
        (missing / "providers.csv").unlink()
        sent = upload(client, "no providers", "d.zip", zipped(missing), follow_redirects=False)
        finding = client.get(sent.headers["location"]).text
        assert "upload the dataset again" in finding and data_dir not in finding
        sent = upload(client, "small", "small.zip", zipped(small_dataset), follow_redirects=False)
        dataset_id = sent.headers["location"].rsplit("/", 1)[1]
        form = {"csrf_token": csrf, "dataset": dataset_id, "toml": CURRENT_ONLY}

        def started() -> int:
            sent = client.post("/runs", data=form, follow_redirects=False)
            return int(sent.headers["location"].rsplit("/")[-1])

        def finished(run_id: int) -> dict:
            deadline = time.monotonic() + 120
            while client.get(f"/api/runs/{run_id}").json()["status"] in ("queued", "running"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            return client.get(f"/api/runs/{run_id}").json()

        monkeypatch.setattr(jobs, "MAX_CONCURRENT_RUNS", 0)  # held in the queue while its data go away
        held = started()
        dataset = tmp_path / "app" / "datasets" / dataset_id
        dataset.rename(dataset.with_name("away"))
        monkeypatch.setattr(jobs, "MAX_CONCURRENT_RUNS", 1)
        app.state.queue.poke()
        message = finished(held)["message"]
        assert "error: scenario.toml, line 1" in message and data_dir not in message, message
        dataset.with_name("away").rename(dataset)
        done = started()
        assert finished(done)["status"] == "done"
        zipfile.ZipFile(io.BytesIO(client.get(f"/runs/{done}/download").content)).extractall(tmp_path / "got")
    scenario = next((tmp_path / "got").glob("*/scenario.toml"))
    assert scenario.read_text().startswith('data = "inputs"')
    again = subprocess.run([sys.executable, "-m", "commissioning.cli", "run", str(scenario), "--out",
                            str(tmp_path / "again")], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr


def test_the_run_page_shows_every_variant_being_solved(tmp_path):
    """Regression: with two variants solving side by side, "Solving now" showed only the newer line."""
    from commissioning.web.db import Run
    from commissioning.web.jobs import LOG_FILE, progress

    toml = '[[variants]]\nname = "a"\nmode = "optimised"\n[[variants]]\nname = "b"\nmode = "zoned"\n'
    (tmp_path / LOG_FILE).write_text(
        "a  2.0s/60s  objective £1  bound —  gap —  searching\n"
        "b  2.1s/60s  objective £2  bound —  gap —  searching\n"
        "a  4.0s/60s  objective £0.9  bound £0.8  gap 11%  searching\n", encoding="utf-8")
    finished, now, _ = progress(Run(scenario_toml=toml, folder=str(tmp_path)))
    assert finished == [] and now.splitlines() == ["a  4.0s/60s  objective £0.9  bound £0.8  gap 11%",
                                                   "b  2.1s/60s  objective £2  bound —  gap —"]


def _with_dataset(client, small_dataset) -> tuple[str, str]:
    """Signed in as the commissioner with the small dataset uploaded: (CSRF token, dataset id)."""
    log_in(client, "comm")
    csrf = csrf_of(client.get("/datasets/new").text)
    sent = upload(client, "small", "small.zip", zipped(small_dataset), follow_redirects=False)
    return csrf, str(int(sent.headers["location"].rsplit("/", 1)[1]))


def test_a_download_of_a_run_set_up_with_the_form_fields_reads_its_own_inputs(tmp_path):
    # Regression: the form's fields write name = ... first and data = ... second; the download's rewrite
    # only looked at the first line, so it kept the app's folder of the dataset.
    from commissioning.web.form import default_values, form_toml
    from commissioning.web.pages import portable_scenario

    folder = tmp_path / "app" / "datasets" / "3"
    text = portable_scenario(form_toml(default_values() | {"name": "winter"}, folder))
    assert str(folder) not in text and 'data = "inputs"' in text and text.startswith('name = "winter"')


def _ended(client, run_id: int) -> dict:
    deadline = time.monotonic() + 300
    while (state := client.get(f"/api/runs/{run_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    return state


def test_a_commissioner_runs_a_run_again_and_deletes_failed_runs_and_unused_datasets(
    tmp_path, small_dataset, monkeypatch
):
    """Regression: a cancelled or failed run, and a dataset uploaded by mistake or with errors, stayed in the
    lists for good, and a cancelled run could only be set up again by hand."""
    import shutil

    from starlette.testclient import TestClient

    import commissioning.web.jobs as jobs

    monkeypatch.setattr(jobs, "MAX_CONCURRENT_RUNS", 1)  # a long run holds the slot: the next one waits
    app = make_app(tmp_path / "app")
    with TestClient(app) as client:
        csrf, dataset_id = _with_dataset(client, small_dataset)
        ids = [int(client.post("/runs", data={"csrf_token": csrf, "dataset": dataset_id, "toml": toml,
                                              "name": name}, follow_redirects=False)
                   .headers["location"].rsplit("/", 1)[1])
               for name, toml in (("long", LONG_RUN), ("mistake", CURRENT_ONLY))]
        first = ids[1]
        for run_id in (first, ids[0]):  # the queued one, then the long one
            client.post(f"/runs/{run_id}/cancel", data={"csrf_token": csrf})
        assert [_ended(client, i)["status"] for i in ids] == ["failed", "failed"]
        page = client.get(f"/runs/{first}").text
        assert 'id="again"' in page and 'id="delete"' in page
        again = client.post(f"/runs/{first}/again", data={"csrf_token": csrf}, follow_redirects=False)
        second = int(again.headers["location"].rsplit("/", 1)[1])
        assert second != first and _ended(client, second)["status"] == "done"
        with app.state.sessions() as db:
            from commissioning.web.db import Run

            old, new = db.get(Run, first), db.get(Run, second)
            assert (new.scenario_toml, new.dataset_id) == (old.scenario_toml, old.dataset_id)
            assert new.name == old.name
        done_delete = client.post(f"/runs/{second}/delete", data={"csrf_token": csrf}, follow_redirects=False)
        assert done_delete.status_code == 404 and 'id="delete"' not in client.get(f"/runs/{second}").text
        folder = tmp_path / "app" / "runs" / str(first)
        assert folder.exists()
        deleted = client.post(f"/runs/{first}/delete", data={"csrf_token": csrf}, follow_redirects=False)
        # emptied but for a cancelled cluster run's stop file; its row stays, so its id is never given again
        assert deleted.status_code == 303 and [p.name for p in folder.iterdir()] in ([], ["stop"])
        assert client.get(f"/runs/{first}").status_code == 404
        assert client.get(f"/api/runs/{first}").status_code == 404
        assert f'href="/runs/{first}"' not in client.get("/").text
        gone_again = client.post(f"/runs/{first}/again", data={"csrf_token": csrf}, follow_redirects=False)
        assert gone_again.status_code == 404

        kept = client.post(f"/datasets/{dataset_id}/delete", data={"csrf_token": csrf})
        assert kept.status_code == 409 and f"Runs {ids[0]}, {second} were made on this dataset" in kept.text
        broken = tmp_path / "broken"
        shutil.copytree(small_dataset, broken)
        (broken / "providers.csv").unlink()
        sent = upload(client, "broken", "d.zip", zipped(broken), follow_redirects=False)
        broken_id = int(sent.headers["location"].rsplit("/", 1)[1])
        assert 'id="delete"' in client.get(f"/datasets/{broken_id}").text
        log_in(client, "plan")
        planner_csrf = csrf_of(client.get("/").text)
        planner = client.post(f"/datasets/{broken_id}/delete", data={"csrf_token": planner_csrf})
        assert planner.status_code == 403
        log_in(client, "comm")
        csrf = csrf_of(client.get("/").text)
        gone = client.post(f"/datasets/{broken_id}/delete", data={"csrf_token": csrf}, follow_redirects=False)
        assert gone.status_code == 303 and client.get(f"/datasets/{broken_id}").status_code == 404
        assert not (tmp_path / "app" / "datasets" / str(broken_id)).exists()
        assert f'href="/datasets/{broken_id}"' not in client.get("/").text
        again = upload(client, "again", "d.zip", zipped(broken), follow_redirects=False)
        assert int(again.headers["location"].rsplit("/", 1)[1]) > broken_id  # an id is never given twice
        assert (tmp_path / "app" / "datasets" / str(dataset_id)).exists()
