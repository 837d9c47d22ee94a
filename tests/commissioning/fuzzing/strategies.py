"""Hypothesis strategies: mutations of dataset folders, scenario files, instances and run outputs, and the
:class:`Case` of each command. The values are chosen for what breaks parsers and arithmetic: empty, blank,
NaN, infinities, 1e308, negative, formulas, unicode digits, very long text, bytes that are not UTF-8.
"""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from tests.commissioning.fuzzing.cases import OUT_TARGETS, Case
from tests.commissioning.fuzzing.datasets import BASES, TABLE_STEMS
from tests.commissioning.fuzzing.mutations import GEOMETRY_KINDS, ZONES_DOCUMENT_KINDS, Mutation

COLUMNS = {
    "clients": (
        "client_id", "lon", "lat", "zone", "weekly_hours", "visits_per_week", "carers_per_visit",
        "time_bands", "needs", "funder", "current_provider", "pinned",
    ),
    "providers": (
        "provider_id", "name", "kind", "base_lon", "base_lat", "weekly_staff_hours", "hourly_rate_gbp",
        "skills", "non_driver_share", "min_viable_hours", "max_weekly_hours",
    ),
    "hubs": ("hub_id", "provider_id", "lon", "lat", "carers"),
    "pools": ("pool_id", "zones", "weekly_hours", "members"),
}  # fmt: skip

HOSTILE_CELLS = (
    "", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e309", "1.7976931348623157e308",
    "5e-324", "-1", "-0", "0", "0.0", "1e-320", "99999999999999999999", "2147483648", "=1+1", "@SUM(A1)",
    "+1", "-2+3", "=HYPERLINK(\"x\")", "٣", "１２", "½", "5\u00a0", "\u200b7", "7\u200b", "1,5", "1 000",
    "0x10", "1_000", "1e5", "True", "yes", "no", "NULL", "#N/A", "-", "<long-text>", "<long-number>",
    "P01;P01",
    ";", ";;", "morning;;tea", "morning,tea", "é", "😀", "\t", "\n", "a\nb", '"', "'", "\\", "C0001", "P01",
    "P99", "islay", "ISLAY", "no_such_zone", "168", "168.0000001", "2", "3", "lunch", "council",
)  # fmt: skip

EXTREME_NUMBERS = (
    "0", "0.0", "1e308", "1.7976931348623157e308", "1e300", "1e-300", "5e-324", "99999999999", "1e15", "1e18",
)  # fmt: skip

NOT_UTF8 = ("\xff", "\xfe\xff", "\x80\x81", "\x00", "\xe9", "\xc3", "\xef\xbb\xbf", "\r", '"', "\x1a")

DATASET_TEXTS = (
    "[1, 2]", '"argyll-bute"', "null", "42", "true", "{", "", "{}", '{"region": "atlantis"}', '{"region": 5}',
    '{"region": ""}', '{"region": "ARGYLL-BUTE"}', '{"region": null, "travel_model": "network"}',
    '{"region": "argyll-bute", "travel_model": "teleport"}', '{"travel_model": null}',
    '{"region": ["argyll-bute"]}', '{"region": {"name": "argyll-bute"}}', "<deep-nesting>",
    '{"region": "argyll-bute", "seed": NaN}', '{"region": "argyll-bute", "region": null}',
    '{"region": "argyll-bute", "travel_model": ["network"]}',
)  # fmt: skip

ZONES_TEXTS = ("", "{", "null", "[]", "<deep-nesting>", '{"type": "FeatureCollection", "features": [null]}')

rows = st.integers(0, 100)


def cell_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_CELLS),
        st.text(max_size=12),
        st.floats().map(repr),
        st.integers().map(str),
    )


def json_values() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["argyll-bute", "atlantis", "network", "approximate", "", "yes"]),
        st.lists(st.integers(-2, 3), max_size=3),
        st.just({"a": 1}),
    )


def columns(stem: str) -> st.SearchStrategy[int | str]:
    return st.one_of(st.sampled_from(COLUMNS.get(stem, ("client_id",))), st.integers(0, 20))


def _m(kind: str, target: str, *args) -> Mutation:
    return Mutation(kind, target, tuple(args))


# ----------------------------------------------------------------------------------------------------
# Dataset folder
# ----------------------------------------------------------------------------------------------------


def table_mutations(stem: str) -> st.SearchStrategy[Mutation]:
    return st.one_of(
        st.builds(lambda r, c, v: _m("set_cell", stem, r, c, v), rows, columns(stem), cell_values()),
        st.builds(lambda c, v: _m("set_header", stem, c, v), columns(stem), cell_values()),
        st.builds(lambda r: _m("delete_row", stem, r), rows),
        st.builds(lambda r: _m("duplicate_row", stem, r), rows),
        st.builds(lambda c: _m("drop_column", stem, c), columns(stem)),
        st.builds(lambda s: _m("shuffle_columns", stem, s), st.integers(0, 1000)),
        st.builds(lambda n: _m("add_column", stem, n, "x"), st.sampled_from(["extra", "client_id", ""])),
        st.just(_m("header_only", stem)),
    )


def file_mutations(target: str) -> st.SearchStrategy[Mutation]:
    return st.one_of(
        st.just(_m("empty_file", target)),
        st.just(_m("delete_file", target)),
        st.builds(lambda f: _m("truncate_file", target, f), st.floats(0, 1)),
        st.builds(lambda f, b: _m("insert_bytes", target, f, b), st.floats(0, 1), st.sampled_from(NOT_UTF8)),
        st.builds(
            lambda e: _m("reencode", target, e), st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])
        ),
    )


def zones_mutations(target: str = "zones.geojson") -> st.SearchStrategy[Mutation]:
    names = st.sampled_from(["zone_id", "name", "locality", "remote"])
    return st.one_of(
        st.builds(lambda r, k: _m("zone_geometry", target, r, k), rows, st.sampled_from(GEOMETRY_KINDS)),
        st.builds(lambda r, n, v: _m("zone_property", target, r, n, v), rows, names, json_values()),
        st.builds(lambda r, n: _m("delete_zone_property", target, r, n), rows, names),
        st.builds(lambda r: _m("delete_feature", target, r), rows),
        st.builds(lambda r: _m("duplicate_feature", target, r), rows),
        st.builds(lambda k: _m("zones_document", target, k), st.sampled_from(ZONES_DOCUMENT_KINDS)),
        st.builds(lambda t: _m("write_text", target, t), st.sampled_from(ZONES_TEXTS)),
    )


def dataset_mutations() -> st.SearchStrategy[Mutation]:
    keys = st.sampled_from(["region", "travel_model", "seed", "n_clients"])
    return st.one_of(
        st.builds(lambda t: _m("write_text", "dataset.json", t), st.sampled_from(DATASET_TEXTS)),
        st.builds(lambda k, v: _m("json_set", "dataset.json", (k,), v), keys, json_values()),
        st.builds(lambda k: _m("json_delete", "dataset.json", (k,)), keys),
    )


def hostile_mutations() -> st.SearchStrategy[Mutation]:
    return st.one_of(
        st.sampled_from(TABLE_STEMS).flatmap(table_mutations),
        st.sampled_from((*TABLE_STEMS, "zones.geojson", "dataset.json")).flatmap(file_mutations),
        zones_mutations(),
        dataset_mutations(),
    )


def _cell(stem: str, column: str, values) -> st.SearchStrategy[Mutation]:
    return st.builds(lambda r, v: _m("set_cell", stem, r, column, v), rows, st.sampled_from(values))


def benign_mutations() -> st.SearchStrategy[Mutation]:
    """Edits that leave a usable scenario (mostly): the runs behind them must allocate every client."""
    numeric = ("weekly_staff_hours", "hourly_rate_gbp", "min_viable_hours", "max_weekly_hours")
    return st.one_of(
        _cell("clients", "weekly_hours", ["0.5", "7.5", "40", "168", "1e-9"]),
        _cell("clients", "visits_per_week", ["1", "28", "2147483648", "99999999999999999999"]),
        _cell("clients", "carers_per_visit", ["1", "2"]),
        _cell("clients", "time_bands", ["bed", "morning;lunch;tea;bed", " BED ", "tea;tea"]),
        _cell("clients", "needs", ["", "palliative", "dementia;palliative;social"]),
        _cell("clients", "current_provider", ["", "P01", "P15"]),
        _cell("clients", "pinned", ["yes", "TRUE", "0"]),
        st.sampled_from(numeric).flatmap(lambda c: _cell("providers", c, EXTREME_NUMBERS)),
        _cell("providers", "skills", ["", "personal_care"]),
        _cell("providers", "non_driver_share", ["0", "1"]),
        _cell("hubs", "carers", ["0", "99999999999999999999"]),
        _cell("pools", "weekly_hours", EXTREME_NUMBERS),
        _cell("pools", "members", ["P01", "P01;P02;P03;P04;P05", "P01;P01"]),
        st.builds(lambda s, r: _m("delete_row", s, r), st.sampled_from(TABLE_STEMS), rows),
        st.builds(lambda s, k: _m("shuffle_columns", s, k), st.sampled_from(TABLE_STEMS), st.integers(0, 99)),
        st.builds(lambda s: _m("add_column", s, "notes", "x"), st.sampled_from(TABLE_STEMS)),
        st.builds(lambda s, r: _m("insert_blank_row", s, r), st.sampled_from(TABLE_STEMS), rows),
        st.builds(
            lambda s: _m("set_header", s, 0, f" {COLUMNS[s][0].upper()} "), st.sampled_from(TABLE_STEMS)
        ),
        st.builds(lambda s: _m("header_only", s), st.sampled_from(["hubs", "pools"])),
        st.builds(lambda f: _m("delete_file", f), st.sampled_from(["hubs", "pools", "dataset.json"])),
        st.builds(lambda s: _m("insert_bytes", s, 0.0, "\xef\xbb\xbf"), st.sampled_from(TABLE_STEMS)),
        st.builds(lambda r: _m("zone_geometry", "zones.geojson", r, "bowtie"), rows),
    )


COORDINATES = (("clients", "lon"), ("clients", "lat"), ("hubs", "lon"), ("hubs", "lat"),
               ("providers", "base_lon"), ("providers", "base_lat"))  # fmt: skip
COORDINATE_VALUES = ("56.4", "-5.5", "0", "180", "-180.0000001", "90", "-90", "1e-300", "-5.47200", "55.5")


def geography_mutations() -> st.SearchStrategy[Mutation]:
    """Zones, dataset.json and the coordinates of clients, hubs and bases."""
    values = st.one_of(st.sampled_from(COORDINATE_VALUES), cell_values())
    coordinate = st.builds(
        lambda sc, r, v: _m("set_cell", sc[0], r, sc[1], v), st.sampled_from(COORDINATES), rows, values
    )
    return st.one_of(zones_mutations(), dataset_mutations(), coordinate)


def folder_mutations(min_size: int = 1, max_size: int = 3) -> st.SearchStrategy[tuple[Mutation, ...]]:
    return st.lists(
        st.one_of(hostile_mutations(), benign_mutations()), min_size=min_size, max_size=max_size
    ).map(tuple)


def run_mutations() -> st.SearchStrategy[tuple[Mutation, ...]]:
    """Mostly usable data, so that most runs get as far as allocating; sometimes one hostile edit."""
    benign = st.lists(benign_mutations(), max_size=2)
    hostile = st.lists(hostile_mutations(), max_size=1)
    return st.tuples(benign, hostile).map(lambda pair: tuple(pair[0] + pair[1]))


# ----------------------------------------------------------------------------------------------------
# Scenario file
# ----------------------------------------------------------------------------------------------------

_VARIANT_KEYS = (
    "name", "mode", "max_providers_per_zone", "pools", "allow_unmet", "unmet_penalty_gbp_per_hour",
    "max_moves",
    "move_penalty_gbp", "protect", "exclude", "waiting", "time_limit_s", "seed", "workers", "deterministic",
    "description",
)  # fmt: skip
SCENARIO_PATHS = (
    ("name",), ("description",), ("money", "staff_cost_per_hour_gbp"),
    ("money", "mileage_gbp_per_travel_hour"),
    ("money", "bed_day_cost_gbp"), ("downstream", "share_of_unmet_clients_in_hospital"),
    ("downstream", "bed_days_per_week_per_client_in_hospital"), ("travel", "max_travel_minutes_per_visit"),
    ("kpis", "nearby_minutes_per_visit"), ("kpis", "spare_staff_hours_per_week"), ("routing", "time_limit_s"),
    ("solver", "time_limit_s"), ("solver", "workers"), ("solver", "seed"), ("solver", "deterministic"),
    *(("variants", i, key) for i in (0, 1) for key in _VARIANT_KEYS),
    *(("variants", 1, k)
      for k in ("min_viable", "allow_provider_exit", "max_weekly", "max_loss_fraction", "weight_travel",
                "weight_care")),
    ("variants", 1, "weights", "travel"), ("variants", 1, "allow_exit"),  # names of earlier versions
    # unknown keys, some a typo away from a real one
    ("colour",), ("money", "vat"), ("variants", 1, "max_provider_per_zone"), ("solver", "threads"),
    ("routing", "enable"), ("variants", 1, "sustainability", "min_viability"),
)  # fmt: skip
# ("routing", "enabled") is never touched: routing forks workers and takes seconds; the issue keeps it off.

SPECIAL_NUMBERS = (0, -1, 2**31, 2**63 - 1, -(2**63), 0.0, -0.0, 1e308, 1e-300, float("inf"), float("-inf"),
                   float("nan"), 0.5)  # fmt: skip
DATA_VALUES = (
    "missing", "", "/", "data/clients.csv", {"generate": {"clients": 5, "seed": 2}},
    {"generate": {"clients": 0}},
    {"generate": {"clients": -3}}, {"generate": {"seed": -1, "clients": 3}}, {"path": "data"},
    {"path": "data", "generate": {"clients": 5}}, {"generate": "yes"}, 5, ["data"],
)  # fmt: skip
PROVIDER_LISTS = (
    ["P01"],
    ["P99"],
    ["P01", "P01"],
    [""],
    [" P01"],
    ["p01"],
    [f"P{k:02d}" for k in range(1, 16)],
)
EXTRA_VARIANTS = (
    {"name": "Zoned", "mode": "zoned", "max_providers_per_zone": 1},  # same name as "zoned" but for case
    {"name": "k0", "mode": "zoned", "max_providers_per_zone": 0},
    {"name": "strict", "mode": "optimised", "allow_unmet": False},
    {"name": "frozen", "mode": "optimised", "max_moves": 0, "protect": ["P01"]},
    {"name": "floors", "mode": "optimised", "pools": False,
     "min_viable": True, "allow_provider_exit": False, "max_loss_fraction": 0.0},
    {"name": "weights", "mode": "optimised", "weight_travel": 0.0, "weight_care": 1e308},
    {"name": "waiting", "mode": "current", "waiting": "unmet"},
    {"name": "inputs", "mode": "optimised"},
    {"name": "../up", "mode": "optimised"},
)  # fmt: skip
TOML_TEXTS = ("", "data = ", "\x00", "[[variants]]", 'data = "data"', "name = 'x'\nname = 'y'", "😀", "[a\n")


def scenario_values() -> st.SearchStrategy[object]:
    return st.one_of(
        st.integers(-2, 4),
        st.sampled_from(SPECIAL_NUMBERS),
        st.booleans(),
        st.text(max_size=8),
        st.sampled_from(
            ["current", "optimised", "zoned", "greedy", "unmet", "Zoned", "inputs", "maps", "a/b"]
        ),
        st.sampled_from(PROVIDER_LISTS),
    )


def scenario_mutations() -> st.SearchStrategy[Mutation]:
    provider_keys = st.sampled_from(["protect", "exclude"])
    return st.one_of(
        st.builds(
            lambda p, v: _m("toml_set", "scenario", p, v), st.sampled_from(SCENARIO_PATHS), scenario_values()
        ),
        st.builds(lambda p: _m("toml_delete", "scenario", p), st.sampled_from(SCENARIO_PATHS)),
        st.builds(lambda v: _m("toml_set", "scenario", ("data",), v), st.sampled_from(DATA_VALUES)),
        st.builds(
            lambda k, v: _m("toml_set", "scenario", ("variants", 1, k), v),
            provider_keys,
            st.sampled_from(PROVIDER_LISTS),
        ),
        st.builds(
            lambda v: _m("toml_set", "scenario", ("variants", 1, "max_providers_per_zone"), v),
            st.integers(-1, 3),
        ),
        st.builds(lambda v: _m("toml_add_variant", "scenario", v), st.sampled_from(EXTRA_VARIANTS)),
        st.builds(
            lambda t: _m("toml_text", "scenario", t),
            st.one_of(st.sampled_from(TOML_TEXTS), st.text(max_size=30)),
        ),
    )


# ----------------------------------------------------------------------------------------------------
# Command-line options
# ----------------------------------------------------------------------------------------------------


def _options(pairs, max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    """Up to ``max_size`` options from ``pairs``, flattened (argparse keeps the last of a repeated option)."""
    chosen = st.lists(st.sampled_from(pairs), max_size=max_size)
    return chosen.map(lambda pairs: tuple(a for pair in pairs for a in pair))


def _pairs(flag: str, values) -> list[tuple[str, ...]]:
    return [(flag, v) for v in values]


NUMBERS_TEXT = ("0", "-1", "nan", "inf", "-inf", "1e308", "1e-9", "abc", "")
RUN_OPTIONS = (
    *_pairs("--time-limit", (*NUMBERS_TEXT, "0.3")),
    *_pairs("--workers", ("0", "-1", "1", "2", "2147483648", "abc")),
    *_pairs("--seed", ("-1", "2147483648", "9223372036854775808", "0")),
    ("--force",), ("--quiet",), ("--no-routing",),
)  # fmt: skip
EXPORT_OPTIONS = (
    *_pairs("--max-providers-per-zone", ("0", "-1", "1", "2", "99999999999999999999", "x")),
    ("--no-pools",), ("--no-unmet",),
    *_pairs("--unmet-penalty-gbp", ("nan", "inf", "-1", "0", "1e308")),
    *_pairs("--max-moves", ("-1", "0", "3")),
    *_pairs("--move-penalty-gbp", ("nan", "-5", "1e308", "50")),
    *_pairs("--max-travel-minutes", ("0", "-1", "nan", "inf", "1e308", "1e-9", "30")),
)  # fmt: skip
SOLVE_OPTIONS = (
    *_pairs("--time-limit", ("0", "-1", "nan", "inf", "1e308", "1e-9", "0.3")),
    *_pairs("--workers", ("0", "1", "2", "2147483648")),
    *_pairs("--seed", ("-1", "2147483648")),
    *_pairs("--export-model", ("model.pb", "model.pbtxt", "model.txt", "/proc/care-fuzz/model.pb")),
)  # fmt: skip


def out_targets() -> st.SearchStrategy[str]:
    """Mostly a fresh path (so the command gets to do its work), sometimes a hostile one."""
    return st.one_of(st.just("fresh"), st.just("fresh"), st.just("fresh"), st.sampled_from(OUT_TARGETS))


# ----------------------------------------------------------------------------------------------------
# Instances and run outputs
# ----------------------------------------------------------------------------------------------------

_INSTANCE_ARRAYS = {
    "clients": ("weekly_hours", "visits_per_week", "carers_per_visit", "zone", "needs", "current_provider",
                "pinned_provider"),
    "providers": ("weekly_staff_hours", "hourly_rate_gbp", "skills", "min_viable_hours", "max_weekly_hours"),
    "pairs": ("client", "provider", "travel_minutes", "staff_hours", "care_cost_gbp", "travel_cost_gbp"),
    "pools": ("weekly_hours", "members", "zones"),
}  # fmt: skip
_SCENARIO_PARAMS = (
    "max_providers_per_zone", "pools", "allow_unmet", "unmet_penalty_gbp_per_hour", "max_moves",
    "move_penalty_gbp", "min_viable", "allow_provider_exit", "max_weekly",
    "max_loss_fraction",
    "weight_travel", "weight_care", "unknown_key",
)  # fmt: skip
INSTANCE_PATHS = (
    ("format",), ("version",), ("n_zones",), ("clients",), ("scenario",),
    *((group, key) for group, keys in _INSTANCE_ARRAYS.items() for key in keys),
    *(("scenario", key) for key in _SCENARIO_PARAMS),
)  # fmt: skip
INSTANCE_VALUES = (
    None,
    -1,
    0,
    10**20,
    1e308,
    float("nan"),
    float("inf"),
    -1e308,
    "x",
    [],
    {},
    [None],
    [[1]],
    True,
)


def instance_mutations() -> st.SearchStrategy[Mutation]:
    target = "instance.json"
    element = st.sampled_from([(g, k) for g, keys in _INSTANCE_ARRAYS.items() for k in keys])
    values = st.one_of(st.sampled_from(INSTANCE_VALUES), json_values())
    return st.one_of(
        st.builds(lambda p, v: _m("json_set", target, p, v), st.sampled_from(INSTANCE_PATHS), values),
        st.builds(lambda p, i, v: _m("json_set", target, (*p, i), v), element, st.integers(0, 300), values),
        st.builds(lambda p, i: _m("json_delete", target, (*p, i)), element, st.integers(0, 300)),
        st.builds(lambda p: _m("json_delete", target, p), st.sampled_from(INSTANCE_PATHS)),
        st.builds(lambda f: _m("truncate_file", target, f), st.floats(0, 1)),
        st.builds(
            lambda t: _m("write_text", target, t), st.sampled_from(["", "{", "[]", "null", "<deep-nesting>"])
        ),
    )


OUTPUT_FILES = (
    "kpis.json", "scenario.toml", "providers.csv", "zones.csv", "zoned/allocation.csv",
    "current/allocation.csv", "inputs/zones.geojson", "inputs/clients.csv", "inputs/providers.csv",
    "inputs/hubs.csv", "inputs/pools.csv",
    "inputs/dataset.json",
)  # fmt: skip
ALLOCATION_COLUMNS = (
    "client_id",
    "provider_id",
    "status",
    "zone",
    "travel_minutes_per_visit",
    "current_provider",
)
KPIS_TEXTS = (
    "{",
    "[]",
    "null",
    '{"variants": 5}',
    '{"variants": ["zoned"], "scenarios": {}}',
    '{"variants": []}',
)


def output_mutations() -> st.SearchStrategy[Mutation]:
    allocation = st.sampled_from(["zoned/allocation.csv", "current/allocation.csv"])
    places = st.sampled_from([("inputs/clients.csv", "lon"), ("inputs/clients.csv", "lat"),
                              ("inputs/hubs.csv", "lat"), ("inputs/providers.csv", "base_lon")])  # fmt: skip
    return st.one_of(
        st.sampled_from(OUTPUT_FILES).flatmap(file_mutations),
        st.builds(lambda t: _m("write_text", "kpis.json", t), st.sampled_from(KPIS_TEXTS)),
        st.builds(
            lambda p, v: _m("json_set", "kpis.json", p, v),
            st.sampled_from(
                [("variants",), ("variants", 0), ("scenarios",), ("current_variant",), ("travel_model",)]
            ),
            json_values(),
        ),
        st.builds(
            lambda f, r, c, v: _m("set_cell", f, r, c, v),
            allocation,
            rows,
            st.sampled_from(ALLOCATION_COLUMNS),
            cell_values(),
        ),
        st.builds(lambda f, r: _m("delete_row", f, r), allocation, rows),
        st.builds(lambda f, r: _m("duplicate_row", f, r), allocation, rows),
        st.builds(lambda fc, r, v: _m("set_cell", fc[0], r, fc[1], v), places, rows, cell_values()),
        zones_mutations("inputs/zones.geojson"),
    )


# ----------------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------------

bases = st.sampled_from(tuple(BASES))


def validate_cases(geography: bool = False) -> st.SearchStrategy[Case]:
    if geography:
        mutations = st.lists(geography_mutations(), min_size=1, max_size=3).map(tuple)
    else:
        mutations = folder_mutations()
    return st.builds(
        Case,
        command=st.just("validate"),
        base=bases,
        mutations=mutations,
        options=st.sampled_from([(), (), ("--json",)]),
    )


def run_cases() -> st.SearchStrategy[Case]:
    """Data edits with the base scenario file (scenario_file_cases mutates that), at most one option."""
    return st.builds(
        Case,
        command=st.just("run"),
        base=bases,
        mutations=run_mutations(),
        options=_options(RUN_OPTIONS, max_size=1),
        out=out_targets(),
    )


def scenario_file_cases() -> st.SearchStrategy[Case]:
    """The data as generated, the scenario file mutated: most end at the scenario check, a few run."""
    return st.builds(
        Case,
        command=st.just("run"),
        base=bases,
        scenario=st.lists(scenario_mutations(), min_size=1, max_size=3).map(tuple),
        options=st.just(("--quiet",)),
    )


def instance_cases() -> st.SearchStrategy[Case]:
    return st.builds(
        Case,
        command=st.just("instance"),
        base=bases,
        mutations=st.lists(st.one_of(benign_mutations(), hostile_mutations()), max_size=2).map(tuple),
        options=_options(EXPORT_OPTIONS),
        instance=st.lists(instance_mutations(), max_size=2).map(tuple),
        solve_options=st.tuples(st.sampled_from([("--json",), ("--json",), ()]), _options(SOLVE_OPTIONS)).map(
            lambda pair: pair[0] + pair[1]
        ),
        out=out_targets(),
    )


PROVIDER_IDS = ("P01", "P05", "P15", "P99", "", "p01", " P01", "../P01", "<script>alert(1)</script>")
VARIANTS = (None, "current", "zoned", "ZONED", "inputs", "maps", "..", "../inputs", "nonexistent", "")


def map_options() -> st.SearchStrategy[tuple[str, ...]]:
    """Mostly a provider and variant that exist (so the map gets drawn), sometimes hostile ones."""
    provider = st.one_of(
        st.sampled_from(("P01", "P05", "P15")), st.sampled_from(PROVIDER_IDS), st.text(max_size=6)
    )
    variant = st.one_of(st.sampled_from((None, "zoned", "current")), st.sampled_from(VARIANTS))
    return st.builds(
        lambda p, v: ("--provider", p) + (() if v is None else ("--variant", v)), provider, variant
    )


def map_cases() -> st.SearchStrategy[Case]:
    return st.builds(
        Case,
        command=st.just("map"),
        mutations=st.lists(output_mutations(), max_size=2).map(tuple),
        options=map_options(),
        out=out_targets(),
    )


GENERATE_OPTIONS = (
    *_pairs("--clients", ("0", "-1", "1", "3", "abc", "500001")),
    *_pairs("--seed", ("-1", "0", "4294967296", "99999999999999999999")),
    *_pairs("--providers", ("0", "1", "99", "100", "-1")),
    *_pairs("--max-pool-members", ("0", "1", "-1", "100")),
    *_pairs("--region", ("atlantis", "", "ARGYLL-BUTE")),
    ("--force",), ("--zones", "/dev/null", "--zone-id", "x"),
    ("--demand-points", "/dev/null", "--weight-column", "w"),
)  # fmt: skip
PLACES = (
    "Oban", "oban", "Tobermory", "Craignure", "Port Ellen", "56.415,-5.472", "-5.5,56.4", "nan,nan", "inf,5",
    "1e308,1e308", "91,0", "0,0", "", "Atlantis", "<long-text>", "56.4", "56.4,-5.4,3", "😀", "55.5,-7.5",
)  # fmt: skip
TRAVEL_OPTIONS = (
    *_pairs("--at", ("08:00", "23:59", "24:00", "-1:00", "25:61", "nan", "")),
    ("--json",), *_pairs("--region", ("atlantis", "")),
)  # fmt: skip


DEMO_OPTIONS = (
    *_pairs("--clients", ("0", "-1", "1", "abc", "500001")),
    *_pairs("--seed", ("-1", "0", "7", "99999999999999999999")),
    *_pairs("--time-limit", ("0", "-1", "nan", "inf", "1e308", "1e-9")),
    *_pairs("--workers", ("0", "1", "2147483648")),
    *_pairs("--solver-seed", ("-1", "2147483648")),
    ("--force",),
)  # fmt: skip


def demo_cases() -> st.SearchStrategy[Case]:
    return st.builds(
        Case, command=st.just("demo"), options=_options(DEMO_OPTIONS, max_size=1), out=out_targets()
    )


def generate_cases() -> st.SearchStrategy[Case]:
    # --clients 5 first: the default 1000 would take seconds; a --clients in the options comes later and wins
    options = _options(GENERATE_OPTIONS).map(lambda o: ("--clients", "5", *o))
    return st.builds(Case, command=st.just("generate"), options=options, out=out_targets())


def travel_cases() -> st.SearchStrategy[Case]:
    places = st.one_of(st.sampled_from(PLACES), st.text(max_size=10))
    return st.builds(
        lambda a, b, o: Case("travel", options=(*o, a, b)),
        places,
        places,
        _options(TRAVEL_OPTIONS),
    )


def subprocess_cases() -> st.SearchStrategy[Case]:
    """A few of each cheap command through a real process, sometimes with its stdout closed."""
    return st.builds(
        lambda case, closed: dataclasses.replace(case, process=True, close_stdout=closed),
        st.one_of(validate_cases(), instance_cases(), map_cases()),
        st.booleans(),
    )
