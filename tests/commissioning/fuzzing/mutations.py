"""Mutations of a folder's files: one :class:`Mutation` is a kind, a target file and plain arguments.

Rows and columns are given as any whole number and taken modulo the table's size when applied, so a
mutation is a small literal that replays on any copy of the same base (``Mutation("set_cell", "clients",
(3, "weekly_hours", "1e308"))``). :meth:`Mutation.apply` returns what it did in words (the reproduction
printed with a failure), or ``"skipped <kind>(<target>): why"`` when the target is gone (an earlier
mutation deleted it) or unreadable.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.commissioning.fuzzing.datasets import read_rows, table_file, write_rows

# Long values are written as these words in a mutation and expanded when it is applied: the mutation stays a
# short literal that reads well in a failure report and replays exactly.
EXPANSIONS = {
    "<deep-nesting>": "[" * 100_000,  # json.loads raises RecursionError, not ValueError
    "<long-text>": "x" * 5000,
    "<long-number>": "9" * 400,
}


def expand(value: object) -> object:
    if isinstance(value, str):
        for word, text in EXPANSIONS.items():
            value = value.replace(word, text)
    return value


@dataclass(frozen=True)
class Mutation:
    kind: str
    target: str
    args: tuple = ()

    def apply(self, folder: Path) -> str:
        return APPLIERS[self.kind](folder, self.target, *map(expand, self.args))

    def __str__(self) -> str:
        args = "".join(f", {a!r}" for a in self.args)
        return f"{self.kind}({self.target}{args})"

    def to_json(self) -> list:
        return [self.kind, self.target, list(self.args)]

    @classmethod
    def from_json(cls, item: list) -> Mutation:
        kind, target, args = item
        return cls(kind, target, tuple(tuple(a) if isinstance(a, list) else a for a in args))


class Skip(Exception):
    """The mutation has nothing to act on (file deleted, table unreadable, no data rows)."""


def _skipping(apply: Callable[..., str]) -> Callable[..., str]:
    def wrapper(folder: Path, target: str, *args) -> str:
        try:
            return apply(folder, target, *args)
        except Skip as why:
            return f"skipped {apply.__name__}({target}): {why}"

    wrapper.__name__ = apply.__name__
    return wrapper


# ----------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------


def _load_table(folder: Path, target: str) -> tuple[Path, list[list[object]]]:
    path = table_file(folder, target)
    if path is None:
        raise Skip("no such table")
    try:
        rows = read_rows(path)
    except (ValueError, OSError) as error:
        raise Skip(f"unreadable ({error})") from error
    if not rows:
        raise Skip("no header")
    return path, rows


def _data_row(rows: list, row: int) -> int:
    if len(rows) < 2:
        raise Skip("no data rows")
    return 1 + row % (len(rows) - 1)


def _column(header: list, column: int | str) -> int:
    if isinstance(column, int):
        return column % len(header)
    names = [str(h or "").strip().lower() for h in header]
    if column.lower() not in names:
        raise Skip(f"no column {column!r}")
    return names.index(column.lower())


def _padded(row: list, width: int) -> list:
    return list(row) + [""] * (width - len(row))


def set_cell(folder: Path, target: str, row: int, column: int | str, value: str) -> str:
    path, rows = _load_table(folder, target)
    r, c = _data_row(rows, row), _column(rows[0], column)
    rows[r] = _padded(rows[r], c + 1)
    rows[r][c] = value
    write_rows(path, rows)
    return f"{path.name} row {r + 1} column {rows[0][c]!r} = {value!r}"


def set_header(folder: Path, target: str, column: int | str, value: str) -> str:
    path, rows = _load_table(folder, target)
    c = _column(rows[0], column)
    old, rows[0][c] = rows[0][c], value
    write_rows(path, rows)
    return f"{path.name} header {old!r} renamed {value!r}"


def delete_row(folder: Path, target: str, row: int) -> str:
    path, rows = _load_table(folder, target)
    r = _data_row(rows, row)
    del rows[r]
    write_rows(path, rows)
    return f"{path.name} row {r + 1} deleted"


def duplicate_row(folder: Path, target: str, row: int) -> str:
    path, rows = _load_table(folder, target)
    r = _data_row(rows, row)
    rows.append(list(rows[r]))
    write_rows(path, rows)
    return f"{path.name} row {r + 1} copied to row {len(rows)}"


def insert_blank_row(folder: Path, target: str, row: int) -> str:
    path, rows = _load_table(folder, target)
    r = 1 + row % len(rows)
    rows.insert(r, [""] * len(rows[0]))
    write_rows(path, rows)
    return f"{path.name} blank row inserted as row {r + 1}"


def drop_column(folder: Path, target: str, column: int | str) -> str:
    path, rows = _load_table(folder, target)
    c = _column(rows[0], column)
    name = rows[0][c]
    write_rows(path, [r[:c] + r[c + 1 :] for r in rows])
    return f"{path.name} column {name!r} dropped"


def add_column(folder: Path, target: str, name: str, value: str) -> str:
    path, rows = _load_table(folder, target)
    width = len(rows[0])
    write_rows(path, [rows[0] + [name]] + [_padded(r, width) + [value] for r in rows[1:]])
    return f"{path.name} column {name!r} added, every cell {value!r}"


def shuffle_columns(folder: Path, target: str, seed: int) -> str:
    path, rows = _load_table(folder, target)
    order = list(range(len(rows[0])))
    random.Random(seed).shuffle(order)
    write_rows(path, [[_padded(r, len(order))[k] for k in order] for r in rows])
    return f"{path.name} columns reordered {[rows[0][k] for k in order]}"


def header_only(folder: Path, target: str) -> str:
    path, rows = _load_table(folder, target)
    write_rows(path, rows[:1])
    return f"{path.name}: every data row deleted"


# ----------------------------------------------------------------------------------------------------
# Files as bytes
# ----------------------------------------------------------------------------------------------------


def _existing(folder: Path, target: str) -> Path:
    path = table_file(folder, target)
    if path is None:
        raise Skip("no such file")
    return path


def empty_file(folder: Path, target: str) -> str:
    path = _existing(folder, target)
    path.write_bytes(b"")
    return f"{path.name} emptied (0 bytes)"


def truncate_file(folder: Path, target: str, fraction: float) -> str:
    path = _existing(folder, target)
    raw = path.read_bytes()
    cut = int(len(raw) * min(max(fraction, 0.0), 1.0))
    path.write_bytes(raw[:cut])
    return f"{path.name} cut after byte {cut} of {len(raw)}"


def delete_file(folder: Path, target: str) -> str:
    path = _existing(folder, target)
    path.unlink()
    return f"{path.name} deleted"


def insert_bytes(folder: Path, target: str, fraction: float, data: str) -> str:
    """``data`` holds code points 0-255, written as those bytes (not UTF-8: that is the point)."""
    path = _existing(folder, target)
    raw = path.read_bytes()
    at = int(len(raw) * min(max(fraction, 0.0), 1.0))
    path.write_bytes(raw[:at] + data.encode("latin-1") + raw[at:])
    return f"{path.name}: bytes {data.encode('latin-1')!r} inserted at byte {at}"


def reencode(folder: Path, target: str, encoding: str) -> str:
    path = _existing(folder, target)
    try:
        text = path.read_bytes().decode("utf-8")
        path.write_bytes(text.encode(encoding, errors="replace"))
    except UnicodeDecodeError as error:
        raise Skip("not UTF-8 already") from error
    return f"{path.name} saved as {encoding}"


def write_text(folder: Path, target: str, text: str) -> str:
    path = folder / target
    if path.is_dir():
        raise Skip("a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return f"{target} = {text[:80]!r}" + (f"... ({len(text)} characters)" if len(text) > 80 else "")


# ----------------------------------------------------------------------------------------------------
# JSON documents (dataset.json, the exported instance, kpis.json)
# ----------------------------------------------------------------------------------------------------


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, RecursionError) as error:
        raise Skip("not JSON") from error


def _dump_json(path: Path, doc: object) -> None:
    # allow_nan: NaN and Infinity written as bare words, as some tools do (not valid JSON: that is the point)
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")


def _walk(doc: object, path: tuple) -> tuple[object, object]:
    """``(container, key)`` of the last step of ``path``; list indices taken modulo the length."""
    node, key = doc, None
    for k, step in enumerate(path):
        if isinstance(node, dict) and isinstance(step, str):
            key = step
        elif isinstance(node, list) and isinstance(step, int) and node:
            key = step % len(node)
        else:
            raise Skip(f"no {path[: k + 1]}")
        if k < len(path) - 1:
            if isinstance(node, dict) and key not in node:
                raise Skip(f"no {path[: k + 1]}")
            node = node[key]
    return node, key


def json_set(folder: Path, target: str, path: tuple, value: object) -> str:
    file = _existing(folder, target)
    doc = _load_json(file)
    node, key = _walk(doc, tuple(path))
    node[key] = value
    _dump_json(file, doc)
    return f"{file.name}{''.join(f'[{p!r}]' for p in path)} = {_short(value)}"


def json_delete(folder: Path, target: str, path: tuple) -> str:
    file = _existing(folder, target)
    doc = _load_json(file)
    node, key = _walk(doc, tuple(path))
    if isinstance(node, dict) and key not in node:
        raise Skip(f"no {path}")
    del node[key]
    _dump_json(file, doc)
    return f"{file.name}{''.join(f'[{p!r}]' for p in path)} deleted"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:80]}... ({len(text)} characters)"


# ----------------------------------------------------------------------------------------------------
# zones.geojson
# ----------------------------------------------------------------------------------------------------


def _features(folder: Path, target: str) -> tuple[Path, dict, list]:
    path = _existing(folder, target)
    doc = _load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list) or not doc["features"]:
        raise Skip("no features")
    return path, doc, doc["features"]


def _feature(features: list, row: int) -> tuple[int, dict]:
    k = row % len(features)
    if not isinstance(features[k], dict):
        raise Skip(f"feature {k + 1} is not an object")
    return k, features[k]


def _ring(geometry: object) -> list:
    """The first ring of a Polygon or MultiPolygon, as a list of [lon, lat]."""
    try:
        coords = geometry["coordinates"]
        ring = coords[0][0] if geometry["type"] == "MultiPolygon" else coords[0]
        _bbox(ring)
    except (TypeError, KeyError, IndexError, ValueError) as error:
        raise Skip("no polygon ring of numbers") from error
    return ring


def _bbox(ring: list) -> tuple[float, float, float, float]:
    xs, ys = [float(p[0]) for p in ring], [float(p[1]) for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _box(x0: float, y0: float, x1: float, y1: float) -> list:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def _geometry(kind: str, ring: list) -> object:
    """A replacement geometry. Most keep the zone's bounding box, so the land clip the checks cut to the
    zones' bounds stays cached (a new bounding box costs ~12 s of clipping the world's coastline)."""
    x0, y0, x1, y1 = _bbox(ring)
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    bowtie = [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]
    spike = [[x0, y0], [xm, y0], [xm, y1], [xm, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    with_nan = [[math.nan, math.nan]] + ring[1:-1] + [[math.nan, math.nan]]
    shapes = {
        "point": {"type": "MultiPoint", "coordinates": [[x0, y0], [x1, y1]]},
        "line": {"type": "LineString", "coordinates": [[x0, y0], [x1, y1]]},
        "null": None,
        "string": "POLYGON((0 0, 1 0, 1 1, 0 0))",
        "empty": {"type": "Polygon", "coordinates": []},
        "empty_ring": {"type": "Polygon", "coordinates": [[]]},
        "bowtie": {"type": "Polygon", "coordinates": [bowtie]},
        "spike": {"type": "Polygon", "coordinates": [spike]},
        "flat": {"type": "Polygon", "coordinates": [[[x0, y0], [xm, ym], [x1, y1], [x0, y0]]]},
        "two_points": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1]]]},
        "unclosed": {"type": "Polygon", "coordinates": [ring[:-1]]},
        "hole_outside": {"type": "Polygon", "coordinates": [_box(x0, y0, xm, ym), _box(xm, ym, x1, y1)]},
        "nan_vertex": {"type": "Polygon", "coordinates": [with_nan]},
        "inf_vertex": {"type": "Polygon", "coordinates": [[[math.inf, y0]] + ring[1:-1] + [[math.inf, y0]]]},
        "huge_vertex": {"type": "Polygon", "coordinates": [[[1e308, 1e308]] + ring[1:]]},
        "text_vertex": {"type": "Polygon", "coordinates": [[["a", "b"]] + ring[1:]]},
        "three_d": {"type": "Polygon", "coordinates": [[[*p, 1e308] for p in ring]]},
        "world": {"type": "Polygon", "coordinates": [_box(-180.0, -90.0, 180.0, 90.0)]},
        "collection": {
            "type": "GeometryCollection",
            "geometries": [{"type": "Polygon", "coordinates": [ring]}],
        },
        "unknown_type": {"type": "Hexagon", "coordinates": [ring]},
    }
    return shapes[kind]


GEOMETRY_KINDS = (
    "point", "line", "null", "string", "empty", "empty_ring", "bowtie", "spike", "flat", "two_points",
    "unclosed", "hole_outside", "nan_vertex", "inf_vertex", "huge_vertex", "text_vertex", "three_d", "world",
    "collection", "unknown_type",
)  # fmt: skip


def zone_geometry(folder: Path, target: str, row: int, kind: str) -> str:
    path, doc, features = _features(folder, target)
    k, feature = _feature(features, row)
    feature["geometry"] = _geometry(kind, _ring(feature.get("geometry")))
    _dump_json(path, doc)
    return f"{path.name} feature {k + 1}: geometry replaced by a {kind} geometry"


def zone_property(folder: Path, target: str, row: int, name: str, value: object) -> str:
    path, doc, features = _features(folder, target)
    k, feature = _feature(features, row)
    if not isinstance(feature.get("properties"), dict):
        raise Skip("no properties")
    feature["properties"][name] = value
    _dump_json(path, doc)
    return f"{path.name} feature {k + 1}: property {name!r} = {_short(value)}"


def delete_zone_property(folder: Path, target: str, row: int, name: str) -> str:
    path, doc, features = _features(folder, target)
    k, feature = _feature(features, row)
    if not isinstance(feature.get("properties"), dict) or name not in feature["properties"]:
        raise Skip(f"no property {name!r}")
    del feature["properties"][name]
    _dump_json(path, doc)
    return f"{path.name} feature {k + 1}: property {name!r} deleted"


def delete_feature(folder: Path, target: str, row: int) -> str:
    path, doc, features = _features(folder, target)
    k = row % len(features)
    del features[k]
    _dump_json(path, doc)
    return f"{path.name} feature {k + 1} deleted"


def duplicate_feature(folder: Path, target: str, row: int) -> str:
    path, doc, features = _features(folder, target)
    k = row % len(features)
    features.append(json.loads(json.dumps(features[k])))
    _dump_json(path, doc)
    return f"{path.name} feature {k + 1} copied to feature {len(features)}"


def zones_document(folder: Path, target: str, kind: str) -> str:
    path, doc, features = _features(folder, target)
    documents = {
        "list": features,
        "object": {},
        "no_features": {"type": "FeatureCollection"},
        "features_null": {"type": "FeatureCollection", "features": None},
        "features_empty": {"type": "FeatureCollection", "features": []},
        "feature_strings": {"type": "FeatureCollection", "features": ["zone"] * 3},
        "crs_unknown": {**doc, "crs": {"type": "name", "properties": {"name": "EPSG:999999"}}},
        "crs_british_grid": {**doc, "crs": {"type": "name", "properties": {"name": "EPSG:27700"}}},
        "crs_text": {**doc, "crs": "EPSG:4326"},
        "one_feature": {**doc, "features": features[:1]},
        "feature_type": {"type": "Feature", **features[0]} if isinstance(features[0], dict) else {},
    }
    _dump_json(path, documents[kind])
    return f"{path.name} replaced by a {kind} document"


ZONES_DOCUMENT_KINDS = (
    "list", "object", "no_features", "features_null", "features_empty", "feature_strings", "crs_unknown",
    "crs_british_grid", "crs_text", "one_feature", "feature_type",
)  # fmt: skip


APPLIERS: dict[str, Callable[..., str]] = {
    f.__name__: _skipping(f)
    for f in (
        set_cell, set_header, delete_row, duplicate_row, insert_blank_row, drop_column, add_column,
        shuffle_columns, header_only, empty_file, truncate_file, delete_file, insert_bytes, reencode,
        write_text, json_set, json_delete, zone_geometry, zone_property, delete_zone_property, delete_feature,
        duplicate_feature, zones_document,
    )
}  # fmt: skip


def apply_all(folder: Path, mutations) -> list[str]:
    """Apply in order; the words of each (the reproduction)."""
    return [m.apply(folder) for m in mutations]
