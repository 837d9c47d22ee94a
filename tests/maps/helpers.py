"""Look inside folium objects and rendered pages."""

from __future__ import annotations

import re

import folium

from maps.layers import MapControl


def walk(element):
    yield element
    for child in list(element._children.values()):
        yield from walk(child)


def layers(m) -> dict[str, object]:
    """Overlay layers by their (escaped) name, in order: GeoJson and FeatureGroup children of the map."""
    found = {}
    for child in m._children.values():
        if isinstance(child, (folium.GeoJson, folium.FeatureGroup)) and child.control:
            found[child.layer_name] = child
    return found


def controls(m) -> list[MapControl]:
    return [c for c in m._children.values() if isinstance(c, MapControl)]


def has_layer_control(m) -> bool:
    return any(isinstance(c, folium.LayerControl) for c in m._children.values())


def fit_bounds(m):
    """((south, west), (north, east)) of the map's fitBounds call."""
    fits = [c for c in m._children.values() if isinstance(c, folium.map.FitBounds)]
    assert fits, "the map has no fitBounds"
    (south, west), (north, east) = fits[-1].bounds
    return (south, west), (north, east)


def props_by_zone(layer) -> dict[str, dict]:
    return {f["properties"]["zone_id"]: f["properties"] for f in layer.data["features"]}


NUMBER = re.compile(r"-?\d{1,3}\.\d+")


def coordinate_pairs(text: str, decimals: int = 4) -> set[tuple[float, float]]:
    """Every pair of adjacent decimal numbers in ``text``, rounded, in both orders."""
    numbers = [round(float(n), decimals) for n in NUMBER.findall(text)]
    pairs = set(zip(numbers, numbers[1:], strict=False))
    return pairs | {(b, a) for a, b in pairs}


def map_texts(m) -> list[str]:
    """Every piece of text a map shows: its controls (legends, title, subtitle) and every tooltip."""
    out = [c.html for c in controls(m)]
    for layer in layers(m).values():
        for feature in getattr(layer, "data", {"features": []})["features"]:
            out.append(str(feature["properties"].get("tooltip", "")))
    return out
