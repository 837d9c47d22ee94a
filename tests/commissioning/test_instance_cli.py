"""export-instance / solve-instance through the real CLI entry point."""

import json
from pathlib import Path

from commissioning.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


def test_exported_instance_has_no_names_ids_or_coordinates(tmp_path, capsys):
    out = tmp_path / "instance.json"
    assert main(["export-instance", str(FIXTURE), "--out", str(out), "--max-providers-per-zone", "2"]) == 0
    text = out.read_text()
    for secret in ["C001", "C006", "P01", "Lorn Home Care", "Mull Community Care", "oban", "mull", "POOL1",
                   "56.41", "-5.46", "-6.06"]:
        assert secret not in text, secret
    instance = json.loads(text)
    assert len(instance["clients"]["weekly_hours"]) == 8
    assert instance["scenario"]["max_providers_per_zone"] == 2
    assert "8 clients" in capsys.readouterr().out


def test_solve_instance_prints_the_documented_json(tmp_path, capsys):
    out = tmp_path / "instance.json"
    main(["export-instance", str(FIXTURE), "--out", str(out)])
    capsys.readouterr()
    code = main(["solve-instance", str(out), "--time-limit", "5", "--workers", "1", "--seed", "3", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(result) == {"status", "objective", "bound", "gap", "seconds", "assignment"}
    assert result["status"] in {"OPTIMAL", "FEASIBLE"}
    assert len(result["assignment"]) == 8
    assert result["objective"] >= result["bound"] - 1e-6


def test_solve_instance_can_export_the_cp_sat_model(tmp_path, capsys):
    out = tmp_path / "instance.json"
    model = tmp_path / "model.pbtxt"
    main(["export-instance", str(FIXTURE), "--out", str(out)])
    main(["solve-instance", str(out), "--time-limit", "2", "--export-model", str(model)])
    assert model.exists() and "variables" in model.read_text()


def test_missing_instance_file_is_a_clear_error(tmp_path, capsys):
    assert main(["solve-instance", str(tmp_path / "nope.json")]) == 1
    assert "no such instance file" in capsys.readouterr().err
