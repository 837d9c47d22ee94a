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

Atomic: everything is written into a hidden sibling ``.DIR.partial-XXXX`` and renamed to ``DIR`` at the
end; on any error the sibling is removed and an existing ``DIR`` is left as it was. An existing non-empty
``DIR`` is replaced only with ``force`` (it is renamed aside first, then removed).
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from commissioning.errors import CareCommissioningError

ALLOCATION_FILE = "allocation.csv"


@contextlib.contextmanager
def staged_folder(out_dir: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``out_dir``; rename it to ``out_dir`` if the block succeeds."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CareCommissioningError(f"{out_dir} is a file. Fix: give a folder path with --out.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise CareCommissioningError(
            f"{out_dir} is not empty. Fix: choose a new folder, or add --force to replace it."
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    # mkdtemp makes the folder private (0700); the finished output is for colleagues too: honour umask.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(stage, 0o777 & ~umask)
    try:
        yield stage
        if out_dir.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, aside / "old")
            os.replace(stage, out_dir)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


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
    files.append(_csv(kpi_frame, stage / "kpis.csv"))
    allocations = {}
    for name, outcome in outcomes.items():
        folder = stage / name
        folder.mkdir(exist_ok=True)
        allocations[name] = outcome.allocation
        files.append(_csv(outcome.allocation, folder / ALLOCATION_FILE))
    providers = provider_table(outcomes, data, km)
    zones = zone_table(outcomes, data, km)
    files.append(_csv(providers, stage / "providers.csv"))
    files.append(_csv(zones, stage / "zones.csv"))
    if scenario.text:
        path = stage / "scenario.toml"
        path.write_text(scenario.text, encoding="utf-8")
        files.append(path)
    files.append(write_workbook(stage / "workbook.xlsx", kpis, kpi_frame, providers, zones, allocations))
    files += sorted(p for p in (stage / "inputs").iterdir() if p.is_file())
    return files


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


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
            frame.to_excel(writer, sheet_name=sheet, index=False)
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
