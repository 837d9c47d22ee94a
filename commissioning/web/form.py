"""The run form: a scenario file written from form fields, checked by the scenario file's own parser.

The fields come from the declarations the command line and the scenario file read too: every switch of a
variant (:mod:`commissioning.scenario.switches`, with its meaning as help text) and every key of the
scenario's tables, and each what-if key of a variant (a TOML value in a text field, e.g. ``0.2`` or
``{ by_zone = { oban = 0.1 } }``). An empty field is "the default". The whole scenario can also be written as
TOML in the form's last box, which replaces the fields when filled (README *Scenario file*).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from commissioning.errors import ScenarioError
from commissioning.scenario import switches
from commissioning.scenario.file import DEFAULT_SCENARIO, MODES, WAITING, ScenarioFile, parse_scenario
from commissioning.scenario.whatif import WHATIF_KEYS

VARIANT_SLOTS = 3
# The scenario's own tables: (table, key, kind, help).
TABLE_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("money", "staff_cost_per_hour_gbp", "number", "carer's loaded pay for time on the road (£ an hour)"),
    ("money", "mileage_gbp_per_travel_hour", "number", "mileage per hour of travel (£)"),
    ("money", "bed_day_cost_gbp", "number", "cost of a hospital bed day (£; unconfirmed: set your board's)"),
    (
        "downstream",
        "share_of_unmet_clients_in_hospital",
        "number",
        "share of clients waiting for care who wait in hospital (0 to 1)",
    ),
    ("downstream", "bed_days_per_week_per_client_in_hospital", "number", "bed days a week per such client"),
    ("travel", "max_travel_minutes_per_visit", "number", "no provider is given a client further than this"),
    ("kpis", "nearby_minutes_per_visit", "number", "'spare capacity nearby': within this travel per visit"),
    ("kpis", "spare_staff_hours_per_week", "number", "... and at least this many spare staff hours"),
    ("routing", "enabled", "bool", "route each provider's visits (chained-run travel)"),
    ("routing", "time_limit_s", "number", "seconds per routed run"),
    ("workforce", "working_days_per_week", "number", "a carer works each band's window on this many days"),
    ("workforce", "non_driver_reach_minutes", "number", "a carer who does not drive walks at most this far"),
    ("workforce", "non_driver_speed_kmh", "number", "walking speed on the road network (km an hour)"),
    ("workforce", "max_hubs_per_pair", "count", "a provider serves a client from at most this many hubs"),
    (
        "workforce",
        "window_hours",
        "toml",
        "hours a day of each band's window, e.g. { morning = 3.5, lunch = 2.5, tea = 2.5, bed = 3.0 }",
    ),
)
# A variant's what-if keys (TOML values; README *Scenario file*, what-if table): every key has a field.
WHATIF_HELP: dict[str, str] = {
    "staff_loss": "what-if: share of each hub's carers lost, e.g. 0.2 or "
    '{ all = 0.1, by_zone = { mull_iona = 0.2 }, by_provider = { P05 = 0.3 }, by_hub = { H02 = 0.5 } }',
    "demand_change": "what-if: change of clients' assessed hours, e.g. 0.1 or "
    '{ by_zone = { oban = 0.1 }, by_locality = { "Bute and Cowal" = -0.05 } }',
    "prices": "what-if: providers' hourly rates in this variant (£ per care hour), e.g. { P03 = 24.5 }",
    "max_providers_per_zone_by_zone": "zoned: a patch's own limit K, e.g. { mull_iona = 1 }",
    "max_providers_per_zone_by_locality": "zoned: the limit K of a locality's patches, e.g. "
    '{ "Bute and Cowal" = 3 }',
    "ferries_out": 'what-if: ferry routes out of service, e.g. ["Oban–Craignure"]',
}
assert tuple(WHATIF_HELP) == WHATIF_KEYS, "a what-if key without a form field"


@dataclass(frozen=True)
class Field:
    """One input of the form: its form name, label, kind, help and the value shown."""

    name: str
    label: str
    kind: str
    help: str
    value: str = ""
    choices: tuple[str, ...] = ()


def default_values() -> dict[str, str]:
    """The form's starting values: the embedded default scenario's variants and tables."""
    doc = tomllib.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    values = {"name": "Argyll and Bute: current, optimised and zoned"}
    for table, key, kind, _ in TABLE_KEYS:
        if key in doc.get(table, {}):
            values[f"{table}.{key}"] = _shown(doc[table][key], kind)
    for k, variant in enumerate(doc.get("variants", [])[:VARIANT_SLOTS]):
        values[f"v{k}.include"] = "on"
        for key, value in variant.items():
            values[f"v{k}.{key}"] = _shown(value, "toml" if key in WHATIF_KEYS else "")
    return values


def _inline_toml(value) -> str:
    """A value as the TOML a user would type in its field (inline tables and arrays)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_inline_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def _shown(value, kind: str = "") -> str:
    if kind == "toml":
        return _inline_toml(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in value.items())
    return str(value)


def fields(values: dict[str, str]) -> tuple[list[Field], list[list[Field]]]:
    """(the scenario's fields, each variant slot's fields) showing ``values``."""
    top = [
        Field(f"{t}.{k}", f"[{t}] {k}", kind, text, values.get(f"{t}.{k}", ""))
        for t, k, kind, text in TABLE_KEYS
    ]
    slots = []
    for k in range(VARIANT_SLOTS):
        own = [
            Field(f"v{k}.include", "include this variant", "check", "", values.get(f"v{k}.include", "")),
            Field(
                f"v{k}.name",
                "name",
                "text",
                "letters, digits, - _ . (e.g. zoned-k1)",
                values.get(f"v{k}.name", ""),
            ),
            Field(
                f"v{k}.mode",
                "mode",
                "choice",
                "current: today's allocation, evaluated; optimised; zoned",
                values.get(f"v{k}.mode", ""),
                MODES,
            ),
            Field(
                f"v{k}.description",
                "description",
                "text",
                "one line for the report",
                values.get(f"v{k}.description", ""),
            ),
            Field(
                f"v{k}.waiting",
                "waiting",
                "choice",
                "current only: new packages placed greedily or left unmet",
                values.get(f"v{k}.waiting", ""),
                ("", *WAITING),
            ),
            Field(
                f"v{k}.exclude",
                "exclude",
                "providers",
                "providers that take no clients, e.g. P07, P09",
                values.get(f"v{k}.exclude", ""),
            ),
        ]
        for f in (*switches.rule_fields(), *switches.search_fields()):
            own.append(
                Field(
                    f"v{k}.{f.name}",
                    f.name,
                    f.metadata["kind"],
                    f.metadata["doc"] + ". " + switches.expected(f),
                    values.get(f"v{k}.{f.name}", ""),
                )
            )
        for key, text in WHATIF_HELP.items():
            own.append(Field(f"v{k}.{key}", key, "toml", text, values.get(f"v{k}.{key}", "")))
        slots.append(own)
    return top, slots


def scenario_from_form(values: dict[str, str], dataset_folder: Path) -> ScenarioFile:
    """The scenario the form describes, checked; a mistake raises ScenarioError naming the field."""
    toml = values.get("toml", "").rstrip()  # blank lines at its start stay: its lines are the box's
    text = _with_data(toml, dataset_folder, values) if toml.strip() else form_toml(values, dataset_folder)
    return parse_scenario(text, source="the form", base=dataset_folder)


def check_names(scenario: ScenarioFile, dataset_folder: Path) -> None:
    """Every provider, hub, patch, locality and ferry the scenario names exists in the dataset (about a second
    at 1,000 clients): a typo is the form's answer, not a run that fails after queueing (or solving)."""
    from commissioning.inputs.folder import load_dataset
    from commissioning.running.run import check_scenario_names, pool_member_limit
    from commissioning.running.travel import travel_model_for

    data = load_dataset(dataset_folder, max_pool_members=pool_member_limit(scenario))
    check_scenario_names(scenario, data, travel_model_for(data))


TOML_BOX = "the TOML box"
_SOURCE = re.compile(r"^(?:the form|scenario)(?:, line (\d+))?: (?:key '([^']*)': )?")
_SOURCE_WORD = re.compile(r"^(?:the form|scenario)(?:, line \d+)?")
_TOML_LINE = re.compile(r"\(at line (\d+), column")
_VARIANT_KEY = re.compile(r"variants\[(\d+)\](?:\.(\w+(?:\.\w+)*))?")


def in_user_words(message: str, values: dict[str, str]) -> str:
    """A mistake found in what the form sent, as the user sees the form. From the TOML box: "the TOML box,
    line N" with the box's own line numbers (the text checked has the dataset's ``data`` line above it). From
    the fields: the field by its legend and label ("the form, Variant 1: time_limit_s"), never a line of the
    scenario the fields were written into, which the user never saw."""
    if values.get("toml", "").strip():
        above = 1 + len(_box_lines(values))  # the data line (and the Run name's) are not the user's

        def box(match: re.Match) -> str:
            line = int(match.group(1)) - above if match.group(1) else 0
            where = f"{TOML_BOX}, line {line}" if line > 0 else TOML_BOX
            return f"{where}: key '{match.group(2)}': " if match.group(2) else f"{where}: "

        message = _SOURCE.sub(box, message, count=1)
        return _TOML_LINE.sub(lambda m: f"(at line {max(int(m.group(1)) - above, 1)}, column", message)
    included = [k for k in range(VARIANT_SLOTS) if values.get(f"v{k}.include") == "on"]

    def label(key: str) -> str:
        if key == "name":
            return "Run name"
        for table, name, _, _ in TABLE_KEYS:
            if key == f"{table}.{name}" or key.startswith(f"{table}.{name}."):
                return f"[{table}] {key[len(table) + 1:]}"
        return _VARIANT_KEY.sub(variant, key)

    def variant(match: re.Match, joint: str = ": ") -> str:
        index = int(match.group(1))
        slot = included[index] + 1 if index < len(included) else index + 1
        return f"Variant {slot}{joint}{match.group(2)}" if match.group(2) else f"Variant {slot}"

    found = _SOURCE.match(message)
    if found and found.group(2):
        head, rest = f"the form, {label(found.group(2))}: ", message[found.end():]
    else:
        head, rest = "", _SOURCE_WORD.sub("the form", message, count=1)
    for table, name, _, _ in TABLE_KEYS:
        rest = rest.replace(f"{table}.{name}", f"[{table}] {name}")
    return head + _VARIANT_KEY.sub(lambda m: variant(m, "'s "), rest)


def _box_keys(toml: str) -> set[str] | None:
    """The TOML box's top-level keys, or None when it is not valid TOML (the parser then says where)."""
    try:
        return set(tomllib.loads(toml))
    except tomllib.TOMLDecodeError:
        return None


def _box_lines(values: dict[str, str]) -> list[str]:
    """The lines put above the TOML box's text, but ``data``: the Run name field where the box has no name."""
    keys, name = _box_keys(values.get("toml", "").strip()), values.get("name", "").strip()
    # _inline_toml, not json.dumps: its \ud83d escapes of an emoji are not TOML ("Plan 🚀" was refused)
    return [f"name = {_inline_toml(name)}"] if keys is not None and "name" not in keys and name else []


def _with_data(toml: str, dataset_folder: Path, values: dict[str, str]) -> str:
    """Pasted TOML runs on the dataset chosen in the form: its own ``data`` would be a second answer. A box
    without a ``name`` takes the Run name field's."""
    if "data" in (_box_keys(toml) or ()):
        raise ScenarioError(
            "the TOML box has data = ... . Fix: remove it (and any [data] table): the run uses "
            "the dataset chosen above"
        )
    return "\n".join([f"data = {_inline_toml(str(dataset_folder))}", *_box_lines(values), toml]) + "\n"


def form_toml(values: dict[str, str], dataset_folder: Path) -> str:
    out = [
        f"name = {_inline_toml(values.get('name') or 'scenario')}",
        f"data = {_inline_toml(str(dataset_folder))}",
    ]
    tables: dict[str, list[str]] = {}
    for table, key, kind, _ in TABLE_KEYS:
        raw = values.get(f"{table}.{key}", "").strip()
        if raw:
            tables.setdefault(table, []).append(f"{key} = {_toml_value(kind, raw, f'[{table}] {key}')}")
    for table, lines in tables.items():
        out += ["", f"[{table}]", *lines]
    kinds = {f.name: f.metadata["kind"] for f in (*switches.rule_fields(), *switches.search_fields())}
    kinds |= {
        "name": "text",
        "mode": "text",
        "description": "text",
        "waiting": "text",
        "exclude": "providers",
    } | dict.fromkeys(WHATIF_KEYS, "toml")
    for k in range(VARIANT_SLOTS):
        if values.get(f"v{k}.include") != "on":
            continue
        out += ["", "[[variants]]"]
        for key, kind in kinds.items():
            raw = values.get(f"v{k}.{key}", "").strip()
            if raw:
                out.append(f"{key} = {_toml_value(kind, raw, f'Variant {k + 1}: {key}')}")
    return "\n".join(out) + "\n"


def _toml_value(kind: str, raw: str, label: str) -> str:
    """A form field's text as a TOML value of its kind."""
    try:
        if kind == "toml":
            # One value on one line: a second line or key would set something the field does not name.
            if "\n" in raw or "\r" in raw or len(tomllib.loads(f"value = {raw}")) != 1:
                raise ValueError(raw)
            return raw
        if kind in ("text", "choice"):
            return _inline_toml(raw)
        if kind == "bool":
            return {"true": "true", "false": "false", "on": "true"}[raw.lower()]
        if kind in ("providers",):
            return _inline_toml([p.strip() for p in raw.replace(";", ",").split(",") if p.strip()])
        if kind == "shares":
            return "[" + ", ".join(repr(float(p)) for p in raw.split(",") if p.strip()) + "]"
        if kind == "provider_zones":
            pairs = [part.split(":", 1) for part in raw.split(";") if part.strip()]
            return "{" + ", ".join(f"{p.strip()} = {_inline_toml(z.split())}" for p, z in pairs) + "}"
        if kind in ("count", "natural"):
            return str(int(raw))
        return repr(float(raw))
    except (ValueError, KeyError, tomllib.TOMLDecodeError):
        raise ScenarioError(
            f"the form, {label}: {raw!r} is not {_what(kind)}. Fix: correct the field, or leave it "
            "empty for the default"
        ) from None


def _what(kind: str) -> str:
    return {
        "bool": "true or false",
        "count": "a whole number",
        "natural": "a whole number",
        "provider_zones": "a list like 'P04: Z07 Z08; P05: Z01'",
        "toml": "one TOML value (a number, \"text\", [a, list] or { key = value })",
    }.get(kind, "a number")
