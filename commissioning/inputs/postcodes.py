"""Points given as postcodes: fill ``lon``/``lat`` from the postcode lookup the user supplies.

``clients.csv`` and ``hubs.csv`` may have a ``postcode`` column and ``providers.csv`` a ``base_postcode``
column. A row whose coordinates are empty takes its postcode's centre from the lookup (see
:mod:`geodata.postcodes`): an unknown, terminated or badly written postcode is then an error naming the row
and the postcode. A row with coordinates keeps them (they are more exact than a postcode's centre); its
postcode is checked too, and a postcode more than :data:`MAX_APART_M` from the coordinates, unknown or
terminated is a warning. Warnings name the row, never the postcode: warnings reach the outputs
(``kpis.json``, the report), and postcodes are personal data.

The lookup is named by ``"postcode_lookup": "PATH"`` in ``dataset.json`` (relative to the data folder, a CSV
file or a folder of them), else it is ``postcodes.csv`` in the data folder.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from commissioning.errors import Problem
from commissioning.inputs.schema import DATASET_FILE
from geodata.geometry import haversine_km
from geodata.postcodes import PostcodeEntry, PostcodeLookupError, look_up, postcode_key

# table stem -> (postcode column, lon column, lat column)
LOCATED_TABLES: dict[str, tuple[str, str, str]] = {
    "clients": ("postcode", "lon", "lat"),
    "providers": ("base_postcode", "base_lon", "base_lat"),
    "hubs": ("postcode", "lon", "lat"),
}
LOOKUP_KEY = "postcode_lookup"
DEFAULT_LOOKUP = "postcodes.csv"
MAX_APART_M = 1_000.0  # a rural postcode spans a few hundred metres; further apart, one of them is wrong
NAME_LOOKUP = (
    f"save the ONS Postcode Directory or OS Code-Point Open CSV as {DEFAULT_LOOKUP} in the data folder, or "
    f'name it in {DATASET_FILE}: "{LOOKUP_KEY}": "PATH"'
)
_CHECK_POSTCODE = "check the postcode against the address (a letter O for a zero, a missing letter?)"


def locate(
    frame: pd.DataFrame, folder: Path, stem: str, source: str, problems: list[Problem]
) -> pd.DataFrame:
    """The table with every empty ``lon``/``lat`` filled from its postcode; problems appended.

    Also the one place where a row without a location is an error (``lon``/``lat`` are optional columns
    since a postcode may stand for them)."""
    if stem not in LOCATED_TABLES:
        return frame
    pc_col, lon_col, lat_col = LOCATED_TABLES[stem]
    if not _columns_ok(frame, pc_col, lon_col, lat_col, source, problems):
        return frame
    if pc_col not in frame.columns:
        pc_t = np.full(len(frame), "", dtype=object)  # coordinates only, as before postcodes
    else:
        pc_t = frame[pc_col].to_numpy(dtype=object)
        frame = frame.copy()
        for col in (lon_col, lat_col):
            if col not in frame.columns:
                frame[col] = ""
    lon_t, lat_t = (frame[c].to_numpy(dtype=object) for c in (lon_col, lat_col))
    rows = [int(r) for r in frame.index]
    needed: list[int] = []  # positions of rows located by their postcode
    checked: list[int] = []  # positions of rows with coordinates and a postcode
    for i, row in enumerate(rows):
        has_lon, has_lat, has_pc = lon_t[i] != "", lat_t[i] != "", pc_t[i] != ""
        if has_lon and has_lat:
            checked += [i] if has_pc else []
        elif has_lon or has_lat:
            missing, given = (lat_col, lon_col) if has_lon else (lon_col, lat_col)
            problems.append(
                Problem(
                    source,
                    row,
                    missing,
                    None,
                    f"{missing} is empty but {given} is given",
                    f"enter both {lon_col} and {lat_col}, or empty both and give the {pc_col}",
                )
            )
        elif has_pc:
            needed.append(i)
        else:
            problems.append(
                Problem(
                    source,
                    row,
                    f"{lon_col}, {lat_col}" + (f", {pc_col}" if pc_col in frame.columns else ""),
                    None,
                    f"the row has no location: {lon_col} and {lat_col} are empty"
                    + (f", and so is {pc_col}" if pc_col in frame.columns else ""),
                    f"enter {lon_col} and {lat_col} (WGS84 degrees), or the {pc_col}"
                    + ("" if pc_col in frame.columns else f" in a '{pc_col}' column"),
                )
            )
    if needed or checked:
        entries = _entries(
            folder, [pc_t[i] for i in needed + checked], bool(needed), source, pc_col, problems
        )
        if entries is not None:
            _fill(frame, rows, needed, entries, source, (pc_col, lon_col, lat_col), problems)
            _compare(frame, rows, checked, entries, source, (pc_col, lon_col, lat_col), problems)
    return frame


def _columns_ok(frame, pc_col: str, lon_col: str, lat_col: str, source: str, problems) -> bool:
    """False (and one error per missing column) when the header can locate no row."""
    present = set(frame.columns)
    if {lon_col, lat_col} <= present or pc_col in present and not ({lon_col, lat_col} & present):
        return True
    for col in (lon_col, lat_col):
        if col not in present:
            problems.append(
                Problem(
                    source,
                    None,
                    col,
                    None,
                    f"the required column '{col}' is missing",
                    f"add the columns '{lon_col}' and '{lat_col}' (WGS84 degrees), or a "
                    f"'{pc_col}' column (then leave out both coordinate columns or leave "
                    "their cells empty)",
                )
            )
    return False


def lookup_path(folder: Path) -> tuple[Path | None, str]:
    """``(the lookup named for the folder or None, how it is named)``."""
    doc = {}
    # dataset.json's own problems are reported by commissioning.inputs.dataset
    with contextlib.suppress(OSError, ValueError, RecursionError):
        doc = json.loads((folder / DATASET_FILE).read_bytes().decode("utf-8-sig"))
    named = doc.get(LOOKUP_KEY) if isinstance(doc, dict) else None
    if named is not None and str(named).strip():  # a number or list names no file: "does not exist"
        return folder / Path(str(named).strip()).expanduser(), f'{DATASET_FILE} "{LOOKUP_KEY}"'
    default = folder / DEFAULT_LOOKUP
    return (default if default.exists() else None), DEFAULT_LOOKUP


def _entries(
    folder: Path, postcodes: list[str], needed: bool, source: str, pc_col: str, problems: list[Problem]
) -> dict[str, PostcodeEntry] | None:
    """The lookup's entries for these postcodes; ``None`` (an error when a row needs it, else a warning)
    without a readable lookup."""
    path, named = lookup_path(folder)
    severity = "error" if needed else "warning"
    unchecked = "" if needed else "; the postcodes were not checked (the rows' coordinates are used)"
    if path is None:
        problems.append(
            Problem(
                source,
                None,
                pc_col,
                None,
                f"the file has postcodes but the data folder names no postcode lookup{unchecked}",
                NAME_LOOKUP,
                severity,
            )
        )
        return None
    try:
        return look_up(path, {postcode_key(p) for p in postcodes} - {None})
    except PostcodeLookupError as error:
        problems.append(
            Problem(
                source,
                None,
                pc_col,
                str(error.path),
                f"the postcode lookup ({named}) cannot be used: "
                f"{str(error).split(': ', 1)[1].split('. Fix: ')[0]}{unchecked}",
                error.fix,
                severity,
            )
        )
        return None


def _fill(frame, rows, needed, entries, source, columns, problems) -> None:
    pc_col, lon_col, lat_col = columns
    for i in needed:
        typed = frame[pc_col].iloc[i]
        key = postcode_key(typed)
        entry = entries.get(key) if key else None
        wrong = _wrong(f"postcode '{typed}'", key, entry, bool(entries))
        if wrong:
            message, fix = wrong
            problems.append(
                Problem(
                    source,
                    rows[i],
                    pc_col,
                    typed,
                    message,
                    f"{fix}; or enter {lon_col} and {lat_col} instead",
                )
            )
            continue
        frame.iloc[i, frame.columns.get_loc(lon_col)] = f"{entry.lon:.6f}"
        frame.iloc[i, frame.columns.get_loc(lat_col)] = f"{entry.lat:.6f}"


def _wrong(
    what: str, key: str | None, entry: PostcodeEntry | None, any_found: bool
) -> tuple[str, str] | None:
    """``(message, fix)`` when the postcode (``what``: e.g. "postcode 'PA34 4AB'") cannot locate the row."""
    if key is None:
        return (
            f"{what} is not a UK postcode (e.g. PA34 4AB)",
            "write the whole postcode: area and district, a space, then a digit and two letters",
        )
    if entry is None:
        hint = "" if any_found else " (none of the file's postcodes is in it: is it the right file?)"
        return (
            f"{what} is unknown: it is not in the postcode lookup{hint}",
            _CHECK_POSTCODE + ", or use a newer lookup file",
        )
    if entry.terminated:
        month = entry.terminated
        when = f" in {month[:4]}-{month[4:6]}" if len(month) == 6 and month.isdigit() else f" ({month})"
        return f"{what} was terminated{when}: it is no longer in use", "use the address's current postcode"
    if entry.lon is None:
        return f"the postcode lookup has no coordinates for {what}", "enter the address's coordinates"
    return None


def _compare(frame, rows, checked, entries, source, columns, problems) -> None:
    """Warnings (row only: warnings reach the outputs) for postcodes that disagree with the coordinates."""
    pc_col, lon_col, lat_col = columns
    for i in checked:
        typed = frame[pc_col].iloc[i]
        key = postcode_key(typed)
        entry = entries.get(key) if key else None
        wrong = _wrong("the postcode", key, entry, True)
        if wrong:
            problems.append(
                Problem(
                    source,
                    rows[i],
                    pc_col,
                    None,
                    f"{wrong[0]}; the row's {lon_col} and {lat_col} are used",
                    _CHECK_POSTCODE,
                    "warning",
                )
            )
            continue
        try:
            lon, lat = float(frame[lon_col].iloc[i]), float(frame[lat_col].iloc[i])
        except ValueError:
            continue  # the coordinate cell's own problem is reported
        km = float(haversine_km(lon, lat, entry.lon, entry.lat))
        if np.isfinite(km) and km * 1000 > MAX_APART_M:
            problems.append(
                Problem(
                    source,
                    rows[i],
                    pc_col,
                    None,
                    f"the postcode's centre is {km:,.1f} km from the row's {lon_col}, {lat_col} "
                    f"(more than {MAX_APART_M / 1000:g} km); the coordinates are used",
                    f"check the coordinates and the postcode; {_CHECK_POSTCODE}",
                    "warning",
                )
            )
