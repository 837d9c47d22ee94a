"""Each run's folder, ``OUT/runs/<key>/``, named by a hash of everything the run reads.

The key hashes the run's scenario text, the content of its data folder (every file's name and bytes; a
generated dataset is named by the text itself), the software version and the run options the sweep sets
(``workers = 1``, limits, no routing). ``run_scenario`` writes the folder atomically (a staged sibling
renamed into place), so a folder with ``kpis.json`` is a finished run: a rerun of the same sweep reads it
back instead of solving again, which is how an interrupted sweep resumes.

Without ``--keep-runs`` a finished run's folder is pruned to what the sweep reads back (``kpis.json``,
``kpis.csv``, ``scenario.toml`` and the tool's marker): the data copy, tables, maps and report go. With
``--keep-runs`` the whole folder stays, and a pruned folder from an earlier sweep is solved again.

A worker killed mid-run (the sweep interrupted, or the worker lost) leaves its staged sibling
``.<key>.partial-*`` and its lock ``.<key>.lock`` beside the folder; :func:`remove_leftovers` removes them
once nobody holds the lock, so an interrupted sweep leaves only finished runs, as ``commissioning run``.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

from commissioning import __version__
from commissioning.results.folder import lock_path

# What staged_folder leaves beside runs/<key> when its writer is killed (mkdtemp's suffix: 8 characters).
_LEFTOVER_RE = re.compile(r"\.([0-9a-f]{24})\.(?:lock|(?:partial|old)-[a-z0-9_]{8})")

KEPT = frozenset({"kpis.json", "kpis.csv", "scenario.toml", ".care-commissioning"})
FULL_MARK = "report.html"  # present only in a run folder that was not pruned


def data_hash(folder: Path | None) -> str:
    """A hash of every file under ``folder`` (relative name and bytes); ``""`` for generated data."""
    if folder is None:
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def run_key(text: str, data: str, options: dict[str, Any]) -> str:
    """The cache key of one run (24 hex digits). The KPIs' definitions are part of it: a resumed sweep never
    mixes runs read with other KPIs (a KPI added, or the cost counting recruitment) into one sweep.csv."""
    from commissioning.results.schema import KPIS

    kpis = [(k.name, k.description) for k in KPIS]
    blob = json.dumps({"text": text, "data": data, "version": __version__, "options": options, "kpis": kpis},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def finished(folder: Path, keep_runs: bool) -> bool:
    """A finished run (``kpis.json`` present); with ``keep_runs`` also not pruned."""
    folder = Path(folder)
    return (folder / "kpis.json").is_file() and (not keep_runs or (folder / FULL_MARK).is_file())


def prune(folder: Path) -> None:
    """Keep only what the sweep reads back (``kpis.json`` goes last: never first)."""
    for path in Path(folder).iterdir():
        if path.name in KEPT:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def read_run(folder: Path, variants: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Per variant: every KPI of ``kpis.csv`` (numbers as numbers) and the solver's status, gap, seconds."""
    folder = Path(folder)
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    with open(folder / "kpis.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[str, dict[str, Any]] = {}
    for name in variants:
        solver = kpis.get("scenarios", {}).get(name, {}).get("solver") or {}
        values: dict[str, Any] = {
            "solver_status": solver.get("status"),
            "solver_gap": solver.get("gap"),
            "solver_seconds": solver.get("seconds"),
        }
        for row in rows:
            values[row["kpi"]] = _number(row.get(name, ""))
        out[name] = values
    return out


def _number(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else None


def remove_leftovers(runs_dir: Path, keys: set[str]) -> set[str]:
    """Remove what killed writers of the runs ``keys`` left in ``runs_dir``; the keys whose lock is still
    held (a writer alive, e.g. a worker of a remote cluster that has not seen the cancel yet) are left
    alone and returned."""
    found: dict[str, list[Path]] = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in Path(runs_dir).iterdir():
            match = _LEFTOVER_RE.fullmatch(entry.name)
            if match and match[1] in keys:
                found.setdefault(match[1], []).append(entry)
    return {key for key, entries in found.items() if not _remove_unlocked(Path(runs_dir) / key, entries)}


def _remove_unlocked(folder: Path, entries: list[Path]) -> bool:
    """Take the run's lock as its writer does (results.folder.staged_folder), remove ``entries``, then the
    lock file; ``False`` when another process holds the lock."""
    lock = lock_path(folder)
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o666)
    except OSError:
        return False
    try:
        try:  # OSError: held (BlockingIOError), or no locks here (ENOLCK on some network file systems)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            mine = os.path.samestat(os.fstat(fd), os.stat(lock))
        except OSError:  # also the lock file unlinked by its writer between our open and our look
            return False
        if not mine:
            return False  # a writer replaced the file since we opened it: it is that writer's now
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
        os.unlink(lock)  # before unlocking, as the writer does: the next one creates a fresh file
        return True
    finally:
        os.close(fd)
