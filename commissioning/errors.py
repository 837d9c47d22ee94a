"""The exceptions of the product layer (``commissioning``): input files, scenario files, runs.

Each layer raises its own: ``geodata.errors``, ``maps.errors`` and the solver's below this one; the CLI
turns the base class of every layer into one line. Errors about user input carry :class:`Problem` records
naming file, row, column, value and the fix, so a commissioner can correct the file without reading a
traceback. Kept free of heavy imports: the CLI imports it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row, or file) of the user's input.

    ``row`` is the 1-based data row as a spreadsheet user counts it: the header is row 1,
    so the first data row is row 2. ``None`` means the problem concerns the whole file
    (or a whole column).
    """

    file: str
    row: int | None
    column: str | None
    value: object
    message: str
    fix: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value: {self.value!r})"
        return f"{self.severity.upper()}: {where}: {self.message}{shown}. Fix: {self.fix}"

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "message": self.message,
            "fix": self.fix,
        }


class CareCommissioningError(Exception):
    """Base class of every error the product layer raises on purpose."""


class InputError(CareCommissioningError):
    """The user's files are wrong; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the input"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class ScenarioError(CareCommissioningError):
    """A scenario file (TOML) is wrong: unknown key, wrong type, missing folder."""


class InfeasibleError(CareCommissioningError):
    """The allocation cannot be satisfied; ``diagnosis`` says why in commissioner words."""

    def __init__(self, message: str, diagnosis: list[str] | None = None):
        self.diagnosis = list(diagnosis or [])
        super().__init__(message)
