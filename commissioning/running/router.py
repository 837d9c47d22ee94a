"""Routed travel for every variant, in worker processes that overlap the solves.

Routing (:mod:`commissioning.running.routing`) is single-threaded (Python + OR-Tools) and variants are
independent, so :class:`Router` routes them in forked workers: ``current`` as soon as it is evaluated,
while CP-SAT solves the other variants; the rest in parallel after the solves.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from commissioning.running.forked import cores, end_pool, fork_pool
from commissioning.running.routing import combined, routed_travel_hours_per_week
from commissioning.running.variant import VariantOutcome
from commissioning.scenario.file import ScenarioFile

_ROUTING_INPUTS: dict[str, Any] = {}  # read by forked routing workers (inherited, not pickled)


def _route_one(name: str, allocation: pd.DataFrame, time_limit_s: float, parts: int = 1, part: int = 0):
    data, travel = _ROUTING_INPUTS["data"], _ROUTING_INPUTS["travel"]
    return name, routed_travel_hours_per_week(allocation, data, travel, time_limit_s=time_limit_s,
                                              parts=parts, part=part)


class Router:
    """Routes each variant's allocation with :mod:`commissioning.running.routing`.

    Routing is single-threaded (Python + OR-Tools) and variants are independent, so they run in forked
    worker processes (at most the variants' ``workers``, at most the cores): ``current`` is submitted as
    soon as it is evaluated and routes while CP-SAT solves the other variants; the rest are routed in
    parallel after the solves. Each variant's providers are split in one part per worker
    (:func:`~commissioning.running.routing.provider_parts`), so the last variant solved is routed by every
    worker: on the demo (2 cores) the zoned variant's routing after its solve took 5.4 s in one worker.
    Without ``fork`` or with one worker, variants are routed one by one.
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
        self.workers = min(len(scenario.variants), max(v.workers for v in scenario.variants), cores())
        self.pool = fork_pool(self.workers)

    def submit(self, name: str, allocation: pd.DataFrame) -> None:
        if not self.enabled:
            return
        if self.pool is not None:
            parts = self.workers  # one part of the providers per worker
            self.pending[name] = [self.pool.submit(_route_one, name, allocation, self.limit, parts, part)
                                  for part in range(parts)]
        else:
            self.pending[name] = (name, allocation)

    def collect(self, outcomes: dict[str, VariantOutcome]) -> list[str]:
        try:
            for name, job in self.pending.items():
                if self.pool is None:
                    self.results[name] = _route_one(job[0], job[1], self.limit)[1]
                    continue
                parts = [future.result()[1] for future in job]
                self.results[name] = combined(parts, _ROUTING_INPUTS["travel"])
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
            end_pool(self.pool)  # after an interrupt or error: its workers ended, not waited for
            self.pool = None
        _ROUTING_INPUTS.clear()
