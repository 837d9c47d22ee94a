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
    OUT/ranks.csv               only when a variant has ranked zoning: variant, zone_id, name, rank, role,
                                 provider_id, care_hours, share, target_share, deviation_hours,
                                 deviation_cost_gbp_per_week
    OUT/<variant>/allocation.csv client_id, provider_id, status, reason, zone, travel_minutes_per_visit,
                                 moved, weekly_hours, visits_per_week, carers_per_visit, funder, extras...
    OUT/workbook.xlsx           KPIs, Providers, Zones, Ranks (with ranks.csv), Hubs, Recruitment, Broken
                                 rules, one Allocation sheet per variant, Parameters (setting × variant),
                                 Warnings: labels with units

The maps and the report (:mod:`commissioning.report`) read these files afterwards. Every CSV and workbook
cell is spreadsheet-safe (:mod:`commissioning.results.spreadsheet`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from commissioning.inputs.schema import CSV_TABLES, DEFAULT_WEEKLY_HOURS_PER_CARER
from commissioning.inputs.tables import read_table
from commissioning.results import schema
from commissioning.results.kpis import kpi_table
from commissioning.results.ranks import RANKS_FILE, limit_words, rank_table, settings_shares, shares_words
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


def write_outputs(stage: Path, scenario, data, outcomes: dict, kpis: dict[str, Any],
                  later: list[Callable[[], Path]] | None = None) -> list[Path]:
    """Write every table, kpis.json/csv and the workbook into ``stage``; returns the files written.
    ``later``: the workbook is not written but appended to it as a job (a run writes it while it draws the
    maps, in another process), and is then not among the files returned."""
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
    ranks = rank_table(outcomes, data)
    if ranks is not None:
        files.append(write_csv(ranks, stage / RANKS_FILE))
    tables = {"Providers": providers, "Zones": zones, **({"Ranks": ranks} if ranks is not None else {}),
              "Hubs": hubs, "Recruitment": recruitment, "Broken rules": broken}
    workbook = partial(write_workbook, stage / "workbook.xlsx", kpis, kpi_frame, tables, allocations)
    if later is None:
        files.append(workbook())
    else:
        later.append(workbook)
    # Hidden files (a generated folder's marker) are bookkeeping, not outputs.
    files += sorted(p for p in (stage / "inputs").iterdir() if p.is_file() and not p.name.startswith("."))
    return files


def _setting(value: Any) -> Any:
    """A setting's value as one cell: numbers stay numbers, lists and tables become short text."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_setting(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(_setting(v)) for v in value) or "none"
    return value


PARAMETER_SECTIONS = ("money", "downstream", "kpis", "routing", "workforce")
ALL_VARIANTS = "All variants"


def parameters_table(kpis: dict[str, Any]) -> pd.DataFrame:
    """Every parameter once, as a variant-by-setting table: one row per setting (its scenario-file key), the
    scenario-wide value under "All variants", each variant's own value under its name ("" where a setting
    does not apply, e.g. solver settings for today's allocation)."""
    params = kpis["assumptions"]
    variants = params.get("variants", {})
    rows = []
    for section in PARAMETER_SECTIONS:
        for key, value in params.get(section, {}).items():
            rows.append({"Section": section, "Setting": key, ALL_VARIANTS: _setting(value)})
    rows.append({"Section": "travel", "Setting": "max_travel_minutes_per_visit",
                 ALL_VARIANTS: params.get("max_travel_minutes_per_visit")})
    rows.append({"Section": "travel", "Setting": "travel_model", ALL_VARIANTS: kpis.get("travel_model", "")})
    keys = list(dict.fromkeys(k for values in variants.values() for k in values if k != "name"))
    for key in keys:
        row = {"Section": "variant", "Setting": key, ALL_VARIANTS: ""}
        row.update({name: _variant_setting(values, key) for name, values in variants.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=["Section", "Setting", ALL_VARIANTS, *variants])


def _variant_setting(values: dict, key: str) -> Any:
    """One variant's setting as one cell; under ranked zoning the shares in words and the zoning limit as the
    number of ranks."""
    shares = settings_shares(values)
    if shares and key == "ranked_shares":
        return shares_words(shares)
    if shares and key == "max_providers_per_zone" and values.get(key) is None:
        return limit_words(shares)
    return _setting(values[key]) if key in values else ""


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
    """``workbook.xlsx``: the same tables as the CSV files, one sheet each, for people: headers are the
    schema's labels with units (:mod:`commissioning.results.schema`), numbers formatted by unit (thousands
    separators, £, %), the header row frozen and filtered; then a variant-by-setting Parameters sheet and
    the warnings. ``tables``: sheet name → table. No cell is a formula (spreadsheet-safe text)."""
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        sheets = [("KPIs", *_kpi_sheet(kpi_frame))]
        sheets += [(title, *_table_sheet(frame, SHEET_COLUMNS.get(title, ())))
                   for title, frame in tables.items()]
        sheets += [(f"Allocation {name}", *_table_sheet(frame, schema.ALLOCATION))
                   for name, frame in allocations.items()]
        sheets += [
            ("Parameters", parameters_table(kpis), {}),
            ("Warnings", pd.DataFrame({"Warning": kpis["warnings"]}, columns=["Warning"]), {}),
        ]
        for title, frame, formats in sheets:
            sheet = _sheet_name(title, used)
            # Safe text also keeps openpyxl from storing a text starting with "=" as a formula.
            workbook_safe(frame).to_excel(writer, sheet_name=sheet, index=False)
            _dress(writer.sheets[sheet], formats)
    return path


# ----------------------------------------------------------------------------------------------------
# The workbook for people: labels with units and number formats from the output schema
# ----------------------------------------------------------------------------------------------------

SHEET_COLUMNS = {"Providers": schema.PROVIDERS, "Zones": schema.ZONES, "Ranks": schema.RANKS,
                 "Hubs": schema.HUBS, "Recruitment": schema.RECRUITMENT, "Broken rules": schema.BROKEN_RULES}
UNIT_TEXT = {"GBP/week": "£/week", "GBP/hour": "£/hour", "hours/week": "h/week", "share 0-1": "%",
             "percent": "%", "minutes/visit": "min/visit", "minutes": "min", "index 0-10000": "0-10,000",
             "s": "seconds"}
COUNT_UNITS = ("clients", "patches", "count", "providers", "carers", "visits/week", "visits/day",
               "index 0-10000")
PLAIN_UNITS = ("clients", "patches", "providers", "carers")  # "Clients", not "Clients (clients)"
WHOLE, ONE_DECIMAL, TWO_DECIMALS = "#,##0", "#,##0.0", "#,##0.00"


def number_format(unit: str, values: pd.Series | None = None) -> str | None:
    """The Excel number format for a unit (None: leave as it is): £ with thousands for money, % for shares,
    one decimal for hours, km and minutes, whole numbers for counts (one decimal if some are fractions)."""
    fractional = values is not None and bool((pd.to_numeric(values, errors="coerce").dropna() % 1 != 0).any())
    if unit.startswith("GBP"):
        return "£#,##0.00" if unit == "GBP/hour" else "£#,##0"
    if unit == "share 0-1":
        return "0.0%"
    if unit == "percent":
        return '0.0"%"'  # the value is already in percent (the CSV's)
    if unit in COUNT_UNITS:
        return ONE_DECIMAL if fractional else WHOLE
    if unit:
        return ONE_DECIMAL
    numeric = values is not None and pd.api.types.is_numeric_dtype(values)
    if numeric and not pd.api.types.is_bool_dtype(values):
        return TWO_DECIMALS if fractional else WHOLE
    return None


def header(label: str, unit: str) -> str:
    """A column's heading: its label and unit, e.g. "Care hours (h/week)"."""
    unit = UNIT_TEXT.get(unit, unit)
    return f"{label} ({unit})" if unit and unit not in PLAIN_UNITS else label


def _table_sheet(frame: pd.DataFrame, columns) -> tuple[pd.DataFrame, dict]:
    """A table with the schema's labels as headings and a number format per column; columns the schema does
    not declare (extra input columns) keep their names."""
    known = {c.name: c for c in columns}
    headings, formats = [], {"columns": {}}
    for j, name in enumerate(frame.columns):
        column = known.get(name) or _band_column(str(name), columns)
        unit = column.unit if column else ""
        heading = header(column.label, unit) if column else str(name)
        headings.append(heading if heading not in headings else f"{heading} [{name}]")
        if (number := number_format(unit, frame.iloc[:, j])) is not None:
            formats["columns"][j] = number
    out = frame.copy()
    out.columns = headings
    return out, formats


def _band_column(name: str, columns) -> schema.Column | None:
    """hubs.csv's columns per time band (``morning_hours_used``, ...), which the schema cannot list."""
    band, _, rest = name.partition("_hours_")
    if columns is not schema.HUBS or rest not in ("used", "available") or not band:
        return None
    return schema.Column(name, f"{band.capitalize()} hours {rest}", "hours/week", "")


def _kpi_sheet(kpi_frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """kpis.csv for people: the measure's label and unit first, a column per variant (formatted row by row
    by the measure's unit), then its family, level, key and how it is computed."""
    if not set(schema.KPI_TABLE_HEAD) <= set(kpi_frame.columns):
        return _table_sheet(kpi_frame, ())
    variants = [c for c in kpi_frame.columns if c not in (*schema.KPI_TABLE_HEAD, *schema.KPI_TABLE_TAIL)]
    groups = {g.key: g.title for g in schema.GROUPS} | {"solver": "Solver"}
    labels = {k.name: k.label for k in schema.KPIS}
    solver = {f"solver_{f}": f"Solver: {f}" for f in schema.SOLVER_FIELDS}
    out = pd.DataFrame({
        "Measure": [labels.get(k, solver.get(k, k)) for k in kpi_frame["kpi"]],
        "Unit": [UNIT_TEXT.get(u, u) for u in kpi_frame["unit"].fillna("")],
        **{v: kpi_frame[v] for v in variants},
        "Family": [groups.get(f, f) for f in kpi_frame["family"]],
        "Level": kpi_frame["level"],
        "Key": kpi_frame["kpi"],
        "How it is computed": kpi_frame["description"],
    })
    rows = {i: number_format(u) or TWO_DECIMALS for i, u in enumerate(kpi_frame["unit"].fillna(""))}
    return out, {"rows": rows, "row_columns": range(2, 2 + len(variants)), "freeze": "C2"}


def _dress(ws, formats: dict) -> None:
    """Number formats, the header row frozen (and the labels of a KPI sheet), filters, column widths."""
    for j, number in formats.get("columns", {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=j + 1, max_col=j + 1):
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = number
    for i, number in formats.get("rows", {}).items():
        for j in formats["row_columns"]:
            cell = ws.cell(row=i + 2, column=j + 1)
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = number
    ws.freeze_panes = formats.get("freeze", "A2")
    if ws.max_row >= 1 and ws.max_column >= 1:
        ws.auto_filter.ref = ws.dimensions
    for column in ws.columns:
        width = max((len(str(c.value)) for c in list(column)[:200] if c.value is not None), default=8)
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
