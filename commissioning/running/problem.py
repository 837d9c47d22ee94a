"""From validated domain objects and a travel model to the solver's plain arrays.

:func:`build_problem` makes the pairs (a client, a provider and the hub it would be served from) and the
carers at each hub. A provider may serve a client from each of its ``max_hubs_per_pair`` quickest hubs, and a
pool member may serve a client in the pool's zones from the pool's hubs (with pools on), when the provider
has every skill the client needs and a carer reaches the client in every one of its time bands within the
maximum travel per visit. Each client that nobody can serve keeps the reason, so it is reported as unmet
*with* a reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from commissioning.inputs.domain import Dataset
from commissioning.running.hubs import HubTravel, hub_travel
from commissioning.running.travel import nearest_hub_km
from commissioning.scenario.defaults import DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT, MoneyParams, WorkforceParams
from commissioning.vocabulary import BAND_NAMES, NEEDS
from geodata.geometry import pairwise_haversine_km

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
    pair_from_pool: np.ndarray = field(repr=False)  # bool per solver pair: served from a pool's hub
    pair_km: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # road km per visit
    travel_approximate: bool = False
    hub_ids: tuple[str, ...] = ()
    hub_zones: tuple[str, ...] = ()  # the zone each hub lies in ("" outside every zone)
    # The scenario's travel limit: a pair beyond it exists only for today's provider or the client's choice.
    max_travel_minutes_per_visit: float = float("inf")
    # The ferries a what-if takes out, by client whose today's provider they cut off ("" for the others).
    ferries_cut: tuple[str, ...] = ()
    # Why today's provider has no pair with the client ("" when it has one, or the client has no provider
    # today): the skills it lacks, or the travel model's reason it cannot reach the client in every band.
    today_reason: tuple[str, ...] = ()


def _bitmask(words) -> int:
    mask = 0
    for word in words:
        mask |= NEED_BIT.get(word, 0)
    return mask


@dataclass
class _Pairs:
    """Pair columns being collected."""

    client: list = field(default_factory=list)
    provider: list = field(default_factory=list)
    hub: list = field(default_factory=list)

    def add(self, clients: np.ndarray, provider: int, hubs: np.ndarray) -> None:
        self.client.append(clients)
        self.provider.append(np.full(len(clients), provider))
        self.hub.append(hubs)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.client:
            return (np.zeros(0, np.int64),) * 3
        out = [np.concatenate(c).astype(np.int64) for c in (self.client, self.provider, self.hub)]
        order = np.lexsort((out[2], out[1], out[0]))  # the solver's order: client, provider, hub
        return out[0][order], out[1][order], out[2][order]


def build_problem(
    data: Dataset,
    travel,
    *,
    pools: bool = True,
    max_travel_minutes_per_visit: float = DEFAULT_MAX_TRAVEL_MINUTES_PER_VISIT,
    money: MoneyParams | None = None,
    workforce: WorkforceParams | None = None,
    travelled: HubTravel | None = None,
):
    """``(solver.ProblemData, ProblemIndex)`` for a scenario under a travel model (see the module doc).

    The client's current provider stays eligible from its quickest hub whatever its travel (today's
    allocation must be representable), unless it cannot reach the client at all. ``money``, ``workforce``:
    the scenario file's tables (default: the product's). ``travelled``: :func:`hub_travel`, when the caller
    has it already (it does not depend on ``pools``).
    """
    from solver import ProblemData

    money, workforce = money or MoneyParams(), workforce or WorkforceParams()
    ht = travelled if travelled is not None else hub_travel(data, travel, workforce)
    facts = _Facts(data, ht, max_travel_minutes_per_visit)
    pairs = _Pairs()
    for p in range(facts.m):
        _own_pairs(facts, pairs, p, workforce.max_hubs_per_pair)
    if pools:
        _pool_pairs(facts, pairs, workforce.max_hubs_per_pair)
    pc, pp, ph = pairs.arrays()
    served = np.zeros(facts.n, dtype=bool)
    served[pc] = True
    reasons = _reasons(data, facts, served, pools, max_travel_minutes_per_visit)
    solver_pinned = np.where((facts.pinned >= 0) & served, facts.pinned, -1)
    minutes = ht.minutes[ph, pc]
    problem = ProblemData.build(
        **_client_arrays(data, facts, solver_pinned, pc, pp, ph, minutes),
        **_provider_arrays(data, facts),
        **_hub_arrays(data, ht, facts, workforce),
        pair_client=pc,
        pair_provider=pp,
        pair_hub=ph,
        pair_travel_minutes=minutes,
        pair_near=ht.near[ph, pc],
        n_zones=len(facts.zone_ids),
        zone_names=facts.zone_ids,
        provider_names=facts.provider_ids,
        band_names=BAND_NAMES,
        staff_cost_per_hour_gbp=money.staff_cost_per_hour_gbp,
        mileage_gbp_per_travel_hour=money.mileage_gbp_per_travel_hour,
    )
    index = ProblemIndex(
        client_ids=tuple(c.client_id for c in data.clients),
        provider_ids=facts.provider_ids,
        zone_ids=facts.zone_ids,
        pool_ids=tuple(q.pool_id for q in data.pools),
        ineligible_reason=reasons,
        pair_from_pool=problem.pair_pool >= 0,
        pair_km=ht.km[ph, pc],
        travel_approximate=bool(getattr(travel, "approximate", False)),
        hub_ids=tuple(h.hub_id for h in ht.hubs),
        hub_zones=_hub_zones(data, ht),
        max_travel_minutes_per_visit=float(max_travel_minutes_per_visit),
        today_reason=_today_reasons(facts, problem.client_current_hub),
    )
    return problem, index


def _today_reasons(facts: _Facts, current_hub: np.ndarray) -> tuple[str, ...]:
    """Why each client's provider today has no hub of its own to serve it from (``current_hub`` -1, as
    today's allocation reads it): a client whose provider lacks a skill it needs read "cannot reach the
    client in every time band: no route" (see :class:`ProblemIndex`)."""
    out = [""] * facts.n
    for i in np.flatnonzero((facts.current >= 0) & (current_hub < 0)).tolist():
        out[i] = _today_reason(facts, i, int(facts.current[i]))
    return tuple(out)


def _today_reason(facts: _Facts, i: int, p: int) -> str:
    pid, client = facts.provider_ids[p], facts.data.clients[i]
    if not facts.allowed(p)[i]:
        lacks = [need for need in client.needs if not NEED_BIT.get(need, 0) & int(facts.skills[p])]
        return f"today's provider {pid} lacks skills the package needs ({', '.join(lacks)})"
    rows = np.flatnonzero(facts.hub_provider == p)
    if not len(rows):
        return f"today's provider {pid} has no hub its carers work from"
    why = _nearest_hub_reasons(facts, rows, np.array([i]))[0] or "no route"
    return f"today's provider {pid} cannot reach the client in every time band under the travel model: {why}"


def _nearest_hub_reasons(facts: _Facts, rows: np.ndarray, clients: np.ndarray) -> np.ndarray:
    """The travel model's reason from the hub of ``rows`` nearest each of ``clients``: it names the ferry
    that matters to that client (a Bute hub's ferry says nothing to a client on Lismore)."""
    ht = facts.ht
    km = pairwise_haversine_km([ht.hubs[h].lon for h in rows], [ht.hubs[h].lat for h in rows],
                               facts.lon[clients], facts.lat[clients])
    return ht.reason[rows[np.argmin(km, axis=0)], clients]


class _Facts:
    """What pairing needs about clients, providers and hubs, as arrays."""

    def __init__(self, data: Dataset, ht: HubTravel, max_minutes: float):
        self.data, self.ht, self.max_minutes = data, ht, max_minutes
        clients, providers = data.clients, data.providers
        self.n, self.m = len(clients), len(providers)
        self.provider_ids = tuple(p.provider_id for p in providers)
        self.zone_ids = tuple(z.zone_id for z in data.zones)
        self.p_index = {pid: k for k, pid in enumerate(self.provider_ids)}
        self.z_index = {zid: k for k, zid in enumerate(self.zone_ids)}
        self.q_index = {q.pool_id: k for k, q in enumerate(data.pools)}
        needs = np.array([_bitmask(c.needs) for c in clients], dtype=np.int64)
        self.skills = np.array([_bitmask(p.skills) for p in providers], dtype=np.int64)
        self.needs = needs
        self.has_skills = (needs[:, None] & ~self.skills[None, :]) == 0
        self.current = np.array(
            [self.p_index.get(c.current_provider, -1) if c.current_provider else -1 for c in clients],
            dtype=np.int64,
        )
        self.pinned = np.where([c.pinned for c in clients], self.current, -1)
        self.hub_provider = np.array(
            [self.p_index[h.provider_id] if h.pool_id is None else -1 for h in ht.hubs], dtype=np.int64
        )
        self.hub_pool = np.array(
            [-1 if h.pool_id is None else self.q_index[h.pool_id] for h in ht.hubs], dtype=np.int64
        )
        self.zone = np.array([self.z_index[c.zone] for c in clients], dtype=np.int64)
        self.lon, self.lat = np.array([c.lon for c in clients]), np.array([c.lat for c in clients])

    def allowed(self, p: int) -> np.ndarray:
        """Clients provider p may serve: skills (or the client chose p); a pinned client only its choice."""
        ok = self.has_skills[:, p] | (self.pinned == p)
        return ok & ((self.pinned < 0) | (self.pinned == p))


def _own_pairs(facts: _Facts, pairs: _Pairs, p: int, max_hubs: int) -> None:
    """Provider p's pairs from its own hubs: the quickest ``max_hubs`` within the travel limit; today's
    provider (or the client's choice) from its quickest hub at any finite travel."""
    rows = np.flatnonzero(facts.hub_provider == p)
    if not len(rows):
        return
    minutes = facts.ht.minutes[rows]  # own hubs × clients
    order = np.argsort(minutes, axis=0, kind="stable")[:max_hubs]
    allowed = facts.allowed(p)
    keeps_today = (facts.current == p) | (facts.pinned == p)
    cols = np.arange(facts.n)
    for rank, best in enumerate(order):
        value = minutes[best, cols]
        ok = allowed & np.isfinite(value) & ((value <= facts.max_minutes) | (keeps_today & (rank == 0)))
        pairs.add(cols[ok], p, rows[best[ok]])


def _pool_pairs(facts: _Facts, pairs: _Pairs, max_hubs: int) -> None:
    """Pool members' pairs from the pool's hubs, for clients in the pool's zones, within the travel limit."""
    for q, pool in enumerate(facts.data.pools):
        rows = np.flatnonzero(facts.hub_pool == q)
        zones = [facts.z_index[z] for z in pool.zones]
        in_zones = np.isin(facts.zone, zones)
        if not len(rows) or not in_zones.any():
            continue
        minutes = facts.ht.minutes[rows]
        order = np.argsort(minutes, axis=0, kind="stable")[:max_hubs]
        cols = np.arange(facts.n)
        for pid in pool.members:
            p = facts.p_index[pid]
            allowed = facts.allowed(p) & in_zones
            for best in order:
                value = minutes[best, cols]
                ok = allowed & np.isfinite(value) & (value <= facts.max_minutes)
                pairs.add(cols[ok], p, rows[best[ok]])


def _client_arrays(data: Dataset, facts: _Facts, solver_pinned, pc, pp, ph, minutes) -> dict:
    clients = data.clients
    return dict(
        client_weekly_hours=[c.weekly_hours for c in clients],
        client_visits_per_week=[c.visits_per_week for c in clients],
        client_carers_per_visit=[c.carers_per_visit for c in clients],
        client_zone=facts.zone,
        client_needs=facts.needs,
        client_current_provider=facts.current,
        client_pinned_provider=solver_pinned,
        client_current_hub=_current_hubs(facts, pc, pp, ph, minutes),
        client_band_share=band_shares(data),
    )


def _current_hubs(facts: _Facts, pc, pp, ph, minutes) -> np.ndarray:
    """Today's hub of each client: its provider's quickest own hub (hubs.csv does not say which)."""
    out = np.full(facts.n, -1, dtype=np.int64)
    own = (pp == facts.current[pc]) & (facts.hub_pool[ph] < 0)
    order = np.lexsort((minutes[own], pc[own]))  # per client, quickest first
    clients, hubs = pc[own][order], ph[own][order]
    first = np.ones(len(clients), dtype=bool)
    first[1:] = clients[1:] != clients[:-1]
    out[clients[first]] = hubs[first]
    return out


def band_shares(data: Dataset) -> np.ndarray:
    """Clients × bands: the share of the client's visits in each band (clients.csv's *_visits when given,
    otherwise spread evenly over its time bands)."""
    out = np.zeros((len(data.clients), len(BAND_NAMES)))
    for i, client in enumerate(data.clients):
        if client.band_visits is not None and sum(client.band_visits) > 0:
            out[i] = np.array(client.band_visits, dtype=float) / sum(client.band_visits)
        else:
            for band in client.time_bands:
                out[i, BAND_NAMES.index(band)] = 1.0
            out[i] /= max(out[i].sum(), 1.0)
    out[out.sum(axis=1) == 0, 0] = 1.0  # no band at all (never after validation): morning
    return out


def _provider_arrays(data: Dataset, facts: _Facts) -> dict:
    providers = data.providers
    return dict(
        provider_weekly_staff_hours=[
            math.inf if p.weekly_staff_hours is None else p.weekly_staff_hours for p in providers
        ],
        provider_hourly_rate_gbp=[p.hourly_rate_gbp for p in providers],
        provider_skills=facts.skills,
        provider_min_viable_hours=[p.min_viable_hours for p in providers],
        provider_max_weekly_hours=[
            math.inf if p.max_weekly_hours is None else p.max_weekly_hours for p in providers
        ],
        pool_members=_pool_matrix(data, facts, "members"),
        pool_zones=_pool_matrix(data, facts, "zones"),
    )


def _pool_matrix(data: Dataset, facts: _Facts, what: str) -> np.ndarray:
    index = facts.p_index if what == "members" else facts.z_index
    out = np.zeros((len(data.pools), len(index)), dtype=bool)
    for q, pool in enumerate(data.pools):
        out[q, [index[k] for k in getattr(pool, what)]] = True
    return out


def _hub_arrays(data: Dataset, ht: HubTravel, facts: _Facts, workforce: WorkforceParams) -> dict:
    hubs = ht.hubs
    week = np.array([h.weekly_hours_per_carer for h in hubs], dtype=float)
    bands = np.array([[workforce.band_hours_per_carer(b, w) for b in BAND_NAMES] for w in week], dtype=float)
    return dict(
        hub_provider=facts.hub_provider,
        hub_pool=facts.hub_pool,
        hub_drivers=[h.drivers for h in hubs],
        hub_non_drivers=[h.carers - h.drivers for h in hubs],
        hub_carer_weekly_hours=week,
        hub_carer_band_hours=bands.reshape(len(hubs), len(BAND_NAMES)),
        hub_max_recruits=[math.inf if h.max_recruits is None else h.max_recruits for h in hubs],
        hub_names=tuple(h.hub_id for h in hubs),
    )


def _hub_zones(data: Dataset, ht: HubTravel) -> tuple[str, ...]:
    import shapely

    out = []
    for hub in ht.hubs:
        point = shapely.Point(hub.lon, hub.lat)
        out.append(next((z.zone_id for z in data.zones if z.geometry.covers(point)), ""))
    return tuple(out)


def _reasons(data: Dataset, facts: _Facts, served: np.ndarray, pools: bool, max_minutes: float) -> tuple:
    """Why each client nobody can serve is unmet ("" for the others)."""
    if served.all():
        return ("",) * facts.n
    best, reason = _provider_minutes(facts, pools)
    hub_km = nearest_hub_km(data)
    return tuple(
        "" if served[i] else _why_no_provider(i, facts, best, reason, hub_km, max_minutes)
        for i in range(facts.n)
    )


def _provider_minutes(facts: _Facts, pools: bool) -> tuple[np.ndarray, np.ndarray]:
    """Clients × providers: quickest minutes from any hub the provider may use, and the reason of its
    quickest own hub where none reaches."""
    best = np.full((facts.n, facts.m), np.inf)
    reason = np.full((facts.n, facts.m), "", dtype=object)
    ht = facts.ht
    for p in range(facts.m):
        rows = np.flatnonzero(facts.hub_provider == p)
        if len(rows):
            best[:, p] = ht.minutes[rows].min(axis=0)
            reason[:, p] = _nearest_hub_reasons(facts, rows, np.arange(facts.n))
    if pools:
        for q, pool in enumerate(facts.data.pools):
            rows = np.flatnonzero(facts.hub_pool == q)
            in_zones = np.isin(facts.zone, [facts.z_index[z] for z in pool.zones])
            if len(rows):
                for pid in pool.members:
                    p = facts.p_index[pid]
                    best[in_zones, p] = np.minimum(
                        best[in_zones, p], ht.minutes[rows][:, in_zones].min(axis=0)
                    )
    return best, reason


def _why_no_provider(i: int, facts: _Facts, minutes, reason, hub_km, max_minutes: float) -> str:
    pinned, providers, client = facts.pinned[i], facts.data.providers, facts.data.clients[i]
    if pinned >= 0:
        return (
            f"pinned to {providers[pinned].provider_id} (client's choice), which cannot reach the client: "
            f"{reason[i, pinned] or 'no route'}"
        )
    has_skills = facts.has_skills
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
