"""Whole tables of the dataset folder: typed rows, then the checks across cells, rows and tables
(unique ids, row rules, implausible figures, references between tables)."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from commissioning.errors import Problem
from commissioning.inputs.cells import INVALID, parse_cell
from commissioning.inputs.schema import BAND_VISITS_NAMES, CSV_TABLES, Table, number_text
from commissioning.inputs.tables import rows_text
from commissioning.vocabulary import BAND_NAMES, LIST_SEPARATOR


@dataclass
class ParsedTable:
    table: Table
    source: str
    rows: list[int]  # spreadsheet row numbers
    values: list[dict[str, Any]]  # typed values per row (INVALID where a Problem was recorded)
    complete: bool = True  # False: checking stopped early (too many errors), later rows are left out
    # Per row, the columns with an ``assumed`` default that the row left empty (or the file left out).
    assumed: list[tuple[str, ...]] = field(default_factory=list)

    def ids(self) -> set[str]:
        key = self.table.id_column
        return {v[key] for v in self.values if isinstance(v.get(key), str)}

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.values


def parse_table(frame, table: Table, source: str, problems: list[Problem]) -> ParsedTable:
    """Typed values of every row; stops early (``complete=False``) once ``source`` has as many errors as are
    listed: a file that wrong is usually the wrong file, and checking on only costs time."""
    rows = [int(r) for r in frame.index]
    columns = list(table.columns)
    present = set(frame.columns)
    cells = {c.name: frame[c.name].tolist() if c.name in present else None for c in columns}
    assumable = [c.name for c in columns if c.assumed]
    unparsed = set(frame.attrs.get("unparsed_rows", ()))
    full = getattr(problems, "full", lambda _: False)
    values: list[dict[str, Any]] = []
    assumed: list[tuple[str, ...]] = []
    for i, row in enumerate(rows):
        if full(source):
            problems.stop_rows(source, row, rows[-1])
            rows = rows[:i]
            break
        if row in unparsed:  # cells shifted by an unquoted comma: its own Problem says so
            values.append(_unparsed_record(table, cells, i, source, row, problems))
            assumed.append(())
            continue
        record: dict[str, Any] = {}
        for col in columns:
            column_cells = cells[col.name]
            if column_cells is None:
                record[col.name] = col.default if not col.required else INVALID  # missing column: reported
                continue
            record[col.name] = parse_cell(column_cells[i], col, source, row, problems)
        values.append(record)
        assumed.append(tuple(n for n in assumable if cells[n] is None or cells[n][i] == ""))
    complete = len(values) == len(frame) and source not in getattr(problems, "unchecked", {})
    parsed = ParsedTable(table, source, rows, values, complete, assumed)
    _check_unique(parsed, problems)
    _check_rows(parsed, problems)
    _check_plausible(parsed, problems)
    _warn_assumed(parsed, {n for n in assumable if cells[n] is None}, problems)
    return parsed


def _warn_assumed(parsed: ParsedTable, absent: set[str], problems: list[Problem]) -> None:
    """One warning per file naming every default assumed (a missing column or empty cells): an old file
    keeps working, and the commissioner sees which workforce figures were not theirs."""
    used = [c for c in parsed.table.columns if any(c.name in names for names in parsed.assumed)]
    if not used:
        return
    missing = [c.name for c in used if c.name in absent]
    where = []
    if missing:
        where.append(f"no {' or '.join(missing)} column{'s' if len(missing) > 1 else ''}")
    for col in used:
        if col.name not in absent:
            empty = [row for row, names in zip(parsed.rows, parsed.assumed, strict=True) if col.name in names]
            where.append(f"{col.name} empty in row{'s' if len(empty) > 1 else ''} {rows_text(empty)}")
    names = [c.name for c in used]
    problems.append(
        Problem(
            parsed.source,
            None,
            ", ".join(names),
            None,
            f"{'; '.join(where)}: assumed {' and '.join(c.assumed for c in used)}",
            f"add {' and '.join(names)} to every row (see the README's {parsed.table.stem}.csv table); if "
            "the assumption is right, ignore this warning",
            "warning",
        )
    )


def _unparsed_record(table: Table, cells, i: int, source: str, row: int, problems) -> dict[str, Any]:
    """Every cell INVALID, but the id (first column, rarely shifted) parsed so references still resolve."""
    record = {col.name: INVALID for col in table.columns}
    key = table.id_column
    if key and cells.get(key) is not None:
        record[key] = parse_cell(cells[key][i], table.by_name[key], source, row, problems)
    return record


def _check_unique(parsed: ParsedTable, problems: list[Problem]) -> None:
    for col in parsed.table.columns:
        if not col.unique:
            continue
        where: dict[str, list[int]] = defaultdict(list)
        for row, record in zip(parsed.rows, parsed.values, strict=True):
            value = record[col.name]
            if isinstance(value, str):
                where[value].append(row)
                if LIST_SEPARATOR in value:
                    problems.append(
                        Problem(
                            parsed.source,
                            row,
                            col.name,
                            value,
                            f"{col.name} contains '{LIST_SEPARATOR}', which separates list items",
                            f"remove '{LIST_SEPARATOR}' from the reference",
                        )
                    )
        unit = "feature" if parsed.source.endswith((".geojson", ".gpkg", ".shp")) else "row"
        for value, rows in where.items():
            for later in rows[1:]:
                problems.append(
                    Problem(
                        parsed.source,
                        later,
                        col.name,
                        value,
                        f"duplicate {col.name} '{value}': {unit}s {rows[0]} and {later} both use it",
                        f"give each {unit} its own {col.name} (or delete {unit} {later} if it repeats {unit} "
                        f"{rows[0]})",
                    )
                )


def _check_rows(parsed: ParsedTable, problems: list[Problem]) -> None:
    """Checks across the cells of one row."""
    check = _ROW_CHECKS.get(parsed.table.stem)
    if check is None:
        return
    for row, r in zip(parsed.rows, parsed.values, strict=True):
        check(parsed.source, row, r, problems)


def _check_client_row(source: str, row: int, r: dict[str, Any], problems: list[Problem]) -> None:
    if r["pinned"] is True and r["current_provider"] is None:
        problems.append(
            Problem(
                source,
                row,
                "pinned",
                "yes",
                "the client is pinned (never moved) but has no current_provider",
                "enter the chosen provider's provider_id in current_provider, or set pinned to no",
            )
        )
    _check_band_visits(source, row, r, problems)


def band_visits(r: dict[str, Any]) -> tuple[int, ...] | None:
    """Visits per band in BAND_NAMES order from a clients row; None when no band cell is filled (then the
    visits are spread evenly over time_bands). An empty cell beside filled ones counts 0."""
    given = [r.get(name) for name in BAND_VISITS_NAMES]
    if all(v is None for v in given):
        return None
    return tuple(v if isinstance(v, int) else 0 for v in given)


def _check_band_visits(source: str, row: int, r: dict[str, Any], problems: list[Problem]) -> None:
    """Visits per band, when given, fall in the client's own bands and add up to visits_per_week."""
    counts = band_visits(r)
    bands, visits = r["time_bands"], r["visits_per_week"]
    if counts is None or any(r[n] is INVALID for n in BAND_VISITS_NAMES) or not isinstance(bands, tuple):
        return
    for band, name, count in zip(BAND_NAMES, BAND_VISITS_NAMES, counts, strict=True):
        if count and band not in bands:
            problems.append(
                Problem(
                    source,
                    row,
                    name,
                    str(count),
                    f"{name} is {count} but {band} is not in the client's time_bands "
                    f"({LIST_SEPARATOR.join(bands)})",
                    f"set {name} to 0 (or leave it empty), or add {band} to time_bands",
                )
            )
            return  # one fault, one error: the sum below would only repeat it
    if not isinstance(visits, int) or sum(counts) == visits:
        return
    filled = [n for n in BAND_VISITS_NAMES if r[n] is not None]
    problems.append(
        Problem(
            source,
            row,
            ", ".join(filled),
            " + ".join(str(r[n]) for n in filled) + f" = {sum(counts)}",
            f"the visits per band add up to {sum(counts)}, but visits_per_week is {visits}",
            f"make {' + '.join(BAND_VISITS_NAMES)} equal visits_per_week ({visits}), or leave them all "
            "empty to spread the visits evenly over time_bands",
        )
    )


def _check_provider_row(source: str, row: int, r: dict[str, Any], problems: list[Problem]) -> None:
    lo, hi = r["min_viable_hours"], r["max_weekly_hours"]
    if isinstance(lo, float | int) and isinstance(hi, float | int) and lo > hi:
        problems.append(
            Problem(
                source,
                row,
                "min_viable_hours",
                f"{lo:g}",
                f"min_viable_hours is more than max_weekly_hours ({hi:g})",
                "lower min_viable_hours or raise max_weekly_hours",
            )
        )


def _check_hub_row(source: str, row: int, r: dict[str, Any], problems: list[Problem]) -> None:
    """A hub belongs to one provider or one pool, and its drivers are some of its carers."""
    provider, pool = r["provider_id"], r["pool_id"]
    if isinstance(provider, str) and isinstance(pool, str):
        problems.append(
            Problem(
                source,
                row,
                "pool_id",
                pool,
                f"the hub names both provider_id '{provider}' and pool_id '{pool}', but a hub belongs to one "
                "provider or to one pool",
                "empty pool_id for the provider's own hub, or provider_id for the pool's hub (its carers "
                "then serve every member of the pool)",
            )
        )
    elif provider is None and pool is None:
        problems.append(
            Problem(
                source,
                row,
                "provider_id",
                None,
                "the hub names neither a provider_id nor a pool_id, so nobody's carers live there",
                "enter the provider_id of the provider whose carers live here, or the pool_id of the shared "
                "pool whose hub it is",
            )
        )
    carers, drivers = r["carers"], r["drivers"]
    if isinstance(carers, int) and isinstance(drivers, int) and drivers > carers:
        problems.append(
            Problem(
                source,
                row,
                "drivers",
                str(drivers),
                f"drivers is {drivers}, more than carers ({carers}): drivers counts the carers who drive, so "
                f"it is at most carers ({carers})",
                f"lower drivers to at most {carers}, or raise carers to at least {drivers} (carers counts "
                "drivers and non-drivers)",
            )
        )


_ROW_CHECKS = {"clients": _check_client_row, "providers": _check_provider_row, "hubs": _check_hub_row}


# Plausible figures: above these a value is possible but almost always a slip (a monthly figure, an extra
# digit), so it gets a warning with the figures; the hard limits (schema.MAX_*) are errors.
MAX_PLAUSIBLE_VISIT_HOURS = 4.0  # home-care visits last 15 minutes to an hour; 4 hours is a long sit-in
MAX_PLAUSIBLE_VISITS_PER_WEEK = 42  # six a day, the generator's most (synthetic MAX_VISITS_PER_WEEK)
MAX_PLAUSIBLE_STAFF_HOURS = 20_000.0  # about 500 full-time carers: a very large provider for one area
MAX_PLAUSIBLE_RATE_GBP = 200.0  # UK home-care rates are about £20-£40 an hour
_PLAUSIBLE_MAX = {  # (table, column): (largest plausible value, what it means)
    ("clients", "visits_per_week"): (MAX_PLAUSIBLE_VISITS_PER_WEEK, "six visits a day"),
    ("pools", "weekly_hours"): (MAX_PLAUSIBLE_STAFF_HOURS, "about 500 full-time carers"),
    ("providers", "hourly_rate_gbp"): (MAX_PLAUSIBLE_RATE_GBP, "UK rates are about £20-£40 an hour"),
}
_IF_RIGHT = "if the figure is right, ignore this warning"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_plausible(parsed: ParsedTable, problems: list[Problem]) -> None:
    """Warnings, with the figures, for values that are allowed but implausible."""
    stem = parsed.table.stem
    limits = [(col, limit, why) for (t, col), (limit, why) in _PLAUSIBLE_MAX.items() if t == stem]
    for row, r in zip(parsed.rows, parsed.values, strict=True):
        for col, limit, why in limits:
            value = r[col]
            if _is_number(value) and value > limit:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        col,
                        number_text(value),
                        f"{col} is {number_text(value)}, more than {number_text(limit)} ({why})",
                        f"check the figure (a monthly or yearly total, or an extra digit?); {_IF_RIGHT}",
                        "warning",
                    )
                )
        if stem == "clients":
            _check_visit_length(parsed.source, row, r, problems)


# A provider's weekly_staff_hours above MAX_PLAUSIBLE_STAFF_HOURS is no slip when its own hubs' carers have at
# least this share of it (the generator writes the sum of a provider's hubs: its largest provider has 36,783 h
# at 5,000 clients, and every such dataset warned about itself).
STAFF_HOURS_BORNE_OUT_SHARE = 0.9


def check_staff_hours(parsed: dict[str, ParsedTable | None], problems: list[Problem]) -> None:
    """A warning, with the figures, for a provider's weekly_staff_hours above
    :data:`MAX_PLAUSIBLE_STAFF_HOURS` that its own hubs' carers (carers × weekly_hours_per_carer) do not bear
    out: a monthly or yearly total, or an extra digit."""
    providers, hubs = parsed.get("providers"), parsed.get("hubs")
    if providers is None:
        return
    hub_hours: dict[str, float] = {}
    for r in hubs.values if hubs is not None else ():
        provider, carers, each = r.get("provider_id"), r.get("carers"), r.get("weekly_hours_per_carer")
        if isinstance(provider, str) and _is_number(carers) and _is_number(each):
            hub_hours[provider] = hub_hours.get(provider, 0.0) + carers * each
    for row, r in zip(providers.rows, providers.values, strict=True):
        value, own = r.get("weekly_staff_hours"), hub_hours.get(r.get("provider_id"), 0.0)
        if not _is_number(value) or value <= MAX_PLAUSIBLE_STAFF_HOURS:
            continue
        if own >= STAFF_HOURS_BORNE_OUT_SHARE * value:
            continue
        hubs_text = f"; its hubs' carers have {number_text(own)} h a week" if own else ""
        problems.append(
            Problem(
                providers.source,
                row,
                "weekly_staff_hours",
                number_text(value),
                f"weekly_staff_hours is {number_text(value)}, more than "
                f"{number_text(MAX_PLAUSIBLE_STAFF_HOURS)} (about 500 full-time carers){hubs_text}",
                f"check the figure (a monthly or yearly total, or an extra digit?); {_IF_RIGHT}",
                "warning",
            )
        )


def _check_visit_length(source: str, row: int, r: dict[str, Any], problems: list[Problem]) -> None:
    hours, visits = r["weekly_hours"], r["visits_per_week"]
    if not (_is_number(hours) and _is_number(visits) and visits > 0):
        return
    per_visit_h = hours / visits
    if per_visit_h <= MAX_PLAUSIBLE_VISIT_HOURS:
        return
    problems.append(
        Problem(
            source,
            row,
            "weekly_hours",
            f"{number_text(hours)} h in {visits} visits",
            f"one visit lasts {per_visit_h:.1f} hours on average (weekly_hours {number_text(hours)} ÷ "
            f"visits_per_week {visits}); more than {MAX_PLAUSIBLE_VISIT_HOURS:g} hours is unusual for a "
            "home-care visit",
            "check weekly_hours (the week's total: 14 visits of 30 minutes = 7 hours) and visits_per_week; "
            + _IF_RIGHT,
            "warning",
        )
    )


def check_references(
    parsed: dict[str, ParsedTable | None],
    zone_ids: set[str] | None,
    provider_ids: set[str] | None,
    problems: list[Problem],
    pool_ids: set[str] | None = None,
) -> None:
    """Every id a cell names is in the table it names; ``None`` ids: that table could not be read in full
    (its own problems are reported instead)."""
    known = {"zones": zone_ids, "providers": provider_ids, "pools": pool_ids}
    full = getattr(problems, "full", lambda _: False)
    for stem in CSV_TABLES:
        p = parsed[stem]
        if p is None:
            continue
        for col in p.table.columns:
            ids = known.get(col.references) if col.references else None
            if ids is None:
                continue  # the referenced table could not be read: its own problem is reported
            target = _REFERENCE_TARGETS[col.references]
            for row, record in zip(p.rows, p.values, strict=True):
                value = record[col.name]
                members = value if isinstance(value, tuple) else (value,) if isinstance(value, str) else ()
                unknown = [m for m in members if m not in ids]
                if not unknown:
                    continue
                if full(p.source):  # count only: the close-match search below costs ~0.1 ms per row
                    problems.omit(p.source)
                    continue
                listing = ", ".join(sorted(ids)[:12]) + (", ..." if len(ids) > 12 else "")
                hint = "".join(_suggest_id(u, ids) for u in unknown[:3])
                use = f"use one of: {listing}" if ids else f"add its row to {col.references}.csv first"
                problems.append(
                    Problem(
                        p.source,
                        row,
                        col.name,
                        LIST_SEPARATOR.join(unknown),
                        f"unknown {col.references[:-1]} "
                        + ", ".join(f"'{u}'" for u in unknown)
                        + f": not in {target}",
                        f"{hint}{use}"
                        + (
                            " (or leave it empty for a new package)" if col.name == "current_provider" else ""
                        ),
                    )
                )


_REFERENCE_TARGETS = {
    "zones": "zones.geojson (zone_id)",
    "providers": "providers (provider_id)",
    "pools": "pools (pool_id)",
}


def _suggest_id(word: str, ids: set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(ids), n=1, cutoff=0.8)
    if not close:
        lowered = {i.lower(): i for i in ids}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"did you mean '{close[0]}'? " if close else ""


def error_count(problems: list[Problem]) -> int:
    """Errors found so far, including those a :class:`~commissioning.inputs.tables.ProblemLog` only
    counted."""
    total = getattr(problems, "total", None)
    return total("error") if total else sum(p.severity == "error" for p in problems)
