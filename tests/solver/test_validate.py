"""The independent validator catches every violated family; bad input raises DataError."""

from __future__ import annotations

import numpy as np
import pytest

from solver import DataError, Switches, validate_solution

from .helpers import tiny

ALL = {(i, p): 0 for i in range(2) for p in range(2)}


def violations(d, assignment, **scenario):
    scenario = Switches(**{"allow_unmet": False, **scenario})
    return validate_solution(d, scenario, np.array(assignment))


def families(vs):
    return {v.split(":")[0] for v in vs}


def test_feasible_assignment_has_no_violations():
    assert violations(tiny([10, 10], [100, 100], [20, 30], ALL), [0, 1]) == []


@pytest.mark.parametrize(
    ("kwargs", "scenario", "assignment", "family"),
    [
        ({"providers_staff_hours": [15, 100]}, {}, [0, 0], "capacity"),
        ({}, {}, [-1, 0], "assignment"),
        ({"client_pinned_provider": [1, -1]}, {}, [0, 0], "pinned"),
        ({"client_current_provider": [1, 1]}, {"max_moves": 1}, [0, 0], "continuity"),
        ({}, {"max_providers_per_zone": 1}, [0, 1], "zoning"),
        ({"provider_max_weekly_hours": [15, 100]}, {}, [0, 0], "max_weekly"),
        (
            {"provider_min_viable_hours": [0, 15]},
            {"min_viable": True, "allow_provider_exit": False},
            [0, 1],
            "min_viable",
        ),
        ({"client_current_provider": [1, 1]}, {"max_loss_fraction": 0.2}, [0, 1], "loss_band"),
        ({"client_needs": [1, 0], "provider_skills": [0, 1]}, {}, [0, 1], "eligibility"),
    ],
)
def test_validator_catches(kwargs, scenario, assignment, family):
    args = {"hours": [10, 10], "providers_staff_hours": [100, 100], "rates": [20, 30], "travel": ALL}
    args.update(kwargs)
    d = tiny(**args)
    assert family in families(violations(d, assignment, **scenario))


def test_validator_catches_missing_pair():
    d = tiny([10, 10], [100, 100], [20, 30], {(0, 0): 0, (1, 1): 0})
    assert "eligibility" in families(violations(d, [1, 1]))


def test_min_viable_allows_exit_when_scenario_allows_it():
    d = tiny([10, 10], [100, 100], [20, 30], ALL, provider_min_viable_hours=[0, 15])
    assert violations(d, [0, 0], min_viable=True, allow_provider_exit=True) == []
    assert "min_viable" in families(violations(d, [0, 1], min_viable=True, allow_provider_exit=True))


def test_validator_checks_pools_hubs_and_recruits():
    # p0 has 15 own staff h; the pool (one hub of 5 h) covers zone 0. c0 (zone 0, 10 h) from the pool's hub
    # breaks the hub's hours; from p0's own staff with c1 it breaks p0's capacity.
    d = tiny(
        [10, 10],
        [15, 100],
        [20, 40],
        ALL,
        zones=[0, 1],
        pool_weekly_hours=[5],
        pool_members=[[True, False]],
        pool_zones=[[True, False]],
    )
    switches = Switches(allow_unmet=False)
    assert "hub_hours" in families(validate_solution(d, switches, np.array([0, 1]), hubs=np.array([0, -1])))
    assert "capacity" in families(validate_solution(d, switches, np.array([0, 0])))
    assert "pools" in families(
        validate_solution(d, Switches(pools=False), np.array([0, 1]), np.array([0, -1]))
    )
    # Recruits given are checked: recruitment off, or beyond the hub's limit.
    assert "recruitment" in families(validate_solution(d, switches, np.array([1, 1]), recruits=[[1, 0]]))
    on = Switches(recruit=True, max_recruits_per_hub=1)
    assert "recruitment" in families(validate_solution(d, on, np.array([1, 1]), recruits=[[1, 1]]))
    assert validate_solution(d, on, np.array([0, 1]), np.array([0, -1]), recruits=[[1, 0]]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": [10, float("nan")]}, "client_weekly_hours"),
        ({"hours": [10, -1]}, "client_weekly_hours"),
        ({"zones": [0, 5], "n_zones": 2}, "client_zone"),
        ({"carers": [1, 3]}, "client_carers_per_visit"),
        ({"travel": {(0, 0): 0, (1, 7): 0}}, "pair_provider"),
        ({"travel": {(0, 0): -5}}, "pair_travel_minutes"),
        ({"client_current_provider": [0, 9]}, "client_current_provider"),
        ({"client_pinned_provider": [1, -1], "travel": {(0, 0): 0}}, "pinned"),
        ({"zone_names": ["a", "b"]}, "zone_names"),
    ],
)
def test_bad_data_raises_clear_error(kwargs, message):
    args = {"hours": [10, 10], "providers_staff_hours": [100, 100], "rates": [20, 30], "travel": ALL}
    args.update(kwargs)
    with pytest.raises(DataError, match=message):
        tiny(**args)


def test_duplicate_pair_rejected():
    d = tiny([10], [100], [20], {(0, 0): 0})
    from dataclasses import replace

    with pytest.raises(DataError, match="twice"):
        replace(
            d,
            pair_client=[0, 0],
            pair_provider=[0, 0],
            pair_travel_minutes=[0, 0],
            pair_staff_hours=[1, 1],
            pair_care_cost_gbp=[1, 1],
            pair_travel_cost_gbp=[0, 0],
            pair_hub=[-1, -1],
            pair_near=[True, True],
        )


def test_arrays_are_read_only():
    d = tiny([10], [100], [20], {(0, 0): 0})
    with pytest.raises(ValueError):
        d.client_weekly_hours[0] = 3
