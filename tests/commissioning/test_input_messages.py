"""Messages that must name the real cause (found in review): sea vs outside, unsaved formulas, bad seeds."""

import openpyxl
import pytest

from commissioning.cli import main
from commissioning.inputs.folder import check_dataset
from geodata.region import load_region
from tests.commissioning.helpers import copy_valid, read_rows, set_cell


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
    assert "use a seed of 0 or more" in capsys.readouterr().err
