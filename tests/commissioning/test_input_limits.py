"""Bounded work on wrong or garbage files, and the checks validate and run share (issue 10).

A garbage file must give a short answer quickly (at most MAX_PROBLEMS_PER_FILE problems per file and one
summary line); a table too large to be a scenario is one error; a zone polygon that cannot be repaired is an
error, not a traceback; validate uses the same land as run.
"""

from __future__ import annotations

import random
import string

import openpyxl
import pytest
import shapely

from commissioning.errors import InputError, Problem
from commissioning.inputs import tables
from commissioning.inputs.folder import check_dataset, load_dataset
from commissioning.inputs.tables import ProblemLog, read_table
from tests.commissioning.helpers import copy_valid, read_rows, set_cell, write_rows


def problem(file: str, row: int, severity: str = "error") -> Problem:
    return Problem(file, row, "c", "v", "m", "a fix long enough", severity)


def garbage_lines(n_rows: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + " .;-=+@"
    lines = []
    for _ in range(n_rows):
        cells = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(10, 14))
        ]
        lines.append(",".join(cells))
    return lines


def write_garbage_clients(folder, n_rows: int) -> None:
    header = (folder / "clients.csv").read_text().splitlines()[0]
    (folder / "clients.csv").write_text("\n".join([header, *garbage_lines(n_rows)]) + "\n")


# ----------------------------------------------------------------------------------------------------
# ProblemLog
# ----------------------------------------------------------------------------------------------------


def test_problem_log_keeps_the_first_problems_of_each_file_and_counts_the_rest():
    log = ProblemLog()
    for row in range(2, 502):
        log.append(problem("clients.csv", row))
    log.append(problem("hubs.csv", 2))
    listed = log.listing(lambda p: (p.file, p.row or 0))
    clients = [p for p in listed if p.file == "clients.csv"]
    assert len(clients) == tables.MAX_PROBLEMS_PER_FILE + 1
    assert [p.row for p in clients[:-1]] == list(range(2, 2 + tables.MAX_PROBLEMS_PER_FILE))
    summary = clients[-1]
    assert summary.row is None and summary.severity == "error"
    assert "... and 300 more errors in clients.csv, not listed" in summary.message
    assert [p.file for p in listed][-1] == "hubs.csv"  # the summary sits after its own file's problems
    assert log.total("error") == 501


def test_problem_log_lists_errors_before_warnings_when_it_must_choose():
    log = ProblemLog()
    for row in range(2, 2 + tables.MAX_PROBLEMS_PER_FILE):
        log.append(problem("clients.csv", row, "warning"))
    log.append(problem("clients.csv", 900))
    listed = log.listing(lambda p: (p.file, p.row or 0))
    assert any(p.row == 900 and p.severity == "error" for p in listed)
    assert "1 more warning in clients.csv" in listed[-1].message and listed[-1].severity == "warning"
    assert log.total("warning") == tables.MAX_PROBLEMS_PER_FILE and log.total("error") == 1


# ----------------------------------------------------------------------------------------------------
# Garbage and oversized tables
# ----------------------------------------------------------------------------------------------------


def test_garbage_clients_file_stops_early_and_counts_the_rest(tmp_path):
    folder = copy_valid(tmp_path)
    write_garbage_clients(folder, 5_000)
    result = check_dataset(folder, check_geography=False)
    clients = [p for p in result.problems if p.file == "clients.csv"]
    assert len(clients) == tables.MAX_PROBLEMS_PER_FILE + 1
    assert "were not checked (checking a file stops after 200 errors)" in clients[-1].message
    assert result.totals["error"] >= tables.MAX_PROBLEMS_PER_FILE


def test_a_stopped_table_gives_no_unknown_id_errors_in_other_tables(tmp_path):
    """providers.csv is garbage after a few rows: clients naming P02, P03 are not 'unknown provider'."""
    folder = copy_valid(tmp_path)
    path = folder / "providers.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n" + "\n".join(garbage_lines(2_000)) + "\n")
    result = check_dataset(folder, check_geography=False)
    assert not [p for p in result.problems if p.file == "clients.csv"], [str(p) for p in result.problems[-3:]]


def test_reference_errors_beyond_the_cap_are_counted_not_listed(tmp_path, monkeypatch):
    """Beyond the cap an unknown id is only counted: no close-match search (0.1 ms a row or more)."""
    from commissioning.inputs import records

    monkeypatch.setattr(tables, "MAX_PROBLEMS_PER_FILE", 3)
    searched = []
    real = records._suggest_id
    monkeypatch.setattr(
        records, "_suggest_id", lambda word, ids: searched.append(word) or real(word, ids)
    )
    folder = copy_valid(tmp_path)
    for row in range(2, 10):
        set_cell(folder, "clients.csv", row, "zone", "tiree")
    result = check_dataset(folder, check_geography=False)
    clients = [p for p in result.problems if p.file == "clients.csv"]
    assert [p.row for p in clients] == [2, 3, 4, None]
    assert "5 more errors in clients.csv" in clients[-1].message
    assert result.totals["error"] == 8
    assert len(searched) == 3


def test_too_many_rows_is_one_error_and_the_file_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_TABLE_ROWS", 5)
    folder = copy_valid(tmp_path)
    problems: list[Problem] = []
    frame, _ = read_table(folder, "clients", problems=problems)
    assert frame is None
    (error,) = problems
    assert error.row is None and "more than 5 rows" in error.message


def test_too_many_rows_in_a_workbook(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_TABLE_ROWS", 5)
    folder = copy_valid(tmp_path)
    book = openpyxl.Workbook()
    for row in read_rows(folder / "clients.csv"):
        book.active.append(row)
    book.save(folder / "clients.xlsx")
    (folder / "clients.csv").unlink()
    problems: list[Problem] = []
    assert read_table(folder, "clients", problems=problems)[0] is None
    assert [p.file for p in problems] == ["clients.xlsx"] and "more than 5 rows" in problems[0].message


def test_workbook_that_expands_too_much_is_not_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_XLSX_UNZIPPED_BYTES", 1_000)
    folder = copy_valid(tmp_path)
    book = openpyxl.Workbook()
    for row in read_rows(folder / "clients.csv"):
        book.active.append(row)
    book.save(folder / "clients.xlsx")
    (folder / "clients.csv").unlink()
    problems: list[Problem] = []
    assert read_table(folder, "clients", problems=problems)[0] is None
    assert "the workbook expands to" in problems[0].message


@pytest.mark.parametrize("stem, file", [("clients", "clients.csv"), ("zones", "zones.geojson")])
def test_file_larger_than_a_scenario_file_is_one_error(tmp_path, monkeypatch, stem, file):
    monkeypatch.setattr(tables, "MAX_TABLE_BYTES", 100)
    monkeypatch.setattr(tables, "MAX_ZONES_BYTES", 100)
    folder = copy_valid(tmp_path)
    result = check_dataset(folder, check_geography=False)
    errors = [p for p in result.errors if p.file == file]
    assert len(errors) == 1 and "more than the 0 MB a scenario file may have" in errors[0].message


def test_dataset_json_larger_than_metadata_is_one_error(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "dataset.json").write_text('{"region": null, "pad": "' + "x" * 1_100_000 + '"}')
    (error,) = check_dataset(folder, check_geography=False).errors
    assert error.file == "dataset.json" and "larger than 1 MB" in error.message


def test_whitespace_only_file_is_still_named(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "pools.csv").write_text(" \n" * 5_000)
    result = check_dataset(folder, check_geography=False)
    assert [p.message for p in result.warnings if p.file == "pools.csv"] == [
        "the file holds only blank space, so it is read as if it were absent"
    ]


# ----------------------------------------------------------------------------------------------------
# Zone polygons the repair cannot save
# ----------------------------------------------------------------------------------------------------


def bow_tie(folder) -> None:
    import json

    doc = json.loads((folder / "zones.geojson").read_text())
    doc["features"][2]["geometry"]["coordinates"] = [
        [[-5.43, 56.30], [-5.05, 56.56], [-5.05, 56.30], [-5.43, 56.56], [-5.43, 56.30]]
    ]
    (folder / "zones.geojson").write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "repair",
    [
        lambda g: shapely.Polygon(),  # empty, but a "Polygon"
        lambda g: shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)]),  # still self-intersecting
        lambda g: (_ for _ in ()).throw(shapely.errors.GEOSException("TopologyException")),
        lambda g: shapely.GeometryCollection([shapely.LineString([(0, 0), (1, 1)])]),
    ],
    ids=["empty", "still_invalid", "raises", "lines_only"],
)
def test_zone_still_unusable_after_repair_is_an_error(tmp_path, monkeypatch, repair):
    folder = copy_valid(tmp_path)
    bow_tie(folder)
    monkeypatch.setattr(shapely, "make_valid", repair)
    result = check_dataset(folder, check_geography=False)
    (error,) = result.errors
    assert (error.file, error.row, error.column) == ("zones.geojson", 3, "geometry")
    assert "no area left after repair" in error.message
    with pytest.raises(InputError):
        load_dataset(folder, check_geography=False)


# ----------------------------------------------------------------------------------------------------
# validate and run read the same way
# ----------------------------------------------------------------------------------------------------


def test_land_for_the_on_land_check_is_the_region_land_run_uses(tmp_path, monkeypatch):
    """With a known region, the land is clipped to the region's box, exactly as run loads it."""
    import json

    import geodata.land
    from geodata.regions import REGIONS

    asked = []
    monkeypatch.setattr(
        geodata.land, "land_geometry", lambda bbox, *a: asked.append(bbox) or shapely.box(*bbox)
    )
    folder = copy_valid(tmp_path)
    (folder / "dataset.json").write_text(json.dumps({"region": "argyll-bute"}))
    assert check_dataset(folder).ok
    assert asked == [REGIONS["argyll-bute"][1]]


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: write_rows(f / "hubs.csv", [["hub_id"]] + [["=H"]] * 3),
        lambda f: (f / "dataset.json").write_text('{"region": "atlantis"}'),
        lambda f: set_cell(f, "providers.csv", 2, "hourly_rate_gbp", "1e308"),
        lambda f: write_garbage_clients(f, 1_000),
    ],
    ids=["hubs", "region", "rate", "garbage"],
)
def test_validate_and_load_scenario_report_the_same_problems(tmp_path, edit):
    folder = copy_valid(tmp_path)
    edit(folder)
    checked = check_dataset(folder, check_geography=False)
    with pytest.raises(InputError) as excinfo:
        load_dataset(folder, check_geography=False)
    assert excinfo.value.problems == checked.problems


def test_header_wider_than_any_scenario_table_is_one_error(tmp_path):
    """A 6 MB file on one line (no line breaks) took 30 s: a million columns, each checked."""
    folder = copy_valid(tmp_path)
    (folder / "clients.csv").write_text(",".join(f"c{k}" for k in range(tables.MAX_COLUMNS + 1)) + "\n")
    (error,) = check_dataset(folder, check_geography=False).errors
    assert (error.file, error.row) == ("clients.csv", 1) and "1,001 columns" in error.message


def test_long_cells_are_shortened_in_messages(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 2, "funder", "x" * 100_000)
    (error,) = check_dataset(folder, check_geography=False).errors
    assert error.column == "funder" and len(str(error)) < 1_000 and "(100,000 characters)" in str(error)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 100_000 + "]" * 100_000, "too deeply"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1]}]}',
            "zone_id",
        ),
    ],
    ids=["deep_nesting", "properties_not_an_object"],
)
def test_broken_zones_json_is_an_error_not_a_traceback(tmp_path, text, message):
    folder = copy_valid(tmp_path)
    (folder / "zones.geojson").write_text(text)
    errors = check_dataset(folder, check_geography=False).errors
    assert errors and all(p.file == "zones.geojson" for p in errors)
    assert message in str(errors[0])


def test_cells_escaped_by_the_outputs_read_back_as_written(tmp_path):
    """An output folder's inputs/ has ``'-P01`` for ``-P01`` (spreadsheet escape): the reader takes the
    apostrophe off, so ids still join and a second run does not add another one."""
    folder = copy_valid(tmp_path)
    for file, column in (
        ("providers.csv", "provider_id"),
        ("clients.csv", "current_provider"),
        ("hubs.csv", "provider_id"),
    ):
        rows = read_rows(folder / file)
        k = rows[0].index(column)
        write_rows(
            folder / file, [rows[0]] + [r[:k] + ["'-" + r[k] if r[k] else ""] + r[k + 1 :] for r in rows[1:]]
        )
    set_cell(folder, "pools.csv", 2, "members", "'-P01;-P02")
    data = load_dataset(folder, check_geography=False)
    assert {p.provider_id for p in data.providers} == {"-P01", "-P02", "-P03"}
    assert data.clients[0].current_provider == "-P01" and data.pools[0].members == ("-P01", "-P02")
    warned = {(p.file, p.row, p.value) for p in data.warnings}
    assert ("providers.csv", 2, "-P01") in warned and ("pools.csv", 2, "-P01;-P02") in warned
