"""The properties every fuzzed command must keep, as lists of :class:`Finding` (empty = clean).

* every command: exit 0, 1 or 2; a message with every non-zero exit; never a traceback; no hang;
* ``validate``: exit 0 with "OK:", or exit 1 with an ``ERROR:`` line naming a file; a few hundred lines at
  most;
* ``run`` (exit 0): every input client exactly once in every ``<variant>/allocation.csv`` (assigned with a
  provider, or unmet with a reason); kpis.json counts agree; no violations recorded for optimised variants;
  and the independent validator (``solver.validate_solution``), fed the problem rebuilt from the inputs and
  the allocation read back from the CSV, passes on every optimised variant. A failed run leaves no folder;
* ``export-instance`` / ``solve-instance``: the instance has every client; the assignment has every client
  and the validator passes on it;
* ``map``: exit 0 leaves a non-empty HTML file; ``generate``: exit 0 leaves a folder that validates.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from tests.commissioning.fuzzing.commands import CommandResult
from tests.commissioning.fuzzing.datasets import input_client_ids, read_json

# The exit statuses the issue allows. travel exits 3 on purpose when no journey exists (and solve-instance
# did for "no feasible allocation"): the lead decides whether 3 joins this set or those commands change.
ALLOWED_EXIT_CODES = frozenset({0, 1, 2})
# travel: 3 is its documented answer "no journey at that time" (e.g. after the last ferry), not an error.
TRAVEL_NO_JOURNEY = 3
MAX_VALIDATE_LINES = 300
SCENARIO_FILES = tuple(
    f"{stem}{ext}" for stem in ("clients", "providers", "hubs", "pools") for ext in (".csv", ".xlsx")
) + ("zones.geojson", "dataset.json")
_ERROR_LINE = re.compile(r"^ERROR: (?P<file>[^,:]+)")
PROJECT_PACKAGES = ("commissioning", "solver", "maps", "geodata")
_PATH = re.compile(r"(?:/tmp|/proc|/dev)/\S*")
_NUMBER = re.compile(r"(?<![A-Za-z_0-9])[-+]?\d[\d.]*(e[-+]?\d+)?")


@dataclass(frozen=True)
class Finding:
    kind: str  # traceback | exit_code | no_message | hang | clients_lost | validator | contract
    command: str
    detail: str

    def signature(self) -> str:
        """What makes two findings the same bug: for a traceback, the exception and the innermost project
        frame; otherwise the first line of the detail without its numbers."""
        if self.kind == "traceback":
            return f"{self.command}: {traceback_signature(self.detail)}"
        if self.kind == "hang":
            return f"{self.command}: hang"
        first = self.detail.splitlines()[0] if self.detail else ""
        first = re.sub(_NUMBER, "N", re.sub(_PATH, "<path>", first))
        return f"{self.command}: {self.kind}: {first[:120]}"


# ----------------------------------------------------------------------------------------------------
# Every command
# ----------------------------------------------------------------------------------------------------


def command_findings(result: CommandResult) -> list[Finding]:
    name = result.command
    if result.timed_out:
        return [Finding("hang", name, f"no answer after {result.seconds:.0f} s: {result.shell()}")]
    found = []
    tb = result.traceback or _stderr_traceback(result.stderr)
    if tb:
        found.append(Finding("traceback", name, tail(tb)))
    allowed = ALLOWED_EXIT_CODES | ({TRAVEL_NO_JOURNEY} if name == "travel" else set())
    if result.code is not None and result.code not in allowed:
        said = last_line(result.stdout) if result.stdout.strip() else last_line(result.stderr)
        found.append(Finding("exit_code", name, f"exit {result.code}: {said}"))
    if result.code not in (0, None) and not result.output.strip() and not result.stdout_closed:
        found.append(Finding("no_message", name, f"exit {result.code} with nothing on stdout or stderr"))
    return found


def _stderr_traceback(stderr: str) -> str | None:
    for marker in ("Traceback (most recent call last)", "Exception ignored"):
        if marker in stderr:
            return stderr[stderr.index(marker) :]
    return None


def tail(tb: str) -> str:
    """The innermost frame of our own code (file, line, source) and the exception: enough to find the bug."""
    lines = tb.rstrip().splitlines()
    ours = [k for k, line in enumerate(lines) if _is_project_frame(line)]
    if not ours:
        return "\n".join(lines[-6:])
    frame = lines[ours[-1] : ours[-1] + 2]
    return "\n".join([*(line.strip() for line in frame), *_exception_lines(lines)])


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def _exception_lines(lines: list[str]) -> list[str]:
    """The exception's own lines: from the last "SomethingError: ..." line, at most three."""
    starts = [k for k, line in enumerate(lines) if _EXCEPTION_LINE.match(line)]
    first = starts[-1] if starts else len(lines) - 1
    return [line.strip()[:300] for line in lines[first : first + 3]]


def _is_project_frame(line: str) -> bool:
    return line.lstrip().startswith('File "') and _is_project_file(line)


def _is_project_file(path: str) -> bool:
    """The product's code, not this fuzzer's (tests/commissioning/fuzzing/ is under "commissioning" too)."""
    return "/tests/" not in path and any(f"/{p}/" in path for p in PROJECT_PACKAGES)


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def traceback_signature(tb: str) -> str:
    frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', tb)
    ours = [(f, fn) for f, fn in frames if _is_project_file(f)]
    where = ours[-1] if ours else (frames[-1] if frames else ("?", "?"))
    error = _exception_lines(tb.strip().splitlines())[0].split(":")[0]
    short = "/".join(Path(where[0]).parts[-2:])
    return f"{error} in {short}:{where[1]}"


# ----------------------------------------------------------------------------------------------------
# validate
# ----------------------------------------------------------------------------------------------------


def validate_findings(result: CommandResult) -> list[Finding]:
    if result.code not in (0, 1) or result.stdout_closed:
        return []
    if "--json" in result.argv:
        return _validate_json_findings(result)
    lines = result.stdout.splitlines()
    found = []
    if len(lines) > MAX_VALIDATE_LINES:
        found.append(
            Finding("contract", "validate", f"{len(lines)} lines of output (limit {MAX_VALIDATE_LINES})")
        )
    if result.code == 0 and not (lines and lines[0].startswith("OK:")):
        found.append(Finding("contract", "validate", f"exit 0 without 'OK:': {last_line(result.stdout)}"))
    named = [m.group("file") for m in map(_ERROR_LINE.match, lines) if m]
    if result.code == 1 and not any(_names_a_file(f, result.argv) for f in named):
        found.append(
            Finding(
                "contract",
                "validate",
                f"exit 1 without an ERROR line naming a file: {last_line(result.output)}",
            )
        )
    return found


def _names_a_file(name: str, argv: list[str]) -> bool:
    return name.strip() in SCENARIO_FILES or name.strip() in argv


def _validate_json_findings(result: CommandResult) -> list[Finding]:
    try:
        doc = json.loads(result.stdout)
        errors = [p for p in doc["problems"] if p["severity"] == "error"]
        consistent = doc["ok"] == (result.code == 0) and (result.code == 0 or any(p["file"] for p in errors))
    except (ValueError, KeyError, TypeError) as error:
        return [Finding("contract", "validate", f"--json output is not the documented JSON ({error})")]
    if not consistent:
        return [Finding("contract", "validate", f"--json: ok={doc['ok']} but exit {result.code}")]
    return []


# ----------------------------------------------------------------------------------------------------
# run
# ----------------------------------------------------------------------------------------------------


def left_nothing_findings(out: Path) -> list[Finding]:
    """A failed run leaves no output folder and no staging folder beside it."""
    leftovers = [p.name for p in out.parent.glob(f".{out.name}.*")]
    if out.exists() or leftovers:
        return [
            Finding("contract", "run", f"a failed run left {[out.name] if out.exists() else []}{leftovers}")
        ]
    return []


def run_output_findings(out: Path, scenario_path: Path) -> list[Finding]:
    from commissioning.scenario.file import load_scenario_file

    try:
        kpis = read_json(out / "kpis.json")
        scenario = load_scenario_file(scenario_path)
    except (OSError, ValueError) as error:
        return [Finding("contract", "run", f"exit 0 but kpis.json or scenario file unreadable: {error}")]
    folder = out / "inputs" if scenario.data.generated else scenario.data.path
    expected = input_client_ids(folder)
    if expected is None:
        return [Finding("contract", "run", f"exit 0 but no readable client_id column in {folder.name}")]
    found, allocations = [], {}
    for name in kpis.get("variants", []):
        rows = read_allocation(out / name / "allocation.csv")
        if rows is None:
            found.append(Finding("clients_lost", "run", f"{name}/allocation.csv missing or unreadable"))
            continue
        allocations[name] = rows
        found += allocation_findings(name, rows, expected)
        found += kpi_count_findings(name, kpis, rows)
        found += recorded_violation_findings(name, kpis)
    return found + independent_validator_findings(scenario, folder, allocations)


def read_allocation(path: Path) -> list[dict[str, str]] | None:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def allocation_findings(name: str, rows: list[dict[str, str]], expected: list[str]) -> list[Finding]:
    got = [(r.get("client_id") or "").strip() for r in rows]
    if sorted(got) != sorted(expected):
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        twice = sorted({c for c in got if got.count(c) > 1})[:5]
        return [
            Finding(
                "clients_lost",
                "run",
                f"{name}/allocation.csv has {len(got)} rows for {len(expected)} clients: missing {missing}, "
                f"unknown {extra}, twice {twice}",
            )
        ]
    return [
        Finding("contract", "run", f"{name}/allocation.csv: {why}") for why in map(_row_problem, rows) if why
    ][:3]


def _row_problem(row: dict[str, str]) -> str | None:
    status, provider, reason = row.get("status"), row.get("provider_id") or "", row.get("reason") or ""
    if status == "assigned" and provider.strip():
        return None
    if status == "unmet" and not provider.strip() and reason.strip():
        return None
    return f"client {row.get('client_id')!r}: status {status!r}, provider {provider!r}, reason {reason!r}"


def kpi_count_findings(name: str, kpis: dict, rows: list[dict[str, str]]) -> list[Finding]:
    values = kpis.get("scenarios", {}).get(name, {})
    counts = {
        "clients_total": len(rows),
        "clients_assigned": sum(r.get("status") == "assigned" for r in rows),
        "clients_unmet": sum(r.get("status") == "unmet" for r in rows),
    }
    wrong = {k: (values.get(k), v) for k, v in counts.items() if values.get(k) != v}
    if wrong:
        return [Finding("clients_lost", "run", f"{name}: kpis.json (kpi, allocation.csv) disagree: {wrong}")]
    return []


def recorded_violation_findings(name: str, kpis: dict) -> list[Finding]:
    if kpis.get("scenarios", {}).get(name, {}).get("mode") == "current":
        return []  # today's allocation may break constraints: that is reported, not an error
    recorded = kpis.get("details", {}).get(name, {}).get("violations", [])
    if recorded:
        return [Finding("validator", "run", f"{name}: kpis.json records violations: {recorded[:3]}")]
    return []


def independent_validator_findings(scenario, folder: Path, allocations: dict) -> list[Finding]:
    """Rebuild each optimised variant's problem from the inputs and validate the allocation as written."""
    try:
        checked = _validate_allocations(scenario, folder, allocations)
    except Exception as error:  # the data loaded for the run but not here: worth a look either way
        return [Finding("contract", "run", f"could not rebuild the problem to validate: {error!r}"[:400])]
    return [
        Finding("validator", "run", f"{name}: {len(v)} violation(s): {v[:3]}")
        for name, v in checked.items()
        if v
    ]


def _validate_allocations(scenario, folder: Path, allocations: dict) -> dict[str, list[str]]:
    from commissioning.inputs.folder import load_dataset
    from commissioning.running.problem import build_problem
    from commissioning.running.travel import travel_model_for
    from commissioning.running.variant import apply_variant_pairs
    from solver import validate_solution

    data = load_dataset(folder, check_geography=False)
    travel = travel_model_for(data)
    money = scenario.money
    built, out = {}, {}
    for variant in scenario.variants:
        if variant.mode == "current" or variant.name not in allocations:
            continue
        if variant.pools not in built:
            built[variant.pools] = build_problem(
                data,
                travel,
                pools=variant.pools,
                max_travel_minutes_per_visit=scenario.max_travel_minutes_per_visit,
                money=money,
                workforce=scenario.workforce,
            )
        problem, index, _ = apply_variant_pairs(variant, *built[variant.pools])
        assignment, hubs = _assignment(allocations[variant.name], data, index)
        out[variant.name] = validate_solution(problem, variant.solver_switches(), assignment, hubs)
    return out


def _assignment(rows: list[dict[str, str]], data, index):
    """The provider and the hub of each client, as allocation.csv gives them."""
    import numpy as np

    client = {c.client_id: i for i, c in enumerate(data.clients)}
    provider = {pid: p for p, pid in enumerate(index.provider_ids)}
    hub = {hid: h for h, hid in enumerate(index.hub_ids)}
    assignment = np.full(len(data.clients), -1, dtype=np.int64)
    hubs = np.full(len(data.clients), -1, dtype=np.int64)
    for row in rows:
        pid = (row.get("provider_id") or "").strip()
        if pid:
            i = client[row["client_id"].strip()]
            # An unknown provider id is out of range for the validator, which says so.
            assignment[i] = provider.get(pid, len(provider))
            hubs[i] = hub.get((row.get("hub_id") or "").strip(), -1)
    return assignment, hubs


# ----------------------------------------------------------------------------------------------------
# export-instance, solve-instance, map, generate
# ----------------------------------------------------------------------------------------------------


def instance_findings(path: Path, expected_clients: list[str] | None) -> list[Finding]:
    try:
        doc = read_json(path)
        n = len(doc["clients"]["weekly_hours"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [Finding("contract", "export-instance", f"exit 0 but the instance is not valid JSON: {error}")]
    if expected_clients is not None and n != len(expected_clients):
        said = f"{n} clients in the instance, {len(expected_clients)} in the folder"
        return [Finding("clients_lost", "export-instance", said)]
    return []


def solve_findings(result: CommandResult, instance: Path) -> list[Finding]:
    if result.code != 0 or "--json" not in result.argv:
        return []
    from solver import validate_solution
    from solver.instance import from_json

    try:
        answer = json.loads(result.stdout)
        assignment = answer["assignment"]
        data, scenario = from_json(instance)
    except Exception as error:  # any failure to read the answer back is the finding
        return [
            Finding("contract", "solve-instance", f"exit 0 but the answer cannot be read back: {error!r}")
        ]
    if len(assignment) != data.n_clients:
        return [
            Finding("clients_lost", "solve-instance", f"{len(assignment)} assignments for {data.n_clients}")
        ]
    violations = validate_solution(data, scenario, assignment, answer.get("hubs"), answer.get("recruits"))
    if violations:
        return [Finding("validator", "solve-instance", f"{len(violations)} violation(s): {violations[:3]}")]
    return []


def file_written_findings(command: str, path: Path) -> list[Finding]:
    if not path.is_file() or path.stat().st_size == 0:
        return [Finding("contract", command, f"exit 0 but {path.name} is missing or empty")]
    return []
