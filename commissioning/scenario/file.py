"""The scenario file (TOML): which data, which prices, which variants to compare.

:func:`load_scenario_file` reads and checks a scenario file and returns a :class:`ScenarioFile`. Every
mistake raises :class:`~commissioning.errors.ScenarioError` naming the key (``variants[2].max_moves``), the
line of the file it is on, what is wrong and what to do. :func:`check_references` checks the provider and
zone ids the variants name (``protect``, ``exclude``, ...) once the data are loaded. A variant's switches
(:mod:`commissioning.scenario.switches`) have one name everywhere: the key here, the command-line flag, the
solver's parameter and the instance JSON's.

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

    [workforce]                               # carers at hubs (hubs.csv)
    working_days_per_week = 5.0               # a carer works in each band's window on this many days
    window_hours = { morning = 3.5, lunch = 2.5, tea = 2.5, bed = 3.0 }  # each band's window, hours a day
    non_driver_reach_minutes = 20.0           # a carer who does not drive walks at most this far from the hub
    non_driver_speed_kmh = 4.5
    max_hubs_per_pair = 2                     # a provider serves a client from at most its 2 quickest hubs

    [kpis]
    nearby_minutes_per_visit = 30.0           # "spare capacity nearby": within this travel per visit
    spare_staff_hours_per_week = 10.0         # ... and at least this many spare staff hours

    [routing]                                 # chained-run travel (OR-Tools routing), if installed
    enabled = true
    time_limit_s = 0.2

    [solver]                                  # defaults for every variant
    time_limit_s = 15.0                       # wall-clock seconds per variant (the search stops then)
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

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commissioning.errors import ScenarioError
from commissioning.scenario import lines, switches
from commissioning.scenario.defaults import (
    DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT,
    DownstreamParams,
    KpiParams,
    MoneyParams,
    RoutingParams,
    WorkforceParams,
)
from commissioning.scenario.whatif import WHATIF_KEYS, WhatIf, parse_whatif
from commissioning.synthetic import MAX_CLIENTS
from commissioning.vocabulary import BAND_NAMES
from solver.data import MAX_SEED, MAX_WORKERS

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
    """One variant of a scenario file. Its switches (:mod:`commissioning.scenario.switches`) read as
    attributes: the file's value, or the switch's one default (``variant.max_moves``)."""

    name: str
    mode: str
    switches: dict[str, Any] = field(default_factory=dict)  # the switches the file sets, by name
    exclude: tuple[str, ...] = ()  # these providers take no clients (a pinned client's own choice stays)
    waiting: str = "greedy"  # mode "current": new packages placed by spot purchase, or left unmet
    description: str = ""
    index: int = 0  # position in the file's [[variants]] list (0-based)
    whatif: WhatIf = field(default_factory=WhatIf)  # changes to the data (staff_loss, ferries_out, ...)

    def __getattr__(self, name: str) -> Any:
        known = switches.by_name()
        if name in known:
            return self.switches.get(name, known[name].default)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def with_switches(self, **values: Any) -> Variant:
        """A copy with these switches set (e.g. command-line options over the file's values)."""
        return dataclasses.replace(self, switches={**self.switches, **values})

    def solver_switches(self, provider_ids: tuple[str, ...] = (), zone_ids: tuple[str, ...] = ()):
        """The solver's :class:`~solver.Switches` for this variant; ``provider_ids`` and ``zone_ids``
        (the solver's order) turn the ids a switch names into positions."""
        from solver import Switches

        provider_pos = {pid: k for k, pid in enumerate(provider_ids)}
        zone_pos = {zid: k for k, zid in enumerate(zone_ids)}
        values = {f.name: switches.to_solver(f, getattr(self, f.name), provider_pos, zone_pos)
                  for f in switches.rule_fields()}
        if self.mode != "zoned":
            values["max_providers_per_zone"] = None
        if self.mode == "current":
            values["allow_unmet"] = True  # today's allocation leaves unmet whom it leaves unmet
        return Switches(**values)

    def solve_params(self, **extra: Any):
        """The solver's :class:`~solver.SolveParams` for this variant (``extra``: progress, stop, ...)."""
        from solver import SolveParams

        return SolveParams(**{f.name: getattr(self, f.name) for f in switches.search_fields()}, **extra)

    def as_dict(self) -> dict[str, Any]:
        """Every setting of the variant as the report and kpis.json show it (defaults included)."""
        known = switches.by_name()
        names = switches.CURRENT_SWITCHES if self.mode == "current" else list(known)
        out: dict[str, Any] = {"name": self.name, "mode": self.mode}
        out.update({name: switches.shown(known[name], getattr(self, name)) for name in names})
        if self.mode == "current":
            out["waiting"] = self.waiting
        else:
            out["exclude"] = list(self.exclude)
        out.update(self.whatif.as_dict())
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
    workforce: WorkforceParams = field(default_factory=WorkforceParams)
    text: str = field(default="", repr=False)

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)

    def fail(self, key: str, message: str, fix: str):
        """One clear error about a key of this file (e.g. a what-if naming a hub the data do not have)."""
        _Checker(self.text, str(self.path or "scenario")).fail(key, message, fix)

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
            "workforce": vars(self.workforce).copy(),
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
    "workforce",
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
_WORKFORCE = {"working_days_per_week": "positive", "non_driver_reach_minutes": "number",
              "non_driver_speed_kmh": "positive", "max_hubs_per_pair": "count"}
_ROUTING = {"enabled": "bool", "time_limit_s": "positive"}
# A variant's own keys, besides the switches (commissioning.scenario.switches).
_VARIANT_OWN = {"name": "name", "mode": "mode", "description": "str"}
_VARIANT_OWN_OPT = {"exclude": "providers"}
_VARIANT_OWN_CURRENT = {"waiting": "waiting"}
# Keys of earlier versions, with what to write now (one name per switch).
_RENAMED = {
    "sustainability": "write its keys in the variant itself: min_viable, allow_provider_exit, max_weekly, "
    "max_loss_fraction",
    "weights": "write weight_travel = ... and weight_care = ... in the variant itself",
    "allow_exit": "write allow_provider_exit",
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

    def switch(self, table: dict, key: str, prefix: str):
        """The checked value of a switch (its kind and bounds from the solver's declaration)."""
        f = switches.by_name()[key]
        value = switches.checked(f, table[key])
        if value is None:
            full, text = f"{prefix}{key}", switches.expected(f)
            self.fail(full, f"got {table[key]!r}, expected {text}", f"write {full} as {text}")
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
    workforce = _workforce(c, doc)
    solver_defaults = _solver_table(c, doc)
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
        workforce=workforce,
        max_travel_minutes_per_visit=travel.get(
            "max_travel_minutes_per_visit", DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT
        ),
        variants=variants,
        text=text,
    )


def _workforce(c: _Checker, doc: dict) -> WorkforceParams:
    """``[workforce]``: its numbers, and ``window_hours`` (hours a day of each band's window, above 0 and at
    most 24)."""
    table = doc.get("workforce", {})
    windows = table.get("window_hours") if isinstance(table, dict) else None
    plain = {k: v for k, v in table.items() if k != "window_hours"} if isinstance(table, dict) else table
    params = WorkforceParams(**c.table({"workforce": plain} if "workforce" in doc else {}, "workforce",
                                       _WORKFORCE))
    if windows is None:
        return params
    fix = ("write window_hours = { morning = 3.5, lunch = 2.5, tea = 2.5, bed = 3.0 } (hours a day, above 0 "
           "and at most 24)")
    if not isinstance(windows, dict):
        c.fail("workforce.window_hours", f"got {windows!r}, expected a table of bands", fix)
    c.unknown(windows, set(BAND_NAMES), "workforce.window_hours.")
    for band, hours in windows.items():
        # 0 h would leave every visit of the band impossible, and the infeasible run's fixes (more staff,
        # recruiting) could not help
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24:
            c.fail(f"workforce.window_hours.{band}", f"got {hours!r}", fix)
    return dataclasses.replace(params, window_hours={**params.window_hours, **windows})


def _data_source(c: _Checker, doc: dict, base: Path) -> DataSource:
    if "data" not in doc:
        c.fail(
            "data",
            "missing",
            'add data = "FOLDER" (the dataset folder, relative to this file) or '
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
                f"the data folder {str(folder)!r} "
                + ("is a file, not a folder" if folder.exists() else "does not exist"),
                "give the dataset folder (clients.csv, providers.csv, ...) relative to the scenario "
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
    if clients > MAX_CLIENTS:  # the generator's own refusal read "command line, column '--clients'"
        c.fail("data.generate.clients", f"got {clients:,}, more than the generator makes",
               f"give at most {MAX_CLIENTS:,} clients")
    seed = c.value(gen, "seed", "natural", "data.generate.") if "seed" in gen else 1
    return DataSource(generate_clients=clients, generate_seed=seed)


def _solver_table(c: _Checker, doc: dict) -> dict[str, Any]:
    """``[solver]``: how every variant searches, unless it says otherwise."""
    if "solver" not in doc:
        return {}
    table = doc["solver"]
    if not isinstance(table, dict):
        c.fail("solver", f"got {table!r}, expected a table", "write it as [solver]")
    known = [f.name for f in switches.search_fields()]
    c.unknown(table, known, "solver.")
    return {key: c.switch(table, key, "solver.") for key in table}


def _variants(c: _Checker, doc: dict, solver_defaults: dict) -> tuple[Variant, ...]:
    raw = doc.get("variants")
    if raw is None:
        c.fail("variants", "no variants", "add at least one [[variants]] table with name and mode")
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw) or not raw:
        c.fail("variants", "expected a list of [[variants]] tables", "write each variant as [[variants]]")
    seen: set[str] = set()
    return tuple(_variant(c, v, k, solver_defaults, seen) for k, v in enumerate(raw))


def _allowed_keys(mode: str) -> tuple[dict[str, str], list[str]]:
    """``(own keys and their kinds, switch names)`` a variant of this mode may set."""
    if mode == "current":
        return {**_VARIANT_OWN, **_VARIANT_OWN_CURRENT}, list(switches.CURRENT_SWITCHES)
    return {**_VARIANT_OWN, **_VARIANT_OWN_OPT}, list(switches.by_name())


def _variant(c: _Checker, v: dict, k: int, solver_defaults: dict, seen: set[str]) -> Variant:
    prefix = f"variants[{k}]."
    for required in ("name", "mode"):
        if required not in v:
            c.fail(f"variants[{k}]", f"has no {required}",
                   f"add {required} = ... to the variant (mode is one of {', '.join(MODES)})")
    mode = c.value(v, "mode", "mode", prefix)
    own, names = _allowed_keys(mode)
    _check_keys(c, v, mode, own, names, prefix)
    values = {key: c.value(v, key, own[key], prefix) for key in v if key in own}
    set_here = {key: c.switch(v, key, prefix) for key in v if key in names}
    name = _checked_name(c, values["name"], prefix, seen)
    _check_zoning(c, mode, set_here, prefix, k)
    defaults = {} if mode == "current" else solver_defaults
    if set_here.get("ranked_shares"):  # the ranks set the zoning limit
        defaults = {key: value for key, value in defaults.items() if key != "max_providers_per_zone"}
    whatif = parse_whatif(v, f"variants[{k}]", fail=c.fail)
    return Variant(name=name, mode=mode, switches={**defaults, **set_here}, index=k,
                   exclude=values.get("exclude", ()), waiting=values.get("waiting", "greedy"),
                   description=values.get("description", ""), whatif=whatif)


def _check_zoning(c: _Checker, mode: str, set_here: dict, prefix: str, k: int) -> None:
    ranked, limit = set_here.get("ranked_shares"), set_here.get("max_providers_per_zone")
    if mode == "zoned" and limit is None and not ranked:
        c.fail(f"variants[{k}]", 'a "zoned" variant needs max_providers_per_zone (or ranked_shares)',
               "add max_providers_per_zone = 2 (or the K you want), or ranked_shares = [0.60, 0.25, 0.15]")
    for key in ("max_providers_per_zone", "ranked_shares"):
        if mode == "optimised" and set_here.get(key):
            c.fail(f"{prefix}{key}", 'an "optimised" variant has no zoning',
                   'remove the key, or use mode = "zoned"')
    if ranked and limit is not None and limit != len(ranked):
        c.fail(f"{prefix}max_providers_per_zone", f"is {limit} but ranked_shares has {len(ranked)} ranks",
               "remove max_providers_per_zone: the ranks set the zoning limit")


def _check_keys(c: _Checker, v: dict, mode: str, own: dict, names: list[str], prefix: str) -> None:
    """Renamed keys, keys that mean nothing in this mode, unknown keys: each an error with the fix."""
    for key in v:
        if key in _RENAMED:
            c.fail(f"{prefix}{key}", "renamed (one name per switch everywhere)", _RENAMED[key])
        elsewhere = key in switches.by_name() or key in _VARIANT_OWN_OPT or key in _VARIANT_OWN_CURRENT
        if key not in own and key not in names and elsewhere:
            fix = ('remove it, or use mode = "optimised" or "zoned"' if mode == "current"
                   else 'remove it (it applies to mode = "current" only)')
            c.fail(f"{prefix}{key}", f'has no effect in mode "{mode}"', fix)
    c.unknown(v, [*own, *names, *WHATIF_KEYS], prefix)


def _checked_name(c: _Checker, name: str, prefix: str, seen: set[str]) -> str:
    if name.lower() in seen:
        # Output folders are named after variants: on Windows and macOS "Zoned" and "zoned" are one.
        c.fail(f"{prefix}name", f"variant name {name!r} is used twice (names ignore case)",
               "give every variant its own name")
    if name.lower() in RESERVED_NAMES:
        c.fail(f"{prefix}name", f"variant name {name!r} is taken by a file or folder of the output",
               "rename the variant (e.g. 'zoned_k2'); reserved: " + ", ".join(sorted(RESERVED_NAMES)))
    seen.add(name.lower())
    return name


def check_references(scenario: ScenarioFile, provider_ids, zone_ids) -> None:
    """Every provider and zone a variant names (``exclude`` and the switches of kind ``providers`` and
    ``provider_zones``) exists in the data."""
    providers, zones = set(provider_ids), set(zone_ids)
    c = _Checker(scenario.text, str(scenario.path or "scenario"))
    for v in scenario.variants:
        named = {"exclude": (list(v.exclude), [])}
        named.update({f.name: switches.ids_named(f, v.switches[f.name]) for f in switches.rule_fields()
                      if f.name in v.switches})
        for key, (pids, zids) in named.items():
            _known(c, f"variants[{v.index}].{key}", pids, providers, "provider", "providers.csv")
            _known(c, f"variants[{v.index}].{key}", zids, zones, "zone", "the zones file")
        both = set(v.protect) & set(v.exclude)
        if both:
            c.fail(f"variants[{v.index}].exclude", f"{sorted(both)} are both protected and excluded",
                   "name each provider in at most one of protect and exclude")
        _check_locks(c, v)


def _check_locks(c: _Checker, v) -> None:
    """A provider both reserved a zone and locked out of it: the zone's clients could go to nobody (they were
    left unmet with a reason that blamed cost)."""
    reserve, lock_out = v.switches.get("reserve") or {}, v.switches.get("lock_out") or {}
    both = sorted(f"{p} in {z}" for p, zs in reserve.items() for z in zs if z in (lock_out.get(p) or ()))
    if both:
        c.fail(f"variants[{v.index}].lock_out", f"{', '.join(both)}: both reserved and locked out",
               "name each provider and zone in at most one of reserve and lock_out")


def _known(c: _Checker, key: str, named: list[str], known: set[str], what: str, where: str) -> None:
    for item in named:
        if item not in known:
            shown = ", ".join(sorted(known)[:20]) + (" ..." if len(known) > 20 else "")
            c.fail(key, f"{what} {item!r} does not exist in {where}", f"use {what} ids of {where} ({shown})")
