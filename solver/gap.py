"""Plain generalised assignment problems (OR-Library format) solved through the same core.

Agents become providers (capacity = ``provider_weekly_staff_hours``), jobs become clients, and the general
per-pair arrays are filled directly: ``pair_staff_hours`` = resource, ``pair_care_cost_gbp`` = cost (or
−profit when maximising; travel cost 0). Nothing GAP-specific exists in the model itself; :func:`solver.solve`
recognises any model of this plain shape from the CP-SAT model and adds the Lagrangian target search of
:mod:`solver.lagrange`.

OR-Library layout (whitespace-separated integers, line breaks irrelevant)::

    P                      # number of problems (multi-problem files such as gap1..gap12, gapa..gapc);
                           # absent in single-instance files, which start directly with "m n"
    m n                    # agents, jobs
    c[0][0] .. c[m-1][n-1] # cost (or profit) of job j on agent i, row by agent
    r[0][0] .. r[m-1][n-1] # resource job j uses on agent i
    b[0] .. b[m-1]         # capacity of agent i
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.data import ProblemData, SolveParams, Switches
from solver.solve import solve


@dataclass(frozen=True)
class GapInstance:
    name: str
    cost: np.ndarray  # (m, n)
    resource: np.ndarray  # (m, n)
    capacity: np.ndarray  # (m,)

    @property
    def m(self) -> int:
        return self.cost.shape[0]

    @property
    def n(self) -> int:
        return self.cost.shape[1]


def parse_orlib_gap(text: str, stem: str = "gap") -> list[GapInstance]:
    """Both layouts: ``P`` then P problems, or a single problem starting with ``m n``."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    tokens = [int(t) for ln in lines for t in ln]
    if not tokens:
        raise ValueError(f"{stem}: empty GAP file")
    if len(lines[0]) == 1:
        count, pos = tokens[0], 1
    else:
        count, pos = 1, 0
    out = []
    for k in range(count):
        if pos + 2 > len(tokens):
            raise ValueError(f"{stem}: file ends before problem {k + 1} of {count}")
        m, n = tokens[pos], tokens[pos + 1]
        pos += 2
        size = 2 * m * n + m
        if pos + size > len(tokens):
            raise ValueError(f"{stem}: problem {k + 1} needs {size} numbers after 'm n', file has fewer")
        block = np.array(tokens[pos:pos + size], dtype=np.int64)
        pos += size
        out.append(GapInstance(
            name=f"{stem}-{k + 1}",
            cost=block[: m * n].reshape(m, n),
            resource=block[m * n: 2 * m * n].reshape(m, n),
            capacity=block[2 * m * n:],
        ))
    return out


def read_orlib_gap(path: str | Path) -> list[GapInstance]:
    path = Path(path)
    return parse_orlib_gap(path.read_text(), stem=path.stem)


def gap_to_problem(inst: GapInstance, sense: str = "min") -> ProblemData:
    """Jobs → clients, agents → providers; all pairs eligible; cost negated when maximising."""
    if sense not in ("min", "max"):
        raise ValueError("sense must be 'min' or 'max'")
    m, n = inst.m, inst.n
    jobs, agents = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    jobs, agents = jobs.ravel(), agents.ravel()
    sign = 1.0 if sense == "min" else -1.0
    return ProblemData(
        client_weekly_hours=np.ones(n),  # unused by a plain GAP: resource use is per pair
        client_visits_per_week=np.zeros(n, np.int64),
        client_carers_per_visit=np.ones(n, np.int64),
        client_zone=np.zeros(n, np.int64),
        client_needs=np.zeros(n, np.int64),
        client_current_provider=np.full(n, -1),
        client_pinned_provider=np.full(n, -1),
        provider_weekly_staff_hours=inst.capacity.astype(np.float64),
        provider_hourly_rate_gbp=np.zeros(m),
        provider_skills=np.zeros(m, np.int64),
        provider_min_viable_hours=np.zeros(m),
        provider_max_weekly_hours=np.full(m, np.inf),
        pair_client=jobs,
        pair_provider=agents,
        pair_travel_minutes=np.zeros(n * m),
        pair_staff_hours=inst.resource[agents, jobs].astype(np.float64),
        pair_care_cost_gbp=sign * inst.cost[agents, jobs].astype(np.float64),
        pair_travel_cost_gbp=np.zeros(n * m),
        n_zones=1,
    )


GAP_SCENARIO = Switches(pools=False, max_weekly=False, allow_unmet=False)  # every job assigned


def solve_gap(inst: GapInstance, sense: str = "min", params: SolveParams | None = None) -> dict:
    """``{"instance","m","n","sense","objective","bound","status","seconds"}`` in the GAP's own units."""
    params = params or SolveParams(time_limit_s=10, workers=2)
    r = solve(gap_to_problem(inst, sense), GAP_SCENARIO, params)
    sign = 1.0 if sense == "min" else -1.0
    obj = sign * r.objective if math.isfinite(r.objective) else math.nan
    bound = sign * r.bound if math.isfinite(r.bound) else math.nan
    return {"instance": inst.name, "m": inst.m, "n": inst.n, "sense": sense, "objective": obj,
            "bound": bound, "status": r.status, "seconds": r.seconds}
