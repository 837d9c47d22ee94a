"""Each run's folder, ``OUT/runs/<key>/``, named by a hash of everything the run reads.

The key hashes the run's scenario text, the content of its data folder (every file's name and bytes; a
generated dataset is named by the text itself), the software version and the run options the sweep sets
(``workers = 1``, limits, no routing). ``run_scenario`` writes the folder atomically (a staged sibling
renamed into place), so a folder with ``kpis.json`` is a finished run: a rerun of the same sweep reads it
back instead of solving again, which is how an interrupted sweep resumes.

Without ``--keep-runs`` a finished run's folder is pruned to what the sweep reads back (``kpis.json``,
``kpis.csv``, ``scenario.toml`` and the tool's marker): the data copy, tables, maps and report go. With
``--keep-runs`` the whole folder stays, and a pruned folder from an earlier sweep is solved again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import shutil
from pathlib import Path
from typing import Any

from commissioning import __version__

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
    """The cache key of one run (24 hex digits)."""
    blob = json.dumps({"text": text, "data": data, "version": __version__, "options": options},
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
