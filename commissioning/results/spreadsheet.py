"""Spreadsheet-safe text (OWASP CSV injection) in every CSV and workbook cell the tool writes.

Every text cell starting with ``= + - @``, tab or CR gets a leading ``'`` (:func:`spreadsheet_safe_text`),
so a provider named ``=HYPERLINK(...)`` is text, not a formula. The escape is reversible: programs that read
the output folder use :func:`original_text` / :func:`read_output_csv` to get the values back.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe_text(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, with a leading ``'``; anything else unchanged.

    Numbers and numeric text (``"-5.47"``) are left alone. Texts already starting with quotes before
    such a character get one more quote, so :func:`original_text` always gives the value back.
    """
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    return "'" + value if value.lstrip("'").startswith(_FORMULA_START) else value


def original_text(value: Any) -> Any:
    """The inverse of :func:`spreadsheet_safe_text`, for programs reading the output folder."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return value[1:]
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) through :func:`spreadsheet_safe_text`."""
    safe = frame.rename(columns=spreadsheet_safe_text)
    for column in range(safe.shape[1]):
        values = safe.iloc[:, column]
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            safe.isetitem(column, values.map(spreadsheet_safe_text))
    return safe


def workbook_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`spreadsheet_safe`, and every control character a worksheet cannot hold (openpyxl refuses them:
    a tab is fine, a \\x1d from a pasted cell is not) shown as U+FFFD, so one odd character in a zone's name
    never stops the workbook; the CSV files keep the text as it was."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    safe = spreadsheet_safe(frame)

    def clean(value: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value

    safe = safe.rename(columns=clean)
    for column in range(safe.shape[1]):
        values = safe.iloc[:, column]
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            safe.isetitem(column, values.map(clean))
    return safe


def read_output_csv(path: str | Path) -> pd.DataFrame:
    """A CSV of the output folder as text, with the spreadsheet escape undone (:func:`original_text`)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return spreadsheet_unescaped(frame)


def spreadsheet_unescaped(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=original_text)
    for column in range(frame.shape[1]):
        frame.isetitem(column, frame.iloc[:, column].map(original_text))
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with spreadsheet-safe text (every CSV of the output folder)."""
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path
