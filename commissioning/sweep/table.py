"""``sweep.csv``: one row per run and varied variant, in the plan's order.

Columns: ``run`` (the run folder's key under ``runs/``), ``draw`` (empty without ``--draws``), each varied
key prefixed ``vary_`` (``vary_max_providers_per_zone``: the value set, beside the KPI
``max_providers_per_zone``: the value achieved), ``variant``, ``status`` (``ok`` or ``error``), ``error``
(the one-line message), ``solver_status``, ``solver_gap``, ``solver_seconds``, then every KPI of the run's
``kpis.csv`` for that variant. The same sweep gives the same file on every run, but for ``solver_seconds``
(wall clock).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from commissioning.results.spreadsheet import spreadsheet_safe_text
from commissioning.sweep.engine import SweepOutcome
from commissioning.sweep.plan import Plan, toml_value, vary_column

FIXED = ["status", "error", "solver_status", "solver_gap", "solver_seconds"]


def sweep_rows(plan: Plan, outcome: SweepOutcome) -> list[dict[str, Any]]:
    """The rows of sweep.csv, as dicts (numbers as numbers)."""
    rows = []
    for run, key in zip(plan.runs, outcome.keys, strict=True):
        record = outcome.records.get(key) or {"status": "error", "message": "not run (interrupted)"}
        for variant in plan.variants:
            row: dict[str, Any] = {"run": key, "draw": run.combination.draw}
            row.update({vary_column(k): _shown(v) for k, v in run.combination.values.items()})
            row.update(variant=variant, status=record["status"], error=record.get("message", ""))
            kpis = (record.get("kpis") or {}).get(variant, {})
            row.update({k: kpis.get(k) for k in FIXED[2:]})
            row.update({k: v for k, v in kpis.items() if k not in row})
            rows.append(row)
    return rows


def _shown(value: Any) -> Any:
    """A varied value as a cell: numbers, true/false and text as they are, lists as TOML."""
    if isinstance(value, bool | int | float | str):
        return value
    return toml_value(value)


def columns(plan: Plan, rows: list[dict[str, Any]]) -> list[str]:
    head = ["run", "draw", *(v.column for v in plan.varies), "variant", *FIXED]
    rest: list[str] = []
    for row in rows:
        rest += [k for k in row if k not in head and k not in rest]
    return head + rest


def csv_text(plan: Plan, rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    names = columns(plan, rows)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in names])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return spreadsheet_safe_text(str(value))
