"""The report's Workforce section: carers at hubs per variant, the rules an allocation breaks by hub and
band, and where to recruit (from ``hubs.csv``, ``broken_rules.csv`` and ``recruitment.csv``)."""

from __future__ import annotations

import csv
from html import escape
from pathlib import Path


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


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    th = "".join(f"<th{' class=num' if k in numeric else ''}>{escape(h)}</th>" for k, h in enumerate(head))
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if k in numeric else ''}>{escape(c)}</td>" for k, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table class='workforce'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _summary(hubs: list[dict[str, str]], variants: list[str]) -> str:
    rows = []
    for v in variants:
        mine = [h for h in hubs if h["variant"] == v]
        if not mine:
            continue
        available = sum(_num(h["staff_hours_available"]) for h in mine)
        used = sum(_num(h["staff_hours_used"]) for h in mine)
        full = sum(1 for h in mine if _num(h["use_pct"]) >= 95.0)
        recruited = sum(_num(h["recruited_drivers"]) + _num(h["recruited_non_drivers"]) for h in mine)
        rows.append(
            [
                v,
                f"{sum(_num(h['carers']) for h in mine):,.0f}",
                f"{available:,.0f}",
                f"{used:,.0f}",
                f"{100 * used / available:.0f} %" if available else "—",
                str(full),
                f"{recruited:,.0f}",
            ]
        )
    head = [
        "Variant",
        "Carers",
        "Staff hours available/week",
        "Used/week",
        "Use",
        "Hubs at 95 % or more",
        "Carers recruited",
    ]
    return _table(head, rows, {1, 2, 3, 4, 5, 6})


def _broken(broken: list[dict[str, str]], variants: list[str]) -> str:
    workforce = [r for r in broken if r.get("hub_id")]
    if not workforce:
        return "<p>No allocation breaks a workforce rule.</p>"
    out = []
    for v in variants:
        mine = [r for r in workforce if r["variant"] == v]
        if not mine:
            continue
        rows = [
            [
                r["hub_id"],
                r["owner"],
                r["zone"],
                r["band"],
                r["message"],
                f"{_num(r['needed_hours']):,.1f}",
                f"{_num(r['available_hours']):,.1f}",
            ]
            for r in mine
        ]
        out.append(f"<h3>{escape(v)}: {len(mine)} workforce rule(s) broken</h3>")
        out.append(
            _table(
                ["Hub", "Provider or pool", "Patch", "Band", "Short of", "Needed h/week", "Available h/week"],
                rows,
                {5, 6},
            )
        )
    return "".join(out)


def _recruitment(recruitment: list[dict[str, str]], variants: list[str]) -> str:
    if not recruitment:
        return "<p>No hub is short of carers in any variant.</p>"
    out = []
    for v in variants:
        for kind, title in (("recruit", "recruited by the optimiser"), ("shortfall", "still short")):
            mine = [r for r in recruitment if r["variant"] == v and r["kind"] == kind]
            if not mine:
                continue
            cost = sum(_num(r["cost_gbp_per_week"]) for r in mine)
            drivers = sum(_num(r["drivers"]) for r in mine)
            non = sum(_num(r["non_drivers"]) for r in mine)
            out.append(
                f"<h3>{escape(v)}: carers {escape(title)} — {drivers:,.0f} drivers, {non:,.0f} "
                f"non-drivers, £{cost:,.0f} a week</h3>"
            )
            rows = [
                [
                    r["hub_id"],
                    r["owner"],
                    r["zone"],
                    r["band"],
                    r["drivers"],
                    r["non_drivers"],
                    f"£{_num(r['cost_gbp_per_week']):,.0f}",
                    r["unmet_clients"],
                    r["hours_short"],
                ]
                for r in mine
            ]
            out.append(
                _table(
                    [
                        "Hub",
                        "Provider or pool",
                        "Patch",
                        "Band",
                        "Drivers",
                        "Non-drivers",
                        "Cost/week",
                        "Unmet clients",
                        "Hours short/week",
                    ],
                    rows,
                    {4, 5, 6, 7, 8},
                )
            )
    return "".join(out)


def workforce_section(out_dir: Path, variants: list[str]) -> str:
    """The section's HTML (escaped); a note when the run wrote no hub tables."""
    hubs = _rows(out_dir / "hubs.csv")
    if not hubs:
        return "<p class='missing'>hubs.csv not found: no workforce figures.</p>"
    broken = _rows(out_dir / "broken_rules.csv")
    recruitment = _rows(out_dir / "recruitment.csv")
    return (
        "<p>Carers live near hubs and work from them: each hub's carers have contracted weekly hours, a "
        "limited number of hours in each time band's window, and only drivers reach clients beyond walking "
        "distance. An allocation a board can act on must fit them.</p>"
        + _summary(hubs, variants)
        + "<h3>Rules broken, by hub and band</h3>"
        + _broken(broken, variants)
        + "<h3>Where to recruit</h3><p>Recruited: carers the optimiser added (variants with recruit = true), "
        "at the variant's weekly cost per carer. Still short: the carers each hub would need, beyond those, "
        "to serve the clients left unmet that it could reach and, for today's allocation, to deliver what "
        "it already serves.</p>" + _recruitment(recruitment, variants)
    )
