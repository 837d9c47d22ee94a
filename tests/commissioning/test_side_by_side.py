"""Variants solved side by side (issue 12: the demo in at most 60 s). Deterministic variants solve on threads,
one per core, and give the allocations they give one by one; clock-limited variants solve one by one; the
first failure stops the searches beside it. The maps and the workbook are written by forked workers."""

from __future__ import annotations

import errno
import json
import os
import textwrap
from pathlib import Path

import pytest

from commissioning.errors import InfeasibleError
from commissioning.running import run as run_module
from commissioning.running.forked import cores, run_jobs
from commissioning.running.run import run_scenario, side_by_side
from commissioning.scenario.file import parse_scenario
from solver.lp import reset_threads, run_highs

VALID_SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


def _scenario(tmp_path: Path, variants: str):
    from commissioning.synthetic.generate import generate_scenario

    data = tmp_path / "data"
    if not data.exists():
        generate_scenario(data, n_clients=200, seed=3, force=True)
    text = textwrap.dedent(f"""\
        data = "{data}"
        [routing]
        time_limit_s = 0.1
        [[variants]]
        name = "current"
        mode = "current"
    """) + textwrap.dedent(variants)
    return parse_scenario(text, base=tmp_path)


TWO_DETERMINISTIC = """\
    [[variants]]
    name = "optimised"
    mode = "optimised"
    move_penalty_gbp = 50.0
    work_limit = 1.0
    time_limit_s = 60.0
    [[variants]]
    name = "zoned"
    mode = "zoned"
    max_providers_per_zone = 2
    move_penalty_gbp = 50.0
    work_limit = 1.0
    time_limit_s = 60.0
"""


def _scenarios_without_timings(out: Path) -> dict:
    kpis = json.loads((out / "kpis.json").read_text())
    for variant in kpis["scenarios"].values():
        variant["solver"].pop("seconds", None)
        variant.pop("solver_seconds", None)
    return kpis["scenarios"]


@pytest.mark.skipif(cores() < 2, reason="side by side needs two cores")
def test_deterministic_variants_solve_side_by_side_with_the_allocations_of_one_by_one(tmp_path, monkeypatch):
    scenario = _scenario(tmp_path, TWO_DETERMINISTIC)
    together = run_scenario(scenario, tmp_path / "together", quiet=True)
    assert together.timings["variants_side_by_side"] == 2
    (start_a, end_a), (start_b, end_b) = (together.timings[f"solve_s:{v}"] for v in ("optimised", "zoned"))
    assert start_a < end_b and start_b < end_a  # the two solves overlapped
    monkeypatch.setattr(run_module, "side_by_side", lambda variants: 1)
    alone = run_scenario(scenario, tmp_path / "alone", quiet=True)
    assert alone.timings["variants_side_by_side"] == 1
    for name in ["optimised/allocation.csv", "zoned/allocation.csv", "providers.csv", "hubs.csv"]:
        assert (together.out_dir / name).read_bytes() == (alone.out_dir / name).read_bytes(), name
    assert _scenarios_without_timings(together.out_dir) == _scenarios_without_timings(alone.out_dir)
    assert together.warnings == alone.warnings  # in the file's order, whichever solve finished first
    # the workbook and the maps, written by forked workers, are there
    assert (together.out_dir / "workbook.xlsx").stat().st_size > 0
    assert len(list((together.out_dir / "maps").glob("*.html"))) == 8


def test_clock_limited_variants_solve_one_by_one():
    text = textwrap.dedent(f"""\
        data = "{VALID_SMALL}"
        [[variants]]
        name = "a"
        mode = "optimised"
        [[variants]]
        name = "b"
        mode = "optimised"
        deterministic = false
    """)
    variants = parse_scenario(text, base=VALID_SMALL).variants
    assert side_by_side(variants) == 1  # b has the clock: it gets the whole limit and its workers
    assert side_by_side(variants[:1]) == 1
    assert side_by_side([variants[0], variants[0]]) == min(2, cores())


@pytest.mark.skipif(cores() < 2, reason="side by side needs two cores")
def test_a_failing_variant_stops_the_search_beside_it(tmp_path, monkeypatch):
    """Every provider excluded and nobody may go unmet: infeasible at once; the search beside it (a long
    work limit) is told to stop, and the run raises the infeasible variant's error and leaves no folder."""
    scenario = _scenario(tmp_path, """\
        [[variants]]
        name = "long"
        mode = "optimised"
        work_limit = 500.0
        time_limit_s = 600.0
        [[variants]]
        name = "impossible"
        mode = "optimised"
        allow_unmet = false
        exclude = [PROVIDERS]
    """.replace("PROVIDERS", ", ".join(f'"P{k:02d}"' for k in range(1, 16))))
    stops = []
    real = run_module.run_variant

    def spy(variant, *args, **kwargs):
        stops.append((variant.name, kwargs["stop"]))
        return real(variant, *args, **kwargs)

    monkeypatch.setattr(run_module, "run_variant", spy)
    with pytest.raises(InfeasibleError, match="impossible"):
        run_scenario(scenario, tmp_path / "out", quiet=True, routing=False)
    assert not (tmp_path / "out").exists()
    solved = dict(stops)
    assert set(solved) == {"current", "long", "impossible"}
    assert solved["long"].is_set()


def test_highs_scheduler_is_not_reset_under_a_run_in_progress():
    """Two variants side by side may both use HiGHS: a reset (one variant's solve starting) must not pull
    the thread scheduler from under the other's run."""

    class ResetFromAnotherThread:  # stands in for a HiGHS instance: its run is where the other starts
        said = None

        def run(self):
            self.said = reset_threads()

    highs = ResetFromAnotherThread()
    run_highs(highs)
    assert highs.said is False
    assert reset_threads() is True  # none in progress now


def _fails():
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "workbook.xlsx")


def test_forked_jobs_return_in_order_and_raise_their_errors():
    assert run_jobs([lambda k=k: (k, os.getpid()) for k in range(5)], 2)[3][0] == 3
    pids = {pid for _, pid in run_jobs([lambda k=k: (k, os.getpid()) for k in range(4)], 2)}
    assert os.getpid() not in pids or cores() < 2
    with pytest.raises(OSError, match="No space left"):
        run_jobs([lambda: 1, _fails], 2)
