"""An infeasible variant says why in commissioner words (issue 13, part 6): the binding limit, its numbers,
the providers or zones concerned, and fixes that are not already in force."""

import shutil
import textwrap
from pathlib import Path

from commissioning.cli import main
from tests.commissioning.helpers import read_rows, set_cell

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


def _scenario(tmp_path: Path, *, allow_unmet: bool, mode: str = "optimised", extra: str = "") -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(
        textwrap.dedent(f"""\
        data = "data"
        [routing]
        enabled = false
        [[variants]]
        name = "plan"
        mode = "{mode}"
        allow_unmet = {str(allow_unmet).lower()}
        time_limit_s = 2.0
        """) + extra,
        encoding="utf-8",
    )
    return path


def _run(tmp_path: Path, scenario: Path, capsys) -> tuple[str, str]:
    """The error's 'why' and 'fix' parts; the run fails with status 1 and writes no folder."""
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not out.exists()
    assert "has no feasible allocation" in err and "Why:" in err and "Fix" in err, err
    why, _, fix = err.partition("Fix")
    return why, fix


def test_pinned_clients_beyond_their_providers_hours_name_it_and_do_not_suggest_allow_unmet(tmp_path, capsys):
    data = shutil.copytree(VALID_SMALL, tmp_path / "data")
    # P02 (providers.csv row 3) keeps 5 staff h/week; C006, pinned to it, needs 21 h x 2 carers.
    set_cell(data, "providers.csv", 3, "weekly_staff_hours", "5")
    why, fix = _run(tmp_path, _scenario(tmp_path, allow_unmet=True), capsys)
    assert "P02 must keep 1 client pinned to it by their own choice" in why, why
    assert "at least 42 staff h/week" in why and "it has 5 h" in why, why
    assert "more staff hours for P02" in fix, fix
    # Unmet need is already allowed: the fix must not ask for it (the old message said only that, or
    # "check the data").
    assert "allow_unmet" not in fix, fix
    assert "check the data" not in fix, fix


def test_too_little_staff_names_the_region_and_zones_and_suggests_allow_unmet(tmp_path, capsys):
    data = shutil.copytree(VALID_SMALL, tmp_path / "data")
    for row in range(2, len(read_rows(data / "providers.csv")) + 1):
        set_cell(data, "providers.csv", row, "weekly_staff_hours", "3")
        set_cell(data, "providers.csv", row, "min_viable_hours", "")
    why, fix = _run(tmp_path, _scenario(tmp_path, allow_unmet=False), capsys)
    assert "The region needs at least 129 staff h/week but providers and pools have 49 h" in why, why
    assert "Zone 'oban' needs 58 staff h/week" in why, why
    assert "allow_unmet = true" in fix and "£1,000 per care hour" in fix, fix
    assert "more staff hours for P01, P02" in fix, fix


def test_a_limit_already_at_its_loosest_is_not_suggested(tmp_path, capsys):
    """With pools already on and recruitment not the binding limit, neither is suggested."""
    data = shutil.copytree(VALID_SMALL, tmp_path / "data")
    set_cell(data, "providers.csv", 3, "weekly_staff_hours", "5")
    why, fix = _run(tmp_path, _scenario(tmp_path, allow_unmet=True, extra="pools = true\n"), capsys)
    assert "pools = true" not in fix and "recruit = true" not in fix, fix


def test_zoning_beyond_what_skills_allow_names_the_patch_and_the_providers_it_needs(tmp_path, capsys):
    """valid_small's 'oban' has two clients who did not choose their provider: C003 needs dementia care and
    moving and handling (P03 only) and C001 stays with P01 (protected): K = 1 cannot hold."""
    shutil.copytree(VALID_SMALL, tmp_path / "data")
    extra = 'max_providers_per_zone = 1\nprotect = ["P01"]\n'
    why, fix = _run(tmp_path, _scenario(tmp_path, allow_unmet=False, mode="zoned", extra=extra), capsys)
    assert "Zone 'oban': no 1 provider can serve all 2 of its clients who did not choose" in why, why
    assert "at least 2 are needed, above max_providers_per_zone = 1" in why, why
    assert "protected providers' clients staying" in why, why
    assert "a larger max_providers_per_zone (now 1)" in fix and "allow_unmet = true" in fix, fix
    assert "fewer protected providers (protect now: P01)" in fix, fix


def test_a_search_that_found_nothing_in_time_does_not_claim_infeasibility():
    from types import SimpleNamespace

    from commissioning.running.run import infeasible_words

    variant = SimpleNamespace(name="zoned", mode="zoned")
    lines = ["Zone 'oban' needs 58 staff h/week", "Fix: a larger max_providers_per_zone (now 1)"]
    proven = infeasible_words(variant, lines, "INFEASIBLE")
    assert "no allocation keeps every rule" in proven and "\n  - a larger max_providers_per_zone" in proven
    unknown = infeasible_words(variant, lines, "UNKNOWN")
    assert "no allocation keeps every rule" not in unknown
    assert "none was found within its time limit (status UNKNOWN)" in unknown

