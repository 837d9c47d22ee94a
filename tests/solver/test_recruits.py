"""The cheapest recruits at a hub (:func:`solver.measures.cheapest_recruits`) against every count."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import Switches
from solver.measures import cheapest_recruits, hub_capacity, hub_loads, hubs_short, workforce_shortfalls

from .helpers import hubbed


@st.composite
def hubs_and_costs(draw):
    n = draw(st.integers(1, 4))
    hours = [draw(st.integers(1, 30)) for _ in range(n)]
    pairs = [(i, 0, 0, draw(st.integers(0, 60)), draw(st.booleans())) for i in range(n)]
    share = [[s := draw(st.integers(0, 4)) / 4, 1 - s] for _ in range(n)]
    hub = {"provider": 0, "drivers": draw(st.integers(0, 2)), "non_drivers": draw(st.integers(0, 2)),
           "week": draw(st.integers(5, 30)), "bands": [draw(st.integers(1, 20)), draw(st.integers(1, 20))]}
    data = hubbed(hours, [20.0], pairs, [hub], band_share=share)
    costs = draw(st.integers(100, 500)), draw(st.integers(100, 500))
    return data, costs, draw(st.integers(0, 8))


def _fits(data, loads, r_d: int, r_n: int) -> bool:
    cap = hub_capacity(data, np.array([[r_d, r_n]], dtype=float))
    return not hubs_short(workforce_shortfalls(loads, cap))[0]


@settings(max_examples=150, deadline=None)
@given(hubs_and_costs())
def test_the_cheapest_recruits_are_the_cheapest_of_every_count_that_fits(case):
    data, (driver_cost, non_driver_cost), limit = case
    switches = dataclasses.replace(Switches(), recruit_driver_cost_gbp_per_carer_week=driver_cost,
                                   recruit_cost_gbp_per_carer_week=non_driver_cost)
    loads = hub_loads(data, np.asarray(data.client_pair_start[:-1]))
    every = [(d * driver_cost + n * non_driver_cost, n, d) for d in range(limit + 1)
             for n in range(limit + 1 - d) if _fits(data, loads, d, n)]
    found = cheapest_recruits(data, switches, loads, 0, limit)
    if not every:
        assert found is None
        return
    cost, n, d = min(every)  # ties: fewer non-drivers, then fewer drivers
    assert found == (d, n)
