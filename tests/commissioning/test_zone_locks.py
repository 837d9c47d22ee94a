"""Zone locks end to end (issue 11's proof of the rule registry): a scenario file locks a provider out of a
zone or reserves a zone; the run honours it, the validator checks it, the report shows it."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pandas as pd

from commissioning.cli import main

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


def _run(tmp_path: Path, lines: str) -> Path:
    shutil.copytree(VALID_SMALL, tmp_path / "data")
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(textwrap.dedent("""\
        data = "data"
        [routing]
        enabled = false
        [[variants]]
        name = "locked"
        mode = "optimised"
        time_limit_s = 30.0
        work_limit = 1.0
    """) + lines, encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    return tmp_path / "out"


def test_a_provider_locked_out_of_a_zone_serves_nobody_there_but_its_own_choosers(tmp_path):
    out = _run(tmp_path, 'lock_out = { P01 = ["oban"] }\n')
    frame = pd.read_csv(out / "locked" / "allocation.csv", dtype=str, keep_default_na=False)
    clients = pd.read_csv(out / "inputs" / "clients.csv", dtype=str, keep_default_na=False)
    pinned = set(clients.loc[clients["pinned"] == "yes", "client_id"])
    at_p01_in_oban = frame[(frame["zone"] == "oban") & (frame["provider_id"] == "P01")]
    assert set(at_p01_in_oban["client_id"]) <= pinned  # C002 chose P01: it stays
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["scenarios"]["locked"]["constraint_violations"] == 0
    assert kpis["assumptions"]["variants"]["locked"]["lock_out"] == {"P01": ["oban"]}
    assert "lock_out" in (out / "report.html").read_text(encoding="utf-8")


def test_a_reserved_zone_is_served_by_its_providers_only(tmp_path):
    out = _run(tmp_path, 'reserve = { P02 = ["mull"] }\n')
    frame = pd.read_csv(out / "locked" / "allocation.csv", dtype=str, keep_default_na=False)
    served = frame[(frame["zone"] == "mull") & (frame["status"] == "assigned")]
    assert set(served["provider_id"]) <= {"P02"}


def test_a_lock_naming_an_unknown_zone_or_provider_is_a_clear_error(tmp_path, capsys):
    shutil.copytree(VALID_SMALL, tmp_path / "data")
    scenario = tmp_path / "scenario.toml"
    for lock, named in (('{ P01 = ["atlantis"] }', "'atlantis'"), ('{ P99 = ["oban"] }', "'P99'"),
                        ('{ P01 = "oban" }', "expected a table")):
        text = f'data = "data"\n[[variants]]\nname = "v"\nmode = "optimised"\nlock_out = {lock}\n'
        scenario.write_text(text, encoding="utf-8")
        assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 1
        err = capsys.readouterr().err
        assert "variants[0].lock_out" in err and named in err and "line 5" in err, err


def _one_variant(tmp_path: Path, lines: str) -> Path:
    """A scenario file of one optimised variant "v" with ``lines`` (from line 7) on a copy of valid_small."""
    shutil.copytree(VALID_SMALL, tmp_path / "data")
    scenario = tmp_path / "scenario.toml"
    scenario.write_text('data = "data"\n[routing]\nenabled = false\n[[variants]]\nname = "v"\n'
                        'mode = "optimised"\n' + lines, encoding="utf-8")
    return scenario


def test_a_provider_both_reserved_a_zone_and_locked_out_of_it_is_a_clear_error(tmp_path, capsys):
    """Regression: reserve = { P02 = ["mull"] } with lock_out = { P02 = ["mull"] } ran, and Mull's clients
    were left unmet with a reason that blamed sustainability floors, move limits or cost."""
    scenario = _one_variant(tmp_path, 'reserve = { P02 = ["mull"] }\nlock_out = { P02 = ["mull", "oban"] }\n')
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "variants[0].lock_out" in err and "P02 in mull: both reserved and locked out" in err, err
    assert "line 8" in err and "at most one of reserve and lock_out" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_client_only_excluded_providers_can_serve_says_so(tmp_path):
    """Regression: with a provider excluded, a client only it could reach read "no eligible provider: none
    within reach has the skills the client needs" (the tester's Lismore and Colonsay clients of P15)."""
    scenario = _one_variant(tmp_path, 'exclude = ["P02", "P03"]\ntime_limit_s = 10.0\n')
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    frame = pd.read_csv(tmp_path / "out" / "v" / "allocation.csv", dtype=str, keep_default_na=False)
    reasons = frame.loc[frame["status"] != "assigned", "reason"].tolist()
    excluded = [r for r in reasons if r.startswith("only ")]
    assert excluded and all(r.endswith("and this variant excludes it") or r.endswith("excludes them")
                            for r in excluded), reasons
    assert not any("skills" in r and "none within reach" in r for r in reasons), reasons
