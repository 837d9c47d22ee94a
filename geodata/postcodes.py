"""UK postcodes: normalise them and look them up in a postcode file the user supplies.

Two public layouts are read, told apart by their first line:

* the ONS Postcode Directory (ONSPD) CSV: a header naming ``pcd``/``pcd2``/``pcds`` (or ``pcd7``/``pcd8``),
  ``doterm`` (the month a postcode was terminated, empty while it is live) and ``lat``/``long`` (WGS84) or
  ``oseast1m``/``osnrth1m`` (British National Grid metres);
* OS Code-Point Open: no header (or the documented one), ``Postcode, Positional_quality_indicator, Eastings,
  Northings, ...`` in British National Grid (EPSG:27700) metres; it lists live postcodes only.

A lookup may be one CSV file or a folder of them (Code-Point Open and ONSPD's "multi_csv" ship one file per
postcode area). Only the postcodes asked for are kept (a whole directory is 2.7 million rows), and what was
read is cached per file, so one run reads each file once per postcode area.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geodata.errors import GeodataError

# A UK postcode without its space: outward code (area letters, district), inward code (digit, two letters).
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_ONSPD_POSTCODE = ("pcds", "pcd", "pcd2", "pcd7", "pcd8")  # any of them: spaces are ignored
_ONSPD_BNG = (("oseast1m", "osnrth1m"), ("east1m", "north1m"))
_ONSPD_NO_LAT = 99.0  # ONSPD writes lat 99.999999, long 0 for a postcode without a grid reference
_CODEPOINT_NO_COORDINATES = "90"  # Positional_quality_indicator: no coordinates
_CHUNK_ROWS = 250_000


class PostcodeLookupError(GeodataError):
    """The postcode lookup file cannot be read; ``fix`` says what to do."""

    def __init__(self, path: Path, message: str, fix: str):
        self.path, self.fix = path, fix
        super().__init__(f"{path}: {message}. Fix: {fix}")


def postcode_key(text: str) -> str | None:
    """The postcode in upper case without spaces (``"pa344ab"`` and ``"PA34 4AB"`` → ``"PA344AB"``), or
    ``None`` when the text does not have the shape of a UK postcode."""
    key = re.sub(r"\s+", "", str(text)).upper()
    return key if _POSTCODE.match(key) else None


def postcode_text(key: str) -> str:
    """The postcode as written on letters: ``"PA344AB"`` → ``"PA34 4AB"``."""
    return f"{key[:-3]} {key[-3:]}"


@dataclass(frozen=True)
class PostcodeEntry:
    """One postcode of the lookup: its centre in WGS84 (``None`` when the file gives none) and, for a
    terminated postcode, the month it was terminated (ONSPD ``doterm``, e.g. ``"201903"``)."""

    postcode: str
    lon: float | None
    lat: float | None
    terminated: str | None = None


@dataclass
class _FileCache:
    stamp: tuple[int, int]
    prefixes: set[str] = field(default_factory=set)
    entries: dict[str, PostcodeEntry] = field(default_factory=dict)


_CACHE: dict[Path, _FileCache] = {}


def lookup_files(path: Path) -> list[Path]:
    """The CSV files of a lookup: the file itself, or every ``*.csv`` of a folder (sorted)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        if not files:
            raise PostcodeLookupError(
                path,
                "the folder has no .csv files",
                "name the ONSPD or Code-Point Open CSV file, or its folder",
            )
        return files
    if not path.is_file():
        raise PostcodeLookupError(
            path,
            "the postcode lookup file does not exist",
            "check the path (relative paths start at the data folder)",
        )
    return [path]


def look_up(path: Path, postcodes: Iterable[str]) -> dict[str, PostcodeEntry]:
    """``{key: entry}`` for the postcode keys (see :func:`postcode_key`) found in the lookup at ``path``;
    keys absent from the result are not in the lookup. Raises :class:`PostcodeLookupError`."""
    wanted = {k for k in postcodes if k}
    found: dict[str, PostcodeEntry] = {}
    for file in lookup_files(path):
        cache = _cached(file)
        prefixes = {k[:2] for k in wanted} - cache.prefixes
        if prefixes:
            _read_file(file, prefixes, cache)
        found.update({k: cache.entries[k] for k in wanted if k in cache.entries and k not in found})
    return found


def _cached(file: Path) -> _FileCache:
    stat = file.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    key = file.resolve()
    if key not in _CACHE or _CACHE[key].stamp != stamp:
        _CACHE[key] = _FileCache(stamp)
    return _CACHE[key]


def _first_row(file: Path) -> list[str]:
    try:
        with open(file, encoding="utf-8-sig", errors="replace", newline="") as handle:
            return next(csv.reader(handle), [])
    except (OSError, csv.Error) as error:
        raise PostcodeLookupError(
            file,
            f"the file cannot be read as CSV ({error})",
            "give the ONSPD or Code-Point Open CSV file as downloaded",
        ) from error


def _layout(file: Path) -> tuple[str, int, dict[str, int]]:
    """``("onspd" | "codepoint", header lines to skip, {field: column position})`` from the first line."""
    first = _first_row(file)
    names = [c.strip().lower() for c in first]
    pc = next((n for n in _ONSPD_POSTCODE if n in names), None)
    if pc is not None:
        cols = {"postcode": names.index(pc)}
        if "lat" in names and "long" in names:
            cols |= {"lat": names.index("lat"), "lon": names.index("long")}
        else:
            east, north = next(((e, n) for e, n in _ONSPD_BNG if e in names and n in names), (None, None))
            if east is None:
                raise PostcodeLookupError(
                    file,
                    "the ONSPD header has no lat/long or oseast1m/osnrth1m",
                    "use the full ONSPD CSV, which has them",
                )
            cols |= {"east": names.index(east), "north": names.index(north)}
        if "doterm" in names:
            cols["doterm"] = names.index("doterm")
        return "onspd", 1, cols
    if {"postcode", "eastings", "northings"} <= set(names):
        cols = {
            "postcode": names.index("postcode"),
            "east": names.index("eastings"),
            "north": names.index("northings"),
        }
        if "positional_quality_indicator" in names:
            cols["quality"] = names.index("positional_quality_indicator")
        return "codepoint", 1, cols
    if names[:4] == ["pc", "pq", "ea", "no"]:  # Code-Point Open's own short column headers
        return "codepoint", 1, {"postcode": 0, "quality": 1, "east": 2, "north": 3}
    if len(first) >= 4 and postcode_key(first[0]) and all(_is_number(c) for c in first[1:4]):
        return "codepoint", 0, {"postcode": 0, "quality": 1, "east": 2, "north": 3}
    raise PostcodeLookupError(
        file,
        f"the first line ({', '.join(first[:5])}{', ...' if len(first) > 5 else ''}) is neither an ONS "
        "Postcode Directory header (pcd, pcds, doterm, lat, long, ...) nor a Code-Point Open row (postcode, "
        "quality, eastings, northings, ...)",
        "give the ONSPD CSV (with its header) or a Code-Point Open CSV (e.g. Data/CSV/pa.csv) as downloaded",
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_file(file: Path, prefixes: set[str], cache: _FileCache) -> None:
    """Add to ``cache`` every postcode of ``file`` whose key starts with one of ``prefixes``."""
    import pandas as pd

    layout, skip, cols = _layout(file)
    try:
        chunks = pd.read_csv(
            file,
            header=None,
            skiprows=skip,
            usecols=sorted(set(cols.values())),
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            encoding_errors="replace",
            chunksize=_CHUNK_ROWS,
        )
        for chunk in chunks:
            frame = pd.DataFrame({name: chunk[position] for name, position in cols.items()})
            keys = frame["postcode"].str.replace(r"\s+", "", regex=True).str.upper()
            keep = keys.str[:2].isin(prefixes).to_numpy()
            if keep.any():
                _add(frame[keep], keys[keep], cache)
    except (ValueError, pd.errors.ParserError, OSError) as error:
        raise PostcodeLookupError(
            file,
            f"the file cannot be read as {_NAMES[layout]} CSV ({error})",
            "give the file as downloaded, not edited in a spreadsheet",
        ) from error
    cache.prefixes |= prefixes


_NAMES = {"onspd": "ONS Postcode Directory", "codepoint": "Code-Point Open"}


def _add(frame, keys, cache: _FileCache) -> None:
    import pandas as pd

    if "lat" in frame:
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float, copy=True)
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float, copy=True)
        lat[lat > _ONSPD_NO_LAT] = np.nan
    else:
        east = pd.to_numeric(frame["east"], errors="coerce").to_numpy(float, copy=True)
        north = pd.to_numeric(frame["north"], errors="coerce").to_numpy(float, copy=True)
        bad = ~((east > 0) & (north > 0))
        if "quality" in frame:
            bad |= (frame["quality"].str.strip() == _CODEPOINT_NO_COORDINATES).to_numpy()
        east[bad], north[bad] = np.nan, np.nan
        lon, lat = bng_to_wgs84(east, north)
    doterm = frame["doterm"].str.strip().to_numpy() if "doterm" in frame else [""] * len(frame)
    for key, x, y, term in zip(keys, lon, lat, doterm, strict=True):
        if key in cache.entries or not _POSTCODE.match(key):
            continue
        located = bool(np.isfinite(x) and np.isfinite(y))
        cache.entries[key] = PostcodeEntry(
            postcode_text(key), float(x) if located else None, float(y) if located else None, term or None
        )


def bng_to_wgs84(east, north) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid (EPSG:27700) metres → ``(lon, lat)`` WGS84 degrees (NaN stays NaN)."""
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(np.asarray(east, float), np.asarray(north, float))
    return np.asarray(lon, float), np.asarray(lat, float)
