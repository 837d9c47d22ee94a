"""Two run output folders as one: the variants of RUN_A and RUN_B side by side (``commissioning compare``).

:func:`compare_runs` builds a combined run folder and renders it with the run's own writers
(:func:`commissioning.report.run_maps.write_run_maps`, :func:`commissioning.report.page.write_report`), so
the comparison is literally the report's comparison. In the combined folder:

* every variant is renamed ``<label>.<variant>`` (labels default to the two run folders' names);
* the baseline (today's allocation, ``kpis.json``'s ``current_variant``) is RUN_A's current variant;
* ``kpis.json``, ``kpis.csv``, ``providers.csv``, ``zones.csv``, ``ranks.csv`` (when a run has it),
  ``hubs.csv``, ``broken_rules.csv`` and ``recruitment.csv`` hold both runs' rows; every figure is the run's
  own, except the changes against current of RUN_B's variants (the four ``*_change_vs_current`` KPIs,
  ``largest_provider_loss_percent`` and the ``*_change_vs_current`` columns of ``providers.csv``),
  recomputed against the new baseline;
* ``<label>.<variant>/allocation.csv`` is each variant's own file; ``inputs/`` is RUN_A's (with RUN_B's
  providers and hubs that RUN_A does not have added, so the maps can draw them).

The folder is written like a run's (:func:`commissioning.results.folder.staged_folder`: atomic, locked,
replaced only with ``force`` and only if this tool wrote it). Two runs that cannot be compared (not a run
folder, different clients, different regions, a variant name clash) give one :class:`CompareError`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from commissioning.errors import CareCommissioningError
from commissioning.results.read import current_variant
from commissioning.results.recommend import finite_number
from commissioning.results.spreadsheet import original_text, read_output_csv, write_csv

ALLOCATION = "allocation.csv"
TABLES = ("providers.csv", "zones.csv", "ranks.csv", "hubs.csv", "broken_rules.csv", "recruitment.csv")
CHANGE_KPIS = (
    ("delayed_discharge_bed_days_per_week", "delayed_discharge_bed_days_per_week_change_vs_current"),
    ("delayed_discharge_cost_per_week_gbp", "delayed_discharge_cost_per_week_change_vs_current_gbp"),
    ("cost_per_week_gbp", "cost_per_week_change_vs_current_gbp"),
    ("travel_hours_per_week", "travel_hours_per_week_change_vs_current"),
)
LOSS_KPI = "largest_provider_loss_percent"
PROVIDER_CHANGES = (  # providers.csv: (column, the figure it changes)
    ("change_hours_vs_current", "care_hours"),
    ("revenue_change_vs_current_gbp", "revenue_gbp"),
    ("clients_change_vs_current", "clients"),
)
SHEETS = {"Providers": "providers.csv", "Zones": "zones.csv", "Ranks": "ranks.csv", "Hubs": "hubs.csv",
          "Recruitment": "recruitment.csv", "Broken rules": "broken_rules.csv"}
TEXT_COLUMNS = {"variant", "client_id", "provider_id", "current_provider", "hub_id", "owner", "zone",
                "zone_id", "name", "provider_ids", "lead_provider", "locality", "pool_id"}
FIX_RUN = "Fix: give a folder written by 'commissioning run' or 'commissioning demo'."
SHOWN_IDS = 5


class CompareError(CareCommissioningError):
    """Two run folders that cannot be compared: one line saying why and how to fix it."""


@dataclass
class Source:
    """One run output folder, as the comparison reads it."""

    folder: Path
    role: str  # "RUN_A" or "RUN_B"
    label: str
    doc: dict
    variants: list[str]
    clients: pd.DataFrame
    renamed: dict[str, str] = field(default_factory=dict)  # variant -> "<label>.<variant>"

    @property
    def current(self) -> str | None:
        return current_variant(self.doc, self.variants)

    @property
    def region(self) -> str | None:
        data = self.doc.get("data") if isinstance(self.doc.get("data"), dict) else {}
        region = data.get("region") or _read_json(self.folder / "inputs" / "dataset.json").get("region")
        return str(region) if region else None


@dataclass(frozen=True)
class Comparison:
    out_dir: Path
    variants: list[str]
    baseline: str | None
    files: list[Path]


# ------------------------------------------------------------------------------------------ reading


def _read_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _not_a_run(source: str, folder: Path, why: str) -> CompareError:
    return CompareError(f"{source} {folder} is not a run output folder: {why}. {FIX_RUN}")


def open_run(folder: str | Path, role: str, label: str | None = None) -> Source:
    """Read what the comparison needs of a run folder, or one :class:`CompareError` saying what is missing."""
    folder = Path(os.path.abspath(folder))
    if not folder.is_dir():
        raise _not_a_run(role, folder, "no such folder")
    kpis = folder / "kpis.json"
    if not kpis.is_file():
        raise _not_a_run(role, folder, "it has no kpis.json")
    doc = _read_json(kpis)
    scenarios = doc.get("scenarios")
    if not isinstance(scenarios, dict) or not scenarios:
        raise _not_a_run(role, folder, "its kpis.json is unreadable or lists no variants")
    listed = doc.get("variants") if isinstance(doc.get("variants"), list) else []
    variants = [str(v) for v in listed if str(v) in scenarios]
    variants += [str(v) for v in scenarios if str(v) not in variants]
    for variant in variants:
        if not (folder / variant / ALLOCATION).is_file():
            raise _not_a_run(role, folder, f"{variant}/{ALLOCATION} is missing")
    clients_csv = folder / "inputs" / "clients.csv"
    if not clients_csv.is_file():
        raise _not_a_run(role, folder, "inputs/clients.csv is missing")
    try:
        clients = read_output_csv(clients_csv)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise _not_a_run(role, folder, f"inputs/clients.csv cannot be read ({error})") from None
    if "client_id" not in clients.columns:
        raise _not_a_run(role, folder, "inputs/clients.csv has no client_id column")
    return Source(folder, role, label or folder.name, doc, variants, clients)


# ------------------------------------------------------------------------------------------- checks


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


SEPARATOR = "."  # between a run's label and its variant's name: "last_year.current"


def check_comparable(a: Source, b: Source) -> None:
    """Same clients, same region, no name clash after renaming; else one :class:`CompareError`."""
    ids_a, ids_b = set(a.clients["client_id"]), set(b.clients["client_id"])
    if ids_a != ids_b:
        only_a, only_b = sorted(ids_a - ids_b), sorted(ids_b - ids_a)
        parts = [f"{len(only)} client(s) only in {s.role} ({_ids(only)})" for only, s in
                 ((only_a, a), (only_b, b)) if only]
        raise CompareError(
            f"the two runs do not have the same clients: {'; '.join(parts)}. Fix: compare runs of the same "
            "clients (the same clients.csv client_ids), e.g. this year's data against last year's."
        )
    if a.region != b.region:
        own = "your own region (no embedded region)"
        raise CompareError(
            f"the two runs are of different regions: {a.role} {a.folder} is of {a.region or own}, "
            f"{b.role} {b.folder} of {b.region or own}. Fix: compare runs of one region."
        )
    for source in (a, b):
        _check_label(source)
        # "." not ":": each variant is a folder, and Windows, SharePoint and zip tools refuse ":" in names
        source.renamed = {v: f"{source.label}{SEPARATOR}{v}" for v in source.variants}
    clash = sorted(set(a.renamed.values()) & set(b.renamed.values()))
    if clash:
        raise CompareError(
            f"variant names clash after renaming: {_ids(clash)} is in both runs (labels {a.label!r} and "
            f"{b.label!r}). Fix: give two different labels with --labels A,B."
        )


def _check_label(source: Source) -> None:
    label = source.label
    bad = (not label.strip() or label != label.strip() or label.startswith(".")
           or any(c in label for c in "/\\:") or any(ord(c) < 32 for c in label))
    if bad:
        raise CompareError(
            f"the label {label!r} of {source.role} cannot name a variant folder (empty, starting with '.', "
            "or with '/', '\\', ':' or a control character). Fix: give other labels with --labels A,B."
        )


def check_out_dir(out_dir: Path, a: Source, b: Source) -> None:
    """--out must not be (or lie inside) one of the runs: --force would replace the run being compared."""
    out = Path(os.path.abspath(out_dir))
    for source in (a, b):
        if out == source.folder or source.folder in out.parents:
            raise CompareError(
                f"--out {out} is {source.role} or inside it: writing there would replace the run being "
                "compared. Fix: choose another --out folder."
            )


# -------------------------------------------------------------------------------- the combined folder


def compare_runs(run_a: str | Path, run_b: str | Path, out_dir: str | Path, *,
                 labels: tuple[str, str] | None = None, force: bool = False) -> Comparison:
    """Check the two runs, write the combined folder ``out_dir`` with its maps and report."""
    from commissioning.report.run_maps import write_maps_and_report
    from commissioning.results.folder import check_out_folder, staged_folder

    a = open_run(run_a, "RUN_A", labels[0] if labels else None)
    b = open_run(run_b, "RUN_B", labels[1] if labels else None)
    check_comparable(a, b)
    check_out_dir(Path(out_dir), a, b)
    check_out_folder(out_dir, force=force)
    with staged_folder(Path(out_dir), force=force) as stage:
        doc = write_combined(a, b, stage)
        write_maps_and_report(stage)  # maps: today's allocation (the baseline) against every other variant
    out = Path(os.path.abspath(out_dir))
    files = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    return Comparison(out, list(doc["variants"]), doc.get("current_variant"), files)


def write_combined(a: Source, b: Source, stage: Path) -> dict:
    """Write the combined run folder (everything but maps and report) into ``stage``; return its kpis.json."""
    baseline = a.renamed[a.current] if a.current else None
    doc = combined_kpis(a, b, baseline)
    tables = {name: combined_table(a, b, name) for name in TABLES}
    providers = tables["providers.csv"]
    if providers is not None and baseline is not None and {"provider_id", "care_hours"} <= set(providers):
        tables["providers.csv"] = with_provider_changes(providers, baseline, list(b.renamed.values()))
        put_largest_loss(doc, tables["providers.csv"], baseline, list(b.renamed.values()))
    (stage / "kpis.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_kpi_table(a, b, doc, stage / "kpis.csv")
    for name, frame in tables.items():
        if frame is not None:
            write_csv(frame, stage / name)
    for source in (a, b):
        for variant, renamed in source.renamed.items():
            (stage / renamed).mkdir()
            shutil.copyfile(source.folder / variant / ALLOCATION, stage / renamed / ALLOCATION)
    write_inputs(a, b, stage / "inputs")
    write_people_workbook(stage, doc, tables)
    return doc


def write_people_workbook(stage: Path, doc: dict, tables: dict[str, pd.DataFrame | None]) -> None:
    """workbook.xlsx as a run writes it (:func:`commissioning.results.write.write_workbook`), from the
    combined tables with their numbers as numbers."""
    from commissioning.results.write import write_workbook

    kpi_frame = read_output_csv(stage / "kpis.csv")
    for column in kpi_frame.columns[3:-2]:  # the variants: a number or a text (solver_status) per cell
        kpi_frame[column] = [_value(cell) for cell in kpi_frame[column]]
    sheets = {title: _numbers(tables[name]) for title, name in SHEETS.items() if tables.get(name) is not None}
    allocations = {v: _numbers(read_output_csv(stage / v / ALLOCATION)) for v in doc["variants"]}
    write_workbook(stage / "workbook.xlsx", doc, kpi_frame, sheets, allocations)


def _value(cell: str) -> object:
    number = finite_number(cell) if cell != "" else None
    return number if number is not None else (cell or None)


def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns whose every given cell is a number as numbers (ids and names stay text)."""
    out = frame.copy()
    for column in out.columns:
        if column in TEXT_COLUMNS:
            continue
        given = out[column] != ""
        numbers = pd.to_numeric(out[column].where(given), errors="coerce")
        if given.any() and numbers[given].notna().all():
            out[column] = numbers
    return out


def combined_kpis(a: Source, b: Source, baseline: str | None) -> dict:
    """RUN_A's kpis.json with both runs' variants renamed, B's changes against current recomputed."""
    doc = json.loads(json.dumps(a.doc))  # a deep copy
    doc["scenario_name"] = f"Comparison: {a.label} against {b.label}"
    doc["description"] = (f"Variants of two runs: {a.label} ({_scenario_name(a)}) and {b.label} "
                          f"({_scenario_name(b)}).")
    doc["current_variant"] = baseline
    doc["variants"] = list(a.renamed.values()) + list(b.renamed.values())
    doc["scenarios"], doc["details"] = {}, {}
    variants_assumed = {}
    for source in (a, b):
        for variant, renamed in source.renamed.items():
            doc["scenarios"][renamed] = json.loads(json.dumps(source.doc["scenarios"][variant]))
            details = source.doc.get("details") if isinstance(source.doc.get("details"), dict) else {}
            if variant in details:
                doc["details"][renamed] = details[variant]
            assumed = (source.doc.get("assumptions") or {}).get("variants") or {}
            if isinstance(assumed.get(variant), dict):
                variants_assumed[renamed] = {**assumed[variant], "name": renamed}
    if isinstance(doc.get("assumptions"), dict):
        doc["assumptions"]["variants"] = variants_assumed
        doc["assumptions"]["scenario_name"] = doc["scenario_name"]
    base = doc["scenarios"].get(baseline) if baseline else None
    for renamed in b.renamed.values() if base is not None else ():
        values = doc["scenarios"][renamed]
        for key, change in CHANGE_KPIS:
            if change in values:
                values[change] = _change(values.get(key), base.get(key))
    doc["compared_runs"] = [_run_facts(s) for s in (a, b)]
    doc["run_date"] = " and ".join(f"{f['run_date']} ({f['label']})" for f in doc["compared_runs"])
    doc["warnings"] = comparison_warnings(a, b, baseline) + [
        f"{s.label}: {w}" for s in (a, b) for w in (s.doc.get("warnings") or [])
    ]
    return doc


def _change(value: object, base: object) -> float | None:
    v, b = finite_number(value), finite_number(base)
    return None if v is None or b is None else round(v - b, 6)


def _scenario_name(source: Source) -> str:
    return str(source.doc.get("scenario_name") or "no scenario name")


def _data_source(source: Source) -> str:
    """Where the run's data came from: the scenario file's ``data`` (the run's copy of it), else the
    dataset's generator and seed."""
    try:
        scenario = tomllib.loads((source.folder / "scenario.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        scenario = {}
    if isinstance(scenario.get("data"), str) and scenario["data"].strip():
        return scenario["data"].strip()
    dataset = _read_json(source.folder / "inputs" / "dataset.json")
    if dataset.get("generator"):
        return f"generated by {dataset['generator']} (seed {dataset.get('seed')})"
    return "not stated"


def _run_facts(source: Source) -> dict:
    from commissioning.report.run_maps import run_date

    return {
        "label": source.label,
        "folder": str(source.folder),
        "scenario_name": _scenario_name(source),
        "data": _data_source(source),
        "run_date": run_date(source.folder),
        "variants": dict(source.renamed),
    }


def comparison_warnings(a: Source, b: Source, baseline: str | None) -> list[str]:
    facts = [_run_facts(s) for s in (a, b)]
    runs = " and ".join(
        f"{f['label']} (scenario {f['scenario_name']!r}, data {f['data']}, run on {f['run_date']})"
        for f in facts
    )
    out = [f"These variants come from two runs: {runs}."]
    if baseline:
        out.append(
            f"The baseline is {baseline} (today's allocation in {a.label}): the changes against current of "
            f"{b.label}'s variants are recomputed against it; clients moved count against each run's own "
            "today's providers."
        )
    else:
        out.append(f"{a.label} has no current variant: the changes against current are each run's own.")
    moved = _current_provider_changes(a, b)
    if moved:
        out.append(f"{len(moved)} client(s) have a different current provider in {b.label} than in "
                   f"{a.label} ({_ids(moved)}).")
    zones = [_zone_ids(s) for s in (a, b)]
    if zones[0] != zones[1]:
        differ = sorted(zones[0] ^ zones[1])
        out.append(f"the runs' patches differ ({_ids(differ)}): the maps draw {a.label}'s patches.")
    if a.doc.get("travel_model") != b.doc.get("travel_model"):
        out.append(f"travel models differ: {a.label} {a.doc.get('travel_model')}, "
                   f"{b.label} {b.doc.get('travel_model')}.")
    differ = _differing_assumptions(a, b)
    if differ:
        out.append(f"assumptions differ between the runs ({', '.join(differ)}); the parameters shown are "
                   f"{a.label}'s.")
    return out


def _current_provider_changes(a: Source, b: Source) -> list[str]:
    if "current_provider" not in a.clients.columns or "current_provider" not in b.clients.columns:
        return []
    before = dict(zip(a.clients["client_id"], a.clients["current_provider"], strict=True))
    return sorted(c for c, p in zip(b.clients["client_id"], b.clients["current_provider"], strict=True)
                  if before.get(c) != p)


def _zone_ids(source: Source) -> set[str]:
    """The patches of a run's zones.csv (every variant lists every patch)."""
    path = source.folder / "zones.csv"
    if not path.is_file():
        return set()
    frame = read_output_csv(path)
    return set(frame["zone_id"]) if "zone_id" in frame.columns else set()


def _differing_assumptions(a: Source, b: Source) -> list[str]:
    left = a.doc.get("assumptions") if isinstance(a.doc.get("assumptions"), dict) else {}
    right = b.doc.get("assumptions") if isinstance(b.doc.get("assumptions"), dict) else {}
    skip = {"variants", "scenario_name"}
    return sorted(k for k in set(left) | set(right) if k not in skip and left.get(k) != right.get(k))


# ------------------------------------------------------------------------------------------- tables


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]] | None:
    if not path.is_file():
        return None
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
    rows = [{original_text(k): original_text(v or "") for k, v in row.items()} for row in reader]
    return [original_text(c) for c in reader.fieldnames or []], rows


def write_kpi_table(a: Source, b: Source, doc: dict, path: Path) -> None:
    """kpis.csv: one row per KPI, the variants of A then of B; every cell as the run wrote it, except the
    recomputed changes against current of B's variants (from ``doc``)."""
    tables = [_read_rows(s.folder / "kpis.csv") for s in (a, b)]
    if tables[0] is None or tables[1] is None:
        return
    head = ["kpi", "unit", "family"]
    tail = ["level", "description"]
    order: list[str] = []
    merged: dict[str, dict[str, str]] = {}
    for source, (_, rows) in zip((a, b), tables, strict=True):
        for row in rows:
            name = row.get("kpi", "")
            if name not in merged:
                order.append(name)
                merged[name] = {k: row.get(k, "") for k in head + tail}
            for variant, renamed in source.renamed.items():
                merged[name][renamed] = row.get(variant, "")
    recomputed = [c for _, c in CHANGE_KPIS] + [LOSS_KPI]
    for renamed in b.renamed.values() if doc.get("current_variant") else ():
        for name in recomputed:
            if name in merged and name in doc["scenarios"][renamed]:
                merged[name][renamed] = _cell(doc["scenarios"][renamed][name])
    columns = head + list(doc["variants"]) + tail
    frame = pd.DataFrame([[merged[n].get(c, "") for c in columns] for n in order], columns=columns)
    write_csv(frame, path)


def _cell(value: object) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def combined_table(a: Source, b: Source, name: str) -> pd.DataFrame | None:
    """A table of both runs with the variants renamed (A's columns first); None if neither run has it."""
    frames = []
    for source in (a, b):
        path = source.folder / name
        if not path.is_file():
            continue
        frame = read_output_csv(path)
        if "variant" in frame.columns:
            frame = frame[frame["variant"].isin(list(source.renamed))].copy()
            frame["variant"] = frame["variant"].map(source.renamed)
        frames.append(frame)
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True).fillna("")


def with_provider_changes(frame: pd.DataFrame, baseline: str, variants: list[str]) -> pd.DataFrame:
    """providers.csv with the changes against current of ``variants`` recomputed against ``baseline``'s rows
    (a provider with no row in the baseline had nothing)."""
    frame = frame.copy()
    base = frame[frame["variant"] == baseline].set_index("provider_id")
    mine = frame["variant"].isin(variants)
    for column, figure in PROVIDER_CHANGES:
        if column not in frame.columns or figure not in frame.columns:
            continue
        before = frame.loc[mine, "provider_id"].map(pd.to_numeric(base[figure], errors="coerce")).fillna(0.0)
        after = pd.to_numeric(frame.loc[mine, figure], errors="coerce")
        change = (after - before).round(4)
        if column == "clients_change_vs_current":
            change = change.astype("Int64")
        frame.loc[mine, column] = change.astype(str).replace({"<NA>": "", "nan": ""})
        if column == "change_hours_vs_current" and "change_pct_vs_current" in frame.columns:
            pct = (after - before) / before.where(before > 1e-9) * 100.0
            frame.loc[mine, "change_pct_vs_current"] = pct.round(4).astype(str).replace({"nan": ""})
    return frame


def put_largest_loss(doc: dict, frame: pd.DataFrame, baseline: str, variants: list[str]) -> None:
    """``largest_provider_loss_percent`` of ``variants`` against ``baseline`` (as the run computes it)."""
    base = frame[frame["variant"] == baseline].set_index("provider_id")
    base_hours = pd.to_numeric(base["care_hours"], errors="coerce").fillna(0.0)
    base_hours = base_hours[base_hours > 1e-9]
    for variant in variants:
        values = doc["scenarios"][variant]
        if LOSS_KPI not in values:
            continue
        rows = frame[frame["variant"] == variant].set_index("provider_id")
        hours = pd.to_numeric(rows["care_hours"], errors="coerce").reindex(base_hours.index).fillna(0.0)
        loss = (base_hours - hours) / base_hours * 100.0
        values[LOSS_KPI] = round(max(0.0, float(loss.max())) if len(loss) else 0.0, 4)


def write_inputs(a: Source, b: Source, inputs: Path) -> None:
    """RUN_A's inputs/, with RUN_B's providers and hubs that A does not have added (for the maps)."""
    shutil.copytree(a.folder / "inputs", inputs)
    for name, key in (("providers.csv", "provider_id"), ("hubs.csv", "hub_id")):
        mine, theirs = inputs / name, b.folder / "inputs" / name
        if not mine.is_file() or not theirs.is_file():
            continue
        left, right = read_output_csv(mine), read_output_csv(theirs)
        if key not in left.columns or key not in right.columns:
            continue
        extra = right[~right[key].isin(set(left[key]))]
        if len(extra):
            write_csv(pd.concat([left, extra], ignore_index=True).fillna(""), mine)

