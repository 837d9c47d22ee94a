"""Property-based fuzzing of every command over generated dataset folders and mutations of their files
(issue 10, item 9). The machinery is in ``tests/commissioning/fuzzing/``; ``benchmarks/fuzz.py`` runs the
same cases at random for a set time.

Properties (see ``fuzzing/checks.py``): every command ends with exit 0, 1 or 2 and a message, never a
traceback; every client is in every output exactly once; the independent validator passes on every
solution. Examples are derandomised (the same ones on every run) and each test has its own budget so that
``pytest -n 2`` spreads them. The ``@example`` cases (``*_REGRESSIONS``) are the failures the issue lists and
those the fuzzer found, replayed first on every run so that none comes back.

To list every failing example instead of stopping at the first (no shrinking), set
``CARE_FUZZ_RECORD=FILE``: each failing outcome is appended to FILE and the test goes on.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from tests.commissioning.fuzzing import strategies as fs
from tests.commissioning.fuzzing.cases import Case
from tests.commissioning.fuzzing.execute import Fuzzer, Outcome
from tests.commissioning.fuzzing.mutations import Mutation

# Shrinking re-runs a failing example many times; for commands that take seconds it would take minutes and
# the mutation lists are short already, so only the cheap tests shrink.
CHEAP = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
COSTLY = settings(CHEAP, phases=(Phase.explicit, Phase.generate))


def M(kind: str, target: str, *args) -> Mutation:  # noqa: N802 - reads like the Mutation it builds
    return Mutation(kind, target, tuple(args))


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory) -> Fuzzer:
    return Fuzzer(tmp_path_factory.mktemp("fuzz"))


def check(outcome: Outcome) -> None:
    record = os.environ.get("CARE_FUZZ_RECORD")
    if record and outcome.findings:
        with open(record, "a", encoding="utf-8") as handle:
            handle.write(outcome.report() + "\n\n")
        return
    if not outcome.clean:
        pytest.fail(outcome.report(), pytrace=False)


# ----------------------------------------------------------------------------------------------------
# Regressions: the known failures and the ones fuzzing found, replayed first on every run
# ----------------------------------------------------------------------------------------------------


def regressions(*cases: Case):
    """An ``@example`` per case, so a fixed failure cannot come back unnoticed."""

    def decorate(test):
        for case in reversed(cases):
            test = example(case=case)(test)
        return test

    return decorate


def mutated(command: str, *mutations: Mutation, **fields) -> Case:
    return Case(command, mutations=mutations, **fields)


def scenario(*mutations: Mutation, **fields) -> Case:
    return Case("run", scenario=mutations, **fields)


def toml_set(path: tuple, value: object) -> Mutation:
    return M("toml_set", "scenario", path, value)


VALIDATE_REGRESSIONS = (
    mutated("validate", M("set_cell", "pools", 0, "weekly_hours", "1e308")),  # overflowing hours
    mutated("validate", M("empty_file", "hubs")),  # empty hubs.csv
    mutated("validate", M("write_text", "dataset.json", "[1, 2]")),  # dataset.json not an object
    mutated("validate", M("write_text", "dataset.json", '{"region": "atlantis"}')),  # unknown region
    mutated("validate", M("zone_geometry", "zones.geojson", 0, "nan_vertex")),  # NaN vertices
    mutated("validate", M("write_text", "dataset.json", "<deep-nesting>")),  # RecursionError
    mutated("validate", M("write_text", "zones.geojson", "<deep-nesting>")),  # RecursionError
)
GEOGRAPHY_REGRESSIONS = (
    mutated("validate", M("zone_geometry", "zones.geojson", 0, "world")),  # world-sized zone
    mutated("validate", M("zone_geometry", "zones.geojson", 5, "bowtie")),  # self-intersecting zone
)
RUN_REGRESSIONS = (
    mutated("run", M("set_cell", "providers", 0, "weekly_staff_hours", "1e308")),  # overflowing hours
    mutated("run", M("set_cell", "pools", 0, "weekly_hours", "99999999999")),  # max-flow int64 overflow
    mutated("run", M("set_cell", "clients", 0, "visits_per_week", "99999999999999999999")),
    mutated("run", M("empty_file", "hubs")),  # empty hubs.csv
    mutated("run", M("write_text", "dataset.json", "[1, 2]")),  # dataset.json not an object
    mutated("run", M("write_text", "dataset.json", '{"region": {"name": "argyll-bute"}}')),
    mutated("run", M("write_text", "dataset.json", '{"region": "atlantis"}')),  # unknown region
    mutated("run", M("zone_geometry", "zones.geojson", 20, "bowtie"), base="excel"),  # after repair
    mutated("run", M("set_header", "hubs", 0, " HUB_ID ")),  # header case: maps read inputs/ verbatim
    mutated("run", M("insert_bytes", "providers", 0.0, "\xef\xbb\xbf"), base="excel"),  # .xlsx + 3 bytes
    Case("run", options=("--time-limit", "inf")),  # inf time limit on the CLI
    Case("run", options=("--seed", "2147483648")),  # CP-SAT's int32 seed
    Case("run", options=("--workers", "2147483648")),  # CP-SAT's int32 workers
    Case("run", out="unwritable"),  # --out in an unwritable place
    Case("run", out="long_name"),  # --out longer than the OS allows
)


ALL_PROVIDERS = [f"P{k:02d}" for k in range(1, 16)]
# A name differing from "zoned" in case only: its own folder on Linux, the same folder on Windows or macOS.
CASE_TWIN = {"name": "Zoned", "mode": "zoned", "max_providers_per_zone": 1}
SCENARIO_REGRESSIONS = (
    scenario(toml_set(("variants", 1, "max_providers_per_zone"), 0)),  # K = 0
    scenario(toml_set(("solver", "time_limit_s"), float("inf"))),  # inf time limit
    scenario(toml_set(("solver", "seed"), 2**31)),  # CP-SAT's int32 seed
    scenario(toml_set(("variants", 1, "exclude"), ["P99"])),  # unknown provider
    scenario(toml_set(("data",), {"generate": {"seed": -1, "clients": 3}})),  # negative generator seed
    scenario(M("toml_add_variant", "scenario", CASE_TWIN)),
    scenario(toml_set(("variants", 1, "exclude"), ALL_PROVIDERS), base="excel"),  # no pair left
)
INSTANCE_REGRESSIONS = (
    Case("instance", options=("--max-providers-per-zone", "0"), solve_options=("--json",)),  # K = 0
    Case("instance", solve_options=("--time-limit", "inf", "--json")),  # inf time limit
    Case("instance", solve_options=("--seed", "2147483648", "--json")),  # CP-SAT's int32 seed
    Case("instance", options=("--move-penalty-gbp", "1e308"), solve_options=("--json",)),  # overflow
    Case("instance", base="lean", options=("--no-unmet",), solve_options=("--json",)),  # infeasible
    Case("instance", instance=(M("write_text", "instance.json", "<deep-nesting>"),)),  # RecursionError
    mutated("instance", M("set_cell", "clients", 0, "visits_per_week", "99999999999999999999")),
    Case("instance", out="existing_dir"),  # --out pointing at a folder
    Case("instance", out="unwritable"),
    Case("instance", out="long_name"),
)
P01 = ("--provider", "P01")
MAP_REGRESSIONS = (
    Case("map", options=P01, out="existing_dir"),  # --out pointing at a folder
    Case("map", options=P01, out="unwritable"),
    mutated("map", M("write_text", "kpis.json", "{"), options=P01),  # the run folder is not validated
    mutated("map", M("write_text", "kpis.json", "[]"), options=P01),
    mutated("map", M("zones_document", "inputs/zones.geojson", "no_features"), options=P01),
    mutated("map", M("zone_geometry", "inputs/zones.geojson", 0, "nan_vertex"), options=P01),
    mutated("map", M("reencode", "inputs/hubs.csv", "utf-32"), options=P01),
)
OTHER_REGRESSIONS = (
    Case("generate", options=("--clients", "5"), out="under_file"),  # --out below a file
    Case("travel", options=("--at", "23:59", "Oban", "Tobermory")),  # exit 3: no ferry (lead decides)
)
PROCESS_REGRESSIONS = (  # closed pipe
    mutated("validate", M("header_only", "clients"), process=True, close_stdout=True),
    Case("instance", solve_options=("--json",), process=True, close_stdout=True),
    Case("map", options=P01, process=True, close_stdout=True),
)


# ----------------------------------------------------------------------------------------------------
# validate: cheap, so most of the examples
# ----------------------------------------------------------------------------------------------------


@settings(CHEAP, max_examples=120)
@given(case=fs.validate_cases())
@regressions(*VALIDATE_REGRESSIONS)
def test_validate_answers_every_folder(fuzzer, case):
    check(fuzzer.execute(case))


@settings(CHEAP, max_examples=80)
@given(case=fs.validate_cases(geography=True))
@regressions(*GEOGRAPHY_REGRESSIONS)
def test_validate_answers_every_geography(fuzzer, case):
    check(fuzzer.execute(case))


# ----------------------------------------------------------------------------------------------------
# run and demo: a few seconds each when the data are usable
# ----------------------------------------------------------------------------------------------------


# The two run tests' budgets were cut by a third (36 and 20 examples) to keep CI under 15 minutes: each
# usable example is a whole run with maps and report (about 3 s). The examples are derandomised, so the cut
# ones were the same every run; `benchmarks/fuzz.py --seconds 600` draws new ones for as long as it is given.
@settings(COSTLY, max_examples=24)
@given(case=fs.run_cases())
@regressions(*RUN_REGRESSIONS)
def test_run_allocates_every_client(fuzzer, case):
    check(fuzzer.execute(case))


@settings(COSTLY, max_examples=14)
@given(case=fs.scenario_file_cases())
@regressions(*SCENARIO_REGRESSIONS)
def test_run_answers_every_scenario_file(fuzzer, case):
    check(fuzzer.execute(case))


@settings(COSTLY, max_examples=4)
@given(case=fs.demo_cases())
@regressions(
    Case("demo", options=("--time-limit", "inf")),
    Case("demo", options=("--seed", "-1")),
    Case("demo", options=("--solver-seed", "2147483648")),
)
def test_demo_allocates_every_client(fuzzer, case):
    check(fuzzer.execute(case))


# ----------------------------------------------------------------------------------------------------
# export-instance and solve-instance, map, generate, travel
# ----------------------------------------------------------------------------------------------------


@settings(COSTLY, max_examples=60)
@given(case=fs.instance_cases())
@regressions(*INSTANCE_REGRESSIONS)
def test_instances_export_and_solve(fuzzer, case):
    check(fuzzer.execute(case))


@settings(COSTLY, max_examples=45)
@given(case=fs.map_cases())
@regressions(*MAP_REGRESSIONS)
def test_map_answers_every_output_folder(fuzzer, case):
    check(fuzzer.execute(case))


@settings(COSTLY, max_examples=30)
@given(case=fs.generate_cases() | fs.travel_cases())
@regressions(*OTHER_REGRESSIONS)
def test_generate_and_travel_answer(fuzzer, case):
    check(fuzzer.execute(case))


# ----------------------------------------------------------------------------------------------------
# Real processes: what the user's shell sees, including a reader that goes away (`| head`)
# ----------------------------------------------------------------------------------------------------


@settings(COSTLY, max_examples=8)
@given(case=fs.subprocess_cases())
@regressions(*PROCESS_REGRESSIONS)
def test_commands_in_a_real_process(fuzzer, case):
    check(fuzzer.execute(case))
