"""Jobs in forked worker processes that die with the run: the maps of a run are drawn side by side.

A job is any callable without arguments; the workers inherit the list of jobs when they are forked (nothing
is pickled but each job's result), so a job may close over the run's tables and geography.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_JOBS: list[Callable[[], Any]] = []  # read by forked workers (inherited, not pickled)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_init() -> None:
    """Workers leave Ctrl-C and SIGTERM to the main process, which stops the run cleanly, and die with it:
    the kernel sends them SIGKILL when it ends, even if it is killed or aborts (Linux prctl)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent()


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (a no-op elsewhere)."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def fork_pool(workers: int) -> ProcessPoolExecutor | None:
    """A pool of ``workers`` forked workers (see :func:`worker_init`); None with one worker or no fork.
    Submit from the run's main thread: Linux's parent-death signal follows the thread that forked."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=worker_init)


def end_pool(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down; after an interrupt or error, end its workers first instead of waiting for work
    nobody will read, then wait for its manager thread (returning while it still closes its wake-up pipe
    races Python's exit hook, which writes to that pipe: a traceback, EBADF, on Python 3.11)."""
    if sys.exc_info()[0] is not None:
        for process in list((pool._processes or {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _run_job(k: int) -> Any:
    return _JOBS[k]()


def run_jobs(jobs: list[Callable[[], Any]], workers: int) -> list[Any]:
    """Each job's result, in order: in up to ``workers`` forked workers, or here one by one (one worker,
    one job, or no fork)."""
    pool = fork_pool(min(workers, len(jobs)))
    if pool is None:
        return [job() for job in jobs]
    _JOBS[:] = jobs
    try:
        return list(pool.map(_run_job, range(len(jobs))))
    finally:
        end_pool(pool)
        _JOBS.clear()
