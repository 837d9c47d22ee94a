"""The dataset folder's columns, declared once.

The validator (:mod:`commissioning.inputs.folder`) and the README's *Dataset folder format* tables both
come from the specs below: :func:`render_markdown` prints the tables, and a test checks that every column
the README names is declared here (and the other way round).

Kept free of heavy imports (no pandas) so the CLI and the generator can import it cheaply. The words
allowed in cells are :mod:`commissioning.vocabulary`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from commissioning.vocabulary import BAND_NAMES, FUNDERS, NEEDS, PROVIDER_KINDS

ColumnType = Literal["text", "number", "integer", "yesno", "list", "choice"]

# The partnership rule of the seed documents: a shared staff pool of more than four providers did not hold
# together. More members is an error; ``load_dataset(max_pool_members=...)`` takes another limit.
MAX_POOL_MEMBERS = 4

# Workforce defaults, assumed (with one warning per file) when hubs.csv or providers.csv do not say.
DEFAULT_WEEKLY_HOURS_PER_CARER = 25.0  # contracted hours a week of one carer (DOMAIN.md: 20-30 h)
MAX_WEEKLY_HOURS_PER_CARER = 60.0  # above the Working Time Regulations' 48 h average: a slip, not a contract
DEFAULT_NON_DRIVER_SHARE = 0.3  # share of carers who do not drive, when providers.csv does not say

# Hard limits on numbers, far above any real figure. The solver counts hours as whole minutes and money as
# pence in 64-bit integers, and CP-SAT needs every sum of terms to fit in one too; a value like 1e308 passed
# the old checks and then crashed or silently broke ``run``. At these limits a single value is at most
# 6e7 minutes or 1e6 pence per hour, and sums over the largest table read (tables.MAX_TABLE_ROWS rows)
# stay below 1e14, far inside int64 (9.2e18).
MAX_HOURS_PER_WEEK = 1_000_000  # staff, pool, viable and maximum hours per week (a week has 168 h)
MAX_HOURLY_RATE_GBP = 10_000  # price per care hour (real rates are about £20-£40)
MAX_VISITS_PER_WEEK = 10_000  # solver.data.ProblemData refuses more
MAX_CARERS_PER_HUB = 100_000


@dataclass(frozen=True)
class Column:
    """One column of one table.

    ``required``: the column must be in the header. ``allow_empty``: a cell of a required column may be
    empty (then it takes ``default``). Cells of optional columns may always be empty (→ ``default``).
    ``allowed``: vocabulary of a ``choice`` cell or of every member of a ``list`` cell.
    ``references``: the table whose id this column (or list member) must name, checked across tables.
    """

    name: str
    type: ColumnType
    meaning: str
    required: bool = True
    allow_empty: bool = False
    default: object = None
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    min_inclusive: bool = True
    max: float | None = None
    max_inclusive: bool = True
    unique: bool = False
    references: str | None = None
    unit: str = ""  # e.g. "WGS84 degrees": shown in the README type column
    # What is assumed when the column is missing or a cell empty, e.g. "25 h per carer": the loader then
    # gives one warning per file saying so, because an assumed workforce figure changes the answer.
    assumed: str = ""

    def type_text(self) -> str:
        """The README's *type* cell, e.g. ``number > 0``, ``list of `morning`, `lunch```."""
        if self.type == "choice":
            text = (
                " or ".join(f"`{a}`" for a in self.allowed)
                if len(self.allowed) == 2
                else ", ".join(f"`{a}`" for a in self.allowed)
            )
        elif self.type == "list":
            text = "list"
            if self.allowed is not None:
                text += " of " + ", ".join(f"`{a}`" for a in self.allowed)
            if self.allow_empty:
                text += ", may be empty"
        elif self.type == "yesno":
            text = "yes/no"
        elif (
            self.type == "integer"
            and self.min is not None
            and self.max is not None
            and self.max - self.min == 1
        ):
            text = f"{self.min:g} or {self.max:g}"
        else:
            text = self.type
            bounds = self.bounds_text()
            if bounds:
                text += " " + bounds
            if self.unit:
                text += ", " + self.unit
            if self.unique:
                text += ", unique"
            if self.allow_empty and self.required:
                text += ", may be empty"
        if not self.required:
            text += ", optional"
            if self.type == "yesno":
                text += f" (default {'yes' if self.default else 'no'})"
            elif self.default not in (None, "", ()):
                text += (
                    f" (default {self.default:g})"
                    if isinstance(self.default, float)
                    else (f" (default {self.default})")
                )
        return text

    def bounds_text(self) -> str:
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            left = "[" if self.min_inclusive else "("
            right = "]" if self.max_inclusive else ")"
            return f"in {left}{number_text(lo)}, {number_text(hi)}{right}"
        if lo is not None:
            return f"{'>=' if self.min_inclusive else '>'} {number_text(lo)}"
        if hi is not None:
            return f"{'<=' if self.max_inclusive else '<'} {number_text(hi)}"
        return ""


def number_text(value: float) -> str:
    """A bound as people write it: ``168``, ``0.5``, ``1,000,000`` (not ``1e+06``)."""
    return f"{value:,.15g}"


@dataclass(frozen=True)
class Table:
    """One file of the dataset folder."""

    stem: str  # file name without extension
    title: str  # README heading text after the file name
    columns: tuple[Column, ...]
    id_column: str | None = None
    required: bool = True  # the file must exist
    min_rows: int = 0
    extensions: tuple[str, ...] = (".csv", ".xlsx")
    notes: tuple[str, ...] = field(default=())

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def file_names(self) -> tuple[str, ...]:
        return tuple(self.stem + ext for ext in self.extensions)


def _lon(name: str, meaning: str, postcode: str | None = None) -> Column:
    """A longitude column; with ``postcode``, optional: a row may give its postcode instead."""
    return Column(name, "number", meaning + _or_postcode(postcode), min=-180, max=180, unit="WGS84 degrees",
                  required=postcode is None)


def _lat(name: str, meaning: str, postcode: str | None = None) -> Column:
    return Column(name, "number", meaning + _or_postcode(postcode), min=-90, max=90, unit="WGS84 degrees",
                  required=postcode is None)


def _or_postcode(postcode: str | None) -> str:
    return f"; may be left out (column or cell) where `{postcode}` is given" if postcode else ""


def _postcode(name: str, what: str) -> Column:
    return Column(
        name,
        "text",
        f"UK postcode of {what}, e.g. `PA34 4AB` (case and spaces do not matter): where the coordinates are "
        "empty, its centre from the postcode lookup (see below) is used; where they are given, they are "
        "used and the postcode is only checked",
        required=False,
        default=None,
    )


def _band_visits(band: str) -> Column:
    meaning = (
        f"visits a week in the `{band}` band (see `{BAND_VISITS_NAMES[0]}`)"
        if band != BAND_NAMES[0]
        else f"visits a week in the `{band}` band. Given for a row, the four `*_visits` cells add up to "
        "`visits_per_week` and are 0 for bands not in `time_bands` (an empty cell counts 0); all empty: "
        "the visits are spread evenly over `time_bands`"
    )
    return Column(
        f"{band}_visits", "integer", meaning, min=0, max=MAX_VISITS_PER_WEEK, required=False, default=None
    )


# One optional column per time band, in BAND_NAMES order (Client.band_visits keeps that order).
BAND_VISITS_NAMES: tuple[str, ...] = tuple(f"{band}_visits" for band in BAND_NAMES)
BAND_VISITS_COLUMNS: tuple[Column, ...] = tuple(_band_visits(band) for band in BAND_NAMES)

CLIENTS = Table(
    stem="clients",
    title="one row per client (care package)",
    id_column="client_id",
    min_rows=1,
    columns=(
        Column("client_id", "text", "the package's reference (no names needed)", unique=True),
        _lon("lon", "where the visits happen; must be on land inside the region", "postcode"),
        _lat("lat", "where the visits happen; must be on land inside the region", "postcode"),
        _postcode("postcode", "the client's home"),
        Column(
            "zone",
            "text",
            "the patch the client lives in; must be a `zone_id` of `zones.geojson`",
            references="zones",
        ),
        Column(
            "weekly_hours",
            "number",
            "assessed care hours per week (per carer-visit time, not counting the second carer)",
            min=0,
            min_inclusive=False,
            max=168,
        ),
        Column("visits_per_week", "integer", "visits per week", min=1, max=MAX_VISITS_PER_WEEK),
        Column("carers_per_visit", "integer", "2 for a double-up visit", min=1, max=2),
        Column("time_bands", "list", "bands the visits fall in", allowed=BAND_NAMES),
        *BAND_VISITS_COLUMNS,
        Column("needs", "list", "needs the package calls for", allowed=NEEDS, allow_empty=True, default=()),
        Column("funder", "choice", "who pays (pooled-budget split)", allowed=FUNDERS),
        Column(
            "current_provider",
            "text",
            "`provider_id` serving the client today; empty for a new package waiting for a provider",
            allow_empty=True,
            default=None,
            references="providers",
        ),
        Column(
            "pinned",
            "yesno",
            "the client chose the provider (self-directed support option 2): never moved",
            required=False,
            default=False,
        ),
    ),
)

PROVIDERS = Table(
    stem="providers",
    title="one row per provider",
    id_column="provider_id",
    min_rows=1,
    columns=(
        Column("provider_id", "text", "short reference, e.g. `P01`", unique=True),
        Column("name", "text", "the provider's name"),
        Column("kind", "choice", "sector", allowed=PROVIDER_KINDS),
        _lon("base_lon", "office base", "base_postcode"),
        _lat("base_lat", "office base", "base_postcode"),
        _postcode("base_postcode", "the office base"),
        Column(
            "weekly_staff_hours",
            "number",
            "overall cap on the paid staff hours per week of the provider's own hubs (visits and travel); "
            "the hubs' carers carry the capacity (empty: no overall cap)",
            min=0,
            max=MAX_HOURS_PER_WEEK,
            required=False,
            default=None,
        ),
        Column(
            "hourly_rate_gbp",
            "number",
            "price per care hour charged to the commissioner",
            min=0,
            min_inclusive=False,
            max=MAX_HOURLY_RATE_GBP,
        ),
        Column(
            "skills",
            "list",
            "needs the provider can meet (same words as `needs`)",
            allowed=NEEDS,
            allow_empty=True,
            default=(),
        ),
        Column(
            "non_driver_share",
            "number",
            "share of carers who do not drive (gives the drivers of hubs that do not say)",
            min=0,
            max=1,
            required=False,
            default=DEFAULT_NON_DRIVER_SHARE,
            assumed=f"non_driver_share = {DEFAULT_NON_DRIVER_SHARE:g}",
        ),
        Column(
            "min_viable_hours",
            "number",
            "hours per week below which the business is not viable",
            min=0,
            max=MAX_HOURS_PER_WEEK,
            required=False,
            default=0.0,
        ),
        Column(
            "max_weekly_hours",
            "number",
            "most care hours per week the provider can grow to (empty: no limit)",
            min=0,
            max=MAX_HOURS_PER_WEEK,
            required=False,
            default=None,
        ),
    ),
)

HUBS = Table(
    stem="hubs",
    title=(
        "where carers live and start their runs: providers' own hubs and shared pools' hubs "
        "(optional; default: one hub at each provider's base)"
    ),
    id_column="hub_id",
    required=False,
    columns=(
        Column("hub_id", "text", "reference", unique=True),
        Column(
            "provider_id",
            "text",
            "the `provider_id` (of `providers.csv`) whose carers live here; empty for a pool's hub "
            "(exactly one of `provider_id` and `pool_id`)",
            allow_empty=True,
            default=None,
            references="providers",
        ),
        Column(
            "pool_id",
            "text",
            "the `pool_id` (of `pools.csv`) of a shared pool's hub: its carers serve the pool's members in "
            "the pool's zones; the hub must lie in one of them",
            required=False,
            default=None,
            references="pools",
        ),
        _lon("lon", "where the carers live and start their runs", "postcode"),
        _lat("lat", "where the carers live and start their runs", "postcode"),
        _postcode("postcode", "the hub"),
        Column(
            "carers",
            "integer",
            "carers living near the hub (drivers and non-drivers)",
            min=0,
            max=MAX_CARERS_PER_HUB,
        ),
        Column(
            "drivers",
            "integer",
            "carers who drive, at most `carers` (empty: carers × (1 − the provider's `non_driver_share`), "
            "for a pool's hub the members' mean; rounded half up)",
            min=0,
            max=MAX_CARERS_PER_HUB,
            required=False,
            default=None,
            assumed="drivers = carers × (1 − non_driver_share)",
        ),
        Column(
            "weekly_hours_per_carer",
            "number",
            "contracted hours a week of one carer",
            min=0,
            min_inclusive=False,
            max=MAX_WEEKLY_HOURS_PER_CARER,
            required=False,
            default=DEFAULT_WEEKLY_HOURS_PER_CARER,
            assumed=f"{DEFAULT_WEEKLY_HOURS_PER_CARER:g} h per carer",
        ),
        Column(
            "max_recruits",
            "integer",
            "most carers that may be recruited at this hub (empty: the scenario's `max_recruits_per_hub`)",
            min=0,
            max=MAX_CARERS_PER_HUB,
            required=False,
            default=None,
        ),
    ),
)

POOLS = Table(
    stem="pools",
    title="shared staff pools (may have no rows)",
    id_column="pool_id",
    required=False,
    columns=(
        Column("pool_id", "text", "reference", unique=True),
        Column("zones", "list", "`zone_id`s the pool's staff may work in", references="zones"),
        Column(
            "weekly_hours",
            "number",
            "staff hours per week in the pool, for a pool with no hub in `hubs.csv` (earlier files): one hub "
            "per zone is then made with carers = weekly_hours ÷ "
            f"{DEFAULT_WEEKLY_HOURS_PER_CARER:g} h ÷ zones, at least 1 (warning; 0 hours: no hub); ignored "
            "when the pool has hubs",
            min=0,
            max=MAX_HOURS_PER_WEEK,
            required=False,
            default=None,
        ),
        Column(
            "members",
            "list",
            f"`provider_id`s that may draw on the pool; at most {MAX_POOL_MEMBERS}, the partnership rule "
            "(the scenario's `max_pool_members`): more is an error",
            references="providers",
        ),
    ),
)

# zones.geojson: feature properties (the geometry is the polygon).
ZONES = Table(
    stem="zones",
    title=(
        "the patches (polygons, any CRS with a `crs` member; WGS84 if none), or `zones.gpkg` or `zones.shp` "
        "(any CRS, which the file must name)"
    ),
    id_column="zone_id",
    min_rows=1,
    extensions=(".geojson", ".gpkg", ".shp"),
    columns=(
        Column("zone_id", "text", "patch reference used by `clients.zone` and `pools.zones`", unique=True),
        Column("name", "text", "display name"),
        Column("locality", "text", "HSCP locality", required=False, default=None),
        Column(
            "remote", "yesno", "remote or island patch (used for equity KPIs)", required=False, default=False
        ),
    ),
)

TABLES: dict[str, Table] = {t.stem: t for t in (CLIENTS, PROVIDERS, HUBS, POOLS, ZONES)}
CSV_TABLES: tuple[str, ...] = ("clients", "providers", "hubs", "pools")

DATASET_FILE = "dataset.json"


def render_markdown() -> str:
    """The README's per-file tables (one row per column), generated from the specs above."""
    out: list[str] = []
    for table in TABLES.values():
        ext = table.extensions[0]
        out.append(f"### `{table.stem}{ext}` — {table.title}")
        out.append("")
        header = "property" if ext == ".geojson" else "column"
        out.append(f"| {header} | type | meaning |")
        out.append("|---|---|---|")
        for col in table.columns:
            out.append(f"| `{col.name}` | {col.type_text()} | {col.meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
