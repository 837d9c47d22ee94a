"""Read the dataset folder's files as raw text, reporting every file-level problem as a :class:`Problem`.

* :func:`read_table` finds ``<stem>.csv`` or ``<stem>.xlsx`` and returns a DataFrame of stripped strings whose
  index is the spreadsheet row number (header = row 1, first data row = row 2) and whose columns are the
  schema's column names (headers are matched ignoring case and surrounding spaces).
* :func:`read_zones` reads ``zones.geojson`` into a GeoDataFrame in EPSG:4326 whose index is the feature
  number (1-based) and whose property columns are strings.

Typing and checking cell values is :mod:`commissioning.inputs.folder`'s job.

The work done per file is bounded (``MAX_*`` below): a garbage or oversized file gets one error or at most
:data:`MAX_PROBLEMS_PER_FILE` problems and a summary line (:class:`ProblemLog`), in seconds. Text cells that a
spreadsheet would run as formulas get a warning (:func:`formula_warnings`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import json
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from commissioning.errors import InputError, Problem
from commissioning.inputs.schema import TABLES, Column, Table

MAX_ENCODING_PROBLEMS = 10

# Bounds on the work done for one file, so that a wrong or garbage file gives a short answer quickly instead
# of minutes, gigabytes and millions of lines (a 50 MB garbage clients.csv took 262 s, 4.9 GB and printed
# 9.2 million errors). The largest benchmarked scenario has 20,000 clients; a whole council's care-at-home
# caseload is a few thousand packages.
MAX_PROBLEMS_PER_FILE = 200  # problems listed per file; the rest are counted in one summary line
MAX_VALUE_CHARS = 200  # a longer cell is shown shortened in its problem (a CSV cell may hold 131,072)
MAX_TABLE_ROWS = 200_000  # ten times the largest benchmark
MAX_COLUMNS = 1_000  # a scenario table has at most 12; exports with extra columns have a few hundred
MAX_TABLE_BYTES = 100_000_000  # 500 bytes a row at MAX_TABLE_ROWS; real rows are about 100 bytes
MAX_XLSX_UNZIPPED_BYTES = 500_000_000  # .xlsx is a zip: bound what it expands to, not only its size
MAX_ZONES_BYTES = 100_000_000  # detailed council boundaries are a few MB; JSON parsing costs ~15x in memory

# OWASP "CSV injection": a spreadsheet that opens a file holding a text cell starting with one of these may
# run it as a formula. Outputs neutralise such cells; validate names them so the user can rename them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_NAMES = {"\t": "a tab", "\r": "a carriage return"}
SAVE_AS_UTF8 = (
    "save the file as UTF-8: in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'; "
    "in LibreOffice tick 'Edit filter settings' and choose 'Unicode (UTF-8)'"
)
_OTHER_TABLE_EXTENSIONS = (".xls", ".ods", ".txt", ".tsv", ".numbers", ".xlsm")


class ProblemLog(list):
    """A list of Problems that keeps at most :data:`MAX_PROBLEMS_PER_FILE` errors and as many warnings per
    file and only counts the rest, so a garbage file costs bounded memory and output.

    :meth:`full` lets a checker stop early (or count without building messages, see :meth:`omit`);
    :meth:`stop_rows` records rows left unchecked; :meth:`listing` gives the final list with one summary
    Problem per file that had more.
    """

    def __init__(self, problems: Iterable[Problem] = ()):
        super().__init__()
        self.kept: Counter = Counter()  # (file, severity) -> problems kept
        self.omitted: Counter = Counter()  # (file, severity) -> problems only counted
        self.unchecked: dict[str, tuple[int, int]] = {}  # file -> (first row not checked, last row)
        self.extend(problems)

    def append(self, problem: Problem) -> None:
        key = (problem.file, problem.severity)
        if self.kept[key] >= MAX_PROBLEMS_PER_FILE:
            self.omitted[key] += 1
            return
        self.kept[key] += 1
        super().append(_shortened(problem))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)
        if isinstance(problems, ProblemLog):
            self.omitted.update(problems.omitted)
            self.unchecked.update(problems.unchecked)

    def __iadd__(self, problems: Iterable[Problem]):
        self.extend(problems)
        return self

    def full(self, file: str, severity: str = "error") -> bool:
        """True when further problems of this file and severity would only be counted."""
        return self.kept[(file, severity)] >= MAX_PROBLEMS_PER_FILE

    def omit(self, file: str, severity: str = "error") -> None:
        """Count one problem without building it (its message may be costly, e.g. a close-match search)."""
        self.omitted[(file, severity)] += 1

    def stop_rows(self, file: str, first_row: int, last_row: int) -> None:
        """Rows ``first_row..last_row`` of ``file`` are not checked: the file has too many errors already."""
        self.unchecked.setdefault(file, (first_row, last_row))

    def total(self, severity: str) -> int:
        """Problems of this severity found, listed or not."""
        kept = sum(n for (_, s), n in self.kept.items() if s == severity)
        return kept + sum(n for (_, s), n in self.omitted.items() if s == severity)

    def listing(self, order) -> list[Problem]:
        """At most MAX_PROBLEMS_PER_FILE problems per file (errors first), sorted by ``order``, then for each
        file with more one summary Problem after its own."""
        by_file: dict[str, list[Problem]] = {}
        for problem in self:
            by_file.setdefault(problem.file, []).append(problem)
        left_out = Counter(self.omitted)
        out: list[Problem] = []
        for file, found in by_file.items():
            errors_first = sorted(found, key=lambda p: p.severity != "error")  # stable
            left_out.update((file, p.severity) for p in errors_first[MAX_PROBLEMS_PER_FILE:])
            kept = {id(p) for p in errors_first[:MAX_PROBLEMS_PER_FILE]}
            out += [p for p in found if id(p) in kept]
        out.sort(key=order)
        for file in sorted({f for f, _ in +left_out} | set(self.unchecked)):
            last = max((k for k, p in enumerate(out) if p.file == file), default=len(out) - 1)
            out.insert(last + 1, self._summary(file, left_out))
        return out

    def _summary(self, file: str, left_out: Counter) -> Problem:
        errors, warnings = left_out[(file, "error")], left_out[(file, "warning")]
        counts = [
            f"{n:,} more {word}{'s' if n != 1 else ''}"
            for n, word in ((errors, "error"), (warnings, "warning"))
            if n
        ]
        parts = [f"... and {' and '.join(counts)} in {file}, not listed"] if counts else []
        if file in self.unchecked:
            first, last = self.unchecked[file]
            rows = f"row {first:,} was" if first == last else f"rows {first:,} to {last:,} were"
            parts.append(f"{rows} not checked (checking a file stops after {MAX_PROBLEMS_PER_FILE} errors)")
        return Problem(
            file,
            None,
            None,
            None,
            "; ".join(parts),
            "fix the problems listed (often one mistake repeated, or the wrong file) and validate again",
            "error" if errors or file in self.unchecked else "warning",
        )


def _shortened(problem: Problem) -> Problem:
    """The problem with an overlong value or message cut short: one line of output stays one line."""
    value, message = problem.value, problem.message
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        value = f"{value[: MAX_VALUE_CHARS // 2]}... ({len(value):,} characters)"
    if len(message) > 2 * MAX_VALUE_CHARS:  # messages quote the cell too
        message = f"{message[:MAX_VALUE_CHARS]} ... {message[-MAX_VALUE_CHARS // 2 :]}"
    if value is problem.value and message is problem.message:
        return problem
    return dataclasses.replace(problem, value=value, message=message)


def _finish(problems: list[Problem], collected: list[Problem] | None) -> None:
    """Append to the caller's list, or raise when the caller did not pass one and there are errors."""
    if collected is not None:
        collected.extend(problems)
    elif any(p.severity == "error" for p in problems):
        raise InputError(problems)


def find_table_file(
    folder: Path, stem: str, extensions: tuple[str, ...], problems: list[Problem], *, required: bool
) -> Path | None:
    """The one file ``stem + ext`` in ``folder``; a Problem if there are several, or none but required."""
    found = [folder / (stem + ext) for ext in extensions if (folder / (stem + ext)).is_file()]
    display = f"{stem}{extensions[0]}"
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        problems.append(
            Problem(
                display,
                None,
                None,
                None,
                f"the folder has both {names}, so it is not clear which one to read",
                f"keep one of {names} and delete or rename the other",
            )
        )
        return None
    if found:
        return found[0]
    near, folders = _near_misses(folder, stem, extensions)
    allowed = " or ".join(stem + ext for ext in extensions)
    if folders:
        # A folder under the table's name is no near miss: renaming it to that name would change nothing.
        problems.append(
            Problem(
                display,
                None,
                None,
                ", ".join(folders),
                f"{' and '.join(folders)} {'is a folder' if len(folders) == 1 else 'are folders'}, "
                f"where the {stem} table ({allowed}) is expected as a file",
                f"replace the folder with the {stem} table saved as a file ({allowed}); if the table is "
                "inside that folder, move it up into the dataset folder",
                "error" if required else "warning",
            )
        )
    elif near:
        problems.append(
            Problem(
                display,
                None,
                None,
                ", ".join(near),
                f"no file named {allowed}, but found {', '.join(near)}",
                f"rename or save it as {allowed} (names are case-sensitive; tables must be CSV or .xlsx)",
                "error" if required else "warning",
            )
        )
    elif required:
        problems.append(
            Problem(
                display,
                None,
                None,
                None,
                f"the dataset folder has no {allowed}",
                f"add {allowed} to {folder}",
            )
        )
    return None


def _near_misses(folder: Path, stem: str, extensions: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """``(files, folders)`` named like the table but not exactly (capitals, other spreadsheet formats), and
    folders with the table's name or one like it."""
    names_ok = {(stem + ext).lower() for ext in extensions}
    files, folders = [], []
    if not folder.is_dir():
        return files, folders
    for path in sorted(folder.iterdir()):
        other_format = path.stem.lower() == stem and path.suffix.lower() in _OTHER_TABLE_EXTENSIONS
        if path.name.lower() in names_ok or other_format:
            (folders if path.is_dir() else files).append(path.name)
    return files, folders


def read_table(
    folder: str | Path,
    stem: str,
    *,
    required: bool | None = None,
    problems: list[Problem] | None = None,
) -> tuple[pd.DataFrame | None, str]:
    """Read ``<stem>.csv`` or ``<stem>.xlsx`` from ``folder`` as strings: ``(table, source_name)``.

    The DataFrame's index is the spreadsheet row number and every cell is a stripped ``str`` (empty
    cells are ``""``); completely blank rows are left out (their row numbers are skipped, not reused).
    Returns ``(None, name)`` when the file is absent (and not required) or unreadable.

    ``required`` defaults to the schema's ``Table.required``. Problems (errors and warnings) are appended
    to ``problems``; if that is ``None``, an :class:`InputError` is raised when there is any error.
    At most :data:`MAX_PROBLEMS_PER_FILE` problems are kept (see :class:`ProblemLog`).
    """
    folder = Path(folder)
    table = TABLES.get(stem)
    extensions = table.extensions if table else (".csv", ".xlsx")
    if required is None:
        required = table.required if table else True
    found = ProblemLog()
    path = find_table_file(folder, stem, extensions, found, required=required)
    if path is None:
        _finish(found, problems)
        return None, f"{stem}{extensions[0]}"
    source = path.name
    rows = None
    if _size_ok(path, source, MAX_TABLE_BYTES, found):
        if path.suffix.lower() == ".xlsx":
            rows = _xlsx_rows(path, source, found)
        else:
            rows = _csv_rows(path, source, found, required=required)
    if rows is not None and table is not None:
        formula_warnings(_text_cells(rows, table), source, found)
    for row in rows or ():
        row[:] = [(unescaped(cell) if cell[:1] == "'" else cell).strip() for cell in row]
    frame = None if rows is None else _frame(rows, source, table, found, required=required)
    if frame is not None and table is not None:
        from commissioning.inputs.postcodes import locate

        frame = locate(frame, folder, stem, source, found)  # lon/lat from postcodes
    _finish(found, problems)
    return frame, source


def _size_ok(path: Path, source: str, limit: int, problems: list[Problem]) -> bool:
    """False (and an error) for a file too large to be a scenario table: reading it would cost gigabytes."""
    size = path.stat().st_size
    if size <= limit:
        return True
    problems.append(
        Problem(
            source,
            None,
            None,
            f"{size / 1e6:,.0f} MB",
            f"the file is {size / 1e6:,.0f} MB, more than the {limit / 1e6:,.0f} MB a scenario file may have",
            "check that it is the right file; a scenario table holds one short row per client, provider, hub "
            "or pool"
            + (" (simplify detailed polygons, e.g. QGIS Simplify at 10 m)" if "geojson" in source else ""),
        )
    )
    return False


class _TooManyRows(Exception):
    pass


def _too_many_rows(source: str) -> Problem:
    return Problem(
        source,
        None,
        None,
        None,
        f"the file has more than {MAX_TABLE_ROWS:,} rows; it was not read",
        f"check that it is the right file (a scenario holds at most {MAX_TABLE_ROWS:,} rows per table), or "
        "split the region into smaller scenarios",
    )


# ----------------------------------------------------------------------------------------------------
# CSV and Excel to rows of strings
# ----------------------------------------------------------------------------------------------------


def _csv_rows(path: Path, source: str, problems: list[Problem], *, required: bool) -> list[list[str]] | None:
    """The file's rows of raw (unstripped) cells, or None after recording why not."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.strip() and not _has_text(path):
        severity = "error" if required else "warning"
        what = "is empty (0 bytes)" if not head else "holds only blank space"
        if not required:
            what += ", so it is read as if it were absent"
        fix = "write the header line (row 1) and one line per row" + (
            "" if required else "; an optional table with no rows still needs its header line"
        )
        problems.append(Problem(source, None, None, None, f"the file {what}", fix, severity))
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                "the file is saved as UTF-16 ('Unicode text'), not UTF-8",
                SAVE_AS_UTF8,
            )
        )
        return None
    try:
        try:
            rows, bad_bytes = _read_csv(path, "strict"), False
        except UnicodeDecodeError:
            rows, bad_bytes = _read_csv(path, "replace"), True
    except _TooManyRows:
        problems.append(_too_many_rows(source))
        return None
    except csv.Error as error:
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"the file is not valid CSV ({error})",
                "check quotes: a cell that contains a comma or a line break must be enclosed in "
                "double quotes",
            )
        )
        return None
    if bad_bytes:
        _encoding_problems(rows, source, problems)
    return rows


def _has_text(path: Path) -> bool:
    """Anything but blank space in the file (read in blocks: a huge blank file costs no memory)."""
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            if block.strip():
                return True
    return False


def _read_csv(path: Path, errors: str) -> list[list[str]]:
    """Rows of raw cells, streamed from the file; :class:`_TooManyRows` beyond MAX_TABLE_ROWS (+ header)."""
    rows: list[list[str]] = []
    with open(path, encoding="utf-8-sig", errors=errors, newline="") as handle:
        for row in csv.reader(handle, strict=True):
            rows.append(row)
            if len(rows) > MAX_TABLE_ROWS + 1:
                raise _TooManyRows
    return rows


def _encoding_problems(rows: list[list[str]], source: str, problems: list[Problem]) -> None:
    header = [h.strip() for h in rows[0]] if rows else []
    shown = 0
    hidden = 0
    for number, row in enumerate(rows, start=1):
        for k, cell in enumerate(row):
            if "\ufffd" not in cell:
                continue
            if shown >= MAX_ENCODING_PROBLEMS:
                hidden += 1
                continue
            column = header[k] if number > 1 and k < len(header) and header[k] else None
            problems.append(
                Problem(
                    source,
                    number,
                    column,
                    cell.strip().replace("\ufffd", "?"),
                    "this cell has characters that are not UTF-8 text (the file looks saved as "
                    "Windows-1252/Latin-1); '?' marks them",
                    SAVE_AS_UTF8,
                )
            )
            shown += 1
    if hidden:
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"{hidden} more cells have characters that are not UTF-8 text",
                SAVE_AS_UTF8,
            )
        )


def _excel_text(value: object) -> str:
    """One Excel cell as the text a user would see, without float noise (7.0 -> '7', 7.5 -> '7.5').

    Text is returned as typed (not stripped): a leading tab matters to :func:`formula_warnings`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path, source: str, problems: list[Problem]) -> list[list[str]] | None:
    import openpyxl

    unzipped = _unzipped_bytes(path)
    if unzipped is not None and unzipped > MAX_XLSX_UNZIPPED_BYTES:
        problems.append(_too_large_workbook(source, unzipped))
        return None
    try:
        # read_only streams the rows: memory stays bounded by MAX_TABLE_ROWS, not by the file.
        book = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as error:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"the file cannot be opened as an Excel workbook ({error})",
                "save it from Excel as 'Excel Workbook (.xlsx)', or as 'CSV UTF-8' named with .csv",
            )
        )
        return None
    try:
        sheets = book.sheetnames
        sheet = book.worksheets[0]
        title = sheet.title
        rows = _sheet_rows(sheet)
    except _TooManyRows:
        problems.append(_too_many_rows(source))
        return None
    finally:
        book.close()
    if len(sheets) > 1:
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"only the first sheet ({sheets[0]!r}) is read; sheets {', '.join(map(repr, sheets[1:]))} "
                "are ignored",
                "move the data to the first sheet, or delete the sheets that are not part of the scenario",
                "warning",
            )
        )
    _show_unsaved_formulas(path, rows)
    if not any(any(cell.strip() for cell in row) for row in rows):
        problems.append(
            Problem(
                source,
                None,
                None,
                title,
                "the first sheet is empty",
                "put the header in row 1 of the first sheet and one row per line below it",
            )
        )
        return None
    return rows


def _sheet_rows(sheet) -> list[list[str]]:
    rows = []
    for row in sheet.iter_rows(values_only=True):
        rows.append([_excel_text(v) for v in row])
        if len(rows) > MAX_TABLE_ROWS + 1:
            raise _TooManyRows
    # Read-only sheets may yield trailing empty rows (formatting only): they carry no data.
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _unzipped_bytes(path: Path) -> int | None:
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return None  # openpyxl says what is wrong with it


def _too_large_workbook(source: str, unzipped: int) -> Problem:
    return Problem(
        source,
        None,
        None,
        f"{unzipped / 1e6:,.0f} MB unzipped",
        f"the workbook expands to {unzipped / 1e6:,.0f} MB, more than the "
        f"{MAX_XLSX_UNZIPPED_BYTES / 1e6:,.0f} MB a scenario table may have",
        "check that it is the right file; save only the table (one sheet) as .xlsx or as 'CSV UTF-8'",
    )


def _show_unsaved_formulas(path: Path, rows: list[list[str]]) -> None:
    """Put the formula text into cells whose formula has no saved result.

    Files written by programs that do not calculate (openpyxl, some exporters) store formulas without
    values; read as values those cells look empty, and "is empty" would be the wrong diagnosis. Showing
    ``=2*3`` lets the cell check say what is really there.
    """
    import openpyxl

    if not any(cell == "" for row in rows for cell in row):
        return
    book = openpyxl.load_workbook(path, data_only=False, read_only=True)
    try:
        for r, row in enumerate(book.worksheets[0].iter_rows(values_only=True)):
            if r >= len(rows):
                break
            for c, value in enumerate(row):
                unsaved = c < len(rows[r]) and rows[r][c] == ""
                if unsaved and isinstance(value, str) and value.startswith("="):
                    rows[r][c] = value
    finally:
        book.close()


# ----------------------------------------------------------------------------------------------------
# Text cells a spreadsheet would run as formulas
# ----------------------------------------------------------------------------------------------------


def unescaped(cell: str) -> str:
    """The cell without the outputs' spreadsheet escape (:mod:`commissioning.results.spreadsheet` writes
    ``'=x`` for ``=x``), so that an output folder's ``inputs/`` reads back as the user wrote it."""
    return cell[1:] if cell[:1] == "'" and cell.lstrip("'")[:1] in FORMULA_TRIGGERS else cell


def formula_trigger(raw: str) -> str | None:
    """The character that makes a spreadsheet run this text cell as a formula, or ``None``.

    ``raw`` is the cell as typed: a leading tab or carriage return counts, other surrounding space does not
    (it is stripped on reading, so `` =1+1`` is stored as ``=1+1``)."""
    raw = unescaped(raw)
    text = raw.strip()
    if not text:
        return None
    if raw[0] in ("\t", "\r"):
        return raw[0]
    return text[0] if text[0] in FORMULA_TRIGGERS else None


def formula_warnings(cells: Iterable[tuple[int, str, object]], source: str, problems: list[Problem]) -> None:
    """A warning for every text cell ``(row, column, raw value)`` that starts like a formula."""
    for row, column, raw in cells:
        trigger = formula_trigger(raw) if isinstance(raw, str) else None
        if trigger is None:
            continue
        if isinstance(problems, ProblemLog) and problems.full(source, "warning"):
            problems.omit(source, "warning")
            continue
        name = _TRIGGER_NAMES.get(trigger, f"'{trigger}'")
        problems.append(
            Problem(
                source,
                row,
                column,
                unescaped(raw) if trigger in _TRIGGER_NAMES else unescaped(raw).strip(),
                f"the text starts with {name}: a spreadsheet opening a CSV file that holds it may run it "
                "as a formula (CSV injection)",
                "rename it to start with a letter or digit (the outputs show such cells as text by putting "
                "an apostrophe in front, so they will not match what you typed)",
                "warning",
            )
        )


_MAYBE_FORMULA = frozenset(FORMULA_TRIGGERS) | {" ", "'"}  # a first character worth a closer look


def _text_cells(rows: list[list[str]], table: Table) -> list[tuple[int, str, str]]:
    """``(row number, column, raw cell)`` of the table's text and list cells that may start like a formula
    (a first-character filter: cheap enough for a table of garbage)."""
    by_lower = {c.name.lower(): c.name for c in table.columns if c.type in ("text", "list")}
    columns = [
        (k, by_lower[h.strip().lower()]) for k, h in enumerate(rows[0]) if h.strip().lower() in by_lower
    ]
    found = []
    for k, name in columns:
        found += [
            (number, name, row[k])
            for number, row in enumerate(rows[1:], start=2)
            if k < len(row) and row[k][:1] in _MAYBE_FORMULA
        ]
    return sorted(found, key=lambda cell: cell[0])


# ----------------------------------------------------------------------------------------------------
# Rows to DataFrame: header checks
# ----------------------------------------------------------------------------------------------------


def _frame(
    rows: list[list[str]], source: str, table: Table | None, problems: list[Problem], *, required: bool
) -> pd.DataFrame | None:
    if not rows or not any(rows[0]):
        problems.append(
            Problem(
                source,
                1,
                None,
                None,
                "row 1 must be the header (the column names), but it is empty",
                "put the column names in row 1 and delete blank rows above them",
            )
        )
        return None
    header = list(rows[0])
    if len(header) > MAX_COLUMNS:
        problems.append(
            Problem(
                source,
                1,
                None,
                f"{len(header):,} columns",
                f"the header has {len(header):,} columns, more than the {MAX_COLUMNS:,} a scenario table may "
                "have; the file was not read further",
                "check that it is the right file (and that rows end with line breaks); keep only the "
                "scenario's columns",
            )
        )
        return None
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t")):
        sep = ";" if ";" in header[0] else "tab"
        problems.append(
            Problem(
                source,
                1,
                None,
                header[0],
                f"the header is one column that contains '{sep}': the file seems separated by {sep}, "
                "not commas",
                "save it as 'CSV UTF-8 (Comma delimited)' so that columns are separated by commas",
            )
        )
        return None

    known = {c.name.lower(): c.name for c in table.columns} if table else {}
    names: list[str | None] = []
    seen: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for k, raw_name in enumerate(header):
        name = raw_name.strip()
        if not name:
            names.append(None)
            continue
        canonical = known.get(name.lower(), name) if table else name
        if canonical in seen:
            problems.append(
                Problem(
                    source,
                    1,
                    canonical,
                    raw_name,
                    f"the column '{canonical}' appears twice in the header (columns {seen[canonical] + 1} "
                    f"and {k + 1})",
                    "delete or rename one of the two columns",
                )
            )
            names.append(None)
            continue
        seen[canonical] = k
        names.append(canonical)
        if table and canonical not in table.by_name:
            unknown.append((k, canonical))

    width = len(header)
    must = {c.name for c in table.columns if c.required and not c.allow_empty} if table else set()
    data, index, unparsed = _data_rows(rows, names, must, source, problems)

    # Data under a column with no header name would be lost: say so.
    for k, name in enumerate(names):
        if name is None and not header[k].strip():
            filled = [index[i] for i, cells in enumerate(data) if cells[k]]
            if filled:
                problems.append(
                    Problem(
                        source,
                        filled[0],
                        None,
                        data[index.index(filled[0])][k],
                        f"column {k + 1} has values (rows {rows_text(filled)}) but no name in the header; "
                        "they are ignored",
                        "give the column a name in row 1 or delete it",
                        "warning",
                    )
                )

    if table:
        _column_name_problems(table, seen, [u for _, u in unknown], source, problems)

    keep = [k for k, n in enumerate(names) if n is not None]
    frame = pd.DataFrame(
        data, index=pd.Index(index, dtype="int64", name="row"), columns=range(width), dtype=object
    )
    frame = frame[keep].set_axis([names[k] for k in keep], axis=1)
    # Rows whose cells are shifted (more cells than columns): their cells are not checked one by one,
    # since every later cell would be reported in the wrong column.
    frame.attrs["unparsed_rows"] = unparsed
    if table and not len(frame) and table.min_rows:
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"the file has a header but no rows: at least {table.min_rows} {table.stem[:-1]} row "
                "is needed",
                f"add one row per {table.stem[:-1]} below the header",
            )
        )
    return frame


def _column_name_problems(
    table: Table, seen: dict[str, int], unknown: list[str], source: str, problems: list[Problem]
) -> None:
    """An error per missing required column and a warning per unknown one, with one rename per pair."""
    absent = [c for c in table.columns if c.name not in seen]
    renames = column_renames(absent, unknown)
    renamed = {column: name for name, column in renames.items()}
    for col in (c for c in absent if c.required):
        fix = f"add a column named '{col.name}' ({col.type_text()}) to the header in row 1"
        if col.name in renamed:
            fix = f"rename the column '{renamed[col.name]}' to '{col.name}'"
        problems.append(
            Problem(source, None, col.name, None, f"the required column '{col.name}' is missing", fix)
        )
    choices = [c.name for c in absent]
    for name in unknown:
        fix = "delete it"
        if name in renames:
            fix = f"rename it to '{renames[name]}'"
        elif choices:
            fix = f"delete it, or rename it to one of the columns the file lacks: {', '.join(choices)}"
        problems.append(
            Problem(
                source,
                None,
                name,
                None,
                f"unknown column '{name}' is ignored",
                fix + " (extra columns are not read)",
                "warning",
            )
        )


def column_renames(absent: list[Column], unknown: list[str]) -> dict[str, str]:
    """``{unknown name: the absent column it most likely is}``, one to one.

    Only columns the file lacks are offered: renaming onto one it has would make a duplicate column.
    Required columns come first, since their absence is the error the user is fixing; then likeness."""
    pairs = sorted(
        (not col.required, -likeness, k, name, col.name)
        for k, col in enumerate(absent)
        for name in unknown
        if (likeness := _name_likeness(name, col.name)) >= 0.6
    )
    renames: dict[str, str] = {}
    for *_, name, column in pairs:
        if name not in renames and column not in renames.values():
            renames[name] = column
    return renames


_FILLER_WORDS = frozenset({"per", "a", "an", "of", "the", "in"})


def _name_likeness(a: str, b: str) -> float:
    """0 to 1: the better of the spellings' likeness and the words' (``hours_per_week`` has the words of
    ``weekly_hours`` in another order, which spelling alone scores low)."""
    a, b = a.strip().lower(), b.strip().lower()
    words_a, words_b = _name_words(a), _name_words(b)
    shared = len(words_a & words_b) / len(words_a | words_b) if words_a and words_b else 0.0
    return max(difflib.SequenceMatcher(None, a, b).ratio(), shared)


def _name_words(name: str) -> set[str]:
    """The name's words without filler, each without a plural ``s`` or an adverb's ``ly`` (week, weekly)."""
    words = set()
    for word in re.split(r"[^a-z0-9]+", name):
        if word and word not in _FILLER_WORDS:
            words.add(re.sub(r"(?<=\w\w\w)(ly|s)$", "", word))
    return words


def _data_rows(
    rows: list[list[str]], names: list[str | None], must: set[str], source: str, problems: list[Problem]
) -> tuple[list[list[str]], list[int], list[int]]:
    """``(rows cut or padded to width, in place; their row numbers; rows whose cells do not fit the header)``,
    blank rows left out. Stops once the file has MAX_PROBLEMS_PER_FILE errors: the rest is not checked.

    ``names``: the header's column names (``None``: ignored); ``must``: those whose cells may not be empty."""
    width = len(names)
    full = problems.full if isinstance(problems, ProblemLog) else lambda _: False
    data: list[list[str]] = []
    index: list[int] = []
    unparsed: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue  # a blank line carries no data; its row number is simply not used
        problem = _row_length_problem(row, names, must, source, number)
        if problem is not None:
            if full(source):
                problems.stop_rows(source, number, len(rows))
                break
            problems.append(problem)
            if problem.severity == "error":
                unparsed.append(number)
        del row[width:]
        row += [""] * (width - len(row))
        data.append(row)
        index.append(number)
    return data, index, unparsed


def _row_length_problem(
    row: list[str], names: list[str | None], must: set[str], source: str, number: int
) -> Problem | None:
    """The problem of a row with more or fewer cells than the header has columns, or ``None``.

    The row's cells are then not checked one by one (an error here): every cell after a stray or lost comma
    is in the wrong column, and each would get a misleading error of its own. Empty cells beyond the header
    are harmless (a warning), and so is a short row whose missing cells may all be empty: spreadsheets
    leave out trailing empty cells."""
    width = len(names)
    if len(row) > width:
        extra = [c for c in row[width:] if c]
        return Problem(
            source,
            number,
            None,
            _cells_text(extra) if extra else None,
            f"the row has {len(row):,} cells but the header has {width} columns",
            "remove the extra cells, or add the missing column name to the header; a cell that "
            "contains a comma must be enclosed in double quotes",
            "error" if extra else "warning",
        )
    lost = [name for name in names[len(row) :] if name in must]
    if not lost:
        return None
    last = names[len(row) - 1] or f"column {len(row)}"
    return Problem(
        source,
        number,
        None,
        _cells_text([c for c in row if c][-3:]),
        f"the row has {len(row):,} cells but the header has {width} columns: it ends at {last}, with no "
        f"cell for {', '.join(lost)}, which may not be empty",
        "add the missing cells (an empty cell still needs its comma); a cell that contains a comma or a "
        "line break must be enclosed in double quotes",
    )


def _cells_text(cells: list[str], limit: int = 8) -> str:
    shown = ", ".join(cells[:limit])
    return shown + (f", ... ({len(cells) - limit:,} more)" if len(cells) > limit else "")


def rows_text(rows: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


# ----------------------------------------------------------------------------------------------------
# zones.geojson
# ----------------------------------------------------------------------------------------------------


def _property_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):  # NaN: an empty shapefile field
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescaped(str(value)).strip()


def _unknown_crs(member: object) -> bool:
    """A GeoJSON ``crs`` member (``{"type": "name", "properties": {"name": ...}}``) pyproj cannot resolve."""
    if member is None:
        return False
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else member
    if not isinstance(name, str):
        return True
    import pyproj

    try:
        pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        return True
    return False


def read_zones(folder: str | Path, *, problems: list[Problem] | None = None):
    """Read ``zones.geojson``: a GeoDataFrame in EPSG:4326, index = feature number (1-based), or ``None``.

    Property columns are strings (``""`` when absent). Geometry checks (polygon type, validity) and
    id checks are done by :mod:`commissioning.inputs.zones`; this reports unreadable files, a missing
    ``zone_id`` or ``name`` property, an unknown CRS and projected coordinates without a ``crs`` member.
    """
    folder = Path(folder)
    table = TABLES["zones"]
    found = ProblemLog()
    path = find_table_file(folder, "zones", table.extensions, found, required=True)
    if path is None:
        _finish(found, problems)
        return None
    reader = _read_zones_file if path.suffix.lower() == ".geojson" else _read_zones_layer
    result = reader(path, table, found)
    if result is not None:
        result.attrs["source"] = path.name
    _finish(found, problems)
    return result


def _geojson_document(path: Path, source: str, problems: list[Problem]) -> tuple[dict, list] | None:
    """``(document, features)`` of a GeoJSON FeatureCollection with at least one feature, or ``None`` after
    recording why not (too large, empty, not UTF-8, not JSON, not a feature collection, no features)."""
    if not _size_ok(path, source, MAX_ZONES_BYTES, problems):
        return None
    raw = path.read_bytes()
    if not raw.strip():
        problems.append(
            Problem(
                source, None, None, None, "the file is empty (0 bytes)", "export the zone polygons as GeoJSON"
            )
        )
        return None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        problems.append(
            Problem(source, None, None, None, f"the file is not UTF-8 text ({error.reason})", SAVE_AS_UTF8)
        )
        return None
    except json.JSONDecodeError as error:
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"the file is not valid JSON: {error.msg} at line {error.lineno}, character {error.colno}",
                "export the polygons again as GeoJSON (e.g. QGIS: Export > Save Features As > GeoJSON)",
            )
        )
        return None
    except RecursionError:
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                "the file nests JSON lists or objects too deeply to read",
                "export the polygons again as GeoJSON (e.g. QGIS: Export > Save Features As > GeoJSON)",
            )
        )
        return None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                'the file is JSON but not a GeoJSON FeatureCollection (an object with "type": '
                '"FeatureCollection" and a "features" list)',
                "export the polygons as a GeoJSON feature collection",
            )
        )
        return None
    features = doc["features"]
    if not features:
        problems.append(
            Problem(
                source, None, None, None, "the file has no features (no zones)", "add one polygon per zone"
            )
        )
        return None
    return doc, features


def _zone_properties(
    properties: list[dict], table: Table, source: str, problems: list[Problem]
) -> dict[str, list[str]] | None:
    """The zone table's columns as text, one value per feature (``""`` when absent), or ``None`` after an
    error (a required property missing). Property names ignore case and surrounding spaces."""
    present = {str(key).strip().lower(): key for props in properties for key in props}
    # A property that is already one of the table's columns is never offered as a rename.
    renamed = {
        column: present[name]
        for name, column in column_renames(
            [c for c in table.columns if c.name not in present],
            [name for name in present if name not in table.by_name],
        ).items()
    }
    columns: dict[str, list[str]] = {}
    for col in table.columns:
        key = present.get(col.name)
        if key is None:
            if col.required:
                fix = (
                    f"rename the property '{renamed[col.name]}' to '{col.name}'"
                    if col.name in renamed
                    else f"give every feature a '{col.name}' property ({col.type_text()})"
                )
                problems.append(
                    Problem(
                        source,
                        None,
                        col.name,
                        None,
                        f"the features have no '{col.name}' property"
                        + (f" (properties found: {', '.join(sorted(map(str, present.values())))})"
                           if present else ""),
                        fix,
                    )
                )
            columns[col.name] = [""] * len(properties)
        else:
            columns[col.name] = [_property_text(props.get(key)) for props in properties]
            if col.type == "text":
                cells = ((k, col.name, props.get(key)) for k, props in enumerate(properties, start=1))
                formula_warnings(cells, source, problems)
    if any(p.file == source and p.severity == "error" for p in problems):
        return None
    return columns


def _read_zones_file(path: Path, table: Table, problems: list[Problem]):
    import geopandas as gpd
    import pyproj

    source = path.name
    read = _geojson_document(path, source, problems)
    if read is None:
        return None
    doc, features = read

    # A feature or its properties may be any JSON value in a broken file: read only objects.
    properties = [f.get("properties") if isinstance(f, dict) else None for f in features]
    properties = [props if isinstance(props, dict) else {} for props in properties]
    columns = _zone_properties(properties, table, source, problems)
    if columns is None:
        return None

    try:
        # Only the geometry is used from here (properties are read above), and inputs.zones reports what is
        # wrong with it (e.g. NaN coordinates): GDAL's and shapely's warnings would only add noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = gpd.read_file(path)
    except Exception as error:  # pyogrio/GDAL errors: broken geometry, unsupported CRS, ...
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"the polygons cannot be read ({error})",
                "export the polygons again as GeoJSON (e.g. QGIS: Export > Save Features As > GeoJSON)",
            )
        )
        return None
    if len(frame) != len(features):
        problems.append(
            Problem(
                source,
                None,
                None,
                None,
                f"{len(features)} features in the file but {len(frame)} could be read",
                "export the polygons again as GeoJSON",
            )
        )
        return None

    crs = frame.crs
    if _unknown_crs(doc.get("crs")):
        # GDAL reads a crs member it cannot resolve (e.g. EPSG:999999) as WGS84, silently.
        problems.append(
            Problem(source, None, "crs", str(doc["crs"])[:200], "the 'crs' member names an unknown CRS",
                    "name the CRS as an EPSG code (e.g. urn:ogc:def:crs:EPSG::27700), or reproject the file "
                    "to WGS84 (EPSG:4326) and remove the 'crs' member")
        )
        return None
    if crs is None or "crs" not in doc:
        # GeoJSON without a crs member is WGS84 by definition. Projected numbers (e.g. British National
        # Grid metres) would be silently wrong: catch them.
        minx, miny, maxx, maxy = frame.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(
                Problem(
                    source,
                    None,
                    None,
                    f"bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}",
                    "the coordinates are not longitude/latitude degrees (they look projected, e.g. British "
                    "National Grid metres) and the file has no 'crs' member",
                    "reproject the file to WGS84 (EPSG:4326), or add a 'crs' member naming its CRS "
                    "(e.g. urn:ogc:def:crs:EPSG::27700)",
                )
            )
            return None
        frame = frame.set_crs("EPSG:4326", allow_override=True)
    else:
        try:
            if not pyproj.CRS(crs).equals(pyproj.CRS("EPSG:4326"), ignore_axis_order=True):
                frame = frame.to_crs("EPSG:4326")
        except Exception as error:
            problems.append(
                Problem(
                    source,
                    None,
                    "crs",
                    str(crs),
                    f"the CRS cannot be converted to WGS84 ({error})",
                    "reproject the file to WGS84 (EPSG:4326) before using it",
                )
            )
            return None

    out = gpd.GeoDataFrame(
        {name: values for name, values in columns.items()},
        geometry=list(frame.geometry),
        crs="EPSG:4326",
        index=pd.Index(range(1, len(features) + 1), name="feature"),
    )
    return out


# ----------------------------------------------------------------------------------------------------
# zones.gpkg, zones.shp
# ----------------------------------------------------------------------------------------------------

_EXPORT_AGAIN = "export the zones again from the GIS (e.g. QGIS: Export > Save Features As > GeoPackage)"


def _zone_layer_name(path: Path, source: str, problems: list[Problem]) -> str | None:
    """The GeoPackage layer to read: the only one, the one named ``zones``, or the first (warning)."""
    import pyogrio

    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    if not layers:
        problems.append(Problem(source, None, None, None, "the GeoPackage has no layers", _EXPORT_AGAIN))
        return None
    if len(layers) == 1:
        return layers[0]
    if "zones" in layers:
        return "zones"
    problems.append(
        Problem(
            source,
            None,
            None,
            ", ".join(layers),
            f"the GeoPackage has {len(layers)} layers; the first, {layers[0]!r}, is read",
            "name the zones layer 'zones', or keep only the zones layer in the file",
            "warning",
        )
    )
    return layers[0]


def _read_zones_layer(path: Path, table: Table, problems: list[Problem]):
    """A GeoPackage or shapefile of zones: the same GeoDataFrame as :func:`_read_zones_file`. The file must
    say its CRS (a shapefile's ``.prj``); polygons are reprojected to WGS84."""
    import geopandas as gpd

    source = path.name
    if not _size_ok(path, source, MAX_ZONES_BYTES, problems):
        return None
    layer = None
    try:
        if path.suffix.lower() == ".gpkg":
            layer = _zone_layer_name(path, source, problems)
            if layer is None:
                return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = gpd.read_file(path, layer=layer)
    except Exception as error:  # pyogrio/GDAL errors: not a GeoPackage, a shapefile without .shx, ...
        kind = "GeoPackage" if layer is not None or path.suffix.lower() == ".gpkg" else "shapefile"
        problems.append(
            Problem(source, None, None, None, f"the file cannot be read as a {kind} ({error})", _EXPORT_AGAIN)
        )
        return None
    if frame.empty:
        problems.append(
            Problem(source, None, None, None, "the file has no features (no zones)", "add a polygon per zone")
        )
        return None
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    columns = _zone_properties(records, table, source, problems)
    if columns is None:
        return None
    frame = _zones_in_wgs84(frame, path, source, problems)
    if frame is None:
        return None
    return gpd.GeoDataFrame(
        columns,
        geometry=list(frame.geometry),
        crs="EPSG:4326",
        index=pd.Index(range(1, len(frame) + 1), name="feature"),
    )


def _zones_in_wgs84(frame, path: Path, source: str, problems: list[Problem]):
    """The layer reprojected to WGS84; ``None`` (an error) when it has no CRS: without one its numbers
    could be degrees or metres, and guessing would put the zones in the wrong place."""
    if frame.crs is None:
        sidecar = path.with_suffix(".prj").name
        where = f" ({sidecar} is missing beside it)" if path.suffix.lower() == ".shp" else ""
        problems.append(
            Problem(
                source,
                None,
                "crs",
                None,
                f"the file has no coordinate reference system (CRS){where}, so its coordinates cannot be "
                "placed on the map",
                "export the zones again with their CRS (e.g. British National Grid, EPSG:27700), or in QGIS "
                "set the layer's CRS (Layer Properties > Source) and save it",
            )
        )
        return None
    try:
        return frame.to_crs("EPSG:4326")
    except Exception as error:  # pyproj: a CRS without a transformation to WGS84
        problems.append(
            Problem(
                source,
                None,
                "crs",
                str(frame.crs)[:200],
                f"the CRS cannot be converted to WGS84 ({error})",
                "reproject the file to WGS84 (EPSG:4326) or British National Grid (EPSG:27700)",
            )
        )
        return None
