"""The typed domain objects, dataset.json, and robustness against any cell text."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commissioning.errors import Problem
from commissioning.inputs.domain import Client, Provider
from commissioning.inputs.folder import check_dataset, load_dataset
from tests.commissioning.helpers import VALID, copy_valid, read_rows, set_cell


def test_domain_objects_are_typed_and_frozen():
    data = load_dataset(VALID, check_geography=False)
    c = data.clients[0]
    assert c == Client(
        client_id="C001",
        lon=-5.466,
        lat=56.41,
        zone="oban",
        weekly_hours=7.5,
        visits_per_week=14,
        carers_per_visit=1,
        time_bands=("morning", "bed"),
        needs=("personal_care", "medication"),
        funder="council",
        current_provider="P01",
        pinned=False,
    )
    assert data.clients[4].current_provider is None and data.clients[7].needs == ()
    assert data.clients[1].pinned is True
    p3 = data.provider_by_id["P03"]
    assert isinstance(p3, Provider) and p3.min_viable_hours == 0.0 and p3.max_weekly_hours == 900.0
    assert data.provider_by_id["P02"].max_weekly_hours is None
    assert data.pools[0].members == ("P01", "P02") and data.pools[0].zones == ("mull",)
    assert data.hubs[1].carers == 7 and data.hubs_for("P02") == (data.hubs[1],)
    assert data.zone_by_id["oban"].locality == "Oban, Lorn and the Isles"
    assert data.zone_by_id["oban"].geometry.geom_type == "Polygon"
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.weekly_hours = 1.0


def test_dataset_json_gives_region_and_travel_model(tmp_path):
    folder = copy_valid(tmp_path)
    (folder / "dataset.json").write_text(json.dumps({"region": "argyll-bute", "seed": 1}))
    data = load_dataset(folder, check_geography=False)
    assert data.region == "argyll-bute" and data.travel_model == "network" and data.dataset["seed"] == 1
    (folder / "dataset.json").unlink()
    data = load_dataset(folder, check_geography=False)
    assert data.dataset == {} and data.travel_model == "approximate"


def test_yes_no_words_and_case(tmp_path):
    folder = copy_valid(tmp_path)
    for row, word in ((2, "TRUE"), (3, "0"), (4, "Yes"), (5, "")):
        set_cell(folder, "clients.csv", row, "pinned", word)
    set_cell(folder, "clients.csv", 2, "funder", "NHS")
    data = load_dataset(folder, check_geography=False)
    assert [c.pinned for c in data.clients[:4]] == [True, False, True, False]
    assert data.clients[0].funder == "nhs"


def test_repeated_list_item_is_a_warning_and_counted_once(tmp_path):
    folder = copy_valid(tmp_path)
    set_cell(folder, "clients.csv", 2, "needs", "dementia;dementia;")
    data = load_dataset(folder, check_geography=False)
    assert data.clients[0].needs == ("dementia",)
    assert [p.column for p in data.warnings] == ["needs"]


CELLS = [
    (file, column)
    for file in ("clients.csv", "providers.csv", "hubs.csv", "pools.csv")
    for column in read_rows(VALID / file)[0]
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(CELLS), text=st.text(max_size=12))
def test_any_cell_text_gives_problems_never_a_crash(tmp_path, where, text):
    folder = tmp_path / "fuzz"
    if not folder.exists():
        folder = copy_valid(tmp_path)
        (tmp_path / "fuzz").mkdir(exist_ok=True)
        folder = folder.rename(tmp_path / "fuzz" / "s")
    else:
        folder = folder / "s"
        for path in VALID.iterdir():
            (folder / path.name).write_bytes(path.read_bytes())
    file, column = where
    text = text.replace("\r", "").replace("\n", "").replace("\x00", "")
    set_cell(folder, file, 2, column, text)
    result = check_dataset(folder, check_geography=False)
    assert all(isinstance(p, Problem) for p in result.problems)
    for p in result.errors:
        assert p.fix and str(p).startswith("ERROR: ")
