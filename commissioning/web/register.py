"""One provider id, one organisation, in the whole app.

A provider user signs in bound to a provider id (``P03``) and sees that provider's views in every published
run, whichever dataset it was run on. If two datasets used ``P03`` for two organisations, one would see the
other's work. So an upload whose ``providers.csv`` gives an id that a usable dataset already gives to an
organisation of another name is an error of the upload, said as validate says its findings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from commissioning.errors import Problem
from commissioning.inputs.tables import ProblemLog, read_table


def register(folder: Path) -> tuple[pd.DataFrame, str]:
    """The dataset's ``provider_id`` and ``name`` columns (index: the spreadsheet row) and the file's name;
    an empty table when the file cannot be read (its own problems are validate's)."""
    table, source = read_table(folder, "providers", problems=ProblemLog())
    if table is None or not {"provider_id", "name"} <= set(table.columns):
        return pd.DataFrame(columns=["provider_id", "name"]), source
    return table[["provider_id", "name"]], source


def _key(name: str) -> str:
    """Names compare as a reader would: case and runs of spaces aside."""
    return " ".join(str(name).split()).casefold()


def clashes(folder: Path, others: list[tuple[str, Path]]) -> list[Problem]:
    """An error for each provider id of ``folder`` that one of ``others`` (label, folder) gives to an
    organisation of another name; the first such dataset is named."""
    seen: dict[str, tuple[str, str]] = {}
    for label, other in others:
        _remember(seen, label, register(other)[0])
    return _against(*register(folder), seen)


def _remember(seen: dict[str, tuple[str, str]], label: str, table: pd.DataFrame) -> None:
    for provider_id, name in zip(table["provider_id"], table["name"], strict=True):
        seen.setdefault(provider_id, (name, label))


def _against(mine: pd.DataFrame, source: str, seen: dict[str, tuple[str, str]]) -> list[Problem]:
    problems = []
    for row, provider_id, name in zip(mine.index, mine["provider_id"], mine["name"], strict=True):
        if provider_id in seen and _key(seen[provider_id][0]) != _key(name):
            their_name, label = seen[provider_id]
            problems.append(_clash(source, int(row), provider_id, name, their_name, label))
    return problems


def _clash(source: str, row: int, provider_id: str, name: str, their_name: str, label: str) -> Problem:
    return Problem(
        source,
        row,
        "name",
        name,
        f"provider id '{provider_id}' is '{their_name}' in {label}; provider users sign in by id, so one id "
        "names one organisation in this app",
        f"if this is '{their_name}', write that name; if it is another organisation, give it an id no other "
        "dataset uses (e.g. a prefix of the area), then upload the dataset again",
    )


def clashes_between(datasets: list[tuple[str, Path]]) -> list[str]:
    """Each clash between usable ``datasets`` (label, folder), in upload order: those uploaded before this
    check existed (``serve`` says them at start, as warnings for whoever runs the app)."""
    lines, seen = [], {}
    for label, folder in datasets:  # each providers file read once, checked against those before it
        table, source = register(folder)
        for problem in _against(table, source, seen):
            lines.append(f"warning: {label}, {problem.file}, row {problem.row}: {problem.message}. The "
                         "provider user of that id sees both organisations' published runs: withdraw one's "
                         "runs from providers until its data give it an id of its own")
        _remember(seen, label, table)
    return lines
