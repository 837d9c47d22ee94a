"""The board report: one self-contained HTML page built from a run's output folder.

:func:`write_report` reads the files the runner writes (see the README's *Output folder*):

* ``kpis.json`` (required): ``{"scenarios": {variant: {kpi: value, ..., "solver": {...}}}, "variants": [...],
  "assumptions": {...}, "travel_model": "network" | "approximate"}``;
* ``kpis.csv``: units and families (economy, efficiency, effectiveness, equity, downstream, funding);
* ``providers.csv`` (winners and losers), ``zones.csv``, ``<variant>/allocation.csv`` (why need is unmet);
* ``maps/*.html`` (linked, relatively), ``inputs/providers.csv`` (viability thresholds, if present);

and writes ``report.html`` atomically. The page loads nothing from anywhere: CSS is inline and the charts
are inline SVG drawn here. Every string that comes from data goes through :func:`html.escape`. Every number
shown for a KPI, a provider or a zone carries machine-readable attributes (``data-kpi``/``data-provider``/
``data-zone``, ``data-variant``, ``data-field``, ``data-value`` = the value exactly as in the source file), so
a test can parse the page back and check it agrees with the tables.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote

from commissioning.errors import CareCommissioningError
from commissioning.report.workforce import workforce_section
from commissioning.results.schema import GROUPS, KPI_BY_NAME
from commissioning.results.spreadsheet import original_text

__all__ = ["ReportError", "write_report", "render_report", "LOSS_FLAG_PCT"]

LOSS_FLAG_PCT = 20.0
"""A provider losing more than this share of its current hours is flagged in the winners-and-losers table."""

MISSING = "—"

# The KPIs' groups as the schema declares them, then the solver's figures.
FAMILIES: list[tuple[str, str, str]] = [(g.key, g.title, g.blurb) for g in GROUPS] + [
    ("other", "Solver", "how each variant's answer was found (kpis.csv's solver rows)"),
]
_FAMILY_KEYS = [f[0] for f in FAMILIES]


# Colours for variants in charts (colour-blind-safe palette, Okabe–Ito order).
_PALETTE = ["#7f7f7f", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"]


class ReportError(CareCommissioningError):
    """The output folder cannot be reported on (e.g. ``kpis.json`` missing or unreadable)."""


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Kpi:
    name: str
    unit: str
    family: str
    values: dict[str, object] = field(default_factory=dict)  # variant -> number | str | None
    raw: dict[str, str] = field(default_factory=dict)  # variant -> data-value text


@dataclass
class _Run:
    out_dir: Path
    variants: list[str]
    scenarios: dict[str, dict]
    assumptions: dict
    travel_model: str | None
    kpis: dict[str, _Kpi]
    providers: list[dict[str, str]]
    zones: list[dict[str, str]]
    allocations: dict[str, list[dict[str, str]]]
    maps: list[str]
    viability: dict[str, float]
    missing_files: list[str]

    @property
    def baseline(self) -> str:
        return "current" if "current" in self.variants else self.variants[0]

    def value(self, kpi: str, variant: str) -> float | None:
        k = self.kpis.get(kpi)
        v = None if k is None else k.values.get(variant)
        return v if _is_num(v) else None


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _to_float(text: object) -> float | None:
    if text is None:
        return None
    try:
        v = float(str(text).strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _read_csv(path: Path) -> list[dict[str, str]] | None:
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    # Spreadsheet-safe text back to the run's values.
    return [{original_text((k or "").strip()): original_text((v or "").strip()) for k, v in row.items()}
            for row in reader]


def _flatten(d: dict, prefix: str = "") -> Iterable[tuple[str, object]]:
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
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


def _put(k: _Kpi, variant: str, value: object) -> None:
    """One value from kpis.json: a number (with its exact text), text, or nothing (shown as a dash)."""
    if _is_num(value):
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


def _load(out_dir: Path) -> _Run:
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

    kpis: dict[str, _Kpi] = {}
    csv_rows = _read_csv(out_dir / "kpis.csv")
    if csv_rows is None:
        missing.append("kpis.csv")
    for row in csv_rows or []:
        name = row.get("kpi", "")
        if not name:
            continue
        family = row.get("family", "").lower() or _declared(name)[1]
        unit = row.get("unit", "") or _declared(name)[0]
        k = kpis.setdefault(name, _Kpi(name, unit, family if family in _FAMILY_KEYS else "other"))
        for v in variants:  # kpis.json wins; the CSV fills gaps
            cell = row.get(v) or ""
            f = _to_float(cell)
            if f is not None:
                k.values[v] = f
                k.raw[v] = row[v]
            elif cell and not _is_number_text(cell):  # text (e.g. solver_status = FEASIBLE), not nan/inf
                k.values[v] = cell
    for v in variants:
        block = scenarios.get(v) or {}
        for name, value in _flatten({k: x for k, x in block.items() if k != "solver"}):
            _put(kpis.setdefault(name, _Kpi(name, *_declared(name))), v, value)
        solver = block.get("solver")
        for key, value in solver.items() if isinstance(solver, dict) else ():
            if f"solver_{key}" in kpis:  # the CSV's solver rows, with kpis.json's values
                _put(kpis[f"solver_{key}"], v, value)

    def table(name: str) -> list[dict[str, str]]:
        rows = _read_csv(out_dir / name)
        if rows is None:
            missing.append(name)
        return rows or []

    providers = table("providers.csv")
    zones = table("zones.csv")
    allocations = {}
    for v in variants:
        rows = _read_csv(out_dir / v / "allocation.csv")
        if rows is None:
            missing.append(f"{v}/allocation.csv")
        else:
            allocations[v] = rows
    maps_dir = out_dir / "maps"
    maps = sorted(p.name for p in maps_dir.glob("*.html")) if maps_dir.is_dir() else []
    viability: dict[str, float] = {}
    for row in _read_csv(out_dir / "inputs" / "providers.csv") or []:
        f = _to_float(row.get("min_viable_hours"))
        if row.get("provider_id") and f is not None and f > 0:
            viability[row["provider_id"]] = f
    assumptions = data.get("assumptions") if isinstance(data.get("assumptions"), dict) else {}
    travel_model = data.get("travel_model") or assumptions.get("travel_model")
    return _Run(
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
    )


# ------------------------------------------------------------------------------------------ formatting


def _is_money(unit: str) -> bool:
    u = unit.strip().lower()
    return u.startswith("gbp") or u.startswith("£")


def _is_pct(unit: str) -> bool:
    u = unit.strip().lower()
    return u.startswith("%") or u in ("percent", "pct")


def _is_share(unit: str) -> bool:
    return unit.strip().lower() in ("share", "fraction")


def _scaled(v: float, unit: str) -> float:
    """Shares (0–1) are shown as percentages."""
    return v * 100 if _is_share(unit) and abs(v) <= 1.5 else v


def digits_for(values: Iterable[object], unit: str = "") -> int:
    """Decimal places that suit every value of a row, so a row reads consistently (31.2 / 26.0 / 24.1)."""
    nums = [_scaled(float(v), unit) for v in values if _is_num(v)]
    if not nums:
        return 0
    top = max(abs(x) for x in nums)
    if all(x.is_integer() for x in nums):
        return 0
    if _is_money(unit):
        return 0 if top >= 100 else 2
    return 0 if top >= 100 else 1 if top >= 1 else 2


def fmt(value: object, unit: str = "", signed: bool = False, digits: int | None = None) -> str:
    """A number as a board member reads it: thousands separators, £ for money, % for percentages, shares."""
    if isinstance(value, str):
        return value
    if not _is_num(value):
        return MISSING
    v = _scaled(float(value), unit)
    if digits is None:
        digits = digits_for([value], unit)
    body = f"{abs(v):,.{digits}f}"
    sign = "−" if v < 0 else ("+" if signed and v > 0 else "")
    if body.strip("0.,") == "":  # rounds to zero: no sign
        sign = ""
    if _is_money(unit):
        body = "£" + body
    if _is_pct(unit) or (_is_share(unit) and abs(float(value)) <= 1.5):
        body += "%"
    return sign + body


def _with_unit(value: object, unit: str, digits: int | None = None) -> str:
    text = fmt(value, unit, digits=digits)
    if text == MISSING or _is_money(unit) or _is_pct(unit) or _is_share(unit) or not unit:
        return text
    return f"{text} {unit}"


def _label(name: str) -> str:
    """A KPI's label as the schema declares it; a parameter's key, read aloud."""
    if name in KPI_BY_NAME:
        return KPI_BY_NAME[name].label
    words = {"gbp": "(£)", "pct": "(%)", "nhs": "NHS", "km": "km", "hhi": "(HHI)"}
    text = " ".join(words.get(w, w) for w in name.replace(".", " · ").replace("_", " ").split())
    return text[:1].upper() + text[1:]


def _param(name: str, value: object) -> str:
    """An assumption's value for display: money names (``..._gbp...``) in pounds."""
    if not _is_num(value):
        return (
            MISSING
            if value is None
            else "; ".join(map(str, value))
            if isinstance(value, list)
            else str(value)
        )
    return fmt(value, "GBP" if "gbp" in name.lower() else "")


def _attrs(**kw: object) -> str:
    return "".join(f' data-{k.replace("_", "-")}="{escape(str(v))}"' for k, v in kw.items() if v is not None)


# ---------------------------------------------------------------------------------------------- charts


def _svg_text(x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}>{escape(text)}</text>'


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "",
    colours: Sequence[str] | None = None,
) -> str:
    """Horizontal bar chart as inline SVG: one group per category, one bar per series (values >= 0)."""
    colours = list(colours or _PALETTE[1:])
    label_w, bar_w, value_w, bar_h, gap = 120, 260, 90, 16, 10
    n = max(1, len(series))
    legend_h = 18 if len(series) > 1 else 0
    height = 28 + legend_h + len(categories) * (n * bar_h + gap) + 4
    width = label_w + bar_w + value_w
    vals = [v for _, vs in series for v in vs if _is_num(v)]
    top = max([abs(float(v)) for v in vals] + [0.0]) or 1.0
    digits = digits_for(vals, unit)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        _svg_text(0, 16, title, cls="ct"),
    ]
    if legend_h:
        x = label_w
        for i, (name, _) in enumerate(series):
            parts.append(f'<rect x="{x}" y="24" width="10" height="10" fill="{colours[i % len(colours)]}"/>')
            parts.append(_svg_text(x + 14, 33, name, cls="lg"))
            x += 18 + 7 * len(name)
    y = 28 + legend_h
    for ci, cat in enumerate(categories):
        parts.append(_svg_text(label_w - 6, y + n * bar_h / 2 + 4, cat, anchor="end"))
        for si, (_, vs) in enumerate(series):
            v = vs[ci] if ci < len(vs) else None
            by = y + si * bar_h
            if _is_num(v):
                w = max(0.0, float(v)) / top * bar_w
                parts.append(
                    f'<rect x="{label_w}" y="{by + 1}" width="{w:.1f}" height="{bar_h - 2}" '
                    f'fill="{colours[si % len(colours)]}"/>'
                )
                parts.append(
                    _svg_text(label_w + w + 4, by + bar_h - 4, fmt(v, unit, digits=digits), cls="vl")
                )
            else:
                parts.append(_svg_text(label_w + 4, by + bar_h - 4, "no figure", cls="vl"))
        y += n * bar_h + gap
    parts.append(
        f'<line x1="{label_w}" y1="{28 + legend_h - 2}" x2="{label_w}" y2="{y - gap + 2}" class="ax"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def diverging_chart(
    title: str,
    rows: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "hours/week",
    colours: Sequence[str] | None = None,
) -> str:
    """Diverging horizontal bars around zero: gains to the right, losses to the left."""
    colours = list(colours or _PALETTE[1:])
    label_w, half, value_w, bar_h, gap = 190, 190, 70, 12, 6
    n = max(1, len(series))
    legend_h = 18 if len(series) > 1 else 0
    width = label_w + 2 * half + value_w
    height = 44 + legend_h + len(rows) * (n * bar_h + gap)
    vals = [abs(float(v)) for _, vs in series for v in vs if _is_num(v)]
    top = max(vals + [0.0]) or 1.0
    digits = digits_for(vals, unit)
    zero = label_w + half
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        _svg_text(0, 16, title, cls="ct"),
        _svg_text(zero - 6, 34 + legend_h, "◀ loses hours", anchor="end", cls="lg"),
        _svg_text(zero + 6, 34 + legend_h, "gains hours ▶", cls="lg"),
    ]
    if legend_h:
        x = label_w
        for i, (name, _) in enumerate(series):
            parts.append(f'<rect x="{x}" y="22" width="10" height="10" fill="{colours[i % len(colours)]}"/>')
            parts.append(_svg_text(x + 14, 31, name, cls="lg"))
            x += 18 + 7 * len(name)
    y = 42 + legend_h
    y0 = y
    for ri, name in enumerate(rows):
        short = name if len(name) <= 30 else name[:29] + "…"
        parts.append(_svg_text(label_w - 6, y + n * bar_h / 2 + 4, short, anchor="end"))
        for si, (_, vs) in enumerate(series):
            v = vs[ri] if ri < len(vs) else None
            by = y + si * bar_h
            if not _is_num(v):
                continue
            w = abs(float(v)) / top * (half - 44)  # room for the value label
            x = zero - w if v < 0 else zero
            parts.append(
                f'<rect x="{x:.1f}" y="{by + 1}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{colours[si % len(colours)]}"/>'
            )
            tx, anchor = (x - 3, "end") if v < 0 else (zero + w + 3, "start")
            parts.append(
                _svg_text(tx, by + bar_h - 2, fmt(v, signed=True, digits=digits), anchor=anchor, cls="vl")
            )
        y += n * bar_h + gap
    parts.append(f'<line x1="{zero}" y1="{y0 - 4}" x2="{zero}" y2="{y}" class="ax"/>')
    parts.append("</svg>")
    return "".join(parts)


# -------------------------------------------------------------------------------------------- sections


def _best_variant(run: _Run) -> tuple[str | None, str]:
    """The variant the headline talks about, and the rule used to pick it."""
    base = run.baseline
    others = [v for v in run.variants if v != base]
    if not others:
        return None, ""
    base_unmet = run.value("unmet_hours_per_week", base)

    def cost(v: str) -> float:
        c = run.value("cost_per_week_gbp", v)
        return math.inf if c is None else c

    keep = [
        v
        for v in others
        if base_unmet is None
        or (
            run.value("unmet_hours_per_week", v) is not None
            and run.value("unmet_hours_per_week", v) <= base_unmet + 1e-9
        )
    ]
    if keep:
        best = min(keep, key=lambda v: (cost(v), others.index(v)))
        return (
            best,
            "the variant with the lowest weekly cost among those that leave no more care unmet than " + base,
        )
    best = min(others, key=lambda v: (run.value("unmet_hours_per_week", v) or math.inf, cost(v)))
    return best, "no variant keeps unmet need at today's level; the one with the least unmet need"


def _change_phrase(run: _Run, kpi: str, base: str, best: str, less: str, more: str, unit: str) -> str | None:
    a, b = run.value(kpi, base), run.value(kpi, best)
    if a is None or b is None:
        return None
    d = b - a
    n = digits_for([a, b], unit)
    pct = f" ({fmt(d / a * 100, '%', signed=True, digits=1)})" if a else ""
    if abs(d) < 1e-9:
        return f"no change ({_with_unit(a, unit, n)})"
    word = less if d < 0 else more
    return (
        f"{fmt(abs(d), unit, digits=n)}{'' if _is_money(unit) else ' ' + unit.split('/')[0]} {word}{pct}: "
        f"{_with_unit(a, unit, n)} → {_with_unit(b, unit, n)}"
    )


def _headline(run: _Run) -> str:
    base = run.baseline
    best, rule = _best_variant(run)
    if best is None:
        v = base
        items = [
            f"{_label(k)}: <strong>{escape(_with_unit(run.value(k, v), KPI_BY_NAME[k].unit))}</strong>"
            for k in ("cost_per_week_gbp", "travel_hours_per_week", "unmet_hours_per_week", "clients_moved")
            if run.value(k, v) is not None
        ]
        body = "".join(f"<li>{i}</li>" for i in items)
        return (
            f"<p>Only one variant was run (<strong>{escape(v)}</strong>); there is nothing to compare "
            f"it with.</p><ul>{body}</ul>"
        )
    items: list[str] = []
    p = _change_phrase(run, "cost_per_week_gbp", base, best, "a week less", "a week more", "GBP/week")
    if p:
        items.append(f"<strong>Cost</strong>: {escape(p)}.")
    p = _change_phrase(
        run, "travel_hours_per_week", base, best, "a week less travel", "a week more travel", "hours/week"
    )
    if p:
        items.append(f"<strong>Carers' travel</strong>: {escape(p)}.")
    p = _change_phrase(
        run, "travel_hours_per_week_routed", base, best, "a week less", "a week more", "hours/week"
    )
    if p:
        items.append(f"<strong>Travel on chained runs</strong> (carers' real routes): {escape(p)}.")
    p = _change_phrase(
        run, "unmet_hours_per_week", base, best, "a week fewer unmet", "a week more unmet", "hours/week"
    )
    if p:
        cu = [run.value("clients_unmet", v) for v in (base, best)]
        extra = f" Clients waiting: {fmt(cu[0])} → {fmt(cu[1])}." if None not in cu else ""
        items.append(f"<strong>Unmet need</strong>: {escape(p)}.{escape(extra)}")
    moved, total = run.value("clients_moved", best), run.value("clients_total", best)
    if moved is not None:
        of = f" of {fmt(total)}" if total else ""
        share = f" ({fmt(moved / total * 100, '%')})" if total else ""
        items.append(
            f"<strong>Continuity</strong>: {escape(fmt(moved))}{escape(of)} clients would change "
            f"provider{escape(share)}."
        )
    for k in run.kpis.values():
        if (
            k.family == "downstream"
            and run.value(k.name, base) is not None
            and run.value(k.name, best) is not None
        ):
            a, b = run.value(k.name, base), run.value(k.name, best)
            items.append(
                f"<strong>{escape(_label(k.name))}</strong> (estimate): "
                f"{escape(_with_unit(a, k.unit, digits_for([a, b], k.unit)))} → "
                f"{escape(_with_unit(b, k.unit, digits_for([a, b], k.unit)))}."
            )
    losers = _losers(run, best)
    if losers:
        worst = losers[0]
        items.append(
            f"<strong>Providers</strong>: {len(losers)} provider(s) would lose more than "
            f"{escape(fmt(LOSS_FLAG_PCT, '%'))} of their hours; the largest loss is "
            f"{escape(worst[0])} ({escape(fmt(worst[1], '%', signed=True))}). Plans with clear "
            "winners and losers stall: see the table below."
        )
    body = "".join(f"<li>{i}</li>" for i in items) or "<li>No comparable figures in kpis.json.</li>"
    return (
        f"<p>Compared with <strong>{escape(base)}</strong>, the <strong>{escape(best)}</strong> variant "
        f"would change the following ({escape(rule)}):</p><ul class='headline'>{body}</ul>"
    )


def _kpi_table(run: _Run) -> str:
    base = run.baseline
    head = "".join(f"<th class='num'>{escape(v)}</th>" for v in run.variants)
    rows = []
    by_family: dict[str, list[_Kpi]] = {}
    for k in run.kpis.values():
        by_family.setdefault(k.family, []).append(k)
    for key, title, blurb in FAMILIES:
        ks = by_family.get(key, [])
        if not ks and key in ("other",):
            continue
        rows.append(
            f"<tr class='fam' id='family-{key}'><th colspan='{len(run.variants) + 2}'>{escape(title)}"
            f"<span class='blurb'> — {escape(blurb)}</span></th></tr>"
        )
        if not ks:
            rows.append(
                f"<tr><td colspan='{len(run.variants) + 2}' class='missing'>{MISSING} "
                "no figures in this run</td></tr>"
            )
            continue
        for k in ks:
            cells = []
            n = digits_for([k.values.get(v) for v in run.variants], k.unit)
            for v in run.variants:
                value = k.values.get(v)
                if _is_num(value):
                    delta = ""
                    b = run.value(k.name, base)
                    if v != base and b is not None:
                        delta = f"<span class='delta'>{escape(fmt(float(value) - b, k.unit, True, n))}</span>"
                    cells.append(
                        f"<td class='num'{_attrs(kpi=k.name, variant=v, value=k.raw[v])}>"
                        f"{escape(fmt(value, k.unit, digits=n))}{delta}</td>"
                    )
                elif value is None:
                    cells.append(f"<td class='num missing'{_attrs(kpi=k.name, variant=v)}>{MISSING}</td>")
                else:
                    cells.append(f"<td{_attrs(kpi=k.name, variant=v, text=value)}>{escape(str(value))}</td>")
            rows.append(
                f"<tr><td>{escape(_label(k.name))}<div class='kname'>{escape(k.name)}</div></td>"
                f"<td class='unit'>{escape(k.unit)}</td>{''.join(cells)}</tr>"
            )
        if key == "downstream":
            params = [
                (n, val)
                for n, val in _flatten(run.assumptions)
                if any(w in n.lower() for w in ("bed", "discharge", "delay", "downstream"))
            ]
            formula = [str(val) for n, val in params if n.rsplit(".", 1)[-1] == "formula" and val]
            params = [(n, val) for n, val in params if n.rsplit(".", 1)[-1] != "formula"]
            if params:
                shown = "; ".join(f"{_label(n)} = {_param(n, val)}" for n, val in params)
                how = f" Formula: {formula[0]}." if formula else ""
                rows.append(
                    f"<tr><td colspan='{len(run.variants) + 2}' class='note'>Estimate parameters: "
                    f"{escape(shown)}.{escape(how)} An estimate, not a forecast: it converts unmet care "
                    "hours into hospital bed-days with the parameters above.</td></tr>"
                )
    return (
        f"<table class='kpis'><thead><tr><th>Measure</th><th>Unit</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<p class='note'>Small figures under each value are the change against {escape(base)}. "
        f"{MISSING} means the run did not produce that figure.</p>"
    )


def _charts(run: _Run) -> str:
    vs = run.variants
    cols = [_PALETTE[i % len(_PALETTE)] for i in range(len(vs))]
    charts = []

    def per_variant(title: str, kpi: str, unit: str) -> None:
        values = [run.value(kpi, v) for v in vs]
        if any(x is not None for x in values):
            charts.append(bar_chart(title, vs, [("", values)], unit=unit, colours=[cols[1 % len(cols)]]))

    per_variant("Total cost per week (£)", "cost_per_week_gbp", "GBP/week")
    travel = [("priced per visit", [run.value("travel_hours_per_week", v) for v in vs])]
    routed = [run.value("travel_hours_per_week_routed", v) for v in vs]
    if any(x is not None for x in routed):
        travel.append(("chained runs (routed)", routed))
    if any(x is not None for x in travel[0][1]) or len(travel) > 1:
        charts.append(
            bar_chart(
                "Carers' travel hours per week", vs, travel, unit="hours/week", colours=["#0072b2", "#e69f00"]
            )
        )
    per_variant("Unmet care hours per week", "unmet_hours_per_week", "hours/week")
    per_variant("Clients moved to a new provider", "clients_moved", "clients")
    if not charts:
        return "<p class='missing'>No chartable figures in kpis.json.</p>"
    return "<div class='grid'>" + "".join(f"<figure>{c}</figure>" for c in charts) + "</div>"


def _provider_index(run: _Run) -> tuple[list[str], dict[str, dict[str, str]], dict[tuple[str, str], dict]]:
    order: list[str] = []
    info: dict[str, dict[str, str]] = {}
    cells: dict[tuple[str, str], dict] = {}
    for row in run.providers:
        pid = row.get("provider_id", "")
        if pid not in info:
            order.append(pid)
            info[pid] = {"name": row.get("name", "") or pid, "kind": row.get("kind", "")}
        cells[(pid, row.get("variant", ""))] = row
    return order, info, cells


def _losers(run: _Run, variant: str) -> list[tuple[str, float]]:
    _, info, cells = _provider_index(run)
    out = []
    for (pid, v), row in cells.items():
        pct = _to_float(row.get("change_pct_vs_current"))
        if v == variant and pct is not None and pct < -LOSS_FLAG_PCT:
            out.append((info[pid]["name"], pct))
    return sorted(out, key=lambda t: t[1])


_PROVIDER_FIELDS = [
    ("care_hours", "care hours/week", "hours/week"),
    ("clients", "clients", "clients"),
    ("travel_hours", "travel hours/week", "hours/week"),
    ("revenue_gbp", "revenue/week", "GBP/week"),
    ("change_hours_vs_current", "change in hours", "hours/week"),
    ("change_pct_vs_current", "change %", "%"),
]


def _pcell(
    pid: str,
    variant: str,
    fieldname: str,
    raw: str | None,
    unit: str,
    signed: bool = False,
    digits: int | None = None,
) -> str:
    cls = "num"
    f = _to_float(raw)
    if f is None:
        return f"<td class='{cls} missing'>{MISSING}</td>"
    return (
        f"<td class='{cls}'{_attrs(provider=pid, variant=variant, field=fieldname, value=raw)}>"
        f"{escape(fmt(f, unit, signed=signed, digits=digits))}</td>"
    )


def _winners_losers(run: _Run) -> str:
    if not run.providers:
        return "<p class='missing'>providers.csv not found: no provider figures.</p>"
    base = run.baseline
    order, info, cells = _provider_index(run)
    others = [v for v in run.variants if v != base]
    best, _ = _best_variant(run)
    sort_v = best or base

    def key(pid: str) -> float:
        f = _to_float(cells.get((pid, sort_v), {}).get("change_hours_vs_current"))
        return -(f if f is not None else 0.0)

    order = sorted(order, key=key)
    nd = {f: digits_for([_to_float(r.get(f)) for r in run.providers], u) for f, _, u in _PROVIDER_FIELDS}
    parts = []
    if others:
        series = [
            (v, [_to_float(cells.get((p, v), {}).get("change_hours_vs_current")) for p in order])
            for v in others
        ]
        colours = [_PALETTE[(run.variants.index(v)) % len(_PALETTE)] for v in others]
        parts.append(
            "<figure>"
            + diverging_chart(
                f"Change in each provider's care hours per week vs {base}",
                [info[p]["name"] for p in order],
                series,
                colours=colours,
            )
            + "</figure>"
        )
    head1 = "".join(f"<th colspan='3' class='grp'>{escape(v)}</th>" for v in others)
    head2 = "".join("<th class='num'>hours</th><th class='num'>change</th><th>flag</th>" for _ in others)
    rows = []
    for pid in order:
        cur = cells.get((pid, base), {})
        tds = [
            f"<td>{escape(info[pid]['name'])}<div class='kname'>{escape(pid)}</div></td>",
            f"<td>{escape(info[pid]['kind'].replace('_', ' '))}</td>",
            _pcell(pid, base, "care_hours", cur.get("care_hours"), "hours/week", digits=nd["care_hours"]),
        ]
        for v in others:
            row = cells.get((pid, v), {})
            tds.append(
                _pcell(pid, v, "care_hours", row.get("care_hours"), "hours/week", digits=nd["care_hours"])
            )
            tds.append(
                _pcell(
                    pid,
                    v,
                    "change_pct_vs_current",
                    row.get("change_pct_vs_current"),
                    "%",
                    True,
                    nd["change_pct_vs_current"],
                )
            )
            flags = []
            pct = _to_float(row.get("change_pct_vs_current"))
            hours = _to_float(row.get("care_hours"))
            if pct is not None and pct < -LOSS_FLAG_PCT:
                flags.append(f"loses more than {fmt(LOSS_FLAG_PCT, '%')}")
            floor = run.viability.get(pid)
            cur_h = _to_float(cur.get("care_hours"))
            if (
                floor is not None
                and hours is not None
                and hours < floor
                and (cur_h is None or cur_h >= floor)
            ):
                flags.append(f"below viable {fmt(floor)} h")
            if hours == 0 and cur_h:
                flags.append("no work left")
            cls = " class='flag'" if flags else ""
            tds.append(f"<td{cls}>{'⚠ ' + escape('; '.join(flags)) if flags else ''}</td>")
        rows.append(f"<tr>{''.join(tds)}</tr>")
    parts.append(
        f"<table class='providers'><thead><tr><th rowspan='2'>Provider</th><th rowspan='2'>Kind</th>"
        f"<th rowspan='2' class='num'>{escape(base)} hours</th>{head1}</tr><tr>{head2}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<p class='note'>Hours are care hours per week. ⚠ marks a provider losing more than "
        f"{escape(fmt(LOSS_FLAG_PCT, '%'))} of its hours against {escape(base)}, falling below the hours "
        "it says it needs to stay viable, or left with no work. Plans with clear winners and losers stall: "
        "the scenario's sustainability bands can bound each provider's change.</p>"
    )
    # the full table, per variant, for readers who want every figure
    full_head = "".join(f"<th class='num'>{escape(lab)}</th>" for _, lab, _ in _PROVIDER_FIELDS)
    full_rows = []
    for v in run.variants:
        for pid in order:
            row = cells.get((pid, v))
            if row is None:
                continue
            tds = "".join(
                _pcell(pid, v, f, row.get(f), u, f.startswith("change"), nd[f])
                for f, _, u in _PROVIDER_FIELDS
            )
            full_rows.append(f"<tr><td>{escape(v)}</td><td>{escape(info[pid]['name'])}</td>{tds}</tr>")
    parts.append(
        f"<details><summary>Every provider figure, per variant (providers.csv)</summary>"
        f"<table class='providers-full'><thead><tr><th>Variant</th><th>Provider</th>{full_head}</tr>"
        f"</thead><tbody>{''.join(full_rows)}</tbody></table></details>"
    )
    return "".join(parts)


def _zones(run: _Run) -> str:
    if not run.zones:
        return "<p class='missing'>zones.csv not found: no patch figures.</p>"
    order: list[str] = []
    info: dict[str, dict[str, str]] = {}
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in run.zones:
        zid = row.get("zone_id", "")
        if zid not in info:
            order.append(zid)
            info[zid] = {"name": row.get("name", "") or zid, "remote": row.get("remote", "")}
        cells[(zid, row.get("variant", ""))] = row
    vs = run.variants
    metrics = [
        ("providers", "Providers in patch", ""),
        ("unmet_hours", "Unmet hours/week", "hours/week"),
        ("travel_minutes_per_visit", "Travel minutes per visit", "minutes"),
    ]
    head1 = "".join(f"<th colspan='{len(vs)}' class='grp'>{escape(t)}</th>" for _, t, _ in metrics)
    head2 = "".join(f"<th class='num'>{escape(v)}</th>" for _ in metrics for v in vs)
    rows = []
    for zid in order:
        remote = info[zid]["remote"].lower() in ("yes", "true", "1")
        tds = [
            f"<td>{escape(info[zid]['name'])}<div class='kname'>{escape(zid)}</div></td>",
            f"<td>{'remote' if remote else ''}</td>",
        ]
        for f, _, unit in metrics:
            for v in vs:
                raw = cells.get((zid, v), {}).get(f)
                n = digits_for([_to_float(r.get(f)) for r in run.zones], unit)
                val = _to_float(raw)
                if val is None:
                    tds.append(f"<td class='num missing'>{MISSING}</td>")
                else:
                    tds.append(
                        f"<td class='num'{_attrs(zone=zid, variant=v, field=f, value=raw)}>"
                        f"{escape(fmt(val, unit, digits=n))}</td>"
                    )
        rows.append(f"<tr{' class=remote' if remote else ''}>{''.join(tds)}</tr>")
    return (
        f"<table class='zones'><thead><tr><th rowspan='2'>Patch</th><th rowspan='2'></th>{head1}</tr>"
        f"<tr>{head2}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p class='note'>Fewer providers per patch means fewer carers crossing each other's runs; remote and "
        "island patches are marked so that equity can be read across the rows.</p>"
    )


def _unmet_reasons(run: _Run) -> str:
    if not run.allocations:
        return ""
    counts: dict[str, dict[str, list[float]]] = {}
    for v, rows in run.allocations.items():
        for row in rows:
            if row.get("status") != "unmet":
                continue
            reason = row.get("reason") or "(no reason given)"
            c = counts.setdefault(reason, {}).setdefault(v, [0, 0.0])
            c[0] += 1
            c[1] += _to_float(row.get("weekly_hours")) or 0.0
    vs = [v for v in run.variants if v in run.allocations]
    totals = "".join(f"<td class='num'>{escape(fmt(len(run.allocations[v])))}</td>" for v in vs)
    body = [f"<tr><td>Clients in allocation.csv</td>{totals}</tr>"]
    for reason in sorted(counts):
        tds = []
        for v in vs:
            n, h = counts[reason].get(v, [0, 0.0])
            tds.append(
                f"<td class='num'>{escape(fmt(n))} clients · {escape(fmt(h))} h</td>"
                if n
                else "<td class='num'>0</td>"
            )
        body.append(f"<tr><td>{escape(reason)}</td>{''.join(tds)}</tr>")
    head = "".join(f"<th class='num'>{escape(v)}</th>" for v in vs)
    return (
        f"<h3>Why need goes unmet</h3><table class='reasons'><thead><tr><th>Reason</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _map_description(name: str) -> str:
    stem = name[:-5] if name.endswith(".html") else name
    if stem.startswith("coverage_"):
        return f"Which provider serves each client and patch in the {stem[9:]} variant."
    if stem.startswith("travel_"):
        return f"Travel minutes per visit for each client in the {stem[7:]} variant; long trips stand out."
    if stem.startswith("compare_") and "_vs_" in stem:
        a, b = stem[8:].split("_vs_", 1)
        return f"Clients whose provider differs between {a} and {b}, and the patches that change hands."
    return "Map of the run."


def _maps(run: _Run) -> str:
    if not run.maps:
        return "<p class='missing'>No maps in maps/ for this run.</p>"
    items = "".join(
        f'<li><a href="maps/{escape(quote(m))}">{escape(m)}</a> — {escape(_map_description(m))}</li>'
        for m in run.maps
    )
    return (
        f"<ul class='maps'>{items}</ul><p class='note'>Maps open in the browser from the same folder "
        "(keep report.html next to maps/). They show client locations and are for commissioners only.</p>"
    )


def _assumptions(run: _Run) -> str:
    rows = []
    for name, value in _flatten(run.assumptions):
        if _is_num(value):
            shown = _param(name, value)
            rows.append(
                f"<tr><td>{escape(_label(name))}<div class='kname'>{escape(name)}</div></td>"
                f"<td class='num'{_attrs(assumption=name, value=repr(value))}>{escape(shown)}</td></tr>"
            )
        else:
            rows.append(
                f"<tr><td>{escape(_label(name))}<div class='kname'>{escape(name)}</div></td>"
                f"<td>{escape(_param(name, value))}</td></tr>"
            )
    tm = run.travel_model or "not stated"
    tm_text = {
        "network": "road network with ferries (crossing times, waits, first and last sailings)",
        "approximate": "great-circle distance × circuity ÷ speed (approximate)",
    }.get(tm, tm)
    rows.append(
        f"<tr><td>Travel model<div class='kname'>travel_model</div></td><td>{escape(tm_text)}</td></tr>"
    )
    rows.append(
        f"<tr><td>Report: provider-loss flag</td><td class='num'>{escape(fmt(LOSS_FLAG_PCT, '%'))}</td></tr>"
    )
    solver_rows = []
    for v in run.variants:
        s = (run.scenarios.get(v) or {}).get("solver")
        s = s if isinstance(s, dict) else {}
        tds = [f"<td>{escape(v)}</td>", f"<td>{escape(str(s.get('status', MISSING)))}</td>"]
        for f, unit in (("objective", ""), ("bound", ""), ("gap", "%"), ("seconds", "")):
            val = s.get(f)
            if _is_num(val):
                shown = fmt(float(val) * 100, "%") if f == "gap" else fmt(val, unit)
                tds.append(
                    f"<td class='num'{_attrs(kpi='solver.' + f, variant=v, value=repr(val))}>"
                    f"{escape(shown)}</td>"
                )
            else:
                tds.append(f"<td class='num missing'>{MISSING}</td>")
        solver_rows.append(f"<tr>{''.join(tds)}</tr>")
    return (
        f"<div class='two'><div><h3>Parameters</h3><table class='assumptions'><tbody>{''.join(rows)}"
        "</tbody></table></div>"
        "<div><h3>Solver</h3><table class='solver'><thead><tr><th>Variant</th><th>Status</th>"
        "<th class='num'>Objective</th><th class='num'>Bound</th><th class='num'>Gap</th>"
        f"<th class='num'>Seconds</th></tr></thead><tbody>{''.join(solver_rows)}</tbody></table>"
        "<p class='note'>Gap: how far the answer could still be from the best possible (0% = proven best). "
        "'current' evaluates today's allocation and is not optimised.</p></div></div>"
    )


_CSS = """
:root{--ink:#1d2733;--muted:#5b6673;--line:#d6dbe1;--bg:#f6f7f9;--accent:#0072b2;--warn:#b3261e}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);margin:0;
 background:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;
 border-bottom:2px solid var(--ink)}h3{font-size:15px;margin:18px 0 6px}
.sub{color:var(--muted);margin:0 0 12px}
nav a{color:var(--accent);margin-right:14px;text-decoration:none;font-size:13px}
.banner{background:#fff4e5;border:2px solid #e69f00;padding:10px 14px;margin:14px 0;border-radius:4px;
 font-weight:600}
.warnbox{background:#fdecea;border:1px solid var(--warn);padding:8px 12px;margin:10px 0;border-radius:4px}
.summary{background:var(--bg);border-left:5px solid var(--accent);padding:10px 18px;border-radius:3px}
ul.headline li{margin:4px 0}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--bg);font-weight:600;border-bottom:2px solid #aab3bd}
th.grp{text-align:center;border-left:1px solid var(--line)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fam th{background:#e8eef5;font-size:14px;padding-top:8px}
.blurb{font-weight:400;color:var(--muted);font-size:12px}
.kname{color:var(--muted);font-size:11px;font-family:ui-monospace,Menlo,Consolas,monospace}
.delta{display:block;color:var(--muted);font-size:11px}
.unit{color:var(--muted);white-space:nowrap}
.missing{color:var(--muted)}
td.flag{color:var(--warn);font-weight:600}
tr.remote td:first-child{border-left:3px solid #56b4e9}
.note{color:var(--muted);font-size:12px;margin:4px 0 10px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(470px,1fr));gap:10px 24px}
figure{margin:6px 0}
svg.chart{max-width:100%;height:auto;font-size:11px;font-family:inherit}
svg .ct{font-size:13px;font-weight:600;fill:var(--ink)}
svg .vl,svg .lg{fill:var(--muted)}
svg .ax{stroke:#8a949e;stroke-width:1}
.two{display:grid;grid-template-columns:1fr 1fr;gap:24px}
details{margin:8px 0}summary{cursor:pointer;color:var(--accent)}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{nav,details{display:none}h2{break-after:avoid}table,figure{break-inside:avoid}}
@media (max-width:800px){.two{grid-template-columns:1fr}}
"""


def render_report(out_dir: str | Path) -> str:
    """The report page as a string (see :func:`write_report`)."""
    run = _load(Path(out_dir))
    region = run.assumptions.get("region") if isinstance(run.assumptions.get("region"), str) else None
    title = "Care at home commissioning — board report"
    sub = [f"Variants compared: {', '.join(run.variants)}", f"baseline: {run.baseline}"]
    if region:
        sub.insert(0, f"Region: {region}")
    banner = ""
    if (run.travel_model or "").lower() == "approximate":
        banner = (
            "<div class='banner' id='approximate-travel'>Approximate travel: travel times are great-circle "
            "estimates (straight-line distance × circuity ÷ speed), not road-and-ferry times. Treat travel "
            "figures as indicative.</div>"
        )
    missing = ""
    if run.missing_files:
        missing = (
            f"<div class='warnbox'>Not found in the output folder: {escape(', '.join(run.missing_files))}. "
            "The sections that need them are left empty.</div>"
        )
    sections = [
        ("summary", "What changes", f"<div class='summary'>{_headline(run)}</div>"),
        ("charts", "At a glance", _charts(run)),
        ("kpis", "Measures by the four Es", _kpi_table(run)),
        ("providers", "Winners and losers among providers", _winners_losers(run)),
        ("zones", "Patches", _zones(run) + _unmet_reasons(run)),
        ("workforce", "Workforce", workforce_section(run.out_dir, run.variants)),
        ("maps", "Maps", _maps(run)),
        ("assumptions", "Assumptions and solver", _assumptions(run)),
        (
            "data",
            "Personal data",
            "<p>This report is for commissioners. It holds no names or addresses, but its "
            "maps and allocation files show where clients live and which provider serves "
            "them: do not share the folder outside the commissioning team. Provider-facing "
            "views (each provider's own figures) are produced separately.</p>",
        ),
    ]
    nav = "".join(f"<a href='#{sid}'>{escape(t)}</a>" for sid, t, _ in sections)
    body = "".join(f"<section id='{sid}'><h2>{escape(t)}</h2>{html}</section>" for sid, t, html in sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p class='sub'>{escape(' · '.join(sub))}</p><nav>{nav}</nav>"
        f"{banner}{missing}{body}"
        "<footer>Produced by care-commissioning from kpis.json, kpis.csv, providers.csv, zones.csv and the "
        "allocation files in this folder; the figures here are exactly those in the tables.</footer>"
        "</main></body></html>\n"
    )


def write_report(out_dir: str | Path) -> Path:
    """Write ``OUT/report.html`` from the run's output folder ``OUT`` and return its path.

    The write is atomic (a temporary file in ``OUT`` renamed over the target), so a reader never sees half a
    page. Raises :class:`ReportError` if ``OUT/kpis.json`` is missing or unreadable; other missing files leave
    their sections empty with a note.
    """
    out = Path(out_dir)
    page = render_report(out)
    target = out / "report.html"
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html.tmp", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
