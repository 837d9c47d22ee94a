"""HiGHS (1.16) keeps one thread scheduler per process and refuses a run with another thread count than the
first (kError, status "Not Set"). solve() resets it before its own HiGHS runs; tests that call HiGHS directly
(highs_search, the zone dive, the benchmarks' two-thread HiGHS) share a worker process, so each test starts
from a reset scheduler whatever the previous test of the worker ran."""

from __future__ import annotations

import pytest

from solver.lp import reset_threads


@pytest.fixture(autouse=True)
def _fresh_highs_threads():
    reset_threads()
    yield
