"""The providers of a generated scenario: who they are, where their staff hubs are, how far they reach.

For the embedded region: fictional providers with home patches (:data:`ARGYLL_BUTE_PROVIDERS`). For the
user's geography: hubs at the heaviest sites of weighted k-means clusters, with generic names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.errors import InputError, Problem
from commissioning.synthetic.assumptions import (
    ARGYLL_BUTE_PROVIDERS,
    COORD_DECIMALS,
    EXTRA_SUFFIX,
    GENERIC_NAMES,
)
from commissioning.synthetic.clients import offset
from commissioning.synthetic.geography import Geography, approx_minutes
from commissioning.vocabulary import PROVIDER_KINDS


@dataclass
class ProviderPlan:
    kind: str
    name: str
    hubs: list[int]  # indices into geo.hub_sites
    island: bool = False


def _kind_counts(n: int) -> dict[str, int]:
    if n < 1:
        raise InputError([Problem("command line", None, "--providers", n, "at least one provider is needed",
                                  "give --providers 1 or more (default 15)")])
    in_house = 1
    national = min(int(round(0.2 * n)), n - in_house)
    third = min(int(round(0.2 * n)), n - in_house - national)
    return {"national": national, "independent": n - in_house - national - third, "third_sector": third,
            "in_house": in_house}


def _hub_site_for_zone(sites: pd.DataFrame, zone: str, skip: set[int]) -> int | None:
    cand = sites.index[(sites["zone"] == zone) & ~sites.index.isin(list(skip))]
    if not len(cand):
        return None
    w = sites.loc[cand, "weight"].to_numpy()
    return int(cand[int(np.argmax(w))])  # stable: first of the heaviest


def region_providers(geo: Geography, n: int) -> list[ProviderPlan]:
    sites = geo.hub_sites
    zone_ids = list(geo.zones["zone_id"])
    zone_weight = sites.groupby("zone")["weight"].sum()
    by_weight = sorted(zone_ids, key=lambda z: (-zone_weight.get(z, 0.0), z))
    counts = _kind_counts(n)
    out: list[ProviderPlan] = []
    for kind in PROVIDER_KINDS:
        template = ARGYLL_BUTE_PROVIDERS[kind]
        for i in range(counts[kind]):
            if i < len(template):
                name, homes, n_hubs, island = template[i]
            else:
                home = by_weight[i % len(by_weight)]
                zname = str(geo.zones.loc[geo.zones["zone_id"] == home, "name"].iloc[0])
                short = zname.split(" (")[0].replace("Isle of ", "")
                name, homes, n_hubs, island = f"{short} {EXTRA_SUFFIX[kind]}", [home], 2, False
            used = [q.name for q in out]
            if name in used:
                name = f"{name} {sum(u.startswith(name) for u in used) + 1}"
            if kind == "in_house":
                # one hub at the largest settlement of each locality
                homes = []
                for loc in sorted(set(sites["locality"]) - {""}):
                    loc_sites = sites[sites["locality"] == loc]
                    homes.append(str(loc_sites.loc[loc_sites["weight"].idxmax(), "zone"]))
            homes = [h for h in homes if h in zone_ids] or by_weight[:1]
            hubs: list[int] = []
            j = 0
            while len(hubs) < n_hubs and j < 4 * n_hubs:
                site = _hub_site_for_zone(sites, homes[j % len(homes)], set(hubs))
                if site is not None:
                    hubs.append(site)
                j += 1
            out.append(ProviderPlan(kind, name, hubs or [int(sites["weight"].idxmax())], island))
    return out


def _weighted_kmeans(x, y, w, k, rng, iterations=25):
    k = max(1, min(k, len(x)))
    first = int(rng.choice(len(x), p=w / w.sum()))
    centres = [first]
    for _ in range(1, k):
        d = np.min([(x - x[c]) ** 2 + (y - y[c]) ** 2 for c in centres], axis=0)
        p = w * d
        centres.append(int(rng.choice(len(x), p=p / p.sum())) if p.sum() > 0 else int(np.argmax(w)))
    cx, cy = x[centres].astype(float), y[centres].astype(float)
    label = np.zeros(len(x), dtype=int)
    for _ in range(iterations):
        d = (x[:, None] - cx[None, :]) ** 2 + (y[:, None] - cy[None, :]) ** 2
        label = np.argmin(d, axis=1)
        for c in range(k):
            m = label == c
            if m.any():
                cx[c] = np.average(x[m], weights=w[m])
                cy[c] = np.average(y[m], weights=w[m])
    return label, k


def user_providers(geo: Geography, n: int, rng: np.random.Generator) -> list[ProviderPlan]:
    sites = geo.hub_sites
    lat0 = float(np.average(sites["lat"], weights=sites["weight"]))
    x = sites["lon"].to_numpy() * 111.32 * np.cos(np.radians(lat0))
    y = sites["lat"].to_numpy() * 110.57
    w = sites["weight"].to_numpy(float)
    counts = _kind_counts(n)
    label, k = _weighted_kmeans(x, y, w, max(4, counts["independent"]), rng)
    cl_weight = np.array([w[label == c].sum() for c in range(k)])
    spread = np.zeros(k)
    for c in range(k):
        m = label == c
        if cl_weight[c] > 0:
            mx, my = np.average(x[m], weights=w[m]), np.average(y[m], weights=w[m])
            spread[c] = np.sqrt(np.average((x[m] - mx) ** 2 + (y[m] - my) ** 2, weights=w[m]))
    heavy = [int(c) for c in np.argsort(-cl_weight, kind="stable") if cl_weight[c] > 0]
    remote = [int(c) for c in np.argsort(-(spread + 1) / (cl_weight + 1), kind="stable") if cl_weight[c] > 0]

    def top_sites(mask: np.ndarray, count: int) -> list[int]:
        idx = np.flatnonzero(mask)
        order = idx[np.argsort(-w[idx], kind="stable")]
        return [int(i) for i in order[:count]]

    out: list[ProviderPlan] = []
    for i in range(counts["national"]):
        clusters = [heavy[(i + j) % len(heavy)] for j in range(min(3, len(heavy)))]
        hubs = [top_sites(label == c, 1)[0] for c in clusters]
        out.append(ProviderPlan("national", _generic_name("national", i), sorted(set(hubs), key=hubs.index)))
    for i in range(counts["independent"]):
        c = heavy[i % len(heavy)]
        out.append(ProviderPlan("independent", _generic_name("independent", i),
                             top_sites(label == c, int(rng.integers(1, 4))), island=c in remote[:2]))
    for i in range(counts["third_sector"]):
        c = remote[i % len(remote)]
        out.append(ProviderPlan("third_sector", _generic_name("third_sector", i), top_sites(label == c, 2)))
    localities = sorted(set(sites["locality"]) - {""})
    if localities:
        loc_w = {loc: w[sites["locality"].to_numpy() == loc].sum() for loc in localities}
        chosen = sorted(localities, key=lambda loc: -loc_w[loc])[:4]
        hubs = [top_sites(sites["locality"].to_numpy() == loc, 1)[0] for loc in chosen]
    else:
        hubs = [top_sites(label == c, 1)[0] for c in heavy[:4]]
    out.append(ProviderPlan("in_house", _generic_name("in_house", 0), hubs))
    return out


def _generic_name(kind: str, i: int) -> str:
    names = GENERIC_NAMES[kind]
    base = names[i % len(names)]
    return base if i < len(names) else f"{base} {i // len(names) + 1}"


def provider_zone_minutes(geo: Geography, providers: list[ProviderPlan], zone_of_site: np.ndarray):
    """(minimum, demand-weighted mean) minutes from each provider's nearest hub to each zone."""
    sites = geo.hub_sites
    hub_idx = sorted({h for p in providers for h in p.hubs})
    dest = sites  # every candidate site stands for the demand around it
    m = geo.minutes(sites["lon"].to_numpy()[hub_idx], sites["lat"].to_numpy()[hub_idx],
                    dest["lon"].to_numpy(), dest["lat"].to_numpy())
    m = np.where(np.isfinite(m), m, 1e4)
    row = {h: i for i, h in enumerate(hub_idx)}
    zones = list(geo.zones["zone_id"])
    w = np.maximum(dest["weight"].to_numpy(float), 1.0)
    nearest = np.full((len(providers), len(zones)), 1e4)
    mean = np.full((len(providers), len(zones)), 1e4)
    for pi, p in enumerate(providers):
        best = m[[row[h] for h in p.hubs]].min(axis=0)
        for zi, z in enumerate(zones):
            sel = zone_of_site == z
            if sel.any():
                nearest[pi, zi] = best[sel].min()
                mean[pi, zi] = np.average(best[sel], weights=w[sel])
    # zones without any site: fall back to a straight-line estimate from the zone's representative point
    empty = [zi for zi, z in enumerate(zones) if not (zone_of_site == z).any()]
    if empty:
        reps = [geo.zones["geometry"].iloc[zi].representative_point() for zi in empty]
        rl, ra = np.array([r.x for r in reps]), np.array([r.y for r in reps])
        for pi, p in enumerate(providers):
            est = approx_minutes(sites["lon"].to_numpy()[p.hubs], sites["lat"].to_numpy()[p.hubs], rl, ra)
            nearest[pi, empty] = est.min(axis=0)
            mean[pi, empty] = est.min(axis=0)
    return nearest, mean


def snap_sites(geo: Geography) -> pd.DataFrame:
    """Hub sites moved onto land (inside their own zone) when a settlement's point is in the water."""
    sites = geo.hub_sites.copy()
    lon = np.round(sites["lon"].to_numpy(float), COORD_DECIMALS)
    lat = np.round(sites["lat"].to_numpy(float), COORD_DECIMALS)
    zone = sites["zone"].to_numpy().astype(str)
    good = geo.on_land(lon, lat) & (geo.zone_of(lon, lat) == zone)
    angles = np.radians(np.arange(0, 360, 30))
    for i in np.flatnonzero(~good):
        for radius in np.arange(0.05, 2.01, 0.05):
            c_lon, c_lat = offset(lon[i], lat[i], radius * np.cos(angles), radius * np.sin(angles))
            c_lon, c_lat = np.round(c_lon, COORD_DECIMALS), np.round(c_lat, COORD_DECIMALS)
            ok = geo.on_land(c_lon, c_lat) & (geo.zone_of(c_lon, c_lat) == zone[i])
            if ok.any():
                j = int(np.argmax(ok))
                lon[i], lat[i] = c_lon[j], c_lat[j]
                break
    sites["lon"], sites["lat"] = lon, lat
    return sites


def split_integer(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Largest-remainder split of ``total`` into ``len(weights)`` integers, each at least ``minimum``."""
    k = len(weights)
    total = max(total, minimum * k)
    w = np.maximum(np.asarray(weights, float), 1e-9)
    share = w / w.sum() * (total - minimum * k)
    base = np.floor(share).astype(int)
    rest = total - minimum * k - base.sum()
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base + minimum
