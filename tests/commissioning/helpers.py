"""Shared helpers for the input-reading tests (copy the valid fixture, edit one cell, find a Problem) and for
the solver runs on the generated region."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from commissioning.errors import InputError, Problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
VALID = FIXTURES / "valid_small"
ANY = object()


def copy_valid(tmp_path: Path, *overlays: str) -> Path:
    """A copy of ``valid_small`` in ``tmp_path`` with the files of ``fixtures/scenarios/<overlay>`` on top."""
    folder = tmp_path / "scenario"
    shutil.copytree(VALID, folder)
    for overlay in overlays:
        for path in (FIXTURES / overlay).iterdir():
            shutil.copy(path, folder / path.name)
    return folder


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts like a spreadsheet (header = row 1)."""
    path = folder / file
    rows = read_rows(path)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def drop_column(folder: Path, file: str, column: str) -> None:
    path = folder / file
    rows = read_rows(path)
    k = rows[0].index(column)
    write_rows(path, [r[:k] + r[k + 1 :] for r in rows])


def add_column(folder: Path, file: str, column: str, value: str) -> None:
    path = folder / file
    rows = read_rows(path)
    write_rows(path, [rows[0] + [column]] + [r + [value] for r in rows[1:]])


def append_row(folder: Path, file: str, **cells: str) -> int:
    """Append a row (missing cells empty); returns its spreadsheet row number."""
    path = folder / file
    rows = read_rows(path)
    rows.append([cells.get(name, "") for name in rows[0]])
    write_rows(path, rows)
    return len(rows)


def problems_of(source) -> list[Problem]:
    """Problems from an ExceptionInfo, InputError, DatasetCheck, Dataset or a list."""
    if isinstance(source, pytest.ExceptionInfo):
        source = source.value
    if isinstance(source, InputError):
        return list(source.problems)
    if hasattr(source, "problems"):
        return list(source.problems)
    if hasattr(source, "warnings"):
        return list(source.warnings)
    return list(source)


def assert_problem(
    source,
    *,
    file: str,
    row: int | None,
    column: str | None,
    value=ANY,
    severity: str = "error",
    contains: str | None = None,
) -> Problem:
    """Exactly the Problem asked for exists, and its message names file, row, column (and value)."""
    problems = problems_of(source)
    listing = "\n".join(f"  {p}" for p in problems) or "  (none)"

    def matches(p: Problem) -> bool:
        return (
            p.file == file
            and p.row == row
            and p.column == column
            and p.severity == severity
            and (value is ANY or str(p.value) == str(value))
        )

    found = [p for p in problems if matches(p)]
    assert found, f"no {severity} for {file} row {row} column {column!r} value {value!r}; got:\n{listing}"
    problem = found[0]
    text = str(problem)
    assert text.startswith(severity.upper())
    assert file in text
    if row is not None:
        assert f"row {row}" in text
    if column is not None:
        assert f"column '{column}'" in text
    if value is not ANY and value is not None:
        assert repr(str(value)) in text or repr(value) in text
    if contains is not None:
        assert contains.lower() in text.lower(), text
    assert "Fix: " in text and len(problem.fix) > 10, text
    return problem


def errors(source) -> list[Problem]:
    return [p for p in problems_of(source) if p.severity == "error"]


def generated_problem(folder: Path, n_clients: int, seed: int = 1):
    """The solver arrays (pools on) of the embedded region's generator, written to ``folder``, on the road
    and ferry network."""
    from commissioning.inputs.folder import load_dataset
    from commissioning.running.problem import build_problem
    from commissioning.synthetic.generate import generate_scenario
    from geodata.region import load_region

    generate_scenario(folder, n_clients=n_clients, seed=seed)
    region = load_region()
    problem, _ = build_problem(load_dataset(folder, region_land=region.land), region.network(), pools=True)
    return problem
