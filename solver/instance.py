"""Anonymised JSON instances: arrays only — no names, no identifiers, no coordinates.

Format (version 2; version 1, with pools as ``pools.weekly_hours`` and no hubs, is still read)::

    {
      "format": "care-commissioning-instance", "version": 1,
      "n_zones": Z,
      "clients":   {"weekly_hours": [...], "visits_per_week": [...], "carers_per_visit": [...],
                    "zone": [...], "needs": [...], "current_provider": [...], "pinned_provider": [...]},
      "providers": {"weekly_staff_hours": [...], "hourly_rate_gbp": [...], "skills": [...],
                    "min_viable_hours": [...], "max_weekly_hours": [... null = no cap]},
      "pairs":     {"client": [...], "provider": [...], "hub": [...], "near": [...], "travel_minutes": [...],
                    "staff_hours": [...], "care_cost_gbp": [...], "travel_cost_gbp": [...]},
      "hubs":      {"provider": [...], "pool": [...], "drivers": [...], "non_drivers": [...],
                    "carer_weekly_hours": [...], "carer_band_hours": [[... null = no limit], ...],
                    "max_recruits": [... null = the switch's limit]},
      "pools":     {"members": [[provider, ...], ...], "zones": [[zone, ...], ...]},
      "switches":  {Switches fields}        # optional; defaults when absent
    }

Indices are 0-based positions; -1 means none. Zones, providers and clients are known only by position, so a
shared instance reveals nothing about people or places. :func:`solve_instance` is what the CLI
``solve-instance`` runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from solver.core import solve
from solver.data import DataError, ProblemData, SolveParams, Switches, _pools_as_hubs

FORMAT = "care-commissioning-instance"
VERSION = 2
READABLE = (1, 2)


def _list(a: np.ndarray) -> list:
    """JSON-ready values: infinities as null, at any depth."""

    def clean(v):
        if isinstance(v, list):
            return [clean(w) for w in v]
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return clean(np.asarray(a).tolist())


GROUPS = {"client_": "clients", "provider_": "providers", "pair_": "pairs", "pool_": "pools", "hub_": "hubs"}
# Fields that may be absent from a file (their neutral default): the optional fields of ProblemData.
OPTIONAL = {f.name for f in fields(ProblemData) if f.default is None}
INFINITE_WHEN_NULL = (
    "provider_max_weekly_hours",
    "provider_weekly_staff_hours",
    "hub_carer_band_hours",
    "hub_max_recruits",
)
INDEX_LISTS = ("pool_members", "pool_zones")  # bool matrices, written as the indices of each row's True


PAIR_COLUMNS = (
    "pair_client",
    "pair_provider",
    "pair_travel_minutes",
    "pair_staff_hours",
    "pair_care_cost_gbp",
    "pair_travel_cost_gbp",
)


def json_place(field_name: str) -> tuple[str, str]:
    """Where a :class:`ProblemData` field goes in the JSON: ``client_weekly_hours`` → clients.weekly_hours."""
    for prefix, group in GROUPS.items():
        if field_name.startswith(prefix):
            return group, field_name[len(prefix) :]
    raise ValueError(f"{field_name}: no JSON group for this field")


def instance_fields() -> list[str]:
    """The data of every rule (:attr:`solver.rules.base.Rule.data`), in rule order."""
    from solver.rules import RULES

    return [name for rule in RULES for name in rule.data]


def to_dict(data: ProblemData, switches: Switches | None = None, about: dict | None = None) -> dict:
    """The instance as a JSON-ready dict; ``about`` (e.g. how it was anonymised) is kept under "about"."""
    out: dict = {"format": FORMAT, "version": VERSION, "n_zones": data.n_zones}
    for name in instance_fields():
        group, key = json_place(name)
        value = getattr(data, name)
        rows = [np.nonzero(row)[0].tolist() for row in value] if name in INDEX_LISTS else _list(value)
        out.setdefault(group, {})[key] = rows
    if switches is not None:
        out["switches"] = asdict(switches)
    if about:
        out["about"] = about
    return out


def to_json(data: ProblemData, switches: Switches | None = None, about: dict | None = None) -> str:
    return json.dumps(to_dict(data, switches, about), separators=(",", ":"))


def _field_values(obj: dict, name: str, n_zones: int, n_providers: int):
    group, key = json_place(name)
    value = obj.get(group, {}).get(key) if name in OPTIONAL else obj[group][key]
    if value is None and name in OPTIONAL and name not in INDEX_LISTS:
        return None
    if name in INDEX_LISTS:
        rows = value or []
        out = np.zeros((len(rows), n_providers if name == "pool_members" else n_zones), bool)
        for j, row in enumerate(rows):
            out[j, row] = True
        return out
    if name in INFINITE_WHEN_NULL:
        return _nulls_infinite(value)
    return value


def _nulls_infinite(value):
    if isinstance(value, list):
        return [_nulls_infinite(v) for v in value]
    return math.inf if value is None else value


def from_dict(obj: dict) -> tuple[ProblemData, Switches]:
    if not isinstance(obj, dict):
        raise DataError(f"not a {FORMAT} file (it holds a JSON {type(obj).__name__}, not an object)")
    if obj.get("format") != FORMAT:
        raise DataError(f"not a {FORMAT} file (format = {obj.get('format')!r})")
    if obj.get("version") not in READABLE:
        raise DataError(
            f"unsupported instance version {obj.get('version')!r}; this solver reads "
            f"{', '.join(map(str, READABLE))}"
        )
    try:
        n_zones = int(obj["n_zones"])
        m = len(obj["providers"]["weekly_staff_hours"])
        arrays = {name: _field_values(obj, name, n_zones, m) for name in instance_fields()}
        weekly = (obj.get("pools") or {}).get("weekly_hours")
        if weekly:  # version 1: pools as weekly hours, one pool hub each
            pairs = {name: np.asarray(arrays[name]) for name in PAIR_COLUMNS}
            optional = {name: arrays[name] for name in OPTIONAL if arrays.get(name) is not None}
            optional, pairs = _pools_as_hubs(
                optional, weekly, np.asarray(arrays["client_zone"]), pairs, m, n_zones
            )
            arrays = {**arrays, **optional, **pairs}
        data = ProblemData(n_zones=n_zones, **arrays)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"malformed instance: {type(exc).__name__}: {exc}") from exc
    return data, _switches(obj)


# Switch names of files written before one name per switch (issue 11): read as today's names.
_RENAMED = {
    "pools_enabled": "pools",
    "unmet_penalty_per_hour_gbp": "unmet_penalty_gbp_per_hour",
    "enforce_min_viable": "min_viable",
    "enforce_max_weekly": "max_weekly",
    "protected_providers": "protect",
}


def _switches(obj: dict) -> Switches:
    known = {f.name for f in fields(Switches)}
    sc = obj.get("switches", obj.get("scenario")) or {}  # "scenario": files written before issue 11
    if not isinstance(sc, dict):
        raise DataError("'switches' must be an object of Switches fields")
    sc = {_RENAMED.get(key, key): value for key, value in sc.items()}
    unknown = set(sc) - known
    if unknown:
        raise DataError(f"unknown switches keys: {', '.join(sorted(unknown))}")
    try:
        return Switches(**sc)
    except TypeError as exc:
        raise DataError(f"malformed switches: {exc}") from exc


def from_json(source: str | Path) -> tuple[ProblemData, Switches]:
    """Parse JSON text, or read a file when given a path (``Path`` or a string ending in ``.json``)."""
    if isinstance(source, Path) or (
        isinstance(source, str) and source.rstrip().endswith(".json") and not source.lstrip().startswith("{")
    ):
        source = Path(source).read_text()
    return from_dict(json.loads(source))


def solve_instance(source: str | Path, time_limit_s: float = 30.0, workers: int = 2, seed: int = 0) -> dict:
    """``{"status","objective","bound","gap","seconds","assignment","hubs","recruits"}`` (NaN as null) for one
    JSON instance: the provider and the hub of each client (-1: unmet or no hub), the carers recruited."""
    data, switches = from_json(source)
    r = solve(data, switches, SolveParams(time_limit_s=time_limit_s, workers=workers, seed=seed))

    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    return {
        "status": r.status,
        "objective": num(r.objective),
        "bound": num(r.bound),
        "gap": num(r.gap),
        "seconds": round(r.seconds, 3),
        "assignment": r.assignment.tolist(),
        "hubs": r.hubs.tolist(),
        "recruits": r.recruits.tolist(),
    }


@dataclass(frozen=True)
class Precision:
    """How finely an anonymised instance keeps its figures: coarse enough that a row cannot be matched back
    to the inputs by its exact hours or rate, fine enough that the allocation problem is the same one."""

    client_hours_step: float = 0.5  # assessed care hours per week
    rate_step_gbp: float = 1.0  # price per care hour
    staff_hours_step: float = 5.0  # providers' weekly staff hours, floors and caps
    travel_minutes_step: float = 1.0  # minutes per visit


def _round_to(a: np.ndarray, step: float, minimum: float = 0.0) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    out = np.where(np.isfinite(a), np.round(a / step) * step, a)
    return np.where(np.isfinite(out), np.maximum(out, minimum), out)


def _travel_cost_per_hour(data: ProblemData) -> float:
    """GBP per staff hour on the road (staff pay + mileage), as the instance was priced."""
    hours = data.pair_travel_hours
    return float(data.pair_travel_cost_gbp.sum() / hours.sum()) if hours.sum() > 0 else 0.0


def anonymised(data: ProblemData, seed: int = 0, precision: Precision = Precision()) -> ProblemData:
    """A copy with clients, providers, zones, hubs and pools in a seeded random order and every figure rounded
    (:class:`Precision`), pair costs recomputed from the rounded figures."""
    rng = np.random.default_rng(seed)
    ci, pi, zi = (rng.permutation(k) for k in (data.n_clients, data.n_providers, data.n_zones))
    qi, hi = rng.permutation(data.n_pools), rng.permutation(data.n_hubs)
    new_p, new_z, new_c, new_q, new_h = (np.argsort(order) for order in (pi, zi, ci, qi, hi))

    def moved(a: np.ndarray, new: np.ndarray) -> np.ndarray:
        return np.where(a >= 0, new[np.maximum(a, 0)], -1) if len(new) else a

    hours = _round_to(data.client_weekly_hours[ci], precision.client_hours_step, precision.client_hours_step)
    rate = _round_to(data.provider_hourly_rate_gbp[pi], precision.rate_step_gbp, precision.rate_step_gbp)
    staff_step = precision.staff_hours_step
    return ProblemData.build(
        client_weekly_hours=hours,
        client_visits_per_week=data.client_visits_per_week[ci],
        client_carers_per_visit=data.client_carers_per_visit[ci],
        client_zone=new_z[data.client_zone[ci]],
        client_needs=data.client_needs[ci],
        client_current_provider=moved(data.client_current_provider[ci], new_p),
        client_pinned_provider=moved(data.client_pinned_provider[ci], new_p),
        client_current_hub=moved(data.client_current_hub[ci], new_h),
        client_band_share=data.client_band_share[ci],
        client_zone_max_providers=data.client_zone_max_providers[ci],
        provider_weekly_staff_hours=_round_to(data.provider_weekly_staff_hours[pi], staff_step),
        provider_hourly_rate_gbp=rate,
        provider_skills=data.provider_skills[pi],
        provider_min_viable_hours=_round_to(data.provider_min_viable_hours[pi], staff_step),
        provider_max_weekly_hours=_round_to(data.provider_max_weekly_hours[pi], staff_step),
        pair_client=new_c[data.pair_client],
        pair_provider=new_p[data.pair_provider],
        pair_hub=moved(data.pair_hub, new_h),
        pair_near=data.pair_near,
        pair_travel_minutes=_round_to(data.pair_travel_minutes, precision.travel_minutes_step),
        n_zones=data.n_zones,
        hub_provider=moved(data.hub_provider[hi], new_p),
        hub_pool=moved(data.hub_pool[hi], new_q),
        hub_drivers=data.hub_drivers[hi],
        hub_non_drivers=data.hub_non_drivers[hi],
        hub_carer_weekly_hours=_round_to(data.hub_carer_weekly_hours[hi], 0.5),
        hub_carer_band_hours=_round_to(data.hub_carer_band_hours[hi], 0.5),
        hub_max_recruits=data.hub_max_recruits[hi],
        pool_members=data.pool_members[qi][:, pi],
        pool_zones=data.pool_zones[qi][:, zi],
        staff_cost_per_hour_gbp=_travel_cost_per_hour(data),
        mileage_gbp_per_travel_hour=0.0,
    )
