"""Ctrl-C and SIGTERM during a run: stop the search in progress at once, then the run, leaving nothing.

:class:`RunInterrupted` carries the shell's exit status (128 + the signal); the CLI returns it.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import TextIO


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


class Interrupt:
    """Ctrl-C (SIGINT) or SIGTERM during a run: stop the search in progress at once, then stop the run and
    leave no output folder (the staged folder is removed on the way out).

    CP-SAT is told not to catch SIGINT (it would stop the search and the run would carry on as if the
    answer were complete). Python runs signal handlers only between bytecodes, which a search in C++ does
    not reach, so the handler's C half also writes to a wake-up pipe that a thread watches: it sets
    :attr:`stop`, which the solver polls (``SolveParams.stop``). The Python handler then raises the flag
    checked between steps. A second signal stops at once. OR-Tools resets the OS-level SIGINT handler after
    a solve, so the handlers are re-armed at each check.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stream: TextIO):
        self.requested: int | None = None
        self.stop = threading.Event()
        self._stream = stream
        self._active = threading.current_thread() is threading.main_thread()
        self._previous = {s: signal.getsignal(s) for s in self.SIGNALS} if self._active else {}
        self._pipe: tuple[int, int] | None = None
        self._watcher: threading.Thread | None = None
        self._closing = False
        self._old_wakeup = -1

    def _handle(self, signum, frame) -> None:
        self.stop.set()
        if self.requested is not None:
            raise RunInterrupted(signum)
        self.requested = signum
        print(
            f"\n{signal.Signals(signum).name}: stopping now (again to stop at once); "
            "no output folder will be written",
            file=self._stream,
        )

    def _watch(self, read_fd: int) -> None:
        while os.read(read_fd, 1) and not self._closing:
            self.stop.set()

    def arm(self) -> None:
        if not self._active:
            return
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)
        if self._pipe is None:
            read_fd, write_fd = os.pipe()
            os.set_blocking(write_fd, False)
            self._pipe = (read_fd, write_fd)
            self._old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
            self._watcher = threading.Thread(target=self._watch, args=(read_fd,), name="signal-watch",
                                             daemon=True)
            self._watcher.start()

    def check(self) -> None:
        self.arm()
        if self.requested is not None:
            raise RunInterrupted(self.requested)

    def restore(self) -> None:
        if not self._active:
            return
        for signum, previous in self._previous.items():
            if previous is not None:
                signal.signal(signum, previous)
        if self._pipe is not None:
            signal.set_wakeup_fd(self._old_wakeup)
            self._closing = True
            os.write(self._pipe[1], b"\0")  # wake the watcher so it ends before its pipe is closed
            self._watcher.join()
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None
