"""From a dataset folder to solver arrays: eligibility, travel by band, pools, reasons."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commissioning.inputs.folder import load_dataset
from commissioning.running.problem import build_problem
from geodata.region import load_region

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


@pytest.fixture(scope="module")
def network():
    return load_region("argyll-bute").network()


def _scenario(tmp_path, edit=None):
    folder = tmp_path / "scenario"
    shutil.copytree(FIXTURE, folder)
    if edit:
        clients = pd.read_csv(folder / "clients.csv", dtype=str, keep_default_na=False)
        edit(clients)
        clients.to_csv(folder / "clients.csv", index=False)
    return load_dataset(folder, check_geography=False)


def _eligible(problem, index, client_id):
    i = index.client_ids.index(client_id)
    return {
        index.provider_ids[p]
        for c, p in zip(problem.pair_client, problem.pair_provider, strict=True)
        if c == i
    }


def test_every_client_is_either_eligible_somewhere_or_has_a_reason(tmp_path, network):
    problem, index = build_problem(_scenario(tmp_path), network)
    assert problem.n_clients == 8
    for i, client_id in enumerate(index.client_ids):
        has_pair = bool(np.any(problem.pair_client == i))
        assert has_pair != bool(index.ineligible_reason[i]), client_id


def test_skills_decide_eligibility(tmp_path, network):
    problem, index = build_problem(_scenario(tmp_path), network)
    # Tobermory client with dementia: Lorn Home Care (P01) has no dementia skill.
    assert "P01" not in _eligible(problem, index, "C004")
    assert "P02" in _eligible(problem, index, "C004")


def test_pinned_client_only_has_its_chosen_provider(tmp_path, network):
    problem, index = build_problem(_scenario(tmp_path), network)
    assert _eligible(problem, index, "C006") == {"P02"}
    assert problem.client_pinned_provider[index.client_ids.index("C006")] == index.provider_ids.index("P02")


def test_pool_member_reaches_the_island_only_when_pools_are_on(tmp_path, network):
    data = _scenario(tmp_path)
    with_pools, index_on = build_problem(data, network, pools=True)
    without, index_off = build_problem(data, network, pools=False)
    # Craignure client: Lorn Home Care's carers live in Oban, a ferry away; its Mull pool carers do not.
    assert "P01" in _eligible(with_pools, index_on, "C005")
    assert "P01" not in _eligible(without, index_off, "C005")
    i = index_on.client_ids.index("C005")
    pairs = [
        k
        for k, (c, p) in enumerate(zip(with_pools.pair_client, with_pools.pair_provider, strict=True))
        if c == i and index_on.provider_ids[p] == "P01"
    ]
    # Served from the pool's hub on Mull (HP1), not from P01's own hub in Oban.
    assert [index_on.hub_ids[with_pools.pair_hub[k]] for k in pairs] == ["HP1"]
    assert index_on.pair_from_pool[pairs[0]]
    assert not (without.pair_pool >= 0).any()


def test_no_provider_with_the_skills_is_the_reason(tmp_path, network):
    def edit(clients):
        clients.loc[clients.client_id == "C008", "needs"] = "palliative;meal_prep"

    problem, index = build_problem(_scenario(tmp_path, edit), network)
    reason = index.ineligible_reason[index.client_ids.index("C008")]
    assert "skill" in reason and "palliative" in reason


def test_too_far_is_the_reason_with_the_minutes(tmp_path, network):
    def edit(clients):
        clients.loc[clients.client_id == "C008", "needs"] = "palliative"

    problem, index = build_problem(_scenario(tmp_path, edit), network, max_travel_minutes_per_visit=20)
    reason = index.ineligible_reason[index.client_ids.index("C008")]
    assert "over the 20 min limit" in reason


def test_bed_visit_across_a_stopped_ferry_is_unreachable_with_the_ferry_named(tmp_path, network):
    def edit(clients):
        # A Craignure client with a late bed visit; pools off, so only hubs count (Oban, Salen, Lorn).
        clients.loc[clients.client_id == "C005", ["time_bands", "needs", "zone"]] = [
            "bed",
            "meal_prep",
            "mull",
        ]

    data = _scenario(tmp_path, edit)
    problem, index = build_problem(data, network, pools=False)
    reason = index.ineligible_reason[index.client_ids.index("C005")]
    assert "ferry" in reason and "not sailing" in reason


def test_travel_is_ferry_aware(tmp_path, network):
    problem, index = build_problem(_scenario(tmp_path), network, max_travel_minutes_per_visit=1e9)
    i = index.client_ids.index("C001")  # Oban, morning and bed
    p_oban = index.provider_ids.index("P01")
    p_mull = index.provider_ids.index("P02")
    minutes = {
        p: t
        for c, p, t in zip(
            problem.pair_client, problem.pair_provider, problem.pair_travel_minutes, strict=True
        )
        if c == i
    }
    # From Oban itself: minutes; from Salen on Mull the bed visit needs a ferry that has stopped.
    assert minutes[p_oban] < 15
    assert p_mull not in minutes


def test_unreachable_reason_names_the_ferry_that_matters_to_the_client(tmp_path, network):
    def edit(clients):
        # A Lismore client (Achnacroish) with a bed visit that only mainland providers' skills cover.
        clients.loc[clients.client_id == "C005", ["lon", "lat", "time_bands", "needs"]] = [
            "-5.490",
            "56.520",
            "bed",
            "meal_prep",
        ]

    folder = tmp_path / "scenario"
    data = _scenario(tmp_path, edit)
    # Give Lorn Home Care a first hub on Bute: its ferry has nothing to do with Lismore.
    hubs = pd.read_csv(folder / "hubs.csv", dtype=str)
    bute = pd.DataFrame(
        [{"hub_id": "H00", "provider_id": "P01", "lon": "-5.055", "lat": "55.836", "carers": "3"}]
    )
    pd.concat([bute, hubs]).to_csv(folder / "hubs.csv", index=False)
    data = load_dataset(folder, check_geography=False)
    problem, index = build_problem(data, network, pools=False)
    reason = index.ineligible_reason[index.client_ids.index("C005")]
    assert "Lismore" in reason and "Rhubodach" not in reason, reason
