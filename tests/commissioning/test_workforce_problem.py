"""Carers at hubs in the running layer: pairs per hub, walking reach on the travel model, today's hub, band
shares and the hubs' carers as the solver sees them (issue 12)."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commissioning.inputs.folder import load_dataset
from commissioning.running.hubs import hub_travel
from commissioning.running.problem import band_shares, build_problem
from commissioning.scenario.defaults import WorkforceParams
from geodata.region import load_region

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "valid_small"


@pytest.fixture(scope="module")
def network():
    return load_region("argyll-bute").network()


def _data(tmp_path, clients=None, hubs=None):
    folder = tmp_path / "scenario"
    shutil.copytree(FIXTURE, folder)
    for name, edit in (("clients", clients), ("hubs", hubs)):
        if edit:
            frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
            frame = edit(frame)
            frame.to_csv(folder / f"{name}.csv", index=False)
    return load_dataset(folder, check_geography=False)


def test_walking_reach_is_on_the_travel_model_and_no_ferry_crosses_it(tmp_path, network):
    # C001 is 300 m from Oban's hub H01: within a 20-minute walk. Across the Sound of Mull, Craignure (C005)
    # is a short crossing from Oban but never within walking reach, whatever the straight line says.
    data = _data(tmp_path)
    travelled = hub_travel(data, network)
    hub = [h.hub_id for h in travelled.hubs].index("H01")
    clients = [c.client_id for c in data.clients]
    assert travelled.near[hub, clients.index("C001")]
    assert not travelled.near[hub, clients.index("C005")]
    # A slower walker reaches less: 0.5 km/h over 20 minutes is 167 m of road.
    slow = hub_travel(data, network, WorkforceParams(non_driver_speed_kmh=0.5))
    assert not slow.near[hub, clients.index("C001")]


def test_a_provider_serves_a_client_from_its_two_quickest_hubs_priced_from_each(tmp_path, network):
    def second_oban_hub(hubs):
        extra = hubs[hubs.hub_id == "H01"].assign(hub_id="H01B", lon="-5.30", lat="56.40")
        far = hubs[hubs.hub_id == "H01"].assign(hub_id="H01C", lon="-5.60", lat="55.95")
        return pd.concat([hubs, extra, far], ignore_index=True)

    data = _data(tmp_path, hubs=second_oban_hub)
    problem, index = build_problem(data, network)
    i = index.client_ids.index("C001")
    p = index.provider_ids.index("P01")
    ks = list(problem.pairs_of(i, p))
    hubs = [index.hub_ids[problem.pair_hub[k]] for k in ks]
    assert sorted(hubs) == ["H01", "H01B"]  # the third, in Kintyre, is not among the two quickest
    minutes = {index.hub_ids[problem.pair_hub[k]]: problem.pair_travel_minutes[k] for k in ks}
    assert minutes["H01"] < minutes["H01B"]
    # Today's hub is the quickest: the one hint, current variant and reports start from.
    assert index.hub_ids[problem.client_current_hub[i]] == "H01"


def test_hub_carers_reach_the_solver_with_band_windows(tmp_path, network):
    problem, index = build_problem(
        _data(tmp_path), network, workforce=WorkforceParams(working_days_per_week=4)
    )
    h = index.hub_ids.index("H01")
    assert (problem.hub_drivers[h], problem.hub_non_drivers[h]) == (14, 4)
    assert problem.hub_carer_weekly_hours[h] == 22
    # morning window 07:00-10:30 on 4 days = 14 h; bed 19:30-22:30 = 12 h; never above the contract
    assert problem.hub_carer_band_hours[h].tolist() == [14.0, 10.0, 10.0, 12.0]
    assert index.hub_ids[problem.hub_pool.tolist().index(0)] == "HP1"


def test_band_visits_given_in_clients_csv_decide_the_band_shares(tmp_path):
    def bands(clients):
        clients["morning_visits"] = ""
        clients["lunch_visits"] = ""
        clients["tea_visits"] = ""
        clients["bed_visits"] = ""
        row = clients.client_id == "C001"  # 14 visits, morning and bed
        clients.loc[row, ["morning_visits", "bed_visits"]] = ["10", "4"]
        return clients

    data = _data(tmp_path, clients=bands)
    shares = band_shares(data)
    ids = [c.client_id for c in data.clients]
    assert shares[ids.index("C001")].tolist() == pytest.approx([10 / 14, 0, 0, 4 / 14])
    # Spread evenly over its bands when the file does not say.
    c002 = data.clients[ids.index("C002")]
    assert np.count_nonzero(shares[ids.index("C002")]) == len(c002.time_bands)
