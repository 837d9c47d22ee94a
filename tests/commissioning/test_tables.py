"""Reading tables: CSV and .xlsx, byte-order marks, encodings, headers, row numbering."""

from __future__ import annotations

from pathlib import Path

import pytest

from commissioning.errors import InputError
from commissioning.inputs.folder import check_dataset, load_dataset
from commissioning.inputs.tables import read_table
from tests.commissioning.helpers import (
    VALID,
    assert_problem,
    copy_valid,
    errors,
    read_rows,
    set_cell,
    write_rows,
)


def _typed(text: str):
    """A cell as Excel would store it: numbers as numbers, the rest as text."""
    try:
        number = float(text)
    except ValueError:
        return text if text else None
    return int(number) if number.is_integer() and "." not in text else number


def write_xlsx(csv_path: Path, xlsx_path: Path, *, extra_sheet: bool = False) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Clients"
    for k, row in enumerate(read_rows(csv_path)):
        sheet.append(row if k == 0 else [_typed(c) for c in row])
    if extra_sheet:
        book.create_sheet("Notes").append(["written by the care team"])
    book.save(xlsx_path)


# ----------------------------------------------------------------------------------------------------
# Byte-order mark, Excel
# ----------------------------------------------------------------------------------------------------


def test_byte_order_mark_is_accepted(tmp_path):
    folder = copy_valid(tmp_path, "good/bom_header")
    assert (folder / "clients.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    frame, source = read_table(folder, "clients")
    assert source == "clients.csv"
    assert list(frame.columns)[0] == "client_id"
    data = load_dataset(folder, check_geography=False)
    valid = load_dataset(VALID, check_geography=False)
    assert data.clients == valid.clients
    assert data.warnings == valid.warnings  # the mark adds none (valid_small's are its workforce defaults)


def test_valid_xlsx_loads_identically_to_csv(tmp_path):
    folder = copy_valid(tmp_path)
    write_xlsx(folder / "clients.csv", folder / "clients.xlsx")
    (folder / "clients.csv").unlink()
    from_xlsx = load_dataset(folder, check_geography=False)
    from_csv = load_dataset(VALID, check_geography=False)
    assert from_xlsx.clients == from_csv.clients
    assert from_xlsx.warnings == from_csv.warnings  # the workbook adds none
    frame, source = read_table(folder, "clients")
    assert source == "clients.xlsx" and list(frame.index) == list(range(2, 10))


def test_broken_xlsx_reports_the_sheet_row(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 7, "weekly_hours", "about ten")
    set_cell(folder, "clients.csv", 4, "time_bands", "night")
    write_xlsx(folder / "clients.csv", folder / "clients.xlsx")
    (folder / "clients.csv").unlink()
    with pytest.raises(InputError) as excinfo:
        load_dataset(folder, check_geography=False)
    assert len(errors(excinfo)) == 2
    assert_problem(excinfo, file="clients.xlsx", row=7, column="weekly_hours", value="about ten")
    assert_problem(
        excinfo, file="clients.xlsx", row=4, column="time_bands", value="night", contains="unknown time band"
    )


def test_xlsx_extra_sheets_are_a_warning(tmp_path):
    folder = copy_valid(tmp_path)
    write_xlsx(folder / "clients.csv", folder / "clients.xlsx", extra_sheet=True)
    (folder / "clients.csv").unlink()
    data = load_dataset(folder, check_geography=False)
    assert_problem(
        data.warnings,
        file="clients.xlsx",
        row=None,
        column=None,
        value=None,
        severity="warning",
        contains="'Notes'",
    )


def test_xlsx_that_is_not_a_workbook(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "providers.csv").rename(folder / "providers.xlsx")
    result = check_dataset(folder, check_geography=False)
    assert_problem(
        result,
        file="providers.xlsx",
        row=None,
        column=None,
        value=None,
        contains="cannot be opened as an Excel workbook",
    )
    assert len(result.errors) == 1  # clients' current_provider is not checked against a missing table


# ----------------------------------------------------------------------------------------------------
# read_table itself
# ----------------------------------------------------------------------------------------------------


def test_rows_are_spreadsheet_rows_even_after_blank_lines(tmp_path):
    folder = copy_valid(tmp_path)
    path = folder / "clients.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3] + ["", ",,,,,,,,,,,"] + lines[3:]) + "\n")
    frame, _ = read_table(folder, "clients")
    assert list(frame.index) == [2, 3, 6, 7, 8, 9, 10, 11]
    set_cell(folder, "clients.csv", 6, "funder", "bank")
    assert_problem(
        check_dataset(folder, check_geography=False),
        file="clients.csv",
        row=6,
        column="funder",
        value="bank",
    )


def test_headers_and_cells_are_stripped_and_header_case_ignored(tmp_path):
    folder = copy_valid(tmp_path)
    path = folder / "hubs.csv"
    rows = read_rows(path)
    assert rows[0][:6] == ["hub_id", "provider_id", "pool_id", "lon", "lat", "carers"]
    header = [" Hub_ID ", "provider_id", "Pool_Id", "  lon", "lat ", "CARERS"]
    header += [f" {c.upper()}" for c in rows[0][6:]]
    text = ",".join(header) + "\n" + "\n".join(",".join(f"  {c} " for c in r) for r in rows[1:])
    path.write_text(text + "\n")
    frame, _ = read_table(folder, "hubs")
    assert list(frame.columns) == rows[0]
    assert frame.loc[2, "hub_id"] == "H01"
    assert load_dataset(folder, check_geography=False).hubs == load_dataset(VALID, check_geography=False).hubs


def test_read_table_raises_without_a_problem_list(tmp_path):
    folder = copy_valid(tmp_path, "bad/empty_clients")
    with pytest.raises(InputError) as excinfo:
        read_table(folder, "clients")
    assert_problem(excinfo, file="clients.csv", row=None, column=None, value=None, contains="empty")


def test_missing_columns_one_problem_each(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "hubs.csv").write_text("hub_id,provider,lon\nH01,P01,-5.47\n")
    problems = []
    frame, _ = read_table(folder, "hubs", problems=problems)
    assert sorted(p.column for p in problems if p.severity == "error") == ["carers", "lat", "provider_id"]
    assert_problem(
        problems,
        file="hubs.csv",
        row=None,
        column="provider_id",
        value=None,
        contains="rename the column 'provider' to 'provider_id'",
    )
    assert_problem(problems, file="hubs.csv", row=None, column="provider", value=None, severity="warning")


def test_optional_table_absent_is_fine(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "hubs.csv").unlink()
    (folder / "pools.csv").unlink()
    problems = []
    assert read_table(folder, "hubs", problems=problems) == (None, "hubs.csv")
    assert problems == []
    data = load_dataset(folder, check_geography=False)
    assert data.pools == ()
    # Without hubs.csv every provider gets one hub at its base (issue 12), with a warning naming them.
    assert [h.hub_id for h in data.hubs] == ["P01-base", "P02-base", "P03-base"]
    (hub,) = data.hubs_for("P02")
    # 180 staff hours / 25 h per carer = 7.2 -> 8 carers; non_driver_share 0.1 -> 7.2 -> 7 drivers.
    assert (hub.lon, hub.lat, hub.carers, hub.drivers) == (-5.706, 56.469, 8, 7)
    warning = {"file": "hubs.csv", "row": None, "column": "provider_id", "severity": "warning"}
    assert_problem(data.warnings, value="P01, P02, P03", **warning)


def without_pool_hubs(folder: Path) -> None:
    """Drop hubs.csv's pool hubs (those with a pool_id), for tests that empty pools.csv."""
    rows = read_rows(folder / "hubs.csv")
    k = rows[0].index("pool_id")
    write_rows(folder / "hubs.csv", [rows[0]] + [r for r in rows[1:] if not r[k]])


def test_pools_header_only_means_no_pools(tmp_path):
    folder = copy_valid(tmp_path)
    without_pool_hubs(folder)
    (folder / "pools.csv").write_text("pool_id,zones,weekly_hours,members\n")
    data = load_dataset(folder, check_geography=False)
    assert data.pools == () and [w for w in data.warnings if w.file == "pools.csv"] == []


def test_empty_optional_file_is_a_warning(tmp_path):
    folder = copy_valid(tmp_path)
    without_pool_hubs(folder)
    (folder / "pools.csv").write_bytes(b"")
    data = load_dataset(folder, check_geography=False)
    assert_problem(
        data.warnings,
        file="pools.csv",
        row=None,
        column=None,
        value=None,
        severity="warning",
        contains="0 bytes",
    )


def test_wrong_case_file_name_is_named(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "clients.csv").rename(folder / "Clients.CSV")
    result = check_dataset(folder, check_geography=False)
    assert_problem(result, file="clients.csv", row=None, column=None, value="Clients.CSV", contains="rename")


def test_utf16_file_is_explained(tmp_path):
    folder = copy_valid(tmp_path)
    text = (folder / "hubs.csv").read_text()
    (folder / "hubs.csv").write_bytes(text.encode("utf-16"))
    result = check_dataset(folder, check_geography=False)
    assert_problem(result, file="hubs.csv", row=None, column=None, value=None, contains="UTF-16")


def test_unquoted_comma_in_a_name_is_explained(tmp_path):
    folder = copy_valid(tmp_path)
    path = folder / "providers.csv"
    path.write_text(path.read_text().replace("Mull Community Care", "Mull, Iona and Ulva Care"))
    result = check_dataset(folder, check_geography=False)
    # The shifted cells are errors, and the row-length warning says why.
    assert_problem(
        result,
        file="providers.csv",
        row=3,
        column=None,
        value=None,
        severity="warning",
        contains="double quotes",
    )
    assert_problem(result, file="providers.csv", row=3, column="kind", value="Iona and Ulva Care")


def test_extra_cells_with_values_are_an_error(tmp_path):
    folder = copy_valid(tmp_path)
    path = folder / "providers.csv"
    path.write_text(
        path.read_text().replace("Mull Community Care", "Mull, Iona and Ulva Care")
        + "P09"
        + "," * 11
        + "oops\n"
    )
    result = check_dataset(folder, check_geography=False)
    assert_problem(result, file="providers.csv", row=5, column=None, value="oops", contains="12 cells")
