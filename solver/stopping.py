"""A caller's stop request (``SolveParams.stop``, a :class:`threading.Event`) for every engine of one solve.

CP-SAT's searches, HiGHS's runs and GLOP's all end as soon as it is set: :func:`solve` sets it for its thread
with :func:`stop_on` (HiGHS's race thread copies the context); HiGHS asks it from its interrupt callback,
CP-SAT and GLOP are told by a thread that watches it (:func:`interrupting`). Why: CP-SAT stopped at once
but HiGHS and GLOP ran their shares of the limit on: a SIGTERM during the packing of the start waited 16 s.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator

_STOP: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("solver_stop", default=None)


@contextlib.contextmanager
def stop_on(event: threading.Event | None) -> Iterator[None]:
    """Within the block, the engines run on this thread (and threads started with its context) end as soon
    as ``event`` is set."""
    token = _STOP.set(event)
    try:
        yield
    finally:
        _STOP.reset(token)


def current_stop() -> threading.Event | None:
    """The stop of :func:`stop_on` in force here, or None."""
    return _STOP.get()


def stop_requested() -> bool:
    """The stop of :func:`stop_on` is set: loops of engine runs end too."""
    event = _STOP.get()
    return event is not None and event.is_set()


@contextlib.contextmanager
def interrupting(stop: threading.Event | None, interrupt: Callable[[], object],
                 every_s: float = 0.05) -> Iterator[None]:
    """Within the block, a thread calls ``interrupt()`` at every look once ``stop`` is set (engines whose
    signal handlers Python runs only when they return). Again at each look: a call before the engine has
    begun may be lost."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(every_s):
            if stop.is_set():
                interrupt()

    watcher = threading.Thread(target=watch, name="stop-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
