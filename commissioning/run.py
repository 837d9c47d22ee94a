"""Run a scenario file: load the data once, solve (or evaluate) every variant, write the output folder.

Modes:

* ``current`` evaluates today's allocation, it does not optimise. Clients with a current provider stay
  with it; the independent validator (:func:`solver.validate_solution`) checks capacity, pools and
  provider limits, and anything today's allocation breaks is reported (``constraint_violations`` KPI and
  warnings), never raised. New packages with no current provider are handled by the variant's
  ``waiting`` key:

  - ``"greedy"`` (the default): spot purchase as it happens today. Largest package first, each goes to
    the eligible provider with the lowest weekly cost (care + travel) that still has own staff hours
    (and room under its maximum weekly hours); packages that fit nowhere stay unmet, "waiting for a
    provider". This is a fair business-as-usual baseline: the optimiser is not credited for placing
    packages that brokerage would have placed anyway.
  - ``"unmet"``: today's snapshot: every waiting package is unmet, "waiting for a provider".

  A client whose current provider cannot reach it in every time band under the travel model (e.g. a bed
  visit on an island after the last ferry) cannot be priced. It is reported unmet with the travel
  model's reason in every variant, so variants compare like with like, and a warning says how many.
* ``optimised``: free optimisation, no zoning; pools per the variant.
* ``zoned``: at most K providers per zone (``max_providers_per_zone``); clients pinned to the provider
  they chose (self-directed support option 2) are exempt, as in the solver.

``protect`` (providers whose clients must not move) keeps only the current pair of those clients;
``exclude`` (providers that take no clients) drops every pair of those providers, except a pinned
client's own choice (a warning says so).

Routed travel: when :mod:`commissioning.routing` is installed, each variant's allocation is routed
(``routed_travel_hours_per_week(allocation, data, travel, time_limit_s=...)``: per provider, OR-Tools
routing of a typical day per time band on the ferry-aware travel matrix) and the KPIs carry
``travel_hours_per_week_routed``; otherwise that KPI is empty and a warning says why. Maps
(:func:`maps.write_run_maps`) and the report (:func:`commissioning.report.write_report`) are called the
same way, on the staged folder, before it is renamed into place (see :mod:`commissioning.outputs`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from commissioning.errors import ScenarioError
from commissioning.scenario import ScenarioFile, Variant, check_provider_references

WAITING_REASON = "waiting for a provider (new package, not yet placed)"


@dataclass
class VariantOutcome:
    """One variant's allocation and how it was found. Hours per week, money in GBP per week."""

    variant: Variant
    problem: Any  # solver.ProblemData (after protect/exclude)
    index: Any  # commissioning.problem.ProblemIndex
    assignment: np.ndarray  # provider index per client, -1 unmet
    unmet_reason: list[str]
    pair_of_client: np.ndarray  # pair index per client, -1 unmet
    provider_pool_hours: np.ndarray
    solver: dict[str, Any]
    violations: list[str]
    allocation: pd.DataFrame | None = None
    routed_travel_hours: dict[str, float] | None = None
    routing: Any = None  # commissioning.routing.RoutedTravel, when routed
    notes: list[str] = field(default_factory=list)

    def per_client(self, pair_values: np.ndarray, unmet) -> np.ndarray:
        """Each client's value of its pair (``pair_values`` aligned with the problem's pairs); ``unmet`` for
        an unmet client, also when no pair is left at all (every provider excluded)."""
        values = np.asarray(pair_values)
        assigned = self.assignment >= 0
        out = np.full(len(self.assignment), unmet, dtype=values.dtype if len(values) else type(unmet))
        out[assigned] = values[self.pair_of_client[assigned]]
        return out


@dataclass
class RunResult:
    scenario: ScenarioFile
    data: Any  # ScenarioData
    out_dir: Path
    outcomes: dict[str, VariantOutcome]
    kpis: dict[str, Any]
    files: list[Path]
    warnings: list[str]
    seconds: float
    timings: dict[str, float]


# ----------------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------------


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


class _Interrupt:
    """Ctrl-C (SIGINT) or SIGTERM during a run: stop the search in progress at once, then stop the run and
    leave no output folder (the staged folder is removed on the way out).

    CP-SAT is told not to catch SIGINT (it would stop the search and the run would carry on as if the
    answer were complete). Python runs signal handlers only between bytecodes, which a search in C++ does
    not reach, so the handler's C half also writes to a wake-up pipe that a thread watches: it sets
    :attr:`stop`, which the solver polls (``SolveParams.stop``). The Python handler then raises the flag
    checked between steps. A second signal stops at once. OR-Tools resets the OS-level SIGINT handler after
    a solve, so the handlers are re-armed at each check.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stream: TextIO):
        self.requested: int | None = None
        self.stop = threading.Event()
        self._stream = stream
        self._active = threading.current_thread() is threading.main_thread()
        self._previous = {s: signal.getsignal(s) for s in self.SIGNALS} if self._active else {}
        self._pipe: tuple[int, int] | None = None
        self._watcher: threading.Thread | None = None
        self._closing = False
        self._old_wakeup = -1

    def _handle(self, signum, frame) -> None:
        self.stop.set()
        if self.requested is not None:
            raise RunInterrupted(signum)
        self.requested = signum
        print(
            f"\n{signal.Signals(signum).name}: stopping now (again to stop at once); "
            "no output folder will be written",
            file=self._stream,
        )

    def _watch(self, read_fd: int) -> None:
        while os.read(read_fd, 1) and not self._closing:
            self.stop.set()

    def arm(self) -> None:
        if not self._active:
            return
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)
        if self._pipe is None:
            read_fd, write_fd = os.pipe()
            os.set_blocking(write_fd, False)
            self._pipe = (read_fd, write_fd)
            self._old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
            self._watcher = threading.Thread(target=self._watch, args=(read_fd,), name="signal-watch",
                                             daemon=True)
            self._watcher.start()

    def check(self) -> None:
        self.arm()
        if self.requested is not None:
            raise RunInterrupted(self.requested)

    def restore(self) -> None:
        if not self._active:
            return
        for signum, previous in self._previous.items():
            if previous is not None:
                signal.signal(signum, previous)
        if self._pipe is not None:
            signal.set_wakeup_fd(self._old_wakeup)
            self._closing = True
            os.write(self._pipe[1], b"\0")  # wake the watcher so it ends before its pipe is closed
            self._watcher.join()
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None


def run_scenario(
    scenario: ScenarioFile,
    out_dir: str | Path,
    *,
    time_limit_s: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    force: bool = False,
    quiet: bool = False,
    stream: TextIO | None = None,
    routing: bool | None = None,
    work_limit: float | None = None,
) -> RunResult:
    """Solve every variant of ``scenario``; write ``out_dir`` atomically (see :mod:`commissioning.outputs`).

    ``time_limit_s`` (seconds), ``work_limit`` (deterministic work units), ``workers`` and ``seed`` override
    every variant's own values (command-line options).
    """
    from commissioning import outputs

    t0 = time.perf_counter()
    stream = stream if stream is not None else sys.stderr
    timings: dict[str, float] = {}
    overrides = {
        k: v
        for k, v in (("time_limit_s", time_limit_s), ("work_limit", work_limit), ("workers", workers),
                     ("seed", seed))
        if v is not None
    }
    if overrides:
        scenario = dataclasses.replace(
            scenario, variants=tuple(dataclasses.replace(v, **overrides) for v in scenario.variants)
        )
    out_dir = Path(out_dir)
    _refuse_to_overwrite_inputs(scenario, out_dir, force)
    interrupt = _Interrupt(stream)
    interrupt.arm()
    try:
        return _run_staged(scenario, out_dir, outputs, t0, stream, timings, force, quiet, routing, interrupt)
    finally:
        interrupt.restore()


def _refuse_to_overwrite_inputs(scenario: ScenarioFile, out_dir: Path, force: bool) -> None:
    """--force replaces --out: never when that would delete the scenario file or its data folder."""
    out = out_dir.resolve()
    protected = [Path(scenario.path).resolve()] if scenario.path else []
    if scenario.data.path is not None:
        protected.append(Path(scenario.data.path).resolve())
    for path in protected:
        if path == out or out in path.parents:
            raise ScenarioError(
                f"--out {out_dir} {'is' if path == out else 'contains'} {path}, which the run reads"
                f"{' and --force would delete' if force else ''}. Fix: choose another output folder."
            )


def _run_staged(scenario, out_dir, outputs, t0, stream, timings, force, quiet, routing, interrupt):
    with outputs.staged_folder(out_dir, force=force) as stage:
        inputs = stage / "inputs"
        source_dir, said = _prepare_data(scenario, inputs)
        _say(stream, quiet, f"data: {said}")
        timings["data_s"] = time.perf_counter() - t0
        data, travel = _load(source_dir)
        check_provider_references(scenario, [p.provider_id for p in data.providers])
        warnings = [str(w) for w in data.warnings]
        if source_dir != inputs:
            warnings += write_inputs(source_dir, inputs, data)
        timings["load_s"] = time.perf_counter() - t0 - timings["data_s"]
        base = _build_problems(scenario, data, travel)
        km = {"hub": client_provider_km(data, travel), "pool": pool_km(data, travel)}
        timings["build_s"] = time.perf_counter() - t0 - timings["data_s"] - timings["load_s"]
        outcomes: dict[str, VariantOutcome] = {}
        use_routing = scenario.routing.enabled if routing is None else routing
        router = Router(data, travel, scenario, use_routing)
        try:
            # Evaluate current variants first: their routing overlaps the solves of the others.
            order = sorted(scenario.variants, key=lambda v: v.mode != "current")
            for variant in order:
                problem, index = base[variant.pools]
                outcome = run_variant(variant, problem, index, data, quiet=quiet, stream=stream,
                                      stop=interrupt.stop)
                interrupt.check()
                outcome.allocation = allocation_frame(outcome, data)
                outcomes[variant.name] = outcome
                if variant.mode == "current":
                    router.submit(variant.name, outcome.allocation)
            outcomes = {v.name: outcomes[v.name] for v in scenario.variants}
            t_route = time.perf_counter()
            for name, outcome in outcomes.items():
                if outcome.variant.mode != "current":
                    router.submit(name, outcome.allocation)
            warnings += router.collect(outcomes)
            interrupt.check()
        finally:
            router.close()
        timings["routing_after_solves_s"] = time.perf_counter() - t_route
        warnings += _unreachable_current_warning(data, base[True][1])
        from commissioning.kpis import build_kpis

        warnings += outputs.missing_extras()
        kpis = build_kpis(
            scenario,
            data,
            outcomes,
            km,
            warnings=warnings,
            travel_approximate=base[True][1].travel_approximate,
        )
        files = outputs.write_outputs(stage, scenario, data, outcomes, kpis, km)
        t_extra = time.perf_counter()
        files += outputs.write_maps_and_report(stage, kpis)
        timings["maps_report_s"] = time.perf_counter() - t_extra
        interrupt.check()  # last chance: an interrupt while writing still leaves no folder
    seconds = time.perf_counter() - t0
    files = [out_dir / f.relative_to(stage) for f in files]
    return RunResult(scenario, data, out_dir, outcomes, kpis, files, kpis["warnings"], seconds, timings)


def _say(stream: TextIO, quiet: bool, text: str) -> None:
    if not quiet:
        print(text, file=stream, flush=True)


# ----------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------


def _prepare_data(scenario: ScenarioFile, inputs: Path) -> tuple[Path, str]:
    """``(folder to load, description)``: generated straight into ``inputs``, or the user's folder."""
    source = scenario.data
    if source.generated:
        from commissioning.generate import generate_scenario

        generate_scenario(inputs, n_clients=source.generate_clients, seed=source.generate_seed)
        return (
            inputs,
            f"generated Argyll and Bute, {source.generate_clients} clients, seed {source.generate_seed}",
        )
    if not source.path.is_dir():
        line = scenario.line_of("data")
        raise ScenarioError(
            f"{scenario.path}, line {line}: key 'data': the data folder {str(source.path)!r} "
            "does not exist. Fix: give the scenario folder relative to the scenario file."
        )
    return source.path, str(source.path)


HOURS_PER_CARER_ESTIMATE = 24.0  # for default hubs only: carers ≈ staff hours ÷ 24 (generator's figure)


def write_inputs(source: Path, inputs: Path, data) -> list[str]:
    """Write the validated scenario folder into ``inputs`` as the run read it: every table as CSV (``.xlsx``
    converted, columns as the schema names them), zones with their repaired polygons, always a hubs.csv
    (default hubs at the providers' bases when the user gave none) and a pools.csv. Returns warnings.

    Tables are written through :func:`commissioning.outputs.write_csv`: a cell that a spreadsheet would run
    as a formula gets a leading apostrophe, which the scenario reader takes off again."""
    from commissioning.outputs import write_csv
    from commissioning.schema import CSV_TABLES
    from commissioning.tables import read_table

    inputs.mkdir(parents=True)
    warnings = []
    for stem in CSV_TABLES:
        frame, _ = read_table(source, stem, problems=[])
        if stem == "hubs" and not data.hubs:
            write_csv(_default_hubs(data), inputs / "hubs.csv")
            warnings.append(
                "no hubs.csv given: inputs/hubs.csv has one hub per provider at its base, carers "
                f"estimated as staff hours ÷ {HOURS_PER_CARER_ESTIMATE:g}"
            )
        elif frame is not None:
            write_csv(frame, inputs / f"{stem}.csv")
        elif stem == "pools":
            empty = pd.DataFrame(columns=["pool_id", "zones", "weekly_hours", "members"])
            write_csv(empty, inputs / "pools.csv")
    _write_zones(data, inputs / "zones.geojson")
    (inputs / "dataset.json").write_text(
        json.dumps({**data.dataset, "region": data.region, "travel_model": data.travel_model}, indent=2,
                   sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return warnings


def _default_hubs(data) -> pd.DataFrame:
    rows = [h for p in data.providers for h in data.hubs_for(p.provider_id)]
    staff = {p.provider_id: p.weekly_staff_hours for p in data.providers}
    return pd.DataFrame(
        {
            "hub_id": [h.hub_id for h in rows],
            "provider_id": [h.provider_id for h in rows],
            "lon": [h.lon for h in rows],
            "lat": [h.lat for h in rows],
            "carers": [
                h.carers if h.carers is not None else round(staff[h.provider_id] / HOURS_PER_CARER_ESTIMATE)
                for h in rows
            ],
        }
    )


def _write_zones(data, path: Path) -> None:
    """The zones as the run used them (repaired polygons, WGS84), so maps never meet a broken polygon."""
    import geopandas as gpd

    zones = data.zones
    frame = gpd.GeoDataFrame(
        {
            "zone_id": [z.zone_id for z in zones],
            "name": [z.name for z in zones],
            "locality": [z.locality or "" for z in zones],
            "remote": ["yes" if z.remote else "no" for z in zones],
        },
        geometry=[z.geometry for z in zones],
        crs="EPSG:4326",
    )
    path.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")


def _load(folder: Path):
    """The validated data (one reading path with ``commissioning validate``) and its travel model."""
    from commissioning.problem import travel_model_for
    from commissioning.scenario_data import load_scenario

    data = load_scenario(folder)
    return data, travel_model_for(data)


def _build_problems(scenario: ScenarioFile, data, travel) -> dict[bool, tuple]:
    """(problem, index) with pools on and, if a variant needs it, off (pools change eligibility)."""
    from commissioning.problem import Money, build_problem

    money = Money(
        staff_cost_per_hour_gbp=scenario.money.staff_cost_per_hour_gbp,
        mileage_gbp_per_travel_hour=scenario.money.mileage_gbp_per_travel_hour,
    )
    out = {}
    for pools in sorted({True} | {v.pools for v in scenario.variants}, reverse=True):
        out[pools] = build_problem(
            data,
            travel,
            pools_enabled=pools,
            max_travel_minutes_per_visit=scenario.max_travel_minutes_per_visit,
            money=money,
        )
    return out


def client_provider_km(data, travel) -> np.ndarray:
    """Road + access km per visit (one way), clients × providers, from the hub quickest in each band.

    Mean over the client's time bands, like the travel minutes of :mod:`commissioning.problem`; ``inf``
    where a band is unreachable. Pool pairs (local pool base) are priced by :func:`pool_km`.
    """
    from geodata.timebands import BAND_NAMES

    n, m = len(data.clients), len(data.providers)
    lon = np.array([c.lon for c in data.clients])
    lat = np.array([c.lat for c in data.clients])
    hubs = [(p, h) for p, prov in enumerate(data.providers) for h in data.hubs_for(prov.provider_id)]
    hub_provider = np.array([p for p, _ in hubs])
    hub_lon = np.array([h.lon for _, h in hubs])
    hub_lat = np.array([h.lat for _, h in hubs])
    total = np.zeros((n, m))
    count = np.zeros(n)
    for band in BAND_NAMES:
        used = np.array([band in c.time_bands for c in data.clients])
        if not used.any():
            continue
        matrix = travel.matrix(hub_lon, hub_lat, lon[used], lat[used], band)
        best = np.full((m, int(used.sum())), np.inf)
        for p in range(m):
            rows = np.flatnonzero(hub_provider == p)
            minutes = matrix.minutes[rows]
            pick = np.argmin(minutes, axis=0)
            best[p] = matrix.km[rows][pick, np.arange(minutes.shape[1])]
        total[used] += best.T
        count[used] += 1
    return total / np.maximum(count, 1)[:, None]


def pool_km(data, travel) -> np.ndarray:
    """Km per visit from a pool's local base to clients in the pool's zones (clients × providers; inf)."""
    from commissioning.problem import _pool_base

    n, m = len(data.clients), len(data.providers)
    out = np.full((n, m), np.inf)
    p_index = {p.provider_id: k for k, p in enumerate(data.providers)}
    for pool in data.pools:
        for zid in pool.zones:
            rows = np.array([i for i, c in enumerate(data.clients) if c.zone == zid], dtype=int)
            if not len(rows):
                continue
            base_lon, base_lat = _pool_base(data.zone_by_id[zid].geometry)
            lon = np.array([data.clients[i].lon for i in rows])
            lat = np.array([data.clients[i].lat for i in rows])
            km = travel.matrix([base_lon], [base_lat], lon, lat, "morning").km[0]
            for pid in pool.members:
                out[rows, p_index[pid]] = np.minimum(out[rows, p_index[pid]], km)
    return out


# ----------------------------------------------------------------------------------------------------
# Variants
# ----------------------------------------------------------------------------------------------------


def restrict_pairs(problem, index, keep: np.ndarray):
    """``(problem, index)`` with only the eligible pairs where ``keep`` is true."""
    if keep.all():
        return problem, index
    names = (
        "pair_client",
        "pair_provider",
        "pair_travel_minutes",
        "pair_staff_hours",
        "pair_care_cost_gbp",
        "pair_travel_cost_gbp",
    )
    restricted = dataclasses.replace(problem, **{name: getattr(problem, name)[keep] for name in names})
    return restricted, dataclasses.replace(index, pair_from_pool=index.pair_from_pool[keep])


def apply_variant_pairs(variant: Variant, problem, index) -> tuple[Any, Any, list[str]]:
    """Apply ``protect`` and ``exclude`` by removing pairs; returns notes for the warnings."""
    notes: list[str] = []
    if not variant.protect and not variant.exclude:
        return problem, index, notes
    p_of = {pid: k for k, pid in enumerate(index.provider_ids)}
    keep = np.ones(len(problem.pair_client), dtype=bool)
    pc, pp = problem.pair_client, problem.pair_provider
    pinned = problem.client_pinned_provider
    for pid in variant.exclude:
        p = p_of[pid]
        own_choice = pinned[pc] == p
        keep &= ~((pp == p) & ~own_choice)
        if own_choice.any():
            notes.append(
                f"{variant.name}: {int(np.sum(pinned == p))} client(s) chose excluded provider {pid} "
                "(self-directed support option 2) and stay with it"
            )
    protected = {p_of[pid] for pid in variant.protect}
    current = problem.client_current_provider
    for i in np.flatnonzero(np.isin(current, list(protected))):
        if problem.pair_index(int(i), int(current[i])) >= 0:
            keep &= ~((pc == i) & (pp != current[i]))
    return (*restrict_pairs(problem, index, keep), notes)


def _pair_of(problem, assignment: np.ndarray) -> np.ndarray:
    return np.array(
        [problem.pair_index(int(i), int(p)) if p >= 0 else -1 for i, p in enumerate(assignment)],
        dtype=np.int64,
    )


def run_variant(
    variant: Variant,
    problem,
    index,
    data,
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
    stop: threading.Event | None = None,
) -> VariantOutcome:
    """Evaluate (``current``) or solve one variant; ``stop`` set by another thread ends the search at once."""
    from commissioning.progress import VariantProgress
    from solver import SolveParams, solve
    from solver.validate import pool_draws, validate_solution

    problem, index, notes = apply_variant_pairs(variant, problem, index)
    sc = variant.scenario_params(index.provider_ids)
    if variant.mode == "current":
        t0 = time.perf_counter()
        assignment, reasons = evaluate_current(variant, problem, index)
        draws = pool_draws(problem, sc, assignment)
        violations = validate_solution(problem, sc, assignment, draws)
        from solver.validate import objective_terms

        objective = sum(objective_terms(problem, sc, assignment).values())
        seconds = time.perf_counter() - t0
        solver_info = {
            "status": "EVALUATED",
            "objective": objective,
            "bound": None,
            "gap": None,
            "seconds": seconds,
            "time_limit_s": None,
            "workers": None,
            "seed": None,
        }
        if not quiet:
            print(
                f"{variant.name[:14]:<14} evaluated today's allocation in {seconds:.1f}s  objective "
                f"£{objective:,.0f}  {len(violations)} constraint(s) broken today",
                file=stream or sys.stderr,
            )
        pool_hours = draws.sum(axis=(0, 2))
    else:
        params = SolveParams(
            time_limit_s=variant.time_limit_s,
            work_limit=variant.work_limit,
            workers=variant.workers,
            seed=variant.seed,
            deterministic=variant.deterministic,
            # The run handles Ctrl-C itself (see _Interrupt): a search stopped by it must not pass as done.
            extra_parameters=(("catch_sigint_signal", False),),
            stop=stop,
        )
        progress = VariantProgress(variant.name, variant.time_limit_s, stream=stream, quiet=quiet,
                                   work_limit=params.budget if params.deterministic else None)
        params = dataclasses.replace(params, progress=progress.callback)
        with progress:
            result = solve(problem, sc, params)
            progress.finish(result.status, result.seconds, result.objective, result.bound)
        if not len(result.assignment):
            from commissioning.errors import InfeasibleError

            raise InfeasibleError(_infeasible_message(variant, result), result.diagnosis)
        assignment = np.asarray(result.assignment, dtype=np.int64)
        reasons = ["" for _ in assignment]
        for i in np.flatnonzero(assignment < 0):
            reasons[i] = index.ineligible_reason[i] or result.unmet_reasons.get(int(i), "left unmet")
        violations = list(result.violations)
        solver_info = {
            "status": result.status,
            "objective": _finite(result.objective),
            "bound": _finite(result.bound),
            "gap": _finite(result.gap),
            "seconds": result.seconds,
            "time_limit_s": variant.time_limit_s,
            "work_limit": params.budget if params.deterministic else None,
            "deterministic": params.deterministic,
            "stopped_by_clock": result.stopped_by_clock,
            "workers": variant.workers,
            "seed": variant.seed,
        }
        if result.stopped_by_clock:
            notes.append(
                f"{variant.name}: stopped by its time limit ({variant.time_limit_s:g} s) before its work "
                f"limit ({params.budget:g} units), so another run may give a different allocation. Fix: a "
                "longer time_limit_s or a smaller work_limit."
            )
        pool_hours = np.asarray(result.provider_pool_hours, dtype=float)
    return VariantOutcome(
        variant=variant,
        problem=problem,
        index=index,
        assignment=assignment,
        unmet_reason=reasons,
        pair_of_client=_pair_of(problem, assignment),
        provider_pool_hours=pool_hours,
        solver=solver_info,
        violations=violations,
        notes=notes,
    )


def _infeasible_message(variant: Variant, result) -> str:
    """Why the variant has no allocation (the diagnosis, in commissioner words) and fixes not yet in force."""
    fixes = []
    if not variant.allow_unmet:
        fixes.append("allow_unmet = true")
    if variant.protect:
        fixes.append(f"fewer protected providers (protect = {list(variant.protect)})")
    if variant.mode == "zoned":
        fixes.append(f"a larger max_providers_per_zone (now {variant.max_providers_per_zone})")
    if variant.max_moves is not None:
        fixes.append(f"a larger max_moves (now {variant.max_moves})")
    if variant.min_viable or variant.max_loss_fraction is not None:
        fixes.append("looser sustainability rules")
    why = "".join(f"\n  - {line}" for line in result.diagnosis) or "\n  - no simple reason found"
    fix = "; ".join(fixes) if fixes else "check the data: the diagnosis above names the short capacity"
    return (f"variant {variant.name!r} ({variant.mode}) has no feasible allocation (status {result.status}). "
            f"Why:{why}\nFix: {fix}.")


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def evaluate_current(variant: Variant, problem, index) -> tuple[np.ndarray, list[str]]:
    """Today's allocation (see the module docstring): ``(assignment, unmet reason per client)``."""
    n = problem.n_clients
    current = np.asarray(problem.client_current_provider, dtype=np.int64)
    assignment = np.full(n, -1, dtype=np.int64)
    reasons = [""] * n
    for i in range(n):
        p = int(current[i])
        if p >= 0 and problem.pair_index(i, p) >= 0:
            assignment[i] = p
        elif p >= 0:
            reasons[i] = (
                f"today's provider {index.provider_ids[p]} cannot reach the client in every time "
                f"band under the travel model: {index.ineligible_reason[i] or 'no route'}"
            )
        else:
            reasons[i] = WAITING_REASON
    waiting = np.flatnonzero(current < 0)
    if variant.waiting == "greedy" and len(waiting):
        _place_waiting_greedily(problem, index, assignment, reasons, waiting)
    return assignment, reasons


def _place_waiting_greedily(problem, index, assignment, reasons, waiting) -> None:
    """Spot purchase: largest package first, to the cheapest eligible provider with own staff hours left."""
    from solver.validate import provider_loads

    loads = provider_loads(problem, assignment)
    staff_left = problem.provider_weekly_staff_hours - loads["staff_hours"]
    care_left = problem.provider_max_weekly_hours - loads["care_hours"]
    order = waiting[np.argsort(-problem.client_care_hours[waiting], kind="stable")]
    for i in order:
        a, b = problem.client_pair_start[i], problem.client_pair_start[i + 1]
        ks = [k for k in range(a, b) if problem.pair_eligible[k]]
        if not ks:
            reasons[i] = f"{WAITING_REASON}: {index.ineligible_reason[i] or 'no eligible provider'}"
            continue
        cost = problem.pair_care_cost_gbp + problem.pair_travel_cost_gbp
        fits = [
            k
            for k in ks
            if staff_left[problem.pair_provider[k]] >= problem.pair_staff_hours[k] - 1e-9
            and care_left[problem.pair_provider[k]] >= problem.client_care_hours[i] - 1e-9
        ]
        if not fits:
            reasons[i] = f"{WAITING_REASON}: no provider that can reach the client has staff hours to spare"
            continue
        k = min(fits, key=lambda k: (cost[k], problem.pair_provider[k]))
        p = int(problem.pair_provider[k])
        assignment[i] = p
        reasons[i] = ""
        staff_left[p] -= problem.pair_staff_hours[k]
        care_left[p] -= problem.client_care_hours[i]


def _unreachable_current_warning(data, index) -> list[str]:
    ids = [
        c.client_id
        for c, why in zip(data.clients, index.ineligible_reason, strict=True)
        if why and c.current_provider
    ]
    if not ids:
        return []
    shown = ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else "")
    return [
        f"{len(ids)} client(s) served today cannot be reached in every time band under the travel model "
        f"(e.g. a bed visit after the last ferry): {shown}. They count as unmet in every variant, "
        "including current, so variants compare like with like; check their time bands or hubs."
    ]


# ----------------------------------------------------------------------------------------------------
# Allocation table and routing
# ----------------------------------------------------------------------------------------------------

# The README's *Output folder* contract first, then extras (care hours = weekly hours × carers per visit).
ALLOCATION_COLUMNS = [
    "client_id",
    "provider_id",
    "status",
    "reason",
    "zone",
    "travel_minutes_per_visit",
    "moved",
    "weekly_hours",
    "visits_per_week",
    "carers_per_visit",
    "funder",
    "current_provider",
    "care_hours_per_week",
    "travel_hours_per_week",
    "from_pool",
    "remote",
]


def allocation_frame(outcome: VariantOutcome, data) -> pd.DataFrame:
    """One row per client (all clients, in the data's order): the contract of ``<variant>/allocation.csv``."""
    problem, a = outcome.problem, outcome.assignment
    ids = outcome.index.provider_ids
    assigned = a >= 0
    minutes = outcome.per_client(problem.pair_travel_minutes, np.nan)
    travel_h = outcome.per_client(problem.pair_travel_hours, 0.0)
    from_pool = outcome.per_client(outcome.index.pair_from_pool, False)
    remote = {z.zone_id: z.remote for z in data.zones}
    current = [c.current_provider or "" for c in data.clients]
    provider = [ids[p] if p >= 0 else "" for p in a]
    moved = [
        "yes" if outcome.variant.mode != "current" and cur and prov and prov != cur else "no"
        for cur, prov in zip(current, provider, strict=True)
    ]
    return pd.DataFrame(
        {
            "client_id": [c.client_id for c in data.clients],
            "provider_id": provider,
            "status": np.where(assigned, "assigned", "unmet"),
            "reason": outcome.unmet_reason,
            "zone": [c.zone for c in data.clients],
            "travel_minutes_per_visit": np.round(minutes, 2),
            "moved": moved,
            "current_provider": current,
            "weekly_hours": problem.client_weekly_hours,
            "care_hours_per_week": problem.client_care_hours,
            "visits_per_week": problem.client_visits_per_week,
            "carers_per_visit": problem.client_carers_per_visit,
            "travel_hours_per_week": travel_h,
            "from_pool": np.where(from_pool, "yes", "no"),
            "funder": [c.funder for c in data.clients],
            "remote": ["yes" if remote[c.zone] else "no" for c in data.clients],
        }
    )[ALLOCATION_COLUMNS]


_ROUTING_INPUTS: dict[str, Any] = {}  # read by forked routing workers (inherited, not pickled)


def _routing_worker_init() -> None:
    """Routing workers leave Ctrl-C and SIGTERM to the main process, which stops the run cleanly, and die
    with it: the kernel sends them SIGKILL when it ends, even if it is killed or aborts (Linux prctl)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent()


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (a no-op elsewhere)."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _route_one(name: str, allocation: pd.DataFrame, time_limit_s: float):
    from commissioning.routing import routed_travel_hours_per_week

    data, travel = _ROUTING_INPUTS["data"], _ROUTING_INPUTS["travel"]
    return name, routed_travel_hours_per_week(allocation, data, travel, time_limit_s=time_limit_s)


class Router:
    """Routes each variant's allocation with :mod:`commissioning.routing`, if it is installed.

    Routing is single-threaded (Python + OR-Tools) and variants are independent, so they run in forked
    worker processes (at most the variants' ``workers``, at most the cores): ``current`` is submitted as
    soon as it is evaluated and routes while CP-SAT solves the other variants; the rest are routed in
    parallel after the solves. Without ``fork`` or with one worker, variants are routed one by one.
    """

    def __init__(self, data, travel, scenario: ScenarioFile, enabled: bool):
        import os

        self.warnings: list[str] = []
        self.limit = scenario.routing.time_limit_s
        self.pending: dict[str, Any] = {}
        self.results: dict[str, Any] = {}
        self.pool = None
        self.enabled = enabled
        if not enabled:
            self.warnings.append(
                "routed travel (chained runs) switched off: travel_hours_per_week_routed is empty"
            )
            return
        try:
            import commissioning.routing  # noqa: F401
        except ModuleNotFoundError as error:
            if error.name != "commissioning.routing":
                raise
            self.enabled = False
            self.warnings.append(
                "routed travel (chained runs) not available: commissioning.routing is not "
                "installed; travel_hours_per_week_routed is empty"
            )
            return
        _ROUTING_INPUTS.update(data=data, travel=travel)
        import multiprocessing

        workers = min(len(scenario.variants), max(v.workers for v in scenario.variants), os.cpu_count() or 1)
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_routing_worker_init,
            )

    def submit(self, name: str, allocation: pd.DataFrame) -> None:
        if not self.enabled:
            return
        if self.pool is not None:
            self.pending[name] = self.pool.submit(_route_one, name, allocation, self.limit)
        else:
            self.pending[name] = (name, allocation)

    def collect(self, outcomes: dict[str, VariantOutcome]) -> list[str]:
        try:
            for name, job in self.pending.items():
                self.results[name] = (
                    job.result()[1] if self.pool is not None else _route_one(job[0], job[1], self.limit)[1]
                )
        finally:
            self.close()
        for name, routed in self.results.items():
            outcome = outcomes[name]
            if isinstance(routed, dict):  # a plain {provider_id: hours} mapping
                outcome.routed_travel_hours = {str(k): float(v) for k, v in routed.items()}
                continue
            outcome.routed_travel_hours = {
                str(k): float(v) for k, v in routed.hours_per_week_by_provider.items()
            }
            outcome.routing = routed
            if routed.unrouted_visits:
                self.warnings.append(
                    f"{name}: {routed.unrouted_visits} visit(s) of the typical day could not be routed (see "
                    "details.routing_notes in kpis.json); routed travel leaves them out"
                )
        return self.warnings

    def close(self) -> None:
        if self.pool is not None:
            # After an interrupt or error, do not wait for routing nobody will read.
            self.pool.shutdown(wait=sys.exc_info()[0] is None, cancel_futures=True)
            self.pool = None
        _ROUTING_INPUTS.clear()
