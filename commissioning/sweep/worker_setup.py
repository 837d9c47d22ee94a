"""Preloaded in each local Dask worker process of a sweep (``LocalCluster(preload=...)``).

Ctrl-C in a terminal signals the whole process group: the worker processes too, whose asyncio runner turned it
into a KeyboardInterrupt traceback on the user's screen beside the sweep's own one-line "interrupted"
message. The sweep's process handles Ctrl-C for all of them (it keeps the finished runs, removes the cut ones
and closes the cluster, which stops its workers), so a worker ignores it. Other signals are untouched: a
worker still dies with its parent.
"""

from __future__ import annotations

import signal
import threading


def dask_setup(worker) -> None:  # noqa: ARG001 - Dask's preload hook
    # Called on the worker process's main thread (its event loop runs there); signal handlers can only be set
    # from it.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
