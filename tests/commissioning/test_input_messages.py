"""Messages that must name the real cause (found in review): sea vs outside, unsaved formulas, bad seeds,
renames, short rows, files and folders mistaken for each other, option values, duplicate ids."""

import re

import openpyxl
import pytest

from commissioning.cli import main
from commissioning.inputs.folder import check_dataset
from commissioning.inputs.tables import read_table
from geodata.region import load_region
from tests.commissioning.helpers import add_column, copy_valid, read_rows, set_cell, write_rows


@pytest.fixture(scope="module")
def land():
    return load_region("argyll-bute").land


def test_point_in_the_firth_of_lorn_is_in_the_sea_not_outside_the_region(tmp_path, land):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 5, "lon", "-5.60")
    set_cell(folder, "clients.csv", 5, "lat", "56.45")
    problems = [p for p in check_dataset(folder, region_land=land).errors if p.row == 5]
    assert len(problems) == 1
    assert "in the sea" in str(problems[0]) and "outside the region" not in str(problems[0])


def test_excel_formula_without_a_saved_result_is_named_as_a_formula(tmp_path):
    folder = copy_valid(tmp_path)
    rows = read_rows(folder / "clients.csv")
    (folder / "clients.csv").unlink()
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.active["E4"] = "=2*3"  # weekly_hours of the third client; openpyxl stores no result
    book.save(folder / "clients.xlsx")
    problems = check_dataset(folder, check_geography=False).errors
    text = " ".join(str(p) for p in problems)
    assert any(p.row == 4 and p.column == "weekly_hours" for p in problems)
    assert "formula with no saved result" in text and "is empty" not in text


def test_negative_seed_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--clients", "5", "--seed", "-1", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "argument --seed: '-1': must be a whole number 0 or more" in capsys.readouterr().err


def _rename_column(folder, file, old, new):
    rows = read_rows(folder / file)
    rows[0][rows[0].index(old)] = new
    write_rows(folder / file, rows)


def test_unknown_column_is_renamed_to_the_missing_column_it_resembles_not_one_the_file_has(tmp_path):
    folder = copy_valid(tmp_path)
    _rename_column(folder, "clients.csv", "weekly_hours", "hours_per_week")
    problems = []
    read_table(folder, "clients", problems=problems)
    assert [(p.severity, p.column) for p in problems] == [
        ("error", "weekly_hours"),
        ("warning", "hours_per_week"),
    ]
    assert problems[0].fix == "rename the column 'hours_per_week' to 'weekly_hours'"
    assert problems[1].fix.startswith("rename it to 'weekly_hours'")


def test_unknown_column_like_no_absent_column_offers_no_column_the_file_has(tmp_path):
    folder = copy_valid(tmp_path)
    header = read_rows(folder / "clients.csv")[0]
    add_column(folder, "clients.csv", "visits_per_wk", "1")  # like visits_per_week, which is there
    problems = []
    read_table(folder, "clients", problems=problems)
    (warning,) = [p for p in problems if p.column == "visits_per_wk"]
    assert warning.column == "visits_per_wk" and warning.severity == "warning"
    assert [name for name in header if re.search(rf"\b{name}\b", warning.fix)] == [], warning.fix


def test_short_row_is_one_error_naming_its_cells_not_errors_in_the_cells_it_lacks(tmp_path):
    folder = copy_valid(tmp_path)
    rows = read_rows(folder / "clients.csv")
    rows[6] = rows[6][:8]  # row 7 ends at time_bands
    write_rows(folder / "clients.csv", rows)
    problems = [p for p in check_dataset(folder, check_geography=False).problems if p.row == 7]
    assert len(problems) == 1, problems
    assert problems[0].severity == "error" and problems[0].file == "clients.csv"
    assert f"the row has 8 cells but the header has {len(rows[0])} columns" in problems[0].message
    assert "funder" in problems[0].message and "add the missing cells" in problems[0].fix


def test_rows_short_of_empty_cells_only_and_blank_rows_are_still_accepted(tmp_path):
    folder = copy_valid(tmp_path)
    rows = [row + [""] for row in read_rows(folder / "clients.csv")]  # an empty last column (Excel)
    rows[3] = rows[3][:-1]  # a row without that last empty cell
    rows[4] = rows[4][: rows[0].index("pinned")]  # no cell for the optional last column either
    rows += [[""] * len(rows[0]), []]  # trailing empty rows
    write_rows(folder / "clients.csv", rows)
    assert not [p for p in check_dataset(folder, check_geography=False).problems if p.file == "clients.csv"]


@pytest.mark.parametrize("name", ["clients.csv", "zones.geojson"])
def test_a_folder_under_a_tables_name_is_called_a_folder_not_a_file_to_rename(tmp_path, name):
    folder = copy_valid(tmp_path)
    (folder / name).unlink()
    (folder / name).mkdir()
    (problem,) = check_dataset(folder, check_geography=False).errors
    assert problem.file == name and f"{name} is a folder" in problem.message, problem
    assert "replace the folder" in problem.fix and "rename" not in problem.fix


def test_dataset_json_as_a_folder_is_an_error_not_a_dataset_without_region(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "dataset.json").unlink(missing_ok=True)
    (folder / "dataset.json").mkdir()
    (problem,) = check_dataset(folder, check_geography=False).errors
    assert problem.file == "dataset.json" and "is a folder" in problem.message


def test_a_folder_given_as_the_scenario_file_is_called_a_folder(tmp_path, capsys):
    scenario = tmp_path / "zoned.toml"
    scenario.mkdir()
    (scenario / "inner.toml").write_text('data = "x"\n')
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "is a folder, not a scenario file" in err and "no such" not in err
    assert str(scenario / "inner.toml") in err
    assert main(["sweep", str(scenario), "--vary", "pools=true,false", "--out", str(tmp_path / "s")]) == 2
    assert "is a folder, not a scenario file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "option", "value", "allowed"),
    [
        ("generate", "--clients", "-5", "from 1 to 500,000"),
        ("generate", "--clients", "0", "from 1 to 500,000"),
        ("generate", "--clients", "abc", "from 1 to 500,000"),
        ("generate", "--providers", "100", "from 1 to 99"),
        ("generate", "--max-pool-members", "0", "1 or more"),
        ("demo", "--clients", "0", "from 1 to 500,000"),
    ],
)
def test_a_wrong_number_for_generate_is_a_usage_error_naming_option_value_and_range(
    tmp_path, capsys, command, option, value, allowed
):
    with pytest.raises(SystemExit) as exit_info:
        main([command, option, value, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    expected = f"commissioning {command}: error: argument {option}: {value!r}: must be a whole number "
    expected += allowed
    assert error.startswith(expected + ", e.g. "), error
    assert not (tmp_path / "out").exists()


def test_generate_options_that_go_together_are_a_usage_error(tmp_path, capsys):
    assert main(["generate", "--weight-column", "w", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("commissioning generate: error: --demand-points and --weight-column go together")
    assert "command line, column" not in err


def test_a_duplicate_provider_id_is_listed_before_the_unknown_provider_errors_it_causes(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "providers.csv", 4, "provider_id", "P02")  # P03 is gone: its clients and hubs name it
    problems = check_dataset(folder, check_geography=False).errors
    assert "duplicate provider_id 'P02'" in problems[0].message, problems
    assert (problems[0].file, problems[0].row) == ("providers.csv", 4)
    assert any("unknown provider 'P03'" in p.message for p in problems[1:])
