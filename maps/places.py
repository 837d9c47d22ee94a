"""Place labels: patch names at a point inside each patch, and town names, as a layer that can be hidden.

Labels are Leaflet tooltips that stay open (no marker image, nothing fetched). Every name is escaped.
"""

from __future__ import annotations

import math

import folium
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from maps.layers import esc, representative_points


class _Labels(MacroElement):
    """Adds ``labels`` ([lat, lon, html, css class]) to the parent layer as permanent tooltips."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-tooltip.cc-label { background: transparent; border: 0; box-shadow: none; padding: 0;
              color: #222; font: bold 11px/1.1 sans-serif; white-space: nowrap;
              text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
          .leaflet-tooltip.cc-label:before { display: none; }
          .leaflet-tooltip.cc-town { font: italic 10px/1.1 sans-serif; color: #444; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var group = {{ this._parent.get_name() }};
            {{ this.labels|tojson }}.forEach(function(label) {
                group.addLayer(L.tooltip({permanent: true, direction: 'center', interactive: false,
                                          className: 'cc-label ' + label[3]})
                    .setLatLng([label[0], label[1]]).setContent(label[2]));
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[list]):
        super().__init__()
        self._name = "PlaceLabels"
        self.labels = labels


def short_name(name: str) -> str:
    """A patch's name without its bracketed list of places ("Mid Argyll (Lochgilphead, ...)" → "Mid
    Argyll"): the label stays short, the tooltips keep the full name."""
    head = str(name).split(" (", 1)[0].strip()
    return head or str(name).strip()


def place_labels_layer(zones, places: pd.DataFrame | None = None, *, name: str = "Place names",
                       show: bool = True) -> folium.FeatureGroup:
    """Patch names (bold) at a point inside each patch of ``zones`` (WGS84, ``zone_id``, ``name``) and the
    ``places`` (``name``, ``lon``, ``lat``; e.g. the region's towns) whose name is not a patch's name."""
    labels = []
    names = dict(zip(zones["zone_id"].astype(str), zones["name"].astype(str), strict=True))
    for zone_id, (lon, lat) in representative_points(zones).items():
        label = esc(short_name(names.get(zone_id, zone_id)))
        labels.append([round(lat, 4), round(lon, 4), label, "cc-patch"])
    taken = {short_name(n).lower() for n in names.values()}
    if places is not None and len(places):
        for row in places.itertuples(index=False):
            lon, lat = float(row.lon), float(row.lat)
            if not (math.isfinite(lon) and math.isfinite(lat)) or str(row.name).strip().lower() in taken:
                continue
            taken.add(str(row.name).strip().lower())
            labels.append([round(lat, 4), round(lon, 4), esc(row.name), "cc-town"])
    group = folium.FeatureGroup(name=esc(name), show=show)
    group.add_child(_Labels(labels))
    return group
