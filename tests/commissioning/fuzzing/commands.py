"""Calling the ``commissioning`` command line: in this process (fast) or as a real subprocess.

In this process a traceback is any exception that escapes ``commissioning.cli.main``; in a subprocess it
is "Traceback" (or Python's "Exception ignored", e.g. a BrokenPipeError at exit) on stderr. A command that
does not answer within :data:`TIMEOUT_S` is a hang.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass

TIMEOUT_S = 240.0  # far above any fuzzed command's normal time (the slowest, a run, takes ~5 s)


@dataclass
class CommandResult:
    command: str  # the subcommand, e.g. "validate"
    argv: list[str]
    code: int | None  # None: an exception escaped main, or the command hung
    stdout: str
    stderr: str
    traceback: str | None = None
    seconds: float = 0.0
    timed_out: bool = False
    stdout_closed: bool = False  # the reader went away: no message is owed, only a quiet exit

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def shell(self) -> str:
        import shlex

        return "commissioning " + " ".join(shlex.quote(a) for a in self.argv)


class _Timeout(BaseException):
    """Raised by the watchdog; a BaseException so that no `except Exception` in the product swallows it."""


def call_in_process(argv: list[str], timeout_s: float = TIMEOUT_S) -> CommandResult:
    from commissioning.cli import main

    out, err = io.StringIO(), io.StringIO()
    code, tb, timed_out = None, None, False
    t0 = time.perf_counter()
    with _watchdog(timeout_s), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as stop:  # argparse: exit 2 and a usage message
            code = _exit_code(stop.code, err)
        except _Timeout:
            timed_out = True
        except Exception:
            tb = traceback.format_exc()
    return CommandResult(
        _name(argv), list(argv), code, out.getvalue(), err.getvalue(), tb, time.perf_counter() - t0, timed_out
    )


def _exit_code(code: object, err: io.StringIO) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err.write(str(code))  # sys.exit("message") prints the message and exits 1
    return 1


@contextlib.contextmanager
def _watchdog(timeout_s: float):
    """SIGALRM after ``timeout_s``: stops a hung command at its next Python bytecode (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_subprocess(
    argv: list[str], *, close_stdout: bool = False, timeout_s: float = TIMEOUT_S
) -> CommandResult:
    """``python -m commissioning.cli ARGV``; with ``close_stdout`` the pipe's read end is closed at once."""
    # A command line cannot hold NUL (the OS refuses it before the program starts), so none is passed.
    cmd = [sys.executable, "-m", "commissioning.cli", *(a.replace("\x00", "") for a in argv)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    if close_stdout:
        proc.stdout.close()
        proc.stdout = None  # communicate() then reads stderr only
    try:
        stdout_bytes, stderr_bytes = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stdout_bytes = stderr_bytes = b""
    timed_out = _kill_if_running(proc)
    seconds = time.perf_counter() - t0
    code = None if timed_out else proc.returncode
    stdout, stderr = (
        raw.decode("utf-8", errors="replace") if raw else "" for raw in (stdout_bytes, stderr_bytes)
    )
    return CommandResult(
        _name(argv), list(argv), code, stdout, stderr, None, seconds, timed_out, close_stdout
    )


def _kill_if_running(proc: subprocess.Popen) -> bool:
    if proc.poll() is not None:
        return False
    proc.kill()  # only the process this module started, by its handle
    proc.wait()
    return True


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _name(argv: list[str]) -> str:
    return argv[0] if argv else ""
