"""The report's charts, drawn offline by matplotlib (Agg canvas, SVG output) and inlined in the page.

The SVG keeps its text as ``<text>`` (``svg.fonttype = none``: the page's own fonts, nothing fetched),
drops matplotlib's metadata and XML namespaces (the HTML parser gives inline SVG its namespace), and gets
fixed ids (``svg.hashsalt``) and no date, so the same run draws the same bytes. matplotlib escapes the text
it writes; labels are also kept out of mathtext (``text.parse_math = False``), so ``$`` in a provider's
name is text.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from functools import lru_cache

from commissioning.report.model import PALETTE, digits_for, fmt, is_num

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "care-commissioning-report",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#8a949e",
    "axes.labelcolor": "#1d2733",
    "xtick.color": "#5b6673",
    "ytick.color": "#1d2733",
}
_INK = "#1d2733"
_MUTED = "#5b6673"


def _svg(fig, title: str) -> str:
    """The figure as inline SVG: no XML prolog, comments, metadata or namespace URLs; labelled for readers."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    text = re.sub(r'\s+version="1\.1"', "", text)
    # ids: only those the chart refers to (clip paths), made unique to the chart; the rest dropped
    prefix = "c" + hashlib.sha1(text.encode()).hexdigest()[:8] + "-"
    used = set(re.findall(r"url\(#([^)]+)\)", text)) | set(re.findall(r'href="#([^"]+)"', text))
    text = re.sub(r'\sid="([^"]+)"', lambda m: f' id="{prefix}{m[1]}"' if m[1] in used else "", text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m[1]}"', text)
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("<svg", f'<svg class="chart" role="img" aria-label="{label}"', 1).strip()


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=96)
    FigureCanvasAgg(fig)
    return fig


@lru_cache(maxsize=1)
def prepare() -> None:
    """Import matplotlib and load its font by drawing a throw-away chart, once per process: a process that
    forks workers to draw reports (a run, the web app, a sweep's workers) does it once, before forking,
    instead of every worker paying it for every report (0.9 s of a 40-client run's 1.7-s report)."""
    bar_chart("", ["a"], [("", [1.0])])


def _ticks(ax, unit: str) -> None:
    """Tick labels as the tables print numbers: thousands separators, £ for money."""
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fmt(x, unit if unit.startswith("GBP") else "",
                                                                    digits=0)))


def _unit_word(unit: str) -> str:
    return {"GBP/week": "£ a week", "hours/week": "hours a week", "clients": "clients"}.get(unit, unit)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "",
    colours: Sequence[str] | None = None,
) -> str:
    """Horizontal bars as inline SVG: one group per category, one bar per series; "no figure" when missing."""
    import matplotlib

    colours = list(colours or PALETTE[1:])
    vals = [float(v) for _, vs in series for v in vs if is_num(v)]
    digits = digits_for(vals, unit)
    top = max([abs(v) for v in vals] + [0.0]) or 1.0
    n, k = len(categories), max(1, len(series))
    with matplotlib.rc_context(_RC):
        fig = _figure(5.2, 0.9 + 0.32 * n * k + 0.25 * (k > 1))
        ax = fig.add_subplot()
        h = 0.8 / k
        for si, (name, vs) in enumerate(series):
            for ci in range(n):
                v = vs[ci] if ci < len(vs) else None
                y = ci + (si - (k - 1) / 2) * h
                if is_num(v):
                    ax.barh(y, max(0.0, float(v)), height=h * 0.9, color=colours[si % len(colours)],
                            label=name if ci == 0 and name else None)
                    ax.text(max(0.0, float(v)) + top * 0.01, y, fmt(v, unit, digits=digits), va="center",
                            fontsize=8, color=_MUTED)
                else:
                    ax.text(top * 0.01, y, "no figure", va="center", fontsize=8, color=_MUTED)
        ax.set_yticks(range(n), list(categories))
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.25)
        _ticks(ax, unit)
        ax.set_xlabel(_unit_word(unit))
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=_INK)
        if k > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.28), ncol=k, fontsize=8, frameon=False)
        fig.tight_layout()
        return _svg(fig, title)


def diverging_chart(
    title: str,
    rows: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "hours/week",
    colours: Sequence[str] | None = None,
) -> str:
    """Diverging horizontal bars around zero: gains to the right, losses to the left."""
    import matplotlib

    colours = list(colours or PALETTE[1:])
    vals = [float(v) for _, vs in series for v in vs if is_num(v)]
    digits = digits_for([abs(v) for v in vals], unit)
    top = max([abs(v) for v in vals] + [0.0]) or 1.0
    n, k = len(rows), max(1, len(series))
    with matplotlib.rc_context(_RC):
        fig = _figure(7.0, 1.1 + 0.22 * n * k)
        ax = fig.add_subplot()
        h = 0.8 / k
        for si, (name, vs) in enumerate(series):
            for ri in range(n):
                v = vs[ri] if ri < len(vs) else None
                if not is_num(v):
                    continue
                y = ri + (si - (k - 1) / 2) * h
                ax.barh(y, float(v), height=h * 0.9, color=colours[si % len(colours)],
                        label=name if ri == 0 else None)
                pad = top * 0.02 * (1 if v >= 0 else -1)
                ax.text(float(v) + pad, y, fmt(v, signed=True, digits=digits), va="center",
                        ha="left" if v >= 0 else "right", fontsize=7, color=_MUTED)
        ax.axvline(0, color="#8a949e", linewidth=1)
        ax.set_yticks(range(n), [r if len(r) <= 30 else r[:29] + "…" for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(-top * 1.3, top * 1.3)
        _ticks(ax, "")
        ax.set_xlabel(f"◀ loses · {_unit_word(unit)} · gains ▶")
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=_INK)
        if k > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.28), ncol=k, fontsize=8, frameon=False)
        fig.tight_layout()
        return _svg(fig, title)
