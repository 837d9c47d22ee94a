"""One fault per case: each must give exactly one error (or the one warning) naming file, row, column, value.

Most cases copy ``fixtures/scenarios/valid_small`` and edit one cell; the ``bad/<case>`` fixture folders
hold broken files laid over that copy. Geography is checked in ``test_geography.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from commissioning.errors import InputError
from commissioning.inputs.folder import check_dataset, load_dataset
from tests.commissioning.helpers import (
    ANY,
    FIXTURES,
    add_column,
    append_row,
    assert_problem,
    copy_valid,
    drop_column,
    errors,
    set_cell,
)


@dataclass
class Case:
    name: str
    edit: Callable[[Path], None]
    file: str
    row: int | None
    column: str | None
    value: object = ANY
    severity: str = "error"
    contains: str | None = None


def cell(file, row, column, value):
    return lambda folder: set_cell(folder, file, row, column, value)


def overlay(name):
    def edit(folder: Path) -> None:
        for path in (FIXTURES / name).iterdir():
            (folder / path.name).write_bytes(path.read_bytes())

    return edit


def delete(file):
    return lambda folder: (folder / file).unlink()


def five_member_pool(folder: Path) -> None:
    for pid in ("P04", "P05"):
        append_row(
            folder,
            "providers.csv",
            provider_id=pid,
            name=f"Provider {pid}",
            kind="independent",
            base_lon="-5.47",
            base_lat="56.41",
            weekly_staff_hours="50",
            hourly_rate_gbp="23",
            skills="social",
            non_driver_share="0",
        )
    set_cell(folder, "pools.csv", 2, "members", "P01;P02;P03;P04;P05")


def unknown_crs(folder: Path) -> None:
    """GDAL reads a crs member it cannot resolve as WGS84, silently (found by the fuzz suite)."""
    doc = json.loads((folder / "zones.geojson").read_text())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    (folder / "zones.geojson").write_text(json.dumps(doc))


def both_csv_and_xlsx(folder: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["client_id"])
    book.save(folder / "clients.xlsx")


def edit_dataset(**changes):
    def edit(folder: Path) -> None:
        doc = json.loads((folder / "dataset.json").read_text())
        doc.update(changes)
        (folder / "dataset.json").write_text(json.dumps(doc))

    return edit


def zones_edit(change):
    def edit(folder: Path) -> None:
        doc = json.loads((folder / "zones.geojson").read_text())
        change(doc)
        (folder / "zones.geojson").write_text(json.dumps(doc))

    return edit


def bow_tie(doc):
    # Self-intersecting ring inside the Lorn box: invalid, repaired with a warning.
    doc["features"][2]["geometry"]["coordinates"] = [
        [[-5.43, 56.30], [-5.05, 56.56], [-5.05, 56.30], [-5.43, 56.56], [-5.43, 56.30]]
    ]


def zone_geometry(feature: int, coordinates, crs: bool = False):
    def change(doc):
        doc["features"][feature - 1]["geometry"] = {"type": "Polygon", "coordinates": coordinates}
        if crs:
            doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}

    return zones_edit(change)


def zone_property(feature: int, name: str, value):
    def change(doc):
        doc["features"][feature - 1]["properties"][name] = value

    return zones_edit(change)


def write_dataset(text: str):
    return lambda folder: (folder / "dataset.json").write_text(text)


def cells(file, row, **values):
    def edit(folder: Path) -> None:
        for column, value in values.items():
            set_cell(folder, file, row, column, value)

    return edit


# The Mull box of valid_small (feature 2), for geometries that keep the clients inside.
WORLD = [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]
FLAT = [[[-6.3, 56.3], [-5.9, 56.5], [-5.5, 56.7], [-6.3, 56.3]]]
WITH_NAN = [[[-6.3, 56.3], [float("nan"), float("nan")], [-5.5, 56.7], [-6.3, 56.7], [-6.3, 56.3]]]
STRAY_CORNER = [[[-6.3, 56.3], [-5.5, 56.3], [40.0, 56.5], [-5.5, 56.7], [-6.3, 56.7], [-6.3, 56.3]]]
BEYOND_WORLD = [[[-6.3, 56.3], [1e308, 56.3], [-5.5, 56.7], [-6.3, 56.7], [-6.3, 56.3]]]


def ragged_row(folder: Path) -> None:
    path = folder / "hubs.csv"
    lines = path.read_text().splitlines()
    lines[2] += ",extra"
    path.write_text("\n".join(lines) + "\n")


def duplicate_header(folder: Path) -> None:
    add_column(folder, "hubs.csv", "Carers", "3")


def duplicate_provider_row(folder: Path) -> None:
    path = folder / "providers.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[2]]) + "\n")


def plus_in_pool_id(folder: Path) -> None:
    """POOL1 renamed '+POOL1', in pools.csv and in its hub's row of hubs.csv (row 5) so the hub still finds
    its pool. Each renamed cell has its own warning; the case checks the pools.csv one."""
    set_cell(folder, "pools.csv", 2, "pool_id", "+POOL1")
    set_cell(folder, "hubs.csv", 5, "pool_id", "+POOL1")


CASES = [
    # clients.csv: columns and cells
    Case(
        "missing_column",
        lambda f: drop_column(f, "clients.csv", "weekly_hours"),
        "clients.csv",
        None,
        "weekly_hours",
        None,
        contains="missing",
    ),
    Case(
        "text_in_weekly_hours",
        cell("clients.csv", 3, "weekly_hours", "seven"),
        "clients.csv",
        3,
        "weekly_hours",
        "seven",
        contains="not a number",
    ),
    Case(
        "negative_hours",
        cell("clients.csv", 4, "weekly_hours", "-2"),
        "clients.csv",
        4,
        "weekly_hours",
        "-2",
        contains="greater than 0",
    ),
    Case(
        "zero_hours",
        cell("clients.csv", 4, "weekly_hours", "0"),
        "clients.csv",
        4,
        "weekly_hours",
        "0",
        contains="greater than 0",
    ),
    Case(
        "empty_hours",
        cell("clients.csv", 5, "weekly_hours", ""),
        "clients.csv",
        5,
        "weekly_hours",
        None,
        contains="empty",
    ),
    Case(
        "nan_hours",
        cell("clients.csv", 5, "weekly_hours", "NaN"),
        "clients.csv",
        5,
        "weekly_hours",
        "NaN",
        contains="missing value",
    ),
    Case(
        "decimal_comma_hours",
        cell("clients.csv", 2, "weekly_hours", "7,5"),
        "clients.csv",
        2,
        "weekly_hours",
        "7,5",
        contains="write it like 7.5",
    ),
    Case(
        "more_hours_than_a_week",
        cell("clients.csv", 2, "weekly_hours", "200"),
        "clients.csv",
        2,
        "weekly_hours",
        "200",
        contains="168",
    ),
    Case(
        "zero_visits",
        cell("clients.csv", 6, "visits_per_week", "0"),
        "clients.csv",
        6,
        "visits_per_week",
        "0",
        contains="at least 1",
    ),
    Case(
        "fractional_visits",
        cell("clients.csv", 6, "visits_per_week", "2.5"),
        "clients.csv",
        6,
        "visits_per_week",
        "2.5",
        contains="whole number",
    ),
    Case(
        "three_carers_per_visit",
        cell("clients.csv", 7, "carers_per_visit", "3"),
        "clients.csv",
        7,
        "carers_per_visit",
        "3",
        contains="1 or 2",
    ),
    Case(
        "lon_out_of_range",
        cell("clients.csv", 2, "lon", "-200"),
        "clients.csv",
        2,
        "lon",
        "-200",
        contains="-180",
    ),
    Case(
        "lat_out_of_range", cell("clients.csv", 2, "lat", "95"), "clients.csv", 2, "lat", "95", contains="-90"
    ),
    Case(
        "unknown_need",
        cell("clients.csv", 3, "needs", "personal_care;gardening"),
        "clients.csv",
        3,
        "needs",
        "personal_care;gardening",
        contains="unknown need 'gardening'",
    ),
    Case(
        "misspelt_need_suggests",
        cell("clients.csv", 3, "needs", "Personal Care"),
        "clients.csv",
        3,
        "needs",
        "Personal Care",
        contains="did you mean 'personal_care'",
    ),
    Case(
        "unknown_time_band",
        cell("clients.csv", 4, "time_bands", "morning;evening"),
        "clients.csv",
        4,
        "time_bands",
        "morning;evening",
        contains="unknown time band 'evening'",
    ),
    Case(
        "comma_separated_time_bands",
        cell("clients.csv", 4, "time_bands", "morning,bed"),
        "clients.csv",
        4,
        "time_bands",
        "morning,bed",
        contains="not ','",
    ),
    Case(
        "empty_time_bands",
        cell("clients.csv", 4, "time_bands", ""),
        "clients.csv",
        4,
        "time_bands",
        None,
        contains="empty",
    ),
    Case(
        "bad_funder",
        cell("clients.csv", 8, "funder", "private"),
        "clients.csv",
        8,
        "funder",
        "private",
        contains="council, nhs",
    ),
    Case(
        "bad_yes_no",
        cell("clients.csv", 8, "pinned", "maybe"),
        "clients.csv",
        8,
        "pinned",
        "maybe",
        contains="yes or no",
    ),
    Case(
        "pinned_without_current_provider",
        cell("clients.csv", 9, "pinned", "yes"),
        "clients.csv",
        9,
        "pinned",
        "yes",
        contains="current_provider",
    ),
    Case(
        "duplicate_client_ids",
        cell("clients.csv", 5, "client_id", "C001"),
        "clients.csv",
        5,
        "client_id",
        "C001",
        contains="rows 2 and 5",
    ),
    Case(
        "unknown_zone",
        cell("clients.csv", 3, "zone", "tiree"),
        "clients.csv",
        3,
        "zone",
        "tiree",
        contains="zones.geojson",
    ),
    Case(
        "unknown_current_provider",
        cell("clients.csv", 3, "current_provider", "P09"),
        "clients.csv",
        3,
        "current_provider",
        "P09",
        contains="unknown provider 'P09'",
    ),
    Case(
        "current_provider_wrong_case",
        cell("clients.csv", 3, "current_provider", "p01"),
        "clients.csv",
        3,
        "current_provider",
        "p01",
        contains="did you mean 'P01'",
    ),
    Case(
        "extra_unknown_column",
        lambda f: add_column(f, "clients.csv", "colour", "blue"),
        "clients.csv",
        None,
        "colour",
        None,
        "warning",
        contains="ignored",
    ),
    # clients.csv: whole file
    Case("empty_file", overlay("bad/empty_clients"), "clients.csv", None, None, None, contains="0 bytes"),
    Case(
        "header_only", overlay("bad/header_only_clients"), "clients.csv", None, None, None, contains="no rows"
    ),
    Case(
        "non_utf8_bytes",
        overlay("bad/non_utf8_clients"),
        "clients.csv",
        4,
        "client_id",
        "C003-D?n",
        contains="UTF-8",
    ),
    Case(
        "both_csv_and_xlsx",
        both_csv_and_xlsx,
        "clients.csv",
        None,
        None,
        None,
        contains="clients.csv and clients.xlsx",
    ),
    Case(
        "clients_missing",
        delete("clients.csv"),
        "clients.csv",
        None,
        None,
        None,
        contains="no clients.csv or clients.xlsx",
    ),
    # providers.csv
    Case(
        "bad_provider_kind",
        cell("providers.csv", 2, "kind", "charity"),
        "providers.csv",
        2,
        "kind",
        "charity",
        contains="third_sector",
    ),
    Case(
        "non_driver_share_above_one",
        cell("providers.csv", 3, "non_driver_share", "1.5"),
        "providers.csv",
        3,
        "non_driver_share",
        "1.5",
        contains="in [0, 1]",
    ),
    Case(
        "non_driver_share_as_percent",
        cell("providers.csv", 3, "non_driver_share", "35"),
        "providers.csv",
        3,
        "non_driver_share",
        "35",
        contains="0.35",
    ),
    Case(
        "negative_staff_hours",
        cell("providers.csv", 4, "weekly_staff_hours", "-10"),
        "providers.csv",
        4,
        "weekly_staff_hours",
        "-10",
        contains="at least 0",
    ),
    Case(
        "zero_hourly_rate",
        cell("providers.csv", 4, "hourly_rate_gbp", "0"),
        "providers.csv",
        4,
        "hourly_rate_gbp",
        "0",
        contains="greater than 0",
    ),
    Case(
        "pound_sign_in_rate",
        cell("providers.csv", 4, "hourly_rate_gbp", "£22.75"),
        "providers.csv",
        4,
        "hourly_rate_gbp",
        "£22.75",
        contains="not a number",
    ),
    Case(
        "unknown_skill",
        cell("providers.csv", 2, "skills", "personal_care;nursing"),
        "providers.csv",
        2,
        "skills",
        "personal_care;nursing",
        contains="unknown skill 'nursing'",
    ),
    Case(
        "duplicate_provider_ids",
        duplicate_provider_row,
        "providers.csv",
        5,
        "provider_id",
        "P02",
        contains="rows 3 and 5",
    ),
    Case(
        "min_viable_above_max",
        cell("providers.csv", 2, "min_viable_hours", "700"),
        "providers.csv",
        2,
        "min_viable_hours",
        "700",
        contains="max_weekly_hours",
    ),
    Case(
        "semicolon_separated_file",
        overlay("bad/semicolon_separated_providers"),
        "providers.csv",
        1,
        None,
        ANY,
        contains="separated by ;",
    ),
    # hubs.csv
    Case(
        "hub_of_unknown_provider",
        cell("hubs.csv", 3, "provider_id", "P07"),
        "hubs.csv",
        3,
        "provider_id",
        "P07",
        contains="unknown provider",
    ),
    Case(
        "negative_carers",
        cell("hubs.csv", 4, "carers", "-1"),
        "hubs.csv",
        4,
        "carers",
        "-1",
        contains="at least 0",
    ),
    Case("ragged_row", ragged_row, "hubs.csv", 3, None, "extra", contains="9 columns"),
    Case("duplicate_header_column", duplicate_header, "hubs.csv", 1, "carers", "Carers", contains="twice"),
    # pools.csv
    Case(
        "unknown_provider_in_pools",
        cell("pools.csv", 2, "members", "P01;P99"),
        "pools.csv",
        2,
        "members",
        "P99",
        contains="unknown provider 'P99'",
    ),
    Case(
        "unknown_zone_in_pools",
        cell("pools.csv", 2, "zones", "mull;coll"),
        "pools.csv",
        2,
        "zones",
        "coll",
        contains="unknown zone 'coll'",
    ),
    Case(
        "pool_without_members",
        cell("pools.csv", 2, "members", ""),
        "pools.csv",
        2,
        "members",
        None,
        contains="empty",
    ),
    Case(
        "negative_pool_hours",
        cell("pools.csv", 2, "weekly_hours", "-5"),
        "pools.csv",
        2,
        "weekly_hours",
        "-5",
        contains="at least 0",
    ),
    Case(
        "pool_over_four_members",
        five_member_pool,
        "pools.csv",
        2,
        "members",
        "P01;P02;P03;P04;P05",
        contains="Fix: split the pool, or raise max_pool_members in the scenario file",
    ),
    # zones.geojson
    Case(
        "zones_missing",
        delete("zones.geojson"),
        "zones.geojson",
        None,
        None,
        None,
        contains="no zones.geojson",
    ),
    Case(
        "zones_without_zone_id",
        overlay("bad/zones_without_zone_id"),
        "zones.geojson",
        None,
        "zone_id",
        None,
        contains="rename the property 'zone' to 'zone_id'",
    ),
    Case(
        "duplicate_zone_ids",
        overlay("bad/duplicate_zone_ids"),
        "zones.geojson",
        3,
        "zone_id",
        "oban",
        contains="features 1 and 3",
    ),
    Case(
        "zone_is_a_point",
        overlay("bad/zone_is_a_point"),
        "zones.geojson",
        2,
        "geometry",
        "Point",
        contains="not a polygon",
    ),
    Case(
        "zones_projected_without_crs",
        overlay("bad/zones_projected_without_crs"),
        "zones.geojson",
        None,
        None,
        ANY,
        contains="no 'crs' member",
    ),
    Case(
        "zones_with_an_unknown_crs",
        unknown_crs,
        "zones.geojson",
        None,
        "crs",
        ANY,
        contains="unknown CRS",
    ),
    Case(
        "zones_not_json",
        lambda f: (f / "zones.geojson").write_text('{"type": "FeatureCollection",'),
        "zones.geojson",
        None,
        None,
        None,
        contains="not valid JSON",
    ),
    Case(
        "invalid_polygon_repaired",
        zones_edit(bow_tie),
        "zones.geojson",
        3,
        "geometry",
        ANY,
        "warning",
        contains="repaired",
    ),
    # numbers beyond what the solver's integer minutes and pence can hold: errors, not a crash in run
    Case(
        "visits_beyond_the_solver_limit",
        cell("clients.csv", 2, "visits_per_week", "100000"),
        "clients.csv",
        2,
        "visits_per_week",
        "100000",
        contains="[1, 10,000]",
    ),
    Case(
        "visits_1e308",
        cell("clients.csv", 2, "visits_per_week", "1e308"),
        "clients.csv",
        2,
        "visits_per_week",
        "1e308",
        contains="far beyond any real figure",
    ),
    Case(
        "staff_hours_1e308",
        cell("providers.csv", 2, "weekly_staff_hours", "1e308"),
        "providers.csv",
        2,
        "weekly_staff_hours",
        "1e308",
        contains="[0, 1,000,000]",
    ),
    Case(
        "hourly_rate_1e308",
        cell("providers.csv", 2, "hourly_rate_gbp", "1e308"),
        "providers.csv",
        2,
        "hourly_rate_gbp",
        "1e308",
        contains="at most 10,000",
    ),
    Case(
        "min_viable_hours_1e308",
        cell("providers.csv", 2, "min_viable_hours", "1e308"),
        "providers.csv",
        2,
        "min_viable_hours",
        "1e308",
        contains="1,000,000",
    ),
    Case(
        "max_weekly_hours_1e308",
        cell("providers.csv", 2, "max_weekly_hours", "1e308"),
        "providers.csv",
        2,
        "max_weekly_hours",
        "1e308",
        contains="1,000,000",
    ),
    Case(
        "hub_carers_1e308",
        cell("hubs.csv", 2, "carers", "1e308"),
        "hubs.csv",
        2,
        "carers",
        "1e308",
        contains="100,000",
    ),
    Case(
        "pool_hours_1e308",
        cell("pools.csv", 2, "weekly_hours", "1e308"),
        "pools.csv",
        2,
        "weekly_hours",
        "1e308",
        contains="far beyond any real figure",
    ),
    # implausible but possible: a warning with the figures
    Case(
        "a_week_in_one_visit",
        cells("clients.csv", 2, weekly_hours="168", visits_per_week="1"),
        "clients.csv",
        2,
        "weekly_hours",
        "168 h in 1 visits",
        "warning",
        contains="one visit lasts 168.0 hours",
    ),
    Case(
        "seven_visits_a_day",
        cell("clients.csv", 2, "visits_per_week", "49"),
        "clients.csv",
        2,
        "visits_per_week",
        "49",
        "warning",
        contains="more than 42 (six visits a day)",
    ),
    Case(
        "provider_with_huge_staff",
        cell("providers.csv", 3, "weekly_staff_hours", "25000"),
        "providers.csv",
        3,
        "weekly_staff_hours",
        "25,000",
        "warning",
        contains="more than 20,000 (about 500 full-time carers)",
    ),
    Case(
        "pool_with_huge_staff",
        cell("pools.csv", 2, "weekly_hours", "40000"),
        "pools.csv",
        2,
        "weekly_hours",
        "40,000",
        "warning",
        contains="more than 20,000",
    ),
    Case(
        "hourly_rate_above_200",
        cell("providers.csv", 4, "hourly_rate_gbp", "2275"),
        "providers.csv",
        4,
        "hourly_rate_gbp",
        "2,275",
        "warning",
        contains="more than 200",
    ),
    # text a spreadsheet would run as a formula (CSV injection): a warning naming the cell
    Case(
        "formula_in_client_id",
        cell("clients.csv", 3, "client_id", '=HYPERLINK("http://x","C002")'),
        "clients.csv",
        3,
        "client_id",
        '=HYPERLINK("http://x","C002")',
        "warning",
        contains="starts with '='",
    ),
    Case(
        "at_sign_in_provider_name",
        cell("providers.csv", 2, "name", "@SUM(1+1)"),
        "providers.csv",
        2,
        "name",
        "@SUM(1+1)",
        "warning",
        contains="CSV injection",
    ),
    Case(
        "tab_before_hub_id",
        cell("hubs.csv", 3, "hub_id", "\tH02"),
        "hubs.csv",
        3,
        "hub_id",
        "\tH02",
        "warning",
        contains="starts with a tab",
    ),
    Case(
        "plus_in_pool_id",
        plus_in_pool_id,
        "pools.csv",
        2,
        "pool_id",
        "+POOL1",
        "warning",
        contains="starts with '+'",
    ),
    Case(
        "minus_in_zone_name",
        zone_property(2, "name", "-Mull"),
        "zones.geojson",
        2,
        "name",
        "-Mull",
        "warning",
        contains="starts with '-'",
    ),
    # zones.geojson: polygons that cannot be used even after repair
    Case(
        "zone_with_nan_corners",
        zone_geometry(2, WITH_NAN),
        "zones.geojson",
        2,
        "geometry",
        ANY,
        contains="not numbers",
    ),
    Case(
        "zone_covering_the_world",
        zone_geometry(2, WORLD),
        "zones.geojson",
        2,
        "geometry",
        "bounds -180, -90, 180, 90",
        contains="100,000 km²",
    ),
    Case(
        "zone_with_a_stray_corner",
        zone_geometry(2, STRAY_CORNER),
        "zones.geojson",
        2,
        "geometry",
        ANY,
        contains="spans 46.3 degrees",
    ),
    Case(
        "zone_beyond_the_world_with_crs",
        zone_geometry(2, BEYOND_WORLD, crs=True),
        "zones.geojson",
        2,
        "geometry",
        ANY,
        contains="beyond longitude",
    ),
    Case(
        "zone_without_area",
        zone_geometry(2, FLAT),
        "zones.geojson",
        2,
        "geometry",
        ANY,
        contains="has no area",
    ),
    # dataset.json
    Case(
        "dataset_unknown_region",
        edit_dataset(region="atlantis"),
        "dataset.json",
        None,
        "region",
        "atlantis",
        contains='"argyll-bute"',
    ),
    Case(
        "dataset_region_in_capitals",
        edit_dataset(region="Argyll-Bute"),
        "dataset.json",
        None,
        "region",
        "Argyll-Bute",
        contains='did you mean "argyll-bute"',
    ),
    Case(
        "dataset_network_without_region",
        edit_dataset(region=None, travel_model="network"),
        "dataset.json",
        None,
        "travel_model",
        "network",
        contains="no road network",
    ),
    Case(
        "dataset_is_a_list",
        write_dataset("[]"),
        "dataset.json",
        None,
        None,
        None,
        contains="one JSON object ({...}), not a list",
    ),
    Case(
        "dataset_nested_too_deeply",
        write_dataset("[" * 100_000 + "]" * 100_000),
        "dataset.json",
        None,
        None,
        None,
        contains="too deeply",
    ),
    Case(
        "dataset_is_null",
        write_dataset("null"),
        "dataset.json",
        None,
        None,
        None,
        contains="not null",
    ),
    Case(
        "dataset_bad_travel_model",
        edit_dataset(travel_model="teleport"),
        "dataset.json",
        None,
        "travel_model",
        "teleport",
        contains="network, approximate",
    ),
    Case(
        "dataset_not_json",
        lambda f: (f / "dataset.json").write_text("{region: argyll}"),
        "dataset.json",
        None,
        None,
        None,
        contains="not valid JSON",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_fault_one_problem(case: Case, tmp_path):
    folder = copy_valid(tmp_path)
    case.edit(folder)
    result = check_dataset(folder, check_geography=False)
    assert_problem(
        result,
        file=case.file,
        row=case.row,
        column=case.column,
        value=case.value,
        severity=case.severity,
        contains=case.contains,
    )
    if case.severity == "error":
        assert len(result.errors) == 1, "\n".join(map(str, result.problems))
        with pytest.raises(InputError) as excinfo:
            load_dataset(folder, check_geography=False)
        assert_problem(
            excinfo,
            file=case.file,
            row=case.row,
            column=case.column,
            value=case.value,
            contains=case.contains,
        )
    else:
        assert result.errors == [], "\n".join(map(str, result.problems))
        data = load_dataset(folder, check_geography=False)
        assert_problem(
            data.warnings,
            file=case.file,
            row=case.row,
            column=case.column,
            value=case.value,
            severity="warning",
        )


def test_at_least_thirty_distinct_cases():
    assert len({c.name for c in CASES}) == len(CASES) >= 30


def test_reports_all_problems_at_once(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 2, "weekly_hours", "lots")
    set_cell(folder, "clients.csv", 5, "carers_per_visit", "3")
    set_cell(folder, "clients.csv", 9, "funder", "self")
    with pytest.raises(InputError) as excinfo:
        load_dataset(folder, check_geography=False)
    assert len(errors(excinfo)) == 3
    assert_problem(excinfo, file="clients.csv", row=2, column="weekly_hours", value="lots")
    assert_problem(excinfo, file="clients.csv", row=5, column="carers_per_visit", value="3")
    assert_problem(excinfo, file="clients.csv", row=9, column="funder", value="self")
    assert "3 problem(s)" in str(excinfo.value)


def test_problems_across_files_all_reported(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 2, "zone", "iona")
    set_cell(folder, "providers.csv", 2, "kind", "charity")
    set_cell(folder, "hubs.csv", 2, "carers", "many")
    set_cell(folder, "pools.csv", 2, "weekly_hours", "-5")  # empty is allowed since issue 12
    result = check_dataset(folder, check_geography=False)
    assert [p.file for p in result.errors] == ["clients.csv", "providers.csv", "hubs.csv", "pools.csv"]


def test_duplicate_ids_name_both_rows(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 9, "client_id", "C003")
    problem = assert_problem(
        check_dataset(folder, check_geography=False),
        file="clients.csv",
        row=9,
        column="client_id",
        value="C003",
    )
    assert "rows 4 and 9" in str(problem)


def test_unknown_zone_not_reported_when_zones_unreadable(tmp_path):
    """A broken zones file gives its own error, not one 'unknown zone' per client."""
    folder = copy_valid(tmp_path)
    (folder / "zones.geojson").unlink()
    result = check_dataset(folder, check_geography=False)
    assert [p.file for p in result.errors] == ["zones.geojson"]


def test_a_large_provider_whose_hubs_bear_out_its_staff_hours_gets_no_warning(tmp_path):
    # Regression: every generated dataset of about 5,000 clients or more warned about itself ("providers.csv,
    # row 16, weekly_staff_hours is 36,782.5, more than 20,000"): the generator writes the sum of a provider's
    # hubs. A figure its own hubs' carers bear out is no slip; one they do not is still named, with theirs.
    folder = copy_valid(tmp_path)
    set_cell(folder, "providers.csv", 2, "weekly_staff_hours", "25000")
    set_cell(folder, "hubs.csv", 2, "carers", "1000")  # H01, P01's hub: 1,000 carers × 25 h = 25,000 h
    set_cell(folder, "hubs.csv", 2, "weekly_hours_per_carer", "25")
    result = check_dataset(folder, check_geography=False)
    assert not [p for p in result.problems if p.column == "weekly_staff_hours"], result.problems

    set_cell(folder, "hubs.csv", 2, "carers", "40")  # 1,000 h: the 25,000 is not borne out
    problem = assert_problem(check_dataset(folder, check_geography=False), file="providers.csv", row=2,
                             column="weekly_staff_hours", value="25,000", severity="warning")
    assert "its hubs' carers have 1,000 h a week" in str(problem)
