"""Issue 16's acceptance in a real browser against a real ``commissioning serve`` process and SQLite file:
a commissioner uploads the demo data, runs current / optimised / zoned, reads the report and publishes;
provider P03 sees only its own view; P05 changing the id gets 403 or 404, in the audit log; a planner
cannot start a run. Every request that does not go to the app is aborted and fails the test (offline)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.maps.test_browser import browser  # noqa: F401  (the fixture: Debian's chromium)
from tests.web.helpers import CURRENT_ONLY, PASSWORD, USERS, zipped

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RUN_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "commissioning.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        check=True,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of ``commissioning serve`` on a fresh data folder, users made by ``users add``."""
    data = tmp_path_factory.mktemp("serve")
    for name, role, provider in USERS:
        extra = ["--provider", provider] if provider else []
        _cli(
            "users",
            "add",
            name,
            "--role",
            role,
            *extra,
            "--data",
            str(data),
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "commissioning.cli", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def demo_zip(tmp_path_factory) -> Path:
    from commissioning.synthetic.generate import generate_scenario

    folder = tmp_path_factory.mktemp("demo") / "demo-data"
    generate_scenario(folder, n_clients=1000, seed=1)
    path = folder.parent / "demo-data.zip"
    path.write_bytes(zipped(folder))
    return path


@pytest.fixture
def open_page(browser, server):  # noqa: F811
    contexts, outside = [], []

    def make(name: str | None, width: int = 1280):
        context = browser.new_context(base_url=server, viewport={"width": width, "height": 800})
        contexts.append(context)

        def only_the_app(route):
            if route.request.url.startswith(server):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", only_the_app)
        page = context.new_page()
        if name:
            page.goto("/login")
            page.fill("#name", name)
            page.fill("#password", PASSWORD)
            page.click("#log-in")
            page.wait_for_url(re.compile(r"/$"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not outside, f"requests outside the app: {outside[:5]}"


def test_commissioner_provider_and_planner_journeys(open_page, demo_zip):
    comm = open_page("comm")
    run_id = _upload_and_run(comm, demo_zip)
    comm.goto(f"/runs/{run_id}")
    # Regression: the key figures ran off a 1280-px screen (the zoned, level and description columns cut off)
    assert comm.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    report = comm.frame_locator("iframe[title=report]")
    report.locator("h1").first.wait_for()
    comm.click("#publish")
    comm.wait_for_selector("text=published to providers")

    p03 = open_page("p03")
    p03.click(f"a[href='/runs/{run_id}/providers/P03']")
    assert "P03" in p03.inner_text("h1") and "P05" not in p03.content()
    p03.frame_locator("iframe[title='coverage map']").locator(".leaflet-container").first.wait_for()

    p05 = open_page("p05")
    for url in (f"/runs/{run_id}/providers/P03", f"/api/runs/{run_id}/providers/P03", f"/runs/{run_id}"):
        response = p05.goto(url)
        assert response.status in (403, 404), (url, response.status)

    planner = open_page("plan")
    assert planner.goto("/runs/new").status == 403
    assert planner.goto(f"/runs/{run_id}").status == 200

    comm.goto("/audit")
    audit = comm.inner_text("#audit")
    assert re.search(rf"p05\s+view provider view\s+run {run_id}: provider P03\s+denied", audit), audit[:2000]


def _upload_and_run(page, demo_zip: Path) -> int:
    page.goto("/datasets/new")
    page.fill("#name", "Argyll and Bute demo")
    page.set_input_files("#files", str(demo_zip))
    page.click("#upload")
    page.wait_for_selector("#verdict")
    assert "No errors" in page.inner_text("#verdict"), page.inner_text("#findings")[:2000]
    page.click("text=Set up a run on it")
    for k in (1, 2):  # the optimised and zoned variants: a short search
        page.fill(f"#v{k}\\.work_limit", "0.5")
    page.select_option("#routing\\.enabled", "false")
    page.click("#start")
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("#status.status-done, #status.status-failed", timeout=RUN_SECONDS * 1000)
    assert page.inner_text("#status") == "done", page.content()[-3000:]
    assert "3 of 3 variants finished (current, optimised, zoned)" in page.inner_text("main")
    return run_id


def _quick_runs(page, demo_zip: Path, count: int) -> list[int]:
    """``count`` runs of today's allocation only (seconds each) on a fresh upload of the demo, done."""
    page.goto("/datasets/new")
    page.fill("#name", "demo for quick runs")
    page.set_input_files("#files", str(demo_zip))
    page.click("#upload")
    page.wait_for_selector("#verdict")
    dataset_id = page.url.rsplit("/", 1)[1]
    runs = []
    for _ in range(count):
        page.goto(f"/runs/new?dataset={dataset_id}")
        page.fill("textarea[name=toml]", CURRENT_ONLY)
        page.click("#start")
        page.wait_for_url(re.compile(r"/runs/\d+$"))
        runs.append(int(page.url.rsplit("/", 1)[1]))
        page.wait_for_selector("#status.status-done, #status.status-failed", timeout=RUN_SECONDS * 1000)
        assert page.inner_text("#status") == "done", page.content()[-3000:]
    return runs


PHONE = 390


def test_the_pages_fit_a_phone_and_compared_runs_a_laptop(open_page, demo_zip):
    """Regressions: at 390 px the header did not wrap (pages 699 px wide: Audit log, Compare runs, the user
    and Log out off-screen), New run was 871 px wide and the key figures showed only their kpi column; at
    1,280 px the second compared run's figures were off-screen, right of the first run's descriptions."""
    laptop = open_page("comm")
    first, second = _quick_runs(laptop, demo_zip, 2)
    laptop.goto(f"/compare?a={first}&b={second}")
    figures = laptop.locator(f"#comparison th:text-is('run {second}: today-as-it-is-now')").bounding_box()
    assert figures["x"] + figures["width"] <= 1280, figures
    comm = open_page("comm", width=PHONE)
    pages = ["/", "/datasets/new", "/runs/new", f"/runs/{first}", f"/compare?a={first}&b={second}", "/audit",
             "/datasets/1"]
    for url in pages:
        assert comm.goto(url).status == 200, url
        assert comm.evaluate("document.documentElement.scrollWidth") <= PHONE, url
        for link in comm.locator("header a, header span, #log-out").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE, (url, link.inner_text(), box)
    comm.goto(f"/runs/{first}")
    kpis = comm.locator("#kpis")
    assert kpis.bounding_box()["width"] <= PHONE
    second_column = comm.locator("#kpis tr").nth(1).locator("td").nth(1).bounding_box()
    assert second_column["x"] + second_column["width"] / 2 < PHONE, second_column  # more than the kpi column
