"""Runs started from the web app: ``commissioning run`` in a child process each, at most
:data:`MAX_CONCURRENT_RUNS` at once, the others queued in the database.

Why child processes: a run holds CP-SAT's threads and up to gigabytes for minutes; in its own process it
cannot stall the pages, its memory is returned when it ends, and a run that fails leaves the app running.
The children die with the app (Linux: the kernel kills them when it ends), and a run the app was
running when it stopped is marked failed when it starts again, never left "running" for ever.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from commissioning.web.db import Run, now

MAX_CONCURRENT_RUNS = 2
LOG_FILE = "log.txt"
OUT_FOLDER = "out"


def _child_setup() -> None:
    from commissioning.running.router import die_with_parent

    os.setsid()  # its own process group: stopping it stops its routing workers too
    die_with_parent()


class RunQueue:
    """Starts queued runs as slots free up; :meth:`poke` after adding one."""

    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions
        self.lock = threading.Lock()
        self.running: dict[int, subprocess.Popen] = {}
        with sessions() as db:  # runs of an app that stopped: their processes died with it
            for run in db.scalars(select(Run).where(Run.status.in_(("running",)))):
                run.status, run.message, run.finished_at = "failed", "the app stopped during the run", now()
            db.commit()

    def poke(self) -> None:
        with self.lock:
            while len(self.running) < MAX_CONCURRENT_RUNS:
                with self.sessions() as db:
                    run = db.scalar(select(Run).where(Run.status == "queued").order_by(Run.id))
                    if run is None:
                        return
                    self.running[run.id] = self._start(run)
                    run.status = "running"
                    db.commit()
                    threading.Thread(target=self._wait, args=(run.id,), daemon=True).start()

    def _start(self, run: Run) -> subprocess.Popen:
        folder = Path(run.folder)
        command = [
            sys.executable,
            "-m",
            "commissioning.cli",
            "run",
            str(folder / "scenario.toml"),
            "--out",
            str(folder / OUT_FOLDER),
        ]
        log = (folder / LOG_FILE).open("ab")
        try:
            return subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_child_setup,
                cwd=folder,
            )
        finally:
            log.close()

    def _wait(self, run_id: int) -> None:
        code = self.running[run_id].wait()
        with self.sessions() as db:
            run = db.get(Run, run_id)
            run.finished_at = now()
            run.status = "done" if code == 0 else "failed"
            run.message = "" if code == 0 else _last_line(Path(run.folder) / LOG_FILE, code)
            db.commit()
        with self.lock:
            self.running.pop(run_id, None)
        self.poke()

    def stop_all(self) -> None:
        with self.lock:
            for process in self.running.values():
                process.terminate()


def _last_line(log: Path, code: int) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return (lines[-1] if lines else "") + f" (exit status {code})"


def progress(run: Run) -> tuple[list[str], list[str]]:
    """(the variants finished, the log's last lines): ``commissioning run`` prints one line per variant as
    it finishes, starting with the variant's name."""
    import tomllib

    names = [v["name"] for v in tomllib.loads(run.scenario_toml).get("variants", [])]
    log = Path(run.folder) / LOG_FILE
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    finished = [n for n in names if any(line.split(" ", 1)[0] == n for line in lines)]
    return finished, lines[-20:]
