"""The clients of a generated scenario: where they live (on land, inside a zone, reached from dry land)
and their packages (hours, visits, bands, carers, needs, funder).

Every draw comes from the one generator passed in, in a fixed order: the same seed gives the same clients.
"""

from __future__ import annotations

import numpy as np

from commissioning.errors import InputError, Problem
from commissioning.synthetic.assumptions import (
    BAND_PRIORITY,
    COORD_DECIMALS,
    DAYS_PER_WEEK,
    HOURS_SIGMA,
    MAX_VISITS_PER_WEEK,
    MAX_WATER_KM,
    MAX_WEEKLY_HOURS,
    MEAN_WEEKLY_HOURS,
    MIN_WEEKLY_HOURS,
    SCATTER_SHARE,
    TWO_CARER_BASE,
    TWO_CARER_EXTRA,
    VISIT_MINUTES,
    VISIT_MINUTES_P,
)
from commissioning.synthetic.geography import Geography
from commissioning.vocabulary import NEEDS
from geodata.geometry import haversine_km
from geodata.land import water_run_km

MAX_PLACEMENT_ATTEMPTS = 400  # rounds of redrawing the clients not yet placed on land inside a zone
ANCHOR_RENEW_EVERY = 8  # a client whose point keeps failing gets a fresh anchor this often

# Where a client is drawn around: a settlement (demand point), a small place (scatter) or a road.
SETTLEMENT, SCATTER, ROAD = 0, 1, 2


def offset(lon, lat, dx_km, dy_km):
    lat2 = lat + dy_km / 110.57
    lon2 = lon + dx_km / (111.32 * np.cos(np.radians(lat)))
    return lon2, lat2


def place_clients(geo: Geography, n: int, rng: np.random.Generator):
    """Client coordinates (rounded to the written precision) and zones, all on land inside a zone."""
    kind, choices = _anchor_kinds(geo, n, rng)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    zone = np.full(n, "", dtype=object)
    anchor = np.full(n, -1)
    pending = np.arange(n)
    for attempt in range(MAX_PLACEMENT_ATTEMPTS):
        if not len(pending):
            break
        # A fresh anchor at the start and every few failed attempts.
        renew = pending[(anchor[pending] < 0) | (attempt % ANCHOR_RENEW_EVERY == 0)]
        for k, (size, p) in enumerate(choices):
            sel = renew[kind[renew] == k]
            if len(sel) and size:
                anchor[sel] = rng.choice(size, size=len(sel), p=p)
        k = kind[pending]
        c_lon, c_lat, b_lon, b_lat = _candidate_points(geo, k, anchor[pending], rng)
        ok, c_zone = _accepted(geo, c_lon, c_lat, b_lon, b_lat, k)
        done = pending[ok]
        lon[done], lat[done], zone[done] = c_lon[ok], c_lat[ok], c_zone[ok]
        pending = pending[~ok]
    if len(pending):
        raise InputError([Problem("demand points", None, None, None,
                                  f"could not place {len(pending)} clients on land inside the zones",
                                  "check that the demand points lie on land inside the zone polygons")])
    return lon, lat, zone.astype(str)


def _anchor_kinds(geo: Geography, n: int, rng: np.random.Generator):
    """Each client's anchor kind (``SETTLEMENT``, ``SCATTER`` or ``ROAD``) and, per kind, ``(count,
    probabilities)`` of its anchors (``(0, None)`` when the geography has none)."""
    d_w = geo.demand["weight"].to_numpy(float)
    choices: list[tuple[int, np.ndarray | None]] = [(len(geo.demand), d_w / d_w.sum())]
    has_roads = geo.roads is not None and len(geo.roads) > 0
    kind = np.zeros(n, dtype=int)
    if geo.scatter is not None and len(geo.scatter) > 0:
        u = rng.random(n)
        kind[u < SCATTER_SHARE] = SCATTER
        if has_roads:
            kind[u < SCATTER_SHARE / 2] = ROAD
        s_w = geo.scatter["weight"].to_numpy(float)
        choices.append((len(geo.scatter), s_w / s_w.sum()))
    else:
        choices.append((0, None))
    if has_roads:
        r = geo.roads
        r_len = haversine_km(r[:, 0], r[:, 1], r[:, 2], r[:, 3])
        choices.append((len(r), r_len / r_len.sum()))
    else:
        choices.append((0, None))
    return kind, choices


def _candidate_points(geo: Geography, k: np.ndarray, a: np.ndarray, rng: np.random.Generator):
    """One candidate point per client around its anchor ``a`` of kind ``k``, rounded to the written
    precision, and the point it is reached from (settlement, small place or road point)."""
    m = len(k)
    c_lon = np.empty(m)
    c_lat = np.empty(m)
    b_lon = np.empty(m)  # where the client is reached from: settlement, small place or road point
    b_lat = np.empty(m)
    g = rng.normal(size=(m, 2))
    t = rng.random(m)
    ang = rng.random(m) * 2 * np.pi
    s0 = k == SETTLEMENT
    if s0.any():
        demand = geo.demand
        sd = demand["sd_km"].to_numpy(float)[a[s0]]
        b_lon[s0] = demand["lon"].to_numpy(float)[a[s0]]
        b_lat[s0] = demand["lat"].to_numpy(float)[a[s0]]
        c_lon[s0], c_lat[s0] = offset(b_lon[s0], b_lat[s0], g[s0, 0] * sd, g[s0, 1] * sd)
    s1 = k == SCATTER
    if s1.any():
        sc = geo.scatter
        rad = sc["radius_km"].to_numpy(float)[a[s1]]
        dist = rad * (0.25 + 0.75 * np.sqrt(t[s1]))
        b_lon[s1], b_lat[s1] = sc["lon"].to_numpy(float)[a[s1]], sc["lat"].to_numpy(float)[a[s1]]
        c_lon[s1], c_lat[s1] = offset(b_lon[s1], b_lat[s1], dist * np.cos(ang[s1]), dist * np.sin(ang[s1]))
    s2 = k == ROAD
    if s2.any():
        seg = geo.roads[a[s2]]
        b_lon[s2] = seg[:, 0] + (seg[:, 2] - seg[:, 0]) * t[s2]
        b_lat[s2] = seg[:, 1] + (seg[:, 3] - seg[:, 1]) * t[s2]
        c_lon[s2], c_lat[s2] = offset(b_lon[s2], b_lat[s2], g[s2, 0] * 0.4, g[s2, 1] * 0.4)
    return np.round(c_lon, COORD_DECIMALS), np.round(c_lat, COORD_DECIMALS), b_lon, b_lat


def _accepted(geo: Geography, c_lon, c_lat, b_lon, b_lat, k: np.ndarray):
    """``(ok, zone)`` per candidate: on land, inside a zone, accepted by the geography (borders, lochs),
    and reached from dry land with no sea loch or sound between."""
    m = len(k)
    ok = geo.on_land(c_lon, c_lat)
    c_zone = np.full(m, "", dtype=object)
    if ok.any():
        c_zone[ok] = geo.zone_of(c_lon[ok], c_lat[ok])
        ok &= c_zone != ""
    if geo.accept is not None and ok.any():
        ok[ok] = geo.accept(c_lon[ok], c_lat[ok])
    if ok.any():
        # reached from dry land, with no sea loch or sound between the client and that point
        ok[ok] = geo.on_land(b_lon[ok], b_lat[ok]) | (k[ok] != ROAD)
    if ok.any():
        ok[ok] = water_run_km(b_lon[ok], b_lat[ok], c_lon[ok], c_lat[ok], geo.land,
                              step_km=MAX_WATER_KM / 2) <= MAX_WATER_KM
    return ok, c_zone


def client_attributes(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    mu = np.log(MEAN_WEEKLY_HOURS) - HOURS_SIGMA**2 / 2
    hours = np.clip(rng.lognormal(mu, HOURS_SIGMA, n), MIN_WEEKLY_HOURS, MAX_WEEKLY_HOURS)
    hours = np.round(hours * 4) / 4  # quarter hours
    length = rng.choice(np.array(VISIT_MINUTES, dtype=float), size=n, p=VISIT_MINUTES_P)
    visits = np.clip(np.round(hours * 60 / length), 1, MAX_VISITS_PER_WEEK).astype(int)
    # Bands: one per 7 visits a week, at most all four; morning first, then bed, tea, lunch (with noise).
    n_bands = np.minimum(4, np.ceil(visits / 7)).astype(int)
    keys = np.log(np.array(BAND_PRIORITY))[None, :] + rng.gumbel(size=(n, 4))
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    bands = rank < n_bands[:, None]
    two_p = TWO_CARER_BASE + TWO_CARER_EXTRA / (1 + np.exp(-(hours - 24.0) / 4.5))
    carers = np.where(rng.random(n) < two_p, 2, 1)
    u = rng.random((n, len(NEEDS)))
    needs = np.zeros((n, len(NEEDS)), dtype=bool)
    needs[:, 0] = u[:, 0] < np.where(hours < 5, 0.6, 0.9)  # personal_care
    needs[:, 1] = u[:, 1] < 0.6  # medication
    needs[:, 2] = u[:, 2] < 0.25  # dementia
    needs[:, 3] = u[:, 3] < np.where(hours > 18, 0.07, 0.03)  # palliative: ~4%, heavier packages
    needs[:, 4] = u[:, 4] < np.where(carers == 2, 0.9, 0.1)  # moving_handling: most double-ups
    needs[:, 5] = u[:, 5] < np.where(bands[:, 1] | bands[:, 2], 0.45, 0.15)  # meal_prep
    needs[:, 6] = u[:, 6] < 0.15  # social
    funder = np.where(rng.random(n) < np.where(needs[:, 3], 0.6, 0.13), "nhs", "council")
    return {"hours": hours, "visits": visits, "bands": bands, "carers": carers, "needs": needs,
            "funder": funder}


def band_visit_counts(visits: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Visits a week per band (n × 4, BAND_NAMES order) of clients with ``visits`` a week in ``bands``
    (n × 4 bool), by the rule at :data:`~commissioning.synthetic.assumptions.DAYS_PER_WEEK`: one a day in
    each listed band (morning first, then evenly over the others, bed, tea and lunch first), then a second
    morning call, then evenly over the others again. Each distinct package is worked out once."""
    mask = bands.astype(int) @ (1 << np.arange(bands.shape[1]))
    keys, inverse = np.unique(np.asarray(visits, int) * 16 + mask, return_inverse=True)
    table = np.array([_split_visits(int(k) // 16, [(int(k) % 16) >> b & 1 == 1 for b in range(4)])
                      for k in keys], dtype=int).reshape(len(keys), 4)
    return table[inverse.reshape(-1)]


def _split_visits(visits: int, listed: list[bool]) -> list[int]:
    counts = [0, 0, 0, 0]
    others = [b for b in np.argsort(-np.array(BAND_PRIORITY[1:]), kind="stable") + 1 if listed[b]]
    left = visits

    def give(band_list: list[int], cap: int) -> None:
        nonlocal left
        while left > 0:
            open_bands = [b for b in band_list if counts[b] < cap]
            if not open_bands:
                return
            for b in open_bands[:left]:
                counts[b] += 1
                left -= 1

    for cap in (DAYS_PER_WEEK, 2 * DAYS_PER_WEEK):
        if listed[0]:
            give([0], cap)
        give(others, cap)
    give([b for b in range(4) if listed[b]], visits)  # more than two a day: anywhere listed
    return counts
