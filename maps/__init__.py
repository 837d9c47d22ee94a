"""folium rendering: pure functions from results + geography to maps/HTML.

* :func:`coverage_map`, :func:`travel_map`, :func:`comparison_map`, :func:`provider_map` build maps from
  tables (see :mod:`maps.render`);
* :func:`write_run_maps` writes the maps of a run output folder, :func:`write_provider_map` one provider's
  view (see :mod:`maps.run`).
"""

from maps.render import comparison_map, coverage_map, provider_map, travel_map
from maps.run import load_run, write_provider_map, write_run_maps

__all__ = [
    "comparison_map",
    "coverage_map",
    "load_run",
    "provider_map",
    "travel_map",
    "write_provider_map",
    "write_run_maps",
]
