"""Page latency of the web app while it solves: concurrent browsing users and two runs at once (issue 16).

    python benchmarks/web_load.py [--users 20] [--clients 1000] [--work-limit 6]

Starts a real ``commissioning serve`` (SQLite file, a fresh data folder), makes the users, uploads a
generated dataset, finishes and publishes one run to browse; then starts two runs at once (the form's three
variants, ``--work-limit`` work units each) and, until both finish, has ``--users`` users (a third
commissioners, a third planners, a third providers) each fetch their pages in a loop with their own session,
as a browser would: the run list, the run page, the report, a provider view, a provider's figures (JSON), the
comparison. Prints per page the requests, failures (any error or unexpected status: a lost request) and the
p50 / p95 / max latency.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "load test passphrase"


def _cli(*args: str, stdin: str = "") -> None:
    subprocess.run([sys.executable, "-m", "commissioning.cli", *args], input=stdin, text=True, check=True,
                   capture_output=True)


def _serve(data: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "commissioning.cli", "serve", "--data", str(data),
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/login", timeout=2)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the app did not start")


def _client(url: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=60, follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    return client, re.search(r'name="csrf_token" value="([^"]*)"', client.get("/").text).group(1)


def _start_run(comm: httpx.Client, csrf: str, dataset_id: int, work_limit: float) -> int:
    from commissioning.web.form import default_values

    values = default_values() | {"dataset": str(dataset_id), "csrf_token": csrf, "routing.enabled": "false"}
    for k in (1, 2):
        values[f"v{k}.work_limit"] = str(work_limit)
    response = comm.post("/runs", data=values)
    return int(str(response.url).rsplit("/", 1)[1])


def _wait(comm: httpx.Client, run_ids: list[int]) -> None:
    while any(comm.get(f"/api/runs/{r}").json()["status"] in ("queued", "running") for r in run_ids):
        time.sleep(1.0)


def _setup(url: str, data: Path, n_clients: int) -> tuple[httpx.Client, str, int, int]:
    """(the commissioner's client, its CSRF token, the dataset id, a finished and published run)."""
    import io
    import zipfile

    from commissioning.synthetic.generate import generate_scenario

    folder = data.parent / "dataset"
    generate_scenario(folder, n_clients=n_clients, seed=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, path.name)
    comm, csrf = _client(url, "comm0")
    sent = comm.post("/datasets", data={"csrf_token": csrf, "name": "load"},
                     files=[("files", ("data.zip", buffer.getvalue(), "application/zip"))])
    dataset_id = int(str(sent.url).rsplit("/", 1)[1])
    run_id = _start_run(comm, csrf, dataset_id, 0.5)
    _wait(comm, [run_id])
    comm.post(f"/runs/{run_id}/publish", data={"csrf_token": csrf, "publish": "yes"})
    return comm, csrf, dataset_id, run_id


def _pages(role: str, provider: str, run_id: int) -> list[tuple[str, str]]:
    if role == "provider":
        return [("home", "/"), ("provider view", f"/runs/{run_id}/providers/{provider}"),
                ("provider figures (JSON)", f"/api/runs/{run_id}/providers/{provider}")]
    return [("home", "/"), ("run page", f"/runs/{run_id}"), ("report", f"/runs/{run_id}/out/report.html"),
            ("provider view", f"/runs/{run_id}/providers/{provider}"),
            ("compare", f"/compare?a={run_id}&b={run_id}")]


def _browse(url: str, name: str, role: str, provider: str, run_id: int, stop: threading.Event,
            seen: list) -> None:
    client, _ = _client(url, name)
    pages = _pages(role, provider, run_id)
    k = 0
    while not stop.is_set():
        label, path = pages[k % len(pages)]
        t0 = time.perf_counter()
        try:
            ok = client.get(path).status_code == 200
        except httpx.HTTPError:
            ok = False
        seen.append((label, time.perf_counter() - t0, ok))
        k += 1
        time.sleep(0.5)  # a user reads a page before the next


def _users(data: Path, n_users: int) -> list[tuple[str, str, str]]:
    """A third commissioners (comm0 sets up the runs), a third planners, a third providers."""
    users = [(f"comm{k}", "commissioner", "") if k % 3 == 0 else (f"plan{k}", "planner", "") if k % 3 == 1
             else (f"prov{k}", "provider", f"P{1 + k % 15:02d}") for k in range(max(n_users, 1))]
    for name, role, provider in users:
        extra = ["--provider", provider] if provider else []
        _cli("users", "add", name, "--role", role, *extra, "--data", str(data), "--password-stdin",
             stdin=PASSWORD + "\n")
    return users


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--work-limit", type=float, default=6.0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "web"
        users = _users(data, args.users)
        process, url = _serve(data)
        try:
            comm, csrf, dataset_id, run_id = _setup(url, data, args.clients)
            _measure(url, comm, csrf, dataset_id, run_id, users, args.work_limit)
        finally:
            process.terminate()
            process.wait(timeout=60)
    return 0


def _measure(url, comm, csrf, dataset_id, run_id, users, work_limit) -> None:
    stop, seen = threading.Event(), []
    threads = [threading.Thread(target=_browse, args=(url, n, r, p or "P03", run_id, stop, seen), daemon=True)
               for n, r, p in users]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    runs = [_start_run(comm, csrf, dataset_id, work_limit) for _ in range(2)]
    _wait(comm, runs)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    statuses = [comm.get(f"/api/runs/{r}").json()["status"] for r in runs]
    print(f"{len(users)} users browsing while 2 runs solve ({', '.join(statuses)}) for "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"{'page':<26}{'requests':>9}{'lost':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for label in sorted({s[0] for s in seen}) + ["all"]:
        rows = [s for s in seen if label in ("all", s[0])]
        ms = sorted(1000 * s[1] for s in rows)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        print(f"{label:<26}{len(rows):>9}{sum(not s[2] for s in rows):>6}{statistics.median(ms):>9.0f}"
              f"{p95:>9.0f}{ms[-1]:>9.0f}")


if __name__ == "__main__":
    raise SystemExit(main())
