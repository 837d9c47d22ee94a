"""Road + ferry travel model: door-to-door minutes, leg by leg, and many-to-many matrices per time band.

The network
    Nodes are the places that have at least one road or ferry edge (places without edges are Voronoi
    anchors only and are ignored). Road edges take ``km / ROAD_SPEED_KMH[road_class] * 60`` minutes; an
    empty ``km`` means the straight line × ``ROAD_CIRCUITY``. Ferry edges take the crossing plus a wait.
    Every edge is undirected.

Access legs
    A point off the network (a client's door, a provider's hub) reaches it by a straight line ×
    ``ACCESS_CIRCUITY`` at ``ACCESS_SPEED_KMH`` to one of its ``ACCESS_CANDIDATES`` nearest nodes, the one
    giving the quickest whole journey. When land polygons are given, every polygon of the land is a
    landmass (an island, or the mainland), and every node and every point takes the label of the polygon
    containing it, or of the nearest one within ``LAND_SNAP_M`` (harbour-side points and piers lie a
    little off the generalised coast). An access leg only joins a point to a node of the same landmass,
    so a door on Bute never reaches Colintraive across the 300 m Kyles, nor Luing reaches Seil across
    Cuan Sound: the ferry is the only way. Within one landmass, a candidate whose straight line runs over
    more than ``ACCESS_MAX_WATER_KM`` of open water is also dropped (across a sea loch). If no candidate
    is left (a point on an islet without roads, or in the sea), the nearest node is used anyway and the
    output says so. An access leg longer than ``FAR_ACCESS_KM`` is flagged: the point is far from the
    road network and its time is a rough estimate. Two points less than ``DIRECT_MAX_KM`` apart on the
    same landmass with dry land between them may also go directly (one access leg), so neighbours in a
    village are minutes apart rather than twice the distance to the nearest junction.

Ferry timing (``route``: time-dependent, exact)
    Arriving at a terminal at τ (minutes after midnight): between the first and last sailing the boat
    leaves after the expected wait, but never after the last sailing: departure = ``τ + min(wait, last −
    τ)`` (the timetable is not modelled, the expected wait stands for it; a traveller close to the last
    sailing catches it). Before the first sailing the journey waits for it (departure = first sailing;
    status ``waits_for_first_sailing``, with a note naming the ferry and the sailing time). After the last
    sailing the link is gone for the day, and a journey that needs it is ``unreachable`` with a note
    naming the ferry and its last sailing. Departure times never decrease as τ grows, i.e. the links are
    FIFO, so label-setting Dijkstra is exact. Journeys are same-day: a journey arriving after midnight
    (a care visit cannot arrive the next day) is ``unreachable`` with a note saying so.

Ferry timing (``matrix``: one static graph per time band)
    A band is represented by one clock time t (``geodata.timebands``). Ferries sailing then (first ≤ t ≤
    last) cost crossing + ``min(expected wait, last − t)``; ferries that have not started yet cost
    crossing + the wait for the first sailing (flagged in ``TravelMatrix.waits_for_first_sailing``);
    ferries past their last sailing are removed and the affected entries are ``inf`` with a ``reason``. The
    band's time stands for the whole band, so no same-day (midnight) cut-off is applied to matrix
    entries; a long bed-band journey is the caller's to judge. Using the band time for every ferry on a path
    (instead of the arrival time at each terminal) is the approximation that makes a 1,000 × 15 matrix a
    few milliseconds of ``scipy.sparse.csgraph.dijkstra``.

Legs
    ``access`` (door to node), ``road`` (consecutive road edges with the same road number merged),
    ``wait`` (waiting at a terminal: its own leg, so the ferry leg is the crossing only) and ``ferry``.
    A ferry leg's ``km`` is the straight crossing distance; matrix ``km`` counts road and access only.

``ApproximateTravel`` is the fallback for regions without a network: great-circle × circuity ÷ speed,
flagged ``approximate`` in every output.
"""

from __future__ import annotations

import difflib
import heapq
import math
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.errors import CoordinatesError, RegionError, UnknownPlaceError
from geodata.geometry import haversine_km, pairwise_haversine_km
from geodata.regions import check_region, read_region_table
from geodata.timebands import TIME_BANDS, TimeBand, format_hhmm, get_band, parse_hhmm

# Typical car speeds on Argyll roads (km/h), including bends, villages and passing places.
ROAD_SPEED_KMH: dict[str, float] = {
    "primary": 70.0,  # A82/A83/A85 trunk roads
    "a_road": 60.0,
    "b_road": 45.0,
    "single_track": 35.0,  # passing places: slow even when empty
    "urban": 30.0,
}
ROAD_CIRCUITY = 1.25  # road km per straight-line km when roads.csv leaves km empty
ACCESS_CIRCUITY = 1.3  # door-to-node: straight line × this
ACCESS_SPEED_KMH = 30.0
ACCESS_CANDIDATES = 6  # nearest nodes tried for an access leg
ACCESS_CANDIDATES_WIDE = 16  # tried when all of the nearest cross water
# Within one landmass, an access line with a longer stretch over water (a sea loch) is not drivable.
# Channels between landmasses are handled by the landmass labels, whatever their width. Not lower:
# harbour-side points start up to LAND_SNAP_M off the generalised coast (0.4 km rejects ~5x more of them).
ACCESS_MAX_WATER_KM = 0.5
LAND_SNAP_M = 300.0  # a point off the land polygons belongs to the nearest one within this distance...
SNAP_MIN_AREA_KM2 = 0.5  # ...that is not a rock or skerry: a pier beside one belongs to the island behind
FAR_ACCESS_KM = 5.0  # an access leg longer than this is flagged: far from the road network
MINUTES_PER_DAY = 24 * 60  # journeys are same-day: arriving after midnight is unreachable
# Candidates beyond max(factor × nearest, nearest + extra km) are dropped (see _compute_access).
ACCESS_REACH_FACTOR = 2.0
ACCESS_REACH_EXTRA_KM = 3.0
DIRECT_MAX_KM = 5.0  # door-to-door without touching the network, only this close (and over land)
DIRECT_MAX_KM_WITHOUT_LAND = 1.0  # without land polygons we cannot see water: only very close points
# scipy's sparse graphs drop zero weights; a tiny positive weight keeps zero-length edges as edges.
MIN_EDGE_MINUTES = 1e-3

APPROXIMATE_CIRCUITY = 1.3
APPROXIMATE_SPEED_KMH = 40.0

STATUS_OK = "ok"
STATUS_WAITS = "waits_for_first_sailing"
STATUS_UNREACHABLE = "unreachable"

__all__ = [
    "ACCESS_CIRCUITY",
    "ACCESS_SPEED_KMH",
    "FAR_ACCESS_KM",
    "LAND_SNAP_M",
    "ROAD_SPEED_KMH",
    "ApproximateTravel",
    "Journey",
    "Leg",
    "Location",
    "TravelMatrix",
    "TravelModel",
    "TravelNetwork",
    "resolve_location",
]


# ----------------------------------------------------------------------------------------------
# value types
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A journey end: a named point. ``node_id`` is a ``place_id`` when the point is a known place."""

    name: str
    lon: float
    lat: float
    node_id: str | None = None


@dataclass
class Leg:
    """One readable part of a journey. ``path`` holds the (lon, lat) of every node along the leg."""

    mode: str  # access | road | ferry | wait
    from_name: str
    to_name: str
    minutes: float
    km: float
    path: list[tuple[float, float]] = field(default_factory=list)
    road: str = ""  # road number(s) for road legs, ferry name for ferry/wait legs

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "from": self.from_name,
            "to": self.to_name,
            "minutes": round(float(self.minutes), 2),
            "km": round(float(self.km), 2),
        }


@dataclass
class Journey:
    """Door-to-door result of :meth:`TravelNetwork.route`. ``minutes`` is ``None`` when unreachable."""

    minutes: float | None
    status: str  # ok | waits_for_first_sailing | unreachable
    legs: list[Leg]
    notes: list[str]
    approximate: bool
    origin: str = ""
    destination: str = ""
    depart_minutes: float = 0.0

    @property
    def km(self) -> float:
        """Road + access km (ferry crossings excluded, like :class:`TravelMatrix`)."""
        return float(sum(leg.km for leg in self.legs if leg.mode in ("road", "access")))

    @property
    def reachable(self) -> bool:
        return self.status != STATUS_UNREACHABLE

    def to_dict(self) -> dict:
        return {
            "minutes": None if self.minutes is None else round(float(self.minutes), 1),
            "legs": [leg.to_dict() for leg in self.legs],
            "status": self.status,
            "notes": list(self.notes),
            "approximate": bool(self.approximate),
        }


@dataclass
class TravelMatrix:
    """Many-to-many travel at one time band; every array is (origins × destinations)."""

    minutes: np.ndarray  # float, np.inf where unreachable in this band
    km: np.ndarray  # road + access km (ferry crossings excluded); np.inf where unreachable
    ferry_crossings: np.ndarray  # int
    reason: np.ndarray  # object: "" or why the entry is unreachable
    approximate: bool
    band: str = ""
    at_minutes: int = 0
    waits_for_first_sailing: np.ndarray | None = None  # bool: a ferry on the path has not started yet
    origin_fallback: np.ndarray | None = None  # bool per origin: no dry-land access, nearest node used
    dest_fallback: np.ndarray | None = None  # bool per destination: same
    origin_far: np.ndarray | None = None  # bool per origin: nearest usable node over FAR_ACCESS_KM away
    dest_far: np.ndarray | None = None  # bool per destination: same

    @property
    def shape(self) -> tuple[int, int]:
        return self.minutes.shape


class TravelModel(Protocol):
    """What the rest of the product needs from a travel model (network or approximate)."""

    approximate: bool

    def route(self, origin: Location, destination: Location, at_minutes: float | str) -> Journey: ...

    def matrix(self, origin_lon, origin_lat, dest_lon, dest_lat, band: str | int | TimeBand) -> TravelMatrix:
        ...


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _band_minutes(band: str | int | float | TimeBand) -> tuple[str, int]:
    """(label, minutes after midnight) for a band name, a TimeBand, an ``HH:MM`` string or minutes."""
    if isinstance(band, TimeBand):
        return band.name, band.minutes
    if isinstance(band, str):
        if band.strip().lower() in TIME_BANDS:
            chosen = get_band(band)
            return chosen.name, chosen.minutes
        minutes = parse_hhmm(band)
        return format_hhmm(minutes), minutes
    minutes = int(round(float(band)))
    return format_hhmm(minutes), minutes


def _at_minutes(at: float | str) -> float:
    return float(parse_hhmm(at)) if isinstance(at, str) else float(at)


def _as_points(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError(f"lon and lat must be 1-D arrays of equal length, got {lon.shape} and {lat.shape}")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("lon/lat contain NaN or infinite values")
    return lon, lat


def _hhmm_or_minutes(value) -> int:
    return parse_hhmm(str(value))


def _metres(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


@dataclass
class _Access:
    """Access candidates for a batch of points: (points × k) nodes, minutes (inf = excluded), km."""

    nodes: np.ndarray
    minutes: np.ndarray
    km: np.ndarray
    fallback: np.ndarray  # bool per point
    label: np.ndarray  # landmass label per point (-1: off land / no land polygons)
    far: np.ndarray  # bool per point: its nearest usable node is more than FAR_ACCESS_KM away


@dataclass
class _BandGraph:
    graph: csr_matrix
    keys: np.ndarray  # sorted i * n + j of the kept directed edges
    km: np.ndarray  # road km per kept edge (0 for ferries)
    ferry: np.ndarray  # ferry route index per kept edge, -1 for roads
    first_wait: np.ndarray  # bool: ferry edge whose cost includes waiting for the first sailing
    stopped: set[int]  # ferry route indices removed (past their last sailing)


class _Landmasses:
    """Which polygon of the land geometry (island or mainland) each point is on: built once per network.

    Coordinates are scaled to a local equirectangular frame (longitude × cos of the mid latitude) so
    distances in it are degrees of latitude: × 111,320 gives metres to within ~2 % across the region.
    A point off the polygons snaps to the nearest one of at least ``SNAP_MIN_AREA_KM2`` within
    ``LAND_SNAP_M``: Ruaig (Tiree) and Craobh Haven sit nearer to skerries than to the generalised coast.
    """

    M_PER_DEGREE = 111_320.0

    def __init__(self, land):
        parts = shapely.get_parts(shapely.get_parts(land))  # flattens collections and multipolygons
        parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
        _, min_lat, _, max_lat = shapely.total_bounds(parts) if len(parts) else (0.0, 0.0, 0.0, 0.0)
        self.x_scale = math.cos(math.radians((min_lat + max_lat) / 2.0))
        self.parts = shapely.transform(parts, lambda xy: xy * np.array([self.x_scale, 1.0]))
        shapely.prepare(self.parts)
        self.tree = shapely.STRtree(self.parts)
        area_km2 = shapely.area(self.parts) * (self.M_PER_DEGREE / 1000.0) ** 2
        self.big = np.flatnonzero(area_km2 >= SNAP_MIN_AREA_KM2)
        self.big_tree = shapely.STRtree(self.parts[self.big])

    def label(self, lon: np.ndarray, lat: np.ndarray, snap_m: float = LAND_SNAP_M) -> np.ndarray:
        """Index of the land polygon containing each point, else of the nearest within ``snap_m``, else -1."""
        x, y = np.asarray(lon, dtype=float) * self.x_scale, np.asarray(lat, dtype=float)
        labels = np.full(len(x), -1, dtype=np.int64)
        if not len(self.parts) or not len(x):
            return labels
        # Bounding boxes from the tree, then prepared point-in-polygon: ~1 ms for a thousand points.
        point_idx, part_idx = self.tree.query(shapely.points(x, y))
        inside = shapely.contains_xy(self.parts[part_idx], x[point_idx], y[point_idx])
        labels[point_idx[inside]] = part_idx[inside]
        off = np.flatnonzero(labels < 0)
        if len(off):
            pairs = self.big_tree.query_nearest(shapely.points(x[off], y[off]),
                                                max_distance=snap_m / self.M_PER_DEGREE, all_matches=False)
            labels[off[pairs[0]]] = self.big[pairs[1]]
        return labels

    def distance_m(self, lon: float, lat: float) -> float:
        """Metres from a point to the nearest land polygon (0 on land)."""
        if not len(self.parts):
            return math.inf
        point = shapely.points(float(lon) * self.x_scale, float(lat))
        _, distance = self.tree.query_nearest(point, return_distance=True, all_matches=False)
        return float(distance[0]) * self.M_PER_DEGREE


# ----------------------------------------------------------------------------------------------
# the network
# ----------------------------------------------------------------------------------------------


class TravelNetwork:
    """Roads and ferries of a region; see the module docstring for the rules."""

    approximate = False

    def __init__(
        self,
        places: pd.DataFrame,
        node_ids: np.ndarray,
        roads: pd.DataFrame,
        ferries: pd.DataFrame,
        land=None,
    ):
        self.places = places
        self.land = land
        self.node_ids = node_ids
        self.n_nodes = len(node_ids)
        self.node_index = {pid: i for i, pid in enumerate(node_ids)}
        by_id = places.drop_duplicates("place_id").set_index("place_id")
        self.node_lon = by_id.loc[node_ids, "lon"].to_numpy(float)
        self.node_lat = by_id.loc[node_ids, "lat"].to_numpy(float)
        self.node_name = by_id.loc[node_ids, "name"].astype(str).to_numpy(object)

        self.road_from = np.array([self.node_index[a] for a in roads["from_id"]], dtype=np.int64)
        self.road_to = np.array([self.node_index[b] for b in roads["to_id"]], dtype=np.int64)
        self.road_name = roads["road"].astype(str).to_numpy(object)
        self.road_km = roads["km"].to_numpy(float)
        self.road_minutes = np.maximum(roads["minutes"].to_numpy(float), MIN_EDGE_MINUTES)

        self.ferry_from = np.array([self.node_index[a] for a in ferries["from_id"]], dtype=np.int64)
        self.ferry_to = np.array([self.node_index[b] for b in ferries["to_id"]], dtype=np.int64)
        self.ferry_route_id = ferries["route_id"].astype(str).to_numpy(object)
        self.ferry_crossing = np.maximum(ferries["crossing_minutes"].to_numpy(float), MIN_EDGE_MINUTES)
        self.ferry_wait = ferries["expected_wait_minutes"].to_numpy(float)
        self.ferry_first = ferries["first_minutes"].to_numpy(int)
        self.ferry_last = ferries["last_minutes"].to_numpy(int)
        self.ferry_km = haversine_km(
            self.node_lon[self.ferry_from], self.node_lat[self.ferry_from],
            self.node_lon[self.ferry_to], self.node_lat[self.ferry_to],
        )
        # Named in ferries.csv order whichever way it is sailed: "the Oban–Craignure ferry".
        pairs = zip(self.ferry_from, self.ferry_to, strict=True)
        names = [f"{self.node_name[a]}–{self.node_name[b]}" for a, b in pairs]
        self.ferry_name = np.array(names, dtype=object)
        self._tables = (roads, ferries)  # as built, for :meth:`without_ferries`

        # Adjacency for the time-dependent search: per node a list of (neighbour, edge), where edge
        # >= 0 is a road row and edge < 0 is ferry row ~edge.
        self._adjacency: list[list[tuple[int, int]]] = [[] for _ in range(self.n_nodes)]
        for e, (a, b) in enumerate(zip(self.road_from, self.road_to, strict=True)):
            self._adjacency[a].append((int(b), e))
            self._adjacency[b].append((int(a), e))
        for f, (a, b) in enumerate(zip(self.ferry_from, self.ferry_to, strict=True)):
            self._adjacency[a].append((int(b), ~f))
            self._adjacency[b].append((int(a), ~f))

        self._band_graphs: dict[int | None, _BandGraph] = {}
        self._access_cache: OrderedDict[bytes, _Access] = OrderedDict()
        self._resolver: _PlaceResolver | None = None
        self._landmasses: _Landmasses | None = None
        self._node_label: np.ndarray | None = None

    # -- landmasses ----------------------------------------------------------------------------

    def _land_labels(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Landmass label per point (see :class:`_Landmasses`); all -1 without land polygons."""
        if self.land is None:
            return np.full(len(lon), -1, dtype=np.int64)
        if self._landmasses is None:
            self._landmasses = _Landmasses(self.land)
            self._node_label = self._landmasses.label(self.node_lon, self.node_lat)
        return self._landmasses.label(lon, lat)

    def _node_labels(self) -> np.ndarray:
        if self._node_label is None:
            self._land_labels(self.node_lon[:0], self.node_lat[:0])
        if self._node_label is None:  # no land polygons
            self._node_label = np.full(self.n_nodes, -1, dtype=np.int64)
        return self._node_label

    def distance_to_land_m(self, lon: float, lat: float) -> float:
        """Metres from a point to the land polygons (0 on land; ``nan`` without land polygons)."""
        if self.land is None:
            return math.nan
        self._land_labels(self.node_lon[:0], self.node_lat[:0])
        return self._landmasses.distance_m(lon, lat)

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def from_tables(cls, places, roads, ferries, land=None) -> TravelNetwork:
        """Build from the three tables (DataFrames or anything ``pandas.DataFrame`` accepts)."""
        places = pd.DataFrame(places).copy()
        roads = pd.DataFrame(roads).copy()
        ferries = pd.DataFrame(ferries).copy()
        for name, table, columns in (
            ("places", places, ("place_id", "name", "lat", "lon")),
            ("roads", roads, ("from_id", "to_id", "road", "road_class", "km")),
            ("ferries", ferries, ("route_id", "from_id", "to_id", "crossing_minutes",
                                  "expected_wait_minutes", "first_sailing", "last_sailing")),
        ):
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise RegionError(f"{name} table lacks column(s): {', '.join(missing)}")
        for column in ("place_id", "name"):
            places[column] = places[column].astype(str).str.strip()
        places["lon"] = pd.to_numeric(places["lon"], errors="coerce")
        places["lat"] = pd.to_numeric(places["lat"], errors="coerce")
        for table in (roads, ferries):
            for column in ("from_id", "to_id"):
                table[column] = table[column].astype(str).str.strip()

        known = set(places["place_id"])
        unknown = sorted(
            (set(roads["from_id"]) | set(roads["to_id"]) | set(ferries["from_id"]) | set(ferries["to_id"]))
            - known
        )
        if unknown:
            raise RegionError(f"roads/ferries refer to unknown place_id(s): {', '.join(unknown[:10])}")
        bad_xy = places.loc[places["lon"].isna() | places["lat"].isna(), "place_id"].tolist()
        if bad_xy:
            raise RegionError(f"places without numeric lon/lat: {', '.join(bad_xy[:10])}")

        # Nodes: places with at least one edge, in places.csv order (stable ids across runs).
        used = set(roads["from_id"]) | set(roads["to_id"]) | set(ferries["from_id"]) | set(ferries["to_id"])
        node_ids = np.array([p for p in dict.fromkeys(places["place_id"]) if p in used], dtype=object)
        if not len(node_ids):
            raise RegionError("the network has no roads or ferries: use ApproximateTravel for this region")

        xy = places.drop_duplicates("place_id").set_index("place_id")[["lon", "lat"]]
        classes = roads["road_class"].astype(str).str.strip()
        unknown_classes = sorted(set(classes) - set(ROAD_SPEED_KMH))
        if unknown_classes:
            raise RegionError(
                f"unknown road_class(es) {', '.join(unknown_classes)}; known: {', '.join(ROAD_SPEED_KMH)}"
            )
        straight_km = haversine_km(
            xy.loc[roads["from_id"], "lon"].to_numpy(), xy.loc[roads["from_id"], "lat"].to_numpy(),
            xy.loc[roads["to_id"], "lon"].to_numpy(), xy.loc[roads["to_id"], "lat"].to_numpy(),
        )
        given_km = pd.to_numeric(roads["km"].replace("", np.nan), errors="coerce").to_numpy(float)
        roads["km"] = np.where(np.isfinite(given_km), given_km, straight_km * ROAD_CIRCUITY)
        roads["minutes"] = roads["km"] / classes.map(ROAD_SPEED_KMH).to_numpy(float) * 60.0
        roads["road"] = roads["road"].astype(str).str.strip()

        ferries["crossing_minutes"] = pd.to_numeric(ferries["crossing_minutes"], errors="raise")
        ferries["expected_wait_minutes"] = pd.to_numeric(ferries["expected_wait_minutes"], errors="raise")
        try:
            ferries["first_minutes"] = [_hhmm_or_minutes(v) for v in ferries["first_sailing"]]
            ferries["last_minutes"] = [_hhmm_or_minutes(v) for v in ferries["last_sailing"]]
        except ValueError as error:
            raise RegionError(f"ferries table: {error}") from error
        return cls(places.reset_index(drop=True), node_ids, roads.reset_index(drop=True),
                   ferries.reset_index(drop=True), land=land)

    @classmethod
    def from_package(cls, region: str = "argyll-bute", land=None) -> TravelNetwork:
        """The embedded region's network (``geodata/data/<region>/*.csv`` via importlib.resources)."""
        folder = check_region(region)[0]
        return cls.from_tables(
            read_region_table(folder, "places"),
            read_region_table(folder, "roads"),
            read_region_table(folder, "ferries"),
            land=land,
        )

    # -- places --------------------------------------------------------------------------------

    def resolve(self, text: str) -> Location:
        """A place name, place_id or ``lat,lon`` → :class:`Location` (see :func:`resolve_location`)."""
        if self._resolver is None:
            self._resolver = _PlaceResolver(self.places)
        location = self._resolver.resolve(text)
        if location.node_id is None and self.land is not None:
            metres = self.distance_to_land_m(location.lon, location.lat)
            if metres > LAND_SNAP_M:
                raise CoordinatesError(
                    f"coordinates {text.strip()!r} (lat {location.lat:.5f}, lon {location.lon:.5f}) are in "
                    f"the sea, {_metres(metres)} from the nearest land: a door must be on land or within "
                    f"{LAND_SNAP_M:.0f} m of the coast"
                )
        return location

    def location_of(self, place_id: str) -> Location:
        row = self.places.loc[self.places["place_id"] == place_id].iloc[0]
        return Location(str(row["name"]), float(row["lon"]), float(row["lat"]), place_id)

    def ferry_index(self, route_id: str) -> int:
        return int(np.flatnonzero(self.ferry_route_id == route_id)[0])

    def ferry_route_of(self, text: str) -> str | None:
        """The ``route_id`` a ferry is called by: its route id or its name as journeys name it
        (``Oban–Craignure``), either way round, any case, a hyphen for the dash; ``None`` if no route."""

        def key(value: str) -> str:
            return re.sub(r"\s*[-–—]\s*", "–", " ".join(str(value).casefold().split()))

        wanted = key(text)
        for route_id, a, b in zip(self.ferry_route_id, self.ferry_from, self.ferry_to, strict=True):
            names = {key(route_id), key(f"{self.node_name[a]}–{self.node_name[b]}"),
                     key(f"{self.node_name[b]}–{self.node_name[a]}")}
            if wanted in names:
                return str(route_id)
        return None

    def without_ferries(self, route_ids) -> TravelNetwork:
        """The same network with these ferry routes (``route_id``) out of service: travel recomputed without
        them. Unknown ids raise :class:`RegionError`. Landmasses and access legs are shared (they do not
        depend on ferries)."""
        out_ids = set(route_ids)
        unknown = sorted(out_ids - set(self.ferry_route_id))
        if unknown:
            raise RegionError(f"unknown ferry route(s): {', '.join(unknown)}")
        roads, ferries = self._tables
        kept = ferries[~ferries["route_id"].astype(str).isin(out_ids)].reset_index(drop=True)
        network = TravelNetwork(self.places, self.node_ids, roads, kept, land=self.land)
        network._landmasses, network._node_label = self._landmasses, self._node_label
        network._access_cache = self._access_cache  # access legs: nodes and land only
        return network

    # -- access legs ---------------------------------------------------------------------------

    def _access(self, lon: np.ndarray, lat: np.ndarray) -> _Access:
        """Access candidates for many points at once, cached per coordinate array (bands reuse them)."""
        key = lon.tobytes() + lat.tobytes()
        hit = self._access_cache.get(key)
        if hit is not None:
            self._access_cache.move_to_end(key)
            return hit
        result = self._compute_access(lon, lat)
        self._access_cache[key] = result
        if len(self._access_cache) > 16:
            self._access_cache.popitem(last=False)
        return result

    def _compute_access(self, lon: np.ndarray, lat: np.ndarray) -> _Access:
        straight = pairwise_haversine_km(lon, lat, self.node_lon, self.node_lat)  # points × nodes
        label = self._land_labels(lon, lat)
        if self.land is not None:
            # Only nodes on the point's own landmass are candidates (a point off land has none).
            same = (label[:, None] == self._node_labels()[None, :]) & (label[:, None] >= 0)
            allowed = np.where(same, straight, np.inf)
        else:
            allowed = straight
        k = min(ACCESS_CANDIDATES, self.n_nodes)
        nodes, km_straight = _nearest(allowed, k)
        dry = self._dry(lon[:, None], lat[:, None], nodes, km_straight)
        stuck = ~dry.any(axis=1)
        if stuck.any() and self.n_nodes > k:
            # Every nearby node of the landmass is across a sea loch: look further before giving up.
            wide = min(ACCESS_CANDIDATES_WIDE, self.n_nodes)
            rows = np.flatnonzero(stuck)
            wide_nodes, wide_km = _nearest(allowed[rows], wide)
            wide_dry = self._dry(lon[rows, None], lat[rows, None], wide_nodes, wide_km)
            order = np.argsort(np.where(wide_dry, wide_km, np.inf), axis=1, kind="stable")[:, :k]
            nodes[rows] = np.take_along_axis(wide_nodes, order, axis=1)
            km_straight[rows] = np.take_along_axis(wide_km, order, axis=1)
            dry[rows] = np.take_along_axis(wide_dry, order, axis=1)
        fallback = ~dry.any(axis=1)
        if fallback.any():
            # No usable node (an islet without roads, a point in the sea): the nearest node, flagged.
            rows = np.flatnonzero(fallback)
            nearest = np.argmin(straight[rows], axis=1)
            nodes[rows, 0] = nearest
            km_straight[rows, 0] = straight[rows, nearest]
            dry[rows, 0] = True
        # A far candidate is only a way round a missing road: dropping ones much farther than the
        # nearest usable node stops a door-to-node straight line from short-cutting the network.
        nearest_usable = np.min(np.where(dry, km_straight, np.inf), axis=1, keepdims=True)
        reach = np.maximum(ACCESS_REACH_FACTOR * nearest_usable, nearest_usable + ACCESS_REACH_EXTRA_KM)
        dry &= km_straight <= reach
        km = km_straight * ACCESS_CIRCUITY
        minutes = np.where(dry, km / ACCESS_SPEED_KMH * 60.0, np.inf)
        far = nearest_usable[:, 0] * ACCESS_CIRCUITY > FAR_ACCESS_KM
        return _Access(nodes, minutes, km, fallback, label, far)

    def _dry(self, lon0, lat0, nodes, km_straight) -> np.ndarray:
        """Which candidate lines are allowed (finite ``km_straight``) and stay on land (water run <=
        ACCESS_MAX_WATER_KM); only the allowed ones are checked."""
        dry = np.isfinite(km_straight)
        if self.land is None or not dry.any():
            return dry
        lon0 = np.broadcast_to(lon0, nodes.shape)[dry]
        lat0 = np.broadcast_to(lat0, nodes.shape)[dry]
        lon1, lat1 = self.node_lon[nodes[dry]], self.node_lat[nodes[dry]]
        dry[dry] = _water_ok(lon0, lat0, lon1, lat1, km_straight[dry], self.land)
        return dry

    def _direct(self, lon_a, lat_a, lon_b, lat_b, label_a=None, label_b=None):
        """Door-to-door minutes/km without the network (inf where too far, over water or between
        landmasses); a × b."""
        straight = pairwise_haversine_km(lon_a, lat_a, lon_b, lat_b)
        limit = DIRECT_MAX_KM if self.land is not None else DIRECT_MAX_KM_WITHOUT_LAND
        close = straight <= limit
        if self.land is not None and close.any():
            label_a = self._land_labels(lon_a, lat_a) if label_a is None else label_a
            label_b = self._land_labels(lon_b, lat_b) if label_b is None else label_b
            # Same landmass only; a point is always 0 minutes from itself, even off land.
            close &= ((label_a[:, None] == label_b[None, :]) & (label_a[:, None] >= 0)) | (straight == 0)
            ia, ib = np.nonzero(close)
            close[ia, ib] = _water_ok(lon_a[ia], lat_a[ia], lon_b[ib], lat_b[ib], straight[ia, ib], self.land)
        km = straight * ACCESS_CIRCUITY
        minutes = np.where(close, km / ACCESS_SPEED_KMH * 60.0, np.inf)
        return minutes, km

    def _endpoint_access(self, location: Location) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Candidate (nodes, minutes, km, fallback) for one journey end; a network place needs none."""
        node = self.node_index.get(location.node_id) if location.node_id is not None else None
        if node is not None:
            return np.array([node]), np.zeros(1), np.zeros(1), False
        access = self._access(*_as_points(location.lon, location.lat))
        keep = np.isfinite(access.minutes[0])
        return access.nodes[0][keep], access.minutes[0][keep], access.km[0][keep], bool(access.fallback[0])

    # -- static graphs per band ----------------------------------------------------------------

    def _band_graph(self, at_minutes: int | None) -> _BandGraph:
        """Static graph at one clock time (``None``: every ferry sails, for explaining ``inf``)."""
        cached = self._band_graphs.get(at_minutes)
        if cached is not None:
            return cached
        n = self.n_nodes
        ferry_cost = self.ferry_crossing + self.ferry_wait
        first_wait = np.zeros(len(self.ferry_from), dtype=bool)
        sailing = np.ones(len(self.ferry_from), dtype=bool)
        if at_minutes is not None:
            tau = float(at_minutes)
            sailing = tau <= self.ferry_last
            first_wait = tau < self.ferry_first
            # Never after the last sailing: close to it, the traveller catches the last boat.
            wait = np.where(first_wait, self.ferry_first - tau,
                            np.minimum(self.ferry_wait, np.maximum(self.ferry_last - tau, 0.0)))
            ferry_cost = wait + self.ferry_crossing
        f_idx = np.flatnonzero(sailing)
        src = np.concatenate([self.road_from, self.road_to, self.ferry_from[f_idx], self.ferry_to[f_idx]])
        dst = np.concatenate([self.road_to, self.road_from, self.ferry_to[f_idx], self.ferry_from[f_idx]])
        minutes = np.concatenate([self.road_minutes, self.road_minutes, ferry_cost[f_idx], ferry_cost[f_idx]])
        km = np.concatenate([self.road_km, self.road_km, np.zeros(2 * len(f_idx))])
        ferry = np.concatenate([np.full(2 * len(self.road_from), -1), f_idx, f_idx]).astype(np.int64)
        waits = np.concatenate([np.zeros(2 * len(self.road_from), dtype=bool), first_wait[f_idx],
                                first_wait[f_idx]])
        keys = src * n + dst
        # Parallel edges (a road and a ferry between the same pair): keep the quickest, as the graph
        # can hold only one weight per pair.
        order = np.lexsort((minutes, keys))
        keys, minutes, km, ferry, waits = keys[order], minutes[order], km[order], ferry[order], waits[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        keys, minutes, km, ferry, waits = keys[first], minutes[first], km[first], ferry[first], waits[first]
        graph = csr_matrix((minutes, (keys // n, keys % n)), shape=(n, n))
        stopped = set(np.flatnonzero(~sailing).tolist())
        result = _BandGraph(graph, keys, km, ferry, waits, stopped)
        self._band_graphs[at_minutes] = result
        return result

    # -- many-to-many --------------------------------------------------------------------------

    def matrix(self, origin_lon, origin_lat, dest_lon, dest_lat, band: str | int | TimeBand) -> TravelMatrix:
        """Travel minutes from every origin to every destination at a time band (see module doc)."""
        label, at = _band_minutes(band)
        o_lon, o_lat = _as_points(origin_lon, origin_lat)
        d_lon, d_lat = _as_points(dest_lon, dest_lat)
        o_access = self._access(o_lon, o_lat)
        d_access = self._access(d_lon, d_lat)
        # The graph is undirected, so run Dijkstra from whichever side has fewer points.
        flip = len(o_lon) > len(d_lon)
        src, tgt = (d_access, o_access) if flip else (o_access, d_access)
        graph = self._band_graph(at)
        solved = _solve(graph, src, tgt, self.n_nodes)
        minutes, km, crossings, waits = solved.minutes, solved.km, solved.crossings, solved.waits
        if flip:
            minutes, km, crossings, waits = minutes.T, km.T, crossings.T, waits.T
        direct_minutes, direct_km = self._direct(o_lon, o_lat, d_lon, d_lat, o_access.label, d_access.label)
        use_direct = direct_minutes < minutes
        minutes = np.where(use_direct, direct_minutes, minutes)
        km = np.where(use_direct, direct_km, km)
        crossings = np.where(use_direct, 0, crossings)
        waits = np.where(use_direct, False, waits)

        reason = np.full(minutes.shape, "", dtype=object)
        unreachable = ~np.isfinite(minutes)
        if unreachable.any():
            reason[unreachable] = self._explain_unreachable(
                o_access, d_access, np.nonzero(unreachable), at, flip
            )
        km = np.where(unreachable, np.inf, km)
        return TravelMatrix(
            minutes=minutes,
            km=km,
            ferry_crossings=crossings.astype(np.int64),
            reason=reason,
            approximate=False,
            band=label,
            at_minutes=at,
            waits_for_first_sailing=waits.astype(bool),
            origin_fallback=o_access.fallback.copy(),
            dest_fallback=d_access.fallback.copy(),
            origin_far=o_access.far.copy(),
            dest_far=d_access.far.copy(),
        )

    def _explain_unreachable(self, o_access: _Access, d_access: _Access, where, at: int, flip: bool):
        """Reason strings for unreachable matrix entries: which ferries on the every-ferry path stopped."""
        rows, cols = where
        every = self._band_graph(None)
        band = self._band_graph(at)
        src, tgt = (d_access, o_access) if flip else (o_access, d_access)
        solved = _solve(every, src, tgt, self.n_nodes, want_predecessors=True)
        s_rows, t_cols = (cols, rows) if flip else (rows, cols)
        reasons = []
        memo: dict[tuple[int, int], str] = {}
        for i, j in zip(s_rows, t_cols, strict=True):
            if not np.isfinite(solved.minutes[i, j]):
                reasons.append("no road or ferry link")
                continue
            a, b = int(solved.a_nodes[i, j]), int(solved.b_nodes[i, j])
            key = (a, b)
            if key not in memo:
                stopped = []
                row = solved.row_of[a]
                v = b
                while v != a:
                    u = int(solved.predecessors[row, v])
                    f = int(every.ferry[np.searchsorted(every.keys, u * self.n_nodes + v)])
                    if f >= 0 and f in band.stopped:
                        stopped.append(f)
                    v = u
                memo[key] = "; ".join(
                    f"{self.ferry_name[f]} ferry not sailing at {format_hhmm(at)} "
                    f"(last sailing {format_hhmm(self.ferry_last[f])})"
                    for f in reversed(stopped)
                ) or "no road or ferry link"
            reasons.append(memo[key])
        return reasons

    # -- one journey ---------------------------------------------------------------------------

    def route(self, origin: Location, destination: Location, at_minutes: float | str) -> Journey:
        """Quickest door-to-door journey leaving ``origin`` at ``at_minutes`` (or ``"HH:MM"``)."""
        start = _at_minutes(at_minutes)
        o_nodes, o_minutes, o_km, o_fallback = self._endpoint_access(origin)
        d_nodes, d_minutes, d_km, d_fallback = self._endpoint_access(destination)
        notes = []
        for loc, fell_back in ((origin, o_fallback), (destination, d_fallback)):
            if fell_back:
                notes.append(f"no access from {loc.name} to the network without crossing water; "
                             "the nearest road node is used")

        direct_minutes, direct_km = self._direct(
            np.array([origin.lon]), np.array([origin.lat]),
            np.array([destination.lon]), np.array([destination.lat]),
        )
        same_node = (origin.node_id is not None and origin.node_id == destination.node_id)
        if same_node:
            return Journey(0.0, STATUS_OK, [], notes, False, origin.name, destination.name, start)

        arrival, pred, rejected = self._time_dependent(start, o_nodes, o_minutes, d_nodes, d_minutes, True)
        target_times = arrival[d_nodes] + d_minutes
        best = int(np.argmin(target_times)) if len(d_nodes) else -1
        network_arrival = float(target_times[best]) if best >= 0 else math.inf

        direct = float(direct_minutes[0, 0])
        # Two places on the network go by road; only a door (a point) may go door to door.
        on_network = origin.node_id in self.node_index and destination.node_id in self.node_index
        use_direct = math.isfinite(direct) and direct <= network_arrival - start and not on_network
        arrive = start + direct if use_direct else network_arrival
        if math.isfinite(arrive) and arrive > MINUTES_PER_DAY:
            # Same-day journeys only: a care visit cannot arrive the next day.
            reason = (f"arrives after midnight ({format_hhmm(arrive)} the next day): no same-day journey "
                      f"from {origin.name} to {destination.name} leaving {format_hhmm(start)}")
            return Journey(None, STATUS_UNREACHABLE, [], notes + [reason], False, origin.name,
                           destination.name, start)
        if use_direct:
            leg = Leg("access", origin.name, destination.name, float(direct_minutes[0, 0]),
                      float(direct_km[0, 0]), [(origin.lon, origin.lat), (destination.lon, destination.lat)])
            return Journey(leg.minutes, STATUS_OK, [leg], notes, False, origin.name, destination.name, start)

        if not math.isfinite(network_arrival):
            reason = self._explain_route(origin, destination, start, o_nodes, o_minutes, d_nodes, d_minutes)
            return Journey(None, STATUS_UNREACHABLE, [], notes + [reason], False, origin.name,
                           destination.name, start)

        end_node = int(d_nodes[best])
        steps = _walk_back(pred, arrival, end_node)
        legs, waited_for_first = self._legs(origin, destination, steps, end_node, (o_nodes, o_minutes, o_km),
                                            (float(d_minutes[best]), float(d_km[best])), notes)
        far = [leg for leg in legs if leg.mode == "access" and leg.km > FAR_ACCESS_KM]
        for leg in far:
            notes.append(f"the access leg from {leg.from_name} to {leg.to_name} is {leg.km:.1f} km: far from "
                         "the road network, so its time is a rough estimate")
        status = STATUS_WAITS if waited_for_first else STATUS_OK
        return Journey(network_arrival - start, status, legs, notes, bool(far), origin.name,
                       destination.name, start)

    def _legs(self, origin: Location, destination: Location, steps, end_node: int, o_access, d_access,
              notes: list[str]) -> tuple[list[Leg], bool]:
        """The legs along ``steps``: access, roads (merged by road number), waits and ferries, access.

        ``o_access`` is ``(nodes, minutes, km)`` of the origin's candidate nodes, ``d_access`` ``(minutes,
        km)`` of the chosen destination node. Ferry notes go to ``notes``. Returns the legs and whether the
        journey waits for a first sailing.
        """
        o_nodes, o_minutes, o_km = o_access
        d_minutes, d_km = d_access
        first_node = steps[0][0] if steps else end_node
        k_origin = int(np.flatnonzero(o_nodes == first_node)[0])
        legs: list[Leg] = []
        if o_minutes[k_origin] > 0 or origin.node_id != self.node_ids[first_node]:
            legs.append(Leg("access", origin.name, self.node_name[first_node], float(o_minutes[k_origin]),
                            float(o_km[k_origin]), [(origin.lon, origin.lat), self._xy(first_node)]))
        waited_for_first = False
        for u, v, edge, t_u, t_v in steps:
            if edge >= 0:
                self._add_road_leg(legs, u, v, edge, t_v - t_u)
            else:
                waited_for_first |= self._add_ferry_legs(legs, notes, u, v, ~edge, t_u, t_v)
        if d_minutes > 0 or destination.node_id != self.node_ids[end_node]:
            legs.append(Leg("access", self.node_name[end_node], destination.name, d_minutes, d_km,
                            [self._xy(end_node), (destination.lon, destination.lat)]))
        return legs, waited_for_first

    def _add_road_leg(self, legs: list[Leg], u: int, v: int, edge: int, minutes: float) -> None:
        """Road edge ``u → v``: extends the previous leg when it is on the same road, else a new leg."""
        road = self.road_name[edge]
        if legs and legs[-1].mode == "road" and legs[-1].road == road:
            leg = legs[-1]
            leg.to_name = self.node_name[v]
            leg.minutes += minutes
            leg.km += float(self.road_km[edge])
            leg.path.append(self._xy(v))
            return
        legs.append(Leg("road", self.node_name[u], self.node_name[v], minutes,
                        float(self.road_km[edge]), [self._xy(u), self._xy(v)], road))

    def _add_ferry_legs(self, legs: list[Leg], notes: list[str], u: int, v: int, f: int, t_u: float,
                        t_v: float) -> bool:
        """Ferry ``f`` from ``u`` (reached at ``t_u``) to ``v`` (at ``t_v``): a wait leg if any, then the
        crossing; a note when it waits for the first or catches the last sailing. True if it waits for
        the first sailing."""
        name = self.ferry_name[f]
        crossing = float(self.ferry_crossing[f])
        wait = (t_v - t_u) - crossing
        if wait > 1e-9:
            legs.append(Leg("wait", self.node_name[u], self.node_name[u], wait, 0.0, [self._xy(u)], name))
        legs.append(Leg("ferry", self.node_name[u], self.node_name[v], crossing, float(self.ferry_km[f]),
                        [self._xy(u), self._xy(v)], name))
        if t_u < self.ferry_first[f]:
            notes.append(f"waits {wait:.0f} min for the first {name} sailing at "
                         f"{format_hhmm(self.ferry_first[f])}")
            return True
        if t_u + self.ferry_wait[f] > self.ferry_last[f]:
            notes.append(f"catches the last {name} sailing at {format_hhmm(self.ferry_last[f])}")
        return False

    def _ferry_departure(self, f: int, t: float) -> float:
        """When ferry ``f`` leaves for a traveller at the terminal at ``t``; ``inf`` after the last sailing.

        Before the first sailing: the first sailing. Between the first and the last: after the expected
        wait, but no later than the last sailing (``t + min(wait, last - t)``). Non-decreasing in ``t``.
        """
        first, last = float(self.ferry_first[f]), float(self.ferry_last[f])
        if t > last:
            return math.inf
        return first if t < first else t + min(float(self.ferry_wait[f]), last - t)

    def _xy(self, node: int) -> tuple[float, float]:
        return float(self.node_lon[node]), float(self.node_lat[node])

    def _time_dependent(self, start, o_nodes, o_minutes, d_nodes, d_minutes, timed: bool):
        """Earliest-arrival Dijkstra (label-setting; ferry departures are FIFO, so labels are final).

        Returns arrival minutes per node, predecessor (node, edge) per node and the ferries refused
        because they had stopped for the day. ``timed=False`` ignores sailing times (crossing + wait).
        """
        arrival = np.full(self.n_nodes, np.inf)
        pred: dict[int, tuple[int, int, float]] = {}
        heap: list[tuple[float, int]] = []
        for node, minutes in zip(o_nodes, o_minutes, strict=True):
            t = start + float(minutes)
            if t < arrival[node]:
                arrival[node] = t
                heapq.heappush(heap, (t, int(node)))
        target_extra = dict(zip(d_nodes.tolist(), d_minutes.tolist(), strict=True))
        best_target = math.inf
        rejected: set[int] = set()
        done = np.zeros(self.n_nodes, dtype=bool)
        while heap:
            t, u = heapq.heappop(heap)
            if done[u] or t > arrival[u]:
                continue
            if t >= best_target:
                break  # nothing left can improve the destination
            done[u] = True
            if u in target_extra:
                best_target = min(best_target, t + target_extra[u])
            for v, edge in self._adjacency[u]:
                if done[v]:
                    continue
                if edge >= 0:
                    t_v = t + self.road_minutes[edge]
                else:
                    f = ~edge
                    if timed:
                        departure = self._ferry_departure(f, t)
                        if not math.isfinite(departure):
                            rejected.add(f)
                            continue
                        t_v = departure + self.ferry_crossing[f]
                    else:
                        t_v = t + self.ferry_wait[f] + self.ferry_crossing[f]
                if t_v < arrival[v]:
                    arrival[v] = t_v
                    pred[v] = (u, edge, t)
                    heapq.heappush(heap, (t_v, v))
        return arrival, pred, rejected

    def _explain_route(self, origin, destination, start, o_nodes, o_minutes, d_nodes, d_minutes) -> str:
        """Why no journey exists: replay the untimed quickest path and find the first ferry it misses."""
        arrival, pred, _ = self._time_dependent(start, o_nodes, o_minutes, d_nodes, d_minutes, False)
        target_times = arrival[d_nodes] + d_minutes if len(d_nodes) else np.array([math.inf])
        if not len(d_nodes) or not np.isfinite(target_times.min()):
            return f"no road or ferry link between {origin.name} and {destination.name}"
        end_node = int(d_nodes[int(np.argmin(target_times))])
        steps = _walk_back(pred, arrival, end_node)
        first_node = steps[0][0] if steps else end_node
        t = start + float(o_minutes[int(np.flatnonzero(o_nodes == first_node)[0])])
        for u, _v, edge, _t_u, _t_v in steps:
            if edge >= 0:
                t += self.road_minutes[edge]
                continue
            f = ~edge
            if not math.isfinite(self._ferry_departure(f, t)):
                return (f"the {self.ferry_name[f]} ferry is not sailing: last sailing "
                        f"{format_hhmm(self.ferry_last[f])}, earliest arrival at {self.node_name[u]} "
                        f"{format_hhmm(t)}; no journey to {destination.name} today")
            t = self._ferry_departure(f, t) + self.ferry_crossing[f]
        # Unreachable by the timed search yet the untimed path replays fine: cannot happen (FIFO).
        return f"no journey from {origin.name} to {destination.name} at {format_hhmm(start)}"


def _walk_back(pred: dict[int, tuple[int, int, float]], arrival: np.ndarray, end_node: int):
    """Edges from the first network node to ``end_node`` as (u, v, edge, time at u, time at v).

    A node's predecessor is only ever set together with its (final) arrival label, so the arrival
    times along the chain are the times the journey passes each node.
    """
    steps = []
    v = end_node
    while v in pred:
        u, edge, t_u = pred[v]
        steps.append((u, v, edge, t_u, float(arrival[v])))
        v = u
    steps.reverse()
    return steps


# ----------------------------------------------------------------------------------------------
# vectorised kernels
# ----------------------------------------------------------------------------------------------


def _nearest(distances: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of the k smallest per row, nearest first."""
    if k < distances.shape[1]:
        idx = np.argpartition(distances, k - 1, axis=1)[:, :k]
    else:
        idx = np.broadcast_to(np.arange(distances.shape[1]), distances.shape).copy()
    d = np.take_along_axis(distances, idx, axis=1)
    order = np.argsort(d, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(d, order, axis=1)


def _water_ok(lon0, lat0, lon1, lat1, straight_km, land) -> np.ndarray:
    """True where a straight line has no stretch over water longer than ACCESS_MAX_WATER_KM.

    ``water_run_km`` samples every segment as finely as the longest one needs, so lines are grouped by
    length: a handful of 30 km lines must not make thousands of 1 km lines cost 150 samples each.
    """
    from geodata.land import water_run_km

    ok = np.ones(len(lon0), dtype=bool)
    # Lines shorter than the threshold cannot hold a longer water run.
    need = straight_km > ACCESS_MAX_WATER_KM
    edges = [ACCESS_MAX_WATER_KM, 2.0, 5.0, 12.0, 30.0, np.inf]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        group = np.flatnonzero(need & (straight_km > lo) & (straight_km <= hi))
        if len(group):
            run = water_run_km(lon0[group], lat0[group], lon1[group], lat1[group], land)
            ok[group] = run <= ACCESS_MAX_WATER_KM
    return ok


@dataclass
class _Solved:
    minutes: np.ndarray  # sources-side points × target-side points
    km: np.ndarray
    crossings: np.ndarray
    waits: np.ndarray
    a_nodes: np.ndarray  # network node where the path starts (source side)
    b_nodes: np.ndarray  # network node where it ends (target side)
    predecessors: np.ndarray | None
    row_of: dict[int, int]


# Cells of the (points × points × k) intermediate per block: bounds memory for big symmetric matrices.
_BLOCK_CELLS = 4_000_000


def _solve(graph: _BandGraph, src: _Access, tgt: _Access, n: int, want_predecessors: bool = False) -> _Solved:
    """Best access-node pair for every (source point, target point) on a static band graph."""
    sources = np.unique(src.nodes[np.isfinite(src.minutes)])
    row_of = {int(s): r for r, s in enumerate(sources)}
    dist, pred = dijkstra(graph.graph, directed=True, indices=sources, return_predecessors=True)
    km_tree, ferries_tree, waits_tree = _tree_sums(graph, pred, n)
    pos_all = np.minimum(np.searchsorted(sources, src.nodes), len(sources) - 1)  # point × k → dist row

    n_src, n_tgt = src.nodes.shape[0], tgt.nodes.shape[0]
    k_tgt = tgt.nodes.shape[1]
    per_row = max(n_tgt * k_tgt, src.nodes.shape[1] * n, 1)
    block = max(1, _BLOCK_CELLS // per_row)
    out = {name: [] for name in ("minutes", "km", "crossings", "waits", "a", "b")}
    tgt_km_t = tgt.km.T
    for lo in range(0, n_src, block):
        hi = min(n_src, lo + block)
        nodes, minutes_in, km_in, pos = src.nodes[lo:hi], src.minutes[lo:hi], src.km[lo:hi], pos_all[lo:hi]
        # Minutes from each source point (via its best access node) to every node: (P, k, n) → (P, n).
        via = minutes_in[:, :, None] + dist[pos]
        best_k = np.argmin(via, axis=1)
        to_node = np.take_along_axis(via, best_k[:, None, :], axis=1)[:, 0, :]
        # Add the target side's access legs: (P, Q, k') → (P, Q).
        total = to_node[:, tgt.nodes] + tgt.minutes[None, :, :]
        best_k2 = np.argmin(total, axis=2)
        minutes = np.take_along_axis(total, best_k2[:, :, None], axis=2)[:, :, 0]
        q_idx = np.arange(n_tgt)[None, :]
        b_nodes = tgt.nodes[q_idx, best_k2]
        p_idx = np.arange(hi - lo)[:, None]
        k_src = best_k[p_idx, b_nodes]  # which source access candidate was used
        rows = pos[p_idx, k_src]
        finite = np.isfinite(minutes)
        km = km_in[p_idx, k_src] + km_tree[rows, b_nodes] + tgt_km_t[best_k2, q_idx]
        out["minutes"].append(minutes)
        out["km"].append(np.where(finite, km, np.inf))
        out["crossings"].append(np.where(finite, ferries_tree[rows, b_nodes], 0))
        out["waits"].append((waits_tree[rows, b_nodes] > 0) & finite)
        out["a"].append(nodes[p_idx, k_src])
        out["b"].append(b_nodes)
    stacked = {name: np.concatenate(parts, axis=0) for name, parts in out.items()}
    kept = pred if want_predecessors else None
    return _Solved(stacked["minutes"], stacked["km"], stacked["crossings"], stacked["waits"],
                   stacked["a"], stacked["b"], kept, row_of)


def _tree_sums(graph: _BandGraph, pred: np.ndarray, n: int):
    """Road km, ferry count and first-sailing waits from each Dijkstra root to every node.

    Pointer jumping on the shortest-path trees: each round adds the parent's partial sum and jumps to
    the grandparent, so log2(depth) vectorised rounds replace a Python walk per (root, node) pair.
    """
    s = pred.shape[0]
    cols = np.broadcast_to(np.arange(n), pred.shape)
    parent = np.where(pred < 0, cols, pred).astype(np.int64)
    has_edge = parent != cols
    keys = parent * n + cols
    slot = np.clip(np.searchsorted(graph.keys, keys), 0, max(len(graph.keys) - 1, 0))
    values = np.zeros((3, s, n))
    if len(graph.keys):
        values[0] = np.where(has_edge, graph.km[slot], 0.0)
        values[1] = np.where(has_edge, graph.ferry[slot] >= 0, 0.0)
        values[2] = np.where(has_edge, graph.first_wait[slot], 0.0)
    rows = np.arange(s)[:, None]
    while True:
        grand = parent[rows, parent]
        if np.array_equal(grand, parent):
            break
        values = values + values[:, rows, parent]
        parent = grand
    return values[0], values[1].round().astype(np.int64), values[2]


# ----------------------------------------------------------------------------------------------
# approximate model
# ----------------------------------------------------------------------------------------------


class ApproximateTravel:
    """Great-circle distance × circuity ÷ speed: the fallback for regions without a road network."""

    approximate = True

    def __init__(self, circuity: float = APPROXIMATE_CIRCUITY, speed_kmh: float = APPROXIMATE_SPEED_KMH):
        if circuity < 1 or speed_kmh <= 0:
            raise ValueError(f"circuity must be >= 1 and speed_kmh > 0, got {circuity} and {speed_kmh}")
        self.circuity = float(circuity)
        self.speed_kmh = float(speed_kmh)

    @property
    def note(self) -> str:
        return (f"approximate: great-circle distance × {self.circuity:g} at {self.speed_kmh:g} km/h "
                "(no road or ferry network)")

    def route(self, origin: Location, destination: Location, at_minutes: float | str = 0) -> Journey:
        start = _at_minutes(at_minutes)
        km = float(haversine_km(origin.lon, origin.lat, destination.lon, destination.lat)) * self.circuity
        minutes = km / self.speed_kmh * 60.0
        leg = Leg("road", origin.name, destination.name, minutes, km,
                  [(origin.lon, origin.lat), (destination.lon, destination.lat)])
        return Journey(minutes, STATUS_OK, [leg], [self.note], True, origin.name, destination.name, start)

    def matrix(
        self, origin_lon, origin_lat, dest_lon, dest_lat, band: str | int | TimeBand = "lunch"
    ) -> TravelMatrix:
        label, at = _band_minutes(band)
        o_lon, o_lat = _as_points(origin_lon, origin_lat)
        d_lon, d_lat = _as_points(dest_lon, dest_lat)
        km = pairwise_haversine_km(o_lon, o_lat, d_lon, d_lat) * self.circuity
        shape = km.shape
        return TravelMatrix(
            minutes=km / self.speed_kmh * 60.0,
            km=km,
            ferry_crossings=np.zeros(shape, dtype=np.int64),
            reason=np.full(shape, "", dtype=object),
            approximate=True,
            band=label,
            at_minutes=at,
            waits_for_first_sailing=np.zeros(shape, dtype=bool),
            origin_fallback=np.zeros(len(o_lon), dtype=bool),
            dest_fallback=np.zeros(len(d_lon), dtype=bool),
            origin_far=np.zeros(len(o_lon), dtype=bool),
            dest_far=np.zeros(len(d_lon), dtype=bool),
        )


# ----------------------------------------------------------------------------------------------
# place names
# ----------------------------------------------------------------------------------------------

_LAT_LON = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d+(?:\.\d+)?)\s*$")


def normalise_name(text: str) -> str:
    """Case, accent, apostrophe and punctuation-insensitive key: "Hunter's Quay" → "hunters quay"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’‘`´]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


class _PlaceResolver:
    def __init__(self, places: pd.DataFrame):
        table = pd.DataFrame(places).copy()
        table["place_id"] = table["place_id"].astype(str)
        table["name"] = table["name"].astype(str)
        # Several places may share a name (e.g. a village and its ferry terminal): prefer in-region,
        # then the most populous, then the first listed.
        in_region = table["in_region"] if "in_region" in table else pd.Series(True, index=table.index)
        in_region = in_region.astype(str).str.lower().isin({"yes", "true", "1"})
        population = table["population"] if "population" in table else pd.Series(0, index=table.index)
        table["_outside"] = ~in_region
        table["_population"] = pd.to_numeric(population, errors="coerce").fillna(0)
        table = table.sort_values(["_outside", "_population"], ascending=[True, False], kind="stable")
        self.by_key: dict[str, pd.Series] = {}
        for _, row in table.iterrows():
            for key in (normalise_name(row["name"]), normalise_name(row["place_id"])):
                self.by_key.setdefault(key, row)
        self.display = {normalise_name(n): n for n in table["name"]}
        # An island's name ("Tiree", "Mull") stands for its most populous place, unless a place has it.
        if "island" in table:
            for _, row in table.iterrows():
                island = normalise_name(row["island"])
                if island and island != "mainland" and island not in self.by_key:
                    self.by_key[island] = row
                    self.display.setdefault(island, str(row["island"]).replace("_", " ").title())
        lon = pd.to_numeric(table["lon"], errors="coerce")
        lat = pd.to_numeric(table["lat"], errors="coerce")
        self.bbox = (lon.min(), lat.min(), lon.max(), lat.max())

    def resolve(self, text: str) -> Location:
        text = str(text).strip()
        match = _LAT_LON.match(text)
        if match:
            return self._point(text, float(match.group(1)), float(match.group(2)))
        row = self.by_key.get(normalise_name(text))
        if row is None:
            keys = list(self.display)
            near = difflib.get_close_matches(normalise_name(text), keys, n=5, cutoff=0.5)
            raise UnknownPlaceError(text, [self.display[k] for k in near])
        return Location(str(row["name"]), float(row["lon"]), float(row["lat"]), str(row["place_id"]))

    def _point(self, text: str, lat: float, lon: float) -> Location:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise CoordinatesError(
                f"coordinates {text!r} are out of range: write 'lat,lon' in decimal degrees with latitude "
                "-90..90 and longitude -180..180 (e.g. '56.415,-5.472')"
            )
        min_lon, min_lat, max_lon, max_lat = self.bbox
        margin = 1.0  # degrees: generous, the point only needs to be near the region

        def near(la, lo):
            return min_lat - margin <= la <= max_lat + margin and min_lon - margin <= lo <= max_lon + margin

        if not near(lat, lon):
            hint = " (did you write lon,lat? the order is lat,lon)" if near(lon, lat) else ""
            raise CoordinatesError(
                f"coordinates {text!r} are outside the region (latitude {min_lat:.2f}..{max_lat:.2f}, "
                f"longitude {min_lon:.2f}..{max_lon:.2f}){hint}"
            )
        return Location(f"{lat:.5f},{lon:.5f}", lon, lat, None)


def resolve_location(text: str, places) -> Location:
    """A place name or place_id (case/accent/apostrophe-insensitive) or ``lat,lon`` → :class:`Location`.

    ``places`` is the places table (DataFrame or records) or a :class:`TravelNetwork`. Unknown names raise
    :class:`UnknownPlaceError` with up to 5 similar names; bad coordinates raise
    :class:`CoordinatesError` saying what is wrong.
    """
    if isinstance(places, TravelNetwork):
        return places.resolve(text)
    return _PlaceResolver(pd.DataFrame(places)).resolve(text)
