"""Fixtures of the web tests: a small generated dataset, and an app with a finished, published run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.web.helpers import csrf_of, log_in, make_app, upload, zipped

SMALL_CLIENTS = 150


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    from commissioning.synthetic.generate import generate_scenario

    folder = tmp_path_factory.mktemp("web-data") / "small"
    generate_scenario(folder, n_clients=SMALL_CLIENTS, seed=3)
    return folder


def quick_form(dataset_id: int, csrf: str) -> dict:
    """The run form as it opens (the default's three variants), with short searches."""
    from commissioning.web.form import default_values

    values = default_values() | {"dataset": str(dataset_id), "csrf_token": csrf, "name": "quick run"}
    for k in range(3):
        if values.get(f"v{k}.mode") != "current":
            values |= {f"v{k}.work_limit": "0.5", f"v{k}.time_limit_s": "20"}
    values["routing.enabled"] = "false"
    return values


@pytest.fixture(scope="module")
def finished(tmp_path_factory, small_dataset):
    """(app, run id): a run of the small dataset, done and published, on an app of its own."""
    from starlette.testclient import TestClient

    app = make_app(tmp_path_factory.mktemp("web-app"))
    with TestClient(app) as client:
        log_in(client, "comm")
        csrf = csrf_of(client.get("/datasets/new").text)
        sent = upload(client, "small", "small.zip", zipped(small_dataset), follow_redirects=False)
        dataset_id = int(sent.headers["location"].rsplit("/", 1)[1])
        started = client.post("/runs", data=quick_form(dataset_id, csrf), follow_redirects=False)
        assert started.status_code == 303, started.text
        run_id = int(started.headers["location"].rsplit("/", 1)[1])
        deadline = time.monotonic() + 300
        while client.get(f"/api/runs/{run_id}").json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "done"
        client.post(f"/runs/{run_id}/publish", data={"csrf_token": csrf, "publish": "yes"})
        yield app, run_id


POSTGRES_ENV = "COMMISSIONING_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_url():
    """The URL of a fresh PostgreSQL database (made for the test, dropped after), from the server that
    .ci/run starts (``COMMISSIONING_TEST_POSTGRES_URL``). Skipped without it locally; fails under CI=true."""
    import os
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{POSTGRES_ENV} is not set: .ci/run must start PostgreSQL")
        pytest.skip(f"no PostgreSQL ({POSTGRES_ENV} not set)")
    name = f"cc_test_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
