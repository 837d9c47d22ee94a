"""The scenario file (TOML): the shipped default parses; every mistake names the key, its line and a fix."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from commissioning.cli import main
from commissioning.errors import ScenarioError
from commissioning.scenario.file import (
    DEFAULT_SCENARIO,
    check_references,
    load_scenario_file,
    parse_scenario,
)

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"

GOOD = textwrap.dedent(f"""\
    name = "test"
    data = "{VALID_SMALL}"

    [money]
    staff_cost_per_hour_gbp = 14.0
    bed_day_cost_gbp = 300

    [[variants]]
    name = "current"
    mode = "current"

    [[variants]]
    name = "optimised"
    mode = "optimised"
    move_penalty_gbp = 25.0
    protect = ["P01"]

    [[variants]]
    name = "zoned"
    mode = "zoned"
    max_providers_per_zone = 2
    max_loss_fraction = 0.5
    weight_travel = 2.0
""")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(write(tmp_path, text))
    return str(info.value)


def line_number(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_shipped_default_scenario_parses_with_three_variants():
    scenario = load_scenario_file(DEFAULT_SCENARIO)
    assert [(v.name, v.mode) for v in scenario.variants] == [
        ("current", "current"),
        ("optimised", "optimised"),
        ("zoned", "zoned"),
    ]
    zoned = scenario.variant("zoned")
    assert zoned.max_providers_per_zone == 2 and zoned.pools
    assert scenario.variant("optimised").move_penalty_gbp > 0
    assert scenario.data.generated and scenario.data.generate_clients == 1000
    assert scenario.money.bed_day_cost_gbp > 0


def test_a_good_file_gives_typed_variants_and_solver_parameters(tmp_path):
    scenario = load_scenario_file(write(tmp_path, GOOD))
    assert scenario.data.path == VALID_SMALL
    assert scenario.money.staff_cost_per_hour_gbp == 14.0
    assert scenario.money.bed_day_cost_gbp == 300.0  # an int in TOML becomes a float
    zoned = scenario.variant("zoned")
    params = zoned.solver_switches()
    assert params.max_providers_per_zone == 2 and params.max_loss_fraction == 0.5
    assert params.weight_travel == 2.0 and params.allow_unmet
    assert scenario.variant("optimised").solver_switches().max_providers_per_zone is None
    assert scenario.variant("optimised").protect == ("P01",)


def test_relative_data_folder_is_taken_from_the_scenario_file(tmp_path):
    (tmp_path / "my-data").mkdir()
    text = GOOD.replace(f'data = "{VALID_SMALL}"', 'data = "my-data"')
    assert load_scenario_file(write(tmp_path, text)).data.path == tmp_path / "my-data"


def test_unknown_top_level_key_names_key_line_and_suggests(tmp_path):
    text = GOOD.replace("[money]", "[mony]")
    message = error_of(tmp_path, text)
    assert "'mony'" in message and f"line {line_number(text, '[mony]')}" in message
    assert "unknown key" in message and "money" in message


def test_unknown_variant_key_names_the_variant_and_suggests_the_right_key(tmp_path):
    text = GOOD.replace("move_penalty_gbp = 25.0", "move_penalty = 25.0")
    message = error_of(tmp_path, text)
    assert "variants[1].move_penalty" in message
    assert f"line {line_number(text, 'move_penalty = 25.0')}" in message
    assert "did you mean 'move_penalty_gbp'" in message


def test_unknown_key_in_a_variant_suggests_the_switch(tmp_path):
    text = GOOD.replace("weight_travel = 2.0", "weight_travle = 2.0")
    message = error_of(tmp_path, text)
    assert "variants[2].weight_travle" in message and f"line {line_number(text, 'travle =')}" in message
    assert "did you mean 'weight_travel'" in message


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        (
            "max_providers_per_zone = 2",
            'max_providers_per_zone = "two"',
            "variants[2].max_providers_per_zone",
            "whole number",
        ),
        (
            "max_providers_per_zone = 2",
            "max_providers_per_zone = 0",
            "variants[2].max_providers_per_zone",
            "whole number ≥ 1",
        ),
        (
            "staff_cost_per_hour_gbp = 14.0",
            'staff_cost_per_hour_gbp = "14"',
            "money.staff_cost_per_hour_gbp",
            "a number",
        ),
        (
            "max_loss_fraction = 0.5",
            "max_loss_fraction = 1.5",
            "variants[2].max_loss_fraction",
            "from 0 to 1",
        ),
        ('protect = ["P01"]', 'protect = "P01"', "variants[1].protect", "list of provider ids"),
        ('mode = "zoned"', 'mode = "zones"', "variants[2].mode", '"zoned"'),
        ("move_penalty_gbp = 25.0", "move_penalty_gbp = true", "variants[1].move_penalty_gbp", "a number"),
    ],
)
def test_wrong_types_name_key_line_and_what_is_expected(tmp_path, old, new, key, expected):
    text = GOOD.replace(old, new)
    message = error_of(tmp_path, text)
    assert f"key '{key}'" in message
    assert f"line {line_number(text, new)}" in message
    assert expected in message and "Fix:" in message


def test_missing_data_folder_names_the_key_and_how_to_make_one(tmp_path):
    text = GOOD.replace(f'data = "{VALID_SMALL}"', 'data = "no-such-folder"')
    message = error_of(tmp_path, text)
    assert "key 'data'" in message and "no-such-folder" in message
    assert f"line {line_number(text, 'no-such-folder')}" in message
    assert "commissioning generate" in message


def test_missing_data_key(tmp_path):
    text = GOOD.replace(f'data = "{VALID_SMALL}"\n', "")
    assert "key 'data': missing" in error_of(tmp_path, text)


def test_generate_table_is_checked(tmp_path):
    text = GOOD.replace(f'data = "{VALID_SMALL}"', 'data = { generate = { clients = "many", seed = 1 } }')
    message = error_of(tmp_path, text)
    assert "data.generate.clients" in message and "line 2" in message and "whole number" in message
    text = GOOD.replace(f'data = "{VALID_SMALL}"\n', "") + "\n[data]\ngenerate = { clients = 50, seed = 4 }\n"
    source = load_scenario_file(write(tmp_path, text)).data
    assert source.generated and (source.generate_clients, source.generate_seed) == (50, 4)


def test_a_variant_naming_a_provider_that_does_not_exist(tmp_path):
    text = GOOD.replace('protect = ["P01"]', 'protect = ["P01", "P99"]')
    scenario = load_scenario_file(write(tmp_path, text))
    with pytest.raises(ScenarioError) as info:
        check_references(scenario, ["P01", "P02", "P03"], ["oban", "mull", "lorn"])
    message = str(info.value)
    assert "variants[1].protect" in message and "'P99'" in message
    assert f"line {line_number(text, 'P99')}" in message
    assert "P01, P02, P03" in message


def test_mode_specific_keys(tmp_path):
    # zoning needs K; optimised has none; current takes no optimisation keys
    message = error_of(tmp_path, GOOD.replace("max_providers_per_zone = 2\n", ""))
    assert "variants[2]" in message and "max_providers_per_zone" in message
    message = error_of(tmp_path, GOOD.replace("move_penalty_gbp = 25.0", "max_providers_per_zone = 2"))
    assert "variants[1].max_providers_per_zone" in message and 'mode = "zoned"' in message
    text = GOOD.replace('mode = "current"', 'mode = "current"\nmax_moves = 3')
    message = error_of(tmp_path, text)
    assert "variants[0].max_moves" in message and "has no effect" in message
    assert f"line {line_number(text, 'max_moves = 3')}" in message


def test_ranked_zoning_keys(tmp_path):
    # Issue 15: a zoned variant may rank its providers instead of giving K; the ranks set the limit.
    ranked = GOOD.replace("max_providers_per_zone = 2\n", "ranked_shares = [0.60, 0.25, 0.15]\n")
    switches = load_scenario_file(write(tmp_path, ranked)).variant("zoned").switches
    assert switches["ranked_shares"] == (0.60, 0.25, 0.15) and "max_providers_per_zone" not in switches
    for bad in ("[0.25, 0.75]", "[0.6, 0.3]", "[1.0]", '["lead"]'):
        message = error_of(tmp_path, ranked.replace("[0.60, 0.25, 0.15]", bad))
        assert "variants[2].ranked_shares" in message and "largest first, adding up to 1" in message
    message = error_of(tmp_path, ranked.replace("ranked_shares", "max_providers_per_zone = 2\nranked_shares"))
    assert "variants[2].max_providers_per_zone" in message and "the ranks set the zoning limit" in message
    message = error_of(tmp_path, GOOD.replace("move_penalty_gbp = 25.0", "ranked_shares = [0.5, 0.5]"))
    assert "variants[1].ranked_shares" in message and 'mode = "zoned"' in message


def test_duplicate_variant_names_and_missing_mode(tmp_path):
    message = error_of(tmp_path, GOOD.replace('name = "zoned"', 'name = "current"'))
    assert "used twice" in message and "variants[2].name" in message
    message = error_of(tmp_path, GOOD.replace('mode = "optimised"\n', ""))
    assert "variants[1]" in message and "has no mode" in message


def test_bad_toml_syntax_says_where(tmp_path):
    message = error_of(tmp_path, GOOD.replace('name = "test"', "name = test"))
    assert "not valid TOML" in message and "line 1" in message


def test_missing_scenario_file_points_at_the_example(tmp_path):
    with pytest.raises(ScenarioError, match="argyll_bute_default.toml"):
        load_scenario_file(tmp_path / "nope.toml")


def test_parse_scenario_keeps_line_numbers_for_tables_and_variants():
    scenario = parse_scenario(GOOD, base=VALID_SMALL.parent)
    assert scenario.line_of("variants[2].weight_travel") == line_number(GOOD, "weight_travel = 2.0")
    assert scenario.line_of("money.bed_day_cost_gbp") == line_number(GOOD, "bed_day_cost_gbp")
    assert scenario.line_of("variants[1].protect") == line_number(GOOD, "protect")


def test_cli_run_with_a_bad_file_exits_1_names_the_key_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("move_penalty_gbp = 25.0", "move_penalty = 25.0"))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"line \d+: key 'variants\[1\]\.move_penalty'", err)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_cli_run_with_an_unknown_provider_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace('protect = ["P01"]', 'protect = ["P99"]'))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 1
    assert "'P99' does not exist" in capsys.readouterr().err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_variant_names_equal_but_for_case_are_refused(tmp_path):
    """Issue 10: 'Zoned' and 'zoned' were accepted; on Windows and macOS their output folders are one."""
    text = GOOD.replace('name = "zoned"', 'name = "Optimised"')
    message = error_of(tmp_path, text)
    assert "variants[2].name" in message and "used twice" in message and "ignore case" in message


def test_deterministic_is_the_default_and_limits_are_seconds_and_work_units(tmp_path):
    """Issue 10: determinism was opt-in; without deterministic = true identical runs moved different clients.
    time_limit_s is wall-clock seconds, work_limit the deterministic budget (issue 13)."""
    scenario = load_scenario_file(write(tmp_path, GOOD))
    assert all(v.deterministic for v in scenario.variants)
    extra = "move_penalty_gbp = 25.0\ndeterministic = false\nwork_limit = 3"
    text = GOOD.replace("move_penalty_gbp = 25.0", extra)
    optimised = load_scenario_file(write(tmp_path, text)).variant("optimised")
    assert not optimised.deterministic and optimised.work_limit == 3.0
    message = error_of(tmp_path, GOOD.replace("move_penalty_gbp = 25.0", "workers = 100000"))
    assert "variants[1].workers" in message and "from 1 to 64" in message


def test_one_name_per_switch_and_the_old_names_say_what_to_write_now(tmp_path):
    """Issue 11: the scenario file's keys, the command line's flags and the solver's fields are one word
    each; the keys of earlier versions are refused with the new name."""
    from dataclasses import fields

    from commissioning.scenario import switches
    from solver import Switches

    scenario = load_scenario_file(write(tmp_path, GOOD))
    params = scenario.variant("zoned").solver_switches()
    for f in switches.rule_fields():  # every switch read from the file under the solver's own name
        assert hasattr(params, f.name) and f.metadata["doc"]
    assert {f.name for f in switches.rule_fields()} == {f.name for f in fields(Switches)}
    old_keys = (("[variants.sustainability]\nmin_viable = true", "min_viable"),
                ("[variants.weights]\ntravel = 2.0", "weight_travel"),
                ("allow_exit = false", "allow_provider"))
    for old, new in old_keys:
        message = error_of(tmp_path, GOOD + old + "\n")
        assert "renamed" in message and new in message, message


def test_a_switch_value_is_checked_against_its_declaration(tmp_path):
    cases = (("max_loss_fraction = 0.5", "max_loss_fraction = 1.5", "max_loss_fraction"),
             ("weight_travel = 2.0", "weight_travel = 2.0\nmove_penalty_gbp = 1e12", "move_penalty_gbp"),
             ("max_providers_per_zone = 2", "max_providers_per_zone = 0", "max_providers_per_zone"),
             ("weight_travel = 2.0", 'weight_travel = 2.0\nprotect = "P01"', "protect"))
    for old, new, key in cases:
        message = error_of(tmp_path, GOOD.replace(old, new))
        assert f"variants[2].{key}" in message and "expected" in message, message


def test_a_band_window_of_no_hours_is_refused(tmp_path):
    """Regression: window_hours.morning = 0 was taken; every morning visit was then impossible and the failed
    run's fixes (more staff, recruiting) could not help."""
    text = 'data = "."\n[workforce]\nwindow_hours = { morning = 0, bed = 3.0 }\n[[variants]]\nname = "v"\n' \
           'mode = "optimised"\n'
    error = error_of(tmp_path, text)
    assert "workforce.window_hours.morning" in error and "got 0" in error and "above 0" in error


def test_data_naming_a_file_and_too_many_generated_clients_say_so(tmp_path):
    # Regression (a tester): `data = "ok.toml"` (an existing file) read "the data folder ... does not exist";
    # `generate = { clients = 600000 }` failed in the run as "command line, column '--clients'".
    (tmp_path / "ok.toml").write_text("", encoding="utf-8")
    said = error_of(tmp_path, 'data = "ok.toml"\n[[variants]]\nname = "current"\nmode = "current"\n')
    assert "is a file, not a folder" in said and "does not exist" not in said
    said = error_of(tmp_path, '[data]\ngenerate = { clients = 600000 }\n[[variants]]\nname = "current"\n'
                              'mode = "current"\n')
    assert "data.generate.clients" in said and "at most 500,000" in said and "--clients" not in said
