"""Issue 12, the inputs of workforce geography: carers at hubs (providers' own and shared pools'), drivers,
contracted hours, visits per band, and the partnership rule on pools.

One test per error and per warning, each checking the file, row, column, value and fix it names; then the
old-format folder (``valid_small``, written before hubs carried carers) and the domain's lookups.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import shapely

from commissioning.errors import InputError
from commissioning.inputs.domain import Dataset, Hub, Provider, default_drivers
from commissioning.inputs.folder import check_dataset, load_dataset
from commissioning.inputs.schema import DEFAULT_WEEKLY_HOURS_PER_CARER
from commissioning.inputs.workforce import POOL_HUB_TOLERANCE_M
from commissioning.inputs.zones import M_PER_DEG_LAT
from tests.commissioning.helpers import (
    add_column,
    append_row,
    assert_problem,
    copy_valid,
    drop_column,
    read_rows,
    set_cell,
    write_rows,
)

# A point on Mull (POOL1's only zone), and one in Oban (not a zone of POOL1). The Mull zone's east edge is
# the meridian -5.62.
MULL = ("-5.706", "56.469")
OBAN = ("-5.470", "56.412")
MULL_EAST_LON = -5.62


# valid_small's hubs, written both ways. The tests write hubs.csv whole so that they hold whichever way the
# fixture itself is written.
OLD_HUBS = [
    ["hub_id", "provider_id", "lon", "lat", "carers"],
    ["H01", "P01", "-5.470", "56.412", "18"],
    ["H02", "P02", "-5.944", "56.515", "7"],
    ["H03", "P03", "-5.240", "56.430", "25"],
]
CURRENT_HUBS = [
    ["hub_id", "provider_id", "pool_id", "lon", "lat", "carers", "drivers", "weekly_hours_per_carer"],
    ["H01", "P01", "", "-5.470", "56.412", "18", "5", "30"],
    ["H02", "P02", "", "-5.944", "56.515", "7", "5", "30"],
    ["H03", "P03", "", "-5.240", "56.430", "25", "5", "30"],
    ["HP1", "", "POOL1", *MULL, "3", "2", "30"],
]


def old_format(tmp_path: Path) -> Path:
    """``valid_small`` as written before hubs carried carers: hubs without drivers or hours, and POOL1's
    carers given only as pools.csv's weekly_hours (40)."""
    folder = copy_valid(tmp_path)
    write_rows(folder / "hubs.csv", OLD_HUBS)
    set_cell(folder, "pools.csv", 2, "weekly_hours", "40")
    return folder


def current_format(tmp_path: Path) -> Path:
    """``valid_small`` written the current way: every hub says its drivers and hours, and POOL1's carers are
    a hub on Mull (row 5) instead of pools.csv's weekly_hours. Loads with no warning at all."""
    folder = copy_valid(tmp_path)
    write_rows(folder / "hubs.csv", CURRENT_HUBS)
    set_cell(folder, "pools.csv", 2, "weekly_hours", "")
    return folder


def only_error(folder: Path, **kwargs):
    """The one error of ``folder``, also raised (as an InputError, no traceback) by load_dataset."""
    result = check_dataset(folder, check_geography=False, **kwargs)
    assert len(result.errors) == 1, "\n".join(map(str, result.problems))
    with pytest.raises(InputError) as excinfo:
        load_dataset(folder, check_geography=False, **kwargs)
    assert [str(p) for p in excinfo.value.problems if p.severity == "error"] == [str(result.errors[0])]
    return result


def loaded(folder: Path, **kwargs) -> Dataset:
    result = check_dataset(folder, check_geography=False, **kwargs)
    assert result.errors == [], "\n".join(map(str, result.problems))
    return load_dataset(folder, check_geography=False, **kwargs)


def test_the_current_format_loads_without_warnings(tmp_path):
    data = loaded(current_format(tmp_path))
    assert data.warnings == ()
    h01 = data.hubs_for("P01")[0]
    assert (h01.carers, h01.drivers, h01.weekly_hours_per_carer, h01.assumed) == (18, 5, 30.0, ())
    (pool_hub,) = data.hubs_of_pool("POOL1")
    assert (pool_hub.hub_id, pool_hub.provider_id, pool_hub.carers, pool_hub.drivers) == ("HP1", None, 3, 2)
    assert data.pools[0].weekly_hours is None


# ----------------------------------------------------------------------------------------------------
# hubs.csv errors
# ----------------------------------------------------------------------------------------------------


def test_more_drivers_than_carers(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 3, "drivers", "9")  # H02 has 7 carers
    problem = assert_problem(
        only_error(folder),
        file="hubs.csv",
        row=3,
        column="drivers",
        value="9",
        contains="drivers counts the carers who drive, so it is at most carers (7)",
    )
    assert problem.fix.startswith("lower drivers to at most 7, or raise carers to at least 9")


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("drivers", "-1", "at least 0"),
        ("carers", "-3", "at least 0"),
        ("weekly_hours_per_carer", "0", "must be greater than 0"),
        ("weekly_hours_per_carer", "-25", "must be greater than 0"),
        ("weekly_hours_per_carer", "61", "must be at most 60"),
        ("max_recruits", "-2", "at least 0"),
    ],
)
def test_hub_figures_out_of_bounds(tmp_path, column, value, says):
    folder = current_format(tmp_path)
    add_column(folder, "hubs.csv", "max_recruits", "")
    set_cell(folder, "hubs.csv", 2, "drivers", "0")  # H01: a negative carers must not also break drivers
    set_cell(folder, "hubs.csv", 2, column, value)
    assert_problem(only_error(folder), file="hubs.csv", row=2, column=column, value=value, contains=says)


def test_weekly_hours_per_carer_fix_says_what_the_figure_is(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 4, "weekly_hours_per_carer", "375")  # the hub's total, not one carer's
    problem = assert_problem(
        only_error(folder), file="hubs.csv", row=4, column="weekly_hours_per_carer", value="375"
    )
    assert "one carer's contracted hours a week" in problem.fix and "at most 60" in problem.fix


def test_hub_of_both_a_provider_and_a_pool(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 5, "provider_id", "P02")  # HP1, POOL1's hub
    problem = assert_problem(
        only_error(folder),
        file="hubs.csv",
        row=5,
        column="pool_id",
        value="POOL1",
        contains="names both provider_id 'P02' and pool_id 'POOL1'",
    )
    assert "empty pool_id for the provider's own hub, or provider_id for the pool's hub" in problem.fix


def test_hub_of_neither_a_provider_nor_a_pool(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 3, "provider_id", "")
    problem = assert_problem(
        only_error(folder),
        file="hubs.csv",
        row=3,
        column="provider_id",
        value=None,
        contains="neither a provider_id nor a pool_id",
    )
    assert "enter the provider_id" in problem.fix and "or the pool_id" in problem.fix


def test_hub_of_an_unknown_pool(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 5, "pool_id", "POOL9")
    assert_problem(
        only_error(folder),
        file="hubs.csv",
        row=5,
        column="pool_id",
        value="POOL9",
        contains="Fix: did you mean 'POOL1'? use one of: POOL1",
    )


@pytest.mark.parametrize("pools_file", ["absent", "blank"])
def test_hub_of_a_pool_when_there_are_no_pools(tmp_path, pools_file):
    """No pools.csv (or one read as absent) must not leave a pool hub unchecked: no traceback later."""
    folder = current_format(tmp_path)
    if pools_file == "absent":
        (folder / "pools.csv").unlink()
    else:
        (folder / "pools.csv").write_text("\n \n")
    assert_problem(
        only_error(folder),
        file="hubs.csv",
        row=5,
        column="pool_id",
        value="POOL1",
        contains="add its row to pools.csv first",
    )


def test_pool_hub_outside_the_pools_zones(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 5, "lon", OBAN[0])
    set_cell(folder, "hubs.csv", 5, "lat", OBAN[1])
    problem = assert_problem(
        only_error(folder),
        file="hubs.csv",
        row=5,
        column="lon, lat",
        value="lon -5.47, lat 56.412",
        contains="the hub of pool 'POOL1' lies 9.2 km outside the pool's zones (mull), in zone 'oban'",
    )
    assert problem.fix == (
        "move the hub into one of the pool's zones (mull; check lon and lat), or add 'oban' to the zones of "
        "pool 'POOL1' in pools.csv"
    )


def test_pool_hub_outside_is_checked_with_the_geography_checks_too(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 5, "lon", OBAN[0])
    set_cell(folder, "hubs.csv", 5, "lat", OBAN[1])
    box = shapely.box(-7.0, 55.0, -4.0, 57.5)  # all land: only the pool check can object
    errors = check_dataset(folder, region_land=box).errors
    assert [(p.file, p.row, p.column) for p in errors] == [("hubs.csv", 5, "lon, lat")]


@pytest.mark.parametrize(("metres_east", "fits"), [(0.6 * POOL_HUB_TOLERANCE_M, True), (80.0, False)])
def test_pool_hub_just_outside_its_zone_is_within_the_tolerance(tmp_path, metres_east, fits):
    """A hub on the harbour wall of a patch drawn along the shore still counts as in the patch."""
    folder = current_format(tmp_path)
    lat = 56.45
    lon = MULL_EAST_LON + metres_east / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    set_cell(folder, "hubs.csv", 5, "lon", f"{lon:.7f}")
    set_cell(folder, "hubs.csv", 5, "lat", f"{lat}")
    if fits:
        loaded(folder)
    else:
        assert_problem(only_error(folder), file="hubs.csv", row=5, column="lon, lat", contains="80 m outside")


# ----------------------------------------------------------------------------------------------------
# pools.csv: the partnership rule
# ----------------------------------------------------------------------------------------------------


def five_providers_in_pool(folder: Path) -> None:
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


def test_pool_of_five_is_an_error_with_the_partnership_fix(tmp_path):
    folder = current_format(tmp_path)
    five_providers_in_pool(folder)
    problem = assert_problem(
        only_error(folder),
        file="pools.csv",
        row=2,
        column="members",
        value="P01;P02;P03;P04;P05",
        contains="the pool has 5 member providers, but at most 4 providers share a pool (partnership rule)",
    )
    assert problem.fix == "split the pool, or raise max_pool_members in the scenario file"


def test_max_pool_members_is_a_parameter(tmp_path):
    folder = current_format(tmp_path)
    five_providers_in_pool(folder)
    assert loaded(folder, max_pool_members=5).pools[0].members == ("P01", "P02", "P03", "P04", "P05")
    strict = current_format(tmp_path / "strict")  # POOL1 has two members
    assert_problem(
        only_error(strict, max_pool_members=1),
        file="pools.csv",
        row=2,
        column="members",
        value="P01;P02",
        contains="at most 1 provider share a pool",
    )


# ----------------------------------------------------------------------------------------------------
# clients.csv: visits per band
# ----------------------------------------------------------------------------------------------------


def with_band_columns(tmp_path: Path) -> Path:
    folder = current_format(tmp_path)
    for band in ("morning", "lunch", "tea", "bed"):
        add_column(folder, "clients.csv", f"{band}_visits", "")
    return folder


def test_visits_per_band_are_read_in_band_order(tmp_path):
    folder = with_band_columns(tmp_path)
    set_cell(folder, "clients.csv", 2, "morning_visits", "7")  # C001: morning;bed, 14 visits
    set_cell(folder, "clients.csv", 2, "bed_visits", "7")
    set_cell(folder, "clients.csv", 5, "morning_visits", "10")  # C004: morning;tea, 14 visits
    set_cell(folder, "clients.csv", 5, "tea_visits", "4")
    set_cell(folder, "clients.csv", 5, "lunch_visits", "0")  # 0 in a band it does not use is fine
    data = loaded(folder)
    assert data.warnings == ()
    by_id = {c.client_id: c for c in data.clients}
    assert by_id["C001"].band_visits == (7, 0, 0, 7)
    assert by_id["C004"].band_visits == (10, 0, 4, 0)
    assert by_id["C002"].band_visits is None  # all empty: spread evenly over time_bands


def test_visits_per_band_not_adding_up(tmp_path):
    folder = with_band_columns(tmp_path)
    set_cell(folder, "clients.csv", 2, "morning_visits", "7")
    set_cell(folder, "clients.csv", 2, "bed_visits", "6")
    problem = assert_problem(
        only_error(folder),
        file="clients.csv",
        row=2,
        column="morning_visits, bed_visits",
        value="7 + 6 = 13",
        contains="the visits per band add up to 13, but visits_per_week is 14",
    )
    assert "equal visits_per_week (14)" in problem.fix and "leave them all empty" in problem.fix


def test_visits_in_a_band_the_client_does_not_have(tmp_path):
    folder = with_band_columns(tmp_path)
    set_cell(folder, "clients.csv", 2, "morning_visits", "7")
    set_cell(folder, "clients.csv", 2, "lunch_visits", "7")  # C001's bands are morning;bed
    problem = assert_problem(
        only_error(folder),
        file="clients.csv",
        row=2,
        column="lunch_visits",
        value="7",
        contains="lunch_visits is 7 but lunch is not in the client's time_bands (morning;bed)",
    )
    assert problem.fix == "set lunch_visits to 0 (or leave it empty), or add lunch to time_bands"


def test_negative_visits_in_a_band(tmp_path):
    folder = with_band_columns(tmp_path)
    set_cell(folder, "clients.csv", 3, "lunch_visits", "-7")
    assert_problem(
        only_error(folder), file="clients.csv", row=3, column="lunch_visits", value="-7", contains="in [0, "
    )


# ----------------------------------------------------------------------------------------------------
# Warnings: what was assumed for files written before hubs carried carers
# ----------------------------------------------------------------------------------------------------


def warnings_of(data: Dataset, file: str) -> list:
    return [w for w in data.warnings if w.file == file]


def test_old_format_folder_loads_with_one_warning_per_assumption(tmp_path):
    """valid_small: hubs.csv without drivers / weekly_hours_per_carer, POOL1 with only weekly_hours."""
    data = loaded(old_format(tmp_path))
    assert [(w.file, w.row, w.column) for w in data.warnings] == [
        ("hubs.csv", None, "drivers, weekly_hours_per_carer"),
        ("pools.csv", 2, "weekly_hours"),
    ]
    assert all(w.severity == "warning" for w in data.warnings)
    # Hubs with the defaults: drivers = carers × (1 − non_driver_share) rounded half up, 25 h per carer.
    hubs = {h.hub_id: h for h in data.hubs}
    assert {k: (h.carers, h.drivers) for k, h in hubs.items() if h.provider_id} == {
        "H01": (18, 14),  # P01: 18 × 0.8 = 14.4
        "H02": (7, 6),  # P02: 7 × 0.9 = 6.3
        "H03": (25, 16),  # P03: 25 × 0.65 = 16.25
    }
    assert all(h.weekly_hours_per_carer == DEFAULT_WEEKLY_HOURS_PER_CARER for h in data.hubs)
    assert hubs["H01"].assumed == ("drivers", "weekly_hours_per_carer")
    assert hubs["H01"].max_recruits is None and hubs["H01"].pool_id is None
    assert [p.weekly_staff_hours for p in data.providers] == [400.0, 180.0, 600.0]


def test_hubs_without_drivers_and_hours_columns(tmp_path):
    data = loaded(old_format(tmp_path))
    assert_problem(
        data.warnings,
        file="hubs.csv",
        row=None,
        column="drivers, weekly_hours_per_carer",
        value=None,
        severity="warning",
        contains="no drivers or weekly_hours_per_carer columns: assumed drivers = carers × "
        "(1 − non_driver_share) and 25 h per carer",
    )


def test_hubs_with_some_drivers_cells_empty(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 3, "drivers", "")
    set_cell(folder, "hubs.csv", 4, "drivers", "")
    data = loaded(folder)
    (warning,) = data.warnings
    assert_problem(
        [warning],
        file="hubs.csv",
        row=None,
        column="drivers",
        severity="warning",
        contains="drivers empty in rows 3, 4: assumed drivers = carers × (1 − non_driver_share)",
    )
    assert [h.drivers for h in data.hubs_for("P02")] == [6]  # 7 carers, non_driver_share 0.1
    assert data.hubs_for("P02")[0].assumed == ("drivers",)


def test_pool_hub_drivers_default_to_the_members_mean_share(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "hubs.csv", 5, "drivers", "")
    set_cell(folder, "hubs.csv", 5, "carers", "10")
    (hub,) = loaded(folder).hubs_of_pool("POOL1")
    assert hub.drivers == 9  # members P01 (0.2) and P02 (0.1): mean 0.15, 10 × 0.85 = 8.5 -> 9


def test_providers_without_non_driver_share(tmp_path):
    folder = current_format(tmp_path)
    drop_column(folder, "providers.csv", "non_driver_share")
    set_cell(folder, "hubs.csv", 2, "drivers", "")
    data = loaded(folder)
    assert_problem(
        data.warnings,
        file="providers.csv",
        row=None,
        column="non_driver_share",
        severity="warning",
        contains="no non_driver_share column: assumed non_driver_share = 0.3",
    )
    assert {p.non_driver_share for p in data.providers} == {0.3}
    assert data.hubs_for("P01")[0].drivers == 13  # 18 × 0.7 = 12.6


def test_provider_without_hubs_gets_one_at_its_base(tmp_path):
    folder = current_format(tmp_path)
    rows = read_rows(folder / "hubs.csv")
    write_rows(folder / "hubs.csv", [r for r in rows if r[0] != "H02"])
    data = loaded(folder)
    assert_problem(
        data.warnings,
        file="hubs.csv",
        row=None,
        column="provider_id",
        value="P02",
        severity="warning",
        contains="provider P02 has no hub in hubs.csv: assumed one hub at its base (P02-base) with carers = "
        "weekly_staff_hours ÷ 25 h, rounded up",
    )
    (hub,) = data.hubs_for("P02")
    # At P02's base; 180 staff hours / 25 h = 7.2 -> 8 carers; 8 × 0.9 = 7.2 -> 7 drivers.
    assert (hub.hub_id, hub.lon, hub.lat, hub.carers, hub.drivers) == ("P02-base", -5.706, 56.469, 8, 7)
    assert hub.weekly_hours_per_carer == DEFAULT_WEEKLY_HOURS_PER_CARER and "carers" in hub.assumed


def test_provider_without_hubs_or_staff_hours_gets_an_empty_hub(tmp_path):
    folder = current_format(tmp_path)
    rows = read_rows(folder / "hubs.csv")
    write_rows(folder / "hubs.csv", [r for r in rows if r[0] != "H03"])
    set_cell(folder, "providers.csv", 4, "weekly_staff_hours", "")
    data = loaded(folder)
    assert data.provider_by_id["P03"].weekly_staff_hours is None  # no overall cap
    (hub,) = data.hubs_for("P03")
    assert (hub.hub_id, hub.carers, hub.drivers) == ("P03-base", 0, 0)
    assert len(data.warnings) == 1 and data.warnings[0].value == "P03"


def test_weekly_staff_hours_may_be_left_out(tmp_path):
    folder = current_format(tmp_path)
    drop_column(folder, "providers.csv", "weekly_staff_hours")
    data = loaded(folder)
    assert data.warnings == ()  # hubs carry the capacity: no cap is no assumption
    assert {p.weekly_staff_hours for p in data.providers} == {None}


def test_pool_with_only_weekly_hours_gets_one_hub_per_zone(tmp_path):
    folder = old_format(tmp_path)
    set_cell(folder, "pools.csv", 2, "zones", "mull;lorn")
    set_cell(folder, "pools.csv", 2, "weekly_hours", "100")
    data = loaded(folder)
    problem = assert_problem(
        data.warnings,
        file="pools.csv",
        row=2,
        column="weekly_hours",
        value="100",
        severity="warning",
        contains="pool POOL1 has no hub in hubs.csv, only weekly_hours: assumed one hub per pool zone",
    )
    assert "POOL1-mull (2 carers), POOL1-lorn (2 carers)" in problem.message
    hubs = data.hubs_of_pool("POOL1")
    assert [(h.hub_id, h.carers, h.provider_id) for h in hubs] == [
        ("POOL1-mull", 2, None),  # 100 h / 25 h / 2 zones = 2 carers each
        ("POOL1-lorn", 2, None),
    ]
    zones = data.zone_by_id
    assert all(zones[h.hub_id.split("-")[1]].geometry.covers(shapely.Point(h.lon, h.lat)) for h in hubs)
    assert hubs[0] not in data.hubs_for("P01")  # a pool's hub is not a member's own


def test_small_pool_still_gets_a_carer_in_every_zone(tmp_path):
    folder = old_format(tmp_path)
    set_cell(folder, "pools.csv", 2, "zones", "mull;lorn;oban")
    set_cell(folder, "pools.csv", 2, "weekly_hours", "10")
    assert [h.carers for h in loaded(folder).hubs_of_pool("POOL1")] == [1, 1, 1]


def test_several_pools_with_only_weekly_hours_give_one_warning(tmp_path):
    folder = old_format(tmp_path)
    append_row(folder, "pools.csv", pool_id="POOL2", zones="lorn", weekly_hours="75", members="P03")
    data = loaded(folder)
    (warning,) = warnings_of(data, "pools.csv")
    assert (warning.row, warning.column, warning.value) == (None, "weekly_hours", "POOL1 40, POOL2 75")
    assert warning.message.startswith("2 pools have no hub in hubs.csv")
    assert [h.carers for h in data.hubs_of_pool("POOL2")] == [3]


def test_pool_with_hubs_and_weekly_hours_ignores_the_hours(tmp_path):
    folder = current_format(tmp_path)
    set_cell(folder, "pools.csv", 2, "weekly_hours", "40")
    data = loaded(folder)
    problem = assert_problem(
        data.warnings,
        file="pools.csv",
        row=2,
        column="weekly_hours",
        value="40",
        severity="warning",
        contains="pool POOL1 has hubs in hubs.csv (HP1), so weekly_hours is ignored",
    )
    assert problem.fix.startswith("empty weekly_hours")
    assert [h.hub_id for h in data.hubs_of_pool("POOL1")] == ["HP1"]


@pytest.mark.parametrize(("hours", "said"), [("", "no weekly_hours"), ("0", "weekly_hours 0")])
def test_pool_without_carers_adds_nothing(tmp_path, hours, said):
    folder = old_format(tmp_path)
    set_cell(folder, "pools.csv", 2, "weekly_hours", hours)
    data = loaded(folder)
    assert_problem(
        data.warnings,
        file="pools.csv",
        row=2,
        column="weekly_hours",
        value=hours or None,
        severity="warning",
        contains=f"pool POOL1 has no carers (no hub in hubs.csv, {said}): it adds nothing",
    )
    assert data.hubs_of_pool("POOL1") == ()


# ----------------------------------------------------------------------------------------------------
# The domain
# ----------------------------------------------------------------------------------------------------


def test_hubs_for_and_hubs_of_pool(tmp_path):
    folder = current_format(tmp_path)
    append_row(folder, "hubs.csv", hub_id="H04", provider_id="P01", lon=OBAN[0], lat=OBAN[1], carers="4")
    data = loaded(folder)
    assert [h.hub_id for h in data.hubs_for("P01")] == ["H01", "H04"]
    assert [h.hub_id for h in data.hubs_for("P02")] == ["H02"]  # P02 is in POOL1: its hub is not P02's own
    assert [h.hub_id for h in data.hubs_of_pool("POOL1")] == ["HP1"]
    assert data.hubs_of_pool("POOL9") == ()


def test_a_dataset_built_in_code_without_hubs_still_has_a_hub_per_provider():
    provider = Provider("P1", "One", "independent", -5.47, 56.41, 100.0, 24.0, (), 0.5)
    data = Dataset(clients=(), providers=(provider,), hubs=(), pools=(), zones=())
    (hub,) = data.hubs_for("P1")
    assert (hub.hub_id, hub.carers, hub.drivers) == ("P1-base", 4, 2)


def test_hub_built_without_drivers_counts_every_carer_as_a_driver():
    hub = Hub("H", "P1", -5.47, 56.41, 12)
    assert (hub.drivers, hub.weekly_hours_per_carer, hub.pool_id, hub.max_recruits) == (12, 25.0, None, None)
    assert dataclasses.replace(hub, drivers=3).drivers == 3


@pytest.mark.parametrize(
    ("carers", "share", "drivers"), [(10, 0.35, 7), (5, 0.5, 3), (4, 0.3, 3), (0, 0.3, 0), (3, 1.0, 0)]
)
def test_default_drivers_round_half_up(carers, share, drivers):
    assert default_drivers(carers, share) == drivers


def test_max_recruits_is_read(tmp_path):
    folder = current_format(tmp_path)
    add_column(folder, "hubs.csv", "max_recruits", "")
    set_cell(folder, "hubs.csv", 3, "max_recruits", "4")
    data = loaded(folder)
    assert [h.max_recruits for h in data.hubs_for("P02")] == [4]
    assert [h.max_recruits for h in data.hubs_for("P01")] == [None]


def test_repeated_pool_id_is_one_error_not_a_misplaced_hub(tmp_path):
    folder = current_format(tmp_path)
    append_row(folder, "pools.csv", pool_id="POOL1", zones="lorn", members="P03")
    assert_problem(only_error(folder), file="pools.csv", row=3, column="pool_id", value="POOL1")


def test_made_hub_ids_stay_unique(tmp_path):
    folder = current_format(tmp_path)
    rows = read_rows(folder / "hubs.csv")
    rows = [r for r in rows if r[0] != "H01"]  # P01 has no hub of its own...
    rows[1][0] = "P01-base"  # ...and P02's hub already uses the name its default hub would take
    write_rows(folder / "hubs.csv", rows)
    data = loaded(folder)
    assert [h.hub_id for h in data.hubs_for("P01")] == ["P01-base-2"]
    assert "its base (P01-base-2)" in data.warnings[0].message


def test_a_pool_of_five_runs_when_the_scenario_raises_max_pool_members(tmp_path, capsys):
    """Regression: the error's fix, "raise max_pool_members in the scenario file", did not help: the run read
    the data with the default limit of 4 whatever its variants said."""
    from commissioning.cli import main

    folder = current_format(tmp_path / "data")
    five_providers_in_pool(folder)
    scenario = tmp_path / "scenario.toml"
    for limit, code in (("", 1), ("max_pool_members = 5\n", 0)):
        scenario.write_text(f'data = "{folder}"\n[routing]\nenabled = false\n[[variants]]\nname = "pooled"\n'
                            f'mode = "optimised"\ntime_limit_s = 10.0\n{limit}', encoding="utf-8")
        out = tmp_path / f"out{code}"
        assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == code
        err = capsys.readouterr().err
        assert ("at most 4 providers share a pool" in err) == (code == 1), err
    assert (tmp_path / "out0" / "kpis.json").is_file()


def test_a_sweep_checks_names_on_data_read_with_its_runs_pool_limit(tmp_path):
    """Regression (a reviewer's reading): the sweep's names check read the data with the default limit of 4
    members a pool, so a sweep whose scenario allowed five stopped (exit 2) telling the user to raise it."""
    from commissioning.sweep.names import check_names
    from commissioning.sweep.plan import build_plan

    folder = current_format(tmp_path / "data")
    five_providers_in_pool(folder)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(f'data = "{folder}"\n[[variants]]\nname = "pooled"\nmode = "optimised"\n'
                        'max_pool_members = 5\n', encoding="utf-8")
    check_names(build_plan(scenario, ["move_penalty_gbp=0,50"]))  # no SweepError
