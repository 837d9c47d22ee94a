"""One cell of the dataset folder: its typed value, or a Problem naming the value and the fix."""

from __future__ import annotations

import difflib
import math
from typing import Any

from commissioning.errors import Problem
from commissioning.inputs.schema import DEFAULT_WEEKLY_HOURS_PER_CARER, Column, number_text
from commissioning.vocabulary import LIST_SEPARATOR, NO_WORDS, YES_WORDS

_MISSING_WORDS = {"nan", "na", "n/a", "null", "none", "-", "#n/a"}


class _Invalid:
    """A cell that failed its check (a Problem was recorded); later checks skip it."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "INVALID"


INVALID = _Invalid()


def _suggest(word: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(
        word.lower().replace(" ", "_").replace("-", "_"), allowed, n=1, cutoff=0.6
    )
    return f"did you mean '{close[0]}'? " if close else ""


def _number_problem(text: str, col: Column) -> tuple[str, str]:
    """(message, fix) for a cell that is not a number."""
    what = "a whole number" if col.type == "integer" else "a number"
    example = _example(col)
    single_comma = text.count(",") == 1 and "." not in text
    if text.lower() in _MISSING_WORDS:
        return f"'{text}' marks a missing value, but {col.name} needs {what}", f"enter {what}, e.g. {example}"
    if text.startswith("="):
        return (
            f"'{text}' is a spreadsheet formula with no saved result",
            f"open the file in Excel or LibreOffice and save it so the result is stored, or type {what}",
        )
    if "," in text and text.replace(",", "").replace(".", "").lstrip("+-").isdigit():
        return (
            f"'{text}' is not {what}: use a point for decimals and no thousands separators",
            f"write it like {text.replace(',', '.') if single_comma else example}",
        )
    return f"'{text}' is not {what}", f"enter {what}, e.g. {example}"


def _example(col: Column) -> str:
    if col.name in ("lon", "base_lon"):
        return "-5.472"
    if col.name in ("lat", "base_lat"):
        return "56.415"
    if col.type == "integer":
        return f"{int(col.min) if col.min is not None and col.min > 0 else 1}"
    if col.max is not None and col.max <= 1:
        return "0.25"
    return "7.5"


def _range_problem(value: float, col: Column) -> str | None:
    lo_bad = col.min is not None and (value < col.min or (value == col.min and not col.min_inclusive))
    hi_bad = col.max is not None and (value > col.max or (value == col.max and not col.max_inclusive))
    if not (lo_bad or hi_bad):
        return None
    lo, hi = (number_text(b) if b is not None else None for b in (col.min, col.max))
    if col.type == "integer" and col.min is not None and col.max is not None and col.max - col.min == 1:
        return f"must be {lo} or {hi}"
    if col.min is not None and col.max is not None and col.min_inclusive and col.max_inclusive:
        return f"must be in [{lo}, {hi}]"
    if lo_bad:
        return f"must be {'at least' if col.min_inclusive else 'greater than'} {lo}"
    return f"must be {'at most' if col.max_inclusive else 'less than'} {hi}"


def parse_cell(text: str, col: Column, source: str, row: int, problems: list[Problem]) -> Any:
    """The typed value of one stripped cell, or ``INVALID`` after recording a Problem."""

    def bad(message: str, fix: str, value: object = text) -> _Invalid:
        problems.append(Problem(source, row, col.name, value if value != "" else None, message, fix))
        return INVALID

    if text == "":
        if not col.required or col.allow_empty:
            return col.default
        return bad(f"{col.name} is empty", _empty_fix(col))

    if col.type == "text":
        return text

    if col.type in ("number", "integer"):
        try:
            if "_" in text:
                raise ValueError(text)
            value = float(text)
        except ValueError:
            message, fix = _number_problem(text, col)
            return bad(message, fix)
        if not math.isfinite(value):
            message, fix = _number_problem("nan" if math.isnan(value) else text, col)
            return bad(message, fix)
        if col.type == "integer":
            if not value.is_integer():
                return bad(
                    f"{col.name} must be a whole number", f"enter a whole number, e.g. {round(value) or 1}"
                )
            value = int(value)
        wrong = _range_problem(value, col)
        if wrong:
            return bad(f"{col.name} {wrong}", _range_fix(col, value))
        return value

    if col.type == "yesno":
        word = text.lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        return bad(f"'{text}' is not yes or no", "write yes or no (true/false and 1/0 also work)")

    if col.type == "choice":
        word = text.lower()
        if word in col.allowed:
            return word
        return bad(
            f"unknown {col.name} '{text}'",
            f"{_suggest(text, col.allowed)}use one of: {', '.join(col.allowed)}",
        )

    if col.type == "list":
        items = [item.strip() for item in text.split(LIST_SEPARATOR)]
        items = [item for item in items if item]
        if col.allowed is not None:
            items = [item.lower() for item in items]
            unknown = [item for item in items if item not in col.allowed]
            if unknown:
                label = {"time_bands": "time band", "needs": "need", "skills": "skill"}.get(col.name, "value")
                comma = any("," in u for u in unknown)
                return bad(
                    f"unknown {label}{'s' if len(unknown) > 1 else ''} "
                    + ", ".join(f"'{u}'" for u in unknown),
                    ("separate list items with ';', not ','. " if comma else "")
                    + "".join(_suggest(u, col.allowed) for u in unknown[:3] if not comma)
                    + f"use only: {', '.join(col.allowed)} (separated by ';')",
                )
        deduped = tuple(dict.fromkeys(items))
        if len(deduped) < len(items):
            problems.append(
                Problem(
                    source,
                    row,
                    col.name,
                    text,
                    f"{col.name} lists the same item twice; it is counted once",
                    "remove the repeated item",
                    "warning",
                )
            )
        if not deduped and not col.allow_empty:
            return bad(
                f"{col.name} has no items", f"enter at least one item, separated by '{LIST_SEPARATOR}'"
            )
        return deduped

    raise AssertionError(f"unknown column type {col.type}")  # pragma: no cover


def _empty_fix(col: Column) -> str:
    if col.type in ("number", "integer"):
        what = "a whole number" if col.type == "integer" else "a number"
        if col.min is not None and col.max is not None:
            what += f" from {number_text(col.min)} to {number_text(col.max)}"
        elif col.min is not None:
            what += f" of at least {col.min:g}" if col.min_inclusive else f" greater than {col.min:g}"
        return f"enter {what}, e.g. {_example(col)}"
    if col.type == "choice":
        return f"enter one of: {', '.join(col.allowed)}"
    if col.type == "yesno":
        return "enter yes or no"
    if col.type == "list":
        if col.allowed is not None:
            return f"enter one or more of: {', '.join(col.allowed)} (separated by '{LIST_SEPARATOR}')"
        what = {"zones": "zone_id", "providers": "provider_id"}.get(col.references or "", "item")
        return (
            f"enter at least one {what}, separated by '{LIST_SEPARATOR}' (e.g. P01{LIST_SEPARATOR}P02)"
            if (what == "provider_id")
            else f"enter at least one {what}, separated by '{LIST_SEPARATOR}'"
        )
    return f"enter the {col.name}" + (" (every row needs its own)" if col.unique else "")


def _range_fix(col: Column, value: float) -> str:
    if col.name in ("lon", "base_lon", "lat", "base_lat"):
        return (
            "check the coordinates: lon is east-west (Scotland about -7 to -1), lat is north-south "
            "(about 55 to 61); if they are the wrong way round, swap lat and lon"
        )
    if col.name == "weekly_hours" and col.max == 168 and value > 168:
        return "a week has 168 hours: enter the assessed care hours per week"
    if col.max is not None and value > col.max >= 10_000:
        # Far beyond any real figure: a slip, or a cell shown in scientific notation. The limit keeps the
        # solver's whole minutes and pence inside 64-bit integers.
        return (
            f"enter a value {col.bounds_text()}; {number_text(value)} is far beyond any real figure "
            "(an extra digit, or a cell in scientific notation?)"
        )
    if col.name == "weekly_hours_per_carer":
        return (
            f"enter one carer's contracted hours a week, more than 0 and at most {number_text(col.max)} "
            f"(e.g. {DEFAULT_WEEKLY_HOURS_PER_CARER:g}; full time is about 37.5), or leave it empty to "
            f"assume {DEFAULT_WEEKLY_HOURS_PER_CARER:g}; the hub's number of carers goes in carers"
        )
    if col.name == "carers_per_visit":
        return "enter 1, or 2 for a double-up visit"
    if col.name == "non_driver_share":
        if 1 < value <= 100 and float(value).is_integer():
            return f"write the share as a fraction: {value / 100:g} for {value:g}%"
        return "enter a fraction between 0 and 1, e.g. 0.35 if 35% of the carers do not drive"
    if col.min is not None and value <= col.min:
        if col.min_inclusive:
            return f"enter a value of at least {col.min:g}"
        ended = " (delete the row if the package has ended)" if col.name == "weekly_hours" else ""
        return f"enter a value greater than {col.min:g}{ended}"
    return f"enter a value {col.bounds_text()}"
