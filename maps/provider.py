"""A provider's own view of a variant: its care hours, clients and patches, gains and losses against today.

Pure: tables in, a :class:`folium.Map` out. Nothing of any other provider reaches the page: the tables are
cut down to this provider's rows (in the variant and in today's allocation) before anything is drawn, so
no other provider's clients, ids, names, hubs, hours or counts are in the file. Client homes are only
counts per grid square, squares with fewer than ``min_count`` clients are not drawn, and every client
count shown is at least ``min_count`` or reads "fewer than 3" (:mod:`maps.privacy`).
"""

from __future__ import annotations

import math

import folium
import geopandas as gpd
import pandas as pd

from maps.errors import MapError
from maps.layers import (
    GRID_CLIENTS,
    PROVIDER_HOURS,
    esc,
    feature_collection,
    finish_map,
    fmt,
    geojson_layer,
    legend_html,
    new_map,
    normalise_allocation,
    percent,
    scale_legend,
    signed,
    zone_style,
)
from maps.places import place_labels_layer
from maps.privacy import MIN_COUNT, check_min_count, count_text, safe_grid, shown_count
from maps.render import (
    ZONE_PRECISION,
    ZONE_TOLERANCE,
    _add_land,
    _add_with_legend,
    _bases_layer,
    _bounds,
    _client_positions,
    _ferry_layer,
    _hubs,
    _hubs_layer,
    _providers,
    _zones_wgs84,
)

GAINED, LOST, KEPT = "gained", "lost", "kept"
PATCH_COLOURS = {GAINED: "#1a9850", LOST: "#d73027"}


def _mine(allocation, provider_id: str) -> pd.DataFrame:
    a = normalise_allocation(allocation)
    return a[a["assigned"] & (a["provider_id"] == provider_id)].reset_index(drop=True)


def _travel(g: pd.DataFrame) -> float:
    visits = g["visits_per_week"].fillna(0.0)
    ok = g["travel_minutes_per_visit"].notna() & (visits > 0)
    if not ok.any():
        return math.nan
    return float((g.loc[ok, "travel_minutes_per_visit"] * visits[ok]).sum() / visits[ok].sum())


def zone_figures(zone_ids, own: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    """Per zone: this provider's clients and care hours now and (with ``before``) today, the clients it
    gains and loses (and their hours) and the patch's status: gained, lost, kept or ""."""
    now = {z: g for z, g in own.groupby("zone", sort=False)}
    then = {} if before is None else {z: g for z, g in before.groupby("zone", sort=False)}
    ids_now = set(own["client_id"])
    ids_then = set() if before is None else set(before["client_id"])
    empty = own.iloc[0:0]
    rows = []
    for zone in map(str, zone_ids):
        g, b = now.get(zone, empty), then.get(zone, empty)
        gained, lost = g[~g["client_id"].isin(ids_then)], b[~b["client_id"].isin(ids_now)]
        status = ""
        if before is not None:
            key = (len(g) > 0, len(b) > 0)
            status = {(True, False): GAINED, (False, True): LOST, (True, True): KEPT}.get(key, "")
        rows.append({"zone_id": zone, "clients": len(g), "hours": float(g["care_hours"].sum()),
                     "clients_before": len(b), "hours_before": float(b["care_hours"].sum()),
                     "gained": len(gained), "gained_hours": float(gained["care_hours"].sum()),
                     "lost": len(lost), "lost_hours": float(lost["care_hours"].sum()),
                     "travel": _travel(g), "status": status})
    return pd.DataFrame(rows)


def _change(now: float, then: float) -> str:
    """The provider's change in care hours over all its patches, as the report writes it ("+351.8 h
    (+42.1%)", the percentage of all its care hours today: providers.csv's change_pct_vs_current)."""
    pct = f" ({percent((now - then) / then * 100, sign=True)})" if then > 0 else ""
    return f"{signed(now - then)} h{pct}"


def _patch_change(now: float, then: float) -> str:
    """The change in one patch: its percentage is of the provider's hours in that patch today, not the
    report's percentage of all its hours, and says so."""
    if then <= 0:
        return f"{signed(now - then)} h (none here before)"
    pct = percent((now - then) / then * 100, sign=True)
    return f"{signed(now - then)} h, {pct} of your {fmt(then)} h here"


def _zone_tip(r, min_count: int, baseline: str | None) -> str:
    head = f"<b>{esc(r.name)}</b> <span style='color:#666'>({esc(r.zone_id)})</span><br>"
    if r.status == LOST:
        return head + (
            f"<b>You lose this patch</b> (vs {esc(baseline)}): {fmt(r.lost_hours)} care hours per week, "
            f"{count_text(r.lost, min_count)} of yours today"
        )
    if not r.clients:
        return head + "No clients of yours" + (f" (none in {esc(baseline)} either)" if baseline else "")
    lines = [f"Your clients: {count_text(r.clients, min_count)}",
             f"Your care: {fmt(r.hours)} hours per week",
             f"Your travel: {fmt(r.travel)} minutes per visit"]
    if baseline:
        lines.insert(2, f"Change in this patch vs {esc(baseline)}: {_patch_change(r.hours, r.hours_before)}")
        lines.insert(3, f"Clients new to you: {count_text(r.gained, min_count)}; "
                        f"clients you lose: {count_text(r.lost, min_count)}")
        if r.status == GAINED:
            lines.insert(0, f"<b>A patch you gain</b> (none of your clients here in {esc(baseline)})")
    return head + "<br>".join(lines)


def _zone_frame(zones: gpd.GeoDataFrame, figures: pd.DataFrame, min_count: int, baseline: str | None):
    frame = zones[["zone_id", "name", "geometry"]].merge(figures, on="zone_id", how="left")
    frame["fill"] = [PROVIDER_HOURS.colour(h) if c else PROVIDER_HOURS.colour(None)
                     for h, c in zip(frame["hours"], frame["clients"], strict=True)]
    frame["tooltip"] = [_zone_tip(r, min_count, baseline) for r in frame.itertuples(index=False)]
    for column in ("clients", "clients_before", "gained", "lost"):  # counts in the page: suppressed too
        frame[column] = [shown_count(n, min_count) for n in frame[column]]
    return frame


def _patch_layer(frame: gpd.GeoDataFrame, baseline: str):
    changed = frame[frame["status"].isin([GAINED, LOST])].copy()
    legend = legend_html(
        f"Patches you gain or lose (vs {baseline})",
        [(PATCH_COLOURS[GAINED], "gained: your clients here now, none today (solid outline)"),
         (PATCH_COLOURS[LOST], "lost: your clients here today, none now (dashed outline)")],
        "Hover a patch for the care hours gained or lost.",
    )
    if changed.empty:
        return None, legend
    changed["colour"] = [PATCH_COLOURS[s] for s in changed["status"]]
    data = feature_collection(changed[["zone_id", "status", "colour", "lost_hours", "hours", "tooltip",
                                       "geometry"]], html_columns=("tooltip",),
                              tolerance=ZONE_TOLERANCE, precision=ZONE_PRECISION)
    layer = geojson_layer(
        data, name=f"Patches you gain or lose (vs {baseline})",
        style=lambda f: {"color": f["properties"]["colour"], "weight": 3.5, "fillOpacity": 0.0,
                         "fill": True, "dashArray": "6 4" if f["properties"]["status"] == LOST else None},
    )
    return layer, legend


def _summary(own, before, figures, min_count: int, baseline: str | None) -> str:
    hours = float(own["care_hours"].sum())
    text = f"{count_text(len(own), min_count)}, {fmt(hours)} care hours per week"
    if before is None:
        return text
    gained, lost = int(figures["gained"].sum()), int(figures["lost"].sum())
    patches = figures["status"]
    return (
        f"{text}; vs {baseline}, all your patches: {_change(hours, float(before['care_hours'].sum()))}; "
        f"gains {fmt(float(figures['gained_hours'].sum()))} h, {count_text(gained, min_count)}; "
        f"losses {fmt(float(figures['lost_hours'].sum()))} h, {count_text(lost, min_count)}; "
        f"patches gained {int((patches == GAINED).sum())}, lost {int((patches == LOST).sum())}"
    )


def provider_map(
    provider_id: str,
    zones,
    allocation,
    providers,
    hubs=None,
    clients=None,
    *,
    baseline=None,
    baseline_name: str = "current",
    places=None,
    ferries=None,
    land=None,
    variant: str | None = None,
    run_date: str | None = None,
    grid_km: float = 1.0,
    min_count: int = MIN_COUNT,
    tiles: str | None = None,
) -> folium.Map:
    """One provider's own clients (counts per ``grid_km`` square and per patch), care hours and patches,
    with its gains and losses against ``baseline`` (today's allocation, named ``baseline_name``) if
    given; ``variant`` and ``run_date`` are named in the title. Squares with fewer than ``min_count``
    clients are not drawn and every client count shown is at least ``min_count`` or "fewer than N"."""
    min_count = check_min_count(min_count)
    providers = _providers(providers)
    provider_id = str(provider_id)
    if provider_id not in set(providers["provider_id"]):
        valid = ", ".join(sorted(providers["provider_id"]))
        raise MapError(f"unknown provider {provider_id!r}; valid provider ids: {valid}")
    # --- cut everything down to this provider first ---
    me = providers[providers["provider_id"] == provider_id].reset_index(drop=True)
    own_hubs = _hubs(None if hubs is None else hubs[hubs["provider_id"].astype(str) == provider_id], me)
    own = _mine(allocation, provider_id)
    before = None if baseline is None else _mine(baseline, provider_id)
    own_positions = None
    if clients is not None:
        mine = clients[clients["client_id"].astype(str).isin(set(own["client_id"]))]
        own_positions = _client_positions(own, mine)
    del allocation, baseline, clients, providers, hubs  # from here on, only this provider's rows exist
    return _draw(me, own, before, own_positions, own_hubs, zones, places=places, ferries=ferries,
                 land=land, variant=variant, run_date=run_date, grid_km=grid_km, min_count=min_count,
                 tiles=tiles, baseline=baseline_name if before is not None else None)


def _draw(me, own, before, own_positions, own_hubs, zones, *, places, ferries, land, variant, run_date,
          grid_km, min_count, tiles, baseline) -> folium.Map:
    provider_id, name = str(me.loc[0, "provider_id"]), str(me.loc[0, "name"])
    zones = _zones_wgs84(zones)
    figures = zone_figures(zones["zone_id"], own, before)
    frame = _zone_frame(zones, figures, min_count, baseline)
    m = new_map(_own_bounds(frame, own_hubs), tiles=tiles)
    _add_land(m, zones, _bounds(zones), land)
    data = feature_collection(
        frame,
        html_columns=("tooltip",),
        columns=["zone_id", "name", "clients", "hours", "hours_before", "gained", "lost", "lost_hours",
                 "status", "fill", "tooltip"],
        tolerance=ZONE_TOLERANCE,
        precision=ZONE_PRECISION,
    )
    zone_layer = geojson_layer(data, name="Your care hours per zone (hours per week)",
                               style=zone_style("fill"), highlight=True)
    _add_with_legend(m, zone_layer, scale_legend(PROVIDER_HOURS))
    if baseline is not None:
        layer, legend = _patch_layer(frame, baseline)
        if layer is not None:
            _add_with_legend(m, layer, legend)
    if own_positions is not None and len(own_positions):
        _add_own_grid(m, own_positions, grid_km, min_count)
    ferry = _ferry_layer(ferries)
    if ferry is not None:
        ferry.add_to(m)
    colours = {provider_id: "#08519c"}
    _hubs_layer(own_hubs, {provider_id: name}, colours, name="Your staff hubs").add_to(m)
    _bases_layer(me, colours, name="Your office base").add_to(m)
    place_labels_layer(zones, places).add_to(m)
    when = f", run of {run_date}" if run_date else ""
    title = f"{name} ({provider_id}): variant {variant}{when}" if variant else f"{name} ({provider_id}){when}"
    finish_map(m, title=title, subtitle=_summary(own, before, figures, min_count, baseline))
    return m


def _own_bounds(frame: gpd.GeoDataFrame, own_hubs: pd.DataFrame) -> tuple[float, float, float, float]:
    """The patches the provider serves now or today (all patches if none) and its hubs."""
    served = frame[(frame["hours"] > 0) | (frame["status"] == LOST)]
    focus = served if len(served) else frame
    minx, miny, maxx, maxy = (float(v) for v in focus.total_bounds)
    if len(own_hubs):
        minx, maxx = min(minx, own_hubs["lon"].min()), max(maxx, own_hubs["lon"].max())
        miny, maxy = min(miny, own_hubs["lat"].min()), max(maxy, own_hubs["lat"].max())
    return minx, miny, maxx, maxy


def _add_own_grid(m: folium.Map, own_positions: pd.DataFrame, grid_km: float, min_count: int) -> None:
    """The provider's client homes as counts per ``grid_km`` square; squares with fewer than
    ``min_count`` clients are not drawn (their clients count only in their patch's total)."""
    cells, hidden = safe_grid(own_positions["lon"], own_positions["lat"], grid_km, min_count,
                              {"hours": own_positions["care_hours"].fillna(0.0)})
    note = (f"Client homes are shown only as counts per {grid_km:g} km square. Squares with fewer than "
            f"{min_count} of your clients are not drawn ({count_text(hidden, min_count)} in such squares, "
            "counted in their patch's total).")
    if cells is None or cells.empty:
        return
    cells["fill"] = [GRID_CLIENTS.colour(c) for c in cells["count"]]
    cells["tooltip"] = [
        f"{count_text(r.count, min_count)} of yours<br>{fmt(r.hours)} care hours per week"
        for r in cells.itertuples(index=False)
    ]
    grid = geojson_layer(
        feature_collection(
            cells[["count", "fill", "tooltip", "geometry"]], html_columns=("tooltip",), precision=1e-5
        ),
        name=f"Your clients ({grid_km:g} km squares)",
        style=zone_style("fill", opacity=0.9),
    )
    _add_with_legend(m, grid, scale_legend(GRID_CLIENTS, note))
