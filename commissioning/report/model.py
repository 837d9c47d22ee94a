"""The report's reading of a run's output folder (``kpis.json``, ``kpis.csv``, the tables) and the number
formats a board reads (thousands separators, £, %). See :mod:`commissioning.report.page`."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from commissioning.errors import CareCommissioningError
from commissioning.results.ranks import shares_words
from commissioning.results.read import current_variant, recorded_run_date, written_day
from commissioning.results.schema import GROUPS, KPI_BY_NAME
from commissioning.results.spreadsheet import original_text

LOSS_FLAG_PCT = 20.0
"""A provider losing more than this share of its current hours is flagged in the winners-and-losers table."""

MISSING = "—"

# The KPIs' groups as the schema declares them, then the solver's figures.
FAMILIES: list[tuple[str, str, str]] = [(g.key, g.title, g.blurb) for g in GROUPS] + [
    ("other", "Solver", "how each variant's answer was found (kpis.csv's solver rows)"),
]
FAMILY_KEYS = [f[0] for f in FAMILIES]


# Colours for variants in charts (colour-blind-safe palette, Okabe–Ito order).
PALETTE = ["#7f7f7f", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"]


class ReportError(CareCommissioningError):
    """The output folder cannot be reported on (e.g. ``kpis.json`` missing or unreadable)."""


# --------------------------------------------------------------------------------------------- reading


@dataclass
class Kpi:
    name: str
    unit: str
    family: str
    values: dict[str, object] = field(default_factory=dict)  # variant -> number | str | None
    raw: dict[str, str] = field(default_factory=dict)  # variant -> data-value text


@dataclass
class Run:
    out_dir: Path
    variants: list[str]
    scenarios: dict[str, dict]
    assumptions: dict
    travel_model: str | None
    kpis: dict[str, Kpi]
    providers: list[dict[str, str]]
    zones: list[dict[str, str]]
    allocations: dict[str, list[dict[str, str]]]
    maps: list[str]
    viability: dict[str, float]
    missing_files: list[str]
    doc: dict = field(default_factory=dict)  # the whole kpis.json
    broken_rules: list[dict[str, str]] = field(default_factory=list)  # broken_rules.csv
    dataset: dict = field(default_factory=dict)  # inputs/dataset.json, else kpis.json's data.dataset
    run_date: str | None = None  # kpis.json's run date, else the day kpis.json was written (UTC)

    @property
    def current(self) -> str | None:
        """Today's allocation's variant: kpis.json's ``current_variant``, else one named ``current``."""
        return current_variant(self.doc, self.variants)

    @property
    def baseline(self) -> str:
        return self.current or self.variants[0]

    @property
    def warnings(self) -> list[str]:
        w = self.doc.get("warnings")
        return [str(x) for x in w] if isinstance(w, list) else []

    @property
    def scenario_name(self) -> str | None:
        name = self.doc.get("scenario_name") or self.assumptions.get("scenario_name")
        return str(name) if name else None

    @property
    def region(self) -> str | None:
        data = self.doc.get("data") if isinstance(self.doc.get("data"), dict) else {}
        region = data.get("region") or self.dataset.get("region") or self.assumptions.get("region")
        return str(region) if region else None

    def kpis_of(self, variant: str) -> dict[str, object]:
        """A variant's KPI values by name, with ``solver_status`` (what :func:`recommend` reads)."""
        out: dict[str, object] = {name: k.values.get(variant) for name, k in self.kpis.items()}
        solver = (self.scenarios.get(variant) or {}).get("solver")
        if isinstance(solver, dict) and solver.get("status") is not None:
            out["solver_status"] = solver["status"]
        return out

    def value(self, kpi: str, variant: str) -> float | None:
        k = self.kpis.get(kpi)
        v = None if k is None else k.values.get(variant)
        return v if is_num(v) else None


def is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def to_float(text: object) -> float | None:
    if text is None:
        return None
    try:
        v = float(str(text).strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_csv(path: Path) -> list[dict[str, str]] | None:
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    # Spreadsheet-safe text back to the run's values.
    return [{original_text((k or "").strip()): original_text((v or "").strip()) for k, v in row.items()}
            for row in reader]


def flatten(d: dict, prefix: str = "") -> Iterable[tuple[str, object]]:
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, name + ".")
        else:
            yield name, value


def _declared(name: str) -> tuple[str, str]:
    """``(unit, group)`` of a KPI as the schema declares it; anything else is shown under "other"."""
    k = KPI_BY_NAME.get(name)
    return (k.unit, k.group) if k else ("", "other")


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _put(k: Kpi, variant: str, value: object) -> None:
    """One value from kpis.json: a number (with its exact text), text, or nothing (shown as a dash)."""
    if is_num(value):
        k.values[variant] = value
        k.raw[variant] = repr(value)
    elif value is None or (isinstance(value, float) and not math.isfinite(value)) or value == "":
        k.values.pop(variant, None)
        k.raw.pop(variant, None)
    else:
        k.values[variant] = (
            ("yes" if value else "no")
            if isinstance(value, bool)
            else ("; ".join(map(str, value)) if isinstance(value, list) else str(value))
        )
        k.raw.pop(variant, None)


def load_run(out_dir: Path, maps: list[str] | None = None) -> Run:
    """The run's output folder as the report reads it; ``maps``: the names of the map files the page links
    (default: those in ``OUT/maps``; a run passes the names of the maps it is drawing beside the report)."""
    kpis_path = out_dir / "kpis.json"
    if not kpis_path.is_file():
        raise ReportError(
            f"{kpis_path} not found: the report is built from a run's output folder. "
            "Run 'commissioning run SCENARIO.toml --out DIR' (or 'commissioning demo --out DIR') first."
        )
    try:
        data = json.loads(kpis_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{kpis_path} is not valid JSON ({exc}); run the scenario again.") from exc
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, dict) or not scenarios:
        raise ReportError(f"{kpis_path} has no 'scenarios' object; run the scenario again.")
    variants = [str(v) for v in data.get("variants") or [] if str(v) in scenarios]
    variants += [v for v in scenarios if v not in variants]
    missing: list[str] = []

    kpis: dict[str, Kpi] = {}
    csv_rows = read_csv(out_dir / "kpis.csv")
    if csv_rows is None:
        missing.append("kpis.csv")
    for row in csv_rows or []:
        name = row.get("kpi", "")
        if not name:
            continue
        family = row.get("family", "").lower() or _declared(name)[1]
        unit = row.get("unit", "") or _declared(name)[0]
        k = kpis.setdefault(name, Kpi(name, unit, family if family in FAMILY_KEYS else "other"))
        for v in variants:  # kpis.json wins; the CSV fills gaps
            cell = row.get(v) or ""
            f = to_float(cell)
            if f is not None:
                k.values[v] = f
                k.raw[v] = row[v]
            elif cell and not _is_number_text(cell):  # text (e.g. solver_status = FEASIBLE), not nan/inf
                k.values[v] = cell
    for v in variants:
        block = scenarios.get(v) or {}
        for name, value in flatten({k: x for k, x in block.items() if k != "solver"}):
            _put(kpis.setdefault(name, Kpi(name, *_declared(name))), v, value)
        solver = block.get("solver")
        for key, value in solver.items() if isinstance(solver, dict) else ():
            if f"solver_{key}" in kpis:  # the CSV's solver rows, with kpis.json's values
                _put(kpis[f"solver_{key}"], v, value)

    def table(name: str) -> list[dict[str, str]]:
        rows = read_csv(out_dir / name)
        if rows is None:
            missing.append(name)
        return rows or []

    providers = table("providers.csv")
    zones = table("zones.csv")
    allocations = {}
    for v in variants:
        rows = read_csv(out_dir / v / "allocation.csv")
        if rows is None:
            missing.append(f"{v}/allocation.csv")
        else:
            allocations[v] = rows
    maps_dir = out_dir / "maps"
    if maps is None:
        maps = [p.name for p in maps_dir.glob("*.html")] if maps_dir.is_dir() else []
    maps = sorted(maps)
    viability: dict[str, float] = {}
    for row in read_csv(out_dir / "inputs" / "providers.csv") or []:
        f = to_float(row.get("min_viable_hours"))
        if row.get("provider_id") and f is not None and f > 0:
            viability[row["provider_id"]] = f
    assumptions = data.get("assumptions") if isinstance(data.get("assumptions"), dict) else {}
    travel_model = data.get("travel_model") or assumptions.get("travel_model")
    return Run(
        out_dir,
        variants,
        scenarios,
        assumptions,
        None if travel_model is None else str(travel_model),
        kpis,
        providers,
        zones,
        allocations,
        maps,
        viability,
        missing,
        data,
        read_csv(out_dir / "broken_rules.csv") or [],
        _dataset(out_dir, data),
        _run_date(kpis_path, data),
    )


def _dataset(out_dir: Path, doc: dict) -> dict:
    path = out_dir / "inputs" / "dataset.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        found = None
    if isinstance(found, dict):
        return found
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    return data.get("dataset") if isinstance(data.get("dataset"), dict) else {}


def _run_date(kpis_path: Path, doc: dict) -> str | None:
    return recorded_run_date(doc) or written_day(kpis_path) + " (the day kpis.json was written)"


# ------------------------------------------------------------------------------------------ formatting


def is_money(unit: str) -> bool:
    u = unit.strip().lower()
    return u.startswith("gbp") or u.startswith("£")


def _is_pct(unit: str) -> bool:
    u = unit.strip().lower()
    return u.startswith("%") or u in ("percent", "pct")


def is_share(unit: str) -> bool:
    return unit.strip().lower() in ("share", "fraction", "share 0-1")


def _scaled(v: float, unit: str) -> float:
    """Shares (0–1) are shown as percentages."""
    return v * 100 if is_share(unit) and abs(v) <= 1.5 else v


def digits_for(values: Iterable[object], unit: str = "") -> int:
    """Decimal places that suit every value of a row, so a row reads consistently (31.2 / 26.0 / 24.1)."""
    nums = [_scaled(float(v), unit) for v in values if is_num(v)]
    if not nums:
        return 0
    top = max(abs(x) for x in nums)
    if all(x.is_integer() for x in nums):
        return 0
    if is_money(unit):
        return 0 if top >= 100 else 2
    return 0 if top >= 100 else 1 if top >= 1 else 2


def _half_up(v: float, digits: int) -> Decimal:
    """``v`` rounded as people and spreadsheets round (6.25 → 6.3; Python's format gives 6.2, half to even,
    beside the workbook's 6.25), from its shortest decimal form."""
    return Decimal(repr(v)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def distinct_hours(*values: float) -> list[str]:
    """Hours to one decimal, or two when one decimal would show a breach as equal figures (312.05 needed
    against 312.00 available read "312.0" and "312.0") or a shortfall as none."""
    tenths = [_half_up(v, 1) for v in values]  # as printed (round() halves to even: 312.26 vs 312.25)
    hidden = len(set(tenths)) < len(values) if len(values) > 1 else abs(values[0]) > 0 and tenths[0] == 0
    digits = 2 if hidden else 1
    return [fmt(v, digits=digits) for v in values]


def change(difference: float, unit: str, digits: int) -> str:
    """A change against the baseline: percentages and shares change by percentage points ("−2.1 pp"; "−2.1%"
    beside 32.8% → 30.7% read as a relative change)."""
    text = fmt(difference, unit, True, digits)
    return text[:-1] + " pp" if text.endswith("%") else text


def fmt(value: object, unit: str = "", signed: bool = False, digits: int | None = None) -> str:
    """A number as a board member reads it: thousands separators, £ for money, % for percentages, shares."""
    if isinstance(value, str):
        return value
    if not is_num(value):
        return MISSING
    v = _scaled(float(value), unit)
    if digits is None:
        digits = digits_for([value], unit)
    body = f"{_half_up(abs(v), digits):,.{digits}f}"
    sign = "−" if v < 0 else ("+" if signed and v > 0 else "")
    if body.strip("0.,") == "":  # rounds to zero: no sign
        sign = ""
    if is_money(unit):
        body = "£" + body
    if _is_pct(unit) or (is_share(unit) and abs(float(value)) <= 1.5):
        body += "%"
    return sign + body


def with_unit(value: object, unit: str, digits: int | None = None) -> str:
    text = fmt(value, unit, digits=digits)
    if text == MISSING or is_money(unit) or _is_pct(unit) or is_share(unit) or not unit:
        return text
    return f"{text} {unit}"


def label(name: str) -> str:
    """A KPI's label as the schema declares it; a parameter's key, read aloud."""
    if name in KPI_BY_NAME:
        return KPI_BY_NAME[name].label
    words = {"gbp": "(£)", "pct": "(%)", "nhs": "NHS", "km": "km", "hhi": "(HHI)"}
    text = " ".join(words.get(w, w) for w in name.replace(".", " · ").replace("_", " ").split())
    return text[:1].upper() + text[1:]


def param(name: str, value: object) -> str:
    """An assumption's value for display: money names (``..._gbp...``) in pounds."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and name.rsplit(".", 1)[-1] == "ranked_shares" and value:
        return shares_words(value) if all(is_num(x) for x in value) else "; ".join(map(str, value))
    if isinstance(value, list):
        return "; ".join(map(str, value)) or "none"
    if not is_num(value):
        return MISSING if value is None else str(value)
    return fmt(value, "GBP" if "gbp" in name.lower() else "")
