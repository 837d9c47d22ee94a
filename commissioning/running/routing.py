"""Travel as carers live it: each provider's visits chained into runs on a typical day.

The optimiser prices travel per visit, one way, from the provider's nearest staff hub
(:func:`commissioning.running.travel.client_provider_travel`). Carers actually drive hub → visit → visit →
… → hub.
:func:`routed_travel_hours_per_week` routes each provider's visits per time band with OR-Tools and reports
the weekly travel hours of those runs next to the per-visit figure for the *same* day, so "zoning cuts
travel" can be checked for chained runs too.

The typical day
    A client with ``v`` visits a week in the bands ``B`` expects ``e = v / (7 |B|)`` visits per band per day.
    The day is drawn once, deterministically: in each of its bands the client gets ``floor(e)`` visits plus
    one more with probability ``frac(e)``, decided by a uniform number from
    ``numpy.random.default_rng(seed)`` drawn for every (client, band) of the scenario in the scenario's
    client order. The draw does not depend on the allocation, so every variant is routed on the *same*
    day (common random numbers) and differences between variants come from the allocation alone. Weekly
    figures are the day × 7. We sample rather than route expected values because a run either calls at a
    house or it does not: routing every client every day would make runs denser (shorter hops) than
    carers ever see. With a few hundred visits a day the draw moves weekly totals by about ±2%.

Rounds
    A client with two visits in one band on the day (``e > 1``: heavy packages whose extra visits fall
    between the four bands) has the second one in a second round: a separate routing problem over the
    clients with two visits, and so on. A carer does not call at the same house twice in one run.

Runs
    For each provider × band × round × hub, a vehicle-routing problem: each visit's runs start and end at
    the hub the allocation serves the client from (its ``hub_id``: one of the provider's hubs or a shared
    pool's; an allocation without hubs uses the hub quickest out and back), enough vehicles for the
    visits (at least one), arc costs are the travel minutes of that band
    (``TravelMatrix.minutes``; unreachable arcs are forbidden), a visit lasts ``weekly_hours /
    visits_per_week``, and a run lasts at most ``max_run_hours`` (travel and visits, back at the hub) with
    at most ``max_visits_per_run`` visits. A two-carer visit doubles every leg into or out of it (both
    carers make it), in the objective and in the figures. Problems with more than
    ``max_visits_per_problem`` visits are split into angular sectors around the hub (cluster first, route
    second). The matrix is asked for once per provider × band: hubs and all the
    provider's clients, as both origins and destinations.

    A visit that alone, out and back from its best hub, exceeds the run limit gets a run of its own (its
    travel counts; ``long_runs`` and a note say how many). A visit that no hub of the provider reaches and
    returns from in that band (the ferry has stopped) is *unrouted*, with the travel model's reason; so is
    a visit the router could not fit even when offered a run per visit.

Search
    First solution PATH_CHEAPEST_ARC, then local search to a local optimum (greedy descent). OR-Tools is
    deterministic and the descent stops by itself, so the same inputs and seed give the same runs on any
    machine. Each descent has a safety cap (``DESCENT_CAP_S``); a capped one is counted and noted.
    ``guided_local_search=True`` continues each problem with guided local search for its share of
    ``time_limit_s`` (shared in proportion to visits). That gains well under 1% on the demo-sized case and,
    being stopped by the clock, is not repeatable run to run; the notes say so.

The per-visit comparison
    ``per_visit_model_hours_per_week`` prices the same day's visits as the optimiser does: one way from the
    client's hub in that band, × carers, for every visit that is in a run. The
    optimiser's own expected figure (every visit of the week, band-averaged, no sampling; clients some
    band cannot reach left out, as the optimiser does) is in the notes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from commissioning.inputs.domain import Dataset
from commissioning.vocabulary import BAND_NAMES

DEFAULT_MAX_RUN_HOURS = 3.5
DEFAULT_MAX_VISITS_PER_RUN = 12
DEFAULT_MAX_VISITS_PER_PROBLEM = 60
DESCENT_CAP_S = 5.0  # safety cap on one problem's descent; never reached on demo-sized problems
VEHICLE_SLACK = 1.3  # vehicles offered = this × the estimated runs needed, + 1
COST_SCALE = 100  # arc costs in hundredths of a minute
_DROP_PENALTY = 10**12  # leaving a visit out costs more than any set of runs
_FORBIDDEN_COST = 10**9
_FORBIDDEN_SECONDS = 10**9  # over any run limit: the arc cannot be used

__all__ = ["RoutedTravel", "UnroutedVisit", "routed_travel_hours_per_week"]


@dataclass(frozen=True)
class UnroutedVisit:
    """One visit of the typical day that is in no run, and why."""

    client_id: str
    provider_id: str
    band: str
    reason: str


@dataclass(frozen=True)
class RoutedTravel:
    """Weekly travel hours of chained runs, against the optimiser's per-visit pricing of the same day."""

    hours_per_week_by_provider: dict[str, float]  # every provider of the scenario (0 when it has no visits)
    total_hours_per_week: float
    per_visit_model_hours_per_week: float
    runs: int  # runs on the typical day, including long single-visit runs
    unrouted_visits: int  # visits on the typical day that are in no run; ``unrouted`` gives each reason
    seconds: float
    notes: list[str] = field(default_factory=list)
    per_visit_hours_per_week_by_provider: dict[str, float] = field(default_factory=dict)
    visits_per_day: int = 0  # visits of assigned clients on the typical day: routed + unrouted
    routed_visits: int = 0  # visits in a run (including long single-visit runs)
    long_runs: int = 0  # visits given a run of their own because they alone exceed the run limit
    unrouted: tuple[UnroutedVisit, ...] = ()
    problems: int = 0  # routing problems solved
    capped_searches: int = 0  # descents stopped by their safety cap
    expected_per_visit_hours_per_week: float = 0.0  # the optimiser's figure over the whole week
    tally: Any = field(default=None, repr=False, compare=False)  # its counts, to add parts up (combined)
    settings: dict = field(default_factory=dict, repr=False, compare=False)  # the notes' settings


# ----------------------------------------------------------------------------------------------------
# Inputs: the allocation and the typical day
# ----------------------------------------------------------------------------------------------------


def visits_on_typical_day(data: Dataset, seed: int = 0) -> np.ndarray:
    """Visits per (client, band) on the typical day: ``int`` array, clients × ``BAND_NAMES``.

    Depends on the scenario and the seed only, never on an allocation (see the module docstring).
    """
    n = len(data.clients)
    u = np.random.default_rng(seed).random((n, len(BAND_NAMES)))
    counts = np.zeros((n, len(BAND_NAMES)), dtype=np.int64)
    for i, client in enumerate(data.clients):
        bands = [BAND_NAMES.index(b) for b in client.time_bands]
        if not bands:
            continue
        per_band = client.visits_per_week / (7.0 * len(bands))
        whole = math.floor(per_band)
        for b in bands:
            counts[i, b] = whole + int(u[i, b] < per_band - whole)
    return counts


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def _assigned(allocation: pd.DataFrame, data: Dataset) -> dict[int, str]:
    """Client index → provider id for every assigned row; unmet rows and blank providers are skipped (the
    hub of each is :func:`_hubs_of_allocation`'s)."""
    missing = [c for c in ("client_id", "provider_id", "status") if c not in allocation.columns]
    if missing:
        raise ValueError(
            f"allocation lacks column(s) {', '.join(missing)}: it needs client_id, provider_id and status"
        )
    index = {c.client_id: i for i, c in enumerate(data.clients)}
    result: dict[int, str] = {}
    bad_clients: set[str] = set()
    bad_providers: set[str] = set()
    rows = zip(allocation["client_id"], allocation["provider_id"], allocation["status"], strict=True)
    for client_id, provider_id, status in rows:
        if str(status).strip().lower() != "assigned" or _blank(provider_id):
            continue
        cid, pid = str(client_id).strip(), str(provider_id).strip()
        if cid not in index:
            bad_clients.add(cid)
        elif pid not in data.provider_by_id:
            bad_providers.add(pid)
        else:
            result[index[cid]] = pid
    if bad_clients or bad_providers:
        parts = []
        if bad_clients:
            parts.append(f"client(s) not in the scenario: {', '.join(sorted(bad_clients)[:10])}")
        if bad_providers:
            parts.append(f"provider(s) not in the scenario: {', '.join(sorted(bad_providers)[:10])}")
        raise ValueError("the allocation does not match the scenario: " + "; ".join(parts))
    return result


# ----------------------------------------------------------------------------------------------------
# One provider × band: the matrix and its routing problems
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Band:
    """One provider × band: hubs then clients (rows), travel minutes between all of them."""

    provider_id: str
    band: str
    n_hubs: int
    client_ids: list[str]  # client of row n_hubs + k
    lon: np.ndarray
    lat: np.ndarray
    minutes: np.ndarray
    reason: np.ndarray
    service: np.ndarray  # minutes per visit (0 at hubs)
    carers: np.ndarray  # carers per visit (1 at hubs)


@dataclass
class _Problem:
    band: _Band
    hubs: list[int]  # rows of the depots
    hub_weight: list[float]  # share of the vehicles per depot (carers)
    visits: list[int]  # rows of the visits


def _run_minutes(path: list[int], band: _Band) -> float:
    """Travel minutes of one run; a leg into or out of a two-carer visit counts twice."""
    carers = band.carers
    legs = zip(path[:-1], path[1:], strict=True)
    return float(sum(band.minutes[a, b] * max(carers[a], carers[b]) for a, b in legs))


def _round_trips(band: _Band, hubs: list[int], visits: list[int]) -> np.ndarray:
    """Out-and-back minutes (hubs × visits), the visit itself excluded."""
    return band.minutes[np.ix_(hubs, visits)] + band.minutes[np.ix_(visits, hubs)].T


def _split(problem: _Problem, cap: int) -> list[_Problem]:
    """Problems of at most ``cap`` visits: by nearest hub, then angular sectors around that hub."""
    if len(problem.visits) <= cap:
        return [problem]
    band = problem.band
    home = np.argmin(_round_trips(band, problem.hubs, problem.visits), axis=0)
    parts: list[_Problem] = []
    for h, hub in enumerate(problem.hubs):
        mine = np.array([v for v, owner in zip(problem.visits, home, strict=True) if owner == h], dtype=int)
        if not len(mine):
            continue
        sectors = math.ceil(len(mine) / cap)
        if sectors == 1:
            parts.append(_Problem(band, [hub], [1.0], mine.tolist()))
            continue
        coslat = math.cos(math.radians(float(band.lat[hub])))
        angle = np.arctan2(band.lat[mine] - band.lat[hub], (band.lon[mine] - band.lon[hub]) * coslat)
        order = np.argsort(angle, kind="stable")
        # Start the sweep after the widest empty gap, so a sector does not cut through a cluster.
        sorted_angle = angle[order]
        gaps = np.diff(np.concatenate([sorted_angle, sorted_angle[:1] + 2 * np.pi]))
        order = np.roll(order, -((int(np.argmax(gaps)) + 1) % len(order)))
        for chunk in np.array_split(order, sectors):
            parts.append(_Problem(band, [hub], [1.0], mine[chunk].tolist()))
    return parts


def _vehicle_counts(problem: _Problem, limit_min: float, max_visits: int) -> list[int]:
    """Vehicles per depot: in proportion to carers, enough for the estimated runs, at least one each."""
    band, hubs, visits = problem.band, problem.hubs, problem.visits
    nodes = hubs + visits
    sub = band.minutes[np.ix_(nodes, nodes)].copy()
    np.fill_diagonal(sub, np.inf)
    hop = np.min(sub[len(hubs):], axis=1)
    work = band.service[visits] + np.where(np.isfinite(hop), hop, 0.0) * band.carers[visits]
    home = np.argmin(_round_trips(band, hubs, visits), axis=0)

    def runs_for(mask: np.ndarray) -> int:
        if not mask.any():
            return 0
        need = max(float(work[mask].sum()) / limit_min, mask.sum() / max_visits)
        return math.ceil(VEHICLE_SLACK * need) + 1

    total = runs_for(np.ones(len(visits), dtype=bool))
    weight = np.asarray(problem.hub_weight, dtype=float)
    weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(hubs), 1.0 / len(hubs))
    counts = [max(1, round(total * weight[h]), runs_for(home == h)) for h in range(len(hubs))]
    return [min(c, len(visits)) for c in counts]


def _fallback_vehicle_counts(problem: _Problem, counts: list[int], limit_min: float) -> list[int]:
    """Enough vehicles for every visit to have a run of its own from any hub it fits: always feasible."""
    band = problem.band
    solo = _round_trips(band, problem.hubs, problem.visits) + band.service[problem.visits][None, :]
    fits = (solo <= limit_min).sum(axis=1)
    return [max(c, int(f)) for c, f in zip(counts, fits, strict=True)]


def _solve(problem: _Problem, vehicles: list[int], limit_min: float, max_visits: int, gls_s: float):
    """One VRP: (runs as row paths from hub to hub, rows left out, whether the descent hit its cap)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    band = problem.band
    nodes = problem.hubs + problem.visits
    n_hubs = len(problem.hubs)
    sub = band.minutes[np.ix_(nodes, nodes)]
    finite = np.isfinite(sub)
    travel = np.where(finite, sub, 0.0)
    carers = band.carers[nodes]
    mult = np.maximum(carers[:, None], carers[None, :])
    cost = np.where(finite, np.rint(travel * mult * COST_SCALE), _FORBIDDEN_COST).astype(np.int64)
    # Run length in seconds: travel from a node plus the visit at it (0 at hubs).
    seconds = np.where(finite, np.rint((travel + band.service[nodes][:, None]) * 60.0), _FORBIDDEN_SECONDS)
    seconds = seconds.astype(np.int64)
    np.fill_diagonal(cost, 0)
    np.fill_diagonal(seconds, 0)

    starts = [h for h, count in enumerate(vehicles) for _ in range(count)]
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(starts), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    duration = routing.RegisterTransitMatrix(seconds.tolist())
    routing.AddDimension(duration, 0, int(limit_min * 60), True, "time")
    count = routing.RegisterUnaryTransitVector([0] * n_hubs + [1] * len(problem.visits))
    routing.AddDimension(count, 0, int(max_visits), True, "visits")
    for k in range(len(problem.visits)):
        routing.AddDisjunction([manager.NodeToIndex(n_hubs + k)], _DROP_PENALTY)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromMilliseconds(int(DESCENT_CAP_S * 1000))
    started = time.perf_counter()
    solution = routing.SolveWithParameters(params)
    capped = time.perf_counter() - started >= DESCENT_CAP_S * 0.99
    if solution is not None and gls_s > 0:
        guided = pywrapcp.DefaultRoutingSearchParameters()
        guided.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        guided.time_limit.FromMilliseconds(max(1, int(gls_s * 1000)))
        solution = routing.SolveFromAssignmentWithParameters(solution, guided) or solution
    if solution is None:
        return [], list(problem.visits), capped

    runs: list[list[int]] = []
    for v in range(len(starts)):
        index = routing.Start(v)
        path = [nodes[manager.IndexToNode(index)]]
        while not routing.IsEnd(index):
            index = solution.Value(routing.NextVar(index))
            path.append(nodes[manager.IndexToNode(index)])
        if len(path) > 2:
            runs.append(path)
    in_runs = {row for path in runs for row in path[1:-1]}
    return runs, [row for row in problem.visits if row not in in_runs], capped


# ----------------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Tally:
    routed_min: dict[str, float]
    per_visit_min: dict[str, float]
    unrouted: list[UnroutedVisit] = field(default_factory=list)
    runs: int = 0
    long_runs: int = 0
    routed_visits: int = 0
    visits: int = 0
    capped: int = 0
    expected_min: float = 0.0  # the optimiser's weekly per-visit minutes (band-averaged, all visits)
    problems: int = 0  # routing problems solved


def _hubs_of_allocation(allocation: pd.DataFrame) -> dict[str, str]:
    """Client id → the hub the allocation serves it from ("" when the allocation does not say)."""
    if "hub_id" not in allocation.columns:
        return {}
    return {str(c).strip(): "" if _blank(h) else str(h).strip()
            for c, h in zip(allocation["client_id"], allocation["hub_id"], strict=True)}


def _provider_hubs(data: Dataset, provider_id: str, used: set[str]) -> tuple[list, list[int]]:
    """The provider's own hubs, then the pools' hubs its clients are served from; and the depots: hubs with
    carers or clients."""
    own = list(data.hubs_for(provider_id))
    pool = [h for q in data.pools for h in data.hubs_of_pool(q.pool_id) if h.hub_id in used]
    hubs = own + pool
    staffed = [k for k, h in enumerate(hubs) if h.carers > 0 or h.hub_id in used] or list(range(len(own)))
    return hubs, staffed


def _provider_problems(
    data: Dataset, travel, provider_id: str, clients: list[int], day: np.ndarray, tally: _Tally,
    limit_min: float, max_visits_per_problem: int, hub_of: dict[str, str] | None = None,
) -> list[_Problem]:
    """Matrices and routing problems of one provider; unreachable and long visits are settled here. Each
    visit's runs start and end at the hub the allocation serves it from (``hub_of``; otherwise the hub
    quickest out and back), so a hub's carers drive its own clients."""
    hub_of = hub_of or {}
    wanted_hubs = [hub_of.get(data.clients[i].client_id, "") for i in clients]
    hubs, staffed = _provider_hubs(data, provider_id, set(wanted_hubs))
    row_of_hub = {h.hub_id: k for k, h in enumerate(hubs)}
    given = np.array([row_of_hub.get(h, -1) for h in wanted_hubs], dtype=np.int64)
    n_h = len(hubs)
    # The same points in every band, so the travel model's access legs are computed once per provider.
    lon = np.array([h.lon for h in hubs] + [data.clients[i].lon for i in clients])
    lat = np.array([h.lat for h in hubs] + [data.clients[i].lat for i in clients])
    service = np.zeros(len(lon))
    carers = np.ones(len(lon), dtype=np.int64)
    for k, i in enumerate(clients):
        c = data.clients[i]
        service[n_h + k] = c.weekly_hours / c.visits_per_week * 60.0
        carers[n_h + k] = c.carers_per_visit
    client_ids = [data.clients[i].client_id for i in clients]
    bands_of = [{BAND_NAMES.index(b) for b in data.clients[i].time_bands} for i in clients]
    band_sum = np.zeros(len(clients))
    band_ok = np.ones(len(clients), dtype=bool)

    problems: list[_Problem] = []
    for b, name in enumerate(BAND_NAMES):
        wanted = [k for k in range(len(clients)) if b in bands_of[k]]
        if not wanted:
            continue
        matrix = travel.matrix(lon, lat, lon, lat, name)
        band = _Band(provider_id, name, n_h, client_ids, lon, lat, np.asarray(matrix.minutes, dtype=float),
                     np.asarray(matrix.reason, dtype=object), service, carers)
        rows = [n_h + k for k in range(len(clients))]
        trips = _round_trips(band, staffed, rows)
        best_hub = np.where(given >= 0, given, np.asarray(staffed)[np.argmin(trips, axis=0)])
        best_trip = _round_trips(band, list(range(n_h)), rows)[best_hub, np.arange(len(clients))]
        one_way = band.minutes[best_hub, np.arange(n_h, n_h + len(clients))]  # the optimiser's price
        band_sum[wanted] += one_way[wanted]
        band_ok[wanted] &= np.isfinite(one_way[wanted])
        counts = day[clients, b]
        for r in range(int(counts.max(initial=0))):
            routable: dict[int, list[int]] = {}
            for k in np.flatnonzero(counts > r):
                row = n_h + int(k)
                tally.visits += 1
                if not np.isfinite(best_trip[k]):
                    why = _why(band, [int(best_hub[k])], row)
                    tally.unrouted.append(UnroutedVisit(client_ids[k], provider_id, name, why))
                    continue
                tally.per_visit_min[provider_id] += float(one_way[k]) * carers[row]
                if best_trip[k] + service[row] > limit_min:  # a run of its own
                    hub = int(best_hub[k])
                    tally.routed_visits += 1
                    tally.routed_min[provider_id] += _run_minutes([hub, row, hub], band)
                    tally.runs += 1
                    tally.long_runs += 1
                    continue
                routable.setdefault(int(best_hub[k]), []).append(row)
            for hub, visits in sorted(routable.items()):
                problems.extend(_split(_Problem(band, [hub], [1.0], visits), max_visits_per_problem))
    for k, i in enumerate(clients):
        c = data.clients[i]
        if band_ok[k] and bands_of[k]:
            tally.expected_min += c.carers_per_visit * c.visits_per_week * band_sum[k] / len(bands_of[k])
    return problems


def _why(band: _Band, hubs: list[int], row: int) -> str:
    reasons = [str(x) for x in list(band.reason[hubs, row]) + list(band.reason[row, hubs]) if x]
    detail = f": {reasons[0]}" if reasons else ""
    return f"no hub of {band.provider_id} reaches the client and back in the {band.band} band{detail}"


def routed_travel_hours_per_week(
    allocation: pd.DataFrame,
    data: Dataset,
    travel,
    *,
    time_limit_s: float = 1.0,
    max_visits_per_run: int = DEFAULT_MAX_VISITS_PER_RUN,
    seed: int = 0,
    max_run_hours: float = DEFAULT_MAX_RUN_HOURS,
    max_visits_per_problem: int = DEFAULT_MAX_VISITS_PER_PROBLEM,
    guided_local_search: bool = False,
    parts: int = 1,
    part: int = 0,
) -> RoutedTravel:
    """Route each provider's visits per band on a typical day; weekly travel hours, routed and per visit.

    ``allocation``: one row per client with ``client_id``, ``provider_id`` ("" or NaN when unmet) and
    ``status`` (``assigned`` | ``unmet``); unmet rows are ignored; ids unknown to ``data`` raise
    ``ValueError``. ``travel``: a travel model with ``.matrix`` (:class:`geodata.network.TravelNetwork` or
    :class:`geodata.network.ApproximateTravel`). ``seed`` picks the typical day. ``time_limit_s`` is the
    guided-local-search budget, used only with ``guided_local_search=True`` (not repeatable). See the
    module docstring for the day model, the runs and the search.

    ``parts``, ``part``: only this part of the providers (:func:`provider_parts`), to be added up with the
    other parts by :func:`combined` (providers are routed independently: worker processes share the work).
    """
    started = time.perf_counter()
    if max_visits_per_run < 1 or max_run_hours <= 0 or max_visits_per_problem < 1 or time_limit_s < 0:
        raise ValueError(
            "max_visits_per_run, max_run_hours and max_visits_per_problem must be positive, "
            "time_limit_s not negative"
        )
    assigned = _assigned(allocation, data)
    hub_of = _hubs_of_allocation(allocation)
    day = visits_on_typical_day(data, seed)
    limit_min = float(max_run_hours) * 60.0
    provider_ids = [p.provider_id for p in data.providers]
    tally = _Tally(dict.fromkeys(provider_ids, 0.0), dict.fromkeys(provider_ids, 0.0))

    by_provider: dict[str, list[int]] = {}
    for i, pid in sorted(assigned.items()):
        by_provider.setdefault(pid, []).append(i)
    mine = provider_parts(by_provider, parts)[part]
    problems: list[_Problem] = []
    for pid in provider_ids:
        if by_provider.get(pid) and pid in mine:
            problems += _provider_problems(
                data, travel, pid, by_provider[pid], day, tally, limit_min, max_visits_per_problem, hub_of
            )
    tally.problems = len(problems)
    total_visits = sum(len(p.visits) for p in problems) or 1
    for problem in problems:
        gls_s = float(time_limit_s) * len(problem.visits) / total_visits if guided_local_search else 0.0
        _route_problem(problem, tally, limit_min, max_visits_per_run, max_run_hours, gls_s)
    return _routed(tally, travel, time.perf_counter() - started, seed=seed, max_run_hours=max_run_hours,
                   max_visits_per_run=max_visits_per_run,
                   gls_s=time_limit_s if guided_local_search else 0.0)


def provider_parts(by_provider: dict[str, list[int]], parts: int) -> list[set[str]]:
    """The providers in ``parts`` groups of about equal numbers of clients (largest first, each to the
    group with the fewest so far): one routing worker each."""
    groups: list[set[str]] = [set() for _ in range(max(int(parts), 1))]
    sizes = [0] * len(groups)
    for pid, clients in sorted(by_provider.items(), key=lambda item: (-len(item[1]), item[0])):
        k = sizes.index(min(sizes))
        groups[k].add(pid)
        sizes[k] += len(clients)
    return groups


def _route_problem(problem: _Problem, tally: _Tally, limit_min: float, max_visits_per_run: int,
                   max_run_hours: float, gls_s: float) -> None:
    """Route one problem's visits into runs and count them in ``tally``."""
    vehicles = _vehicle_counts(problem, limit_min, max_visits_per_run)
    runs, left_out, capped = _solve(problem, vehicles, limit_min, max_visits_per_run, gls_s)
    if left_out:  # too few runs offered: offer one per visit wherever it fits, and solve again
        vehicles = _fallback_vehicle_counts(problem, vehicles, limit_min)
        runs, left_out, capped_again = _solve(problem, vehicles, limit_min, max_visits_per_run, gls_s)
        capped = capped or capped_again
    band = problem.band
    tally.capped += int(capped)
    tally.runs += len(runs)
    tally.routed_visits += sum(len(path) - 2 for path in runs)
    tally.routed_min[band.provider_id] += sum(_run_minutes(path, band) for path in runs)
    for row in left_out:  # in no run: out of the per-visit figure too
        one_way = float(band.minutes[problem.hubs[0], row])
        tally.per_visit_min[band.provider_id] -= one_way * band.carers[row]
        tally.unrouted.append(UnroutedVisit(
            band.client_ids[row - band.n_hubs], band.provider_id, band.band,
            f"the router found no run for it within {max_run_hours:g} h and {max_visits_per_run} visits",
        ))


def _routed(tally: _Tally, travel, seconds: float, **settings) -> RoutedTravel:
    """The weekly figures of ``tally`` (``settings``: the notes' seed, limits and search budget)."""
    provider_ids = list(tally.routed_min)
    hours = {pid: float(tally.routed_min[pid]) * 7.0 / 60.0 for pid in provider_ids}
    per_visit = {pid: float(tally.per_visit_min[pid]) * 7.0 / 60.0 for pid in provider_ids}
    expected = float(tally.expected_min) / 60.0
    notes = _notes(settings["seed"], settings["max_run_hours"], settings["max_visits_per_run"], tally,
                   expected, tally.problems, travel, settings["gls_s"])
    unrouted = sorted(tally.unrouted, key=lambda u: (u.provider_id, BAND_NAMES.index(u.band), u.client_id))
    return RoutedTravel(
        hours_per_week_by_provider=hours,
        total_hours_per_week=float(sum(hours.values())),
        per_visit_model_hours_per_week=float(sum(per_visit.values())),
        runs=tally.runs,
        unrouted_visits=len(unrouted),
        seconds=seconds,
        notes=notes,
        per_visit_hours_per_week_by_provider=per_visit,
        visits_per_day=tally.visits,
        routed_visits=tally.routed_visits,
        long_runs=tally.long_runs,
        unrouted=tuple(unrouted),
        problems=tally.problems,
        capped_searches=tally.capped,
        expected_per_visit_hours_per_week=expected,
        tally=tally,
        settings=settings,
    )


def combined(parts: list[RoutedTravel], travel) -> RoutedTravel:
    """The parts of one allocation's routing (:func:`routed_travel_hours_per_week` with ``parts``) as the
    whole: every count and minute added up, the notes written again."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0].tally
    tally = _Tally(dict.fromkeys(first.routed_min, 0.0), dict.fromkeys(first.per_visit_min, 0.0))
    for part in parts:
        t = part.tally
        for pid in tally.routed_min:
            tally.routed_min[pid] += t.routed_min[pid]
            tally.per_visit_min[pid] += t.per_visit_min[pid]
        tally.unrouted += t.unrouted
        for name in ("runs", "long_runs", "routed_visits", "visits", "capped", "expected_min", "problems"):
            setattr(tally, name, getattr(tally, name) + getattr(t, name))
    return _routed(tally, travel, max(p.seconds for p in parts), **parts[0].settings)


def _notes(seed, max_run_hours, max_visits_per_run, tally: _Tally, expected: float, n_problems: int,
           travel, gls_s: float) -> list[str]:
    notes = [
        f"typical day drawn with seed {seed}: a client with v visits a week in |B| bands gets floor(e) "
        "visits in each band plus one with probability frac(e), e = v / (7 |B|); the same day for every "
        "allocation; weekly = day × 7",
        f"runs start and end at the provider's hubs and last at most {max_run_hours:g} h with at most "
        f"{max_visits_per_run} visits; legs into or out of a two-carer visit count twice",
        "the optimiser's own per-visit pricing over the whole week (expected, no sampling; clients that some "
        f"band cannot reach left out, as the optimiser does): {expected:.1f} h/week",
    ]
    if tally.long_runs:
        notes.append(
            f"{tally.long_runs} visit(s) a day exceed the {max_run_hours:g} h run limit on their own (out "
            "and back from the best hub plus the visit): each has a run of its own, and its travel counts"
        )
    if tally.unrouted:
        notes.append(f"{len(tally.unrouted)} visit(s) a day are in no run; `unrouted` gives each reason")
    if tally.capped:
        notes.append(
            f"{tally.capped} of {n_problems} searches stopped at their {DESCENT_CAP_S:g} s safety cap "
            "before a local optimum: figures may differ slightly between runs"
        )
    if gls_s > 0:
        notes.append(
            f"guided local search for {gls_s:g} s in all after each descent: stopped by the clock, so the "
            "figures may differ slightly between runs"
        )
    if getattr(travel, "approximate", False):
        notes.append("travel is approximate (great-circle distance, no road or ferry network)")
    return notes
