"""The README's *Dataset folder format* tables and commissioning/inputs/schema.py describe the same
columns; the vocabularies are declared once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commissioning import vocabulary
from commissioning.inputs import schema
from geodata import timebands

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_tables() -> dict[str, list[tuple[list[str], str]]]:
    """{stem: [(column names of one README row, the row's text)]} from the README's format section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Dataset folder format", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, list[tuple[list[str], str]]] = {}
    for block in re.split(r"\n### ", section)[1:]:
        heading = block.splitlines()[0]
        match = re.match(r"`(\w+)\.(csv|geojson)`", heading)
        if not match:
            continue
        rows = []
        for line in block.splitlines():
            if not line.startswith("| `"):
                continue
            first = line.split("|")[1]
            rows.append((re.findall(r"`(\w+)`", first), line))
        tables[match.group(1)] = rows
    return tables


def test_readme_lists_every_table():
    assert set(readme_tables()) == set(schema.TABLES)


@pytest.mark.parametrize("stem", list(schema.TABLES))
def test_every_readme_column_is_in_the_schema_and_back(stem):
    readme = {name for names, _ in readme_tables()[stem] for name in names}
    declared = {c.name for c in schema.TABLES[stem].columns}
    assert readme - declared == set(), f"README columns of {stem} missing from schema.py"
    assert declared - readme == set(), f"schema.py columns of {stem} missing from the README"


@pytest.mark.parametrize("stem", list(schema.TABLES))
def test_readme_vocabularies_match_the_schema(stem):
    rows = {name: line for names, line in readme_tables()[stem] for name in names}
    for col in schema.TABLES[stem].columns:
        if col.allowed and col.name != "skills":  # skills says "same words as needs"
            words = set(re.findall(r"`(\w+)`", rows[col.name].split("|")[2] + rows[col.name].split("|")[3]))
            assert set(col.allowed) <= words, (col.name, set(col.allowed) - words)


def test_readme_marks_optional_columns():
    rows = {(stem, n): line for stem, t in readme_tables().items() for names, line in t for n in names}
    for stem, table in schema.TABLES.items():
        for col in table.columns:
            if not col.required:
                assert "optional" in rows[(stem, col.name)], (stem, col.name)


def test_render_markdown_has_every_column():
    text = schema.render_markdown()
    for table in schema.TABLES.values():
        assert f"### `{table.stem}{table.extensions[0]}`" in text
        for col in table.columns:
            assert f"| `{col.name}` | " in text
    assert "| `weekly_hours` | number in (0, 168] |" in text
    assert "| `carers_per_visit` | 1 or 2 |" in text
    assert "| `pinned` | yes/no, optional (default no) |" in text


def test_vocabularies():
    assert vocabulary.BAND_NAMES == ("morning", "lunch", "tea", "bed")
    assert "personal_care" in vocabulary.NEEDS and len(set(vocabulary.NEEDS)) == len(vocabulary.NEEDS) == 7
    assert vocabulary.FUNDERS == ("council", "nhs")
    assert set(vocabulary.PROVIDER_KINDS) == {"national", "independent", "third_sector", "in_house"}


def test_time_bands_are_defined_once_in_geodata():
    assert vocabulary.BAND_NAMES is timebands.BAND_NAMES
    assert tuple(timebands.TIME_BANDS) == timebands.BAND_NAMES
    assert schema.CLIENTS.by_name["time_bands"].allowed is timebands.BAND_NAMES


def test_the_schema_uses_the_vocabularies():
    assert schema.CLIENTS.by_name["needs"].allowed is vocabulary.NEEDS
    assert schema.PROVIDERS.by_name["skills"].allowed is vocabulary.NEEDS
    assert schema.CLIENTS.by_name["funder"].allowed is vocabulary.FUNDERS
    assert schema.PROVIDERS.by_name["kind"].allowed is vocabulary.PROVIDER_KINDS
