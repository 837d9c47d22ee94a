"""Building blocks of the maps: escaping, GeoJSON preparation, colour scales, legends, aggregation.

Everything here is pure: data frames and geometries in, folium elements or data frames out.

Escaping rule: every string that ends up in the page goes through :func:`esc` exactly once, at the
point where it is placed into HTML (tooltips, legends, layer names, titles). ``esc`` also neutralises
the characters that are special inside a JavaScript template literal (folium writes marker tooltips
into backtick strings), so a name can never close a ``<script>`` block, start a ``${...}``
substitution or run as markup.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from maps.offline import make_offline

WGS84 = "EPSG:4326"
SEA_COLOUR = "#dbe9f4"
LAND_STYLE = {"fillColor": "#f4f1e8", "color": "#c8c2b0", "weight": 0.5, "fillOpacity": 1.0}
NO_DATA = "#e0e0e0"
LAND_ATTRIBUTION = "Coastline &copy; OpenStreetMap contributors (ODbL)"



def esc(value: object) -> str:
    """``value`` as text that is safe inside HTML, inside a JavaScript template literal, and inside a Jinja
    template: folium (branca) compiles each rendered piece of a map as a template a second time, so braces
    from a user's file would run as code while the map is drawn (a provider named
    ``{{ cycler.__init__.__globals__.os.getpid() }}`` showed the server's process id). Braces become
    ``&#123;`` and ``&#125;``, which the browser shows as braces."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    text = html.escape(text, quote=True).replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")
    return text.replace("{", "&#123;").replace("}", "&#125;")


def fmt(value: float, decimals: int = 1) -> str:
    """``value`` rounded half up from its shortest decimal form, as the report, the web app and a spreadsheet
    round it (Python's format rounds half to even from the binary value: 311.25 read 311.2 in a tooltip
    beside the report's 311.3), with the report's typographic minus (−2.3, not -2.3); no sign where it
    rounds to zero."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    rounded = _half_up(value, decimals)
    return f"{'−' if rounded < 0 else ''}{abs(rounded):,.{decimals}f}"


def signed(value: float, decimals: int = 1) -> str:
    """A change as the report writes it: "+" for a rise, "−" for a fall, no sign where it rounds to zero."""
    text = fmt(value, decimals)
    return f"+{text}" if text != "–" and _half_up(value, decimals) > 0 else text


def percent(value: float, decimals: int = 1, *, sign: bool = False) -> str:
    """A percentage as the report writes it: no space before the "%" (42.1%, +42.1% with ``sign``)."""
    text = signed(value, decimals) if sign else fmt(value, decimals)
    return text if text == "–" else f"{text}%"


def counted(value: float, noun: str, plural: str | None = None) -> str:
    """A count with its noun agreeing: "1 client", "2 clients", "0 clients" (``value`` shown whole)."""
    text = fmt(value, 0)
    return f"{text} {noun if text == '1' else plural or noun + 's'}"


def _half_up(value: float, decimals: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


# ----------------------------------------------------------------------------------------------------
# Colour scales (fixed bins, so that two maps of the same measure always share their scale)
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BinnedScale:
    """A step colour scale: ``edges[i] <= value < edges[i + 1]`` gets ``colours[i]``."""

    title: str  # with the unit, e.g. "Travel per visit (minutes)"
    edges: tuple[float, ...]  # len(colours) + 1, last may be inf
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    missing_label: str = "no clients"

    def colour(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NO_DATA
        for i, colour in enumerate(self.colours):
            if value < self.edges[i + 1]:
                return colour
        return self.colours[-1]

    def legend_items(self) -> list[tuple[str, str]]:
        return [*zip(self.colours, self.labels, strict=True), (NO_DATA, self.missing_label)]


FRAGMENTATION = BinnedScale(
    "Providers serving the zone (count)",
    (0, 1, 2, 3, 4, 6, 9, math.inf),
    ("#bdbdbd", "#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"),
    ("0 (unserved)", "1", "2", "3", "4–5", "6–8", "9 or more"),
)
TRAVEL = BinnedScale(
    "Travel per visit (minutes)",
    (0, 5, 10, 15, 20, 30, 45, math.inf),
    ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"),
    ("under 5", "5–10", "10–15", "15–20", "20–30", "30–45", "45 or more"),
    missing_label="no assigned visits",
)
UNMET = BinnedScale(
    "Unmet care (hours per week)",
    (0, 1e-9, 5, 20, 50, math.inf),
    ("#f7fcf5", "#fcbba1", "#fb6a4a", "#de2d26", "#a50f15"),
    ("none", "under 5", "5–20", "20–50", "50 or more"),
)
PROVIDER_HOURS = BinnedScale(
    "Your care hours in the zone (hours per week)",
    (0, 1e-9, 10, 25, 50, 100, 200, math.inf),
    ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"),
    ("none", "under 10", "10–25", "25–50", "50–100", "100–200", "200 or more"),
    missing_label="no clients of yours",
)
GRID_CLIENTS = BinnedScale(  # squares of fewer than 3 clients are never drawn (maps.privacy)
    "Your clients per square (count)",
    (3, 4, 8, 16, math.inf),
    ("#f768a1", "#dd3497", "#ae017e", "#7a0177"),
    ("3", "4–7", "8–15", "16 or more"),
)

# 20 distinguishable colours (Tableau 20); providers keep theirs across maps by their table order.
CATEGORICAL = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#c7c7c7",
    "#dbdb8d",
    "#9edae5",
)


def provider_colours(providers: pd.DataFrame) -> dict[str, str]:
    ids = list(providers["provider_id"].astype(str))
    return {pid: CATEGORICAL[i % len(CATEGORICAL)] for i, pid in enumerate(ids)}


# ----------------------------------------------------------------------------------------------------
# GeoJSON preparation (geopandas ``explore`` style)
# ----------------------------------------------------------------------------------------------------


def _json_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else round(float(value), 3)
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def feature_collection(
    gdf,
    *,
    html_columns: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    tolerance: float = 0.0,
    precision: float = 1e-5,
) -> dict:
    """A GeoJSON FeatureCollection (dict) ready to embed: WGS84, no empty geometries, JSON-safe values.

    Every string property is escaped with :func:`esc`, except ``html_columns``, which the caller has
    built from escaped pieces already. ``tolerance`` simplifies (degrees), ``precision`` snaps
    coordinates to a grid (1e-5 degrees is about a metre) to keep the page light.
    """
    if gdf.crs is not None and str(gdf.crs) != WGS84 and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(WGS84)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    keep = np.array([g is not None and not shapely.is_empty(g) for g in geoms], dtype=bool)
    gdf = gdf[keep]
    names = [c for c in (columns if columns is not None else gdf.columns) if c != gdf.geometry.name]
    features = []
    records = gdf[names].to_dict("records") if names else [{}] * len(gdf)
    for wkb, record in zip(shapely.to_wkb(geoms[keep]), records, strict=True):
        geometry = display_geometry(wkb, tolerance, precision)
        if geometry is None:
            continue
        props = {}
        for key, value in record.items():
            value = _json_value(value)
            if isinstance(value, str) and key not in html_columns:
                value = esc(value)
            props[str(key)] = value
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=4096)
def display_geometry(wkb: bytes, tolerance: float, precision: float) -> dict | None:
    """A geometry (WKB) simplified by ``tolerance`` and snapped to ``precision`` as a GeoJSON dict (None when
    that leaves it empty). Cached: the patches are the same shapes on every map of a run and in several layers
    of each (on a 30-client run, preparing them again was a fifth of drawing its eight maps). Callers share
    the dict: folium reads geometries and never changes them."""
    geom = shapely.from_wkb(wkb)
    if tolerance:
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
    if precision:
        geom = shapely.set_precision(geom, precision)
    return None if geom is None or shapely.is_empty(geom) else json.loads(shapely.to_geojson(geom))


def geojson_layer(
    data: dict,
    *,
    name: str,
    style: Callable[[dict], dict] | dict,
    tooltip_field: str | None = "tooltip",
    popup_field: str | None = None,
    highlight: bool = False,
) -> folium.GeoJson:
    """A folium GeoJson whose tooltip (and popup) is one pre-escaped HTML property."""
    style_function = style if callable(style) else (lambda _feature, _s=style: _s)
    kwargs = {}
    if tooltip_field and data["features"]:
        kwargs["tooltip"] = folium.GeoJsonTooltip(fields=[tooltip_field], labels=False, sticky=True)
    if popup_field and data["features"]:
        kwargs["popup"] = folium.GeoJsonPopup(fields=[popup_field], labels=False, max_width=420)
    if highlight:
        kwargs["highlight_function"] = lambda _f: {"weight": 3, "color": "#333333"}
    return folium.GeoJson(data, name=esc(name), style_function=style_function, **kwargs)


def zone_style(colour_property: str = "fill", opacity: float = 0.75) -> Callable[[dict], dict]:
    def style(feature: dict) -> dict:
        return {
            "fillColor": feature["properties"].get(colour_property) or NO_DATA,
            "color": "#555555",
            "weight": 0.8,
            "fillOpacity": opacity,
        }

    return style


# ----------------------------------------------------------------------------------------------------
# Background land
# ----------------------------------------------------------------------------------------------------


FADE_STEPS = 4


@lru_cache(maxsize=8)
def _land_geojson(land_wkb: bytes, focus_wkb: bytes | None, tolerance: float, near: float,
                  fade: float) -> str:
    """The land as a GeoJSON FeatureCollection with no clipping frame: the land within ``near`` degrees
    of ``focus`` (the patches) drawn solid with its coastline, then bands out to ``near + fade`` degrees
    drawn ever more transparent, and nothing beyond: the land fades out around the region instead of
    ending in the straight edges of a bounding box. Without ``focus``, the land is drawn solid and only
    its coastline is outlined (no stroke along the edges where the data was cut)."""
    land = shapely.from_wkb(land_wkb)
    minx, miny, maxx, maxy = land.bounds
    land = shapely.simplify(land, tolerance, preserve_topology=True)
    parts = [
        g for g in getattr(land, "geoms", [land]) if g.geom_type == "Polygon" and g.area >= 2 * tolerance**2
    ]
    land = shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()
    cut = shapely.box(minx, miny, maxx, maxy).exterior.buffer(tolerance)
    bands = [(land, 1.0)]
    if focus_wkb is not None:
        focus = shapely.simplify(shapely.from_wkb(focus_wkb), tolerance)
        # The wider rings grow the first (a buffer of a buffer is the buffer by the sum): growing the
        # patches' detailed outline itself by each distance took 2.0 s of the demo's first map, this 0.1 s.
        first = focus.buffer(near, 4)
        rings = [first] + [first.buffer(fade * i / FADE_STEPS, 4) for i in range(1, FADE_STEPS + 1)]
        bands = [(land.intersection(rings[0]), 1.0)] + [
            (land.intersection(outer.difference(inner)), round(1.0 - (i + 1) / (FADE_STEPS + 1), 2))
            for i, (inner, outer) in enumerate(zip(rings, rings[1:], strict=False))
        ]
        cut = cut.union(rings[0].exterior.buffer(tolerance) if rings[0].geom_type == "Polygon"
                        else rings[0].boundary.buffer(tolerance))
    fill = dict(LAND_STYLE, stroke=False)
    features = [
        {"type": "Feature", "properties": {"style": dict(fill, fillOpacity=opacity)},
         "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-4)))}
        for geom, opacity in bands if not geom.is_empty
    ]
    coast = shapely.set_precision(bands[0][0].boundary.difference(cut), 1e-4)
    line = {"color": LAND_STYLE["color"], "weight": LAND_STYLE["weight"], "fill": False}
    features.append({"type": "Feature", "properties": {"style": line},
                     "geometry": json.loads(shapely.to_geojson(coast))})
    return json.dumps({"type": "FeatureCollection", "features": features})


def land_layer(land, bounds=None, *, focus=None, tolerance: float = 0.002, near: float = 0.03,
               fade: float = 0.09):
    """The land polygons (simplified) as the map's background, without a clipping frame: with ``focus``
    (the patches' outline, WGS84) the land fades out from ``near`` to ``near + fade`` degrees around it;
    ``bounds`` (minx, miny, maxx, maxy) only cuts away land far off the map (2 degrees beyond)."""
    if land is None or shapely.is_empty(land):
        return None
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        land = shapely.clip_by_rect(land, minx - 2.0, miny - 2.0, maxx + 2.0, maxy + 2.0)
        if shapely.is_empty(land):
            return None
    focus_wkb = None if focus is None or shapely.is_empty(focus) else shapely.to_wkb(focus)
    data = json.loads(_land_geojson(shapely.to_wkb(land), focus_wkb, tolerance, near, fade))
    return folium.GeoJson(
        data,
        name=esc("Land"),
        style_function=lambda f: f["properties"]["style"],
        control=False,
        interactive=False,
    )


# ----------------------------------------------------------------------------------------------------
# Page elements: legend, title, background colour
# ----------------------------------------------------------------------------------------------------


class MapControl(MacroElement):
    """A Leaflet control holding pre-escaped HTML; shown only while ``layer`` is on the map (if given)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .cc-box { background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 4px;
                    box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 sans-serif; max-width: 300px; }
          .cc-box h4 { margin: 0 0 4px; font-size: 13px; font-weight: bold; }
          .cc-box .cc-row { display: flex; align-items: center; gap: 6px; }
          .cc-box .cc-sw { width: 16px; height: 12px; border: 1px solid #777; flex: none; }
          .cc-legend-scroll { max-height: 260px; overflow-y: auto; }
          .cc-box summary { cursor: pointer; }
          .cc-box summary h4 { display: inline; }
          .cc-box details:not([open]) h4 { margin: 0; }
          .leaflet-container { background: {{ this.sea }}; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function() {
                var div = L.DomUtil.create('div', 'cc-box {{ this.css_class }}');
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableScrollPropagation(div);
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            {% if this.layer %}
            var layer = {{ this.layer.get_name() }};
            if (map.hasLayer(layer)) { control.addTo(map); }
            map.on('overlayadd', function(e) { if (e.layer === layer) { control.addTo(map); } });
            map.on('overlayremove', function(e) { if (e.layer === layer) { control.remove(); } });
            {% else %}
            control.addTo(map);
            {% endif %}
            {% if this.attribution %}
            if (map.attributionControl) {
                map.attributionControl.addAttribution({{ this.attribution|tojson }});
            }
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        html_text: str,
        *,
        position: str = "bottomright",
        layer=None,
        css_class: str = "",
        attribution: str | None = None,
    ):
        super().__init__()
        self._name = "MapControl"
        self.html = html_text
        self.position = position
        self.layer = layer
        self.css_class = css_class
        self.attribution = attribution
        self.sea = SEA_COLOUR


def legend_html(title: str, items: Sequence[tuple[str, str]], note: str | None = None) -> str:
    """Legend markup from raw strings (escaped here): ``items`` are (colour, label) pairs."""
    rows = "".join(
        f'<div class="cc-row"><span class="cc-sw" style="background:{esc(colour)}"></span>{esc(label)}</div>'
        for colour, label in items
    )
    note_html = f'<div style="margin-top:4px;color:#555">{esc(note)}</div>' if note else ""
    scroll = ' class="cc-legend-scroll"' if len(items) > 10 else ""
    # A <details>: its title opens and closes it; narrow maps start with it closed (LegendsBelowLayers).
    return (f'<details class="cc-legend" open><summary><h4>{esc(title)}</h4></summary>'
            f"<div{scroll}>{rows}</div>{note_html}</details>")


def scale_legend(scale: BinnedScale, note: str | None = None) -> str:
    return legend_html(scale.title, scale.legend_items(), note)


def title_html(title: str, subtitle: str | None = None) -> str:
    sub = f'<div style="color:#555">{esc(subtitle)}</div>' if subtitle else ""
    return f'<h4 class="cc-title">{esc(title)}</h4>{sub}'


def new_map(bounds, *, tiles: str | None = None, **kwargs) -> folium.Map:
    """A folium Map without tiles by default, fitted to ``bounds`` (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        tiles=tiles,
        control_scale=True,
        **kwargs,
    )
    strip_unused_resources(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def strip_unused_resources(m: folium.Map, *, sync: bool = False) -> None:
    """No CDN links: the shipped Leaflet (and Leaflet.Sync if ``sync``) is inlined into the page."""
    make_offline(m, sync=sync)


# Maps narrower than this start with their legends closed to their titles (one click opens each): the
# comparison's two panes at 1,280 px (640 px each) were half covered by their legends.
NARROW_MAP_PX = 700


class LegendsBelowLayers(MacroElement):
    """The legends of the bottom-right corner share the room below the layer control, each scrolling in its
    share (the corner's attribution keeps its place): in a short map (a provider's map in the web app's
    frame, 540 px) three legends reached up over the layer control's labels. Sized again when the map
    resizes and when a layer (and its legend) comes or goes. In a map narrower than :data:`NARROW_MAP_PX`
    a legend starts closed to its title (the user's later clicks are left alone)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            function fit() {
                var box = map.getContainer();
                var layers = box.querySelector('.leaflet-top.leaflet-right .leaflet-control-layers');
                var corner = box.querySelector('.leaflet-bottom.leaflet-right');
                if (!layers || !corner) { return; }
                var legends = corner.querySelectorAll('.cc-box');
                if (!legends.length) { return; }
                var narrow = box.clientWidth < {{ this.narrow_px }};
                legends.forEach(function(legend) {
                    if (legend.dataset.ccSeen) { return; }
                    legend.dataset.ccSeen = '1';
                    var details = legend.querySelector('details.cc-legend');
                    if (details && narrow) { details.open = false; }
                });
                // the corner's other controls (the attribution, a licence's due) keep their room
                var others = 0;
                for (var i = 0; i < corner.children.length; i++) {
                    var c = corner.children[i];
                    if (!c.classList.contains('cc-box')) { others += c.offsetHeight + 10; }
                }
                var room = box.clientHeight - (layers.offsetTop + layers.offsetHeight) - 20 - others;
                var each = Math.max(room / legends.length - 10, 60);
                legends.forEach(function(legend) {
                    legend.style.boxSizing = 'border-box';  // the share holds its padding too
                    legend.style.maxHeight = each + 'px';
                    legend.style.overflowY = 'auto';
                });
            }
            map.on('resize overlayadd overlayremove', function() { setTimeout(fit, 0); });
            map.whenReady(function() { setTimeout(fit, 0); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "LegendsBelowLayers"
        self.narrow_px = NARROW_MAP_PX


def finish_map(m: folium.Map, *, title: str, subtitle: str | None = None) -> None:
    """Title box, land attribution and the layer control (always last: it lists the layers added)."""
    MapControl(title_html(title, subtitle), position="bottomleft", attribution=LAND_ATTRIBUTION).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    LegendsBelowLayers().add_to(m)


# ----------------------------------------------------------------------------------------------------
# Aggregation
# ----------------------------------------------------------------------------------------------------


def normalise_allocation(allocation: pd.DataFrame) -> pd.DataFrame:
    """Copy of an allocation table with typed columns (ids as text, "" for unmet, numbers as floats)."""
    a = allocation.copy()
    for column in ("client_id", "provider_id", "status", "zone", "moved", "reason", "funder"):
        if column in a.columns:
            a[column] = a[column].astype(object).where(a[column].notna(), "").astype(str).str.strip()
    for column in ("weekly_hours", "visits_per_week", "travel_minutes_per_visit", "carers_per_visit",
                   "care_hours_per_week", "travel_hours_per_week"):
        if column in a.columns:
            a[column] = pd.to_numeric(a[column], errors="coerce").astype(float)
    a["care_hours"] = care_hours(a)
    a["travel_hours"] = travel_hours(a)
    if "status" not in a.columns:
        a["status"] = np.where(a["provider_id"] != "", "assigned", "unmet")
    a["assigned"] = (a["status"].str.lower() == "assigned") & (a["provider_id"] != "")
    return a


def care_hours(a: pd.DataFrame) -> pd.Series:
    """Billable care hours per week of each row: ``care_hours_per_week`` where the table has it, else
    assessed ``weekly_hours`` × ``carers_per_visit`` (1 where missing): what "care hours" means in every
    output (commissioning/results/schema.py)."""
    derived = _numbers(a, "weekly_hours", np.nan) * _numbers(a, "carers_per_visit", 1.0).fillna(1.0)
    return _given_or(a, "care_hours_per_week", derived)


def travel_hours(a: pd.DataFrame) -> pd.Series:
    """Carers' travel hours per week of each row: ``travel_hours_per_week`` where the table has it, else
    ``carers_per_visit`` (1 where missing) × ``visits_per_week`` × ``travel_minutes_per_visit`` / 60: every
    carer's travel, one way per visit, as zones.csv and the workbook count it (a double-up visit is two
    carers' journeys; solver/data.py ``pair_arrays``). 0 where unknown."""
    carers = _numbers(a, "carers_per_visit", 1.0).fillna(1.0)
    minutes = _numbers(a, "visits_per_week", np.nan) * _numbers(a, "travel_minutes_per_visit", np.nan)
    return _given_or(a, "travel_hours_per_week", carers * minutes / 60.0)


def _numbers(a: pd.DataFrame, name: str, default: float) -> pd.Series:
    """Column ``name`` as floats (NaN where not a number), ``default`` throughout where the table lacks it."""
    values = a[name] if name in a.columns else pd.Series(default, index=a.index)
    return pd.to_numeric(values, errors="coerce").astype(float)


def _given_or(a: pd.DataFrame, name: str, derived: pd.Series) -> pd.Series:
    """The table's own figure in column ``name`` where it has one, else ``derived``; 0 where neither."""
    given = _numbers(a, name, np.nan)
    return given.where(given.notna(), derived).fillna(0.0)


def zone_summary(zones, allocation: pd.DataFrame, providers: pd.DataFrame) -> pd.DataFrame:
    """One row per zone of ``zones``: clients, hours, unmet hours, providers, lead provider, travel.

    ``allocation`` must have been through :func:`normalise_allocation`. Sums are grouped once for all zones
    (a loop of pandas selections per zone took 0.15 s a map on the embedded region's 25 patches).
    """
    a = allocation
    names = dict(zip(providers["provider_id"].astype(str), providers["name"].astype(str), strict=True))
    zone_ids = zones["zone_id"].astype(str).tolist()
    assigned = a[a["assigned"]]
    hours = assigned.groupby(["zone", "provider_id"], sort=True)["care_hours"].sum()
    visits = assigned["visits_per_week"].fillna(0.0)
    minutes = assigned["travel_minutes_per_visit"]
    ok = minutes.notna() & (visits > 0)
    per_zone = pd.DataFrame({"visits": visits.where(ok, 0.0), "travel": (minutes * visits).where(ok, 0.0),
                             "travel_hours": assigned["travel_hours"], "zone": assigned["zone"]})
    per_zone = per_zone.groupby("zone", sort=False).sum()
    unmet = ~a["assigned"]
    counts = pd.DataFrame({"clients": 1, "clients_unmet": unmet.astype(int),
                           "unmet_hours": a["care_hours"].where(unmet, 0.0), "zone": a["zone"]})
    counts = counts.groupby("zone", sort=False).sum()
    by_zone = {}
    for (zone, provider), h in hours.items():
        by_zone.setdefault(zone, []).append((provider, float(h)))
    rows = []
    for zone_id in zone_ids:
        own = sorted(by_zone.get(zone_id, []), key=lambda ph: -ph[1])  # stable: ids ascending among ties
        care = float(sum(h for _, h in own))
        total_visits = float(per_zone["visits"].get(zone_id, 0.0))
        travel_minutes = float(per_zone["travel"].get(zone_id, 0.0))
        rows.append({
            "zone_id": zone_id,
            "clients": int(counts["clients"].get(zone_id, 0)),
            "clients_unmet": int(counts["clients_unmet"].get(zone_id, 0)),
            "care_hours": care,
            "unmet_hours": float(counts["unmet_hours"].get(zone_id, 0.0)),
            "providers": len(own),
            "provider_hours": dict(own),
            "lead_provider": own[0][0] if own else "",
            "lead_share": own[0][1] / care if own and care > 0 else math.nan,
            "travel_minutes_per_visit": travel_minutes / total_visits if total_visits > 0 else math.nan,
            "visits_per_week": total_visits,
            "travel_hours_per_week": float(per_zone["travel_hours"].get(zone_id, 0.0)),
        })
    out = pd.DataFrame(rows)
    out["lead_name"] = [names.get(p, p) for p in out["lead_provider"]]
    return out


def representative_points(zones) -> dict[str, tuple[float, float]]:
    """(lon, lat) inside each zone (a point on the polygon, not the centroid, which may lie at sea)."""
    points = shapely.point_on_surface(np.asarray(zones.geometry.values, dtype=object))
    return {
        str(z): (float(p.x), float(p.y))
        for z, p in zip(zones["zone_id"], points, strict=True)
        if p is not None and not p.is_empty
    }


def metric_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """British National Grid inside Great Britain (its 1 km squares are the familiar ones), else UTM."""
    if (
        len(lon)
        and np.min(lon) >= -9.0
        and np.max(lon) <= 2.0
        and np.min(lat) >= 49.0
        and np.max(lat) <= 61.0
    ):
        return "EPSG:27700"
    lon_c, lat_c = float(np.mean(lon)) if len(lon) else 0.0, float(np.mean(lat)) if len(lat) else 0.0
    zone = int((lon_c + 180) // 6) + 1
    return f"EPSG:{32600 + zone if lat_c >= 0 else 32700 + zone}"


def grid_cells(lon, lat, cell_km: float, values: dict[str, np.ndarray] | None = None):
    """Points aggregated to ``cell_km`` squares: GeoDataFrame of squares with ``count`` and value sums.

    Square corners are multiples of ``cell_km`` in a metric grid, so no output coordinate is a
    point's own position.
    """
    import geopandas as gpd

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    crs = metric_crs(lon, lat)
    x, y = transformer(WGS84, crs).transform(lon, lat)
    size = cell_km * 1000.0
    frame = pd.DataFrame(
        {
            "i": np.floor(np.asarray(x) / size).astype(np.int64),
            "j": np.floor(np.asarray(y) / size).astype(np.int64),
        }
    )
    for key, column in (values or {}).items():
        frame[key] = np.asarray(column, dtype=float)
    grouped = frame.groupby(["i", "j"], sort=True)
    summary = grouped.size().rename("count").to_frame()
    if values:
        summary = summary.join(grouped[list(values)].sum())
    summary = summary.reset_index()
    boxes = shapely.box(
        summary["i"] * size, summary["j"] * size, (summary["i"] + 1) * size, (summary["j"] + 1) * size
    )
    back = transformer(crs, WGS84)
    boxes = shapely.transform(boxes, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
    return gpd.GeoDataFrame(summary.drop(columns=["i", "j"]), geometry=boxes, crs=WGS84)


@lru_cache(maxsize=16)
def transformer(source: str, target: str):
    """A pyproj transformer (lon/lat order), made once per process: making one took 60 ms, about a tenth of
    drawing a small run's map."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)
