"""Write a run's output folder (see the README's *Output folder*; written inside a staged folder, see
:mod:`commissioning.results.folder`)::

    OUT/inputs/                 the validated dataset folder as CSV (hubs.csv always present)
    OUT/scenario.toml           the scenario file used
    OUT/kpis.json               {"scenarios": {variant: {KPIs..., "solver": {...}}}, "variants",
                                 "assumptions",
                                 "travel_model", "definitions", "current_variant", "warnings", "data", ...}
    OUT/kpis.csv                kpi, unit, family, <one column per variant>, level, description
    OUT/providers.csv           variant, provider_id, name, kind, care_hours, clients, travel_hours,
                                 revenue_gbp, change_hours_vs_current, change_pct_vs_current, extras...
    OUT/zones.csv               variant, zone_id, name, remote, providers, provider_ids, care_hours,
                                 unmet_hours, travel_minutes_per_visit, extras...
    OUT/hubs.csv                variant, hub_id, owner, zone, carers, drivers, non_drivers, clients,
                                 staff hours available and used, drivers' and non-drivers' hours, recruits,
                                 hours used and available in each band
    OUT/recruitment.csv         variant, kind (recruit | shortfall), hub_id, owner, zone, band, drivers,
                                 non_drivers, cost_gbp_per_week, unmet_clients, hours_short
    OUT/broken_rules.csv        variant, rule, hub_id, owner, zone, band, needed_hours, available_hours,
                                 message
    OUT/<variant>/allocation.csv client_id, provider_id, status, reason, zone, travel_minutes_per_visit,
                                 moved, weekly_hours, visits_per_week, carers_per_visit, funder, extras...
    OUT/workbook.xlsx           KPIs, Providers, Zones, Hubs, Recruitment, one Allocation sheet per variant,
                                 Assumptions, Warnings

The maps and the report (:mod:`commissioning.report`) read these files afterwards. Every CSV and workbook
cell is spreadsheet-safe (:mod:`commissioning.results.spreadsheet`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from commissioning.inputs.schema import CSV_TABLES, DEFAULT_WEEKLY_HOURS_PER_CARER
from commissioning.inputs.tables import read_table
from commissioning.results.kpis import kpi_table
from commissioning.results.spreadsheet import workbook_safe, write_csv
from commissioning.results.tables import ALLOCATION_FILE, provider_table, zone_table
from commissioning.results.workforce import broken_rules_table, hub_table, recruitment_table


def write_inputs(source: Path, inputs: Path, data) -> list[str]:
    """Write the validated dataset folder into ``inputs`` as the run read it: every table as CSV (``.xlsx``
    converted, columns as the schema names them), zones with their repaired polygons, always a hubs.csv
    (default hubs at the providers' bases when the user gave none) and a pools.csv. Returns warnings.

    Tables are written through :func:`~commissioning.results.spreadsheet.write_csv`: a cell that a
    spreadsheet would run as a formula gets a leading apostrophe, which the scenario reader takes off
    again."""
    inputs.mkdir(parents=True)
    warnings = []
    for stem in CSV_TABLES:
        frame, _ = read_table(source, stem, problems=[])
        if stem == "hubs" and not data.hubs:
            write_csv(_default_hubs(data), inputs / "hubs.csv")
            warnings.append(
                "no hubs.csv given: inputs/hubs.csv has one hub per provider at its base, carers "
                f"estimated as staff hours ÷ {DEFAULT_WEEKLY_HOURS_PER_CARER:g} h per carer"
            )
        elif frame is not None:
            write_csv(frame, inputs / f"{stem}.csv")
        elif stem == "pools":
            empty = pd.DataFrame(columns=["pool_id", "zones", "weekly_hours", "members"])
            write_csv(empty, inputs / "pools.csv")
    _write_zones(data, inputs / "zones.geojson")
    (inputs / "dataset.json").write_text(
        json.dumps({**data.dataset, "region": data.region, "travel_model": data.travel_model}, indent=2,
                   sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return warnings


def _default_hubs(data) -> pd.DataFrame:
    """hubs.csv as the run read it when the user gave none: the hubs made at load (see
    :mod:`commissioning.inputs.workforce`), with every column filled."""
    rows = [*(h for p in data.providers for h in data.hubs_for(p.provider_id)),
            *(h for q in data.pools for h in data.hubs_of_pool(q.pool_id))]
    return pd.DataFrame(
        {
            "hub_id": [h.hub_id for h in rows],
            "provider_id": [h.provider_id or "" for h in rows],
            "pool_id": [h.pool_id or "" for h in rows],
            "lon": [h.lon for h in rows],
            "lat": [h.lat for h in rows],
            "carers": [h.carers for h in rows],
            "drivers": [h.drivers for h in rows],
            "weekly_hours_per_carer": [h.weekly_hours_per_carer for h in rows],
            "max_recruits": ["" if h.max_recruits is None else h.max_recruits for h in rows],
        }
    )


def _write_zones(data, path: Path) -> None:
    """The zones as the run used them (repaired polygons, WGS84), so maps never meet a broken polygon."""
    import geopandas as gpd

    zones = data.zones
    frame = gpd.GeoDataFrame(
        {
            "zone_id": [z.zone_id for z in zones],
            "name": [z.name for z in zones],
            "locality": [z.locality or "" for z in zones],
            "remote": ["yes" if z.remote else "no" for z in zones],
        },
        geometry=[z.geometry for z in zones],
        crs="EPSG:4326",
    )
    path.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")


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


def write_outputs(stage: Path, scenario, data, outcomes: dict, kpis: dict[str, Any]) -> list[Path]:
    """Write every table, kpis.json/csv and the workbook into ``stage``; returns the files written."""
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
    providers = provider_table(outcomes, data)
    zones = zone_table(outcomes, data)
    files.append(write_csv(providers, stage / "providers.csv"))
    files.append(write_csv(zones, stage / "zones.csv"))
    hubs, recruitment = hub_table(outcomes), recruitment_table(outcomes)
    files.append(write_csv(hubs, stage / "hubs.csv"))
    files.append(write_csv(recruitment, stage / "recruitment.csv"))
    broken = broken_rules_table(outcomes)
    files.append(write_csv(broken, stage / "broken_rules.csv"))
    if scenario.text:
        path = stage / "scenario.toml"
        path.write_text(scenario.text, encoding="utf-8")
        files.append(path)
    tables = {"Providers": providers, "Zones": zones, "Hubs": hubs, "Recruitment": recruitment,
              "Broken rules": broken}
    files.append(write_workbook(stage / "workbook.xlsx", kpis, kpi_frame, tables, allocations))
    # Hidden files (a generated folder's marker) are bookkeeping, not outputs.
    files += sorted(p for p in (stage / "inputs").iterdir() if p.is_file() and not p.name.startswith("."))
    return files


def assumptions_table(kpis: dict[str, Any]) -> pd.DataFrame:
    """Every parameter as (section, name, value): money, downstream, KPI thresholds, variants."""
    rows = []
    params = kpis["assumptions"]
    for section in ("money", "downstream", "kpis", "routing", "workforce"):
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
    path: Path, kpis, kpi_frame, tables: dict[str, pd.DataFrame], allocations: dict[str, pd.DataFrame]
) -> Path:
    """``workbook.xlsx`` with the same tables as the CSV files (openpyxl); ``tables``: sheet name → table."""
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        sheets = [("KPIs", kpi_frame), *tables.items()]
        sheets += [(f"Allocation {name}", frame) for name, frame in allocations.items()]
        sheets += [
            ("Assumptions", assumptions_table(kpis)),
            ("Warnings", pd.DataFrame({"warning": kpis["warnings"]}, columns=["warning"])),
        ]
        for title, frame in sheets:
            sheet = _sheet_name(title, used)
            # Safe text also keeps openpyxl from storing a text starting with "=" as a formula.
            workbook_safe(frame).to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for column in ws.columns:
                width = max((len(str(c.value)) for c in list(column)[:200] if c.value is not None), default=8)
                ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    return path
