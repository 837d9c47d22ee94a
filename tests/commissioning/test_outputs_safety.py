"""The output side of issue 10: one writer per folder, --force only over our own folders, no stale
partials, spreadsheet-safe text, one-line errors for unwritable places, closed pipes and OS errors."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from commissioning.cli import main
from commissioning.errors import CareCommissioningError
from commissioning.results import write
from commissioning.results.folder import MARKER_FILE, staged_folder, write_text_file
from commissioning.results.spreadsheet import (
    original_text,
    read_output_csv,
    spreadsheet_safe,
    spreadsheet_safe_text,
)

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"
HOSTILE_NAME = '=HYPERLINK("http://evil.example","click")'
HOSTILE_ID = "-P02"  # a provider id a spreadsheet would read as a formula (minus a name)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _scenario(tmp_path: Path, data: Path = VALID_SMALL) -> Path:
    shutil.copytree(data, tmp_path / "data")
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


def _run(scenario: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scenario), "--out", str(out), "--quiet", *extra])


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


# ----------------------------------------------------------------------------------------------------
# 1. One writer per folder; --force replaces only a folder this tool wrote
# ----------------------------------------------------------------------------------------------------


def test_a_second_run_on_the_same_folder_fails_at_once_and_leaves_the_first_alone(tmp_path, capsys):
    scenario = _scenario(tmp_path)
    out = tmp_path / "out"
    with staged_folder(out) as stage:  # the first run, still writing
        (stage / "first.txt").write_text("first")
        assert _run(scenario, out) == 1
        line = _error_line(capsys)
        assert str(out) in line and "another run" in line
        assert main(["generate", "--clients", "5", "--out", str(out)]) == 1
        assert "another run" in _error_line(capsys)
    assert (out / "first.txt").read_text() == "first"
    # The lock is released (and its file removed) with the folder in place: the next run goes ahead.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "scenario.toml"]
    assert _run(scenario, out, "--force") == 0
    assert (out / "kpis.json").is_file() and not (out / "first.txt").exists()


def test_the_lock_is_taken_again_after_an_error(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_folder(out):
        raise RuntimeError("boom")
    with staged_folder(out) as stage:
        (stage / "a.txt").write_text("a")
    assert (out / "a.txt").is_file() and not (tmp_path / ".out.lock").exists()


def test_every_folder_written_holds_the_marker_and_force_replaces_only_those(tmp_path, capsys):
    scenario = _scenario(tmp_path)
    out = tmp_path / "out"
    assert _run(scenario, out) == 0
    capsys.readouterr()
    marker = json.loads((out / MARKER_FILE).read_text())
    assert marker["tool"] == "care-commissioning" and marker["version"] and marker["written_at"]
    assert _run(scenario, out) == 1
    assert "--force" in _error_line(capsys)
    assert _run(scenario, out, "--force") == 0
    capsys.readouterr()

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("years of work")
    for force in ([], ["--force"]):
        assert _run(scenario, mine, *force) == 1
        line = _error_line(capsys)
        assert str(mine) in line and "not written by care-commissioning" in line and "Fix:" in line
    assert main(["generate", "--clients", "5", "--out", str(mine), "--force"]) == 1
    assert "not written by care-commissioning" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_a_generated_folder_has_the_marker_and_still_validates(tmp_path, capsys):
    folder = tmp_path / "generated"
    assert main(["generate", "--clients", "20", "--seed", "2", "--out", str(folder)]) == 0
    assert (folder / MARKER_FILE).is_file()
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 0
    assert "warning" not in capsys.readouterr().out.lower()
    # Ours, so --force may replace it.
    assert main(["generate", "--clients", "20", "--seed", "3", "--out", str(folder), "--force"]) == 0


def test_the_run_lists_no_marker_among_its_files(tmp_path):
    from commissioning.running.run import run_scenario
    from commissioning.scenario.file import load_scenario_file

    scenario = _scenario(tmp_path)
    scenario.write_text(
        scenario.read_text().replace('data = "data"', "[data]\ngenerate = {clients = 20, seed = 1}")
    )
    result = run_scenario(load_scenario_file(scenario), tmp_path / "out", quiet=True, routing=False)
    assert (tmp_path / "out" / MARKER_FILE).is_file()
    assert not [f for f in result.files if f.name.startswith(".")]


# ----------------------------------------------------------------------------------------------------
# 2. Partial folders of killed runs (the real SIGKILL test is in test_run_safety.py)
# ----------------------------------------------------------------------------------------------------


def test_the_next_writer_removes_stale_partials_of_its_own_folder_only(tmp_path):
    out = tmp_path / "out"
    stale = [tmp_path / ".out.partial-abc12_xy", tmp_path / ".out.old-k3j4h5g6"]
    others = [
        tmp_path / ".other.partial-abc12_xy",  # another folder's
        tmp_path / ".out.partial-x.partial-abc12_xy",  # the folder "out.partial-x"'s
        tmp_path / ".out.partial-notes",  # not a name mkdtemp makes
    ]
    for folder in stale + others:
        (folder / "inputs").mkdir(parents=True)
        (folder / "inputs" / "clients.csv").write_text("client_id,lon,lat\n")
    with staged_folder(out) as stage:
        (stage / "a.txt").write_text("a")
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in others)


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit, RuntimeError])
def test_any_exception_in_the_block_removes_the_partial(tmp_path, stop):
    # SIGTERM is turned into an exception by the runner: whatever it is, nothing is left behind.
    with pytest.raises(stop), staged_folder(tmp_path / "out") as stage:
        (stage / "clients.csv").write_text("secret")
        raise stop()
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------------
# 3. Spreadsheet-safe text
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        (HOSTILE_NAME, "'" + HOSTILE_NAME),
        ("+44 1631 000000", "'+44 1631 000000"),
        ("-P02", "'-P02"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'=already", "''=already"),  # one more quote: original_text gives it back
        ("-5.47", "-5.47"),
        ("+3", "+3"),
        ("-1e-3", "-1e-3"),
        ("Lorn Home Care", "Lorn Home Care"),
        ("'quoted'", "'quoted'"),
        ("", ""),
        (-5.47, -5.47),
        (None, None),
    ],
)
def test_spreadsheet_safe_text_and_back(value, safe):
    assert spreadsheet_safe_text(value) == safe
    assert original_text(safe) == value


def test_spreadsheet_safe_frame_keeps_numbers():
    frame = pd.DataFrame(
        {"name": [HOSTILE_NAME, "ok"], "hours": [-1.5, 2.0], "n": [-1, 2], "text": ["-3", "-x"]}
    )
    safe = spreadsheet_safe(frame)
    assert safe["name"].tolist() == ["'" + HOSTILE_NAME, "ok"]
    assert safe["hours"].tolist() == [-1.5, 2.0] and safe["n"].tolist() == [-1, 2]
    assert safe["text"].tolist() == ["-3", "'-x"]
    assert frame["name"][0] == HOSTILE_NAME  # the caller's frame is not changed


def _hostile_data(tmp_path: Path) -> Path:
    """valid_small with provider P01 named like a formula and P02 renamed to an id starting with '-'."""
    folder = tmp_path / "hostile"
    shutil.copytree(VALID_SMALL, folder)
    for name in ("providers.csv", "clients.csv", "hubs.csv", "pools.csv"):
        rows = list(csv.reader(io.StringIO((folder / name).read_text(encoding="utf-8"))))
        rows = [
            [HOSTILE_ID if c == "P02" else c.replace("P01;P02", f"P01;{HOSTILE_ID}") for c in r] for r in rows
        ]
        if name == "providers.csv":
            rows[1][1] = HOSTILE_NAME
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (folder / name).write_text(buffer.getvalue(), encoding="utf-8")
    return folder


def _is_dangerous(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("hostile")
    scenario = _scenario(tmp_path, _hostile_data(tmp_path))
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    return tmp_path / "out"


def test_no_csv_cell_of_the_results_can_run_as_a_formula(hostile_run):
    tables = [hostile_run / n for n in ("kpis.csv", "providers.csv", "zones.csv")]
    tables += sorted(hostile_run.glob("*/allocation.csv")) + sorted(hostile_run.glob("inputs/*.csv"))
    assert len(tables) == 9
    for path in tables:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        bad = [c for r in rows for c in r if _is_dangerous(c)]
        assert bad == [], path
    providers = pd.read_csv(hostile_run / "providers.csv", dtype=str, keep_default_na=False)
    assert "'" + HOSTILE_NAME in set(providers["name"]) and "'" + HOSTILE_ID in set(providers["provider_id"])
    # Negative numbers (changes against current) are still numbers.
    assert all(NUMBER.fullmatch(v) for v in providers["change_hours_vs_current"] if v)
    back = read_output_csv(hostile_run / "providers.csv")
    assert HOSTILE_NAME in set(back["name"]) and HOSTILE_ID in set(back["provider_id"])


def test_no_workbook_cell_is_a_formula(hostile_run):
    import openpyxl

    book = openpyxl.load_workbook(hostile_run / "workbook.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells if _is_dangerous(c.value)] == []
    assert "'" + HOSTILE_NAME in {c.value for c in cells}
    hours = [r[4].value for r in book["Providers"].iter_rows(min_row=2)]
    assert hours and all(isinstance(h, int | float) for h in hours)  # numbers stay numbers


def test_readers_join_escaped_ids(hostile_run, tmp_path):
    from commissioning.results.read import load_run

    run = load_run(hostile_run)
    allocation = run.allocation("current")
    assert HOSTILE_ID in set(allocation["provider_id"])
    assert set(allocation["provider_id"]) - {""} <= set(run.providers["provider_id"])
    import html

    report = html.unescape((hostile_run / "report.html").read_text(encoding="utf-8"))
    for value in ("-P02", HOSTILE_NAME):
        # Warnings quote a value as '-P02'; any other apostrophe in front is the spreadsheet escape leaking.
        assert f"'{value}" not in report.replace(f"'{value}'", ""), value


# ----------------------------------------------------------------------------------------------------
# 4. Unwritable places: one line naming the path and the fix
# ----------------------------------------------------------------------------------------------------


def test_write_text_file_is_atomic_and_honours_the_umask(tmp_path):
    path = tmp_path / "sub" / "map.html"
    assert write_text_file(path, "first", what="provider map") == path
    assert path.read_text() == "first"
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert write_text_file(path, "second", what="provider map").read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["map.html"]


@pytest.mark.parametrize(
    ("where", "fix"),
    [
        ("folder", "is a folder"),
        ("under_file", "not a folder"),
        ("sys", "write permission"),
        ("proc", "check the path"),
    ],
)
def test_write_text_file_errors_are_one_line(tmp_path, where, fix):
    (tmp_path / "file.txt").write_text("x")
    path = {
        "folder": tmp_path,
        "under_file": tmp_path / "file.txt" / "map.html",
        "sys": Path("/sys/care-commissioning-test.html"),
        "proc": Path("/proc/care-commissioning-test/map.html"),
    }[where]
    if where in ("sys", "proc") and not Path(f"/{where}").is_dir():
        pytest.skip(f"no /{where}")
    with pytest.raises(CareCommissioningError) as caught:
        write_text_file(path, "x", what="provider map")
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "provider map" in message
    assert "Fix:" in message and fix in message.lower()
    assert (tmp_path / "file.txt").read_text() == "x"


@pytest.mark.parametrize(("code", "fix"), [(errno.EROFS, "read-only"), (errno.ENOSPC, "disk is full")])
def test_write_text_file_keeps_the_old_file_when_the_disk_fails(tmp_path, monkeypatch, code, fix):
    path = tmp_path / "map.html"
    path.write_text("old")

    def failing(src, dst):
        raise OSError(code, os.strerror(code), str(dst))

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(CareCommissioningError, match=fix):
        write_text_file(path, "new", what="provider map")
    monkeypatch.undo()
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["map.html"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("small")
    assert main(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    return tmp_path / "out"


@pytest.mark.parametrize("where", ["folder", "under_file", "sys"])
def test_map_out_that_cannot_be_written_is_one_line(small_run, tmp_path, capsys, where):
    (tmp_path / "file.txt").write_text("x")
    target = {
        "folder": tmp_path,
        "under_file": tmp_path / "file.txt" / "p01.html",
        "sys": Path("/sys/p01.html"),
    }[where]
    capsys.readouterr()
    assert main(["map", str(small_run), "--provider", "P01", "--out", str(target)]) == 1
    line = _error_line(capsys)
    assert f"cannot write the provider map {target}:" in line and "Fix:" in line


@pytest.mark.parametrize("where", ["under_file", "sys", "proc"])
def test_run_out_that_cannot_be_written_is_one_line(tmp_path, capsys, where):
    scenario = _scenario(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    target = {
        "under_file": tmp_path / "file.txt" / "out",
        "sys": Path("/sys/care-commissioning-out"),
        "proc": Path("/proc/care-commissioning-out"),
    }[where]
    assert _run(scenario, target) == 1
    line = _error_line(capsys)
    assert f"cannot write the output folder {target}:" in line and "Fix:" in line


def test_a_full_disk_while_writing_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    scenario = _scenario(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "workbook.xlsx")

    monkeypatch.setattr(write, "write_workbook", full)
    assert _run(scenario, tmp_path / "out") == 1
    line = _error_line(capsys)
    assert "No space left on device" in line and "Fix:" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "scenario.toml"]
    with pytest.raises(OSError):
        main(["--debug", "run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"])


@pytest.mark.parametrize(
    "error",
    [
        "commissioning.errors:CareCommissioningError",
        "geodata.errors:GeodataError",
        "maps.errors:MapError",
        "solver.errors:SolverError",
    ],
)
def test_every_layers_own_error_is_one_line(monkeypatch, capsys, error):
    import importlib

    import commissioning.cli.commands.validate as validate

    module, name = error.split(":")
    kind = getattr(importlib.import_module(module), name)

    def fails(args):
        raise kind("what is wrong. Fix: what to do")

    monkeypatch.setattr(validate, "run", fails)
    assert main(["validate", str(VALID_SMALL)]) == 1
    assert _error_line(capsys) == "error: what is wrong. Fix: what to do"
    with pytest.raises(kind):
        main(["--debug", "validate", str(VALID_SMALL)])


def test_a_bug_still_shows_its_traceback(monkeypatch):
    import commissioning.cli.commands.validate as validate

    def bug(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(validate, "run", bug)  # register() looks ``run`` up when main builds the parser
    with pytest.raises(ZeroDivisionError):
        main(["validate", str(VALID_SMALL)])


# ----------------------------------------------------------------------------------------------------
# 5. A closed pipe
# ----------------------------------------------------------------------------------------------------


def test_a_closed_stdout_ends_quietly(tmp_path):
    command = [sys.executable, "-m", "commissioning.cli", "validate", str(VALID_SMALL)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like "| head -1" that has read its line: every write gets EPIPE
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert err == ""  # quietly: no traceback, no "Exception ignored", no error line about the pipe


def test_a_control_character_in_the_data_does_not_stop_the_workbook(tmp_path):
    # Regression (fuzz, seed 202): a zone's locality holding "\x1d" made openpyxl refuse the workbook, a
    # traceback at the end of a run. The worksheet shows U+FFFD there; the CSV keeps the text.
    import openpyxl

    frame = pd.DataFrame({"zone": ["mull"], "locality": ["Oban\x1dLorn\tIsles"], "hours": [3.5]})
    kpis = {"assumptions": {"money": {}, "downstream": {}, "kpis": {}, "routing": {}, "workforce": {},
                            "max_travel_minutes_per_visit": 75.0, "variants": {}},
            "travel_model": "network", "warnings": ["odd\x1dwarning"]}
    path = write.write_workbook(tmp_path / "workbook.xlsx", kpis, frame, {"Zones": frame}, {})
    sheet = openpyxl.load_workbook(path)["Zones"]
    assert sheet["B2"].value == "Oban\ufffdLorn\tIsles"
    assert openpyxl.load_workbook(path)["Warnings"]["A2"].value == "odd\ufffdwarning"
