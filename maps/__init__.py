"""folium rendering: pure functions from tables and geometries to maps (see :mod:`maps.render`).

:func:`coverage_map`, :func:`travel_map`, :func:`comparison_map` and :func:`provider_map` take DataFrames,
GeoDataFrames and plain values; nothing here reads or writes files. Writing a run's maps is the product's
job (:mod:`commissioning.report.run_maps`). Importing the package makes branca keep rendered pieces
without Jinja markup as text (:mod:`maps.plain_text`): the same pages, drawn in about half the time.
"""

from maps import plain_text
from maps.provider import provider_map
from maps.render import comparison_map, coverage_map, prepare_background, travel_map

plain_text.install()

__all__ = ["comparison_map", "coverage_map", "prepare_background", "provider_map", "travel_map"]
