"""A progress bar per variant on stderr: elapsed time against the time limit, objective and bound.

The solver calls ``progress(objective_gbp, bound_gbp, seconds)`` on each improving solution; a small
thread redraws the bar a few times a second in between, so it moves while CP-SAT searches. Nothing is
drawn when the stream is not a terminal (logs, CI, pipes) or with ``--quiet``: then one line per variant
is printed when it finishes, unless quiet.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TextIO

BAR_WIDTH = 24


def _money(value: float) -> str:
    return f"£{value:,.0f}" if math.isfinite(value) else "—"


class VariantProgress:
    """Use as a context manager around one solve; pass :meth:`callback` as ``SolveParams.progress``."""

    def __init__(
        self,
        name: str,
        time_limit_s: float,
        *,
        stream: TextIO | None = None,
        quiet: bool = False,
        work_limit: float | None = None,
    ):
        self.name = name
        self.time_limit_s = max(float(time_limit_s), 1e-9)
        # Deterministic mode: CP-SAT work units end the search, normally before the clock; both are shown.
        self.work_limit = work_limit
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.live = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.objective = math.nan
        self.bound = math.nan
        self.solutions = 0
        self._t0 = time.perf_counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def callback(self, objective: float, bound: float, seconds: float) -> bool:
        with self._lock:
            self.objective, self.bound = float(objective), float(bound)
            self.solutions += 1
        return False  # never stop the search

    def line(self, elapsed_s: float | None = None) -> str:
        elapsed = time.perf_counter() - self._t0 if elapsed_s is None else elapsed_s
        done = min(elapsed / self.time_limit_s, 1.0)
        filled = int(round(done * BAR_WIDTH))
        bar = "█" * filled + "·" * (BAR_WIDTH - filled)
        with self._lock:
            obj, bound = self.objective, self.bound
        gap = (obj - bound) / max(1.0, abs(obj)) if math.isfinite(obj) and math.isfinite(bound) else math.nan
        gap_text = f"{100 * gap:.2f}%" if math.isfinite(gap) else "—"
        work = f" (work limit {self.work_limit:g})" if self.work_limit is not None else ""
        return (
            f"{self.name[:14]:<14} {bar} {elapsed:5.1f}s/{self.time_limit_s:g}s{work}  objective "
            f"{_money(obj)}  bound {_money(bound)}  gap {gap_text}"
        )

    def _draw(self) -> None:
        while not self._stop.wait(0.25):
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.stream.flush()

    def __enter__(self) -> VariantProgress:
        self._t0 = time.perf_counter()
        if self.live:
            self._thread = threading.Thread(target=self._draw, daemon=True)
            self._thread.start()
        return self

    def finish(self, status: str, seconds: float, objective: float, bound: float) -> None:
        """Replace the bar by the final figures (the solver's own, after validation)."""
        with self._lock:
            self.objective, self.bound = objective, bound
        self._close()
        if self.quiet:
            return
        text = self.line(elapsed_s=seconds) + f"  {status}"
        self.stream.write(("\r" + text + "\x1b[K\n") if self.live else text + "\n")
        self.stream.flush()

    def _close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __exit__(self, *exc) -> None:
        self._close()
