"""Routed travel for every variant, in worker processes that overlap the solves.

Routing (:mod:`commissioning.running.routing`) is single-threaded (Python + OR-Tools) and variants are
independent, so :class:`Router` routes them in forked workers: ``current`` as soon as it is evaluated,
while CP-SAT solves the other variants; the rest in parallel after the solves.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import pandas as pd

from commissioning.running.routing import routed_travel_hours_per_week
from commissioning.running.variant import VariantOutcome
from commissioning.scenario.file import ScenarioFile

_ROUTING_INPUTS: dict[str, Any] = {}  # read by forked routing workers (inherited, not pickled)


def _routing_worker_init() -> None:
    """Routing workers leave Ctrl-C and SIGTERM to the main process, which stops the run cleanly, and die
    with it: the kernel sends them SIGKILL when it ends, even if it is killed or aborts (Linux prctl)."""
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


def _route_one(name: str, allocation: pd.DataFrame, time_limit_s: float):
    data, travel = _ROUTING_INPUTS["data"], _ROUTING_INPUTS["travel"]
    return name, routed_travel_hours_per_week(allocation, data, travel, time_limit_s=time_limit_s)


class Router:
    """Routes each variant's allocation with :mod:`commissioning.running.routing`.

    Routing is single-threaded (Python + OR-Tools) and variants are independent, so they run in forked
    worker processes (at most the variants' ``workers``, at most the cores): ``current`` is submitted as
    soon as it is evaluated and routes while CP-SAT solves the other variants; the rest are routed in
    parallel after the solves. Without ``fork`` or with one worker, variants are routed one by one.
    """

    def __init__(self, data, travel, scenario: ScenarioFile, enabled: bool):
        self.warnings: list[str] = []
        self.limit = scenario.routing.time_limit_s
        self.pending: dict[str, Any] = {}
        self.results: dict[str, Any] = {}
        self.pool = None
        self.enabled = enabled
        if not enabled:
            self.warnings.append(
                "routed travel (chained runs) switched off: travel_hours_per_week_routed is empty"
            )
            return
        _ROUTING_INPUTS.update(data=data, travel=travel)
        import multiprocessing

        workers = min(len(scenario.variants), max(v.workers for v in scenario.variants), os.cpu_count() or 1)
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_routing_worker_init,
            )

    def submit(self, name: str, allocation: pd.DataFrame) -> None:
        if not self.enabled:
            return
        if self.pool is not None:
            self.pending[name] = self.pool.submit(_route_one, name, allocation, self.limit)
        else:
            self.pending[name] = (name, allocation)

    def collect(self, outcomes: dict[str, VariantOutcome]) -> list[str]:
        try:
            for name, job in self.pending.items():
                self.results[name] = (
                    job.result()[1] if self.pool is not None else _route_one(job[0], job[1], self.limit)[1]
                )
        finally:
            self.close()
        for name, routed in self.results.items():
            outcome = outcomes[name]
            if isinstance(routed, dict):  # a plain {provider_id: hours} mapping
                outcome.routed_travel_hours = {str(k): float(v) for k, v in routed.items()}
                continue
            outcome.routed_travel_hours = {
                str(k): float(v) for k, v in routed.hours_per_week_by_provider.items()
            }
            outcome.routing = routed
            if routed.unrouted_visits:
                self.warnings.append(
                    f"{name}: {routed.unrouted_visits} visit(s) of the typical day could not be routed (see "
                    "details.routing_notes in kpis.json); routed travel leaves them out"
                )
        return self.warnings

    def close(self) -> None:
        if self.pool is not None:
            if sys.exc_info()[0] is not None:
                # After an interrupt or error, do not wait for routing nobody will read: end the workers,
                # then wait for the pool's manager thread. Returning while it still closes its wake-up pipe
                # races Python's exit hook, which writes to that pipe (a traceback, EBADF, on Python 3.11).
                for process in list((self.pool._processes or {}).values()):
                    process.kill()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _ROUTING_INPUTS.clear()
