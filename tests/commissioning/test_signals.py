"""Signals: SIGTERM stops a run like Ctrl-C (no folder left), the search stops at once, and worker
processes never outlive the run (issue 10)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from commissioning.synthetic.generate import generate_scenario


@pytest.fixture(scope="module")
def busy_scenario(tmp_path_factory) -> Path:
    """Lead-provider zoning (K = 1) on 300 clients keeps CP-SAT busy for any limit it is given."""
    folder = tmp_path_factory.mktemp("signals")
    generate_scenario(folder / "data", n_clients=300, seed=3)
    scenario = folder / "scenario.toml"
    scenario.write_text(
        textwrap.dedent("""\
        data = "data"
        [routing]
        enabled = true
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 1
        time_limit_s = 600.0
        work_limit = 10000.0
    """),
        encoding="utf-8",
    )
    return scenario


def _start(scenario: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "commissioning.cli", "run", str(scenario), "--out", str(out)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_search(process: subprocess.Popen, out: Path) -> None:
    """Until the run is solving: its staged folder holds the inputs and the progress line is printed."""
    deadline = time.monotonic() + 120
    while not list(out.parent.glob(f".{out.name}.partial-*/inputs/clients.csv")):
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before solving"
        time.sleep(0.1)
    time.sleep(3.0)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_the_search_at_once_and_leaves_no_folder(busy_scenario, tmp_path):
    out = tmp_path / "out"
    process = _start(busy_scenario, out)
    _wait_for_search(process, out)
    process.send_signal(signal.SIGTERM)
    # The search would run for 600 s: it must stop now, not at its limit.
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "SIGTERM" in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.partial-*"))
    # Regression: the stopped variant's final line ("zoned 2.1s/20s ... FEASIBLE") came after "stopping now"
    after = err.split("stopping now", 1)[1]
    assert not [line for line in after.splitlines() if line.startswith("zoned") and line.rstrip().endswith(
        ("FEASIBLE", "OPTIMAL", "UNKNOWN", "INFEASIBLE"))], err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_routing_workers_die_with_a_killed_run(busy_scenario, tmp_path):
    """Regression: an aborted run orphaned its routing worker processes, which never exited."""
    out = tmp_path / "out"
    process = _start(busy_scenario, out)
    _wait_for_search(process, out)
    workers = _children(process.pid)
    assert workers, "routing workers are started before the search"
    process.kill()  # like the CP-SAT abort: no Python cleanup runs in the parent
    process.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")
def test_routing_pool_closed_on_an_interrupt_leaves_no_thread_or_worker_behind():
    """Regression (CI, stop 17): after SIGTERM the routing pool was shut down without waiting, so its manager
    thread was still closing its wake-up pipe when the interpreter's exit hook wrote to it: a traceback
    ("OSError: Bad file descriptor") on a run that had stopped cleanly. Closing on an interrupt must end the
    workers and the manager thread before it returns."""
    from types import SimpleNamespace

    from commissioning.running.router import Router
    from commissioning.scenario.defaults import RoutingParams

    two_variants = (SimpleNamespace(workers=2), SimpleNamespace(workers=2))  # what the router reads of them
    scenario = SimpleNamespace(variants=two_variants, routing=RoutingParams())
    router = Router(data=None, travel=None, scenario=scenario, enabled=True)
    assert router.pool is not None
    job = router.pool.submit(time.sleep, 60)
    while not job.running():
        time.sleep(0.05)
    workers = [p.pid for p in router.pool._processes.values()]
    manager_thread = router.pool._executor_manager_thread
    assert manager_thread is not None and manager_thread.is_alive()
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        started = time.monotonic()
        router.close()
        assert time.monotonic() - started < 30, "close waited for routing nobody will read"
    assert not manager_thread.is_alive()
    time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)
