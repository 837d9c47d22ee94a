"""A run never damages what it reads and never leaves half a folder, even when interrupted."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from commissioning.cli import main

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


def _scenario(tmp_path: Path) -> Path:
    shutil.copytree(VALID_SMALL, tmp_path / "data")
    path = tmp_path / "scenario.toml"
    path.write_text(
        textwrap.dedent("""\
        data = "data"
        [routing]
        enabled = false
        [[variants]]
        name = "current"
        mode = "current"
        [[variants]]
        name = "optimised"
        mode = "optimised"
        time_limit_s = 1.0
    """),
        encoding="utf-8",
    )
    return path


def test_force_never_replaces_the_data_folder_or_the_folder_holding_the_scenario(tmp_path, capsys):
    scenario = _scenario(tmp_path)
    before = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert main(["run", str(scenario), "--out", str(tmp_path / "data"), "--force", "--quiet"]) == 1
    assert "which the run reads" in capsys.readouterr().err
    assert main(["run", str(scenario), "--out", str(tmp_path), "--force", "--quiet"]) == 1
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == before
    assert scenario.exists()


def test_ctrl_c_stops_the_run_with_status_130_and_no_folder(tmp_path):
    from commissioning.generate import generate_scenario

    # Lead-provider zoning (K = 1) on 300 clients keeps CP-SAT busy for its whole limit.
    generate_scenario(tmp_path / "data", n_clients=300, seed=3)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        textwrap.dedent("""\
        data = "data"
        [routing]
        enabled = false
        [[variants]]
        name = "zoned"
        mode = "zoned"
        max_providers_per_zone = 1
        time_limit_s = 10.0
    """),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "commissioning.cli", "run", str(scenario), "--out", str(out)]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(4.0)  # loading, building or solving: every phase must stop the same way
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.partial-*"))


@pytest.mark.parametrize("name", ["maps", "inputs", "kpis.json", "report.html"])
def test_variant_names_cannot_collide_with_output_files(tmp_path, capsys, name):
    scenario = _scenario(tmp_path)
    scenario.write_text(scenario.read_text().replace('name = "optimised"', f'name = "{name}"'))
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "variants[1].name" in err and "reserved" in err and not (tmp_path / "out").exists()
