"""From validated domain objects and a travel model to the solver's plain arrays.

:func:`build_problem` decides eligibility (skills, reachability, a maximum travel time per visit) from the
travel figures of :mod:`commissioning.running.travel`. Each client that no provider can serve keeps the
reason, so it can be reported as unmet *with* a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from commissioning.inputs.domain import Dataset
from commissioning.running.travel import client_provider_travel, nearest_hub_km, pool_travel
from commissioning.scenario.defaults import DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT, MoneyParams
from commissioning.vocabulary import NEEDS

NEED_BIT = {need: 1 << k for k, need in enumerate(NEEDS)}


@dataclass(frozen=True)
class ProblemIndex:
    """Maps the solver's integer indices back to the scenario's ids, plus per-client facts for reports."""

    client_ids: tuple[str, ...]
    provider_ids: tuple[str, ...]
    zone_ids: tuple[str, ...]
    pool_ids: tuple[str, ...]
    # Why a client has no eligible provider ("" when it has at least one).
    ineligible_reason: tuple[str, ...]
    # Why each provider was ruled out for a client, for the few clients with none eligible.
    pair_from_pool: np.ndarray = field(repr=False)  # bool per solver pair: priced from a pool base
    travel_approximate: bool = False


def _bitmask(words) -> int:
    mask = 0
    for word in words:
        mask |= NEED_BIT.get(word, 0)
    return mask


def build_problem(
    data: Dataset,
    travel,
    *,
    pools: bool = True,
    max_travel_minutes_per_visit: float = DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT,
    money: MoneyParams | None = None,
):
    """``(solver.ProblemData, ProblemIndex)`` for a scenario under a travel model.

    A pair (client, provider) is eligible when the provider has every skill the client needs and a carer can
    reach the client in every one of its time bands within ``max_travel_minutes_per_visit``. The client's
    current provider stays eligible whatever its travel (today's allocation must be representable), unless
    it cannot reach the client at all. ``money``: the scenario file's ``[money]`` (default: the product's).
    """
    from solver import ProblemData

    money = money if money is not None else MoneyParams()
    clients, providers = data.clients, data.providers
    n, m = len(clients), len(providers)
    provider_ids = tuple(p.provider_id for p in providers)
    zone_ids = tuple(z.zone_id for z in data.zones)
    p_index = {pid: k for k, pid in enumerate(provider_ids)}
    z_index = {zid: k for k, zid in enumerate(zone_ids)}

    minutes, reason = client_provider_travel(data, travel)
    hub_km = nearest_hub_km(data)
    pool_minutes = np.full((n, m), np.inf)
    if pools and data.pools:
        pool_minutes = pool_travel(data, travel, p_index)

    needs = np.array([_bitmask(c.needs) for c in clients], dtype=np.int64)
    skills = np.array([_bitmask(p.skills) for p in providers], dtype=np.int64)
    has_skills = (needs[:, None] & ~skills[None, :]) == 0
    current = np.array([p_index.get(c.current_provider, -1) if c.current_provider else -1 for c in clients])
    pinned = np.where([c.pinned for c in clients], current, -1)

    best_minutes = np.minimum(minutes, pool_minutes)
    from_pool = pool_minutes < minutes
    within = best_minutes <= max_travel_minutes_per_visit
    eligible = has_skills & within
    is_current = np.zeros((n, m), dtype=bool)
    has_current = current >= 0
    is_current[np.flatnonzero(has_current), current[has_current]] = True
    eligible |= is_current & np.isfinite(best_minutes)
    # A pinned client can only be served by its chosen provider.
    pinned_rows = np.flatnonzero(pinned >= 0)
    eligible[pinned_rows] = False
    eligible[pinned_rows, pinned[pinned_rows]] = np.isfinite(best_minutes[pinned_rows, pinned[pinned_rows]])

    ineligible_reason = []
    for i in range(n):
        if eligible[i].any():
            ineligible_reason.append("")
            continue
        ineligible_reason.append(
            _why_no_provider(
                i,
                has_skills,
                best_minutes,
                reason,
                hub_km,
                clients[i],
                providers,
                max_travel_minutes_per_visit,
                pinned[i],
            )
        )
    # A client pinned to a provider that cannot reach it is left unmet with that reason, not pinned.
    solver_pinned = np.where((pinned >= 0) & eligible[np.arange(n), np.maximum(pinned, 0)], pinned, -1)
    pair_client, pair_provider = np.nonzero(eligible)  # row-major: sorted by client then provider
    pool_members = np.zeros((len(data.pools), m), dtype=bool)
    pool_zones = np.zeros((len(data.pools), len(zone_ids)), dtype=bool)
    for q, pool in enumerate(data.pools):
        for pid in pool.members:
            pool_members[q, p_index[pid]] = True
        for zid in pool.zones:
            pool_zones[q, z_index[zid]] = True
    pool_hours = np.array([pool.weekly_hours for pool in data.pools], dtype=float)
    if not pools:
        pool_hours = np.zeros(len(data.pools))

    problem = ProblemData.build(
        client_weekly_hours=[c.weekly_hours for c in clients],
        client_visits_per_week=[c.visits_per_week for c in clients],
        client_carers_per_visit=[c.carers_per_visit for c in clients],
        client_zone=[z_index[c.zone] for c in clients],
        client_needs=needs,
        client_current_provider=current,
        client_pinned_provider=solver_pinned,
        provider_weekly_staff_hours=[p.weekly_staff_hours for p in providers],
        provider_hourly_rate_gbp=[p.hourly_rate_gbp for p in providers],
        provider_skills=skills,
        provider_min_viable_hours=[p.min_viable_hours for p in providers],
        provider_max_weekly_hours=[
            np.inf if p.max_weekly_hours is None else p.max_weekly_hours for p in providers
        ],
        pair_client=pair_client,
        pair_provider=pair_provider,
        pair_travel_minutes=best_minutes[pair_client, pair_provider],
        n_zones=len(zone_ids),
        pool_weekly_hours=pool_hours,
        pool_members=pool_members,
        pool_zones=pool_zones,
        zone_names=zone_ids,
        provider_names=provider_ids,
        staff_cost_per_hour_gbp=money.staff_cost_per_hour_gbp,
        mileage_gbp_per_travel_hour=money.mileage_gbp_per_travel_hour,
    )
    index = ProblemIndex(
        client_ids=tuple(c.client_id for c in clients),
        provider_ids=provider_ids,
        zone_ids=zone_ids,
        pool_ids=tuple(pool.pool_id for pool in data.pools),
        ineligible_reason=tuple(ineligible_reason),
        pair_from_pool=from_pool[pair_client, pair_provider],
        travel_approximate=bool(getattr(travel, "approximate", False)),
    )
    return problem, index


def _why_no_provider(i, has_skills, minutes, reason, hub_km, client, providers, max_minutes, pinned) -> str:
    if pinned >= 0:
        return (
            f"pinned to {providers[pinned].provider_id} (client's choice), which cannot reach the client: "
            f"{reason[i, pinned] or 'no route'}"
        )
    if not has_skills[i].any():
        return f"no provider has every skill the package needs ({', '.join(client.needs)})"
    reachable = np.isfinite(minutes[i]) & has_skills[i]
    if not reachable.any():
        # Name the stopped ferry on the way from the nearest skilled provider: the one that matters here.
        candidates = np.flatnonzero(has_skills[i])
        closest = candidates[np.argmin(hub_km[i, candidates])]
        detail = f": {reason[i, closest]}" if reason[i, closest] else ""
        return f"no provider with the skills can reach the client in all its time bands{detail}"
    nearest = float(minutes[i][reachable].min())
    return (
        f"nearest provider with the skills is {nearest:.0f} min per visit away, "
        f"over the {max_minutes:.0f} min limit"
    )
