"""Whole tables of the dataset folder: typed rows, then the checks across cells, rows and tables
(unique ids, row rules, implausible figures, references between tables)."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from commissioning.errors import Problem
from commissioning.inputs.cells import INVALID, parse_cell
from commissioning.inputs.schema import CSV_TABLES, MAX_POOL_MEMBERS, Table, number_text
from commissioning.vocabulary import LIST_SEPARATOR


@dataclass
class ParsedTable:
    table: Table
    source: str
    rows: list[int]  # spreadsheet row numbers
    values: list[dict[str, Any]]  # typed values per row (INVALID where a Problem was recorded)
    complete: bool = True  # False: checking stopped early (too many errors), later rows are left out

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
    unparsed = set(frame.attrs.get("unparsed_rows", ()))
    full = getattr(problems, "full", lambda _: False)
    values: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if full(source):
            problems.stop_rows(source, row, rows[-1])
            rows = rows[:i]
            break
        if row in unparsed:  # cells shifted by an unquoted comma: its own Problem says so
            values.append(_unparsed_record(table, cells, i, source, row, problems))
            continue
        record: dict[str, Any] = {}
        for col in columns:
            column_cells = cells[col.name]
            if column_cells is None:
                record[col.name] = col.default if not col.required else INVALID  # missing column: reported
                continue
            record[col.name] = parse_cell(column_cells[i], col, source, row, problems)
        values.append(record)
    complete = len(values) == len(frame) and source not in getattr(problems, "unchecked", {})
    parsed = ParsedTable(table, source, rows, values, complete)
    _check_unique(parsed, problems)
    _check_rows(parsed, problems)
    _check_plausible(parsed, problems)
    return parsed


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
        unit = "feature" if parsed.source.endswith(".geojson") else "row"
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
    stem = parsed.table.stem
    for row, r in zip(parsed.rows, parsed.values, strict=True):
        if stem == "clients":
            if r["pinned"] is True and r["current_provider"] is None:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        "pinned",
                        "yes",
                        "the client is pinned (never moved) but has no current_provider",
                        "enter the chosen provider's provider_id in current_provider, or set pinned to no",
                    )
                )
        elif stem == "providers":
            lo, hi = r["min_viable_hours"], r["max_weekly_hours"]
            if isinstance(lo, float | int) and isinstance(hi, float | int) and lo > hi:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        "min_viable_hours",
                        f"{lo:g}",
                        f"min_viable_hours is more than max_weekly_hours ({hi:g})",
                        "lower min_viable_hours or raise max_weekly_hours",
                    )
                )
        elif stem == "pools":
            members = r["members"]
            if isinstance(members, tuple) and len(members) > MAX_POOL_MEMBERS:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        "members",
                        LIST_SEPARATOR.join(members),
                        f"the pool has {len(members)} member providers; more than {MAX_POOL_MEMBERS} makes "
                        "the partnership complex to run",
                        f"check that {len(members)} providers really share this pool, or split it",
                        "warning",
                    )
                )


# Plausible figures: above these a value is possible but almost always a slip (a monthly figure, an extra
# digit), so it gets a warning with the figures; the hard limits (schema.MAX_*) are errors.
MAX_PLAUSIBLE_VISIT_HOURS = 4.0  # home-care visits last 15 minutes to an hour; 4 hours is a long sit-in
MAX_PLAUSIBLE_VISITS_PER_WEEK = 42  # six a day, the generator's most (synthetic MAX_VISITS_PER_WEEK)
MAX_PLAUSIBLE_STAFF_HOURS = 20_000.0  # about 500 full-time carers: a very large provider for one area
MAX_PLAUSIBLE_RATE_GBP = 200.0  # UK home-care rates are about £20-£40 an hour
_PLAUSIBLE_MAX = {  # (table, column): (largest plausible value, what it means)
    ("clients", "visits_per_week"): (MAX_PLAUSIBLE_VISITS_PER_WEEK, "six visits a day"),
    ("providers", "weekly_staff_hours"): (MAX_PLAUSIBLE_STAFF_HOURS, "about 500 full-time carers"),
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
) -> None:
    known = {"zones": zone_ids, "providers": provider_ids}
    full = getattr(problems, "full", lambda _: False)
    for stem in CSV_TABLES:
        p = parsed[stem]
        if p is None:
            continue
        for col in p.table.columns:
            ids = known.get(col.references) if col.references else None
            if ids is None:
                continue  # the referenced table could not be read: its own problem is reported
            target = "zones.geojson (zone_id)" if col.references == "zones" else "providers (provider_id)"
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
                problems.append(
                    Problem(
                        p.source,
                        row,
                        col.name,
                        LIST_SEPARATOR.join(unknown),
                        f"unknown {col.references[:-1]} "
                        + ", ".join(f"'{u}'" for u in unknown)
                        + f": not in {target}",
                        f"{hint}use one of: {listing}"
                        + (
                            " (or leave it empty for a new package)" if col.name == "current_provider" else ""
                        ),
                    )
                )


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
