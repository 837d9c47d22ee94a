"""What changes between two variants: patches that change hands and clients whose provider differs.

Pure: normalised allocations (:func:`maps.layers.normalise_allocation`) in, tables and folium layers
out. Client homes appear only as counts per grid square, and squares of fewer than ``min_count`` clients
are not drawn (:mod:`maps.privacy`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from maps.layers import counted, esc, feature_collection, fmt, geojson_layer, legend_html
from maps.privacy import count_text, moved_flags, safe_grid

LEAD = "lead provider changes"
SET = "same lead provider, providers join or leave"
CHANGE_COLOURS = {LEAD: "#d7191c", SET: "#2c7bb6"}


def _providers_by_zone(a: pd.DataFrame) -> dict[str, pd.Series]:
    """Care hours per provider in each zone, most first (ties by provider id)."""
    assigned = a[a["assigned"]]
    out = {}
    for zone, g in assigned.groupby("zone", sort=False):
        hours = g.groupby("provider_id")["care_hours"].sum().sort_index()
        out[str(zone)] = hours.sort_values(ascending=False, kind="stable")
    return out


def patch_changes(zone_ids, left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """One row per zone: lead provider (most care hours) and provider set on each side, and ``change``:
    :data:`LEAD`, :data:`SET` or "" (unchanged)."""
    before, after = _providers_by_zone(left), _providers_by_zone(right)
    empty = pd.Series(dtype=float)
    rows = []
    for zone in map(str, zone_ids):
        b, a = before.get(zone, empty), after.get(zone, empty)
        lead_b = str(b.index[0]) if len(b) else ""
        lead_a = str(a.index[0]) if len(a) else ""
        joined = sorted(set(a.index) - set(b.index))
        left_ = sorted(set(b.index) - set(a.index))
        change = LEAD if lead_b != lead_a else (SET if joined or left_ else "")
        rows.append({"zone_id": zone, "lead_before": lead_b, "lead_after": lead_a, "joined": joined,
                     "left": left_, "hours_before": b.to_dict(), "hours_after": a.to_dict(),
                     "change": change})
    return pd.DataFrame(rows)


def _who(pid: str, names: dict[str, str]) -> str:
    return f"{esc(names.get(pid, pid))} ({esc(pid)})" if pid else "no provider"


def changed_patches_layer(zones: gpd.GeoDataFrame, changes: pd.DataFrame, names: dict[str, str],
                          left_name: str, right_name: str, tolerance: float, precision: float):
    """Outlines of the patches that change hands between ``left_name`` and ``right_name``, or None."""
    frame = zones[["zone_id", "name", "geometry"]].merge(changes, on="zone_id", how="inner")
    frame = frame[frame["change"] != ""].copy()
    if frame.empty:
        return None, _changes_legend(0, left_name, right_name)
    tips = []
    for r in frame.itertuples(index=False):
        lines = [f"<b>{esc(r.name)}</b> <span style='color:#666'>({esc(r.zone_id)})</span>",
                 f"<b>Changes hands</b>: {esc(r.change)}",
                 f"Lead provider (most care hours): {_who(r.lead_before, names)} in {esc(left_name)} → "
                 f"{_who(r.lead_after, names)} in {esc(right_name)}"]
        if r.joined:
            lines.append("Joining: " + ", ".join(
                f"{_who(p, names)}, {fmt(r.hours_after[p])} h" for p in r.joined))
        if r.left:
            lines.append("Leaving: " + ", ".join(
                f"{_who(p, names)}, {fmt(r.hours_before[p])} h" for p in r.left))
        tips.append("<br>".join(lines))
    frame["tooltip"] = tips
    frame["colour"] = [CHANGE_COLOURS[c] for c in frame["change"]]
    data = feature_collection(frame[["zone_id", "change", "colour", "tooltip", "geometry"]],
                              html_columns=("tooltip",), tolerance=tolerance, precision=precision)
    layer = geojson_layer(
        data, name="Patches that change hands",
        style=lambda f: {"color": f["properties"]["colour"], "weight": 3.5, "fill": True,
                         "fillOpacity": 0.0, "opacity": 0.95,
                         "dashArray": None if f["properties"]["change"] == LEAD else "6 4"},
    )
    return layer, _changes_legend(len(frame), left_name, right_name)


def _changes_legend(n: int, left_name: str, right_name: str) -> str:
    return legend_html(
        f"Patches that change hands ({n})",
        [(CHANGE_COLOURS[LEAD], f"{LEAD} (solid outline)"), (CHANGE_COLOURS[SET], f"{SET} (dashed)")],
        f"From {left_name} to {right_name}. Lead provider: the provider with most care hours in the patch.",
    )


def moved_clients(left: pd.DataFrame, right: pd.DataFrame, clients: pd.DataFrame | None) -> pd.DataFrame:
    """Clients whose provider differs between the two allocations, with their home (if ``clients``)."""
    flags = moved_flags(left, right)
    moved = flags[flags["change"] != ""].copy()
    if clients is None:
        return moved
    c = clients[["client_id", "lon", "lat"]].copy()
    c["client_id"] = c["client_id"].astype(str)
    c["lon"] = pd.to_numeric(c["lon"], errors="coerce")
    c["lat"] = pd.to_numeric(c["lat"], errors="coerce")
    return moved.merge(c, on="client_id", how="left")


def moved_grid_layer(moved: pd.DataFrame, grid_km: float, min_count: int, left_name: str, right_name: str):
    """Squares of ``grid_km`` holding at least ``min_count`` clients whose provider differs; (layer or
    None, legend). Counts inside a square under the threshold read "fewer than N"."""
    placed = moved[moved["lon"].notna() & moved["lat"].notna()] if "lon" in moved else moved.iloc[0:0]
    kinds = {k: (placed["change"] == k).astype(float) for k in ("moved", "lost", "gained")}
    cells, hidden = safe_grid(placed["lon"], placed["lat"], grid_km, min_count, kinds)
    note = (f"Clients whose provider differs between {left_name} and {right_name}, counted per "
            f"{grid_km:g} km square. Squares of fewer than {counted(min_count, 'client')} are not drawn "
            f"({count_text(hidden, min_count)} in such squares are counted in their patch's total only).")
    bins = [("#fdd0a2", f"{min_count}–7"), ("#fd8d3c", "8–15"), ("#d94801", "16 or more")]
    legend = legend_html("Clients whose provider differs (per square)", bins, note)
    if cells is None or cells.empty:
        return None, legend
    cells["fill"] = [_colour_for(int(n)) for n in cells["count"]]
    cells["tooltip"] = [
        f"<b>{count_text(r.count, min_count)} whose provider differs</b><br>"
        f"to another provider: {count_text(r.moved, min_count)}<br>"
        f"left without a provider: {count_text(r.lost, min_count)}<br>"
        f"newly served: {count_text(r.gained, min_count)}"
        for r in cells.itertuples(index=False)
    ]
    data = feature_collection(cells[["fill", "tooltip", "geometry"]], html_columns=("tooltip",),
                              precision=1e-4)
    layer = geojson_layer(data, name=f"Clients whose provider differs ({grid_km:g} km squares)",
                          style=lambda f: {"fillColor": f["properties"]["fill"], "color": "#7f2704",
                                           "weight": 0.6, "fillOpacity": 0.8})
    return layer, legend


def _colour_for(n: int) -> str:
    if n < 8:
        return "#fdd0a2"
    return "#fd8d3c" if n < 16 else "#d94801"


def moved_per_zone(moved: pd.DataFrame) -> dict[str, int]:
    return {str(z): int(n) for z, n in moved.groupby("zone").size().items()}
