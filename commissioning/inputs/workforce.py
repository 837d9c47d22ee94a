"""Carers where they live: the checks across ``hubs.csv``, ``pools.csv`` and the zones, and the hubs the
loader makes for files that do not list them.

Every provider and every staffed pool ends up with hubs, because the running layer counts capacity per hub:

* a provider with no row in hubs.csv gets one hub at its base (:func:`domain.default_provider_hub`);
* a pool with no hub in hubs.csv but ``weekly_hours`` (files written before hubs carried carers) gets one
  hub per pool zone at :func:`zones.pool_base`, with the pool's hours shared out as carers.

Each of these assumptions is one warning per file, naming what was assumed. The errors (a pool of more
members than the partnership rule allows, a pool's hub outside the pool's zones) name file, row, column,
value and fix like every other input problem.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import shapely

from commissioning.errors import Problem
from commissioning.inputs.domain import (
    MADE_HUB_FIELDS,
    Hub,
    Pool,
    Provider,
    Zone,
    default_drivers,
    default_provider_hub,
)
from commissioning.inputs.records import ParsedTable
from commissioning.inputs.schema import DEFAULT_WEEKLY_HOURS_PER_CARER, number_text
from commissioning.inputs.zones import M_PER_DEG_LAT, pool_base
from commissioning.vocabulary import LIST_SEPARATOR

# A pool's hub this close to one of its zones counts as inside: a hub on the boundary road or the harbour
# wall of a patch drawn along the shore, while a hub in the next patch is kilometres away.
POOL_HUB_TOLERANCE_M = 50.0

_IF_RIGHT = "if the assumption is right, ignore this warning"


# ----------------------------------------------------------------------------------------------------
# Checks (errors)
# ----------------------------------------------------------------------------------------------------


def check_pool_members(pools: ParsedTable | None, max_pool_members: int, problems: list[Problem]) -> None:
    """A pool of more members than ``max_pool_members`` is an error: the partnership rule of the seeds (a
    pool shared by more providers did not hold together), a parameter of :func:`load_dataset`."""
    if pools is None:
        return
    for row, r in zip(pools.rows, pools.values, strict=True):
        members = r["members"]
        if isinstance(members, tuple) and len(members) > max_pool_members:
            problems.append(
                Problem(
                    pools.source,
                    row,
                    "members",
                    LIST_SEPARATOR.join(members),
                    f"the pool has {len(members)} member providers, but at most {max_pool_members} "
                    f"provider{'s' if max_pool_members != 1 else ''} share a pool (partnership rule)",
                    "split the pool, or raise max_pool_members in the scenario file",
                )
            )


def check_pool_hubs(
    hubs: ParsedTable | None, pools: ParsedTable | None, zones: list[Zone] | None, problems: list[Problem]
) -> None:
    """A pool's hub lies in one of the pool's zones (within ``POOL_HUB_TOLERANCE_M``): its carers serve
    only there, and a hub elsewhere is usually a slip in the coordinates or a zone left off the pool."""
    if hubs is None or pools is None or not zones:
        return
    geometry = {z.zone_id: z.geometry for z in zones}
    # A repeated pool_id (its own error) cannot say which zones a hub must lie in: its hubs are not checked.
    repeated = {k for k, n in Counter(r["pool_id"] for r in pools.values).items() if n > 1}
    pool_zones = {
        r["pool_id"]: r["zones"]
        for r in pools.values
        if isinstance(r["pool_id"], str)
        and r["pool_id"] not in repeated
        and isinstance(r["zones"], tuple)
        and all(z in geometry for z in r["zones"])  # an unknown zone has its own error
    }
    for row, r in zip(hubs.rows, hubs.values, strict=True):
        pool, lon, lat = r["pool_id"], r["lon"], r["lat"]
        if pool not in pool_zones or not (_is_number(lon) and _is_number(lat)):
            continue  # no pool, an unknown pool (its own error) or a bad coordinate (its own error)
        outside_m = _metres_outside(lon, lat, [geometry[z] for z in pool_zones[pool]])
        if outside_m <= POOL_HUB_TOLERANCE_M:
            continue
        problems.append(_pool_hub_outside(hubs.source, row, r, pool_zones[pool], outside_m, zones))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _metres_outside(lon: float, lat: float, geometries: list) -> float:
    """Metres from the point to the nearest of the polygons (0 inside), in a local frame where a degree of
    longitude is shrunk by cos(latitude): a few metres off at most over one patch."""
    kx = math.cos(math.radians(lat))
    point = shapely.Point(lon * kx, lat)
    local = [shapely.transform(g, lambda xy: xy * [kx, 1.0]) for g in geometries]
    return min(float(shapely.distance(g, point)) for g in local) * M_PER_DEG_LAT


def _pool_hub_outside(
    source: str, row: int, r: dict[str, Any], pool_zones: tuple[str, ...], metres: float, zones: list[Zone]
) -> Problem:
    point = shapely.Point(r["lon"], r["lat"])
    inside = next((z.zone_id for z in zones if z.geometry.covers(point)), None)
    distance = f"{metres / 1000:,.1f} km" if metres >= 1000 else f"{metres:,.0f} m"
    listed = ", ".join(pool_zones)
    return Problem(
        source,
        row,
        "lon, lat",
        f"lon {r['lon']:g}, lat {r['lat']:g}",
        f"the hub of pool '{r['pool_id']}' lies {distance} outside the pool's zones ({listed})"
        + (f", in zone '{inside}'" if inside else "")
        + ": a pool's carers live and work in the pool's zones",
        f"move the hub into one of the pool's zones ({listed}; check lon and lat), or add "
        + (f"'{inside}'" if inside else "the zone it lies in")
        + f" to the zones of pool '{r['pool_id']}' in pools.csv",
    )


# ----------------------------------------------------------------------------------------------------
# Building the hubs (warnings)
# ----------------------------------------------------------------------------------------------------


def build_pools(pools: ParsedTable | None) -> tuple[Pool, ...]:
    if pools is None:
        return ()
    return tuple(Pool(r["pool_id"], r["zones"], r["members"], r["weekly_hours"]) for r in pools.values)


def build_hubs(
    parsed: dict[str, ParsedTable | None],
    providers: tuple[Provider, ...],
    pools: tuple[Pool, ...],
    zones: list[Zone],
    problems: list[Problem],
) -> tuple[Hub, ...]:
    """Every hub: hubs.csv's rows with their defaults filled, then one hub at the base of each provider
    without any, then hubs for the pools that give only weekly hours. Called after every check passed."""
    hubs_table, pools_table = parsed["hubs"], parsed["pools"]
    hubs_source = hubs_table.source if hubs_table is not None else "hubs.csv"
    share = {p.provider_id: p.non_driver_share for p in providers}
    pool_share = {q.pool_id: _mean(share[m] for m in q.members) for q in pools}
    listed = list(_listed_hubs(hubs_table, share, pool_share))
    taken = {h.hub_id for h in listed}

    owners = {h.provider_id for h in listed}
    bare = [p for p in providers if p.provider_id not in owners]
    based = [_renamed(default_provider_hub(p), taken) for p in bare]
    if bare:
        problems.append(_base_hubs_warning(hubs_source, based))

    made: list[Hub] = []
    if pools_table is not None:
        made = _pool_hubs(pools_table, pools, listed, pool_share, zones, taken, problems)
    return (*listed, *based, *made)


def _listed_hubs(
    hubs: ParsedTable | None, share: dict[str, float], pool_share: dict[str, float]
) -> Iterable[Hub]:
    if hubs is None:
        return
    for r, assumed in zip(hubs.values, hubs.assumed, strict=True):
        owner_share = share[r["provider_id"]] if r["pool_id"] is None else pool_share[r["pool_id"]]
        drivers = r["drivers"] if r["drivers"] is not None else default_drivers(r["carers"], owner_share)
        yield Hub(
            hub_id=r["hub_id"],
            provider_id=r["provider_id"],
            lon=r["lon"],
            lat=r["lat"],
            carers=r["carers"],
            drivers=drivers,
            weekly_hours_per_carer=r["weekly_hours_per_carer"],
            pool_id=r["pool_id"],
            max_recruits=r["max_recruits"],
            assumed=assumed,
        )


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _free_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... when hubs.csv already uses it: hub ids stay unique."""
    hub_id, k = wanted, 1
    while hub_id in taken:
        k += 1
        hub_id = f"{wanted}-{k}"
    taken.add(hub_id)
    return hub_id


def _renamed(hub: Hub, taken: set[str]) -> Hub:
    hub_id = _free_id(hub.hub_id, taken)
    return hub if hub_id == hub.hub_id else dataclasses.replace(hub, hub_id=hub_id)


def _base_hubs_warning(source: str, based: list[Hub]) -> Problem:
    one = len(based) == 1
    who = f"provider {based[0].provider_id} has" if one else f"{len(based)} providers have"
    where = f"its base ({based[0].hub_id})" if one else "each one's base (<provider_id>-base)"
    return Problem(
        source,
        None,
        "provider_id",
        ", ".join(h.provider_id for h in based),
        f"{who} no hub in {source}: assumed one hub at {where} with carers = weekly_staff_hours ÷ "
        f"{DEFAULT_WEEKLY_HOURS_PER_CARER:g} h, rounded up (0 without weekly_staff_hours), and drivers = "
        "carers × (1 − non_driver_share)",
        f"add each provider's hubs to {source} (hub_id, provider_id, lon, lat, carers, drivers: where its "
        f"carers live); {_IF_RIGHT}",
        "warning",
    )


def _pool_hubs(
    pools_table: ParsedTable,
    pools: tuple[Pool, ...],
    listed: list[Hub],
    pool_share: dict[str, float],
    zones: list[Zone],
    taken: set[str],
    problems: list[Problem],
) -> list[Hub]:
    """Hubs for pools that give only weekly hours; a warning for each pool whose weekly hours are ignored
    (it has hubs) or that has no carers at all."""
    geometry = {z.zone_id: z.geometry for z in zones}
    own = {}
    for hub in listed:
        if hub.pool_id is not None:
            own.setdefault(hub.pool_id, []).append(hub.hub_id)
    made: list[Hub] = []
    made_for: list[tuple[int, Pool]] = []
    for row, pool in zip(pools_table.rows, pools, strict=True):
        hours = pool.weekly_hours
        if pool.pool_id in own:
            if hours is not None:
                problems.append(_hours_ignored(pools_table.source, row, pool, own[pool.pool_id]))
        elif hours:  # None or 0: no carers to place
            made += _hubs_from_hours(pool, pool_share[pool.pool_id], geometry, taken)
            made_for.append((row, pool))
        else:
            problems.append(_no_carers(pools_table.source, row, pool))
    if made_for:
        problems.append(_made_hubs_warning(pools_table.source, made_for, made))
    return made


def _hubs_from_hours(pool: Pool, share: float, geometry: dict, taken: set[str]) -> list[Hub]:
    """One hub per pool zone at the zone's pool base, the pool's hours shared out as whole carers (at least
    one per zone, so that a small pool still reaches every one of its zones)."""
    per_zone_h = pool.weekly_hours / len(pool.zones)
    carers = max(1, round(per_zone_h / DEFAULT_WEEKLY_HOURS_PER_CARER))
    hubs = []
    for zone_id in pool.zones:
        lon, lat = pool_base(geometry[zone_id])
        hubs.append(
            Hub(
                hub_id=_free_id(f"{pool.pool_id}-{zone_id}", taken),
                provider_id=None,
                lon=lon,
                lat=lat,
                carers=carers,
                drivers=default_drivers(carers, share),
                pool_id=pool.pool_id,
                assumed=MADE_HUB_FIELDS,
            )
        )
    return hubs


def _made_hubs_warning(source: str, made_for: list[tuple[int, Pool]], made: list[Hub]) -> Problem:
    """One warning for the file (on the pool's row when there is one pool); the value is the weekly_hours
    the hubs were made from."""
    hours = [(row, pool.pool_id, number_text(pool.weekly_hours)) for row, pool in made_for]
    one = len(hours) == 1
    shown = ", ".join(f"{h.hub_id} ({h.carers} carers)" for h in made[:6]) + (", ..." if made[6:] else "")
    return Problem(
        source,
        hours[0][0] if one else None,
        "weekly_hours",
        hours[0][2] if one else ", ".join(f"{pool_id} {h}" for _, pool_id, h in hours),
        f"{f'pool {hours[0][1]} has' if one else f'{len(hours)} pools have'} no hub in hubs.csv, only "
        "weekly_hours: assumed one hub per pool zone at a point on the zone's largest land polygon, with "
        f"carers = weekly_hours ÷ {DEFAULT_WEEKLY_HOURS_PER_CARER:g} h ÷ the pool's zones (at least 1) and "
        f"drivers = carers × (1 − the members' mean non_driver_share): {shown}",
        "add the pool's hubs to hubs.csv (hub_id, pool_id, lon, lat, carers, drivers: where its carers live) "
        f"and empty weekly_hours; {_IF_RIGHT}",
        "warning",
    )


def _hours_ignored(source: str, row: int, pool: Pool, hub_ids: list[str]) -> Problem:
    return Problem(
        source,
        row,
        "weekly_hours",
        number_text(pool.weekly_hours),
        f"pool {pool.pool_id} has hubs in hubs.csv ({', '.join(hub_ids)}), so weekly_hours is ignored: the "
        "pool's carers are those of its hubs",
        "empty weekly_hours (the hubs carry the pool's carers), or delete the pool's hubs from hubs.csv to "
        "use weekly_hours",
        "warning",
    )


def _no_carers(source: str, row: int, pool: Pool) -> Problem:
    hours = "no weekly_hours" if pool.weekly_hours is None else "weekly_hours 0"
    return Problem(
        source,
        row,
        "weekly_hours",
        None if pool.weekly_hours is None else number_text(pool.weekly_hours),
        f"pool {pool.pool_id} has no carers (no hub in hubs.csv, {hours}): it adds nothing",
        "add the pool's hubs to hubs.csv (hub_id, pool_id, lon, lat, carers, drivers), or delete the pool",
        "warning",
    )
