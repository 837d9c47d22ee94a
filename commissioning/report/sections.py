"""The report's tables and charts as data for ``templates/report.html.j2``: measures by the four Es,
providers' winners and losers, patches, why need goes unmet, maps, solver.

Every figure is a :class:`Cell` whose ``data`` become ``data-*`` attributes (``data-value`` = the value
exactly as in the source file), so a test can parse the page back and check it agrees with the tables.
No HTML here: the template writes it, escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from commissioning.report.charts import bar_chart, diverging_chart
from commissioning.report.model import (
    FAMILIES,
    LOSS_FLAG_PCT,
    MISSING,
    PALETTE,
    Kpi,
    Run,
    change,
    digits_for,
    flatten,
    fmt,
    is_num,
    is_share,
    label,
    param,
    to_float,
)
from commissioning.results.schema import ALLOCATION, KPI_BY_NAME, PROVIDERS, ZONES, Column


@dataclass(frozen=True)
class Cell:
    text: str
    cls: str = "num"
    data: dict[str, str] = field(default_factory=dict)
    delta: str = ""  # the change against current, under the value


def _missing(**data: str) -> Cell:
    return Cell(MISSING, "num missing", data)


def _unit(columns: tuple[Column, ...], name: str) -> str:
    return next((c.unit for c in columns if c.name == name), "")


# ------------------------------------------------------------------------------------------- measures


@dataclass
class KpiRow:
    name: str
    label: str
    unit: str
    cells: list[Cell]


@dataclass
class Family:
    key: str
    title: str
    blurb: str
    rows: list[KpiRow]
    note: str = ""  # the downstream estimate's parameters


def _kpi_row(run: Run, k: Kpi) -> KpiRow:
    base = run.baseline
    n = digits_for([k.values.get(v) for v in run.variants], k.unit)
    cells = []
    for v in run.variants:
        value = k.values.get(v)
        if is_num(value):
            b = run.value(k.name, base)
            delta = ""
            # a KPI that already is a change against current gets no further change (issue 13)
            if v != base and b is not None and "_change_vs_current" not in k.name:
                delta = change(float(value) - b, k.unit, n)
            data = {"kpi": k.name, "variant": v, "value": k.raw[v]}
            cells.append(Cell(fmt(value, k.unit, digits=n), "num", data, delta))
        elif value is None:
            cells.append(_missing(kpi=k.name, variant=v))
        else:
            cells.append(Cell(str(value), "", {"kpi": k.name, "variant": v, "text": str(value)}))
    # shares read as percentages (a 0.08 % gap read "0.00" in "share 0-1"): the unit column says so
    return KpiRow(k.name, label(k.name), "%" if is_share(k.unit) else k.unit, cells)


def _downstream_param(name: str) -> bool:
    """The downstream section's parameters and the bed-day price; not every name holding "bed" (the
    workforce's "window_hours.bed", the bed-time band's window, was listed among them)."""
    head, _, last = name.lower().partition(".")[0], None, name.lower().rsplit(".", 1)[-1]
    return head == "downstream" or any(w in last for w in ("bed_day", "discharge", "delay"))


def _downstream_note(run: Run) -> str:
    params = [
        (n, val)
        for n, val in flatten(run.assumptions)
        if _downstream_param(n)
    ]
    formula = [str(val) for n, val in params if n.rsplit(".", 1)[-1] == "formula" and val]
    params = [(n, val) for n, val in params if n.rsplit(".", 1)[-1] != "formula"]
    if not params:
        return ""
    shown = "; ".join(f"{label(n)} = {param(n, val)}" for n, val in params)
    how = f" Formula: {formula[0]}." if formula else ""
    return (
        f"Estimate parameters: {shown}.{how} An estimate, not a forecast: it converts unmet care hours into "
        "hospital bed-days with the parameters above."
    )


def families(run: Run) -> list[Family]:
    """The KPIs grouped by the four Es (then downstream, funding and the solver's figures)."""
    by_family: dict[str, list[Kpi]] = {}
    for k in run.kpis.values():
        by_family.setdefault(k.family, []).append(k)
    out = []
    for key, title, blurb in FAMILIES:
        ks = by_family.get(key, [])
        if not ks and key == "other":
            continue
        note = _downstream_note(run) if key == "downstream" else ""
        out.append(Family(key, title, blurb, [_kpi_row(run, k) for k in ks], note))
    return out


# --------------------------------------------------------------------------------------------- charts


def charts(run: Run) -> list[str]:
    """The at-a-glance charts (inline SVG from matplotlib), one per measure with figures."""
    vs = run.variants
    out = []

    def per_variant(kpi: str) -> None:
        values = [run.value(kpi, v) for v in vs]
        unit = KPI_BY_NAME[kpi].unit  # labels and units as the output schema declares them
        if any(x is not None for x in values):
            out.append(bar_chart(label(kpi), vs, [("", values)], unit=unit, colours=[PALETTE[1]]))

    per_variant("cost_per_week_gbp")
    travel = [("priced per visit", [run.value("travel_hours_per_week", v) for v in vs])]
    routed = [run.value("travel_hours_per_week_routed", v) for v in vs]
    if any(x is not None for x in routed):
        travel.append(("chained runs (routed)", routed))
    if any(x is not None for x in travel[0][1]) or len(travel) > 1:
        out.append(
            bar_chart("Carers' travel hours per week", vs, travel,
                      unit=KPI_BY_NAME["travel_hours_per_week"].unit, colours=["#0072b2", "#e69f00"])
        )
    per_variant("unmet_hours_per_week")
    per_variant("delayed_discharge_cost_per_week_gbp")
    per_variant("clients_moved")
    return out


# ------------------------------------------------------------------------------------------ providers

PROVIDER_FIELDS = [
    "care_hours",
    "clients",
    "travel_hours",
    "revenue_gbp",
    "change_hours_vs_current",
    "change_pct_vs_current",
]


def column_heading(columns: tuple[Column, ...], name: str) -> str:
    """A column's label with its unit, as the output schema declares them ("Care hours (hours/week)")."""
    col = next((c for c in columns if c.name == name), None)
    if col is None:
        return name
    return f"{col.label} ({col.unit})" if col.unit and col.unit != col.label.lower() else col.label


@dataclass
class ProviderRow:
    provider_id: str
    name: str
    kind: str
    base: Cell
    per_variant: list[tuple[Cell, Cell, str]]  # care hours, change %, flags


@dataclass
class Providers:
    base: str
    others: list[str]
    chart: str
    rows: list[ProviderRow]
    full: list[tuple[str, str, list[Cell]]]  # variant, name, every field
    loss_flag: str
    heads: list[str]


def _pcell(pid: str, variant: str, name: str, raw: str | None, digits: int, signed: bool = False) -> Cell:
    f = to_float(raw)
    if f is None:
        return _missing()
    unit = "%" if name == "change_pct_vs_current" else _unit(PROVIDERS, name)
    data = {"provider": pid, "variant": variant, "field": name, "value": raw or ""}
    return Cell(fmt(f, unit, signed=signed, digits=digits), "num", data)


def _flags(run: Run, pid: str, row: dict[str, str], cur: dict[str, str]) -> str:
    flags = []
    pct, hours = to_float(row.get("change_pct_vs_current")), to_float(row.get("care_hours"))
    if pct is not None and pct < -LOSS_FLAG_PCT:
        flags.append(f"loses more than {fmt(LOSS_FLAG_PCT, '%')}")
    floor = run.viability.get(pid)
    cur_h = to_float(cur.get("care_hours"))
    if floor is not None and hours is not None and hours < floor and (cur_h is None or cur_h >= floor):
        flags.append(f"below viable {fmt(floor)} h")
    if hours == 0 and cur_h:
        flags.append("no work left")
    return "; ".join(flags)


def providers(run: Run, sort_variant: str | None) -> Providers | None:
    """Winners and losers among providers (providers.csv), sorted by their gain in ``sort_variant``."""
    if not run.providers:
        return None
    base = run.baseline
    order: list[str] = []
    info: dict[str, tuple[str, str]] = {}
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in run.providers:
        pid = row.get("provider_id", "")
        if pid not in info:
            order.append(pid)
            info[pid] = (row.get("name", "") or pid, row.get("kind", "").replace("_", " "))
        cells[(pid, row.get("variant", ""))] = row
    others = [v for v in run.variants if v != base]
    sort_v = sort_variant or base
    order.sort(key=lambda p: -(to_float(cells.get((p, sort_v), {}).get("change_hours_vs_current")) or 0.0))
    nd = {f: digits_for([to_float(r.get(f)) for r in run.providers]) for f in PROVIDER_FIELDS}
    nd["care_hours"] = 1  # care hours to one decimal, as everywhere
    chart = ""
    if others:
        series = [
            (v, [to_float(cells.get((p, v), {}).get("change_hours_vs_current")) for p in order])
            for v in others
        ]
        colours = [PALETTE[run.variants.index(v) % len(PALETTE)] for v in others]
        chart = diverging_chart(f"Change in each provider's care hours per week vs {base}",
                                [info[p][0] for p in order], series, colours=colours)
    rows = []
    for pid in order:
        cur = cells.get((pid, base), {})
        per = []
        for v in others:
            row = cells.get((pid, v), {})
            per.append((
                _pcell(pid, v, "care_hours", row.get("care_hours"), nd["care_hours"]),
                _pcell(pid, v, "change_pct_vs_current", row.get("change_pct_vs_current"),
                       nd["change_pct_vs_current"], True),
                _flags(run, pid, row, cur),
            ))
        base_cell = _pcell(pid, base, "care_hours", cur.get("care_hours"), nd["care_hours"])
        rows.append(ProviderRow(pid, info[pid][0], info[pid][1], base_cell, per))
    full = [
        (v, info[pid][0], [
            _pcell(pid, v, f, cells[(pid, v)].get(f), nd[f], f.startswith("change"))
            for f in PROVIDER_FIELDS
        ])
        for v in run.variants for pid in order if (pid, v) in cells
    ]
    heads = [column_heading(PROVIDERS, f) for f in PROVIDER_FIELDS]
    return Providers(base, others, chart, rows, full, fmt(LOSS_FLAG_PCT, "%"), heads)


# -------------------------------------------------------------------------------------------- patches

ZONE_METRICS = ["providers", "care_hours", "unmet_hours", "travel_minutes_per_visit"]


@dataclass
class ZoneRow:
    zone_id: str
    name: str
    remote: bool
    cells: list[Cell]


def zones(run: Run) -> list[ZoneRow]:
    """Per patch and variant (zones.csv): providers, care hours (billable), unmet care hours, travel."""
    order: list[str] = []
    info: dict[str, dict[str, str]] = {}
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in run.zones:
        zid = row.get("zone_id", "")
        if zid not in info:
            order.append(zid)
            info[zid] = {"name": row.get("name", "") or zid, "remote": row.get("remote", "")}
        cells[(zid, row.get("variant", ""))] = row
    out = []
    for zid in order:
        tds = []
        for f in _zone_fields(run):
            unit = _unit(ZONES, f)
            n = 1 if f.endswith("hours") else digits_for([to_float(r.get(f)) for r in run.zones], unit)
            for v in run.variants:
                raw = cells.get((zid, v), {}).get(f)
                val = to_float(raw)
                data = {"zone": zid, "variant": v, "field": f, "value": raw or ""}
                tds.append(_missing() if val is None else Cell(fmt(val, unit, digits=n), "num", data))
        remote = info[zid]["remote"].lower() in ("yes", "true", "1")
        out.append(ZoneRow(zid, info[zid]["name"], remote, tds))
    return out


def _zone_fields(run: Run) -> list[str]:
    return [f for f in ZONE_METRICS if f != "care_hours" or any(f in r for r in run.zones)]


def zone_metrics(run: Run) -> list[str]:
    return [column_heading(ZONES, f) for f in _zone_fields(run)]


# --------------------------------------------------------------------------------- why need goes unmet


def billable_hours(row: dict[str, str]) -> float:
    """A client's care hours a week, billable (allocation.csv's ``care_hours_per_week``); runs before that
    column: assessed weekly hours × carers per visit, the same definition."""
    billable = to_float(row.get("care_hours_per_week"))
    if billable is not None:
        return billable
    return (to_float(row.get("weekly_hours")) or 0.0) * (to_float(row.get("carers_per_visit")) or 1.0)


@dataclass
class Reasons:
    variants: list[str]
    totals: list[str]
    rows: list[tuple[str, list[Cell]]]


def unmet_reasons(run: Run) -> Reasons | None:
    """Unmet clients and their care hours (billable) by reason and variant (allocation.csv)."""
    if not run.allocations:
        return None
    counts: dict[str, dict[str, list[float]]] = {}
    for v, rows in run.allocations.items():
        for row in rows:
            if row.get("status") != "unmet":
                continue
            c = counts.setdefault(row.get("reason") or "(no reason given)", {}).setdefault(v, [0, 0.0])
            c[0] += 1
            c[1] += billable_hours(row)
    vs = [v for v in run.variants if v in run.allocations]
    unit = _unit(ALLOCATION, "care_hours_per_week")
    out = []
    for reason in sorted(counts):
        tds = []
        for v in vs:
            n, h = counts[reason].get(v, [0, 0.0])
            data = {"reason": reason, "variant": v, "clients": str(n), "care-hours": repr(round(h, 6))}
            tds.append(Cell(f"{fmt(n)} clients · {fmt(h, unit, digits=1)} care h" if n else "0", "num", data))
        out.append((reason, tds))
    return Reasons(vs, [fmt(len(run.allocations[v])) for v in vs], out)


# ---------------------------------------------------------------------------------------- maps, solver


def map_description(name: str) -> str:
    stem = name[:-5] if name.endswith(".html") else name
    if stem.startswith("coverage_"):
        # the maps count clients per patch or grid square; they never mark a client's home
        return f"Which providers serve each patch, and how many of its clients, in the {stem[9:]} variant."
    if stem.startswith("travel_"):
        return (f"Travel minutes per visit, per patch and grid square, in the {stem[7:]} variant; long trips "
                "stand out.")
    if stem.startswith("compare_") and "_vs_" in stem:
        a, b = stem[8:].split("_vs_", 1)
        return (f"Clients whose provider differs between {a} and {b}, counted per grid square, and the "
                "patches that change hands.")
    return "Map of the run."


def solver_rows(run: Run) -> list[tuple[str, str, list[Cell]]]:
    """Per variant: status, objective, bound, gap, seconds (kpis.json's solver block)."""
    out = []
    for v in run.variants:
        s = (run.scenarios.get(v) or {}).get("solver")
        s = s if isinstance(s, dict) else {}
        cells = []
        for f in ("objective", "bound", "gap", "seconds"):
            val = s.get(f)
            if is_num(val):
                shown = fmt(float(val) * 100, "%") if f == "gap" else fmt(val)
                cells.append(Cell(shown, "num", {"kpi": "solver." + f, "variant": v, "value": repr(val)}))
            else:
                cells.append(_missing())
        out.append((v, str(s.get("status", MISSING)), cells))
    return out
