"""Read the scenario folder's files as raw text, reporting every file-level problem as a :class:`Problem`.

* :func:`read_table` finds ``<stem>.csv`` or ``<stem>.xlsx`` and returns a DataFrame of stripped strings whose
  index is the spreadsheet row number (header = row 1, first data row = row 2) and whose columns are the
  schema's column names (headers are matched ignoring case and surrounding spaces).
* :func:`read_zones` reads ``zones.geojson`` into a GeoDataFrame in EPSG:4326 whose index is the feature
  number (1-based) and whose property columns are strings.

Typing and checking cell values is :mod:`commissioning.scenario_data`'s job.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
from pathlib import Path

import pandas as pd

from commissioning.errors import InputError, Problem
from commissioning.schema import TABLES, Table

MAX_ENCODING_PROBLEMS = 10
SAVE_AS_UTF8 = (
    "save the file as UTF-8: in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'; "
    "in LibreOffice tick 'Edit filter settings' and choose 'Unicode (UTF-8)'"
)
_OTHER_TABLE_EXTENSIONS = (".xls", ".ods", ".txt", ".tsv", ".numbers", ".xlsm")


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
    # Nothing with the exact name: look for near misses (capitals, other spreadsheet formats).
    names_ok = {(stem + ext).lower() for ext in extensions}
    near = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            lower = path.name.lower()
            if lower in names_ok or (
                path.stem.lower() == stem and path.suffix.lower() in _OTHER_TABLE_EXTENSIONS
            ):
                near.append(path.name)
    allowed = " or ".join(stem + ext for ext in extensions)
    if near:
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
                f"the scenario folder has no {allowed}",
                f"add {allowed} to {folder}",
            )
        )
    return None


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
    """
    folder = Path(folder)
    table = TABLES.get(stem)
    extensions = table.extensions if table else (".csv", ".xlsx")
    if required is None:
        required = table.required if table else True
    found: list[Problem] = []
    path = find_table_file(folder, stem, extensions, found, required=required)
    if path is None:
        _finish(found, problems)
        return None, f"{stem}{extensions[0]}"
    source = path.name
    if path.suffix.lower() == ".xlsx":
        rows = _xlsx_rows(path, source, found)
    else:
        rows = _csv_rows(path, source, found, required=required)
    frame = None if rows is None else _frame(rows, source, table, found, required=required)
    _finish(found, problems)
    return frame, source


# ----------------------------------------------------------------------------------------------------
# CSV and Excel to rows of strings
# ----------------------------------------------------------------------------------------------------


def _csv_rows(path: Path, source: str, problems: list[Problem], *, required: bool) -> list[list[str]] | None:
    raw = path.read_bytes()
    if not raw.strip():
        severity = "error" if required else "warning"
        what = "is empty (0 bytes)" if not raw else "holds only blank space"
        fix = "write the header line (row 1) and one line per row" + (
            "" if required else "; an optional table with no rows still needs its header line"
        )
        problems.append(Problem(source, None, None, None, f"the file {what}", fix, severity))
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
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
        text = raw.decode("utf-8-sig")
        bad_bytes = False
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        bad_bytes = True
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
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
    return [[cell.strip() for cell in row] for row in rows]


def _excel_text(value: object) -> str:
    """One Excel cell as the text a user would see, without float noise (7.0 -> '7', 7.5 -> '7.5')."""
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
    return str(value).strip()


def _xlsx_rows(path: Path, source: str, problems: list[Problem]) -> list[list[str]] | None:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True)
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
    sheets = book.sheetnames
    sheet = book.worksheets[0]
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
    rows = [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    _show_unsaved_formulas(path, rows)
    if not any(any(row) for row in rows):
        problems.append(
            Problem(
                source,
                None,
                None,
                sheet.title,
                "the first sheet is empty",
                "put the header in row 1 of the first sheet and one row per line below it",
            )
        )
        return None
    return rows


def _show_unsaved_formulas(path: Path, rows: list[list[str]]) -> None:
    """Put the formula text into cells whose formula has no saved result.

    Files written by programs that do not calculate (openpyxl, some exporters) store formulas without
    values; read as values those cells look empty, and "is empty" would be the wrong diagnosis. Showing
    ``=2*3`` lets the cell check say what is really there.
    """
    import openpyxl

    if not any(cell == "" for row in rows for cell in row):
        return
    sheet = openpyxl.load_workbook(path, data_only=False).worksheets[0]
    for r, row in enumerate(sheet.iter_rows(values_only=True)):
        for c, value in enumerate(row):
            unsaved = r < len(rows) and c < len(rows[r]) and rows[r][c] == ""
            if unsaved and isinstance(value, str) and value.startswith("="):
                rows[r][c] = value


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
    data: list[list[str]] = []
    index: list[int] = []
    unparsed: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue  # a blank line carries no data; its row number is simply not used
        if len(row) > width:
            # Extra cells with values would be lost: an error. Empty extra cells are harmless, unless the
            # row was shifted by an unquoted comma, which then shows up as errors in the shifted cells.
            extra = [c for c in row[width:] if c]
            problems.append(
                Problem(
                    source,
                    number,
                    None,
                    ", ".join(extra) if extra else None,
                    f"the row has {len(row)} cells but the header has {width} columns",
                    "remove the extra cells, or add the missing column name to the header; a cell that "
                    "contains a comma must be enclosed in double quotes",
                    "error" if extra else "warning",
                )
            )
            if extra:
                unparsed.append(number)
        cells = (row + [""] * width)[:width]
        data.append(cells)
        index.append(number)

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
                        f"column {k + 1} has values (rows {_rows_text(filled)}) but no name in the header; "
                        "they are ignored",
                        "give the column a name in row 1 or delete it",
                        "warning",
                    )
                )

    missing = [c for c in table.columns if c.required and c.name not in seen] if table else []
    unknown_names = [u for _, u in unknown]
    for col in missing:
        hint = difflib.get_close_matches(col.name, unknown_names, n=1, cutoff=0.6)
        fix = f"add a column named '{col.name}' ({col.type_text()}) to the header in row 1"
        if hint:
            fix = f"rename the column '{hint[0]}' to '{col.name}'"
        problems.append(
            Problem(source, None, col.name, None, f"the required column '{col.name}' is missing", fix)
        )
    for _, name in unknown:
        choices = [c.name for c in table.columns]
        hint = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        fix = (
            f"rename it to '{hint[0]}'"
            if hint
            else f"delete it, or rename it to one of: {', '.join(choices)}"
        )
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

    keep = [k for k, n in enumerate(names) if n is not None]
    frame = pd.DataFrame(
        [[cells[k] for k in keep] for cells in data],
        index=pd.Index(index, dtype="int64", name="row"),
        columns=[names[k] for k in keep],
        dtype=object,
    )
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


def _rows_text(rows: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


# ----------------------------------------------------------------------------------------------------
# zones.geojson
# ----------------------------------------------------------------------------------------------------


def _property_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_zones(folder: str | Path, *, problems: list[Problem] | None = None):
    """Read ``zones.geojson``: a GeoDataFrame in EPSG:4326, index = feature number (1-based), or ``None``.

    Property columns are strings (``""`` when absent). Geometry checks (polygon type, validity) and
    id checks are done by :mod:`commissioning.scenario_data`; this reports unreadable files, a missing
    ``zone_id`` or ``name`` property, an unknown CRS and projected coordinates without a ``crs`` member.
    """
    folder = Path(folder)
    table = TABLES["zones"]
    found: list[Problem] = []
    path = find_table_file(folder, "zones", table.extensions, found, required=True)
    if path is None:
        _finish(found, problems)
        return None
    result = _read_zones_file(path, table, found)
    _finish(found, problems)
    return result


def _read_zones_file(path: Path, table: Table, problems: list[Problem]):
    import geopandas as gpd
    import pyproj

    source = path.name
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

    properties = [(f.get("properties") or {}) if isinstance(f, dict) else {} for f in features]
    present = {key.strip().lower(): key for props in properties for key in props}
    columns: dict[str, list[str]] = {}
    for col in table.columns:
        key = present.get(col.name)
        if key is None:
            if col.required:
                hint = difflib.get_close_matches(col.name, list(present), n=1, cutoff=0.6)
                fix = (
                    f"rename the property '{present[hint[0]]}' to '{col.name}'"
                    if hint
                    else f"give every feature a '{col.name}' property ({col.type_text()})"
                )
                problems.append(
                    Problem(
                        source,
                        None,
                        col.name,
                        None,
                        f"the features have no '{col.name}' property"
                        + (f" (properties found: {', '.join(sorted(present.values()))})" if present else ""),
                        fix,
                    )
                )
            columns[col.name] = [""] * len(features)
        else:
            columns[col.name] = [_property_text(props.get(key)) for props in properties]
    if any(p.file == source and p.severity == "error" for p in problems):
        return None

    try:
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
