"""Run a plan's runs as tasks on Dask distributed; nothing lost.

A local cluster by default (``LocalCluster``: one worker process per core, one thread each, each run's
CP-SAT with ``workers = 1``; the worker processes end with this process), or ``--scheduler ADDRESS``: a
``Client`` on an existing cluster (``dask scheduler`` and ``dask worker``, dask-jobqueue, Kubernetes).
There the output folder and the data folder must be on a file system the workers share.

Finished runs are read back from their folders (:mod:`commissioning.sweep.cache`) and not submitted. A
run that raises is recorded with its one-line message; the others go on. A worker that dies has its task
run again on another (the scheduler's ``distributed.scheduler.allowed-failures``, 3 by default; after
that the run is recorded as an error). Ctrl-C or SIGTERM stops the sweep: finished runs stay in the cache
and the same command resumes; the staged folders and locks of the runs cut short are removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from commissioning.sweep import cache
from commissioning.sweep.plan import Plan, SweepError

CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (plain data: sent to another process or machine)."""

    key: str
    text: str
    source: str
    scenario_path: str
    base: str
    folder: str
    overrides: dict[str, Any]
    keep_runs: bool
    variants: tuple[str, ...]


@dataclass
class SweepOutcome:
    records: dict[str, dict[str, Any]]  # by run key
    keys: list[str]  # each planned run's key, in the plan's order (equal texts: one key)
    solved: int = 0
    cached: int = 0
    failed: int = 0
    seconds: float = 0.0
    workers: int = 0
    overheads: list[float] = field(default_factory=list)  # task wall time minus run_scenario's own


def execute(task: RunTask) -> dict[str, Any]:
    """One run, in a worker: solve it (unless a previous attempt finished it), read its KPIs back."""
    t0 = time.perf_counter()
    folder = Path(task.folder)
    record: dict[str, Any] = {"key": task.key, "status": "ok", "message": "", "cached": False,
                              "pid": os.getpid(), "run_s": 0.0}
    try:
        if cache.finished(folder, task.keep_runs):
            record["cached"] = True
        else:
            record["run_s"] = _solve(task, folder)
        record["kpis"] = cache.read_run(folder, task.variants)
    except Exception as error:  # noqa: BLE001 - recorded in sweep.csv; the other runs go on
        record.update(status="error", message=one_line(error), kpis=None)
    record["task_s"] = time.perf_counter() - t0
    return record


def _solve(task: RunTask, folder: Path) -> float:
    from commissioning.running.run import run_scenario
    from commissioning.scenario.file import parse_scenario

    scenario = parse_scenario(task.text, source=task.source, base=Path(task.base),
                              path=Path(task.scenario_path))
    with open(os.devnull, "w") as devnull:
        result = run_scenario(scenario, folder, overrides=task.overrides, quiet=True, routing=False,
                              force=folder.exists(), stream=devnull, pages=task.keep_runs)
    if not task.keep_runs:
        cache.prune(folder)
    return float(result.seconds)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 1000 else text[:997] + "..."


# ----------------------------------------------------------------------------------------------------
# The cluster
# ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def client_for(scheduler: str | None, n_workers: int) -> Iterator[Any]:
    """A Dask ``Client``: on ``scheduler``, or on a new local cluster of ``n_workers`` processes."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with connect(scheduler, SweepError, "for a local cluster") as client:
            yield client
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL, memory_limit=0,
                               preload=["commissioning.sweep.worker_setup"])
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close(timeout=20)


def connect(scheduler: str, error: type[Exception], otherwise: str, **options: Any):
    """A Dask ``Client`` of the scheduler at ``scheduler`` (``--scheduler``); ``error`` (one line naming the
    address and the fix, ``otherwise`` saying what leaving it out does) when none answers in time."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s", **options)
    except Exception as failure:  # noqa: BLE001 - any failure to connect is the user's address
        raise error(
            f"--scheduler {scheduler}: no Dask scheduler answers there within {CONNECT_TIMEOUT_S} s "
            f"({one_line(failure)[:200]}). Fix: start one (dask scheduler; dask worker ADDRESS) and give "
            f"its address, e.g. tcp://127.0.0.1:8786, or leave out --scheduler {otherwise}"
        ) from None


def local_workers(requested: int | None, runs: int) -> int:
    return max(1, min(requested or (os.cpu_count() or 1), runs))


# ----------------------------------------------------------------------------------------------------
# The sweep
# ----------------------------------------------------------------------------------------------------


def run_keys(plan: Plan, overrides: dict[str, Any]) -> list[str]:
    """Each planned run's cache key, in the plan's order."""
    data = cache.data_hash(plan.data_folder)
    options = {**overrides, "routing": False}
    return [cache.run_key(run.text, data, options) for run in plan.runs]


def tasks_of(plan: Plan, keys: list[str], out_dir: Path, overrides: dict[str, Any],
             keep_runs: bool) -> list[RunTask]:
    """One task per distinct run (two combinations that give the same text are one run)."""
    runs_dir = Path(os.path.abspath(out_dir)) / "runs"
    tasks: dict[str, RunTask] = {}
    for run, key in zip(plan.runs, keys, strict=True):
        tasks.setdefault(key, RunTask(key, run.text, run.source, str(plan.scenario_path.resolve()),
                                      str(plan.base), str(runs_dir / key), overrides, keep_runs,
                                      plan.variants))
    return list(tasks.values())


def run_sweep(plan: Plan, out_dir: str | Path, *, overrides: dict[str, Any] | None = None,
              scheduler: str | None = None, workers: int | None = None, keep_runs: bool = False,
              stream: TextIO | None = None) -> SweepOutcome:
    """Run every run of ``plan`` not already finished under ``out_dir/runs``; records by run key."""
    t0 = time.perf_counter()
    stream = stream if stream is not None else sys.stderr
    overrides = {**(overrides or {}), "workers": 1}
    keys = run_keys(plan, overrides)
    tasks = tasks_of(plan, keys, Path(out_dir), overrides, keep_runs)
    outcome = SweepOutcome({}, keys)
    todo = []
    for task in tasks:
        kpis = _cached(Path(task.folder), plan.variants, keep_runs)
        if kpis is not None:
            outcome.records[task.key] = {"key": task.key, "status": "ok", "message": "", "cached": True,
                                         "kpis": kpis}
            outcome.cached += 1
        else:
            todo.append(task)
    if todo:
        try:
            with _sigterm_as_interrupt():
                _submit_all(todo, outcome, scheduler, workers, Progress(stream, len(tasks), outcome.cached))
        finally:  # also on Ctrl-C or SIGTERM, once the cluster is closed: nothing half-written stays
            _tidy(Path(out_dir) / "runs", {task.key for task in todo})
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _tidy(runs_dir: Path, keys: set[str], wait_s: float = 5.0) -> None:
    """Remove the staged folders and locks of runs whose worker was killed. A local worker's lock goes with
    its process, which may outlive the cluster's close by a moment: wait that long, not for a remote
    worker still finishing a cancelled run (its writer cleans up after itself)."""
    deadline = time.monotonic() + wait_s
    while (keys := cache.remove_leftovers(runs_dir, keys)) and time.monotonic() < deadline:
        time.sleep(0.2)


def _cached(folder: Path, variants: tuple[str, ...], keep_runs: bool) -> dict | None:
    """A finished run's KPIs; ``None`` when it is to be run (not there, or not readable: run again)."""
    if not cache.finished(folder, keep_runs):
        return None
    try:
        return cache.read_run(folder, variants)
    except (OSError, ValueError, KeyError):
        return None


def _submit_all(todo: list[RunTask], outcome: SweepOutcome, scheduler: str | None, workers: int | None,
                progress: Progress) -> None:
    from distributed import as_completed

    with client_for(scheduler, local_workers(workers, len(todo))) as client:
        outcome.workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        futures = {client.submit(execute, task, key=f"sweep-run-{task.key}", pure=False): task
                   for task in todo}
        try:
            for future in as_completed(futures):
                task = futures[future]
                outcome.records[task.key] = record = _result(future, task)
                if record["status"] == "error":
                    outcome.failed += 1
                else:
                    outcome.solved += not record.get("cached")
                    outcome.cached += bool(record.get("cached"))
                    outcome.overheads.append(record["task_s"] - record["run_s"])
                progress.advance(record["status"] == "error")
        except BaseException:
            client.cancel(list(futures))
            raise
        finally:
            progress.close()


def _result(future, task: RunTask) -> dict[str, Any]:
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - e.g. KilledWorker: the run is recorded, the others go on
        from distributed import KilledWorker

        message = one_line(error)
        if isinstance(error, KilledWorker):
            message = f"the worker running it died on every attempt ({message})"
        return {"key": task.key, "status": "error", "message": message, "cached": False, "kpis": None}


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a sweep the way Ctrl-C does (exit 143, finished runs kept)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from commissioning.running.interrupt import RunInterrupted

    def handler(signum, frame):
        raise RunInterrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Progress:
    """``sweep: 5/12 runs done, 1 failed, about 2 min left`` on stderr: redrawn in place on a terminal,
    a plain line per finished run otherwise."""

    def __init__(self, stream: TextIO, total: int, done: int):
        self.stream, self.total, self.done, self.failed = stream, total, done, 0
        self.start_done, self.t0 = done, time.perf_counter()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def line(self) -> str:
        ran = self.done - self.start_done
        left = self.total - self.done
        eta = ""
        if ran and left:
            eta = f", about {_duration((time.perf_counter() - self.t0) / ran * left)} left"
        return f"sweep: {self.done}/{self.total} runs done, {self.failed} failed{eta}"

    def advance(self, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        if self.tty:
            print(f"\r{self.line()}\x1b[K", end="", file=self.stream, flush=True)
        else:
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
