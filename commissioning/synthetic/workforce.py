"""The workforce of a generated scenario (issue 12): carers where they live, drivers or not, part-time.

Carers are recruited locally: a provider has a hub in each patch where it expects enough work, unless one of
its hubs is a commute away, and covers smaller work from its nearest hub. The hubs are sized twice. First for
the work expected of them (:func:`size_provider_hubs`): the providers' capacity that today's allocation was
brokered against. Then, once today's allocation is known, for the work each hub has today on the run's own
travel from it (:func:`fit_hubs_to_work`, :mod:`~commissioning.synthetic.hub_work`): its work times where it
is (remote, island and tourist patches keep fewer carers for it,
:data:`~commissioning.synthetic.assumptions.STAFFING_REMOTE` and its neighbours) times a draw per hub, scaled
so that the region as a whole has ``STAFF_TO_DEMAND`` times the demand. Towns have spare; in remote, island
and tourist patches some hubs have less than their work today (today's allocation breaks the workforce rules
there, and the shared pools make up most of it). The carers cover each band's work within that band's
window, the morning peak included. Contracted hours are drawn per hub (20-30 h). Non-drivers: at most a share
drawn by place (towns most, villages some, remote patches and islands almost none), and at most as many as
``NON_DRIVER_NEAR_WORK_SHARE`` of the hub's work within their reach keeps busy. Remote and island hubs may
recruit only a few carers (one per ``RESIDENTS_PER_RECRUIT`` residents). A shared pool's carers are hubs in
the pool's own zones.

Every draw comes from the generator passed in, in a fixed order: the same seed gives the same hubs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.inputs.zones import pool_base
from commissioning.synthetic.assumptions import (
    COORD_DECIMALS,
    HOURS_PER_CARER_BY_KIND,
    HUB_STAFFING_SPREAD,
    IN_HOUSE_SHARE,
    LOCAL_HUB_FAR_MIN_HOURS,
    LOCAL_HUB_FAR_MINUTES,
    LOCAL_HUB_MIN_HOURS,
    LOCAL_HUB_MINUTES,
    MAX_RECRUITS_REMOTE,
    NON_DRIVER_NEAR_WORK_SHARE,
    NON_DRIVER_SHARE_BY_PLACE,
    POOL_HOURS_PER_CARER,
    RESIDENTS_PER_RECRUIT,
    STAFF_TO_DEMAND,
    STAFFING_MARGIN,
    STAFFING_REMOTE,
    STAFFING_REMOTE_ISLAND,
    STAFFING_TOURIST,
    USER_REMOTE_MAX_RECRUITS,
)
from commissioning.synthetic.geography import Geography
from commissioning.synthetic.hub_work import WORKFORCE, HubWork
from commissioning.synthetic.providers import ProviderPlan, split_integer
from commissioning.vocabulary import BAND_NAMES

HUB_COLUMNS = ["hub_id", "provider_id", "pool_id", "lon", "lat", "carers", "drivers",
               "weekly_hours_per_carer", "max_recruits"]


@dataclass
class HubPlan:
    """One hub: whose carers (a provider's index, or a pool's id), where, and how many."""

    owner: int  # provider index; -1 for a pool's hub
    pool_id: str  # "" for a provider's own hub
    zone: str
    lon: float
    lat: float
    town: bool
    residents: float  # of the settlement it stands in (nan: unknown)
    hours: float = 0.0  # staff hours a week it is sized for (before whole carers)
    hours_per_carer: float = 0.0
    carers: int = 0
    drivers: int = 0
    max_recruits: int | None = None  # None: the scenario's limit
    non_driver_share: float = 0.0  # drawn by place: at most this share of its carers do not drive

    @property
    def capacity(self) -> float:
        return self.carers * self.hours_per_carer


def zone_staffing(zones: pd.DataFrame) -> np.ndarray:
    """Carers kept per hour of expected work in each zone, relative to a town patch."""
    remote = zones["remote"].to_numpy(bool)
    island = zones["island"].to_numpy(bool) if "island" in zones else np.zeros(len(zones), bool)
    tourist = zones["tourist"].to_numpy(bool) if "tourist" in zones else np.zeros(len(zones), bool)
    base = np.where(remote & island, STAFFING_REMOTE_ISLAND, np.where(remote, STAFFING_REMOTE, 1.0))
    return base * np.where(tourist, STAFFING_TOURIST, 1.0)


def _zone_tops(geo: Geography, zone_ids: list[str]) -> list[int | None]:
    """Each zone's most populous hub site (the first of the heaviest), None for a zone without sites."""
    sites = geo.hub_sites
    zone = sites["zone"].to_numpy().astype(str)
    weight = sites["weight"].to_numpy(float)
    tops: list[int | None] = []
    for z in zone_ids:
        idx = np.flatnonzero(zone == z)
        tops.append(int(idx[np.argmax(weight[idx])]) if len(idx) else None)
    return tops


def _site_hub(geo: Geography, site: int, owner: int, pool_id: str = "") -> HubPlan:
    s = geo.hub_sites.iloc[site]
    return HubPlan(owner, pool_id, str(s["zone"]), float(s["lon"]), float(s["lat"]), bool(s["town"]),
                   float(s["residents"]))


def provider_hubs(geo: Geography, providers: list[ProviderPlan], expected: np.ndarray) -> list[HubPlan]:
    """Each provider's hubs: its planned ones, plus one in each patch where it expects at least
    ``LOCAL_HUB_MIN_HOURS`` (``LOCAL_HUB_FAR_MIN_HOURS`` a ferry away) and has no hub within
    ``LOCAL_HUB_MINUTES``. ``HubPlan.hours``: the expected staff hours (``expected``: providers × zones)
    carried there, times the zone's staffing."""
    sites = geo.hub_sites
    zone_ids = geo.zones["zone_id"].astype(str).tolist()
    factor = zone_staffing(geo.zones)
    tops = _zone_tops(geo, zone_ids)
    minutes, row = _site_zone_minutes(geo, providers, tops)
    site_zone = sites["zone"].to_numpy().astype(str)
    weight = np.sqrt(np.maximum(sites["weight"].to_numpy(float), 1.0))
    hubs: list[HubPlan] = []
    for pi, plan in enumerate(providers):
        mine = list(dict.fromkeys(plan.hubs))
        work = [0.0] * len(mine)
        for zi in np.argsort(-expected[pi], kind="stable"):
            if expected[pi, zi] <= 0:
                break
            local = [j for j, s in enumerate(mine) if site_zone[s] == zone_ids[zi]]
            if not local:
                far = minutes[[row[s] for s in mine], zi]
                least = LOCAL_HUB_FAR_MIN_HOURS if far.min() > LOCAL_HUB_FAR_MINUTES else LOCAL_HUB_MIN_HOURS
                if expected[pi, zi] >= least and tops[zi] is not None and far.min() > LOCAL_HUB_MINUTES:
                    mine.append(int(tops[zi]))
                    work.append(0.0)
                    local = [len(mine) - 1]
                else:
                    local = [int(np.argmin(far))]
            share = weight[[mine[j] for j in local]]
            for j, s in zip(local, share / share.sum(), strict=True):
                work[j] += expected[pi, zi] * factor[zi] * s
        for site, hours in zip(mine, work, strict=True):
            hub = _site_hub(geo, site, pi)
            hub.hours = hours
            hubs.append(hub)
    return hubs


def _site_zone_minutes(geo: Geography, providers: list[ProviderPlan], tops: list[int | None]):
    """Minutes from every planned hub and every zone's main site to each zone's main site (its representative
    point without sites), and the row of each site."""
    sites = geo.hub_sites
    cand = sorted({h for p in providers for h in p.hubs} | {t for t in tops if t is not None})
    lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
    a_lon, a_lat = np.empty(len(tops)), np.empty(len(tops))
    for zi, top in enumerate(tops):
        if top is None:
            point = geo.zones["geometry"].iloc[zi].representative_point()
            a_lon[zi], a_lat[zi] = point.x, point.y
        else:
            a_lon[zi], a_lat[zi] = lon[top], lat[top]
    minutes = np.asarray(geo.minutes(lon[cand], lat[cand], a_lon, a_lat), dtype=float)
    return np.where(np.isfinite(minutes), minutes, 1e4), {s: i for i, s in enumerate(cand)}


def size_provider_hubs(geo: Geography, hubs: list[HubPlan], kinds: np.ndarray, demand_total: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Carers at each provider hub (in place) and each provider's weekly staff hours (their sum), for the work
    expected of it: what today's allocation is brokered against (:func:`fit_hubs_to_work` then sizes the hubs
    for the work they have).

    A provider's expected work times a margin drawn per provider (at least a small floor, so that no provider
    is empty), scaled to ``STAFF_TO_DEMAND`` × the demand, ``IN_HOUSE_SHARE`` of it the council's."""
    n_prov = len(kinds)
    margin = rng.uniform(*STAFFING_MARGIN, size=n_prov)
    owner = np.array([h.owner for h in hubs])
    raw = np.array([h.hours for h in hubs], dtype=float)
    floor = 0.02 * demand_total / n_prov
    for pi in range(n_prov):
        mine = np.flatnonzero(owner == pi)
        total = raw[mine].sum()
        if total <= 0:
            raw[mine[0]] = floor
        elif total < floor:
            raw[mine] *= floor / total
    raw *= margin[owner]
    target = STAFF_TO_DEMAND * demand_total
    inh = kinds[owner] == "in_house"
    if inh.any() and (~inh).any():
        raw[inh] *= IN_HOUSE_SHARE * target / raw[inh].sum()
        raw[~inh] *= (1 - IN_HOUSE_SHARE) * target / raw[~inh].sum()
    else:
        raw *= target / raw.sum()
    for hub, hours in zip(hubs, raw, strict=True):
        hub.hours = float(hours)
    set_carers(geo, hubs, [HOURS_PER_CARER_BY_KIND[kinds[o]] for o in owner], rng)
    return np.bincount(owner, weights=[h.capacity for h in hubs], minlength=n_prov)


def set_carers(geo: Geography, hubs: list[HubPlan], hour_ranges: list[tuple[float, float]],
               rng: np.random.Generator) -> None:
    """Contracted hours (to the half hour), carers (at least one), drivers and the recruitment limit of each
    hub, from its sized hours and where it is."""
    if not hubs:
        return
    lo, hi = np.array(hour_ranges, dtype=float).T
    per_carer = np.round(rng.uniform(lo, hi) * 2) / 2
    zones = geo.zones.set_index(geo.zones["zone_id"].astype(str))
    remote = np.array([_remote(zones, h.zone) for h in hubs])
    place = np.where([h.town for h in hubs], "town", np.where(remote, "remote", "village"))
    nd_lo, nd_hi = np.array([NON_DRIVER_SHARE_BY_PLACE[p] for p in place]).T
    non_driver = rng.uniform(nd_lo, nd_hi)
    for hub, hours, share, far in zip(hubs, per_carer, non_driver, remote, strict=True):
        hub.hours_per_carer = float(hours)
        hub.non_driver_share = float(share)
        hub.carers = max(1, int(round(hub.hours / hours)))
        hub.drivers = hub.carers - int(round(hub.carers * share))
        hub.max_recruits = _max_recruits(hub.residents) if far else None


def fit_hubs_to_work(geo: Geography, hubs: list[HubPlan], work: HubWork, demand: float, n_prov: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Carers at each provider hub for the work it has today (in place), and each provider's weekly staff
    hours (their sum).

    A hub keeps its work (care plus travel from it, :mod:`~commissioning.synthetic.hub_work`) times its zone's
    staffing (:func:`zone_staffing`) times a draw per hub (``HUB_STAFFING_SPREAD``), scaled so that the region
    has ``STAFF_TO_DEMAND`` × ``demand``: towns have spare, remote, island and tourist patches are short. The
    carers also cover each band's work within the band's window hours (the product's windows; the morning is
    the busiest band). Non-drivers carry at most ``NON_DRIVER_NEAR_WORK_SHARE`` of the work within their
    reach; the drivers the rest, in the week and in each band's window.
    """
    zone_ids = geo.zones["zone_id"].astype(str).tolist()
    staffing = zone_staffing(geo.zones)
    factor = np.array([staffing[zone_ids.index(h.zone)] if h.zone in zone_ids else 1.0 for h in hubs])
    factor *= rng.uniform(*HUB_STAFFING_SPREAD, size=len(hubs))
    factor *= STAFF_TO_DEMAND * demand / max(float((factor * work.week).sum()), 1e-9)
    for h, hub in enumerate(hubs):
        _size_hub(hub, float(factor[h]), work.band[h], work.near[h])
    owner = np.array([h.owner for h in hubs])
    return np.bincount(owner, weights=[h.capacity for h in hubs], minlength=n_prov)


def _size_hub(hub: HubPlan, factor: float, band: np.ndarray, near: np.ndarray) -> None:
    """Carers and drivers of one hub for its work (staff hours a week by band, ``near`` within reach) times
    ``factor``: whole carers, at least the work where the hub is not meant to be short."""
    per_carer = hub.hours_per_carer
    window = np.array([WORKFORCE.band_hours_per_carer(b, per_carer) for b in BAND_NAMES])
    need = factor * max(float(band.sum()), float(np.max(band / window)) * per_carer)
    far = band - near
    need_drivers = factor * max(float(far.sum()), float(np.max(far / window)) * per_carer) / per_carer
    hub.hours = need
    carers = int(round(need / per_carer))
    if factor >= 1.0:  # not meant to be short: at least its work
        carers = max(carers, int(np.ceil(need / factor / per_carer - 1e-9)))
    hub.carers = max(1, carers)
    non_drivers = min(int(round(hub.carers * hub.non_driver_share)),
                      _non_drivers_for(float(near.sum()), per_carer),
                      hub.carers - int(np.ceil(need_drivers - 1e-9)))
    hub.drivers = hub.carers - max(0, non_drivers)


def _non_drivers_for(near_hours: float, per_carer: float) -> int:
    """Most non-drivers for ``near_hours`` a week of work within their reach."""
    return int(np.floor(NON_DRIVER_NEAR_WORK_SHARE * near_hours / per_carer + 1e-9))


def cap_non_drivers(hubs: list[HubPlan], near_hours: np.ndarray) -> None:
    """At most as many non-drivers at each hub as its work within their reach (``near_hours``) keeps busy."""
    for hub, hours in zip(hubs, near_hours, strict=True):
        hub.drivers = max(hub.drivers, hub.carers - _non_drivers_for(float(hours), hub.hours_per_carer))


def _remote(zones: pd.DataFrame, zone: str) -> bool:
    if zone not in zones.index:
        return False
    row = zones.loc[zone]
    return bool(row["remote"]) or bool(row.get("island", False))


def _max_recruits(residents: float) -> int:
    """One recruit per ``RESIDENTS_PER_RECRUIT`` residents, 1 to ``MAX_RECRUITS_REMOTE``; a fixed figure
    where the residents are unknown (a user's geography)."""
    if not np.isfinite(residents):
        return USER_REMOTE_MAX_RECRUITS
    return int(np.clip(round(residents / RESIDENTS_PER_RECRUIT), 1, MAX_RECRUITS_REMOTE))


def pool_hubs(geo: Geography, pool_id: str, pool_zones: list[str], care: np.ndarray, hours: float,
              rng: np.random.Generator) -> list[HubPlan]:
    """A pool's carers (``hours`` a week in all) at the main site of its zones with care (``care`` per
    zone), shared out by care; a zone whose share is under half a carer adds to the largest."""
    tops = _zone_tops(geo, pool_zones)
    mid_hours = sum(POOL_HOURS_PER_CARER) / 2
    keep = [i for i in np.argsort(-care, kind="stable") if care[i] > 0]
    if not keep:
        return []
    keep = [i for i in keep if care[i] / care.sum() * hours >= mid_hours / 2] or keep[:1]
    keep = sorted(keep)
    hubs = [_pool_hub(geo, pool_id, pool_zones[i], tops[i]) for i in keep]
    for hub, h in zip(hubs, split_integer(int(round(hours * 10)), care[keep], minimum=0) / 10, strict=True):
        hub.hours = float(h)
    set_carers(geo, hubs, [POOL_HOURS_PER_CARER] * len(hubs), rng)
    return hubs


def _pool_hub(geo: Geography, pool_id: str, zone: str, top: int | None) -> HubPlan:
    """At the zone's main site when it lies in the zone as written, else a point on its largest polygon."""
    if top is not None:
        hub = _site_hub(geo, top, -1, pool_id)
        if geo.zone_of(np.array([hub.lon]), np.array([hub.lat]))[0] == zone:
            return hub
    geometry = geo.zones.loc[geo.zones["zone_id"].astype(str) == zone, "geometry"].iloc[0]
    lon, lat = pool_base(geometry)
    return HubPlan(-1, pool_id, zone, round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS), False, np.nan)


def hub_table(hubs: list[HubPlan], provider_ids: list[str]) -> pd.DataFrame:
    """hubs.csv: a provider's hubs ``P01-H1``, ``P01-H2``...; a pool's ``<pool_id>-<zone_id>``."""
    rows = []
    count: dict[int, int] = {}
    for h in hubs:
        if h.owner >= 0:
            count[h.owner] = count.get(h.owner, 0) + 1
            hub_id, provider = f"{provider_ids[h.owner]}-H{count[h.owner]}", provider_ids[h.owner]
        else:
            hub_id, provider = f"{h.pool_id}-{h.zone}", ""
        rows.append([hub_id, provider, h.pool_id, h.lon, h.lat, h.carers, h.drivers, h.hours_per_carer,
                     "" if h.max_recruits is None else str(h.max_recruits)])
    return pd.DataFrame(rows, columns=HUB_COLUMNS)
