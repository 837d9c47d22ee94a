"""The workbook is for people (issue 13, part 8): the schema's labels with units, number formats (thousands,
£, %), frozen and filtered header rows, one sheet per table, parameters as one setting-by-variant table, and
never a formula."""

import shutil
import textwrap
from pathlib import Path

import openpyxl
import pytest

from commissioning.cli import main
from commissioning.results import schema
from commissioning.results.write import header

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"
SHEETS = {"KPIs", "Providers", "Zones", "Hubs", "Recruitment", "Broken rules", "Allocation current",
          "Allocation optimised", "Parameters", "Warnings"}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("workbook")
    shutil.copytree(VALID_SMALL, root / "data")
    scenario = root / "scenario.toml"
    scenario.write_text(textwrap.dedent("""\
        data = "data"
        [money]
        staff_cost_per_hour_gbp = 13.5
        [routing]
        enabled = false
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 2.0
        """), encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(root / "out"), "--quiet"]) == 0
    return openpyxl.load_workbook(root / "out" / "workbook.xlsx")


def _rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows())
    head = [c.value for c in rows[0]]
    return [dict(zip(head, row, strict=True)) for row in rows[1:]]


def test_one_sheet_per_table_each_frozen_and_filtered_and_no_formula(book):
    assert set(book.sheetnames) == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes in ("A2", "C2"), sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"], sheet.title


def test_kpis_have_labels_units_and_formats_by_unit(book):
    sheet = book["KPIs"]
    assert [c.value for c in sheet[1]][:4] == ["Measure", "Unit", "current", "optimised"]
    assert sheet.freeze_panes == "C2"  # labels stay in view beside every variant
    rows = {r["Key"].value: r for r in _rows(sheet)}
    cost = rows["cost_per_week_gbp"]
    assert cost["Measure"].value == "Total cost per week" and cost["Unit"].value == "£/week"
    assert cost["optimised"].number_format == "£#,##0" and isinstance(cost["optimised"].value, float)
    share = rows["travel_share_of_paid_staff_time"]
    assert share["Unit"].value == "%" and share["current"].number_format == "0.0%"
    assert 0 < share["current"].value < 1  # the value stays a share: the format shows it as a percentage
    assert rows["care_hours_assigned"]["current"].number_format == "#,##0.0"
    assert rows["clients_unmet"]["current"].number_format == "#,##0"
    assert rows["cost_per_care_hour_gbp"]["current"].number_format == "£#,##0.00"


def test_tables_have_the_schemas_labels_with_units_and_number_formats(book):
    for title, columns in (("Providers", schema.PROVIDERS), ("Zones", schema.ZONES), ("Hubs", schema.HUBS),
                           ("Allocation optimised", schema.ALLOCATION)):
        heads = [c.value for c in book[title][1]]
        assert not [h for h in heads if "_" in h], (title, heads)  # no raw key is a heading
        assert [h for h in heads if h in {header(c.label, c.unit) for c in columns}], (title, heads)
    assert "Morning hours used (h/week)" in [c.value for c in book["Hubs"][1]]  # per-band columns too
    providers = _rows(book["Providers"])
    assert "Care hours (h/week)" in providers[0] and "Revenue (£/week)" in providers[0]
    assert "Change in care hours (%)" in providers[0] and "Change in care hours (h/week)" in providers[0]
    assert {r["Revenue (£/week)"].number_format for r in providers} == {"£#,##0"}
    assert {r["Care hours (h/week)"].number_format for r in providers} == {"#,##0.0"}
    assert {r["Clients"].number_format for r in providers} == {"#,##0"}
    allocation = _rows(book["Allocation optimised"])
    travel = {r["Travel per visit (min)"].number_format for r in allocation if r["Provider"].value}
    assert travel == {"#,##0.0"}


def test_parameters_are_one_compact_setting_by_variant_table(book):
    sheet = book["Parameters"]
    assert [c.value for c in sheet[1]] == ["Section", "Setting", "All variants", "current", "optimised"]
    rows = _rows(sheet)
    settings = [(r["Section"].value, r["Setting"].value) for r in rows]
    assert len(settings) == len(set(settings))  # each setting once, not once per variant
    by = {r["Setting"].value: {k: c.value for k, c in r.items()}
          for r in rows if r["Section"].value != "routing"}
    assert by["staff_cost_per_hour_gbp"]["All variants"] == 13.5
    assert by["allow_unmet"]["optimised"] == "true" and by["allow_unmet"]["current"] in ("", None)
    assert by["time_limit_s"]["optimised"] == 2.0
    assert by["mode"]["current"] == "current" and by["mode"]["optimised"] == "optimised"
