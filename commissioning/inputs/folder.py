"""Read and check a dataset folder: every file, cell, table, reference and point, every problem at once.

:func:`load_dataset` reads ``clients``, ``providers``, ``hubs``, ``pools`` (CSV or .xlsx), ``zones.geojson``
and ``dataset.json`` into the domain objects of :mod:`commissioning.inputs.domain`; checks every cell
(:mod:`~commissioning.inputs.cells`), every table and every cross-reference
(:mod:`~commissioning.inputs.records`), the zone polygons (:mod:`~commissioning.inputs.zones`) and where the
points lie (:mod:`~commissioning.inputs.geography`: on land, inside the region, in the zone they claim); and
raises one :class:`InputError` listing every error at once. Warnings are kept on
:attr:`Dataset.warnings`.

:func:`check_dataset` does the same without raising, for ``commissioning validate``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from commissioning.errors import InputError, Problem
from commissioning.inputs.dataset import embedded_land, read_dataset
from commissioning.inputs.domain import Client, Dataset, Provider, Zone
from commissioning.inputs.geography import check_points
from commissioning.inputs.records import (
    ParsedTable,
    band_visits,
    check_references,
    check_staff_hours,
    error_count,
    parse_table,
)
from commissioning.inputs.schema import (
    BAND_VISITS_NAMES,
    CSV_TABLES,
    DATASET_FILE,
    MAX_POOL_MEMBERS,
    TABLES,
)
from commissioning.inputs.tables import ProblemLog, read_table, read_zones
from commissioning.inputs.workforce import build_hubs, build_pools, check_pool_hubs, check_pool_members
from commissioning.inputs.zones import ZONES_FILE, check_zones

_FILE_ORDER = {DATASET_FILE: 0, ZONES_FILE: 1, "zones.gpkg": 1, "zones.shp": 1}
# The id columns other tables name ids of: ``{stem: id column}``.
_REFERENCED_IDS = {
    stem: TABLES[stem].id_column
    for stem in {c.references for t in TABLES.values() for c in t.columns if c.references}
}


@dataclass
class DatasetCheck:
    """What :func:`check_dataset` found: the data (``None`` if any error), the problems listed (at most
    ``tables.MAX_PROBLEMS_PER_FILE`` per file, then one summary line per file), row counts, and
    ``totals``: how many errors and warnings were found in all, listed or not."""

    data: Dataset | None
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


def load_dataset(
    folder: str | Path,
    *,
    region_land: BaseGeometry | None = None,
    check_geography: bool = True,
    max_pool_members: int = MAX_POOL_MEMBERS,
) -> Dataset:
    """Read and check a dataset folder; on any error raise one :class:`InputError` listing every problem.

    ``region_land``: land polygons (WGS84) covering the zones; by default the OpenStreetMap land clipped to
    the zones' bounds (slow the first time, then cached on disk). ``check_geography=False`` skips the
    on-land / in-region / in-zone checks of points (for quick tests); zone polygons are still read, and a
    pool's hub is still checked against the pool's zones. ``max_pool_members``: a pool with more member
    providers is an error (the partnership rule).
    """
    result = check_dataset(
        folder, region_land=region_land, check_geography=check_geography, max_pool_members=max_pool_members
    )
    if result.data is None:
        raise InputError(result.problems)
    return result.data


def check_dataset(
    folder: str | Path,
    *,
    region_land: BaseGeometry | None = None,
    check_geography: bool = True,
    max_pool_members: int = MAX_POOL_MEMBERS,
) -> DatasetCheck:
    """Like :func:`load_dataset` but returns every problem instead of raising."""
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
                "the dataset folder does not exist"
                if not folder.exists()
                else "this is a file, not a folder",
                "give the folder that holds clients.csv, providers.csv and zones.geojson",
            )
        )
        return _checked(None, problems, counts)

    dataset, travel_model = read_dataset(folder, problems)

    zones_frame = read_zones(folder, problems=problems)
    zones = check_zones(zones_frame, problems) if zones_frame is not None else None
    counts["zones"] = len(zones_frame) if zones_frame is not None else 0

    parsed: dict[str, ParsedTable | None] = {}
    for stem in CSV_TABLES:
        frame, source = read_table(folder, stem, problems=problems)
        parsed[stem] = parse_table(frame, TABLES[stem], source, problems) if frame is not None else None
        counts[stem] = len(frame) if frame is not None else 0

    # A table not read in full cannot say which ids are unknown: its own problems are reported instead.
    zone_ids = {z.zone_id for z in zones} if zones is not None else None
    provider_ids, pool_ids = _ids(parsed, "providers", problems), _ids(parsed, "pools", problems)
    check_references(parsed, zone_ids, provider_ids, problems, pool_ids)
    check_staff_hours(parsed, problems)
    check_pool_members(parsed["pools"], max_pool_members, problems)
    check_pool_hubs(parsed["hubs"], parsed["pools"], zones, problems)

    if check_geography and zones:
        land = region_land if region_land is not None else embedded_land(dataset)
        check_points(parsed, zones, land, problems)

    if error_count(problems):
        return _checked(None, problems, counts)
    data = dataclasses.replace(_domain(parsed, zones, problems), dataset=dataset, travel_model=travel_model)
    return _checked(dataclasses.replace(data, folder=folder), problems, counts)


def _ids(parsed: dict[str, ParsedTable | None], stem: str, problems: list[Problem]) -> set[str] | None:
    """The ids of a table read in full; ``None`` when it could not be (then no id counts as unknown). An
    optional table that is absent, or read as absent with a warning (empty, blank), has no ids: a reference to
    it is unknown."""
    table = parsed[stem]
    if table is not None:
        return table.ids() if table.complete else None
    failed = any(p.file.startswith(f"{stem}.") and p.severity == "error" for p in problems)
    return set() if not TABLES[stem].required and not failed else None


def _domain(parsed: dict[str, ParsedTable], zones: list[Zone], problems: list[Problem]) -> Dataset:
    """The domain objects, once every check has passed; the hubs the files leave out are made here, each
    assumption with its warning."""
    clients = tuple(_client(r) for r in parsed["clients"].records)
    providers = tuple(Provider(**_located(r)) for r in parsed["providers"].records)
    pools = build_pools(parsed["pools"])
    hubs = build_hubs(parsed, providers, pools, zones, problems)
    return Dataset(clients=clients, providers=providers, hubs=hubs, pools=pools, zones=tuple(zones))


def _client(r: dict) -> Client:
    fields = {k: v for k, v in _located(r).items() if k not in BAND_VISITS_NAMES}
    return Client(**fields, band_visits=band_visits(r))


def _located(r: dict) -> dict:
    """The record without its postcode: the coordinates (given, or found from the postcode) stand for it,
    and postcodes, personal data, go no further than the inputs."""
    return {k: v for k, v in r.items() if k not in ("postcode", "base_postcode")}


def _checked(data: Dataset | None, problems, counts: dict[str, int]) -> DatasetCheck:
    """The check's result: problems listed in file and row order, at most so many per file."""
    listed = problems.listing(_sort_key)
    totals = {"error": problems.total("error"), "warning": problems.total("warning")}
    if data is not None:
        data = dataclasses.replace(data, warnings=tuple(listed))
    return DatasetCheck(data, listed, counts, totals)


def _sort_key(problem: Problem) -> tuple:
    """Errors in the ids other tables name come first: a duplicate or wrong provider_id is the cause of the
    "unknown provider" errors in clients and hubs, which would otherwise be listed before it."""
    table_order = {f"{stem}{ext}": 2 + i for i, stem in enumerate(CSV_TABLES) for ext in (".csv", ".xlsx")}
    order = {**_FILE_ORDER, **table_order}
    cause = problem.severity == "error" and problem.column == _REFERENCED_IDS.get(Path(problem.file).stem)
    return (not cause, order.get(problem.file, 99), problem.file, problem.row or 0)
