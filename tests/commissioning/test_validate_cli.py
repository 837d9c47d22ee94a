"""``commissioning validate DIR [--json]`` through ``commissioning.cli.main``: output and exit status.

Only the ``validate`` command is registered here (monkeypatched ``COMMANDS``) so these tests do not depend
on the other commands' modules.
"""

from __future__ import annotations

import json
import random
import string
import time

import pytest

from commissioning import cli
from tests.commissioning.helpers import VALID, append_row, copy_valid, set_cell


@pytest.fixture(autouse=True)
def only_validate(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["validate"])


def test_valid_folder_prints_ok_and_exits_0(capsys):
    assert cli.main(["validate", str(VALID)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "OK: 8 clients, 3 providers, 1 pools, 3 zones"


def test_errors_print_every_problem_and_exit_1(tmp_path, capsys):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 3, "weekly_hours", "seven")
    set_cell(folder, "pools.csv", 2, "members", "P01;P99")
    set_cell(folder, "clients.csv", 7, "lat", "-5.945")
    set_cell(folder, "clients.csv", 7, "lon", "56.516")
    assert cli.main(["validate", str(folder)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("ERROR: clients.csv, row 3, column 'weekly_hours'")
    assert (
        lines[1].startswith("ERROR: clients.csv, row 7, column 'lon, lat'") and "swap lat and lon" in lines[1]
    )
    assert lines[2].startswith("ERROR: pools.csv, row 2, column 'members'") and "'P99'" in lines[2]
    assert lines[3].startswith("3 errors, 0 warnings")
    assert all("Fix: " in line for line in lines[:3])


def test_warnings_only_exit_0(tmp_path, capsys):
    # A provider with no hub in hubs.csv: a warning (one hub assumed at its base), not an error. (A pool of
    # five, the warning used before issue 12, is now an error: the partnership rule.)
    folder = copy_valid(tmp_path)
    append_row(
        folder,
        "providers.csv",
        provider_id="P04",
        name="P04",
        kind="in_house",
        base_lon="-5.47",
        base_lat="56.412",
        weekly_staff_hours="60",
        hourly_rate_gbp="30",
        skills="",
        non_driver_share="0",
    )
    assert cli.main(["validate", str(folder)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "OK: 8 clients, 4 providers, 1 pools, 3 zones"
    assert lines[1].startswith("WARNING: hubs.csv, column 'provider_id'") and "P04-base" in lines[1]
    assert len(lines) == 2


def test_json_ok(capsys):
    assert cli.main(["validate", str(VALID), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "ok": True,
        "problems": [],
        "counts": {"clients": 8, "providers": 3, "hubs": 4, "pools": 1, "zones": 3},
        "totals": {"error": 0, "warning": 0},
    }


def test_json_errors(tmp_path, capsys):
    folder = copy_valid(tmp_path)
    set_cell(folder, "providers.csv", 3, "non_driver_share", "1.5")
    assert cli.main(["validate", str(folder), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["counts"]["providers"] == 3
    (problem,) = doc["problems"]
    assert problem == {
        "severity": "error",
        "file": "providers.csv",
        "row": 3,
        "column": "non_driver_share",
        "value": "1.5",
        "message": "non_driver_share must be in [0, 1]",
        "fix": "enter a fraction between 0 and 1, e.g. 0.35 if 35% of the carers do not drive",
    }


def test_missing_folder(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nowhere")]) == 1
    assert "the dataset folder does not exist" in capsys.readouterr().out


def test_garbage_file_gives_a_short_answer_quickly(tmp_path, capsys):
    """20,000 rows of garbage under a clients.csv header printed 1.8 million lines per 10 MB before."""
    folder = copy_valid(tmp_path)
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + " .;-=+@"
    header = (folder / "clients.csv").read_text().splitlines()[0]
    rows = [
        ",".join("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(12))
        for _ in range(20_000)
    ]
    (folder / "clients.csv").write_text("\n".join([header, *rows]) + "\n")
    started = time.perf_counter()
    assert cli.main(["validate", str(folder)]) == 1
    seconds = time.perf_counter() - started
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) <= 202  # at most 200 problems, one summary line, the count line
    assert lines[-2].startswith("ERROR: clients.csv: ") and "were not checked" in lines[-2]
    assert seconds < 30  # about 1 s; generous for a shared machine
