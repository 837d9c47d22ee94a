"""The report's Workforce section: carers at hubs per variant, the rules an allocation breaks by hub and
band, and where to recruit (from ``hubs.csv``, ``broken_rules.csv`` and ``recruitment.csv``), as data for
``templates/workforce.html.j2``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from commissioning.report.model import distinct_hours
from commissioning.report.templating import render


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _num(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


@dataclass
class Table:
    head: list[str]
    rows: list[list[str]]
    numeric: set[int]
    title: str = ""


def _summary(hubs: list[dict[str, str]], variants: list[str]) -> Table:
    rows = []
    for v in variants:
        mine = [h for h in hubs if h["variant"] == v]
        if not mine:
            continue
        available = sum(_num(h["staff_hours_available"]) for h in mine)
        used = sum(_num(h["staff_hours_used"]) for h in mine)
        full = sum(1 for h in mine if _num(h["use_pct"]) >= 95.0)
        recruited = sum(_num(h["recruited_drivers"]) + _num(h["recruited_non_drivers"]) for h in mine)
        rows.append([
            v,
            f"{sum(_num(h['carers']) for h in mine):,.0f}",
            f"{available:,.0f}",
            f"{used:,.0f}",
            f"{100 * used / available:.0f} %" if available else "—",
            str(full),
            f"{recruited:,.0f}",
        ])
    head = ["Variant", "Carers", "Staff hours available/week", "Used/week", "Use", "Hubs at 95 % or more",
            "Carers recruited"]
    return Table(head, rows, {1, 2, 3, 4, 5, 6})


def _broken(broken: list[dict[str, str]], variants: list[str]) -> list[Table]:
    head = ["Hub", "Provider or pool", "Patch", "Band", "Short of", "Needed h/week", "Available h/week"]
    out = []
    for v in variants:
        mine = [r for r in broken if r.get("hub_id") and r["variant"] == v]
        if mine:
            rows = [
                [r["hub_id"], r["owner"], r["zone"], r["band"], r["message"],
                 *distinct_hours(_num(r["needed_hours"]), _num(r["available_hours"]))]
                for r in mine
            ]
            out.append(Table(head, rows, {5, 6}, f"{v}: {len(mine)} workforce rule(s) broken"))
    return out


def _recruitment(recruitment: list[dict[str, str]], variants: list[str]) -> list[Table]:
    head = ["Hub", "Provider or pool", "Patch", "Band furthest short", "Drivers", "Non-drivers", "Cost/week",
            "Unmet clients", "Hours short/week, all bands"]
    out = []
    for v in variants:
        for kind, title in (("recruit", "recruited by the optimiser"), ("shortfall", "still short")):
            mine = [r for r in recruitment if r["variant"] == v and r["kind"] == kind]
            if not mine:
                continue
            cost = sum(_num(r["cost_gbp_per_week"]) for r in mine)
            drivers = sum(_num(r["drivers"]) for r in mine)
            non = sum(_num(r["non_drivers"]) for r in mine)
            rows = [
                [r["hub_id"], r["owner"], r["zone"], r["band"], r["drivers"], r["non_drivers"],
                 f"£{_num(r['cost_gbp_per_week']):,.0f}", r["unmet_clients"],
                 *distinct_hours(_num(r["hours_short"]))]
                for r in mine
            ]
            out.append(Table(head, rows, {4, 5, 6, 7, 8}, (
                f"{v}: carers {title} — {drivers:,.0f} drivers, {non:,.0f} non-drivers, £{cost:,.0f} a week"
            )))
    return out


@dataclass
class Workforce:
    hubs: Table | None  # None: the run wrote no hubs.csv
    broken: list[Table]
    recruitment: list[Table]


def workforce(out_dir: Path, variants: list[str]) -> Workforce:
    """The section's tables from the run's hub files."""
    hubs = _rows(out_dir / "hubs.csv")
    if not hubs:
        return Workforce(None, [], [])
    return Workforce(
        _summary(hubs, variants),
        _broken(_rows(out_dir / "broken_rules.csv"), variants),
        _recruitment(_rows(out_dir / "recruitment.csv"), variants),
    )


def workforce_section(out_dir: Path, variants: list[str]) -> str:
    """The section's HTML alone (escaped by the template); a note when the run wrote no hub tables."""
    return render("workforce.html.j2", wf=workforce(out_dir, variants))
