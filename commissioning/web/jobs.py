"""Runs started from the web app: ``commissioning run`` in a child process each, the others queued in the
database. Where the child runs:

- by default on the app's machine, at most :data:`MAX_CONCURRENT_RUNS` at once;
- with ``serve --scheduler ADDRESS``, on the Dask cluster the sweeps use: each run is a task
  (:func:`run_on_worker`) that starts the child on a worker, as many at once as the cluster has worker
  threads. The data folder must then be on a file system the workers share (as for ``sweep --scheduler``).

Why child processes: a run holds CP-SAT's threads and up to gigabytes for minutes; in its own process it
cannot stall the pages (or the Dask worker's heartbeats), its memory is returned when it ends, and a run
that fails leaves the app running. The children die with their parent (the app, or the Dask worker;
Linux: the kernel kills them when it ends); when the app stops, runs on the cluster are told to stop by a
file in their folder (:data:`STOP_FILE`). A run the app was running when it stopped is marked failed when
it starts again, never left "running" for ever.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from commissioning.errors import CareCommissioningError
from commissioning.web.db import Run, now

MAX_CONCURRENT_RUNS = 2
LOG_FILE = "log.txt"
OUT_FOLDER = "out"
STOP_FILE = "stop"  # written by the app when it stops: a run on a Dask worker ends its child
STOP_POLL_S = 0.5
PROGRESS_EVERY_S = 2.0


def _child_setup() -> None:
    from commissioning.running.forked import die_with_parent

    os.setsid()  # its own process group: stopping it stops its routing workers too
    die_with_parent()


class RunQueue:
    """Starts queued runs as slots free up; :meth:`poke` after adding one.

    One long-lived thread starts every run: Linux's parent-death signal (``die_with_parent``) follows the
    *thread* that started a child, so a child started from a thread that then ended (the thread that waited
    for the previous run) was killed at once."""

    def __init__(self, sessions: sessionmaker, scheduler: str | None = None):
        self.sessions = sessions
        self.lock = threading.Lock()
        self.running: dict[int, subprocess.Popen | ClusterRun] = {}
        self.cancelled: dict[int, str] = {}  # run id -> who cancelled it, while it stops
        self.closing = False
        self.cluster = Cluster(scheduler) if scheduler else None
        with sessions() as db:  # runs of an app that stopped: their processes died with it
            for run in db.scalars(select(Run).where(Run.status.in_(("running",)))):
                run.status, run.message, run.finished_at = "failed", "the app stopped during the run", now()
                if run.folder:  # a run on the cluster outlives the app: it stops too
                    Path(run.folder, STOP_FILE).touch()
            db.commit()
        self._wake = threading.Event()
        threading.Thread(target=self._dispatch, daemon=True, name="run-queue").start()

    def poke(self) -> None:
        self._wake.set()

    def _dispatch(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self.closing:
                return
            # A cluster that went away: the runs stay queued till the next poke, and the app serves on.
            with contextlib.suppress(Exception):
                self._start_queued()

    def _start_queued(self) -> None:
        slots = self.slots()  # outside the lock: on a cluster it asks the scheduler
        with self.lock:
            while len(self.running) < slots and not self.closing:
                with self.sessions() as db:
                    run = db.scalar(select(Run).where(Run.status == "queued").order_by(Run.id))
                    if run is None:
                        return
                    self.running[run.id] = self._start(run)
                    run.status = "running"
                    db.commit()
                    threading.Thread(target=self._wait, args=(run.id,), daemon=True).start()

    def _start(self, run: Run):
        """The run's handle: ``wait()`` gives its exit status, ``terminate()`` stops it."""
        folder = Path(run.folder)
        (folder / STOP_FILE).unlink(missing_ok=True)
        if self.cluster is not None:
            return self.cluster.start(folder)
        log = (folder / LOG_FILE).open("ab")
        try:
            return _child(folder, log)
        finally:
            log.close()

    def _wait(self, run_id: int) -> None:
        code = self.running[run_id].wait()
        with self.lock:  # (before the session: cancel() takes the lock, then a session)
            who = self.cancelled.pop(run_id, None)
            self.running.pop(run_id, None)  # ended: a cancel from now on is refused, not claimed
        with self.sessions() as db:
            run = db.get(Run, run_id)
            run.finished_at = now()
            run.status = "done" if code == 0 else "failed"
            last = _last_line(Path(run.folder) / LOG_FILE, code)
            run.message = "" if code == 0 else without_paths(last, run)
            if who is not None and code != 0:
                run.message = f"cancelled by {who}"
            db.commit()
        self.poke()

    def cancel(self, run_id: int, who: str) -> bool:
        """Stop run ``run_id``: a queued run never starts; a running one is stopped as on SIGTERM (its solves
        end within seconds, its folder is left unwritten) and marked failed, "cancelled by ``who``". False
        when the run is neither queued nor running."""
        with self.lock:
            if run_id in self.running:
                self.cancelled[run_id] = who
                self.running[run_id].terminate()
                return True
            with self.sessions() as db:  # under the lock: the queue cannot start it meanwhile
                run = db.get(Run, run_id)
                if run is None or run.status != "queued":
                    return False
                run.status, run.message, run.finished_at = "failed", f"cancelled by {who}", now()
                db.commit()
        return True

    def slots(self) -> int:
        """How many runs at once: the cluster's worker threads, or :data:`MAX_CONCURRENT_RUNS` here."""
        return self.cluster.slots() if self.cluster is not None else MAX_CONCURRENT_RUNS

    def stop_all(self) -> None:
        with self.lock:
            self.closing = True  # no queued run starts now: it stays queued for the next start
            for process in self.running.values():
                process.terminate()
        self._wake.set()
        if self.cluster is not None:
            self.cluster.close()


def _command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "commissioning.cli", "run", str(folder / "scenario.toml"),
            "--out", str(folder / OUT_FOLDER)]


def _child(folder: Path, log) -> subprocess.Popen:
    from commissioning.running.progress import EVERY_ENV

    env = os.environ | {EVERY_ENV: str(PROGRESS_EVERY_S)}  # the run page's live objective, bound and gap
    return subprocess.Popen(_command(folder), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=_child_setup, cwd=folder, env=env)


def run_on_worker(folder: str) -> int:
    """A Dask task: the run in a child of the worker, its log in the run's folder as on the app's machine;
    the exit status. Stops the child when the app writes :data:`STOP_FILE` (a cancelled Dask task that is
    already running is not interrupted by Dask itself)."""
    import socket

    path = Path(folder)
    with (path / LOG_FILE).open("ab") as log:
        log.write(f"# on Dask worker {socket.gethostname()} pid {os.getpid()}\n".encode())  # '#': no variant
        log.flush()
        child = _child(path, log)
    while True:
        try:
            return child.wait(timeout=STOP_POLL_S)
        except subprocess.TimeoutExpired:
            if (path / STOP_FILE).exists():
                child.terminate()


class ClusterRun:
    """A run as a Dask future, with the methods of a child process the queue uses."""

    def __init__(self, future, folder: Path):
        self.future, self.folder = future, folder

    def wait(self) -> int:
        try:
            return int(self.future.result())
        except Exception as error:  # noqa: BLE001 - a lost worker or a cancelled task: the run failed
            (self.folder / STOP_FILE).touch()  # its task may still be running: it stops its child
            with (self.folder / LOG_FILE).open("a") as log:
                log.write(f"# the Dask cluster lost the run: {type(error).__name__}: {error}\n")
            return 1

    def terminate(self) -> None:
        (self.folder / STOP_FILE).touch()
        self.future.cancel()


class ClusterError(CareCommissioningError):
    """``serve --scheduler``: no Dask scheduler at the address."""


class Cluster:
    """The app's client of a Dask scheduler (``serve --scheduler``)."""

    def __init__(self, scheduler: str):
        from commissioning.sweep.engine import connect

        self.client = connect(scheduler, ClusterError, "to run on this machine", set_as_default=False)

    def slots(self) -> int:
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def start(self, folder: Path) -> ClusterRun:
        future = self.client.submit(run_on_worker, str(folder), pure=False)
        return ClusterRun(future, folder)

    def close(self) -> None:
        from commissioning.sweep.engine import CONNECT_TIMEOUT_S

        self.client.close(timeout=CONNECT_TIMEOUT_S)


def without_paths(text: str, run: Run) -> str:
    """``text`` without the app's server paths, which its users never saw: the run's own folder ("error:
    scenario.toml, line 38") and the app's dataset folders ("the dataset")."""
    folder = Path(run.folder)
    text = re.sub(re.escape(str(folder.parent.parent / "datasets")) + r"[/\\]\w+", "the dataset", text)
    return text.replace(f"{folder}{os.sep}", "").replace(str(folder), "the run")


def _last_line(log: Path, code: int) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return (lines[-1] if lines else "") + f" (exit status {code})"


def progress(run: Run) -> tuple[list[str], str, list[str]]:
    """(the variants finished, the newest progress line of each variant being solved, one a line, or "",
    the log's last lines): ``commissioning run`` prints a line per variant as it finishes, starting with the
    variant's name and ending with its status, and every :data:`PROGRESS_EVERY_S` while solving one ending in
    "searching"."""
    import tomllib

    from commissioning.running.progress import SEARCHING

    names = [v["name"] for v in tomllib.loads(run.scenario_toml).get("variants", [])]
    log = Path(run.folder) / LOG_FILE
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()[: None if text.endswith("\n") else -1]  # a line still being written: not yet
    ends = [line for line in lines if not line.rstrip().endswith(SEARCHING)]  # the log shown: no progress
    finished = [n for n in names if any(line.split(" ", 1)[0] == n for line in ends)]
    latest = {}  # each variant being solved (two may solve side by side): its newest progress line
    for line in lines:
        name = line.split(" ", 1)[0]
        if line.rstrip().endswith(SEARCHING) and name in names and name not in finished:
            latest[name] = line.rstrip()[: -len(SEARCHING)].rstrip()
    shown = [without_paths(line, run) for line in ends[-20:]]
    return finished, "\n".join(latest[n] for n in names if n in latest), shown
