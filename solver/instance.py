"""Anonymised JSON instances: arrays only — no names, no identifiers, no coordinates.

Format (version 1)::

    {
      "format": "care-commissioning-instance", "version": 1,
      "n_zones": Z,
      "clients":   {"weekly_hours": [...], "visits_per_week": [...], "carers_per_visit": [...],
                    "zone": [...], "needs": [...], "current_provider": [...], "pinned_provider": [...]},
      "providers": {"weekly_staff_hours": [...], "hourly_rate_gbp": [...], "skills": [...],
                    "min_viable_hours": [...], "max_weekly_hours": [... null = no cap]},
      "pairs":     {"client": [...], "provider": [...], "travel_minutes": [...], "staff_hours": [...],
                    "care_cost_gbp": [...], "travel_cost_gbp": [...]},
      "pools":     {"weekly_hours": [...], "members": [[provider, ...], ...], "zones": [[zone, ...], ...]},
      "scenario":  {ScenarioParams fields}        # optional; defaults when absent
    }

Indices are 0-based positions; -1 means none. Zones, providers and clients are known only by position, so a
shared instance reveals nothing about people or places. :func:`solve_instance` is what the CLI
``solve-instance`` runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from solver.data import DataError, ProblemData, ScenarioParams, SolveParams
from solver.solve import solve

FORMAT = "care-commissioning-instance"
VERSION = 1


def _list(a: np.ndarray) -> list:
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in np.asarray(a).tolist()]


def to_dict(data: ProblemData, scenario: ScenarioParams | None = None) -> dict:
    d = data
    out = {
        "format": FORMAT,
        "version": VERSION,
        "n_zones": d.n_zones,
        "clients": {
            "weekly_hours": _list(d.client_weekly_hours),
            "visits_per_week": _list(d.client_visits_per_week),
            "carers_per_visit": _list(d.client_carers_per_visit),
            "zone": _list(d.client_zone),
            "needs": _list(d.client_needs),
            "current_provider": _list(d.client_current_provider),
            "pinned_provider": _list(d.client_pinned_provider),
        },
        "providers": {
            "weekly_staff_hours": _list(d.provider_weekly_staff_hours),
            "hourly_rate_gbp": _list(d.provider_hourly_rate_gbp),
            "skills": _list(d.provider_skills),
            "min_viable_hours": _list(d.provider_min_viable_hours),
            "max_weekly_hours": _list(d.provider_max_weekly_hours),
        },
        "pairs": {
            "client": _list(d.pair_client),
            "provider": _list(d.pair_provider),
            "travel_minutes": _list(d.pair_travel_minutes),
            "staff_hours": _list(d.pair_staff_hours),
            "care_cost_gbp": _list(d.pair_care_cost_gbp),
            "travel_cost_gbp": _list(d.pair_travel_cost_gbp),
        },
        "pools": {
            "weekly_hours": _list(d.pool_weekly_hours),
            "members": [np.nonzero(row)[0].tolist() for row in d.pool_members],
            "zones": [np.nonzero(row)[0].tolist() for row in d.pool_zones],
        },
    }
    if scenario is not None:
        out["scenario"] = asdict(scenario)
    return out


def to_json(data: ProblemData, scenario: ScenarioParams | None = None) -> str:
    return json.dumps(to_dict(data, scenario), separators=(",", ":"))


def from_dict(obj: dict) -> tuple[ProblemData, ScenarioParams]:
    if obj.get("format") != FORMAT:
        raise DataError(f"not a {FORMAT} file (format = {obj.get('format')!r})")
    if obj.get("version") != VERSION:
        raise DataError(f"unsupported instance version {obj.get('version')!r}; this solver reads {VERSION}")
    try:
        c, p, k, q = obj["clients"], obj["providers"], obj["pairs"], obj.get("pools", {})
        n_zones = int(obj["n_zones"])
        m = len(p["weekly_staff_hours"])
        n_pools = len(q.get("weekly_hours", []))
        members = np.zeros((n_pools, m), bool)
        zones = np.zeros((n_pools, n_zones), bool)
        for j in range(n_pools):
            members[j, q["members"][j]] = True
            zones[j, q["zones"][j]] = True
        data = ProblemData(
            client_weekly_hours=c["weekly_hours"],
            client_visits_per_week=c["visits_per_week"],
            client_carers_per_visit=c["carers_per_visit"],
            client_zone=c["zone"],
            client_needs=c["needs"],
            client_current_provider=c["current_provider"],
            client_pinned_provider=c["pinned_provider"],
            provider_weekly_staff_hours=p["weekly_staff_hours"],
            provider_hourly_rate_gbp=p["hourly_rate_gbp"],
            provider_skills=p["skills"],
            provider_min_viable_hours=p["min_viable_hours"],
            provider_max_weekly_hours=[math.inf if v is None else v for v in p["max_weekly_hours"]],
            pair_client=k["client"],
            pair_provider=k["provider"],
            pair_travel_minutes=k["travel_minutes"],
            pair_staff_hours=k["staff_hours"],
            pair_care_cost_gbp=k["care_cost_gbp"],
            pair_travel_cost_gbp=k["travel_cost_gbp"],
            n_zones=n_zones,
            pool_weekly_hours=q.get("weekly_hours", []),
            pool_members=members,
            pool_zones=zones,
        )
    except (KeyError, IndexError, TypeError) as exc:
        raise DataError(f"malformed instance: {type(exc).__name__}: {exc}") from exc
    known = {f.name for f in fields(ScenarioParams)}
    sc = obj.get("scenario") or {}
    unknown = set(sc) - known
    if unknown:
        raise DataError(f"unknown scenario keys: {', '.join(sorted(unknown))}")
    return data, ScenarioParams(**sc)


def from_json(source: str | Path) -> tuple[ProblemData, ScenarioParams]:
    """Parse JSON text, or read a file when given a path (``Path`` or a string ending in ``.json``)."""
    if isinstance(source, Path) or (isinstance(source, str) and source.rstrip().endswith(".json")
                                    and not source.lstrip().startswith("{")):
        source = Path(source).read_text()
    return from_dict(json.loads(source))


def solve_instance(source: str | Path, time_limit_s: float = 30.0, workers: int = 2, seed: int = 0) -> dict:
    """``{"status","objective","bound","gap","seconds","assignment"}`` (NaN as null) for one JSON instance."""
    data, scenario = from_json(source)
    r = solve(data, scenario, SolveParams(time_limit_s=time_limit_s, workers=workers, seed=seed))

    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    return {
        "status": r.status,
        "objective": num(r.objective),
        "bound": num(r.bound),
        "gap": num(r.gap),
        "seconds": round(r.seconds, 3),
        "assignment": r.assignment.tolist(),
    }
