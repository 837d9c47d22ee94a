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
    from commissioning.synthetic.generate import generate_scenario

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


def test_a_killed_run_leaves_a_partial_that_the_next_run_removes(tmp_path):
    from commissioning.synthetic.generate import generate_scenario

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
        time_limit_s = 30.0
    """),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "commissioning.cli", "run", str(scenario), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.partial-*/inputs/clients.csv")):  # the data are copied: loading
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before solving"
        time.sleep(0.1)
    time.sleep(3.0)  # building the model, then solving for up to 30 s
    assert process.poll() is None
    process.kill()  # SIGKILL: no handler runs, no cleanup
    process.wait(timeout=60)
    partials = list(tmp_path.glob(".out.partial-*"))
    assert len(partials) == 1 and (partials[0] / "inputs" / "clients.csv").is_file()  # client coordinates
    assert not out.exists()

    done = subprocess.run(
        [*command, "--time-limit", "1", "--quiet"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert (
        (out / "kpis.json").is_file()
        and (out / "report.html").is_file()
        and (out / "workbook.xlsx").is_file()
    )
    assert (out / "zoned" / "allocation.csv").is_file() and (out / "inputs" / "clients.csv").is_file()


def test_a_variant_that_excludes_every_provider_reports_every_client_unmet(tmp_path, capsys):
    """Regression (found by the fuzz suite): with no eligible pair left, writing allocation.csv crashed."""
    import pandas as pd

    scenario = _scenario(tmp_path)
    clients = pd.read_csv(tmp_path / "data" / "clients.csv", dtype=str, keep_default_na=False)
    clients["pinned"] = "no"  # a client's own choice would keep its pair: here none is left at all
    clients.to_csv(tmp_path / "data" / "clients.csv", index=False)
    text = scenario.read_text() + 'exclude = ["P01", "P02", "P03"]\n'
    scenario.write_text(text, encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    frame = pd.read_csv(tmp_path / "out" / "optimised" / "allocation.csv", dtype=str, keep_default_na=False)
    assert len(frame) == 8 and (frame["status"] == "unmet").all() and (frame["reason"] != "").all()


@pytest.mark.parametrize("argv_tail", [["--seed", "2147483648"], ["--seed", "-1"]])
def test_a_seed_cp_sat_cannot_take_is_a_usage_error(tmp_path, capsys, argv_tail):
    """Regression (found by the fuzz suite): seeds of 2**31 or more crashed CP-SAT's set-up."""
    scenario = _scenario(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(["run", str(scenario), "--out", str(tmp_path / "out"), *argv_tail])
    assert stop.value.code == 2 and "from 0 to 2147483647" in capsys.readouterr().err
    scenario.write_text(scenario.read_text() + "seed = 2147483648\n", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    assert "variants[1].seed" in capsys.readouterr().err
