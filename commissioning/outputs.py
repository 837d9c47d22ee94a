"""The output folder of ``commissioning run`` / ``demo``, written atomically.

Layout: the README's *Output folder* section is the contract shared with :mod:`maps` and
:mod:`commissioning.report` (which read the folder). Contract columns come first in every table; extra
columns (with units in their names) follow. In short::

    OUT/inputs/                 the validated scenario folder as CSV (hubs.csv always present)
    OUT/scenario.toml           the scenario file used
    OUT/kpis.json               {"scenarios": {variant: {KPIs..., "solver": {...}}}, "variants",
                                 "assumptions",
                                 "travel_model", "definitions", "current_variant", "warnings", "data", ...}
    OUT/kpis.csv                kpi, unit, family, <one column per variant>, level, description
    OUT/providers.csv           variant, provider_id, name, kind, care_hours, clients, travel_hours,
                                 revenue_gbp, change_hours_vs_current, change_pct_vs_current, extras...
    OUT/zones.csv               variant, zone_id, name, remote, providers, provider_ids, care_hours,
                                 unmet_hours, travel_minutes_per_visit, extras...
    OUT/<variant>/allocation.csv client_id, provider_id, status, reason, zone, travel_minutes_per_visit,
                                 moved, weekly_hours, visits_per_week, carers_per_visit, funder, extras...
    OUT/maps/                   maps.write_run_maps(OUT), if installed
    OUT/report.html             commissioning.report.write_report(OUT) (a plain KPI page if absent)
    OUT/workbook.xlsx           KPIs, Providers, Zones, one Allocation sheet per variant, Assumptions,
                                 Warnings
    OUT/.care-commissioning     marker: {"tool", "version", "written_at"}; only such a folder is replaced

Atomic: everything is written into a hidden sibling ``.DIR.partial-XXXXXXXX`` and renamed to ``DIR`` at
the end; on any error the sibling is removed and an existing ``DIR`` is left as it was. An existing
non-empty ``DIR`` is replaced only with ``force`` and only if it holds the marker (it is renamed aside
first, then removed). One writer per ``DIR`` at a time: an exclusive lock on ``.DIR.lock`` beside it is
held for the whole write; the holder removes partial folders left by killed runs.

Spreadsheet-safe text: every CSV and workbook cell of text starting with ``= + - @``, tab or CR gets a
leading ``'`` (:func:`spreadsheet_safe_text`; OWASP CSV injection), so a provider named
``=HYPERLINK(...)`` is text, not a formula. The escape is reversible: programs that read the folder
use :func:`original_text` / :func:`read_output_csv` to get the values back.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import html
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from commissioning.errors import CareCommissioningError

ALLOCATION_FILE = "allocation.csv"
MARKER_FILE = ".care-commissioning"
TOOL_NAME = "care-commissioning"


# ----------------------------------------------------------------------------------------------------
# The atomic, locked output folder
# ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def staged_folder(out_dir: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``out_dir``; rename it to ``out_dir`` if the block succeeds.

    Raises :class:`CareCommissioningError` (one line, with the fix) when ``out_dir`` cannot be written,
    is being written by another run, or is not empty (without ``force``, or not written by this tool).
    """
    out_dir = Path(os.path.abspath(out_dir))  # a real name for ".", "..", "out/": siblings need one
    if out_dir.exists() and not out_dir.is_dir():
        raise CareCommissioningError(f"{out_dir} is a file. Fix: give a folder path with --out.")
    with _as_message(out_dir, "output folder"):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(out_dir):
        _remove_stale_siblings(out_dir)
        _check_replaceable(out_dir, force)
        stage = _new_stage(out_dir)
        try:
            yield stage
            _write_marker(stage)
            _move_into_place(stage, out_dir)
        except BaseException:  # an error, Ctrl-C or SIGTERM (raised by the runner): leave nothing
            shutil.rmtree(stage, ignore_errors=True)
            raise


def lock_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.lock"


@contextlib.contextmanager
def _exclusive_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``flock`` on ``.DIR.lock`` (the kernel drops it when the process dies, even on SIGKILL).

    The lock file is removed on release. A process that opened the file before the removal may then
    lock the unlinked file, so after locking we check that the path still names the file we locked.
    """
    path = lock_path(out_dir)
    while True:
        with _as_message(out_dir, "output folder"):
            # Read-only is enough for flock, and lets a colleague open a file left by a killed run.
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
        _lock_or_fail(fd, out_dir)
        if _same_file(fd, path):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # before unlocking: the next run then creates a fresh file
        os.close(fd)


def _lock_or_fail(fd: int, out_dir: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CareCommissioningError(
            f"{out_dir} is being written by another run right now. "
            "Fix: wait for that run to finish, or choose another --out folder."
        ) from None
    except OSError as error:  # e.g. a network disk without locks
        os.close(fd)
        raise CareCommissioningError(
            f"cannot lock the output folder {out_dir}: {describe_os_error(error, out_dir)}"
        ) from error


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _remove_stale_siblings(out_dir: Path) -> None:
    """Remove ``.DIR.partial-*`` / ``.DIR.old-*`` left by killed runs: we hold the lock, nobody owns them.

    The suffix must be exactly what ``mkdtemp`` makes (8 characters), so the partial of another target
    (e.g. of ``DIR.partial-x``) never matches.
    """
    stale = re.compile(re.escape(f".{out_dir.name}.") + r"(partial|old)-[a-z0-9_]{8}")
    with _as_message(out_dir, "output folder"):
        for entry in out_dir.parent.iterdir():
            if stale.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def check_out_folder(out_dir: str | Path, *, force: bool = False) -> None:
    """The checks of :func:`staged_folder` that need no lock, for a command to fail before long work."""
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise CareCommissioningError(f"{out_dir} is a file. Fix: give a folder path with --out.")
    _check_replaceable(out_dir, force)


def _check_replaceable(out_dir: Path, force: bool) -> None:
    with _as_message(out_dir, "output folder"):
        if not out_dir.is_dir() or not any(out_dir.iterdir()):
            return
        ours = (out_dir / MARKER_FILE).is_file()
    if not ours:
        raise CareCommissioningError(
            f"{out_dir} is not empty and was not written by {TOOL_NAME} (it has no {MARKER_FILE} file), "
            "so it is never replaced, even with --force. Fix: choose a new folder, or move that one away."
        )
    if not force:
        raise CareCommissioningError(
            f"{out_dir} is not empty. Fix: choose a new folder, or add --force to replace it."
        )


def _new_stage(out_dir: Path) -> Path:
    with _as_message(out_dir, "output folder"):
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
        # mkdtemp makes the folder private (0700); the finished output is for colleagues too: honour umask.
        os.chmod(stage, 0o777 & ~_umask())
    return stage


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _write_marker(stage: Path) -> None:
    from commissioning import __version__

    marker = {
        "tool": TOOL_NAME,
        "version": __version__,
        "written_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    (stage / MARKER_FILE).write_text(json.dumps(marker) + "\n", encoding="utf-8")


def _move_into_place(stage: Path, out_dir: Path) -> None:
    with _as_message(out_dir, "output folder"):
        if not out_dir.exists():
            os.replace(stage, out_dir)
            return
        aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, aside / "old")
        try:
            os.replace(stage, out_dir)
        except BaseException:
            os.replace(aside / "old", out_dir)  # the next run would remove ``aside`` as stale
            raise
    shutil.rmtree(aside, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------
# Single files and OS errors in words
# ----------------------------------------------------------------------------------------------------


def write_text_file(path: str | Path, text: str, *, what: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file beside it, then ``os.replace``.

    Any OSError (``path`` is a folder, a parent is a file, permission denied, read-only or full disk)
    becomes a one-line :class:`CareCommissioningError` naming ``what`` and ``path`` and the fix.
    """
    path = Path(path)
    with _as_message(path, what):
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a written file honours umask
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    return path


_OS_ERROR_FIXES = {
    errno.EACCES: "choose a place you may write to, or ask for write permission",
    errno.EPERM: "choose a place you may write to, or ask for write permission",
    errno.EROFS: "that disk is read-only: choose a place on a writable disk",
    errno.ENOTDIR: "part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "that is a folder: give a file name (e.g. one inside that folder)",
    errno.ENOSPC: "the disk is full: free some space or choose another disk",
    errno.EDQUOT: "your disk quota is used up: free some space or choose another disk",
    errno.ENOENT: "a folder on the path does not exist or cannot hold files: check the path",
    errno.EEXIST: "part of the path is a file, not a folder: choose another path",  # from mkdir
    errno.ENAMETOOLONG: "the name is too long: choose a shorter path",
    errno.ENOLCK: "that disk cannot lock files: choose a folder on a local disk",
}


def describe_os_error(error: OSError, path: Path | None = None) -> str:
    """``"<reason> (<file>). Fix: <what to do>"`` for a user, without a traceback.

    The file is left out when it is ``path`` or beside it (our lock or temporary file): the message
    already names ``path``, and a hidden helper file's name would only confuse.
    """
    reason = error.strerror or str(error) or type(error).__name__
    name = Path(os.fsdecode(error.filename)) if error.filename else None
    beside = path is not None and name is not None and (name == path or name.parent == path.parent)
    where = f" ({name})" if name is not None and not beside else ""
    fix = _OS_ERROR_FIXES.get(error.errno, "check the path, the disk and your permissions")
    return f"{reason}{where}. Fix: {fix}."


@contextlib.contextmanager
def _as_message(path: Path, what: str) -> Iterator[None]:
    """OSError inside the block -> :class:`CareCommissioningError` naming ``what`` and ``path``."""
    try:
        yield
    except OSError as error:
        message = f"cannot write the {what} {path}: {describe_os_error(error, path)}"
        raise CareCommissioningError(message) from error


# ----------------------------------------------------------------------------------------------------
# Spreadsheet-safe text (OWASP CSV injection)
# ----------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe_text(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, with a leading ``'``; anything else unchanged.

    Numbers and numeric text (``"-5.47"``) are left alone. Texts already starting with quotes before
    such a character get one more quote, so :func:`original_text` always gives the value back.
    """
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    return "'" + value if value.lstrip("'").startswith(_FORMULA_START) else value


def original_text(value: Any) -> Any:
    """The inverse of :func:`spreadsheet_safe_text`, for programs reading the output folder."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return value[1:]
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) through :func:`spreadsheet_safe_text`."""
    safe = frame.rename(columns=spreadsheet_safe_text)
    for column in range(safe.shape[1]):
        values = safe.iloc[:, column]
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            safe.isetitem(column, values.map(spreadsheet_safe_text))
    return safe


def read_output_csv(path: str | Path) -> pd.DataFrame:
    """A CSV of the output folder as text, with the spreadsheet escape undone (:func:`original_text`)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return spreadsheet_unescaped(frame)


def spreadsheet_unescaped(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=original_text)
    for column in range(frame.shape[1]):
        frame.isetitem(column, frame.iloc[:, column].map(original_text))
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with spreadsheet-safe text (every CSV of the output folder)."""
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def _json_default(value: Any):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _clean(value: Any) -> Any:
    """NaN and infinities become null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_outputs(stage: Path, scenario, data, outcomes: dict, kpis: dict[str, Any], km) -> list[Path]:
    """Write every table, kpis.json/csv and the workbook into ``stage``; returns the files written.

    ``km``: ``{"hub": ..., "pool": ...}`` km per visit, clients × providers (see :mod:`commissioning.run`).
    """
    from commissioning.kpis import kpi_table, provider_table, zone_table

    files: list[Path] = []
    path = stage / "kpis.json"
    path.write_text(
        json.dumps(_clean(kpis), indent=2, default=_json_default, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    files.append(path)
    kpi_frame = kpi_table(kpis)
    files.append(write_csv(kpi_frame, stage / "kpis.csv"))
    allocations = {}
    for name, outcome in outcomes.items():
        folder = stage / name
        folder.mkdir(exist_ok=True)
        allocations[name] = outcome.allocation
        files.append(write_csv(outcome.allocation, folder / ALLOCATION_FILE))
    providers = provider_table(outcomes, data, km)
    zones = zone_table(outcomes, data, km)
    files.append(write_csv(providers, stage / "providers.csv"))
    files.append(write_csv(zones, stage / "zones.csv"))
    if scenario.text:
        path = stage / "scenario.toml"
        path.write_text(scenario.text, encoding="utf-8")
        files.append(path)
    files.append(write_workbook(stage / "workbook.xlsx", kpis, kpi_frame, providers, zones, allocations))
    # Hidden files (a generated folder's marker) are bookkeeping, not outputs.
    files += sorted(p for p in (stage / "inputs").iterdir() if p.is_file() and not p.name.startswith("."))
    return files


def assumptions_table(kpis: dict[str, Any]) -> pd.DataFrame:
    """Every parameter as (section, name, value): money, downstream, KPI thresholds, variants."""
    rows = []
    params = kpis["assumptions"]
    for section in ("money", "downstream", "kpis", "routing"):
        for key, value in params[section].items():
            rows.append({"section": section, "name": key, "value": value})
    rows.append(
        {
            "section": "travel",
            "name": "max_travel_minutes_per_visit",
            "value": params["max_travel_minutes_per_visit"],
        }
    )
    rows.append({"section": "travel", "name": "travel_model", "value": kpis["travel_model"]})
    for variant, values in params["variants"].items():
        for key, value in values.items():
            if isinstance(value, list):
                value = ";".join(value)
            rows.append({"section": f"variant {variant}", "name": key, "value": value})
    frame = pd.DataFrame(rows, columns=["section", "name", "value"])
    frame["value"] = frame["value"].map(lambda v: "" if v is None else str(v))
    return frame


def _sheet_name(name: str, used: set[str]) -> str:
    bad = "[]:*?/\\"
    base = "".join("_" if ch in bad else ch for ch in name)[:31]
    out, k = base, 2
    while out.lower() in used:
        suffix = f" ({k})"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(out.lower())
    return out


def write_workbook(
    path: Path, kpis, kpi_frame, providers, zones, allocations: dict[str, pd.DataFrame]
) -> Path:
    """``workbook.xlsx`` with the same tables as the CSV files (openpyxl)."""
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        sheets = [("KPIs", kpi_frame), ("Providers", providers), ("Zones", zones)]
        sheets += [(f"Allocation {name}", frame) for name, frame in allocations.items()]
        sheets += [
            ("Assumptions", assumptions_table(kpis)),
            ("Warnings", pd.DataFrame({"warning": kpis["warnings"]}, columns=["warning"])),
        ]
        for title, frame in sheets:
            sheet = _sheet_name(title, used)
            # Safe text also keeps openpyxl from storing a text starting with "=" as a formula.
            spreadsheet_safe(frame).to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for column in ws.columns:
                width = max((len(str(c.value)) for c in list(column)[:200] if c.value is not None), default=8)
                ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    return path


def write_maps_and_report(stage: Path, kpis: dict[str, Any]) -> list[Path]:
    """Maps (``maps.write_run_maps``) then the report (``commissioning.report.write_report``), if installed.

    Both read the staged folder. Without the report module a plain KPI page is written as report.html.
    """
    files: list[Path] = []
    write_run_maps = _optional("maps", "write_run_maps")
    if write_run_maps is not None:
        files += [Path(p) for p in write_run_maps(stage)]
    write_report = _optional("commissioning.report", "write_report")
    if write_report is not None:
        files.append(Path(write_report(stage)))
    else:
        files.append(write_plain_report(stage, kpis))
    return [f if f.is_absolute() else stage / f for f in files]


def missing_extras() -> list[str]:
    """Warnings for the optional writers that are not installed (added to kpis.json before writing)."""
    out = []
    if _optional("maps", "write_run_maps") is None:
        out.append("maps not written: maps.write_run_maps is not installed")
    if _optional("commissioning.report", "write_report") is None:
        out.append("report.html is a plain KPI page: commissioning.report is not installed")
    return out


def _optional(module: str, name: str):
    """``module.name`` or None when the module (or the function) does not exist yet."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name == module:
            return None
        raise
    return getattr(mod, name, None)


def write_plain_report(stage: Path, kpis: dict[str, Any]) -> Path:
    """A plain, self-contained report.html (the KPI table and warnings) when no report module exists."""
    from commissioning.kpis import kpi_table

    frame = kpi_table(kpis)
    names = kpis["variants"]
    esc = html.escape

    def cell(value) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "—"
        if isinstance(value, float):
            return f"{value:,.2f}"
        return esc(str(value))

    rows = "\n".join(
        "<tr>"
        + f"<td>{esc(r['group'])}</td><td>{esc(r['kpi'])}</td><td>{esc(r['unit'])}</td>"
        + "".join(f"<td class=n>{cell(r[n])}</td>" for n in names)
        + "</tr>"
        for _, r in frame.iterrows()
    )
    warnings = "".join(f"<li>{esc(w)}</li>" for w in kpis["warnings"])
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(kpis["scenario_name"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}
.n{{text-align:right}}</style></head><body>
<h1>{esc(kpis["scenario_name"])}</h1><p>{esc(kpis.get("description", ""))}</p>
<table><tr><th>group</th><th>KPI</th><th>unit</th>{"".join(f"<th>{esc(n)}</th>" for n in names)}</tr>
{rows}</table>
<h2>Warnings</h2><ul>{warnings}</ul>
<p>Tables: kpis.csv, providers.csv, zones.csv, workbook.xlsx, one allocation.csv per variant.</p>
</body></html>
"""
    path = stage / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
