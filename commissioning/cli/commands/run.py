"""``commissioning run SCENARIO.toml --out DIR``: solve every variant of a scenario file, write the report."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Solve (or, for mode = "current", evaluate) every variant of a scenario file and write DIR: kpis.json,
kpis.csv, providers.csv, zones.csv, <variant>/allocation.csv, workbook.xlsx, report.html, maps and the
data used. Writes are atomic: a failed run leaves no half-written folder. The scenario file format is in
the README (an example: commissioning/data/argyll_bute_default.toml)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="solve a scenario file's variants and write KPIs, tables, workbook and report",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="scenario file (TOML)")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (new or empty; see --force)"
    )
    add_run_options(parser)
    parser.set_defaults(func=run)


def add_run_options(parser: argparse.ArgumentParser, *, renamed: dict[str, str] | None = None) -> None:
    """How every optimised variant searches (the ``[solver]`` switches), then what the run writes."""
    from commissioning.cli.commands import options
    from commissioning.scenario import switches

    group = parser.add_argument_group("solver (over every optimised variant's own values)")
    options.add_switches(group, switches.search_fields(), renamed)
    parser.add_argument("--no-routing", action="store_true", help="skip the routed (chained runs) travel")
    parser.add_argument("--force", action="store_true", help="replace --out if this tool wrote it")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args) -> int:
    from commissioning.errors import ScenarioError
    from commissioning.running.run import run_scenario
    from commissioning.scenario.file import load_scenario_file

    if (wrong := folder_not_scenario(args.scenario)) is not None:
        raise ScenarioError(wrong)
    scenario = load_scenario_file(args.scenario)
    result = run_scenario(
        scenario,
        args.out,
        overrides=solver_overrides(args),
        force=args.force,
        quiet=args.quiet,
        routing=False if args.no_routing else None,
    )
    print(summary_text(result))
    return 0


def folder_not_scenario(path: str) -> str | None:
    """The error for a folder given as the scenario file (else ``None``): "no such scenario file" would
    send the user looking for a path that is there."""
    from pathlib import Path

    from commissioning.scenario.file import DEFAULT_SCENARIO

    folder = Path(path)
    if not folder.is_dir():
        return None
    inside = sorted(str(p) for p in folder.glob("*.toml") if p.is_file())[:3]
    example = (
        f"one of the .toml files inside it: {', '.join(inside)}"
        if inside
        else f"a .toml scenario file (an example: {DEFAULT_SCENARIO})"
    )
    return f"{path} is a folder, not a scenario file. Fix: give the path of {example}."


def summary_text(result) -> str:
    """A short table of the headline KPIs per variant, warnings, and where the report is."""
    kpis = result.kpis
    rows = [
        ("cost £/week", "cost_per_week_gbp", "{:,.0f}"),
        ("travel h/week", "travel_hours_per_week", "{:,.0f}"),
        ("travel h/week routed", "travel_hours_per_week_routed", "{:,.0f}"),
        ("km/week", "km_per_week", "{:,.0f}"),
        ("care h/week", "care_hours_assigned", "{:,.0f}"),
        ("unmet h/week", "unmet_hours_per_week", "{:,.0f}"),
        ("clients unmet", "clients_unmet", "{:,d}"),
        ("clients moved", "clients_moved", "{:,d}"),
        ("max providers/zone", "max_providers_per_zone", "{:,d}"),
        ("  not client's choice", "max_providers_per_zone_excluding_own_choice", "{:,d}"),
        ("bed-days/week (est.)", "delayed_discharge_bed_days_per_week", "{:,.1f}"),
        ("solver status", ("solver", "status"), "{}"),
        ("solver gap %", ("solver", "gap"), "{:.2%}"),
        ("solve seconds", ("solver", "seconds"), "{:.1f}"),
    ]
    names = kpis["variants"]
    width = max(12, *(len(n) + 2 for n in names))
    lines = [f"{'':<22}" + "".join(f"{n:>{width}}" for n in names)]
    for label, key, fmt in rows:
        cells = []
        for n in names:
            values = kpis["scenarios"][n]
            value = values[key[0]][key[1]] if isinstance(key, tuple) else values[key]
            if key == ("solver", "gap") and value is not None:
                cells.append(f"{value * 100:.2f}")
                continue
            cells.append("—" if value is None else fmt.format(value))
        lines.append(f"{label:<22}" + "".join(f"{c:>{width}}" for c in cells))
    for warning in kpis["warnings"]:
        lines.append(f"warning: {warning.removeprefix('WARNING: ')}")  # a finding of the data says it too
    lines.append(
        f"wrote {len(result.files)} files in {result.seconds:.1f} s; report: {result.out_dir / 'report.html'}"
    )
    return "\n".join(lines)


def solver_overrides(args) -> dict:
    from commissioning.cli.commands import options
    from commissioning.scenario import switches

    return options.given(args, switches.search_fields())
