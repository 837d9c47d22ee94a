"""The scenario file (TOML): which data, which prices, which variants to compare.

:func:`load_scenario_file` reads and checks a scenario file and returns a :class:`ScenarioFile`. Every
mistake raises :class:`~commissioning.errors.ScenarioError` naming the key (``variants[2].max_moves``), the
line of the file it is on, what is wrong and what to do. :func:`check_provider_references` checks the
provider ids the variants name (``protect``, ``exclude``) once the data are loaded.

Format (every key but ``data`` and the variants' ``name`` and ``mode`` is optional)::

    name = "Argyll and Bute: today against optimised and zoned"
    data = "my-scenario-folder"               # relative to this file; or:
    # [data]
    # generate = { clients = 1000, seed = 1 } # the embedded Argyll and Bute generator

    [money]
    staff_cost_per_hour_gbp = 13.50          # carer pay while travelling
    mileage_gbp_per_travel_hour = 9.00
    bed_day_cost_gbp = 250.0                  # unconfirmed: set your own

    [downstream]                              # delayed-discharge estimate (unconfirmed parameters)
    share_of_unmet_clients_in_hospital = 0.25
    bed_days_per_week_per_client_in_hospital = 7.0

    [travel]
    max_travel_minutes_per_visit = 75.0

    [kpis]
    nearby_minutes_per_visit = 30.0           # "spare capacity nearby": within this travel per visit
    spare_staff_hours_per_week = 10.0         # ... and at least this many spare staff hours

    [routing]                                 # chained-run travel (OR-Tools routing), if installed
    enabled = true
    time_limit_s = 0.2

    [solver]                                  # defaults for every variant
    time_limit_s = 15.0                       # wall-clock seconds per variant, a hard stop
    work_limit = 7.5                          # deterministic work units (default: time_limit_s × 0.5)
    workers = 2
    seed = 0
    deterministic = true                      # the default; false: the clock alone limits the search

    [[variants]]
    name = "current"
    mode = "current"                          # today's allocation, evaluated, not optimised
    waiting = "greedy"                        # or "unmet": new packages with no provider yet

    [[variants]]
    name = "zoned"
    mode = "zoned"                            # or "optimised" (no zoning)
    max_providers_per_zone = 2
    pools = true
    allow_unmet = true
    unmet_penalty_gbp_per_hour = 1000.0
    max_moves = 400                           # continuity limit
    move_penalty_gbp = 50.0
    protect = ["P03"]                         # these providers' clients must not move
    exclude = ["P07"]                         # these providers take no clients (leave the market)
    time_limit_s = 15.0
    seed = 0
    workers = 2
    [variants.sustainability]
    min_viable = false                        # providers keep their minimum viable hours (or exit)
    allow_exit = true
    max_weekly = true
    max_loss_fraction = 0.5                   # nobody loses more than half of today's hours
    [variants.weights]
    travel = 1.0
    care = 1.0
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commissioning.errors import ScenarioError
from commissioning.scenario import lines
from commissioning.scenario.defaults import (
    DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT,
    DEFAULT_MOVE_PENALTY_GBP,
    DEFAULT_UNMET_PENALTY_GBP_PER_HOUR,
    DownstreamParams,
    KpiParams,
    MoneyParams,
    RoutingParams,
)
from solver.data import MAX_SEED, MAX_WORKERS, SCENARIO_MAXIMA

MODES = ("current", "optimised", "zoned")
WAITING = ("greedy", "unmet")
DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "data" / "argyll_bute_default.toml"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")
# Names of what the output folder already holds: a variant's folder must not collide with them.
RESERVED_NAMES = frozenset(
    {
        "inputs",
        "maps",
        "kpis.json",
        "kpis.csv",
        "providers.csv",
        "zones.csv",
        "report.html",
        "workbook.xlsx",
        "scenario.toml",
    }
)


# ----------------------------------------------------------------------------------------------------
# The typed result
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    """Either a folder (``path``) or the embedded generator (``generate_clients`` and ``generate_seed``)."""

    path: Path | None = None
    generate_clients: int | None = None
    generate_seed: int = 1

    @property
    def generated(self) -> bool:
        return self.path is None


@dataclass(frozen=True)
class Variant:
    name: str
    mode: str
    max_providers_per_zone: int | None = None
    pools: bool = True
    allow_unmet: bool = True
    unmet_penalty_gbp_per_hour: float = DEFAULT_UNMET_PENALTY_GBP_PER_HOUR
    max_moves: int | None = None
    move_penalty_gbp: float = DEFAULT_MOVE_PENALTY_GBP
    protect: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    waiting: str = "greedy"
    min_viable: bool = False
    allow_exit: bool = True
    max_weekly: bool = True
    max_loss_fraction: float | None = None
    weight_travel: float = 1.0
    weight_care: float = 1.0
    time_limit_s: float = 15.0
    work_limit: float | None = None
    seed: int = 0
    workers: int = 2
    deterministic: bool = True
    index: int = 0  # position in the file's [[variants]] list (0-based)

    def scenario_params(self, provider_ids: tuple[str, ...] = ()):
        """The solver's :class:`~solver.ScenarioParams` for this variant (``provider_ids``: the solver's
        provider order, to turn ``protect`` into indices)."""
        from solver import ScenarioParams

        position = {pid: k for k, pid in enumerate(provider_ids)}
        return ScenarioParams(
            protected_providers=tuple(position[pid] for pid in self.protect if pid in position),
            max_providers_per_zone=self.max_providers_per_zone if self.mode == "zoned" else None,
            pools_enabled=self.pools,
            allow_unmet=True if self.mode == "current" else self.allow_unmet,
            unmet_penalty_per_hour_gbp=self.unmet_penalty_gbp_per_hour,
            max_moves=self.max_moves,
            move_penalty_gbp=self.move_penalty_gbp,
            enforce_min_viable=self.min_viable,
            allow_provider_exit=self.allow_exit,
            enforce_max_weekly=self.max_weekly,
            max_loss_fraction=self.max_loss_fraction,
            weight_travel=self.weight_travel,
            weight_care=self.weight_care,
        )

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "index"}
        out["protect"], out["exclude"] = list(self.protect), list(self.exclude)
        return out


@dataclass(frozen=True)
class ScenarioFile:
    path: Path | None
    name: str
    description: str
    data: DataSource
    money: MoneyParams
    downstream: DownstreamParams
    kpis: KpiParams
    routing: RoutingParams
    max_travel_minutes_per_visit: float
    variants: tuple[Variant, ...]
    text: str = field(default="", repr=False)

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)

    def line_of(self, key: str) -> int | None:
        return lines.line_of(self.text, key)

    def parameters(self) -> dict[str, Any]:
        """Every assumption, for kpis.json and the report's assumptions table."""
        return {
            "scenario_name": self.name,
            "money": vars(self.money).copy(),
            "downstream": vars(self.downstream).copy(),
            "kpis": vars(self.kpis).copy(),
            "routing": vars(self.routing).copy(),
            "max_travel_minutes_per_visit": self.max_travel_minutes_per_visit,
            "variants": {v.name: v.as_dict() for v in self.variants},
        }


# ----------------------------------------------------------------------------------------------------
# Schema: key -> (kind, default, check)
# ----------------------------------------------------------------------------------------------------

_TOP = {
    "name",
    "description",
    "data",
    "money",
    "downstream",
    "travel",
    "kpis",
    "routing",
    "solver",
    "variants",
}
_MONEY = {
    "staff_cost_per_hour_gbp": "number",
    "mileage_gbp_per_travel_hour": "number",
    "bed_day_cost_gbp": "number",
}
_DOWNSTREAM = {
    "share_of_unmet_clients_in_hospital": "fraction",
    "bed_days_per_week_per_client_in_hospital": "number",
}
_TRAVEL = {"max_travel_minutes_per_visit": "positive"}
_KPIS = {"nearby_minutes_per_visit": "positive", "spare_staff_hours_per_week": "number"}
_ROUTING = {"enabled": "bool", "time_limit_s": "positive"}
_SOLVER = {
    "time_limit_s": "positive",
    "work_limit": "positive",
    "workers": "workers",
    "seed": "seed",
    "deterministic": "bool",
}
_VARIANT_COMMON = {
    "name": "name",
    "mode": "mode",
    "description": "str",
    "pools": "bool",
    "unmet_penalty_gbp_per_hour": "number",
}
_VARIANT_OPT = {
    "max_providers_per_zone": "count",
    "allow_unmet": "bool",
    "max_moves": "natural",
    "move_penalty_gbp": "number",
    "protect": "providers",
    "exclude": "providers",
    "sustainability": "table",
    "weights": "table",
    **_SOLVER,
}
_VARIANT_CURRENT = {"waiting": "waiting"}
_SUSTAINABILITY = {
    "min_viable": "bool",
    "allow_exit": "bool",
    "max_weekly": "bool",
    "max_loss_fraction": "fraction",
}
_WEIGHTS = {"travel": "number", "care": "number"}

# Keys whose value the solver bounds (solver.data.SCENARIO_MAXIMA: pence must stay inside int64).
_MAXIMA = {
    "unmet_penalty_gbp_per_hour": SCENARIO_MAXIMA["unmet_penalty_per_hour_gbp"],
    "move_penalty_gbp": SCENARIO_MAXIMA["move_penalty_gbp"],
    "travel": SCENARIO_MAXIMA["weight_travel"],
    "care": SCENARIO_MAXIMA["weight_care"],
}

_KIND_TEXT = {
    "number": "a number ≥ 0",
    "positive": "a number > 0",
    "fraction": "a number from 0 to 1",
    "bool": "true or false",
    "count": "a whole number ≥ 1",
    "workers": f"a whole number from 1 to {MAX_WORKERS}",
    "natural": "a whole number ≥ 0",
    "seed": f"a whole number from 0 to {MAX_SEED}",
    "str": "text in quotes",
    "name": "text in quotes: letters, digits, '-', '_' or '.', at most 41 characters",
    "mode": "one of " + ", ".join(f'"{m}"' for m in MODES),
    "waiting": "one of " + ", ".join(f'"{w}"' for w in WAITING),
    "providers": 'a list of provider ids in quotes, e.g. ["P01", "P03"]',
    "table": "a table",
}


class _Checker:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source

    def fail(self, key: str, message: str, fix: str):
        line = lines.line_of(self.text, key)
        where = f"{self.source}, line {line}" if line else self.source
        raise ScenarioError(f"{where}: key '{key}': {message}. Fix: {fix}")

    def unknown(self, table: dict, allowed, prefix: str, hint: str = "") -> None:
        for key in table:
            if key not in allowed:
                import difflib

                close = difflib.get_close_matches(key, list(allowed), n=1)
                fix = f"did you mean '{close[0]}'?" if close else "remove it"
                known = ", ".join(sorted(allowed))
                self.fail(
                    f"{prefix}{key}",
                    f"unknown key{hint}",
                    f"{fix} (known keys here: {known})",
                )

    def value(self, table: dict, key: str, kind: str, prefix: str):
        value = table[key]
        full = f"{prefix}{key}"
        ok = True
        if kind in ("number", "positive", "fraction"):
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            if ok:
                value = float(value)
                ok = value > 0 if kind == "positive" else value >= 0
                if kind == "fraction":
                    ok = ok and value <= 1
            top = _MAXIMA.get(key)
            if ok and top is not None and value > top:
                self.fail(full, f"got {value:g}, more than the model can hold", f"write at most {top:g}")
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind in ("count", "natural", "seed", "workers"):
            ok = isinstance(value, int) and not isinstance(value, bool)
            if ok:
                ok = value >= (0 if kind in ("natural", "seed") else 1)
            if ok and kind in ("workers", "seed"):
                ok = value <= (MAX_WORKERS if kind == "workers" else MAX_SEED)
        elif kind in ("str", "name"):
            ok = isinstance(value, str) and (kind == "str" or bool(_NAME_RE.match(value)))
        elif kind == "mode":
            ok = value in MODES
        elif kind == "waiting":
            ok = value in WAITING
        elif kind == "providers":
            ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            if ok:
                value = tuple(value)
        elif kind == "table":
            ok = isinstance(value, dict)
        if not ok:
            self.fail(
                full, f"got {value!r}, expected {_KIND_TEXT[kind]}", f"write {full} as {_KIND_TEXT[kind]}"
            )
        return value

    def table(self, doc: dict, key: str, schema: dict[str, str], prefix: str = "") -> dict[str, Any]:
        """The checked values of sub-table ``key`` (an empty dict when absent)."""
        if key not in doc:
            return {}
        sub = doc[key]
        if not isinstance(sub, dict):
            self.fail(f"{prefix}{key}", f"got {sub!r}, expected a table", f"write it as [{prefix}{key}]")
        self.unknown(sub, schema, f"{prefix}{key}.")
        return {k: self.value(sub, k, schema[k], f"{prefix}{key}.") for k in sub}


def load_scenario_file(path: str | Path) -> ScenarioFile:
    """Read and check a scenario TOML file. Raises :class:`ScenarioError` naming key, line and fix."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(
            f"{path}: no such scenario file. Fix: give the path of a .toml scenario file "
            f"(an example: {DEFAULT_SCENARIO})."
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read ({error}). Fix: save it as UTF-8 text.") from error
    return parse_scenario(text, source=str(path), base=path.resolve().parent, path=path)


def parse_scenario(
    text: str, *, source: str = "scenario", base: Path | None = None, path: Path | None = None
) -> ScenarioFile:
    """Check scenario TOML ``text``; relative data folders are taken from ``base`` (default: cwd)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(
            f"{source}: not valid TOML ({error}). Fix: correct the syntax at that line "
            "(strings in quotes, one key = value per line)."
        ) from error
    c = _Checker(text, source)
    c.unknown(doc, _TOP, "")
    name = c.value(doc, "name", "str", "") if "name" in doc else (path.stem if path else "scenario")
    description = c.value(doc, "description", "str", "") if "description" in doc else ""
    data = _data_source(c, doc, base or Path.cwd())
    money = MoneyParams(**c.table(doc, "money", _MONEY))
    downstream = DownstreamParams(**c.table(doc, "downstream", _DOWNSTREAM))
    kpis = KpiParams(**c.table(doc, "kpis", _KPIS))
    routing = RoutingParams(**c.table(doc, "routing", _ROUTING))
    travel = c.table(doc, "travel", _TRAVEL)
    solver_defaults = c.table(doc, "solver", _SOLVER)
    variants = _variants(c, doc, solver_defaults)
    return ScenarioFile(
        path=path,
        name=name,
        description=description,
        data=data,
        money=money,
        downstream=downstream,
        kpis=kpis,
        routing=routing,
        max_travel_minutes_per_visit=travel.get(
            "max_travel_minutes_per_visit", DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT
        ),
        variants=variants,
        text=text,
    )


def _data_source(c: _Checker, doc: dict, base: Path) -> DataSource:
    if "data" not in doc:
        c.fail(
            "data",
            "missing",
            'add data = "FOLDER" (the scenario folder, relative to this file) or '
            "[data] generate = { clients = 1000, seed = 1 }",
        )
    data = doc["data"]
    if isinstance(data, str):
        data = {"path": data}
    if not isinstance(data, dict):
        c.fail(
            "data",
            f"got {data!r}, expected a folder path in quotes or a table",
            'write data = "FOLDER" or [data] generate = { clients = 1000, seed = 1 }',
        )
    c.unknown(data, {"path", "generate"}, "data.")
    if ("path" in data) == ("generate" in data):
        c.fail(
            "data",
            "give exactly one of path and generate",
            'write data = "FOLDER" or [data] generate = { clients = 1000, seed = 1 }',
        )
    if "path" in data:
        c.value(data, "path", "str", "data.")
        folder = Path(data["path"])
        folder = folder if folder.is_absolute() else base / folder
        if not folder.is_dir():
            key = "data" if isinstance(doc["data"], str) else "data.path"
            c.fail(
                key,
                f"the data folder {str(folder)!r} does not exist",
                "give the scenario folder (clients.csv, providers.csv, ...) relative to the scenario "
                "file, or write one with: commissioning generate --out FOLDER",
            )
        return DataSource(path=folder)
    gen = data["generate"]
    if not isinstance(gen, dict):
        c.fail(
            "data.generate", f"got {gen!r}, expected a table", "write generate = { clients = 1000, seed = 1 }"
        )
    c.unknown(gen, {"clients", "seed"}, "data.generate.")
    clients = c.value(gen, "clients", "count", "data.generate.") if "clients" in gen else 1000
    seed = c.value(gen, "seed", "natural", "data.generate.") if "seed" in gen else 1
    return DataSource(generate_clients=clients, generate_seed=seed)


def _variants(c: _Checker, doc: dict, solver_defaults: dict) -> tuple[Variant, ...]:
    raw = doc.get("variants")
    if raw is None:
        c.fail("variants", "no variants", "add at least one [[variants]] table with name and mode")
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw) or not raw:
        c.fail("variants", "expected a list of [[variants]] tables", "write each variant as [[variants]]")
    out: list[Variant] = []
    seen: set[str] = set()
    for k, v in enumerate(raw):
        prefix = f"variants[{k}]."
        for required in ("name", "mode"):
            if required not in v:
                c.fail(
                    f"variants[{k}]",
                    f"has no {required}",
                    f"add {required} = ... to the variant (mode is one of {', '.join(MODES)})",
                )
        mode = c.value(v, "mode", "mode", prefix)
        allowed = {**_VARIANT_COMMON, **(_VARIANT_CURRENT if mode == "current" else _VARIANT_OPT)}
        other = _VARIANT_OPT if mode == "current" else _VARIANT_CURRENT
        for key in v:
            if key not in allowed and key in other:
                c.fail(
                    f"{prefix}{key}",
                    f'has no effect in mode "{mode}"',
                    "remove it"
                    + (
                        ', or use mode = "optimised" or "zoned"'
                        if mode == "current"
                        else ' (it applies to mode = "current" only)'
                    ),
                )
        c.unknown(v, allowed, prefix)
        values = {key: c.value(v, key, allowed[key], prefix) for key in v if allowed[key] != "table"}
        name = values.pop("name")
        if name.lower() in seen:
            # Output folders are named after variants: on Windows and macOS "Zoned" and "zoned" are one.
            c.fail(f"{prefix}name", f"variant name {name!r} is used twice (names ignore case)",
                   "give every variant its own name")
        if isinstance(name, str) and name.lower() in RESERVED_NAMES:
            c.fail(
                f"{prefix}name",
                f"variant name {name!r} is taken by a file or folder of the output",
                "rename the variant (e.g. 'zoned_k2'); reserved: " + ", ".join(sorted(RESERVED_NAMES)),
            )
        seen.add(name.lower())
        values.pop("description", None)
        if mode == "zoned" and "max_providers_per_zone" not in values:
            c.fail(
                f"variants[{k}]",
                'a "zoned" variant needs max_providers_per_zone',
                "add max_providers_per_zone = 2 (or the K you want)",
            )
        if mode == "optimised" and "max_providers_per_zone" in values:
            c.fail(
                f"{prefix}max_providers_per_zone",
                'an "optimised" variant has no zoning',
                'remove the key, or use mode = "zoned"',
            )
        sus = c.table(v, "sustainability", _SUSTAINABILITY, prefix) if mode != "current" else {}
        weights = c.table(v, "weights", _WEIGHTS, prefix) if mode != "current" else {}
        merged = {**solver_defaults, **values}
        out.append(
            Variant(
                name=name,
                index=k,
                **merged,
                **sus,
                **{f"weight_{key}": value for key, value in weights.items()},
            )
        )
    return tuple(out)


def check_provider_references(scenario: ScenarioFile, provider_ids) -> None:
    """Every provider a variant names (``protect``, ``exclude``) exists in the data."""
    known = set(provider_ids)
    shown = ", ".join(sorted(known)[:20]) + (" ..." if len(known) > 20 else "")
    c = _Checker(scenario.text, str(scenario.path or "scenario"))
    for v in scenario.variants:
        for key in ("protect", "exclude"):
            for pid in getattr(v, key):
                if pid not in known:
                    c.fail(
                        f"variants[{v.index}].{key}",
                        f"provider {pid!r} does not exist in providers.csv",
                        f"use provider ids from providers.csv ({shown})",
                    )
        both = set(v.protect) & set(v.exclude)
        if both:
            c.fail(
                f"variants[{v.index}].exclude",
                f"{sorted(both)} are both protected and excluded",
                "name each provider in at most one of protect and exclude",
            )
