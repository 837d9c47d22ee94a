"""Run one :class:`Case` in a folder of its own and check it (:meth:`Fuzzer.execute` -> :class:`Outcome`)."""

from __future__ import annotations

import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.commissioning.fuzzing import checks
from tests.commissioning.fuzzing.cases import Case
from tests.commissioning.fuzzing.checks import Finding
from tests.commissioning.fuzzing.commands import CommandResult, call_in_process, call_subprocess
from tests.commissioning.fuzzing.datasets import copy_folder, input_client_ids, make_bases
from tests.commissioning.fuzzing.mutations import apply_all, expand
from tests.commissioning.fuzzing.scenario import write_scenario

SOLVE_DEFAULTS = ("--time-limit", "0.5", "--workers", "1")  # the case's own options come later and win
RUN_OUTPUT_SKIP = ("maps", "report.html", "workbook.xlsx")  # not read by `map`; copying them is slow


@dataclass
class Outcome:
    case: Case
    steps: list[str] = field(default_factory=list)  # what each mutation did, in words
    results: list[CommandResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    def report(self) -> str:
        replay = shlex.quote(self.case.to_json())
        lines = [f"case: {self.case}", f"replay: python benchmarks/fuzz.py --replay {replay}"]
        lines += [f"  step: {s}" for s in self.steps]
        lines += [f"  $ {r.shell()}  -> exit {r.code} in {r.seconds:.1f} s" for r in self.results]
        for f in self.findings:
            lines.append(f"  {f.kind} in {f.command}:")
            lines += [f"    {line}" for line in f.detail.splitlines()]
        return "\n".join(lines)


class BaseRunFailed(Exception):
    """The clean run that `map` cases start from failed: a finding of its own, not a crash of the fuzzer."""


class Fuzzer:
    """Holds the base folders (made once) and runs cases in folders of their own under ``root``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.bases = make_bases(self.root / "bases")
        self._run_output: Path | None = None

    def execute(self, case: Case) -> Outcome:
        work = Path(tempfile.mkdtemp(prefix=f"{case.command}-", dir=self.root))
        outcome = Outcome(case)
        try:
            RUNNERS[case.command](self, case, work, outcome)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return outcome

    def call(self, case: Case, argv: list[str], outcome: Outcome) -> CommandResult:
        argv = [str(expand(a)) for a in argv]
        if case.process:
            result = call_subprocess(argv, close_stdout=case.close_stdout)
        else:
            result = call_in_process(argv)
        outcome.results.append(result)
        outcome.findings += checks.command_findings(result)
        return result

    def data_folder(self, case: Case, work: Path, outcome: Outcome) -> Path:
        folder = copy_folder(self.bases[case.base], work / "data")
        outcome.steps += apply_all(folder, case.mutations)
        return folder

    def run_output(self) -> Path:
        """One clean run of the network base, made on first use; `map` cases start from a copy."""
        if self._run_output is None:
            work = self.root / "base-run"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            copy_folder(self.bases["network"], work / "data")
            write_scenario(work / "scenario.toml", ())
            result = call_in_process(
                ["run", str(work / "scenario.toml"), "--out", str(work / "out"), "--quiet"]
            )
            if result.code != 0:
                raise BaseRunFailed(checks.last_line(result.traceback or result.output))
            self._run_output = work / "out"
        return self._run_output


# ----------------------------------------------------------------------------------------------------
# --out targets
# ----------------------------------------------------------------------------------------------------


def out_path(token: str, work: Path, name: str, data: Path | None = None) -> Path:
    """The path --out gets for ``token`` (see :data:`cases.OUT_TARGETS`), with what it needs made."""
    if token == "existing_dir":
        (work / "existing").mkdir()
        return work / "existing"
    if token == "nonempty_dir":
        (work / "nonempty").mkdir()
        (work / "nonempty" / "keep.txt").write_text("keep")
        return work / "nonempty"
    if token in ("file", "under_file"):
        (work / "a-file.txt").write_text("keep")
        return work / "a-file.txt" if token == "file" else work / "a-file.txt" / name
    if token == "data_dir" and data is not None:
        return data
    if token == "long_name":
        return work / ("x" * 300)
    if token == "unwritable":
        return Path("/proc/care-commissioning-fuzz") / name
    if token == "dev_null":
        return Path("/dev/null")
    return work / name


# ----------------------------------------------------------------------------------------------------
# One runner per command
# ----------------------------------------------------------------------------------------------------


def run_validate(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    folder = fz.data_folder(case, work, outcome)
    result = fz.call(case, ["validate", str(folder), *case.options], outcome)
    outcome.findings += checks.validate_findings(result)


def run_run(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    folder = fz.data_folder(case, work, outcome)
    scenario = work / "scenario.toml"
    outcome.steps += write_scenario(scenario, case.scenario)
    out = out_path(case.out, work, "out", folder)
    result = fz.call(case, ["run", str(scenario), "--out", str(out), *case.options], outcome)
    if result.code == 0:
        outcome.findings += checks.run_output_findings(out, scenario)
    elif case.out == "fresh":
        outcome.findings += checks.left_nothing_findings(out)


def run_instance(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    folder = fz.data_folder(case, work, outcome)
    out = out_path(case.out, work, "instance.json", folder)
    export = fz.call(case, ["export-instance", str(folder), "--out", str(out), *case.options], outcome)
    if export.code != 0 or case.out != "fresh":
        return
    outcome.findings += checks.instance_findings(out, input_client_ids(folder))
    outcome.steps += apply_all(work, case.instance)
    argv = ["solve-instance", str(out), *SOLVE_DEFAULTS, *_in_work(case.solve_options, work)]
    solve = fz.call(case, argv, outcome)
    outcome.findings += checks.solve_findings(solve, out)


def _in_work(options: tuple[str, ...], work: Path) -> list[str]:
    """Relative file names in options (e.g. --export-model model.pb) are put in the example's folder."""
    return [str(work / o) if o.endswith((".pb", ".pbtxt", ".txt")) and "/" not in o else o for o in options]


def run_map(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    try:
        folder = copy_folder(fz.run_output(), work / "run", skip=RUN_OUTPUT_SKIP)
    except BaseRunFailed as error:
        outcome.findings.append(Finding("contract", "run", f"the unmutated base run failed: {error}"))
        return
    outcome.steps += apply_all(folder, case.mutations)
    html = out_path(case.out, work, "provider.html", folder)
    result = fz.call(case, ["map", str(folder), *case.options, "--out", str(html)], outcome)
    if result.code == 0 and case.out == "fresh":
        outcome.findings += checks.file_written_findings("map", html)


def run_demo(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    """The embedded default scenario on a small generated region (the case's options come later and win)."""
    out = out_path(case.out, work, "demo")
    argv = ["demo", "--out", str(out), "--clients", "30", "--no-routing", "--quiet", *case.options]
    result = fz.call(case, argv, outcome)
    if result.code == 0:
        outcome.findings += checks.run_output_findings(out, out / "scenario.toml")
    elif case.out == "fresh":
        outcome.findings += checks.left_nothing_findings(out)


def run_generate(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    out = out_path(case.out, work, "generated")
    result = fz.call(case, ["generate", "--out", str(out), *case.options], outcome)
    if result.code == 0 and case.out == "fresh":
        check = call_in_process(["validate", str(out)])
        if check.code != 0:
            outcome.findings.append(
                Finding(
                    "contract", "generate", f"its folder does not validate: {checks.last_line(check.output)}"
                )
            )


def run_travel(fz: Fuzzer, case: Case, work: Path, outcome: Outcome) -> None:
    fz.call(case, ["travel", *case.options], outcome)


RUNNERS = {
    "validate": run_validate,
    "run": run_run,
    "demo": run_demo,
    "instance": run_instance,
    "map": run_map,
    "generate": run_generate,
    "travel": run_travel,
}
