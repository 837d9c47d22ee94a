"""A progress bar per variant on stderr: elapsed time against the time limit, objective and bound.

The solver calls ``progress(objective_gbp, bound_gbp, seconds)`` on each improving solution; on a terminal a
`rich <https://rich.readthedocs.io>`_ progress bar, redrawn a few times a second by a small thread, moves
while CP-SAT searches and is replaced by the final figures. Nothing is drawn when the stream is not a
terminal (logs, CI, pipes) or with ``--quiet``: then one plain line per variant is printed when it finishes,
unless quiet. Off a terminal with :data:`EVERY_ENV` set (the web app sets it for its runs), a plain line
ending in ``searching`` is also printed every so many seconds while the variant is solved: its progress.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TextIO

BAR_WIDTH = 24
REDRAW_S = 0.25
EVERY_ENV = "COMMISSIONING_PROGRESS_EVERY_S"  # seconds between plain progress lines off a terminal
SEARCHING = "searching"  # the last word of those lines (a finished variant's line ends in its status)


def _every_s() -> float | None:
    import os

    try:
        seconds = float(os.environ.get(EVERY_ENV, ""))
    except ValueError:
        return None
    return seconds if 0 < seconds < 86_400 else None  # not inf or nan: a wait must end


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
        bar: bool = True,
    ):
        self.name = name
        self.time_limit_s = max(float(time_limit_s), 1e-9)
        # Deterministic mode: CP-SAT work units end the search, normally before the clock; both are shown.
        self.work_limit = work_limit
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        # bar=False: other variants solve at the same time, and rich draws one live display at a time.
        self.live = bar and not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.objective = math.nan
        self.bound = math.nan
        self.solutions = 0
        self._t0 = time.perf_counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None  # rich.progress.Progress while live
        self._task = None

    def callback(self, objective: float, bound: float, seconds: float) -> bool:
        with self._lock:
            self.objective, self.bound = float(objective), float(bound)
            self.solutions += 1
        return False  # never stop the search

    def clock(self, elapsed: float) -> str:
        """Seconds elapsed against the time limit (wall-clock seconds), and the work limit if any."""
        work = f" (work limit {self.work_limit:g})" if self.work_limit is not None else ""
        return f"{elapsed:5.1f}s/{self.time_limit_s:g}s{work}"

    def figures(self) -> str:
        with self._lock:
            obj, bound = self.objective, self.bound
        gap = (obj - bound) / max(1.0, abs(obj)) if math.isfinite(obj) and math.isfinite(bound) else math.nan
        gap_text = f"{100 * gap:.2f}%" if math.isfinite(gap) else "—"
        return f"objective {_money(obj)}  bound {_money(bound)}  gap {gap_text}"

    def line(self, elapsed_s: float | None = None) -> str:
        """The plain line (off a terminal, and the final figures on one)."""
        elapsed = time.perf_counter() - self._t0 if elapsed_s is None else elapsed_s
        # The whole name (up to 41 characters): the web app's run page finds each variant's lines by it.
        return f"{self.name:<14} {self.clock(elapsed)}  {self.figures()}"

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn
        from rich.table import Column

        def fixed(width: int) -> Column:
            return Column(no_wrap=True, min_width=width)

        console = Console(file=self.stream, highlight=False, soft_wrap=False)
        # Not redirecting stdout/stderr: the run's own messages (an interrupt) keep going where they go.
        # On a narrow terminal the figures wrap onto a second line (never cut mid-number); the name, the bar
        # and the clock keep their width.
        self._bar = Progress(
            TextColumn("{task.description}", markup=False, table_column=fixed(14)),
            BarColumn(bar_width=BAR_WIDTH, table_column=fixed(BAR_WIDTH)),
            TextColumn("{task.fields[clock]}", markup=False, table_column=fixed(len(self.clock(0.0)))),
            TextColumn("{task.fields[figures]}", markup=False,
                       table_column=Column(ratio=1)),
            console=console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task(f"{self.name[:14]:<14}", total=self.time_limit_s,
                                        clock=self.clock(0.0), figures=self.figures())
        self._bar.start()

    def _draw(self) -> None:
        while not self._stop.wait(REDRAW_S):
            elapsed = time.perf_counter() - self._t0
            self._bar.update(self._task, completed=min(elapsed, self.time_limit_s), clock=self.clock(elapsed),
                             figures=self.figures())
            self._bar.refresh()

    def _report(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            self.stream.write(f"{self.line()}  {SEARCHING}\n")
            self.stream.flush()

    def __enter__(self) -> VariantProgress:
        self._t0 = time.perf_counter()
        every_s = _every_s()
        if self.live:
            self._start_bar()
            self._thread = threading.Thread(target=self._draw, daemon=True)
            self._thread.start()
        elif not self.quiet and every_s is not None:
            self._thread = threading.Thread(target=self._report, args=(every_s,), daemon=True)
            self._thread.start()
        return self

    def finish(self, status: str, seconds: float, objective: float, bound: float) -> None:
        """Replace the bar by the final figures (the solver's own, after validation)."""
        with self._lock:
            self.objective, self.bound = objective, bound
        self._close()
        if self.quiet:
            return
        self.stream.write(self.line(elapsed_s=seconds) + f"  {status}\n")
        self.stream.flush()

    def _close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._bar is not None:
            self._bar.stop()  # transient: the bar goes, the final line takes its place
            self._bar = None

    def __exit__(self, *exc) -> None:
        self._close()
