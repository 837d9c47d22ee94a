"""Fuzz every command for a set time (the nightly version of tests/commissioning/test_fuzz.py).

    python benchmarks/fuzz.py --seconds 600 [--seed S] [--commands validate,run,...] [--show 10]
    python benchmarks/fuzz.py --replay '<case JSON printed with a failure>'

Draws cases at random from the same Hypothesis strategies as the CI suite (not derandomised; ``--seed``
makes a run repeatable), runs each in a folder of its own and checks the same properties
(``tests/commissioning/fuzzing/checks.py``). Prints, per command: examples tried, exit 0, clean errors
(exit 1 or 2 with a message), tracebacks, other exit statuses, hangs, clients lost, validator failures and
other broken contracts; then each distinct failure once, with how often it was seen and a reproduction
(the mutations in words and a ``--replay`` line). Exit status 1 if there was any traceback, hang, lost
client or validator failure, else 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

from tests.commissioning.fuzzing import strategies as fs  # noqa: E402
from tests.commissioning.fuzzing.cases import Case  # noqa: E402
from tests.commissioning.fuzzing.execute import Fuzzer, Outcome  # noqa: E402

# How often each family of cases is drawn: cheap validate examples most, runs (seconds each) less.
MIX = {
    "validate": (fs.validate_cases(), 3),
    "geography": (fs.validate_cases(geography=True), 2),
    "run": (fs.run_cases(), 2),
    "scenario": (fs.scenario_file_cases(), 1),
    "demo": (fs.demo_cases(), 1),
    "instance": (fs.instance_cases(), 2),
    "map": (fs.map_cases(), 1),
    "generate": (fs.generate_cases(), 1),
    "travel": (fs.travel_cases(), 1),
    "subprocess": (fs.subprocess_cases(), 1),
}
BATCH = 5  # examples per Hypothesis call; the clock is checked before each
COLUMNS = ("tried", "exit 0", "clean err", "traceback", "exit other", "hang", "lost", "validator", "contract")
BLOCKING = ("traceback", "hang", "clients_lost", "validator")  # must be 0


@dataclass
class Tally:
    per_command: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: dict[str, list[Outcome]] = field(default_factory=lambda: defaultdict(list))
    harness_errors: list[str] = field(default_factory=list)
    cases: int = 0

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        for result in outcome.results:
            row = self.per_command[result.command]
            row["tried"] += 1
            mine = [f for f in outcome.findings if f.command == result.command]
            if result.code == 0:
                row["exit 0"] += 1
            elif result.code in (1, 2) and not any(f.kind in ("traceback", "no_message") for f in mine):
                row["clean err"] += 1
        for finding in outcome.findings:
            column = {"exit_code": "exit other", "clients_lost": "lost", "no_message": "contract"}.get(
                finding.kind, finding.kind
            )
            self.per_command[finding.command][column] += 1
            self.failures[finding.signature()].append(outcome)

    def blocking(self) -> int:
        kinds = {"traceback": "traceback", "hang": "hang", "clients_lost": "lost", "validator": "validator"}
        return sum(row[kinds[k]] for row in self.per_command.values() for k in BLOCKING)


def draw_batch(fuzzer: Fuzzer, strategy, tally: Tally, deadline: float, seed: int) -> None:
    """Run up to BATCH cases drawn from ``strategy`` (failures are tallied, never raised: no shrinking)."""

    @hypothesis_seed(seed)
    @settings(
        max_examples=BATCH,
        deadline=None,
        database=None,
        derandomize=False,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def body(case: Case) -> None:
        if time.monotonic() >= deadline:
            return
        try:
            tally.add(fuzzer.execute(case))
        except Exception:  # a bug of the fuzzer itself: keep the night's run going, report it at the end
            tally.harness_errors.append(f"{case.to_json()}\n{traceback.format_exc(limit=-3)}")

    body()


def fuzz(seconds: float, seed: int, families: list[str], root: Path) -> Tally:
    fuzzer = Fuzzer(root)
    tally = Tally()
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    next_report = time.monotonic() + 60
    names = [n for n in families for _ in range(MIX[n][1])]
    while time.monotonic() < deadline:
        family = rng.choice(names)
        draw_batch(fuzzer, MIX[family][0], tally, deadline, rng.randrange(2**32))
        if time.monotonic() > next_report:
            print(
                f"... {tally.cases} cases, {len(tally.failures)} distinct failures",
                file=sys.stderr,
                flush=True,
            )
            next_report += 60
    return tally


def table(tally: Tally) -> str:
    width = 16
    lines = [f"{'command':<{width}}" + "".join(f"{c:>11}" for c in COLUMNS)]
    for command in sorted(tally.per_command):
        row = tally.per_command[command]
        lines.append(f"{command:<{width}}" + "".join(f"{row[c]:>11,d}" for c in COLUMNS))
    total = Counter()
    for row in tally.per_command.values():
        total.update(row)
    lines.append(f"{'all':<{width}}" + "".join(f"{total[c]:>11,d}" for c in COLUMNS))
    return "\n".join(lines)


def failure_report(tally: Tally, show: int) -> str:
    ranked = sorted(tally.failures.items(), key=lambda item: -len(item[1]))
    lines = [f"{len(ranked)} distinct failure(s)"]
    for signature, outcomes in ranked[:show]:
        smallest = min(outcomes, key=lambda o: len(o.case.to_json()))
        lines += ["", f"[{len(outcomes)}x] {signature}", smallest.report()]
    if len(ranked) > show:
        lines.append(f"\n... and {len(ranked) - show} more: --show {len(ranked)}")
    return "\n".join(lines)


def replay(text: str, root: Path) -> int:
    case = Case.from_json(text)
    outcome = Fuzzer(root).execute(case)
    print(outcome.report())
    for result in outcome.results:
        print(f"\n$ {result.shell()}\n--- exit {result.code}; stdout ---\n{result.stdout[-3000:]}")
        print(f"--- stderr ---\n{result.stderr[-3000:]}{result.traceback or ''}")
    return 0 if outcome.clean else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long to fuzz (default 600)")
    parser.add_argument("--seed", type=int, default=None, help="repeatable run (default: a random seed)")
    parser.add_argument(
        "--commands", default=",".join(MIX), help=f"families to draw (default: {','.join(MIX)})"
    )
    parser.add_argument("--show", type=int, default=10, help="distinct failures to print (default 10)")
    parser.add_argument("--replay", metavar="CASE_JSON", help="run one case and print everything it did")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="care-fuzz-") as tmp:
        if args.replay:
            return replay(args.replay, Path(tmp))
        families = [f.strip() for f in args.commands.split(",") if f.strip()]
        unknown = set(families) - set(MIX)
        if unknown:
            parser.error(f"unknown families {sorted(unknown)}; known: {', '.join(MIX)}")
        seed = args.seed if args.seed is not None else random.randrange(2**32)
        t0 = time.monotonic()
        tally = fuzz(args.seconds, seed, families, Path(tmp))
        print(f"fuzzed {tally.cases:,} cases in {time.monotonic() - t0:,.0f} s (seed {seed})\n")
        print(table(tally))
        print()
        print(failure_report(tally, args.show))
        for error in tally.harness_errors[: args.show]:
            print(f"\nfuzzer error (not the product's): {error}")
        blocking = tally.blocking()
        print(f"\n{blocking} traceback(s), hang(s), lost client(s) or validator failure(s) (must be 0)")
        return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
