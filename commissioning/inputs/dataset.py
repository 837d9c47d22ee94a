"""``dataset.json``: the dataset folder's metadata (embedded region, travel model), checked."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from commissioning.errors import Problem
from commissioning.inputs.schema import DATASET_FILE
from commissioning.vocabulary import TRAVEL_MODELS
from geodata.regions import REGIONS

MAX_DATASET_BYTES = 1_000_000  # dataset.json is a few lines of metadata; anything bigger is the wrong file


def read_dataset(folder: Path, problems: list[Problem]) -> tuple[dict[str, Any], str]:
    """``(dataset, travel_model)``. Without ``dataset.json``: no region, approximate travel.

    On any error ``({}, "approximate")``: callers may use the dataset as a dict whatever the file holds."""
    path = folder / DATASET_FILE
    if not (path.is_file() or path.is_dir()):
        return {}, "approximate"
    doc = _dataset_document(path, problems)
    if doc is None:
        return {}, "approximate"
    region = doc.get("region")
    region_ok = _check_region(region, problems)
    default_model = "network" if isinstance(region, str) and region else "approximate"
    model = doc.get("travel_model", default_model)
    if model not in TRAVEL_MODELS:
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                "travel_model",
                model,
                f"'travel_model' must be one of {', '.join(TRAVEL_MODELS)}",
                'write "travel_model": "network" (embedded region) or "approximate"',
            )
        )
        model = "approximate"
    elif model == "network" and region_ok and region is None:
        problems.append(
            Problem(
                DATASET_FILE,
                None,
                "travel_model",
                model,
                "'travel_model' is 'network' but there is no region, so there is no road network to use",
                'write "travel_model": "approximate" (great-circle estimates), or name an embedded region',
            )
        )
    return doc, model


def _dataset_document(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """The JSON object in dataset.json, or ``None`` after recording why not."""

    def bad(message: str, fix: str) -> None:
        problems.append(Problem(DATASET_FILE, None, None, None, message, fix))

    if path.is_dir():  # read as absent, it would silently drop the region and its road network
        return bad(
            "dataset.json is a folder, where the dataset's metadata file is expected",
            "replace the folder with the dataset.json file, or delete the folder (dataset.json is optional)",
        )
    if path.stat().st_size > MAX_DATASET_BYTES:
        return bad(
            f"the file is larger than {MAX_DATASET_BYTES // 1_000_000} MB: it is not scenario metadata",
            "check that it is the right file, or delete dataset.json (it is optional)",
        )
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        return bad(f"the file is not UTF-8 text ({error.reason})", "save it as UTF-8 text")
    except json.JSONDecodeError as error:
        return bad(
            f"the file is not valid JSON: {error.msg} at line {error.lineno}, character {error.colno}",
            "correct the JSON, or delete dataset.json (it is optional)",
        )
    except RecursionError:
        return bad("the file nests JSON too deeply to read", "correct the JSON, or delete dataset.json")
    if not isinstance(doc, dict):
        return bad(
            f"the file must hold one JSON object ({{...}}), not {_json_kind(doc)}",
            'write e.g. {"region": null, "travel_model": "approximate"}, or delete the file',
        )
    return doc


def _json_kind(doc: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "true/false", int: "a number", float: "a number"}
    return "null" if doc is None else kinds.get(type(doc), type(doc).__name__)


def _check_region(region: object, problems: list[Problem]) -> bool:
    """True if ``region`` is null or an embedded region; else an error naming the known ones.

    An unknown name used to be read as "no region" and silently given great-circle travel."""
    if region is None or (isinstance(region, str) and region in REGIONS):
        return True
    names = sorted(REGIONS)
    known = ", ".join(f'"{name}"' for name in names)
    close = (
        difflib.get_close_matches(region.lower(), names, n=1, cutoff=0.6) if isinstance(region, str) else []
    )
    problems.append(
        Problem(
            DATASET_FILE,
            None,
            "region",
            region,
            f"'region' must be one of the embedded regions ({known}) or null",
            (f'did you mean "{close[0]}"? ' if close else "")
            + f'write "region": "{names[0]}" for an embedded region, or "region": null for your own '
            "geography (travel is then approximate: great-circle distance)",
        )
    )
    return False


def embedded_land(dataset: dict[str, Any]) -> BaseGeometry | None:
    """The embedded region's land (the same polygons ``run`` uses), or ``None`` without a known region."""
    region = dataset.get("region")
    if not isinstance(region, str) or region not in REGIONS:
        return None
    from geodata.land import land_geometry

    return land_geometry(REGIONS[region][1])
