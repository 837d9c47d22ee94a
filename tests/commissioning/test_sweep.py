"""``commissioning sweep``: the plan (values, draws, scenario texts) and the bad sweeps' one-line errors.

The runs themselves, on a real Dask cluster, are in ``test_sweep_cluster.py``.
"""

from __future__ import annotations

import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from commissioning.cli import main
from commissioning.sweep.plan import (
    SweepError,
    build_plan,
    combinations,
    parse_vary,
    vary_column,
    with_values,
)

SCENARIO = textwrap.dedent("""\
    name = "sweep test"
    [data]
    generate = { clients = 60, seed = 1 }
    [solver]
    workers = 1
    [[variants]]
    name = "current"
    mode = "current"
    [[variants]]
    name = "zoned"
    mode = "zoned"
    max_providers_per_zone = 2 # K
    move_penalty_gbp = 50.0
    [[variants]]
    name = "free"
    mode = "optimised"
    pools = true
""")


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_values_are_toml_scalars_and_lists_keep_their_commas():
    vary = parse_vary('exclude=[],["P01", "P02"],1,2.5,true,"x",word')
    assert vary.values == ([], ["P01", "P02"], 1, 2.5, True, "x", "word")
    ranged = parse_vary("staff_loss=0.0..0.2")
    assert (ranged.low, ranged.high, ranged.drawn) == (0.0, 0.2, True)


def test_a_value_is_written_into_the_chosen_variants_only_and_replaces_the_files_own():
    text = with_values(SCENARIO, [1], {"max_providers_per_zone": 3, "pools": False})
    doc = tomllib.loads(text)
    assert doc["variants"][1]["max_providers_per_zone"] == 3
    assert doc["variants"][1]["pools"] is False
    assert doc["variants"][1]["move_penalty_gbp"] == 50.0
    assert doc["variants"][2] == {"name": "free", "mode": "optimised", "pools": True}
    assert "# K" not in text  # the file's own line for the key is replaced, not left as a duplicate


def test_draws_are_deterministic_within_the_range_and_shared_by_every_combination():
    varies = [parse_vary("pools=true,false"), parse_vary("staff_loss=0.0..0.2"), parse_vary("extra=1..3")]
    first = combinations(varies, 5, seed=7)
    assert first == combinations(varies, 5, seed=7)
    assert first != combinations(varies, 5, seed=8)
    assert len(first) == 10
    assert all(0.0 <= c.values["staff_loss"] <= 0.2 for c in first)
    assert all(isinstance(c.values["extra"], int) and 1 <= c.values["extra"] <= 3 for c in first)
    by_draw = {}
    for c in first:
        by_draw.setdefault(c.draw, set()).add(c.values["staff_loss"])
    assert all(len(v) == 1 for v in by_draw.values())  # common random numbers across combinations
    assert list(first[0].values) == ["pools", "staff_loss", "extra"]


def test_every_combination_is_a_checked_scenario_text(scenario):
    plan = build_plan(scenario, ["max_providers_per_zone=1,2,3", "move_penalty_gbp=0,50"],
                      variants=["zoned"])
    assert len(plan.runs) == 6 and plan.variants == ("zoned",)
    assert [r.combination.values for r in plan.runs][:2] == [
        {"max_providers_per_zone": 1, "move_penalty_gbp": 0},
        {"max_providers_per_zone": 1, "move_penalty_gbp": 50},
    ]
    default = build_plan(scenario, ["pools=true,false"])
    assert default.variants == ("zoned", "free")  # every variant whose mode is not "current"


def _one_line_error(capsys, argv: list[str]) -> str:
    status = main(argv)
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("error: ")
    return err


@pytest.mark.parametrize(
    ("vary", "extra", "words"),
    [
        (["max_provders_per_zone=1,2"], ["--variant", "zoned"],
         ["unknown key", "max_provders_per_zone", "did you mean 'max_providers_per_zone'"]),
        (["pools=maybe"], [], ["variants[1].pools", "'maybe'", "true or false"]),
        (["max_providers_per_zone=1,2"], [], ["optimised", "--variant"]),
        ([], [], ["nothing to vary", "--vary"]),
        (["staff_loss=0.0..0.2"], [], ["--draws"]),
        (["staff_loss=0.0..0.2"], ["--draws", "0"], ["zero draws"]),
        (["pools=true"], ["--draws", "3"], ["no range"]),
        (["pools"], [], ["KEY=V1,V2"]),
        (["pools=true"], ["--variant", "nope"], ["no such variant", "current, zoned, free"]),
    ],
)
def test_a_bad_sweep_ends_with_one_clear_line(capsys, scenario, tmp_path, vary, extra, words):
    argv = ["sweep", str(scenario), *(a for v in vary for a in ("--vary", v)), *extra,
            "--out", str(tmp_path / "out")]
    err = _one_line_error(capsys, argv)
    for word in words:
        assert word in err, err
    assert not (tmp_path / "out").exists()  # nothing started


def test_an_unreachable_scheduler_is_one_line_after_a_short_wait(capsys, scenario, tmp_path):
    t0 = time.perf_counter()
    err = _one_line_error(capsys, ["sweep", str(scenario), "--vary", "pools=true,false",
                                   "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "out")])
    assert time.perf_counter() - t0 < 30
    assert "--scheduler tcp://127.0.0.1:9" in err and "dask scheduler" in err


def test_a_value_that_is_not_toml_is_one_line(scenario):
    with pytest.raises(SweepError, match="not valid TOML"):
        build_plan(scenario, ['exclude=["P01"'])


def test_the_page_shows_each_group_and_failure_by_its_values_escaped(scenario):
    from commissioning.sweep.page import page_html

    plan = build_plan(scenario, ["pools=true,false", "move_penalty_gbp=0.0..100.0"], variants=["zoned"],
                      draws=3, seed=1)
    rows = []
    for k, run in enumerate(plan.runs):
        varied = {vary_column(key): value for key, value in run.combination.values.items()}
        row = {"run": f"r{k}", "draw": run.combination.draw, **varied, "variant": "zoned",
               "status": "ok", "error": "", "solver_status": "OPTIMAL", "solver_gap": 0.0,
               "cost_per_week_gbp": 1000.0 + k, "unmet_hours_per_week": 10.0 - k,
               "travel_hours_per_week": 50.0 + k, "clients_moved": 3.0}
        if k == 5:
            row.update(status="error", error="provider '<script>x</script>' does not exist",
                       cost_per_week_gbp=None)
        rows.append(row)
    html = page_html(plan, rows, "a <b>title</b>")
    assert "built-in method" not in html  # a regression: Jinja read row.values as dict.values
    assert "<td>pools=True</td>" in html and "<td>pools=False</td>" in html  # the P10/P50/P90 groups
    assert "pools=False, move_penalty_gbp=" in html and "draw 2" in html  # the failed run, by its values
    assert "&lt;script&gt;" in html and "<script>" not in html and "a &lt;b&gt;title" in html
    assert html.count("<svg") == 1 + 1 + 3  # cost against unmet, travel against the ranged key, 3 bands


def test_the_progress_line_is_redrawn_on_a_terminal_and_plain_lines_off_one():
    import io

    from commissioning.sweep.engine import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, tty in ((io.StringIO(), False), (Terminal(), True)):
        progress = Progress(stream, total=4, done=1)  # one run from an earlier sweep
        progress.advance(failed=False)
        progress.advance(failed=True)
        progress.close()
        text = stream.getvalue()
        assert "sweep: 3/4 runs done, 1 failed, about" in text and "left" in text
        assert ("\r" in text and "\x1b[K" in text) == tty
        assert text.count("\n") == (1 if tty else 2)


def test_what_if_keys_sweep_like_any_other_key(scenario):
    """A drawn staff loss and a listed demand change become checked variants with their what-if (issue 14's
    "draws of the uncertain ones"); an out-of-range draw range is the parser's one-line error."""
    plan = build_plan(scenario, ["staff_loss=0.0..0.2", "demand_change=0,0.1"], variants=["zoned"], draws=3,
                      seed=1)
    assert len(plan.runs) == 6
    assert all(0.0 <= r.combination.values["staff_loss"] <= 0.2 for r in plan.runs)
    with pytest.raises(SweepError, match="staff_loss"):
        build_plan(scenario, ["staff_loss=1.5,2"], variants=["zoned"])
