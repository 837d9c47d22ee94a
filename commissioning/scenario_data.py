"""The scenario folder as typed, frozen domain objects, after checking everything.

:func:`load_scenario` reads ``clients``, ``providers``, ``hubs``, ``pools`` (CSV or .xlsx), ``zones.geojson``
and ``dataset.json``; checks every cell, every table and every cross-reference, and where the points lie
(on land, inside the region, in the zone they claim); and raises one :class:`InputError` listing every
error at once. Warnings are kept on :attr:`ScenarioData.warnings`.

:func:`check_scenario` does the same without raising, for ``commissioning validate``.
"""

from __future__ import annotations

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
)

# Geography tolerances.
REGION_TOLERANCE_M = 1_000.0  # a point this close to a zone polygon counts as inside the region
ZONE_TOLERANCE_M = 1_000.0  # a client this close to its own zone is not "in another zone"
COAST_TOLERANCE_M = 150.0  # harbour-side houses: this close to land counts as on land
SEA_NEAR_REGION_KM = 10.0  # a wet point this close to the region is "in the sea", not "outside"
LAND_BBOX_BUFFER_DEG = 0.1
_M_PER_DEG_LAT = 111_320.0

_FILE_ORDER = {"dataset.json": 0, "zones.geojson": 1}
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
    """What :func:`check_scenario` found: the data (``None`` if any error), every problem, row counts."""

    data: ScenarioData | None
    problems: list[Problem]
    counts: dict[str, int]

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
    from commissioning.tables import read_table, read_zones

    folder = Path(folder)
    problems: list[Problem] = []
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
        return ScenarioCheck(None, problems, counts)

    dataset, travel_model = _read_dataset(folder, problems)

    zones_frame = read_zones(folder, problems=problems)
    zones = _check_zones(zones_frame, problems) if zones_frame is not None else None
    counts["zones"] = len(zones_frame) if zones_frame is not None else 0

    parsed: dict[str, _Parsed | None] = {}
    for stem in CSV_TABLES:
        frame, source = read_table(folder, stem, problems=problems)
        if frame is None:
            parsed[stem] = None
            continue
        parsed[stem] = _parse_table(frame, TABLES[stem], source, problems)
        counts[stem] = len(frame)

    zone_ids = {z.zone_id for z in zones} if zones is not None else None
    provider_ids = parsed["providers"].ids() if parsed["providers"] is not None else None
    _check_references(parsed, zone_ids, provider_ids, problems)

    if check_geography and zones:
        _check_geography(parsed, zones, region_land, problems)

    problems = _sorted(problems)
    if any(p.severity == "error" for p in problems):
        return ScenarioCheck(None, problems, counts)

    data = ScenarioData(
        clients=tuple(Client(**r) for r in parsed["clients"].records),
        providers=tuple(Provider(**r) for r in parsed["providers"].records),
        hubs=tuple(Hub(**r) for r in parsed["hubs"].records) if parsed["hubs"] else (),
        pools=tuple(Pool(**r) for r in parsed["pools"].records) if parsed["pools"] else (),
        zones=tuple(zones),
        dataset=dataset,
        travel_model=travel_model,
        warnings=tuple(problems),
        folder=folder,
    )
    return ScenarioCheck(data, problems, counts)


def _sorted(problems: list[Problem]) -> list[Problem]:
    table_order = {f"{stem}{ext}": 2 + i for i, stem in enumerate(CSV_TABLES) for ext in (".csv", ".xlsx")}
    order = {**_FILE_ORDER, **table_order}
    return sorted(problems, key=lambda p: (order.get(p.file, 99), p.file, p.row or 0))


# ----------------------------------------------------------------------------------------------------
# dataset.json
# ----------------------------------------------------------------------------------------------------


def _read_dataset(folder: Path, problems: list[Problem]) -> tuple[dict[str, Any], str]:
    """``(dataset, travel_model)``. Without ``dataset.json``: no region, approximate travel."""
    path = folder / DATASET_FILE
    if not path.is_file():
        return {}, "approximate"
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                None,
                None,
                f"the file is not UTF-8 text ({error.reason})",
                "save it as UTF-8 text",
            )
        )
        return {}, "approximate"
    except json.JSONDecodeError as error:
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                None,
                None,
                f"the file is not valid JSON: {error.msg} at line {error.lineno}, character {error.colno}",
                "correct the JSON, or delete dataset.json (it is optional)",
            )
        )
        return {}, "approximate"
    if not isinstance(doc, dict):
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                None,
                None,
                "the file must hold one JSON object ({...})",
                'write e.g. {"region": null, "travel_model": "approximate"}, or delete the file',
            )
        )
        return {}, "approximate"
    region = doc.get("region")
    if region is not None and not isinstance(region, str):
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                "region",
                region,
                "'region' must be a region name or null",
                'write e.g. "region": "argyll-bute", or "region": null for your own geography',
            )
        )
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
    return doc, model


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
    if col.type == "integer" and col.min is not None and col.max is not None and col.max - col.min == 1:
        return f"must be {col.min:g} or {col.max:g}"
    if col.min is not None and col.max is not None and col.min_inclusive and col.max_inclusive:
        return f"must be in [{col.min:g}, {col.max:g}]"
    if lo_bad:
        return f"must be {'at least' if col.min_inclusive else 'greater than'} {col.min:g}"
    return f"must be {'at most' if col.max_inclusive else 'less than'} {col.max:g}"


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
            what += f" from {col.min:g} to {col.max:g}"
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
    if col.name == "weekly_hours" and value > 168:
        return "a week has 168 hours: enter the assessed care hours per week"
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

    def ids(self) -> set[str]:
        key = self.table.id_column
        return {v[key] for v in self.values if isinstance(v.get(key), str)}

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.values


def _parse_table(frame, table: Table, source: str, problems: list[Problem]) -> _Parsed:
    rows = [int(r) for r in frame.index]
    columns = [c for c in table.columns]
    present = set(frame.columns)
    values: list[dict[str, Any]] = []
    cells = {c.name: frame[c.name].tolist() if c.name in present else None for c in columns}
    unparsed = set(frame.attrs.get("unparsed_rows", ()))
    for i, row in enumerate(rows):
        record: dict[str, Any] = {}
        if row in unparsed:  # cells shifted by an unquoted comma: its own Problem says so
            record = {col.name: INVALID for col in columns}
            key = table.id_column
            if key and cells.get(key) is not None:  # the id (first column) is rarely shifted
                record[key] = _parse_cell(cells[key][i], table.by_name[key], source, row, problems)
            values.append(record)
            continue
        for col in columns:
            column_cells = cells[col.name]
            if column_cells is None:
                record[col.name] = col.default if not col.required else INVALID  # missing column: reported
                continue
            record[col.name] = _parse_cell(column_cells[i], col, source, row, problems)
        values.append(record)
    parsed = _Parsed(table, source, rows, values)
    _check_unique(parsed, problems)
    _check_rows(parsed, problems)
    return parsed


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


def _check_references(
    parsed: dict[str, _Parsed | None],
    zone_ids: set[str] | None,
    provider_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    known = {"zones": zone_ids, "providers": provider_ids}
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
    source = "zones.geojson"
    table = TABLES["zones"]
    before = len([p for p in problems if p.severity == "error"])
    parsed = _parse_table(frame.drop(columns="geometry"), table, source, problems)
    zones: list[Zone] = []
    for feature, record, geom in zip(parsed.rows, parsed.values, frame.geometry, strict=True):
        label = f"feature {feature}" + (
            f" (zone_id '{record['zone_id']}')" if isinstance(record["zone_id"], str) else ""
        )
        if geom is None or geom.is_empty:
            problems.append(
                Problem(
                    source,
                    feature,
                    "geometry",
                    None,
                    f"{label} has no geometry",
                    "draw the zone's polygon, or delete the feature",
                )
            )
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(
                    source,
                    feature,
                    "geometry",
                    geom.geom_type,
                    f"{label} is a {geom.geom_type}, not a polygon",
                    "give each zone a Polygon or MultiPolygon geometry (its boundary, not a point or line)",
                )
            )
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = _polygonal(shapely.make_valid(geom))
            problems.append(
                Problem(
                    source,
                    feature,
                    "geometry",
                    reason,
                    f"{label} has an invalid polygon; it was repaired automatically",
                    "check the repaired zone on a map, or fix the polygon in a GIS "
                    "(e.g. QGIS 'Fix geometries')",
                    "warning",
                )
            )
            if geom is None:
                problems.append(
                    Problem(
                        source,
                        feature,
                        "geometry",
                        reason,
                        f"{label} has no area left after repair",
                        "redraw the zone's polygon",
                    )
                )
                continue
        if any(v is INVALID for v in record.values()):
            continue
        zones.append(Zone(record["zone_id"], record["name"], record["locality"], record["remote"], geom))
    after = len([p for p in problems if p.severity == "error"])
    return zones if after == before else None


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
