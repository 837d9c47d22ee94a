"""``sweep.html``: the trade-offs of a sweep on one offline page.

Charts (matplotlib, Agg canvas, inline SVG as the report draws them: nothing fetched): total cost against
unmet need, one point per run and variant; travel against each numeric varied key; and, with draws, the
P10/P50/P90 of every KPI over the draws (a table, and a chart for cost, unmet need and travel). The page
is a Jinja2 template with autoescape: every value from the scenario or the command line is escaped.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup

from commissioning import __version__
from commissioning.report.model import PALETTE
from commissioning.sweep.plan import Plan, Vary

HEADLINE = ["cost_per_week_gbp", "unmet_hours_per_week", "travel_hours_per_week", "clients_moved"]

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sweep: {{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;color:#1d2733;max-width:70rem;margin:1.5rem auto;padding:0 1rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #d5dbe1;padding:.2rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left} .error{color:#a3211f}
svg.chart{max-width:100%;height:auto;display:block;margin:.5rem 0 1rem}
</style></head><body>
<h1>Sweep: {{ title }}</h1>
<p>{{ runs }} runs ({{ failed }} failed) of <code>{{ scenario }}</code>, varying {{ varied }} in the
variant(s) {{ variants }}{% if draws %}; {{ draws }} draws with seed {{ seed }}{% endif %}.
Every row is in <code>sweep.csv</code>. care-commissioning {{ version }}.</p>
{% if failures %}<h2>Runs that failed</h2>
<table><tr><th>values</th><th>error</th></tr>
{% for f in failures %}<tr><td>{{ f.where }}</td><td class="error">{{ f.error }}</td></tr>{% endfor %}
</table>{% endif %}
<h2>Trade-offs</h2>
{% for chart in charts %}{{ chart }}{% endfor %}
{% if bands %}<h2>Spread over the draws (P10 / P50 / P90)</h2>
{% for chart in band_charts %}{{ chart }}{% endfor %}
<table><tr><th>values</th><th>variant</th><th>KPI</th><th>P10</th><th>P50</th><th>P90</th><th>draws</th></tr>
{% for b in bands %}<tr><td>{{ b.group }}</td><td>{{ b.variant }}</td><td>{{ b.kpi }}</td>
<td>{{ b.p10 }}</td><td>{{ b.p50 }}</td><td>{{ b.p90 }}</td><td>{{ b.n }}</td></tr>{% endfor %}
</table>{% endif %}
<h2>Every run</h2>
<table><tr>{% for c in table_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in table_rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</table>
</body></html>
"""


def _env() -> Environment:
    return Environment(loader=DictLoader({"sweep.html": _TEMPLATE}), autoescape=True,
                       undefined=StrictUndefined)


def page_html(plan: Plan, rows: list[dict[str, Any]], title: str) -> str:
    ok = [r for r in rows if r["status"] == "ok"]
    keys = [v.key for v in plan.varies]
    failures = [{"where": _values(r, plan.varies), "error": r["error"]} for r in rows if r["status"] != "ok"]
    charts = [_trade_off_chart(ok)]
    charts += [_against_chart(ok, v) for v in plan.varies if _numeric(ok, v.column)]
    bands = _bands(plan, ok) if plan.draws else []
    band_charts = [_band_chart(bands, kpi) for kpi in HEADLINE[:3]] if bands else []
    shown = ["draw", *(v.column for v in plan.varies), "variant", "status", "solver_status", *HEADLINE]
    return _env().get_template("sweep.html").render(
        title=title, runs=len(plan.runs), failed=len({r["run"] for r in rows if r["status"] != "ok"}),
        scenario=str(plan.scenario_path), varied=", ".join(keys), variants=", ".join(plan.variants),
        draws=plan.draws, seed=plan.seed, version=__version__, failures=failures,
        charts=[Markup(c) for c in charts if c], band_charts=[Markup(c) for c in band_charts if c],
        bands=[b for b in bands if b["show"]], table_columns=shown,
        table_rows=[[_fmt(r.get(c)) for c in shown] for r in rows],
    )


def _values(row: dict[str, Any], varies: tuple[Vary, ...]) -> str:
    text = ", ".join(f"{v.key}={row.get(v.column)}" for v in varies)
    return text + (f", draw {row['draw']}" if row.get("draw") is not None else "")


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return str(value)


def _numeric(rows: list[dict[str, Any]], key: str) -> bool:
    values = [r.get(key) for r in rows]
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _by_variant(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["variant"]].append(row)
    return out


def _points(rows, x: str, y: str) -> tuple[list[float], list[float]]:
    pairs = [(r.get(x), r.get(y)) for r in rows]
    pairs = sorted((a, b) for a, b in pairs if isinstance(a, int | float) and isinstance(b, int | float))
    return [a for a, _ in pairs], [b for _, b in pairs]


def _chart(title: str, xlabel: str, ylabel: str, series, *, lines: bool) -> str:
    from commissioning.report.charts import _RC, _figure, _svg

    if not any(xs for _, xs, _ in series):
        return ""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, 3.4)
        ax = fig.add_subplot()
        for k, (name, xs, ys) in enumerate(series):
            colour = PALETTE[(k + 1) % len(PALETTE)]
            ax.plot(xs, ys, marker="o", linestyle="-" if lines else "none", color=colour, label=name,
                    alpha=0.85)
        if all(isinstance(x, int) for _, xs, _ in series for x in xs):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        return _svg(fig, title)


def _trade_off_chart(rows: list[dict[str, Any]]) -> str:
    series = [(name, *_points(rs, "unmet_hours_per_week", "cost_per_week_gbp"))
              for name, rs in _by_variant(rows).items()]
    return _chart("Total cost against unmet need (one point a run)", "unmet need, hours a week",
                  "total cost, £ a week", series, lines=False)


def _against_chart(rows: list[dict[str, Any]], vary: Vary) -> str:
    key = vary.key
    series = []
    for name, rs in _by_variant(rows).items():
        xs, ys = _points(rs, vary.column, "travel_hours_per_week")
        means: dict[float, list[float]] = defaultdict(list)
        for x, y in zip(xs, ys, strict=True):
            means[x].append(y)
        series.append((name, list(means), [statistics.fmean(v) for v in means.values()]))
    return _chart(f"Travel against {key} (mean over the other values)", key, "travel, hours a week",
                  series, lines=True)


def _quantile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.quantile(np.asarray(values, dtype=float), q))


def _bands(plan: Plan, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """P10/P50/P90 over the draws of every numeric KPI, per combination of the listed values and variant."""
    listed = [v for v in plan.varies if not v.drawn]
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(tuple(str(row.get(v.column)) for v in listed), row["variant"])].append(row)
    skip = {"run", "draw", "variant", "status", "error", "solver_status", *(v.column for v in plan.varies)}
    out = []
    for (values, variant), rs in groups.items():
        label = ", ".join(f"{v.key}={x}" for v, x in zip(listed, values, strict=True)) or "all"
        for kpi in [k for k in rs[0] if k not in skip]:
            xs = [r[kpi] for r in rs if isinstance(r.get(kpi), int | float) and not isinstance(r[kpi], bool)]
            if not xs:
                continue
            p = [_quantile(xs, q) for q in (0.1, 0.5, 0.9)]
            out.append({"group": label, "variant": variant, "kpi": kpi, "p10": _fmt(p[0]),
                        "p50": _fmt(p[1]), "p90": _fmt(p[2]), "n": len(xs), "raw": p,
                        "show": kpi != "solver_seconds"})
    return out


def _band_chart(bands: list[dict[str, Any]], kpi: str) -> str:
    from commissioning.report.charts import _RC, _figure, _svg

    chosen = [b for b in bands if b["kpi"] == kpi]
    if not chosen:
        return ""
    import matplotlib

    title = f"{kpi}: P10 to P90 over the draws (dot: P50)"
    with matplotlib.rc_context(_RC):
        fig = _figure(7.5, 1.0 + 0.35 * len(chosen))
        ax = fig.add_subplot()
        for k, b in enumerate(chosen):
            lo, mid, hi = b["raw"]
            ax.plot([lo, hi], [k, k], color=PALETTE[1], linewidth=4, alpha=0.5)
            ax.plot([mid], [k], "o", color=PALETTE[1])
        ax.set_yticks(range(len(chosen)), [f"{b['group']} · {b['variant']}" for b in chosen])
        ax.invert_yaxis()
        fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return _svg(fig, title)
