"""The board report: written from a fake output folder (the runner is not needed), parsed back and compared.

The fixture writes the files of the README's *Output folder* contract by hand: kpis.json, kpis.csv,
providers.csv (with a provider called ``<script>alert(1)</script>``), zones.csv, one allocation.csv per
variant and a maps/ folder with two maps.
"""

from __future__ import annotations

import csv
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from commissioning.report.page import LOSS_FLAG_PCT, ReportError, render_report, write_report

EVIL = "<script>alert(1)</script>"

# KPI name -> (unit, family, {variant: value}); values chosen to be awkward for formatting (0.1 + 0.2 etc.)
KPIS: dict[str, tuple[str, str, dict[str, float]]] = {
    "care_cost_per_week_gbp": (
        "GBP/week",
        "economy",
        {"current": 101234.5678, "optimised": 99876.1, "zoned": 98765.4321},
    ),
    "travel_cost_per_week_gbp": (
        "GBP/week",
        "economy",
        {"current": 21000.25, "optimised": 17500.0, "zoned": 16012.75},
    ),
    "cost_per_week_gbp": (
        "GBP/week",
        "economy",
        {"current": 122234.8178, "optimised": 117376.1, "zoned": 114778.1821},
    ),
    "cost_per_care_hour_gbp": ("GBP/hour", "economy", {"current": 29.3512, "optimised": 28.1, "zoned": 27.9}),
    "travel_hours_per_week": (
        "hours/week",
        "efficiency",
        {"current": 1410.3, "optimised": 1180.0, "zoned": 1066.6666666666667},
    ),
    "travel_hours_per_week_routed": (
        "hours/week",
        "efficiency",
        {"current": 980.5, "optimised": 850.25, "zoned": 760.0},
    ),
    "travel_share_of_paid_time": (
        "share",
        "efficiency",
        {"current": 0.30000000000000004, "optimised": 0.26, "zoned": 0.24},
    ),
    "km_per_week": ("km/week", "efficiency", {"current": 52001.0, "optimised": 44000.5, "zoned": 40000.0}),
    "care_hours_assigned": (
        "hours/week",
        "effectiveness",
        {"current": 3300.5, "optimised": 3360.0, "zoned": 3355.0},
    ),
    "unmet_hours_per_week": (
        "hours/week",
        "effectiveness",
        {"current": 120.5, "optimised": 61.0, "zoned": 66.0},
    ),
    "clients_total": ("clients", "effectiveness", {"current": 1000, "optimised": 1000, "zoned": 1000}),
    "clients_assigned": ("clients", "effectiveness", {"current": 960, "optimised": 981, "zoned": 979}),
    "clients_unmet": ("clients", "effectiveness", {"current": 40, "optimised": 19, "zoned": 21}),
    "clients_moved": ("clients", "effectiveness", {"current": 0, "optimised": 212, "zoned": 301}),
    "longest_travel_minutes": (
        "minutes",
        "effectiveness",
        {"current": 95.0, "optimised": 71.5, "zoned": 64.0},
    ),
    "max_providers_per_zone": ("providers", "equity", {"current": 7, "optimised": 5, "zoned": 2}),
    "travel_minutes_per_visit_remote": (
        "minutes",
        "equity",
        {"current": 31.2, "optimised": 26.0, "zoned": 24.1},
    ),
    "travel_minutes_per_visit_towns": ("minutes", "equity", {"current": 9.8, "optimised": 8.0, "zoned": 7.7}),
    "largest_provider_loss_pct": ("%", "equity", {"current": 0.0, "optimised": -18.5, "zoned": -41.25}),
    "delayed_discharge_bed_days_per_week": (
        "bed-days/week",
        "downstream",
        {"current": 12.05, "optimised": 6.1, "zoned": 6.6},
    ),
    "delayed_discharge_cost_per_week_gbp": (
        "GBP/week",
        "downstream",
        {"current": 3012.5, "optimised": 1525.0, "zoned": 1650.0},
    ),
    "delayed_discharge_bed_days_per_week_change_vs_current": (
        "bed-days/week",
        "downstream",
        {"current": 0.0, "optimised": -5.95, "zoned": -5.45},
    ),
    "cost_council_per_week_gbp": (
        "GBP/week",
        "funding",
        {"current": 85564.37, "optimised": 82163.27, "zoned": 80344.73},
    ),
    "cost_nhs_per_week_gbp": (
        "GBP/week",
        "funding",
        {"current": 36670.4478, "optimised": 35212.83, "zoned": 34433.4521},
    ),
}
VARIANTS = ["current", "optimised", "zoned"]

PROVIDERS = [  # provider_id, name, kind, hours per variant
    ("P01", "Argyll Homecare Ltd", "independent", {"current": 900.0, "optimised": 1010.5, "zoned": 1200.25}),
    ("P02", EVIL, "national", {"current": 700.0, "optimised": 650.0, "zoned": 380.0}),
    (
        "P03",
        "Mull & Iona Community Care",
        "third_sector",
        {"current": 410.0, "optimised": 430.0, "zoned": 455.0},
    ),
    ("P04", "Council In-House", "in_house", {"current": 1290.5, "optimised": 1269.5, "zoned": 1319.75}),
]

ZONES = [("Z01", "Oban", "no"), ("Z02", "Mull", "yes"), ("Z03", "Islay & Jura", "yes")]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def make_output(
    root: Path,
    variants: list[str] = VARIANTS,
    travel_model: str = "network",
    maps: bool = True,
    drop: dict[str, list[str]] | None = None,
) -> Path:
    """A fake output folder following the README contract; ``drop`` removes KPIs from given variants."""
    out = root / "out"
    out.mkdir(parents=True)
    drop = drop or {}

    def value(kpi: str, v: str) -> float:
        vals = KPIS[kpi][2]
        if v in vals:
            return vals[v]
        i = variants.index(v)  # extra variants: derived from optimised, deterministic
        return round(vals["optimised"] * (1 - 0.01 * i), 3)

    scenarios = {}
    for i, v in enumerate(variants):
        block: dict[str, object] = {k: value(k, v) for k in KPIS if k not in drop.get(v, [])}
        block["solver"] = (
            {"status": "EVALUATED", "objective": None, "bound": None, "gap": None, "seconds": 0.01}
            if v == "current"
            else {
                "status": "FEASIBLE",
                "objective": 123456.5 + i,
                "bound": 123000.25,
                "gap": 0.0036963,
                "seconds": 12.5,
            }
        )
        scenarios[v] = block
    assumptions = {
        "staff_cost_per_hour_gbp": 21.5,
        "mileage_rate_gbp_per_km": 0.45,
        "bed_day_cost_gbp": 250.0,
        "unmet_hours_per_bed_day": 10.0,
        "region": "argyll-bute",
        "funders": {"council_share": 0.7, "nhs_share": 0.3},
        "notes": f"pilot {EVIL}",
    }
    (out / "kpis.json").write_text(
        json.dumps(
            {
                "scenarios": scenarios,
                "variants": variants,
                "assumptions": assumptions,
                "travel_model": travel_model,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    _write_csv(
        out / "kpis.csv",
        ["kpi", "unit", "family", *variants],
        [[k, unit, fam, *[repr(value(k, v)) for v in variants]] for k, (unit, fam, _) in KPIS.items()],
    )
    prow = []
    for v in variants:
        for pid, name, kind, hours in PROVIDERS:
            h = hours.get(v, hours["optimised"])
            cur = hours["current"]
            prow.append(
                [
                    v,
                    pid,
                    name,
                    kind,
                    h,
                    int(h / 9),
                    round(h * 0.21, 2),
                    round(h * 29.35, 2),
                    round(h - cur, 2),
                    round((h - cur) / cur * 100, 4),
                ]
            )
    _write_csv(
        out / "providers.csv",
        [
            "variant",
            "provider_id",
            "name",
            "kind",
            "care_hours",
            "clients",
            "travel_hours",
            "revenue_gbp",
            "change_hours_vs_current",
            "change_pct_vs_current",
        ],
        prow,
    )
    zrow = []
    for i, v in enumerate(variants):
        for j, (zid, name, remote) in enumerate(ZONES):
            zrow.append(
                [
                    v,
                    zid,
                    name,
                    remote,
                    5 - i - j % 2,
                    "P01;P02",
                    1000.5 + j,
                    10.25 * (j + 1) / (i + 1),
                    22.5 - i,
                ]
            )
    _write_csv(
        out / "zones.csv",
        [
            "variant",
            "zone_id",
            "name",
            "remote",
            "providers",
            "provider_ids",
            "care_hours",
            "unmet_hours",
            "travel_minutes_per_visit",
        ],
        zrow,
    )
    for v in variants:
        rows = []
        for c in range(20):
            unmet = c % 7 == 0
            rows.append(
                [
                    f"C{c:04d}",
                    "" if unmet else "P01",
                    "unmet" if unmet else "assigned",
                    "no provider with a carer who drives" if unmet else "",
                    ZONES[c % 3][0],
                    12.5,
                    "yes" if c % 5 == 0 and v != "current" else "no",
                    7.0,
                    14,
                    2 if c == 7 else 1,  # a double-up visit: 14 care hours (billable), 7 assessed
                    "council",
                    14.0 if c == 7 else 7.0,
                ]
            )
        _write_csv(
            out / v / "allocation.csv",
            [
                "client_id",
                "provider_id",
                "status",
                "reason",
                "zone",
                "travel_minutes_per_visit",
                "moved",
                "weekly_hours",
                "visits_per_week",
                "carers_per_visit",
                "funder",
                "care_hours_per_week",
            ],
            rows,
        )
    if maps:
        (out / "maps").mkdir()
        for name in ("coverage_current.html", "compare_current_vs_zoned.html"):
            (out / "maps" / name).write_text("<html></html>", encoding="utf-8")
    return out


class _Cells(HTMLParser):
    """Collects every element's attributes, and the text of <a> links."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, str | None]] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        self.elements.append(d | {"__tag": tag})
        if "href" in d:
            self.hrefs.append(d["href"] or "")
        if "src" in d:
            self.srcs.append(d["src"] or "")


def parse(html: str) -> _Cells:
    p = _Cells()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_output(tmp_path_factory.mktemp("run"))
    write_report(folder)
    return folder


@pytest.fixture(scope="module")
def page(out: Path) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def test_report_written_atomically(out: Path, page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert [p.name for p in out.iterdir() if p.name.startswith(".report-")] == []
    assert write_report(out) == out / "report.html"


def test_every_kpi_value_agrees_with_kpis_json(out: Path, page: str) -> None:
    cells = {
        (e["data-kpi"], e["data-variant"]): e.get("data-value")
        for e in parse(page).elements
        if "data-kpi" in e
    }
    data = json.loads((out / "kpis.json").read_text())
    checked = 0
    for v, block in data["scenarios"].items():
        for name, value in block.items():
            if name == "solver":
                for f, sv in value.items():
                    if isinstance(sv, float):
                        assert float(cells[("solver." + f, v)]) == sv
                        checked += 1
                continue
            assert (name, v) in cells, f"{name} / {v} missing from the report"
            assert cells[(name, v)] is not None and float(cells[(name, v)]) == value, (name, v)
            checked += 1
    assert checked >= len(KPIS) * len(VARIANTS)


def test_kpis_grouped_by_the_four_es_with_units(page: str) -> None:
    positions = [
        page.index(f'id="family-{f}"')
        for f in ("economy", "efficiency", "effectiveness", "equity", "downstream", "funding")
    ]
    assert positions == sorted(positions)
    econ, eff = positions[0], positions[1]
    assert econ < page.index('data-kpi="cost_per_care_hour_gbp"') < eff
    assert "GBP/hour" in page and "bed-days/week" in page
    # formatted for people: thousands separators and pounds
    assert "£122,235" in page and "1,410" in page
    # the downstream estimate shows its parameters
    assert "Estimate parameters" in page and "Bed day cost (£) = £250" in page


def test_providers_table_matches_providers_csv(out: Path, page: str) -> None:
    cells = {
        (e["data-provider"], e["data-variant"], e["data-field"]): e["data-value"]
        for e in parse(page).elements
        if "data-provider" in e
    }
    with (out / "providers.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(PROVIDERS) * len(VARIANTS)
    for row in rows:
        for f in (
            "care_hours",
            "clients",
            "travel_hours",
            "revenue_gbp",
            "change_hours_vs_current",
            "change_pct_vs_current",
        ):
            key = (row["provider_id"], row["variant"], f)
            assert key in cells, key
            assert float(cells[key]) == float(row[f]), key


def test_losers_are_flagged(page: str) -> None:
    # P02 loses (700 -> 380) = -45.7% in zoned: flagged; P01 gains: not flagged
    flag = f"loses more than {LOSS_FLAG_PCT:.0f}%"
    table = page.split('<table class="providers">')[1].split("</table>")[0]
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)
    p02 = next(r for r in rows if "P02" in r)
    p01 = next(r for r in rows if "P01" in r)
    assert flag in p02 and flag not in p01
    assert "winners and losers stall" in page


def test_zones_table_matches_zones_csv(out: Path, page: str) -> None:
    cells = {
        (e["data-zone"], e["data-variant"], e["data-field"]): e["data-value"]
        for e in parse(page).elements
        if "data-zone" in e
    }
    with (out / "zones.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for f in ("providers", "unmet_hours", "travel_minutes_per_visit"):
                assert float(cells[(row["zone_id"], row["variant"], f)]) == float(row[f])


def test_data_strings_are_escaped(page: str) -> None:
    assert EVIL not in page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_links_to_existing_maps_are_relative(page: str) -> None:
    hrefs = parse(page).hrefs
    assert "maps/coverage_current.html" in hrefs
    assert "maps/compare_current_vs_zoned.html" in hrefs
    assert all(h.startswith("#") or h.startswith("maps/") for h in hrefs), hrefs


def test_no_external_resources(page: str) -> None:
    p = parse(page)
    assert p.srcs == []
    assert not any(re.match(r"\s*(https?:)?//", h) for h in p.hrefs)
    # url(#id) is a chart's own clip path; any other url( could fetch
    assert not re.search(r"<link\b|@import|url\((?!#)|<script|<iframe|<img", page, re.I)
    assert "http://" not in page and "https://" not in page


def test_headline_names_the_changes(page: str) -> None:
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    # zoned has the lowest whole-system cost: it is recommended
    assert 'data-recommended="zoned"' in summary and "Recommended: zoned" in summary
    assert "£7,457 a week less than current" in summary  # 122,234.82 - 114,778.18
    assert "301" in summary and "clients would change provider" in summary
    assert "on chained runs" in summary


def test_charts_are_inline_svg(page: str) -> None:
    assert page.count("<svg") >= 5  # cost, travel, unmet, moved, winners and losers
    assert "chained runs (routed)" in page


def test_assumptions_and_solver_shown(page: str) -> None:
    assert "staff_cost_per_hour_gbp" in page and "£21.50" in page
    assert "FEASIBLE" in page and "0.37%" in page  # gap 0.0036963
    assert "road network with ferries" in page
    assert "approximate-travel" not in page
    assert "Personal data" in page and "Provider-facing" in page


def test_approximate_travel_banner(tmp_path: Path) -> None:
    html = render_report(make_output(tmp_path, travel_model="approximate"))
    assert 'id="approximate-travel"' in html
    assert "travel times are great-circle estimates" in html


def test_missing_kpis_and_files_show_a_dash(tmp_path: Path) -> None:
    folder = make_output(
        tmp_path, maps=False, drop={"zoned": ["travel_hours_per_week_routed"], "current": ["clients_moved"]}
    )
    (folder / "providers.csv").unlink()
    (folder / "kpis.csv").unlink()
    html = render_report(folder)
    cells = {(e["data-kpi"], e["data-variant"]): e for e in parse(html).elements if "data-kpi" in e}
    assert "data-value" not in cells[("travel_hours_per_week_routed", "zoned")]
    assert "data-value" in cells[("travel_hours_per_week_routed", "optimised")]
    assert "No maps in maps/" in html and "providers.csv not found" in html
    # without kpis.csv, families and units are guessed from the names
    assert 'id="family-economy"' in html and "GBP/week" in html


@pytest.mark.parametrize(
    "variants",
    [["current"], ["optimised"], ["current", "optimised", "zoned", "zoned_k3", "pools_off", "no_moves"]],
)
def test_any_number_of_variants(tmp_path: Path, variants: list[str]) -> None:
    html = render_report(make_output(tmp_path, variants=variants))
    cells = [e for e in parse(html).elements if e.get("data-kpi") == "cost_per_week_gbp"]
    assert [e["data-variant"] for e in cells] == variants
    assert all(math.isfinite(float(e["data-value"])) for e in cells)
    if len(variants) == 1:
        assert "Only one variant was run" in html


def test_missing_kpis_json_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="kpis.json not found"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def _add_solver_rows(folder: Path, variants: list[str] = VARIANTS) -> None:
    """The solver rows the runner appends to kpis.csv: text status, empty cells where there is no figure."""
    statuses = {"current": "EVALUATED", "optimised": "OPTIMAL", "zoned": "FEASIBLE"}
    with (folder / "kpis.csv").open("a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["solver_status", "", "solver", *[statuses[v] for v in variants]])
        w.writerow(
            ["solver_bound", "GBP/week", "solver", *["" if v == "current" else "123000.25" for v in variants]]
        )


def _cells_by_kpi(html: str) -> dict[tuple[str, str], dict[str, str | None]]:
    return {(e["data-kpi"], e["data-variant"]): e for e in parse(html).elements if "data-kpi" in e}


def test_text_kpis_show_their_text_and_dash_only_when_empty(tmp_path: Path) -> None:
    folder = make_output(tmp_path)
    _add_solver_rows(folder)
    data = json.loads((folder / "kpis.json").read_text())
    for block in data["scenarios"].values():  # kpis.csv alone carries the text
        del block["solver"]
    (folder / "kpis.json").write_text(json.dumps(data), encoding="utf-8")
    cells = _cells_by_kpi(render_report(folder))
    assert [cells[("solver_status", v)].get("data-text") for v in VARIANTS] == [
        "EVALUATED",
        "OPTIMAL",
        "FEASIBLE",
    ]
    assert "data-text" not in cells[("solver_bound", "current")]  # empty in the CSV: a dash
    assert cells[("solver_bound", "current")].get("class") == "num missing"
    assert float(cells[("solver_bound", "zoned")]["data-value"]) == 123000.25


def test_solver_status_row_uses_kpis_json_when_both_are_there(tmp_path: Path) -> None:
    folder = make_output(tmp_path)
    _add_solver_rows(folder)  # the CSV says OPTIMAL for optimised; kpis.json says FEASIBLE: kpis.json wins
    html = render_report(folder)
    cells = _cells_by_kpi(html)
    assert [cells[("solver_status", v)].get("data-text") for v in VARIANTS] == [
        "EVALUATED",
        "FEASIBLE",
        "FEASIBLE",
    ]
    row = re.search(r"Solver status.*?</tr>", html)
    assert row and "EVALUATED" in row.group(0) and "—" not in row.group(0)


def test_downstream_line_shows_the_formula_and_mean_package_hours(tmp_path: Path) -> None:
    folder = make_output(tmp_path)
    data = json.loads((folder / "kpis.json").read_text())
    data["assumptions"]["downstream"] = {
        "share_of_unmet_clients_in_hospital": 0.25,
        "bed_days_per_week_per_client_in_hospital": 7.0,
        "mean_care_hours_per_package_per_week": 8.5,
        "formula": "bed-days per week = unmet care hours per week ÷ mean_care_hours_per_package_per_week",
    }
    (folder / "kpis.json").write_text(json.dumps(data), encoding="utf-8")
    html = render_report(folder)
    line = html.split("Estimate parameters:")[1].split("</td>")[0]
    assert "Downstream · mean care hours per package per week = 8.5" in line
    assert (
        "Formula: bed-days per week = unmet care hours per week ÷ mean_care_hours_per_package_per_week"
        in line
    )
    assert "Downstream · formula" not in line
    assert "converts unmet care hours" in line


def test_the_downstream_estimate_lists_only_its_own_parameters():
    """Regression: "Workforce · window hours · bed = 3" (the bed-time band's window) was listed among the
    delayed-discharge estimate's parameters, because its name holds "bed"."""
    from commissioning.report.sections import _downstream_param

    assert _downstream_param("downstream.share_waiting_in_hospital")
    assert _downstream_param("money.bed_day_cost_gbp")
    assert not _downstream_param("workforce.window_hours.bed")
    assert not _downstream_param("variants.zoned.window_hours.bed")


def test_shares_of_0_to_1_read_as_percentages():
    """Regression: the four Es' "Solver gap" (unit "share 0-1") read "0.00" for a 0.08 % gap, and every share
    of that unit printed as a bare fraction."""
    from commissioning.report.model import fmt

    assert fmt(0.0008, "share 0-1") == "0.08%" and fmt(0.0784, "share 0-1") == "7.8%"
    assert fmt(0.623, "share 0-1") == "62.3%"


def test_figures_round_half_up_as_the_workbook_reads():
    """Regression: 6.25 care hours read "6.2" in the report (half to even) and 6.25 in the workbook."""
    from commissioning.report.model import fmt

    assert fmt(6.25, "hours/week", digits=1) == "6.3" and fmt(166.25, "hours/week", digits=1) == "166.3"
    assert fmt(-2.5, "", digits=0) == "−3" and fmt(1234567.5, "GBP/week", digits=0) == "£1,234,568"


def test_a_percentage_changes_by_percentage_points(page: str):
    """Regression (a tester): "Share of paid staff time travelling 32.8% → 30.7%" had "−2.1%" under it, which
    reads as a relative change; changes of percentages and shares are percentage points."""
    from commissioning.report.model import change

    assert change(-0.021, "share 0-1", 1) == "−2.1 pp" and change(0.2, "%", 1) == "+0.2 pp"
    assert change(-2.5, "hours/week", 1) == "−2.5"
    deltas = re.findall(r'<span class="delta">([^<]*)</span>', page)
    assert deltas and not [d for d in deltas if d.endswith("%")], deltas
    assert any(d.endswith(" pp") for d in deltas) and "percentage points (pp)" in page
