"""The scenario folder as typed, frozen domain objects, after checking everything.

:func:`load_scenario` reads ``clients``, ``providers``, ``hubs``, ``pools`` (CSV or .xlsx), ``zones.geojson``
and ``dataset.json``; checks every cell, every table and every cross-reference, and where the points lie
(on land, inside the region, in the zone they claim); and raises one :class:`InputError` listing every
error at once. Warnings are kept on :attr:`ScenarioData.warnings`.

:func:`check_scenario` does the same without raising, for ``commissioning validate``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from commissioning.errors import InputError, Problem
from commissioning.schema import (
    CSV_TABLES,
    DATASET_FILE,
    LIST_SEPARATOR,
    MAX_POOL_MEMBERS,
    NO_WORDS,
    TABLES,
    TRAVEL_MODELS,
    YES_WORDS,
    Column,
    Table,
    number_text,
)

# Geography tolerances.
REGION_TOLERANCE_M = 1_000.0  # a point this close to a zone polygon counts as inside the region
ZONE_TOLERANCE_M = 1_000.0  # a client this close to its own zone is not "in another zone"
COAST_TOLERANCE_M = 150.0  # harbour-side houses: this close to land counts as on land
SEA_NEAR_REGION_KM = 10.0  # a wet point this close to the region is "in the sea", not "outside"
LAND_BBOX_BUFFER_DEG = 0.1
_M_PER_DEG_LAT = 111_320.0

ZONES_FILE = "zones.geojson"
_FILE_ORDER = {"dataset.json": 0, ZONES_FILE: 1}
_MISSING_WORDS = {"nan", "na", "n/a", "null", "none", "-", "#n/a"}


# ----------------------------------------------------------------------------------------------------
# Domain objects
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    client_id: str
    lon: float
    lat: float
    zone: str
    weekly_hours: float
    visits_per_week: int
    carers_per_visit: int
    time_bands: tuple[str, ...]
    needs: tuple[str, ...]
    funder: str
    current_provider: str | None
    pinned: bool = False


@dataclass(frozen=True)
class Provider:
    provider_id: str
    name: str
    kind: str
    base_lon: float
    base_lat: float
    weekly_staff_hours: float
    hourly_rate_gbp: float
    skills: tuple[str, ...]
    non_driver_share: float
    min_viable_hours: float = 0.0
    max_weekly_hours: float | None = None  # None: no limit given


@dataclass(frozen=True)
class Hub:
    hub_id: str
    provider_id: str
    lon: float
    lat: float
    carers: int | None  # None for the default hub at a provider's base (hubs.csv did not say)


@dataclass(frozen=True)
class Pool:
    pool_id: str
    zones: tuple[str, ...]
    weekly_hours: float
    members: tuple[str, ...]


@dataclass(frozen=True)
class Zone:
    zone_id: str
    name: str
    locality: str | None
    remote: bool
    geometry: BaseGeometry  # Polygon or MultiPolygon, WGS84 (lon, lat)


@dataclass(frozen=True)
class ScenarioData:
    clients: tuple[Client, ...]
    providers: tuple[Provider, ...]
    hubs: tuple[Hub, ...]
    pools: tuple[Pool, ...]
    zones: tuple[Zone, ...]
    dataset: dict[str, Any] = field(default_factory=dict, hash=False)
    travel_model: str = "approximate"  # "network" or "approximate"
    warnings: tuple[Problem, ...] = ()
    folder: Path | None = field(default=None, compare=False)

    @property
    def region(self) -> str | None:
        return self.dataset.get("region")

    def counts(self) -> dict[str, int]:
        return {
            "clients": len(self.clients),
            "providers": len(self.providers),
            "hubs": len(self.hubs),
            "pools": len(self.pools),
            "zones": len(self.zones),
        }

    @cached_property
    def provider_by_id(self) -> dict[str, Provider]:
        return {p.provider_id: p for p in self.providers}

    @cached_property
    def zone_by_id(self) -> dict[str, Zone]:
        return {z.zone_id: z for z in self.zones}

    def hubs_for(self, provider_id: str) -> tuple[Hub, ...]:
        """The provider's hubs from ``hubs``; if it has none, one default hub at its base."""
        own = tuple(h for h in self.hubs if h.provider_id == provider_id)
        if own:
            return own
        p = self.provider_by_id[provider_id]
        return (Hub(f"{provider_id}-base", provider_id, p.base_lon, p.base_lat, None),)


@dataclass
class ScenarioCheck:
    """What :func:`check_scenario` found: the data (``None`` if any error), the problems listed (at most
    ``tables.MAX_PROBLEMS_PER_FILE`` per file, then one summary line per file), row counts, and
    ``totals``: how many errors and warnings were found in all, listed or not."""

    data: ScenarioData | None
    problems: list[Problem]
    counts: dict[str, int]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


# ----------------------------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------------------------


def load_scenario(
    folder: str | Path,
    *,
    region_land: BaseGeometry | None = None,
    check_geography: bool = True,
) -> ScenarioData:
    """Read and check a scenario folder; on any error raise one :class:`InputError` listing every problem.

    ``region_land``: land polygons (WGS84) covering the zones; by default the OpenStreetMap land clipped to
    the zones' bounds (slow the first time, then cached on disk). ``check_geography=False`` skips the
    on-land / in-region / in-zone checks of points (for quick tests); zone polygons are still read.
    """
    result = check_scenario(folder, region_land=region_land, check_geography=check_geography)
    if result.data is None:
        raise InputError(result.problems)
    return result.data


def check_scenario(
    folder: str | Path,
    *,
    region_land: BaseGeometry | None = None,
    check_geography: bool = True,
) -> ScenarioCheck:
    """Like :func:`load_scenario` but returns every problem instead of raising."""
    from commissioning.tables import ProblemLog, read_table, read_zones

    folder = Path(folder)
    problems = ProblemLog()
    counts = {"clients": 0, "providers": 0, "hubs": 0, "pools": 0, "zones": 0}
    if not folder.is_dir():
        problems.append(
            Problem(
                str(folder),
                None,
                None,
                None,
                "the scenario folder does not exist"
                if not folder.exists()
                else "this is a file, not a folder",
                "give the folder that holds clients.csv, providers.csv and zones.geojson",
            )
        )
        return _checked(None, problems, counts)

    dataset, travel_model = _read_dataset(folder, problems)

    zones_frame = read_zones(folder, problems=problems)
    zones = _check_zones(zones_frame, problems) if zones_frame is not None else None
    counts["zones"] = len(zones_frame) if zones_frame is not None else 0

    parsed: dict[str, _Parsed | None] = {}
    for stem in CSV_TABLES:
        frame, source = read_table(folder, stem, problems=problems)
        parsed[stem] = _parse_table(frame, TABLES[stem], source, problems) if frame is not None else None
        counts[stem] = len(frame) if frame is not None else 0

    # A table not read in full cannot say which ids are unknown: its own problems are reported instead.
    zone_ids = {z.zone_id for z in zones} if zones is not None else None
    providers = parsed["providers"]
    provider_ids = providers.ids() if providers is not None and providers.complete else None
    _check_references(parsed, zone_ids, provider_ids, problems)

    if check_geography and zones:
        land = region_land if region_land is not None else _region_land(dataset)
        _check_geography(parsed, zones, land, problems)

    if _error_count(problems):
        return _checked(None, problems, counts)
    data = ScenarioData(
        clients=tuple(Client(**r) for r in parsed["clients"].records),
        providers=tuple(Provider(**r) for r in parsed["providers"].records),
        hubs=tuple(Hub(**r) for r in parsed["hubs"].records) if parsed["hubs"] else (),
        pools=tuple(Pool(**r) for r in parsed["pools"].records) if parsed["pools"] else (),
        zones=tuple(zones),
        dataset=dataset,
        travel_model=travel_model,
        folder=folder,
    )
    return _checked(data, problems, counts)


def _checked(data: ScenarioData | None, problems, counts: dict[str, int]) -> ScenarioCheck:
    """The check's result: problems listed in file and row order, at most so many per file."""
    listed = problems.listing(_sort_key)
    totals = {"error": problems.total("error"), "warning": problems.total("warning")}
    if data is not None:
        data = dataclasses.replace(data, warnings=tuple(listed))
    return ScenarioCheck(data, listed, counts, totals)


def _sort_key(problem: Problem) -> tuple:
    table_order = {f"{stem}{ext}": 2 + i for i, stem in enumerate(CSV_TABLES) for ext in (".csv", ".xlsx")}
    order = {**_FILE_ORDER, **table_order}
    return (order.get(problem.file, 99), problem.file, problem.row or 0)


# ----------------------------------------------------------------------------------------------------
# dataset.json
# ----------------------------------------------------------------------------------------------------


MAX_DATASET_BYTES = 1_000_000  # dataset.json is a few lines of metadata; anything bigger is the wrong file


def _read_dataset(folder: Path, problems: list[Problem]) -> tuple[dict[str, Any], str]:
    """``(dataset, travel_model)``. Without ``dataset.json``: no region, approximate travel.

    On any error ``({}, "approximate")``: callers may use the dataset as a dict whatever the file holds."""
    path = folder / DATASET_FILE
    if not path.is_file():
        return {}, "approximate"
    doc = _dataset_document(path, problems)
    if doc is None:
        return {}, "approximate"
    region = doc.get("region")
    region_ok = _check_region(region, problems)
    default_model = "network" if isinstance(region, str) and region else "approximate"
    model = doc.get("travel_model", default_model)
    if model not in TRAVEL_MODELS:
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                "travel_model",
                model,
                f"'travel_model' must be one of {', '.join(TRAVEL_MODELS)}",
                'write "travel_model": "network" (embedded region) or "approximate"',
            )
        )
        model = "approximate"
    elif model == "network" and region_ok and region is None:
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                "travel_model",
                model,
                "'travel_model' is 'network' but there is no region, so there is no road network to use",
                'write "travel_model": "approximate" (great-circle estimates), or name an embedded region',
            )
        )
    return doc, model


def _dataset_document(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """The JSON object in dataset.json, or ``None`` after recording why not."""

    def bad(message: str, fix: str) -> None:
        problems.append(Problem(DATASET_FILE, None, None, None, message, fix))

    if path.stat().st_size > MAX_DATASET_BYTES:
        return bad(
            f"the file is larger than {MAX_DATASET_BYTES // 1_000_000} MB: it is not scenario metadata",
            "check that it is the right file, or delete dataset.json (it is optional)",
        )
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        return bad(f"the file is not UTF-8 text ({error.reason})", "save it as UTF-8 text")
    except json.JSONDecodeError as error:
        return bad(
            f"the file is not valid JSON: {error.msg} at line {error.lineno}, character {error.colno}",
            "correct the JSON, or delete dataset.json (it is optional)",
        )
    except RecursionError:
        return bad("the file nests JSON too deeply to read", "correct the JSON, or delete dataset.json")
    if not isinstance(doc, dict):
        return bad(
            f"the file must hold one JSON object ({{...}}), not {_json_kind(doc)}",
            'write e.g. {"region": null, "travel_model": "approximate"}, or delete the file',
        )
    return doc


def _json_kind(doc: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "true/false", int: "a number", float: "a number"}
    return "null" if doc is None else kinds.get(type(doc), type(doc).__name__)


def _check_region(region: object, problems: list[Problem]) -> bool:
    """True if ``region`` is null or an embedded region; else an error naming the known ones.

    An unknown name used to be read as "no region" and silently given great-circle travel."""
    from geodata.region import REGIONS

    if region is None or (isinstance(region, str) and region in REGIONS):
        return True
    names = sorted(REGIONS)
    known = ", ".join(f'"{name}"' for name in names)
    close = (
        difflib.get_close_matches(region.lower(), names, n=1, cutoff=0.6) if isinstance(region, str) else []
    )
    problems.append(
        Problem(
            DATASET_FILE,
            None,
            "region",
            region,
            f"'region' must be one of the embedded regions ({known}) or null",
            (f'did you mean "{close[0]}"? ' if close else "")
            + f'write "region": "{names[0]}" for an embedded region, or "region": null for your own '
            "geography (travel is then approximate: great-circle distance)",
        )
    )
    return False


def _region_land(dataset: dict[str, Any]) -> BaseGeometry | None:
    """The embedded region's land (the same polygons ``run`` uses), or ``None`` without a known region."""
    from geodata.region import REGIONS

    region = dataset.get("region")
    if not isinstance(region, str) or region not in REGIONS:
        return None
    from geodata.land import land_geometry

    return land_geometry(REGIONS[region][1])


# ----------------------------------------------------------------------------------------------------
# Cells
# ----------------------------------------------------------------------------------------------------


class _Invalid:
    """A cell that failed its check (a Problem was recorded); later checks skip it."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "INVALID"


INVALID = _Invalid()


def _suggest(word: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(
        word.lower().replace(" ", "_").replace("-", "_"), allowed, n=1, cutoff=0.6
    )
    return f"did you mean '{close[0]}'? " if close else ""


def _number_problem(text: str, col: Column) -> tuple[str, str]:
    """(message, fix) for a cell that is not a number."""
    what = "a whole number" if col.type == "integer" else "a number"
    example = _example(col)
    single_comma = text.count(",") == 1 and "." not in text
    if text.lower() in _MISSING_WORDS:
        return f"'{text}' marks a missing value, but {col.name} needs {what}", f"enter {what}, e.g. {example}"
    if text.startswith("="):
        return (
            f"'{text}' is a spreadsheet formula with no saved result",
            f"open the file in Excel or LibreOffice and save it so the result is stored, or type {what}",
        )
    if "," in text and text.replace(",", "").replace(".", "").lstrip("+-").isdigit():
        return (
            f"'{text}' is not {what}: use a point for decimals and no thousands separators",
            f"write it like {text.replace(',', '.') if single_comma else example}",
        )
    return f"'{text}' is not {what}", f"enter {what}, e.g. {example}"


def _example(col: Column) -> str:
    if col.name in ("lon", "base_lon"):
        return "-5.472"
    if col.name in ("lat", "base_lat"):
        return "56.415"
    if col.type == "integer":
        return f"{int(col.min) if col.min is not None and col.min > 0 else 1}"
    if col.max is not None and col.max <= 1:
        return "0.25"
    return "7.5"


def _range_problem(value: float, col: Column) -> str | None:
    lo_bad = col.min is not None and (value < col.min or (value == col.min and not col.min_inclusive))
    hi_bad = col.max is not None and (value > col.max or (value == col.max and not col.max_inclusive))
    if not (lo_bad or hi_bad):
        return None
    lo, hi = (number_text(b) if b is not None else None for b in (col.min, col.max))
    if col.type == "integer" and col.min is not None and col.max is not None and col.max - col.min == 1:
        return f"must be {lo} or {hi}"
    if col.min is not None and col.max is not None and col.min_inclusive and col.max_inclusive:
        return f"must be in [{lo}, {hi}]"
    if lo_bad:
        return f"must be {'at least' if col.min_inclusive else 'greater than'} {lo}"
    return f"must be {'at most' if col.max_inclusive else 'less than'} {hi}"


def _parse_cell(text: str, col: Column, source: str, row: int, problems: list[Problem]) -> Any:
    """The typed value of one stripped cell, or ``INVALID`` after recording a Problem."""

    def bad(message: str, fix: str, value: object = text) -> _Invalid:
        problems.append(Problem(source, row, col.name, value if value != "" else None, message, fix))
        return INVALID

    if text == "":
        if not col.required or col.allow_empty:
            return col.default
        return bad(f"{col.name} is empty", _empty_fix(col))

    if col.type == "text":
        return text

    if col.type in ("number", "integer"):
        try:
            if "_" in text:
                raise ValueError(text)
            value = float(text)
        except ValueError:
            message, fix = _number_problem(text, col)
            return bad(message, fix)
        if not math.isfinite(value):
            message, fix = _number_problem("nan" if math.isnan(value) else text, col)
            return bad(message, fix)
        if col.type == "integer":
            if not value.is_integer():
                return bad(
                    f"{col.name} must be a whole number", f"enter a whole number, e.g. {round(value) or 1}"
                )
            value = int(value)
        wrong = _range_problem(value, col)
        if wrong:
            return bad(f"{col.name} {wrong}", _range_fix(col, value))
        return value

    if col.type == "yesno":
        word = text.lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        return bad(f"'{text}' is not yes or no", "write yes or no (true/false and 1/0 also work)")

    if col.type == "choice":
        word = text.lower()
        if word in col.allowed:
            return word
        return bad(
            f"unknown {col.name} '{text}'",
            f"{_suggest(text, col.allowed)}use one of: {', '.join(col.allowed)}",
        )

    if col.type == "list":
        items = [item.strip() for item in text.split(LIST_SEPARATOR)]
        items = [item for item in items if item]
        if col.allowed is not None:
            items = [item.lower() for item in items]
            unknown = [item for item in items if item not in col.allowed]
            if unknown:
                label = {"time_bands": "time band", "needs": "need", "skills": "skill"}.get(col.name, "value")
                comma = any("," in u for u in unknown)
                return bad(
                    f"unknown {label}{'s' if len(unknown) > 1 else ''} "
                    + ", ".join(f"'{u}'" for u in unknown),
                    ("separate list items with ';', not ','. " if comma else "")
                    + "".join(_suggest(u, col.allowed) for u in unknown[:3] if not comma)
                    + f"use only: {', '.join(col.allowed)} (separated by ';')",
                )
        deduped = tuple(dict.fromkeys(items))
        if len(deduped) < len(items):
            problems.append(
                Problem(
                    source,
                    row,
                    col.name,
                    text,
                    f"{col.name} lists the same item twice; it is counted once",
                    "remove the repeated item",
                    "warning",
                )
            )
        if not deduped and not col.allow_empty:
            return bad(
                f"{col.name} has no items", f"enter at least one item, separated by '{LIST_SEPARATOR}'"
            )
        return deduped

    raise AssertionError(f"unknown column type {col.type}")  # pragma: no cover


def _empty_fix(col: Column) -> str:
    if col.type in ("number", "integer"):
        what = "a whole number" if col.type == "integer" else "a number"
        if col.min is not None and col.max is not None:
            what += f" from {number_text(col.min)} to {number_text(col.max)}"
        elif col.min is not None:
            what += f" of at least {col.min:g}" if col.min_inclusive else f" greater than {col.min:g}"
        return f"enter {what}, e.g. {_example(col)}"
    if col.type == "choice":
        return f"enter one of: {', '.join(col.allowed)}"
    if col.type == "yesno":
        return "enter yes or no"
    if col.type == "list":
        if col.allowed is not None:
            return f"enter one or more of: {', '.join(col.allowed)} (separated by '{LIST_SEPARATOR}')"
        what = {"zones": "zone_id", "providers": "provider_id"}.get(col.references or "", "item")
        return (
            f"enter at least one {what}, separated by '{LIST_SEPARATOR}' (e.g. P01{LIST_SEPARATOR}P02)"
            if (what == "provider_id")
            else f"enter at least one {what}, separated by '{LIST_SEPARATOR}'"
        )
    return f"enter the {col.name}" + (" (every row needs its own)" if col.unique else "")


def _range_fix(col: Column, value: float) -> str:
    if col.name in ("lon", "base_lon", "lat", "base_lat"):
        return (
            "check the coordinates: lon is east-west (Scotland about -7 to -1), lat is north-south "
            "(about 55 to 61); if they are the wrong way round, swap lat and lon"
        )
    if col.name == "weekly_hours" and col.max == 168 and value > 168:
        return "a week has 168 hours: enter the assessed care hours per week"
    if col.max is not None and value > col.max >= 10_000:
        # Far beyond any real figure: a slip, or a cell shown in scientific notation. The limit keeps the
        # solver's whole minutes and pence inside 64-bit integers.
        return (
            f"enter a value {col.bounds_text()}; {number_text(value)} is far beyond any real figure "
            "(an extra digit, or a cell in scientific notation?)"
        )
    if col.name == "carers_per_visit":
        return "enter 1, or 2 for a double-up visit"
    if col.name == "non_driver_share":
        if 1 < value <= 100 and float(value).is_integer():
            return f"write the share as a fraction: {value / 100:g} for {value:g}%"
        return "enter a fraction between 0 and 1, e.g. 0.35 if 35% of the carers do not drive"
    if col.min is not None and value <= col.min:
        if col.min_inclusive:
            return f"enter a value of at least {col.min:g}"
        ended = " (delete the row if the package has ended)" if col.name == "weekly_hours" else ""
        return f"enter a value greater than {col.min:g}{ended}"
    return f"enter a value {col.bounds_text()}"


# ----------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    table: Table
    source: str
    rows: list[int]  # spreadsheet row numbers
    values: list[dict[str, Any]]  # typed values per row (INVALID where a Problem was recorded)
    complete: bool = True  # False: checking stopped early (too many errors), later rows are left out

    def ids(self) -> set[str]:
        key = self.table.id_column
        return {v[key] for v in self.values if isinstance(v.get(key), str)}

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.values


def _parse_table(frame, table: Table, source: str, problems: list[Problem]) -> _Parsed:
    """Typed values of every row; stops early (``complete=False``) once ``source`` has as many errors as are
    listed: a file that wrong is usually the wrong file, and checking on only costs time."""
    rows = [int(r) for r in frame.index]
    columns = list(table.columns)
    present = set(frame.columns)
    cells = {c.name: frame[c.name].tolist() if c.name in present else None for c in columns}
    unparsed = set(frame.attrs.get("unparsed_rows", ()))
    full = getattr(problems, "full", lambda _: False)
    values: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if full(source):
            problems.stop_rows(source, row, rows[-1])
            rows = rows[:i]
            break
        if row in unparsed:  # cells shifted by an unquoted comma: its own Problem says so
            values.append(_unparsed_record(table, cells, i, source, row, problems))
            continue
        record: dict[str, Any] = {}
        for col in columns:
            column_cells = cells[col.name]
            if column_cells is None:
                record[col.name] = col.default if not col.required else INVALID  # missing column: reported
                continue
            record[col.name] = _parse_cell(column_cells[i], col, source, row, problems)
        values.append(record)
    complete = len(values) == len(frame) and source not in getattr(problems, "unchecked", {})
    parsed = _Parsed(table, source, rows, values, complete)
    _check_unique(parsed, problems)
    _check_rows(parsed, problems)
    _check_plausible(parsed, problems)
    return parsed


def _unparsed_record(table: Table, cells, i: int, source: str, row: int, problems) -> dict[str, Any]:
    """Every cell INVALID, but the id (first column, rarely shifted) parsed so references still resolve."""
    record = {col.name: INVALID for col in table.columns}
    key = table.id_column
    if key and cells.get(key) is not None:
        record[key] = _parse_cell(cells[key][i], table.by_name[key], source, row, problems)
    return record


def _check_unique(parsed: _Parsed, problems: list[Problem]) -> None:
    for col in parsed.table.columns:
        if not col.unique:
            continue
        where: dict[str, list[int]] = defaultdict(list)
        for row, record in zip(parsed.rows, parsed.values, strict=True):
            value = record[col.name]
            if isinstance(value, str):
                where[value].append(row)
                if LIST_SEPARATOR in value:
                    problems.append(
                        Problem(
                            parsed.source,
                            row,
                            col.name,
                            value,
                            f"{col.name} contains '{LIST_SEPARATOR}', which separates list items",
                            f"remove '{LIST_SEPARATOR}' from the reference",
                        )
                    )
        unit = "feature" if parsed.source.endswith(".geojson") else "row"
        for value, rows in where.items():
            for later in rows[1:]:
                problems.append(
                    Problem(
                        parsed.source,
                        later,
                        col.name,
                        value,
                        f"duplicate {col.name} '{value}': {unit}s {rows[0]} and {later} both use it",
                        f"give each {unit} its own {col.name} (or delete {unit} {later} if it repeats {unit} "
                        f"{rows[0]})",
                    )
                )


def _check_rows(parsed: _Parsed, problems: list[Problem]) -> None:
    """Checks across the cells of one row."""
    stem = parsed.table.stem
    for row, r in zip(parsed.rows, parsed.values, strict=True):
        if stem == "clients":
            if r["pinned"] is True and r["current_provider"] is None:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        "pinned",
                        "yes",
                        "the client is pinned (never moved) but has no current_provider",
                        "enter the chosen provider's provider_id in current_provider, or set pinned to no",
                    )
                )
        elif stem == "providers":
            lo, hi = r["min_viable_hours"], r["max_weekly_hours"]
            if isinstance(lo, float | int) and isinstance(hi, float | int) and lo > hi:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        "min_viable_hours",
                        f"{lo:g}",
                        f"min_viable_hours is more than max_weekly_hours ({hi:g})",
                        "lower min_viable_hours or raise max_weekly_hours",
                    )
                )
        elif stem == "pools":
            members = r["members"]
            if isinstance(members, tuple) and len(members) > MAX_POOL_MEMBERS:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        "members",
                        LIST_SEPARATOR.join(members),
                        f"the pool has {len(members)} member providers; more than {MAX_POOL_MEMBERS} makes "
                        "the partnership complex to run",
                        f"check that {len(members)} providers really share this pool, or split it",
                        "warning",
                    )
                )


# Plausible figures: above these a value is possible but almost always a slip (a monthly figure, an extra
# digit), so it gets a warning with the figures; the hard limits (schema.MAX_*) are errors.
MAX_PLAUSIBLE_VISIT_HOURS = 4.0  # home-care visits last 15 minutes to an hour; 4 hours is a long sit-in
MAX_PLAUSIBLE_VISITS_PER_WEEK = 42  # six a day, the generator's most (generate.MAX_VISITS_PER_WEEK)
MAX_PLAUSIBLE_STAFF_HOURS = 20_000.0  # about 500 full-time carers: a very large provider for one area
MAX_PLAUSIBLE_RATE_GBP = 200.0  # UK home-care rates are about £20-£40 an hour
_PLAUSIBLE_MAX = {  # (table, column): (largest plausible value, what it means)
    ("clients", "visits_per_week"): (MAX_PLAUSIBLE_VISITS_PER_WEEK, "six visits a day"),
    ("providers", "weekly_staff_hours"): (MAX_PLAUSIBLE_STAFF_HOURS, "about 500 full-time carers"),
    ("pools", "weekly_hours"): (MAX_PLAUSIBLE_STAFF_HOURS, "about 500 full-time carers"),
    ("providers", "hourly_rate_gbp"): (MAX_PLAUSIBLE_RATE_GBP, "UK rates are about £20-£40 an hour"),
}
_IF_RIGHT = "if the figure is right, ignore this warning"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_plausible(parsed: _Parsed, problems: list[Problem]) -> None:
    """Warnings, with the figures, for values that are allowed but implausible."""
    stem = parsed.table.stem
    limits = [(col, limit, why) for (t, col), (limit, why) in _PLAUSIBLE_MAX.items() if t == stem]
    for row, r in zip(parsed.rows, parsed.values, strict=True):
        for col, limit, why in limits:
            value = r[col]
            if _is_number(value) and value > limit:
                problems.append(
                    Problem(
                        parsed.source,
                        row,
                        col,
                        number_text(value),
                        f"{col} is {number_text(value)}, more than {number_text(limit)} ({why})",
                        f"check the figure (a monthly or yearly total, or an extra digit?); {_IF_RIGHT}",
                        "warning",
                    )
                )
        if stem == "clients":
            _check_visit_length(parsed.source, row, r, problems)


def _check_visit_length(source: str, row: int, r: dict[str, Any], problems: list[Problem]) -> None:
    hours, visits = r["weekly_hours"], r["visits_per_week"]
    if not (_is_number(hours) and _is_number(visits) and visits > 0):
        return
    per_visit_h = hours / visits
    if per_visit_h <= MAX_PLAUSIBLE_VISIT_HOURS:
        return
    problems.append(
        Problem(
            source,
            row,
            "weekly_hours",
            f"{number_text(hours)} h in {visits} visits",
            f"one visit lasts {per_visit_h:.1f} hours on average (weekly_hours {number_text(hours)} ÷ "
            f"visits_per_week {visits}); more than {MAX_PLAUSIBLE_VISIT_HOURS:g} hours is unusual for a "
            "home-care visit",
            "check weekly_hours (the week's total: 14 visits of 30 minutes = 7 hours) and visits_per_week; "
            + _IF_RIGHT,
            "warning",
        )
    )


def _check_references(
    parsed: dict[str, _Parsed | None],
    zone_ids: set[str] | None,
    provider_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    known = {"zones": zone_ids, "providers": provider_ids}
    full = getattr(problems, "full", lambda _: False)
    for stem in CSV_TABLES:
        p = parsed[stem]
        if p is None:
            continue
        for col in p.table.columns:
            ids = known.get(col.references) if col.references else None
            if ids is None:
                continue  # the referenced table could not be read: its own problem is reported
            target = "zones.geojson (zone_id)" if col.references == "zones" else "providers (provider_id)"
            for row, record in zip(p.rows, p.values, strict=True):
                value = record[col.name]
                members = value if isinstance(value, tuple) else (value,) if isinstance(value, str) else ()
                unknown = [m for m in members if m not in ids]
                if not unknown:
                    continue
                if full(p.source):  # count only: the close-match search below costs ~0.1 ms per row
                    problems.omit(p.source)
                    continue
                listing = ", ".join(sorted(ids)[:12]) + (", ..." if len(ids) > 12 else "")
                hint = "".join(_suggest_id(u, ids) for u in unknown[:3])
                problems.append(
                    Problem(
                        p.source,
                        row,
                        col.name,
                        LIST_SEPARATOR.join(unknown),
                        f"unknown {col.references[:-1]} "
                        + ", ".join(f"'{u}'" for u in unknown)
                        + f": not in {target}",
                        f"{hint}use one of: {listing}"
                        + (
                            " (or leave it empty for a new package)" if col.name == "current_provider" else ""
                        ),
                    )
                )


def _suggest_id(word: str, ids: set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(ids), n=1, cutoff=0.8)
    if not close:
        lowered = {i.lower(): i for i in ids}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"did you mean '{close[0]}'? " if close else ""


# ----------------------------------------------------------------------------------------------------
# Zones
# ----------------------------------------------------------------------------------------------------


def _check_zones(frame, problems: list[Problem]) -> list[Zone] | None:
    """Zone objects from the zones GeoDataFrame (index = feature number); ``None`` if any error."""
    table = TABLES["zones"]
    before = _error_count(problems)
    parsed = _parse_table(frame.drop(columns="geometry"), table, ZONES_FILE, problems)
    zones: list[Zone] = []
    for feature, record, geom in zip(parsed.rows, parsed.values, frame.geometry, strict=True):
        label = f"feature {feature}" + (
            f" (zone_id '{record['zone_id']}')" if isinstance(record["zone_id"], str) else ""
        )
        geom = _zone_geometry(geom, label, feature, problems)
        if geom is None or any(v is INVALID for v in record.values()):
            continue
        zones.append(Zone(record["zone_id"], record["name"], record["locality"], record["remote"], geom))
    return zones if _error_count(problems) == before and parsed.complete else None


def _error_count(problems: list[Problem]) -> int:
    """Errors found so far, including those a :class:`~commissioning.tables.ProblemLog` only counted."""
    total = getattr(problems, "total", None)
    return total("error") if total else sum(p.severity == "error" for p in problems)


def _zone_geometry(geom, label: str, feature: int, problems: list[Problem]) -> BaseGeometry | None:
    """The zone's polygon (repaired with a warning if invalid), or ``None`` after recording an error."""

    def error(value: object, message: str, fix: str) -> None:
        problems.append(Problem(ZONES_FILE, feature, "geometry", value, f"{label} {message}", fix))

    if geom is None or geom.is_empty:
        return error(None, "has no geometry", "draw the zone's polygon, or delete the feature")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return error(
            geom.geom_type,
            f"is a {geom.geom_type}, not a polygon",
            "give each zone a Polygon or MultiPolygon geometry (its boundary, not a point or line)",
        )
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return error(
            "NaN or infinite coordinate",
            "has corners whose coordinates are not numbers (NaN or infinite)",
            REDRAW_ZONE,
        )
    if not _within_world(geom.bounds):
        return error(
            _bounds_text(geom.bounds),
            "reaches beyond longitude -180 to 180 or latitude -90 to 90",
            "check the coordinates and the file's CRS (WGS84 degrees if it has no 'crs' member)",
        )
    if not geom.is_valid:
        geom = _repair(geom, label, feature, problems)
        if geom is None:
            return None
    return _zone_area_ok(geom, label, feature, problems)


REDRAW_ZONE = "redraw the zone's polygon in a GIS (e.g. QGIS) and export it again"


def _within_world(bounds: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _bounds_text(bounds: tuple[float, float, float, float]) -> str:
    return "bounds " + ", ".join(f"{v:g}" for v in bounds)


def _repair(geom: BaseGeometry, label: str, feature: int, problems: list[Problem]) -> BaseGeometry | None:
    """make_valid's polygon parts, with a warning; ``None`` (and an error) when nothing valid with area is
    left: make_valid can return lines, points, a collection, or raise on degenerate input."""
    reason = shapely.is_valid_reason(geom)
    try:
        repaired = _polygonal(shapely.make_valid(geom))
    except shapely.errors.GEOSException:
        repaired = None
    if repaired is not None and (repaired.is_empty or not repaired.is_valid):
        repaired = None
    problems.append(
        Problem(
            ZONES_FILE,
            feature,
            "geometry",
            reason,
            f"{label} has an invalid polygon; it was repaired automatically",
            "check the repaired zone on a map, or fix the polygon in a GIS (e.g. QGIS 'Fix geometries')",
            "warning",
        )
    )
    if repaired is None:
        problems.append(
            Problem(
                ZONES_FILE, feature, "geometry", reason, f"{label} has no area left after repair", REDRAW_ZONE
            )
        )
    return repaired


# A zone is one patch of one council. Highland, the UK's largest council area, is about 26,000 km² and spans
# about 4 degrees: a zone above MAX_ZONE_AREA_KM2 or wider than MAX_ZONE_SPAN_DEG (even a thin one) is a
# mistake (a world-sized box, a wrong CRS, a stray vertex), and would make the land check clip a continent's
# coastline. Below MIN_ZONE_AREA_M2 the polygon is a line (its corners in a row).
MAX_ZONE_AREA_KM2 = 100_000.0
MAX_ZONE_SPAN_DEG = 10.0  # all of Scotland spans about 9 degrees of longitude and 6 of latitude
MIN_ZONE_AREA_M2 = 1.0


def _zone_area_km2(geom: BaseGeometry) -> float:
    """Approximate area: square degrees scaled at the zone's middle latitude (a few % off for a council)."""
    _, miny, _, maxy = geom.bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    return geom.area * k * (_M_PER_DEG_LAT / 1000) ** 2


def _zone_area_ok(
    geom: BaseGeometry, label: str, feature: int, problems: list[Problem]
) -> BaseGeometry | None:
    area_km2 = _zone_area_km2(geom)
    minx, miny, maxx, maxy = geom.bounds
    span_deg = max(maxx - minx, maxy - miny)
    if span_deg > MAX_ZONE_SPAN_DEG and area_km2 <= MAX_ZONE_AREA_KM2:
        message = f"spans {span_deg:,.1f} degrees, more than the {MAX_ZONE_SPAN_DEG:g} of any patch"
        fix = "check the polygon for a stray corner far away, and the file's CRS"
    elif area_km2 > MAX_ZONE_AREA_KM2:
        message = f"covers about {area_km2:,.0f} km², more than the {MAX_ZONE_AREA_KM2:,.0f} km² of any patch"
        fix = "check the polygon and the file's CRS: a zone is one patch of a council (Highland: 26,000 km²)"
    elif area_km2 * 1e6 < MIN_ZONE_AREA_M2:
        message, fix = "has no area (its corners lie on one line or one point)", REDRAW_ZONE
    else:
        return geom
    problems.append(
        Problem(ZONES_FILE, feature, "geometry", _bounds_text(geom.bounds), f"{label} {message}", fix)
    )
    return None


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygon parts of a repaired geometry (make_valid may return a collection with lines)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") else None


# ----------------------------------------------------------------------------------------------------
# Geography of points
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Points:
    source: str
    column: str  # e.g. "lon, lat"
    rows: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    zone: list[str | None]  # the zone the row claims (clients only)
    outside_severity: list[str]


def _points(
    parsed: _Parsed,
    lon_col: str,
    lat_col: str,
    zone_col: str | None,
    outside_severity: list[str] | None = None,
) -> _Points:
    keep = [
        i
        for i, r in enumerate(parsed.values)
        if isinstance(r[lon_col], float | int) and isinstance(r[lat_col], float | int)
    ]
    return _Points(
        source=parsed.source,
        column=f"{lon_col}, {lat_col}",
        rows=np.array([parsed.rows[i] for i in keep], dtype=int),
        lon=np.array([parsed.values[i][lon_col] for i in keep], dtype=float),
        lat=np.array([parsed.values[i][lat_col] for i in keep], dtype=float),
        zone=[parsed.values[i][zone_col] if zone_col else None for i in keep],
        outside_severity=[outside_severity[i] for i in keep] if outside_severity else ["error"] * len(keep),
    )


class _LocalFrame:
    """Lon/lat scaled by cos(mid latitude): planar distances then read in degrees of latitude (~111.32 km)."""

    def __init__(self, mid_lat: float):
        self.kx = math.cos(math.radians(mid_lat))

    def geom(self, geom):
        return shapely.transform(geom, lambda xy: xy * np.array([self.kx, 1.0]))

    def points(self, lon, lat):
        return shapely.points(np.asarray(lon) * self.kx, np.asarray(lat))

    @staticmethod
    def deg(metres: float) -> float:
        return metres / _M_PER_DEG_LAT


def _fmt_point(lon: float, lat: float) -> str:
    return f"lon {lon:g}, lat {lat:g}"


def _check_geography(
    parsed: dict[str, _Parsed | None],
    zones: list[Zone],
    region_land: BaseGeometry | None,
    problems: list[Problem],
) -> None:
    point_sets: list[_Points] = []
    if parsed["clients"] is not None:
        point_sets.append(_points(parsed["clients"], "lon", "lat", "zone"))
    if parsed["providers"] is not None:
        # A base outside the region is an office elsewhere (fine) unless carers start there (no hubs).
        hub_owners = (
            {r["provider_id"] for r in parsed["hubs"].values} if parsed["hubs"] is not None else set()
        )
        severity = [
            "warning" if r["provider_id"] in hub_owners else "error" for r in parsed["providers"].values
        ]
        point_sets.append(_points(parsed["providers"], "base_lon", "base_lat", None, severity))
    if parsed["hubs"] is not None:
        point_sets.append(_points(parsed["hubs"], "lon", "lat", None))
    point_sets = [s for s in point_sets if len(s.rows)]
    if not point_sets:
        return

    geoms = np.array([z.geometry for z in zones], dtype=object)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    frame = _LocalFrame((miny + maxy) / 2)
    local = np.array([frame.geom(g) for g in geoms], dtype=object)
    tree = shapely.STRtree(local)
    region_deg = frame.deg(REGION_TOLERANCE_M)
    zone_index = {z.zone_id: k for k, z in enumerate(zones)}

    land = region_land
    if land is None:
        from geodata.land import land_geometry

        b = LAND_BBOX_BUFFER_DEG
        bbox = (round(minx - b, 4), round(miny - b, 4), round(maxx + b, 4), round(maxy + b, 4))
        land = land_geometry(bbox)

    region_local = shapely.union_all(local)
    for s in point_sets:
        pts = frame.points(s.lon, s.lat)
        near = tree.query(pts, predicate="dwithin", distance=region_deg)
        in_region = np.zeros(len(pts), dtype=bool)
        in_region[near[0]] = True

        # Outside the region: say whether swapping lat and lon would put it inside.
        outside = np.flatnonzero(~in_region)
        if len(outside):
            swapped = frame.points(s.lat[outside], s.lon[outside])
            swap_hits = tree.query(swapped, predicate="dwithin", distance=region_deg)
            swap_ok = np.zeros(len(outside), dtype=bool)
            swap_ok[swap_hits[0]] = True
            dist_km = shapely.distance(region_local, pts[outside]) * _M_PER_DEG_LAT / 1000
            from geodata.land import distance_to_land_m

            # Points near the region but in open water are "in the sea", which says what to fix.
            sea_m = distance_to_land_m(s.lon[outside], s.lat[outside], land)
            sea_ok = (sea_m <= COAST_TOLERANCE_M) | (dist_km > SEA_NEAR_REGION_KM)
            for j, i in enumerate(outside):
                lon, lat = float(s.lon[i]), float(s.lat[i])
                if swap_ok[j]:
                    message = "the point is outside the region; lat and lon look swapped"
                    fix = f"swap lat and lon (lon {lat:g}, lat {lon:g} is inside the region)"
                    severity = "error"
                elif not sea_ok[j]:
                    # Off land, close to the region: a sea loch or sound, not another area.
                    message = f"the point is in the sea, {sea_m[j]:,.0f} m from the nearest land"
                    fix = (
                        "check the coordinates (a digit or sign may be wrong; lon is east-west, lat "
                        "north-south), e.g. look the address up on a map and copy its lon/lat"
                    )
                    severity = "error"
                else:
                    message = f"the point is outside the region, {dist_km[j]:.0f} km from the nearest zone"
                    fix = (
                        "check the coordinates (lon is east-west, lat north-south, WGS84 degrees), "
                        "or add the "
                        "zone it lies in to zones.geojson"
                    )
                    severity = s.outside_severity[i]
                    if severity == "warning":
                        message += "; the provider has hubs, so only its office is outside"
                problems.append(
                    Problem(s.source, int(s.rows[i]), s.column, _fmt_point(lon, lat), message, fix, severity)
                )

        # In the sea: only for points inside the region (outside ones were reported above).
        inside = np.flatnonzero(in_region)
        if len(inside):
            from geodata.land import distance_to_land_m, on_land

            wet = inside[~on_land(s.lon[inside], s.lat[inside], land)]
            if len(wet):
                metres = distance_to_land_m(s.lon[wet], s.lat[wet], land)
                for i, m in zip(wet, metres, strict=True):
                    if m <= COAST_TOLERANCE_M:
                        continue
                    problems.append(
                        Problem(
                            s.source,
                            int(s.rows[i]),
                            s.column,
                            _fmt_point(float(s.lon[i]), float(s.lat[i])),
                            f"the point is in the sea, {m:,.0f} m from the nearest land",
                            "check the coordinates (a digit or sign may be wrong; lon is east-west, lat "
                            "north-south), e.g. look the address up on a map and copy its lon/lat",
                        )
                    )

        # Clients: inside another zone than the one they claim.
        if any(z is not None for z in s.zone):
            claim = np.array([zone_index.get(z, -1) if z is not None else -1 for z in s.zone])
            check = np.flatnonzero((claim >= 0) & in_region)
            if len(check):
                dist = shapely.distance(local[claim[check]], pts[check])
                far = check[dist > frame.deg(ZONE_TOLERANCE_M)]
                if len(far):
                    holder = tree.query(pts[far], predicate="within")
                    owner = {int(a): zones[int(b)].zone_id for a, b in zip(holder[0], holder[1], strict=True)}
                    for j, i in enumerate(far):
                        other = owner.get(j)
                        if other is None:
                            continue  # near the region edge but in no polygon: no better zone to suggest
                        km = float(shapely.distance(local[claim[i]], pts[i])) * _M_PER_DEG_LAT / 1000
                        problems.append(
                            Problem(
                                s.source,
                                int(s.rows[i]),
                                "zone",
                                s.zone[i],
                                f"the client's point lies inside zone '{other}', {km:.1f} km outside zone "
                                f"'{s.zone[i]}'",
                                f"check the coordinates, or set zone to '{other}'",
                                "warning",
                            )
                        )
