"""The board report: one self-contained HTML page built from a run's output folder.

:func:`write_report` reads the files the runner writes (see the README's *Output folder*):

* ``kpis.json`` (required): ``{"scenarios": {variant: {kpi: value, ..., "solver": {...}}}, "variants": [...],
  "assumptions": {...}, "travel_model": ..., "current_variant": ..., "warnings": [...], "data": {...}}``;
* ``kpis.csv``: units and families (economy, efficiency, effectiveness, equity, downstream, funding);
* ``providers.csv`` (winners and losers), ``zones.csv``, ``broken_rules.csv``, ``<variant>/allocation.csv``
  (why need is unmet, exemptions), ``hubs.csv`` and ``recruitment.csv`` (workforce), ``ranks.csv`` (the
  Ranked zoning section, only when some variant is ranked);
* ``maps/*.html`` (linked, relatively), ``inputs/providers.csv`` (viability thresholds) and
  ``inputs/dataset.json`` (where the data come from), if present;

and writes ``report.html`` atomically. The page is rendered from Jinja2 templates (``templates/``) with
autoescape, so every string from data is escaped; its charts are drawn offline by matplotlib as inline SVG
(:mod:`commissioning.report.charts`). It loads nothing from anywhere: CSS inline, no script, no font.
Every number shown for a KPI, a provider or a zone carries machine-readable attributes
(``data-kpi``/``data-provider``/``data-zone``, ``data-variant``, ``data-field``, ``data-value`` = the value
exactly as in the source file), so a test can parse the page back and check it agrees with the tables.
The headline, the recommended variant (by :mod:`commissioning.results.recommend`'s rule), the "read this
first" box and the parameters table come from :mod:`commissioning.report.story`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from commissioning.report import sections
from commissioning.report.model import LOSS_FLAG_PCT, ReportError, Run, fmt, load_run
from commissioning.report.ranks import ranked_zoning
from commissioning.report.story import headline, parameters, read_first
from commissioning.report.templating import render
from commissioning.report.workforce import workforce

__all__ = ["ReportError", "write_report", "render_report", "LOSS_FLAG_PCT"]

TITLE = "Care at home commissioning — board report"
_NAV = [
    ("read-first", "Read this first"),
    ("summary", "What changes"),
    ("charts", "At a glance"),
    ("kpis", "Measures by the four Es"),
    ("providers", "Winners and losers"),
    ("zones", "Patches"),
    ("ranks", "Ranked zoning"),  # only when some variant is ranked
    ("workforce", "Workforce"),
    ("maps", "Maps"),
    ("assumptions", "Assumptions and solver"),
    ("data", "Personal data"),
]
_TRAVEL_MODELS = {
    "network": "road network with ferries (crossing times, waits, first and last sailings)",
    "approximate": "great-circle distance × circuity ÷ speed (approximate)",
}


def _subtitle(run: Run) -> str:
    parts = [f"Variants compared: {', '.join(run.variants)}", f"baseline: {run.baseline}"]
    if run.scenario_name:
        parts.insert(0, run.scenario_name)
    if run.region:
        parts.insert(1 if run.scenario_name else 0, f"Region: {run.region}")
    return " · ".join(parts)


def _parameters(run: Run):
    tm = run.travel_model or "not stated"
    extra = [
        ("travel_model", "Travel model", _TRAVEL_MODELS.get(tm, tm)),
        ("report.loss_flag_percent", "Report: provider-loss flag", fmt(LOSS_FLAG_PCT, "%")),
    ]
    return parameters(run, extra)


def render_report(out_dir: str | Path, maps: list[str] | None = None) -> str:
    """The report page as a string (see :func:`write_report`)."""
    run = load_run(Path(out_dir), maps)
    head = headline(run)
    ranks = ranked_zoning(run)
    return render(
        "report.html.j2",
        title=TITLE,
        sub=_subtitle(run),
        nav=[(sid, name) for sid, name in _NAV if sid != "ranks" or ranks],
        variants=run.variants,
        baseline=run.baseline,
        missing_files=run.missing_files,
        read_first=read_first(run),
        headline=head,
        charts=sections.charts(run),
        families=sections.families(run),
        providers=sections.providers(run, head.recommendation.variant),
        zones=sections.zones(run),
        zone_metrics=sections.zone_metrics(run),
        reasons=sections.unmet_reasons(run),
        ranks=ranks,
        workforce=workforce(run.out_dir, run.variants),
        maps=[(m, "maps/" + quote(m), sections.map_description(m)) for m in run.maps],
        parameters=_parameters(run),
        solver=sections.solver_rows(run),
    )


def write_report(out_dir: str | Path, maps: list[str] | None = None) -> Path:
    """Write ``OUT/report.html`` from the run's output folder ``OUT`` and return its path. ``maps``: the map
    files it links (default: those in ``OUT/maps``), for a report drawn while its maps are.

    The write is atomic (a temporary file in ``OUT`` renamed over the target), so a reader never sees half a
    page. Raises :class:`ReportError` if ``OUT/kpis.json`` is missing or unreadable; other missing files leave
    their sections empty with a note.
    """
    out = Path(out_dir)
    page = render_report(out, maps)
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
