"""The four maps: coverage, travel, side-by-side comparison and a provider's own view.

Pure functions: tables and geometries in, a :class:`folium.Map` (or :class:`folium.plugins.DualMap`)
out; nothing is read or written here. Inputs:

* ``zones``: GeoDataFrame with ``zone_id`` and ``name`` (any CRS; reprojected to WGS84).
* ``allocation``: a ``<variant>/allocation.csv`` table (``client_id, provider_id, status, zone,
  travel_minutes_per_visit, moved, weekly_hours, care_hours_per_week, visits_per_week, ...``). Every
  "care hours" figure is billable: ``care_hours_per_week`` (weekly hours × carers per visit).
* ``providers``: ``provider_id, name, base_lon, base_lat`` (``providers.csv`` of the scenario).
* ``hubs``: ``hub_id, provider_id, lon, lat, carers`` or ``None`` (a hub at each base).
* ``ferries``: GeoDataFrame of lines with ``name`` (see :func:`geodata.region.ferry_routes`), optional.
* ``land``: a shapely (Multi)Polygon of land in WGS84, drawn as the background, optional.

No map ever draws one marker per client: clients are aggregated to zones or grid squares.
"""

from __future__ import annotations

import math
from functools import lru_cache

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import DualMap

from geodata.geometry import haversine_km
from maps.changes import changed_patches_layer, moved_clients, moved_grid_layer, moved_per_zone, patch_changes
from maps.errors import MapError
from maps.layers import (
    FRAGMENTATION,
    LAND_ATTRIBUTION,
    TRAVEL,
    UNMET,
    WGS84,
    LegendsBelowLayers,
    MapControl,
    counted,
    esc,
    feature_collection,
    finish_map,
    fmt,
    geojson_layer,
    grid_cells,
    land_layer,
    legend_html,
    new_map,
    normalise_allocation,
    percent,
    provider_colours,
    representative_points,
    scale_legend,
    title_html,
    zone_style,
    zone_summary,
)
from maps.offline import make_offline
from maps.places import place_labels_layer
from maps.privacy import MIN_COUNT, check_min_count, count_text

ZONE_TOLERANCE = 0.0003  # degrees (~30 m): display simplification of zone polygons
ZONE_PRECISION = 1e-4  # degrees (~10 m)


# ----------------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------------


def _zones_wgs84(zones) -> gpd.GeoDataFrame:
    zones = zones.copy()
    if zones.crs is None:
        zones = zones.set_crs(WGS84)
    elif zones.crs.to_epsg() != 4326:
        zones = zones.to_crs(WGS84)
    zones["zone_id"] = zones["zone_id"].astype(str)
    if "name" not in zones.columns:
        zones["name"] = zones["zone_id"]
    zones["name"] = zones["name"].astype(object).where(zones["name"].notna(), zones["zone_id"]).astype(str)
    keep = [g is not None and not g.is_empty for g in zones.geometry]
    return zones[keep].reset_index(drop=True)


def _providers(providers: pd.DataFrame) -> pd.DataFrame:
    p = providers.copy()
    p["provider_id"] = p["provider_id"].astype(str)
    p["name"] = p["name"].astype(object).where(p["name"].notna(), p["provider_id"]).astype(str)
    for column in ("base_lon", "base_lat"):
        p[column] = pd.to_numeric(p[column], errors="coerce")
    return p.reset_index(drop=True)


def _hubs(hubs: pd.DataFrame | None, providers: pd.DataFrame) -> pd.DataFrame:
    """Hubs of the scenario; providers without one get a default hub at their base."""
    if hubs is None or len(hubs) == 0:
        hubs = pd.DataFrame(columns=["hub_id", "provider_id", "lon", "lat", "carers"])
    h = hubs.copy()
    h["provider_id"] = h["provider_id"].astype(str)
    h["hub_id"] = h["hub_id"].astype(str)
    for column in ("lon", "lat", "carers"):
        if column not in h.columns:
            h[column] = np.nan
        h[column] = pd.to_numeric(h[column], errors="coerce")
    missing = providers[~providers["provider_id"].isin(set(h["provider_id"]))]
    if len(missing):
        defaults = pd.DataFrame(
            {
                "hub_id": missing["provider_id"] + "-base",
                "provider_id": missing["provider_id"],
                "lon": missing["base_lon"],
                "lat": missing["base_lat"],
                "carers": np.nan,
            }
        )
        h = pd.concat([h[defaults.columns], defaults], ignore_index=True) if len(h) else defaults
    return h[h["lon"].notna() & h["lat"].notna()].reset_index(drop=True)


def _bounds(zones: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in zones.total_bounds)
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))):
        raise MapError("the zones have no geometry to draw a map of")
    return minx, miny, maxx, maxy


def _provider_table(provider_hours: dict[str, float], names: dict[str, str]) -> str:
    if not provider_hours:
        return ""
    rows = "".join(
        f"<tr><td>{esc(names.get(pid, pid))} ({esc(pid)})</td>"
        f"<td style='text-align:right'>{fmt(hours)} h</td></tr>"
        for pid, hours in provider_hours.items()
    )
    return f"<table style='margin-top:3px'>{rows}</table>"


def _zone_frame(zones: gpd.GeoDataFrame, summary: pd.DataFrame, names: dict[str, str]) -> gpd.GeoDataFrame:
    """Zones joined to their summary, with the pre-escaped ``tooltip`` HTML."""
    frame = zones[["zone_id", "name", "geometry"]].merge(summary, on="zone_id", how="left")
    tooltips = []
    for row in frame.itertuples(index=False):
        lead = (
            f"Lead provider: {esc(row.lead_name)} ({fmt(100 * row.lead_share, 0)}% of hours)<br>"
            if row.lead_provider
            else ""
        )
        tooltips.append(
            f"<b>{esc(row.name)}</b> <span style='color:#666'>({esc(row.zone_id)})</span><br>"
            f"Clients: {row.clients} ({row.clients_unmet} without a provider)<br>"
            f"Care assigned: {fmt(row.care_hours)} hours per week<br>"
            f"Unmet care: {fmt(row.unmet_hours)} hours per week<br>"
            f"Travel: {fmt(row.travel_minutes_per_visit)} minutes per visit<br>"
            f"Providers serving the zone: {row.providers}<br>{lead}"
            f"{_provider_table(row.provider_hours, names)}"
        )
    frame["tooltip"] = tooltips
    frame["provider_ids"] = [";".join(h) for h in frame["provider_hours"]]
    return frame.drop(columns=["provider_hours"])


_ZONE_COLUMNS = [
    "zone_id",
    "name",
    "clients",
    "clients_unmet",
    "care_hours",
    "unmet_hours",
    "providers",
    "provider_ids",
    "lead_provider",
    "travel_minutes_per_visit",
    "fill",
    "tooltip",
]


def _choropleth(frame: gpd.GeoDataFrame, colours, *, name: str, show: bool) -> folium.GeoJson:
    frame = frame.copy()
    frame["fill"] = list(colours)
    data = feature_collection(
        frame,
        html_columns=("tooltip",),
        columns=_ZONE_COLUMNS,
        tolerance=ZONE_TOLERANCE,
        precision=ZONE_PRECISION,
    )
    layer = geojson_layer(data, name=name, style=zone_style("fill"), highlight=True)
    layer.show = show
    return layer


def _add_with_legend(m, layer, legend: str) -> None:
    layer.add_to(m)
    MapControl(legend, position="bottomright", layer=layer).add_to(m)


def _ferry_layer(ferries) -> folium.GeoJson | None:
    if ferries is None or len(ferries) == 0:
        return None
    f = ferries.copy()
    if f.crs is not None and f.crs.to_epsg() != 4326:
        f = f.to_crs(WGS84)
    if "name" not in f.columns:
        f["name"] = ""
    tips = []
    for row in f.itertuples(index=False):
        extra = ""
        if hasattr(row, "crossing_minutes"):
            extra = f"<br>Crossing: {counted(float(row.crossing_minutes), 'minute')}"
        if hasattr(row, "first_sailing") and hasattr(row, "last_sailing"):
            extra += f"<br>Sailings {esc(row.first_sailing)}–{esc(row.last_sailing)}"
        tips.append(f"<b>Ferry</b>: {esc(row.name)}{extra}")
    f["tooltip"] = tips
    data = feature_collection(f, html_columns=("tooltip",), columns=["name", "tooltip"], precision=1e-4)
    style = {"color": "#1f5fa8", "weight": 2, "dashArray": "6 4", "opacity": 0.9}
    return geojson_layer(data, name="Ferry routes", style=style)


def _bases_layer(providers: pd.DataFrame, colours: dict[str, str], name: str = "Provider bases"):
    group = folium.FeatureGroup(name=esc(name))
    for row in providers.itertuples(index=False):
        if not (math.isfinite(row.base_lon) and math.isfinite(row.base_lat)):
            continue
        tip = f"<b>{esc(row.name)}</b> ({esc(row.provider_id)})<br>Office base"
        folium.CircleMarker(
            [round(row.base_lat, 5), round(row.base_lon, 5)],
            radius=7,
            weight=2,
            color="#222222",
            fill=True,
            fill_color=colours.get(row.provider_id, "#333333"),
            fill_opacity=1.0,
            tooltip=folium.Tooltip(tip),
        ).add_to(group)
    return group


def _hubs_layer(hubs: pd.DataFrame, names: dict[str, str], colours: dict[str, str], name: str = "Staff hubs"):
    group = folium.FeatureGroup(name=esc(name))
    for row in hubs.itertuples(index=False):
        carers = "" if not math.isfinite(row.carers) else f"<br>Carers living nearby: {int(row.carers)}"
        radius = 4 + (2 * math.sqrt(row.carers) if math.isfinite(row.carers) else 0)
        tip = (
            f"<b>Staff hub {esc(row.hub_id)}</b><br>{esc(names.get(row.provider_id, row.provider_id))} "
            f"({esc(row.provider_id)}){carers}"
        )
        folium.CircleMarker(
            [round(row.lat, 5), round(row.lon, 5)],
            radius=min(radius, 14),
            weight=1,
            color="#333333",
            fill=True,
            fill_color=colours.get(row.provider_id, "#999999"),
            fill_opacity=0.6,
            tooltip=folium.Tooltip(tip),
        ).add_to(group)
    return group


HUB_USE_COLOURS = (("#1a9850", "under 80% of carers' hours used"), ("#fdae61", "80–100%"),
                   ("#d73027", "over 100%: more than the carers can cover"))


def _hub_use_colour(use_pct: float) -> str:
    if not math.isfinite(use_pct) or use_pct > 100.0 + 1e-6:
        return HUB_USE_COLOURS[2][0]
    return HUB_USE_COLOURS[1][0] if use_pct >= 80.0 else HUB_USE_COLOURS[0][0]


def _hub_load_tip(row) -> str:
    bands = [c[: -len("_hours_used")] for c in row.index if c.endswith("_hours_used") and c[0] != "s"]
    lines = [f"<b>Hub {esc(row['hub_id'])}</b> ({esc(row['owner'])}, {esc(row['zone'])})",
             f"Carers: {int(row['carers'])} ({int(row['drivers'])} drive)",
             f"Hours used: {fmt(row['staff_hours_used'])} of {fmt(row['staff_hours_available'])} a week "
             f"({percent(row['use_pct'], 0)})"]
    bands = [b for b in bands if b not in ("driver", "non_driver")]
    lines += [f"{esc(b)}: {fmt(row[f'{b}_hours_used'])} of {fmt(row[f'{b}_hours_available'])} h"
              for b in bands]
    for kind, words in (("recruit", "Recruited"), ("shortfall", "Still short")):
        d, n = int(row.get(f"{kind}_drivers", 0)), int(row.get(f"{kind}_non_drivers", 0))
        if d or n:
            cost = fmt(row.get(f"{kind}_cost_gbp_per_week", 0.0), 0)
            lines.append(f"{words}: {counted(d, 'driver')}, {counted(n, 'non-driver')} (£{cost} a week)")
    return "<br>".join(lines)


def hub_load_layer(loads: pd.DataFrame, name: str = "Hub load and recruitment") -> folium.FeatureGroup:
    """Each hub as a circle sized by carers and coloured by the share of its carers' hours used; the tooltip
    gives each band's hours and the carers recruited or still short there."""
    group = folium.FeatureGroup(name=esc(name), show=False)
    for _, row in loads.iterrows():
        use = float(row["use_pct"]) if str(row["use_pct"]) not in ("", "inf") else math.inf
        short = int(row.get("shortfall_drivers", 0)) + int(row.get("shortfall_non_drivers", 0))
        folium.CircleMarker(
            [round(float(row["lat"]), 5), round(float(row["lon"]), 5)],
            radius=min(5 + 2 * math.sqrt(max(float(row["carers"]), 0.0)), 16),
            weight=3 if short else 1,
            color="#000000" if short else "#333333",
            fill=True,
            fill_color=_hub_use_colour(use),
            fill_opacity=0.85,
            tooltip=folium.Tooltip(_hub_load_tip(row)),
        ).add_to(group)
    return group


def _markers_legend(providers: pd.DataFrame, colours: dict[str, str], ids=None) -> str:
    ids = list(providers["provider_id"]) if ids is None else list(ids)
    names = dict(zip(providers["provider_id"], providers["name"], strict=True))
    return legend_html(
        "Providers (colour of bases, hubs and lead zones)",
        [(colours[p], f"{names.get(p, p)} ({p})") for p in ids if p in colours],
        "Large dots: office bases; small dots: staff hubs, sized by carers.",
    )


def _base(zones, tiles, land):
    zones = _zones_wgs84(zones)
    bounds = _bounds(zones)
    m = new_map(bounds, tiles=tiles)
    _add_land(m, zones, bounds, land)
    return zones, bounds, m


def _land(zones: gpd.GeoDataFrame, bounds, land) -> folium.GeoJson | None:
    """The land background, faded out around the patches ``zones`` (WGS84); None without land."""
    return land_layer(land, bounds, focus=_outline(tuple(shapely.to_wkb(zones.geometry.values))))


def _add_land(m, zones: gpd.GeoDataFrame, bounds, land) -> None:
    background = _land(zones, bounds, land)
    if background is not None:
        background.add_to(m)


def prepare_background(zones: gpd.GeoDataFrame, land) -> None:
    """Prepare the land around ``zones`` and the patches' shapes once, ahead of the maps (both are cached
    per process): a process that forks workers to draw maps does it once, before forking, instead of in
    every worker (the land: 0.5 s of a 40-client run's first map)."""
    zones = _zones_wgs84(zones)
    _land(zones, _bounds(zones), land)
    feature_collection(zones, columns=[], tolerance=ZONE_TOLERANCE, precision=ZONE_PRECISION)


@lru_cache(maxsize=8)
def _outline(zone_wkbs: tuple[bytes, ...]):
    """All the patches (WKB) as one shape: the land background fades out around it."""
    return shapely.union_all(shapely.simplify(shapely.from_wkb(np.asarray(zone_wkbs, dtype=object)), 0.002))


# ----------------------------------------------------------------------------------------------------
# Coverage
# ----------------------------------------------------------------------------------------------------


def coverage_map(
    zones,
    allocation,
    providers,
    hubs=None,
    *,
    places=None,
    ferries=None,
    land=None,
    hub_loads: pd.DataFrame | None = None,
    title: str = "Coverage",
    subtitle: str | None = None,
    tiles: str | None = None,
) -> folium.Map:
    """Zones by number of providers (fragmentation), by lead provider and by unmet hours; bases, hubs; with
    ``hub_loads`` (:meth:`commissioning.results.read.RunOutput.hub_loads`) a layer of each hub's load and
    the carers recruited or still short there."""
    providers = _providers(providers)
    hubs = _hubs(hubs, providers)
    zones, _, m = _base(zones, tiles, land)
    allocation = normalise_allocation(allocation)
    names = dict(zip(providers["provider_id"], providers["name"], strict=True))
    colours = provider_colours(providers)
    frame = _zone_frame(zones, zone_summary(zones, allocation, providers), names)

    fragmentation = [
        FRAGMENTATION.colour(v) if c else FRAGMENTATION.colour(None)
        for v, c in zip(frame["providers"], frame["clients"], strict=True)
    ]
    _add_with_legend(
        m,
        _choropleth(frame, fragmentation, name="Providers per zone (fragmentation)", show=True),
        scale_legend(FRAGMENTATION, "Light grey: no clients in the zone."),
    )
    leads = [colours.get(p, "#e0e0e0") if p else "#e0e0e0" for p in frame["lead_provider"]]
    lead_ids = [p for p in providers["provider_id"] if p in set(frame["lead_provider"])]
    _add_with_legend(
        m,
        _choropleth(frame, leads, name="Lead provider per zone", show=False),
        legend_html(
            "Lead provider (most care hours in the zone)",
            [(colours[p], f"{names[p]} ({p})") for p in lead_ids] + [("#e0e0e0", "no provider")],
        ),
    )
    unmet = [
        UNMET.colour(v) if c else UNMET.colour(None)
        for v, c in zip(frame["unmet_hours"], frame["clients"], strict=True)
    ]
    _add_with_legend(
        m,
        _choropleth(frame, unmet, name="Unmet care per zone (hours per week)", show=False),
        scale_legend(UNMET),
    )
    ferry = _ferry_layer(ferries)
    if ferry is not None:
        ferry.add_to(m)
    _add_with_legend(m, _hubs_layer(hubs, names, colours), _markers_legend(providers, colours))
    if hub_loads is not None and len(hub_loads):
        _add_with_legend(m, hub_load_layer(hub_loads), legend_html(
            "Hub load (carers' hours used)", list(HUB_USE_COLOURS),
            "Circles sized by carers; a thick black ring: the hub is short of carers (see the tooltip)."))
    _bases_layer(providers, colours).add_to(m)
    place_labels_layer(zones, places).add_to(m)
    finish_map(m, title=title, subtitle=subtitle)
    return m


# ----------------------------------------------------------------------------------------------------
# Travel
# ----------------------------------------------------------------------------------------------------


def hub_zone_flows(zones, allocation, providers, hubs) -> pd.DataFrame:
    """Care hours per week from each hub to each zone: a provider's hours in a zone are drawn from its
    hub nearest to the zone (by straight line to a point inside the zone)."""
    points = representative_points(zones)
    a = allocation[allocation["assigned"]]
    hours = a.groupby(["provider_id", "zone"], sort=True)["care_hours"].sum().reset_index()
    rows = []
    for row in hours.itertuples(index=False):
        own = hubs[hubs["provider_id"] == row.provider_id]
        if own.empty or row.zone not in points or row.care_hours <= 0:
            continue
        lon, lat = points[row.zone]
        km = haversine_km(own["lon"], own["lat"], lon, lat)
        hub = own.iloc[int(np.argmin(km))]
        rows.append(
            {
                "hub_id": hub["hub_id"],
                "provider_id": row.provider_id,
                "zone_id": row.zone,
                "hours": float(row.care_hours),
                "km": float(np.min(km)),
                "hub_lon": float(hub["lon"]),
                "hub_lat": float(hub["lat"]),
                "zone_lon": lon,
                "zone_lat": lat,
            }
        )
    columns = [
        "hub_id",
        "provider_id",
        "zone_id",
        "hours",
        "km",
        "hub_lon",
        "hub_lat",
        "zone_lon",
        "zone_lat",
    ]
    return pd.DataFrame(rows, columns=columns)


def travel_map(
    zones,
    allocation,
    providers,
    hubs=None,
    *,
    clients=None,
    places=None,
    ferries=None,
    land=None,
    title: str = "Travel",
    subtitle: str | None = None,
    grid_km: float = 5.0,
    tiles: str | None = None,
) -> folium.Map:
    """Travel minutes per visit by zone (and by ``grid_km`` squares if ``clients`` gives coordinates),
    and hub-to-zone flows sized by care hours."""
    providers = _providers(providers)
    hubs = _hubs(hubs, providers)
    zones, _, m = _base(zones, tiles, land)
    allocation = normalise_allocation(allocation)
    names = dict(zip(providers["provider_id"], providers["name"], strict=True))
    zone_names = dict(zip(zones["zone_id"], zones["name"], strict=True))
    colours = provider_colours(providers)
    frame = _zone_frame(zones, zone_summary(zones, allocation, providers), names)
    frame["tooltip"] = [
        f"<b>{esc(row.name)}</b> <span style='color:#666'>({esc(row.zone_id)})</span><br>"
        f"Travel: <b>{fmt(row.travel_minutes_per_visit)} minutes per visit</b><br>"
        f"Visits: {fmt(row.visits_per_week, 0)} per week<br>"
        f"Carers' travel: {fmt(row.travel_hours_per_week)} hours per week<br>"
        f"Providers serving the zone: {row.providers}"
        for row in frame.itertuples(index=False)
    ]
    travel = [TRAVEL.colour(v) for v in frame["travel_minutes_per_visit"]]
    _add_with_legend(
        m,
        _choropleth(frame, travel, name="Travel per visit by zone (minutes)", show=True),
        scale_legend(TRAVEL, "Mean over visits, weighted by visits per week."),
    )

    if clients is not None and len(clients):
        grid = _travel_grid(allocation, clients, grid_km)
        if grid is not None:
            _add_with_legend(m, grid, scale_legend(TRAVEL, f"{grid_km:g} km squares; mean over visits."))

    flows = hub_zone_flows(zones, allocation, providers, hubs)
    if len(flows):
        top = float(flows["hours"].max())
        lines = gpd.GeoDataFrame(
            flows[["provider_id", "zone_id", "hub_id", "hours"]].copy(),
            geometry=shapely.linestrings(
                np.stack(
                    [flows[["hub_lon", "hub_lat"]].to_numpy(), flows[["zone_lon", "zone_lat"]].to_numpy()],
                    axis=1,
                )
            ),
            crs=WGS84,
        )
        lines["weight"] = np.round(1 + 9 * np.sqrt(flows["hours"] / top) * 2) / 2
        lines["colour"] = [colours.get(p, "#555555") for p in flows["provider_id"]]
        lines["tooltip"] = [
            f"<b>{esc(names.get(r.provider_id, r.provider_id))}</b> ({esc(r.provider_id)})<br>"
            f"Hub {esc(r.hub_id)} → {esc(zone_names.get(r.zone_id, r.zone_id))}<br>"
            f"{fmt(r.hours)} care hours per week<br>{fmt(r.km)} km straight line"
            for r in flows.itertuples(index=False)
        ]
        data = feature_collection(lines, html_columns=("tooltip",), precision=1e-4)
        layer = geojson_layer(
            data,
            name="Hub-to-zone flows (care hours per week)",
            style=lambda f: {
                "color": f["properties"]["colour"],
                "weight": f["properties"]["weight"],
                "opacity": 0.7,
            },
        )
        shown = [p for p in providers["provider_id"] if p in set(flows["provider_id"])]
        key = legend_html(
            "Provider key (colour of lines, hubs and bases)",
            [(colours[p], f"{names[p]} ({p})") for p in shown],
        )
        _add_with_legend(
            m,
            layer,
            legend_html(
                "Hub-to-zone flows",
                [("#555555", "line width ∝ √ care hours per week")],
                f"Widest line: {fmt(top)} hours per week. Each provider's hours in a zone are drawn from "
                "its nearest staff hub; colour = provider (key below).",
            )
            + f"<div style='margin-top:6px'>{key}</div>",
        )
    ferry = _ferry_layer(ferries)
    if ferry is not None:
        ferry.add_to(m)
    _hubs_layer(hubs, names, colours).add_to(m)
    _bases_layer(providers, colours).add_to(m)
    place_labels_layer(zones, places).add_to(m)
    finish_map(m, title=title, subtitle=subtitle)
    return m


def _client_positions(allocation: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    c = clients[["client_id", "lon", "lat"]].copy()
    c["client_id"] = c["client_id"].astype(str)
    c["lon"] = pd.to_numeric(c["lon"], errors="coerce")
    c["lat"] = pd.to_numeric(c["lat"], errors="coerce")
    joined = allocation.merge(c, on="client_id", how="inner")
    return joined[joined["lon"].notna() & joined["lat"].notna()]


def _travel_grid(allocation, clients, grid_km):
    a = _client_positions(allocation[allocation["assigned"]], clients)
    ok = a["travel_minutes_per_visit"].notna() & (a["visits_per_week"].fillna(0) > 0)
    a = a[ok]
    if a.empty:
        return None
    cells = grid_cells(
        a["lon"],
        a["lat"],
        grid_km,
        {"visits": a["visits_per_week"], "minutes": a["travel_minutes_per_visit"] * a["visits_per_week"]},
    )
    cells["mean"] = cells["minutes"] / cells["visits"]
    cells["fill"] = [TRAVEL.colour(v) for v in cells["mean"]]
    cells["tooltip"] = [
        f"Travel: <b>{fmt(r.mean)} minutes per visit</b><br>"
        f"{counted(r.count, 'client')}, {counted(r.visits, 'visit')} per week"
        for r in cells.itertuples(index=False)
    ]
    data = feature_collection(
        cells[["fill", "tooltip", "geometry"]], html_columns=("tooltip",), precision=1e-4
    )
    layer = geojson_layer(
        data,
        name=f"Travel per visit, {grid_km:g} km squares (minutes)",
        style=zone_style("fill", opacity=0.85),
    )
    layer.show = False
    return layer


# ----------------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------------


def comparison_map(
    left_name: str,
    left_allocation,
    right_name: str,
    right_allocation,
    zones,
    providers,
    hubs=None,
    *,
    clients=None,
    places=None,
    ferries=None,
    land=None,
    title: str | None = None,
    tiles: str | None = None,
    grid_km: float = 2.0,
    min_count: int = MIN_COUNT,
) -> DualMap:
    """Two variants side by side, panning and zooming together, with the same layers, colour scales and
    legends on both sides (fixed bins, so equal values always get equal colours), plus what changes: the
    patches that change hands (lead provider or provider set), the clients whose provider differs (per
    ``grid_km`` square if ``clients`` gives homes; squares under ``min_count`` clients not drawn) and
    place labels (patch names and ``places``: ``name, lon, lat``)."""
    min_count = check_min_count(min_count)
    providers = _providers(providers)
    zones = _zones_wgs84(zones)
    minx, miny, maxx, maxy = _bounds(zones)
    names = dict(zip(providers["provider_id"], providers["name"], strict=True))
    left_a, right_a = normalise_allocation(left_allocation), normalise_allocation(right_allocation)
    moved = moved_clients(left_a, right_a, clients)
    changes = patch_changes(zones["zone_id"], left_a, right_a)
    common = {
        "zones": zones, "providers": providers, "names": names, "places": places, "ferries": ferries,
        "land": land, "bounds": (minx, miny, maxx, maxy), "min_count": min_count,
        "moved_per_zone": moved_per_zone(moved), "pair": (left_name, right_name),
        "changes": lambda: changed_patches_layer(zones, changes, names, left_name, right_name,
                                                 ZONE_TOLERANCE, ZONE_PRECISION),
        "moved": lambda: moved_grid_layer(moved, grid_km, min_count, left_name, right_name)
        if clients is not None else (None, ""),
    }  # layers are built once per side: a folium element belongs to one map
    dual = DualMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=8, tiles=tiles, control_scale=True
    )
    dual.fit_bounds([[miny, minx], [maxy, maxx]])
    dual.default_js = []  # Leaflet.Sync is inlined with Leaflet (maps/assets), not fetched from GitHub
    for side, name, allocation in ((dual.m1, left_name, left_a), (dual.m2, right_name, right_a)):
        _comparison_side(side, name, allocation, title=title, **common)
    return dual


def _comparison_choropleths(side, frame) -> None:
    fragmentation = [
        FRAGMENTATION.colour(v) if c else FRAGMENTATION.colour(None)
        for v, c in zip(frame["providers"], frame["clients"], strict=True)
    ]
    _add_with_legend(
        side,
        _choropleth(frame, fragmentation, name="Providers per zone (fragmentation)", show=True),
        scale_legend(FRAGMENTATION),
    )
    unmet = [
        UNMET.colour(v) if c else UNMET.colour(None)
        for v, c in zip(frame["unmet_hours"], frame["clients"], strict=True)
    ]
    _add_with_legend(
        side,
        _choropleth(frame, unmet, name="Unmet care per zone (hours per week)", show=False),
        scale_legend(UNMET),
    )
    travel = [TRAVEL.colour(v) for v in frame["travel_minutes_per_visit"]]
    _add_with_legend(
        side,
        _choropleth(frame, travel, name="Travel per visit by zone (minutes)", show=False),
        scale_legend(TRAVEL),
    )


def _comparison_side(side, name, allocation, *, zones, providers, names, places, ferries, land, bounds,
                     min_count, moved_per_zone, pair, changes, moved, title) -> None:
    make_offline(side, sync=True)
    _add_land(side, zones, bounds, land)
    frame = _zone_frame(zones, zone_summary(zones, allocation, providers), names)
    differs = f"Clients whose provider differs ({esc(pair[0])} → {esc(pair[1])})"
    frame["tooltip"] = [
        f"<div style='color:#444'><b>{esc(name)}</b></div>{t}{differs}: "
        f"{count_text(moved_per_zone.get(z, 0), min_count)}"
        for z, t in zip(frame["zone_id"], frame["tooltip"], strict=True)
    ]
    _comparison_choropleths(side, frame)
    for build in (changes, moved):
        layer, legend = build()
        if layer is not None:
            _add_with_legend(side, layer, legend)
    ferry = _ferry_layer(ferries)
    if ferry is not None:
        ferry.add_to(side)
    _bases_layer(providers, provider_colours(providers)).add_to(side)
    place_labels_layer(zones, places).add_to(side)
    heading = f"{title}: {name}" if title else name
    MapControl(title_html(heading), position="bottomleft", attribution=LAND_ATTRIBUTION).add_to(side)
    # Collapsed to its icon (it opens under the pointer): expanded, the two panes' layer lists covered their
    # top thirds at 1,280 px.
    folium.LayerControl(collapsed=True, position="topright").add_to(side)
    LegendsBelowLayers().add_to(side)
