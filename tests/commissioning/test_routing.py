"""Routed travel: OR-Tools runs on the ferry-aware network, against the optimiser's per-visit pricing."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from commissioning.inputs.domain import Client, Dataset, Hub, Provider
from commissioning.inputs.folder import load_dataset
from commissioning.running.routing import RoutedTravel, routed_travel_hours_per_week, visits_on_typical_day
from commissioning.synthetic.generate import generate_scenario
from geodata.network import ApproximateTravel
from geodata.region import load_region

OBAN = (-5.472, 56.415)
TAYNUILT = (-5.239, 56.431)
LOCHAWE = (-5.040, 56.401)
DALMALLY = (-4.970, 56.401)
IONA = (-6.392, 56.331)  # Baile Mor: the Fionnphort ferry has stopped by the bed band


@pytest.fixture(scope="module")
def network():
    return load_region("argyll-bute").network()


def _client(cid, where, *, carers=1, bands=("morning",), hours=3.5, visits=7, provider="P1") -> Client:
    return Client(cid, where[0], where[1], "lorn_east", hours, visits, carers, bands, ("personal_care",),
                  "council", provider)


def _provider(pid, where) -> Provider:
    return Provider(pid, pid, "independent", where[0], where[1], 400.0, 25.0, ("personal_care",), 0.0)


def _data(clients, *, providers=("P1", "P2")) -> Dataset:
    hubs = tuple(Hub(f"{pid}-H1", pid, *OBAN, 10) for pid in providers)
    return Dataset(tuple(clients), tuple(_provider(pid, OBAN) for pid in providers), hubs, (), ())


def _allocation(data: Dataset, unmet: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = []
    for c in data.clients:
        met = c.current_provider and c.client_id not in unmet
        rows.append({"client_id": c.client_id, "provider_id": c.current_provider if met else "",
                     "status": "assigned" if met else "unmet"})
    return pd.DataFrame(rows)


def _chain_minutes(network, points, band="morning") -> tuple[float, float]:
    """(best single run hub → … → hub over every order, per-visit sum one way from the hub), minutes."""
    lon = np.array([OBAN[0]] + [p[0] for p in points])
    lat = np.array([OBAN[1]] + [p[1] for p in points])
    m = network.matrix(lon, lat, lon, lat, band).minutes
    best = min(
        sum(m[a, b] for a, b in itertools.pairwise((0, *order, 0)))
        for order in itertools.permutations(range(1, len(points) + 1))
    )
    return float(best), float(m[0, 1:].sum())


# ----------------------------------------------------------------------------------------------------
# Hand-made cases
# ----------------------------------------------------------------------------------------------------


def test_three_clients_in_a_line_make_one_chain(network):
    line = (TAYNUILT, LOCHAWE, DALMALLY)
    data = _data([_client(f"C{k}", p) for k, p in enumerate(line)])
    result = routed_travel_hours_per_week(_allocation(data), data, network)
    chain, per_visit = _chain_minutes(network, line)
    assert result.runs == 1 and result.routed_visits == 3 and result.unrouted_visits == 0
    # One visit a day each, every day: the week is the day × 7.
    assert result.total_hours_per_week == pytest.approx(chain * 7 / 60, abs=0.01)
    assert result.per_visit_model_hours_per_week == pytest.approx(per_visit * 7 / 60, abs=0.01)
    assert result.hours_per_week_by_provider == {"P1": pytest.approx(chain * 7 / 60, abs=0.01), "P2": 0.0}
    assert result.expected_per_visit_hours_per_week == pytest.approx(per_visit * 7 / 60, abs=0.01)


def test_clustered_clients_travel_less_routed_than_per_visit(network):
    cluster = (DALMALLY, (DALMALLY[0] + 0.004, DALMALLY[1]), (DALMALLY[0] - 0.004, DALMALLY[1] + 0.002))
    data = _data([_client(f"C{k}", p) for k, p in enumerate(cluster)])
    result = routed_travel_hours_per_week(_allocation(data), data, network)
    chain, per_visit = _chain_minutes(network, cluster)
    assert result.total_hours_per_week == pytest.approx(chain * 7 / 60, abs=0.01)
    # Out and back once (about 2 × 40 min) against three one-way trips (about 3 × 40 min).
    assert result.total_hours_per_week < 0.8 * result.per_visit_model_hours_per_week


def test_two_carer_visits_count_double(network):
    line = (TAYNUILT, LOCHAWE, DALMALLY)
    single = _data([_client(f"C{k}", p) for k, p in enumerate(line)])
    double = _data([_client(f"C{k}", p, carers=2) for k, p in enumerate(line)])
    one = routed_travel_hours_per_week(_allocation(single), single, network)
    two = routed_travel_hours_per_week(_allocation(double), double, network)
    assert two.total_hours_per_week == pytest.approx(2 * one.total_hours_per_week, abs=0.01)
    assert two.per_visit_model_hours_per_week == pytest.approx(
        2 * one.per_visit_model_hours_per_week, abs=0.01
    )

    # One double-up among singles: both carers make the legs into and out of it, and only those.
    mixed = _data([_client("C0", TAYNUILT), _client("C1", DALMALLY, carers=2)])
    lon = np.array([OBAN[0], TAYNUILT[0], DALMALLY[0]])
    lat = np.array([OBAN[1], TAYNUILT[1], DALMALLY[1]])
    m = network.matrix(lon, lat, lon, lat, "morning").minutes
    chain = min(m[0, 1] + 2 * m[1, 2] + 2 * m[2, 0], 2 * m[0, 2] + 2 * m[2, 1] + m[1, 0])
    solo = 2 * (m[0, 2] + m[2, 0]) + m[0, 1] + m[1, 0]
    result = routed_travel_hours_per_week(_allocation(mixed), mixed, network)
    assert result.total_hours_per_week == pytest.approx(min(chain, solo) * 7 / 60, abs=0.01)


def test_unmet_clients_and_idle_providers_are_ignored(network):
    line = (TAYNUILT, LOCHAWE, DALMALLY)
    base = _data([_client(f"C{k}", p) for k, p in enumerate(line)])
    more = _data([*base.clients, _client("C9", (-5.30, 56.44)), _client("C8", (-5.10, 56.42))])
    expected = routed_travel_hours_per_week(_allocation(base), base, network)
    allocation = _allocation(more, unmet=("C9",))
    allocation.loc[allocation["client_id"] == "C8", "status"] = "unmet"  # provider kept, status unmet
    allocation.loc[allocation["client_id"] == "C9", "provider_id"] = np.nan  # as pandas reads a blank cell
    result = routed_travel_hours_per_week(allocation, more, network)
    assert result.total_hours_per_week == pytest.approx(expected.total_hours_per_week)
    assert result.visits_per_day == 3
    assert result.hours_per_week_by_provider["P2"] == 0.0
    assert result.per_visit_hours_per_week_by_provider["P2"] == 0.0

    nobody = routed_travel_hours_per_week(_allocation(base, unmet=("C0", "C1", "C2")), base, network)
    assert nobody.total_hours_per_week == 0.0 and nobody.runs == 0 and nobody.visits_per_day == 0
    assert nobody.hours_per_week_by_provider == {"P1": 0.0, "P2": 0.0}


def test_big_problems_are_split_into_sectors(network):
    cluster = (DALMALLY, (DALMALLY[0] + 0.004, DALMALLY[1]), (DALMALLY[0] - 0.004, DALMALLY[1] + 0.002))
    data = _data([_client(f"C{k}", p) for k, p in enumerate(cluster)])
    whole = routed_travel_hours_per_week(_allocation(data), data, network)
    split = routed_travel_hours_per_week(_allocation(data), data, network, max_visits_per_problem=1)
    assert (whole.problems, whole.runs) == (1, 1)
    assert (split.problems, split.runs) == (3, 3)
    lon = np.array([OBAN[0]] + [p[0] for p in cluster])
    lat = np.array([OBAN[1]] + [p[1] for p in cluster])
    m = network.matrix(lon, lat, lon, lat, "morning").minutes
    assert split.total_hours_per_week == pytest.approx(sum(m[0, k] + m[k, 0] for k in (1, 2, 3)) * 7 / 60)


def test_runs_start_at_the_nearest_staffed_hub(network):
    cluster = (DALMALLY, (DALMALLY[0] + 0.004, DALMALLY[1]))
    clients = [_client(f"C{k}", p) for k, p in enumerate(cluster)]
    providers = (_provider("P1", OBAN),)
    for carers, far in ((5, False), (0, True)):
        hubs = (Hub("P1-oban", "P1", *OBAN, 10), Hub("P1-dalmally", "P1", *DALMALLY, carers))
        data = Dataset(tuple(clients), providers, hubs, (), ())
        result = routed_travel_hours_per_week(_allocation(data), data, network)
        assert result.runs == 1
        # From the Dalmally hub a run is a few minutes; with nobody living there it starts in Oban, and
        # the per-visit price is from the same hub.
        assert (result.total_hours_per_week > 7) is far
        assert (result.per_visit_model_hours_per_week > 1) is far


def test_runs_start_at_the_hub_the_allocation_names(network):
    # Both hubs staffed: without hub ids the runs start in Dalmally (quickest); an allocation that serves
    # the clients from Oban's carers has them drive from Oban, and prices them from there.
    cluster = (DALMALLY, (DALMALLY[0] + 0.004, DALMALLY[1]))
    clients = [_client(f"C{k}", p) for k, p in enumerate(cluster)]
    hubs = (Hub("P1-oban", "P1", *OBAN, 10), Hub("P1-dalmally", "P1", *DALMALLY, 5))
    data = Dataset(tuple(clients), (_provider("P1", OBAN),), hubs, (), ())
    near = routed_travel_hours_per_week(_allocation(data), data, network)
    named = _allocation(data).assign(hub_id="P1-oban")
    far = routed_travel_hours_per_week(named, data, network)
    assert near.total_hours_per_week < 2 < 7 < far.total_hours_per_week
    assert far.per_visit_model_hours_per_week > 7


def test_a_visit_longer_than_a_run_gets_its_own_run(network):
    # 24.5 h a week in 7 visits: 3.5 h each, so no run of at most 3.5 h can hold it with any travel.
    data = _data([_client("C0", TAYNUILT), _client("C1", DALMALLY, hours=24.5)])
    result = routed_travel_hours_per_week(_allocation(data), data, network)
    lon = np.array([OBAN[0], TAYNUILT[0], DALMALLY[0]])
    lat = np.array([OBAN[1], TAYNUILT[1], DALMALLY[1]])
    m = network.matrix(lon, lat, lon, lat, "morning").minutes
    assert result.long_runs == 1 and result.runs == 2 and result.unrouted_visits == 0
    out_and_back = m[0, 1] + m[1, 0] + m[0, 2] + m[2, 0]
    assert result.total_hours_per_week == pytest.approx(out_and_back * 7 / 60, abs=0.01)
    assert any("run of its own" in note for note in result.notes)


def test_a_visit_after_the_last_ferry_is_unrouted_with_the_reason(network):
    data = _data([_client("C0", IONA, bands=("morning", "bed"), visits=14), _client("C1", TAYNUILT)])
    result = routed_travel_hours_per_week(_allocation(data), data, network)
    assert result.visits_per_day == 3
    assert result.unrouted_visits == 1 and result.routed_visits == 2
    (missed,) = result.unrouted
    assert (missed.client_id, missed.provider_id, missed.band) == ("C0", "P1", "bed")
    assert "ferry" in missed.reason and "bed" in missed.reason


def test_the_typical_day_follows_visits_per_week():
    clients = [
        _client("A", TAYNUILT, visits=7, bands=("morning",)),  # exactly one a day
        _client("B", TAYNUILT, visits=14, bands=("morning",)),  # two in the band: two rounds
        _client("C", TAYNUILT, visits=10, bands=("morning", "bed")),  # 5/7 per band
    ] + [_client(f"D{k}", TAYNUILT, visits=1) for k in range(700)]
    data = _data(clients)
    day = visits_on_typical_day(data, seed=5)
    assert day[0].tolist() == [1, 0, 0, 0]
    assert day[1].tolist() == [2, 0, 0, 0]
    assert set(day[2, [0, 3]].tolist()) <= {0, 1} and day[2, [1, 2]].sum() == 0
    assert 60 <= day[3:, 0].sum() <= 140  # about 700 / 7
    assert np.array_equal(day, visits_on_typical_day(data, seed=5))
    assert not np.array_equal(day, visits_on_typical_day(data, seed=6))


def test_two_visits_in_a_band_are_two_runs_not_one_call(network):
    data = _data([_client("C0", DALMALLY, visits=14)])
    result = routed_travel_hours_per_week(_allocation(data), data, network)
    chain, _ = _chain_minutes(network, (DALMALLY,))
    assert result.runs == 2 and result.routed_visits == 2
    assert result.total_hours_per_week == pytest.approx(2 * chain * 7 / 60, abs=0.01)


def test_allocation_naming_unknown_ids_is_an_error(network):
    data = _data([_client("C0", TAYNUILT)])
    bad = pd.DataFrame({"client_id": ["C0"], "provider_id": ["P7"], "status": ["assigned"]})
    with pytest.raises(ValueError, match="P7"):
        routed_travel_hours_per_week(bad, data, network)
    with pytest.raises(ValueError, match="status"):
        routed_travel_hours_per_week(bad.drop(columns="status"), data, network)


def test_approximate_travel_works_and_says_so():
    line = (TAYNUILT, LOCHAWE, DALMALLY)
    data = _data([_client(f"C{k}", p) for k, p in enumerate(line)])
    result = routed_travel_hours_per_week(_allocation(data), data, ApproximateTravel())
    assert result.total_hours_per_week > 0 and result.routed_visits == 3
    assert any("approximate" in note for note in result.notes)


# ----------------------------------------------------------------------------------------------------
# A generated scenario
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("routing") / "scenario"
    generate_scenario(folder, n_clients=150, seed=3)
    data = load_dataset(folder, region_land=load_region().land)
    allocation = pd.DataFrame({
        "client_id": [c.client_id for c in data.clients],
        "provider_id": [c.current_provider or "" for c in data.clients],
        "status": ["assigned" if c.current_provider else "unmet" for c in data.clients],
    })
    return data, allocation


def _without_seconds(result: RoutedTravel) -> dict:
    values = dataclasses.asdict(result)
    values.pop("seconds")
    return values


def test_generated_scenario_every_visit_is_routed_or_explained(generated, network):
    data, allocation = generated
    result = routed_travel_hours_per_week(allocation, data, network, seed=3)
    day = visits_on_typical_day(data, seed=3)
    assigned = np.array([bool(c.current_provider) for c in data.clients])
    assert result.visits_per_day == int(day[assigned].sum()) > 0
    assert result.routed_visits + result.unrouted_visits == result.visits_per_day
    assert all(u.reason for u in result.unrouted)
    ids = {c.client_id: c for c in data.clients}
    for u in result.unrouted:
        assert ids[u.client_id].current_provider == u.provider_id
    assert result.total_hours_per_week > 0 and result.per_visit_model_hours_per_week > 0
    assert result.total_hours_per_week == pytest.approx(sum(result.hours_per_week_by_provider.values()))
    assert set(result.hours_per_week_by_provider) == {p.provider_id for p in data.providers}
    assert result.runs >= 1 and result.capped_searches == 0


def test_generated_scenario_is_deterministic(generated, network):
    data, allocation = generated
    first = routed_travel_hours_per_week(allocation, data, network, seed=3)
    second = routed_travel_hours_per_week(allocation, data, network, seed=3)
    assert _without_seconds(first) == _without_seconds(second)
    other_day = routed_travel_hours_per_week(allocation, data, network, seed=4)
    assert _without_seconds(other_day) != _without_seconds(first)


def test_providers_routed_in_parts_add_up_to_the_whole(network):
    """The router shares one variant's routing among its workers by provider (issue 12, the demo's time):
    the parts added up are the whole, notes and unrouted visits included."""
    from commissioning.running.routing import combined, provider_parts

    clients = [_client("C0", TAYNUILT), _client("C1", LOCHAWE, provider="P2"), _client("C2", DALMALLY),
               _client("C3", IONA, provider="P3", bands=("bed",)), _client("C4", LOCHAWE, carers=2)]
    data = _data(clients, providers=("P1", "P2", "P3"))
    whole = routed_travel_hours_per_week(_allocation(data), data, network)
    parts = [routed_travel_hours_per_week(_allocation(data), data, network, parts=2, part=k) for k in (0, 1)]
    assert all(p.total_hours_per_week < whole.total_hours_per_week for p in parts)
    together = combined(parts, network)
    for name in ("hours_per_week_by_provider", "per_visit_hours_per_week_by_provider", "runs", "notes",
                 "unrouted", "unrouted_visits", "visits_per_day", "routed_visits", "problems", "long_runs"):
        assert getattr(together, name) == getattr(whole, name), name
    sums = ("total_hours_per_week", "per_visit_model_hours_per_week", "expected_per_visit_hours_per_week")
    for name in sums:
        assert getattr(together, name) == pytest.approx(getattr(whole, name), rel=1e-12), name
    assert provider_parts({"P1": [0, 2, 4], "P2": [1], "P3": [3]}, 2) == [{"P1"}, {"P2", "P3"}]
