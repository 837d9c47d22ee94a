"""Applying a variant's what-if (:class:`commissioning.scenario.whatif.WhatIf`) to the data it is solved on.

:func:`apply_whatif` returns a changed copy of the dataset (fewer carers, more assessed hours, new prices)
and the travel model without the ferries out; :func:`limit_zones` gives the problem the zones' own zoning
limits; :func:`build_whatif_problem` does the whole build of such a variant, saying who a
ferry out leaves unreachable and who can still serve them (:func:`ferry_effects`). The rules are in the
module doc of :mod:`commissioning.scenario.whatif`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np

from commissioning.inputs.domain import Dataset, Hub
from commissioning.scenario.whatif import MAX_WEEKLY_HOURS, Fail, WhatIf, default_fail


def apply_whatif(whatif: WhatIf, data: Dataset, travel, *, fail: Fail | None = None):
    """``(data, travel, warnings)`` with the what-if applied (the same objects when it changes nothing).

    Ids, patches, localities and ferries the what-if names are checked here, against the data: ``fail(key,
    message, fix)`` raises (default: a :class:`~commissioning.errors.ScenarioError` naming the key).
    """
    fail = fail or default_fail
    if not whatif:
        return data, travel, []
    _check_references(whatif, data, fail)
    warnings: list[str] = []
    if whatif.staff_loss:
        data = _lose_staff(whatif, data, warnings)
    if whatif.demand_change:
        data = _change_demand(whatif, data, warnings)
    if whatif.prices:
        providers = tuple(dataclasses.replace(p, hourly_rate_gbp=whatif.prices[p.provider_id])
                          if p.provider_id in whatif.prices else p for p in data.providers)
        data = dataclasses.replace(data, providers=providers)
    if whatif.ferries_out:
        travel = _without_ferries(whatif, travel, fail)
    return data, travel, warnings


# -- references ------------------------------------------------------------------------------------------


def check_whatif_names(whatif: WhatIf, data: Dataset, travel, fail: Fail | None = None) -> None:
    """Every provider, hub, patch, locality and ferry ``whatif`` names exists in ``data`` and ``travel``:
    cheap, so a run checks every variant's before it solves any (a typo in one variant's ferry was found
    only when that variant was built, after the others' solves)."""
    fail = fail or default_fail
    if whatif:
        _check_references(whatif, data, fail)
    if whatif.ferries_out:
        _ferry_routes(whatif, travel, fail)


def _check_references(whatif: WhatIf, data: Dataset, fail: Fail) -> None:
    known = {
        "provider": ({p.provider_id for p in data.providers}, "providers.csv"),
        "hub": ({h.hub_id for h in data.hubs}, "hubs.csv"),
        "zone": ({z.zone_id for z in data.zones}, "zones.geojson"),
        "locality": ({z.locality for z in data.zones if z.locality}, "zones.geojson's localities"),
    }
    sl, dc = whatif.staff_loss, whatif.demand_change
    named = [
        ("staff_loss.by_provider", sl.by_provider, "provider"),
        ("staff_loss.by_hub", sl.by_hub, "hub"),
        ("staff_loss.by_zone", sl.by_zone, "zone"),
        ("staff_loss.by_locality", sl.by_locality, "locality"),
        ("demand_change.by_zone", dc.by_zone, "zone"),
        ("demand_change.by_locality", dc.by_locality, "locality"),
        ("prices", whatif.prices, "provider"),
        ("max_providers_per_zone_by_zone", whatif.max_providers_by_zone, "zone"),
        ("max_providers_per_zone_by_locality", whatif.max_providers_by_locality, "locality"),
    ]
    for name, table, what in named:
        ids, where = known[what]
        for item in table:
            if item not in ids:
                shown = ", ".join(sorted(ids)[:20]) + (" ..." if len(ids) > 20 else "")
                fail(whatif.key(f"{name}.{item}"), f"{what} {item!r} does not exist in {where}",
                     f"use {what} names of {where} ({shown or 'none'})")


# -- staff ---------------------------------------------------------------------------------------------


def hub_zones(data: Dataset) -> dict[str, str]:
    """The patch each hub of the dataset lies in (``""`` outside every patch)."""
    import shapely

    out = {}
    for hub in data.hubs:
        point = shapely.Point(hub.lon, hub.lat)
        out[hub.hub_id] = next((z.zone_id for z in data.zones if z.geometry.covers(point)), "")
    return out


def kept_carers(hub: Hub, share: float) -> tuple[int, int]:
    """``(carers, drivers)`` a hub keeps after losing ``share`` of them: both rounded down (1e-9 absorbs
    float error such as 10 × 0.7 = 6.9999...)."""
    carers = math.floor(hub.carers * (1.0 - share) + 1e-9)
    drivers = min(carers, math.floor(hub.drivers * (1.0 - share) + 1e-9))
    return carers, drivers


def _lose_staff(whatif: WhatIf, data: Dataset, warnings: list[str]) -> Dataset:
    shares, zones = whatif.staff_loss, hub_zones(data)
    locality = {z.zone_id: z.locality or "" for z in data.zones}
    hubs, before, after = [], Counter(), Counter()
    for hub in data.hubs:
        zone = zones[hub.hub_id]
        share = shares.share(hub=hub.hub_id, provider=hub.provider_id or "", zone=zone,
                             locality=locality.get(zone, ""))
        carers, drivers = kept_carers(hub, share)
        if hub.pool_id is None:
            before[hub.provider_id] += hub.carers
            after[hub.provider_id] += carers
        hubs.append(dataclasses.replace(hub, carers=carers, drivers=drivers))
    providers = []
    for p in data.providers:
        cap = p.weekly_staff_hours
        if cap is not None:
            ratio = (after[p.provider_id] / before[p.provider_id] if before[p.provider_id]
                     else 1.0 - shares.share(provider=p.provider_id))
            cap = round(cap * ratio, 2)
        providers.append(dataclasses.replace(p, weekly_staff_hours=cap))
    hub_places = {"zone": set(zones.values()), "locality": {locality.get(z, "") for z in zones.values()}}
    for place, table in (("zone", shares.by_zone), ("locality", shares.by_locality)):
        for item in sorted(set(table) - hub_places[place]):
            key = whatif.key(f"staff_loss.by_{place}.{item}")
            warnings.append(f"{key}: no hub lies in {place} {item!r}, so no carer is lost there (carers are "
                            "counted at their hubs)")
    total, kept = sum(h.carers for h in data.hubs), sum(h.carers for h in hubs)
    warnings.append(f"{whatif.key('staff_loss')}: the hubs keep {kept:,} of their {total:,} carers")
    return dataclasses.replace(data, hubs=tuple(hubs), providers=tuple(providers))


# -- demand --------------------------------------------------------------------------------------------


def _change_demand(whatif: WhatIf, data: Dataset, warnings: list[str]) -> Dataset:
    shares = whatif.demand_change
    locality = {z.zone_id: z.locality or "" for z in data.zones}
    clients, capped = [], 0
    for c in data.clients:
        share = shares.share(zone=c.zone, locality=locality.get(c.zone, ""))
        hours = c.weekly_hours if share == 0 else max(0.01, round(c.weekly_hours * (1.0 + share), 2))
        capped += hours > MAX_WEEKLY_HOURS
        clients.append(dataclasses.replace(c, weekly_hours=min(hours, MAX_WEEKLY_HOURS)))
    zones = {c.zone for c in data.clients}
    used = {"zone": zones, "locality": {locality.get(z, "") for z in zones}}
    for place, table in (("zone", shares.by_zone), ("locality", shares.by_locality)):
        for item in sorted(set(table) - used[place]):
            warnings.append(f"{whatif.key(f'demand_change.by_{place}.{item}')}: no client lives in {place} "
                            f"{item!r}, so no hours change there")
    before, after = sum(c.weekly_hours for c in data.clients), sum(c.weekly_hours for c in clients)
    warnings.append(f"{whatif.key('demand_change')}: assessed hours {before:,.1f} → {after:,.1f} a week "
                    "(visits unchanged)" + (f"; {capped} clients held at {MAX_WEEKLY_HOURS:g} h, a whole week"
                                            if capped else ""))
    return dataclasses.replace(data, clients=tuple(clients))


# -- ferries -------------------------------------------------------------------------------------------


def _without_ferries(whatif: WhatIf, travel, fail: Fail):
    routes = _ferry_routes(whatif, travel, fail)  # first: it says when the travel has no ferries to take out
    return travel.without_ferries(routes)


def _ferry_routes(whatif: WhatIf, travel, fail: Fail) -> list:
    """The routes of ``whatif.ferries_out``; ``fail`` on a name no route has, or on approximate travel."""
    key = whatif.key("ferries_out")
    if not hasattr(travel, "without_ferries"):
        fail(key, "needs the road + ferry network, but this dataset's travel is approximate (straight lines, "
             "no ferries)", 'remove ferries_out, or use a dataset of an embedded region ("travel_model": '
             '"network" in dataset.json)')
    routes = []
    for name in whatif.ferries_out:
        route = travel.ferry_route_of(name)
        if route is None:
            import difflib

            names = sorted(dict.fromkeys(str(n) for n in travel.ferry_name))
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            fail(key, f"no ferry route is called {name!r}",
                 f"{hint}name routes as `commissioning travel` does: {', '.join(names)}")
        routes.append(route)
    return routes


def ferry_names(whatif: WhatIf, travel) -> list[str]:
    """The ferries out, named as journeys name them (``Oban–Craignure``)."""
    out = []
    for name in whatif.ferries_out:
        route = travel.ferry_route_of(name) if hasattr(travel, "ferry_route_of") else None
        out.append(str(travel.ferry_name[travel.ferry_index(route)]) if route else name)
    return out


def ferry_effects(whatif: WhatIf, base: tuple, problem, index, travel=None):
    """``(index, warnings)``: clients the ferries out leave with no provider at all (their unmet reason says
    so) and clients who lose some providers, with who can still serve them, against ``base`` (the
    ``(problem, index)`` built without the what-if, same clients in the same order)."""
    if not whatif.ferries_out:
        return index, []
    base_problem, _ = base
    before, now = _providers_of(base_problem), _providers_of(problem)
    if len(before) != len(now):
        raise ValueError("ferry_effects: the two problems have different clients")
    ferries = ", ".join(ferry_names(whatif, travel) if travel is not None else whatif.ferries_out)
    lost = [i for i in range(len(now)) if before[i] and not now[i]]
    fewer = [i for i in range(len(now)) if now[i] and before[i] - now[i]]
    reasons = list(index.ineligible_reason)
    for i in lost:
        why = reasons[i] or "no provider can reach the client"
        reasons[i] = f"{why} (ferries out in this variant: {ferries})"
    today = problem.client_current_provider
    cut = tuple(ferries if today[i] in before[i] - now[i] else "" for i in range(len(now)))
    index = dataclasses.replace(index, ineligible_reason=tuple(reasons), ferries_cut=cut)
    zone = [index.zone_ids[z] for z in problem.client_zone]
    warnings = []
    if lost:
        by_zone = Counter(zone[i] for i in lost)
        warnings.append(f"{whatif.key('ferries_out')} ({ferries}): {len(lost)} clients become unreachable, "
                        f"served by no provider: {_counts(by_zone)}")
    if fewer:
        still: dict[str, set[str]] = {}
        for i in fewer:
            still.setdefault(zone[i], set()).update(index.provider_ids[p] for p in now[i])
        by_zone = Counter(zone[i] for i in fewer)
        who = "; ".join(f"{z} ({by_zone[z]}): {', '.join(sorted(still[z]))}" for z in sorted(still))
        warnings.append(f"{whatif.key('ferries_out')} ({ferries}): {len(fewer)} clients lose some providers "
                        f"but can still be served, by: {who}")
    if not lost and not fewer:
        warnings.append(f"{whatif.key('ferries_out')} ({ferries}): no client loses a provider within reach")
    return index, warnings


def _providers_of(problem) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(problem.n_clients)]
    ok = problem.pair_eligible
    for i, p in zip(problem.pair_client[ok].tolist(), problem.pair_provider[ok].tolist(), strict=True):
        out[i].add(p)
    return out


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


# -- zoning per zone -----------------------------------------------------------------------------------


def zone_limit_ids(whatif: WhatIf, data: Dataset) -> dict[str, int]:
    """Each zone's own zoning limit: its locality's, then its own (the patch's beats its locality's)."""
    out = {}
    for z in data.zones:
        if z.locality and z.locality in whatif.max_providers_by_locality:
            out[z.zone_id] = whatif.max_providers_by_locality[z.locality]
        if z.zone_id in whatif.max_providers_by_zone:
            out[z.zone_id] = whatif.max_providers_by_zone[z.zone_id]
    return out


def limit_zones(whatif: WhatIf, problem, index, data: Dataset):
    """The problem with the zones' own zoning limits (``client_zone_max_providers``; the variant's
    ``max_providers_per_zone`` holds elsewhere). Unchanged without per-zone keys."""
    if not whatif.zone_limits:
        return problem
    limit_of_zone = np.full(len(index.zone_ids), -1, dtype=np.int64)
    for zone_id, limit in zone_limit_ids(whatif, data).items():
        limit_of_zone[index.zone_ids.index(zone_id)] = limit
    return dataclasses.replace(problem, client_zone_max_providers=limit_of_zone[problem.client_zone])


# -- the whole build -----------------------------------------------------------------------------------


def travelled_for(whatif: WhatIf, data: Dataset, travel, base_travelled=None, workforce=None):
    """Travel from every hub for the changed data: the base figures with the changed hubs when travel is
    the same (hubs keep their places and order), recomputed when ferries are out."""
    from commissioning.running.hubs import all_hubs, hub_travel

    if whatif.ferries_out or base_travelled is None:
        return hub_travel(data, travel, workforce)
    hubs = all_hubs(data)
    if [h.hub_id for h in hubs] != [h.hub_id for h in base_travelled.hubs]:
        return hub_travel(data, travel, workforce)
    return dataclasses.replace(base_travelled, hubs=hubs)


def build_whatif_problem(whatif: WhatIf, data: Dataset, travel, base: tuple, *, travelled=None,
                         fail: Fail | None = None, **build):
    """``(data, travel, problem, index, warnings)`` of a variant with a what-if: the what-if applied, then
    :func:`commissioning.running.problem.build_problem` (``build``: its keyword arguments), then what the
    ferries out change against ``base`` (the ``(problem, index)`` without the what-if)."""
    from commissioning.running.problem import build_problem

    changed, new_travel, warnings = apply_whatif(whatif, data, travel, fail=fail)
    ht = travelled_for(whatif, changed, new_travel, travelled, build.get("workforce"))
    problem, index = build_problem(changed, new_travel, travelled=ht, **build)
    problem = limit_zones(whatif, problem, index, changed)
    index, more = ferry_effects(whatif, base, problem, index, new_travel)
    return changed, new_travel, problem, index, warnings + more
