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
    assert instance["switches"]["max_providers_per_zone"] == 2
    assert "8 clients" in capsys.readouterr().out


def test_solve_instance_prints_the_documented_json(tmp_path, capsys):
    out = tmp_path / "instance.json"
    main(["export-instance", str(FIXTURE), "--out", str(out)])
    capsys.readouterr()
    code = main(["solve-instance", str(out), "--time-limit", "5", "--workers", "1", "--seed", "3", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(result) == {"status", "objective", "bound", "gap", "seconds", "assignment", "hubs", "recruits"}
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


def test_anonymised_instance_shuffles_rows_and_rounds_figures(tmp_path, capsys):
    """Issue 10: the instance kept input row order and exact rates and hours, re-linkable by anyone holding
    the inputs. Rows are now in a seeded random order and figures rounded to a stated precision."""
    from commissioning.inputs.folder import load_dataset
    from commissioning.running.problem import build_problem
    from commissioning.running.travel import travel_model_for

    data = load_dataset(FIXTURE)
    problem, _ = build_problem(data, travel_model_for(data))
    paths = [tmp_path / f"i{seed}.json" for seed in (0, 0, 1)]
    for path, seed in zip(paths, (0, 0, 1), strict=True):
        assert main(["export-instance", str(FIXTURE), "--out", str(path), "--seed", str(seed)]) == 0
    first, again, other = (json.loads(p.read_text()) for p in paths)
    assert first == again  # same seed, same file
    assert first["clients"]["weekly_hours"] != other["clients"]["weekly_hours"]
    hours = first["clients"]["weekly_hours"]
    assert hours != problem.client_weekly_hours.tolist()  # not the input order
    assert sorted(hours) == sorted(round(h * 2) / 2 for h in problem.client_weekly_hours)
    rates = first["providers"]["hourly_rate_gbp"]
    assert all(r == round(r) for r in rates)
    assert set(rates) <= {float(round(r)) for r in problem.provider_hourly_rate_gbp}
    assert first["about"]["anonymised"]["rate_step_gbp"] == 1.0


def test_bad_solver_options_are_usage_errors_not_tracebacks(tmp_path, capsys):
    """Issue 10: K = 0 and --time-limit inf were accepted on the command line though the scenario file
    rejects them; --workers 100000 was reported as 'no feasible allocation'."""
    import pytest

    out = tmp_path / "instance.json"
    main(["export-instance", str(FIXTURE), "--out", str(out)])
    capsys.readouterr()
    for argv in (["export-instance", str(FIXTURE), "--out", str(out), "--max-providers-per-zone", "0"],
                 ["solve-instance", str(out), "--time-limit", "inf"],
                 ["solve-instance", str(out), "--time-limit", "nan"],
                 ["solve-instance", str(out), "--workers", "100000"],
                 ["solve-instance", str(out), "--work-limit", "-1"],
                 ["run", "x.toml", "--out", str(tmp_path / "o"), "--time-limit", "inf"],
                 ["run", "x.toml", "--out", str(tmp_path / "o"), "--workers", "0"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2, argv
        err = capsys.readouterr().err
        assert "argument --" in err and "Traceback" not in err, argv


def test_failed_model_export_is_an_error(tmp_path, capsys):
    """Issue 10: a failed --export-model write ended with exit 0."""
    out = tmp_path / "instance.json"
    main(["export-instance", str(FIXTURE), "--out", str(out)])
    capsys.readouterr()
    for bad in (tmp_path / "no-such-folder" / "m.pb", tmp_path, tmp_path / "m.txt"):
        assert main(["solve-instance", str(out), "--time-limit", "2", "--export-model", str(bad)]) == 1
        assert "--export-model" in capsys.readouterr().err


def test_instance_file_that_is_not_an_object_is_a_clear_error(tmp_path, capsys):
    """Issue 10: an instance file holding [] gave a traceback."""
    for text in ("[]", "1", '"x"', "null", "{", '{"format": "care-commissioning-instance", "version": 1}'):
        path = tmp_path / "bad.json"
        path.write_text(text)
        assert main(["solve-instance", str(path)]) == 1
        assert "not a valid instance" in capsys.readouterr().err


def test_export_instance_to_a_folder_or_unwritable_place_is_a_clear_error(tmp_path, capsys):
    """Issue 10: --out pointing at a folder or an unwritable place gave a traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for bad in (tmp_path, blocker / "instance.json"):
        assert main(["export-instance", str(FIXTURE), "--out", str(bad)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error:") and str(bad) in err
