"""Base dataset folders for the fuzzer, and reading/writing their tables as rows of cells.

The bases are small (25-40 clients) so that a mutated copy validates in a fraction of a second and a full
run takes a few seconds. They are generated once per process and copied for every example.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

TABLE_STEMS = ("clients", "providers", "hubs", "pools")


@dataclass(frozen=True)
class BaseSpec:
    """How one base folder is made: generated, then some tables saved as .xlsx and some files removed."""

    clients: int
    seed: int
    excel: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


BASES = {
    # Everything present, the embedded road and ferry network.
    "network": BaseSpec(clients=40, seed=3),
    # Excel tables, no hubs.csv and no dataset.json: default hubs at bases, approximate travel, no region.
    "excel": BaseSpec(
        clients=30, seed=5, excel=("clients", "providers"), remove=("hubs.csv", "dataset.json")
    ),
    # No pools at all (the optional file is absent).
    "lean": BaseSpec(clients=25, seed=11, remove=("pools.csv",)),
}


def make_bases(root: Path) -> dict[str, Path]:
    """Generate every base folder under ``root`` (skipped if already there); ``{name: folder}``."""
    from commissioning.synthetic.generate import generate_scenario

    folders = {}
    for name, spec in BASES.items():
        folder = root / name
        if not (folder / "zones.geojson").is_file():
            generate_scenario(folder, n_clients=spec.clients, seed=spec.seed, force=True)
            for stem in spec.excel:
                csv_to_xlsx(folder / f"{stem}.csv")
            for file in spec.remove:
                (folder / file).unlink()
        folders[name] = folder
    return folders


# ----------------------------------------------------------------------------------------------------
# Tables as rows of cells (CSV or the first sheet of an .xlsx)
# ----------------------------------------------------------------------------------------------------


def table_file(folder: Path, target: str) -> Path | None:
    """``target`` is a table stem (``clients``: .csv or .xlsx) or a path relative to ``folder``."""
    if "." in Path(target).name:
        path = folder / target
        return path if path.is_file() else None
    for ext in (".csv", ".xlsx"):
        if (folder / f"{target}{ext}").is_file():
            return folder / f"{target}{ext}"
    return None


def read_rows(path: Path) -> list[list[object]]:
    """Rows of cells; raises ValueError when the file is not a readable table (then a mutation is skipped)."""
    if path.suffix == ".xlsx":
        return _xlsx_rows(path)
    # surrogateescape: bytes that are not UTF-8 (from an earlier mutation) survive a read-write cycle.
    text = path.read_bytes().decode("utf-8-sig", errors="surrogateescape")
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), strict=True)]
    except csv.Error as error:
        raise ValueError(str(error)) from error


def write_rows(path: Path, rows: list[list[object]]) -> None:
    if path.suffix == ".xlsx":
        _write_xlsx(path, rows)
        return
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8", errors="surrogateescape"))


def _xlsx_rows(path: Path) -> list[list[object]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path)
    except Exception as error:  # a corrupted workbook raises anything from zipfile, lxml, openpyxl
        raise ValueError(f"not a workbook: {error}") from error
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _write_xlsx(path: Path, rows: list[list[object]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    book.save(path)


def _xlsx_value(value: object) -> object:
    """Cells Excel cannot hold (control characters) are written as their repr, so the write never fails."""
    if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        return repr(value)
    return value


def csv_to_xlsx(path: Path) -> Path:
    """Save a CSV table as .xlsx (numbers as numbers, like a user's workbook) and delete the CSV."""
    rows = read_rows(path)
    typed = [rows[0]] + [[_number_or_text(cell) for cell in row] for row in rows[1:]]
    target = path.with_suffix(".xlsx")
    _write_xlsx(target, typed)
    path.unlink()
    return target


def _number_or_text(cell: object) -> object:
    try:
        number = float(str(cell))
    except ValueError:
        return cell
    if number != number or number in (float("inf"), float("-inf")):
        return cell  # "nan" and "inf" are text a user typed, not numbers Excel would store
    return int(number) if number.is_integer() and "." not in str(cell) else number


def cell_text(value: object) -> str:
    """A cell as the text a user sees (the README's rule for Excel: 7.0 shows as 7)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def input_client_ids(folder: Path) -> list[str] | None:
    """The ``client_id`` of every non-blank row of the folder's clients table, read without the product's
    reader (it is the oracle for "every client exactly once"); ``None`` if it cannot be read."""
    path = table_file(folder, "clients")
    if path is None:
        return None
    try:
        rows = [[cell_text(c) for c in row] for row in read_rows(path)]
    except (ValueError, OSError):
        return None
    if not rows:
        return None
    header = [h.strip().lower() for h in rows[0]]
    if "client_id" not in header:
        return None
    k = header.index("client_id")
    return [row[k] if k < len(row) else "" for row in rows[1:] if any(c.strip() for c in row)]


def copy_folder(source: Path, target: Path, *, skip: tuple[str, ...] = ()) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip) if skip else None)
    return target


def read_json(path: Path) -> object:
    """Strict JSON (NaN and Infinity are not JSON); raises ValueError."""

    def refuse(constant: str) -> object:
        raise ValueError(f"{path.name} holds {constant}, which is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
